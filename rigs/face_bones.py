"""Face bones by role (head, neck, jaw, eyes) as rigs name them, and the channels that drive a jaw bone.

The data is ``rigs/face_bones.toml``; :func:`find_face_bones` picks, per role, the armature's bone that matches a
listed name (read like shape keys: case, separators, sides and prefixes ignored).
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from collections.abc import Sequence
from pathlib import Path

from .names import RigDataError, load_names
from .shape_names import name_readings, normalize_shape_name

__all__ = ["FACE_BONES_FILE", "ROLES", "FaceBones", "find_face_bones", "jaw_channels"]

FACE_BONES_FILE = Path(__file__).resolve().parent / "face_bones.toml"
SCHEMA_VERSION = 1
ROLES = ("head", "neck", "jaw", "eye_left", "eye_right")
JAW_MOTIONS = ("open", "left", "right", "forward")


@dataclasses.dataclass(frozen=True)
class FaceBones:
    """Bone names found per role (``""``: none found)."""

    head: str = ""
    neck: str = ""
    jaw: str = ""
    eye_left: str = ""
    eye_right: str = ""


@functools.cache
def _data() -> dict:
    with FACE_BONES_FILE.open("rb") as f:
        data = tomllib.load(f)
    if data.get("schema") != SCHEMA_VERSION:
        raise RigDataError(f"{FACE_BONES_FILE}: schema must be {SCHEMA_VERSION}, got {data.get('schema')!r}")
    bones = data.get("bones", {})
    if set(bones) != set(ROLES) or not all(isinstance(v, list) and v for v in bones.values()):
        raise RigDataError(f"{FACE_BONES_FILE}: [bones] needs a non-empty list for each of {', '.join(ROLES)}")
    for list_name, channels in data.get("jaw_channels", {}).items():
        names = set(load_names(list_name))
        if set(channels) != set(JAW_MOTIONS) or not set(channels.values()) <= names:
            raise RigDataError(f"{FACE_BONES_FILE}: jaw_channels.{list_name} needs {JAW_MOTIONS} from that list")
    return data


def find_face_bones(bone_names: Sequence[str]) -> FaceBones:
    """The armature's bone for each role, or ``""``.

    Args:
        bone_names: the armature's bone names.

    Example:
        >>> names = ["root", "mixamorig:Neck", "mixamorig:Head", "mixamorig:LeftEye", "mixamorig:RightEye"]
        >>> bones = find_face_bones(names)
        >>> bones.head, bones.neck, bones.jaw, bones.eye_left, bones.eye_right
        ('mixamorig:Head', 'mixamorig:Neck', '', 'mixamorig:LeftEye', 'mixamorig:RightEye')
        >>> find_face_bones(["ORG-jaw", "jaw_master", "head", "neck"]).jaw
        'jaw_master'
    """
    readings = [(bone, name_readings(bone)) for bone in bone_names]
    found = {}
    for role in ROLES:
        best = None
        for rank, listed in enumerate(_data()["bones"][role]):
            wanted = normalize_shape_name(listed)
            for order, (bone, reads) in enumerate(readings):
                if wanted in reads:
                    score = (reads.index(wanted), rank, order)
                    if best is None or score < best[0]:
                        best = (score, bone)
        found[role] = best[1] if best else ""
    return FaceBones(**found)


def jaw_channels(list_name: str) -> dict[str, str]:
    """``{"open", "left", "right", "forward"}`` -> channel name of a source list, or ``{}`` for a list without a jaw.

    Example:
        >>> jaw_channels("facewarehouse46")["forward"], jaw_channels("vrm")
        ('JawFwd', {})
    """
    return dict(_data().get("jaw_channels", {}).get(list_name, {}))
