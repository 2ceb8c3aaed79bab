# Two commands do all the set-up on a fresh machine:
#   make run    install into .venv and run the main job on the bundled demo data
#   make test   install (with test tools) into .venv and run the whole test suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install install-dev models lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned: its CPU wheel; an unpinned torch would pull a multi-GB CUDA build.
install: $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev,spark,postgres]"

run: install
	$(BIN)/clusters run

# The optional embedders (ONNX int8, static model2vec) are built offline from the packaged
# MiniLM into models/ (git-ignored); see models/README.md. Skipped when already built.
models: install
	@test -f models/minilm-static-256/model.safetensors || $(BIN)/python scripts/build_models.py --only static
	@test -d models/minilm-onnx-int8/onnx || $(BIN)/python scripts/build_models.py --only onnx --remove-tools-venv

test: install-dev models
	$(BIN)/python -m pytest

lint:
	$(BIN)/ruff check .
