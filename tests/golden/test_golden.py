"""Every figure the product shows is what ``tests/golden/snapshot.json`` recorded (see ``snapshot.py``).

A refactoring must leave them unchanged (floats within a relative 1e-9). A deliberate change of the model
regenerates the file (``python -m tests.golden.snapshot --write``) in its own commit, which says why the
figures moved. A failure prints the scenario, the part and the path of every figure that moved, with both values.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.golden import snapshot

MAX_SHOWN = 40


@pytest.fixture(scope="module")
def now() -> dict[str, Any]:
    return json.loads(json.dumps(snapshot.snapshot(), sort_keys=True, default=str))


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    return json.loads(snapshot.PATH.read_text())  # type: ignore[no-any-return]


def _assert_same(recorded: Any, now: Any, where: str) -> None:
    diffs = snapshot.differences(recorded, now, where)
    shown = "\n".join(diffs[:MAX_SHOWN]) + (
        f"\n... and {len(diffs) - MAX_SHOWN} more" if len(diffs) > MAX_SHOWN else ""
    )
    assert not diffs, f"{len(diffs)} figure(s) moved:\n{shown}"


def test_same_scenarios_and_commands(now: dict[str, Any], recorded: dict[str, Any]) -> None:
    assert now.keys() == recorded.keys()
    assert now["scenarios"].keys() == recorded["scenarios"].keys()


@pytest.mark.parametrize("name", list(snapshot.variants()))
@pytest.mark.parametrize(
    "part", ["table", "curves", "break_even", "csv", "csv_raw", "markdown", "json", "xlsx"]
)
def test_scenario_figures_unchanged(
    now: dict[str, Any], recorded: dict[str, Any], name: str, part: str
) -> None:
    _assert_same(recorded["scenarios"][name][part], now["scenarios"][name][part], f"{name}/{part}")


@pytest.mark.parametrize("part", ["attention", "serve"])
def test_cli_figures_unchanged(now: dict[str, Any], recorded: dict[str, Any], part: str) -> None:
    _assert_same(recorded[part], now[part], part)


def test_a_moved_figure_is_reported_with_both_values() -> None:
    """The comparison is not blind: a change beyond the tolerance is found and printed; one within it is not."""
    rec = {"t": [{"monthly_cost_usd": 1234.5, "option": "x"}], "md": ["| $1,234.50 |"]}
    assert (
        snapshot.differences(
            rec, {"t": [{"monthly_cost_usd": 1234.5 * (1 + 1e-12), "option": "x"}], "md": ["| $1,234.50 |"]}
        )
        == []
    )
    moved = snapshot.differences(
        rec, {"t": [{"monthly_cost_usd": 1234.6, "option": "x"}], "md": ["| $1,234.60 |"]}
    )
    assert moved == [
        ".md[0]: recorded '| $1,234.50 |', now '| $1,234.60 |'",
        ".t[0].monthly_cost_usd: recorded 1234.5, now 1234.6",
    ]
