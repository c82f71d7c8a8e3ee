package webgpu

import (
	"math/rand/v2"
	"testing"

	"github.com/lamina-ml/lamina/kernels"
)

// TestQuantLayoutRoundTrip: the packed GPU layout read back on the host
// (what Read of a quantized tensor does) equals QMatrix.Dequantize, the
// reference, for shapes off the group and block sizes; and the buffer keeps
// the matrix's own size (no widening on upload).
func TestQuantLayoutRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct{ bits, N, K, group int }{
		{8, 3, 70, 0}, {8, 5, 100, 32}, {4, 4, 100, 32}, {4, 3, 200, 128}, {4, 2, 31, 0}, {4, 2, 33, 32}, {8, 1, 0, 0},
	} {
		w := make([]float32, c.N*c.K)
		for i := range w {
			w[i] = r.Float32()*2 - 1
		}
		bits := c.bits
		m, err := kernels.QuantizeRTN(w, c.N, c.K, bits, c.group)
		if err != nil {
			t.Fatal(err)
		}
		l := layoutOf(m)
		packed := l.pack(m)
		if c.K > 0 && len(packed) != m.Bytes() {
			t.Errorf("%+v: packed %d bytes, the QMatrix holds %d", c, len(packed), m.Bytes())
		}
		want := m.Dequantize()
		got := make([]float32, c.K)
		for n := 0; n < c.N; n++ {
			l.dequantRow(got, packed[n*l.rowBytes():(n+1)*l.rowBytes()])
			for k := range got {
				if got[k] != want[n*c.K+k] {
					t.Fatalf("%+v: [%d,%d] = %v, want %v", c, n, k, got[k], want[n*c.K+k])
				}
			}
		}
	}
}
