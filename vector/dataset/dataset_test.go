package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lamina-ml/lamina/vector"
)

func TestNPYRoundtrip(t *testing.T) {
	shapes := [][]int{{2, 3, 4}, {5}, {0, 48, 104}}
	for _, shape := range shapes {
		n := 1
		for _, s := range shape {
			n *= s
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(i)*0.5 - 3
		}
		var b bytes.Buffer
		if err := WriteNPY(&b, shape, data); err != nil {
			t.Fatal(err)
		}
		// numpy's format: 10-byte preamble + header, data 64-byte aligned.
		if hl := int(b.Bytes()[8]) | int(b.Bytes()[9])<<8; (10+hl)%64 != 0 || b.Bytes()[10+hl-1] != '\n' {
			t.Errorf("shape %v: header length %d not aligned", shape, hl)
		}
		gotShape, got, err := ReadNPY(&b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotShape, shape) || !reflect.DeepEqual(got, data) {
			t.Errorf("shape %v: read back %v / %d values", shape, gotShape, len(got))
		}
	}
	// A header written by numpy itself (np.save of np.zeros((2,3), '<f4')).
	numpy := "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
		string(bytes.Repeat([]byte(" "), 128-10-len("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")-1)) + "\n" +
		string(make([]byte, 24))
	if shape, data, err := ReadNPY(bytes.NewReader([]byte(numpy))); err != nil || !reflect.DeepEqual(shape, []int{2, 3}) || len(data) != 6 {
		t.Errorf("numpy file: %v %v %v", shape, len(data), err)
	}
	for _, bad := range []string{"", "\x93NUMPY\x01\x00", "\x93NUMPY\x01\x00\x05\x00{'des", "\x93NUMPY\x01\x00\x30\x00{'descr': '<f8', 'fortran_order': False, 'shape': (1,)}"} {
		if _, _, err := ReadNPY(bytes.NewReader([]byte(bad))); !errors.Is(err, ErrNPY) {
			t.Errorf("ReadNPY(%q) err = %v", bad, err)
		}
	}
}

func TestSplitKeepsVariantsTogether(t *testing.T) {
	tests := []struct{ hex, base string }{
		{"1F44B", "1F44B"},
		{"1f44b-1f3fd", "1F44B"},
		{"2764-FE0F", "2764"},
		{"1F9D1-1F3FB-200D-1F91D-200D-1F9D1-1F3FC", "1F9D1-200D-1F91D-200D-1F9D1"},
		{"0023-FE0F-20E3", "23-20E3"}, // emojibase keycap vs Twemoji 23-20e3.svg
	}
	for _, tc := range tests {
		if got := BaseKey(tc.hex); got != tc.base {
			t.Errorf("BaseKey(%s) = %s, want %s", tc.hex, got, tc.base)
		}
		if IsValidation(tc.hex) != IsValidation(tc.base) {
			t.Errorf("%s and %s are in different splits", tc.hex, tc.base)
		}
	}
	// The rule is fnv1a64 over the base key: a fixed list pins it (Python trainers reproduce it).
	n := 0
	for i := 0x1F600; i < 0x1F700; i++ {
		if IsValidation(hex.EncodeToString([]byte{byte(i >> 16), byte(i >> 8), byte(i)})) {
			n++
		}
	}
	if n < 10 || n > 45 { // ≈ 256/10 expected
		t.Errorf("%d of 256 in validation, want about 26", n)
	}
}

