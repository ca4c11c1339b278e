"""The default landmark backend: MediaPipe Face Mesh (legacy solutions API), 478 points with eyelids and iris.

Tracking mode for video (``static_image_mode=False``: the mesh model follows the face from frame to frame, the
detector runs only when tracking is lost). Small faces, which the mesh's own short-range detector misses, go
through a second path: the full-range face detector (or the previous frame's landmarks) gives a box, the frame is
cropped around it and upscaled, and a second Face Mesh tracks inside the crop.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..contract.take import MEDIAPIPE_MESH_POINT_COUNT, MEDIAPIPE_POINT_COUNT
from ..errors import MissingDependency
from ..eyes.eye_topology import eye_topology
from .base import LandmarkResult
from .mediapipe_import import import_mediapipe
from .native_log import QuietStartGraph

__all__ = ["MediaPipeConfig", "MediaPipeFaceMesh", "landmark_list_to_array"]


@dataclasses.dataclass(frozen=True)
class MediaPipeConfig:
    """Settings of the MediaPipe backend.

    Attributes:
        static_image_mode: True for unrelated stills (detect every image), False for video (track).
        min_detection_confidence: the detector's threshold (MediaPipe's default 0.5).
        min_tracking_confidence: below this the mesh re-detects (MediaPipe's default 0.5).
        small_face_px: faces narrower than this (eye-corner to eye-corner x 3, ~face width) use the crop path.
        crop_size_px: the crop path's upscaled crop size.
        crop_margin: crop side = margin x face width.
    """

    static_image_mode: bool = False
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    small_face_px: float = 160.0
    crop_size_px: int = 384
    crop_margin: float = 2.2


class MediaPipeFaceMesh:
    """MediaPipe Face Mesh as a :class:`~engine.landmarks.base.LandmarkBackend` (478 points + depth)."""

    name = "mediapipe"
    num_points = MEDIAPIPE_POINT_COUNT

    def __init__(self, cfg: MediaPipeConfig = MediaPipeConfig()):
        try:  # optional heavy dependency, loaded on use, without the modules the engine never calls
            mp = import_mediapipe()
        except ImportError as err:
            raise MissingDependency(
                "the 'mediapipe' backend needs mediapipe==0.10.21: run the README's set-up (bash .ci/setup)"
            ) from err
        self.cfg = cfg
        self.model_vertices = np.arange(MEDIAPIPE_POINT_COUNT)  # the model's points are MediaPipe's 468 + 10 iris
        kwargs = dict(
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=cfg.min_detection_confidence,
            min_tracking_confidence=cfg.min_tracking_confidence,
        )
        self._mp = mp
        self._mesh = QuietStartGraph(
            lambda: mp.solutions.face_mesh.FaceMesh(static_image_mode=cfg.static_image_mode, **kwargs)
        )
        self._crop_kwargs = kwargs
        self._crop_mesh = None  # made on first need
        self._detector = None
        self._crop_center: np.ndarray | None = None  # (2,) px, the previous small face's centre
        self._crop_side = 0.0

    def detect(self, image_bgr: np.ndarray) -> LandmarkResult | None:
        """Landmarks of the face in a ``(H, W, 3)`` uint8 BGR frame, or None."""
        import cv2

        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)  # ~10x faster than a reversed-channel copy
        h, w = rgb.shape[:2]
        if self._crop_center is None:
            result = self._mesh_points(self._mesh, rgb, w, h)
            if result is not None and _face_width(result.points) >= self.cfg.small_face_px:
                return result
            if result is not None:  # small but found: track it in a crop from now on
                self._set_crop(result.points)
        return self._detect_small(rgb, w, h)

    def _detect_small(self, rgb: np.ndarray, w: int, h: int) -> LandmarkResult | None:
        """The crop path: around the previous small face, or else around each detector box, best score first."""
        if self._crop_center is not None:
            result = self._mesh_in_crop(rgb)
            if result is not None:
                return result
        for tiles in (False, True):  # the whole frame first; tiles only when that finds no face
            for center, side in self._detector_boxes(rgb, w, h, tiles=tiles):
                self._crop_center, self._crop_side = center, side
                result = self._mesh_in_crop(rgb)
                if result is not None:
                    return result
        self._crop_center = None
        return None

    def _mesh_in_crop(self, rgb: np.ndarray) -> LandmarkResult | None:
        import cv2

        side = self._crop_side
        x0, y0 = self._crop_center - side / 2
        scale = self.cfg.crop_size_px / side
        affine = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale]], dtype=np.float64)
        crop = cv2.warpAffine(rgb, affine, (self.cfg.crop_size_px,) * 2, flags=cv2.INTER_LINEAR)
        if self._crop_mesh is None:
            # Static mode: the crop moves and rescales with the face every frame, which the mesh's own tracking
            # (it reuses the previous frame's landmarks in crop coordinates as its region) does not expect.
            self._crop_mesh = QuietStartGraph(
                lambda: self._mp.solutions.face_mesh.FaceMesh(static_image_mode=True, **self._crop_kwargs)
            )
        result = self._mesh_points(self._crop_mesh, crop, self.cfg.crop_size_px, self.cfg.crop_size_px)
        if result is None:
            return None
        points = result.points / scale + np.array([x0, y0], dtype=np.float32)
        depth = result.depth / scale
        if _face_width(points) >= 1.3 * self.cfg.small_face_px:  # grew large: back to the full-frame path
            self._crop_center = None
        else:
            self._set_crop(points)
        return LandmarkResult(points.astype(np.float32), depth.astype(np.float32), result.score)

    def _set_crop(self, points: np.ndarray) -> None:
        self._crop_center = points[:MEDIAPIPE_MESH_POINT_COUNT].mean(axis=0).astype(np.float64)
        self._crop_side = max(self.cfg.crop_margin * _face_width(points), 32.0)

    def _detector_boxes(self, rgb: np.ndarray, w: int, h: int, *, tiles: bool) -> list[tuple[np.ndarray, float]]:
        """(centre px, crop side px) around each full-range detection, best score first.

        With ``tiles``, the detector runs on overlapping square tiles of half the frame's short side, so a face
        that is only a few pixels at the detector's 192 px input size is seen at twice or more the scale.
        """
        if self._detector is None:
            self._detector = QuietStartGraph(
                lambda: self._mp.solutions.face_detection.FaceDetection(
                    model_selection=1, min_detection_confidence=self.cfg.min_detection_confidence
                )
            )
        regions = [(0, 0, w, h)]
        if tiles:
            side = max(min(w, h) // 2, 64)
            step = side // 2
            xs = sorted({*range(0, max(w - side, 0) + 1, step), max(w - side, 0)})
            ys = sorted({*range(0, max(h - side, 0) + 1, step), max(h - side, 0)})
            regions = [(x, y, side, side) for y in ys for x in xs]
        found = []
        for x, y, rw, rh in regions:
            out = self._detector.process(np.ascontiguousarray(rgb[y : y + rh, x : x + rw]))
            for det in out.detections or []:
                box = det.location_data.relative_bounding_box
                center = np.array([x + (box.xmin + box.width / 2) * rw, y + (box.ymin + box.height / 2) * rh])
                found.append((det.score[0], center, max(self.cfg.crop_margin * box.width * rw, 32.0)))
        return [(center, side) for _, center, side in sorted(found, key=lambda f: -f[0])]

    @staticmethod
    def _mesh_points(mesh, rgb: np.ndarray, w: int, h: int) -> LandmarkResult | None:
        out = mesh.process(rgb)
        if not out.multi_face_landmarks:
            return None
        arr = landmark_list_to_array(out.multi_face_landmarks[0]) * np.array([w, h, w], np.float32)
        return LandmarkResult(arr[:, :2].copy(), arr[:, 2].copy(), 1.0)

    def reset(self) -> None:
        """Forget the previous clip: every graph restarted (MediaPipe's ``reset``), the small-face crop dropped.

        Then a blank frame goes through the main graph, so its model is loaded now rather than on the next clip's
        first frame; a blank frame holds no face, so the graph keeps no landmarks to track from (the next frame is
        detected as on a new graph).
        """
        for m in (self._mesh, self._crop_mesh, self._detector):
            if m is not None:
                m.reset()
        self._crop_center, self._crop_side = None, 0.0
        self._mesh.process(np.zeros((_PRIMING_FRAME_PX, _PRIMING_FRAME_PX, 3), np.uint8))

    def close(self) -> None:
        for m in (self._mesh, self._crop_mesh, self._detector):
            if m is not None:
                m.close()

    def __enter__(self) -> MediaPipeFaceMesh:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# A NormalizedLandmark with only x, y, z set, serialised: field tag and length, then three tagged little-endian
# float32s (protobuf wire format: tag = field number << 3 | wire type; 5 = 32-bit). MediaPipe Face Mesh sets no
# visibility or presence, so every landmark of its list is these 17 bytes.
_XYZ_LANDMARK = np.dtype(
    [("tag", "u1"), ("size", "u1"), ("x_tag", "u1"), ("x", "<f4"), ("y_tag", "u1"), ("y", "<f4"), ("z_tag", "u1"),
     ("z", "<f4")]
)  # fmt: skip
_XYZ_LANDMARK_TAGS = {"tag": 1 << 3 | 2, "size": 15, "x_tag": 1 << 3 | 5, "y_tag": 2 << 3 | 5, "z_tag": 3 << 3 | 5}


def landmark_list_to_array(landmark_list) -> np.ndarray:
    """``(N, 3)`` float32 normalised x, y, z of a MediaPipe ``NormalizedLandmarkList``.

    Reads the list's serialised bytes as a numpy record array (about 8x faster than reading 1434 floats through
    the protobuf objects, ~0.3 ms a frame); any other layout (a landmark with visibility or presence set) is read
    field by field.
    """
    data = landmark_list.SerializeToString()
    if len(data) % _XYZ_LANDMARK.itemsize == 0:
        records = np.frombuffer(data, dtype=_XYZ_LANDMARK)
        if len(records) == len(landmark_list.landmark) and all(
            (records[name] == value).all() for name, value in _XYZ_LANDMARK_TAGS.items()
        ):
            return np.stack([records["x"], records["y"], records["z"]], axis=1)
    lm = landmark_list.landmark
    return np.fromiter((v for p in lm for v in (p.x, p.y, p.z)), dtype=np.float32, count=3 * len(lm)).reshape(-1, 3)


_PRIMING_FRAME_PX = 64  # the blank frame :meth:`MediaPipeFaceMesh.reset` loads the graph's model with

# Eye outer corners (subject's right 33, left 263): the face is ~2.3x as wide as their distance.
_FACE_WIDTH_PER_EYE_SPAN = 2.3


def _face_width(points: np.ndarray) -> float:
    a, b = points[eye_topology("right").outer_corner], points[eye_topology("left").outer_corner]
    return float(np.linalg.norm(a - b) * _FACE_WIDTH_PER_EYE_SPAN)
