"""The engine's command line: ``python -m engine COMMAND`` (track, batch, serve, info, export-csv, import-csv,
build-model, contact-sheet).

Expected failures (missing file, unreadable video, no face, bad take) end with one line on stderr (and a
``{"error": ...}`` line with ``--progress jsonl``) and exit status 1, never a traceback.
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

__all__ = ["build_parser", "main", "run_track"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def _track_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", default="mediapipe", choices=("mediapipe", "fan"), help="landmark detector")
    p.add_argument("--identity", metavar="TAKE.npz", help="reuse the actor identity stored in an earlier take")
    p.add_argument(
        "--neutral",
        metavar="SECONDS|PHOTO",
        help="the actor at rest: a time in the clip (seconds) or a photo; expressions are measured from it",
    )
    p.add_argument("--start", type=float, metavar="SECONDS", help="first time to track")
    p.add_argument("--end", type=float, metavar="SECONDS", help="time to stop tracking at")
    p.add_argument("--no-filter", action="store_true", help="store unfiltered streams as the filtered ones too")
    p.add_argument("--progress", choices=("bar", "jsonl", "none"), default="bar", help="progress output")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and tests)."""
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--version", action="version", version=f"engine {project_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("track", help="track a video, image sequence or image into a take (.npz)")
    p.add_argument("input", nargs="?", help="video file, image folder, glob ('shots/*.png') or image")
    p.add_argument("-o", "--output", required=True, help="take file to write (.npz)")
    p.add_argument("--sample", action="store_true", help="track the built-in sample portrait instead of INPUT")
    p.add_argument("--preview", metavar="OUT.mp4|OUT.png", help="also write landmarks and fitted mesh over the input")
    _track_options(p)

    p = sub.add_parser("batch", help="track clips (or every clip in folders) into OUTDIR/<clip>.npz, in one process")
    inputs_help = "clips, or folders of videos, images or image-sequence subfolders"
    p.add_argument("inputs", nargs="+", metavar="CLIP_OR_FOLDER", help=inputs_help)
    p.add_argument("-o", "--output", required=True, help="folder for the takes")
    _track_options(p)

    from .farm.cli import add_farm_parser  # here, not at the top: the farm package imports this module

    add_farm_parser(sub)

    p = sub.add_parser("info", help="validate a take and print a summary (exit 1 if invalid)")
    p.add_argument("take")

    p = sub.add_parser("export-csv", help="write a take as Live Link Face CSV (ARKit-52 columns)")
    p.add_argument("take")
    p.add_argument("csv")

    p = sub.add_parser("import-csv", help="read a Live Link Face CSV into a take")
    p.add_argument("csv")
    p.add_argument("take")
    p.add_argument("--fps", type=float, help="the CSV's frame rate (default: guessed from its timecodes)")

    p = sub.add_parser("build-model", help="rebuild the engine's face model files from ICT-FaceKit's scans")
    p.add_argument("--ict", required=True, metavar="DIR", help="ICT-FaceKit's folder (../shared/data/ict-facekit)")
    p.add_argument("-o", "--output", help="model file (default: engine/data/face_model.npz; the rest beside it)")
    p.add_argument("--renders", type=int, help="renders the landmark correspondence is learned from (default 240)")

    p = sub.add_parser("contact-sheet", help="render the 46 expressions on the scanned demo head into one PNG")
    p.add_argument("output")

    sub.add_parser(
        "serve",
        help="a warm engine: track requests read as JSON lines on stdin, one after another (the add-on's engine)",
        description="Read requests (engine/contract/engine_requests.py) on stdin, one JSON object per line; write "
        "progress events with each request's id on stdout (engine/contract/progress_events.py).",
    )
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


def _neutral(args: argparse.Namespace):
    if args.neutral is None:
        return None
    from .neutral_frame import NeutralFrame

    return NeutralFrame.parse(args.neutral)


def _cmd_track(args: argparse.Namespace, reporter) -> int:
    from .engine_session import EngineSession

    with EngineSession() as session:
        return run_track(args, reporter, session)


def run_track(args: argparse.Namespace, reporter, session) -> int:
    """The ``track`` command with parsed ``args``, in ``session`` (an :class:`~engine.engine_session.EngineSession`).

    The served engine runs its track requests through this too (:mod:`engine.serve`).
    """
    from .track import track

    check_take_output(Path(args.output))
    model = session.model()
    with tempfile.TemporaryDirectory() as tmp:
        if args.sample:
            source = _write_sample(Path(tmp))
        elif args.input:
            source = args.input
        else:
            raise InputError("track needs an INPUT (a video, image folder, glob or image) or --sample")
        cfg = _track_config(args)
        identity, neutral = _load_identity(args, model), _neutral(args)
        take = track(
            source,
            args.output,
            cfg,
            reporter=reporter,
            identity=identity,
            neutral=neutral,
            model=model,
            backends=session.backends,
        )
        if args.preview:
            from .preview import write_preview

            write_preview(source, take, model, args.preview, start=cfg.start, end=cfg.end)
    reporter.done(str(Path(args.output).resolve()), take.num_frames)
    if args.progress == "bar":
        print(f"wrote {args.output} ({take.num_frames} frames)" + (f" and {args.preview}" if args.preview else ""))
    return EXIT_OK


def check_take_output(path: Path) -> None:
    """Refuse to write a take over a file that is not a take (an artist's file is never overwritten).

    An existing take (re-tracking) may be replaced; anything else stops the command before any work is done.
    """
    if path.suffix.lower() != ".npz":
        raise InputError(f"the take file must end in .npz: {path}")
    if not path.exists():
        return
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as f:
            is_take = "expression" in f.files and "meta" in f.files
    except (OSError, ValueError):
        is_take = False
    if not is_take:
        raise InputError(f"{path} exists and is not a take; it is left untouched: choose another output name")


def _write_sample(folder: Path) -> str:
    """The built-in sample: scikit-image's public-domain astronaut portrait (NASA), as a PNG."""
    import cv2
    import skimage.data

    path = folder / "sample_astronaut.png"
    cv2.imwrite(str(path), skimage.data.astronaut()[:, :, ::-1])
    return str(path)


def batch_clips(inputs: list[str]) -> list[Path]:
    """The clips of a batch: each input a clip (video, image) or a folder of them (:func:`clips_in_folder`)."""
    clips = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            clips += clips_in_folder(path)
        elif path.is_file():
            clips.append(path)
        else:
            raise InputError(f"batch: no such clip or folder: {path}")
    return clips


def clips_in_folder(folder: Path) -> list[Path]:
    """The clips of a batch folder: video files, single images, and subfolders holding images (sequences)."""
    if not folder.is_dir():
        raise InputError(f"batch: not a folder: {folder}")
    clips = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES + IMAGE_SUFFIXES:
            clips.append(path)
        elif path.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir()):
            clips.append(path)
    if not clips:
        raise InputError(f"batch: no videos, images or image folders in {folder}")
    return clips


