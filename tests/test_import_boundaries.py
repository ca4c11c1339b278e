"""The layers' import rules, read from the source (AST), so a breach fails the build.

- ``engine/`` and ``rigs/`` never import Blender; ``rigs/`` imports nothing of the engine or the add-on.
- ``engine/contract/`` is standard library + numpy (+ the rig data): no scipy, no other engine module, no add-on.
- ``blender_addon/`` imports only ``engine.contract`` of the engine (through ``_contract.py``), and no heavy
  dependency; inside it, ``pure/`` imports no bpy and neither ``blender/`` nor ``ui/``; ``blender/`` never ``ui/``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BLENDER_MODULES = {"bpy", "mathutils", "bmesh", "bpy_extras"}
HEAVY_MODULES = {"cv2", "mediapipe", "torch", "scipy", "skimage"}


def module_name(path: Path) -> str:
    """``engine/contract/take.py`` -> ``engine.contract.take`` (``__init__.py`` -> the package)."""
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[str]:
    """Every module a file imports, absolute, relative ones resolved; ``from X import a`` yields ``X.a`` too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append(module)
            found += [f"{module}.{alias.name}" for alias in node.names]
    return found


def files(layer: str) -> list[Path]:
    return sorted((REPO / layer).rglob("*.py"))


def top(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize("layer", ["engine", "rigs"])
def test_convention_no_blender_in_engine_and_rigs(layer):
    offenders = {str(p.relative_to(REPO)): {top(m) for m in imports(p)} & BLENDER_MODULES for p in files(layer)}
    assert not {k: v for k, v in offenders.items() if v}


def test_convention_rigs_import_neither_engine_nor_addon():
    offenders = [str(p) for p in files("rigs") if {top(m) for m in imports(p)} & {"engine", "blender_addon"}]
    assert not offenders


def test_convention_contract_is_stdlib_and_numpy_only():
    allowed_top = set(sys.stdlib_module_names) | {"numpy", "__future__"}
    offenders = {}
    for path in files("engine/contract"):
        for m in imports(path):
            if m.startswith("engine.contract") or top(m) in allowed_top:
                continue
            if path.name == "_rigs.py" and m in ("rigs", "engine", "engine.rigs"):  # the one rig-data lookup
                continue
            offenders.setdefault(str(path.relative_to(REPO)), []).append(m)
    assert not offenders


def test_convention_engine_never_imports_the_addon():
    offenders = [str(p) for p in files("engine") if "blender_addon" in {top(m) for m in imports(p)}]
    assert not offenders


def test_convention_addon_reaches_the_engine_only_through_its_contract():
    offenders = {}
    for path in files("blender_addon"):
        bad = [
            m
            for m in imports(path)
            if top(m) == "engine" and m != "engine" and not (m == "engine.contract" or m.startswith("engine.contract."))
        ]
        if bad:
            offenders[str(path.relative_to(REPO))] = bad
    assert not offenders
    users = [p.name for p in files("blender_addon") if any(top(m) == "engine" for m in imports(p))]
    assert users == ["_contract.py"]  # one place knows where the contract comes from


def test_convention_addon_imports_no_heavy_dependencies():
    offenders = {str(p.relative_to(REPO)): {top(m) for m in imports(p)} & HEAVY_MODULES for p in files("blender_addon")}
    assert not {k: v for k, v in offenders.items() if v}


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("blender_addon/pure", ("blender_addon.blender", "blender_addon.ui", *BLENDER_MODULES)),
        ("blender_addon/blender", ("blender_addon.ui",)),
    ],
)
def test_convention_addon_layers(folder, forbidden):
    offenders = {}
    for path in files(folder):
        bad = [m for m in imports(path) if any(m == f or m.startswith(f + ".") for f in forbidden)]
        if bad:
            offenders[str(path.relative_to(REPO))] = bad
    assert not offenders


def test_convention_addon_root_helpers_are_bpy_free():
    for name in ("_contract.py", "_rigs.py"):
        assert not {top(m) for m in imports(REPO / "blender_addon" / name)} & BLENDER_MODULES, name
