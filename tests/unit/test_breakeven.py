"""Break-even volume and cache-hit fraction: both bills evaluated independently must agree there."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from costmodel.catalog import Catalogue
from costmodel.evaluate.breakeven import BreakEven
from costmodel.evaluate.evaluation import evaluate
from costmodel.pricing.bill import api_bill
from costmodel.workload.scenario import ApiOption, Scenario, SelfHostOption, Workload

AS_OF = dt.date(2026, 11, 20)


def _scenario(sh: SelfHostOption, api: ApiOption, rpd: float = 2e5, cache: float = 0.5) -> Scenario:
    return Scenario(
        workload=Workload(
            requests_per_day=rpd, prompt_tokens=3000, output_tokens=500, cache_hit_fraction=cache
        ),
        api_options=(api,),
        self_host_options=(sh,),
        as_of=AS_OF,
    )


def break_even(s: Scenario, catalogue: Catalogue, sh: SelfHostOption, api: ApiOption) -> BreakEven:
    """The break-even of the pair as the evaluation of ``s`` holds it."""
    ev = evaluate(s, catalogue)
    hits = [
        be for label, api_id, be in ev.break_evens if api_id == api.option_id and sh in s.self_host_options
    ]
    assert len(hits) == len(s.self_host_options)
    return hits[s.self_host_options.index(sh)]


def self_host_rows(s: Scenario, catalogue: Catalogue) -> pd.DataFrame:
    table = evaluate(s, catalogue).table
    return table[table["kind"] == "self_host"].reset_index(drop=True)


CASES = [
    (
        SelfHostOption(model="deepseek-v4-flash", gpu="h200"),
        ApiOption(provider="deepseek", model="deepseek-v4-pro"),
    ),
    (
        SelfHostOption(model="deepseek-v4-flash", gpu="h200", mode="autoscaled"),
        ApiOption(provider="anthropic", model="claude-opus-4.6"),
    ),
    (
        SelfHostOption(model="deepseek-v4-pro", gpu="b200"),
        ApiOption(provider="anthropic", model="claude-opus-4.6"),
    ),
    # V4-Pro on H200: attention TP8 (8 GPUs) or DP (16), the cheaper at each volume
    (
        SelfHostOption(model="deepseek-v4-pro", gpu="h200"),
        ApiOption(provider="anthropic", model="claude-opus-4.6"),
    ),
    # a custom price ($3 / $0.30 cached / $15 per M): with the calibrated (slower) serving model V4-Pro on H200 no
    # longer crosses Kimi K2.6's list price at this workload
    (
        SelfHostOption(model="deepseek-v4-pro", gpu="h200"),
        ApiOption(
            provider="deepseek",
            model="deepseek-v4-flash",
            price_basis="custom",
            usd_per_mtok_input_cache_miss=3.0,
            usd_per_mtok_input_cache_hit=0.3,
            usd_per_mtok_output=15.0,
        ),
    ),
]


@pytest.mark.parametrize(("sh", "api"), CASES)
def test_bills_agree_at_break_even_volume(catalogue: Catalogue, sh: SelfHostOption, api: ApiOption) -> None:
    s = _scenario(sh, api)
    be = break_even(s, catalogue, sh, api)
    assert not be.volume_reason and math.isfinite(be.requests_per_day)
    w = s.workload.model_copy(update={"requests_per_day": be.requests_per_day})
    api_cost = api_bill(api, w, catalogue, AS_OF).monthly_cost_usd
    self_cost = float(
        self_host_rows(s.model_copy(update={"workload": w}), catalogue).iloc[0]["monthly_cost_usd"]
    )
    assert api_cost == pytest.approx(self_cost, rel=0.01)
    # below it the API is cheaper, above it (a little) self-hosting is not dearer
    w_lo = s.workload.model_copy(update={"requests_per_day": be.requests_per_day * 0.9})
    lo_self = float(
        self_host_rows(s.model_copy(update={"workload": w_lo}), catalogue).iloc[0]["monthly_cost_usd"]
    )
    assert api_bill(api, w_lo, catalogue, AS_OF).monthly_cost_usd < lo_self


def test_never_crosses_gives_none_with_reason(catalogue: Catalogue) -> None:
    # an API at $0.001/M tokens: self-hosting never wins
    api = ApiOption(
        provider="deepseek", model="deepseek-v4-flash", price_basis="custom",
        usd_per_mtok_input_cache_miss=0.001, usd_per_mtok_output=0.001,
    )  # fmt: skip
    sh = SelfHostOption(model="deepseek-v4-flash", gpu="h200")
    be = break_even(_scenario(sh, api), catalogue, sh, api)
    assert math.isnan(be.requests_per_day) and be.volume_reason.startswith("none: self-hosting costs")
    assert be.cache_hit_reason == "none: the API is cheaper at every cache-hit fraction"


def test_cache_hit_crossing_bills_agree(catalogue: Catalogue) -> None:
    sh, api = CASES[0]
    table = evaluate(_scenario(sh, api, rpd=1e5), catalogue).break_even
    h = float(table.iloc[0]["cache_hit_fraction"])
    assert 0 < h < 1, table.iloc[0]["cache_hit_note"]  # at 100k req/day the API wins above h ≈ 0.61
    s = _scenario(sh, api, rpd=1e5, cache=h)
    api_cost = api_bill(api, s.workload, catalogue, AS_OF).monthly_cost_usd
    self_cost = float(self_host_rows(s, catalogue).iloc[0]["monthly_cost_usd"])
    assert api_cost == pytest.approx(self_cost, rel=0.02)  # grid-interpolated crossing


def test_infeasible_self_host_gives_none(catalogue: Catalogue) -> None:
    sh = SelfHostOption(model="deepseek-v4-flash", gpu="ascend-910c", usd_per_gpu_hour=2.0)
    api = ApiOption(provider="deepseek", model="deepseek-v4-flash")
    be = break_even(_scenario(sh, api), catalogue, sh, api)
    assert be.volume_reason.startswith("none: self-hosting not costed (cannot estimate")


def test_frame_holds_what_each_pair_gives() -> None:
    """The break-even frame has one row per (self-hosting, API) pair, in that order, with the pair's figures."""
    from costmodel.catalog import load_catalogue
    from costmodel.workload.presets import preset

    cat = load_catalogue()
    s = preset("chat", dt.date(2026, 11, 28))
    ev = evaluate(s, cat)
    assert len(ev.break_even) == len(s.self_host_options) * len(s.api_options)
    for (sh, api, be), row in zip(ev.break_evens, ev.break_even.itertuples(), strict=True):
        assert (row.self_host, row.api) == (sh, api)
        assert row.requests_per_day == pytest.approx(be.requests_per_day, nan_ok=True)
        assert row.cache_hit_fraction == pytest.approx(be.cache_hit_fraction, nan_ok=True)


