package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lamina-ml/lamina/vector"
)

var tinySVGModel = filepath.Join("..", "..", "svgmodel", "testdata", "tiny")

func runSVGOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := captureStdout(t, func() error { return runSVG(args) })
	if err != nil {
		t.Fatalf("lamina svg %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSVGGenerateCandidates(t *testing.T) {
	dir := t.TempDir()
	common := []string{"--model", tinySVGModel, "--prompt", "red heart", "--steps", "6"}
	out := runSVGOut(t, append([]string{"generate", "--seed", "9", "--n", "3", "--out", filepath.Join(dir, "h.svg")}, common...)...)
	var rep struct {
		Candidates []svgCandidate `json:"candidates"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rep.Candidates) != 3 {
		t.Fatalf("%d candidates: %s", len(rep.Candidates), out)
	}
	var svgs [][]byte
	for i, c := range rep.Candidates {
		if want := filepath.Join(dir, "h-"+string(rune('0'+i))+".svg"); c.Out != want || c.Seed != uint64(9+i) || len(c.Layers) == 0 {
			t.Fatalf("candidate %d: %+v, want out %s seed %d", i, c, want, 9+i)
		}
		svgs = append(svgs, readFile(t, c.Out))
	}
	if bytes.Equal(svgs[0], svgs[1]) || bytes.Equal(svgs[1], svgs[2]) {
		t.Fatal("candidates are the same drawing")
	}
	// Candidate 1 is the one-candidate run with seed 10.
	one := filepath.Join(dir, "one.svg")
	runSVGOut(t, append([]string{"generate", "--seed", "10", "--out", one}, common...)...)
	if !bytes.Equal(readFile(t, one), svgs[1]) {
		t.Fatal("candidate 1 differs from generate --seed 10")
	}

	// A variation at strength 1 is generate with the same seed; at 0 it is the drawing.
	full := filepath.Join(dir, "full.svg")
	runSVGOut(t, append([]string{"edit", "--in", one, "--strength", "1", "--seed", "9", "--out", full}, common...)...)
	if !bytes.Equal(readFile(t, full), svgs[0]) {
		t.Fatal("edit --strength 1 --seed 9 differs from generate --seed 9")
	}
	zero := filepath.Join(dir, "zero.svg")
	runSVGOut(t, append([]string{"edit", "--in", one, "--strength", "0", "--out", zero}, common...)...)
	doc, err := vector.ParseSVG(readFile(t, one))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, zero), vector.WriteSVG(doc)) {
		t.Fatal("edit --strength 0 changed the drawing")
	}
	out = runSVGOut(t, append([]string{"edit", "--in", one, "--strength", "0.5", "--n", "2", "--out", filepath.Join(dir, "v.svg")}, common...)...)
	if !strings.Contains(out, `"candidates"`) || bytes.Equal(readFile(t, filepath.Join(dir, "v-0.svg")), readFile(t, filepath.Join(dir, "v-1.svg"))) {
		t.Fatalf("edit --strength 0.5 --n 2: %s", out)
	}
	if bytes.Equal(readFile(t, filepath.Join(dir, "v-0.svg")), readFile(t, one)) {
		t.Fatal("a half-strength variation is the drawing itself")
	}
}

func TestSVGGenerateFlagErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.svg")
	os.WriteFile(in, []byte(testSVG), 0o644)
	out := filepath.Join(dir, "o.svg")
	m := []string{"--model", tinySVGModel, "--steps", "2"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "--n", "0", "--out", out}, "--n 0 outside"},
		{[]string{"generate", "--n", "17", "--out", out}, "--n 17 outside"},
		{[]string{"generate", "--n", "2", "--out", "-"}, "--out - takes one drawing"},
		{[]string{"generate", "--n", "two", "--out", out}, "invalid value"},
		{[]string{"edit", "--in", in, "--strength", "1.5", "--out", out}, "--strength 1.5 outside"},
		{[]string{"edit", "--in", in, "--strength", "NaN", "--out", out}, "outside [0, 1]"},
		{[]string{"edit", "--in", in, "--strength", "0.5", "--keep", "0", "--out", out}, "does not combine"},
		{[]string{"edit", "--in", in, "--strength", "0.5", "--add", "1", "--out", out}, "does not combine"},
		{[]string{"edit", "--in", in, "--n", "2", "--out", out}, "--n applies to generate"},
		{[]string{"edit", "--in", filepath.Join(dir, "missing.svg"), "--strength", "0.5", "--out", out}, "no such file"},
	} {
		_, err := captureStdout(t, func() error { return runSVG(append(c.args, m...)) })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("lamina svg %s: err = %v, want %q", strings.Join(c.args, " "), err, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed command wrote its output")
	}
}
