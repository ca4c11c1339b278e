"""``python -m engine serve``: a warm engine that tracks one request after another in one process.

The add-on keeps one served engine per Blender session, so a second Track press starts at once: the interpreter,
MediaPipe, the face model and MediaPipe's graphs are already up. Requests (:mod:`engine.contract.engine_requests`)
arrive on stdin, one JSON object per line; the replies are the progress protocol's events
(:mod:`engine.contract.progress_events`) on stdout, each carrying its request's id::

    $ python -m engine serve
    {"ready": true, "version": "0.2.0"}
    {"id": 1, "command": "track", "input": "a.mp4", "output": "a.npz"}          <- typed in
    {"frame": 1, "total": 90, "fps": 0.0, "id": 1}
    ...
    {"done": true, "output": "/abs/a.npz", "frames": 90, "id": 1}

How it runs: a reader thread decodes requests as they arrive. ``cancel`` acts at once: it sets the stop flag of
the take in progress (checked at every frame; the take ends with ``{"error": "cancelled", "cancelled": true}``,
and a new take file written just before the cancel was seen is removed; one written over an earlier take cannot be
undone and is reported done) or drops a waiting request. ``track`` and ``info`` requests
queue for the main thread, which runs them in order: a track request becomes the command line it stands for
(:meth:`~engine.contract.engine_requests.TrackTake.argv`), which the command line hands this module to run: its own
parser and ``track`` command (:func:`engine.cli.run_track_argv`), with this process's
:class:`~engine.engine_session.EngineSession`, so a served take is the take ``python -m engine track`` writes
(``tests/engine/test_serve.py``). While it waits for
a request, the engine resets the landmark graphs the last take used.

End of input: the requests already read are still answered, then the engine exits (so a file of requests can be
piped in: ``python -m engine serve < requests.jsonl``). When nobody reads the replies any more (the add-on's
Blender is gone), the take in progress is cancelled and the engine exits.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import logging
import os
import shutil
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from .contract.engine_requests import Cancel, RequestError, TakeInfo, TrackTake, decode_request
from .contract.partial_take import partial_folder
from .contract.progress_events import Done, Event, Failed, Ready, encode_event
from .contract.version import project_version
from .engine_session import EngineSession
from .errors import UserError
from .progress import JsonlReporter, ProgressReporter

__all__ = ["TakeCancelled", "TrackCommand", "serve", "serve_stdio"]

log = logging.getLogger(__name__)

CANCELLED_MESSAGE = "cancelled"


TrackCommand = Callable[[list[str], ProgressReporter, EngineSession], int]
"""Runs one command line (``["track", ...]``) in this process, reporting to the reporter; raises SystemExit for
arguments its parser refuses (having said why on stderr). The command line's :func:`engine.cli.run_track_argv`."""


class TakeCancelled(Exception):
    """The take in progress was cancelled by a request (not an error: the reply says cancelled)."""


@dataclasses.dataclass
class _Job:
    """A track or info request waiting or running; ``stop`` is set by a cancel."""

    id: int
    request: TrackTake | TakeInfo
    stop: threading.Event = dataclasses.field(default_factory=threading.Event)


class _EventWriter:
    """Protocol lines on one stream from two threads, one whole line at a time; notices a reader that is gone."""

    def __init__(self, stream: IO[str], on_gone: Callable[[], None]) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._on_gone = on_gone
        self.gone = False
        self.answered: set[int] = set()  # requests whose last line (done or error) is written

    def write(self, text: str) -> int:
        """Write ``text``, whole lines (the stream interface :class:`~engine.progress.JsonlReporter` writes to)."""
        with self._lock:
            if self.gone:
                return 0
            for line in text.splitlines():
                reply = json.loads(line) if line.startswith("{") else None
                if isinstance(reply, dict) and "id" in reply and ("done" in reply or "error" in reply):
                    self.answered.add(reply["id"])
            try:
                self._stream.write(text)
                self._stream.flush()
            except (BrokenPipeError, ValueError, OSError):  # the reader closed its end (ValueError: stream closed)
                self.gone = True
        if self.gone:
            self._on_gone()
        return len(text)

    def flush(self) -> None:
        """Lines are flushed as they are written."""

    def event(self, event: Event) -> None:
        """Write one event line."""
        self.write(encode_event(event) + "\n")


