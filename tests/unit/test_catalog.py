"""Catalogue: every file loads; each kind of broken row is refused with a message naming it."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from costmodel.catalog import Catalogue, CatalogueError, load_catalogue, parse_models_text, stale_rows
from costmodel.cli.main import main
from tests.conftest import DATA

IDS_MODELS = {
    "deepseek-v3",
    "deepseek-v3.2",
    "deepseek-v4-pro",
    "deepseek-v4-flash",
    "deepseek-v4.1-flash",
    "kimi-k2.6",
    "minimax-m3",
    "minimax-m2.5",
    "qwen3-235b-a22b",
    "gpt-oss-120b",
    # open weights whose config is not known: listed for their measurements (reported as not estimated)
    "qwen3-coder-480b-a35b",
    "qwen3.5-397b-a17b",
    "minimax-m2.7",
    "claude-opus-4.6",
}
IDS_GPUS = {
    "h100-sxm",
    "h800",
    "h20",
    "h200",
    "b200",
    "b300",
    "gb200",
    "gb300",
    "mi300x",
    "mi355x",
    "ascend-910c",
    "ascend-950",
}


def test_every_file_loads_with_the_agreed_ids(catalogue: Catalogue) -> None:
    assert {m.id for m in catalogue.models} == IDS_MODELS
    assert {g.id for g in catalogue.gpus} == IDS_GPUS
    # every price names a known model and every rental a known GPU (the loader's cross-check)
    assert {p.model for p in catalogue.prices} <= IDS_MODELS
    assert {r.gpu for r in catalogue.rentals} <= IDS_GPUS
    for row in (*catalogue.models, *catalogue.gpus, *catalogue.rentals, *catalogue.prices):
        assert row.source and row.as_of and row.confidence


def test_spot_values_against_facts(catalogue: Catalogue) -> None:
    # docs/sources.md §1.1 (official config.json of V4-Pro / V4-Flash)
    pro = catalogue.model("deepseek-v4-pro")
    assert pro.config is not None and pro.config.index_topk == 1024 and pro.config.num_hidden_layers == 61
    assert pro.config.compress_ratios is not None
    assert pro.config.compress_ratios.count(128) == 31 and pro.config.compress_ratios.count(4) == 30  # §1.2
    flash = catalogue.model("deepseek-v4-flash")
    assert flash.config is not None and flash.config.index_topk == 512
    assert flash.config.compress_ratios is not None and flash.config.compress_ratios[:2] == (0, 0)
    assert pro.weight_precision == {"routed_experts": "fp4", "shared_experts": "fp8", "dense": "fp8"}
    # docs/sources.md §3.1 (DeepSeek-V3 inference config_671B.json)
    v3 = catalogue.model("deepseek-v3")
    assert v3.config is not None and (v3.config.kv_lora_rank, v3.config.qk_rope_head_dim) == (512, 64)
    # docs/sources.md §6: H200 141 GB at 4.8 TB/s; H800 NVLink 400 GB/s (DeepSeek ISCA'25)
    assert catalogue.gpu("h200").hbm_gb == 141 and catalogue.gpu("h200").hbm_tb_per_s == 4.8
    assert catalogue.gpu("h800").scale_up_gb_per_s == 400
    # docs/sources.md §5.1: V4-Pro launch list 1.74 / 3.48; promotion 0.435 / 0.87; peak schedule 1.32 / 3.96 with 50%
    prices = {p.id: p for p in catalogue.prices}
    assert (
        prices["deepseek-v4-pro-launch-list"].usd_per_mtok_input_cache_miss,
        prices["deepseek-v4-pro-launch-list"].usd_per_mtok_output,
    ) == (1.74, 3.48)
    assert prices["deepseek-v4-pro-promo-75"].kind == "promotion"
    assert prices["deepseek-v4-pro-promo-75"].usd_per_mtok_output == 0.87
    peak = prices["deepseek-v4-pro-peak-2026-08"]
    assert peak.usd_per_mtok_output == 3.96 and peak.off_peak_multiplier == 0.5
    assert peak.effective_from == dt.datetime(2026, 8, 16, 16, tzinfo=dt.UTC)
    # 35 peak hours a week (peers.md: mcp-rubber-duck#148)
    assert sum((w.end_hour_utc - w.start_hour_utc) * len(w.weekdays) for w in peak.peak_windows) == 35
    # docs/sources.md §5.2: MiniMax M3 >512K tier
    assert prices["minimax-m3-list"].context_tiers[0].usd_per_mtok_input_cache_miss == 0.60


def test_kimi_row_says_it_borrows_k2_architecture(catalogue: Catalogue) -> None:
    kimi = catalogue.model("kimi-k2.6")
    assert "K2" in kimi.notes and "ASSUMPTION" in kimi.notes
    assert "config" in kimi.unconfirmed_fields


def _broken_copy(tmp_path: Path, file: str, edit: object) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    data = yaml.safe_load((folder / file).read_text())
    edit(data)  # type: ignore[operator]
    (folder / file).write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def _set(section: str, idx: int, field: str, value: object) -> object:
    def f(d: dict[str, list[dict[str, object]]]) -> None:
        d[section][idx][field] = value

    return f


def _delete(section: str, idx: int, field: str) -> object:
    def f(d: dict[str, list[dict[str, object]]]) -> None:
        del d[section][idx][field]

    return f


def _dup(section: str) -> object:
    def f(d: dict[str, list[dict[str, object]]]) -> None:
        d[section].append(copy.deepcopy(d[section][0]))

    return f


BROKEN = [
    (
        "missing field",
        "hardware.yaml",
        _delete("gpus", 0, "hbm_gb"),
        ["hardware.yaml", "h100-sxm", "hbm_gb", "required"],
    ),
    ("wrong type", "hardware.yaml", _set("gpus", 2, "hbm_gb", "lots"), ["hardware.yaml", "h200", "hbm_gb"]),
    (
        "negative price",
        "prices.yaml",
        _set("prices", 0, "usd_per_mtok_output", -1.1),
        ["prices.yaml", "deepseek-chat-v3-2025-02", "usd_per_mtok_output", "greater than or equal to 0"],
    ),
    (
        "unknown model reference",
        "prices.yaml",
        _set("prices", 1, "model", "gpt-9"),
        ["prices.yaml", "deepseek-chat-v3.2-2025-09", "field model", "gpt-9"],
    ),
    (
        "unknown gpu reference",
        "hardware.yaml",
        _set("rentals", 0, "gpu", "tpu-v9"),
        ["hardware.yaml", "h800-deepseek-assumption", "field gpu", "tpu-v9"],
    ),
    ("duplicate id", "models.yaml", _dup("models"), ["models.yaml", "deepseek-v3", "duplicate id"]),
    (
        "end before start",
        "prices.yaml",
        _set("prices", 0, "effective_to", dt.date(2024, 1, 1)),
        ["prices.yaml", "deepseek-chat-v3-2025-02", "effective_to", "not after effective_from"],
    ),
    (
        "extra field",
        "models.yaml",
        _set("models", 0, "flavour", "spicy"),
        ["models.yaml", "deepseek-v3", "flavour"],
    ),
    (
        "null without reason",
        "hardware.yaml",
        _set("gpus", 0, "tdp_w", None),
        ["h100-sxm", "tdp_w", "null_reasons"],
    ),
    (
        "bad confidence",
        "models.yaml",
        _set("models", 1, "confidence", "vibes"),
        ["deepseek-v3.2", "confidence"],
    ),
]


@pytest.mark.parametrize(("case", "file", "edit", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_row_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, file: str, edit: object, words: list[str]
) -> None:
    folder = _broken_copy(tmp_path, file, edit)
    with pytest.raises(CatalogueError) as e:
        load_catalogue(folder)
    msg = str(e.value)
    assert "\n" not in msg, f"{case}: message must be one line"
    for w in words:
        assert w in msg, f"{case}: {w!r} not in {msg!r}"
    # the CLI says the same and exits non-zero
    assert main(["catalog", "validate", "--data", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words[1] in err


def test_cli_validate_passes_on_repo_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "validate"]) == 0
    assert "ok:" in capsys.readouterr().out


def test_yaml_bomb_and_garbage_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    (folder / "models.yaml").write_text('a: &a ["x","x"]\nb: &b [*a,*a]\nc: [*b,*b]\n')
    with pytest.raises(CatalogueError, match="aliases"):
        load_catalogue(folder)
    (folder / "models.yaml").write_text("models: [unclosed\n")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue(folder)
    (folder / "models.yaml").write_text("- just a list\n")
    with pytest.raises(CatalogueError, match="top level must be a mapping"):
        load_catalogue(folder)


def test_contradictory_model_file_rows_are_refused() -> None:
    base = {
        "id": "my-gqa",
        "name": "x",
        "provider": "me",
        "open_weights": True,
        "attention": "gqa",
        "total_params_b": 8,
        "active_params_b": 8,
        "context_window_tokens": 8192,
        "max_output_tokens": 4096,
        "weight_precision": {"dense": "bf16"},
        "source": "mine",
        "as_of": "2026-11-01",
        "confidence": "derived",
        "config": {
            "num_hidden_layers": 32,
            "hidden_size": 4096,
            "num_attention_heads": 32,
            "num_key_value_heads": 8,
            "head_dim": 128,
            "intermediate_size": 14336,
            "vocab_size": 128256,
        },
    }
    (m,) = parse_models_text(yaml.safe_dump({"models": [base]}))
    assert m.config is not None and m.config.num_key_value_heads == 8
    bad = {**base, "config": {**base["config"], "num_key_value_heads": 5}}  # type: ignore[dict-item]
    with pytest.raises(CatalogueError, match="not divisible"):
        parse_models_text(yaml.safe_dump({"models": [bad]}))
    bad = {**base, "attention": "v4_hybrid"}
    with pytest.raises(CatalogueError, match=r"v4_hybrid. needs config\."):
        parse_models_text(yaml.safe_dump({"models": [bad]}))


def test_open_weights_with_unknown_config_are_listed_but_never_estimated(catalogue: Catalogue) -> None:
    """An open-weights model whose config is not in the sources read (attention, config and weight_precision all
    null, each with its reason) is a valid row, so its measurements stay in the catalogue; it cannot be
    self-hosted, and a row that gives only some of the three is refused."""
    m = catalogue.model("qwen3-coder-480b-a35b")
    assert m.open_weights and m.config is None and m.attention is None and m.weight_precision is None
    assert {"config", "attention", "weight_precision"} <= set(m.null_reasons)
    row = {
        "id": "half-known",
        "name": "x",
        "provider": "me",
        "open_weights": True,
        "attention": "gqa",
        "total_params_b": None,
        "active_params_b": None,
        "context_window_tokens": None,
        "max_output_tokens": None,
        "config": None,
        "weight_precision": None,
        "source": "mine",
        "as_of": "2026-11-01",
        "confidence": "derived",
        "null_reasons": {
            k: "unknown"
            for k in (
                "total_params_b", "active_params_b", "context_window_tokens", "max_output_tokens", "config",
                "weight_precision",
            )
        },
    }  # fmt: skip
    with pytest.raises(CatalogueError, match="needs attention, config and weight_precision"):
        parse_models_text(yaml.safe_dump({"models": [row]}))
    row["attention"] = None
    with pytest.raises(CatalogueError, match="'attention' is null"):  # a null attention needs its reason
        parse_models_text(yaml.safe_dump({"models": [row]}))
    row["null_reasons"] = {**row["null_reasons"], "attention": "config not known"}  # type: ignore[dict-item]
    (ok,) = parse_models_text(yaml.safe_dump({"models": [row]}))
    assert ok.config is None
    assert main(["serve", "--model", "qwen3-coder-480b-a35b", "--gpu", "h200"]) == 2


def test_stale_rows_flags_old_rows_but_not_history(catalogue: Catalogue) -> None:
    rows = stale_rows(catalogue, dt.date(2026, 11, 28), max_age_days=180)
    ids = {r[1] for r in rows}
    assert "h800-deepseek-assumption" in ids  # as_of 2025-09-29: 425 days old
    assert "deepseek-chat-v3-2025-02" not in ids  # ended in 2025: history, not stale
    assert all(age > 180 for *_, age in rows)


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.yaml")))
def test_the_strict_loader_reads_each_data_file_as_pyyaml_s_safe_loader_does(name: str) -> None:
    """The catalogue is parsed by libyaml when PyYAML has it (costmodel.catalog.loader); the values are the same as
    the pure-Python safe loader's, file by file."""
    from costmodel.catalog.loader import parse_yaml_text

    text = (DATA / name).read_text(encoding="utf-8")
    assert parse_yaml_text(text, what=name) == yaml.load(text, Loader=yaml.SafeLoader)
