package svgmodel

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/lamina-ml/lamina/model"
	"github.com/lamina-ml/lamina/tensor"
)

// diffusionBackend is a backend with the diffusion ops, as Load needs.
type diffusionBackend interface {
	tensor.Backend
	tensor.DiffusionOps
}

// errNoRoom is what countingBackend's Zeros returns once its budget is
// spent, standing in for a GPU's ErrTooLarge.
var errNoRoom = errors.New("no room for the buffer")

// countingBackend tracks live tensors and fails Zeros after budget more
// calls (budget < 0: never).
type countingBackend struct {
	diffusionBackend
	budget int
	live   map[tensor.Tensor]bool
}

func (b *countingBackend) Zeros(shape ...int) (tensor.Tensor, error) {
	if b.budget == 0 {
		return nil, errNoRoom
	}
	if b.budget > 0 {
		b.budget--
	}
	t, err := b.diffusionBackend.Zeros(shape...)
	if err == nil {
		b.live[t] = true
	}
	return t, err
}

func (b *countingBackend) Free(t tensor.Tensor) {
	delete(b.live, t)
	b.diffusionBackend.Free(t)
}

// TestEncodeCaptionAllocationFailure checks that a backend running out of
// room in the middle of EncodeCaption gives an error matching the backend's
// (no panic) and leaves none of the caption's buffers allocated.
func TestEncodeCaptionAllocationFailure(t *testing.T) {
	be := &countingBackend{diffusionBackend: tensor.NewCPU().(diffusionBackend), budget: -1, live: map[tensor.Tensor]bool{}}
	m, err := Load(os.DirFS(filepath.Join("testdata", "tiny")), be)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	before := len(be.live)
	// The encoder allocates 9 scratch buffers, then the pooled vector and
	// two per DiT block: fail at each of them in turn.
	for budget := 0; budget < 10+2*m.Config.Layers; budget++ {
		be.budget = budget
		cap, err := m.EncodeCaption("red heart")
		if !errors.Is(err, errNoRoom) || cap != nil {
			t.Fatalf("budget %d: caption %v, error %v; want errNoRoom", budget, cap, err)
		}
		if len(be.live) != before {
			t.Fatalf("budget %d: %d tensors left allocated", budget, len(be.live)-before)
		}
	}
	be.budget = -1
	cap, err := m.EncodeCaption("red heart")
	if err != nil {
		t.Fatal(err)
	}
	cap.Free()
}

// TestLoadErrorsNameTheTensor checks the shared loader's checks: a config
// that disagrees with the checkpoint fails with a *model.WeightError that
// names the tensor.
func TestLoadErrorsNameTheTensor(t *testing.T) {
	dir := filepath.Join("testdata", "tiny")
	cfgData, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	weights, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(cfgData, &cfg); err != nil {
		t.Fatal(err)
	}
	// Only the learned slot embeddings (K,D) depend on slots.
	cfg["slots"] = cfg["slots"].(float64) + 1
	bad, _ := json.Marshal(cfg)
	_, err = Load(fstest.MapFS{"config.json": {Data: bad}, "model.safetensors": {Data: weights}}, tensor.NewCPU())
	var we *model.WeightError
	if !errors.As(err, &we) || we.Tensor != "slot" {
		t.Fatalf("slots+1: error %v, want a *model.WeightError for tensor \"slot\"", err)
	}
	_, err = Load(fstest.MapFS{"config.json": {Data: cfgData}}, tensor.NewCPU())
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no weights: error %v, want fs.ErrNotExist", err)
	}
}
