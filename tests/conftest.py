"""Shared fixtures and hypothesis profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from costmodel.catalog import Catalogue, load_catalogue

settings.register_profile("ci", max_examples=100, deadline=None)
settings.load_profile("ci")

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"

#: Slow tests (over ~2 s) in modules that are not marked here but in their own file: node id -> why.
#: Everywhere else a slow test carries ``@pytest.mark.slow`` or its module's ``pytestmark``.
SLOW_ELSEWHERE = {
    "tests/unit/test_serving.py::test_more_traffic_never_needs_fewer_gpus": "~4 s: 100 hypothesis examples",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of :data:`SLOW_ELSEWHERE` slow (``make test-fast`` skips them; ``make test`` runs all)."""
    for item in items:
        if item.nodeid.split("[")[0] in SLOW_ELSEWHERE:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The repository's catalogue, loaded once."""
    return load_catalogue(DATA)
