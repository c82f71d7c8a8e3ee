#!/usr/bin/env python3
"""Train lamina's layered-SVG diffusion transformer on the vector pipeline's dataset.

  train.py --data DIR --out DIR [--config tiny|cpu|small] [--time-budget-s N] [--device cuda|cpu]
           [--init-from models/layered-emoji] [--batch N] [--text-tokenizer words]

The step is built to keep the device busy: the dataset and every caption (several augmented
variants per row, tokenized once) live on the device as tensors; a step indexes them, draws
noise, t, colour jitter and caption dropout on the device, runs the model (bf16 autocast on
CUDA, torch.compile where torch has it), AdamW (fused on CUDA where torch has it, else
foreach) and a foreach EMA, and never waits on the host: losses are read only when logging.
--profile-steps N times the phases of N steps (with device syncs) and exits.

DIR (from `lamina svg dataset --out DIR`) holds manifest.json, train/val token arrays (M,K,F) as
.npy and one JSON line of metadata (label, tags, group, subgroup) per row. Writes to --out: model.safetensors,
config.json, log.jsonl (train and validation loss), loss.csv.
"""
import argparse
import json
import inspect
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


def caption(meta, rng, style_p=0.5, synonyms=None, syn_p=0.3):
    """A caption built from the emoji's name, a few of its tags and its group words, and (with
    probability style_p, when the row has one) its style word ("noto", "fluent", ...) before or
    after it, so a prompt may name a style and need not. With synonyms ({word: [synonym, ...]},
    synonyms.py) one word of the name is swapped for a synonym with probability syn_p ("red
    automobile" → "red car"). rng=None gives the canonical validation caption (the name, no
    style)."""
    name = meta.get("label", "")
    if rng is None:
        return name
    if synonyms and rng.random() < syn_p:
        words = name.split()
        cands = [i for i, w in enumerate(words) if w.lower().strip(":,") in synonyms]
        if cands:
            i = rng.choice(cands)
            words[i] = rng.choice(synonyms[words[i].lower().strip(":,")])
            name = " ".join(words)
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
    style = meta.get("style")
    if style and rng.random() < style_p:
        if rng.random() < 0.5:
            parts.insert(0, style)
        else:
            parts.append(style)
    return " ".join(p for p in parts if p)


def tokenize_captions(rows, cfg, device):
    """rows: a list of caption lists, C per row → ids (M,C,L) long and mask (M,C,L) bool on the
    device, L = the longest caption's length (at most text_max_len). Padding is masked, so a
    padded caption gives the model the same result as the unpadded one."""
    enc = [[dit.encode_caption(c, cfg) for c in caps] for caps in rows]
    M, C = len(enc), max(len(e) for e in enc)
    L = max(len(i) for e in enc for i in e)
    ids = torch.zeros(M, C, L, dtype=torch.long)
    mask = torch.zeros(M, C, L, dtype=torch.bool)
    for r, e in enumerate(enc):
        for c, i in enumerate(e):
            ids[r, c, :len(i)] = torch.tensor(i)
            mask[r, c, :len(i)] = True
    return ids.to(device), mask.to(device)


def caption_table(metas, cfg, device, variants, seed, style_p=0.5, synonyms=None):
    """Caption variants per training row: variant 0 the name, the others caption() draws."""
    rng = random.Random(seed)
    rows = [[caption(m, None)] + [caption(m, rng, style_p, synonyms) for _ in range(variants - 1)] for m in metas]
    return tokenize_captions(rows, cfg, device)


def color_jitter(x, rgb, exists, gen, amount):
    """Shift each existing slot's RGB by a small per-document offset (layers keep their relative
    colours) and clamp to the field range [-1, 1]. x (B,K,F); gen lives on x's device."""
    B = x.shape[0]
    delta = (torch.rand(B, 1, 3, generator=gen, device=x.device) * 2 - 1) * amount
    m = (x[:, :, exists:exists + 1] > 0).to(x.dtype)
    x[:, :, rgb:rgb + 3] = (x[:, :, rgb:rgb + 3] + delta * m).clamp(-1, 1)
    return x


