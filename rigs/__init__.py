"""Rig knowledge as data: canonical ordered name lists, retargeting mappings, vendor naming schemes and face-bone
names, plus a small loader.

Used by both the engine (Live Link Face CSV export/import) and the Blender add-on (baking, retargeting).
Pure Python + numpy; never imports bpy. The data files are commented TOML:

- ``names/<list>.toml``: ``names = [...]``, the ONE canonical ordering of a shape set.
- ``mappings/<source>_to_<target>.toml``: one link per line, ``target = clip(gain*source+offset, *clamp)``.
- ``schemes/<vendor>.toml``: how a vendor spells a canonical list (``Brow_Raise_Inner_L`` = ``browInnerUp``).
- ``face_bones.toml``: head, neck, jaw and eye bone names by role, and the channels that drive a jaw bone.
"""

from __future__ import annotations

from .face_bones import FaceBones, find_face_bones, jaw_channels
from .mapping import MAPPINGS_DIR, Link, Mapping, load_mapping, make_mapping, mapping_presets, names_a_file
from .mapping_write import mapping_to_toml
from .matching import MatchReport, match_shape_keys
from .names import RigDataError, load_names, name_list_of, name_lists
from .schemes import NamingScheme, load_scheme, load_schemes
from .shape_names import normalize_shape_name, set_prefix

__all__ = [
    "MAPPINGS_DIR",
    "FaceBones",
    "Link",
    "Mapping",
    "MatchReport",
    "NamingScheme",
    "RigDataError",
    "find_face_bones",
    "jaw_channels",
    "load_mapping",
    "load_names",
    "load_scheme",
    "load_schemes",
    "make_mapping",
    "mapping_presets",
    "mapping_to_toml",
    "names_a_file",
    "match_shape_keys",
    "name_list_of",
    "name_lists",
    "normalize_shape_name",
    "set_prefix",
]
