"""A model2vec static embedder distilled locally from all-MiniLM-L6-v2 (256 dimensions).

Each wordpiece has one fixed vector (MiniLM's output for that token, reduced by PCA to 256
dimensions); a text's vector is the mean of its tokens' vectors. No attention, so it is
~50-80x faster than MiniLM and loses little on company descriptions (see ``models/README.md``).
``encode`` goes through :mod:`classifier.embedders.static_fast` (the same vectors to the bit,
~5-8x faster than model2vec's own ``encode``) when the model qualifies.
Built by ``python scripts/build_models.py --only static``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from classifier.embedders.base import (
    MAX_CHARS_PER_TOKEN,
    BaseEmbedder,
    EmbedderNotAvailableError,
    weights_hash,
)
from classifier.embedders.static_fast import FastStaticEncoder

logger = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256
"""Same window as MiniLM, so every tier sees the same text."""
BUILD_HINT = "build it with `python scripts/build_models.py --only static` (see models/README.md)"


class StaticEmbedder(BaseEmbedder):
    """model2vec ``StaticModel`` loaded from ``model_dir``.

    Args:
        model_dir: a directory written by ``StaticModel.save_pretrained``.
        fast: encode through :class:`~classifier.embedders.static_fast.FastStaticEncoder`
            (a word-level tokenization cache and sparse pooling: the same vectors to the bit,
            several times faster) when the model qualifies; ``False`` keeps model2vec's own
            ``encode``. Either way the vectors and the :attr:`id` are the same.
    """

    name = "static"
    cache_worthwhile = False
    """A vector costs ~30-50 us of CPU to compute (fast path; ~0.22 ms through model2vec),
    while the cache costs 15-90 us to store it (more as the cache grows: random inserts into
    its key index) and 1.1 KB of disk, and a rerun would still prepare and score every text:
    not worth it by default."""
    single_threaded = True

    def __init__(self, model_dir: Path, fast: bool = True) -> None:
        self.model_dir = Path(model_dir)
        missing = [
            f
            for f in ("config.json", "model.safetensors", "tokenizer.json")
            if not (self.model_dir / f).is_file()
        ]
        if missing:
            raise EmbedderNotAvailableError(
                f"embedder 'static' needs {', '.join(missing)} in {self.model_dir}; {BUILD_HINT}"
            )
        from model2vec import StaticModel

        self._model = StaticModel.from_pretrained(
            self.model_dir, max_length=MAX_TOKENS, force_download=False
        )
        # model2vec cuts texts to max_length * median_token_length (6) characters before
        # tokenising, which can stop short of 256 tokens on long words. Make that cut our
        # own, looser character guard so the token window decides, as for MiniLM.
        self._model.median_token_length = MAX_CHARS_PER_TOKEN
        self.max_tokens = MAX_TOKENS
        self.dim = int(self._model.dim)
        self.id = f"{MODEL_NAME}/model2vec-{self.dim}@{weights_hash(self.model_dir)}"
        self._fast: FastStaticEncoder | None = None
        if fast:
            self._fast = FastStaticEncoder.from_model(
                self._model,
                max_tokens=self.max_tokens,
                max_chars=self.max_tokens * self._model.median_token_length,
            )
        logger.info("loaded %s", self.id)

    def _embed(self, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        if self._fast is not None:
            return self._fast.encode(texts, show_progress=show_progress)
        return self._embed_model2vec(texts, batch_size, show_progress)

    def _embed_model2vec(
        self, texts: list[str], batch_size: int, show_progress: bool
    ) -> np.ndarray:
        """model2vec's own ``encode``: the reference the fast path must match to the bit."""
        # model2vec batches are cheap: use bigger ones than a transformer would.
        return self._model.encode(
            texts,
            batch_size=max(batch_size, 1024),
            show_progress_bar=show_progress,
            max_length=self.max_tokens,
            use_multiprocessing=False,
        )
