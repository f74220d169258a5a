"""Published serving measurements (``data/measurements.yaml``): the rows load, cover the published set, say
exactly what they count, match their sources, and a broken row is refused with one line naming it."""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costmodel.catalog import METRIC_PHASE, Catalogue, CatalogueError, Measurement, load_catalogue
from costmodel.cli.main import main
from tests.conftest import DATA

FILE = "measurements.yaml"
_ORIGINAL: dict[str, Any] = yaml.safe_load((DATA / FILE).read_text())

#: The numbered rows of docs/sources.md §11; each must appear in some row's source.
SOURCE_ROWS = {2, 4, 5, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 21, 23, 24, 27, 29, 31}


def _rows(cat: Catalogue) -> dict[str, Measurement]:
    return {m.id: m for m in cat.measurements}


def test_file_loads_and_covers_every_source_row(catalogue: Catalogue) -> None:
    rows = catalogue.measurements
    assert len(rows) >= 19
    cited = {int(n) for m in rows for n in re.findall(r"docs/sources\.md §11 #(\d+)", m.source)}
    assert cited == SOURCE_ROWS
    assert {m.gpu for m in rows} >= {"h100-sxm", "h200", "b200", "gb200", "gb300", "mi300x", "mi355x"}
    assert {m.model for m in rows} >= {"deepseek-v3", "deepseek-v3.2", "deepseek-v4-pro", "kimi-k2.6"}
    for m in rows:
        assert m.source and m.published_text and m.checkpoint
        assert dt.date(2025, 1, 1) <= m.as_of <= dt.date(2026, 11, 30)


def test_metric_and_phase_agree(catalogue: Catalogue) -> None:
    for m in catalogue.measurements:
        assert METRIC_PHASE[m.metric] == m.phase, m.id
        if m.phase == "decode_only":
            assert m.metric.startswith("output_") and "decode" in m.metric, m.id
        elif m.phase == "prefill_only":
            assert m.metric.startswith("input_") and "prefill" in m.metric, m.id
        else:
            assert "decode" not in m.metric and "prefill" not in m.metric, m.id
            assert m.kv_length_tokens is None, m.id
        if m.disaggregated is False:
            assert m.prefill_gpus is None and m.decode_gpus is None, m.id


def _spellings(v: float) -> set[str]:
    """Ways a source may print ``v``: plain, two decimals, or in thousands with a k/K suffix."""
    out = {f"{v:g}", f"{v:.2f}", repr(v).removesuffix(".0"), f"{v / 1000:g}k"}
    return {s.lower() for s in out}


def test_each_value_is_in_its_verbatim_quote(catalogue: Catalogue) -> None:
    for m in catalogue.measurements:
        text = m.published_text.replace(",", "").lower()
        assert any(s in text for s in _spellings(m.measured_value)), (
            m.id,
            m.measured_value,
            m.published_text,
        )


