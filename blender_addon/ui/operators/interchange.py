"""Import and export Live Link Face CSV takes."""

from __future__ import annotations

from pathlib import Path

import bpy
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..._contract import output_guard
from ...blender.export import baked_take_path, export_livelink
from ...pure.takes import open_take
from .. import idnames, properties
from .calibration import fill_channel_gains
from .common import EXPECTED_ERRORS, call_operator, reports_errors

__all__ = ["FACEMOCAP_OT_export_livelink_csv", "FACEMOCAP_OT_import_livelink_csv", "classes"]


class FACEMOCAP_OT_import_livelink_csv(ImportHelper, bpy.types.Operator):
    """Import a Live Link Face CSV take and bake it onto the current targets."""

    bl_idname = idnames.OP_IMPORT_LIVELINK
    bl_label = "Import Live Link Face CSV"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".csv"
    filter_glob: bpy.props.StringProperty(default="*.csv", options={"HIDDEN"})
    bake: bpy.props.BoolProperty(name="Bake", default=True, description="Bake it onto the targets right away")

    @reports_errors
    def execute(self, context):
        s = properties.settings_of(context)
        opened = open_take(self.filepath)
        s.source_type = "TAKE"
        s.take_path = self.filepath
        fill_channel_gains(s, opened.take.channel_names)
        for w in opened.warnings[:5]:
            self.report({"WARNING"}, w)
        take = opened.take
        self.report({"INFO"}, f"Imported {take.num_frames} frames at {take.fps:g} fps from {Path(self.filepath).name}")
        if self.bake and (properties.target_meshes(s) or s.head_target):
            return call_operator(idnames.OP_BAKE)
        return {"FINISHED"}


class FACEMOCAP_OT_export_livelink_csv(ExportHelper, bpy.types.Operator):
    """Export the target mesh's baked shape-key animation as a Live Link Face CSV (the face's main mesh: the one
    with the most shape keys, when the target is a collection or an armature).
    """

    bl_idname = idnames.OP_EXPORT_LIVELINK
    bl_label = "Export Live Link Face CSV"
    bl_options = {"REGISTER"}

    filename_ext = ".csv"
    filter_glob: bpy.props.StringProperty(default="*.csv", options={"HIDDEN"})
    overwrite: bpy.props.BoolProperty(
        name="Overwrite",
        default=False,
        description="Replace an existing file even if this add-on did not write it (a recording, an edited file)",
    )

    @classmethod
    def poll(cls, context):
        return bool(properties.target_meshes(properties.settings_of(context)))

    @reports_errors
    def execute(self, context):
        output_guard.check_output(
            self.filepath, overwrite=self.overwrite, what="CSV", suffixes=(".csv",), overwrite_hint="tick Overwrite"
        )
        s = properties.settings_of(context)
        mesh = properties.target_meshes(s)[0]
        # Head and gaze come from the take the keys were baked from, not whatever the panel names now.
        take_path = properties.take_file(s, baked_take_path(mesh))
        take = None
        if take_path:
            try:
                take = open_take(take_path)
            except EXPECTED_ERRORS as err:
                self.report({"WARNING"}, f"head and gaze not exported: {err}")
        rows = export_livelink(
            context.scene,
            mesh,
            self.filepath,
            take=take,
            settings=properties.to_process_settings(s),
        )
        self.report({"INFO"}, f"Wrote {rows} frames to {self.filepath}")
        return {"FINISHED"}


classes = (FACEMOCAP_OT_import_livelink_csv, FACEMOCAP_OT_export_livelink_csv)
