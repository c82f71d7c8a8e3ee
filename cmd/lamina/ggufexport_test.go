package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func logitsOf(t *testing.T, src, ids string) [][]float32 {
	t.Helper()
	out, errs, code := capture(t, "logits", "--model", src, "--ids", ids)
	if code != 0 {
		t.Fatalf("logits --model %s: exit %d: %s", src, code, errs)
	}
	var got struct {
		Logits [][]float32 `json:"logits"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	return got.Logits
}

// `lamina gguf` writes a folder as GGUF; lamina reads the file back to the folder's logits:
// exactly for F32 (and for F16 of an f16 checkpoint), within a bound for Q8_0. (That
// llama.cpp reads what the exporter writes is gguf's llamacpp_test.go.)
//
// An f16 checkpoint's folder is compared with its config's dtype set to float32: for a
// "float16" config lamina rounds RoPE's inverse frequencies to f16 as transformers does
// (model.go), which a GGUF file does not record and llama.cpp does not do; that alone moves
// the logits by 1.0e-4 here.
func TestGGUFExport(t *testing.T) {
	const ids = "1,5,9,17,33,2,64,100"
	for _, tc := range []struct {
		folder, typ string
		tol         float64
	}{
		{"llama-tiny", "f32", 1e-5},
		{"llama-tiny-sharded-f16", "f16", 1e-5},
		{"qwen2-tiny", "f32", 1e-5},
		{"llama-tiny", "q8_0", 0.1},
	} {
		t.Run(tc.folder+"-"+tc.typ, func(t *testing.T) {
			dir := filepath.Join("../../model/testdata", tc.folder)
			out := filepath.Join(t.TempDir(), "m.gguf")
			ref := dir
			if tc.typ == "f16" {
				ref = f32ConfigCopy(t, dir)
			}
			stdoutText, errs, code := capture(t, "gguf", "--model", dir, "--out", out, "--type", tc.typ)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if !strings.Contains(stdoutText, "wrote "+out) {
				t.Errorf("stdout %q", stdoutText)
			}
			want := logitsOf(t, ref, ids)
			got := logitsOf(t, out, ids)
			worst := 0.0
			for i := range want {
				for j := range want[i] {
					worst = math.Max(worst, math.Abs(float64(got[i][j]-want[i][j])))
				}
			}
			t.Logf("max |Δ logit| %.3g", worst)
			if worst > tc.tol {
				t.Errorf("max |Δ logit| %.3g > %g", worst, tc.tol)
			}
		})
	}
}

// f32ConfigCopy links dir's files into a temporary folder whose config.json says dtype float32.
func f32ConfigCopy(t *testing.T, dir string) string {
	t.Helper()
	tmp := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		src, _ := filepath.Abs(filepath.Join(dir, e.Name()))
		if e.Name() == "config.json" {
			var cfg map[string]any
			data, _ := os.ReadFile(src)
			if err := json.Unmarshal(data, &cfg); err != nil {
				t.Fatal(err)
			}
			cfg["dtype"] = "float32"
			data, _ = json.Marshal(cfg)
			if err := os.WriteFile(filepath.Join(tmp, "config.json"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.Symlink(src, filepath.Join(tmp, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return tmp
}

func TestGGUFExportErrors(t *testing.T) {
	tmp := t.TempDir()
	quantDir := filepath.Join(tmp, "q")
	if err := os.MkdirAll(quantDir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(quantDir, "config.json"), []byte(`{"model_type":"llama","quantization_config":{"bits":4}}`), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"gguf", "--model", "../../model/testdata/llama-tiny"}, "--model and --out are required"},
		{[]string{"gguf", "--model", "../../model/testdata/llama-tiny", "--out", filepath.Join(tmp, "x.gguf"), "--type", "q3_k"}, `--type "q3_k"`},
		{[]string{"gguf", "--model", quantDir, "--out", filepath.Join(tmp, "y.gguf")}, "quantized folder"},
		{[]string{"gguf", "--model", filepath.Join(tmp, "none"), "--out", filepath.Join(tmp, "z.gguf")}, "config.json"},
	} {
		_, errs, code := capture(t, tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want an error with %q", tc.args, code, errs, tc.want)
		}
	}
	// No output file is left behind by a failed export.
	left, _ := filepath.Glob(filepath.Join(tmp, "*.gguf*"))
	if len(left) != 0 {
		t.Errorf("files left: %v", left)
	}
}
