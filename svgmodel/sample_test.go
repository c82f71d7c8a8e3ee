package svgmodel

import (
	"bytes"
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/vector"
)

func tokensEqual(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// TestGenerateNCandidates: four candidates for one prompt are deterministic, differ from each
// other, and candidate i is exactly the one-candidate run seeded CandidateSeed(seed, i); and the
// batched pass (all candidates and both captions at once) gives the same tokens as one DiT pass
// per sample and caption (the unbatched Velocity, forced by clearing m.grouped).
func TestGenerateNCandidates(t *testing.T) {
	m := loadTiny(t, filepath.Join("testdata", "tiny"))
	ctx := context.Background()
	saved := batchCandidates
	defer func() { batchCandidates = saved }()
	for _, c := range []struct {
		cfg float32
		per int
	}{{0, 1}, {0, 3}, {1, 4}} { // default guidance (two captions) or none (one); candidates per pass
		cfg := c.cfg
		batchCandidates = c.per
		o := Options{Prompt: "red heart", Seed: 40, Steps: 6, CFG: cfg}
		a, err := m.GenerateN(ctx, o, 4)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.GenerateN(ctx, o, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != 4 {
			t.Fatalf("GenerateN(4) gave %d results", len(a))
		}
		for i := range a {
			if !tokensEqual(a[i].Tokens, b[i].Tokens) || !bytes.Equal(a[i].SVG, b[i].SVG) {
				t.Fatalf("cfg %g: candidate %d differs between two runs", cfg, i)
			}
			for j := 0; j < i; j++ {
				if bytes.Equal(a[i].SVG, a[j].SVG) {
					t.Fatalf("cfg %g: candidates %d and %d are the same drawing", cfg, i, j)
				}
			}
			one := o
			one.Seed = o.Seed + uint64(i)
			single, err := m.Generate(ctx, one)
			if err != nil {
				t.Fatal(err)
			}
			if !tokensEqual(a[i].Tokens, single.Tokens) || !bytes.Equal(a[i].SVG, single.SVG) {
				t.Fatalf("cfg %g: candidate %d differs from Generate with seed %d", cfg, i, one.Seed)
			}
		}
		grouped := m.grouped
		m.grouped = nil
		looped, err := m.GenerateN(ctx, o, 4)
		m.grouped = grouped
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if !tokensEqual(a[i].Tokens, looped[i].Tokens) {
				t.Fatalf("cfg %g: candidate %d: the batched pass differs from one pass per sample", cfg, i)
			}
		}
	}
	if CandidateSeed(math.MaxUint64, 1) != 0 {
		t.Fatal("CandidateSeed does not wrap")
	}
}

func TestGenerateNErrors(t *testing.T) {
	m := loadTiny(t, filepath.Join("testdata", "tiny"))
	for _, n := range []int{0, -1, MaxCandidates + 1} {
		if _, err := m.GenerateN(context.Background(), Options{Steps: 2}, n); !errors.Is(err, ErrOptions) {
			t.Errorf("n = %d: err = %v, want ErrOptions", n, err)
		}
	}
}

// TestVariationStrengths: strength 0 gives the drawing back unchanged; strength 1 is plain
// generation with the same prompt, seed, steps and guidance; in between, the variation is
// deterministic, differs from both ends, and candidate i equals the single run of its seed.
func TestVariationStrengths(t *testing.T) {
	m := loadTiny(t, filepath.Join("testdata", "tiny"))
	ctx := context.Background()
	src := generateTiny(t, m, 11)
	doc, err := vector.ParseSVG(src.SVG)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Prompt: "blue star", Seed: 3, Steps: 6}

	zero, err := m.Variation(ctx, VariationOptions{Options: o, SVG: src.SVG, Strength: 0})
	if err != nil {
		t.Fatal(err)
	}
	if want := vector.WriteSVG(doc); !bytes.Equal(zero.SVG, want) {
		t.Fatalf("strength 0 changed the drawing:\n%s\n%s", want, zero.SVG)
	}
	// 0.05·6 steps rounds to none: also the drawing itself.
	if tiny, err := m.Variation(ctx, VariationOptions{Options: o, SVG: src.SVG, Strength: 0.05}); err != nil || !bytes.Equal(tiny.SVG, zero.SVG) {
		t.Fatalf("strength 0.05 of 6 steps: err %v, changed the drawing", err)
	}

	full, err := m.Variation(ctx, VariationOptions{Options: o, SVG: src.SVG, Strength: 1})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := m.Generate(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if !tokensEqual(full.Tokens, plain.Tokens) || !bytes.Equal(full.SVG, plain.SVG) {
		t.Fatal("strength 1 differs from plain generation with the same seed")
	}

	half := VariationOptions{Options: o, SVG: src.SVG, Strength: 0.5}
	vs, err := m.VariationN(ctx, half, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		if bytes.Equal(v.SVG, zero.SVG) || bytes.Equal(v.SVG, plain.SVG) {
			t.Fatalf("strength 0.5 candidate %d equals an end of the range", i)
		}
		one := half
		one.Seed = CandidateSeed(o.Seed, i)
		single, err := m.Variation(ctx, one)
		if err != nil {
			t.Fatal(err)
		}
		if !tokensEqual(v.Tokens, single.Tokens) || !bytes.Equal(v.SVG, single.SVG) {
			t.Fatalf("variation candidate %d differs from the single run of its seed", i)
		}
	}
	if bytes.Equal(vs[0].SVG, vs[1].SVG) {
		t.Fatal("two variation candidates are the same drawing")
	}
	// Half strength stays closer to the source tokens than plain generation does (mean squared
	// difference over the slots the source uses): the variation starts from them.
	srcTok := vector.Tokenize(fitViewBox(doc, viewBox), m.Config.Slots, m.Config.Cubics).Data
	dist := func(x []float32) float64 {
		var s float64
		for i, v := range srcTok {
			d := float64(v - x[i])
			s += d * d
		}
		return s / float64(len(srcTok))
	}
	var dHalf, dFull float64
	for i := 0; i < 3; i++ {
		dHalf += dist(vs[i].Tokens) / 3
	}
	for i := 0; i < 3; i++ {
		g, err := m.Generate(ctx, Options{Prompt: o.Prompt, Seed: o.Seed + uint64(i), Steps: o.Steps})
		if err != nil {
			t.Fatal(err)
		}
		dFull += dist(g.Tokens) / 3
	}
	if !(dHalf < dFull) {
		t.Fatalf("strength 0.5 is no closer to the source (%g) than plain generation (%g)", dHalf, dFull)
	}
}

func TestVariationErrors(t *testing.T) {
	m := loadTiny(t, filepath.Join("testdata", "tiny"))
	ctx := context.Background()
	src := generateTiny(t, m, 41)
	for _, c := range []struct {
		name string
		o    VariationOptions
		n    int
	}{
		{"negative strength", VariationOptions{SVG: src.SVG, Strength: -0.1}, 1},
		{"strength above 1", VariationOptions{SVG: src.SVG, Strength: 1.5}, 1},
		{"NaN strength", VariationOptions{SVG: src.SVG, Strength: math.NaN()}, 1},
		{"no candidates", VariationOptions{SVG: src.SVG, Strength: 0.5}, 0},
		{"too many candidates", VariationOptions{SVG: src.SVG, Strength: 0.5}, MaxCandidates + 1},
		{"bad steps", VariationOptions{SVG: src.SVG, Strength: 0.5, Options: Options{Steps: 999}}, 1},
	} {
		if _, err := m.VariationN(ctx, c.o, c.n); !errors.Is(err, ErrOptions) {
			t.Errorf("%s: err = %v, want ErrOptions", c.name, err)
		}
	}
	if _, err := m.Variation(ctx, VariationOptions{SVG: []byte("<svg"), Strength: 0.5}); err == nil {
		t.Error("malformed SVG: no error")
	}
}