def rf_loss(model, x0, ids, mask, gen):
    """Rectified-flow loss of one batch: x0 (B,K,F), caption ids/mask (B,L)."""
    B = x0.shape[0]
    text, pooled = model.encode_text(ids, mask)
    # Logit-normal t (SD3): more weight on the middle of the path where the velocity is hardest.
    t = torch.sigmoid(torch.randn(B, generator=gen, device=x0.device))
    noise = torch.randn(x0.shape, generator=gen, device=x0.device)
    xt = (1 - t)[:, None, None] * x0 + t[:, None, None] * noise
    v = model(xt, t, text, pooled, mask)
    return ((v.float() - (noise - x0)) ** 2).mean()


T_GRID = (0.1, 0.3, 0.5, 0.7, 0.9)


class Validator:
    """Validation loss at fixed noise and a fixed t grid so the curve is comparable step to step,
    with the captions and noise made once. gap() also scores every drawing with another
    validation row's caption (a fixed derangement): the gap between that loss and the true one
    is how much the prompt informs the prediction — a model that ignores its text has no gap."""

    def __init__(self, xv, metav, cfg, device, batch=256):
        self.xv, self.batch, self.device = xv.to(device), batch, device
        caps = [caption(m, None) for m in metav]
        self.ids, self.mask = tokenize_captions([[c] for c in caps], cfg, device)
        self.ids, self.mask = self.ids[:, 0], self.mask[:, 0]
        gen = torch.Generator(device=device).manual_seed(1234)
        self.noise = [torch.randn(self.xv.shape, generator=gen, device=device) for _ in T_GRID]

    @torch.no_grad()
    def loss(self, model, shuffle=False):
        ids, mask = self.ids, self.mask
        if shuffle and len(ids) > 1:
            ids, mask = torch.roll(ids, -1, 0), torch.roll(mask, -1, 0)
        total = torch.zeros((), device=self.device)
        for i in range(0, len(self.xv), self.batch):
            x0 = self.xv[i:i + self.batch]
            text, pooled = model.encode_text(ids[i:i + self.batch], mask[i:i + self.batch])
            for j, tv in enumerate(T_GRID):
                t = torch.full((x0.shape[0],), tv, device=self.device)
                noise = self.noise[j][i:i + self.batch]
                xt = (1 - tv) * x0 + tv * noise
                v = model(xt, t, text, pooled, mask[i:i + self.batch])
                total += ((v.float() - (noise - x0)) ** 2).mean() * x0.shape[0]
        return total.item() / max(len(self.xv) * len(T_GRID), 1)


def load_init(path, cfg, model):
    """Warm start: copy every tensor of path/model.safetensors whose name and shape match the
    new model; the rest keep their fresh initialisation (e.g. the caption embedding when the
    tokenizer changes). Returns (steps so far, names re-initialised)."""
    with open(os.path.join(path, "config.json")) as f:
        init_cfg = json.load(f)
    sd = safetensors_io.load_file(os.path.join(path, "model.safetensors"))
    own = model.state_dict()
    fresh = []
    for k, v in own.items():
        if k in sd and tuple(sd[k].shape) == tuple(v.shape):
            own[k] = sd[k].to(v.dtype)
        else:
            fresh.append(k)
    model.load_state_dict(own)
    steps = init_cfg.get("train_steps_total", init_cfg.get("train_steps", 0))
    return init_cfg, steps, fresh


ARCH_KEYS = ("d_model", "heads", "layers", "text_d_model", "text_layers", "text_heads", "text_max_len",
             "time_features")


