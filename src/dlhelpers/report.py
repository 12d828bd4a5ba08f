"""One call through which notebooks report their headline results.

The benchmark (``tools/benchmark.py``) collects them into its table, so no
notebook output needs scraping.
"""

from __future__ import annotations

import json
import os

#: Environment variable naming a file to which every reported result is appended.
RESULTS_ENV = "DLHELPERS_RESULTS"


def report(name: str, value, at_least: float | None = None, at_most: float | None = None):
    """Print a headline result, record it for the benchmark, and check it (all episodes).

    ``at_least`` / ``at_most`` are the bounds the lesson promises; a result
    outside them raises ``AssertionError``, so a test run fails loudly.
    Returns ``value``.
    """
    shown = f"{value:.4g}" if isinstance(value, float) else str(value)
    print(f"{name}: {shown}")
    path = os.environ.get(RESULTS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(json.dumps({"name": name, "value": _plain(value)}) + "\n")
    if at_least is not None and not value >= at_least:
        raise AssertionError(f"{name} is {shown}, below the expected {at_least}")
    if at_most is not None and not value <= at_most:
        raise AssertionError(f"{name} is {shown}, above the expected {at_most}")
    return value


def _plain(value):
    try:
        return value.item()  # numpy scalar
    except AttributeError:
        return value
