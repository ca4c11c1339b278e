r"""Headless batch baking: every take into its own Action on one rig, then save the .blend.

Synchronous from start to end (no modal operators, no timers: they do not run in background mode).

From a repository checkout, with the ``bpy`` module::

    python -m blender_addon.batch --rig RIG.blend --takes takes/ -o OUT.blend [--mapping PRESET]  # else the rig's
    python -m blender_addon.batch --demo-rig --takes a.npz b.csv -o OUT.blend
    python -m blender_addon.batch --demo-rig -o demo_rig.blend          # just the demo rig, no takes
    python -m blender_addon.batch --rig char.blend --armature Armature --takes takes/ -o OUT.blend  # its meshes+bones

Inside Blender (the rig opened by Blender itself; arguments after ``--``)::

    blender -b RIG.blend --python-exit-code 1 --python-expr \\
        "import sys; sys.path.insert(0, '/path/to/repo'); from blender_addon import batch; sys.exit(batch.main())" \\
        -- --takes takes/ -o OUT.blend

Targets: ``--mesh`` (one or more meshes), ``--collection`` (its meshes) or ``--armature`` (the meshes it carries or
deforms, and its head, neck, jaw and eye bones found by name); else, given ``--head`` / ``--jaw`` / ``--eyes`` on an
armature, the meshes it carries or deforms; else the panel's saved targets; else every mesh with shape keys in the
file. Every mesh whose shape keys match the mapping is driven; the matching report (what was
driven, what was left alone, every target found on no mesh) is printed for each take.

Takes are ``.npz`` engine takes or Live Link Face ``.csv`` files; a folder means every such file in it, sorted (hidden
files skipped: a writer's temporaries, macOS's ``._`` files), each file once; an unfinished track's take
(``.part.npz``, ``.npz.partial``) is said, not baked. A take that cannot be read or baked, whatever it contains, is
reported on stderr and skipped; every other take still bakes and the file is saved. The exit status is 0 if at least
one take was baked (and the file saved), 1 if none was, 2 for bad arguments (targets the rig lacks, or given two
roles, or whose keys the file would not keep: ``blender.target_check``, said once, before any take), 130 when
interrupted. ``-o`` is checked before any work: an existing ``.blend`` this tool did not write is left untouched
unless ``--overwrite`` is given, a name too long for its temporary file is refused, and a second batch writing the
same ``-o`` waits for the first (a lock beside it, POSIX only; up to 30 s, then exit 1); the file is saved atomically
(a temporary file, then renamed).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
from pathlib import Path

__all__ = ["collect_takes", "main", "parse_args"]

EXIT_OK, EXIT_NOTHING_BAKED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_UNFINISHED = (".part.npz", ".npz.partial")  # a track still running, or killed: not a take yet


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse batch arguments (``argv`` without the program name)."""
    p = argparse.ArgumentParser(prog="python -m blender_addon.batch", description=__doc__.split("\n\n")[0])
    rig = p.add_mutually_exclusive_group()
    rig.add_argument("--rig", help="the .blend with the character (omit inside 'blender -b RIG.blend')")
    rig.add_argument("--demo-rig", action="store_true", help="bake onto a new FaceWarehouse demo rig")
    p.add_argument("--demo-head", help="face_head.npz for --demo-rig (default: the shipped one)")
    p.add_argument("--takes", nargs="+", default=[], help="take files (.npz, .csv) and/or folders of them")
    p.add_argument("-o", "--output", required=True, help="the .blend to write")
    p.add_argument(
        "--mapping",
        help="mapping preset, .toml file or AUTO (default: the rig's saved Mapping, its edited mapping if it bakes "
        "with one; else AUTO)",
    )
    faces = p.add_mutually_exclusive_group()
    faces.add_argument(
        "--mesh",
        nargs="+",
        help="the face's mesh(es) with shape keys, main mesh first (default: the panel's target, else every mesh "
        "with shape keys)",
    )
    faces.add_argument("--collection", help="drive every mesh with shape keys in this collection")
    faces.add_argument(
        "--armature",
        help="drive every mesh this armature carries or deforms, and its face bones found by name (head, neck, jaw, "
        "eyes) unless --head / --jaw / --eyes say otherwise",
    )
    p.add_argument("--head", help="head target: OBJECT or ARMATURE:BONE")
    p.add_argument("--neck", help="a neck bone of the head's armature that takes part of the head rotation")
    p.add_argument("--jaw", help="jaw target opened by the jaw channels: OBJECT or ARMATURE:BONE")
    p.add_argument("--eyes", nargs=2, metavar=("LEFT", "RIGHT"), help="eye targets: OBJECT or ARMATURE:BONE each")
    p.add_argument(
        "--swap-left-right",
        action=argparse.BooleanOptionalAction,
        help="the rig is mirrored (default: the rig's saved Swap Left/Right)",
    )
    p.add_argument("--key-tolerance", type=float, default=0.0, help="key reduction tolerance (0 = every frame)")
    p.add_argument("--set-scene-timing", action="store_true", help="set scene fps and range from the first take")
    p.add_argument("--overwrite", action="store_true", help="replace -o even if this tool did not write it")
    return p.parse_args(argv)


