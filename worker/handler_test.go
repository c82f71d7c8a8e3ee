package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"
)

// scriptLM is a fake model for the handler's own logic (stop strings,
// streaming, EOS, errors): it emits script[i] as the i-th token whatever
// the prompt, and fails with failAt's error after failAt tokens.
type scriptLM struct {
	script []int32
	eos    []int32
	failAt int
}

var errScripted = errors.New("scripted failure")

func (m *scriptLM) Generate(ctx context.Context, prompt []int32, o SampleOptions, onToken func(int32) bool) error {
	for i := 0; i < o.MaxTokens && i < len(m.script); i++ {
		if m.failAt > 0 && i == m.failAt {
			return errScripted
		}
		if !onToken(m.script[i]) {
			return nil
		}
	}
	return nil
}
func (m *scriptLM) VocabSize() int     { return len(pieces) }
func (m *scriptLM) ContextLength() int { return 64 }
func (m *scriptLM) EOS() []int32       { return m.eos }

// pieces is the fake tokenizer's vocabulary: id i decodes to pieces[i].
// "\xc3" and "\xa9" are the two bytes of "é" split across tokens, as
// byte-level BPE does.
var pieces = []string{"<eos>", "Hel", "lo", " wor", "ld", "!", "\xc3", "\xa9", " caf", "END"}

type pieceTokenizer struct{}

func (pieceTokenizer) Encode(s string) ([]int32, error) {
	var ids []int32
	for s != "" {
		found := false
		for id := len(pieces) - 1; id > 0; id-- {
			if strings.HasPrefix(s, pieces[id]) {
				ids, s, found = append(ids, int32(id)), s[len(pieces[id]):], true
				break
			}
		}
		if !found {
			return nil, errors.New("untokenizable")
		}
	}
	return ids, nil
}

func (pieceTokenizer) Decode(ids []int32) (string, error) {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(pieces[id])
	}
	return b.String(), nil
}

// fakeModels is a one-model folder the handler can list; the loader
// ignores its contents.
func fakeStore() FSStore {
	return FSStore{FS: fstest.MapFS{"fake/config.json": {Data: []byte("{}")}}}
}

func fakeHandler(lm LM, tok Tokenizer) *Handler {
	return New(Config{Store: fakeStore(), LoadLM: func(context.Context, fs.FS) (LM, Tokenizer, error) { return lm, tok, nil }})
}

func post(t *testing.T, h http.Handler, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", path, strings.NewReader(body)))
	return rec
}

// streamText concatenates the text of an SSE completion stream, checking
// every delta is valid UTF-8 (a client renders each as it comes).
func streamText(t *testing.T, body []byte) (text string, finish string, done bool) {
	t.Helper()
	for _, ev := range strings.Split(strings.TrimSuffix(string(body), "\n\n"), "\n\n") {
		data := strings.TrimPrefix(ev, "data: ")
		if data == "[DONE]" {
			done = true
			continue
		}
		var c completionResponse
		if err := json.Unmarshal([]byte(data), &c); err != nil || len(c.Choices) != 1 {
			t.Fatalf("event %q: %v", data, err)
		}
		if !utf8.ValidString(c.Choices[0].Text) {
			t.Errorf("delta %q is not valid UTF-8", c.Choices[0].Text)
		}
		text += c.Choices[0].Text
		if f := c.Choices[0].FinishReason; f != nil {
			finish = *f
		}
	}
	return text, finish, done
}

func TestCompletionText(t *testing.T) {
	// Hel lo " wor" ld ! \xc3 \xa9 " caf" \xc3 \xa9 END <eos> Hel
	script := []int32{1, 2, 3, 4, 5, 6, 7, 8, 6, 7, 9, 0, 1}
	cases := []struct {
		name       string
		req        string
		wantText   string
		wantFinish string
	}{
		{"no stop", `"max_tokens":10`, "Hello world!é café", "length"},
		{"stop inside a token", `"max_tokens":20,"stop":"wor"`, "Hello ", "stop"},
		{"stop across tokens", `"max_tokens":20,"stop":"lo w"`, "Hel", "stop"},
		{"earliest of several stops", `"max_tokens":20,"stop":["!","ld"]`, "Hello wor", "stop"},
		{"stop on a split character", `"max_tokens":20,"stop":"é c"`, "Hello world!", "stop"},
		{"stop never seen", `"max_tokens":20,"stop":"xyz"`, "Hello world!é caféEND", "stop"}, // ends on EOS
		{"ignore_eos runs past EOS", `"max_tokens":13,"ignore_eos":true`, "Hello world!é caféEND<eos>Hel", "length"},
	}
	lm := &scriptLM{script: script, eos: []int32{0}}
	h := fakeHandler(lm, pieceTokenizer{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := `{"model":"fake","prompt":"Hello","temperature":0,` + c.req + `}`
			rec := post(t, h, "/v1/completions", body)
			var resp completionResponse
			if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &resp) != nil {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if got := resp.Choices[0].Text; got != c.wantText || *resp.Choices[0].FinishReason != c.wantFinish {
				t.Errorf("text %q finish %s, want %q %s", got, *resp.Choices[0].FinishReason, c.wantText, c.wantFinish)
			}
			// Streaming gives the same text, in valid UTF-8 pieces.
			rec = post(t, h, "/v1/completions", strings.Replace(body, "{", `{"stream":true,`, 1))
			text, finish, done := streamText(t, rec.Body.Bytes())
			if text != c.wantText || finish != c.wantFinish || !done {
				t.Errorf("stream: text %q finish %q done %v, want %q %s", text, finish, done, c.wantText, c.wantFinish)
			}
		})
	}
}

