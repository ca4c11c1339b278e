"""What a Dask worker runs for one farm task: start its command line, wait, and describe the outcome.

Standard library only: :mod:`.dask_run` ships :func:`run_farm_task` to the workers by value, so a worker needs
``distributed`` (the same version as the submitter) and nothing of this repository on its path.

Exit status decides what happens next. 0: ``ok``. 1 and 2 are the CLIs' expected failures (a bad clip, a bad
take, bad arguments: one message line on stderr): the task is ``failed`` with that line as its message and is not
retried, since the same input fails the same way. Anything else (killed by a signal, out of memory, interrupted)
raises :class:`TaskCrashed`, which Dask retries (``retries``); a worker that dies while running it is handled by
the scheduler, which moves the task to another worker.

A task submitted with a ``cancel_event`` (the name of a Dask ``Event``) watches it while its process runs: when the
submitter is interrupted it sets the event, and the task stops its process (SIGTERM, then SIGKILL after
:data:`STOP_GRACE_S`) and ends ``failed`` ("cancelled"), so a cancelled job does not go on working on the farm.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time

__all__ = ["EXPECTED_FAILURE_EXIT_CODES", "TaskCrashed", "run_farm_task"]

EXPECTED_FAILURE_EXIT_CODES = (1, 2)
"""``engine`` and ``blender_addon.batch``: 1 = the input failed (message on stderr), 2 = bad arguments."""
LOG_TAIL_LINES = 12
_SAID = re.compile(r"^(notice: |batch: warning: |batch: notice: )")
"""The lines of a task's output that speak to the user beside success (``engine``'s notices, the bake's warnings)."""
"""Lines of a crashed task's output kept in its error message."""
CANCEL_POLL_S = 0.5
"""How often a running task looks at its cancel event."""
STOP_GRACE_S = 10.0
"""How long a cancelled task's process has to stop on SIGTERM (the engine keeps its partial take) before SIGKILL."""


class TaskCrashed(RuntimeError):
    """The task's process ended abnormally (signal, unexpected exit status): worth another try elsewhere."""


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.replace("\r", "\n").splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _where() -> str:
    try:
        from distributed import get_worker  # present on every Dask worker

        return get_worker().address
    except (ImportError, ValueError):
        return socket.gethostname()


def _cancel_watch(event_name: str | None):
    """A function telling whether the submitter cancelled the job (None when there is nothing to watch)."""
    if not event_name:
        return None
    try:
        from distributed import Event
    except ImportError:
        return None
    event = Event(event_name)

    def cancelled() -> bool:
        try:
            return bool(event.is_set())
        except Exception:  # the scheduler went away: nothing to be told any more  # noqa: BLE001
            return False

    return cancelled


def run_farm_task(task: dict, *dependencies: dict) -> dict:
    """Run one plan task (:meth:`FarmTask.to_dict <engine.farm.plan.FarmTask.to_dict>`) and report its outcome.

    Args:
        task: ``{"name", "kind", "argv", ...}``.
        *dependencies: the outcomes of the tasks it depends on; it runs only if at least one of them is ``ok``
            (or it has none), else it is ``skipped``.

    Returns:
        ``{"name", "kind", "status": "ok" | "failed" | "skipped", "message", "seconds", "worker"}``.

    Raises:
        TaskCrashed: the process died or ended with an unexpected exit status.
    """
    start = time.monotonic()
    where = _where()

    def outcome(status: str, message: str = "") -> dict:
        seconds = round(time.monotonic() - start, 3)
        return {
            "name": task["name"],
            "kind": task["kind"],
            "status": status,
            "message": message,
            "seconds": seconds,
            "worker": where,
        }

    if dependencies and not any(d["status"] == "ok" for d in dependencies):
        failed = ", ".join(d["name"] for d in dependencies)
        return outcome("skipped", f"not run: {failed} did not succeed")
    argv = [str(a) for a in task["argv"]]
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, errors="replace")  # fmt: skip
    except OSError as err:
        return outcome("failed", f"cannot start {argv[0]}: {err.strerror or err}")
    cancelled = _cancel_watch(task.get("cancel_event"))
    while True:
        try:
            stdout, stderr = proc.communicate(timeout=CANCEL_POLL_S if cancelled else None)
            break
        except subprocess.TimeoutExpired:
            if cancelled():
                proc.terminate()
                try:
                    proc.communicate(timeout=STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()
                return outcome("failed", "cancelled: the job was interrupted where it was submitted")
    proc = subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)
    if proc.returncode == 0:  # what the engine and the bake said beside success: a plate's missing frames, a rate
        said = [line.strip() for line in (proc.stderr + proc.stdout).splitlines() if _SAID.match(line.strip())]
        return outcome("ok", "; ".join(dict.fromkeys(said)))
    if proc.returncode in EXPECTED_FAILURE_EXIT_CODES:
        message = _last_line(proc.stderr) or _last_line(proc.stdout) or _describe_exit(proc.returncode)
        return outcome("failed", message)
    tail = "\n".join((proc.stdout + proc.stderr).replace("\r", "\n").splitlines()[-LOG_TAIL_LINES:])
    raise TaskCrashed(f"{task['name']}: {_describe_exit(proc.returncode)} on {where}" + (f"\n{tail}" if tail else ""))
