package spotware_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
)

// spotRenderings is every way an application might print or log v, plus
// the server's text read directly from a *spotware.Error in its chain.
func spotRenderings(v any) map[string]string {
	out := map[string]string{
		"%v": fmt.Sprintf("%v", v), "%+v": fmt.Sprintf("%+v", v), "%#v": fmt.Sprintf("%#v", v),
		"%s": fmt.Sprintf("%s", v), "%q": fmt.Sprintf("%q", v),
	}
	var jb, tb bytes.Buffer
	slog.New(slog.NewJSONHandler(&jb, nil)).Error("spotware", "v", v)
	slog.New(slog.NewTextHandler(&tb, nil)).Error("spotware", "v", v)
	out["slog JSON"], out["slog text"] = jb.String(), tb.String()
	if b, err := json.Marshal(v); err == nil {
		out["json.Marshal"] = string(b)
	}
	if err, ok := v.(error); ok {
		out["Error()"] = err.Error()
		var se *spotware.Error
		if asError(err, &se) {
			out["fields"] = se.Code + "|" + se.Description
		}
	}
	return out
}

func asError(err error, target **spotware.Error) bool {
	for err != nil {
		if e, ok := err.(*spotware.Error); ok {
			*target = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// TestServerTextLeaksNoSecret: a cTrader server whose error descriptions
// and event reasons quote the access token it was sent (inside the
// protobuf request), the refresh token and the client secret, with CR and
// LF. No error, no event and no rendering of either carries them.
func TestServerTextLeaksNoSecret(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	tok, err := e.tokens.TokenContext(ctx)
	require.NoError(t, err)
	secrets := []string{tok.AccessToken, tok.RefreshToken, spotwaretest.ClientSecret}
	echo := "you sent " + tok.AccessToken + "\r\nrefresh " + tok.RefreshToken + "\nsecret " + spotwaretest.ClientSecret +
		" escaped " + url.QueryEscape(tok.AccessToken)

	check := func(what string, v any) {
		t.Helper()
		for how, s := range spotRenderings(v) {
			for _, sec := range secrets {
				if len(sec) < 8 {
					t.Fatalf("secret %q too short to test", sec)
				}
				for _, f := range []string{sec, url.QueryEscape(sec), sec[:8]} {
					if strings.Contains(s, f) {
						t.Errorf("%s %s leaks %q: %s", what, how, f, s)
					}
				}
			}
			if how == "Error()" {
				assert.NotContains(t, s, "\n", what)
				assert.NotContains(t, s, "\r", what)
			}
		}
	}

	// A request that carries the token.
	e.srv.FailNext(ptProfile, "INVALID_REQUEST", echo, 1)
	_, err = e.sess.Profile(ctx)
	apiError(t, err, "INVALID_REQUEST")
	check("Profile", err)

	e.srv.FailNext(ptAccountAuth, "INVALID_REQUEST", echo, 1)
	err = e.sess.AuthorizeAccount(ctx, spotwaretest.DemoAccount)
	apiError(t, err, "INVALID_REQUEST")
	check("AuthorizeAccount", err)

	// A request without the token, answered by an echo of it: the session
	// knows what it has sent.
	require.NoError(t, e.sess.AuthorizeAccount(ctx, spotwaretest.DemoAccount))
	e.srv.FailNext(uint32(openapi.ProtoOAPayloadType_PROTO_OA_TRADER_REQ), "INVALID_REQUEST", echo, 1)
	_, err = e.sess.Trader(ctx, spotwaretest.DemoAccount)
	se := apiError(t, err, "INVALID_REQUEST")
	check("Trader", err)
	assert.Contains(t, se.Description, "[redacted]")

	// Event reasons: a token invalidation and a disconnect quoting it.
	require.Equal(t, 1, e.srv.InvalidateAccounts(echo, spotwaretest.DemoAccount))
	e.events.waitFor(t, spotware.EventTokenInvalidated, 1, 5*time.Second)
	require.Equal(t, 1, e.srv.DisconnectClients(echo))
	e.events.waitFor(t, spotware.EventServerDisconnect, 1, 5*time.Second)
	e.events.waitFor(t, spotware.EventDisconnected, 1, 5*time.Second)
	e.events.mu.Lock()
	events := append([]spotware.Event(nil), e.events.all...)
	e.events.mu.Unlock()
	for _, ev := range events {
		check("event "+ev.Kind.String(), ev)
		check("event reason "+ev.Kind.String(), ev.Reason)
		if ev.Err != nil {
			check("event error "+ev.Kind.String(), ev.Err)
		}
	}
}

// TestServerRetryHintIsCapped: a rate-limit answer asking for a wait of ten
// years is read as the one cap on server waits, a week.
func TestServerRetryHintIsCapped(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.RateLimitNext(ptProfile, "REQUEST_FREQUENCY_EXCEEDED", 10*365*24*time.Hour, 1)
	_, err := e.sess.Profile(t.Context())
	se := apiError(t, err, "REQUEST_FREQUENCY_EXCEEDED")
	assert.Equal(t, 7*24*time.Hour, se.RetryAfter)
}
