"""Train draft adapters for self-speculative decoding (Kangaroo-style, Liu et al. 2024).

The base model stays frozen. For each exit E the adapter maps the layer-E residual state h_E to
h' = h_E + down(silu(gate(n)) * up(n)), n = rmsnorm(h_E) * norm.weight — a Llama MLP sub-block
with a small intermediate size r — and the draft token is argmax(lm_head(final_norm(h'))), the
model's own final norm and tied head. The full model verifies every draft, so greedy output does
not change; the adapter only raises how often layer E's draft agrees with it.

Training is distillation to the full model's next-token distribution on the Brown training split:
one frozen forward caches h_E (every exit) and the teacher's top-k logits, then each adapter is
trained on that cache (soft cross-entropy against the teacher's top-k softmax).

  /usr/bin/python3 train/lm/draft_adapter.py --model models/lamina-brown-20m \
      --data .cache/lmdata --exits 2,3,4,6 --rank 128 --tokens 65536 --epochs 6
  /usr/bin/python3 train/lm/draft_adapter.py --fixture model/testdata/draft_adapter_fixture.safetensors

Writes MODEL/draft_adapter.safetensors: for every exit E, tensors exit.E.norm.weight (C),
exit.E.gate.weight (r,C), exit.E.up.weight (r,C), exit.E.down.weight (C,r); metadata
{"format": "lamina-draft-adapter", "exits": "2,3,4,6", "rank": "128"}.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export  # noqa: E402
import safetensors_io  # noqa: E402


class Adapter(torch.nn.Module):
    def __init__(self, C, r, eps):
        super().__init__()
        self.norm = torch.nn.Parameter(torch.ones(C))
        self.gate = torch.nn.Linear(C, r, bias=False)
        self.up = torch.nn.Linear(C, r, bias=False)
        self.down = torch.nn.Linear(r, C, bias=False)
        torch.nn.init.normal_(self.gate.weight, 0, C ** -0.5)
        torch.nn.init.normal_(self.up.weight, 0, C ** -0.5)
        torch.nn.init.zeros_(self.down.weight)  # starts as the identity: the plain early exit
        self.eps = eps

    def forward(self, h):
        n = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps) * self.norm
        return h + self.down(F.silu(self.gate(n)) * self.up(n))

    def tensors(self, E):
        p = f"exit.{E}."
        return {p + "norm.weight": self.norm.data, p + "gate.weight": self.gate.weight.data,
                p + "up.weight": self.up.weight.data, p + "down.weight": self.down.weight.data}


def cache(model, ids, exits, seq, topk):
    """h_E for every exit (N,C) and the teacher's top-k (values, indices) over N positions."""
    hs = {E: [] for E in exits}
    tv, ti = [], []
    with torch.no_grad():
        for s in range(0, len(ids) - seq + 1, seq):
            x = torch.from_numpy(ids[s:s + seq].astype(np.int64))[None]
            outs = model.hidden_states(x)
            for E in exits:
                hs[E].append(outs[E - 1][0].clone())
            logits = model.exit_logits(outs[-1])[0]
            v, i = logits.topk(topk, dim=-1)
            tv.append(v)
            ti.append(i)
    return {E: torch.cat(h) for E, h in hs.items()}, torch.cat(tv), torch.cat(ti)


def agreement(model, ad, h, ti):
    """Fraction of positions where the (adapted) exit's argmax is the teacher's."""
    with torch.no_grad():
        hh = ad(h) if ad is not None else h
        return (model.exit_logits(hh).argmax(-1) == ti[:, 0]).float().mean().item()


