"""Bake the scene's take onto its targets (one undo step), and show the matching report."""

from __future__ import annotations

import bpy

from ..._rigs import rigs
from ...blender.bake import bake_take
from ...pure.retarget import plan_retarget
from ...pure.takes import open_take
from .. import idnames, properties
from .common import reports_errors

__all__ = ["FACEMOCAP_OT_bake", "FACEMOCAP_OT_match_report", "classes", "report_result"]


def report_result(op: bpy.types.Operator, result) -> None:
    """Tell the user what a bake did (INFO), and every warning (WARNING)."""
    text = f"Baked {result.keys:,} keys into {', '.join(result.actions)}"
    if result.summary:
        text += f" ({result.summary})"
    op.report({"INFO"}, text)
    for w in result.warnings:
        op.report({"WARNING"}, w)


class FACEMOCAP_OT_bake(bpy.types.Operator):
    """Bake the take onto the target mesh, head and eyes (re-bakes without re-tracking)."""

    bl_idname = idnames.OP_BAKE
    bl_label = "Bake Take"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        s = properties.settings_of(context)
        return bool(s.take_path) and not s.job_running

    @reports_errors
    def execute(self, context):
        s = properties.settings_of(context)
        take = open_take(bpy.path.abspath(s.take_path))
        result = bake_take(
            context.scene,
            take,
            properties.to_bake_targets(s),
            settings=properties.to_process_settings(s),
            options=properties.to_bake_options(s),
        )
        s.match_summary = result.summary
        report_result(self, result)
        return {"FINISHED"}


class FACEMOCAP_OT_match_report(bpy.types.Operator):
    """Show which of the target mesh's shape keys the mapping drives, and which channels find no key."""

    bl_idname = idnames.OP_MATCH_REPORT
    bl_label = "Check Matching"
    bl_options = {"REGISTER", "INTERNAL"}

    @classmethod
    def poll(cls, context):
        return properties.settings_of(context).target_mesh is not None

    @reports_errors
    def execute(self, context):
        import numpy as np

        s = properties.settings_of(context)
        key = s.target_mesh.data.shape_keys
        if key is None:
            self.report({"ERROR"}, f"'{s.target_mesh.name}' has no shape keys")
            return {"CANCELLED"}
        rig_keys = [kb.name for kb in key.key_blocks if kb != key.reference_key]
        if s.take_path:
            names = open_take(bpy.path.abspath(s.take_path)).take.channel_names
        else:
            names = rigs.load_names("facewarehouse46")
        opts = properties.to_bake_options(s)
        plan = plan_retarget(
            np.zeros((1, len(names)), np.float32), names, rig_keys, opts.mapping, swap_left_right=opts.swap_left_right
        )
        s.match_summary = plan.summary()
        self.report({"INFO"}, plan.summary())
        if plan.report.unused:
            self.report({"INFO"}, "rig keys not driven: " + ", ".join(plan.report.unused))
        return {"FINISHED"}


classes = (FACEMOCAP_OT_bake, FACEMOCAP_OT_match_report)
