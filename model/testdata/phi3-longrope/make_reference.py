#!/usr/bin/env python3
"""Writes this folder's tiny Phi-3 LongRoPE fixture once: random weights
(model.safetensors), config.json, and reference.json with logits computed
here in plain PyTorch (torch 1.13, no transformers) from the formulas of
transformers' Phi3 modeling code and _compute_longrope_parameters:

  inv_freq = 1 / (ext_factors * theta ** (arange(0, D, 2) / D)), ext_factors
  the long factors when a forward's max(position_ids)+1 exceeds
  original_max_position_embeddings, else the short ones;
  factor = max_position_embeddings / original_max_position_embeddings,
  attention_factor = sqrt(1 + ln(factor) / ln(original_max)), which
  multiplies cos and sin.

Run: python3 make_reference.py (from this folder). The Go test only reads
what it writes."""
import json, math, struct
import torch

torch.manual_seed(19)
V, C, L, H, G, I = 64, 32, 2, 2, 1, 48
D = C // H
ORIG, MAXPOS, THETA, EPS = 8, 32, 10000.0, 1e-5
short = [round(1.0 + 0.05 * j, 3) for j in range(D // 2)]
long_ = [round(1.0 + 0.9 * j, 3) for j in range(D // 2)]
config = {
    "model_type": "phi3", "architectures": ["Phi3ForCausalLM"], "vocab_size": V, "hidden_size": C,
    "num_hidden_layers": L, "num_attention_heads": H, "num_key_value_heads": G, "intermediate_size": I,
    "max_position_embeddings": MAXPOS, "original_max_position_embeddings": ORIG, "rope_theta": THETA,
    "rms_norm_eps": EPS, "hidden_act": "silu", "sliding_window": None, "tie_word_embeddings": False,
    "rope_scaling": {"type": "longrope", "short_factor": short, "long_factor": long_},
    "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32",
}

def rnd(*shape, scale):
    return (torch.rand(*shape, dtype=torch.float32) * 2 - 1) * scale

W = {"model.embed_tokens.weight": rnd(V, C, scale=1.0), "model.norm.weight": 1 + rnd(C, scale=0.1),
     "lm_head.weight": rnd(V, C, scale=C ** -0.5)}
for i in range(L):
    p = f"model.layers.{i}."
    W[p + "input_layernorm.weight"] = 1 + rnd(C, scale=0.1)
    W[p + "post_attention_layernorm.weight"] = 1 + rnd(C, scale=0.1)
    W[p + "self_attn.qkv_proj.weight"] = rnd(H * D + 2 * G * D, C, scale=C ** -0.5)
    W[p + "self_attn.o_proj.weight"] = rnd(C, H * D, scale=(H * D) ** -0.5)
    W[p + "mlp.gate_up_proj.weight"] = rnd(2 * I, C, scale=C ** -0.5)
    W[p + "mlp.down_proj.weight"] = rnd(C, I, scale=I ** -0.5)

factor = MAXPOS / ORIG
attn_factor = math.sqrt(1 + math.log(factor) / math.log(ORIG)) if factor > 1 else 1.0

def inv_freq(end):
    ext = torch.tensor(long_ if end > ORIG else short, dtype=torch.float32)
    return 1.0 / (ext * THETA ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))

def rmsnorm(x, w):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS))

def rotate_half(x):
    return torch.cat((-x[..., D // 2:], x[..., :D // 2]), dim=-1)

def rope(x, pos, inv):  # x (T, heads, D)
    freqs = pos.float()[:, None] @ inv[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos() * attn_factor, emb.sin() * attn_factor
    return x * cos[:, None, :] + rotate_half(x) * sin[:, None, :]

def forward(ids, pos0, cache):
    """One forward pass of ids at positions pos0..; cache holds each layer's
    rotated keys and values of earlier passes and gets this pass's."""
    T = len(ids)
    pos = torch.arange(pos0, pos0 + T)
    inv = inv_freq(pos0 + T)  # per pass: max(position_ids) + 1
    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    for i in range(L):
        p = f"model.layers.{i}."
        h = rmsnorm(x, W[p + "input_layernorm.weight"])
        qkv = h @ W[p + "self_attn.qkv_proj.weight"].T
        q = qkv[:, :H * D].view(T, H, D)
        k = qkv[:, H * D:H * D + G * D].view(T, G, D)
        v = qkv[:, H * D + G * D:].view(T, G, D)
        q, k = rope(q, pos, inv), rope(k, pos, inv)
        ck, cv = cache.setdefault(i, ([], []))
        ck.append(k); cv.append(v)
        K, Vv = torch.cat(ck), torch.cat(cv)  # (S, G, D)
        S = K.shape[0]
        rep = H // G
        K, Vv = K.repeat_interleave(rep, dim=1), Vv.repeat_interleave(rep, dim=1)
        sc = torch.einsum("thd,shd->hts", q, K) * D ** -0.5
        mask = torch.arange(S)[None, :] > (pos[:, None])
        sc = sc.masked_fill(mask[None], float("-inf"))
        att = torch.softmax(sc, dim=-1)
        o = torch.einsum("hts,shd->thd", att, Vv).reshape(T, H * D)
        x = x + o @ W[p + "self_attn.o_proj.weight"].T
        h = rmsnorm(x, W[p + "post_attention_layernorm.weight"])
        gu = h @ W[p + "mlp.gate_up_proj.weight"].T
        gate, up = gu.chunk(2, dim=-1)
        x = x + (up * torch.nn.functional.silu(gate)) @ W[p + "mlp.down_proj.weight"].T
    return rmsnorm(x, W["model.norm.weight"]) @ W["lm_head.weight"].T

ids = [(i * 37 + 11) % V for i in range(14)]
with torch.no_grad():
    short_logits = forward(ids[:6], 0, {})
    long_logits = forward(ids, 0, {})
    cache, steps = {}, []
    steps.append(forward(ids[:6], 0, cache)[-1])
    for p in range(6, len(ids)):
        steps.append(forward([ids[p]], p, cache)[-1])

def save_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        b = tensors[name].contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))

save_safetensors("model.safetensors", W)
with open("config.json", "w") as f:
    json.dump(config, f, indent=1)
with open("reference.json", "w") as f:
    json.dump({
        "input_ids": ids, "attention_factor": attn_factor,
        "short_logits": short_logits.tolist(), "long_logits": long_logits.tolist(),
        "decode_prompt": 6, "decode_logits": torch.stack(steps).tolist(),
    }, f)
