"""Inputs the tests make themselves for issue 9's cases: clips, rotation metadata, crafted takes and zips.

Nothing here comes from the shared clips: the face is scikit-image's public-domain astronaut portrait. OpenCV and
scikit-image are imported where used, so the zip helpers also run in Blender's Python (``tests/addon``).
"""

from __future__ import annotations

import math
import struct
import zipfile
from pathlib import Path

import numpy as np


def portrait_bgr(size: int = 256) -> np.ndarray:
    """The public-domain portrait, ``(size, size, 3)`` uint8 BGR."""
    import cv2
    import skimage.data

    return cv2.resize(np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1]), (size, size))


def write_clip(path: Path, frames: int, *, size: int = 256, turns: int = 0, fps: float = 30.0) -> Path:
    """A clip of the portrait drifting a little; every frame turned ``turns`` quarter turns clockwise."""
    import cv2

    img = portrait_bgr(size)
    h, w = img.shape[:2]
    out_size = (h, w) if turns % 2 else (w, h)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, out_size)
    for t in range(frames):
        m = cv2.getRotationMatrix2D((w / 2, h * 0.4), 3.0 * math.sin(t / 9.0), 1.0)
        m[:, 2] += (3.0 * math.sin(t / 7.0), 2.0 * math.cos(t / 11.0))
        frame = cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT)
        for _ in range(turns % 4):
            frame = cv2.rotate(frame, cv2.ROTATE_90_CLOCKWISE)
        writer.write(frame)
    writer.release()
    return path