def make_optimizer(params, lr, device):
    """AdamW, fused on CUDA where this torch has it, else the multi-tensor (foreach) path."""
    kw = dict(lr=lr, weight_decay=0.01, betas=(0.9, 0.99))
    sig = inspect.signature(torch.optim.AdamW).parameters
    if device.type == "cuda" and "fused" in sig:
        try:
            return torch.optim.AdamW(params, fused=True, **kw), "fused"
        except (RuntimeError, TypeError):
            pass
    if "foreach" in sig:
        return torch.optim.AdamW(params, foreach=True, **kw), "foreach"
    return torch.optim.AdamW(params, **kw), "plain"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--config", default="small", choices=sorted(CONFIGS))
    ap.add_argument("--time-budget-s", type=float, default=300, help="seconds of training (the loop; loading the data does not count)")
    ap.add_argument("--max-steps", type=int, default=0)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cfg-drop", type=float, default=0.1)
    ap.add_argument("--val-every", type=int, default=200)
    ap.add_argument("--train-rows", type=int, default=0, help="use only the first N rows (smoke tests)")
    ap.add_argument("--val-rows", type=int, default=0, help="validate on the first N rows only")
    ap.add_argument("--text-tokenizer", default=None, choices=["bytes", "words"],
                    help="caption ids: UTF-8 bytes, or hashed words (see dit.encode_caption); "
                         "default: the --init-from model's, else bytes")
    ap.add_argument("--text-vocab", type=int, default=8192, help="hashed-word vocabulary (words only)")
    ap.add_argument("--dtype", default="f16", choices=["f32", "f16"], help="exported weight dtype")
    ap.add_argument("--batch", type=int, default=0, help="override the config's batch")
    ap.add_argument("--lr", type=float, default=0, help="override the config's peak learning rate")
    ap.add_argument("--caption-variants", type=int, default=16,
                    help="augmented captions per training row, tokenized once (variant 0 = the name)")
    ap.add_argument("--style-p", type=float, default=0.5, help="share of captions that carry the style word")
    ap.add_argument("--synonyms", default="", help="synonyms.json for caption augmentation (default: DATA/synonyms.json "
                    "when present; 'none' = off)")
    ap.add_argument("--init-from", default="", help="warm start from a model folder (config.json + model.safetensors); "
                    "its architecture is used and its training steps carried on")
    ap.add_argument("--compile", default="auto", choices=["auto", "on", "off"],
                    help="torch.compile the training forward (auto: on CUDA when torch has it)")
    ap.add_argument("--save-every-s", type=float, default=0,
                    help="also export the EMA weights every N seconds (long CPU runs can be evaluated while they run)")
    ap.add_argument("--compile-mode", default="default", choices=["default", "reduce-overhead", "max-autotune-no-cudagraphs"],
                    help="torch.compile mode (reduce-overhead adds CUDA graphs)")
    ap.add_argument("--profile-steps", type=int, default=0, help="time the step phases over N steps and exit")
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
    init_cfg, init_steps = None, 0
    if args.init_from:
        with open(os.path.join(args.init_from, "config.json")) as f:
            init_cfg = json.load(f)
        hp.update({k: init_cfg[k] for k in ARCH_KEYS})  # the warm start's architecture
    if args.batch:
        hp["batch"] = args.batch
    if args.lr:
        hp["lr"] = args.lr
    cfg = dict(hp, slots=K, fields=Fw, cubics=manifest["N"], config_name=args.config)
    tokenizer = args.text_tokenizer or (init_cfg or {}).get("text_tokenizer", "bytes")
    if tokenizer == "words":
        cfg.update(text_tokenizer="words", text_vocab=args.text_vocab)
    for k in ("batch", "lr", "warmup"):
        cfg.pop(k)
    model = dit.LayeredDiT(cfg).to(device)
    fresh = []
    if args.init_from:
        init_cfg, init_steps, fresh = load_init(args.init_from, cfg, model)
        print(f"warm start from {args.init_from}: {init_steps} steps so far; re-initialised {fresh or 'nothing'}", flush=True)
    ema = dit.LayeredDiT(cfg).to(device)
    ema.load_state_dict(model.state_dict())
    for p in ema.parameters():
        p.requires_grad_(False)
    nparams = sum(p.numel() for p in model.parameters())
    print(f"params {nparams/1e6:.2f}M  train {len(xtr)}  val {len(xva)}  K={K} F={Fw}  device {device}  "
          f"batch {hp['batch']}  tokenizer {tokenizer}", flush=True)

    opt, opt_kind = make_optimizer(model.parameters(), hp["lr"], device)
    xtr_t = torch.from_numpy(xtr).to(device)
    synonyms = None
    syn_path = args.synonyms or os.path.join(args.data, "synonyms.json")
    if args.synonyms != "none" and os.path.exists(syn_path):
        with open(syn_path) as f:
            synonyms = json.load(f)["synonyms"]
        print(f"caption synonyms: {len(synonyms)} words from {syn_path}", flush=True)
    cap_ids, cap_mask = caption_table(metatr, cfg, device, args.caption_variants, args.seed, args.style_p, synonyms)
    M, C, Lc = cap_ids.shape
    empty_ids = torch.zeros(Lc, dtype=torch.long, device=device)
    empty_ids[0] = dit.encode_caption("", cfg)[0]
    empty_mask = torch.zeros(Lc, dtype=torch.bool, device=device)
    empty_mask[0] = True
    validator = Validator(torch.from_numpy(xva), metava, cfg, device)
    gen = torch.Generator(device=device).manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "log.jsonl"), "w")
    use_amp = device.type == "cuda"
    compile_on = args.compile == "on" or (args.compile == "auto" and device.type == "cuda")
    fwd = model
    if compile_on and hasattr(torch, "compile"):
        fwd = torch.compile(model, mode=args.compile_mode)
    elif compile_on:
        print("torch.compile: not in this torch version, eager", flush=True)
        compile_on = False
    print(f"optimizer AdamW ({opt_kind}), bf16 autocast {use_amp}, compile {compile_on}, "
          f"captions {M}x{C}x{Lc} on device", flush=True)
    params = list(model.parameters())
    ema_params = list(ema.parameters())
    clip_kw = {"foreach": True} if "foreach" in inspect.signature(torch.nn.utils.clip_grad_norm_).parameters else {}
    B = hp["batch"]

    def train_step(lr, decay, fwd):
        for g in opt.param_groups:
            g["lr"] = lr
        idx = torch.randint(0, M, (B,), generator=gen, device=device)
        var = torch.randint(0, C, (B,), generator=gen, device=device)
        x0 = color_jitter(xtr_t[idx], rgb_i, exists_i, gen, 0.06)
        ids, mask = cap_ids[idx, var], cap_mask[idx, var]
        drop = (torch.rand(B, generator=gen, device=device) < args.cfg_drop)[:, None]
        ids = torch.where(drop, empty_ids[None], ids)
        mask = torch.where(drop, empty_mask[None], mask)
        if use_amp:
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                loss = rf_loss(fwd, x0, ids, mask, gen)
        else:
            loss = rf_loss(fwd, x0, ids, mask, gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0, **clip_kw)
        opt.step()
        with torch.no_grad():
            torch._foreach_mul_(ema_params, decay)
            torch._foreach_add_(ema_params, params, alpha=1 - decay)
        return loss.detach()

    if args.profile_steps:
        profile(train_step, args.profile_steps, hp["lr"], device, fwd)
        return

    def log_rec(step, loss_sum, n, **extra):
        vl = validator.loss(ema)
        vs = validator.loss(ema, shuffle=True)
        rec = dict(step=step, total_steps=init_steps + step, t=round(time.time() - start, 1),
                   train_loss=(loss_sum / n).item() if n else None,
                   val_loss=vl, val_loss_shuffled=vs, caption_gap=vs - vl, **extra)
        print(json.dumps(rec), flush=True)
        log.write(json.dumps(rec) + "\n")
        log.flush()

    def export(step, loop_s):
        """Writes the EMA weights and config (with the steps so far) to --out."""
        runs = list((init_cfg or {}).get("runs", []))
        if init_steps and not runs:  # a model from before runs were recorded: its steps, unannotated
            runs.append(dict(steps=init_steps, batch=None, seconds=None, device="(not recorded)"))
        runs.append(dict(steps=step, batch=B, seconds=round(loop_s), device=str(device),
                         gpu=torch.cuda.get_device_name(0) if device.type == "cuda" else None,
                         init_from=args.init_from or None, data_rows=len(xtr),
                         sources=manifest.get("sources")))
        cfg.update(dict(objective="rectified_flow", params=nparams, train_steps=step,
                        train_steps_total=init_steps + step, runs=runs, reinitialised=fresh,
                        caption_variants=C, style_p=args.style_p, caption_synonyms=bool(synonyms),
                        styles=sorted({m.get("style") for m in metatr if m.get("style")}),
                        dataset=dict(format=manifest.get("format"), sources=manifest.get("sources"),
                                     attribution=manifest.get("attribution"),
                                     train_tokens_sha256=manifest["splits"]["train"].get("tokens_sha256"),
                                     K=K, N=manifest["N"], fields=fields)))
        sd = {k: (v.detach().float().cpu().half() if args.dtype == "f16" else v.detach().float().cpu())
              for k, v in ema.state_dict().items()}
        # Written beside and renamed, so a reader (an eval of a running job) never sees half a file.
        path = os.path.join(args.out, "model.safetensors")
        safetensors_io.save_file(sd, path + ".tmp", metadata={"format": "pt", "lamina": "layered-dit"})
        with open(os.path.join(args.out, "config.json.tmp"), "w") as f:
            json.dump(dict(model_type="lamina_layered_dit", **cfg), f, indent=2, sort_keys=True)
        os.replace(path + ".tmp", path)
        os.replace(os.path.join(args.out, "config.json.tmp"), os.path.join(args.out, "config.json"))
        lic = os.path.join(args.data, "LICENSES.md")
        if os.path.exists(lic):  # the data's license notices travel with the weights
            with open(lic) as src, open(os.path.join(args.out, "DATA_LICENSES.md"), "w") as dst:
                dst.write(src.read())

    warm = init_steps > 0
    step, ema_decay = 0, 0.999
    budget = args.time_budget_s
    est_total = None
    t20 = 0.0
    loss_sum, n_sum = torch.zeros((), device=device), 0
    t_loop = time.time()
    last_save = t_loop
    while True:
        elapsed = time.time() - t_loop  # the budget is training time: loading and caption tokenizing do not count
        if args.max_steps and step >= args.max_steps:
            break
        if not args.max_steps and elapsed > budget:
            break
        # Cosine decay over the estimated number of steps that fit the budget, from the step
        # rate measured between steps 20 and 120 (after warm-up and the first validation).
        if step == 20:
            t20 = elapsed
        if step == 120 and not args.max_steps:
            if device.type == "cuda":
                torch.cuda.synchronize()
            rate = 100 / max(time.time() - t_loop - t20, 1e-6)
            est_total = int(step + rate * (budget - elapsed) * 0.97)
        total = args.max_steps or est_total or 10 ** 9
        lr = hp["lr"] * min(1.0, (step + 1) / hp["warmup"]) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total))))
        # A warm start keeps the EMA near the loaded weights from the first step.
        d = ema_decay if warm else min(ema_decay, (1 + step) / (10 + step))
        try:
            loss = train_step(lr, d, fwd)
        except Exception as e:  # a torch.compile failure shows on the first call: go eager
            if fwd is model or step > 0:
                raise
            print(f"torch.compile failed ({type(e).__name__}: {e}); eager", flush=True)
            fwd = model
            loss = train_step(lr, d, fwd)
        loss_sum += loss
        n_sum += 1
        step += 1
        if step % args.val_every == 0 or step == 1:
            log_rec(step, loss_sum, n_sum, lr=lr, steps_per_s=round(step / (time.time() - t_loop), 3))
            loss_sum, n_sum = torch.zeros((), device=device), 0
        if args.save_every_s and time.time() - last_save > args.save_every_s:
            export(step, time.time() - t_loop)
            last_save = time.time()
    if device.type == "cuda":
        torch.cuda.synchronize()
    loop_s = time.time() - t_loop
    log_rec(step, loss_sum, n_sum, final=True, steps_per_s=round(step / loop_s, 3),
            samples_per_s=round(step * B / loop_s, 1))
    log.close()

    export(step, loop_s)
    print(f"exported to {args.out} after {step} steps ({init_steps + step} in all), {time.time()-start:.0f}s, "
          f"{step/loop_s:.2f} steps/s, {step*B/loop_s:.0f} samples/s", flush=True)


def profile(train_step, n, lr, device, fwd):
    """Phase timers over n steps (after 3 warm-up steps), syncing the device at each boundary."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(3):
        train_step(lr, 0.999, fwd)
    sync()
    t0 = time.time()
    for _ in range(n):
        train_step(lr, 0.999, fwd)
    sync()
    dt = time.time() - t0
    print(json.dumps(dict(steps=n, seconds=round(dt, 3), steps_per_s=round(n / dt, 3))), flush=True)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU] +
                                ([torch.profiler.ProfilerActivity.CUDA] if device.type == "cuda" else [])) as prof:
        for _ in range(n):
            train_step(lr, 0.999, fwd)
        sync()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25), flush=True)


if __name__ == "__main__":
    main()
