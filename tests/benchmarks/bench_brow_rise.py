"""Where a brow raise is lost: the image, MediaPipe's points, and the fitted model frame, on labelled raises.

For every labelled surprise or raise of tests/data/expression_labels.toml whose person has neutral frames, each
brow's rise above the person's neutral frames is measured three ways:

- ``image``: the brow's own image patch, aligned on that eye's two corners (in eye widths, ``PATCH_*``), matched
  against the median of the neutral frames' patches by normalised cross-correlation over vertical shifts; the best
  shift is the rise (eye widths, + up), ``ncc`` its match score. This is an image measurement no landmark enters
  but the eye corners'.
- ``mediapipe``: the mean height of MediaPipe's brow points above the line through the same eye corners, in the
  same units, minus the neutral frames' mean; ``ratio`` = mediapipe / image.
- ``fit``: in the model frame after the fitted head pose (the take's own fit), the brow points' and the eye
  corners' mean rise (cm), and the take's brows-up reading (mean of BrowsU_C, BrowsU_L, BrowsU_R; ICT's full raise
  moves the brow points 0.94 cm).

    .venv/bin/python tests/benchmarks/bench_brow_rise.py [--brow-pair-weight 0]

``--brow-pair-weight 0`` fits without the brow pairs (:mod:`engine.fitting.residual_rows`) and so without the
brow readout that re-reads the brows from them (:mod:`engine.fitting.brow_readout`), as before either was added.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tomllib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

CLIPS = REPO.parent / "shared" / "data" / "clips"
LABELS = REPO / "tests" / "data" / "expression_labels.toml"
EYE_CORNERS = {"left": (362, 263), "right": (133, 33)}  # MediaPipe Face Mesh: (inner, outer), the subject's sides
PATCH_PX = 24  # samples per eye width
PATCH_X = (-0.6, 0.6)  # across the eye, eye widths from the corners' midpoint
PATCH_Y = (0.1, 1.7)  # above the corners' line, eye widths (the brow and the skin around it)
MAX_SHIFT = 0.35  # eye widths searched up and down
BROWS_UP = ("BrowsU_C", "BrowsU_L", "BrowsU_R")


def eye_frame(points: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Centre, unit x (inner to outer corner, image px), unit up (image), eye width (px) of one eye."""
    inner, outer = (points[i, :2].astype(np.float64) for i in EYE_CORNERS[side])
    across = outer - inner
    width = float(np.linalg.norm(across))
    x = across / width
    up = np.array([x[1], -x[0]])
    return (inner + outer) / 2, x, (up if up[1] < 0 else -up), width  # image y grows downwards


def brow_patch(gray: np.ndarray, points: np.ndarray, side: str) -> np.ndarray:
    """``(H, W)`` float32 the brow's patch, top row highest, in eye-width units sampled at ``PATCH_PX``."""
    import cv2

    centre, x, up, width = eye_frame(points, side)
    xs = np.arange(int((PATCH_X[1] - PATCH_X[0]) * PATCH_PX)) / PATCH_PX + PATCH_X[0]
    ys = PATCH_Y[1] - np.arange(int((PATCH_Y[1] - PATCH_Y[0]) * PATCH_PX)) / PATCH_PX
    step = width / PATCH_PX
    # dst(col, row) = src(centre + width * (xs[0] x + ys[0] up) + col * step x - row * step up)
    origin = centre + width * (xs[0] * x + ys[0] * up)
    to_src = np.array([[step * x[0], -step * up[0], origin[0]], [step * x[1], -step * up[1], origin[1]]])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(gray, to_src, (len(xs), len(ys)), flags=flags, borderMode=cv2.BORDER_REPLICATE).astype(
        np.float32
    )


def vertical_shift(patch: np.ndarray, template: np.ndarray) -> tuple[float, float]:
    """(rise in eye widths, + up; best normalised cross-correlation) of ``patch`` against ``template``."""
    s = int(MAX_SHIFT * PATCH_PX)
    core = template[s:-s] - template[s:-s].mean()
    scores = []
    for k in range(-s, s + 1):
        window = patch[s + k : len(patch) - s + k]
        a = window - window.mean()
        scores.append(float((a * core).sum() / np.sqrt((a * a).sum() * (core * core).sum() + 1e-9)))
    best = int(np.argmax(scores))
    sub = 0.0
    if 0 < best < len(scores) - 1:
        curve = scores[best - 1] - 2 * scores[best] + scores[best + 1]
        sub = 0.5 * (scores[best - 1] - scores[best + 1]) / curve if curve < 0 else 0.0
    # The feature sits k rows lower in the patch when the window must start k rows later: a rise is -k.
    return -(best - s + sub) / PATCH_PX, scores[best]


