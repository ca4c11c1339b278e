"""Expression recovery on renders of the ICT head with known FaceWarehouse weights, tracked as stills.

Each render shows an identity drawn at random (a seed the model build never used), turned up to +-30 deg of yaw,
with one to three FaceWarehouse expressions at known weights (the shipped full-head shapes, ``face_head.npz``, so
the truth is in the take's own channel space). Every render is tracked by the real engine as a single image
(landmarks, ELAM, identity and expression fit). Printed: per channel the mean absolute error where the channel is
active (truth > 0) and where it is not, and both averaged over channels (balanced: every channel counts once), and
how many channels read low where active (the sign of their mean error).

Two more columns tell where the error comes from: ``exact`` fits the render's exact landmarks (the surface points
projected through the render's camera, with their true depth) instead of MediaPipe's, so it is the fit's own error
(priors, one image for identity and expression, perspective); with ``--gains`` the detector's gain per channel on
renders (:mod:`engine.face_model_build.detector_response`, about 2 minutes more) is printed beside it. ``--floor`` takes
the exact-landmark fit apart: it refits the exact landmarks with, one after another, an orthographic camera (the
fit's own weak perspective, so no perspective error), the render's true identity, the scanned shapes (not as the
detector sees them: :mod:`engine.fitting.detected_shapes`) and the expression priors at a hundredth, and prints the
balanced error after each step.

    .venv/bin/python tests/benchmarks/bench_expression_recovery.py [--renders-per-channel 3] [--seed 7] [--gains]
        [--floor]

Needs ICT-FaceKit in ../shared/data/ict-facekit (to render the full head with its identity modes).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

ICT_DIR = REPO.parent / "shared" / "data" / "ict-facekit"
GAZE = ("EyeDown", "EyeIn", "EyeOut", "EyeUp")


def _truth_weights(rng: np.random.Generator, names: tuple[str, ...], channel: int) -> np.ndarray:
    """The channel at a random weight in [0.3, 1], plus up to two compatible others at lower weights."""
    w = np.zeros(len(names))
    w[channel] = rng.uniform(0.3, 1.0)
    for other in rng.choice(len(names), size=rng.integers(0, 3), replace=False):
        a, b = names[channel], names[other]
        same_family = a.rstrip("_LR") == b.rstrip("_LR") or (a.startswith(GAZE) and b.startswith(GAZE))
        opposite = {a, b} in ({"JawLeft", "JawRight"}, {"MouthLeft", "MouthRight"})
        if other != channel and not same_family and not opposite:
            w[other] = rng.uniform(0.2, 0.6)
    return w


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders-per-channel", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-yaw", type=float, default=30.0)
    parser.add_argument("--gains", action="store_true", help="also measure the detector's gain per channel")
    parser.add_argument("--floor", action="store_true", help="take the exact-landmark error apart, step by step")
    args = parser.parse_args()
    if not (ICT_DIR / "ict_face_model_light.npz").is_file():
        print(f"needs ICT-FaceKit in {ICT_DIR}", file=sys.stderr)
        return 1
    import dataclasses

    import cv2

    from engine.contract.face_head import load_head
    from engine.contract.frames import image_to_view_points
    from engine.face_model.head_render import RenderSetup, head_albedo, render_head
    from engine.face_model.ict_facekit import ICT_PARTS, load_ict_facekit
    from engine.face_model.model import DEFAULT_MODEL_PATH, load_face_model
    from engine.face_model.surface_points import SurfacePoints
    from engine.face_model_build.build import recentred
    from engine.fitting.clip_fit import fit_clip
    from engine.track import track
    from engine.track_config import TrackConfig

    ict, _ = recentred(load_ict_facekit(ICT_DIR))
    albedo = head_albedo(ict)
    head = load_head(DEFAULT_MODEL_PATH.parent / "face_head.npz")
    model = load_face_model()
    names = head.expression_names
    # The head file keeps a subset of ICT's vertices: map its shapes back onto the full ICT head.
    kept = np.isin(ict.part_of_vertex(), [list(ICT_PARTS).index(p) for p in head.part_names])
    full_index = np.flatnonzero(kept)
    deltas = np.zeros((len(names), len(ict.neutral), 3))
    for e in range(len(names)):
        deltas[e, full_index] = head.expression_dense(e)
    points = SurfacePoints(model.landmark_vertices.astype(np.int64), model.landmark_bary.astype(np.float64))
    rng = np.random.default_rng(args.seed)
    truth, fitted, exact = [], [], []
    fit_cfg = TrackConfig().fit
    scanned = dataclasses.replace(fit_cfg, brow_falloff_cm=float("inf"), jaw_depth_gain=1.0)
    floor_steps = {  # name -> (orthographic camera, true identity, fit settings), each adding to the one before
        "exact landmarks": (False, False, fit_cfg),
        "+ orthographic camera": (True, False, fit_cfg),
        "+ true identity": (True, True, fit_cfg),
        "+ scanned shapes": (True, True, scanned),
        "+ priors / 100": (True, True, dataclasses.replace(scanned, expression_prior=0.003, expression_sparsity=0.01)),
    }
    floor: dict[str, list[np.ndarray]] = {name: [] for name in floor_steps}
    count = len(names) * args.renders_per_channel
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(count):
            w = _truth_weights(rng, names, i % len(names))
            setup = RenderSetup(
                identity=rng.normal(0.0, 0.8, ict.identity_deltas.shape[0]),
                delta=np.tensordot(w, deltas, 1),
                yaw_deg=float(rng.uniform(-args.max_yaw, args.max_yaw)),
                pitch_deg=float(rng.uniform(-12, 12)),
                roll_deg=float(rng.uniform(-6, 6)),
                skin_rgb=tuple(np.clip(np.array([0.78, 0.6, 0.5]) * rng.uniform(0.6, 1.1), 0, 1)),
                distance_cm=float(rng.uniform(55, 80)),
            )
            render = render_head(ict, albedo, setup)
            path = Path(tmp) / f"render_{i:04d}.png"
            cv2.imwrite(str(path), render.image_bgr)
            try:
                take = track(path, None, TrackConfig(), model=model)
            except Exception as err:  # noqa: BLE001 (a benchmark reports every failure and carries on)
                print(f"render {i}: {err}", file=sys.stderr)
                continue
            truth.append(w)
            fitted.append(take.expression_raw[0])
            cam = points.evaluate(render.vertices) @ render.rotation.T
            depth = setup.distance_cm - cam[:, 2]
            px = np.stack(
                [setup.size[0] / 2 + setup.offset_px[0] + setup.focal_px * cam[:, 0] / depth,
                 setup.size[1] / 2 + setup.offset_px[1] - setup.focal_px * cam[:, 1] / depth], 1
            )  # fmt: skip
            depth_px = (depth * setup.focal_px / setup.distance_cm)[None]
            view = image_to_view_points(px[None], depth_px)
            exact.append(fit_clip(view, np.arange(len(px)), model, fit_cfg).expression[0])
            if args.floor:  # the same points through a camera without perspective: px = f x / distance
                ortho_px = px + setup.focal_px * cam[:, :2] * [1, -1] * (1 / setup.distance_cm - 1 / depth[:, None])
                ortho = image_to_view_points(ortho_px[None], depth_px)
                for name, (orthographic, true_identity, cfg) in floor_steps.items():
                    known = setup.identity.astype(np.float32) if true_identity else None
                    obs = ortho if orthographic else view
                    floor[name].append(fit_clip(obs, np.arange(len(px)), model, cfg, identity=known).expression[0])
            print(f"\r{i + 1}/{count}", end="", file=sys.stderr)
    print(file=sys.stderr)
    gains = {}
    if args.gains:
        from engine.face_model_build.build import _mediapipe_detector
        from engine.face_model_build.detector_response import measure_detector_response
        from engine.fitting.frame_fit import pose_weights

        pw = pose_weights(model, np.arange(478), TrackConfig().fit)
        _, report = measure_detector_response(ict, albedo, points, deltas, names, pw, _mediapipe_detector())
        gains = report["detector_gain"]
    truth, fitted, exact = np.array(truth), np.array(fitted), np.array(exact)
    active = truth > 0
    print(f"{len(truth)} renders tracked ({count - len(truth)} without a face)")
    print(f"{'channel':16s} {'n':>3s} {'MAE active':>10s} {'inactive':>9s} {'exact: active':>14s} {'inactive':>9s}"
          + (f" {'detector gain':>14s}" if gains else ""))  # fmt: skip
    table = {"mediapipe": ([], []), "exact": ([], [])}
    for c, name in enumerate(names):
        row = f"{name:16s} {active[:, c].sum():3d}"
        for key, values in (("mediapipe", fitted), ("exact", exact)):
            err = np.abs(values - truth)
            on, off = err[active[:, c], c], err[~active[:, c], c]
            table[key][0].append(on.mean() if len(on) else np.nan)
            table[key][1].append(off.mean() if len(off) else np.nan)
            row += f" {table[key][0][-1]:{10 if key == 'mediapipe' else 14}.3f} {table[key][1][-1]:9.3f}"
        print(row + (f" {gains.get(name, float('nan')):14.2f}" if gains else ""))
    for key, (on, off) in table.items():
        print(
            f"{key}: balanced MAE where active {np.nanmean(on):.3f}, where inactive {np.nanmean(off):.3f}, "
            f"both averaged {0.5 * (np.nanmean(on) + np.nanmean(off)):.3f}"
        )
    # Which way the active error goes: a channel read short of its truth on average, or past it.
    for key, values in (("mediapipe", fitted), ("exact", exact)):
        signed = [(values - truth)[active[:, c], c].mean() for c in range(len(names)) if active[:, c].any()]
        low = sum(s < 0 for s in signed)
        print(f"{key}: where active, {low} of {len(signed)} channels read low on average (mean signed error "
              f"{np.mean(signed):+.3f})")  # fmt: skip
    if args.floor:
        print("the exact-landmark error taken apart (balanced MAE where active / inactive):")
        for name, values in floor.items():
            err = np.abs(np.array(values) - truth)
            on = np.nanmean([err[active[:, c], c].mean() if active[:, c].any() else np.nan for c in range(len(names))])
            off = np.nanmean([err[~active[:, c], c].mean() for c in range(len(names))])
            print(f"  {name:24s} {on:.3f} / {off:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
