package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/lamina-ml/lamina/svgmodel"
	"github.com/lamina-ml/lamina/tensor"
	"github.com/lamina-ml/lamina/vector"
	"github.com/lamina-ml/lamina/vector/dataset"
)

// ellipse is a closed 4-cubic ellipse (the κ approximation of a quarter circle).
func ellipse(cx, cy, rx, ry float64) vector.Subpath {
	const k = 0.5522847498
	p := func(x, y float64) vector.Point { return vector.Point{X: cx + x, Y: cy + y} }
	return vector.Subpath{Start: p(0, -ry), Segs: []vector.Segment{
		{C1: p(k*rx, -ry), C2: p(rx, -k*ry), P: p(rx, 0)},
		{C1: p(rx, k*ry), C2: p(k*rx, ry), P: p(0, ry)},
		{C1: p(-k*rx, ry), C2: p(-rx, k*ry), P: p(-rx, 0)},
		{C1: p(-rx, -k*ry), C2: p(-k*rx, -ry), P: p(0, -ry)},
	}}
}

func triangle(cx, cy, r float64) vector.Subpath {
	a, b, c := vector.Point{X: cx, Y: cy - r}, vector.Point{X: cx + r, Y: cy + r}, vector.Point{X: cx - r, Y: cy + r}
	seg := func(p, q vector.Point) vector.Segment {
		return vector.Segment{C1: vector.Point{X: p.X + (q.X-p.X)/3, Y: p.Y + (q.Y-p.Y)/3},
			C2: vector.Point{X: p.X + 2*(q.X-p.X)/3, Y: p.Y + 2*(q.Y-p.Y)/3}, P: q}
	}
	return vector.Subpath{Start: a, Segs: []vector.Segment{seg(a, b), seg(b, c), seg(c, a)}}
}

// shapeClasses are the synthetic classes: a shape kind, drawn near the centre at a random size and
// colour (colour is random in every class, so only the shape tells them apart).
var shapeClasses = []string{"disc", "square", "triangle"}

// synthDoc draws one random member of class c: a light background square, then the shape.
func synthDoc(r *rand.Rand, c int) *vector.Document {
	cx, cy := 16+4*r.Float64(), 16+4*r.Float64()
	s := 6 + 4*r.Float64()
	col := vector.RGBA{R: r.Float64(), G: r.Float64(), B: r.Float64(), A: 1}
	var sp vector.Subpath
	switch shapeClasses[c] {
	case "disc":
		sp = ellipse(cx, cy, s, s)
	case "square":
		sp = rect(cx-s, cy-s, cx+s, cy+s)
	default:
		sp = triangle(cx, cy, s)
	}
	return doc(layer(vector.RGBA{R: 0.95, G: 0.95, B: 0.9, A: 1}, rect(2, 2, 34, 34)), layer(col, sp))
}

// classifierMinAccuracy: the three shapes are easy to tell apart at 24×24 px; chance is 1/3.
const classifierMinAccuracy = 0.8

func TestClassifierBeatsChance(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var xtr, xte [][]float32
	var ytr, yte []string
	for i := 0; i < 150; i++ {
		c := i % len(shapeClasses)
		f := Features(synthDoc(r, c))
		if i < 90 {
			xtr, ytr = append(xtr, f), append(ytr, shapeClasses[c])
		} else {
			xte, yte = append(xte, f), append(yte, shapeClasses[c])
		}
	}
	clf, err := TrainClassifier(xtr, ytr, ClassifierOptions{Epochs: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(clf.Classes, []string{"disc", "square", "triangle"}) {
		t.Errorf("classes %v", clf.Classes)
	}
	acc := clf.Accuracy(xte, yte)
	t.Logf("held-out accuracy %.3f (chance %.3f)", acc, 1.0/3)
	if acc < classifierMinAccuracy {
		t.Errorf("held-out accuracy %.3f < %.2f", acc, classifierMinAccuracy)
	}
	// Same seed, same classifier.
	again, _ := TrainClassifier(xtr, ytr, ClassifierOptions{Epochs: 20, Seed: 3})
	for i, x := range xte {
		if clf.Predict(x) != again.Predict(x) {
			t.Fatalf("row %d: training is not deterministic", i)
		}
	}
	if clf.Predict(make([]float32, 3)) != "" {
		t.Error("Predict of a wrong-length row should be empty")
	}
}

func TestClassifierErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		x    [][]float32
		y    []string
	}{
		{"empty", nil, nil},
		{"one class", [][]float32{{1}, {2}}, []string{"a", "a"}},
		{"ragged", [][]float32{{1}, {2, 3}}, []string{"a", "b"}},
		{"label count", [][]float32{{1}, {2}}, []string{"a"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := TrainClassifier(c.x, c.y, ClassifierOptions{}); !errors.Is(err, ErrClassifier) {
				t.Errorf("err = %v, want ErrClassifier", err)
			}
		})
	}
}

