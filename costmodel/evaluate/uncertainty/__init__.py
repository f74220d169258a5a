"""Decide under uncertainty: tornado of the verdict and a seeded, vectorised Monte Carlo.

Split by concern: :mod:`.model` (the ranges and the scenario tabulated once: GPU-seconds per request per
layout, output-length variants), :mod:`.draws` (a batch of draws and its exact costs; the scenario a draw
stands for), :mod:`.result` (the tornado and the Monte Carlo), :mod:`.report` (frames, sentences and export
sections). The method, the distributions and their defaults are in the docstring of :mod:`.model` and in
docs/uncertainty.md.
"""

from __future__ import annotations

from costmodel.evaluate.uncertainty.model import (
    DEFAULT_DRAWS,
    MAX_DRAWS,
    SWANSON_WEIGHTS,
    UncertaintyError,
    UncertaintyRanges,
)
from costmodel.evaluate.uncertainty.recompute import scenario_for_draw, verdict_of
from costmodel.evaluate.uncertainty.report import (
    UNCERTAINTY_COLUMNS,
    add_to_text,
    break_even_quantiles,
    break_even_sentence,
    tornado_frame,
    uncertainty_columns,
    uncertainty_markdown,
    uncertainty_summary,
    with_uncertainty,
)
from costmodel.evaluate.uncertainty.result import TornadoBar, UncertaintyResult, monte_carlo, tornado

__all__ = [
    "DEFAULT_DRAWS",
    "MAX_DRAWS",
    "SWANSON_WEIGHTS",
    "UNCERTAINTY_COLUMNS",
    "TornadoBar",
    "UncertaintyError",
    "UncertaintyRanges",
    "UncertaintyResult",
    "add_to_text",
    "break_even_quantiles",
    "break_even_sentence",
    "monte_carlo",
    "scenario_for_draw",
    "tornado",
    "tornado_frame",
    "uncertainty_columns",
    "uncertainty_markdown",
    "uncertainty_summary",
    "verdict_of",
    "with_uncertainty",
]
