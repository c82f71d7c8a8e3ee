package tensor

import (
	"encoding/binary"
	"math"
	"runtime"
	"testing"

	"github.com/lamina-ml/lamina/kernels"
)

// Tolerances for f32 ops checked against float64 math: elementwise ops
// round once; reductions over K terms accumulate ~K·ε relative error.
const (
	elemTol   = 1e-6
	reduceTol = 1e-5
)

// lcg gives deterministic test values in [-1, 1).
type lcg uint64

func (l *lcg) next() float32 {
	*l = *l*6364136223846793005 + 1442695040888963407
	return float32(int64(*l>>11)%(1<<20))/(1<<20)*2 - 1
}

func randVals(n int, seed uint64) []float32 {
	l := lcg(seed)
	v := make([]float32, n)
	for i := range v {
		v[i] = l.next()
	}
	return v
}

func upload(t *testing.T, be Backend, shape []int, v []float32) Tensor {
	t.Helper()
	x, err := be.UploadF32(shape, v)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func read(t *testing.T, be Backend, x Tensor) []float32 {
	t.Helper()
	v, err := be.Read(x, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkClose compares got with float64 want under a relative-to-scale
// tolerance.
func checkClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > tol*math.Max(1, math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %g, want %g (diff %g)", what, i, got[i], want[i], d)
		}
	}
}

// encode stores f32 values as little-endian bytes of dtype dt and returns
// the values that dtype actually represents.
func encode(v []float32, dt DType) ([]byte, []float32) {
	b := make([]byte, len(v)*dt.Size())
	q := make([]float32, len(v))
	for i, f := range v {
		switch dt {
		case F32:
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
			q[i] = f
		case F16:
			h := kernels.F32ToF16(f)
			binary.LittleEndian.PutUint16(b[2*i:], h)
			q[i] = kernels.F16ToF32(h)
		case BF16:
			h := uint16(math.Float32bits(f) >> 16) // truncation is a valid bf16
			binary.LittleEndian.PutUint16(b[2*i:], h)
			q[i] = kernels.BF16ToF32(h)
		}
	}
	return b, q
}

func TestMatMul(t *testing.T) {
	be := NewCPU()
	// Shapes cover the kernels' matrix-vector (T ≤ 2) and tiled (T ≥ 3)
	// paths, with T and N not multiples of their tiles and N large enough
	// to be split across the worker pool.
	shapes := []struct{ T, K, N int }{{1, 3, 5}, {4, 7, 3}, {1, 64, 1031}, {5, 33, 999}, {17, 64, 130}}
	for _, dt := range []DType{F32, F16, BF16} {
		for _, s := range shapes {
			for _, withBias := range []bool{false, true} {
				xv := randVals(s.T*s.K, 1)
				wb, wq := encode(randVals(s.N*s.K, 2), dt)
				bv := randVals(s.N, 3)
				x := upload(t, be, []int{s.T, s.K}, xv)
				w, err := be.Upload([]int{s.N, s.K}, dt, wb)
				if err != nil {
					t.Fatal(err)
				}
				var bias Tensor
				if withBias {
					bias = upload(t, be, []int{s.N}, bv)
				}
				out, _ := be.Zeros(s.T, s.N)
				be.MatMul(out, x, w, bias)
				want := make([]float64, s.T*s.N)
				for i := 0; i < s.T; i++ {
					for n := 0; n < s.N; n++ {
						var acc float64
						for k := 0; k < s.K; k++ {
							acc += float64(xv[i*s.K+k]) * float64(wq[n*s.K+k])
						}
						if withBias {
							acc += float64(bv[n])
						}
						want[i*s.N+n] = acc
					}
				}
				checkClose(t, dt.String()+" matmul", read(t, be, out), want, reduceTol)
			}
		}
	}
	t.Logf("GOMAXPROCS %d", runtime.GOMAXPROCS(0))
}

func TestNorms(t *testing.T) {
	be := NewCPU()
	const T, C = 3, 10
	xv, wv, bv := randVals(T*C, 4), randVals(C, 5), randVals(C, 6)
	x, w, b := upload(t, be, []int{T, C}, xv), upload(t, be, []int{C}, wv), upload(t, be, []int{C}, bv)
	const eps = 1e-5
	rms, ln, lnNoBias := make([]float64, T*C), make([]float64, T*C), make([]float64, T*C)
	for r := 0; r < T; r++ {
		var ss, sum float64
		for c := 0; c < C; c++ {
			v := float64(xv[r*C+c])
			ss += v * v
			sum += v
		}
		mean := sum / C
		var vs float64
		for c := 0; c < C; c++ {
			d := float64(xv[r*C+c]) - mean
			vs += d * d
		}
		for c := 0; c < C; c++ {
			v := float64(xv[r*C+c])
			rms[r*C+c] = v / math.Sqrt(ss/C+eps) * float64(wv[c])
			lnNoBias[r*C+c] = (v - mean) / math.Sqrt(vs/C+eps) * float64(wv[c])
			ln[r*C+c] = lnNoBias[r*C+c] + float64(bv[c])
		}
	}
	out, _ := be.Zeros(T, C)
	be.RMSNorm(out, x, w, eps)
	checkClose(t, "rmsnorm", read(t, be, out), rms, reduceTol)
	be.LayerNorm(out, x, w, b, eps)
	checkClose(t, "layernorm", read(t, be, out), ln, reduceTol)
	be.LayerNorm(out, x, w, nil, eps)
	checkClose(t, "layernorm without bias", read(t, be, out), lnNoBias, reduceTol)
	// In place (out aliases x).
	be.RMSNorm(x, x, w, eps)
	checkClose(t, "rmsnorm in place", read(t, be, x), rms, reduceTol)
}

func TestRoPE(t *testing.T) {
	be := NewCPU()
	const T, heads, D, pos0 = 3, 2, 6, 5
	xv := randVals(T*heads*D, 7)
	fv := []float32{1, 0.1, 0.01}
	x := upload(t, be, []int{T, heads * D}, xv)
	f := upload(t, be, []int{D / 2}, fv)
	be.RoPE(x, f, heads, D, pos0)
	want := make([]float64, len(xv))
	for tt := 0; tt < T; tt++ {
		for h := 0; h < heads; h++ {
			base := tt*heads*D + h*D
			for j := 0; j < D/2; j++ {
				ang := float64(pos0+tt) * float64(fv[j])
				a, b := float64(xv[base+j]), float64(xv[base+j+D/2])
				want[base+j] = a*math.Cos(ang) - b*math.Sin(ang)
				want[base+j+D/2] = b*math.Cos(ang) + a*math.Sin(ang)
			}
		}
	}
	checkClose(t, "rope", read(t, be, x), want, reduceTol)
}

func TestAttention(t *testing.T) {
	be := NewCPU()
	tests := []struct{ T, H, G, D, Pos, S int }{
		{1, 2, 1, 4, 0, 4}, {3, 4, 2, 5, 2, 6}, {4, 3, 3, 8, 0, 4}, {2, 6, 2, 16, 7, 12}, {9, 8, 4, 32, 40, 64},
	}
	for _, tc := range tests {
		qv := randVals(tc.T*tc.H*tc.D, 8)
		kv := randVals(tc.S*tc.G*tc.D, 9)
		vv := randVals(tc.S*tc.G*tc.D, 10)
		q := upload(t, be, []int{tc.T, tc.H * tc.D}, qv)
		k := upload(t, be, []int{tc.S, tc.G * tc.D}, kv)
		v := upload(t, be, []int{tc.S, tc.G * tc.D}, vv)
		out, _ := be.Zeros(tc.T, tc.H*tc.D)
		scale := float32(1 / math.Sqrt(float64(tc.D)))
		be.Attention(out, q, k, v, AttentionArgs{Heads: tc.H, KVHeads: tc.G, HeadDim: tc.D, Pos: tc.Pos, Scale: scale})
		want := make([]float64, tc.T*tc.H*tc.D)
		for i := 0; i < tc.T; i++ {
			for h := 0; h < tc.H; h++ {
				g := h / (tc.H / tc.G)
				n := tc.Pos + i + 1
				s := make([]float64, n)
				mx := math.Inf(-1)
				for j := 0; j < n; j++ {
					for d := 0; d < tc.D; d++ {
						s[j] += float64(qv[i*tc.H*tc.D+h*tc.D+d]) * float64(kv[j*tc.G*tc.D+g*tc.D+d])
					}
					s[j] *= float64(scale)
					mx = math.Max(mx, s[j])
				}
				var z float64
				for j := range s {
					s[j] = math.Exp(s[j] - mx)
					z += s[j]
				}
				for d := 0; d < tc.D; d++ {
					var acc float64
					for j := range s {
						acc += s[j] / z * float64(vv[j*tc.G*tc.D+g*tc.D+d])
					}
					want[i*tc.H*tc.D+h*tc.D+d] = acc
				}
			}
		}
		checkClose(t, "attention", read(t, be, out), want, reduceTol)
	}
}

func TestElementwise(t *testing.T) {
	be := NewCPU()
	const n = 37
	av, bv := randVals(n, 11), randVals(n, 12)
	for i := range av {
		av[i] *= 4 // cover the GELU/SiLU tails
	}
	a, b := upload(t, be, []int{n}, av), upload(t, be, []int{n}, bv)
	out, _ := be.Zeros(n)
	add, gelu, silu := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range av {
		x := float64(av[i])
		add[i] = x + float64(bv[i])
		gelu[i] = 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
		silu[i] = x / (1 + math.Exp(-x)) * float64(bv[i])
	}
	be.Add(out, a, b)
	checkClose(t, "add", read(t, be, out), add, elemTol)
	be.GeluTanh(out, a)
	checkClose(t, "gelu", read(t, be, out), gelu, elemTol)
	be.SiLUMul(out, a, b)
	checkClose(t, "silumul", read(t, be, out), silu, elemTol)
	be.Add(a, a, b) // aliasing allowed
	checkClose(t, "add in place", read(t, be, a), add, elemTol)
}

func TestEmbeddingCopyRowsArgmax(t *testing.T) {
	be := NewCPU()
	const V, C = 6, 4
	tv := randVals(V*C, 13)
	for _, dt := range []DType{F32, F16, BF16} {
		tb, tq := encode(tv, dt)
		table, err := be.Upload([]int{V, C}, dt, tb)
		if err != nil {
			t.Fatal(err)
		}
		ids := []int32{5, 0, 5, 2}
		out, _ := be.Zeros(len(ids), C)
		be.Embedding(out, table, ids)
		want := make([]float64, 0, len(ids)*C)
		for _, id := range ids {
			for c := 0; c < C; c++ {
				want = append(want, float64(tq[int(id)*C+c]))
			}
		}
		checkClose(t, dt.String()+" embedding", read(t, be, out), want, 0)
		// Read converts stored half floats.
		got, err := be.Read(table, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		w := make([]float64, 2*C)
		for i := range w {
			w[i] = float64(tq[C+i])
		}
		checkClose(t, dt.String()+" read rows", got, w, 0)
	}

	src := upload(t, be, []int{3, 2}, []float32{1, 2, 3, 4, 5, 6})
	dst, _ := be.Zeros(5, 2)
	be.CopyRows(dst, 2, src, 1, 2)
	checkClose(t, "copyrows", read(t, be, dst), []float64{0, 0, 0, 0, 3, 4, 5, 6, 0, 0}, 0)

	x := upload(t, be, []int{3, 4}, []float32{1, 3, 3, 2, -5, -4, -4, -9, float32(math.NaN()), 0, 7, 7})
	am, _ := be.ZerosI32(3)
	be.Argmax(am, x)
	ids, err := be.ReadInts(am)
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] != 1 || ids[1] != 1 || ids[2] != 2 {
		t.Errorf("argmax %v, want [1 1 2] (first of ties, NaN skipped)", ids)
	}
}

func TestUploadErrors(t *testing.T) {
	be := NewCPU()
	if _, err := be.Upload([]int{2, 2}, F32, make([]byte, 15)); err == nil {
		t.Error("short upload accepted")
	}
	if _, err := be.UploadF32([]int{3}, make([]float32, 2)); err == nil {
		t.Error("short UploadF32 accepted")
	}
	if _, err := be.Zeros(2, -1); err == nil {
		t.Error("negative shape accepted")
	}
	x, _ := be.Zeros(2, 3)
	if _, err := be.Read(x, 1, 2); err == nil {
		t.Error("read past the end accepted")
	}
	if _, err := be.ReadInts(x); err == nil {
		t.Error("ReadInts of F32 accepted")
	}
	i8, err := be.Upload([]int{3}, I8, []byte{0xff, 1, 0x80})
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "i8 read", read(t, be, i8), []float64{-1, 1, -128}, 0)
}

