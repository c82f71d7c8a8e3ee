package model

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// adapterCfg is a Llama-style config whose hidden size (8) matches the
// torch-written adapter fixture (exit 3, rank 4).
var adapterCfg = Config{Arch: Llama, VocabSize: 97, Hidden: 8, Layers: 5, Heads: 2, KVHeads: 1,
	HeadDim: 4, Intermediate: 20, MaxPositions: 64, NormEps: 1e-5, RopeTheta: 10000, TieWordEmbeddings: true}

func readFixtureTensors(t *testing.T, name string) map[string][]float32 {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenSafetensors(bytesReaderAt(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for _, n := range st.Names() {
		info, _ := st.Info(n)
		dt, err := info.DType()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := st.ReadTensor(n, nil)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = DecodeF32(dt, raw)
	}
	return out
}

func adapterModel(t *testing.T, be tensor.Backend) *Model {
	t.Helper()
	m, err := NewRandom(adapterCfg, be, tensor.F32, 5)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	data, err := os.ReadFile(filepath.Join("testdata", "draft_adapter_fixture.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadDraftAdapters(data); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDraftAdapterMatchesTorch checks the host reference and the backend's
// adapter pass against the output PyTorch computed for the fixture adapter
// (train/lm/draft_adapter.py --fixture).
func TestDraftAdapterMatchesTorch(t *testing.T) {
	w := readFixtureTensors(t, "draft_adapter_fixture.safetensors")
	io := readFixtureTensors(t, "draft_adapter_fixture_io.safetensors")
	C, r, T := 8, 4, 3
	in, want := io["input"], io["expected"]
	for row := range T {
		got := DraftAdapterRef(in[row*C:(row+1)*C], w["exit.3.norm.weight"], w["exit.3.gate.weight"], w["exit.3.up.weight"], w["exit.3.down.weight"], r, 1e-5)
		if d := maxAbsDiff(got, want[row*C:(row+1)*C]); d > 1e-5 {
			t.Fatalf("reference row %d: max |diff| %g from torch", row, d)
		}
	}
	for _, be := range []tensor.Backend{tensor.NewCPU(), plainOnly{tensor.NewCPU()}} {
		m := adapterModel(t, be)
		if got := m.DraftAdapterExits(); !slices.Equal(got, []int{3}) {
			t.Fatalf("adapter exits %v, want [3]", got)
		}
		ad := m.adapters[3]
		x, err := be.Upload([]int{T, C}, tensor.F32, f32Bytes(in))
		if err != nil {
			t.Fatal(err)
		}
		s, err := m.newAdapterScratch(ad, T)
		if err != nil {
			t.Fatal(err)
		}
		m.applyAdapter(ad, s, x)
		got, err := be.Read(x, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		s.free(be)
		be.Free(x)
		if d := maxAbsDiff(got, want); d > 1e-5 {
			t.Fatalf("%s: backend adapter max |diff| %g from torch", be.Name(), d)
		}
	}
}

// TestSpeculativeAdapterGreedyIdentical checks that drafting through the
// adapter keeps greedy speculative output equal to plain greedy decoding,
// and that the adapter changes the drafts (it is really used).
func TestSpeculativeAdapterGreedyIdentical(t *testing.T) {
	ctx := context.Background()
	for _, be := range []tensor.Backend{tensor.NewCPU(), plainOnly{tensor.NewCPU()}} {
		m := adapterModel(t, be)
		// The fixture's adapter hardly moves this random model's drafts
		// (its exits already agree with the last layer); scaled up 100x
		// its drafts get rejected, which exercises the crop.
		ad := m.adapters[3]
		down, err := be.Read(ad.down, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		for i := range down {
			down[i] *= 100
		}
		if ad.down, err = be.Upload(ad.down.Shape(), tensor.F32, f32Bytes(down)); err != nil {
			t.Fatal(err)
		}
		m.adapterTensors = append(m.adapterTensors, ad.down)
		prompt := tokens(5, adapterCfg.VocabSize, 2)
		differ := false
		for _, n := range []int{1, 3, 17, 40} {
			base := GenerateOptions{MaxNewTokens: n, IgnoreEOS: true}
			want, err := m.Generate(ctx, prompt, base, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, K := range []int{1, 2, 4, 8} {
				var st, bare SpecStats
				o := base
				o.DraftExit, o.DraftTokens, o.Stats = 3, K, &st
				got, err := m.Generate(ctx, prompt, o, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%s n=%d K=%d: with the adapter %v, plain %v", be.Name(), n, K, got, want)
				}
				o.BareExit, o.Stats = true, &bare
				if got, err = m.Generate(ctx, prompt, o, nil); err != nil || !slices.Equal(got, want) {
					t.Fatalf("%s n=%d K=%d bare exit: %v, %v (plain %v)", be.Name(), n, K, got, err, want)
				}
				differ = differ || st.Accepted < bare.Accepted
			}
		}
		// The auto probe runs the adapter too: the scaled one agrees less.
		with, err := m.exitAgreement(prompt, []int{3}, 16)
		if err != nil {
			t.Fatal(err)
		}
		ads := m.adapters
		m.adapters = nil
		bareAcc, err := m.exitAgreement(prompt, []int{3}, 16)
		m.adapters = ads
		if err != nil {
			t.Fatal(err)
		}
		if with[0] >= bareAcc[0] {
			t.Fatalf("%s: probe agreement with the scaled adapter %.2f, bare %.2f: is the probe using it?", be.Name(), with[0], bareAcc[0])
		}
		if !differ {
			t.Fatalf("%s: the scaled adapter never lost an accepted draft: is it used?", be.Name())
		}
	}
}

// TestDraftAdapterErrors checks malformed adapter files give AdapterError.
func TestDraftAdapterErrors(t *testing.T) {
	m, err := NewRandom(adapterCfg, tensor.NewCPU(), tensor.F32, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	good, err := os.ReadFile(filepath.Join("testdata", "draft_adapter_fixture.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	io, err := os.ReadFile(filepath.Join("testdata", "draft_adapter_fixture_io.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	var ae *AdapterError
	if err := m.LoadDraftAdapters(io); !errors.As(err, &ae) {
		t.Fatalf("tensors not named exit.E.*: %v, want an AdapterError", err)
	}
	wide := adapterCfg
	wide.Hidden, wide.HeadDim = 16, 8
	mw, err := NewRandom(wide, tensor.NewCPU(), tensor.F32, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer mw.Close()
	if err := mw.LoadDraftAdapters(good); !errors.As(err, &ae) {
		t.Fatalf("hidden size mismatch: %v, want an AdapterError", err)
	}
	short := adapterCfg
	short.Layers = 3 // exit 3 is not in [1,3)
	ms, err := NewRandom(short, tensor.NewCPU(), tensor.F32, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	if err := ms.LoadDraftAdapters(good); !errors.As(err, &ae) {
		t.Fatalf("exit beyond the layers: %v, want an AdapterError", err)
	}
	if err := m.LoadDraftAdapters(good[:20]); err == nil {
		t.Fatal("truncated file loaded")
	}
	if m.DraftAdapterExits() != nil {
		t.Fatalf("failed loads left adapters %v", m.DraftAdapterExits())
	}
}

func FuzzLoadDraftAdapters(f *testing.F) {
	for _, n := range []string{"draft_adapter_fixture.safetensors", "draft_adapter_fixture_io.safetensors"} {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	m, err := NewRandom(adapterCfg, tensor.NewCPU(), tensor.F32, 5)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = m.LoadDraftAdapters(data) // must not panic
	})
}
