"""The delivery file: Manim's raw MP4 packet-copied into one that plays and uploads everywhere.

PyAV only (a Manim dependency), no ffmpeg binary. :func:`remux_for_delivery`
puts ``moov`` first, drops the edit list, gives every frame its timestamp from
its index (a constant frame rate), adds a silent AAC-LC 48 kHz stereo track and
chapter marks. It writes ``target`` directly: callers stage it
(``render.build.fsio``).
"""

from __future__ import annotations

from collections import deque
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import av
import numpy as np

from render.delivery import mp4box
from scenes.captions import Chapter

__all__ = ["AUDIO_LAYOUT", "AUDIO_RATE", "constant_rate", "remux_for_delivery"]

AUDIO_RATE = 48_000
AUDIO_LAYOUT = "stereo"


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
    # The encoder's priming delay gives the first packets negative timestamps, and the MP4 muxer (with no edit
    # list) would then shift every stream, the video included, off its frame grid. Silence has nothing to
    # align: lay the packets end to end from zero.
    start = 0
    for packet in packets:
        packet.pts = packet.dts = start
        start += packet.duration or frame_size
    return packets


def _seconds(packet: av.Packet) -> float:
    return float(packet.dts * packet.time_base)


def constant_rate(packets: list[av.Packet], fps: int, time_base: Fraction) -> int:
    """Give ``packets`` (one video stream, in decode order) timestamps from their frame index; return the
    reorder delay in frames.

    Manim joins its segments with timestamps rounded to the millisecond, so a few frames came out a third
    of a millisecond short (a variable frame rate to any editor). Here the n-th frame in presentation
    order is shown at exactly n frames (plus the B-frame reorder delay, as there is no edit list), and
    the decode timestamps run one frame apart from zero.
    """
    ticks = Fraction(1, fps) / time_base
    if ticks.denominator != 1:
        raise ValueError(f"a frame ({Fraction(1, fps)} s) is not a whole number of {time_base} s ticks")
    step = int(ticks)
    rank = {i: r for r, i in enumerate(sorted(range(len(packets)), key=lambda i: packets[i].pts))}
    delay = max([0, *(i - rank[i] for i in range(len(packets)))])
    for i, packet in enumerate(packets):
        packet.dts = i * step
        packet.pts = (rank[i] + delay) * step
        packet.duration = step
    return delay


def remux_for_delivery(
    raw: Path,
    target: Path,
    *,
    fps: int,
    title: str = "",
    comment: str = "",
    chapters: Iterable[Chapter] = (),
    silent_audio: bool = True,
) -> None:
    """Packet-copy ``raw`` into ``target``: ``moov`` first, no edit list, a constant frame rate.

    Timestamps come from the frame index (:func:`constant_rate`). With ``silent_audio`` it adds a silent
    AAC-LC 48 kHz stereo track as long as the video, interleaved with it. ``chapters`` go into the MP4 as
    Nero chapter marks (``moov/udta/chpl``, :func:`render.delivery.mp4box.add_nero_chapters`), which
    ffmpeg-based players and VLC read and which an ordinary ``-map 0 -c copy`` remux to MKV or MOV carries
    over; a QuickTime chapter text track would be a data stream those remuxes refuse.
    """
    chapters = list(chapters)
    staging = target.with_name(f".{target.name}.nochapters") if chapters else target
    try:
        with av.open(str(raw)) as source:
            in_stream = source.streams.video[0]
            packets = [p for p in source.demux(in_stream) if p.dts is not None]
            delay = constant_rate(packets, fps, in_stream.time_base)
            duration = (len(packets) + delay) / fps  # the last picture ends here (shown after the reorder delay)
            with av.open(str(staging), mode="w", format="mp4",
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
                pending = deque(audio)  # in time order; muxed in step with the video, so chunks interleave
                for packet in packets:
                    now = _seconds(packet)
                    while pending and _seconds(pending[0]) <= now:
                        sink.mux(pending.popleft())
                    packet.stream = out_stream
                    sink.mux(packet)
                while pending:
                    sink.mux(pending.popleft())
        if chapters:
            mp4box.add_nero_chapters(staging, target, [(c.start, c.title) for c in chapters])
    finally:  # a failed write (a full disk) leaves no staging file behind to fill the disk further
        if chapters:
            staging.unlink(missing_ok=True)
