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

PANEL_CATEGORY = "Face Mocap"  # the one sidebar tab
PT_MAIN = "VIEW3D_PT_facemocap_main"
PT_SOURCE = "VIEW3D_PT_facemocap_source"
PT_TARGET = "VIEW3D_PT_facemocap_target"
PT_HEAD_EYES = "VIEW3D_PT_facemocap_head_eyes"
PT_ADJUST = "VIEW3D_PT_facemocap_adjust"
PT_GAINS = "VIEW3D_PT_facemocap_gains"
PT_BAKE = "VIEW3D_PT_facemocap_bake"
PT_INTERCHANGE = "VIEW3D_PT_facemocap_interchange"
