package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeChatCompletions: `lamina serve --models` answers the worker's
// /v1/ routes over the same folder (chat-tiny assembled from the fixtures
// as worker/testdata/models.txt does).
func TestServeChatCompletions(t *testing.T) {
	site, _, _ := newServeFixture(t)
	models := t.TempDir()
	dir := filepath.Join(models, "chat-tiny")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for src, names := range map[string][]string{
		"../../model/testdata/qwen2-tiny":          {"config.json", "generation_config.json", "model.safetensors"},
		"../../tokenizer/testdata/bytelevel-small": {"tokenizer.json"},
		"../../worker/testdata/chat-tiny":          {"tokenizer_config.json"},
	} {
		for _, n := range names {
			b, err := os.ReadFile(filepath.Join(src, n))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	h, err := newServeHandler(site, models)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(
		`{"model":"chat-tiny","messages":[{"role":"user","content":"Hi"}],"max_tokens":40,"seed":1,"temperature":1,"response_format":{"type":"json_object"}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Object  string `json:"object"`
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 || r.Object != "chat.completion" || len(r.Choices) != 1 {
		t.Fatalf("status %d, %+v, %v", resp.StatusCode, r, err)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(r.Choices[0].Message.Content), &obj); err != nil || obj == nil {
		t.Fatalf("content %q is not a JSON object: %v", r.Choices[0].Message.Content, err)
	}
	// Browsers preflight the POST; /v1/models lists the folder.
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/v1/chat/completions", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("preflight: %v %v", resp, err)
	}
	if resp, err := http.Get(srv.URL + "/v1/models"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/v1/models: %v %v", resp, err)
	}
}
