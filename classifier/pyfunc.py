"""The MLflow pyfunc flavour of a :class:`~classifier.model.ClusterModel`.

The logged model carries the whole bundle (estimator, taxonomy, embedding-model files) as an
artifact, so ``mlflow.pyfunc.load_model("models:/NAME@champion")`` works offline. The
wrapper is logged as code (``classifier/pyfunc_code.py``, MLflow's "models from code"), not
pickled: it holds nothing itself and loads everything in :meth:`ClusterPyfunc.load_context`.
Models logged before as a pickled wrapper load the same way.
"""

from __future__ import annotations

import logging
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.models import infer_signature

from classifier.model import ClusterModel

logger = logging.getLogger(__name__)

BUNDLE_ARTIFACT = "bundle"
MODEL_CODE = Path(__file__).with_name("pyfunc_code.py")
"""The file MLflow logs and runs to rebuild the wrapper (see the module docstring)."""
PIP_REQUIREMENTS = [
    "torch==2.13.0",
    "sentence-transformers==6.2.0",
    "scikit-learn==1.9.1",
    "mlflow==3.17.2",
    "pandas<3",
    "pyarrow",
    "pyyaml",
    "pydantic>=2",
    "joblib",
    "company-clusters",
]


class ClusterPyfunc(mlflow.pyfunc.PythonModel):
    """pyfunc wrapper: DataFrame (company_id + text, or a company base) → predictions."""

    def __init__(self) -> None:
        self._model: ClusterModel | None = None

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        self._model = ClusterModel.load(Path(context.artifacts[BUNDLE_ARTIFACT]))

    @property
    def model(self) -> ClusterModel:
        if self._model is None:
            raise RuntimeError("model not loaded: use mlflow.pyfunc.load_model")
        return self._model

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None):  # noqa: D102
        return self.model.predict_frame(pd.DataFrame(model_input))

    def __getstate__(self) -> dict:
        return {}  # never pickle loaded weights

    def __setstate__(self, state: dict) -> None:
        self._model = None


def log_pyfunc(model: ClusterModel, bundle_dir: Path, example: pd.DataFrame, name: str = "model"):
    """Log ``model`` (already saved to ``bundle_dir``) as a pyfunc in the active run.

    Returns MLflow's ``ModelInfo``.
    """
    example = example[["company_id", "text"]].head(3).reset_index(drop=True)
    output = model.predict_frame(example)
    signature = infer_signature(example, output)
    return mlflow.pyfunc.log_model(
        name=name,
        python_model=str(MODEL_CODE),
        artifacts={BUNDLE_ARTIFACT: str(bundle_dir)},
        signature=signature,
        input_example=example,
        pip_requirements=PIP_REQUIREMENTS,
    )


def unwrap(pyfunc_model: mlflow.pyfunc.PyFuncModel) -> ClusterModel:
    """The :class:`ClusterModel` inside a loaded pyfunc model."""
    return pyfunc_model.unwrap_python_model().model
