package autoshares_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/jarcoal/httpmock"
)

// BenchmarkPositionsDecode measures a positions page through the client
// (request, error-shape checks, decode) against the baseline of decoding
// the same body with encoding/json alone.
func BenchmarkPositionsDecode(b *testing.B) {
	body, err := os.ReadFile("testdata/positions_page.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline=json.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p struct{ Result []autoshares.Position }
			if err := json.Unmarshal(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("client", func(b *testing.B) {
		mt := httpmock.NewMockTransport()
		mt.RegisterResponder("GET", "https://api.autoshares.dev/v1.0/accounts/6303/positions",
			httpmock.NewBytesResponder(200, body))
		c := autoshares.NewClient(&http.Client{Transport: mt}, autoshares.WithBaseURL("https://api.autoshares.dev"), autoshares.WithAPIKey("k"))
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Positions.List(ctx, "6303", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
