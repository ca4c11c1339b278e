"""Run the engine beside Blender: ``<engine python> -m engine ...`` as a subprocess (no bpy).

The engine never runs inside Blender's Python. :class:`TrackJob` starts ``python -m engine track INPUT -o OUT
--progress jsonl`` with the repository as working directory, reads its stdout on a thread (the contract's
progress protocol, :mod:`engine.contract.progress_events`: progress lines, then a done or an error line) and
hands events to the main thread through a queue. The caller (a modal timer in Blender) calls :meth:`poll`;
nothing here blocks for long. :meth:`cancel` ends the whole process group (no orphans) and removes the partial
output. The engine writes to ``OUT.part.npz``; only a finished take is moved to ``OUT``, so a cancelled or failed
run never leaves a file that looks like a take.
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

from .._contract import errors, output_guard, partial_take, progress_events, take_io

__all__ = [
    "EngineUnavailable",
    "JobState",
    "TrackJob",
    "TrackRequest",
    "check_engine",
    "default_engine_python",
    "engine_root_for",
]

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 60.0  # `python -m engine --version` imports little; a minute covers a cold disk
KILL_GRACE_S = 3.0  # after SIGTERM, wait this long before SIGKILL
STDERR_TAIL_LINES = 20  # kept for error messages


class EngineUnavailable(errors.UserError):
    """The engine cannot be run; the message says what to change (preferences, set-up)."""


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


def _engine_env() -> dict[str, str]:
    env = dict(os.environ)
    # Blender sets these for its own Python; they would break another interpreter.
    for key in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONNOUSERSITE"):
        env.pop(key, None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _validate(python: str, root: Path) -> None:
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
    _validate(python, root_path)
    try:
        proc = subprocess.run(
            [str(Path(python).expanduser()), "-m", "engine", "--version"],
            cwd=root_path,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_engine_env(),
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
    line = (proc.stdout.strip().splitlines() or ["unknown"])[-1].strip()
    return line.removeprefix("engine").strip() or line  # "engine 0.1.0" -> "0.1.0"


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
    """

    python: str
    root: str
    source: str
    output: str
    start: float | None = None
    end: float | None = None
    identity: str | None = None

    @property
    def partial_output(self) -> Path:
        """Where the engine writes until it is done (``OUT.part.npz``)."""
        out = Path(self.output)
        return out.with_name(out.stem + ".part.npz")

    def command(self) -> list[str]:
        """The engine command line (argv)."""
        cmd = [
            str(Path(self.python).expanduser()),
            "-m",
            "engine",
            "track",
            str(self.source),
            "-o",
            str(self.partial_output),
            "--progress",
            "jsonl",
        ]
        if self.start is not None:
            cmd += ["--start", f"{self.start:g}"]
        if self.end is not None:
            cmd += ["--end", f"{self.end:g}"]
        if self.identity:
            cmd += ["--identity", str(self.identity)]
        return cmd


class JobState(enum.Enum):
    """A tracking job's life: RUNNING -> DONE | FAILED | CANCELLED."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class TrackJob:
    """One engine run. Create with :meth:`start`; call :meth:`poll` from the main thread until it is finished.

    Attributes (read after :meth:`poll`):
        state: a :class:`JobState`.
        frame, total, fps: the latest progress (total 0 until known).
        message: the error message when FAILED; the output path when DONE.
        output: the finished take's path (DONE only).
    """

    def __init__(self, request: TrackRequest, proc: subprocess.Popen):
        self.request = request
        self._proc = proc
        self._events: queue.Queue = queue.Queue()
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self.state = JobState.RUNNING
        self.frame = 0
        self.total = 0
        self.fps = 0.0
        self.message = ""
        self.output = ""
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
        root = engine_root_for(request.python, request.root)
        _validate(request.python, root)
        if not Path(request.source).exists():
            raise FileNotFoundError(f"source not found: {request.source}")
        Path(request.output).parent.mkdir(parents=True, exist_ok=True)
        # the finished take replaces request.output: never an artist's file (checked before the engine starts)
        output_guard.check_output(request.output, is_own=take_io.is_take_file, what="take", suffixes=(".npz",))
        request.partial_output.unlink(missing_ok=True)
        kwargs: dict = {}
        if os.name == "nt":
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
        else:
            kwargs["start_new_session"] = True  # its own process group: cancel ends the engine's children too
        try:
            proc = subprocess.Popen(
                request.command(),
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
                bufsize=1,
                env=_engine_env(),
                **kwargs,
            )
        except OSError as err:
            raise EngineUnavailable(f"cannot start the engine ({request.python}): {err.strerror}") from None
        log.info("engine started: pid %d: %s", proc.pid, " ".join(request.command()))
        return cls(request, proc)

    @property
    def pid(self) -> int:
        """The engine process id."""
        return self._proc.pid

    @property
    def finished(self) -> bool:
        """True once DONE, FAILED or CANCELLED."""
        return self.state is not JobState.RUNNING

    @property
    def progress(self) -> float:
        """Fraction done in [0, 1] (0 until the total is known)."""
        return min(self.frame / self.total, 1.0) if self.total else 0.0

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
            else:
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
        part = self.request.partial_output
        if code == 0 and self._done_line is not None and self._error_line is None:
            produced = Path(self._done_line.output or part)
            if produced.is_file():
                final = Path(self.request.output)
                os.replace(produced, final)
                self.output = str(final)
                self.message = str(final)
                self.frame = self.total = self._done_line.frames or self.frame
                self.state = JobState.DONE
                return
            self.message = f"the engine reported success but wrote no file at {produced}"
        elif self._error_line is not None:
            self.message = self._error_line
        else:
            last = self._stderr_tail[-1] if self._stderr_tail else "no message"
            self.message = f"the engine exited with code {code}: {last}"
        self._remove_partial()
        self.state = JobState.FAILED

    def _remove_partial(self) -> None:
        """Remove the partial take (``OUT.part.npz``) and the engine's unfinished-take folder beside it."""
        self.request.partial_output.unlink(missing_ok=True)
        shutil.rmtree(partial_take.partial_folder(self.request.partial_output), ignore_errors=True)

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
