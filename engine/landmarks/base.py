"""The landmark-backend interface: every detector turns a frame into 2D points (and optional depth).

A backend's points come with the face-model point each one corresponds to (``model_vertices``), so every
backend feeds the same fitter: the model's 478 points are MediaPipe's (468 mesh vertices, then 10 iris points), so
MediaPipe maps 1:1; iBUG-68 points map to mesh vertices through ``mediapipe_to_ibug68.toml``.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

import numpy as np

__all__ = ["LandmarkBackend", "LandmarkResult"]


@dataclasses.dataclass(frozen=True)
class LandmarkResult:
    """One face's landmarks in one frame.

    Attributes:
        points: ``(N, 2)`` float32 pixel coordinates (x right, y down, origin at the top-left pixel's corner).
        depth: ``(N,)`` float32 relative depth in pixels (larger = farther from the camera), or None if the
            backend gives none. Only differences between points are meaningful.
        score: detection confidence in [0, 1].
    """

    points: np.ndarray
    depth: np.ndarray | None
    score: float


class LandmarkBackend(Protocol):
    """A landmark detector. Construct, call :meth:`detect` per frame in time order (:meth:`reset` between clips),
    then :meth:`close`.
    """

    name: str
    """Short identifier stored in the take's metadata, e.g. ``"mediapipe"``."""
    num_points: int
    """N, the number of points :meth:`detect` returns."""
    model_vertices: np.ndarray
    """``(N,)`` int, the face-model point (0..477) each detected point corresponds to, or -1 for none."""

    def detect(self, image_bgr: np.ndarray) -> LandmarkResult | None:
        """Landmarks of the most prominent face in ``(H, W, 3)`` uint8 BGR ``image_bgr``, or None if no face."""
        ...

    def reset(self) -> None:
        """Forget the previous clip: the next :meth:`detect` gives what a new backend would (a warm engine reuses
        one backend for many takes, :class:`~engine.landmarks.backend_pool.LandmarkBackends`).
        """
        ...

    def close(self) -> None:
        """Release the detector."""
        ...
