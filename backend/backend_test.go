package backend

import (
	"context"
	"errors"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/webgpu"
)

// gpu is the CPU backend posing as a WebGPU device on an adapter.
type gpu struct {
	tensor.Backend
	adapter webgpu.AdapterInfo
	closed  bool
}

func (g *gpu) Name() string                     { return "webgpu" }
func (g *gpu) Adapter() webgpu.AdapterInfo      { return g.adapter }
func (g *gpu) CheckBinding(string, int64) error { return nil }
func (g *gpu) Close()                           { g.closed = true }
func opener(be tensor.Backend, err error) OpenGPU {
	return func(context.Context, webgpu.Options) (tensor.Backend, error) { return be, err }
}

func TestOpen(t *testing.T) {
	nvidia := webgpu.AdapterInfo{Vendor: "nvidia", Architecture: "hopper"}
	swift := webgpu.AdapterInfo{Vendor: "google", Architecture: "swiftshader", IsFallbackAdapter: true}
	broken := errors.New("requestDevice failed")
	for _, c := range []struct {
		name     string
		mode     Mode
		open     OpenGPU
		want     string // backend name, or "" for an error
		adapter  *webgpu.AdapterInfo
		fallback bool
	}{
		{"cpu never looks", CPU, opener(&gpu{Backend: tensor.NewCPU(), adapter: nvidia}, nil), "cpu", nil, false},
		{"auto on a GPU", Auto, opener(&gpu{Backend: tensor.NewCPU(), adapter: nvidia}, nil), "webgpu", &nvidia, false},
		{"auto without WebGPU", Auto, nil, "cpu", nil, false},
		{"auto turns down a software adapter", Auto, opener(nil, &webgpu.SoftwareAdapterError{Adapter: swift}), "cpu", &swift, false},
		{"auto falls back when the GPU fails", Auto, opener(nil, broken), "cpu", nil, true},
		{"webgpu fails without WebGPU", WebGPU, nil, "", nil, false},
		{"webgpu fails when the GPU fails", WebGPU, opener(nil, broken), "", nil, false},
		{"webgpu on a GPU", WebGPU, opener(&gpu{Backend: tensor.NewCPU(), adapter: swift}, nil), "webgpu", &swift, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Open(context.Background(), c.mode, webgpu.Options{}, c.open)
			if c.want == "" {
				if err == nil {
					t.Fatalf("backend %s, want an error", got.Backend.Name())
				}
				return
			}
			if err != nil || got.Backend.Name() != c.want {
				t.Fatalf("%v, %v; want %s", got, err, c.want)
			}
			if (got.Adapter == nil) != (c.adapter == nil) || got.Adapter != nil && *got.Adapter != *c.adapter {
				t.Errorf("adapter %v, want %v", got.Adapter, c.adapter)
			}
			if (got.Fallback != nil) != c.fallback {
				t.Errorf("fallback %v, want %v", got.Fallback, c.fallback)
			}
		})
	}
	var seen webgpu.Options
	Open(context.Background(), Auto, webgpu.Options{MaxBufferSize: 4096}, func(_ context.Context, o webgpu.Options) (tensor.Backend, error) {
		seen = o
		return nil, webgpu.ErrUnavailable
	})
	if !seen.RejectSoftware || seen.MaxBufferSize != 4096 {
		t.Errorf("auto passed %+v", seen)
	}
	if _, err := Open(context.Background(), "gpu", webgpu.Options{}, nil); !errors.Is(err, ErrMode) {
		t.Errorf("mode gpu: %v", err)
	}
	for s, want := range map[string]Mode{"": Auto, "auto": Auto, "webgpu": WebGPU, "wasm-simd": WasmSIMD, "cpu": CPU} {
		if m, err := ParseMode(s); err != nil || m != want {
			t.Errorf("ParseMode(%q) = %q, %v", s, m, err)
		}
	}
	if _, err := ParseMode("metal"); !errors.Is(err, ErrMode) {
		t.Errorf("ParseMode(metal): %v", err)
	}
	g := &gpu{Backend: tensor.NewCPU()}
	Close(g)
	Close(tensor.NewCPU())
	if !g.closed {
		t.Error("Close did not close the WebGPU device")
	}
}

