"""Provider economics: cost per token against a hand computation from `costmodel serve`, the allocation rule,
margins, the V3.2 -> V4 story and the GPU (Ascend) table, bad inputs."""

from __future__ import annotations

import dataclasses
import io
import json
import math

import openpyxl
import pytest

from costmodel.attention.compute import flops_per_token
from costmodel.catalog import load_catalogue
from costmodel.cli.main import main
from costmodel.economics import (
    DEEPSEEK_FLEET,
    DEEPSEEK_MIX,
    EconomicsError,
    Fleet,
    TrafficMix,
    economics,
    gpu_hour_price,
    hardware_table,
    price_points,
    token_cost,
)
from costmodel.views.export.economics import SHEETS, TABLES, TITLES, to_json, to_markdown, xlsx_bytes

CAT = load_catalogue()


def test_cost_per_token_matches_a_hand_computation_from_serve_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # `costmodel serve --model deepseek-v4-flash --gpu h200 --isl 8K --osl 1K --format json` gives, with the
    # step-time parameters fitted on the 163 measurement rows with a per-sequence time per software stack (2 x
    # H200, aggregated, attention dp; was 23,088.50 / 1,455.87 with one per-sequence time for both stacks):
    #   prefill_tokens_per_s_per_gpu = 23,068.81   decode_tokens_per_s_per_gpu = 1,578.34
    # At USD 3.00 per GPU-hour and 50 % utilisation a GPU-second of work costs 3.00 / 3600 / 0.5 = USD 0.0016667:
    #   uncached input: 1e6 / 23,068.81 = 43.349 GPU-s per 1M tokens x 0.0016667 = USD 0.07225 per 1M
    #   output:         1e6 / 1,578.34  = 633.58 GPU-s per 1M tokens x 0.0016667 = USD 1.0560 per 1M
    # The test recomputes this from the command's output, so it holds when the serving model moves.
    rc = main(["serve", "--model", "deepseek-v4-flash", "--gpu", "h200", "--isl", "8K", "--osl", "1K",
               "--format", "json"])  # fmt: skip
    assert rc == 0
    rec = json.loads(capsys.readouterr().out)[0]
    usd_per_gpu_s = 3.00 / 3600 / 0.5
    want_input = 1e6 / rec["prefill_tokens_per_s_per_gpu"] * usd_per_gpu_s
    want_output = 1e6 / rec["decode_tokens_per_s_per_gpu"] * usd_per_gpu_s
    fleet = Fleet(gpu="h200", usd_per_gpu_hour=3.00, utilization=0.5)
    c = token_cost("deepseek-v4-flash", fleet, TrafficMix(8192, 1024, 0.0), CAT)
    assert c.feasible and c.gpus == rec["gpus"] and c.mode == rec["mode"]
    assert c.usd_per_mtok("input") == pytest.approx(want_input, rel=1e-9)
    assert c.usd_per_mtok("output") == pytest.approx(want_output, rel=1e-9)
    assert 0.071 < want_input < 0.073 and 1.04 < want_output < 1.07  # the comment's arithmetic


def test_allocation_rule_splits_the_request_gpu_seconds_exactly() -> None:
    mix = TrafficMix(32 * 1024, 2048, 0.6)
    c = token_cost("deepseek-v4-pro", DEEPSEEK_FLEET, mix, CAT)
    p, o = mix.prompt_tokens, mix.output_tokens
    cached = round(p * mix.cached_share)
    for lc in c.levels.values():
        u, k, out = lc.gpu_s_per_token
        total = (p - cached) * u + cached * k + o * out
        assert total == pytest.approx(lc.prefill_gpu_s + o / lc.decode_tokens_per_s_per_gpu, rel=1e-12)
        assert (
            0 < k < u
        )  # a cache hit costs less than an uncached token, but not nothing (attention reads it)
        assert lc.prefill_gpu_s < lc.prefill_gpu_s_uncached
    # the band: high efficiency is the low cost
    for kind in ("input", "cached", "output"):
        assert c.usd_per_mtok(kind, "high") < c.usd_per_mtok(kind, "base") < c.usd_per_mtok(kind, "low")


def test_cost_scales_with_the_gpu_hour_price_and_inversely_with_utilisation() -> None:
    mix = TrafficMix(8192, 1024, 0.3)
    a = token_cost("deepseek-v4-flash", Fleet(gpu="h200", usd_per_gpu_hour=2.0, utilization=0.8), mix, CAT)
    b = token_cost("deepseek-v4-flash", Fleet(gpu="h200", usd_per_gpu_hour=3.0, utilization=0.4), mix, CAT)
    for kind in ("input", "cached", "output"):
        assert b.usd_per_mtok(kind) == pytest.approx(a.usd_per_mtok(kind) * 1.5 * 2.0, rel=1e-12)


