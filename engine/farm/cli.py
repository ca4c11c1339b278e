"""``python -m engine farm {plan,run,openjd,flamenco}``: one plan, shown, run on Dask, or handed to a render manager.

Every subcommand takes the same plan options (clips, ``--takes``, tracking options, an optional rig); see
:mod:`engine.farm`. Exit status: 0 when every task succeeded (``run``: also when there was nothing to do); 1 when a
task failed, an option's value is wrong, the plan could not be made or handed over, or ``openjd`` / ``flamenco`` had
nothing to do (no template written, nothing submitted: a script's next step, ``&& deadline bundle submit``, does not
submit an old template); 2 when the command line cannot be parsed (an unknown option, a missing value).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import shlex
import sys
from pathlib import Path

from ..clip_files import sequence_notice, skipped_reason
from ..errors import InputError
from .paths import PathMap
from .plan import (
    BAKE,
    TRACK,
    BakeSettings,
    FarmPlan,
    PlanConfig,
    TrackOptions,
    default_bake_python,
    default_engine_python,
    make_plan,
)

__all__ = ["add_farm_parser", "run_farm_command"]

EXIT_OK, EXIT_FAILED = 0, 1


def _plan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("clips", nargs="+", help="videos, images, folders of them, or globs ('shots/*.mov')")
    p.add_argument("--takes", required=True, metavar="DIR", help="folder for the takes (<clip>.npz)")
    rig = p.add_mutually_exclusive_group()
    rig.add_argument("--rig", metavar="RIG.blend", help="also bake every take onto this character")
    rig.add_argument("--demo-rig", action="store_true", help="also bake every take onto the FaceWarehouse demo rig")
    p.add_argument(
        "--mapping",
        default="",
        help="bake mapping preset, .toml file or AUTO (default: the rig's saved Mapping; AUTO for --demo-rig)",
    )
    p.add_argument("--blends", metavar="DIR", help="folder for the baked .blend files (default: the takes folder)")
    p.add_argument("--backend", default="mediapipe", choices=("mediapipe", "fan"), help="landmark detector")
    p.add_argument("--no-filter", action="store_true", help="store unfiltered streams as the filtered ones too")
    p.add_argument("--identity", metavar="TAKE.npz", help="reuse the actor identity of this take for every clip")
    p.add_argument("--fps", type=float, metavar="RATE", help="frame rate of image sequences (default 30)")
    p.add_argument(
        "--parts",
        type=int,
        metavar="N",
        help="landmark graphs each track runs at once on a long clip (default: the engine's, one per core; 1 on "
        "`farm run`'s local cluster, which runs a task per core)",
    )
    p.add_argument(
        "--engine-python", default=str(default_engine_python()), help="Python that runs tracks (default: %(default)s)"
    )
    p.add_argument(
        "--bake-python", default=str(default_bake_python()), help="Python with bpy for bakes (default: %(default)s)"
    )
    p.add_argument(
        "--path-map",
        action="append",
        default=[],
        metavar="FROM=TO",
        help="the folder FROM here is TO on the farm machines (repeatable)",
    )
    p.add_argument("--redo", action="store_true", help="track and bake again even where the take is already there")


def add_farm_parser(sub) -> None:
    """Add ``farm`` and its subcommands to the engine's subparsers."""
    farm = sub.add_parser("farm", help="track (and bake) many clips on Dask, Open Job Description or Flamenco")
    farm_sub = farm.add_subparsers(dest="farm_command", required=True, metavar="FARM_COMMAND")

    p = farm_sub.add_parser("plan", help="print the tasks a farm would run (nothing runs)")
    _plan_options(p)
    p.add_argument("--json", action="store_true", help="print the plan as JSON (what the Flamenco job type reads)")

    p = farm_sub.add_parser("run", help="run the plan on a Dask scheduler, or on a local Dask cluster")
    _plan_options(p)
    p.add_argument("--scheduler", metavar="tcp://HOST:8786", help="a running Dask scheduler (default: a local one)")
    p.add_argument("--workers", type=int, help="worker processes of the local cluster (default: one per core)")
    p.add_argument("--retries", type=int, default=2, help="extra tries for a task that crashed (default: 2)")
    p.add_argument(
        "--connect-timeout", type=float, default=30.0, metavar="SECONDS", help="wait for the scheduler (default: 30)"
    )
    p.add_argument(
        "--progress",
        dest="farm_progress",
        choices=("bar", "jsonl", "none"),
        default="bar",
        help="progress output (default: %(default)s)",
    )

    p = farm_sub.add_parser("openjd", help="write the plan as an Open Job Description job template")
    _plan_options(p)
    p.add_argument("-o", "--output", required=True, metavar="JOB.yaml", help="template file (.yaml, or .json)")
    p.add_argument("--name", help="job name (default: says what it does)")
    p.add_argument(
        "--overwrite", action="store_true", help="replace the template file even if this tool did not write it"
    )

    p = farm_sub.add_parser("flamenco", help="submit the plan to a Flamenco Manager as a facewarehouse-mocap job")
    _plan_options(p)
    p.add_argument("--manager", required=True, metavar="URL", help="the Manager, e.g. http://flamenco:8080")
    p.add_argument("--name", help="job name (default: 'Face mocap: <takes folder>')")
    p.add_argument("--priority", type=int, default=50, help="job priority (default: 50)")
    p.add_argument("--check", action="store_true", help="let the Manager compile the job without storing it")


