#!/usr/bin/python3
"""ONNX conversion of a llama model folder (HF layout: config.json +
model.safetensors in F32/F16/BF16) for transformers.js, with a KV cache.

The model is a plain PyTorch llama written here (RMSNorm, rotate-half RoPE
from position_ids, grouped-query attention, SiLU-gated MLP, tied or untied
lm_head) that reads the safetensors weights and is exported with
torch.onnx.export (torch 1.13, opset 14, fp32). Inputs and outputs are the
names transformers.js' decoder models use:

  input_ids [batch_size, sequence_length] int64
  attention_mask [batch_size, total_sequence_length] int64
  position_ids [batch_size, sequence_length] int64
  past_key_values.N.key / .value [batch_size, kv_heads, past_sequence_length, head_dim] f32
  num_logits_to_keep [] int64 (0: every position; transformers.js passes 1 when generating)
  → logits [batch_size, kept positions, vocab], present.N.key / .value

transformers.js sizes the empty first-step cache from the input metadata
(batch_size → the batch, any other symbolic dimension → 0), so only those
two dimensions of the past are symbolic.

Usage: to_onnx.py HF_DIR OUT_DIR   (writes OUT_DIR/onnx/model.onnx and OUT_DIR/config.json)
"""
import json
import math
import os
import shutil
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        hdr = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in hdr.items():
        if name == "__metadata__":
            continue
        lo, hi = e["data_offsets"]
        raw = data[lo:hi]
        if e["dtype"] == "F32":
            a = np.frombuffer(raw, dtype="<f4")
        elif e["dtype"] == "F16":
            a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif e["dtype"] == "BF16":
            a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise SystemExit(f"to_onnx: tensor {name}: dtype {e['dtype']} not supported")
        out[name] = torch.from_numpy(a.copy()).reshape(e["shape"])
    return out


def rot_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)


