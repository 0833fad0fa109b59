package spotwaretest

// Tick is the n-th price of a symbol's deterministic stream, in 1/100000
// units. HasBid and HasAsk say which sides the spot event carries: every
// third event carries both, the others one side only, so a client must
// keep the last known value of the other side. Tick 0 carries both.
type Tick struct {
	Bid, Ask       uint64
	HasBid, HasAsk bool
}

// PriceAt returns tick n of symbolID's stream; ok is false for an unknown
// symbol. The walk is a pure function of (symbolID, n), so a test can say
// exactly which prices a client must have seen.
func PriceAt(symbolID int64, n uint64) (t Tick, ok bool) {
	s := findSymbol(symbolID)
	if s == nil {
		return Tick{}, false
	}
	// Prices move in steps of the symbol's last digit.
	step := uint64(1)
	for range 5 - s.digits {
		step *= 10
	}
	// Mid moves one step per tick along a triangle wave of ±64 steps
	// with a per-symbol phase, so a side left stale for two ticks never
	// crosses the other.
	w := (n + mix(uint64(symbolID))%256) % 256
	offset := int64(w) - 64
	if w >= 128 {
		offset = 192 - int64(w)
	}
	mid := int64(s.mid) + offset*int64(step)
	half := int64(s.spread / 2 / step * step)
	t.Bid = uint64(mid - half)
	t.Ask = uint64(mid + half + int64(step))
	switch n % 3 {
	case 0:
		t.HasBid, t.HasAsk = true, true
	case 1:
		t.HasBid = true
	case 2:
		t.HasAsk = true
	}
	return t, true
}

// mix is SplitMix64's finalizer.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
