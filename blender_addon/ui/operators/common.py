"""Helpers shared by the operators: calling an operator by idname, and the one way operators handle errors."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable

import bpy

from ..._contract import errors

__all__ = ["EXPECTED_ERRORS", "call_operator", "reports_errors"]

EXPECTED_ERRORS = (errors.UserError, OSError)
"""What an operator reports as an ordinary error: failures a user can act on, and the file system's."""


def call_operator(idname: str, *args, **kwargs):
    """Run an operator by its idname from ``idnames`` (``"facemocap.bake"`` -> ``bpy.ops.facemocap.bake()``)."""
    module, name = idname.split(".")
    return getattr(getattr(bpy.ops, module), name)(*args, **kwargs)


def reports_errors(execute: Callable) -> Callable:
    """Wrap an operator's ``execute``: expected failures become one ERROR report, anything else is reported as a bug.

    An expected failure (:data:`EXPECTED_ERRORS`) is shown with its message and the operator is cancelled. Any
    other exception (a numpy or programming error) is not disguised as one: its traceback goes to the system
    console and the report says it is a bug to be reported.
    """

    @functools.wraps(execute)
    def wrapper(self, context):
        try:
            return execute(self, context)
        except EXPECTED_ERRORS as err:
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}
        except Exception as err:
            print(f"Face Mocap: bug in {self.bl_label}:", file=sys.stderr)
            traceback.print_exc()  # the traceback, in the system console (stderr), whatever logging is set up
            self.report(
                {"ERROR"},
                f"{self.bl_label} failed because of a bug in the add-on ({type(err).__name__}: {err}); "
                "please report it with the traceback from the system console",
            )
            return {"CANCELLED"}

    return wrapper
