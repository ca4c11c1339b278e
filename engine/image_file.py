"""Reading one image file as the engine does: any file name, upright, and a JPEG cut short noticed.

- **Any file name.** ``cv2.imread`` takes a ``str`` and crashes the process (a segmentation fault, no message) on a
  name that is not valid UTF-8 (a Latin-1 ``café.jpg`` from a Windows zip or an old share: Python holds it with
  surrogate escapes). The file's bytes are read by Python, which accepts any name, and decoded by OpenCV.
  Writing goes the same way (:func:`write_image`); OpenCV's video reader and writer take only a name, so
  :func:`opencv_path` refuses such a name in words instead.
- **Upright.** OpenCV applies an EXIF Orientation tag of JPEG, PNG and TIFF when it decodes, not WebP's: a WebP's
  tag is read with Pillow and applied here, so a phone's portrait WebP is not tracked lying on its side.
- **Cut short.** ``cv2.imread`` decodes a truncated JPEG (a copy that did not finish) by filling the missing rows
  with grey and only says "Premature end of JPEG file" on stderr, naming no file (``cv2.imdecode`` refuses it; such
  a file is then read with ``imread`` where its name allows); a landmark detector invents a face in the grey. A file
  only ``imread`` decodes is reported (:attr:`ImageFile.cut_short`); a phone's Motion Photo (a video after the
  JPEG's end) decodes whole and is not.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

__all__ = ["ImageFile", "image_size", "opencv_path", "read_image", "write_image"]

_EXIF_ORIENTATION = 0x0112
# EXIF Orientation -> (clockwise quarter turns, then mirror left-right) that make the stored pixels upright.
_UPRIGHT = {2: (0, True), 3: (2, False), 4: (2, True), 5: (3, True), 6: (1, False), 7: (1, True), 8: (3, False)}


@dataclasses.dataclass(frozen=True)
class ImageFile:
    """One decoded image file.

    Attributes:
        image: ``(H, W, 3)`` uint8 BGR pixels, upright.
        cut_short: True for a file only OpenCV's lenient reader decodes: a JPEG cut short (its lower rows grey).
    """

    image: np.ndarray
    cut_short: bool = False


def read_image(path: str | Path) -> ImageFile | None:
    """Decode an image file (any format OpenCV reads); None if it cannot be read or decoded.

    Example:
        >>> import cv2, tempfile
        >>> p = Path(tempfile.mkdtemp()) / "caf\\udce9.png"  # a name that is not UTF-8
        >>> _ = p.write_bytes(cv2.imencode(".png", np.zeros((4, 6, 3), np.uint8))[1].tobytes())
        >>> read_image(p).image.shape
        (4, 6, 3)
    """
    import cv2

    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    if not data:  # an empty file (OpenCV's imdecode raises on an empty buffer)
        return None
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    cut_short = False
    if image is None and _is_utf8(path):  # imread decodes what imdecode refuses: a JPEG cut short (grey rows)
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        cut_short = image is not None
    if image is None:
        return None
    if Path(path).suffix.lower() == ".webp":
        image = _webp_upright(path, image)
    return ImageFile(image, cut_short)


def _is_utf8(path: str | Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _webp_upright(path: str | Path, image: np.ndarray) -> np.ndarray:
    """``image`` turned as the WebP's EXIF Orientation says (OpenCV ignores WebP's tag)."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            orientation = int(im.getexif().get(_EXIF_ORIENTATION, 1))
    except (OSError, ValueError, ImportError):
        return image
    turns, mirror = _UPRIGHT.get(orientation, (0, False))
    if mirror:
        image = image[:, ::-1]
    return np.ascontiguousarray(np.rot90(image, k=-turns))  # k < 0: clockwise


def write_image(path: str | Path, image: np.ndarray) -> bool:
    """Encode ``image`` (BGR) by the name's suffix and write it, whatever the name; False if that failed."""
    import cv2

    ok, encoded = cv2.imencode(Path(path).suffix or ".png", image)
    if not ok:
        return False
    try:
        Path(path).write_bytes(encoded.tobytes())
    except OSError:
        return False
    return True


def opencv_path(path: str | Path) -> str:
    """``path`` as OpenCV's video reader and writer take it.

    Raises:
        InputError: a name that is not valid UTF-8 (OpenCV would crash the process on it); the message says to
            rename it.
    """
    from .errors import InputError

    text = str(path)
    if not _is_utf8(text):
        shown = text.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
        raise InputError(
            f"{shown}: the file name is not valid UTF-8 (a name from another system's encoding); rename it"
        )
    return text


def image_size(path: str | Path) -> tuple[int, int] | None:
    """``(width, height)`` of an image file as :func:`read_image` turns it upright, from its header alone (no
    pixels decoded: a sequence's sizes are checked before any work); None if the header cannot be read.
    """
    try:
        from PIL import Image

        with Image.open(path) as im:
            width, height = im.size
            # Pillow's TIFF reader gives the size already turned by its orientation tag; other formats, as stored.
            orientation = int(im.getexif().get(_EXIF_ORIENTATION, 1)) if im.format != "TIFF" else 1
    except (OSError, ValueError, ImportError, SyntaxError):  # SyntaxError: Pillow's word for some broken headers
        return None
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)
