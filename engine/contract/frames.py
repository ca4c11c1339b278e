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
    :data:`FRONTAL_ROTATION` = (w, x, y, z) = (0, 1, 0, 0): model up becomes image up, the nose points back at the
    lens, the subject's left appears on the image right.
Quaternions are scalar-first (w, x, y, z), as Blender's mathutils.Quaternion (:mod:`.quaternion`).
Head yaw / pitch / roll (the Live Link Face CSV columns) are relative to the frontal pose, applied in the order
    yaw, pitch, roll about the MODEL axes: ``R = R_frontal @ Ry(yaw) @ Rx(-pitch) @ Rz(-roll)`` (``Ra(angle)``
    right-handed about axis a): yaw > 0 turns the nose toward the subject's left, pitch > 0 tips the nose up,
    roll > 0 tilts the top of the head toward the subject's left.
Gaze: yaw > 0 looks toward the subject's left (+x), pitch > 0 looks up (+y), radians, relative to the head;
    (0, 0) looks along model +z.
Left / right always mean the SUBJECT's left / right.
Blender's frames are the add-on's business (``blender_addon/pure/coords.py``); this module never names them.
"""

from __future__ import annotations

import numpy as np

from .quaternion import matrix_to_quaternion_wxyz, quaternion_wxyz_to_matrix

__all__ = [
    "CONVENTIONS",
    "FRONTAL_ROTATION",
    "VIEW_TO_CAMERA",
    "head_rotation_to_ypr",
    "image_to_view_points",
    "view_pose_to_camera_pose",
    "view_to_image_points",
    "ypr_to_head_rotation",
    "ypr_to_model_rotation",
]

FRONTAL_ROTATION = (0.0, 1.0, 0.0, 0.0)
"""(w, x, y, z) model -> camera rotation of a face looking straight into the camera: 180 degrees about x."""

VIEW_TO_CAMERA = np.diag([1.0, -1.0, -1.0])
"""``(3, 3)``: camera = VIEW_TO_CAMERA @ view."""

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
"""The conventions as short strings, written into every take as ``meta["conventions"]``."""

_YPR_SIGNS = np.array([1.0, -1.0, -1.0])  # (yaw, pitch, roll) -> right-handed angles about model (+y, +x, +z)


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
    """``(..., N, 3)`` VIEW-frame points to ``(..., N, 2)`` float32 image pixels (orthographic: drop z).

    Example:
        >>> view_to_image_points(np.array([[10.0, -20.0, -5.0]])).tolist()
        [[10.0, 20.0]]
    """
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


def head_rotation_to_ypr(head_rotation: np.ndarray) -> np.ndarray:
    """Head yaw, pitch, roll relative to the frontal pose (conventions: module docstring).

    Args:
        head_rotation: ``(T, 4)`` float unit quaternions (w, x, y, z), model -> camera.

    Returns:
        ``(T, 3)`` float64 [yaw, pitch, roll] in radians; yaw and roll in [-pi, pi], pitch in [-pi/2, pi/2].

    Example:
        >>> head_rotation_to_ypr(np.array([[0.0, 1.0, 0.0, 0.0]])).round(6) + 0.0
        array([[0., 0., 0.]])
    """
    q = np.asarray(head_rotation, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] != 4:
        raise ValueError(f"head_rotation must be (T, 4) quaternions (w, x, y, z); got {q.shape}")
    if len(q) == 0:
        return np.zeros((0, 3))
    # relative = R_frontal^T R = Ry(a) Rx(b) Rz(c):
    # m[1, 2] = -sin b, m[1, 0] / m[1, 1] = tan c, m[0, 2] / m[2, 2] = tan a
    m = quaternion_wxyz_to_matrix(np.asarray(FRONTAL_ROTATION)).T @ quaternion_wxyz_to_matrix(q)
    b = np.arcsin(np.clip(-m[:, 1, 2], -1.0, 1.0))
    a = np.arctan2(m[:, 0, 2], m[:, 2, 2])
    c = np.arctan2(m[:, 1, 0], m[:, 1, 1])
    return np.stack([a, b, c], axis=1) * _YPR_SIGNS


def ypr_to_head_rotation(ypr: np.ndarray) -> np.ndarray:
    """Inverse of :func:`head_rotation_to_ypr`.

    Args:
        ypr: ``(T, 3)`` float [yaw, pitch, roll] radians relative to frontal.

    Returns:
        ``(T, 4)`` float32 unit quaternions (w, x, y, z), model -> camera, with w >= 0.

    Example:
        >>> ypr_to_head_rotation(np.zeros((1, 3))).round(6) + 0.0
        array([[0., 1., 0., 0.]], dtype=float32)
    """
    r = quaternion_wxyz_to_matrix(np.asarray(FRONTAL_ROTATION)) @ ypr_to_model_rotation(ypr)
    return matrix_to_quaternion_wxyz(r).astype(np.float32)


def ypr_to_model_rotation(ypr: np.ndarray) -> np.ndarray:
    """The head's turn away from frontal as a rotation in the model frame (what a renderer of the model applies).

    Args:
        ypr: ``(T, 3)`` float [yaw, pitch, roll] radians relative to frontal.

    Returns:
        ``(T, 3, 3)`` float64 ``Ry(yaw) Rx(-pitch) Rz(-roll)`` (model axes, right-handed).

    Example:
        >>> r = ypr_to_model_rotation(np.array([[np.pi / 2, 0.0, 0.0]]))[0]
        >>> np.round(r @ [0.0, 0.0, 1.0], 6).tolist()  # the nose turns to the subject's left (+x)
        [1.0, 0.0, 0.0]
    """
    ypr = np.asarray(ypr, dtype=np.float64)
    if ypr.ndim != 2 or ypr.shape[1] != 3:
        raise ValueError(f"ypr must be (T, 3) [yaw, pitch, roll] radians; got {ypr.shape}")
    a, b, c = np.moveaxis(ypr * _YPR_SIGNS, -1, 0)
    ry = _rotation_matrices(a, 2, 0)  # about +y: z toward x
    rx = _rotation_matrices(b, 1, 2)  # about +x: y toward z
    rz = _rotation_matrices(c, 0, 1)  # about +z: x toward y
    return ry @ rx @ rz


def _rotation_matrices(angle: np.ndarray, i: int, j: int) -> np.ndarray:
    """``(T, 3, 3)`` right-handed rotations by ``angle`` in the plane that turns axis i toward axis j."""
    m = np.zeros(angle.shape + (3, 3))
    k = 3 - i - j
    cos, sin = np.cos(angle), np.sin(angle)
    m[:, i, i] = m[:, j, j] = cos
    m[:, j, i] = sin
    m[:, i, j] = -sin
    m[:, k, k] = 1.0
    return m
