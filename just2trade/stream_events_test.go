package just2trade

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuoteDecoderMergesChangesIntoTheSnapshot(t *testing.T) {
	d := newQuoteDecoder()
	// The documentation's example names.
	ev, ok, err := d.decode([]byte(`{"t":"a","s":"AAPL","a":172.15,"as":300,"b":172.1,"bs":200,"l":172.12,"ls":100,` +
		`"lm":"NASDAQ","v":31247680,"d":1700000000,"open":171.2,"high":173,"low":170.95,"close":170.6,` +
		`"change":1.52,"change_pc":0.89}`))
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, QuoteAggregate, ev.Kind)
	q := ev.Quote
	assert.Equal(t, "AAPL", q.Symbol)
	assert.True(t, q.Ask.Equal(dec("172.15")) && q.Bid.Equal(dec("172.1")) && q.Last.Equal(dec("172.12")))
	assert.True(t, q.Open.Equal(dec("171.2")) && q.High.Equal(dec("173")) && q.Low.Equal(dec("170.95")))
	assert.True(t, q.Close.Equal(dec("170.6")) && q.Change.Equal(dec("1.52")) && q.ChangePc.Equal(dec("0.89")))
	assert.True(t, q.Volume.Equal(dec("31247680")) && q.AskSize.Equal(dec("300")))
	assert.Equal(t, int64(1700000000), q.Date.Unix())
	assert.Equal(t, "NASDAQ", ev.LastMarket)

	// A change: only the bid, written with more digits than a float64
	// holds, and as a string.
	ev, ok, err = d.decode([]byte(`{"t":"a","s":"AAPL","b":"172.100000000000000000001"}`))
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "172.100000000000000000001", ev.Quote.Bid.String(), "decimals exactly")
	assert.True(t, ev.Quote.Ask.Equal(dec("172.15")), "the ask is kept from the snapshot")
	assert.Equal(t, "NASDAQ", ev.LastMarket)

	// The field table's short names.
	ev, _, err = d.decode([]byte(`{"t":"a","s":"AAPL","o":1.5,"h":2.5,"c":3.5,"ch":0.25,"chpc":1.75}`))
	require.NoError(t, err)
	assert.True(t, ev.Quote.Open.Equal(dec("1.5")) && ev.Quote.High.Equal(dec("2.5")) && ev.Quote.Close.Equal(dec("3.5")))
	assert.True(t, ev.Quote.Change.Equal(dec("0.25")) && ev.Quote.ChangePc.Equal(dec("1.75")))

	// A trade.
	ev, _, err = d.decode([]byte(`{"t":"t","s":"AAPL","ls":5,"lm":"ARCA","l":172.5,"d":1700000100}`))
	require.NoError(t, err)
	assert.Equal(t, QuoteTrade, ev.Kind)
	assert.True(t, ev.Quote.Last.Equal(dec("172.5")) && ev.Quote.LastSize.Equal(dec("5")))
	assert.Equal(t, "ARCA", ev.LastMarket)
	assert.True(t, ev.Quote.Ask.Equal(dec("172.15")))

	// Another symbol starts from nothing.
	ev, _, err = d.decode([]byte(`{"t":"a","s":"MSFT","b":78.86}`))
	require.NoError(t, err)
	assert.True(t, ev.Quote.Ask.IsZero())
}

