"""Read and validate take files (``.npz`` written by ``python -m engine track``) with numpy only (no bpy).

The take file is the process boundary between the engine and the add-on; its schema is documented once, in the
engine's take module and in this project's README. This reader never imports the engine: it checks names, shapes
and dtypes itself and says exactly what is wrong.

Keys read (T frames): ``expression`` (T,46) float32 in [0,1] in FaceWarehouse-46 order, ``expression_raw``
(same, unfiltered), ``expression_names`` (46,) str, ``time`` (T,) float64 seconds from the first frame,
``head_rotation`` (T,4) (w,x,y,z) model -> camera, ``head_translation`` (T,3) cm camera frame, ``eye_blink`` (T,2),
``eye_gaze`` (T,2,2) [left,right] x [yaw,pitch] radians, ``confidence`` (T,), ``meta`` JSON string.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["Take", "TakeError", "load_take", "take_from_arrays"]

TAKE_SCHEMA_MAJOR = 1  # a take whose meta declares another major schema version is refused
DEFAULT_FPS = 30.0  # used only when neither meta nor time gives a frame rate


class TakeError(ValueError):
    """A take file is unreadable or does not follow the schema; the message names the file and the problem."""


@dataclasses.dataclass(frozen=True)
class Take:
    """One captured performance, in the engine's conventions.

    Attributes:
        name: the clip's name (the take file's stem); Actions are named after it.
        path: the file it came from ("" when built in memory).
        names: ``(C,)`` channel names of ``expression`` (FaceWarehouse-46 or ARKit-52 order).
        name_list: ``"facewarehouse46"`` or ``"arkit52"``: which canonical list ``names`` is.
        time: ``(T,)`` float64 seconds from the first frame, strictly increasing (repeated timestamps dropped).
        expression: ``(T, C)`` float32 weights in [0, 1] (engine-filtered).
        expression_raw: ``(T, C)`` float32 unfiltered weights, or None.
        head_rotation: ``(T, 4)`` float64 (w,x,y,z) model -> camera, or None.
        head_translation: ``(T, 3)`` float64 cm in the camera frame, or None.
        eye_gaze: ``(T, 2, 2)`` float64 [left, right] x [yaw, pitch] radians, or None.
        eye_blink: ``(T, 2)`` float32 [left, right], or None.
        confidence: ``(T,)`` float32 in [0, 1], or None.
        fps: the clip's frame rate.
        meta: the decoded ``meta`` JSON (empty dict if absent).
        warnings: problems that were repaired on load (e.g. non-finite weights set to 0).
    """

    name: str
    path: str
    names: tuple[str, ...]
    name_list: str
    time: np.ndarray
    expression: np.ndarray
    expression_raw: np.ndarray | None = None
    head_rotation: np.ndarray | None = None
    head_translation: np.ndarray | None = None
    eye_gaze: np.ndarray | None = None
    eye_blink: np.ndarray | None = None
    confidence: np.ndarray | None = None
    fps: float = DEFAULT_FPS
    meta: dict = dataclasses.field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def frame_count(self) -> int:
        """T, the number of frames."""
        return int(self.time.shape[0])

    @property
    def duration(self) -> float:
        """Seconds from the first to the last frame."""
        return float(self.time[-1] - self.time[0]) if self.frame_count else 0.0


def _known_lists() -> dict[tuple[str, ...], str]:
    from .._rigs import rigs

    return {rigs.load_names(n): n for n in ("facewarehouse46", "arkit52")}


def take_from_arrays(name: str, arrays: dict, *, path: str = "") -> Take:
    """Validate a dict of arrays (the npz's content) and build a :class:`Take`.

    Raises:
        TakeError: a missing key, a wrong shape or dtype, unknown channel names, decreasing time.
    """
    where = path or name

    def fail(msg: str) -> TakeError:
        return TakeError(f"{where}: {msg}")

    for key in ("expression", "expression_names", "time"):
        if key not in arrays:
            raise fail(f"missing '{key}' (keys present: {', '.join(sorted(arrays)) or 'none'}); is this a take file?")
    names = tuple(str(n) for n in np.asarray(arrays["expression_names"]).reshape(-1))
    lists = _known_lists()
    name_list = lists.get(names)
    if name_list is None:
        raise fail(
            f"expression_names ({len(names)} names, first {names[:3]}) is neither the FaceWarehouse-46 "
            "nor the ARKit-52 list in canonical order"
        )
    c = len(names)
    expression = np.asarray(arrays["expression"])
    if expression.ndim != 2 or expression.shape[1] != c:
        raise fail(f"'expression' must be (T, {c}), got {expression.shape}")
    t = expression.shape[0]
    if t == 0:
        raise fail("the take has no frames")
    if not np.issubdtype(expression.dtype, np.floating):
        raise fail(f"'expression' must be float, got {expression.dtype}")
    time = np.asarray(arrays["time"], dtype=np.float64)
    if time.shape != (t,):
        raise fail(f"'time' must be ({t},) like expression, got {time.shape}")
    if not np.all(np.isfinite(time)) or (t > 1 and not np.all(np.diff(time) >= 0)):
        raise fail("'time' must be finite and non-decreasing")

    warnings: list[str] = []
    # Frames with a repeated timestamp (possible with some containers) would put two keys on one frame: keep the
    # first of each run.
    keep = np.concatenate([[True], np.diff(time) > 0])
    if not keep.all():
        warnings.append(f"time: {int((~keep).sum())} frames with a repeated timestamp dropped")
        arrays = {
            k: (
                v[keep]
                if isinstance(v, np.ndarray)
                and v.ndim >= 1
                and v.shape[0] == t
                and k not in ("expression_names", "identity")
                else v
            )
            for k, v in arrays.items()
        }
        expression, time = np.asarray(arrays["expression"]), time[keep]
        t = int(keep.sum())

    def weights(key: str) -> np.ndarray | None:
        if key not in arrays:
            return None
        w = np.asarray(arrays[key], dtype=np.float32)
        if w.shape != (t, c):
            raise fail(f"'{key}' must be ({t}, {c}), got {w.shape}")
        bad = ~np.isfinite(w)
        if bad.any():
            warnings.append(f"{key}: {int(bad.sum())} non-finite values set to 0")
            w = np.where(bad, 0.0, w).astype(np.float32)
        return np.clip(w, 0.0, 1.0)

    def optional(key: str, shape: tuple[int, ...], dtype=np.float64) -> np.ndarray | None:
        if key not in arrays:
            return None
        a = np.asarray(arrays[key], dtype=dtype)
        if a.shape != shape:
            raise fail(f"'{key}' must be {shape}, got {a.shape}")
        return a

    head_rotation = optional("head_rotation", (t, 4))
    if head_rotation is not None:
        norms = np.linalg.norm(head_rotation, axis=1)
        good = np.isfinite(norms) & (norms > 1e-6)
        if not good.all():
            warnings.append(f"head_rotation: {int((~good).sum())} invalid quaternions held from the previous frame")
            head_rotation = _hold_last_valid(head_rotation, good, fallback=np.array([0.0, 1.0, 0.0, 0.0]))
            norms = np.linalg.norm(head_rotation, axis=1)
        head_rotation = head_rotation / norms[:, None]
    head_translation = optional("head_translation", (t, 3))
    if head_translation is not None:
        good = np.all(np.isfinite(head_translation), axis=1)
        if not good.all():
            warnings.append(f"head_translation: {int((~good).sum())} non-finite rows held")
            head_translation = _hold_last_valid(head_translation, good, fallback=np.zeros(3))
    eye_gaze = optional("eye_gaze", (t, 2, 2))
    if eye_gaze is not None and not np.all(np.isfinite(eye_gaze)):
        warnings.append("eye_gaze: non-finite values set to 0")
        eye_gaze = np.nan_to_num(eye_gaze, nan=0.0, posinf=0.0, neginf=0.0)
    eye_blink = optional("eye_blink", (t, 2), np.float32)
    confidence = optional("confidence", (t,), np.float32)

    meta: dict = {}
    if "meta" in arrays:
        try:
            meta = json.loads(str(np.asarray(arrays["meta"]).reshape(-1)[0]))
        except (ValueError, IndexError) as err:
            raise fail(f"'meta' is not a JSON string ({err})") from None
        if not isinstance(meta, dict):
            raise fail("'meta' must be a JSON object")
        schema = str(meta.get("schema_version", meta.get("schema", TAKE_SCHEMA_MAJOR)))
        if schema.split(".")[0] != str(TAKE_SCHEMA_MAJOR):
            raise fail(
                f"take schema version {schema} is not supported by this add-on (needs {TAKE_SCHEMA_MAJOR}.x); "
                "update the add-on or re-track with a matching engine"
            )
    fps = _fps_of(meta, time)
    return Take(
        name=name,
        path=path,
        names=names,
        name_list=name_list,
        time=time - time[0],
        expression=weights("expression"),
        expression_raw=weights("expression_raw"),
        head_rotation=head_rotation,
        head_translation=head_translation,
        eye_gaze=eye_gaze,
        eye_blink=eye_blink,
        confidence=confidence,
        fps=fps,
        meta=meta,
        warnings=tuple(warnings),
    )


def _hold_last_valid(a: np.ndarray, good: np.ndarray, *, fallback: np.ndarray) -> np.ndarray:
    idx = np.where(good, np.arange(len(a)), -1)
    idx = np.maximum.accumulate(idx)
    out = np.where((idx >= 0)[:, None], a[np.maximum(idx, 0)], fallback)
    return out


def _fps_of(meta: dict, time: np.ndarray) -> float:
    fps = meta.get("fps")
    try:
        fps = float(fps)
        if np.isfinite(fps) and fps > 0:
            return fps
    except (TypeError, ValueError):
        pass
    if len(time) > 1:
        return float(1.0 / np.median(np.diff(time)))
    return DEFAULT_FPS


def load_take(path: str | Path) -> Take:
    """Load and validate a take file.

    Args:
        path: a ``.npz`` take written by ``python -m engine track``.

    Returns:
        The validated :class:`Take`, named after the file's stem.

    Raises:
        TakeError: the file is missing, is not an npz, or breaks the schema (the message says how).
    """
    path = Path(path)
    if not path.is_file():
        raise TakeError(f"take file not found: {path}")
    if not zipfile.is_zipfile(path):
        raise TakeError(f"{path}: not a take file (a take is an .npz archive written by 'python -m engine track')")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise TakeError(f"{path}: not a readable take file ({err})") from None
    return take_from_arrays(path.stem, arrays, path=str(path))
