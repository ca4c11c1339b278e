"""The panel's mapping editor in real Blender: load the current mapping, edit links, bake with it, save it as a TOML
mapping file people can diff, load it back.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

import takegen  # noqa: E402
from conftest import make_shape_key_mesh  # noqa: E402

from blender_addon._rigs import rigs  # noqa: E402

ARKIT = takegen.arkit52_names()
FW = takegen.fw46_names()


def _link_index(s, source: str, target: str) -> int:
    return next(i for i, k in enumerate(s.mapping_links) if (k.source, k.target) == (source, target))


@pytest.fixture
def edited(scene, tmp_path):
    """An ARKit rig (plus a corrective key) and a take; the FaceWarehouse -> ARKit preset loaded into the editor."""
    s = scene.facemocap
    path = takegen.write_take(tmp_path / "take.npz", frames=30)
    s.take_path = str(path)
    s.target_mesh = make_shape_key_mesh("Head", [*ARKIT, "MyJawCorrective"])
    s.mapping = "AUTO"
    assert bpy.ops.facemocap.mapping_edit() == {"FINISHED"}
    return s, np.load(path)["expression"]


def test_feature_edit_bake_save_load(edited, tmp_path):
    from blender_addon.ui.mapping_editor import editor_mapping

    s, w = edited
    preset = rigs.load_mapping("facewarehouse46_to_arkit52")
    assert s.use_mapping_editor and s.mapping_edit_name == preset.name and len(s.mapping_links) == len(preset.links)
    jaw = _link_index(s, "JawOpen", "jawOpen")
    s.mapping_links[jaw].gain, s.mapping_links[jaw].offset = 0.5, 0.1
    s.mapping_links_index = _link_index(s, "EyeBlink_R", "eyeBlinkRight")
    assert bpy.ops.facemocap.mapping_link_remove() == {"FINISHED"}
    s.mapping_links_index = _link_index(s, "JawOpen", "jawOpen")
    assert bpy.ops.facemocap.mapping_link_add() == {"FINISHED"}  # a copy of the selected link ...
    s.mapping_links[s.mapping_links_index].target = "MyJawCorrective"  # ... onto the artist's own key
    assert bpy.ops.facemocap.bake() == {"FINISHED"}

    head = s.target_mesh
    kb = head.data.shape_keys.key_blocks
    bpy.context.scene.frame_set(1 + 11)
    expected_jaw = float(np.clip(0.5 * w[11, FW.index("JawOpen")] + 0.1, 0, 1))
    assert kb["jawOpen"].value == pytest.approx(expected_jaw, abs=1e-6)
    assert kb["MyJawCorrective"].value == pytest.approx(expected_jaw, abs=1e-6)
    from blender_addon.blender.anim_write import active_fcurves

    assert kb["eyeBlinkRight"].path_from_id("value") not in {
        fc.data_path for fc in active_fcurves(head.data.shape_keys)
    }

    saved = tmp_path / "my_rig.toml"
    assert bpy.ops.facemocap.mapping_save(filepath=str(saved)) == {"FINISHED"}
    assert s.mapping == "CUSTOM" and s.custom_mapping_path == str(saved)
    text = saved.read_text()
    assert re.search(r'\{ source = "JawOpen", +target = "MyJawCorrective", gain = 0.5, offset = 0.1 \},\n', text)
    assert "eyeBlinkRight" in text and '"EyeBlink_R",' not in text  # a target still, but its link is gone
    assert rigs.load_mapping(saved) == editor_mapping(s)

    s.mapping_links.clear()
    assert bpy.ops.facemocap.mapping_load(filepath=str(saved)) == {"FINISHED"}
    assert len(s.mapping_links) == len(preset.links) and s.mapping_edit_name == "my_rig"
    s.use_mapping_editor = False  # bake from the saved file itself
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    assert s.match_summary.startswith("mapping my_rig: ")
    bpy.context.scene.frame_set(1 + 11)
    assert kb["MyJawCorrective"].value == pytest.approx(expected_jaw, abs=1e-6)


def _drawn_rows(s) -> list[list[str]]:
    """The labels of each row of the editor's link list, as its draw code makes them (checked icons)."""
    from test_addon_panels import CheckingLayout

    from blender_addon.ui.panels import FACEMOCAP_UL_mapping_links

    rows = []
    for i, item in enumerate(s.mapping_links):
        calls: list = []
        FACEMOCAP_UL_mapping_links.draw_item(None, bpy.context, CheckingLayout(calls), s, item, 0, s, "", i)
        rows.append([text for kind, text in calls if kind == "label"])
    return rows


