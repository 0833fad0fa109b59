package auth

import (
	"context"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// TestSchedulerOrdersAndForgets: the scheduler marks entries stale in
// refresh-time order, only when due, and forgets replaced ones, so that a
// source that moves on leaves nothing behind.
func TestSchedulerOrdersAndForgets(t *testing.T) {
	var s scheduler
	now := time.Now()
	var es []*entry
	for i := range 200 {
		e := &entry{tok: &Token{AccessToken: "a"}, refreshAt: now.Add(time.Hour + time.Duration(rand.IntN(1000))*time.Second).UnixNano()}
		if i%3 == 0 {
			e.refreshAt = now.Add(-time.Second).UnixNano() // already due
		}
		es = append(es, e)
		s.add(e)
	}
	for i, e := range es {
		if e.stale.Load() != (i%3 == 0) {
			t.Fatalf("entry %d: stale %v", i, e.stale.Load())
		}
	}
	// Remove every second scheduled entry; the rest come out in order.
	var kept []int64
	for i, e := range es {
		if i%3 == 0 {
			continue
		}
		if i%2 == 0 {
			s.remove(e)
			if e.idx.Load() != 0 {
				t.Fatal("removed entry keeps its place")
			}
			continue
		}
		kept = append(kept, e.refreshAt)
	}
	if got := s.scheduled(); got != len(kept) {
		t.Fatalf("%d scheduled, want %d", got, len(kept))
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i] < kept[j] })
	for _, at := range kept {
		s.mu.Lock()
		top := s.heap[0]
		s.cut(0)
		s.mu.Unlock()
		if top.refreshAt != at {
			t.Fatal("out of order")
		}
	}
	if s.timer != nil {
		s.timer.Stop()
	}
}

// TestSchedulerFiresWhenDue: the one timer marks an entry stale at its
// refresh time; sources that are closed or replaced leave the heap.
func TestSchedulerFiresWhenDue(t *testing.T) {
	src, err := NewSource(&nopProvider{}, NewMemoryStore(), "k", SourceOptions{Leeway: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	before := refreshScheduler.scheduled()
	ctx := context.Background()
	if err := src.SetToken(ctx, &Token{AccessToken: "a", Expiry: time.Now().Add(400 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	e := src.cur.Load()
	if e.stale.Load() || refreshScheduler.scheduled() != before+1 {
		t.Fatalf("not scheduled: stale %v, %d scheduled, %d before, at %v", e.stale.Load(), refreshScheduler.scheduled(), before, time.Until(time.Unix(0, e.refreshAt)))
	}
	deadline := time.Now().Add(5 * time.Second)
	for !e.stale.Load() {
		if time.Now().After(deadline) {
			t.Fatal("never marked stale")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if refreshScheduler.scheduled() != before {
		t.Fatal("a fired entry stays scheduled")
	}
	if err := src.SetToken(ctx, &Token{AccessToken: "b", Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := src.SetToken(ctx, &Token{AccessToken: "c", Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if refreshScheduler.scheduled() != before+1 {
		t.Fatal("a replaced entry stays scheduled")
	}
	src.Close()
	if refreshScheduler.scheduled() != before {
		t.Fatal("a closed source stays scheduled")
	}
}

type nopProvider struct{}

func (nopProvider) Name() string                                 { return "nop" }
func (nopProvider) Capabilities() Capabilities                   { return Capabilities{} }
func (nopProvider) AuthCodeURL(string, ...AuthCodeOption) string { return "" }
func (nopProvider) Exchange(context.Context, string, ...AuthCodeOption) (*Token, error) {
	return nil, ErrUnsupported
}
func (nopProvider) ClientCredentials(context.Context, ...string) (*Token, error) {
	return nil, ErrUnsupported
}
func (nopProvider) Refresh(context.Context, *Token) (*Token, error) { return nil, ErrUnsupported }
