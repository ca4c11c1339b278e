"""The Track operator with the real engine (background mode waits for the job synchronously)."""

from __future__ import annotations

from pathlib import Path

import pytest

bpy = pytest.importorskip("bpy")

from conftest import REPO, make_shape_key_mesh  # noqa: E402

ENGINE_PYTHON = REPO / ".venv" / "bin" / "python"
SHORT_CLIP = REPO.parent / "shared" / "data" / "clips" / "d18.mp4"


def _engine_missing() -> str:
    if not (REPO / "engine" / "__main__.py").is_file():
        return "engine/__main__.py is absent: the engine CLI is not written yet"
    if not ENGINE_PYTHON.is_file():
        return f"{ENGINE_PYTHON} is absent: run the project's set-up"
    if not SHORT_CLIP.is_file():
        return f"{SHORT_CLIP} is absent (shared/ data not available)"
    return ""


def test_track_reports_missing_video(scene, tmp_path):
    s = scene.facemocap
    s.source_type = "VIDEO"
    s.video_path = str(tmp_path / "no_such_clip.mp4")
    with pytest.raises(RuntimeError, match="not found"):
        bpy.ops.facemocap.track()
    assert not s.job_running and not s.take_path


def test_track_refuses_take_source(scene):
    scene.facemocap.source_type = "TAKE"
    assert not bpy.ops.facemocap.track.poll()


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.skipif(bool(_engine_missing()), reason=_engine_missing() or "ready")
def test_track_then_bake_with_real_engine(scene, head_path, tmp_path):
    assert bpy.ops.facemocap.build_demo_rig(head_path=str(head_path)) == {"FINISHED"}
    s = scene.facemocap
    s.source_type = "VIDEO"
    s.video_path = str(SHORT_CLIP)
    s.takes_dir = str(tmp_path / "takes")
    s.bake_after_track = True
    assert bpy.ops.facemocap.track() == {"FINISHED"}
    take = Path(s.take_path)
    assert take.name == "d18.npz" and take.is_file() and not list(take.parent.glob("*.part.npz"))
    key = s.target_mesh.data.shape_keys
    assert key.animation_data.action.name == "d18"
    arm = s.head_target
    assert arm.animation_data.action.name == f"d18 ({arm.name})"
    assert s.job_status.startswith("Tracked") and not s.job_running


@pytest.mark.slow
@pytest.mark.skipif(not ENGINE_PYTHON.is_file(), reason=f"{ENGINE_PYTHON} is absent: run the project's set-up")
def test_second_track_press_uses_the_warm_engine(scene, tmp_path):
    """Two Track presses in one session: one engine process (started by the first); stop_engine ends it."""
    import os
    import subprocess
    import textwrap

    from blender_addon.ui.engine_process import engine_service, stop_engine

    clip = tmp_path / "portrait.mp4"
    code = textwrap.dedent(f"""
        import cv2, numpy as np, skimage.data
        img = np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])
        w = cv2.VideoWriter({str(clip)!r}, cv2.VideoWriter_fourcc(*"mp4v"), 30, (512, 512))
        for t in range(15):
            w.write(cv2.warpAffine(img, cv2.getRotationMatrix2D((256, 200), t, 1.0), (512, 512)))
        w.release()
    """)
    subprocess.run([str(ENGINE_PYTHON), "-c", code], check=True, timeout=120)
    s = scene.facemocap
    s.source_type, s.video_path, s.takes_dir = "VIDEO", str(clip), str(tmp_path / "takes")
    s.bake_after_track = False
    pids = []
    for _ in range(2):
        assert bpy.ops.facemocap.track() == {"FINISHED"}
        # 15 frames are too few to find the actor's rest in: the status also carries the take's notice saying so
        assert s.job_status.startswith("Tracked 15 frames -> portrait.npz; 1 notice: ")
        assert "no rest face" in s.job_status
        assert Path(s.take_path).is_file()
        pids.append(engine_service().server.pid)
    assert pids[0] == pids[1]
    stop_engine()
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)


