"""Write keyframes fast, and own Actions safely, on Blender 4.2 (legacy), 4.4/4.5 (slotted) and 5.0 (channelbags).

Every Blender-version branch of the animation API lives in this module:

- 4.2/4.3: legacy actions: ``action.fcurves.new(path, index=...)``.
- 4.4/4.5: slotted actions: an Action assigned with no slot animates nothing, so a slot is created and assigned,
  then ``layers.new`` -> ``strips.new(type='KEYFRAME')`` -> ``strip.channelbag(slot, ensure=True).fcurves``.
- 5.0+: ``Action.fcurves`` is gone: ``bpy_extras.anim_utils.action_ensure_channelbag_for_slot(action, slot)``.

Curves are written in bulk: ``keyframe_points.add(n)`` then ``foreach_set("co", ...)`` and
``foreach_set("interpolation", ...)`` then ``fcurve.update()`` (about 100x faster than ``keyframe_insert``).

Ownership: an Action this add-on creates carries the custom property :data:`ACTION_TAG` (the take's name), the
take file's path (:data:`ACTION_TAKE_PATH`), the scene frame its first frame was keyed at
(:data:`ACTION_START_FRAME`: a re-bake keeps the take there) and a print of every curve it wrote
(:data:`ACTION_CURVES`). A re-bake
of the same take file rewrites that Action in place only while it holds exactly what the bake wrote; one the artist
has added curves or keys to since (a corrective keyed on the take's Action, a hand fix), like any other Action
found on a datablock, is pushed, untouched, onto an NLA track (as are this add-on's earlier takes), so no animation
is lost. Two takes of the same name from different files are two takes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import bpy
import numpy as np

from .._contract import errors, key_reduction

__all__ = [
    "ACTION_CURVES",
    "ACTION_START_FRAME",
    "ACTION_TAG",
    "ACTION_TAKE_PATH",
    "NlaTweakModeError",
    "NonFiniteCurveError",
    "check_finite_curves",
    "active_fcurves",
    "baked_start_frame",
    "CurveSpec",
    "TakeChannels",
    "begin_take_action",
    "check_not_in_tweak_mode",
    "finish_take_action",
    "has_slotted_actions",
    "is_addon_action",
    "push_action_to_nla",
    "write_curves",
]

ACTION_TAG = "facewarehouse_mocap_take"  # custom property on Actions this add-on created: the take's name
ACTION_TAKE_PATH = "facewarehouse_mocap_take_path"  # ... the take file it was baked from
ACTION_TAKE_SIZE = "facewarehouse_mocap_take_size"  # ... and that file's size in bytes (a moved take is known by it)
ACTION_CURVES = "facewarehouse_mocap_curves"  # ... JSON: "path|index" -> its print (_curve_print)
ACTION_START_FRAME = "facewarehouse_mocap_start_frame"  # ... the scene frame of the take's first frame
_PRINT_RTOL = 1e-5  # an earlier version's print (sums only) differing by more than this (relative): edited
_LINEAR = 1  # enum value of 'LINEAR' in FCurve keyframe interpolation (CONSTANT=0, LINEAR=1, BEZIER=2)
_KEYFRAME = 0  # enum value of 'KEYFRAME' in a keyframe's type (BREAKDOWN, MOVING_HOLD, EXTREME, JITTER follow)


def has_slotted_actions() -> bool:
    """True on Blender 4.4+ (Action slots and layers exist)."""
    return "slots" in bpy.types.Action.bl_rna.properties


def is_addon_action(action: bpy.types.Action | None) -> bool:
    """True if this add-on created ``action`` (it carries :data:`ACTION_TAG`)."""
    return action is not None and ACTION_TAG in action.keys()


def push_action_to_nla(anim_data: bpy.types.AnimData, action: bpy.types.Action) -> bpy.types.NlaTrack:
    """Move the active ``action`` onto a new NLA track (named after it) and clear the active action.

    The Action itself is not modified, and the strip plays it as it played while active: the strip spans the keys'
    whole range (not a manual frame range, outside which the active Action still evaluated), starts on the first
    key's frame even between frames, and repeats a looping Action (a Cycles modifier) up to the scene's end.
    """
    import math

    curves = active_fcurves(anim_data.id_data)
    keyed = [fc for fc in curves if len(fc.keyframe_points)]
    if keyed:
        first = min(fc.keyframe_points[0].co.x for fc in keyed)
        last = max(fc.keyframe_points[-1].co.x for fc in keyed)
    else:
        first, last = action.frame_range
    track = anim_data.nla_tracks.new()
    track.name = action.name
    strip = track.strips.new(action.name, int(math.floor(first)), action)
    strip.name = action.name
    if last > first:
        strip.action_frame_start, strip.action_frame_end = first, last
        strip.frame_start_ui = first  # moves the strip, keeping its length
        if any(m.type == "CYCLES" for fc in curves for m in fc.modifiers):
            end = bpy.context.scene.frame_end if bpy.context.scene is not None else last
            strip.repeat = max(1.0, float(math.ceil((end - first) / (last - first))))
    if has_slotted_actions() and getattr(anim_data, "action_slot", None) is not None:
        try:
            strip.action_slot = anim_data.action_slot
        except (AttributeError, TypeError, RuntimeError):
            pass
    anim_data.action = None
    return track


class NlaTweakModeError(errors.UserError):
    """A datablock to bake is in NLA tweak mode (its active Action cannot be changed); nothing was written."""


def check_not_in_tweak_mode(id_data: bpy.types.ID) -> None:
    """Refuse a datablock whose NLA is in tweak mode (call before the first Action is touched)."""
    anim_data = id_data.animation_data
    if anim_data is not None and anim_data.use_tweak_mode:
        owner = getattr(id_data, "user", None) or id_data  # a shape-key Key: name the mesh
        raise NlaTweakModeError(
            f"'{owner.name}' is in NLA tweak mode (editing a strip's Action): leave it (Tab in the NLA editor) "
            "and bake again; nothing was baked"
        )


_KEY_FLOATS = ("co", "handle_left", "handle_right")  # two floats per key each
_KEY_ENUMS = ("interpolation", "handle_left_type", "handle_right_type", "easing", "type")
_QUANTUM = 1e-5  # frames and values are compared to this step (an edit smaller than it is not told)


def _curve_print(fc) -> list:
    """``[keys, sum of co, sum of |co|, modifiers, digest]`` of one curve. The digest (SHA-1) covers every key's
    frame, value, handles, interpolation, handle types, easing and key type, the curve's mute, lock and
    extrapolation, and its modifiers' types and mute: whatever an artist may change on a baked curve.
    """
    n = len(fc.keyframe_points)
    digest = hashlib.sha1(f"{n}|{fc.mute}|{fc.lock}|{fc.extrapolation}".encode())
    sums = [0.0, 0.0]
    for attr in _KEY_FLOATS:
        values = np.empty(2 * n, dtype=np.float32)
        fc.keyframe_points.foreach_get(attr, values)
        if attr == "co":
            sums = [float(values.astype(np.float64).sum()), float(np.abs(values.astype(np.float64)).sum())]
        digest.update(np.round(values.astype(np.float64) / _QUANTUM).astype(np.int64).tobytes())
    for attr in _KEY_ENUMS:
        values = np.empty(n, dtype=np.int32)
        fc.keyframe_points.foreach_get(attr, values)
        digest.update(values.tobytes())
    digest.update("|".join(f"{m.type}:{m.mute}" for m in fc.modifiers).encode())
    return [n, *sums, len(fc.modifiers), digest.hexdigest()]


def _curve_prints(fcurves) -> dict[str, list]:
    """``"data_path|index"`` -> :func:`_curve_print` of each curve: what a bake wrote, to tell later edits by."""
    return {f"{fc.data_path}|{fc.array_index}": _curve_print(fc) for fc in fcurves}


def _unedited(action: bpy.types.Action, fcurves) -> bool:
    """True if ``fcurves`` (the Action's curves for this datablock) are exactly what the bake wrote."""
    try:
        written = json.loads(action[ACTION_CURVES])
    except (KeyError, TypeError, ValueError):
        return False  # baked before prints were kept, or damaged: cannot tell, so keep it
    now = _curve_prints(fcurves)
    if now.keys() != written.keys():
        return False
    if all(len(w) == len(now[k]) for k, w in written.items()):
        return all(now[k][0] == w[0] and now[k][3:] == w[3:] for k, w in written.items())
    # Baked by an earlier version, which kept sums only: a curve whose sums differ was edited, and so was one that is
    # no longer as every bake writes it (muted, extrapolated, a key not linear or not a keyframe): the sums miss those.
    scale = max(1.0, max((abs(v[2]) for v in written.values()), default=1.0))
    return all(_as_baked(fc) for fc in fcurves) and all(
        now[k][0] == written[k][0] and now[k][3] == written[k][3]
        and all(abs(a - b) <= _PRINT_RTOL * scale for a, b in zip(now[k][1:3], written[k][1:3], strict=True))
        for k in now
    )  # fmt: skip


def _as_baked(fc) -> bool:
    """True if a curve is as every bake writes one: playing, constant extrapolation, no modifiers, every key a
    linear keyframe.
    """
    if fc.mute or fc.extrapolation != "CONSTANT" or len(fc.modifiers):
        return False
    n = len(fc.keyframe_points)
    interpolation, kind = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
    fc.keyframe_points.foreach_get("interpolation", interpolation)
    fc.keyframe_points.foreach_get("type", kind)
    return bool(np.all(interpolation == _LINEAR) and np.all(kind == _KEYFRAME))


class TakeChannels:
    """The F-Curve collection of one (Action, slot) pair, hiding the version differences. Create with
    :func:`begin_take_action`.

    Attributes:
        kept_edited: the name of this take's earlier Action when it had been edited since its bake and was kept on
            an NLA track instead of being rewritten; None otherwise.
        kept_shared: the same when it was kept because another datablock plays it too, or it is linked from a
            library (rewriting it would change the other, or the library, and a linked one is not saved here).
        blending_reset: the blend type and influence the datablock's active Action was set to (``"ADD at 0.5"``)
            when they were not replace at full and this take's new Action was given replace at full, so that it
            plays as keyed; None otherwise.
    """

    def __init__(self, action: bpy.types.Action, fcurves, groups=None):
        self.action = action
        self._fcurves = fcurves
        self._groups = groups
        self._group_cache: dict[str, object] = {}
        self.kept_edited: str | None = None
        self.kept_shared: str | None = None
        self.blending_reset: str | None = None
        self.rewritten_paths: list[tuple[str, int]] = []  # an in-place re-bake: the curves the Action held before
        self.id_data: bpy.types.ID | None = None

    @property
    def fcurves(self) -> list:
        """The curves now in this (Action, slot)."""
        return list(self._fcurves)

    def clear(self) -> None:
        """Remove every F-Curve (only used on this add-on's own Actions)."""
        fcurves = self._fcurves
        if hasattr(fcurves, "clear"):
            fcurves.clear()
        else:
            for fc in list(fcurves):
                fcurves.remove(fc)

    def _group(self, name: str):
        if not name or self._groups is None:
            return None
        grp = self._group_cache.get(name)
        if grp is None:
            grp = self._groups.get(name) or self._groups.new(name)
            self._group_cache[name] = grp
        return grp

    def new_curve(self, data_path: str, index: int = 0, group: str = "") -> bpy.types.FCurve:
        """A new F-Curve for ``data_path[index]``, optionally in a channel group."""
        if self._groups is None and group:  # legacy: fcurves.new takes the group name
            return self._fcurves.new(data_path, index=index, action_group=group)
        fc = self._fcurves.new(data_path, index=index)
        grp = self._group(group)
        if grp is not None:
            try:
                fc.group = grp
            except (AttributeError, TypeError, RuntimeError):
                pass
        return fc


def active_fcurves(id_data: bpy.types.ID) -> list:
    """The F-Curves that animate ``id_data`` through its active Action (its slot's channelbag on 4.4+)."""
    anim_data = id_data.animation_data
    action = anim_data.action if anim_data is not None else None
    if action is None:
        return []
    if has_slotted_actions():
        slot = anim_data.action_slot
        if slot is None:
            return []
        for layer in action.layers:
            for strip in layer.strips:
                bag = strip.channelbag(slot)
                if bag is not None:
                    return list(bag.fcurves)
        return []
    return list(action.fcurves)


def _ensure_slot(action: bpy.types.Action, anim_data: bpy.types.AnimData, id_type: str, slot_name: str):
    slot = None
    for s in action.slots:
        if s.target_id_type == id_type:
            slot = s
            break
    if slot is None:
        slot = action.slots.new(id_type=id_type, name=slot_name)
    anim_data.action_slot = slot
    return slot


def _channelbag(action: bpy.types.Action, slot):
    from bpy_extras import anim_utils

    ensure = getattr(anim_utils, "action_ensure_channelbag_for_slot", None)
    if ensure is not None:  # 5.0+
        return ensure(action, slot)
    layer = action.layers[0] if len(action.layers) else action.layers.new("Layer")  # 4.4/4.5
    strip = layer.strips[0] if len(layer.strips) else layer.strips.new(type="KEYFRAME")
    return strip.channelbag(slot, ensure=True)


def _take_size(take_path: str) -> float:
    """The take file's size in bytes, as a float (an ID property's int is 32 bits; an hour's take is 870 MB)."""
    try:
        return float(os.path.getsize(take_path))
    except OSError:
        return -1.0


def _same_take_file(action: bpy.types.Action, take_path: str) -> bool:
    """True if the take an Action records is ``take_path``: the same path, or, where the recorded file is gone, one
    of the same name and size (the project folder moved, and the panel found the take beside the .blend; another
    clip's take of that name is another take, and an Action baked before sizes were recorded is kept as such).
    """
    recorded = str(action.get(ACTION_TAKE_PATH, ""))
    if recorded == take_path:
        return True
    moved = bool(recorded and take_path) and not os.path.exists(recorded)
    same_name = Path(recorded).name == Path(take_path).name
    return moved and same_name and action.get(ACTION_TAKE_SIZE) == _take_size(take_path)


def baked_start_frame(id_data: bpy.types.ID | None, take_name: str, take_path: str) -> float | None:
    """The scene frame this take's first frame was keyed at on ``id_data``: by its active Action, else the latest of
    its NLA strips (a take baked over since), where that is this add-on's bake of the same take file, edited since
    or not; or None.
    """
    anim_data = getattr(id_data, "animation_data", None)
    if anim_data is None:
        return None
    strips = [strip.action for track in reversed(anim_data.nla_tracks) for strip in track.strips]
    for action in (anim_data.action, *strips):
        if is_addon_action(action) and action[ACTION_TAG] == take_name and _same_take_file(action, take_path):
            start = action.get(ACTION_START_FRAME)
            if start is None:  # baked before the start was recorded: its first key is the take's first frame
                start = _first_key(action)
            if start is not None:
                return float(start)
    return None


def _first_key(action: bpy.types.Action) -> float | None:
    """The frame of an Action's earliest key, on any version's curves (not ``frame_range``: a manual range wins
    there), or None.
    """
    curves = list(getattr(action, "fcurves", None) or [])  # 4.2 - 4.4; gone in 5.0
    for layer in getattr(action, "layers", ()) if not curves else ():
        for strip in layer.strips:
            for bag in getattr(strip, "channelbags", ()):
                curves += list(bag.fcurves)
    firsts = [fc.keyframe_points[0].co.x for fc in curves if len(fc.keyframe_points)]
    return min(firsts) if firsts else None


def begin_take_action(
    id_data: bpy.types.ID,
    action_name: str,
    id_type: str,
    *,
    take_name: str,
    take_path: str = "",
    start_frame: float | None = None,
) -> TakeChannels:
    """Make ``id_data`` animated by this take's own, empty Action; keep everything that was there.

    - If ``id_data``'s active Action is this add-on's Action for the same take file (a re-bake), holds exactly
      what that bake wrote, and is this file's and this datablock's alone, it is cleared and rewritten in place.
    - Otherwise any active Action (an earlier take, this take's Action edited since, or one the user made) is
      pushed onto an NLA track unchanged, and a new Action named ``action_name`` (Blender adds ``.001`` on a clash)
      with a fake user is assigned, to play as keyed (the active Action's blending is set to replace at full
      influence). Call :func:`finish_take_action` once the curves are written.

    Args:
        id_data: the animated datablock (a shape-key ``Key``, an ``Object``).
        action_name: the Action's name (the clip's name).
        id_type: the slot's ID type, ``'KEY'`` or ``'OBJECT'`` (used on 4.4+).
        take_name: stored in the Action's :data:`ACTION_TAG` property.
        take_path: the take file, stored in :data:`ACTION_TAKE_PATH` ("" matches any).
        start_frame: the scene frame of the take's first frame, stored in :data:`ACTION_START_FRAME`.
    """
    anim_data = id_data.animation_data or id_data.animation_data_create()
    current = anim_data.action
    action, kept_edited, kept_shared = None, None, None
    if current is not None:
        same_take = (
            is_addon_action(current) and current[ACTION_TAG] == take_name and _same_take_file(current, take_path)
        )
        shared = current.library is not None or current.users > 1 + int(current.use_fake_user)
        if same_take and not shared and _unedited(current, active_fcurves(id_data)):
            action = current
        else:
            kept_edited = current.name if same_take and not shared else None
            kept_shared = current.name if same_take and shared else None
            push_action_to_nla(anim_data, current)
    if action is None:
        action = bpy.data.actions.new(action_name)
        action[ACTION_TAG] = take_name
        action[ACTION_TAKE_PATH] = take_path
    action[ACTION_TAKE_SIZE] = _take_size(take_path)
    if start_frame is not None:
        action[ACTION_START_FRAME] = float(start_frame)
    action.use_fake_user = True
    blending_reset = None
    if anim_data.action is not action:
        if (anim_data.action_blend_type, anim_data.action_influence) != ("REPLACE", 1.0):  # set for another Action
            blending_reset = f"{anim_data.action_blend_type} at {anim_data.action_influence:.2g}"
            anim_data.action_blend_type, anim_data.action_influence = "REPLACE", 1.0
        anim_data.action = action
    if has_slotted_actions():
        slot = _ensure_slot(action, anim_data, id_type, id_data.name)
        bag = _channelbag(action, slot)
        channels = TakeChannels(action, bag.fcurves, bag.groups)
    else:
        if hasattr(action, "id_root"):
            action.id_root = id_type
        channels = TakeChannels(action, action.fcurves, None)
    channels.rewritten_paths = [(fc.data_path, fc.array_index) for fc in channels.fcurves] if action is current else []
    channels.clear()
    channels.kept_edited, channels.kept_shared, channels.blending_reset = kept_edited, kept_shared, blending_reset
    channels.id_data = id_data
    return channels


def finish_take_action(channels: TakeChannels) -> None:
    """Record what the bake wrote into its Action (:data:`ACTION_CURVES`), so a later edit is told from it; a shape
    key or bone channel the earlier bake of this Action keyed and this one does not is put back at rest.
    """
    channels.action[ACTION_CURVES] = json.dumps(_curve_prints(channels.fcurves))
    written = {(fc.data_path, fc.array_index) for fc in channels.fcurves}
    for data_path, index in channels.rewritten_paths:
        if (data_path, index) not in written:
            _put_at_rest(channels.id_data, data_path, index)


_AT_REST_OWNERS = ("key_blocks[", "pose.bones[")  # shape key values and bone transforms: their defaults are rest


def _put_at_rest(id_data: bpy.types.ID, data_path: str, index: int) -> None:
    """Set a shape key's value to 0, or a pose bone's transform channel to its default: their rest. Without a
    curve it kept the value of the frame Blender last showed (a dropped JawOpen held the mouth open for the whole
    shot). An object's own transform is left: its rest is where the artist put it.
    """
    if not data_path.startswith(_AT_REST_OWNERS) or "." not in data_path:
        return
    owner_path, prop_name = data_path.rsplit(".", 1)
    try:
        owner = id_data.path_resolve(owner_path)
    except ValueError:  # the key or bone is gone
        return
    if prop_name == "value":  # a shape key at rest is 0 (its RNA default is 1)
        owner.value = 0.0
        return
    prop = owner.bl_rna.properties.get(prop_name)
    if prop is None:
        return
    if getattr(prop, "is_array", False):
        values = list(getattr(owner, prop_name))
        values[index] = prop.default_array[index]
        setattr(owner, prop_name, values)
    else:
        setattr(owner, prop_name, prop.default)


class NonFiniteCurveError(errors.UserError):
    """A curve to bake holds NaN or infinite values; nothing was written."""


def check_finite_curves(specs: list[CurveSpec]) -> None:
    """Refuse to write any curve if one holds a NaN or an infinity (call before the first Action is touched).

    Raises:
        NonFiniteCurveError: names the first such curve and frame.
    """
    for spec in specs:
        bad = ~np.isfinite(np.asarray(spec.values, dtype=np.float64))
        if bad.any():
            raise NonFiniteCurveError(
                f"{spec.data_path}[{spec.index}] would get {int(bad.sum())} NaN / infinite keys (first at frame "
                f"{int(np.argmax(bad))}); nothing was baked. Check the mapping's gains and the take"
            )


@dataclasses.dataclass(frozen=True)
class CurveSpec:
    """One F-Curve to write.

    Attributes:
        data_path: RNA path from the animated ID, e.g. ``key_blocks["JawOpen"].value``.
        index: array index (0 for scalars).
        values: ``(T,)`` values, one per frame in ``frames``.
        group: channel group name ("" for none).
        tolerance: key-reduction tolerance in value units (0 = a key on every frame).
    """

    data_path: str
    index: int
    values: np.ndarray
    group: str = ""
    tolerance: float = 0.0


def write_curves(
    channels: TakeChannels, frames: np.ndarray, specs: list[CurveSpec], on_curve: Callable[[], None] | None = None
) -> int:
    """Create one linear F-Curve per spec with keys at ``frames`` (bulk ``foreach_set``).

    Args:
        channels: from :func:`begin_take_action`.
        frames: ``(T,)`` float scene frames (strictly increasing).
        specs: curves to write; each ``values`` is ``(T,)``.
        on_curve: called after each curve is written (progress).

    Returns:
        The number of keyframes written.
    """
    frames = np.asarray(frames, dtype=np.float32)
    total = 0
    for spec in specs:
        values = np.asarray(spec.values, dtype=np.float32)
        if values.shape != frames.shape:
            raise ValueError(
                f"{spec.data_path}[{spec.index}]: values {values.shape} do not match frames {frames.shape}"
            )
        if spec.tolerance > 0:
            keep = key_reduction.reduce_keys(frames, values, spec.tolerance)
            f, v = frames[keep], values[keep]
        else:
            f, v = frames, values
        n = len(f)
        fc = channels.new_curve(spec.data_path, spec.index, spec.group)
        points = fc.keyframe_points
        points.add(n)
        co = np.empty(2 * n, dtype=np.float32)
        co[0::2] = f
        co[1::2] = v
        points.foreach_set("co", co)
        points.foreach_set("interpolation", np.full(n, _LINEAR, dtype=np.int32))
        fc.update()
        total += n
        if on_curve is not None:
            on_curve()
    return total
