"""Coordinate conventions and the ONE place where engine frames become Blender frames (no bpy, no mathutils).

Frames (all right-handed):

- Engine MODEL frame: centimetres, +x = the subject's left, +y = up, +z = out of the face (where the face looks).
- Engine CAMERA frame (OpenCV): +x right, +y down, +z forward from the camera into the scene.
  ``head_rotation`` maps model -> camera; a face looking straight into the camera is ``(w,x,y,z) = (0,1,0,0)``
  (180 degrees about x), called FRONTAL here.
- Blender world: +Z up, characters face -Y, metres. Model -> Blender object axes: ``(x, y, z) -> (x, -z, y)``.
- Quaternions are ``(w, x, y, z)`` everywhere (scalar first), as ``mathutils.Quaternion``.

The head rotation written to Blender is the rotation *relative to the frontal pose* (or to a calibrated neutral
pose), expressed in Blender world axes: a frontal face gives the identity. With the camera as the fixed world and
the frontal head as Blender's rest pose, a camera-frame vector ``c`` lies along ``CAMERA_TO_BLENDER @ c`` in
Blender, where ``CAMERA_TO_BLENDER = MODEL_TO_BLENDER @ FRONTAL^-1``: camera +x -> +X, camera +y (down) -> -Z,
camera +z (away from the camera, into the subject) -> +Y. The head's Blender rotation is then
``R_b = MODEL_TO_BLENDER @ R_ref^-1 @ R_mc @ MODEL_TO_BLENDER^-1``.

Angles: gaze yaw > 0 looks toward the subject's left (+X in Blender), pitch > 0 looks up (+Z). Head yaw / pitch /
roll (Live Link Face columns) use the same signs, roll > 0 tilting the top of the head toward the subject's left:
``R_b = Rz(yaw) @ Rx(-pitch) @ Ry(roll)``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "CAMERA_TO_BLENDER",
    "CM_TO_M",
    "FRONTAL_HEAD_ROTATION",
    "MODEL_TO_BLENDER",
    "blender_rotations_to_yaw_pitch_roll",
    "camera_to_blender_head_rotations",
    "camera_to_blender_head_translations",
    "gaze_to_blender_eye_rotations",
    "matrices_to_quats",
    "model_to_blender_points",
    "quat_conjugate",
    "quat_make_continuous",
    "quat_multiply",
    "quats_to_matrices",
    "rotations_to_bone_local",
    "yaw_pitch_roll_to_blender_rotations",
    "yaw_pitch_roll_to_camera_head_rotations",
]

CM_TO_M = 0.01  # engine lengths are centimetres, Blender scenes are metres

MODEL_TO_BLENDER = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], dtype=np.float64)
"""``(3, 3)``: model ``(x, y, z)`` -> Blender ``(x, -z, y)``."""

FRONTAL_HEAD_ROTATION = np.array([0.0, 1.0, 0.0, 0.0])
"""``(4,)`` (w,x,y,z): model -> camera rotation of a face looking straight into the camera (180 deg about x)."""


def quat_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product ``a * b`` of ``(..., 4)`` (w,x,y,z) quaternions (broadcasting).

    Example:
        >>> quat_multiply(np.array([0., 1, 0, 0]), np.array([0., 1, 0, 0])).tolist()
        [-1.0, 0.0, 0.0, 0.0]
    """
    aw, ax, ay, az = np.moveaxis(np.asarray(a, dtype=np.float64), -1, 0)
    bw, bx, by, bz = np.moveaxis(np.asarray(b, dtype=np.float64), -1, 0)
    return np.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        axis=-1,
    )


def quat_conjugate(q: np.ndarray) -> np.ndarray:
    """``(..., 4)`` conjugate (the inverse of a unit quaternion)."""
    q = np.asarray(q, dtype=np.float64)
    return q * np.array([1.0, -1.0, -1.0, -1.0])


def quats_to_matrices(q: np.ndarray) -> np.ndarray:
    """``(..., 4)`` (w,x,y,z) quaternions (normalised here) -> ``(..., 3, 3)`` rotation matrices."""
    q = np.asarray(q, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        axis=-2,
    )


