"""The layered-SVG diffusion transformer (DiT) and its byte-level text encoder.

Everything here is mirrored op for op by lamina's Go inference (package svgmodel), so keep the
arithmetic simple and explicit: LayerNorm, Linear, tanh-GELU, SiLU, softmax attention, sinusoidal
time features. Objective: rectified flow (Liu et al. 2022; SD3's logit-normal t sampling).
x_t = (1 - t) * x0 + t * noise, the network predicts v = noise - x0, and sampling integrates
dx/dt = v from t = 1 (noise) to t = 0 (data) with Euler steps.

Shapes use fixed letters: B batch, K slots, F slot fields, L text bytes, D model width.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F_

import unicodedata

BOS = 256  # every byte-level caption starts with it, so the empty caption has length 1
TEXT_VOCAB = 257


def text_vocab(cfg):
    """Rows of the caption embedding: 257 for bytes, cfg["text_vocab"] for hashed words."""
    return cfg.get("text_vocab", TEXT_VOCAB) if cfg.get("text_tokenizer", "bytes") == "words" else TEXT_VOCAB


def caption_words(text):
    """Lower-cased runs of letters and digits (Unicode categories L* and N*)."""
    words, cur = [], []
    for ch in text.lower():
        if unicodedata.category(ch)[0] in "LN":
            cur.append(ch)
        elif cur:
            words.append("".join(cur))
            cur = []
    if cur:
        words.append("".join(cur))
    return words


def fnv1a32(b):
    h = 0x811C9DC5
    for x in b:
        h = ((h ^ x) * 0x01000193) & 0xFFFFFFFF
    return h


def encode_caption(text, cfg):
    """Caption ids, truncated at cfg["text_max_len"] ids in all.

    bytes: BOS (256) then the lower-cased UTF-8 bytes. words: BOS (vocab-1) then one id per word,
    FNV-1a 32 of its UTF-8 bytes mod (vocab-1) — a hashed vocabulary, so unseen words still get an
    id (sharing it with others) and no word list ships with the model."""
    max_len = cfg["text_max_len"]
    if cfg.get("text_tokenizer", "bytes") == "words":
        v = cfg["text_vocab"]
        ids = [v - 1] + [fnv1a32(w.encode("utf-8")) % (v - 1) for w in caption_words(text)]
    else:
        ids = [BOS] + list(text.lower().encode("utf-8"))
    return ids[:max_len]


def gelu(x):
    # GPT-2's tanh approximation, the same formula lamina's GeluTanh op computes. torch's fused
    # kernel (approximate="tanh", torch >= 1.12) computes the same formula in one pass, forward
    # and backward; the explicit expression is the fallback.
    if _FUSED_GELU:
        return F_.gelu(x, approximate="tanh")
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


try:
    F_.gelu(torch.zeros(1), approximate="tanh")
    _FUSED_GELU = True
except TypeError:
    _FUSED_GELU = False


def attention(q, k, v, heads, key_mask=None):
    """q (B,Tq,D), k/v (B,Tk,D), key_mask (B,Tk) True where the key is real. Full (non-causal)."""
    B, Tq, D = q.shape
    Tk = k.shape[1]
    hd = D // heads
    q = q.view(B, Tq, heads, hd).transpose(1, 2)
    k = k.view(B, Tk, heads, hd).transpose(1, 2)
    v = v.view(B, Tk, heads, hd).transpose(1, 2)
    s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
    if key_mask is not None:
        s = s.masked_fill(~key_mask[:, None, None, :], float("-inf"))
    p = torch.softmax(s.float(), dim=-1).to(q.dtype)
    return (p @ v).transpose(1, 2).reshape(B, Tq, D)


class MLP(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)

    def forward(self, x):
        return self.fc2(gelu(self.fc1(x)))


class TextBlock(nn.Module):
    """Pre-LN transformer block with full self-attention over the caption bytes."""

    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d, eps=1e-5)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d, eps=1e-5)
        self.mlp = MLP(d, 4 * d)

    def forward(self, x, mask):
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        x = x + self.proj(attention(q, k, v, self.heads, mask))
        return x + self.mlp(self.ln2(x))


class TextEncoder(nn.Module):
    def __init__(self, d, layers, heads, max_len, vocab=TEXT_VOCAB):
        super().__init__()
        self.max_len = max_len
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(max_len, d)
        self.blocks = nn.ModuleList([TextBlock(d, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(d, eps=1e-5)

    def forward(self, ids, mask):
        """ids (B,L) long, mask (B,L) bool → tokens (B,L,D), pooled (B,D) (masked mean)."""
        L = ids.shape[1]
        x = self.tok(ids) + self.pos(torch.arange(L, device=ids.device))[None]
        for b in self.blocks:
            x = b(x, mask)
        x = self.ln(x)
        m = mask.to(x.dtype)[..., None]
        pooled = (x * m).sum(1) / m.sum(1).clamp(min=1.0)
        return x, pooled


def timestep_features(t, dim):
    """Sinusoidal features of t*1000 (B,) → (B,dim): [cos(t·f_i), sin(t·f_i)], f_i = 10000^(-i/half)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    a = (t.float() * 1000.0)[:, None] * freqs[None]
    return torch.cat([torch.cos(a), torch.sin(a)], dim=-1)