func TestQuoteDecoderErrorsAndBadInput(t *testing.T) {
	d := newQuoteDecoder()
	ev, ok, err := d.decode([]byte(`{"t":"e","s":"NOPE","data":{"code":"not_found","description":"Symbol\u0007 NOPE\nnot found"}}`))
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, QuoteError, ev.Kind)
	assert.Equal(t, "NOPE", ev.Quote.Symbol)
	require.NotNil(t, ev.Err)
	assert.NotContains(t, ev.Err.Description, "\n")
	assert.NotContains(t, ev.Err.Description, "\a")
	assert.ErrorIs(t, ev.Err, ErrNotFound)

	_, ok, err = d.decode([]byte(`{"t":"e","data":[{"code":"validation_error","description":"bad"}]}`))
	assert.False(t, ok)
	var se *StreamError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "validation_error", se.Code)
	assert.ErrorIs(t, err, ErrBadRequest)
	assert.Equal(t, "just2trade: stream error validation_error: bad", err.Error())

	_, ok, err = d.decode([]byte(`{"t":"x","s":"AAPL"}`))
	assert.NoError(t, err)
	assert.False(t, ok, "an unknown message is no event")

	_, _, err = d.decode([]byte(`{"t":"a","s":"AAPL","b":172.1}`))
	require.NoError(t, err)
	for _, bad := range []string{`{"t":"a","s":"AAPL","b":"NaN"}`, `{"t":"a","s":"AAPL","b":"1e99999999999"}`,
		`{"t":"a","s":"AAPL","a":1,"b":{}}`, `{"t":"a","b":1}`, `not json`, `{"t":"a","s":"AAPL","d":-5}`} {
		_, ok, err := d.decode([]byte(bad))
		assert.False(t, ok, bad)
		assert.ErrorIs(t, err, errMalformed, bad)
	}
	ev, _, err = d.decode([]byte(`{"t":"a","s":"AAPL","as":1}`))
	require.NoError(t, err)
	assert.True(t, ev.Quote.Bid.Equal(dec("172.1")), "a refused message changed nothing")
	assert.True(t, ev.Quote.Ask.IsZero())
}

func TestAccountItemsAndKinds(t *testing.T) {
	list, err := items(json.RawMessage(` [{"a":1}, {"b":2}] `))
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, `{"b":2}`, string(list[1]))
	list, err = items(json.RawMessage(`{"account":"x","positions":[]}`))
	require.NoError(t, err)
	require.Len(t, list, 1)
	list, err = items(nil)
	require.NoError(t, err)
	assert.Empty(t, list)
	_, err = items(json.RawMessage(`"no"`))
	assert.ErrorIs(t, err, errMalformed)

	raw := json.RawMessage(`{"account_number":"12345678@vision","client_id":"ORD-1","quantity":10,` +
		`"executed_quantity":0,"order_status":"new","price":172.100000000000000001,"symbol":"AAPL"}`)
	key, o, err := ordersKind.decode("12345678@vision", raw)
	require.NoError(t, err)
	assert.Equal(t, "ORD-1", key)
	assert.Equal(t, StatusNew, o.Status)
	assert.Equal(t, "172.100000000000000001", o.Price.String())
	assert.Equal(t, string(raw), string(o.Raw))

	key, p, err := positionsKind.decode("12345678@vision", json.RawMessage(`{"positions":[{"symbol":"AAPL","quantity":20}]}`))
	require.NoError(t, err)
	assert.Equal(t, "12345678@vision", key, "the subscribed account when the item has none")
	require.Len(t, p.Positions, 1)

	key, tr, err := tradesKind.decode("A", json.RawMessage(`{"symbol":"AAPL","quantity":-1,"price":10,"side":"sell"}`))
	require.NoError(t, err)
	assert.Equal(t, `{"symbol":"AAPL","quantity":-1,"price":10,"side":"sell"}`, key, "no trade_id: the bytes are the key")
	assert.Equal(t, "A", tr.Account)

	key, b, err := balancesKind.decode("", json.RawMessage(`{"account_number":"X","cash":1.10}`))
	require.NoError(t, err)
	assert.Equal(t, "X", key)
	assert.Equal(t, "1.1", b.Cash.String())

	_, _, err = ordersKind.decode("", json.RawMessage(`{"quantity":"lots"}`))
	assert.Error(t, err)
}

func TestStreamErrorIsCleaned(t *testing.T) {
	long := strings.Repeat("x", 5000)
	se := streamError(json.RawMessage(`{"code":"api_error\r\n","description":"` + long + `"}`))
	assert.NotContains(t, se.Code, "\n")
	assert.Less(t, len(se.Description), 5000)
	assert.False(t, errors.Is(se, ErrNotFound))
	se = streamError(json.RawMessage(`garbage`))
	assert.Equal(t, "just2trade: stream error (the broker gave no reason)", se.Error())
}

