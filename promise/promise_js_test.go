//go:build js && wasm

package promise

import (
	"context"
	"errors"
	"strings"
	"syscall/js"
	"testing"
	"time"
)

func TestAwait(t *testing.T) {
	v, err := Await(jsPromise.Call("resolve", 42))
	if err != nil || v.Int() != 42 {
		t.Fatalf("resolved: %v, %v; want 42", v, err)
	}
	_, err = Await(jsPromise.Call("reject", jsError.New("boom")))
	if err == nil || err.Error() != "boom" {
		t.Fatalf("rejected with Error(boom): %v", err)
	}
	_, err = Await(jsPromise.Call("reject", "plain"))
	if err == nil || err.Error() != "plain" {
		t.Fatalf("rejected with a string: %v", err)
	}
}

func TestAwaitContextGivesUp(t *testing.T) {
	never := jsPromise.New(js.FuncOf(func(js.Value, []js.Value) any { return nil }))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := AwaitContext(ctx, never); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a promise that never settles: %v, want context.DeadlineExceeded", err)
	}
}

func TestNew(t *testing.T) {
	v, err := Await(New(func() (any, error) { return "ok", nil }, nil))
	if err != nil || v.String() != "ok" {
		t.Fatalf("resolved: %v, %v", v, err)
	}
	_, err = Await(New(func() (any, error) { return nil, errors.New("bad input") }, nil))
	if err == nil || err.Error() != "bad input" {
		t.Fatalf("an error rejects with its text: %v", err)
	}
	var got error
	_, err = Await(New(func() (any, error) { panic("kaput") }, func(e error) js.Value {
		got = e
		return jsError.New("mapped: " + e.Error())
	}))
	var pe *PanicError
	if !errors.As(got, &pe) || pe.Value != "kaput" {
		t.Fatalf("a panic reaches reject as *PanicError: %#v", got)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "mapped: go panic: kaput") {
		t.Fatalf("rejection made by reject: %v", err)
	}
}
