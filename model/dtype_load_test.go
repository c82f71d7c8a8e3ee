package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"testing/fstest"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/tensor"
)

// halfLoadTol: an F16/BF16 checkpoint and an F32 checkpoint holding the
// same (rounded) values run identical f32 math, so only summation order
// could differ.
const halfLoadTol = 1e-5

// convertSafetensors rewrites every F32 tensor of a safetensors file either
// to dtype dt (F16 or BF16) or, with asF32, to F32 values rounded through dt.
func convertSafetensors(t *testing.T, file []byte, dt tensor.DType, asF32 bool) []byte {
	t.Helper()
	st, err := OpenSafetensors(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		DType   string  `json:"dtype"`
		Shape   []int   `json:"shape"`
		Offsets []int64 `json:"data_offsets"`
	}
	hdr := map[string]any{}
	var data []byte
	names := st.Names()
	sort.Strings(names)
	for _, name := range names {
		info, _ := st.Info(name)
		raw, err := st.ReadTensor(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		begin := int64(len(data))
		for i := 0; i < len(raw); i += 4 {
			f := math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))
			var h uint16
			var r float32
			if dt == tensor.F16 {
				h = kernels.F32ToF16(f)
				r = kernels.F16ToF32(h)
			} else {
				h = f32ToBF16(f)
				r = kernels.BF16ToF32(h)
			}
			if asF32 {
				data = binary.LittleEndian.AppendUint32(data, math.Float32bits(r))
			} else {
				data = binary.LittleEndian.AppendUint16(data, h)
			}
		}
		name2 := dt.String()
		if asF32 {
			name2 = "F32"
		}
		hdr[name] = entry{name2, info.Shape, []int64{begin, int64(len(data))}}
	}
	h, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	return stFile(string(h), data)
}

// TestHalfPrecisionCheckpoints loads f16 and bf16 versions of the GPT-2
// (Conv1D transposed at load) and Qwen2 fixtures and compares them with
// F32 checkpoints of the same rounded values.
func TestHalfPrecisionCheckpoints(t *testing.T) {
	for _, name := range []string{"gpt2-tiny", "qwen2-tiny"} {
		dir := filepath.Join("testdata", name)
		cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		file, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		ids := []int32{5, 17, 400, 3, 99, 250}
		for _, dt := range []tensor.DType{tensor.F16, tensor.BF16} {
			t.Run(name+"/"+dt.String(), func(t *testing.T) {
				logits := func(asF32 bool) [][]float32 {
					m, err := Load(fstest.MapFS{
						"config.json":       {Data: cfg},
						"model.safetensors": {Data: convertSafetensors(t, file, dt, asF32)},
					}, tensor.NewCPU())
					if err != nil {
						t.Fatal(err)
					}
					defer m.Close()
					lg, err := m.Logits(ids)
					if err != nil {
						t.Fatal(err)
					}
					return lg
				}
				half, ref := logits(false), logits(true)
				for i := range ref {
					if d := maxAbsDiff(half[i], ref[i]); d > halfLoadTol {
						t.Errorf("row %d: %v checkpoint differs from rounded F32 by %.3g", i, dt, d)
					}
				}
			})
		}
	}
}
