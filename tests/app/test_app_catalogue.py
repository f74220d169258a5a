"""Catalogue page: provenance on screen, overrides stored for the calculator, uploads validated."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import streamlit as st
import yaml
from apphelpers import REPO, run_page, shown
from streamlit.testing.v1 import AppTest

from costmodel.catalog import load_catalogue, stale_rows
from costmodel.evaluate.evaluation import STALE_AFTER_DAYS
from costmodel.views.price_rows import lifecycle_frame, served_by_text

TABLES = (
    "cat_models_table",
    "cat_gpus_table",
    "cat_rentals_table",
    "cat_prices_table",
    "cat_lifecycle_table",
)  # in page order


def _table(at: AppTest, key: str) -> pd.DataFrame:
    return at.dataframe[TABLES.index(key)].value


def _custom_model_yaml(model_id: str = "my-flash") -> bytes:
    rows = yaml.safe_load((REPO / "data" / "models.yaml").read_text())["models"]
    row = next(r for r in rows if r["id"] == "deepseek-v4-flash")
    row = {**row, "id": model_id, "name": "My Flash", "source": "my own measurements"}
    return yaml.safe_dump({"models": [row]}).encode()


def test_every_table_shows_provenance_for_every_row() -> None:
    cat = load_catalogue()
    at = run_page("catalogue")
    tables = dict(zip(TABLES, (df.value for df in at.dataframe), strict=True))
    sizes = {
        "cat_models_table": len(cat.models),
        "cat_gpus_table": len(cat.gpus),
        "cat_rentals_table": len(cat.rentals),
        "cat_prices_table": len(cat.prices),
        "cat_lifecycle_table": len(cat.events),
    }
    for key, n in sizes.items():
        df = tables[key]
        assert len(df) == n, key
        for col in ("source", "as_of", "confidence", *(("stale",) if key != "cat_lifecycle_table" else ())):
            assert col in df.columns, (key, col)
        assert df["source"].str.len().gt(0).all()


def test_stale_rows_are_marked(monkeypatch: pytest.MonkeyPatch) -> None:
    import app_pages.common as common

    today = dt.date(2027, 6, 1)  # pinned: which rows are stale must not depend on the day the test runs
    monkeypatch.setattr(common, "today", lambda: today)
    want = {(t, rid): age for t, rid, _, age in stale_rows(load_catalogue(), today, STALE_AFTER_DAYS)}
    assert want, "test premise: some rows are stale on this date"
    at = run_page("catalogue")
    assert not at.exception
    for key in TABLES[:4]:  # the lifecycle events are dated history, never stale
        table = key.removeprefix("cat_").removesuffix("_table")
        shown = _table(at, key).set_index("id")["stale"]
        marked = {rid: mark for rid, mark in shown.items() if mark}
        assert marked == {rid: f"STALE ({age} days)" for (t, rid), age in want.items() if t == table}, key
    prices = _table(at, "cat_prices_table")
    # the 2025 DeepSeek V3 price has ended: history, never stale; the catalogue caption counts the rest
    assert prices.set_index("id").loc["deepseek-chat-v3-2025-02", "stale"] == ""


def test_custom_gpu_price_is_stored_for_the_calculator() -> None:
    at = run_page("catalogue")
    at.selectbox(key="cat_gpu_id").select("h200")
    at.number_input(key="cat_gpu_usd_per_hour").set_value(1.75)
    at.button(key="cat_gpu_apply").click().run()
    assert not at.exception
    assert at.session_state["custom_gpu_price"] == {"gpu": "h200", "usd_per_gpu_hour": 1.75}
    at.button(key="cat_gpu_clear").click().run()
    assert at.session_state["custom_gpu_price"] is None


def test_custom_api_price_is_stored() -> None:
    at = run_page("catalogue")
    at.selectbox(key="cat_api_model").select("deepseek-v4-pro")
    at.number_input(key="cat_api_usd_per_mtok_output").set_value(2.5)
    at.button(key="cat_api_apply").click().run()
    o = at.session_state["custom_api_price"]
    assert o["model"] == "deepseek-v4-pro"
    assert o["usd_per_mtok_output"] == 2.5


def test_model_upload_adds_the_model_and_bad_upload_is_an_error() -> None:
    at = run_page("catalogue")
    at.file_uploader[0].set_value(("mine.yaml", _custom_model_yaml(), "application/yaml")).run()
    assert not at.exception
    assert [m.id for m in at.session_state["custom_models"]] == ["my-flash"]
    models = _table(at, "cat_models_table")
    assert "my-flash" in set(models["id"])

    at2 = run_page("catalogue")
    bad = _custom_model_yaml().replace(b"hidden_size: 4096", b"hidden_size: -1")
    at2.file_uploader[0].set_value(("bad.yaml", bad, "application/yaml")).run()
    assert not at2.exception
    assert any("hidden_size" in shown(e.value) and "my-flash" in shown(e.value) for e in at2.error)
    assert at2.session_state["custom_models"] == []


def test_upload_clashing_with_catalogue_id_is_refused() -> None:
    at = run_page("catalogue")
    at.file_uploader[0].set_value(
        ("x.yaml", _custom_model_yaml("deepseek-v4-flash"), "application/yaml")
    ).run()
    assert any("already in the catalogue" in shown(e.value) for e in at.error)


def test_oversized_upload_is_refused_before_parsing() -> None:
    from app_pages.common import MAX_UPLOAD_BYTES

    at = run_page("catalogue")
    at.file_uploader[0].set_value(("big.yaml", b"#" * (MAX_UPLOAD_BYTES + 1), "application/yaml")).run()
    assert not at.exception
    assert any(f"the limit is {MAX_UPLOAD_BYTES:,} bytes" in e.value for e in at.error)
    # the label states the same limit as the widget (``max_upload_size``) and the check
    assert "up to 2 MB" in at.file_uploader[0].proto.label


def test_a_table_that_fails_to_draw_leaves_the_remove_button(monkeypatch: pytest.MonkeyPatch) -> None:
    """App side: a model upload once made the models table fail on every visit and the page
    stopped before "Remove uploaded models". Schema bounds now refuse that file; whatever else makes a table fail,
    the page names the table in one line and still draws the button that undoes the upload."""
    at = run_page("catalogue")
    at.file_uploader[0].set_value(("mine.yaml", _custom_model_yaml(), "application/yaml")).run()
    assert [m.id for m in at.session_state["custom_models"]] == ["my-flash"]

    real = st.dataframe

    def failing(data: object, *args: object, **kwargs: object) -> object:
        if kwargs.get("key") == "cat_models_table":
            raise ValueError("cannot convert the models table")
        return real(data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(st, "dataframe", failing)
    at.run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [
        "The models table could not be shown (ValueError: cannot convert the models table)."
    ]
    at.button(key="cat_models_clear").click().run()
    assert at.session_state["custom_models"] == []


def test_the_lifecycle_events_and_served_by_are_shown() -> None:
    """The dated lifecycle rows (the V4-Pro redirect that never took effect) and the weights behind each
    price row are on the Catalogue page."""
    cat = load_catalogue()
    events = lifecycle_frame(cat)
    row = events[events["event"] == "redirect announced"].iloc[0]
    assert row["took effect"].startswith("NO") and row["API names"] == "deepseek-v4-pro"
    assert list(events["when (UTC)"]) == sorted(events["when (UTC)"])
    flash = next(p for p in cat.prices if p.id == "deepseek-flash-v4.1-2026-10")
    assert (
        "deepseek-v4.1-flash (DeepSeek-V4.1-Flash) from 2026-09-10 04:00 to 2026-09-19 00:00"
        in served_by_text(flash)
    )
    now = next(
        p for p in cat.prices if p.id == "deepseek-flash-v4.1-holidays-2026-09"
    )  # the row in effect now
    assert "deepseek-v4.1-flash (DeepSeek-V4.1-Flash) from 2026-09-19 00:00 on" in served_by_text(now)
