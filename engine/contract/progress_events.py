"""The engine's progress protocol: one JSON object per line on stdout, written by the engine, read by the add-on.

``python -m engine track ... --progress jsonl`` prints, each line flushed as soon as it is written:

- progress: ``{"frame": 10, "total": 216, "fps": 71.2}`` (``total`` null when unknown; ``fps`` 0.0 until two
  updates have been seen)
- success, last line: ``{"done": true, "output": "/abs/path.npz", "frames": 216}``
- failure, last line: ``{"error": "message"}``

Lines that are not JSON objects of one of these kinds (a library's log line) are not events: readers skip them.
"""

from __future__ import annotations

import dataclasses
import json

__all__ = ["Done", "Event", "Failed", "Progress", "decode_event", "encode_event"]

_FRAME, _TOTAL, _FPS = "frame", "total", "fps"
_DONE, _OUTPUT, _FRAMES = "done", "output", "frames"
_ERROR = "error"


@dataclasses.dataclass(frozen=True)
class Progress:
    """``frame`` frames processed of ``total`` (None if unknown), at ``fps`` frames per second."""

    frame: int
    total: int | None
    fps: float


@dataclasses.dataclass(frozen=True)
class Done:
    """The job succeeded and wrote ``output`` (absolute path) with ``frames`` frames."""

    output: str
    frames: int


@dataclasses.dataclass(frozen=True)
class Failed:
    """The job failed with a user-facing ``message``."""

    message: str


Event = Progress | Done | Failed


def encode_event(event: Event) -> str:
    """One protocol line (no newline) for ``event``.

    Example:
        >>> encode_event(Progress(10, 216, 71.2)), encode_event(Done("/t.npz", 216)), encode_event(Failed("no face"))
        ('{"frame": 10, "total": 216, "fps": 71.2}', '{"done": true, "output": "/t.npz", "frames": 216}', \
'{"error": "no face"}')
    """
    if isinstance(event, Progress):
        total = None if event.total is None else int(event.total)
        record = {_FRAME: int(event.frame), _TOTAL: total, _FPS: round(float(event.fps), 1)}
    elif isinstance(event, Done):
        record = {_DONE: True, _OUTPUT: str(event.output), _FRAMES: int(event.frames)}
    elif isinstance(event, Failed):
        record = {_ERROR: str(event.message)}
    else:
        raise TypeError(f"not a progress event: {event!r}")
    return json.dumps(record)


def decode_event(line: str) -> Event | None:
    """The event a protocol line carries, or None for any other line.

    Example:
        >>> decode_event('{"frame": 3, "total": null, "fps": 0.0}'), decode_event("INFO: model loaded")
        (Progress(frame=3, total=None, fps=0.0), None)
    """
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    try:
        if _ERROR in record:
            return Failed(str(record[_ERROR]))
        if record.get(_DONE) is True:
            return Done(str(record.get(_OUTPUT) or ""), int(record.get(_FRAMES) or 0))
        if _FRAME in record:
            total = record.get(_TOTAL)
            return Progress(int(record[_FRAME]), None if total is None else int(total), float(record.get(_FPS) or 0.0))
    except (TypeError, ValueError):
        return None
    return None
