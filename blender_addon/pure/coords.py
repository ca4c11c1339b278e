"""The ONE place where the contract's frames become Blender's (no bpy, no mathutils).

The engine's MODEL and CAMERA frames, the frontal pose, quaternion order (w, x, y, z) and the signs of gaze and
head yaw / pitch / roll are the contract's (:mod:`engine.contract.frames`); this module adds Blender's:

- Blender world: +Z up, characters face -Y, metres. Model -> Blender object axes: ``(x, y, z) -> (x, -z, y)``.

The head rotation written to Blender is the rotation *relative to the frontal pose* (or to a calibrated neutral
pose), expressed in Blender world axes: a frontal face gives the identity. With the camera as the fixed world and
the frontal head as Blender's rest pose, a camera-frame vector ``c`` lies along ``CAMERA_TO_BLENDER @ c`` in
Blender, where ``CAMERA_TO_BLENDER = MODEL_TO_BLENDER @ FRONTAL^-1``: camera +x -> +X, camera +y (down) -> -Z,
camera +z (away from the camera, into the subject) -> +Y. The head's Blender rotation is then
``R_b = MODEL_TO_BLENDER @ R_ref^-1 @ R_mc @ MODEL_TO_BLENDER^-1``. Gaze yaw > 0 (toward the subject's left) turns
an eye toward +X, pitch > 0 toward +Z.
"""

from __future__ import annotations

import numpy as np

from .._contract import frames, quaternion

__all__ = [
    "CAMERA_TO_BLENDER",
    "CM_TO_M",
    "MODEL_TO_BLENDER",
    "blender_to_camera_head_rotations",
    "camera_to_blender_head_rotations",
    "camera_to_blender_head_translations",
    "gaze_to_blender_eye_rotations",
    "model_to_blender_points",
    "rotations_to_bone_local",
]

CM_TO_M = 0.01  # engine lengths are centimetres, Blender scenes are metres

MODEL_TO_BLENDER = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], dtype=np.float64)
"""``(3, 3)``: model ``(x, y, z)`` -> Blender ``(x, -z, y)``."""

_FRONTAL = np.asarray(frames.FRONTAL_ROTATION, dtype=np.float64)

CAMERA_TO_BLENDER = MODEL_TO_BLENDER @ quaternion.quaternion_wxyz_to_matrix(_FRONTAL).T
"""``(3, 3)``: camera-frame directions -> Blender world directions, with the frontal head as the rest pose."""


def model_to_blender_points(p_cm: np.ndarray, *, scale: float = CM_TO_M) -> np.ndarray:
    """``(..., 3)`` model-frame points in cm -> Blender object-space points (metres by default).

    Example:
        >>> model_to_blender_points(np.array([1., 2., 3.]), scale=1.0).tolist()
        [1.0, -3.0, 2.0]
    """
    return (np.asarray(p_cm, dtype=np.float64) @ MODEL_TO_BLENDER.T) * scale


def camera_to_blender_head_rotations(
    q_model_to_camera: np.ndarray, *, reference: np.ndarray | None = None
) -> np.ndarray:
    """Take head rotations -> Blender head rotations relative to a reference pose, continuous.

    Args:
        q_model_to_camera: ``(T, 4)`` (w,x,y,z) model -> camera rotations (``head_rotation`` of a take).
        reference: ``(4,)`` the model -> camera rotation that becomes the rest pose; default frontal.

    Returns:
        ``(T, 4)`` float64 (w,x,y,z) rotations in Blender world axes, identity at the reference, no sign flips.

    Example:
        >>> camera_to_blender_head_rotations(np.array([[0., 1, 0, 0]])).round(6).tolist()
        [[1.0, 0.0, 0.0, 0.0]]
    """
    q = np.asarray(q_model_to_camera, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] != 4:
        raise ValueError(f"head rotations must be (T, 4), got {q.shape}")
    ref = _FRONTAL if reference is None else np.asarray(reference, dtype=np.float64)
    relative = quaternion.quaternion_multiply(quaternion.quaternion_conjugate(ref), q)  # in model axes
    rb = MODEL_TO_BLENDER @ quaternion.quaternion_wxyz_to_matrix(relative) @ MODEL_TO_BLENDER.T
    return quaternion.quaternion_continuity(quaternion.matrix_to_quaternion_wxyz(rb))


def blender_to_camera_head_rotations(q_blender: np.ndarray) -> np.ndarray:
    """Inverse of :func:`camera_to_blender_head_rotations` with the frontal reference.

    Args:
        q_blender: ``(T, 4)`` (w,x,y,z) head rotations in Blender world axes, identity = frontal.

    Returns:
        ``(T, 4)`` float64 model -> camera rotations (a take's ``head_rotation``), w >= 0.

    Example:
        >>> blender_to_camera_head_rotations(np.array([[1.0, 0, 0, 0]])).round(6).tolist()
        [[0.0, 1.0, 0.0, 0.0]]
    """
    rb = quaternion.quaternion_wxyz_to_matrix(np.asarray(q_blender, dtype=np.float64))
    relative = MODEL_TO_BLENDER.T @ rb @ MODEL_TO_BLENDER
    return quaternion.matrix_to_quaternion_wxyz(quaternion.quaternion_wxyz_to_matrix(_FRONTAL) @ relative)


def camera_to_blender_head_translations(
    t_cm: np.ndarray, *, reference: np.ndarray | None = None, scale: float = CM_TO_M
) -> np.ndarray:
    """Take head translations -> Blender location offsets from a reference position.

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


def gaze_to_blender_eye_rotations(yaw: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """Gaze angles -> eye rotations in Blender world axes (rest: looking along -Y).

    Args:
        yaw: ``(T,)`` radians, > 0 toward the subject's left.
        pitch: ``(T,)`` radians, > 0 up.

    Returns:
        ``(T, 4)`` (w,x,y,z) = ``Rz(yaw) @ Rx(-pitch)``, continuous.
    """
    turn = quaternion.axis_angle_to_quaternion_wxyz(np.array([0.0, 0.0, 1.0]), yaw)
    tilt = quaternion.axis_angle_to_quaternion_wxyz(np.array([1.0, 0.0, 0.0]), -np.asarray(pitch, dtype=np.float64))
    return quaternion.quaternion_continuity(quaternion.quaternion_multiply(turn, tilt).reshape(-1, 4))


def rotations_to_bone_local(q_world: np.ndarray, bone_rest: np.ndarray) -> np.ndarray:
    """Rotations in armature (Blender world) axes -> a pose bone's local ``rotation_quaternion``.

    Args:
        q_world: ``(T, 4)`` rotations about the bone's head, in armature axes.
        bone_rest: ``(3, 3)`` the bone's rest orientation in armature space (``bone.matrix_local`` 3x3).

    Returns:
        ``(T, 4)`` ``B^-1 R B`` as quaternions, continuous.
    """
    b = np.asarray(bone_rest, dtype=np.float64)
    local = b.T @ quaternion.quaternion_wxyz_to_matrix(q_world) @ b
    return quaternion.quaternion_continuity(quaternion.matrix_to_quaternion_wxyz(local))
