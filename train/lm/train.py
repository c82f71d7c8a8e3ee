"""Train the lamina small LM (Llama architecture, LayerSkip recipe) on the prepared Brown data.

  python train/lm/train.py --config train/lm/configs/gpu-20m.json --data .cache/lmdata \
      --out runs/x --time-budget-s 330 --device cuda

Stops at the planned number of epochs or at the wall-clock budget, whichever is first (the LR
schedule is re-planned from the measured step time so that it ends inside the budget). Writes into
--out: log.jsonl (one JSON object per line), loss_curve.png (or loss_curve.csv without
matplotlib), summary.json, and model/ (the Hugging Face directory of the best-validation weights).
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import export_hf  # noqa: E402
from model import (LlamaForCausalLM, count_params, early_exit_weights,  # noqa: E402
                   layer_dropout_rates)


def load_tokens(path, device):
    arr = np.fromfile(path, dtype=np.uint16).astype(np.int64)
    return torch.from_numpy(arr).to(device)


def get_batch(data, batch, ctx, gen):
    """Random windows of ctx+1 tokens from the token stream; x, y are (B,ctx)."""
    ix = torch.randint(0, data.numel() - ctx - 1, (batch,), generator=gen)
    idx = ix.unsqueeze(1) + torch.arange(ctx + 1).unsqueeze(0)  # (B,ctx+1) on CPU
    w = data[idx.to(data.device)]
    return w[:, :-1], w[:, 1:]


@torch.no_grad()
def evaluate(model, data, ctx, batch, device, amp, max_tokens=None):
    """Mean cross-entropy per exit layer over non-overlapping ctx windows of the validation stream
    (every window starts without earlier context). Returns [ce_layer0 … ce_final]."""
    model.eval()
    n = data.numel() - 1
    if max_tokens:
        n = min(n, max_tokens)
    starts = list(range(0, n - ctx + 1, ctx))
    L = model.cfg["num_hidden_layers"]
    sums = torch.zeros(L, dtype=torch.float64)
    count = 0
    for i in range(0, len(starts), batch):
        s = torch.tensor(starts[i:i + batch])
        idx = s.unsqueeze(1) + torch.arange(ctx + 1).unsqueeze(0)
        w = data[idx.to(data.device)]
        x, y = w[:, :-1], w[:, 1:]
        with amp():
            hs = model.hidden_states(x)
            for l, h in enumerate(hs):
                logits = model.exit_logits(h).float()
                ce = torch.nn.functional.cross_entropy(
                    logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum")
                sums[l] += ce.item()
        count += y.numel()
    model.train()
    return (sums / max(count, 1)).tolist()


def lr_at(step, total, warmup, lr, min_lr):
    if step < warmup:
        return lr * (step + 1) / warmup
    prog = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * prog))


def save_curve(out, rows):
    """loss_curve.png when matplotlib is importable, else loss_curve.csv."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        with open(os.path.join(out, "loss_curve.csv"), "w") as f:
            f.write("step,tokens,train_loss,val_loss_final\n")
            for r in rows:
                f.write(f"{r['step']},{r['tokens']},{r.get('train_loss', '')},"
                        f"{r.get('val_loss', [''])[-1] if r.get('val_loss') else ''}\n")
        return "loss_curve.csv"
    tr = [(r["tokens"], r["train_loss"]) for r in rows if "train_loss" in r]
    va = [(r["tokens"], r["val_loss"]) for r in rows if "val_loss" in r]
    fig, ax = plt.subplots(figsize=(8, 5))
    if tr:
        ax.plot([a for a, _ in tr], [b for _, b in tr], label="train (final exit)", alpha=0.6)
    if va:
        L = len(va[0][1])
        for l in sorted({0, L // 4, L // 2, (3 * L) // 4, L - 1}):
            ax.plot([a for a, _ in va], [b[l] for _, b in va], marker=".",
                    label=f"val exit after layer {l + 1}")
    ax.set_xlabel("training tokens")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.set_ylim(top=min(8.5, ax.get_ylim()[1]))
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "loss_curve.png"), dpi=100)
    return "loss_curve.png"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--data", default=".cache/lmdata")
    ap.add_argument("--out", required=True)
    ap.add_argument("--time-budget-s", type=float, default=300.0)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--max-steps", type=int, default=0, help="hard cap (smoke tests)")
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    t_start = time.time()
    with open(args.config) as f:
        cfg = json.load(f)
    arch, tr = cfg["arch"], cfg["train"]
    os.makedirs(args.out, exist_ok=True)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(tr.get("seed", 1234))
    use_amp = device.type == "cuda" and tr.get("bf16", True)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True

    def amp():
        if use_amp:
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return torch.autocast("cpu", enabled=False)

    with open(os.path.join(args.data, "meta.json")) as f:
        meta = json.load(f)
    if meta["vocab_size"] != arch["vocab_size"]:
        sys.exit(f"config vocab_size {arch['vocab_size']} != tokenizer's {meta['vocab_size']}")
    train_data = load_tokens(os.path.join(args.data, "train.bin"), device)
    val_data = load_tokens(os.path.join(args.data, "val.bin"), device)
    if tr.get("train_tokens_limit"):
        train_data = train_data[:tr["train_tokens_limit"]]

    L = arch["num_hidden_layers"]
    ld = layer_dropout_rates(L, tr["layer_dropout_max"], tr.get("layer_dropout_scale", "exp"))
    model = LlamaForCausalLM(arch, resid_dropout=tr.get("dropout", 0.0), layer_dropout=ld)
    model.to(device)
    n_params = count_params(model)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": tr.get("weight_decay", 0.1)},
              {"params": no_decay, "weight_decay": 0.0}]
    kw = {}
    if device.type == "cuda":
        kw["fused"] = True
    try:
        opt = torch.optim.AdamW(groups, lr=tr["lr"], betas=(0.9, 0.95), **kw)
    except (TypeError, RuntimeError):
        opt = torch.optim.AdamW(groups, lr=tr["lr"], betas=(0.9, 0.95))

    B, T = tr["batch_size"], arch["max_position_embeddings"]
    tokens_per_step = B * T
    planned = max(1, int(tr["epochs"] * train_data.numel() / tokens_per_step))
    if args.max_steps:
        planned = min(planned, args.max_steps)
    total = planned
    warmup = min(tr.get("warmup_steps", 100), max(1, planned // 10))
    eval_every = tr.get("eval_every", 100)
    R = tr.get("early_exit_rotation", 1)
    e_scale = tr["early_exit_scale"]
    reserve = tr.get("reserve_s", 20.0)  # time kept for the last eval + export
    recipe = {"layer_dropout": {"p_max": tr["layer_dropout_max"],
                                "scale": tr.get("layer_dropout_scale", "exp"),
                                "per_layer": [round(p, 4) for p in ld],
                                "granularity": "per sequence, training only, no rescaling"},
              "early_exit_loss": {"e_scale": e_scale, "curriculum": "rotational" if R > 1 else
                                  "all layers every step", "rotation": R,
                                  "weights_when_all_active": [round(w, 4) for w in
                                                              early_exit_weights(L, e_scale,
                                                                                 set(range(L)))]},
              "dropout": tr.get("dropout", 0.0), "weight_decay": tr.get("weight_decay", 0.1),
              "lr": tr["lr"], "min_lr": tr.get("min_lr", tr["lr"] / 10), "betas": [0.9, 0.95],
              "batch_size": B, "context": T, "planned_epochs": tr["epochs"],
              "grad_clip": tr.get("grad_clip", 1.0), "bf16_autocast": use_amp}
    log = open(os.path.join(args.out, "log.jsonl"), "w")
    rows = []

    def emit(obj):
        obj["t"] = round(time.time() - t_start, 2)
        log.write(json.dumps(obj) + "\n")
        log.flush()
        print(json.dumps(obj), flush=True)

    emit({"event": "start", "params": n_params, "device": str(device),
          "torch": torch.__version__, "train_tokens": int(train_data.numel()),
          "val_tokens": int(val_data.numel()), "planned_steps": planned, "recipe": recipe,
          "config": cfg})
    gen = torch.Generator().manual_seed(tr.get("seed", 1234))
    best = {"val": float("inf"), "state": None, "step": -1, "val_loss": None}
    step = 0
    t_loop = time.time()
    replans = {20, 100, 400, 1000}  # re-measure: warm-up steps are slow, neighbours finish
    stop_reason = "planned steps done"
    val_tokens_cap = tr.get("val_tokens_limit")
    train_loss_ema = None
    model.train()
    while step < total:
        elapsed = time.time() - t_start
        if elapsed > args.time_budget_s - reserve:
            stop_reason = "time budget"
            break
        if step in replans and not args.max_steps:
            per_step = (time.time() - t_loop) / step
            feasible = int(step + (args.time_budget_s - reserve - elapsed) / per_step * 0.97)
            new_total = max(step + 1, min(planned, feasible))
            if new_total != total:
                emit({"event": "replan", "step": step, "sec_per_step": round(per_step, 4),
                      "total_steps": new_total})
            total = new_total
        lr = lr_at(step, total, warmup, tr["lr"], tr.get("min_lr", tr["lr"] / 10))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = get_batch(train_data, B, T, gen)
        active = {l for l in range(L) if l % R == step % R} | {L - 1} if R > 1 else set(range(L))
        with amp():
            loss, per = model.layerskip_loss(x, y, e_scale, active)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), tr.get("grad_clip", 1.0))
        opt.step()
        step += 1
        if step % tr.get("log_every", 10) == 0 or step == 1:
            fl = per[L - 1].item()
            train_loss_ema = fl if train_loss_ema is None else 0.9 * train_loss_ema + 0.1 * fl
            r = {"event": "train", "step": step, "tokens": step * tokens_per_step,
                 "train_loss": round(fl, 4), "loss_total": round(loss.item(), 4),
                 "lr": round(lr, 7), "grad_norm": round(float(gn), 3),
                 "tok_per_s": round(step * tokens_per_step / (time.time() - t_loop))}
            rows.append(r)
            emit(r)
        if step % eval_every == 0 or step == total:
            vl = evaluate(model, val_data, T, tr.get("eval_batch", B), device, amp, val_tokens_cap)
            r = {"event": "val", "step": step, "tokens": step * tokens_per_step,
                 "val_loss": [round(v, 4) for v in vl], "val_ppl_final": round(math.exp(vl[-1]), 2)}
            rows.append(r)
            emit(r)
            if vl[-1] < best["val"]:
                best = {"val": vl[-1], "step": step, "val_loss": vl,
                        "state": copy.deepcopy({k: v.detach().to("cpu")
                                                for k, v in model.state_dict().items()})}
    # Final evaluation if the last step was not evaluated.
    if best["step"] != step and step > 0:
        vl = evaluate(model, val_data, T, tr.get("eval_batch", B), device, amp, val_tokens_cap)
        r = {"event": "val", "step": step, "tokens": step * tokens_per_step,
             "val_loss": [round(v, 4) for v in vl], "val_ppl_final": round(math.exp(vl[-1]), 2)}
        rows.append(r)
        emit(r)
        if vl[-1] < best["val"]:
            best = {"val": vl[-1], "step": step, "val_loss": vl,
                    "state": {k: v.detach().to("cpu") for k, v in model.state_dict().items()}}
    train_s = time.time() - t_loop
    if best["state"] is None:
        sys.exit("no evaluation happened (time budget too small?)")
    model.load_state_dict(best["state"])
    model.to("cpu").eval()
    recipe["steps_done"] = step
    recipe["best_step"] = best["step"]
    recipe["tokens_seen"] = step * tokens_per_step
    recipe["epochs_seen"] = round(step * tokens_per_step / train_data.numel(), 2)
    recipe["stop_reason"] = stop_reason
    export_hf(model, arch, os.path.join(args.data, "tokenizer.json"),
              os.path.join(args.out, "model"), tr.get("export_dtype", "float16"),
              bos_id=meta["eot_id"], eos_id=meta["eot_id"], extra=recipe)
    curve = save_curve(args.out, rows)
    first_train = next((r["train_loss"] for r in rows if "train_loss" in r), None)
    last_train = [r["train_loss"] for r in rows if "train_loss" in r][-3:]
    summary = {"params": n_params, "steps": step, "best_step": best["step"],
               "tokens_seen": step * tokens_per_step, "epochs_seen": recipe["epochs_seen"],
               "train_seconds": round(train_s, 1),
               "tok_per_s": round(step * tokens_per_step / max(train_s, 1e-9)),
               "first_train_loss": first_train,
               "last_train_loss_mean": sum(last_train) / max(1, len(last_train)),
               "best_val_loss_per_layer": [round(v, 4) for v in best["val_loss"]],
               "best_val_ppl_per_layer": [round(math.exp(v), 2) for v in best["val_loss"]],
               "stop_reason": stop_reason, "curve": curve, "device": str(device),
               "torch": torch.__version__}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    emit({"event": "done", **summary})
    log.close()


if __name__ == "__main__":
    main()
