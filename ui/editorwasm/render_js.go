//go:build js && wasm

package main

import (
	"regexp"
	"syscall/js"
)

// softwareGL matches the WebGL renderer strings of software rasterizers, where the stencil
// fills of the vector path run on the CPU and cost more than the CPU raster path.
var softwareGL = regexp.MustCompile(`(?i)swiftshader|llvmpipe|softpipe|software|basic render`)

// chooseRender picks how layers are drawn: the ?render=vector|raster override, else raster
// on software WebGL and vector paths on a GPU. It also returns the renderer string seen.
func chooseRender(param js.Value) (renderMode, string) {
	gl := webglRenderer()
	switch {
	case param.Truthy() && param.String() == "raster":
		return renderRaster, gl
	case param.Truthy() && param.String() == "vector":
		return renderVector, gl
	case softwareGL.MatchString(gl):
		return renderRaster, gl
	}
	return renderVector, gl
}

// webglRenderer asks a throwaway WebGL context for the (unmasked, where the browser allows)
// renderer name, "" if there is none.
func webglRenderer() string {
	c := jsGlobal.Get("document").Call("createElement", "canvas")
	gl := c.Call("getContext", "webgl2")
	if !gl.Truthy() {
		gl = c.Call("getContext", "webgl")
	}
	if !gl.Truthy() {
		return ""
	}
	name := gl.Call("getParameter", gl.Get("RENDERER"))
	if ext := gl.Call("getExtension", "WEBGL_debug_renderer_info"); ext.Truthy() {
		name = gl.Call("getParameter", ext.Get("UNMASKED_RENDERER_WEBGL"))
	}
	if lose := gl.Call("getExtension", "WEBGL_lose_context"); lose.Truthy() {
		lose.Call("loseContext") // browsers cap live contexts; give this one back now
	}
	if name.Type() != js.TypeString {
		return ""
	}
	return name.String()
}