def test_golden_rows_against_the_sources(catalogue: Catalogue) -> None:
    rows = _rows(catalogue)
    # TRT-LLM best-perf doc (docs/sources.md §11 #4): R1 FP8 on 8 x H200, "Per GPU Output Throughput: 1436.1584",
    # total 11489.2671 over 8 GPUs, attention DP8 + EP8, concurrency 1,024.
    r = rows["trtllm-h200x8-r1-fp8-max-throughput"]
    assert (r.gpu, r.gpus_total, r.concurrency, r.mtp) == ("h200", 8, 1024, False)
    assert r.metric == "output_tokens_per_s_per_gpu_all_gpus" and r.measured_value == 1436.1584
    assert math.isclose(11489.2671 / 8, r.measured_value, rel_tol=1e-6)
    # LMSYS 2025-05-05 (#2; docs/sources.md §10): decode 22,282 output tok/s per node of 8 x H100, batch 256, KV 2,000.
    r = rows["lmsys-h100-dsv3-decode-kv2k"]
    assert (r.metric, r.phase, r.measured_value) == (
        "output_tokens_per_s_per_decode_node",
        "decode_only",
        22282,
    )
    assert (r.batch_per_gpu, r.kv_length_tokens, r.decode_gpus) == (256, 2000, 72)
    assert catalogue.gpu(r.gpu).gpus_per_node == 8
    # LMSYS prefill per node (#2): 57,674 / 54,543 / 50,302 at 1K / 2K / 4K prompts on 4 nodes (EP32).
    assert [rows[f"lmsys-h100-dsv3-prefill-{k}"].measured_value for k in ("1k", "2k", "4k")] == [
        57674,
        54543,
        50302,
    ]
    # LMSYS K2 (#7): decode 288k tok/s over 12 decode nodes (96 H200) = 3,000 per decode GPU.
    r = rows["lmsys-h200-k2-decode"]
    assert r.model == "kimi-k2.6" and "K2-Instruct" in r.checkpoint
    assert r.decode_gpus is not None and r.measured_value / r.decode_gpus == 3000
    # LMSYS GB200 part 2 (#17): "26,156 input and 13,386 output tokens per second per GPU" (NVFP4 path).
    assert rows["lmsys-gb200-dsv3-nvfp4-decode"].measured_value == 13386
    assert rows["lmsys-gb200-dsv3-nvfp4-prefill"].measured_value == 26156
    # MLPerf v5.1 GB300 NVL72 (#23): offline "Tokens per second: 420659" generated tokens on 72 GPUs = 5,842.5 per GPU.
    r = rows["mlperf51-gb300x72-r1-offline"]
    assert r.metric == "output_tokens_per_s_all_gpus" and r.measured_value == 420659
    assert r.gpus_total is not None and math.isclose(r.measured_value / r.gpus_total, 5842.49, abs_tol=0.01)
    # InferenceX MI355X V4-Pro (#31): "2,256.1" tok/s/GPU counts TOTAL tokens over all GPUs.
    r = rows["inferencex-mi355x8-v4-pro-fp4-sglang-8k1k"]
    assert (r.model, r.metric, r.measured_value) == (
        "deepseek-v4-pro",
        "total_tokens_per_s_per_gpu_all_gpus",
        2256.1,
    )
    # InferenceX GB300 V4-Pro (#24): 24 prefill + 8 decode GPUs, conc 4,096, 11,055.6 total tok/s/GPU.
    r = rows["inferencex-gb300-v4-pro-fp4-dynamo-vllm-8k1k-max"]
    assert (r.prefill_gpus, r.decode_gpus, r.gpus_total, r.concurrency) == (24, 8, 32, 4096)
    assert r.measured_value == 11055.6


def test_unidentified_source_is_labelled_unconfirmed(catalogue: Catalogue) -> None:
    # docs/sources.md §11 #16 cites "same post as #10", a row missing from the shared reference.
    r = _rows(catalogue)["inferencex-b200x4-kimi-k2.5-nvfp4-vllm-8k1k"]
    assert r.confidence == "unconfirmed" and "as_of" in r.unconfirmed_fields


def test_rack_scale_gpus_are_catalogued(catalogue: Catalogue) -> None:
    # docs/sources.md §6 rack-scale table: GB200 ~186 GB at 8 TB/s, GB300 288 GB at 8 TB/s, one 72-GPU NVLink5 domain.
    gb200, gb300 = catalogue.gpu("gb200"), catalogue.gpu("gb300")
    assert (gb200.hbm_gb, gb200.hbm_tb_per_s, gb200.gpus_per_node) == (186, 8.0, 72)
    assert (gb300.hbm_gb, gb300.hbm_tb_per_s, gb300.gpus_per_node) == (288, 8.0, 72)
    assert gb300.fp4_tflops == 15000 and "fp4_tflops" in gb300.unconfirmed_fields  # "~15 PFLOPS", UNCONFIRMED
    for g in (gb200, gb300):
        assert g.scale_up_gb_per_s == 1800
        assert g.scale_out_gb_per_s is None and "scale_out_gb_per_s" in g.null_reasons
        assert {"bf16_tflops", "fp8_tflops"} <= set(g.unconfirmed_fields)


def test_catalogue_without_measurements_still_builds(catalogue: Catalogue) -> None:
    cat = Catalogue(
        models=catalogue.models, gpus=catalogue.gpus, rentals=catalogue.rentals, prices=catalogue.prices
    )
    assert cat.measurements == ()


# ---- broken rows ------------------------------------------------------------------------------------------------


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    folder = Path(tempfile.mkdtemp(dir=tmp_path)) / "data"
    shutil.copytree(DATA, folder)
    (folder / FILE).write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return folder


def _edit(idx: int, **fields: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_ORIGINAL)
    doc["measurements"][idx].update(fields)
    return doc


def _id(idx: int) -> str:
    return str(_ORIGINAL["measurements"][idx]["id"])


