"""The head pose the fitter works with: per-frame weak perspective, model frame -> VIEW frame.

``view = scale * rotation @ model + translation`` (:mod:`engine.contract.frames`): ``scale`` pixels per centimetre,
``rotation`` a proper rotation, ``translation`` in VIEW pixels. One object for T frames, so a pose never travels
as a loose tuple.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .similarity import align_similarity

__all__ = ["HeadPose"]


@dataclasses.dataclass(frozen=True)
class HeadPose:
    """T frames of head pose.

    Attributes:
        scale: ``(T,)`` float64 VIEW pixels per cm.
        rotation: ``(T, 3, 3)`` float64 model -> VIEW rotations.
        translation: ``(T, 3)`` float64 VIEW pixels.
    """

    scale: np.ndarray
    rotation: np.ndarray
    translation: np.ndarray

    @classmethod
    def frontal(cls, frames: int) -> HeadPose:
        """The placeholder pose of frames without a face: unit scale, no rotation, origin."""
        return cls(np.ones(frames), np.tile(np.eye(3), (frames, 1, 1)), np.zeros((frames, 3)))

    @classmethod
    def align(cls, model_points: np.ndarray, view_points: np.ndarray, weights: np.ndarray) -> HeadPose:
        """The weighted least-squares pose taking ``(T, N, 3)`` or ``(N, 3)`` model points onto ``(T, N, 3)``
        VIEW points (:func:`~.similarity.align_similarity`).
        """
        return cls(*align_similarity(model_points, view_points, weights))

    def __len__(self) -> int:
        return len(self.scale)

    def __getitem__(self, index) -> HeadPose:
        """The pose of a subset of frames (a slice, index array or mask)."""
        return HeadPose(self.scale[index], self.rotation[index], self.translation[index])

    @property
    def view_directions(self) -> np.ndarray:
        """``(T, 3)`` the camera's depth axis in the model frame, ``rotation' e_z``."""
        return self.rotation[:, 2, :]

    @property
    def yaw(self) -> np.ndarray:
        """``(T,)`` radians, the head's turn as the camera sees it: > 0 with the nose toward the subject's left
        (the ``head_ypr`` convention of :mod:`engine.contract.frames`), whatever the pitch and roll.

        Example:
            >>> turn = np.radians(20.0)
            >>> nose_left = np.array([[np.cos(turn), 0, np.sin(turn)], [0, 1, 0], [-np.sin(turn), 0, np.cos(turn)]])
            >>> round(float(np.degrees(HeadPose(np.ones(1), nose_left[None], np.zeros((1, 3))).yaw[0])), 6)
            20.0
        """
        camera = self.view_directions  # the camera's direction in the model frame: -x when the nose turns to +x
        return np.arctan2(-camera[:, 0], camera[:, 2])

    def view_to_model(self, view: np.ndarray) -> np.ndarray:
        """``(T, J, 3)`` VIEW points -> model frame, cm (the inverse similarity)."""
        return np.matmul(view - self.translation[:, None], self.rotation) / self.scale[:, None, None]

    def model_to_view(self, model: np.ndarray) -> np.ndarray:
        """``(T, P, 3)`` model points -> VIEW points.

        Example:
            >>> pose = HeadPose(np.array([2.0]), np.eye(3)[None], np.array([[1.0, 0.0, 0.0]]))
            >>> pose.model_to_view(np.ones((1, 1, 3))).tolist()
            [[[3.0, 2.0, 2.0]]]
        """
        rotated = np.matmul(model, self.rotation.transpose(0, 2, 1))  # (T, P, 3)
        return self.scale[:, None, None] * rotated + self.translation[:, None]

    def assign(self, index, other: HeadPose) -> None:
        """Write ``other``'s frames into this pose's arrays at ``index`` (in place)."""
        self.scale[index], self.rotation[index], self.translation[index] = (
            other.scale,
            other.rotation,
            other.translation,
        )
