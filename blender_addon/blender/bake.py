"""Bake a processed take onto a scene's targets (bpy layer; synchronous, no modal or timer code).

Used by the Bake operator, by the Track operator when tracking finishes, and by the headless batch. A face may be
several meshes: the main mesh's ``Key`` gets an Action named after the clip, every other mesh's ``Key`` one named
``<clip> (<mesh>)``; head, neck, jaw and eye rotations go onto the chosen objects or pose bones, one Action per
animated object, named ``<clip> (<object>)``. All of a take's Actions carry the take's name (``anim_write``'s tag),
so they form one group per take. Earlier takes and user Actions are pushed to NLA tracks, never modified (see
:mod:`anim_write`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable, Iterator

import bpy
import numpy as np

from .._contract import errors, quaternion
from .._rigs import rigs
from ..pure import bone_motion, coords
from ..pure.processing import ProcessedTake, ProcessSettings, process_take
from ..pure.retarget import AUTO, NoKeyMatchesError, plan_face
from ..pure.takes import OpenedTake
from .anim_write import (
    CurveSpec,
    baked_start_frame,
    begin_take_action,
    check_finite_curves,
    check_not_in_tweak_mode,
    finish_take_action,
    write_curves,
)
from .target_check import BakeTargets, check_targets

__all__ = ["BakeError", "BakeOptions", "BakeResult", "BakeTargets", "bake_take", "take_frames", "take_start_frame"]

MAX_SCENE_FRAME = 1_048_574
"""Blender's last frame (``MAXFRAME``): a key beyond it can be neither reached nor played."""

GROUP_SHAPES = "Shape Keys"
GROUP_HEAD = "Head"
GROUP_JAW = "Jaw"
GROUP_EYES = "Eyes"


class BakeError(errors.UserError):
    """A bake cannot be done as asked (missing target, no shape keys, ...); the message says what to fix."""


@dataclasses.dataclass(frozen=True)
class BakeOptions:
    """How curves are written.

    Attributes:
        mapping: a mapping preset, a custom ``.toml`` path, a ``rigs.Mapping`` (the panel's mapping editor), or
            ``"AUTO"``.
        swap_left_right: the rig is mirrored.
        key_tolerance: key-reduction tolerance on shape-key weights (0 = a key on every frame).
        set_scene_timing: set the scene's fps and frame range from the clip first.
        start_frame: the scene frame of the take's first frame (None: where an earlier bake of this take file on
            the targets put it, else the scene's start frame: :func:`take_start_frame`).
    """

    mapping: str | rigs.Mapping = AUTO
    swap_left_right: bool = False
    key_tolerance: float = 0.0
    set_scene_timing: bool = False
    start_frame: int | None = None


@dataclasses.dataclass(frozen=True)
class BakeResult:
    """What a bake did: Action names, keys written, the matching summary, warnings, and the connection report (a
    line per mesh and bone: what was driven, what was left alone, every target found nowhere).
    """

    actions: tuple[str, ...]
    keys: int
    summary: str
    warnings: tuple[str, ...]
    report: tuple[str, ...] = ()
    connections: dict = dataclasses.field(default_factory=dict)  # driven mapping target -> the keys it drives


def scene_fps(scene: bpy.types.Scene) -> float:
    """The scene's frame rate (``fps / fps_base``)."""
    return scene.render.fps / scene.render.fps_base


def take_frames(scene: bpy.types.Scene, time: np.ndarray, start_frame: float | None = None) -> np.ndarray:
    """Take seconds -> scene frames: ``start + time * scene_fps`` (``(T,)`` float64; fractional if rates differ)."""
    start = scene.frame_start if start_frame is None else start_frame
    return start + np.asarray(time, dtype=np.float64) * scene_fps(scene)


def take_start_frame(scene: bpy.types.Scene, take: OpenedTake, targets: BakeTargets) -> float:
    """The scene frame a take's first frame is (or will be) keyed at: where an earlier bake of this take file on
    the targets put it (a re-bake keeps it there, whatever the scene's start since), else the scene's start.
    """
    ids = [getattr(bpy.data.objects.get(n), "data", None) for n in targets.all_meshes()]
    ids = [getattr(d, "shape_keys", None) for d in ids]
    ids += [bpy.data.objects.get(n) for n in (targets.head_object, targets.jaw_object, *targets.eye_objects) if n]
    for id_data in ids:
        start = baked_start_frame(id_data, take.name, take.path)
        if start is not None:
            return start
    return float(scene.frame_start)


