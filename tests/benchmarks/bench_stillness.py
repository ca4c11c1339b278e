"""Stillness: a still face must give still curves. Prints the frame-to-frame change of every stream.

The clip is made here: 3 s at 30 fps of scikit-image's public-domain astronaut portrait, each frame with its own
sensor noise (Gaussian, sigma 3 grey levels), tracked by the real engine.

    .venv/bin/python tests/benchmarks/bench_stillness.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

FRAMES, FPS, NOISE = 90, 30.0, 3.0


def main() -> int:
    import cv2
    import skimage.data

    from engine.track import track

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "still.mp4"
        img = skimage.data.astronaut()[:, :, ::-1].astype(np.int16)
        rng = np.random.default_rng(0)
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (512, 512))
        for _ in range(FRAMES):
            writer.write(np.clip(img + rng.normal(0, NOISE, img.shape), 0, 255).astype(np.uint8))
        writer.release()
        take = track(path, None)
    steps = {
        "46 weights": np.abs(np.diff(take.expression, axis=0)),
        "blink": np.abs(np.diff(take.eye_blink, axis=0)),
        "gaze (deg)": np.degrees(np.abs(np.diff(take.eye_gaze, axis=0))),
        "head rotation (quaternion)": np.abs(np.diff(take.head_rotation, axis=0)),
    }
    print(f"still face, {FRAMES} frames with sensor noise: frame-to-frame change")
    for name, step in steps.items():
        print(f"  {name:28s} RMS {np.sqrt(np.mean(step**2)):.4f}  max {step.max():.4f}")
    print(f"  largest weight at rest: {take.expression.max():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
