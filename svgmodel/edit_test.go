package svgmodel

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"testing"
)

var pathRe = regexp.MustCompile(`<path [^>]*/>`)

// paths returns the SVG's <path> elements, one per layer in paint order.
func paths(svg []byte) []string {
	var out []string
	for _, m := range pathRe.FindAll(svg, -1) {
		out = append(out, string(m))
	}
	return out
}

var dAttr = regexp.MustCompile(` d="[^"]*"`)
var fillAttr = regexp.MustCompile(` fill="[^"]*"( fill-opacity="[^"]*")?`)

func generateTiny(t *testing.T, m *Model, seed uint64) *Result {
	t.Helper()
	res, err := m.Generate(context.Background(), Options{Prompt: "red heart", Seed: seed, Steps: 6})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Layers) < 3 {
		t.Fatalf("tiny model drew %d layers; the edit tests need at least 3", len(res.Layers))
	}
	return res
}

func TestGenerateDeterministic(t *testing.T) {
	m := loadTiny(t, filepath.Join("testdata", "tiny"))
	a, b := generateTiny(t, m, 5), generateTiny(t, m, 5)
	if !bytes.Equal(a.SVG, b.SVG) {
		t.Fatal("same seed gave different SVGs")
	}
	c := generateTiny(t, m, 6)
	if bytes.Equal(a.SVG, c.SVG) {
		t.Fatal("different seeds gave the same SVG")
	}
}

func TestEditKeepsLayersByteIdentical(t *testing.T) {
	m := loadTiny(t, filepath.Join("testdata", "tiny"))
	src := generateTiny(t, m, 11)
	before := paths(src.SVG)
	keep := []int{0, 2}
	res, err := m.Edit(context.Background(), EditOptions{Options: Options{Prompt: "blue star", Seed: 3, Steps: 6}, SVG: src.SVG, Keep: keep})
	if err != nil {
		t.Fatal(err)
	}
	after := paths(res.SVG)
	if len(after) != len(before) {
		t.Fatalf("regenerate changed the layer count: %d → %d", len(before), len(after))
	}
	changed := false
	for i := range before {
		kept := i == 0 || i == 2
		if kept && after[i] != before[i] {
			t.Fatalf("kept layer %d changed:\n%s\n%s", i, before[i], after[i])
		}
		if kept != res.Layers[i].Kept {
			t.Fatalf("layer %d Kept = %v", i, res.Layers[i].Kept)
		}
		if !kept && after[i] != before[i] {
			changed = true
		}
	}
	if !changed {
		t.Fatal("no regenerated layer changed")
	}
}

func TestRecolorKeepsGeometry(t *testing.T) {
	m := loadTiny(t, filepath.Join("testdata", "tiny"))
	src := generateTiny(t, m, 21)
	res, err := m.Edit(context.Background(), EditOptions{Options: Options{Prompt: "green", Seed: 9, Steps: 6}, SVG: src.SVG, Recolor: true})
	if err != nil {
		t.Fatal(err)
	}
	before, after := paths(src.SVG), paths(res.SVG)
	if len(before) != len(after) {
		t.Fatalf("recolor changed the layer count: %d → %d", len(before), len(after))
	}
	recolored := false
	for i := range before {
		if dAttr.FindString(before[i]) != dAttr.FindString(after[i]) {
			t.Fatalf("recolor changed layer %d's geometry", i)
		}
		if fillAttr.FindString(before[i]) != fillAttr.FindString(after[i]) {
			recolored = true
		}
	}
	if !recolored {
		t.Fatal("recolor changed no color")
	}
}

func TestAddLayers(t *testing.T) {
	m := loadTiny(t, filepath.Join("testdata", "tiny"))
	src := generateTiny(t, m, 31)
	res, err := m.Edit(context.Background(), EditOptions{Options: Options{Prompt: "hat", Seed: 1, Steps: 6}, SVG: src.SVG, Add: 2})
	if err != nil {
		t.Fatal(err)
	}
	before, after := paths(src.SVG), paths(res.SVG)
	if len(after) != len(before)+2 {
		t.Fatalf("add 2: %d layers → %d", len(before), len(after))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("add changed existing layer %d", i)
		}
	}
}

