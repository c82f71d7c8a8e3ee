#!/usr/bin/env python3
"""Train lamina's layered-SVG diffusion transformer on the vector pipeline's dataset.

  train.py --data DIR --out DIR [--config tiny|small] [--time-budget-s N] [--device cuda|cpu]

DIR (from `lamina svg dataset --out DIR`) holds manifest.json, train/val token arrays (M,K,F) as
.npy and one JSON line of metadata (label, tags, group, subgroup) per row. Writes to --out: model.safetensors,
config.json, log.jsonl (train and validation loss), loss.csv.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch

_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _here)
sys.path.insert(0, os.path.join(_here, "..", "lm"))
import dit  # noqa: E402
import safetensors_io  # noqa: E402  (shared with the language-model trainer)

CONFIGS = {
    # A few dozen CPU steps in CI; the Go/PyTorch parity check uses it too.
    "tiny": dict(d_model=64, heads=4, layers=2, text_d_model=48, text_layers=1, text_heads=4,
                 text_max_len=48, time_features=64, batch=16, lr=1e-3, warmup=10),
    # CPU-sized run (no GPU machine): ~1M parameters, trainable in about 1.5 hours on one core.
    "cpu": dict(d_model=128, heads=4, layers=4, text_d_model=96, text_layers=2, text_heads=4,
                text_max_len=64, time_features=64, batch=48, lr=1e-3, warmup=100),
    # The GPU-sized model: ~11M parameters, ~22 MB as f16.
    "small": dict(d_model=256, heads=8, layers=6, text_d_model=192, text_layers=3, text_heads=6,
                  text_max_len=96, time_features=128, batch=256, lr=4e-4, warmup=400),
}


def load_split(data_dir, manifest, split):
    info = manifest["splits"][split]
    x = np.load(os.path.join(data_dir, info["tokens"])).astype(np.float32)
    with open(os.path.join(data_dir, info["metadata"])) as f:
        meta = [json.loads(line) for line in f if line.strip()]
    assert len(meta) == x.shape[0], (len(meta), x.shape)
    return x, meta


def caption(meta, rng):
    """A caption built from the emoji's name, a few of its tags and its group words. Training
    draws varied captions; rng=None gives the canonical validation caption (the name)."""
    name = meta.get("label", "")
    if rng is None:
        return name
    parts = [name]
    tags = list(meta.get("tags") or [])
    rng.shuffle(tags)
    parts += tags[: rng.randint(0, min(4, len(tags)))]
    if rng.random() < 0.3 and meta.get("subgroup"):
        parts.append(meta["subgroup"].replace("-", " "))
    if rng.random() < 0.2 and meta.get("group"):
        parts.append(meta["group"].replace("-", " "))
    if rng.random() < 0.2:
        parts = parts[1:] or parts
    return " ".join(p for p in parts if p)


def color_jitter(x, rgb, exists, rng_t, amount):
    """Shift each existing slot's RGB by a small per-document offset (layers keep their relative
    colours) and clamp to the field range [-1, 1]."""
    B = x.shape[0]
    delta = (torch.rand(B, 1, 3, generator=rng_t) * 2 - 1) * amount
    m = (x[:, :, exists:exists + 1] > 0).float()
    x[:, :, rgb:rgb + 3] = (x[:, :, rgb:rgb + 3] + delta.to(x.device) * m).clamp(-1, 1)
    return x


def rf_loss(model, x0, captions, device, gen, cfg_drop):
    B = x0.shape[0]
    caps = ["" if random.random() < cfg_drop else c for c in captions]
    ids, mask = dit.pad_captions(caps, model.cfg, device)
    text, pooled = model.encode_text(ids, mask)
    # Logit-normal t (SD3): more weight on the middle of the path where the velocity is hardest.
    t = torch.sigmoid(torch.randn(B, generator=gen, device=device))
    noise = torch.randn(x0.shape, generator=gen, device=device)
    xt = (1 - t)[:, None, None] * x0 + t[:, None, None] * noise
    v = model(xt, t, text, pooled, mask)
    return ((v - (noise - x0)) ** 2).mean()


@torch.no_grad()
def val_loss(model, xv, metav, device, batch=256, shuffle_captions=False):
    """Validation loss at fixed noise and a fixed t grid so the curve is comparable step to step.

    shuffle_captions pairs every drawing with another validation row's caption (a fixed
    derangement): the gap between that loss and the true one is how much the prompt informs the
    prediction — a model that ignores its text has no gap."""
    gen = torch.Generator(device=device).manual_seed(1234)
    caps_all = [caption(m, None) for m in metav]
    if shuffle_captions and len(caps_all) > 1:
        caps_all = caps_all[1:] + caps_all[:1]
    total, n = 0.0, 0
    for i in range(0, len(xv), batch):
        x0 = xv[i:i + batch].to(device)
        caps = caps_all[i:i + batch]
        ids, mask = dit.pad_captions(caps, model.cfg, device)
        text, pooled = model.encode_text(ids, mask)
        for tv in (0.1, 0.3, 0.5, 0.7, 0.9):
            t = torch.full((x0.shape[0],), tv, device=device)
            noise = torch.randn(x0.shape, generator=gen, device=device)
            xt = (1 - tv) * x0 + tv * noise
            v = model(xt, t, text, pooled, mask)
            total += ((v - (noise - x0)) ** 2).mean().item() * x0.shape[0]
            n += x0.shape[0]
    return total / max(n, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--config", default="small", choices=sorted(CONFIGS))
    ap.add_argument("--time-budget-s", type=float, default=300)
    ap.add_argument("--max-steps", type=int, default=0)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cfg-drop", type=float, default=0.1)
    ap.add_argument("--val-every", type=int, default=200)
    ap.add_argument("--train-rows", type=int, default=0, help="use only the first N rows (smoke tests)")
    ap.add_argument("--val-rows", type=int, default=0, help="validate on the first N rows only")
    ap.add_argument("--text-tokenizer", default="bytes", choices=["bytes", "words"],
                    help="caption ids: UTF-8 bytes, or hashed words (see dit.encode_caption)")
    ap.add_argument("--text-vocab", type=int, default=8192, help="hashed-word vocabulary (words only)")
    ap.add_argument("--dtype", default="f16", choices=["f32", "f16"], help="exported weight dtype")
    args = ap.parse_args()

    start = time.time()
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    with open(os.path.join(args.data, "manifest.json")) as f:
        manifest = json.load(f)
    xtr, metatr = load_split(args.data, manifest, "train")
    xva, metava = load_split(args.data, manifest, "val")
    if args.train_rows:
        xtr, metatr = xtr[:args.train_rows], metatr[:args.train_rows]
    if args.val_rows:
        xva, metava = xva[:args.val_rows], metava[:args.val_rows]
    K, Fw = xtr.shape[1], xtr.shape[2]
    fields = manifest["fields"]
    exists_i, rgb_i = fields.index("exists"), fields.index("r")

    hp = dict(CONFIGS[args.config])
    cfg = dict(hp, slots=K, fields=Fw, cubics=manifest["N"], config_name=args.config)
    if args.text_tokenizer == "words":
        cfg.update(text_tokenizer="words", text_vocab=args.text_vocab)
    for k in ("batch", "lr", "warmup"):
        cfg.pop(k)
    model = dit.LayeredDiT(cfg).to(device)
    ema = dit.LayeredDiT(cfg).to(device)
    ema.load_state_dict(model.state_dict())
    nparams = sum(p.numel() for p in model.parameters())
    print(f"params {nparams/1e6:.2f}M  train {len(xtr)}  val {len(xva)}  K={K} F={Fw}  device {device}", flush=True)

    opt = torch.optim.AdamW(model.parameters(), lr=hp["lr"], weight_decay=0.01, betas=(0.9, 0.99))
    xtr_t = torch.from_numpy(xtr).to(device)
    xva_t = torch.from_numpy(xva)
    gen = torch.Generator(device=device).manual_seed(args.seed)
    cpu_gen = torch.Generator().manual_seed(args.seed)
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "log.jsonl"), "w")
    use_amp = device.type == "cuda"
    step, ema_decay = 0, 0.999
    budget = args.time_budget_s
    est_total = None
    t20 = 0.0
    while True:
        elapsed = time.time() - start
        if args.max_steps and step >= args.max_steps:
            break
        if not args.max_steps and elapsed > budget:
            break
        # Cosine decay over the estimated number of steps that fit the budget, from the step
        # rate measured between steps 20 and 120 (after warm-up and the first validation).
        if step == 20:
            t20 = elapsed
        if step == 120 and not args.max_steps:
            rate = 100 / max(elapsed - t20, 1e-6)
            est_total = int(step + rate * (budget - elapsed) * 0.97)
        total = args.max_steps or est_total or 10 ** 9
        lr = hp["lr"] * min(1.0, (step + 1) / hp["warmup"]) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total))))
        for g in opt.param_groups:
            g["lr"] = lr
        idx = torch.randint(0, len(xtr_t), (hp["batch"],), generator=cpu_gen)
        x0 = xtr_t[idx.to(device)].clone()
        x0 = color_jitter(x0, rgb_i, exists_i, cpu_gen, 0.06)
        caps = [caption(metatr[i], rng) for i in idx.tolist()]
        if use_amp:
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                loss = rf_loss(model, x0, caps, device, gen, args.cfg_drop)
        else:
            loss = rf_loss(model, x0, caps, device, gen, args.cfg_drop)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            d = min(ema_decay, (1 + step) / (10 + step))
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(d).add_(pm.detach(), alpha=1 - d)
        step += 1
        if step % args.val_every == 0 or step == 1:
            vl = val_loss(ema, xva_t, metava, device)
            vs = val_loss(ema, xva_t, metava, device, shuffle_captions=True)
            rec = dict(step=step, t=round(time.time() - start, 1), train_loss=loss.item(), val_loss=vl,
                       val_loss_shuffled=vs, lr=lr)
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
            log.flush()
    vl = val_loss(ema, xva_t, metava, device)
    vs = val_loss(ema, xva_t, metava, device, shuffle_captions=True)
    rec = dict(step=step, t=round(time.time() - start, 1), train_loss=loss.item(), val_loss=vl,
               val_loss_shuffled=vs, final=True)
    print(json.dumps(rec), flush=True)
    log.write(json.dumps(rec) + "\n")
    log.close()

    cfg.update(dict(objective="rectified_flow", params=nparams, train_steps=step,
                    dataset=dict(format=manifest.get("format"), sources=manifest.get("sources"),
                                 train_tokens_sha256=manifest["splits"]["train"].get("tokens_sha256"),
                                 K=K, N=manifest["N"], fields=fields)))
    ema = ema.float().cpu()
    sd = {k: (v.half() if args.dtype == "f16" else v) for k, v in ema.state_dict().items()}
    safetensors_io.save_file(sd, os.path.join(args.out, "model.safetensors"),
                             metadata={"format": "pt", "lamina": "layered-dit"})
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(dict(model_type="lamina_layered_dit", **cfg), f, indent=2, sort_keys=True)
    print(f"exported to {args.out} after {step} steps, {time.time()-start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
