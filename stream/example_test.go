package stream_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/stream"
)

type quote struct {
	Symbol string
	Last   decimal.Decimal
}

// A broker package supplies one connection's work; the stream does the
// rest. This one sends two quotes, then a terminal error.
func Example() {
	connect := func(ctx context.Context, c *stream.Conn[quote]) error {
		c.Ready()
		c.Send(quote{"MSFT", decimal.RequireFromString("412.50")})
		c.Send(quote{"AAPL", decimal.RequireFromString("227.25")})
		return stream.Permanent(errors.New("market closed"))
	}
	s, err := stream.Open(context.Background(), stream.Options{}, connect)
	if err != nil {
		fmt.Println(err)
		return
	}

	defer s.Close()
	for q := range s.C() {
		fmt.Println(q.Symbol, q.Last)
	}
	if err := s.Err(); err != nil {
		fmt.Println("stream ended:", err) // errors.Is(err, auth.ErrReauthRequired): log in again
	}
	// Output:
	// MSFT 412.5
	// AAPL 227.25
	// stream ended: market closed
}
