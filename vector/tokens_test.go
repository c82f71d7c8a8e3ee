package vector

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Fidelity floors for the round trips below (measured values are far higher; a lost
// layer or hole drops the layer IoU well under these).
const (
	minRoundtripIoU = 0.99
	maxRoundtripErr = 0.005
	// minMergedIoU is the floor for documents that only fit K by merging subpaths: 1fab4
	// (151 subpaths in 46 layers) measures 0.943.
	minMergedIoU = 0.93
)

func tokensOf(t *testing.T, svg string) *Tokens {
	t.Helper()
	return Tokenize(mustParse(t, svg), DefaultK, DefaultN)
}

func TestTokenLayout(t *testing.T) {
	tk := tokensOf(t, svgDoc(`<path fill="#ff0000" fill-opacity=".5" fill-rule="evenodd" d="M0 0H36V36H0Z M9 9H27V27H9Z"/><circle cx="18" cy="18" r="9" fill="#00f"/>`))
	if f := SlotFields(DefaultN); f != 104 || len(tk.Data) != DefaultK*f || len(FieldNames(DefaultN)) != f {
		t.Fatalf("F=%d, len=%d, names=%d", f, len(tk.Data), len(FieldNames(DefaultN)))
	}
	if !tk.Fits || tk.Needed != 3 || tk.Used != 3 {
		t.Fatalf("fits %v needed %d used %d, want true 3 3", tk.Fits, tk.Needed, tk.Used)
	}
	s0, s1, s2, s3 := tk.Slot(0), tk.Slot(1), tk.Slot(2), tk.Slot(3)
	want := []struct {
		slot []float32
		head [8]float32
	}{
		{s0, [8]float32{1, -1, 1, 1, 1, -1, -1, 0}},  // outer square: layer start, evenodd, red, alpha .5 → 0
		{s1, [8]float32{1, 1, 1, 1, 1, -1, -1, 0}},   // hole joins it
		{s2, [8]float32{1, -1, -1, 1, -1, -1, 1, 1}}, // circle: new layer, nonzero, blue
		{s3, [8]float32{-1, 0, 0, 0, 0, 0, 0, 0}},    // empty
	}
	for i, w := range want {
		for j := range w.head {
			if math.Abs(float64(w.slot[j]-w.head[j])) > 1e-6 {
				t.Errorf("slot %d field %s = %v, want %v", i, FieldNames(DefaultN)[j], w.slot[j], w.head[j])
			}
		}
	}
	// Outer square: starts at its top-left corner (0,0) → (-1,-1), runs clockwise on screen
	// (first corner reached is (36,0) → (1,-1)); padded from 4 to 16 segments by halving, so
	// vertex P4 (index 4·3 = 12) is the top-right corner.
	pts := s0[FieldPoints:]
	if pts[0] != -1 || pts[1] != -1 {
		t.Errorf("P0 = (%v,%v), want (-1,-1)", pts[0], pts[1])
	}
	if pts[2*12] != 1 || pts[2*12+1] != -1 {
		t.Errorf("P4 = (%v,%v), want (1,-1)", pts[24], pts[25])
	}
	// The circle's first vertex is its top (18,9) → (0,-0.5).
	if p := s2[FieldPoints:]; math.Abs(float64(p[0])) > 1e-6 || math.Abs(float64(p[1]+0.5)) > 1e-6 {
		t.Errorf("circle P0 = (%v,%v), want (0,-0.5)", p[0], p[1])
	}
	for _, s := range tk.Data[3*SlotFields(DefaultN):] {
		if s != 0 && s != -1 {
			t.Fatalf("empty slots hold %v", s)
		}
	}
}

func TestCanonicalTokens(t *testing.T) {
	// The same triangle and ellipse, from different start points and in both directions,
	// give the same tokens.
	variants := []string{
		`<path d="M4 4L30 8L10 30Z"/><ellipse cx="20" cy="20" rx="6" ry="3"/>`,
		`<path d="M30 8L10 30L4 4Z"/><path d="M26 20A6 3 0 0 1 14 20A6 3 0 0 1 26 20Z"/>`,
		`<path d="M10 30L30 8L4 4Z"/><path d="M14 20A6 3 0 0 1 26 20A6 3 0 0 1 14 20Z"/>`,
	}
	ref := tokensOf(t, svgDoc(variants[0]))
	for _, v := range variants[1:] {
		got := tokensOf(t, svgDoc(v))
		for i := range ref.Data {
			if math.Abs(float64(got.Data[i]-ref.Data[i])) > 1e-5 {
				t.Errorf("%s: field %d = %v, want %v", v, i, got.Data[i], ref.Data[i])
				break
			}
		}
	}
}

func TestRoundtripKeepsHolesAndLayers(t *testing.T) {
	tests := []struct{ name, body string }{
		{"nonzero ring", `<path d="M6 6h24v24H6z M12 12v12h12V12z"/>`},
		{"evenodd ring", `<path fill-rule="evenodd" d="M6 6h24v24H6z M12 12h12v12H12z"/>`},
		{"nonzero overlap is not a hole", `<path d="M6 6h24v24H6z M12 12h12v12H12z"/>`},
		{"ring with reversed outer", `<path d="M6 6v24h24V6z M12 12h12v12H12z"/>`},
		{"layers and alpha", `<circle cx="18" cy="18" r="18" fill="#FFCC4D"/><ellipse cx="12" cy="13.5" rx="2.5" ry="3.5" fill="#664500"/><path fill="#fff" fill-opacity=".5" d="M9 22s3 1 9 1 9-1 9-1-2 4-9 4-9-4-9-4z"/>`},
		{"transforms", `<g transform="rotate(30 18 18) skewX(10)"><rect x="8" y="8" width="20" height="10" rx="3"/></g>`},
		{"long outline is refit", `<path d="M18 2` + zigzag(60) + `z"/>`},
		// With K=2, the three subpaths of the first layer are bridged into fewer slots.
		{"merged to fit, nonzero hole", `<path d="M4 4h28v28H4z M8 8v6h6V8z M20 20v6h6v-6z"/><circle cx="18" cy="18" r="2" fill="#f00"/>`},
		{"merged to fit, evenodd", `<path fill-rule="evenodd" d="M4 4h28v28H4z M8 8h6v6H8z M20 20h6v6h-6z"/><circle cx="18" cy="18" r="2" fill="#f00"/>`},
	}
	for _, tc := range tests {
		doc := mustParse(t, svgDoc(tc.body))
		k := DefaultK
		if strings.HasPrefix(tc.name, "merged") {
			k = 2
		}
		tk := Tokenize(doc, k, DefaultN)
		if !tk.Fits || (k == 2 && tk.Merged != 2) {
			t.Errorf("%s: fits %v merged %d", tc.name, tk.Fits, tk.Merged)
		}
		back, err := Detokenize(tk)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		f := Compare(doc, back, MetricSize)
		if f.LayerIoU < minRoundtripIoU || f.RGBAError > maxRoundtripErr || f.RTLayers != f.Layers {
			t.Errorf("%s: %+v", tc.name, f)
		}
		// The hole (or its absence) survives: compare the centre pixel.
		a, b := Render(doc, 36, 36), Render(back, 36, 36)
		if c := 4 * (18*36 + 18); math.Abs(float64(a.Pix[c+3]-b.Pix[c+3])) > 0.01 {
			t.Errorf("%s: centre alpha %v after round trip, %v before", tc.name, b.Pix[c+3], a.Pix[c+3])
		}
	}
}

// zigzag returns relative path data for a star-like outline with n spikes around (18,18).
func zigzag(n int) string {
	s := ""
	prev := Point{18, 2}
	for i := 1; i <= 2*n; i++ {
		r := 16.0
		if i%2 == 1 {
			r = 12
		}
		a := float64(i) * math.Pi / float64(n)
		p := Point{18 + r*math.Sin(a), 18 - r*math.Cos(a)}
		s += " l" + ftoa(p.X-prev.X) + " " + ftoa(p.Y-prev.Y)
		prev = p
	}
	return s
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

func TestPaddingKeepsCurve(t *testing.T) {
	sp := ellipse(18, 18, 10, 5)
	padded := resample(sp, 16)
	if len(padded.Segs) != 16 {
		t.Fatalf("%d segments", len(padded.Segs))
	}
	// Halving is exact: every new vertex lies on the original curve where de Casteljau put it,
	// so the flattened outlines enclose the same area.
	if a, b := sp.Area(), padded.Area(); math.Abs(a-b) > 1e-9*math.Abs(a) {
		t.Errorf("area %v after padding, %v before", b, a)
	}
}

func TestSplitIsExact(t *testing.T) {
	doc := mustParse(t, svgDoc(`<path d="M18 2`+zigzag(40)+`z"/>`))
	sp := doc.Layers[0].Subpaths[0]
	for _, parts := range []int{2, 3, 5} {
		pieces := splitClosed(sp, parts)
		if len(pieces) != parts {
			t.Fatalf("%d pieces, want %d", len(pieces), parts)
		}
		l := Layer{Fill: RGBA{0, 0, 0, 1}, Subpaths: pieces}
		a := Coverage(&doc.Layers[0], doc.ViewBox, 72, 72)
		b := Coverage(&l, doc.ViewBox, 72, 72)
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > 1e-4 {
				t.Fatalf("parts=%d: pixel %d coverage %v, want %v", parts, i, b[i], a[i])
			}
		}
	}
}

func TestDetokenizeErrors(t *testing.T) {
	tk := &Tokens{K: 2, N: 2, Data: make([]float32, 3)}
	if _, err := Detokenize(tk); err == nil {
		t.Error("wrong length accepted")
	}
	tk = &Tokens{K: 1, N: 1, ViewBox: [4]float64{0, 0, 1, 1}, Data: make([]float32, SlotFields(1))}
	tk.Data[0] = 1
	tk.Data[FieldPoints] = float32(math.NaN())
	if _, err := Detokenize(tk); err == nil {
		t.Error("NaN accepted")
	}
}

// TestTwemojiSamples round-trips the committed Twemoji samples (testdata/twemoji) and checks
// the golden SVG output; UPDATE_GOLDEN=1 rewrites testdata/golden (review the diff).
func TestTwemojiSamples(t *testing.T) {
	files, _ := filepath.Glob("testdata/twemoji/*.svg")
	if len(files) < 5 {
		t.Fatalf("only %d samples", len(files))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := ParseSVG(raw)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		tk := Tokenize(doc, DefaultK, DefaultN)
		back, err := Detokenize(tk)
		if err != nil {
			t.Fatal(err)
		}
		fid := Compare(doc, back, MetricSize)
		floor := minRoundtripIoU
		if tk.Merged > 0 {
			floor = minMergedIoU
		}
		if tk.Fits && (fid.LayerIoU < floor || fid.RTLayers != fid.Layers) {
			t.Errorf("%s: %+v", f, fid)
		}
		// More layers than K (the taco, 53): FitLayers merges the least visible into a
		// neighbour, so layers no longer match by index; the picture must still hold.
		if fit, merged := FitLayers(doc, DefaultK); merged > 0 {
			ftk := Tokenize(fit, DefaultK, DefaultN)
			fback, err := Detokenize(ftk)
			if err != nil {
				t.Fatal(err)
			}
			if ff := Compare(doc, fback, MetricSize); !ftk.Fits || ff.SilhouetteIoU < 0.999 || ff.RGBAError > 0.001 || ff.RTLayers != DefaultK {
				t.Errorf("%s: %d layers merged: fits %v %+v", f, merged, ftk.Fits, ff)
			}
		}
		if !tk.Fits && tk.Needed <= DefaultK {
			t.Errorf("%s: needs %d slots but does not fit", f, tk.Needed)
		}
		out := WriteSVG(back)
		// The writer's output reads back to the same layers.
		again, err := ParseSVG(out)
		if err != nil {
			t.Fatalf("%s: written SVG does not parse: %v", f, err)
		}
		if g := Compare(back, again, MetricSize); g.LayerIoU < 0.999 || g.RTLayers != g.Layers {
			t.Errorf("%s: writer changed the drawing: %+v", f, g)
		}
		golden := filepath.Join("testdata", "golden", filepath.Base(f))
		if os.Getenv("UPDATE_GOLDEN") != "" {
			os.MkdirAll(filepath.Dir(golden), 0o755)
			if err := os.WriteFile(golden, out, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with UPDATE_GOLDEN=1)", err)
		}
		if string(want) != string(out) {
			t.Errorf("%s: output differs from %s", f, golden)
		}
	}
}
