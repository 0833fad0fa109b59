package tradestation

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/resttest"
)

// TestV2ExpiryEndsAtUTCMidnight: a WebAPI v2 access token "is only valid
// for the Date it was issued" (UTC), so its expiry is the earlier of
// expires_in and the next UTC midnight, for every grant that reaches the
// token endpoint. v3 tokens keep their expires_in.
func TestV2ExpiryEndsAtUTCMidnight(t *testing.T) {
	day := func(h, m, s int) time.Time { return time.Date(2026, 3, 10, h, m, s, 0, time.UTC) }
	midnight := time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)
	newYork, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	cases := []struct {
		name    string
		now     time.Time
		fixture string
		want    time.Time
	}{
		{"issued 23:50, expires_in 1200", day(23, 50, 0), "v2_token_current.json", midnight},
		{"issued 23:40, expires_in 1200", day(23, 40, 0), "v2_token_current.json", midnight},
		{"issued 23:39, expires_in 1200", day(23, 39, 0), "v2_token_current.json", day(23, 59, 0)},
		{"issued 18:00, expires_in 29367", day(18, 0, 0), "v2_token_legacy.json", midnight},
		{"issued 00:00, expires_in 1200", midnight, "v2_token_current.json", midnight.Add(20 * time.Minute)},
		// 20:50 in New York is 00:50 UTC the next day: the UTC date counts.
		{"a local clock, UTC date", time.Date(2026, 3, 10, 20, 50, 0, 0, newYork), "v2_token_current.json",
			time.Date(2026, 3, 11, 1, 10, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, mt := dayProvider(t, V2, c.now)
			mt.RegisterResponder(http.MethodPost, "https://api.tradestation.com/v2/Security/Authorize",
				httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, c.fixture))))
			tok, err := p.Exchange(context.Background(), "AFF345CD12B")
			require.NoError(t, err)
			assert.True(t, c.want.Equal(tok.Expiry), "exchange: want %s, got %s", c.want, tok.Expiry)

			mt.RegisterResponder(http.MethodPost, "https://api.tradestation.com/v2/Security/Authorize",
				httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "v2_refresh.json"))))
			nt, err := p.Refresh(context.Background(), &auth.Token{AccessToken: "x", RefreshToken: "RT", Audience: V2Audience})
			require.NoError(t, err)
			want := c.want
			if c.fixture != "v2_token_current.json" {
				want = minTime(midnight, c.now.Add(1200*time.Second))
			}
			assert.True(t, want.Equal(nt.Expiry), "refresh: want %s, got %s", want, nt.Expiry)
		})
	}

	t.Run("client credentials", func(t *testing.T) {
		p, mt := dayProvider(t, V2, day(23, 0, 0))
		mt.RegisterResponder(http.MethodPost, "https://api.tradestation.com/v2/Security/Authorize",
			httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "v2_client_credentials.json"))))
		tok, err := p.ClientCredentials(context.Background())
		require.NoError(t, err)
		assert.True(t, midnight.Equal(tok.Expiry), "expires_in 21943 would run past midnight: %s", tok.Expiry)
	})

	t.Run("no expires_in", func(t *testing.T) {
		p, mt := dayProvider(t, V2, day(9, 0, 0))
		mt.RegisterResponder(http.MethodPost, "https://api.tradestation.com/v2/Security/Authorize",
			httpmock.ResponderFromResponse(resttest.JSON(200, `{"access_token":"AT","refresh_token":"RT","userid":"testUser"}`)))
		tok, err := p.Exchange(context.Background(), "AFF345CD12B")
		require.NoError(t, err)
		assert.True(t, midnight.Equal(tok.Expiry), "a token without expires_in still ends with its date: %s", tok.Expiry)
	})

	t.Run("v3 is not date-bound", func(t *testing.T) {
		p, mt := dayProvider(t, V3, day(23, 50, 0))
		mt.RegisterResponder(http.MethodPost, "https://signin.tradestation.com/oauth/token",
			httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "v3_token.json"))))
		tok, err := p.Exchange(context.Background(), "code")
		require.NoError(t, err)
		assert.True(t, tok.Expiry.After(midnight), "v3 keeps expires_in: %s", tok.Expiry)
	})
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// dayProvider is a provider of api whose clock reads now and whose token
// requests go to a fresh httpmock transport.
func dayProvider(t *testing.T, api API, now time.Time) (*Provider, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	cfg := Config{ClientID: "EAC7BF97-B3HE-4C1B-9A0B-1C2D3E4F5A6B", ClientSecret: "s3cret", API: api,
		RedirectURL: "http://localhost:3000/callback", Environment: auth.Live,
		HTTPClient: &http.Client{Transport: mt}, Now: func() time.Time { return now }}
	p, err := New(cfg)
	require.NoError(t, err)
	return p, mt
}
