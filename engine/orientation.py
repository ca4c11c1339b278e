"""Image orientation: quarter turns of frames and of points, and a landmark backend that keeps faces upright.

Convention, written once: ``turns`` is the number of quarter turns **clockwise** (0..3) applied to an image, as
``cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)`` does once. Points are pixels (x right, y down, origin at the top-left
pixel's corner), so one clockwise turn of a ``W x H`` image maps ``(x, y)`` to ``(H - y, x)``.

Where orientation comes from:

- **Container metadata** (a phone's ``rotate=90``, its display matrix) and **EXIF** (JPEG ``Orientation``): the
  decoder gives the stored pixels; :mod:`engine.video_source` turns them upright as displayed
  (``CAP_PROP_ORIENTATION_META`` for video; ``cv2.imread`` applies EXIF itself).
- **The face itself**: a face may be rolled in the frame by any angle, upside down included (a phone held the
  other way round, an actor lying down). Face Mesh follows rolls up to about +-90 degrees but places an upright
  mesh on an upside-down face, at full confidence. :class:`UprightFaceBackend` looks for the face in the four
  quarter turns of the frame (MediaPipe's face detector, which scores an upright face clearly higher) on the
  first frame, whenever the face is lost, and every :attr:`OrientationConfig.recheck_frames` frames, and tracks
  in the quarter turn where the face is most upright; points are mapped back to the frame. A face found in no
  quarter turn is lost (confidence 0), never tracked upside down.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from .landmarks.base import LandmarkBackend, LandmarkResult

__all__ = [
    "OrientationConfig",
    "UprightFaceBackend",
    "display_turns_from_degrees",
    "orientation_detector",
    "points_from_turned",
    "points_to_turned",
    "turn_image",
]


def display_turns_from_degrees(degrees: float) -> int:
    """Clockwise quarter turns that show a video as displayed, from its rotation metadata in degrees.

    ``degrees`` is the container's display rotation as FFmpeg reports it (``rotate`` tag, OpenCV's
    ``CAP_PROP_ORIENTATION_META``): the clockwise rotation to apply to the stored frames.

    Example:
        >>> display_turns_from_degrees(90), display_turns_from_degrees(-90), display_turns_from_degrees(0)
        (1, 3, 0)
    """
    if not np.isfinite(degrees):
        return 0
    return int(round(degrees / 90.0)) % 4


def turn_image(image: np.ndarray, turns: int) -> np.ndarray:
    """``image`` turned ``turns`` quarter turns clockwise (a new ``(H, W, ...)`` or ``(W, H, ...)`` array)."""
    import cv2

    turns %= 4
    if turns == 0:
        return image
    code = (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE)[turns - 1]
    return cv2.rotate(image, code)


def points_to_turned(points: np.ndarray, turns: int, size: tuple[int, int]) -> np.ndarray:
    """Pixel points of a ``size = (W, H)`` image -> the same points in the image turned ``turns`` clockwise.

    Args:
        points: ``(..., 2)`` float pixels in the unturned image.
        turns: clockwise quarter turns. size: ``(width, height)`` of the unturned image.

    Returns:
        ``(..., 2)`` float32 pixels in the turned image.

    Example:
        >>> points_to_turned(np.array([[0.0, 0.0], [10.0, 5.0]]), 1, (10, 5)).tolist()
        [[5.0, 0.0], [0.0, 10.0]]
    """
    p = np.asarray(points, dtype=np.float64)
    x, y = p[..., 0], p[..., 1]
    w, h = size
    turns %= 4
    if turns == 0:
        out = np.stack([x, y], axis=-1)
    elif turns == 1:
        out = np.stack([h - y, x], axis=-1)
    elif turns == 2:
        out = np.stack([w - x, h - y], axis=-1)
    else:
        out = np.stack([y, w - x], axis=-1)
    return out.astype(np.float32)


def points_from_turned(points: np.ndarray, turns: int, size: tuple[int, int]) -> np.ndarray:
    """Inverse of :func:`points_to_turned`: points of the turned image -> the unturned ``size = (W, H)`` image.

    Example:
        >>> p = np.array([[3.0, 1.0]])
        >>> points_from_turned(points_to_turned(p, 3, (10, 5)), 3, (10, 5)).tolist()
        [[3.0, 1.0]]
    """
    turns %= 4
    w, h = size
    turned_size = (h, w) if turns % 2 else (w, h)
    return points_to_turned(points, (4 - turns) % 4, turned_size)


@dataclasses.dataclass(frozen=True)
class OrientationConfig:
    """When and how :class:`UprightFaceBackend` looks for the face's orientation.

    Attributes:
        enabled: look at all (off: frames go to the detector as they are).
        recheck_frames: look again after this many frames with a face (30 = once a second at 30 fps).
        min_score_gain: switch to another quarter turn only when the detector scores the face higher there by
            this much (upright faces score ~0.9, quarter turns ~0.75-0.8, upside-down ~0.65 or nothing).
        probe_side_px: the frame's long side is scaled to this for the look (the detector sees 128 px anyway).
        lost_frames_before_sparing: once the face has been lost for this many frames in a row ...
        lost_retry_every: ... it is looked for on every this many frames only (the rest read as lost too): a
            frame without a face costs the whole search, every quarter turn and the detector's tiles (30x a tracked
            frame: an hour of head-cam footage with nobody in it took hours); a face coming back is found at most
            this many frames late, and those frames are bridged like any lost frame.
        min_detection_score: detections below this are ignored.
        min_turn_score: a quarter turn is taken only for a face scored this high there, as upright faces are (at
            least 0.82 on five frames of each of the 45 clips in ``../shared/data/clips``): an animated film's
            logo, turned, scored 0.54 to 0.65 and was tracked as a face.
    """

    enabled: bool = True
    lost_frames_before_sparing: int = 15
    lost_retry_every: int = 4
    recheck_frames: int = 30
    min_score_gain: float = 0.15
    probe_side_px: int = 256
    min_detection_score: float = 0.3
    min_turn_score: float = 0.75


def orientation_detector(cfg: OrientationConfig = OrientationConfig()):
    """MediaPipe's short-range face detector as the orientation check uses it (close it when done)."""
    from .landmarks.mediapipe_import import import_mediapipe  # without MediaPipe's drawing helpers (matplotlib)
    from .landmarks.native_log import QuietStartGraph

    mp = import_mediapipe()
    return QuietStartGraph(
        lambda: mp.solutions.face_detection.FaceDetection(
            model_selection=0, min_detection_confidence=cfg.min_detection_score
        )
    )


