"""Fixtures for the add-on tests. bpy tests skip cleanly when the bpy module is absent (the engine's .venv)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


DEMO_HEAD = REPO / "engine" / "data" / "face_head.npz"


@pytest.fixture(scope="session")
def head_path() -> Path:
    """The shipped demo head (ICT-FaceKit's scanned head with the 46 expressions)."""
    assert DEMO_HEAD.is_file(), "engine/data/face_head.npz is committed; rebuild it with python -m engine build-model"
    return DEMO_HEAD


@pytest.fixture(scope="session")
def addon():
    """The add-on registered from the repository checkout (real bpy)."""
    pytest.importorskip("bpy")
    import blender_addon

    blender_addon.register()
    yield blender_addon
    blender_addon.unregister()


@pytest.fixture
def scene(addon):
    """A fresh empty file's scene at 30 fps, frame_start 1."""
    import bpy

    bpy.ops.wm.read_homefile(use_empty=True)
    sc = bpy.context.scene
    sc.render.fps, sc.render.fps_base = 30, 1.0
    sc.frame_start = 1
    return sc


@pytest.fixture
def demo_rig(scene, head_path):
    from blender_addon.blender.rig_build import build_demo_rig

    return build_demo_rig(scene, head_path=head_path)


def make_shape_key_mesh(name: str, key_names: list[str]):
    """A small mesh object with Basis + the given shape keys, linked to the scene."""
    import bpy

    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    for k in key_names:
        kb = obj.shape_key_add(name=k, from_mix=False)
        kb.data[0].co.z = 0.1
    return obj


def shape_values(obj, names) -> object:
    import numpy as np

    kb = obj.data.shape_keys.key_blocks
    return np.array([kb[n].value for n in names], dtype=np.float64)
