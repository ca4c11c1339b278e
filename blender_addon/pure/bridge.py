"""Run the engine beside Blender: ``<engine python> -m engine ...`` as a subprocess (no bpy).

The engine never runs inside Blender's Python. The Track button uses a warm engine kept for the whole session
(:mod:`.engine_server`, ``python -m engine serve``). This module holds what every way of running the engine
shares (the request, validation, moving a finished take into place, ``--version`` checks) and :class:`TrackJob`,
one engine process for one take, for scripts and as the plain reference: it starts ``python -m engine track
INPUT -o OUT --progress jsonl`` with the repository as working directory, reads its stdout on a thread (the
contract's progress protocol, :mod:`engine.contract.progress_events`: progress lines, then a done or an error
line) and hands events to the main thread through a queue. The caller (a modal timer in Blender) calls
:meth:`poll`; nothing here blocks for long. :meth:`cancel` ends the whole process group (no orphans) and removes
the partial output. The engine writes to ``OUT.part.npz``; only a finished take is moved to ``OUT``, so a
cancelled or failed run never leaves a file that looks like a take.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
import logging
import os
import queue
import shutil
import signal
import subprocess
import threading
from pathlib import Path

from .._contract import engine_requests, errors, output_guard, partial_take, progress_events, take_io

__all__ = [
    "EngineUnavailable",
    "discard_partial",
    "JobState",
    "JobStatus",
    "TrackJob",
    "TakeNotMoved",
    "TrackRequest",
    "accept_take",
    "check_engine",
    "default_engine_python",
    "engine_env",
    "engine_root_for",
    "start_engine_process",
    "validate_engine",
]

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 60.0  # `python -m engine --version` imports little; a minute covers a cold disk
KILL_GRACE_S = 3.0  # after SIGTERM, wait this long before SIGKILL
STDERR_TAIL_LINES = 20  # kept for error messages


class EngineUnavailable(errors.UserError):
    """The engine cannot be run; the message says what to change (preferences, set-up)."""


class TakeNotMoved(errors.UserError):
    """The engine wrote the take, but it could not be moved into place (the message says where it is)."""


def _venv_python(folder: Path) -> Path:
    return folder / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def default_engine_python(repo_root: str | Path) -> str:
    """The project's own engine interpreter: ``<repo>/.venv/bin/python`` (made by the README's set-up)."""
    return str(_venv_python(Path(repo_root)))


def engine_root_for(python: str | Path, configured_root: str | Path = "") -> Path:
    """The folder that holds the ``engine`` package: the configured one, else the one the engine Python lives in.

    ``<repo>/.venv/bin/python`` -> ``<repo>``.
    """
    if configured_root:
        return Path(configured_root).expanduser()
    p = Path(python).expanduser()
    for parent in p.parents:
        if (parent / "engine" / "__init__.py").is_file():
            return parent
    return p.parent.parent.parent


def engine_env() -> dict[str, str]:
    """The environment of an engine process: Blender's own Python variables removed, output unbuffered."""
    env = dict(os.environ)
    # Blender sets these for its own Python; they would break another interpreter.
    for key in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONNOUSERSITE"):
        env.pop(key, None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def validate_engine(python: str, root: Path) -> None:
    """Check that the engine interpreter and the folder holding ``engine/`` exist (raises EngineUnavailable)."""
    if not python:
        raise EngineUnavailable("no engine Python is set: Preferences > Add-ons > FaceWarehouse Mocap > Engine Python")
    p = Path(python).expanduser()
    if not p.is_file():
        raise EngineUnavailable(
            f"engine Python not found at {p}: run the project's set-up (see its README) or set "
            "Engine Python in the add-on preferences"
        )
    if not os.access(p, os.X_OK):
        raise EngineUnavailable(f"engine Python {p} is not executable")
    if not (root / "engine" / "__init__.py").is_file():
        raise EngineUnavailable(
            f"no engine package in {root}: set Engine Folder in the add-on preferences to the "
            "folder that contains 'engine/'"
        )


def check_engine(python: str, root: str | Path = "", *, timeout: float = CHECK_TIMEOUT_S) -> str:
    """Run ``python -m engine --version`` and return the version it prints.

    Raises:
        EngineUnavailable: the interpreter or the engine folder is missing, or the engine does not start; the
            message quotes the engine's own last error line.
    """
    root_path = engine_root_for(python, root)
    validate_engine(python, root_path)
    _check_python_version(python, timeout)
    try:
        proc = subprocess.run(
            [str(Path(python).expanduser()), "-m", "engine", "--version"],
            cwd=root_path,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=engine_env(),
        )
    except subprocess.TimeoutExpired:
        raise EngineUnavailable(f"the engine did not answer within {timeout:.0f} s") from None
    except OSError as err:
        raise EngineUnavailable(f"cannot start {python}: {err.strerror}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        hint = ""
        if "No module named" in last:
            hint = " (install the engine's dependencies into that Python with the project's set-up)"
        raise EngineUnavailable(f"the engine failed to start: {last}{hint}")
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise EngineUnavailable(f"{python} printed no engine version: is it the engine's Python?")
    line = lines[-1].strip()
    return line.removeprefix("engine").strip() or line  # "engine 0.1.0" -> "0.1.0"


def engine_check_message(engine_version: str, python: str, addon_version: str) -> tuple[bool, str]:
    """What Check Engine says of an engine that answered: (whether the versions agree, the message).

    >>> engine_check_message("0.2.0", "/p/python", "0.2.0")
    (True, 'Engine 0.2.0 works (/p/python)')
    >>> engine_check_message("0.1.0", "/p/python", "0.2.0")[1]  # doctest: +ELLIPSIS
    'Engine 0.1.0 works (/p/python), but this add-on is 0.2.0: ...'
    """
    message = f"Engine {engine_version} works ({python})"
    if engine_version == addon_version:
        return True, message
    return False, (
        f"{message}, but this add-on is {addon_version}: update the older one so both are the same version (the "
        "take file and the requests between them may have changed)"
    )


ENGINE_PYTHON_VERSION = (3, 11)  # pyproject.toml's requires-python


def _check_python_version(python: str, timeout: float) -> None:
    """Refuse an interpreter older than the engine needs, or one that is not a Python, in words."""
    probe = "import sys; sys.stdout.write('%d.%d' % sys.version_info[:2])"  # Python 2 reads this too
    try:
        proc = subprocess.run([str(Path(python).expanduser()), "-c", probe], capture_output=True, text=True,
                              timeout=timeout, env=engine_env())  # fmt: skip
    except subprocess.TimeoutExpired:
        raise EngineUnavailable(f"{python} did not answer within {timeout:.0f} s") from None
    except OSError as err:
        raise EngineUnavailable(f"cannot start {python}: {err.strerror}") from None
    try:
        version = tuple(int(x) for x in proc.stdout.strip().split("."))
    except ValueError:
        raise EngineUnavailable(f"{python} is not a Python interpreter (it did not report a version)") from None
    if proc.returncode != 0 or len(version) != 2:
        raise EngineUnavailable(f"{python} is not a Python interpreter (it did not report a version)")
    if version < ENGINE_PYTHON_VERSION:
        need = ".".join(map(str, ENGINE_PYTHON_VERSION))
        raise EngineUnavailable(
            f"{python} is Python {version[0]}.{version[1]}; the engine needs Python {need} or newer (the project's "
            "set-up makes .venv/bin/python)"
        )


@dataclasses.dataclass(frozen=True)
class TrackRequest:
    """What to track.

    Attributes:
        python: the engine interpreter.
        root: the folder holding ``engine/`` ("" = derive from ``python``).
        source: a video file or an image-sequence folder.
        output: the take to write (``.npz``).
        start: first second to track (None = from the start).
        end: last second (None = to the end).
        identity: an earlier take whose actor identity is reused (None = fit one).
        neutral: the actor at rest, ``--neutral``: a time in the clip (seconds, float) or a photo's path (str);
            None = estimated from the clip's calmest frames.
        fps: the frame rate an image sequence is timed at (``--fps``; None = the engine's default, 30).
    """

    python: str
    root: str
    source: str
    output: str
    start: float | None = None
    end: float | None = None
    identity: str | None = None
    neutral: float | str | None = None
    fps: float | None = None

    @property
    def partial_output(self) -> Path:
        """Where the engine writes until it is done (``OUT.part.npz``)."""
        out = Path(self.output)
        return out.with_name(out.stem + ".part.npz")

    def take(self) -> engine_requests.TrackTake:
        """The contract's track request: the source into :attr:`partial_output` (served or on the command line)."""
        neutral = (
            f"{self.neutral:g}" if isinstance(self.neutral, float) else (str(self.neutral) if self.neutral else None)
        )
        return engine_requests.TrackTake(
            input=str(self.source),
            output=str(self.partial_output),
            start=self.start,
            end=self.end,
            identity=str(self.identity) if self.identity else None,
            neutral=neutral,
            fps=self.fps,
        )

    def command(self) -> list[str]:
        """The one-process engine command line (argv): ``python -m engine track ... --progress jsonl``."""
        return [str(Path(self.python).expanduser()), "-m", "engine", *self.take().argv("--progress", "jsonl")]

    def prepare(self) -> Path:
        """Check the request before any engine work and make room for the take; returns the engine folder.

        Raises:
            EngineUnavailable: interpreter or engine folder missing.
            FileNotFoundError: the source video or folder does not exist.
            errors.InputError: the take's path holds a file that is not a take (it is never replaced).
        """
        root = engine_root_for(self.python, self.root)
        validate_engine(self.python, root)
        if not Path(self.source).exists():
            raise FileNotFoundError(f"source not found: {self.source}")
        Path(self.output).parent.mkdir(parents=True, exist_ok=True)
        # the finished take replaces self.output: never an artist's file (checked before the engine starts)
        output_guard.check_output(self.output, is_own=take_io.is_take_file, what="take", suffixes=(".npz",))
        self.partial_output.unlink(missing_ok=True)
        return root


def discard_partial(request: TrackRequest) -> None:
    """Remove what an unfinished take left: the engine's ``OUT.part.npz`` and its resumable partial folder."""
    request.partial_output.unlink(missing_ok=True)
    shutil.rmtree(partial_take.partial_folder(request.partial_output), ignore_errors=True)


def accept_take(request: TrackRequest, done: progress_events.Done) -> str:
    """Move the take the engine reported done into place (``OUT.part.npz`` -> ``OUT``); returns its path.

    Raises:
        EngineUnavailable: the engine reported success but there is no file (the message says where it looked).
        TakeNotMoved: the take could not be moved into place (a folder made read-only, a file held open).
    """
    produced = Path(done.output or request.partial_output)
    if not produced.is_file():
        if not produced.parent.is_dir():
            raise EngineUnavailable(f"the takes folder {produced.parent} is gone: its take went with it")
        raise EngineUnavailable(f"the engine reported success but wrote no file at {produced}")
    final = Path(request.output)
    try:
        os.replace(produced, final)
    except OSError as err:
        raise TakeNotMoved(
            f"the take is written but cannot be put in place as {final.name}: {err.strerror or err}; it is kept as "
            f"{produced} (rename it, or pick it as the take)"
        ) from None
    return str(final)


class JobState(enum.Enum):
    """A tracking job's life: RUNNING -> DONE | FAILED | CANCELLED."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobStatus:
    """What the Track operator reads of a tracking job, one engine process per take or a served engine's.

    Attributes (read after ``poll()``):
        state: a :class:`JobState`.
        frame, total, fps: the latest progress (total 0 until known).
        message: the error message when FAILED; the output path when DONE.
        output: the finished take's path (DONE only).
    """

    def __init__(self) -> None:
        self.state = JobState.RUNNING
        self.frame = self.total = 0
        self.fps = 0.0
        self.message = self.output = ""

    @property
    def finished(self) -> bool:
        """True once DONE, FAILED or CANCELLED."""
        return self.state is not JobState.RUNNING

    @property
    def progress(self) -> float:
        """Fraction done in [0, 1] (0 until the total is known)."""
        return min(self.frame / self.total, 1.0) if self.total else 0.0


def start_engine_process(command: list[str], root: Path, *, stdin: int) -> subprocess.Popen:
    """Start ``command`` (``<engine python> -m engine ...``) in ``root``: text pipes for stdout and stderr, line
    buffered, Blender's Python variables removed, its own process group (ending it ends its children too).

    Raises:
        EngineUnavailable: the process cannot start.
    """
    group = (
        {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
        if os.name == "nt"
        else {"start_new_session": True}
    )
    try:
        proc = subprocess.Popen(
            command,
            cwd=root,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=engine_env(),
            **group,
        )
    except OSError as err:
        raise EngineUnavailable(f"cannot start the engine ({command[0]}): {err.strerror}") from None
    log.info("engine started: pid %d: %s", proc.pid, " ".join(command))
    return proc


class TrackJob(JobStatus):
    """One engine process for one take. Create with :meth:`start`; call :meth:`poll` from the main thread until it
    is finished (the attributes of :class:`JobStatus`).
    """

    def __init__(self, request: TrackRequest, proc: subprocess.Popen):
        super().__init__()
        self.request = request
        self._proc = proc
        self._events: queue.Queue = queue.Queue()
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._done_line: progress_events.Done | None = None
        self._error_line: str | None = None
        self._stdout_thread = threading.Thread(target=self._read_stdout, name="engine-stdout", daemon=True)
        self._stderr_thread = threading.Thread(target=self._read_stderr, name="engine-stderr", daemon=True)
        self._stdout_thread.start()
        self._stderr_thread.start()

    @classmethod
    def start(cls, request: TrackRequest) -> TrackJob:
        """Validate the request and start the engine process.

        Raises:
            EngineUnavailable: interpreter or engine folder missing, or the process cannot start.
            FileNotFoundError: the source video or folder does not exist.
            errors.InputError: the take's path holds a file that is not a take (it is never replaced).
        """
        root = request.prepare()
        return cls(request, start_engine_process(request.command(), root, stdin=subprocess.DEVNULL))

    @property
    def pid(self) -> int:
        """The engine process id."""
        return self._proc.pid

    def _read_stdout(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            line = line.strip()
            if not line:
                continue
            event = progress_events.decode_event(line)
            if event is None:
                log.debug("engine: %s", line)
                continue
            self._events.put(event)
        self._events.put(None)  # end of stream

    def _read_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            line = line.rstrip()
            if line:
                self._stderr_tail.append(line)

    def poll(self) -> JobState:
        """Take in every event queued so far and update the state; never blocks. Call from the main thread."""
        if self.finished:
            return self.state
        ended = False
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                break
            if event is None:
                ended = True
                break
            if isinstance(event, progress_events.Failed):
                self._error_line = event.message
            elif isinstance(event, progress_events.Done):
                self._done_line = event
            elif isinstance(event, progress_events.Progress):
                self.frame, self.total, self.fps = event.frame, event.total or 0, event.fps
        if ended:
            self._finish()
        return self.state

    def _finish(self) -> None:
        try:
            code = self._proc.wait(timeout=KILL_GRACE_S)
        except subprocess.TimeoutExpired:  # stdout closed but the process lingers: end it
            self._kill()
            code = self._proc.returncode
        self._stderr_thread.join(timeout=1.0)
        if code == 0 and self._done_line is not None and self._error_line is None:
            try:
                self.output = self.message = accept_take(self.request, self._done_line)
            except TakeNotMoved as err:  # the take is written: kept where it is, not discarded
                self.message, self.state = str(err), JobState.FAILED
                return
            except EngineUnavailable as err:
                self.message = str(err)
            else:
                self.frame = self.total = self._done_line.frames or self.frame
                self.state = JobState.DONE
                return
        elif self._error_line is not None:
            self.message = self._error_line
        else:
            last = self._stderr_tail[-1] if self._stderr_tail else "no message"
            self.message = f"the engine exited with code {code}: {last}"
        self._remove_partial()
        self.state = JobState.FAILED

    def _remove_partial(self) -> None:
        """Remove the partial take (``OUT.part.npz``) and the engine's unfinished-take folder beside it."""
        discard_partial(self.request)

    def _kill(self) -> None:
        if self._proc.poll() is not None:
            return
        try:
            if os.name == "nt":
                self._proc.terminate()
            else:
                os.killpg(self._proc.pid, signal.SIGTERM)
            self._proc.wait(timeout=KILL_GRACE_S)
        except subprocess.TimeoutExpired:
            if os.name == "nt":
                self._proc.kill()
            else:
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        except ProcessLookupError:
            self._proc.wait()

    def cancel(self) -> None:
        """End the engine (and its process group), wait for it, and remove the partial output. Idempotent."""
        if self.finished:
            return
        self._kill()
        self._stdout_thread.join(timeout=2.0)
        self._stderr_thread.join(timeout=2.0)
        self._remove_partial()
        # Kill in the group too, in case children outlived the leader (they share its pgid).
        if os.name != "nt":
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.state = JobState.CANCELLED
        self.message = "cancelled"
