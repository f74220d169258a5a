"""Hostile input refused in one line, by one rule in the CLI, uploads and URL.

Each test here failed before its fix (grouped by kind under the section comments).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import typing
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import annotated_types
import pandas as pd
import pytest
import yaml
from pydantic import BaseModel, ValidationError

from costmodel.catalog import (
    DEFAULT_DATA_DIR,
    CatalogueError,
    Gpu,
    GpuRental,
    Measurement,
    Model,
    ModelConfig,
    PriceSchedule,
    load_catalogue,
    load_models_file,
    parse_models_text,
    stale_rows,
)
from costmodel.catalog.fields import MAX_CATALOGUE_INT
from costmodel.catalog.schema import ContextTier, PeakWindow
from costmodel.catalog.units import parse_token_list
from costmodel.cli.main import main
from costmodel.views.links.query import scenario_from_query, scenario_from_query_string, scenario_to_query
from costmodel.workload.presets import preset, preset_names
from costmodel.workload.scenario import (
    MAX_QUERY_PARAMS,
    Scenario,
    ScenarioError,
    scenario_from_bytes,
    scenario_from_text,
    scenario_to_json,
)

DEFAULT = preset(preset_names()[0], dt.date(2026, 11, 28))
RAW = {
    name: yaml.safe_load((DEFAULT_DATA_DIR / name).read_text()) for name in ("models.yaml", "hardware.yaml")
}
RAW["prices.yaml"] = yaml.safe_load((DEFAULT_DATA_DIR / "prices.yaml").read_text())
RAW["measurements.yaml"] = yaml.safe_load((DEFAULT_DATA_DIR / "measurements.yaml").read_text())


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning (an overflowing cast) is a failure
        code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def model_row(**changes: Any) -> dict[str, Any]:
    """The first open-weights row of data/models.yaml, with a new id and ``changes`` (``config.x`` allowed)."""
    row: dict[str, Any] = copy.deepcopy(next(r for r in RAW["models.yaml"]["models"] if r["open_weights"]))
    row["id"] = "my-upload"
    for key, value in changes.items():
        target = row
        *path, last = key.split(".")
        for p in path:
            target = target[p]
        target[last] = value
    return row


# ---- every integer within what the model and pandas hold ---------------------------------------------


def _int_leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, bool):
        return []
    if isinstance(node, int):
        return [path]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _int_leaves(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _int_leaves(v, (*path, i))]
    return []


ROW_SOURCES: list[tuple[type[BaseModel], str, str]] = [
    (Model, "models.yaml", "models"),
    (Gpu, "hardware.yaml", "gpus"),
    (PriceSchedule, "prices.yaml", "prices"),
    (Measurement, "measurements.yaml", "measurements"),
]


@pytest.mark.parametrize(("cls", "file", "key"), ROW_SOURCES, ids=[k for _, _, k in ROW_SOURCES])
def test_every_integer_of_every_real_row_refuses_a_huge_value(
    cls: type[BaseModel], file: str, key: str
) -> None:
    checked = 0
    for row in RAW[file][key]:
        for path in _int_leaves(row):
            bad = copy.deepcopy(row)
            target = bad
            for p in path[:-1]:
                target = target[p]
            target[path[-1]] = 10**30
            with pytest.raises(ValidationError):
                cls.model_validate(bad)
            checked += 1
    assert checked


def _le(meta: Sequence[Any]) -> Any:
    """The tightest upper bound in pydantic/annotated-types metadata (None without one)."""
    his: list[Any] = []
    for m in meta:
        for x in (m, *getattr(m, "metadata", [])):
            if isinstance(x, annotated_types.Le):
                his.append(x.le)
            elif isinstance(x, annotated_types.Lt):
                his.append(x.lt)
    return min(his) if his else None


def _unbounded_ints(annotation: Any, meta: Sequence[Any] = ()) -> int:
    """How many ``int`` inside ``annotation`` lack an upper bound within MAX_CATALOGUE_INT."""
    if annotation is int:
        bound = _le(meta)
        return 0 if bound is not None and bound <= MAX_CATALOGUE_INT else 1
    if typing.get_origin(annotation) is typing.Annotated:
        base, *more = typing.get_args(annotation)
        return _unbounded_ints(base, [*meta, *more])
    return sum(_unbounded_ints(a) for a in typing.get_args(annotation))


@pytest.mark.parametrize(
    "cls", [Model, ModelConfig, Gpu, GpuRental, PriceSchedule, PeakWindow, ContextTier, Measurement]
)
def test_every_integer_field_has_an_upper_bound_pandas_can_hold(cls: type[BaseModel]) -> None:
    for name, info in cls.model_fields.items():
        if name == "compress_ratios":  # each value must be one of SUPPORTED_COMPRESS_RATIOS (0, 4, 128)
            continue
        assert not _unbounded_ints(info.annotation, info.metadata), (
            f"{cls.__name__}.{name} has no upper bound"
        )


def test_upload_with_a_huge_context_window_is_one_line_naming_the_field() -> None:
    text = yaml.safe_dump({"models": [model_row(context_window_tokens=10**30)]})
    with pytest.raises(CatalogueError) as e:
        parse_models_text(text, "big.yaml")
    msg = str(e.value)
    assert "\n" not in msg and "my-upload" in msg and "context_window_tokens" in msg


def test_a_row_at_its_bounds_goes_into_pandas_as_numbers() -> None:
    from costmodel.catalog.fields import MAX_WINDOW_TOKENS

    row = model_row(context_window_tokens=MAX_WINDOW_TOKENS, max_output_tokens=MAX_WINDOW_TOKENS)
    (m,) = parse_models_text(yaml.safe_dump({"models": [row]}))
    df = pd.DataFrame([m.model_dump()])
    assert df["context_window_tokens"].dtype.kind == "i"


# ---- no wrapped integers in the attention closed forms ---------------------------------------------

HUGE_GQA = """\
models:
  - id: huge-gqa
    name: Huge GQA
    provider: test
    open_weights: true
    attention: gqa
    total_params_b: 1000
    active_params_b: 1000
    context_window_tokens: 1048576
    max_output_tokens: 8192
    weight_precision: {routed_experts: bf16, shared_experts: bf16, dense: bf16}
    source: hostile-input test
    as_of: 2026-11-01
    confidence: derived
    config:
      num_hidden_layers: 10000
      hidden_size: 1048576
      num_attention_heads: 1048576
      num_key_value_heads: 1048576
      head_dim: 1048576
      intermediate_size: 1048576
      vocab_size: 1048576
