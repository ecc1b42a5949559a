"""Probing a delivery MP4: what it holds, read back with PyAV and the MP4 box reader.

The metadata (``<id>.json``) and ``explainers verify`` both report from a :class:`Probe`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from render.delivery import mp4box

__all__ = ["AudioProbe", "Probe", "probe"]


_PRIMARIES = {1: "bt709", 2: "unspecified", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 9: "bt2020"}
_TRANSFER = {1: "bt709", 2: "unspecified", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m",
             8: "linear", 13: "iec61966-2-1", 14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084", 18: "arib-std-b67"}
_MATRIX = {0: "rgb", 1: "bt709", 2: "unspecified", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 9: "bt2020nc"}
_RANGE = {0: "unspecified", 1: "tv", 2: "pc"}


def _name(table: dict[int, str], value: Any) -> str:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return table.get(number, str(number))


@dataclass(frozen=True)
class AudioProbe:
    codec: str
    profile: str
    sample_rate: int
    channels: int
    layout: str
    duration_s: float
    peak: float  #: largest absolute sample value (0 for digital silence)


@dataclass(frozen=True)
class Probe:
    """What a delivery MP4 holds, as read back with PyAV and the box reader."""

    duration_s: float
    width: int
    height: int
    fps: float
    frames: int
    codec: str
    profile: str
    pix_fmt: str
    bit_rate: int  #: whole file, bits/s
    size_bytes: int
    start_s: float = 0.0  #: when the first frame is shown: the B-frame reorder delay, as there is no edit list
    top_level_boxes: tuple[str, ...] = ()
    edit_lists: int = 0
    colour_box: tuple[int, int, int] | None = None  #: nclx primaries/transfer/matrix in the sample entry
    color_primaries: str = ""
    color_trc: str = ""
    colorspace: str = ""
    color_range: str = ""
    interlaced: bool = False
    keyframes: int = 0
    idr_keyframes: int = 0
    max_keyframe_interval_s: float = 0.0
    b_frames: int = 0
    max_consecutive_b_frames: int = 0
    video_bit_rate: int = 0  #: video packets only, bits/s
    peak_bit_rate: int = 0  #: the most video bits in any 1 s window
    x264: dict[str, str] = field(default_factory=dict)
    audio: AudioProbe | None = None
    chapters: tuple[tuple[str, float, float], ...] = ()
    #: ``(interval between consecutive frames in the stream's ticks, how often)``, by interval
    frame_intervals: tuple[tuple[int, int], ...] = ()
    time_base: str = ""

    @property
    def constant_frame_rate(self) -> bool:
        """Every frame follows the one before by the same interval."""
        return len(self.frame_intervals) == 1

    @property
    def moov_before_mdat(self) -> bool:
        boxes = list(self.top_level_boxes)
        return "moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat")

    def summary(self) -> dict[str, Any]:
        """The delivery facts as plain JSON data (for ``<id>.json``)."""
        data = asdict(self)
        data.pop("x264")
        data["moov_before_mdat"] = self.moov_before_mdat
        data["constant_frame_rate"] = self.constant_frame_rate
        data["frame_intervals"] = [list(pair) for pair in self.frame_intervals]
        data["chapters"] = [{"title": t, "start": s, "end": e} for t, s, e in self.chapters]
        data["max_keyframe_interval_s"] = round(self.max_keyframe_interval_s, 4)
        data["fps"] = round(self.fps, 4)
        data["duration_s"] = round(self.duration_s, 3)
        data["start_s"] = round(self.start_s, 4)
        if self.audio is not None:
            data["audio"]["duration_s"] = round(self.audio.duration_s, 3)
        return data


def _peak_window_bits(sizes: list[tuple[float, int]], window: float = 1.0) -> int:
    sizes.sort()
    best = total = start = 0
    for end in range(len(sizes)):
        total += sizes[end][1]
        while sizes[end][0] - sizes[start][0] >= window - 1e-9:
            total -= sizes[start][1]
            start += 1
        best = max(best, total)
    return best * 8


def _walk_video(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> dict[str, Any]:
    """One pass over the video packets: keyframes, IDR pictures, slice types, sizes, x264 settings."""
    length_size = mp4box.avcc_length_size(stream.codec_context.extradata)
    keyframe_times: list[float] = []
    times: list[float] = []
    ticks: list[int] = []
    sizes: list[tuple[float, int]] = []
    idr = run = longest_run = b_frames = 0
    x264: dict[str, str] = {}
    for packet in container.demux(stream):
        if packet.dts is None or packet.pts is None:
            continue
        data = bytes(packet)
        when = float(packet.pts * packet.time_base)
        times.append(when)
        ticks.append(packet.pts)
        sizes.append((when, packet.size))
        if not x264:
            x264 = mp4box.x264_settings(data)
        is_idr, slice_type = mp4box.packet_picture(data, length_size)
        if packet.is_keyframe:
            keyframe_times.append(when)
            idr += is_idr
        if slice_type == "B":
            b_frames += 1
            run += 1
            longest_run = max(longest_run, run)
        else:
            run = 0
    keyframe_times.sort()
    times.sort()
    ticks.sort()
    intervals: dict[int, int] = {}
    for a, b in zip(ticks, ticks[1:]):
        intervals[b - a] = intervals.get(b - a, 0) + 1
    gaps = [b - a for a, b in zip(keyframe_times, keyframe_times[1:])]
    if times:
        frame = (times[-1] - times[0]) / max(len(times) - 1, 1)
        end = times[-1] + frame
        gaps.append(end - (keyframe_times[-1] if keyframe_times else times[0]))
    return {
        "keyframes": len(keyframe_times),
        "idr_keyframes": idr,
        "max_keyframe_interval_s": max(gaps, default=0.0),
        "b_frames": b_frames,
        "max_consecutive_b_frames": longest_run,
        "bits": sum(s for _, s in sizes) * 8,
        "peak_bit_rate": _peak_window_bits(sizes),
        "x264": x264,
        "frame_intervals": tuple(sorted(intervals.items())),
    }


def _interlaced(container: av.container.InputContainer, stream: av.video.stream.VideoStream, frames: int) -> bool:
    container.seek(0)
    for i, frame in enumerate(container.decode(stream)):
        if frame.interlaced_frame:
            return True
        if i + 1 >= frames:
            break
    return False


def _probe_audio(path: Path) -> AudioProbe | None:
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        peak = 0.0
        samples = 0
        for frame in container.decode(stream):
            values = frame.to_ndarray()
            samples += frame.samples
            if values.size:
                peak = max(peak, float(np.abs(values).max()))
        duration = float(stream.duration * stream.time_base) if stream.duration else samples / (ctx.sample_rate or 1)
        return AudioProbe(
            codec=ctx.name,
            profile=str(ctx.profile or ""),
            sample_rate=int(ctx.sample_rate or 0),
            channels=int(ctx.channels or 0),
            layout=str(ctx.layout.name if ctx.layout else ""),
            duration_s=duration,
            peak=peak,
        )


def probe(path: Path) -> Probe:
    """Everything the delivery contract is about, read back from the file."""
    path = Path(path)
    boxes = mp4box.read_boxes(path)
    colr = mp4box.colour_box(path, boxes)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = stream.guessed_rate or stream.average_rate or Fraction(0)
        frames = stream.frames
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = float(container.duration or 0) / 1_000_000
        ctx = stream.codec_context
        size = path.stat().st_size
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        chapters = tuple(
            (str(c["metadata"].get("title", "")), float(c["start"] * c["time_base"]), float(c["end"] * c["time_base"]))
            for c in container.chapters()
        )
        walk = _walk_video(container, stream)
        interlaced = _interlaced(container, stream, max(int(2 * float(rate or 1)), 2))
        info = dict(
            duration_s=duration,
            width=ctx.width,
            height=ctx.height,
            fps=float(rate),
            frames=int(frames),
            codec=ctx.name,
            profile=str(ctx.profile or ""),
            pix_fmt=str(ctx.pix_fmt or (stream.format.name if stream.format else "")),
            bit_rate=int(size * 8 / duration) if duration else 0,
            size_bytes=size,
            start_s=start,
            color_primaries=_name(_PRIMARIES, ctx.color_primaries),
            color_trc=_name(_TRANSFER, ctx.color_trc),
            colorspace=_name(_MATRIX, ctx.colorspace),
            color_range=_name(_RANGE, ctx.color_range),
            time_base=str(stream.time_base),
        )
    return Probe(
        **info,
        top_level_boxes=tuple(b.type for b in boxes if "/" not in b.path),
        edit_lists=len(mp4box.find_boxes(boxes, "elst")),
        colour_box=(colr.primaries, colr.transfer, colr.matrix) if colr and colr.kind == "nclx" else None,
        interlaced=interlaced,
        keyframes=walk["keyframes"],
        idr_keyframes=walk["idr_keyframes"],
        max_keyframe_interval_s=walk["max_keyframe_interval_s"],
        b_frames=walk["b_frames"],
        max_consecutive_b_frames=walk["max_consecutive_b_frames"],
        video_bit_rate=int(walk["bits"] / duration) if duration else 0,
        peak_bit_rate=walk["peak_bit_rate"],
        x264=walk["x264"],
        frame_intervals=walk["frame_intervals"],
        audio=_probe_audio(path),
        chapters=chapters,
    )


