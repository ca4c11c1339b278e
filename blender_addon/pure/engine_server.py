"""One warm engine per Blender session: ``<engine python> -m engine serve`` kept running between takes (no bpy).

A new engine process pays for its interpreter, MediaPipe, the face model and MediaPipe's graphs before its first
frame; a served engine pays once, so the second Track press starts at once.

- :class:`EngineServer`: the process. Requests (the contract's :mod:`engine.contract.engine_requests`) go to its
  stdin; a reader thread routes the events it prints (:mod:`engine.contract.progress_events`, each with its
  request's id) to the queue of the request that asked. Its own process group, so stopping it leaves no child.
- :class:`ServedTrackJob`: a take tracked by the server, with :class:`~.bridge.TrackJob`'s interface (``state``,
  ``frame``/``total``/``fps``, ``message``, ``output``, :meth:`~ServedTrackJob.poll`,
  :meth:`~ServedTrackJob.cancel`), so the Track operator's timer drives either. Cancel stops this take only: the
  engine drops it at its next frame, the partial take is removed, the engine stays up for the next one.
- :class:`EngineService`: the session's one server. Started on first use; restarted on the next request when it
  has died (the job's ``notice`` says so and why); replaced when the engine's location changes; stopped by
  :meth:`EngineService.stop` (the add-on calls it on unregister, on quit and when the preferences change). If
  Blender dies without stopping it, the engine sees its input end and nobody reading, and exits.
"""

from __future__ import annotations

import collections
import itertools
import logging
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

from .._contract import engine_requests, progress_events
from .bridge import (
    STDERR_TAIL_LINES,
    EngineUnavailable,
    JobState,
    JobStatus,
    TakeNotMoved,
    TrackRequest,
    accept_take,
    discard_partial,
    engine_root_for,
    start_engine_process,
    validate_engine,
)

__all__ = ["CANCEL_WAIT_S", "STALLED_S", "EngineServer", "EngineService", "ServedTrackJob"]

log = logging.getLogger(__name__)

CANCEL_WAIT_S = 10.0  # a cancelled take answers at its next frame; a server silent this long is stopped instead
STALLED_S = 30.0  # no word on a running take this long: it may be stuck (the panel says so; Esc kills it at once)
STOP_GRACE_S = 3.0  # after closing its input, wait this long for the server to exit before ending its group
_ENDED = None  # queued to every waiting request when the server's output ends


