{{/*
Argmax in two passes (a single workgroup per row would leave most of the GPU
idle on a 150k vocabulary). argmax1: grid (nChunks, T); each workgroup
reduces 1024 values of row t to (value, index) in partial[(t*nChunks+c)*2].
argmax2: grid (T); reduces a row's partials and writes out[outOff+t].
Ties go to the lowest index, like the CPU backend.
*/}}
{{define "argmaxhead"}}
struct Params { N: u32, nChunks: u32, outOff: u32, _p: u32 }
@group(0) @binding(0) var<uniform> P: Params;
var<workgroup> rv: array<f32, 256>;
var<workgroup> ri: array<u32, 256>;
fn better(v: f32, i: u32, bv: f32, bi: u32) -> bool { return v > bv || (v == bv && i < bi); }
fn reduceArg(li: u32, v: f32, i: u32) {
  rv[li] = v;
  ri[li] = i;
  workgroupBarrier();
  for (var off = 128u; off > 0u; off >>= 1u) {
    if (li < off && better(rv[li + off], ri[li + off], rv[li], ri[li])) {
      rv[li] = rv[li + off];
      ri[li] = ri[li + off];
    }
    workgroupBarrier();
  }
}
{{- end}}

{{define "argmax1"}}
{{- template "argmaxhead"}}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<u32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = wg.y;
  let c0 = wg.x * 1024u;
  var bv = -3.4e38;
  var bi = 0xffffffffu;
  for (var r = 0u; r < 4u; r++) {
    let i = c0 + r * 256u + li;
    if (i < P.N) {
      let v = x[t * P.N + i];
      if (better(v, i, bv, bi)) { bv = v; bi = i; }
    }
  }
  reduceArg(li, bv, bi);
  if (li == 0u) {
    let o = (t * P.nChunks + wg.x) * 2u;
    partial[o] = bitcast<u32>(rv[0]);
    partial[o + 1u] = ri[0];
  }
}
{{end}}

{{define "argmax2"}}
{{- template "argmaxhead"}}
@group(0) @binding(1) var<storage, read> partial: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = wg.x;
  var bv = -3.4e38;
  var bi = 0xffffffffu;
  for (var c = li; c < P.nChunks; c += 256u) {
    let o = (t * P.nChunks + c) * 2u;
    let v = bitcast<f32>(partial[o]);
    let i = partial[o + 1u];
    if (better(v, i, bv, bi)) { bv = v; bi = i; }
  }
  reduceArg(li, bv, bi);
  if (li == 0u) {
    // A row of NaNs leaves no candidate; fall back to index 0.
    out[P.outOff + t] = select(ri[0], 0u, ri[0] == 0xffffffffu);
  }
}
{{end}}
