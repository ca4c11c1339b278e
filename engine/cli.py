"""The engine's command line: ``python -m engine COMMAND`` (track, batch, serve, farm, info, export-csv, import-csv,
build-model, contact-sheet).

Expected failures (missing file, unreadable video, no face, bad take, a full disk) end with one line on stderr (and
a ``{"error": ...}`` line with ``--progress jsonl``) and exit status 1, never a traceback. Every output is checked
before any work (:mod:`engine.contract.output_guard`): its folder must exist and accept files, and an existing file
that the tool did not write is left untouched unless ``--overwrite`` is given.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import signal
import sys
import tempfile
from pathlib import Path

from .contract.version import project_version
from .errors import InputError, UserError

__all__ = ["build_parser", "main", "run_track", "run_track_argv"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _track_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend", default="mediapipe", choices=("mediapipe", "fan"), help="landmark detector (default: %(default)s)"
    )
    p.add_argument("--identity", metavar="TAKE.npz", help="reuse the actor identity stored in an earlier take")
    p.add_argument(
        "--neutral",
        metavar="SECONDS|PHOTO",
        help="the actor at rest: a time in the clip (seconds) or a photo; expressions are measured from it",
    )
    p.add_argument("--start", type=float, metavar="SECONDS", help="first time to track")
    p.add_argument("--end", type=float, metavar="SECONDS", help="time to stop tracking at")
    p.add_argument(
        "--fps",
        type=float,
        metavar="RATE",
        help="frame rate of an image sequence (default 30), or of a video whose file gives none",
    )
    p.add_argument("--no-filter", action="store_true", help="store unfiltered streams as the filtered ones too")
    p.add_argument(
        "--progress", choices=("bar", "jsonl", "none"), default="bar", help="progress output (default: %(default)s)"
    )
    p.add_argument(
        "--chunk-frames",
        type=int,
        default=900,
        metavar="N",
        help="frames fitted and written per block of a long clip (a crash keeps every finished block; default: "
        "%(default)s)",
    )
    p.add_argument(
        "--identity-frames",
        type=int,
        default=1800,
        metavar="N",
        help="frames the actor is fitted on, spread over a long clip (more: a steadier actor, more memory; default: "
        "%(default)s)",
    )
    p.add_argument(
        "--parts",
        type=int,
        metavar="N",
        help="landmark graphs run at once, each on a consecutive part of a long clip (default: one per core, at most "
        "4; 1 where a farm runs one take per core)",
    )
    _overwrite_option(p)


TRACKING_MODULES = ("numpy", "cv2", "mediapipe", "scipy", "skimage")  # what a track imports (the engine's set-up)
FFMPEG_LOG_FATAL = 8  # AV_LOG_FATAL: the level OpenCV's FFmpeg logs at (OPENCV_FFMPEG_LOGLEVEL)


class _VersionAction(argparse.Action):
    """``--version``: the version, once this Python is found to hold what tracking imports (the add-on's Check
    Engine runs it: a pass must mean that Track can run), else one line naming what is missing and exit 1.
    """

    def __call__(self, parser, namespace, values, option_string=None):
        import importlib.util

        missing = [m for m in TRACKING_MODULES if importlib.util.find_spec(m) is None]
        if missing:
            lacking = ", ".join(missing)
            print(f"error: this Python ({sys.executable}) lacks what tracking needs: {lacking}; set up the "
                  "engine's environment (bash .ci/setup) and use its .venv/bin/python", file=sys.stderr)  # fmt: skip
            parser.exit(EXIT_FAILED)
        print(f"engine {project_version()}")  # on stdout, as argparse's version action prints it
        parser.exit(0)


def _overwrite_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--overwrite", action="store_true", help="replace existing output files even if this tool did not write them"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and tests)."""
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="print the version (after checking that "
                        "this Python has what tracking needs) and exit")  # fmt: skip
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

    p = sub.add_parser("batch", help="track clips (or every clip in folders) into OUTDIR/<clip>.npz, in one process")
    inputs_help = "clips, or folders of videos, images or image-sequence subfolders"
    p.add_argument("inputs", nargs="+", metavar="CLIP_OR_FOLDER", help=inputs_help)
    p.add_argument("-o", "--output", required=True, help="folder for the takes")
    p.add_argument(
        "--resume",
        action="store_true",
        help="after an interrupted batch: keep the takes already tracked from these clips (as they are now), "
        "continue the unfinished one, track the rest",
    )
    _track_options(p)

    from .farm.cli import add_farm_parser  # here, not at the top: the farm package imports this module

    add_farm_parser(sub)

    p = sub.add_parser("info", help="validate a take and print a summary (exit 1 if invalid)")
    p.add_argument("take")

    p = sub.add_parser("export-csv", help="write a take as Live Link Face CSV (ARKit-52 columns)")
    p.add_argument("take")
    p.add_argument("csv")
    _overwrite_option(p)

    p = sub.add_parser("import-csv", help="read a Live Link Face CSV into a take")
    p.add_argument("csv")
    p.add_argument("take")
    p.add_argument(
        "--fps",
        type=float,
        metavar="RATE",
        help="the rate its timecodes count frames at (the FF of HH:MM:SS:FF; default: guessed from them). Not the "
        "recording's frame rate: Live Link Face counts 30 even when it records 60 rows a second",
    )
    _overwrite_option(p)

    p = sub.add_parser("build-model", help="rebuild the engine's face model files from ICT-FaceKit's scans")
    p.add_argument("--ict", required=True, metavar="DIR", help="ICT-FaceKit's folder (../shared/data/ict-facekit)")
    p.add_argument("-o", "--output", help="model file (default: engine/data/face_model.npz; the rest beside it)")
    p.add_argument("--renders", type=int, help="renders the landmark correspondence is learned from (default 240)")
    _overwrite_option(p)

    p = sub.add_parser("contact-sheet", help="render the 46 expressions on the scanned demo head into one PNG")
    p.add_argument("output", metavar="OUT.png|OUT.jpg")
    p.add_argument("--motion", action="store_true", help="tint the skin by how far each expression moves it")
    _overwrite_option(p)

    sub.add_parser(
        "serve",
        help="a warm engine: track requests read as JSON lines on stdin, one after another (the add-on's engine)",
        description="Read requests (engine/contract/engine_requests.py) on stdin, one JSON object per line; write "
        "progress events with each request's id on stdout (engine/contract/progress_events.py).",
    )
    return parser


