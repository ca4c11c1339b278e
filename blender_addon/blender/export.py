"""Export a baked take (the animation on a mesh's shape keys) to Live Link Face CSV (bpy layer)."""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np

from .._contract import errors, frames, livelink_csv
from .._rigs import rigs
from ..pure import coords
from ..pure.processing import ProcessSettings, process_take
from ..pure.takes import OpenedTake
from .anim_write import ACTION_TAKE_PATH, active_fcurves, baked_start_frame
from .bake import scene_fps

__all__ = ["ExportError", "baked_arkit_weights", "baked_take_path", "export_livelink", "frames_within"]


class ExportError(errors.UserError):
    """Nothing exportable (no mesh, no shape-key animation); the message says what is missing."""


def frames_within(first: float, last: float) -> np.ndarray:
    """``(F,)`` float64: the scene frames from the first key to the last (a take keyed at another frame rate ends
    between frames: none after it). A key is on a frame within what 32-bit frames and an NTSC scene's 32-bit
    ``fps_base`` can be off by there: 0.001 frame plus twice a float32's step at that frame plus 1e-7 of it (an
    hour at 59.94 fps ends 0.016 frame short of its last frame; at frame 26, 0.001).

    Example:
        >>> frames_within(1.0, 215783.984375)[-1], frames_within(1.0, 25.96)[-1]
        (215784.0, 25.0)
    """
    slack = 1e-3 + 2.0 * float(np.spacing(np.float32(max(abs(first), abs(last))))) + 1e-7 * max(abs(first), abs(last))
    return np.arange(int(np.ceil(first - slack)), int(np.floor(last + slack)) + 1, dtype=np.float64)


def baked_arkit_weights(scene: bpy.types.Scene, mesh_obj: bpy.types.Object) -> tuple[np.ndarray, np.ndarray, float]:
    """Sample a mesh's shape-key animation at every scene frame of its Action, as ARKit-52 weights.

    A rig with ARKit-named keys is read directly; a FaceWarehouse-46 rig is read and mapped with the
    ``facewarehouse46_to_arkit52`` preset.

    Returns:
        ``(time (T,) seconds from the first key, weights (T, 52) float32, the first key's scene frame)``.

    Raises:
        ExportError: no shape keys, no shape-key animation, or none of it on ARKit- or FaceWarehouse-named keys.
    """
    key = getattr(mesh_obj.data, "shape_keys", None)
    if key is None:
        raise ExportError(f"'{mesh_obj.name}' has no shape keys")
    curves = {fc.data_path: fc for fc in active_fcurves(key)}
    if not curves:
        raise ExportError(f"'{mesh_obj.name}' has no shape-key animation to export; bake a take first")
    first = min(fc.range()[0] for fc in curves.values())
    last = max(fc.range()[1] for fc in curves.values())
    frames = frames_within(first, last)
    rig_keys = [kb.name for kb in key.key_blocks if kb != key.reference_key]

    def sample_one(key_name: str) -> np.ndarray:
        kb = key.key_blocks[key_name]
        fc = curves.get(kb.path_from_id("value"))
        if fc is None:
            return np.full(len(frames), kb.value, dtype=np.float32)
        return np.array([fc.evaluate(f) for f in frames], dtype=np.float32)

    def sample(key_names: tuple[str, ...]) -> np.ndarray:  # a shape split over several keys: their mean
        return np.mean([sample_one(k) for k in key_names], axis=0)

    arkit = rigs.load_names("arkit52")
    fw = rigs.load_names("facewarehouse46")
    m_ar = rigs.match_shape_keys(arkit, rig_keys)
    m_fw = rigs.match_shape_keys(fw, rig_keys)
    matched = m_ar.matched if len(m_ar.matched) >= len(m_fw.matched) else m_fw.matched
    animated = [k for keys in matched.values() for k in keys if key.key_blocks[k].path_from_id("value") in curves]
    if not animated:  # a rig baked through a custom mapping: its own names say nothing a CSV can hold
        raise ExportError(
            f"'{mesh_obj.name}' has no animated shape keys named like ARKit's 52 or FaceWarehouse's 46, which is what "
            "a Live Link Face CSV holds (keys baked through a custom mapping are not mapped back); nothing was written"
        )
    if len(m_ar.matched) >= len(m_fw.matched):
        weights = np.zeros((len(frames), len(arkit)), dtype=np.float32)
        for j, name in enumerate(arkit):
            if name in m_ar.matched:
                weights[:, j] = sample(m_ar.matched[name])
    else:
        fw_weights = np.zeros((len(frames), len(fw)), dtype=np.float32)
        for j, name in enumerate(fw):
            if name in m_fw.matched:
                fw_weights[:, j] = sample(m_fw.matched[name])
        weights = rigs.load_mapping("facewarehouse46_to_arkit52").apply(fw_weights)
    time = (frames - frames[0]) / scene_fps(scene)
    return time, np.clip(weights, 0.0, 1.0), float(frames[0])