def test_deepseek_fleet_uses_the_h800_two_dollar_row() -> None:
    price = gpu_hour_price(DEEPSEEK_FLEET, CAT)
    assert (price.usd, price.rental_id, price.confidence) == (2.0, "h800-deepseek-assumption", "official")


def test_v4_pro_price_points_list_promotion_peak_off_peak() -> None:
    pts = price_points(CAT, "deepseek-v4-pro", 8192)
    got = [(p.row.id, p.row.kind, p.window) for p in pts]
    assert got == [
        ("deepseek-v4-pro-launch-list", "list", "all hours"),
        ("deepseek-v4-pro-promo-75", "promotion", "all hours"),
        ("deepseek-v4-pro-peak-2026-08", "list", "peak"),
        ("deepseek-v4-pro-peak-2026-08", "list", "off-peak"),
        ("deepseek-v4-pro-peak-holidays-2026-09", "list", "peak"),  # the same prices, holidays off-peak
        ("deepseek-v4-pro-peak-holidays-2026-09", "list", "off-peak"),
    ]
    # data/prices.yaml: promo 0.435 / 0.003625 / 0.87; peak 1.32 / 0.044 / 3.96, off-peak x 0.5
    assert pts[1].usd_per_mtok == (0.435, 0.003625, 0.87)
    assert pts[3].usd_per_mtok == pytest.approx((0.66, 0.022, 1.98))


def test_margins_are_price_minus_cost_over_price_with_the_band() -> None:
    ec = economics("deepseek-v4-pro", DEEPSEEK_FLEET, DEEPSEEK_MIX, CAT)
    m = ec.margins
    assert len(m) == 6
    for _, r in m.iterrows():
        for kind in ("input", "cached", "output"):
            price, cost = r[f"price_usd_per_mtok_{kind}"], r[f"cost_usd_per_mtok_{kind}"]
            assert r[f"margin_{kind}_pct"] == pytest.approx((price - cost) / price * 100)
            assert r[f"margin_{kind}_pct_min"] < r[f"margin_{kind}_pct"] < r[f"margin_{kind}_pct_max"]
        assert r["margin_mix_pct_min"] < r["margin_mix_pct"] < r["margin_mix_pct_max"]
    promo = m[m["kind"] == "promotion"].iloc[0]
    listed = m[m["price_id"] == "deepseek-v4-pro-launch-list"].iloc[0]
    assert promo["margin_output_pct"] < listed["margin_output_pct"]  # 75 % off the same cost


def test_efficiency_story_ratios_come_from_the_estimator() -> None:
    ec = economics("deepseek-v4-pro", DEEPSEEK_FLEET, DEEPSEEK_MIX, CAT)
    s = ec.story.set_index(["model", "context_tokens"])
    assert set(s.index.get_level_values(1)) == {8192, 131072, 1048576}
    one_m = 2**20
    want = (
        flops_per_token(CAT.model("deepseek-v4-pro"), one_m)
        / flops_per_token(CAT.model("deepseek-v3.2"), one_m)
    ).item()
    assert s.loc[("deepseek-v4-pro", one_m), "flops_ratio"] == pytest.approx(want)
    # V4's attention pays off with length: its output cost relative to V3.2 falls from 8K to 1M
    assert (
        s.loc[("deepseek-v4-pro", one_m), "output_cost_ratio"]
        < s.loc[("deepseek-v4-pro", 8192), "output_cost_ratio"]
    )
    assert s.loc[("deepseek-v3.2", one_m), "attention_flops_share_decode"] > 0.5
    assert "hypothetical" in s.loc[("deepseek-v3.2", one_m), "notes"]  # beyond V3.2's window, labelled


def test_hardware_table_labels_unknowns_and_never_guesses() -> None:
    hw = hardware_table("deepseek-v4-pro", DEEPSEEK_FLEET, DEEPSEEK_MIX, CAT).set_index("gpu")
    assert list(hw.index) == ["h800", "h20", "h200", "ascend-910c", "ascend-950"]
    assert (
        hw.loc["ascend-910c", "status"].startswith("cannot estimate")
        and "hbm_tb_per_s" in hw.loc["ascend-910c", "status"]
    )
    assert math.isnan(hw.loc["ascend-910c", "usd_per_mtok_output"])
    assert hw.loc["h20", "gpu_confidence"] == "unconfirmed"
    a950 = hw.loc["ascend-950"]
    assert (
        math.isnan(a950["usd_per_mtok_output"]) and a950["decode_tokens_per_s_per_gpu"] > 0
    )  # no price: no cost
    assert "scale_up_gb_per_s" in a950["unconfirmed_fields"]
    assert hw.loc["h800", "break_even_usd_per_gpu_hour"] == pytest.approx(
        2.0
    )  # the reference breaks even at its price


