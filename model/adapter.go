package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lamina-ml/lamina/tensor"
)

// DraftAdapterFile is the optional file of a model folder that holds draft
// adapters for self-speculative decoding (Kangaroo, Liu et al. 2024): for an
// exit E, a small Llama MLP sub-block trained (train/lm/draft_adapter.py)
// with the base model frozen so that the final norm and lm_head after it
// agree with the full model more often than the bare early exit does:
//
//	h' = h_E + down(silu(gate(n)) * up(n)),  n = rmsnorm(h_E) * norm
//
// Its tensors, F32/F16/BF16, for each exit E: exit.E.norm.weight (C),
// exit.E.gate.weight and exit.E.up.weight (r,C), exit.E.down.weight (C,r).
// Only the draft uses it; the full model verifies every drafted token, so
// greedy output is unchanged.
const DraftAdapterFile = "draft_adapter.safetensors"

// draftAdapter is one exit's adapter on the backend.
type draftAdapter struct {
	norm, gate, up, down tensor.Tensor
	rank                 int
}

// AdapterError is a malformed draft adapter file.
type AdapterError struct{ Reason string }

func (e *AdapterError) Error() string { return "model: " + DraftAdapterFile + ": " + e.Reason }

// loadDraftAdapters reads DraftAdapterFile from fsys when it is there.
func (m *Model) loadDraftAdapters(fsys fs.FS) error {
	data, err := fs.ReadFile(fsys, DraftAdapterFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	return m.LoadDraftAdapters(data)
}

// LoadDraftAdapters installs the draft adapters of a DraftAdapterFile's
// bytes, replacing any loaded before. Architectures with LayerNorm (GPT-2)
// or sandwich norms are refused: the adapter is trained for an RMSNorm
// residual stream.
func (m *Model) LoadDraftAdapters(data []byte) error {
	c := &m.Config
	if c.Arch == GPT2 || c.SandwichNorms || c.PostNorms || c.EmbedScale != 0 {
		return &AdapterError{"draft adapters need a plain pre-norm RMSNorm model (Llama-style)"}
	}
	st, err := OpenSafetensors(bytesReaderAt(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("model: %s: %w", DraftAdapterFile, err)
	}
	ads := map[int]*draftAdapter{}
	var owned []tensor.Tensor
	fail := func(err error) error {
		for _, t := range owned {
			m.be.Free(t)
		}
		return err
	}
	for _, name := range st.Names() {
		rest, ok := strings.CutPrefix(name, "exit.")
		if !ok {
			return fail(&AdapterError{fmt.Sprintf("tensor %q is not exit.E.*", name)})
		}
		es, part, ok := strings.Cut(rest, ".")
		E, err := strconv.Atoi(es)
		if !ok || err != nil || E < 1 || E >= c.Layers {
			return fail(&AdapterError{fmt.Sprintf("tensor %q: the exit must be a layer in [1,%d)", name, c.Layers)})
		}
		if ads[E] == nil {
			ads[E] = &draftAdapter{}
		}
		info, _ := st.Info(name)
		dt, err := info.DType()
		if err != nil || (dt != tensor.F32 && dt != tensor.F16 && dt != tensor.BF16) {
			return fail(&AdapterError{fmt.Sprintf("tensor %q: dtype %s (want F32, F16 or BF16)", name, info.DTypeName)})
		}
		raw, err := st.ReadTensor(name, nil)
		if err != nil {
			return fail(fmt.Errorf("model: %s: %w", DraftAdapterFile, err))
		}
		t, err := m.be.Upload(info.Shape, tensor.F32, f32Bytes(DecodeF32(dt, raw)))
		if err != nil {
			return fail(err)
		}
		owned = append(owned, t)
		a := ads[E]
		switch part {
		case "norm.weight":
			a.norm = t
		case "gate.weight":
			a.gate = t
		case "up.weight":
			a.up = t
		case "down.weight":
			a.down = t
		default:
			return fail(&AdapterError{fmt.Sprintf("tensor %q: unknown part %q", name, part)})
		}
		if !shapeOK(part, info.Shape, c.Hidden) {
			return fail(&AdapterError{fmt.Sprintf("tensor %q has shape %v for hidden size %d", name, info.Shape, c.Hidden)})
		}
	}
	for E, a := range ads {
		if a.norm == nil || a.gate == nil || a.up == nil || a.down == nil {
			return fail(&AdapterError{fmt.Sprintf("exit %d lacks one of norm, gate, up, down", E)})
		}
		r := a.gate.Shape()[0]
		if a.up.Shape()[0] != r || a.down.Shape()[1] != r {
			return fail(&AdapterError{fmt.Sprintf("exit %d: gate, up and down disagree on the rank", E)})
		}
		a.rank = r
	}
	m.dropDraftAdapters()
	m.adapters, m.adapterTensors = ads, owned
	return nil
}

// shapeOK checks an adapter part's shape against hidden size C (the rank is
// checked across parts afterwards).
func shapeOK(part string, s []int, C int) bool {
	switch part {
	case "norm.weight":
		return len(s) == 1 && s[0] == C
	case "gate.weight", "up.weight":
		return len(s) == 2 && s[1] == C && s[0] > 0
	default: // down.weight
		return len(s) == 2 && s[0] == C && s[1] > 0
	}
}

func (m *Model) dropDraftAdapters() {
	for _, t := range m.adapterTensors {
		m.be.Free(t)
	}
	m.adapters, m.adapterTensors = nil, nil
}

// DraftAdapterExits lists, ascending, the exits that have a draft adapter.
func (m *Model) DraftAdapterExits() []int {
	var es []int
	for E := range m.adapters {
		es = append(es, E)
	}
	slices.Sort(es)
	return es
}

// adapterScratch holds one T-row pass of a draft adapter's intermediates.
type adapterScratch struct {
	n, d, g, u tensor.Tensor // (T,C), (T,C), (T,r), (T,r)
}

func (m *Model) newAdapterScratch(a *draftAdapter, T int) (*adapterScratch, error) {
	var s adapterScratch
	var err error
	for _, p := range []struct {
		t    *tensor.Tensor
		cols int
	}{{&s.n, m.Config.Hidden}, {&s.d, m.Config.Hidden}, {&s.g, a.rank}, {&s.u, a.rank}} {
		if *p.t, err = m.be.Zeros(T, p.cols); err != nil {
			s.free(m.be)
			return nil, err
		}
	}
	return &s, nil
}

func (s *adapterScratch) free(be tensor.Backend) {
	for _, t := range []tensor.Tensor{s.n, s.d, s.g, s.u} {
		if t != nil {
			be.Free(t)
		}
	}
}

// applyAdapter replaces x (T,C) by the adapter's output, in place.
func (m *Model) applyAdapter(a *draftAdapter, s *adapterScratch, x tensor.Tensor) {
	be := m.be
	be.RMSNorm(s.n, x, a.norm, m.Config.NormEps)
	be.MatMul(s.g, s.n, a.gate, nil)
	be.MatMul(s.u, s.n, a.up, nil)
	be.SiLUMul(s.g, s.g, s.u)
	be.MatMul(s.d, s.g, a.down, nil)
	be.Add(x, x, s.d)
}

// DraftAdapterRef is the CPU reference of one adapter row, in float64 on
// the host: h (C), norm (C), gate and up (r,C), down (C,r), row-major.
func DraftAdapterRef(h, norm, gate, up, down []float32, r int, eps float32) []float32 {
	C := len(h)
	var ss float64
	for _, v := range h {
		ss += float64(v) * float64(v)
	}
	inv := 1 / math.Sqrt(ss/float64(C)+float64(eps))
	n := make([]float64, C)
	for i, v := range h {
		n[i] = float64(v) * inv * float64(norm[i])
	}
	act := make([]float64, r)
	for j := range r {
		var g, u float64
		for i := range C {
			g += float64(gate[j*C+i]) * n[i]
			u += float64(up[j*C+i]) * n[i]
		}
		act[j] = g / (1 + math.Exp(-g)) * u
	}
	out := make([]float32, C)
	for i := range C {
		s := float64(h[i])
		for j := range r {
			s += float64(down[i*r+j]) * act[j]
		}
		out[i] = float32(s)
	}
	return out
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}
