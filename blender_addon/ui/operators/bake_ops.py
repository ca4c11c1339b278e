"""Bake the scene's take onto its targets (one undo step), and show the matching report."""

from __future__ import annotations

import bpy
import numpy as np

from ..._rigs import rigs
from ...blender.bake import bake_take
from ...pure.retarget import plan_face
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
        take = open_take(properties.take_file(s))
        wm = context.window_manager
        wm.progress_begin(0.0, 1.0)  # the cursor shows the share written: a long take bakes for seconds
        try:
            result = bake_take(
                context.scene,
                take,
                properties.to_bake_targets(s),
                settings=properties.to_process_settings(s),
                options=properties.to_bake_options(s),
                progress=wm.progress_update,
            )
        finally:
            wm.progress_end()
        properties.set_match_report(s, result.summary, result.report, result.connections)
        report_result(self, result)
        return {"FINISHED"}


class FACEMOCAP_OT_match_report(bpy.types.Operator):
    """Show which shape keys of the target meshes the mapping drives, which it leaves alone, and which targets
    find no key.
    """

    bl_idname = idnames.OP_MATCH_REPORT
    bl_label = "Check Matching"
    bl_options = {"REGISTER", "INTERNAL"}

    @classmethod
    def poll(cls, context):
        return bool(properties.target_meshes(properties.settings_of(context)))

    @reports_errors
    def execute(self, context):
        s = properties.settings_of(context)
        meshes = [
            (o.name, [kb.name for kb in o.data.shape_keys.key_blocks if kb != o.data.shape_keys.reference_key])
            if o.data.shape_keys is not None
            else (o.name, [])
            for o in properties.target_meshes(s)
        ]
        if s.take_path:
            names = open_take(properties.take_file(s)).take.channel_names
        else:
            names = rigs.load_names("facewarehouse46")
        opts = properties.to_bake_options(s)
        plan = plan_face(
            np.zeros((1, len(names)), np.float32), names, meshes, opts.mapping, swap_left_right=opts.swap_left_right
        )
        properties.set_match_report(s, plan.summary(), plan.report_lines(), plan.connections())
        self.report({"INFO"}, plan.summary())
        for line in plan.report_lines()[1:]:
            self.report({"INFO"}, line)
        return {"FINISHED"}


classes = (FACEMOCAP_OT_bake, FACEMOCAP_OT_match_report)
