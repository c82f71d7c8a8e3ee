{{/*
weights.wgsl: how a kernel reads a weight matrix stored with dtype .W.
Every matmul-style kernel calls w1(n, k) (element [n,k] as f32) or, when
.Vec4 is set, w4(n, k) (elements [n,k..k+3], k a multiple of 4); the kernel's
Params struct has K (the row length) and, for the quantized formats, qg and
qrw at words 8 and 9. F16 is either declared as native f16 (needs the
shader-f16 feature) or read from packed u32 words with unpack2x16float, which
every WebGPU implementation has; BF16 is the top half of an f32, so widening
is a 16-bit shift.

The quantized formats (kernels.QMatrix, uploaded by the backend's UploadQuant)
are read from u32 words and dequantized in registers: nothing is widened in
memory. Row n starts at word n*P.qrw and holds the row's codes, padded to
Kp = K rounded up to 32 columns, then its groups' f32 parameters; P.qg is the
columns per group (Kp for one group per row).
  q8: Kp/4 words of int8 codes (column k in byte k%4 of word k/4), then one
      scale per group: w = scale·q.
  q4: Kp/8 words of nibbles in QMatrix's order (each 16 columns c..c+15 are 8
      bytes, byte j holding column c+j in its low nibble and c+8+j in its high
      one: words 2i and 2i+1 of the row hold chunk i), then a (scale, min)
      pair per group: w = scale·q + min (min = −scale·zero point).
Arguments: .Name (the binding's variable name), .Binding, .W, .Vec4.
*/}}
{{define "weights"}}
{{- if eq .W "f32"}}
{{- if .Vec4}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<vec4<f32>>;
fn {{.Name}}4(n: u32, k: u32) -> vec4<f32> { return {{.Name}}[(n * P.K + k) >> 2u]; }
{{- else}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<f32>;
fn {{.Name}}1(n: u32, k: u32) -> f32 { return {{.Name}}[n * P.K + k]; }
{{- end}}
{{- else if eq .W "f16"}}
{{- if .Vec4}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<vec4<f16>>;
fn {{.Name}}4(n: u32, k: u32) -> vec4<f32> { return vec4<f32>({{.Name}}[(n * P.K + k) >> 2u]); }
{{- else}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<f16>;
fn {{.Name}}1(n: u32, k: u32) -> f32 { return f32({{.Name}}[n * P.K + k]); }
{{- end}}
{{- else if eq .W "f16p"}}
{{- if .Vec4}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<vec2<u32>>;
fn {{.Name}}4(n: u32, k: u32) -> vec4<f32> {
  let v = {{.Name}}[(n * P.K + k) >> 2u];
  return vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
}
{{- else}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<u32>;
fn {{.Name}}1(n: u32, k: u32) -> f32 {
  let i = n * P.K + k;
  return unpack2x16float({{.Name}}[i >> 1u])[i & 1u];
}
{{- end}}
{{- else if eq .W "bf16"}}
{{- if .Vec4}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<vec2<u32>>;
fn {{.Name}}4(n: u32, k: u32) -> vec4<f32> {
  let v = {{.Name}}[(n * P.K + k) >> 2u];
  return vec4<f32>(bitcast<f32>(v.x << 16u), bitcast<f32>(v.x & 0xffff0000u),
                   bitcast<f32>(v.y << 16u), bitcast<f32>(v.y & 0xffff0000u));
}
{{- else}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<u32>;
fn {{.Name}}1(n: u32, k: u32) -> f32 {
  let i = n * P.K + k;
  let v = {{.Name}}[i >> 1u];
  return bitcast<f32>(select(v << 16u, v & 0xffff0000u, (i & 1u) == 1u));
}
{{- end}}
{{- else if eq .W "q8"}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<u32>;
// (scale, min) of the group of column k; int8 is symmetric (min 0).
fn {{.Name}}Params(n: u32, k: u32) -> vec2<f32> {
  return vec2<f32>(bitcast<f32>({{.Name}}[n * P.qrw + ((P.K + 31u) >> 5u) * 8u + k / P.qg]), 0.0);
}
// The codes of columns k..k+3 (k%4 == 0).
fn {{.Name}}Codes4(n: u32, k: u32) -> vec4<f32> {
  let q = bitcast<i32>({{.Name}}[n * P.qrw + (k >> 2u)]);
  // Each byte moved to the top, then an arithmetic shift sign-extends it.
  return vec4<f32>(vec4<i32>(q << 24u, q << 16u, q << 8u, q) >> vec4<u32>(24u));
}
fn {{.Name}}4(n: u32, k: u32) -> vec4<f32> {
  return {{.Name}}Codes4(n, k) * {{.Name}}Params(n, k).x;
}
fn {{.Name}}1(n: u32, k: u32) -> f32 {
  let q = bitcast<i32>({{.Name}}[n * P.qrw + (k >> 2u)]);
  return f32((q << (24u - 8u * (k & 3u))) >> 24u) * {{.Name}}Params(n, k).x;
}
{{- else if eq .W "q4"}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<u32>;
fn {{.Name}}Params(n: u32, k: u32) -> vec2<f32> {
  let i = n * P.qrw + ((P.K + 31u) >> 5u) * 4u + 2u * (k / P.qg);
  return vec2<f32>(bitcast<f32>({{.Name}}[i]), bitcast<f32>({{.Name}}[i + 1u]));
}
fn {{.Name}}Codes4(n: u32, k: u32) -> vec4<f32> {
  // Columns k..k+3 (k%4 == 0) are the low (k%16 < 8) or high nibbles of
  // the four bytes of one word.
  let word = {{.Name}}[n * P.qrw + ((k >> 4u) << 1u) + ((k >> 2u) & 1u)];
  let sh = ((k >> 3u) & 1u) * 4u;
  return vec4<f32>((vec4<u32>(word) >> vec4<u32>(sh, sh + 8u, sh + 16u, sh + 24u)) & vec4<u32>(15u));
}
fn {{.Name}}4(n: u32, k: u32) -> vec4<f32> {
  let sm = {{.Name}}Params(n, k);
  return {{.Name}}Codes4(n, k) * sm.x + sm.y;
}
fn {{.Name}}1(n: u32, k: u32) -> f32 {
  let j = k & 15u;
  let word = {{.Name}}[n * P.qrw + ((k >> 4u) << 1u) + ((j >> 2u) & 1u)];
  let sm = {{.Name}}Params(n, k);
  return f32((word >> ((j >> 3u) * 4u + (j & 3u) * 8u)) & 15u) * sm.x + sm.y;
}
{{- end}}
{{end}}
{{/*
qdot: the fused dequantize-dot of one weight row for the matvec kernels
(quantized .W, .Vec4): NAMEDot(n, lane, xb, inv) = Σ_k x[k]·w[n,k]
over the 32-column blocks lane, lane+32, … of row n, x read through the
kernel's xq(xb, k4, inv) (vec4 k4 of the row starting at vec4 index xb).
A block lies in one group, so its codes are summed raw and scaled once:
scale·Σ x·q + min·Σ x (the CPU kernels' order, kernels/quant.go), one
parameter load and no per-weight conversion to weights.
*/}}
{{define "qdot"}}
fn {{.Name}}Dot(n: u32, lane: u32, xb: u32, inv: f32) -> f32 {
  var s = 0.0;
  let nb = (P.K + 31u) >> 5u;
  for (var b = lane; b < nb; b += 32u) {
    let k0 = b << 5u;
    var d = 0.0;
    var xs = 0.0;
    for (var j = 0u; j < 32u; j += 4u) {
      let k = k0 + j;
      if (k >= P.K) { break; }
      let xv = xq(xb, k >> 2u, inv);
      d += dot(xv, {{.Name}}Codes4(n, k));
      xs += (xv.x + xv.y) + (xv.z + xv.w);
    }
    let p = {{.Name}}Params(n, k0);
    s += p.x * d + p.y * xs;
  }
  return s;
}
{{end}}
