package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/tensor"
)

// A quantized model folder (written by `lamina quantize`) is an ordinary
// Hugging Face folder whose config.json carries
//
//	"quantization_config": {
//	  "quant_method": "lamina",      // required
//	  "bits": 4,                     // 8, 4 or 3: default width of quantized linears
//	  "group_size": 32,              // columns per scale: a multiple of 32, or 0 = per output channel
//	  "method": "gptq",              // how codes were chosen (rtn, gptq): informational
//	  "modules": {                   // optional per-module overrides
//	    "model.layers.3.mlp.down_proj": {"bits": 3, "group_size": 32}
//	  }
//	}
//
// and, for each quantized linear weight NAME.weight of shape (N,K) (any of
// the checkpoint's matrices, embed_tokens and lm_head included), instead of
// the float tensor:
//
//   - NAME.weight: the codes. 8 bits: I8 (N,K), symmetric, w = scale·q.
//     4 and 3 bits: U8 (N, Kp/2) with Kp = K rounded up to 32, two codes per
//     byte: each 16 columns c..c+15 are 8 bytes, byte j holding column c+j
//     in its low nibble and c+8+j in its high nibble; padding codes are 0.
//     3-bit codes are ≤ 7 in the same container.
//   - NAME.weight_scale: F16 or F32 (N, G), G = ceil(K/group_size) (1 for
//     per-channel). `lamina quantize` writes F16 (its scales are rounded to
//     f16 before the codes are chosen) unless a scale is outside f16's
//     normal range; folders written with F32 scales still load.
//   - NAME.weight_zero_point: U8 (N, G), 4 and 3 bits only (asymmetric:
//     w = scale·(q − zero_point)); codes and zero points are < 2^bits.
//
// A matrix without NAME.weight_scale stays a float tensor. The CPU and
// WebGPU backends keep quantized matrices quantized (tensor.QuantUploader);
// a backend without it gets them dequantized to f32 at load.

// QuantConfig is a parsed quantization_config.
type QuantConfig struct {
	Method    string                 // "rtn", "gptq", … (informational)
	Bits      int                    // 8, 4 or 3
	GroupSize int                    // a multiple of 32, or 0 for per-channel
	Modules   map[string]QuantModule // per-module overrides, by module name (NAME without ".weight")
}

// QuantModule is one module's width and group.
type QuantModule struct {
	Bits      int `json:"bits"`
	GroupSize int `json:"group_size"`
}

// maxQuantModules bounds the overrides a config may list (a hostile file
// cannot make the parser hold millions of entries).
const maxQuantModules = 1 << 16

