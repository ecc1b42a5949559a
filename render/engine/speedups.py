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

* :func:`install` replaces ``Mobject.get_family`` with :func:`_get_family`,
  the same walk (pre-order, skipping a mobject already on the path, keeping
  the last of repeated members) as one recursive function instead of a chain
  of nested generators. The camera asks for the family of everything it
  draws on every frame; this was about a tenth of a preview's drawing time.
* :func:`install` with a ``text_cache`` directory keeps every ``Text`` the kit
  builds on disk (pickled), keyed by its string, font, size, colour and
  weight, the Manim and ManimPango versions and the font file fontconfig
  picks. Building a Text (Pango to SVG, then parsing it into glyph paths) costs
  about 20 ms; loading it back about 5 ms. An explainer builds a few hundred,
  and every process that draws part of it (``render/drawparts.py``) builds them
  all, so this is a second or more per process, more for text-heavy scenes.
  A loaded Text is the pickled object: the same points, colours and attributes.

``tests/test_performance.py`` checks that frames drawn with these are identical
to Manim's.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import pickle
import subprocess
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable

import cairo
import numpy as np
from manim import Text
from manim.camera.camera import Camera
from manim.mobject.mobject import Mobject
from manim.mobject.svg.svg_mobject import VMobjectFromSVGPath
from manim.utils.iterables import remove_list_redundancies

from render.fonts import font_set_fingerprint
from scenes.kit import text as kit_text

__all__ = ["MAX_PATHS", "PathCachingCamera", "TextDiskCache", "install", "uninstall"]

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
        matrix = ctx.get_matrix()
        key = (
            vmobject.n_points_per_cubic_curve,
            vmobject.tolerance_for_point_equality,
            tuple(matrix),
            points.shape,
            points.tobytes(),
        )
        path = self._paths.get(key)
        if path is not None:
            self.path_hits += 1
            ctx.new_path()
            ctx.identity_matrix()  # the cached path is in device space: replay it without a transform
            ctx.append_path(path)
            ctx.set_matrix(matrix)
            return self
        self.path_misses += 1
        super().set_cairo_context_path(ctx, vmobject)
        if len(self._paths) >= MAX_PATHS:
            del self._paths[next(iter(self._paths))]
        # Cairo keeps a path in device space, as 24.8 fixed point. Copied under the identity matrix, the
        # coordinates come back exactly (k/256) and append_path stores the same fixed-point values again, so
        # a replayed path is the one Manim would have built, bit for bit. (Copied under Manim's matrix, the
        # round trip through user space was off by a rounding step now and then: pixels 1-2 levels off.)
        ctx.identity_matrix()
        self._paths[key] = ctx.copy_path()
        ctx.set_matrix(matrix)
        return self


def _deepcopy_sharing_svg_path(self: VMobjectFromSVGPath, memo: dict[int, Any]) -> VMobjectFromSVGPath:
    memo.setdefault(id(self.path_obj), self.path_obj)  # read only after __init__: share it, copy the rest
    return Mobject.__deepcopy__(self, memo)


@functools.lru_cache(maxsize=None)
def _font_file(font: str, weight: str) -> str | None:
    """The font file fontconfig picks for ``font`` at ``weight`` (path, size, mtime), or None if unknown."""
    try:
        fc_weight = {"NORMAL": "regular", "ULTRABOLD": "extrabold", "HEAVY": "black"}.get(weight, weight.lower())
        found = subprocess.run(["fc-match", "-f", "%{file}", f"{font}:weight={fc_weight}"], capture_output=True,
                               text=True, timeout=10, check=True).stdout.strip()
        stat = os.stat(found)
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{found}:{stat.st_size}:{stat.st_mtime_ns}"


class TextDiskCache:
    """Wraps the kit's Text builder: each distinct Text is built once per machine, then loaded."""

    def __init__(self, build: Callable[..., Any], directory: Path) -> None:
        self.build, self.directory = build, Path(directory)
        self.versions = (version("manim"), version("manimpango"))
        self.hits = self.misses = 0

    def _key(self, args: tuple) -> str | None:
        text, font, font_size, color, weight = args
        fingerprint = _font_file(font, weight)
        if fingerprint is None:
            return None
        blob = json.dumps([text, font, float(font_size), color, weight, fingerprint, font_set_fingerprint(),
                           *self.versions])
        return hashlib.sha256(blob.encode()).hexdigest()

    def __call__(self, *args: Any) -> Any:
        key = self._key(args)
        if key is None:
            return self.build(*args)
        path = self.directory / key[:2] / f"{key}.pickle"
        try:
            mobject = pickle.loads(path.read_bytes())
        except Exception:  # noqa: BLE001 - missing, truncated or damaged: build it again
            mobject = None
        if isinstance(mobject, Text):
            self.hits += 1
            return mobject
        self.misses += 1
        mobject = self.build(*args)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:  # several processes may write the same entry: each writes whole, identical bytes, then renames
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(pickle.dumps(mobject, protocol=5))
            os.replace(tmp, path)
        except OSError:  # a cache that cannot be written (full, read-only) is only slower
            with contextlib.suppress(OSError):
                tmp.unlink()
        return mobject


_MANIM_GET_FAMILY = Mobject.get_family


def _get_family(self: Mobject, recurse: bool = True) -> list[Mobject]:
    """``Mobject.get_family``, exactly: the same members in the same order."""
    out: list[Mobject] = []
    on_path: set[Mobject] = set()

    def visit(mobject: Mobject) -> None:
        if mobject in on_path:
            return
        on_path.add(mobject)
        out.append(mobject)
        for sub in mobject.submobjects:
            visit(sub)
        on_path.discard(mobject)

    visit(self)
    if len(set(out)) == len(out):
        return out
    return remove_list_redundancies(out)


def install(text_cache: Path | None = None) -> None:
    """Patch Manim in this process (idempotent): copies of text share their parsed SVG paths; with
    ``text_cache``, the kit's Texts are kept in that directory across processes and renders."""
    if "__deepcopy__" not in VMobjectFromSVGPath.__dict__:
        VMobjectFromSVGPath.__deepcopy__ = _deepcopy_sharing_svg_path
    Mobject.get_family = _get_family
    if text_cache is not None and not isinstance(kit_text.text_source(), TextDiskCache):
        kit_text.set_text_source(TextDiskCache(kit_text.build_text, Path(text_cache)))


def uninstall() -> None:
    """Undo :func:`install` (for tests that compare with Manim's own behaviour)."""
    if VMobjectFromSVGPath.__dict__.get("__deepcopy__") is _deepcopy_sharing_svg_path:
        del VMobjectFromSVGPath.__deepcopy__
    Mobject.get_family = _MANIM_GET_FAMILY
    kit_text.set_text_source(None)
