"""Takes tracked before the .blend is first saved: where they go, and how they come home.

A relative Takes Folder (the default ``//takes/``) means nothing until the .blend has a place, so a track in an
unsaved file writes its take into a temporary folder of this Blender session (another session's take of the same
clip never replaces it). When the file is saved, every take of the temporary folder that the file uses (a scene's
take, a baked Action's) moves into the takes folder beside the saved .blend, under a name no file there has, with
its entry in that folder's takes record; the scenes and Actions then point there, so what is saved holds the new
paths. A temporary folder is emptied by the system, and the take would be gone with it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import bpy

from .._contract import takes_record
from ..blender.anim_write import ACTION_TAKE_PATH

__all__ = ["keep_unsaved_takes", "takes_folder", "temporary_takes_folder"]


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


def _move_take(take: Path, folder: Path) -> Path:
    """Move ``take`` into ``folder`` (never over a file there) with its takes-record entry; the new path."""
    folder.mkdir(parents=True, exist_ok=True)
    moved = folder / _free_name(folder, take.name)
    shutil.move(take, moved)
    old = takes_record.TakesRecord.read(take.parent)
    clip = old.take_clip(take.name)
    if clip is not None:
        span = old.take_span(take.name)
        takes_record.TakesRecord.read(folder).enter_written_take(
            moved.name, Path(clip), None if span is None else tuple(span)
        )
    return moved


@bpy.app.handlers.persistent
def keep_unsaved_takes(filepath: str = "", *_args) -> None:
    """A ``save_pre`` handler (registered by the add-on's ``register``): move the file's takes out of the temporary
    folder into the takes folder beside ``filepath`` (see the module docstring).
    """
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
    moved: dict[str, str] = {}
    for take, folder in home.items():
        path = Path(take)
        if path.parent == temporary and path.is_file() and folder != temporary:
            try:
                moved[take] = str(_move_take(path, folder))
            except OSError as err:  # the file saves; the take stays where it was, and the console says why
                print(f"Face Mocap: {path.name} stays in {temporary}: it could not move to {folder} ({err})")
    for scene in scenes:
        s = scene.facemocap
        if bpy.path.abspath(s.take_path) in moved:
            s.take_path = moved[bpy.path.abspath(s.take_path)]
    for action in bpy.data.actions:
        if str(action.get(ACTION_TAKE_PATH, "")) in moved:
            action[ACTION_TAKE_PATH] = moved[str(action[ACTION_TAKE_PATH])]
