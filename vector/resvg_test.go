package vector

import (
	"bufio"
	"image"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// resvgFloor is the number of resvg reference tests per folder that lamina's reader and
// rasterizer must keep passing: a regression guard two below the counts measured on amd64
// (80, 135, 257, 132, 183 = 787; README), so that a platform whose floating point fuses
// differently cannot flip it by a test sitting on a threshold. Raise it as the reader improves.
var resvgFloor = map[string]int{
	"masking":       78,
	"paint-servers": 133,
	"painting":      255,
	"shapes":        130,
	"structure":     181,
}

// Pass criteria of the issue: silhouette IoU of alpha ≥ 0.98 and mean |premultiplied RGBA|
// error ≤ 0.01 against resvg's reference PNG.
const (
	resvgMinIoU   = 0.98
	resvgMaxError = 0.01
)

func loadPNG(path string) (*image.NRGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		return nil, err
	}
	out := image.NewNRGBA(im.Bounds())
	draw.Draw(out, out.Bounds(), im, im.Bounds().Min, draw.Src)
	return out, nil
}

// compareImages returns the silhouette IoU of alpha and the mean absolute error of the
// premultiplied RGBA channels (scripts/compare-chromium.mjs uses the same metrics).
func compareImages(ref *image.NRGBA, got *Image) (iou, errMean float64) {
	var si, su, e float64
	n := got.W * got.H
	for k := 0; k < n; k++ {
		pa := float64(ref.Pix[4*k+3]) / 255
		qa := clamp01(float64(got.Pix[4*k+3]))
		si += math.Min(pa, qa)
		su += math.Max(pa, qa)
		for c := 0; c < 3; c++ {
			e += math.Abs(float64(ref.Pix[4*k+c])/255*pa - clamp01(float64(got.Pix[4*k+c]))*qa)
		}
		e += math.Abs(pa - qa)
	}
	iou = 1
	if su > 0 {
		iou = si / su
	}
	return iou, e / float64(4*n)
}

type resvgResult struct {
	name      string
	iou, err  float64
	parseErr  error
	pass      bool
	unsupport []string
	took      time.Duration
}

var (
	resvgOnce    sync.Once
	resvgResults []resvgResult
)

// resvgRun renders the suite once per test binary (TestResvgSuite and
// TestResvgNoSilentDrops share it).
func resvgRun(t *testing.T) []resvgResult {
	resvgOnce.Do(func() { resvgResults = runResvg(t) })
	if len(resvgResults) == 0 {
		t.Fatal("no resvg results")
	}
	return resvgResults
}

func runResvg(t *testing.T) []resvgResult {
	root := filepath.Join("testdata", "resvg")
	var files []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".svg") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no resvg tests in testdata/resvg")
	}
	var out []resvgResult
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(f), "testdata/resvg/"), ".svg")
		ref, err := loadPNG(strings.TrimSuffix(f, ".svg") + ".png")
		if err != nil {
			continue // a test without a reference image (none in the vendored folders)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		res := resvgResult{name: name}
		// Drawn at the reference's size, as resvg drew it (dashes are measured per device pixel).
		doc, err := ParseSVGWith(data, ParseOptions{RenderWidth: ref.Bounds().Dx()})
		if err != nil {
			res.parseErr = err
		} else {
			b := ref.Bounds()
			img := Render(doc, b.Dx(), b.Dy())
			res.iou, res.err = compareImages(ref, img)
			res.pass = res.iou >= resvgMinIoU && res.err <= resvgMaxError
			res.unsupport = doc.Unsupported
		}
		res.took = time.Since(start)
		out = append(out, res)
	}
	return out
}

// chromiumPassing reads the tests Chromium renders right (written by
// scripts/compare-chromium.mjs --resvg); nil when the file is absent.
func chromiumPassing() map[string]bool {
	f, err := os.Open(filepath.Join("testdata", "resvg", "chromium-pass.txt"))
	if err != nil {
		return nil
	}
	defer f.Close()
	m := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			m[l] = true
		}
	}
	return m
}

