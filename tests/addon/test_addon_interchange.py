"""Retargeting onto an ARKit-named rig, and Live Link Face CSV import -> bake -> export in real Blender."""

from __future__ import annotations

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

import takegen  # noqa: E402
from conftest import make_shape_key_mesh, shape_values  # noqa: E402

ARKIT = takegen.arkit52_names()
# An ARKit rig as exported by some tools: PascalCase, Apple's _L/_R spelling, plus keys no mapping drives.
RIG_KEYS = (
    [n[0].upper() + n[1:] for n in ARKIT[:20]]
    + [n.replace("Left", "_L").replace("Right", "_R") for n in ARKIT[20:]]
    + ["Corrective_A"]
)


def _arkit_rig():
    return make_shape_key_mesh("ArkitHead", RIG_KEYS)


def test_fw46_take_onto_arkit_rig(scene, tmp_path):
    from blender_addon._rigs import rigs

    path = takegen.write_take(tmp_path / "perf.npz", frames=60)
    s = scene.facemocap
    s.take_path = str(path)
    s.target_mesh = _arkit_rig()
    s.target_mesh.data.shape_keys.key_blocks["Corrective_A"].value = 0.37
    kb = s.target_mesh.data.shape_keys.key_blocks
    no_source = ["mouthClose", "mouthPressLeft", "mouthPressRight", "tongueOut"]  # no FaceWarehouse counterpart
    for name in no_source:
        kb[RIG_KEYS[ARKIT.index(name)]].value = 0.25
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    assert s.match_summary.startswith("mapping facewarehouse46_to_arkit52: 52/52 matched")
    lines = [item.name for item in s.match_lines]
    assert "No source channel, left untouched (4): " + ", ".join(no_source) in lines
    expected = rigs.load_mapping("facewarehouse46_to_arkit52").apply(np.load(path)["expression"])
    fed = [j for j, name in enumerate(ARKIT) if name not in no_source]
    for i in (0, 13, 59):
        scene.frame_set(1 + i)
        got = shape_values(s.target_mesh, RIG_KEYS[:52])
        np.testing.assert_allclose(got[fed], expected[i, fed], atol=1e-6)
        np.testing.assert_allclose(np.delete(got, fed), 0.25)  # targets with no source keep the artist's value
    assert kb["Corrective_A"].value == pytest.approx(0.37)  # not driven


def test_swap_and_custom_mapping_file(scene, tmp_path):
    mapping = tmp_path / "my_rig.toml"
    mapping.write_text(
        'schema = 1\nsource = "facewarehouse46"\ntarget_names = ["Blink.L", "Blink.R", "Smile"]\n'
        "links = [\n"
        '  { source = "EyeBlink_L", target = "Blink.L" },\n'
        '  { source = "EyeBlink_R", target = "Blink.R" },\n'
        '  { source = "MouthSmile_L", target = "Smile", gain = 0.5 },\n'
        '  { source = "MouthSmile_R", target = "Smile", gain = 0.5, offset = -0.1, clamp = [0.0, 0.3] },\n'
        "]\n"
    )
    path = takegen.write_take(tmp_path / "t.npz", frames=10)
    w = np.load(path)["expression"]
    s = scene.facemocap
    s.take_path = str(path)
    s.target_mesh = make_shape_key_mesh("Custom", ["Blink.L", "Blink.R", "Smile"])
    s.mapping = "CUSTOM"
    s.custom_mapping_path = str(mapping)
    s.swap_left_right = True
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    scene.frame_set(4)
    got = shape_values(s.target_mesh, ["Blink.L", "Blink.R", "Smile"])
    smile = np.clip(0.5 * w[3, 27] + np.clip(0.5 * w[3, 28] - 0.1, 0, 0.3), 0, 1)
    np.testing.assert_allclose(got, [w[3, 1], w[3, 0], smile], atol=1e-6)  # L and R exchanged


