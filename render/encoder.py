"""The Manim side of delivery encoding: frames converted to YUV with the BT.709 matrix.

Imported only by the render job (it imports Manim); everything else about the
delivery file is in :mod:`render.postprocess`.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, VideoReformatter
from manim.scene.scene_file_writer import SceneFileWriter
from manim.scene.video_segment_encoder import VideoSegmentEncoder

__all__ = ["Bt709SegmentEncoder", "DeliveryFileWriter"]


class Bt709SegmentEncoder(VideoSegmentEncoder):
    """Manim's segment encoder, converting RGBA to YUV with the BT.709 matrix.

    Manim hands the encoder RGBA frames and lets swscale convert them with its
    default (BT.601) matrix, which would contradict the BT.709 tags: players
    would decode the theme's green about 13 luma steps off. Here each frame is
    converted once with the BT.709 matrix (limited range), and a held frame
    (``repeat``) is converted once, not once per repeat. One RGBA frame and one
    converter serve the whole segment (bench/: re-allocating both for every frame
    took about a third of the encoder thread's time at 1080p). The RGBA frame keeps
    FFmpeg's own alignment: swscale's rounding depends on it, and wrapping Manim's
    array instead made the bytes depend on where the allocator happened to put it.
    """

    def write_frame(self, pixels: np.ndarray, *, repeat: int = 1) -> None:
        self._validate_frame(pixels, repeat)
        time_base = Fraction(self.spec.frame_rate.denominator, self.spec.frame_rate.numerator)
        if not hasattr(self, "_reformatter"):
            # One swscale context and one RGBA frame (FFmpeg-aligned, as ``from_ndarray`` makes them) per
            # segment: allocating both for every frame cost more than the colour conversion at 1080p.
            self._reformatter = VideoReformatter()
            self._rgba = av.VideoFrame(self.spec.width, self.spec.height, "rgba")
            plane = self._rgba.planes[0]
            np.frombuffer(plane, np.uint8)[:] = 0  # the row padding too: nothing uninitialised reaches swscale
            self._rgba_rows = np.frombuffer(plane, np.uint8)[: plane.height * plane.line_size].reshape(
                plane.height, plane.line_size)[:, : self.spec.width * 4]
        try:
            self._rgba_rows[...] = pixels.reshape(self.spec.height, self.spec.width * 4)
            yuv = self._reformatter.reformat(
                self._rgba,
                format=self.spec.pixel_format,
                dst_colorspace=Colorspace.ITU709,
                dst_color_range=ColorRange.MPEG,
            )
            _clear_padding(yuv)
            for _ in range(repeat):
                yuv.pts = self._next_pts
                yuv.time_base = time_base
                self._next_pts += 1
                for packet in self._stream.encode(yuv):
                    self._container.mux(packet)
        except BaseException as error:
            raise self._operation_error("encode", error) from error


def _clear_padding(frame: av.VideoFrame) -> None:
    """Zero the bytes past each row's width in ``frame``'s planes.

    swscale leaves them uninitialised, and x264 reads some of them when the width
    is not a multiple of 16 (854 at preview quality): the same frames then encoded
    to different bytes from one process to another (seen between a local and a
    Dask worker render).
    """
    for plane in frame.planes:
        if plane.line_size > plane.width:
            rows = np.frombuffer(plane, np.uint8)[: plane.height * plane.line_size].reshape(plane.height, plane.line_size)
            rows[:, plane.width:] = 0


class DeliveryFileWriter(SceneFileWriter):
    """Manim's file writer with :class:`Bt709SegmentEncoder` (``CairoRenderer(file_writer_class=...)``)."""

    def _create_segment_encoder(self, target: Path) -> VideoSegmentEncoder:
        encoder = self.video_encoder
        if encoder is None:
            raise RuntimeError("Video segment encoding requires resolved settings.")
        return Bt709SegmentEncoder(target=target, spec=encoder)
