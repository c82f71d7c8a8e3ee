{{/*
embedding: out[t,:] = table[ids[idsOff+t],:] for the ids that fall in this
row-chunk of the table (rows r0..r0+rc); a table split over several
buffers takes one dispatch per chunk, each writing only its own rows.
table is (rc,C) in dtype .W (C is P.K, the name the weights template reads), ids are i32 (read as u32, so negative ids are
out of every chunk), out is (T,C). Grid: (ceil(C/256), T).
*/}}
{{define "embedding"}}
{{- if eq .W "f16"}}enable f16;{{end}}
struct Params { T: u32, K: u32, r0: u32, rc: u32, idsOff: u32, _p0: u32, _p1: u32, _p2: u32,
                 qg: u32, qrw: u32, _q0: u32, _q1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
{{template "weights" (wdecl . "table" 1)}}
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = wg.y;
  let c = wg.x * 256u + li;
  if (c >= P.K) { return; }
  let id = ids[P.idsOff + t];
  if (id < P.r0 || id >= P.r0 + P.rc) { return; }
  out[t * P.K + c] = table1(id - P.r0, c);
}
{{end}}
