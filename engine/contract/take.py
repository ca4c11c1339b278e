"""The take: one tracked performance, the file the engine writes and the add-on bakes. Schema written once here.

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
eye_blink             float32 (T, 2)      [left, right] lid closure in [0, 1] (0 open, 1 closed): the lid estimate
                                          that the ``BLINK_CHANNELS`` of ``expression`` also hold, filtered alike
eye_gaze              float32 (T, 2, 2)   [left, right] x [yaw, pitch], radians, in the MODEL frame
time                  float64 (T,)        seconds from the first frame; starts at 0, non-decreasing
confidence            float32 (T,)        tracking confidence in [0, 1]; 0 = no face in this frame
landmarks             float32 (T, N, 2)   detector landmarks in pixels, N = 478 (MediaPipe) or 68 (iBUG), or 0
                                          when the source has none (a Live Link Face CSV); NaN where no face
model_landmarks       float32 (T, M, 2)   the fitted model's vertices projected to pixels, M = 468 (or 0 when
                                          ``landmarks`` has none); NaN where no face
head_rotation_raw     float32 (T, 4)      ``head_rotation`` before filtering
head_translation_raw  float32 (T, 3)      ``head_translation`` before filtering
eye_blink_raw         float32 (T, 2)      ``eye_blink`` before filtering
eye_gaze_raw          float32 (T, 2, 2)   ``eye_gaze`` before filtering
meta                  unicode ()          JSON object, see :func:`make_meta`
====================  ==================  ====================================================================

Filtered streams are finite on every frame (frames without a face are bridged). The ``*_raw`` streams may be NaN
on frames whose ``confidence`` is 0; on every other frame they obey the same ranges as the filtered streams.
Frames, rotations, angles and sides follow :mod:`.frames` (also written into every take as ``meta["conventions"]``).

Validation: :mod:`.take_validation`; reading and writing: :mod:`.take_io`. In memory, a take read from a Live
Link Face CSV for baking may keep its ARKit-52 channels (``expression`` (T, 52), ``expression_names`` the
``arkit52`` list); only FaceWarehouse-46 takes are valid take files.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._rigs import rigs
from .frames import CONVENTIONS, FRONTAL_ROTATION
from .version import project_version

__all__ = [
    "ARRAY_KEYS",
    "ARRAY_SPECS",
    "BLINK_CHANNELS",
    "EXPRESSION_COUNT",
    "IBUG68_POINT_COUNT",
    "LANDMARK_COUNTS",
    "MEDIAPIPE_MESH_POINT_COUNT",
    "MEDIAPIPE_POINT_COUNT",
    "META_KEYS",
    "MODEL_LANDMARK_COUNT",
    "MODEL_LANDMARK_COUNTS",
    "NO_LANDMARKS",
    "PER_FRAME_KEYS",
    "SCHEMA_VERSION",
    "Take",
    "make_meta",
    "neutral_take",
    "take_from_arrays",
    "take_to_arrays",
    "without_repeated_timestamps",
]

SCHEMA_VERSION = 1
"""Version of the take layout. Bump on any incompatible change; :func:`.take_io.load_take` rejects other versions."""

EXPRESSION_COUNT = 46  # FaceWarehouse expression blendshapes (Cao et al., TVCG 2014), rigs/names/facewarehouse46.toml
BLINK_CHANNELS = ("EyeBlink_L", "EyeBlink_R")  # the expression channels of eye_blink's [left, right] lids
MEDIAPIPE_MESH_POINT_COUNT = 468  # MediaPipe Face Mesh vertices (canonical topology), 0..467
MEDIAPIPE_POINT_COUNT = 478  # ... + 10 iris points with refine_landmarks=True (468..472 subject's right, 473..477 left)
IBUG68_POINT_COUNT = 68  # iBUG-300W 68-point markup (the FAN backend)
NO_LANDMARKS = 0  # a take from a source without landmarks (a Live Link Face CSV) stores (T, 0, 2): no bytes per frame
LANDMARK_COUNTS = (MEDIAPIPE_POINT_COUNT, IBUG68_POINT_COUNT, NO_LANDMARKS)
"""The ``N`` a take's ``landmarks`` may have."""
MODEL_LANDMARK_COUNT = MEDIAPIPE_MESH_POINT_COUNT
"""Vertices of ``model_landmarks``: the face model's mesh (MediaPipe Face Mesh topology)."""
MODEL_LANDMARK_COUNTS = (MODEL_LANDMARK_COUNT, NO_LANDMARKS)
"""The ``M`` a take's ``model_landmarks`` may have (0 only for a take without landmarks)."""

