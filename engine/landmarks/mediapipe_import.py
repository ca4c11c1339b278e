"""Import MediaPipe for the engine: the legacy Face Mesh and Face Detection solutions, without what it never uses.

``import mediapipe`` executes every legacy solution and the whole Tasks API at once; among them the drawing
helpers (``solutions.drawing_utils``), which import ``matplotlib.pyplot``. On this project's 2-core machine that is
about 0.35 s of CPU of the ~0.45 s the import takes, spent on every engine start for modules the engine never
calls. :func:`import_mediapipe` imports the package with those modules *deferred*
(:class:`importlib.util.LazyLoader`, the standard library's lazy import): each is created empty and executed in
full on its first attribute access, so ``mp.solutions.drawing_utils.draw_landmarks`` still works in the same
process, it just is not paid for at start. Everything the engine uses (Face Mesh, Face Detection, the
framework bindings) is imported as usual.

If ``mediapipe`` is already imported (a test session, a user's script), that module is returned unchanged.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Sequence
from types import ModuleType

__all__ = ["DEFERRED_MODULES", "import_mediapipe"]

DEFERRED_MODULES = frozenset(
    {
        # mediapipe/python/solutions/__init__.py imports all of these; the engine uses face_mesh and face_detection.
        "mediapipe.python.solutions.drawing_styles",
        "mediapipe.python.solutions.drawing_utils",  # imports matplotlib.pyplot: most of the cost
        "mediapipe.python.solutions.hands",
        "mediapipe.python.solutions.holistic",
        "mediapipe.python.solutions.objectron",
        "mediapipe.python.solutions.pose",
        "mediapipe.python.solutions.selfie_segmentation",
        # mediapipe/__init__.py imports the Tasks API (audio, text, vision, genai); the legacy solutions need none.
        "mediapipe.tasks.python",
    }
)
"""Modules created lazily by :func:`import_mediapipe`: executed on first use, never at import."""


class _DeferringFinder(importlib.abc.MetaPathFinder):
    """Finds the :data:`DEFERRED_MODULES` as usual and wraps their loaders in a LazyLoader."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None):
        if fullname not in DEFERRED_MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


_IMPORT_LOCK = threading.Lock()  # the import system is process-wide: so is this lock


def import_mediapipe() -> ModuleType:
    """The ``mediapipe`` package, imported without executing its drawing helpers, other solutions or Tasks API.

    Thread-safe: the parts of a clip start their graphs in their own threads (:mod:`engine.landmark_parts`), and
    ``mediapipe`` stands in ``sys.modules`` from the moment its import begins, so a second thread that found it
    there would get a half-initialised package; the check and the import hold one lock.

    Raises:
        ImportError: mediapipe is not installed (the caller turns it into a message naming the set-up).
    """
    with _IMPORT_LOCK:
        if "mediapipe" in sys.modules:
            return sys.modules["mediapipe"]
        finder = _DeferringFinder()
        sys.meta_path.insert(0, finder)
        try:
            import mediapipe
        finally:
            sys.meta_path.remove(finder)
        return mediapipe
