//go:build js && wasm

package main

import (
	"image"
	"sort"
	"time"

	"github.com/hajimehoshi/ebiten/v2"

	"github.com/lamina-ml/lamina/ui"
	"github.com/lamina-ml/lamina/vector"
)

// benchReq asks the next frame to time the ways of drawing the current document
// (window.laminaEditor.benchRender; e2e-editor/bench-render.mjs prints the figures).
type benchReq struct {
	frames int
	out    chan map[string]any
}

// benchBudget bounds each case's timed runs (after one warm-up run).
const benchBudget = 3 * time.Second

// aaProbeLayers is how many layers the cases drawn with ebiten's own AntiAlias option
// draw: that way costs ~0.3 s a layer on software WebGL, so a sample is timed and the
// figure is per layer.
const aaProbeLayers = 6

// runBench times, on an offscreen target the canvas's size, each followed by a pixel read
// that waits for the GPU: every figure is the median of milliseconds per frame (or per
// layer where the name says so) for the document's layers only, plus two whole frames.
func (a *app) runBench(req *benchReq, w, h int) {
	dl := a.e.Frame(a.view(w, h))
	var layers []ui.Op
	for _, op := range dl.Ops {
		if op.Kind == ui.OpFill && !op.Convex {
			layers = append(layers, op)
		}
	}
	target := ebiten.NewImageWithOptions(image.Rect(0, 0, w, h), &ebiten.NewImageOptions{Unmanaged: true})
	defer target.Deallocate()
	res := map[string]any{"layers": len(layers), "width": w, "height": h, "renderer": a.renderer, "mode": a.rp.Mode.String()}
	timeit := func(name string, f func(i int)) {
		f(0)
		target.At(0, 0) // warm-up: shaders compiled, buffers grown
		var ms []float64
		start := time.Now()
		for i := 1; i <= req.frames && (i == 1 || time.Since(start) < benchBudget); i++ {
			target.Clear()
			t0 := time.Now()
			f(i)
			target.At(0, 0)
			ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
		}
		sort.Float64s(ms)
		res[name] = ms[len(ms)/2]
		jsGlobal.Get("console").Call("log", "benchRender", name, ms[len(ms)/2], len(ms))
	}
	rp := &replayer{Scale: 1}
	v := &rp.vec
	timeit("tessellate_go", func(int) {
		for i := range layers {
			rp.vs, rp.is = v.tessellate(layers[i].Subpaths, rp.vs[:0], rp.is[:0])
		}
	})
	// (rp.cache = nil: the composite from scratch, as a new drawing or a moved layer has it)
	timeit("raster", func(int) { rp.cache = nil; rp.raster(target, dl, layers, 1, 0) })
	timeit("raster_preview", func(int) { rp.cache = nil; rp.raster(target, dl, layers, previewScale, 0) })
	timeit("vector_cold", func(int) { v.reset(); v.drawLayers(target, dl, layers, supersample, false) })
	timeit("vector_warm", func(int) { v.drawLayers(target, dl, layers, supersample, false) })
	// A drag of the top layer: the layers below come from the composite, the top layer's
	// mesh is mapped through the move.
	drag := append([]ui.Op(nil), layers...)
	if n := len(drag); n > 0 {
		top := &drag[n-1]
		top.Live = true
		m0 := top.M
		timeit("vector_drag", func(i int) {
			top.M = vector.Matrix{A: 1, D: 1, E: float64(i), F: float64(i) / 2}.Mul(m0)
			v.drawLayers(target, dl, drag, supersample, true)
		})
		// the same drag in the middle of the stack: composites below and above
		mid := append([]ui.Op(nil), layers...)
		mo := &mid[n/2]
		mo.Live = true
		m1 := mo.M
		timeit("vector_drag_middle", func(i int) {
			mo.M = vector.Matrix{A: 1, D: 1, E: float64(i), F: float64(i) / 2}.Mul(m1)
			v.drawLayers(target, dl, mid, supersample, true)
		})
	}
	preview := append([]ui.Op(nil), layers...)
	for i := range preview {
		preview[i].Layer, preview[i].Source = 0, nil
	}
	timeit("vector_preview", func(int) { v.drawLayers(target, dl, preview, 1, false) })
	// Where the time of drawing straight onto the target goes: stencil fills without
	// anti-aliasing, then ebiten's AntiAlias option without and with a fill rule.
	direct := func(n int, aa bool, fill func(op *ui.Op) ebiten.FillRule) {
		for i := range layers[:n] {
			op := &layers[i]
			rp.vs, rp.is = v.tessellate(op.Subpaths, rp.vs[:0], rp.is[:0])
			c := op.Color
			for j := range rp.vs {
				p := &rp.vs[j]
				p.SrcX, p.SrcY = 1, 1
				p.ColorR, p.ColorG, p.ColorB, p.ColorA = float32(c.R), float32(c.G), float32(c.B), float32(c.A)
			}
			target.DrawTriangles(rp.vs, rp.is, whiteSub, &ebiten.DrawTrianglesOptions{FillRule: fill(op), AntiAlias: aa})
		}
	}
	rule := func(op *ui.Op) ebiten.FillRule {
		if op.EvenOdd {
			return ebiten.FillRuleEvenOdd
		}
		return ebiten.FillRuleNonZero
	}
	fillAll := func(*ui.Op) ebiten.FillRule { return ebiten.FillRuleFillAll }
	timeit("stencil_direct_noaa", func(int) { direct(len(layers), false, rule) })
	k := min(aaProbeLayers, len(layers))
	if k > 0 {
		timeit("ebiten_aa_fillall_per_layer", func(int) { direct(k, true, fillAll) })
		res["ebiten_aa_fillall_per_layer"] = res["ebiten_aa_fillall_per_layer"].(float64) / float64(k)
		timeit("ebiten_aa_stencil_per_layer", func(int) { direct(k, true, rule) })
		res["ebiten_aa_stencil_per_layer"] = res["ebiten_aa_stencil_per_layer"].(float64) / float64(k)
	}
	rp.Mode = renderRaster
	timeit("frame_raster", func(int) { rp.replay(target, dl) })
	rp.Mode = renderVector
	timeit("frame_vector_warm", func(int) { rp.replay(target, dl) })
	res["counters"] = map[string]any{"tessellated": v.Tessellated, "mapped": v.Mapped, "reused": v.Reused}
	a.drawn = -1 // the canvas redraws next frame
	req.out <- res
}
