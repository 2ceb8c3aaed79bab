"""The registered name of the toy model the serving tests train once (see conftest.py)."""

MODEL_NAME = "toy-serve"
CHAMPION_URI = f"models:/{MODEL_NAME}@champion"
