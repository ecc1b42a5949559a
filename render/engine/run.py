"""One scene run with Manim: its config, and the renderer with our speed-ups.

Every render process goes through :func:`run_scene`: it checks the Manim
version, installs :mod:`render.engine.speedups`, scopes Manim's global config
with ``tempconfig`` and runs the explainer's scene into a media directory of
its own, so parallel renders never share state or files.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from manim import tempconfig
from manim.renderer.cairo_renderer import CairoRenderer

import scenes
from render.catalog import Explainer
from render.delivery.encoding import Quality, encoder_options
from render.engine import check_manim_version, speedups
from render.engine.encoder import DeliveryFileWriter
from scenes.captions import CAPTION_STYLES

__all__ = ["STATE_LOG_ENV", "manim_config", "run_scene", "scene_fingerprint", "scene_meta"]

#: Test hook: a file to which every scene run appends one line per play, the state it leaves
#: (:func:`scene_fingerprint`). The shared tests compare a drawn run with one that jumps over every play.
STATE_LOG_ENV = "EXPLAINERS_TEST_STATE_LOG"


def manim_config(quality: Quality, media_dir: Path, output_name: str) -> dict[str, Any]:
    """Manim's config for one render: size, rate, our encoder options, no cache, quiet."""
    return {
        "media_dir": str(media_dir),
        "pixel_width": quality.width,
        "pixel_height": quality.height,
        "frame_rate": quality.fps,
        "output_file": output_name,
        "disable_caching": True,
        "verbosity": "ERROR",
        "progress_bar": "none",
        "write_to_movie": True,
        "format": "mp4",
        "video_encoder_options": encoder_options(quality.fps, quality.width, quality.height),
        # Two segments may still be encoding while the next is drawn. Each has its own single-threaded
        # encoder, so the bytes do not depend on timing (see encoder_options).
        "max_inflight_encoders": 2,
    }


def scene_fingerprint(scene: Any) -> dict[str, Any]:
    """What a frame is drawn from, in brief: the renderer's clock and, for every mobject on screen that draws
    something, in drawing order, its type, paint (colours, opacities, stroke width, z-order) and geometry
    (point count, bounding box, centroid, to 1e-7). A member with no points, or whose paint is all
    transparent or zero-width, draws nothing, so what it holds does not count. Geometry is summarised rather than hashed
    exactly: two ways to one position may differ in the last bit of a float, which no pixel shows."""
    members = []
    for mobject in [*scene.mobjects, *scene.foreground_mobjects]:
        for member in mobject.get_family():
            paints = [getattr(member, name, None) for name in ("fill_rgbas", "stroke_rgbas", "background_stroke_rgbas")]
            widths = [1.0, getattr(member, "stroke_width", 0.0), getattr(member, "background_stroke_width", 0.0)]
            points = member.points
            if len(points) == 0 or not any(p is not None and len(p) and width and np.any(p[:, 3] > 0)
                                           for p, width in zip(paints, widths)):
                continue
            paint = hashlib.sha256(repr((getattr(member, "stroke_width", None), member.z_index)).encode())
            for values in paints:
                if values is not None:
                    paint.update(np.round(np.asarray(values, dtype=float), 9).tobytes())
            box = [*points[:, :2].min(axis=0), *points[:, :2].max(axis=0), *points[:, :2].mean(axis=0)]
            members.append([type(member).__name__, len(points), paint.hexdigest()[:16],
                            *[round(float(v), 7) for v in box]])
    return {"time": round(float(scene.renderer.time), 9), "members": members}


@lru_cache(maxsize=None)
def _logging(renderer_class: type) -> type:
    """``renderer_class`` that appends each play's end state to the file named by :data:`STATE_LOG_ENV`."""

    class StateLogging(renderer_class):  # type: ignore[misc, valid-type]
        def play(self, scene: Any, *args: Any, **kwargs: Any) -> None:
            super().play(scene, *args, **kwargs)
            with open(os.environ[STATE_LOG_ENV], "a", encoding="utf-8") as log:
                log.write(json.dumps([self.num_plays - 1, scene_fingerprint(scene)]) + "\n")

    StateLogging.__name__ = f"StateLogging{renderer_class.__name__}"
    return StateLogging


def scene_meta(explainer: Explainer, captions: str = "burned") -> dict[str, Any]:
    """What a scene is told about its explainer: what its title card draws, its target length, and whether
    its captions are drawn (``captions``: ``"burned"`` or ``"track"``)."""
    if captions not in CAPTION_STYLES:
        raise ValueError(f"captions must be one of {CAPTION_STYLES}, got {captions!r}")
    return {"id": explainer.id, "title": explainer.title, "hook": explainer.hook, "category": explainer.category,
            "duration_s": explainer.duration_s, "captions": captions}


def run_scene(explainer: Explainer, trace: dict[str, Any], quality: Quality, media_dir: Path, *,
              text_cache: Path | None = None, captions: str = "burned", renderer_class: Any = None,
              **renderer_kwargs: Any) -> Any:
    """Run the explainer's scene with Manim into ``media_dir``, with our speed-ups; return the scene.

    ``renderer_class`` defaults to Manim's CairoRenderer writing through
    :class:`~render.engine.encoder.DeliveryFileWriter`; ``renderer_kwargs`` go to it.
    ``text_cache`` is a directory for the kit's Text disk cache (None: no disk cache).
    """
    check_manim_version()
    scene_cls = scenes.get_scene_class(explainer.id)
    speedups.install(text_cache=text_cache)
    renderer_kwargs.setdefault("file_writer_class", DeliveryFileWriter)
    renderer_class = renderer_class or CairoRenderer
    if os.environ.get(STATE_LOG_ENV):
        renderer_class = _logging(renderer_class)
    with tempconfig(manim_config(quality, media_dir, explainer.id)):
        renderer = renderer_class(camera_class=speedups.PathCachingCamera, **renderer_kwargs)
        scene = scene_cls(trace=trace, meta=scene_meta(explainer, captions), renderer=renderer)
        scene.render()
    return scene