@pytest.mark.slow
@pytest.mark.skipif(not ENGINE_PYTHON.is_file(), reason=f"{ENGINE_PYTHON} is absent: run the project's set-up")
def test_track_shows_the_takes_notices(scene, tmp_path):
    """A video that ends before the frames it declares: a take, and the engine's notices in the panel's status (the
    truncation, and a rest that holds the portrait's smile, which every frame shows).
    """
    import subprocess
    import textwrap

    clip = tmp_path / "cut.avi"
    code = textwrap.dedent(f"""
        import cv2, numpy as np, skimage.data
        img = cv2.resize(np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1]), (256, 256))
        w = cv2.VideoWriter({str(clip)!r}, cv2.VideoWriter_fourcc(*"MJPG"), 30, (256, 256))
        for _ in range(60):
            w.write(img)
        w.release()
    """)
    subprocess.run([str(ENGINE_PYTHON), "-c", code], check=True, timeout=120)
    data = clip.read_bytes()
    clip.write_bytes(data[: len(data) // 2])
    s = scene.facemocap
    s.source_type, s.video_path, s.takes_dir = "VIDEO", str(clip), str(tmp_path / "takes")
    s.bake_after_track = False
    assert bpy.ops.facemocap.track() == {"FINISHED"}
    assert Path(s.take_path).is_file()
    assert s.job_status.startswith("Tracked ") and "2 notices: " in s.job_status and "ended after" in s.job_status
    assert "calmest frames still read MouthSmile" in s.job_status


def _portrait_clip(path: Path, frames: int = 30) -> Path:
    """A clip the project makes itself (the public-domain portrait, still), written by the engine's Python."""
    import subprocess
    import textwrap

    code = textwrap.dedent(f"""
        import cv2, numpy as np, skimage.data
        img = cv2.resize(np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1]), (256, 256))
        w = cv2.VideoWriter({str(path)!r}, cv2.VideoWriter_fourcc(*"MJPG"), 30, (256, 256))
        for _ in range({frames}):
            w.write(img)
        w.release()
    """)
    subprocess.run([str(ENGINE_PYTHON), "-c", code], check=True, timeout=120)
    return path


@pytest.mark.slow
@pytest.mark.skipif(not ENGINE_PYTHON.is_file(), reason=f"{ENGINE_PYTHON} is absent: run the project's set-up")
def test_a_bake_after_tracking_that_fails_is_reported_as_such_not_as_a_bug(scene, tmp_path):
    from conftest import make_shape_key_mesh

    s = scene.facemocap
    s.target_mesh = make_shape_key_mesh("Thing", ["Foo"])  # no key matches any mapping
    s.source_type, s.video_path, s.takes_dir = "VIDEO", str(_portrait_clip(tmp_path / "p.avi")), str(tmp_path / "t")
    s.bake_after_track = True
    with pytest.raises(RuntimeError, match="Tracked, but not baked: none of the rig's") as raised:
        bpy.ops.facemocap.track()
    assert "bug" not in str(raised.value)
    assert Path(s.take_path).is_file() and "not baked: none of the rig's" in s.job_status


@pytest.mark.skipif(not ENGINE_PYTHON.is_file(), reason=f"{ENGINE_PYTHON} is absent: run the project's set-up")
def test_a_take_tracked_before_the_first_save_moves_beside_the_blend_when_it_is_saved(scene, tmp_path):
    """A track in an unsaved file went to one temporary folder shared by every session (another session's take of
    the same clip replaced it), the panel named only the file, and the take stayed there after the .blend was saved:
    gone when the system emptied the folder, and with it the bake's take.
    """
    from blender_addon.blender.anim_write import ACTION_TAKE_PATH
    from blender_addon.ui.unsaved_takes import takes_folder, temporary_takes_folder

    s = scene.facemocap
    assert not bpy.data.filepath and s.takes_dir in ("", "//takes/")  # the default: the .blend's
    assert takes_folder(s) == temporary_takes_folder() != Path.cwd() / "takes"  # never ./takes/
    s.source_type, s.video_path = "VIDEO", str(_portrait_clip(tmp_path / "p.avi", frames=10))
    s.target_mesh = make_shape_key_mesh("Face", ["jawOpen", "eyeBlinkLeft"])
    s.bake_after_track = True
    assert bpy.ops.facemocap.track() == {"FINISHED"}
    tracked = Path(s.take_path)
    assert tracked.parent == temporary_takes_folder() and "temporary folder until the .blend is saved" in s.job_status
    project = tmp_path / "project"
    project.mkdir()
    (project / "takes").mkdir()
    (project / "takes" / tracked.name).write_bytes(b"another file's take, never replaced")
    bpy.ops.wm.save_as_mainfile(filepath=str(project / "shot.blend"))
    home = project / "takes" / tracked.name.replace(".npz", "_2.npz")
    assert not tracked.exists() and home.is_file() and Path(s.take_path) == home
    assert (project / "takes" / tracked.name).read_bytes() == b"another file's take, never replaced"
    from blender_addon._contract import takes_record

    assert takes_record.TakesRecord.read(project / "takes").take_is_of(home.name, tmp_path / "p.avi")
    bpy.ops.wm.open_mainfile(filepath=str(project / "shot.blend"))
    assert Path(bpy.context.scene.facemocap.take_path) == home
    baked = [a for a in bpy.data.actions if ACTION_TAKE_PATH in a.keys()]
    assert baked and all(Path(a[ACTION_TAKE_PATH]) == home for a in baked)


def test_a_save_copy_of_an_unsaved_file_gives_the_copy_its_takes_and_keeps_the_sessions(scene, tmp_path):
    """Save Copy moved the unsaved file's takes beside the copy and pointed the session there; the real save that
    followed found nothing to move, and the session's file used the copy's takes.
    """
    from blender_addon._contract import takes_record
    from blender_addon.ui.unsaved_takes import temporary_takes_folder

    temporary = temporary_takes_folder()
    temporary.mkdir(parents=True, exist_ok=True)
    take = temporary / "clip.npz"
    take.write_bytes(b"a take")
    takes_record.TakesRecord.read(temporary).enter_written_take("clip.npz", tmp_path / "clip.mp4")
    s = scene.facemocap
    s.take_path = str(take)
    (tmp_path / "copy").mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "copy" / "c.blend"), copy=True)
    assert not bpy.data.filepath and Path(s.take_path) == take and take.is_file()
    assert (tmp_path / "copy" / "takes" / "clip.npz").read_bytes() == b"a take"
    (tmp_path / "real").mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "real" / "r.blend"))
    home = tmp_path / "real" / "takes" / "clip.npz"
    assert Path(s.take_path) == home and home.read_bytes() == b"a take" and not take.exists()
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "copy" / "c.blend"))
    assert Path(bpy.context.scene.facemocap.take_path) == tmp_path / "copy" / "takes" / "clip.npz"


