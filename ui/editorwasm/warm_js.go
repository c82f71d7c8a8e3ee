//go:build js && wasm

// Warming up: the first time the page parses, names, saves and draws a drawing, it pays for
// compiling that code — V8 compiles a WebAssembly function lazily, on its first call, and
// ebiten and the GPU (SwiftShader, in Chromium without one, compiles its shaders on the CPU)
// build a shader the first time a draw needs it. Measured on the 2-core machine
// (e2e-editor/worker.test.mjs, ?debug=1 spans), the first generation's finish spent 120–170
// ms parsing the worker's SVG, 40–80 ms building the document, 700–980 ms replaying the
// layers and 0.8–1.2 s of the browser's commit waiting on the GPU process, against 2 ms, 3
// ms, 9–15 ms and 40–140 ms for the second one on the same page. So the editor runs a tiny
// drawing through the same steps once, while the model loads, one step per frame, and the
// first real drawing finds the code compiled.

package main

import (
	"github.com/hajimehoshi/ebiten/v2"

	"github.com/lamina-ml/lamina/ui"
	"github.com/lamina-ml/lamina/vector"
)

// warmSVG is what the worker returns, in small: cubic outlines, an even-odd layer with a
// hole, a translucent layer (vector.WriteSVG's form).
const warmSVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">` +
	`<path fill="#dd2e44" d="M18 4C26 4 32 10 32 18C32 26 26 32 18 32C10 32 4 26 4 18C4 10 10 4 18 4Z"/>` +
	`<path fill="#ffcc4d" fill-rule="evenodd" d="M8 8L28 8L28 28L8 28ZM12 12L12 24L24 24L24 12Z"/>` +
	`<path fill="#55acee" fill-opacity="0.6" d="M6 30C10 20 14 20 18 30C22 20 26 20 30 30Z"/></svg>`

// warmUp holds the warm-up's state: the steps still to run, one per frame.
type warmUp struct {
	steps []func(a *app, screen *ebiten.Image)
	e     *ui.Editor
	rp    replayer
	img   *ebiten.Image
}

func newWarmUp() *warmUp {
	w := &warmUp{e: ui.New()}
	w.steps = []func(*app, *ebiten.Image){
		// What runModel and the worker drawer do with the result.
		func(*app, *ebiten.Image) {
			doc, err := vector.ParseSVG([]byte(warmSVG))
			if err != nil {
				return
			}
			_ = w.e.Load(ui.FromVector(doc), "Warm up")
			w.e.SelectAll()
			_ = vector.WriteSVG(doc)
			_ = w.e.Doc.SVG()
		},
		// What sync does: the layers panel's thumbnails and names, the saved session.
		func(a *app, _ *ebiten.Image) {
			for i := range w.e.Doc.Layers {
				_ = w.e.Doc.LayerSVG(i)
			}
			var enc ui.SessionEncoder // its own: a.session caches the real drawing's paths
			_ = enc.MarshalSession(w.e, map[string]string{"prompt": "warm"}, ui.Camera{})
			_ = ui.MarshalDocument(w.e.Doc)
		},
		// What Draw does: the display list with a selection, replayed at full resolution and
		// at the denoising preview's, onto an image of its own.
		func(a *app, _ *ebiten.Image) { w.draw(a, 1) },
		func(a *app, _ *ebiten.Image) { w.draw(a, previewScale) },
		func(*app, *ebiten.Image) {
			w.img.Deallocate()
			w.rp.release()
		},
	}
	return w
}

func (w *warmUp) draw(a *app, scale float64) {
	const side = 48
	if w.img == nil {
		w.img = ebiten.NewImage(side, side)
	}
	w.rp.Mode, w.rp.Scale = a.rp.Mode, scale
	w.rp.replay(w.img, w.e.Frame(ui.View{W: side, H: side, Scale: 1}))
}

// step runs the next step; it reports false when there is none left.
func (w *warmUp) step(a *app, screen *ebiten.Image) bool {
	if len(w.steps) == 0 {
		return false
	}
	defer span("warm up")()
	f := w.steps[0]
	w.steps = w.steps[1:]
	f(a, screen)
	return len(w.steps) > 0
}
