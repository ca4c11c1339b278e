"""The project's version, read from the one place it is written: the add-on's extension manifest."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

__all__ = ["MANIFEST_CANDIDATES", "project_version"]

_HERE = Path(__file__).resolve().parent
MANIFEST_CANDIDATES = (
    _HERE.parent / "blender_manifest.toml",  # inside the add-on zip: <addon>/contract/ beside the manifest
    _HERE.parents[1] / "blender_addon" / "blender_manifest.toml",  # a repository checkout: engine/contract/
)
"""Where the manifest is looked for, in order."""


@functools.lru_cache(maxsize=1)
def project_version() -> str:
    """The project version, e.g. ``"0.1.0"`` (``"unknown"`` if no manifest is found)."""
    for manifest in MANIFEST_CANDIDATES:
        try:
            with manifest.open("rb") as f:
                return str(tomllib.load(f)["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            continue
    return "unknown"
