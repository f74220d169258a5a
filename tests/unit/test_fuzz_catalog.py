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
from hypothesis import HealthCheck, given, settings
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
    # accepted: then every number in it is finite
    for row in (*cat.gpus, *cat.rentals, *cat.prices):
        for v in row.model_dump().values():
            if isinstance(v, float):
                assert math.isfinite(v)


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