func TestStreamHoldsBackPossibleStops(t *testing.T) {
	// With stop "world", " wor" must not be streamed before "ld" decides.
	h := fakeHandler(&scriptLM{script: []int32{1, 2, 3, 4, 5}}, pieceTokenizer{})
	rec := post(t, h, "/v1/completions", `{"model":"fake","prompt":"Hel","stream":true,"stop":"world","max_tokens":10}`)
	for _, ev := range strings.Split(rec.Body.String(), "\n\n") {
		if strings.Contains(ev, "wor") {
			t.Errorf("streamed part of a stop string: %s", ev)
		}
	}
	text, finish, _ := streamText(t, rec.Body.Bytes())
	if text != "Hello " || finish != "stop" {
		t.Errorf("text %q finish %q", text, finish)
	}
}

func TestStreamErrorAfterStart(t *testing.T) {
	h := fakeHandler(&scriptLM{script: []int32{1, 2, 3, 4}, failAt: 2}, pieceTokenizer{})
	rec := post(t, h, "/v1/completions", `{"model":"fake","prompt":"Hel","stream":true,"max_tokens":4}`)
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, `"code":"generation_failed"`) || strings.Contains(body, "[DONE]") {
		t.Errorf("mid-stream failure: %d %q; want an error event and no [DONE]", rec.Code, body)
	}
	// Not streaming, the same failure is a 500 JSON error.
	rec = post(t, h, "/v1/completions", `{"model":"fake","prompt":"Hel","max_tokens":4}`)
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "scripted failure") {
		t.Errorf("failure: %d %s", rec.Code, rec.Body)
	}
}

func TestCompletionTokenizerErrors(t *testing.T) {
	h := fakeHandler(&scriptLM{script: []int32{1}}, pieceTokenizer{})
	rec := post(t, h, "/v1/completions", `{"model":"fake","prompt":"???"}`)
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), "tokenize_failed") {
		t.Errorf("untokenizable prompt: %d %s", rec.Code, rec.Body)
	}
}

// countingLoader counts loads, and blocks each until release is closed.
type countingLoader struct {
	loads   atomic.Int32
	release chan struct{}
}

func (c *countingLoader) load(ctx context.Context, fsys fs.FS) (LM, Tokenizer, error) {
	c.loads.Add(1)
	if _, err := fs.ReadFile(fsys, "config.json"); err != nil {
		return nil, nil, err
	}
	if c.release != nil {
		<-c.release
	}
	return &scriptLM{script: []int32{1, 2}}, nil, nil
}

func TestWarmCacheLoadsOnce(t *testing.T) {
	cl := &countingLoader{release: make(chan struct{})}
	h := New(Config{Store: fakeStore(), LoadLM: cl.load})
	var wg sync.WaitGroup
	codes := make([]int, 6)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = post(t, h, "/v1/completions", `{"model":"fake","prompt":[1],"max_tokens":2}`).Code
		}()
	}
	time.Sleep(20 * time.Millisecond) // let them all queue on the load
	close(cl.release)
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("request %d: %d", i, c)
		}
	}
	if n := cl.loads.Load(); n != 1 {
		t.Errorf("%d concurrent first requests loaded the model %d times, want 1", len(codes), n)
	}
	rec := post(t, h, "/v1/completions", `{"model":"fake","prompt":[1],"max_tokens":2}`)
	if rec.Header().Get("X-Lamina-Model-Cache") != "hit" || cl.loads.Load() != 1 {
		t.Errorf("later request: cache %q, loads %d", rec.Header().Get("X-Lamina-Model-Cache"), cl.loads.Load())
	}
}

