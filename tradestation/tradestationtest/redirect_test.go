package tradestationtest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

func TestWithRedirectURL(t *testing.T) {
	const cb = "http://127.0.0.1:4567/callback/tradestation"
	login := func(srv *tradestationtest.Server) (string, error) {
		cfg := srv.Config()
		cfg.RedirectURL = cb
		p, err := tradestation.New(cfg)
		require.NoError(t, err)
		flow, err := auth.Begin(p)
		require.NoError(t, err)
		u, err := srv.Consent(context.Background(), flow.URL)
		if err != nil {
			return "", err
		}
		_, err = flow.CompleteURL(context.Background(), p, u)
		return u, err
	}

	plain := tradestationtest.NewServer()
	defer plain.Close()
	_, err := login(plain)
	assert.Error(t, err, "only RedirectURL is registered by default")

	srv := tradestationtest.NewServer(tradestationtest.WithRedirectURL("http://127.0.0.1/callback/tradestation"))
	defer srv.Close()
	u, err := login(srv)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(u, cb+"?"), u)
}

func TestStartReportsBadOptions(t *testing.T) {
	srv, err := tradestationtest.Start(tradestationtest.WithRedirectURL("::bad"))
	require.Error(t, err)
	assert.Nil(t, srv)
	assert.Contains(t, err.Error(), "::bad")
	assert.Panics(t, func() { tradestationtest.NewServer(tradestationtest.WithRedirectURL("::bad")) })

	// A started server's v3 issuer is the URL it serves: the ID token says
	// so.
	srv, err = tradestationtest.Start()
	require.NoError(t, err)
	defer srv.Close()
	p, err := tradestation.New(srv.Config())
	require.NoError(t, err)
	flow, err := auth.Begin(p)
	require.NoError(t, err)
	cb, err := srv.Consent(context.Background(), flow.URL)
	require.NoError(t, err)
	tok, err := flow.CompleteURL(context.Background(), p, cb)
	require.NoError(t, err)
	var idToken string
	require.NoError(t, json.Unmarshal(tok.Extra["id_token"], &idToken))
	parts := strings.Split(idToken, ".")
	require.Len(t, parts, 3)
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	assert.Contains(t, string(claims), `"iss":"`+srv.URL()+`/"`)
}
