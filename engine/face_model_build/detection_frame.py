"""A detection of a render brought into the model frame, aligned onto the render's true points as the fitter aligns.

The build's measurements of the landmark detector (:mod:`.yaw_drift`, :mod:`.detector_response`) compare where the
detector puts each point with where it truly is; both bring the detection into the model frame the same way.
"""

from __future__ import annotations

import numpy as np

from ..contract.frames import image_to_view_points
from ..fitting.head_pose import HeadPose

__all__ = ["detection_in_model_frame"]


def detection_in_model_frame(
    found: np.ndarray, truth: np.ndarray, pose_weights: np.ndarray
) -> tuple[np.ndarray, HeadPose]:
    """A detection aligned onto the true points.

    Args:
        found: ``(P, 3)`` the detector's points: pixels x, y and relative depth (larger = farther).
        truth: ``(P, 3)`` the same points on the rendered head, model frame, cm.
        pose_weights: ``(P,)`` the fitter's head-pose weight per point (:func:`engine.fitting.frame_fit.pose_weights`).

    Returns:
        ``(points, pose)``: ``(P, 3)`` the detection in the model frame (cm) and the one-frame pose that took it there.
    """
    view = image_to_view_points(found[:, :2], found[:, 2])[None]
    pose = HeadPose.align(truth, view, pose_weights)
    return pose.view_to_model(view)[0], pose
