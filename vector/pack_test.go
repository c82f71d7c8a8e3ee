package vector

import (
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// TestPackSubpathsRoundTrip: what PackSubpaths writes, UnpackSubpaths reads back unchanged,
// in the documented layout (hand-written here).
func TestPackSubpathsRoundTrip(t *testing.T) {
	subs := []Subpath{
		{Start: Point{1, 2}, Segs: []Segment{{Point{3, 4}, Point{5, 6}, Point{7, 8}}, {Point{-1, -2}, Point{0.5, 1e300}, Point{1, 2}}}},
		{Start: Point{9, 9}},
	}
	got := PackSubpaths(nil, subs)
	want := []float64{2, 2, 1, 2, 3, 4, 5, 6, 7, 8, -1, -2, 0.5, 1e300, 1, 2, 0, 9, 9}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("packed %v, want %v", got, want)
	}
	back, err := UnpackSubpaths(got)
	if err != nil {
		t.Fatal(err)
	}
	subs[1].Segs = []Segment{} // unpacked subpaths always have a (possibly empty) slice
	if !reflect.DeepEqual(back, subs) {
		t.Fatalf("unpacked %v, want %v", back, subs)
	}
	if empty, err := UnpackSubpaths([]float64{0}); err != nil || len(empty) != 0 {
		t.Fatalf("no subpaths: %v, %v", empty, err)
	}
}

// TestUnpackSubpathsErrors: truncated, trailing, fractional, negative, NaN and huge counts are
// ErrPacked errors.
func TestUnpackSubpathsErrors(t *testing.T) {
	for name, data := range map[string][]float64{
		"empty":            nil,
		"trailing":         {0, 5},
		"no segment count": {1},
		"truncated":        {1, 1, 0, 0, 1, 2, 3},
		"fractional":       {0.5},
		"negative":         {-1},
		"NaN":              {math.NaN()},
		"Inf segments":     {1, math.Inf(1), 0, 0},
		"huge":             {1e18, 0},
	} {
		if _, err := UnpackSubpaths(data); !errors.Is(err, ErrPacked) {
			t.Errorf("%s: err %v, want ErrPacked", name, err)
		}
	}
}

// TestNoBooleans: without booleans (a lamina_nocanvas build before SetBooleans) a clip path
// is drawn unclipped and reported, never a panic; with them it is applied.
func TestNoBooleans(t *testing.T) {
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><clipPath id="c"><rect width="5" height="10"/></clipPath><rect width="10" height="10" clip-path="url(#c)"/></svg>`)
	saved := booleans
	defer SetBooleans(saved)
	SetBooleans(nil)
	doc, err := ParseSVG(svg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(doc.Unsupported, "\n"), "drawn unclipped") {
		t.Errorf("no booleans: unsupported %q, want the clip reported as not applied", doc.Unsupported)
	}
	calls := 0
	SetBooleans(func(op BoolOp, a []Subpath, evenOdd bool, b []Subpath) ([]Subpath, bool) {
		calls++
		if op != BoolAnd {
			t.Errorf("op %d, want BoolAnd", op)
		}
		return b, true
	})
	doc, err = ParseSVG(svg)
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || len(doc.Unsupported) != 0 {
		t.Errorf("with booleans: %d calls, unsupported %q", calls, doc.Unsupported)
	}
}

// FuzzUnpackSubpaths: any float64s give subpaths that pack back to the same values, or an
// ErrPacked error; never a panic.
func FuzzUnpackSubpaths(f *testing.F) {
	f.Add(floatBytes(PackSubpaths(nil, []Subpath{{Start: Point{1, 2}, Segs: []Segment{{Point{3, 4}, Point{5, 6}, Point{1, 2}}}}})))
	f.Add(floatBytes([]float64{3, 0, 0, 0}))
	f.Fuzz(func(t *testing.T, b []byte) {
		data := make([]float64, len(b)/8)
		for i := range data {
			data[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		subs, err := UnpackSubpaths(data)
		if err != nil {
			if !errors.Is(err, ErrPacked) {
				t.Fatalf("error %v is not ErrPacked", err)
			}
			return
		}
		again := PackSubpaths(nil, subs)
		if len(again) != len(data) {
			t.Fatalf("repacked %d values, read %d", len(again), len(data))
		}
		for i := range again {
			if math.Float64bits(again[i]) != math.Float64bits(data[i]) {
				t.Fatalf("value %d: repacked %v, read %v", i, again[i], data[i])
			}
		}
	})
}

func floatBytes(v []float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}
