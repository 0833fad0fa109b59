package just2trade

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedFixtures adds every testdata fixture to f's corpus.
func seedFixtures(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"application":null,"applications":null}`))
	f.Add([]byte(`{"date":"1e400","ask":"NaN"}`))
}

// FuzzDecode feeds arbitrary bodies to every type the client decodes from
// the broker: none may panic, and a decoded profile keeps its shape rule.
func FuzzDecode(f *testing.F) {
	seedFixtures(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Profile
		if json.Unmarshal(b, &p) == nil && p.Applications != nil && len(p.Applications) == 0 {
			// encoding/json matches object keys to fields case-insensitively
			// (exactly as strings.EqualFold), so "Applications" is the
			// field as much as "applications" is.
			var raw map[string]json.RawMessage
			_ = json.Unmarshal(b, &raw)
			found := false
			for k := range raw {
				found = found || strings.EqualFold(k, "applications")
			}
			if !found {
				t.Fatalf("applications invented from %q", b)
			}
		}
		var q []Quote
		_ = json.Unmarshal(b, &q)
		var one Quote
		_ = json.Unmarshal(b, &one)
		var bals []Balance
		_ = json.Unmarshal(b, &bals)
		var tp tradesAnswer
		_ = json.Unmarshal(b, &tp)
		var xp transactionsAnswer
		_ = json.Unmarshal(b, &xp)
		var o Order
		_ = json.Unmarshal(b, &o)
		var ts Time
		if json.Unmarshal(b, &ts) == nil && !ts.IsZero() {
			if _, err := json.Marshal(ts); err != nil {
				t.Fatalf("timestamp %v does not marshal: %v", ts, err)
			}
		}
	})
}
