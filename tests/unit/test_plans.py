"""Plans (a self-hosted base load with API overflow, hour by hour): never dearer than the pure plans, exact against a
brute-force search, the API bill itself when the fleet serves nothing, the pure break-even on a flat profile."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from costmodel.catalog import Catalogue
from costmodel.cli.main import main
from costmodel.evaluate import plan_options
from costmodel.evaluate.evaluation import Evaluation, evaluate
from costmodel.evaluate.plan_options import evaluate_plan, plan_api_for, plan_inputs
from costmodel.evaluate.plan_table import PLAN_COLUMNS
from costmodel.evaluate.plans import PlanInputs, search_plan
from costmodel.pricing.resolve import resolve_price
from costmodel.views.links.query import PLANS_KEY, scenario_from_query, scenario_to_query
from costmodel.workload.presets import preset, preset_names
from costmodel.workload.scenario import (
    ApiOption,
    Scenario,
    SelfHostOption,
    Workload,
    scenario_from_text,
    scenario_to_json,
)

AS_OF = dt.date(2026, 12, 1)


def _evaluated(catalogue: Catalogue, name: str) -> tuple[Scenario, Evaluation]:
    s = preset(name, AS_OF).model_copy(update={"plans": True})
    return s, evaluate(s, catalogue)


def _plan(
    s: Scenario, ev: Evaluation, catalogue: Catalogue, i: int, j: int, **kw: float
) -> plan_options.PlanResult:
    sh, api = ev.self_host[i], ev.api[j]
    return evaluate_plan(s, catalogue, (sh.option, sh.label, sh.evaluation), (api.option, api.bill), **kw)


@pytest.mark.parametrize("name", preset_names())
def test_a_plan_never_costs_more_than_either_pure_plan(catalogue: Catalogue, name: str) -> None:
    """Every self-hosting option with every API option of every preset (not only the default pairs)."""
    s, ev = _evaluated(catalogue, name)
    checked = 0
    for i, j in itertools.product(range(len(ev.self_host)), range(len(ev.api))):
        p = _plan(s, ev, catalogue, i, j)
        if p.reason:
            continue
        checked += 1
        pure = min(p.api_only_usd_per_month, p.self_host_only_usd_per_month)
        assert p.monthly_cost_usd <= pure * (1 + 1e-12), (name, i, j)
        assert 0.0 <= p.self_hosted_request_share <= 1.0
        parts = p.committed_usd_per_month + p.on_demand_usd_per_month + p.api_overflow_usd_per_month
        if p.kind == "mixed":  # the parts add up to the cost (no operations cost in the presets)
            assert parts == pytest.approx(p.monthly_cost_usd, rel=1e-12)
    assert checked > 0


def test_a_peaky_preset_has_a_plan_strictly_cheaper_than_both_pure_plans(catalogue: Catalogue) -> None:
    _, ev = _evaluated(catalogue, "rag-long-docs")
    plans = [p for p in ev.plans if p.kind == "mixed"]
    assert plans
    best = min(plans, key=lambda p: p.monthly_cost_usd)
    pure = min(best.api_only_usd_per_month, best.self_host_only_usd_per_month)
    assert best.monthly_cost_usd < 0.9 * pure  # 22% below the API alone at the priced date
    assert 0.0 < best.self_hosted_request_share < 1.0


@pytest.mark.parametrize("name", preset_names())
def test_with_no_capacity_the_plan_is_the_api_bill_exactly(catalogue: Catalogue, name: str) -> None:
    s, ev = _evaluated(catalogue, name)
    for i, j in itertools.product(range(len(ev.self_host)), range(len(ev.api))):
        p = _plan(s, ev, catalogue, i, j, capacity_scale=0.0)
        if p.reason:
            continue
        assert p.kind == "api_only"
        assert p.monthly_cost_usd == ev.api[j].bill.monthly_cost_usd
        assert p.self_hosted_request_share == 0.0
        # and the hour-by-hour bill the search prices the overflow with sums to the same bill (peak windows, tiers)
        assert p.inputs is not None
        hourly = float(np.sum(p.inputs.api_usd)) * p.inputs.hours_per_slot
        assert hourly == pytest.approx(ev.api[j].bill.monthly_cost_usd, rel=1e-12)


def test_the_hourly_bill_reads_the_peak_windows(catalogue: Catalogue) -> None:
    """DeepSeek's schedule at the priced date has off-peak hours at half price: the hourly price differs."""
    s, ev = _evaluated(catalogue, "chat")
    j = next(j for j, r in enumerate(ev.api) if r.bill.price.peak_windows)
    x = _plan(s, ev, catalogue, 0, j).inputs
    assert x is not None
    per_request = x.api_usd / x.requests
    assert per_request.max() == pytest.approx(2.0 * per_request.min(), rel=1e-12)


