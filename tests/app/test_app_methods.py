"""Methods & validation: formulas, verbatim module docs, the live validation table, known gaps."""

from __future__ import annotations

from apphelpers import run_page

from costmodel import serving
from costmodel.catalog import load_catalogue


def test_methods_page_shows_formulas_docs_calibration_and_gaps() -> None:
    at = run_page("methods")
    assert not at.exception
    assert not at.error
    assert len(at.latex) >= 4  # bill, KV, FLOPs, roofline, fleet
    texts = " ".join(m.value for m in at.markdown)
    assert "70,272" in texts  # MLA's V3 figure, from costmodel.attention.mla's own docstring
    assert "NOT modelled" in texts  # a known gap stated by a module
    frames = [d.value for d in at.dataframe]
    val = next(f for f in frames if "id" in f.columns)  # the rows table
    curves = next(f for f in frames if "tilt" in f.columns)  # the curve table
    cat = load_catalogue()
    assert set(val["id"]) == {m.id for m in cat.measurements}  # every published measurement, none dropped
    v = serving.validate(cat)
    assert list(curves["curve"]) == [
        c["curve"] for c in v.curves
    ]  # every curve, with its tilt and LOCO error
    shown = {m.label: m.value for m in at.metric}
    assert shown["Leave-one-out median error (%)"] == f"{float(v.summary['loo_median_abs_pct_error']):.0f}%"
    assert (
        shown["Leave-one-curve-out median error (%)"]
        == f"{float(v.summary['loco_median_abs_pct_error']):.0f}%"
    )
    assert (
        shown["At the measured TPOT, median error (%)"]
        == f"{float(v.summary['iso_tpot_median_abs_pct_error']):.0f}%"
    )
    assert shown["Worst curve tilt (×)"] == f"{float(v.summary['worst_curve_tilt']):.1f}×"
    assert (
        shown["Inside the band, leave-one-out (% of rows)"]
        == f"{float(v.summary['loo_share_inside_band']):.0%}"
    )
    estimated = val[val["reason"] == ""]
    assert (estimated["predicted_low"] <= estimated["predicted_high"]).all()
