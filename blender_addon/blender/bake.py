"""Bake a processed take onto a scene's targets (bpy layer; synchronous, no modal or timer code).

Used by the Bake operator, by the Track operator when tracking finishes, and by the headless batch. Shape keys
get one Action on the mesh's ``Key`` named after the clip; head and eye rotations go onto the chosen objects or
pose bones, one Action per animated object, named ``<clip> (<object>)``. Earlier takes and user Actions are
pushed to NLA tracks, never modified (see :mod:`anim_write`).
"""

from __future__ import annotations

import dataclasses
import math

import bpy
import numpy as np

from .._contract import errors, quaternion
from ..pure import coords
from ..pure.processing import ProcessSettings, process_take
from ..pure.retarget import AUTO, plan_retarget
from ..pure.takes import OpenedTake
from .anim_write import CurveSpec, begin_take_action, check_finite_curves, write_curves

__all__ = ["BakeError", "BakeOptions", "BakeResult", "BakeTargets", "bake_take", "take_frames"]

GROUP_SHAPES = "Shape Keys"
GROUP_HEAD = "Head"
GROUP_EYES = "Eyes"


class BakeError(errors.UserError):
    """A bake cannot be done as asked (missing target, no shape keys, ...); the message says what to fix."""


@dataclasses.dataclass(frozen=True)
class BakeTargets:
    """What gets animated (object / bone names; empty = not used).

    Attributes:
        mesh: a mesh object with shape keys.
        head_object: the object whose rotation follows the head (an armature when ``head_bone`` is set).
        head_bone: a pose bone of ``head_object``.
        head_translation: also key the head's location.
        eye_objects: (left, right) objects rotated by the gaze (armatures when ``eye_bones`` are set).
        eye_bones: (left, right) pose bone names.
        gaze_to_shape_keys: drive eyeLook shape keys from the gaze instead of (or as well as) eye rotations.
    """

    mesh: str = ""
    head_object: str = ""
    head_bone: str = ""
    head_translation: bool = False
    eye_objects: tuple[str, str] = ("", "")
    eye_bones: tuple[str, str] = ("", "")
    gaze_to_shape_keys: bool = False


@dataclasses.dataclass(frozen=True)
class BakeOptions:
    """How curves are written.

    Attributes:
        mapping: a mapping preset, a custom ``.toml`` path, or ``"AUTO"``.
        swap_left_right: the rig is mirrored.
        key_tolerance: key-reduction tolerance on shape-key weights (0 = a key on every frame).
        set_scene_timing: set the scene's fps and frame range from the clip first.
        start_frame: the scene frame of the take's first frame (None = the scene's start frame).
    """

    mapping: str = AUTO
    swap_left_right: bool = False
    key_tolerance: float = 0.0
    set_scene_timing: bool = False
    start_frame: int | None = None


@dataclasses.dataclass(frozen=True)
class BakeResult:
    """What a bake did: Action names, keys written, the matching summary, warnings for the report."""

    actions: tuple[str, ...]
    keys: int
    summary: str
    warnings: tuple[str, ...]


def scene_fps(scene: bpy.types.Scene) -> float:
    """The scene's frame rate (``fps / fps_base``)."""
    return scene.render.fps / scene.render.fps_base


def take_frames(scene: bpy.types.Scene, time: np.ndarray, start_frame: int | None = None) -> np.ndarray:
    """Take seconds -> scene frames: ``start + time * scene_fps`` (``(T,)`` float64; fractional if rates differ)."""
    start = scene.frame_start if start_frame is None else start_frame
    return start + np.asarray(time, dtype=np.float64) * scene_fps(scene)


def set_scene_timing(scene: bpy.types.Scene, take: OpenedTake, start_frame: int | None = None) -> None:
    """Set the scene's fps to the clip's (as ``fps / fps_base``) and its range to cover the take."""
    fps = take.take.fps
    rounded = max(int(round(fps)), 1)
    scene.render.fps = rounded
    scene.render.fps_base = rounded / fps
    start = scene.frame_start if start_frame is None else start_frame
    scene.frame_start = start
    scene.frame_end = start + int(math.ceil(take.take.duration * fps - 1e-6))


def _object(name: str, what: str) -> bpy.types.Object:
    obj = bpy.data.objects.get(name)
    if obj is None:
        raise BakeError(f"{what} '{name}' not found in this file; pick it again in the panel")
    return obj


