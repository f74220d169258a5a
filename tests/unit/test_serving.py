"""Serving model: memory plans (DP / TP attention) against the SGLang cookbook, the K2.6 precision, monotonicity, CLI."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costmodel import serving
from costmodel.catalog import Catalogue
from costmodel.cli.main import main
from costmodel.evaluate.evaluation import evaluate
from costmodel.serving import EFFICIENCY, evaluate_option, memory_plan, workpoint
from costmodel.workload.scenario import Scenario, SelfHostOption, ServingAssumptions, Workload

AS_OF = dt.date(2026, 11, 20)


def self_host_rows(s: Scenario, catalogue: Catalogue) -> pd.DataFrame:
    """The self-hosting rows of the evaluation of ``s`` (self-hosting options only)."""
    return evaluate(s.model_copy(update={"api_options": ()}), catalogue).table


# ---- memory plans of the published deployments ---------------------------------------------------------


def test_lmsys_decode_deployment_fits_batch_256(catalogue: Catalogue) -> None:
    # LMSYS ran 256 sequences per GPU at KV 2,000 on EP72 with DP attention: our memory plan must allow it.
    wp = workpoint(catalogue.model("deepseek-v3"), context_tokens=2000, prompt_tokens=2000)
    plan = memory_plan(
        wp.profile, catalogue.gpu("h100-sxm"), kv_bytes_per_seq=wp.kv_bytes_per_seq, gpus=72, layout="dp"
    )
    assert plan.fits and plan.max_seqs_per_gpu >= 256 and plan.attention_layout == "dp"


# ---- memory plans vs the SGLang DeepSeek-V4 cookbook (docs/sources.md §10) ------------------------------------


def _plan(catalogue: Catalogue, model: str, gpu: str, precision: serving.PrecisionPlan) -> serving.MemoryPlan:
    wp = workpoint(catalogue.model(model), precision, context_tokens=8192, prompt_tokens=2048)
    return memory_plan(wp.profile, catalogue.gpu(gpu), kv_bytes_per_seq=wp.kv_bytes_per_seq)


def test_v4_pro_fp8_needs_16_h200(catalogue: Catalogue) -> None:
    # docs/sources.md §10 (SGLang V4 cookbook): V4-Pro in FP8 needs 16 × H200 (two nodes). Neither layout fits 8:
    # 1.6 TB of FP8 weights > 8 × 126.9 GB usable. At 16 the TP8 × 2 layout holds more sequences than DP16
    # (DP16 keeps 24 GB of non-expert weights on every GPU and leaves 3 GB of KV room).
    plan = _plan(catalogue, "deepseek-v4-pro", "h200", "fp8")
    assert plan.gpus == 16 and plan.fits
    assert (plan.attention_layout, plan.tp_size) == ("tp", 8)
    for layout in ("dp", "tp"):
        wp = workpoint(catalogue.model("deepseek-v4-pro"), "fp8", context_tokens=8192, prompt_tokens=2048)
        plan8 = memory_plan(
            wp.profile, catalogue.gpu("h200"), kv_bytes_per_seq=wp.kv_bytes_per_seq, gpus=8, layout=layout
        )
        assert not plan8.fits, layout


def test_v4_pro_fp4_experts_fits_8_h200_with_attention_tp(catalogue: Catalogue) -> None:
    """docs/sources.md §10 (SGLang V4 cookbook): V4-Pro with FP4 experts runs on 8 × H200. Our auto plan finds 8.

    It needs attention tensor parallelism: under TP8 each GPU holds 1/8 of the 27 GB of attention,
    shared-expert and embedding weights + 1/8 of the 822 GB of FP4 experts = 106 GB, leaving 21 GB of KV room
    of the 126.9 GB usable (141 GB less the 10 % reserve). Attention data-parallel (what LMSYS ran) keeps all
    27 GB on every GPU: 130 GB per GPU does not fit, so DP alone needs 16.
    """
    plan = _plan(catalogue, "deepseek-v4-pro", "h200", "native")  # native = the checkpoint's FP4 experts
    assert (plan.gpus, plan.attention_layout, plan.tp_size, plan.fits) == (8, "tp", 8, True)
    assert 100e9 < plan.weights_bytes_per_gpu < 110e9
    wp = workpoint(catalogue.model("deepseek-v4-pro"), context_tokens=8192, prompt_tokens=2048)
    dp8 = memory_plan(wp.profile, catalogue.gpu("h200"), kv_bytes_per_seq=1.0, gpus=8, layout="dp")
    assert not dp8.fits and 125e9 < dp8.weights_bytes_per_gpu < 135e9
    dp = memory_plan(wp.profile, catalogue.gpu("h200"), kv_bytes_per_seq=wp.kv_bytes_per_seq, layout="dp")
    assert dp.gpus == 16 and dp.attention_layout == "dp"


def test_attention_tp_replicates_the_single_latent_kv_head(catalogue: Catalogue) -> None:
    # V4 has one shared latent KV head: under attention TP every rank of a group holds the same sequences'
    # KV, so a group holds what ONE GPU's KV room holds, not tp_size times that.
    wp = workpoint(catalogue.model("deepseek-v4-pro"), context_tokens=8192, prompt_tokens=2048)
    plan = memory_plan(wp.profile, catalogue.gpu("h200"), kv_bytes_per_seq=wp.kv_bytes_per_seq, layout="tp")
    assert plan.gpus == 8 and plan.tp_size == 8 and plan.kv_copies == 8
    per_gpu = int(plan.kv_room_bytes_per_gpu // wp.kv_bytes_per_seq)
    assert plan.max_seqs_per_gpu == per_gpu
    assert plan.max_batch == per_gpu  # one TP group of 8: not 8 × per_gpu
    # two groups (TP8 × 2 on 16 GPUs) hold twice as many
    p16 = memory_plan(
        wp.profile, catalogue.gpu("h200"), kv_bytes_per_seq=wp.kv_bytes_per_seq, gpus=16, layout="tp"
    )
    assert p16.max_batch == 2 * int(p16.kv_room_bytes_per_gpu // wp.kv_bytes_per_seq)
    # V3's config lists 128 KV heads, but MLA caches ONE latent per token: replicated too, not split 8 ways
    v3 = workpoint(catalogue.model("deepseek-v3"), context_tokens=4096, prompt_tokens=2048)
    p3 = memory_plan(
        v3.profile, catalogue.gpu("h200"), kv_bytes_per_seq=v3.kv_bytes_per_seq, gpus=8, layout="tp"
    )
    assert p3.kv_copies == 8 and p3.max_batch == int(p3.kv_room_bytes_per_gpu // v3.kv_bytes_per_seq)


def test_attention_tp_all_reduce_in_the_roofline(catalogue: Catalogue) -> None:
    # 2 all-reduces per layer of the group's BF16 activations; a ring sends 2(t−1)/t of it per rank:
    # per GPU-token 2 · L · 2(t−1) · h · 2 bytes over scale-up (single node: no scale-out all-to-all).
    m, g = catalogue.model("deepseek-v4-pro"), catalogue.gpu("h200")
    wp = workpoint(m, context_tokens=8192, prompt_tokens=2048)
    eff = EFFICIENCY["base"]
    b = np.array([4.0, 16.0])
    st_tp = serving.decode_step_times(wp, g, 8, b, eff, tp=8)
    c = m.config
    assert c is not None
    assert g.scale_up_gb_per_s is not None
    per_tok = (
        2
        * c.num_hidden_layers
        * 2
        * 7
        * c.hidden_size
        * 2
        / (g.scale_up_gb_per_s * 1e9 * eff.link_efficiency)
    )
    assert st_tp.comm_s == pytest.approx(b * per_tok, rel=1e-9)
    # serial with compute/memory at base (not hidden), hidden at the floor
    assert (
        st_tp.total_s
        == pytest.approx(
            np.maximum(st_tp.compute_s, st_tp.memory_s)
            + st_tp.comm_s
            + eff.step_floor_s
            + eff.collective_s * 2 * c.num_hidden_layers
            + eff.sequence_s * b * 8
        )
    )  # plus the fixed step time (the stack's, and over 8 GPUs the latency of two all-reduces per layer) and the
    # per-sequence time of the group's 8·b sequences
    floor = serving.decode_step_times(wp, g, 8, b, EFFICIENCY["floor"], tp=8)
    assert floor.total_s == pytest.approx(np.maximum(floor.compute_s, floor.memory_s))
    # every rank reads the replicated latent of the group's 8·b sequences: more KV bytes than DP at equal b
    st_dp = serving.decode_step_times(wp, g, 8, b, eff, tp=1)
    weights_tp = wp.profile.replicated_read_bytes / 8
    weights_dp = wp.profile.replicated_read_bytes
    hbm = g.hbm_tb_per_s * 1e12 * eff.decode_mbu  # type: ignore[operator]
    assert (st_tp.memory_s - st_dp.memory_s) * hbm == pytest.approx(
        weights_tp - weights_dp + 7 * b * wp.kv_read_bytes_per_token, rel=1e-9
    )


def test_serving_estimate_uses_the_chosen_layout(catalogue: Catalogue) -> None:
    wp = workpoint(catalogue.model("deepseek-v4-pro"), context_tokens=8192, prompt_tokens=2048)
    g = catalogue.gpu("h200")
    auto, dp = serving.estimate(wp, g), serving.estimate(wp, g, layout="dp")
    assert auto.feasible and auto.memory.gpus == 8 and auto.memory.attention_layout == "tp"
    assert dp.feasible and dp.memory.gpus == 16 and dp.memory.attention_layout == "dp"
    assert auto.max_batch <= auto.memory.max_batch
    assert auto.max_batch_per_gpu * 8 == pytest.approx(auto.max_batch)
    # TP spreads one prompt over the group: TTFT is the group's wall time, not one GPU's
    assert auto.ttft_ms[0] < auto.prefill_gpu_s_per_request[0] * 1e3


def test_v4_pro_on_b200_is_8(catalogue: Catalogue) -> None:
    # docs/sources.md §10: 8 × B200. DP8 already fits and holds more sequences than TP8 (KV replicated 8×).
    plan = _plan(catalogue, "deepseek-v4-pro", "b200", "native")
    assert plan.gpus == 8 and plan.attention_layout == "dp"


def test_v4_flash_fits_2_h200_where_the_cookbook_quotes_4(catalogue: Catalogue) -> None:
    """docs/sources.md §10 (SGLang V4 cookbook): V4-Flash fits 4 × H200. We find 2 already fit, in either layout.

    155 GB of weights: DP2 holds 82 GB per GPU (45 GB KV room), TP2 78 GB (49 GB, but KV replicated on both
    ranks, so fewer sequences): DP2 is chosen. The cookbook quotes a working recipe, not the minimum:
    1 H200 does not fit (155 GB > 127 GB usable).
    """
    plan = _plan(catalogue, "deepseek-v4-flash", "h200", "native")
    assert (plan.gpus, plan.attention_layout) == (2, "dp")
    wp = workpoint(catalogue.model("deepseek-v4-flash"), context_tokens=8192, prompt_tokens=2048)
    tp2 = memory_plan(
        wp.profile, catalogue.gpu("h200"), kv_bytes_per_seq=wp.kv_bytes_per_seq, gpus=2, layout="tp"
    )
    assert tp2.fits and tp2.max_batch < plan.max_batch
    plan4 = memory_plan(wp.profile, catalogue.gpu("h200"), kv_bytes_per_seq=wp.kv_bytes_per_seq, gpus=4)
    assert plan4.fits


def test_mxfp4_scale_overhead_counted(catalogue: Catalogue) -> None:
    from costmodel.attention.compute import component_params

    model = catalogue.model("deepseek-v4-pro")
    p = serving.model_profile(model)
    routed = float(component_params(model)["routed_experts"])
    assert 1.5e12 < routed < 1.6e12  # V4-Pro: 1.6T parameters in all, nearly all in the routed experts
    # MXFP4: half a byte per weight + one 1-byte scale per 32 weights
    assert p.weights_bytes_by_component["routed_experts"] == pytest.approx(routed * (0.5 + 1 / 32), rel=1e-12)


def test_nothing_fits_says_so(catalogue: Catalogue) -> None:
    wp = workpoint(catalogue.model("deepseek-v4-pro"), "bf16", context_tokens=8192, prompt_tokens=2048)
    plan = memory_plan(
        wp.profile, catalogue.gpu("h100-sxm"), kv_bytes_per_seq=wp.kv_bytes_per_seq, max_nodes=2
    )
    assert not plan.fits and "does not fit on up to 2 nodes" in plan.reason


def test_missing_hbm_bandwidth_is_an_honest_row(catalogue: Catalogue) -> None:
    wp = workpoint(catalogue.model("deepseek-v4-flash"), context_tokens=4096, prompt_tokens=2048)
    est = serving.estimate(wp, catalogue.gpu("ascend-910c"))
    assert not est.feasible
    assert est.reason.startswith("cannot estimate: ascend-910c hbm_tb_per_s unknown (")
    assert np.isnan(est.decode_tokens_per_s_per_gpu)


def test_unconfirmed_fields_listed(catalogue: Catalogue) -> None:
    wp = workpoint(catalogue.model("deepseek-v4-pro"), "fp8", context_tokens=4096, prompt_tokens=2048)
    est = serving.estimate(wp, catalogue.gpu("h200"))  # FP8: 16 GPUs, two nodes use scale-out
    assert "scale_out_gb_per_s" in est.unconfirmed_fields


def test_tpot_target_respected_and_caps_batch(catalogue: Catalogue) -> None:
    wp = workpoint(catalogue.model("deepseek-v4-flash"), context_tokens=8192, prompt_tokens=2048)
    loose = serving.estimate(wp, catalogue.gpu("h200"), tpot_ms_target=200)
    tight = serving.estimate(wp, catalogue.gpu("h200"), tpot_ms_target=20)
    assert tight.tpot_ms <= 20 and loose.tpot_ms <= 200
    assert tight.max_batch <= loose.max_batch


def test_measured_rates_replace_the_model(catalogue: Catalogue) -> None:
    w = Workload(requests_per_day=1e6, prompt_tokens=2000, output_tokens=500)
    a = ServingAssumptions()
    opt = SelfHostOption(
        model="deepseek-v4-flash", gpu="h200", measured_prefill_tokens_per_s_per_gpu=1000.0,
        measured_decode_tokens_per_s_per_gpu=100.0,
    )  # fmt: skip
    ev = evaluate_option(opt, w, a, _cat(catalogue))
    est = ev.estimates["base"]
    assert est.decode_tokens_per_s_per_gpu == 100.0
    assert est.prefill_gpu_s_per_request[0] == pytest.approx(2.0)
    assert set(est.measured) == {"prefill", "decode"}


def test_speculative_decoding_cuts_latency_at_small_batch(catalogue: Catalogue) -> None:
    # Memory-bound at batch 1: verifying 2 tokens costs about one step, emitting 1.7 → lower TPOT.
    # (At large, compute-bound batches MTP doubles the work for 1.7× the tokens: no throughput gain; not asserted.)
    m, g = catalogue.model("deepseek-v4-pro"), catalogue.gpu("b200")
    plain = serving.estimate(workpoint(m, context_tokens=8192, prompt_tokens=2048), g, decode_batch_per_gpu=1)
    spec = serving.estimate(
        workpoint(m, context_tokens=8192, prompt_tokens=2048, speculative=True), g, decode_batch_per_gpu=1
    )
    assert spec.tpot_ms < plain.tpot_ms
    assert spec.memory.weights_bytes > plain.memory.weights_bytes  # the MTP layer is loaded


def test_mtp_draft_tokens_of_a_scenario_reach_the_estimate(catalogue: Catalogue) -> None:
    """ServingAssumptions.mtp_draft_tokens: V4-Flash on H200 at a 20 ms TPOT target is memory- and step-time-bound
    (decode bound "memory"), so verifying more drafts per step costs little and each step emits 1 + 0.8 K tokens:
    the batch meeting the target and the throughput per GPU rise with K; without speculative decoding K is unused."""
    w = Workload(requests_per_day=1e6, prompt_tokens=2000, output_tokens=500)
    opt = SelfHostOption(model="deepseek-v4-flash", gpu="h200")

    def base(spec: bool, k: int) -> serving.ServingEstimate:
        a = ServingAssumptions(
            speculative_decoding=spec, mtp_draft_tokens=k, mtp_acceptance=0.8, tpot_ms_target=20
        )
        return evaluate_option(opt, w, a, _cat(catalogue)).estimates["base"]

    off1, off3 = base(False, 1), base(False, 3)
    assert off1.decode_tokens_per_s_per_gpu == off3.decode_tokens_per_s_per_gpu
    rates = [base(True, k) for k in (1, 2, 3)]
    assert all(e.tpot_ms <= 20 and e.decode_bound == "memory" for e in rates)
    assert off1.decode_tokens_per_s_per_gpu < rates[0].decode_tokens_per_s_per_gpu
    assert rates[0].decode_tokens_per_s_per_gpu < rates[1].decode_tokens_per_s_per_gpu
    assert rates[1].decode_tokens_per_s_per_gpu < rates[2].decode_tokens_per_s_per_gpu
    with pytest.raises(ValueError, match="mtp_draft_tokens"):
        ServingAssumptions(mtp_draft_tokens=0)


# ---- cost and monotonicity -----------------------------------------------------------------------------


def _cat(catalogue: Catalogue) -> Catalogue:
    return catalogue


def _scenario(rpd: float, cache: float = 0.5, **opt: object) -> Scenario:
    return Scenario(
        workload=Workload(
            requests_per_day=rpd, prompt_tokens=3000, output_tokens=400, cache_hit_fraction=cache
        ),
        self_host_options=(SelfHostOption(**{"model": "deepseek-v4-flash", "gpu": "h200", **opt}),),  # type: ignore[arg-type]
        as_of=AS_OF,
    )


def test_self_host_rows_columns_and_band(catalogue: Catalogue) -> None:
    df = self_host_rows(_scenario(1e6), catalogue)
    row = df.iloc[0]
    assert row["kind"] == "self_host" and row["feasible"]
    for col in (
        "option",
        "monthly_cost_usd",
        "usd_per_mtok_input",
        "usd_per_mtok_output",
        "gpus",
        "utilization",
    ):
        assert col in df.columns
    assert row["monthly_cost_usd_floor"] <= row["monthly_cost_usd"] <= row["monthly_cost_usd_pessimistic"]
    assert row["monthly_cost_usd_optimistic"] <= row["monthly_cost_usd"]
    assert row["price_ids"] == "h200-spheron-2026-03"
    # the two shares add up to the bill
    w = _scenario(1e6).workload
    mtok_in = 1e6 * w.days_per_month * 3000 / 1e6
    mtok_out = 1e6 * w.days_per_month * 400 / 1e6
    assert row["usd_per_mtok_input"] * mtok_in + row["usd_per_mtok_output"] * mtok_out == pytest.approx(
        row["monthly_cost_usd"]
    )


def test_autoscaled_never_costs_more_than_always_on(catalogue: Catalogue) -> None:
    on = self_host_rows(_scenario(3e6), catalogue).iloc[0]
    auto = self_host_rows(_scenario(3e6, mode="autoscaled"), catalogue).iloc[0]
    assert auto["monthly_cost_usd"] <= on["monthly_cost_usd"]


@given(st.floats(1e3, 1e8), st.floats(1.0, 10.0))
def test_more_traffic_never_needs_fewer_gpus(rpd: float, factor: float) -> None:
    from costmodel.catalog import load_catalogue

    cat = _CAT or load_catalogue()
    for mode in ("always_on", "autoscaled"):
        a = self_host_rows(_scenario(rpd, mode=mode), cat).iloc[0]
        b = self_host_rows(_scenario(rpd * factor, mode=mode), cat).iloc[0]
        assert b["gpus"] >= a["gpus"] and b["gpus_mean"] >= a["gpus_mean"] - 1e-9
        assert b["monthly_cost_usd"] >= a["monthly_cost_usd"] - 1e-6


_CAT: Catalogue | None = None


@pytest.fixture(autouse=True)
def _share_catalogue(catalogue: Catalogue) -> None:
    global _CAT
    _CAT = catalogue


@pytest.mark.parametrize("speed", [1.0, 1.3, 2.0, 4.0])
@pytest.mark.parametrize("rpd", [1e5, 1e6, 1e7])
def test_faster_gpu_same_price_never_costs_more(catalogue: Catalogue, speed: float, rpd: float) -> None:
    g = catalogue.gpu("h200")
    fast = g.model_copy(
        update={
            "id": "h200-fast",
            "bf16_tflops": g.bf16_tflops * speed,  # type: ignore[operator]
            "fp8_tflops": g.fp8_tflops * speed,  # type: ignore[operator]
            "hbm_tb_per_s": g.hbm_tb_per_s * speed,  # type: ignore[operator]
            "scale_up_gb_per_s": g.scale_up_gb_per_s * speed,  # type: ignore[operator]
            "scale_out_gb_per_s": g.scale_out_gb_per_s * speed,  # type: ignore[operator]
        }
    )
    cat = catalogue.model_copy(update={"gpus": (*catalogue.gpus, fast)})
    base = self_host_rows(_scenario(rpd, gpu="h200", usd_per_gpu_hour=4.0), cat).iloc[0]
    quick = self_host_rows(_scenario(rpd, gpu="h200-fast", usd_per_gpu_hour=4.0), cat).iloc[0]
    assert quick["monthly_cost_usd"] <= base["monthly_cost_usd"] + 1e-6


@pytest.mark.parametrize(
    "model,gpu", [("deepseek-v4-flash", "h200"), ("deepseek-v4-pro", "b200"), ("deepseek-v3", "h100-sxm")]
)
def test_higher_cache_hit_never_raises_self_host_cost(catalogue: Catalogue, model: str, gpu: str) -> None:
    s = _scenario(2e6, model=model, gpu=gpu, mode="autoscaled")
    hits = np.linspace(0, 1, 41)
    ev = evaluate_option(
        s.self_host_options[0], s.workload, s.assumptions, catalogue, cache_hit_fractions=hits
    )
    for level in ("low", "base", "high", "floor"):
        cost = ev.cache_costs[level]
        assert cost is not None
        assert np.all(np.diff(cost.monthly_cost_usd) <= 1e-6)
    m = catalogue.model(model)
    w = s.workload
    wp = workpoint(
        m, context_tokens=w.prompt_tokens + w.output_tokens / 2, prompt_tokens=w.prompt_tokens,
        cached_tokens=hits * w.prompt_tokens,
    )  # fmt: skip
    pf = serving.estimate(wp, catalogue.gpu(gpu)).prefill_gpu_s_per_request
    assert np.all(np.diff(pf) <= 0) and pf[-1] < pf[0]


def test_closed_model_row_is_infeasible(catalogue: Catalogue) -> None:
    df = self_host_rows(_scenario(1e5, model="claude-opus-4.6"), catalogue)
    assert not df.iloc[0]["feasible"] and "closed weights" in df.iloc[0]["reason"]


def test_unpriced_gpu_row_says_why(catalogue: Catalogue) -> None:
    df = self_host_rows(_scenario(1e5, gpu="mi355x"), catalogue)
    assert "no rental price for mi355x" in df.iloc[0]["reason"]
    assert np.isnan(df.iloc[0]["monthly_cost_usd"])


def test_disaggregated_pools_rounded_separately() -> None:
    hourly = np.full((7, 24), 100.0)
    co = serving.fleet_cost(hourly, 10.0, 30.0, deployment_gpus=2, usd_per_gpu_hour=1.0, days_per_month=28)
    dis = serving.fleet_cost(
        hourly, 10.0, 30.0, deployment_gpus=2, usd_per_gpu_hour=1.0, days_per_month=28, disaggregated=True
    )
    # 100 req/h × 40 GPU-s = 1.11 GPUs → 1 deployment (2 GPUs); disaggregated: 1 + 1 deployments
    assert float(co.gpus_peak) == 2 and float(dis.gpus_peak) == 4
    assert float(co.monthly_cost_usd) == pytest.approx(2 * 168 * 4)  # 2 GPUs × 168 h × 4 weeks × $1


# ---- CLI -----------------------------------------------------------------------------------------------


def test_cli_serve_json(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--model", "deepseek-v4-pro", "--gpu", "b200", "--format", "json"]) == 0
    rec = json.loads(capfd.readouterr().out)[0]
    for key in ("gpus", "weights_bytes", "max_batch", "prefill_tokens_per_s_per_gpu",
                "decode_tokens_per_s_per_gpu", "tpot_ms", "ttft_ms", "fits"):  # fmt: skip
        assert key in rec
    assert rec["gpus"] == 8 and rec["fits"] is True and rec["tpot_ms"] <= 50


def test_cli_serve_fixed_gpus(capfd: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["serve", "--model", "deepseek-v4-flash", "--gpu", "h200", "--gpus", "8", "--format", "json"])
        == 0
    )
    assert json.loads(capfd.readouterr().out)[0]["gpus"] == 8


@pytest.mark.parametrize("layout,gpus,tp", [("auto", 8, 8), ("tp", 8, 8), ("dp", 16, 1)])
def test_cli_serve_layout(capfd: pytest.CaptureFixture[str], layout: str, gpus: int, tp: int) -> None:
    # docs/sources.md §10: V4-Pro (FP4 experts) on 8 × H200 needs attention TP; DP attention needs 16.
    argv = ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--layout", layout, "--format", "json"]
    assert main(argv) == 0
    rec = json.loads(capfd.readouterr().out)[0]
    assert (rec["gpus"], rec["tp_size"], rec["fits"]) == (gpus, tp, True)
    assert rec["attention_layout"] == ("dp" if tp == 1 else "tp")


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--model", "nope", "--gpu", "h200"],
        ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--gpus", "0"],
        ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--context", "abc"],
        ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--tpot-ms", "-1"],
        ["serve", "--model", "claude-opus-4.6", "--gpu", "h200"],
    ],
)
def test_cli_serve_bad_input_one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1


def test_cli_serve_bad_layout_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    # argparse choices: status 2 with one line (main returns it; it does not raise SystemExit)
    assert main(["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--layout", "pp"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "--layout" in err and err.count("\n") == 1


def test_auto_layout_costs_the_cheaper_of_dp_and_tp(catalogue: Catalogue) -> None:
    """V4-Pro with FP4 experts on H200 fits 8 GPUs only with attention TP (docs/sources.md §10 cookbook: 8 x H200)
    and 16 with DP; ``auto`` must price whichever is cheaper for the workload, at low and at high volume."""
    for requests_per_day in (2_000.0, 5_000_000.0):
        w = Workload(requests_per_day=requests_per_day, prompt_tokens=2000, output_tokens=500)
        costs = {}
        for layout in ("auto", "dp", "tp"):
            opt = SelfHostOption(model="deepseek-v4-pro", gpu="h200", attention_layout=layout)
            s = Scenario(workload=w, api_options=[], self_host_options=[opt], as_of=dt.date(2026, 11, 28))
            row = self_host_rows(s, catalogue).iloc[0]
            costs[layout] = (float(row["monthly_cost_usd"]), str(row["attention_layout"]))
        assert costs["dp"][1] == "dp" and costs["tp"][1].startswith("tp")
        assert costs["auto"][0] == pytest.approx(min(costs["dp"][0], costs["tp"][0]), rel=1e-12)


def test_self_host_rows_carry_provenance_and_unconfirmed_inputs(catalogue: Catalogue) -> None:
    """The rental row's confidence and every unconfirmed input (GPU fields, the borrowed Kimi K2 config —
    data/models.yaml marks kimi-k2.6 ``config`` unconfirmed) are labelled in the row that uses them."""
    w = Workload(requests_per_day=100_000, prompt_tokens=2000, output_tokens=500)
    opts = [
        SelfHostOption(model="kimi-k2.6", gpu="h200"),
        SelfHostOption(model="deepseek-v4-flash", gpu="h100-sxm"),
        SelfHostOption(model="deepseek-v4-flash", gpu="h200", usd_per_gpu_hour=3.0),
    ]
    s = Scenario(workload=w, api_options=[], self_host_options=opts, as_of=dt.date(2026, 11, 28))
    df = self_host_rows(s, catalogue)
    kimi, h100, custom = (df.iloc[i] for i in range(3))
    assert "kimi-k2.6.config" in kimi["unconfirmed_fields"]
    assert kimi["price_confidence"] == "third_party"
    # the most recent on-demand H100 row (2026-05-31 median, not the older and cheaper March index)
    assert h100["price_ids"] == "h100-sxm-median-2026-05" and h100["usd_per_gpu_hour"] == 2.95
    assert custom["price_confidence"] == "user input" and custom["usd_per_gpu_hour"] == 3.0


@pytest.mark.parametrize("requests_per_day", [1e-304, 5e-324])
def test_vanishing_volume_gives_no_infinite_price_per_token(
    catalogue: Catalogue, requests_per_day: float
) -> None:
    """Found by fuzzing: 1e-304 requests a day made USD per M tokens infinite on an always-on fleet; the
    smallest positive float (5e-324: the monthly token count underflows to 0) divided by zero. A scenario now
    refuses fewer than MIN_REQUESTS_PER_DAY (1e-300 once showed "$0"), but the model still guards it: the
    break-even search evaluates volumes down to X_MIN × that minimum, so the guard is tested on a constructed
    (unvalidated) workload."""
    with pytest.raises(ValueError, match=r"greater than or equal to 0\.001"):
        Workload(requests_per_day=requests_per_day, prompt_tokens=2000, output_tokens=500)
    valid = Workload(requests_per_day=1, prompt_tokens=2000, output_tokens=500).model_dump()
    w = Workload.model_construct(**{**valid, "requests_per_day": requests_per_day})
    s = Scenario(
        workload=w,
        api_options=[],
        self_host_options=[SelfHostOption(model="deepseek-v4-flash", gpu="h200")],
        as_of=dt.date(2026, 11, 28),
    )
    row = self_host_rows(s, catalogue).iloc[0]
    assert row["monthly_cost_usd"] > 0  # the fleet is still rented
    assert row["usd_per_mtok_blended"] is None and "too small" in row["notes"]
    for col in (
        "usd_per_mtok_input",
        "usd_per_mtok_output",
    ):  # empty, or a (huge) finite price: never inf/NaN
        assert row[col] is None or math.isfinite(row[col]), (col, row[col])


def test_serve_with_fixed_gpus_means_attention_data_parallel(capsys: pytest.CaptureFixture[str]) -> None:
    """``--gpus N`` spreads experts over N GPUs with attention data-parallel. V4-Pro (FP4 experts)
    on 8 x H200 does not fit that way (130 GB per GPU, docs/calibration.md); ``--layout tp`` does fit."""
    assert (
        main(["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--gpus", "8", "--format", "json"]) == 0
    )
    rec = json.loads(capsys.readouterr().out)
    rec = rec[0] if isinstance(rec, list) else rec
    assert rec["attention_layout"] == "dp" and rec["fits"] is False
    argv = [
        "serve",
        "--model",
        "deepseek-v4-pro",
        "--gpu",
        "h200",
        "--gpus",
        "8",
        "--layout",
        "tp",
        "--format",
        "json",
    ]
    assert main(argv) == 0
    rec = json.loads(capsys.readouterr().out)
    rec = rec[0] if isinstance(rec, list) else rec
    assert rec["attention_layout"] == "tp" and rec["fits"] is True


def test_kimi_k26_int4_experts_fit_one_h200_node(catalogue: Catalogue) -> None:
    """Kimi K2.5/K2.6 ship quantisation-aware INT4 routed experts (docs/sources.md §9, §11): 1.04T parameters at
    0.5 + 2/32 bytes for the experts fit 8 x H200 (the FP8 reading refused it: 140.9 GB per GPU)."""
    m = catalogue.model("kimi-k2.6")
    assert m.weight_precision is not None and m.weight_precision["routed_experts"] == "int4"
    wp = workpoint(m, context_tokens=8192, prompt_tokens=2048)
    plan = memory_plan(
        wp.profile, catalogue.gpu("h200"), kv_bytes_per_seq=wp.kv_bytes_per_seq, gpus=8, layout="dp"
    )
    assert plan.fits and plan.weights_bytes_per_gpu < 100e9
    assert serving.BYTES_PER_PARAM["int4"] == 0.5 + 2 / 32
    # INT4 weight-only experts run at the BF16 rate (W4A16 kernels): no FP8 speed-up is assumed
    assert serving.model_profile(m).linear_flops_by_precision["int4"] > 0
