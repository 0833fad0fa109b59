package tradestation

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
)

// FuzzParseImplicitFragment feeds arbitrary fragments to the implicit-grant
// parser: it must not panic, and its errors must not quote the token.
func FuzzParseImplicitFragment(f *testing.F) {
	for _, s := range []string{
		"#access_token=AT-secret&expires_in=86400&userid=u&state=st",
		"access_token=AT-secret&token_type=AccessToken",
		"#error=access_denied&error_description=no",
		"#%zz", "#state=st&state=st", "#expires_in=-5&access_token=AT-secret&state=st",
		"#expires_in=1e400&access_token=AT-secret&state=st", "",
	} {
		f.Add(s)
	}
	p, err := New(Config{Environment: auth.Live, ClientID: "id", ClientSecret: "s", API: V2, LegacyImplicit: true,
		Now: func() time.Time { return fixedNow }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, frag string) {
		tok, err := p.ParseImplicitFragment(frag, "st")
		if err != nil {
			if strings.Contains(frag, "AT-secret") && strings.Contains(err.Error(), "AT-secret") {
				t.Fatalf("error quotes the token: %v", err)
			}
			return
		}
		if tok.AccessToken == "" {
			t.Fatal("token without access token")
		}
	})
}

// FuzzQuoteSnapshot decodes arbitrary bodies as a v3 quotes answer: no
// panics, and a decoded price survives a round trip exactly.
func FuzzQuoteSnapshot(f *testing.F) {
	f.Add(`{"Quotes":[{"Symbol":"MSFT","Last":"212.85","TradeTime":"2020-11-18T15:19:14Z"}],"Errors":[{"Symbol":"X","Error":"FAILED"}]}`)
	f.Add(`{"Quotes":[{"Last":"1e-9999999"}]}`)
	f.Add(`{"Quotes":[{"TradeTime":""}]}`)
	f.Add(`{"Quotes":[{"TradeTime":123}]}`)
	f.Add(`{"Quotes":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		var out quoteSnapshot
		if json.Unmarshal([]byte(body), &out) != nil {
			return
		}
		for _, q := range out.Quotes {
			b, err := json.Marshal(q)
			if err != nil {
				return
			}
			var back Quote
			if err := json.Unmarshal(b, &back); err != nil {
				return
			}
			if !back.Last.Equal(q.Last) {
				t.Fatalf("Last changed in a round trip: %s -> %s", q.Last, back.Last)
			}
		}
	})
}
