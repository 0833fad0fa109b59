package oauthsim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func postJSON(v *env, path, body string) (int, map[string]any) {
	req, _ := http.NewRequest(http.MethodPost, v.url(path), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	st, m, _ := v.do(req)
	return st, m
}

func TestRevokeForm(t *testing.T) {
	v := newEnv(t, nil)
	a := v.tokens(nil)
	b := v.tokens(nil)
	st, _, _ := v.post("/revoke", url.Values{"token": {str(a, "refresh_token")}, "token_type_hint": {"refresh_token"}})
	require.Equal(t, http.StatusOK, st)
	st, body := v.refresh(str(a, "refresh_token"))
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_grant", str(body, "error"))
	_, err := v.apiGet(str(a, "access_token"))
	assert.ErrorIs(t, err, ErrRevokedToken, "revoking a refresh token takes its access tokens along")
	st, _ = v.refresh(str(b, "refresh_token"))
	assert.Equal(t, http.StatusOK, st, "other logins are untouched")

	st, _, _ = v.post("/revoke", url.Values{"token": {str(b, "access_token")}})
	require.Equal(t, http.StatusOK, st)
	_, err = v.apiGet(str(b, "access_token"))
	assert.ErrorIs(t, err, ErrRevokedToken)

	st, _, _ = v.post("/revoke", url.Values{"token": {"never-issued"}})
	assert.Equal(t, http.StatusOK, st, "RFC 7009: unknown tokens are not an error")
	st, body, _ = v.post("/revoke", url.Values{})
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_request", str(body, "error"))
}

func TestRevokeJSONAllOfClient(t *testing.T) {
	// TradeStation: JSON body, and one revocation ends every refresh token
	// of the API key.
	v := newEnv(t, func(c *Config) {
		c.RevokeAllOfClient = true
		c.RevokeSecretOptional = true
		c.Wire.RevokePath = "/oauth/revoke"
		c.Clients = append(c.Clients, Client{ID: "other", Secret: "other-secret", RedirectURIs: []string{testRedirect}})
	})
	a, b := v.tokens(nil), v.tokens(nil)
	st, _ := postJSON(v, "/oauth/revoke", `{"client_id":"app","client_secret":"`+testSecret+`","token":"`+str(a, "refresh_token")+`"}`)
	require.Equal(t, http.StatusOK, st)
	for _, rt := range []string{str(a, "refresh_token"), str(b, "refresh_token")} {
		st, _ := v.refresh(rt)
		assert.Equal(t, http.StatusBadRequest, st)
	}

	c := v.tokens(nil)
	st, _ = postJSON(v, "/oauth/revoke", `{"client_id":"app","refresh_token":"`+str(c, "refresh_token")+`"}`)
	require.Equal(t, http.StatusOK, st, "client_secret optional, refresh_token accepted as the field name")
	st, _ = v.refresh(str(c, "refresh_token"))
	assert.Equal(t, http.StatusBadRequest, st)

	d := v.tokens(nil)
	st, body := postJSON(v, "/oauth/revoke", `{"client_id":"app","client_secret":"wrong","token":"`+str(d, "refresh_token")+`"}`)
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.Equal(t, "invalid_client", str(body, "error"))
	st, body = postJSON(v, "/oauth/revoke", `{"client_id":"other","client_secret":"other-secret","token":"`+str(d, "refresh_token")+`"}`)
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "unauthorized_client", str(body, "error"))
	st, _ = v.refresh(str(d, "refresh_token"))
	assert.Equal(t, http.StatusOK, st, "refused revocations revoke nothing")

	st, _ = postJSON(v, "/oauth/revoke", `{"client_id":"app","token":`)
	assert.Equal(t, http.StatusBadRequest, st)
}

func TestRevokeNeedsSecretByDefault(t *testing.T) {
	v := newEnv(t, nil)
	a := v.tokens(nil)
	st, _, _ := v.post("/revoke", url.Values{"client_id": {"app"}, "token": {str(a, "refresh_token")}})
	assert.Equal(t, http.StatusUnauthorized, st)
	st, _ = v.refresh(str(a, "refresh_token"))
	assert.Equal(t, http.StatusOK, st)
}

func TestInvalidate(t *testing.T) {
	v := newEnv(t, nil)
	a := v.tokens(nil)
	assert.True(t, v.srv.Engine.Invalidate(str(a, "access_token")))
	_, err := v.apiGet(str(a, "access_token"))
	assert.ErrorIs(t, err, ErrRevokedToken)
	st, _ := v.refresh(str(a, "refresh_token"))
	assert.Equal(t, http.StatusOK, st, "invalidating an access token leaves the refresh token")
	assert.False(t, v.srv.Engine.Invalidate("never-issued"))

	b := v.tokens(nil)
	v.srv.Engine.InvalidateUser("u1")
	_, err = v.apiGet(str(b, "access_token"))
	assert.ErrorIs(t, err, ErrRevokedToken)
	st, _ = v.refresh(str(b, "refresh_token"))
	assert.Equal(t, http.StatusBadRequest, st)
}
