"""Fine-tune the top layers of the MiniLM embedder on the labelled companies.

Frozen MiniLM sentence vectors do not beat TF-IDF on real company descriptions (see
``scripts/bench_quality.py``): the general-purpose model does not know which differences
between texts matter for *these* clusters. A light, CPU-sized fine-tune fixes much of that:

* the lower ``6 - layers`` transformer layers stay frozen; their output for each training
  text is computed **once** and kept (float16) in memory, so every epoch only runs the top
  ``layers`` layers forward and backward (about a third of a full forward pass for 2 layers);
* a temporary linear head over the mean-pooled output is trained with a multi-label binary
  cross-entropy loss (one logit per cluster), AdamW with linear warm-up and decay;
* the head is thrown away; the tuned transformer is saved as an ordinary
  sentence-transformers folder, loaded by the ``minilm`` embedder like the packaged model,
  with its window set to the ``max_tokens`` it was tuned on (128 by default, half the base
  model's 256: the same truncation in training and use, and faster encoding of long texts).
  Its embedder id (a hash of its weights) differs from the base model's, so the embedding
  cache never mixes vectors of the two.

The classifier (:class:`~classifier.estimator.ClusterClassifier`) is then fitted on the
tuned vectors as usual, with out-of-fold calibration and thresholds.

Cost on 2 CPU cores: roughly 30-60 texts/s per epoch for 2 layers at 128 tokens, i.e. about
15 minutes for 30,000 labelled companies and one epoch; :func:`should_fine_tune` skips it
when there are too few trusted labels for it to help (``training.fine_tune_min_labels``).

Example:
    >>> report = fine_tune_embedder(base_dir, texts, Y, out_dir)  # doctest: +SKIP
    >>> get_embedder("minilm", model_dir=report.model_dir).id  # doctest: +SKIP
    'all-MiniLM-L6-v2/torch-fp32@5d1e...'
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

FINE_TUNABLE = ("minilm",)
"""Embedders whose weights can be tuned (the torch backend; ONNX and static cannot)."""


@dataclass(frozen=True)
class FineTuneParams:
    """How to fine-tune (the ``training.fine_tune_*`` settings)."""

    layers: int = 2
    epochs: float = 1.0
    max_tokens: int = 128
    batch_size: int = 32
    lr: float = 5e-5
    head_lr: float = 2e-3
    seed: int = 0
    device: str = "cpu"
    """``cpu``, ``cuda`` (or ``cuda:N``), or ``auto`` (a CUDA GPU when torch sees one)."""


DEVICE_PRESETS: dict[str, dict] = {
    "cpu": {"layers": 2, "epochs": 1.0, "max_tokens": 128},
    "cuda": {"layers": 6, "epochs": 3.0, "max_tokens": 256},
}
"""What a fine-tune does where nothing is set: on 2 CPU cores the top 2 layers for one epoch
at 128 wordpieces (~42 min for 30,000 companies); on a GPU the whole transformer for three
epochs at 256 (~1 min on one H200), which scores higher (README, model quality)."""


def preset_params(
    device: str,
    layers: int | None = None,
    epochs: float | None = None,
    max_tokens: int | None = None,
    seed: int = 0,
) -> FineTuneParams:
    """Fine-tune parameters for ``device``: the values given win, the rest come from
    :data:`DEVICE_PRESETS` (``cuda:N`` uses the ``cuda`` preset).

    >>> preset_params("cpu").layers, preset_params("cuda:0").epochs
    (2, 3.0)
    >>> preset_params("cuda", layers=4).layers
    4
    """
    preset = DEVICE_PRESETS["cuda" if device.startswith("cuda") else "cpu"]
    given = {"layers": layers, "epochs": epochs, "max_tokens": max_tokens}
    chosen = {k: preset[k] if v is None else v for k, v in given.items()}
    return FineTuneParams(**chosen, seed=seed, device=device)


@dataclass(frozen=True)
class FineTuneReport:
    """What a fine-tune did: where the model is, and how the loss went."""

    model_dir: Path
    texts: int
    steps: int
    seconds: float
    first_loss: float
    last_loss: float
    params: FineTuneParams | None = None


def should_fine_tune(mode: str, embedder_name: str, trusted_labels: int, min_labels: int) -> str:
    """Why fine-tuning is or is not done: returns ``""`` when it should run, else the reason.

    ``mode`` is ``"auto"`` (fine-tune when there are at least ``min_labels`` trusted
    labelled companies), ``"always"`` or ``"never"``.

    >>> should_fine_tune("auto", "minilm", 5000, 2000)
    ''
    >>> should_fine_tune("auto", "minilm", 600, 2000)
    'only 600 trusted labels (fine-tuning needs 2000)'
    """
    if mode == "never":
        return "fine-tuning disabled (training.fine_tune = never)"
    if embedder_name not in FINE_TUNABLE:
        return f"the {embedder_name!r} embedder cannot be fine-tuned (only {FINE_TUNABLE})"
    if mode == "auto" and trusted_labels < min_labels:
        return f"only {trusted_labels} trusted labels (fine-tuning needs {min_labels})"
    if trusted_labels == 0:
        return "no trusted labels"
    return ""


def length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list:
    """Shuffled batches of row indices, each of similar length (less padding).

    Rows are shuffled, cut into windows of 50 batches, sorted by length within a window and
    batched; then the batches are shuffled. Every row appears exactly once.

    >>> b = length_batches(np.array([5, 1, 9, 3]), 2, np.random.default_rng(0))
    >>> sorted(int(i) for batch in b for i in batch)
    [0, 1, 2, 3]
    """
    order = rng.permutation(len(lengths))
    batches = []
    window = batch_size * 50
    for start in range(0, len(order), window):
        part = order[start : start + window]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += [part[k : k + batch_size] for k in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def resolve_device(device: str) -> str:
    """The torch device to tune on: ``auto`` means ``cuda`` when torch sees a GPU, else ``cpu``.

    >>> resolve_device("cpu")
    'cpu'
    """
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class _TopLayers:
    """The frozen lower layers' outputs for a set of texts, and the trainable top layers."""

    def __init__(self, model, texts: Sequence[str], params: FineTuneParams) -> None:
        import torch

        self.torch = torch
        self.device = params.device
        bert = model[0].auto_model
        n_layers = len(bert.encoder.layer)
        if not 1 <= params.layers <= n_layers:
            raise ValueError(f"layers must be 1..{n_layers}, not {params.layers}")
        self.cut = n_layers - params.layers
        self.top = bert.encoder.layer[self.cut :]
        for p in bert.parameters():
            p.requires_grad_(False)
        for p in self.top.parameters():
            p.requires_grad_(True)
        tok = model[0].tokenizer(list(texts), truncation=True, max_length=params.max_tokens)
        self.lengths = np.array([len(ids) for ids in tok["input_ids"]])
        self.states = self._frozen_states(bert, tok["input_ids"])

    def _frozen_states(self, bert, input_ids: list[list[int]]) -> list:
        torch = self.torch
        states: list = [None] * len(input_ids)
        order = np.argsort(self.lengths, kind="stable")
        bert.eval()
        with torch.no_grad():
            for start in range(0, len(order), 64):
                rows = order[start : start + 64]
                width = int(self.lengths[rows].max())
                ids = torch.zeros((len(rows), width), dtype=torch.long)
                mask = torch.zeros((len(rows), width), dtype=torch.long)
                for r, i in enumerate(rows):
                    ids[r, : self.lengths[i]] = torch.tensor(input_ids[i])
                    mask[r, : self.lengths[i]] = 1
                ids, mask = ids.to(self.device), mask.to(self.device)
                out = bert(
                    input_ids=ids,
                    attention_mask=mask,
                    token_type_ids=torch.zeros_like(ids),
                    output_hidden_states=True,
                )
                hidden = out.hidden_states[self.cut]
                for r, i in enumerate(rows):
                    states[i] = hidden[r, : self.lengths[i]].to(torch.float16).clone()
        return states

    def pooled(self, rows: np.ndarray):
        """Mean-pooled output of the top layers for the given texts (with gradients)."""
        torch = self.torch
        hidden = torch.nn.utils.rnn.pad_sequence(
            [self.states[i] for i in rows], batch_first=True
        ).float()
        lengths = torch.as_tensor(self.lengths[rows], device=hidden.device)
        mask = (
            torch.arange(hidden.shape[1], device=hidden.device)[None, :] < lengths[:, None]
        ).float()
        additive = (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float32).min
        for layer in self.top:
            out = layer(hidden, attention_mask=additive)
            hidden = out[0] if isinstance(out, tuple) else out
        return (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)


