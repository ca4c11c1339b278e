"""Start one of this repository's command lines as a farm task:
``PYTHON <repo>/engine/farm/launch.py [--expect-version V] MODULE ARGS``.

The same as ``PYTHON -m MODULE ARGS`` run from the repository root, but it needs no working folder and no
``PYTHONPATH`` (Flamenco's ``exec`` command and Open Job Description's actions set neither): the repository
root replaces this script's folder at the front of ``sys.path``, then :func:`runpy.run_module` runs the module as
``__main__``, exactly as ``-m`` does. Any Python may run it (the engine's ``.venv``, a ``bpy`` environment): it
imports only the standard library before the module.

With ``--expect-version V`` (every plan's task has it: the submitter's version) a worker whose checkout is another
version refuses the task in one line, exit status 1: a job never mixes takes of two engine versions.

On POSIX it also ends the task when the process that started it dies: a killed Dask worker or farm agent must not
leave its task running beside the retry. A watcher thread polls the parent process id every
:data:`PARENT_POLL_S` seconds; when it changes (the task was re-parented) the task gets SIGTERM (the engine
cleans up its partial take and exits 130), then SIGKILL after :data:`TERMINATE_GRACE_S` seconds.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time
from pathlib import Path

__all__ = ["PARENT_POLL_S", "TERMINATE_GRACE_S", "main"]

PARENT_POLL_S = 1.0
"""How often the watcher checks that the task's parent is still alive (seconds)."""
TERMINATE_GRACE_S = 10.0
"""Time a task gets between SIGTERM and SIGKILL once its parent is gone (seconds)."""

USAGE = (
    "usage: PYTHON launch.py [--expect-version V] MODULE [ARGS...]   (the same as: PYTHON -m MODULE [ARGS...] from "
    "the repository)"
)
MANIFEST = Path("blender_addon") / "blender_manifest.toml"
"""Where the checkout's version is written (as :mod:`engine.contract.version` reads it)."""


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    print(f"launch: the process that started this task ({parent}) is gone; stopping", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(TERMINATE_GRACE_S)
    os.kill(os.getpid(), signal.SIGKILL)


def _checkout_version(repo: Path) -> str:
    import tomllib

    try:
        with (repo / MANIFEST).open("rb") as f:
            return str(tomllib.load(f)["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def main() -> None:
    """Run ``sys.argv[1]`` as ``__main__`` with the rest of ``sys.argv`` as its arguments (after checking
    ``--expect-version``).
    """
    here, repo = Path(__file__).resolve().parent, str(Path(__file__).resolve().parents[2])
    if len(sys.argv) >= 3 and sys.argv[1] == "--expect-version":
        expected = sys.argv.pop(2)
        sys.argv.pop(1)
        found = _checkout_version(Path(repo))
        if found != expected:
            print(
                f"error: this machine's checkout {repo} is version {found}, the job was planned with {expected}: "
                "update it to the submitter's version (a job never mixes takes of two versions)",
                file=sys.stderr,
            )
            raise SystemExit(1)
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        print(USAGE, file=sys.stderr)
        raise SystemExit(2)
    module = sys.argv.pop(1)
    if sys.path and sys.path[0] and Path(sys.path[0]).resolve() == here:
        sys.path[0] = repo  # this folder would shadow top-level modules (dask_run, plan, ...)
    else:  # python -P / -I: the script's folder is not on the path
        sys.path.insert(0, repo)
    if os.name == "posix":
        threading.Thread(target=_watch_parent, args=(os.getppid(),), name="exit-with-parent", daemon=True).start()
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
