//go:build js && wasm

// DOM lookups, event wiring, the status line, and the JS Promise bridge the editor uses.

package main

import (
	"fmt"
	"syscall/js"

	"honnef.co/go/js/dom/v2"

	"github.com/lamina-ml/lamina/promise"
)

func byID(id string) dom.Element {
	el := document.GetElementByID(id)
	if el == nil {
		panic("editor: editor.html lacks #" + id)
	}
	return el
}

func input(el dom.Element) *dom.HTMLInputElement { return el.(*dom.HTMLInputElement) }

// listener is anything events can be listened on (elements, the document).
type listener interface {
	AddEventListener(typ string, useCapture bool, listener func(dom.Event)) js.Func
}

func (a *app) on(el listener, typ string, f func(ev dom.Event)) {
	a.funcs = append(a.funcs, el.AddEventListener(typ, false, f))
}

func (a *app) onClick(id string, f func()) {
	a.on(byID(id), "click", func(dom.Event) { f() })
}

func (a *app) setStatus(msg string, isErr bool) {
	a.status.SetTextContent(msg)
	if isErr {
		a.status.Class().Add("error")
	} else {
		a.status.Class().Remove("error")
	}
}

func (a *app) report(err error) {
	if err != nil {
		a.setStatus(err.Error(), true)
	}
}

func fetchBytes(url string) ([]byte, error) {
	resp, err := promise.Await(jsGlobal.Call("fetch", url))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	if !resp.Get("ok").Bool() {
		return nil, fmt.Errorf("fetch %s: HTTP %d", url, resp.Get("status").Int())
	}
	buf, err := promise.Await(resp.Call("arrayBuffer"))
	if err != nil {
		return nil, err
	}
	u8 := jsGlobal.Get("Uint8Array").New(buf)
	b := make([]byte, u8.Get("length").Int())
	js.CopyBytesToGo(b, u8)
	return b, nil
}

// statusSink shows a rejected promise's error in the status line.
var statusSink func(error)

// newPromise runs f on a goroutine and settles a JS Promise with its result; a rejection
// is also shown in the status line.
func newPromise(f func() (any, error)) js.Value {
	return promise.New(f, func(err error) js.Value {
		if statusSink != nil {
			statusSink(err)
		}
		return jsGlobal.Get("Error").New(err.Error())
	})
}
