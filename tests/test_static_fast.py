"""The static embedder's fast path gives model2vec's vectors to the bit, for every input.

``FastStaticEncoder`` (chunk-level tokenization cache, non-ASCII chunks included; sparse
pooling) must be indistinguishable from ``StaticModel.encode``: same token ids, same float16 vectors before
:func:`finalise`, so the same unit vectors after. Skips (saying how to build it) when
``models/`` lacks the static model.
"""

from __future__ import annotations

import random
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from classifier.embedders import EmbedderNotAvailableError, get_embedder
from classifier.embedders.base import clip_text, finalise
from classifier.embedders.static import StaticEmbedder
from classifier.embedders.static_fast import FastStaticEncoder, unsupported_reason
from classifier.text import prepare_texts
from clusters.sic import default_reference

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
STATIC_HINT = "static model not built: run `python scripts/build_models.py --only static`"


@pytest.fixture(scope="module")
def static():
    try:
        return get_embedder("static")
    except EmbedderNotAvailableError:
        pytest.skip(STATIC_HINT)


def assert_same(static, texts: list[str]) -> None:
    """Fast path == model2vec path: token ids, raw float16 vectors (bits), final vectors."""
    clipped = [clip_text(t, static.max_tokens) for t in texts]
    reference = static._embed_model2vec(clipped, 1024, False)
    fast = static._fast.encode(clipped)
    assert fast.dtype == reference.dtype and fast.shape == reference.shape
    mismatched = [i for i in range(len(texts)) if fast[i].tobytes() != reference[i].tobytes()]
    if mismatched:  # say which ids differ: far more useful than a vector diff
        cut = [t[: static.max_tokens * static._model.median_token_length] for t in clipped]
        ids = static._fast.token_ids([cut[i] for i in mismatched[:3]])
        ref_ids = static._model.tokenize([cut[i] for i in mismatched[:3]])
        at = next(
            (k for k, (a, b) in enumerate(zip(ids[0], ref_ids[0], strict=False)) if a != b), None
        )
        pytest.fail(
            f"{len(mismatched)} of {len(texts)} vectors differ; first {texts[mismatched[0]][:200]!r}:"
            f" {len(ids[0])} ids vs {len(ref_ids[0])} (model2vec), first difference at {at}"
        )
    public = static.encode(texts)
    np.testing.assert_allclose(public, finalise(reference, static.dim), rtol=0, atol=1e-6)


def demo_texts() -> list[str]:
    frame = pd.read_csv(ROOT / "data/demo/companies.csv", dtype=str, keep_default_na=False)
    return prepare_texts(frame, default_reference().titles)["text"].tolist()


def test_fast_path_is_used(static):
    assert static._fast is not None, unsupported_reason(static._model)
    assert static._model.token_mapping is None and static._model.weights is None


def test_prepared_demo_texts(static):
    texts = demo_texts()
    assert sum(not t.isascii() for t in texts) > 0  # some take the fallback
    assert_same(static, texts)


def test_bundled_data_texts(static):
    demo = pd.read_csv(ROOT / "data/demo/companies.csv", dtype=str, keep_default_na=False)
    texts = demo["website_text"].tolist()[:500] + demo["filing_text"].tolist()[:500]
    texts += list(default_reference().titles.values())
    index = pd.read_csv(ROOT / "data/sic/sic2007_alphabetical_index.csv", dtype=str)
    texts += index["activity"].dropna().tolist()[:3000]
    taxonomy = (ROOT / "data/taxonomy/midlands.yaml").read_text(encoding="utf-8")
    texts += [str(v) for v in _strings(yaml.safe_load(taxonomy))]
    assert_same(static, texts)


