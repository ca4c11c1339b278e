"""The contract's public surface: every module declares ``__all__``, every listed name exists and is documented,
and importing the package imports none of its modules (the add-on and the engine import what they use).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

CONTRACT = Path(__file__).resolve().parents[2] / "engine" / "contract"
MODULES = sorted(p.stem for p in CONTRACT.glob("*.py") if not p.stem.startswith("_"))


def test_cardinality_the_contract_has_its_modules():
    assert MODULES == [
        "atomic_write",
        "engine_requests",
        "errors",
        "face_head",
        "frames",
        "gap_bridging",
        "gaze",
        "image_suffixes",
        "key_reduction",
        "livelink_csv",
        "npz_archive",
        "one_euro",
        "output_guard",
        "partial_take",
        "progress_events",
        "quaternion",
        "take",
        "take_io",
        "take_limits",
        "take_validation",
        "takes_record",
        "version",
        "writer_lock",
    ]


@pytest.mark.parametrize("name", MODULES)
def test_convention_public_names_exist_and_are_documented(name):
    module = importlib.import_module(f"engine.contract.{name}")
    assert module.__doc__ and hasattr(module, "__all__"), name
    for public in module.__all__:
        value = getattr(module, public)  # AttributeError: __all__ names something that does not exist
        if callable(value) and not isinstance(value, type | tuple):
            assert value.__doc__, f"{name}.{public} has no docstring"


def test_convention_importing_the_package_imports_no_module():
    code = "import sys, engine.contract; print(sorted(m for m in sys.modules if m.startswith('engine.contract.')))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=CONTRACT.parents[1]
    ).stdout
    assert out.strip() == "[]"
