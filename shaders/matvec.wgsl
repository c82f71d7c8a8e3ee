{{/*
matvec: out = x·wᵀ for a few rows of x (decode, T small). x is (T,K) f32,
w is (N,K) in dtype .W (a row-chunk: rows nOff..nOff+N), out is
(T,outStride) and this dispatch writes columns nOff..nOff+N. With .W q8 or
q4 it is the fused dequantize-matvec: codes are read as packed u32 words and
widened in registers (weights.wgsl), never in memory.
Each workgroup owns 8 output columns; 32 lanes split K between them and
reduce in workgroup memory, so any K works (split-K inside the workgroup).
Grid: (ceil(N/8), T).
Fused variants (each saves a dispatch per use in a decode step, and decode is
bound by dispatch count, not bandwidth):
  .Norm   x is RMS-normalised on the fly: x*rsqrt(mean(x²)+eps)*normw;
  .SiLU   a second weight w2 (up) gives out = silu(x·wᵀ) * (x·w2ᵀ);
  .Accumulate  out += result (the residual add of an output projection).
*/}}
{{define "matvec"}}
{{- if eq .W "f16"}}enable f16;{{end}}
struct Params { T: u32, N: u32, K: u32, outStride: u32, nOff: u32, hasBias: u32, eps: f32, _p: u32,
                 qg: u32, qrw: u32, _q0: u32, _q1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
{{- if .Vec4}}
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
{{- else}}
@group(0) @binding(1) var<storage, read> x: array<f32>;
{{- end}}
{{template "weights" (wdecl . "w" 2)}}
{{- if .SiLU}}
{{template "weights" (wdecl . "u" 3)}}
{{- end}}
{{- if .Quant}}
{{- if .Vec4}}
fn xq(xb: u32, k4: u32, inv: f32) -> vec4<f32> {
{{- if .Norm}}
  return x[xb + k4] * inv * normw[k4];
{{- else}}
  return x[xb + k4];
{{- end}}
}
{{template "qdot" (wdecl . "w" 2)}}
{{- if .SiLU}}
{{template "qdot" (wdecl . "u" 3)}}
{{- end}}
{{- end}}
{{- end}}
{{- if .Bias}}
@group(0) @binding(4) var<storage, read> bias: array<f32>;
{{- end}}
{{- if .Norm}}
{{- if .Vec4}}
@group(0) @binding(5) var<storage, read> normw: array<vec4<f32>>;
{{- else}}
@group(0) @binding(5) var<storage, read> normw: array<f32>;
{{- end}}
{{- end}}
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, 256>;
{{- if .SiLU}}
var<workgroup> red2: array<f32, 256>;
{{- end}}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = wg.y;
  let row = li >> 5u;
  let lane = li & 31u;
  let n = wg.x * 8u + row;
  let xb = t * P.K;
{{- if .Norm}}
  var ss = 0.0;
  for (var k = li; k < P.K; k += 256u) {
{{- if .Vec4}}
    let v = x[(xb >> 2u) + (k >> 2u)][k & 3u];
{{- else}}
    let v = x[xb + k];
{{- end}}
    ss += v * v;
  }
  red[li] = ss;
  workgroupBarrier();
  for (var off = 128u; off > 0u; off >>= 1u) {
    if (li < off) { red[li] += red[li + off]; }
    workgroupBarrier();
  }
  let inv = inverseSqrt(red[0] / f32(P.K) + P.eps);
  workgroupBarrier();
{{- end}}
  var s = 0.0;
{{- if .SiLU}}
  var s2 = 0.0;
{{- end}}
  if (n < P.N) {
{{- if .Vec4}}
{{- if .Quant}}
    s = wDot(n, lane, xb >> 2u, {{if .Norm}}inv{{else}}1.0{{end}});
{{- if .SiLU}}
    s2 = uDot(n, lane, xb >> 2u, inv);
{{- end}}
{{- else}}
    let K4 = P.K >> 2u;
    for (var k4 = lane; k4 < K4; k4 += 32u) {
      var xv = x[(xb >> 2u) + k4];
{{- if .Norm}}
      xv = xv * inv * normw[k4];
{{- end}}
      s += dot(xv, w4(n, k4 * 4u));
{{- if .SiLU}}
      s2 += dot(xv, u4(n, k4 * 4u));
{{- end}}
    }
{{- end}}
{{- else}}
    for (var k = lane; k < P.K; k += 32u) {
      var xv = x[xb + k];
{{- if .Norm}}
      xv = xv * inv * normw[k];
{{- end}}
      s += xv * w1(n, k);
{{- if .SiLU}}
      s2 += xv * u1(n, k);
{{- end}}
    }
{{- end}}
  }
  red[li] = s;
{{- if .SiLU}}
  red2[li] = s2;
{{- end}}
  workgroupBarrier();
  for (var off = 16u; off > 0u; off >>= 1u) {
    if (lane < off) {
      red[li] += red[li + off];
{{- if .SiLU}}
      red2[li] += red2[li + off];
{{- end}}
    }
    workgroupBarrier();
  }
  if (lane == 0u && n < P.N) {
    var r = red[li];
{{- if .Bias}}
    if (P.hasBias != 0u) { r += bias[P.nOff + n]; }
{{- end}}
{{- if .SiLU}}
    r = r / (1.0 + exp(-r)) * red2[li];
{{- end}}
    let o = t * P.outStride + P.nOff + n;
{{- if .Accumulate}}
    out[o] += r;
{{- else}}
    out[o] = r;
{{- end}}
  }
}
{{end}}
