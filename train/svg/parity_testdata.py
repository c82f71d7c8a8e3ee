#!/usr/bin/env python3
"""Writes Go/PyTorch parity cases for an exported model into DIR/parity/ (used by svgmodel's
tests and by train/svg/smoke.sh): seeded numpy noise, a keep/mask pair, and PyTorch's samples.

  parity_testdata.py --model DIR
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dit  # noqa: E402
import sample  # noqa: E402

CASES = [
    dict(name="generate", prompt="red heart", steps=6, cfg=3.0, keep=False),
    dict(name="unguided", prompt="", steps=4, cfg=1.0, keep=False),
    dict(name="keep", prompt="smiling face with sunglasses", steps=5, cfg=2.0, keep=True),
    # Unseen words, punctuation, digits and non-ASCII letters exercise the caption tokenizer.
    dict(name="unicode", prompt="Naïve CAFÉ-crème ×2, 東京 & snow_man!", steps=3, cfg=2.5, keep=False),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    m, cfg = sample.load(a.model)
    K, F = cfg["slots"], cfg["fields"]
    out = os.path.join(a.model, "parity")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    meta = []
    for c in CASES:
        noise = rng.standard_normal((1, K, F)).astype("<f4")
        noise.tofile(os.path.join(out, c["name"] + ".noise.f32"))
        keep = mask = None
        if c["keep"]:
            k = rng.uniform(-1, 1, (1, K, F)).astype("<f4")
            mk = np.zeros((1, K, F), dtype=np.uint8)
            mk[:, ::3, :] = 1      # whole slots kept
            mk[:, 1::3, :2] = 1    # structure fields only
            k.tofile(os.path.join(out, c["name"] + ".keep.f32"))
            mk.tofile(os.path.join(out, c["name"] + ".mask.u8"))
            keep, mask = torch.from_numpy(k), torch.from_numpy(mk.astype(bool))
        x = dit.sample(m, [c["prompt"]], torch.from_numpy(noise), c["steps"], c["cfg"], keep, mask)
        x[0].numpy().astype("<f4").tofile(os.path.join(out, c["name"] + ".want.f32"))
        meta.append(dict(c, ids=dit.encode_caption(c["prompt"], cfg)))
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
