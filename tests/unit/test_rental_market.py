"""GPU prices as a market: the rental rows of facts-2026-12.md §6 and the rules that pick one."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from costmodel.catalog import load_catalogue
from costmodel.cli.main import main
from costmodel.serving.fleet import market_offers, resolve_rental
from costmodel.workload.scenario import SelfHostOption

CAT = load_catalogue()


@pytest.mark.parametrize(("gpu", "want"), [("h100-sxm", 3), ("h200", 3), ("b200", 3), ("mi300x", 2)])
def test_dated_on_demand_providers_since_august(gpu: str, want: int) -> None:
    # dated rows only (the SkyPilot files are undated: their as_of is the day read, marked unconfirmed).
    # MI300X: only Crusoe (gpuhunt, 2026-10-20) and DigitalOcean (2026-10-08) are dated after 2026-08 in §6: a gap.
    providers = {
        r.provider
        for r in CAT.rentals
        if r.market and r.gpu == gpu and r.basis == "on_demand" and r.as_of >= dt.date(2026, 8, 1)
        and "as_of" not in r.unconfirmed_fields
    }  # fmt: skip
    assert len(providers) >= want


def test_skypilot_rows_are_per_gpu_and_both_verda_versions_kept() -> None:
    by_id = {r.id: r for r in CAT.rentals}
    # nebius 8x H200 28.00 per instance-hour / 8 = 3.50 (facts §6/§7.1)
    assert by_id["h200-nebius-on-demand-eu-multi-skypilot"].usd_per_gpu_hour == pytest.approx(3.50)
    a, b = (
        by_id["h200-verda-on-demand-fin-02-fin-03-skypilot-a"],
        by_id["h200-verda-on-demand-fin-02-fin-03-skypilot-b"],
    )
    assert (a.usd_per_gpu_hour, b.usd_per_gpu_hour) == (3.39, 2.59)
    assert "version A" in a.notes and "version B" in b.notes and "as_of" in a.unconfirmed_fields


def test_default_rule_is_unchanged_by_the_market() -> None:
    # the curated row that priced H200 before the market (data/hardware.yaml)
    usd, rid, _, _ = resolve_rental(SelfHostOption(model="deepseek-v4-pro", gpu="h200"), CAT)
    assert (usd, rid) == (4.54, "h200-spheron-2026-03")


def test_rules_cheapest_median_provider() -> None:
    offers = market_offers(CAT, "h200", "on_demand")
    prices = [r.usd_per_gpu_hour for r in offers]
    assert prices == sorted(prices) and min(prices) == 2.59 and max(prices) == 5.40
    # each offer's latest: nebius's 4.50 of 2026-09-25 is replaced by 5.40 of 2026-10-24 (same provider, no region)
    assert 4.50 not in prices

    def price(**kw: object) -> tuple[float, str]:
        usd, rid, _, _ = resolve_rental(SelfHostOption(model="deepseek-v4-pro", gpu="h200", **kw), CAT)  # type: ignore[arg-type]
        return usd, rid

    assert price(rental_rule="cheapest") == (2.59, "h200-verda-on-demand-fin-02-fin-03-skypilot-b")
    assert price(rental_rule="median")[0] == prices[(len(prices) - 1) // 2]
    assert price(rental_rule="provider", rental_provider="Crusoe") == (4.29, "h200-crusoe-on-demand-20261020")
    assert price(rental_rule="cheapest", acquisition="spot")[0] == 1.1865
    assert price(rental_rule="provider", rental_provider="hyperstack", acquisition="reserved")[0] == 2.79


def test_rule_errors_are_one_line() -> None:
    with pytest.raises(ValueError, match="rental_provider go together"):
        SelfHostOption(model="deepseek-v4-pro", gpu="h200", rental_rule="provider")
    with pytest.raises(ValueError, match="not with acquisition buy"):
        SelfHostOption(model="deepseek-v4-pro", gpu="h200", rental_rule="cheapest", acquisition="buy")
    with pytest.raises(ValueError, match="no reserved market row for mi300x"):
        resolve_rental(
            SelfHostOption(
                model="deepseek-v4-pro", gpu="mi300x", rental_rule="cheapest", acquisition="reserved"
            ),
            CAT,
        )


def test_serve_cli_rule_and_bad_rule(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--format", "json"]
    assert main([*argv, "--rental-rule", "provider:nebius"]) == 0
    rec = json.loads(capsys.readouterr().out)[0]
    assert (rec["rental_provider"], rec["usd_per_gpu_hour"]) == ("nebius", 3.5)
    assert rec["usd_per_mtok_output_at_rental"] == pytest.approx(
        3.5 / (rec["output_tokens_per_s_per_gpu"] * 3600) * 1e6
    )
    assert main([*argv, "--rental-rule", "somewhere"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: bad --rental-rule") and err.count("\n") == 1
    assert main([*argv, "--rental-rule", "provider:nobody"]) == 2
    assert "providers: civo, crusoe" in capsys.readouterr().err


def test_compare_cli_shows_the_price_and_its_provider(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "compare",
                "--preset",
                "chat",
                "--as-of",
                "2026-11-01",
                "--format",
                "json",
                "--rental-rule",
                "cheapest",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    rows = rows["table"] if isinstance(rows, dict) else rows
    selfhost = [r for r in rows if r.get("kind") == "self_host" and r.get("gpu") == "h200"]
    assert selfhost and all(
        r["rental_provider"] == "verda" and r["usd_per_gpu_hour"] == 2.59 for r in selfhost
    )