"""


@pytest.mark.parametrize("fmt", ["json", "csv", "md"])
def test_huge_model_file_prints_its_true_kv_size_not_a_wrapped_int(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    f = tmp_path / "huge.yaml"
    f.write_text(HUGE_GQA)
    code, out, err = run(
        ["attention", "--model-file", str(f), "--context", "1,128K,1M", "--format", fmt], capsys
    )
    assert code == 0, err
    assert err == ""  # no RuntimeWarning
    assert "-9223372036854775808" not in out and "-9.2" not in out
    if fmt == "json":
        rows = json.loads(out)
        for r in rows:  # 10,000 layers x 2^20 KV heads x (2^20 + 2^20) dims x 2 bytes per token
            want = 10_000 * 2**20 * 2**21 * 2 * r["context_tokens"]
            assert r["kv_cache_bytes"] == pytest.approx(want, rel=1e-9)  # JSON keeps 10 significant digits
            assert r["kv_read_bytes_per_token"] > 0 and r["flops_per_token"] > 0


def test_ordinary_models_keep_integer_byte_counts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["attention", "--model", "deepseek-v4-pro", "--context", "1M", "--format", "json"], capsys
    )
    assert code == 0
    assert isinstance(json.loads(out)[0]["kv_cache_bytes"], int)


# ---- overlapping price rows --------------------------------------------------------------------------


def _data_copy(tmp_path: Path, prices: list[dict[str, Any]]) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, folder)
    (folder / "prices.yaml").write_text(yaml.safe_dump({"prices": prices}, sort_keys=False))
    return folder


def test_a_copied_price_row_with_another_price_is_refused_naming_both_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prices = copy.deepcopy(RAW["prices.yaml"]["prices"])
    twin = copy.deepcopy(prices[0])
    twin["id"] = "sneaky-copy"
    twin["usd_per_mtok_output"] = 0.01
    folder = _data_copy(tmp_path, [*prices, twin])
    with pytest.raises(CatalogueError) as e:
        load_catalogue(folder)
    assert prices[0]["id"] in str(e.value) and "sneaky-copy" in str(e.value) and "overlap" in str(e.value)
    line = one_line_error(*run(["catalog", "validate", "--data", str(folder)], capsys)[::2])
    assert "sneaky-copy" in line and prices[0]["id"] in line


def test_periods_that_meet_but_do_not_overlap_are_valid(tmp_path: Path) -> None:
    prices = copy.deepcopy(RAW["prices.yaml"]["prices"])
    open_rows = [p for p in prices if p.get("effective_to") is None]
    base = open_rows[0]
    start = dt.datetime.fromisoformat(str(base["effective_from"]).replace(" ", "T"))
    start = start if start.tzinfo else start.replace(tzinfo=dt.UTC)
    later = copy.deepcopy(base)
    later["id"] = "next-price"
    later["effective_from"] = start + dt.timedelta(days=400)
    base["effective_to"] = start + dt.timedelta(days=400)  # the old row ends the instant the new one starts
    load_catalogue(_data_copy(tmp_path, [*prices, later]))


def test_repo_prices_are_valid() -> None:
    load_catalogue()


# ---- serve beyond the context window -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--prompt-tokens", "16M", "--context", "1K"], "prompt"),
        (["--context", "10M"], "context window"),
        (["--isl", "900K", "--osl", "200K"], "context window"),
        (["--isl", "1K", "--osl", "500K"], "maximum output"),
    ],
)
def test_serve_past_the_window_is_infeasible_with_the_reason(
    capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    code, out, err = run(
        ["serve", "--model", "deepseek-v4-flash", "--gpu", "h200", *args, "--format", "json"], capsys
    )
    assert code == 0, err
    (rec,) = json.loads(out)
    assert rec["fits"] is False and rec["feasible"] is False
    assert words in rec["reason"]


def test_serve_within_the_window_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["serve", "--model", "deepseek-v4-flash", "--gpu", "h200", "--format", "json"], capsys)
    (rec,) = json.loads(out)
    assert code == 0 and rec["fits"] is True and "context window" not in rec["reason"]


# ---- the smaller inconsistencies, one rule per case ----------------------------------------------------

SCENARIO_JSON = scenario_to_json(DEFAULT)


def test_duplicate_keys_are_refused_in_scenario_files_and_model_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dup_json = SCENARIO_JSON.replace('"workload": {', '"workload": {\n    "requests_per_day": 1,', 1)
    dup_yaml = "as_of: 2026-11-28\nas_of: 2026-01-01\n" + "\n".join(
        line
        for line in yaml.safe_dump(json.loads(SCENARIO_JSON)).splitlines()
        if not line.startswith("as_of")
    )
    for text in (dup_json, dup_yaml):
        with pytest.raises(ScenarioError, match="duplicate key"):
            scenario_from_text(text)
    f = tmp_path / "dup.json"
    f.write_text(dup_json)
    assert "duplicate key" in one_line_error(*run(["compare", str(f)], capsys)[::2])
    model = yaml.safe_dump({"models": [model_row()]}, sort_keys=False).replace(
        "  source:", "  source: first\n  source:", 1
    )
    with pytest.raises(CatalogueError, match="duplicate key"):
        parse_models_text(model)


def test_a_url_key_given_twice_is_reported_not_silently_last() -> None:
    s, ignored = scenario_from_query({"rpd": ["1000", "2000"]}, DEFAULT)
    assert ignored == ["rpd"] and s.workload.requests_per_day == DEFAULT.workload.requests_per_day


def test_a_boolean_in_the_hourly_profile_is_refused_as_elsewhere() -> None:
    doc = json.loads(SCENARIO_JSON)
    doc["workload"]["hourly_profile_weekday"] = [True] + [1.0] * 23
    with pytest.raises(ScenarioError, match="boolean"):
        scenario_from_text(json.dumps(doc))
    doc = json.loads(SCENARIO_JSON)
    doc["workload"]["requests_per_day"] = True
    with pytest.raises(ScenarioError, match="boolean"):
        scenario_from_text(json.dumps(doc))
    # and in catalogue rows: true is not 1
    with pytest.raises(CatalogueError, match="boolean"):
        parse_models_text(yaml.safe_dump({"models": [model_row(context_window_tokens=True)]}))
    with pytest.raises(CatalogueError, match="boolean"):
        parse_models_text(yaml.safe_dump({"models": [model_row(**{"config.num_hidden_layers": True})]}))


def test_bom_accepted_and_latin1_refused_the_same_way_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bom = b"\xef\xbb\xbf" + SCENARIO_JSON.encode()
    latin1 = SCENARIO_JSON.replace('"description": "', '"description": "caf\u00e9 ', 1).encode("latin-1")
    # a BOM is dropped: the CLI, the bytes entry and the app's decoded text all accept it
    assert scenario_from_bytes(bom) == DEFAULT
    assert scenario_from_text(bom.decode("utf-8")) == DEFAULT
    f = tmp_path / "bom.json"
    f.write_bytes(bom)
    assert run(["compare", str(f), "--format", "json"], capsys)[0] == 0
    # Latin-1 is refused: by the CLI, by the bytes entry, and when the app decoded it with errors="replace"
    f = tmp_path / "latin1.json"
    f.write_bytes(latin1)
    assert "not UTF-8" in one_line_error(*run(["compare", str(f)], capsys)[::2])
    with pytest.raises(ScenarioError, match="not UTF-8"):
        scenario_from_bytes(latin1)
    with pytest.raises(ScenarioError, match="not UTF-8"):
        scenario_from_text(latin1.decode("utf-8", errors="replace"))
    # model files: the same two rules
    model = yaml.safe_dump({"models": [model_row(notes="caf\u00e9")]}, allow_unicode=True)
    assert parse_models_text("\ufeff" + model)[0].id == "my-upload"
    g = tmp_path / "m.yaml"
    g.write_bytes(model.encode("latin-1"))
    with pytest.raises(CatalogueError, match="not UTF-8"):
        load_models_file(g)
    with pytest.raises(CatalogueError, match="not UTF-8"):
        parse_models_text(model.encode("latin-1").decode("utf-8", errors="replace"))


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["serve", "--model", "deepseek-v4-flash", "--gpu", "h200", "--tpot-ms", "inf"], "--tpot-ms"),
        (["serve", "--model", "deepseek-v4-flash", "--gpu", "h200", "--tpot-ms", "nan"], "--tpot-ms"),
        (["serve", "--model", "deepseek-v4-flash", "--gpu", "h200", "--tpot-ms", "1e6"], "--tpot-ms"),
        (["serve", "--model", "deepseek-v4-flash", "--gpu", "h200", "--gpus", "100001"], "100,000"),
        (["attention", "--model", "deepseek-v4-flash", "--context", "1,,2"], "empty item"),
        (["attention", "--model", "deepseek-v4-flash", "--context", "8K,"], "empty item"),
        (["catalog", "stale", "--max-age-days", "-5"], "max_age_days"),
    ],
)
def test_cli_refuses_what_the_scenario_refuses(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    assert words in one_line_error(*run(argv, capsys)[::2])


def test_token_lists_and_stale_ages_refuse_in_the_library_too() -> None:
    with pytest.raises(ValueError, match="empty item"):
        parse_token_list("1,,2")
    with pytest.raises(ValueError, match="max_age_days"):
        stale_rows(load_catalogue(), dt.date(2026, 11, 28), -5)


def test_unknown_id_messages_have_no_stray_quotes(capsys: pytest.CaptureFixture[str]) -> None:
    cat = load_catalogue()
    with pytest.raises(KeyError) as e:
        cat.gpu("tpu-v9")
    assert str(e.value).startswith("unknown GPU 'tpu-v9'")
    with pytest.raises(KeyError) as e:
        cat.model("nope")
    assert str(e.value).startswith("unknown model 'nope'")
    line = one_line_error(*run(["serve", "--model", "deepseek-v4-flash", "--gpu", "tpu-v9"], capsys)[::2])
    assert line.startswith("error: unknown GPU 'tpu-v9';")


def test_a_url_with_too_many_parameters_says_so() -> None:
    q: dict[str, str] = {**scenario_to_query(DEFAULT), "rpd": "12345"}
    q.update({f"x{i}": "1" for i in range(MAX_QUERY_PARAMS)})
    s, ignored = scenario_from_query(q, DEFAULT)
    assert s == DEFAULT and len(ignored) == 1 and "none was used" in ignored[0]
    raw = "&".join(f"{k}={v}" for k, v in q.items())
    s, ignored = scenario_from_query_string(raw, DEFAULT)  # what Streamlit drops before the app sees it
    assert s == DEFAULT and ignored and "more than 1,000" in ignored[0]
    s, ignored = scenario_from_query_string("?rpd=12345", DEFAULT)
    assert ignored == [] and s.workload.requests_per_day == 12345
    assert isinstance(s, Scenario)


@pytest.mark.parametrize("field", ["source", "checkpoint", "engine", "published_text"])
def test_whitespace_only_text_is_refused(field: str) -> None:
    if field == "source":
        with pytest.raises(CatalogueError, match="blank"):
            parse_models_text(yaml.safe_dump({"models": [model_row(source="   \t")]}))
        return
    row = copy.deepcopy(RAW["measurements.yaml"]["measurements"][0])
    row[field] = "  "
    with pytest.raises(ValidationError, match="blank"):
        Measurement.model_validate(row)


@pytest.mark.parametrize(
    "field", ["measured_prefill_tokens_per_s_per_gpu", "measured_decode_tokens_per_s_per_gpu"]
)
def test_a_subnormal_measured_rate_is_refused(field: str) -> None:
    """Found by the fuzz suite (test_any_scenario_field_set_to_junk): 2.2e-311 tokens/s made TTFT infinite."""
    from pydantic import ValidationError

    from costmodel.workload.scenario import SelfHostOption

    with pytest.raises(ValidationError, match=r"greater than or equal to 0\.001"):
        SelfHostOption(model="deepseek-v4-flash", gpu="h200", **{field: 2.225073858507e-311})
    assert getattr(SelfHostOption(model="deepseek-v4-flash", gpu="h200", **{field: 0.001}), field) == 0.001