META_KEYS = ("schema_version", "fps", "frame_size", "source", "engine_version", "backend", "filter", "conventions")
"""Keys every take's ``meta`` has (:func:`make_meta`)."""

ARRAY_SPECS: dict[str, tuple[str, tuple[int | str, ...]]] = {
    "expression": ("float32", ("T", EXPRESSION_COUNT)),
    "expression_raw": ("float32", ("T", EXPRESSION_COUNT)),
    "expression_names": ("unicode", (EXPRESSION_COUNT,)),
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
    "model_landmarks": ("float32", ("T", "M", 2)),
    "meta": ("unicode", ()),
}
"""key -> (dtype, shape pattern). "T" = frames, "K" = identity size, "N" = landmark count (one of LANDMARK_COUNTS),
"M" = model landmark count (one of MODEL_LANDMARK_COUNTS)."""
ARRAY_KEYS: tuple[str, ...] = tuple(ARRAY_SPECS)
"""Every key of a take archive, in the order :func:`.take_io.save_take` writes them."""
PER_FRAME_KEYS: tuple[str, ...] = tuple(k for k, (_, shape) in ARRAY_SPECS.items() if shape[:1] == ("T",))
"""The keys with one row per frame."""


@dataclasses.dataclass(frozen=True, eq=False)
class Take:
    """One tracked performance. Field meanings, shapes and conventions: see the module docstring.

    Build one with the arrays in their final dtypes (or through :func:`take_from_arrays`, which converts), check it
    with ``validate_take_arrays(take_to_arrays(take))``; :func:`.take_io.save_take` refuses an invalid take.
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

    @property
    def duration(self) -> float:
        """Seconds from the first to the last frame (0 for fewer than two frames)."""
        return float(self.time[-1] - self.time[0]) if self.num_frames else 0.0

    @property
    def channel_names(self) -> tuple[str, ...]:
        """``expression_names`` as a tuple of str: the columns of ``expression``."""
        return tuple(str(n) for n in self.expression_names)


def make_meta(
    *,
    fps: float,
    frame_size: tuple[int, int],
    source: str,
    backend: str,
    filter_settings: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Build a take's ``meta`` dict with the schema version, project version and conventions filled in.

    Args:
        fps: nominal frame rate of the source, frames per second.
        frame_size: ``(width, height)`` of the source frames in pixels.
        source: name of the source (file stem), e.g. ``"d18"``.
        backend: landmark backend identifier, e.g. ``"mediapipe"``.
        filter_settings: the temporal filter settings used (JSON-serialisable), or None if not filtered.
        **extra: further JSON-serialisable entries (kept as they are).

    Returns:
        A dict with the keys :data:`META_KEYS` (+ ``extra``); ``conventions`` is :data:`.frames.CONVENTIONS`.

    Example:
        >>> m = make_meta(fps=30, frame_size=(640, 480), source="clip", backend="mediapipe")
        >>> m["schema_version"], m["frame_size"], m["conventions"]["quaternion_order"]
        (1, [640, 480], 'w, x, y, z (scalar first)')
    """
    meta: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "fps": float(fps),
        "frame_size": [int(frame_size[0]), int(frame_size[1])],
        "source": str(source),
        "engine_version": project_version(),
        "backend": str(backend),
        "filter": dict(filter_settings or {}),
        "conventions": dict(CONVENTIONS),
    }
    meta.update(extra)
    return meta