def _track_config(args: argparse.Namespace):
    from .landmark_parts import LandmarkPartsConfig
    from .temporal import StreamFilterConfig
    from .track_config import TrackConfig

    if args.parts is not None and args.parts < 1:
        raise InputError("--parts must be at least 1")
    if args.fps is not None and not (math.isfinite(args.fps) and args.fps > 0):
        raise InputError(f"--fps must be a positive number of frames per second, got {args.fps:g}")
    parts = LandmarkPartsConfig(parts=args.parts)
    cfg = TrackConfig(backend=args.backend, start=args.start, end=args.end, fps=args.fps, parts=parts)
    if args.no_filter:
        cfg = dataclasses.replace(cfg, filter=StreamFilterConfig(enabled=False))
    return cfg


def _load_identity(args: argparse.Namespace, model):
    if not args.identity:
        return None
    from .identity_file import load_identity

    return load_identity(args.identity, model)


def _neutral(args: argparse.Namespace):
    if args.neutral is None:
        return None
    from .neutral_frame import NeutralFrame

    return NeutralFrame.parse(args.neutral)


def _streaming_config(args: argparse.Namespace):
    from .track_job import StreamingConfig

    if args.chunk_frames < 1 or args.identity_frames < 1:
        raise InputError("--chunk-frames and --identity-frames must be at least 1")
    n = args.chunk_frames
    return StreamingConfig(chunk_frames=n, identity_sample_frames=args.identity_frames, spool_block_frames=min(256, n))


