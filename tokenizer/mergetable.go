package tokenizer

// mergeTable maps a token pair to its merge (rank, new id) with open
// addressing on a packed uint64 key. It replaces a Go map in the BPE inner
// loop, where pair lookups dominate the cost of merging a word.
type mergeTable struct {
	keys []uint64 // pair a<<32|b, emptyKey where free
	vals []mergeVal
	mask uint64
	n    int
}

// emptyKey cannot be a real pair: ids are non-negative int32, so the top bit
// of each half is never set.
const emptyKey = ^uint64(0)

func pairBits(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func newMergeTable(n int) *mergeTable {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	t := &mergeTable{keys: make([]uint64, size), vals: make([]mergeVal, size), mask: uint64(size - 1)}
	for i := range t.keys {
		t.keys[i] = emptyKey
	}
	return t
}

// slot hashes with a multiplicative (Fibonacci) hash.
func (t *mergeTable) slot(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15 >> 17) & t.mask }

// put sets the value for a pair; a repeated pair keeps the later merge, as
// a Rust HashMap built from the merges list does.
func (t *mergeTable) put(a, b int32, v mergeVal) {
	if 2*(t.n+1) > len(t.keys) {
		t.grow()
	}
	k := pairBits(a, b)
	for i := t.slot(k); ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case emptyKey:
			t.keys[i], t.vals[i] = k, v
			t.n++
			return
		case k:
			t.vals[i] = v
			return
		}
	}
}

func (t *mergeTable) get(a, b int32) (mergeVal, bool) {
	k := pairBits(a, b)
	for i := t.slot(k); ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case k:
			return t.vals[i], true
		case emptyKey:
			return mergeVal{}, false
		}
	}
}

func (t *mergeTable) grow() {
	old := *t
	*t = *newMergeTable(2 * len(old.keys))
	for i, k := range old.keys {
		if k != emptyKey {
			t.put(int32(k>>32), int32(uint32(k)), old.vals[i])
		}
	}
}

func (t *mergeTable) len() int { return t.n }
