"""Draw the face model with OpenCV: a flat-shaded mesh (painter's algorithm), for contact sheets and previews."""

from __future__ import annotations

import numpy as np

__all__ = ["render_mesh"]

LIGHT_DIRECTION = np.array([0.3, 0.4, 1.0]) / np.linalg.norm([0.3, 0.4, 1.0])  # model frame, from front-upper-left
BASE_COLOR_BGR = np.array([150, 175, 215], dtype=np.float64)  # skin-ish


def render_mesh(
    points: np.ndarray, triangles: np.ndarray, size: int = 256, *, extent_cm: float = 17.0, iris=None
) -> np.ndarray:
    """Render a frontal view of the mesh.

    Args:
        points: ``(>=468, 3)`` float cm, model frame (the view looks along -z at the face).
        triangles: ``(F, 3)`` int vertex indices.
        size: output width and height in pixels.
        extent_cm: the height of the view in cm, centred on the face.
        iris: optional ``(k, 3)`` points drawn as dark dots (e.g. the iris points).

    Returns:
        ``(size, size, 3)`` uint8 BGR image.
    """
    import cv2

    scale = size / extent_cm
    center = np.array([0.0, -3.5])  # the face's middle sits ~3.5 cm below the eyes
    px = np.empty((len(points), 2))
    px[:, 0] = (points[:, 0] - center[0]) * scale + size / 2
    px[:, 1] = -(points[:, 1] - center[1]) * scale + size / 2
    img = np.full((size, size, 3), 40, np.uint8)
    tri = np.asarray(triangles)
    v = points[tri]
    normal = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True) + 1e-12
    shade = np.clip(normal @ LIGHT_DIRECTION, 0.0, 1.0) * 0.75 + 0.25
    order = np.argsort(v[:, :, 2].mean(axis=1))  # far first
    pts = np.round(px[tri] * 16).astype(np.int32)
    for f in order:
        if normal[f, 2] <= 0:
            continue
        color = tuple(float(c) for c in BASE_COLOR_BGR * shade[f])
        cv2.fillConvexPoly(img, pts[f], color, lineType=cv2.LINE_AA, shift=4)
    if iris is not None:
        for p in iris:
            x, y = (p[0] - center[0]) * scale + size / 2, -(p[1] - center[1]) * scale + size / 2
            cv2.circle(img, (int(round(x)), int(round(y))), max(1, size // 128), (40, 30, 20), -1, cv2.LINE_AA)
    return img
