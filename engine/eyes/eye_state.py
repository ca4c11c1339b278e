"""Per-frame eye state: probability that each eye is closed, from the eye image fused with its landmarks.

This is the eye-state detector of the Eye Landmark Adjustment Module ("Eye Motion Matters for 3D Face
Reconstruction", Sec. 2.3). The paper uses a ResNet-50 trained on CEW; we can ship neither, so the detector
is hand-built, needs no weights, and runs in well under a millisecond for both eyes:

1. **Landmark evidence**: the eye-aspect ratio (EAR, :func:`engine.eyes.elam.landmark_openness`).
2. **Appearance evidence** ("iris blobness"): the eye is warped into a small patch aligned with its
   corner-to-corner axis and scaled by the corner distance. An open eye shows the iris / pupil: a dark
   blob whose intensity curves upward both across (x) and along (y) the eye. A closed eye shows a lash line:
   dark along x only, so the x-curvature vanishes. We smooth the patch at half the iris radius (from
   MediaPipe's iris ring), take ``min(I_xx, I_yy)`` (the smaller principal curvature of a dark blob) near
   the tracked iris centre, scale-normalise it (``* sigma^2``) and divide by the patch contrast.
3. **Fusion** in log-odds: ``logit = (ear_closed - EAR) / ear_scale
   + appearance_weight * clip((blob_open - blob) / blob_scale, +-appearance_logit_clip)``, then a sigmoid.

Constants were set by hand while looking at labelled frames of clips d3, d10 and d18 (see
``tests/data/eye_state_labels.toml``) and checked on the others; nothing is learned from the footage.

Conventions: ``gray`` is an ``(H, W)`` uint8 image; landmarks are MediaPipe Face Mesh points
``(478, 2)`` float pixels (x right, y down) of that image. Per-eye outputs are ``[left, right]`` = the
SUBJECT's left and right eye (see :mod:`engine.eyes.elam`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from engine.contract.take import MEDIAPIPE_POINT_COUNT
from engine.errors import MissingDependency
from engine.eyes.elam import landmark_openness
from engine.eyes.eye_topology import EYES, eye_topology

__all__ = [
    "FEATURE_BLOBNESS",
    "FEATURE_EAR",
    "EyeStateConfig",
    "closed_probability_from_features",
    "eye_closed_probability",
    "eye_state_features",
]

FEATURE_EAR = 0  # column of eye_state_features(): eye-aspect ratio (landmarks)
FEATURE_BLOBNESS = 1  # column of eye_state_features(): iris blobness (image)
_NUM_FEATURES = 2


@dataclasses.dataclass(frozen=True)
class EyeStateConfig:
    """Constants of the eye-state estimator. All hand-set (see the module docstring).

    Attributes:
        ear_closed: EAR at which the landmark term alone gives P(closed) = 0.5. MediaPipe reads 0.2-0.4 on
            open eyes of frontal faces and 0.04-0.09 on closed ones; narrow open eyes (smiles, monolids)
            reach 0.16.
        ear_scale: EAR change that moves the landmark log-odds by 1.
        blob_open: blobness at which the appearance term is neutral. Labelled open eyes read 0.2-1.0,
            closed ones 0.07-0.45 (0.45 only with heavy eyeliner), so the term is a tie-breaker, not a veto.
        blob_scale: blobness change that moves the appearance log-odds by 1 (before the weight).
        appearance_weight: weight of the appearance log-odds relative to the landmark log-odds.
        appearance_logit_clip: bound on the (unweighted) appearance log-odds, so that an odd patch (glare,
            occlusion) cannot overrule very confident landmarks.
        patch_width: width in pixels of the eye-aligned patch.
        patch_height: height in pixels of the eye-aligned patch.
        patch_span: corner-to-corner distances covered by the patch width (1.4: the eye plus 20 % margin
            each side).
        blob_sigma_iris: Gaussian smoothing scale, as a fraction of the iris radius.
        blob_search_iris: half-size of the square searched around the tracked iris centre, as a fraction
            of the iris radius (the tracked centre is a few pixels off on blinking eyes).
        min_sigma_px: lower bound on the smoothing scale in patch pixels.
        contrast_low_percentile: patch percentile taken as "dark" for contrast normalisation.
        contrast_high_percentile: patch percentile taken as "skin" for contrast normalisation.
        min_contrast: lower bound (grey levels) on the contrast, so flat patches give blobness ~ 0.
    """

    ear_closed: float = 0.17
    ear_scale: float = 0.02
    blob_open: float = 0.3
    blob_scale: float = 0.1
    appearance_weight: float = 1.0
    appearance_logit_clip: float = 3.0
    patch_width: int = 48
    patch_height: int = 36
    patch_span: float = 1.4
    blob_sigma_iris: float = 0.5
    blob_search_iris: float = 0.6
    min_sigma_px: float = 1.0
    contrast_low_percentile: float = 2.0
    contrast_high_percentile: float = 75.0
    min_contrast: float = 8.0


def _cv2() -> Any:
    try:
        import cv2
    except ImportError as err:  # pragma: no cover - cv2 is a core dependency of tracking
        raise MissingDependency("install opencv-python-headless to estimate eye state") from err
    return cv2


def _check_inputs(gray: np.ndarray, landmarks: np.ndarray) -> None:
    if not isinstance(gray, np.ndarray) or gray.ndim != 2 or gray.dtype != np.uint8:
        shape = getattr(gray, "shape", None)
        dtype = getattr(gray, "dtype", None)
        raise ValueError(f"gray must be an (H, W) uint8 image, got shape {shape} dtype {dtype}")
    lm = np.asarray(landmarks)
    if lm.shape != (MEDIAPIPE_POINT_COUNT, 2):
        raise ValueError(
            f"landmarks must be ({MEDIAPIPE_POINT_COUNT}, 2) pixels with iris points, got shape {lm.shape}"
        )
    if not np.all(np.isfinite(lm)):
        raise ValueError("landmarks contain NaN or inf")


def _blobness(cv2: Any, gray: np.ndarray, lm: np.ndarray, eye: str, cfg: EyeStateConfig) -> float:
    """Scale- and contrast-normalised dark-blob strength near the iris centre of one eye."""
    t = eye_topology(eye)
    a = lm[t.outer_corner]
    b = lm[t.inner_corner]
    if a[0] > b[0]:  # run the patch's x axis along image x for both eyes
        a, b = b, a
    width = float(np.hypot(*(b - a)))
    if width < 1.0:
        return cfg.blob_open  # degenerate eye: neutral appearance, the landmarks decide
    u = (b - a) / width
    scale = cfg.patch_width / (cfg.patch_span * width)
    m = np.empty((2, 3), np.float64)
    m[0, :2] = u * scale
    m[1, :2] = (-u[1] * scale, u[0] * scale)
    m[:, 2] = (cfg.patch_width / 2.0, cfg.patch_height / 2.0) - m[:, :2] @ ((a + b) / 2.0)
    patch = cv2.warpAffine(
        gray, m, (cfg.patch_width, cfg.patch_height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    ).astype(np.float32)

    centre = lm[t.iris_centre]
    iris_radius = float(np.linalg.norm(lm[t.iris_ring] - centre, axis=1).mean()) * scale
    cx, cy = m[:, :2] @ centre + m[:, 2]
    sigma = max(cfg.blob_sigma_iris * iris_radius, cfg.min_sigma_px)
    smooth = cv2.GaussianBlur(patch, (0, 0), sigma)
    ixx = cv2.Sobel(smooth, cv2.CV_32F, 2, 0, ksize=3)
    iyy = cv2.Sobel(smooth, cv2.CV_32F, 0, 2, ksize=3)

    lo, hi = np.percentile(patch, (cfg.contrast_low_percentile, cfg.contrast_high_percentile))
    contrast = max(float(hi - lo), cfg.min_contrast)
    r = max(1, int(round(cfg.blob_search_iris * iris_radius)))
    ix, iy = int(round(cx)), int(round(cy))
    ys = slice(min(max(iy - r, 0), cfg.patch_height - 1), min(max(iy + r + 1, 1), cfg.patch_height))
    xs = slice(min(max(ix - r, 0), cfg.patch_width - 1), min(max(ix + r + 1, 1), cfg.patch_width))
    curvature = np.minimum(ixx[ys, xs], iyy[ys, xs])
    return float(curvature.max()) * sigma * sigma / contrast


def eye_state_features(gray: np.ndarray, landmarks: np.ndarray, cfg: EyeStateConfig = EyeStateConfig()) -> np.ndarray:
    """Landmark and appearance evidence of each eye's state.

    Args:
        gray: ``(H, W)`` uint8 grey image the landmarks were tracked on.
        landmarks: ``(478, 2)`` float pixel coordinates (MediaPipe Face Mesh, refine_landmarks=True).
        cfg: estimator constants.

    Returns:
        ``(2, 2)`` float32, rows ``[left, right]`` (subject's), columns ``[FEATURE_EAR, FEATURE_BLOBNESS]``.

    Example:
        >>> eye_state_features(np.zeros((8, 8), np.uint8), np.zeros((478, 2), np.float32)).shape
        (2, 2)
    """
    _check_inputs(gray, landmarks)
    cv2 = _cv2()
    lm = np.asarray(landmarks, dtype=np.float64)
    out = np.empty((len(EYES), _NUM_FEATURES), np.float32)
    out[:, FEATURE_EAR] = landmark_openness(lm)
    for k, eye in enumerate(EYES):
        out[k, FEATURE_BLOBNESS] = _blobness(cv2, gray, lm, eye, cfg)
    return out


def closed_probability_from_features(features: np.ndarray, cfg: EyeStateConfig = EyeStateConfig()) -> np.ndarray:
    """Fuse landmark and appearance evidence into P(closed).

    Args:
        features: ``(..., 2)`` columns ``[FEATURE_EAR, FEATURE_BLOBNESS]`` (from :func:`eye_state_features`).
        cfg: estimator constants.

    Returns:
        ``(...)`` float32 probability that the eye is closed.

    Example:
        >>> closed_probability_from_features(np.array([[0.30, 0.8], [0.05, 0.1]])).round(3).tolist()
        [0.0, 1.0]
    """
    f = np.asarray(features, dtype=np.float64)
    if f.ndim < 1 or f.shape[-1] != _NUM_FEATURES:
        raise ValueError(f"features must have shape (..., {_NUM_FEATURES}), got {f.shape}")
    landmark_logit = (cfg.ear_closed - f[..., FEATURE_EAR]) / cfg.ear_scale
    appearance_logit = np.clip(
        (cfg.blob_open - f[..., FEATURE_BLOBNESS]) / cfg.blob_scale,
        -cfg.appearance_logit_clip,
        cfg.appearance_logit_clip,
    )
    logit = landmark_logit + cfg.appearance_weight * appearance_logit
    return (0.5 * (1.0 + np.tanh(0.5 * logit))).astype(np.float32)  # = sigmoid, without overflow


def eye_closed_probability(
    gray: np.ndarray, landmarks: np.ndarray, cfg: EyeStateConfig = EyeStateConfig()
) -> np.ndarray:
    """Probability that each eye is closed, from one frame (no temporal state).

    Args:
        gray: ``(H, W)`` uint8 grey image the landmarks were tracked on.
        landmarks: ``(478, 2)`` float pixel coordinates (MediaPipe Face Mesh, refine_landmarks=True).
        cfg: estimator constants.

    Returns:
        ``(2,)`` float32 ``[left, right]`` (subject's) P(closed) in [0, 1].

    Raises:
        ValueError: wrong shapes or dtype, or non-finite landmarks.

    Example:
        >>> eye_closed_probability(np.zeros((8, 8), np.uint8), np.zeros((478, 2), np.float32)).shape
        (2,)
    """
    return closed_probability_from_features(eye_state_features(gray, landmarks, cfg), cfg)
