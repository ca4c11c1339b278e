"""Independent writers of test data following the documented schemas (numpy only, no add-on imports).

- :func:`write_take`: a take ``.npz`` as ``python -m engine track`` writes it.
- :func:`write_face_model`: a stand-in ``face_model.npz`` (same keys and shapes as the engine's) for when the
  engine's real model is not generated yet.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def fw46_names() -> list[str]:
    import tomllib

    with (REPO / "rigs" / "names" / "facewarehouse46.toml").open("rb") as f:
        return list(tomllib.load(f)["names"])


def arkit52_names() -> list[str]:
    import tomllib

    with (REPO / "rigs" / "names" / "arkit52.toml").open("rb") as f:
        return list(tomllib.load(f)["names"])


def axis_angle_wxyz(axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    angle = np.asarray(angle, float)
    return np.concatenate([np.cos(angle / 2)[..., None], np.sin(angle / 2)[..., None] * axis], axis=-1)


def qmul(a, b):
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        -1,
    )


def make_take_arrays(frames: int = 120, fps: float = 30.0, seed: int = 0) -> dict[str, np.ndarray]:
    """Smooth random weights in [0, 1], a head turning about the camera's vertical axis, gaze sweeping."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / fps
    phases = rng.uniform(0, 2 * np.pi, 46)
    freqs = rng.uniform(0.1, 1.5, 46)
    expr = (0.5 + 0.5 * np.sin(2 * np.pi * freqs * t[:, None] + phases)).astype(np.float32)
    raw = np.clip(expr + rng.normal(0, 0.05, expr.shape), 0, 1).astype(np.float32)
    frontal = np.array([0.0, 1.0, 0.0, 0.0])
    yaw = 0.4 * np.sin(2 * np.pi * 0.2 * t)
    # a turn about the camera's y axis (vertical in the image), applied after the frontal pose
    head = qmul(axis_angle_wxyz([0, 1, 0], yaw), frontal).astype(np.float32)
    gaze = np.zeros((frames, 2, 2), np.float32)
    gaze[:, :, 0] = (0.3 * np.sin(2 * np.pi * 0.5 * t))[:, None]
    gaze[:, :, 1] = (0.2 * np.cos(2 * np.pi * 0.3 * t))[:, None]
    meta = {
        "schema_version": "1.0",
        "fps": fps,
        "frame_size": [640, 480],
        "source": "clip.mp4",
        "engine_version": "test",
        "backend": "test",
        "filter": {},
        "conventions": {},
    }
    return {
        "expression": expr,
        "expression_raw": raw,
        "expression_names": np.array(fw46_names()),
        "identity": np.zeros(10, np.float32),
        "head_rotation": head,
        "head_translation": np.stack([np.zeros(frames), np.zeros(frames), 60 + np.sin(t)], 1).astype(np.float32),
        "eye_blink": expr[:, :2].copy(),
        "eye_gaze": gaze,
        "time": t.astype(np.float64),
        "confidence": np.ones(frames, np.float32),
        "landmarks": np.zeros((frames, 478, 2), np.float32),
        "model_landmarks": np.zeros((frames, 468, 2), np.float32),
        "meta": np.array(json.dumps(meta)),
    }


def write_take(path: Path, frames: int = 120, fps: float = 30.0, seed: int = 0, **overrides) -> Path:
    arrays = make_take_arrays(frames, fps, seed)
    arrays.update(overrides)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return Path(path)


def write_face_model(path: Path, seed: int = 0) -> Path:
    """A stand-in face model: a curved 22x22 grid (484 -> first 468 vertices) with random smooth deltas."""
    rng = np.random.default_rng(seed)
    n = 22
    xs, ys = np.meshgrid(np.linspace(-7, 7, n), np.linspace(-9, 9, n))
    zs = 8 - 0.06 * (xs**2 + 0.5 * ys**2)
    verts = np.stack([xs, ys, zs], -1).reshape(-1, 3)
    quads = [
        (r * n + c, r * n + c + 1, (r + 1) * n + c + 1, (r + 1) * n + c) for r in range(n - 1) for c in range(n - 1)
    ]
    tris = np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))])
    keep = 468
    tris = tris[np.all(tris < keep, axis=1)]
    verts = verts[:keep]
    basis = rng.normal(0, 0.3, (46, keep, 3))
    return _save_model(path, verts, tris, basis)


def _save_model(path, verts, tris, basis):
    np.savez(
        path,
        neutral=verts.astype(np.float32),
        triangles=tris.astype(np.int32),
        expression_basis=basis.astype(np.float32),
        expression_names=np.array(fw46_names()),
        identity_basis=np.zeros((4,) + verts.shape, np.float32),
        eye_centers=np.array([[3.2, 2.5, 6.0], [-3.2, 2.5, 6.0]], np.float32),
        eye_radius=np.float32(1.2),
    )
    return Path(path)
