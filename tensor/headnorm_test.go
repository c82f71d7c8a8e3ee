package tensor

import (
	"math"
	"strings"
	"testing"
)

func TestRMSNormHeads(t *testing.T) {
	be := NewCPU()
	const T, H, D = 3, 4, 8
	x := make([]float32, T*H*D)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)*0.7)) * float32(1+i%5)
	}
	w := make([]float32, D)
	for i := range w {
		w[i] = 0.5 + float32(i)/8
	}
	xt, _ := be.UploadF32([]int{T, H * D}, x)
	wt, _ := be.UploadF32([]int{D}, w)
	out, _ := be.Zeros(T, H*D)
	hn := be.(interface {
		RMSNormHeads(out, x, w Tensor, eps float32)
	})
	hn.RMSNormHeads(out, xt, wt, 1e-6)
	got, err := be.Read(out, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	for h := 0; h < T*H; h++ { // every head of every row on its own, in f64
		var ss float64
		for j := range D {
			ss += float64(x[h*D+j]) * float64(x[h*D+j])
		}
		inv := 1 / math.Sqrt(ss/D+1e-6)
		for j := range D {
			want := float64(x[h*D+j]) * inv * float64(w[j])
			if d := math.Abs(float64(got[h*D+j]) - want); d > 1e-5 {
				t.Fatalf("head %d elem %d: got %g want %g", h, j, got[h*D+j], want)
			}
		}
	}
	bad, _ := be.UploadF32([]int{5}, make([]float32, 5))
	hn.RMSNormHeads(out, xt, bad, 1e-6)
	if _, err := be.Read(out, 0, -1); err == nil || !strings.Contains(err.Error(), "RMSNormHeads") {
		t.Fatalf("w of 5 for rows of %d: err %v", H*D, err)
	}
}
