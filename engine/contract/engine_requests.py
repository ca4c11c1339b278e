"""Requests to a served engine: one JSON object per line on the stdin of ``python -m engine serve``.

The add-on keeps one engine process per Blender session and sends it a request for every take; a farm task or a
script may do the same (a file of requests piped in). Every request carries an ``"id"`` (an integer the sender
chooses, unique among its requests) and a ``"command"``::

    {"id": 1, "command": "track", "input": "/clips/a.mp4", "output": "/takes/a.npz"}
    {"id": 2, "command": "track", "input": "/clips/b.mp4", "output": "/takes/b.npz", "start": 2.5, "end": 8,
     "identity": "/takes/a.npz", "neutral": "1.5", "no_filter": true, "backend": "mediapipe"}
    {"id": 3, "command": "track", "input": "/shots/", "output": "/takes/shots.npz", "fps": 24}
    {"id": 4, "command": "info", "take": "/takes/a.npz"}
    {"id": 5, "command": "cancel", "target": 2}

- ``track``: the options of ``python -m engine track`` (:meth:`TrackTake.argv` is that command line, so a served
  take and a command-line take are the same take); optional keys may be left out.
- ``info``: validate a take and summarise it (``python -m engine info``).
- ``cancel``: stop request ``target`` (the take being tracked, or one still waiting); the engine stays up.

Requests run one after another, in the order they arrive; ``cancel`` acts at once. The replies are the progress
protocol's events (:mod:`.progress_events`), each carrying the request's ``"id"``: ``{"ready": true, ...}`` once
when the engine is warm, then for every request progress lines and one last line, ``done`` or ``error`` (a
cancelled request: ``{"error": "cancelled", "cancelled": true, "id": 2}``; a cancel itself gets no reply). At
the end of its input the engine answers the requests it has read, then exits.
"""

from __future__ import annotations

import dataclasses
import json
import math

from .errors import UserError

__all__ = [
    "Cancel",
    "Request",
    "RequestError",
    "TakeInfo",
    "TrackTake",
    "decode_request",
    "encode_request",
]

_ID, _COMMAND = "id", "command"


class RequestError(UserError):
    """A request line is not a valid request (not JSON, unknown command or key, wrong type); the message says why."""


@dataclasses.dataclass(frozen=True)
class TrackTake:
    """Track ``input`` into the take ``output`` (``python -m engine track INPUT -o OUTPUT ...``).

    Attributes:
        input: a video file, an image folder, a glob (``'shots/*.png'``) or an image.
        output: the take file to write (``.npz``).
        start, end: the time range to track, seconds (None = from the start / to the end).
        fps: an image sequence's frame rate (None: 30), or a video's whose file gives none (``--fps``).
        identity: an earlier take whose actor identity is reused, or None.
        neutral: the actor at rest (``--neutral``): a time in the clip in seconds or a photo's path, or None.
        no_filter: store the unfiltered streams as the filtered ones too.
        backend: the landmark detector (``"mediapipe"`` or ``"fan"``).
    """

    input: str
    output: str
    start: float | None = None
    end: float | None = None
    identity: str | None = None
    neutral: str | None = None
    no_filter: bool = False
    fps: float | None = None
    backend: str = "mediapipe"

    command = "track"

    def argv(self, *options: str) -> list[str]:
        """The engine command line of this take, after ``python -m engine``, with ``options`` (``--progress``
        ``jsonl``) among its options.

        The input comes after ``--`` and every path as ``--option=VALUE``: a name that starts with ``-`` is a name,
        never an option (``"input": "--sample"`` tracked the built-in sample).

        Example:
            >>> TrackTake("a.mp4", "a.npz", start=2.5, neutral="1.5").argv()
            ['track', '--output=a.npz', '--start', '2.5', '--neutral=1.5', '--', 'a.mp4']
        """
        argv = ["track", f"--output={self.output}"]
        if self.start is not None:
            argv += ["--start", _exact(self.start)]
        if self.end is not None:
            argv += ["--end", _exact(self.end)]
        if self.identity:
            argv.append(f"--identity={self.identity}")
        if self.neutral:
            argv.append(f"--neutral={self.neutral}")
        if self.no_filter:
            argv.append("--no-filter")
        if self.fps is not None:
            argv += ["--fps", _exact(self.fps)]
        if self.backend != "mediapipe":
            argv += ["--backend", self.backend]
        return [*argv, *options, "--", self.input]


