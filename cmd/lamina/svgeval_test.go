package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/vector"
	"github.com/lamina-ml/lamina/vector/dataset"
)

// writeEvalDataset writes a small dataset of squares (the tiny model's K=48, N=16) to dir.
func writeEvalDataset(t *testing.T, dir string, train, val int) {
	t.Helper()
	const k, n = vector.DefaultK, vector.DefaultN
	man := dataset.Manifest{Format: dataset.Format, K: k, N: n, F: vector.SlotFields(n), ViewBox: [4]float64{0, 0, 36, 36},
		Splits: map[string]dataset.SplitInfo{}}
	for _, sp := range []struct {
		name string
		rows int
	}{{"train", train}, {"val", val}} {
		var data []float32
		var meta bytes.Buffer
		for i := 0; i < sp.rows; i++ {
			doc, err := vector.ParseSVG([]byte(fmt.Sprintf(`<svg viewBox="0 0 36 36"><rect x="%d" y="4" width="%d" height="20" fill="#%02x3366"/></svg>`, 2+i, 10+i, 40*i)))
			if err != nil {
				t.Fatal(err)
			}
			data = append(data, vector.Tokenize(doc, k, n).Data...)
			b, _ := json.Marshal(dataset.Meta{Row: i, Label: fmt.Sprintf("square %d", i), Base: fmt.Sprintf("%s%d", sp.name, i),
				Group: []string{"symbols", "objects"}[i%2], Subgroup: []string{"geometric", "tool"}[i%2]})
			meta.Write(append(b, '\n'))
		}
		var npy bytes.Buffer
		if err := dataset.WriteNPY(&npy, []int{sp.rows, k, vector.SlotFields(n)}, data); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, sp.name+".npy"), npy.Bytes(), 0o644)
		os.WriteFile(filepath.Join(dir, sp.name+".jsonl"), meta.Bytes(), 0o644)
		man.Splits[sp.name] = dataset.SplitInfo{Rows: sp.rows, Tokens: sp.name + ".npy", Metadata: sp.name + ".jsonl"}
	}
	mb, _ := json.Marshal(man)
	os.WriteFile(filepath.Join(dir, "manifest.json"), mb, 0o644)
}

// runCaptured runs f with the commands' stdout in a buffer.
func runCaptured(t *testing.T, f func() error) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	old := stdout
	stdout = &buf
	defer func() { stdout = old }()
	err := f()
	return buf.String(), err
}

func TestSVGEvalAndGallery(t *testing.T) {
	dir := t.TempDir()
	writeEvalDataset(t, dir, 4, 3)
	model := filepath.Join("..", "..", "svgmodel", "testdata", "tiny")

	out, err := runCaptured(t, func() error {
		return runSVG([]string{"eval", "--model", model, "--data", dir, "--prompts", "2", "--seeds", "2", "--steps", "2",
			"--loss-rows", "2", "--classifier-epochs", "2"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		ValLoss  struct{ Rows int }        `json:"val_loss"`
		Samples  []struct{ Prompt string } `json:"samples"`
		Validity struct{ Drawings int }    `json:"validity"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rep.Samples) != 4 || rep.Validity.Drawings != 4 || rep.ValLoss.Rows != 2 {
		t.Errorf("eval report: %s", out)
	}

	png1 := filepath.Join(dir, "grid.png")
	out, err = runCaptured(t, func() error {
		return runSVG([]string{"gallery", "--model", model, "--data", dir, "--out", png1, "--prompts", "3", "--seeds", "2", "--steps", "2"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ Width, Height, Prompts int }
	if err := json.Unmarshal([]byte(out), &g); err != nil || g.Prompts != 3 {
		t.Fatalf("gallery output %q (%v)", out, err)
	}
	f, err := os.Open(png1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The layout: a 238-px label column, then real + 2 seeds in 112-px cells with 6-px gaps;
	// a 20-px header, then 3 rows.
	const wantW, wantH = 238 + 3*(112+6) + 6, 20 + 3*(112+6) + 6
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH || g.Width != wantW || g.Height != wantH {
		t.Errorf("PNG %v, reported %d×%d, want %d×%d", b, g.Width, g.Height, wantW, wantH)
	}
}

func TestSVGEvalErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--model", "x"}, "--data is required"},
		{[]string{"gallery", "--data", dir}, "--out is required"},
		{[]string{"eval", "--data", dir, "--seeds", "0"}, "--seeds 0"},
		{[]string{"eval", "--data", filepath.Join(dir, "nothing")}, "bad dataset"},
	} {
		_, err := runCaptured(t, func() error { return runSVG(c.args) })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
		}
	}
}
