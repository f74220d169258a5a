"""API options grouped by the model they serve, and the cheapest host of each model for a workload.

With 40-odd hosts of the open weights the API options are many; a person picks a model first, then a host. The
group of an option is the open weights its price row serves at the date (``ResolvedPrice.weights``: DeepSeek's
``deepseek-v4-flash`` API has answered with V4.1-Flash since 2026-09-10, so it sits with the V4.1-Flash hosts), or
the row's own model for a closed model. Within a group the options are ranked by the workload's monthly bill at
the date (:func:`costmodel.pricing.bill.api_bill`, summed over the classes of a mix); an option that cannot serve
the workload (context window, maximum output) or has no price at the date is listed last with its reason and is
never "the cheapest host".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from costmodel.catalog.budget import MB
from costmodel.catalog.memo import by_row_identity
from costmodel.catalog.schema import Catalogue
from costmodel.pricing.bill import api_bill
from costmodel.pricing.resolve import PricingError, resolve_price
from costmodel.workload.scenario import ApiOption, Workload

__all__ = ["HostQuote", "ModelGroup", "cheapest_per_model", "group_by_model", "groups_at_volume"]


@dataclass(frozen=True)
class HostQuote:
    """One API option in its model group: its monthly bill for the workload (USD), or why it has none."""

    option_id: str
    provider: str
    model: str
    """The price row's model id."""
    monthly_cost_usd: float
    """NaN when the option has no price at the date or cannot serve the workload (``reason`` says which)."""
    reason: str = ""


@dataclass(frozen=True)
class ModelGroup:
    """The API options that serve one model at the date, cheapest first (unpriced ones last)."""

    model: str
    """The open weights served (or the closed model's id)."""
    name: str
    quotes: tuple[HostQuote, ...]

    @property
    def cheapest(self) -> HostQuote | None:
        """The cheapest option that can serve the workload, None when none can."""
        return self.quotes[0] if self.quotes and not self.quotes[0].reason else None


def _quote(
    option_id: str, option: ApiOption, workloads: tuple[Workload, ...], catalogue: Catalogue, as_of: dt.date
) -> tuple[str, HostQuote]:
    try:
        price = resolve_price(option, catalogue, as_of)
    except PricingError as e:
        return option.model, HostQuote(option_id, option.provider, option.model, math.nan, str(e))
    served = price.weights.weights_model if price.weights is not None else None
    group = served or option.model  # a closed model: its own id
    total, reason = 0.0, ""
    for w in workloads:
        try:
            bill = api_bill(option, w, catalogue, as_of)
        except PricingError as e:
            reason = str(e)
            break
        if bill.reason:
            reason = bill.reason
            break
        total += bill.monthly_cost_usd
    cost = math.nan if reason else total
    return group, HostQuote(option_id, option.provider, option.model, cost, reason)


def group_by_model(
    options: Mapping[str, ApiOption] | Iterable[ApiOption],
    workloads: Workload | Iterable[Workload],
    catalogue: Catalogue,
    as_of: dt.date,
) -> tuple[ModelGroup, ...]:
    """The options grouped by the model they serve at ``as_of``, each group cheapest first for ``workloads``.

    Args:
        options: the options, keyed by the id a picker uses (or an iterable: keyed by ``option_id``).
        workloads: one workload, or a mix's class workloads (each with its share of the requests): the bills add.
        catalogue: the catalogue the prices come from.
        as_of: the pricing date (00:00 UTC).

    Returns:
        One group per model, in the catalogue's model order (models it lacks last, by id); within a group, the
        options by monthly cost, then those without one (by id).
    """
    keyed = dict(options) if isinstance(options, Mapping) else {o.option_id: o for o in options}
    ws = (workloads,) if isinstance(workloads, Workload) else tuple(workloads)
    by_model: dict[str, list[HostQuote]] = {}
    for oid, o in keyed.items():
        group, q = _quote(oid, o, ws, catalogue, as_of)
        by_model.setdefault(group, []).append(q)
    return _grouped(by_model, catalogue)


def _grouped(by_model: dict[str, list[HostQuote]], catalogue: Catalogue) -> tuple[ModelGroup, ...]:
    """The quotes of each model as groups: models in the catalogue's order (others last, by id), each group
    cheapest first, then the options without a bill (by id)."""
    order = {m.id: i for i, m in enumerate(catalogue.models)}
    names = {m.id: m.name for m in catalogue.models}
    groups = []
    for model in sorted(by_model, key=lambda m: (order.get(m, len(order)), m)):
        quotes = sorted(
            by_model[model],
            key=lambda q: (bool(q.reason), q.monthly_cost_usd if not q.reason else 0.0, q.option_id),
        )
        groups.append(ModelGroup(model, names.get(model, model), tuple(quotes)))
    return tuple(groups)


@by_row_identity(maxsize=64, max_bytes=8 * MB)
def _unit_bills(
    catalogue: Catalogue,
    options: tuple[tuple[str, ApiOption], ...],
    shapes: tuple[Workload, ...],
    as_of: dt.date,
) -> tuple[tuple[str, HostQuote, tuple[tuple[float, float], ...]], ...]:
    """Per option: its group, its quote (the reason, if any) and, per workload of ``shapes`` (one request per day
    each, none of the prompt cached), the monthly bill with no prompt token cached and with every one (USD)."""
    out = []
    for oid, o in options:
        group, q = _quote(oid, o, (), catalogue, as_of)  # the price in effect, or why there is none
        ends: list[tuple[float, float]] = []
        for w in shapes:
            if q.reason:
                break
            _, none_cached = _quote(oid, o, (w,), catalogue, as_of)
            _, all_cached = _quote(
                oid, o, (w.model_copy(update={"cache_hit_fraction": 1.0}),), catalogue, as_of
            )
            q = none_cached if none_cached.reason else all_cached if all_cached.reason else q
            ends.append((none_cached.monthly_cost_usd, all_cached.monthly_cost_usd))
        out.append((group, q, tuple(ends)))
    return tuple(out)


def groups_at_volume(
    options: Mapping[str, ApiOption], workloads: tuple[Workload, ...], catalogue: Catalogue, as_of: dt.date
) -> tuple[ModelGroup, ...]:
    """:func:`group_by_model` for ``workloads``, computed once per request shape up to the volume and the cached
    share: an API bill is linear in the requests per day and in the cache-hit share (hits and misses are billed
    per token), so each option is billed once per workload at one request per day with no prompt token cached and
    with all cached (cached per catalogue, options, shape and date), and the bills of ``workloads`` are those
    ends blended by each workload's cached share and scaled by its volume (equal to rounding). A volume or a
    cached-share edit then reprices nothing."""
    shapes = tuple(
        w.model_copy(update={"requests_per_day": 1.0, "cache_hit_fraction": 0.0}) for w in workloads
    )
    by_model: dict[str, list[HostQuote]] = {}
    for group, q, ends in _unit_bills(catalogue, tuple(options.items()), shapes, as_of):
        if not q.reason:
            cost = sum(
                w.requests_per_day * (c0 + w.cache_hit_fraction * (c1 - c0))
                for w, (c0, c1) in zip(workloads, ends, strict=True)
            )
            q = dataclasses.replace(q, monthly_cost_usd=cost)
        by_model.setdefault(group, []).append(q)
    return _grouped(by_model, catalogue)


def cheapest_per_model(groups: Iterable[ModelGroup]) -> list[str]:
    """The option id of the cheapest host of each model that some option can serve (models in ``groups`` order)."""
    return [g.cheapest.option_id for g in groups if g.cheapest is not None]
