"""The ONE place where the contract's frames become Blender's (no bpy, no mathutils).

The engine's MODEL and CAMERA frames, the frontal pose, quaternion order (w, x, y, z) and the signs of gaze and
head yaw / pitch / roll are the contract's (:mod:`engine.contract.frames`); this module adds Blender's:

- Blender world: +Z up, characters face -Y, metres. Model -> Blender object axes: ``(x, y, z) -> (x, -z, y)``.
- A character's axes: Blender world's, turned about Z the way the character faces in the scene
  (:func:`character_facing`). Rotations and offsets below are in these axes; the bake layer carries them into each
  target's own axes (:func:`character_to_local_rotations`), whatever the armature's or object's own rotation and
  scale (an FBX character's armature lies 90 deg about X at 0.01 scale).

The head rotation written to Blender is the rotation *relative to the frontal pose* (or to a calibrated neutral
pose), expressed in the character's axes: a frontal face gives the identity. With the camera as the fixed world
and the frontal head as Blender's rest pose, a camera-frame vector ``c`` lies along ``CAMERA_TO_BLENDER @ c`` in
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
    "character_facing",
    "character_to_local_rotations",
    "gaze_to_blender_eye_rotations",
    "model_to_blender_points",
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
        ``(T, 4)`` float64 (w,x,y,z) rotations in the character's axes, identity at the reference, no sign flips.

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
        q_blender: ``(T, 4)`` (w,x,y,z) head rotations in the character's axes, identity = frontal.

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
        ``(T, 3)`` float64 offsets in the character's axes (metres by default).
    """
    t = np.asarray(t_cm, dtype=np.float64)
    if t.ndim != 2 or t.shape[1] != 3:
        raise ValueError(f"head translations must be (T, 3), got {t.shape}")
    ref = t[0] if reference is None else np.asarray(reference, dtype=np.float64)
    return ((t - ref) @ CAMERA_TO_BLENDER.T) * scale


def gaze_to_blender_eye_rotations(yaw: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """Gaze angles -> eye rotations in the character's axes (rest: looking along -Y).

    Args:
        yaw: ``(T,)`` radians, > 0 toward the subject's left.
        pitch: ``(T,)`` radians, > 0 up.

    Returns:
        ``(T, 4)`` (w,x,y,z) = ``Rz(yaw) @ Rx(-pitch)``, continuous.
    """
    turn = quaternion.axis_angle_to_quaternion_wxyz(np.array([0.0, 0.0, 1.0]), yaw)
    tilt = quaternion.axis_angle_to_quaternion_wxyz(np.array([1.0, 0.0, 0.0]), -np.asarray(pitch, dtype=np.float64))
    return quaternion.quaternion_continuity(quaternion.quaternion_multiply(turn, tilt).reshape(-1, 4))


def character_facing(world_rotation: np.ndarray) -> np.ndarray:
    """The way a character faces in the scene: the turn about world Z in a target's ``(3, 3)`` world rotation.

    A take's rotations are the character's own (the convention above: +Z up, facing -Y), turned about the vertical
    as the character stands in the scene. Only that turn of a target's world rotation counts: a character imported
    from FBX (its armature turned 90 deg about X, Y-up bones) still faces -Y; a bust turned 180 deg about Z faces +Y.
    It is the twist about Z of the swing-twist split.

    Args:
        world_rotation: ``(3, 3)`` a rotation matrix (no scale): the target's (or its armature's) world rotation.

    Returns:
        ``(3, 3)`` float64, a rotation about world Z; the identity when the rotation turns Z half a turn (a character
        upside down has no way it faces).

    Example:
        >>> x90 = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])  # an FBX armature's rotation: faces -Y
        >>> character_facing(x90).round(6).tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    q = quaternion.matrix_to_quaternion_wxyz(np.asarray(world_rotation, dtype=np.float64))
    w, z = float(q[0]), float(q[3])
    norm = float(np.hypot(w, z))
    if norm < 1e-6:
        return np.eye(3)
    return quaternion.quaternion_wxyz_to_matrix(np.array([w / norm, 0.0, 0.0, z / norm]))


def character_to_local_rotations(q_character: np.ndarray, local_axes: np.ndarray) -> np.ndarray:
    """Rotations in the character's axes -> the same rotations in a target's own axes (a pose bone's
    ``rotation_quaternion``, or an object's rotation in its parent's axes).

    Args:
        q_character: ``(T, 4)`` rotations in the character's axes (:func:`character_facing`), about the target's
            origin (a bone's head).
        local_axes: ``(3, 3)`` the target's axes in the character's axes (columns): for a bone, the character's
            facing^T @ the armature's world rotation @ ``bone.matrix_local``'s 3x3.

    Returns:
        ``(T, 4)`` ``L^-1 R L`` as quaternions, continuous.
    """
    b = np.asarray(local_axes, dtype=np.float64)
    local = b.T @ quaternion.quaternion_wxyz_to_matrix(q_character) @ b
    return quaternion.quaternion_continuity(quaternion.matrix_to_quaternion_wxyz(local))
