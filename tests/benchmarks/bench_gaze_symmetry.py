"""Gaze symmetry on side glances: both eyes turn alike, so both should read alike. Prints, per clip, how far the
eye turning inward and the eye turning outward move in the image and how far each reads, with the gaze readout
(:mod:`engine.fitting.gaze_readout`) and without it (``FitConfig(gaze_readout_weight=0)``).

Side glances are found in the image, not in either take: frames where the two irises' mean position along their
eyes (corner to corner, 0..1) is more than 0.12 of an eye's width from its median over the clip. The clips are those
of ../shared/data/clips with such glances that the other benchmarks use: d0, d3 and d10 (tuning people: README,
"Measured") and four held-out ones.

    .venv/bin/python tests/benchmarks/bench_gaze_symmetry.py
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
CLIPS = REPO.parent / "shared" / "data" / "clips"
TUNING = ("d0.mp4", "d3.mp4", "d10.mp4")
HELD_OUT = (
    "d12.mp4",
    "liveportrait-source/s29.mp4",
    "pcavs/Audio_Source_00086.mp4",
    "pcavs/Pose_Source_741400163.mp4",
)
GLANCE = 0.12  # eye widths from the clip's median iris position


def iris_along_eye(landmarks: np.ndarray) -> np.ndarray:
    """``(T, 2)`` [left, right] iris centre along its eye, 0 at the corner on the subject's right, 1 on the left.

    Args:
        landmarks: ``(T, 478, 2)`` MediaPipe points, pixels.
    """
    from engine.eyes.eye_topology import eye_topology, iris_points

    out = np.zeros((len(landmarks), 2))
    # the left eye's inner corner is on the subject's right; the right eye's outer corner is
    for e, (side, right_corner, left_corner) in enumerate(
        (("left", eye_topology("left").inner_corner, eye_topology("left").outer_corner),
         ("right", eye_topology("right").outer_corner, eye_topology("right").inner_corner))
    ):  # fmt: skip
        a, b = landmarks[:, right_corner], landmarks[:, left_corner]
        iris = landmarks[:, iris_points(side)[0]]
        axis = b - a
        out[:, e] = np.einsum("tk,tk->t", iris - a, axis) / np.einsum("tk,tk->t", axis, axis)
    return out


def main() -> int:
    if not CLIPS.is_dir():
        print(f"no clips: {CLIPS} is missing")
        return 1
    from engine.face_model.model import load_face_model
    from engine.track import track
    from engine.track_config import TrackConfig

    model = load_face_model()
    on = TrackConfig()
    off = dataclasses.replace(on, fit=dataclasses.replace(on.fit, gaze_readout_weight=0.0))
    print(f"{'clip':34s} {'split':8s} {'n':>4s}  image in / out (eye widths)  read in / out (deg): "
          "readout        without")  # fmt: skip
    ratios: dict[tuple[str, str], list[float]] = {}
    for split, clips in (("tune", TUNING), ("held_out", HELD_OUT)):
        for name in clips:
            path = CLIPS / name
            if not path.is_file():
                print(f"{name}: missing")
                continue
            takes = {key: track(path, None, cfg, model=model) for key, cfg in (("on", on), ("off", off))}
            seen = takes["on"].confidence > 0
            along = iris_along_eye(takes["on"].landmarks)
            shift = along - np.median(along[seen], axis=0)
            glance = seen & (np.abs(shift.mean(axis=1)) > GLANCE)
            if not glance.any():
                print(f"{name:34s} {split:8s}    0")
                continue
            toward_left = shift[glance].mean(axis=1) > 0  # looking toward the subject's left: the right eye turns in
            inward, outward = np.where(toward_left, 1, 0), np.where(toward_left, 0, 1)
            rows = np.arange(glance.sum())
            image = np.abs(shift[glance])
            image_in, image_out = image[rows, inward].mean(), image[rows, outward].mean()
            ratios.setdefault((split, "image"), []).append(image_out / image_in)
            row = f"{name:34s} {split:8s} {glance.sum():4d}  {image_in:5.2f} / {image_out:4.2f}" + " " * 17
            for key in ("on", "off"):
                yaw = np.degrees(np.abs(takes[key].eye_gaze[glance, :, 0]))
                read_in, read_out = yaw[rows, inward].mean(), yaw[rows, outward].mean()
                ratios.setdefault((split, key), []).append(read_out / read_in)
                row += f"  {read_in:5.1f} / {read_out:4.1f}"
            print(row)
    print("asymmetry: mean over clips of |log2(outward / inward)|, 0 when both eyes read alike")
    for split in ("tune", "held_out"):
        figures = {key: np.mean(np.abs(np.log2(ratios.get((split, key), [np.nan])))) for key in ("image", "on", "off")}
        print(
            f"  {split}: readings with the readout {figures['on']:.2f}, without {figures['off']:.2f} "
            f"(the landmarks' iris displacements: {figures['image']:.2f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
