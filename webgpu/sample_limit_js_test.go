//go:build js && wasm

package webgpu

import (
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// TestSampleLimit checks the limit the backend advertises: Sample over more
// candidates than its workgroup holds is an error from the next read (the
// caller samples read-back logits with tensor.SampleRow instead), and a
// draw at the limit works.
func TestSampleLimit(t *testing.T) {
	lim := gpu.Limits()
	if lim.SampleMaxCandidates != 256 || lim.FusedMaxRows != matvecMaxRows {
		t.Fatalf("Limits %+v", lim)
	}
	const V = 300
	logits := make([]float32, V)
	for i := range logits {
		logits[i] = float32(i*37%V) * 0.01 // distinct: no ties at the top-k threshold
	}
	x, err := gpu.UploadF32([]int{1, V}, logits)
	if err != nil {
		t.Fatal(err)
	}
	defer gpu.Free(x)
	out, err := gpu.ZerosI32(1)
	if err != nil {
		t.Fatal(err)
	}
	defer gpu.Free(out)
	for _, topK := range []int{0, 257} {
		gpu.Sample(out, 0, x, 0, tensor.SampleParams{Temperature: 1, TopK: topK, Seed: 1})
		if _, err := gpu.ReadInts(out); err == nil || !strings.Contains(err.Error(), "SampleMaxCandidates") {
			t.Errorf("topK %d over V=%d: error %v, want the candidate limit", topK, V, err)
		}
	}
	p := tensor.SampleParams{Temperature: 1, TopK: 256, Seed: 1, Step: 4}
	gpu.Sample(out, 0, x, 0, p)
	got, err := gpu.ReadInts(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := tensor.SampleRow(logits, p); got[0] != want {
		t.Errorf("topK 256: drew %d, reference %d", got[0], want)
	}
}
