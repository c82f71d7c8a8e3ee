package vector

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestDocumentJSONRoundTrip: every drawing in testdata parses, crosses as JSON and comes back
// equal (gradients, even-odd, crisp, unsupported notes included).
func TestDocumentJSONRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/twemoji/*.svg")
	for _, g := range []string{"testdata/realsvg/*.svg", "testdata/resvg/paint-servers/*/*.svg", "testdata/resvg/structure/*/*.svg"} {
		more, _ := filepath.Glob(g)
		files = append(files, more...)
	}
	if len(files) < 10 {
		t.Fatalf("only %d drawings in testdata", len(files))
	}
	gradients, parsed := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := ParseSVG(data)
		if err != nil {
			continue // resvg's suite has files the reader refuses (FuzzParseSVG covers those)
		}
		parsed++
		for _, l := range doc.Layers {
			if l.Paint != nil {
				gradients++
			}
		}
		js, err := DocumentJSON(doc)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		back, err := DocumentFromJSON(js)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !reflect.DeepEqual(doc, back) {
			t.Errorf("%s: the document changed crossing as JSON", f)
		}
	}
	t.Logf("%d drawings, %d parsed, %d gradient layers", len(files), parsed, gradients)
	if gradients < 20 {
		t.Errorf("only %d gradient layers crossed", gradients)
	}
}

func TestDocumentFromJSONRejects(t *testing.T) {
	for _, tc := range []string{
		``,
		`[]`,
		`{"ViewBox":[0,0,0,10]}`,
		`{"ViewBox":[0,0,10,10],"Layers":[{"Paint":{"Stops":[{"Offset":0}]}}]}`,
		`{"ViewBox":[0,0,10,10],"Layers":[{"Paint":{"Spread":7,"Stops":[{},{}]}}]}`,
		`{"ViewBox":[0,0,1e400,10]}`,
		`{"ViewBox":[0,0,10,10],"Layers":[{"Subpaths":[{"Start":{"X":"a"}}]}]}`,
	} {
		if _, err := DocumentFromJSON([]byte(tc)); !errors.Is(err, ErrPacked) {
			t.Errorf("%s: err %v, want ErrPacked", tc, err)
		}
	}
}

func FuzzDocumentFromJSON(f *testing.F) {
	f.Add([]byte(`{"ViewBox":[0,0,36,36],"Layers":[{"Fill":{"R":1,"G":0,"B":0,"A":1},"Subpaths":[{"Start":{"X":1,"Y":2},"Segs":[{"C1":{"X":1,"Y":2},"C2":{"X":3,"Y":4},"P":{"X":5,"Y":6}}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := DocumentFromJSON(data)
		if err != nil {
			if !errors.Is(err, ErrPacked) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if _, err := DocumentJSON(doc); err != nil {
			t.Fatalf("a document that was read does not write: %v", err)
		}
	})
}