def brow_height(points: np.ndarray, brow: np.ndarray, side: str) -> float:
    """Mean height of the brow points above the eye corners' line, eye widths."""
    centre, _, up, width = eye_frame(points, side)
    return float(np.mean((points[brow, :2] - centre) @ up) / width)


def frames_of(clip: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    import cv2

    cap = cv2.VideoCapture(str(clip))
    out, index = {}, 0
    while index <= max(wanted):
        ok, frame = cap.read()
        if not ok:
            break
        if index in wanted:
            out[index] = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        index += 1
    cap.release()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brow-pair-weight", type=float, help="the fit's brow pair weight (default: FitConfig's)")
    args = parser.parse_args()
    if not CLIPS.is_dir():
        print(f"no clips at {CLIPS}; nothing to measure")
        return 1
    from engine.face_model.model import load_face_model
    from engine.fitting.clip_fit import fit_clip
    from engine.landmark_pass import collect_landmarks
    from engine.progress import make_reporter
    from engine.track import fit_targets
    from engine.track_config import TrackConfig

    model = load_face_model()
    names = list(model.expression_names)
    up_channels = [names.index(n) for n in BROWS_UP]
    cfg = TrackConfig()
    if args.brow_pair_weight is not None:
        cfg = dataclasses.replace(cfg, fit=dataclasses.replace(cfg.fit, brow_pair_weight=args.brow_pair_weight))
    with LABELS.open("rb") as f:
        persons = [p for p in tomllib.load(f)["person"] if p["neutral"] and (p.get("surprise") or p.get("raise"))]
    print(f"{'person':8s} {'split':8s} {'frame':>5s} {'brow':5s} {'image':>6s} {'ncc':>5s} {'mediapipe':>9s} "
          f"{'ratio':>5s}  {'fit: brow cm':>12s} {'corners cm':>10s} {'brows up':>8s}")  # fmt: skip
    ratios = []
    for person in persons:
        clip = CLIPS / person["clip"]
        raised = sorted(person.get("surprise", []) + person.get("raise", []))
        lm = collect_landmarks(clip, cfg, make_reporter("none"))
        targets = fit_targets(lm, cfg, model)
        fit = fit_clip(targets, lm.point_ids, model, cfg.fit, eye_closed=lm.p_closed)
        model_points = fit.pose.view_to_model(targets)  # (T, 478, 3) cm
        gray = frames_of(clip, set(person["neutral"]) | set(raised))
        for side in ("left", "right"):
            brow = model.regions.brow[side]
            corners = np.array(EYE_CORNERS[side])
            template = np.median([brow_patch(gray[i], lm.points[i], side) for i in person["neutral"]], axis=0)
            rest_height = np.mean([brow_height(lm.points[i], brow, side) for i in person["neutral"]])
            rest_model = model_points[person["neutral"]].mean(axis=0)
            for i in raised:
                image, score = vertical_shift(brow_patch(gray[i], lm.points[i], side), template)
                detected = brow_height(lm.points[i], brow, side) - rest_height
                ratio = detected / image if abs(image) >= 0.05 else float("nan")
                if np.isfinite(ratio):
                    ratios.append(ratio)
                rise = model_points[i] - rest_model
                print(
                    f"{person['name']:8s} {person['split']:8s} {i:5d} {side:5s} {image:+6.3f} {score:5.2f} "
                    f"{detected:+9.3f} {ratio:5.2f}  {rise[brow, 1].mean():+12.2f} {rise[corners, 1].mean():+10.2f} "
                    f"{fit.expression[i, up_channels].mean():8.2f}"
                )
    r = np.array(ratios)
    print(
        f"MediaPipe's brow rise over the image's, {len(r)} brows with an image rise >= 0.05 eye widths: "
        f"median {np.median(r):.2f}, range {r.min():.2f} to {r.max():.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
