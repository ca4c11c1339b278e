"""Frame conventions, written once. Every conversion between frames is a function here, named source_to_target.

MODEL frame (the face model, identity and expression live here): right-handed, centimetres,
    +x = the subject's LEFT, +y = up, +z = out of the face (the direction the face looks);
    origin midway between the two eyeball centres.
IMAGE: pixels, +x right, +y down, origin at the top-left corner of the top-left pixel.
VIEW frame (the fitter's working frame): image pixels made right-handed:
    +x = image right, +y = image up, +z = toward the viewer; a face looking into the camera has rotation identity.
    ``view = scale * R @ model + t`` (scaled orthographic, i.e. weak perspective).
CAMERA frame (OpenCV, used in the take): +x right, +y down, +z forward (away from the camera), centimetres.
    camera = diag(1, -1, -1) @ view (a rotation by 180 deg about x), so a frontal face's head_rotation is
    the quaternion (w, x, y, z) = (0, 1, 0, 0).
Quaternions are scalar-first (w, x, y, z), as Blender's mathutils.Quaternion.
Gaze: yaw > 0 looks toward the subject's left (+x), pitch > 0 looks up (+y), radians, relative to the head.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "CONVENTIONS",
    "VIEW_TO_CAMERA",
    "image_to_view_points",
    "matrix_to_quaternion_wxyz",
    "quaternion_wxyz_to_matrix",
    "view_pose_to_camera_pose",
    "view_to_image_points",
]

VIEW_TO_CAMERA = np.diag([1.0, -1.0, -1.0])  # (3, 3): camera = VIEW_TO_CAMERA @ view

CONVENTIONS = {
    "model_frame": "right-handed, centimetres; +x = subject's left, +y = up, +z = out of the face; "
    "origin midway between the eyeball centres",
    "camera_frame": "OpenCV: +x = image right, +y = image down, +z = forward",
    "head_rotation": "unit quaternion, model frame -> camera frame; frontal face = (0, 1, 0, 0)",
    "head_translation": "model origin in the camera frame, centimetres (weak perspective, focal length meta.focal_px)",
    "quaternion_order": "w, x, y, z (scalar first)",
    "head_ypr": "radians relative to frontal, R = R_frontal Ry(yaw) Rx(-pitch) Rz(-roll) about model axes: "
    "yaw>0 nose to subject's left, pitch>0 nose up, roll>0 top of head to subject's left",
    "eye_gaze": "[left, right] x [yaw, pitch] radians relative to the head; yaw>0 toward subject's left, pitch>0 up",
    "eye_blink": "[left, right] lid closure, 0 = open, 1 = closed",
    "sides": "left / right are the subject's left / right",
    "pixels": "origin at the top-left corner of the top-left pixel, x right, y down",
    "time": "seconds from the first frame",
}


def image_to_view_points(points_px: np.ndarray, depth_px: np.ndarray | None) -> np.ndarray:
    """Image landmarks (+ relative depth, larger = farther) to VIEW-frame points.

    Args:
        points_px: ``(..., N, 2)`` float image pixels.
        depth_px: ``(..., N)`` float relative depth in pixels (larger = farther), or None (z = 0).

    Returns:
        ``(..., N, 3)`` VIEW-frame points (x, -y, -depth), float32 for float32 input, else float64.

    Example:
        >>> image_to_view_points(np.array([[10.0, 20.0]]), np.array([5.0])).tolist()
        [[10.0, -20.0, -5.0]]
    """
    p = np.asarray(points_px)
    dtype = np.float32 if p.dtype == np.float32 else np.float64
    p = p.astype(dtype, copy=False)
    z = np.zeros(p.shape[:-1], dtype) if depth_px is None else -np.asarray(depth_px, dtype=dtype)
    return np.stack([p[..., 0], -p[..., 1], z], axis=-1)


def view_to_image_points(view: np.ndarray) -> np.ndarray:
    """``(..., N, 3)`` VIEW-frame points to ``(..., N, 2)`` float32 image pixels (orthographic: drop z)."""
    v = np.asarray(view)
    return np.stack([v[..., 0], -v[..., 1]], axis=-1).astype(np.float32)


def view_pose_to_camera_pose(
    scale: np.ndarray,
    rotation: np.ndarray,
    translation: np.ndarray,
    *,
    focal_px: float,
    principal_point: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Weak-perspective VIEW pose to a metric CAMERA-frame pose.

    The model origin projects to image point (t_x, -t_y); at depth Z = focal / scale a pinhole camera sees the
    model at the fitted pixel scale, so the origin sits at ((u - cx) / scale, (v - cy) / scale, focal / scale) cm.

    Args:
        scale: ``(T,)`` pixels per cm. rotation: ``(T, 3, 3)`` model to VIEW. translation: ``(T, 3)`` VIEW px.
        focal_px: the assumed focal length in pixels. principal_point: (cx, cy) pixels.

    Returns:
        ``(R_camera (T, 3, 3), t_camera (T, 3) cm)``: camera = R_camera @ model + t_camera.
    """
    cx, cy = principal_point
    u, v = translation[:, 0], -translation[:, 1]
    t_cam = np.stack([(u - cx) / scale, (v - cy) / scale, focal_px / scale], axis=-1)
    return VIEW_TO_CAMERA @ rotation, t_cam


def matrix_to_quaternion_wxyz(rotation: np.ndarray) -> np.ndarray:
    """``(..., 3, 3)`` rotation matrices to ``(..., 4)`` unit quaternions (w, x, y, z) with w >= 0.

    Example:
        >>> matrix_to_quaternion_wxyz(np.diag([1.0, -1.0, -1.0])).round(6).tolist()
        [0.0, 1.0, 0.0, 0.0]
    """
    m = np.asarray(rotation, dtype=np.float64)
    # Shepperd's method: pick the largest of 4 candidate denominators for stability.
    tr = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    cands = np.stack([tr, m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]], axis=-1)
    k = np.argmax(cands, axis=-1)
    q = np.empty(m.shape[:-2] + (4,))
    r = np.sqrt(np.maximum(1.0 + 2.0 * np.take_along_axis(cands, k[..., None], -1)[..., 0] - tr, 1e-12))
    s = 0.5 / r
    # Each case's formulas (the chosen component from r, the others from the off-diagonal sums/differences).
    m21_12, m02_20, m10_01 = m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]
    m01p10, m02p20, m12p21 = m[..., 0, 1] + m[..., 1, 0], m[..., 0, 2] + m[..., 2, 0], m[..., 1, 2] + m[..., 2, 1]
    q[..., 0] = np.select([k == 0, k == 1, k == 2, k == 3], [0.5 * r, m21_12 * s, m02_20 * s, m10_01 * s])
    q[..., 1] = np.select([k == 0, k == 1, k == 2, k == 3], [m21_12 * s, 0.5 * r, m01p10 * s, m02p20 * s])
    q[..., 2] = np.select([k == 0, k == 1, k == 2, k == 3], [m02_20 * s, m01p10 * s, 0.5 * r, m12p21 * s])
    q[..., 3] = np.select([k == 0, k == 1, k == 2, k == 3], [m10_01 * s, m02p20 * s, m12p21 * s, 0.5 * r])
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    return np.where(q[..., :1] < 0, -q, q)


def quaternion_wxyz_to_matrix(quat: np.ndarray) -> np.ndarray:
    """``(..., 4)`` quaternions (w, x, y, z) to ``(..., 3, 3)`` rotation matrices (normalised first)."""
    q = np.asarray(quat, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        -2,
    )
