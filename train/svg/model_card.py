#!/usr/bin/env python3
"""Writes models/<name>/README.md for a trained layered-SVG DiT from what was measured: its
config.json, the training log (training_log.jsonl) and `lamina svg eval` output (eval.json).
Nothing is typed in by hand; the run description comes from --run.

  model_card.py --model models/layered-emoji --run "CPU, 85 minutes, ..."
"""
import argparse
import json
import os


def fmt(v, digits=4):
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--run", required=True, help="how the training run was done, one sentence")
    ap.add_argument("--command", required=True, help="the training command")
    a = ap.parse_args()
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    log = [json.loads(l) for l in open(os.path.join(a.model, "training_log.jsonl")) if l.strip()]
    ev_path = os.path.join(a.model, "eval.json")
    ev = json.load(open(ev_path)) if os.path.exists(ev_path) else None
    name = os.path.basename(os.path.normpath(a.model))
    size = os.path.getsize(os.path.join(a.model, "model.safetensors"))
    L = []
    w = L.append
    w(f"# {name}\n")
    w("lamina's layered-SVG diffusion model: a small diffusion transformer (DiT) over the vector "
      "pipeline's fixed-size layer tokens, conditioned on a text prompt through a small "
      "transformer text encoder. It draws emoji-like vector art as ordered, editable layers "
      "(one `<path>` per layer) and edits drawings layer by layer (regenerate chosen layers, "
      "recolor, add layers). Inference is lamina's Go code (`svgmodel`), on the CPU backend or "
      "WebGPU; `train/svg/` is the PyTorch reference and trainer.\n")
    w(f"**Training run:** {a.run}\n")
    w("## Use\n")
    w("```sh\nlamina svg generate --prompt \"red heart\" --seed 1 --out heart.svg\n"
      "lamina svg edit --in heart.svg --keep 0 --prompt \"blue heart\" --seed 2 --out edited.svg\n"
      + ("lamina svg generate --prompt \"fluent red heart\" --seed 1 --out fluent-heart.svg   # a style word\n"
         if cfg.get("styles") and len(cfg["styles"]) > 1 else "") + "```\n")
    w("## Model\n")
    w("| field | value |\n|---|---|")
    for k in ("d_model", "heads", "layers", "text_d_model", "text_layers", "text_heads",
              "text_max_len", "time_features", "slots", "cubics", "fields", "params", "objective"):
        w(f"| {k} | {cfg.get(k)} |")
    w(f"| text_tokenizer | {cfg.get('text_tokenizer', 'bytes')}"
      + (f", {cfg['text_vocab']} hashed ids" if cfg.get("text_tokenizer") == "words" else "") + " |")
    w(f"| weights | float16, {size/1e6:.1f} MB (`model.safetensors`) |\n")
    w("Objective: rectified flow (x_t = (1−t)·x₀ + t·ε, the network predicts ε − x₀), logit-normal t "
      "during training, Euler sampling from t = 1 to 0 with classifier-free guidance (the caption is "
      "dropped 10% of the time in training). Conditioning: adaLN-Zero from the time embedding plus the "
      "pooled caption, and cross-attention to the caption tokens in every block. Captions are the "
      "emoji's name plus a random subset of its tags, subgroup and group (and, when the data has several styles, often the style word), tokenized once into up to 16 variants per drawing; the text encoder reads "
      "lower-cased UTF-8 bytes (or, with text_tokenizer = words, FNV-1a-hashed words), so any word "
      "is accepted. Augmentation: a small per-drawing RGB "
      "shift. No horizontal flip: it would break the tokens' canonical orientation and start point.\n")
    w("## Data\n")
    ds = cfg.get("dataset", {})
    sources = ds.get("sources") or {"twemoji": "@twemoji/svg@15.0.0", "emojibase": "emojibase-data"}
    styles = cfg.get("styles") or []
    w("Drawings from " + ", ".join(f"`{v}`" for k, v in sorted(sources.items()) if k != "emojibase")
      + f", each joined to its `{sources.get('emojibase', 'emojibase-data')}` entry (label, tags, group, "
      f"subgroup). Tokens from `lamina svg dataset` (format {ds.get('format')}, K = {ds.get('K')}, "
      f"N = {ds.get('N')}; train tokens sha256 `{ds.get('train_tokens_sha256')}`), split by base emoji "
      "(~90/10; an emoji is in the same split in every style).")
    if styles:
        w(f" Styles: {', '.join(styles)} — a prompt may name one (\"noto red heart\"); "
          f"{int(100 * cfg.get('style_p', 0.5))}% of training captions carry the style word, so a "
          "prompt without one also works.")
    w("\n")
    w("## Training\n")
    w(f"Steps: **{cfg.get('train_steps_total', cfg.get('train_steps'))} in all**"
      + (f" ({cfg.get('train_steps')} in the last run)" if cfg.get("train_steps_total") else "") + ".\n")
    runs = cfg.get("runs") or []
    if runs:
        w("| run | steps | batch | seconds | device | warm start from | training rows |\n|---|---|---|---|---|---|---|")
        for i, r in enumerate(runs):
            d = {k: ("—" if r.get(k) is None else r.get(k)) for k in ("steps", "batch", "seconds", "data_rows")}
            w(f"| {i + 1} | {d['steps']} | {d['batch']} | {d['seconds']} | {r.get('gpu') or r.get('device')} | "
              f"{r.get('init_from') or '—'} | {d['data_rows']} |")
        w("")
    if cfg.get("reinitialised"):
        w("Re-initialised at the warm start (shape changed): " + ", ".join(f"`{k}`" for k in cfg["reinitialised"]) + ".\n")
    w("## Training curve\n")
    w("| step | seconds | train loss | validation loss | caption gap |\n|---|---|---|---|---|")
    for r in log:
        gap = r.get("caption_gap", r["val_loss_shuffled"] - r["val_loss"] if "val_loss_shuffled" in r else None)
        w(f"| {r.get('total_steps', r['step'])} | {fmt(r['t'])} | {fmt(r['train_loss'])} | {fmt(r['val_loss'])} | {fmt(gap)} |")
    w("\nValidation loss: the rectified-flow loss on the validation rows at t ∈ {0.1, 0.3, 0.5, 0.7, "
      "0.9} with fixed noise (train/svg/train.py `Validator`); caption gap: the same loss with every drawing "
      "captioned by another validation row's name, minus the true one (0 = the prompt is ignored).\n")
    if ev:
        w("## Evaluation (`lamina svg eval`)\n")
        w("```json\n" + json.dumps(ev, indent=1)[:6000] + "\n```\n")
    w("## Reproduce\n")
    w(f"```sh\nbash scripts/fetch-data.sh && lamina svg dataset --out .cache/dataset\n{a.command}\n```\n")
    w("## License\n")
    notices = {
        "twemoji": "Twemoji graphics (c) Twitter, Inc. and other contributors, CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
        "noto": "Noto Emoji (c) Google Inc., Apache License 2.0",
        "fluent": "Fluent Emoji (flat) (c) Microsoft Corporation, MIT License",
        "emojione": "Emoji One graphics, CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
        "fxemoji": "FxEmoji (c) Mozilla, Apache License 2.0",
        "streamline": "Streamline Emojis (c) Streamline, CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
        "openmoji": "OpenMoji (c) HfG Schwaebisch Gmuend and contributors, CC-BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/)",
    }
    w("The weights are derived from these drawings; attribute them when you use or share drawings made "
      "with the model:\n")
    for k in sorted(sources):
        if k in notices:
            w(f"- {notices[k]}")
    w("- emojibase-data (c) Miles Johnson, MIT (names and tags)\n")
    if "openmoji" in sources:
        w("OpenMoji is share-alike: these weights are released under CC-BY-SA 4.0.\n")
    else:
        w("OpenMoji (CC-BY-SA 4.0, share-alike) is not in the training data, so the weights carry no "
          "share-alike term.\n")
    if os.path.exists(os.path.join(a.model, "DATA_LICENSES.md")):
        w("The dataset's own license table is in `DATA_LICENSES.md` beside this card.\n")
    open(os.path.join(a.model, "README.md"), "w").write("\n".join(L))
    print(os.path.join(a.model, "README.md"))


if __name__ == "__main__":
    main()
