"""The eyeballs of the scan-based head: centre, forward axis, and gaze as a rotation about the centre.

ICT's eyeLook* shapes move only the lids (they follow the gaze); the eyeballs themselves never move in its
expression shapes, so gaze is a rotation of each eyeball (sclera and iris meshes) about its centre, made here.
The centre is a sphere fitted to the sclera away from the corneal bulge; the forward axis points from the centre
to the bulge (the cornea).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .ict_facekit import IctFaceKit

__all__ = ["EyeballRig", "gaze_rotation"]

SIDES = ("left", "right")
CORNEA_EXCESS_CM = 0.04  # sclera vertices this far outside the fitted sphere belong to the corneal bulge


def gaze_rotation(yaw: float, pitch: float) -> np.ndarray:
    """``(3, 3)`` eyeball rotation in the model frame: yaw > 0 toward the subject's left (+x), pitch > 0 up.

    Example:
        >>> np.round(gaze_rotation(np.pi / 2, 0.0) @ [0.0, 0.0, 1.0], 6).tolist()
        [1.0, 0.0, 0.0]
        >>> np.round(gaze_rotation(0.0, np.pi / 2) @ [0.0, 0.0, 1.0], 6).tolist()
        [0.0, 1.0, 0.0]
    """
    cy, sy, cp, sp = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch)
    ry = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cp, sp], [0.0, -sp, cp]])  # Rx(-pitch): +z turns toward +y
    return ry @ rx


def _fit_sphere(points: np.ndarray) -> tuple[np.ndarray, float]:
    a = np.c_[2 * points, np.ones(len(points))]
    x = np.linalg.lstsq(a, (points**2).sum(axis=1), rcond=None)[0]
    return x[:3], float(np.sqrt(x[3] + x[:3] @ x[:3]))


@dataclasses.dataclass(frozen=True)
class EyeballRig:
    """Both eyeballs of one head.

    Attributes:
        centers: ``(2, 3)`` float64 [left, right] rotation centres, model frame, cm.
        axes: ``(2, 3)`` float64 unit forward axes.
        radius: ``(2,)`` float64 sclera radius, cm.
        vertex_ranges: ``((first, stop), (first, stop))`` the vertices each eyeball moves (sclera + iris).
        rest_angles: ``(V_eye,)`` per side: angle in degrees of each eyeball vertex from the forward axis.
    """

    centers: np.ndarray
    axes: np.ndarray
    radius: np.ndarray
    vertex_ranges: tuple[tuple[int, int], tuple[int, int]]
    rest_angles: tuple[np.ndarray, np.ndarray]

    @classmethod
    def fit(cls, ict: IctFaceKit, vertices: np.ndarray) -> EyeballRig:
        """Fit the rig to a head's vertices ``(V, 3)`` (an identity's rest shape; expressions do not move eyes)."""
        centers, axes, radius, ranges, angles = [], [], [], [], []
        for side in SIDES:
            sclera = vertices[ict.part(f"sclera_{side}")]
            center, r = _fit_sphere(sclera)
            for _ in range(3):  # refit without the corneal bulge
                dist = np.linalg.norm(sclera - center, axis=1)
                center, r = _fit_sphere(sclera[dist < r + CORNEA_EXCESS_CM])
            dist = np.linalg.norm(sclera - center, axis=1)
            bulge = sclera[dist > r + CORNEA_EXCESS_CM] - center
            axis = bulge.mean(axis=0)
            axis /= np.linalg.norm(axis)
            first, stop = ict.part(f"sclera_{side}").start, ict.part(f"iris_{side}").stop
            d = vertices[first:stop] - center
            angle = np.degrees(np.arccos(np.clip(d @ axis / np.linalg.norm(d, axis=1), -1.0, 1.0)))
            centers.append(center), axes.append(axis), radius.append(r), ranges.append((first, stop))
            angles.append(angle)
        return cls(np.array(centers), np.array(axes), np.array(radius), tuple(ranges), tuple(angles))

    def angle_from_axis(self, side: str, points: np.ndarray) -> np.ndarray:
        """``(N,)`` degrees between ``(N, 3)`` points (about the centre) and the eye's rest forward axis."""
        i = SIDES.index(side)
        d = np.asarray(points, np.float64) - self.centers[i]
        return np.degrees(np.arccos(np.clip(d @ self.axes[i] / np.linalg.norm(d, axis=-1), -1.0, 1.0)))

    def apply_gaze(self, vertices: np.ndarray, gaze: np.ndarray) -> np.ndarray:
        """Rotate each eyeball by its gaze.

        Args:
            vertices: ``(V, 3)`` head vertices (not modified).
            gaze: ``(2, 2)`` [left, right] x [yaw, pitch] radians.

        Returns:
            ``(V, 3)`` float64 copy with the eyeballs turned.
        """
        out = np.array(vertices, np.float64, copy=True)
        for i, (first, stop) in enumerate(self.vertex_ranges):
            rot = gaze_rotation(*gaze[i])
            out[first:stop] = (out[first:stop] - self.centers[i]) @ rot.T + self.centers[i]
        return out
