package autoshares

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds untrusted answer bodies to every parser of this
// package: error shapes, pages, agreements, users, times, quote-stream
// frames. None may panic, a time that parses must survive its own round
// trip, and a quote that decodes must have its security id.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{`"2019-02-19T14:53:28"`, `636861848080000000`, `"08/20/2015 20:00:00"`, `-1`, `1e300`,
		`{"IsSuccessful":false}`, `{"Key":"4","ask":"1","Ask":"2","AskUpdate":false,"Bid":null}`, `{"Cmd":"Session","StatusCode":"Error"}`, `{"IsSucceed":false,"StatusCode":"x"}`, `[{"Id":"x"}]`, `{"Result":null}`} {
		f.Add([]byte(s))
	}
	c := NewClient(nil, WithBaseURL("https://api.autoshares.dev"), WithAPIKey("k"))
	f.Fuzz(func(t *testing.T, body []byte) {
		if oc := orderCheck("POST", "/p", 200, body); oc != nil && oc.Reason == "" {
			t.Fatal("an order-check failure without a reason")
		}
		if sc, failed := wrappedFailure(body); failed && (sc < 400 || sc > 599) {
			t.Fatalf("wrapped failure with status %d", sc)
		}
		var page wirePage[Position]
		_ = json.Unmarshal(body, &page)
		var users []User
		_ = json.Unmarshal(body, &users)
		var u User
		_ = json.Unmarshal(body, &u)
		var raw []json.RawMessage
		if json.Unmarshal(body, &raw) == nil {
			for _, r := range raw {
				_, _ = c.decodeAgreement(r)
			}
		}
		var fast, slow quoteFrame
		if scanFrame(body, &fast) {
			if err := json.Unmarshal(body, &slow); err != nil || fast != slow {
				t.Fatalf("the frame scanner and encoding/json disagree on %q: %+v vs %+v (%v)", body, fast, slow, err)
			}
		}
		if f, err := decodeQuoteFrame(body); err == nil {
			if q, err := f.quote(body); err == nil && q.SecurityID <= 0 {
				t.Fatalf("quote without a security id from %s", body)
			}
		}
		var tm Time
		if json.Unmarshal(body, &tm) == nil && !tm.IsZero() {
			out, err := json.Marshal(tm)
			if err != nil {
				return // a year outside RFC 3339's range
			}
			var back Time
			if err := json.Unmarshal(out, &back); err != nil || !back.Equal(tm.Time) {
				t.Fatalf("time %s did not survive a round trip: %s, %v", body, out, err)
			}
		}
	})
}
