"""Benchmark the eye-state estimator on our labelled frames of the shared clips.

Run from the repository root:

    .venv/bin/python tests/benchmarks/bench_eye_state.py

For every clip with labels (tests/data/eye_state_labels.toml) MediaPipe Face Mesh runs in tracking mode
(as the product does) from the first frame to the last labelled one; at each labelled frame both eyes are
scored by

(a) the plain eye-aspect-ratio threshold (EAR < 0.2 = closed, the usual naive baseline),
(a') the same with our EAR constant (0.17), to show what the threshold alone buys,
(b) ``eye_closed_probability`` (EAR fused with iris blobness; P >= 0.5 = closed),
(c) the EAR of the ELAM-adjusted landmarks (what the fitter sees), thresholded like (a).

Accuracy and F1 with OPEN as the positive class (as in the paper) are printed for the clips the constants
were tuned on, the held-out clips and all, plus the share of closed eyes with P(closed) >= 0.8 and the time
per frame of the estimator (both eyes). Needs ../shared/data/clips (skips with a message otherwise).
"""

from __future__ import annotations

import sys
import time
import tomllib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CLIPS_DIR = SHARED / "data" / "clips"
LABELS_FILE = REPO / "tests" / "data" / "eye_state_labels.toml"
EAR_BASELINE_THRESHOLD = 0.2  # the common fixed EAR threshold (see shared/reference/mediapipe_topology.md)
CLEARLY_CLOSED_P = 0.8  # closed eyes should read at least this P(closed)

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def load_labels() -> tuple[list[dict], list[str]]:
    """Labelled frames (dicts with clip, frame, left, right) and the names of the tuning clips."""
    with LABELS_FILE.open("rb") as fh:
        raw = tomllib.load(fh)
    return raw["frames"], list(raw["tune_clips"])


def track_labelled_frames(frames: list[dict]) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]:
    """Run MediaPipe (tracking mode) over each labelled clip; ``{(clip, frame): (gray, (478, 2) landmarks)}``.

    Frames where no face was found are missing from the result.
    """
    import cv2
    import mediapipe as mp

    wanted: dict[str, set[int]] = {}
    for f in frames:
        wanted.setdefault(f["clip"], set()).add(int(f["frame"]))
    out = {}
    for clip, idx in sorted(wanted.items()):
        cap = cv2.VideoCapture(str(CLIPS_DIR / f"{clip}.mp4"))
        mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )
        try:
            for i in range(max(idx) + 1):
                ok, bgr = cap.read()
                if not ok:
                    break
                res = mesh.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                if i in idx and res.multi_face_landmarks:
                    h, w = bgr.shape[:2]
                    pts = res.multi_face_landmarks[0].landmark
                    lm = np.array([(p.x * w, p.y * h) for p in pts], np.float32)
                    out[(clip, i)] = (cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), lm)
        finally:
            mesh.close()
            cap.release()
    return out


def scores(y_closed: np.ndarray, pred_closed: np.ndarray) -> tuple[float, float]:
    """Accuracy and F1 with OPEN as the positive class."""
    y_open, p_open = ~y_closed, ~pred_closed
    tp = np.sum(y_open & p_open)
    fp = np.sum(~y_open & p_open)
    fn = np.sum(y_open & ~p_open)
    acc = float(np.mean(y_closed == pred_closed))
    f1 = float(2 * tp / max(2 * tp + fp + fn, 1))
    return acc, f1


def main() -> int:
    if not CLIPS_DIR.is_dir():
        print(f"skipped: {CLIPS_DIR} not found")
        return 0
    from engine.eyes.elam import adjust_eyelid_landmarks, landmark_openness
    from engine.eyes.eye_state import EyeStateConfig, eye_closed_probability
    from engine.eyes.eye_topology import EYES

    frames, tune_clips = load_labels()
    t0 = time.perf_counter()
    tracked = track_labelled_frames(frames)
    t_track = time.perf_counter() - t0

    rec = []  # (clip, y_closed, ear, p, ear_after_elam) per eye
    times = []
    for f in frames:
        key = (f["clip"], int(f["frame"]))
        if key not in tracked:
            print(f"no face: {key}")
            continue
        gray, lm = tracked[key]
        t = time.perf_counter()
        p = eye_closed_probability(gray, lm)
        times.append(time.perf_counter() - t)
        ear = landmark_openness(lm)
        ear_adj = landmark_openness(adjust_eyelid_landmarks(lm, p))
        for k, eye in enumerate(EYES):
            rec.append((f["clip"], f[eye] == "closed", ear[k], p[k], ear_adj[k]))

    clip = np.array([r[0] for r in rec])
    y = np.array([r[1] for r in rec])
    ear = np.array([r[2] for r in rec])
    p = np.array([r[3] for r in rec])
    ear_adj = np.array([r[4] for r in rec])
    tune = np.isin(clip, tune_clips)

    print(f"labelled frames: {len(frames)} ({len(rec)} eyes: {int(y.sum())} closed, {int((~y).sum())} open)")
    print(f"tuning clips: {', '.join(tune_clips)}; held out: {', '.join(sorted(set(clip) - set(tune_clips)))}")
    print(f"{'subset':10s} {'method':38s} {'acc %':>7s} {'F1 %':>7s} {'closed P>=0.8':>14s}")
    for name, m in (("tune", tune), ("held-out", ~tune), ("all", np.ones_like(tune))):
        for label, pred in (
            (f"(a) EAR < {EAR_BASELINE_THRESHOLD}", ear[m] < EAR_BASELINE_THRESHOLD),
            (f"(a') EAR < {EyeStateConfig().ear_closed} (landmarks only)", ear[m] < EyeStateConfig().ear_closed),
            ("(b) appearance+landmarks P>=0.5", p[m] >= 0.5),
            (f"(c) EAR after ELAM < {EAR_BASELINE_THRESHOLD}", ear_adj[m] < EAR_BASELINE_THRESHOLD),
        ):
            acc, f1 = scores(y[m], pred)
            extra = f"{100 * np.mean(p[m][y[m]] >= CLEARLY_CLOSED_P):13.1f}%" if label.startswith("(b)") else ""
            print(f"{name:10s} {label:38s} {100 * acc:7.1f} {100 * f1:7.1f} {extra:>14s}")
    print("per clip, (b) errors:")
    for c in sorted(set(clip)):
        m = clip == c
        wrong = int(np.sum((p[m] >= 0.5) != y[m]))
        print(
            f"  {c:4s} eyes {int(m.sum()):4d}  closed {int(y[m].sum()):3d}  wrong (a) "
            f"{int(np.sum((ear[m] < EAR_BASELINE_THRESHOLD) != y[m])):2d}  wrong (b) {wrong:2d}"
        )
    ms = 1e3 * np.array(times)
    print(
        f"eye_closed_probability, both eyes: median {np.median(ms):.3f} ms/frame, mean {ms.mean():.3f}, "
        f"p95 {np.percentile(ms, 95):.3f} (single thread, {len(ms)} frames)"
    )
    print(f"MediaPipe tracking incl. decode: {t_track:.1f} s for all clips up to their last labelled frame")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
