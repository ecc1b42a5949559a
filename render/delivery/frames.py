"""Stills from a delivery MP4: the poster, and PNG frames to look at."""

from __future__ import annotations

from pathlib import Path

import av

__all__ = ["extract_frames", "save_poster"]


def save_poster(video: Path, target: Path, at_s: float, *, quality: int = 90) -> None:
    """Decode the frame at ``at_s`` seconds and save it as a JPEG at ``target``."""
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
    image.save(target, format="JPEG", quality=quality, optimize=True)


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
