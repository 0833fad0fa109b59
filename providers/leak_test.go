package providers

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/tradestation"
)

const leakSecret = "s3cr3t-client-secret-value"

func assertPrintsNoSecret(t *testing.T, name string, v any) {
	t.Helper()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		out := fmt.Sprintf(verb, v)
		if strings.Contains(out, leakSecret) || strings.Contains(out, fmt.Sprintf("%x", leakSecret)) {
			t.Errorf("%s printed with %s shows a secret: %s", name, verb, out)
		}
	}
}

// TestProvidersPrintNoSecret: no provider and no configuration, printed
// with any verb, shows the client secret or API key it holds.
func TestProvidersPrintNoSecret(t *testing.T) {
	for _, n := range Names() {
		cfg := baseConfig(n)
		cfg.ClientSecret = leakSecret
		cfg.APIKey = leakSecret
		p, err := New(n, cfg)
		if err != nil {
			t.Fatal(err)
		}
		assertPrintsNoSecret(t, n+" provider", p)
		assertPrintsNoSecret(t, n+" registry config", cfg)
	}
	for name, v := range map[string]any{
		"auth.Config":            auth.Config{Name: "x", ClientSecret: leakSecret},
		"tradestation.Config":    tradestation.Config{ClientSecret: leakSecret},
		"just2trade.Config":      just2trade.Config{ClientSecret: leakSecret},
		"autoshares.Config":      autoshares.Config{ClientSecret: leakSecret},
		"spotware.Config":        spotware.Config{ClientSecret: leakSecret},
		"spotware.SessionConfig": spotware.SessionConfig{ClientSecret: leakSecret},
	} {
		assertPrintsNoSecret(t, name, v)
		// A pointer to the value itself: &v would be a *any, which fmt
		// prints as an address whatever v holds.
		ptr := reflect.New(reflect.TypeOf(v))
		ptr.Elem().Set(reflect.ValueOf(v))
		assertPrintsNoSecret(t, "*"+name, ptr.Interface())
	}
}
