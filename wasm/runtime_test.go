package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/lamina-ml/lamina/backend"
	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/webgpu"
)

// The runtime is tested natively on the core's committed HF fixtures (the
// e2e suite runs the same runtime in Chromium through lamina.mjs).
const fixtureDir = "../model/testdata"

// logitsTol is the max abs difference allowed against transformers' fp32
// logits: the bar for the whole runtime.
const logitsTol = 2e-4

var fixtureModels = []string{"gpt2-tiny", "llama-tiny", "qwen2-tiny", "llama-tiny-sharded-f16"}

type reference struct {
	InputIDs     []int32     `json:"input_ids"`
	Logits       [][]float64 `json:"logits"`
	GreedyPrompt []int32     `json:"greedy_prompt"`
	GreedyIDs    []int32     `json:"greedy_ids"`
}

// readModelDir reads a fixture model the way lamina-engine.mjs hands it to
// Go: a flat name → bytes map (reference.json is not a model file).
func readModelDir(t *testing.T, name string) (memFS, reference) {
	t.Helper()
	dir := filepath.Join(fixtureDir, name)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("committed fixture %s missing: %v", name, err)
	}
	files := memFS{}
	var ref reference
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "reference.json" {
			if err := json.Unmarshal(b, &ref); err != nil {
				t.Fatal(err)
			}
			continue
		}
		files[e.Name()] = b
	}
	return files, ref
}

func newCPURuntime(t *testing.T, r *registry) int {
	t.Helper()
	id, be, err := r.createRuntime(context.Background(), modeCPU)
	if err != nil || be != "cpu" {
		t.Fatalf("createRuntime: %v %q", err, be)
	}
	return id
}

func TestRuntimeMatchesHF(t *testing.T) {
	for _, name := range fixtureModels {
		t.Run(name, func(t *testing.T) {
			files, ref := readModelDir(t, name)
			r := newRegistry(nil)
			rt := newCPURuntime(t, r)
			_, lm, err := r.loadModel(rt, files)
			if err != nil {
				t.Fatal(err)
			}
			got, err := lm.logits(ref.InputIDs)
			if err != nil {
				t.Fatal(err)
			}
			V := lm.info.VocabSize
			if len(got) != len(ref.Logits)*V {
				t.Fatalf("logits len %d, want %d", len(got), len(ref.Logits)*V)
			}
			var worst float64
			for i, row := range ref.Logits {
				for j, want := range row {
					worst = math.Max(worst, math.Abs(float64(got[i*V+j])-want))
				}
			}
			if worst > logitsTol {
				t.Errorf("max abs logits error %.3g > %.g", worst, logitsTol)
			}
			// HF's reference did not stop at EOS: neither may we here.
			n := len(ref.GreedyIDs) - len(ref.GreedyPrompt)
			var streamed []int32
			ids, cancelled, err := lm.generate(genRequest{IDs: ref.GreedyPrompt, MaxNewTokens: n, EOS: []int32{}},
				func(id int32, _ string) { streamed = append(streamed, id) }, func() bool { return false })
			if err != nil || cancelled {
				t.Fatal(err, cancelled)
			}
			if fmt.Sprint(ids) != fmt.Sprint(ref.GreedyIDs) {
				t.Errorf("greedy ids\n got %v\nwant %v", ids, ref.GreedyIDs)
			}
			if fmt.Sprint(streamed) != fmt.Sprint(ref.GreedyIDs[len(ref.GreedyPrompt):]) {
				t.Errorf("streamed %v", streamed)
			}
		})
	}
}

