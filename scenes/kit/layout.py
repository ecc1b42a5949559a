"""Named layout regions of the frame, and placements inside them.

Scenes place things by region and placement, never by coordinate literals in
their beats (raftscope's ``ringSpec``/``logsSpec`` are the model): the frame is
cut once, here, into

* :data:`HEADING`: the beat heading band at the top of the title-safe area;
* :data:`STAGE`: everything between the heading and the caption band, where the
  mechanism goes (it should be the largest thing on screen);
* :data:`MAIN` and :data:`SIDE_PANEL`: the stage split into a large left part
  and a right column for counters, legends and gauges;
* :data:`CAPTION_BAND`: the bottom band the captions own (nothing else goes there).

A :class:`Region` gives points for the common placements: :meth:`Region.ring`
(servers around a circle), :meth:`Region.row`, :meth:`Region.column`,
:meth:`Region.grid`, and :meth:`Region.two_up` (two side-by-side halves for a
comparison); :meth:`Region.place` fits a mobject into it.

Example::

    centers = layout.MAIN.ring(5, start_deg=90)      # five servers, the first at 12 o'clock
    left, right = layout.STAGE.two_up()               # "without" vs "with"
    layout.SIDE_PANEL.place(legend, align=UP)         # legend at the top of the side panel
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from manim import ORIGIN, Mobject, config

from scenes.kit import theme

__all__ = ["CAPTION_BAND", "FRAME", "HEADING", "MAIN", "Region", "SAFE", "SIDE_PANEL", "STAGE"]


@dataclass(frozen=True)
class Region:
    """An axis-aligned rectangle of the frame, in Manim units (x right, y up)."""

    left: float
    right: float
    bottom: float
    top: float

    def __post_init__(self) -> None:
        if self.right <= self.left or self.top <= self.bottom:
            raise ValueError(f"a region needs right > left and top > bottom, got {self}")

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    @property
    def center(self) -> np.ndarray:
        return np.array([(self.left + self.right) / 2, (self.bottom + self.top) / 2, 0.0])

    def point(self, fx: float, fy: float) -> np.ndarray:
        """The point at fractions ``fx`` of the width (0 = left) and ``fy`` of the height (0 = bottom)."""
        return np.array([self.left + fx * self.width, self.bottom + fy * self.height, 0.0])

    def edge(self, direction: np.ndarray) -> np.ndarray:
        """The middle of an edge (``UP``, ``LEFT`` ...) or a corner (``UP + LEFT``)."""
        d = np.sign(np.asarray(direction, dtype=float))
        return self.point((d[0] + 1) / 2, (d[1] + 1) / 2)

    def inset(self, dx: float, dy: float | None = None) -> Region:
        """The region shrunk by ``dx`` on the left and right and ``dy`` (default ``dx``) at top and bottom."""
        dy = dx if dy is None else dy
        return Region(self.left + dx, self.right - dx, self.bottom + dy, self.top - dy)

    def cut_right(self, width: float, *, gap: float = 0.0) -> tuple[Region, Region]:
        """(what is left, a column ``width`` wide at the right edge), ``gap`` apart."""
        if not 0 < width < self.width - gap:
            raise ValueError(f"cannot cut a {width}-wide column (gap {gap}) from a {self.width:.2f}-wide region")
        return (Region(self.left, self.right - width - gap, self.bottom, self.top),
                Region(self.right - width, self.right, self.bottom, self.top))

    def cut_top(self, height: float, *, gap: float = 0.0) -> tuple[Region, Region]:
        """(a band ``height`` high at the top, what is left below it), ``gap`` apart."""
        if not 0 < height < self.height - gap:
            raise ValueError(f"cannot cut a {height}-high band (gap {gap}) from a {self.height:.2f}-high region")
        return (Region(self.left, self.right, self.top - height, self.top),
                Region(self.left, self.right, self.bottom, self.top - height - gap))

    def two_up(self, *, gap: float = 0.4) -> tuple[Region, Region]:
        """Two equal halves side by side, for a before/after or with/without comparison."""
        half = (self.width - gap) / 2
        return (Region(self.left, self.left + half, self.bottom, self.top),
                Region(self.right - half, self.right, self.bottom, self.top))

    def rows(self, n: int, *, gap: float = 0.0) -> list[Region]:
        """``n`` equal bands stacked from the top down."""
        if n < 1:
            raise ValueError(f"rows needs n >= 1, got {n}")
        h = (self.height - gap * (n - 1)) / n
        return [Region(self.left, self.right, self.top - (i + 1) * h - i * gap, self.top - i * h - i * gap)
                for i in range(n)]

    # --- placements: points ---------------------------------------------------------------------
    def ring(self, n: int, *, radius: float | None = None, start_deg: float = 90.0, clockwise: bool = True,
             margin: float = 0.6) -> list[np.ndarray]:
        """``n`` points evenly spaced on a circle around the center, the first at ``start_deg``.

        The radius defaults to the largest that keeps nodes of half-size ``margin`` inside.
        """
        if n < 1:
            raise ValueError(f"ring needs n >= 1, got {n}")
        r = radius if radius is not None else min(self.width, self.height) / 2 - margin
        if r <= 0:
            raise ValueError(f"ring radius {r:.2f} is not positive in a {self.width:.2f} x {self.height:.2f} region")
        sign = -1.0 if clockwise else 1.0
        return [self.center + r * np.array([math.cos(math.radians(start_deg + sign * 360.0 * i / n)),
                                            math.sin(math.radians(start_deg + sign * 360.0 * i / n)), 0.0])
                for i in range(n)]

    def row(self, n: int, *, fy: float = 0.5) -> list[np.ndarray]:
        """``n`` points evenly spaced across the region (each in the middle of its share), at height ``fy``."""
        if n < 1:
            raise ValueError(f"row needs n >= 1, got {n}")
        return [self.point((i + 0.5) / n, fy) for i in range(n)]

    def column(self, n: int, *, fx: float = 0.5) -> list[np.ndarray]:
        """``n`` points evenly spaced from the top down, at ``fx`` of the width."""
        if n < 1:
            raise ValueError(f"column needs n >= 1, got {n}")
        return [self.point(fx, 1 - (i + 0.5) / n) for i in range(n)]

    def grid(self, rows: int, cols: int) -> list[np.ndarray]:
        """``rows`` x ``cols`` cell centers, row by row from the top left."""
        if rows < 1 or cols < 1:
            raise ValueError(f"grid needs at least one row and column, got {rows} x {cols}")
        return [self.point((c + 0.5) / cols, 1 - (r + 0.5) / rows) for r in range(rows) for c in range(cols)]

    # --- placements: mobjects ----------------------------------------------------------------------
    def place(self, mobject: Mobject, *, align: np.ndarray = ORIGIN, fit: bool = True, buff: float = 0.0) -> Mobject:
        """Move ``mobject`` into the region: centred, or against an edge or corner (``align=UP + RIGHT``).

        With ``fit``, it is first scaled down (never up) to fit inside the region less ``buff``.
        """
        inner = self.inset(buff) if buff else self
        if fit and (mobject.width > inner.width or mobject.height > inner.height):
            mobject.scale(min(inner.width / mobject.width, inner.height / mobject.height))
        direction = np.sign(np.asarray(align, dtype=float))
        target = inner.edge(direction) if np.any(direction) else inner.center
        mobject.move_to(target, aligned_edge=direction)
        return mobject

    def contains(self, mobject: Mobject, *, tolerance: float = 1e-6) -> bool:
        """Whether ``mobject``'s bounding box lies inside the region."""
        return (mobject.get_left()[0] >= self.left - tolerance and mobject.get_right()[0] <= self.right + tolerance
                and mobject.get_bottom()[1] >= self.bottom - tolerance and mobject.get_top()[1] <= self.top + tolerance)


FRAME = Region(-config.frame_width / 2, config.frame_width / 2, -config.frame_height / 2, config.frame_height / 2)
SAFE = Region(theme.SAFE_LEFT, theme.SAFE_RIGHT, theme.SAFE_BOTTOM, theme.SAFE_TOP)
HEADING = Region(theme.SAFE_LEFT, theme.SAFE_RIGHT, theme.SAFE_TOP - theme.HEADING_BAND, theme.SAFE_TOP)
CAPTION_BAND = Region(theme.SAFE_LEFT, theme.SAFE_RIGHT, theme.SAFE_BOTTOM, theme.CONTENT_BOTTOM)
STAGE = Region(theme.SAFE_LEFT, theme.SAFE_RIGHT, theme.CONTENT_BOTTOM, HEADING.bottom)
MAIN, SIDE_PANEL = STAGE.cut_right(theme.SIDE_PANEL_WIDTH, gap=theme.PANEL_GAP)