def _strings(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def test_long_texts_and_the_token_window(static):
    texts = demo_texts()
    long = [" ".join(texts[i : i + 6]) for i in range(0, 600, 6)]  # > 256 tokens each
    long.append(" ".join(texts)[:20_000])  # past the character guard too
    assert_same(static, long)
    # Around the 256-token boundary, with an unknown word (> 100 chars: one [UNK], removed
    # after truncation) just before, at and after the cut. "the" is one token, "." another.
    tokenizer = static._fast._word_tokenizer
    assert len(tokenizer.encode("the the.", add_special_tokens=False).ids) == 3
    unk = "q" * 120
    boundary = []
    for k in range(250, 262):
        boundary.append("the " * k + unk + " the" * 10)
        boundary.append("The." * (k // 2) + f" {unk} " + "the" * 3)
        boundary.append("the " * k)
        boundary.append(" ".join(["THE"] * k + [unk] * 3))
    lengths = {len(tokenizer.encode(t, add_special_tokens=False).ids) for t in boundary}
    assert {255, 256, 257} <= lengths
    assert_same(static, boundary)


def fuzz_texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    controls = "".join(map(chr, range(32))) + "\x7f"
    words = ["Acme", "LTD", "co.uk", "manufacturing", "unaffable", "zzqxj", "2024", "n/a"]
    words += ["[PAD]", "[UNK]", "[pad]", "[unk", "##ing", "£", "café"]
    out = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.05:
            text = ""
        elif kind < 0.1:
            text = rng.choice(["", " ", "\t\n\r ", "\x00\x01\x7f", "   \x0b\x0c  "])
        elif kind < 0.2:
            text = "".join(rng.choice(string.punctuation) for _ in range(rng.randint(1, 80)))
        elif kind < 0.3:
            text = " ".join(
                "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))
                for k in (rng.randint(90, 140), rng.randint(1, 30), rng.randint(99, 102))
            )
        else:
            parts = []
            for _ in range(rng.randint(1, 300)):
                r = rng.random()
                if r < 0.5:
                    parts.append(rng.choice(words[:8]))
                elif r < 0.6:
                    parts.append(rng.choice(controls))
                elif r < 0.75:
                    parts.append(rng.choice(string.punctuation) * rng.randint(1, 3))
                elif r < 0.85:
                    parts.append(str(rng.randint(0, 10 ** rng.randint(1, 12))))
                elif r < 0.9:
                    parts.append(rng.choice(words[8:12]))
                else:
                    parts.append(" " * rng.randint(1, 4))
            text = rng.choice(["", " ", "  "]).join(parts)
        if rng.random() < 0.05:  # one non-ASCII character: the real tokenizer's path
            at = rng.randint(0, len(text))
            text = text[:at] + rng.choice(words[12:] + ["é", "\u2019", "\xa0", "\x85"]) + text[at:]
        out.append(text)
    return out


def test_fuzz(static):
    assert_same(static, fuzz_texts(3000))


def test_fallback_texts(static):
    whole = ["Acme [PAD] Ltd", "Acme [UNK] ltd", "[UNK]", "caf\u00e9 [unk]", "x\u2019s [Pad]"]
    mixed = [
        "Caf\u00e9 and bistro",
        "We\u2019re engineers",
        "non\xa0breaking",
        "x\x85y",
        "\u00c9COLE",
    ]
    fast = static._fast
    assert all(fast._has_added_token(t) for t in whole)
    assert not any(fast._has_added_token(t) or fast._is_fast(t) for t in mixed)
    before = (fast.fallback_texts, fast.mixed_texts)
    assert_same(static, whole + mixed)
    # assert_same encodes twice through the fast path (encoder, then the public encode)
    assert fast.fallback_texts - before[0] == 2 * len(whole)
    assert fast.mixed_texts - before[1] == 2 * len(mixed)


EDGE_TEXTS = [
    "\u039f\u0394\u039f\u03a3",  # Greek capital sigma at a word end
    "\u039f\u0394\u039f\u03a3 \u039f\u0394\u039f\u03a3.",
    "\u03b1\u03a3 b \u03a3\u03b1 \u03a3",
    " \u0301",  # a combining mark right after an ASCII space
    "a \u0301b \u0301 c\u0301 \u0301\u0301",
    "e\u0301 e\u0327\u0301 \u0327e",
    "\u4e2d\u6587abc \u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 x\u4e2dy",
    "emoji \U0001f600 \U0001f600x x\U0001f600 \U0001f44d\U0001f3fd",
    "zero\u200bwidth \u200b a\u200b \u200bb",
    "\ufeffbom \ufeff x\ufeffy",
    "\ufffd a\ufffdb \ufffd\ufffd",
    "\xa0",
    "\u2003\u3000\xa0",
    " \xa0 \u2009 ",
    "a\xa0b \xa0c d\xa0",
    "\u0130stanbul \u0130 I\u0307 i\u0307",
    "Stra\u00dfe STRASSE \u00df \u1e9e",
    "\ufb01ne \ufb02ow \ufb00",
    "\uff21\uff22\uff23 \uff41\uff42\uff43 \uff11\uff12",
    "a\x0b\u00e9 \x0c\u00e9\x0c \x1c\u00e9\x1f \x85\u00e9\x85 \u00e9\x00x \x7f\u00e9",
    "\u00e9\t\u00e9\n\u00e9\r\u00e9\r\n\t \u00e9",
    "\u00e9" * 200,  # one long non-ASCII chunk (over 100 characters: [UNK])
    "\u00e9" * 70 + " abc",  # one chunk too long to cache
    "caf\u00e9" + " \u00e9t\u00e9" * 300,  # past the token window
    "\u2018quoted\u2019 \u201cdouble\u201d \u2013 \u2014 \u00a3100 \u20ac5 \u2022 \u2026",
    "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd \u0928\u092e\u0938\u094d\u0924\u0947",
    "\ud55c\uad6d\uc5b4 \u0e44\u0e17\u0e22 \u1100\u1161",
    "\u212a \u212b \u2126 \u0345 \u1f80 \u0390",
    "[PAD\u00e9] [\u00e9UNK] [UN\u212a]",
    "CAF\u00c9 Caf\u00e9 caf\u00e9 CAF\u00e9 \u03a3\u0391\u03a3 \u00c9COLE \u00e9cole",
]


def test_non_ascii_edge_cases(static):
    cut = [clip_text(t, static.max_tokens) for t in EDGE_TEXTS]
    cut = [t[: static.max_tokens * static._model.median_token_length] for t in cut]
    assert static._fast.token_ids(cut) == static._model.tokenize(cut)
    assert_same(static, EDGE_TEXTS)


def test_long_non_ascii_chunks_are_not_cached(static):
    encoder = FastStaticEncoder(static._model, max_tokens=static.max_tokens, max_chars=256 * 32)
    texts = ["\u00e9" * 70 + " abc", "x" + "\u00e9" * 64, "\u00e9" * 64]
    reference = static._embed_model2vec(texts, 1024, False)
    for _ in range(2):
        assert encoder.encode(texts).tobytes() == reference.tobytes()
    assert set(encoder._cache) - {"\x01"} == {"abc", "\u00e9" * 64}


NON_ASCII = list("\u2019\u201c\u201d\u2013\u2014\u00a3\u00e9\xa0\x85\u200b\ufeff\u00df\u0130\ufb01")
NON_ASCII += ["\u03a3", "\u039f\u0394\u039f\u03a3", "\uff21", "\u4e2d", "\U0001f600", "\u0301"]
RANGES = [
    (0x80, 0xFF),  # Latin-1 (controls, \x85, \xa0 included)
    (0x100, 0x24F),  # Latin Extended
    (0x370, 0x3FF),  # Greek
    (0x400, 0x4FF),  # Cyrillic
    (0x4E00, 0x4E80),  # CJK
    (0x2000, 0x206F),  # General Punctuation (Zs spaces, \u200b, bidi controls)
    (0x300, 0x36F),  # combining marks
    (0x3000, 0x303F),  # CJK punctuation, ideographic space
    (0xFF00, 0xFF5E),  # fullwidth forms
    (0x1F300, 0x1F64F),  # emoji
]
ZS = "\xa0\u1680\u2000\u2001\u2002\u2003\u2009\u200a\u202f\u205f\u3000"


def non_ascii_fuzz_texts(n: int, seed: int = 0) -> list[str]:
    """ASCII fuzz texts with non-ASCII characters and words put anywhere, chunk edges included."""
    rng = random.Random(seed)
    out = []
    for base in fuzz_texts(n, seed=seed + 100):
        text = base
        for _ in range(rng.choice([0, 1, 1, 2, 3, 5, 10, 30])):
            r = rng.random()
            if r < 0.35:
                piece = rng.choice(NON_ASCII)
            elif r < 0.75:
                lo, hi = rng.choice(RANGES)
                piece = "".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 4)))
            elif r < 0.85:
                piece = rng.choice(ZS + "\x0b\x0c\x1c\x1d\x1e\x1f\x85\x00\x7f")
            else:
                piece = "".join(rng.choice(NON_ASCII) for _ in range(rng.randint(1, 6)))
            spaces = [i for i, c in enumerate(text) if c in " \t\n\r"]
            if spaces and rng.random() < 0.5:  # at a chunk edge
                at = rng.choice(spaces) + rng.choice([0, 1])
            else:
                at = rng.randint(0, len(text))
            text = text[:at] + piece + text[at:]
        if text.isascii() and rng.random() < 0.8:
            text += " " + rng.choice(NON_ASCII)
        out.append(text)
    return out