// TestGenerateSpeculative checks generate({speculative}) through the
// runtime: transformers' greedy ids, and per-token draft flags for every
// streamed token, as many set as the stats count accepted.
func TestGenerateSpeculative(t *testing.T) {
	files, ref := readModelDir(t, "llama-tiny")
	r := newRegistry(nil)
	_, lm, err := r.loadModel(newCPURuntime(t, r), files)
	if err != nil {
		t.Fatal(err)
	}
	n := len(ref.GreedyIDs) - len(ref.GreedyPrompt)
	st := &model.SpecStats{}
	streamed := 0
	ids, _, err := lm.generate(genRequest{IDs: ref.GreedyPrompt, MaxNewTokens: n, EOS: []int32{}, DraftExit: 1, DraftTokens: 3, Stats: st},
		func(int32, string) {
			streamed++
			if len(st.FromDraft) != streamed {
				t.Errorf("token %d streamed with %d draft flags", streamed, len(st.FromDraft))
			}
		}, func() bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != fmt.Sprint(ref.GreedyIDs) {
		t.Errorf("speculative greedy ids\n got %v\nwant %v", ids, ref.GreedyIDs)
	}
	acc := 0
	for _, d := range st.FromDraft {
		if d {
			acc++
		}
	}
	if st.Drafted == 0 || acc != st.Accepted || streamed != n {
		t.Errorf("stats %+v, %d flagged accepted, %d streamed", st, acc, streamed)
	}
}

func TestGenerateCancelAndEOS(t *testing.T) {
	files, ref := readModelDir(t, "llama-tiny")
	r := newRegistry(nil)
	_, lm, err := r.loadModel(newCPURuntime(t, r), files)
	if err != nil {
		t.Fatal(err)
	}
	// Cancelled after the third token: three new ids, no error.
	count := 0
	ids, cancelled, err := lm.generate(genRequest{IDs: ref.GreedyPrompt, MaxNewTokens: 10, EOS: []int32{}},
		func(int32, string) { count++ }, func() bool { return count >= 3 })
	if err != nil || !cancelled || len(ids) != len(ref.GreedyPrompt)+3 {
		t.Fatalf("ids %v cancelled %v err %v", ids, cancelled, err)
	}
	// With the model's EOS (llama-tiny: 2, which greedy decoding reaches
	// as its second token) generation stops at it and includes it.
	eosAt := -1
	for i, id := range ref.GreedyIDs[len(ref.GreedyPrompt):] {
		if id == 2 {
			eosAt = i
			break
		}
	}
	if eosAt < 0 {
		t.Fatalf("llama-tiny's greedy continuation %v has no EOS (2): the fixture changed", ref.GreedyIDs)
	}
	ids, _, err = lm.generate(genRequest{IDs: ref.GreedyPrompt, MaxNewTokens: 16}, func(int32, string) {}, func() bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if want := ref.GreedyIDs[:len(ref.GreedyPrompt)+eosAt+1]; fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("with EOS: %v, want %v", ids, want)
	}
}

func TestStreamedTextMatchesDecode(t *testing.T) {
	files, ref := readModelDir(t, "llama-tiny")
	tok, err := os.ReadFile("../tokenizer/testdata/llama-sp-bpe-bytefallback/tokenizer.json")
	if err != nil {
		t.Fatalf("committed fixture missing: %v", err)
	}
	files["tokenizer.json"] = tok
	r := newRegistry(nil)
	_, lm, err := r.loadModel(newCPURuntime(t, r), files)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	ids, _, err := lm.generate(genRequest{IDs: ref.GreedyPrompt, MaxNewTokens: 16, EOS: []int32{}},
		func(_ int32, piece string) { text.WriteString(piece) }, func() bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	want := lm.tok.Decode(ids[len(ref.GreedyPrompt):])
	got := text.String()
	// Pieces are held back only while the text ends mid-character.
	if strings.HasSuffix(want, string(utf8.RuneError)) {
		if !strings.HasPrefix(want, got) {
			t.Errorf("streamed %q is not a prefix of decode %q", got, want)
		}
	} else if got != want {
		t.Errorf("streamed %q, decode %q", got, want)
	}
	if got == "" {
		t.Error("no text streamed")
	}
}

func TestSampledGenerationIsSeeded(t *testing.T) {
	files, ref := readModelDir(t, "qwen2-tiny")
	r := newRegistry(nil)
	_, lm, err := r.loadModel(newCPURuntime(t, r), files)
	if err != nil {
		t.Fatal(err)
	}
	temp, topP, topK := float32(1.5), float32(0.95), 40
	run := func(seed uint64) string {
		ids, _, err := lm.generate(genRequest{IDs: ref.GreedyPrompt, MaxNewTokens: 12, Temperature: &temp, TopP: &topP, TopK: &topK, Seed: seed, EOS: []int32{}},
			func(int32, string) {}, func() bool { return false })
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(ids)
	}
	a, b, c := run(7), run(7), run(8)
	if a != b {
		t.Errorf("same seed gave %s and %s", a, b)
	}
	if a == c {
		t.Errorf("seeds 7 and 8 gave the same 12 tokens %s at temperature 1.5 (vocab 512)", a)
	}
	if a == fmt.Sprint(ref.GreedyIDs[:len(ref.GreedyPrompt)+12]) {
		t.Errorf("sampling at temperature 1.5 reproduced greedy decoding")
	}
}

func TestRuntimeErrors(t *testing.T) {
	files, _ := readModelDir(t, "llama-tiny")
	r := newRegistry(nil)
	rt := newCPURuntime(t, r)
	_, lm, err := r.loadModel(rt, files)
	if err != nil {
		t.Fatal(err)
	}
	unsupported := memFS{}
	for k, v := range files {
		unsupported[k] = v
	}
	unsupported["config.json"] = []byte(`{"model_type":"mamba","architectures":["MambaForCausalLM"]}`)
	noWeights := memFS{"config.json": files["config.json"]}
	badName := memFS{"../config.json": files["config.json"]}

	tests := []struct {
		name string
		err  func() error
		code string
	}{
		{"id out of vocabulary", func() error { _, err := lm.logits([]int32{1, 512}); return err }, codeBadInput},
		{"negative id", func() error { _, err := lm.logits([]int32{-1}); return err }, codeBadInput},
		{"no ids", func() error { _, err := lm.logits(nil); return err }, codeBadInput},
		{"unsupported architecture", func() error { _, _, err := r.loadModel(rt, unsupported); return err }, codeUnsupported},
		{"no weights", func() error { _, _, err := r.loadModel(rt, noWeights); return err }, codeBadModel},
		{"bad file name", func() error { _, _, err := r.loadModel(rt, badName); return err }, codeBadInput},
		{"bad backend", func() error { _, _, err := r.createRuntime(context.Background(), "tpu"); return err }, codeBadInput},
		{"no webgpu", func() error { _, _, err := r.createRuntime(context.Background(), modeWebGPU); return err }, codeNoWebGPU},
		{"disposed runtime", func() error { _, _, err := r.loadModel(999, files); return err }, codeDisposed},
		{"stop strings without tokenizer", func() error {
			_, _, err := lm.generate(genRequest{IDs: []int32{1}, MaxNewTokens: 2, StopStrings: []string{"x"}}, func(int32, string) {}, func() bool { return false })
			return err
		}, codeNoTokenizer},
		{"bad tokenizer", func() error { _, err := r.loadTokenizer([]byte(`{"model": 3}`)); return err }, codeBadModel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			if err == nil {
				t.Fatal("no error")
			}
			if got := errorCode(err); got != tc.code {
				t.Errorf("code %q, want %q (err: %v)", got, tc.code, err)
			}
		})
	}
}

// autoCPU is the backend auto falls back to without a GPU: wasm-simd where
// the SIMD module loads (js/wasm in Node), else cpu.
func autoCPU() string {
	if _, err := backend.LoadSIMD(context.Background()); err == nil {
		return string(backend.WasmSIMD)
	}
	return modeCPU
}

func TestAutoFallsBackToCPU(t *testing.T) {
	r := newRegistry(webgpu.NewBackendWithOptions)
	_, be, err := r.createRuntime(context.Background(), modeAuto)
	if err != nil || be != autoCPU() {
		t.Fatalf("auto without WebGPU: backend %q err %v", be, err)
	}
}

// lossyBackend is the CPU backend posing as a GPU whose device is lost
// once lose is set: every Read then fails as webgpu's does.
type lossyBackend struct {
	tensor.Backend
	lost bool
}

func (b *lossyBackend) Name() string { return "webgpu" }

func (b *lossyBackend) Read(t tensor.Tensor, from, n int) ([]float32, error) {
	if b.lost {
		return nil, fmt.Errorf("reading: %w", webgpu.ErrDeviceLost)
	}
	return b.Backend.Read(t, from, n)
}

func (b *lossyBackend) ReadInts(t tensor.Tensor) ([]int32, error) {
	if b.lost {
		return nil, fmt.Errorf("reading: %w", webgpu.ErrDeviceLost)
	}
	return b.Backend.ReadInts(t)
}

func TestDeviceLossRecoversOnCPU(t *testing.T) {
	files, ref := readModelDir(t, "llama-tiny")
	gpu := &lossyBackend{Backend: tensor.NewCPU()}
	r := newRegistry(func(context.Context, webgpu.Options) (tensor.Backend, error) { return gpu, nil })
	rt, be, err := r.createRuntime(context.Background(), modeAuto)
	if err != nil || be != "webgpu" {
		t.Fatal(be, err)
	}
	_, lm, err := r.loadModel(rt, files)
	if err != nil {
		t.Fatal(err)
	}
	before, err := lm.logits(ref.InputIDs)
	if err != nil {
		t.Fatal(err)
	}
	gpu.lost = true
	after, err := lm.logits(ref.InputIDs)
	if err != nil {
		t.Fatalf("after device loss: %v", err)
	}
	rtv, _ := r.runtime(rt)
	if got := rtv.backendName(); got != "cpu" {
		t.Errorf("backend after loss %q, want cpu", got)
	}
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("logit %d: %v before, %v after recovery", i, before[i], after[i])
		}
	}
	if lm.files != nil {
		t.Error("kept the model files after moving to the CPU")
	}

	// A loss in the middle of generation continues where it stopped.
	gpu2 := &lossyBackend{Backend: tensor.NewCPU()}
	r2 := newRegistry(func(context.Context, webgpu.Options) (tensor.Backend, error) { return gpu2, nil })
	rt2, _, _ := r2.createRuntime(context.Background(), modeAuto)
	_, lm2, err := r2.loadModel(rt2, files)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var streamed []int32
	ids, _, err := lm2.generate(genRequest{IDs: ref.GreedyPrompt, MaxNewTokens: 16, EOS: []int32{}},
		func(id int32, _ string) {
			streamed = append(streamed, id)
			if n++; n == 5 {
				gpu2.lost = true
			}
		}, func() bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != fmt.Sprint(ref.GreedyIDs) || fmt.Sprint(streamed) != fmt.Sprint(ref.GreedyIDs[len(ref.GreedyPrompt):]) {
		t.Errorf("generation across a device loss\n got %v (streamed %v)\nwant %v", ids, streamed, ref.GreedyIDs)
	}

	// A CPU or webgpu (not auto) runtime does not hide the loss.
	gpu3 := &lossyBackend{Backend: tensor.NewCPU()}
	r3 := newRegistry(func(context.Context, webgpu.Options) (tensor.Backend, error) { return gpu3, nil })
	rt3, _, _ := r3.createRuntime(context.Background(), modeWebGPU)
	_, lm3, err := r3.loadModel(rt3, files)
	if err != nil {
		t.Fatal(err)
	}
	gpu3.lost = true
	if _, err := lm3.logits(ref.InputIDs); !errors.Is(err, webgpu.ErrDeviceLost) || errorCode(err) != codeDeviceLost {
		t.Errorf("webgpu runtime after loss: %v (code %q)", err, errorCode(err))
	}
}

