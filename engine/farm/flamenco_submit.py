"""Submit a plan to a Flamenco Manager (Flamenco 3, REST API ``/api/v3``) as a ``facewarehouse-mocap`` job.

Four requests, each with a timeout and none repeated (:func:`submit_to_flamenco`):

1. ``GET /api/v3/version``: is it a Flamenco Manager?
2. ``GET /api/v3/jobs/type/facewarehouse-mocap``: is the job type installed? Its ``etag`` goes into the job as
   ``type_etag``, so the Manager refuses the job if the script changed in between.
3. ``GET /api/v3/configuration/variables/users/<platform>``: the Manager's two-way variables as this machine sees
   them. Every path of the plan under one (``/mnt/proj/shots/a.mp4`` under ``storage`` = ``/mnt/proj``) is sent
   as ``{storage}/shots/a.mp4``, which the Manager gives each Worker as its own platform's value: one job's data
   serves Linux, macOS and Windows Workers (the Pythons: ``--engine-python '{mocap_python}'``, a Manager variable
   naming each platform's). (The Manager's own two-way replacement reaches only a setting that starts with
   a path; the plan is one JSON setting.) A Manager without the endpoint: paths as they are.
4. ``POST /api/v3/jobs`` (or ``/api/v3/jobs/check`` to only compile it) with a ``SubmittedJob``: ``name``,
   ``type``, ``priority``, ``submitter_platform``, ``type_etag``, ``settings`` (``plan``: the plan's JSON,
   ``takes_dir``) and ``metadata`` (strings).

The request body follows the ``SubmittedJob`` schema of Flamenco's ``pkg/api/flamenco-openapi.yaml``; the job
type is ``flamenco/facewarehouse_mocap.js`` beside this module.
"""

from __future__ import annotations

import getpass
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from ..contract.version import project_version
from ..errors import InputError
from .plan import FarmPlan

__all__ = ["JOB_TYPE", "JOB_TYPE_SCRIPT", "check_manager_url", "flamenco_job_request", "submit_to_flamenco"]

JOB_TYPE = "facewarehouse-mocap"
"""Flamenco names a job type after its script's file name (``_`` -> ``-``)."""
JOB_TYPE_SCRIPT = Path(__file__).resolve().parent / "flamenco" / "facewarehouse_mocap.js"
DEFAULT_PRIORITY = 50
"""Flamenco's own default job priority."""
REQUEST_TIMEOUT_S = 30.0


def _submitter_platform() -> str:
    """The platform as Go's ``runtime.GOOS`` names it (Flamenco uses it for two-way variables)."""
    return {"win32": "windows", "cygwin": "windows"}.get(sys.platform, sys.platform.rstrip("0123456789"))


def with_variables(path: str, variables: dict[str, str]) -> str:
    r"""``path`` with the longest two-way variable value it lies under replaced by ``{name}``.

    Example:
        >>> with_variables("/mnt/proj/shots/a.mp4", {"storage": "/mnt/proj", "shots": "/mnt/proj/shots"})
        '{shots}/a.mp4'
        >>> with_variables("/mnt/projX/a.mp4", {"storage": "/mnt/proj"}), with_variables("--fps", {"x": "/"})
        ('/mnt/projX/a.mp4', '--fps')
    """
    best_name, best_root = None, ""
    for name, value in variables.items():
        root = value.rstrip("/\\")
        under = path == root or (path.startswith(root) and path[len(root)] in "/\\")
        if root and under and len(root) > len(best_root):
            best_name, best_root = name, root
    return path if best_name is None else "{" + best_name + "}" + path[len(best_root) :]


def _plan_with_variables(plan: FarmPlan, variables: dict[str, str]) -> dict:
    """The plan's JSON form with every path (command line, inputs, outputs) under a two-way variable rewritten."""
    tasks = [
        {**t, **{k: [with_variables(v, variables) for v in t[k]] for k in ("argv", "inputs", "outputs")}}
        for t in plan.to_dict()["tasks"]
    ]
    return {**plan.to_dict(), "tasks": tasks}


def flamenco_job_request(
    plan: FarmPlan,
    *,
    name: str,
    priority: int = DEFAULT_PRIORITY,
    type_etag: str = "",
    variables: dict[str, str] | None = None,
) -> dict:
    """The ``SubmittedJob`` body for ``plan``; ``variables``: the Manager's two-way variables (name -> this
    platform's value), paths under them sent as ``{name}/...``.
    """
    variables = variables or {}
    plan_json = json.dumps(_plan_with_variables(plan, variables), separators=(",", ":"))
    body = {
        "name": name,
        "type": JOB_TYPE,
        "priority": priority,
        "submitter_platform": _submitter_platform(),
        "settings": {"plan": plan_json, "takes_dir": with_variables(plan.takes_dir, variables)},
        "metadata": {"user.name": getpass.getuser(), "facewarehouse_mocap.version": project_version()},
    }
    if type_etag:
        body["type_etag"] = type_etag
    return body


