package quant

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/lamina-ml/lamina/kernels"
)

// GPTQOptions are GPTQ's knobs.
type GPTQOptions struct {
	// Damp is added to H's diagonal as a fraction of its mean (the paper's
	// percdamp, 0.01 by default); it is multiplied by 10 and retried while
	// H + damp·I is not positive definite.
	Damp float64
	// ActOrder quantizes the columns in order of descending Hessian
	// diagonal (the reference's --act-order: the inputs with the most
	// energy first, while the most columns are left to absorb their
	// error), and stores the codes in the usual column order. Group grids
	// are then "static", as the reference's --static-groups: found from
	// the weights before any update, so each group still covers
	// consecutive columns of the stored layout.
	ActOrder bool
}

// ErrNotPositiveDefinite is returned when no damping up to 100× the mean
// diagonal makes the Hessian positive definite (a NaN in the inputs).
var ErrNotPositiveDefinite = errors.New("quant: Hessian not positive definite")

// GPTQ quantizes w (N,K) column by column, pushing each column's rounding
// error onto the columns not yet quantized along the inverse Hessian
// (Frantar et al. 2022, Algorithm 1). H (K,K, row-major) is Σ x·xᵀ over the
// calibration inputs x of this matrix (any positive multiple works).
//
// The paper's lazy batch updates ("blocks" of 128 columns) make the same
// arithmetic GPU-friendly; every output row runs independently with the
// same inverse-Hessian factor U, so here rows are the parallel unit and each
// column's update is one contiguous axpy of a row of U, shared by a block of
// rows while it is in cache. Group scales are found from the updated
// weights when the column loop enters the group, as in the reference.
func GPTQ(w []float32, N, K int, H []float64, s Spec, opt GPTQOptions) (*kernels.QMatrix, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if len(w) != N*K || len(H) != K*K {
		return nil, fmt.Errorf("quant: GPTQ of %d weights (%d,%d) with a %d-entry Hessian", len(w), N, K, len(H))
	}
	damp := opt.Damp
	if damp <= 0 {
		damp = 0.01
	}
	W := append([]float32(nil), w...)
	h := append([]float64(nil), H...)
	// Dead inputs (never non-zero in calibration) get H_ii = 1 and zero
	// weights, as in the reference.
	for i := 0; i < K; i++ {
		if h[i*K+i] == 0 {
			h[i*K+i] = 1
			for n := 0; n < N; n++ {
				W[n*K+i] = 0
			}
		}
	}
	// perm[i] is the column quantized i-th; W's rows and h are permuted
	// to that order, and codes go back to column perm[i].
	perm := make([]int, K)
	for i := range perm {
		perm[i] = i
	}
	var static [][]kernels.QuantGroup // static[n][g]: row n's grid of group g
	G := groupCols(s, K)
	if opt.ActOrder {
		ng := (K + G - 1) / G
		static = make([][]kernels.QuantGroup, N)
		for n := range static {
			row := W[n*K : n*K+K]
			static[n] = make([]kernels.QuantGroup, ng)
			for g := range static[n] {
				static[n][g] = kernels.FindQuantGroup(row[g*G:min(g*G+G, K)], s.Bits)
			}
		}
		sort.SliceStable(perm, func(a, b int) bool { return h[perm[a]*K+perm[a]] > h[perm[b]*K+perm[b]] })
		hp := make([]float64, K*K)
		for i, pi := range perm {
			for j, pj := range perm {
				hp[i*K+j] = h[pi*K+pj]
			}
		}
		h = hp
		tmp := make([]float32, K)
		for n := 0; n < N; n++ {
			row := W[n*K : n*K+K]
			for i, pi := range perm {
				tmp[i] = row[pi]
			}
			copy(row, tmp)
		}
	}
	var U []float32
	var err error
	for try := 0; try < 5; try++ {
		if U, err = invHessianFactor(h, K, damp); err == nil {
			break
		}
		damp *= 10
	}
	if err != nil {
		return nil, err
	}
	m, err := kernels.NewQMatrix(s.container(), N, K, s.group())
	if err != nil {
		return nil, err
	}
	const rowBlock = 8
	kernels.ParallelFor((N+rowBlock-1)/rowBlock, func(c int) {
		n0, n1 := c*rowBlock, min((c+1)*rowBlock, N)
		var p [rowBlock]kernels.QuantGroup
		for n := n0; n < n1 && static != nil; n++ {
			for g, grid := range static[n] {
				m.SetGroup(n, g, grid)
			}
		}
		for i := 0; i < K; i++ {
			u := U[i*K : i*K+K]
			d := u[i]
			col := perm[i]
			for n := n0; n < n1; n++ {
				row := W[n*K : n*K+K]
				grid := &p[n-n0]
				switch {
				case static != nil:
					grid = &static[n][col/G]
				case i%G == 0:
					p[n-n0] = kernels.FindQuantGroup(row[i:min(i+G, K)], s.Bits)
					m.SetGroup(n, i/G, p[n-n0])
				}
				q, dq := grid.Code(row[i])
				m.SetCode(n, col, q)
				e := (row[i] - dq) / d
				if i+1 < K {
					kernels.Axpy(-e, u[i+1:], row[i+1:])
				}
			}
		}
	})
	return m, nil
}