def collect_takes(items: list[str], unfinished: list[Path] | None = None) -> list[Path]:
    """Expand folders into their ``.npz`` / ``.csv`` files (sorted; hidden files skipped: a writer's temporary
    ``.<stem>.<pid>.<random>.tmp.npz``, macOS's ``._`` files); keep files as given (even missing ones, so they are
    reported); each file once (overlapping folders and globs). A track still running or killed leaves
    ``<take>.part.npz`` / ``<take>.npz.partial/``: not takes, appended to ``unfinished`` to be said.
    """
    from .pure.takes import TAKE_EXTENSIONS

    unfinished = [] if unfinished is None else unfinished
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.name.endswith(".npz.partial") and p.is_dir():  # named: a kept ``.part.npz`` is a take (panel's advice)
            unfinished.append(p)
        elif p.is_dir():
            for f in sorted(p.iterdir()):
                if f.name.endswith(_UNFINISHED):
                    unfinished.append(f)
                elif not f.name.startswith(".") and f.suffix.lower() in TAKE_EXTENSIONS:
                    out.append(f)
        else:
            out.append(p)
    seen: set[Path] = set()
    unique = []
    for f in out:
        key = f.resolve() if f.exists() else f
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def _split_target(spec: str | None) -> tuple[str, str]:
    if not spec:
        return "", ""
    obj, _, bone = spec.partition(":")
    return obj, bone


def _meshes(bpy, args, saved) -> list[str]:
    """The face's meshes: --mesh, --collection, --armature; else, with --head / --jaw / --eyes on an armature, the
    meshes it carries or deforms (that character only, never every face in the file: a second instance's); else the
    panel's saved target, else every mesh with keys.
    """
    from .blender import targets

    if args.mesh:
        return list(args.mesh)
    given = [spec for spec in (args.head, args.jaw, *(args.eyes or ())) if spec]
    owners = [bpy.data.objects.get(_split_target(spec)[0]) for spec in given]
    rigs = list(dict.fromkeys(o for o in owners if o is not None and o.type == "ARMATURE"))
    if rigs and not (args.collection or args.armature):
        return list(dict.fromkeys(m.name for rig in rigs for m in targets.armature_meshes(rig)))
    if args.collection:
        coll = bpy.data.collections.get(args.collection)
        if coll is None:
            raise ValueError(f"no collection '{args.collection}' in the file")
        return [o.name for o in targets.collection_meshes(coll)]
    if args.armature:
        return [o.name for o in targets.armature_meshes(bpy.data.objects[args.armature])]
    if saved.all_meshes():
        return list(saved.all_meshes())
    return [o.name for o in targets.scene_meshes(bpy.context.scene)]


