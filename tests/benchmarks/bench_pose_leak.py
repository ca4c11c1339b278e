"""Pose leak on real clips: do expression curves follow the head's turn? With and without the yaw-drift removal.

Cycle consistency asks that the same expression read the same under any head pose. The fitter is equivariant by
construction (``tests/engine/test_cycle_consistency.py``), but the landmark detector is not: MediaPipe's mesh
drifts as the head turns (:mod:`engine.face_model_build.yaw_drift`). On real talking clips, where the expression
does not depend on where the head points, any steady dependence of a channel on yaw or pitch is leak. Per clip, every
reading below is regressed on the fitted head yaw and pitch together (relative to the clip's own mean), and the
slopes per 10 deg are averaged over clips, weighted by each clip's range of yaw (or pitch); ``|.|`` averages the
slopes' magnitudes, so leaks of opposite sign in different clips do not cancel. Asymmetries (left minus right)
show a leak that turns with the head; sums a leak that both sides share.

    .venv/bin/python tests/benchmarks/bench_pose_leak.py [--quick]

Clips: the ordinary talking clips of ../shared/data/clips (styletalk's speakers, pcavs's VoxCeleb2 crops, edtalk's
pose sources and Obama, LivePortrait's sources), all held out: the drift is measured on renders of the ICT head,
and nothing here was chosen while looking at these clips' readings.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
CLIPS = REPO.parent / "shared" / "data" / "clips"
PATTERNS = (
    "styletalk/talk_*.mp4",
    "pcavs/*.mp4",
    "edtalk/pose_source*.mp4",
    "edtalk/uncrop_Obama.mp4",
    "liveportrait-source/*.mp4",
)
ASYMMETRIES = {  # reading: (left channel, right channel)
    "BrowsD L-R": ("BrowsD_L", "BrowsD_R"),
    "BrowsU L-R": ("BrowsU_L", "BrowsU_R"),
    "MouthSmile L-R": ("MouthSmile_L", "MouthSmile_R"),
    "MouthFrown L-R": ("MouthFrown_L", "MouthFrown_R"),
    "EyeBlink L-R": ("EyeBlink_L", "EyeBlink_R"),
    "EyeSquint L-R": ("EyeSquint_L", "EyeSquint_R"),
    "MouthLeft-Right": ("MouthLeft", "MouthRight"),
    "JawLeft-Right": ("JawLeft", "JawRight"),
}
SUMS = {
    "BrowsD L+R": ("BrowsD_L", "BrowsD_R"),
    "BrowsU C+L+R": ("BrowsU_C", "BrowsU_L", "BrowsU_R"),
    "MouthSmile L+R": ("MouthSmile_L", "MouthSmile_R"),
    "EyeBlink L+R": ("EyeBlink_L", "EyeBlink_R"),
    "JawOpen": ("JawOpen",),
}


def readings(expression: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Each asymmetry and sum of ``(T, 46)`` weights, ``(T,)``."""
    col = {n: expression[:, names.index(n)] for n in names}
    out = {k: col[a] - col[b] for k, (a, b) in ASYMMETRIES.items()}
    out.update({k: sum(col[c] for c in channels) for k, channels in SUMS.items()})
    return out


def slopes_per_10deg(values: dict[str, np.ndarray], yaw_deg: np.ndarray, pitch_deg: np.ndarray) -> dict:
    """Each reading's (yaw, pitch) slopes per 10 deg, from one least-squares fit on both angles."""
    x = np.c_[yaw_deg - yaw_deg.mean(), pitch_deg - pitch_deg.mean(), np.ones(len(yaw_deg))]
    coef = np.linalg.lstsq(x, np.stack(list(values.values()), axis=1), rcond=None)[0]
    return {k: (10 * coef[0, i], 10 * coef[1, i]) for i, k in enumerate(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every fourth clip")
    args = parser.parse_args()
    if not CLIPS.is_dir():
        print(f"no clips: {CLIPS} is missing")
        return 1

    from engine.face_model.model import load_face_model
    from engine.fitting.clip_fit import fit_clip
    from engine.landmark_pass import collect_landmarks
    from engine.progress import make_reporter
    from engine.track import fit_targets
    from engine.track_config import TrackConfig

    model = load_face_model()
    clips = sorted({p for pattern in PATTERNS for p in CLIPS.glob(pattern)})
    clips = clips[::4] if args.quick else clips
    runs = {"drift removed": TrackConfig(), "as detected": dataclasses.replace(TrackConfig(), remove_yaw_drift=False)}
    per_run: dict[str, list] = {name: [] for name in runs}
    ranges = []
    for i, clip in enumerate(clips):
        print(f"\r{i + 1}/{len(clips)} {clip.name:40s}", end="", file=sys.stderr)
        lm = collect_landmarks(clip, TrackConfig(), make_reporter("none"))
        for name, cfg in runs.items():
            fit = fit_clip(fit_targets(lm, cfg, model), lm.point_ids, model, cfg.fit, eye_closed=lm.p_closed)
            valid = fit.valid
            camera = fit.pose[valid].view_directions  # the camera's direction in the model frame
            yaw = np.degrees(fit.pose[valid].yaw)
            pitch = np.degrees(np.arctan2(-camera[:, 1], np.hypot(camera[:, 0], camera[:, 2])))  # > 0: nose up
            per_run[name].append(slopes_per_10deg(readings(fit.expression[valid], model.expression_names), yaw, pitch))
            if name == "drift removed":
                ranges.append((np.ptp(yaw), np.ptp(pitch)))
    print(file=sys.stderr)
    ranges = np.array(ranges)
    yaw_range, pitch_range = ranges[:, 0], ranges[:, 1]
    print(
        f"{len(clips)} held-out talking clips; range per clip: yaw median {np.median(yaw_range):.0f} deg "
        f"(max {yaw_range.max():.0f}), pitch median {np.median(pitch_range):.0f} deg (max {pitch_range.max():.0f})"
    )
    print("slope per 10 deg of head turn, averaged over clips weighted by their range (|.|: of magnitudes)")
    header = "  ".join(f"{name + ': yaw':>20s} {'|.|':>5s} {'pitch':>6s} {'|.|':>5s}" for name in runs)
    print(f"{'reading':16s} {header}")
    for key in [*ASYMMETRIES, *SUMS]:
        cells = []
        for name in runs:
            yaw_s = np.array([s[key][0] for s in per_run[name]])
            pitch_s = np.array([s[key][1] for s in per_run[name]])
            yaw_mean, yaw_size = np.average(yaw_s, weights=yaw_range), np.average(abs(yaw_s), weights=yaw_range)
            pitch_mean = np.average(pitch_s, weights=pitch_range)
            pitch_size = np.average(abs(pitch_s), weights=pitch_range)
            cells.append(f"{yaw_mean:+20.3f} {yaw_size:5.3f} {pitch_mean:+6.3f} {pitch_size:5.3f}")
        print(f"{key:16s} {'  '.join(cells)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