def _cmd_track(args: argparse.Namespace, reporter) -> int:
    from .engine_session import EngineSession

    with EngineSession() as session:
        return run_track(args, reporter, session)


def run_track_argv(argv: list[str], reporter, session) -> int:
    """``python -m engine`` ``argv`` (a ``track`` command line) in this process and ``session``, reporting to
    ``reporter``: how the served engine runs its track requests (:mod:`engine.serve`). SystemExit where the parser
    refuses the arguments (it says why on stderr).
    """
    return run_track(build_parser().parse_args(argv), reporter, session)


def _resumed_input(output: Path) -> str:
    """The input an unfinished take ``output`` was started on (its partial folder records it)."""
    from .contract.partial_take import PartialTake, partial_folder

    folder = partial_folder(output)
    if not folder.is_dir():
        raise InputError(f"--resume: there is no partial take {folder.name} to continue; track without --resume")
    recorded = PartialTake.inspect(folder).job.get("input")
    if not recorded:
        raise InputError(f"--resume: {folder.name} does not record its input: give it (track INPUT -o ... --resume)")
    return str(recorded)


def run_track(args: argparse.Namespace, reporter, session) -> int:
    """The ``track`` command with parsed ``args``, in ``session`` (an :class:`~engine.engine_session.EngineSession`)."""
    from .clip_files import check_take_output
    from .contract.take_io import load_take
    from .preview import check_preview_is_not_an_input, check_preview_output, write_preview
    from .track_job import track_to_file

    if args.resume and not args.sample and not args.input:  # 'track --resume -o OUT': the input it was started on
        args = argparse.Namespace(**{**vars(args), "input": _resumed_input(Path(args.output))})
    if not args.sample and not args.input:
        raise InputError("track needs an INPUT (a video, image folder, glob or image) or --sample")
    if args.sample and args.input:
        raise InputError(f"track takes an INPUT or --sample, not both (got {args.input} and --sample)")
    output = check_take_output(Path(args.output), overwrite=args.overwrite)
    preview = check_preview_output(args.preview, overwrite=args.overwrite) if args.preview else None
    if preview is not None and not args.sample:
        check_preview_is_not_an_input(args.input, preview)
    streaming = _streaming_config(args)
    model = session.model()
    identity, neutral = _load_identity(args, model), _neutral(args)
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
            neutral=neutral,
            model=model,
            backends=session.backends,
            resume=args.resume,
            notice=lambda message: print(f"notice: {message}", file=sys.stderr),
        )
        if preview is not None:
            reporter.stage(f"drawing the preview {preview.name}")
            write_preview(source, load_take(output), model, preview, start=cfg.start, end=cfg.end, fps=cfg.fps)
    reporter.done(str(output), summary.num_frames)
    _print_notices(summary.meta)  # after the progress bar's last line
    if args.progress == "bar":
        frames = f"{summary.num_frames} frame{'s' if summary.num_frames != 1 else ''}"
        print(f"wrote {args.output} ({frames})" + (f" and {args.preview}" if args.preview else ""))
    return EXIT_OK


def _print_notices(meta: dict, clip: str = "") -> None:
    """What the user should know about a take that was written (a truncated video, a turned face); in a batch, each
    names its clip.
    """
    for notice in meta.get("notices", []):
        print(f"notice: {clip}: {notice}" if clip else f"notice: {notice}", file=sys.stderr)


def _write_sample(folder: Path) -> str:
    """The built-in sample: scikit-image's public-domain astronaut portrait (NASA), as a PNG."""
    import cv2
    import skimage.data

    path = folder / "sample_astronaut.png"
    cv2.imwrite(str(path), skimage.data.astronaut()[:, :, ::-1])
    return str(path)


