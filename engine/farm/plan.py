"""The task plan: which commands a farm runs, in which order, to track (and bake) a set of clips.

:func:`make_plan` decides, :class:`FarmPlan` holds the answer; every scheduler adapter runs the same plan.

- One **track** task per clip: ``ENGINE_PYTHON launch.py engine track CLIP -o TAKES/<name>.npz ...``. A clip whose
  take is already there and valid (:func:`engine.contract.take_io.load_take` reads it) gets no task, so a re-run after a
  failure does only the missing takes (``redo`` tracks everything again).
- With a rig (or the demo rig), one **bake** task per take: ``BAKE_PYTHON launch.py blender_addon.batch --rig RIG
  --takes TAKE -o BLENDS/<name>.blend``, depending on that take's track task. A bake whose ``.blend`` is newer
  than its take (and whose take is not re-tracked) and was baked with the same rig and mapping is skipped too.
- The takes folder's record (:mod:`engine.contract.takes_record`, kept by the farm and the add-on's Track button)
  says which clip each take is from and what each .blend was baked with: a take of another clip of the same name
  (tracked by the farm or from the panel) stops the plan, a clip delivered again
  (another size or date) is tracked again, a new rig or mapping is baked again, and a .blend the farm made may be
  replaced on any machine.

Command lines are built by :func:`track_argv` and :func:`bake_argv` from :class:`CommandPaths`; the OpenJD
template builds its step scripts with the same two functions and placeholders instead of paths, so the two cannot
drift. ``launch.py`` (:mod:`engine.farm.launch`) is ``python -m MODULE`` run from the repository, so no task needs
a working folder or environment variables. Every path is absolute and goes through :class:`~.paths.PathMap`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import rigs

from ..clip_files import check_take_output, take_names
from ..contract.output_guard import check_output
from ..contract.takes_record import TakesRecord, bake_key
from ..contract.version import project_version
from ..errors import InputError, UserError
from .clips import collect_clips
from .paths import PathMap, farm_join

__all__ = [
    "PLAN_SCHEMA",
    "BakeSettings",
    "CommandPaths",
    "FarmPlan",
    "FarmTask",
    "PlanConfig",
    "TrackOptions",
    "bake_argv",
    "default_bake_python",
    "default_engine_python",
    "make_plan",
    "mapping_is_file",
    "track_argv",
]

PLAN_SCHEMA = "facewarehouse-mocap-farm-plan/1"
"""Written into :meth:`FarmPlan.to_dict`; the Flamenco job type refuses any other."""

REPO_ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = Path(__file__).resolve().with_name("launch.py")
TRACK, BAKE = "track", "bake"


def as_named(path: Path) -> Path:
    """``path`` (a file of this checkout, symlinks resolved) under the name the user reaches the checkout by.

    A studio runs a release through a symlink (``/studio/tools/mocap -> /studio/tools/mocap-1.4``) and maps that
    name for the farm. Python resolves the working folder, so the checkout's own files come out under the physical
    name; the shell's ``PWD`` keeps the name as typed. When ``PWD`` is the working folder under another name, the
    path is given under that name; otherwise it is returned as it is.
    """
    logical = os.environ.get("PWD")
    if not logical:
        return path
    try:
        here = Path.cwd()
        if Path(logical).resolve() != here or not path.is_relative_to(here):
            return path
    except OSError:
        return path
    return Path(logical) / path.relative_to(here)


def default_engine_python() -> Path:
    """This checkout's engine environment (``bash .ci/setup``): ``<repo>/.venv/bin/python``."""
    return as_named(REPO_ROOT) / ".venv" / "bin" / "python"


def default_bake_python() -> Path:
    """This checkout's Blender 5.0 environment (``bash .ci/setup_blender 5.0.1``)."""
    return as_named(REPO_ROOT) / ".venv-bpy-5.0.1" / "bin" / "python"