def test_fuzz_non_ascii(static):
    texts = non_ascii_fuzz_texts(4000, seed=3)
    assert sum(not t.isascii() for t in texts) > 3000
    untruncated = static._fast._word_tokenizer.encode_batch(texts[:400], add_special_tokens=False)
    assert sum(len(e.ids) > 256 for e in untruncated) > 10
    assert_same(static, texts)
    cut = [t[: static.max_tokens * static._model.median_token_length] for t in texts[:1000]]
    assert static._fast.token_ids(cut) == static._model.tokenize(cut)


CRUNCHBASE = ROOT.parent / "shared/data/crunchbase_dev.csv.gz"


def test_crunchbase_texts(static):
    if not CRUNCHBASE.exists():
        pytest.skip(f"{CRUNCHBASE} not present")
    frame = pd.read_csv(CRUNCHBASE, dtype=str, keep_default_na=False, nrows=4000)
    description = frame["full_description"].where(
        frame["full_description"] != "", frame["short_description"]
    )
    texts = (frame["name"] + ". " + description).tolist()
    assert sum(not t.isascii() for t in texts) > 100
    assert_same(static, texts)


def test_non_ascii_texts_take_the_chunk_path(static):
    encoder = FastStaticEncoder(static._model, max_tokens=static.max_tokens, max_chars=256 * 32)
    texts = [t for t in demo_texts() if not t.isascii()]
    texts += non_ascii_fuzz_texts(200, seed=4)
    cut = encoder.max_chars
    texts = [t for t in texts if not (t[:cut].isascii() or encoder._has_added_token(t[:cut]))]
    encoder.encode(texts)
    assert encoder.fallback_texts == 0 and encoder.mixed_texts == len(texts)
    calls = []
    real = encoder._fallback_ids
    encoder._fallback_ids = lambda part: calls.append(len(part)) or real(part)
    encoder.encode(texts + ["Acme [PAD] Ltd"])
    assert calls == [1] and encoder.fallback_texts == 1


