"""Takes tracked before the .blend is first saved: where they go, and how they come home.

A relative Takes Folder (the default ``//takes/``) means nothing until the .blend has a place, so a track in an
unsaved file writes its take into a temporary folder of this Blender session (another session's take of the same
clip never replaces it). When the file is saved, every take of the temporary folder that the file uses (a scene's
take, a baked Action's) moves into the takes folder beside the saved .blend, under a name no file there has, with
its entry in that folder's takes record; the scenes and Actions then point there, so what is saved holds the new
paths. A temporary folder is emptied by the system, and the take would be gone with it. A Save Copy gives the copy
its own copies of the takes, and this session goes on with the temporary ones (it is still the unsaved file).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import bpy

from .._contract import takes_record
from ..blender.anim_write import ACTION_TAKE_PATH

__all__ = ["keep_unsaved_takes", "settle_unsaved_takes", "takes_folder", "temporary_takes_folder"]


def temporary_takes_folder() -> Path:
    """This Blender session's folder for takes tracked in an unsaved file."""
    return Path(tempfile.gettempdir()) / "facemocap_takes" / str(os.getpid())


def takes_folder(s, blend_path: str | None = None) -> Path:
    """The panel's takes folder, absolute, for the open .blend (or for one at ``blend_path``); the temporary folder
    while a relative one has no saved .blend to be relative to (Blender's ``abspath`` then gives ``takes/``, relative
    to wherever Blender was started).
    """
    given = s.takes_dir or "//takes/"
    if given.startswith("//") and blend_path:
        return Path(blend_path).parent / given[2:]
    folder = bpy.path.abspath(given)
    return Path(folder) if folder and os.path.isabs(folder) else temporary_takes_folder()


def _free_name(folder: Path, name: str) -> str:
    """``name``, or ``<stem>_2.npz``, ``<stem>_3.npz``, ...: the first that no file in ``folder`` has."""
    stem, suffix = os.path.splitext(name)
    candidate, n = name, 1
    while (folder / candidate).exists():
        n += 1
        candidate = f"{stem}_{n}{suffix}"
    return candidate


def _copy_take(take: Path, folder: Path) -> Path:
    """Copy ``take`` into ``folder`` (never over a file there) with its takes-record entry; the copy's path."""
    folder.mkdir(parents=True, exist_ok=True)
    copied = folder / _free_name(folder, take.name)
    shutil.copy2(take, copied)
    old = takes_record.TakesRecord.read(take.parent)
    clip = old.take_clip(take.name)
    if clip is not None:
        span = old.take_span(take.name)
        record = takes_record.TakesRecord.read(folder)
        record.enter_written_take(copied.name, Path(clip), None if span is None else tuple(span))
    return copied


_being_saved: dict[str, dict[str, str]] = {}  # the save under way (save_pre -> save_post): path -> {temporary: copy}


def _repoint(paths: dict[str, str]) -> None:
    """Point the scenes' takes and the Actions' recorded takes from each key of ``paths`` to its value."""
    for scene in bpy.data.scenes:
        s = getattr(scene, "facemocap", None)
        if s is not None and bpy.path.abspath(s.take_path) in paths:
            s.take_path = paths[bpy.path.abspath(s.take_path)]
    for action in bpy.data.actions:
        if str(action.get(ACTION_TAKE_PATH, "")) in paths:
            action[ACTION_TAKE_PATH] = paths[str(action[ACTION_TAKE_PATH])]


@bpy.app.handlers.persistent
def keep_unsaved_takes(filepath: str = "", *_args) -> None:
    """A ``save_pre`` handler (registered by the add-on's ``register``): copy the file's takes from the temporary
    folder into the takes folder beside ``filepath`` and point the file at the copies, so what is written holds
    them; :func:`settle_unsaved_takes` then removes the temporary ones, or, after a Save Copy, points this session
    back at them (the copy keeps its own).
    """
    _being_saved.clear()
    temporary = temporary_takes_folder()
    if not filepath or not temporary.is_dir():
        return
    scenes = [scene for scene in bpy.data.scenes if getattr(scene, "facemocap", None) is not None]
    home = {}  # a temporary take -> the takes folder it goes to: its scene's, else the window's scene's
    for scene in scenes:
        take = bpy.path.abspath(scene.facemocap.take_path)
        if take:
            home.setdefault(take, takes_folder(scene.facemocap, filepath))
    fallback = takes_folder(bpy.context.scene.facemocap, filepath) if scenes else None
    for action in bpy.data.actions:
        recorded = str(action.get(ACTION_TAKE_PATH, ""))
        if recorded and fallback is not None:
            home.setdefault(recorded, fallback)
    copied: dict[str, str] = {}
    for take, folder in home.items():
        path = Path(take)
        if path.parent == temporary and path.is_file() and folder != temporary:
            try:
                copied[take] = str(_copy_take(path, folder))
            except OSError as err:  # the file saves; the take stays where it was, and the console says why
                print(f"Face Mocap: {path.name} stays in {temporary}: it could not be copied to {folder} ({err})")
    _repoint(copied)
    _being_saved[filepath] = copied


@bpy.app.handlers.persistent
def settle_unsaved_takes(filepath: str = "", *_args) -> None:
    """A ``save_post`` handler: the file is now ``filepath`` (a save): the temporary takes it was pointed away from
    go; else (Save Copy: the session is still the unsaved file) the session points at them again.
    """
    copied = _being_saved.pop(filepath, {})
    _being_saved.clear()
    if not copied:
        return
    if os.path.abspath(bpy.data.filepath or "") != os.path.abspath(filepath):
        _repoint({copy: take for take, copy in copied.items()})
        return
    for take in copied:
        Path(take).unlink(missing_ok=True)
