"""The static embedder's fast path gives model2vec's vectors to the bit, for every input.

``FastStaticEncoder`` (word-level tokenization cache for ASCII texts, sparse pooling) must be
indistinguishable from ``StaticModel.encode``: same token ids, same float16 vectors before
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
    texts = [
        "Acme [PAD] Ltd",
        "Acme [UNK] ltd",
        "[UNK]",
        "Caf\u00e9 and bistro",
        "We\u2019re engineers",
        "non\xa0breaking",
        "x\x85y",
        "\u00c9COLE",
    ]
    assert not any(static._fast._is_fast(t) for t in texts)
    assert_same(static, texts)


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
