package contract_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/internal/origin/origintest"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/tradestation"
)

// restBroker is what the redirect test needs of a REST broker: a provider
// whose hosts all point at base, and one API call through p.NewClient.
type restBroker struct {
	name     string
	provider func(base string) (auth.Provider, error)
	call     func(ctx context.Context, p auth.Provider, src auth.TokenSource) error
	path     string   // an API path the origin answers for the same-origin hop
	audience string   // the token's audience, where the client checks it
	secrets  []string // credentials of the app that must stay home too
}

const redirectToken = "contract-redirect-ACCESS-7f6e5d"

func restBrokers() []restBroker {
	return []restBroker{{
		name: "tradestation",
		provider: func(base string) (auth.Provider, error) {
			return tradestation.New(tradestation.Config{Environment: auth.Live, ClientID: "key",
				RedirectURL: "http://localhost:3000/cb", BaseURL: base})
		},
		call: func(ctx context.Context, p auth.Provider, src auth.TokenSource) error {
			_, err := p.(*tradestation.Provider).NewClient(src).Accounts.List(ctx)
			return err
		},
		path: "/v3/brokerage/accounts", audience: tradestation.TradingAudience,
	}, {
		name: "just2trade",
		provider: func(base string) (auth.Provider, error) {
			return just2trade.New(just2trade.Config{ClientID: "app", ClientSecret: "app-secret",
				RedirectURL: "http://127.0.0.1/cb", Environment: just2trade.EnvJust2Trade, BaseURL: base})
		},
		call: func(ctx context.Context, p auth.Provider, src auth.TokenSource) error {
			_, err := p.(*just2trade.Provider).NewClient(src).Accounts.List(ctx)
			return err
		},
		path: "/accounts",
	}, {
		name: "autoshares",
		provider: func(base string) (auth.Provider, error) {
			return autoshares.New(autoshares.Config{BaseURL: base, ClientID: "app", ClientSecret: "app-secret",
				RedirectURL: "http://127.0.0.1/cb", Environment: auth.Demo, APIKey: "contract-redirect-APPKEY-1a2b"})
		},
		call: func(ctx context.Context, p auth.Provider, src auth.TokenSource) error {
			_, err := p.(*autoshares.Provider).NewClient(src).Profile.Get(ctx)
			return err
		},
		path: "/v1.0/users/@me/info", secrets: []string{"contract-redirect-APPKEY-1a2b"},
	}}
}

// TestClientRedirects holds every REST broker to one rule: credentials
// (the bearer token, an application's API key) go only to the origin a
// request was made to. A redirect to another origin is refused with an
// error matching auth.ErrCrossOriginRedirect, through auth.NewClient and
// through the broker's own client, and nothing reaches the other origin;
// a redirect within the origin is still followed with the token.
func TestClientRedirects(t *testing.T) {
	for _, b := range restBrokers() {
		t.Run(b.name, func(t *testing.T) {
			pair := origintest.New(t)
			p, err := b.provider(pair.Origin.URL)
			require.NoError(t, err)
			src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(b.name, "alice"))
			require.NoError(t, err)
			ctx := context.Background()
			require.NoError(t, src.SetToken(ctx, &auth.Token{AccessToken: redirectToken, TokenType: "Bearer",
				Expiry: time.Now().Add(time.Hour), Audience: b.audience}))
			hc := auth.NewClient(src)

			resp, err := hc.Get(pair.Origin.URL + b.path)
			if resp != nil {
				resp.Body.Close()
			}
			require.ErrorIs(t, err, auth.ErrCrossOriginRedirect)

			err = b.call(ctx, p, src)
			require.ErrorIs(t, err, auth.ErrCrossOriginRedirect)
			assert.NotContains(t, err.Error(), redirectToken)
			assert.Empty(t, pair.Leaks(append([]string{redirectToken}, b.secrets...)...))
			assert.Empty(t, pair.ForeignHeaders(), "nothing reaches the other origin")

			resp, err = hc.Get(pair.Origin.URL + "/same" + b.path)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			last := pair.OriginHeaders()[len(pair.OriginHeaders())-1]
			assert.Equal(t, "Bearer "+redirectToken, last.Get("Authorization"), "the same-origin hop carries the token")
		})
	}
}