func TestWarmCacheReloadsChangedModel(t *testing.T) {
	fsys := fstest.MapFS{"fake/config.json": {Data: []byte("{}")}}
	cl := &countingLoader{}
	now := time.Unix(0, 0)
	h := New(Config{Store: FSStore{FS: fsys}, LoadLM: cl.load, Now: func() time.Time { return now }})
	req := `{"model":"fake","prompt":[1],"max_tokens":1}`
	post(t, h, "/v1/completions", req)
	post(t, h, "/v1/completions", req)
	fsys["fake/config.json"] = &fstest.MapFile{Data: []byte(`{"changed":true}`)}
	post(t, h, "/v1/completions", req) // manifest still cached: same model
	if n := cl.loads.Load(); n != 1 {
		t.Fatalf("loads before the manifest expired: %d", n)
	}
	now = now.Add(manifestTTL + time.Second)
	rec := post(t, h, "/v1/completions", req)
	if n := cl.loads.Load(); n != 2 || rec.Header().Get("X-Lamina-Model-Cache") != "miss" {
		t.Errorf("after redeploy: loads %d, cache %q; want a reload", n, rec.Header().Get("X-Lamina-Model-Cache"))
	}
}

func TestWarmCacheBudget(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 1000)
	fsys := fstest.MapFS{"a/w": {Data: big}, "b/w": {Data: big}, "c/w": {Data: big}}
	loads := map[string]int{}
	var mu sync.Mutex
	loader := func(ctx context.Context, f fs.FS) (LM, Tokenizer, error) {
		mu.Lock()
		defer mu.Unlock()
		entries, _ := fs.ReadDir(f, ".")
		loads[entries[0].Name()]++ // every model has one file, "w"
		return &scriptLM{script: []int32{1}}, nil, nil
	}
	// Room for two 1000-byte models.
	h := New(Config{Store: FSStore{FS: fsys}, LoadLM: loader, WarmBudget: 2500})
	for _, m := range []string{"a", "b", "a", "c", "a", "b"} {
		if rec := post(t, h, "/v1/completions", `{"model":"`+m+`","prompt":[1],"max_tokens":1}`); rec.Code != 200 {
			t.Fatalf("%s: %d %s", m, rec.Code, rec.Body)
		}
	}
	// a stays (recently used), b is dropped for c and reloaded last.
	if got := h.models.names(); strings.Join(got, ",") != "a,b" {
		t.Errorf("warm models %v, want [a b]", got)
	}
	if loads["w"] != 4 {
		t.Errorf("%d loads, want 4 (a, b, c, b again)", loads["w"])
	}
}

func TestCompletionsWithoutRuntime(t *testing.T) {
	h := New(Config{Store: fakeStore()})
	// Without an LM runtime, completions are 503.
	if rec := post(t, h, "/v1/completions", `{"model":"fake","prompt":[1]}`); rec.Code != 503 {
		t.Errorf("no LM runtime: %d", rec.Code)
	}
}

func TestParseRange(t *testing.T) {
	const size = 100
	cases := []struct {
		h     string
		want  byteRange
		err   error
		notes string
	}{
		{"bytes=0-0", byteRange{0, 1}, nil, "first byte"},
		{"bytes=0-99", byteRange{0, 100}, nil, "whole"},
		{"bytes=0-1000", byteRange{0, 100}, nil, "last clamped"},
		{"bytes=99-", byteRange{99, 1}, nil, "open-ended last byte"},
		{"bytes=-1", byteRange{99, 1}, nil, "suffix"},
		{"bytes=-100", byteRange{0, 100}, nil, "suffix of all"},
		{"bytes=-101", byteRange{0, 100}, nil, "suffix clamped"},
		{"BYTES= 5 - 9 ", byteRange{5, 5}, nil, "case and spaces"},
		{"bytes=100-", byteRange{}, errRangeUnsatisfiable, "start at size"},
		{"bytes=-0", byteRange{}, errRangeUnsatisfiable, "empty suffix"},
		{"bytes=5-4", byteRange{}, errRangeIgnored, "reversed"},
		{"bytes=0-1,3-4", byteRange{}, errRangeIgnored, "multi"},
		{"bytes=-", byteRange{}, errRangeIgnored, "no numbers"},
		{"bytes=+1-2", byteRange{}, errRangeIgnored, "sign"},
		{"bytes=99999999999999999999-", byteRange{}, errRangeIgnored, "overflow"},
		{"octets=0-1", byteRange{}, errRangeIgnored, "unit"},
		{"", byteRange{}, errRangeIgnored, "empty"},
	}
	for _, c := range cases {
		got, err := parseRange(c.h, size)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("%s: parseRange(%q) = %+v, %v; want %+v, %v", c.notes, c.h, got, err, c.want, c.err)
		}
	}
	if _, err := parseRange("bytes=-5", 0); !errors.Is(err, errRangeUnsatisfiable) {
		t.Errorf("suffix of an empty file: %v", err)
	}
}