def _track_parts(args: argparse.Namespace) -> int | None:
    """``--parts``, else 1 for a local Dask cluster (one task per core already keeps every core busy)."""
    if args.parts is not None:
        if args.parts < 1:
            raise InputError("--parts must be at least 1")
        return args.parts
    local_cluster = args.farm_command == "run" and args.scheduler is None
    return 1 if local_cluster else None


def _config(args: argparse.Namespace) -> PlanConfig:
    if args.fps is not None and not (math.isfinite(args.fps) and args.fps > 0):
        raise InputError(f"--fps must be a positive number of frames per second, got {args.fps:g}")
    bake = None
    if args.rig or args.demo_rig:
        bake = BakeSettings(rig=Path(args.rig) if args.rig else None, demo_rig=args.demo_rig, mapping=args.mapping)
    return PlanConfig(
        takes_dir=Path(args.takes),
        track=TrackOptions(
            backend=args.backend,
            filter=not args.no_filter,
            identity=Path(args.identity) if args.identity else None,
            parts=_track_parts(args),
            fps=args.fps,
        ),
        bake=bake,
        blends_dir=Path(args.blends) if args.blends else None,
        engine_python=Path(args.engine_python),
        bake_python=Path(args.bake_python),
        path_map=PathMap.from_specs(args.path_map),
        redo=args.redo,
    )


def _make_output_dirs(cfg: PlanConfig) -> None:
    """Make the takes and .blend folders, and check that files can be written there, before any task starts."""
    from ..contract.output_guard import check_output_folder

    for folder, what in ((cfg.takes_dir, "takes"), (cfg.blends_dir, ".blend files")):
        if folder is None:
            continue
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InputError(f"cannot create {folder}: {err.strerror}") from None
        check_output_folder(folder, what=what)  # a read-only share: one line now, not a failure per task


def _plan_line(plan: FarmPlan) -> str:
    tracks, bakes = len(plan.of_kind(TRACK)), len(plan.of_kind(BAKE))
    there = f"; {len(plan.already_tracked)} takes already there" if plan.already_tracked else ""
    if plan.other_version:
        there += f" ({len(plan.other_version)} made by another engine version: --redo tracks them again)"
    baked = f", {len(plan.already_baked)} already baked" if plan.already_baked else ""
    return f"plan: {tracks} track and {bakes} bake tasks{there}{baked} -> {plan.takes_dir}"


def _cmd_plan(args: argparse.Namespace, plan: FarmPlan) -> int:
    try:
        if args.json:
            print(plan.to_json())
            return EXIT_OK
        print(_plan_line(plan))
        for task in plan.tasks:
            after = f"  (after {', '.join(task.depends_on)})" if task.depends_on else ""
            print(f"{task.name}{after}\n    {shlex.join(task.argv)}")
        sys.stdout.flush()
    except BrokenPipeError:  # `farm plan | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the interpreter's last flush is quiet
    return EXIT_OK


