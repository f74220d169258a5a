"""The house's rules, read from the source (no import is run): ``costmodel/`` never imports streamlit, and each of its
layers imports only the layers below it (docs/architecture.md draws them)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "costmodel"

#: From the ground floor up; a package may import its own layer and those before it. attention and workload stand
#: on the same floor (neither imports the other), as do serving and pricing, economics and evaluate.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"catalog"}),
    frozenset({"workload", "attention"}),
    frozenset({"serving", "pricing"}),
    frozenset({"economics", "evaluate"}),
    frozenset({"views"}),
    frozenset({"cli"}),
)


def floor_of(package: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if package in layer)


def imports_of(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, dotted module)`` of every import in ``tree``, at the top or inside a function."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "costmodel":  # from costmodel import serving
                found += [(node.lineno, f"costmodel.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def layer_breaks(package_dir: Path) -> list[str]:
    """One line per import of a higher layer, or of a package that is on no layer, from ``package_dir``'s files."""
    breaks: list[str] = []
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir).parts
        if len(parts) < 2:  # costmodel/__init__.py, __main__.py stand above every layer
            continue
        here = floor_of(parts[0])
        for line, module in imports_of(ast.parse(path.read_text(encoding="utf-8"))):
            names = module.split(".")
            if names[0] != "costmodel" or len(names) < 2:
                continue
            if not any(names[1] in layer for layer in LAYERS):
                breaks.append(f"{path.relative_to(package_dir.parent)}:{line} imports {module}: on no layer")
            elif floor_of(names[1]) > here:
                breaks.append(
                    f"{path.relative_to(package_dir.parent)}:{line} ({parts[0]}) imports {module} from above"
                )
    return breaks


def test_every_package_of_costmodel_stands_on_a_layer() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set().union(*LAYERS)


def test_each_layer_imports_only_the_layers_below_it() -> None:
    assert layer_breaks(PACKAGE) == []


def test_the_layer_check_fails_when_a_lower_layer_imports_a_higher_one(tmp_path: Path) -> None:
    """The check can fail: a catalogue module that imports the views is reported, with its file and line."""
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "__init__.py").write_text("")
    (tmp_path / "catalog" / "bad.py").write_text(
        "import math\n\ndef f():\n    from costmodel.views.present import usd\n    return usd\n"
    )
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "ok.py").write_text("from costmodel.catalog import schema\n")
    assert layer_breaks(tmp_path) == [
        f"{tmp_path.name}/catalog/bad.py:4 (catalog) imports costmodel.views.present from above"
    ]


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_costmodel_never_imports_streamlit(path: Path) -> None:
    modules = [m for _, m in imports_of(ast.parse(path.read_text(encoding="utf-8")))]
    assert not [m for m in modules if m.split(".")[0] == "streamlit"]
