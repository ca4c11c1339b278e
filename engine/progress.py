"""Progress reporting for long jobs: a terminal bar, JSON lines for the Blender add-on, or nothing.

``--progress jsonl`` writes the protocol of :mod:`engine.contract.progress_events` (one JSON object per line on
stdout, flushed), which the add-on reads.

The bar writes one line to stderr, redrawn in place with a carriage return at most
:data:`BAR_MAX_REDRAWS_PER_S` times a second::

    track  [#######.....]  120/216  71.2 fps  ETA 0:01
"""

from __future__ import annotations

import collections
import math
import os
import sys
import time
from collections.abc import Callable
from typing import IO, Literal, Protocol

from .contract.progress_events import Done, Event, Failed, Progress, encode_event

__all__ = [
    "BAR_MAX_REDRAWS_PER_S",
    "BarReporter",
    "FPS_WINDOW_S",
    "JsonlReporter",
    "NullReporter",
    "ProgressReporter",
    "make_reporter",
]

FPS_WINDOW_S = 2.0
"""Frames per second are measured over the updates of the last this-many seconds (a sliding window)."""
BAR_MAX_REDRAWS_PER_S = 10.0
"""Bar redraws per second at most: faster is unreadable and costs terminal time."""
BAR_WIDTH = 24  # characters between the brackets
_MIN_RATE_SPAN_S = 1e-3


class ProgressReporter(Protocol):
    """Receives the progress of one job: ``start``, then ``update`` per frame, then ``done`` or ``error``."""

    def start(self, total: int | None) -> None:
        """The job begins; ``total`` frames expected (None if unknown)."""
        ...

    def update(self, frame: int) -> None:
        """``frame`` frames have been processed so far."""
        ...

    def stage(self, text: str) -> None:
        """The job moved on to work its frame count does not measure (fitting the face): ``text`` says what."""
        ...

    def done(self, output: str, frames: int) -> None:
        """The job succeeded and wrote ``output`` with ``frames`` frames."""
        ...

    def error(self, message: str) -> None:
        """The job failed with a user-facing ``message``."""
        ...


