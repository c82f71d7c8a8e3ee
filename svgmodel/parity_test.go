package svgmodel

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// parityTol bounds |Go − PyTorch| per token value after a whole sampling run. Both compute in
// f32 from the same f16 weights; the difference is summation order, amplified by the guidance
// scale and compounded over the Euler steps.
const parityTol = 1e-4

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func loadTiny(t *testing.T, dir string) *Model {
	t.Helper()
	m, err := Load(os.DirFS(dir), tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// TestPyTorchParity samples the cases train/svg/parity_testdata.py wrote with PyTorch from the
// same noise (and keep masks) and compares every token value.
func TestPyTorchParity(t *testing.T) {
	dirs := []string{filepath.Join("testdata", "tiny"), filepath.Join("testdata", "tiny-words")}
	if dir := os.Getenv("LAMINA_SVG_PARITY_DIR"); dir != "" { // set by train/svg/smoke.sh for a fresh export
		dirs = []string{dir}
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) { testPyTorchParity(t, dir) })
	}
}

func testPyTorchParity(t *testing.T, dir string) {
	m := loadTiny(t, dir)
	b, err := os.ReadFile(filepath.Join(dir, "parity", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name, Prompt string
		Steps        int
		CFG          float32
		Keep         bool
		IDs          []int32 // dit.encode_caption's ids (absent in older parity sets)
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no parity cases")
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.IDs != nil {
				if got := m.Config.CaptionIDs(c.Prompt); !slices.Equal(got, c.IDs) {
					t.Fatalf("caption ids of %q: %v, PyTorch's %v", c.Prompt, got, c.IDs)
				}
			}
			p := filepath.Join(dir, "parity", c.Name)
			noise := readF32(t, p+".noise.f32")
			var keep []float32
			var mask []bool
			if c.Keep {
				keep = readF32(t, p+".keep.f32")
				mb, err := os.ReadFile(p + ".mask.u8")
				if err != nil {
					t.Fatal(err)
				}
				mask = make([]bool, len(mb))
				for i, v := range mb {
					mask[i] = v != 0
				}
			}
			got, err := m.Sample(context.Background(), noise, keep, mask, Options{Prompt: c.Prompt, Steps: c.Steps, CFG: c.CFG})
			if err != nil {
				t.Fatal(err)
			}
			want := readF32(t, p+".want.f32")
			if len(got) != len(want) {
				t.Fatalf("%d values, want %d", len(got), len(want))
			}
			worst, at := 0.0, 0
			for i := range got {
				if d := math.Abs(float64(got[i] - want[i])); d > worst {
					worst, at = d, i
				}
			}
			t.Logf("max |Go − PyTorch| = %.2g at %d", worst, at)
			if worst > parityTol {
				t.Fatalf("max |Go − PyTorch| = %g at %d (got %g, want %g) > %g", worst, at, got[at], want[at], parityTol)
			}
			for i, k := range mask {
				if k && got[i] != keep[i] {
					t.Fatalf("kept value %d changed: %g != %g", i, got[i], keep[i])
				}
			}
		})
	}
}
