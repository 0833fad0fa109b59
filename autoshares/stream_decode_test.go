package autoshares

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecodeDocumentedQuoteFrame decodes the quote frame of the broker's
// streaming docs: every value a string, decoded exactly.
func TestDecodeDocumentedQuoteFrame(t *testing.T) {
	b, err := os.ReadFile("testdata/stream_quote.json")
	require.NoError(t, err)
	f, err := decodeQuoteFrame(b)
	require.NoError(t, err)
	q, err := f.quote(b)
	require.NoError(t, err)
	assert.Equal(t, int64(738939), q.SecurityID)
	for _, c := range []struct {
		name, got, want string
	}{
		{"Ask", q.Ask.String(), "76"}, {"Bid", q.Bid.String(), "72.9"}, {"Last", q.Last.String(), "69"},
		{"Price", q.Price.String(), "69"}, {"AskSize", q.AskSize.String(), "36"}, {"BidSize", q.BidSize.String(), "23"},
		{"Week52Low", q.Week52Low.String(), "67.8"}, {"Week52High", q.Week52High.String(), "125.9"},
		{"OpenInterest", q.OpenInterest.String(), "4"}, {"Volume", q.Volume.String(), "2"},
	} {
		assert.Equal(t, c.want, c.got, c.name)
	}
	assert.Equal(t, time.Date(2015, 8, 11, 13, 51, 18, 0, time.UTC), q.Time)
	assert.Equal(t, time.Date(2015, 8, 20, 20, 0, 0, 0, time.UTC), q.AskTime)
	assert.True(t, q.BidTime.IsZero(), "01/01/1970 00:00:00 is the streamer's never")
	assert.Equal(t, string(b), string(q.Raw))
}

// TestDecodeQuoteExact: prices beyond float64's precision survive.
func TestDecodeQuoteExact(t *testing.T) {
	b := []byte(`{"EntityType":"Quote","Key":"4","Bid":"196.123456789012345678","Ask":"0.1","Change":"-0.30","Volume":"","Date":""}`)
	f, err := decodeQuoteFrame(b)
	require.NoError(t, err)
	q, err := f.quote(b)
	require.NoError(t, err)
	assert.Equal(t, "196.123456789012345678", q.Bid.String())
	assert.Equal(t, "0.1", q.Ask.String())
	assert.Equal(t, "-0.3", q.Change.String())
	assert.True(t, q.Volume.IsZero(), "an empty value is zero")
	assert.True(t, q.Time.IsZero())
}

// TestDecodeQuoteBadFields: a value that is not what the streamer promises
// is an error naming the field, never a panic or a silent zero.
func TestDecodeQuoteBadFields(t *testing.T) {
	for _, c := range []struct{ frame, want string }{
		{`{"Key":"4","Ask":"seventy"}`, `Ask "seventy" is not a number`},
		{`{"Key":"4","Bid":"NaN"}`, `Bid "NaN" is not a number`},
		{`{"Key":"4","Date":"2015-08-11"}`, `Date "2015-08-11" is not a date`},
		{`{"Key":"x","Ask":"1"}`, `key "x" is not a security id`},
		{`{"Key":"-4"}`, `key "-4" is not a security id`},
		{`{"Ask":"1"}`, `key "" is not a security id`},
	} {
		f, err := decodeQuoteFrame([]byte(c.frame))
		require.NoError(t, err, c.frame)
		_, err = f.quote([]byte(c.frame))
		assert.EqualError(t, err, c.want, c.frame)
	}
	for _, frame := range []string{`[1,2]`, `{"Ask":76}`, `not json`, ``} {
		_, err := decodeQuoteFrame([]byte(frame))
		assert.Error(t, err, frame)
	}
}

// BenchmarkQuoteDecode decodes the documented quote frame (41 string
// fields) into a Quote with exact decimals and times, paired in one loop
// with two bare baselines over the same bytes: a json.Decoder into
// map[string]any (x-bare) and a json.Decoder into the frame's struct of
// strings, with no decimal or time parsing (x-struct).
func BenchmarkQuoteDecode(b *testing.B) {
	frame, err := os.ReadFile("testdata/stream_quote.json")
	if err != nil {
		b.Fatal(err)
	}
	var ours, bare, strs time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		f, err := decodeQuoteFrame(frame)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.quote(frame); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		var m map[string]any
		if err := json.NewDecoder(bytes.NewReader(frame)).Decode(&m); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		var w quoteFrame
		if err := json.NewDecoder(bytes.NewReader(frame)).Decode(&w); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		ours, bare, strs = ours+t1.Sub(t0), bare+t2.Sub(t1), strs+t3.Sub(t2)
	}
	b.ReportMetric(float64(ours)/float64(bare), "x-bare")
	b.ReportMetric(float64(ours)/float64(strs), "x-struct")
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "ns/quote")
}