def set_scene_timing(scene: bpy.types.Scene, take: OpenedTake, start_frame: int | None = None) -> None:
    """Set the scene's fps to the clip's (as ``fps / fps_base``; an NTSC rate, within 0.0005 of ``N * 1000 / 1001``,
    as Blender's own presets set it: ``fps_base`` 1.001) and its range to cover the take.
    """
    fps = take.take.fps
    rounded = max(int(round(fps)), 1)
    scene.render.fps = rounded
    scene.render.fps_base = 1.001 if abs(fps - rounded * 1000 / 1001) <= 5e-4 else rounded / fps
    start = scene.frame_start if start_frame is None else start_frame
    scene.frame_start = start
    scene.frame_end = start + int(math.ceil(take.take.duration * fps - 1e-6))


EULER_ORDERS = ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX")
REST_KEY = "facewarehouse_mocap_rest"  # an object target's pose before its first bake: [w, x, y, z, lx, ly, lz]
# Kept on the object and on its baked Actions: a library override does not save a custom property added to its object
# (the rest was gone after a reopen, and the next take started from the last one's held pose), its local Actions do.


def _stored_rest(obj: bpy.types.Object) -> list[float] | None:
    """The rest an earlier bake stored for an object target (on it, else on one of its baked Actions), or None when
    nothing animates it now (the artist cleared the animation: its pose is a new rest).
    """
    anim = obj.animation_data
    if anim is None or (anim.action is None and not len(anim.nla_tracks)):
        return None
    if REST_KEY in obj.keys():
        return list(obj[REST_KEY])
    actions = [anim.action, *(strip.action for track in anim.nla_tracks for strip in track.strips)]
    return next((list(a[REST_KEY]) for a in actions if a is not None and REST_KEY in a.keys()), None)


@dataclasses.dataclass
class _Pending:
    """Changes to the artist's objects a bake makes only once nothing can fail any more (never half a bake)."""

    rests: dict[str, list[float]] = dataclasses.field(default_factory=dict)  # object -> REST_KEY value to store
    quaternion_modes: list[tuple[bpy.types.Object, str]] = dataclasses.field(default_factory=list)  # (owner, bone)

    def apply(self) -> None:
        for name, rest in self.rests.items():
            bpy.data.objects[name][REST_KEY] = rest
        for owner, bone in self.quaternion_modes:
            (owner.pose.bones[bone] if bone else owner).rotation_mode = "QUATERNION"


def _object_rest(owner: bpy.types.Object, pending: _Pending) -> np.ndarray:
    """An object target's rest pose, ``[w, x, y, z, lx, ly, lz]``: the pose before its first bake, or its current
    pose when nothing animates it now (the artist cleared the animation and moved it: a new rest).
    """
    stored = _stored_rest(owner)
    if stored is not None:
        return np.array(stored, dtype=np.float64)
    _, rotation, _ = owner.matrix_basis.decompose()  # whatever its rotation mode, unaffected by its scale
    rest = list(rotation) + list(owner.location)
    pending.rests[owner.name] = rest
    return np.array(rest, dtype=np.float64)


def _rest_world_rotation(obj: bpy.types.Object) -> np.ndarray:
    """``(3, 3)`` an object's world rotation with its parents at rest: the bakes of this add-on at the rest they
    record (:data:`REST_KEY`; a head a take turns), bone parents at their rest pose; other animation as at the
    current frame. The axes a take's rotations are carried into must not move with the frame the scene is on (eyes
    under a head baked before: a re-bake at another frame skewed every eye curve).
    """
    stored = _stored_rest(obj)
    if stored is not None:
        basis = quaternion.quaternion_wxyz_to_matrix(np.array(stored[:4], dtype=np.float64))
    else:
        basis = _rotation_and_scale(obj.matrix_basis)[0]
    return _rest_parent_space(obj) @ basis