def _request(url: str, *, body: dict | None = None, timeout_s: float) -> tuple[int, bytes]:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    headers = {"Accept": "application/json"} | ({"Content-Type": "application/json"} if data is not None else {})
    req = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _error_text(payload: bytes) -> str:
    try:
        return str(json.loads(payload).get("message", "")) or payload.decode("utf-8", "replace").strip()
    except (ValueError, AttributeError):
        return payload.decode("utf-8", "replace").strip()


def check_manager_url(manager_url: str) -> None:
    """Refuse a Manager address that is not an http(s) URL (``flamenco`` alone was sent nowhere).

    >>> check_manager_url("http://flamenco:8080")
    >>> check_manager_url("flamenco:8080")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    engine.contract.errors.InputError: --manager must be the Manager's URL, e.g. http://flamenco:8080; got ...
    """
    scheme, _, rest = manager_url.partition("://")
    if scheme.lower() not in ("http", "https") or not rest:
        bare = manager_url if manager_url and "://" not in manager_url else "flamenco"
        example = f"http://{bare}" if ":" in bare else f"http://{bare}:8080"  # a port given is kept, not doubled
        raise InputError(f"--manager must be the Manager's URL, e.g. {example}; got {manager_url!r}")


def _two_way_variables(base: str, timeout_s: float) -> dict[str, str]:
    """The Manager's two-way variables as this platform's users see them (name -> value); none from a Manager
    without the endpoint.
    """
    status, payload = _request(
        f"{base}/api/v3/configuration/variables/users/{_submitter_platform()}", timeout_s=timeout_s
    )
    if status != 200:
        return {}
    found = json.loads(payload or b"{}").get("variables") or {}
    return {
        str(name): str(v["value"])
        for name, v in found.items()
        if isinstance(v, dict) and v.get("is_twoway") and isinstance(v.get("value"), str) and v["value"]
    }


def submit_to_flamenco(
    plan: FarmPlan,
    manager_url: str,
    *,
    name: str,
    priority: int = DEFAULT_PRIORITY,
    check_only: bool = False,
    timeout_s: float = REQUEST_TIMEOUT_S,
) -> dict:
    """Submit ``plan`` to the Manager at ``manager_url`` (``http://HOST:8080``).

    Returns:
        The Manager's ``Job`` (``id``, ``status``, ...); ``{}`` with ``check_only`` (the Manager compiled the job
        and stored nothing).

    Raises:
        InputError: the plan is empty, the Manager cannot be reached or is not Flamenco, the job type is not
            installed, or the Manager refused the job (its message is included).
    """
    check_manager_url(manager_url)
    if not plan.tasks:
        raise InputError("nothing to do: every take is already there (and baked); use --redo to do them again")
    base = manager_url.rstrip("/")
    try:
        status, payload = _request(f"{base}/api/v3/version", timeout_s=timeout_s)
        if status != 200 or "version" not in json.loads(payload or b"{}"):
            raise InputError(f"{manager_url} does not answer as a Flamenco Manager (GET /api/v3/version: {status})")
        status, payload = _request(f"{base}/api/v3/jobs/type/{JOB_TYPE}", timeout_s=timeout_s)
        if status != 200:
            raise InputError(
                f"the Flamenco Manager has no job type {JOB_TYPE!r}: copy {JOB_TYPE_SCRIPT} into the 'scripts' "
                "folder next to flamenco-manager and restart it"
            )
        etag = str(json.loads(payload).get("etag", ""))
        variables = _two_way_variables(base, timeout_s)
        body = flamenco_job_request(plan, name=name, priority=priority, type_etag=etag, variables=variables)
        endpoint = "jobs/check" if check_only else "jobs"
        status, payload = _request(f"{base}/api/v3/{endpoint}", body=body, timeout_s=timeout_s)
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        reason = getattr(err, "reason", err)
        raise InputError(f"cannot reach the Flamenco Manager at {manager_url}: {reason}") from None
    except ValueError as err:
        raise InputError(f"{manager_url} answered something that is not Flamenco's JSON ({err})") from None
    if status == 412:
        raise InputError(f"the job type {JOB_TYPE!r} changed on the Manager while submitting: submit again")
    if check_only and status == 204:
        return {}
    if status != 200:
        raise InputError(f"the Flamenco Manager refused the job ({status}): {_error_text(payload)}")
    try:
        return json.loads(payload)
    except ValueError:
        raise InputError(f"the Flamenco Manager accepted the job but answered no JSON: {payload[:200]!r}") from None
