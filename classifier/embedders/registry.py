"""Choose an embedder by name; loaded models are cached per process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from classifier.embedders.base import Embedder

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbedderSpec:
    """How to build one named embedder."""

    name: str
    description: str
    default_dir: Callable[[], Path]
    """The model directory used when ``get_embedder`` is given none."""
    load: Callable[[Path], Embedder]


def _models_dir() -> Path:
    from clusters.config import get_settings

    return get_settings().paths.models_dir


def _load_minilm(model_dir: Path) -> Embedder:
    from classifier.embedders.minilm_torch import MiniLMTorchEmbedder

    return MiniLMTorchEmbedder(model_dir)


def _load_onnx(model_dir: Path) -> Embedder:
    from classifier.embedders.minilm_onnx import MiniLMOnnxEmbedder

    return MiniLMOnnxEmbedder(model_dir)


def _load_static(model_dir: Path) -> Embedder:
    from classifier.embedders.static import StaticEmbedder

    return StaticEmbedder(model_dir)


def _minilm_dir() -> Path:
    from classifier.embedders.minilm_torch import default_minilm_dir

    return default_minilm_dir()


ONNX_DIR_NAME = "minilm-onnx-int8"
STATIC_DIR_NAME = "minilm-static-256"

EMBEDDERS: dict[str, EmbedderSpec] = {
    spec.name: spec
    for spec in (
        EmbedderSpec(
            "minilm",
            "all-MiniLM-L6-v2, sentence-transformers on torch, float32 (default)",
            _minilm_dir,
            _load_minilm,
        ),
        EmbedderSpec(
            "minilm-onnx",
            "all-MiniLM-L6-v2 quantised to int8 ONNX, onnxruntime (no torch); ~2x faster",
            lambda: _models_dir() / ONNX_DIR_NAME,
            _load_onnx,
        ),
        EmbedderSpec(
            "static",
            "model2vec static embeddings distilled from all-MiniLM-L6-v2, 256-d; ~50x faster",
            lambda: _models_dir() / STATIC_DIR_NAME,
            _load_static,
        ),
    )
}
"""The known embedders by name."""

DEFAULT_EMBEDDER = "minilm"

_cache: dict[tuple[str, Path], Embedder] = {}
_lock = threading.Lock()


def available_embedders() -> list[str]:
    """The names :func:`get_embedder` accepts."""
    return list(EMBEDDERS)


def get_embedder(name: str = DEFAULT_EMBEDDER, model_dir: Path | str | None = None) -> Embedder:
    """The embedder called ``name``, loaded once per process and model directory.

    Args:
        name: one of :func:`available_embedders`.
        model_dir: load from this directory (e.g. the copy bundled in an MLflow model)
            instead of the default location.

    Raises:
        ValueError: unknown name.
        EmbedderNotAvailableError: the model files are missing (the message says how to
            build them).

    Example:
        >>> get_embedder("bert")
        Traceback (most recent call last):
        ...
        ValueError: unknown embedder 'bert'; choose one of: minilm, minilm-onnx, static
    """
    spec = EMBEDDERS.get(name)
    if spec is None:
        raise ValueError(f"unknown embedder {name!r}; choose one of: {', '.join(EMBEDDERS)}")
    directory = Path(model_dir) if model_dir is not None else spec.default_dir()
    key = (name, directory.expanduser().resolve())
    with _lock:
        embedder = _cache.get(key)
        if embedder is None:
            embedder = spec.load(key[1])
            _cache[key] = embedder
    return embedder


def clear_cache() -> None:
    """Forget every loaded embedder (the next :func:`get_embedder` loads afresh)."""
    with _lock:
        _cache.clear()
