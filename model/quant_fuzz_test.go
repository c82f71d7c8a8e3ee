package model

import (
	"encoding/json"
	"errors"
	"testing"
	"testing/fstest"

	"github.com/lamina-ml/lamina/kernels"
)

// FuzzQuantizedMatrix feeds a quantization_config and a one-matrix
// safetensors file of fuzzed shapes and bytes to the quantized-weight
// reader: it returns a matrix that validates, or a typed error
// (*ConfigError, *WeightError, *HeaderError), and never panics.
func FuzzQuantizedMatrix(f *testing.F) {
	f.Add([]byte(`{"quant_method":"lamina","bits":4,"group_size":32}`), []byte(`{"w.weight":{"dtype":"U8","shape":[2,16],"data_offsets":[0,32]},"w.weight_scale":{"dtype":"F32","shape":[2,1],"data_offsets":[32,40]},"w.weight_zero_point":{"dtype":"U8","shape":[2,1],"data_offsets":[40,42]}}`), uint8(2), uint8(20))
	f.Add([]byte(`{"quant_method":"lamina","bits":8,"group_size":0}`), []byte(`{"w.weight":{"dtype":"I8","shape":[1,32],"data_offsets":[0,32]},"w.weight_scale":{"dtype":"F16","shape":[1,1],"data_offsets":[32,34]}}`), uint8(1), uint8(32))
	f.Add([]byte(`{"quant_method":"lamina","bits":3,"group_size":32,"modules":{"w":{"bits":3}}}`), []byte(`{"w.weight":{"dtype":"U8","shape":[1,32],"data_offsets":[0,32]},"w.weight_scale":{"dtype":"F32","shape":[1,2],"data_offsets":[32,40]},"w.weight_zero_point":{"dtype":"U8","shape":[1,2],"data_offsets":[40,42]}}`), uint8(1), uint8(64))
	f.Fuzz(func(t *testing.T, qcJSON, header []byte, n, k uint8) {
		qc, err := ParseQuantConfig(qcJSON)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("config error %v is %T", err, err)
			}
			return
		}
		// Size the data section to what the header claims (up to 64 KiB),
		// so shapes and offsets, not a short file, are what is tested.
		file := stFileSized(header)
		w, err := OpenWeights(fstest.MapFS{"model.safetensors": {Data: file}})
		if err != nil {
			return
		}
		defer w.Close()
		m, ok, err := w.QuantizedMatrix(qc, "w.weight", int(n), int(k))
		if err != nil {
			var we *WeightError
			var he *HeaderError
			if !errors.As(err, &we) && !errors.As(err, &he) && !errors.Is(err, ErrUnsupportedDType) {
				t.Fatalf("error %v is %T", err, err)
			}
			return
		}
		if !ok {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("loaded matrix does not validate: %v", err)
		}
		x := make([]float32, m.K)
		out := make([]float32, m.N)
		kernels.MatMulQ(out, x, m, 1)
	})
}

// stFileSized is a safetensors file with this header and a data section as
// long as the largest data_offsets end it names (at most 64 KiB), filled
// with a byte pattern.
func stFileSized(header []byte) []byte {
	var raw map[string]struct {
		Offsets []int64 `json:"data_offsets"`
	}
	var end int64
	if json.Unmarshal(header, &raw) == nil {
		for _, e := range raw {
			if len(e.Offsets) == 2 && e.Offsets[1] > end {
				end = e.Offsets[1]
			}
		}
	}
	end = min(end, 1<<16)
	data := make([]byte, end)
	for i := range data {
		data[i] = byte(i * 37)
	}
	return stFile(string(header), data)
}
