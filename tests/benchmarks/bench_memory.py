"""Peak memory of a whole ``track`` run, 1 minute vs 1 hour of 30 fps video (issue 9: flat memory for long clips).

The clips are made by looping a real clip from ``../shared/data/clips`` (or, without it, the public-domain portrait
drifting) to 1 minute and to 1 hour; each is tracked by ``python -m engine track`` in its own process, and the
process's peak resident memory (``VmHWM``, read by a wrapper just before the process exits) is printed::

    .venv/bin/python tests/benchmarks/bench_memory.py              # 1 min and 60 min (about 15 minutes)
    .venv/bin/python tests/benchmarks/bench_memory.py --minutes 1 10
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
CLIPS = REPO.parent / "shared" / "data" / "clips"
WRAPPER = """
import sys, runpy
from engine.cli import main
code = main(sys.argv[1:])
peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print('VMHWM_KB', peak, file=sys.stderr)
sys.exit(code)
"""


def source_frames(limit: int = 300) -> list[np.ndarray]:
    clips = sorted(CLIPS.glob("*.mp4")) if CLIPS.is_dir() else []
    frames = []
    if clips:
        cap = cv2.VideoCapture(str(clips[0]))
        while len(frames) < limit:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame)
        cap.release()
    if not frames:
        import skimage.data

        img = np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])
        for t in range(limit):
            m = cv2.getRotationMatrix2D((256, 200), 4.0 * np.sin(t / 9.0), 1.0)
            frames.append(cv2.warpAffine(img, m, (512, 512), borderMode=cv2.BORDER_REFLECT))
    return frames


def write_looped(path: Path, frames: list[np.ndarray], count: int, fps: float = 30.0) -> None:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    loop = frames + frames[-2:0:-1]  # forwards then backwards: no jump at the loop point
    for i in range(count):
        writer.write(loop[i % len(loop)])
    writer.release()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1.0, 60.0])
    args = parser.parse_args()
    frames = source_frames()
    print(f"source: {frames[0].shape[1]}x{frames[0].shape[0]}, looped from {len(frames)} frames", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for minutes in args.minutes:
            count = int(round(minutes * 60 * 30))
            clip = Path(tmp) / f"loop_{minutes:g}min.mp4"
            write_looped(clip, frames, count)
            out = Path(tmp) / f"loop_{minutes:g}min.npz"
            t0 = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-c", WRAPPER, "track", str(clip), "-o", str(out), "--progress", "none"],
                cwd=REPO,
                capture_output=True,
                text=True,
            )
            wall = time.perf_counter() - t0
            if run.returncode != 0:
                sys.exit(f"track failed: {run.stderr[-2000:]}")
            peak_mb = int(run.stderr.split("VMHWM_KB")[1].split()[0]) / 1024
            results.append((minutes, count, peak_mb, wall, out.stat().st_size / 1e6))
            size_mb = results[-1][4]
            print(f"{minutes:g} min ({count} frames): peak RSS {peak_mb:.0f} MB, {wall:.0f} s, take {size_mb:.0f} MB")
            clip.unlink()
            out.unlink()
        if len(results) >= 2:
            base = results[0][2]
            for minutes, _, peak, _, _ in results[1:]:
                print(f"{minutes:g} min vs {results[0][0]:g} min: {100 * (peak / base - 1):+.1f} % peak memory")


if __name__ == "__main__":
    main()
