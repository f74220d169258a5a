"""A stated disaggregated split on a self-hosting option (SelfHostOption.prefill_gpus / decode_gpus): the decode
pool holds the sequences (its memory plan, batch and rate), the prefill pool must hold the weights, and the fleet
adds pools of each size as the hour's work needs them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from pydantic import ValidationError

from costmodel.catalog import Catalogue
from costmodel.evaluate.evaluation import evaluate
from costmodel.serving.fleet import fleet_cost_of_need
from costmodel.views.links.query import scenario_from_query, scenario_to_query
from costmodel.workload.presets import preset
from costmodel.workload.scenario import ApiOption, Scenario, SelfHostOption, Workload

AS_OF = dt.date(2026, 12, 1)


def test_pools_of_each_size_are_added_as_the_work_needs() -> None:
    # 20 GPUs of prefill work and 5 of decode work every hour: prefill pools of 16 -> 2 pools (32 GPUs), decode
    # pools of 8 -> 1 pool (8 GPUs): 40 GPUs all week; without the split, pools of 8: 24 + 8 = 32.
    need_p, need_d = np.full((7, 24), 20.0), np.full((7, 24), 5.0)
    kw = {"deployment_gpus": 8, "usd_per_gpu_hour": 2.0, "days_per_month": 28.0, "disaggregated": True}
    split = fleet_cost_of_need(need_p, need_d, prefill_pool_gpus=16, **kw)  # type: ignore[arg-type]
    plain = fleet_cost_of_need(need_p, need_d, **kw)  # type: ignore[arg-type]
    assert float(split.gpus_peak) == 40 and float(plain.gpus_peak) == 32
    # 40 GPUs x 2 USD x 24 h x 28 days; the prefill pools' 32 GPUs are the input's share
    assert float(split.monthly_cost_usd) == pytest.approx(40 * 2.0 * 24 * 28)
    assert float(split.input_cost_usd) == pytest.approx(32 * 2.0 * 24 * 28)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"disaggregated": True, "prefill_gpus": 16}, "go together"),
        ({"disaggregated": True, "decode_gpus": 8}, "go together"),
        ({"prefill_gpus": 16, "decode_gpus": 8}, "tick 'prefill/decode split'"),
        ({"disaggregated": True, "prefill_gpus": 16, "decode_gpus": 8, "gpus": 16}, r"\(gpus\) 16 is not"),
        ({"disaggregated": True, "prefill_gpus": 0, "decode_gpus": 8}, "prefill_gpus"),
    ],
)
def test_a_split_that_is_not_one_is_refused_with_its_reason(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SelfHostOption(model="deepseek-v4-pro", gpu="h200", **fields)  # type: ignore[arg-type]
    ok = SelfHostOption(
        model="deepseek-v4-pro", gpu="h200", disaggregated=True, prefill_gpus=16, decode_gpus=8, gpus=24
    )
    assert ok.pool_gpus == 8


def _table(catalogue: Catalogue, *options: SelfHostOption) -> list[dict[str, object]]:
    s = Scenario(
        workload=Workload(requests_per_day=3e6, prompt_tokens=8000, output_tokens=1000),
        self_host_options=options,
        as_of=AS_OF,
    )
    t = evaluate(s, catalogue).table
    return t[t["kind"] == "self_host"].to_dict("records")  # type: ignore[no-any-return]


def test_the_decode_pool_holds_the_sequences_and_the_fleet_is_whole_pools(catalogue: Catalogue) -> None:
    """V4-Pro on H200 as InferenceX-style pools of 16 prefill + 8 decode GPUs: the decode plan is 8 GPUs, and the
    fleet (always on, sized for the busiest hour) is whole pools: 16 a + 8 b GPUs."""
    rows = _table(
        catalogue,
        SelfHostOption(
            model="deepseek-v4-pro", gpu="h200", disaggregated=True, prefill_gpus=16, decode_gpus=8
        ),
        SelfHostOption(
            model="deepseek-v4-pro", gpu="h200", disaggregated=True, decode_gpus=16, prefill_gpus=8
        ),
    )
    a, b = rows
    assert a["feasible"] and b["feasible"]
    assert a["deployment_gpus"] == 8 and a["prefill_pool_gpus"] == 16
    assert b["deployment_gpus"] == 16 and b["prefill_pool_gpus"] == 8
    assert "pools of 16 prefill + 8 decode GPUs" in str(a["label"])
    for r, p, d in ((a, 16, 8), (b, 8, 16)):
        gpus = int(r["gpus"])  # type: ignore[call-overload]
        assert any((gpus - p * k) % d == 0 and gpus - p * k >= d for k in range(1, gpus // p + 1)), gpus
    # the 8-GPU decode pool holds less KV per GPU (the weights take more of each GPU): its rate per GPU is lower
    assert float(a["decode_tokens_per_s_per_gpu"]) < float(b["decode_tokens_per_s_per_gpu"])  # type: ignore[arg-type]


def test_a_prefill_pool_that_cannot_hold_the_weights_is_infeasible_and_says_so(catalogue: Catalogue) -> None:
    (row,) = _table(
        catalogue,
        SelfHostOption(
            model="deepseek-v4-pro", gpu="h200", disaggregated=True, prefill_gpus=1, decode_gpus=8
        ),
    )
    assert not row["feasible"]
    assert str(row["reason"]).startswith(
        "the prefill pool of 1 GPU holds the model in neither attention layout (does"
    )


def test_a_split_survives_the_link() -> None:
    s = Scenario(
        workload=Workload(requests_per_day=1e5, prompt_tokens=2000, output_tokens=300),
        self_host_options=(
            SelfHostOption(
                model="deepseek-v4-pro", gpu="h200", disaggregated=True, prefill_gpus=16, decode_gpus=8
            ),
            SelfHostOption(model="deepseek-v4-flash", gpu="h200"),
        ),
        as_of=AS_OF,
    )
    q = scenario_to_query(s)
    back, ignored = scenario_from_query(q, preset("chat", AS_OF))
    assert not ignored and back == s
    # an option without a split has the cells it had before the split's two (blank, trailing: stripped)
    assert q["sh"].split(",")[1] == "deepseek-v4-flash:h200:native::::always_on:0:::auto:rent"
    assert q["sh"].split(",")[0].endswith(":16:8")


def test_the_prefill_pool_runs_its_own_layout_and_its_own_rates(catalogue: Catalogue) -> None:
    """V4-Pro on H200 as 8 prefill + 16 decode GPUs: the weights fit 8 GPUs only under attention TP (tp8), the
    decode pool of 16 runs attention DP. The prefill rate and the TTFT are those of the 8-GPU tp8 pool (as a plain
    8-GPU tp8 option computes them), the decode rate that of the 16-GPU dp pool (as pools of 16 compute it)."""
    split, pools16, tp8 = _table(
        catalogue,
        SelfHostOption(
            model="deepseek-v4-pro", gpu="h200", disaggregated=True, prefill_gpus=8, decode_gpus=16
        ),
        SelfHostOption(
            model="deepseek-v4-pro", gpu="h200", disaggregated=True, gpus=16, attention_layout="dp"
        ),
        SelfHostOption(
            model="deepseek-v4-pro", gpu="h200", disaggregated=True, gpus=8, attention_layout="tp"
        ),
    )
    assert split["feasible"] and split["attention_layout"] == "dp" and tp8["attention_layout"] == "tp8"
    assert split["decode_tokens_per_s_per_gpu"] == pytest.approx(
        pools16["decode_tokens_per_s_per_gpu"], rel=1e-12
    )
    assert split["prefill_tokens_per_s_per_gpu"] == pytest.approx(
        tp8["prefill_tokens_per_s_per_gpu"], rel=1e-12
    )
    # TTFT: the tp8 pool spreads the prompt over 8 GPUs; pools of 16 under dp prefill each prompt on one GPU
    assert float(split["ttft_ms"]) < float(pools16["ttft_ms"]) / 4  # type: ignore[arg-type]
    # 8-GPU prefill pools are enough for this work: fewer GPUs than pools of 16 for both phases
    assert int(split["gpus"]) < int(pools16["gpus"])  # type: ignore[call-overload]


def test_plans_are_not_searched_for_a_stated_split(catalogue: Catalogue) -> None:
    from costmodel.evaluate.plan_options import evaluate_plan

    s = Scenario(
        workload=Workload(requests_per_day=3e5, prompt_tokens=8000, output_tokens=1000),
        api_options=(ApiOption(provider="deepseek", model="deepseek-v4-pro"),),
        self_host_options=(
            SelfHostOption(
                model="deepseek-v4-pro", gpu="h200", disaggregated=True, prefill_gpus=16, decode_gpus=8
            ),
        ),
        as_of=AS_OF,
    )
    ev = evaluate(s, catalogue)
    sh, api = ev.self_host[0], ev.api[0]
    plan = evaluate_plan(s, catalogue, (sh.option, sh.label, sh.evaluation), (api.option, api.bill))
    assert plan.kind == "none"
    assert plan.reason.startswith("not searched for a stated split (pools of 16 prefill + 8 decode GPUs)")


def test_the_calculator_names_the_split_box_when_it_is_not_ticked() -> None:
    from app_pages.calc_fields import validate

    raw = preset("chat", AS_OF).model_dump(mode="json")
    raw["self_host_options"] = [
        {"model": "deepseek-v4-pro", "gpu": "h200", "prefill_gpus": 16, "decode_gpus": 8}
    ]
    scenario, error = validate(raw)
    assert scenario is None
    assert error == (
        "Self-hosting options, row 1: a stated split (prefill_gpus, decode_gpus) is disaggregated serving: "
        "tick 'prefill/decode split' (disaggregated)"
    )


def test_serve_and_the_calculator_price_a_split_alike(
    catalogue: Catalogue, capsys: pytest.CaptureFixture[str]
) -> None:
    """`costmodel serve --prefill-gpus 8 --decode-gpus 16` and the Calculator's 8 + 16 option run the same pools:
    the prefill pool on its own plan (tp8: dp does not hold V4-Pro's weights on 8 H200), so the same prefill rate
    and TTFT, and the decode pool's rate."""
    import json

    from costmodel.cli.main import main

    assert main(["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--prefill-gpus", "8", "--decode-gpus",
                 "16", "--isl", "8000", "--osl", "1000", "--format", "json"]) == 0  # fmt: skip
    cli = json.loads(capsys.readouterr().out)[0]
    (row,) = _table(
        catalogue,
        SelfHostOption(
            model="deepseek-v4-pro", gpu="h200", disaggregated=True, prefill_gpus=8, decode_gpus=16
        ),
    )
    assert cli["feasible"] and cli["gpus"] == 24
    assert cli["prefill_tokens_per_s_per_gpu"] == pytest.approx(row["prefill_tokens_per_s_per_gpu"], rel=1e-9)
    assert cli["ttft_ms"] == pytest.approx(row["ttft_ms"], rel=1e-9)
    assert cli["decode_tokens_per_s_per_gpu"] == pytest.approx(row["decode_tokens_per_s_per_gpu"], rel=1e-9)


def test_the_explanation_of_a_split_gives_both_pools_and_no_replica_count(catalogue: Catalogue) -> None:
    """A split has pools of two sizes, added separately: the explanation names both, and no replica count."""
    import pandas as pd

    from costmodel.views.explain import explain_option
    from costmodel.views.present import MISSING

    s = Scenario(
        workload=Workload(requests_per_day=3e6, prompt_tokens=8000, output_tokens=1000),
        self_host_options=(
            SelfHostOption(
                model="deepseek-v4-pro", gpu="h200", disaggregated=True, prefill_gpus=16, decode_gpus=8
            ),
        ),
        api_options=(ApiOption(provider="deepseek", model="deepseek-v4-pro"),),
        as_of=AS_OF,
    )
    ev = evaluate(s, catalogue)
    row = ev.table[ev.table["kind"] == "self_host"].iloc[0]
    dep = dict(dict(explain_option(pd.Series(row), s, ev.break_even))["The deployment"])
    assert dep["GPUs per pool"] == "16 prefill, 8 decode"
    assert "GPUs per replica" not in dep
    assert dep["Replicas at the busiest hour"] == MISSING  # pools of two sizes: no one replica count
