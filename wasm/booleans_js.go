//go:build js && wasm && lamina_nocanvas

package main

import (
	"os"
	"sync"
	"syscall/js"

	"github.com/lamina-ml/lamina/promise"
	"github.com/lamina-ml/lamina/vector"
)

// lamina.wasm is built with the tag lamina_nocanvas (build.sh): the path booleans of the SVG
// reader and the tokenizer run in lamina-booleans.wasm (./wasm/booleans), which
// site/lamina-engine.mjs starts when ensureBooleans first asks for it, through the loader
// named by argv[2]. tdewolff/canvas and what it imports (fonts, a TeX engine, image codecs,
// net/http) would otherwise be about 0.9 MB of lamina.wasm's brotli download.

var booleansMod struct {
	mu  sync.Mutex
	api js.Value // lamina-booleans.wasm's API once started
}

// ensureBooleans starts lamina-booleans.wasm if it is not running yet (a failed start is
// retried on the next call). It blocks its goroutine on the loader's Promise, so it must not
// run in a js.Func callback itself.
func ensureBooleans() error {
	booleansMod.mu.Lock()
	defer booleansMod.mu.Unlock()
	if booleansMod.api.Truthy() {
		return nil
	}
	if len(os.Args) < 3 || js.Global().Get(os.Args[2]).Type() != js.TypeFunction {
		return coded(codeInternal, "lamina: no loader for lamina-booleans.wasm (argv[2]); start lamina.wasm through lamina.mjs")
	}
	api, err := promise.Await(js.Global().Call(os.Args[2]))
	if err != nil {
		return coded(codeNetwork, "lamina: starting lamina-booleans.wasm (path booleans for edits): %v", err)
	}
	booleansMod.api = api
	vector.SetBooleans(jsBooleans)
	return nil
}

// parseSVG is vector.ParseSVG through lamina-booleans.wasm, which holds the SVG reader (lamina.wasm
// leaves it out; every caller needs the booleans module anyway). A drawing the reader refuses is
// codeBadInput with the reader's message.
func parseSVG(svg []byte) (*vector.Document, error) {
	if err := ensureBooleans(); err != nil {
		return nil, err
	}
	u8 := jsUint8Array.New(len(svg))
	js.CopyBytesToJS(u8, svg)
	r := booleansMod.api.Call("parseSVG", u8)
	if r.InstanceOf(jsError) {
		return nil, coded(codeBadInput, "lamina: edit: %s", r.Get("message").String())
	}
	doc, err := vector.DocumentFromJSON([]byte(r.String()))
	if err != nil {
		return nil, coded(codeInternal, "lamina: the drawing from lamina-booleans.wasm: %v", err)
	}
	return doc, nil
}

// jsBooleans is vector.Booleans through lamina-booleans.wasm.
func jsBooleans(op vector.BoolOp, a []vector.Subpath, evenOdd bool, b []vector.Subpath) ([]vector.Subpath, bool) {
	r := booleansMod.api.Call("op", int(op), evenOdd, vector.SubpathsToJS(a), vector.SubpathsToJS(b))
	if r.IsNull() || r.InstanceOf(jsError) {
		if r.InstanceOf(jsError) {
			consoleError("lamina: path boolean: " + r.Get("message").String())
		}
		return nil, false
	}
	out, err := vector.SubpathsFromJS(r)
	if err != nil {
		consoleError("lamina: path boolean: " + err.Error())
		return nil, false
	}
	return out, true
}
