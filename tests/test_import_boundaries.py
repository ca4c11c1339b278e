"""The layers' import rules: engine/ and rigs/ never import Blender; blender_addon/ never imports the engine."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BLENDER_MODULES = {"bpy", "mathutils", "bmesh", "bpy_extras"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", ["engine", "rigs"])
def test_convention_no_blender_in_pure_layers(layer):
    offenders = {str(p.relative_to(REPO)): imported_modules(p) & BLENDER_MODULES for p in (REPO / layer).rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}


def test_convention_addon_talks_to_engine_only_through_processes_and_files():
    offenders = [
        str(p.relative_to(REPO)) for p in (REPO / "blender_addon").rglob("*.py") if "engine" in imported_modules(p)
    ]
    assert not offenders


def test_convention_addon_imports_no_heavy_dependencies():
    heavy = {"cv2", "mediapipe", "torch", "scipy", "skimage"}
    offenders = {str(p.relative_to(REPO)): imported_modules(p) & heavy for p in (REPO / "blender_addon").rglob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}
