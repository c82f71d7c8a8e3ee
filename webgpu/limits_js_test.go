//go:build js && wasm

package webgpu

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall/js"
	"testing"

	"github.com/lamina-ml/lamina/promise"
	"github.com/lamina-ml/lamina/tensor"
)

// TestTooLargeOnLoweredDevice asks the browser for a device whose
// maxBufferSize is really lowered (300 MiB: above WebGPU's 256 MiB default,
// so the browser grants it as asked) and checks that a tensor over it is
// an ErrTooLarge naming the tensor, its size and the limit — before any
// GPU memory is touched.
func TestTooLargeOnLoweredDevice(t *testing.T) {
	const limit = 300 << 20
	be, err := NewBackendWithOptions(context.Background(), Options{MaxBufferSize: limit})
	if err != nil {
		t.Fatal(err)
	}
	b := be.(*Backend)
	defer b.Close()
	if got := int64(b.d.dev.Get("limits").Get("maxBufferSize").Float()); got != limit {
		t.Fatalf("device maxBufferSize %d, want %d (the requested limit)", got, limit)
	}
	if b.MaxBufferSize() != limit {
		t.Fatalf("MaxBufferSize() %d, want %d", b.MaxBufferSize(), limit)
	}
	// The device itself refuses a buffer one word over the limit: the
	// limit the backend checks is the one WebGPU enforces.
	b.d.dev.Call("pushErrorScope", "validation")
	b.d.dev.Call("createBuffer", map[string]any{"size": limit + 4, "usage": usageStorage})
	verr, err := promise.Await(b.d.dev.Call("popErrorScope"))
	if err != nil || verr.Type() != js.TypeObject {
		t.Fatalf("createBuffer over the device's maxBufferSize: no validation error (%v)", err)
	}
	n := limit/4 + 16 // floats: 64 bytes over
	_, err = b.Zeros(n)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Zeros(%d): %v, want ErrTooLarge", n, err)
	}
	for _, want := range []string{fmt.Sprintf("F32 [%d]", n), fmt.Sprint(4 * n), "maxBufferSize", fmt.Sprint(limit)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	var te *TooLargeError
	if !errors.As(err, &te) || te.Bytes != int64(4*n) || te.Max != limit || te.Limit != "maxBufferSize" {
		t.Errorf("TooLargeError %+v", te)
	}
	// Below the limit the backend works as before.
	y, err := b.UploadF32([]int{3}, []float32{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	b.Add(y, y, y)
	if got, err := b.Read(y, 0, -1); err != nil || fmt.Sprint(got) != "[2 4 6]" {
		t.Errorf("Add under a lowered limit: %v %v", got, err)
	}
}

// TestTooLargeSmallLimit lowers maxBufferSize below WebGPU's default (the
// browser grants the default; the backend enforces the smaller value):
// weights over it are split by rows and still compute what the CPU does;
// pieces that cannot be split fail with ErrTooLarge.
func TestTooLargeSmallLimit(t *testing.T) {
	const limit = 4096
	be, err := NewBackendWithOptions(context.Background(), Options{MaxBufferSize: limit})
	if err != nil {
		t.Fatal(err)
	}
	b := be.(*Backend)
	defer b.Close()
	if b.MaxBufferSize() != limit || b.MaxBindingSize() != limit {
		t.Fatalf("MaxBufferSize %d, MaxBindingSize %d; want both %d", b.MaxBufferSize(), b.MaxBindingSize(), limit)
	}
	for _, tc := range []struct {
		name string
		make func() error
		want []string // the error names the tensor, its bytes and the limit
	}{
		{"weight row", func() error {
			_, err := b.Upload([]int{3, 2000}, tensor.F32, make([]byte, 3*2000*4))
			return err
		}, []string{"one row of F32 [3 2000]", "8000 bytes", "maxBufferSize of 4096"}},
		{"f16 weight row", func() error {
			_, err := b.Upload([]int{2, 2049}, tensor.F16, make([]byte, 2*2049*2))
			return err
		}, []string{"one row of F16 [2 2049]", "4098 bytes", "maxBufferSize of 4096"}},
		{"activation", func() error {
			_, err := b.Zeros(2, 1000)
			return err
		}, []string{"F32 [2 1000]", "8000 bytes", "maxBufferSize of 4096"}},
		{"f32 vector", func() error {
			_, err := b.UploadF32([]int{1025}, make([]float32, 1025))
			return err
		}, []string{"F32 [1025]", "4100 bytes", "maxBufferSize of 4096"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.make()
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("%v, want ErrTooLarge", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}

	if err := b.CheckBinding("logits", limit); err != nil {
		t.Errorf("CheckBinding at the limit: %v", err)
	}
	if err := b.CheckBinding("logits", limit+4); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "logits is 4100 bytes, over the device's maxBufferSize of 4096") {
		t.Errorf("CheckBinding over the limit: %v", err)
	}

	// A (40,100) f32 weight is 16000 bytes: four pieces of 10 rows; the
	// matmul over them matches the CPU's.
	r := rand.New(rand.NewPCG(31, 32))
	x := upload(t, b, []int{3, 100}, tensor.F32, randF32(r, 300, 1))
	w := uploadW(t, b, []int{40, 100}, tensor.F32, randF32(r, 4000, 0.5))
	if got := len(w.g.(*gtensor).chunks); got != 4 {
		t.Errorf("16000-byte weight in %d buffers, want 4 under a 4096-byte limit", got)
	}
	out := zeros(t, b, 3, 40)
	b.MatMul(out.g, x.g, w.g, nil)
	cpu.MatMul(out.c, x.c, w.c, nil)
	check(t, b, "MatMul/maxBufferSize=4096", out, nmseF32, absF32)
}