@pytest.mark.parametrize("name", ["agentic-coding", "overnight-batch"])
def test_break_even_agrees_with_the_table_when_the_layout_switches(catalogue: Catalogue, name: str) -> None:
    """Review finding: V4-Pro on H200 is TP8 at some volumes and DP16 at others; the break-even once used the
    layout of the scenario's own volume and came out 2x off. At the reported volume, both sides must agree."""
    from costmodel.workload.presets import preset

    sh = SelfHostOption(model="deepseek-v4-pro", gpu="h200")
    api = ApiOption(provider="anthropic", model="claude-opus-4.6")
    s = preset(name, AS_OF).model_copy(update={"self_host_options": (sh,), "api_options": (api,)})
    be = break_even(s, catalogue, sh, api)
    assert math.isfinite(be.requests_per_day), be.volume_reason
    w = s.workload.model_copy(update={"requests_per_day": be.requests_per_day})
    api_cost = api_bill(api, w, catalogue, AS_OF).monthly_cost_usd
    row = self_host_rows(s.model_copy(update={"workload": w}), catalogue).iloc[0]
    assert api_cost == pytest.approx(float(row["monthly_cost_usd"]), rel=0.01)


def _with_ops(name: str) -> Scenario:
    """A preset with every self-hosting option also autoscaled and disaggregated, and a fixed monthly cost."""
    from costmodel.workload.presets import preset

    s = preset(name, AS_OF)
    extra = tuple(
        o.model_copy(update={"mode": "autoscaled", "disaggregated": True}) for o in s.self_host_options
    )
    a = s.assumptions.model_copy(update={"ops_usd_per_month": 20_000.0, "overhead_pct": 15.0})
    return s.model_copy(update={"self_host_options": (*s.self_host_options, *extra), "assumptions": a})


@pytest.mark.parametrize(
    "name", ["chat", "rag-long-docs", "agentic-coding", "doc-analysis-1m", "overnight-batch"]
)
@pytest.mark.parametrize("ops", [False, True])
def test_slope_floor_skips_hops_without_changing_any_break_even(
    catalogue: Catalogue, name: str, ops: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The volume search stops at once for a pair whose self-hosting bill, even without whole-GPU rounding, rises
    faster than the API's (breakeven._slope_floor); with the floor switched off (slope 0: every pair hops to the
    end of the range) every pair of every preset must give the same break-even and the same reason."""
    import costmodel.evaluate.breakeven as be_module
    from costmodel.workload.presets import preset

    s = _with_ops(name) if ops else preset(name, AS_OF)
    fast = evaluate(s, catalogue).break_evens
    monkeypatch.setattr(be_module, "_slope_floor", lambda *args: (0.0, 0.0))
    slow = evaluate(s, catalogue).break_evens
    assert len(fast) == len(slow) > 0
    for (sh, api, a), (_, _, b) in zip(fast, slow, strict=True):
        assert a.volume_reason == b.volume_reason, (sh, api)
        for f in ("requests_per_day", "monthly_tokens", "monthly_cost_usd"):
            x, y = getattr(a, f), getattr(b, f)
            assert (math.isnan(x) and math.isnan(y)) or x == y, (sh, api, f, x, y)
