"""Where two parts of a clip read at once meet: is the later part's face the one the earlier part followed?

A clip read in parts (:mod:`engine.landmark_parts`) starts a fresh tracker at each later part, which takes whichever
face the detector finds first there. Where a second person is in the picture by then (walked in), that may be the
other person: the take would follow one face, then the other (seen on a clip with a second face from frame 50 of
150: the second part followed the newcomer from frame 75). A later part reads ``warmup_frames`` before its range,
frames the earlier part also read, so the two parts' faces are compared on those shared frames (:func:`same_face`);
where they differ, the clip from the earlier part's start on is read again in one piece (one tracker: it follows the
face the earlier part found), as ``--parts 1`` would.
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["FaceAt", "SAME_FACE_SHIFT", "face_at", "same_face"]

SAME_FACE_SHIFT = 0.5
"""Faces on one frame whose centres are further apart than this share of the face's size are two faces (a
tracker's own jitter between two runs is a few pixels, a hundredth of a face)."""
_TIME_MATCH_S = 1e-3  # two parts' rows of one frame carry the same source time


@dataclasses.dataclass(frozen=True)
class FaceAt:
    """Where the tracked face is on one frame.

    Attributes:
        time: source time, seconds.
        centre: ``(2,)`` float pixels, the mean of the landmarks.
        size: the landmarks' larger extent (width or height), pixels.
    """

    time: float
    centre: np.ndarray
    size: float


def face_at(time: float, points: np.ndarray) -> FaceAt | None:
    """The face whose landmarks are ``points`` ``(J, 2)`` float pixels at source ``time``; None if not found."""
    if not np.isfinite(points).all():
        return None
    return FaceAt(time, points.mean(axis=0), float(np.ptp(points, axis=0).max()))


def same_face(earlier: list[FaceAt], later: list[FaceAt]) -> bool:
    """False if, on the frames both parts read (matched by time), the later part's face is another face: the
    median shift of the centres exceeds :data:`SAME_FACE_SHIFT` of the face's size. True where they agree, or where
    no frame has a face in both (nothing to tell them apart by).

    Example:
        >>> a = [FaceAt(t, np.array([100.0, 100.0]), 80.0) for t in (1.0, 1.1)]
        >>> b = [FaceAt(t, np.array([103.0, 99.0]), 80.0) for t in (1.0, 1.1)]
        >>> c = [FaceAt(t, np.array([400.0, 100.0]), 80.0) for t in (1.0, 1.1)]
        >>> same_face(a, b), same_face(a, c)
        (True, False)
    """
    shifts = []
    for face in later:
        match = next((f for f in earlier if abs(f.time - face.time) < _TIME_MATCH_S), None)
        if match is not None:
            size = max(match.size, face.size, 1e-6)
            shifts.append(float(np.linalg.norm(match.centre - face.centre)) / size)
    return not shifts or float(np.median(shifts)) <= SAME_FACE_SHIFT