def matrices_to_quats(m: np.ndarray) -> np.ndarray:
    """``(..., 3, 3)`` rotation matrices -> ``(..., 4)`` unit (w,x,y,z) quaternions with w >= 0.

    Example:
        >>> matrices_to_quats(np.eye(3)).tolist()
        [1.0, 0.0, 0.0, 0.0]
    """
    m = np.asarray(m, dtype=np.float64)
    shape = m.shape[:-2]
    m = m.reshape(-1, 3, 3)
    # Shepperd's method: pick the largest of (w, x, y, z) to divide by, branch-free over a batch.
    tr = np.trace(m, axis1=1, axis2=2)
    cand = np.stack([tr, m[:, 0, 0], m[:, 1, 1], m[:, 2, 2]], axis=1)
    best = np.argmax(cand, axis=1)
    q = np.empty((m.shape[0], 4))
    for k in range(4):
        sel = best == k
        if not np.any(sel):
            continue
        s = m[sel]
        if k == 0:
            r = np.sqrt(1.0 + tr[sel]) * 2
            q[sel] = np.stack(
                [0.25 * r, (s[:, 2, 1] - s[:, 1, 2]) / r, (s[:, 0, 2] - s[:, 2, 0]) / r, (s[:, 1, 0] - s[:, 0, 1]) / r],
                1,
            )
        elif k == 1:
            r = np.sqrt(1.0 + s[:, 0, 0] - s[:, 1, 1] - s[:, 2, 2]) * 2
            q[sel] = np.stack(
                [(s[:, 2, 1] - s[:, 1, 2]) / r, 0.25 * r, (s[:, 0, 1] + s[:, 1, 0]) / r, (s[:, 0, 2] + s[:, 2, 0]) / r],
                1,
            )
        elif k == 2:
            r = np.sqrt(1.0 + s[:, 1, 1] - s[:, 0, 0] - s[:, 2, 2]) * 2
            q[sel] = np.stack(
                [(s[:, 0, 2] - s[:, 2, 0]) / r, (s[:, 0, 1] + s[:, 1, 0]) / r, 0.25 * r, (s[:, 1, 2] + s[:, 2, 1]) / r],
                1,
            )
        else:
            r = np.sqrt(1.0 + s[:, 2, 2] - s[:, 0, 0] - s[:, 1, 1]) * 2
            q[sel] = np.stack(
                [(s[:, 1, 0] - s[:, 0, 1]) / r, (s[:, 0, 2] + s[:, 2, 0]) / r, (s[:, 1, 2] + s[:, 2, 1]) / r, 0.25 * r],
                1,
            )
    q *= np.where(q[:, :1] < 0, -1.0, 1.0)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return q.reshape(*shape, 4)


def quat_make_continuous(q: np.ndarray) -> np.ndarray:
    """Flip signs so consecutive ``(T, 4)`` quaternions lie in one hemisphere (no interpolation flips).

    q and -q are the same rotation; keyframe interpolation between q and -q goes the long way round.

    Example:
        >>> quat_make_continuous(np.array([[1., 0, 0, 0], [-1., 0, 0, 0]])).tolist()
        [[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]
    """
    q = np.array(q, dtype=np.float64, copy=True)
    if q.ndim != 2 or q.shape[1] != 4:
        raise ValueError(f"quaternions must be (T, 4), got {q.shape}")
    if len(q) < 2:
        return q
    dots = np.einsum("ij,ij->i", q[1:], q[:-1])
    flips = np.cumprod(np.where(dots < 0, -1.0, 1.0))
    q[1:] *= flips[:, None]
    return q


def model_to_blender_points(p_cm: np.ndarray, *, scale: float = CM_TO_M) -> np.ndarray:
    """``(..., 3)`` model-frame points in cm -> Blender object-space points (metres by default).

    Example:
        >>> model_to_blender_points(np.array([1., 2., 3.]), scale=1.0).tolist()
        [1.0, -3.0, 2.0]
    """
    return (np.asarray(p_cm, dtype=np.float64) @ MODEL_TO_BLENDER.T) * scale


CAMERA_TO_BLENDER = MODEL_TO_BLENDER @ quats_to_matrices(FRONTAL_HEAD_ROTATION).T
"""``(3, 3)``: camera-frame directions -> Blender world directions, with the frontal head as the rest pose."""


def camera_to_blender_head_rotations(
    q_model_to_camera: np.ndarray, *, reference: np.ndarray | None = None
) -> np.ndarray:
    """Engine head rotations -> Blender head rotations relative to a reference pose, continuous.

    Args:
        q_model_to_camera: ``(T, 4)`` (w,x,y,z) model -> camera rotations (``head_rotation`` of a take).
        reference: ``(4,)`` the model -> camera rotation that becomes the rest pose; default FRONTAL.

    Returns:
        ``(T, 4)`` float64 (w,x,y,z) rotations in Blender world axes, identity at the reference, no sign flips.

    Example:
        >>> camera_to_blender_head_rotations(np.array([[0., 1, 0, 0]])).round(6).tolist()
        [[1.0, 0.0, 0.0, 0.0]]
    """
    q = np.asarray(q_model_to_camera, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] != 4:
        raise ValueError(f"head rotations must be (T, 4), got {q.shape}")
    ref = FRONTAL_HEAD_ROTATION if reference is None else np.asarray(reference, dtype=np.float64)
    rel = quats_to_matrices(quat_multiply(quat_conjugate(ref), q))  # (T,3,3) in model axes
    rb = MODEL_TO_BLENDER @ rel @ MODEL_TO_BLENDER.T
    out = matrices_to_quats(rb)
    return quat_make_continuous(out)


