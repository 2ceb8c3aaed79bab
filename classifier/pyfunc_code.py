"""The pyfunc model as code: what MLflow runs to rebuild :class:`ClusterPyfunc` on loading.

:func:`classifier.pyfunc.log_pyfunc` logs this file ("models from code") instead of a
pickled object, so loading a model executes no pickle and MLflow warns of none.
"""

from mlflow.models import set_model

from classifier.pyfunc import ClusterPyfunc

set_model(ClusterPyfunc())
