"""Benchmark: speed and memory of the whole track on a 512x512, 30 fps clip (prints its figures).

    .venv/bin/python tests/benchmarks/bench_track.py            # ../shared/data/clips/d10.mp4 if present
    .venv/bin/python tests/benchmarks/bench_track.py CLIP.mp4

Reports: whole `track` (decode, landmarks, eye state, fit, filter, write) frames/s, read in parts at once (the
default: one part per core) and in one piece, and how far the two takes' weights differ; MediaPipe Face Mesh alone on
the same frames; fitting alone (identity + pose + expression, ms/frame, and each readout's share); and peak
memory of `track` on the clip looped 1x and 4x (flat memory: frames are streamed, never kept).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `python -m engine` runs (engine/__main__.py); before numpy
DEFAULT_CLIP = REPO.parent / "shared" / "data" / "clips" / "d10.mp4"


def make_clip(path: Path, frames: int) -> Path:
    """A 512x512 30 fps clip made from the public-domain portrait (used when no real clip is given)."""
    import cv2
    import numpy as np
    import skimage.data

    img = skimage.data.astronaut()[:, :, ::-1]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (512, 512))
    for t in range(frames):
        m = cv2.getRotationMatrix2D((256, 200), 5.0 * np.sin(t / 9.0), 1.0)
        writer.write(cv2.warpAffine(img, m, (512, 512), borderMode=cv2.BORDER_REFLECT))
    writer.release()
    return path


def read_frames(path: Path) -> tuple[list, float]:
    """All frames of a (short) clip in memory, and its fps: for timing the detector alone and for looping."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    return frames, cap.get(cv2.CAP_PROP_FPS) or 30.0


def loop_clip(src: Path, dst: Path, times: int) -> Path:
    import cv2

    frames, fps = read_frames(src)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for _ in range(times):
        for f in frames:
            writer.write(f)
    writer.release()
    return dst


