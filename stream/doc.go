// Package stream is the one shape of every live feed in brokerkit:
// quotes, bars, orders, positions and account events, from every broker.
//
// A broker package opens a *Stream[T] of its own event type (for example
// c.Streams.Quotes(ctx, "MSFT", "AAPL")); an error there means the broker
// refused at once (a bad symbol, a login needed). The program then reads C
// until it is closed and asks Err why it ended:
//
//	defer s.Close()
//	for q := range s.C() {
//		fmt.Println(q.Symbol, q.Last)
//	}
//	if err := s.Err(); err != nil {
//		fmt.Println("stream ended:", err) // errors.Is(err, auth.ErrReauthRequired): log in again
//	}
//
// Under it, each broker supplies only how one connection runs (Connect);
// this package does the rest the same way for all of them: heartbeats and
// stall detection, reconnecting with jittered backoff and subscribing
// again, re-authentication through the token source, terminal errors, a
// buffer with a stated backpressure Policy (quotes drop the oldest and
// count it; orders never drop), and Update, which keeps a snapshot a
// broker re-sends after a reconnect from delivering an order event twice.
package stream
