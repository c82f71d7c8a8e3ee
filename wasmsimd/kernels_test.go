package wasmsimd

import (
	"bytes"
	"testing"
)

// TestPackPanels checks the panel layout against its definition: element
// (n,k) of w lands at ((n/8)·K + k)·8 + n%8, and the padding rows are zero.
func TestPackPanels(t *testing.T) {
	const N, K = 11, 5
	w := make([]uint16, N*K)
	for i := range w {
		w[i] = uint16(i + 1)
	}
	dst := make([]uint16, panels(N)*8*K)
	for i := range dst {
		dst[i] = 0xffff
	}
	packPanels(dst, w, N, K)
	for i, v := range dst {
		p, k, j := i/(8*K), i/8%K, i%8
		n := 8*p + j
		want := uint16(0)
		if n < N {
			want = w[n*K+k]
		}
		if v != want {
			t.Fatalf("dst[%d] = %d, want %d (n %d, k %d)", i, v, want, n, k)
		}
	}
}

// TestModuleHeader: the module starts with the wasm magic and version 1 and
// is the same bytes on every call (it is written, not built at random).
func TestModuleHeader(t *testing.T) {
	a, b := Module(), Module()
	if !bytes.HasPrefix(a, []byte{0, 'a', 's', 'm', 1, 0, 0, 0}) {
		t.Fatalf("header % x", a[:8])
	}
	if !bytes.Equal(a, b) {
		t.Fatal("Module differs between calls")
	}
}
