"""Benchmark: the fixed cost of a take. Time to first frame and whole time, process start included (prints figures).

    .venv/bin/python tests/benchmarks/bench_startup.py              # clips cut from ../shared/data/clips/d10.mp4
    .venv/bin/python tests/benchmarks/bench_startup.py --runs 9 --clip CLIP.mp4

For clips of 1, 90 and 900 frames (cut from the clip, looped when it is shorter; without ../shared, the
public-domain portrait moving, 512x512 at 30 fps), whole processes run in turn, A B A B ...:

- A: ``python -m engine track CLIP -o TAKE.npz --progress jsonl`` (decode, landmarks, eye state, fit, filter, write);
- B: a bare MediaPipe Face Mesh pass over the same frames with its own start (``mediapipe_pass.py``).

The engine's own start: a 1-frame ``track`` against a 1-frame pass that imports mediapipe as the engine does
(``mediapipe_pass.py --engine-import``, without its drawing helpers and Tasks API), so only the engine's own
work (its imports, the face model, the fit, the take) is left in the difference.

On clips of 150, 300 and 900 frames the engine also runs against itself reading the clip in one piece
(``--parts 1``): what reading it in parts at once (the default: one per core, :mod:`engine.landmark_parts`; a clip
of 120 frames or more) saves.

Time to first frame is from starting the process to its first frame's progress line; whole is to its exit.
Medians over the runs, and the median of the per-pair ratios A / B.

Python's bytecode cache is on (``PYTHONDONTWRITEBYTECODE`` is dropped), as it is for a user after the first run.

Then the warm engine as the add-on runs it (``python -m engine serve`` through ``blender_addon.pure.engine_server``,
the Track button's path): after a first take, each further take's time from the request to its first frame and to
the finished take, against the one-process ``track`` above.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
DEFAULT_CLIP = REPO.parent / "shared" / "data" / "clips" / "d10.mp4"
CLIP_FRAMES = (1, 90, 900)
PARTS_CLIP_FRAMES = (150, 300, 900)  # read in parts against one piece
MEDIAPIPE_PASS = Path(__file__).resolve().parent / "mediapipe_pass.py"


def cut_clip(src: Path | None, dst: Path, frames: int) -> Path:
    """``frames`` frames of ``src`` (looped if shorter), or of the moving portrait when ``src`` is None."""
    import cv2
    import numpy as np

    if src is None:
        import skimage.data

        img = skimage.data.astronaut()[:, :, ::-1]
        source = []
        for t in range(300):
            m = cv2.getRotationMatrix2D((256, 200), 5.0 * np.sin(t / 9.0), 1.0)
            source.append(cv2.warpAffine(img, m, (512, 512), borderMode=cv2.BORDER_REFLECT))
        fps = 30.0
    else:
        cap = cv2.VideoCapture(str(src))
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        source = []
        while len(source) < frames:
            ok, f = cap.read()
            if not ok:
                break
            source.append(f)
    h, w = source[0].shape[:2]
    writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for i in range(frames):
        writer.write(source[i % len(source)])
    writer.release()
    return dst


def timed_run(command: list[str]) -> tuple[float, float]:
    """(seconds to the first frame's progress line, seconds to exit) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first = float("nan")
    assert proc.stdout is not None
    for line in proc.stdout:
        if first != first and line.startswith("{") and json.loads(line).get("frame") == 1:
            first = time.perf_counter() - start
    code = proc.wait()
    whole = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit status {code}")
    return first, whole


def engine_command(clip: Path, out: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "engine", "track", str(clip), "-o", str(out), "--progress", "jsonl", *options]


def one_process_figures(clip: Path, out: Path, runs: int, *, engine_import: bool = False) -> dict[str, list[float]]:
    bare = [sys.executable, str(MEDIAPIPE_PASS), str(clip)] + (["--engine-import"] if engine_import else [])
    return paired_figures(engine_command(clip, out), bare, runs)


def paired_figures(a: list[str], b: list[str], runs: int) -> dict[str, list[float]]:
    """Time to first frame and whole time of commands ``a`` and ``b``, run in turn ``runs`` times each."""
    timed_run(a), timed_run(b)  # warm-up: the disk cache, not counted
    figures: dict[str, list[float]] = {k: [] for k in ("a_first", "a_whole", "b_first", "b_whole")}
    for _ in range(runs):
        for key, command in (("a", a), ("b", b)):
            first, whole = timed_run(command)
            figures[f"{key}_first"].append(first)
            figures[f"{key}_whole"].append(whole)
    return figures


def served_figures(clip: Path, out_dir: Path, takes: int) -> tuple[list[float], list[float]]:
    """(seconds from the request to the first frame, to the finished take) of takes 2.. on one served engine."""
    from blender_addon.pure import bridge, engine_server

    service = engine_server.EngineService()
    first, whole = [], []
    try:
        for i in range(takes + 1):
            request = bridge.TrackRequest(
                python=sys.executable, root=str(REPO), source=str(clip), output=str(out_dir / f"served{i}.npz")
            )
            start = time.perf_counter()
            job = service.start_tracking(request)
            seen_first = float("nan")
            while job.poll() is bridge.JobState.RUNNING:
                if seen_first != seen_first and job.frame >= 1:
                    seen_first = time.perf_counter() - start
                time.sleep(0.002)
            if job.state is not bridge.JobState.DONE:
                raise SystemExit(f"served take failed: {job.message}")
            if i:  # the first take starts the engine
                first.append(seen_first)
                whole.append(time.perf_counter() - start)
    finally:
        service.stop()
    return first, whole


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP if DEFAULT_CLIP.is_file() else None)
    parser.add_argument("--runs", type=int, default=5, help="pairs of runs per clip (default 5)")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # every process started from here caches its bytecode
    tmp = Path(tempfile.mkdtemp())
    source = args.clip.name if args.clip else "the moving portrait (no ../shared)"
    print(f"clips cut from {source}; {args.runs} runs each, A and B in turn; medians (ratios: median of pairs)")
    clips = {}
    for frames in CLIP_FRAMES:
        clip = clips[frames] = cut_clip(args.clip, tmp / f"clip{frames}.mp4", frames)
        f = one_process_figures(clip, tmp / f"take{frames}.npz", args.runs)
        ratio_first = median([a / b for a, b in zip(f["a_first"], f["b_first"], strict=True)])
        ratio_whole = median([a / b for a, b in zip(f["a_whole"], f["b_whole"], strict=True)])
        print(
            f"{frames:4d} frames: first frame {median(f['a_first']):.3f} s vs {median(f['b_first']):.3f} s "
            f"({ratio_first:.2f}x), whole {median(f['a_whole']):.3f} s vs {median(f['b_whole']):.3f} s "
            f"({ratio_whole:.2f}x)   [engine track vs bare MediaPipe pass]"
        )
    for frames in PARTS_CLIP_FRAMES:
        clip = clips.get(frames) or cut_clip(args.clip, tmp / f"clip{frames}.mp4", frames)
        out = tmp / f"take{frames}.npz"
        f = paired_figures(engine_command(clip, out), engine_command(clip, out, "--parts", "1"), args.runs)
        print(
            f"{frames:4d} frames: whole {median(f['a_whole']):.3f} s vs {median(f['b_whole']):.3f} s "
            f"({median([a / b for a, b in zip(f['a_whole'], f['b_whole'], strict=True)]):.2f}x)   "
            "[engine track, in parts at once (the default: one per core) vs in one piece (--parts 1)]"
        )
    own = one_process_figures(clips[1], tmp / "take1.npz", args.runs, engine_import=True)
    extra = [a - b for a, b in zip(own["a_whole"], own["b_whole"], strict=True)]
    print(
        f"engine's own start: 1-frame track {median(own['a_whole']):.3f} s vs a 1-frame MediaPipe pass importing "
        f"mediapipe as the engine does {median(own['b_whole']):.3f} s: +{median(extra):.3f} s (median of pairs)"
    )
    first, whole = served_figures(clips[90], tmp, takes=args.runs)
    print(
        f"warm engine (python -m engine serve, the add-on's Track), 90 frames, takes 2-{args.runs + 1}: "
        f"first frame {1000 * median(first):.0f} ms after the request (max {1000 * max(first):.0f} ms), "
        f"whole take {median(whole):.3f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
