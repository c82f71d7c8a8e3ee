"""Validation perplexity of an exported model for the full model and every early exit (logit lens:
shared final norm + LM head on each decoder layer's output), plus seeded sample generations.

  python train/lm/eval.py --model models/lamina-brown-20m --data .cache/lmdata [--device cuda]
      [--samples 3] [--max-tokens N] > eval.json

Perplexity is over non-overlapping windows of the model's context length on val.bin (each window
starts without earlier context; the first window token is only an input). bits_per_byte divides
the total loss in bits by the UTF-8 size of the predicted tokens' text, which makes numbers
comparable across tokenizers. Computation is float32 on the stored weights.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpe import ByteLevelBPE  # noqa: E402
from export import load_hf  # noqa: E402

PROMPTS = ["The jury said", "In the morning, she", "The results of the experiment",
           "He looked at the", "It is important to"]


@torch.no_grad()
def per_layer_loss(model, ids, ctx, batch, device, token_bytes):
    L = model.cfg["num_hidden_layers"]
    nats = torch.zeros(L, dtype=torch.float64)
    n_tok = 0
    n_bytes = 0
    starts = list(range(0, ids.numel() - ctx, ctx))
    for i in range(0, len(starts), batch):
        s = torch.tensor(starts[i:i + batch])
        idx = s.unsqueeze(1) + torch.arange(ctx + 1).unsqueeze(0)  # (B,ctx+1)
        w = ids[idx].to(device)
        x, y = w[:, :-1], w[:, 1:]
        for l, h in enumerate(model.hidden_states(x)):
            logits = model.exit_logits(h).float()
            nats[l] += F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1),
                                       reduction="sum").item()
        n_tok += y.numel()
        n_bytes += int(token_bytes[y.cpu()].sum())
    return nats, n_tok, n_bytes


@torch.no_grad()
def generate(model, ids, n_new, temperature, top_k, gen, eos_id):
    """Plain sampling without a KV cache (the prompt is re-run each step: simple and exact)."""
    ctx = model.cfg["max_position_embeddings"]
    dev = next(model.parameters()).device
    out = list(ids)
    for _ in range(n_new):
        x = torch.tensor([out[-ctx:]], device=dev)
        logits = model(x)[0, -1].float()
        if temperature <= 0:
            nxt = int(logits.argmax())
        else:
            logits = logits / temperature
            if top_k:
                v, _ = torch.topk(logits, top_k)
                logits[logits < v[-1]] = -float("inf")
            probs = torch.softmax(logits, -1).cpu()
            nxt = int(torch.multinomial(probs, 1, generator=gen))
        out.append(nxt)
        if nxt == eos_id:
            break
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", default=".cache/lmdata")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--max-tokens", type=int, default=0, help="evaluate only the first N tokens")
    ap.add_argument("--samples", type=int, default=len(PROMPTS))
    ap.add_argument("--new-tokens", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    model, arch = load_hf(args.model, args.device)
    tok = ByteLevelBPE.from_file(os.path.join(args.model, "tokenizer.json"))
    eos = tok.special["<|endoftext|>"]
    ids = torch.from_numpy(np.fromfile(os.path.join(args.data, "val.bin"),
                                       dtype=np.uint16).astype(np.int64))
    if args.max_tokens:
        ids = ids[:args.max_tokens]
    token_bytes = torch.zeros(arch["vocab_size"], dtype=torch.int64)
    for t, i in tok.vocab.items():
        token_bytes[i] = 0 if t in tok.special else len(tok.decode([i]).encode("utf-8"))
    ctx = arch["max_position_embeddings"]
    nats, n_tok, n_bytes = per_layer_loss(model, ids, ctx, args.batch, args.device, token_bytes)
    layers = []
    for l in range(arch["num_hidden_layers"]):
        ce = nats[l].item() / n_tok
        layers.append({"exit_after_layer": l + 1, "loss": round(ce, 4),
                       "ppl": round(math.exp(ce), 3),
                       "bits_per_byte": round(nats[l].item() / math.log(2) / n_bytes, 4)})
    gen = torch.Generator().manual_seed(args.seed)
    samples = []
    for p in PROMPTS[:args.samples]:
        out = generate(model, [eos] + tok.encode(p), args.new_tokens, 0.8, 40, gen, eos)
        samples.append({"prompt": p, "text": tok.decode(out[1:], skip_special=True),
                        "sampling": "temperature 0.8, top-k 40, seed %d" % args.seed})
    greedy = generate(model, [eos] + tok.encode(PROMPTS[0]), 30, 0, 0, gen, eos)
    result = {"model": args.model, "val_tokens_scored": n_tok, "val_bytes_scored": n_bytes,
              "context": ctx, "full_model": layers[-1], "per_layer": layers,
              "samples": samples, "greedy": {"prompt": PROMPTS[0], "ids": greedy,
                                             "text": tok.decode(greedy[1:], skip_special=True)}}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