@dataclasses.dataclass(frozen=True)
class TrackOptions:
    """How every clip is tracked (the ``engine track`` options a farm passes on)."""

    backend: str = "mediapipe"
    """Landmark detector: ``mediapipe`` or ``fan`` (``fan`` needs ``.venv-fan`` as the engine Python)."""
    filter: bool = True
    """Temporal filtering on (``False`` adds ``--no-filter``)."""
    identity: Path | None = None
    """A take whose actor identity every clip reuses (``--identity``); None: each clip fits its own."""
    parts: int | None = None
    """Landmark graphs a track runs at once on a long clip (``--parts``); None: the engine's default (one per core,
    at most 4)."""
    fps: float | None = None
    """The frame rate image sequences are timed at (``--fps``); None: the engine's default (30)."""


@dataclasses.dataclass(frozen=True)
class BakeSettings:
    """What every take is baked onto (``blender_addon.batch`` options)."""

    rig: Path | None = None
    """The character's .blend; None with ``demo_rig``: a new FaceWarehouse demo rig per take."""
    demo_rig: bool = False
    mapping: str = ""
    """Mapping preset, .toml file or ``AUTO`` (``--mapping``); "": the rig's saved Mapping (Automatic for the demo
    rig), the choice its panel's Bake uses."""


@dataclasses.dataclass(frozen=True)
class PlanConfig:
    """Everything :func:`make_plan` needs besides the clips.

    Paths are this machine's; ``path_map`` says where the farm sees them.
    """

    takes_dir: Path
    track: TrackOptions = TrackOptions()
    bake: BakeSettings | None = None
    """None: track only."""
    blends_dir: Path | None = None
    """Where baked .blend files go; None: beside the takes."""
    engine_python: Path = dataclasses.field(default_factory=default_engine_python)
    bake_python: Path = dataclasses.field(default_factory=default_bake_python)
    path_map: PathMap = PathMap()
    redo: bool = False
    """Track (and bake) every clip again, even where a valid take is already there."""


@dataclasses.dataclass(frozen=True)
class CommandPaths:
    """The executables and shared files of every command line, as the farm sees them (or template placeholders)."""

    engine_python: str
    bake_python: str
    launcher: str
    identity: str | None = None
    rig: str | None = None
    """None: the demo rig."""
    mapping: str = ""
    """A mapping preset name, ``AUTO``, or a mapping .toml file's farm path; "": the rig's saved Mapping."""

    @classmethod
    def from_config(cls, cfg: PlanConfig) -> CommandPaths:
        """Map the config's paths for the farm."""
        to_farm = cfg.path_map.to_farm
        bake = cfg.bake or BakeSettings()
        return cls(
            engine_python=_python_on_farm(to_farm(cfg.engine_python)),
            bake_python=_python_on_farm(to_farm(cfg.bake_python)),
            launcher=to_farm(as_named(LAUNCHER)),
            identity=to_farm(cfg.track.identity) if cfg.track.identity else None,
            rig=to_farm(bake.rig) if bake.rig and not bake.demo_rig else None,
            mapping=to_farm(bake.mapping) if mapping_is_file(bake.mapping) else bake.mapping,
        )


def _python_on_farm(python: str) -> str:
    r"""A virtual environment's Python as a farm machine runs it: mapped onto a Windows machine, ``bin\python`` is
    ``Scripts\python.exe`` (the layout of a venv made there).

    Example:
        >>> _python_on_farm("C:\\mocap\\.venv\\bin\\python"), _python_on_farm("/studio/mocap/.venv/bin/python")
        ('C:\\mocap\\.venv\\Scripts\\python.exe', '/studio/mocap/.venv/bin/python')
    """
    if python.endswith("\\bin\\python"):
        return python[: -len("bin\\python")] + "Scripts\\python.exe"
    return python


def mapping_is_file(mapping: str) -> bool:
    """A ``--mapping`` value names a file rather than a preset (:func:`rigs.names_a_file`).

    Example:
        >>> mapping_is_file("facewarehouse46_to_arkit52"), mapping_is_file("maps/hero.toml")
        (False, True)
    """
    return rigs.names_a_file(mapping)