def _rest_parent_space(obj: bpy.types.Object) -> np.ndarray:
    """``(3, 3)`` the world rotation of the space an object's own rotation is in (its parent's, with the parent
    inverse), parents at rest (:func:`_rest_world_rotation`); the world's for an object without a parent.
    """
    parent = obj.parent
    if parent is None:
        return np.eye(3)
    inverse = _rotation_and_scale(obj.matrix_parent_inverse)[0]
    if obj.parent_type == "BONE" and parent.type == "ARMATURE" and obj.parent_bone in parent.data.bones:
        bone = _rotation_and_scale(parent.data.bones[obj.parent_bone].matrix_local)[0]  # the bone at rest
        return _rest_world_rotation(parent) @ bone @ inverse
    if obj.parent_type in ("OBJECT", "ARMATURE"):
        return _rest_world_rotation(parent) @ inverse
    return _rotation_and_scale(obj.matrix_world @ obj.matrix_basis.inverted_safe())[0]  # vertex parents: as now


@contextlib.contextmanager
def _at_frame(scene: bpy.types.Scene, frame: int) -> Iterator[None]:
    """The scene at ``frame`` for the block, back where it was after."""
    current = (scene.frame_current, scene.frame_subframe)
    if current == (frame, 0.0):
        yield
        return
    scene.frame_set(frame)
    try:
        yield
    finally:
        scene.frame_set(current[0], subframe=current[1])


def _rotation_and_scale(matrix) -> tuple[np.ndarray, float]:
    """A ``mathutils.Matrix`` 4x4 -> its ``(3, 3)`` rotation and its scale (the mean over the axes: a rig is scaled
    evenly; an FBX import's 0.01).
    """
    _, rotation, scale = matrix.decompose()
    return np.array(rotation.to_matrix(), dtype=np.float64), float(sum(abs(v) for v in scale) / 3.0) or 1.0


def _rotation_curves(
    mode: str, base: str, q: np.ndarray, group: str, what: str, warnings: list, pending: _Pending, key
) -> list[CurveSpec]:
    """Rotation curves in the target's own rotation mode: Euler angles for an Euler target (so the artist's rig and
    their own Euler animation keep working), quaternions otherwise (an axis-angle target is switched to quaternions,
    once nothing can fail, and the report says so).
    """
    if mode in EULER_ORDERS:
        import mathutils

        eulers, previous = np.empty((len(q), 3)), None
        for i, wxyz in enumerate(q):
            rotation = mathutils.Quaternion(wxyz)
            previous = rotation.to_euler(mode, previous) if previous is not None else rotation.to_euler(mode)
            eulers[i] = previous  # each as close as possible to the one before: no 360 deg jumps
        return [CurveSpec(f"{base}rotation_euler", i, eulers[:, i], group) for i in range(3)]
    if mode != "QUATERNION":
        pending.quaternion_modes.append(key)
        warnings.append(f"{what} was in {mode} rotation mode: switched to quaternions to take the head's rotation")
    return [CurveSpec(f"{base}rotation_quaternion", i, q[:, i], group) for i in range(4)]


