"""The golden take: a small take written by the engine's writer, committed as ``tests/data/golden_take.npz``.

Both sides read the committed file (``tests/contract/test_engine_to_addon.py`` and ``tests/addon``). Its values are
exact binary fractions and IEEE-exact arithmetic only, so this script regenerates it bit for bit on any machine;
the contract test regenerates it in memory and compares. A change to the take schema (a key, a dtype, a shape, a
meta entry) therefore fails that test until the file is regenerated on purpose (and ``SCHEMA_VERSION`` bumped if
old readers cannot read the new layout)::

    .venv/bin/python tests/contract/golden_take.py
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
GOLDEN_TAKE = REPO / "tests" / "data" / "golden_take.npz"
FRAMES = 4
FPS = 30.0

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from engine.contract.take import (  # noqa: E402
    MEDIAPIPE_POINT_COUNT,
    MODEL_LANDMARK_COUNT,
    Take,
    make_meta,
    neutral_take,
)


def make_golden_take() -> Take:
    """4 frames at 30 fps: every stream non-trivial, frame 2 without a face (confidence 0, raw NaN, no landmarks)."""
    frames = np.arange(FRAMES)
    time = frames / FPS
    expression = ((np.arange(FRAMES * 46).reshape(FRAMES, 46) % 17) / 16).astype(np.float32)
    rotation = np.array([[0.0, 1.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5], [0.0, 0.6, 0.0, 0.8], [0.5, 0.5, -0.5, 0.5]])
    rotation = rotation.astype(np.float32)
    translation = np.array([[0.0, 0.0, 60.0], [1.5, -0.25, 60.5], [1.5, -0.25, 60.5], [2.0, 0.5, 59.75]], np.float32)
    blink = np.array([[0.0, 0.0], [0.25, 0.125], [0.25, 0.125], [1.0, 0.875]], np.float32)
    gaze = (np.arange(FRAMES * 4).reshape(FRAMES, 2, 2) / 32 - 0.25).astype(np.float32)
    confidence = np.array([1.0, 0.75, 0.0, 0.5], np.float32)
    landmarks = (np.arange(FRAMES * MEDIAPIPE_POINT_COUNT * 2).reshape(FRAMES, -1, 2) % 640 / 2).astype(np.float32)
    model_landmarks = landmarks[:, :MODEL_LANDMARK_COUNT] + np.float32(0.5)
    landmarks[2] = np.nan
    model_landmarks[2] = np.nan
    raw = {"expression_raw": expression[::-1].copy(), "head_rotation_raw": rotation.copy()}
    raw["head_translation_raw"] = translation.copy()
    raw["eye_blink_raw"], raw["eye_gaze_raw"] = blink.copy(), -gaze
    for key in ("head_rotation_raw", "head_translation_raw", "eye_blink_raw", "eye_gaze_raw"):
        raw[key][2] = np.nan  # no face on frame 2: raw streams are NaN there, filtered ones bridged
    meta = make_meta(
        fps=FPS,
        frame_size=(640, 480),
        source="golden",
        backend="mediapipe",
        filter_settings={"method": "golden"},
        engine_version="golden",  # fixed, so a version bump does not change the file
        focal_px=640.0,
    )
    return dataclasses.replace(
        neutral_take(time, meta, identity_size=3),
        expression=expression,
        identity=np.array([0.5, -0.25, 0.125], np.float32),
        head_rotation=rotation,
        head_translation=translation,
        eye_blink=blink,
        eye_gaze=gaze,
        confidence=confidence,
        landmarks=landmarks,
        model_landmarks=model_landmarks,
        **raw,
    )


if __name__ == "__main__":
    from engine.contract.take_io import save_take

    print(save_take(GOLDEN_TAKE, make_golden_take()))
