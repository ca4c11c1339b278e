"""What the farm made in a takes folder, and from what: so a re-run knows a take from another clip, a re-delivered
clip, a bake onto another rig or mapping, and its own .blend from an artist's. Part of the contract: the farm's
plan (``engine/farm/plan.py``) writes it, the add-on's headless batch reads it (a .blend the farm made may be baked
again on any machine).

The takes folder holds :data:`RECORD_NAME` (JSON, written by the submitting machine when a plan is run or
submitted, never by ``farm plan``):

- ``takes``: ``"<name>.npz"`` -> ``{"clip": absolute clip path, "stamp": [size, mtime_ns]}``: the clip the take is
  tracked from. A take recorded for another clip of the same name is not that clip's (the plan refuses instead of
  passing it off as done); a recorded clip whose stamp changed (a new version delivered under the same name) is
  tracked again.
- ``blends``: ``"<name>.blend"`` -> ``{"take": "<name>.npz", "bake": what it was baked with}`` (the rig
  file and its stamp, or the demo rig; the mapping and, for a file, its stamp). A .blend baked with anything else is
  baked again, and a .blend the record holds is the farm's own, so the bake may replace it (``--overwrite``) on any
  machine, whatever that user's output ledger says. A .blend the record does not hold is never claimed: an
  artist's file in a .blend's place stays protected.

Takes made before the record existed (no entry) are taken as they are: a valid take is done. The .blend files are
keyed by name (the farm's machines may see the blends folder under another path). The record is written
atomically; two submissions into one takes folder at the same moment may lose one's entries (the next plan then
treats those files as unrecorded).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from .atomic_write import atomic_write
from .output_guard import file_stamp

__all__ = ["RECORD_NAME", "FarmRecord", "bake_key"]

RECORD_NAME = ".facemocap_farm.json"


def bake_key(rig: Path | None, mapping: str, mapping_is_file: bool) -> dict:
    """What a bake depends on besides its take: the rig (file and stamp, or the demo rig) and the mapping."""
    key: dict = {"rig": "demo" if rig is None else str(rig.resolve()), "mapping": mapping}
    if rig is not None:
        key["rig_stamp"] = file_stamp(rig)
    if mapping_is_file:
        key["mapping"] = str(Path(mapping).resolve())
        key["mapping_stamp"] = file_stamp(Path(mapping))
    return key


@dataclasses.dataclass
class FarmRecord:
    """The record of one takes folder (see the module docstring)."""

    folder: Path
    takes: dict[str, dict] = dataclasses.field(default_factory=dict)
    blends: dict[str, dict] = dataclasses.field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path) -> FarmRecord:
        """The folder's record; empty if there is none or it cannot be read (nothing is then claimed)."""
        try:
            data = json.loads((folder / RECORD_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(folder)
        if not isinstance(data, dict):
            return cls(folder)
        takes, blends = data.get("takes"), data.get("blends")
        return cls(folder, takes if isinstance(takes, dict) else {}, blends if isinstance(blends, dict) else {})

    def write(self) -> None:
        """Write the record (atomically)."""
        with atomic_write(self.folder / RECORD_NAME) as tmp:
            tmp.write_text(json.dumps({"schema": 1, "takes": self.takes, "blends": self.blends}, indent=1))

    def take_clip(self, take_name: str) -> str | None:
        """The clip a take is recorded as tracked from, or None."""
        entry = self.takes.get(take_name)
        return str(entry.get("clip")) if isinstance(entry, dict) and entry.get("clip") else None

    def take_is_current(self, take_name: str, clip: Path) -> bool:
        """False if the take is recorded for this clip with another stamp (a new version delivered); else True."""
        entry = self.takes.get(take_name)
        if not isinstance(entry, dict) or entry.get("clip") != str(clip.resolve()):
            return True
        return entry.get("stamp") == file_stamp(clip)

    def blend_is_ours(self, blend_name: str) -> bool:
        """True if the record holds this .blend (by file name: the farm made it)."""
        return blend_name in self.blends

    def blend_is_current(self, blend_name: str, key: dict) -> bool:
        """True unless the .blend is recorded as baked with something other than ``key``."""
        entry = self.blends.get(blend_name)
        return not isinstance(entry, dict) or entry.get("bake") == key