def neutral_take(
    time: np.ndarray,
    meta: Mapping[str, Any],
    *,
    num_landmarks: int = MEDIAPIPE_POINT_COUNT,
    identity_size: int = 0,
) -> Take:
    """A valid take holding a still, frontal, neutral face with no landmarks: a base to fill in.

    Every weight is 0, the head is frontal (:data:`.frames.FRONTAL_ROTATION`) at the camera origin, eyes open and
    looking ahead, confidence 1, ``landmarks`` / ``model_landmarks`` NaN (read-only views of one NaN, so a long
    take costs no memory for them until written); raw streams equal the filtered ones.

    Args:
        time: ``(T,)`` float seconds from the first frame (starts at 0, non-decreasing).
        meta: the take's meta (see :func:`make_meta`); copied.
        num_landmarks: N of ``landmarks``, one of :data:`LANDMARK_COUNTS`; with :data:`NO_LANDMARKS`,
            ``model_landmarks`` has none either.
        identity_size: K of ``identity`` (zeros).

    Returns:
        The take.

    Example:
        >>> from engine.contract.take_validation import validate_take_arrays
        >>> meta = make_meta(fps=30, frame_size=(64, 48), source="x", backend="none")
        >>> t = neutral_take(np.arange(3) / 30, meta)
        >>> t.head_rotation[0].tolist(), t.landmarks.shape, validate_take_arrays(take_to_arrays(t))
        ([0.0, 1.0, 0.0, 0.0], (3, 478, 2), [])
    """
    time = np.asarray(time, dtype=np.float64)
    frames = time.shape[0]
    expression = np.zeros((frames, EXPRESSION_COUNT), np.float32)
    rotation = np.tile(np.asarray(FRONTAL_ROTATION, np.float32), (frames, 1))
    translation = np.zeros((frames, 3), np.float32)
    blink = np.zeros((frames, 2), np.float32)
    gaze = np.zeros((frames, 2, 2), np.float32)
    nan = np.float32(np.nan)
    return Take(
        expression=expression,
        expression_raw=expression.copy(),
        expression_names=np.array(rigs.load_names("facewarehouse46")),
        identity=np.zeros(identity_size, np.float32),
        head_rotation=rotation,
        head_translation=translation,
        eye_blink=blink,
        eye_gaze=gaze,
        time=time,
        confidence=np.ones(frames, np.float32),
        landmarks=np.broadcast_to(nan, (frames, num_landmarks, 2)),
        model_landmarks=np.broadcast_to(
            nan, (frames, NO_LANDMARKS if num_landmarks == NO_LANDMARKS else MODEL_LANDMARK_COUNT, 2)
        ),
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
        The take (not validated; see :func:`.take_validation.validate_take_arrays`).
    """
    fields: dict[str, Any] = {}
    for key, (dtype, _) in ARRAY_SPECS.items():
        value = arrays[key]
        if key == "meta":
            fields["meta"] = dict(value) if isinstance(value, Mapping) else json.loads(str(np.asarray(value)[()]))
            continue
        value = np.asarray(value)
        if convert:
            value = value.astype(np.str_ if dtype == "unicode" else dtype, copy=False)
        fields[key] = value
    return Take(**fields)


def without_repeated_timestamps(take: Take) -> tuple[Take, int]:
    """Drop every frame whose time equals the previous frame's (keep the first of each run).

    Some containers repeat a timestamp; a baker would put two keys on one frame. The engine keeps such frames
    (its filter holds over them); the add-on drops them when it opens a take.

    Args:
        take: the take.

    Returns:
        ``(take, dropped)``: the take without the repeated frames (the same object if none), and how many were
        dropped.

    Example:
        >>> meta = make_meta(fps=30, frame_size=(64, 48), source="x", backend="none")
        >>> t, n = without_repeated_timestamps(neutral_take(np.array([0.0, 0.1, 0.1, 0.2]), meta))
        >>> t.time.tolist(), n
        ([0.0, 0.1, 0.2], 1)
    """
    keep = np.concatenate([[True], np.diff(take.time) > 0]) if take.num_frames else np.zeros(0, bool)
    dropped = int((~keep).sum())
    if not dropped:
        return take, 0
    return dataclasses.replace(take, **{k: getattr(take, k)[keep] for k in PER_FRAME_KEYS}), dropped