def test_a_stated_price_at_the_break_even_matches_the_reference_cost() -> None:
    hw = hardware_table("deepseek-v4-pro", DEEPSEEK_FLEET, DEEPSEEK_MIX, CAT, gpus=["h800", "ascend-950"])
    be = float(hw.set_index("gpu").loc["ascend-950", "break_even_usd_per_gpu_hour"])
    ref = token_cost("deepseek-v4-pro", DEEPSEEK_FLEET, DEEPSEEK_MIX, CAT)
    f = dataclasses.replace(DEEPSEEK_FLEET, gpu="ascend-950", usd_per_gpu_hour=be, rental_id=None)
    assert token_cost("deepseek-v4-pro", f, DEEPSEEK_MIX, CAT).usd_per_request() == pytest.approx(
        ref.usd_per_request()
    )


@pytest.mark.parametrize(
    ("fleet", "mix", "needle"),
    [
        (Fleet(gpu="h800", utilization=0.0), DEEPSEEK_MIX, "utilisation"),
        (Fleet(gpu="h800", utilization=0.005), DEEPSEEK_MIX, "utilisation"),
        (Fleet(gpu="h800", usd_per_gpu_hour=1e-300), DEEPSEEK_MIX, "GPU-hour cost"),
        (Fleet(gpu="h800", utilization=float("nan")), DEEPSEEK_MIX, "utilisation"),
        (Fleet(gpu="h800", utilization=1.2), DEEPSEEK_MIX, "utilisation"),
        (Fleet(gpu="h800"), TrafficMix(8192, 1024, 1.5), "cached share"),
        (Fleet(gpu="h800"), TrafficMix(0, 1024, 0.5), "prompt tokens"),
        (Fleet(gpu="h800"), TrafficMix(8192, 0, 0.5), "output tokens"),
        (Fleet(gpu="h800", usd_per_gpu_hour=-1.0), DEEPSEEK_MIX, "GPU-hour cost"),
        (Fleet(gpu="h800", gpus=0), DEEPSEEK_MIX, "GPUs per deployment"),
        (Fleet(gpu="h800", tpot_ms=0.0), DEEPSEEK_MIX, "TPOT"),
        (Fleet(gpu="h800", rental_id="b200-spot-2026-03"), DEEPSEEK_MIX, "is for b200"),
        (Fleet(gpu="h800", rental_id="nope"), DEEPSEEK_MIX, "unknown rental"),
    ],
)
def test_bad_inputs_give_one_line(fleet: Fleet, mix: TrafficMix, needle: str) -> None:
    with pytest.raises(EconomicsError) as e:
        token_cost("deepseek-v4-pro", fleet, mix, CAT)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_closed_model_is_refused() -> None:
    with pytest.raises(EconomicsError, match="closed weights"):
        token_cost("claude-opus-4.6", DEEPSEEK_FLEET, DEEPSEEK_MIX, CAT)


def test_exports_hold_every_table() -> None:
    ec = economics("deepseek-v4-flash", DEEPSEEK_FLEET, DEEPSEEK_MIX, CAT)
    payload = json.loads(to_json(ec))
    assert list(payload) == list(TABLES) and payload["margins"]
    md = to_markdown(ec)
    assert all(f"## {TITLES[n]}" in md for n in TABLES)
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(ec)))
    assert len(book.sheetnames) == len(TABLES)
    sheet = book[SHEETS["margins"]]
    assert sheet.cell(1, 1).value == "model" and sheet.max_row == len(ec.margins) + 1


def test_a_fully_cached_prompt_still_computes_its_last_token() -> None:
    mix = TrafficMix(8192, 1024, 1.0)
    c = token_cost("deepseek-v4-pro", DEEPSEEK_FLEET, mix, CAT)
    lc = c.levels["base"]
    assert lc.prefill_gpu_s > 0  # one token computed: 8,191 cache hits, not 8,192
    u, k, out = lc.gpu_s_per_token
    assert 1 * u + 8191 * k + 1024 * out == pytest.approx(
        lc.prefill_gpu_s + 1024 / lc.decode_tokens_per_s_per_gpu
    )


def test_the_sweep_follows_the_price_chosen_and_refuses_an_unknown_one() -> None:
    ec = economics(
        "deepseek-v4-pro",
        DEEPSEEK_FLEET,
        DEEPSEEK_MIX,
        CAT,
        sweep_price="deepseek-v4-pro-promo-75 (all hours)",
    )
    out = ec.sweep[ec.sweep["token_type"] == "output"]
    assert (out["price_usd_per_mtok"] == 0.87).all() and set(out["price"]) == {
        "deepseek-v4-pro-promo-75 (all hours)"
    }
    with pytest.raises(EconomicsError, match="not a price"):
        economics("deepseek-v4-pro", DEEPSEEK_FLEET, DEEPSEEK_MIX, CAT, sweep_price="nope (peak)")
