package wasmsimd

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// TestGeneratedDriverIsCurrent: driverWasm (threads_gen.go) is what
// DriverModule writes now. WASMSIMD_UPDATE=1 rewrites it.
func TestGeneratedDriverIsCurrent(t *testing.T) {
	m := DriverModule()
	if os.Getenv("WASMSIMD_UPDATE") != "" {
		src := string(genSource(m))
		src = strings.Replace(src, "TestGeneratedModuleIsCurrent", "TestGeneratedDriverIsCurrent", 1)
		src = strings.Replace(src, "// kernelsWasm is Module() as of the last generation.\nvar kernelsWasm", "// driverWasm is DriverModule() as of the last generation.\nvar driverWasm", 1)
		if err := os.WriteFile("threads_gen.go", []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(driverWasm, m) {
		t.Fatalf("threads_gen.go (%d bytes of module) is not DriverModule() (%d bytes): run WASMSIMD_UPDATE=1 go test ./wasmsimd", len(driverWasm), len(m))
	}
}

// TestSharedModule checks the rewrite on a hand-assembled module: types,
// memory (min 3), export — against the bytes the spec's encoding gives.
func TestSharedModule(t *testing.T) {
	in := []byte("\x00asm\x01\x00\x00\x00" +
		"\x01\x04\x01\x60\x00\x00" + // types: () -> ()
		"\x03\x02\x01\x00" + // funcs: one of type 0
		"\x05\x03\x01\x00\x03" + // memory: min 3, no max
		"\x07\x0a\x01\x06memory\x02\x00" + // export memory 0
		"\x0a\x04\x01\x02\x00\x0b") // code: empty body
	want := []byte("\x00asm\x01\x00\x00\x00" +
		"\x01\x04\x01\x60\x00\x00" +
		"\x02\x12\x01\x03env\x06memory\x02\x03\x03\x80\x80\x04" + // import env.memory shared min 3 max 65536
		"\x03\x02\x01\x00" +
		"\x07\x0a\x01\x06memory\x02\x00" +
		"\x0a\x04\x01\x02\x00\x0b")
	got, err := SharedModule(in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("SharedModule:\n got %x\nwant %x", got, want)
	}
	if _, err := SharedModule(kernelsWasm); err != nil {
		t.Fatalf("the kernel module: %v", err)
	}
	for name, bad := range map[string][]byte{
		"empty":       nil,
		"not wasm":    []byte("\x00asm\x02\x00\x00\x00"),
		"no memory":   in[:8+6+4],
		"cut section": in[:len(in)-2],
		"two memories": append(append([]byte{}, in[:8+6+4]...),
			"\x05\x05\x02\x00\x01\x00\x01"...),
		"imports": append(append([]byte{}, in[:8+6]...), "\x02\x01\x00"...),
	} {
		if _, err := SharedModule(bad); !errors.Is(err, errModule) {
			t.Errorf("%s: err %v, want errModule", name, err)
		}
	}
}

// TestPlan checks the split: whole panels or multiples of tileRows tokens
// per chunk, chunks covering the product exactly once, and no split below
// minWork or on one thread.
func TestPlan(t *testing.T) {
	for _, c := range []struct{ threads, T, K, np, minWork, mode, chunk, n int }{
		{1, 1, 384, 48, 0, 0, 0, 1},
		{2, 1, 384, 48, 1 << 30, 0, 0, 1},
		{2, 1, 384, 48, 0, 0, 12, 4},   // 48 panels, 4 chunks of 12
		{2, 1, 384, 9, 0, 0, 8, 2},     // at least minPanels a chunk
		{2, 1, 384, 4, 0, 0, 8, 1},     // too few panels to split
		{2, 128, 384, 48, 0, 1, 32, 4}, // tokens, multiples of 4
		{2, 5, 384, 48, 0, 1, 4, 2},    // 4 + 1
		{4, 3, 384, 48, 0, 1, 4, 1},
		{3, 30, 384, 48, 0, 1, 8, 4}, // ceil(30/6)=5 → 8
	} {
		mode, chunk, n := plan(c.threads, c.T, c.K, c.np, c.minWork)
		if n <= 1 {
			mode, chunk = c.mode, c.chunk
		}
		if mode != c.mode || chunk != c.chunk || n != c.n {
			t.Errorf("plan(%d, T=%d, K=%d, Np=%d, min %d) = mode %d, chunk %d, n %d; want %d %d %d", c.threads, c.T, c.K, c.np, c.minWork, mode, chunk, n, c.mode, c.chunk, c.n)
		}
		if n > 1 {
			total := c.np
			if mode == 1 {
				total = c.T
				if chunk%tileRows != 0 {
					t.Errorf("token chunk %d is not a multiple of %d", chunk, tileRows)
				}
			}
			if (n-1)*chunk >= total || n*chunk < total {
				t.Errorf("%d chunks of %d do not cover %d exactly", n, chunk, total)
			}
		}
	}
}
