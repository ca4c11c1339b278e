"""A take being written: a folder beside the take that grows block by block and survives a crash or a kill.

The engine writes a long take incrementally, so memory stays flat and a crash, a SIGKILL or a cancel keeps what
was done: ``OUT.npz`` is made from ``OUT.npz.partial/`` (:func:`partial_folder`) only when tracking ends.

Layout of the folder:

- ``manifest.json``: ``{"format": "facemocap-partial-take", "version": 1, "sections": {NAME: {"rows": n,
  "columns": {KEY: [dtype, [row shape]]}}}, "meta": {...}, "fixed": {KEY: [dtype, [shape], values]},
  "job": {...}}``, rewritten atomically after every block, so it always describes rows that are on disk;
- ``NAME.KEY.bin``: the rows of one column of a section, raw little-endian, appended; only the first ``rows``
  count (a write cut short by a kill leaves a tail that is ignored and overwritten on resume).

Sections: ``take`` (the take's per-frame arrays, :data:`.take.PER_FRAME_KEYS`) and any the writer needs to resume
(the engine keeps its landmark spool here). ``fixed`` holds the take's arrays that are not per frame
(``expression_names``, ``identity``) once known; ``job`` what the writer needs to resume (its input, settings).

:func:`load_partial_take` reads the finished rows of a partial take as a take, ``meta["partial"]`` saying so;
:meth:`PartialTake.finish` streams the rows into the final ``.npz`` (flat memory, atomic) and removes the folder.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .atomic_write import atomic_write
from .errors import InputError, TakeFormatError
from .npz_archive import write_npz
from .take import ARRAY_KEYS, PER_FRAME_KEYS, Take, take_from_arrays
from .take_limits import DEFAULT_LIMITS, ReadLimits
from .take_validation import join_problems, validate_take_arrays

__all__ = ["PARTIAL_FORMAT", "PARTIAL_SUFFIX", "PartialTake", "load_partial_take", "partial_folder"]

PARTIAL_FORMAT = "facemocap-partial-take"
PARTIAL_SUFFIX = ".partial"
_VERSION = 1
_MANIFEST = "manifest.json"
_COPY_BLOCK_BYTES = 16 * 1024 * 1024
_VALIDATE_BLOCK_FRAMES = 4096  # frames validated together when a take is finished


def partial_folder(take_path: str | Path) -> Path:
    """The partial-take folder of a take: ``clip.npz`` -> ``clip.npz.partial``."""
    p = Path(take_path)
    return p.with_name(p.name + PARTIAL_SUFFIX)


class PartialTake:
    """A partial-take folder, open for appending. Create with :meth:`create` or :meth:`reopen`.

    Threads may append to different sections at once (a clip read in concurrent parts spools each part apart):
    every change and commit of the manifest holds one lock.
    """

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        self.folder = folder
        self.manifest = manifest
        self._lock = threading.RLock()

    @classmethod
    def create(cls, folder: str | Path, *, meta: dict[str, Any], job: dict[str, Any]) -> PartialTake:
        """A new, empty partial take (an earlier folder at ``folder`` is removed)."""
        folder = Path(folder)
        if folder.exists():
            shutil.rmtree(folder)
        try:
            folder.mkdir()
        except OSError as err:
            raise InputError(f"cannot make {folder}: {err.strerror}") from None
        partial = cls(
            folder,
            {"format": PARTIAL_FORMAT, "version": _VERSION, "sections": {}, "meta": meta, "fixed": {}, "job": job},
        )
        partial._commit()
        return partial

    @classmethod
    def inspect(cls, folder: str | Path) -> PartialTake:
        """An existing partial take, read only (nothing on disk changes). Raises as :meth:`reopen`."""
        return cls(Path(folder), _read_manifest(Path(folder)))

    @classmethod
    def reopen(cls, folder: str | Path) -> PartialTake:
        """An existing partial take, to append to (resume). Rows past the committed count are dropped.

        Raises:
            InputError: no such folder. TakeFormatError: not a partial take.
        """
        folder = Path(folder)
        partial = cls(folder, _read_manifest(folder))
        for name, section in partial.manifest["sections"].items():
            for key in section["columns"]:
                path = partial._column_path(name, key)
                with contextlib.suppress(OSError), open(path, "r+b") as f:
                    f.truncate(section["rows"] * partial._row_bytes(name, key))
        return partial

    @property
    def job(self) -> dict[str, Any]:
        """What the writer stored to resume (its input, settings, progress)."""
        return self.manifest["job"]

    def rows(self, section: str) -> int:
        """Committed rows of ``section`` (0 if it has none yet)."""
        return int(self.manifest["sections"].get(section, {}).get("rows", 0))

    def _column_path(self, section: str, key: str) -> Path:
        return self.folder / f"{section}.{key}.bin"

    def _row_bytes(self, section: str, key: str) -> int:
        dtype, shape = self.manifest["sections"][section]["columns"][key]
        return np.dtype(dtype).itemsize * int(np.prod(shape, dtype=np.int64))

    def append(self, section: str, columns: dict[str, np.ndarray], *, job: dict[str, Any] | None = None) -> None:
        """Append rows to every column of ``section`` (all the same number of rows), then commit.

        Args:
            columns: key -> ``(n, ...)`` array; the first block fixes each column's dtype and row shape.
            job: replaces the stored job state in the same commit (e.g. progress).

        Raises:
            InputError: the write failed (a full disk); the committed rows are unchanged.
        """
        with self._lock:
            spec = self.manifest["sections"].setdefault(section, {"rows": 0, "columns": {}})
            counts = {len(v) for v in columns.values()}
            if len(counts) != 1:
                raise ValueError(f"append: columns of {section} have different row counts {sorted(counts)}")
            try:
                for key, value in columns.items():
                    value = np.ascontiguousarray(value)
                    want = [value.dtype.newbyteorder("<").str, list(value.shape[1:])]
                    have = spec["columns"].setdefault(key, want)
                    if have != want:
                        raise ValueError(f"append: {section}.{key} rows are {want}, earlier rows {have}")
                    with open(self._column_path(section, key), "ab") as f:
                        f.seek(spec["rows"] * self._row_bytes(section, key))
                        f.truncate()
                        f.write(value.astype(np.dtype(want[0]), copy=False).tobytes())
            except OSError as err:
                raise InputError(f"cannot write the partial take in {self.folder}: {err.strerror or err}") from None
            spec["rows"] += counts.pop()
            if job is not None:
                self.manifest["job"] = job
            self._commit()

    def read(self, section: str, key: str, start: int, stop: int) -> np.ndarray:
        """Rows ``[start, stop)`` of one column (read from disk; nothing else is held)."""
        dtype, shape = self.manifest["sections"][section]["columns"][key]
        stop = min(stop, self.rows(section))
        count = max(0, stop - start) * int(np.prod(shape, dtype=np.int64))
        with open(self._column_path(section, key), "rb") as f:
            f.seek(start * self._row_bytes(section, key))
            data = np.fromfile(f, dtype=np.dtype(dtype), count=count)
        return data.reshape(-1, *shape)

    def drop(self, section: str) -> None:
        """Remove ``section`` and its rows (a no-op if it has none), then commit."""
        with self._lock:
            spec = self.manifest["sections"].pop(section, None)
            if spec is None:
                return
            self._commit()  # the manifest stops naming the files before they go
        for key in spec["columns"]:
            self._column_path(section, key).unlink(missing_ok=True)

    def set_job(self, job: dict[str, Any]) -> None:
        """Replace the stored job state (what the writer needs to resume) and commit."""
        with self._lock:
            self.manifest["job"] = job
            self._commit()

    def set_fixed(self, arrays: dict[str, np.ndarray], *, meta: dict[str, Any] | None = None) -> None:
        """Store the take's arrays that are not per frame (small: names, identity), and optionally new meta."""
        with self._lock:
            for key, value in arrays.items():
                value = np.asarray(value)
                self.manifest["fixed"][key] = [value.dtype.str, list(value.shape), value.tolist()]
            if meta is not None:
                self.manifest["meta"] = meta
            self._commit()

    def _commit(self) -> None:
        with atomic_write(self.folder / _MANIFEST, remember=False) as tmp:
            tmp.write_text(json.dumps(self.manifest), encoding="utf-8")

    def arrays(self, *, landmarks: bool = True) -> dict[str, np.ndarray]:
        """The committed take rows and fixed arrays as take arrays (``meta`` with ``"partial"``)."""
        return _partial_arrays(self, landmarks=landmarks)

    def finish(self, take_path: str | Path) -> Path:
        """Write the final take from the committed rows (validated and streamed block by block, so memory does not
        grow with the take's length; atomically), then remove the folder.

        Raises:
            TakeFormatError: the rows do not make a valid take (nothing is written).
            InputError: the write failed (the folder is kept, so the work is not lost).
        """
        rows = self.rows("take")
        columns = self.manifest["sections"].get("take", {}).get("columns", {})
        for start in range(0, max(rows, 1), _VALIDATE_BLOCK_FRAMES):
            try:
                problems = validate_take_arrays(self._block_arrays(start, min(start + _VALIDATE_BLOCK_FRAMES, rows)))
            except TakeFormatError as err:
                problems = [str(err)]
            if problems:
                raise TakeFormatError(f"refusing to write {Path(take_path).name}: {join_problems(problems)}")
        fixed = _partial_arrays(self, landmarks=False, final=True, per_frame=False)
        members = {
            key: functools.partial(self._stream_column, key=key, rows=rows) if key in columns else fixed[key]
            for key in ARRAY_KEYS
        }
        path = Path(take_path).resolve()
        with atomic_write(path) as tmp:
            write_npz(tmp, members)  # the one archive writer, as save_take's
        shutil.rmtree(self.folder, ignore_errors=True)
        return path

    def _block_arrays(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Take arrays of frames ``[start, stop)`` for validation; ``time`` measured from the block's first frame
        (the whole take's ``time`` starts at 0 and never goes back: checked across blocks here too).
        """
        arrays = _partial_arrays(self, landmarks=True, final=True, per_frame=False)
        columns = self.manifest["sections"].get("take", {}).get("columns", {})
        for key in columns:
            arrays[key] = self.read("take", key, start, stop)
        if "time" in arrays and start > 0 and len(arrays["time"]):
            if arrays["time"][0] < float(self.read("take", "time", start - 1, start)[0]):
                raise TakeFormatError(f"'time' must be non-decreasing; goes back at frame {start}")
            arrays["time"] = arrays["time"] - arrays["time"][0]
        return arrays

    def _stream_column(self, member, *, key: str, rows: int) -> None:
        dtype, shape = self.manifest["sections"]["take"]["columns"][key]
        header = {
            "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
            "fortran_order": False,
            "shape": (rows, *shape),
        }
        np.lib.format.write_array_header_1_0(member, header)
        with open(self._column_path("take", key), "rb") as f:
            remaining = rows * self._row_bytes("take", key)
            while remaining > 0:
                block = f.read(min(_COPY_BLOCK_BYTES, remaining))
                if not block:
                    raise OSError(f"{key} rows end early")
                member.write(block)
                remaining -= len(block)


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / _MANIFEST
    if not path.is_file():
        raise InputError(f"no partial take at {folder}")
    try:
        if path.stat().st_size > DEFAULT_LIMITS.max_text_chars * 4:
            raise ValueError("manifest too large")
        manifest = json.loads(path.read_text(encoding="utf-8"))
        ok = isinstance(manifest, dict) and manifest.get("format") == PARTIAL_FORMAT
        if not ok or manifest.get("version") != _VERSION or not isinstance(manifest.get("sections"), dict):
            raise ValueError("not a partial-take manifest")
        for name, section in manifest["sections"].items():
            if not (str(name).isidentifier() and all(str(k).isidentifier() for k in section["columns"])):
                raise ValueError("bad section or column name")  # names become file names: never a path
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise TakeFormatError(f"{folder.name}: not a readable partial take ({err})") from None
    return manifest


def _partial_arrays(
    partial: PartialTake, *, landmarks: bool, final: bool = False, per_frame: bool = True
) -> dict[str, np.ndarray]:
    rows = partial.rows("take")
    arrays: dict[str, np.ndarray] = {}
    for key, (dtype, shape, values) in partial.manifest["fixed"].items():
        if key in ARRAY_KEYS:
            arrays[key] = np.asarray(values, dtype=np.dtype(dtype)).reshape(shape)
    columns = partial.manifest["sections"].get("take", {}).get("columns", {}) if per_frame else {}
    for key in PER_FRAME_KEYS:
        if key not in columns:
            continue
        if not landmarks and key in ("landmarks", "model_landmarks"):
            arrays[key] = np.broadcast_to(np.float32(np.nan), (rows, *columns[key][1]))
        else:
            arrays[key] = partial.read("take", key, 0, rows)
    meta = dict(partial.manifest["meta"])
    if not final:
        detail = {k: partial.rows(k) for k in partial.manifest["sections"]}
        meta["partial"] = {"frames": rows, "sections": detail, "job": partial.job}
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    return arrays


def load_partial_take(folder: str | Path, *, landmarks: bool = True, limits: ReadLimits = DEFAULT_LIMITS) -> Take:
    """The finished frames of a partial take, as a take whose ``meta["partial"]`` says how far it got.

    Raises:
        InputError: no partial take there. TakeFormatError: unreadable, or no finished frame yet (the message
            says how far the run got and how to resume it).
    """
    folder = Path(folder)
    partial = PartialTake(folder, _read_manifest(folder))
    frames = partial.rows("take")
    if frames > limits.max_frames:
        raise TakeFormatError(f"{folder.name}: {frames} frames; at most {limits.max_frames} are read")
    for key in partial.manifest["sections"].get("take", {}).get("columns", {}):
        column = partial._column_path("take", key)
        if (os.path.getsize(column) if column.is_file() else 0) < frames * partial._row_bytes("take", key):
            raise TakeFormatError(f"{folder.name}: {key} holds fewer rows than its manifest says")
    if frames == 0:
        done = {k: v for k, v in ((k, partial.rows(k)) for k in partial.manifest["sections"]) if v}
        raise TakeFormatError(
            f"{folder.name}: a partial take with no finished frame yet (rows so far: {done or 'none'}); "
            "continue it with 'track --resume'"
        )
    arrays = _partial_arrays(partial, landmarks=landmarks)
    problems = validate_take_arrays(arrays)
    if problems:
        raise TakeFormatError(f"{folder.name}: {join_problems(problems)}")
    return take_from_arrays(arrays, convert=False)
