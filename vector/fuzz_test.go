package vector

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fuzzTimeLimit bounds one input's parse: the caps (MaxPathCommands, MaxSegments,
// MaxElements, MaxDepth) keep the worst case near a few hundred milliseconds.
const fuzzTimeLimit = 2 * time.Second

func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not a *vector.Error", err, err)
	}
	if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrLimit) && !errors.Is(err, ErrNonFinite) && !errors.Is(err, ErrNoViewBox) {
		t.Fatalf("error %v wraps no sentinel", err)
	}
}

// FuzzParseSVG: any input yields a document or a typed error, in bounded time, and a parsed
// document survives the whole pipeline (tokens, decode, write, re-parse, rasterize).
func FuzzParseSVG(f *testing.F) {
	for _, s := range []string{
		svgDoc(`<circle cx="18" cy="18" r="18" fill="#FFCC4D"/><path d="M9 22s3 1 9 1 9-1 9-1-2 4-9 4-9-4-9-4z"/>`),
		svgDoc(`<g transform="matrix(1 0 .5 1 0 0) rotate(30 1 1)" opacity=".5"><rect x="1" y="1" width="9" height="9" rx="2"/></g>`),
		svgDoc(`<polygon points="1,1 9,1 5,9" fill="rgba(1,2,3,.5)" fill-rule="evenodd"/>`),
		`<svg width="10" height="10"><ellipse rx="1e308" ry="1e-308"/></svg>`,
		`<svg viewBox="0 0 1 1"><g><g><g><path d="M0 0L1 1"/></g></g></g></svg>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		doc, err := ParseSVG(data)
		checkErr(t, err)
		if d := time.Since(start); d > fuzzTimeLimit {
			t.Fatalf("ParseSVG took %v", d)
		}
		if err != nil {
			return
		}
		tk := Tokenize(doc, 8, 4)
		back, err := Detokenize(tk)
		if err != nil {
			t.Fatalf("Detokenize of Tokenize: %v", err)
		}
		if _, err := ParseSVG(WriteSVG(back)); err != nil && !errors.Is(err, ErrNonFinite) && !errors.Is(err, ErrNoViewBox) {
			t.Fatalf("written SVG does not parse: %v", err)
		}
		Render(doc, 8, 8)
	})
}

// FuzzPathData: malformed numbers, huge counts, NaN/Inf give typed errors, never panics.
func FuzzPathData(f *testing.F) {
	for _, s := range []string{
		"M0 0L10 0 10 10z", "m1 1 9 0 0 9z", "M.5.5-1-1e0 2E1,3z", "M0 0c1 1 2 1 3 0s1-1 2 0q1 1 2 0t2 0z",
		"M0 0A5 5 0 0110 0a1 1 30 1 0 -3 4", "M0 0H4V3h-2v1z", "M1e308 0 l1e308 0", "M0 0 LNaN 0",
		"M0 0 A0 0 0 0 0 0 0", "M-0-0-.0-.0e-0Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		start := time.Now()
		subs, err := ParsePathData(d)
		checkErr(t, err)
		if dt := time.Since(start); dt > fuzzTimeLimit {
			t.Fatalf("ParsePathData took %v", dt)
		}
		for _, sp := range subs {
			if !sp.Start.finite() {
				t.Fatalf("non-finite start %v", sp.Start)
			}
			for _, s := range sp.Segs {
				if !s.C1.finite() || !s.C2.finite() || !s.P.finite() {
					t.Fatalf("non-finite segment %v", s)
				}
			}
		}
	})
}

// TestHugeCoordinates: finite but enormous coordinates must not panic anywhere downstream.
func TestHugeCoordinates(t *testing.T) {
	for _, body := range []string{
		`<path d="M0 0L1e300 0L0 1e300z"/>`,
		`<path d="M-1e300 -1e300L1e300 0L0 1e300z"/>`,
		`<g transform="scale(1e200)"><rect width="1e100" height="1e100"/></g>`,
		`<circle cx="1e307" cy="0" r="1e307"/>`,
	} {
		doc, err := ParseSVG([]byte(svgDoc(body)))
		checkErr(t, err)
		if err != nil {
			continue
		}
		tk := Tokenize(doc, 8, 4)
		back, err := Detokenize(tk)
		if err != nil {
			t.Errorf("%s: %v", body, err)
			continue
		}
		Compare(doc, back, 16)
		WriteSVG(back)
		Render(doc, 16, 16)
	}
}

// TestTokenizeHostileSizes: the largest documents the reader accepts tokenize, detokenize and
// render without error (no quadratic blow-up: it finishes within go test's timeout).
func TestTokenizeHostileSizes(t *testing.T) {
	if testing.Short() || runtime.GOOS == "js" {
		t.Skip("slow (seconds natively, minutes under wasm)")
	}
	var one strings.Builder // one outline of MaxPathCommands-1 segments
	one.WriteString("M0 0")
	for i := 1; i < MaxPathCommands; i++ {
		fmt.Fprintf(&one, "L%d %d", i%36, (i*7)%36)
	}
	var many strings.Builder // MaxElements-2 one-segment-square subpaths in one layer
	many.WriteString(`<path d="`)
	for i := 0; i < MaxPathCommands/5; i++ {
		fmt.Fprintf(&many, "M%d %dh1v1h-1z", i%35, (i/35)%35)
	}
	many.WriteString(`"/>`)
	var layers strings.Builder
	for i := 0; i < MaxElements-2; i++ {
		fmt.Fprintf(&layers, `<rect x="%d" y="%d" width="1" height="1"/>`, i%35, (i/35)%35)
	}
	for name, body := range map[string]string{"long outline": `<path d="` + one.String() + `"/>`, "many subpaths": many.String(), "many layers": layers.String()} {
		start := time.Now()
		doc, err := ParseSVG([]byte(svgDoc(body)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		tk := Tokenize(doc, DefaultK, DefaultN)
		if _, err := Detokenize(tk); err != nil {
			t.Fatal(err)
		}
		Render(doc, 64, 64)
		// Reported, not asserted: wall time on a shared machine is no test criterion (the
		// bound that matters, that it finishes at all, is go test's timeout).
		t.Logf("%s: %v", name, time.Since(start))
	}
}

// FuzzStyleSheet: any <style> text parses into rules in bounded time and cascades without
// panicking (the sheet parser is reached through ParseSVG too; this target aims at it).
func FuzzStyleSheet(f *testing.F) {
	for _, s := range []string{
		`rect { fill: red } .a > #b, g rect:first-child[x="1"] { fill: hsl(1 2% 3%) !important }`,
		`@media screen { rect { fill: red } } @import url(x.css); /* c */ * { stroke: blue`,
		`<!-- rect + circle {fill:#0f0} --> [class~=x] { opacity: .5 } [id^=a][id$=b][id*=c] {}`,
		`:root>g{display:none} :root>g:target{display:inline} rect:last-child:hover, g:only-child > :first-child:last-child {fill:red} :not(x){}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, css string) {
		start := time.Now()
		doc := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><style><![CDATA[` +
			strings.ReplaceAll(css, "]]>", "") + `]]></style><g class="a x"><rect id="b" class="a" x="1" width="2" height="2"/><circle r="1"/></g></svg>`
		d, err := ParseSVG([]byte(doc))
		checkErr(t, err)
		if took := time.Since(start); took > fuzzTimeLimit {
			t.Fatalf("took %v", took)
		}
		if d != nil {
			Render(d, 4, 4)
		}
	})
}