def test_feature_link_rows_show_the_keys_they_reached(edited):
    s, _ = edited
    s.mapping_links[_link_index(s, "Puff", "cheekPuff")].target = "cheekPuffy"  # a typo: no such key on the rig
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    rows = _drawn_rows(s)
    assert rows[_link_index(s, "EyeBlink_L", "eyeBlinkLeft")] == ["EyeBlink_L -> eyeBlinkLeft", "eyeBlinkLeft"]
    assert rows[_link_index(s, "Puff", "cheekPuffy")] == ["Puff -> cheekPuffy", "no key"]
    assert "Not found on any mesh (1): cheekPuffy" in [item.name for item in s.match_lines]


def test_exception_non_finite_gain_is_refused(edited):
    s, _ = edited
    s.mapping_links[_link_index(s, "JawOpen", "jawOpen")].gain = float("nan")
    n = len(bpy.data.actions)
    with pytest.raises(RuntimeError, match=r"link \d+ \(JawOpen -> jawOpen\): gain must be a finite number"):
        bpy.ops.facemocap.bake()
    assert len(bpy.data.actions) == n


def test_exception_empty_editor(scene, tmp_path):
    scene.facemocap.use_mapping_editor = True
    scene.facemocap.take_path = str(takegen.write_take(tmp_path / "t.npz", frames=5))
    scene.facemocap.target_mesh = make_shape_key_mesh("m", ["jawOpen"])
    with pytest.raises(RuntimeError, match="mapping editor is empty"):
        bpy.ops.facemocap.bake()


def test_a_mapping_choice_is_saved_by_its_name_and_0_1_places_read_as_they_were(scene, tmp_path):
    """Presets added later moved every choice saved by position (facewarehouse46_to_arkit52 read back as
    arkit52_to_vrm): a choice is saved by its name. One 0.1.0 saved by its place reads as the choice it was there
    where that place meant one choice in both of 0.1.0's lists (its Custom File, place 7, read as Automatic: the
    artist's file was dropped, silently); a place that meant two (3, 4, 5), or a number nobody stored, reads as
    Automatic and the panel says to pick the Mapping again.
    """
    from blender_addon.ui.properties import mapping_choice, mapping_item_number

    s = scene.facemocap
    s.mapping = "facewarehouse46_to_arkit52"
    assert s["mapping"] == mapping_item_number("facewarehouse46_to_arkit52") >= 1_000
    s["mapping"] = 6  # facewarehouse46_to_vrm, in the only list that had a place 6
    assert mapping_choice(s) == "facewarehouse46_to_vrm"
    hero = tmp_path / "hero_mapping.toml"
    hero.write_text(rigs.mapping_to_toml(rigs.load_mapping("facewarehouse46_to_arkit52")))
    s["mapping"], s.custom_mapping_path = 7, str(hero)  # Custom File, in the later list
    assert mapping_choice(s) == str(hero)
    other = bpy.data.scenes.new("Other")
    other.facemocap["mapping"] = 5  # Custom File in the first list, facewarehouse46_to_facewarehouse46 in the later
    assert mapping_choice(other.facemocap) == "AUTO" and "pick the Mapping again" in other.facemocap.job_status
    path = tmp_path / "old.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.open_mainfile(filepath=str(path))  # the choices settle as the file is read: the panel shows them
    assert bpy.data.scenes["Other"].facemocap.mapping == "AUTO"
    settled = bpy.context.scene.facemocap
    assert settled.mapping == "CUSTOM" and settled["mapping"] == mapping_item_number("CUSTOM")


