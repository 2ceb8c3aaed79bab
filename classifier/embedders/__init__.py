"""Text embedders: one small interface, three interchangeable backends.

======================  ==============================================  ====  ==========
name                    what                                            dim   texts/s *
======================  ==============================================  ====  ==========
``minilm`` (default)    all-MiniLM-L6-v2, sentence-transformers, torch   384   20-56
``minilm-onnx``         the same model, int8 ONNX, onnxruntime           384   2-3x torch
``static``              model2vec distilled from MiniLM, PCA to 256      256   ~100x torch
======================  ==============================================  ====  ==========

\\* ~85-word company descriptions on 2 shared CPU cores; see ``models/README.md``.

Example:
    >>> from classifier.embedders import get_embedder
    >>> emb = get_embedder("minilm")  # doctest: +SKIP
    >>> emb.id  # doctest: +SKIP
    'all-MiniLM-L6-v2/torch-fp32@1f0c6c63'
    >>> emb.encode(["Precision machining for aerospace"]).shape  # doctest: +SKIP
    (1, 384)

Contract of every embedder (:class:`Embedder`):

* **Output**: ``encode`` returns float32, shape ``(n, dim)``, rows of unit L2 norm.
* **Truncation**: a text is truncated to the model window, ``max_tokens`` wordpieces (256 for
  MiniLM), by the tokenizer, **keeping the beginning** - so text preparation
  (:mod:`classifier.text`) puts the most informative text first. The static model truncates
  to the same 256 tokens, so all tiers see the same words. Before tokenising, a text is cut
  to ``max_tokens * 32`` characters, a cheap guard that makes huge inputs (megabytes) fast
  and never removes anything the tokenizer would keep from ordinary text.
* **Empty text**: the transformer backends embed ``""`` as ``[CLS] [SEP]`` - a fixed, valid
  unit vector. A text with no tokens at all for the static model (``""``, or only
  characters outside its vocabulary) gets the constant vector ``1/sqrt(dim)`` in every
  component (:func:`~classifier.embedders.base.constant_vector`). ``None`` counts as ``""``.
* **Determinism**: the same list of texts with the same ``batch_size`` gives identical bytes,
  in one process and across processes (tested). With ``minilm`` (torch) a text's vector may
  differ in the last float bits (~1e-7) depending on which other texts share its batch
  (padding changes the matrix shapes); ``minilm-onnx`` (which runs one text at a time, see
  :mod:`~classifier.embedders.minilm_onnx`) and ``static`` give each text the same bytes
  whatever else is encoded.
* **Identity**: ``id`` = ``<model>/<backend>@<sha256 of the model files, 8 hex>``; any change
  of weights or tokenizer changes it, so it is a safe embedding-cache key, and a bundled copy
  of ``model_dir`` keeps the same id.
* **Offline**: models load only from local directories (``HF_HUB_OFFLINE=1`` is set by
  default on import; sentence-transformers is called with ``local_files_only=True``).
* **Threads**: ``$OMP_NUM_THREADS`` if set, else the cores this process may use; torch via
  ``torch.set_num_threads``, onnxruntime via its session options.
* **Caching**: :func:`get_embedder` loads each (name, model directory) once per process.
  Pickling an embedder stores only its name and directory, never the weights.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from classifier.embedders.base import (  # noqa: E402
    BaseEmbedder,
    Embedder,
    EmbedderNotAvailableError,
    constant_vector,
)
from classifier.embedders.registry import (  # noqa: E402
    DEFAULT_EMBEDDER,
    EMBEDDERS,
    available_embedders,
    clear_cache,
    get_embedder,
)

__all__ = [
    "DEFAULT_EMBEDDER",
    "EMBEDDERS",
    "BaseEmbedder",
    "Embedder",
    "EmbedderNotAvailableError",
    "available_embedders",
    "clear_cache",
    "constant_vector",
    "get_embedder",
]
