"""A small reader for what a delivery MP4 is made of: its box tree and its H.264 NAL units.

PyAV tells what the decoder sees; these answer what the file *is*: whether
``moov`` comes before ``mdat``, whether any track carries an edit list
(``elst``), which colour box the sample entry holds, and for each H.264 packet
whether it is an IDR picture and which slice type it carries.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

__all__ = [
    "NERO_CHAPTER_UNITS",
    "add_nero_chapters",
    "Box",
    "ColourBox",
    "colour_box",
    "find_boxes",
    "nal_units",
    "avcc_length_size",
    "packet_picture",
    "read_boxes",
    "x264_settings",
]

#: Boxes whose payload is a list of child boxes, with the bytes to skip before the first child.
_CONTAINERS = {
    b"moov": 0, b"trak": 0, b"mdia": 0, b"minf": 0, b"stbl": 0, b"edts": 0, b"udta": 0, b"dinf": 0,
    b"mvex": 0, b"moof": 0, b"traf": 0, b"tref": 0,
    b"stsd": 8,  # version/flags + entry count
    b"avc1": 78, b"avc3": 78,  # VisualSampleEntry fields
    b"mp4a": 28,  # AudioSampleEntry fields
}


@dataclass(frozen=True)
class Box:
    """One box: its type, where it starts in the file, its size, and its path from the top (``moov/trak/…``)."""

    type: str
    offset: int
    size: int
    path: str


def _walk(handle: BinaryIO, start: int, end: int, parent: str, out: list[Box]) -> None:
    offset = start
    while offset + 8 <= end:
        handle.seek(offset)
        header = handle.read(16)
        if len(header) < 8:
            break
        size, kind = struct.unpack(">I4s", header[:8])
        header_len = 8
        if size == 1:
            if len(header) < 16:
                break
            size = struct.unpack(">Q", header[8:16])[0]
            header_len = 16
        elif size == 0:  # runs to the end of the enclosing box
            size = end - offset
        if size < header_len or offset + size > end:
            raise ValueError(f"corrupt box {kind!r} at byte {offset}: size {size}")
        name = kind.decode("latin-1")
        path = f"{parent}/{name}" if parent else name
        out.append(Box(name, offset, size, path))
        if kind in _CONTAINERS:
            _walk(handle, offset + header_len + _CONTAINERS[kind], offset + size, path, out)
        offset += size


def read_boxes(path: Path) -> list[Box]:
    """Every box in the file in file order (top level and the containers above), without reading ``mdat``."""
    path = Path(path)
    boxes: list[Box] = []
    with open(path, "rb") as handle:
        _walk(handle, 0, path.stat().st_size, "", boxes)
    return boxes


def find_boxes(boxes: list[Box], kind: str) -> list[Box]:
    return [b for b in boxes if b.type == kind]


@dataclass(frozen=True)
class ColourBox:
    """The sample entry's ``colr`` box (``nclx``: ISO/IEC 23091-2 code points)."""

    kind: str
    primaries: int
    transfer: int
    matrix: int
    full_range: bool


def colour_box(path: Path, boxes: list[Box] | None = None) -> ColourBox | None:
    """The first video sample entry's ``colr`` box, or None if it has none."""
    boxes = read_boxes(path) if boxes is None else boxes
    for box in boxes:
        if box.type == "colr" and "/avc" in box.path:
            with open(path, "rb") as handle:
                handle.seek(box.offset + 8)
                payload = handle.read(min(box.size - 8, 11))
            kind = payload[:4].decode("latin-1")
            if kind != "nclx" or len(payload) < 11:
                return ColourBox(kind, 0, 0, 0, False)
            primaries, transfer, matrix = struct.unpack(">HHH", payload[4:10])
            return ColourBox(kind, primaries, transfer, matrix, bool(payload[10] & 0x80))
    return None


# --- chapters ----------------------------------------------------------------------------------------

#: Nero chapter start times count these per second.
NERO_CHAPTER_UNITS = 10_000_000
_MAX_NERO = 255  #: chapters, and bytes per title


def _nero_title(title: str) -> bytes:
    data = title.encode("utf-8")
    if len(data) <= _MAX_NERO:
        return data
    return data[:_MAX_NERO].decode("utf-8", errors="ignore").encode("utf-8")  # cut on a character boundary


def chpl_box(chapters: list[tuple[float, str]]) -> bytes:
    """A Nero ``chpl`` box (version 1, as ffmpeg writes and reads it): start times in 100 ns units, titles."""
    if not 0 < len(chapters) <= _MAX_NERO:
        raise ValueError(f"a chpl box holds 1-{_MAX_NERO} chapters, got {len(chapters)}")
    body = struct.pack(">I I B", 0x01000000, 0, len(chapters))
    for start, title in chapters:
        name = _nero_title(title)
        body += struct.pack(">Q B", round(start * NERO_CHAPTER_UNITS), len(name)) + name
    return struct.pack(">I4s", 8 + len(body), b"chpl") + body


