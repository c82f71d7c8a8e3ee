package model

import (
	"fmt"

	"github.com/lamina-ml/lamina/tensor"
)

// Session is one sequence being decoded with a KV cache of fixed capacity.
// It is not safe for concurrent use; several sessions may share a Model.
//
// Decode (Step, StepArgmax) reuses buffers allocated once by NewSession, so
// it does not allocate activations per token. On a backend with
// tensor.FusedOps, passes of up to its Limits().FusedMaxRows tokens (decode
// steps, short prefills) run through the fused ops and the final norm folds into the
// lm_head projection; the logits are the same as the plain path's.
type Session struct {
	m      *Model
	cache  *kvCache
	pos    int
	dec    *acts         // T=1 buffers for Step
	last   tensor.Tensor // (1,C) final-normed hidden state of the last token
	logits tensor.Tensor // (1,V)
	argmax tensor.Tensor // I32 (1)
	host   []float32     // (V) host copy of logits, reused
	ids    [1]int32
}

// NewSession allocates a KV cache of maxLen positions (prompt plus
// generated tokens). GPT-2 has learned positions only up to n_positions
// (Config.MaxPositions), so a longer GPT-2 session is an error; RoPE models
// may run past max_position_embeddings, as transformers allows.
//
// A sliding-window layer (Mistral, Gemma 3's local layers) whose window W
// is shorter than maxLen keeps a ring of W rows instead of maxLen, so a long
// session's cache stays bounded; its logits are those of a full cache.
func (m *Model) NewSession(maxLen int) (*Session, error) { return m.newSession(maxLen, 0) }

