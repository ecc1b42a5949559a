"""The draw: an explainer's scene rendered to a raw MP4, by one process or several."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from render.catalog import Explainer
from render.delivery.encoding import Quality
from render.engine.drawparts import draw_in_parts
from render.engine.run import run_scene

__all__ = ["draw"]


def draw(explainer: Explainer, trace: dict[str, Any], quality: Quality, media_dir: Path, *, parts: int = 1,
         text_cache: Path | None = None, captions: str = "burned") -> tuple[Path, Any]:
    """Render the explainer's scene into ``media_dir``; return (raw mp4 path, scene).

    With ``parts`` > 1 the drawing is shared by that many processes
    (:mod:`render.engine.drawparts`); the raw video is the same either way.
    """
    if parts > 1:
        return draw_in_parts(explainer, trace, quality, media_dir, parts=parts, text_cache=text_cache,
                             captions=captions)
    scene = run_scene(explainer, trace, quality, media_dir, text_cache=text_cache, captions=captions)
    return Path(scene.output_plan.primary_artifact), scene