def _rotation_specs(
    owner: bpy.types.Object, bone: str, q_world: np.ndarray, group: str, location: np.ndarray | None = None
) -> list[CurveSpec]:
    """Curves for a rotation (and location offset) given in Blender world axes, on an object or a pose bone."""
    if bone:
        if owner.type != "ARMATURE" or bone not in owner.pose.bones:
            raise BakeError(f"'{owner.name}' has no bone '{bone}'")
        pb = owner.pose.bones[bone]
        pb.rotation_mode = "QUATERNION"
        rest = np.array(pb.bone.matrix_local.to_3x3(), dtype=np.float64)
        q = coords.rotations_to_bone_local(q_world, rest)
        base = pb.path_from_id()
        rot_path, loc_path = f"{base}.rotation_quaternion", f"{base}.location"
        loc = None if location is None else location @ rest  # world offset -> bone-local (rest^T @ v)
    else:
        owner.rotation_mode = "QUATERNION"
        rest_key = "facewarehouse_mocap_rest"
        if rest_key not in owner.keys():  # remember the pose before the first bake; later bakes are relative to it
            owner[rest_key] = list(owner.rotation_quaternion) + list(owner.location)
        rest = np.array(owner[rest_key], dtype=np.float64)
        q = quaternion.quaternion_continuity(quaternion.quaternion_multiply(q_world, rest[:4]))
        rot_path, loc_path = "rotation_quaternion", "location"
        loc = None if location is None else location + rest[4:7]
    specs = [CurveSpec(rot_path, i, q[:, i], group) for i in range(4)]
    if loc is not None:
        specs += [CurveSpec(loc_path, i, loc[:, i], group) for i in range(3)]
    return specs


def bake_take(
    scene: bpy.types.Scene,
    take: OpenedTake,
    targets: BakeTargets,
    *,
    settings: ProcessSettings = ProcessSettings(),
    options: BakeOptions = BakeOptions(),
) -> BakeResult:
    """Bake one take onto the targets.

    Args:
        scene: supplies the frame rate (and is retimed when ``options.set_scene_timing``).
        take: an opened take file or Live Link Face CSV (:func:`pure.takes.open_take`).
        targets: what to animate; at least one of mesh, head, eyes.
        settings: filtering / calibration / gain (see :class:`processing.ProcessSettings`).
        options: mapping and key options.

    Returns:
        A :class:`BakeResult`.

    Raises:
        BakeError: a target is missing or unsuitable; MappingError: a bad mapping; NeutralRangeError: a bad
            neutral range (all :class:`UserError`). Nothing is written when an error is raised before the first
            Action is created.
    """
    gaze_keys = targets.gaze_to_shape_keys
    processed = process_take(take.take, dataclasses.replace(settings, gaze_to_shape_keys=gaze_keys))
    if options.set_scene_timing:
        set_scene_timing(scene, take, options.start_frame)
    frames = take_frames(scene, processed.time, options.start_frame)
    warnings = list(take.warnings)
    jobs: list[tuple[bpy.types.ID, str, str, list[CurveSpec]]] = []  # (id, action name, id type, curves)
    summary = ""

    if targets.mesh:
        obj = _object(targets.mesh, "mesh")
        key = getattr(obj.data, "shape_keys", None)
        if key is None or len(key.key_blocks) < 2:
            raise BakeError(
                f"'{obj.name}' has no shape keys to animate; pick a mesh with shape keys or build the demo rig"
            )
        rig_keys = [kb.name for kb in key.key_blocks if kb != key.reference_key]
        plan = plan_retarget(
            processed.weights, processed.names, rig_keys, options.mapping, swap_left_right=options.swap_left_right
        )
        summary = plan.summary()
        specs = [
            CurveSpec(
                key.key_blocks[name].path_from_id("value"), 0, plan.values[:, j], GROUP_SHAPES, options.key_tolerance
            )
            for j, name in enumerate(plan.key_names)
        ]
        jobs.append((key, take.name, "KEY", specs))

    by_owner: dict[str, list[CurveSpec]] = {}
    if targets.head_object:
        owner = _object(targets.head_object, "head target")
        loc = processed.head_location if targets.head_translation else None
        by_owner.setdefault(owner.name, []).extend(
            _rotation_specs(owner, targets.head_bone, processed.head_rotation, GROUP_HEAD, loc)
        )
    if any(targets.eye_objects):
        for eye in (0, 1):
            if not targets.eye_objects[eye]:
                continue
            owner = _object(targets.eye_objects[eye], "eye target")
            q = coords.gaze_to_blender_eye_rotations(processed.gaze[:, eye, 0], processed.gaze[:, eye, 1])
            by_owner.setdefault(owner.name, []).extend(_rotation_specs(owner, targets.eye_bones[eye], q, GROUP_EYES))
    for owner_name, specs in by_owner.items():
        jobs.append((bpy.data.objects[owner_name], f"{take.name} ({owner_name})", "OBJECT", specs))
    if not jobs:
        raise BakeError("nothing to bake: pick a target mesh, a head target or eye targets")

    for _, _, _, specs in jobs:
        check_finite_curves(specs)  # before any Action is touched: never NaN keys, never half a bake
    actions, keys = [], 0
    for id_data, action_name, id_type, specs in jobs:
        channels = begin_take_action(id_data, action_name, id_type, take_name=take.name)
        keys += write_curves(channels, frames, specs)
        actions.append(channels.action.name)
    return BakeResult(tuple(actions), keys, summary, tuple(warnings))
