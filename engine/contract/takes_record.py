"""Which clip each take in a takes folder was tracked from, and what each .blend beside it was baked with: one
record per takes folder, kept by both sides. Part of the contract: the add-on's Track button
(``blender_addon/ui/operators/track.py``), ``engine batch`` (``engine/cli.py``) and the farm's plan
(``engine/farm/plan.py``) enter their takes; the farm enters its .blend files, which the add-on's headless batch may
then bake again on any machine.

The takes folder holds :data:`RECORD_NAME` (JSON, ``{"schema": 2, "takes": ..., "blends": ...}``):

- ``takes``: ``"<name>.npz"`` -> ``{"clip": absolute clip path, "clip_from_takes": the clip's path from the takes
  folder, "stamp": [size, mtime_ns], "span": [start, end]}``: the clip (a video, an image or an image folder) the take
  is tracked from, and the part of it in seconds (``span`` only for a part: the panel's Range, batch's
  ``--start``/``--end``; ``null`` for an open end). A clip is the recorded one if either path is the same: machines
  that mount the shared storage under other paths (``/mnt/proj``, ``/Volumes/proj``) see one clip at one path from the
  takes folder. Two clips of one name, or two parts of one clip, never share a take: the panel gives the second its
  own name (:meth:`TakesRecord.take_name_for`: ``shot_2.npz``), the farm's plan refuses to pass the first's take off
  as the second's. A recorded clip whose stamp changed (a new version delivered under the same name) is tracked again
  by the farm. A take file the record does not know (copied in by hand, or the record lost) is never replaced by the
  panel, and taken as it is by the farm when it is a valid take.
- ``blends``: ``"<name>.blend"`` -> ``{"take": "<name>.npz", "bake": what it was baked with}`` (the rig file and its
  stamp, or the demo rig; the mapping and, for a file, its stamp: :func:`bake_key`; files by name and stamp, so any
  machine's path to them will do). A .blend baked with anything else is baked again, and a .blend the record holds is
  the farm's own, so the bake may replace it (``--overwrite``) on any machine, whatever that user's output ledger
  says. A .blend the record does not hold is never claimed: an artist's file in a .blend's place stops the farm's
  plan. The .blend files are keyed by name (the farm's machines may see the blends folder under another path).

The farm's plan enters its takes and .blend files before their tasks run (the bakes read the record); such an entry
is ``pending`` (``entered_ns``) until its file is written after it, so a task that failed or never ran is planned
again. A .blend entry also says where the file is (``blend``, ``blend_from_takes``): an artist's file of the name in
another blends folder is not the farm's. An image folder's stamp is its frames' (total size, latest time).

Older folders hold the record in its earlier forms, read as they are: the panel's index (the same file name, a flat
``{"<name>.npz": clip}``) and the farm's ``.facemocap_farm.json`` (:data:`FARM_RECORD_NAME`, this schema without the
panel's takes). The first write merges them into :data:`RECORD_NAME` and removes the farm's file. The record is
written atomically, under a lock (:data:`LOCK_NAME`, where the file system has locks), over the record as it is
then: two writers into one takes folder (two submitters, the panel beside a farm plan) each add their own entries.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

from .atomic_write import atomic_write
from .errors import UserError
from .image_suffixes import split_image_files
from .output_guard import file_stamp
from .version import project_version
from .writer_lock import LOCK_SUFFIX, writer_lock

__all__ = [
    "FARM_RECORD_NAME",
    "LOCK_NAME",
    "RECORD_NAME",
    "Span",
    "TakesRecord",
    "bake_key",
    "clip_stamp",
    "same_stamp",
]

RECORD_NAME = ".facemocap_takes.json"
LOCK_NAME = RECORD_NAME + LOCK_SUFFIX
RECORD_WAIT_S = 10.0  # a write of the record waits this long for another writer (each holds it for milliseconds)
FARM_RECORD_NAME = ".facemocap_farm.json"  # the farm's record before it was merged into RECORD_NAME
SCHEMA = 2
Span = tuple[float | None, float | None]  # a part of a clip, seconds: (start, end), None for an open end
MAX_SUFFIX = 10_000  # shot.npz, shot_2.npz, ... shot_9999.npz


def bake_key(rig: Path | None, mapping: str, mapping_is_file: bool) -> dict:
    """What a bake depends on besides its take: the rig (file name and stamp, or the demo rig), the mapping (a
    preset's name, or a file's name and stamp) and the version that bakes (a new version may bake differently:
    0.2.0 turns bones in the character's axes). Names, not paths: every machine reaches the shared files its own way.
    """
    key: dict = {"rig": "demo" if rig is None else rig.name, "mapping": mapping, "version": project_version()}
    if rig is not None:
        key["rig_stamp"] = file_stamp(rig)
    if mapping_is_file:
        key["mapping"] = Path(mapping).name
        key["mapping_stamp"] = file_stamp(Path(mapping))
    return key


STAMP_MTIME_SLACK_NS = 2_000_000_000
"""How far apart two machines may read one file's modification time (ns): a server keeps nanoseconds, an SMB
client 100 ns, HFS+ 1 s, FAT 2 s."""


def same_stamp(a: object, b: object) -> bool:
    """Two :func:`~.output_guard.file_stamp` readings of one unchanged file: the same size, times within
    :data:`STAMP_MTIME_SLACK_NS` (another machine's view of the share). A new version delivered under the name has
    another size or a later time.

    >>> same_stamp([10, 1_700_000_000_123_456_789], [10, 1_700_000_000_123_456_700]), same_stamp([10, 0], [11, 0])
    (True, False)
    """
    if not (isinstance(a, list) and isinstance(b, list) and len(a) == len(b) == 2):
        return a == b
    return a[0] == b[0] and abs(int(a[1]) - int(b[1])) <= STAMP_MTIME_SLACK_NS


def clip_stamp(clip: Path) -> list[int] | None:
    """A clip's :func:`~.output_guard.file_stamp`; for an image folder, its frames' (total size, latest time): frames
    written over in place leave the folder's own size and time as they were; its other files do not count.
    """
    if not clip.is_dir():
        return file_stamp(clip)
    images, _ = split_image_files(clip.iterdir())  # a Thumbs.db or notes beside the frames: the clip is not new
    frames = [f for f in map(file_stamp, images) if f is not None]
    return [sum(f[0] for f in frames), max((f[1] for f in frames), default=0)]


def _written_since(path: Path, entry: dict) -> bool:
    """True unless ``path`` was last written before its record entry was made (the task that was to write it failed,
    or never ran: the entry speaks of a file that is not there yet).
    """
    entered = entry.get("entered_ns")
    stamp = file_stamp(path)
    # No slack here: a worker whose clock lags the submitter's only re-tracks; slack would pass off a failed task's
    # old file as written.
    return entered is None or stamp is None or stamp[1] >= int(entered)


def _same_bake(recorded: object, key: dict) -> bool:
    """A .blend's recorded bake is ``key`` (:func:`bake_key`): files by name (an earlier record held whole paths)
    and :func:`same_stamp`.
    """
    if not isinstance(recorded, dict) or set(recorded) != set(key):
        return False
    for field, value in key.items():
        if field.endswith("_stamp"):
            if not same_stamp(recorded[field], value):
                return False
        elif field == "version":
            if recorded[field] != value:
                return False
        elif Path(str(recorded[field])).name != Path(str(value)).name:
            return False
    return True


def _path_from(folder: Path, path: Path) -> str | None:
    """``path`` relative to ``folder``, ``/``-separated (both resolved), or None (another drive on Windows)."""
    try:
        return Path(os.path.relpath(path.resolve(), folder.resolve())).as_posix()
    except ValueError:
        return None


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _entries(data: object, part: str) -> dict[str, dict]:
    """``data[part]`` as ``{name: entry}``, dropping what is not a JSON object (a damaged record claims nothing)."""
    entries = data.get(part) if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        return {}
    return {str(name): entry for name, entry in entries.items() if isinstance(entry, dict)}


@dataclasses.dataclass
class TakesRecord:
    """The record of one takes folder (see the module docstring)."""

    folder: Path
    takes: dict[str, dict] = dataclasses.field(default_factory=dict)
    blends: dict[str, dict] = dataclasses.field(default_factory=dict)
    entered: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    """``("takes" | "blends", name)`` of every entry made since the record was read: what :meth:`write` adds."""
    as_read: dict[str, dict[str, dict]] = dataclasses.field(default_factory=lambda: {"takes": {}, "blends": {}})
    """The entries as they were read (what :meth:`take_back` puts back)."""

    @classmethod
    def read(cls, folder: Path) -> TakesRecord:
        """The folder's record, with its earlier forms' entries; empty if there is none or it cannot be read."""
        data = _read_json(folder / RECORD_NAME)
        if isinstance(data, dict) and "schema" not in data:  # the panel's flat index: {"shot.npz": clip}
            data = {"takes": {str(k): {"clip": v} for k, v in data.items() if isinstance(v, str)}}
        farm = _read_json(folder / FARM_RECORD_NAME)
        takes = {**_entries(farm, "takes"), **_entries(data, "takes")}
        blends = {**_entries(farm, "blends"), **_entries(data, "blends")}
        return cls(folder, takes, blends, as_read={"takes": dict(takes), "blends": dict(blends)})

    def write(self) -> None:
        """Add this record's entries to the folder's record as it is now, and write it (atomically, under the lock;
        the folder must exist); the farm's earlier record is then removed. Another writer's entries since this
        record was read are kept, this one's win where both entered one name.
        """
        self._merge({(part, name): getattr(self, part)[name] for part, name in self.entered})

    def enter_written_take(self, take_name: str, clip: Path, span: Span | None = None) -> str:
        """Enter a take just written (:meth:`enter_take`) and write the record, best effort: the take is whole
        whatever the record says, and a record that cannot be written only means a later track of the clip gets a
        new name. Returns why the record was not written, or "".
        """
        self.enter_take(take_name, clip, span)
        try:
            self.write()
        except (OSError, UserError) as err:
            return str(err)
        return ""

    def take_back(self) -> None:
        """Undo :meth:`write`'s entries in the folder's record as it is now (a submission that failed): each of this
        record's entries goes back to what it was when read, or away; other writers' entries since are kept.
        """
        self._merge({(part, name): self.as_read[part].get(name) for part, name in self.entered})

    def _merge(self, entries: dict[tuple[str, str], dict | None]) -> None:
        """Set (or, for None, remove) ``entries`` in the folder's record as it is now, under the lock, and write it."""
        with writer_lock(self.folder / RECORD_NAME, RECORD_WAIT_S, writer="process"):
            now = TakesRecord.read(self.folder)
            for (part, name), entry in entries.items():
                if entry is None:
                    getattr(now, part).pop(name, None)
                else:
                    getattr(now, part)[name] = entry
            self.takes, self.blends = now.takes, now.blends
            with atomic_write(self.folder / RECORD_NAME) as tmp:
                tmp.write_text(json.dumps({"schema": SCHEMA, "takes": self.takes, "blends": self.blends}, indent=1))
            (self.folder / FARM_RECORD_NAME).unlink(missing_ok=True)

    def enter_take(self, take_name: str, clip: Path, span: Span | None = None, *, pending: bool = False) -> None:
        """Record that take ``take_name`` is tracked from ``clip`` (as the clip is now), or from its part ``span``;
        ``pending``: before its track runs (the farm's plan): until the take file is written after this, the entry
        does not make it current.
        """
        entry: dict = {"clip": str(clip.resolve()), "clip_from_takes": _path_from(self.folder, clip)}
        entry["stamp"] = clip_stamp(clip)
        if pending:
            entry["entered_ns"] = time.time_ns()
        if span is not None:
            entry["span"] = list(span)
        self.takes[take_name] = entry
        self.entered.add(("takes", take_name))

    def take_clip(self, take_name: str) -> str | None:
        """The clip a take is recorded as tracked from (its path on the machine that tracked it), or None."""
        entry = self.takes.get(take_name)
        return str(entry["clip"]) if entry and entry.get("clip") else None

    def take_is_of(self, take_name: str, clip: Path) -> bool | None:
        """Whether a take is recorded as tracked from ``clip`` (by either of its paths); None: not recorded."""
        entry = self.takes.get(take_name)
        if not entry or not entry.get("clip"):
            return None
        return self._at(entry, "clip", clip)

    def take_span(self, take_name: str) -> list | None:
        """The part ``[start, end]`` of its clip a take is recorded as (seconds, None for an open end), or None:
        the whole clip, or not recorded.
        """
        entry = self.takes.get(take_name)
        return entry.get("span") if entry else None

    def take_is_part(self, take_name: str, span: Span | None) -> bool:
        """Whether a take is recorded as the part ``span`` of its clip (None: the whole clip, or not recorded)."""
        return self.take_span(take_name) == (None if span is None else list(span))

    def _at(self, entry: dict, key: str, path: Path) -> bool:
        """Whether ``entry`` records ``path`` under ``key``: its absolute path, or its path from the takes folder
        (``<key>_from_takes``: another machine mounting the share elsewhere).
        """
        if entry[key] == str(path.resolve()):
            return True
        from_takes = entry.get(f"{key}_from_takes")
        return from_takes is not None and from_takes == _path_from(self.folder, path)

    def enter_blend(
        self, blend_name: str, take_name: str, key: dict, blend: Path | None = None, *, pending: bool = False
    ) -> None:
        """Record that ``blend_name`` (at ``blend``) is the farm's bake of ``take_name`` with ``key``
        (:func:`bake_key`).
        """
        entry: dict = {"take": take_name, "bake": key}
        if pending:  # before its bake runs (the farm's plan): not current until the .blend is written after this
            entry["entered_ns"] = time.time_ns()
        if blend is not None:
            entry["blend"], entry["blend_from_takes"] = str(blend.resolve()), _path_from(self.folder, blend)
        self.blends[blend_name] = entry
        self.entered.add(("blends", blend_name))

    def take_is_current(self, take_name: str, clip: Path, take: Path | None = None) -> bool:
        """False if the take is recorded for this clip with another stamp (a new version delivered), or, given the
        take file, if it was not written since it was entered (its track failed or never ran); else True.
        """
        entry = self.takes.get(take_name)
        if not self.take_is_of(take_name, clip) or "stamp" not in entry:
            return True
        if take is not None and not _written_since(take, entry):
            return False
        return same_stamp(entry["stamp"], clip_stamp(clip))

    def take_name_for(self, clip: Path, span: Span | None = None) -> str:
        """The take file name for ``clip`` (or its part ``span``) in this folder: its own from an earlier track of
        the same clip and part, else the first free ``<stem>.npz``, ``<stem>_2.npz``, ... (a file the record does
        not know is never taken).

        >>> import tempfile
        >>> record = TakesRecord(Path(tempfile.mkdtemp()))
        >>> record.take_name_for(Path("/day1/shot.mp4"))
        'shot.npz'
        >>> record.enter_take("shot.npz", Path("/day1/shot.mp4"))
        >>> _ = (record.folder / "shot.npz").write_bytes(b"a take")
        >>> record.take_name_for(Path("/day1/shot.mp4")), record.take_name_for(Path("/day2/shot.mp4"))
        ('shot.npz', 'shot_2.npz')
        """
        clip = clip.resolve()
        stem = (clip.name if clip.is_dir() else clip.stem) or "take"  # a sequence folder: its whole name, as batch's
        for n in range(1, MAX_SUFFIX):
            name = f"{stem}.npz" if n == 1 else f"{stem}_{n}.npz"
            known = self.take_is_of(name, clip)
            same_part = self.take_is_part(name, span)
            if (known and same_part) or (known is None and not (self.folder / name).exists()):
                return name
        raise RuntimeError(f"no free take name for {stem} in {self.folder}")

    def blend_is_ours(self, blend_name: str, blend: Path | None = None) -> bool:
        """True if the record holds this .blend (the farm made it): by file name, and, where the record says where
        and ``blend`` is given, in that folder (by either path: machines mount the share elsewhere); an artist's file
        of the name in another ``--blends`` folder is not.
        """
        entry = self.blends.get(blend_name)
        if entry is None:
            return False
        return blend is None or "blend" not in entry or self._at(entry, "blend", blend)

    def blend_is_current(self, blend_name: str, key: dict, blend: Path | None = None) -> bool:
        """True unless the .blend is recorded as baked with something other than ``key``, or, given the file, it
        was not written since it was entered (its bake failed or never ran).
        """
        entry = self.blends.get(blend_name)
        if entry is None:
            return True
        if blend is not None and not _written_since(blend, entry):
            return False
        return _same_bake(entry.get("bake"), key)
