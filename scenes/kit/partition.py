"""PartitionWall: a wall dropped between two groups of nodes that cuts the links crossing it.

The wall is a hatched bar along a segment from ``top`` to ``bottom``. Its level
(0 = raised out of sight, 1 = all the way down) is set in place, or by a clock
with :meth:`PartitionWall.follow` (it drops at ``down_at`` and lifts at
``up_at``), so it is a pure function of the clock. Links handed to it (lines
between nodes) are dimmed and marked with a cross where the lowered wall cuts
them; :meth:`PartitionWall.crossing` tells where a message route meets the
wall, so a scene can make a message dot die there (a dropped
:class:`~scenes.kit.messages.Flight` with ``drop_at`` set to it).

Example::

    top, bottom = PartitionWall.separating([a, b], [c])       # a segment between the two groups
    wall = PartitionWall(top, bottom, links=[line_ac, line_bc]).follow(clock, down_at=10, up_at=32, fall=1)
    hit = wall.crossing(a, c)                                  # fraction of the route a -> c at the wall
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from manim import UP, Polygon, ValueTracker, VGroup, VMobject

from scenes.kit import theme
from scenes.kit.text import label

__all__ = ["PartitionWall"]

HATCH_EVERY = 0.22  #: distance between the hatch strokes along the wall


def _intersection(p: np.ndarray, p2: np.ndarray, q: np.ndarray, q2: np.ndarray) -> tuple[float, float] | None:
    """(fraction along p -> p2, fraction along q -> q2) where the two segments cross, or None."""
    r, s = p2[:2] - p[:2], q2[:2] - q[:2]
    denom = r[0] * s[1] - r[1] * s[0]
    if abs(denom) < 1e-12:
        return None
    d = q[:2] - p[:2]
    u = (d[0] * s[1] - d[1] * s[0]) / denom
    v = (d[0] * r[1] - d[1] * r[0]) / denom
    if 0.0 <= u <= 1.0 and 0.0 <= v <= 1.0:
        return float(u), float(v)
    return None


class PartitionWall(VGroup):
    """A hatched wall from ``top`` to ``bottom`` that drops in and lifts out, cutting the links it crosses.

    Parameters
    ----------
    top, bottom
        The wall's ends; it grows from ``top`` towards ``bottom`` as it drops.
    text
        A label at the top end ("partition"); empty for none.
    links
        Lines (any VMobjects with two ends) between nodes; those the wall crosses are dimmed and
        crossed out where it cuts them, once the wall has come down past them.
    thickness
        Width of the bar.
    color
        Bar and label colour.
    """

    def __init__(self, top: Sequence[float], bottom: Sequence[float], *, text: str = "partition",
                 links: Sequence[VMobject] = (), thickness: float = 0.16, color: str = theme.FAILURE) -> None:
        top, bottom = np.asarray(top, dtype=float), np.asarray(bottom, dtype=float)
        length = float(np.linalg.norm(bottom - top))
        if length < 1e-6:
            raise ValueError("a PartitionWall needs distinct top and bottom points")
        if thickness <= 0:
            raise ValueError(f"thickness must be positive, got {thickness}")
        super().__init__()
        self.top, self.bottom, self.length, self.thickness = top, bottom, length, float(thickness)
        self.unit = (bottom - top) / length
        self.normal = np.array([-self.unit[1], self.unit[0], 0.0])
        self.bar = Polygon(top, top + 0.01 * self.unit, top + 0.01 * self.unit, top, fill_color=color,
                           fill_opacity=0.9, stroke_color=color, stroke_width=theme.THIN_STROKE)
        self.hatch = VMobject(stroke_color=theme.BACKGROUND, stroke_width=3.0)
        self.text = label(text, font_size=theme.MIN_FONT_SIZE, color=color) if text else VGroup()
        if text:
            self.text.next_to(top, UP if self.unit[1] <= 0 else -UP, buff=0.12)
        self.links = list(links)
        self.cuts: list[tuple[int, float, np.ndarray]] = []  #: (link index, fraction along the wall, point)
        for i, link in enumerate(self.links):
            hit = _intersection(top, bottom, link.get_start(), link.get_end())
            if hit is not None:
                self.cuts.append((i, hit[0], top + (bottom - top) * hit[0]))
        self.link_opacity = [float(link.get_stroke_opacity()) for link in self.links]
        self.cut_marks = VGroup(*[self._cross(point) for _, _, point in self.cuts])
        self.add(self.bar, self.hatch, self.cut_marks, self.text)
        self.level = -1.0
        self.set_level(0.0)

    def _cross(self, point: np.ndarray) -> VMobject:
        arm = 0.13
        cross = VMobject(stroke_color=theme.FAILURE, stroke_width=4.0)
        for d in (np.array([arm, arm, 0.0]), np.array([arm, -arm, 0.0])):
            a, b = point - d, point + d
            cross.append_points([a, a + (b - a) / 3, a + 2 * (b - a) / 3, b])
        return cross.shift(self.normal * (self.thickness / 2 + 0.2))

    @classmethod
    def separating(cls, group_a: Sequence[Sequence[float]], group_b: Sequence[Sequence[float]], *,
                   margin: float = 0.7) -> tuple[np.ndarray, np.ndarray]:
        """(top, bottom) of a segment between two groups of points: on the perpendicular bisector of their
        centroids, long enough to pass every point of both groups by ``margin``."""
        a = np.asarray(group_a, dtype=float).reshape(-1, 3)
        b = np.asarray(group_b, dtype=float).reshape(-1, 3)
        if len(a) == 0 or len(b) == 0:
            raise ValueError("separating needs at least one point in each group")
        ca, cb = a.mean(axis=0), b.mean(axis=0)
        across = cb - ca
        if np.linalg.norm(across) < 1e-9:
            raise ValueError("the two groups have the same centroid")
        along = np.array([-across[1], across[0], 0.0]) / np.linalg.norm(across)
        if along[1] < 0 or (abs(along[1]) < 1e-12 and along[0] < 0):
            along = -along
        mid = (ca + cb) / 2
        spans = [(p - mid) @ along for p in np.vstack([a, b])]
        return mid + along * (max(spans) + margin), mid + along * (min(spans) - margin)

    def crossing(self, a: Sequence[float], b: Sequence[float]) -> float | None:
        """Fraction of the route ``a -> b`` where it meets the (lowered) wall, or None if it does not."""
        hit = _intersection(np.asarray(a, dtype=float), np.asarray(b, dtype=float), self.top, self.bottom)
        return None if hit is None else hit[0]

    def set_level(self, level: float) -> PartitionWall:
        """Lower the wall to ``level`` (0 = raised out of sight, 1 = fully down), in place."""
        if not 0.0 <= level <= 1.0:
            raise ValueError(f"wall level must be in [0, 1], got {level}")
        level = float(level)
        if level == self.level:
            return self
        self.level = level
        shown = level > 0
        reach = max(level, 1e-3) * self.length
        half = self.normal * self.thickness / 2
        end = self.top + self.unit * reach
        self.bar.set_points_as_corners([self.top + half, end + half, end - half, self.top - half, self.top + half])
        self.bar.set_fill(opacity=0.9 if shown else 0.0).set_stroke(opacity=1.0 if shown else 0.0)
        hatch = []
        s = HATCH_EVERY / 2
        while shown and s < reach:
            c = self.top + self.unit * s
            a, b = c + half * 0.9 - self.unit * 0.06, c - half * 0.9 + self.unit * 0.06
            hatch.append([a, a + (b - a) / 3, a + 2 * (b - a) / 3, b])
            s += HATCH_EVERY
        self.hatch.set_points(np.concatenate(hatch) if hatch else np.zeros((0, 3)))
        self.text.set_opacity(min(level * 3, 1.0))
        for (i, frac, _), mark in zip(self.cuts, self.cut_marks):
            cut = shown and level >= frac
            mark.set_stroke(opacity=1.0 if cut else 0.0)
            self.links[i].set_stroke(opacity=self.link_opacity[i] * (theme.DIM_OPACITY if cut else 1.0))
        return self

    def is_cut(self, link: int) -> bool:
        """Whether link ``link`` (its index in ``links``) is cut at the current level."""
        return any(i == link and self.level > 0 and self.level >= frac for i, frac, _ in self.cuts)

    @staticmethod
    def level_at(t: float, *, down_at: float, up_at: float | None = None, fall: float = 1.0) -> float:
        """The wall's level at clock ``t``: it drops over ``fall`` from ``down_at`` and lifts over ``fall``
        from ``up_at`` (None: it stays)."""
        if fall <= 0:
            raise ValueError(f"fall must be positive, got {fall}")
        level = min(max((t - down_at) / fall, 0.0), 1.0)
        if up_at is not None:
            level -= min(max((t - up_at) / fall, 0.0), 1.0)
        return max(level, 0.0)

    def follow(self, clock: ValueTracker, *, down_at: float, up_at: float | None = None,
               fall: float = 1.0) -> PartitionWall:
        """Drop at ``down_at`` and lift at ``up_at`` on ``clock`` (its value alone sets the level)."""
        if up_at is not None and up_at < down_at:
            raise ValueError(f"up_at {up_at} is before down_at {down_at}")
        self.set_level(self.level_at(clock.get_value(), down_at=down_at, up_at=up_at, fall=fall))
        self.add_updater(lambda m: m.set_level(self.level_at(clock.get_value(), down_at=down_at, up_at=up_at,
                                                             fall=fall)))
        return self
