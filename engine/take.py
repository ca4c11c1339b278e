"""The take file: one tracked performance, the contract between the engine and the Blender add-on.

A take is one ``.npz`` archive readable with ``np.load(path, allow_pickle=False)``. ``T`` is the number of frames.

====================  ==================  ====================================================================
key                   dtype, shape        meaning
====================  ==================  ====================================================================
expression            float32 (T, 46)     FaceWarehouse-46 weights in [0, 1] (order: ``expression_names``),
                                          after temporal filtering
expression_raw        float32 (T, 46)     the same before filtering
expression_names      unicode (46,)       ``rigs.load_names("facewarehouse46")``, exactly
identity              float32 (K,)        identity coefficients of the fitted face model (K may be 0)
head_rotation         float32 (T, 4)      unit quaternion (w, x, y, z): MODEL frame -> CAMERA frame
head_translation      float32 (T, 3)      model origin in the CAMERA frame, centimetres
eye_blink             float32 (T, 2)      [left, right] lid closure in [0, 1] (0 open, 1 closed)
eye_gaze              float32 (T, 2, 2)   [left, right] x [yaw, pitch], radians, in the MODEL frame
time                  float64 (T,)        seconds from the first frame; starts at 0, non-decreasing
confidence            float32 (T,)        tracking confidence in [0, 1]; 0 = no face in this frame
landmarks             float32 (T, N, 2)   detector landmarks in pixels, N = 478 (MediaPipe) or 68 (iBUG);
                                          NaN where no face
model_landmarks       float32 (T, 468, 2) the fitted model's vertices projected to pixels; NaN where no face
head_rotation_raw     float32 (T, 4)      ``head_rotation`` before filtering
head_translation_raw  float32 (T, 3)      ``head_translation`` before filtering
eye_blink_raw         float32 (T, 2)      ``eye_blink`` before filtering
eye_gaze_raw          float32 (T, 2, 2)   ``eye_gaze`` before filtering
meta                  unicode ()          JSON object, see :func:`make_meta`
====================  ==================  ====================================================================

Filtered streams are finite on every frame (frames without a face are bridged). The ``*_raw`` streams may be NaN
on frames whose ``confidence`` is 0; on every other frame they obey the same ranges as the filtered streams.

Conventions (also written into every take as ``meta["conventions"]`` by :func:`default_conventions`):

- MODEL frame: right-handed, centimetres, +x = the subject's left, +y = up, +z = out of the face (the nose
  points along +z).
- CAMERA frame: OpenCV, +x = image right, +y = image down, +z = forward (from the lens into the scene).
- ``head_rotation`` q maps model to camera: ``p_cam = R(q) @ p_model + head_translation``. A face looking
  straight into the camera has ``q = (0, 1, 0, 0)`` (180 degrees about x: model up becomes image up, the nose
  points back at the lens, the subject's left appears on the image right).
- Quaternions are scalar-first (w, x, y, z), as Blender's ``mathutils.Quaternion``.
- Head yaw / pitch / roll (:func:`head_rotation_to_ypr`, the Live Link Face CSV columns) are relative to the
  frontal pose, applied in the order yaw, pitch, roll about the MODEL axes:
  ``R = R_frontal @ Ry(yaw) @ Rx(-pitch) @ Rz(-roll)`` (``Ra(angle)`` right-handed about axis a). Signs match the
  gaze and the add-on (``blender_addon/coords.py``): yaw > 0 turns the nose toward the subject's left, pitch > 0
  tips the nose up, roll > 0 tilts the top of the head toward the subject's left.
- Eye gaze yaw > 0 looks toward the subject's left, pitch > 0 looks up; (0, 0) looks along model +z.
- Left / right always mean the SUBJECT's left / right.
- Pixels: origin at the top-left corner of the top-left pixel, x right, y down.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .conventions import CONVENTIONS
from .errors import InputError, TakeFormatError
from .version import engine_version

__all__ = [
    "ARRAY_KEYS",
    "FRONTAL_ROTATION",
    "SCHEMA_VERSION",
    "Take",
    "default_conventions",
    "head_rotation_to_ypr",
    "load_take",
    "make_meta",
    "neutral_take",
    "save_take",
    "take_from_arrays",
    "take_to_arrays",
    "validate_take_arrays",
    "ypr_to_head_rotation",
]

SCHEMA_VERSION = 1
"""Version of the take layout. Bump on any incompatible change; :func:`load_take` rejects other versions."""

FRONTAL_ROTATION = (0.0, 1.0, 0.0, 0.0)
"""(w, x, y, z) of a face looking straight into the camera: 180 degrees about x (see module docstring)."""

NUM_EXPRESSIONS = 46  # FaceWarehouse expression blendshapes (Cao et al., TVCG 2014), rigs/names/facewarehouse46.toml
NUM_MODEL_VERTICES = 468  # vertices of the face model (MediaPipe FaceMesh canonical topology)
LANDMARK_COUNTS = (478, 68)  # MediaPipe FaceMesh with iris refinement; iBUG-300W 68-point markup

QUATERNION_NORM_TOLERANCE = 1e-3
"""Largest allowed ``| |q| - 1 |``; float32 round-off after renormalising is ~1e-7, so this only catches bugs."""
WEIGHT_TOLERANCE = 1e-4
"""Slack on [0, 1] ranges (weights, blink, confidence) for float32 round-off in filtering and mapping."""
EYE_GAZE_LIMIT_RAD = math.pi / 2
"""|yaw|, |pitch| of an eye beyond 90 degrees is not anatomically possible: a sign or unit (degrees) bug."""

_META_KEYS = ("schema_version", "fps", "frame_size", "source", "engine_version", "backend", "filter", "conventions")

# key -> (dtype, shape pattern). "T" = frames, "K" = identity size, "N" = landmark count (one of LANDMARK_COUNTS).
_SPECS: dict[str, tuple[str, tuple[int | str, ...]]] = {
    "expression": ("float32", ("T", NUM_EXPRESSIONS)),
    "expression_raw": ("float32", ("T", NUM_EXPRESSIONS)),
    "expression_names": ("unicode", (NUM_EXPRESSIONS,)),
    "identity": ("float32", ("K",)),
    "head_rotation": ("float32", ("T", 4)),
    "head_rotation_raw": ("float32", ("T", 4)),
    "head_translation": ("float32", ("T", 3)),
    "head_translation_raw": ("float32", ("T", 3)),
    "eye_blink": ("float32", ("T", 2)),
    "eye_blink_raw": ("float32", ("T", 2)),
    "eye_gaze": ("float32", ("T", 2, 2)),
    "eye_gaze_raw": ("float32", ("T", 2, 2)),
    "time": ("float64", ("T",)),
    "confidence": ("float32", ("T",)),
    "landmarks": ("float32", ("T", "N", 2)),
    "model_landmarks": ("float32", ("T", NUM_MODEL_VERTICES, 2)),
    "meta": ("unicode", ()),
}
ARRAY_KEYS: tuple[str, ...] = tuple(_SPECS)
"""Every key of a take archive, in the order :func:`save_take` writes them."""

_UNIT_RANGE_KEYS = ("expression", "expression_raw", "eye_blink", "eye_blink_raw", "confidence")
_QUATERNION_KEYS = ("head_rotation", "head_rotation_raw")
_GAZE_KEYS = ("eye_gaze", "eye_gaze_raw")
_NAN_ANYWHERE_KEYS = ("landmarks", "model_landmarks")


@dataclasses.dataclass(frozen=True, eq=False)
class Take:
    """One tracked performance. Field meanings, shapes and conventions: see the module docstring.

    Build one with the arrays in their final dtypes (or through :func:`take_from_arrays`, which converts), check it
    with ``validate_take_arrays(take_to_arrays(take))``; :func:`save_take` refuses an invalid take.
    """

    expression: np.ndarray
    expression_raw: np.ndarray
    expression_names: np.ndarray
    identity: np.ndarray
    head_rotation: np.ndarray
    head_translation: np.ndarray
    eye_blink: np.ndarray
    eye_gaze: np.ndarray
    time: np.ndarray
    confidence: np.ndarray
    landmarks: np.ndarray
    model_landmarks: np.ndarray
    head_rotation_raw: np.ndarray
    head_translation_raw: np.ndarray
    eye_blink_raw: np.ndarray
    eye_gaze_raw: np.ndarray
    meta: dict

    @property
    def num_frames(self) -> int:
        """T, the number of frames."""
        return int(self.time.shape[0])

    @property
    def fps(self) -> float:
        """The nominal frame rate from ``meta["fps"]`` (frames may still be irregular: use ``time``)."""
        return float(self.meta["fps"])


def default_conventions() -> dict[str, str]:
    """The coordinate conventions of this schema, as stored in ``meta["conventions"]`` (from :mod:`engine.conventions`).

    Returns:
        A new dict of short human-readable strings, one per convention.

    Example:
        >>> default_conventions()["quaternion_order"]
        'w, x, y, z (scalar first)'
    """
    return dict(CONVENTIONS)


def make_meta(
    *,
    fps: float,
    frame_size: tuple[int, int],
    source: str,
    backend: str,
    filter_settings: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Build a take's ``meta`` dict with the schema version, engine version and conventions filled in.

    Args:
        fps: nominal frame rate of the source, frames per second.
        frame_size: ``(width, height)`` of the source frames in pixels.
        source: name of the source (file stem), e.g. ``"d18"``.
        backend: landmark backend identifier, e.g. ``"mediapipe"``.
        filter_settings: the temporal filter settings used (JSON-serialisable), or None if not filtered.
        **extra: further JSON-serialisable entries (kept as they are).

    Returns:
        A dict with keys ``schema_version, fps, frame_size, source, engine_version, backend, filter,
        conventions`` (+ ``extra``).

    Example:
        >>> m = make_meta(fps=30, frame_size=(640, 480), source="clip", backend="mediapipe")
        >>> m["schema_version"], m["frame_size"]
        (1, [640, 480])
    """
    meta: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "fps": float(fps),
        "frame_size": [int(frame_size[0]), int(frame_size[1])],
        "source": str(source),
        "engine_version": engine_version(),
        "backend": str(backend),
        "filter": dict(filter_settings or {}),
        "conventions": default_conventions(),
    }
    meta.update(extra)
    return meta


