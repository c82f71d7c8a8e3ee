"""A Llama-architecture causal LM in plain PyTorch, parameter names identical to Hugging Face's
LlamaForCausalLM, plus the LayerSkip training recipe (layer dropout rising with depth, early-exit
loss through the shared final norm and LM head).

Runs on torch 1.13 (Debian, CPU; no F.scaled_dot_product_attention) and torch 2.x (CUDA).
The math follows transformers' modeling_llama.py (eager path): RMSNorm in float32, RoPE with
rotate_half on the two halves of each head, repeat_kv grouping (kv head j serves query heads
j*n_rep … j*n_rep+n_rep-1), SiLU-gated MLP.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

_HAS_SDPA = hasattr(F, "scaled_dot_product_attention")


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):  # x is (B,T,C)
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rope_cos_sin(seq_len, head_dim, theta, device):
    """cos, sin are (T, head_dim) in float32, HF 'default' rope."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=device)
                                / head_dim))
    t = torch.arange(seq_len, dtype=torch.float32, device=device)
    freqs = torch.outer(t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_heads = cfg["num_attention_heads"]
        self.n_kv = cfg["num_key_value_heads"]
        self.head_dim = cfg["hidden_size"] // self.n_heads
        h = cfg["hidden_size"]
        self.q_proj = nn.Linear(h, self.n_heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(h, self.n_kv * self.head_dim, bias=False)
        self.v_proj = nn.Linear(h, self.n_kv * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.n_heads * self.head_dim, h, bias=False)
        self.attn_dropout = cfg.get("attention_dropout", 0.0)

    def forward(self, x, cos, sin):  # x is (B,T,C); cos, sin are (T,D)
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2)  # (B,H,T,D)
        k = self.k_proj(x).view(B, T, self.n_kv, self.head_dim).transpose(1, 2)  # (B,KV,T,D)
        v = self.v_proj(x).view(B, T, self.n_kv, self.head_dim).transpose(1, 2)
        cos_, sin_ = cos[:T].to(q.dtype), sin[:T].to(q.dtype)
        q = q * cos_ + rotate_half(q) * sin_
        k = k * cos_ + rotate_half(k) * sin_
        rep = self.n_heads // self.n_kv
        if rep > 1:
            k = k.repeat_interleave(rep, dim=1)  # (B,H,T,D)
            v = v.repeat_interleave(rep, dim=1)
        p = self.attn_dropout if self.training else 0.0
        if _HAS_SDPA:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)  # (B,H,T,T)
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
            att = att.masked_fill(mask, float("-inf"))
            att = torch.softmax(att.float(), dim=-1).to(q.dtype)
            att = F.dropout(att, p, self.training)
            y = att @ v
        y = y.transpose(1, 2).reshape(B, T, self.n_heads * self.head_dim)
        return self.o_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, i = cfg["hidden_size"], cfg["intermediate_size"]
        self.gate_proj = nn.Linear(h, i, bias=False)
        self.up_proj = nn.Linear(h, i, bias=False)
        self.down_proj = nn.Linear(i, h, bias=False)

    def forward(self, x):  # x is (B,T,C)
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg, resid_dropout):
        super().__init__()
        eps = cfg["rms_norm_eps"]
        self.input_layernorm = RMSNorm(cfg["hidden_size"], eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg["hidden_size"], eps)
        self.mlp = MLP(cfg)
        self.drop = nn.Dropout(resid_dropout)

    def forward(self, x, cos, sin):  # x is (B,T,C)
        x = x + self.drop(self.self_attn(self.input_layernorm(x), cos, sin))
        return x + self.drop(self.mlp(self.post_attention_layernorm(x)))


class LlamaBody(nn.Module):
    """Holds the `model.*` parameters (HF naming: model.embed_tokens, model.layers.N, model.norm)."""

    def __init__(self, cfg, resid_dropout):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], cfg["hidden_size"])
        self.layers = nn.ModuleList(DecoderLayer(cfg, resid_dropout)
                                    for _ in range(cfg["num_hidden_layers"]))
        self.norm = RMSNorm(cfg["hidden_size"], cfg["rms_norm_eps"])


def layer_dropout_rates(n_layers, p_max, scale="exp"):
    """LayerSkip (Elhoushi et al. 2024, eq. 1-2): p_l = p_max * D(l), D rising from 0 at the first
    layer to 1 at the last; 'exp' is D(l) = exp(l ln2/(L-1)) - 1, 'linear' is l/(L-1)."""
    if n_layers == 1:
        return [p_max]
    out = []
    for l in range(n_layers):
        if scale == "exp":
            d = math.exp(l * math.log(2) / (n_layers - 1)) - 1
        elif scale == "linear":
            d = l / (n_layers - 1)
        else:
            raise ValueError(f"unknown layer dropout scale {scale!r}")
        out.append(p_max * d)
    return out


