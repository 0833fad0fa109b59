package emulate

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These helpers speak to the emulator as curl would: no brokerkit client
// code, the PKCE verifier and challenge and the form posts written by hand
// from the announced Info.

type rawToken struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
	Type    string `json:"token_type"`
	Expires int    `json:"expires_in"`
}

// pkce returns a verifier (43 characters of base64url) and its S256
// challenge (RFC 7636 §4.1-4.2).
func pkce(t *testing.T) (verifier, challenge string) {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

const rawRedirect = "http://127.0.0.1:8765/callback/tradestation"

func authorizeURL(b Info, state, challenge string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {b.ClientID}, "redirect_uri": {rawRedirect},
		"scope": {strings.Join(b.Scopes, " ")}, "state": {state}, "code_challenge": {challenge},
		"code_challenge_method": {"S256"}}
	for k, v := range b.AuthorizeParams {
		q.Set(k, v)
	}
	return b.AuthorizeURL + "?" + q.Encode()
}

// rawLogin runs the authorization-code flow with PKCE, the emulator
// auto-approving the seeded user.
func rawLogin(t *testing.T, b Info) rawToken {
	t.Helper()
	status, _ := admin(t, "POST", b.AdminURL+"/auto-approve", `{"user":"`+b.Users[0].Login+`"}`)
	require.Equal(t, 200, status)
	verifier, challenge := pkce(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authorizeURL(b, "state-123", challenge))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	cb, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "state-123", cb.Query().Get("state"))
	code := cb.Query().Get("code")
	require.NotEmpty(t, code, "callback %s", cb.Redacted())

	resp, err = http.PostForm(b.TokenURL, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {rawRedirect}, "client_id": {b.ClientID}, "client_secret": {b.ClientSecret},
		"code_verifier": {verifier}})
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var tok rawToken
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	require.NotEmpty(t, tok.Access)
	return tok
}

// apiStatus calls the accounts endpoint with the access token.
func apiStatus(t *testing.T, b Info, access string) int {
	t.Helper()
	req, err := http.NewRequest("GET", b.APIURL+"/v3/brokerage/accounts", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestRawHTTPAuthorizationCodeWithPKCE(t *testing.T) {
	s := start(t, Options{Brokers: []string{"tradestation"}})
	b := info(t, s, "tradestation")

	tok := rawLogin(t, b)
	assert.Equal(t, "Bearer", tok.Type)
	assert.Positive(t, tok.Expires)
	assert.NotEmpty(t, tok.Refresh, "offline_access gives a refresh token")

	req, err := http.NewRequest("GET", b.APIURL+"/v3/brokerage/accounts", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok.Access)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var accts struct {
		Accounts []struct{ AccountID string }
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&accts))
	require.NotEmpty(t, accts.Accounts)
	assert.NotEmpty(t, accts.Accounts[0].AccountID)

	// The refresh grant, by hand too.
	resp, err = http.PostForm(b.TokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.Refresh},
		"client_id": {b.ClientID}, "client_secret": {b.ClientSecret}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestRawHTTPPKCEVerifierIsChecked(t *testing.T) {
	s := start(t, Options{Brokers: []string{"tradestation"}})
	b := info(t, s, "tradestation")
	status, _ := admin(t, "POST", b.AdminURL+"/auto-approve", `{"user":"trader"}`)
	require.Equal(t, 200, status)
	_, challenge := pkce(t)
	wrong, _ := pkce(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authorizeURL(b, "s", challenge))
	require.NoError(t, err)
	resp.Body.Close()
	cb, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	resp, err = http.PostForm(b.TokenURL, url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")},
		"redirect_uri": {rawRedirect}, "client_id": {b.ClientID}, "client_secret": {b.ClientSecret},
		"code_verifier": {wrong}})
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	var e struct{ Error string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	assert.Equal(t, "invalid_grant", e.Error)
}