def _cmd_batch(args: argparse.Namespace, make_reporter) -> int:
    from .engine_session import EngineSession

    with EngineSession() as session:  # one warm process for every clip: the model and MediaPipe's graphs start once
        return _batch(args, make_reporter, session)


def _batch(args: argparse.Namespace, make_reporter, session) -> int:
    from .clip_files import batch_clips, check_take_output, clip_take_name, sequence_notice, skipped_reason, take_names
    from .contract.partial_take import partial_folder
    from .contract.takes_record import TakesRecord
    from .track_job import track_to_file

    clips, skipped = batch_clips(args.inputs)
    for path in skipped:
        print(f"batch: skipped {path.name}: {skipped_reason(path)}", file=sys.stderr)
    for folder in (Path(name) for name in args.inputs if Path(name).is_dir()):
        notice = sequence_notice(folder, clips)
        if notice:
            print(f"batch: notice: {notice}", file=sys.stderr)
    out_dir = Path(args.output)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"batch: cannot make the output folder {out_dir}: {err.strerror}") from None
    names = {clip: f"{stem}.npz" for clip, stem in take_names(clips).items()}
    for clip, name in names.items():
        if name != f"{clip_take_name(clip)}.npz":
            print(f"batch: notice: {clip.name} and another clip share a name; its take is {name}", file=sys.stderr)
    record = TakesRecord.read(out_dir)  # the takes folder's record: which clip (and part) each take there is from
    span = None if args.start is None and args.end is None else (args.start, args.end)
    for clip in clips:
        name = names[clip]
        if not (out_dir / name).exists() or args.overwrite:
            continue
        if record.take_is_of(name, clip) is False:
            raise InputError(
                f"batch: {out_dir / name} is the take of {record.take_clip(name)}, not of {clip} (two clips of one "
                "name): give this one another -o folder, or --overwrite to replace it"
            )
        if record.take_is_of(name, clip) and not record.take_is_part(name, span):
            raise InputError(
                f"batch: {out_dir / name} is the take of another part of {clip} "
                f"({record.take_span(name) or 'all of it'}): give this run another -o folder, or --overwrite to "
                "replace it"
            )
    outputs = {clip: check_take_output(out_dir / names[clip], overwrite=args.overwrite) for clip in clips}
    streaming = _streaming_config(args)
    model = session.model()
    identity, neutral = _load_identity(args, model), _neutral(args)
    cfg = _track_config(args)
    failed = []
    for i, clip in enumerate(clips, 1):
        out = outputs[clip]
        if (
            args.resume
            and out.is_file()
            and record.take_is_of(names[clip], clip)
            and record.take_is_part(names[clip], span)
            and record.take_is_current(names[clip], clip)
        ):
            print(f"batch: {clip.name}: its take {out.name} is there (--resume)", file=sys.stderr)
            continue
        resume = args.resume and partial_folder(out).is_dir()
        reporter = make_reporter(args.progress)
        if args.progress == "bar":
            print(f"[{i}/{len(clips)}] {clip.name}", file=sys.stderr)
        try:
            summary = track_to_file(
                clip,
                out,
                cfg,
                streaming=streaming,
                reporter=reporter,
                identity=identity,
                neutral=neutral,
                model=model,
                backends=session.backends,
                resume=resume,
                notice=lambda message, clip=clip: print(f"notice: {clip.name}: {message}", file=sys.stderr),
            )
            reporter.done(str(out), summary.num_frames)
            _print_notices(summary.meta, clip.name)  # after the progress bar's last line
            unrecorded = record.enter_written_take(names[clip], clip, span)
            if unrecorded:
                print(f"notice: {clip.name}: the takes folder's record was not updated ({unrecorded})", file=sys.stderr)
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


