"""The docstring examples of every module in the product's packages run as tests."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("classifier", "training", "scoring", "clusters")
NOT_IMPORTABLE = {"clusters.review.migrations.env"}
"""Alembic's env.py runs only inside a migration."""


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        names.append(package)
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if info.name not in NOT_IMPORTABLE:
                names.append(info.name)
    return sorted(names)


MODULES = _modules()


def test_the_examples_are_found():
    examples = sum(
        len(test.examples)
        for name in MODULES
        for test in doctest.DocTestFinder().find(importlib.import_module(name))
    )
    assert examples >= 100


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str):
    module = importlib.import_module(name)
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False, report=True)
    assert failed == 0, f"{name}: {failed} docstring example(s) failed (printed above)"