def test_a_saved_mapping_file_is_what_bakes_beside_the_blend_wherever_the_project_goes(edited, tmp_path):
    """Save Mapping left the editor on: a colleague's later change to the saved file never baked. Its path was stored
    absolute: a copied project read the original's file, a moved one failed. A link copied by Add Link lost its
    fallback condition.
    """
    from blender_addon.ui.properties import mapping_choice

    s, w = edited
    project = tmp_path / "projA"
    project.mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(project / "shot.blend"))
    s = bpy.context.scene.facemocap
    saved = project / "hero.toml"
    assert bpy.ops.facemocap.mapping_save(filepath=str(saved)) == {"FINISHED"}
    assert not s.use_mapping_editor and s.mapping == "CUSTOM" and s.custom_mapping_path == "//hero.toml"
    saved.write_text(saved.read_text().replace('target = "jawOpen"', 'target = "jawOpen", gain = 0.0'))
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    bpy.context.scene.frame_set(1 + 11)
    assert w[11, FW.index("JawOpen")] > 0.05 and s.target_mesh.data.shape_keys.key_blocks["jawOpen"].value == 0.0

    s.custom_mapping_path = str(saved)  # an absolute path, as earlier versions stored it
    bpy.ops.wm.save_mainfile()
    moved = tmp_path / "projB"
    project.rename(moved)
    bpy.ops.wm.open_mainfile(filepath=str(moved / "shot.blend"))
    assert mapping_choice(bpy.context.scene.facemocap) == str(moved / "hero.toml")

    s = bpy.context.scene.facemocap
    s.mapping_links[0].unless_rig_has = "blinkLeft, blinkRight"
    s.mapping_links_index = 0
    assert bpy.ops.facemocap.mapping_link_add() == {"FINISHED"}
    assert s.mapping_links[len(s.mapping_links) - 1].unless_rig_has == "blinkLeft, blinkRight"


def test_a_mapping_is_never_saved_among_the_add_ons_presets(edited):
    """The presets folder is replaced when the add-on updates: a mapping saved there (or over a preset) was lost."""
    s, _ = edited
    preset = rigs.MAPPINGS_DIR / "facewarehouse46_to_arkit52.toml"
    before = preset.read_bytes()
    s.mapping_links.remove(0)
    for target in (preset, rigs.MAPPINGS_DIR / "hero_fix.toml"):
        with pytest.raises(RuntimeError, match="holds the add-on's presets"):
            bpy.ops.facemocap.mapping_save(filepath=str(target))
    assert preset.read_bytes() == before and not (rigs.MAPPINGS_DIR / "hero_fix.toml").exists()


def test_the_link_lists_filter_box_matches_the_rows_text(edited):
    """The editor's list has no item names, so Blender's own filter hid every row."""
    from blender_addon.ui.mapping_editor import link_label, links_matching

    s, _ = edited
    shown = links_matching(s.mapping_links, "jawopen")
    assert 0 < sum(shown) < len(s.mapping_links)
    assert all(("jawopen" in link_label(k).lower()) == m for k, m in zip(s.mapping_links, shown, strict=True))
    assert all(links_matching(s.mapping_links, "")) and sum(links_matching(s.mapping_links, "Eye*_L")) >= 2


def test_a_mapping_file_path_from_home_or_an_unsaved_blend_is_read_or_said(scene, tmp_path, monkeypatch):
    """'~/hero.toml' was read from a folder named '~'; '//hero.toml' in a .blend not saved yet said only "cannot read
    mapping file hero.toml" (read from wherever Blender was started).
    """
    from blender_addon.pure.retarget import MappingError
    from blender_addon.ui.properties import mapping_choice

    monkeypatch.setenv("HOME", str(tmp_path))
    s = scene.facemocap
    s.mapping, s.custom_mapping_path = "CUSTOM", "~/hero.toml"
    assert mapping_choice(s) == str(tmp_path / "hero.toml")
    s.custom_mapping_path = "//hero.toml"
    assert not bpy.data.filepath
    with pytest.raises(MappingError, match=r"given from the .blend's folder, and this .blend is not saved yet"):
        mapping_choice(s)