def _cmd_run(args: argparse.Namespace, plan: FarmPlan) -> int:
    from .dask_run import DaskConfig, run_plan_on_dask  # imports Dask
    from .report import FarmReporter, summarize

    cfg = DaskConfig(scheduler=args.scheduler, retries=args.retries, connect_timeout_s=args.connect_timeout)
    if args.workers is not None:  # checked to be >= 1 before anything was made (run_farm_command)
        cfg = dataclasses.replace(cfg, workers=args.workers)
    reporter = FarmReporter(args.farm_progress, plan)
    if args.farm_progress == "bar":
        where = args.scheduler or f"a local Dask cluster ({cfg.workers} workers)"
        print(f"{_plan_line(plan)}; running on {where}", file=sys.stderr, flush=True)
    outcomes = run_plan_on_dask(plan, cfg, on_outcome=reporter.outcome)
    summary = summarize(outcomes, plan)
    reporter.finish(summary, plan.takes_dir)
    return EXIT_OK if summary["failed"] == 0 and summary["skipped"] == 0 else EXIT_FAILED


def _cmd_openjd(args: argparse.Namespace, plan: FarmPlan) -> int:
    from .openjd_template import write_openjd_template

    path = write_openjd_template(plan, args.output, name=args.name)  # checked before the plan was acted on
    print(f"{_plan_line(plan)}\nwrote {path}: run it with `openjd run {path}`")
    return EXIT_OK


def _cmd_flamenco(args: argparse.Namespace, plan: FarmPlan) -> int:
    from .flamenco_submit import submit_to_flamenco

    name = args.name or f"Face mocap: {Path(args.takes).absolute().name}"
    if args.check:  # compiles the job only: nothing is submitted, nothing recorded
        job = submit_to_flamenco(plan, args.manager, name=name, priority=args.priority, check_only=True)
    else:  # recorded before the job can run (its bakes read the record), taken back if nothing was submitted
        with plan.record_written_unless_failed():
            job = submit_to_flamenco(plan, args.manager, name=name, priority=args.priority, check_only=False)
    print(_plan_line(plan))
    if args.check:
        print(f"the Manager at {args.manager} compiled the job ({len(plan.tasks)} tasks); nothing was submitted")
    else:
        print(f"submitted job {job.get('id', '?')} ({job.get('status', '?')}) to {args.manager}")
    return EXIT_OK


def run_farm_command(args: argparse.Namespace) -> int:
    """Run ``python -m engine farm ...`` (parsed); UserErrors propagate to the engine's ``main``."""
    cfg = _config(args)
    if args.farm_command == "openjd":  # an artist's file is never replaced by a template
        from ..contract.output_guard import check_output

        check_output(args.output, overwrite=args.overwrite, what="job template")
    if args.farm_command == "flamenco":  # arguments first: nothing is made for a command that cannot run
        from .flamenco_submit import check_manager_url

        check_manager_url(args.manager)
    if args.farm_command == "run" and args.workers is not None and args.workers < 1:
        raise InputError("--workers must be at least 1")
    plan = make_plan(args.clips, cfg)
    for path in plan.skipped:
        print(f"farm: skipped {path}: {skipped_reason(path)}", file=sys.stderr)
    for folder in dict.fromkeys(clip.parent for clip in plan.clips):  # given as a folder or as a glob of its frames
        notice = sequence_notice(folder, plan.clips)
        if notice:
            print(f"farm: notice: {notice}", file=sys.stderr)
    if args.farm_command != "plan":
        _make_output_dirs(cfg)
        if args.farm_command != "flamenco":  # Flamenco's: written around the submission (_cmd_flamenco)
            plan.write_record()
    return {"plan": _cmd_plan, "run": _cmd_run, "openjd": _cmd_openjd, "flamenco": _cmd_flamenco}[args.farm_command](
        args, plan
    )
