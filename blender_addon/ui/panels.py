"""The 3D Viewport sidebar tab: source -> track -> target and mapping (and its editor) -> head, jaw and eyes ->
adjust -> bake.
"""

from __future__ import annotations

import bpy

from .._contract import errors
from ..pure.takes import open_take
from . import idnames, mapping_editor, properties
from .engine_process import tracking
from .wrapped_label import draw_wrapped

__all__ = ["classes"]


class _Base:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = idnames.PANEL_CATEGORY


class VIEW3D_PT_facemocap_main(_Base, bpy.types.Panel):
    bl_idname = idnames.PT_MAIN
    bl_label = "Face Mocap"

    def draw(self, context):
        s = properties.settings_of(context)
        layout = self.layout
        if s.job_running:
            layout.progress(factor=s.job_progress, type="BAR", text=s.job_status or "Tracking...")
            layout.label(text="Press Esc to cancel", icon="CANCEL")
        elif tracking():  # Track is greyed out here: say why
            layout.label(text="A track is running in another scene; Track waits for it", icon="INFO")
        elif s.job_status:
            draw_wrapped(layout.column(align=True), s.job_status, context, icon="INFO")
        row = layout.row(align=True)
        row.scale_y = 1.4
        row.operator(idnames.OP_TRACK, icon="REC")
        row.operator(idnames.OP_BAKE, icon="KEYINGSET")
        layout.operator(idnames.OP_BUILD_DEMO_RIG, icon="MONKEY")


class VIEW3D_PT_facemocap_source(_Base, bpy.types.Panel):
    bl_idname = idnames.PT_SOURCE
    bl_parent_id = idnames.PT_MAIN
    bl_label = "Source"

    def draw(self, context):
        s = properties.settings_of(context)
        layout = self.layout
        layout.use_property_split = True
        layout.prop(s, "source_type", expand=True)
        if s.source_type == "VIDEO":
            layout.prop(s, "video_path")
        elif s.source_type == "IMAGES":
            layout.prop(s, "image_dir")
        if s.source_type != "TAKE":
            layout.prop(s, "use_range")
            if s.use_range:
                col = layout.column(align=True)
                col.prop(s, "range_start")
                col.prop(s, "range_end")
            layout.prop(s, "identity_path")
            layout.prop(s, "neutral_source")
            if s.neutral_source == "TIME":
                layout.prop(s, "neutral_time")
            elif s.neutral_source == "PHOTO":
                layout.prop(s, "neutral_photo")
            layout.prop(s, "takes_dir")
            layout.prop(s, "bake_after_track")
        layout.prop(s, "take_path")
        if s.take_path:
            try:
                opened = open_take(properties.take_file(s))
            except (errors.UserError, OSError) as err:
                layout.label(text=str(err), icon="ERROR")
            else:
                take = opened.take
                layout.label(
                    text=f"{take.num_frames} frames, {take.fps:g} fps, {take.duration:.1f} s ({opened.channel_list})",
                    icon="INFO",
                )


class VIEW3D_PT_facemocap_target(_Base, bpy.types.Panel):
    bl_idname = idnames.PT_TARGET
    bl_parent_id = idnames.PT_MAIN
    bl_label = "Target and Mapping"

    def draw(self, context):
        s = properties.settings_of(context)
        layout = self.layout
        layout.use_property_split = True
        layout.prop(s, "target_kind", expand=True)
        layout.prop(
            s, {"COLLECTION": "target_collection", "ARMATURE": "target_armature"}.get(s.target_kind, "target_mesh")
        )
        row = layout.row()
        row.active = not s.use_mapping_editor
        row.prop(s, "mapping")
        if s.mapping == properties.CUSTOM and not s.use_mapping_editor:
            layout.prop(s, "custom_mapping_path")
        layout.prop(s, "swap_left_right")
        layout.operator(idnames.OP_MATCH_REPORT, icon="VIEWZOOM")
        if s.match_summary or len(s.match_lines):
            box = layout.box()
            for line in [item.name for item in s.match_lines] or [s.match_summary]:
                draw_wrapped(box, line, context)