def neutral_take(
    time: np.ndarray,
    meta: Mapping[str, Any],
    *,
    num_landmarks: int = LANDMARK_COUNTS[0],
    identity_size: int = 0,
) -> Take:
    """A valid take holding a still, frontal, neutral face with no landmarks: a base to fill in.

    Every weight is 0, the head is frontal (:data:`FRONTAL_ROTATION`) at the camera origin, eyes open and looking
    ahead, confidence 1, ``landmarks`` / ``model_landmarks`` NaN; raw streams equal the filtered ones.

    Args:
        time: ``(T,)`` float seconds from the first frame (starts at 0, non-decreasing).
        meta: the take's meta (see :func:`make_meta`); copied.
        num_landmarks: N of ``landmarks``, 478 or 68.
        identity_size: K of ``identity`` (zeros).

    Returns:
        The take.

    Example:
        >>> meta = make_meta(fps=30, frame_size=(64, 48), source="x", backend="none")
        >>> t = neutral_take(np.arange(3) / 30, meta)
        >>> t.head_rotation[0].tolist(), t.landmarks.shape, validate_take_arrays(take_to_arrays(t))
        ([0.0, 1.0, 0.0, 0.0], (3, 478, 2), [])
    """
    from rigs import load_names

    time = np.asarray(time, dtype=np.float64)
    frames = time.shape[0]
    expression = np.zeros((frames, NUM_EXPRESSIONS), np.float32)
    rotation = np.tile(np.asarray(FRONTAL_ROTATION, np.float32), (frames, 1))
    translation = np.zeros((frames, 3), np.float32)
    blink = np.zeros((frames, 2), np.float32)
    gaze = np.zeros((frames, 2, 2), np.float32)
    return Take(
        expression=expression,
        expression_raw=expression.copy(),
        expression_names=np.array(load_names("facewarehouse46")),
        identity=np.zeros(identity_size, np.float32),
        head_rotation=rotation,
        head_translation=translation,
        eye_blink=blink,
        eye_gaze=gaze,
        time=time,
        confidence=np.ones(frames, np.float32),
        landmarks=np.full((frames, num_landmarks, 2), np.nan, np.float32),
        model_landmarks=np.full((frames, NUM_MODEL_VERTICES, 2), np.nan, np.float32),
        head_rotation_raw=rotation.copy(),
        head_translation_raw=translation.copy(),
        eye_blink_raw=blink.copy(),
        eye_gaze_raw=gaze.copy(),
        meta=dict(meta),
    )