@pytest.mark.parametrize("picked", ["", "FOLDER"])
def test_custom_file_without_a_file_says_pick_one_not_unknown_preset(scene, tmp_path, picked):
    s = scene.facemocap
    s.take_path = str(takegen.write_take(tmp_path / "t.npz", frames=10))
    s.target_mesh = make_shape_key_mesh("Custom", ["Smile"])
    s.mapping, s.custom_mapping_path = "CUSTOM", str(tmp_path) if picked else ""
    message = "is a folder: pick a mapping file" if picked else r"pick a mapping file first \(Mapping File\)"
    for operator in (bpy.ops.facemocap.bake, bpy.ops.facemocap.match_report):
        with pytest.raises(RuntimeError, match=message) as raised:
            operator()
        assert "unknown mapping preset" not in str(raised.value)


def test_gaze_none_bakes_no_gaze_on_eye_look_shape_keys(scene, tmp_path):
    path = takegen.write_take(tmp_path / "gaze.npz", frames=30)
    s = scene.facemocap
    s.take_path = str(path)
    s.target_mesh = _arkit_rig()
    kb = s.target_mesh.data.shape_keys.key_blocks
    looks = [k.name for k in kb if k.name.startswith("eyeLook") or k.name.startswith("EyeLook")]
    assert len(looks) == 8
    s.gaze_mode = "ROTATION"  # no eye targets: the keys follow the take's fitted eye-look channels
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    followed = []
    for frame in range(1, 31):
        scene.frame_set(frame)
        followed.append([kb[n].value for n in looks])
    assert np.max(followed) > 0.05
    s.gaze_mode = "NONE"
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    for frame in range(1, 31):
        scene.frame_set(frame)
        assert [kb[n].value for n in looks] == [0.0] * 8


def test_gaze_drives_eye_look_shape_keys(scene, tmp_path):
    from engine.contract.gaze import gaze_to_eye_look_weights

    path = takegen.write_take(tmp_path / "gaze.npz", frames=30)
    s = scene.facemocap
    s.take_path = str(path)
    s.target_mesh = _arkit_rig()
    s.gaze_mode = "SHAPE_KEYS"
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    gaze = np.load(path)["eye_gaze"].astype(np.float64)
    fw = tuple(takegen.fw46_names())
    expected = gaze_to_eye_look_weights(gaze, fw)
    scene.frame_set(1 + 7)
    kb = s.target_mesh.data.shape_keys.key_blocks
    assert kb["EyeLookOutLeft"].value == pytest.approx(float(expected["EyeOut_L"][7]), abs=1e-6)
    assert kb["EyeLookUpLeft"].value == pytest.approx(float(expected["EyeUp_L"][7]), abs=1e-6)


def test_livelink_export_of_a_29_97_scene_reads_back_its_times(scene, tmp_path):
    """An NTSC scene (30 / 1.001 fps) is written with 30 fps timecodes and exact sub-frames, so a reader that
    guesses the rate from the frame field (as this one does without fps=) gets every time back.
    """
    from engine.contract import livelink_csv

    weights = np.random.default_rng(3).uniform(0, 1, (90, 52)).astype(np.float32)
    src = tmp_path / "ntsc.csv"
    still = np.zeros((90, 3)), np.zeros((90, 2, 2))  # head and gaze
    recording = livelink_csv.LiveLinkRecording(np.arange(90) / 30.0, weights, *still, 30.0)
    livelink_csv.write_livelink_csv(src, recording)
    s = scene.facemocap
    s.target_mesh = _arkit_rig()
    s.set_scene_timing = True
    assert bpy.ops.facemocap.import_livelink_csv(filepath=str(src)) == {"FINISHED"}
    scene.render.fps, scene.render.fps_base = 30, 1.001  # the keys stay on their frames; the frames get slower
    out = tmp_path / "exported.csv"
    assert bpy.ops.facemocap.export_livelink_csv(filepath=str(out)) == {"FINISHED"}
    back = livelink_csv.read_livelink_csv(out)
    assert back.timecode_rate == 30.0 and len(back.time) == 90
    np.testing.assert_allclose(back.time, np.arange(90) * 1.001 / 30.0, atol=1e-6)