def _cmd_batch(args: argparse.Namespace, make_reporter) -> int:
    from .engine_session import EngineSession

    with EngineSession() as session:  # one warm process for every clip: the model and MediaPipe's graphs start once
        return _batch(args, make_reporter, session)


def _batch(args: argparse.Namespace, make_reporter, session) -> int:
    from .track import track

    clips = batch_clips(args.inputs)
    out_dir = Path(args.output)
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs: dict[Path, Path] = {}
    for clip in clips:
        out = out_dir / f"{clip.stem}.npz"
        if out in outputs:
            raise InputError(f"batch: {outputs[out]} and {clip} would both be tracked into {out}; rename one")
        outputs[out] = clip
        check_take_output(out)
    model = session.model()
    identity, neutral = _load_identity(args, model), _neutral(args)
    cfg = _track_config(args)
    failed = []
    for i, clip in enumerate(clips, 1):
        out = out_dir / f"{clip.stem}.npz"
        reporter = make_reporter(args.progress)
        if args.progress == "bar":
            print(f"[{i}/{len(clips)}] {clip.name}", file=sys.stderr)
        try:
            take = track(
                clip,
                out,
                cfg,
                reporter=reporter,
                identity=identity,
                neutral=neutral,
                model=model,
                backends=session.backends,
            )
            reporter.done(str(out.resolve()), take.num_frames)
        except UserError as err:
            failed.append(clip.name)
            reporter.error(f"{clip.name}: {err}")
    done = len(clips) - len(failed)
    print(
        f"batch: {done}/{len(clips)} clips tracked into {out_dir}"
        + (f"; failed: {', '.join(failed)}" if failed else ""),
        file=sys.stderr,
    )
    return EXIT_OK if not failed else EXIT_FAILED


