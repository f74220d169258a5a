"""Total cost of ownership of a self-hosting option: what a GPU-hour costs when renting (by basis) or owning.

Renting (``acquisition`` rent / on_demand / reserved / spot): the price of a catalogue rental row
(:func:`costmodel.serving.fleet.resolve_rental`).

Owning (``acquisition`` buy), per GPU-hour, USD::

    server price per GPU / (life in years × 8,766 h)        hardware amortised (straight line, no resale, no interest)
  + TDP (kW) × PUE × electricity (USD/kWh)                  power at full TDP every hour (an upper bound)
  + hosting / colocation (USD per GPU-hour)

when the user types a server price (``usd_per_gpu_purchase``) or the catalogue has one; otherwise the
catalogue's owner all-in cost per GPU-hour (``hardware.yaml`` ``servers``: SemiAnalysis's TCO model), which
already holds hardware, power and hosting, so the life, PUE, electricity and hosting inputs do not apply. Owned
servers are paid for all week: a buy option is always-on.

Around the GPU-hour price (:func:`costmodel.serving.fleet.fleet_cost`): the fleet is sized for a target peak
utilisation (GPUs = work / target, whole deployments), and the people and operations cost (USD/month) is added
to every self-hosting option. Both are assumptions of the scenario, stated with their defaults on screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from costmodel.catalog.schema import Catalogue, ServerPrice
from costmodel.workload.scenario import SelfHostOption, ServingAssumptions

__all__ = [
    "HOURS_PER_YEAR",
    "TCO_DEFAULTS_NOTE",
    "OwnedPrice",
    "owned_usd_per_gpu_hour",
    "resolve_owned",
    "server_row",
]

#: Hours in a year of 365.25 days.
HOURS_PER_YEAR = 8766.0
#: What the defaults of the ownership inputs are, for the screen and the exports (they are assumptions).
TCO_DEFAULTS_NOTE = (
    "Assumptions, not sourced facts: target peak utilisation 100% (fleet sized to the work; 70% leaves 30% "
    "headroom), people and operations $0/month (not counted unless you set it), and, when buying with your own "
    "server price, a 4-year life, PUE 1.3, $0.10/kWh and $0/GPU-hour hosting."
)


@dataclass(frozen=True)
class OwnedPrice:
    """The GPU-hour price of owning, with its parts (USD per GPU-hour) and provenance.

    Attributes:
        usd_per_gpu_hour: the total.
        hardware, power, hosting: the parts (nan when an all-in figure is used).
        row_id: the server row used ("custom" for a typed price).
        source, as_of: its provenance.
    """

    usd_per_gpu_hour: float
    hardware: float
    power: float
    hosting: float
    row_id: str
    source: str
    as_of: str


def owned_usd_per_gpu_hour(
    usd_per_gpu_purchase: float,
    server_life_years: float,
    tdp_w: float,
    pue: float,
    usd_per_kwh: float,
    hosting_usd_per_gpu_hour: float,
) -> tuple[float, float, float, float]:
    """``(total, hardware, power, hosting)`` USD per GPU-hour of an owned GPU (module docstring)."""
    hardware = usd_per_gpu_purchase / (server_life_years * HOURS_PER_YEAR)
    power = tdp_w / 1000.0 * pue * usd_per_kwh
    return hardware + power + hosting_usd_per_gpu_hour, hardware, power, hosting_usd_per_gpu_hour


def server_row(gpu: str, catalogue: Catalogue) -> ServerPrice | None:
    """The most recent server row of a GPU (None when the catalogue has none)."""
    rows = [r for r in catalogue.servers if r.gpu == gpu]
    return max(rows, key=lambda r: (r.as_of, r.id)) if rows else None


def resolve_owned(
    option: SelfHostOption, assumptions: ServingAssumptions, catalogue: Catalogue
) -> OwnedPrice:
    """The GPU-hour price of owning ``option``'s GPUs (module docstring).

    Raises:
        ValueError: one line: no server price for the GPU (give usd_per_gpu_purchase), or no TDP for it.
    """
    row = server_row(option.gpu, catalogue)
    purchase = option.usd_per_gpu_purchase
    rid, src, asof = "custom", "your server price", ""
    if purchase is None and row is not None and row.usd_per_gpu_purchase is not None:
        purchase, rid, src, asof = row.usd_per_gpu_purchase, row.id, row.source, row.as_of.isoformat()
    if purchase is not None:
        tdp = catalogue.gpu(option.gpu).tdp_w
        if tdp is None:
            raise ValueError(f"cannot price owning {option.gpu}: its TDP is unknown in the catalogue")
        a = assumptions
        total, hw, pw, host = owned_usd_per_gpu_hour(
            purchase, a.server_life_years, tdp, a.pue, a.usd_per_kwh, a.hosting_usd_per_gpu_hour
        )
        return OwnedPrice(total, hw, pw, host, rid, src, asof)
    if row is not None and row.usd_per_gpu_hour_all_in is not None:
        return OwnedPrice(
            row.usd_per_gpu_hour_all_in,
            math.nan,
            math.nan,
            math.nan,
            row.id,
            row.source,
            row.as_of.isoformat(),
        )
    why = row.null_reasons.get("usd_per_gpu_purchase", "") if row is not None else "no server row"
    raise ValueError(
        f"cannot price owning {option.gpu}: no server price in the catalogue ({why}); give usd_per_gpu_purchase"
    )
