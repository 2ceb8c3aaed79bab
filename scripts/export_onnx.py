"""Export all-MiniLM-L6-v2 to ONNX and quantise it to int8 (runs in the ONNX *tools* venv).

Not for the main environment: the export needs ``optimum``, which wants transformers < 4.58,
while the product needs sentence-transformers 6 / transformers 5 (see models/README.md).
``scripts/build_models.py`` creates the tools venv and runs this file there::

    python export_onnx.py SOURCE_MODEL_DIR WORK_DIR QUANTISATION

It writes ``WORK_DIR/onnx/model.onnx`` (float32) and ``WORK_DIR/onnx/model_<suffix>.onnx``
(int8) and prints one JSON line ``{"fp32": path, "int8": path}``. Nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# name -> (optimum AutoQuantizationConfig method, keyword arguments, file suffix)
QUANTISATIONS = {
    # u8 activations x s8 weights, per channel, weights in 7 bits: no int16 saturation on
    # AVX2 / AVX-512 CPUs without VNNI, full VNNI speed where it exists (the default).
    "u8s8-7bit": ("avx512", {"per_channel": True, "reduce_range": True}, "qint8_7bit"),
    # the same with full 8-bit weights (sentence-transformers' "avx512_vnni")
    "u8s8": ("avx512_vnni", {"per_channel": True}, "qint8_u8s8"),
    # u8 x u8 (sentence-transformers' "avx2"): saturation-free but slow on VNNI CPUs
    "u8u8": ("avx2", {"per_channel": True}, "quint8_u8u8"),
}


def main(source: str, work: str, quantisation: str) -> None:
    from optimum.onnxruntime.configuration import AutoQuantizationConfig
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    method, kwargs, suffix = QUANTISATIONS[quantisation]
    work_dir = Path(work)
    if work_dir.exists():
        shutil.rmtree(work_dir)
    shutil.copytree(source, work_dir)

    start = time.perf_counter()
    model = SentenceTransformer(str(work_dir), backend="onnx", device="cpu", local_files_only=True)
    model.save_pretrained(str(work_dir))
    print(f"exported float32 ONNX in {time.perf_counter() - start:.1f}s", file=sys.stderr)

    start = time.perf_counter()
    config = getattr(AutoQuantizationConfig, method)(is_static=False, **kwargs)
    export_dynamic_quantized_onnx_model(model, config, str(work_dir), file_suffix=suffix)
    print(f"quantised ({quantisation}) in {time.perf_counter() - start:.1f}s", file=sys.stderr)

    fp32 = work_dir / "onnx" / "model.onnx"
    int8 = work_dir / "onnx" / f"model_{suffix}.onnx"
    if not (fp32.is_file() and int8.is_file()):
        raise SystemExit(f"export did not write {fp32} and {int8}")
    print(json.dumps({"fp32": str(fp32), "int8": str(int8)}))


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[3] not in QUANTISATIONS:
        raise SystemExit(
            f"usage: {sys.argv[0]} SOURCE_MODEL_DIR WORK_DIR {{{','.join(QUANTISATIONS)}}}"
        )
    main(*sys.argv[1:])
