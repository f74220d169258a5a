"""Uncertainty: the tornado of the verdict and the Monte Carlo over the draws."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from costmodel.catalog.schema import Catalogue
from costmodel.catalog.units import FloatArray
from costmodel.evaluate.breakeven import X_MAX, X_MIN
from costmodel.evaluate.evaluation import Evaluation
from costmodel.evaluate.uncertainty.draws import (
    Draws,
    _api_costs,
    _base_draws,
    _cache_value,
    _cost_slope_floor,
    _option_cost,
    _sample,
    _self_host_costs,
    _slots,
    _snap,
    _verdict,
)
from costmodel.evaluate.uncertainty.model import (
    BREAK_EVEN_DRAWS,
    DEFAULT_DRAWS,
    INPUT_LABELS,
    MAX_BREAK_EVEN_HOPS,
    MAX_DRAWS,
    InputName,
    UncertaintyError,
    UncertaintyRanges,
    _build,
    _Model,
)
from costmodel.serving.efficiency import BAND_HIGH, BAND_LOW
from costmodel.workload.scenario import Scenario

# ---- tornado -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TornadoBar:
    """The verdict at the two ends of one input's range (all other inputs at the scenario's values).

    Attributes:
        input: which input.
        label: its name for people.
        low_text, high_text: the input's value at each end, with units.
        verdict_low_usd, verdict_high_usd: min(API) − min(self-host) at that end, USD/month.
        draws: the one-draw inputs of each end (for :func:`scenario_for_draw`).
        note: where the range comes from.
    """

    input: InputName
    label: str
    low_text: str
    high_text: str
    verdict_low_usd: float
    verdict_high_usd: float
    draws: Draws
    note: str

    @property
    def swing_usd(self) -> float:
        return abs(self.verdict_high_usd - self.verdict_low_usd)


def _ends(m: _Model) -> list[tuple[InputName, str, str, Draws, str]]:
    r, a, w = m.ranges, m.scenario.assumptions, m.scenario.workload
    out: list[tuple[InputName, str, str, Draws, str]] = []
    b = _base_draws(m, 2)
    if r.efficiency_band:
        out.append(("efficiency", f"low (×{BAND_LOW:g})", f"high (×{BAND_HIGH:g})", replace(b, level=np.array([0, 2])),
                    "BAND_LOW/BAND_HIGH: P10/P90 of measured/predicted, leave-one-out calibration"))  # fmt: skip
    moving = [sh for sh in m.self_host if sh.price_lo < sh.price_hi]
    if r.rental_range and moving:
        price = np.array([[sh.price_lo, sh.price_hi] for sh in m.self_host])
        lo = ", ".join(f"{sh.gpu} ${sh.price_lo:,.2f}" for sh in moving)
        hi = ", ".join(f"{sh.gpu} ${sh.price_hi:,.2f}" for sh in moving)
        out.append(("rental", f"{lo} /GPU-h", f"{hi} /GPU-h", replace(b, price=price),
                    "; ".join(f"{sh.label}: {sh.price_range_note}" for sh in m.self_host)))  # fmt: skip
    if r.cache_hit_pp > 0 and m.is_mix:  # every class's cached share moved by the same points (clipped)
        pp = r.cache_hit_pp / 100.0
        out.append(("cache_hit", f"−{r.cache_hit_pp:g} points", f"+{r.cache_hit_pp:g} points",
                    replace(b, cache_index=np.array([1, 1]), cache_shift=np.array([-pp, pp])),
                    "every class's own cached share ± the same points, clipped to [0, 1], on the 0.5-point grid"))  # fmt: skip
    elif r.cache_hit_pp > 0:
        ci = _snap(np.array([m.cache_hit_lo, m.cache_hit_hi]))
        h = _cache_value(m, ci)
        out.append(("cache_hit", f"{h[0]:.1%}", f"{h[1]:.1%}", replace(b, cache_index=ci),
                    f"±{r.cache_hit_pp:g} points around {w.cache_hit_fraction:.1%}, on the 0.5-point grid"))  # fmt: skip
    if r.volume_pct > 0:
        v = np.array([m.volume_lo, m.volume_hi])
        out.append(("volume", f"{w.requests_per_day * v[0]:,.0f}/day", f"{w.requests_per_day * v[1]:,.0f}/day",
                    replace(b, volume=v), f"±{r.volume_pct:g}%" + (" (every class at its share)" if m.is_mix else "")))  # fmt: skip
    if m.output_moves:
        o = m.output_tokens
        mean = "mean " if m.is_mix else ""
        every = ", every class's output" if m.is_mix else ""
        out.append(("output", f"{mean}{o[0]:,} tokens", f"{mean}{o[2]:,} tokens", replace(b, output=np.array([0, 2])),
                    f"±{r.output_pct:g}%{every} (each end a full re-evaluation)"))  # fmt: skip
    if r.overhead_pp > 0:
        ov = np.array([m.overhead_lo, m.overhead_hi])
        out.append(("overhead", f"{ov[0]:g}%", f"{ov[1]:g}%", replace(b, overhead_pct=ov),
                    f"±{r.overhead_pp:g} points around {a.overhead_pct:g}%"))  # fmt: skip
    return out


def _tornado(m: _Model) -> tuple[float, tuple[TornadoBar, ...]]:
    base = _base_draws(m, 1)
    v0 = float(_verdict(_api_costs(m, base), _self_host_costs(m, base))[0])
    if not m.api or not m.self_host:  # no verdict to move
        return v0, ()
    bars = []
    for name, lo, hi, d, note in _ends(m):
        v = _verdict(_api_costs(m, d), _self_host_costs(m, d))
        bars.append(TornadoBar(name, INPUT_LABELS[name], lo, hi, float(v[0]), float(v[1]), d, note))
    bars.sort(key=lambda b: -(b.swing_usd if math.isfinite(b.swing_usd) else -1.0))
    return v0, tuple(bars)


# ---- Monte Carlo -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UncertaintyResult:
    """The tornado and the Monte Carlo of one scenario.

    Attributes:
        options: option ids (the table's ``option`` column), API options first.
        kinds: ``api`` or ``self_host`` per option.
        draws: number of draws; seed: the generator's seed.
        costs: monthly cost (USD) per option per draw, shape (options, draws); inf = not costed in that draw.
        p_cheapest: share of draws where each option is the cheapest (with ``p_none``, sums to 1).
        p_none: share of draws where no option has a cost.
        p_self_host_cheaper: share of draws where the cheapest self-hosting option costs less than the cheapest API.
        verdict_usd: min(API) − min(self-host) per draw, USD/month.
        verdict_base_usd: the same at the scenario's own inputs (the deterministic figure).
        pair: (self-hosting option, API option) of the break-even: the cheapest of each at the scenario's inputs.
        break_even_requests_per_day: break-even volume of that pair per draw, requests/day (nan: none), over
            the first :data:`BREAK_EVEN_DRAWS` draws.
        break_even_unsettled: draws whose break-even search stopped at MAX_BREAK_EVEN_HOPS (counted as none).
        tornado: bars, the widest swing first.
        ranges: the ranges used.
        notes: what was held fixed, and why.
    """

    options: tuple[str, ...]
    kinds: tuple[str, ...]
    draws: int
    seed: int
    costs: FloatArray
    p_cheapest: FloatArray
    p_none: float
    p_self_host_cheaper: float
    verdict_usd: FloatArray
    verdict_base_usd: float
    pair: tuple[str, str] | None
    break_even_requests_per_day: FloatArray
    break_even_unsettled: int
    tornado: tuple[TornadoBar, ...]
    ranges: UncertaintyRanges
    notes: tuple[str, ...]
    model: _Model

    def quantiles(self, i: int) -> tuple[float, float, float]:
        """P10, P50, P90 of option ``i``'s monthly cost over the draws where it is costed (nan: never)."""
        c = self.costs[i][np.isfinite(self.costs[i])]
        if not c.size:
            return (math.nan, math.nan, math.nan)
        q = np.percentile(c, [10, 50, 90])
        return float(q[0]), float(q[1]), float(q[2])

    def sentence(self) -> str:
        """One line: how often self-hosting wins."""
        if not any(k == "self_host" for k in self.kinds) or not any(k == "api" for k in self.kinds):
            return "The verdict needs at least one API and one self-hosting option."
        p = self.p_self_host_cheaper
        return (
            f"Self-hosting is cheaper in {p:.0%} of {self.draws:,} draws"
            f" (the API in {1 - p - self._p_undecided():.0%}); at the scenario's own inputs it "
            + (
                f"saves ${self.verdict_base_usd:,.0f}/month."
                if self.verdict_base_usd > 0
                else f"costs ${-self.verdict_base_usd:,.0f}/month more."
                if math.isfinite(self.verdict_base_usd)
                else "has no cost."
            )
        )

    def _p_undecided(self) -> float:
        return float(np.mean(~np.isfinite(self.verdict_usd)))


def _break_even(m: _Model, d: Draws, i: int, j: int) -> tuple[FloatArray, int]:
    """Break-even volume of self-hosting option ``i`` against API ``j`` per draw (the hop search of
    :func:`costmodel.evaluate.breakeven.break_even`, vectorised), requests/day; and the number of unsettled draws."""
    n = d.size
    one = np.ones(n)

    slots = _slots(m, i, d)

    def s_at(x: FloatArray, idx: npt.NDArray[np.intp]) -> FloatArray:
        return _option_cost(
            m,
            i,
            [t.take(idx) for t in slots],
            d.price[i][idx],
            d.overhead_pct[idx],
            np.asarray(x, dtype=float),
        )

    a1 = _api_costs(m, d, one)[j]
    allidx = np.arange(n)
    s = s_at(np.full(n, X_MIN), allidx)
    hi = np.full(n, np.nan)
    ok = (a1 > 0) & np.isfinite(a1) & np.isfinite(s)
    bottom = ok & (a1 * X_MIN >= s)
    hi[bottom] = s[bottom] / a1[bottom]
    # no crossing anywhere when even the cost of the work alone (no whole-GPU rounding) rises faster than the API:
    # settled as none at once, instead of hopping towards X_MAX (and stopping unsettled when the slopes are close)
    slope, slack = _cost_slope_floor(m, i, slots, d.price[i], d.overhead_pct)
    floor = slope * (1.0 - 1e-9)
    never = (floor > a1) & ((floor - a1) * X_MIN > slack)
    active = np.flatnonzero(ok & ~bottom & ~never)
    for _ in range(MAX_BREAK_EVEN_HOPS):
        if not active.size:
            break
        x = s[active] / a1[active]
        inside = x <= X_MAX
        active, x = active[inside], x[inside]
        if not active.size:
            break
        s_next = s_at(x, active)
        done = s_next <= s[active]
        hi[active[done]] = x[done]
        s[active] = s_next
        active = active[~done]
    return hi * m.scenario.workload.requests_per_day, int(active.size)


def monte_carlo(
    scenario: Scenario,
    catalogue: Catalogue,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    ranges: UncertaintyRanges | None = None,
    evaluation: Evaluation | None = None,
) -> UncertaintyResult:
    """The tornado and ``draws`` seeded Monte Carlo draws of the scenario (module docstring).

    Args:
        scenario: the scenario.
        catalogue: the catalogue.
        draws: number of draws (1 … :data:`MAX_DRAWS`).
        seed: seed of numpy's default generator (≥ 0).
        ranges: the widths (None: the defaults).
        evaluation: ``evaluate(scenario, catalogue)`` when already computed (saves one evaluation).

    Raises:
        UncertaintyError: draws or seed out of range (one line).
    """
    if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= MAX_DRAWS:
        raise UncertaintyError(f"draws must be a whole number from 1 to {MAX_DRAWS:,}, got {draws!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise UncertaintyError(f"seed must be a whole number from 0 to 2^63 - 1, got {seed!r}")
    r = ranges if ranges is not None else UncertaintyRanges()
    m = _build(scenario, catalogue, r, evaluation)
    v0, bars = _tornado(m)
    d = _sample(m, draws, np.random.default_rng(seed))
    api, sh = _api_costs(m, d), _self_host_costs(m, d)
    costs = np.concatenate([api, sh]) if api.size or sh.size else np.empty((0, draws))
    finite_any = np.isfinite(costs).any(axis=0) if costs.size else np.zeros(draws, dtype=bool)
    winner = (
        np.argmin(np.where(np.isfinite(costs), costs, np.inf), axis=0) if costs.size else np.zeros(draws, int)
    )
    p = np.array([np.mean((winner == k) & finite_any) for k in range(costs.shape[0])])
    verdict = _verdict(api, sh)
    # the pair: the cheapest of each side at the scenario's own inputs
    b = _base_draws(m, 1)
    ab, sb = _api_costs(m, b)[:, 0], _self_host_costs(m, b)[:, 0]
    pair = None
    be = np.full(min(draws, BREAK_EVEN_DRAWS), np.nan)
    unsettled = 0
    if ab.size and sb.size and np.isfinite(ab).any() and np.isfinite(sb).any():
        j, i = int(np.argmin(ab)), int(np.argmin(sb))
        pair = (m.self_host[i].label, m.api[j].label)
        be, unsettled = _break_even(m, d.take(np.arange(min(draws, BREAK_EVEN_DRAWS))), i, j)
    notes = list(m.notes)
    if unsettled:
        notes.append(
            f"{unsettled} draws: break-even search stopped after {MAX_BREAK_EVEN_HOPS} hops (no figure)"
        )
    return UncertaintyResult(
        options=tuple(a.label for a in m.api) + tuple(s.label for s in m.self_host),
        kinds=("api",) * len(m.api) + ("self_host",) * len(m.self_host),
        draws=draws,
        seed=seed,
        costs=costs,
        p_cheapest=p,
        p_none=float(np.mean(~finite_any)),
        p_self_host_cheaper=float(np.mean(verdict > 0)),
        verdict_usd=verdict,
        verdict_base_usd=v0,
        pair=pair,
        break_even_requests_per_day=be,
        break_even_unsettled=unsettled,
        tornado=bars,
        ranges=r,
        notes=tuple(notes),
        model=m,
    )


def tornado(
    scenario: Scenario, catalogue: Catalogue, ranges: UncertaintyRanges | None = None
) -> tuple[float, tuple[TornadoBar, ...]]:
    """The verdict at the scenario's inputs and the tornado bars (widest first), USD/month."""
    return _tornado(_build(scenario, catalogue, ranges or UncertaintyRanges(), None))