class _RateMeter:
    """Frames per second over a sliding time window."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._samples: collections.deque[tuple[float, int]] = collections.deque()

    def reset(self) -> None:
        self._samples.clear()
        self._samples.append((self._clock(), 0))

    def add(self, frame: int) -> float:
        now = self._clock()
        self._samples.append((now, frame))
        while len(self._samples) > 2 and now - self._samples[1][0] >= FPS_WINDOW_S:
            self._samples.popleft()
        (t0, f0), (t1, f1) = self._samples[0], self._samples[-1]
        # Under a millisecond apart there is no rate to tell (a bar started just as its first item finished).
        return (f1 - f0) / (t1 - t0) if t1 - t0 >= _MIN_RATE_SPAN_S and len(self._samples) >= 2 else 0.0


class NullReporter:
    """Reports nothing."""

    def start(self, total: int | None) -> None:
        pass

    def update(self, frame: int) -> None:
        pass

    def stage(self, text: str) -> None:
        pass

    def done(self, output: str, frames: int) -> None:
        pass

    def error(self, message: str) -> None:
        pass


class JsonlReporter:
    """One JSON object per line on ``stream`` (stdout by default), flushed after every line.

    ``request``: a served request's id, carried by every event (:mod:`engine.serve`); None on the command line.

    Example:
        >>> import io
        >>> s = io.StringIO()
        >>> r = JsonlReporter(s, clock=iter([0.0, 0.5]).__next__)
        >>> r.start(216); r.update(10)
        >>> s.getvalue()
        '{"frame": 10, "total": 216, "fps": 20.0}\\n'
    """

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        request: int | None = None,
    ) -> None:
        self._stream = stream
        self._meter = _RateMeter(clock)
        self._total: int | None = None
        self._request = request

    def start(self, total: int | None) -> None:
        self._total = total
        self._meter.reset()

    def update(self, frame: int) -> None:
        fps = self._meter.add(frame)
        self._write(Progress(int(frame), self._total, fps, request=self._request))

    def stage(self, text: str) -> None:
        pass  # the protocol has no such event: its reader shows the last frame's (the panel: "Fitting the face ...")

    def done(self, output: str, frames: int) -> None:
        self._write(Done(os.path.abspath(output), int(frames), request=self._request))

    def error(self, message: str) -> None:
        self._write(Failed(str(message), request=self._request))

    def _write(self, event: Event) -> None:
        stream = self._stream or sys.stdout
        stream.write(encode_event(event) + "\n")
        stream.flush()


class BarReporter:
    """A one-line text progress bar on ``stream`` (stderr by default), redrawn with a carriage return.

    Example:
        >>> import io
        >>> s = io.StringIO()
        >>> r = BarReporter(s, clock=iter([0.0, 1.0, 1.0]).__next__)
        >>> r.start(4); r.update(2)
        >>> s.getvalue()
        '\\rtrack  [############............]  2/4  2.0 fps  ETA 0:01'
    """

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        label: str = "track",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._label = label
        self._clock = clock
        self._meter = _RateMeter(clock)
        self._total: int | None = None
        self._last_draw = -math.inf
        self._last_width = 0
        self._fps = 0.0
        self._staged = False  # a stage line is under the bar

    def start(self, total: int | None) -> None:
        self._total = total
        self._meter.reset()
        self._last_draw = -math.inf

    def update(self, frame: int) -> None:
        self._fps = self._meter.add(frame)
        now = self._clock()
        if now - self._last_draw < 1.0 / BAR_MAX_REDRAWS_PER_S:
            return
        self._last_draw = now
        self._draw(self._line(frame))

    def stage(self, text: str) -> None:
        """A line of its own under the bar (written over by the next stage, and by ``done``)."""
        if self._last_width and not self._staged:
            self._emit("\n")
        self._staged = True
        self._draw(f"{self._label}  {text}")

    def done(self, output: str, frames: int) -> None:
        line = self._line(frames, finished=True) + f"  -> {output}"
        self._draw(line)
        self._emit("\n")

    def error(self, message: str) -> None:
        if self._last_width:
            self._emit("\n")
        self._emit(f"{self._label}: error: {message}\n")

    def _line(self, frame: int, *, finished: bool = False) -> str:
        parts = [self._label]
        total = self._total
        if total:
            filled = min(BAR_WIDTH, round(BAR_WIDTH * frame / total))
            parts.append("[" + "#" * filled + "." * (BAR_WIDTH - filled) + "]")
            parts.append(f"{frame}/{total}")
        else:
            parts.append(f"{frame} frames")
        parts.append(f"{self._fps:.1f} fps")
        if finished:
            parts.append("done")
        elif total and self._fps > 0:
            parts.append("ETA " + _format_duration(max(0, total - frame) / self._fps))
        return "  ".join(parts)

    def _draw(self, line: str) -> None:
        padding = " " * max(0, self._last_width - len(line))  # erase the tail of a longer previous line
        self._last_width = len(line)
        self._emit("\r" + line + padding)

    def _emit(self, text: str) -> None:
        stream = self._stream or sys.stderr
        stream.write(text)
        stream.flush()


def make_reporter(kind: Literal["bar", "jsonl", "none"], *, stream: IO[str] | None = None) -> ProgressReporter:
    """Create a progress reporter.

    Args:
        kind: ``"bar"`` (text bar on stderr), ``"jsonl"`` (JSON lines on stdout, for the add-on) or ``"none"``.
        stream: write here instead of the default stream (looked up when writing, so redirection works).

    Returns:
        The reporter.

    Raises:
        ValueError: unknown ``kind``.

    Example:
        >>> type(make_reporter("jsonl")).__name__
        'JsonlReporter'
    """
    if kind == "bar":
        return BarReporter(stream)
    if kind == "jsonl":
        return JsonlReporter(stream)
    if kind == "none":
        return NullReporter()
    raise ValueError(f"unknown progress kind {kind!r}; use 'bar', 'jsonl' or 'none'")


def _format_duration(seconds: float) -> str:
    """``M:SS`` (or ``H:MM:SS`` from an hour on)."""
    seconds = int(math.ceil(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