class FACEMOCAP_UL_mapping_links(bpy.types.UIList):
    """A link per row: channel -> target, the rig keys the last matching connected it to, its gain."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        connected = data.match_connections.get(item.target)
        row = layout.row(align=True)
        row.label(text=mapping_editor.link_label(item))
        if connected is not None:
            row.label(text=connected.keys, icon="LINKED")
        elif len(data.match_connections):
            row.label(text="no key", icon="UNLINKED")
        row.prop(item, "gain", text="")

    def filter_items(self, context, data, propname):
        """The filter box matches the rows' text (links have no name for Blender's own filter to read)."""
        matching = mapping_editor.links_matching(getattr(data, propname), self.filter_name)
        return [self.bitflag_filter_item if m else 0 for m in matching], []  # Blender applies Invert itself


class VIEW3D_PT_facemocap_mapping_editor(_Base, bpy.types.Panel):
    bl_idname = idnames.PT_MAPPING_EDITOR
    bl_parent_id = idnames.PT_TARGET
    bl_label = "Mapping Editor"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        s = properties.settings_of(context)
        layout = self.layout
        row = layout.row(align=True)
        row.operator(idnames.OP_MAPPING_EDIT, icon="GREASEPENCIL")
        row.operator(idnames.OP_MAPPING_LOAD, icon="FILE_FOLDER", text="Load")
        row.operator(idnames.OP_MAPPING_SAVE, icon="FILE_TICK", text="Save")
        layout.prop(s, "use_mapping_editor")
        if not len(s.mapping_links):
            layout.label(text="Edit Mapping loads the current mapping here", icon="INFO")
            return
        layout.prop(s, "mapping_edit_name")
        row = layout.row()
        row.template_list(idnames.UL_MAPPING_LINKS, "", s, "mapping_links", s, "mapping_links_index", rows=6)
        col = row.column(align=True)
        col.operator(idnames.OP_MAPPING_LINK_ADD, icon="ADD", text="")
        col.operator(idnames.OP_MAPPING_LINK_REMOVE, icon="REMOVE", text="")
        if 0 <= s.mapping_links_index < len(s.mapping_links):
            link = s.mapping_links[s.mapping_links_index]
            col = layout.column(align=True)
            col.use_property_split = True
            col.prop_search(link, "source", s, "mapping_sources")
            col.prop_search(link, "target", s, "mapping_targets")
            col.prop(link, "gain")
            col.prop(link, "offset")
            col.prop(link, "clamp_low")
            col.prop(link, "clamp_high")
            col.prop(link, "unless_rig_has")


def _target_with_bone(layout, s, obj_prop: str, bone_prop: str) -> None:
    layout.prop(s, obj_prop)
    obj = getattr(s, obj_prop)
    if obj is not None and obj.type == "ARMATURE":
        layout.prop_search(s, bone_prop, obj.data, "bones")


class VIEW3D_PT_facemocap_head_eyes(_Base, bpy.types.Panel):
    bl_idname = idnames.PT_HEAD_EYES
    bl_parent_id = idnames.PT_MAIN
    bl_label = "Head, Jaw and Eyes"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        s = properties.settings_of(context)
        layout = self.layout
        layout.use_property_split = True
        layout.operator(idnames.OP_FIND_FACE_BONES, icon="BONE_DATA")
        _target_with_bone(layout, s, "head_target", "head_bone")
        if s.head_target is not None and s.head_target.type == "ARMATURE":
            layout.prop_search(s, "neck_bone", s.head_target.data, "bones")
            if s.neck_bone:
                layout.prop(s, "neck_share")
        layout.prop(s, "head_translation")
        layout.separator()
        _target_with_bone(layout, s, "jaw_target", "jaw_bone")
        if s.jaw_target is not None:
            col = layout.column(align=True)
            col.prop(s, "jaw_open_deg")
            col.prop(s, "jaw_side_deg")
            col.prop(s, "jaw_forward_cm")
        layout.separator()
        layout.prop(s, "gaze_mode")
        if s.gaze_mode == "ROTATION":
            _target_with_bone(layout, s, "eye_left_target", "eye_left_bone")
            _target_with_bone(layout, s, "eye_right_target", "eye_right_bone")


class VIEW3D_PT_facemocap_adjust(_Base, bpy.types.Panel):
    bl_idname = idnames.PT_ADJUST
    bl_parent_id = idnames.PT_MAIN
    bl_label = "Adjust"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        s = properties.settings_of(context)
        layout = self.layout
        layout.use_property_split = True
        layout.prop(s, "use_neutral")
        col = layout.column(align=True)
        col.active = s.use_neutral
        col.prop(s, "neutral_start")
        col.prop(s, "neutral_end")
        col.prop(s, "neutral_head")
        row = col.row(align=True)
        row.operator(idnames.OP_NEUTRAL_FROM_CURRENT, text="Current Frame").extend = False
        row.operator(idnames.OP_NEUTRAL_FROM_CURRENT, text="Extend").extend = True
        layout.separator()
        layout.prop(s, "refilter")
        sub = layout.row()
        sub.active = s.refilter
        sub.prop(s, "filter_strength")
        layout.prop(s, "gain")
        layout.label(text="Changes apply on the next Bake (no re-tracking)", icon="INFO")


class FACEMOCAP_UL_channel_gains(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index):
        row = layout.row(align=True)
        row.label(text=item.name)
        row.prop(item, "gain", text="")


class VIEW3D_PT_facemocap_gains(_Base, bpy.types.Panel):
    bl_idname = idnames.PT_GAINS
    bl_parent_id = idnames.PT_ADJUST
    bl_label = "Channel Gains"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        s = properties.settings_of(context)
        layout = self.layout
        layout.template_list("FACEMOCAP_UL_channel_gains", "", s, "channel_gains", s, "channel_gains_index", rows=6)
        layout.operator(idnames.OP_RESET_GAINS, icon="LOOP_BACK")


class VIEW3D_PT_facemocap_bake(_Base, bpy.types.Panel):
    bl_idname = idnames.PT_BAKE
    bl_parent_id = idnames.PT_MAIN
    bl_label = "Bake Options"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        s = properties.settings_of(context)
        layout = self.layout
        layout.use_property_split = True
        layout.prop(s, "set_scene_timing")
        layout.prop(s, "use_key_reduction")
        sub = layout.row()
        sub.active = s.use_key_reduction
        sub.prop(s, "key_tolerance")


class VIEW3D_PT_facemocap_interchange(_Base, bpy.types.Panel):
    bl_idname = idnames.PT_INTERCHANGE
    bl_parent_id = idnames.PT_MAIN
    bl_label = "Live Link Face CSV"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        col = self.layout.column(align=True)
        col.operator(idnames.OP_IMPORT_LIVELINK, icon="IMPORT")
        col.operator(idnames.OP_EXPORT_LIVELINK, icon="EXPORT")


classes = (
    FACEMOCAP_UL_channel_gains,
    FACEMOCAP_UL_mapping_links,
    VIEW3D_PT_facemocap_main,
    VIEW3D_PT_facemocap_source,
    VIEW3D_PT_facemocap_target,
    VIEW3D_PT_facemocap_mapping_editor,
    VIEW3D_PT_facemocap_head_eyes,
    VIEW3D_PT_facemocap_adjust,
    VIEW3D_PT_facemocap_gains,
    VIEW3D_PT_facemocap_bake,
    VIEW3D_PT_facemocap_interchange,
)
