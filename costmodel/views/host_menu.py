"""The Calculator's API picker, grouped by model: the order of the options, what an option serves, and the
cheapest host of each model (the grouping and the bills are :mod:`costmodel.pricing.hosts`)."""

from __future__ import annotations

import pandas as pd

from costmodel.pricing.hosts import ModelGroup

__all__ = ["cheapest_frame", "menu_order", "served_notes"]


def menu_order(groups: tuple[ModelGroup, ...]) -> list[str]:
    """Option ids model by model, each model's options cheapest first (those that cannot serve last)."""
    return [q.option_id for g in groups for q in g.quotes]


def served_notes(groups: tuple[ModelGroup, ...]) -> dict[str, str]:
    """`` (serves <model>)`` for an option whose price row's model is not the weights it serves at the date (the
    DeepSeek Flash API answered by V4.1-Flash), keyed by option id; "" for the others."""
    return {
        q.option_id: f" (serves {g.name})" if q.model != g.model else "" for g in groups for q in g.quotes
    }


def cheapest_frame(groups: tuple[ModelGroup, ...]) -> pd.DataFrame:
    """One row per model: its cheapest host for the workload, that host's monthly cost (USD), how many options
    serve the model and how many of them can serve the workload."""
    rows = []
    for g in groups:
        c = g.cheapest
        rows.append(
            {
                "model": g.name,
                "cheapest host": c.provider if c else f"none: {g.quotes[0].reason}" if g.quotes else "none",
                "monthly (USD)": c.monthly_cost_usd if c else float("nan"),
                "option": c.option_id if c else "",
                "options": len(g.quotes),
                "can serve": sum(1 for q in g.quotes if not q.reason),
            }
        )
    return pd.DataFrame(
        rows, columns=["model", "cheapest host", "monthly (USD)", "option", "options", "can serve"]
    )
