"""Fine-tuning the embedder's top layers: the tuned model separates the labelled clusters
better, loads like any MiniLM folder, and a training run with it is tracked and deployable."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from test_training import FOOD, MEDTECH, SPACE, toy  # noqa: F401  (fixture)

from classifier.embedders import get_embedder
from classifier.embedders.minilm_torch import default_minilm_dir
from classifier.pyfunc import unwrap
from clusters.config import get_settings
from training.fine_tune import (
    FineTuneParams,
    fine_tune_embedder,
    preset_params,
    resolve_device,
    should_fine_tune,
)
from training.train import train


def test_should_fine_tune_says_why_not():
    assert should_fine_tune("always", "minilm", 10, 2000) == ""
    assert should_fine_tune("auto", "minilm", 2000, 2000) == ""
    assert "needs 2000" in should_fine_tune("auto", "minilm", 1999, 2000)
    assert "disabled" in should_fine_tune("never", "minilm", 10**6, 2000)
    assert "cannot be fine-tuned" in should_fine_tune("always", "static", 10**6, 2000)
    assert "no trusted labels" in should_fine_tune("always", "minilm", 0, 2000)


def test_fine_tune_device_auto_means_cuda_only_when_torch_sees_one():
    import torch

    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu" and resolve_device("cuda:1") == "cuda:1"


def test_device_presets_fill_only_what_is_not_set():
    cpu, gpu = preset_params("cpu"), preset_params("cuda:1", max_tokens=192, seed=3)
    assert (cpu.layers, cpu.epochs, cpu.max_tokens, cpu.device) == (2, 1.0, 128, "cpu")
    assert (gpu.layers, gpu.epochs, gpu.max_tokens, gpu.device) == (6, 3.0, 192, "cuda:1")
    assert gpu.seed == 3


def test_fine_tune_device_setting_is_checked():
    from clusters.config import ConfigError, load_settings

    assert load_settings(env={}).training.fine_tune_device == "auto"
    assert (
        load_settings(
            env={"CLUSTERS_TRAINING__FINE_TUNE_DEVICE": "cuda:0"}
        ).training.fine_tune_device
        == "cuda:0"
    )
    with pytest.raises(ConfigError, match="fine_tune_device"):
        load_settings(env={"CLUSTERS_TRAINING__FINE_TUNE_DEVICE": "tpu"})


def _separation(vectors: np.ndarray, Y: np.ndarray) -> float:
    """Mean cosine within clusters minus mean cosine between them."""
    sims = vectors @ vectors.T
    same = Y @ Y.T > 0
    np.fill_diagonal(same, False)
    other = ~(Y @ Y.T > 0)
    return float(sims[same].mean() - sims[other].mean())


@pytest.mark.slow
def test_fine_tuned_model_separates_clusters_better_and_loads(tmp_path, capfd):
    from transformers.utils import logging as hf_logging

    hf_logging.enable_progress_bar()
    texts = SPACE + MEDTECH + FOOD
    Y = np.repeat(np.eye(3, dtype=int), 8, axis=0)
    report = fine_tune_embedder(
        default_minilm_dir(), texts, Y, tmp_path / "tuned", FineTuneParams(epochs=4, batch_size=8)
    )
    err = capfd.readouterr().err
    assert "Writing model shards" not in err and "Loading weights" not in err
    assert report.steps == 12 and report.texts == 24
    assert report.last_loss < report.first_loss

    base = get_embedder("minilm")
    tuned = get_embedder("minilm", model_dir=report.model_dir)
    assert tuned.id != base.id, "a tuned model never shares cache entries with the base model"
    assert tuned.max_tokens == 128 < base.max_tokens, "it reads the window it was tuned on"
    vectors = tuned.encode(texts)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert _separation(vectors, Y) > _separation(base.encode(texts), Y) + 0.02


@pytest.mark.slow
def test_training_with_fine_tune_is_tracked_and_bundles_the_tuned_model(toy, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CLUSTERS_TRAINING__FINE_TUNE", "always")
    monkeypatch.setenv("CLUSTERS_TRAINING__FINE_TUNE_EPOCHS", "2")
    from clusters import config

    config.set_settings(None)
    result = train(toy["taxonomy"], [toy["labels"]], model_name="tuned")
    params = MlflowClient(get_settings().mlflow_uri).get_run(result.run_id).data.params
    assert params["fine_tuned"] == "yes"
    assert params["embedder_id"] != get_embedder("minilm").id
    assert params["fine_tune_epochs"] == "2.0", "the setting given wins over the preset"
    preset = preset_params(resolve_device("auto"))
    assert params["fine_tune_layers"] == str(preset.layers), "unset: the device's preset"
    assert params["fine_tune_device"] == preset.device

    model = unwrap(mlflow.pyfunc.load_model("models:/tuned@champion"))
    assert model.embedder.id == params["embedder_id"], "the tuned weights travel in the bundle"
    out = model.predict_frame(
        pd.DataFrame(
            {
                "company_id": ["00000001", "00000002"],
                "text": ["Cubesat constellation for earth observation.", "A sourdough bakery."],
            }
        )
    )
    assert list(out["top_label"]) == ["space", "food"]
    # retraining on the same labels reuses the tuned model instead of tuning again
    again = train(toy["taxonomy"], [toy["labels"]], model_name="tuned")
    run = MlflowClient(get_settings().mlflow_uri).get_run(again.run_id)
    assert run.data.params["embedder_id"] == params["embedder_id"]
    assert run.data.metrics["fine_tune_steps"] == 0
