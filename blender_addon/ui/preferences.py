"""Add-on preferences: where the engine lives (its Python and its folder), with a check button."""

from __future__ import annotations

from pathlib import Path

import bpy

from .. import __package__ as base_package
from .._contract import version as project_version
from ..pure import bridge
from . import idnames
from .engine_process import stop_engine, tracking
from .wrapped_label import draw_wrapped

__all__ = ["FACEMOCAP_AP_preferences", "FACEMOCAP_OT_check_engine", "classes", "get_preferences"]

_ADDON_DIR = Path(__file__).resolve().parents[1]  # the add-on folder (this file is in its ui/)


def _default_root() -> str:
    """The repository holding ``engine/`` when the add-on runs from a checkout (its parent folder), else ""."""
    parent = _ADDON_DIR.parent
    return str(parent) if (parent / "engine" / "__init__.py").is_file() else ""


def _default_python() -> str:
    root = _default_root()
    return bridge.default_engine_python(root) if root else ""


def _engine_location_changed(self, context) -> None:
    """Another engine is set: the session's running one is stopped (the next Track starts the new one); a take it
    is tracking now finishes first (the next Track restarts it at the new location).
    """
    if not tracking():
        stop_engine()


class FACEMOCAP_AP_preferences(bpy.types.AddonPreferences):
    """Engine location. The engine runs in its own Python, never inside Blender's."""

    bl_idname = base_package

    engine_python: bpy.props.StringProperty(
        name="Engine Python",
        description="The Python interpreter that has the engine installed (the project's .venv/bin/python)",
        subtype="FILE_PATH",
        default=_default_python(),
        update=_engine_location_changed,
    )
    engine_root: bpy.props.StringProperty(
        name="Engine Folder",
        description="The folder that contains 'engine/' (empty: found from the Engine Python's location)",
        subtype="DIR_PATH",
        default=_default_root(),
        update=_engine_location_changed,
    )
    last_check: bpy.props.StringProperty(name="Last check", default="")

    def draw(self, context):
        layout = self.layout
        layout.prop(self, "engine_python")
        layout.prop(self, "engine_root")
        row = layout.row()
        row.operator(idnames.OP_CHECK_ENGINE, icon="CHECKMARK")
        if self.last_check:
            draw_wrapped(layout.column(align=True), self.last_check, context)


def get_preferences(context: bpy.types.Context | None = None) -> FACEMOCAP_AP_preferences | None:
    """This add-on's preferences (None if the add-on is not registered as an add-on, e.g. from a checkout)."""
    context = context or bpy.context
    addon = context.preferences.addons.get(base_package)
    return addon.preferences if addon is not None else None


def engine_location(context: bpy.types.Context | None = None) -> tuple[str, str]:
    """(engine python, engine root) from the preferences, or the checkout defaults."""
    prefs = get_preferences(context)
    if prefs is None:
        return _default_python(), _default_root()
    return bpy.path.abspath(prefs.engine_python), bpy.path.abspath(prefs.engine_root)


class FACEMOCAP_OT_check_engine(bpy.types.Operator):
    """Run the engine with --version and report whether it works (the next Track starts the engine afresh)."""

    bl_idname = idnames.OP_CHECK_ENGINE
    bl_label = "Check Engine"
    bl_options = {"REGISTER", "INTERNAL"}

    def execute(self, context):
        settings = getattr(context.scene, "facemocap", None) if context.scene is not None else None
        # The check restarts the engine: it would end a running take, whichever scene it tracks for.
        if tracking() or (settings is not None and settings.job_running):
            self.report({"ERROR"}, "a track is running: check the engine once it has finished (or after Esc)")
            return {"CANCELLED"}
        python, root = engine_location(context)
        prefs = get_preferences(context)
        stop_engine()  # an engine updated on disk since the session's one started is what the next take runs
        try:
            version = bridge.check_engine(python, root)
        except bridge.EngineUnavailable as err:
            if prefs is not None:
                prefs.last_check = f"Not working: {err}"
            self.report({"ERROR"}, str(err))
            return {"CANCELLED"}
        same, message = bridge.engine_check_message(version, python, project_version.project_version())
        if prefs is not None:
            prefs.last_check = message
        self.report({"INFO"} if same else {"WARNING"}, message)
        return {"FINISHED"}


classes = (FACEMOCAP_OT_check_engine, FACEMOCAP_AP_preferences)
