package vector

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRealSVG: real files from outside the project (testdata/realsvg, licenses in its
// README) that once drew wrong or failed, against Chromium's render of the original at
// 128 px (scripts/compare-chromium.mjs --folder found them): lamina's render passes the resvg
// criteria (IoU of alpha ≥ 0.98, premultiplied RGBA error ≤ 0.01), and the K=48/N=16 round
// trip with its layer merging completes.
func TestRealSVG(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "realsvg", "*.svg"))
	if len(files) == 0 {
		t.Fatal("no files in testdata/realsvg")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := loadPNG(strings.TrimSuffix(f, ".svg") + ".png")
		if err != nil {
			t.Fatal(err)
		}
		b := ref.Bounds()
		doc, err := ParseSVGWith(data, ParseOptions{RenderWidth: b.Dx()})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if iou, e := compareImages(ref, Render(doc, b.Dx(), b.Dy())); iou < resvgMinIoU || e > resvgMaxError {
			t.Errorf("%s: IoU %.4f, error %.4f against Chromium (unsupported %q)", f, iou, e, doc.Unsupported)
		}
		fit, _ := FitLayers(doc, 48)
		if _, err := Detokenize(Tokenize(fit, 48, DefaultN)); err != nil {
			t.Errorf("%s: round trip: %v", f, err)
		}
	}
}
