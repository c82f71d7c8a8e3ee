// Package shaders holds lamina's WGSL compute kernels and renders their
// variants.
//
// go:embed cannot reach outside its package, so the .wgsl files live here,
// next to the Go that renders them, each embedded as a string (an embed.FS
// and the directory globbing it needs cost lamina.wasm 23 KB brotli). Every
// kernel is a template in a small subset of text/template's syntax (tmpl.go:
// define, template, if/else if/else with eq, field output, {{- trimming); a
// Key (kernel name, weight dtype, vector width, fused epilogue flags) selects
// a variant, and Source renders it once and caches the text (the pattern of
// ebiten's builtinshader and ggml-webgpu's pipeline keys). The package is
// pure Go so its tests run natively and under js/wasm.
package shaders

import (
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"
)

//go:embed argmax.wgsl
var srcArgmax string

//go:embed attention.wgsl
var srcAttention string

//go:embed elementwise.wgsl
var srcElementwise string

//go:embed gather.wgsl
var srcGather string

//go:embed matmul.wgsl
var srcMatmul string

//go:embed matvec.wgsl
var srcMatvec string

//go:embed matvec3.wgsl
var srcMatvec3 string

//go:embed norm.wgsl
var srcNorm string

//go:embed rope.wgsl
var srcRope string

//go:embed sample.wgsl
var srcSample string

//go:embed weights.wgsl
var srcWeights string

// sources are the .wgsl files in name order (TestSourcesListed checks the list).
var sources = []struct{ name, text string }{
	{"argmax.wgsl", srcArgmax},
	{"attention.wgsl", srcAttention},
	{"elementwise.wgsl", srcElementwise},
	{"gather.wgsl", srcGather},
	{"matmul.wgsl", srcMatmul},
	{"matvec.wgsl", srcMatvec},
	{"matvec3.wgsl", srcMatvec3},
	{"norm.wgsl", srcNorm},
	{"rope.wgsl", srcRope},
	{"sample.wgsl", srcSample},
	{"weights.wgsl", srcWeights},
}

// Weight storage formats a kernel can read.
const (
	WF32  = "f32"  // array of f32
	WF16  = "f16"  // native f16 (requires the shader-f16 feature)
	WF16P = "f16p" // f16 pairs packed in u32, widened with unpack2x16float (works everywhere)
	WBF16 = "bf16" // bfloat16 pairs packed in u32, widened by a 16-bit shift
	// WQ8 and WQ4 are quantized matrices (kernels.QMatrix) in u32 words,
	// dequantized in registers (layout: weights.wgsl). Their kernels read
	// the row layout from Params words QParamWord and QParamWord+1.
	WQ8 = "q8"
	WQ4 = "q4"
)

// QParamWord is the index of the 32-bit Params word that holds a quantized
// weight's columns per group (qg); the next word holds its u32 words per row
// (qrw). Every kernel that reads weights declares both there.
const QParamWord = 8

// Key selects one rendered variant of a kernel. The zero values of the
// optional fields mean "plain"; the backend caches pipelines by Key.
type Key struct {
	Kernel string // template name, e.g. "matmul"; see Kernels
	W      string // weight format (WF32, WF16, WF16P, WBF16, WQ8, WQ4); "" means WF32
	Vec4   bool   // inner dimension is a multiple of 4: use vec4 loads
	// InPlace is 1 when the kernel's first input is its output buffer, 2
	// for the second input (WebGPU forbids binding one buffer both read-only
	// and writable in one dispatch, so aliasing ops need their own variant).
	InPlace    int
	Bias       bool // matvec: add a bias
	Norm       bool // matvec: RMS-normalise x on the fly
	SiLU       bool // matvec: silu(x·wᵀ)*(x·uᵀ) with a second weight
	Accumulate bool // matvec: out += result
}

func (k Key) String() string {
	s := k.Kernel + "/" + k.weight()
	if k.Vec4 {
		s += "/vec4"
	}
	if k.InPlace != 0 {
		s += fmt.Sprintf("/inplace%d", k.InPlace)
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{k.Bias, "bias"}, {k.Norm, "norm"}, {k.SiLU, "silu"}, {k.Accumulate, "acc"}} {
		if f.on {
			s += "/" + f.name
		}
	}
	return s
}

// Quant reports a quantized weight format (WQ8, WQ4); templates test it as
// .Quant.
func (k Key) Quant() bool { return k.W == WQ8 || k.W == WQ4 }

