"""The engine's version: read from the one place it is written, the add-on's extension manifest."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

__all__ = ["MANIFEST_PATH", "engine_version"]

MANIFEST_PATH = Path(__file__).resolve().parent.parent / "blender_addon" / "blender_manifest.toml"


@functools.lru_cache(maxsize=1)
def engine_version() -> str:
    """The project version, e.g. ``"0.1.0"`` (``"unknown"`` if the manifest is not beside the engine)."""
    try:
        with MANIFEST_PATH.open("rb") as f:
            return str(tomllib.load(f)["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"