def test_a_take_is_found_after_save_as_elsewhere_and_after_the_project_moved(scene, tmp_path):
    import shutil

    from blender_addon.ui.properties import take_file

    s = scene.facemocap
    (tmp_path / "a" / "takes").mkdir(parents=True)
    take = tmp_path / "a" / "takes" / "shot.npz"
    take.write_bytes(b"a take")
    s.take_path = str(take)  # as Track and the CSV import store it: absolute
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "a" / "scene.blend"))
    (tmp_path / "b").mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "b" / "scene.blend"))  # a version elsewhere
    assert take_file(s) == str(take)
    shutil.move(tmp_path / "a", tmp_path / "moved")  # the project folder moved; its .blend reopened there
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "moved" / "scene.blend"))
    assert take_file(bpy.context.scene.facemocap) == str(tmp_path / "moved" / "takes" / "shot.npz")


def test_check_engine_does_not_end_a_running_track(scene):
    scene.facemocap.job_running = True  # as the Track operator sets it while its take runs
    try:
        with pytest.raises(RuntimeError, match="a track is running"):
            bpy.ops.facemocap.check_engine()
    finally:
        scene.facemocap.job_running = False


def test_path_fields_take_blend_relative_paths_without_a_warning(scene):
    import warnings

    s = scene.facemocap
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s.take_path, s.takes_dir, s.video_path = "//takes/shot.npz", "//takes/", "//shot.mp4"
    assert not [w for w in caught if "blend relative" in str(w.message)]  # Blender 5.0 warned for each


