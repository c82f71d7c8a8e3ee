//go:build js && wasm

package promise

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"
)

var (
	jsPromise = js.Global().Get("Promise")
	jsError   = js.Global().Get("Error")
)

// Await blocks the calling goroutine (never a js.FuncOf callback) until p settles: its
// value, or an error with the rejection's message.
func Await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	then := js.FuncOf(func(_ js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- result{v: v}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "promise rejected"
		if len(args) > 0 {
			msg = ErrorString(args[0])
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	p.Call("then", then, catch)
	r := <-ch
	then.Release()
	catch.Release()
	return r.v, r.err
}

// AwaitContext is Await that gives up when ctx is done (the promise still settles later;
// its result is dropped).
func AwaitContext(ctx context.Context, p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := Await(p)
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}

// ErrorString is a thrown or rejected JS value as text: an Error's message, else the value's
// String().
func ErrorString(v js.Value) string {
	if v.Type() == js.TypeObject {
		if m := v.Get("message"); m.Type() == js.TypeString {
			return m.String()
		}
	}
	return v.String()
}

// PanicError is how New reports a panic in its function: the rejection is made from it
// like from any other error.
type PanicError struct{ Value any }

func (e *PanicError) Error() string { return fmt.Sprint("go panic: ", e.Value) }

// New runs fn on a new goroutine and returns a Promise settled with its result. An error
// (a panic arrives as *PanicError) rejects the Promise with reject(err), or with a plain
// Error of err's text when reject is nil.
func New(fn func() (any, error), reject func(error) js.Value) js.Value {
	if reject == nil {
		reject = func(err error) js.Value { return jsError.New(err.Error()) }
	}
	executor := js.FuncOf(func(_ js.Value, args []js.Value) any {
		res, rej := args[0], args[1]
		go func() {
			defer func() {
				if r := recover(); r != nil {
					rej.Invoke(reject(&PanicError{Value: r}))
				}
			}()
			v, err := fn()
			if err != nil {
				rej.Invoke(reject(err))
				return
			}
			res.Invoke(v)
		}()
		return nil
	})
	defer executor.Release() // the Promise constructor calls it synchronously
	return jsPromise.New(executor)
}
