package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// ggufFixture is the gguf package's mixed-type tiny llama and llama.cpp's
// outputs on it (gguf/testdata/llamacpp/mixed-tiny.*).
const ggufFixture = "../gguf/testdata/llamacpp/mixed-tiny"

// countingReader counts ReadAt calls and bytes, as the page's Range
// requests would be.
type countingReader struct {
	r            *bytes.Reader
	calls, bytes int
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.calls++
	n, err := c.r.ReadAt(p, off)
	c.bytes += n
	return n, err
}

// loadGGUF (what lamina.mjs calls for a .gguf URL) gives llama.cpp's
// greedy ids on the fixture, holds Q8_0/Q4_0 matrices as Q8/Q4 on the CPU
// backend, hands back the tokenizer made from the metadata, and reads each
// tensor once.
func TestLoadGGUF(t *testing.T) {
	data, err := os.ReadFile(ggufFixture + ".gguf")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		GreedyPrompt []int32 `json:"greedy_prompt"`
		GreedyIDs    []int32 `json:"greedy_ids"`
	}
	b, err := os.ReadFile(ggufFixture + ".json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	r := newRegistry(nil)
	rt := newCPURuntime(t, r)
	cr := &countingReader{r: bytes.NewReader(data)}
	_, lm, tok, err := r.loadGGUF(rt, cr, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d reads, %d bytes of a %d-byte file", cr.calls, cr.bytes, len(data))
	if cr.bytes > len(data)+64<<10 {
		t.Errorf("read %d bytes of a %d-byte file", cr.bytes, len(data))
	}
	if tok == nil || lm.tok == nil || !lm.info.HasTokenizer {
		t.Fatal("no tokenizer from the GGUF metadata")
	}
	ids, _, err := lm.generate(genRequest{IDs: ref.GreedyPrompt, MaxNewTokens: len(ref.GreedyIDs), EOS: []int32{}},
		func(int32, string) {}, func() bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if got := ids[len(ref.GreedyPrompt):]; fmt.Sprint(got) != fmt.Sprint(ref.GreedyIDs) {
		t.Errorf("greedy ids %v, llama.cpp %v", got, ref.GreedyIDs)
	}
	q := 0
	for _, l := range lm.m.Linears() {
		if dt := l.W.DType(); dt == tensor.Q8 || dt == tensor.Q4 {
			q++
		}
	}
	if q == 0 {
		t.Error("no matrix held quantized")
	}

	// Not a GGUF: bad-model; an unsupported tensor type: unsupported.
	if _, _, _, err := r.loadGGUF(rt, bytes.NewReader(data[:100]), 100); errorCode(err) != codeBadModel {
		t.Errorf("truncated file: code %q (%v)", errorCode(err), err)
	}
	bad := bytes.Clone(data)
	name := "blk.0.ffn_down.weight"
	i := bytes.Index(bad, []byte(name))
	bad[i+len(name)+4+16] = 6 // Q6_K → Q5_0
	if _, _, _, err := r.loadGGUF(rt, bytes.NewReader(bad), int64(len(bad))); errorCode(err) != codeUnsupported {
		t.Errorf("Q5_0 tensor: code %q (%v)", errorCode(err), err)
	}
}
