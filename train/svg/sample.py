#!/usr/bin/env python3
"""Reference sampler for Go/PyTorch parity: runs dit.sample on an exported model directory.

  sample.py --model DIR --noise N.f32 --prompt TEXT --steps S --cfg G --out X.f32
            [--keep KEEP.f32 --mask MASK.u8]

Arrays are raw little-endian (K,F) float32 (mask: one byte per value, 1 = kept), so Go reads them
with no parser. Runs in float32 on the CPU.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _here)
sys.path.insert(0, os.path.join(_here, "..", "lm"))
import dit  # noqa: E402
import safetensors_io  # noqa: E402


def load(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    m = dit.LayeredDiT(cfg)
    sd = {k: v.float() for k, v in safetensors_io.load_file(os.path.join(model_dir, "model.safetensors")).items()}
    m.load_state_dict(sd)
    return m.eval(), cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--noise", required=True)
    ap.add_argument("--prompt", default="")
    ap.add_argument("--steps", type=int, default=24)
    ap.add_argument("--cfg", type=float, default=3.0)
    ap.add_argument("--keep")
    ap.add_argument("--mask")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    m, cfg = load(a.model)
    shape = (1, cfg["slots"], cfg["fields"])
    noise = torch.from_numpy(np.fromfile(a.noise, dtype="<f4").reshape(shape))
    keep = mask = None
    if a.keep:
        keep = torch.from_numpy(np.fromfile(a.keep, dtype="<f4").reshape(shape))
        mask = torch.from_numpy(np.fromfile(a.mask, dtype=np.uint8).reshape(shape).astype(bool))
    x = dit.sample(m, [a.prompt], noise, a.steps, a.cfg, keep, mask)
    x[0].numpy().astype("<f4").tofile(a.out)


if __name__ == "__main__":
    main()
