"""Every figure the product shows is what ``tests/golden/snapshot.json`` recorded (see ``snapshot.py``).

A refactoring must leave them identical. A deliberate change of the model regenerates the file
(``python -m tests.golden.snapshot --write``) in the same commit, which says why the figures moved.
"""

from __future__ import annotations

import json

import pytest

from tests.golden import snapshot


@pytest.fixture(scope="module")
def now() -> dict:  # type: ignore[type-arg]
    return json.loads(json.dumps(snapshot.snapshot(), sort_keys=True, default=str))


@pytest.fixture(scope="module")
def recorded() -> dict:  # type: ignore[type-arg]
    return json.loads(snapshot.PATH.read_text())


def test_same_scenarios_and_commands(now: dict, recorded: dict) -> None:  # type: ignore[type-arg]
    assert now.keys() == recorded.keys()
    assert now["scenarios"].keys() == recorded["scenarios"].keys()


@pytest.mark.parametrize("name", list(snapshot.variants()))
@pytest.mark.parametrize(
    "part", ["table", "curves", "break_even", "csv", "csv_raw", "markdown", "json", "xlsx"]
)
def test_scenario_figures_unchanged(now: dict, recorded: dict, name: str, part: str) -> None:  # type: ignore[type-arg]
    assert now["scenarios"][name][part] == recorded["scenarios"][name][part]


@pytest.mark.parametrize("part", ["attention", "serve"])
def test_cli_figures_unchanged(now: dict, recorded: dict, part: str) -> None:  # type: ignore[type-arg]
    assert now[part] == recorded[part]
