"""Speed-ups of Manim's Cairo rendering that leave every pixel as it was.

Imported only by render processes (it imports Manim). Two things were found by
profiling preview renders of the ready explainers (``bench/``):

* :class:`PathCachingCamera`: Manim's Cairo camera rebuilds the path of every
  moving VMobject on every frame: it splits the points into subpaths (NumPy)
  and calls ``curve_to`` once per Bézier curve from Python. Most "moving"
  mobjects in our scenes do not move from one frame to the next (marks and
  counters that follow a clock, the parts of a group fading in), so the same
  paths were rebuilt over and over: about a quarter of the drawing time. The
  camera keys a path by the exact bytes of the points (plus the attributes the
  path depends on and the context's matrix), builds it once with Manim's own
  code, keeps Cairo's copy of it and replays it with ``append_path``. Filling
  and stroking are unchanged.
* :func:`install` makes copies of text share the parsed SVG path they were
  built from. Every glyph of a ``Text`` keeps its ``svgelements.Path``
  (``VMobjectFromSVGPath.path_obj``), which Manim reads only while building
  the glyph's points; ``Mobject.copy`` (a deepcopy) copied that whole object
  graph too, which made copying text about 5x slower than it needs to be, and
  our scenes copy text a lot (the kit's text cache hands out copies). The
  points, colours and everything else are still copied.

``tests/test_performance.py`` checks that frames drawn with these are identical
to Manim's.
"""

from __future__ import annotations

from typing import Any

import cairo
import numpy as np
from manim.camera.camera import Camera
from manim.mobject.mobject import Mobject
from manim.mobject.svg.svg_mobject import VMobjectFromSVGPath

__all__ = ["MAX_PATHS", "PathCachingCamera", "install", "uninstall"]

#: Distinct paths kept per camera (a 100 s explainer needs a few thousand); the oldest go first.
MAX_PATHS = 20_000


class PathCachingCamera(Camera):
    """Manim's :class:`~manim.camera.camera.Camera` with a cache of built Cairo paths."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._paths: dict[tuple, cairo.Path] = {}
        self.path_hits = 0
        self.path_misses = 0

    def set_cairo_context_path(self, ctx: cairo.Context, vmobject: Any) -> "PathCachingCamera":
        points = vmobject.points
        if len(points) == 0:
            return self  # as Manim does: no new path
        if points.dtype != np.float64 or not points.flags.c_contiguous:
            points = np.ascontiguousarray(points, dtype=np.float64)
        key = (
            vmobject.n_points_per_cubic_curve,
            vmobject.tolerance_for_point_equality,
            tuple(ctx.get_matrix()),
            points.shape,
            points.tobytes(),
        )
        path = self._paths.get(key)
        if path is not None:
            self.path_hits += 1
            ctx.new_path()
            ctx.append_path(path)
            return self
        self.path_misses += 1
        super().set_cairo_context_path(ctx, vmobject)
        if len(self._paths) >= MAX_PATHS:
            del self._paths[next(iter(self._paths))]
        self._paths[key] = ctx.copy_path()
        return self


def _deepcopy_sharing_svg_path(self: VMobjectFromSVGPath, memo: dict[int, Any]) -> VMobjectFromSVGPath:
    memo.setdefault(id(self.path_obj), self.path_obj)  # read only after __init__: share it, copy the rest
    return Mobject.__deepcopy__(self, memo)


def install() -> None:
    """Patch Manim in this process (idempotent): copies of text share their parsed SVG paths."""
    if "__deepcopy__" not in VMobjectFromSVGPath.__dict__:
        VMobjectFromSVGPath.__deepcopy__ = _deepcopy_sharing_svg_path


def uninstall() -> None:
    """Undo :func:`install` (for tests that compare with Manim's own behaviour)."""
    if VMobjectFromSVGPath.__dict__.get("__deepcopy__") is _deepcopy_sharing_svg_path:
        del VMobjectFromSVGPath.__deepcopy__