def _cmd_info_to_reader(args: argparse.Namespace) -> int:
    """``info``, quiet when its reader goes away early (``info take.npz | head``)."""
    try:
        return _cmd_info(args)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the interpreter's last flush is quiet
        return EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    from .contract.partial_take import PARTIAL_SUFFIX, PartialTake, load_partial_take, partial_folder
    from .contract.take_io import load_take
    from .take_summary import summarize_take

    path = Path(args.take)
    folder = path if path.is_dir() and path.name.endswith(PARTIAL_SUFFIX) else partial_folder(path)
    if path.is_dir() and folder != path:
        raise InputError(f"{path} is a folder, not a take (a .npz file, or an unfinished run's .npz.partial folder)")
    # Asked about a take that is not written yet: the unfinished run is summarised, and the exit status says "no
    # take" (a script's 'info X.npz && bake X.npz' stops); asked about the .partial folder itself, it is the answer.
    unwritten = EXIT_OK if folder == path else EXIT_FAILED
    if folder.is_dir() and (folder == path or not path.exists()):
        partial = PartialTake.inspect(folder)
        if partial.rows("take") == 0:
            print(
                f"PARTIAL take (an unfinished run): {partial.rows('landmarks')} frames detected, none fitted yet; "
                f"continue it with 'track --resume -o {folder.name.removesuffix(PARTIAL_SUFFIX)}'"
            )
            return _not_written(path, unwritten)
        take = load_partial_take(folder, landmarks=False)
    else:
        take = load_take(path, landmarks=False)
    if "partial" in take.meta:
        print(
            f"PARTIAL take (an unfinished run: {take.num_frames} frames finished; continue it with "
            f"'track --resume -o {path.name.removesuffix(PARTIAL_SUFFIX)}')"
        )
        print(summarize_take(take))
        return _not_written(path, unwritten)
    print(summarize_take(take))
    if folder != path and folder.is_dir():  # a complete take, and an unfinished run of it beside it
        print(
            f"note: an unfinished run is beside it, {folder.name}: 'track --resume -o {path.name}' continues it "
            "(and replaces this take); a track without --resume starts again"
        )
    return EXIT_OK


def _not_written(path: Path, status: int) -> int:
    if status != EXIT_OK:
        print(f"info: {path.name} is not written yet: only its unfinished run (above) is there", file=sys.stderr)
    return status


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
    from .clip_files import check_take_output
    from .contract.livelink_csv import livelink_csv_to_take
    from .contract.take import without_repeated_timestamps
    from .contract.take_io import save_take

    out = check_take_output(Path(args.take), overwrite=args.overwrite)
    if out == Path(args.csv).resolve():
        raise InputError("import-csv: the take would replace the CSV it is made from; choose another name")
    take = livelink_csv_to_take(args.csv, fps=args.fps)
    take, repeated = without_repeated_timestamps(take)  # as the add-on reads a CSV: one row a time
    if repeated:
        print(
            f"notice: {Path(args.csv).name}: {repeated} row(s) with the time of the row before dropped (rows at "
            "twice the rate of their timecodes, without sub-frames?)",
            file=sys.stderr,
        )
    save_take(out, take)
    print(f"wrote {args.take} ({take.num_frames} frames)")
    _print_notices(take.meta)
    print(f"notice: {Path(args.csv).name}: {_what_a_take_of_arkit_keeps()}", file=sys.stderr)
    return EXIT_OK


def _what_a_take_of_arkit_keeps() -> str:
    """What a take (FaceWarehouse's 46 channels) keeps of a Live Link CSV's ARKit 52, from the mapping it goes
    through (``rigs/mappings/arkit52_to_facewarehouse46.toml``).
    """
    import collections

    import rigs

    mapping = rigs.load_mapping("arkit52_to_facewarehouse46")
    fed = {link.source for link in mapping.links}
    dropped = [name for name in mapping.source_names if name not in fed]
    shared = [t for t, n in collections.Counter(link.target for link in mapping.links).items() if n > 1]
    return (
        f"a take holds FaceWarehouse's 46 channels: ARKit's {', '.join(dropped)} are not kept, and "
        f"{', '.join(shared)} each hold the mean of ARKit's left and right; bake the CSV itself (the add-on reads it "
        "as a take) to keep all 52"
    )


