"""The embedder interface and what every backend shares.

A backend subclasses :class:`BaseEmbedder` and implements ``_embed`` (raw vectors for texts
that are already clipped); :meth:`BaseEmbedder.encode` does the rest the same way for all:
input checks, the character guard, float32, zero-row handling and L2 normalisation.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

logger = logging.getLogger(__name__)

MAX_CHARS_PER_TOKEN = 32
"""Character guard: a text is cut to ``max_tokens * MAX_CHARS_PER_TOKEN`` characters before
tokenising. The longest MiniLM wordpiece has 18 characters, so for ordinary text this never
removes anything the tokenizer would keep; it only bounds the work on huge inputs."""

HASH_IGNORED = frozenset({"README.md", ".gitattributes", "build_info.json"})
"""Files in a model directory that document it but do not change its vectors."""


class EmbedderNotAvailableError(FileNotFoundError):
    """The files an embedder needs are missing (for example, not built yet)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors.

    Attributes:
        id: unique name of model, backend and weights, e.g.
            ``all-MiniLM-L6-v2/onnx-int8@3f2a1c0d``; safe as an embedding-cache key.
        dim: length of each vector.
        max_tokens: the model window; longer texts are truncated, keeping the beginning.
        model_dir: the directory of files that fully define the model (bundle it to ship it).
    """

    id: str
    dim: int
    max_tokens: int
    model_dir: Path

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        """Vectors of shape ``(len(texts), dim)``, float32, unit rows, deterministic."""
        ...


def cpu_threads() -> int:
    """Threads an embedder should use: ``$OMP_NUM_THREADS`` if set, else the usable cores."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def weights_hash(model_dir: Path, length: int = 8) -> str:
    """Short sha256 of every file under ``model_dir`` (names and bytes), docs excluded.

    Two directories with the same model files give the same hash wherever they live, so a
    bundled copy keeps the embedder's :attr:`Embedder.id`.
    """
    model_dir = Path(model_dir)
    digest = hashlib.sha256()
    files = sorted(
        path.relative_to(model_dir)
        for path in model_dir.rglob("*")
        if path.is_file() and path.name not in HASH_IGNORED
    )
    for rel in files:
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        digest.update(rel.as_posix().encode("utf-8") + b"\0")
        with (model_dir / rel).open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()[:length]


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def clip_text(text: str, max_tokens: int) -> str:
    """``text`` cut to ``max_tokens * MAX_CHARS_PER_TOKEN`` characters (see module docs).

    Lone surrogates (undecodable bytes smuggled into a str) become U+FFFD, which the
    tokenizers accept.
    """
    limit = max_tokens * MAX_CHARS_PER_TOKEN
    if len(text) > limit:
        text = text[:limit]
    return _SURROGATE_RE.sub("\ufffd", text)


def constant_vector(dim: int) -> np.ndarray:
    """The vector given to a text with no tokens at all: all components ``1/sqrt(dim)``."""
    return np.full(dim, 1.0 / np.sqrt(dim), dtype=np.float32)


def finalise(vectors: np.ndarray, dim: int) -> np.ndarray:
    """Float32, C-contiguous, unit rows; zero or non-finite rows become :func:`constant_vector`."""
    out = np.array(vectors, dtype=np.float32, order="C", copy=True)
    if out.ndim != 2 or out.shape[1] != dim:
        raise ValueError(f"backend returned shape {out.shape}, expected (n, {dim})")
    norms = np.linalg.norm(out, axis=1)
    bad = ~np.isfinite(norms) | (norms < 1e-12)
    if bad.any():
        out[bad] = constant_vector(dim)
        norms[bad] = 1.0
    out /= norms[:, None].astype(np.float32)
    return out


def as_text_list(texts: Sequence[str]) -> list[str]:
    """``texts`` as a list of str (``None`` becomes ``""``); a bare string is an error."""
    if isinstance(texts, str | bytes):
        raise TypeError("encode() takes a sequence of texts, not a single string: use [text]")
    out = []
    for i, text in enumerate(texts):
        if text is None:
            out.append("")
        elif isinstance(text, str):
            out.append(text)
        else:
            raise TypeError(f"text {i} is {type(text).__name__}, not str")
    return out


class BaseEmbedder:
    """Shared behaviour of the backends. Subclasses set the attributes and ``_embed``."""

    name: str
    """Registry name (``"minilm"``, ``"minilm-onnx"``, ``"static"``)."""
    id: str
    dim: int
    max_tokens: int
    model_dir: Path
    cache_worthwhile: bool = True
    """Whether a batch job keeps this embedder's vectors in the persistent embedding cache by
    default (``batch.cache: auto``, see :func:`clusters.batch.engine.cache_enabled`): true
    when a vector costs far more to compute than to store and read back."""
    single_threaded: bool = False
    """Whether encoding keeps one core busy (so a batch job runs one worker process per core,
    see :func:`clusters.batch.workers.workers_for`); false for backends that use every core."""

    def encode(
        self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        """Embed ``texts``.

        Args:
            texts: the texts; ``None`` items count as empty strings.
            batch_size: texts per forward pass (affects speed and memory, not the result
                beyond float rounding; see the package docs on determinism).
            show_progress: show a progress bar.

        Returns:
            float32 array of shape ``(len(texts), dim)`` with L2-normalised rows.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        items = as_text_list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        clipped = [clip_text(t, self.max_tokens) for t in items]
        return finalise(self._embed(clipped, batch_size, show_progress), self.dim)

    def _embed(self, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        raise NotImplementedError

    def __reduce__(self):
        # Pickle as "load <name> from <model_dir>", never the loaded weights.
        from classifier.embedders.registry import get_embedder

        return (get_embedder, (self.name, self.model_dir))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, model_dir='{self.model_dir}')"
