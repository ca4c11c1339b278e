"""Benchmark (not a test): bulk shape-key baking vs ``keyframe_insert`` on the same take, in the same run.

    .venv-bpy-5.0.1/bin/python tests/addon/bench_bake.py [--frames 3000] [--repeat 3]

Prints keys/s for :func:`blender_addon.blender.anim_write.write_curves` (the add-on's path: ``keyframe_points.add`` +
``foreach_set``) and for one ``key_block.keyframe_insert("value", frame=f)`` per key, and their ratio. Targets:
>= 1,000,000 keys/s and >= 100x.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bpy  # noqa: E402
import takegen  # noqa: E402


def _mesh(names):
    bpy.ops.wm.read_homefile(use_empty=True)
    mesh = bpy.data.meshes.new("bench")
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new("bench", mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    for n in names:
        obj.shape_key_add(name=n, from_mix=False)
    return obj


def bench_bulk(take, repeat: int) -> float:
    from blender_addon.blender.anim_write import CurveSpec, begin_take_action, write_curves
    from blender_addon.blender.bake import take_frames

    best = float("inf")
    for _ in range(repeat):
        obj = _mesh(take.channel_names)
        key = obj.data.shape_keys
        frames = take_frames(bpy.context.scene, take.time)
        t0 = time.perf_counter()
        channels = begin_take_action(key, "bench", "KEY", take_name="bench")
        specs = [
            CurveSpec(key.key_blocks[n].path_from_id("value"), 0, take.expression[:, j])
            for j, n in enumerate(take.channel_names)
        ]
        n = write_curves(channels, frames, specs)
        best = min(best, time.perf_counter() - t0)
    return n / best


def bench_insert(take) -> float:
    obj = _mesh(take.channel_names)
    key = obj.data.shape_keys
    frames = 1 + take.time * bpy.context.scene.render.fps
    t0 = time.perf_counter()
    for j, name in enumerate(take.channel_names):
        kb = key.key_blocks[name]
        col = take.expression[:, j]
        for i, f in enumerate(frames):
            kb.value = float(col[i])
            kb.keyframe_insert("value", frame=float(f))
    dt = time.perf_counter() - t0
    return take.expression.size / dt


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--frames", type=int, default=3000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    import tempfile

    from engine.contract.take_io import load_take

    with tempfile.TemporaryDirectory() as tmp:
        take = load_take(takegen.write_take(Path(tmp) / "bench.npz", frames=args.frames))
    keys = take.expression.size
    bulk = bench_bulk(take, args.repeat)
    insert = bench_insert(take)
    print(
        f"Blender {bpy.app.version_string}: take {take.num_frames} frames x {len(take.channel_names)} channels"
        f" = {keys:,} keys"
    )
    print(f"  bulk (keyframe_points.add + foreach_set): {bulk:,.0f} keys/s ({keys / bulk * 1000:.1f} ms)")
    print(f"  keyframe_insert per key:                  {insert:,.0f} keys/s ({keys / insert:.2f} s)")
    print(
        f"  speed-up: {bulk / insert:,.0f}x   targets: >= 1,000,000 keys/s -> {'met' if bulk >= 1e6 else 'MISSED'}, "
        f">= 100x -> {'met' if bulk / insert >= 100 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
