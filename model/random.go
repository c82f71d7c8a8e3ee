package model

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/lamina-ml/lamina/kernels"
	"github.com/lamina-ml/lamina/tensor"
)

// NewRandom builds a model of cfg's shape with seeded random weights stored
// as dtype (F32, F16, BF16, or Q8/Q4 rounded to nearest), for benchmarks and for tests of shapes no
// fixture has. Linear weights are uniform in ±1/sqrt(K) (so activations
// keep their scale through the layers), embeddings uniform in ±1, norm
// weights near 1 and biases small. The same (cfg, dtype, seed) always gives
// the same weights.
func NewRandom(cfg Config, be tensor.Backend, dtype tensor.DType, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch dtype {
	case tensor.F32, tensor.F16, tensor.BF16, tensor.Q8, tensor.Q4:
	default:
		return nil, fmt.Errorf("model: random weights of dtype %v (want F32, F16, BF16, Q8 or Q4)", dtype)
	}
	if cfg.AttnScale == 0 {
		cfg.AttnScale = float32(1 / math.Sqrt(float64(cfg.HeadDim)))
	}
	if cfg.Arch != GPT2 && cfg.RopeTheta == 0 {
		cfg.RopeTheta = 10000
	}
	m := &Model{Config: cfg, EOS: cfg.EOSTokenID, be: be}
	if err := m.checkBackend(); err != nil {
		return nil, err
	}
	r := &randomWeights{m: m, rng: NewRNG(seed), dt: dtype}
	if err := r.build(); err != nil {
		m.Close()
		return nil, err
	}
	if err := m.uploadRoPE(); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

type randomWeights struct {
	m   *Model
	rng *RNG
	dt  tensor.DType
	buf []byte
	err error
}

func (r *randomWeights) uniform(n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32((2*r.rng.Float64() - 1) * scale)
	}
	return v
}

// matrix uploads a random (n,k) weight in r.dt.
func (r *randomWeights) matrix(n, k int, scale float64) tensor.Tensor {
	if r.err != nil {
		return nil
	}
	v := r.uniform(n*k, scale)
	if r.dt == tensor.Q8 || r.dt == tensor.Q4 {
		return r.quantMatrix(v, n, k)
	}
	es := r.dt.Size()
	if cap(r.buf) < len(v)*es {
		r.buf = make([]byte, len(v)*es)
	}
	b := r.buf[:len(v)*es]
	for i, f := range v {
		switch r.dt {
		case tensor.F32:
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
		case tensor.F16:
			binary.LittleEndian.PutUint16(b[2*i:], kernels.F32ToF16(f))
		case tensor.BF16:
			binary.LittleEndian.PutUint16(b[2*i:], f32ToBF16(f))
		}
	}
	t, err := r.m.be.Upload([]int{n, k}, r.dt, b)
	return r.keep(t, err)
}

// RandomQ4Group is the group size of NewRandom's Q4 weights.
const RandomQ4Group = 32

// quantMatrix rounds v (n,k) to Q8 (per row) or Q4 (groups of
// RandomQ4Group) and uploads it quantized (dequantized on a backend that
// does not keep quantized weights).
func (r *randomWeights) quantMatrix(v []float32, n, k int) tensor.Tensor {
	bits := 4
	if r.dt == tensor.Q8 {
		bits = 8
	}
	q, err := kernels.QuantizeRTN(v, n, k, bits, RandomQ4Group)
	if err != nil {
		r.err = err
		return nil
	}
	var t tensor.Tensor
	if qu, ok := r.m.be.(tensor.QuantUploader); ok {
		t, err = qu.UploadQuant(q)
	} else {
		t, err = r.m.be.UploadF32([]int{n, k}, q.Dequantize())
	}
	return r.keep(t, err)
}

func (r *randomWeights) vector(n int, center, scale float64) tensor.Tensor {
	if r.err != nil {
		return nil
	}
	v := r.uniform(n, scale)
	for i := range v {
		v[i] += float32(center)
	}
	t, err := r.m.be.UploadF32([]int{n}, v)
	return r.keep(t, err)
}

func (r *randomWeights) keep(t tensor.Tensor, err error) tensor.Tensor {
	if err != nil {
		r.err = err
		return nil
	}
	r.m.owned = append(r.m.owned, t)
	return t
}

// bias returns a small random bias, or nil when the architecture has none.
func (r *randomWeights) bias(has bool, n int) tensor.Tensor {
	if !has {
		return nil
	}
	return r.vector(n, 0, 0.1)
}

func (r *randomWeights) build() error {
	m, c := r.m, &r.m.Config
	C, I := c.Hidden, c.Intermediate
	QW, KW := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	lin := func(n, k int) tensor.Tensor { return r.matrix(n, k, 1/math.Sqrt(float64(k))) }
	gpt2 := c.Arch == GPT2
	m.embed = r.matrix(c.VocabSize, C, 1)
	if gpt2 {
		m.posEmb = r.matrix(c.MaxPositions, C, 0.5)
	}
	m.layers = make([]layerWeights, c.Layers)
	for i := range m.layers {
		L := &m.layers[i]
		L.norm1W = r.vector(C, 1, 0.1)
		L.norm1B = r.bias(gpt2, C)
		L.q, L.qB = lin(QW, C), r.bias(c.QKVBias, QW)
		L.k, L.kB = lin(KW, C), r.bias(c.QKVBias, KW)
		L.v, L.vB = lin(KW, C), r.bias(c.QKVBias, KW)
		L.o, L.oB = lin(C, QW), r.bias(c.OutBias, C)
		L.norm2W = r.vector(C, 1, 0.1)
		L.norm2B = r.bias(gpt2, C)
		switch c.QKNorm {
		case QKNormHead:
			L.qNorm, L.kNorm = r.vector(c.HeadDim, 1, 0.1), r.vector(c.HeadDim, 1, 0.1)
		case QKNormFull:
			L.qNorm, L.kNorm = r.vector(QW, 1, 0.1), r.vector(KW, 1, 0.1)
		}
		if c.SandwichNorms {
			L.postAttn, L.postFFN = r.vector(C, 1, 0.1), r.vector(C, 1, 0.1)
		}
		if !gpt2 {
			L.gate, L.gateB = lin(I, C), r.bias(c.MLPBias, I)
		}
		L.up, L.upB = lin(I, C), r.bias(c.MLPBias, I)
		L.down, L.downB = lin(C, I), r.bias(c.MLPBias, C)
	}
	m.normW = r.vector(C, 1, 0.1)
	m.normB = r.bias(gpt2, C)
	if c.TieWordEmbeddings {
		m.lmHead = m.embed
	} else {
		m.lmHead = lin(c.VocabSize, C)
	}
	return r.err
}

// f32ToBF16 rounds an f32 to the nearest bfloat16 (ties to even), keeping
// NaN a NaN.
func f32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if f != f {
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}