@pytest.mark.slow
@pytest.mark.skipif(not ENGINE_PYTHON.is_file(), reason=f"{ENGINE_PYTHON} is absent: run the project's set-up")
def test_a_failure_names_the_panel_field_not_the_command_line_option(scene, tmp_path):
    import subprocess

    photo = tmp_path / "wall.png"  # a neutral "photo" with no face in it
    code = f"import cv2, numpy as np; cv2.imwrite({str(photo)!r}, np.full((256, 256, 3), 128, np.uint8))"
    subprocess.run([str(ENGINE_PYTHON), "-c", code], check=True, timeout=120)
    s = scene.facemocap
    s.source_type, s.video_path, s.takes_dir = "VIDEO", str(_portrait_clip(tmp_path / "p.avi")), str(tmp_path / "t")
    s.neutral_source, s.neutral_photo = "PHOTO", str(photo)
    s.bake_after_track = False
    with pytest.raises(RuntimeError, match="Tracking failed: Neutral: no face found in the neutral frame"):
        bpy.ops.facemocap.track()
    assert s.job_status.startswith("Tracking failed: Neutral: no face found in the neutral frame"), s.job_status
    assert "--" not in s.job_status


@pytest.mark.slow
@pytest.mark.skipif(not ENGINE_PYTHON.is_file(), reason=f"{ENGINE_PYTHON} is absent: run the project's set-up")
def test_an_image_sequence_is_timed_at_the_scenes_frame_rate(scene, tmp_path):
    import subprocess
    import textwrap

    import numpy as np

    folder = tmp_path / "shots"
    code = textwrap.dedent(f"""
        import pathlib, cv2, numpy as np, skimage.data
        folder = pathlib.Path({str(folder)!r}); folder.mkdir()
        img = cv2.resize(np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1]), (256, 256))
        for i in range(1, 5):
            cv2.imwrite(str(folder / f"frame_{{i}}.png"), img)
    """)
    subprocess.run([str(ENGINE_PYTHON), "-c", code], check=True, timeout=120)
    scene.render.fps, scene.render.fps_base = 24, 1.0
    s = scene.facemocap
    s.source_type, s.image_dir, s.takes_dir = "IMAGES", str(folder), str(tmp_path / "takes")
    s.bake_after_track = False
    assert bpy.ops.facemocap.track() == {"FINISHED"}
    time = np.load(s.take_path)["time"]
    np.testing.assert_allclose(time, np.arange(4) / 24, atol=1e-9)  # not the engine's default 30 fps


