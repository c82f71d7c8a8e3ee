package wasmsimd

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lamina-ml/lamina/kernels"
)

// TestPackQuant checks the quantized panel layout against its definition
// (row n's codes at panel n/8 + (n%8)·RowBytes, its scales after the 8
// rows' codes, its mins after the 8 rows' scales, padding rows zero), and
// that unpackQuant gives any rows back as the QMatrix has them.
func TestPackQuant(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 4))
	for _, c := range []struct{ bits, N, K, group int }{{8, 11, 100, 0}, {4, 11, 100, 32}, {4, 20, 300, 128}, {8, 3, 40, 32}} {
		m, err := kernels.NewQMatrix(c.bits, c.N, c.K, c.group)
		if err != nil {
			t.Fatal(err)
		}
		for i := range m.Q {
			m.Q[i] = byte(r.Uint32())
		}
		for i := range m.Scale {
			m.Scale[i] = r.Float32()
			if m.Min != nil {
				m.Min[i] = -r.Float32()
			}
		}
		b, s, err := packQuant(m)
		if err != nil {
			t.Fatal(err)
		}
		rb, ng := m.RowBytes(), m.Groups()
		if want := 8*rb + 4*ng*8*int(quantVecs(c.bits)); s.psz != want || len(b) != panels(c.N)*want {
			t.Fatalf("%+v: panel %d bytes, %d in all (want %d, %d)", c, s.psz, len(b), want, panels(c.N)*want)
		}
		for n := 0; n < panels(c.N)*8; n++ {
			base := b[(n/8)*s.psz:]
			codes := base[(n%8)*rb : (n%8+1)*rb]
			if n >= c.N {
				if slices.ContainsFunc(codes, func(v byte) bool { return v != 0 }) {
					t.Fatalf("%+v: padding row %d has codes", c, n)
				}
				continue
			}
			if !slices.Equal(codes, m.Q[n*rb:(n+1)*rb]) {
				t.Fatalf("%+v: row %d codes", c, n)
			}
		}
		for _, rows := range [][2]int{{0, c.N}, {1, 1}, {c.N - 1, 1}, {2, c.N - 3}} {
			from, n := rows[0], rows[1]
			got := unpackQuant(b[(from/8)*s.psz:], s, c.K, from, n)
			want := m.Rows(from, from+n)
			if got.Bits != want.Bits || got.N != n || got.K != c.K || got.Group != c.group || !slices.Equal(got.Q, want.Q) ||
				!slices.Equal(got.Scale, want.Scale) || !slices.Equal(got.Min, want.Min) {
				t.Fatalf("%+v: rows [%d,%d) read back differ", c, from, from+n)
			}
		}
	}
}