def take_to_arrays(take: Take) -> dict[str, np.ndarray]:
    """The arrays of a take exactly as they are stored (``meta`` as a 0-d unicode JSON array).

    Args:
        take: the take.

    Returns:
        Dict keyed by :data:`ARRAY_KEYS`.
    """
    arrays = {k: getattr(take, k) for k in ARRAY_KEYS if k != "meta"}
    arrays["meta"] = np.array(json.dumps(take.meta, sort_keys=True))
    return arrays


def take_from_arrays(arrays: Mapping[str, np.ndarray], *, convert: bool = True) -> Take:
    """Build a :class:`Take` from arrays keyed by :data:`ARRAY_KEYS` (``meta`` as a dict or a JSON string).

    Args:
        arrays: the arrays. Missing keys raise ``KeyError``.
        convert: if True, cast every array to its schema dtype (float32 / float64 / unicode) first.

    Returns:
        The take (not validated; see :func:`validate_take_arrays`).
    """
    fields: dict[str, Any] = {}
    for key, (dtype, _) in _SPECS.items():
        value = arrays[key]
        if key == "meta":
            fields["meta"] = dict(value) if isinstance(value, Mapping) else json.loads(str(np.asarray(value)[()]))
            continue
        value = np.asarray(value)
        if convert:
            value = value.astype(np.str_ if dtype == "unicode" else dtype, copy=False)
        fields[key] = value
    return Take(**fields)


