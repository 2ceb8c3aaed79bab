"""Loading MiniLM quietly: no progress bar or benign load report, real weight problems still shown."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from classifier.embedders.loading import REPORT_LOGGER, UnusedKeysReport, load_sentence_transformer
from classifier.embedders.minilm_torch import MiniLMTorchEmbedder, default_minilm_dir

pytestmark = pytest.mark.slow


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def reported():
    """Messages that pass transformers' report logger (its own handler writes to whichever
    stderr was current when transformers was first imported, so capfd may not see them)."""
    handler = Collect()
    report_logger = logging.getLogger(REPORT_LOGGER)
    report_logger.addHandler(handler)
    yield handler.messages
    report_logger.removeHandler(handler)


def test_loading_minilm_prints_no_progress_bar_or_benign_report(capfd, caplog, reported):
    from transformers.utils import logging as hf_logging

    hf_logging.enable_progress_bar()
    with caplog.at_level(logging.DEBUG, logger="classifier.embedders.loading"):
        embedder = MiniLMTorchEmbedder()
    assert "Loading weights" not in capfd.readouterr().err
    assert not any("LOAD REPORT" in message for message in reported)
    # the packaged checkpoint does hold an unused buffer: the report is kept at debug level
    assert any("position_ids" in r.getMessage() for r in caplog.records)
    assert embedder.encode(["surgical robots"]).shape == (1, 384)
    assert hf_logging.is_progress_bar_enabled(), "the progress-bar setting is restored"
    assert not logging.getLogger(REPORT_LOGGER).filters, "the filter is removed after loading"


def test_a_checkpoint_missing_weights_is_still_reported(tmp_path: Path, reported):
    model_dir = tmp_path / "minilm"
    shutil.copytree(default_minilm_dir(), model_dir)
    weights = load_file(str(model_dir / "model.safetensors"))
    del weights["encoder.layer.0.attention.self.query.weight"]
    save_file(weights, str(model_dir / "model.safetensors"))

    load_sentence_transformer(model_dir)
    report = "".join(message for message in reported if "LOAD REPORT" in message)
    assert "MISSING" in report and "encoder.layer.0.attention.self.query.weight" in report


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("BertModel LOAD REPORT\nembeddings.position_ids | UNEXPECTED", False),
        ("BertModel LOAD REPORT\npooler.dense.weight | MISSING", True),
        ("BertModel LOAD REPORT\nx | UNEXPECTED\ny | MISMATCH", True),
        ("some other transformers warning", True),
    ],
)
def test_only_reports_of_unused_keys_are_held_back(message: str, shown: bool):
    record = logging.LogRecord(REPORT_LOGGER, logging.WARNING, __file__, 1, message, None, None)
    assert UnusedKeysReport().filter(record) is shown
