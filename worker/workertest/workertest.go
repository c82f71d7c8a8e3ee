// Package workertest drives one generation request through the worker's
// HTTP handler and through an independent decode loop, so that the other
// front ends' tests (cmd/lamina, wasm) can check they give the same tokens
// and text for the same request and seed.
package workertest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/tokenizer"
	"github.com/lamina-ml/lamina/worker"
)

// Case is one request, as each front end spells it, with the sampling
// settings it must resolve to, worked out by hand from the request and the
// model's generation_config.json.
type Case struct {
	Name      string
	Prompt    string
	MaxTokens int
	// Temperature, TopK and TopP are the request's; nil: left out.
	Temperature *float64
	TopK        *int
	TopP        *float64
	Seed        int64
	Stop        []string
	IgnoreEOS   bool

	// Want is what the request resolves to (ResolveOptions is not asked).
	Want tensor.SampleParams
}

// Dir is the fixture folder every front end loads: a 3-layer Llama whose
// generation_config.json sets do_sample with temperature 0.8 and top_k 40,
// a byte-level BPE tokenizer with a BOS post-processor.
func Dir(root string) string {
	return filepath.Join(root, "train", "lm", "testdata", "tiny-random")
}

func f(v float64) *float64 { return &v }
func i(v int) *int         { return &v }

// Cases are the shared requests.
var Cases = []Case{
	{Name: "generation_config defaults", Prompt: "The jury said", MaxTokens: 12, Seed: 5, IgnoreEOS: true,
		Want: tensor.SampleParams{Temperature: 0.8, TopK: 40}},
	{Name: "request overrides", Prompt: "The jury said", MaxTokens: 12, Temperature: f(1.3), TopK: i(0), TopP: f(0.9), Seed: 9, IgnoreEOS: true,
		Want: tensor.SampleParams{Temperature: 1.3, TopP: 0.9}},
	{Name: "greedy", Prompt: "Once upon a time", MaxTokens: 10, Temperature: f(0), IgnoreEOS: true},
	{Name: "stop string", Prompt: "The jury said", MaxTokens: 20, Temperature: f(1.1), TopK: i(300), Seed: 3, Stop: []string{"e"}, IgnoreEOS: true,
		Want: tensor.SampleParams{Temperature: 1.1, TopK: 300}},
}

// Result is a front end's answer: the generated ids (the stop token
// included, an ending EOS not) and the text, cut before a stop string.
type Result struct {
	IDs  []int32
	Text string
}

// Worker posts c to the worker's /v1/completions over the fixture folder
// (loaded with worker.LoadCPU) and returns the completion.
func Worker(t *testing.T, root string, c Case) Result {
	t.Helper()
	dir := Dir(root)
	h := worker.New(worker.Config{Store: worker.FSStore{FS: os.DirFS(filepath.Dir(dir))}, LoadLM: worker.LoadCPU})
	body := map[string]any{"model": filepath.Base(dir), "prompt": c.Prompt, "max_tokens": c.MaxTokens, "seed": c.Seed,
		"ignore_eos": c.IgnoreEOS, "return_token_ids": true}
	if c.Temperature != nil {
		body["temperature"] = *c.Temperature
	}
	if c.TopK != nil {
		body["top_k"] = *c.TopK
	}
	if c.TopP != nil {
		body["top_p"] = *c.TopP
	}
	if c.Stop != nil {
		body["stop"] = c.Stop
	}
	b, _ := json.Marshal(body)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/completions", bytes.NewReader(b)))
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: worker answered %d: %s", c.Name, rec.Code, rec.Body)
	}
	var resp struct {
		Choices []struct {
			Text     string  `json:"text"`
			TokenIDs []int32 `json:"token_ids"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Choices) != 1 {
		t.Fatalf("%s: worker body %s: %v", c.Name, rec.Body, err)
	}
	return Result{IDs: resp.Choices[0].TokenIDs, Text: resp.Choices[0].Text}
}

// Reference decodes c with its own loop: a plain session's logits, argmax
// or tensor.SampleRow with c.Want and the token index as Step, the stop
// string found in the text decoded so far.
func Reference(t *testing.T, root string, c Case) Result {
	t.Helper()
	dir := Dir(root)
	m, err := model.LoadDir(dir, tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	data, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	prompt := tok.EncodeWithSpecial(c.Prompt)
	s, err := m.NewSession(len(prompt) + c.MaxTokens)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	logits, err := s.Prefill(prompt)
	if err != nil {
		t.Fatal(err)
	}
	p := c.Want
	p.Seed = model.SampleSeed(uint64(c.Seed))
	var r Result
	for step := range c.MaxTokens {
		var id int32
		if p.Temperature == 0 {
			id = int32(argmax(logits))
		} else {
			q := p
			q.Step = uint32(step)
			id = tensor.SampleRow(logits, q)
		}
		if !c.IgnoreEOS && id == m.EOS[0] {
			break
		}
		r.IDs = append(r.IDs, id)
		text := tok.Decode(r.IDs)
		if k := firstIndex(text, c.Stop); k >= 0 {
			r.Text = text[:k]
			return r
		}
		r.Text = text
		if logits, err = s.Step(id); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func argmax(x []float32) int {
	best := 0
	for j, v := range x {
		if v > x[best] {
			best = j
		}
	}
	return best
}

func firstIndex(s string, subs []string) int {
	best := -1
	for _, sub := range subs {
		if k := bytes.Index([]byte(s), []byte(sub)); k >= 0 && (best < 0 || k < best) {
			best = k
		}
	}
	return best
}
