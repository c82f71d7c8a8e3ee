package jsonmode

import (
	"encoding/json"
	"math"
	"testing"
)

// wideVocab is testVocab plus many multi-byte tokens over the bytes
// patterns care about (letters, digits, punctuation, a quote, a
// backslash, é, a space), so plain tokens cross pattern states in many
// ways and some tokens mix plain text with a string's end.
func wideVocab() *Vocab {
	toks := append([][]byte{}, testVocab().bytes...)
	alphabet := []string{"a", "b", "c", "f", "o", "x", "y", "z", "A", "F", "0", "1", "2", "5", "9", "-", "_", ".", "@", ":", "+", " ", "é", "ü", `"`, `\`, "\t", "]", ","}
	r := &rng{7}
	for i := 0; i < 600; i++ {
		var t []byte
		for n := 2 + int(r.next()%5); n > 0; n-- {
			t = append(t, alphabet[r.next()%uint64(len(alphabet))]...)
		}
		toks = append(toks, t)
	}
	return NewVocab(toks)
}

// The DFA fast path masks exactly what the slow path (every token walked
// through the pattern's NFA byte by byte, the reference) masks, at every
// step of random generations over many patterns, bare, in arrays and
// beside other properties, under tight and loose budgets.
func TestPatternMaskMatchesSlowPath(t *testing.T) {
	v := wideVocab()
	patterns := append([]string{`^[a-c]+@[xyz]{2}\.(com|fo)$`, `^\d+(\.\d{1,2})?$`, `o+`, `^[^"\\]{3,}$`, `^(ab|a)*b$`, `^[\w.-]+$`, `^"?\\?$`}, patternCases...)
	steps, groups := 0, 0
	for _, pat := range patterns {
		for _, schema := range []map[string]any{
			{"type": "string", "pattern": pat},
			{"type": "array", "items": map[string]any{"type": "string", "pattern": pat}, "maxItems": 3},
			{"type": "object", "properties": map[string]any{"id": map[string]any{"type": "string", "pattern": pat}, "n": map[string]any{"type": "integer"}}, "required": []string{"id", "n"}},
		} {
			b, _ := json.Marshal(schema)
			g, err := Compile(b)
			if err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			for seed := uint64(1); seed <= manySeeds/20; seed++ {
				n, gr := compareMasks(t, g, v, seed, g.MinLen()+int(seed%24))
				steps, groups = steps+n, groups+gr
			}
		}
	}
	if groups == 0 {
		t.Fatal("the fast path never ran")
	}
	t.Logf("%d patterns, %d mask steps compared, %d token groups built", len(patterns), steps, groups)
}

// compareMasks generates under g with random logits, masking every step
// both ways (fast path and the slow reference) and failing where they
// differ; it returns the steps compared and the token groups built.
func compareMasks(t *testing.T, g *Grammar, v *Vocab, seed uint64, maxTokens int) (steps, groups int) {
	t.Helper()
	eos := int32(v.Size())
	c, err := g.NewConstraint(v, []int32{eos}, maxTokens)
	if err != nil {
		t.Fatal(err)
	}
	r := &rng{seed}
	fast := make([]float32, v.Size()+1)
	slow := make([]float32, v.Size()+1)
	var out []byte
	for i := 0; i < maxTokens && !c.Done(); i++ {
		for j := range fast {
			fast[j] = float32(r.next()%1000) / 100
		}
		copy(slow, fast)
		c.slowPatterns = false
		errFast := c.Mask(fast, maxTokens-i)
		c.slowPatterns = true
		errSlow := c.Mask(slow, maxTokens-i)
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("seed %d after %q: fast %v, slow %v", seed, out, errFast, errSlow)
		}
		if errFast != nil {
			return steps, groups
		}
		best := 0
		for j := range fast {
			if math.IsInf(float64(fast[j]), -1) != math.IsInf(float64(slow[j]), -1) {
				t.Fatalf("seed %d after %q (budget %d): token %d %q fast %v slow %v", seed, out, maxTokens-i, j, v.bytes[min(j, len(v.bytes)-1)], fast[j], slow[j])
			}
			if fast[j] > fast[best] {
				best = j
			}
		}
		steps++
		if err := c.Accept(int32(best)); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if int32(best) != eos {
			out = append(out, v.bytes[best]...)
		}
	}
	for _, d := range c.dfas {
		for _, s := range d.states {
			groups += len(s.groups)
		}
	}
	return steps, groups
}
