package main

import (
	"encoding/json"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/vector"
)

// captureStdout runs f with os.Stdout redirected and returns what it printed.
func captureStdout(t *testing.T, f func() error) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old, oldVar := os.Stdout, stdout
	os.Stdout, stdout = w, w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	ferr := f()
	w.Close()
	os.Stdout, stdout = old, oldVar
	return <-done, ferr
}

const testSVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36"><circle cx="18" cy="18" r="18" fill="#FFCC4D"/><path fill-rule="evenodd" fill="#664500" d="M8 8h8v8H8zM10 10h4v4h-4z"/></svg>`

func TestSVGCommands(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.svg")
	os.WriteFile(in, []byte(testSVG), 0o644)

	out := filepath.Join(dir, "out.svg")
	stdout, err := captureStdout(t, func() error { return runSVG([]string{"roundtrip", "--in", in, "--out", out, "--report"}) })
	if err != nil {
		t.Fatal(err)
	}
	var rep roundtripReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if !rep.Fits || rep.Layers != 2 || rep.RTLayers != 2 || rep.LayerIoU < 0.99 || rep.K != vector.DefaultK {
		t.Errorf("report %+v", rep)
	}
	written, _ := os.ReadFile(out)
	if !strings.Contains(string(written), `id="layer-1" data-layer="1" fill="#664500" fill-rule="evenodd"`) {
		t.Errorf("round-trip SVG:\n%s", written)
	}

	stdout, err = captureStdout(t, func() error { return runSVG([]string{"tokens", "--in", in, "--k", "4", "--n", "3"}) })
	if err != nil {
		t.Fatal(err)
	}
	var tj tokensJSON
	if err := json.Unmarshal([]byte(stdout), &tj); err != nil {
		t.Fatal(err)
	}
	if tj.K != 4 || tj.N != 3 || tj.F != vector.SlotFields(3) || len(tj.Slots) != 4 || len(tj.Slots[0]) != tj.F || tj.SlotsNeeded != 3 {
		t.Errorf("tokens K=%d N=%d F=%d slots=%d needed=%d", tj.K, tj.N, tj.F, len(tj.Slots), tj.SlotsNeeded)
	}

	pngPath := filepath.Join(dir, "x.png")
	if _, err := captureStdout(t, func() error { return runSVG([]string{"render", "--in", in, "--out", pngPath, "--size", "64"}) }); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(pngPath)
	img, err := png.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() != 64 || img.Bounds().Dy() != 64 {
		t.Fatalf("png %v %v", img, err)
	}
	// The hole of the evenodd square shows the yellow circle beneath: #FFCC4D at (12,12)·64/36.
	if r, g, b, _ := img.At(21, 21).RGBA(); r>>8 != 0xff || g>>8 != 0xcc || b>>8 != 0x4d {
		t.Errorf("hole pixel %x %x %x, want ff cc 4d", r>>8, g>>8, b>>8)
	}
	if r, _, _, _ := img.At(15, 15).RGBA(); r>>8 != 0x66 {
		t.Errorf("square pixel red %x, want 66", r>>8)
	}

	for _, bad := range [][]string{
		{}, {"nope"}, {"roundtrip", "--in", in}, {"tokens"}, {"tokens", "--in", filepath.Join(dir, "missing.svg")},
		{"render", "--in", in, "--out", pngPath, "--size", "0"}, {"tokens", "--in", in, "--k", "0"}, {"dataset"},
		{"dataset", "--out", dir, "--src", filepath.Join(dir, "nothing")},
	} {
		if _, err := captureStdout(t, func() error { return runSVG(bad) }); err == nil {
			t.Errorf("svg %q: no error", bad)
		}
	}
}

func TestRegisterSVG(t *testing.T) {
	called := false
	registerSVG("test-extra", "a sub-subcommand another file registers", func(args []string) error {
		called = len(args) == 1 && args[0] == "x"
		return nil
	})
	defer delete(svgCommands, "test-extra")
	if err := runSVG([]string{"test-extra", "x"}); err != nil || !called {
		t.Errorf("registered command not run: %v", err)
	}
	if !strings.Contains(svgUsage(), "test-extra") {
		t.Error("usage does not list it")
	}
}

// TestRoundtripReportCountsGradients: the report compares against the original as drawn, so
// a gradient reduced to its mean color in the tokens shows up. A red→blue ramp across the
// whole box against its mean (½, 0, ½): |R − ½| and |B − ½| average ¼ each, so the mean
// error over the four channels is (¼ + ¼) / 4 = 0.125.
func TestRoundtripReportCountsGradients(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "grad.svg")
	os.WriteFile(in, []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">
		<linearGradient id="g"><stop offset="0" stop-color="#f00"/><stop offset="1" stop-color="#00f"/></linearGradient>
		<rect width="36" height="36" fill="url(#g)"/></svg>`), 0o644)
	stdout, err := captureStdout(t, func() error {
		return runSVG([]string{"roundtrip", "--in", in, "--out", filepath.Join(dir, "out.svg"), "--report"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var rep roundtripReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if rep.Gradients != 1 || rep.Layers != 1 || math.Abs(rep.RGBAError-0.125) > 0.01 || rep.SilhouetteIoU < 0.999 {
		t.Errorf("report %+v, want 1 gradient layer, rgba_error ≈ 0.125, silhouette 1", rep)
	}
}
