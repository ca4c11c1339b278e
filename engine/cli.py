"""The engine's command line: ``python -m engine {track,batch,info,export-csv,import-csv,build-model,contact-sheet}``.

Expected failures (missing file, unreadable video, no face, bad take, a full disk) end with one line on stderr (and
a ``{"error": ...}`` line with ``--progress jsonl``) and exit status 1, never a traceback. Every output is checked
before any work (:mod:`engine.contract.output_guard`): its folder must exist and accept files, and an existing file
that the tool did not write is left untouched unless ``--overwrite`` is given.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import tempfile
from pathlib import Path

from .contract.version import project_version
from .errors import InputError, UserError

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".gif")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def _track_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", default="mediapipe", choices=("mediapipe", "fan"), help="landmark detector")
    p.add_argument("--identity", metavar="TAKE.npz", help="reuse the actor identity stored in an earlier take")
    p.add_argument("--start", type=float, metavar="SECONDS", help="first time to track")
    p.add_argument("--end", type=float, metavar="SECONDS", help="time to stop tracking at")
    p.add_argument("--no-filter", action="store_true", help="store unfiltered streams as the filtered ones too")
    p.add_argument("--progress", choices=("bar", "jsonl", "none"), default="bar", help="progress output")
    p.add_argument(
        "--chunk-frames",
        type=int,
        default=900,
        metavar="N",
        help="frames fitted and written per block of a long clip (a crash keeps every finished block)",
    )
    p.add_argument(
        "--identity-frames",
        type=int,
        default=1800,
        metavar="N",
        help="frames the actor is fitted on, spread over a long clip (more: a steadier actor, more memory)",
    )
    _overwrite_option(p)


def _overwrite_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--overwrite", action="store_true", help="replace existing output files even if this tool did not write them"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and tests)."""
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"engine {project_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("track", help="track a video, image sequence or image into a take (.npz)")
    p.add_argument("input", nargs="?", help="video file, image folder, glob ('shots/*.png') or image")
    p.add_argument("-o", "--output", required=True, help="take file to write (.npz)")
    p.add_argument("--sample", action="store_true", help="track the built-in sample portrait instead of INPUT")
    p.add_argument("--preview", metavar="OUT.mp4|OUT.png", help="also write landmarks and fitted mesh over the input")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the unfinished take OUTPUT.partial of a killed or interrupted run",
    )
    _track_options(p)

    p = sub.add_parser("batch", help="track every clip in a folder into OUTDIR/<clip>.npz")
    p.add_argument("folder", help="folder of videos, images, or image-sequence subfolders")
    p.add_argument("-o", "--output", required=True, help="folder for the takes")
    _track_options(p)

    p = sub.add_parser("info", help="validate a take and print a summary (exit 1 if invalid)")
    p.add_argument("take")

    p = sub.add_parser("export-csv", help="write a take as Live Link Face CSV (ARKit-52 columns)")
    p.add_argument("take")
    p.add_argument("csv")
    _overwrite_option(p)

    p = sub.add_parser("import-csv", help="read a Live Link Face CSV into a take")
    p.add_argument("csv")
    p.add_argument("take")
    p.add_argument("--fps", type=float, help="the CSV's frame rate (default: guessed from its timecodes)")
    _overwrite_option(p)

    p = sub.add_parser("build-model", help="rebuild the engine's face model file from scratch")
    p.add_argument("-o", "--output", help="model file (default: engine/data/face_model.npz)")

    p = sub.add_parser("contact-sheet", help="render the face model's 46 expression shapes into one PNG")
    p.add_argument("output")
    return parser


def _track_config(args: argparse.Namespace):
    from .temporal import StreamFilterConfig
    from .track import TrackConfig

    cfg = TrackConfig(backend=args.backend, start=args.start, end=args.end)
    if args.no_filter:
        cfg = dataclasses.replace(cfg, filter=StreamFilterConfig(enabled=False))
    return cfg


