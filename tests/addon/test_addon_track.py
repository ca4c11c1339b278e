"""The Track operator with the real engine (background mode waits for the job synchronously)."""

from __future__ import annotations

from pathlib import Path

import pytest

bpy = pytest.importorskip("bpy")

from conftest import REPO  # noqa: E402

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
