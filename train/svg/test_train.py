#!/usr/bin/env python3
"""Unit checks of the trainer's captions and batching (run by train/svg/smoke.sh):

  python3 train/svg/test_train.py
"""
import os
import random
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dit  # noqa: E402
import train  # noqa: E402

META = {"label": "red heart", "tags": ["heart", "love"], "group": "smileys-emotion", "subgroup": "heart",
        "style": "noto"}


def test_captions():
    rng = random.Random(0)
    caps = [train.caption(META, rng) for _ in range(400)]
    with_style = [c for c in caps if "noto" in c.split()]
    # style_p = 0.5: about half carry the style word, at the start or the end, never twice.
    assert 150 < len(with_style) < 250, len(with_style)
    assert all(c.split().count("noto") == 1 for c in with_style)
    assert any(c.startswith("noto ") for c in with_style) and any(c.endswith(" noto") for c in with_style)
    assert train.caption(META, None) == "red heart"  # validation: the name, no style
    assert all("noto" not in train.caption(META, random.Random(i), style_p=0) for i in range(50))
    assert all("noto" not in train.caption(dict(META, style=None), random.Random(i)) for i in range(50))
    # Synonyms swap one word of the name, in about syn_p of the captions (those that keep the
    # name: caption() drops it 20% of the time).
    syn = {"red": ["crimson"], "heart": ["bosom"]}
    caps = [train.caption(dict(META, tags=[]), random.Random(i), style_p=0, synonyms=syn, syn_p=0.3) for i in range(600)]
    heads = [" ".join(c.split()[:2]) for c in caps]
    plain = heads.count("red heart")
    swapped = heads.count("crimson heart") + heads.count("red bosom")
    assert 0.2 < swapped / (plain + swapped) < 0.4, (plain, swapped)
    assert heads.count("crimson bosom") == 0  # one word at most


def test_caption_table_and_padding():
    cfg = dict(d_model=32, heads=4, layers=1, text_d_model=32, text_layers=1, text_heads=4, text_max_len=16,
               time_features=16, slots=4, fields=104, cubics=16, text_tokenizer="words",
               text_vocab=64)
    metas = [META, {"label": "cat face", "tags": ["cat"], "style": "fluent"}]
    ids, mask = train.caption_table(metas, cfg, torch.device("cpu"), 4, 0)
    assert ids.shape[:2] == (2, 4) and mask.shape == ids.shape
    # Variant 0 is the name, tokenized as dit.encode_caption does, then padding (masked).
    for r, m in enumerate(metas):
        want = dit.encode_caption(m["label"], cfg)
        got = ids[r, 0][mask[r, 0]].tolist()
        assert got == want, (got, want)
        assert not ids[r, 0][~mask[r, 0]].any()
    # Padding does not change the model's output: the padded caption and the bare one agree.
    torch.manual_seed(0)
    model = dit.LayeredDiT(cfg).eval()
    for p in model.parameters():  # zero-initialised output layers would hide any difference
        torch.nn.init.normal_(p, std=0.2)
    x = torch.randn(1, 4, 104)
    t = torch.tensor([0.5])
    bare = torch.tensor([dit.encode_caption("red heart", cfg)])
    a = model(x, t, *model.encode_text(bare, torch.ones_like(bare, dtype=torch.bool)),
              torch.ones_like(bare, dtype=torch.bool))
    pid, pm = ids[0:1, 0], mask[0:1, 0]
    b = model(x, t, *model.encode_text(pid, pm), pm)
    assert pid.shape[1] > bare.shape[1]
    assert torch.allclose(a, b, atol=1e-5), (a - b).abs().max()


if __name__ == "__main__":
    test_captions()
    test_caption_table_and_padding()
    print("test_train: ok")
