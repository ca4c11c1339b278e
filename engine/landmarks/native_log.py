"""MediaPipe's start-up log lines, kept off the user's terminal.

The first frames a MediaPipe graph processes make its C++ side (TensorFlow Lite, absl logging) write lines such as
``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`` straight to file descriptor 2, where neither Python's
logging nor an environment variable (``GLOG_minloglevel``, ``TF_CPP_MIN_LOG_LEVEL``) reaches them: six lines before
every take's progress bar, none of which a user can act on. :func:`start_up_lines_filtered` points descriptor 2 at a
temporary file for the duration of a block, then writes back every line that is not one of
:data:`MEDIAPIPE_START_UP_LINES`, so anything else the block wrote (a native error, a Python warning) still reaches
stderr, in order, when the block ends. :class:`QuietStartGraph` runs a graph's ``process`` that way until the graph
has found something (a graph logs its model loading on its first frames, and the landmark projection's warning on
its first face), then directly.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

__all__ = ["MEDIAPIPE_START_UP_LINES", "QuietStartGraph", "start_up_lines_filtered"]

MEDIAPIPE_START_UP_LINES = (
    re.compile(r"^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.$"),
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$"),
    re.compile(r"^W0000 .* inference_feedback_manager\.cc:\d+\] Feedback manager requires a model with a single "),
    re.compile(r"^W0000 .* landmark_projection_calculator\.cc:\d+\] Using NORM_RECT without IMAGE_DIMENSIONS "),
)
"""The lines MediaPipe 0.10.21's Face Mesh and Face Detection graphs log as they load their models (mediapipe's
own warnings about its graph configuration; they change nothing in the landmarks)."""


class _Descriptor2Capture:
    """File descriptor 2 pointed at one temporary file while any thread is inside :func:`start_up_lines_filtered`.

    Descriptor 2 is one per process, and a clip read in parts starts a graph in each of its threads: a capture per
    block would save one block's temporary file as the other's "stderr" and leave descriptor 2 pointing at it. So
    blocks share one capture: the first to enter points descriptor 2 at the file, the last to leave points it back
    and writes back what was captured, filtered. (Whatever another thread writes to stderr meanwhile, such as a
    progress bar, is held and written back with it.)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved: int | None = None
        self._file = None

    def enter(self) -> None:
        with self._lock:
            if self._depth == 0:
                sys.stderr.flush()
                self._saved = os.dup(2)
                self._file = tempfile.TemporaryFile()
                os.dup2(self._file.fileno(), 2)
            self._depth += 1

    def leave(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth:
                return
            sys.stderr.flush()
            os.dup2(self._saved, 2)
            os.close(self._saved)
            captured, self._file, self._saved = self._file, None, None
        with captured:
            captured.seek(0)
            kept = [
                line
                for line in captured.read().decode("utf-8", "replace").splitlines(keepends=True)
                if not any(pattern.match(line.rstrip("\r\n")) for pattern in MEDIAPIPE_START_UP_LINES)
            ]
        if kept:
            sys.stderr.write("".join(kept))
            sys.stderr.flush()


_CAPTURE = _Descriptor2Capture()  # process-wide, as descriptor 2 is


@contextlib.contextmanager
def start_up_lines_filtered() -> Iterator[None]:
    """Run a block with file descriptor 2 captured; afterwards write back all but MediaPipe's start-up lines.

    Thread-safe: blocks running at once in several threads share one capture (:class:`_Descriptor2Capture`),
    written back when the last of them ends.

    Example:
        >>> with start_up_lines_filtered():
        ...     _ = os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n")
    """
    _CAPTURE.enter()
    try:
        yield
    finally:
        _CAPTURE.leave()


class QuietStartGraph:
    """A MediaPipe legacy solution (``FaceMesh``, ``FaceDetection``) whose start-up log lines are filtered out.

    A graph's threads log as they open its calculators and load its models, after its constructor or ``reset``
    has returned and before its next output. So the graph is built, and restarted after ``reset``, inside the
    next ``process`` call, which runs inside :func:`start_up_lines_filtered`, as do the calls after it until an
    output holds something (the landmark projection logs on the first face). ``close`` closes the graph.
    """

    def __init__(self, make_graph: Callable[[], Any]) -> None:
        """``make_graph``: builds the solution, on the first ``process``."""
        self._make_graph = make_graph
        self.graph = None
        self._restart = False
        self._started = False

    def process(self, image: np.ndarray):
        """The graph's output for an RGB image (MediaPipe's ``SolutionOutputs``: None fields where nothing found)."""
        if self._started:
            return self.graph.process(image)
        with start_up_lines_filtered():
            if self.graph is None:
                self.graph = self._make_graph()
            elif self._restart:
                self.graph.reset()
            self._restart = False
            out = self.graph.process(image)
        self._started = any(getattr(out, field) is not None for field in out._fields)
        return out

    def reset(self) -> None:
        """Forget the previous frames: the graph restarts before the next frame it is given."""
        self._restart = self.graph is not None
        self._started = False

    def close(self) -> None:
        if self.graph is not None:
            self.graph.close()