// simdEngine stands in for the wasm SIMD module.
type simdEngine struct{ tensor.MatMulEngine }

func (simdEngine) Name() string { return "wasm-simd" }

// TestOpenSIMD: auto takes wasm-simd when WebGPU is out and the module
// loads, cpu when it does not; wasm-simd fails without the module; cpu
// never loads it.
func TestOpenSIMD(t *testing.T) {
	defer func(l func(context.Context) (tensor.MatMulEngine, error)) { LoadSIMD = l }(LoadSIMD)
	nvidia := webgpu.AdapterInfo{Vendor: "nvidia", Architecture: "hopper"}
	swift := webgpu.AdapterInfo{Vendor: "google", Architecture: "swiftshader", IsFallbackAdapter: true}
	for _, c := range []struct {
		name string
		mode Mode
		open OpenGPU
		simd bool
		want string
	}{
		{"auto without WebGPU, with SIMD", Auto, nil, true, "wasm-simd"},
		{"auto on a software adapter, with SIMD", Auto, opener(nil, &webgpu.SoftwareAdapterError{Adapter: swift}), true, "wasm-simd"},
		{"auto on a GPU, with SIMD", Auto, opener(&gpu{Backend: tensor.NewCPU(), adapter: nvidia}, nil), true, "webgpu"},
		{"auto without WebGPU or SIMD", Auto, nil, false, "cpu"},
		{"wasm-simd with SIMD", WasmSIMD, opener(&gpu{Backend: tensor.NewCPU(), adapter: nvidia}, nil), true, "wasm-simd"},
		{"wasm-simd without SIMD", WasmSIMD, nil, false, ""},
		{"cpu with SIMD", CPU, nil, true, "cpu"},
	} {
		t.Run(c.name, func(t *testing.T) {
			LoadSIMD = func(context.Context) (tensor.MatMulEngine, error) {
				if c.simd {
					return simdEngine{}, nil
				}
				return nil, errors.New("no SIMD")
			}
			got, err := Open(context.Background(), c.mode, webgpu.Options{}, c.open)
			if c.want == "" {
				if err == nil {
					t.Fatalf("backend %s, want an error", got.Backend.Name())
				}
				return
			}
			if err != nil || got.Backend.Name() != c.want {
				t.Fatalf("%v, %v; want %s", got, err, c.want)
			}
		})
	}
}

type threadedEngine struct{ simdEngine }

func (threadedEngine) Threads() int { return 3 }

// TestOpenSIMDThreads: Choice.Threads is the engine's Threads() (1 for an
// engine without the method), 0 off wasm-simd.
func TestOpenSIMDThreads(t *testing.T) {
	defer func(l func(context.Context) (tensor.MatMulEngine, error)) { LoadSIMD = l }(LoadSIMD)
	for _, c := range []struct {
		mode   Mode
		eng    tensor.MatMulEngine
		want   int
		wantBe string
	}{
		{Auto, threadedEngine{}, 3, "wasm-simd"},
		{WasmSIMD, threadedEngine{}, 3, "wasm-simd"},
		{WasmSIMD, simdEngine{}, 1, "wasm-simd"},
		{Auto, nil, 0, "cpu"},
		{CPU, threadedEngine{}, 0, "cpu"},
	} {
		LoadSIMD = func(context.Context) (tensor.MatMulEngine, error) {
			if c.eng == nil {
				return nil, errors.New("no SIMD")
			}
			return c.eng, nil
		}
		got, err := Open(context.Background(), c.mode, webgpu.Options{}, nil)
		if err != nil || got.Backend.Name() != c.wantBe || got.Threads != c.want {
			t.Errorf("%s with %T: %s, %d threads, %v; want %s, %d threads", c.mode, c.eng, got.Backend.Name(), got.Threads, err, c.wantBe, c.want)
		}
	}
}
