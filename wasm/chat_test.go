package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// chatTinyFiles is the chat-tiny fixture of worker/testdata/models.txt:
// qwen2-tiny's weights, the bytelevel-small tokenizer, zephyr's template.
func chatTinyFiles(t *testing.T) memFS {
	t.Helper()
	files := memFS{}
	for src, names := range map[string][]string{
		"../model/testdata/qwen2-tiny":          {"config.json", "generation_config.json", "model.safetensors"},
		"../tokenizer/testdata/bytelevel-small": {"tokenizer.json"},
		"../worker/testdata/chat-tiny":          {"tokenizer_config.json"},
	} {
		for _, n := range names {
			b, err := os.ReadFile(filepath.Join(src, n))
			if err != nil {
				t.Fatal(err)
			}
			files[n] = b
		}
	}
	return files
}

func TestChat(t *testing.T) {
	r := newRegistry(nil)
	rt := newCPURuntime(t, r)
	id, lm, err := r.loadModel(rt, chatTinyFiles(t))
	if err != nil {
		t.Fatal(err)
	}
	if !lm.info.HasChatTemplate {
		t.Fatal("hasChatTemplate false")
	}
	never := func() bool { return false }
	msgs := []byte(`[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]`)
	var text string
	res, err := lm.chatGenerate(chatRequest{genRequest: genRequest{MaxNewTokens: 20}, Messages: msgs},
		func(_ int32, s string) { text += s }, never)
	if err != nil {
		t.Fatal(err)
	}
	// The rendering jinja2 gives (see worker/chat_test.go), encoded.
	want := lm.tok.Encode("<|system|>\nBe brief.<|endoftext|>\n<|user|>\nHi<|endoftext|>\n<|assistant|>\n")
	if res.PromptTokens != len(want) || fmt.Sprint(res.IDs[:len(want)]) != fmt.Sprint(want) {
		t.Fatalf("prompt %v, want %v", res.IDs[:res.PromptTokens], want)
	}
	// The same ids as generate on that prompt.
	ids, _, err := lm.generate(genRequest{IDs: want, MaxNewTokens: 20, EOS: []int32{271}}, func(int32, string) {}, never)
	if err != nil || fmt.Sprint(ids) != fmt.Sprint(res.IDs) {
		t.Fatalf("chat ids %v, generate ids %v (%v)", res.IDs, ids, err)
	}
	newIDs := ids[len(want):]
	wantN, wantFinish := len(newIDs), "length"
	if len(newIDs) > 0 && newIDs[len(newIDs)-1] == 271 {
		wantN, wantFinish = wantN-1, "stop"
	}
	if res.CompletionTokens != wantN || res.Finish != wantFinish {
		t.Fatalf("completion tokens %d (%s), want %d (%s)", res.CompletionTokens, res.Finish, wantN, wantFinish)
	}

	schema := `{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"a":{"type":"integer"},"b":{"enum":["x","y"]}},"required":["a","b"],"additionalProperties":false}}}`
	temp := float32(1)
	for seed := uint64(0); seed < 20; seed++ {
		text = ""
		res, err := lm.chatGenerate(chatRequest{genRequest: genRequest{MaxNewTokens: 40, Temperature: &temp, Seed: seed}, Messages: msgs, ResponseFormat: []byte(schema)},
			func(_ int32, s string) { text += s }, never)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			A *int    `json:"a"`
			B *string `json:"b"`
		}
		if err := json.Unmarshal([]byte(text), &v); err != nil || v.A == nil || v.B == nil || (*v.B != "x" && *v.B != "y") || res.Finish != "stop" {
			t.Fatalf("seed %d: %q (%s): %v", seed, text, res.Finish, err)
		}
	}
	if _, err := lm.chatGenerate(chatRequest{genRequest: genRequest{MaxNewTokens: 5}, Messages: msgs, ResponseFormat: []byte(`{"type":"json_schema","json_schema":{"schema":{"type":"string","format":"date"}}}`)}, func(int32, string) {}, never); errorCode(err) != codeBadInput {
		t.Fatalf("unsupported keyword: %v", err)
	}
	if _, err := lm.chatGenerate(chatRequest{genRequest: genRequest{MaxNewTokens: 30, StopStrings: []string{"}"}}, Messages: msgs, ResponseFormat: []byte(`{"type":"json_object"}`)}, func(int32, string) {}, never); errorCode(err) != codeBadInput {
		t.Fatalf("stop with JSON: %v", err)
	}
	r.disposeModel(id)

	files := chatTinyFiles(t)
	delete(files, "tokenizer_config.json")
	_, plain, err := r.loadModel(rt, files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.chatGenerate(chatRequest{Messages: msgs}, func(int32, string) {}, never); errorCode(err) != codeNoChatTemplate {
		t.Fatalf("no template: %v", err)
	}
}

// lm.chat with tools renders them as jinja2 does (Qwen2.5's template, the
// worker's testdata/chat-tools case), and refuses tools on a template that
// ignores them.
func TestChatTools(t *testing.T) {
	r := newRegistry(nil)
	rt := newCPURuntime(t, r)
	files := chatTinyFiles(t)
	cfg, err := os.ReadFile("../worker/testdata/chat-tools/tokenizer_config.json")
	if err != nil {
		t.Fatal(err)
	}
	plainFiles := memFS{}
	for k, v := range files {
		plainFiles[k] = v
	}
	files["tokenizer_config.json"] = cfg
	_, lm, err := r.loadModel(rt, files)
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name   string `json:"name"`
		OpenAI struct {
			Messages json.RawMessage `json:"messages"`
			Tools    json.RawMessage `json:"tools"`
		} `json:"openai"`
	}
	var expected map[string]map[string]struct {
		Output string `json:"output"`
	}
	for path, v := range map[string]any{"../worker/testdata/chat-tools/cases.json": &cases, "../worker/testdata/chat-tools/expected.json": &expected} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatal(err)
		}
	}
	never := func() bool { return false }
	for _, c := range cases {
		want := expected["Qwen--Qwen2.5-7B-Instruct.jinja"][c.Name].Output
		if want == "" {
			t.Fatalf("no jinja2 rendering for %s", c.Name)
		}
		res, err := lm.chatGenerate(chatRequest{genRequest: genRequest{MaxNewTokens: 2}, Messages: c.OpenAI.Messages, Tools: c.OpenAI.Tools}, func(int32, string) {}, never)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if ids := lm.tok.Encode(want); fmt.Sprint(res.IDs[:res.PromptTokens]) != fmt.Sprint(ids) {
			t.Errorf("%s: prompt %q, jinja2 %q", c.Name, lm.tok.Decode(res.IDs[:res.PromptTokens]), want)
		}
	}
	_, plain, err := r.loadModel(rt, plainFiles)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.chatGenerate(chatRequest{genRequest: genRequest{MaxNewTokens: 2}, Messages: cases[0].OpenAI.Messages, Tools: cases[0].OpenAI.Tools}, func(int32, string) {}, never); errorCode(err) != codeBadInput {
		t.Errorf("tools on zephyr's template: %v, want %s", err, codeBadInput)
	}
}
