"""Eye Landmark Adjustment Module (ELAM): pull tracked upper eyelids down where the eye image says "closed".

Paper: "Eye Motion Matters for 3D Face Reconstruction" (Sec. 2.3, Eq. 4). Landmark detectors often leave
the eyelid landmarks partly open on closed eyes; an image-based eye-state estimate ``P`` (probability that
the eye is closed, see :func:`engine.eyes.eye_state.eye_closed_probability`) moves every upper-lid landmark
towards its lower-lid partner::

    upper' = upper + P * (lower - upper)

so ``P = 1`` puts the upper lid on the lower lid and ``P = 0`` leaves it. Unlike the paper (y only) the move
is along the 2D upper->lower vector, which is the same thing for an upright face and stays on the eye under
head roll. As in the paper, an eye is adjusted when the landmark openness (:func:`landmark_openness`) and ``P``
disagree. Unlike the paper, an eye both call closed is adjusted too (``ElamConfig.close_agreeing``): MediaPipe's
lids on a shut eye keep a last gap, which the fit would read as an eye not quite closed (as a photo, with no rest
to measure it against, 81.5 % of the blind set's closed eyes read 0.8 or more; with the gap closed, 87.3 %). An
eye both call open is left alone, so no open eye is ever closed by this.

Conventions: landmarks are MediaPipe Face Mesh points, ``(478, 2)`` float pixels (x right, y down).
Per-eye arrays are ordered ``[left, right]`` = the SUBJECT's left and right eye (MediaPipe's convention;
the subject's left eye is at larger image x in an unmirrored image). The vertex indices are
:mod:`engine.eyes.eye_topology`'s.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..contract.take import MEDIAPIPE_POINT_COUNT
from .eye_topology import EYES, eye_topology

__all__ = ["ElamConfig", "adjust_eyelid_landmarks", "landmark_openness"]


@dataclasses.dataclass(frozen=True)
class ElamConfig:
    """When ELAM treats an eye's landmarks as erroneous.

    Attributes:
        closed_probability_threshold: ``P(closed)`` at or above which the image says "closed"
            (the paper thresholds its softmax at 0.5).
        closed_openness: landmark openness (eye-aspect ratio, :func:`landmark_openness`) below which the
            landmarks say "closed". 0.17 sits between the open (>= 0.2 on frontal faces) and closed
            (<= 0.1) readings of MediaPipe on our labelled clip frames; it is the same value as
            ``EyeStateConfig.ear_closed``.
        close_agreeing: also move the lids of an eye both the landmarks and the image call closed (the paper
            leaves it; MediaPipe keeps a shut eye's lids apart).
    """

    closed_probability_threshold: float = 0.5
    closed_openness: float = 0.17
    close_agreeing: bool = True


def _check_landmarks(landmarks: np.ndarray) -> np.ndarray:
    lm = np.asarray(landmarks)
    if lm.ndim != 2 or lm.shape != (MEDIAPIPE_POINT_COUNT, 2):
        raise ValueError(f"landmarks must be ({MEDIAPIPE_POINT_COUNT}, 2) pixels, got shape {lm.shape}")
    if not np.issubdtype(lm.dtype, np.floating):
        raise TypeError(f"landmarks must be floating point, got {lm.dtype}")
    return lm


def landmark_openness(landmarks: np.ndarray) -> np.ndarray:
    """Eye-aspect ratio of each eye: mean upper-lower gap of the 3 central pairs / corner-to-corner distance.

    Args:
        landmarks: ``(478, 2)`` float pixel coordinates (MediaPipe Face Mesh with iris).

    Returns:
        ``(2,)`` float32 ``[left, right]``; ~0.25-0.4 for open eyes, < 0.1 for closed eyes whose landmarks
        follow the lid. 0 where the corners coincide.

    Example:
        >>> lm = np.zeros((478, 2), np.float32)
        >>> t = eye_topology("left")
        >>> lm[t.outer_corner], lm[t.inner_corner] = (100, 50), (60, 50)
        >>> lm[t.ear_pairs[:, 0]] = (80, 44); lm[t.ear_pairs[:, 1]] = (80, 56)
        >>> round(float(landmark_openness(lm)[0]), 3)
        0.3
    """
    lm = _check_landmarks(landmarks).astype(np.float64)
    out = np.zeros(2, np.float32)
    for k, eye in enumerate(EYES):
        t = eye_topology(eye)
        width = np.linalg.norm(lm[t.outer_corner] - lm[t.inner_corner])
        gap = np.linalg.norm(lm[t.ear_pairs[:, 0]] - lm[t.ear_pairs[:, 1]], axis=1).mean()
        out[k] = gap / width if width > 0 else 0.0
    return out


def adjust_eyelid_landmarks(landmarks: np.ndarray, p_closed: np.ndarray, cfg: ElamConfig = ElamConfig()) -> np.ndarray:
    """Move the upper-eyelid landmarks of eyes the image says are more closed than the landmarks (paper Eq. 4).

    For each eye: landmarks say closed if ``landmark_openness < cfg.closed_openness``, the image says closed
    if ``p_closed >= cfg.closed_probability_threshold``. Where they disagree, or both say closed and
    ``cfg.close_agreeing``, every upper-lid vertex of ``eyelid_pairs()`` becomes ``upper + p * (lower - upper)``;
    an eye both call open is returned unchanged. (When the landmarks say closed but the image says open, ``p``
    is small and the rule moves the lid little: ELAM, like the paper, only closes eyes; it cannot re-open them.)

    Args:
        landmarks: ``(478, 2)`` float pixel coordinates (MediaPipe Face Mesh with iris).
        p_closed: ``(2,)`` ``[left, right]`` probability that each eye is closed, in [0, 1].
        cfg: thresholds that decide disagreement.

    Returns:
        ``(478, 2)`` adjusted landmarks, same dtype as ``landmarks`` (a new array; the input is not changed).

    Example:
        >>> lm = np.zeros((478, 2), np.float32)
        >>> for eye in EYES:
        ...     t = eye_topology(eye)
        ...     lm[t.outer_corner], lm[t.inner_corner] = (40, 50), (0, 50)
        ...     lm[t.pairs[:, 0]] = (20, 44); lm[t.pairs[:, 1]] = (20, 56)
        >>> out = adjust_eyelid_landmarks(lm, np.array([1.0, 0.0]))
        >>> out[386].tolist(), out[159].tolist()  # left closed by the image, right open and agreeing
        ([20.0, 56.0], [20.0, 44.0])
    """
    lm = _check_landmarks(landmarks)
    p = np.asarray(p_closed, dtype=np.float64)
    if p.shape != (2,):
        raise ValueError(f"p_closed must have shape (2,) [left, right], got {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0.0) or np.any(p > 1.0):
        raise ValueError(f"p_closed must lie in [0, 1], got {p.tolist()}")
    out = lm.copy()
    openness = landmark_openness(lm)
    for k, eye in enumerate(EYES):
        landmarks_closed = bool(openness[k] < cfg.closed_openness)
        image_closed = bool(p[k] >= cfg.closed_probability_threshold)
        if landmarks_closed == image_closed and not (image_closed and cfg.close_agreeing):
            continue
        pairs = eye_topology(eye).pairs
        upper = lm[pairs[:, 0]].astype(np.float64)
        lower = lm[pairs[:, 1]].astype(np.float64)
        out[pairs[:, 0]] = (upper + p[k] * (lower - upper)).astype(lm.dtype)
    return out
