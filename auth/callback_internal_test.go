package auth

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"
)

// TestFlowStoreOrderStaysBounded: however flows are put, taken and put
// again (the same *Flow too), the store's bookkeeping stays within a small
// multiple of the pending flows, so memory is bounded by Limit and a Put
// never scans much.
func TestFlowStoreOrderStaysBounded(t *testing.T) {
	s := &FlowStore{}
	s.Limit = 10
	live := time.Now().Add(time.Hour)
	// A long-lived flow at the head holds every entry behind it.
	if err := s.Put(&Flow{State: "head", Expires: live}); err != nil {
		t.Fatal(err)
	}
	same := &Flow{State: "again", Expires: live}
	for i := range 20_000 {
		f := same
		if i%2 == 1 {
			f = &Flow{State: strconv.Itoa(i), Expires: live}
		}
		if err := s.Put(f); err != nil && !errors.Is(err, ErrTooManyFlows) {
			t.Fatal(err)
		}
		if i%3 != 0 || len(s.flows) == s.Limit {
			_, _ = s.Take(context.Background(), f.State)
		}
		if n := len(s.order) - s.head; n > 2*(len(s.flows)+1)+65 { // a Take may follow the last compaction
			t.Fatalf("after %d puts: %d entries for %d flows", i+1, n, len(s.flows))
		}
	}
	if got := s.Len(); got > s.Limit {
		t.Fatalf("%d flows pending, limit %d", got, s.Limit)
	}
}
