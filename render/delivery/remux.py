"""The delivery file: Manim's raw MP4 packet-copied into one that plays and uploads everywhere.

PyAV only (a Manim dependency), no ffmpeg binary. :func:`remux_for_delivery`
puts ``moov`` first, drops the edit list, adds a silent AAC-LC 48 kHz stereo
track and chapter marks. It writes ``target`` directly: callers stage it
(``render.build.fsio``).
"""

from __future__ import annotations

from collections import deque
from fractions import Fraction
from pathlib import Path
from typing import Iterable

import av
import numpy as np

from scenes.captions import Chapter

__all__ = ["AUDIO_LAYOUT", "AUDIO_RATE", "remux_for_delivery"]

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
    """Packet-copy ``raw`` into ``target``: ``moov`` first, no edit list.

    With ``silent_audio`` it adds a silent AAC-LC 48 kHz stereo track as long as
    the video, interleaved with it; ``chapters`` go into the MP4 as chapter
    marks (QuickTime chapter track and Nero ``chpl``, as ffmpeg's muxer writes them).
    """
    with av.open(str(raw)) as source:
        in_stream = source.streams.video[0]
        duration = float(in_stream.duration * in_stream.time_base) if in_stream.duration else 0.0
        if in_stream.start_time:  # already shifted by a reorder delay: the picture ends that much later
            duration += max(0.0, float(in_stream.start_time * in_stream.time_base))
        with av.open(str(target), mode="w", format="mp4",
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


