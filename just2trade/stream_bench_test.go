package just2trade

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// quoteMessages is a market-data session: a full aggregate per symbol,
// then trades and aggregates of changed fields, as the feed sends them.
func quoteMessages() [][]byte {
	syms := []string{"AAPL", "MSFT", "GOOG", "BRK B"}
	var out [][]byte
	for _, s := range syms {
		out = append(out, fmt.Appendf(nil, `{"t":"a","s":%q,"a":172.15,"as":300,"b":172.1,"bs":200,"l":172.12,`+
			`"ls":100,"lm":"NASDAQ","v":31247680,"d":1700000000,"open":171.2,"high":173,"low":170.95,`+
			`"close":170.6,"change":1.52,"change_pc":0.89}`, s))
	}
	for i := range 60 {
		s := syms[i%len(syms)]
		if i%3 == 0 {
			out = append(out, fmt.Appendf(nil, `{"t":"t","s":%q,"ls":%d,"lm":"NASDAQ","l":172.%02d,"d":%d}`,
				s, 100+i, i, 1700000000+i))
			continue
		}
		out = append(out, fmt.Appendf(nil, `{"t":"a","s":%q,"b":172.%02d,"bs":%d,"a":172.%02d,"as":300,"d":%d}`,
			s, i, 200+i, i+1, 1700000000+i))
	}
	return out
}

// orderMessages is an account feed of orders: one per message, as changes
// arrive.
func orderMessages() [][]byte {
	var out [][]byte
	for i := range 64 {
		out = append(out, fmt.Appendf(nil, `{"t":"o","data":[{"account_number":"12345678@vision","client_id":"ORD-%06d",`+
			`"exchange":"auto","quantity":10,"executed_quantity":%d,"order_status":"partially_filled","price":172.15,`+
			`"stop_price":0,"time_in_force":"day","order_type":"limit","order_side":"buy","symbol":"AAPL",`+
			`"executed_price":172.1,"executed_timestamp":%d}]}`, i, i%10, 1700000000+i))
	}
	return out
}

// pairedDecode times typed against bare over the same messages, chunk by
// chunk in the same loop, and reports typed's ns per message and the
// ratio typed/bare as x-bare.
func pairedDecode(b *testing.B, msgs [][]byte, typed func(msg []byte) error) {
	joined := bytes.Join(msgs, []byte("\n"))
	var tTyped, tBare time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		for _, m := range msgs {
			if err := typed(m); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		dec := json.NewDecoder(bytes.NewReader(joined))
		for range msgs {
			var v map[string]any
			if err := dec.Decode(&v); err != nil {
				b.Fatal(err)
			}
		}
		t2 := time.Now()
		tTyped += t1.Sub(t0)
		tBare += t2.Sub(t1)
	}
	n := float64(b.N) * float64(len(msgs))
	b.ReportMetric(float64(tTyped.Nanoseconds())/n, "ns/msg")
	b.ReportMetric(float64(tBare.Nanoseconds())/n, "bare-ns/msg")
	b.ReportMetric(float64(tTyped)/float64(tBare), "x-bare")
}

// BenchmarkStreamDecodeQuotes: market-data messages into merged
// QuoteEvents (decimals, both field spellings) vs a bare json.Decoder
// into map[string]any over the same bytes.
func BenchmarkStreamDecodeQuotes(b *testing.B) {
	d := newQuoteDecoder()
	pairedDecode(b, quoteMessages(), func(m []byte) error {
		_, _, err := d.decode(m)
		return err
	})
}

// BenchmarkStreamDecodeOrders: account-feed order messages into
// OrderEvents vs a bare json.Decoder into map[string]any.
func BenchmarkStreamDecodeOrders(b *testing.B) {
	pairedDecode(b, orderMessages(), func(m []byte) error {
		_, list, err := splitAccount(m)
		if err != nil {
			return err
		}
		for _, raw := range list {
			if _, _, err := ordersKind.decode("", raw); err != nil {
				return err
			}
		}
		return nil
	})
}