class UprightFaceBackend:
    """A landmark backend that turns each frame so the face is upright before detecting, and maps points back.

    Wraps any :class:`~engine.landmarks.base.LandmarkBackend` (built by ``make_inner``; rebuilt when the
    orientation changes, so a tracker never carries landmarks across a turn).
    """

    def __init__(
        self,
        make_inner: Callable[[], LandmarkBackend],
        cfg: OrientationConfig = OrientationConfig(),
        *,
        shared_detector: Callable[[], object] | None = None,
    ):
        """``shared_detector``: gives a face detector the caller keeps open (a warm engine's), asked for only when
        the orientation is checked; None: this backend makes its own on first use and closes it.
        """
        self.cfg = cfg
        self._shared_detector = shared_detector
        self._make_inner = make_inner
        self._inner = make_inner()
        self.name = self._inner.name
        self.num_points = self._inner.num_points
        self.model_vertices = self._inner.model_vertices
        self.turns = 0
        self._since_check: int | None = None  # frames since the last look; None: look at the next frame
        self._detector = None
        self._lost = 0  # frames in a row without a face

    def detect(self, image_bgr: np.ndarray) -> LandmarkResult | None:
        """Landmarks of the face in the frame's own pixel coordinates, or None (lost, in every quarter turn)."""
        self._lost += 1
        lost_long = self._lost > self.cfg.lost_frames_before_sparing
        if lost_long and (self._lost - self.cfg.lost_frames_before_sparing) % max(1, self.cfg.lost_retry_every):
            return None  # a long stretch without a face: looked for on every few frames only
        if self.cfg.enabled and (self._since_check is None or self._since_check >= self.cfg.recheck_frames):
            self._check_orientation(image_bgr)
        result = self._inner.detect(turn_image(image_bgr, self.turns))
        if result is None:
            self._since_check = None  # lost: look again at the next frame
            return None
        self._lost = 0
        if self._since_check is not None:
            self._since_check += 1
        if self.turns == 0:
            return result
        h, w = image_bgr.shape[:2]
        points = points_from_turned(result.points, self.turns, (w, h))
        return LandmarkResult(points, result.depth, result.score)

    def _check_orientation(self, image_bgr: np.ndarray) -> None:
        self._since_check = 0
        probe = self._probe_image(image_bgr)
        current = self._turn_score(probe, self.turns)
        if current >= 1.0 - self.cfg.min_score_gain:
            return  # scores are at most 1: no other quarter turn could beat this one by min_score_gain
        scores = np.array([current if turn == self.turns else self._turn_score(probe, turn) for turn in range(4)])
        best = int(np.argmax(scores))
        if (
            best != self.turns
            and scores[best] >= scores[self.turns] + self.cfg.min_score_gain
            and scores[best] >= self.cfg.min_turn_score
        ):
            self.turns = best
            self._inner.close()
            self._inner = self._make_inner()

    def _probe_image(self, image_bgr: np.ndarray) -> np.ndarray:
        """The frame as the detector is shown it: RGB, its long side scaled to ``cfg.probe_side_px`` at most."""
        import cv2

        h, w = image_bgr.shape[:2]
        scale = min(1.0, self.cfg.probe_side_px / max(h, w))
        small = cv2.resize(
            image_bgr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
        return cv2.cvtColor(small, cv2.COLOR_BGR2RGB)

    def _turn_score(self, probe_rgb: np.ndarray, turns: int) -> float:
        """The detector's best score for a face in ``probe_rgb`` turned ``turns`` quarter turns clockwise (0: none)."""
        out = self._face_detector().process(np.ascontiguousarray(turn_image(probe_rgb, turns)))
        found = [d.score[0] for d in out.detections or [] if d.score[0] >= self.cfg.min_detection_score]
        return float(max(found, default=0.0))

    def _face_detector(self):
        if self._detector is None:
            shared = self._shared_detector
            self._detector = orientation_detector(self.cfg) if shared is None else shared()
        return self._detector

    def close(self) -> None:
        """Release the wrapped backend, and the detector unless it is shared."""
        self._inner.close()
        if self._detector is not None and self._shared_detector is None:
            self._detector.close()
