package auth

import (
	"math"
	"sync"
	"time"
)

// refreshScheduler marks the cached tokens of every Source in the process
// stale at their refresh times, so that the hot path reads one flag and
// no clock. It is one min-heap of entries by refresh time and one timer,
// set for the earliest of them: no timer or goroutine per token, and no
// wake-up while no refresh is due (but at least one a clockRecheck while
// tokens are cached, so that a suspended machine or a stepped wall clock
// is noticed).
var refreshScheduler scheduler

// clockRecheck is the longest the scheduler sleeps while it holds tokens.
const clockRecheck = time.Minute

type scheduler struct {
	mu    sync.Mutex
	heap  []*entry // heap[i].idx == i+1
	timer *time.Timer
}

// add schedules e to be marked stale at its refresh time, or marks it now
// when that time has passed.
func (s *scheduler) add(e *entry) {
	if e == nil || e.refreshAt == math.MaxInt64 {
		return
	}
	now := time.Now().UnixNano()
	if e.refreshAt <= now {
		e.stale.Store(true)
		return
	}
	s.mu.Lock()
	s.heap = append(s.heap, e)
	i := len(s.heap) - 1
	e.idx.Store(int32(i + 1))
	s.up(i)
	if s.heap[0] == e {
		s.arm(now)
	}
	s.mu.Unlock()
}

// remove unschedules e, which is no longer cached.
func (s *scheduler) remove(e *entry) {
	if e == nil || e.idx.Load() == 0 {
		return
	}
	s.mu.Lock()
	if i := int(e.idx.Load()) - 1; i >= 0 {
		s.cut(i)
	}
	s.mu.Unlock()
}

// fire marks every due entry stale and sets the timer for the next one.
func (s *scheduler) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UnixNano()
	for len(s.heap) > 0 && s.heap[0].refreshAt <= now {
		e := s.heap[0]
		s.cut(0)
		e.stale.Store(true)
	}
	if len(s.heap) > 0 {
		s.arm(now)
	}
}

// arm sets the timer for the earliest entry; s.mu is held.
func (s *scheduler) arm(now int64) {
	d := min(time.Duration(s.heap[0].refreshAt-now), clockRecheck)
	if s.timer == nil {
		s.timer = time.AfterFunc(d, s.fire)
		return
	}
	s.timer.Reset(d)
}

// cut removes the entry at i; s.mu is held.
func (s *scheduler) cut(i int) {
	h := s.heap
	last := len(h) - 1
	h[i].idx.Store(0)
	if i != last {
		h[i] = h[last]
		h[i].idx.Store(int32(i + 1))
	}
	h[last] = nil
	s.heap = h[:last]
	if i != last {
		s.down(i)
		s.up(i)
	}
}

func (s *scheduler) swap(i, j int) {
	h := s.heap
	h[i], h[j] = h[j], h[i]
	h[i].idx.Store(int32(i + 1))
	h[j].idx.Store(int32(j + 1))
}

func (s *scheduler) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if s.heap[p].refreshAt <= s.heap[i].refreshAt {
			return
		}
		s.swap(i, p)
		i = p
	}
}

func (s *scheduler) down(i int) {
	n := len(s.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && s.heap[r].refreshAt < s.heap[l].refreshAt {
			c = r
		}
		if s.heap[i].refreshAt <= s.heap[c].refreshAt {
			return
		}
		s.swap(i, c)
		i = c
	}
}

// scheduled is how many entries wait in the scheduler, for tests.
func (s *scheduler) scheduled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.heap)
}