@pytest.mark.slow
@pytest.mark.skipif(not ENGINE_PYTHON.is_file(), reason=f"{ENGINE_PYTHON} is absent: run the project's set-up")
def test_a_track_finishes_in_the_scene_it_was_started_in(scene, tmp_path, head_path, monkeypatch):
    """The artist switches the window to another shot while the track runs: the take, the status and Bake When
    Done go to the shot the track was started in (they went to the scene shown at the end, and the first shot kept
    'a track is running' for good).
    """
    import time
    import types

    from blender_addon.ui.operators import track

    shot_a = scene
    assert bpy.ops.facemocap.build_demo_rig(head_path=str(head_path)) == {"FINISHED"}
    shot_b = bpy.data.scenes.new("ShotB")
    window = bpy.context.window_manager.windows[0]
    window.scene = shot_b
    assert bpy.ops.facemocap.build_demo_rig(head_path=str(head_path)) == {"FINISHED"}
    window.scene = shot_a
    s = shot_a.facemocap
    s.source_type, s.video_path, s.takes_dir = "VIDEO", str(_portrait_clip(tmp_path / "p.avi")), str(tmp_path / "t")
    s.bake_after_track = True

    def sleep_while_the_artist_switches_shots(seconds):
        window.scene = shot_b
        time.sleep(seconds)

    monkeypatch.setattr(track, "time", types.SimpleNamespace(sleep=sleep_while_the_artist_switches_shots))
    assert bpy.ops.facemocap.track() == {"FINISHED"}
    assert not s.job_running and s.job_status.startswith("Tracked") and Path(s.take_path).is_file()
    assert s.target_mesh.data.shape_keys.animation_data.action is not None  # baked onto shot A's character
    b = shot_b.facemocap
    assert not b.take_path and not b.job_status
    assert (
        b.target_mesh.data.shape_keys.animation_data is None
        or b.target_mesh.data.shape_keys.animation_data.action is None
    )


def test_a_file_saved_while_a_track_ran_opens_without_a_running_track(scene, tmp_path):
    s = scene.facemocap
    s.take_path = str(tmp_path / "t.npz")
    s.job_running, s.job_progress, s.job_status = True, 0.3, "Tracking frame 9/30 (30 fps) - Esc to cancel"
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shot.blend"))  # Ctrl+S while the progress bar ran
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "shot.blend"))
    s = bpy.context.scene.facemocap
    assert not s.job_running and s.job_progress == 0.0 and "saved while a track ran" in s.job_status
    assert bpy.ops.facemocap.bake.poll()  # Bake was greyed out for good


def test_a_file_saved_while_a_track_ran_finds_the_take_the_track_wrote(scene, tmp_path):
    """Saved mid-track, and the track then finished (its take recorded in the takes folder): the reopened file
    said 'track again' with no take, though the take was there.
    """
    import takegen

    from engine.contract.takes_record import TakesRecord

    s = scene.facemocap
    clip = tmp_path / "shot.mp4"
    clip.write_bytes(b"a clip")
    s.source_type, s.video_path, s.takes_dir = "VIDEO", str(clip), str(tmp_path / "takes")
    s.job_running = True
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shot.blend"))
    (tmp_path / "takes").mkdir()
    take = takegen.write_take(tmp_path / "takes" / "shot.npz", frames=10)  # the track finished after the save
    record = TakesRecord(tmp_path / "takes")
    record.enter_take("shot.npz", clip)
    record.write()
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "shot.blend"))
    s = bpy.context.scene.facemocap
    assert not s.job_running and s.take_path == str(take) and s.job_status.endswith("it finished: shot.npz")


def _while_tracking(monkeypatch, action) -> None:
    """Run ``action`` once, the first time the Track operator waits for its take (the artist, mid-track)."""
    import time
    import types

    from blender_addon.ui.operators import track

    done = []

    def sleep(seconds):
        if not done:
            done.append(action())
        time.sleep(seconds)

    monkeypatch.setattr(track, "time", types.SimpleNamespace(sleep=sleep))