def _armature_targets(bpy, name: str) -> object:
    """Head, neck, jaw and eye targets from an armature's bone names."""
    from .blender.bake import BakeTargets
    from .blender.targets import face_bones_of

    arm = bpy.data.objects.get(name)
    if arm is None or arm.type != "ARMATURE":
        raise ValueError(f"no armature '{name}' in the file")
    bones = face_bones_of(arm)
    eyes = bool(bones.eye_left and bones.eye_right)
    return BakeTargets(
        head_object=arm.name if bones.head else "",
        head_bone=bones.head,
        neck_bone=bones.neck,
        jaw_object=arm.name if bones.jaw else "",
        jaw_bone=bones.jaw,
        eye_objects=(arm.name, arm.name) if eyes else ("", ""),
        eye_bones=(bones.eye_left, bones.eye_right) if eyes else ("", ""),
    )


def _targets(bpy, args, demo) -> object:
    from .blender.bake import BakeTargets
    from .ui.properties import to_bake_targets

    if demo is not None:
        return BakeTargets(
            mesh=demo.mesh,
            head_object=demo.armature,
            head_bone=demo.head_bone,
            eye_objects=(demo.armature, demo.armature),
            eye_bones=demo.eye_bones,
        )
    panel = getattr(bpy.context.scene, "facemocap", None)
    saved = to_bake_targets(panel) if panel is not None else BakeTargets()
    base = _armature_targets(bpy, args.armature) if args.armature else saved
    meshes = _meshes(bpy, args, saved)
    head_obj, head_bone = _split_target(args.head) if args.head else (base.head_object, base.head_bone)
    neck_bone = args.neck if args.neck is not None else (base.neck_bone if base.head_object and not args.head else "")
    jaw_obj, jaw_bone = _split_target(args.jaw) if args.jaw else (base.jaw_object, base.jaw_bone)
    if args.eyes:
        (lo, lb), (ro, rb) = _split_target(args.eyes[0]), _split_target(args.eyes[1])
        eye_objects, eye_bones = (lo, ro), (lb, rb)
    else:
        eye_objects, eye_bones = base.eye_objects, base.eye_bones
    return dataclasses.replace(
        base,
        mesh=meshes[0] if meshes else "",
        meshes=tuple(meshes[1:]),
        head_object=head_obj,
        head_bone=head_bone,
        neck_bone=neck_bone,
        jaw_object=jaw_obj,
        jaw_bone=jaw_bone,
        eye_objects=eye_objects,
        eye_bones=eye_bones,
    )


def _mapping(bpy, args, demo) -> tuple[object, bool]:
    """The mapping (a preset, a file, AUTO or the panel editor's ``rigs.Mapping``) and Swap Left/Right: as given,
    else as the rig's panel saved them (as its Bake would use them), else AUTO and no swap.

    Raises:
        UserError: the saved choice cannot be used (Custom File with no file, an invalid edited mapping).
    """
    from .pure.retarget import AUTO
    from .ui.properties import to_bake_options

    panel = getattr(bpy.context.scene, "facemocap", None) if demo is None else None
    mapping = args.mapping or (to_bake_options(panel).mapping if panel is not None else AUTO)
    swap = args.swap_left_right if args.swap_left_right is not None else panel is not None and panel.swap_left_right
    return mapping, swap


def _farm_made(blend: Path, takes: list[str], takes_record) -> bool:
    """True if the record of a takes folder holding the takes holds this .blend: the farm made it, on whatever
    machine.
    """
    folders = {Path(t).resolve().parent for t in takes if Path(t).is_file()}
    return any(takes_record.TakesRecord.read(folder).blend_is_ours(blend.name, blend) for folder in folders)


def _panel_paths_absolute(bpy) -> None:
    """Make the panel's paths relative to the rig (``//hero.toml``, ``//takes/``) absolute before the bake is saved
    elsewhere: Blender's relative-path remapping on save knows its own data's paths (images, libraries), not an
    add-on's settings, so a farm-made shot's Mapping File named a file beside the shot.
    """
    for scene in bpy.data.scenes:
        s = getattr(scene, "facemocap", None)
        if s is None:
            continue
        for prop in s.bl_rna.properties:
            if getattr(prop, "subtype", "") in ("FILE_PATH", "DIR_PATH") and str(
                getattr(s, prop.identifier)
            ).startswith("//"):
                setattr(s, prop.identifier, bpy.path.abspath(getattr(s, prop.identifier)))


