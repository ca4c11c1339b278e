"""The sidebar panels' and preferences' draw code, run in real Blender against a checking layout.

The bpy module has no window, so Blender never calls ``Panel.draw`` here. These tests call every draw function
with a stand-in for ``UILayout`` (the only part not under test) that checks what the draw code asks of it: every
``prop`` names a real RNA property of its data, every ``operator`` a registered operator, every icon a real icon.
A renamed property or operator fails here instead of in an artist's sidebar.
"""

from __future__ import annotations

import pytest

bpy = pytest.importorskip("bpy")

import takegen  # noqa: E402


class CheckingLayout:
    """Records and validates the calls of a draw function (rows, columns and boxes nest)."""

    ICONS = None

    def __init__(self, calls: list):
        self.calls = calls
        self.active = True
        self.enabled = True
        self.alert = False
        self.use_property_split = False
        self.use_property_decorate = False
        self.scale_y = 1.0
        self.scale_x = 1.0
        self.operator_context = "INVOKE_DEFAULT"

    def _icon(self, icon):
        if icon:
            if CheckingLayout.ICONS is None:
                CheckingLayout.ICONS = set(
                    bpy.types.UILayout.bl_rna.functions["prop"].parameters["icon"].enum_items.keys()
                )
            assert icon in CheckingLayout.ICONS, f"unknown icon {icon!r}"

    def _nested(self, *args, **kwargs):
        return CheckingLayout(self.calls)

    row = column = box = split = column_flow = grid_flow = _nested

    def panel(self, *args, **kwargs):
        return CheckingLayout(self.calls), CheckingLayout(self.calls)

    def prop(self, data, name, *args, icon="NONE", **kwargs):
        assert name in data.bl_rna.properties.keys(), f"{type(data).__name__} has no property {name!r}"
        self._icon(icon if icon != "NONE" else None)
        self.calls.append(("prop", name))

    def operator(self, idname, *args, icon="NONE", **kwargs):
        module, name = idname.split(".")
        assert name in dir(getattr(bpy.ops, module)), f"operator {idname} is not registered"
        self._icon(icon if icon != "NONE" else None)
        self.calls.append(("operator", idname))

        known = getattr(getattr(bpy.ops, module), name).get_rna_type().properties.keys()

        class Properties:  # the operator properties a panel sets on its button
            def __setattr__(self, key, value):
                assert key in known, f"{idname} has no property {key!r}"

        return Properties()

    def label(self, *args, icon="NONE", **kwargs):
        self._icon(icon if icon != "NONE" else None)
        self.calls.append(("label", kwargs.get("text", args[0] if args else "")))

    def separator(self, *args, **kwargs):
        pass

    def progress(self, *args, **kwargs):
        self.calls.append(("progress", kwargs.get("text", "")))

    def template_list(self, listtype, list_id, data, propname, active_data, active_propname, **kwargs):
        assert propname in data.bl_rna.properties.keys() and active_propname in active_data.bl_rna.properties.keys()
        assert hasattr(bpy.types, listtype), f"UIList {listtype} is not registered"
        self.calls.append(("template_list", propname))

    def prop_search(self, data, name, search_data, search_name, *args, **kwargs):
        assert name in data.bl_rna.properties.keys(), f"{type(data).__name__} has no property {name!r}"
        assert search_name in search_data.bl_rna.properties.keys()
        self.calls.append(("prop_search", name))


def draw_all_panels(context) -> list:
    import blender_addon.ui.panels as panels

    calls: list = []
    for cls in panels.classes:
        if issubclass(cls, bpy.types.Panel):
            stand_in = type("PanelStandIn", (), {"layout": CheckingLayout(calls)})()  # draw() only reads .layout
            cls.draw(stand_in, context)
    return calls


def test_feature_panels_draw_with_defaults(scene):
    calls = draw_all_panels(bpy.context)
    props = {name for kind, name in calls if kind == "prop"}
    assert {"video_path", "take_path"} <= props
    assert any(kind == "operator" for kind, _ in calls)


