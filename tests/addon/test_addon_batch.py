"""Headless batch baking through a real subprocess (``python -m blender_addon.batch``), with a bad take in the set."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

import takegen  # noqa: E402
from conftest import REPO  # noqa: E402

from blender_addon._rigs import rigs  # noqa: E402

pytestmark = pytest.mark.slow  # every test runs Blender in subprocesses


def _batch(*args, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "blender_addon.batch", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _keyed_mesh_file(name: str, keys, path) -> str:
    """A script that saves ``path`` holding one mesh object ``name`` with Basis + ``keys`` shape keys."""
    return textwrap.dedent(f"""
        import bpy
        bpy.ops.wm.read_factory_settings(use_empty=True)
        mesh = bpy.data.meshes.new({name!r})
        mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
        obj = bpy.data.objects.new({name!r}, mesh)
        bpy.context.scene.collection.objects.link(obj)
        obj.shape_key_add(name="Basis")
        for n in {list(keys)!r}:
            obj.shape_key_add(name=n, from_mix=False)
        bpy.ops.wm.save_as_mainfile(filepath={str(path)!r})
    """)


def _inspect(blend, code: str) -> str:
    """Run ``code`` in a fresh Blender process with ``blend`` open; returns stdout."""
    script = f"import bpy\nbpy.ops.wm.open_mainfile(filepath={str(blend)!r})\n" + textwrap.dedent(code)
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture
def take_dir(tmp_path, head_path):
    d = tmp_path / "takes"
    d.mkdir()
    takegen.write_take(d / "scene01_take1.npz", frames=90, seed=1)
    takegen.write_take(d / "scene01_take2.npz", frames=60, seed=2)
    (d / "corrupt.npz").write_bytes(b"not a zip at all")
    takegen.write_take(d / "wrong_names.npz", frames=10, expression_names=np.array([f"x{i}" for i in range(46)]))
    (d / "notes.txt").write_text("ignored")
    return d


def test_batch_demo_rig_bakes_good_takes_and_skips_bad(take_dir, tmp_path, head_path):
    out = tmp_path / "out" / "baked.blend"
    proc = _batch("--demo-rig", "--demo-head", head_path, "--takes", take_dir, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "skipped" in proc.stderr and "corrupt.npz" in proc.stderr and "wrong_names.npz" in proc.stderr
    assert out.is_file()
    report = _inspect(
        out,
        """
        from blender_addon.blender.anim_write import ACTION_TAG
        tagged = sorted(a.name for a in bpy.data.actions if ACTION_TAG in a.keys() and '(' not in a.name)
        print("ACTIONS", ",".join(tagged))
        print("FAKE", all(a.use_fake_user for a in bpy.data.actions))
        key = [o for o in bpy.data.objects if o.type == 'MESH' and o.data.shape_keys][0].data.shape_keys
        print("ACTIVE", key.animation_data.action.name)
        print("NLA", ",".join(t.name for t in key.animation_data.nla_tracks))
    """,
    )
    assert "ACTIONS scene01_take1,scene01_take2" in report
    assert "FAKE True" in report and "ACTIVE scene01_take2" in report and "NLA scene01_take1" in report


def test_batch_nothing_baked_exits_nonzero(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"garbage")
    out = tmp_path / "never.blend"
    proc = _batch("--demo-rig", "--takes", bad, tmp_path / "missing.npz", "-o", out)
    assert proc.returncode == 1 and not out.exists()
    last = proc.stderr.strip().splitlines()[-1]  # a farm task shows its last line: the reason is in it
    assert "nothing baked" in last and "the first: bad.npz: " in last, last
    assert "missing.npz not found" in proc.stderr


@pytest.mark.parametrize("holding", ["nothing", "notes"])
def test_batch_a_folder_without_takes_says_so_in_one_line(tmp_path, holding):
    folder = tmp_path / "takes"
    folder.mkdir()
    if holding == "notes":
        (folder / "notes.txt").write_text("shot list")
    out = tmp_path / "never.blend"
    proc = _batch("--demo-rig", "--takes", folder, "-o", out)
    assert proc.returncode == 1 and not out.exists() and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert f"no takes (.npz, .csv) in {folder}" in proc.stderr


def test_batch_onto_saved_rig_like_blender_b(tmp_path, head_path):
    """The 'blender -b RIG.blend --python-expr ... -- ARGS' form: the rig is already open, args after '--'."""
    rig = tmp_path / "arkit_rig.blend"
    names = takegen.arkit52_names()
    subprocess.run([sys.executable, "-c", _keyed_mesh_file("Head", names, rig)], check=True, capture_output=True,
                   timeout=120)  # fmt: skip
    take = takegen.write_take(tmp_path / "line_01.npz", frames=40)
    out = tmp_path / "baked_arkit.blend"
    expr = textwrap.dedent(f"""
        import sys, bpy
        bpy.ops.wm.open_mainfile(filepath={str(rig)!r})
        sys.argv = ["blender", "-b", {str(rig)!r}, "--python-expr", "...", "--", "--takes", {str(take)!r},
                    "--mapping", "facewarehouse46_to_arkit52", "--set-scene-timing", "-o", {str(out)!r}]
        from blender_addon import batch
        sys.exit(batch.main())
    """)
    proc = subprocess.run([sys.executable, "-c", expr], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = _inspect(
        out,
        """
        bpy.context.scene.frame_set(bpy.context.scene.frame_start + 10)
        kb = bpy.data.objects["Head"].data.shape_keys.key_blocks
        print("JAW", kb["jawOpen"].value)
    """,
    )
    w = np.load(take)["expression"]
    jaw = float(report.split("JAW ")[1].split()[0])
    assert jaw == pytest.approx(float(w[10, takegen.fw46_names().index("JawOpen")]), abs=1e-6)


def test_batch_demo_rig_alone(tmp_path, head_path):
    out = tmp_path / "demo_rig.blend"
    proc = _batch("--demo-rig", "--demo-head", head_path, "-o", out)
    assert proc.returncode == 0, proc.stderr
    report = _inspect(
        out,
        """
        mesh = [o for o in bpy.data.objects if o.type == 'MESH' and o.data.shape_keys][0]
        print("KEYS", len(mesh.data.shape_keys.key_blocks), mesh.data.shape_keys.key_blocks[22].name)
    """,
    )
    assert "KEYS 47 JawOpen" in report
    assert _batch("-o", out).returncode == 2  # neither takes nor a demo rig


def test_batch_argument_errors_are_one_line_before_any_take(take_dir, tmp_path, head_path):
    not_blend = tmp_path / "fake.blend"
    not_blend.write_text("not a blend file")
    run = _batch("--rig", not_blend, "--takes", take_dir, "-o", tmp_path / "a.blend")
    assert run.returncode == 2 and "cannot open --rig" in run.stderr and "Traceback" not in run.stderr, run.stderr
    rig = tmp_path / "rig.blend"
    assert _batch("--demo-rig", "--demo-head", head_path, "-o", rig).returncode == 0
    run = _batch("--rig", rig, "--mesh", "NoSuch", "--takes", take_dir, "-o", tmp_path / "b.blend")
    assert run.returncode == 2 and "mesh 'NoSuch'" in run.stderr and "skipped" not in run.stderr, run.stderr[-2000:]
    run = _batch("--rig", rig, "--mapping", "facewarehouse46_to_arkit", "--takes", take_dir, "-o", tmp_path / "c.blend")
    assert run.returncode == 2 and run.stderr.count("unknown mapping preset 'facewarehouse46_to_arkit'") == 1
    assert "skipped" not in run.stderr, run.stderr[-2000:]
    assert not any((tmp_path / n).exists() for n in ("a.blend", "b.blend", "c.blend"))


def test_batch_target_errors_are_one_line_however_they_are_given(take_dir, tmp_path, head_path):
    """A missing neck bone, an empty object name, a mesh without shape keys, one bone in two roles: said once, exit
    2, before any take (each was one line per take, exit 1; ':head' was a traceback).
    """
    rig = tmp_path / "rig.blend"
    assert _batch("--demo-rig", "--demo-head", head_path, "-o", rig).returncode == 0
    arm = _inspect(rig, "print([o.name for o in bpy.data.objects if o.type == 'ARMATURE'][0])").splitlines()[-1]
    eye = _inspect(rig, "print([o.name for o in bpy.data.objects if '_Eye.' in o.name][0])").splitlines()[-1]
    for args, needle in (
        (("--mesh", eye), f"mesh with shape keys '{eye}' (it has none"),
        (("--head", f"{arm}:head", "--neck", "nope"), f"neck bone '{arm}:nope'"),
        (("--head", ":head"), "head object ''"),
        (("--mesh", arm), f"mesh with shape keys '{arm}'"),
        (("--head", f"{arm}:head", "--jaw", f"{arm}:head"), f"'{arm}:head' has two roles"),
        (("--head", f"{arm}:head", "--neck", "head"), f"'{arm}:head' has two roles"),
        (("--neck", "head"), "a head bone for neck bone 'head'"),
    ):
        run = _batch("--rig", rig, *args, "--takes", take_dir, "-o", tmp_path / "x.blend")
        assert run.returncode == 2 and run.stderr.count(needle) == 1, (args, run.stderr[-2000:])
        assert "skipped" not in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "x.blend").exists()


def test_batch_reads_each_take_once_and_no_writers_temporaries(tmp_path, head_path):
    """A writer's temporary (.<stem>.<pid>.<random>.tmp.npz) and macOS's ._ files were baked as takes; a take given
    twice (a folder and a glob) was baked twice; an unfinished track's take was skipped without a word.
    """
    d = tmp_path / "takes"
    d.mkdir()
    take = takegen.write_take(d / "shot.npz", frames=20)
    (d / ".shot2.4242.k2j_9x1q.tmp.npz").write_bytes(take.read_bytes())
    (d / "._shot.npz").write_bytes(b"\x00\x05\x16\x07 resource fork")
    (d / "late.npz.partial").mkdir()
    out = tmp_path / "out.blend"
    run = _batch("--demo-rig", "--demo-head", head_path, "--takes", d, take, "-o", out)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "(1 baked, 0 skipped)" in run.stdout and "shot2" not in run.stdout and "._shot" not in run.stdout
    assert "not a take yet: " in run.stderr and "late.npz.partial" in run.stderr


def test_batch_waits_for_another_batch_writing_its_output_and_refuses_a_name_too_long(tmp_path, head_path):
    """Two batches with one -o both said 'saved' and one's takes were gone (the second now waits for the first, up
    to 30 s, as a track does: a farm's retry outwaits a killed worker's batch); a long -o name baked everything,
    then could not be saved.
    """
    import threading

    from engine.contract.writer_lock import writer_lock

    take = takegen.write_take(tmp_path / "shot.npz", frames=20)
    out = tmp_path / "same.blend"
    held = threading.Event()

    def another_batch_writing_it():
        with writer_lock(out, 0.0, writer="batch"):
            held.set()
            time.sleep(8.0)  # a farm's killed worker's batch, stopping

    other = threading.Thread(target=another_batch_writing_it)
    other.start()
    held.wait(10)
    started = time.monotonic()
    run = _batch("--demo-rig", "--demo-head", head_path, "--takes", take, "-o", out)
    other.join()
    assert run.returncode == 0 and out.is_file(), run.stderr[-2000:]  # it waited for the other, then wrote
    assert time.monotonic() - started > 5.0
    long_name = tmp_path / ("h" * 240 + ".blend")
    run = _batch("--demo-rig", "--demo-head", head_path, "--takes", take, "-o", long_name)
    assert run.returncode == 2 and "the name is too long" in run.stderr and "baked" not in run.stdout


def test_batch_bakes_a_rig_saved_with_its_gaze_on_shape_keys_and_a_take_kept_as_part_npz(tmp_path, head_path):
    """A rig saved with Gaze = eyeLook Shape Keys (as rigs/face_bones.toml advises Rigify users) was refused for
    'left eye object ''; a take the panel kept as NAME.part.npz (its advice) was 'not a take yet'.
    """
    rig = tmp_path / "rig.blend"
    assert _batch("--demo-rig", "--demo-head", head_path, "-o", rig).returncode == 0
    code = f"""
        import blender_addon
        blender_addon.register()
        bpy.context.scene.facemocap.gaze_mode = "SHAPE_KEYS"
        bpy.ops.wm.save_mainfile(filepath={str(rig)!r})
    """
    _inspect(rig, code)
    kept = takegen.write_take(tmp_path / "shot.part.npz", frames=20)
    run = _batch("--rig", rig, "--takes", kept, "-o", tmp_path / "out.blend")
    assert run.returncode == 0 and "(1 baked, 0 skipped)" in run.stdout, run.stderr[-2000:]


def test_batch_refuses_a_target_linked_from_a_library_once(tmp_path):
    """Keys baked onto a linked mesh would be lost on the next open: said once, exit 2, before any take."""
    lib, rig = tmp_path / "lib.blend", tmp_path / "rig.blend"
    script = _keyed_mesh_file("Face", ["jawOpen"], lib) + textwrap.dedent(f"""
        bpy.ops.wm.read_factory_settings(use_empty=True)
        with bpy.data.libraries.load({str(lib)!r}, link=True) as (src, dst):
            dst.objects = ["Face"]
        bpy.context.scene.collection.objects.link(dst.objects[0])
        bpy.ops.wm.save_as_mainfile(filepath={str(rig)!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    takes = [takegen.write_take(tmp_path / f"t{i}.npz", frames=10) for i in range(2)]
    run = _batch("--rig", rig, "--mesh", "Face", "--takes", *takes, "-o", tmp_path / "out.blend")
    assert run.returncode == 2 and run.stderr.count("'Face' is linked from") == 1, run.stderr[-2000:]
    assert "skipped" not in run.stderr


def test_batch_bakes_with_the_rigs_saved_mapping_unless_told(tmp_path):
    """The panel bakes a rig with its saved Mapping (a Custom File here, its link's gain 0) and Swap Left/Right; the
    batch baked the same rig with Automatic and no swap (its targets, though, came from the panel).
    """
    rig, hero = tmp_path / "rig.blend", tmp_path / "hero.toml"
    arkit = rigs.load_mapping("facewarehouse46_to_arkit52")
    hero.write_text(rigs.mapping_to_toml(arkit).replace('target = "jawOpen"', 'target = "jawOpen", gain = 0.0'))
    script = _keyed_mesh_file("Face", takegen.arkit52_names(), rig) + textwrap.dedent("""
        import blender_addon
        blender_addon.register()
        s = bpy.context.scene.facemocap
        s.target_mesh = bpy.data.objects["Face"]
        s.mapping, s.custom_mapping_path, s.swap_left_right = "CUSTOM", "//hero.toml", True  # beside the rig
        bpy.ops.wm.save_mainfile()
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    take = takegen.write_take(tmp_path / "shot.npz", frames=20)
    peaks = """
        import blender_addon.blender.anim_write as aw
        curves = {c.data_path: c for c in aw.active_fcurves(bpy.data.objects["Face"].data.shape_keys)}
        for key in ("jawOpen", "eyeBlinkLeft", "eyeBlinkRight"):
            print(max(k.co[1] for k in curves[f'key_blocks["{key}"].value'].keyframe_points))
    """
    run = _batch("--rig", rig, "--takes", take, "-o", tmp_path / "saved.blend")
    assert run.returncode == 0 and "mapping hero:" in run.stdout, run.stdout + run.stderr
    jaw, left, right = map(float, _inspect(tmp_path / "saved.blend", peaks).split()[-3:])
    run = _batch("--rig", rig, "--takes", take, "--mapping", "AUTO", "--no-swap-left-right", "-o", tmp_path / "a.blend")
    assert run.returncode == 0 and "mapping facewarehouse46_to_arkit52" in run.stdout, run.stdout
    jaw_auto, left_auto, right_auto = map(float, _inspect(tmp_path / "a.blend", peaks).split()[-3:])
    assert jaw == 0.0 < jaw_auto and (left, right) == (right_auto, left_auto) and left != right
    elsewhere = tmp_path / "shots" / "saved_again.blend"  # a farm-made shot, saved beside the takes: its Mapping
    elsewhere.parent.mkdir()  # File still names the rig's (it was "//hero.toml", a file beside the shot)
    assert _batch("--rig", tmp_path / "saved.blend", "--takes", take, "-o", elsewhere).returncode == 0
    again = _batch("--rig", elsewhere, "--takes", take, "-o", tmp_path / "thrice.blend")
    assert again.returncode == 0 and "mapping hero:" in again.stdout, again.stdout + again.stderr
    hero.unlink()
    run = _batch("--rig", rig, "--takes", take, "-o", tmp_path / "gone.blend")
    assert run.returncode == 2 and "rig.blend's saved Mapping: cannot read mapping file" in run.stderr, run.stderr


def test_batch_runs_from_any_folder(tmp_path, head_path):
    """`.venv-bpy-*/bin/python -m blender_addon.batch` failed outside the repository (No module named
    'blender_addon'), where `.venv/bin/python -m engine` runs from any folder (a farm task's, a shot's).
    """
    run = subprocess.run(
        [sys.executable, "-m", "blender_addon.batch", "--demo-rig", "--demo-head", str(head_path), "-o", "rig.blend"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0 and (tmp_path / "rig.blend").is_file(), run.stderr[-2000:]
    assert ".tmp.blend" not in run.stdout + run.stderr  # Blender's own line naming the temporary file it saved


def test_batch_with_a_head_bone_and_no_mesh_bakes_that_characters_face_only(tmp_path):
    """`--head Rig.001:head` without --mesh baked every face in the file: a second instance's too."""
    rig = tmp_path / "two.blend"
    script = textwrap.dedent(f"""
        import bpy
        bpy.ops.wm.read_factory_settings(use_empty=True)
        for suffix in ("", ".001"):
            arm = bpy.data.objects.new("Rig" + suffix, bpy.data.armatures.new("Rig" + suffix))
            bpy.context.scene.collection.objects.link(arm)
            bpy.context.view_layer.objects.active = arm
            bpy.ops.object.mode_set(mode="EDIT")
            bone = arm.data.edit_bones.new("head")
            bone.head, bone.tail = (0, 0, 0), (0, 0, 0.1)
            bpy.ops.object.mode_set(mode="OBJECT")
            mesh = bpy.data.meshes.new("Face" + suffix)
            mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
            face = bpy.data.objects.new("Face" + suffix, mesh)
            bpy.context.scene.collection.objects.link(face)
            face.parent = arm
            face.shape_key_add(name="Basis")
            for name in ("jawOpen", "eyeBlinkLeft"):
                face.shape_key_add(name=name, from_mix=False)
        bpy.ops.wm.save_as_mainfile(filepath={str(rig)!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    take = takegen.write_take(tmp_path / "shot.npz", frames=10)
    run = _batch("--rig", rig, "--head", "Rig.001:head", "--takes", take, "-o", tmp_path / "out.blend")
    assert run.returncode == 0, run.stderr[-2000:]
    keyed = _inspect(
        tmp_path / "out.blend",
        """
        print(sorted(o.name for o in bpy.data.objects if o.type == "MESH" and o.data.shape_keys.animation_data))
    """,
    ).splitlines()[-1]
    assert keyed == "['Face.001']"


def test_batch_with_a_head_object_keeps_the_panels_face(tmp_path):
    """`--head HeadCtl` (an object, not an armature) dropped the face the panel had saved: only the head baked."""
    rig = tmp_path / "rig.blend"
    script = _keyed_mesh_file("Face", ["jawOpen"], rig) + textwrap.dedent("""
        import blender_addon
        blender_addon.register()
        bpy.context.scene.collection.objects.link(bpy.data.objects.new("HeadCtl", None))
        bpy.context.scene.facemocap.target_mesh = bpy.data.objects["Face"]
        bpy.ops.wm.save_mainfile()
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    take = takegen.write_take(tmp_path / "shot.npz", frames=10)
    run = _batch("--rig", rig, "--head", "HeadCtl", "--takes", take, "-o", tmp_path / "out.blend")
    assert run.returncode == 0, run.stderr[-2000:]
    baked = _inspect(
        tmp_path / "out.blend",
        """
        print(bpy.data.objects["Face"].data.shape_keys.animation_data is not None,
              bpy.data.objects["HeadCtl"].animation_data is not None)
    """,
    ).splitlines()[-1]
    assert baked == "True True"
