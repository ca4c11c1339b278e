"""Pass 1 of a long clip in concurrent parts: consecutive time ranges, each with its own landmark graph.

MediaPipe's Face Mesh graph runs on one core and releases the GIL while it works, so two graphs in two threads,
each on its own half of a clip, take about half the time of one graph on the whole clip (d10, 448 frames on this
project's 2-core machine: 0.53x; with decoding, eye state and the fit, a whole 900-frame take 0.81x in the latest
run: README "Measured").

Each part opens the source at its own start time (:func:`engine.video_source.open_source` seeks and decodes
forward to it), so parts never share a frame and together hold every frame of the range: ``[start, t1)``,
``[t1, t2)``, ..., ``[t_n, end)`` in source time. A part's tracker starts fresh, and Face Mesh's first frames after
a detection are off (on d10, 23 px on the first frame, 8 px on the second, 0.5 px by the fourth, where one piece's
tracking has converged), so every part after the first starts reading ``warmup_frames`` before its range and
keeps none of them. Tracked in parts, a take then differs from one tracked in one piece as two trackers differ
(d10: a median 0.2 px after the boundary, as tracking's path depends on its past).

The first part runs in the calling thread and writes straight to the caller's sink; the other parts run in worker
threads into sinks of their own, replayed in order once the first is done. Progress is reported from the calling
thread only (a reporter may raise there to cancel the take), as the frames of all parts together. Whatever ends a
part early (an error, a cancel, an interrupt) stops the others at their next frame.
"""

from __future__ import annotations

import dataclasses
import math
import os
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["MAX_AUTO_PARTS", "LandmarkPartsConfig", "PartProgress", "PartsStopped", "run_parts"]

R = TypeVar("R")
WAIT_POLL_S = 0.05  # how often the calling thread reports progress while it waits for the other parts
# Parts by default on a machine with many cores: each graph and face detector holds about 25 MB, and a part's start
# (its graphs, the seek to its first frame) pays off only over a few hundred frames. Measured on 2 cores only.
MAX_AUTO_PARTS = 4


@dataclasses.dataclass(frozen=True)
class LandmarkPartsConfig:
    """How a clip's pass 1 is split into concurrent parts.

    Attributes:
        parts: landmark graphs run at once, each on a consecutive part of the clip (1: one graph, one piece); None:
            one per core this process may run on, at most :data:`MAX_AUTO_PARTS` (:meth:`graphs`). A farm that
            already runs one take per core wants 1.
        min_part_frames: a clip is split only into parts of at least this many frames: a part's graph costs
            about as much to start as Face Mesh takes for a few dozen frames.
        warmup_frames: frames a later part reads (and drops) before its range, so its tracker has converged.
    """

    parts: int | None = None
    min_part_frames: int = 60
    warmup_frames: int = 10

    def __post_init__(self) -> None:
        if (self.parts is not None and self.parts < 1) or self.min_part_frames < 1 or self.warmup_frames < 0:
            raise ValueError(f"LandmarkPartsConfig: parts and min_part_frames must be >= 1, warmup_frames >= 0: {self}")

    def graphs(self) -> int:
        """How many parts at most: ``parts``, or one per core this process may run on (at most 4)."""
        if self.parts is not None:
            return self.parts
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
        return max(1, min(MAX_AUTO_PARTS, cores))

    def bounds(self, start: float, fps: float, frame_count: int | None) -> list[float]:
        """Start times (seconds of the source) of the parts of a range that starts at ``start``.

        ``[start]`` (one part) when the range's frame count is unknown or too short to split.

        Example:
            >>> LandmarkPartsConfig(parts=2, min_part_frames=60).bounds(1.0, 30.0, 300)
            [1.0, 6.0]
            >>> LandmarkPartsConfig(parts=2, min_part_frames=60).bounds(0.0, 30.0, 100)
            [0.0]
        """
        if frame_count is None or not fps > 0:
            return [start]
        count = max(1, min(self.graphs(), frame_count // self.min_part_frames))
        return [start + math.floor(i * frame_count / count) / fps for i in range(count)]


class PartsStopped(Exception):
    """Raised at a part's next frame once another part has ended early (it is not an error of its own)."""


class PartProgress:
    """A part's frame counter: :meth:`frame` after each frame; the calling thread's part also reports the total."""

    def __init__(
        self, counts: list[int], index: int, stop: threading.Event, report: Callable[[int], None] | None
    ) -> None:
        self._counts, self._index, self._stop, self._report = counts, index, stop, report

    def frame(self) -> None:
        """One more frame done. Raises :class:`PartsStopped` if another part ended early."""
        if self._stop.is_set():
            raise PartsStopped
        self._counts[self._index] += 1  # each part writes only its own count
        if self._report is not None:
            self._report(sum(self._counts))


def run_parts(parts: Sequence[Callable[[PartProgress], R]], report: Callable[[int], None]) -> list[R]:
    """Run ``parts[0]`` in this thread and the others in worker threads; their results, in order.

    Args:
        parts: each takes its :class:`PartProgress` and calls ``frame()`` after every frame.
        report: ``report(frames)`` with the frames of all parts so far; called from this thread only, so it may
            raise to cancel (the other parts stop at their next frame and the exception propagates).

    Raises:
        Whatever a part raised: the first part's own exception first, else the earliest worker's.
    """
    stop = threading.Event()
    counts = [0] * len(parts)
    results: list = [None] * len(parts)
    errors: list[BaseException | None] = [None] * len(parts)

    def work(i: int) -> None:
        try:
            results[i] = parts[i](PartProgress(counts, i, stop, None))
        except PartsStopped:
            pass
        except BaseException as err:  # handed to the calling thread
            errors[i] = err
            stop.set()

    workers = [threading.Thread(target=work, args=(i,), name=f"landmark-part-{i}", daemon=True) for i in
               range(1, len(parts))]  # fmt: skip
    for worker in workers:
        worker.start()
    try:
        try:
            results[0] = parts[0](PartProgress(counts, 0, stop, report))
        except PartsStopped:
            pass  # a worker failed: its error is raised below
        reported = sum(counts)
        while any(w.is_alive() for w in workers) and not stop.is_set():
            for worker in workers:
                worker.join(WAIT_POLL_S)
            if sum(counts) != reported:
                reported = sum(counts)
                report(reported)
    finally:
        stop.set()  # no-op if every part finished; else the others stop at their next frame
        for worker in workers:
            worker.join()
    for err in errors:
        if err is not None:
            raise err
    return results