def _rotation_specs(
    owner: bpy.types.Object,
    bone: str,
    q_world: np.ndarray,
    group: str,
    pending: _Pending,
    warnings: list,
    location: np.ndarray | None = None,
) -> list[CurveSpec]:
    """Curves for a rotation (and location offset, in metres) given in the character's axes
    (:mod:`pure.coords`), on an object or a pose bone, whatever the armature's or object's own rotation and scale.

    Nothing is changed on the target here (see :class:`_Pending`).
    """
    if bone:
        pb = owner.pose.bones[bone]
        armature_scale = _rotation_and_scale(owner.matrix_world)[1]
        armature_rotation = _rest_world_rotation(owner)
        facing = coords.character_facing(armature_rotation)
        axes = facing.T @ armature_rotation @ np.array(pb.bone.matrix_local.to_3x3(), dtype=np.float64)
        q = coords.character_to_local_rotations(q_world, axes)
        base = pb.path_from_id() + "."
        mode, what, loc_path = pb.rotation_mode, f"bone '{bone}' of '{owner.name}'", f"{base}location"
        loc = None if location is None else (location @ axes) / armature_scale  # metres -> the bone's axes, units
    else:
        rest = _object_rest(owner, pending)
        # The space the object's own rotation and location are in: its parent's (or the world), parents at rest.
        space_scale = _rotation_and_scale(owner.matrix_world @ owner.matrix_basis.inverted_safe())[1]
        space_rotation = _rest_parent_space(owner)
        facing = coords.character_facing(space_rotation @ quaternion.quaternion_wxyz_to_matrix(rest[:4]))
        axes = facing.T @ space_rotation
        q_space = coords.character_to_local_rotations(q_world, axes)
        q = quaternion.quaternion_continuity(quaternion.quaternion_multiply(q_space, rest[:4]))
        base, mode, what, loc_path = "", owner.rotation_mode, f"'{owner.name}'", "location"
        loc = None if location is None else (location @ axes) / space_scale + rest[4:7]
    specs = _rotation_curves(mode, base, q, group, what, warnings, pending, (owner, bone))
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
    progress: Callable[[float], None] | None = None,
) -> BakeResult:
    """Bake one take onto the targets.

    Args:
        scene: supplies the frame rate (and is retimed when ``options.set_scene_timing``).
        take: an opened take file or Live Link Face CSV (:func:`pure.takes.open_take`).
        targets: what to animate; at least one of mesh, head, eyes.
        settings: filtering / calibration / gain (see :class:`processing.ProcessSettings`).
        options: mapping and key options.
        progress: called with the share of curves written so far (0..1), after each curve.

    Returns:
        A :class:`BakeResult`.

    Raises:
        TargetError: a target is missing, has two roles or would not keep its keys (:mod:`target_check`);
            BakeError: a target is unsuitable; MappingError: a bad mapping; NeutralRangeError: a bad neutral range
            (all :class:`UserError`). Nothing is written when an error is raised before the first
            Action is created.
    """
    check_targets(targets)
    processed = process_take(take.take, dataclasses.replace(settings, eye_look=targets.eye_look))
    report: list[str] = []
    start = options.start_frame
    if start is None:
        start = take_start_frame(scene, take, targets)
        if start != scene.frame_start:
            report.append(
                f"Kept at frame {start:g}, where this take was baked (the scene starts at {scene.frame_start})"
            )
    fps = take.take.fps if options.set_scene_timing else scene_fps(scene)
    last = start + float(processed.time[-1]) * fps if len(processed.time) else start
    if last > MAX_SCENE_FRAME:
        raise BakeError(
            f"the take would end at frame {last:,.0f}, past Blender's last frame {MAX_SCENE_FRAME:,}: bake it from an "
            "earlier start frame, or at a lower scene frame rate"
        )
    if options.set_scene_timing:
        set_scene_timing(scene, take, int(round(start)))
    frames = take_frames(scene, processed.time, start)
    warnings = list(take.warnings)
    if not options.set_scene_timing and abs(take.take.fps - scene_fps(scene)) > 1e-3 * take.take.fps:
        warnings.append(
            f"the take is {take.take.fps:.5g} fps and the scene {scene_fps(scene):.5g} fps: its keys fall between "
            "the scene's frames, timed right (Set Scene FPS and Range, the batch's --set-scene-timing, makes the scene "
            "the take's)"
        )
    jobs: list[tuple[bpy.types.ID, str, str, list[CurveSpec]]] = []  # (id, action name, id type, curves)
    summary = ""
    plan = None
    connections: dict[str, tuple[str, ...]] = {}
    pending = _Pending()

    mesh_names = targets.all_meshes()
    if mesh_names:
        try:
            plan = _plan_shape_keys(processed, mesh_names, options)
        except NoKeyMatchesError as err:
            if not targets.turns_anything():
                raise
            warnings.append(f"no shape keys baked, only the head, jaw and eye targets: {err}")
    if plan is not None:
        summary = plan.summary()
        report += plan.report_lines()
        connections = plan.connections()
        for i, mesh_plan in enumerate(plan.meshes):
            key = bpy.data.objects[mesh_plan.mesh].data.shape_keys
            specs = [
                CurveSpec(
                    key.key_blocks[name].path_from_id("value"),
                    0,
                    mesh_plan.values[:, j],
                    GROUP_SHAPES,
                    options.key_tolerance,
                )
                for j, name in enumerate(mesh_plan.key_names)
            ]
            action_name = take.name if i == 0 else f"{take.name} ({mesh_plan.mesh})"
            jobs.append((key, action_name, "KEY", specs))

    with _at_frame(scene, int(round(start))):  # parents' animation read at the take's start, not where the scene is
        by_owner = _turning_specs(targets, processed, plan, report, pending, warnings)
    for owner_name, specs in by_owner.items():
        jobs.append((bpy.data.objects[owner_name], f"{take.name} ({owner_name})", "OBJECT", specs))
    if not jobs:
        raise BakeError("nothing to bake: pick a target mesh, a head target or eye targets")

    for id_data, _, _, specs in jobs:
        check_finite_curves(specs)  # before any Action is touched: never NaN keys, never half a bake
        check_not_in_tweak_mode(id_data)
        warnings += _driven_by_drivers(id_data, specs)
    pending.apply()
    actions, keys = [], 0
    done, total = 0, sum(len(specs) for *_, specs in jobs)

    def curve_written() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done / total)

    for id_data, action_name, id_type, specs in jobs:
        channels = begin_take_action(
            id_data, action_name, id_type, take_name=take.name, take_path=take.path, start_frame=start
        )
        keys += write_curves(channels, frames, specs, curve_written)
        finish_take_action(channels)
        rest = _stored_rest(id_data) if id_type == "OBJECT" else None
        if rest is not None:  # the rest, where an override keeps it too
            channels.action[REST_KEY] = rest
        actions.append(channels.action.name)
        if channels.blending_reset is not None:
            owner = getattr(id_data, "user", None) or id_data
            warnings.append(
                f"'{owner.name}' blended its Action {channels.blending_reset}: the take plays as keyed (replace at "
                "full influence); the earlier Action's NLA strip plays at full, set its blending in the NLA editor"
            )
        if channels.kept_shared is not None:
            warnings.append(
                f"the earlier bake '{channels.kept_shared}' is also played by another object, or linked from a "
                f"library: kept, untouched, on an NLA track; this bake is '{channels.action.name}'"
            )
        if channels.kept_edited is not None:
            warnings.append(
                f"the earlier bake '{channels.kept_edited}' had been edited since: kept, untouched, on an NLA track; "
                f"this bake is '{channels.action.name}'"
            )
    return BakeResult(tuple(actions), keys, summary, tuple(warnings), tuple(report), connections)


