"""``costmodel rentals import``: SkyPilot v8 vms.csv and gpuhunt CSVs, per GPU-hour, reviewed and applied.
Fixtures: tests/data/rentals/ (origins in its README)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from costmodel.catalog import load_catalogue
from costmodel.cli.main import main
from costmodel.pricing.feeds.names import FeedError
from costmodel.pricing.feeds.rentals import map_gpu, parse_rentals, read_rentals, review_rentals

HERE = Path(__file__).resolve().parents[1] / "data" / "rentals"
NEBIUS = HERE / "skypilot-v8" / "nebius" / "vms.csv"
VERDA = HERE / "skypilot-v8" / "verda-vms.csv"
CRUSOE = HERE / "gpuhunt" / "crusoe.csv"
DATA = Path(__file__).resolve().parents[2] / "data"


def test_h200_8x_at_28_is_3_50_per_gpu_hour() -> None:
    # facts §7.1 sample row: nebius gpu-h200-sxm_8gpu, Price 28.00, SpotPrice 11.60 per instance-hour, 8 GPUs
    feed = read_rentals(NEBIUS, "skypilot")
    assert feed.provider == "nebius"  # from the folder name
    h200 = {r.basis: r.usd_per_gpu_hour for r in feed.rows if r.gpu == "h200"}
    assert h200 == pytest.approx({"on_demand": 3.50, "spot": 1.45})
    review = review_rentals(feed, load_catalogue()).set_index(["gpu", "basis"])
    assert review.loc[("h200", "on_demand"), "status"] == "same"  # data/hardware.yaml has §6's row
    assert review.loc[("h100-sxm", "on_demand"), "usd_per_gpu_hour"] == pytest.approx(
        2.95
    )  # 1x 2.95 = 8x 23.60 / 8


def test_key_by_header_name_and_spot_only_rows() -> None:
    feed = read_rentals(VERDA, "skypilot", "verda")  # another column order (§7.1)
    got = {(r.gpu, r.basis): r.usd_per_gpu_hour for r in feed.rows}
    assert got == pytest.approx(
        {("b200", "on_demand"): 4.89, ("b200", "spot"): 1.712, ("b300", "spot"): 2.447}
    )


def test_gpuhunt_rows_and_spot_flag() -> None:
    feed = read_rentals(CRUSOE, "gpuhunt")
    assert feed.provider == "crusoe"
    got = {(r.gpu, r.basis): r.usd_per_gpu_hour for r in feed.rows}
    assert got == pytest.approx(
        {("h100-sxm", "on_demand"): 3.90, ("h100-sxm", "spot"): 1.60, ("mi300x", "on_demand"): 3.45}
    )


def test_gpu_names() -> None:
    assert map_gpu("H100-80G-SXM5")[0] == "h100-sxm"
    assert map_gpu("H100-80G-PCIe")[0] is None and "PCIe" in map_gpu("H100-80G-PCIe")[1]
    assert map_gpu("A100-80GB-160GB")[0] is None


def test_statuses_new_changed_conflict_unmapped() -> None:
    text = NEBIUS.read_text().replace("28.00", "30.00")  # H200 8x: 3.75 vs our 3.50
    text += (
        "gpu-h100-x_2gpu,H100,2,32,400,7.00,eu-north1,,\n"  # 3.50 per GPU: the file disagrees with its 1x/8x
    )
    review = review_rentals(parse_rentals(text, "skypilot", "nebius"), load_catalogue())
    st = {(r.gpu, r.basis, r.usd_per_gpu_hour): r.status for r in review.itertuples()}
    assert st[("h200", "on_demand", 3.75)] == "changed"
    assert (
        st[("h100-sxm", "on_demand", 3.5)] == "conflict" and st[("h100-sxm", "on_demand", 2.95)] == "conflict"
    )
    assert "unmapped" in set(review["status"])
    other = review_rentals(parse_rentals(NEBIUS.read_text(), "skypilot", "newcloud"), load_catalogue())
    assert set(other["status"]) == {"new", "unmapped"}


def test_apply_appends_dated_rows_then_same(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    before = (data / "hardware.yaml").read_text()
    argv = ["rentals", "import", "--from", "gpuhunt", str(CRUSOE), "--provider", "newcloud", "--data", str(data),
            "--read-on", "2026-12-06", "--format", "json"]  # fmt: skip
    assert main([*argv, "--apply"]) == 0
    assert "applied: 3 new dated row(s)" in capsys.readouterr().err
    after = (data / "hardware.yaml").read_text()
    assert after.startswith(before.split("\n  - id: h800-deepseek-assumption")[0])  # history untouched
    cat = load_catalogue(data)
    new = [r for r in cat.rentals if r.provider == "newcloud"]
    assert len(new) == 3 and all(
        r.market and str(r.as_of) == "2026-12-06" and "as_of" in r.unconfirmed_fields for r in new
    )
    assert len(cat.rentals) == len(load_catalogue().rentals) + 3
    assert main(argv) == 0
    assert {r["status"] for r in json.loads(capsys.readouterr().out)} == {"same"}


@pytest.mark.parametrize(
    "content",
    [b"a,b\n1,2\n", b"\xff\xfe", b"InstanceType,AcceleratorName,AcceleratorCount,Price,Region,SpotPrice\nx,H200,8,1e999,r,\n",
     b'InstanceType,AcceleratorName,AcceleratorCount,Price,Region,SpotPrice\nx,H200,"8\n',
     b"InstanceType,AcceleratorName,AcceleratorCount,Price,Region,SpotPrice\nx,H200,8\n",
     b"InstanceType,AcceleratorName,AcceleratorCount,Price,Region,SpotPrice\nx,H200,8,nan,r,\n", b"\x00\x00"],
)  # fmt: skip
def test_hostile_files_are_one_line_exit_2(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "vms.csv"
    f.write_bytes(content)
    assert main(["rentals", "import", "--from", "skypilot", str(f), "--provider", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    with pytest.raises(FeedError):
        read_rentals(f, "skypilot", "x")