def train_exit(model, E, h, tv, ti, hv, tiv, rank, epochs, batch, lr, temp, eps, args_hard):
    C = h.shape[1]
    ad = Adapter(C, rank, eps)
    opt = torch.optim.AdamW(ad.parameters(), lr=lr, weight_decay=0.0)
    N = h.shape[0]
    steps = epochs * (N // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    W = model.head_weight().detach()
    g = torch.Generator().manual_seed(E)
    soft = F.softmax(tv / temp, dim=-1)
    step = 0
    for ep in range(epochs):
        perm = torch.randperm(N, generator=g)
        for b in range(N // batch):
            idx = perm[b * batch:(b + 1) * batch]
            logits = F.linear(model.model.norm(ad(h[idx])), W)
            logp = F.log_softmax(logits / temp, dim=-1)
            # Soft targets (the teacher's top-k softmax) plus the teacher's argmax as a hard
            # label: greedy acceptance is argmax agreement.
            loss = -(soft[idx] * logp.gather(1, ti[idx])).sum(-1).mean() \
                + args_hard * F.cross_entropy(logits, ti[idx, 0])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
        print(json.dumps({"exit": E, "epoch": ep + 1, "loss": round(loss.item(), 4),
                          "val_agree": round(agreement(model, ad, hv, tiv), 4)}), flush=True)
    return ad


def write_fixture(path):
    """A tiny random adapter for exit 3 (C=8, r=4) at PATH, and at PATH_io an input (3,8) and
    torch's output: the Go test's independent reference."""
    torch.manual_seed(7)
    C, r, T, eps = 8, 4, 3, 1e-5
    ad = Adapter(C, r, eps)
    with torch.no_grad():
        ad.norm.copy_(1 + 0.3 * torch.randn(C))
        ad.down.weight.normal_(0, 0.5)
    h = torch.randn(T, C) * 2
    with torch.no_grad():
        out = ad(h)
    safetensors_io.save_file(ad.tensors(3), path, {"format": "lamina-draft-adapter", "exits": "3",
                                                   "rank": str(r), "eps": str(eps)})
    safetensors_io.save_file({"input": h, "expected": out}, path.replace(".safetensors", "_io.safetensors"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/lamina-brown-20m")
    ap.add_argument("--data", default=".cache/lmdata")
    ap.add_argument("--exits", default="2,3,4,6")
    ap.add_argument("--rank", type=int, default=128)
    ap.add_argument("--tokens", type=int, default=65536)
    ap.add_argument("--val-tokens", type=int, default=8192)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--topk", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--temp", type=float, default=1.0)
    ap.add_argument("--hard", type=float, default=1.0, help="weight of the teacher-argmax cross-entropy")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", help="default MODEL/draft_adapter.safetensors")
    ap.add_argument("--fixture", help="write the Go test fixture here and exit")
    args = ap.parse_args()
    if args.fixture:
        write_fixture(args.fixture)
        return
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    t0 = time.time()
    model, arch = export.load_hf(args.model)
    for p in model.parameters():
        p.requires_grad_(False)
    exits = [int(e) for e in args.exits.split(",")]
    # Windows of --seq tokens at seeded random offsets over the whole training split.
    full = np.fromfile(os.path.join(args.data, "train.bin"), dtype=np.uint16)
    offs = np.sort(np.random.default_rng(0).choice(len(full) // args.seq, args.tokens // args.seq,
                                                   replace=False)) * args.seq
    train = np.concatenate([full[o:o + args.seq] for o in offs])
    val = np.fromfile(os.path.join(args.data, "val.bin"), dtype=np.uint16)[:args.val_tokens]
    hs, tv, ti = cache(model, train, exits, args.seq, args.topk)
    hvs, _, tiv = cache(model, val, exits, args.seq, args.topk)
    print(json.dumps({"cached_tokens": int(tv.shape[0]), "val_tokens": int(tiv.shape[0]),
                      "seconds": round(time.time() - t0, 1)}), flush=True)
    tensors = {}
    report = {}
    for E in exits:
        before = agreement(model, None, hvs[E], tiv)
        ad = train_exit(model, E, hs[E], tv, ti, hvs[E], tiv, args.rank, args.epochs, args.batch,
                        args.lr, args.temp, arch["rms_norm_eps"], args.hard)
        after = agreement(model, ad, hvs[E], tiv)
        report[E] = {"val_agree_plain_exit": round(before, 4), "val_agree_adapter": round(after, 4)}
        print(json.dumps({"exit": E} | report[E] | {"seconds": round(time.time() - t0, 1)}), flush=True)
        tensors |= ad.tensors(E)
    out = args.out or os.path.join(args.model, "draft_adapter.safetensors")
    safetensors_io.save_file({k: v.half() for k, v in tensors.items()}, out,
                             {"format": "lamina-draft-adapter", "exits": args.exits,
                              "rank": str(args.rank), "eps": str(arch["rms_norm_eps"]),
                              "val_agreement": json.dumps(report)})
    print(json.dumps({"wrote": out, "bytes": os.path.getsize(out),
                      "seconds": round(time.time() - t0, 1)}))


if __name__ == "__main__":
    main()