// TestResvgSuite renders resvg's own test suite (shapes, structure, painting, masking,
// paint-servers; vendored in testdata/resvg with its license) with lamina's reader and
// rasterizer and compares each with resvg's reference PNG. It prints pass counts per folder
// (and among the tests Chromium passes, when chromium-pass.txt is present) and fails when a
// folder drops below its floor or a test takes more than a second.
func TestResvgSuite(t *testing.T) {
	if testing.Short() || runtime.GOOS == "js" {
		t.Skip("renders ~950 files (the same Go code runs natively)")
	}
	results := resvgRun(t)
	chrome := chromiumPassing()
	type count struct{ pass, total, chromePass, chromeTotal, silent, chromeSilent int }
	per := map[string]*count{}
	var slowest resvgResult
	for _, r := range results {
		folder := strings.SplitN(r.name, "/", 2)[0]
		c := per[folder]
		if c == nil {
			c = &count{}
			per[folder] = c
		}
		c.total++
		if r.pass {
			c.pass++
		} else if r.parseErr != nil || len(r.unsupport) == 0 {
			c.silent++ // failed without saying what it left out
			if chrome[r.name] {
				c.chromeSilent++
			}
		}
		if chrome[r.name] {
			c.chromeTotal++
			if r.pass {
				c.chromePass++
			}
		}
		if r.took > slowest.took {
			slowest = r
		}
		if os.Getenv("LAMINA_RESVG_VERBOSE") != "" && !r.pass {
			t.Logf("FAIL %s iou=%.3f err=%.4f parse=%v unsupported=%q", r.name, r.iou, r.err, r.parseErr, r.unsupport)
		}
	}
	folders := make([]string, 0, len(per))
	for f := range per {
		folders = append(folders, f)
	}
	sort.Strings(folders)
	tp, tt, cp, ct, ts, cs := 0, 0, 0, 0, 0, 0
	for _, f := range folders {
		c := per[f]
		t.Logf("%-14s %4d / %4d pass vs resvg reference; %4d / %4d of the Chromium-passing; %d fail silently (%d of the Chromium-passing)", f, c.pass, c.total, c.chromePass, c.chromeTotal, c.silent, c.chromeSilent)
		tp, tt, cp, ct, ts, cs = tp+c.pass, tt+c.total, cp+c.chromePass, ct+c.chromeTotal, ts+c.silent, cs+c.chromeSilent
		if c.pass < resvgFloor[f] {
			t.Errorf("%s: %d pass, below the floor %d", f, c.pass, resvgFloor[f])
		}
	}
	t.Logf("%-14s %4d / %4d pass vs resvg reference; %4d / %4d of the Chromium-passing; %d fail silently (%d of the Chromium-passing)", "all", tp, tt, cp, ct, ts, cs)
	t.Logf("slowest: %s %v", slowest.name, slowest.took)
	if slowest.took > 3*time.Second { // generous: the bound is 1 s on an idle machine; CI shares its cores
		t.Errorf("%s took %v (> 3 s)", slowest.name, slowest.took)
	}
}

// resvgKnownSilent lists the Chromium-passing tests that fail by the thresholds without the
// reader leaving anything out: what they draw is all there, within a fraction of a pixel of
// resvg's reference, but resvg's rasterizer (tiny-skia, Skia's algorithms) approximates
// differently from lamina's exact-area one and the test is thin enough for that to cross the
// IoU threshold. Each entry says why; TestResvgNoSilentDrops fails when one of them passes or
// starts reporting, so the list only shrinks.
var resvgKnownSilent = map[string]string{
	// resvg's reference has a 14/255 fringe outside every cell edge of its raster pattern tile
	// (27 and 33 where two or three patterned layers overlap): 255/18, the weight a bicubic
	// Mitchell filter gives the neighbouring pixel, so resvg resamples its tile with one even
	// at an exact 1:1 scale. Chromium (IoU 0.982) has no fringe but
	// draws a few cells one device pixel wider than their exact edges (e.g. x = 89 at
	// y 120–134), which lamina, drawing the cells as exact geometry, does not.
	"painting/context/with-pattern-in-use": "pattern cells: resvg's bicubic tile sampling leaves a 14/255 fringe at every cell edge; IoU 0.976, error 0.0023",
}

// TestResvgNoSilentDrops is the "zero silent drops": every resvg test Chromium
// renders right must either pass against resvg's reference or list in Unsupported what the
// reader approximated or left out. A whole-document error on such a test counts as silent
// too. The few listed in resvgKnownSilent are exempt, with their reasons.
func TestResvgNoSilentDrops(t *testing.T) {
	if testing.Short() || runtime.GOOS == "js" {
		t.Skip("renders ~950 files (the same Go code runs natively)")
	}
	chrome := chromiumPassing()
	if len(chrome) == 0 {
		t.Fatal("testdata/resvg/chromium-pass.txt missing or empty")
	}
	silent := 0
	seen := map[string]bool{}
	for _, r := range resvgRun(t) {
		if !chrome[r.name] {
			continue
		}
		seen[r.name] = true
		quiet := !r.pass && (r.parseErr != nil || len(r.unsupport) == 0)
		reason, known := resvgKnownSilent[r.name]
		switch {
		case quiet && known:
			silent++
			t.Logf("known: %s iou=%.3f err=%.4f: %s", r.name, r.iou, r.err, reason)
		case quiet:
			silent++
			t.Errorf("%s fails silently: iou=%.3f err=%.4f parse error %v, nothing in Unsupported", r.name, r.iou, r.err, r.parseErr)
		case known:
			t.Errorf("%s is listed in resvgKnownSilent but now passes or reports %q: remove it", r.name, r.unsupport)
		}
	}
	for name := range resvgKnownSilent {
		if !seen[name] {
			t.Errorf("resvgKnownSilent: %s is not a Chromium-passing test", name)
		}
	}
	t.Logf("%d Chromium-passing tests fail without a report (%d known, listed with reasons)", silent, len(resvgKnownSilent))
}