class Llama(torch.nn.Module):
    def __init__(self, cfg, w):
        super().__init__()
        self.L = cfg["num_hidden_layers"]
        self.H = cfg["num_attention_heads"]
        self.G = cfg["num_key_value_heads"]
        self.D = cfg.get("head_dim") or cfg["hidden_size"] // self.H
        self.eps = cfg["rms_norm_eps"]
        theta = cfg.get("rope_theta") or (cfg.get("rope_parameters") or {}).get("rope_theta", 10000.0)
        inv = 1.0 / (theta ** (torch.arange(0, self.D, 2, dtype=torch.float64) / self.D))
        self.register_buffer("inv_freq", inv.float())
        p = torch.nn.ParameterDict()
        for k, v in w.items():
            p[k.replace(".", "__")] = torch.nn.Parameter(v, requires_grad=False)
        self.p = p
        self.tied = "lm_head.weight" not in w

    def w(self, name):
        return self.p[name.replace(".", "__")]

    def rms(self, x, wt):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * wt

    def forward(self, input_ids, attention_mask, position_ids, num_logits_to_keep, *past):
        B, T = input_ids.shape
        H, G, D = self.H, self.G, self.D
        x = F.embedding(input_ids, self.w("model.embed_tokens.weight"))
        ang = position_ids.unsqueeze(-1).float() * self.inv_freq  # (B,T,D/2)
        ang = torch.cat([ang, ang], -1)
        cos, sin = ang.cos().unsqueeze(1), ang.sin().unsqueeze(1)  # (B,1,T,D)
        P = past[0].shape[2]
        qpos = torch.arange(T).unsqueeze(1) + P  # (T,1)
        kpos = torch.arange(P + T).unsqueeze(0)  # (1,S)
        allow = (kpos <= qpos).unsqueeze(0).unsqueeze(0) & (attention_mask > 0).unsqueeze(1).unsqueeze(1)
        bias = torch.zeros(allow.shape).masked_fill(~allow, torch.finfo(torch.float32).min)
        presents = []
        for i in range(self.L):
            pre = f"model.layers.{i}."
            h = self.rms(x, self.w(pre + "input_layernorm.weight"))
            q = F.linear(h, self.w(pre + "self_attn.q_proj.weight")).view(B, T, H, D).transpose(1, 2)
            k = F.linear(h, self.w(pre + "self_attn.k_proj.weight")).view(B, T, G, D).transpose(1, 2)
            v = F.linear(h, self.w(pre + "self_attn.v_proj.weight")).view(B, T, G, D).transpose(1, 2)
            q = q * cos + rot_half(q) * sin
            k = k * cos + rot_half(k) * sin
            k = torch.cat([past[2 * i], k], 2)
            v = torch.cat([past[2 * i + 1], v], 2)
            presents += [k, v]
            # query head j reads key/value head j // (H/G), as HF's
            # repeat_kv: split the heads into (G, H/G) and broadcast K/V.
            q5 = q.reshape(B, G, H // G, T, D)
            s = torch.matmul(q5, k.unsqueeze(2).transpose(3, 4)) / math.sqrt(D) + bias.unsqueeze(1)
            a = torch.matmul(torch.softmax(s, -1), v.unsqueeze(2))  # (B,G,H/G,T,D)
            a = a.reshape(B, H, T, D).transpose(1, 2).reshape(B, T, H * D)
            x = x + F.linear(a, self.w(pre + "self_attn.o_proj.weight"))
            h = self.rms(x, self.w(pre + "post_attention_layernorm.weight"))
            g = F.linear(h, self.w(pre + "mlp.gate_proj.weight"))
            u = F.linear(h, self.w(pre + "mlp.up_proj.weight"))
            x = x + F.linear(F.silu(g) * u, self.w(pre + "mlp.down_proj.weight"))
        # Keep the last num_logits_to_keep positions (all when 0).
        Tt = torch._shape_as_tensor(input_ids)[1]  # traced, unlike the int T
        keep = torch.where(num_logits_to_keep > 0, num_logits_to_keep, Tt)
        idx = torch.arange(Tt - keep, Tt)
        x = self.rms(x.index_select(1, idx), self.w("model.norm.weight"))
        head = self.w("model.embed_tokens.weight") if self.tied else self.w("lm_head.weight")
        return (F.linear(x, head), *presents)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    cfg = json.load(open(os.path.join(src, "config.json")))
    if cfg.get("model_type") != "llama":
        raise SystemExit(f"to_onnx: model_type {cfg.get('model_type')!r}: only llama")
    w = read_safetensors(os.path.join(src, "model.safetensors"))
    m = Llama(cfg, w).eval()
    G, D = m.G, m.D
    B, T, P = 1, 3, 2
    past = []
    names_in = ["input_ids", "attention_mask", "position_ids", "num_logits_to_keep"]
    names_out = ["logits"]
    axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "kept_sequence_length"},
    }
    for i in range(m.L):
        for kv in ("key", "value"):
            past.append(torch.randn(B, G, P, D))
            names_in.append(f"past_key_values.{i}.{kv}")
            names_out.append(f"present.{i}.{kv}")
            axes[names_in[-1]] = {0: "batch_size", 2: "past_sequence_length"}
            axes[names_out[-1]] = {0: "batch_size", 2: "total_sequence_length"}
    args = (torch.tensor([[1, 2, 3]]), torch.ones(B, P + T, dtype=torch.int64),
            torch.arange(P, P + T).unsqueeze(0), torch.tensor(0, dtype=torch.int64), *past)
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(m, args, os.path.join(out, "onnx", "model.onnx"), input_names=names_in,
                          output_names=names_out, dynamic_axes=axes, opset_version=14,
                          do_constant_folding=True)
    shutil.copy(os.path.join(src, "config.json"), os.path.join(out, "config.json"))
    for f in ("tokenizer.json", "tokenizer_config.json", "generation_config.json"):
        if os.path.exists(os.path.join(src, f)):
            shutil.copy(os.path.join(src, f), os.path.join(out, f))
    print(f"to_onnx: wrote {out}/onnx/model.onnx", file=sys.stderr)


if __name__ == "__main__":
    main()
