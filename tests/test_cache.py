"""The embedding cache, and the probabilities and prepared-text hashes kept beside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from classifier.cache import EmbeddingCache, embed_cached
from classifier.text import text_hash as hash_text


class CountingEmbedder:
    """A deterministic stand-in embedder that counts what it is asked to encode."""

    id = "counting/v1"
    dim = 4

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts, batch_size=64, show_progress=False):
        self.seen.extend(texts)
        return np.array([[len(t), t.count("a"), 1.0, 0.0] for t in texts], dtype=np.float32)


def test_dedupes_within_a_call_and_hits_on_rerun(tmp_path: Path):
    cache = EmbeddingCache(tmp_path / "emb.sqlite")
    embedder = CountingEmbedder()
    texts = ["alpha", "beta", "alpha", "gamma"]
    first, stats = embed_cached(embedder, texts, cache)
    assert embedder.seen == ["alpha", "beta", "gamma"]
    assert (stats.requested, stats.unique, stats.hits, stats.computed) == (4, 3, 0, 3)
    assert np.array_equal(first[0], first[2])
    again, stats = embed_cached(embedder, texts + ["delta"], cache)
    assert embedder.seen[-1:] == ["delta"] and len(embedder.seen) == 4
    assert stats.hits == 3 and stats.computed == 1 and stats.hit_rate == 0.75
    assert np.array_equal(again[:4], first)


def test_persists_across_instances_and_separates_embedders(tmp_path: Path):
    path = tmp_path / "emb.sqlite"
    cache = EmbeddingCache(path)
    cache.put("a", [hash_text("x")], np.ones((1, 4), np.float32))
    cache.close()
    reopened = EmbeddingCache(path)
    assert hash_text("x") in reopened.get("a", [hash_text("x")])
    assert reopened.get("b", [hash_text("x")]) == {}
    assert reopened.size() == 1 and reopened.size("b") == 0
    assert reopened.bytes_on_disk() > 0


def test_many_keys_beyond_sqlite_parameter_limit(tmp_path: Path):
    cache = EmbeddingCache(tmp_path / "emb.sqlite")
    hashes = [hash_text(str(i)) for i in range(2500)]
    cache.put("m", hashes, np.random.default_rng(0).normal(size=(2500, 3)).astype(np.float32))
    assert len(cache.get("m", hashes)) == 2500


def test_reads_a_cache_written_by_an_earlier_version(tmp_path: Path):
    """Earlier versions kept vectors in a table clustered on the key (``embeddings``); they
    are still found, and new vectors go to the new table."""
    import sqlite3

    path = tmp_path / "emb.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE embeddings (embedder_id TEXT NOT NULL, text_hash TEXT NOT NULL, "
            "dim INTEGER NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (embedder_id, text_hash)) "
            "WITHOUT ROWID"
        )
        old = np.arange(4, dtype=np.float32)
        conn.execute("INSERT INTO embeddings VALUES (?, ?, ?, ?)", ("m", "h-old", 4, old.tobytes()))
    cache = EmbeddingCache(path)
    cache.put("m", ["h-new"], np.ones((1, 4), np.float32))
    found = cache.get("m", ["h-old", "h-new", "h-none"])
    assert sorted(found) == ["h-new", "h-old"] and np.array_equal(found["h-old"], old)
    assert cache.size("m") == 2 and cache.size() == 2
    embedder = CountingEmbedder()
    embedder.id = "m"
    vectors, stats = embed_cached(embedder, ["x"], cache, ["h-old"])
    assert embedder.seen == [] and stats.hits == 1 and np.array_equal(vectors[0], old)


def test_probabilities_keep_their_bits_per_model_key(tmp_path: Path):
    path = tmp_path / "emb.sqlite"
    cache = EmbeddingCache(path)
    rows = np.random.default_rng(0).random((600, 3))
    hashes = [hash_text(str(i)) for i in range(600)]
    cache.put_probabilities("toy/v1|bundle:a", hashes, rows)
    cache.put_probabilities("toy/v1|bundle:a", hashes[:1], np.zeros((1, 3)))  # kept as it was
    cache.close()
    cache = EmbeddingCache(path)
    found = cache.get_probabilities("toy/v1|bundle:a", hashes + ["absent"])
    assert sorted(found) == sorted(hashes)
    assert all(found[h].tobytes() == row.tobytes() for h, row in zip(hashes, rows, strict=True))
    assert cache.get_probabilities("toy/v1|bundle:b", hashes) == {}
    assert cache.probabilities_size("toy/v1|bundle:a") == 600 and cache.probabilities_size() == 600
    assert cache.size() == 0, "vectors are counted apart"


def test_prepared_text_hashes_per_recipe(tmp_path: Path):
    cache = EmbeddingCache(tmp_path / "emb.sqlite")
    cache.put_prepared("recipe 1|x", ["r1", "r2"], ["t1", "t2"])
    assert cache.get_prepared("recipe 1|x", ["r1", "r3"]) == {"r1": "t1"}
    assert cache.get_prepared("recipe 1|y", ["r1"]) == {}


def test_record_hashes_tell_apart_what_preparation_could():
    import pandas as pd

    from clusters.batch.reuse import record_hashes

    frame = pd.DataFrame(
        {
            "name": ["A", "A", "A", "A", "A", "AB", "A"],
            "website_text": ["x", "x", None, float("nan"), "", "", "x"],
            "sic_codes": [["62012"], "62012", ["62012"], ["62012"], ["62012"], ["62012"], None],
            "employees": [1, 2, 3, 4, 5, 6, 7],  # not a text source
        }
    )
    hashes = record_hashes(frame)
    assert len(set(hashes)) == len(hashes)
    again = frame.assign(employees=0)
    assert record_hashes(again) == hashes
    assert record_hashes(frame.assign(filing_text=None)) == hashes, "a missing column is None"
