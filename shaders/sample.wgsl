{{/*
sample: draws one token from row `row` of logits x (T,N) with temperature,
top-k and top-p (nucleus), using a counter-based RNG (PCG hash of seed and
step), so a (seed, step) pair always gives the same draw and the decode loop
never reads logits back. One 256-thread workgroup:
 1. max and min of the row;
 2. bisection (32 steps) for the largest threshold with at least k values
    ≥ it, k = min(topK or 256, 256, N);
 3. those candidates (at most 256) are gathered and bitonic-sorted by
    (value desc, index asc), which makes the order independent of scheduling;
 4. thread 0 applies softmax(v/temperature) over the first k, cuts the
    smallest prefix whose mass reaches topP, and inverts the CDF at u ∈ [0,1).
topK = 0 means "no top-k" and is capped at 256 candidates (documented limit).
Writes out[outOff] (i32).
*/}}
{{define "sample"}}
struct Params { N: u32, row: u32, topK: u32, outOff: u32, topP: f32, invTemp: f32, seed: u32, step: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
const CAP = 256u;
var<workgroup> rv: array<f32, 256>;
var<workgroup> ri: array<u32, 256>;
var<workgroup> cnt: atomic<u32>;

fn pcg(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}
fn reduceF(li: u32, v: f32, isMax: bool) -> f32 {
  rv[li] = v;
  workgroupBarrier();
  for (var off = 128u; off > 0u; off >>= 1u) {
    if (li < off) {
      rv[li] = select(min(rv[li], rv[li + off]), max(rv[li], rv[li + off]), isMax);
    }
    workgroupBarrier();
  }
  let r = rv[0];
  workgroupBarrier();
  return r;
}
fn reduceU(li: u32, v: u32) -> u32 {
  ri[li] = v;
  workgroupBarrier();
  for (var off = 128u; off > 0u; off >>= 1u) {
    if (li < off) { ri[li] += ri[li + off]; }
    workgroupBarrier();
  }
  let r = ri[0];
  workgroupBarrier();
  return r;
}
fn before(va: f32, ia: u32, vb: f32, ib: u32) -> bool { return va > vb || (va == vb && ia < ib); }

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32) {
  let base = P.row * P.N;
  var mx = -3.4e38;
  var mn = 3.4e38;
  for (var i = li; i < P.N; i += 256u) { let v = x[base + i]; mx = max(mx, v); mn = min(mn, v); }
  mx = reduceF(li, mx, true);
  mn = reduceF(li, mn, false);
  var k = CAP;
  if (P.topK > 0u) { k = min(k, P.topK); }
  k = min(k, P.N);
  // Invariant: count(x >= lo) >= k.
  var lo = mn;
  var hi = mx;
  for (var it = 0u; it < 32u; it++) {
    let mid = lo + (hi - lo) * 0.5;
    var c = 0u;
    for (var i = li; i < P.N; i += 256u) { if (x[base + i] >= mid) { c++; } }
    if (reduceU(li, c) >= k) { lo = mid; } else { hi = mid; }
  }
  if (li == 0u) { atomicStore(&cnt, 0u); }
  rv[li] = -3.4e38;
  ri[li] = 0xffffffffu;
  workgroupBarrier();
  for (var i = li; i < P.N; i += 256u) {
    let v = x[base + i];
    if (v >= lo) {
      let slot = atomicAdd(&cnt, 1u);
      if (slot < CAP) { rv[slot] = v; ri[slot] = i; }
    }
  }
  workgroupBarrier();
  // Bitonic sort of 256 (value, index) pairs into `before` order.
  for (var size = 2u; size <= CAP; size <<= 1u) {
    for (var stride = size >> 1u; stride > 0u; stride >>= 1u) {
      let p = li ^ stride;
      var va = 0.0; var ia = 0u; var vb = 0.0; var ib = 0u; var swap = false;
      if (p > li) {
        va = rv[li]; ia = ri[li]; vb = rv[p]; ib = ri[p];
        let up = (li & size) == 0u;
        swap = select(before(va, ia, vb, ib), before(vb, ib, va, ia), up);
      }
      workgroupBarrier();
      if (swap) { rv[li] = vb; ri[li] = ib; rv[p] = va; ri[p] = ia; }
      workgroupBarrier();
    }
  }
  if (li == 0u) {
    var total = 0.0;
    for (var i = 0u; i < k; i++) { total += exp((rv[i] - mx) * P.invTemp); }
    var keep = k;
    var cum = 0.0;
    for (var i = 0u; i < k; i++) {
      cum += exp((rv[i] - mx) * P.invTemp);
      if (cum >= P.topP * total) { keep = i + 1u; break; }
    }
    var kept = 0.0;
    for (var i = 0u; i < keep; i++) { kept += exp((rv[i] - mx) * P.invTemp); }
    let u = f32(pcg(P.seed ^ pcg(P.step)) >> 8u) / 16777216.0 * kept;
    var pick = ri[0];
    var acc = 0.0;
    for (var i = 0u; i < keep; i++) {
      acc += exp((rv[i] - mx) * P.invTemp);
      if (u < acc) { pick = ri[i]; break; }
    }
    out[P.outOff] = pick;
  }
}
{{end}}
