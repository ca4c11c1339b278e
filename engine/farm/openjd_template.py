"""The plan as an Open Job Description job template (``jobtemplate-2023-09``), for ``openjd run`` and Deadline Cloud.

- Step **Track**: task parameters ``Clip`` and ``Take`` (both ``PATH``, taken together: ``combination: "(Clip,
  Take)"``), one task per track task of the plan.
- Step **Bake** (with a rig), depending on Track: task parameters ``Take`` and ``Blend``, one task per bake task.

Every data path is a ``PATH`` task parameter, so a render manager's path mapping applies to it (Deadline Cloud
storage profiles, ``openjd run --path-mapping-rules``): the per-task ``Clip``, ``Take``, ``Blend``, and the files
every task of a step shares, ``Identity`` (Track), ``Rig`` and ``Mapping`` (Bake), each a range of one value
multiplied in (``combination: "(Clip, Take) * Identity"``: as many tasks). The software is ``STRING`` job parameters
whose defaults are the plan's values (after ``--path-map``): ``EnginePython``, ``BakePython``, ``Launcher``;
override them with ``-p NAME=VALUE`` (``openjd`` accepts ``PATH`` defaults only inside the template's folder,
which software never is). The template is for farms with shared storage: it declares no job attachments.

The step scripts are :func:`~.plan.track_argv` and :func:`~.plan.bake_argv` with ``{{Param.X}}`` /
``{{Task.Param.X}}`` in place of paths: the template runs the plan's exact command lines.

A Track task that fails (a bad clip) fails the Track step, and Bake starts only after every Track task succeeded
(Open Job Description's step dependencies); ``openjd run`` stops at the first failed task. Re-running the same
``engine farm openjd`` command after fixing or removing the clip writes a template with only what is missing.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .plan import BAKE, TRACK, CommandPaths, FarmPlan, FarmTask, bake_argv, mapping_is_file, track_argv

__all__ = ["MAX_TASKS_PER_STEP", "SPECIFICATION_VERSION", "plan_to_openjd_template", "write_openjd_template"]

SPECIFICATION_VERSION = "jobtemplate-2023-09"
MAX_TASKS_PER_STEP = 1024
"""Open Job Description allows at most 1024 values in one task parameter's range list."""

PLACEHOLDERS = CommandPaths(
    engine_python="{{Param.EnginePython}}",
    bake_python="{{Param.BakePython}}",
    launcher="{{Param.Launcher}}",
    identity="{{Task.Param.Identity}}",
    rig="{{Task.Param.Rig}}",
    mapping="{{Task.Param.Mapping}}",
)
"""The template's stand-ins for :class:`~.plan.CommandPaths` (unused ones are dropped per plan)."""


def _string_param(name: str, default: str, description: str) -> dict:
    return {"name": name, "type": "STRING", "default": default, "description": description}


def _placeholders(plan: FarmPlan) -> CommandPaths:
    return CommandPaths(
        engine_python=PLACEHOLDERS.engine_python,
        bake_python=PLACEHOLDERS.bake_python,
        launcher=PLACEHOLDERS.launcher,
        identity=PLACEHOLDERS.identity if plan.paths.identity else None,
        rig=PLACEHOLDERS.rig if plan.paths.rig else None,
        mapping=PLACEHOLDERS.mapping if mapping_is_file(plan.paths.mapping) else plan.paths.mapping,
    )


def _parameters(plan: FarmPlan) -> list[dict]:
    p = plan.paths
    params = [_string_param("Launcher", p.launcher, "engine/farm/launch.py of the repository the workers run")]
    if plan.of_kind(TRACK):
        params.append(_string_param("EnginePython", p.engine_python, "the engine's Python (.venv)"))
    if plan.of_kind(BAKE):
        params.append(_string_param("BakePython", p.bake_python, "a Python with the bpy module"))
    return params


def _shared_files(plan: FarmPlan, kind: str) -> dict[str, str]:
    """The files every task of a step reads (task parameter name -> farm path): the identity take, rig, mapping."""
    p = plan.paths
    if kind == TRACK:
        return {"Identity": p.identity} if p.identity else {}
    shared = {"Rig": p.rig} if p.rig else {}
    return shared | ({"Mapping": p.mapping} if mapping_is_file(p.mapping) else {})


