"""The iBUG-300W 68-point markup and its correspondence to MediaPipe Face Mesh vertices.

iBUG-300W (Sagonas et al., "300 Faces in-the-Wild Challenge", ICCV-W 2013) orders its 68 points, 0-based:

======  =====================================================================================
0-16    jaw contour, from the subject's right (image left) over the chin (8) to the subject's left
17-21   subject's right eyebrow, outer -> inner (upper edge of the brow)
22-26   subject's left eyebrow, inner -> outer
27-30   nose bridge, nasion (27) -> nose tip (30)
31-35   lower edge of the nose, right -> left, subnasale at 33
36-41   subject's right eye: outer corner 36, upper lid 37-38, inner corner 39, lower lid 40-41
42-47   subject's left eye: inner corner 42, upper lid 43-44, outer corner 45, lower lid 46-47
48-59   outer lip contour: right corner 48, upper lip 49-53, left corner 54, lower lip 55-59
60-67   inner lip contour: right corner 60, upper lip 61-63, left corner 64, lower lip 65-67
======  =====================================================================================

"right"/"left" are the subject's sides, as in MediaPipe's and ARKit's names: on an unmirrored frontal image the
subject's right eye (36-41) has the smaller x. FAN, dlib and most 68-point detectors follow this markup.

The correspondence lives in ``mediapipe_to_ibug68.toml`` (one commented line per point, how each vertex was
chosen is written at its top). The face model's vertices are MediaPipe's 468 mesh vertices, so the same indices
are the face-model vertices of the 68 points.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

import numpy as np

from ..contract.take import IBUG68_POINT_COUNT, MEDIAPIPE_MESH_POINT_COUNT, MEDIAPIPE_POINT_COUNT

__all__ = [
    "IBUG68_NAMES",
    "MEDIAPIPE_TO_IBUG68_PATH",
    "NUM_IBUG68_POINTS",
    "Ibug68MappingError",
    "load_ibug68_correspondence",
    "mediapipe_to_ibug68",
    "mediapipe_to_ibug68_indices",
]

MEDIAPIPE_TO_IBUG68_PATH = Path(__file__).resolve().parent / "mediapipe_to_ibug68.toml"
"""The shipped correspondence file."""

SCHEMA_VERSION = 1
NUM_IBUG68_POINTS = IBUG68_POINT_COUNT  # the take contract's count, under this module's public name

IBUG68_NAMES: tuple[str, ...] = (
    # 0-16 jaw contour, subject's right -> chin (8) -> subject's left
    *(f"jaw_{i:02d}" for i in range(17)),
    # 17-21 subject's right eyebrow, upper edge, outer -> inner
    "brow_right_outer", "brow_right_outer_mid", "brow_right_middle", "brow_right_inner_mid", "brow_right_inner",
    # 22-26 subject's left eyebrow, upper edge, inner -> outer
    "brow_left_inner", "brow_left_inner_mid", "brow_left_middle", "brow_left_outer_mid", "brow_left_outer",
    # 27-30 nose bridge, top -> tip
    "nose_bridge_top", "nose_bridge_upper", "nose_bridge_lower", "nose_tip",
    # 31-35 lower edge of the nose, right -> left
    "nostril_right_outer", "nostril_right", "subnasale", "nostril_left", "nostril_left_outer",
    # 36-41 subject's right eye
    "eye_right_outer", "eye_right_upper_outer", "eye_right_upper_inner",
    "eye_right_inner", "eye_right_lower_inner", "eye_right_lower_outer",
    # 42-47 subject's left eye
    "eye_left_inner", "eye_left_upper_inner", "eye_left_upper_outer",
    "eye_left_outer", "eye_left_lower_outer", "eye_left_lower_inner",
    # 48-59 outer lip contour
    "mouth_right_outer", "lip_upper_outer_right", "lip_upper_outer_right_peak", "lip_upper_outer_middle",
    "lip_upper_outer_left_peak", "lip_upper_outer_left", "mouth_left_outer",
    "lip_lower_outer_left", "lip_lower_outer_left_mid", "lip_lower_outer_middle", "lip_lower_outer_right_mid",
    "lip_lower_outer_right",
    # 60-67 inner lip contour
    "mouth_right_inner", "lip_upper_inner_right", "lip_upper_inner_middle", "lip_upper_inner_left",
    "mouth_left_inner", "lip_lower_inner_left", "lip_lower_inner_middle", "lip_lower_inner_right",
)  # fmt: skip
"""The 68 point names in iBUG order; ``IBUG68_NAMES[36] == "eye_right_outer"`` (the subject's right)."""


class Ibug68MappingError(ValueError):
    """A correspondence file is missing or malformed; the message names the file."""


@functools.lru_cache(maxsize=8)
def _load_cached(path: Path) -> np.ndarray:
    if not path.is_file():
        raise Ibug68MappingError(f"{path}: correspondence file not found")
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise Ibug68MappingError(f"{path}: not valid TOML: {err}") from err
    if data.get("schema") != SCHEMA_VERSION:
        raise Ibug68MappingError(f"{path}: schema must be {SCHEMA_VERSION}, got {data.get('schema')!r}")
    table = data.get("ibug_to_mediapipe")
    if not isinstance(table, dict):
        raise Ibug68MappingError(f"{path}: missing table [ibug_to_mediapipe]")
    expected = {str(i) for i in range(NUM_IBUG68_POINTS)}
    if set(table) != expected:
        missing = sorted(int(k) for k in expected - set(table))
        extra = sorted(set(table) - expected)
        raise Ibug68MappingError(
            f"{path}: keys must be exactly 0..{NUM_IBUG68_POINTS - 1}; missing {missing}, unexpected {extra}"
        )
    values = [table[str(i)] for i in range(NUM_IBUG68_POINTS)]
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < MEDIAPIPE_MESH_POINT_COUNT:
            raise Ibug68MappingError(
                f"{path}: iBUG point {i} maps to {v!r}; must be a mesh vertex in 0..{MEDIAPIPE_MESH_POINT_COUNT - 1}"
            )
    if len(set(values)) != len(values):
        dup = sorted({v for v in values if values.count(v) > 1})
        raise Ibug68MappingError(f"{path}: vertices used by more than one iBUG point: {dup}")
    out = np.asarray(values, dtype=np.int64)
    out.setflags(write=False)
    return out


def load_ibug68_correspondence(path: str | Path) -> np.ndarray:
    """Load and validate an iBUG-68 -> MediaPipe correspondence file (format of the shipped one).

    Args:
        path: a TOML file with ``schema = 1`` and a table ``[ibug_to_mediapipe]`` with keys ``0``..``67``.

    Returns:
        ``(68,)`` int64, the MediaPipe mesh vertex (0..467) of each iBUG point, all different. A fresh copy.

    Raises:
        Ibug68MappingError: the file is missing, not TOML, has another schema, lacks or adds keys, maps a point
            outside 0..467 or maps two points to one vertex.

    Example:
        >>> int(load_ibug68_correspondence(MEDIAPIPE_TO_IBUG68_PATH)[36])  # subject's right eye, outer corner
        33
    """
    return _load_cached(Path(path).resolve()).copy()


def mediapipe_to_ibug68_indices() -> np.ndarray:
    """The MediaPipe mesh vertex of each iBUG-68 point, from the shipped ``mediapipe_to_ibug68.toml``.

    Returns:
        ``(68,)`` int64 vertex indices in 0..467, all different; entry ``i`` is iBUG point ``i``. A fresh copy.

    Example:
        >>> idx = mediapipe_to_ibug68_indices()
        >>> idx.shape, int(idx[8]), int(idx[30]), int(idx[45])  # chin, nose tip, left eye outer corner
        ((68,), 152, 4, 263)
    """
    return load_ibug68_correspondence(MEDIAPIPE_TO_IBUG68_PATH)


def mediapipe_to_ibug68(points: np.ndarray) -> np.ndarray:
    """Pick the iBUG-68 points out of MediaPipe Face Mesh landmarks.

    Args:
        points: ``(..., 478, C)`` (``refine_landmarks=True``) or ``(..., 468, C)`` MediaPipe landmarks, C = 2 or 3,
            any dtype and units (pixels, normalised, ...); leading dims are batch / time.

    Returns:
        ``(..., 68, C)`` array of the same dtype and units, in iBUG order (a copy).

    Raises:
        ValueError: ``points`` is not ``(..., 468|478, 2|3)``.

    Example:
        >>> mediapipe_to_ibug68(np.zeros((5, 478, 3), np.float32)).shape
        (5, 68, 3)
        >>> pts = np.arange(468 * 2).reshape(468, 2)
        >>> mediapipe_to_ibug68(pts)[36].tolist()  # vertex 33
        [66, 67]
    """
    points = np.asarray(points)
    if (
        points.ndim < 2
        or points.shape[-2] not in (MEDIAPIPE_MESH_POINT_COUNT, MEDIAPIPE_POINT_COUNT)
        or points.shape[-1] not in (2, 3)
    ):
        raise ValueError(
            f"points must be (..., {MEDIAPIPE_POINT_COUNT} or {MEDIAPIPE_MESH_POINT_COUNT}, 2 or 3) "
            f"MediaPipe landmarks, got shape {points.shape}"
        )
    return points[..., _load_cached(MEDIAPIPE_TO_IBUG68_PATH), :]
