"""Fuzzing the catalogue loader and model files: every input ends in a CatalogueError or a valid catalogue."""

from __future__ import annotations

import copy
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from costmodel.catalog import CatalogueError, load_catalogue, parse_models_text
from tests.conftest import DATA

pytestmark = pytest.mark.slow  # hypothesis over whole catalogues (`make test-fast` skips it)

_ORIGINAL = {
    name: yaml.safe_load((DATA / name).read_text())
    for name in ("models.yaml", "hardware.yaml", "prices.yaml")
}

# values a careless or hostile editor might type
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["NaN", "nan", "inf", "-Infinity", "", "1e999", "=cmd|' /C calc'!A0", "0x10"]),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _rows(doc: dict[str, Any]) -> list[tuple[str, int]]:
    return [(k, i) for k, v in doc.items() for i in range(len(v))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), value=junk)
def test_any_single_field_mutation_is_caught_or_valid(
    tmp_path: Path, data: st.DataObject, value: Any
) -> None:
    name = data.draw(st.sampled_from(sorted(_ORIGINAL)))
    doc = copy.deepcopy(_ORIGINAL[name])
    section, idx = data.draw(st.sampled_from(_rows(doc)))
    field = data.draw(st.sampled_from(sorted(doc[section][idx])))
    doc[section][idx][field] = value
    folder = Path(tempfile.mkdtemp(dir=tmp_path)) / "data"
    shutil.copytree(DATA, folder)
    (folder / name).write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    try:
        cat = load_catalogue(folder)
    except CatalogueError as e:
        msg = str(e)
        # one line naming a file: the mutated one, or the file whose cross-reference the mutation broke
        assert "\n" not in msg and any(f in msg for f in _ORIGINAL)
        return
    # accepted: then every number in it is finite, and every integer one numpy and pandas hold
    for row in (*cat.gpus, *cat.rentals, *cat.prices, *cat.models):
        for v in row.model_dump().values():
            if isinstance(v, float):
                assert math.isfinite(v)
            if isinstance(v, int) and not isinstance(v, bool):
                assert abs(v) <= 2**53, (row.id, v)


_CONFIG_INTS = [
    "num_hidden_layers",
    "hidden_size",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "intermediate_size",
    "vocab_size",
]


@settings(max_examples=60, deadline=None)
# the model: 10,000 layers, every dimension 2^20
@example(values={**dict.fromkeys(_CONFIG_INTS, 2**20), "num_hidden_layers": 10_000}, window=2**20)
@example(values=dict.fromkeys(_CONFIG_INTS, 64), window=10**30)
@given(
    values=st.fixed_dictionaries(
        {k: st.one_of(st.integers(1, 2**20), st.integers(-(10**30), 10**30)) for k in _CONFIG_INTS}
    ),
    window=st.integers(-(10**30), 10**30),
)
def test_gqa_model_file_with_any_integers_is_refused_or_prints_true_sizes(
    values: dict[str, int], window: int
) -> None:
    """An uploaded model is refused in one line, or its attention table holds finite,
    non-negative numbers (no int64 wrap-around, no RuntimeWarning) that pandas keeps as numbers."""
    import warnings

    from costmodel.views.architecture import attention_table

    row = copy.deepcopy(next(r for r in _ORIGINAL["models.yaml"]["models"] if r["id"] == "deepseek-v3"))
    row.update(id="fuzzed", attention="gqa", context_window_tokens=window)
    row["config"] = {**values, "num_key_value_heads": values["num_attention_heads"]}
    try:
        (m,) = parse_models_text(yaml.safe_dump({"models": [row]}), "fuzz.yaml")
    except CatalogueError as e:
        assert "\n" not in str(e) and "fuzz.yaml" in str(e)
        return
    assert m.context_window_tokens is not None and 0 < m.context_window_tokens <= 2**53
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = attention_table([m], [1, 2**17, 2**20])
    for col in ("kv_cache_bytes", "kv_read_bytes_per_token", "attention_flops_per_token", "flops_per_token"):
        assert df[col].dtype.kind in "if", col
        assert (df[col] > 0).all() and df[col].map(math.isfinite).all(), col


@pytest.mark.parametrize(
    "text",
    [
        "",
        "models: 3",
        "models: [1, 2]",
        "models:\n  - {id: X Y}\n",
        "[" * 5000,
        "models: " + "[" * 200 + "]" * 200,
        "!!python/object/apply:os.system ['echo hi']",
        "a: &a [1,2]\nb: *a\n",
        "models: []\n" + "# pad\n" * 10,
    ],
)
def test_model_file_garbage_gives_one_line(text: str) -> None:
    try:
        out = parse_models_text(text, "upload.yaml")
    except CatalogueError as e:
        assert "\n" not in str(e) and "upload.yaml" in str(e)
    else:
        assert out == []


def test_model_file_too_large_is_refused() -> None:
    with pytest.raises(CatalogueError, match="larger than"):
        parse_models_text("models: []\n" + "#" * 10_000_000, "big.yaml")
