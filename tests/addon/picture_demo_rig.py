"""The README's picture of the demo rig: the add-on's demo head in real Blender (Cycles on the CPU), side by side
at rest and in a few expressions set by its shape keys.

    .venv-bpy-5.0.1/bin/python tests/addon/picture_demo_rig.py OUT.jpg [--samples 24]

Builds the rig with the add-on's own builder (``blender_addon.blender.rig_build.build_demo_rig``), the way the
panel's "Demo Rig" button does, in an empty scene with a camera and three area lights. Each expression is a few
shape-key values; the one image holds them in order, captioned in the README.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

EXPRESSIONS = {  # shown left to right
    "rest": {},
    "smile": {"MouthSmile_L": 1.0, "MouthSmile_R": 1.0, "CheekSquint_L": 0.4, "CheekSquint_R": 0.4},
    "surprise": {
        "JawOpen": 0.45,
        "BrowsU_C": 1.0,
        "BrowsU_L": 1.0,
        "BrowsU_R": 1.0,
        "EyeOpen_L": 0.6,
        "EyeOpen_R": 0.6,
    },
    "blink": {"EyeBlink_L": 1.0, "EyeBlink_R": 1.0},
    "frown": {"BrowsD_L": 1.0, "BrowsD_R": 1.0, "MouthFrown_L": 1.0, "MouthFrown_R": 1.0, "ChinLowerRaise": 0.5},
}
SIZE_PX = (420, 520)  # one expression's tile


def _look_at(obj, target) -> None:
    from mathutils import Vector

    obj.rotation_euler = (Vector(target) - obj.location).to_track_quat("-Z", "Y").to_euler()


def _stage(scene, samples: int) -> None:
    """Camera (85 mm, slightly to the subject's left), key / fill / rim area lights, a dark grey world."""
    import bpy

    camera = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    camera.data.lens = 85
    camera.location = (0.12, -0.62, 0.03)
    scene.collection.objects.link(camera)
    _look_at(camera, (0.0, 0.02, 0.0))
    scene.camera = camera
    lights = (("Key", (0.5, -0.6, 0.4), 25), ("Fill", (-0.6, -0.5, 0.1), 8), ("Rim", (0.0, 0.6, 0.5), 30))  # W
    for name, location, watts in lights:
        light = bpy.data.objects.new(name, bpy.data.lights.new(name, "AREA"))
        light.data.energy, light.data.size = watts, 0.5
        light.location = location
        scene.collection.objects.link(light)
        _look_at(light, (0.0, 0.0, 0.0))
    scene.world = bpy.data.worlds.new("World")
    if bpy.app.version < (5, 0, 0):
        scene.world.use_nodes = True
    scene.world.node_tree.nodes["Background"].inputs[0].default_value = (0.05, 0.055, 0.065, 1.0)
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.render.resolution_x, scene.render.resolution_y = SIZE_PX


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path, help="picture to write: .png, or .jpg (quality 90)")
    parser.add_argument("--samples", type=int, default=24, help="Cycles samples per tile")
    args = parser.parse_args()
    import bpy
    import numpy as np

    import blender_addon
    from blender_addon.blender.rig_build import build_demo_rig

    blender_addon.register()
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    rig = build_demo_rig(scene)
    _stage(scene, args.samples)
    keys = bpy.data.objects[rig.mesh].data.shape_keys.key_blocks
    tiles = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, values in EXPRESSIONS.items():
            for key in keys[1:]:
                key.value = values.get(key.name, 0.0)
            scene.render.filepath = str(Path(tmp) / f"{name}.png")
            bpy.ops.render.render(write_still=True)
            image = bpy.data.images.load(scene.render.filepath)
            tiles.append(np.array(image.pixels[:], np.float32).reshape(SIZE_PX[1], SIZE_PX[0], 4))
    sheet = np.concatenate(tiles, axis=1)  # (H, W * n, 4), rows bottom-up as Blender stores them
    out = bpy.data.images.new("demo_rig", sheet.shape[1], sheet.shape[0])
    out.pixels.foreach_set(sheet.ravel())
    # The tiles are already display colours: save them as they are (no second view transform).
    scene.view_settings.view_transform, scene.view_settings.look = "Standard", "None"
    settings = scene.render.image_settings
    settings.file_format = "JPEG" if args.output.suffix.lower() in (".jpg", ".jpeg") else "PNG"
    settings.color_mode, settings.quality = "RGB", 90
    out.save_render(str(args.output.resolve()), scene=scene)
    print(f"wrote {args.output} ({', '.join(EXPRESSIONS)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
