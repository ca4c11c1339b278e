"""Errors a user can act on. The CLI prints their message as one line and exits non-zero (no traceback)."""

from __future__ import annotations

__all__ = ["EngineError", "InputError", "MissingDependency", "MissingModelFile", "NoFaceFound", "TakeFormatError"]


class EngineError(Exception):
    """Base of every expected, user-facing failure. ``str(err)`` is the whole message."""


class InputError(EngineError):
    """The input path is missing, unreadable or not a video / image / image sequence."""


class NoFaceFound(EngineError):
    """No face was detected in any frame of the input."""


class TakeFormatError(EngineError):
    """A take file (or CSV) is missing fields or has wrong shapes, dtypes or ranges."""


class MissingDependency(EngineError):
    """An optional dependency needed for the requested feature is not installed."""


class MissingModelFile(EngineError):
    """A model weight file is not where it is expected (it cannot be downloaded here)."""