def _turning_specs(
    targets: BakeTargets, processed: ProcessedTake, plan, report: list, pending: _Pending, warnings: list
):
    """The head, jaw and eye targets' curves, by the object that owns them."""
    by_owner: dict[str, list[CurveSpec]] = {}
    if targets.head_object:
        owner = bpy.data.objects[targets.head_object]
        by_owner.setdefault(owner.name, []).extend(_head_specs(owner, targets, processed, report, pending, warnings))
    if targets.jaw_object:
        owner = bpy.data.objects[targets.jaw_object]
        jaw = _jaw_specs(owner, targets, processed, plan, report, warnings, pending)
        by_owner.setdefault(owner.name, []).extend(jaw)
    if any(targets.eye_objects):
        # One object or bone for both eyes (a mesh holding both eyeballs, an eyes aim bone): the two gazes' mean.
        one_for_both = (targets.eye_objects[0], targets.eye_bones[0]) == (targets.eye_objects[1], targets.eye_bones[1])
        for eye in (0,) if one_for_both else (0, 1):
            if not targets.eye_objects[eye]:
                continue
            owner = bpy.data.objects[targets.eye_objects[eye]]
            gaze = processed.gaze.mean(axis=1) if one_for_both else processed.gaze[:, eye]
            q = coords.gaze_to_blender_eye_rotations(gaze[:, 0], gaze[:, 1])
            eye_specs = _rotation_specs(owner, targets.eye_bones[eye], q, GROUP_EYES, pending, warnings)
            by_owner.setdefault(owner.name, []).extend(eye_specs)
        eyes = [f"{o}:{b}" if b else o for o, b in zip(targets.eye_objects, targets.eye_bones, strict=True) if o]
        turned = "turned by the mean of both eyes' gaze" if one_for_both else "turned by the gaze"
        report.append(f"Eyes: {', '.join(dict.fromkeys(eyes))} {turned}")
    return by_owner


def _driven_by_drivers(id_data: bpy.types.ID, specs: list[CurveSpec]) -> list[str]:
    """A warning for each curve to bake whose property a driver already sets: a driver wins over keys."""
    anim_data = id_data.animation_data
    if anim_data is None or not len(anim_data.drivers):
        return []
    driven = {(d.data_path, d.array_index) for d in anim_data.drivers}
    hit = [spec.data_path for spec in specs if (spec.data_path, spec.index) in driven]
    if not hit:
        return []
    owner = getattr(id_data, "user", None) or id_data  # a shape-key Key: name the mesh
    shown = ", ".join(dict.fromkeys(hit[:6])) + (f" and {len(hit) - 6} more" if len(hit) > 6 else "")
    return [
        f"'{owner.name}': {shown} also has a driver, which wins over the baked keys: they will not play until the "
        "driver is removed (or the mapping's link to it)"
    ]


