"""A contact sheet of the model's 46 expression shapes (``python -m engine contact-sheet OUT.png``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .model import FaceModel
from .render import render_mesh
from .topology import NUM_MESH_VERTICES

__all__ = ["contact_sheet"]


def contact_sheet(model: FaceModel, out_path: str | Path, *, tile: int = 220, columns: int = 8) -> Path:
    """Render the neutral and each shape at weight 1, labelled, into one PNG; returns the path."""
    import cv2  # noqa: PLC0415

    names = ("neutral", *model.expression_names)
    rows = -(-len(names) // columns)
    sheet = np.full((rows * tile, columns * tile, 3), 25, np.uint8)
    for i, name in enumerate(names):
        weights = np.zeros(len(model.expression_names), np.float32)
        if i:
            weights[i - 1] = 1.0
        pts = model.points(None, weights)
        img = render_mesh(pts[:NUM_MESH_VERTICES], model.triangles, tile, iris=pts[NUM_MESH_VERTICES:])
        label = name if not i else f"{i - 1}: {name}"
        cv2.putText(img, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
        r, c = divmod(i, columns)
        sheet[r * tile : (r + 1) * tile, c * tile : (c + 1) * tile] = img
    out_path = Path(out_path)
    cv2.imwrite(str(out_path), sheet)
    return out_path
