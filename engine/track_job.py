"""Tracking a clip into a take file in bounded memory, written as it goes, so a crash keeps the work and can resume.

:func:`track_to_file` runs the pipeline of :mod:`engine.track` with every per-frame array on disk, in the
partial-take folder beside the output (:mod:`engine.contract.partial_take`, ``OUT.npz.partial/``):

1. **Pass 1** streams the frames; every frame's landmarks, depth, eye state, time and score are appended to the
   folder's ``landmarks`` section in blocks of :attr:`StreamingConfig.spool_block_frames` (committed: a SIGKILL
   keeps every finished block).
2. **The actor**: given (``--identity``), or fitted once on up to :attr:`StreamingConfig.identity_sample_frames`
   frames taken as windows spread over the whole clip. A clip of at most
   :attr:`StreamingConfig.chunk_frames` frames is fitted in one piece exactly as :func:`engine.track.track` does.
3. **Pass 2** fits, filters and appends the take in chunks of ``chunk_frames`` frames; each chunk is processed with
   :attr:`StreamingConfig.margin_frames` neighbours on both sides (landmark smoothing, gap bridging and the One
   Euro filters see the same surroundings as in one piece) and only its own frames are kept.
4. The final ``.npz`` is streamed from the folder (atomically) and the folder removed.

Memory is therefore a chunk's working set, whatever the clip's length (``tests/benchmarks/bench_memory.py``).
``resume=True`` (``track --resume``) continues a folder left by a killed or interrupted run of the same input and
settings, from its last committed block; a folder that does not match is refused, never mixed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import hashlib
import math
import shutil
import time as wallclock
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from .contract.image_suffixes import split_image_files
from .contract.output_guard import file_stamp
from .contract.partial_take import PartialTake, partial_folder
from .contract.take import PER_FRAME_KEYS, Take
from .contract.writer_lock import WRITER_WAIT_S, writer_lock
from .errors import InputError, NoFaceFound
from .face_model.model import FaceModel, load_face_model
from .identity_file import identity_from_vector
from .landmark_pass import TIME_ORDER_EPSILON_S, Landmarks, detect_landmarks
from .landmarks.backend_pool import LandmarkBackends
from .neutral_frame import NeutralFrame
from .progress import ProgressReporter, make_reporter
from .track import check_neutral_time, fit_and_filter, fit_notices, neutral_targets, neutral_window, recorded_fps
from .track_config import TrackConfig

__all__ = ["StreamingConfig", "TrackSummary", "track_to_file"]

_SPOOL = "landmarks"  # the partial take's section holding pass 1's rows
_SPOOL_COLUMNS = {  # pass 1's rows as stored, in the order _SpoolRows.add takes them: name -> dtype
    "source_time": np.float64,
    "points": np.float32,
    "depth": np.float32,
    "p_closed": np.float32,
    "score": np.float32,
}
_SPOOL_PART = "landmarks_part"  # + i: the rows of part i >= 1 of a clip read in parts, until replayed into _SPOOL
_TAKE = "take"


@dataclasses.dataclass(frozen=True)
class StreamingConfig:
    """How a take is written in pieces (none of it changes a clip of at most ``chunk_frames`` frames).

    Attributes:
        chunk_frames: frames fitted, filtered and written together (900: 30 s at 30 fps; the working set of one
            chunk is what memory holds, whatever the clip's length).
        margin_frames: neighbours on each side of a chunk (90: 3 s at 30 fps; the filters' memory is < 1 s).
        identity_sample_frames: frames the actor is fitted on, in windows spread over the clip (1800: a clip of up
            to a minute at 30 fps is fitted on all its frames, and its take equals a take made in one piece; fewer
            frames make a less stable actor: 100 frames change weights by 0.03 on average).
        identity_windows: how many windows those frames come in.
        spool_block_frames: pass 1 commits its rows to disk every this many frames.
    """

    chunk_frames: int = 900
    margin_frames: int = 90
    identity_sample_frames: int = 1800
    identity_windows: int = 8
    spool_block_frames: int = 256

    def __post_init__(self) -> None:
        if self.chunk_frames < 1 or self.margin_frames < 0 or self.spool_block_frames < 1:
            raise ValueError(f"StreamingConfig: sizes must be positive; got {self}")


@dataclasses.dataclass(frozen=True)
class TrackSummary:
    """What :func:`track_to_file` wrote: the take's path, its frame count and its ``meta``."""

    output: Path
    num_frames: int
    meta: dict


class _SpoolRows:
    """Pass 1's rows, appended to a section of the partial take (the landmarks, or a later part's) in blocks."""

    def __init__(self, partial: PartialTake, block: int, job: dict | None, section: str = _SPOOL) -> None:
        """``job``: the job state committed with every block (the landmarks' sink), None for a part's."""
        self.partial, self.block, self.job, self.section = partial, block, job, section
        self.rows: list[tuple] = []

    def opened(self, fps: float, size: tuple[int, int], name: str) -> None:
        """The first time the input opens, its details join the job (a resumed run reads them back)."""
        if "source" not in self.job:
            self.job["source"] = {"fps": fps, "size": list(size), "name": name}
            self.partial.set_job(self.job)

    def add(self, source_time, points, depth, p_closed, score) -> None:
        self.rows.append((source_time, points, depth, p_closed, score))
        if len(self.rows) >= self.block:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        columns = zip(*self.rows, strict=True)
        self.rows.clear()
        block = {
            key: np.stack(values).astype(dtype, copy=False)
            for (key, dtype), values in zip(_SPOOL_COLUMNS.items(), columns, strict=True)
        }
        self.partial.append(self.section, block, job=self.job)

    def replay(self, sink: _SpoolRows, *, after: float) -> int:
        """A later part's rows into ``sink``'s section, block by block, then this section dropped.

        The part wrote them here through a :class:`~.landmark_pass.PartSink`. Killed half way, the landmarks hold
        some of this part and this section all of it: a resumed run drops the section and reads on from the last
        landmark row.
        """
        self.flush()
        sink.flush()
        count = 0
        for start in range(0, self.partial.rows(self.section), self.block):
            stop = start + self.block
            block = {key: self.partial.read(self.section, key, start, stop) for key in _SPOOL_COLUMNS}
            keep = block["source_time"] > after + TIME_ORDER_EPSILON_S  # a frame two parts both read: the first's
            if keep.any():
                sink.partial.append(sink.section, {key: value[keep] for key, value in block.items()}, job=sink.job)
                count += int(keep.sum())
        self.partial.drop(self.section)
        return count

    def discard(self) -> None:
        """Drop this part's rows, on disk too (:class:`~.landmark_pass.PartSink`)."""
        self.rows.clear()
        self.partial.drop(self.section)


def _job_key(input_path: str | Path, cfg: TrackConfig, streaming: StreamingConfig, identity, neutral) -> dict:
    """What must match for a partial take to be resumed: the input (path, and its frames' stamp) and every setting."""
    settings = _settings_hash(cfg, streaming, identity, neutral)
    return {
        "input": str(Path(input_path).resolve()),
        "input_stamp": _input_stamp(Path(input_path)),
        "settings": settings,
    }


def _input_stamp(path: Path) -> list[int]:
    """A clip's (size, time); an image folder's or glob's frames' (count, total size, latest time): a frame
    delivered, re-rendered or removed since changes it (a resumed take would be stitched from other frames).
    """
    if path.is_file():
        return file_stamp(path) or [0, 0]
    listed = path.iterdir() if path.is_dir() else (Path(f) for f in glob.glob(str(path)))
    # The frames only: the take's own lock or unfinished run inside the folder, a .DS_Store, a thumbnail cache change
    # as the track runs, and would refuse every resume.
    frames, _ = split_image_files(listed)
    stamps = [s for s in map(file_stamp, frames) if s is not None]
    return [len(stamps), sum(s[0] for s in stamps), max((s[1] for s in stamps), default=0)]


def _settings_hash(cfg: TrackConfig, streaming: StreamingConfig, identity, neutral) -> str:
    actor = None if identity is None else [np.asarray(a).tobytes().hex() for a in identity]
    settings = repr((cfg, streaming, actor, None if neutral is None else neutral.describe()))
    return hashlib.sha256(settings.encode()).hexdigest()


def _open_partial(output: Path, key: dict, resume: bool, notice: Callable[[str], None] | None) -> PartialTake:
    folder = partial_folder(output)
    if resume:
        if not folder.is_dir():
            raise InputError(f"--resume: there is no partial take {folder.name} to continue; track without --resume")
        partial = PartialTake.reopen(folder)
        stamp = partial.job.get("input_stamp")
        if stamp == [0, 0]:  # an earlier version's run of a folder or glob: it kept no stamp of the frames
            key = {**key, "input_stamp": stamp}
        if {k: partial.job.get(k) for k in key} == {**key, "input_stamp": stamp} and stamp != key["input_stamp"]:
            raise InputError(
                f"--resume: {Path(key['input']).name} changed since {folder.name} was started (a frame delivered, "
                "re-rendered or removed, or the file replaced): its frames would not join; run without --resume"
            )
        if {k: partial.job.get(k) for k in key} != key:
            raise InputError(
                f"--resume: {folder.name} was made from another input or with other settings (resume it with the "
                "options it was started with: --start, --end, --fps, --neutral, --identity, ...); run without "
                "--resume to start again"
            )
        return partial
    if folder.is_dir() and notice is not None:  # said under the writer lock: it is no other live run's
        notice(f"the unfinished take {folder.name} is replaced (--resume continues one)")
    return PartialTake.create(folder, meta={}, job={**key, "pass1_done": False})


def _landmarks(partial: PartialTake, info: dict, start: int, stop: int) -> Landmarks:
    read = lambda key: partial.read(_SPOOL, key, start, stop)  # noqa: E731 - one line per column below
    return Landmarks(
        points=read("points"),
        depth=read("depth"),
        p_closed=read("p_closed"),
        time=read("source_time"),
        score=read("score"),
        point_ids=np.asarray(info["point_ids"]),
        has_depth=info["has_depth"],
        fps=info["fps"],
        size=tuple(info["size"]),
        name=info["name"],
        notices=tuple(info["notices"]),
    )


def _sample_windows(frames: int, streaming: StreamingConfig, scores: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Windows of frames spread evenly over the frames with a face (``scores > 0``; all frames without scores),
    ``identity_sample_frames`` frames in all at most, in order, never overlapping.

    A head-cam clip with a face in a minute of its hour: windows spread over the whole clip found none, and the
    actor was the generic one.

    >>> cfg = StreamingConfig(identity_sample_frames=20, identity_windows=2)
    >>> _sample_windows(100, cfg), _sample_windows(100, cfg, np.r_[np.zeros(40), np.ones(20), np.zeros(40)])
    ([(0, 10), (90, 100)], [(40, 60)])
    >>> _sample_windows(100, cfg, np.r_[np.zeros(30), np.ones(60), np.zeros(10)])
    [(30, 40), (80, 90)]
    """
    if frames <= streaming.identity_sample_frames:
        return [(0, frames)]
    windows = max(1, streaming.identity_windows)
    length = max(1, min(streaming.identity_sample_frames, frames) // windows)
    faced = np.flatnonzero(scores > 0) if scores is not None else np.arange(frames)
    if len(faced) == 0:
        faced = np.arange(frames)
    if len(faced) <= length * windows:  # every frame with a face, in its runs
        runs = np.split(faced, np.flatnonzero(np.diff(faced) > 1) + 1)
        return [(int(run[0]), int(run[-1]) + 1) for run in runs]
    picks = faced[np.linspace(0, len(faced) - length, windows).round().astype(int)]  # each window's first face
    out: list[tuple[int, int]] = []
    for a in sorted(int(p) for p in picks):
        a = max(a, out[-1][1]) if out else a
        if a < frames:
            out.append((a, min(a + length, frames)))
    return out


def _concat(parts: list[Landmarks]) -> Landmarks:
    first = parts[0]
    return dataclasses.replace(
        first,
        **{k: np.concatenate([getattr(p, k) for p in parts]) for k in ("points", "depth", "p_closed", "time", "score")},
    )


def track_to_file(
    input_path: str | Path,
    output_path: str | Path,
    cfg: TrackConfig = TrackConfig(),
    *,
    streaming: StreamingConfig = StreamingConfig(),
    reporter: ProgressReporter | None = None,
    identity: tuple[np.ndarray, np.ndarray] | None = None,
    neutral: NeutralFrame | None = None,
    model: FaceModel | None = None,
    backends: LandmarkBackends | None = None,
    resume: bool = False,
    notice: Callable[[str], None] | None = None,
) -> TrackSummary:
    """Track a clip into ``output_path`` in bounded memory, keeping a resumable partial take until it is done.

    Args:
        identity: a known actor's ``(coefficients, rest offsets)``, or None to fit one.
        neutral: a time in the clip or a photo where the actor is at rest (``--neutral``), or None.
        model: the face model (None: load it). backends: a warm engine's open landmark backends, or None.
        resume: continue the partial take a killed or interrupted run of the same input and settings left.
        notice: told when an unfinished take (a partial take from an earlier run) is replaced, or None.

    Returns:
        What was written.

    Raises:
        InputError: unreadable input, nothing to resume, or a partial take from other input or settings.
        NoFaceFound: no face in any frame (the partial take is removed: nothing in it is worth keeping).
    """
    reporter = reporter or make_reporter("none")
    model = model or load_face_model()
    output = Path(output_path).resolve()
    with writer_lock(output, WRITER_WAIT_S):
        return _track_locked(
            input_path, output, cfg, streaming, reporter, identity, neutral, model, backends, resume, notice
        )


RESUME_AFTER_S = 1e-4
"""A resumed read starts this long after the last frame kept (less than any two frames apart, more than the
timestamps' rounding)."""


def _track_locked(
    input_path: str | Path,
    output: Path,
    cfg: TrackConfig,
    streaming: StreamingConfig,
    reporter: ProgressReporter,
    identity: tuple[np.ndarray, np.ndarray] | None,
    neutral: NeutralFrame | None,
    model: FaceModel,
    backends: LandmarkBackends | None,
    resume: bool,
    notice: Callable[[str], None] | None,
) -> TrackSummary:
    """:func:`track_to_file`'s work, under the take's writer lock.

    The partial take outlives a failure only when a resume can use it: it holds detected frames, and the failure is
    not one every resume would repeat. A bad input or range (nothing detected yet) and a ``--neutral`` time outside
    the clip leave nothing behind; a full disk mid-way keeps the frames for ``--resume``. A neutral photo is read
    before any work, so a photo without a face fails at once.
    """
    t0 = wallclock.perf_counter()
    key = _job_key(input_path, cfg, streaming, identity, neutral)
    photo = neutral is not None and neutral.photo is not None
    photo_obs = neutral_targets(neutral, cfg, model, backends=backends) if photo else None
    partial = _open_partial(output, key, resume, notice)
    with _kept_only_if_resumable(partial, output):
        job = dict(partial.job)

        if not job.get("pass1_done"):
            for section in [name for name in partial.manifest["sections"] if name.startswith(_SPOOL_PART)]:
                partial.drop(section)  # a later part's rows from a run cut short: read again after the landmarks
            done = partial.rows(_SPOOL)
            start = None
            if done:  # resume: the frame after the last committed one
                last = float(partial.read(_SPOOL, "source_time", done - 1, done)[0])
                # Just after it: half a frame at the average rate skipped a variable-frame-rate clip's close frames.
                start = last + RESUME_AFTER_S
            spool = _SpoolRows(partial, streaming.spool_block_frames, job)

            def part_spool(i: int) -> _SpoolRows:
                return _SpoolRows(partial, streaming.spool_block_frames, None, section=f"{_SPOOL_PART}{i}")

            try:
                info = detect_landmarks(
                    input_path, cfg, reporter, spool, start=start, first_index=done, backends=backends,
                    part_sink=part_spool,
                )  # fmt: skip
            except InputError:
                if not done:
                    raise
                info = None  # resumed right at the end of the clip: nothing more to read
            finally:
                spool.flush()  # interrupted or not, every frame detected so far is kept
            if info is not None:
                has_depth = info.has_depth and job["source"].get("has_depth", True)
                notices = job["source"].get("notices", []) + list(info.notices)
                job["source"].update(point_ids=info.point_ids.tolist(), has_depth=has_depth, notices=notices)
            job["pass1_done"] = True
            partial.set_job(job)
        frames = partial.rows(_SPOOL)
        if frames == 0:
            raise InputError(f"{input_path}: no frames in the requested range")
        source = job["source"]
        t1 = wallclock.perf_counter()

        scores = partial.read(_SPOOL, "score", 0, frames)
        if not (scores > 0).any():
            shutil.rmtree(partial.folder, ignore_errors=True)
            raise NoFaceFound(f"{input_path}: no face found in any of {frames} frame(s)")

        reporter.stage(f"fitting the face to {frames} frames")  # a long clip's pass 2 runs for minutes
        neutral_obs = photo_obs
        if neutral is not None and neutral.time_s is not None:
            try:
                neutral_obs = _neutral_targets(neutral.time_s, cfg, model, partial, source, frames)
            except InputError:
                shutil.rmtree(partial.folder, ignore_errors=True)  # every resume with this --neutral would fail alike
                raise
        if frames <= streaming.chunk_frames:
            take, _ = fit_and_filter(_landmarks(partial, source, 0, frames), cfg, model, identity, neutral_obs)
            _append_take(partial, take, 0, frames, take_time=None)
        else:
            actor = identity
            if "identity" in partial.manifest["fixed"]:  # a resumed run: the actor its earlier pieces were fitted with
                actor = identity_from_vector(np.asarray(partial.manifest["fixed"]["identity"][2], np.float32), model)
            elif actor is None or neutral_obs is not None:
                # The actor from a sample of the clip; a known one (--identity) too when a neutral is given: its rest
                # is the neutral's, as in one piece (the pieces were fitted with the identity's own rest, and
                # --neutral was ignored on every clip longer than a piece).
                sample = _concat(
                    [_landmarks(partial, source, a, b) for a, b in _sample_windows(frames, streaming, scores)]
                )
                _, fit = fit_and_filter(sample, cfg, model, identity, neutral_obs)
                actor = (fit.identity, fit.landmark_bias)
                # The pieces are fitted with this actor, so what the user should know about its rest is said here.
                source = {**source, "notices": [*source["notices"], *fit_notices(fit, cfg)]}
                del sample, fit
            first_time = float(partial.read(_SPOOL, "source_time", 0, 1)[0])
            pieces = math.ceil(frames / streaming.chunk_frames)
            for a in range(partial.rows(_TAKE), frames, streaming.chunk_frames):
                reporter.stage(f"fitting the face: piece {a // streaming.chunk_frames + 1}/{pieces} of {frames} frames")
                b = min(a + streaming.chunk_frames, frames)
                wa, wb = max(0, a - streaming.margin_frames), min(frames, b + streaming.margin_frames)
                lm = _landmarks(partial, source, wa, wb)
                take, _ = fit_and_filter(lm, cfg, model, actor)
                _append_take(partial, take, a - wa, b - wa, take_time=lm.time[a - wa : b - wa] - first_time)
                del lm, take  # before the next window is read: one window in memory at a time
        t2 = wallclock.perf_counter()
        meta = dict(partial.manifest["meta"])
        # The rate most of the clip's frames were recorded at, from all of them (a piece's meta saw its own only).
        meta["fps"] = recorded_fps(float(source["fps"]), partial.read(_SPOOL, "source_time", 0, frames))
        meta["timing_s"] = {"landmarks": round(t1 - t0, 3), "fit_filter": round(t2 - t1, 3)}
        if neutral is not None:
            meta["neutral"] = neutral.describe()
        partial.set_fixed({}, meta=meta)
        written = partial.finish(output)
        return TrackSummary(written, frames, meta)


@contextlib.contextmanager
def _kept_only_if_resumable(partial: PartialTake, output: Path) -> Iterator[None]:
    """On an InputError (or the system refusing a file), remove ``partial`` if no frame was detected into it (nothing
    a resume could use); if it holds frames, keep it (and, for an InputError, say so in the error).
    """
    try:
        yield
    except (InputError, OSError) as err:  # an OSError: the system refused a file (a name too long, no permission)
        if not partial.folder.is_dir():
            raise
        if not partial.rows(_SPOOL):
            shutil.rmtree(partial.folder, ignore_errors=True)
            raise
        if isinstance(err, OSError):
            raise
        raise InputError(
            f"{err}; the frames tracked so far are kept in {partial.folder.name}: "
            f"'track --resume -o {output.name}' continues once that is mended"
        ) from None


def _neutral_targets(
    time_s: float, cfg: TrackConfig, model: FaceModel, partial: PartialTake, source: dict, frames: int
) -> np.ndarray:
    """A ``--neutral`` time's fit targets, from the spooled frames around it.

    The time is checked against the whole clip's range; then only the frames :func:`~engine.track.neutral_window`
    names are read, the ones :func:`~engine.track.neutral_targets` uses from a clip in memory.
    """
    times = partial.read(_SPOOL, "source_time", 0, frames)
    check_neutral_time(times, time_s)
    start, stop = neutral_window(times, time_s)
    return neutral_targets(NeutralFrame(time_s=time_s), cfg, model, clip=_landmarks(partial, source, start, stop))


HELD_KEYS = tuple(k for k in PER_FRAME_KEYS if k not in ("time", "confidence", "landmarks", "model_landmarks"))
"""What a piece without a face holds from the frame before it: the weights, the pose, the eyes."""
_ROTATION_KEYS = ("head_rotation", "head_rotation_raw")


def _append_take(partial: PartialTake, take: Take, start: int, stop: int, *, take_time: np.ndarray | None) -> None:
    """Append frames ``[start, stop)`` of a fitted piece; the first piece also stores names, identity and meta.

    At the seam with the piece before: a piece with no face at all (a long stretch without one: alone it read a rest
    face looking straight ahead) holds that piece's last frame, as a gap within a piece is held; and the rotation
    keeps its quaternion sign (a reader blending across the seam would turn the long way round).
    """
    if not partial.manifest["fixed"]:
        meta = {k: v for k, v in take.meta.items() if k != "timing_s"}
        partial.set_fixed({"expression_names": take.expression_names, "identity": take.identity}, meta=meta)
    rows = {k: getattr(take, k)[start:stop] for k in PER_FRAME_KEYS}
    before = partial.rows(_TAKE)
    if before and stop > start:
        if not (rows["confidence"] > 0).any():
            for key in HELD_KEYS:
                last = partial.read(_TAKE, key, before - 1, before)
                rows[key] = np.repeat(last, stop - start, axis=0).astype(rows[key].dtype)
        for key in _ROTATION_KEYS:
            last = partial.read(_TAKE, key, before - 1, before)[0]
            if float(np.dot(last, rows[key][0])) < 0:
                rows[key] = -rows[key]
    if take_time is not None:
        rows["time"] = np.asarray(take_time, np.float64)
    partial.append(_TAKE, rows)
