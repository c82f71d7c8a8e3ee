package memfs

import (
	"errors"
	"io"
	"io/fs"
	"testing"
	"testing/fstest"
)

// fstest.TestFS is the standard library's conformance check for an fs.FS:
// it opens, reads, seeks, lists and stats every file and compares them.
func TestConformance(t *testing.T) {
	m := FS{"config.json": []byte(`{"a":1}`), "model.safetensors": make([]byte, 1000), "empty": nil}
	if err := fstest.TestFS(m, "config.json", "model.safetensors", "empty"); err != nil {
		t.Fatal(err)
	}
	if err := fstest.TestFS(FS{}); err != nil {
		t.Fatal(err)
	}
}

func TestReadAtAndErrors(t *testing.T) {
	m := FS{"w": []byte("0123456789")}
	f, err := m.Open("w")
	if err != nil {
		t.Fatal(err)
	}
	ra, ok := f.(io.ReaderAt)
	if !ok {
		t.Fatal("file is not an io.ReaderAt")
	}
	buf := make([]byte, 4)
	if n, err := ra.ReadAt(buf, 7); n != 3 || err != io.EOF || string(buf[:n]) != "789" {
		t.Fatalf("ReadAt at 7: %d %v %q", n, err, buf[:n])
	}
	for _, name := range []string{"missing", "../w", "/w", "a//b"} {
		_, err := m.Open(name)
		var pe *fs.PathError
		if !errors.As(err, &pe) {
			t.Errorf("Open(%q): %v, want a *fs.PathError", name, err)
		}
	}
	if _, err := m.Open("missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing): %v", err)
	}
	b, _ := m.ReadFile("w")
	b[0] = 'x'
	if m["w"][0] != '0' {
		t.Error("ReadFile returned the held bytes, not a copy")
	}
	if m.Size() != 10 {
		t.Errorf("Size %d", m.Size())
	}
}
