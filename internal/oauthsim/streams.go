package oauthsim

import (
	"context"
	"sync"
)

// streamFaults tracks an emulator's open streams so that a test can make
// them fail the two ways real broker streams do: cut (the connection
// ends) and stalled (data stops while keep-alives go on).
type streamFaults struct {
	mu      sync.Mutex
	next    int
	open    map[int]context.CancelFunc
	stalled bool
}

// TrackStream registers a stream an emulator serves. The returned context
// is ctx, cancelled by CutStreams: the emulator ends the stream (closes
// the response or the socket) when it is done, and calls done once the
// stream is over.
func (f *Faults) TrackStream(ctx context.Context) (_ context.Context, done func()) {
	ctx, cancel := context.WithCancel(ctx)
	s := &f.streams
	s.mu.Lock()
	if s.open == nil {
		s.open = make(map[int]context.CancelFunc)
	}
	id := s.next
	s.next++
	s.open[id] = cancel
	s.mu.Unlock()
	return ctx, func() {
		cancel()
		s.mu.Lock()
		delete(s.open, id)
		s.mu.Unlock()
	}
}

// CutStreams ends every open stream, as a dropped connection would, and
// reports how many there were. Streams opened afterwards are served as
// before.
func (f *Faults) CutStreams() int {
	s := &f.streams
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.open)
	for id, cancel := range s.open {
		cancel()
		delete(s.open, id)
	}
	return n
}

// OpenStreams reports how many streams are being served.
func (f *Faults) OpenStreams() int {
	s := &f.streams
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

// StallStreams stalls (on) or resumes (off) every stream: while stalled,
// an emulator sends its keep-alives but no data, the way a broker's
// stream can hang. Data held back during a stall is not sent afterwards:
// a client recovers it from the snapshot of a new connection.
func (f *Faults) StallStreams(on bool) {
	f.streams.mu.Lock()
	f.streams.stalled = on
	f.streams.mu.Unlock()
}

// StreamsStalled reports whether StallStreams is on; an emulator asks
// before each data frame.
func (f *Faults) StreamsStalled() bool {
	f.streams.mu.Lock()
	defer f.streams.mu.Unlock()
	return f.streams.stalled
}
