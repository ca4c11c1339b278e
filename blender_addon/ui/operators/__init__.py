"""Operators: thin wrappers that read the panel's settings, call the pure and bake layers, and report."""

from __future__ import annotations

from . import bake_ops, bones_ops, calibration, interchange, mapping_ops, rig, track

classes = (
    *track.classes,
    *bake_ops.classes,
    *mapping_ops.classes,
    *bones_ops.classes,
    *rig.classes,
    *calibration.classes,
    *interchange.classes,
)

__all__ = ["classes"]
