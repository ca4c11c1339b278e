"""The eyes of MediaPipe Face Mesh: each eye's corners, iris points and lid pairs, from one commented data file.

``eyelid_pairs.toml`` (beside this module) is the only place these vertex indices are written: the eye-state
estimator and ELAM read the lid pairs, the face model's lid regions are those pairs (inner corner first), and the
fitter's corner, iris and gaze rows read the corners and iris points here.

Per-eye axes are ordered :data:`EYES`: the SUBJECT's left eye, then the subject's right (MediaPipe's convention;
the subject's left eye is at larger image x in an unmirrored image).
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["EYES", "EYELID_PAIRS_FILE", "EyeTopology", "eye_topology", "eyelid_pairs", "iris_points"]

EYES: tuple[str, str] = ("left", "right")
"""Order of every per-eye axis in this package: subject's left, then subject's right."""

EYELID_PAIRS_FILE = Path(__file__).with_name("eyelid_pairs.toml")
EYELID_PAIRS_SCHEMA = 1


@dataclasses.dataclass(frozen=True)
class EyeTopology:
    """MediaPipe vertex indices of one eye (read from ``eyelid_pairs.toml``).

    Attributes:
        outer_corner: lateral canthus vertex.
        inner_corner: medial canthus vertex.
        iris_centre: iris-centre point (468 or 473).
        iris_ring: ``(4,)`` int, the iris contour points.
        pairs: ``(7, 2)`` int, ``[upper, lower]`` lid vertices along the whole contour, outer -> inner.
        ear_pairs: ``(3, 2)`` int, the central pairs used by the eye-aspect ratio.
    """

    outer_corner: int
    inner_corner: int
    iris_centre: int
    iris_ring: np.ndarray
    pairs: np.ndarray
    ear_pairs: np.ndarray


@functools.lru_cache(maxsize=1)
def _load_topology() -> dict[str, EyeTopology]:
    with EYELID_PAIRS_FILE.open("rb") as fh:
        raw: dict[str, Any] = tomllib.load(fh)
    if raw.get("schema") != EYELID_PAIRS_SCHEMA:
        raise ValueError(f"{EYELID_PAIRS_FILE}: expected schema = {EYELID_PAIRS_SCHEMA}")
    out = {}
    for eye in EYES:
        e = raw[eye]
        out[eye] = EyeTopology(
            outer_corner=int(e["outer_corner"]),
            inner_corner=int(e["inner_corner"]),
            iris_centre=int(e["iris_centre"]),
            iris_ring=np.asarray(e["iris_ring"], dtype=np.int64),
            pairs=np.asarray(e["pairs"], dtype=np.int64).reshape(-1, 2),
            ear_pairs=np.asarray(e["ear_pairs"], dtype=np.int64).reshape(-1, 2),
        )
    return out


def eye_topology(eye: str) -> EyeTopology:
    """Vertex indices of the subject's ``"left"`` or ``"right"`` eye.

    Example:
        >>> eye_topology("left").iris_centre, eye_topology("right").outer_corner
        (473, 33)
    """
    if eye not in EYES:
        raise ValueError(f"eye must be one of {EYES}, got {eye!r}")
    return _load_topology()[eye]


def eyelid_pairs() -> dict[str, np.ndarray]:
    """``(upper, lower)`` eyelid vertex pairs along the full contour of each eye.

    Returns:
        ``{"left": (7, 2) int, "right": (7, 2) int}``, columns ``[upper, lower]``, rows from the outer to
        the inner eye corner (subject's left / right eye). A copy: changing it changes nothing here.

    Example:
        >>> eyelid_pairs()["right"][3].tolist()  # mid-lid pair of the subject's right eye
        [159, 145]
    """
    return {eye: eye_topology(eye).pairs.copy() for eye in EYES}


def iris_points(eye: str) -> tuple[int, ...]:
    """The iris centre, then its four contour points, of the subject's ``"left"`` or ``"right"`` eye.

    Example:
        >>> iris_points("right")
        (468, 469, 470, 471, 472)
    """
    topology = eye_topology(eye)
    return (topology.iris_centre, *(int(v) for v in topology.iris_ring))
