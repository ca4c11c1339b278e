"""Packaging: build the zip, install it as a package elsewhere and register it; register from the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
import zipfile

import pytest
from conftest import REPO


def _version() -> str:
    with (REPO / "blender_addon" / "blender_manifest.toml").open("rb") as f:
        return tomllib.load(f)["version"]


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory):
    sys.path.insert(0, str(REPO))
    import build_addon

    return build_addon.build(tmp_path_factory.mktemp("dist"))


def test_zip_named_from_manifest_and_complete(built_zip):
    assert built_zip.name == f"facewarehouse_mocap-{_version()}.zip"
    names = set(zipfile.ZipFile(built_zip).namelist())
    for required in (
        "blender_manifest.toml",
        "__init__.py",
        "ui/operators/track.py",
        "pure/bridge.py",
        "blender/bake.py",
        "rigs/__init__.py",
        "rigs/names/facewarehouse46.toml",
        "rigs/names/arkit52.toml",
        "rigs/mappings/facewarehouse46_to_arkit52.toml",
        "contract/__init__.py",
        "contract/take_io.py",
        "contract/livelink_csv.py",
    ):
        assert required in names
    assert {"data/face_head.npz", "data/ICT-FaceKit-LICENSE.txt"} <= names  # the demo head ships with its licence
    assert "LICENSE" in names and "GNU GENERAL PUBLIC LICENSE" in zipfile.ZipFile(built_zip).read("LICENSE").decode()
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    # of the engine only its contract is shipped
    engine_files = {n for n in names if n.startswith("contract/")}
    assert engine_files == {
        f"contract/{p.relative_to(REPO / 'engine' / 'contract').as_posix()}"
        for p in (REPO / "engine" / "contract").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert not any(n.startswith("engine/") for n in names)


def test_zip_passes_blenders_own_extension_validation(built_zip):
    """``blender --command extension validate`` (the check extensions.blender.org runs): the manifest's limits."""
    from pathlib import Path

    bpy = pytest.importorskip("bpy")

    tool = Path(bpy.utils.system_resource("SCRIPTS")) / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
    assert tool.is_file(), f"Blender's extension tool is not at {tool}"
    run = subprocess.run([sys.executable, str(tool), "validate", str(built_zip)], capture_output=True, text=True)
    assert run.returncode == 0 and "FATAL" not in run.stdout + run.stderr, run.stdout + run.stderr


def test_zip_registers_and_builds_demo_rig_outside_the_repo(built_zip, tmp_path):
    """The unpacked extension imports its vendored rigs (no repo on sys.path) and registers in real Blender."""
    pytest.importorskip("bpy")
    pkg = tmp_path / "facewarehouse_mocap"
    zipfile.ZipFile(built_zip).extractall(pkg)
    script = textwrap.dedent(f"""
        import sys
        sys.path[:] = [p for p in sys.path if p not in ('', {str(REPO)!r})]
        sys.path.insert(0, {str(tmp_path)!r})
        import bpy
        import facewarehouse_mocap as addon
        addon.register()
        from facewarehouse_mocap import _contract, _rigs
        assert _rigs.rigs.__name__ == "facewarehouse_mocap.rigs", _rigs.rigs.__name__
        assert _contract.take_io.__name__ == "facewarehouse_mocap.contract.take_io", _contract.take_io.__name__
        from facewarehouse_mocap.contract import _rigs as contract_rigs, version
        assert contract_rigs.rigs is _rigs.rigs, contract_rigs.rigs.__name__
        assert version.project_version() == {_version()!r}, version.project_version()
        assert "engine" not in sys.modules
        assert hasattr(bpy.types.Scene, "facemocap")
        head = _contract.face_head.default_head_path()
        assert str(head) == {str(tmp_path)!r} + "/facewarehouse_mocap/data/face_head.npz", head
        assert bpy.ops.facemocap.build_demo_rig() == {{"FINISHED"}}
        mesh = bpy.context.scene.facemocap.target_mesh
        assert len(mesh.data.shape_keys.key_blocks) == 47
        assert mesh.data.color_attributes.active_color.name == "Color"
        addon.unregister()
        print("ZIP-OK")
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "ZIP-OK" in proc.stdout, proc.stderr[-2000:]


def test_zip_installed_twice_then_uninstalled_leaves_nothing_for_the_exit(built_zip, tmp_path):
    """Install from Disk, again (an update), then Remove, as in Preferences > Get Extensions: the process ends
    cleanly (each install had left an exit hook that failed on the removed package, printing tracebacks).
    """
    pytest.importorskip("bpy")
    script = textwrap.dedent(f"""
        import bpy
        for _ in range(2):
            result = bpy.ops.extensions.package_install_files(
                filepath={str(built_zip)!r}, repo="user_default", enable_on_install=True
            )
            assert result == {{"FINISHED"}}, result
            assert hasattr(bpy.types.Scene, "facemocap")
        repos = bpy.context.preferences.extensions.repos
        index = [i for i, r in enumerate(repos) if r.module == "user_default"][0]
        assert bpy.ops.extensions.package_uninstall(repo_index=index, pkg_id="facewarehouse_mocap") == {{"FINISHED"}}
        assert not hasattr(bpy.types.Scene, "facemocap")
        print("UNINSTALLED")
    """)
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(tmp_path / "user")}
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=env)  # fmt: skip
    assert proc.returncode == 0 and "UNINSTALLED" in proc.stdout, proc.stderr[-2000:]
    assert "Exception ignored" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-2000:]


def test_register_from_checkout_and_preferences_idname(addon):
    import bpy

    from blender_addon.ui import idnames, preferences

    assert preferences.FACEMOCAP_AP_preferences.bl_idname == "blender_addon"
    for op in (
        idnames.OP_TRACK,
        idnames.OP_BAKE,
        idnames.OP_BUILD_DEMO_RIG,
        idnames.OP_IMPORT_LIVELINK,
        idnames.OP_EXPORT_LIVELINK,
        idnames.OP_CHECK_ENGINE,
    ):
        module, name = op.split(".")
        assert hasattr(getattr(bpy.ops, module), name)
        assert getattr(getattr(bpy.ops, module), name).get_rna_type() is not None
    assert isinstance(bpy.types.Panel.bl_rna_get_subclass_py(idnames.PT_MAIN), type)


def test_import_has_no_side_effects():
    """Importing the package registers nothing (a fresh interpreter)."""
    pytest.importorskip("bpy")
    script = (
        "import bpy, blender_addon; import blender_addon.blender.bake, blender_addon.batch; "
        "print(hasattr(bpy.types.Scene, 'facemocap'))"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("False"), proc.stderr[-2000:]


PURE_FILES = sorted(
    str(p.relative_to(REPO / "blender_addon"))
    for p in [*(REPO / "blender_addon" / "pure").glob("*.py"), *(REPO / "blender_addon").glob("_[!_]*.py")]
) + ["ui/idnames.py"]


@pytest.mark.parametrize("module", PURE_FILES)
def test_pure_layer_never_imports_bpy(module):
    """The pure layer stays importable and testable without Blender (no bpy / mathutils / bmesh imports)."""
    import ast

    tree = ast.parse((REPO / "blender_addon" / module).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods = [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            mods = [(node.module or "").split(".")[0]]
        else:
            continue
        assert not set(mods) & {"bpy", "mathutils", "bmesh", "bpy_extras"}, f"{module} imports {mods}"