def track_argv(paths: CommandPaths, options: TrackOptions, clip: str, take: str) -> tuple[str, ...]:
    """The command line that tracks ``clip`` into ``take`` (quiet: expected failures print one ``error:`` line).

    Example:
        >>> p = CommandPaths("/py", "/bpy", "/repo/engine/farm/launch.py")
        >>> " ".join(track_argv(p, TrackOptions(), "/clips/a.mp4", "/takes/a.npz"))  # doctest: +ELLIPSIS
        '/py /repo/engine/farm/launch.py --expect-version ... engine track /clips/a.mp4 -o /takes/a.npz --progress \
none --backend mediapipe'
    """
    argv = [*_launch(paths, paths.engine_python), "engine", "track", clip, "-o", take, "--progress", "none"]
    argv += ["--backend", options.backend]
    if not options.filter:
        argv.append("--no-filter")
    if options.parts is not None:
        argv += ["--parts", str(options.parts)]
    if options.fps is not None:
        argv += ["--fps", f"{options.fps:g}"]
    if paths.identity:
        argv += ["--identity", paths.identity]
    return tuple(argv)


def bake_argv(paths: CommandPaths, take: str, blend: str) -> tuple[str, ...]:
    """The command line that bakes ``take`` onto the rig (``paths.rig``, else the demo rig) and saves ``blend``.

    The bake may replace ``blend`` when the takes folder's record holds it (the farm made it:
    :mod:`engine.contract.takes_record`); an artist's file in its place stays untouched.

    Example:
        >>> p = CommandPaths("/py", "/bpy", "/repo/engine/farm/launch.py", rig="/rigs/hero.blend")
        >>> " ".join(bake_argv(p, "/takes/a.npz", "/blends/a.blend"))  # doctest: +ELLIPSIS
        '/bpy /repo/engine/farm/launch.py --expect-version ... blender_addon.batch --rig /rigs/hero.blend --takes \
/takes/a.npz -o /blends/a.blend'
    """
    rig = ["--rig", paths.rig] if paths.rig else ["--demo-rig"]
    tail = ["--takes", take, *(("--mapping", paths.mapping) if paths.mapping else ()), "-o", blend]
    return (*_launch(paths, paths.bake_python), "blender_addon.batch", *rig, *tail)


def _launch(paths: CommandPaths, python: str) -> list[str]:
    """``PYTHON launch.py --expect-version V``: a worker whose checkout is another version refuses the task."""
    return [python, paths.launcher, "--expect-version", project_version()]


