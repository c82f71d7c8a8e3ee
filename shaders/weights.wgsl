{{/*
weights.wgsl: how a kernel reads a weight matrix stored with dtype .W.
Every matmul-style kernel calls w1(i) (element i as f32) or, when .Vec4 is
set, w4(i) (elements i..i+3, i a multiple of 4). F16 is either declared as
native f16 (needs the shader-f16 feature) or read from packed u32 words with
unpack2x16float, which every WebGPU implementation has; BF16 is the top half
of an f32, so widening is a 16-bit shift.
Arguments: .Name (the binding's variable name), .Binding, .W, .Vec4.
*/}}
{{define "weights"}}
{{- if eq .W "f32"}}
{{- if .Vec4}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<vec4<f32>>;
fn {{.Name}}4(i: u32) -> vec4<f32> { return {{.Name}}[i >> 2u]; }
{{- else}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<f32>;
fn {{.Name}}1(i: u32) -> f32 { return {{.Name}}[i]; }
{{- end}}
{{- else if eq .W "f16"}}
{{- if .Vec4}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<vec4<f16>>;
fn {{.Name}}4(i: u32) -> vec4<f32> { return vec4<f32>({{.Name}}[i >> 2u]); }
{{- else}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<f16>;
fn {{.Name}}1(i: u32) -> f32 { return f32({{.Name}}[i]); }
{{- end}}
{{- else if eq .W "f16p"}}
{{- if .Vec4}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<vec2<u32>>;
fn {{.Name}}4(i: u32) -> vec4<f32> {
  let v = {{.Name}}[i >> 2u];
  return vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
}
{{- else}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<u32>;
fn {{.Name}}1(i: u32) -> f32 { return unpack2x16float({{.Name}}[i >> 1u])[i & 1u]; }
{{- end}}
{{- else if eq .W "bf16"}}
{{- if .Vec4}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<vec2<u32>>;
fn {{.Name}}4(i: u32) -> vec4<f32> {
  let v = {{.Name}}[i >> 2u];
  return vec4<f32>(bitcast<f32>(v.x << 16u), bitcast<f32>(v.x & 0xffff0000u),
                   bitcast<f32>(v.y << 16u), bitcast<f32>(v.y & 0xffff0000u));
}
{{- else}}
@group(0) @binding({{.Binding}}) var<storage, read> {{.Name}}: array<u32>;
fn {{.Name}}1(i: u32) -> f32 {
  let v = {{.Name}}[i >> 1u];
  return bitcast<f32>(select(v << 16u, v & 0xffff0000u, (i & 1u) == 1u));
}
{{- end}}
{{- end}}
{{end}}
