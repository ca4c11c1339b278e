"""Errors a user can act on: one base class for the engine and the add-on.

The engine's command line prints a :class:`UserError` as one line and exits 1; the add-on's operators report it as
an ordinary error. Anything else (a numpy or programming error) is a bug and is reported as one, with its
traceback. ``str(err)`` is the whole message.
"""

from __future__ import annotations

__all__ = ["InputError", "TakeFormatError", "UserError"]


class UserError(Exception):
    """Base of every expected, user-facing failure: the message says what to change."""


class InputError(UserError):
    """A path is missing, unreadable or not writable, or is not the kind of file expected."""


class TakeFormatError(UserError):
    """A take file (or Live Link Face CSV) is missing fields or has wrong shapes, dtypes, ranges or values."""
