#!/usr/bin/python3
"""PyTorch CPU eager baseline for `lamina bench`: a Llama-architecture decoder
at a hub model's shape with random fp32 weights, timed the way lamina times
itself (prefill of a prompt, then greedy decode with a KV cache).

It is written to be a strong eager baseline, not a straw man:
  * fp32 weights and activations (what torch's CPU kernels are tuned for),
  * torch.inference_mode() (no autograd bookkeeping),
  * a preallocated KV cache written in place (no torch.cat per token),
  * logits only for the last position (as HF generate does since
    num_logits_to_keep), and one-token decode steps without a mask,
  * every linear layer goes to the BLAS in libblas.so.3 (OpenBLAS here);
    one-token steps use torch.mv (BLAS gemv), which measured faster here than
    F.linear's gemm with one row (--decode-op linear restores F.linear),
  * q/k/v and gate/up fused into one matmul each.

Usage: torch_llama.py [--threads N] [--decode-op mv|linear] [--prompt-len 128] [--new-tokens 128]
                      [--reps 3] [--seed 1] [--json]
"""
import argparse
import json
import math
import os
import statistics
import time

import torch
import torch.nn.functional as F

# HuggingFaceTB/SmolLM2-135M config.json (llama, tied embeddings).
SHAPES = {
    "smollm2-135m": dict(vocab=49152, hidden=576, layers=30, heads=9, kv_heads=3,
                         head_dim=64, inter=1536, rope_theta=100000.0, eps=1e-5),
}


def linear_mv(x, w):
    """x (T,K) · wᵀ with w (N,K); gemv when T is 1."""
    if x.shape[0] == 1:
        return torch.mv(w, x[0]).unsqueeze(0)
    return F.linear(x, w)


