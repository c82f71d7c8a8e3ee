{{/*
matvec3: the q, k and v projections of a decode step in one dispatch:
n = RMSNorm(x, normw, eps); q = n·wqᵀ, k = n·wkᵀ, v = n·wvᵀ. x is (T,K);
wq (Nq,K), wk and wv (Nkv,K), all in dtype .W; q (T,Nq), k and v (T,Nkv).
Output rows are numbered q, then k, then v; each workgroup owns 8 of them
(32 lanes per row split K, as in matvec), so a workgroup may straddle two
weights. Grid: (ceil((Nq+2·Nkv)/8), T). Saves two dispatches per layer.
*/}}
{{define "matvec3"}}
{{- if eq .W "f16"}}enable f16;{{end}}
struct Params { T: u32, Nq: u32, Nkv: u32, K: u32, eps: f32, _p0: u32, _p1: u32, _p2: u32,
                 qg: u32, qrw: u32, _q0: u32, _q1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
{{- if .Vec4}}
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> normw: array<vec4<f32>>;
{{- else}}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(5) var<storage, read> normw: array<f32>;
{{- end}}
{{template "weights" (wdecl . "wq" 2)}}
{{template "weights" (wdecl . "wk" 3)}}
{{template "weights" (wdecl . "wv" 4)}}
@group(0) @binding(6) var<storage, read_write> oq: array<f32>;
@group(0) @binding(7) var<storage, read_write> ok: array<f32>;
@group(0) @binding(8) var<storage, read_write> ov: array<f32>;

var<workgroup> red: array<f32, 256>;

fn xn(xb: u32, k: u32, inv: f32) -> {{if .Vec4}}vec4<f32>{{else}}f32{{end}} {
  return x[xb + k] * inv * normw[k];
}
{{- if .Quant}}{{if .Vec4}}
fn xq(xb: u32, k4: u32, inv: f32) -> vec4<f32> { return xn(xb, k4, inv); }
{{template "qdot" (wdecl . "wq" 2)}}
{{template "qdot" (wdecl . "wk" 3)}}
{{template "qdot" (wdecl . "wv" 4)}}
{{- end}}{{end}}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = wg.y;
  let lane = li & 31u;
  let n = wg.x * 8u + (li >> 5u);
  var ss = 0.0;
  for (var k = li; k < P.K; k += 256u) {
{{- if .Vec4}}
    let v = x[(t * P.K + k) >> 2u][k & 3u];
{{- else}}
    let v = x[t * P.K + k];
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

  var s = 0.0;
{{- if .Vec4}}
  let K4 = P.K >> 2u;
  let xb = (t * P.K) >> 2u;
{{- if .Quant}}
  if (n < P.Nq) {
    s = wqDot(n, lane, xb, inv);
  } else if (n < P.Nq + P.Nkv) {
    s = wkDot(n - P.Nq, lane, xb, inv);
  } else if (n < P.Nq + 2u * P.Nkv) {
    s = wvDot(n - P.Nq - P.Nkv, lane, xb, inv);
  }
{{- else}}
  if (n < P.Nq) {
    for (var k4 = lane; k4 < K4; k4 += 32u) { s += dot(xn(xb, k4, inv), wq4(n, k4 * 4u)); }
  } else if (n < P.Nq + P.Nkv) {
    let r = n - P.Nq;
    for (var k4 = lane; k4 < K4; k4 += 32u) { s += dot(xn(xb, k4, inv), wk4(r, k4 * 4u)); }
  } else if (n < P.Nq + 2u * P.Nkv) {
    let r = n - P.Nq - P.Nkv;
    for (var k4 = lane; k4 < K4; k4 += 32u) { s += dot(xn(xb, k4, inv), wv4(r, k4 * 4u)); }
  }
{{- end}}
{{- else}}
  let xb = t * P.K;
  if (n < P.Nq) {
    for (var k = lane; k < P.K; k += 32u) { s += xn(xb, k, inv) * wq1(n, k); }
  } else if (n < P.Nq + P.Nkv) {
    let r = n - P.Nq;
    for (var k = lane; k < P.K; k += 32u) { s += xn(xb, k, inv) * wk1(r, k); }
  } else if (n < P.Nq + 2u * P.Nkv) {
    let r = n - P.Nq - P.Nkv;
    for (var k = lane; k < P.K; k += 32u) { s += xn(xb, k, inv) * wv1(r, k); }
  }
{{- end}}
  red[li] = s;
  workgroupBarrier();
  for (var off = 16u; off > 0u; off >>= 1u) {
    if (lane < off) { red[li] += red[li + off]; }
    workgroupBarrier();
  }
  if (lane == 0u) {
    let r = red[li];
    if (n < P.Nq) {
      oq[t * P.Nq + n] = r;
    } else if (n < P.Nq + P.Nkv) {
      ok[t * P.Nkv + n - P.Nq] = r;
    } else if (n < P.Nq + 2u * P.Nkv) {
      ov[t * P.Nkv + n - P.Nq - P.Nkv] = r;
    }
  }
}
{{end}}
