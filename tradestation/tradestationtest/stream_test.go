package tradestationtest

import (
	"bufio"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openStream GETs a stream with tok and returns the answer and a reader of
// its lines.
func openStream(t *testing.T, srv *Server, path, tok string) (*http.Response, *bufio.Scanner) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp, bufio.NewScanner(resp.Body)
}

func line(t *testing.T, sc *bufio.Scanner) string {
	t.Helper()
	require.True(t, sc.Scan(), "stream ended: %v", sc.Err())
	return sc.Text()
}

func TestStreamWireV3Orders(t *testing.T) {
	srv := NewServer(WithStreamHeartbeat(20 * time.Millisecond))
	defer srv.Close()
	tok, err := srv.IssueV3()
	require.NoError(t, err)
	resp, sc := openStream(t, srv, "/v3/brokerage/stream/accounts/11827462,NOPE/orders", tok.AccessToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/vnd.tradestation.streams.v2+json", resp.Header.Get("Content-Type"))
	assert.Equal(t, `{"AccountID":"NOPE","Error":"Forbidden","Message":"Not authorized for this account."}`, line(t, sc))
	assert.Equal(t, `{"StreamStatus":"EndSnapshot"}`, line(t, sc))
	assert.Regexp(t, `^\{"Heartbeat":1,"Timestamp":"[0-9T:Z-]+"\}$`, line(t, sc))

	srv.Faults().StallStreams(true)
	assert.Regexp(t, `^\{"Heartbeat":2,`, line(t, sc), "heartbeats go on while stalled")
	srv.Faults().StallStreams(false)

	assert.Equal(t, 1, srv.GoAwayStreams())
	for l := line(t, sc); l != `{"StreamStatus":"GoAway"}`; l = line(t, sc) {
		assert.Contains(t, l, "Heartbeat")
	}
	assert.False(t, sc.Scan(), "the stream ends after GoAway")
}

func TestStreamWireV3QuoteChangesAndTokenChecks(t *testing.T) {
	srv := NewServer(WithStreamHeartbeat(20 * time.Millisecond))
	defer srv.Close()
	tok, err := srv.IssueV3()
	require.NoError(t, err)
	_, sc := openStream(t, srv, "/v3/marketdata/stream/quotes/KO", tok.AccessToken)
	assert.True(t, strings.HasPrefix(line(t, sc), `{"Symbol":"KO","Open":"62.45"`), "the whole quote first")
	require.NoError(t, srv.SetQuote("KO", d("63")))
	l := line(t, sc)
	for strings.Contains(l, "Heartbeat") {
		l = line(t, sc)
	}
	assert.Contains(t, l, `"Last":"63"`)
	assert.Contains(t, l, `"Symbol":"KO"`)
	assert.NotContains(t, l, `"Volume"`, "only what changed")

	require.True(t, srv.InvalidateToken(tok.AccessToken))
	for l = line(t, sc); strings.Contains(l, "Heartbeat"); l = line(t, sc) {
	}
	assert.Contains(t, l, `"Error":"Unauthorized"`)
	assert.False(t, sc.Scan(), "the stream ends with its token")

	resp, _ := openStream(t, srv, "/v3/marketdata/stream/quotes/KO", tok.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "refused before streaming")
	assert.Equal(t, 0, srv.Faults().OpenStreams())
}

func TestStreamWireV2(t *testing.T) {
	srv := NewServer(WithStreamHeartbeat(20 * time.Millisecond))
	defer srv.Close()
	tok := v2Token(t, srv)
	resp, sc := openStream(t, srv, "/v2/stream/quote/snapshots/NOPE", tok)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/vnd.tradestation.streams+json", resp.Header.Get("Content-Type"))
	assert.Equal(t, "ERROR - FAILED, EX_INVALID_SYMBOL", line(t, sc))
	assert.False(t, sc.Scan(), "the stream ends after its error")
	require.Eventually(t, func() bool { return srv.Faults().OpenStreams() == 0 }, 5*time.Second, time.Millisecond)

	_, sc = openStream(t, srv, "/v2/Stream/Quote/Changes/MSFT", tok)
	assert.Contains(t, line(t, sc), `"TradeTime":"/Date(1767366245000)/"`)
	assert.Equal(t, 1, srv.BurstQuotes("msft", 3))
	for range 3 {
		assert.Regexp(t, `^\{"Symbol":"MSFT","Last":[0-9.]+,"Bid":[0-9.]+,"Ask":[0-9.]+,"LastSize":100\}$`, line(t, sc))
	}
	srv.GoAwayStreams()
	assert.Equal(t, "ERROR - RESET", line(t, sc))

	_, sc = openStream(t, srv, "/v2/stream/quote/snapshots/MSFT", tok)
	line(t, sc)
	require.True(t, srv.InvalidateToken(tok))
	assert.Equal(t, "END", line(t, sc), "the stream ends with its token")
	assert.False(t, sc.Scan())
}

// v2Token logs the seeded user in to WebAPI v2 and returns the access
// token.
func v2Token(t *testing.T, srv *Server) string {
	t.Helper()
	code := v2Code(t, srv, "code")
	status, tok := postForm(t, srv, "/v2/Security/Authorize", url.Values{"grant_type": {"authorization_code"},
		"client_id": {V2ClientID}, "client_secret": {V2ClientSecret}, "redirect_uri": {RedirectURL}, "code": {code}})
	require.Equal(t, http.StatusOK, status)
	return tok["access_token"].(string)
}