func TestLayers(t *testing.T) {
	files, ref := readModelDir(t, "gpt2-tiny")
	r := newRegistry(nil)
	_, lm, err := r.loadModel(newCPURuntime(t, r), files)
	if err != nil {
		t.Fatal(err)
	}
	b, err := lm.layers(ref.InputIDs[:4], 3)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Layers []struct {
			Layer int
			Norm  []float32
			Top   [][]struct{ ID int32 }
		}
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Layers) != lm.info.Layers+1 {
		t.Fatalf("%d lens entries, want layers+1 = %d", len(out.Layers), lm.info.Layers+1)
	}
	// The last entry is the model's own prediction: its top token at each
	// position is the argmax of the HF logits.
	last := out.Layers[len(out.Layers)-1]
	for p := 0; p < 4; p++ {
		best := 0
		for j, v := range ref.Logits[p] {
			if v > ref.Logits[p][best] {
				best = j
			}
		}
		if len(last.Top[p]) != 3 || last.Top[p][0].ID != int32(best) {
			t.Errorf("position %d: top %v, HF argmax %d", p, last.Top[p], best)
		}
	}
}

func TestMemFS(t *testing.T) {
	fsys := memFS{"config.json": []byte(`{}`), "model.safetensors": make([]byte, 100)}
	if err := fstest.TestFS(fsys, "config.json", "model.safetensors"); err != nil {
		t.Fatal(err)
	}
}

