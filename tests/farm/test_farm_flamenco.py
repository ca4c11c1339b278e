"""Flamenco: the ``facewarehouse-mocap`` job type compiled by Node against a stand-in of Flamenco's ``author`` API
(``flamenco_standin.js``), and ``engine farm flamenco`` against a local HTTP stand-in of the Manager's REST API.

A Flamenco Manager cannot run here; the stand-ins mirror what Flamenco 3's sources and API schema say (see the
comments in ``flamenco_standin.js`` and :mod:`engine.farm.flamenco_submit`).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import run_engine

from engine.contract.takes_record import FARM_RECORD_NAME, RECORD_NAME, TakesRecord
from engine.farm.flamenco_submit import JOB_TYPE, JOB_TYPE_SCRIPT
from engine.farm.plan import PLAN_SCHEMA

NODE = shutil.which("node")
STANDIN = Path(__file__).with_name("flamenco_standin.js")
needs_node = pytest.mark.skipif(NODE is None, reason="Node.js is not installed (the job type is JavaScript)")
SETTING_TYPES = {"string", "int32", "float", "bool"}  # AvailableJobSettingType in flamenco-openapi.yaml
SETTING_VISIBILITY = {"visible", "hidden", "submission", "web"}
SETTING_SUBTYPES = {"file_path", "dir_path", "file_name", "hashed_file_path"}


def compile_job(body: dict, tmp_path: Path) -> dict:
    """Run the job type's compileJob on a submitted job, under Node and the stand-in; the stand-in's JSON out."""
    job_file = tmp_path / f"job-{uuid.uuid4().hex[:8]}.json"
    job_file.write_text(json.dumps(body))
    run = subprocess.run([NODE, str(STANDIN), str(JOB_TYPE_SCRIPT), str(job_file)], capture_output=True, text=True)
    result = json.loads(run.stdout)
    assert (run.returncode == 0) == ("error" not in result), run.stderr
    return result


def plan_json(*args: object) -> dict:
    run = run_engine("farm", "plan", *args, "--json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def job_with_plan(plan: dict | str | None) -> dict:
    settings = {} if plan is None else {"plan": plan if isinstance(plan, str) else json.dumps(plan)}
    return {"name": "t", "type": JOB_TYPE, "priority": 50, "submitter_platform": "linux", "settings": settings}


def assert_compiled_like_plan(compiled: dict, plan: dict) -> None:
    assert [t["name"] for t in compiled["tasks"]] == [t["name"] for t in plan["tasks"]]
    for task, planned in zip(compiled["tasks"], plan["tasks"], strict=True):
        assert task["type"] == "misc"
        assert task["commands"] == [
            {"name": "exec", "parameters": {"exe": planned["argv"][0], "args": planned["argv"][1:]}}
        ]
        assert task["dependencies"] == planned["depends_on"]


@needs_node
class TestJobType:
    def test_smoke_compiles_the_plan(self, portrait_clips, tmp_path):
        plan = plan_json(*portrait_clips, "--takes", tmp_path / "takes", "--demo-rig")
        compiled = compile_job(job_with_plan(plan), tmp_path)
        assert_compiled_like_plan(compiled, plan)
        assert [t["dependencies"] for t in compiled["tasks"]][2:] == [["track portrait_a"], ["track portrait_b"]]
        assert compiled["log"] == ["facewarehouse-mocap: 4 tasks"]

    def test_convention_job_type_definition(self, portrait_clips, tmp_path):
        plan = plan_json(portrait_clips[0], "--takes", tmp_path)
        job_type = compile_job(job_with_plan(plan), tmp_path)["job_type"]
        assert isinstance(job_type["label"], str) and job_type["label"]
        keys = [s["key"] for s in job_type["settings"]]
        assert len(keys) == len(set(keys)) and "plan" in keys
        for setting in job_type["settings"]:
            assert setting["type"] in SETTING_TYPES
            assert setting.get("visible", "visible") in SETTING_VISIBILITY
            assert setting.get("subtype", "file_path") in SETTING_SUBTYPES
        plan_setting = job_type["settings"][keys.index("plan")]
        assert plan_setting["required"] is True and plan_setting["visible"] == "hidden"
        # Flamenco names a job type after its file, "_" -> "-"; the submitter asks for that name
        assert JOB_TYPE_SCRIPT.stem.replace("_", "-") == JOB_TYPE
        assert f'"{PLAN_SCHEMA}"' in JOB_TYPE_SCRIPT.read_text()

    @pytest.mark.parametrize(
        ("plan", "message"),
        [
            (None, "the job has no plan"),
            ("{not json", "the plan is not JSON"),
            ({"schema": "other/9", "tasks": []}, "plan format"),
            ({"schema": PLAN_SCHEMA, "tasks": []}, "the plan has no tasks"),
            ({"schema": PLAN_SCHEMA, "tasks": [{"name": "a", "argv": [], "depends_on": []}]}, "malformed plan task"),
            (
                {"schema": PLAN_SCHEMA, "tasks": [{"name": "b", "argv": ["x"], "depends_on": ["a"]}]},
                'depends on "a", which does not come before it',
            ),
        ],
    )
    def test_exception_bad_plans(self, plan, message, tmp_path):
        result = compile_job(job_with_plan(plan), tmp_path)
        assert message in result["error"]


class FlamencoManagerStandIn:
    """A local HTTP stand-in of a Flamenco Manager's job API on 127.0.0.1 that records every request.

    Answers as ``pkg/api/flamenco-openapi.yaml`` describes: ``GET /api/v3/version`` (FlamencoVersion),
    ``GET /api/v3/jobs/type/{name}`` (AvailableJobType with an etag, or 404 when not installed),
    ``GET /api/v3/configuration/variables/users/linux`` (ManagerVariables: ``variables``, or 404 when None, as a
    Manager before the endpoint), ``POST /api/v3/jobs`` (200 with the Job) and ``POST /api/v3/jobs/check`` (204).
    """

    ETAG = "0f1e2d3c4b5a"

    def __init__(
        self,
        *,
        job_type_installed: bool = True,
        submit_status: int = 200,
        is_flamenco: bool = True,
        variables: dict | None = None,
    ):
        self.requests: list[dict] = []
        self.job_id = str(uuid.uuid4())
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _reply(self, status: int, payload: dict | None = None) -> None:
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                if payload is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _record(self, body: dict | None = None) -> None:
                standin.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers)})
                standin.requests[-1]["body"] = body

            def do_GET(self):  # http.server names its handlers so
                self._record()
                if self.path == "/api/v3/version" and is_flamenco:
                    self._reply(200, {"version": "3.7", "shortversion": "3.7", "name": "stand-in", "git": "v3.7"})
                elif self.path == f"/api/v3/jobs/type/{JOB_TYPE}" and job_type_installed:
                    self._reply(200, {"name": JOB_TYPE, "label": "x", "settings": [], "etag": standin.ETAG})
                elif self.path == "/api/v3/configuration/variables/users/linux" and variables is not None:
                    self._reply(200, {"variables": variables})
                else:
                    self._reply(404, {"code": 404, "message": f"{self.path} not found"})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                self._record(body)
                if self.path == "/api/v3/jobs/check":
                    self._reply(204)
                elif self.path == "/api/v3/jobs" and submit_status == 200:
                    job = {**body, "id": standin.job_id, "created": "2026-01-01T00:00:00Z"}
                    self._reply(200, {**job, "updated": job["created"], "status": "queued", "activity": ""})
                else:
                    self._reply(submit_status, {"code": submit_status, "message": "job setting 'plan' is invalid"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def flamenco_submit(clips, tmp_path, manager: str, *extra: object):
    return run_engine(
        "farm", "flamenco", *clips, "--takes", tmp_path / "takes", "--demo-rig", "--manager", manager, *extra
    )


class TestSubmit:
    def test_feature_submits_the_plan(self, portrait_clips, tmp_path):
        with FlamencoManagerStandIn() as manager:
            run = flamenco_submit(portrait_clips, tmp_path, manager.url, "--name", "Day 1", "--priority", "60")
        assert run.returncode == 0, run.stderr
        assert f"submitted job {manager.job_id} (queued)" in run.stdout
        assert (tmp_path / "takes" / RECORD_NAME).is_file()  # the submitted takes are recorded for the job's bakes
        assert [(r["method"], r["path"]) for r in manager.requests] == [
            ("GET", "/api/v3/version"),
            ("GET", f"/api/v3/jobs/type/{JOB_TYPE}"),
            ("GET", "/api/v3/configuration/variables/users/linux"),  # none here (404): paths as they are
            ("POST", "/api/v3/jobs"),
        ]
        post = manager.requests[-1]
        assert post["headers"]["Content-Type"] == "application/json"
        body = post["body"]
        assert {k: body[k] for k in ("name", "type", "priority", "submitter_platform", "type_etag")} == {
            "name": "Day 1",
            "type": JOB_TYPE,
            "priority": 60,
            "submitter_platform": "linux",
            "type_etag": FlamencoManagerStandIn.ETAG,
        }
        assert all(isinstance(v, str) for v in body["metadata"].values())  # JobMetadata: strings only
        plan = plan_json(*portrait_clips, "--takes", tmp_path / "takes", "--demo-rig")
        assert json.loads(body["settings"]["plan"]) == plan
        assert body["settings"]["takes_dir"] == str(tmp_path / "takes")
        if NODE:  # what the Manager would compile from exactly this request
            assert_compiled_like_plan(compile_job(body, tmp_path), plan)

    def test_feature_paths_under_a_two_way_variable_go_as_the_variable_for_every_workers_platform(
        self, portrait_clips, tmp_path
    ):
        """``storage`` is ``tmp_path`` on this (Linux) machine, ``S:\\proj`` on Windows Workers: the plan's paths
        under it are sent as ``{storage}/...``, which the Manager fills in for each Worker; one-way variables and
        paths elsewhere are left alone.
        """
        variables = {
            "storage": {"value": f"{tmp_path}/", "is_twoway": True},
            "blender": {"value": "/usr/bin/blender", "is_twoway": False},
        }
        with FlamencoManagerStandIn(variables=variables) as manager:
            run = flamenco_submit(portrait_clips, tmp_path, manager.url)
        assert run.returncode == 0, run.stderr
        body = manager.requests[-1]["body"]
        assert body["settings"]["takes_dir"] == "{storage}/takes"
        sent = json.loads(body["settings"]["plan"])
        plan = plan_json(*portrait_clips, "--takes", tmp_path / "takes", "--demo-rig")
        for got, want in zip(sent["tasks"], plan["tasks"], strict=True):
            for key in ("argv", "inputs", "outputs"):
                expected = [
                    v.replace(str(tmp_path), "{storage}", 1) if v.startswith(f"{tmp_path}/") else v for v in want[key]
                ]
                assert got[key] == expected
        assert any(v.startswith("{storage}/takes/") for t in sent["tasks"] for v in t["outputs"])
        assert str(portrait_clips[0]) in sent["tasks"][0]["argv"]  # a clip outside the share: as it is

    def test_feature_check_only(self, portrait_clips, tmp_path):
        with FlamencoManagerStandIn() as manager:
            run = flamenco_submit(portrait_clips, tmp_path, manager.url, "--check")
        assert run.returncode == 0, run.stderr
        assert "compiled the job (4 tasks); nothing was submitted" in run.stdout
        assert manager.requests[-1]["path"] == "/api/v3/jobs/check"

    @pytest.mark.parametrize(
        ("standin", "message"),
        [
            ({"job_type_installed": False}, f"has no job type '{JOB_TYPE}': copy {JOB_TYPE_SCRIPT}"),
            ({"submit_status": 422}, "refused the job (422): job setting 'plan' is invalid"),
            ({"is_flamenco": False}, "does not answer as a Flamenco Manager"),
        ],
    )
    def test_exception_manager_answers(self, portrait_clips, tmp_path, standin, message):
        with FlamencoManagerStandIn(**standin) as manager:
            run = flamenco_submit(portrait_clips, tmp_path, manager.url)
        assert run.returncode == 1 and message in run.stderr and "Traceback" not in run.stderr

    def test_exception_unreachable(self, portrait_clips, tmp_path):
        with socket.socket() as s:  # a port that nothing listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        run = flamenco_submit(portrait_clips, tmp_path, f"http://127.0.0.1:{port}")
        assert run.returncode == 1 and f"cannot reach the Flamenco Manager at http://127.0.0.1:{port}" in run.stderr
        record = TakesRecord.read(tmp_path / "takes")
        assert record.takes == {} and record.blends == {}  # nothing was submitted: nothing is recorded
        earlier = tmp_path / "takes" / FARM_RECORD_NAME  # a folder an earlier version of the farm recorded
        earlier.write_text('{"schema": 1, "takes": {}, "blends": {"x.blend": {"take": "x.npz", "bake": {}}}}')
        run = flamenco_submit(portrait_clips, tmp_path, f"http://127.0.0.1:{port}")
        record = TakesRecord.read(tmp_path / "takes")
        assert run.returncode == 1 and record.takes == {} and set(record.blends) == {"x.blend"}  # the earlier kept
        run = flamenco_submit(portrait_clips, tmp_path, f"127.0.0.1:{port}")
        assert run.returncode == 1 and f"e.g. http://127.0.0.1:{port};" in run.stderr  # the port not given twice
