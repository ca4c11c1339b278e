"""Every operator, panel and property-group idname of the add-on, in one place (no bpy)."""

from __future__ import annotations

PREFIX = "facemocap"

OP_TRACK = f"{PREFIX}.track"
OP_BAKE = f"{PREFIX}.bake"
OP_BUILD_DEMO_RIG = f"{PREFIX}.build_demo_rig"
OP_CHECK_ENGINE = f"{PREFIX}.check_engine"
OP_MATCH_REPORT = f"{PREFIX}.match_report"
OP_NEUTRAL_FROM_CURRENT = f"{PREFIX}.neutral_from_current_frame"
OP_RESET_GAINS = f"{PREFIX}.reset_gains"
OP_IMPORT_LIVELINK = f"{PREFIX}.import_livelink_csv"
OP_EXPORT_LIVELINK = f"{PREFIX}.export_livelink_csv"
OP_FIND_FACE_BONES = f"{PREFIX}.find_face_bones"
OP_MAPPING_EDIT = f"{PREFIX}.mapping_edit"
OP_MAPPING_LOAD = f"{PREFIX}.mapping_load"
OP_MAPPING_SAVE = f"{PREFIX}.mapping_save"
OP_MAPPING_LINK_ADD = f"{PREFIX}.mapping_link_add"
OP_MAPPING_LINK_REMOVE = f"{PREFIX}.mapping_link_remove"

PANEL_CATEGORY = "Face Mocap"  # the one sidebar tab
PT_MAIN = "VIEW3D_PT_facemocap_main"
PT_SOURCE = "VIEW3D_PT_facemocap_source"
PT_TARGET = "VIEW3D_PT_facemocap_target"
PT_MAPPING_EDITOR = "VIEW3D_PT_facemocap_mapping_editor"
PT_HEAD_EYES = "VIEW3D_PT_facemocap_head_eyes"
PT_ADJUST = "VIEW3D_PT_facemocap_adjust"
PT_GAINS = "VIEW3D_PT_facemocap_gains"
PT_BAKE = "VIEW3D_PT_facemocap_bake"
PT_INTERCHANGE = "VIEW3D_PT_facemocap_interchange"
UL_MAPPING_LINKS = "FACEMOCAP_UL_mapping_links"
