package model

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/lamina-ml/lamina/tensor"
)

// longropeReference is testdata/phi3-longrope/reference.json, written by
// make_reference.py in plain PyTorch from transformers' Phi-3 and LongRoPE
// formulas.
type longropeReference struct {
	InputIDs     []int32     `json:"input_ids"`
	AttnFactor   float64     `json:"attention_factor"`
	ShortLogits  [][]float32 `json:"short_logits"`
	LongLogits   [][]float32 `json:"long_logits"`
	DecodePrompt int         `json:"decode_prompt"`
	DecodeLogits [][]float32 `json:"decode_logits"`
}

// A tiny Phi-3 with LongRoPE (original context 8, max 32): a 6-token pass
// uses the short factors, a 14-token one the long factors for every
// position, and decoding past position 8 switches to the long factors for
// the new tokens only, as transformers does per forward call.
func TestPhi3LongRoPEReference(t *testing.T) {
	dir := filepath.Join("testdata", "phi3-longrope")
	m, err := LoadDir(dir, tensor.NewCPU())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	data, err := os.ReadFile(filepath.Join(dir, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref longropeReference
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	s := m.Config.RopeScaling
	if s.Type != "longrope" || s.OriginalMaxPositions != 8 || s.Factor != 4 || math.Abs(s.AttnFactor-ref.AttnFactor) > 1e-12 {
		t.Fatalf("rope scaling %+v, want longrope from 8 positions, factor 4, attention factor %g", s, ref.AttnFactor)
	}
	// The fixture tells the two factor sets apart.
	if d := maxAbsDiff(ref.ShortLogits[5], ref.LongLogits[5]); d < 1e-2 {
		t.Fatalf("short and long logits at position 5 differ by only %.3g", d)
	}
	for _, c := range []struct {
		name string
		ids  []int32
		want [][]float32
	}{{"short", ref.InputIDs[:len(ref.ShortLogits)], ref.ShortLogits}, {"long", ref.InputIDs, ref.LongLogits}} {
		got, err := m.Logits(c.ids)
		if err != nil {
			t.Fatal(err)
		}
		for p := range c.want {
			if d := maxAbsDiff(got[p], c.want[p]); d > logitTol {
				t.Errorf("%s pass, position %d: max |Δlogit| %.3g", c.name, p, d)
			}
		}
	}
	sess, err := m.NewSession(len(ref.InputIDs))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	P := ref.DecodePrompt
	lg, err := sess.Prefill(ref.InputIDs[:P])
	for i := 0; ; i++ {
		if err != nil {
			t.Fatal(err)
		}
		if d := maxAbsDiff(lg, ref.DecodeLogits[i]); d > logitTol {
			t.Errorf("decode, position %d: max |Δlogit| %.3g", P-1+i, d)
		}
		if P+i == len(ref.InputIDs) {
			break
		}
		lg, err = sess.Step(ref.InputIDs[P+i])
	}
}

func TestParseLongRoPE(t *testing.T) {
	factors := `[1,1.1,1.2,1.3,1.4,1.5,1.6,1.7]` // head_dim 16
	c, err := ParseConfig([]byte(archJSON("phi3", `,"max_position_embeddings":131072,"original_max_position_embeddings":4096,
		"rope_scaling":{"type":"su","short_factor":`+factors+`,"long_factor":`+factors+`}`)))
	if err != nil {
		t.Fatal(err)
	}
	// Phi-3-mini-128k's numbers: factor 32, sqrt(1 + ln 32 / ln 4096).
	want := math.Sqrt(1 + math.Log(32)/math.Log(4096))
	if s := c.RopeScaling; s.Type != "longrope" || s.Factor != 32 || s.OriginalMaxPositions != 4096 || math.Abs(s.AttnFactor-want) > 1e-12 {
		t.Errorf("su scaling parsed as %+v; want factor 32, original 4096, attention factor %g", s, want)
	}
	if got := float64(c.AttnScale); math.Abs(got-want*want/4) > 1e-6 {
		t.Errorf("attention scale %g, want %g (attention factor² / sqrt(16))", got, want*want/4)
	}
	// transformers 5's rope_parameters carry the original context and may
	// set factor and attention_factor.
	c, err = ParseConfig([]byte(archJSON("phi3", `,"max_position_embeddings":64,"rope_parameters":{"rope_type":"longrope","rope_theta":5000,
		"original_max_position_embeddings":16,"factor":2,"attention_factor":1.5,"short_factor":`+factors+`,"long_factor":`+factors+`}`)))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.RopeScaling; s.Factor != 2 || s.OriginalMaxPositions != 16 || s.AttnFactor != 1.5 || c.RopeTheta != 5000 {
		t.Errorf("rope_parameters parsed as %+v (theta %g)", s, c.RopeTheta)
	}
	for _, tc := range []struct{ extra, field string }{
		{`,"rope_scaling":{"type":"longrope","short_factor":[1],"long_factor":` + factors + `}`, "rope_scaling.short_factor"},
		{`,"rope_scaling":{"type":"longrope","short_factor":` + factors + `}`, "rope_scaling.long_factor"},
		{`,"rope_scaling":{"type":"longrope","short_factor":` + factors + `,"long_factor":[1,1,1,1,1,1,1,-1]}`, "rope_scaling.long_factor"},
		{`,"original_max_position_embeddings":0,"rope_scaling":{"type":"longrope","short_factor":` + factors + `,"long_factor":` + factors + `}`, "original_max_position_embeddings"},
		{`,"original_max_position_embeddings":1,"rope_scaling":{"type":"longrope","short_factor":` + factors + `,"long_factor":` + factors + `}`, "original_max_position_embeddings"},
		{`,"rope_scaling":{"type":"longrope","factor":-2,"short_factor":` + factors + `,"long_factor":` + factors + `}`, "rope_scaling.factor"},
	} {
		_, err := ParseConfig([]byte(archJSON("phi3", tc.extra)))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field || errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err %v, want a ConfigError on %s", tc.extra, err, tc.field)
		}
	}
}
