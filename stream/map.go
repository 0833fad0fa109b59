package stream

import "context"

// Map returns a stream of f's results over src's events; events for which
// f answers false are left out. The new stream keeps src's buffer size and
// policy, ends when src ends (with src's Err), and closing it closes src.
// Its Stats are src's, with Events counting the mapped events and Dropped
// adding the ones the new stream dropped. The providers package uses it to
// turn each broker's events into one normalized shape.
func Map[A, B any](src *Stream[A], f func(A) (B, bool)) *Stream[B] {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Stream[B]{ch: make(chan B, cap(src.ch)), policy: src.policy, opts: src.opts,
		ctx: ctx, cancel: cancel, done: make(chan struct{}), base: src.Stats}
	go func() {
		defer cancel()
		defer close(s.done)
		defer close(s.ch)
		c := &Conn[B]{s: s, done: ctx.Done()}
		for {
			select {
			case a, ok := <-src.ch:
				if !ok {
					s.end(src.Err())
					return
				}
				if b, keep := f(a); keep {
					c.Send(b)
				}
			case <-ctx.Done():
				_ = src.Close()
				return
			}
		}
	}()
	return s
}
