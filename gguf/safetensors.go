package gguf

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// ReadSafetensors decodes a .safetensors file (F32, F16 or BF16 tensors)
// into f32 HF tensors, sorted by name. It exists so the exporter does not
// depend on the model package (which will import this one).
func ReadSafetensors(b []byte) ([]HFTensor, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("gguf: safetensors: file of %d bytes", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("gguf: safetensors: header length %d exceeds the file", n)
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &hdr); err != nil {
		return nil, fmt.Errorf("gguf: safetensors header: %w", err)
	}
	data := b[8+n:]
	var out []HFTensor
	for name, raw := range hdr {
		if name == "__metadata__" {
			continue
		}
		var e struct {
			DType   string   `json:"dtype"`
			Shape   []int    `json:"shape"`
			Offsets [2]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("gguf: safetensors tensor %q: %w", name, err)
		}
		cnt := 1
		for _, d := range e.Shape {
			if d < 0 || (d > 0 && cnt > math.MaxInt32/d) {
				return nil, fmt.Errorf("gguf: safetensors tensor %q: bad shape %v", name, e.Shape)
			}
			cnt *= d
		}
		lo, hi := e.Offsets[0], e.Offsets[1]
		if lo < 0 || hi < lo || hi > int64(len(data)) {
			return nil, fmt.Errorf("gguf: safetensors tensor %q: offsets %v outside the data", name, e.Offsets)
		}
		src := data[lo:hi]
		var t TensorType
		switch e.DType {
		case "F32":
			t = F32
		case "F16":
			t = F16
		case "BF16":
			t = BF16
		default:
			return nil, fmt.Errorf("gguf: safetensors tensor %q: dtype %s: %w", name, e.DType, ErrUnsupported)
		}
		vals, err := Dequantize(t, src, cnt)
		if err != nil {
			return nil, fmt.Errorf("gguf: safetensors tensor %q: %w", name, err)
		}
		out = append(out, HFTensor{Name: name, Shape: e.Shape, Data: vals})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// WriteSafetensors encodes f32 tensors as a .safetensors file.
func WriteSafetensors(ts []HFTensor) []byte {
	hdr := map[string]any{}
	off := 0
	for _, t := range ts {
		hdr[t.Name] = map[string]any{"dtype": "F32", "shape": t.Shape, "data_offsets": []int{off, off + 4*len(t.Data)}}
		off += 4 * len(t.Data)
	}
	h, _ := json.Marshal(hdr)
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out := make([]byte, 8+len(h), 8+len(h)+off)
	binary.LittleEndian.PutUint64(out, uint64(len(h)))
	copy(out[8:], h)
	for _, t := range ts {
		for _, v := range t.Data {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	}
	return out
}