class Llama:
    def __init__(self, cfg, max_len, seed, lin_op=linear_mv):
        self.lin = lin_op
        g = torch.Generator().manual_seed(seed)
        C, I = cfg["hidden"], cfg["inter"]
        H, G, D = cfg["heads"], cfg["kv_heads"], cfg["head_dim"]
        self.cfg = cfg

        def lin(n, k):  # (N,K) like nn.Linear.weight, uniform ±1/sqrt(K)
            return (torch.rand(n, k, generator=g) * 2 - 1) / math.sqrt(k)

        def norm(n):
            return 1 + (torch.rand(n, generator=g) * 2 - 1) * 0.1

        self.embed = torch.rand(cfg["vocab"], C, generator=g) * 2 - 1
        self.layers = []
        for _ in range(cfg["layers"]):
            self.layers.append(dict(
                n1=norm(C),
                # q, k and v fused into one (H*D + 2*G*D, C) matmul, as the
                # faster eager implementations do.
                qkv=torch.cat([lin(H * D, C), lin(G * D, C), lin(G * D, C)]),
                o=lin(C, H * D), n2=norm(C),
                # gate and up fused likewise.
                gu=torch.cat([lin(I, C), lin(I, C)]),
                down=lin(C, I),
                k=torch.zeros(G, max_len, D), v=torch.zeros(G, max_len, D)))
        self.norm = norm(C)
        inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
        ang = torch.outer(torch.arange(max_len, dtype=torch.float64), inv)
        self.cos = torch.cat([ang.cos(), ang.cos()], -1).float()  # (S,D)
        self.sin = torch.cat([ang.sin(), ang.sin()], -1).float()

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.cfg["eps"]) * w

    @staticmethod
    def rot_half(x):
        h = x.shape[-1] // 2
        return torch.cat([-x[..., h:], x[..., :h]], -1)

    def forward(self, ids, pos):
        """ids (T,) at positions pos..pos+T-1 → next-token logits (V) of the last."""
        c = self.cfg
        H, G, D = c["heads"], c["kv_heads"], c["head_dim"]
        T = ids.shape[0]
        x = F.embedding(ids, self.embed)  # (T,C)
        cos, sin = self.cos[pos:pos + T], self.sin[pos:pos + T]  # (T,D)
        mask = None
        if T > 1:
            mask = torch.full((T, pos + T), float("-inf")).triu(pos + 1)
        for L in self.layers:
            h = self.rms(x, L["n1"])
            qkv = self.lin(h, L["qkv"])
            q, k, v = qkv.split([H * D, G * D, G * D], -1)
            q = q.view(T, H, D).transpose(0, 1)  # (H,T,D)
            k = k.view(T, G, D).transpose(0, 1)
            v = v.view(T, G, D).transpose(0, 1)
            q = q * cos + self.rot_half(q) * sin
            k = k * cos + self.rot_half(k) * sin
            L["k"][:, pos:pos + T] = k
            L["v"][:, pos:pos + T] = v
            kc, vc = L["k"][:, :pos + T], L["v"][:, :pos + T]  # (G,S,D)
            # grouped-query attention without repeating K/V: fold the H/G
            # query heads of a group into the row dimension.
            qg = q.reshape(G, (H // G) * T, D)
            s = torch.bmm(qg, kc.transpose(1, 2)) / math.sqrt(D)  # (G,(H/G)T,S)
            if mask is not None:
                s = s.view(G, H // G, T, -1) + mask
                s = s.view(G, (H // G) * T, -1)
            a = torch.bmm(torch.softmax(s, -1), vc)  # (G,(H/G)T,D)
            a = a.view(H, T, D).transpose(0, 1).reshape(T, H * D)
            x = x + self.lin(a, L["o"])
            h = self.rms(x, L["n2"])
            gate, up = self.lin(h, L["gu"]).chunk(2, -1)
            x = x + self.lin(F.silu(gate) * up, L["down"])
        x = self.rms(x[-1:], self.norm)
        return self.lin(x, self.embed)[0]  # tied lm_head, last position only


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="smollm2-135m", choices=sorted(SHAPES))
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--prompt-len", type=int, default=128)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--decode-op", default="mv", choices=["mv", "linear"],
                    help="one-token linears: torch.mv (gemv) or F.linear")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = SHAPES[a.shape]
    t0 = time.perf_counter()
    m = Llama(cfg, a.prompt_len + a.new_tokens, a.seed,
              linear_mv if a.decode_op == "mv" else F.linear)
    build_s = time.perf_counter() - t0
    g = torch.Generator().manual_seed(a.seed)
    prompt = torch.randint(0, cfg["vocab"], (a.prompt_len,), generator=g)

    def once(n):
        """Returns (wall, cpu) seconds of the prefill and of n decode steps;
        cpu is process CPU time, all threads (time.process_time)."""
        t0, c0 = time.perf_counter(), time.process_time()
        nxt = m.forward(prompt, 0).argmax()
        t1, c1 = time.perf_counter(), time.process_time()
        for i in range(n):
            nxt = m.forward(nxt.view(1), a.prompt_len + i).argmax()
        return (t1 - t0, c1 - c0), (time.perf_counter() - t1, time.process_time() - c1)

    with torch.inference_mode():
        once(min(4, a.new_tokens))  # warm-up, untimed (as lamina bench does)
        pre, dec, pre_cpu, dec_cpu = [], [], [], []
        for _ in range(a.reps):
            p, d = once(a.new_tokens)
            pre.append(a.prompt_len / p[0])
            dec.append(a.new_tokens / d[0])
            pre_cpu.append(a.prompt_len / p[1])
            dec_cpu.append(a.new_tokens / d[1])
    rss = None
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    rss = int(line.split()[1]) / 1024
    except OSError:
        pass
    res = dict(shape=a.shape, dtype="F32", torch=torch.__version__, threads=a.threads, decode_op=a.decode_op,
               openblas_threads=os.environ.get("OPENBLAS_NUM_THREADS"),
               prompt_len=a.prompt_len, new_tokens=a.new_tokens, reps=a.reps, build_s=build_s,
               prefill_tok_s=statistics.median(pre), decode_tok_s=statistics.median(dec),
               prefill_runs_tok_s=pre, decode_runs_tok_s=dec,
               prefill_tok_per_cpu_s=statistics.median(pre_cpu),
               decode_tok_per_cpu_s=statistics.median(dec_cpu), peak_rss_mib=rss)
    if a.json:
        print(json.dumps(res))
    else:
        print(f"torch {res['torch']} eager fp32, {a.threads} threads, decode op {a.decode_op}, "
              f"OPENBLAS_NUM_THREADS={res['openblas_threads']}")
        print(f"  prefill {a.prompt_len:4d} tokens: {res['prefill_tok_s']:8.1f} tokens/s  {pre}")
        print(f"  decode  {a.new_tokens:4d} tokens: {res['decode_tok_s']:8.1f} tokens/s  {dec}")
        print(f"  per CPU-second (all threads): prefill {res['prefill_tok_per_cpu_s']:.1f} tokens, "
              f"decode {res['decode_tok_per_cpu_s']:.1f} tokens")
        print(f"  peak RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