// synthDataset writes a small dataset of synthetic shapes in the tiny model's token shape
// (K=48, N=16) into a map file system.
func synthDataset(t testing.TB, train, val int) fstest.MapFS {
	t.Helper()
	const k, n = vector.DefaultK, vector.DefaultN
	r := rand.New(rand.NewPCG(7, 8))
	fsys := fstest.MapFS{}
	man := dataset.Manifest{Format: dataset.Format, K: k, N: n, F: vector.SlotFields(n), ViewBox: box,
		Splits: map[string]dataset.SplitInfo{}}
	for _, sp := range []struct {
		name string
		rows int
	}{{"train", train}, {"val", val}} {
		var data []float32
		var meta bytes.Buffer
		for i := 0; i < sp.rows; i++ {
			c := i % len(shapeClasses)
			tok := vector.Tokenize(synthDoc(r, c), k, n)
			data = append(data, tok.Data...)
			m := dataset.Meta{Row: i, Label: fmt.Sprintf("%s %d", shapeClasses[c], i), Group: "shapes-" + shapeClasses[c],
				Subgroup: shapeClasses[c], Base: fmt.Sprintf("%s-%d", sp.name, i)}
			b, _ := json.Marshal(m)
			meta.Write(append(b, '\n'))
		}
		var npy bytes.Buffer
		if err := dataset.WriteNPY(&npy, []int{sp.rows, k, vector.SlotFields(n)}, data); err != nil {
			t.Fatal(err)
		}
		fsys[sp.name+".npy"] = &fstest.MapFile{Data: npy.Bytes()}
		fsys[sp.name+".jsonl"] = &fstest.MapFile{Data: meta.Bytes()}
		man.Splits[sp.name] = dataset.SplitInfo{Rows: sp.rows, Tokens: sp.name + ".npy", Metadata: sp.name + ".jsonl"}
	}
	mb, _ := json.Marshal(man)
	fsys["manifest.json"] = &fstest.MapFile{Data: mb}
	return fsys
}

func TestLoadDatasetErrors(t *testing.T) {
	good := synthDataset(t, 3, 3)
	ds, err := LoadDataset(good)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.Rows != 3 || ds.Val.Rows != 3 || ds.K != 48 || ds.F != 104 {
		t.Fatalf("loaded %d/%d rows, K=%d F=%d", ds.Train.Rows, ds.Val.Rows, ds.K, ds.F)
	}
	breakIt := func(f func(fstest.MapFS)) fstest.MapFS {
		c := fstest.MapFS{}
		for k, v := range good {
			c[k] = &fstest.MapFile{Data: append([]byte(nil), v.Data...)}
		}
		f(c)
		return c
	}
	for _, c := range []struct {
		name string
		fsys fstest.MapFS
	}{
		{"no manifest", breakIt(func(m fstest.MapFS) { delete(m, "manifest.json") })},
		{"bad manifest", breakIt(func(m fstest.MapFS) { m["manifest.json"].Data = []byte("{") })},
		{"short metadata", breakIt(func(m fstest.MapFS) { m["val.jsonl"].Data = m["val.jsonl"].Data[:10] })},
		{"bad npy", breakIt(func(m fstest.MapFS) { m["train.npy"].Data = []byte("nope") })},
		{"missing tokens", breakIt(func(m fstest.MapFS) { delete(m, "val.npy") })},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := LoadDataset(c.fsys); !errors.Is(err, ErrData) {
				t.Errorf("err = %v, want ErrData", err)
			}
		})
	}
}