def test_feature_panels_draw_every_source_type_and_option(scene):
    s = scene.facemocap
    for source in [item.identifier for item in s.bl_rna.properties["source_type"].enum_items]:
        s.source_type = source
        for flag in ("use_range", "use_neutral", "refilter", "use_key_reduction"):
            if flag in s.bl_rna.properties.keys():
                setattr(s, flag, True)
        draw_all_panels(bpy.context)


def test_feature_panels_show_a_bad_take_as_an_error(scene, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a take")
    scene.facemocap.take_path = str(bad)
    calls = draw_all_panels(bpy.context)
    assert any(kind == "label" and "take" in str(text).lower() for kind, text in calls)


@pytest.mark.parametrize("last_check", ["", "engine 0.1.0 at .venv/bin/python"])
def test_feature_preferences_draw(addon, last_check):
    from blender_addon.ui import preferences

    prefs_cls = preferences.FACEMOCAP_AP_preferences
    calls: list = []
    # From a checkout the add-on is not an enabled extension, so there is no preferences instance: a stand-in
    # carries the class's RNA (for the property checks) and the one value draw() reads.
    stand_in = type("PrefsStandIn", (), {"layout": CheckingLayout(calls), "bl_rna": prefs_cls.bl_rna})()
    stand_in.last_check = last_check
    prefs_cls.draw(stand_in, bpy.context)
    assert ("prop", "engine_python") in calls and any(kind == "operator" for kind, _ in calls)
    assert any(kind == "label" for kind, _ in calls) == bool(last_check)


def test_feature_panels_draw_every_target_kind_and_the_mapping_editor(scene):
    s = scene.facemocap
    s.mapping = "facewarehouse46_to_arkit52"
    assert bpy.ops.facemocap.mapping_edit() == {"FINISHED"}
    s.head_target = bpy.data.objects.new("Rig", bpy.data.armatures.new("Rig"))
    s.jaw_target = s.head_target
    s.neck_bone = "neck"
    for kind in [item.identifier for item in s.bl_rna.properties["target_kind"].enum_items]:
        s.target_kind = kind
        calls = draw_all_panels(bpy.context)
        assert ("prop", {"MESH": "target_mesh"}.get(kind, f"target_{kind.lower()}")) in calls
    assert ("template_list", "mapping_links") in calls
    assert {("prop_search", "source"), ("prop_search", "target"), ("prop_search", "neck_bone")} <= set(calls)
    assert {("prop", "jaw_open_deg"), ("prop", "neck_share"), ("prop", "gain")} <= set(calls)
    assert ("operator", "facemocap.find_face_bones") in calls and ("operator", "facemocap.mapping_save") in calls


def test_feature_match_report_lines_are_drawn(scene):
    from blender_addon.ui import properties

    properties.set_match_report(
        scene.facemocap, "mapping x: 1/2 matched", ["Mapping x", "Not found on any mesh (1): b"]
    )
    labels = [text for kind, text in draw_all_panels(bpy.context) if kind == "label"]
    assert "Mapping x" in labels and "Not found on any mesh (1): b" in labels


def test_long_messages_wrap_and_a_failed_tracks_status_goes_with_its_take(scene, tmp_path):
    """Blender's labels do not wrap: the panel's status (a take's notices run to hundreds of characters) and Check
    Engine's result were cut off at the sidebar's edge. A failed track's status stayed on the panel, and in the
    saved file, after another take (an imported CSV) was baked.
    """
    from blender_addon.ui.wrapped_label import MIN_CHARACTERS

    s = scene.facemocap
    s.job_status = "Tracking failed: no face found in any of 48 frames; " + "a notice that runs on " * 20
    lines = [text for kind, text in draw_all_panels(bpy.context) if kind == "label" and "notice" in text]
    assert len(lines) >= 4 and max(len(t) for t in lines) <= 300 // 7 + 4 and MIN_CHARACTERS <= 300 // 7
    s.take_path = str(takegen.write_take(tmp_path / "other.npz", frames=5))
    assert s.job_status == ""
