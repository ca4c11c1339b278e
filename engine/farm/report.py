"""Progress and outcomes of a farm run, for a person (``bar``) or a program (``jsonl``).

``bar`` writes to stderr: a line per finished task and a closing summary::

    [2/5] ok      track d0          3.9 s  tcp://127.0.0.1:40411
    [3/5] FAILED  track no_face     2.1 s  tcp://127.0.0.1:40411  error: no face found in any frame of no_face.mp4
    farm: 4 ok, 1 failed, 0 skipped (2 takes were already there) -> /shots/takes

``jsonl`` writes to stdout, one JSON object per line, flushed: ``{"task": ..., "kind": ..., "status": ...,
"message": ..., "seconds": ..., "worker": ...}`` per task, then ``{"done": true, "ok": N, "failed": N,
"skipped": N, "already_tracked": N, "already_baked": N}``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import IO

from .dask_run import TaskOutcome
from .plan import FarmPlan

__all__ = ["FarmReporter", "summarize"]


def summarize(outcomes: list[TaskOutcome], plan: FarmPlan) -> dict:
    """Counts of a finished run: ``{"ok", "failed", "skipped", "already_tracked", "already_baked"}``."""
    counts = Counter(o.status for o in outcomes)
    return {
        "ok": counts["ok"],
        "failed": counts["failed"],
        "skipped": counts["skipped"],
        "already_tracked": len(plan.already_tracked),
        "already_baked": len(plan.already_baked),
    }


class FarmReporter:
    """Reports the run of ``plan`` as ``bar``, ``jsonl`` or ``none``."""

    def __init__(self, style: str, plan: FarmPlan, *, stream: IO[str] | None = None) -> None:
        if style not in ("bar", "jsonl", "none"):
            raise ValueError(f"unknown progress style {style!r}")
        self._style = style
        self._total = len(plan.tasks)
        self._width = max((len(t.name) for t in plan.tasks), default=0)
        self._done = 0
        self._stream = stream

    def outcome(self, o: TaskOutcome) -> None:
        """One task ended."""
        self._done += 1
        if self._style == "jsonl":
            record = {"task": o.name, **{k: v for k, v in o.to_dict().items() if k != "name"}}
            self._write(json.dumps(record), sys.stdout)
        elif self._style == "bar":
            status = "ok" if o.status == "ok" else o.status.upper()
            line = f"[{self._done}/{self._total}] {status:<7} {o.name:<{self._width}} {o.seconds:6.1f} s  {o.worker}"
            self._write(line + (f"  {o.message}" if o.message else ""), sys.stderr)

    def finish(self, summary: dict, where: str) -> None:
        """The run ended with ``summary`` (:func:`summarize`); ``where`` is the takes folder."""
        if self._style == "jsonl":
            self._write(json.dumps({"done": True, **summary}), sys.stdout)
        elif self._style == "bar":
            there = []
            if summary["already_tracked"]:
                there.append(f"{summary['already_tracked']} takes")
            if summary["already_baked"]:
                there.append(f"{summary['already_baked']} bakes")
            note = f" ({' and '.join(there)} already there)" if there else ""
            counts = f"{summary['ok']} ok, {summary['failed']} failed, {summary['skipped']} skipped"
            self._write(f"farm: {counts}{note} -> {where}", sys.stderr)

    def _write(self, line: str, default: IO[str]) -> None:
        stream = self._stream or default
        stream.write(line + "\n")
        stream.flush()