class _Inbox:
    """Requests as they arrive (reader thread) -> jobs in order (main thread); cancels act at once."""

    def __init__(self, writer: _EventWriter) -> None:
        self._writer = writer
        self._cond = threading.Condition()
        self._waiting: collections.deque[_Job] = collections.deque()
        self._current: _Job | None = None
        self._closed = False

    def read(self, lines: IO[str]) -> None:
        """Read request lines until end of input (run on the reader thread)."""
        try:
            for line in lines:
                if line.strip():
                    self._receive(line)
        except (OSError, ValueError) as err:  # stdin closed under us
            log.debug("request stream ended: %s", err)
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _receive(self, line: str) -> None:
        try:
            request_id, request = decode_request(line)
        except RequestError as err:
            known = _id_of(line)
            with self._cond:
                in_use = known is not None and any(job.id == known for job in self._jobs())
            self._writer.event(Failed(str(err), request=None if in_use else known))  # a running request's id: not
            return
        with self._cond:
            if isinstance(request, Cancel):
                self._cancel(request.target)
                return
            if any(job.id == request_id for job in self._jobs()):  # said without the id: that request's one final
                # line is its own
                self._writer.event(Failed(f"request id {request_id} is already in use: this request was not run"))
                return
            self._waiting.append(_Job(request_id, request))
            self._cond.notify_all()

    def _jobs(self) -> list[_Job]:
        return ([self._current] if self._current is not None else []) + list(self._waiting)

    def _cancel(self, target: int) -> None:
        """Stop the take in progress, or drop a waiting request (a finished or unknown id: nothing to do)."""
        if self._current is not None and self._current.id == target:
            self._current.stop.set()
            return
        for job in list(self._waiting):
            if job.id == target:
                self._waiting.remove(job)
                self._writer.event(Failed(CANCELLED_MESSAGE, cancelled=True, request=job.id))

    def unanswered(self) -> list[_Job]:
        """The request in progress and the waiting ones, taken out (the engine is stopping)."""
        with self._cond:
            jobs = self._jobs()
            self._current = None
            self._waiting.clear()
            return jobs

    def abandon(self) -> None:
        """Nobody reads the replies: stop the take in progress, drop the waiting ones, accept no more."""
        with self._cond:
            self._closed = True
            self._waiting.clear()
            if self._current is not None:
                self._current.stop.set()
            self._cond.notify_all()

    def next_job(self, idle: Callable[[], None]) -> _Job | None:
        """The next request to run (None once the input has ended and every request is answered).

        ``idle`` runs (without the lock) when there is nothing to do yet, before waiting.
        """
        with self._cond:
            self._current = None
            if self._waiting or self._closed:
                return self._take_next()
        idle()
        with self._cond:
            while not self._waiting and not self._closed:
                self._cond.wait()
            return self._take_next()

    def _take_next(self) -> _Job | None:
        self._current = self._waiting.popleft() if self._waiting else None
        return self._current


