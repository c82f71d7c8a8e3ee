package gguf

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strings"

	"github.com/lamina-ml/lamina/internal/memfs"
	"github.com/lamina-ml/lamina/kernels"
)

// HFDirQuantized is HFDir keeping Q8_0 and Q4_0 matrices quantized: each
// becomes lamina's quantized-folder tensors (model/quant.go: NAME.weight
// codes, NAME.weight_scale, NAME.weight_zero_point) with a
// quantization_config in config.json naming its width per module, so
// model.Load on the CPU backend holds them as Q8 (groups of 32, scale d)
// and Q4 (groups of 32, scale d, zero point 8: ggml's w = d·(q−8)) and runs
// the quantized kernels on them; other backends dequantize them at load.
// The codes are repacked, not requantized: the weights are exactly the
// file's. Other types (and GPT-2's Conv1D matrices) are dequantized to F32
// as HFDir does. The llama Q/K RoPE row permutation is undone on whole
// rows of codes and scales.
func (f *File) HFDirQuantized() (fs.FS, error) {
	cfgData, err := f.HFConfig()
	if err != nil {
		return nil, err
	}
	a, _ := f.Architecture()
	arch := Arch(a)
	var ts []stTensor
	modules := map[string]any{}
	for i := range f.Tensors {
		t := &f.Tensors[i]
		hf, ok := HFName(arch, t.Name)
		if !ok {
			continue
		}
		if (t.Type == Q8_0 || t.Type == Q4_0) && len(t.Dims) == 2 && !isConv1D(arch, t.Name) {
			q, err := f.quantMatrix(arch, t)
			if err != nil {
				return nil, err
			}
			ts = append(ts, encodeQuant(hf, q)...)
			modules[strings.TrimSuffix(hf, ".weight")] = map[string]int{"bits": q.Bits, "group_size": q.Group}
			continue
		}
		h, err := f.HFTensor(t.Name)
		if err != nil {
			return nil, err
		}
		b := make([]byte, 4*len(h.Data))
		for j, v := range h.Data {
			binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(v))
		}
		ts = append(ts, stTensor{h.Name, "F32", h.Shape, b})
	}
	if len(modules) > 0 {
		var cfg map[string]any
		if err := json.Unmarshal(cfgData, &cfg); err != nil {
			return nil, err
		}
		// The default width is 4 bits in groups of 32; every quantized
		// module names its own.
		cfg["quantization_config"] = map[string]any{"quant_method": "lamina", "bits": 4, "group_size": 32, "method": "gguf", "modules": modules}
		if cfgData, err = json.Marshal(cfg); err != nil {
			return nil, err
		}
	}
	files := memfs.FS{"config.json": cfgData, "model.safetensors": writeST(ts)}
	if _, ok := f.Lookup("tokenizer.ggml.model"); ok {
		tok, err := f.TokenizerJSON()
		if err != nil {
			return nil, err
		}
		files["tokenizer.json"] = tok
	}
	return files, nil
}

// quantMatrix repacks a Q8_0 or Q4_0 matrix (ggml dims [K, N]) as a
// kernels.QMatrix with groups of 32 in HF row order.
func (f *File) quantMatrix(arch Arch, t *TensorInfo) (*kernels.QMatrix, error) {
	K, N := int(t.Dims[0]), int(t.Dims[1])
	if K%32 != 0 {
		return nil, &FormatError{Msg: fmt.Sprintf("tensor %q: %d columns are not whole %v blocks", t.Name, K, t.Type)}
	}
	raw, err := f.RawData(t)
	if err != nil {
		return nil, err
	}
	bits, blockBytes := 4, 18
	if t.Type == Q8_0 {
		bits, blockBytes = 8, 34
	}
	nb := K / 32
	if len(raw) != N*nb*blockBytes {
		return nil, &FormatError{Msg: fmt.Sprintf("tensor %q: %d bytes for %d×%d %v", t.Name, len(raw), N, K, t.Type)}
	}
	m, err := kernels.NewQMatrix(bits, N, K, 32)
	if err != nil {
		return nil, err
	}
	perm, err := f.hfRowOrder(arch, t.Name, N)
	if err != nil {
		return nil, err
	}
	rb := m.RowBytes()
	for n := 0; n < N; n++ {
		src := raw[perm[n]*nb*blockBytes:]
		dst := m.Q[n*rb : n*rb+rb]
		for b := 0; b < nb; b++ {
			blk := src[b*blockBytes : (b+1)*blockBytes]
			d := kernels.F16ToF32(binary.LittleEndian.Uint16(blk))
			m.Scale[n*nb+b] = d
			qs := blk[2:]
			if bits == 8 {
				copy(dst[b*32:b*32+32], qs)
				continue
			}
			m.Min[n*nb+b] = -8 * d
			// ggml: column j in the low nibble of qs[j], column j+16 in the
			// high nibble. lamina: per 16 columns, byte j holds columns j
			// (low) and j+8 (high).
			var c [32]byte
			for j := 0; j < 16; j++ {
				c[j], c[j+16] = qs[j]&15, qs[j]>>4
			}
			o := dst[b*16 : b*16+16]
			for j := 0; j < 8; j++ {
				o[j] = c[j] | c[8+j]<<4
				o[8+j] = c[16+j] | c[24+j]<<4
			}
		}
	}
	return m, m.Validate()
}

