package gguf

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to the header parser and, when it
// accepts them, to every conversion that reads metadata or tensor data.
// None may panic; every count is bounded by the input's length, so memory
// stays proportional to it. Corpus: testdata/fuzz/FuzzOpen (regenerate the
// seeds with GGUF_WRITE_CORPUS=1 go test -run TestWriteFuzzCorpus).
func FuzzOpen(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for i := range g.Tensors {
			ti := &g.Tensors[i]
			if ti.Size > uint64(len(data)) {
				t.Fatalf("tensor %q claims %d bytes of a %d-byte file", ti.Name, ti.Size, len(data))
			}
			if CanDequantize(ti.Type) && ti.Elements() <= 1<<20 {
				g.Float32(ti.Name)
				g.HFTensor(ti.Name)
			}
		}
		g.HFConfig()
		g.TokenizerJSON()
		// ModelFS's virtual model.safetensors: every byte of it is either
		// served or an error, never a panic.
		fsys, err := g.ModelFS()
		if err != nil {
			return
		}
		fh, err := fsys.Open("model.safetensors")
		if err != nil {
			t.Fatalf("ModelFS has no model.safetensors: %v", err)
		}
		st, _ := fh.Stat()
		if st.Size() > 8*int64(len(data))+1<<20 {
			t.Fatalf("virtual weights of %d bytes from a %d-byte file", st.Size(), len(data))
		}
		io.ReadAll(fh)
	})
}

// fuzzSeeds are small valid files: every metadata type, a tokenizer of
// each model kind, and a two-layer llama with quantized tensors.
func fuzzSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	write := func(w *Writer) {
		var b bytes.Buffer
		if _, err := w.WriteTo(&b); err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b.Bytes())
	}
	w := &Writer{Alignment: 16}
	w.Set("u8", uint8(1))
	w.Set("str", "s")
	w.Set("arr", []string{"a", "b"})
	w.Set("f", []float32{1})
	w.Set("nested", Value{Type: TypeArray, Elem: TypeArray, V: []Value{{Type: TypeArray, Elem: TypeInt32, V: []int32{1}}}})
	w.Add("t", []uint64{32}, Q4_0, make([]float32, 32))
	write(w)

	w = &Writer{}
	w.Set("general.architecture", "llama")
	for k, v := range map[string]uint32{"llama.embedding_length": 32, "llama.block_count": 1, "llama.feed_forward_length": 32,
		"llama.attention.head_count": 2, "llama.attention.head_count_kv": 1, "llama.context_length": 16} {
		w.Set(k, v)
	}
	w.Set("tokenizer.ggml.model", "llama")
	w.Set("tokenizer.ggml.tokens", []string{"<unk>", "<s>", "▁", "a", "▁a"})
	w.Set("tokenizer.ggml.scores", []float32{0, 0, -2, -3, -1})
	w.Set("tokenizer.ggml.token_type", []int32{2, 3, 1, 1, 1})
	for name, dims := range map[string][]uint64{"token_embd.weight": {32, 5}, "blk.0.attn_q.weight": {32, 32},
		"blk.0.attn_k.weight": {32, 16}, "blk.0.attn_norm.weight": {32}} {
		n := uint64(1)
		for _, d := range dims {
			n *= d
		}
		typ := Q8_0
		if len(dims) == 1 {
			typ = F32
		}
		w.Add(name, dims, typ, make([]float32, n))
	}
	write(w)

	w = &Writer{}
	w.Set("general.architecture", "gpt2")
	w.Set("tokenizer.ggml.model", "gpt2")
	w.Set("tokenizer.ggml.pre", "qwen2")
	w.Set("tokenizer.ggml.tokens", []string{"a", "b", "ab"})
	w.Set("tokenizer.ggml.merges", []string{"a b"})
	w.Add("token_embd.weight", []uint64{32, 3}, F16, make([]float32, 96))
	w.Add("blk.0.attn_qkv.weight", []uint64{32, 2}, Q4_1, make([]float32, 64))
	write(w)
	return seeds
}

func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("GGUF_WRITE_CORPUS") == "" {
		t.Skip("set GGUF_WRITE_CORPUS=1 to rewrite testdata/fuzz/FuzzOpen")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	must(t, os.MkdirAll(dir, 0o755))
	for i, s := range fuzzSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		must(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%d", i)), []byte(body), 0o644))
	}
	// A few hostile headers as well.
	for i, s := range [][]byte{header(3, 1<<40, 1<<40), header(3, 0, 1, gstr("k"), u32(uint32(TypeArray)), u32(uint32(TypeString)), u64(1<<60))} {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		must(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("hostile%d", i)), []byte(body), 0o644))
	}
}