func TestSplitModelPath(t *testing.T) {
	cases := []struct {
		in          string
		model, file string
		ok          bool
	}{
		{"gpt2/config.json", "gpt2", "config.json", true},
		{"m/onnx/model.onnx", "m", "onnx/model.onnx", true},
		{"m/a%2Db.bin", "m", "a-b.bin", true},
		{"m", "", "", false},
		{"m/", "", "", false},
		{"../x", "", "", false},
		{"m/../x", "", "", false},
		{"m/%2e%2e/x", "", "", false},
		{"m/.%2E/x", "", "", false},
		{"m/..%2fx", "", "", false},
		{`m\..\x`, "", "", false},
		{"m/a%5cb", "", "", false},
		{"/etc/passwd", "", "", false},
		{"m//x", "", "", false},
		{"_lamina/manifest.json", "", "", false},
		{"m/.hidden", "", "", false},
		{"m/a%00", "", "", false},
		{"m/%zz", "", "", false},
		{"m/a:b", "", "", false},
		{"m/a/b/c/d/e", "", "", false},
	}
	for _, c := range cases {
		m, f, ok := SplitModelPath(c.in)
		if m != c.model || f != c.file || ok != c.ok {
			t.Errorf("SplitModelPath(%q) = %q, %q, %v; want %q, %q, %v", c.in, m, f, ok, c.model, c.file, c.ok)
		}
	}
}

func TestParseManifestRejects(t *testing.T) {
	sha := strings.Repeat("a", 64)
	cases := map[string]string{
		"version":        `{"version":2,"models":[]}`,
		"traversal":      `{"version":1,"models":[{"name":"..","files":[]}]}`,
		"file traversal": `{"version":1,"models":[{"name":"m","files":[{"name":"../x","size":1,"sha256":"` + sha + `"}]}]}`,
		"short sha":      `{"version":1,"models":[{"name":"m","files":[{"name":"x","size":1,"sha256":"abc"}]}]}`,
		"negative size":  `{"version":1,"models":[{"name":"m","files":[{"name":"x","size":-1,"sha256":"` + sha + `"}]}]}`,
		"duplicate":      `{"version":1,"models":[{"name":"m","files":[]},{"name":"m","files":[]}]}`,
		"unknown field":  `{"version":1,"models":[],"extra":1}`,
		"not json":       `{`,
	}
	for name, data := range cases {
		if _, err := ParseManifest([]byte(data)); err == nil {
			t.Errorf("%s: accepted %s", name, data)
		}
	}
}

// bytesTokenizer mimics SentencePiece byte fallback as Hugging Face
// tokenizers decodes it: ids >= byteBase are the bytes id-byteBase, a run
// of them is decoded together, and a run that is not valid UTF-8 becomes
// one U+FFFD per byte. Other ids are pieces[id].
type bytesTokenizer struct{ pieceTokenizer }

const byteBase = 100

func (bytesTokenizer) IsByteToken(id int32) bool { return id >= byteBase }

func (bytesTokenizer) Decode(ids []int32) (string, error) {
	var b strings.Builder
	var run []byte
	flush := func() {
		if utf8.Valid(run) {
			b.Write(run)
		} else {
			b.WriteString(strings.Repeat("\uFFFD", len(run)))
		}
		run = run[:0]
	}
	for _, id := range ids {
		if id >= byteBase {
			run = append(run, byte(id-byteBase))
			continue
		}
		flush()
		b.WriteString(pieces[id])
	}
	flush()
	return b.String(), nil
}

func TestStreamByteFallback(t *testing.T) {
	// "Hel", '=', 0x05, 0xE4 (a lone lead byte), "lo", 'c', 0xC3 0xA9 ("é"), "!"
	script := []int32{1, byteBase + '=', byteBase + 5, byteBase + 0xE4, 2, byteBase + 'c', byteBase + 0xC3, byteBase + 0xA9, 5}
	h := fakeHandler(&scriptLM{script: script}, bytesTokenizer{})
	want := "Hel\uFFFD\uFFFD\uFFFDloc" + "é!"
	rec := post(t, h, "/v1/completions", `{"model":"fake","prompt":[1],"max_tokens":20}`)
	var resp completionResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Choices[0].Text != want {
		t.Fatalf("text %q (err %v), want %q", rec.Body, err, want)
	}
	rec = post(t, h, "/v1/completions", `{"model":"fake","prompt":[1],"max_tokens":20,"stream":true}`)
	if text, _, _ := streamText(t, rec.Body.Bytes()); text != want {
		t.Errorf("streamed %q, want %q: bytes released before their run was complete", text, want)
	}
}