@dataclasses.dataclass(frozen=True)
class FarmTask:
    """One process of the plan: a command line and the tasks that must finish before it."""

    name: str
    """Unique in the plan: ``track <take name>`` or ``bake <take name>``."""
    kind: str
    """``track`` or ``bake``."""
    argv: tuple[str, ...]
    """The whole command line (farm paths); ``argv[0]`` is the Python that runs it."""
    inputs: tuple[str, ...]
    """Farm paths it reads; ``inputs[0]`` is the clip (track) or the take (bake)."""
    outputs: tuple[str, ...]
    """Farm paths it writes; ``outputs[0]`` is the take (track) or the .blend (bake)."""
    depends_on: tuple[str, ...] = ()
    """Names of the tasks whose outputs it reads."""

    def to_dict(self) -> dict:
        """Plain JSON-able form (what the Dask workers and the Flamenco job type receive)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "argv": list(self.argv),
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
            "depends_on": list(self.depends_on),
        }


@dataclasses.dataclass(frozen=True)
class FarmPlan:
    """The tasks to run (tracks first, then bakes; a task's dependencies always come before it)."""

    config: PlanConfig
    paths: CommandPaths
    tasks: tuple[FarmTask, ...]
    takes_dir: str
    """The takes folder as the farm sees it."""
    blends_dir: str
    already_tracked: tuple[Path, ...] = ()
    """Clips (this machine's paths) whose take is already there and valid: no track task."""
    already_baked: tuple[Path, ...] = ()
    """Takes whose .blend is already there, newer and baked as now: no bake task."""
    other_version: tuple[Path, ...] = ()
    """Clips of ``already_tracked`` whose take another engine version wrote (``--redo`` tracks them again)."""
    skipped: tuple[Path, ...] = ()
    """Files found in the clips' folders that are not clips (listed, as ``engine batch`` lists them)."""
    clips: tuple[Path, ...] = ()
    """Every clip of the job (this machine's absolute paths), tracked now or before."""
    record: TakesRecord | None = None
    """The takes folder's record with this plan's takes and .blend files entered: written when the plan is run
    or submitted (:meth:`write_record`), never by planning."""

    def write_record(self) -> None:
        """Write the takes folder's record (the folder must exist)."""
        if self.record is not None:
            self.record.write()

    @contextlib.contextmanager
    def record_written_unless_failed(self) -> Iterator[None]:
        """Write the record for the ``with`` block (a submission whose tasks read it); if the block raises, this
        plan's entries are taken back (nothing was submitted, so nothing is recorded; others' entries stay).
        """
        if self.record is None:
            yield
            return
        self.record.write()
        try:
            yield
        except BaseException:
            self.record.take_back()
            raise

    def of_kind(self, kind: str) -> tuple[FarmTask, ...]:
        """The tasks of one kind (``track`` or ``bake``), in plan order."""
        return tuple(t for t in self.tasks if t.kind == kind)

    def to_dict(self) -> dict:
        """The plan as the Flamenco job type reads it (``{"schema": ..., "tasks": [...]}``)."""
        return {"schema": PLAN_SCHEMA, "tasks": [t.to_dict() for t in self.tasks]}

    def to_json(self) -> str:
        """:meth:`to_dict` as compact JSON."""
        return json.dumps(self.to_dict(), separators=(",", ":"))


def _take_is_done(take: Path) -> str | None:
    """The engine version that wrote ``take`` if it is a valid take; None if it is absent or a broken take (to be
    tracked again).
    """
    from ..contract.take_io import load_take  # numpy only when planning

    if not take.exists():
        return None
    try:
        # no landmarks: most of a take's bytes (355 MB for 20 minutes), and only its version is wanted
        return str(load_take(take, landmarks=False).meta.get("engine_version", "unknown"))
    except UserError:
        return None


def _check_inputs(cfg: PlanConfig) -> None:
    if cfg.track.identity is not None and not Path(cfg.track.identity).is_file():
        raise InputError(f"identity take not found: {cfg.track.identity}")
    if cfg.bake is not None:
        if cfg.bake.rig is None and not cfg.bake.demo_rig:
            raise InputError("baking needs a rig (.blend) or the demo rig")
        if cfg.bake.rig is not None and not Path(cfg.bake.rig).is_file():
            raise InputError(f"rig file not found: {cfg.bake.rig}")
        if mapping_is_file(cfg.bake.mapping) and not Path(cfg.bake.mapping).is_file():
            raise InputError(f"mapping file not found: {cfg.bake.mapping}")
        presets = rigs.mapping_presets()
        if not mapping_is_file(cfg.bake.mapping) and cfg.bake.mapping not in ("", "AUTO", *presets):
            raise InputError(  # said now, not by every bake task after the tracks
                f"unknown mapping preset {cfg.bake.mapping!r} (presets: AUTO, {', '.join(presets)}; or a .toml file)"
            )


def make_plan(clip_items: Sequence[str | Path], cfg: PlanConfig) -> FarmPlan:
    """Plan the track (and bake) tasks for ``clip_items`` (files, folders, globs: :func:`~.clips.collect_clips`).

    Reads the takes folder to resume: nothing is written.

    Raises:
        InputError: a clip, the rig or the identity take is missing; two clips would write the same take, or the
            take there is recorded as another clip's; a file that is not a take is in a take's place.
    """
    _check_inputs(cfg)
    skipped: list[Path] = []
    clips = collect_clips(clip_items, skipped)
    names = take_names(clips)
    paths = CommandPaths.from_config(cfg)
    to_farm = cfg.path_map.to_farm
    takes_local = Path(cfg.takes_dir).absolute()
    blends_local = Path(cfg.blends_dir).absolute() if cfg.blends_dir else takes_local
    takes_dir, blends_dir = to_farm(takes_local), to_farm(blends_local)

    tracks: list[FarmTask] = []
    bakes: list[FarmTask] = []
    already_tracked: list[Path] = []
    already_baked: list[Path] = []
    other_version: list[Path] = []
    record = TakesRecord.read(takes_local)
    key = None
    if cfg.bake is not None:  # the demo rig saves no Mapping: its default is Automatic, and re-bakes nothing as one
        mapping = cfg.bake.mapping or ("AUTO" if cfg.bake.rig is None else "")
        key = bake_key(cfg.bake.rig, mapping, mapping_is_file(mapping))
    for clip in clips:
        name = names[clip]
        take_local = takes_local / f"{name}.npz"
        take = farm_join(takes_dir, take_local.name)
        tracked_from = record.take_clip(take_local.name)
        if take_local.exists() and record.take_is_of(take_local.name, clip) is False:
            raise InputError(
                f"{take_local} is the take of {tracked_from}, not of {clip} (two clips of one name): give this one "
                "another --takes folder, or rename it"
            )
        span = record.take_span(take_local.name)
        if take_local.exists() and span is not None:  # a part the panel tracked is not the farm's whole clip
            raise InputError(
                f"{take_local} is the take of a part of {clip} ({span[0]}-{span[1]} s: the panel's Range, or batch "
                "--start/--end), not of the whole clip: give this run another --takes folder"
            )
        if take_local.exists() and tracked_from is None:  # an artist's file in a take's place stops the plan
            try:
                check_take_output(take_local)
            except InputError:
                raise InputError(
                    f"{take_local} is in a take's place but is not a take this tool made: move it away (the farm "
                    "never replaces a file it did not make)"
                ) from None
        made_by = _take_is_done(take_local)
        retrack = cfg.redo or made_by is None or not record.take_is_current(take_local.name, clip, take_local)
        if retrack:
            argv = track_argv(paths, cfg.track, to_farm(clip), take)
            inputs = (to_farm(clip),) + ((paths.identity,) if paths.identity else ())
            tracks.append(FarmTask(f"{TRACK} {name}", TRACK, argv, inputs, (take,)))
            record.enter_take(take_local.name, clip, pending=True)
        else:
            already_tracked.append(clip)
            if made_by != project_version():
                other_version.append(clip)
        if cfg.bake is None:
            continue
        blend_local = blends_local / f"{name}.blend"
        newer = not retrack and blend_local.is_file() and blend_local.stat().st_mtime >= take_local.stat().st_mtime
        ours = record.blend_is_ours(blend_local.name, blend_local)
        if newer and ours and record.blend_is_current(blend_local.name, key, blend_local):
            already_baked.append(take_local)
            continue
        if blend_local.exists() and not ours:  # never claim an artist's file
            try:
                check_output(blend_local, what="baked .blend", suffixes=(".blend",))  # baked here by this tool
            except InputError:
                raise InputError(
                    f"{blend_local} is in a bake's place but is not a .blend this tool made: move it away, or give "
                    "--blends another folder (the farm never replaces a file it did not make)"
                ) from None
        record.enter_blend(blend_local.name, take_local.name, key, blend_local, pending=True)
        blend = farm_join(blends_dir, blend_local.name)
        inputs = (take,) + ((paths.rig,) if paths.rig else ())
        depends = (f"{TRACK} {name}",) if retrack else ()
        bakes.append(FarmTask(f"{BAKE} {name}", BAKE, bake_argv(paths, take, blend), inputs, (blend,), depends))
    return FarmPlan(
        config=cfg,
        clips=tuple(clips),
        paths=paths,
        tasks=tuple(tracks + bakes),
        takes_dir=takes_dir,
        blends_dir=blends_dir,
        already_tracked=tuple(already_tracked),
        already_baked=tuple(already_baked),
        other_version=tuple(other_version),
        record=record,
        skipped=tuple(skipped),
    )