// fakeGPU is the CPU backend posing as a WebGPU backend on a given adapter,
// with webgpu's checks for Options.RejectSoftware and MaxBufferSize.
type fakeGPU struct {
	tensor.Backend
	adapter   webgpu.AdapterInfo
	maxBuffer int64
	binding   int64 // maxStorageBufferBindingSize; 0: maxBuffer
}

func (b *fakeGPU) Name() string                { return "webgpu" }
func (b *fakeGPU) Adapter() webgpu.AdapterInfo { return b.adapter }
func (b *fakeGPU) Close()                      {}

var _ webgpu.Device = (*fakeGPU)(nil)

// CheckBinding is webgpu.Backend's.
func (b *fakeGPU) CheckBinding(what string, bytes int64) error {
	max := b.maxBuffer
	if b.binding > 0 {
		max = b.binding
	}
	if bytes > max {
		return &webgpu.TooLargeError{Tensor: what, Bytes: bytes, Limit: "maxStorageBufferBindingSize", Max: max}
	}
	return nil
}

func (b *fakeGPU) Upload(shape []int, dt tensor.DType, data []byte) (tensor.Tensor, error) {
	if int64(len(data)) > b.maxBuffer {
		return nil, &webgpu.TooLargeError{Tensor: fmt.Sprintf("%v %v", dt, shape), Bytes: int64(len(data)), Limit: "maxBufferSize", Max: b.maxBuffer}
	}
	return b.Backend.Upload(shape, dt, data)
}