def _load_identity(args: argparse.Namespace, model):
    if not args.identity:
        return None
    from .identity_file import load_identity

    return load_identity(args.identity, model)


def _streaming_config(args: argparse.Namespace):
    from .track_job import StreamingConfig

    if args.chunk_frames < 1 or args.identity_frames < 1:
        raise InputError("--chunk-frames and --identity-frames must be at least 1")
    n = args.chunk_frames
    return StreamingConfig(chunk_frames=n, identity_sample_frames=args.identity_frames, spool_block_frames=min(256, n))


def _cmd_track(args: argparse.Namespace, reporter) -> int:
    from .contract.partial_take import partial_folder
    from .contract.take_io import load_take
    from .face_model.model import load_face_model
    from .preview import check_preview_output, write_preview
    from .track_job import track_to_file

    if not args.sample and not args.input:
        raise InputError("track needs an INPUT (a video, image folder, glob or image) or --sample")
    output = check_take_output(Path(args.output), overwrite=args.overwrite)
    preview = check_preview_output(args.preview, overwrite=args.overwrite) if args.preview else None
    streaming = _streaming_config(args)
    model = load_face_model()
    identity = _load_identity(args, model)
    if partial_folder(output).exists() and not args.resume:
        print(
            f"notice: the unfinished take {partial_folder(output).name} is replaced (--resume continues one)",
            file=sys.stderr,
        )
    with tempfile.TemporaryDirectory() as tmp:
        source = _write_sample(Path(tmp)) if args.sample else args.input
        cfg = _track_config(args)
        summary = track_to_file(
            source,
            output,
            cfg,
            streaming=streaming,
            reporter=reporter,
            identity=identity,
            model=model,
            resume=args.resume,
        )
        _print_notices(summary.meta)
        if preview is not None:
            write_preview(source, load_take(output), model, preview, start=cfg.start, end=cfg.end)
    reporter.done(str(output), summary.num_frames)
    if args.progress == "bar":
        print(f"wrote {args.output} ({summary.num_frames} frames)" + (f" and {args.preview}" if args.preview else ""))
    return EXIT_OK


def _print_notices(meta: dict) -> None:
    """What the user should know about a take that was written (a truncated video, a turned face)."""
    for notice in meta.get("notices", []):
        print(f"notice: {notice}", file=sys.stderr)


def check_take_output(path: Path, *, overwrite: bool = False) -> Path:
    """Check a take's output path before any work (an artist's file is never overwritten); returns it resolved.

    An existing take (re-tracking) may be replaced; any other existing file only with ``overwrite``.
    """
    from .contract.output_guard import check_output
    from .contract.take_io import TAKE_SUFFIX, is_take_file

    return check_output(path, overwrite=overwrite, is_own=is_take_file, what="take", suffixes=(TAKE_SUFFIX,))


def _write_sample(folder: Path) -> str:
    """The built-in sample: scikit-image's public-domain astronaut portrait (NASA), as a PNG."""
    import cv2
    import skimage.data

    path = folder / "sample_astronaut.png"
    cv2.imwrite(str(path), skimage.data.astronaut()[:, :, ::-1])
    return str(path)


def clips_in_folder(folder: Path) -> tuple[list[Path], list[Path]]:
    """The clips of a batch folder, and the files that are not clips.

    Clips are video files, images (by suffix or by content, so a misnamed file is not skipped) and subfolders
    holding images (sequences). Hidden files are ignored.
    """
    from .media_sniff import sniff_media

    if not folder.is_dir():
        raise InputError(f"batch: not a folder: {folder}")
    clips, skipped = [], []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_file():
            known = path.suffix.lower() in VIDEO_SUFFIXES + IMAGE_SUFFIXES
            (clips if known or sniff_media(path) is not None else skipped).append(path)
        elif path.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir()):
            clips.append(path)
    if not clips:
        raise InputError(f"batch: no videos, images or image folders in {folder}")
    return clips, skipped


