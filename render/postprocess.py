"""Post-processing: turn Manim's raw MP4 into the delivery file, and probe it.

PyAV only (a Manim dependency), no ffmpeg binary:

* :func:`encoder_options` shape the stream while Manim encodes it: 1 s
  closed GOPs, at most 2 B-frames, a bitrate cap, BT.709 tags (and
  :mod:`render.encoder` converts the frames with the BT.709 matrix, so that the
  tags tell the truth).
* :func:`remux_for_delivery` packet-copies it into the delivery MP4: ``moov``
  first, no edit list, a silent AAC-LC 48 kHz stereo track, chapters.
* :func:`probe` reads back what the file holds, for the metadata and for
  ``explainers verify``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable

import av
import numpy as np

from render import mp4
from render.captions import Chapter
from render.fsio import atomic_path

__all__ = [
    "AUDIO_LAYOUT",
    "AUDIO_RATE",
    "AudioProbe",
    "POSTPROCESS_VERSION",
    "Probe",
    "bitrate_reference",
    "encoder_options",
    "extract_frames",
    "probe",
    "remux_for_delivery",
    "save_poster",
]

#: Bumped whenever what post-processing writes changes (part of the up-to-date hash).
POSTPROCESS_VERSION = 2

AUDIO_RATE = 48_000
AUDIO_LAYOUT = "stereo"

#: YouTube's recommended upload bitrate for 1080p60 SDR, the reference for every size and rate.
REFERENCE_BPS = 12_000_000
REFERENCE_PIXEL_RATE = 1920 * 1080 * 60


def bitrate_reference(width: int, height: int, fps: float) -> int:
    """The 1080p60 reference bitrate scaled to this frame size and rate (bits/s)."""
    return int(REFERENCE_BPS * (width * height * fps) / REFERENCE_PIXEL_RATE)


def encoder_options(fps: int, width: int = 1920, height: int = 1080) -> dict[str, str]:
    """libx264 options passed through Manim.

    1 s closed GOPs (``g`` = fps, no scene-cut keyframes), at most 2 B-frames, High
    profile, BT.709 tags, constant quality capped at the reference bitrate for the
    size and rate (1 s VBV buffer), and one encoder thread so that the encoded
    bytes are reproducible: with two threads and the VBV cap, x264's output
    depended on how its threads were scheduled (two encodes of the same frames,
    one on an idle machine and one under load, gave different bytes; ``bench/``).
    The render keeps both cores busy anyway: drawing runs beside the encoder, and
    several explainers (or parts of one) render at once. The preset and crf
    depend on the frame size (see below).
    """
    cap = bitrate_reference(width, height, fps)
    # From 720p up, x264's superfast preset at crf 21 holds veryfast crf 20's quality (PSNR against the
    # source frames, bench/: mean as high or higher, minimum higher, on three 5 s samples of a 1080p60
    # explainer) for 25-40 % less encoder time, at about 1.5x the bits (still a tenth of the cap).
    # Preview keeps veryfast crf 20: its cap is tight and its time goes to drawing, not encoding.
    large = width * height >= 1280 * 720
    return {
        "preset": "superfast" if large else "veryfast",
        "crf": "21" if large else "20",
        "maxrate": str(cap),
        "bufsize": str(cap),
        "g": str(fps),
        "keyint_min": str(fps),
        "bf": "2",
        "threads": "1",
        "profile": "high",
        "x264-params": "colorprim=bt709:transfer=bt709:colormatrix=bt709:open-gop=0:scenecut=0",
    }


def _silent_aac(stream: av.audio.stream.AudioStream, samples: int) -> list[av.Packet]:
    """Encode ``samples`` samples of digital silence; return the packets."""
    frame_size = stream.codec_context.frame_size or 1024
    packets: list[av.Packet] = []
    pts = 0
    while pts < samples:
        n = min(frame_size, samples - pts)
        frame = av.AudioFrame.from_ndarray(np.zeros((2, n), dtype=np.float32), format="fltp", layout=AUDIO_LAYOUT)
        frame.sample_rate = AUDIO_RATE
        frame.pts = pts
        frame.time_base = Fraction(1, AUDIO_RATE)
        packets += stream.encode(frame)
        pts += n
    packets += stream.encode(None)
    return packets


def _seconds(packet: av.Packet) -> float:
    return float(packet.dts * packet.time_base)


def remux_for_delivery(
    raw: Path,
    target: Path,
    *,
    title: str = "",
    comment: str = "",
    chapters: Iterable[Chapter] = (),
    silent_audio: bool = True,
) -> None:
    """Packet-copy ``raw`` into ``target`` (atomically): ``moov`` first, no edit list.

    With ``silent_audio`` it adds a silent AAC-LC 48 kHz stereo track as long as
    the video, interleaved with it; ``chapters`` go into the MP4 as chapter
    marks (QuickTime chapter track and Nero ``chpl``, as ffmpeg's muxer writes them).
    """
    with atomic_path(target) as temp:
        with av.open(str(raw)) as source:
            in_stream = source.streams.video[0]
            duration = float(in_stream.duration * in_stream.time_base) if in_stream.duration else 0.0
            if in_stream.start_time:  # already shifted by a reorder delay: the picture ends that much later
                duration += max(0.0, float(in_stream.start_time * in_stream.time_base))
            with av.open(str(temp), mode="w", format="mp4",
                         options={"movflags": "+faststart", "use_editlist": "0"}) as sink:
                if title:
                    sink.metadata["title"] = title
                if comment:
                    sink.metadata["comment"] = comment
                out_stream = sink.add_stream_from_template(in_stream)
                audio: list[av.Packet] = []
                if silent_audio:
                    audio_stream = sink.add_stream("aac", rate=AUDIO_RATE, layout=AUDIO_LAYOUT)
                    audio_stream.bit_rate = 128_000
                    audio = _silent_aac(audio_stream, round(duration * AUDIO_RATE))
                marks = [
                    {"id": i, "start": round(c.start * 1000), "end": round(min(c.end, duration or c.end) * 1000),
                     "time_base": Fraction(1, 1000), "metadata": {"title": c.title}}
                    for i, c in enumerate(chapters, 1)
                ]
                if marks:
                    sink.set_chapters(marks)
                pending = deque(audio)  # in time order; muxed in step with the video, so chunks interleave
                for packet in source.demux(in_stream):
                    if packet.dts is None:
                        continue
                    now = _seconds(packet)
                    while pending and _seconds(pending[0]) <= now:
                        sink.mux(pending.popleft())
                    packet.stream = out_stream
                    sink.mux(packet)
                while pending:
                    sink.mux(pending.popleft())


# --- probing -----------------------------------------------------------------------------------------

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

    @property
    def moov_before_mdat(self) -> bool:
        boxes = list(self.top_level_boxes)
        return "moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat")

    def summary(self) -> dict[str, Any]:
        """The delivery facts as plain JSON data (for ``<id>.json``)."""
        data = asdict(self)
        data.pop("x264")
        data["moov_before_mdat"] = self.moov_before_mdat
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
    length_size = mp4.avcc_length_size(stream.codec_context.extradata)
    keyframe_times: list[float] = []
    times: list[float] = []
    sizes: list[tuple[float, int]] = []
    idr = run = longest_run = b_frames = 0
    x264: dict[str, str] = {}
    for packet in container.demux(stream):
        if packet.dts is None or packet.pts is None:
            continue
        data = bytes(packet)
        when = float(packet.pts * packet.time_base)
        times.append(when)
        sizes.append((when, packet.size))
        if not x264:
            x264 = mp4.x264_settings(data)
        is_idr, slice_type = mp4.packet_picture(data, length_size)
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
    boxes = mp4.read_boxes(path)
    colr = mp4.colour_box(path, boxes)
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
        )
    return Probe(
        **info,
        top_level_boxes=tuple(b.type for b in boxes if "/" not in b.path),
        edit_lists=len(mp4.find_boxes(boxes, "elst")),
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
        audio=_probe_audio(path),
        chapters=chapters,
    )


def save_poster(video: Path, target: Path, at_s: float, *, quality: int = 90) -> None:
    """Decode the frame at ``at_s`` seconds and save it as a JPEG (atomically)."""
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        chosen = None
        if at_s > 1 and stream.time_base is not None:
            container.seek(int((at_s - 1) / stream.time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is not None and frame.time >= at_s:
                break
        if chosen is None:
            raise ValueError(f"{video} has no video frames")
        image = chosen.to_image()
    with atomic_path(target) as temp:
        image.save(temp, format="JPEG", quality=quality, optimize=True)


def extract_frames(video: Path, times: list[float], out_dir: Path, *, prefix: str = "frame") -> list[Path]:
    """Save the frame at each time in ``times`` (seconds) as a PNG; return the paths in order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = sorted(set(round(t, 3) for t in times))
    written: list[Path] = []
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        pending = list(wanted)
        for frame in container.decode(stream):
            while pending and frame.time is not None and frame.time + 1e-6 >= pending[0]:
                target = out_dir / f"{prefix}-{pending.pop(0):07.2f}s.png"
                frame.to_image().save(target)
                written.append(target)
            if not pending:
                break
    return written
