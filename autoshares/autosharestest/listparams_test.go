package autosharestest_test

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
)

// TestListCallsRefuseMissingParameters: the broker's spec marks these
// query parameters required, so a request without one is refused with 400
// in the broker's error shape: orders pageNumber and pageSize; price
// alerts pageNumber, pageSize, sortBy and isDesc; positions pageNumber,
// pageSize (at most 99), sortField and desc.
func TestListCallsRefuseMissingParameters(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	tok := login(t, srv, autosharestest.User, autosharestest.Password)
	get := func(path string, q url.Values) (int, string) {
		return raw(t, srv, "GET", path+"?"+q.Encode(), tok.AccessToken, autosharestest.APIKey, "Et-App-Key", "")
	}
	for _, tc := range []struct {
		path string
		full url.Values
	}{
		{"/v1.0/accounts/6303/orders", url.Values{"pageNumber": {"0"}, "pageSize": {"10"}}},
		{"/v1.0/users/@me/pricealerts", url.Values{"pageNumber": {"0"}, "pageSize": {"10"}, "sortBy": {"Id"},
			"isDesc": {"false"}}},
		{"/v1.0/accounts/6303/positions", url.Values{"pageNumber": {"0"}, "pageSize": {"99"}, "sortField": {"Symbol"},
			"desc": {"false"}}},
	} {
		status, body := get(tc.path, tc.full)
		require.Equal(t, 200, status, "%s?%s: %s", tc.path, tc.full.Encode(), body)
		for name := range tc.full {
			q := url.Values{}
			for k, v := range tc.full {
				if k != name {
					q[k] = v
				}
			}
			status, body := get(tc.path, q)
			assert.Equal(t, 400, status, "%s without %s", tc.path, name)
			var env map[string]any
			require.NoError(t, json.Unmarshal([]byte(body), &env), body)
			assert.Equal(t, map[string]any{"error": "invalid_request", "error_description": name + " is required",
				"status": float64(400)}, env, "%s without %s", tc.path, name)

			q.Set(name, "")
			status, _ = get(tc.path, q)
			assert.Equal(t, 400, status, "%s with an empty %s", tc.path, name)
		}
	}

	// Values out of bounds or of the wrong type.
	for _, q := range []string{
		"/v1.0/accounts/6303/positions?pageNumber=0&pageSize=100&sortField=Symbol&desc=false",
		"/v1.0/accounts/6303/positions?pageNumber=0&pageSize=0&sortField=Symbol&desc=false",
		"/v1.0/accounts/6303/positions?pageNumber=-1&pageSize=10&sortField=Symbol&desc=false",
		"/v1.0/accounts/6303/positions?pageNumber=0&pageSize=10&sortField=Symbol&desc=maybe",
		"/v1.0/users/@me/pricealerts?pageNumber=0&pageSize=10&sortBy=Id&isDesc=1x",
		"/v1.0/users/@me/pricealerts?pageNumber=0&pageSize=10&sortBy=Colour&isDesc=false",
		"/v1.0/accounts/6303/orders?pageNumber=x&pageSize=10",
		"/v1.0/accounts/6303/orders?pageNumber=0&pageSize=10&desc=yes",
	} {
		status, body := raw(t, srv, "GET", q, tok.AccessToken, autosharestest.APIKey, "Et-App-Key", "")
		assert.Equal(t, 400, status, "%s: %s", q, body)
		assert.Contains(t, body, `"error":"invalid_request"`, q)
	}
}