func (k Key) weight() string {
	if k.W == "" {
		return WF32
	}
	return k.W
}

// Binding is the kind of one bind-group entry.
type Binding int

// Binding kinds. Binding 0 of every kernel is its parameter block, a uniform
// buffer bound with a dynamic offset so one bind group serves every call.
const (
	Uniform Binding = iota
	ReadOnly
	ReadWrite
)

// Kernels lists each kernel's bind-group layout: entry i is binding i.
// Variants of a kernel share its layout; a binding a variant does not use
// is bound to a small dummy buffer.
var Kernels = map[string][]Binding{
	"matmul":    {Uniform, ReadOnly, ReadOnly, ReadOnly, ReadWrite},
	"matvec":    {Uniform, ReadOnly, ReadOnly, ReadOnly, ReadOnly, ReadOnly, ReadWrite},
	"matvec3":   {Uniform, ReadOnly, ReadOnly, ReadOnly, ReadOnly, ReadOnly, ReadWrite, ReadWrite, ReadWrite},
	"add":       {Uniform, ReadOnly, ReadOnly, ReadWrite},
	"gelu":      {Uniform, ReadOnly, ReadOnly, ReadWrite},
	"addscaled": {Uniform, ReadOnly, ReadOnly, ReadOnly, ReadWrite},
	"silumul":   {Uniform, ReadOnly, ReadOnly, ReadWrite},
	"gelumul":   {Uniform, ReadOnly, ReadOnly, ReadWrite},
	"scale":     {Uniform, ReadOnly, ReadOnly, ReadWrite},
	"fill":      {Uniform, ReadOnly, ReadOnly, ReadWrite},
	"copy":      {Uniform, ReadOnly, ReadOnly, ReadWrite},
	"rmsnorm":   {Uniform, ReadOnly, ReadOnly, ReadOnly, ReadWrite},
	"layernorm": {Uniform, ReadOnly, ReadOnly, ReadOnly, ReadWrite},
	"rope":      {Uniform, ReadWrite, ReadOnly},
	"ropecache": {Uniform, ReadWrite, ReadOnly, ReadOnly, ReadOnly, ReadWrite, ReadWrite},
	"attention": {Uniform, ReadOnly, ReadOnly, ReadOnly, ReadWrite},
	"embedding": {Uniform, ReadOnly, ReadOnly, ReadWrite},
	"argmax1":   {Uniform, ReadOnly, ReadWrite},
	"argmax2":   {Uniform, ReadOnly, ReadWrite},
	"sample":    {Uniform, ReadOnly, ReadWrite},
}

// ParamStride is the byte distance between parameter blocks in the uniform
// ring: WebGPU's default minUniformBufferOffsetAlignment (256).
const ParamStride = 256

var (
	parseOnce sync.Once
	set       *tmplSet
	parseErr  error

	mu    sync.Mutex
	cache = map[Key]string{}
)

// weightDecl is the argument of the "weights" template.
type weightDecl struct {
	Name    string
	Binding int
	W       string
	Vec4    bool
}

func parse() {
	set, parseErr = parseTemplates(sources, func(k Key, name string, binding int) weightDecl {
		return weightDecl{Name: name, Binding: binding, W: k.weight(), Vec4: k.Vec4}
	})
}

// Source returns the WGSL of one kernel variant, rendering it on first use.
func Source(k Key) (string, error) {
	if _, ok := Kernels[k.Kernel]; !ok {
		return "", fmt.Errorf("shaders: unknown kernel %q", k.Kernel)
	}
	switch k.weight() {
	case WF32, WF16, WF16P, WBF16, WQ8, WQ4:
	default:
		return "", fmt.Errorf("shaders: unknown weight format %q", k.W)
	}
	parseOnce.Do(parse)
	if parseErr != nil {
		return "", fmt.Errorf("shaders: parse: %w", parseErr)
	}
	mu.Lock()
	defer mu.Unlock()
	if s, ok := cache[k]; ok {
		return s, nil
	}
	k2 := k
	k2.W = k.weight()
	var b bytes.Buffer
	if err := set.execute(&b, k.Kernel, k2); err != nil {
		return "", fmt.Errorf("shaders: render %s: %w", k, err)
	}
	src := strings.TrimLeft(b.String(), "\n")
	cache[k] = src
	return src, nil
}

// Names lists the kernels in a stable order.
func Names() []string {
	var names []string
	for n := range Kernels {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
