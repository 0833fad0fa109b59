package spotware

import (
	"bytes"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/spotware/internal/wire"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"google.golang.org/protobuf/proto"
)

// spotFrames returns n spot-event frames as the server sends them: two
// symbols, one side or both, with timestamps.
func spotFrames(tb testing.TB, n int) []byte {
	tb.Helper()
	var out []byte
	for i := range n {
		ev := &openapi.ProtoOASpotEvent{CtidTraderAccountId: proto.Int64(5001), SymbolId: proto.Int64(int64(1 + i%2)),
			Timestamp: proto.Int64(1_763_800_000_000 + int64(i))}
		if i%3 != 2 {
			ev.Bid = proto.Uint64(uint64(108_500 + i%64))
		}
		if i%3 != 1 {
			ev.Ask = proto.Uint64(uint64(108_512 + i%64))
		}
		var err error
		out, err = wire.AppendMessage(out, ev, "", proto.MarshalOptions{})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// BenchmarkSpotDecode compares brokerkit's path for a spot frame (frame
// reader, envelope, spot decode, merge with the last known prices into a
// Quote with exact decimals) with a bare proto.Unmarshal of the same
// frames into the generated messages (envelope, then spot event).
func BenchmarkSpotDecode(b *testing.B) {
	const n = 1024
	stream := spotFrames(b, n)
	var bodies [][]byte
	r := wire.NewReader(bytes.NewReader(stream), 0)
	for {
		body, err := r.Next()
		if err != nil {
			break
		}
		bodies = append(bodies, bytes.Clone(body))
	}
	now := time.Now()

	b.Run("brokerkit", func(b *testing.B) {
		br := bytes.NewReader(stream)
		fr := wire.NewReader(br, 0)
		var ev openapi.ProtoOASpotEvent
		states := map[int64]*quoteState{1: {}, 2: {}}
		var sink Quote
		b.ReportAllocs()
		b.SetBytes(int64(len(stream) / n))
		for i := 0; b.Loop(); i++ {
			if i%n == 0 {
				br.Reset(stream)
			}
			body, err := fr.Next()
			if err != nil {
				b.Fatal(err)
			}
			env, err := wire.ParseEnvelope(body)
			if err != nil || env.PayloadType != ptSpot {
				b.Fatal("bad envelope", err)
			}
			if err := decodeSpot(env.Payload, &ev); err != nil {
				b.Fatal(err)
			}
			sink = states[ev.GetSymbolId()].merge(&ev, now)
		}
		if !sink.HasBid {
			b.Fatal("no quote")
		}
	})

	b.Run("proto.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(stream) / n))
		for i := 0; b.Loop(); i++ {
			var env openapi.ProtoMessage
			if err := proto.Unmarshal(bodies[i%n], &env); err != nil {
				b.Fatal(err)
			}
			var ev openapi.ProtoOASpotEvent
			if err := proto.Unmarshal(env.GetPayload(), &ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSpotDecodeRatio runs both paths of BenchmarkSpotDecode over the
// same 1024 frames in every iteration, timing each, and reports the
// ratio (x-bare: brokerkit's time ÷ proto.Unmarshal's). brokerkit's path
// here is all the reader goroutine does for a quote: frame, envelope,
// decode, merge with the last known prices, queue for the stream's
// goroutine (and that goroutine taking the batch).
func BenchmarkSpotDecodeRatio(b *testing.B) {
	const n = 1024
	stream := spotFrames(b, n)
	var bodies [][]byte
	r := wire.NewReader(bytes.NewReader(stream), 0)
	for {
		body, err := r.Next()
		if err != nil {
			break
		}
		bodies = append(bodies, bytes.Clone(body))
	}
	sk := &quoteSink{account: 5001, symbols: []int64{1, 2}, state: map[int64]*quoteState{1: {}, 2: {}}}
	sk.box.init()
	br := bytes.NewReader(stream)
	fr := wire.NewReader(br, 0)
	var ev openapi.ProtoOASpotEvent
	var mine, bare time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		br.Reset(stream)
		for range n {
			body, err := fr.Next()
			if err != nil {
				b.Fatal(err)
			}
			env, err := wire.ParseEnvelope(body)
			if err != nil || env.PayloadType != ptSpot {
				b.Fatal("bad envelope", err)
			}
			if err := decodeSpot(env.Payload, &ev); err != nil {
				b.Fatal(err)
			}
			sk.deliver(&ev, start)
		}
		q, _, _, _ := sk.box.take()
		if len(q) != n {
			b.Fatalf("%d quotes queued, want %d", len(q), n)
		}
		sk.box.give(q)
		mine += time.Since(start)

		start = time.Now()
		for _, body := range bodies {
			var env openapi.ProtoMessage
			if err := proto.Unmarshal(body, &env); err != nil {
				b.Fatal(err)
			}
			var ev openapi.ProtoOASpotEvent
			if err := proto.Unmarshal(env.GetPayload(), &ev); err != nil {
				b.Fatal(err)
			}
		}
		bare += time.Since(start)
	}
	b.ReportMetric(float64(mine.Nanoseconds())/float64(b.N*n), "ns/frame")
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N*n), "bare-ns/frame")
	b.ReportMetric(float64(mine)/float64(bare), "x-bare")
}