// ParseQuantConfig parses a quantization_config object. Anything but
// lamina's own format is unsupported (a *ConfigError wrapping
// ErrUnsupported); malformed values are *ConfigError naming the key.
func ParseQuantConfig(data []byte) (*QuantConfig, error) {
	var raw struct {
		QuantMethod *string                     `json:"quant_method"`
		Bits        *int                        `json:"bits"`
		GroupSize   *int                        `json:"group_size"`
		Method      *string                     `json:"method"`
		Modules     map[string]*json.RawMessage `json:"modules"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, badField("quantization_config", "%v", err)
	}
	switch {
	case raw.QuantMethod == nil:
		return nil, badField("quantization_config.quant_method", "missing")
	case *raw.QuantMethod != "lamina":
		return nil, unsupported("quantization_config.quant_method", "quantization %q (lamina reads its own format, \"lamina\", written by `lamina quantize`)", *raw.QuantMethod)
	case raw.Bits == nil:
		return nil, badField("quantization_config.bits", "missing")
	}
	q := &QuantConfig{Method: strOr(raw.Method, ""), Bits: *raw.Bits, GroupSize: intOr(raw.GroupSize, 0)}
	if err := checkQuantWidth("quantization_config", q.Bits, q.GroupSize); err != nil {
		return nil, err
	}
	if len(raw.Modules) > maxQuantModules {
		return nil, badField("quantization_config.modules", "%d entries (at most %d)", len(raw.Modules), maxQuantModules)
	}
	if len(raw.Modules) > 0 {
		q.Modules = make(map[string]QuantModule, len(raw.Modules))
	}
	for name, msg := range raw.Modules {
		field := "quantization_config.modules." + name
		if msg == nil {
			return nil, badField(field, "null")
		}
		var mr struct {
			Bits      *int `json:"bits"`
			GroupSize *int `json:"group_size"`
		}
		if err := json.Unmarshal(*msg, &mr); err != nil {
			return nil, badField(field, "%v", err)
		}
		m := QuantModule{Bits: intOr(mr.Bits, q.Bits), GroupSize: intOr(mr.GroupSize, q.GroupSize)}
		if err := checkQuantWidth(field, m.Bits, m.GroupSize); err != nil {
			return nil, err
		}
		q.Modules[name] = m
	}
	return q, nil
}

func checkQuantWidth(field string, bits, group int) error {
	if bits != 8 && bits != 4 && bits != 3 {
		return unsupported(field+".bits", "width %d (supported: 8, 4, 3)", bits)
	}
	if group < 0 || group%kernels.QuantBlock != 0 || group > maxDim {
		return badField(field+".group_size", "%d is not 0 or a positive multiple of %d", group, kernels.QuantBlock)
	}
	return nil
}

// For returns the bits and group size of a module (NAME without ".weight").
func (q *QuantConfig) For(module string) QuantModule {
	if m, ok := q.Modules[module]; ok {
		return m
	}
	return QuantModule{Bits: q.Bits, GroupSize: q.GroupSize}
}

// MarshalJSON writes the quantization_config object ParseQuantConfig reads.
func (q *QuantConfig) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"quant_method":"lamina","bits":%d,"group_size":%d`, q.Bits, q.GroupSize)
	if q.Method != "" {
		m, _ := json.Marshal(q.Method)
		fmt.Fprintf(&b, `,"method":%s`, m)
	}
	if len(q.Modules) > 0 {
		names := make([]string, 0, len(q.Modules))
		for n := range q.Modules {
			names = append(names, n)
		}
		sort.Strings(names)
		b.WriteString(`,"modules":{`)
		for i, n := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(n)
			m := q.Modules[n]
			fmt.Fprintf(&b, `%s:{"bits":%d,"group_size":%d}`, k, m.Bits, m.GroupSize)
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Raw returns a tensor's bytes after checking its shape and dtype (for
// tensors that are not float weights: quantized codes and zero points).
// The bytes are a fresh copy.
func (w *Weights) Raw(name string, dt tensor.DType, shape ...int) ([]byte, error) {
	st, ok := w.where[name]
	if !ok {
		return nil, &WeightError{Tensor: name, Reason: "is missing"}
	}
	info, _ := st.Info(name)
	if !slices.Equal(info.Shape, shape) {
		return nil, &WeightError{Tensor: name, Reason: fmt.Sprintf("has shape %v, want %v", info.Shape, shape)}
	}
	got, err := info.DType()
	if err != nil {
		return nil, err
	}
	if got != dt {
		return nil, &WeightError{Tensor: name, Reason: fmt.Sprintf("has dtype %v, want %v", got, dt)}
	}
	return st.ReadTensor(name, nil)
}

// QuantizedMatrix reads the quantized linear weight name (NAME.weight) of
// shape (N,K) as the config describes it; ok is false when the checkpoint
// holds it as a float tensor (no NAME.weight_scale). Errors are
// *WeightError (or *ConfigError when the checkpoint and config disagree).
func (w *Weights) QuantizedMatrix(qc *QuantConfig, name string, N, K int) (m *kernels.QMatrix, ok bool, err error) {
	if !w.Has(name + "_scale") {
		return nil, false, nil
	}
	if qc == nil {
		return nil, false, &WeightError{Tensor: name, Reason: "has a weight_scale but config.json has no quantization_config"}
	}
	mod := qc.For(strings.TrimSuffix(name, ".weight"))
	container := 4
	if mod.Bits == 8 {
		container = 8
	}
	m, err = kernels.NewQMatrix(container, N, K, mod.GroupSize)
	if err != nil {
		return nil, false, &WeightError{Tensor: name, Reason: err.Error()}
	}
	ng := m.Groups()
	codeDT := tensor.U8
	if container == 8 {
		codeDT = tensor.I8
	}
	codes, err := w.Raw(name, codeDT, N, m.RowBytes())
	if err != nil {
		return nil, false, err
	}
	m.Q = codes
	if mod.Bits == 3 {
		for i, b := range codes {
			if b&0x88 != 0 {
				return nil, false, &WeightError{Tensor: name, Reason: fmt.Sprintf("byte %d holds a code above 7 in a 3-bit matrix", i)}
			}
		}
	}
	if err := w.readScales(name+"_scale", m.Scale, N, ng); err != nil {
		return nil, false, err
	}
	zpName := name + "_zero_point"
	if container == 8 {
		if w.Has(zpName) {
			return nil, false, &WeightError{Tensor: zpName, Reason: "is present, but 8-bit weights are symmetric"}
		}
		return m, true, nil
	}
	zp, err := w.Raw(zpName, tensor.U8, N, ng)
	if err != nil {
		return nil, false, err
	}
	for i, z := range zp {
		if int(z) >= 1<<mod.Bits {
			return nil, false, &WeightError{Tensor: zpName, Reason: fmt.Sprintf("zero point %d at %d does not fit %d bits", z, i, mod.Bits)}
		}
		m.Min[i] = -m.Scale[i] * float32(z)
	}
	return m, true, nil
}

// readScales reads an F32 or F16 (N,G) scale tensor into dst; scales must
// be finite.
func (w *Weights) readScales(name string, dst []float32, N, G int) error {
	dt, b, err := w.Float(name, N, G)
	if err != nil {
		return err
	}
	if dt == tensor.BF16 {
		return &WeightError{Tensor: name, Reason: "has dtype BF16; scales must be F32 or F16"}
	}
	v := DecodeF32(dt, b)
	for i, s := range v {
		if math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
			return &WeightError{Tensor: name, Reason: fmt.Sprintf("scale %d is %v", i, s)}
		}
	}
	copy(dst, v)
	return nil
}

// EncodeQuantized returns the safetensors tensors that stand for a
// quantized weight NAME.weight (the codes, the scales, and for 4/3 bits
// the zero points), the inverse of QuantizedMatrix. Scales are F16 when
// every one of them is an f16 value (what kernels.FindQuantGroup makes),
// else F32, so reading them back gives the same matrix either way. Q4
// mins must be −scale·z for integer z (what the quantizers produce).
func EncodeQuantized(name string, m *kernels.QMatrix) []SafetensorsTensor {
	ng := m.Groups()
	codeDT := "U8"
	if m.Bits == 8 {
		codeDT = "I8"
	}
	scaleDT := "F16"
	for _, s := range m.Scale {
		if kernels.F16ToF32(kernels.F32ToF16(s)) != s {
			scaleDT = "F32"
			break
		}
	}
	var sc []byte
	if scaleDT == "F16" {
		sc = make([]byte, 2*len(m.Scale))
		for i, s := range m.Scale {
			binary.LittleEndian.PutUint16(sc[2*i:], kernels.F32ToF16(s))
		}
	} else {
		sc = make([]byte, 4*len(m.Scale))
		for i, s := range m.Scale {
			binary.LittleEndian.PutUint32(sc[4*i:], math.Float32bits(s))
		}
	}
	out := []SafetensorsTensor{
		{Name: name, DType: codeDT, Shape: []int{m.N, m.RowBytes()}, Data: m.Q},
		{Name: name + "_scale", DType: scaleDT, Shape: []int{m.N, ng}, Data: sc},
	}
	if m.Bits == 4 {
		zp := make([]byte, len(m.Min))
		for i, mi := range m.Min {
			if m.Scale[i] != 0 {
				zp[i] = byte(math.Round(float64(-mi / m.Scale[i])))
			}
		}
		out = append(out, SafetensorsTensor{Name: name + "_zero_point", DType: "U8", Shape: []int{m.N, ng}, Data: zp})
	}
	return out
}

// SafetensorsTensor is one tensor for WriteSafetensors.
type SafetensorsTensor struct {
	Name  string
	DType string // safetensors dtype name: F32, F16, BF16, I8, U8, I32
	Shape []int
	Data  []byte
}

// WriteSafetensors encodes tensors as a safetensors file (header sorted by
// name, data in the given order, no gaps), the format OpenSafetensors reads.
func WriteSafetensors(tensors []SafetensorsTensor) ([]byte, error) {
	hdr := map[string]any{}
	var off int64
	for _, t := range tensors {
		size, ok := specDTypeSizes[t.DType]
		if !ok {
			return nil, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", t.Name, t.DType)
		}
		if n := int64(tensor.NumElements(t.Shape) * size); n != int64(len(t.Data)) {
			return nil, fmt.Errorf("safetensors: tensor %q: %s%v needs %d bytes, has %d", t.Name, t.DType, t.Shape, n, len(t.Data))
		}
		if _, dup := hdr[t.Name]; dup {
			return nil, fmt.Errorf("safetensors: tensor %q twice", t.Name)
		}
		hdr[t.Name] = map[string]any{"dtype": t.DType, "shape": t.Shape, "data_offsets": []int64{off, off + int64(len(t.Data))}}
		off += int64(len(t.Data))
	}
	h, err := json.Marshal(hdr)
	if err != nil {
		return nil, err
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out := make([]byte, 8, 8+len(h)+int(off))
	binary.LittleEndian.PutUint64(out, uint64(len(h)))
	out = append(out, h...)
	for _, t := range tensors {
		out = append(out, t.Data...)
	}
	return out, nil
}

// Linear is one matrix weight of a loaded model: its checkpoint name
// (NAME.weight), the tensor MatMul receives as w, and its shape (N,K).
type Linear struct {
	Name string
	W    tensor.Tensor
	N, K int
	// Layer is the decoder layer it belongs to, or -1 for the embedding /
	// lm_head.
	Layer int
}

// Linears lists the model's matrices in checkpoint order (llama and qwen2;
// gpt2's Conv1D weights are split at load and have no single name): per
// layer q, k, v, o, gate, up, down, then lm_head, which is the embedding
// table (model.embed_tokens.weight) when the embeddings are tied. A
// quantizer finds each one's inputs by the W it sees in MatMul.
func (m *Model) Linears() []Linear {
	if m.Config.Arch == GPT2 {
		return nil
	}
	c := &m.Config
	C, I := c.Hidden, c.Intermediate
	QW, KW := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	var out []Linear
	for i, L := range m.layers {
		h := fmt.Sprintf("model.layers.%d.", i)
		for _, w := range []struct {
			t    tensor.Tensor
			name string
			n, k int
		}{
			{L.q, "self_attn.q_proj", QW, C}, {L.k, "self_attn.k_proj", KW, C},
			{L.v, "self_attn.v_proj", KW, C}, {L.o, "self_attn.o_proj", C, QW},
			{L.gate, "mlp.gate_proj", I, C}, {L.up, "mlp.up_proj", I, C}, {L.down, "mlp.down_proj", C, I},
		} {
			out = append(out, Linear{Name: h + w.name + ".weight", W: w.t, N: w.n, K: w.k, Layer: i})
		}
	}
	head := "lm_head.weight"
	if c.TieWordEmbeddings {
		head = "model.embed_tokens.weight"
	}
	return append(out, Linear{Name: head, W: m.lmHead, N: c.VocabSize, K: C, Layer: -1})
}

// ResidualStates runs ids at positions 0..T-1 and calls fn with the
// residual stream (T rows of Hidden values, row-major) entering decoder
// layer i for i < Layers, and for i = Layers the last layer's output before
// the final norm: the h_in/h_out pairs of layer-importance scores such as
// ShortGPT's block influence.
func (m *Model) ResidualStates(ids []int32, fn func(i int, rows []float32) error) error {
	a, err := m.runFull(ids, func(i int, x tensor.Tensor) error {
		flat, err := m.be.Read(x, 0, -1)
		if err != nil {
			return err
		}
		return fn(i, flat)
	})
	if err != nil {
		return err
	}
	a.free()
	return nil
}

// Names lists every tensor of the checkpoint, sorted.
func (w *Weights) Names() []string {
	names := make([]string, 0, len(w.where))
	for n := range w.where {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Tensor returns a tensor's description and a fresh copy of its bytes,
// whatever its dtype (for tools that copy checkpoints).
func (w *Weights) Tensor(name string) (TensorInfo, []byte, error) {
	st, ok := w.where[name]
	if !ok {
		return TensorInfo{}, nil, &WeightError{Tensor: name, Reason: "is missing"}
	}
	info, _ := st.Info(name)
	b, err := st.ReadTensor(name, nil)
	return info, b, err
}
