"""The embedding cache."""

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