func FuzzQuoteDecoder(f *testing.F) {
	f.Add([]byte(`{"t":"a","s":"AAPL","a":172.15,"b":"1","d":1700000000,"open":1}`))
	f.Add([]byte(`{"t":"e","s":"X","data":{"code":"not_found","description":"no"}}`))
	f.Add([]byte(`{"t":"t","s":"AAPL","ls":5,"lm":7,"l":172.5}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		d := newQuoteDecoder()
		ev, ok, err := d.decode(msg)
		if ok && err != nil {
			t.Fatalf("an event and an error: %v", err)
		}
		if ok && ev.Kind != QuoteError && ev.Quote.Symbol == "" {
			t.Fatal("an event without a symbol")
		}
		if !bytes.Equal(ev.Raw, msg) && ok {
			t.Fatal("Raw is not the message")
		}
	})
}

func TestSplitAccount(t *testing.T) {
	for _, c := range []struct {
		msg   string
		t     string
		items []string
	}{
		{`{"t":"o","data":[{"client_id":"1"},{"client_id":"2","x":"]}\"["}]}`, "o", []string{`{"client_id":"1"}`, `{"client_id":"2","x":"]}\"["}`}},
		{` { "data" : { "account" : "A" } , "t" : "p" } `, "p", []string{`{ "account" : "A" }`}},
		{`{"t":"o","data":[]}`, "o", nil},
		{`{"t":"t","data":null,"extra":[1,{"a":true}]}`, "t", nil},
		{`{"t":"b"}`, "b", nil},
		{`{"t":"\u006f","data":[{"a":1}]}`, "o", []string{`{"a":1}`}}, // an escaped type: encoding/json's way
	} {
		typ, list, err := splitAccount([]byte(c.msg))
		require.NoError(t, err, c.msg)
		assert.Equal(t, c.t, typ, c.msg)
		var got []string
		for _, it := range list {
			got = append(got, string(it))
		}
		assert.Equal(t, c.items, got, c.msg)
	}
	for _, bad := range []string{``, `[]`, `{"t":"o","data":[{"a":1}}`, `{"t":"o","data":[{"a":1}]`,
		`{"t":"o","data":[{"a":1}]} x`, `{"t":"o","data":"str"}`, `{"t":"o","data":[{"a":1},]}`, `{"t" "o"}`} {
		_, _, err := splitAccount([]byte(bad))
		assert.ErrorIs(t, err, errMalformed, bad)
	}
}

// FuzzSplitAccount holds the fast walk to encoding/json: on valid JSON
// both split a message the same way.
func FuzzSplitAccount(f *testing.F) {
	f.Add([]byte(`{"t":"o","data":[{"client_id":"1"},{"client_id":"2"}]}`))
	f.Add([]byte(`{"t":"p","data":{"account":"A","positions":[]}}`))
	f.Add([]byte(`{"t":"e","data":{"code":"x","description":"y \" ] }"}}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		typ, list, err := splitAccount(msg)
		if !json.Valid(msg) {
			return
		}
		var w accountWire
		if json.Unmarshal(msg, &w) != nil {
			if err == nil {
				t.Fatalf("split %q that encoding/json refuses", msg)
			}
			return
		}
		want, werr := items(w.Data)
		if (werr != nil) != (err != nil) {
			t.Fatalf("split %q: err %v, encoding/json %v", msg, err, werr)
		}
		if err != nil {
			return
		}
		if typ != w.T || len(list) != len(want) {
			t.Fatalf("split %q: %q %d items, encoding/json %q %d", msg, typ, len(list), w.T, len(want))
		}
		for i := range list {
			if !bytes.Equal(bytes.TrimSpace(list[i]), bytes.TrimSpace(want[i])) {
				t.Fatalf("split %q: item %d %q, encoding/json %q", msg, i, list[i], want[i])
			}
		}
	})
}

// FuzzWalkQuote holds the fast market-data walk to encoding/json: where
// the walk takes a message, encoding/json decodes it to the same members.
func FuzzWalkQuote(f *testing.F) {
	for _, m := range quoteMessages() {
		f.Add(m)
	}
	f.Add([]byte(`{"t":"a","s":"X","b":"1.5","lm":7,"x":"y","B":1}`))
	f.Add([]byte(`{"t":"a","s":"X","b":-0.5e+3,"open":0,"change_pc":"-1"}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		var fast quoteWire
		if !walkQuote(msg, &fast) {
			return
		}
		var slow quoteWire
		if err := json.Unmarshal(msg, &slow); err != nil {
			t.Fatalf("walked %q, which encoding/json refuses: %v", msg, err)
		}
		if fmt.Sprintf("%#v", fast) != fmt.Sprintf("%#v", slow) {
			t.Fatalf("walked %q to\n%#v\nencoding/json:\n%#v", msg, fast, slow)
		}
	})
}