@pytest.mark.slow
@pytest.mark.skipif(not ENGINE_PYTHON.is_file(), reason=f"{ENGINE_PYTHON} is absent: run the project's set-up")
def test_a_scene_deleted_mid_track_keeps_its_take_and_touches_no_other_scene(scene, tmp_path, head_path, monkeypatch):
    """The take went to the scene shown at the end: its settings named the take, its rig was baked with it."""
    shot_b = bpy.data.scenes.new("ShotB")
    window = bpy.context.window_manager.windows[0]
    window.scene = shot_b
    assert bpy.ops.facemocap.build_demo_rig(head_path=str(head_path)) == {"FINISHED"}
    b = shot_b.facemocap
    b.bake_after_track = True
    window.scene = scene
    s = scene.facemocap
    s.source_type, s.video_path, s.takes_dir = "VIDEO", str(_portrait_clip(tmp_path / "p.avi")), str(tmp_path / "t")

    def delete_the_shot():
        window.scene = shot_b
        bpy.data.scenes.remove(bpy.data.scenes[scene.name])

    _while_tracking(monkeypatch, delete_the_shot)
    assert bpy.ops.facemocap.track() == {"CANCELLED"}
    assert (tmp_path / "t" / "p.npz").is_file()  # the take is kept
    assert not b.take_path and not b.job_status and not b.job_running
    key = b.target_mesh.data.shape_keys
    assert key.animation_data is None or key.animation_data.action is None  # ShotB's rig untouched


@pytest.mark.slow
@pytest.mark.skipif(not ENGINE_PYTHON.is_file(), reason=f"{ENGINE_PYTHON} is absent: run the project's set-up")
def test_bake_when_done_says_so_when_its_target_was_deleted_mid_track(scene, tmp_path, head_path, monkeypatch):
    assert bpy.ops.facemocap.build_demo_rig(head_path=str(head_path)) == {"FINISHED"}
    s = scene.facemocap
    s.source_type, s.video_path, s.takes_dir = "VIDEO", str(_portrait_clip(tmp_path / "p.avi")), str(tmp_path / "t")
    s.bake_after_track = True

    def delete_the_rig():
        for obj in list(bpy.data.objects):
            bpy.data.objects.remove(obj)

    _while_tracking(monkeypatch, delete_the_rig)
    assert bpy.ops.facemocap.track() == {"FINISHED"}
    assert Path(s.take_path).is_file() and s.job_status.endswith("; not baked: no target (the mesh or head is gone)")


@pytest.mark.slow
@pytest.mark.skipif(not ENGINE_PYTHON.is_file(), reason=f"{ENGINE_PYTHON} is absent: run the project's set-up")
def test_check_engine_from_another_scene_does_not_end_a_running_track(scene, tmp_path, monkeypatch):
    """Check Engine restarts the engine: pressed in another scene mid-track it cancelled the take like Esc."""
    shot_b = bpy.data.scenes.new("ShotB")
    window = bpy.context.window_manager.windows[0]
    s = scene.facemocap
    s.source_type, s.video_path, s.takes_dir = "VIDEO", str(_portrait_clip(tmp_path / "p.avi")), str(tmp_path / "t")
    refused = []

    def check_in_the_other_scene():
        window.scene = shot_b
        try:
            bpy.ops.facemocap.check_engine()
        except RuntimeError as err:
            refused.append(str(err))

    _while_tracking(monkeypatch, check_in_the_other_scene)
    assert bpy.ops.facemocap.track() == {"FINISHED"}
    assert refused and "a track is running" in refused[0]
    assert Path(s.take_path).is_file()


def test_disabling_the_addon_mid_track_unlocks_bake(scene):
    """Disabled (or upgraded) while a take ran: the take is cancelled and the scene is no longer marked as
    tracking (Bake stayed locked until the file was opened again).
    """
    import blender_addon
    from blender_addon.ui.operators import track

    class RunningTake:  # what Track keeps while a take runs: something to cancel
        cancelled = False

        def cancel(self):
            self.cancelled = True

    running = RunningTake()
    track._active["job"] = running
    scene.facemocap.job_running = True
    blender_addon.unregister()
    blender_addon.register()
    s = bpy.context.scene.facemocap
    assert running.cancelled and not s.job_running and s.job_status.startswith("Tracking stopped")