def early_exit_weights(n_layers, e_scale, active):
    """LayerSkip (eq. 4) normalised per-exit loss weights: e(l) = e_scale * sum_{i<=l} i for
    early exits l < L-1, e(L-1) = L-1 for the final layer; only exits in `active` (the curriculum
    for this step) count, then the weights are normalised to sum to 1."""
    w = []
    for l in range(n_layers):
        if l not in active:
            w.append(0.0)
        elif l == n_layers - 1:
            w.append(float(n_layers - 1) if n_layers > 1 else 1.0)
        else:
            w.append(e_scale * l * (l + 1) / 2)
    s = sum(w)
    return [x / s for x in w]


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg, resid_dropout=0.0, layer_dropout=None):
        super().__init__()
        self.cfg = cfg
        self.model = LlamaBody(cfg, resid_dropout)
        self.tied = cfg.get("tie_word_embeddings", False)
        if not self.tied:
            self.lm_head = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)
        self.layer_dropout = layer_dropout or [0.0] * cfg["num_hidden_layers"]
        head_dim = cfg["hidden_size"] // cfg["num_attention_heads"]
        cos, sin = rope_cos_sin(cfg["max_position_embeddings"], head_dim, cfg["rope_theta"], None)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.apply(self._init)

    def _init(self, m):
        std = self.cfg.get("initializer_range", 0.02)
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, std)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, std)

    def head_weight(self):
        return self.model.embed_tokens.weight if self.tied else self.lm_head.weight

    def exit_logits(self, h):  # h is (B,T,C) -> (B,T,V): shared final norm + LM head
        return F.linear(self.model.norm(h), self.head_weight())

    def hidden_states(self, ids):
        """Returns the list [h_0 … h_{L-1}]: the residual stream after every decoder layer."""
        B, T = ids.shape
        x = self.model.embed_tokens(ids)  # (B,T,C)
        outs = []
        for l, layer in enumerate(self.model.layers):
            p = self.layer_dropout[l] if self.training else 0.0
            if p > 0:
                # Stochastic depth per sequence: dropped rows skip the layer (identity).
                keep = (torch.rand(B, 1, 1, device=ids.device) >= p)
                x = torch.where(keep, layer(x, self.rope_cos, self.rope_sin), x)
            else:
                x = layer(x, self.rope_cos, self.rope_sin)
            outs.append(x)
        return outs

    def forward(self, ids):  # ids is (B,T) -> logits (B,T,V)
        return self.exit_logits(self.hidden_states(ids)[-1])

    def layerskip_loss(self, ids, targets, e_scale, active_exits):
        """Weighted sum of cross-entropies at the active exits; returns (loss, {layer: ce})."""
        hs = self.hidden_states(ids)
        w = early_exit_weights(len(hs), e_scale, active_exits)
        total = 0.0
        per = {}
        for l, h in enumerate(hs):
            if w[l] == 0.0:
                continue
            logits = self.exit_logits(h).float()
            ce = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))
            per[l] = ce
            total = total + w[l] * ce
        return total, per


def count_params(m):
    return sum(p.numel() for p in m.parameters())


def hf_config(arch, bos_id, eos_id, dtype="float32"):
    """transformers LlamaConfig fields (old-style top-level rope_theta, which transformers 4 and 5
    both read; transformers 5 moves it into rope_parameters on load)."""
    h, nh = arch["hidden_size"], arch["num_attention_heads"]
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": bos_id,
        "eos_token_id": eos_id,
        "pad_token_id": None,
        "head_dim": h // nh,
        "hidden_act": "silu",
        "hidden_size": h,
        "initializer_range": arch.get("initializer_range", 0.02),
        "intermediate_size": arch["intermediate_size"],
        "max_position_embeddings": arch["max_position_embeddings"],
        "mlp_bias": False,
        "num_attention_heads": nh,
        "num_hidden_layers": arch["num_hidden_layers"],
        "num_key_value_heads": arch["num_key_value_heads"],
        "pretraining_tp": 1,
        "rms_norm_eps": arch["rms_norm_eps"],
        "rope_scaling": None,
        "rope_theta": arch["rope_theta"],
        "tie_word_embeddings": arch.get("tie_word_embeddings", True),
        "torch_dtype": dtype,
        "use_cache": True,
        "vocab_size": arch["vocab_size"],
    }
