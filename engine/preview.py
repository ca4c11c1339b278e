"""Preview images and videos: the detector's landmarks and the fitted mesh drawn over the input frames."""

from __future__ import annotations

import fnmatch
import glob
from pathlib import Path

import numpy as np

from .contract.take import Take
from .errors import InputError
from .face_model.model import FaceModel
from .image_file import opencv_path, read_image, write_image
from .video_source import IMAGE_SUFFIXES, open_source

__all__ = ["check_preview_output", "draw_overlay", "write_preview"]

MESH_COLOR_BGR = (60, 60, 230)  # fitted model mesh: red
LANDMARK_COLOR_BGR = (80, 220, 80)  # detector landmarks: green
TEXT_COLOR_BGR = (255, 255, 255)
MESH_OPACITY = 0.55
PREVIEW_VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv")
PREVIEW_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")


def draw_overlay(image_bgr: np.ndarray, take: Take, frame: int, edges: np.ndarray) -> np.ndarray:
    """One frame with the take's landmarks (dots) and fitted mesh (wireframe) drawn on a copy.

    Args:
        image_bgr: ``(H, W, 3)`` uint8 frame. take: the take. frame: its index in the take.
        edges: ``(E, 2)`` mesh edges over the 468 vertices.

    Returns:
        ``(H, W, 3)`` uint8 BGR.
    """
    import cv2

    out = image_bgr.copy()
    mesh, lm = take.model_landmarks[frame], take.landmarks[frame]
    _draw_face(out, mesh, lm, edges, 1.0, np.zeros(2))
    inset = _draw_inset(out, image_bgr, mesh, lm, edges)
    blink = take.eye_blink[frame]
    names = [str(n) for n in take.expression_names]
    top = np.argsort(-take.expression[frame])[:3]
    words = [f"t={take.time[frame]:.2f}s", f"blink L {blink[0]:.2f} R {blink[1]:.2f}"]
    words += [f"{names[i]} {take.expression[frame, i]:.2f}" for i in top]
    h, w = out.shape[:2]
    scale = float(np.clip(w / 1280, TEXT_MIN_SCALE, 1.0))
    room, below = w - 16 - (inset + 8 if inset else 0), 0
    widest = max(_text_width(word, scale) for word in words)
    if widest > room and inset:  # a caption wider than the room beside the inset: under it, the frame's width
        room, below = w - 16, inset + 8
    if widest > room:  # still too wide (a tiny frame): smaller
        scale *= room / widest
    lines = _lines_within(words, room, scale)
    step = int(round(36 * scale))
    for row, text in enumerate(lines):
        at = (8, below + int(round(40 * scale)) + step * row)
        cv2.putText(out, text, at, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(out, text, at, cv2.FONT_HERSHEY_SIMPLEX, scale, TEXT_COLOR_BGR, 1, cv2.LINE_AA)
    return out


TEXT_MIN_SCALE = 0.35  # OpenCV font scale: the captions' size at 1280 px wide frames is 1.0, never below this


def _text_width(text: str, scale: float) -> int:
    import cv2

    return cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 3)[0][0]


def _lines_within(words: list[str], width: int, scale: float) -> list[str]:
    """``words`` packed into lines (two spaces apart) no wider than ``width`` pixels at font ``scale``; a word wider
    than that alone is a line of its own.
    """
    lines: list[str] = []
    for word in words:
        joined = f"{lines[-1]}  {word}" if lines else word
        if lines and _text_width(joined, scale) <= width:
            lines[-1] = joined
        else:
            lines.append(word)
    return lines


INSET_MAX_SHARE = 0.45  # the zoomed face inset takes at most this share of the frame's width and height
INSET_MIN_ZOOM = 1.25  # no inset for faces already large in the frame


def _draw_face(out: np.ndarray, mesh: np.ndarray, lm: np.ndarray, edges: np.ndarray, zoom: float, origin: np.ndarray):
    """Wireframe of the fitted mesh and dots of the landmarks, pixel coordinates mapped by (p - origin) * zoom."""
    import cv2

    if np.isfinite(mesh).all():
        pts = np.round((mesh - origin) * zoom * 16).astype(np.int32)
        layer = out.copy()
        cv2.polylines(layer, list(pts[edges]), False, MESH_COLOR_BGR, 1, cv2.LINE_AA, shift=4)
        # Half see-through: on a small face the wireframe's lines are as dense as its pixels, and hid the face.
        cv2.addWeighted(layer, MESH_OPACITY, out, 1.0 - MESH_OPACITY, 0.0, dst=out)
    radius = int(round(16 * max(1.0, zoom / 2)))
    for x, y in (lm[np.isfinite(lm).all(axis=1)] - origin) * zoom:
        cv2.circle(out, (int(round(x * 16)), int(round(y * 16))), radius, LANDMARK_COLOR_BGR, -1, cv2.LINE_AA, shift=4)


