"""A human-readable summary of a take, for ``python -m engine info TAKE.npz``."""

from __future__ import annotations

import math

import numpy as np

from .contract.frames import head_rotation_to_ypr
from .contract.take import Take

__all__ = ["summarize_take"]


def summarize_take(take: Take) -> str:
    """Describe a take: length, coverage and the range of every channel.

    Statistics of per-frame streams are over frames with a face (``confidence > 0``), or over all frames if none
    has one.

    Args:
        take: the take (e.g. from :func:`engine.contract.take_io.load_take`).

    Returns:
        Multi-line text (no trailing newline): source, frames, fps, duration, face coverage, then
        ``min / mean / max`` per expression channel, eye blink and gaze (degrees), and head yaw / pitch / roll
        (degrees, relative to frontal) and translation (cm).

    Example:
        >>> from engine.contract.take import make_meta, neutral_take
        >>> take = neutral_take(np.arange(60) / 30, make_meta(fps=30, frame_size=(64, 48), source="demo",
        ...                                                   backend="mediapipe"))
        >>> print(summarize_take(take).splitlines()[2])
        frames      60 at 30 fps, duration 0:02.000 (last frame at 1.967 s)
    """
    meta = take.meta
    frames = take.num_frames
    fps = float(meta.get("fps", 0.0) or 0.0)
    with_face = take.confidence > 0
    rows = with_face if with_face.any() else np.ones(frames, bool)
    last = float(take.time[-1]) if frames else 0.0
    duration = last + (1.0 / fps if fps > 0 and frames else 0.0)
    size = meta.get("frame_size", [0, 0])
    lines = [
        f"take        {meta.get('source', '?')}  ({size[0]}x{size[1]} px, backend {meta.get('backend', '?')}, "
        f"engine {meta.get('engine_version', '?')}, schema {meta.get('schema_version', '?')})",
        f"filter      {_describe_filter(meta.get('filter') or {})}",
        f"frames      {frames} at {fps:g} fps, duration {_clock(duration)} (last frame at {last:.3f} s)",
        f"face        {int(with_face.sum())}/{frames} frames ({100.0 * with_face.mean() if frames else 0.0:.1f}%), "
        f"mean confidence {float(take.confidence[with_face].mean()) if with_face.any() else 0.0:.2f}",
        f"identity    {take.identity.shape[0]} coefficients; landmarks {take.landmarks.shape[1]} points",
        "",
        f"{'channel':<22}{'min':>9}{'mean':>9}{'max':>9}",
    ]
    if frames == 0:
        return "\n".join(lines[:5])

    def add(name: str, values: np.ndarray, unit: str = "") -> None:
        v = values[rows]
        v = v[np.isfinite(v)]
        if v.size == 0:
            lines.append(f"{name:<22}{'-':>9}{'-':>9}{'-':>9}")
            return
        lines.append(f"{name:<22}{v.min():>9.3f}{v.mean():>9.3f}{v.max():>9.3f}{unit}")

    lines.append("-- expression (weight)")
    for i, name in enumerate(take.expression_names):
        add(str(name), take.expression[:, i])
    lines.append("-- eyes")
    add("blink left", take.eye_blink[:, 0])
    add("blink right", take.eye_blink[:, 1])
    for e, side in enumerate(("left", "right")):
        for a, angle in enumerate(("yaw", "pitch")):
            add(f"gaze {side} {angle}", np.degrees(take.eye_gaze[:, e, a]), "  deg")
    lines.append("-- head (relative to frontal)")
    ypr = np.degrees(head_rotation_to_ypr(take.head_rotation))
    for a, angle in enumerate(("yaw", "pitch", "roll")):
        add(f"head {angle}", ypr[:, a], "  deg")
    for a, axis in enumerate("xyz"):
        add(f"head {axis}", take.head_translation[:, a], "  cm")
    return "\n".join(lines)


def _clock(seconds: float) -> str:
    """``M:SS.mmm`` (``H:MM:SS.mmm`` from an hour on)."""
    minutes, secs = divmod(seconds, 60.0)
    hours, minutes = divmod(int(minutes), 60)
    if math.isclose(secs, 60.0, abs_tol=5e-4):
        secs = 59.9995
    return f"{hours}:{minutes:02d}:{secs:06.3f}" if hours else f"{minutes}:{secs:06.3f}"


def _describe_filter(settings: dict) -> str:
    if not settings:
        return "none recorded"
    if settings.get("enabled") is False:
        return "off"
    parts = [
        f"{stream} {cfg['min_cutoff']:g} Hz/b{cfg['beta']:g}"
        for stream, cfg in settings.items()
        if isinstance(cfg, dict) and "min_cutoff" in cfg and cfg.get("enabled", True)
    ]
    return ", ".join(parts) if parts else ", ".join(f"{k}={v}" for k, v in settings.items())
