package vector

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// TestFitLayersMergesLeastVisible: 50 layers into 48 slots. Two tiny squares (0.5 × 0.5) are
// the least visible; each is merged into its nearest-colored neighbour, and every big square
// survives unchanged in order.
func TestFitLayersMergesLeastVisible(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 48; i++ {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="1" height="1" fill="#%02x0000"/>`, i%6*6, i/6*4, i*5)
		if i == 10 || i == 30 {
			// a tiny square of nearly the previous color, right after it
			fmt.Fprintf(&b, `<rect x="%d.25" y="%d.25" width="0.5" height="0.5" fill="#%02x0100"/>`, i%6*6+2, i/6*4, i*5)
		}
	}
	doc := mustParse(t, svgDoc(b.String()))
	if len(doc.Layers) != 50 {
		t.Fatalf("%d layers", len(doc.Layers))
	}
	fit, merges := FitLayers(doc, 48)
	if merges != 2 || len(fit.Layers) != 48 {
		t.Fatalf("%d merges, %d layers; want 2, 48", merges, len(fit.Layers))
	}
	for i, l := range fit.Layers {
		if want := float64(i*5) / 255; math.Abs(l.Fill.R-want) > 1e-9 || l.Fill.G != 0 {
			t.Errorf("layer %d fill %v, want red %v (the big squares, in order)", i, l.Fill, want)
		}
	}
	// Layers 10 and 30 now also cover the tiny squares: 1 + 0.25.
	for _, i := range []int{10, 30} {
		if a := sum(Coverage(&fit.Layers[i], fit.ViewBox, 360, 360)) / 100; math.Abs(a-1.25) > 0.02 {
			t.Errorf("merged layer %d area %v, want 1.25", i, a)
		}
	}
	if tk := Tokenize(fit, 48, DefaultN); !tk.Fits {
		t.Errorf("Tokenize of the fitted document: fits %v", tk.Fits)
	}
	if tk := Tokenize(doc, 48, DefaultN); tk.Fits {
		t.Errorf("Tokenize of the 50-layer document fits without FitLayers")
	}
}

// TestFitLayersHostile: thousands of layers into K slots finishes (the union budget).
func TestFitLayersHostile(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="1" height="1" fill="#%06x"/>`, i%35, (i/35)%35, i*2654435761%0xffffff)
	}
	doc := mustParse(t, svgDoc(b.String()))
	start := time.Now()
	fit, merges := FitLayers(doc, DefaultK)
	if len(fit.Layers) != DefaultK || merges != 5000-DefaultK {
		t.Errorf("%d layers after %d merges", len(fit.Layers), merges)
	}
	t.Logf("5000 layers → %d: %v", DefaultK, time.Since(start))
}

// TestFitLayersDropsEmptiedLayers: two zero-area outlines (diagonal lines closed on
// themselves, as the Iconify flag set's aw-1x1 has them) are the least visible; their union is empty, so the merged layer is dropped rather than handed to
// Tokenize without an outline (which once indexed its first subpath and panicked). The square is kept and tokenizes to one slot.
func TestFitLayersDropsEmptiedLayers(t *testing.T) {
	doc := mustParse(t, svgDoc(`<rect width="10" height="10" fill="red"/><path d="m0 20 2 2z" fill="#0f0"/><path d="m0 24 2 2z" fill="#0f0"/>`))
	if len(doc.Layers) != 3 {
		t.Fatalf("%d layers, want 3 (the lines are kept, as zero-area layers)", len(doc.Layers))
	}
	fit, merges := FitLayers(doc, 2)
	if merges != 1 || len(fit.Layers) != 1 || fit.Layers[0].Fill != (RGBA{1, 0, 0, 1}) {
		t.Fatalf("%d merges, layers %+v; want 1 merge and the red square alone", merges, fit.Layers)
	}
	// Tokenize takes documents from anywhere: a layer without subpaths takes no slot.
	doc.Layers[1].Subpaths = nil
	if tk := Tokenize(doc, 4, DefaultN); tk.Used != 2 || !tk.Fits {
		t.Errorf("Tokenize with an empty layer: %d slots used, fits %v; want 2, true", tk.Used, tk.Fits)
	}
}
