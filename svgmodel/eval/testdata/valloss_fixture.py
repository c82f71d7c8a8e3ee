#!/usr/bin/env python3
"""Writes the validation-loss parity fixture of svgmodel/eval (testdata/valloss/): a few
validation rows of a `lamina svg dataset` folder and PyTorch's val_loss on them for a model,
computed as train/svg/train.py's val_loss but with svgmodel.Noise's noise (splitmix64 feeding
Box-Muller, re-implemented here) so that Go's ValidationLoss must give the same number.

  /usr/bin/python3 svgmodel/eval/testdata/valloss_fixture.py --data DIR --model svgmodel/testdata/tiny \
      --rows 0,120,260,410 --out svgmodel/eval/testdata/valloss
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "train", "svg"))
import dit  # noqa: E402
import sample  # noqa: E402

M64 = (1 << 64) - 1
T_GRID = (0.1, 0.3, 0.5, 0.7, 0.9)
NOISE_SEED = 1234  # eval.valNoiseSeed


def go_noise(seed, n):
    """svgmodel.Noise: splitmix64 → uniform (0,1) → Box–Muller pairs, as float32."""
    s = seed

    def nxt():
        nonlocal s
        s = (s + 0x9E3779B97F4A7C15) & M64
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
        return ((z >> 11) + 0.5) / float(1 << 53)

    out = np.zeros(n, dtype=np.float32)
    for i in range(0, n, 2):
        u1, u2 = nxt(), nxt()
        r = math.sqrt(-2 * math.log(u1))
        out[i] = r * math.cos(2 * math.pi * u2)
        if i + 1 < n:
            out[i + 1] = r * math.sin(2 * math.pi * u2)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--rows", default="0,120,260,410")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    with open(os.path.join(a.data, "manifest.json")) as f:
        man = json.load(f)
    xv = np.load(os.path.join(a.data, man["splits"]["val"]["tokens"])).astype(np.float32)
    with open(os.path.join(a.data, man["splits"]["val"]["metadata"])) as f:
        meta = [json.loads(line) for line in f if line.strip()]
    rows = [int(r) for r in a.rows.split(",")]
    x = xv[rows]
    mrows = [dict(meta[r], row=i) for i, r in enumerate(rows)]
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, "val.npy"), x.astype("<f4"))
    with open(os.path.join(a.out, "val.jsonl"), "w") as f:
        for m in mrows:
            f.write(json.dumps(m) + "\n")
    split = dict(rows=len(rows), tokens="val.npy", metadata="val.jsonl")
    small = {k: man[k] for k in ("format", "K", "N", "F", "shape", "dtype", "viewbox")}
    small["splits"] = {"train": split, "val": split}  # the loss reads only val
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(small, f, indent=1)

    m, cfg = sample.load(a.model)
    K, F = cfg["slots"], cfg["fields"]
    def loss(shift):
        """Mean loss with row i captioned by row (i+shift) mod n (train.py's shuffle_captions
        is shift 1)."""
        per_t = [0.0] * len(T_GRID)
        with torch.no_grad():
            for i in range(len(mrows)):
                label = mrows[(i + shift) % len(mrows)]["label"]
                ids, mask = dit.pad_captions([label], cfg, "cpu")
                text, pooled = m.encode_text(ids, mask)
                x0 = torch.from_numpy(x[i:i + 1])
                for j, tv in enumerate(T_GRID):
                    noise = torch.from_numpy(go_noise(NOISE_SEED + 5 * i + j, K * F).reshape(1, K, F))
                    xt = (1 - tv) * x0 + tv * noise
                    v = m(xt, torch.full((1,), tv), text, pooled, mask)
                    per_t[j] += ((v - (noise - x0)) ** 2).mean().item()
        return [p / len(rows) for p in per_t]

    per_t, shuffled = loss(0), loss(1)
    want = dict(model=a.model, rows=rows, per_t=per_t, loss=sum(per_t) / len(per_t),
                shuffled_loss=sum(shuffled) / len(shuffled),
                noise_head=[float(v) for v in go_noise(NOISE_SEED, 4)])
    with open(os.path.join(a.out, "want.json"), "w") as f:
        json.dump(want, f, indent=1)
    print(json.dumps(want))


if __name__ == "__main__":
    main()
