//go:build js && wasm

// Command booleans is lamina-booleans.wasm: the path booleans of the SVG reader and the
// tokenizer (vector.CanvasBooleans, tdewolff/canvas's sweep), kept out of lamina.wasm, which
// is built without them (tag lamina_nocanvas) to stay within its download budget: canvas
// brings fonts, a TeX engine, image codecs and net/http. site/lamina-engine.mjs starts it on
// the first edit or variation (the operations that read an outside drawing), and lamina.wasm
// calls it synchronously (wasm/booleans_js.go).
//
// It also holds the SVG reader (vector.ParseSVG, with encoding/xml and CSS), which only an edit
// or a variation needs: lamina.wasm leaves it out too and gets the parsed drawing from here.
//
// API (registered through the callback named by argv[1]):
//
//	op(op, evenOdd, a: Float64Array, b: Float64Array) → Float64Array | null | Error
//	parseSVG(svg: Uint8Array) → string | Error
//
// a and b are vector.PackSubpaths layouts; null means the operation failed (the caller skips
// it and reports it), an Error that the input was malformed. parseSVG returns the document as
// vector.DocumentJSON; its Error's message is ParseSVG's.
package main

import (
	"fmt"
	"os"
	"syscall/js"

	"github.com/lamina-ml/lamina/vector"
)

func main() {
	if len(os.Args) < 2 || js.Global().Get(os.Args[1]).Type() != js.TypeFunction {
		fmt.Fprintln(os.Stderr, "lamina-booleans.wasm: start me through lamina-engine.mjs (argv[1] must name the registration callback)")
		return
	}
	api := js.Global().Get("Object").New()
	api.Set("op", js.FuncOf(op))
	api.Set("parseSVG", js.FuncOf(parseSVG))
	js.Global().Call(os.Args[1], api)
	select {}
}

func op(_ js.Value, args []js.Value) (out any) {
	defer func() {
		if r := recover(); r != nil {
			out = js.Global().Get("Error").New(fmt.Sprint("lamina-booleans: ", r))
		}
	}()
	if len(args) != 4 {
		return js.Global().Get("Error").New("lamina-booleans: op takes (op, evenOdd, a, b)")
	}
	a, err := vector.SubpathsFromJS(args[2])
	if err != nil {
		return js.Global().Get("Error").New(err.Error())
	}
	b, err := vector.SubpathsFromJS(args[3])
	if err != nil {
		return js.Global().Get("Error").New(err.Error())
	}
	res, ok := vector.CanvasBooleans(vector.BoolOp(args[0].Int()), a, args[1].Bool(), b)
	if !ok {
		return js.Null()
	}
	return vector.SubpathsToJS(res)
}

func parseSVG(_ js.Value, args []js.Value) (out any) {
	defer func() {
		if r := recover(); r != nil {
			out = js.Global().Get("Error").New(fmt.Sprint("lamina-booleans: ", r))
		}
	}()
	if len(args) != 1 || !args[0].InstanceOf(js.Global().Get("Uint8Array")) {
		return js.Global().Get("Error").New("lamina-booleans: parseSVG takes (svg: Uint8Array)")
	}
	data := make([]byte, args[0].Get("length").Int())
	js.CopyBytesToGo(data, args[0])
	doc, err := vector.ParseSVG(data)
	if err != nil {
		return js.Global().Get("Error").New(err.Error())
	}
	b, err := vector.DocumentJSON(doc)
	if err != nil {
		return js.Global().Get("Error").New(err.Error())
	}
	return string(b)
}
