"""Optional landmark backend: FAN (Bulat & Tzimiropoulos, "How far are we from solving the 2D & 3D face alignment
problem?", ICCV 2017) through the ``face-alignment`` package, 68 iBUG-300W points per face.

Nothing here is imported until :class:`FanBackend` is constructed: torch and face-alignment are optional, and
their absence raises :class:`~engine.errors.MissingDependency` naming the install command (:data:`FAN_PIP_INSTALL`).

The network weights are not in any package and cannot be downloaded here. face-alignment looks for them in
``$TORCH_HOME/hub/checkpoints/`` (torch's hub folder; ``TORCH_HOME`` defaults to ``$XDG_CACHE_HOME/torch`` or
``~/.cache/torch``) under the names in :data:`FAN_WEIGHT_FILES`. The backend checks that they are there before
anything is loaded and loads them from that folder itself, so face-alignment's downloader is never reached.

face-alignment's own detectors need weights too, so the face box comes from MediaPipe's full-range face
detector (default) or OpenCV's frontal-face Haar cascade, and is passed to FAN as ``detected_faces``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np

from engine.errors import MissingDependency, MissingModelFile
from engine.landmarks.base import LandmarkResult
from engine.landmarks.ibug68 import IBUG68_NAMES, NUM_IBUG68_POINTS, mediapipe_to_ibug68_indices
from engine.landmarks.mediapipe_import import import_mediapipe
from engine.landmarks.native_log import QuietStartGraph

__all__ = [
    "FAN_PIP_INSTALL",
    "FAN_WEIGHT_FILES",
    "FACE_ALIGNMENT_VERSION",
    "FanBackend",
    "FanConfig",
    "fan_weight_paths",
    "fan_weights_dir",
]

log = logging.getLogger(__name__)

FACE_ALIGNMENT_VERSION = "1.5.0"
"""The face-alignment release this backend is written against (it overrides two of its loading methods)."""

FAN_PIP_INSTALL = (
    "bash .ci/setup --fan (makes .venv-fan), or in your own environment: pip install -r .ci/requirements-fan.txt"
    " (torch==2.13.0, the CPU build)"
    f" && pip install --no-deps face-alignment=={FACE_ALIGNMENT_VERSION}"
)
"""The optional extra. ``--no-deps`` because face-alignment requires ``opencv-python``, which clashes with the
``opencv-python-headless`` that mediapipe uses; torch 2.13.0 is the CPU build on this machine's disk (a bare
``torch`` pulls a multi-GB CUDA build)."""

FAN_WEIGHT_FILES: dict[str, tuple[str, ...]] = {
    "2D": ("2DFAN4-11f355bf06.pth.tar",),
    "3D": ("3DFAN4-7835d9f11d.pth.tar", "depth-2a464da4ea.pth.tar"),
}
"""Weight files per landmark type, named as face-alignment 1.5.0's download URLs name them. For 3D the first is
the landmark network, the second the depth network."""

_HAAR_CASCADE = "haarcascade_frontalface_default.xml"
_MEDIAPIPE_FULL_RANGE_MODEL = 1  # mp.solutions.face_detection model_selection: 1 = full range (faces up to ~5 m)

_NOSE_TIP = IBUG68_NAMES.index("nose_tip")  # 30
_JAW_TOPS = (IBUG68_NAMES.index("jaw_00"), IBUG68_NAMES.index("jaw_16"))  # outline at eye height, both sides
"""FAN's depth sign is undocumented: each frame's depth is oriented so that the nose tip is nearer than these."""


@dataclasses.dataclass(frozen=True)
class FanConfig:
    """Settings of :class:`FanBackend`.

    Attributes:
        landmarks_type: ``"2D"`` (2DFAN-4: points on the visible contour, no depth) or ``"3D"`` (3DFAN-4 +
            the depth network: projections of the 3D points, with depth).
        device: torch device, ``"cpu"`` or ``"cuda"``/``"cuda:0"``.
        torch_home: folder whose ``hub/checkpoints/`` holds the weights; None = torch's default (the
            ``TORCH_HOME`` environment variable, else ``$XDG_CACHE_HOME/torch``, else ``~/.cache/torch``).
        face_detector: ``"mediapipe"`` (full-range BlazeFace, needs mediapipe; handles small and turned faces)
            or ``"haar"`` (OpenCV's frontal-face cascade; frontal faces only).
        min_detection_confidence: MediaPipe detector threshold in [0, 1].
        min_face_px: Haar detector's smallest face side in pixels.
        box_scale: factor applied to the detected box about its centre before FAN crops it. FAN's crop scale
            assumes face-alignment's S3FD boxes (``reference_scale`` 195 px); 1.0 passes the box unchanged.
    """

    landmarks_type: Literal["2D", "3D"] = "2D"
    device: str = "cpu"
    torch_home: str | None = None
    face_detector: Literal["mediapipe", "haar"] = "mediapipe"
    min_detection_confidence: float = 0.5
    min_face_px: int = 40
    box_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.landmarks_type not in FAN_WEIGHT_FILES:
            raise ValueError(f"landmarks_type must be one of {sorted(FAN_WEIGHT_FILES)}, got {self.landmarks_type!r}")
        if self.face_detector not in ("mediapipe", "haar"):
            raise ValueError(f"face_detector must be 'mediapipe' or 'haar', got {self.face_detector!r}")
        if not 0.0 <= self.min_detection_confidence <= 1.0:
            raise ValueError(f"min_detection_confidence must be in [0, 1], got {self.min_detection_confidence}")
        if self.min_face_px < 1:
            raise ValueError(f"min_face_px must be >= 1, got {self.min_face_px}")
        if not self.box_scale > 0.0:
            raise ValueError(f"box_scale must be > 0, got {self.box_scale}")


def fan_weights_dir(torch_home: str | os.PathLike[str] | None = None) -> Path:
    """The folder face-alignment reads FAN weights from: ``<torch_home>/hub/checkpoints``.

    Args:
        torch_home: explicit torch home; None resolves it as ``torch.hub`` does (``TORCH_HOME``, else
            ``$XDG_CACHE_HOME/torch``, else ``~/.cache/torch``) without importing torch.

    Example:
        >>> fan_weights_dir("/models/torch").as_posix()
        '/models/torch/hub/checkpoints'
    """
    if torch_home is None:
        xdg = os.environ.get("XDG_CACHE_HOME", os.path.join("~", ".cache"))
        torch_home = os.environ.get("TORCH_HOME", os.path.join(xdg, "torch"))
    return Path(os.path.expanduser(os.fspath(torch_home))) / "hub" / "checkpoints"


def fan_weight_paths(cfg: FanConfig) -> tuple[Path, ...]:
    """Where the weight files for ``cfg`` must lie (landmark network first, then the depth network for 3D).

    Example:
        >>> [p.name for p in fan_weight_paths(FanConfig(landmarks_type="3D", torch_home="/t"))]
        ['3DFAN4-7835d9f11d.pth.tar', 'depth-2a464da4ea.pth.tar']
    """
    folder = fan_weights_dir(cfg.torch_home)
    return tuple(folder / name for name in FAN_WEIGHT_FILES[cfg.landmarks_type])


def _import_dependencies() -> tuple[Any, Any]:
    try:
        import face_alignment
        import torch
    except ImportError as err:
        raise MissingDependency(f"the 'fan' backend needs face-alignment and torch: {FAN_PIP_INSTALL}") from err
    version = getattr(face_alignment, "__version__", "unknown")
    if version != FACE_ALIGNMENT_VERSION:
        raise MissingDependency(
            f"the 'fan' backend needs face-alignment=={FACE_ALIGNMENT_VERSION} (found {version}): {FAN_PIP_INSTALL}"
        )
    return torch, face_alignment


def _check_weights(paths: tuple[Path, ...]) -> None:
    missing = [p for p in paths if not p.is_file()]
    if missing:
        names = " and ".join(p.name for p in missing)
        it = "it cannot" if len(missing) == 1 else "they cannot"
        raise MissingModelFile(
            f"FAN weights not found: put {names} in {missing[0].parent} ({it} be downloaded automatically)"
        )


def _face_alignment_offline(torch: Any, fa: Any, cfg: FanConfig, paths: tuple[Path, ...]) -> Any:
    """A face_alignment.FaceAlignment whose networks load from ``paths``, never from a URL."""
    from face_alignment.models import FAN, ResNetDepth

    def load(path: Path, weights_only: bool) -> Any:
        try:
            return torch.load(path, map_location=cfg.device, weights_only=weights_only)
        except Exception as err:  # a truncated or foreign file: same remedy as a missing one
            raise MissingModelFile(f"FAN weights in {path} could not be loaded ({err}): replace the file") from err

    class _OfflineFaceAlignment(fa.FaceAlignment):
        # Same loading as face_alignment 1.5.0 api.py (_load_native / _load_native_depth) with the file given.
        def _load_native(self, network_name: str, network_size: int, device: str, dtype: Any) -> Any:
            net = FAN(network_size)
            net.load_state_dict(load(paths[0], weights_only=True))
            return net.to(device, dtype=dtype).eval()

        def _load_native_depth(self, device: str, dtype: Any) -> Any:
            net = ResNetDepth()
            state = load(paths[1], weights_only=False)["state_dict"]
            net.load_state_dict({k.replace("module.", ""): v for k, v in state.items()})
            return net.to(device, dtype=dtype).eval()

    landmarks_type = fa.LandmarksType.TWO_D if cfg.landmarks_type == "2D" else fa.LandmarksType.THREE_D
    model = _OfflineFaceAlignment(
        landmarks_type,
        device=cfg.device,
        flip_input=False,  # one pass per face (flip-averaging doubles the cost)
        face_detector="folder",  # a no-op detector without weights; we always pass detected_faces
        compile=False,  # torch.compile costs minutes up front and writes a cache under ~/.cache
    )
    # ~0.4 s instead of ~3 s per face on CPU (offline_assets.md).
    model.face_alignment_net = model.face_alignment_net.to(memory_format=torch.channels_last)
    if cfg.landmarks_type == "3D":
        model.depth_prediciton_net = model.depth_prediciton_net.to(memory_format=torch.channels_last)
    return model


class FanBackend:
    """FAN 68-point landmarks (iBUG-300W order) of the most prominent face, boxed by MediaPipe or Haar.

    Implements :class:`engine.landmarks.base.LandmarkBackend`. Construct once, call :meth:`detect` per frame.

    Raises (from the constructor):
        MissingDependency: torch / face-alignment 1.5.0 (or mediapipe for ``face_detector="mediapipe"``) absent.
        MissingModelFile: a weight file is not in :func:`fan_weights_dir`, or cannot be loaded.
    """

    name: str = "fan"
    num_points: int = NUM_IBUG68_POINTS

    def __init__(self, cfg: FanConfig | None = None) -> None:
        self.cfg = cfg = cfg if cfg is not None else FanConfig()
        torch, fa = _import_dependencies()
        paths = fan_weight_paths(cfg)
        _check_weights(paths)
        self.model_vertices: np.ndarray = mediapipe_to_ibug68_indices()
        self._detector = _make_face_detector(cfg)
        self._fa = _face_alignment_offline(torch, fa, cfg, paths)
        log.info("FAN %s loaded from %s on %s", cfg.landmarks_type, paths[0].parent, cfg.device)

    def detect(self, image_bgr: np.ndarray) -> LandmarkResult | None:
        """Landmarks of the largest face in ``image_bgr``, or None if no face is found.

        Args:
            image_bgr: ``(H, W, 3)`` uint8 BGR frame.

        Returns:
            ``points`` ``(68, 2)`` float32 pixels in iBUG order; ``depth`` ``(68,)`` float32 pixels (larger =
            farther; 3D only, else None); ``score`` the mean heatmap peak of the 68 points, clipped to [0, 1].
        """
        if self._fa is None:
            raise RuntimeError("FanBackend.detect called after close()")
        image_bgr = np.asarray(image_bgr)
        if image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.dtype != np.uint8:
            raise ValueError(f"image_bgr must be (H, W, 3) uint8, got {image_bgr.shape} {image_bgr.dtype}")
        rgb = np.ascontiguousarray(image_bgr[..., ::-1])
        box = self._detector(rgb)
        if box is None:
            return None
        box = _scale_box(box, self.cfg.box_scale)
        landmarks, scores, _ = self._fa.get_landmarks_from_image(rgb, detected_faces=[box], return_landmark_score=True)
        if not landmarks:
            return None
        pts = np.asarray(landmarks[0], dtype=np.float32)
        depth = None
        if pts.shape[1] == 3:
            depth = pts[:, 2].copy()
            if depth[_NOSE_TIP] > depth[list(_JAW_TOPS)].mean():
                depth = -depth
        score = float(np.clip(np.mean(np.asarray(scores[0], dtype=np.float64)), 0.0, 1.0))
        return LandmarkResult(points=np.ascontiguousarray(pts[:, :2]), depth=depth, score=score)

    def reset(self) -> None:
        """Nothing to forget: every frame is detected and aligned anew (no tracking between frames)."""

    def close(self) -> None:
        """Release the networks and the face detector. Idempotent."""
        self._fa = None
        detector, self._detector = self._detector, None
        close = getattr(detector, "close", None)
        if close is not None:
            close()


def _scale_box(box: np.ndarray, factor: float) -> np.ndarray:
    if factor == 1.0:
        return box
    centre = (box[:2] + box[2:4]) / 2.0
    half = (box[2:4] - box[:2]) / 2.0 * factor
    return np.concatenate([centre - half, centre + half]).astype(np.float32)


class _HaarFaceDetector:
    """Largest frontal face from OpenCV's Haar cascade, as ``(4,)`` float32 ``x1, y1, x2, y2`` pixels."""

    def __init__(self, min_face_px: int) -> None:
        import cv2

        path = os.path.join(cv2.data.haarcascades, _HAAR_CASCADE)
        self._cv2 = cv2
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise MissingModelFile(f"OpenCV's {_HAAR_CASCADE} not found in {cv2.data.haarcascades}")
        self._min = (min_face_px, min_face_px)

    def __call__(self, rgb: np.ndarray) -> np.ndarray | None:
        gray = self._cv2.cvtColor(rgb, self._cv2.COLOR_RGB2GRAY)
        faces = self._cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=self._min)
        if len(faces) == 0:
            return None
        x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
        return np.array([x, y, x + w, y + h], dtype=np.float32)