def _draw_inset(out: np.ndarray, image: np.ndarray, mesh: np.ndarray, lm: np.ndarray, edges: np.ndarray) -> int:
    """A zoomed view of a small face in the top-right corner, so lids and lips can be checked by eye; its side in
    pixels (0: none drawn).
    """
    import cv2

    points = lm[np.isfinite(lm).all(axis=1)]
    if len(points) == 0:
        return 0
    h, w = image.shape[:2]
    lo, hi = points.min(axis=0), points.max(axis=0)
    side = 1.3 * float((hi - lo).max())
    size = int(INSET_MAX_SHARE * min(w, h))
    zoom = size / max(side, 1.0)
    if zoom < INSET_MIN_ZOOM:
        return 0
    origin = (lo + hi) / 2 - side / 2
    affine = np.array([[zoom, 0, -origin[0] * zoom], [0, zoom, -origin[1] * zoom]])
    inset = cv2.warpAffine(image, affine, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    _draw_face(inset, mesh, lm, edges, zoom, origin)
    cv2.rectangle(inset, (0, 0), (size - 1, size - 1), TEXT_COLOR_BGR, 1)
    out[4 : 4 + size, w - size - 4 : w - 4] = inset
    return size


def check_preview_output(path: str | Path, *, overwrite: bool = False) -> Path:
    """Check a preview's path before any work (suffix, folder, an existing file the tool did not write).

    Raises:
        InputError: the message says what to change.
    """
    from .contract.output_guard import check_output

    return check_output(
        path, overwrite=overwrite, what="preview", suffixes=PREVIEW_VIDEO_EXTENSIONS + PREVIEW_IMAGE_EXTENSIONS
    )


def check_preview_is_not_an_input(input_path: str | Path, preview: Path) -> None:
    """Refuse a preview that would replace the input or one of its frames, or be read as a frame next time: the
    input itself (also through a symlink of either name), an image in an input folder, or a file a glob matches.

    Raises:
        InputError: the message says to choose another name.
    """
    target = preview.resolve()  # a preview name that is a symlink to the input resolves to it
    source = Path(input_path)
    if source.exists():
        clash = source.resolve() == target or (
            source.is_dir() and target.parent == source.resolve() and target.suffix.lower() in IMAGE_SUFFIXES
        )
    else:  # a glob: the files it matches now, and what a re-run would match
        matched = {Path(f).resolve() for f in glob.glob(str(source))}
        clash = target in matched or fnmatch.fnmatch(str(preview), str(source))
    if clash:
        raise InputError(
            f"--preview {preview.name} would replace the input it is made from, or be read as one of its frames; "
            "choose another name (or folder)"
        )


def write_preview(
    input_path: str | Path,
    take: Take,
    model: FaceModel,
    out_path: str | Path,
    *,
    start: float | None = None,
    end: float | None = None,
    fps: float | None = None,
) -> Path:
    """Write a preview: a video (every frame) or an image (the frame with the most expression movement).

    The input is decoded again (pass 3), so no frames were kept in memory while tracking. The file is written
    atomically and read back: a preview that could not be written whole (a full disk) raises instead of leaving
    a truncated file.

    Raises:
        InputError: a bad suffix, or the preview could not be written whole.
    """
    from .contract.atomic_write import atomic_write

    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in PREVIEW_VIDEO_EXTENSIONS + PREVIEW_IMAGE_EXTENSIONS:
        raise InputError(
            f"--preview must end in one of {', '.join(PREVIEW_VIDEO_EXTENSIONS + PREVIEW_IMAGE_EXTENSIONS)}"
        )
    edges = model.edges
    with atomic_write(out_path) as tmp:
        if suffix in PREVIEW_IMAGE_EXTENSIONS:
            _write_preview_image(input_path, take, edges, tmp, start=start, end=end, fps=fps)
        else:
            _write_preview_video(input_path, take, edges, tmp, start=start, end=end, fps=fps)
    return out_path


def _write_preview_image(input_path, take: Take, edges: np.ndarray, path: Path, *, start, end, fps) -> None:
    wanted = int(np.argmax(take.expression.sum(axis=1) * (take.confidence > 0)))
    with open_source(input_path, start=start, end=end, fps=fps) as source:
        for i, frame in enumerate(source):
            if i == wanted:
                if not write_image(path, draw_overlay(frame.image, take, i, edges)) or read_image(path) is None:
                    raise InputError(f"cannot write the preview image {path.name} (disk full?)")
                return
    raise InputError(f"{input_path}: frame {wanted} could not be read again for the preview")


def _write_preview_video(input_path, take: Take, edges: np.ndarray, path: Path, *, start, end, fps) -> None:
    import cv2

    written = 0
    with open_source(input_path, start=start, end=end, fps=fps) as source:
        w, h = source.size
        writer = cv2.VideoWriter(opencv_path(path), cv2.VideoWriter_fourcc(*"mp4v"), float(source.fps), (w, h))
        if not writer.isOpened():
            raise InputError(f"cannot write a preview video to {path}")
        try:
            for i, frame in enumerate(source):
                if i >= take.num_frames:
                    break
                writer.write(draw_overlay(frame.image, take, i, edges))
                written += 1
        finally:
            writer.release()
    check = cv2.VideoCapture(opencv_path(path))
    readable = int(check.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if check.isOpened() else 0
    check.release()
    if readable != written:
        raise InputError(
            f"the preview video is incomplete ({readable} of {written} frames could be read back; disk full?); "
            "nothing was written"
        )