def _boxes(buf: bytes | bytearray, start: int, end: int):
    i = start
    while i + 8 <= end:
        size, kind = struct.unpack(">I4s", buf[i : i + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", buf[i + 8 : i + 16])[0], 16
        elif size == 0:
            size = end - i
        yield kind, i, header, size
        i += size


def set_mp4_rotation(path: Path, degrees: int) -> None:
    """Write a display rotation into every track header (``tkhd`` matrix) of an MP4, as a phone does.

    ``degrees`` is the clockwise rotation a player applies (FFmpeg's ``rotate`` tag; an iPhone portrait clip: 90).
    """
    buf = bytearray(path.read_bytes())
    a, b = round(math.cos(math.radians(degrees))), round(math.sin(math.radians(degrees)))

    def fixed(v: int) -> int:
        return (v << 16) & 0xFFFFFFFF

    def walk(start: int, end: int) -> None:
        for kind, i, header, size in _boxes(buf, start, end):
            if kind in (b"moov", b"trak"):
                walk(i + header, i + size)
            elif kind == b"tkhd":
                body = i + header
                offset = body + 4 + (32 if buf[body] == 1 else 20) + 8 + 8  # version/flags, times, id, reserved...
                matrix = [fixed(a), fixed(b), 0, fixed(-b), fixed(a), 0, 0, 0, 1 << 30]
                buf[offset : offset + 36] = struct.pack(">9I", *matrix)

    walk(0, len(buf))
    path.write_bytes(bytes(buf))


def set_mp4_frame_durations(path: Path, runs: list[tuple[int, float]]) -> None:
    """Make an MP4's frames last as a variable-frame-rate phone clip's do: ``runs`` of ``(frames, seconds each)``.

    Rewrites the video track's sample-duration table (``stts``) in the track's time units, the sizes of the boxes
    holding it, and the durations the movie, track, media and edit list declare; the frames and their data stay
    where they are (OpenCV's MP4s put the index after the data). One video track, version-0 headers, as OpenCV
    writes them.
    """
    buf = bytearray(path.read_bytes())
    found: dict[bytes, tuple[int, int]] = {}  # box kind -> (offset, header size)

    def walk(start: int, end: int) -> None:
        for kind, i, header, size in _boxes(buf, start, end):
            found.setdefault(kind, (i, header))
            if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"):
                walk(i + header, i + size)

    walk(0, len(buf))
    u32 = lambda kind, at: struct.unpack(">I", buf[found[kind][0] + found[kind][1] + at :][:4])[0]  # noqa: E731
    movie_scale, media_scale = u32(b"mvhd", 12), u32(b"mdhd", 12)
    seconds = sum(n * each for n, each in runs)
    for kind, at, scale in ((b"mvhd", 16, movie_scale), (b"tkhd", 20, movie_scale), (b"mdhd", 16, media_scale)):
        struct.pack_into(">I", buf, found[kind][0] + found[kind][1] + at, round(seconds * scale))
    if b"elst" in found:  # the edit list's one segment plays the whole track
        struct.pack_into(">I", buf, found[b"elst"][0] + found[b"elst"][1] + 8, round(seconds * movie_scale))
    stts, header = found[b"stts"]
    old_size = struct.unpack(">I", buf[stts : stts + 4])[0]
    entries = b"".join(struct.pack(">II", n, round(each * media_scale)) for n, each in runs)
    table = struct.pack(">I4sII", 16 + len(entries), b"stts", 0, len(runs)) + entries
    buf[stts : stts + old_size] = table
    for kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):  # each holds the table: grows with it
        at = found[kind][0]
        struct.pack_into(">I", buf, at, struct.unpack(">I", buf[at : at + 4])[0] + len(table) - old_size)
    path.write_bytes(bytes(buf))


def patch_zip_member(path: Path, member: str, *, method: int | None = None, flags_or: int = 0) -> None:
    """Change a zip member's compression method and/or set flag bits, in its local and central headers."""
    buf = bytearray(path.read_bytes())
    name = member.encode()
    for signature, flag_at, method_at, name_len_at, name_at in (
        (b"PK\x03\x04", 6, 8, 26, 30),
        (b"PK\x01\x02", 8, 10, 28, 46),
    ):
        i = buf.find(signature)
        while i >= 0:
            length = struct.unpack("<H", buf[i + name_len_at : i + name_len_at + 2])[0]
            if buf[i + name_at : i + name_at + length] == name:
                flags = struct.unpack("<H", buf[i + flag_at : i + flag_at + 2])[0] | flags_or
                buf[i + flag_at : i + flag_at + 2] = struct.pack("<H", flags)
                if method is not None:
                    buf[i + method_at : i + method_at + 2] = struct.pack("<H", method)
            i = buf.find(signature, i + 4)
    path.write_bytes(bytes(buf))


def npy_bytes(array: np.ndarray, *, declared_shape: tuple[int, ...] | None = None) -> bytes:
    """An ``.npy`` file's bytes; ``declared_shape`` puts another shape in its header (a lying header)."""
    import io

    f = io.BytesIO()
    np.lib.format.write_array(f, array)
    data = f.getvalue()
    if declared_shape is None:
        return data
    header = {"descr": np.lib.format.dtype_to_descr(array.dtype), "fortran_order": False, "shape": declared_shape}
    g = io.BytesIO()
    np.lib.format.write_array_header_1_0(g, header)
    return g.getvalue() + data[len(data) - array.nbytes :]


def write_archive(path: Path, members: dict[str, bytes], *, compression: int = zipfile.ZIP_STORED) -> Path:
    """A zip with the given member bytes (``KEY.npy`` names)."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def take_members(take_path: Path) -> dict[str, bytes]:
    """The raw members of a take archive."""
    with zipfile.ZipFile(take_path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def add_zero_member(path: Path, name: str, gigabytes: float) -> None:
    """Append a deflated member of zeros that inflates to ``gigabytes`` (a zip bomb inside a take)."""
    block = bytes(64 * 1024 * 1024)
    total = int(gigabytes * 1024**3)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        header = {"descr": "<f4", "fortran_order": False, "shape": (total // 4,)}
        with archive.open(name, "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(member, header)
            written = 0
            while written < total:
                chunk = block[: min(len(block), total - written)]
                member.write(chunk)
                written += len(chunk)