// newSession is NewSession with rings of W+slack rows, so that crop can
// drop up to slack positions (speculative decoding's rejected drafts).
func (m *Model) newSession(maxLen, slack int) (*Session, error) {
	if maxLen <= 0 {
		return nil, fmt.Errorf("model: session length %d must be positive", maxLen)
	}
	if m.Config.Arch == GPT2 && maxLen > m.Config.MaxPositions {
		return nil, fmt.Errorf("model: session of %d positions exceeds GPT-2's %d learned positions", maxLen, m.Config.MaxPositions)
	}
	s := &Session{m: m, host: make([]float32, m.Config.VocabSize)}
	var err error
	if s.cache, err = m.newRingCache(maxLen, slack); err != nil {
		return nil, err
	}
	if s.dec, err = m.newActs(1); err != nil {
		s.Close()
		return nil, err
	}
	if s.last, err = m.be.Zeros(1, m.Config.Hidden); err != nil {
		s.Close()
		return nil, err
	}
	if s.logits, err = m.be.Zeros(1, m.Config.VocabSize); err != nil {
		s.Close()
		return nil, err
	}
	if s.argmax, err = m.be.ZerosI32(1); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close frees the session's cache and buffers.
func (s *Session) Close() {
	be := s.m.be
	if s.cache != nil {
		s.cache.free(be)
		s.cache = nil
	}
	if s.dec != nil {
		s.dec.free()
		s.dec = nil
	}
	for _, t := range []tensor.Tensor{s.last, s.logits, s.argmax} {
		if t != nil {
			be.Free(t)
		}
	}
	s.last, s.logits, s.argmax = nil, nil, nil
}

// Pos is the number of positions already in the cache (the position the
// next token will take).
func (s *Session) Pos() int { return s.pos }

// MaxLen is the cache capacity.
func (s *Session) MaxLen() int { return s.cache.S }

// Reset empties the cache (old rows are simply overwritten later).
func (s *Session) Reset() { s.pos, s.cache.end = 0, 0 }

// crop makes pos the next token's position, keeping the cache's rows
// below it and dropping those from pos to the last one written (which may
// lie past Pos(): speculative verification writes its drafts' rows). The
// dropped rows are simply overwritten later, but in a ring they already
// overwrote the rows of the positions a window before them, so a ring cache
// can drop at most the slack it was made with.
func (s *Session) crop(pos int) error {
	kc := s.cache
	if pos < 0 || pos > kc.end {
		return fmt.Errorf("model: crop to position %d of a cache written to %d", pos, kc.end)
	}
	if kc.hasRing() && kc.end-pos > kc.slack {
		return fmt.Errorf("model: crop of %d positions from a ring KV cache with slack %d", kc.end-pos, kc.slack)
	}
	s.pos, kc.end = pos, pos
	return nil
}

// run pushes ids through the model at the current position and leaves the
// last token's logits in s.logits.
func (s *Session) run(ids []int32) error {
	if s.cache == nil {
		return fmt.Errorf("model: session is closed")
	}
	if len(ids) == 0 {
		return fmt.Errorf("model: no tokens to run")
	}
	if s.pos+len(ids) > s.cache.S {
		return fmt.Errorf("model: %d tokens at position %d overflow the session's %d positions", len(ids), s.pos, s.cache.S)
	}
	for len(ids) > 0 {
		n := s.chunk(len(ids))
		if err := s.runChunk(ids[:n], n == len(ids)); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// chunk is how many of n tokens one pass takes. A backend that does not
// read rings (tensor.RingAttention; every built-in one does) attends over a
// scratch copy of the window (ringAttention), where a query row may see
// only W-1 earlier keys; such a backend may lack a sliding mask too, so no
// pass there reaches past W scratch rows. Past the window that is one
// token a pass.
func (s *Session) chunk(n int) int {
	m := s.m
	if m.readsRing() || !s.cache.hasRing() {
		return n
	}
	if W := m.Config.SlidingWindow; s.pos < W {
		return min(n, W-s.pos)
	}
	return 1
}

// runChunk is one pass of run; head says to project the last row.
func (s *Session) runChunk(ids []int32, head bool) error {
	a := s.dec
	if len(ids) > 1 {
		var err error
		if a, err = s.m.newActs(len(ids)); err != nil {
			return err
		}
		defer a.free()
	}
	if err := s.m.embedIDs(a, ids); err != nil {
		return err
	}
	if err := s.m.decoder(a, s.cache, s.pos, nil, s.m.fusedHead() == nil); err != nil {
		return err
	}
	if head {
		s.head(a)
	}
	s.pos += a.T
	return nil
}

// head projects the last row of a's decoder output onto the vocabulary:
// s.logits (1,V). With fused ops (RMSNorm models) the final norm is folded
// into the lm_head matvec; otherwise decoder left it in a.h.
func (s *Session) head(a *acts) { s.headRow(a, a.T-1) }

// headRow is head for row `row` of a's decoder output. Self-speculative
// verification projects its rows one at a time through this, so that each
// row's logits come from the very ops a plain decode step uses (a batched
// lm_head need not round the same way).
func (s *Session) headRow(a *acts, row int) {
	be, m := s.m.be, s.m
	if f := m.fusedHead(); f != nil {
		x := a.x
		if a.T > 1 {
			be.CopyRows(s.last, 0, a.x, row, 1)
			x = s.last
		}
		f.MatMulNorm(s.logits, x, m.normW, m.lmHead, m.Config.NormEps) // logits is (1,V)
		return
	}
	be.CopyRows(s.last, 0, a.h, row, 1)
	be.MatMul(s.logits, s.last, m.lmHead, nil) // logits is (1,V)
}

// stepOnDevice appends one token whose id is ids[at], an I32 tensor on the
// backend (written there by ArgmaxAt or Sample), and leaves the next-token
// logits in s.logits, all without a host round trip.
func (s *Session) stepOnDevice(f tensor.FusedOps, ids tensor.Tensor, at int) error {
	if s.cache == nil {
		return fmt.Errorf("model: session is closed")
	}
	if s.pos+1 > s.cache.S {
		return fmt.Errorf("model: a token at position %d overflows the session's %d positions", s.pos, s.cache.S)
	}
	f.EmbeddingAt(s.dec.x, s.m.embed, ids, at) // x is (1,C)
	if sc := s.m.Config.EmbedScale; sc != 0 {
		s.m.be.(GemmaOps).Scale(s.dec.x, sc) // Gemma 3; checked at load
	}
	if err := s.m.decoder(s.dec, s.cache, s.pos, nil, s.m.fusedHead() == nil); err != nil {
		return err
	}
	s.head(s.dec)
	s.pos++
	return nil
}

// readLogits fetches s.logits into the reused host slice.
func (s *Session) readLogits() ([]float32, error) {
	if r, ok := s.m.be.(tensor.ReaderInto); ok {
		if err := r.ReadInto(s.host, s.logits, 0, 1); err != nil {
			return nil, err
		}
		return s.host, nil
	}
	v, err := s.m.be.Read(s.logits, 0, 1)
	if err != nil {
		return nil, err
	}
	copy(s.host, v)
	return s.host, nil
}

// Prefill runs a batch of tokens (the prompt, or more of it) through the
// model in one pass, appending them to the cache, and returns the logits
// (V) of the last one. The returned slice is owned by the session and
// overwritten by the next call; copy it to keep it.
func (s *Session) Prefill(ids []int32) ([]float32, error) {
	if err := s.run(ids); err != nil {
		return nil, err
	}
	return s.readLogits()
}

// Step appends one token and returns the next-token logits (V), with the
// same ownership rule as Prefill.
func (s *Session) Step(id int32) ([]float32, error) {
	s.ids[0] = id
	return s.Prefill(s.ids[:])
}

// PrefillArgmax is Prefill that returns only the most likely next token,
// computed on the backend so that the logits are never read back (a GPU
// backend transfers four bytes instead of V floats).
func (s *Session) PrefillArgmax(ids []int32) (int32, error) {
	if err := s.run(ids); err != nil {
		return 0, err
	}
	s.m.be.Argmax(s.argmax, s.logits)
	v, err := s.m.be.ReadInts(s.argmax)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// StepArgmax is Step returning only the most likely next token; see
// PrefillArgmax.
func (s *Session) StepArgmax(id int32) (int32, error) {
	s.ids[0] = id
	return s.PrefillArgmax(s.ids[:])
}