func TestEditErrors(t *testing.T) {
	m := loadTiny(t, filepath.Join("testdata", "tiny"))
	src := generateTiny(t, m, 41)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		o    EditOptions
		want error
	}{
		{"keep out of range", EditOptions{SVG: src.SVG, Keep: []int{99}}, ErrOptions},
		{"negative add", EditOptions{SVG: src.SVG, Add: -1}, ErrOptions},
		{"too many added", EditOptions{SVG: src.SVG, Add: 1000}, ErrOptions},
		{"bad steps", EditOptions{SVG: src.SVG, Options: Options{Steps: -3}}, ErrOptions},
	} {
		if _, err := m.Edit(ctx, c.o); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := m.Edit(ctx, EditOptions{SVG: []byte("<svg")}); err == nil {
		t.Error("malformed SVG: no error")
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, c := range []string{
		`{`,
		`{"model_type":"llama"}`,
		`{"model_type":"lamina_layered_dit","d_model":0}`,
		`{"model_type":"lamina_layered_dit","d_model":64,"heads":5,"layers":1,"text_d_model":48,"text_layers":1,"text_heads":4,"text_max_len":8,"time_features":8,"slots":4,"fields":14,"cubics":1}`,
		`{"model_type":"lamina_layered_dit","d_model":64,"heads":4,"layers":1,"text_d_model":48,"text_layers":1,"text_heads":4,"text_max_len":8,"time_features":8,"slots":4,"fields":15,"cubics":1}`,
		`{"model_type":"lamina_layered_dit","objective":"ddpm","d_model":64,"heads":4,"layers":1,"text_d_model":48,"text_layers":1,"text_heads":4,"text_max_len":8,"time_features":8,"slots":4,"fields":14,"cubics":1}`,
		`{"model_type":"lamina_layered_dit","d_model":64,"heads":4,"layers":1,"text_d_model":48,"text_layers":1,"text_heads":4,"text_max_len":8,"time_features":8,"slots":4,"fields":14,"cubics":1,"text_tokenizer":"spaces"}`,
		`{"model_type":"lamina_layered_dit","d_model":64,"heads":4,"layers":1,"text_d_model":48,"text_layers":1,"text_heads":4,"text_max_len":8,"time_features":8,"slots":4,"fields":14,"cubics":1,"text_tokenizer":"words","text_vocab":1}`,
		`{"model_type":"lamina_layered_dit","d_model":64,"heads":4,"layers":1,"text_d_model":48,"text_layers":1,"text_heads":4,"text_max_len":8,"time_features":8,"slots":4,"fields":14,"cubics":1,"text_tokenizer":"words"}`,
	} {
		if _, err := ParseConfig([]byte(c)); !errors.Is(err, ErrConfig) {
			t.Errorf("ParseConfig(%s) = %v, want ErrConfig", c, err)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"model_type":"lamina_layered_dit","d_model":64,"heads":4,"layers":1,"text_d_model":48,"text_layers":1,"text_heads":4,"text_max_len":8,"time_features":8,"slots":4,"fields":14,"cubics":1}`))
	f.Add([]byte(`{"model_type":"lamina_layered_dit","d_model":-1}`))
	f.Add([]byte(`{"model_type":"lamina_layered_dit","d_model":64,"heads":4,"layers":1,"text_d_model":48,"text_layers":1,"text_heads":4,"text_max_len":8,"time_features":8,"slots":4,"fields":14,"cubics":1,"text_tokenizer":"words","text_vocab":1024}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err == nil && (c.Fields != 8+6*c.Cubics || c.DModel%c.Heads != 0 || c.vocab() < 2) {
			t.Fatalf("accepted an inconsistent config %+v", c)
		}
	})
}

func TestNoiseIsStandardNormal(t *testing.T) {
	v := Noise(1, 100000)
	var s, s2 float64
	for _, x := range v {
		s += float64(x)
		s2 += float64(x) * float64(x)
	}
	mean, vr := s/float64(len(v)), s2/float64(len(v))
	if mean < -0.02 || mean > 0.02 || vr < 0.97 || vr > 1.03 {
		t.Fatalf("noise mean %g, variance %g", mean, vr)
	}
	w := Noise(1, 100000)
	for i := range v {
		if v[i] != w[i] {
			t.Fatal("Noise is not deterministic")
		}
	}
}
