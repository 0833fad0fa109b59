package providers

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/tradestation"
)

const renderSecret = "rndr-S3CRET-77aa11bb"

// renderings returns every way a value is commonly turned into text: the
// fmt verbs, json.Marshal of the value, of a pointer to it and of a struct
// holding it, and the slog JSON and text handlers.
func renderings(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	b, err := json.Marshal(v)
	require.NoError(t, err, "json.Marshal(%T)", v)
	out["json"] = string(b)
	b, err = json.Marshal(&v)
	require.NoError(t, err, "json.Marshal(&%T)", v)
	out["json pointer"] = string(b)
	b, err = json.Marshal(struct{ Config any }{v})
	require.NoError(t, err, "json.Marshal(struct{%T})", v)
	out["json nested"] = string(b)
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog JSON": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("config", "cfg", v, slog.Group("g", "inner", v))
		out[name] = buf.String()
		require.NotContains(t, buf.String(), "!ERROR", "%s could not render %T", name, v)
	}
	return out
}

// assertNoLeak fails for every rendering that shows the secret, verbatim
// or hex-encoded.
func assertNoLeak(t *testing.T, what string, v any) {
	t.Helper()
	for how, s := range renderings(t, v) {
		lower := strings.ToLower(s)
		if strings.Contains(s, renderSecret) || strings.Contains(lower, hex.EncodeToString([]byte(renderSecret))) {
			t.Errorf("%s rendered with %s leaks the secret: %s", what, how, s)
		}
	}
}

// TestConfigsRenderNoSecret: no configuration that holds a client secret
// or an API key shows it through fmt, encoding/json or log/slog, and every
// one of them can be marshalled (so logged) at all.
func TestConfigsRenderNoSecret(t *testing.T) {
	now := func() time.Time { return time.Time{} }
	hc := &http.Client{}
	for name, v := range map[string]any{
		"auth.Config": auth.Config{Name: "x", ClientID: "id", ClientSecret: renderSecret,
			HTTPClient: hc, Now: now},
		"tradestation.Config": tradestation.Config{ClientID: "id", ClientSecret: renderSecret, HTTPClient: hc, Now: now},
		"just2trade.Config":   just2trade.Config{ClientID: "id", ClientSecret: renderSecret, HTTPClient: hc, Now: now},
		"autoshares.Config":   autoshares.Config{ClientID: "id", ClientSecret: renderSecret, HTTPClient: hc, Now: now},
		"spotware.Config":     spotware.Config{ClientID: "id", ClientSecret: renderSecret, HTTPClient: hc, Now: now},
		"spotware.SessionConfig": spotware.SessionConfig{Addr: "127.0.0.1:5035", ClientID: "id",
			ClientSecret: renderSecret},
		"providers.Config": Config{ClientID: "id", ClientSecret: renderSecret, APIKey: renderSecret,
			HTTPClient: hc, Now: now},
	} {
		assertNoLeak(t, name, v)
	}
}

// TestConfigLoadsFromJSON: a configuration file with real secrets loads
// into Config, and what json.Marshal writes back holds none of them.
func TestConfigLoadsFromJSON(t *testing.T) {
	var cfg Config
	require.NoError(t, json.Unmarshal([]byte(`{"ClientID":"id","ClientSecret":"`+renderSecret+`",
		"APIKey":"`+renderSecret+`-key","RedirectURL":"https://app.example.com/cb","Domain":"tenant.example.com","Environment":"demo"}`), &cfg))
	require.Equal(t, renderSecret, cfg.ClientSecret.Reveal())
	require.Equal(t, renderSecret+"-key", cfg.APIKey.Reveal())
	_, err := New(AutoShares, cfg)
	require.NoError(t, err)
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	require.NotContains(t, string(b), renderSecret)
	require.Contains(t, string(b), `"ClientSecret":"[redacted]"`)
}