func TestSelectPrompts(t *testing.T) {
	ds, err := LoadDataset(synthDataset(t, 3, 9))
	if err != nil {
		t.Fatal(err)
	}
	// Rows 3 and 4 become skin-tone variants of rows 0 and 1: one prompt per base.
	ds.Val.Meta[3].Base, ds.Val.Meta[4].Base = ds.Val.Meta[0].Base, ds.Val.Meta[1].Base
	all := ds.SelectPrompts(0, 5)
	if len(all) != 7 {
		t.Fatalf("%d prompts, want 7 base emoji", len(all))
	}
	seen := map[int]bool{}
	for _, p := range all {
		if p.Row == 3 || p.Row == 4 || seen[p.Row] {
			t.Errorf("prompt row %d is a duplicate base", p.Row)
		}
		seen[p.Row] = true
	}
	if got := ds.SelectPrompts(2, 5); !reflect.DeepEqual(got, all[:2]) {
		t.Errorf("first 2 = %v, want %v", got, all[:2])
	}
}

func loadTiny(t *testing.T) *svgmodel.Model {
	t.Helper()
	// The barely trained model of package svgmodel's tests.
	m, err := svgmodel.Load(os.DirFS(filepath.Join("..", "testdata", "tiny")), tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func TestRunTinyModel(t *testing.T) {
	m := loadTiny(t)
	ds, err := LoadDataset(synthDataset(t, 12, 6))
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Prompts: 3, Seeds: 2, Steps: 3, LossRows: 4, Classifier: ClassifierOptions{Epochs: 5}}
	rep, err := Run(context.Background(), m, ds, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Samples) != 6 || rep.Validity.Drawings != 6 || rep.Latency.Samples != 6 {
		t.Fatalf("%d samples, %d drawings, %d timed; want 6", len(rep.Samples), rep.Validity.Drawings, rep.Latency.Samples)
	}
	vl := rep.ValLoss
	if vl == nil || vl.Rows != 4 || !(vl.Loss > 0) || math.IsInf(vl.Loss, 0) {
		t.Fatalf("val loss %+v", vl)
	}
	// The loss is the mean of the per-t losses.
	var sum float64
	for _, v := range vl.PerT {
		sum += v
	}
	if math.Abs(sum/5-vl.Loss) > 1e-12 {
		t.Errorf("loss %v is not the mean of %v", vl.Loss, vl.PerT)
	}
	// Real synthetic drawings are valid by construction; their rate is the reference.
	if rep.Validity.RealLayerRate != 1 {
		t.Errorf("real layer validity %v, want 1", rep.Validity.RealLayerRate)
	}
	n := rep.Novelty
	if n.RealDrawings != 3 || n.MeanNearestIoU < 0 || n.MeanNearestIoU > 1 {
		t.Errorf("novelty %+v", n)
	}
	for _, s := range rep.Samples {
		if s.Nearest == "" || s.PredGroup == "" || s.PredSubgroup == "" || !(s.Millis > 0) {
			t.Errorf("sample %+v lacks a field", s)
		}
	}
	for _, k := range []string{"group", "subgroup"} {
		f := rep.Fidelity[k]
		if f.Classes != 3 || f.GeneratedRows != 6 || f.RealValRows != 6 || f.ChanceUniform != 1.0/3 {
			t.Errorf("%s fidelity %+v", k, f)
		}
	}
	if rep.Latency.ForwardPasses != 6 { // 3 steps × (conditional + unconditional)
		t.Errorf("forward passes %d, want 6", rep.Latency.ForwardPasses)
	}
	// Sampling is seeded: a second run draws the same samples.
	again, err := Generate(context.Background(), m, ds.SelectPrompts(3, 0), o)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range again {
		if !bytes.Equal(vector.WriteSVG(s.Doc), vector.WriteSVG(rep.Samples[i].Doc)) {
			t.Errorf("sample %d differs between runs", i)
		}
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Errorf("report does not marshal: %v", err)
	}
}

func TestRunRejectsOtherShapes(t *testing.T) {
	m := loadTiny(t)
	ds, err := LoadDataset(synthDataset(t, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	ds.K = 32
	if _, err := Run(context.Background(), m, ds, Options{}); !errors.Is(err, ErrData) {
		t.Errorf("err = %v, want ErrData", err)
	}
}

func TestGallery(t *testing.T) {
	d := doc(layer(red, rect(0, 0, 36, 36)))
	img := Gallery([]GalleryRow{
		{Label: "a red square", Sublabel: "shapes / square", Real: d, Samples: []*vector.Document{d, nil}},
		{Label: "an empty row"},
	}, []string{"real", "seed 0", "seed 1"})
	wantW := galleryLabelW + 3*(galleryCell+galleryPad) + galleryPad
	wantH := galleryHeader + 2*(galleryCell+galleryPad) + galleryPad
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
		t.Fatalf("gallery %v, want %d×%d", b, wantW, wantH)
	}
	cell := func(r, c int) (int, int) { // centre of a cell
		return galleryLabelW + c*(galleryCell+galleryPad) + galleryPad + galleryCell/2,
			galleryHeader + r*(galleryCell+galleryPad) + galleryPad + galleryCell/2
	}
	for _, c := range []struct {
		r, c int
		want color.NRGBA
	}{
		{0, 0, color.NRGBA{255, 0, 0, 255}}, {0, 1, color.NRGBA{255, 0, 0, 255}},
		{0, 2, galleryBG}, {1, 0, galleryRef}, {1, 1, galleryBG},
	} {
		x, y := cell(c.r, c.c)
		if got := img.NRGBAAt(x, y); got != c.want {
			t.Errorf("cell (%d,%d) centre %v, want %v", c.r, c.c, got, c.want)
		}
	}
	// The label column has ink where the first label's first line is.
	dark := 0
	for y := galleryHeader + galleryPad; y < galleryHeader+galleryPad+lineH+2; y++ {
		for x := galleryPad; x < galleryPad+len("a red square")*glyphW; x++ {
			if img.NRGBAAt(x, y).R < 128 {
				dark++
			}
		}
	}
	if dark < 20 {
		t.Errorf("only %d dark pixels where the label should be", dark)
	}
}

func TestWrap(t *testing.T) {
	for _, c := range []struct {
		s     string
		n, mx int
		want  []string
	}{
		{"bird", 10, 3, []string{"bird"}},
		{"couple with heart: man, man", 12, 3, []string{"couple with", "heart: man,", "man"}},
		{"a b c d e f", 3, 2, []string{"a b", "c ~"}},
		{"abcdefghij", 4, 3, []string{"abcd", "efgh", "ij"}},
		{"flag: Curaçao", 20, 2, []string{"flag: Cura?ao"}},
		{"", 5, 2, nil},
	} {
		if got := wrap(c.s, c.n, c.mx); !reflect.DeepEqual(got, c.want) {
			t.Errorf("wrap(%q, %d, %d) = %q, want %q", c.s, c.n, c.mx, got, c.want)
		}
	}
}

// valLossTol bounds |Go − PyTorch| of the mean validation loss: both run the DiT in f32 and
// differ by rounding only (the sampler parity test of package svgmodel allows 1e-4 per value
// after a whole sampling run).
const valLossTol = 1e-5

// TestValidationLossMatchesPyTorch compares ValidationLoss with train.py's val_loss computed
// by PyTorch on the same rows with the same noise (testdata/valloss_fixture.py).
func TestValidationLossMatchesPyTorch(t *testing.T) {
	m := loadTiny(t)
	ds, err := LoadDataset(os.DirFS(filepath.Join("testdata", "valloss")))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "valloss", "want.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Loss      float64   `json:"loss"`
		Shuffled  float64   `json:"shuffled_loss"`
		PerT      []float64 `json:"per_t"`
		NoiseHead []float32 `json:"noise_head"`
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	// The fixture's re-implementation of the noise draws the same numbers.
	if got := svgmodel.Noise(valNoiseSeed, len(want.NoiseHead)); !reflect.DeepEqual(got, want.NoiseHead) {
		t.Fatalf("Noise(%d) = %v, fixture %v", valNoiseSeed, got, want.NoiseHead)
	}
	vl, err := ValidationLoss(context.Background(), m, ds, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Go %.8f, PyTorch %.8f", vl.Loss, want.Loss)
	if vl.Rows != ds.Val.Rows || math.Abs(vl.Loss-want.Loss) > valLossTol {
		t.Errorf("Go loss %v over %d rows, PyTorch %v", vl.Loss, vl.Rows, want.Loss)
	}
	if math.Abs(vl.ShuffledLoss-want.Shuffled) > valLossTol || math.Abs(vl.CaptionGap-(want.Shuffled-want.Loss)) > 2*valLossTol {
		t.Errorf("shuffled-caption loss: Go %v (gap %v), PyTorch %v", vl.ShuffledLoss, vl.CaptionGap, want.Shuffled)
	}
	for j := range want.PerT {
		if math.Abs(vl.PerT[j]-want.PerT[j]) > valLossTol {
			t.Errorf("t=%v: Go %v, PyTorch %v", ValTimes[j], vl.PerT[j], want.PerT[j])
		}
	}
}