def take_names(clips: list[Path]) -> dict[Path, str]:
    """The take file name of each clip: ``<stem>.npz``, or ``<stem>_<suffix>.npz`` where stems collide.

    Example:
        >>> take_names([Path("a.mp4"), Path("a.png"), Path("b.mov")])
        {PosixPath('a.mp4'): 'a_mp4.npz', PosixPath('a.png'): 'a_png.npz', PosixPath('b.mov'): 'b.npz'}
    """
    stems: dict[str, int] = {}
    for clip in clips:
        stems[clip.stem.lower()] = stems.get(clip.stem.lower(), 0) + 1
    names = {}
    for clip in clips:
        unique = stems[clip.stem.lower()] == 1
        names[clip] = f"{clip.stem}.npz" if unique else f"{clip.stem}_{clip.suffix.lstrip('.').lower() or 'folder'}.npz"
    if len({n.lower() for n in names.values()}) != len(names):
        raise InputError("batch: clips whose names differ only in case or suffix cannot be told apart; rename them")
    return names


def _cmd_batch(args: argparse.Namespace, make_reporter) -> int:
    from .face_model.model import load_face_model
    from .track_job import track_to_file

    clips, skipped = clips_in_folder(Path(args.folder))
    for path in skipped:
        print(f"batch: skipped {path.name}: not a video, an image or an image folder", file=sys.stderr)
    out_dir = Path(args.output)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"batch: cannot make the output folder {out_dir}: {err.strerror}") from None
    names = take_names(clips)
    for clip, name in names.items():
        if name != f"{clip.stem}.npz":
            print(f"batch: notice: {clip.name} and another clip share a name; its take is {name}", file=sys.stderr)
    outputs = {clip: check_take_output(out_dir / names[clip], overwrite=args.overwrite) for clip in clips}
    streaming = _streaming_config(args)
    model = load_face_model()
    identity = _load_identity(args, model)
    cfg = _track_config(args)
    failed = []
    for i, clip in enumerate(clips, 1):
        out = outputs[clip]
        reporter = make_reporter(args.progress)
        if args.progress == "bar":
            print(f"[{i}/{len(clips)}] {clip.name}", file=sys.stderr)
        try:
            summary = track_to_file(
                clip, out, cfg, streaming=streaming, reporter=reporter, identity=identity, model=model
            )
            _print_notices(summary.meta)
            reporter.done(str(out), summary.num_frames)
        except UserError as err:
            failed.append(clip.name)
            reporter.error(f"{clip.name}: {err}")
            if args.progress == "none":
                print(f"batch: {clip.name}: {err}", file=sys.stderr)
    done = len(clips) - len(failed)
    print(
        f"batch: {done}/{len(clips)} clips tracked into {out_dir}"
        + (f"; failed: {', '.join(failed)}" if failed else ""),
        file=sys.stderr,
    )
    return EXIT_OK if not failed else EXIT_FAILED


def _cmd_info(args: argparse.Namespace) -> int:
    from .contract.partial_take import PARTIAL_SUFFIX, PartialTake, load_partial_take, partial_folder
    from .contract.take_io import load_take
    from .take_summary import summarize_take

    path = Path(args.take)
    folder = path if path.is_dir() and path.name.endswith(PARTIAL_SUFFIX) else partial_folder(path)
    if folder.is_dir() and (folder == path or not path.exists()):
        partial = PartialTake.inspect(folder)
        if partial.rows("take") == 0:
            print(
                f"PARTIAL take (an unfinished run): {partial.rows('landmarks')} frames detected, none fitted yet; "
                f"continue it with 'track --resume -o {folder.name.removesuffix(PARTIAL_SUFFIX)}'"
            )
            return EXIT_OK
        take = load_partial_take(folder, landmarks=False)
    else:
        take = load_take(path, landmarks=False)
    if "partial" in take.meta:
        print(
            f"PARTIAL take (an unfinished run: {take.num_frames} frames finished; continue it with "
            f"'track --resume -o {path.name.removesuffix(PARTIAL_SUFFIX)}')"
        )
    print(summarize_take(take))
    return EXIT_OK


