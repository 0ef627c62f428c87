"""The package's layers, read from the import graph: nothing imports back up the stack.

The order (STYLE.md): the low modules at the root, then ``times → events → listing/configfiles
→ store, channels → registrations → jobs → api → service → cli``. A module may import its own
package and anything on a lower layer; two packages on one layer never import each other. Every
``import`` counts, also one inside a function: a lazy import must not hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "notifier"

# unit -> layer; a unit is a top-level module or package under notifier/
LAYERS: dict[str, int] = {
    # the root: errors, records (a leaf every layer speaks in), settings, logs, metrics, signing,
    # memory (the collector's settings)
    "__init__": 0,
    "errors": 0,
    "records": 1,
    "logs": 1,
    "signing": 1,
    "settings": 1,
    "metrics": 1,
    "memory": 1,
    "times": 2,
    "events": 3,
    "configfiles": 4,
    # languages: catalogs, negotiation, Babel formats; below channels and api, which both use it
    "i18n": 4,
    "listing": 4,
    "store": 5,
    "channels": 5,
    "registrations": 6,
    "jobs": 7,
    "api": 8,
    "service": 9,
    "cli": 10,
}
# the issue-10 shape: the root holds only these modules, plus the packages below
ROOT_MODULES = {
    "__init__",
    "errors",
    "records",
    "logs",
    "signing",
    "settings",
    "metrics",
    "memory",
    "configfiles",
    "registrations",
    "i18n",
}


def _unit(module: str) -> str:
    """``notifier.jobs.plan`` -> ``jobs``; ``notifier`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every ``notifier`` module ``path`` imports, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if _ours(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module)] if _ours(node.module) else []
    return found


def _ours(module: str) -> bool:
    return module == "notifier" or module.startswith("notifier.")


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_unit_has_a_layer() -> None:
    """A new module or package must be placed in the order before it can be imported."""
    units = {_unit(_module_name(p)) for p in _sources()}
    assert units - LAYERS.keys() == set(), "add the new unit to LAYERS (and README's layout)"


def test_the_root_holds_only_low_modules_and_packages() -> None:
    """Commands live in cli/, the running service in service/; the root stays low-level."""
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert modules == ROOT_MODULES


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_only_point_down_the_layers(path: Path) -> None:
    """An import up the stack (store importing jobs, api importing service) is a cycle waiting."""
    here = _unit(_module_name(path))
    wrong = [
        f"{path.name}:{line} imports {target} (layer {LAYERS[_unit(target)]} >= {LAYERS[here]})"
        for line, target in _imports(path)
        if _unit(target) != here and 0 < LAYERS[_unit(target)] >= LAYERS[here]
    ]
    assert wrong == []
