"""The farm's task plan, clip collection, path mapping and launcher (no scheduler involved)."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, run_engine, write_valid_take

from engine.contract.version import project_version
from engine.errors import InputError
from engine.farm import launch
from engine.farm.clips import collect_clips
from engine.farm.paths import PathMap, PathMapping
from engine.farm.plan import (
    PLAN_SCHEMA,
    BakeSettings,
    PlanConfig,
    TrackOptions,
    default_bake_python,
    default_engine_python,
    make_plan,
)

LAUNCHER = REPO / "engine" / "farm" / "launch.py"


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


@pytest.fixture
def shots(tmp_path) -> Path:
    """shots/ with two videos, a still, an image sequence, and a file that is not a clip."""
    folder = tmp_path / "shots"
    for name in ("b.mp4", "a.mov", "still.png", "seq1/0001.png", "seq1/0002.png", "notes.txt"):
        touch(folder / name)
    return folder


class TestCollectClips:
    def test_smoke_folder_reads_like_batch(self, shots):
        clips = collect_clips([shots])
        assert [c.name for c in clips] == ["a.mov", "b.mp4", "seq1", "still.png"]
        assert all(c.is_absolute() for c in clips)

    def test_feature_files_globs_and_duplicates(self, shots):
        clips = collect_clips([shots / "b.mp4", str(shots / "*.m*"), shots / "b.mp4"])
        assert [c.name for c in clips] == ["b.mp4", "a.mov"]  # order given, each once

    def test_exception_missing_and_non_clips(self, shots):
        with pytest.raises(InputError, match="clip not found"):
            collect_clips([shots / "missing.mp4"])
        with pytest.raises(InputError, match="not a video or image"):
            collect_clips([shots / "notes.txt"])
        with pytest.raises(InputError, match="match"):
            collect_clips([str(shots / "*.avi")])
        with pytest.raises(InputError, match="no videos"):
            collect_clips([touch(shots / "empty" / "x.txt").parent])

    def test_feature_a_glob_matching_folders_of_videos_and_of_images_and_what_is_skipped(self, tmp_path):
        touch(tmp_path / "day1" / "shot.mp4")
        touch(tmp_path / "day1" / "notes.txt")
        touch(tmp_path / "day_seq" / "f001.png")
        skipped: list = []
        clips = collect_clips([str(tmp_path / "day*")], skipped)
        assert [c.relative_to(tmp_path).as_posix() for c in clips] == ["day1/shot.mp4", "day_seq"]
        assert [p.name for p in skipped] == ["notes.txt"]  # said by every farm command, as batch says it

    def test_feature_a_glob_reads_a_folder_of_videos_with_a_poster_as_its_videos(self, tmp_path):
        """shots/day1/{a.mp4, b.mp4, poster.png} matched by 'shots/day*' was one one-frame sequence."""
        day1 = tmp_path / "shots" / "day1"
        for name in ("a.mp4", "b.mp4", "poster.png"):
            touch(day1 / name)
        clips = collect_clips([str(tmp_path / "shots" / "day*")], [])
        assert sorted(c.name for c in clips) == ["a.mp4", "b.mp4", "poster.png"]

    def test_feature_a_clip_and_a_still_of_one_name_get_two_takes(self, tmp_path):
        touch(tmp_path / "s" / "a.mp4")
        touch(tmp_path / "s" / "a.png")
        plan = make_plan([tmp_path / "s"], PlanConfig(takes_dir=tmp_path / "takes"))
        assert [t.outputs[0].rsplit("/", 1)[-1] for t in plan.tasks] == ["a_mp4.npz", "a_png.npz"]  # as batch


def test_plates_as_a_farm_meets_them(tmp_path):
    """A plate with a slate beside its frames was planned and its task failed (under OpenJD it stopped the whole
    job); EXR plates were skipped as "not a video, an image or an image folder"; a plate folder given itself, or its
    frames as a glob, became a take per frame without a word; a mistyped --mapping preset failed every bake task
    after the tracks; a Thumbs.db written beside a plate's frames made it be tracked again.
    """
    from engine.contract.takes_record import clip_stamp

    day = tmp_path / "day"
    for name in ("clip.mp4", "good/shot.1001.png", "good/shot.1002.png", "slated/shot.1001.png",
                 "slated/shot.1002.png", "slated/slate.jpg", "exr/shot.1001.exr", "exr/shot.1002.exr"):  # fmt: skip
        touch(day / name)
    run = run_engine("farm", "plan", day, "--takes", tmp_path / "takes")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "track good" in run.stdout and "track slated" not in run.stdout and "track clip" in run.stdout
    assert "slated: " in run.stderr and "is not one image sequence" in run.stderr
    assert ".exr image(s), a format this engine does not read" in run.stderr
    run = run_engine("farm", "plan", day / "good", "--takes", tmp_path / "takes")
    assert "the 2 images of" in run.stderr and "numbered as one sequence (shot.####.png)" in run.stderr
    run = run_engine("farm", "plan", str(day / "good" / "shot.*.png"), "--takes", tmp_path / "takes")
    assert "numbered as one sequence (shot.####.png)" in run.stderr
    run = run_engine("farm", "plan", day, "--takes", tmp_path / "takes", "--demo-rig", "--mapping", "fw46_to_arkit")
    assert run.returncode == 1 and "unknown mapping preset 'fw46_to_arkit'" in run.stderr
    before = clip_stamp(day / "good")
    touch(day / "good" / "Thumbs.db").write_bytes(b"a thumbnail cache")
    assert clip_stamp(day / "good") == before


def test_feature_a_farm_re_run_finds_the_takes_engine_batch_wrote(tmp_path):
    """Batch and the farm name takes with one function: a sequence folder named take.01 is take.01.npz for both
    (batch wrote take.npz, so the farm tracked it again).
    """
    import cv2
    import skimage.data

    shots = tmp_path / "shots"
    (shots / "take.01").mkdir(parents=True)
    cv2.imwrite(str(shots / "take.01" / "frame_1.png"), skimage.data.astronaut()[:, :, ::-1])
    run = run_engine("batch", shots, "-o", tmp_path / "takes", "--progress", "none")
    assert run.returncode == 0, run.stderr[-2000:]
    assert [p.name for p in (tmp_path / "takes").glob("*.npz")] == ["take.01.npz"]
    plan = make_plan([shots], PlanConfig(takes_dir=tmp_path / "takes"))
    assert plan.tasks == () and plan.already_tracked == (shots / "take.01",)


class TestPathMap:
    def test_feature_longest_rule_on_folder_boundaries(self):
        rules = PathMap.from_specs(["/mnt=/farm", "/mnt/shots=/studio/shots"])
        assert rules.to_farm("/mnt/shots/a.mp4") == "/studio/shots/a.mp4"
        assert rules.to_farm("/mnt/other/a.mp4") == "/farm/other/a.mp4"
        assert rules.to_farm("/mntx/a.mp4") == "/mntx/a.mp4"
        assert rules.to_farm("/mnt/shots") == "/studio/shots"

    def test_convention_windows_targets_get_backslashes(self):
        assert PathMap.from_specs(["/mnt/shots=S:\\shots"]).to_farm("/mnt/shots/d/a.mp4") == "S:\\shots\\d\\a.mp4"

    def test_feature_windows_workers_get_their_venvs_python_from_a_linux_submitter(self, shots, tmp_path):
        """The default Python mapped onto Windows is the venv's ``Scripts\\python.exe``; a Python given the Windows
        way (back- or forward slashes) is the farm's already, passed on as written.
        """
        from engine.farm.plan import REPO_ROOT, as_named

        repo = PathMap.from_specs([f"{as_named(REPO_ROOT)}=C:\\mocap"])
        plan = make_plan([shots / "a.mov"], PlanConfig(takes_dir=tmp_path / "takes", path_map=repo))
        assert plan.paths.engine_python == "C:\\mocap\\.venv\\Scripts\\python.exe"
        for given in ("C:\\py\\.venv\\Scripts\\python.exe", "C:/py/.venv/Scripts/python.exe"):
            cfg = PlanConfig(takes_dir=tmp_path / "takes", path_map=repo, engine_python=Path(given))
            assert make_plan([shots / "a.mov"], cfg).paths.engine_python == given

    def test_convention_a_backslash_in_a_posix_name_is_mapped_a_flamenco_variable_passed_on(self):
        rules = PathMap.from_specs(["/mnt/shots=/studio/shots"])
        assert rules.to_farm("/mnt/shots/day1\\a.mp4") == "/studio/shots/day1\\a.mp4"  # a name unzipped on Linux
        assert rules.to_farm("{mocap_python}") == "{mocap_python}"  # each Worker's platform's, from the Manager

    def test_exception_bad_rules(self):
        for spec in ("no-equals", "relative/dir=/x", "=/x", "/x="):
            with pytest.raises(InputError, match="path mapping"):
                PathMapping.from_spec(spec)


class TestMakePlan:
    def test_cardinality_track_and_bake_tasks(self, shots, tmp_path):
        cfg = PlanConfig(takes_dir=tmp_path / "takes", bake=BakeSettings(demo_rig=True))
        plan = make_plan([shots], cfg)
        tracks, bakes = plan.of_kind("track"), plan.of_kind("bake")
        assert len(tracks) == len(bakes) == 4
        assert [t.name for t in plan.tasks[:4]] == ["track a", "track b", "track seq1", "track still"]
        for track, bake in zip(tracks, bakes, strict=True):
            assert bake.depends_on == (track.name,)
            assert bake.inputs[0] == track.outputs[0]

    def test_feature_command_lines(self, shots, tmp_path):
        rig = touch(tmp_path / "hero.blend")
        identity = write_valid_take(tmp_path / "actor.npz")
        cfg = PlanConfig(
            takes_dir=tmp_path / "takes",
            blends_dir=tmp_path / "blends",
            track=TrackOptions(backend="fan", filter=False, identity=identity, parts=1, fps=24),
            bake=BakeSettings(rig=rig, mapping="facewarehouse46_to_arkit52"),
        )
        plan = make_plan([shots / "b.mp4"], cfg)
        track, bake = plan.tasks
        take, blend = str(tmp_path / "takes" / "b.npz"), str(tmp_path / "blends" / "b.blend")
        version = ("--expect-version", project_version())  # a worker on another version refuses the task
        assert track.argv == (
            str(default_engine_python()), str(LAUNCHER), *version, "engine", "track", str(shots / "b.mp4"), "-o", take,
            "--progress", "none", "--backend", "fan", "--no-filter", "--parts", "1", "--fps", "24",
            "--identity", str(identity),
        )  # fmt: skip
        assert bake.argv == (
            str(default_bake_python()), str(LAUNCHER), *version, "blender_addon.batch", "--rig", str(rig),
            "--takes", take, "--mapping", "facewarehouse46_to_arkit52", "-o", blend,
        )  # fmt: skip
        assert track.inputs == (str(shots / "b.mp4"), str(identity)) and bake.inputs == (take, str(rig))

    def test_feature_resume_skips_valid_takes_only(self, shots, tmp_path):
        takes = tmp_path / "takes"
        write_valid_take(takes / "a.npz")
        write_valid_take(takes / "b.npz")
        with np.load(takes / "b.npz") as f:  # a broken take (a take's keys, a wrong shape): tracked again
            arrays = {k: f[k] for k in f.files}
        np.savez(takes / "b.npz", **{**arrays, "expression": np.zeros((2, 3), np.float32)})
        plan = make_plan([shots], PlanConfig(takes_dir=takes))
        assert [t.name for t in plan.tasks] == ["track b", "track seq1", "track still"]
        assert [c.name for c in plan.already_tracked] == ["a.mov"]
        assert [t.name for t in make_plan([shots], PlanConfig(takes_dir=takes, redo=True)).tasks][0] == "track a"

    def test_feature_takes_of_another_engine_version_are_told_not_passed_off(self, shots, tmp_path):
        """An upgrade does not re-track by itself, but the plan says which takes an older engine wrote."""
        import dataclasses as dc

        from engine.contract.take_io import load_take, save_take

        takes = tmp_path / "takes"
        take = load_take(write_valid_take(takes / "a.npz"))
        save_take(takes / "a.npz", dc.replace(take, meta={**take.meta, "engine_version": "0.0.9"}))
        write_valid_take(takes / "b.npz")
        plan = make_plan([shots / "a.mov", shots / "b.mp4"], PlanConfig(takes_dir=takes))
        assert plan.tasks == () and plan.other_version == (shots / "a.mov",)
        run = run_engine("farm", "plan", shots / "a.mov", shots / "b.mp4", "--takes", takes)
        assert "2 takes already there (1 made by another engine version: --redo tracks them again)" in run.stdout

    def test_feature_resume_bakes(self, shots, tmp_path):
        takes = tmp_path / "takes"
        cfg = PlanConfig(takes_dir=takes, bake=BakeSettings(demo_rig=True))
        write_valid_take(takes / "a.npz")
        plan = make_plan([shots / "a.mov"], cfg)
        assert [(t.name, t.depends_on) for t in plan.tasks] == [("bake a", ())]  # the take is there: no wait
        plan.write_record()  # as `farm run` does before its tasks
        touch(takes / "a.blend")
        assert make_plan([shots / "a.mov"], cfg).tasks == ()
        os.utime(takes / "a.blend", (0, 0))  # older than its take: baked again
        assert [t.name for t in make_plan([shots / "a.mov"], cfg).tasks] == ["bake a"]

    def test_feature_path_map_reaches_every_path(self, shots, tmp_path):
        cfg = PlanConfig(
            takes_dir=tmp_path / "takes",
            bake=BakeSettings(demo_rig=True),
            path_map=PathMap.from_specs([f"{tmp_path}=/studio/job", f"{REPO}=/opt/facemocap"]),
        )
        plan = make_plan([shots], cfg)
        words = [w for t in plan.tasks for w in (*t.argv, *t.inputs, *t.outputs)]
        assert not [w for w in words if w.startswith((str(tmp_path), str(REPO)))]
        assert plan.tasks[0].argv[:2] == ("/opt/facemocap/.venv/bin/python", "/opt/facemocap/engine/farm/launch.py")
        assert plan.takes_dir == "/studio/job/takes"

    def test_exception_inputs(self, shots, tmp_path):
        takes = tmp_path / "takes"
        touch(shots / "sub" / "b.mp4")
        with pytest.raises(InputError, match="same take"):
            make_plan([shots, shots / "sub"], PlanConfig(takes_dir=takes))
        with pytest.raises(InputError, match="rig file not found"):
            make_plan([shots], PlanConfig(takes_dir=takes, bake=BakeSettings(rig=tmp_path / "nope.blend")))
        with pytest.raises(InputError, match="identity take not found"):
            make_plan([shots], PlanConfig(takes_dir=takes, track=TrackOptions(identity=tmp_path / "x.npz")))
        takes.mkdir()
        (takes / "a.npz").write_text("an artist's file")
        for redo in (False, True):
            with pytest.raises(InputError, match="not a take this tool made: move it away"):
                make_plan([shots], PlanConfig(takes_dir=takes, redo=redo))

    def test_convention_plan_json(self, shots, tmp_path):
        plan = make_plan([shots], PlanConfig(takes_dir=tmp_path / "takes", bake=BakeSettings(demo_rig=True)))
        data = json.loads(plan.to_json())
        assert data["schema"] == PLAN_SCHEMA
        assert [t["name"] for t in data["tasks"]] == [t.name for t in plan.tasks]
        assert data["tasks"][-1]["depends_on"] == ["track still"]


class TestFarmPlanCommand:
    def test_smoke_plan_prints_commands(self, shots, tmp_path):
        run = run_engine("farm", "plan", shots / "a.mov", "--takes", tmp_path / "takes", "--demo-rig")
        assert run.returncode == 0, run.stderr
        lines = run.stdout.splitlines()
        assert lines[0].startswith("plan: 1 track and 1 bake tasks")
        assert shlex.split(lines[2])[2:6] == ["--expect-version", project_version(), "engine", "track"]
        assert not (tmp_path / "takes").exists()  # planning writes nothing

    def test_feature_parts_are_passed_on_to_every_track(self, shots, tmp_path):
        run = run_engine("farm", "plan", shots / "a.mov", "--takes", tmp_path / "takes", "--parts", "3")
        assert run.returncode == 0, run.stderr
        assert shlex.split(run.stdout.splitlines()[2])[-2:] == ["--parts", "3"]
        run = run_engine("farm", "plan", shots / "a.mov", "--takes", tmp_path / "takes")  # the engine's default
        assert "--parts" not in run.stdout
        run = run_engine("farm", "plan", shots / "a.mov", "--takes", tmp_path / "takes", "--parts", "0")
        assert run.returncode == 1 and run.stderr.strip() == "error: --parts must be at least 1"
        run = run_engine("farm", "plan", shots / "a.mov", "--takes", tmp_path / "takes", "--fps", "24")
        assert run.returncode == 0 and shlex.split(run.stdout.splitlines()[2])[-2:] == ["--fps", "24"], run.stdout
        run = run_engine("farm", "plan", shots / "a.mov", "--takes", tmp_path / "takes", "--fps", "-1")
        assert run.returncode == 1 and "--fps must be a positive number" in run.stderr

    def test_exception_one_line_errors(self, shots, tmp_path):
        run = run_engine("farm", "plan", shots / "nope.mp4", "--takes", tmp_path)
        assert run.returncode == 1 and run.stderr.strip() == f"error: clip not found: {shots / 'nope.mp4'}"
        run = run_engine("farm", "plan", shots, "--takes", tmp_path, "--path-map", "x")
        assert run.returncode == 1 and "path mapping must be FROM=TO" in run.stderr and "Traceback" not in run.stderr


class TestRepositoryName:
    def test_feature_a_checkout_reached_through_a_symlink_keeps_that_name_in_commands(self, shots, tmp_path):
        """A studio release behind a symlink: the commands name the checkout as the user does, so --path-map maps it."""
        link = tmp_path / "mocap"
        link.symlink_to(REPO, target_is_directory=True)
        env = {**os.environ, "PWD": str(link)}  # as a shell sets it after `cd mocap`
        run = subprocess.run([sys.executable, "-m", "engine", "farm", "plan", str(shots / "a.mov"), "--takes",
                              str(tmp_path / "takes"), "--path-map", f"{link}=/studio/mocap"],
                             cwd=link, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert run.returncode == 0, run.stderr
        argv = shlex.split(run.stdout.splitlines()[2])
        assert argv[0] == "/studio/mocap/.venv/bin/python" and argv[1] == "/studio/mocap/engine/farm/launch.py"


class TestFarmCommandOutputs:
    def test_exception_a_template_never_replaces_an_artists_file(self, shots, tmp_path):
        notes = tmp_path / "notes.txt"
        notes.write_text("artist notes\n")
        run = run_engine("farm", "openjd", shots / "a.mov", "--takes", tmp_path / "takes", "-o", notes)
        assert run.returncode == 1 and "not written by this tool" in run.stderr
        assert notes.read_text() == "artist notes\n"
        job = tmp_path / "job.yaml"
        assert run_engine("farm", "openjd", shots / "a.mov", "--takes", tmp_path / "takes", "-o", job).returncode == 0
        assert run_engine("farm", "openjd", shots / "a.mov", "--takes", tmp_path / "takes", "-o", job).returncode == 0
        run = run_engine("farm", "openjd", shots / "a.mov", "--takes", tmp_path / "takes", "-o", notes, "--overwrite")
        assert run.returncode == 0 and "specificationVersion" in notes.read_text()

    def test_exception_an_unwritable_takes_folder_is_one_line_before_any_task(self, shots):
        run = run_engine("farm", "run", shots / "a.mov", "--takes", "/proc", "--workers", "1", timeout=120)
        assert run.returncode == 1 and "cannot write the takes into /proc" in run.stderr, run.stderr[-2000:]
        assert "running on" not in run.stderr  # no cluster was started

    def test_exception_bad_arguments_make_no_folder(self, shots, tmp_path):
        takes = tmp_path / "takes"
        run = run_engine("farm", "run", shots / "a.mov", "--takes", takes, "--workers", "0")
        assert run.returncode == 1 and "--workers must be at least 1" in run.stderr
        run = run_engine("farm", "flamenco", shots / "a.mov", "--takes", takes, "--manager", "flamenco")
        assert run.returncode == 1 and "--manager must be the Manager's URL, e.g. http://flamenco:8080" in run.stderr
        assert not takes.exists()

    def test_exception_a_path_openjd_would_read_as_a_placeholder(self, tmp_path):
        clip = touch(tmp_path / "shot{{v2}}.mp4")
        run = run_engine("farm", "openjd", clip, "--takes", tmp_path / "takes", "-o", tmp_path / "job.yaml")
        assert run.returncode == 1 and "cannot go into an Open Job Description template" in run.stderr
        assert not (tmp_path / "job.yaml").exists()

    def test_exception_farm_run_errors_come_as_json_with_progress_jsonl(self, shots, tmp_path):
        run = run_engine("farm", "run", shots / "a.mov", "--takes", tmp_path / "takes", "--scheduler",
                         "tcp://127.0.0.1:9", "--connect-timeout", "2", "--progress", "jsonl")  # fmt: skip
        assert run.returncode == 1, run.stderr
        assert "cannot reach the Dask scheduler" in json.loads(run.stdout.splitlines()[-1])["error"]

    @pytest.mark.parametrize(
        ("address", "hint"), [("tls://127.0.0.1:9", "Dask's configuration"), ("http://127.0.0.1:9", "tcp://HOST:PORT")]
    )
    def test_exception_a_scheduler_address_dask_cannot_use_is_one_line(self, shots, tmp_path, address, hint):
        """A secured cluster without this machine's certificates, or a web address for the scheduler's."""
        run = run_engine("farm", "run", shots / "a.mov", "--takes", tmp_path / "takes", "--scheduler", address,
                         "--connect-timeout", "2", "--progress", "jsonl")  # fmt: skip
        assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
        error = json.loads(run.stdout.splitlines()[-1])["error"]
        assert error.startswith(f"cannot use the Dask scheduler address {address}") and hint in error


class TestLaunch:
    def test_smoke_runs_a_module_from_anywhere(self, tmp_path):
        run = subprocess.run(
            [sys.executable, str(LAUNCHER), "engine", "--version"], cwd=tmp_path, capture_output=True, text=True
        )
        assert run.returncode == 0 and run.stdout.startswith("engine "), run.stderr

    def test_exception_usage(self, tmp_path):
        run = subprocess.run([sys.executable, str(LAUNCHER)], cwd=tmp_path, capture_output=True, text=True)
        assert run.returncode == 2 and "usage" in run.stderr

    def test_exception_a_checkout_of_another_version_refuses_the_task(self, tmp_path):
        """A worker whose checkout is another version (a job mixed takes of two versions without a word)."""
        here = [sys.executable, str(LAUNCHER), "--expect-version", project_version(), "engine", "--version"]
        assert subprocess.run(here, cwd=tmp_path, capture_output=True, text=True).returncode == 0
        other = [sys.executable, str(LAUNCHER), "--expect-version", "0.0.9", "engine", "--version"]
        run = subprocess.run(other, cwd=tmp_path, capture_output=True, text=True)
        assert run.returncode == 1 and run.stdout == ""
        assert f"is version {project_version()}, the job was planned with 0.0.9" in run.stderr

    @pytest.mark.skipif(os.name != "posix", reason="re-parenting is POSIX")
    def test_feature_task_ends_with_its_parent(self, tmp_path):
        """A task whose starter is killed (a dead Dask worker) stops instead of running on beside the retry."""
        server = [sys.executable, str(LAUNCHER), "http.server", "0", "--bind", "127.0.0.1"]
        starter = f"import subprocess as s, time; p = s.Popen({server!r}); print(p.pid, flush=True); time.sleep(120)"
        parent = subprocess.Popen([sys.executable, "-c", starter], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
        child = int(parent.stdout.readline())
        time.sleep(1.0)
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 4 * launch.PARENT_POLL_S + 5
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class TestTakesRecord:
    """The takes folder's record (engine/contract/takes_record.py): a re-run knows what it made and from what."""

    def _run(self, clips, cfg):
        """Plan and pretend the farm ran it: write the record, then a valid take (and a .blend) for every task."""
        plan = make_plan(clips, cfg)
        cfg.takes_dir.mkdir(parents=True, exist_ok=True)  # as `farm run` makes it
        plan.write_record()
        for task in plan.tasks:
            out = Path(task.outputs[0])
            write_valid_take(out) if task.kind == "track" else touch(out)
        return plan

    def test_exception_a_take_of_another_clip_of_the_same_name_is_not_passed_off_as_done(self, tmp_path):
        day1, day2 = touch(tmp_path / "day1" / "shot.mp4"), touch(tmp_path / "day2" / "shot.mp4")
        cfg = PlanConfig(takes_dir=tmp_path / "takes")
        self._run([day1], cfg)
        assert make_plan([day1], cfg).already_tracked == (day1,)  # its own take: done
        with pytest.raises(InputError, match=r"shot.npz is the take of .*day1/shot.mp4, not of .*day2/shot.mp4"):
            make_plan([day2], cfg)

    def test_exception_a_take_the_panel_tracked_from_another_clip_stops_the_plan(self, tmp_path):
        from engine.contract.takes_record import RECORD_NAME

        day1, day2 = touch(tmp_path / "day1" / "shot.mp4"), touch(tmp_path / "day2" / "shot.mp4")
        take = write_valid_take(tmp_path / "takes" / "shot.npz")
        # the record as the add-on's Track button wrote it before the farm and the panel shared one (a flat index)
        (take.parent / RECORD_NAME).write_text(json.dumps({"shot.npz": str(day1.resolve())}))
        cfg = PlanConfig(takes_dir=tmp_path / "takes")
        assert make_plan([day1], cfg).already_tracked == (day1,)
        with pytest.raises(InputError, match=r"shot.npz is the take of .*day1/shot.mp4, not of .*day2/shot.mp4"):
            make_plan([day2], cfg)

    def test_exception_a_part_the_panel_tracked_is_not_passed_off_as_the_whole_clip(self, tmp_path):
        from engine.contract.takes_record import TakesRecord

        clip = touch(tmp_path / "shots" / "shot.mp4")
        write_valid_take(tmp_path / "takes" / "shot.npz")
        record = TakesRecord(tmp_path / "takes")
        record.enter_take("shot.npz", clip, (0.0, 4.0))  # as the panel's Track records a Range
        record.write()
        with pytest.raises(InputError, match=r"shot.npz is the take of a part of .*shot.mp4 \(0.0-4.0 s"):
            make_plan([clip], PlanConfig(takes_dir=tmp_path / "takes"))

    def test_feature_a_clip_delivered_again_is_tracked_again(self, tmp_path):
        clip = touch(tmp_path / "shots" / "shot.mp4")
        cfg = PlanConfig(takes_dir=tmp_path / "takes")
        self._run([clip], cfg)
        clip.write_bytes(b"a new version of the shot")
        assert [t.name for t in make_plan([clip], cfg).tasks] == ["track shot"]

    def test_feature_a_task_that_failed_or_never_ran_is_planned_again(self, tmp_path):
        """The record is written before the tasks run: a new clip version whose track failed (or a template never
        run) passed as tracked on the next plan, a bake that failed as baked; the old take and .blend passed off.
        """
        clip = touch(tmp_path / "shots" / "shot.mp4")
        cfg = PlanConfig(takes_dir=tmp_path / "takes", bake=BakeSettings(demo_rig=True))
        self._run([clip], cfg)
        clip.write_bytes(b"a new version of the shot")
        plan = make_plan([clip], cfg)
        plan.write_record()  # as `farm run` does; then its track fails: no new take, no new .blend
        assert [t.name for t in make_plan([clip], cfg).tasks] == ["track shot", "bake shot"]
        other = dataclasses.replace(cfg, bake=BakeSettings(demo_rig=True, mapping="facewarehouse46_to_arkit52"))
        self._run([clip], cfg)
        make_plan([clip], other).write_record()  # its bake fails: the .blend is the old mapping's
        assert [t.name for t in make_plan([clip], other).tasks] == ["bake shot"]

    def test_exception_an_artists_blend_in_another_blends_folder_or_newer_than_its_take_is_never_claimed(
        self, tmp_path
    ):
        clip = touch(tmp_path / "shots" / "a.mp4")
        self._run([clip], PlanConfig(takes_dir=tmp_path / "takes", bake=BakeSettings(demo_rig=True)))
        touch(tmp_path / "artist" / "a.blend")  # the name the record holds, in another folder
        elsewhere = PlanConfig(
            takes_dir=tmp_path / "takes", blends_dir=tmp_path / "artist", bake=BakeSettings(demo_rig=True)
        )
        with pytest.raises(InputError, match="a.blend is in a bake's place but is not a .blend this tool made"):
            make_plan([clip], elsewhere)
        solo = touch(tmp_path / "solo" / "b.mp4")
        self._run([solo], PlanConfig(takes_dir=tmp_path / "t3"))  # tracked only
        touch(tmp_path / "t3" / "b.blend")  # the artist's, saved later: newer than the take
        with pytest.raises(InputError, match="b.blend is in a bake's place"):
            make_plan([solo], PlanConfig(takes_dir=tmp_path / "t3", bake=BakeSettings(demo_rig=True)))

    def test_feature_an_image_sequence_delivered_again_in_place_is_tracked_again(self, tmp_path):
        """Frames written over under their names leave the folder's own size and time as they were."""
        seq = tmp_path / "shots" / "seqA"
        for i in range(3):
            touch(seq / f"{i:04d}.png")
        cfg = PlanConfig(takes_dir=tmp_path / "takes")
        self._run([seq.parent], cfg)  # a folder holding the sequence folder
        time.sleep(0.01)
        (seq / "0001.png").write_bytes(b"another frame, longer than the first")
        assert [t.name for t in make_plan([seq.parent], cfg).tasks] == ["track seqA"]

    def test_feature_a_new_rig_or_mapping_is_baked_again(self, tmp_path):
        clip = touch(tmp_path / "shots" / "shot.mp4")
        rig = touch(tmp_path / "hero.blend")
        cfg = PlanConfig(takes_dir=tmp_path / "takes", bake=BakeSettings(rig=rig))
        self._run([clip], cfg)
        assert make_plan([clip], cfg).tasks == ()  # baked as now: nothing to do
        other_mapping = dataclasses.replace(cfg, bake=BakeSettings(rig=rig, mapping="facewarehouse46_to_arkit52"))
        assert [t.name for t in make_plan([clip], other_mapping).tasks] == ["bake shot"]
        rig.write_bytes(b"the rig, rigged again")
        assert [t.name for t in make_plan([clip], cfg).tasks] == ["bake shot"]

    def test_feature_a_submitter_that_mounts_the_share_elsewhere_finds_the_takes_and_bakes_done(self, tmp_path):
        """The share is ``mntA`` on the first submitter and ``volB`` on the second (here: the share moved)."""
        share = tmp_path / "mntA"
        clip, rig = touch(share / "shots" / "shot.mp4"), touch(share / "rigs" / "hero.blend")
        self._run([clip], PlanConfig(takes_dir=share / "takes", bake=BakeSettings(rig=rig)))
        moved = share.rename(tmp_path / "volB")
        there = PlanConfig(takes_dir=moved / "takes", bake=BakeSettings(rig=moved / "rigs" / "hero.blend"))
        plan = make_plan([moved / "shots" / "shot.mp4"], there)
        assert plan.tasks == () and len(plan.already_tracked) == 1 and len(plan.already_baked) == 1

    def test_exception_an_artists_blend_in_a_bakes_place_stops_the_plan(self, tmp_path):
        """Else the track would run and its bake fail on the farm, on every re-run."""
        clip = touch(tmp_path / "shots" / "shot.mp4")
        touch(tmp_path / "takes" / "shot.blend")  # the artist's, made before any farm run
        with pytest.raises(InputError, match=r"shot.blend is in a bake's place but is not a .blend this tool made"):
            make_plan([clip], PlanConfig(takes_dir=tmp_path / "takes", bake=BakeSettings(demo_rig=True)))

    def test_feature_a_blend_the_farm_made_may_be_baked_again_anywhere_an_artists_never(self, tmp_path):
        from blender_addon.batch import _farm_made
        from engine.contract import takes_record

        clip = touch(tmp_path / "shots" / "shot.mp4")
        artists = touch(tmp_path / "takes" / "other.blend")
        cfg = PlanConfig(takes_dir=tmp_path / "takes", bake=BakeSettings(demo_rig=True))
        self._run([clip], cfg)
        take = str(tmp_path / "takes" / "shot.npz")
        assert _farm_made(tmp_path / "takes" / "shot.blend", [take], takes_record)  # whatever the user's ledger says
        assert not _farm_made(artists, [take], takes_record)  # it was there before the farm: never claimed
        with pytest.raises(InputError, match="other.blend is in a bake's place"):
            make_plan([clip, touch(tmp_path / "shots" / "other.mp4")], cfg)


