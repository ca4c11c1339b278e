"""What a bake animates (:class:`BakeTargets`, by name) and whether the open file can take it: every problem said
at once, before anything changes (bpy; reads only).

One check for the panel's Bake, the Track operator's Bake When Done and the headless batch (which says it once, not
once per take). Three kinds of problem:

- missing: a target object or bone the file does not have (or a "mesh" that is not one, or the face's only mesh
  without shape keys);
- two roles: one object or bone given two of head, neck, jaw and eye (both eyes may share one: it turns by their
  mean gaze); one role's curves would overwrite the other's;
- keys not kept: keys set here on data linked from another .blend are not saved with this file: the bake would
  read as done and be gone on the next open. A library override keeps them (an overridden object's Action, an
  overridden mesh's shape-key Action: through save, reopen, library reloads and resyncs).
"""

from __future__ import annotations

import dataclasses

import bpy

from .._contract import errors
from ..pure.bone_motion import JawSettings
from ..pure.processing import EYE_LOOK_FROM_TAKE

__all__ = [
    "NECK_SHARE_DEFAULT",
    "BakeTargets",
    "TargetError",
    "check_targets",
    "keys_not_kept",
    "missing_targets",
    "shared_role",
]

NECK_SHARE_DEFAULT = 0.4  # of the head's rotation taken by a neck bone (the cervical spine does about 40-50 %)

_MAKE_OVERRIDE = "Object > Library Override > Make > Selected & Content"
_OVERRIDE_MESH = "in the Outliner, the mesh's menu: Library Override > Make > Selected"


@dataclasses.dataclass(frozen=True)
class BakeTargets:
    """What gets animated (object / bone names; empty = not used).

    Attributes:
        mesh: a mesh object with shape keys (the main mesh of the face).
        meshes: more meshes of the same face (teeth, tongue, eyes, eyelashes, ...); those whose keys match the
            mapping are driven from the same take. Meshes without shape keys are reported and skipped.
        head_object: the object whose rotation follows the head (an armature when ``head_bone`` is set).
        head_bone: a pose bone of ``head_object``.
        head_translation: also key the head's location.
        neck_bone: a pose bone of ``head_object`` that takes ``neck_share`` of the head's rotation (the head bone
            keeps the rest, so the head ends where the take says).
        neck_share: in [0, 1].
        jaw_object: the object opened by the jaw channels (an armature when ``jaw_bone`` is set).
        jaw_bone: a pose bone of ``jaw_object`` (rest pose = closed jaw).
        jaw_settings: the jaw's rotation and slide at weight 1.
        eye_objects: (left, right) objects rotated by the gaze (armatures when ``eye_bones`` are set).
        eye_bones: (left, right) pose bone names.
        eye_look: where the shape keys' eye-look channels come from (:data:`processing.EYE_LOOK_SOURCES`): the
            take's fitted weights (the lids' part of a look; beside eye rotations), the gaze (rigs whose eyeLook keys
            turn the eyes) or nowhere (0: no gaze baked).
    """

    mesh: str = ""
    meshes: tuple[str, ...] = ()
    head_object: str = ""
    head_bone: str = ""
    head_translation: bool = False
    neck_bone: str = ""
    neck_share: float = NECK_SHARE_DEFAULT
    jaw_object: str = ""
    jaw_bone: str = ""
    jaw_settings: JawSettings = JawSettings()
    eye_objects: tuple[str, str] = ("", "")
    eye_bones: tuple[str, str] = ("", "")
    eye_look: str = EYE_LOOK_FROM_TAKE

    def all_meshes(self) -> tuple[str, ...]:
        """``mesh`` then ``meshes``, each once."""
        return tuple(dict.fromkeys(n for n in (self.mesh, *self.meshes) if n))

    def turns_anything(self) -> bool:
        """Whether a head, jaw or eye target is set (a bake that turns something even without shape keys)."""
        return bool(self.head_object or self.jaw_object or any(self.eye_objects))