def save_take(path: str | Path, take: Take) -> Path:
    """Validate and write a take atomically (temp file in the same folder, then ``os.replace``).

    Args:
        path: destination ``.npz`` file (the suffix is added by no one: pass it).
        take: the take to write.

    Returns:
        The absolute path written.

    Raises:
        TakeFormatError: the take breaks the schema (nothing is written); the message lists every problem.
        InputError: the folder does not exist or is not writable.
    """
    path = Path(path).resolve()
    arrays = take_to_arrays(take)
    problems = validate_take_arrays(arrays)
    if problems:
        raise TakeFormatError(f"refusing to write {path.name}: {_join_problems(problems)}")
    if not path.parent.is_dir():
        raise InputError(f"cannot write take {path}: folder {path.parent} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".npz.tmp", dir=path.parent)
    except OSError as err:
        raise InputError(f"cannot write take {path}: {err.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)  # uncompressed: ~10x faster to write; ~8 KB per frame, mostly landmarks
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a take is an ordinary file of the user's
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_take(path: str | Path) -> Take:
    """Read and validate a take file.

    Args:
        path: a ``.npz`` written by :func:`save_take`.

    Returns:
        The take, arrays in their schema dtypes, ``meta`` as a dict.

    Raises:
        InputError: the file does not exist.
        TakeFormatError: the file is not a take, or breaks the schema; the message names the file and lists every
            problem, e.g. ``take.npz: 'eye_blink' must be float32 (T, 2); got float64 (120, 3)``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"take file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as err:  # object arrays (pickles) or a corrupt member
        raise TakeFormatError(f"{path.name}: not a valid take archive ({err})") from None
    except (OSError, EOFError) as err:
        raise TakeFormatError(f"{path.name}: not a readable .npz archive ({err})") from None
    except Exception as err:  # zipfile.BadZipFile and friends: still the user's file, not our bug
        raise TakeFormatError(f"{path.name}: not a readable .npz archive ({type(err).__name__}: {err})") from None
    problems = validate_take_arrays(arrays)
    if problems:
        raise TakeFormatError(f"{path.name}: {_join_problems(problems)}")
    return take_from_arrays(arrays, convert=False)


def validate_take_arrays(arrays: Mapping[str, np.ndarray]) -> list[str]:
    """Check arrays against the take schema and report every problem found.

    Checks presence, dtype and shape of every key, a consistent frame count T, the expression names, ranges
    (weights / blink / confidence in [0, 1] within :data:`WEIGHT_TOLERANCE`, unit quaternions within
    :data:`QUATERNION_NORM_TOLERANCE`, gaze within +-90 degrees), finiteness, time (starts at 0,
    non-decreasing) and ``meta`` (JSON, schema version, required keys). Keys not in the schema are ignored.

    Args:
        arrays: key -> array, as read from the archive.

    Returns:
        One message per problem (empty if valid), e.g. ``"'eye_blink' must be float32 (T, 2); got float64 (120, 3)"``.

    Example:
        >>> validate_take_arrays({"time": np.zeros(3)})[0]
        "missing 'expression' (float32 (T, 46))"
    """
    problems: list[str] = []
    shaped_ok: dict[str, np.ndarray] = {}
    frames = _frame_count(arrays)
    for key, (dtype, pattern) in _SPECS.items():
        if key not in arrays:
            problems.append(f"missing {key!r} ({_describe(dtype, pattern)})")
            continue
        value = np.asarray(arrays[key])
        dtype_ok = value.dtype.kind == "U" if dtype == "unicode" else value.dtype == np.dtype(dtype)
        if not (dtype_ok and _shape_matches(value.shape, pattern, frames)):
            got = "unicode" if value.dtype.kind == "U" else str(value.dtype)
            problems.append(f"{key!r} must be {_describe(dtype, pattern)}; got {got} {_shape_str(value.shape)}")
            continue
        shaped_ok[key] = value
    if frames is None:
        problems.append("cannot tell the frame count T: 'time' must be a 1-D float64 array")
    problems += _check_values(shaped_ok)
    return problems


def head_rotation_to_ypr(head_rotation: np.ndarray) -> np.ndarray:
    """Head yaw, pitch, roll relative to the frontal pose (conventions: module docstring).

    Args:
        head_rotation: ``(T, 4)`` float unit quaternions (w, x, y, z), model -> camera.

    Returns:
        ``(T, 3)`` float64 [yaw, pitch, roll] in radians; yaw and roll in [-pi, pi], pitch in [-pi/2, pi/2].

    Example:
        >>> head_rotation_to_ypr(np.array([[0.0, 1.0, 0.0, 0.0]])).round(6) + 0.0
        array([[0., 0., 0.]])
    """
    from scipy.spatial.transform import Rotation  # scipy is heavy; load only when used

    q = np.asarray(head_rotation, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] != 4:
        raise ValueError(f"head_rotation must be (T, 4) quaternions (w, x, y, z); got {q.shape}")
    if len(q) == 0:
        return np.zeros((0, 3))
    frontal = Rotation.from_quat(_wxyz_to_xyzw(np.asarray([FRONTAL_ROTATION])))
    relative = frontal.inv() * Rotation.from_quat(_wxyz_to_xyzw(q))
    return relative.as_euler("YXZ") * _YPR_SIGNS  # intrinsic "YXZ": R = Ry(a) Rx(b) Rz(c)


def ypr_to_head_rotation(ypr: np.ndarray) -> np.ndarray:
    """Inverse of :func:`head_rotation_to_ypr`.

    Args:
        ypr: ``(T, 3)`` float [yaw, pitch, roll] radians relative to frontal.

    Returns:
        ``(T, 4)`` float32 unit quaternions (w, x, y, z), model -> camera, with w >= 0.

    Example:
        >>> ypr_to_head_rotation(np.zeros((1, 3))).round(6) + 0.0
        array([[0., 1., 0., 0.]], dtype=float32)
    """
    from scipy.spatial.transform import Rotation

    ypr = np.asarray(ypr, dtype=np.float64)
    if ypr.ndim != 2 or ypr.shape[1] != 3:
        raise ValueError(f"ypr must be (T, 3) [yaw, pitch, roll] radians; got {ypr.shape}")
    if len(ypr) == 0:
        return np.zeros((0, 4), np.float32)
    frontal = Rotation.from_quat(_wxyz_to_xyzw(np.asarray([FRONTAL_ROTATION])))
    xyzw = (frontal * Rotation.from_euler("YXZ", ypr * _YPR_SIGNS)).as_quat()
    wxyz = np.concatenate([xyzw[:, 3:], xyzw[:, :3]], axis=1)
    wxyz *= np.where(wxyz[:, :1] < 0, -1.0, 1.0)
    return wxyz.astype(np.float32)


_YPR_SIGNS = np.array([1.0, -1.0, -1.0])  # (yaw, pitch, roll) -> right-handed angles about model (+y, +x, +z)


def _join_problems(problems: list[str]) -> str:
    """One line: the problem itself, or ``"3 problems: (1) ...; (2) ...; (3) ..."``."""
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems: " + "; ".join(f"({i}) {p}" for i, p in enumerate(problems, 1))


def _wxyz_to_xyzw(q: np.ndarray) -> np.ndarray:
    return np.concatenate([q[:, 1:], q[:, :1]], axis=1)


def _frame_count(arrays: Mapping[str, np.ndarray]) -> int | None:
    time = arrays.get("time")
    if time is None:
        return None
    time = np.asarray(time)
    return int(time.shape[0]) if time.ndim == 1 and time.dtype == np.float64 else None


def _shape_matches(shape: tuple[int, ...], pattern: tuple[int | str, ...], frames: int | None) -> bool:
    if len(shape) != len(pattern):
        return False
    for size, want in zip(shape, pattern, strict=False):
        if want == "T":
            if frames is not None and size != frames:
                return False
        elif want == "N":
            if size not in LANDMARK_COUNTS:
                return False
        elif want != "K" and size != want:
            return False
    return True


def _describe(dtype: str, pattern: tuple[int | str, ...]) -> str:
    if dtype == "unicode" and not pattern:
        return "a 0-d unicode array (JSON)"
    dims = ", ".join("N=478|68" if p == "N" else str(p) for p in pattern)
    return f"{dtype} ({dims}{',' if len(pattern) == 1 else ''})"


def _shape_str(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _check_values(a: dict[str, np.ndarray]) -> list[str]:
    problems: list[str] = []
    conf = a.get("confidence")
    no_face = None if conf is None else ~(np.nan_to_num(conf, nan=0.0) > 0)

    def rows(key: str, value: np.ndarray) -> np.ndarray:
        """Frames checked for finiteness / ranges: raw streams skip frames without a face."""
        if key.endswith("_raw") and no_face is not None and len(no_face) == len(value):
            return value[~no_face]
        return value

    for key, value in a.items():
        if value.dtype.kind != "f" or key in _NAN_ANYWHERE_KEYS:
            continue
        bad = ~np.isfinite(value)
        if key.endswith("_raw") and no_face is not None and value.ndim and len(no_face) == len(value):
            bad[no_face] = False
        if bad.any():
            first = int(np.argwhere(bad)[0][0])
            problems.append(f"{key!r} has {int(bad.sum())} non-finite values (first at row {first})")
    for key in _UNIT_RANGE_KEYS:
        if key in a:
            v = rows(key, a[key])
            v = v[np.isfinite(v)]
            if v.size and (v.min() < -WEIGHT_TOLERANCE or v.max() > 1 + WEIGHT_TOLERANCE):
                problems.append(f"{key!r} must be within [0, 1]; got [{v.min():.4g}, {v.max():.4g}]")
    for key in _QUATERNION_KEYS:
        if key in a:
            norms = np.linalg.norm(rows(key, a[key]).astype(np.float64), axis=-1)
            off = np.abs(norms - 1.0)
            off = off[np.isfinite(off)]
            if off.size and off.max() > QUATERNION_NORM_TOLERANCE:
                problems.append(
                    f"{key!r} must hold unit quaternions (|q| = 1 +- {QUATERNION_NORM_TOLERANCE:g}); "
                    f"{int((off > QUATERNION_NORM_TOLERANCE).sum())} rows are off by up to {off.max():.4g}"
                )
    for key in _GAZE_KEYS:
        if key in a:
            v = np.abs(rows(key, a[key]))
            v = v[np.isfinite(v)]
            if v.size and v.max() > EYE_GAZE_LIMIT_RAD:
                problems.append(
                    f"{key!r} must be radians within +-pi/2; got |angle| up to {v.max():.4g} (degrees by mistake?)"
                )
    if "time" in a and a["time"].size:
        time = a["time"]
        if np.isfinite(time[0]) and time[0] != 0.0:
            problems.append(f"'time' must start at 0 (seconds from the first frame); starts at {time[0]:.6g}")
        steps = np.diff(time)
        if (steps < 0).any():
            first = int(np.argmax(steps < 0)) + 1
            problems.append(f"'time' must be non-decreasing; goes back at frame {first}")
    if "expression_names" in a:
        from rigs import load_names  # rigs is light, but keep import-time work out of this module

        want = load_names("facewarehouse46")
        got = tuple(str(n) for n in a["expression_names"])
        if got != want:
            diffs = [i for i, (g, w) in enumerate(zip(got, want, strict=False)) if g != w]
            i = diffs[0] if diffs else 0
            problems.append(
                f"'expression_names' must be the facewarehouse46 list in order; "
                f"first difference at {i}: {got[i]!r} instead of {want[i]!r}"
            )
    if "meta" in a:
        problems += _check_meta(str(a["meta"][()]))
    return problems


def _check_meta(text: str) -> list[str]:
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as err:
        return [f"'meta' is not valid JSON ({err.msg} at character {err.pos})"]
    if not isinstance(meta, dict):
        return [f"'meta' must be a JSON object; got {type(meta).__name__}"]
    problems = []
    version = meta.get("schema_version")
    if version != SCHEMA_VERSION:
        hint = " (written by a newer engine: update the add-on)" if isinstance(version, int) and version > 1 else ""
        problems.append(f"meta 'schema_version' must be {SCHEMA_VERSION}; got {version!r}{hint}")
    missing = [k for k in _META_KEYS if k not in meta]
    if missing:
        problems.append(f"meta is missing {', '.join(repr(k) for k in missing)}")
    fps = meta.get("fps")
    if "fps" in meta and not (isinstance(fps, int | float) and fps > 0):
        problems.append(f"meta 'fps' must be a positive number; got {fps!r}")
    size = meta.get("frame_size")
    if "frame_size" in meta and not (
        isinstance(size, list) and len(size) == 2 and all(isinstance(s, int) and s >= 0 for s in size)
    ):
        problems.append(f"meta 'frame_size' must be [width, height] in pixels; got {size!r}")
    for key in ("filter", "conventions"):
        if key in meta and not isinstance(meta[key], dict):
            problems.append(f"meta {key!r} must be an object; got {type(meta[key]).__name__}")
    return problems
