"""``costmodel price``: one request at one instant, on the catalogue's rows (data/prices.yaml)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from costmodel.catalog import load_catalogue
from costmodel.cli.main import main
from costmodel.pricing.request_price import parse_instant, price_request
from costmodel.pricing.resolve import NoPriceYetError, PricingError

CAT = load_catalogue()
UTC = dt.UTC


def test_v4_pro_peak_monday_hand_computed() -> None:
    # deepseek-v4-pro-peak-2026-08: hit 0.044, miss 1.32, out 3.96 USD/M; Monday 02:00 UTC is inside 01-04 UTC.
    # 8,000 x 0.044 + 2,000 x 1.32 + 1,000 x 3.96 = 352 + 2,640 + 3,960 = 6,952 USD per 1e6 requests-tokens
    r = price_request(CAT, "deepseek-v4-pro", dt.datetime(2026, 9, 14, 2, tzinfo=UTC), input_tokens=10_000,
                      cached_tokens=8_000, output_tokens=1_000)  # fmt: skip
    assert r.window == "peak"
    assert r.price_id == "deepseek-v4-pro-peak-2026-08"
    assert r.usd == pytest.approx(0.006952, rel=1e-12)
    assert (r.usd_per_mtok_input_cache_hit, r.usd_per_mtok_input_cache_miss, r.usd_per_mtok_output) == (
        0.044,
        1.32,
        3.96,
    )


def test_saturday_same_hour_is_off_peak_half() -> None:
    # 2026-09-12 is a Saturday: the Monday-Friday rule bills it off-peak, half of the Monday figure above
    r = price_request(CAT, "deepseek-v4-pro", parse_instant("2026-09-12T02:00Z"), input_tokens=10_000,
                      cached_tokens=8_000, output_tokens=1_000)  # fmt: skip
    assert r.at.strftime("%A") == "Saturday"
    assert r.window == "off_peak"
    assert r.multiplier == 0.5
    assert r.usd == pytest.approx(0.003476, rel=1e-12)
    assert "Mon-Fri" in r.record()["notes"]


@pytest.mark.parametrize(
    ("when", "window"),
    [
        ("2026-09-14T00:59Z", "off_peak"),
        ("2026-09-14T01:00Z", "peak"),
        ("2026-09-14T03:59Z", "peak"),
        ("2026-09-14T04:00Z", "off_peak"),  # windows are [start, end)
        ("2026-09-14T09:30Z", "peak"),
        ("2026-09-14T10:00Z", "off_peak"),
        ("2026-09-14T17:30+08:00", "peak"),  # 09:30 UTC: an offset is converted
    ],
)
def test_window_edges(when: str, window: str) -> None:
    assert price_request(CAT, "deepseek-v4-pro", parse_instant(when), output_tokens=1).window == window


def test_flat_row_and_context_tier() -> None:
    # minimax-m3-list: above 524,288 prompt tokens the tier's 0.60 / 2.40 apply to the whole request
    r = price_request(CAT, "minimax-m3", parse_instant("2026-09-14T02:00Z"), input_tokens=600_000,
                      output_tokens=1_000)  # fmt: skip
    assert r.window == "flat"
    assert r.context_tier_above_prompt_tokens == 524_288
    assert r.usd == pytest.approx((600_000 * 0.60 + 1_000 * 2.40) / 1e6)


def test_promotion_basis() -> None:
    r = price_request(CAT, "deepseek-v4-pro", parse_instant("2026-06-01T12:00Z"), output_tokens=1_000_000,
                      price_basis="promotion")  # fmt: skip
    assert r.price_id == "deepseek-v4-pro-promo-75"
    assert r.usd == pytest.approx(0.87)


def test_before_first_price_is_a_clear_error() -> None:
    with pytest.raises(
        NoPriceYetError, match=r"no price on record for moonshot/kimi-k2\.6 before 2026-06-01"
    ):
        price_request(CAT, "kimi-k2.6", parse_instant("2026-05-01"), output_tokens=1)


def test_unknown_model_and_provider() -> None:
    with pytest.raises(PricingError, match="no price rows for model 'nope'"):
        price_request(CAT, "nope", parse_instant("2026-09-14"))
    with pytest.raises(PricingError, match="unknown API option nobody/deepseek-v4-pro"):
        price_request(CAT, "deepseek-v4-pro", parse_instant("2026-09-14"), provider="nobody")


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["price", "--model", "deepseek-v4-pro", "--at", "2026-09-12T02:00Z", "--input", "10000",
               "--cached", "8000", "--output", "1000", "--format", "json"])  # fmt: skip
    assert rc == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["usd"] == pytest.approx(0.003476)
    assert rec["window"] == "off_peak"
    assert rec["price_id"] == "deepseek-v4-pro-peak-2026-08"
    assert rec["usd_per_mtok_output"] == pytest.approx(1.98)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--model", "kimi-k2.6", "--at", "2026-05-01"],
            "no price on record for moonshot/kimi-k2.6 before 2026-06-01",
        ),
        (["--model", "deepseek-v4-pro", "--at", "yesterday"], "bad time 'yesterday'"),
        (
            ["--model", "deepseek-v4-pro", "--at", "2026-09-14", "--input", "10", "--cached", "800"],
            "--cached (800)",
        ),
        (["--model", "deepseek-v4-pro", "--at", "2026-09-14", "--input", "-5"], "bad token count"),
        (["--model", "deepseek-v4-pro", "--at", "2026-02-30T00:00Z"], "bad time"),
    ],
)
def test_cli_bad_input_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["price", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