// TestErrorContract checks Backend's error contract on the CPU: a misused
// op does not panic, the next Read returns its error (once), and the backend
// keeps working.
func TestErrorContract(t *testing.T) {
	b := NewCPU()
	x, _ := b.Zeros(2, 3)
	w, _ := b.Zeros(4, 5)
	out, _ := b.Zeros(2, 4)
	b.MatMul(out, x, w, nil) // K 3 against 5
	if _, err := b.Read(out, 0, -1); err == nil {
		t.Fatal("MatMul with mismatched K: want an error from Read")
	}
	if _, err := b.Read(out, 0, -1); err != nil {
		t.Errorf("the error was reported twice: %v", err)
	}
	b.Free(x)
	b.Add(out, x, x) // a freed tensor
	if err := b.(FusedOps).Flush(); err == nil {
		t.Error("Add of a freed tensor: want an error from Flush")
	}
	ids, _ := b.ZerosI32(1)
	b.Argmax(ids, w) // out has 1 entry for 4 rows
	if _, err := b.ReadInts(ids); err == nil {
		t.Error("Argmax into too small an output: want an error from ReadInts")
	}
	if _, err := b.Read(x, 0, -1); err == nil {
		t.Error("Read of a freed tensor: want an error")
	}
	y, _ := b.UploadF32([]int{2}, []float32{1, 2})
	b.Add(y, y, y)
	if got, err := b.Read(y, 0, -1); err != nil || got[0] != 2 || got[1] != 4 {
		t.Errorf("after the errors: Add gave %v, %v; want [2 4]", got, err)
	}
}
