{{/*
attention: causal softmax(q·kᵀ·scale)·v over a KV cache with grouped-query
heads. q is (T,H*D); kc, vc are (S,G*D) and hold positions 0..pos+T-1;
out is (T,H*D). One 64-thread workgroup per (head h, query row t); query
row t sits at position pos+t and sees keys 0..pos+t. Keys go in chunks of 64:
each thread scores one key, the workgroup reduces max and sum (online
softmax, Milakov & Gimelshein 2018), then each thread accumulates D/64 of
the output dimensions from the chunk's probabilities. Workgroup memory is
q (≤256) + probabilities + scratch ≈ 1.5 KiB, far under 16 KiB.
Needs D ≤ 256. With full = 1 the mask is off and pos is the key count.
window > 0 is the sliding mask: row t sees only keys pos+t-window+1..pos+t.
ring > 0 says the caches are a ring of that many rows: key position p is
at row p mod ring (tensor.AttentionArgs.Ring); a chunk's 64 keys then
span at most two runs of rows.
*/}}
{{define "attention"}}
struct Params { T: u32, H: u32, G: u32, D: u32, pos: u32, scale: f32, full: u32, window: u32, ring: u32, _p1: u32, _p2: u32, _p3: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
{{- if .Vec4}}
@group(0) @binding(2) var<storage, read> kc: array<vec4<f32>>;
{{- else}}
@group(0) @binding(2) var<storage, read> kc: array<f32>;
{{- end}}
@group(0) @binding(3) var<storage, read> vc: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
const WG = 64u;
const NEG = -3.0e38;
var<workgroup> qs: array<vec4<f32>, 64>; // q·scale, D ≤ 256
var<workgroup> ps: array<f32, 64>;
var<workgroup> red: array<f32, 64>;

fn reduceMax(li: u32, v: f32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var off = 32u; off > 0u; off >>= 1u) {
    if (li < off) { red[li] = max(red[li], red[li + off]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
fn reduceSum(li: u32, v: f32) -> f32 {
  red[li] = v;
  workgroupBarrier();
  for (var off = 32u; off > 0u; off >>= 1u) {
    if (li < off) { red[li] += red[li + off]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let h = wg.x;
  let t = wg.y;
  let g = h / (P.H / P.G);
  let qStride = P.H * P.D;
  let kvStride = P.G * P.D;
  for (var d = li; d < P.D; d += WG) { qs[d >> 2u][d & 3u] = q[t * qStride + h * P.D + d] * P.scale; }
  workgroupBarrier();
  var acc = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
  var m = NEG;
  var l = 0.0;
  // Causal: row t sees keys 0..pos+t, or the last `window` of them. Full
  // (bidirectional, DiffusionOps' AttentionFull): every row sees all `pos`
  // keys.
  let end = select(P.pos + t + 1u, P.pos, P.full != 0u);
  var start = 0u;
  if (P.full == 0u && P.window > 0u && end > P.window) { start = end - P.window; }
  for (var j0 = start; j0 < end; j0 += WG) {
    let j = j0 + li;
    var row = j;
    if (P.ring > 0u) { row = j % P.ring; }
    var s = NEG;
    if (j < end) {
      // Four independent partial sums keep several loads in flight (the
      // loop bound is not a constant, so the compiler may not unroll it).
      var s4 = vec4<f32>(0.0);
{{- if .Vec4}}
      let kb = (row * kvStride + g * P.D) >> 2u;
      let D4 = P.D >> 2u;
      var d4 = 0u;
      for (; d4 + 3u < D4; d4 += 4u) {
        s4 += vec4<f32>(dot(qs[d4], kc[kb + d4]), dot(qs[d4 + 1u], kc[kb + d4 + 1u]),
                        dot(qs[d4 + 2u], kc[kb + d4 + 2u]), dot(qs[d4 + 3u], kc[kb + d4 + 3u]));
      }
      for (; d4 < D4; d4++) { s4.x += dot(qs[d4], kc[kb + d4]); }
{{- else}}
      let kb = row * kvStride + g * P.D;
      for (var d = 0u; d < P.D; d++) { s4.x += qs[d >> 2u][d & 3u] * kc[kb + d]; }
{{- end}}
      s = (s4.x + s4.y) + (s4.z + s4.w);
    }
    let mnew = max(m, reduceMax(li, s));
    var p = 0.0;
    if (j < end) { p = exp(s - mnew); }
    ps[li] = p;
    let corr = exp(m - mnew);
    l = l * corr + reduceSum(li, p);
    let cnt = min(WG, end - j0);
    // The chunk's keys lie in rows r0..r0+c1-1 and (a ring's wrap) 0..cnt-c1-1.
    var r0 = j0;
    var c1 = cnt;
    if (P.ring > 0u) {
      r0 = j0 % P.ring;
      c1 = min(cnt, P.ring - r0);
    }
    for (var r = 0u; r < 4u; r++) {
      let d = li + r * WG;
      if (d < P.D) {
        var a = acc[r] * corr;
        var vb = r0 * kvStride + g * P.D + d; // ps[jj]'s value is at vb + (jj - off)·kvStride
        var off = 0u;
        var jj = 0u;
        var lim = c1;
        for (var run = 0u; run < 2u; run++) {
          for (; jj + 3u < lim; jj += 4u) {
            let b = vb + (jj - off) * kvStride;
            a += (ps[jj] * vc[b] + ps[jj + 1u] * vc[b + kvStride]) +
                 (ps[jj + 2u] * vc[b + 2u * kvStride] + ps[jj + 3u] * vc[b + 3u * kvStride]);
          }
          for (; jj < lim; jj++) { a += ps[jj] * vc[vb + (jj - off) * kvStride]; }
          // The wrapped run: ps[c1+i] is row i.
          vb = g * P.D + d;
          off = c1;
          lim = cnt;
        }
        acc[r] = a;
      }
    }
    m = mnew;
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let d = li + r * WG;
    if (d < P.D) { out[t * qStride + h * P.D + d] = acc[r] / l; }
  }
}
{{end}}
