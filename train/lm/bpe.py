"""Byte-level BPE (GPT-2 style) trained in plain Python, saved as a Hugging Face tokenizer.json.

Pre-tokenisation follows the GPT-2 regex used by HF's ByteLevel pre-tokenizer (use_regex=true):
  's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
Python's `re` has no \\p{L}, and the `regex` package is not installed here, so `pretokenize` is a
hand-written scanner with the same alternation order and the `\\s+(?!\\S)` backtracking.
"""
import collections
import json
import unicodedata

EOT = "<|endoftext|>"
_CONTRACTIONS = ("re", "ve", "ll", "s", "t", "m", "d")  # longest first among same first letter


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable-unicode-char table (openai/gpt-2 encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {c: b for b, c in BYTE_ENCODER.items()}


def _is_letter(c):
    return unicodedata.category(c).startswith("L")


def _is_number(c):
    return unicodedata.category(c).startswith("N")


def _is_space(c):
    return c.isspace()


def _is_other(c):
    return not (_is_space(c) or _is_letter(c) or _is_number(c))


def pretokenize(text):
    """Split text exactly as the GPT-2 pattern does (see module doc)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        # 's|'t|'re|'ve|'m|'ll|'d  (case-sensitive, tried first)
        if c == "'":
            hit = None
            for suf in _CONTRACTIONS:
                if text.startswith(suf, i + 1):
                    hit = suf
                    break
            if hit is not None:
                out.append(text[i:i + 1 + len(hit)])
                i += 1 + len(hit)
                continue
        # ' ?X+' for X in letters, numbers, others (in that order)
        start = i
        j = i + 1 if (c == " " and i + 1 < n) else i
        matched = False
        for cls in (_is_letter, _is_number, _is_other):
            if j < n and cls(text[j]):
                k = j + 1
                while k < n and cls(text[k]):
                    k += 1
                out.append(text[start:k])
                i = k
                matched = True
                break
        if matched:
            continue
        # \s+(?!\S) then \s+
        if _is_space(c):
            k = i + 1
            while k < n and _is_space(text[k]):
                k += 1
            if k < n and k - i > 1:
                k -= 1  # leave the last space to prefix the next word
            out.append(text[i:k])
            i = k
            continue
        # Unreachable for valid str input (every char is space, letter, number or other).
        out.append(c)
        i += 1
    return out


def to_byte_chars(piece):
    return "".join(BYTE_ENCODER[b] for b in piece.encode("utf-8"))


def train_bpe(word_counts, vocab_size, special_tokens=(EOT,)):
    """Train byte-level BPE merges from {pretoken_string: count}.

    Ties between equally frequent pairs are broken by the pair itself (lexicographic), so the
    result is deterministic. Returns (vocab: {token: id}, merges: [(a, b), ...]).
    Ids: special tokens first, then the 256 byte symbols in byte order, then merges in order.
    """
    vocab = {}
    for s in special_tokens:
        vocab[s] = len(vocab)
    for b in range(256):
        vocab[BYTE_ENCODER[b]] = len(vocab)
    words = []  # list of [symbols list, count]
    for w, cnt in word_counts.items():
        words.append([list(to_byte_chars(w)), cnt])
    pair_counts = collections.Counter()
    pair_where = collections.defaultdict(set)
    for wi, (syms, cnt) in enumerate(words):
        for a, b in zip(syms, syms[1:]):
            pair_counts[(a, b)] += cnt
            pair_where[(a, b)].add(wi)
    merges = []
    while len(vocab) < vocab_size and pair_counts:
        # Highest count, then smallest pair for determinism.
        best = max(pair_counts.items(), key=lambda kv: (kv[1], _neg_key(kv[0])))[0]
        if pair_counts[best] < 2:
            break
        a, b = best
        new = a + b
        merges.append(best)
        if new not in vocab:  # the same string can come from two different merges
            vocab[new] = len(vocab)
        for wi in list(pair_where[best]):
            syms, cnt = words[wi]
            # remove this word's old pair counts
            for p in zip(syms, syms[1:]):
                pair_counts[p] -= cnt
                if pair_counts[p] <= 0:
                    del pair_counts[p]
                pair_where[p].discard(wi)
            merged = []
            k = 0
            while k < len(syms):
                if k + 1 < len(syms) and syms[k] == a and syms[k + 1] == b:
                    merged.append(new)
                    k += 2
                else:
                    merged.append(syms[k])
                    k += 1
            words[wi][0] = merged
            for p in zip(merged, merged[1:]):
                pair_counts[p] += cnt
                pair_where[p].add(wi)
        pair_where.pop(best, None)
        pair_counts.pop(best, None)
    return vocab, merges


class _Neg:
    """Wraps a tuple of strings so that max() prefers the lexicographically smallest."""
    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k

    def __lt__(self, other):
        return self.k > other.k

    def __gt__(self, other):
        return self.k < other.k

    def __eq__(self, other):
        return self.k == other.k


def _neg_key(pair):
    return _Neg(pair)


class ByteLevelBPE:
    """Encoder/decoder equivalent to HF tokenizers' BPE model with the ByteLevel pre-tokenizer."""

    def __init__(self, vocab, merges, special_tokens=(EOT,)):
        self.vocab = dict(vocab)
        self.inv = {i: t for t, i in self.vocab.items()}
        self.ranks = {tuple(m): r for r, m in enumerate(merges)}
        self.special = {s: self.vocab[s] for s in special_tokens}
        self.cache = {}

    @classmethod
    def from_file(cls, path):
        with open(path, encoding="utf-8") as f:
            tj = json.load(f)
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m)
                  for m in tj["model"]["merges"]]
        specials = [t["content"] for t in tj["added_tokens"] if t.get("special")]
        return cls(tj["model"]["vocab"], merges, specials)

    def _bpe(self, piece):
        if piece in self.cache:
            return self.cache[piece]
        syms = list(to_byte_chars(piece))
        while len(syms) > 1:
            best, best_rank = None, None
            for k in range(len(syms) - 1):
                r = self.ranks.get((syms[k], syms[k + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = k, r
            if best is None:
                break
            a, b = syms[best], syms[best + 1]
            merged, k = [], 0
            while k < len(syms):  # merge every occurrence of the best pair, left to right
                if k + 1 < len(syms) and syms[k] == a and syms[k + 1] == b:
                    merged.append(a + b)
                    k += 2
                else:
                    merged.append(syms[k])
                    k += 1
            syms = merged
        ids = [self.vocab[s] for s in syms]
        self.cache[piece] = ids
        return ids

    def encode(self, text):
        """Ids without any BOS (add_special_tokens=False); special tokens in text are matched."""
        ids = []
        parts = text.split(EOT) if EOT in self.special else [text]
        for pi, part in enumerate(parts):
            if pi > 0:
                ids.append(self.special[EOT])
            for piece in pretokenize(part):
                ids.extend(self._bpe(piece))
        return ids

    def decode(self, ids, skip_special=False):
        out = []
        for i in ids:
            t = self.inv[int(i)]
            if t in self.special:
                if not skip_special:
                    out.append(t.encode("utf-8"))
                continue
            out.append(bytes(BYTE_DECODER[c] for c in t))
        return b"".join(out).decode("utf-8", errors="replace")


def tokenizer_json(vocab, merges, bos=EOT):
    """The HF tokenizer.json. Components are the ones GPT-2's own file uses (ByteLevel
    pre-tokenizer with the GPT-2 regex, ByteLevel decoder) plus a TemplateProcessing
    post-processor that prepends the BOS (= <|endoftext|>), as Llama-3's tokenizer.json does."""
    bos_id = vocab[bos]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": vocab[EOT], "content": EOT, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos, "type_id": 1}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}},
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": False,
                  "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [[a, b] for a, b in merges]},
    }