func openFake(adapter webgpu.AdapterInfo) newGPUFunc {
	return func(_ context.Context, o webgpu.Options) (tensor.Backend, error) {
		if o.RejectSoftware && adapter.Software() {
			return nil, &webgpu.SoftwareAdapterError{Adapter: adapter}
		}
		max := int64(1 << 30)
		if o.MaxBufferSize > 0 {
			max = o.MaxBufferSize
		}
		return &fakeGPU{Backend: tensor.NewCPU(), adapter: adapter, maxBuffer: max}, nil
	}
}

// TestAutoSkipsSoftwareAdapter: 'auto' runs on the CPU when the only
// adapter is a CPU emulator (what headless Chromium reports for
// SwiftShader), on WebGPU for a real GPU; 'webgpu' takes either.
func TestAutoSkipsSoftwareAdapter(t *testing.T) {
	swiftShader := webgpu.AdapterInfo{Vendor: "google", Architecture: "swiftshader", IsFallbackAdapter: true}
	nvidia := webgpu.AdapterInfo{Vendor: "nvidia", Architecture: "hopper"}
	for _, tc := range []struct {
		mode    string
		adapter webgpu.AdapterInfo
		want    string
	}{
		{modeAuto, swiftShader, autoCPU()},
		{modeAuto, nvidia, "webgpu"},
		{modeWebGPU, swiftShader, "webgpu"},
		{modeWebGPU, nvidia, "webgpu"},
	} {
		r := newRegistry(openFake(tc.adapter))
		id, be, err := r.createRuntime(context.Background(), tc.mode)
		if err != nil || be != tc.want {
			t.Errorf("%s on %v: backend %q err %v, want %q", tc.mode, tc.adapter, be, err, tc.want)
			continue
		}
		rt, _ := r.runtime(id)
		if got := rt.adapterInfo(); got == nil || *got != tc.adapter {
			t.Errorf("%s on %v: rt adapter %v, want the adapter seen", tc.mode, tc.adapter, got)
		}
	}
	r := newRegistry(openFake(nvidia))
	id, _, _ := r.createRuntime(context.Background(), modeCPU)
	if rt, _ := r.runtime(id); rt.adapterInfo() != nil {
		t.Errorf("cpu runtime reports adapter %v; it never looked", rt.adapterInfo())
	}
}

