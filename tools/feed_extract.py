"""Regenerate the trimmed price-feed extracts in ``tests/data/feeds/`` from the pinned packages.

The tests read these extracts offline; this script is how they were made (it needs the two wheels, which pip
fetches from PyPI, and nothing is imported from them: the files are read as data)::

    pip download litellm==1.110.2 --no-deps -d /tmp/feeds
    pip download genai-prices==0.2.5 --no-deps -d /tmp/feeds
    python -m tools.feed_extract /tmp/feeds

Kept: every entry of a family the catalogue carries (names with ``deepseek``, ``kimi-k2``, ``minimax-m3``),
including the variants and versions it cannot map, so the review's "unmapped" rows stay representative, plus two
unrelated entries that the reader must ignore. LiteLLM entries keep only the fields the reader uses.
genai-prices' ``data.py`` keeps its providers with those models only (usage extractors dropped).
"""

from __future__ import annotations

import ast
import hashlib
import json
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "feeds"
LITELLM = ("litellm", "1.110.2", "litellm/model_prices_and_context_window_backup.json")
GENAI = ("genai-prices", "0.2.5", "genai_prices/data.py")
FAMILIES = ("deepseek", "kimi-k2", "minimax-m3")
LITELLM_FIELDS = (
    "litellm_provider", "mode", "input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
    "off_peak_pricing", "deprecation_date", "source",
)  # fmt: skip
UNRELATED = ("gpt-4o", "claude-opus-4-6")


def _ours(name: str) -> bool:
    return any(f in name.lower() for f in FAMILIES)


def _wheel_file(folder: Path, pattern: str, member: str) -> bytes:
    wheels = sorted(folder.glob(pattern))
    if not wheels:
        raise SystemExit(
            f"no {pattern} in {folder}: run the pip download commands in this script's docstring"
        )
    with zipfile.ZipFile(wheels[0]) as z:
        return z.read(member)


def litellm_extract(raw: bytes) -> str:
    """The trimmed LiteLLM map as JSON text, with the ``_extract`` header first."""
    sha = hashlib.sha256(raw).hexdigest()
    data = json.loads(raw)
    out: dict[str, object] = {
        "_extract": (
            f"extract of litellm {LITELLM[1]} {LITELLM[2]} (original sha256 {sha}); {len(data):,} entries in the "
            "original; regenerate with python -m tools.feed_extract"
        )
    }
    for key, v in data.items():
        if (_ours(key) or key in UNRELATED) and isinstance(v, dict):
            out[key] = {k: v[k] for k in LITELLM_FIELDS if k in v}
    return json.dumps(out, indent=1, sort_keys=False) + "\n"


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def genai_extract(raw: bytes) -> str:
    """The trimmed genai-prices data.py (Python source, never executed by the reader)."""
    sha = hashlib.sha256(raw).hexdigest()
    tree = ast.parse(raw.decode("utf-8"))
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.target.id == "providers"
        ):
            assert isinstance(stmt.value, ast.List)
            kept = []
            for prov in stmt.value.elts:
                assert isinstance(prov, ast.Call)
                models = _kw(prov, "models")
                if not isinstance(models, ast.List):
                    continue
                models.elts = [
                    m for m in models.elts
                    if isinstance(m, ast.Call) and isinstance(mid := _kw(m, "id"), ast.Constant)
                    and (_ours(str(mid.value)) or str(mid.value) in UNRELATED)
                ]  # fmt: skip
                prov.keywords = [k for k in prov.keywords if k.arg not in ("extractors", "description")]
                for m in models.elts:
                    assert isinstance(m, ast.Call)
                    m.keywords = [k for k in m.keywords if k.arg != "description"]
                if models.elts:
                    kept.append(prov)
            stmt.value.elts = kept  # type: ignore[assignment]
    header = (
        f'"""extract of genai-prices {GENAI[1]} {GENAI[2]} (original sha256 {sha}); regenerate with '
        'python -m tools.feed_extract. Read as data by costmodel.pricing.feeds (ast), never imported."""\n'
    )
    body = [s for s in tree.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return header + ast.unparse(ast.Module(body=body, type_ignores=[])) + "\n"


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path("/tmp/feeds")
    OUT.mkdir(parents=True, exist_ok=True)
    lit = _wheel_file(folder, "litellm-1.110.2-*.whl", LITELLM[2])
    gen = _wheel_file(folder, "genai_prices-0.2.5-*.whl", GENAI[2])
    (OUT / "litellm-1.110.2-extract.json").write_text(litellm_extract(lit), encoding="utf-8")
    (OUT / "genai-prices-0.2.5-extract.py.txt").write_text(genai_extract(gen), encoding="utf-8")
    print(f"wrote {OUT}/litellm-1.110.2-extract.json and genai-prices-0.2.5-extract.py.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