class TargetError(errors.UserError):
    """A bake's targets cannot take it in this file (see the module docstring); nothing was written.

    Attributes:
        problems: one sentence per problem.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


def _shape_key_count(obj: bpy.types.Object) -> int:
    key = obj.data.shape_keys
    return len(key.key_blocks) - 1 if key is not None else 0


def _turn_targets(targets: BakeTargets) -> list[tuple[str, str, str]]:
    """(role, object, bone) of every head, neck, jaw and eye target set (both eyes on one target: once)."""
    roles = [("head", targets.head_object, targets.head_bone)]
    roles += [("neck", targets.head_object, targets.neck_bone)] if targets.neck_bone else []
    roles += [("jaw", targets.jaw_object, targets.jaw_bone)]
    eyes = dict.fromkeys(zip(targets.eye_objects, targets.eye_bones, strict=True))
    sides = ("eye",) if len(eyes) == 1 else ("left eye", "right eye")
    roles += [(side, obj, bone) for side, (obj, bone) in zip(sides, eyes, strict=True)]
    return [(role, obj, bone) for role, obj, bone in roles if obj or bone]


def missing_targets(targets: BakeTargets) -> list[str]:
    """The targets the open file does not have, as ``kind 'name'`` (``object:bone`` for bones)."""
    missing = []
    for name in targets.all_meshes():
        obj = bpy.data.objects.get(name)
        if obj is None:
            missing.append(f"mesh '{name}'")
        elif obj.type != "MESH":
            missing.append(f"mesh with shape keys '{name}' ({obj.type.lower()} object)")
        elif len(targets.all_meshes()) == 1 and _shape_key_count(obj) == 0:  # one of several: reported and skipped
            missing.append(
                f"mesh with shape keys '{name}' (it has none: pick a mesh with shape keys or build the demo rig)"
            )
    if targets.neck_bone and not targets.head_bone:
        missing.append(f"a head bone for neck bone '{targets.neck_bone}' (a neck bone needs its armature's head bone)")
    for role, obj_name, bone in _turn_targets(targets):
        obj = bpy.data.objects.get(obj_name) if obj_name else None
        if obj is None:
            missing.append(f"{role} object '{obj_name}'")
        elif bone and (obj.type != "ARMATURE" or bone not in obj.pose.bones):
            missing.append(f"{role} bone '{obj_name}:{bone}'")
    return missing


def shared_role(targets: BakeTargets) -> str:
    """The object or bone given two roles among head, neck, jaw and eyes, as ``'object'`` or ``'object:bone'``, or
    "".
    """
    seen: set[tuple[str, str]] = set()
    for _, obj, bone in _turn_targets(targets):
        if (obj, bone) in seen:
            return f"'{obj}:{bone}'" if bone else f"'{obj}'"
        seen.add((obj, bone))
    return ""


def keys_not_kept(targets: BakeTargets) -> list[str]:
    """A sentence for each target whose baked keys this file would not keep (linked from another .blend), with what
    to do: a library override, never Make Local (a library mesh made local in place is shared by every instance of
    the character, which would all play one bake).
    """
    said = []
    for name in targets.all_meshes():
        obj = bpy.data.objects.get(name)
        if obj is None or obj.type != "MESH":
            continue
        key = obj.data.shape_keys
        if key is None:  # nothing of it is baked
            continue
        if obj.library is not None:
            said.append(
                f"'{name}' is linked from {obj.library.filepath} and cannot keep keys in this file: make it a library "
                f"override ({_MAKE_OVERRIDE})"
            )
        elif obj.data.library is not None or key.library is not None:
            library = (obj.data.library or key.library).filepath
            said.append(
                f"'{name}' is an override whose mesh is still linked from {library}: keys on its shape keys are not "
                f"saved in this file; override its mesh too ({_OVERRIDE_MESH})"
            )
    for _, obj_name, _ in _turn_targets(targets):
        obj = bpy.data.objects.get(obj_name) if obj_name else None
        if obj is not None and obj.library is not None and obj_name not in targets.all_meshes():
            said.append(
                f"'{obj_name}' is linked from {obj.library.filepath} and cannot keep keys in this file: make it a "
                f"library override ({_MAKE_OVERRIDE})"
            )
    return list(dict.fromkeys(said))


def check_targets(targets: BakeTargets) -> None:
    """Raise :class:`TargetError` with every problem of the targets in the open file; return if there is none."""
    problems = []
    missing = missing_targets(targets)
    if missing:
        problems.append(f"not in this file: {', '.join(missing)}")
    shared = shared_role(targets)
    if shared:
        problems.append(
            f"{shared} has two roles among the head, neck, jaw and eye targets: give one of them another object or bone"
        )
    problems += keys_not_kept(targets)
    if problems:
        raise TargetError(problems)
