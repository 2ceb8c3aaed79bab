"""Training, evaluation and the MLflow model registry."""
