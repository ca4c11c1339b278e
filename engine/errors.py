"""The engine's own user-facing errors, on the contract's one base class (:class:`UserError`).

The CLI prints any :class:`UserError` as one line and exits non-zero (no traceback). ``InputError`` and
``TakeFormatError`` are the contract's (the take reader and writer raise them); they are re-exported here so
engine modules import every error from one place.
"""

from __future__ import annotations

from .contract.errors import InputError, TakeFormatError, UserError

__all__ = ["InputError", "MissingDependency", "MissingModelFile", "NoFaceFound", "TakeFormatError", "UserError"]


class NoFaceFound(UserError):
    """No face was detected in any frame of the input."""


class MissingDependency(UserError):
    """An optional dependency needed for the requested feature is not installed."""


class MissingModelFile(UserError):
    """A model weight file is not where it is expected (it cannot be downloaded here)."""