// hfRowOrder returns, for each HF row, the GGUF row it comes from: the
// identity, or for llama's Q/K projections the inverse of
// convert_hf_to_gguf.py's permute (see ropePermute).
func (f *File) hfRowOrder(arch Arch, name string, N int) ([]int, error) {
	perm := make([]int, N)
	for i := range perm {
		perm[i] = i
	}
	isQ, isK := strings.HasSuffix(name, ".attn_q.weight"), strings.HasSuffix(name, ".attn_k.weight")
	// HFTensor undoes the same permutation for these two architectures.
	if (arch != ArchLlama && arch != ArchSmolLM3) || !(isQ || isK) {
		return perm, nil
	}
	heads, err := f.metaInt(string(arch) + ".attention.head_count")
	if err != nil {
		return nil, err
	}
	if isK {
		if heads, err = f.metaIntOr(string(arch)+".attention.head_count_kv", heads); err != nil {
			return nil, err
		}
	}
	if heads <= 0 || N%heads != 0 || (N/heads)%2 != 0 {
		return nil, fmt.Errorf("gguf: tensor %q: %d rows do not split into %d heads of even size", name, N, heads)
	}
	hd := N / heads
	for h := 0; h < heads; h++ {
		for i := 0; i < hd/2; i++ {
			for j := 0; j < 2; j++ {
				perm[h*hd+j*(hd/2)+i] = h*hd + 2*i + j
			}
		}
	}
	return perm, nil
}

// stTensor is one tensor of writeST.
type stTensor struct {
	name, dtype string
	shape       []int
	data        []byte
}

// encodeQuant is the quantized-folder encoding of m as NAME.weight (codes),
// NAME.weight_scale (F32) and, for Q4, NAME.weight_zero_point (U8 = −min/scale).
func encodeQuant(name string, m *kernels.QMatrix) []stTensor {
	ng := m.Groups()
	sc := make([]byte, 4*len(m.Scale))
	for i, s := range m.Scale {
		binary.LittleEndian.PutUint32(sc[4*i:], math.Float32bits(s))
	}
	if m.Bits == 8 {
		return []stTensor{{name, "I8", []int{m.N, m.RowBytes()}, m.Q}, {name + "_scale", "F32", []int{m.N, ng}, sc}}
	}
	zp := make([]byte, len(m.Min))
	for i := range zp {
		zp[i] = 8
	}
	return []stTensor{{name, "U8", []int{m.N, m.RowBytes()}, m.Q}, {name + "_scale", "F32", []int{m.N, ng}, sc}, {name + "_zero_point", "U8", []int{m.N, ng}, zp}}
}

// writeST encodes tensors of any dtype as a .safetensors file.
func writeST(ts []stTensor) []byte {
	sort.Slice(ts, func(i, j int) bool { return ts[i].name < ts[j].name })
	hdr := map[string]any{}
	off := 0
	for _, t := range ts {
		hdr[t.name] = map[string]any{"dtype": t.dtype, "shape": t.shape, "data_offsets": []int{off, off + len(t.data)}}
		off += len(t.data)
	}
	h, _ := json.Marshal(hdr)
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out := make([]byte, 8+len(h), 8+len(h)+off)
	binary.LittleEndian.PutUint64(out, uint64(len(h)))
	copy(out[8:], h)
	for _, t := range ts {
		out = append(out, t.data...)
	}
	return out
}
