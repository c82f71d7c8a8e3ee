{{/*
rope: rotate-half RoPE (GPT-NeoX / Llama pairing) in place. x is
(T, heads*D); invFreq (D/2). For j < D/2 the pair (x[j], x[j+D/2]) of head h
in row t is rotated by angle (pos0+t)*invFreq[j].
ropecache (fused decode/prefill step): rotates q (T,H*D) in place, rotates
k (T,G*D) into kCache rows pos0.. and copies v (T,G*D) into vCache rows
pos0.. — one dispatch instead of four.
*/}}
{{define "rotate"}}
// sincos with its own range reduction: WGSL only bounds sin/cos error on
// [-π, π] (absolute 2^-11), and RoPE angles reach thousands of radians, so
// the builtins give per-GPU results off by ~2e-4. Cody–Waite reduction by
// π/2 with a 3-part constant (exact k·PIO2_1 for |k| < 2^15) and the Cephes
// sinf/cosf minimax polynomials on [-π/4, π/4] give ~1 ulp everywhere.
fn sincos(a: f32) -> vec2<f32> {
  let k = round(a * 0.63661977236758134);
  let r = ((a - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  let q = i32(k) & 3;
  if (q == 0) { return vec2<f32>(s, c); }
  if (q == 1) { return vec2<f32>(c, -s); }
  if (q == 2) { return vec2<f32>(-s, -c); }
  return vec2<f32>(-c, s);
}
fn rot(v0: f32, v1: f32, pos: u32, j: u32) -> vec2<f32> {
  let sc = sincos(f32(pos) * invFreq[j]);
  return vec2<f32>(v0 * sc.y - v1 * sc.x, v1 * sc.y + v0 * sc.x);
}
{{- end}}

{{define "rope"}}
struct Params { T: u32, heads: u32, D: u32, pos0: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> invFreq: array<f32>;
{{template "rotate"}}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * 256u + li;
  let half = P.D / 2u;
  if (i >= P.T * P.heads * half) { return; }
  let j = i % half;
  let th = i / half;          // t*heads + h
  let t = th / P.heads;
  let b = th * P.D + j;
  let r = rot(x[b], x[b + half], P.pos0 + t, j);
  x[b] = r.x;
  x[b + half] = r.y;
}
{{end}}

{{define "ropecache"}}
struct Params { T: u32, H: u32, G: u32, D: u32, pos0: u32, _p0: u32, _p1: u32, _p2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> invFreq: array<f32>;
@group(0) @binding(5) var<storage, read_write> kc: array<f32>;
@group(0) @binding(6) var<storage, read_write> vc: array<f32>;
{{template "rotate"}}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  var i = (wg.y * nwg.x + wg.x) * 256u + li;
  let half = P.D / 2u;
  let nq = P.T * P.H * half;
  let nk = P.T * P.G * half;
  let nv = P.T * P.G * P.D;
  if (i < nq) {
    let j = i % half;
    let th = i / half;
    let b = th * P.D + j;
    let r = rot(q[b], q[b + half], P.pos0 + th / P.H, j);
    q[b] = r.x;
    q[b + half] = r.y;
    return;
  }
  i -= nq;
  if (i < nk) {
    let j = i % half;
    let th = i / half;
    let t = th / P.G;
    let b = th * P.D + j;
    let r = rot(k[b], k[b + half], P.pos0 + t, j);
    let o = (P.pos0 + t) * P.G * P.D + (th % P.G) * P.D + j;
    kc[o] = r.x;
    kc[o + half] = r.y;
    return;
  }
  i -= nk;
  if (i < nv) {
    vc[P.pos0 * P.G * P.D + i] = v[i];
  }
}
{{end}}
