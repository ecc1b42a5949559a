"""Delivery sizes and encoder settings: what the H.264 stream must be to play and upload everywhere.

Pure data (no Manim, no PyAV): the engine hands :func:`encoder_options` to
Manim's segment encoder, the build hashes them, ``verify`` checks the bitrate
against :func:`bitrate_reference`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["POSTPROCESS_VERSION", "QUALITIES", "Quality", "TEST_QUALITY", "bitrate_reference", "encoder_options"]


@dataclass(frozen=True)
class Quality:
    """A delivery size and frame rate."""

    name: str
    width: int
    height: int
    fps: int


QUALITIES: dict[str, Quality] = {
    "preview": Quality("preview", 854, 480, 15),
    "720p": Quality("720p", 1280, 720, 30),
    "1080p": Quality("1080p", 1920, 1080, 60),
    "4k": Quality("4k", 3840, 2160, 60),
    #: a smoke test: preview's frame rate (so the same timing, to the frame) at a tenth of its pixels
    "test": Quality("test", 256, 144, 15),
}
TEST_QUALITY = QUALITIES["test"]


#: Bumped whenever what post-processing writes changes (part of the up-to-date hash).
POSTPROCESS_VERSION = 2

AUDIO_RATE = 48_000
AUDIO_LAYOUT = "stereo"

#: YouTube's recommended upload bitrate for 1080p60 SDR, the reference for every size and rate.
REFERENCE_BPS = 12_000_000
REFERENCE_PIXEL_RATE = 1920 * 1080 * 60
#: The floor of the reference (bits/s); every delivery quality is above it (preview's is 593 kb/s).
MIN_REFERENCE_BPS = 200_000


def bitrate_reference(width: int, height: int, fps: float) -> int:
    """The 1080p60 reference bitrate scaled to this frame size and rate (bits/s), and never below
    :data:`MIN_REFERENCE_BPS`: at thumbnail sizes a keyframe's headers alone outgrow the scaled figure."""
    return max(MIN_REFERENCE_BPS, int(REFERENCE_BPS * (width * height * fps) / REFERENCE_PIXEL_RATE))


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