def camera_to_blender_head_translations(
    t_cm: np.ndarray, *, reference: np.ndarray | None = None, scale: float = CM_TO_M
) -> np.ndarray:
    """Engine head translations -> Blender location offsets from a reference position.

    Args:
        t_cm: ``(T, 3)`` camera-frame translations in cm (``head_translation`` of a take).
        reference: ``(3,)`` camera-frame position that becomes zero; default: the first frame.

    Returns:
        ``(T, 3)`` float64 offsets in Blender world axes (metres by default).
    """
    t = np.asarray(t_cm, dtype=np.float64)
    if t.ndim != 2 or t.shape[1] != 3:
        raise ValueError(f"head translations must be (T, 3), got {t.shape}")
    ref = t[0] if reference is None else np.asarray(reference, dtype=np.float64)
    return ((t - ref) @ CAMERA_TO_BLENDER.T) * scale


def _axis_angle(axis: int, angle: np.ndarray) -> np.ndarray:
    half = np.asarray(angle, dtype=np.float64) / 2
    q = np.zeros(half.shape + (4,))
    q[..., 0] = np.cos(half)
    q[..., 1 + axis] = np.sin(half)
    return q


def gaze_to_blender_eye_rotations(yaw: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """Gaze angles -> eye rotations in Blender world axes (rest: looking along -Y).

    Args:
        yaw: ``(T,)`` radians, > 0 toward the subject's left.
        pitch: ``(T,)`` radians, > 0 up.

    Returns:
        ``(T, 4)`` (w,x,y,z) = ``Rz(yaw) @ Rx(-pitch)``, continuous.
    """
    q = quat_multiply(_axis_angle(2, yaw), _axis_angle(0, -np.asarray(pitch, dtype=np.float64)))
    return quat_make_continuous(q.reshape(-1, 4))


def yaw_pitch_roll_to_blender_rotations(ypr: np.ndarray) -> np.ndarray:
    """``(T, 3)`` head yaw, pitch, roll (radians) -> ``(T, 4)`` Blender rotations ``Rz(yaw) Rx(-pitch) Ry(roll)``."""
    ypr = np.asarray(ypr, dtype=np.float64)
    q = quat_multiply(quat_multiply(_axis_angle(2, ypr[:, 0]), _axis_angle(0, -ypr[:, 1])), _axis_angle(1, ypr[:, 2]))
    return quat_make_continuous(q)


def blender_rotations_to_yaw_pitch_roll(q: np.ndarray) -> np.ndarray:
    """``(T, 4)`` Blender rotations -> ``(T, 3)`` yaw, pitch, roll (inverse of the function above)."""
    m = quats_to_matrices(q)
    # m = Rz(a) Rx(b) Ry(c) with b = -pitch:  m[2,1] = sin b, m[0,1] = -sin a cos b, m[1,1] = cos a cos b,
    # m[2,0] = -cos b sin c, m[2,2] = cos b cos c.
    b = np.arcsin(np.clip(m[:, 2, 1], -1.0, 1.0))
    a = np.arctan2(-m[:, 0, 1], m[:, 1, 1])
    c = np.arctan2(-m[:, 2, 0], m[:, 2, 2])
    return np.stack([a, -b, c], axis=1)


def yaw_pitch_roll_to_camera_head_rotations(ypr: np.ndarray) -> np.ndarray:
    """``(T, 3)`` head yaw/pitch/roll -> ``(T, 4)`` model -> camera rotations (the take's ``head_rotation``)."""
    rb = quats_to_matrices(yaw_pitch_roll_to_blender_rotations(ypr))
    rel = MODEL_TO_BLENDER.T @ rb @ MODEL_TO_BLENDER
    r_mc = quats_to_matrices(FRONTAL_HEAD_ROTATION) @ rel
    return quat_make_continuous(matrices_to_quats(r_mc))


def rotations_to_bone_local(q_world: np.ndarray, bone_rest: np.ndarray) -> np.ndarray:
    """Rotations in armature (Blender world) axes -> a pose bone's local ``rotation_quaternion``.

    Args:
        q_world: ``(T, 4)`` rotations about the bone's head, in armature axes.
        bone_rest: ``(3, 3)`` the bone's rest orientation in armature space (``bone.matrix_local`` 3x3).

    Returns:
        ``(T, 4)`` ``B^-1 R B`` as quaternions, continuous.
    """
    b = np.asarray(bone_rest, dtype=np.float64)
    local = b.T @ quats_to_matrices(q_world) @ b
    return quat_make_continuous(matrices_to_quats(local))