def _plan_shape_keys(processed: ProcessedTake, mesh_names: tuple[str, ...], options: BakeOptions):
    """The retarget plan for the face's meshes (the first mesh with matching keys gets the main Action)."""
    meshes: list[tuple[str, list[str]]] = []
    seen_keys: set[str] = set()
    for name in mesh_names:
        obj = bpy.data.objects[name]
        key = getattr(obj.data, "shape_keys", None)
        if key is None or len(key.key_blocks) < 2:  # one of several meshes (one alone is refused up front)
            meshes.append((obj.name, []))
            continue
        if key.name in seen_keys:  # linked duplicates share one Key: drive it once
            continue
        seen_keys.add(key.name)
        meshes.append((obj.name, [kb.name for kb in key.key_blocks if kb != key.reference_key]))
    return plan_face(
        processed.weights, processed.names, meshes, options.mapping, swap_left_right=options.swap_left_right
    )


def _is_ancestor(owner: bpy.types.Object, ancestor: str, bone: str) -> bool:
    parent = owner.data.bones[bone].parent
    while parent is not None:
        if parent.name == ancestor:
            return True
        parent = parent.parent
    return False


def _head_specs(
    owner: bpy.types.Object,
    targets: BakeTargets,
    processed: ProcessedTake,
    report: list,
    pending: _Pending,
    warnings: list,
) -> list:
    """The head's curves; with a neck bone, the neck takes ``neck_share`` of the rotation and the head the rest
    (all of it when the head bone does not inherit the neck's rotation), so the head ends where the take says.
    """
    loc = processed.head_location if targets.head_translation else None
    q_head, specs = processed.head_rotation, []
    where = f"{owner.name}:{targets.head_bone}" if targets.head_bone else owner.name
    if targets.neck_bone:
        q_neck, q_rest = bone_motion.split_rotation(processed.head_rotation, targets.neck_share)
        if _is_ancestor(owner, targets.neck_bone, targets.head_bone):
            q_head = q_rest
        specs += _rotation_specs(owner, targets.neck_bone, q_neck, GROUP_HEAD, pending, warnings)
        where += f" with neck {targets.neck_bone} taking {targets.neck_share:.0%} of the rotation"
    specs += _rotation_specs(owner, targets.head_bone, q_head, GROUP_HEAD, pending, warnings, loc)
    report.append(f"Head: {where}" + (", with translation" if loc is not None else ""))
    return specs


def _jaw_specs(
    owner: bpy.types.Object,
    targets: BakeTargets,
    processed: ProcessedTake,
    plan,
    report: list,
    warnings: list,
    pending: _Pending,
) -> list:
    """The jaw bone's curves from the take's jaw channels (``rigs/face_bones.toml``)."""
    channels = rigs.jaw_channels(rigs.name_list_of(processed.names))
    if not channels:
        raise BakeError("this take's channels have no jaw channels to drive a jaw bone")
    w = {motion: processed.weights[:, processed.names.index(name)] for motion, name in channels.items()}
    cfg = targets.jaw_settings
    q = bone_motion.jaw_rotations(w["open"], w["left"], w["right"], cfg)
    loc = bone_motion.jaw_translations(w["forward"], cfg)
    where = f"{owner.name}:{targets.jaw_bone}" if targets.jaw_bone else owner.name
    report.append(
        f"Jaw: {where} from {channels['open']} ({cfg.open_deg:g} deg), {channels['left']} / {channels['right']} "
        f"({cfg.side_deg:g} deg), {channels['forward']} ({cfg.forward_cm:g} cm)"
    )
    if plan is not None:
        opened = set(plan.mapping.targets_of(channels["open"]))
        keys = [k for p in plan.meshes for t in p.driven if t in opened for k in p.report.matched[t]]
        if keys:
            warnings.append(
                f"{channels['open']} drives both the jaw bone and shape key(s) {', '.join(keys)}: if the mouth opens "
                "twice, clear the jaw bone or the keys' links in the mapping editor"
            )
    return _rotation_specs(owner, targets.jaw_bone, q, GROUP_JAW, pending, warnings, loc)
