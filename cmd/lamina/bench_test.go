package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/kernels"
)

func TestBenchTinyJSON(t *testing.T) {
	var out bytes.Buffer
	err := benchTo(&out, []string{"--shape", "tiny", "--json", "--reps", "2", "--prompt-len", "8", "--new-tokens", "3", "--dtype", "bf16"})
	if err != nil {
		t.Fatal(err)
	}
	var r benchResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("bench --json printed %q: %v", out.String(), err)
	}
	if r.Shape != "tiny" || r.DType != "BF16" || r.PromptLen != 8 || r.NewTokens != 3 || r.Reps != 2 {
		t.Errorf("echoed settings wrong: %+v", r)
	}
	if len(r.PrefillRuns) != 2 || len(r.DecodeRuns) != 2 || !(r.PrefillTokS > 0) || !(r.DecodeTokS > 0) {
		t.Errorf("missing throughputs: %+v", r)
	}
	if runtime.GOOS == "linux" && (r.PeakRSSMiB == nil || r.PrefillCPUTokS == nil || !(*r.DecodeCPUTokS > 0)) {
		t.Errorf("linux has VmHWM and getrusage, but: %+v", r)
	}
	if r.Threads < 1 || r.Kernels == "" || r.QuantKernels != kernels.QuantKernelsName()+"/"+kernels.QuantDotName() {
		t.Errorf("threads %d kernels %q quantized kernels %q", r.Threads, r.Kernels, r.QuantKernels)
	}
}

// TestBenchShapeParams checks the parameter counts against the figures the
// hub reports (SmolLM2-135M: 134,515,008) and a hand count for tiny.
func TestBenchShapeParams(t *testing.T) {
	for _, c := range []struct {
		shape string
		want  int64
	}{
		{"smollm2-135m", 134515008},
		{"lamina-brown-20m", 20456832}, // the model card's parameter count
		// 512·64 embed + 2 layers·(3 attn 64·64 + ... ) counted by hand:
		// q 4096, k 2048, v 2048, o 4096, gate/up/down 3·8192, norms 128.
		{"tiny", 32768 + 2*(4096+2048+2048+4096+3*8192+128) + 64},
	} {
		if got := shapeParams(benchShapes[c.shape]); got != c.want {
			t.Errorf("%s: %d params, want %d", c.shape, got, c.want)
		}
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // a word the error must name
	}{
		{[]string{"--shape", "nope"}, "nope"},
		{[]string{"--dtype", "f8"}, "f8"},
		{[]string{"--reps", "0"}, "--reps"},
		{[]string{"--prompt-len", "-1"}, "--prompt-len"},
		{[]string{"--shape", "tiny", "--prompt-len", "200", "--new-tokens", "100"}, "exceed"},
		{[]string{"--bogus"}, "bogus"},
		{[]string{"extra"}, "extra"},
	} {
		var out bytes.Buffer
		err := benchTo(&out, c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("bench %v: error %v, want one naming %q", c.args, err, c.want)
		}
	}
}

// TestBenchQuantDTypes: --dtype q8 and q4 run on weights the CPU backend
// holds quantized.
func TestBenchQuantDTypes(t *testing.T) {
	for _, dt := range []string{"q8", "q4"} {
		var out bytes.Buffer
		if err := benchTo(&out, []string{"--shape", "tiny", "--json", "--reps", "1", "--prompt-len", "8", "--new-tokens", "3", "--dtype", dt}); err != nil {
			t.Fatal(err)
		}
		var r benchResult
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.DType != strings.ToUpper(dt) || !(r.DecodeTokS > 0) {
			t.Errorf("%s: %+v", dt, r)
		}
	}
}
