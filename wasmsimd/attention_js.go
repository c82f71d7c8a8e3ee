//go:build js && wasm

package wasmsimd

import (
	"fmt"
	"syscall/js"

	"github.com/lamina-ml/lamina/tensor"
)

var _ tensor.AttentionEngine = (*Engine)(nil)

// kvCache is an engine copy of an (S,W) f32 KV cache.
type kvCache struct {
	b     block
	S, W  int
	freed bool
}

// attnState is the attention kernel's export and its scratch (q, out and
// one row of scores of the current call).
type attnState struct {
	fn      js.Value
	scratch block
	calls   int // kernel calls (for the tests)
}

func (e *Engine) attnFn() js.Value {
	if e.attn.fn.IsUndefined() {
		e.attn.fn = e.exports.Get("attn")
	}
	return e.attn.fn
}

// Attends implements tensor.AttentionEngine: the kernel needs a head
// dimension that is a multiple of 4 (one f32x4 per four values).
func (e *Engine) Attends(a tensor.AttentionArgs) bool {
	return a.HeadDim > 0 && a.HeadDim%4 == 0 && a.Heads > 0 && a.KVHeads > 0 && a.Heads%a.KVHeads == 0 && a.Window >= 0 && a.Pos >= 0
}

// MirrorCache implements tensor.AttentionEngine.
func (e *Engine) MirrorCache(S, W int) (tensor.EngineCache, error) {
	if S <= 0 || W <= 0 {
		return nil, fmt.Errorf("wasmsimd: cache of (%d,%d)", S, W)
	}
	b, err := e.alloc(S * W * 4)
	if err != nil {
		return nil, err
	}
	return &kvCache{b: b, S: S, W: W}, nil
}

func cacheOf(h tensor.EngineCache) (*kvCache, error) {
	c, ok := h.(*kvCache)
	if !ok || c.freed {
		return nil, fmt.Errorf("wasmsimd: %T is not a live cache copy", h)
	}
	return c, nil
}

// WriteCacheRows implements tensor.AttentionEngine.
func (e *Engine) WriteCacheRows(h tensor.EngineCache, row int, rows []float32) error {
	c, err := cacheOf(h)
	if err != nil {
		return err
	}
	if len(rows)%c.W != 0 || row < 0 || row+len(rows)/c.W > c.S {
		return fmt.Errorf("wasmsimd: %d values at row %d of a (%d,%d) cache", len(rows), row, c.S, c.W)
	}
	if len(rows) > 0 {
		js.CopyBytesToJS(e.view(c.b.off+row*c.W*4, len(rows)*4), bytesOf(rows))
	}
	return nil
}

// ReleaseCache implements tensor.AttentionEngine.
func (e *Engine) ReleaseCache(h tensor.EngineCache) {
	if c, err := cacheOf(h); err == nil {
		c.freed = true
		e.release(c.b)
	}
}

// Attention implements tensor.AttentionEngine: q in, the module's attn,
// out back.
func (e *Engine) Attention(out, q []float32, kh, vh tensor.EngineCache, a tensor.AttentionArgs) error {
	k, err := cacheOf(kh)
	if err != nil {
		return err
	}
	v, err := cacheOf(vh)
	if err != nil {
		return err
	}
	if !e.Attends(a) {
		return fmt.Errorf("wasmsimd: attention with %+v", a)
	}
	H, G, D := a.Heads, a.KVHeads, a.HeadDim
	QW := H * D
	T := len(q) / QW
	if len(q) != T*QW || len(out) != len(q) || k.W != G*D || v.W != G*D || k.S != v.S || a.Pos+T > k.S {
		return fmt.Errorf("wasmsimd: attention of q %d, out %d values over (%d,%d)/(%d,%d) caches at %d with %+v", len(q), len(out), k.S, k.W, v.S, v.W, a.Pos, a)
	}
	if T == 0 {
		return nil
	}
	qn, sn := len(q)*4, (k.S+4)*4
	if need := 2*qn + sn; e.attn.scratch.size < need {
		e.release(e.attn.scratch)
		e.attn.scratch = block{}
		b, err := e.alloc(need + need/2)
		if err != nil {
			return err
		}
		e.attn.scratch = b
	}
	qo := e.attn.scratch.off
	oo, so := qo+qn, qo+2*qn
	js.CopyBytesToJS(e.view(qo, qn), bytesOf(q))
	e.attn.calls++
	e.attnFn().Invoke(qo, k.b.off, v.b.off, oo, so, T, H, G, D, a.Pos, a.Window, a.Scale)
	js.CopyBytesToGo(bytesOf(out), e.view(oo, qn))
	return nil
}
