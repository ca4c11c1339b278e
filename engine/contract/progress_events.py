"""The engine's progress protocol: one JSON object per line on stdout, written by the engine, read by the add-on.

``python -m engine track ... --progress jsonl`` prints, each line flushed as soon as it is written:

- progress: ``{"frame": 10, "total": 216, "fps": 71.2}`` (``total`` null when unknown; ``fps`` 0.0 until two
  updates have been seen)
- success, last line: ``{"done": true, "output": "/abs/path.npz", "frames": 216}``
- failure, last line: ``{"error": "message"}``

A served engine (``python -m engine serve``, requests in :mod:`.engine_requests`) writes the same events, each
with the ``"id"`` of the request it answers (``{"frame": 10, "total": 216, "fps": 71.2, "id": 3}``), plus:

- once, when it is warm and reading requests: ``{"ready": true, "version": "0.2.0"}``
- a cancelled request's last line: ``{"error": "cancelled", "cancelled": true, "id": 3}``
- the answer to ``info``: ``{"done": true, "output": "/abs/take.npz", "frames": 216, "summary": "...", "id": 4}``

Lines that are not JSON objects of one of these kinds (a library's log line) are not events: readers skip them.
"""

from __future__ import annotations

import dataclasses
import json

__all__ = ["Done", "Event", "Failed", "Progress", "Ready", "decode_event", "encode_event"]

_FRAME, _TOTAL, _FPS = "frame", "total", "fps"
_DONE, _OUTPUT, _FRAMES, _SUMMARY = "done", "output", "frames", "summary"
_ERROR, _CANCELLED = "error", "cancelled"
_READY, _VERSION = "ready", "version"
_ID = "id"


@dataclasses.dataclass(frozen=True)
class Progress:
    """``frame`` frames processed of ``total`` (None if unknown), at ``fps`` frames per second.

    ``request``: the id of the served request this answers (None from ``track --progress jsonl``).
    """

    frame: int
    total: int | None
    fps: float
    request: int | None = dataclasses.field(default=None, kw_only=True)


@dataclasses.dataclass(frozen=True)
class Done:
    """The job succeeded and wrote ``output`` (absolute path) with ``frames`` frames.

    ``summary``: the take's summary (the answer to a served ``info`` request), else None. ``request``: as for
    :class:`Progress`.
    """

    output: str
    frames: int
    summary: str | None = dataclasses.field(default=None, kw_only=True)
    request: int | None = dataclasses.field(default=None, kw_only=True)


@dataclasses.dataclass(frozen=True)
class Failed:
    """The job failed with a user-facing ``message``; ``cancelled`` when it was stopped on request.

    ``request``: as for :class:`Progress`.
    """

    message: str
    cancelled: bool = dataclasses.field(default=False, kw_only=True)
    request: int | None = dataclasses.field(default=None, kw_only=True)


@dataclasses.dataclass(frozen=True)
class Ready:
    """A served engine is warm and reads requests; ``version`` is the engine's version."""

    version: str


Event = Progress | Done | Failed | Ready


def encode_event(event: Event) -> str:
    """One protocol line (no newline) for ``event``.

    Example:
        >>> encode_event(Progress(10, 216, 71.2)), encode_event(Done("/t.npz", 216)), encode_event(Failed("no face"))
        ('{"frame": 10, "total": 216, "fps": 71.2}', '{"done": true, "output": "/t.npz", "frames": 216}', \
'{"error": "no face"}')
        >>> encode_event(Failed("cancelled", cancelled=True, request=3))
        '{"error": "cancelled", "cancelled": true, "id": 3}'
    """
    if isinstance(event, Progress):
        total = None if event.total is None else int(event.total)
        record = {_FRAME: int(event.frame), _TOTAL: total, _FPS: round(float(event.fps), 1)}
    elif isinstance(event, Done):
        record = {_DONE: True, _OUTPUT: str(event.output), _FRAMES: int(event.frames)}
        if event.summary is not None:
            record[_SUMMARY] = str(event.summary)
    elif isinstance(event, Failed):
        record = {_ERROR: str(event.message)}
        if event.cancelled:
            record[_CANCELLED] = True
    elif isinstance(event, Ready):
        return json.dumps({_READY: True, _VERSION: str(event.version)})
    else:
        raise TypeError(f"not a progress event: {event!r}")
    if event.request is not None:
        record[_ID] = int(event.request)
    return json.dumps(record)


def decode_event(line: str) -> Event | None:
    """The event a protocol line carries, or None for any other line.

    Example:
        >>> decode_event('{"frame": 3, "total": null, "fps": 0.0}'), decode_event("INFO: model loaded")
        (Progress(frame=3, total=None, fps=0.0, request=None), None)
        >>> decode_event('{"done": true, "output": "/t.npz", "frames": 5, "id": 2}')
        Done(output='/t.npz', frames=5, summary=None, request=2)
    """
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    try:
        request = record.get(_ID)
        request = None if request is None else int(request)
        if _ERROR in record:
            return Failed(str(record[_ERROR]), cancelled=record.get(_CANCELLED) is True, request=request)
        if record.get(_DONE) is True:
            summary = record.get(_SUMMARY)
            return Done(
                str(record.get(_OUTPUT) or ""),
                int(record.get(_FRAMES) or 0),
                summary=None if summary is None else str(summary),
                request=request,
            )
        if _FRAME in record:
            total = record.get(_TOTAL)
            fps = float(record.get(_FPS) or 0.0)
            return Progress(int(record[_FRAME]), None if total is None else int(total), fps, request=request)
        if record.get(_READY) is True:
            return Ready(str(record.get(_VERSION) or "unknown"))
    except (TypeError, ValueError):
        return None
    return None