// invHessianFactor returns U (K,K) upper triangular with Uᵀ·U =
// (H + damp·mean(diag H)·I)⁻¹, as f32 (row i of U is what column i's error
// is pushed along).
func invHessianFactor(H []float64, K int, damp float64) ([]float32, error) {
	var mean float64
	for i := 0; i < K; i++ {
		mean += H[i*K+i]
	}
	mean /= float64(K)
	A := append([]float64(nil), H...)
	for i := 0; i < K; i++ {
		A[i*K+i] += damp * mean
	}
	if err := choleskyLower(A, K); err != nil {
		return nil, err
	}
	// A = L (lower). Linv = L⁻¹ by forward substitution, column by column.
	Linv := make([]float64, K*K)
	for j := 0; j < K; j++ {
		Linv[j*K+j] = 1 / A[j*K+j]
		for i := j + 1; i < K; i++ {
			var s float64
			for k := j; k < i; k++ {
				s += A[i*K+k] * Linv[k*K+j]
			}
			Linv[i*K+j] = -s / A[i*K+i]
		}
	}
	// Hinv = Linvᵀ·Linv (symmetric): Hinv[i][j] = Σ_{k ≥ max(i,j)} Linv[k][i]·Linv[k][j].
	Hinv := make([]float64, K*K)
	kernels.ParallelFor(K, func(i int) {
		for j := i; j < K; j++ {
			var s float64
			for k := j; k < K; k++ {
				s += Linv[k*K+i] * Linv[k*K+j]
			}
			Hinv[i*K+j] = s
			Hinv[j*K+i] = s
		}
	})
	if err := choleskyLower(Hinv, K); err != nil {
		return nil, err
	}
	U := make([]float32, K*K)
	for i := 0; i < K; i++ {
		for j := 0; j <= i; j++ {
			U[j*K+i] = float32(Hinv[i*K+j]) // U = Lᵀ
		}
	}
	return U, nil
}

// choleskyLower replaces the lower triangle of A (K,K) with L, A = L·Lᵀ.
func choleskyLower(A []float64, K int) error {
	for j := 0; j < K; j++ {
		s := A[j*K+j]
		for k := 0; k < j; k++ {
			s -= A[j*K+k] * A[j*K+k]
		}
		if !(s > 0) || math.IsInf(s, 0) {
			return ErrNotPositiveDefinite
		}
		d := math.Sqrt(s)
		A[j*K+j] = d
		rj := A[j*K : j*K+j]
		kernels.ParallelFor((K-j-1+63)/64, func(c int) {
			for i := j + 1 + c*64; i < min(j+1+(c+1)*64, K); i++ {
				ri := A[i*K : i*K+j]
				var t float64
				for k, v := range rj {
					t += ri[k] * v
				}
				A[i*K+j] = (A[i*K+j] - t) / d
			}
		})
	}
	return nil
}