@contextlib.contextmanager
def _quiet_stdout():
    """Standard output silenced at the file descriptor for the block (Blender prints from C); errors still raise."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def main(argv: list[str] | None = None) -> int:
    """Run the batch; returns the exit status (see the module docstring)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl-C: the output, if any, was not replaced (it is written atomically at the end)
        print("batch: interrupted; nothing saved", file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED


def _main(argv: list[str] | None) -> int:
    if argv is None:
        argv = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else sys.argv[1:]
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage
        return EXIT_USAGE if exc.code else EXIT_OK
    if not args.takes and not args.demo_rig:
        print("batch: give --takes (or --demo-rig alone to save just the demo rig)", file=sys.stderr)
        return EXIT_USAGE

    from ._contract import atomic_write, errors, output_guard, takes_record, writer_lock

    def err(msg: str) -> None:
        print(f"batch: {msg}", file=sys.stderr, flush=True)

    room = atomic_write.MAX_NAME_BYTES - atomic_write.NAME_OVERHEAD - 1  # Blender saves through "<temporary>@"
    if len(Path(args.output).name.encode("utf-8", "surrogateescape")) > room:
        err(f"-o {Path(args.output).name}: the name is too long; a .blend is saved through a temporary file whose "
            f"name is {atomic_write.NAME_OVERHEAD + 1} bytes longer, so it may have at most {room} bytes")  # fmt: skip
        return EXIT_USAGE
    try:
        Path(args.output).resolve().parent.mkdir(parents=True, exist_ok=True)
        out = output_guard.check_output(
            args.output, overwrite=args.overwrite, is_own=lambda p: _farm_made(p, args.takes, takes_record),
            what=".blend", suffixes=(".blend",),
        )  # fmt: skip
    except (errors.UserError, OSError) as exc:
        err(str(exc))
        return EXIT_USAGE
    with contextlib.ExitStack() as held:
        try:  # two batches into one -o: the second waits, then refuses (each said "saved", one's takes were gone)
            held.enter_context(writer_lock.writer_lock(out, writer_lock.WRITER_WAIT_S, writer="batch"))
        except errors.UserError as exc:  # a farm's retry waits out a killed worker's batch (gone within 10 s)
            err(str(exc))
            return EXIT_NOTHING_BAKED
        return _bake_and_save(args, out, err)


def _bake_and_save(args, out: Path, err) -> int:
    """Open the rig, bake every take, save ``out`` (the caller holds its writer lock)."""
    import bpy

    from . import register
    from ._contract import atomic_write, errors
    from .blender.bake import BakeOptions, bake_take
    from .blender.rig_build import build_demo_rig
    from .blender.target_check import check_targets
    from .pure.retarget import AUTO, load_mapping_choice
    from .pure.takes import open_take

    if args.rig:
        if not Path(args.rig).is_file():
            err(f"rig file not found: {args.rig}")
            return EXIT_USAGE
        try:
            bpy.ops.wm.open_mainfile(filepath=str(Path(args.rig).resolve()))
        except RuntimeError as exc:  # not a .blend, or one this Blender cannot read
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unreadable"
            try:
                with open(args.rig, "rb") as f:
                    head = f.read(7)
            except OSError:
                head = b""
            newer = ""
            if head == b"BLENDER" or head[:4] == b"\x28\xb5\x2f\xfd":  # a .blend (plain or zstd): perhaps a newer one
                newer = (f" (a .blend saved by a Blender newer than this one, {bpy.app.version_string}, cannot be "
                         "read: bake it with that Blender's bpy)")  # fmt: skip
            err(f"cannot open --rig {args.rig}: {reason}{newer}")
            return EXIT_USAGE
    elif args.demo_rig:
        bpy.ops.wm.read_factory_settings(use_empty=True)
    register()  # after loading: scene.facemocap (saved panel settings) becomes readable
    demo = None
    if args.demo_rig:
        try:
            demo = build_demo_rig(bpy.context.scene, head_path=args.demo_head)
        except errors.UserError as exc:
            err(str(exc))
            return EXIT_USAGE
    try:
        targets = _targets(bpy, args, demo)
    except (ValueError, errors.UserError) as exc:
        err(str(exc))
        return EXIT_USAGE
    rig_name = Path(bpy.data.filepath).name if bpy.data.filepath else "the demo rig"
    try:  # an argument error: said once, before any take is read
        check_targets(targets)
    except errors.UserError as exc:
        err(f"{rig_name}: {exc}")
        return EXIT_USAGE
    try:
        mapping, swap = _mapping(bpy, args, demo)
    except errors.UserError as exc:
        err(f"{rig_name}'s saved Mapping: {exc} (or give --mapping)")
        return EXIT_USAGE
    if isinstance(mapping, str) and mapping != AUTO:  # an argument error too: said once, not once per take
        try:
            load_mapping_choice(mapping)
        except errors.UserError as exc:
            err(f"--mapping {mapping}: {exc}" if args.mapping else f"{rig_name}'s saved Mapping: {exc}")
            return EXIT_USAGE
    options = BakeOptions(
        mapping=mapping,
        swap_left_right=swap,
        key_tolerance=args.key_tolerance,
        set_scene_timing=False,
    )
    scene = bpy.context.scene
    baked, failed, reasons = [], [], []  # reasons: one line per failed take, for the last line a farm task shows
    unfinished: list[Path] = []
    takes = collect_takes(args.takes, unfinished)
    for path in unfinished:
        err(f"not a take yet: {path} (a track still running or stopped; `python -m engine info` says which)")
    if args.takes and not takes:
        err(f"no takes (.npz, .csv) in {', '.join(args.takes)}; {args.output} not written")
        return EXIT_NOTHING_BAKED
    for path in takes:
        try:
            if not path.exists():
                raise errors.InputError(f"{path} not found")
            take = open_take(path)
            opts = options
            if args.set_scene_timing and not baked:
                opts = BakeOptions(**{**options.__dict__, "set_scene_timing": True})
            result = bake_take(scene, take, targets, options=opts)
        except (errors.UserError, OSError) as exc:
            err(f"skipped {path}: {exc}")
            failed.append(str(path))
            reasons.append(f"{path.name}: {exc}")
            continue
        except Exception as exc:  # whatever a crafted file holds, one bad take never costs the others
            err(f"skipped {path}: unexpected {type(exc).__name__} while reading or baking it ({exc}); please report it")
            failed.append(str(path))
            reasons.append(f"{path.name}: unexpected {type(exc).__name__} ({exc})")
            continue
        baked.append(take.name)
        summary = f"{result.keys} keys; {result.summary}" if result.summary else f"{result.keys} keys"
        print(f"batch: baked {path.name} -> {', '.join(result.actions)} ({summary})", flush=True)
        for line in result.report:
            print(f"batch:   {line}", flush=True)
        for w in result.warnings:
            print(f"batch: warning: {path.name}: {w}", flush=True)
    if not baked and args.takes:
        err(f"nothing baked ({len(failed)} take(s) failed; the first: {reasons[0]}); {args.output} not written")
        return EXIT_NOTHING_BAKED
    _panel_paths_absolute(bpy)  # the .blend is saved elsewhere: "//hero.toml" would name a file beside it
    try:
        with atomic_write.atomic_write(out) as tmp:
            tmp.unlink()  # Blender keeps a .blend1 backup of a file it saves over
            with _quiet_stdout():  # Blender's own 'Info: Saved as ".<name>.<pid>.<random>.tmp.blend"': not ours
                bpy.ops.wm.save_as_mainfile(filepath=str(tmp), relative_remap=True)
            if not tmp.is_file():
                raise OSError(f"Blender did not save {out.name}")
    except (errors.UserError, OSError, RuntimeError) as exc:
        err(f"could not save {out}: {exc}; {len(baked)} baked take(s) not saved")
        return EXIT_NOTHING_BAKED
    print(f"batch: saved {out} ({len(baked)} baked, {len(failed)} skipped)", flush=True)
    for path in failed:
        err(f"not baked: {path}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
