package worker

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/lamina-ml/lamina/gguf"
	"github.com/lamina-ml/lamina/tokenizer"
)

// A model folder holding only a .gguf file is served as that model:
// /v1/completions on the gguf package's mixed-type tiny llama gives the
// text of llama.cpp's greedy ids (gguf/testdata/llamacpp/mixed-tiny.json),
// decoded with the tokenizer from the file's metadata.
func TestCompletionsFromGGUF(t *testing.T) {
	const src = "../gguf/testdata/llamacpp/mixed-tiny"
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "gguf-mixed"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(src+".gguf", filepath.Join(dir, "gguf-mixed", "mixed-tiny.gguf")); err != nil {
		t.Fatal(err)
	}
	var ref struct {
		GreedyPrompt []int32 `json:"greedy_prompt"`
		GreedyIDs    []int32 `json:"greedy_ids"`
	}
	b, err := os.ReadFile(src + ".json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	f, closer, err := gguf.OpenFile(src + ".gguf")
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	tj, err := f.TokenizerJSON()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(tj)
	if err != nil {
		t.Fatal(err)
	}
	want := tok.Decode(ref.GreedyIDs)

	h := New(Config{Store: FSStore{FS: os.DirFS(dir)}, LoadLM: LoadCPU})
	prompt, _ := json.Marshal(ref.GreedyPrompt)
	rec := post(t, h, "/v1/completions", `{"model":"gguf-mixed","prompt":`+string(prompt)+`,"temperature":0,"ignore_eos":true,"max_tokens":12}`)
	var resp completionResponse
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &resp) != nil {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if got := resp.Choices[0].Text; got != want {
		t.Errorf("text %q, llama.cpp's ids decode to %q", got, want)
	}
}
