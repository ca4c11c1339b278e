"""``engine farm openjd``: the job template, checked with ``openjd check`` and run with ``openjd run``.

``openjd`` is the pinned openjd-cli; real clips from ../shared and clips the project makes itself.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import run_engine, write_valid_take

from engine.contract.take_io import load_take

OPENJD = Path(sys.executable).with_name("openjd")
if not OPENJD.exists():
    pytest.skip("openjd-cli is not installed in this environment (bash .ci/setup)", allow_module_level=True)

PLACEHOLDER = re.compile(r"\{\{(Task\.Param|Param)\.(\w+)\}\}")


def openjd(*args: object, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(OPENJD), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def write_template(tmp_path: Path, *args: object) -> Path:
    path = tmp_path / "job.yaml"
    run = run_engine("farm", "openjd", *args, "-o", path)
    assert run.returncode == 0, run.stderr
    return path


def expand(template: dict) -> list[tuple[str, tuple[str, ...]]]:
    """Every task's command line, as a render manager forms it (defaults; ``(A, B)`` associates ranges, ``* C`` a
    range of one multiplies in).
    """
    params = {p["name"]: p["default"] for p in template["parameterDefinitions"]}
    tasks = []
    for step in template["steps"]:
        space = step["parameterSpace"]
        names = [d["name"] for d in space["taskParameterDefinitions"]]
        paired, shared = names[:2], {d["name"]: d["range"] for d in space["taskParameterDefinitions"][2:]}
        assert space["combination"] == f"({', '.join(paired)})" + "".join(f" * {n}" for n in shared)
        assert all(len(values) == 1 for values in shared.values())  # a file every task reads: as many tasks
        action = step["script"]["actions"]["onRun"]
        for values in zip(*(d["range"] for d in space["taskParameterDefinitions"][:2]), strict=True):
            task = dict(zip(paired, values, strict=True)) | {n: values[0] for n, values in shared.items()}

            def fill(text: str, task=task) -> str:
                return PLACEHOLDER.sub(lambda m: (task if m[1] == "Task.Param" else params)[m[2]], text)

            tasks.append((step["name"], tuple(fill(a) for a in (action["command"], *action["args"]))))
    return tasks


class TestTemplate:
    def test_smoke_openjd_check(self, portrait_clips, tmp_path):
        path = write_template(tmp_path, *portrait_clips, "--takes", tmp_path / "takes", "--demo-rig")
        run = openjd("check", path)
        assert run.returncode == 0 and "passes validation" in run.stdout, run.stdout + run.stderr

    def test_convention_template_runs_the_plans_command_lines(self, portrait_clips, tmp_path):
        rig = tmp_path / "hero.blend"
        rig.write_bytes(b"")
        identity = write_valid_take(tmp_path / "actor.npz")
        args = (*portrait_clips, "--takes", tmp_path / "takes", "--rig", rig, "--identity", identity, "--no-filter")
        template = yaml.safe_load(write_template(tmp_path, *args).read_text())
        plan = json.loads(run_engine("farm", "plan", *args, "--json").stdout)
        assert [s["name"] for s in template["steps"]] == ["Track", "Bake"]
        assert template["steps"][1]["dependencies"] == [{"dependsOn": "Track"}]
        assert expand(template) == [(t["kind"].title(), tuple(t["argv"])) for t in plan["tasks"]]
        assert openjd("check", tmp_path / "job.yaml").returncode == 0

    def test_cardinality_resume_and_nothing_to_do(self, portrait_clips, tmp_path):
        takes = tmp_path / "takes"
        write_valid_take(takes / "portrait_a.npz")
        template = yaml.safe_load(write_template(tmp_path, *portrait_clips, "--takes", takes).read_text())
        (track,) = template["steps"]
        assert track["parameterSpace"]["taskParameterDefinitions"][0]["range"] == [str(portrait_clips[1])]
        write_valid_take(takes / "portrait_b.npz")
        run = run_engine("farm", "openjd", *portrait_clips, "--takes", takes, "-o", tmp_path / "none.yaml")
        assert run.returncode == 1 and "nothing to do" in run.stderr
        assert not (tmp_path / "none.yaml").exists()


class TestOpenjdRun:
    def test_feature_project_clips_track_and_bake(self, portrait_clips, bpy_python, tmp_path):
        takes = tmp_path / "takes"
        path = write_template(tmp_path, *portrait_clips, "--takes", takes, "--demo-rig", "--bake-python", bpy_python)
        run = openjd("run", path)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr
        for clip in portrait_clips:
            assert load_take(takes / f"{clip.stem}.npz").num_frames == 20
            assert (takes / f"{clip.stem}.blend").stat().st_size > 0

    def test_feature_a_worker_that_mounts_the_share_elsewhere_reaches_every_file_by_path_mapping(
        self, portrait_clips, tmp_path
    ):
        """The submitter sees the share as ``mntA``; the worker only as ``volB`` (here: the share moved), with a
        storage profile's rule. The clip, the take and the identity take every task reuses are all mapped.
        """
        import shutil

        share = tmp_path / "mntA"
        clip = share / "shots" / portrait_clips[0].name
        clip.parent.mkdir(parents=True)
        shutil.copy(portrait_clips[0], clip)
        identity = share / "actors" / "actor.npz"
        identity.parent.mkdir()
        assert run_engine("track", portrait_clips[1], "-o", identity).returncode == 0  # a take with the actor
        path = write_template(tmp_path, clip, "--takes", share / "takes", "--identity", identity)
        moved = share.rename(tmp_path / "volB")
        rules = {
            "version": "pathmapping-1.0",
            "path_mapping_rules": [
                {"source_path_format": "POSIX", "source_path": str(share), "destination_path": str(moved)}
            ],
        }
        run = openjd("run", path, "--path-mapping-rules", json.dumps(rules))
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr
        assert load_take(moved / "takes" / f"{clip.stem}.npz").num_frames == 20

    @pytest.mark.shared
    def test_feature_real_clips(self, real_clips, tmp_path):
        takes = tmp_path / "takes"
        run = openjd("run", write_template(tmp_path, *real_clips, "--takes", takes))
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr
        for clip in real_clips:
            assert load_take(takes / f"{clip.stem}.npz").num_frames == 60

    def test_feature_bad_clip_fails_its_task_with_the_engines_message(self, portrait_clips, noface_clip, tmp_path):
        takes = tmp_path / "takes"
        run = openjd("run", write_template(tmp_path, portrait_clips[0], noface_clip, "--takes", takes))
        assert run.returncode != 0
        assert re.search(rf"error: {re.escape(str(noface_clip))}: no face found", run.stdout), run.stdout[-3000:]
        assert load_take(takes / "portrait_a.npz").num_frames == 20  # the good clip's task ran before
        again = write_template(tmp_path, portrait_clips[0], noface_clip, "--takes", takes)
        template = yaml.safe_load(again.read_text())
        assert template["steps"][0]["parameterSpace"]["taskParameterDefinitions"][0]["range"] == [str(noface_clip)]