def _id_of(line: str) -> int | None:
    """The id of an invalid request line, when it has a usable one (so the sender can match the error)."""
    try:
        value = json.loads(line).get("id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class _ServedReporter:
    """A request's progress as events with its id; raises :class:`TakeCancelled` once the request is cancelled."""

    def __init__(self, writer: _EventWriter, job: _Job, *, replaces_existing: bool) -> None:
        self._events = JsonlReporter(writer, request=job.id)  # type: ignore[arg-type]  (a write/flush stream)
        self._stop = job.stop
        self._replaces_existing = replaces_existing

    def start(self, total: int | None) -> None:
        self._check()
        self._events.start(total)

    def update(self, frame: int) -> None:
        self._check()
        self._events.update(frame)

    def stage(self, text: str) -> None:
        self._check()  # a cancel is heard while the face is fitted too, between pieces
        self._events.stage(text)

    def done(self, output: str, frames: int) -> None:
        if not self._replaces_existing:  # cancelled while fitting or writing: the new file is removed
            self._check()
        self._events.done(output, frames)  # (a take written over an earlier one cannot be undone: it is done)

    def error(self, message: str) -> None:
        self._events.error(message)

    def _check(self) -> None:
        if self._stop.is_set():
            raise TakeCancelled


def _run_track(job: _Job, writer: _EventWriter, session: EngineSession, track: TrackCommand) -> None:
    request = job.request
    assert isinstance(request, TrackTake)
    output = Path(request.output)
    existed = output.exists()
    reporter = _ServedReporter(writer, job, replaces_existing=existed)
    try:
        track(request.argv("--progress", "jsonl"), reporter, session)
    except SystemExit:  # the parser has printed why on stderr
        writer.event(Failed(f"request {job.id}: not a valid track request: {request}", request=job.id))
    except TakeCancelled:
        if not existed:
            output.unlink(missing_ok=True)  # written just before the cancel was seen
        shutil.rmtree(partial_folder(output), ignore_errors=True)  # a cancelled take keeps no unfinished run
        writer.event(Failed(CANCELLED_MESSAGE, cancelled=True, request=job.id))
    except UserError as err:
        reporter.error(str(err))
    except OSError as err:  # the system refused a file (a name too long, no permission): the take's, not a bug
        reporter.error(f"cannot read or write {err.filename or 'a file'}: {err.strerror or err}")


def _run_info(job: _Job, writer: _EventWriter) -> None:
    from .contract.take_io import load_take
    from .take_summary import summarize_take

    request = job.request
    assert isinstance(request, TakeInfo)
    try:
        take = load_take(request.take, landmarks=False)  # as `info` reads it: the summary needs no landmarks
        summary = summarize_take(take)
    except UserError as err:
        writer.event(Failed(str(err), request=job.id))
        return
    except OSError as err:  # the system refused the file: the request's, not a bug
        writer.event(Failed(f"cannot read {request.take}: {err.strerror or err}", request=job.id))
        return
    path = os.path.abspath(request.take)
    writer.event(Done(path, take.num_frames, summary=summary, request=job.id))


def serve(requests: IO[str], replies: IO[str], session: EngineSession, track: TrackCommand) -> int:
    """Answer the requests read from ``requests`` on ``replies`` until the input ends; returns the exit status (0).

    Track requests run through ``track``.

    The session is warmed up first (model loaded, the video graphs started); a failure there (a missing model
    file or dependency) is logged, and every take that needs it reports it.
    """
    inbox: _Inbox
    writer = _EventWriter(replies, on_gone=lambda: inbox.abandon())
    inbox = _Inbox(writer)
    try:
        session.warm_up()
    except UserError as err:
        log.warning("not warmed up: %s", err)
    writer.event(Ready(project_version()))  # the first line; requests sent meanwhile wait in the pipe
    threading.Thread(target=inbox.read, args=(requests,), name="engine-requests", daemon=True).start()
    try:
        return _serve_jobs(inbox, writer, session, track)
    except KeyboardInterrupt:  # SIGINT / SIGTERM: every request not answered yet gets its last line
        for job in inbox.unanswered():
            if job.id not in writer.answered:  # a take that wrote its last line just before the stop has it
                writer.event(Failed("interrupted: the engine was stopped", request=job.id))
        raise


def _serve_jobs(inbox: _Inbox, writer: _EventWriter, session: EngineSession, track: TrackCommand) -> int:
    while (job := inbox.next_job(idle=session.backends.refresh)) is not None:
        if job.stop.is_set():
            writer.event(Failed(CANCELLED_MESSAGE, cancelled=True, request=job.id))
            continue
        try:
            if isinstance(job.request, TakeInfo):
                _run_info(job, writer)
            else:
                _run_track(job, writer, session, track)
        except Exception as err:  # a bug: reported as one (traceback on stderr), the next request still runs
            log.exception("request %d failed", job.id)
            writer.event(Failed(f"engine bug: {type(err).__name__}: {err} (see the engine's log)", request=job.id))
    return 0


def serve_stdio(session: EngineSession, track: TrackCommand) -> int:
    """:func:`serve` on this process's stdin and stdout.

    The replies get stdout's file descriptor to themselves: everything else written to stdout (a library's
    print, a C library's output) goes to stderr, so it can never break a protocol line.
    """
    sys.stdout.flush()
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        return serve(sys.stdin, replies, session, track)
    finally:
        try:
            replies.close()
        except OSError:  # nobody reads the replies any more: nothing left to say
            pass