def _without_reserved(catalogue: Catalogue) -> Catalogue:
    """The catalogue without reserved rental rows: the committed price is then the option's x the factor."""
    return catalogue.model_copy(
        update={"rentals": tuple(r for r in catalogue.rentals if r.basis != "reserved")}
    )


def test_all_committed_at_the_option_price_is_the_always_on_fleet(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """K = the busiest hour's replicas, M = 0, committed at the option's own price: the pure always-on fleet (the
    plan's hourly work is the fleet's)."""
    monkeypatch.setattr(plan_options, "COMMITTED_PRICE_FACTOR", 1.0)
    catalogue = _without_reserved(catalogue)  # the market has reserved rows for these GPUs
    for name in ("chat", "rag-long-docs", "agentic-coding", "support-mix"):
        s, ev = _evaluated(catalogue, name)
        for sh in ev.self_host:
            assert sh.option.mode == "always_on"
            bill = ev.api[0].bill
            prices = plan_options.committed_prices(sh.option, sh.evaluation, catalogue)
            every = [
                search_plan(x).cost_by_committed[-1] for x in plan_inputs(s, sh.evaluation, bill, prices)
            ]
            fleet = sh.evaluation.costs[s.assumptions.efficiency]
            assert fleet is not None
            assert min(every) == pytest.approx(float(fleet.monthly_cost_usd), rel=1e-9)


def _brute_force(x: PlanInputs) -> float:
    """Every (k, m) and, in each hour, every number of on-demand replicas up to m (no fixed cost)."""
    n, cap, t = x.replica_gpus, x.replica_capacity_gpus, x.hours_per_slot
    peak = math.ceil(float(x.need_gpus.max()) / cap - 1e-9)
    best = math.inf
    for k in range(peak + 1):
        for m in range(peak - k + 1):
            total = 168 * k * n * x.committed_usd_per_gpu_hour
            for need, usd in zip(x.need_gpus.reshape(-1), x.api_usd.reshape(-1), strict=True):
                hour = [
                    mh * n * x.on_demand_usd_per_gpu_hour + (1 - min(need, (k + mh) * cap) / need) * usd
                    for mh in range(m + 1)
                ]
                total += min(hour)
            best = min(best, total * t)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_the_search_is_exact_on_the_whole_replica_grid(seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.2, 1.0) * np.ones((7, 24))
    need = base + rng.uniform(0, 5.0) * np.sin(np.linspace(0, np.pi, 24))[None, :] ** 2 * rng.uniform(
        0.3, 1, (7, 1)
    )
    requests = need * 1000.0
    usd = requests * rng.uniform(0.002, 0.02)
    x = PlanInputs(
        need_gpus=need, api_usd=usd, requests=requests, tokens=requests * 2000, replica_gpus=2,
        replica_capacity_gpus=2 * rng.uniform(0.5, 1.0), committed_usd_per_gpu_hour=rng.uniform(1.0, 4.0),
        on_demand_usd_per_gpu_hour=rng.uniform(2.0, 6.0), hours_per_slot=30.4375 / 7,
    )  # fmt: skip
    found = search_plan(x)
    assert found.monthly_cost_usd == pytest.approx(_brute_force(x), rel=1e-12)
    assert found.monthly_cost_usd == pytest.approx(float(found.cost_by_committed.min()), rel=1e-12)


def _flat_scenario(rpd: float) -> Scenario:
    return Scenario(
        workload=Workload(
            requests_per_day=rpd, prompt_tokens=3000, output_tokens=500, cache_hit_fraction=0.5
        ),
        api_options=(
            ApiOption(
                provider="deepseek",
                model="deepseek-v4-flash",
                price_basis="custom",
                usd_per_mtok_input_cache_miss=3.0,
                usd_per_mtok_input_cache_hit=0.3,
                usd_per_mtok_output=15.0,
            ),
        ),
        self_host_options=(SelfHostOption(model="deepseek-v4-flash", gpu="h200"),),
        as_of=AS_OF,
        plans=True,
    )


def test_flat_profile_without_price_windows_reduces_to_the_pure_break_even(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flat 24-hour profile, flat prices, committed at the on-demand price: the plan leaves the API at the pure
    break-even volume (within the bisection's resolution), and costs the cheaper pure plan on either side of it."""
    monkeypatch.setattr(plan_options, "COMMITTED_PRICE_FACTOR", 1.0)
    catalogue = _without_reserved(catalogue)
    s = _flat_scenario(2e4)
    ev = evaluate(s, catalogue)
    (_, _, be), = ev.break_evens  # fmt: skip
    x_star = be.requests_per_day / s.workload.requests_per_day
    assert math.isfinite(x_star)
    (p,) = ev.plans
    x = p.inputs
    assert x is not None

    def plan_at(scale: float) -> float:
        scaled = PlanInputs(**{**x.__dict__, "need_gpus": x.need_gpus * scale, "api_usd": x.api_usd * scale,
                               "requests": x.requests * scale, "tokens": x.tokens * scale})  # fmt: skip
        found = search_plan(scaled)
        return found.committed_replicas + found.on_demand_replicas

    lo, hi = x_star * 1e-3, x_star * 10
    assert plan_at(lo) == 0 and plan_at(hi) > 0
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if plan_at(mid) == 0 else (lo, mid)
    assert hi == pytest.approx(x_star, rel=1e-9)
    for scale in (0.5 * x_star, 0.999 * x_star, 1.001 * x_star, 1.5 * x_star):
        sc = _flat_scenario(scale * s.workload.requests_per_day)
        got = evaluate(sc, catalogue)
        (q,) = got.plans
        assert q.monthly_cost_usd == pytest.approx(min(q.api_only_usd_per_month, q.self_host_only_usd_per_month),
                                                   rel=1e-9)  # fmt: skip
        assert (q.kind == "api_only") == (scale < x_star)


def test_the_default_pair_is_the_api_serving_the_same_weights(catalogue: Catalogue) -> None:
    """Self-hosted V4.1-Flash pairs with the deepseek-v4-flash API, which V4.1-Flash
    weights answer since 2026-09-10 (facts-2026-12.md); before that date V4-Flash self-hosting pairs with it."""
    s = preset("chat", AS_OF)
    weights = {a: resolve_price(a, catalogue, s.as_of).weights_model for a in s.api_options}
    pairs = [(sh.model, plan_api_for(sh, s.api_options, weights)) for sh in s.self_host_options]
    assert [(m, a.model if a else None) for m, a in pairs] == [
        ("deepseek-v4.1-flash", "deepseek-v4-flash"),
        ("deepseek-v4-pro", "deepseek-v4-pro"),
    ]
    assert plan_api_for(SelfHostOption(model="deepseek-v4-flash", gpu="h200"), s.api_options, weights) is None
    assert (
        plan_api_for(SelfHostOption(model="kimi-k2.6", gpu="h200"), s.api_options, weights)
        == s.api_options[2]
    )
    assert plan_api_for(SelfHostOption(model="deepseek-v3", gpu="h200"), s.api_options, weights) is None
    before = dt.date(2026, 8, 1)
    old = {a: resolve_price(a, catalogue, before).weights_model for a in s.api_options}
    flash = plan_api_for(SelfHostOption(model="deepseek-v4-flash", gpu="h200"), s.api_options, old)
    assert flash is not None and flash.model == "deepseek-v4-flash"
    # the plans the evaluation builds follow the same rule
    plans = evaluate(s.model_copy(update={"plans": True}), catalogue).table.query("kind == 'plan'")
    assert any("deepseek-v4.1-flash" in o and "deepseek/deepseek-v4-flash" in o for o in plans["option"])


def test_plans_are_opt_in_and_round_trip(catalogue: Catalogue) -> None:
    s = preset("chat", AS_OF)
    assert '"plans"' not in scenario_to_json(s)
    assert not evaluate(s, catalogue).plans
    assert "plan" not in set(evaluate(s, catalogue).table["kind"])
    on = s.model_copy(update={"plans": True})
    assert '"plans": true' in scenario_to_json(on)
    assert scenario_from_text(scenario_to_json(on), "json") == on


def test_plan_rows_name_their_pair_and_carry_the_contract_columns(catalogue: Catalogue) -> None:
    _, ev = _evaluated(catalogue, "rag-long-docs")
    t = ev.table
    rows = t[t["kind"] == "plan"]
    assert len(rows) == 2
    for col in ("api_option", "self_host_option", "committed_gpus", "on_demand_gpu_hours",
                "self_hosted_request_share", "api_overflow_usd_per_month"):  # fmt: skip
        assert rows[col].notna().all(), col
    assert set(rows["api_option"]) <= set(t.loc[t["kind"] == "api", "option"])
    assert set(rows["self_host_option"]) <= set(t.loc[t["kind"] == "self_host", "option"])
    assert rows["rank"].notna().all()
    hours = ev.plan_hours()
    assert len(hours) == 2 * 168
    one = hours[hours["plan"] == rows.iloc[0]["option"]]
    share = float(one["self_hosted_requests"].sum() / one["requests"].sum())
    assert share == pytest.approx(float(rows.iloc[0]["self_hosted_request_share"]), rel=1e-12)


def test_cli_compare_plans_json_rows_and_xlsx_sheets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["compare", "--preset", "rag-long-docs", "--as-of", AS_OF.isoformat()]
    assert main([*args, "--format", "json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert {r["kind"] for r in plain["table"]} == {"api", "self_host"} and "plans" not in plain["scenario"]
    assert main([*args, "--plans", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = [r for r in doc["table"] if r["kind"] == "plan"]
    options = {r["option"] for r in doc["table"] if r["kind"] != "plan"}
    assert len(rows) == 2 and doc["scenario"]["plans"] is True
    for r in rows:
        assert r["api_option"] in options and r["self_host_option"] in options
        for key in (
            "committed_gpus",
            "on_demand_gpu_hours",
            "self_hosted_request_share",
            "api_overflow_usd_per_month",
        ):
            assert isinstance(r[key], int | float), key
    # the rows other than plans are those of the comparison without plans (ranks aside: plans rank among them)
    same = [{k: v for k, v in r.items() if k not in ("rank", "flags") and k not in PLAN_COLUMNS} for r in doc["table"]
            if r["kind"] != "plan"]  # fmt: skip
    assert same == [{k: v for k, v in r.items() if k not in ("rank", "flags")} for r in plain["table"]]
    out = tmp_path / "p.xlsx"
    assert main([*args, "--plans", "--format", "xlsx", "--out", str(out)]) == 0
    sheets = pd.read_excel(out, sheet_name=None)
    assert len(sheets["Plans by hour"]) == 2 * 168
    assert "Plans" in sheets


def test_the_link_carries_plans_only_when_on() -> None:
    s = preset("chat", AS_OF)
    assert PLANS_KEY not in scenario_to_query(s)
    on = s.model_copy(update={"plans": True})
    q = scenario_to_query(on)
    assert q[PLANS_KEY] == "1"
    assert scenario_from_query(q, s) == (on, [])
    back, ignored = scenario_from_query({**q, PLANS_KEY: "yes"}, s)
    assert not back.plans and ignored == [PLANS_KEY]
