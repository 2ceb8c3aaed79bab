"""Embedders: the interface, the registry, and the three backends on the real models.

Tests that load a real model are marked ``slow``; each model is loaded once per session.
The ONNX and static tests skip (saying how to build them) when ``models/`` lacks them.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifier.embedders import (
    Embedder,
    EmbedderNotAvailableError,
    available_embedders,
    constant_vector,
    get_embedder,
)
from classifier.embedders.base import MAX_CHARS_PER_TOKEN, clip_text, finalise, weights_hash

ROOT = Path(__file__).resolve().parent.parent

COMPANY_TEXTS = [
    "Acme Medical. We design and manufacture surgical instruments and orthopaedic implants "
    "for NHS hospitals.",
    "Midland Bakery. Artisan bread, cakes and pastries baked fresh every morning for cafes.",
    "Trent Software. Cloud accounting software and data analytics platforms for small firms.",
    "Severn Logistics. Road haulage, pallet distribution and bonded warehousing.",
    "Peak Solar. Installation of solar panels, heat pumps and battery storage for homeowners.",
    "Arden Aerospace. Five axis CNC machining of turbine blades and landing gear parts.",
    "Mercia Biotech. Contract research, cell therapies and GMP laboratory services.",
    "Castle Construction. New build housing, groundworks and refurbishment of listed buildings.",
    "Manufacture of medical and dental instruments and supplies.",
    "Forge Legal. Employment law, commercial property and dispute resolution for businesses.",
    "",
    "Производство медицинского оборудования. 精密測定機器の製造.",
]
ONNX_HINT = "ONNX model not built: run `python scripts/build_models.py --only onnx`"
STATIC_HINT = "static model not built: run `python scripts/build_models.py --only static`"


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


# --- fixtures (one load per session) ----------------------------------------------------------


@pytest.fixture(scope="session")
def minilm() -> Embedder:
    return get_embedder("minilm")


@pytest.fixture(scope="session")
def minilm_vectors(minilm) -> np.ndarray:
    return minilm.encode(COMPANY_TEXTS)


def _built(name: str, hint: str) -> Embedder:
    try:
        return get_embedder(name)
    except EmbedderNotAvailableError:
        pytest.skip(hint)


@pytest.fixture(scope="session")
def onnx() -> Embedder:
    return _built("minilm-onnx", ONNX_HINT)


@pytest.fixture(scope="session")
def static() -> Embedder:
    return _built("static", STATIC_HINT)


# --- registry and interface (fast) ------------------------------------------------------------


def test_registry_names():
    assert available_embedders() == ["minilm", "minilm-onnx", "static"]


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown embedder 'bert'.*minilm, minilm-onnx, static"):
        get_embedder("bert")


@pytest.mark.parametrize(
    ("name", "hint"), [("minilm-onnx", "--only onnx"), ("static", "--only static")]
)
def test_missing_artifacts_say_how_to_build_them(tmp_path, name, hint):
    with pytest.raises(EmbedderNotAvailableError, match=re.escape(hint)) as info:
        get_embedder(name, model_dir=tmp_path / "nowhere")
    assert "scripts/build_models.py" in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_minilm_from_a_non_model_dir_is_a_clear_error(tmp_path):
    with pytest.raises(EmbedderNotAvailableError, match="modules.json"):
        get_embedder("minilm", model_dir=tmp_path)


def test_finalise_normalises_and_replaces_zero_rows():
    raw = np.array([[3.0, 4.0], [0.0, 0.0], [np.nan, 1.0]], dtype=np.float64)
    out = finalise(raw, 2)
    assert out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_allclose(out[0], [0.6, 0.8], rtol=1e-6)
    np.testing.assert_array_equal(out[1], constant_vector(2))
    np.testing.assert_array_equal(out[2], constant_vector(2))
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="expected"):
        finalise(np.zeros((2, 3)), 2)


def test_clip_text_guard():
    assert clip_text("abc", 256) == "abc"
    assert len(clip_text("x" * 10**6, 256)) == 256 * MAX_CHARS_PER_TOKEN


def test_weights_hash_follows_content_not_location(tmp_path):
    a = tmp_path / "a"
    (a / "sub").mkdir(parents=True)
    (a / "model.bin").write_bytes(b"weights")
    (a / "sub" / "config.json").write_text("{}")
    (a / "README.md").write_text("docs do not count")
    b = tmp_path / "b"
    shutil.copytree(a, b)
    (b / "README.md").write_text("other docs")
    (b / "build_info.json").write_text("{}")
    assert re.fullmatch(r"[0-9a-f]{8}", weights_hash(a))
    assert weights_hash(a) == weights_hash(b)
    (b / "model.bin").write_bytes(b"weightz")
    assert weights_hash(a) != weights_hash(b)
    (b / "model.bin").write_bytes(b"weights")
    (b / "sub" / "config.json").rename(b / "config.json")  # a moved file is another model
    assert weights_hash(a) != weights_hash(b)


# --- MiniLM (torch) ---------------------------------------------------------------------------


@pytest.mark.slow
def test_minilm_attributes(minilm):
    assert isinstance(minilm, Embedder)
    assert re.fullmatch(r"all-MiniLM-L6-v2/torch-fp32@[0-9a-f]{8}", minilm.id)
    assert (minilm.dim, minilm.max_tokens) == (384, 256)
    assert (minilm.model_dir / "model.safetensors").is_file()


@pytest.mark.slow
def test_minilm_shape_dtype_norms(minilm_vectors):
    assert minilm_vectors.shape == (len(COMPANY_TEXTS), 384)
    assert minilm_vectors.dtype == np.float32
    assert np.isfinite(minilm_vectors).all()
    np.testing.assert_allclose(np.linalg.norm(minilm_vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_minilm_is_deterministic_in_process(minilm, minilm_vectors):
    again = minilm.encode(COMPANY_TEXTS)
    assert again.tobytes() == minilm_vectors.tobytes()
    # another batch composition changes at most the last float bits
    single = np.vstack([minilm.encode([t]) for t in COMPANY_TEXTS[:3]])
    np.testing.assert_allclose(single, minilm_vectors[:3], atol=1e-5)


@pytest.mark.slow
def test_minilm_is_deterministic_across_processes(minilm_vectors, tmp_path):
    texts_file, out_file = tmp_path / "texts.json", tmp_path / "out.npy"
    texts_file.write_text(json.dumps(COMPANY_TEXTS), encoding="utf-8")
    code = (
        "import json, sys, numpy as np\n"
        "from classifier.embedders import get_embedder\n"
        "texts = json.load(open(sys.argv[1], encoding='utf-8'))\n"
        "np.save(sys.argv[2], get_embedder('minilm').encode(texts))\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(texts_file), str(out_file)],
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    assert np.load(out_file).tobytes() == minilm_vectors.tobytes()


@pytest.mark.slow
def test_minilm_empty_and_none_texts(minilm):
    vectors = minilm.encode(["", None, "", "Bakery"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0].tobytes() == vectors[2].tobytes()
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)
    assert minilm.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_minilm_huge_text_is_truncated_keeping_the_beginning(minilm):
    words = " ".join(f"component{i % 50} machining aerospace" for i in range(10_000))
    huge = ("We manufacture precision gears. " + words)[:100_000]
    vectors = minilm.encode([huge, huge[:3000]])
    assert vectors.shape == (2, 384)
    # 256 wordpieces end well before 3,000 characters: same tokens, same vector
    assert float(vectors[0] @ vectors[1]) > 0.9999


@pytest.mark.slow
def test_minilm_semantic_sanity(minilm):
    implants, catheters, bakery = minilm.encode(
        [
            "We manufacture orthopaedic implants and surgical instruments for hospitals.",
            "Design and production of catheters and other medical devices for the NHS.",
            "A family bakery selling bread, cakes and pastries.",
        ]
    )
    assert implants @ catheters > implants @ bakery + 0.1


@pytest.mark.slow
def test_minilm_input_validation(minilm):
    with pytest.raises(TypeError, match="single string"):
        minilm.encode("not a list")
    with pytest.raises(TypeError, match="text 1 is int"):
        minilm.encode(["ok", 3])
    with pytest.raises(ValueError, match="batch_size"):
        minilm.encode(["ok"], batch_size=0)


@pytest.mark.slow
def test_get_embedder_caches_per_process(minilm):
    assert get_embedder("minilm") is minilm
    assert get_embedder("minilm", model_dir=minilm.model_dir) is minilm


@pytest.mark.slow
def test_pickle_holds_no_weights(minilm):
    data = pickle.dumps(minilm)
    assert len(data) < 2_000
    assert pickle.loads(data) is minilm  # restored through the per-process cache


@pytest.mark.slow
def test_minilm_loads_offline_from_a_copied_dir(minilm, tmp_path, monkeypatch):
    """A bundled copy of model_dir loads with networking blocked, with the same id."""
    copy = tmp_path / "bundled"
    shutil.copytree(minilm.model_dir, copy)
    attempts = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError(f"network blocked in test: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: refuse(None, address))
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: refuse(None, host))

    from classifier.embedders.minilm_torch import MiniLMTorchEmbedder

    fresh = MiniLMTorchEmbedder(copy)  # bypasses the cache: a real load
    vectors = fresh.encode(COMPANY_TEXTS[:3])
    assert attempts == []
    assert fresh.id == minilm.id
    assert fresh.model_dir == copy
    np.testing.assert_array_equal(vectors, minilm.encode(COMPANY_TEXTS[:3]))


# --- ONNX int8 ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_onnx_agrees_with_torch(onnx, minilm_vectors):
    assert re.fullmatch(r"all-MiniLM-L6-v2/onnx-int8@[0-9a-f]{8}", onnx.id)
    assert (onnx.dim, onnx.max_tokens) == (384, 256)
    vectors = onnx.encode(COMPANY_TEXTS)
    assert vectors.shape == minilm_vectors.shape and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = cosine_rows(vectors, minilm_vectors)
    edge = [COMPANY_TEXTS.index(""), len(COMPANY_TEXTS) - 1]  # empty; Cyrillic + Japanese
    company = np.delete(cosines, edge)
    assert company.min() >= 0.98, cosines
    assert company.mean() >= 0.99, cosines
    assert cosines[edge].min() >= 0.97, cosines  # int8 errors weigh more on odd inputs


@pytest.mark.slow
def test_onnx_deterministic_empty_and_huge(onnx):
    first = onnx.encode(COMPANY_TEXTS)
    assert onnx.encode(COMPANY_TEXTS).tobytes() == first.tobytes()
    # one text per run: a vector does not depend on the other texts or the batch size
    alone = np.vstack([onnx.encode([t]) for t in COMPANY_TEXTS[:4]])
    assert alone.tobytes() == first[:4].tobytes()
    assert onnx.encode(COMPANY_TEXTS, batch_size=3).tobytes() == first.tobytes()
    huge = "Gears. " + "x" * 1_000_000
    vectors = onnx.encode(["", huge, None])
    assert np.isfinite(vectors).all() and vectors.shape == (3, 384)
    np.testing.assert_allclose(vectors[0], vectors[2], atol=1e-6)


@pytest.mark.slow
def test_onnx_runs_without_torch(onnx):
    code = (
        "import sys\n"
        "from classifier.embedders import get_embedder\n"
        "v = get_embedder('minilm-onnx').encode(['Precision gears for aerospace'])\n"
        "assert v.shape == (1, 384), v.shape\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)


# --- static (model2vec) ------------------------------------------------------------------------


@pytest.mark.slow
def test_static_shape_norms_and_empty(static):
    assert re.fullmatch(r"all-MiniLM-L6-v2/model2vec-256@[0-9a-f]{8}", static.id)
    assert (static.dim, static.max_tokens) == (256, 256)
    vectors = static.encode(COMPANY_TEXTS)
    assert vectors.shape == (len(COMPANY_TEXTS), 256) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    empty = COMPANY_TEXTS.index("")
    np.testing.assert_array_equal(vectors[empty], constant_vector(256))
    assert static.encode(COMPANY_TEXTS).tobytes() == vectors.tobytes()


@pytest.mark.slow
def test_static_agrees_with_torch_on_similarities(static, minilm_vectors):
    """Different spaces (256-d vs 384-d): compare the pairwise similarity structure."""
    keep = [i for i, t in enumerate(COMPANY_TEXTS) if t]
    vectors = static.encode([COMPANY_TEXTS[i] for i in keep])
    reference = minilm_vectors[keep]
    upper = np.triu_indices(len(keep), k=1)
    correlation = np.corrcoef((vectors @ vectors.T)[upper], (reference @ reference.T)[upper])
    assert correlation[0, 1] > 0.6, correlation[0, 1]


@pytest.mark.slow
def test_static_truncates_to_the_same_window(static):
    words = " ".join(f"gear{i}" for i in range(2_000))
    vectors = static.encode([words, " ".join(words.split()[:600]), words[:100]])
    assert float(vectors[0] @ vectors[1]) > 0.9999  # both cut at 256 tokens
    assert float(vectors[0] @ vectors[2]) < 0.9999
