"""The fit's own recovery, per channel, on exact synthetic clips of the engine's face (the detector out of the loop).

Clips made by ``tests/engine/synthetic_faces.py``: a random identity, three random expressions at 0.3-1 on two
frames of three (every third at rest), head turns up to 30 deg, 0.3 px of noise; fitted as video with the true
identity and no landmark bias, at the default settings. Printed per channel: how far it reads short of its truth
where active (the mean signed error, negative = short) and its mean where not active; then both balanced over the
channels. A channel far short here is held back by the priors or by other shapes even with perfect landmarks: EyeSquint
and EyeOpen read 0.56 and 0.43 short before their priors were lowered in video (``FitConfig.lid_shape_prior_scale``).

    .venv/bin/python tests/benchmarks/bench_synthetic_recovery.py [--clips 4] [--frames 150]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "engine"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--frames", type=int, default=150)
    args = parser.parse_args()

    from synthetic_faces import fit_known_actor, synthetic_clip

    from engine.face_model.model import load_face_model
    from engine.fitting.clip_fit import FitConfig

    model = load_face_model()
    names = model.expression_names
    truth, read = [], []
    for seed in range(100, 100 + args.clips):
        view, identity, weights, _ = synthetic_clip(model, frames=args.frames, seed=seed)
        truth.append(weights)
        read.append(fit_known_actor(view, model, identity, FitConfig()).expression)
    truth, read = np.concatenate(truth), np.concatenate(read)
    active = truth > 0
    rows = []
    for c, name in enumerate(names):
        on = active[:, c]
        if on.sum() < 3:
            continue
        err = (read - truth)[:, c]
        rows.append((err[on].mean(), name, int(on.sum()), np.abs(err[on]).mean(), read[~on, c].mean()))
    print(f"{len(truth)} frames, {args.clips} clips; per channel, worst first")
    header = f"{'signed error where active':>26s} {'MAE where active':>17s} {'mean where not':>15s}"
    print(f"{'channel':16s} {'n':>4s} {header}")
    for short, name, n, mae, off in sorted(rows):
        print(f"{name:16s} {n:4d} {short:+26.3f} {mae:17.3f} {off:15.4f}")
    print(
        f"balanced over {len(rows)} channels: signed error where active {np.mean([r[0] for r in rows]):+.3f}, "
        f"MAE where active {np.mean([r[3] for r in rows]):.3f}, mean where not {np.mean([r[4] for r in rows]):.4f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
