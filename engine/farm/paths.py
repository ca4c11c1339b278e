r"""Path mapping: the paths of this machine as the farm's machines see them.

A plan is made on one machine (the submitter) and run on others that may mount the same storage elsewhere
(``/mnt/shots`` here, ``/studio/shots`` or ``S:\shots`` on the farm). Every path in a task's command line goes
through :meth:`PathMap.to_farm`: the longest rule whose source folder contains the path replaces that folder by the
rule's target. A target that looks like a Windows path (a drive letter or a backslash) gets backslashes.

Paths are made absolute (``os.path.abspath``) but symlinks are kept as written: a virtual environment's
``bin/python`` is a symlink that must stay one, and a studio's mount point is the name the farm knows. A path
written the Windows way on a Linux or macOS submitter (``--engine-python 'C:\mocap\.venv\Scripts\python.exe'``: a
drive or a UNC path), or one that starts with a Flamenco variable (``'{mocap_python}'``), is already the farm's: it is
passed on as written. (A backslash elsewhere is a character of a POSIX name: ``day1\a.mp4`` is mapped.)
"""

from __future__ import annotations

import dataclasses
import ntpath
import os
import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError

__all__ = ["PathMap", "PathMapping", "farm_join"]

_WINDOWS_PATH = re.compile(r"^[A-Za-z]:|\\")
_FARM_ALREADY = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\|\{\w+\})")
"""A path written for the farm already: a Windows drive or UNC path (on a POSIX submitter), or one that starts with
a Flamenco variable (``{python}/bin/python``)."""


def _is_windows_style(path: str) -> bool:
    return bool(_WINDOWS_PATH.search(path))


def farm_join(folder: str, *names: str) -> str:
    r"""Join file names onto a farm folder in that folder's own separator style.

    Example:
        >>> farm_join("/studio/takes", "a.npz")
        '/studio/takes/a.npz'
        >>> farm_join("T:\\takes", "a.npz")
        'T:\\takes\\a.npz'
    """
    if _is_windows_style(folder):
        return ntpath.join(folder, *names)
    return "/".join([folder.rstrip("/"), *names]) if names else folder


@dataclasses.dataclass(frozen=True)
class PathMapping:
    """One rule: the folder ``source`` on this machine is ``target`` on the farm machines."""

    source: str
    target: str

    @classmethod
    def from_spec(cls, spec: str) -> PathMapping:
        """Parse ``FROM=TO`` (``FROM`` an absolute folder here, ``TO`` the same folder on the farm).

        Example:
            >>> PathMapping.from_spec("/mnt/shots=/studio/shots")
            PathMapping(source='/mnt/shots', target='/studio/shots')
        """
        source, sep, target = spec.partition("=")
        if not sep or not source or not target:
            raise InputError(f"path mapping must be FROM=TO (a folder here = the same folder on the farm): {spec!r}")
        if not os.path.isabs(source):
            raise InputError(f"path mapping: FROM must be an absolute folder on this machine: {source!r}")
        return cls(os.path.normpath(source), target.rstrip("/\\") or target)


@dataclasses.dataclass(frozen=True)
class PathMap:
    """Rules applied to every path a plan writes into a command line (none: paths stay as they are here)."""

    rules: tuple[PathMapping, ...] = ()

    @classmethod
    def from_specs(cls, specs: Sequence[str]) -> PathMap:
        """Rules from ``FROM=TO`` strings (see :meth:`PathMapping.from_spec`)."""
        return cls(tuple(PathMapping.from_spec(s) for s in specs))

    def to_farm(self, path: str | Path) -> str:
        r"""The absolute path ``path`` of this machine, as the farm machines see it.

        Example:
            >>> rules = PathMap.from_specs(["/mnt/shots=/studio/shots", "/mnt/shots/raw=S:\\raw"])
            >>> rules.to_farm("/mnt/shots/day1/a.mp4")
            '/studio/shots/day1/a.mp4'
            >>> rules.to_farm("/mnt/shots/raw/b.mp4")
            'S:\\raw\\b.mp4'
            >>> rules.to_farm("/mnt/shotsX/c.mp4")
            '/mnt/shotsX/c.mp4'
            >>> rules.to_farm("C:\\mocap\\.venv\\Scripts\\python.exe")
            'C:\\mocap\\.venv\\Scripts\\python.exe'
        """
        if _FARM_ALREADY.match(str(path)) and (os.name != "nt" or str(path).startswith("{")):
            return str(path)  # the farm's already: a Windows machine's path here, or a Flamenco variable
        local = os.path.normpath(os.path.abspath(path))
        best: PathMapping | None = None
        for rule in self.rules:
            inside = local == rule.source or local.startswith(rule.source.rstrip(os.sep) + os.sep)
            if inside and (best is None or len(rule.source) > len(best.source)):
                best = rule
        if best is None:
            return local
        rest = os.path.relpath(local, best.source)
        return best.target if rest == os.curdir else farm_join(best.target, *Path(rest).parts)
