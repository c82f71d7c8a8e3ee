{{/*
matmul: out = x·wᵀ (+ bias) for prefill. x is (M,K) f32, w is (N,K) in
dtype .W (one row-chunk of a possibly split weight: rows nOff..nOff+N of the
full matrix), out is (M,outStride) f32 and this dispatch writes its columns
nOff..nOff+N. With .W q8 or q4 it is the fused dequantize-matmul: loadW
widens packed codes to f32 as it stages the tile.

128×128 output tile per workgroup, 16×16 threads each owning an 8×8 block
(rows ty*4+{0..3} and 64+ty*4+{0..3}, same for columns, so neighbouring
threads read neighbouring vec4s of workgroup memory). K advances in steps
of 16; the two staged tiles take 2×128×16×4 = 16 KiB of workgroup memory,
exactly the portable limit (maxComputeWorkgroupStorageSize; Apple's is 16 KiB).
Tiles are stored k-major (transposed) so the inner loop reads vec4s along
m and n. Loads are bounds-checked, so any M, N, K works.
*/}}
{{define "matmul"}}
{{- if eq .W "f16"}}enable f16;{{end}}
struct Params { M: u32, N: u32, K: u32, outStride: u32, nOff: u32, hasBias: u32, _p0: u32, _p1: u32,
                 qg: u32, qrw: u32, _q0: u32, _q1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
{{- if .Vec4}}
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
{{- else}}
@group(0) @binding(1) var<storage, read> x: array<f32>;
{{- end}}
{{template "weights" (wdecl . "w" 2)}}
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const BM = 128u;
const BN = 128u;
const BK = 16u;
// As[k*32 + m/4] holds x[m0+m, k0+k] in component m%4.
var<workgroup> As: array<vec4<f32>, 512>;
var<workgroup> Bs: array<vec4<f32>, 512>;

fn loadX(m: u32, k: u32) -> vec4<f32> {
  if (m >= P.M || k >= P.K) { return vec4<f32>(0.0); }
{{- if .Vec4}}
  return x[(m * P.K + k) >> 2u];
{{- else}}
  let b = m * P.K + k;
  var v = vec4<f32>(x[b], 0.0, 0.0, 0.0);
  if (k + 1u < P.K) { v.y = x[b + 1u]; }
  if (k + 2u < P.K) { v.z = x[b + 2u]; }
  if (k + 3u < P.K) { v.w = x[b + 3u]; }
  return v;
{{- end}}
}

fn loadW(n: u32, k: u32) -> vec4<f32> {
  if (n >= P.N || k >= P.K) { return vec4<f32>(0.0); }
{{- if .Vec4}}
  return w4(n, k);
{{- else}}
  var v = vec4<f32>(w1(n, k), 0.0, 0.0, 0.0);
  if (k + 1u < P.K) { v.y = w1(n, k + 1u); }
  if (k + 2u < P.K) { v.z = w1(n, k + 2u); }
  if (k + 3u < P.K) { v.w = w1(n, k + 3u); }
  return v;
{{- end}}
}

// stage writes one row's 4 consecutive k values of x and w into the
// k-major tiles: 128 rows × 16 k = 512 vec4s per tile, two per thread.
fn stage(row: u32, kq: u32, a: vec4<f32>, b: vec4<f32>) {
  let slot = row >> 2u;
  let c = row & 3u;
  As[(kq + 0u) * 32u + slot][c] = a.x;
  As[(kq + 1u) * 32u + slot][c] = a.y;
  As[(kq + 2u) * 32u + slot][c] = a.z;
  As[(kq + 3u) * 32u + slot][c] = a.w;
  Bs[(kq + 0u) * 32u + slot][c] = b.x;
  Bs[(kq + 1u) * 32u + slot][c] = b.y;
  Bs[(kq + 2u) * 32u + slot][c] = b.z;
  Bs[(kq + 3u) * 32u + slot][c] = b.w;
}

fn store(m: u32, n: u32, v: vec4<f32>) {
  if (m >= P.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (n + j < P.N) {
      var s = v[j];
      if (P.hasBias != 0u) { s += bias[P.nOff + n + j]; }
      out[m * P.outStride + P.nOff + n + j] = s;
    }
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let m0 = wg.y * BM;
  let n0 = wg.x * BN;
  let tx = lid.x;
  let ty = lid.y;
  var acc: array<vec4<f32>, 16>; // zero-initialised (WGSL §function-scope variables)

  // Register prefetch: the next K-step's global loads are issued before
  // this step's FMAs, hiding their latency behind the math.
  let l0 = li;
  let l1 = li + 256u;
  let row0 = l0 >> 2u;
  let row1 = l1 >> 2u;
  let kq0 = (l0 & 3u) * 4u;
  let kq1 = (l1 & 3u) * 4u;
  var a0n = loadX(m0 + row0, kq0);
  var a1n = loadX(m0 + row1, kq1);
  var b0n = loadW(n0 + row0, kq0);
  var b1n = loadW(n0 + row1, kq1);
  for (var k0 = 0u; k0 < P.K; k0 += BK) {
    stage(row0, kq0, a0n, b0n);
    stage(row1, kq1, a1n, b1n);
    workgroupBarrier();
    a0n = loadX(m0 + row0, k0 + BK + kq0);
    a1n = loadX(m0 + row1, k0 + BK + kq1);
    b0n = loadW(n0 + row0, k0 + BK + kq0);
    b1n = loadW(n0 + row1, k0 + BK + kq1);
    for (var k = 0u; k < BK; k++) {
      let a0 = As[k * 32u + ty];
      let a1 = As[k * 32u + ty + 16u];
      let b0 = Bs[k * 32u + tx];
      let b1 = Bs[k * 32u + tx + 16u];
      acc[0] += a0.x * b0; acc[1] += a0.x * b1;
      acc[2] += a0.y * b0; acc[3] += a0.y * b1;
      acc[4] += a0.z * b0; acc[5] += a0.z * b1;
      acc[6] += a0.w * b0; acc[7] += a0.w * b1;
      acc[8] += a1.x * b0; acc[9] += a1.x * b1;
      acc[10] += a1.y * b0; acc[11] += a1.y * b1;
      acc[12] += a1.z * b0; acc[13] += a1.z * b1;
      acc[14] += a1.w * b0; acc[15] += a1.w * b1;
    }
    workgroupBarrier();
  }

  // Constant indices keep acc in registers (a dynamic index may spill it).
  store(m0 + ty * 4u + 0u, n0 + 0u + tx * 4u, acc[0]);
  store(m0 + ty * 4u + 0u, n0 + 64u + tx * 4u, acc[1]);
  store(m0 + ty * 4u + 1u, n0 + 0u + tx * 4u, acc[2]);
  store(m0 + ty * 4u + 1u, n0 + 64u + tx * 4u, acc[3]);
  store(m0 + ty * 4u + 2u, n0 + 0u + tx * 4u, acc[4]);
  store(m0 + ty * 4u + 2u, n0 + 64u + tx * 4u, acc[5]);
  store(m0 + ty * 4u + 3u, n0 + 0u + tx * 4u, acc[6]);
  store(m0 + ty * 4u + 3u, n0 + 64u + tx * 4u, acc[7]);
  store(m0 + 64u + ty * 4u + 0u, n0 + 0u + tx * 4u, acc[8]);
  store(m0 + 64u + ty * 4u + 0u, n0 + 64u + tx * 4u, acc[9]);
  store(m0 + 64u + ty * 4u + 1u, n0 + 0u + tx * 4u, acc[10]);
  store(m0 + 64u + ty * 4u + 1u, n0 + 64u + tx * 4u, acc[11]);
  store(m0 + 64u + ty * 4u + 2u, n0 + 0u + tx * 4u, acc[12]);
  store(m0 + 64u + ty * 4u + 2u, n0 + 64u + tx * 4u, acc[13]);
  store(m0 + 64u + ty * 4u + 3u, n0 + 0u + tx * 4u, acc[14]);
  store(m0 + 64u + ty * 4u + 3u, n0 + 64u + tx * 4u, acc[15]);
}
{{end}}