def fine_tune_embedder(
    base_dir: Path,
    texts: Sequence[str],
    Y: np.ndarray,
    out_dir: Path,
    params: FineTuneParams | None = None,
    sample_weight: np.ndarray | None = None,
) -> FineTuneReport:
    """Tune the top layers of the sentence-transformers model in ``base_dir`` on ``(texts, Y)``.

    ``Y`` is the multi-label indicator matrix (rows = texts, columns = clusters);
    ``sample_weight`` (optional) weights each text's loss. The tuned model is written to
    ``out_dir`` (created; an existing model there is replaced). Deterministic for a given
    seed, texts and thread count.
    """
    import torch

    from classifier.embedders.loading import load_sentence_transformer, transformers_quietly

    params = params or FineTuneParams()
    Y = np.asarray(Y, dtype=np.float32)
    if len(texts) != len(Y) or len(texts) == 0:
        raise ValueError(f"need as many label rows as texts (got {len(texts)} and {len(Y)})")
    started = time.time()
    params = replace(params, device=resolve_device(params.device))
    device = params.device
    torch.manual_seed(params.seed)
    model = load_sentence_transformer(base_dir, device=device)
    top = _TopLayers(model, texts, params)
    logger.info(
        "fine-tune on %s: frozen states of %d texts (%d layers frozen) in %.0fs",
        device,
        len(texts),
        top.cut,
        time.time() - started,
    )
    head = torch.nn.Linear(top.states[0].shape[1], Y.shape[1]).to(device)
    optimiser = torch.optim.AdamW(
        [
            {"params": list(top.top.parameters()), "lr": params.lr},
            {"params": list(head.parameters()), "lr": params.head_lr},
        ],
        weight_decay=0.01,
    )
    total = max(1, math.ceil(math.ceil(len(texts) / params.batch_size) * params.epochs))
    warmup = max(1, int(0.06 * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (total - s) / total)
    )
    targets = torch.from_numpy(Y).to(device)
    weights = torch.from_numpy(
        np.ones(len(texts), np.float32)
        if sample_weight is None
        else np.asarray(sample_weight, np.float32)
    ).to(device)
    rng = np.random.default_rng(params.seed)
    top.top.train()
    losses: list[float] = []
    step = 0
    while step < total:
        for rows in length_batches(top.lengths, params.batch_size, rng):
            if step >= total:
                break
            logits = head(top.pooled(rows))
            at = torch.as_tensor(rows, device=device)
            per_text = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, targets[at], reduction="none"
            ).mean(1)
            loss = (per_text * weights[at]).sum() / weights[at].sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(float(loss.detach()))
            step += 1
            if step % 100 == 0:
                logger.info(
                    "fine-tune: step %d/%d, loss %.4f, %.0fs",
                    step,
                    total,
                    np.mean(losses[-100:]),
                    time.time() - started,
                )
    top.top.eval()
    for p in model.parameters():
        p.requires_grad_(True)
    # the tuned model reads what it was tuned on: the first ``max_tokens`` wordpieces (the
    # TF-IDF half of the hybrid classifier still reads the whole text)
    model.max_seq_length = min(int(model.max_seq_length), params.max_tokens)
    model.to("cpu")  # saved weights load anywhere
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with transformers_quietly():
        model.save(str(out_dir))
    window = max(1, min(20, len(losses) // 4))  # mean loss of the first and last steps
    report = FineTuneReport(
        model_dir=out_dir,
        texts=len(texts),
        steps=step,
        seconds=time.time() - started,
        first_loss=float(np.mean(losses[:window])),
        last_loss=float(np.mean(losses[-window:])),
        params=params,
    )
    logger.info(
        "fine-tune: %d steps in %.0fs, loss %.4f -> %.4f, saved to %s",
        report.steps,
        report.seconds,
        report.first_loss,
        report.last_loss,
        out_dir,
    )
    return report