BROKEN: list[tuple[str, dict[str, Any], list[str]]] = [
    ("unknown gpu id", _edit(0, gpu="tpu-v9"), [FILE, _id(0), "field gpu", "tpu-v9"]),
    ("unknown model id", _edit(1, model="gpt-9"), [FILE, _id(1), "field model", "gpt-9"]),
    ("api-only model", _edit(1, model="claude-opus-4.6"), [FILE, _id(1), "field model", "open weights"]),
    ("negative value", _edit(2, measured_value=-5.0), [FILE, _id(2), "measured_value", "greater than 0"]),
    ("infinite value", _edit(2, measured_value=float("inf")), [FILE, _id(2), "measured_value"]),
    ("unknown metric", _edit(3, metric="vibes_per_s"), [FILE, _id(3), "field metric"]),
    ("metric of the wrong phase", _edit(0, phase="e2e"), [FILE, _id(0), "field phase", "decode_only"]),
    ("null without reason", _edit(5, concurrency=None), [FILE, _id(5), "concurrency", "null_reasons"]),
    ("gpus do not add up", _edit(7, gpus_total=100), [FILE, _id(7), "field decode_gpus", "gpus_total"]),
    ("split without disaggregation", _edit(7, disaggregated=False), [FILE, _id(7), "field disaggregated"]),
    (
        "kv length on a prefill row",
        _edit(2, kv_length_tokens=4096),
        [FILE, _id(2), "field phase", "kv_length"],
    ),
    ("zero gpus", _edit(5, gpus_total=0), [FILE, _id(5), "gpus_total"]),
    ("extra field", _edit(4, flavour="spicy"), [FILE, _id(4), "flavour"]),
    ("bad confidence", _edit(4, confidence="vibes"), [FILE, _id(4), "confidence"]),
    ("missing source", _edit(4, source=""), [FILE, _id(4), "source"]),
]


@pytest.mark.parametrize(("case", "doc", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_row_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, doc: dict[str, Any], words: list[str]
) -> None:
    folder = _write(tmp_path, doc)
    with pytest.raises(CatalogueError) as e:
        load_catalogue(folder)
    msg = str(e.value)
    assert "\n" not in msg, f"{case}: message must be one line"
    for w in words:
        assert w in msg, f"{case}: {w!r} not in {msg!r}"
    assert main(["catalog", "validate", "--data", str(folder)]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_duplicate_id_and_missing_file_are_refused(tmp_path: Path) -> None:
    doc = copy.deepcopy(_ORIGINAL)
    doc["measurements"].append(copy.deepcopy(doc["measurements"][0]))
    with pytest.raises(CatalogueError, match=rf"{FILE}: measurements row {_id(0)}: field id: duplicate id"):
        load_catalogue(_write(tmp_path, doc))
    folder = _write(tmp_path, _ORIGINAL)
    (folder / FILE).unlink()
    with pytest.raises(CatalogueError, match="file not found"):
        load_catalogue(folder)
    folder = _write(tmp_path, _ORIGINAL)
    (folder / FILE).write_text('a: &a ["x","x"]\nmeasurements: *a\n')
    with pytest.raises(CatalogueError, match="aliases"):
        load_catalogue(folder)


def test_cli_validate_counts_the_measurements(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "validate"]) == 0
    assert f"{len(_ORIGINAL['measurements'])} measurements" in capsys.readouterr().out


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["NaN", "inf", "", "1e999", "e2e", "decode_only", "h200", "deepseek-v3", "0x10"]),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@pytest.mark.slow  # hypothesis over whole catalogues, ~35 s (`make test-fast` skips it)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), value=junk)
def test_any_single_field_mutation_is_caught_or_valid(
    tmp_path: Path, data: st.DataObject, value: Any
) -> None:
    doc = copy.deepcopy(_ORIGINAL)
    idx = data.draw(st.integers(min_value=0, max_value=len(doc["measurements"]) - 1))
    field = data.draw(st.sampled_from(sorted(doc["measurements"][idx])))
    doc["measurements"][idx][field] = value
    try:
        cat = load_catalogue(_write(tmp_path, doc))
    except CatalogueError as e:
        assert "\n" not in str(e) and FILE in str(e)
        return
    for m in cat.measurements:
        assert METRIC_PHASE[m.metric] == m.phase
        for v in m.model_dump().values():
            if isinstance(v, float):
                assert math.isfinite(v)