def test_livelink_csv_import_bake_export_round_trip(scene, tmp_path):
    from engine.contract import livelink_csv

    rng = np.random.default_rng(7)
    t = np.arange(120) / 60.0
    weights = np.round(rng.uniform(0, 1, (120, 52)), 6).astype(np.float32)
    head = np.stack([0.3 * np.sin(t), 0.1 * np.cos(t), 0.05 * t], 1)
    eyes = np.zeros((120, 2, 2))
    eyes[:, :, 0] = 0.2 * np.sin(3 * t)[:, None]
    src = tmp_path / "iphone_take.csv"
    livelink_csv.write_livelink_csv(src, livelink_csv.LiveLinkRecording(t, weights, head, eyes, 60.0))

    s = scene.facemocap
    s.target_mesh = _arkit_rig()
    s.set_scene_timing = True
    assert bpy.ops.facemocap.import_livelink_csv(filepath=str(src)) == {"FINISHED"}
    assert scene.render.fps == 60 and s.target_mesh.data.shape_keys.animation_data.action.name == "iphone_take"
    scene.frame_set(1 + 33)
    np.testing.assert_allclose(shape_values(s.target_mesh, RIG_KEYS[:52]), weights[33], atol=1e-6)

    out = tmp_path / "exported.csv"
    assert bpy.ops.facemocap.export_livelink_csv(filepath=str(out)) == {"FINISHED"}
    back = livelink_csv.read_livelink_csv(out)
    assert back.timecode_rate == 60.0 and len(back.time) == 120
    np.testing.assert_allclose(back.weights, weights, atol=2e-6)
    np.testing.assert_allclose(back.time, t, atol=1e-6)
    np.testing.assert_allclose(back.head_ypr, head, atol=1e-5)
    np.testing.assert_allclose(back.eye_gaze, eyes, atol=1e-6)
    assert (src.read_text().splitlines()[0]) == (out.read_text().splitlines()[0])


def test_export_from_fw46_rig_maps_to_arkit(demo_rig, tmp_path):
    from blender_addon._rigs import rigs
    from engine.contract import livelink_csv

    path = takegen.write_take(tmp_path / "fw.npz", frames=20)
    s = bpy.context.scene.facemocap
    s.take_path = str(path)
    s.target_mesh = bpy.data.objects[demo_rig.mesh]
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    out = tmp_path / "fw.csv"
    assert bpy.ops.facemocap.export_livelink_csv(filepath=str(out)) == {"FINISHED"}
    back = livelink_csv.read_livelink_csv(out, fps=30.0)
    expected = rigs.load_mapping("facewarehouse46_to_arkit52").apply(np.load(path)["expression"])
    np.testing.assert_allclose(back.weights, expected, atol=2e-6)


def test_import_bad_csv_reports(scene, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("hello,world\n1,2\n")
    with pytest.raises(RuntimeError, match="Timecode"):
        bpy.ops.facemocap.import_livelink_csv(filepath=str(bad))


def test_neutral_from_the_current_frame_picks_the_take_frame_shown(scene, tmp_path):
    s = scene.facemocap
    time = np.floor(np.arange(216) / 30 * 1000) / 1000  # a container's millisecond timestamps: 23/30 s is 0.766
    s.take_path = str(takegen.write_take(tmp_path / "t.npz", frames=216, time=time))  # shown at the scene's 30 fps
    picked = []
    for frame in range(scene.frame_start, scene.frame_start + 216):
        scene.frame_set(frame)
        assert bpy.ops.facemocap.neutral_from_current_frame() == {"FINISHED"}
        picked.append(s.neutral_start)
    assert picked == list(range(216))  # the first time at or after the frame's picked the next take frame


def test_csv_export_of_an_ntsc_take_keeps_its_last_frame():
    """An hour at 59.94 fps keyed in an NTSC scene: the last key lands at 215783.984375 (a 32-bit ``fps_base`` and
    32-bit key frames), and its frame is exported (the last row was dropped).
    """
    from blender_addon.blender.export import frames_within

    assert frames_within(1.0, 215783.984375)[-1] == 215784.0 and len(frames_within(1.0, 215783.984375)) == 215784
    assert frames_within(1.0, 100.8)[-1] == 100.0  # a take keyed at another rate, ending between frames
    assert frames_within(1.0, 25.96)[-1] == 25.0  # ... even close to a frame: 27 frames at 25 fps in a 24 fps scene