def _cmd_build_model(args: argparse.Namespace) -> int:
    from .contract.output_guard import check_output
    from .face_model.correspondence import CorrespondenceConfig
    from .face_model.model import DEFAULT_MODEL_PATH
    from .face_model_build.build import build_face_model, built_files
    from .progress import BarReporter

    out = Path(args.output) if args.output else DEFAULT_MODEL_PATH
    out.absolute().parent.mkdir(parents=True, exist_ok=True)
    shipped = DEFAULT_MODEL_PATH.resolve().parent  # the checkout's own built files: rebuilt in place
    for path in built_files(out):  # before the minutes of renders: a file the tool did not write is kept
        check_output(path, overwrite=args.overwrite, is_own=lambda p: p.resolve().parent == shipped,
                     what="face model file", suffixes=(path.suffix,))  # fmt: skip
    cfg = CorrespondenceConfig()
    if args.renders is not None:
        if args.renders < 8:
            raise InputError("--renders must be at least 8")
        cfg = dataclasses.replace(cfg, training_renders=args.renders, holdout_renders=max(8, args.renders // 5),
                                  training_identities=min(cfg.training_identities, args.renders // 4))  # fmt: skip
    bar = BarReporter(label="renders")
    renders = 0

    def progress(done: int, total: int) -> None:
        nonlocal renders
        if not renders:
            bar.start(total)
            renders = total
        bar.update(done)

    model = build_face_model(args.ict, out, cfg, progress=progress)
    bar.done(str(out), renders)
    print(f"wrote {out}: {model.num_points} points, {model.num_identity} identity modes, 46 expression shapes; "
          f"the demo head, the correspondence report and ICT-FaceKit's licence beside it")  # fmt: skip
    return EXIT_OK


def _cmd_contact_sheet(args: argparse.Namespace) -> int:
    from .contract.face_head import load_head
    from .contract.output_guard import check_output
    from .face_model.contact_sheet import SHEET_SUFFIXES, contact_sheet

    out = check_output(Path(args.output), overwrite=args.overwrite, what="contact sheet", suffixes=SHEET_SUFFIXES)
    contact_sheet(load_head(), out, motion=args.motion)
    print(f"wrote {args.output}")
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from .engine_session import EngineSession
    from .serve import serve_stdio

    with EngineSession() as session:
        return serve_stdio(session, run_track_argv)


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

    if args.command == "batch":
        return f"; the takes written are kept: 'batch ... --resume' continues (into {args.output})"
    if args.command != "track" or not partial_folder(args.output).is_dir():
        return ""
    folder = partial_folder(args.output)
    return f"; the finished part is kept in {folder.name}: continue with 'track --resume -o {args.output}'"


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from .progress import make_reporter

    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)  # a cancelled add-on job: unwind and clean up like Ctrl-C
    # FFmpeg inside OpenCV logs every damaged packet of a video (24,000 lines for one damaged clip); the engine says
    # what matters in one line or a notice. Fatal messages only (read when OpenCV first opens a video).
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", str(FFMPEG_LOG_FATAL))
    progress = getattr(args, "progress", "none")
    if getattr(args, "farm_progress", None) == "jsonl":  # farm run --progress jsonl: its errors as JSON too
        progress = "jsonl"
    reporter = make_reporter(progress)
    try:
        if args.command == "track":
            return _cmd_track(args, reporter)
        if args.command == "batch":
            return _cmd_batch(args, make_reporter)
        if args.command == "farm":
            from .farm.cli import run_farm_command

            return run_farm_command(args)
        return {
            "info": _cmd_info_to_reader,
            "export-csv": _cmd_export_csv,
            "import-csv": _cmd_import_csv,
            "build-model": _cmd_build_model,
            "contact-sheet": _cmd_contact_sheet,
            "serve": _cmd_serve,
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
