"""The examples in the indicator docstrings run, and every public indicator documents itself in numpydoc form.

The docstrings follow momepy's ``dimension.py``: Parameters, Returns, Notes with the formula, and
Examples that are doctests, so the numbers a planner reads in the documentation are the numbers the code
computes.
"""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

DOCUMENTED_MODULES = ["twin.indicators", "twin.shadow", "twin.sun", "store.crs"]
#: Public functions of these modules must carry all four sections.
NUMPYDOC_MODULES = ["twin.indicators", "twin.shadow", "twin.sun"]
SECTIONS = ("Parameters\n", "Returns\n", "Notes\n", "Examples\n")


@pytest.mark.parametrize("name", DOCUMENTED_MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} fail (output above)"


def _public_functions(module):
    return [
        (name, value)
        for name, value in vars(module).items()
        if not name.startswith("_") and inspect.isfunction(value) and value.__module__ == module.__name__
    ]


@pytest.mark.parametrize("name", NUMPYDOC_MODULES)
def test_public_functions_have_numpydoc_sections(name):
    module = importlib.import_module(name)
    incomplete = {}
    for function_name, function in _public_functions(module):
        doc = inspect.getdoc(function) or ""
        missing = [s.strip() for s in SECTIONS if s not in doc]
        if missing or ">>> " not in doc:
            incomplete[function_name] = missing or ["a doctest example"]
    assert not incomplete, f"{name}: docstrings without these numpydoc sections: {incomplete}"
