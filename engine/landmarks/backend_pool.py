"""Landmark backends kept open between clips: a warm engine starts MediaPipe's graphs once, not once per take.

A served engine (:mod:`engine.serve`) and ``engine batch`` track many clips in one process. Creating a backend
loads its models and starts its graphs; :class:`LandmarkBackends` creates each kind (backend name, stills or video)
on first use and hands the same one out again, reset (:meth:`~engine.landmarks.base.LandmarkBackend.reset`) so
that nothing of the previous clip carries over: a take tracked by a warm engine is the take a new process would
track (``tests/engine/test_serve.py``). A clip tracked in concurrent parts (:mod:`engine.landmark_parts`) uses one
backend and one face detector per part: ``slot`` 0, 1, ...

Example:
    >>> from engine.orientation import orientation_detector
    >>> from engine.landmark_pass import make_backend
    >>> with LandmarkBackends(make_backend, orientation_detector) as backends:  # doctest: +SKIP
    ...     a = backends.get("mediapipe", still_images=False)      # created
    ...     b = backends.get("mediapipe", still_images=False)      # the same one, reset
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .base import LandmarkBackend

__all__ = ["BackendFactory", "LandmarkBackends"]

BackendFactory = Callable[..., LandmarkBackend]
"""``factory(name, *, still_images=bool) -> LandmarkBackend`` (:func:`engine.landmark_pass.make_backend`)."""


class LandmarkBackends:
    """Open landmark backends, one per ``(name, still_images, slot)``, reused across clips.

    A clip's parts run in threads and each asks for its own slot (again when its orientation changes), so the
    bookkeeping holds a lock; a backend itself is used by one part at a time.

    A backend handed out by :meth:`get` is *used*; the next :meth:`get` of the same kind resets it first, or
    :meth:`refresh` resets every used one beforehand (a served engine does that while it waits for a request,
    so the next take starts at once).
    """

    def __init__(self, factory: BackendFactory, detector_factory: Callable[[], object]) -> None:
        """``detector_factory``: makes the face detector the orientation check uses
        (:func:`engine.orientation.orientation_detector`; kept open, shared by clips: it holds no state between
        images).
        """
        self._factory = factory
        self._open: dict[tuple[str, bool, int], LandmarkBackend] = {}
        self._used: set[tuple[str, bool, int]] = set()
        self._detector_factory = detector_factory
        self._detectors: dict[int, object] = {}
        self._lock = threading.Lock()

    def detector(self, slot: int = 0):
        """The face detector of ``slot`` (one per concurrent part of a clip), created on first use."""
        with self._lock:
            if slot not in self._detectors:
                self._detectors[slot] = self._detector_factory()
            return self._detectors[slot]

    def get(self, name: str, *, still_images: bool, slot: int = 0) -> LandmarkBackend:
        """A backend of this kind that behaves as a new one: created on first use, else reset if it was used.

        ``slot``: which of a clip's concurrent parts it is for (each part has its own).
        """
        key = (name, still_images, slot)
        with self._lock:
            backend = self._open.get(key)
            if backend is None:
                backend = self._open[key] = self._factory(name, still_images=still_images)
            elif key in self._used:
                backend.reset()
            self._used.add(key)
            return backend

    def refresh(self) -> None:
        """Reset every backend used since it was handed out (ahead of the next :meth:`get`)."""
        for key in sorted(self._used):
            if key in self._open:
                self._open[key].reset()
        self._used.clear()

    def close(self) -> None:
        """Close every backend. Idempotent."""
        backends, self._open = self._open, {}
        self._used.clear()
        detectors, self._detectors = self._detectors, {}
        for detector in detectors.values():
            detector.close()
        for backend in backends.values():
            backend.close()

    def __enter__(self) -> LandmarkBackends:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