def _nearest(times: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``(Q,)`` int: the index of the take frame nearest each query time (``times`` ascending), as the scene shows
    the baked keys: the first frame at or after a time was up to one take frame late against the blendshapes.
    """
    right = np.clip(np.searchsorted(times, query), 0, len(times) - 1)
    left = np.maximum(right - 1, 0)
    return np.where(np.abs(query - times[left]) <= np.abs(times[right] - query), left, right)


def baked_take_path(mesh_obj: bpy.types.Object) -> str | None:
    """The take file the mesh's shape-key animation was baked from (its Action's record), or None (an Action this
    add-on did not bake, or none).
    """
    key = mesh_obj.data.shape_keys if mesh_obj.type == "MESH" else None
    action = key.animation_data.action if key is not None and key.animation_data is not None else None
    path = action.get(ACTION_TAKE_PATH) if action is not None else None
    return str(path) if path else None


def export_livelink(
    scene: bpy.types.Scene,
    mesh_obj: bpy.types.Object,
    path: str | Path,
    *,
    take: OpenedTake | None = None,
    settings: ProcessSettings = ProcessSettings(),
) -> int:
    """Write the mesh's baked shape-key animation (and the take's head and gaze, if given) as Live Link Face CSV.

    Timecodes run at the standard rate at or above the scene's frame rate (``fps / fps_base``: 29.97 -> 30, the
    contract's ``timecode_rate_for``), each time exact in its sub-frame field; head and gaze are the take's as baked
    (after neutral calibration), sampled at the nearest take frame, zero without a take.

    Returns:
        The number of rows written.
    """
    time, weights, first = baked_arkit_weights(scene, mesh_obj)
    head_ypr, gaze = np.zeros((len(time), 3)), np.zeros((len(time), 2, 2))
    rate = livelink_csv.timecode_rate_for(scene_fps(scene))
    start_label = "00:00:00:00.000"
    if take is not None:
        processed = process_take(take.take, settings)
        # The export starts at the first key left, which is the take's first frame only if none was trimmed off:
        # the head and eyes are sampled at the take's own time of each row, as the shape keys were baked.
        key = mesh_obj.data.shape_keys
        start = baked_start_frame(key, take.name, take.path) if key is not None else None
        into_take = (first - (first if start is None else start)) / scene_fps(scene)
        idx = _nearest(processed.time, time + into_take)
        head_ypr = frames.head_rotation_to_ypr(coords.blender_to_camera_head_rotations(processed.head_rotation[idx]))
        gaze = processed.gaze[idx]
        recorded = take.take.meta.get("timecode_start")
        if recorded:  # a phone's recording: its time of day, and drop-frame labels, as it was read
            rate = float(take.take.meta.get("timecode_rate") or rate)
            start_label = livelink_csv.timecode_after(str(recorded), rate, into_take)
    recording = livelink_csv.LiveLinkRecording(
        time=time,
        weights=weights,
        head_ypr=head_ypr,
        eye_gaze=gaze,
        timecode_rate=rate,
        timecode_start=start_label,
    )
    livelink_csv.write_livelink_csv(path, recording)
    return len(time)
