"""Total cost of ownership: rental basis switch, owned servers, target utilisation, people and operations."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from costmodel.catalog import Catalogue
from costmodel.evaluate.evaluation import evaluate
from costmodel.serving import fleet_cost, resolve_rental
from costmodel.serving.tco import HOURS_PER_YEAR, owned_usd_per_gpu_hour, resolve_owned
from costmodel.views.links.query import scenario_from_query, scenario_to_query
from costmodel.workload.scenario import (
    ApiOption,
    Scenario,
    ScenarioError,
    SelfHostOption,
    ServingAssumptions,
    Workload,
    scenario_from_text,
    scenario_to_json,
)

AS_OF = dt.date(2026, 6, 1)


def _scenario(*options: SelfHostOption, **assumptions: object) -> Scenario:
    return Scenario(
        workload=Workload(
            requests_per_day=2e5, prompt_tokens=2000, output_tokens=400, cache_hit_fraction=0.5
        ),
        api_options=(ApiOption(provider="deepseek", model="deepseek-v4-flash"),),
        self_host_options=options,
        assumptions=ServingAssumptions(**assumptions),  # type: ignore[arg-type]
        as_of=AS_OF,
    )


def test_owned_price_by_hand() -> None:
    # $30,000 per GPU over 4 years: 30000 / (4 × 8766) = 0.855578 $/h; power 0.7 kW × 1.3 × $0.10 = 0.091 $/h;
    # hosting 0.2 $/h: total 1.146578 $/GPU-hour
    total, hw, pw, host = owned_usd_per_gpu_hour(30_000, 4, 700, 1.3, 0.10, 0.2)
    assert HOURS_PER_YEAR == 365.25 * 24
    assert hw == pytest.approx(0.8555783709787816)
    assert pw == pytest.approx(0.091)
    assert host == 0.2
    assert total == pytest.approx(1.1465783709787816)


def test_buy_uses_your_price_then_the_owner_all_in_row(catalogue: Catalogue) -> None:
    a = ServingAssumptions(server_life_years=5, pue=1.2, usd_per_kwh=0.08, hosting_usd_per_gpu_hour=0.1)
    typed = SelfHostOption(
        model="deepseek-v4-flash", gpu="h200", acquisition="buy", usd_per_gpu_purchase=35_000
    )
    p = resolve_owned(typed, a, catalogue)
    # 35000 / (5 × 8766) + 0.7 × 1.2 × 0.08 + 0.1 (H200 TDP 700 W, hardware.yaml)
    assert p.usd_per_gpu_hour == pytest.approx(35_000 / (5 * 8766) + 0.7 * 1.2 * 0.08 + 0.1)
    assert p.row_id == "custom"
    row = SelfHostOption(model="deepseek-v4-flash", gpu="h200", acquisition="buy")
    price, rid, source, as_of = resolve_rental(row, catalogue, a)
    assert (price, rid) == (1.41, "h200-owned-semianalysis")  # SemiAnalysis owner all-in, docs/sources.md §6
    assert "SemiAnalysis" in source and as_of


def test_buy_without_a_price_is_a_reason_not_a_number(catalogue: Catalogue) -> None:
    o = SelfHostOption(model="deepseek-v4-flash", gpu="h100-sxm", acquisition="buy")
    with pytest.raises(ValueError, match="give usd_per_gpu_purchase") as e:
        resolve_rental(o, catalogue, ServingAssumptions())
    assert "\n" not in str(e.value)
    row = evaluate(_scenario(o), catalogue).table.query("kind == 'self_host'").iloc[0]
    assert math.isnan(row["monthly_cost_usd"]) and "give usd_per_gpu_purchase" in row["reason"]


@pytest.mark.parametrize(
    ("gpu", "basis", "price"),
    [
        ("b200", "spot", 2.25),
        ("b200", "on_demand", 6.03),
        ("b300", "reserved", 3.25),
    ],  # hardware.yaml rentals
)
def test_rental_basis_switch(catalogue: Catalogue, gpu: str, basis: str, price: float) -> None:
    o = SelfHostOption(model="deepseek-v4-flash", gpu=gpu, acquisition=basis)  # type: ignore[arg-type]
    assert resolve_rental(o, catalogue)[0] == price


def test_missing_basis_is_one_line(catalogue: Catalogue) -> None:
    # the market has H200 spot rows; no source gives an MI300X reserved price (facts-2026-12.md §6)
    o = SelfHostOption(model="deepseek-v4-flash", gpu="mi300x", acquisition="reserved")
    with pytest.raises(ValueError, match="no reserved rental price for mi300x"):
        resolve_rental(o, catalogue)


def test_target_utilisation_sizes_the_fleet() -> None:
    # 7 GPUs of work every hour (25,200 requests/h × 1 GPU-s / 3600): at 100% 7 GPUs, at 70% 7/0.7 = 10
    hourly = np.full((7, 24), 25_200.0)
    full = fleet_cost(hourly, 0.5, 0.5, deployment_gpus=1, usd_per_gpu_hour=2.0, days_per_month=28)
    head = fleet_cost(
        hourly, 0.5, 0.5, deployment_gpus=1, usd_per_gpu_hour=2.0, days_per_month=28, target_utilization=0.7
    )
    assert float(full.gpus_peak) == 7 and float(head.gpus_peak) == 10
    assert float(head.monthly_cost_usd) == 10 * 2.0 * 28 * 24
    assert float(head.utilization) == pytest.approx(0.7)


def test_ops_cost_adds_exactly_to_each_self_hosting_option(catalogue: Catalogue) -> None:
    opts = (
        SelfHostOption(model="deepseek-v4-flash", gpu="h200"),
        SelfHostOption(model="deepseek-v4-flash", gpu="b200", acquisition="buy"),
    )
    base = evaluate(_scenario(*opts), catalogue).table.set_index("option")
    ops = evaluate(_scenario(*opts, ops_usd_per_month=12_000.0), catalogue).table.set_index("option")
    sh = base["kind"] == "self_host"
    diff = ops["monthly_cost_usd"] - base["monthly_cost_usd"]
    np.testing.assert_allclose(diff[sh], 12_000.0)
    np.testing.assert_array_equal(diff[~sh], 0.0)


@pytest.mark.parametrize(
    ("assumptions", "words"),
    [
        ({"server_life_years": -1}, "server_life_years"),
        ({"server_life_years": 0}, "server_life_years"),
        ({"pue": 0.9}, "pue"),
        ({"target_utilization": 0}, "target_utilization"),
        ({"target_utilization": 1.2}, "target_utilization"),
        ({"ops_usd_per_month": -5}, "ops_usd_per_month"),
        ({"usd_per_kwh": -0.1}, "usd_per_kwh"),
    ],
)
def test_bad_ownership_inputs_are_one_line(assumptions: dict[str, object], words: str) -> None:
    good = _scenario(SelfHostOption(model="deepseek-v4-flash", gpu="h200"))
    doc = good.model_dump(mode="json")
    doc["assumptions"].update(assumptions)
    import json

    with pytest.raises(ScenarioError) as e:
        scenario_from_text(json.dumps(doc))
    assert words in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize(
    ("option", "words"),
    [
        ({"acquisition": "buy", "mode": "autoscaled"}, "always_on"),
        ({"usd_per_gpu_purchase": 30000}, "applies to acquisition buy"),
        ({"acquisition": "lease"}, "acquisition"),
        ({"acquisition": "buy", "usd_per_gpu_purchase": -1}, "usd_per_gpu_purchase"),
    ],
)
def test_bad_option_inputs_are_one_line(option: dict[str, object], words: str) -> None:
    doc = _scenario(SelfHostOption(model="deepseek-v4-flash", gpu="h200")).model_dump(mode="json")
    doc["self_host_options"][0].update(option)
    import json

    with pytest.raises(ScenarioError) as e:
        scenario_from_text(json.dumps(doc))
    assert words in str(e.value) and "\n" not in str(e.value)


def test_url_round_trip_with_ownership(catalogue: Catalogue) -> None:
    s = _scenario(
        SelfHostOption(
            model="deepseek-v4-flash", gpu="h200", acquisition="buy", usd_per_gpu_purchase=31_000.5
        ),
        SelfHostOption(model="deepseek-v4-flash", gpu="b200", acquisition="spot", mode="autoscaled"),
        target_utilization=0.7,
        ops_usd_per_month=8000.0,
        server_life_years=5.0,
        pue=1.25,
        usd_per_kwh=0.12,
        hosting_usd_per_gpu_hour=0.15,
    )
    q = scenario_to_query(s)
    assert {q["util"], q["ops"], q["life"], q["pue"], q["kwh"], q["host"]} == {
        "0.7", "8000", "5", "1.25", "0.12", "0.15",
    }  # fmt: skip
    back, ignored = scenario_from_query(
        q, _scenario(SelfHostOption(model="deepseek-v4-flash", gpu="h100-sxm"))
    )
    assert ignored == [] and back == s
    assert scenario_from_text(scenario_to_json(s)) == s
    # an old URL (no ownership keys) keeps the defaults
    old = {k: v for k, v in q.items() if k not in ("util", "ops", "life", "pue", "kwh", "host")}
    old["sh"] = "deepseek-v4-flash:h200"
    back, ignored = scenario_from_query(old, s)
    assert ignored == [] and back.self_host_options[0].acquisition == "rent"


def test_owned_rows_are_cited_and_labels_stay_distinct(catalogue: Catalogue) -> None:
    from costmodel.views.export.comparison import assumptions_table

    opts = (
        SelfHostOption(model="deepseek-v4-flash", gpu="h200"),
        SelfHostOption(model="deepseek-v4-flash", gpu="h200", acquisition="buy"),
        SelfHostOption(model="deepseek-v4-flash", gpu="h200", acquisition="spot"),
    )
    ev = evaluate(_scenario(*opts), catalogue)
    assert ev.table["option"].is_unique  # the acquisition is in the option id
    rows = assumptions_table(ev.table, catalogue)
    owned = rows[rows["table"] == "servers"]
    assert list(owned["id"]) == ["h200-owned-semianalysis"]
    assert "SemiAnalysis" in owned["source"].iloc[0]


def test_acquisition_bases_are_the_catalogue_rental_bases() -> None:
    """One list of rental bases: the option's switch offers exactly the catalogue's RentalBasis values."""
    import typing

    from costmodel.catalog.fields import RentalBasis
    from costmodel.workload.scenario import ACQUISITIONS, Acquisition

    assert set(typing.get_args(Acquisition)) == set(ACQUISITIONS)
    assert set(ACQUISITIONS) - {"rent", "buy"} == set(typing.get_args(RentalBasis))