class EngineServer:
    """A running ``python -m engine serve``. Create with :meth:`start`; thread-safe :meth:`send`."""

    def __init__(self, python: str, root: Path, proc: subprocess.Popen) -> None:
        self.stopped_by_us = False  # set by kill(): the next take's notice says so, not 'killed by signal 9'
        self.python, self.root = python, root
        self._proc = proc
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._routes: dict[int, queue.Queue] = {}
        self._ended = False
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self.ready = threading.Event()
        self.version = ""
        self._stdout_thread = threading.Thread(target=self._read_stdout, name="engine-server-stdout", daemon=True)
        self._stderr_thread = threading.Thread(target=self._read_stderr, name="engine-server-stderr", daemon=True)
        self._stdout_thread.start()
        self._stderr_thread.start()

    @classmethod
    def start(cls, python: str, root: str | Path = "") -> EngineServer:
        """Start the engine process (it warms up, then answers requests in order).

        Raises:
            EngineUnavailable: interpreter or engine folder missing, or the process cannot start.
        """
        root_path = engine_root_for(python, root)
        validate_engine(python, root_path)
        command = [str(Path(python).expanduser()), "-m", "engine", "serve"]
        return cls(python, root_path, start_engine_process(command, root_path, stdin=subprocess.PIPE))

    @property
    def pid(self) -> int:
        """The engine process id."""
        return self._proc.pid

    @property
    def alive(self) -> bool:
        """True while the process runs and its output is open."""
        return self._proc.poll() is None and not self._ended

    def exit_description(self) -> str:
        """How the process ended (``"killed by signal 9 (SIGKILL)"``, ``"exit code 1: <its last stderr line>"``)."""
        code = self._proc.poll()
        if code is None and self._ended:  # its output closed: the process is ending, reap it
            try:
                code = self._proc.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                pass
        if code is None:
            how = "its output closed"
        elif code < 0:
            try:
                how = f"killed by signal {-code} ({signal.Signals(-code).name})"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exit code {code}"
        last = self._stderr_tail[-1] if self._stderr_tail else ""
        return f"{how}: {last}" if last and code is not None and code > 0 else how  # a kill's last line is noise

    def send(self, request: engine_requests.Request) -> tuple[int, queue.Queue]:
        """Send a request; returns its id and the queue its events arrive on (``None`` there: the server ended).

        Raises:
            EngineUnavailable: the server has ended or its input is closed.
        """
        with self._lock:
            request_id = next(self._ids)
            events: queue.Queue = queue.Queue()
            if self._ended:
                raise EngineUnavailable(f"the engine has stopped ({self.exit_description()})")
            if not isinstance(request, engine_requests.Cancel):
                self._routes[request_id] = events
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write(engine_requests.encode_request(request_id, request) + "\n")
                self._proc.stdin.flush()
            except (OSError, ValueError):
                self._routes.pop(request_id, None)
                raise EngineUnavailable(f"the engine has stopped ({self.exit_description()})") from None
        return request_id, events

    def forget(self, request_id: int) -> None:
        """Stop routing a finished request's events."""
        with self._lock:
            self._routes.pop(request_id, None)

    def _read_stdout(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            event = progress_events.decode_event(line.strip())
            if isinstance(event, progress_events.Ready):
                self.version = event.version
                self.ready.set()
            elif event is not None and event.request is not None:
                with self._lock:
                    route = self._routes.get(event.request)
                if route is not None:
                    route.put(event)
            elif line.strip():
                log.debug("engine: %s", line.strip())
        with self._lock:
            self._ended = True
            routes, self._routes = list(self._routes.values()), {}
        for route in routes:
            route.put(_ENDED)

    def _read_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            if line.strip():
                self._stderr_tail.append(line.rstrip())

    def stop(self, grace: float = STOP_GRACE_S) -> None:
        """Close its input (it answers what it has, then exits), then end its process group. Idempotent."""
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()
        self._stdout_thread.join(timeout=2.0)
        self._stderr_thread.join(timeout=2.0)

    def kill(self, *, at_once: bool = False) -> None:
        """End its process group now (TERM, then KILL; ``at_once``: KILL, for an engine that answers nothing, which a
        TERM does not reach while it is stopped) and reap it; :attr:`stopped_by_us` is set.
        """
        self.stopped_by_us = True
        if os.name == "nt":
            self._proc.kill()
            self._proc.wait()
            return
        for sig in (signal.SIGKILL,) if at_once else (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self._proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            try:
                self._proc.wait(timeout=STOP_GRACE_S)
                break
            except subprocess.TimeoutExpired:
                continue
        self._proc.wait()
        try:  # children that outlived the leader share its group
            os.killpg(self._proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class ServedTrackJob(JobStatus):
    """A take tracked by an :class:`EngineServer`; call :meth:`poll` from the main thread until it is finished.

    Attributes (besides those of :class:`~.bridge.JobStatus`):
        notice: set when the engine had to be restarted for this job (say it to the user), else "".
    """

    def __init__(self, request: TrackRequest, server: EngineServer, notice: str = "") -> None:
        super().__init__()
        self.request = request
        self.notice = notice
        self._server = server
        self._id, self._events = server.send(request.take())
        self._heard_at = time.monotonic()

    @property
    def silent_s(self) -> float:
        """Seconds since the engine last said anything about this take, counted from when it was warm (0 before)."""
        if not self.engine_warm:
            self._heard_at = time.monotonic()
        return time.monotonic() - self._heard_at

    @property
    def stalled(self) -> bool:
        """True when the engine, reading the frames of a clip of known length, has said nothing for
        :data:`STALLED_S` (hung, or stopped). Once it has read the frames it fits the clip without a word (minutes,
        for an hour's take), and a clip's length is an estimate: never stalled past 98 % of it, or without one.
        """
        reading = bool(self.total) and self.frame < 0.98 * self.total
        return reading and self.silent_s > STALLED_S

    @property
    def pid(self) -> int:
        """The engine process id (the session's server)."""
        return self._server.pid

    @property
    def engine_warm(self) -> bool:
        """True once the engine has started and warmed up (until then the take waits for it)."""
        return self._server.ready.is_set()

    def poll(self) -> JobState:
        """Take in every event that arrived; never blocks. Call from the main thread."""
        while not self.finished:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                break
            self._take(event)
        return self.state

    def _take(self, event) -> None:
        self._heard_at = time.monotonic()
        if isinstance(event, progress_events.Progress):
            self.frame, self.total, self.fps = event.frame, event.total or 0, event.fps
            return
        self._server.forget(self._id)
        if isinstance(event, progress_events.Done):
            try:
                self.output = self.message = accept_take(self.request, event)
            except EngineUnavailable as err:
                self._fail(str(err))
                return
            except TakeNotMoved as err:  # the take is written: kept where it is, not discarded
                self.message, self.state = str(err), JobState.FAILED
                return
            self.frame = self.total = event.frames or self.frame
            self.state = JobState.DONE
        elif isinstance(event, progress_events.Failed):
            self._fail(event.message)
        elif self._server.ready.is_set():  # _ENDED: the server's output closed under this take
            how = self._server.exit_description()
            self._fail(f"the engine stopped while tracking ({how}); Track again to restart it")
        else:  # _ENDED before the engine was ever ready: it cannot start, and tracking again will not help
            how = self._server.exit_description()
            self._fail(
                f"the engine did not start ({how}): press Check Engine in the add-on preferences, and run the "
                "project's set-up (see its README) if it fails"
            )

    def _fail(self, message: str) -> None:
        discard_partial(self.request)
        self.message = message
        self.state = JobState.FAILED

    def cancel(self) -> None:
        """Stop this take (the engine drops it at its next frame), remove the partial take. Idempotent.

        Waits for the engine's answer (at most :data:`CANCEL_WAIT_S`); an engine that does not answer is stopped
        (the next take starts a new one).
        """
        if self.finished:
            return
        if self.stalled:  # it answers nothing (hung, stopped): waiting for its answer would hang too
            log.warning("the engine said nothing for %.0f s: stopping it", self.silent_s)
            self._server.kill(at_once=True)
            self._server.forget(self._id)
            discard_partial(self.request)
            self.state, self.message = JobState.CANCELLED, "cancelled"
            return
        try:
            self._server.send(engine_requests.Cancel(target=self._id))
            deadline = time.monotonic() + CANCEL_WAIT_S
            while True:
                event = self._events.get(timeout=max(deadline - time.monotonic(), 0.0))
                if not isinstance(event, progress_events.Progress):
                    break  # cancelled, or it ended just before the cancel arrived: either way not kept
        except queue.Empty:
            log.warning("the engine did not answer a cancel within %.0f s: stopping it", CANCEL_WAIT_S)
            self._server.kill()
        except EngineUnavailable:
            pass  # it has ended: nothing is tracking
        self._server.forget(self._id)
        discard_partial(self.request)
        self.state = JobState.CANCELLED
        self.message = "cancelled"


class EngineService:
    """The session's one served engine: started on first use, restarted when dead, stopped on request."""

    def __init__(self) -> None:
        self._server: EngineServer | None = None
        self._location: tuple[str, str] | None = None
        self._job: ServedTrackJob | None = None

    @property
    def server(self) -> EngineServer | None:
        """The current server (None until the first take, or after :meth:`stop`)."""
        return self._server

    def start_tracking(self, request: TrackRequest) -> ServedTrackJob:
        """Track ``request`` on the session's engine (started, or restarted, as needed).

        Raises:
            EngineUnavailable: interpreter or engine folder missing, or the engine cannot start.
            FileNotFoundError: the source video or folder does not exist.
        """
        root = request.prepare()
        notice = ""
        location = (request.python, str(root))
        if self._server is not None and self._location != location:
            self.stop()  # the preferences point at another engine
        if self._server is not None and not self._server.alive:
            if self._server.stopped_by_us:
                notice = "The engine had stopped answering and was stopped; it was restarted"
            else:
                notice = f"The engine had stopped ({self._server.exit_description()}); it was restarted"
            log.warning("%s", notice)
            self._server.stop(grace=0.0)  # reap it
            self._server = None
        if self._server is None:
            self._server = EngineServer.start(request.python, root)
            self._location = location
        try:
            self._job = ServedTrackJob(request, self._server, notice)
        except EngineUnavailable:  # it died between the check and the request: one fresh start
            dead, self._server = self._server, None
            notice = f"The engine had stopped ({dead.exit_description()}); it was restarted"
            dead.stop(grace=0.0)
            self._server = EngineServer.start(request.python, root)
            self._job = ServedTrackJob(request, self._server, notice)
        return self._job

    @property
    def tracking(self) -> bool:
        """True while a take of this session is running (its job not yet seen finished)."""
        return self._job is not None and not self._job.finished

    def stop(self) -> None:
        """Stop the server: its input closed, its process group ended if it has not exited in a moment. Idempotent.

        A take still running is cancelled first (its partial take removed).
        """
        job, self._job = self._job, None
        if job is not None and not job.finished:
            job.cancel()
        server, self._server, self._location = self._server, None, None
        if server is not None:
            server.stop()