// TestTooLargeForDevice: a model with a weight over the device's
// maxBufferSize rejects with code too-large and a message naming the
// tensor and the limit; so does one whose logits row cannot be bound.
func TestTooLargeForDevice(t *testing.T) {
	files, _ := readModelDir(t, "llama-tiny") // embed_tokens F32 [512 64]: 131072 bytes
	nvidia := webgpu.AdapterInfo{Vendor: "nvidia", Architecture: "hopper"}
	for _, tc := range []struct {
		name            string
		buffer, binding int64
		want            []string
	}{
		{"weight", 65536, 0, []string{"does not fit this WebGPU device (nvidia / hopper)", "bytes, over the device's maxBufferSize of 65536 bytes", "backend: 'cpu'"}},
		// Every weight fits a buffer, but 512 logits (2048 bytes) do not
		// fit one binding.
		{"logits row", 1 << 30, 1024, []string{"one row of logits (F32 [512]) is 2048 bytes, over the device's maxStorageBufferBindingSize of 1024 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRegistry(func(context.Context, webgpu.Options) (tensor.Backend, error) {
				return &fakeGPU{Backend: tensor.NewCPU(), adapter: nvidia, maxBuffer: tc.buffer, binding: tc.binding}, nil
			})
			rt, be, err := r.createRuntime(context.Background(), modeWebGPU)
			if err != nil || be != "webgpu" {
				t.Fatal(be, err)
			}
			_, _, err = r.loadModel(rt, files)
			if err == nil {
				t.Fatal("loadModel: no error")
			}
			if code := errorCode(err); code != codeTooLarge || !errors.Is(err, webgpu.ErrTooLarge) {
				t.Errorf("code %q (errors.Is ErrTooLarge: %v), want too-large: %v", code, errors.Is(err, webgpu.ErrTooLarge), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
	// createRuntime's limits reach the backend's options.
	var got webgpu.Options
	r := newRegistry(func(_ context.Context, o webgpu.Options) (tensor.Backend, error) {
		got = o
		return nil, webgpu.ErrUnavailable
	})
	if _, _, err := r.createRuntimeWith(context.Background(), modeWebGPU, gpuLimits{MaxBufferSize: 4096}); err == nil || got.MaxBufferSize != 4096 || got.RejectSoftware {
		t.Errorf("webgpu runtime: options %+v, err %v", got, err)
	}
	if _, be, _ := r.createRuntimeWith(context.Background(), modeAuto, gpuLimits{}); be != autoCPU() || !got.RejectSoftware {
		t.Errorf("auto runtime: options %+v, backend %q", got, be)
	}
	if _, _, err := r.createRuntimeWith(context.Background(), modeWebGPU, gpuLimits{MaxBufferSize: -1}); errorCode(err) != codeBadInput {
		t.Errorf("negative maxBufferSize: %v", err)
	}
}

// TestGenerateDraftModel checks generate({speculative: {draftModel}}): a
// second loaded model (qwen2-tiny, another architecture on the same 512
// ids, so drafts get rejected too; and a copy of the target itself, so
// every draft is accepted) gives transformers' greedy ids for llama-tiny.
func TestGenerateDraftModel(t *testing.T) {
	files, ref := readModelDir(t, "llama-tiny")
	qfiles, _ := readModelDir(t, "qwen2-tiny")
	r := newRegistry(nil)
	rt := newCPURuntime(t, r)
	_, lm, err := r.loadModel(rt, files)
	if err != nil {
		t.Fatal(err)
	}
	n := len(ref.GreedyIDs) - len(ref.GreedyPrompt)
	for _, name := range []string{"qwen2-tiny", "llama-tiny"} {
		df := qfiles
		if name == "llama-tiny" {
			df = files
		}
		did, draft, err := r.loadModel(rt, df)
		if err != nil {
			t.Fatal(err)
		}
		st := &model.SpecStats{}
		streamed := 0
		ids, _, err := lm.generate(genRequest{IDs: ref.GreedyPrompt, MaxNewTokens: n, EOS: []int32{}, DraftModel: draft, DraftTokens: 3, Stats: st},
			func(int32, string) { streamed++ }, func() bool { return false })
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids) != fmt.Sprint(ref.GreedyIDs) {
			t.Errorf("%s drafting: greedy ids\n got %v\nwant %v", name, ids, ref.GreedyIDs)
		}
		if st.Drafted == 0 || st.Accepted > st.Drafted || streamed != n || len(st.FromDraft) != n {
			t.Errorf("%s drafting: stats %+v, %d streamed", name, st, streamed)
		}
		if name == "llama-tiny" && st.Accepted != st.Drafted {
			t.Errorf("the target drafting for itself: %d of %d accepted", st.Accepted, st.Drafted)
		}
		r.disposeModel(did)
		if _, _, err := lm.generate(genRequest{IDs: ref.GreedyPrompt, MaxNewTokens: 2, DraftModel: draft}, func(int32, string) {}, func() bool { return false }); errorCode(err) != codeDisposed {
			t.Errorf("disposed draft model: %v", err)
		}
	}
	// A draft model of another runtime, or with an exit layer too, is refused.
	_, other, err := r.loadModel(newCPURuntime(t, r), qfiles)
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []genRequest{
		{IDs: ref.GreedyPrompt, MaxNewTokens: 2, DraftModel: other},
		{IDs: ref.GreedyPrompt, MaxNewTokens: 2, DraftModel: lm, DraftExit: 1},
	} {
		if _, _, err := lm.generate(req, func(int32, string) {}, func() bool { return false }); errorCode(err) != codeBadInput {
			t.Errorf("exit %d, draft of runtime %p (model's %p): %v, want %s", req.DraftExit, req.DraftModel.rt, lm.rt, err, codeBadInput)
		}
	}
}