// TestBuild builds a dataset from a tiny fake npm folder (three committed Twemoji samples and
// a hand-written emojibase excerpt) and checks files, checksums, split and metadata.
func TestBuild(t *testing.T) {
	src := t.TempDir()
	svgDir := filepath.Join(src, "@twemoji", "svg")
	os.MkdirAll(svgDir, 0o755)
	for _, f := range []string{"1f600.svg", "1f44b-1f3fd.svg", "2764.svg", "1fab4.svg", "1f32e.svg"} {
		raw, err := os.ReadFile(filepath.Join("..", "testdata", "twemoji", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(svgDir, f), raw, 0o644)
	}
	eb := filepath.Join(src, "emojibase-data", "en")
	os.MkdirAll(eb, 0o755)
	os.WriteFile(filepath.Join(eb, "data.json"), []byte(`[
		{"label":"grinning face","hexcode":"1F600","emoji":"😀","tags":["face","grin"],"group":0,"subgroup":0},
		{"label":"waving hand","hexcode":"1F44B","emoji":"👋","tags":["wave"],"group":1,"subgroup":1,
		 "skins":[{"label":"waving hand: medium skin tone","hexcode":"1F44B-1F3FD","emoji":"👋🏽","group":1,"subgroup":1,"tone":3}]},
		{"label":"red heart","hexcode":"2764-FE0F","emoji":"❤️","tags":["heart"],"group":0,"subgroup":1}]`), 0o644)
	os.WriteFile(filepath.Join(eb, "messages.json"), []byte(`{"groups":[{"key":"smileys-emotion","order":0},{"key":"people-body","order":1}],
		"subgroups":[{"key":"face-smiling","order":0},{"key":"hand-fingers-open","order":1}]}`), 0o644)
	out := t.TempDir()
	m, err := Build(Options{Src: src, Out: out, K: vector.DefaultK, N: vector.DefaultN, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	// 1f32e (taco) has 53 layers, more than K=48 slots: its 5 least visible layers are
	// merged into neighbours, so it fits and nothing is skipped. 1fab4 (potted plant, 151
	// subpaths in 46 layers) fits by merging subpaths.
	if len(m.Skipped) != 0 || m.Fidelity.Files != 5 || m.Fidelity.FitsInK != 5 {
		t.Errorf("skipped %v, files %d, fits %d", m.Skipped, m.Fidelity.Files, m.Fidelity.FitsInK)
	}
	taco := false
	for _, r := range readFileReports(t, filepath.Join(out, m.FidelityLog)) {
		if r.File == "1f32e.svg" {
			taco = true
			if r.LayersMerged != 5 || !r.Fits || r.Drop != "" {
				t.Errorf("taco: %d layers merged, fits %v, dropped %q; want 5 merged (53 layers into 48), kept", r.LayersMerged, r.Fits, r.Drop)
			}
		}
	}
	if !taco {
		t.Error("no report for the taco")
	}
	rows := 0
	var metas []Meta
	for name, sp := range m.Splits {
		for file, sum := range map[string]string{sp.Tokens: sp.TokensSHA, sp.Metadata: sp.MetadataSHA} {
			raw, err := os.ReadFile(filepath.Join(out, file))
			if err != nil {
				t.Fatal(err)
			}
			if h := sha256.Sum256(raw); hex.EncodeToString(h[:]) != sum {
				t.Errorf("%s: checksum mismatch", file)
			}
		}
		f, _ := os.Open(filepath.Join(out, sp.Tokens))
		shape, data, err := ReadNPY(f)
		f.Close()
		if err != nil || !reflect.DeepEqual(shape, []int{sp.Rows, m.K, m.F}) {
			t.Fatalf("%s: shape %v err %v", name, shape, err)
		}
		// Rows decode back into drawings.
		for r := 0; r < sp.Rows; r++ {
			tk := &vector.Tokens{K: m.K, N: m.N, ViewBox: m.ViewBox, Data: data[r*m.K*m.F : (r+1)*m.K*m.F]}
			if _, err := vector.Detokenize(tk); err != nil {
				t.Errorf("%s row %d: %v", name, r, err)
			}
		}
		raw, _ := os.ReadFile(filepath.Join(out, sp.Metadata))
		dec := json.NewDecoder(bytes.NewReader(raw))
		for dec.More() {
			var mt Meta
			if err := dec.Decode(&mt); err != nil {
				t.Fatal(err)
			}
			if (name == "val") != IsValidation(mt.Hexcode) {
				t.Errorf("%s in split %s", mt.File, name)
			}
			metas = append(metas, mt)
		}
		rows += sp.Rows
	}
	if rows != 5 || len(metas) != 5 {
		t.Fatalf("%d rows, %d metadata lines, want 5 (every fixture drawing)", rows, len(metas))
	}
	byFile := map[string]Meta{}
	for _, mt := range metas {
		byFile[mt.File] = mt
	}
	wave := byFile["1f44b-1f3fd.svg"]
	if wave.Label != "waving hand: medium skin tone" || !reflect.DeepEqual(wave.Tags, []string{"wave"}) ||
		wave.Group != "people-body" || wave.Subgroup != "hand-fingers-open" || wave.Base != "1F44B" || !wave.Tone {
		t.Errorf("skin variant metadata %+v", wave)
	}
	if h := byFile["2764.svg"]; h.Label != "red heart" || h.Hexcode != "2764" {
		t.Errorf("FE0F-less file name not matched: %+v", h)
	}
}

func TestComposeInfo(t *testing.T) {
	meta := map[string]emojiInfo{
		"1F468": {Label: "man", Group: "people-body", Subgroup: "person", Tags: []string{"man"}},
		"1F384": {Label: "Christmas tree", Group: "activities", Tags: []string{"tree"}},
	}
	got := composeInfo("1F468-1F3FB-200D-1F384", meta)
	if got.Label != "man + Christmas tree: light skin tone" || got.Group != "people-body" ||
		!reflect.DeepEqual(got.Tags, []string{"man", "tree"}) || got.Emoji != "\U0001F468\U0001F3FB\u200d\U0001F384" || !got.Tone {
		t.Errorf("composeInfo = %+v", got)
	}
}

func readFileReports(t *testing.T, path string) []FileReport {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []FileReport
	for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var r FileReport
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}