def _step(
    name: str,
    description: str,
    tasks: tuple[FarmTask, ...],
    input_param: str,
    output_param: str,
    argv,
    shared: dict[str, str],
):
    """A step with one task per plan task: ``input_param`` ranges over ``inputs[0]``, ``output_param`` over
    ``outputs[0]``, taken together, times each ``shared`` file (a range of one); ``argv`` is the command line with
    their placeholders.
    """
    braced = [p for t in tasks for p in (t.inputs[0], t.outputs[0]) if "{{" in p] + [
        p for p in shared.values() if "{{" in p
    ]
    if braced:  # Open Job Description reads "{{ ... }}" in a range value as a placeholder
        raise InputError(
            f"{braced[0]}: a path holding '{{{{' cannot go into an Open Job Description template (it reads as a "
            "placeholder); rename it"
        )
    if len(tasks) > MAX_TASKS_PER_STEP:
        raise InputError(
            f"{len(tasks)} {name} tasks: an Open Job Description step takes at most {MAX_TASKS_PER_STEP}; "
            "split the clips over several jobs"
        )
    return {
        "name": name,
        "description": description,
        "parameterSpace": {
            "taskParameterDefinitions": [
                {"name": input_param, "type": "PATH", "range": [t.inputs[0] for t in tasks]},
                {"name": output_param, "type": "PATH", "range": [t.outputs[0] for t in tasks]},
                *({"name": n, "type": "PATH", "range": [path]} for n, path in shared.items()),
            ],
            "combination": f"({input_param}, {output_param})" + "".join(f" * {n}" for n in shared),
        },
        "script": {"actions": {"onRun": {"command": argv[0], "args": list(argv[1:])}}},
    }


def plan_to_openjd_template(plan: FarmPlan, *, name: str | None = None) -> dict:
    """The job template for ``plan`` (a dict ready for YAML or JSON).

    Raises:
        InputError: the plan has no task, or more than :data:`MAX_TASKS_PER_STEP` of one kind.
    """
    tracks, bakes = plan.of_kind(TRACK), plan.of_kind(BAKE)
    if not tracks and not bakes:
        raise InputError("nothing to do: every take is already there (and baked); use --redo to do them again")
    stand_in = _placeholders(plan)
    steps = []
    if tracks:
        argv = track_argv(stand_in, plan.config.track, "{{Task.Param.Clip}}", "{{Task.Param.Take}}")
        shared = _shared_files(plan, TRACK)
        steps.append(_step("Track", "python -m engine track, one task per clip", tracks, "Clip", "Take", argv, shared))
    if bakes:
        argv = bake_argv(stand_in, "{{Task.Param.Take}}", "{{Task.Param.Blend}}")
        shared = _shared_files(plan, BAKE)
        description = "python -m blender_addon.batch, one .blend per take"
        steps.append(_step("Bake", description, bakes, "Take", "Blend", argv, shared))
        if tracks:
            steps[-1]["dependencies"] = [{"dependsOn": "Track"}]
    summary = ", ".join(f"{kind} {len(tasks)}" for kind, tasks in ((TRACK, tracks), (BAKE, bakes)) if tasks)
    return {
        "specificationVersion": SPECIFICATION_VERSION,
        "name": name or f"FaceWarehouse Mocap: {summary}",
        "description": "Written by `python -m engine farm openjd`; every task is one engine or add-on command line.",
        "parameterDefinitions": _parameters(plan),
        "steps": steps,
    }


def write_openjd_template(plan: FarmPlan, path: str | Path, *, name: str | None = None) -> Path:
    """Write :func:`plan_to_openjd_template` as YAML (``.yaml``/``.yml``) or JSON (any other suffix), atomically.

    The caller checks ``path`` first (``engine.farm.cli``: a file the tool did not write needs ``--overwrite``).
    """
    import json

    import yaml  # PyYAML, pinned in .ci/requirements-engine.txt

    from ..contract.atomic_write import atomic_write

    template = plan_to_openjd_template(plan, name=name)
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        text = yaml.safe_dump(template, sort_keys=False, allow_unicode=True, width=1000)
    else:
        text = json.dumps(template, indent=2) + "\n"
    with atomic_write(path) as tmp:  # and remembered as the tool's own: a re-run may replace it
        tmp.write_text(text, encoding="utf-8")
    return path
