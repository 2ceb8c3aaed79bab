"""all-MiniLM-L6-v2 quantised to int8 ONNX, run by onnxruntime + tokenizers: no torch needed.

The model directory (built by ``scripts/build_models.py``) holds::

    onnx/model_<quantisation>.onnx   exactly one quantised ONNX graph
    tokenizer.json                   the MiniLM WordPiece tokenizer
    sentence_bert_config.json        max_seq_length (the window, 256)
    1_Pooling/config.json            must say mean pooling
    ...                              the other sentence-transformers files, for reference

Inference: tokenise (truncate to the window, keep the beginning), run the graph on batches
of texts of similar length (sorted, to pad little), mean-pool the token vectors over the
attention mask, L2-normalise. This reproduces the sentence-transformers pipeline of the
torch backend.
"""

from __future__ import annotations

import json
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
BUILD_HINT = "build it with `python scripts/build_models.py --only onnx` (see models/README.md)"


def find_onnx_file(model_dir: Path) -> Path:
    """The single ``onnx/*.onnx`` file of ``model_dir``."""
    files = sorted((Path(model_dir) / "onnx").glob("*.onnx"))
    if len(files) != 1:
        found = ", ".join(f.name for f in files) or "none"
        raise EmbedderNotAvailableError(
            f"embedder 'minilm-onnx' needs exactly one onnx/*.onnx file in {model_dir} "
            f"(found {found}); {BUILD_HINT}"
        )
    return files[0]


class MiniLMOnnxEmbedder(BaseEmbedder):
    """all-MiniLM-L6-v2, int8 ONNX.

    Args:
        model_dir: directory laid out as in the module docs.
        threads: onnxruntime intra-op threads; default :func:`cpu_threads`.
    """

    name = "minilm-onnx"

    def __init__(self, model_dir: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        onnx_file = find_onnx_file(self.model_dir)
        for needed in ("tokenizer.json", "sentence_bert_config.json"):
            if not (self.model_dir / needed).is_file():
                raise EmbedderNotAvailableError(
                    f"embedder 'minilm-onnx' needs {needed} in {self.model_dir}; {BUILD_HINT}"
                )
        pooling_file = self.model_dir / "1_Pooling" / "config.json"
        if pooling_file.is_file():
            pooling = json.loads(pooling_file.read_text(encoding="utf-8"))
            if not pooling.get("pooling_mode_mean_tokens", False):
                raise ValueError(f"{pooling_file}: only mean pooling is supported")
        st_config = json.loads(
            (self.model_dir / "sentence_bert_config.json").read_text(encoding="utf-8")
        )
        self.max_tokens = int(st_config.get("max_seq_length", 256))

        self._tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        # tokenizer.json ships with fixed 128-token truncation and padding: replace both.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=self.max_tokens)

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or cpu_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(onnx_file), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        self.dim = int(self._session.get_outputs()[0].shape[-1])
        self.id = f"{MODEL_NAME}/onnx-int8@{weights_hash(self.model_dir)}"
        logger.info("loaded %s from %s", self.id, onnx_file)

    def _embed(self, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(-lengths, kind="stable")  # longest first, ties in input order
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        starts = range(0, len(texts), batch_size)
        if show_progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="Batches", unit="batch")
        for start in starts:
            index = order[start : start + batch_size]
            width = int(lengths[index].max())
            ids = np.zeros((len(index), width), dtype=np.int64)
            mask = np.zeros((len(index), width), dtype=np.int64)
            for row, i in enumerate(index):
                n = lengths[i]
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]
            weights = mask[:, :, None].astype(np.float32)
            summed = (hidden * weights).sum(axis=1)
            out[index] = summed / np.maximum(weights.sum(axis=1), 1e-9)
        return out
