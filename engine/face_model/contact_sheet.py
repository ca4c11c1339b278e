"""A contact sheet of the 46 FaceWarehouse expressions on the scanned head (``python -m engine contact-sheet``).

Each tile is the demo head (``face_head.npz``, :mod:`engine.contract.face_head`) at weight 1 of one expression,
turned a little so that forward motions (pucker, funnel, jaw thrust) read too, labelled with its index and name; the
first tile is the neutral. Drawn with the project's own rasterizer (:func:`.head_render.shade_mesh`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..contract.face_head import HeadData
from .head_render import RenderSetup, pose_matrix, shade_mesh
from .ict_facekit import fan_triangulate

__all__ = ["contact_sheet"]

TILE_YAW_DEG = 18.0  # a three-quarter turn shows depth (pucker, jaw thrust) without hiding the far side
TILE_PITCH_DEG = 4.0


def contact_sheet(head: HeadData, out_path: str | Path, *, tile: int = 240, columns: int = 8) -> Path:
    """Render the neutral and each expression at weight 1, labelled, into one PNG; returns the path."""
    import cv2

    triangles, _ = fan_triangulate(head.polygon_sizes, head.polygon_vertices)
    colors = head.vertex_color.astype(np.float64) / 255.0  # display colours, shaded as they are
    rotation = pose_matrix(TILE_YAW_DEG, TILE_PITCH_DEG, 0.0)
    # Frame the face: 17 cm of height at the tile, centred 3.5 cm below the eyes (an open jaw stays inside).
    setup = RenderSetup(
        size=(tile, tile),
        focal_px=tile * 60.0 / 17.0,
        distance_cm=60.0,
        offset_px=(0.0, -3.5 * tile / 17.0),
        background_rgb=(0.16, 0.17, 0.19),
        light_dir=(0.35, 0.5, 1.0),
        ambient=0.35,
    )
    names = ("neutral", *head.expression_names)
    rows = -(-len(names) // columns)
    sheet = np.full((rows * tile, columns * tile, 3), 25, np.uint8)
    for i, name in enumerate(names):
        vertices = head.vertices.astype(np.float64)
        if i:
            vertices = vertices + head.expression_dense(i - 1)
        img = shade_mesh(vertices @ rotation.T, triangles, colors, setup).image_bgr.copy()
        label = name if not i else f"{i}: {name}"
        cv2.putText(img, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.48, (255, 255, 255), 1, cv2.LINE_AA)
        r, c = divmod(i, columns)
        sheet[r * tile : (r + 1) * tile, c * tile : (c + 1) * tile] = img
    out_path = Path(out_path)
    if not cv2.imwrite(str(out_path), sheet):
        raise OSError(f"could not write the contact sheet to {out_path}")
    return out_path
