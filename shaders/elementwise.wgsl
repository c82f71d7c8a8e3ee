{{/*
Elementwise kernels over n f32 values. 256 threads per workgroup; the grid
is 2-D (x ≤ 65535) so more than 16M elements still fit, and the flat index
is (wg.y*nwg.x + wg.x)*256 + lane. .InPlace 1 means the first input is the
output buffer itself (WebGPU forbids binding one buffer as both read-only and
writable storage in one dispatch), 2 the same for the second input.
*/}}
{{define "index"}}
  let i = (wg.y * nwg.x + wg.x) * 256u + li;
  if (i >= P.n) { return; }
{{- end}}

{{define "add"}}
struct Params { n: u32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
{{- template "index"}}
{{- if eq .InPlace 1}}
  out[i] = out[i] + b[i];
{{- else if eq .InPlace 2}}
  out[i] = a[i] + out[i];
{{- else}}
  out[i] = a[i] + b[i];
{{- end}}
}
{{end}}

{{define "gelufn"}}
fn geluTanh(v: f32) -> f32 {
  // tanh(z) = 1 - 2/(exp(2z)+1), written out because some implementations'
  // tanh returns NaN for large |z|; clamping keeps exp finite.
  let z = clamp(0.7978845608028654 * (v + 0.044715 * v * v * v), -15.0, 15.0);
  let th = 1.0 - 2.0 / (exp(2.0 * z) + 1.0);
  return 0.5 * v * (1.0 + th);
}
{{- end}}

{{define "gelu"}}
struct Params { n: u32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
{{- template "gelufn"}}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
{{- template "index"}}
{{- if eq .InPlace 1}}
  let v = out[i];
{{- else}}
  let v = a[i];
{{- end}}
  out[i] = geluTanh(v);
}
{{end}}

{{/* Gated kernels (silumul, gelumul): out = act(gate) * up with gate a,
up b; "gated" declares their bindings, "gatedmain" opens main and loads
g and u (.InPlace as for add). */}}
{{define "gated"}}
struct Params { n: u32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
{{- end}}

{{define "gatedmain"}}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
{{- template "index"}}
{{- if eq .InPlace 1}}
  let g = out[i];
  let u = b[i];
{{- else if eq .InPlace 2}}
  let g = a[i];
  let u = out[i];
{{- else}}
  let g = a[i];
  let u = b[i];
{{- end}}
{{- end}}

{{define "silumul"}}
{{- template "gated" .}}
{{- template "gatedmain" .}}
  out[i] = g / (1.0 + exp(-g)) * u;
}
{{end}}

{{/* gelumul: out = gelu_tanh(gate) * up (Gemma 3's GeGLU). */}}
{{define "gelumul"}}
{{- template "gated" .}}
{{- template "gelufn"}}
{{- template "gatedmain" .}}
  out[i] = geluTanh(g) * u;
}
{{end}}

{{/* scale: out *= s in place (Gemma 3's embedding scale). */}}
{{define "scale"}}
struct Params { n: u32, s: f32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
{{- template "index"}}
  out[i] = out[i] * P.s;
}
{{end}}

{{define "fill"}}
struct Params { n: u32, value: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
{{- template "index"}}
  out[i] = P.value;
}
{{end}}

{{/* copy: dst[dstOff+i] = src[srcOff+i] for i < n (32-bit words). */}}
{{define "copy"}}
struct Params { n: u32, srcOff: u32, dstOff: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
{{- template "index"}}
  out[P.dstOff + i] = a[P.srcOff + i];
}
{{end}}

{{/* addscaled: out[t,c] = a[t,c] + s[c]*b[t,c], s (C) broadcast over rows
(adaLN-Zero's gated residual). .InPlace 1: a is out. */}}
{{define "addscaled"}}
struct Params { n: u32, C: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> s: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
{{- template "index"}}
{{- if eq .InPlace 1}}
  out[i] = out[i] + s[i % P.C] * b[i];
{{- else}}
  out[i] = a[i] + s[i % P.C] * b[i];
{{- end}}
}
{{end}}
