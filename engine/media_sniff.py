"""What a file is, by its first bytes (not its name): an image, a GIF, a video container, a HEIC photo, or none.

Files arrive misnamed (a still GIF saved as ``.png`` by a browser, a ``.mov`` renamed ``.mp4``); the engine opens
each by what it holds. The signatures are the formats' own magic numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

__all__ = ["MediaKind", "sniff_media"]

MediaKind = Literal["image", "gif", "video", "heif"]

_IMAGE_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",  # PNG
    b"\xff\xd8\xff",  # JPEG
    b"BM",  # BMP
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
)
_VIDEO_SIGNATURES = (
    b"\x1a\x45\xdf\xa3",  # Matroska / WebM (EBML)
    b"\x00\x00\x01\xba",  # MPEG program stream
    b"\x00\x00\x01\xb3",  # MPEG-1/2 video elementary stream
    b"\x30\x26\xb2\x75",  # ASF / WMV
    b"FLV",  # Flash video
)


_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx")  # HEIC (mif1 / msf1 are AVIF's brands too)


def sniff_media(path: str | Path) -> MediaKind | None:
    """The kind of media file ``path`` holds, from its signature; None if unknown or unreadable.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "photo.png"
        >>> _ = p.write_bytes(b"GIF89a" + bytes(32))
        >>> sniff_media(p)
        'gif'
    """
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return None
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(_IMAGE_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:  # an iPhone's photo: the MP4 box format, not a video
        return "heif"
    if head[4:8] == b"ftyp" or head[4:8] in (b"moov", b"mdat", b"free", b"wide"):  # MP4 / MOV / 3GP
        return "video"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video"
    if head.startswith(_VIDEO_SIGNATURES) or (head[:1] == b"\x47" and _looks_like_transport_stream(path)):
        return "video"
    return None


def _looks_like_transport_stream(path: str | Path) -> bool:
    """MPEG-TS: a 0x47 sync byte every 188 bytes."""
    try:
        with open(path, "rb") as f:
            data = f.read(188 * 3 + 1)
    except OSError:
        return False
    return len(data) > 188 * 2 and all(data[i] == 0x47 for i in range(0, 188 * 3, 188) if i < len(data))
