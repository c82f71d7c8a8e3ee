package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/quant"
	"github.com/lamina-ml/lamina/tensor"
)

// TestQuantizeCommand quantizes the tiny LM (int8 RTN; GPTQ 4-bit with
// 3-bit layers picked by block influence), loads the results with the
// quantized kernels and scores them: int8 stays within 5 % of the float
// perplexity (this random model's logits are large, so small weight errors
// move its perplexity of ~15,000 more than a trained model's), and the
// report's layer map is the documented average.
func TestQuantizeCommand(t *testing.T) {
	text := "testdata/perplexity/text.txt"
	base := runPerplexityJSON(t, "--model", tinyLM, "--text-file", text, "--final-only")
	tmp := t.TempDir()
	int8Dir, mixDir := filepath.Join(tmp, "int8"), filepath.Join(tmp, "mix")
	if _, errOut, code := capture(t, "quantize", "--model", tinyLM, "--out", int8Dir, "--bits", "8"); code != 0 {
		t.Fatalf("quantize int8: %s", errOut)
	}
	out, errOut, code := capture(t, "quantize", "--model", tinyLM, "--out", mixDir, "--bits", "4", "--group", "32",
		"--method", "gptq", "--calib", text, "--low-bits", "3", "--avg-bits", "3.5", "--score", "bi", "--json")
	if code != 0 {
		t.Fatalf("quantize gptq: %s", errOut)
	}
	var rep quant.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	// 3 layers, 4 → 3 bits, target 3.5: n = round(0.5·3) = 2 layers low, average 4 − 2/3.
	if len(rep.BI) != 3 || len(rep.LowLayers) != 2 || math.Abs(rep.AvgBits-(4-2.0/3)) > 1e-9 || rep.CalibTok == 0 {
		t.Fatalf("report: BI %v, low layers %v, average %v, %d calibration tokens", rep.BI, rep.LowLayers, rep.AvgBits, rep.CalibTok)
	}
	for _, i := range rep.LowLayers {
		for j := range rep.BI {
			if !contains(rep.LowLayers, j) && rep.BI[j] < rep.BI[i] {
				t.Fatalf("layer %d (BI %v) went low but layer %d (BI %v) is less important", i, rep.BI[i], j, rep.BI[j])
			}
		}
	}
	for _, dir := range []string{int8Dir, mixDir} {
		m, err := model.LoadDir(dir, tensor.NewCPU())
		if err != nil {
			t.Fatal(err)
		}
		if m.Config.Quant == nil {
			t.Fatalf("%s: no quantization_config", dir)
		}
		m.Close()
		if _, err := os.Stat(filepath.Join(dir, "tokenizer.json")); err != nil {
			t.Fatal(err)
		}
	}
	q8 := runPerplexityJSON(t, "--model", int8Dir, "--text-file", text, "--final-only")
	if r := q8.Final.PPL / base.Final.PPL; math.Abs(r-1) > 0.05 {
		t.Errorf("int8 perplexity %v vs float %v", q8.Final.PPL, base.Final.PPL)
	}
	mix := runPerplexityJSON(t, "--model", mixDir, "--text-file", text, "--final-only")
	if math.IsNaN(mix.Final.PPL) || mix.Final.PPL > 2*base.Final.PPL {
		t.Errorf("mixed 4/3-bit perplexity %v vs float %v", mix.Final.PPL, base.Final.PPL)
	}
	t.Logf("perplexity: float %.3f, int8 %.3f, gptq 4/3 mixed %.3f", base.Final.PPL, q8.Final.PPL, mix.Final.PPL)
	if _, _, code := capture(t, "quantize", "--model", tinyLM, "--out", filepath.Join(tmp, "x"), "--method", "gptq"); code == 0 {
		t.Error("gptq without --calib succeeded")
	}
}

// TestQuantizeQEP: `--method qep --act-order` writes a folder that loads with the
// quantized kernels and scores close to the float model; it needs
// calibration text and an α in [0, 1]. (That QEP beats GPTQ is measured in
// package quant.)
func TestQuantizeQEP(t *testing.T) {
	text := "testdata/perplexity/text.txt"
	base := runPerplexityJSON(t, "--model", tinyLM, "--text-file", text, "--final-only")
	dir := filepath.Join(t.TempDir(), "qep")
	out, errOut, code := capture(t, "quantize", "--model", tinyLM, "--out", dir, "--bits", "4", "--group", "32",
		"--method", "qep", "--act-order", "--calib", text, "--json")
	if code != 0 {
		t.Fatalf("quantize qep: %s", errOut)
	}
	var rep quant.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Method != "qep" || !rep.ActOrder || rep.CalibTok == 0 || len(rep.Tensors) != 3*7+1 {
		t.Fatalf("report: method %q, %d calibration tokens, %d tensors", rep.Method, rep.CalibTok, len(rep.Tensors))
	}
	q := runPerplexityJSON(t, "--model", dir, "--text-file", text, "--final-only")
	if math.IsNaN(q.Final.PPL) || q.Final.PPL > 1.5*base.Final.PPL {
		t.Errorf("qep 4-bit perplexity %v vs float %v", q.Final.PPL, base.Final.PPL)
	}
	t.Logf("perplexity: float %.3f, qep 4-bit g32 %.3f", base.Final.PPL, q.Final.PPL)
	for _, args := range [][]string{
		{"--method", "qep"},
		{"--method", "qep", "--calib", text, "--qep-alpha", "1.5"},
	} {
		if _, _, code := capture(t, append([]string{"quantize", "--model", tinyLM, "--out", filepath.Join(t.TempDir(), "x")}, args...)...); code == 0 {
			t.Errorf("quantize %v succeeded", args)
		}
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
