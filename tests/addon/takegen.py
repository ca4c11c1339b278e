"""Test takes made with the contract (the engine's own take writer).

- :func:`make_take` / :func:`write_take`: a take as ``python -m engine track`` writes it, built and saved with
  ``engine.contract`` (``write_take(..., key=array)`` writes a deliberately broken file with plain numpy).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from engine.contract.frames import FRONTAL_ROTATION
from engine.contract.quaternion import axis_angle_to_quaternion_wxyz, quaternion_multiply
from engine.contract.take import Take, make_meta, neutral_take, take_to_arrays
from engine.contract.take_io import save_take
from rigs import load_names

REPO = Path(__file__).resolve().parents[2]


def fw46_names() -> list[str]:
    return list(load_names("facewarehouse46"))


def arkit52_names() -> list[str]:
    return list(load_names("arkit52"))


def make_take(frames: int = 120, fps: float = 30.0, seed: int = 0) -> Take:
    """Smooth random weights in [0, 1], a head turning about the camera's vertical axis, gaze sweeping."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / fps
    phases = rng.uniform(0, 2 * np.pi, 46)
    freqs = rng.uniform(0.1, 1.5, 46)
    expr = (0.5 + 0.5 * np.sin(2 * np.pi * freqs * t[:, None] + phases)).astype(np.float32)
    raw = np.clip(expr + rng.normal(0, 0.05, expr.shape), 0, 1).astype(np.float32)
    yaw = 0.4 * np.sin(2 * np.pi * 0.2 * t)
    # a turn about the camera's y axis (vertical in the image), applied after the frontal pose
    turn = axis_angle_to_quaternion_wxyz(np.array([0.0, 1.0, 0.0]), yaw)
    head = quaternion_multiply(turn, np.asarray(FRONTAL_ROTATION)).astype(np.float32)
    gaze = np.zeros((frames, 2, 2), np.float32)
    gaze[:, :, 0] = (0.3 * np.sin(2 * np.pi * 0.5 * t))[:, None]
    gaze[:, :, 1] = (0.2 * np.cos(2 * np.pi * 0.3 * t))[:, None]
    translation = np.stack([np.zeros(frames), np.zeros(frames), 60 + np.sin(t)], 1).astype(np.float32)
    meta = make_meta(fps=fps, frame_size=(640, 480), source="clip", backend="test")
    return dataclasses.replace(
        neutral_take(t, meta, identity_size=10),
        expression=expr,
        expression_raw=raw,
        head_rotation=head,
        head_rotation_raw=head.copy(),
        head_translation=translation,
        head_translation_raw=translation.copy(),
        eye_blink=expr[:, :2].copy(),
        eye_blink_raw=expr[:, :2].copy(),
        eye_gaze=gaze,
        eye_gaze_raw=gaze.copy(),
    )


def make_take_arrays(frames: int = 120, fps: float = 30.0, seed: int = 0) -> dict[str, np.ndarray]:
    """:func:`make_take` as the arrays of its file (copies, free to modify)."""
    return {k: np.array(v) for k, v in take_to_arrays(make_take(frames, fps, seed)).items()}


def write_take(path: Path, frames: int = 120, fps: float = 30.0, seed: int = 0, **overrides) -> Path:
    """Save :func:`make_take` with the contract's writer; with ``overrides`` (key -> array, or None to drop the
    key) write those arrays instead with plain numpy, for deliberately invalid files.
    """
    if not overrides:
        return save_take(path, make_take(frames, fps, seed))
    arrays = make_take_arrays(frames, fps, seed)
    arrays.update(overrides)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return Path(path)
