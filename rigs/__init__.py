"""Rig knowledge as data: canonical ordered name lists and retargeting mappings, plus a small loader.

Used by both the engine (Live Link Face CSV export/import) and the Blender add-on (baking, retargeting).
Pure Python + numpy; never imports bpy. The data files are commented TOML:

- ``names/<list>.toml``: ``names = [...]``, the ONE canonical ordering of a shape set.
- ``mappings/<source>_to_<target>.toml``: one link per line, ``target = clip(gain*source+offset, *clamp)``.
"""

from __future__ import annotations

from .mapping import Link, Mapping, load_mapping, mapping_presets
from .matching import MatchReport, match_shape_keys, normalize_shape_name
from .names import RigDataError, load_names, name_lists

__all__ = [
    "Link",
    "Mapping",
    "MatchReport",
    "RigDataError",
    "load_mapping",
    "load_names",
    "mapping_presets",
    "match_shape_keys",
    "name_lists",
    "normalize_shape_name",
]
