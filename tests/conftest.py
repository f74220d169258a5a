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


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The repository's catalogue, loaded once."""
    return load_catalogue(DATA)