def test_token_ids_match_model2vec(static):
    texts = fuzz_texts(300, seed=1) + demo_texts()[:300]
    cut = [t[: static.max_tokens * static._model.median_token_length] for t in texts]
    assert static._fast.token_ids(cut) == static._model.tokenize(cut)


def test_word_cache_is_bounded(static):
    encoder = FastStaticEncoder(
        static._model, max_tokens=static.max_tokens, max_chars=256 * 32, max_words=200
    )
    texts = [" ".join(f"word{i}x{j}" for j in range(50)) for i in range(40)]  # 2,000 words
    clipped = [clip_text(t, static.max_tokens) for t in texts]
    reference = static._embed_model2vec(clipped, 1024, False)
    for _ in range(2):
        for start in range(0, len(clipped), 3):
            part = clipped[start : start + 3]
            got = encoder.encode(part)
            assert got.tobytes() == reference[start : start + 3].tobytes()
            assert encoder.cache_size <= 200
    encoder.clear_cache()
    assert encoder.cache_size == 0
    long_word = "y" * 500  # too long to cache
    assert (
        encoder.encode([long_word]).tobytes()
        == static._embed_model2vec([long_word], 1, False).tobytes()
    )
    assert encoder.cache_size == 0


def test_model2vec_path_is_selectable(static):
    plain = StaticEmbedder(static.model_dir, fast=False)
    assert plain._fast is None and plain.id == static.id
    texts = fuzz_texts(50, seed=2)
    assert plain.encode(texts).tobytes() == static.encode(texts).tobytes()