class DiTBlock(nn.Module):
    """adaLN-Zero self-attention and MLP (Peebles & Xie 2023) with a plain pre-LN cross-attention
    to the caption tokens between them."""

    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d, eps=1e-6, elementwise_affine=False)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.lnx = nn.LayerNorm(d, eps=1e-5)
        self.xq = nn.Linear(d, d)
        self.xkv = nn.Linear(d, 2 * d)
        self.xproj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d, eps=1e-6, elementwise_affine=False)
        self.mlp = MLP(d, 4 * d)
        self.ada = nn.Linear(d, 6 * d)
        nn.init.zeros_(self.ada.weight)
        nn.init.zeros_(self.ada.bias)

    def forward(self, x, c, text, text_mask):
        # c is (B,D) already passed through SiLU.
        sh1, sc1, g1, sh2, sc2, g2 = self.ada(c)[:, None].chunk(6, dim=-1)
        h = self.ln1(x) * (1 + sc1) + sh1
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        x = x + g1 * self.proj(attention(q, k, v, self.heads))
        h = self.lnx(x)
        k, v = self.xkv(text).chunk(2, dim=-1)
        x = x + self.xproj(attention(self.xq(h), k, v, self.heads, text_mask))
        h = self.ln2(x) * (1 + sc2) + sh2
        return x + g2 * self.mlp(h)


class LayeredDiT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d = cfg["d_model"]
        self.text = TextEncoder(cfg["text_d_model"], cfg["text_layers"], cfg["text_heads"], cfg["text_max_len"],
                                text_vocab(cfg))
        self.text_proj = nn.Linear(cfg["text_d_model"], d)
        self.inp = nn.Linear(cfg["fields"], d)
        self.slot = nn.Parameter(torch.randn(cfg["slots"], d) * 0.02)
        self.t1 = nn.Linear(cfg["time_features"], d)
        self.t2 = nn.Linear(d, d)
        self.pool = nn.Linear(cfg["text_d_model"], d)
        self.blocks = nn.ModuleList([DiTBlock(d, cfg["heads"]) for _ in range(cfg["layers"])])
        self.ln_out = nn.LayerNorm(d, eps=1e-6, elementwise_affine=False)
        self.ada_out = nn.Linear(d, 2 * d)
        self.out = nn.Linear(d, cfg["fields"])
        for m in (self.ada_out, self.out):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    def encode_text(self, ids, mask):
        tok, pooled = self.text(ids, mask)
        return self.text_proj(tok), self.pool(pooled)

    def forward(self, x, t, text, pooled, text_mask):
        """x (B,K,F), t (B,), text (B,L,D) projected caption tokens, pooled (B,D) → v (B,K,F)."""
        c = self.t2(F_.silu(self.t1(timestep_features(t, self.cfg["time_features"])))) + pooled
        c = F_.silu(c)
        h = self.inp(x) + self.slot[None]
        for b in self.blocks:
            h = b(h, c, text, text_mask)
        sh, sc = self.ada_out(c)[:, None].chunk(2, dim=-1)
        return self.out(self.ln_out(h) * (1 + sc) + sh)


def pad_captions(captions, cfg, device):
    ids = [encode_caption(c, cfg) for c in captions]
    L = max(len(i) for i in ids)
    arr = torch.zeros(len(ids), L, dtype=torch.long)
    mask = torch.zeros(len(ids), L, dtype=torch.bool)
    for r, i in enumerate(ids):
        arr[r, : len(i)] = torch.tensor(i)
        mask[r, : len(i)] = True
    return arr.to(device), mask.to(device)


@torch.no_grad()
def sample(model, captions, noise, steps, cfg_scale, keep=None, keep_mask=None):
    """Euler rectified-flow sampler with classifier-free guidance.

    noise (B,K,F) is the t=1 state. keep (B,K,F) and keep_mask (B,K,F) bool, when given, re-impose
    the kept fields at every step at the matching noise level (RePaint-style):
    x[kept] = (1-t)·keep + t·noise. Returns x at t=0.
    """
    device = noise.device
    B = noise.shape[0]
    ids, mask = pad_captions(captions, model.cfg, device)
    uids, umask = pad_captions([""] * B, model.cfg, device)
    text_c, pool_c = model.encode_text(ids, mask)
    text_u, pool_u = model.encode_text(uids, umask)
    x = noise.clone()
    for i in range(steps):
        t = 1.0 - i / steps
        t_next = 1.0 - (i + 1) / steps
        if keep is not None:
            x = torch.where(keep_mask, (1 - t) * keep + t * noise, x)
        tt = torch.full((B,), t, device=device)
        v_c = model(x, tt, text_c, pool_c, mask)
        if cfg_scale != 1.0:
            v_u = model(x, tt, text_u, pool_u, umask)
            v = v_u + cfg_scale * (v_c - v_u)
        else:
            v = v_c
        x = x + (t_next - t) * v
    if keep is not None:
        x = torch.where(keep_mask, keep, x)
    return x
