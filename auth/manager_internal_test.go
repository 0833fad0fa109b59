package auth

import (
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestManagerLookupTakesNoLock: looking up a known user takes no lock of
// its shard (so it writes no shared cache line): Client and Source answer
// while every shard's lock is held by someone else.
func TestManagerLookupTakesNoLock(t *testing.T) {
	m, err := NewManager(nopProvider{}, NewMemoryStore())
	if err != nil {
		t.Fatal(err)
	}
	c, src := m.Client("alice"), m.Source("alice")
	for i := range m.shards {
		m.shards[i].mu.Lock()
	}
	done := make(chan bool)
	go func() { done <- m.Client("alice") == c && m.Source("alice") == src }()
	var answered, same bool
	select {
	case same = <-done:
		answered = true
	case <-time.After(2 * time.Second):
	}
	for i := range m.shards {
		m.shards[i].mu.Unlock()
	}
	if !answered {
		<-done
		t.Fatal("looking up a known user waited for its shard's lock")
	}
	if !same {
		t.Fatal("looking up a known user returned another client or source")
	}
}

// tableSlots is how many slots the manager's tables hold in all.
func (m *Manager) tableSlots() int {
	n := 0
	for i := range m.shards {
		n += len(m.shards[i].tab.Load().slots)
	}
	return n
}

// TestManagerTableChurn adds, forgets and adds again many users while
// other goroutines look up users that stay: those always get their one
// client, a forgotten user comes back with a new one, the count is right,
// and the tables neither fill up with removed users nor keep the room of
// users long gone.
func TestManagerTableChurn(t *testing.T) {
	m, err := NewManager(nopProvider{}, NewMemoryStore())
	if err != nil {
		t.Fatal(err)
	}
	const stay, churn = 300, 3000
	kept := make([]string, stay)
	clients := make(map[string]any, stay)
	sources := make(map[string]*Source, stay)
	for i := range kept {
		kept[i] = "stay-" + strconv.Itoa(i)
		clients[kept[i]], sources[kept[i]] = m.Client(kept[i]), m.Source(kept[i])
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad sync.Map
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				u := kept[i%stay]
				if any(m.Client(u)) != clients[u] || m.Source(u) != sources[u] {
					bad.Store(u, true)
				}
			}
		}()
	}
	for round := range 3 {
		old := make([]any, churn)
		for i := range churn {
			old[i] = m.Client("churn-" + strconv.Itoa(i))
		}
		if got, want := m.String(), "auth.Manager{provider=nop users="+strconv.Itoa(stay+churn)+"}"; got != want {
			t.Errorf("round %d: %s, want %s", round, got, want)
		}
		for i := range churn {
			m.Forget("churn-" + strconv.Itoa(i))
		}
		for i := range churn {
			if c := m.Client("churn-" + strconv.Itoa(i)); any(c) == old[i] {
				t.Fatalf("round %d: a forgotten user kept its client", round)
			}
			m.Forget("churn-" + strconv.Itoa(i))
		}
	}
	// The same user added and forgotten many times leaves no trail.
	before := m.tableSlots()
	for range 10_000 {
		m.Client("again")
		m.Forget("again")
	}
	if after := m.tableSlots(); after > before+managerShards*minTableSlots {
		t.Errorf("adding and forgetting one user 10,000 times grew the tables from %d to %d slots", before, after)
	}
	close(stop)
	wg.Wait()
	bad.Range(func(k, _ any) bool {
		t.Errorf("%s: a user that stayed got another client or source", k)
		return true
	})
	if got, want := m.String(), "auth.Manager{provider=nop users="+strconv.Itoa(stay)+"}"; got != want {
		t.Errorf("%s, want %s", got, want)
	}
	for _, u := range kept {
		if any(m.Client(u)) != clients[u] {
			t.Fatalf("%s lost its client", u)
		}
	}

	// Forgetting nearly everyone gives the tables' room back.
	big := 20_000
	for i := range big {
		m.Client("many-" + strconv.Itoa(i))
	}
	full := m.tableSlots()
	for i := range big {
		m.Forget("many-" + strconv.Itoa(i))
	}
	for _, u := range kept {
		m.Forget(u)
	}
	if empty := m.tableSlots(); empty*8 > full {
		t.Errorf("forgetting %d users left %d of %d slots", big+stay, empty, full)
	}
	if got := m.String(); got != "auth.Manager{provider=nop users=0}" {
		t.Errorf("%s after forgetting everyone", got)
	}
}