def add_nero_chapters(source: Path, target: Path, chapters: list[tuple[float, str]]) -> None:
    """Copy the faststart MP4 ``source`` to ``target`` with ``chapters`` ``(start_s, title)`` in ``moov/udta/chpl``.

    The ``moov`` box grows by the new box, so every chunk offset (``stco``/``co64``) into the ``mdat`` after
    it moves by as much; everything else is copied byte for byte.
    """
    boxes = read_boxes(source)
    top = [b for b in boxes if "/" not in b.path]
    moov = next((b for b in top if b.type == "moov"), None)
    mdat = next((b for b in top if b.type == "mdat"), None)
    if moov is None or mdat is None or moov.offset > mdat.offset:
        raise ValueError(f"{source}: chapters can only be added to a faststart MP4 (moov before mdat)")
    if any(b.type == "chpl" for b in boxes):
        raise ValueError(f"{source}: already has a chpl box")
    chpl = chpl_box(chapters)
    with open(source, "rb") as handle:
        handle.seek(moov.offset)
        data = bytearray(handle.read(moov.size))
    for box in boxes:
        if box.type in ("stco", "co64") and box.path.startswith("moov/"):
            at = box.offset - moov.offset + 12  # header, version and flags
            count = struct.unpack_from(">I", data, at)[0]
            fmt = ">I" if box.type == "stco" else ">Q"
            width = struct.calcsize(fmt)
            for k in range(count):
                where = at + 4 + k * width
                value = struct.unpack_from(fmt, data, where)[0] + len(chpl)
                if box.type == "stco" and value >= 2**32:
                    raise ValueError(f"{source}: a chunk offset passes 4 GiB with the chapters added")
                struct.pack_into(fmt, data, where, value)
    udta = next((b for b in boxes if b.path == "moov/udta"), None)
    if udta is None:
        data += struct.pack(">I4s", 8 + len(chpl), b"udta") + chpl
    else:
        end = udta.offset - moov.offset + udta.size
        data[end:end] = chpl
        struct.pack_into(">I", data, udta.offset - moov.offset, udta.size + len(chpl))
    if struct.unpack_from(">I", data, 0)[0] != moov.size:
        raise ValueError(f"{source}: a 64-bit moov size is not supported")
    struct.pack_into(">I", data, 0, len(data))
    with open(source, "rb") as handle, open(target, "wb") as out:
        out.write(handle.read(moov.offset))
        out.write(data)
        handle.seek(moov.offset + moov.size)
        while block := handle.read(1 << 20):
            out.write(block)


# --- H.264 -------------------------------------------------------------------------------------------

def avcc_length_size(extradata: bytes | None) -> int:
    """NAL length-prefix size from an ``avcC`` record (4 in practice); 0 if the stream is Annex B."""
    if not extradata or extradata[0] != 1 or len(extradata) < 5:
        return 0
    return (extradata[4] & 0x03) + 1


def nal_units(data: bytes, length_size: int) -> Iterator[bytes]:
    """Split one packet into NAL units (length-prefixed ``avcC`` style, or Annex B start codes if 0)."""
    if length_size:
        pos = 0
        while pos + length_size <= len(data):
            n = int.from_bytes(data[pos:pos + length_size], "big")
            pos += length_size
            yield data[pos:pos + n]
            pos += n
    else:
        for unit in re.split(b"\x00\x00\x01", data):
            unit = unit.rstrip(b"\x00")
            if unit:
                yield unit


class _Bits:
    def __init__(self, data: bytes) -> None:
        # drop emulation-prevention bytes (00 00 03 -> 00 00)
        self.data = re.sub(b"\x00\x00\x03", b"\x00\x00", data)
        self.pos = 0

    def bit(self) -> int:
        byte = self.data[self.pos >> 3]
        value = (byte >> (7 - (self.pos & 7))) & 1
        self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.bit() == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad Exp-Golomb code")
        value = 0
        for _ in range(zeros):
            value = (value << 1) | self.bit()
        return (1 << zeros) - 1 + value


SLICE_TYPES = {0: "P", 1: "B", 2: "I", 3: "SP", 4: "SI"}


def packet_picture(data: bytes, length_size: int) -> tuple[bool, str | None]:
    """``(is_idr, slice_type)`` of the first slice in an H.264 packet (slice type ``None`` if it has none)."""
    for unit in nal_units(data, length_size):
        if not unit:
            continue
        nal_type = unit[0] & 0x1F
        if nal_type in (1, 5):
            bits = _Bits(unit[1:16])
            try:
                bits.ue()  # first_mb_in_slice
                return nal_type == 5, SLICE_TYPES.get(bits.ue() % 5)
            except (IndexError, ValueError):  # a truncated or corrupt header: the type is unknown
                return nal_type == 5, None
    return False, None


def x264_settings(data: bytes) -> dict[str, str]:
    """The encoder settings x264 writes into its SEI (``bframes=2 keyint=60 open_gop=0 ...``), if present."""
    marker = data.find(b"x264 - core")
    if marker < 0:
        return {}
    text = data[marker:].split(b"\x00", 1)[0].decode("latin-1", "replace")
    _, _, options = text.partition("options: ")
    settings = {}
    for item in options.split():
        key, sep, value = item.partition("=")
        if sep:
            settings[key] = value
    return settings