def test_a_farm_task_that_succeeds_keeps_what_the_engine_said(tmp_path):
    """A plate with missing frames, tracked by the farm, came back "ok" and nothing else: the engine's notices (the
    gaps, the assumed frame rate) were thrown away with the task's output.
    """
    import cv2
    import skimage.data

    from engine.farm.task_process import run_farm_task

    plate = tmp_path / "day" / "plate"
    plate.mkdir(parents=True)
    face = cv2.resize(np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1]), (192, 192))
    for n in (1001, 1002, 1005, 1006):
        cv2.imwrite(str(plate / f"shot.{n}.png"), face)
    plan = make_plan([plate.parent], PlanConfig(takes_dir=tmp_path / "takes"))
    (tmp_path / "takes").mkdir()
    outcome = run_farm_task({"name": plan.tasks[0].name, "kind": "track", "argv": list(plan.tasks[0].argv)})
    assert outcome["status"] == "ok", outcome
    assert "2 frame(s) missing from shot.####.png (1003-1004)" in outcome["message"]
    assert "timed at 30 fps" in outcome["message"]


def test_the_demo_rigs_default_mapping_is_automatic_to_the_record(tmp_path):
    """Switching between --mapping AUTO and the default with --demo-rig re-baked every take: the record compared
    "AUTO" with "" though the demo rig saves no Mapping and bakes Automatic either way.
    """
    touch(tmp_path / "s" / "a.mp4")
    keys = []
    for mapping in ("", "AUTO"):
        cfg = PlanConfig(takes_dir=tmp_path / "takes", bake=BakeSettings(demo_rig=True, mapping=mapping))
        plan = make_plan([tmp_path / "s"], cfg)
        keys.append([entry["bake"] for entry in plan.record.blends.values()])
    assert keys[0] == keys[1] and keys[0]
