{{/*
rmsnorm / layernorm: one 256-thread workgroup per row of x (T,C); w, b (C).
Sums go through a workgroup tree reduction. LayerNorm makes two passes
(mean, then variance of x-mean) for accuracy. .InPlace 1: x is out.
Bindings: 1 x, 2 w, 3 b, 4 out.
*/}}
{{define "normhead"}}
struct Params { C: u32, hasBias: u32, eps: f32, _p: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
var<workgroup> red: array<f32, 256>;
fn reduce(li: u32, v: f32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var off = 128u; off > 0u; off >>= 1u) {
    if (li < off) { red[li] += red[li + off]; }
    workgroupBarrier();
  }
  let s = red[0];
  workgroupBarrier();
  return s;
}
{{- end}}
{{define "xin"}}{{if eq .InPlace 1}}out{{else}}x{{end}}{{end}}

{{define "rmsnorm"}}
{{- template "normhead"}}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let base = wg.x * P.C;
  var ss = 0.0;
  for (var c = li; c < P.C; c += 256u) { let v = {{template "xin" .}}[base + c]; ss += v * v; }
  let inv = inverseSqrt(reduce(li, ss) / f32(P.C) + P.eps);
  for (var c = li; c < P.C; c += 256u) { out[base + c] = {{template "xin" .}}[base + c] * inv * w[c]; }
}
{{end}}

{{define "layernorm"}}
{{- template "normhead"}}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let base = wg.x * P.C;
  var s = 0.0;
  for (var c = li; c < P.C; c += 256u) { s += {{template "xin" .}}[base + c]; }
  let mean = reduce(li, s) / f32(P.C);
  var sv = 0.0;
  for (var c = li; c < P.C; c += 256u) { let d = {{template "xin" .}}[base + c] - mean; sv += d * d; }
  let inv = inverseSqrt(reduce(li, sv) / f32(P.C) + P.eps);
  for (var c = li; c < P.C; c += 256u) {
    var v = ({{template "xin" .}}[base + c] - mean) * inv * w[c];
    if (P.hasBias != 0u) { v += b[c]; }
    out[base + c] = v;
  }
}
{{end}}
