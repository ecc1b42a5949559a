"""Post-processing: turn Manim's raw MP4 into the delivery file, and probe it.

PyAV only (a Manim dependency): a packet-copy remux with ``moov`` first and no
edit list, a poster frame, and a probe of what the file holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from render.fsio import atomic_path

__all__ = ["Probe", "probe", "remux_for_delivery", "save_poster", "encoder_options", "extract_frames", "POSTPROCESS_VERSION"]

#: Bumped whenever what post-processing writes changes (part of the up-to-date hash).
POSTPROCESS_VERSION = 1


def encoder_options(fps: int) -> dict[str, str]:
    """libx264 options passed through Manim: 1 s closed GOPs, 2 B-frames, BT.709 tags, fixed threads.

    A fixed thread count makes the encoded bytes reproducible.
    """
    return {
        "preset": "veryfast",
        "crf": "20",
        "g": str(fps),
        "keyint_min": str(fps),
        "bf": "2",
        "threads": "2",
        "profile": "high",
        "x264-params": "colorprim=bt709:transfer=bt709:colormatrix=bt709:open-gop=0:scenecut=0",
    }


def remux_for_delivery(raw: Path, target: Path, *, title: str = "", comment: str = "") -> None:
    """Packet-copy ``raw`` into ``target`` (atomically) with faststart and no edit list."""
    with atomic_path(target) as temp:
        with av.open(str(raw)) as source:
            in_stream = source.streams.video[0]
            with av.open(str(temp), mode="w", format="mp4",
                         options={"movflags": "+faststart", "use_editlist": "0"}) as sink:
                if title:
                    sink.metadata["title"] = title
                if comment:
                    sink.metadata["comment"] = comment
                out_stream = sink.add_stream_from_template(in_stream)
                for packet in source.demux(in_stream):
                    if packet.dts is None:
                        continue
                    packet.stream = out_stream
                    sink.mux(packet)


@dataclass(frozen=True)
class Probe:
    """What a delivery MP4 holds, as read back with PyAV."""

    duration_s: float
    width: int
    height: int
    fps: float
    frames: int
    codec: str
    profile: str
    pix_fmt: str
    bit_rate: int
    size_bytes: int


def probe(path: Path) -> Probe:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or Fraction(0)
        frames = stream.frames
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = float(container.duration or 0) / 1_000_000
        ctx = stream.codec_context
        size = Path(path).stat().st_size
        return Probe(
            duration_s=duration,
            width=ctx.width,
            height=ctx.height,
            fps=float(rate),
            frames=int(frames),
            codec=ctx.name,
            profile=str(ctx.profile or ""),
            pix_fmt=str(ctx.pix_fmt or stream.format.name if stream.format else ""),
            bit_rate=int(size * 8 / duration) if duration else 0,
            size_bytes=size,
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
