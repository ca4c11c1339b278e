"""Helpers shared by the operators."""

from __future__ import annotations

import bpy

__all__ = ["call_operator"]


def call_operator(idname: str, *args, **kwargs):
    """Run an operator by its idname from ``idnames`` (``"facemocap.bake"`` -> ``bpy.ops.facemocap.bake()``)."""
    module, name = idname.split(".")
    return getattr(getattr(bpy.ops, module), name)(*args, **kwargs)