def peak_rss_mb(clip: Path, out: Path) -> tuple[float, float]:
    """Peak resident memory (MB) and wall time (s) of `python -m engine track` in a fresh process."""
    # VmHWM (this process image's peak RSS) rather than ru_maxrss, which Linux carries over from the forking parent.
    code = (
        "import re, time; from engine.track import track; t = time.perf_counter(); "
        f"take = track({str(clip)!r}, {str(out)!r}); "
        "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)); "
        "print(hwm / 1024, time.perf_counter() - t, take.num_frames)"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    rss, seconds, frames = run.stdout.split()
    return float(rss), float(seconds)


def main() -> int:
    import numpy as np

    from engine.face_model.model import load_face_model
    from engine.fitting.brow_readout import brows_from_pairs
    from engine.fitting.clip_fit import fit_clip
    from engine.fitting.corner_readout import frowns_from_corners
    from engine.fitting.frame_fit import fit_frames
    from engine.fitting.gaze_readout import gaze_from_iris
    from engine.fitting.lid_readout import blinks_from_lids
    from engine.landmark_parts import LandmarkPartsConfig
    from engine.landmark_pass import collect_landmarks
    from engine.landmarks.mediapipe_mesh import MediaPipeFaceMesh
    from engine.progress import make_reporter
    from engine.track import fit_targets, track
    from engine.track_config import TrackConfig

    tmp = Path(tempfile.mkdtemp())
    clip = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CLIP
    if not clip.is_file():
        clip = make_clip(tmp / "portrait.mp4", 300)
    frames, fps = read_frames(clip)
    h, w = frames[0].shape[:2]
    print(f"clip {clip.name}: {w}x{h}, {fps:g} fps, {len(frames)} frames")

    for label in ("first call: models load", "second call"):
        t0 = time.perf_counter()
        take = track(clip, tmp / "take.npz")
        total = time.perf_counter() - t0
        print(
            f"whole track (decode, landmarks, eye state, fit, filter, write), {label}: "
            f"{len(frames) / total:7.1f} frames/s ({1000 * total / len(frames):.2f} ms/frame)"
        )

    one_piece = TrackConfig(parts=LandmarkPartsConfig(parts=1))
    t0 = time.perf_counter()
    whole = track(clip, None, one_piece)
    total = time.perf_counter() - t0
    print(
        f"whole track read in one piece (--parts 1; the default reads a clip of 120+ frames in parts, one per core): "
        f"{len(frames) / total:7.1f} frames/s ({1000 * total / len(frames):.2f} ms/frame)"
    )
    gap = np.abs(take.expression - whole.expression)
    print(
        f"  in parts vs in one piece: largest weight difference {gap.max():.3f} (frame {gap.max(axis=1).argmax()}), "
        f"mean {gap.mean():.4f}; eye_blink {np.abs(take.eye_blink - whole.eye_blink).max():.3f}"
    )

    mesh = MediaPipeFaceMesh()
    t0 = time.perf_counter()
    for f in frames:
        mesh.detect(f)
    mp_s = time.perf_counter() - t0
    mesh.close()
    print(
        f"MediaPipe Face Mesh alone (478 points, tracking mode):      {len(frames) / mp_s:7.1f} frames/s "
        f"({1000 * mp_s / len(frames):.2f} ms/frame)"
    )

    lm = collect_landmarks(clip, TrackConfig(), make_reporter("none"))
    model = load_face_model()
    no_drift_removal = dataclasses.replace(TrackConfig(), remove_yaw_drift=False)
    fit_targets(lm, no_drift_removal, model)  # warm up
    t0 = time.perf_counter()
    fit_targets(lm, no_drift_removal, model)
    targets_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    view = fit_targets(lm, TrackConfig(), model)
    drift_s = time.perf_counter() - t0 - targets_s
    fit_clip(view, lm.point_ids, model)  # warm up
    t0 = time.perf_counter()
    fit = fit_clip(view, lm.point_ids, model)
    fit_s = time.perf_counter() - t0
    valid = fit.valid
    base = fit.actor.neutral
    t0 = time.perf_counter()
    weights, pose = fit_frames(view[valid], lm.point_ids, fit.actor, base, TrackConfig().fit)
    frames_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    brows_from_pairs(weights, view[valid], lm.point_ids, fit.actor, pose, TrackConfig().fit)
    brows_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    gaze_from_iris(weights, view[valid], lm.point_ids, fit.actor, pose, TrackConfig().fit)
    gaze_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    blinks_from_lids(weights, view[valid], lm.point_ids, fit.actor, pose, TrackConfig().fit)
    lids_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    frowns_from_corners(weights, view[valid], lm.point_ids, fit.actor, pose, TrackConfig().fit)
    frowns_s = time.perf_counter() - t0
    print(f"fitting, whole clip (identity + rest + pose + 46 weights):    {1000 * fit_s / len(frames):.3f} ms/frame")
    print(f"fitting, per-frame pose + 46 weights only:                    {1000 * frames_s / valid.sum():.3f} ms/frame")
    print(f"fitting, the brows read again from their pairs (video):       {1000 * brows_s / valid.sum():.3f} ms/frame")
    print(f"fitting, gaze read again from the irises (video):             {1000 * gaze_s / valid.sum():.3f} ms/frame")
    print(f"fitting, the blinks read again from the lid pairs:            {1000 * lids_s / valid.sum():.3f} ms/frame")
    print(f"fitting, frowns read again from the mouth corners:            {1000 * frowns_s / valid.sum():.3f} ms/frame")
    print(f"fit targets, the detector's yaw drift taken out:              {1000 * drift_s / len(frames):.3f} ms/frame")

    one = peak_rss_mb(clip, tmp / "a.npz")
    looped = loop_clip(clip, tmp / "looped.mp4", 4)
    four = peak_rss_mb(looped, tmp / "b.npz")
    print(
        f"peak memory: {one[0]:.0f} MB for {len(frames)} frames, {four[0]:.0f} MB for {4 * len(frames)} frames "
        f"(+{(four[0] - one[0]) / (3 * len(frames)) * 1024:.1f} KB per extra frame: landmarks and take arrays)"
    )
    print(f"takes: {take.num_frames} frames, face in {np.mean(take.confidence > 0):.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