def _cmd_info(args: argparse.Namespace) -> int:
    from .contract.take_io import load_take
    from .take_summary import summarize_take

    print(summarize_take(load_take(args.take)))
    return EXIT_OK


def _cmd_export_csv(args: argparse.Namespace) -> int:
    from .contract.livelink_csv import take_to_livelink_csv
    from .contract.take_io import load_take

    take = load_take(args.take)
    take_to_livelink_csv(take, args.csv)
    print(f"wrote {args.csv} ({take.num_frames} frames)")
    return EXIT_OK


def _cmd_import_csv(args: argparse.Namespace) -> int:
    from .contract.livelink_csv import livelink_csv_to_take
    from .contract.take_io import save_take

    take = livelink_csv_to_take(args.csv, fps=args.fps)
    save_take(args.take, take)
    print(f"wrote {args.take} ({take.num_frames} frames)")
    return EXIT_OK


def _cmd_build_model(args: argparse.Namespace) -> int:
    from .face_model.build import build_face_model
    from .face_model.correspondence import CorrespondenceConfig
    from .face_model.model import DEFAULT_MODEL_PATH
    from .progress import BarReporter

    out = Path(args.output) if args.output else DEFAULT_MODEL_PATH
    cfg = CorrespondenceConfig()
    if args.renders is not None:
        if args.renders < 8:
            raise InputError("--renders must be at least 8")
        cfg = dataclasses.replace(cfg, training_renders=args.renders, holdout_renders=max(8, args.renders // 5),
                                  training_identities=min(cfg.training_identities, args.renders // 4))  # fmt: skip
    bar = BarReporter(label="renders")
    started = False

    def progress(done: int, total: int) -> None:
        nonlocal started
        if not started:
            bar.start(total)
            started = True
        bar.update(done)

    model = build_face_model(args.ict, out, cfg, progress=progress)
    bar.done(str(out), cfg.training_renders + cfg.holdout_renders)
    print(f"wrote {out}: {model.num_points} points, {model.num_identity} identity modes, 46 expression shapes; "
          f"the demo head, the correspondence report and ICT-FaceKit's licence beside it")  # fmt: skip
    return EXIT_OK


def _cmd_contact_sheet(args: argparse.Namespace) -> int:
    from .contract.face_head import load_head
    from .face_model.contact_sheet import contact_sheet

    print(f"wrote {contact_sheet(load_head(), args.output)}")
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from .engine_session import EngineSession
    from .serve import serve_stdio

    with EngineSession() as session:
        return serve_stdio(session)


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
        if args.command == "farm":
            from .farm.cli import run_farm_command

            return run_farm_command(args)
        return {
            "info": _cmd_info,
            "export-csv": _cmd_export_csv,
            "import-csv": _cmd_import_csv,
            "build-model": _cmd_build_model,
            "contact-sheet": _cmd_contact_sheet,
            "serve": _cmd_serve,
        }[args.command](args)
    except UserError as err:
        reporter.error(str(err))  # the bar and jsonl reporters print it themselves
        if progress == "none":
            print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        reporter.error("interrupted")
        return EXIT_INTERRUPTED
