//go:build !(js && wasm)

// Native only: the browser the js/wasm tests run in has no file system to compare with.

package webgpu

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestFixtureCopiesMatch: testdata/models is a copy of model/testdata's fixture models
// (go:embed cannot reach outside the package, and the WebGPU tests run in a browser, which
// has no file system to read the originals from). This native test fails as soon as a
// copy and its original differ in any file or byte; fix by copying model/testdata/NAME
// over testdata/models/NAME.
func TestFixtureCopiesMatch(t *testing.T) {
	const copies, originals = "testdata/models", "../model/testdata"
	names, err := os.ReadDir(copies)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatalf("no fixture models in %s", copies)
	}
	for _, n := range names {
		files := func(root string) map[string][]byte {
			out := map[string][]byte{}
			err := filepath.WalkDir(filepath.Join(root, n.Name()), func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(p)
				rel, _ := filepath.Rel(root, p)
				out[rel] = b
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		got, want := files(copies), files(originals)
		for name, b := range want {
			if c, ok := got[name]; !ok {
				t.Errorf("%s/%s is missing (in %s)", copies, name, originals)
			} else if !bytes.Equal(c, b) {
				t.Errorf("%s/%s differs from %s/%s", copies, name, originals, name)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("%s/%s has no original in %s", copies, name, originals)
			}
		}
	}
}
