//go:build js && wasm

// DOM lookups, event wiring, the status line, and the JS Promise bridge the editor uses.

package main

import (
	"fmt"
	"syscall/js"
	"time"

	"github.com/lamina-ml/lamina/promise"
)

// element and event wrap syscall/js values with the few DOM calls the editor makes. They
// replace honnef.co/go/js/dom/v2: ebiten links text/template, whose MethodByName makes the
// linker keep every exported method of every reachable type, and dom's thousands of
// methods were about 18 MB of editor.wasm.
type domElem struct{ v js.Value }

// element is nil where the DOM gives null (no such element).
type element = *domElem

// elementOrNil wraps v, or gives nil for JS null/undefined (as the DOM's lookups return).
func elementOrNil(v js.Value) element {
	if v.IsNull() || v.IsUndefined() {
		return nil
	}
	return &domElem{v}
}

func (e *domElem) Underlying() js.Value         { return e.v }
func (e *domElem) Get(k string) js.Value        { return e.v.Get(k) }
func (e *domElem) SetTextContent(s string)      { e.v.Set("textContent", s) }
func (e *domElem) TextContent() string          { return e.v.Get("textContent").String() }
func (e *domElem) SetInnerHTML(s string)        { e.v.Set("innerHTML", s) }
func (e *domElem) Value() string                { return e.v.Get("value").String() }
func (e *domElem) SetValue(s string)            { e.v.Set("value", s) }
func (e *domElem) TagName() string              { return e.v.Get("tagName").String() }
func (e *domElem) GetAttribute(k string) string { return e.v.Call("getAttribute", k).String() }
func (e *domElem) SetAttribute(k, val string)   { e.v.Call("setAttribute", k, val) }
func (e *domElem) Focus()                       { e.v.Call("focus") }
func (e *domElem) Select()                      { e.v.Call("select") }
func (e *domElem) Location() js.Value           { return e.v.Get("location") }
func (e *domElem) Class() classList             { return classList{e.v.Get("classList")} }
func (e *domElem) Closest(sel string) element   { return elementOrNil(e.v.Call("closest", sel)) }
func (e *domElem) QuerySelector(sel string) element {
	return elementOrNil(e.v.Call("querySelector", sel))
}
func (e *domElem) GetElementByID(id string) element {
	return elementOrNil(e.v.Call("getElementById", id))
}
func (e *domElem) QuerySelectorAll(sel string) []element {
	l := e.v.Call("querySelectorAll", sel)
	out := make([]element, l.Length())
	for i := range out {
		out[i] = &domElem{l.Index(i)}
	}
	return out
}

// AddEventListener listens for typ and gives the js.Func to release.
func (e *domElem) AddEventListener(typ string, useCapture bool, f func(event)) js.Func {
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		f(event{args[0]})
		return nil
	})
	e.v.Call("addEventListener", typ, fn, useCapture)
	return fn
}

// classList is an element's DOMTokenList.
type classList struct{ v js.Value }

func (c classList) Add(s string)                 { c.v.Call("add", s) }
func (c classList) Remove(s string)              { c.v.Call("remove", s) }
func (c classList) Contains(s string) bool       { return c.v.Call("contains", s).Bool() }
func (c classList) Toggle(s string)              { c.v.Call("toggle", s) }
func (c classList) SetPresent(s string, on bool) { c.v.Call("toggle", s, on) }

type event struct{ v js.Value }

func (e event) Underlying() js.Value { return e.v }
func (e event) Target() element      { return elementOrNil(e.v.Get("target")) }
func (e event) PreventDefault()      { e.v.Call("preventDefault") }
func (e event) StopPropagation()     { e.v.Call("stopPropagation") }

func byID(id string) element {
	el := document.GetElementByID(id)
	if el == nil {
		panic("editor: editor.html lacks #" + id)
	}
	return el
}

func input(el element) element { return el }

// listener is anything events can be listened on (elements, the document).
type listener interface {
	AddEventListener(typ string, useCapture bool, listener func(event)) js.Func
}

func (a *app) on(el listener, typ string, f func(ev event)) {
	a.funcs = append(a.funcs, el.AddEventListener(typ, false, f))
}

func (a *app) onClick(id string, f func()) {
	a.on(byID(id), "click", func(event) { f() })
}

// How long a status message stays before expireStatus replaces it: long enough to read a
// sentence twice, longer for errors.
const (
	statusTTL      = 8 * time.Second
	statusErrorTTL = 15 * time.Second
)

func (a *app) setStatus(msg string, isErr bool) {
	a.statusRev = a.e.Revision
	a.statusAt, a.statusErr = time.Now(), isErr
	a.status.SetTextContent(msg)
	if isErr {
		a.status.Class().Add("error")
	} else {
		a.status.Class().Remove("error")
	}
}

// expireStatus replaces a notice once the document has changed since it was shown (e.g.
// "Restored your last drawing", or a refusal, after the next edit) with what the last change
// was.
func (a *app) expireStatus() {
	if a.e.Busy() {
		return
	}
	if a.statusRev == a.e.Revision {
		ttl := statusTTL
		if a.statusErr {
			ttl = statusErrorTTL
		}
		if a.statusAt.IsZero() || time.Since(a.statusAt) < ttl {
			return
		}
		// Expired by time: a quiet line that says where things stand, and stays.
		a.setStatus(fmt.Sprintf("%d layers.", len(a.e.Doc.Layers)), false)
		a.statusAt = time.Time{}
		return
	}
	msg := fmt.Sprintf("%d layers.", len(a.e.Doc.Layers))
	if l := a.e.UndoLabel(); l != "" {
		msg = fmt.Sprintf("%s %s (%s+Z undoes it).", msg, l, a.modName())
	}
	a.setStatus(msg, false)
}

// focusCanvas gives the keyboard back to the canvas after a panel control was used, so
// shortcuts (which text fields and sliders swallow) work again.
func (a *app) focusCanvas(ev event) {
	if t := ev.Target(); t != nil {
		t.Underlying().Call("blur")
	}
	a.canvas.Call("focus", map[string]any{"preventScroll": true})
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

// span starts a timed span of the page's work, ended by calling what it returns: with
// ?debug=1 each span is a performance.measure (it shows in a Chromium trace and the
// Performance panel) and a console line "span NAME MS"; otherwise it costs nothing.
func span(name string) func() {
	if !debug {
		return func() {}
	}
	perf := jsGlobal.Get("performance")
	t0 := perf.Call("now").Float()
	return func() {
		t1 := perf.Call("now").Float()
		o := jsGlobal.Get("Object").New()
		o.Set("start", t0)
		o.Set("end", t1)
		perf.Call("measure", name, o)
		jsGlobal.Get("console").Call("log", fmt.Sprintf("span %s %.1f", name, t1-t0))
	}
}
