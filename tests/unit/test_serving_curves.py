"""Every published curve of ../shared/reference/serving-curves.md is in data/measurements.yaml under a curve id,
with all its points; each point is either estimated by `costmodel validate` or reported as not estimated with
its reason (never dropped)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from costmodel.catalog import Catalogue
from costmodel.serving import Validation, validate

#: serving-curves.md (compiled 2026-12), kept next to the repository as ../shared/reference/.
REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "serving-curves.md"

#: Each section of serving-curves.md -> its curves in the catalogue and the number of published points of each.
CURVES: dict[str, dict[str, int]] = {
    "C1": {"inferencex-b200x8-minimax-m3-fp8-vllm-1k1k": 5},
    "C2": {"inferencex-h200x8-minimax-m3-fp8-vllm-1k1k": 5},
    "C3": {"inferencex-b200x8-minimax-m3-fp8-vllm-8k1k": 5},
    "C4": {"inferencex-h200x8-minimax-m3-fp8-vllm-8k1k": 5},
    "C5": {"inferencex-h100x8-minimax-m2.5-fp8-vllm-tp8-8k1k": 6},
    "C6": {"inferencex-b200x2-minimax-m2.5-fp8-vllm-tp2-8k1k": 8},
    "C7": {"inferencex-b200x1-minimax-m2.5-nvfp4-vllm-tp1-8k1k": 5},
    "C8": {
        "inferencex-b200x4-minimax-m2.5-fp8-vllm-tp4-8k1k": 2,
        "inferencex-b200x2-minimax-m2.5-nvfp4-vllm-tp2-8k1k": 3,
        "inferencex-b200x4-minimax-m2.5-nvfp4-vllm-tp4-8k1k": 2,
        "inferencex-b200x8-minimax-m2.5-nvfp4-vllm-tp8-8k1k": 1,
    },
    "C9": {"inferencex-mi355x8-kimi-k2.5-mxfp4-vllm016-8k1k": 5},
    "C10": {
        "inferencex-mi355x8-kimi-k2.5-mxfp4-vllm018-8k1k": 5,
        "inferencex-mi355x4-kimi-k2.5-mxfp4-vllm018-tp4-8k1k": 2,  # the TP4 recipe in the section's note
    },
    "C11": {f"cookbook-b200x8-r1-fp8-sglang-{s}": 3 for s in ("1k1k", "1k8k", "8k1k")},
    "C12": {f"cookbook-mi300x8-v3.1-fp8-sglang-{s}": 3 for s in ("1k1k", "1k8k", "8k1k")},
    "C13": {
        "cookbook-h200x8-kimi-k2.5-int4-sglang-1k1k": 3,
        "cookbook-h200x8-kimi-k2.5-int4-sglang-1k8k": 2,
        "cookbook-h200x8-kimi-k2.5-int4-sglang-8k1k": 3,
    },
    "C14": {f"cookbook-b200x8-qwen3-235b-bf16-sglang-{s}": 3 for s in ("1k1k", "1k8k", "8k1k")},
    "C15": {
        "cookbook-b200x8-minimax-m2.5-fp8-sglang-1k1k": 3,
        "cookbook-b200x8-minimax-m2.5-fp8-sglang-8k1k": 3,
        "cookbook-h100x8-minimax-m2.5-fp8-sglang-1k1k": 3,
    },
    "C16": {"moreh-mi300x40-r1-pd-max-load": 6},
    "C17": {
        "trtllm-b200-v3.2-nvfp4-min-latency-max-throughput": 2,
        "cookbook-mi300x8-v3-fp8-sglang-dp-attention": 2,
        "cookbook-b200x8-kimi-k2-fp8-sglang-dp-attention": 2,
        "cookbook-b200x8-gpt-oss-120b-mxfp4-sglang-tp8": 2,
        "cookbook-mi300x8-qwen3-coder-480b-fp8-sglang-tp8": 3,
        "cookbook-mi300x4-minimax-m2-fp8-sglang-tp4": 3,
        "cookbook-gb300x2-minimax-m2.7-fp8-sglang-tp2": 2,
        "cookbook-h200x8-qwen3.5-397b-sglang-mtp": 2,
    },
}
#: Published figures of the reference that are not catalogue rows, and why (none is a measured curve point the
#: catalogue can hold).
NOT_ROWS = {
    "C2 note": "the iso-interactivity frontier over all recipes: interpolated, not measured points",
    "C13 note": "Kimi K2.5 on MI350X: not counted by the reference; MI350X is not in data/hardware.yaml",
    "C16 2000/100": "prefix caching on a fixed prompt set: the catalogue has no field for the cache-hit share",
}
#: Curves whose points are all reported as not estimated: the model's config is not in the sources read.
NOT_ESTIMATED = {
    "cookbook-mi300x8-qwen3-coder-480b-fp8-sglang-tp8": "qwen3-coder-480b-a35b",
    "cookbook-gb300x2-minimax-m2.7-fp8-sglang-tp2": "minimax-m2.7",
    "cookbook-h200x8-qwen3.5-397b-sglang-mtp": "qwen3.5-397b-a17b",
}


@pytest.fixture(scope="module")
def suite(catalogue: Catalogue) -> Validation:
    return validate(catalogue)


def test_every_curve_of_the_reference_is_catalogued_with_all_its_points(catalogue: Catalogue) -> None:
    by_curve: dict[str, list[str]] = {}
    for m in catalogue.measurements:
        by_curve.setdefault(m.curve or m.id, []).append(m.id)
    for section, curves in CURVES.items():
        for curve, points in curves.items():
            assert len(by_curve.get(curve, [])) == points, (section, curve, by_curve.get(curve))
            for rid in by_curve[curve]:
                row = next(m for m in catalogue.measurements if m.id == rid)
                # the row cites the section it was transcribed from (C9/C10 share one source line)
                assert re.search(rf"serving-curves\.md [C0-9/]*\b{section}\b", row.source), (rid, row.source)


def test_every_point_is_estimated_or_says_why_not(suite: Validation) -> None:
    rows = {r.id: r for r in suite.rows}
    for curves in CURVES.values():
        for curve in curves:
            pts = [r for r in rows.values() if r.curve == curve]
            for r in pts:
                if curve in NOT_ESTIMATED:
                    assert r.reason.startswith("cannot estimate: model") and NOT_ESTIMATED[curve] in r.reason
                    assert "not in the sources read" in r.reason, r.reason
                else:
                    assert r.reason == "", (r.id, r.reason)
    listed = {c["curve"] for c in suite.curves}
    estimated = {c for cs in CURVES.values() for c, n in cs.items() if n >= 2 and c not in NOT_ESTIMATED}
    assert estimated <= listed  # every estimated curve of two or more points is judged curve by curve


def test_sections_match_the_reference_file() -> None:
    if not REFERENCE.is_file():
        pytest.skip(f"{REFERENCE} is not present (the reference lives next to the repository)")
    text = REFERENCE.read_text(encoding="utf-8")
    sections = re.findall(r"^## (C\d+)\. ", text, flags=re.MULTILINE)
    assert sections == list(CURVES), sections
    assert {"C2", "C13", "C16"} == {k.split()[0] for k in NOT_ROWS}