def _cmd_export_csv(args: argparse.Namespace) -> int:
    from .contract.livelink_csv import take_to_livelink_csv
    from .contract.output_guard import check_output
    from .contract.take_io import load_take

    csv_path = check_output(Path(args.csv), overwrite=args.overwrite, what="CSV", suffixes=(".csv",))
    if csv_path == Path(args.take).resolve():
        raise InputError("export-csv: the CSV would replace the take it is made from; choose another name")
    take = load_take(args.take, landmarks=False)
    take_to_livelink_csv(take, csv_path)
    print(f"wrote {args.csv} ({take.num_frames} frames)")
    return EXIT_OK


def _cmd_import_csv(args: argparse.Namespace) -> int:
    from .contract.livelink_csv import livelink_csv_to_take
    from .contract.take_io import save_take

    out = check_take_output(Path(args.take), overwrite=args.overwrite)
    if out == Path(args.csv).resolve():
        raise InputError("import-csv: the take would replace the CSV it is made from; choose another name")
    take = livelink_csv_to_take(args.csv, fps=args.fps)
    save_take(out, take)
    print(f"wrote {args.take} ({take.num_frames} frames)")
    return EXIT_OK


def _cmd_build_model(args: argparse.Namespace) -> int:
    from .face_model.build import build_face_model
    from .face_model.model import DEFAULT_MODEL_PATH

    out = Path(args.output) if args.output else DEFAULT_MODEL_PATH
    model = build_face_model(out)
    print(f"wrote {out}: {model.num_points} points, {model.num_identity} identity modes, 46 expression shapes")
    return EXIT_OK


def _cmd_contact_sheet(args: argparse.Namespace) -> int:
    from .face_model.contact_sheet import contact_sheet
    from .face_model.model import load_face_model

    print(f"wrote {contact_sheet(load_face_model(), args.output)}")
    return EXIT_OK


def _error_message(err: BaseException) -> str:
    """One line for an expected failure: a user error's message, or what the file system / memory said."""
    if isinstance(err, UserError):
        return str(err)
    if isinstance(err, MemoryError):
        return "out of memory (try a shorter --start/--end range)"
    name = f" {err.filename}" if getattr(err, "filename", None) else ""
    return f"cannot read or write{name}: {err.strerror or err}"  # OSError: a full disk, a vanished folder, ...


def _kept_partial(args: argparse.Namespace) -> str:
    from .contract.partial_take import partial_folder

    if args.command != "track" or not partial_folder(args.output).is_dir():
        return ""
    return f"; the finished part is kept in {partial_folder(args.output).name}: continue with 'track --resume'"


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from .progress import make_reporter

    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)  # a cancelled add-on job: unwind and clean up like Ctrl-C
    progress = getattr(args, "progress", "none")
    reporter = make_reporter(progress)
    try:
        if args.command == "track":
            return _cmd_track(args, reporter)
        if args.command == "batch":
            return _cmd_batch(args, make_reporter)
        return {
            "info": _cmd_info,
            "export-csv": _cmd_export_csv,
            "import-csv": _cmd_import_csv,
            "build-model": _cmd_build_model,
            "contact-sheet": _cmd_contact_sheet,
        }[args.command](args)
    except (UserError, OSError, MemoryError) as err:
        message = _error_message(err)
        reporter.error(message)  # the bar and jsonl reporters print it themselves
        if progress == "none":
            print(f"error: {message}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        reporter.error("interrupted" + _kept_partial(args))
        if progress == "none":
            print("interrupted" + _kept_partial(args), file=sys.stderr)
        return EXIT_INTERRUPTED
