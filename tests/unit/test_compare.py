"""Comparison table and sweeps: contract columns, provenance, agreement with the bills."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costmodel.catalog import Catalogue
from costmodel.evaluate.evaluation import API_COLUMNS, COLUMNS, api_sweep_grid, compare_table, evaluate, sweep
from costmodel.pricing.bill import api_bill
from costmodel.pricing.resolve import PricingError
from costmodel.views.verdict import verdict
from costmodel.workload.presets import preset, preset_names
from costmodel.workload.scenario import ApiOption, Scenario, Workload

AS_OF = dt.date(2026, 11, 28)
CONTRACT = [
    "option",
    "kind",
    "provider",
    "model",
    "monthly_cost_usd",
    "usd_per_mtok_input",
    "usd_per_mtok_output",
    "usd_per_mtok_blended",
    "gpus",
    "utilization",
    "price_ids",
    "price_sources",
    "price_as_of",
]
MONEY = [
    "monthly_cost_usd",
    "usd_per_mtok_input",
    "usd_per_mtok_output",
    "usd_per_mtok_blended",
    "monthly_input_cache_hit_usd",
    "monthly_input_cache_miss_usd",
    "monthly_output_usd",
    "monthly_peak_usd",
    "monthly_off_peak_usd",
    "peak_traffic_fraction",
]


def api_rows(s: Scenario, catalogue: Catalogue) -> pd.DataFrame:
    """The API rows of the evaluation of ``s`` (API options only: the table is exactly those rows)."""
    return evaluate(s.model_copy(update={"self_host_options": ()}), catalogue).table


def api_only(s: Scenario) -> Scenario:
    return s.model_copy(update={"self_host_options": ()})


@pytest.mark.parametrize("name", preset_names())
def test_api_rows_of_every_preset(catalogue: Catalogue, name: str) -> None:
    s = preset(name, AS_OF)
    df = api_rows(s, catalogue)
    assert list(df.columns) == [*COLUMNS, *API_COLUMNS, "stale_rows", "flags"]
    assert set(CONTRACT) <= set(df.columns)
    assert len(df) == len(s.api_options) and (df["kind"] == "api").all()
    assert df["option"].is_unique
    served = df["feasible"].astype(bool)
    numbers = df.loc[served, MONEY].to_numpy(dtype=float)
    assert np.isfinite(numbers).all() and (numbers >= 0).all()
    # doc-analysis-1m's 900,000-token prompts exceed Kimi K2.6's 262,144-token window: not served, the reason
    assert (~served).sum() == (1 if name == "doc-analysis-1m" else 0)
    assert df.loc[~served, "reason"].str.contains("262,144-token context window").all()
    assert df["gpus"].isna().all() and df["utilization"].isna().all()
    assert (df["as_of"] == "2026-11-28").all()
    rows = {p.id: p for p in catalogue.prices}
    for _, r in df.iterrows():
        row = rows[r["price_ids"]]
        assert (r["provider"], r["model"]) == (row.provider, row.model)
        assert r["price_sources"] == row.source and r["price_as_of"] == row.as_of.isoformat()
        assert r["price_confidence"] == row.confidence
        assert r["unconfirmed_fields"] == "; ".join(f"{row.id}.{f}" for f in row.unconfirmed_fields)


def test_rows_are_the_bills(catalogue: Catalogue) -> None:
    s = preset("rag-long-docs", AS_OF)
    df = api_rows(s, catalogue)
    for option, (_, r) in zip(s.api_options, df.iterrows(), strict=True):
        b = api_bill(option, s.workload, catalogue, s.as_of)
        assert r["option"] == option.option_id
        assert r["monthly_cost_usd"] == b.monthly_cost_usd
        assert r["monthly_peak_usd"] + r["monthly_off_peak_usd"] == pytest.approx(r["monthly_cost_usd"])


def test_hand_computed_row(catalogue: Catalogue) -> None:
    s = Scenario(
        workload=Workload(
            requests_per_day=1000, days_per_month=30, prompt_tokens=10_000, output_tokens=1_000
        ),
        api_options=(
            ApiOption(provider="deepseek", model="deepseek-v4-pro"),
            ApiOption(provider="deepseek", model="deepseek-v4-pro", price_basis="promotion"),
        ),
        as_of=dt.date(2026, 6, 1),
    )
    df = compare_table(s, catalogue)
    # 300 M prompt × $1.74 + 30 M output × $3.48 = $626.40; promotion: 300 × 0.435 + 30 × 0.87 = $156.60
    assert df["monthly_cost_usd"].tolist() == pytest.approx([626.4, 156.6])
    assert df["price_ids"].tolist() == ["deepseek-v4-pro-launch-list", "deepseek-v4-pro-promo-75"]
    assert df["price_basis_used"].tolist() == ["list", "promotion"]


def test_promotion_fallback_is_in_the_notes(catalogue: Catalogue) -> None:
    s = api_only(preset("chat", AS_OF)).model_copy(
        update={
            "api_options": (ApiOption(provider="deepseek", model="deepseek-v4-pro", price_basis="promotion"),)
        }
    )
    r = compare_table(s, catalogue).iloc[0]
    assert r["price_basis"] == "promotion" and r["price_basis_used"] == "list"
    assert "no promotion in effect on 2026-11-28: list price used" in r["notes"]


def test_compare_table_has_the_contract_columns_first(catalogue: Catalogue) -> None:
    df = compare_table(preset("chat", AS_OF), catalogue)
    assert list(df.columns[: len(COLUMNS)]) == COLUMNS
    assert set(df["kind"]) <= {"api", "self_host"}
    api = df[df["kind"] == "api"]
    assert np.isfinite(api[MONEY].to_numpy(dtype=float)).all()


def test_unknown_option_and_missing_price_are_one_line(catalogue: Catalogue) -> None:
    s = api_only(preset("chat", AS_OF))
    bad = s.model_copy(update={"api_options": (ApiOption(provider="acme", model="gpt-9"),)})
    with pytest.raises(PricingError, match=r"^unknown API option acme/gpt-9; known: ") as e:
        compare_table(bad, catalogue)
    assert "\n" not in str(e.value)
    # after its last row ended (V3.2 on DeepSeek's API ends 2026-04-24): still an error naming the rows
    v32 = s.model_copy(
        update={
            "as_of": dt.date(2026, 5, 1),
            "api_options": (ApiOption(provider="deepseek", model="deepseek-v3.2"),),
        }
    )
    with pytest.raises(
        PricingError, match=r"^no list price for deepseek/deepseek-v3.2 in effect on 2026-05-01"
    ):
        compare_table(v32, catalogue)


def test_before_the_first_price_the_option_is_left_out_and_said(catalogue: Catalogue) -> None:
    # a date before an option's first price is not an error to act on: the row is left out, said once
    s = api_only(preset("chat", AS_OF)).model_copy(update={"as_of": dt.date(2026, 5, 1)})
    ev = evaluate(s, catalogue)
    left = [x for x in ev.left_out if "kimi-k2.6" in x]
    assert left == ["no price on record for moonshot/kimi-k2.6 before 2026-06-01 (asked for 2026-05-01)"]
    assert not ev.table["option"].str.startswith("moonshot/kimi-k2.6").any()
    assert ev.table["option"].str.startswith("deepseek/deepseek-v4-pro").any()  # the others are still priced


profiles = st.lists(st.floats(0, 1e6), min_size=24, max_size=24).filter(lambda p: sum(p) > 0).map(tuple)


@given(
    st.builds(
        Workload,
        requests_per_day=st.floats(1e-3, 1e10),
        prompt_tokens=st.integers(1, 2**24),
        output_tokens=st.integers(0, 2**24),
        reasoning_multiplier=st.floats(1, 100),
        cache_hit_fraction=st.floats(0, 1),
        hourly_profile_weekday=profiles,
        hourly_profile_weekend=profiles,
        weekend_day_weight=st.floats(0, 100),
    ),
    st.sampled_from(preset_names()),
)
def test_no_nan_or_inf_in_any_table(catalogue: Catalogue, w: Workload, name: str) -> None:
    df = api_rows(preset(name, AS_OF).model_copy(update={"workload": w}), catalogue)
    served = df["feasible"].astype(bool)
    assert np.isfinite(df.loc[served, MONEY].to_numpy(dtype=float)).all()
    # an API that cannot serve the workload (longer than its context window or maximum output): no money, the
    # reason in the row, not ranked
    refused = df[~served]
    money = [c for c in MONEY if c != "peak_traffic_fraction"]  # a share of traffic, not money: kept
    assert refused[money].isna().all().all() and refused["rank"].isna().all()
    assert refused["reason"].str.contains("context window|maximum output").all()
    assert (refused["flags"].str.startswith("not ranked: ")).all()


# ---- sweeps ------------------------------------------------------------------------------------------------


def test_sweep_agrees_with_the_bills(catalogue: Catalogue) -> None:
    s = api_only(preset("agentic-coding", AS_OF))
    volumes = [10.0, 5_000.0, 2e6]
    fractions = [0.0, 0.5, 0.95]
    df = sweep(s, catalogue, volumes, fractions)
    assert list(df.columns) == [
        "option",
        "requests_per_day",
        "cache_hit_fraction",
        "monthly_cost_usd",
        "usd_per_mtok_blended",
    ]
    assert len(df) == len(s.api_options) * 9
    for _, r in df.sample(12, random_state=0).iterrows():
        option = next(o for o in s.api_options if o.option_id == r["option"])
        w = s.workload.model_copy(
            update={"requests_per_day": r["requests_per_day"], "cache_hit_fraction": r["cache_hit_fraction"]}
        )
        b = api_bill(option, w, catalogue, s.as_of)
        assert r["monthly_cost_usd"] == pytest.approx(b.monthly_cost_usd, rel=1e-12)
        assert r["usd_per_mtok_blended"] == pytest.approx(b.usd_per_mtok_blended, rel=1e-12)


def test_sweep_of_100k_points_is_finite_and_monotone(catalogue: Catalogue) -> None:
    # its speed (target 250 ms) is measured by benchmarks/bench_pricing.py, on the same 1,000 x 100 grid
    s = preset("chat", AS_OF)
    volumes = np.geomspace(1, 1e8, 1000)
    fractions = np.linspace(0, 1, 100)
    grid = api_sweep_grid(s.api_options[0], s.workload, catalogue, AS_OF, volumes, fractions)
    assert grid.shape == (1000, 100) and np.isfinite(grid).all()
    # cost rises with volume and falls with cache hits (the hit price is below the miss price)
    assert (np.diff(grid, axis=0) > 0).all() and (np.diff(grid, axis=1) <= 0).all()


@pytest.mark.parametrize(
    ("volumes", "fractions", "needle"),
    [
        ([0.0], [0.5], "volumes"),
        ([np.inf], [0.5], "volumes"),
        ([1.0], [1.5], "cache-hit"),
        ([1.0], [np.nan], "cache"),
    ],
)
def test_sweep_refuses_bad_grids(
    catalogue: Catalogue, volumes: list[float], fractions: list[float], needle: str
) -> None:
    s = preset("chat", AS_OF)
    with pytest.raises(ValueError, match=needle):
        api_sweep_grid(s.api_options[0], s.workload, catalogue, AS_OF, volumes, fractions)


def test_sweep_without_api_options_is_empty(catalogue: Catalogue) -> None:
    s = preset("chat", AS_OF).model_copy(update={"api_options": ()})
    df = sweep(s, catalogue, [1.0], [0.0])
    assert df.empty and "monthly_cost_usd" in df.columns
    assert isinstance(df, pd.DataFrame)


def test_self_hosting_only_comparison_has_every_column(catalogue: Catalogue) -> None:
    full = preset("chat", AS_OF)
    assert full.self_host_options and full.api_options
    only = compare_table(full.model_copy(update={"api_options": ()}), catalogue)
    assert list(only.columns[: len(COLUMNS + API_COLUMNS)]) == COLUMNS + API_COLUMNS
    assert (only["kind"] == "self_host").all() and len(only) == len(full.self_host_options)
    mixed = compare_table(full, catalogue)
    same = mixed[mixed["kind"] == "self_host"].reset_index(drop=True)
    # the same rows, ranked among themselves (rank and the flags that depend on it aside)
    cols = [c for c in only.columns if c not in ("rank", "flags")]
    pd.testing.assert_frame_equal(only[cols], same[cols], check_dtype=False)
    assert list(only["rank"].dropna()) == list(range(1, only["rank"].notna().sum() + 1))
    assert only[API_COLUMNS].isna().all().all()


def test_nothing_to_compare_is_an_empty_table(catalogue: Catalogue) -> None:
    s = preset("chat", AS_OF).model_copy(update={"api_options": (), "self_host_options": ()})
    assert compare_table(s, catalogue).empty


# ---- the weights behind each API row, by date; unknown windows are not ranked ----------------------------------


def test_flash_api_row_names_its_weights_by_date(catalogue: Catalogue) -> None:
    """Facts-2026-12 §2: Flash names served by V4-Flash until 2026-09-10 04:00 UTC, by V4.1-Flash after."""
    late = compare_table(preset("chat", dt.date(2026, 12, 6)), catalogue)
    early = compare_table(preset("chat", dt.date(2026, 8, 1)), catalogue)
    flash = "deepseek/deepseek-v4-flash (list)"
    assert late.set_index("option").loc[flash, "weights_model"] == "deepseek-v4.1-flash"
    assert early.set_index("option").loc[flash, "weights_model"] == "deepseek-v4-flash"
    # the preset self-hosts what the Flash API serves at its date
    assert "deepseek-v4.1-flash" in set(late.loc[late["kind"] == "self_host", "weights_model"])
    assert "deepseek-v4-flash" in set(early.loc[early["kind"] == "self_host", "weights_model"])
    # the V4-Pro redirect announced for 2026-09-14 never took effect; Claude has closed weights
    by = late.set_index("option")
    assert by.loc["deepseek/deepseek-v4-pro (list)", "weights_model"] == "deepseek-v4-pro"
    assert pd.isna(by.loc["anthropic/claude-opus-4.6 (list)", "weights_model"])


def test_a_five_million_token_prompt_has_no_only_option(catalogue: Catalogue) -> None:
    s = preset("chat", dt.date(2026, 12, 6))
    s = s.model_copy(update={"workload": s.workload.model_copy(update={"prompt_tokens": 5_000_000})})
    ev = evaluate(s, catalogue)
    text = verdict(s, ev.table, ev.break_even).text
    assert "only option that can serve" not in text
    assert ev.table["rank"].isna().all()