class _MediaPipeFaceDetector:
    """Largest face from MediaPipe's full-range face detector, as ``(4,)`` float32 ``x1, y1, x2, y2`` pixels."""

    def __init__(self, min_detection_confidence: float) -> None:
        try:
            mp = import_mediapipe()
        except ImportError as err:
            raise MissingDependency(
                "the 'fan' backend's mediapipe face detector needs mediapipe (see the project set-up), "
                "or use FanConfig(face_detector='haar')"
            ) from err
        self._det = QuietStartGraph(
            lambda: mp.solutions.face_detection.FaceDetection(
                model_selection=_MEDIAPIPE_FULL_RANGE_MODEL, min_detection_confidence=min_detection_confidence
            )
        )

    def __call__(self, rgb: np.ndarray) -> np.ndarray | None:
        result = self._det.process(rgb)
        if not result.detections:
            return None
        h, w = rgb.shape[:2]
        boxes = [d.location_data.relative_bounding_box for d in result.detections]
        b = max(boxes, key=lambda b: b.width * b.height)
        x1, y1 = max(b.xmin, 0.0) * w, max(b.ymin, 0.0) * h
        x2, y2 = min(b.xmin + b.width, 1.0) * w, min(b.ymin + b.height, 1.0) * h
        return np.array([x1, y1, x2, y2], dtype=np.float32)

    def close(self) -> None:
        self._det.close()


def _make_face_detector(cfg: FanConfig) -> Any:
    if cfg.face_detector == "haar":
        return _HaarFaceDetector(cfg.min_face_px)
    return _MediaPipeFaceDetector(cfg.min_detection_confidence)