@dataclasses.dataclass(frozen=True)
class TakeInfo:
    """Validate the take file ``take`` and summarise it (``python -m engine info TAKE``)."""

    take: str

    command = "info"


@dataclasses.dataclass(frozen=True)
class Cancel:
    """Stop request ``target``: the take being tracked (its partial output is not kept) or one still waiting."""

    target: int

    command = "cancel"


Request = TrackTake | TakeInfo | Cancel
_KINDS: dict[str, type] = {kind.command: kind for kind in (TrackTake, TakeInfo, Cancel)}


def encode_request(request_id: int, request: Request) -> str:
    """One request line (no newline); keys left at their defaults are left out.

    Example:
        >>> encode_request(7, TrackTake("a.mp4", "a.npz", end=3.0))
        '{"id": 7, "command": "track", "input": "a.mp4", "output": "a.npz", "end": 3.0}'
        >>> encode_request(8, Cancel(7))
        '{"id": 8, "command": "cancel", "target": 7}'
    """
    record: dict = {_ID: int(request_id), _COMMAND: request.command}
    for field in dataclasses.fields(request):
        value = getattr(request, field.name)
        if field.default is dataclasses.MISSING or value != field.default:
            record[field.name] = value
    return json.dumps(record)


def decode_request(line: str) -> tuple[int, Request]:
    """``(id, request)`` from one request line.

    Raises:
        RequestError: not a JSON object, no integer ``id``, unknown ``command``, a missing, unknown or mistyped key.

    Example:
        >>> decode_request('{"id": 3, "command": "info", "take": "a.npz"}')
        (3, TakeInfo(take='a.npz'))
    """
    try:
        record = json.loads(line)
    except ValueError:
        raise RequestError(f"not JSON: {line[:80]!r}") from None
    if not isinstance(record, dict):
        raise RequestError("a request is a JSON object")
    request_id = record.pop(_ID, None)
    if not _is_int(request_id) or request_id < 0:
        raise RequestError('a request needs an "id": a non-negative integer')
    command = record.pop(_COMMAND, None)
    kind = _KINDS.get(command) if isinstance(command, str) else None
    if kind is None:
        raise RequestError(f'request {request_id}: unknown "command" {command!r}; one of: {", ".join(_KINDS)}')
    fields = {f.name: f for f in dataclasses.fields(kind)}
    unknown = sorted(set(record) - set(fields))
    if unknown:
        raise RequestError(f"request {request_id} ({command}): unknown key(s) {', '.join(unknown)}")
    values = {}
    for name, field in fields.items():
        if name not in record:
            if field.default is dataclasses.MISSING:
                raise RequestError(f'request {request_id} ({command}): "{name}" is missing')
            continue
        values[name] = _checked(request_id, command, name, field.type, record[name])
    return request_id, kind(**values)


def _exact(value: float) -> str:
    """A number as the command line gets it, every digit kept (``:g`` kept six: a served take started a frame off
    on a long recording).

    >>> _exact(12345.678), _exact(23.976023976023978), _exact(2.0), _exact(3)
    ('12345.678', '23.976023976023978', '2', '3')
    """
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _checked(request_id: int, command: str, name: str, annotation: str, value):
    """``value`` if it fits the field's annotation (a string under ``from __future__ import annotations``)."""
    optional = annotation.endswith("| None")
    if value is None and optional:
        return None
    base = annotation.removesuffix("| None").strip()
    if base == "str" and isinstance(value, str) and value:
        return value
    if base == "str" and name == "neutral" and (_is_int(value) or isinstance(value, float)):
        return _exact(value)  # a time in seconds given as a number
    if base == "float" and (_is_int(value) or isinstance(value, float)) and math.isfinite(value):
        return float(value)
    if base == "int" and _is_int(value) and value >= 0:
        return value
    if base == "bool" and isinstance(value, bool):
        return value
    raise RequestError(f'request {request_id} ({command}): "{name}" must be {_describe(base)}, got {value!r}')


def _describe(base: str) -> str:
    return {"str": "a non-empty string", "float": "a finite number", "int": "a non-negative integer"}.get(
        base, "true or false"
    )
