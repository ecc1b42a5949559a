"""HashRing: a circle of positions in [0, 1) read clockwise from 6 o'clock, with owner points,
owner arcs, labelled markers and key dots, all changed in place.

A position ``p`` in ``[0, 1)`` sits at ``p`` of a turn clockwise from 6 o'clock (so the range,
drawn as a line from left to right, bends into the ring with its middle at 12 o'clock). Each owner
point claims the arc that ends at it (from the previous point, wrapping round), so a key
belongs to the owner of the first point clockwise from it. :meth:`HashRing.show` draws one
whole configuration from plain data:

* ``points``: ``(position, owner)`` pairs; one tick per point, one coloured arc per point;
* ``keys`` and ``owners``: a dot per key at its position, filled with its owner's colour;
  with ``previous`` owners and a ``blend`` in [0, 1] the dots fade to the new colour, and those
  that changed from one owner to another get an outline ring (shape, not only colour, marks a
  moved key); an owner of ``None`` is a grey dot that belongs to nobody yet;
* ``opacity``: per owner, to fade an owner (its ticks, arcs and marker) in or out, and
  ``arc_opacity`` for all arcs at once (points first, then the arcs they own);
* ``walk``: ``(from, to, progress)``: a bright trail running clockwise from one position to
  another, with a dot at its head (a key looking for its owner);
* ``bend``: 0 draws the range as a straight line (0 at the left) through the ring's top, 1 as
  the circle; between, both ends curl down about the fixed middle until they meet at the bottom.

Every part is a fixed mobject whose points are replaced (all arcs of one owner are subpaths
of one VMobject, and so are its ticks), so an updater may call :meth:`show` with values
computed from a clock alone. Each owner has a marker (a small disc with its name) outside
the ring: at its point when it has one, else at the middle of its longest arc; markers are
pushed apart so that they never overlap.

Example::

    ring = HashRing(["A", "B", "C"], [theme.NODE, theme.MESSAGE, theme.SUCCESS], n_keys=2, radius=2.0)
    layout.MAIN.place(ring, fit=False)
    ring.add_updater(lambda r: r.show(points=[(0.1, "A"), (0.4, "B"), (0.7, "C")], keys=[0.05, 0.5],
                                      owners=["A", "C"], bend=clock.get_value()))
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from manim import Circle, ManimColor, VGroup, VMobject, interpolate_color

from scenes.kit import theme
from scenes.kit.text import label

__all__ = ["HashRing"]

ARC_STEP = math.radians(2.0)  #: sampling step of drawn arcs
DENSE_POINTS = 40  #: above this many points, ticks are drawn short and thin
UNIT_CIRCLE = Circle(radius=1.0, num_components=12).points.copy()


def _polyline(corners: np.ndarray) -> np.ndarray:
    """Cubic Bézier points of a polyline through ``corners`` (Manim's layout for ``set_points_as_corners``)."""
    a, b = corners[:-1], corners[1:]
    return np.stack([a, a + (b - a) / 3, a + 2 * (b - a) / 3, b], axis=1).reshape(-1, 3)


class HashRing(VGroup):
    """A ring of positions with owner points, owner arcs, owner markers and key dots.

    Parameters
    ----------
    owners
        Every owner name that may ever be shown, in a fixed order (one marker each).
    colors
        One colour per owner.
    n_keys
        Size of the pool of key dots (``show`` may show up to this many).
    radius
        Radius of the ring.
    line_length
        Length of the straight range drawn at ``bend=0`` (default: 1.8 × the diameter).
    band_width
        Stroke width of the owner arcs.
    tick_length
        Length of each point's tick, across the ring.
    key_radius
        Radius of a key dot; dots sit just inside the ring.
    marker_radius
        Radius of an owner's marker disc; markers sit outside the ring.
    """

    def __init__(self, owners: Sequence[str], colors: Sequence[str], *, n_keys: int = 0, radius: float = 2.0,
                 line_length: float | None = None, band_width: float = 9.0, tick_length: float = 0.34,
                 key_radius: float = 0.075, marker_radius: float = 0.25) -> None:
        if not owners or len(set(owners)) != len(owners):
            raise ValueError(f"a HashRing needs distinct owner names, got {list(owners)}")
        if len(colors) != len(owners):
            raise ValueError(f"one colour per owner: {len(owners)} owners, {len(colors)} colours")
        if radius <= 0 or n_keys < 0 or key_radius <= 0 or marker_radius <= 0 or tick_length <= 0:
            raise ValueError("HashRing needs a positive radius, tick, key and marker size and n_keys >= 0")
        super().__init__()
        self.owners, self.radius = list(owners), float(radius)
        self.colors = dict(zip(owners, colors))
        self.line_length = float(line_length) if line_length is not None else 3.6 * radius
        self.tick_length, self.key_radius, self.marker_radius = tick_length, key_radius, marker_radius
        self.key_offset = -(key_radius + 0.12)
        self.marker_offset = tick_length / 2 + marker_radius + 0.08
        self.anchor = np.zeros(3)  #: the ring's centre; moved with the group
        self.track = VMobject(stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE)
        self.arcs = {o: VMobject(stroke_color=self.colors[o], stroke_width=band_width) for o in owners}
        self.ticks = {o: VMobject(stroke_color=self.colors[o], stroke_width=3.0) for o in owners}
        self.key_dots = [VMobject(stroke_width=0, fill_opacity=1.0) for _ in range(n_keys)]
        self.key_rings = [VMobject(stroke_color=theme.TEXT, stroke_width=2.0) for _ in range(n_keys)]
        self.walk_trail = VMobject(stroke_color=theme.TEXT, stroke_width=5.0)
        self.walk_head = VMobject(stroke_width=0, fill_color=theme.TEXT, fill_opacity=1.0)
        self.markers = {}
        for o in owners:
            disc = Circle(radius=marker_radius, fill_color=theme.PANEL, fill_opacity=1.0, stroke_color=self.colors[o],
                          stroke_width=3.0)
            self.markers[o] = VGroup(disc, label(o, font_size=theme.LABEL_SIZE, weight="BOLD").move_to(disc))
        self.add(self.track, *self.arcs.values(), *self.ticks.values(), self.walk_trail, *self.key_rings,
                 *self.key_dots, self.walk_head, *self.markers.values())
        self.drawn_owners: tuple | None = None
        self.drawn_keys: tuple | None = None
        self.show()

    # --- geometry -------------------------------------------------------------------------
    def _frame(self, bend: float) -> tuple[np.ndarray, float, float]:
        """The ring's top point (fixed while bending), the radius of curvature (inf for a line) and the
        length of the drawn range at ``bend``."""
        b = min(max(bend, 0.0), 1.0)
        top = self.anchor + np.array([0.0, self.radius, 0.0])
        length = self.line_length + (2 * math.pi * self.radius - self.line_length) * b
        return top, (length / (2 * math.pi * b) if b > 1e-6 else math.inf), length

    def point_at(self, position: float, offset: float = 0.0, *, bend: float = 1.0) -> np.ndarray:
        """The point at ``position`` (0..1 of the range), ``offset`` outside the ring (negative: inside)."""
        return self._points(np.array([position], dtype=float), offset, bend)[0]

    def _points(self, positions: np.ndarray, offset: float, bend: float) -> np.ndarray:
        top, rho, length = self._frame(bend)
        zero = 0 * positions
        if math.isinf(rho):
            return top + np.stack([(positions - 0.5) * length, zero + offset, zero], axis=1)
        theta = 2 * math.pi * (positions - 0.5) * min(max(bend, 0.0), 1.0)
        normal = np.stack([np.sin(theta), np.cos(theta), zero], axis=1)
        return top + rho * (normal - np.array([0.0, 1.0, 0.0])) + offset * normal

    def _arc(self, a: float, b: float, offset: float, bend: float) -> np.ndarray:
        """Bézier points of the stretch of ring from position ``a`` clockwise to ``b`` (b <= a wraps)."""
        if b <= a:
            b += 1.0
        if b > 1.0 and bend < 1.0:  # a line or a partial curl does not close: cut the stretch at the seam
            return np.concatenate([self._arc(a, 1.0, offset, bend), self._arc(0.0, b - 1.0, offset, bend)])
        steps = max(1, math.ceil((b - a) * 2 * math.pi / ARC_STEP))
        return _polyline(self._points(np.linspace(a, b, steps + 1), offset, bend))

    def _ticks(self, positions: np.ndarray, bend: float, length: float) -> np.ndarray:
        """Bézier points of one radial tick across the ring at each position."""
        if not len(positions):
            return np.zeros((0, 3))
        inner = self._points(positions, -length / 2, bend)
        outer = self._points(positions, length / 2, bend)
        return np.stack([inner, inner + (outer - inner) / 3, inner + 2 * (outer - inner) / 3, outer],
                        axis=1).reshape(-1, 3)

    def move_center_to(self, point: Sequence[float]) -> HashRing:
        """Move the whole ring so that its centre is at ``point`` (use this, not ``move_to``: the
        markers and dots make the bounding box lopsided). Scaling and rotating are not supported."""
        return self.shift(np.asarray(point, dtype=float) - self.anchor)

    # --- drawing ----------------------------------------------------------------------------
    def show(self, *, points: Sequence[tuple[float, str]] = (), keys: Sequence[float] = (),
             owners: Sequence[str | None] = (), previous: Sequence[str | None] | None = None, blend: float = 1.0,
             opacity: Mapping[str, float] | None = None, arc_opacity: float = 1.0, key_opacity: float = 1.0,
             walk: tuple[float, float, float] | None = None, bend: float = 1.0) -> HashRing:
        """Draw one configuration (see the module docstring); an owner of ``None`` draws a grey dot."""
        if len(keys) > len(self.key_dots):
            raise ValueError(f"{len(keys)} keys do not fit in a pool of {len(self.key_dots)} dots")
        if owners and len(owners) != len(keys) or previous is not None and len(previous) != len(keys):
            raise ValueError("owners (and previous owners) need one entry per key")
        unknown = {o for _, o in points} - set(self.owners)
        if unknown:
            raise ValueError(f"unknown owners {sorted(unknown)}: the ring knows {self.owners}")
        if not 0.0 <= blend <= 1.0 or not 0.0 <= bend <= 1.0:
            raise ValueError(f"blend and bend must be in [0, 1], got {blend}, {bend}")
        alpha = {o: (opacity or {}).get(o, 1.0) for o in self.owners}
        where = (bend, self.anchor.tobytes())
        owned = (tuple(sorted(points)), tuple(sorted(alpha.items())), arc_opacity, where)
        if owned != self.drawn_owners:
            self.drawn_owners = owned
            self._draw_owners(sorted(points), alpha, arc_opacity, bend)
        dots = (tuple(keys), tuple(owners), tuple(previous) if previous is not None else None, blend, key_opacity,
                walk, where)
        if dots != self.drawn_keys:
            self.drawn_keys = dots
            self._draw_keys(keys, owners, previous, blend, key_opacity, bend)
            self._draw_walk(walk, bend)
        return self

    def _draw_owners(self, ordered: list[tuple[float, str]], alpha: dict[str, float], arc_opacity: float,
                     bend: float) -> None:
        self.track.set_points(self._arc(0.0, 1.0 - 1e-9, 0.0, bend) if bend < 1.0 else
                              UNIT_CIRCLE * self.radius + self.anchor)
        dense = len(ordered) > DENSE_POINTS  # many points: short thin ticks, the arcs carry the picture
        length, width = (self.tick_length * 0.4, 1.5) if dense else (self.tick_length, 3.0)
        for o in self.owners:
            mine = [(i, p) for i, (p, owner) in enumerate(ordered) if owner == o]
            arcs = [self._arc(ordered[i - 1][0] if len(ordered) > 1 else p, p, 0.0, bend) for i, p in mine]
            self.arcs[o].set_points(np.concatenate(arcs) if arcs else np.zeros((0, 3)))
            self.arcs[o].set_stroke(opacity=0.8 * alpha[o] * arc_opacity)
            self.ticks[o].set_points(self._ticks(np.array([p for _, p in mine], dtype=float), bend, length))
            self.ticks[o].set_stroke(width=width, opacity=alpha[o])
        self._place_markers(ordered, alpha, bend)

    def _place_markers(self, ordered: list[tuple[float, str]], alpha: dict[str, float], bend: float) -> None:
        anchors = {}
        for o in self.owners:
            mine = [i for i, (_, owner) in enumerate(ordered) if owner == o]
            if len(mine) == 1:
                anchors[o] = ordered[mine[0]][0]
            elif mine:  # the middle of the longest arc
                i = max(mine, key=lambda k: ((ordered[k][0] - ordered[k - 1][0]) % 1.0, -k))
                a, b = ordered[i - 1][0], ordered[i][0]
                anchors[o] = (a + ((b - a) % 1.0) / 2) % 1.0
        spread = self._spread(anchors)
        for o in self.owners:  # a marker that is not shown waits at the centre, whatever it showed before
            self.markers[o].move_to(self.point_at(spread[o], self.marker_offset, bend=bend) if o in spread else
                                    self.anchor)
        for o, marker in self.markers.items():
            marker.set_opacity(alpha[o] if o in anchors else 0.0)

    def _spread(self, anchors: dict[str, float]) -> dict[str, float]:
        """Marker positions at least one marker width apart along the ring, each as near its anchor as can be."""
        if len(anchors) < 2:
            return anchors
        gap = (2 * self.marker_radius + 0.08) / (2 * math.pi * (self.radius + self.marker_offset))
        names = sorted(anchors, key=lambda o: (anchors[o], o))
        spots = [anchors[o] for o in names]
        k = len(spots)
        for _ in range(200):  # relax: push each too-close neighbour pair apart about its middle, keeping the order
            moved = False
            for i in range(k):
                j = (i + 1) % k
                d = spots[j] + (1.0 if j == 0 else 0.0) - spots[i]
                if d < gap - 1e-9:
                    push = (gap - d) / 2
                    spots[i] -= push
                    spots[j] += push
                    moved = True
            if not moved:
                break
        spots = [x % 1.0 for x in spots]
        return dict(zip(names, spots))

    def _draw_keys(self, keys: Sequence[float], owners: Sequence[str | None], previous: Sequence[str | None] | None,
                   blend: float, key_opacity: float, bend: float) -> None:
        centers = self._points(np.asarray(keys, dtype=float), self.key_offset, bend) if len(keys) else []
        for i, (dot, ring) in enumerate(zip(self.key_dots, self.key_rings)):
            if i >= len(keys):
                dot.set_points(np.zeros((0, 3)))
                ring.set_points(np.zeros((0, 3)))
                continue
            now = owners[i] if owners else None
            before = previous[i] if previous is not None else now
            color = interpolate_color(ManimColor(self._key_color(before)), ManimColor(self._key_color(now)), blend)
            dot.set_points(UNIT_CIRCLE * self.key_radius + centers[i]).set_fill(color=color, opacity=key_opacity)
            ring.set_points(UNIT_CIRCLE * (self.key_radius + 0.06) + centers[i])
            moved = before is not None and now is not None and before != now
            ring.set_stroke(opacity=key_opacity * blend if moved else 0.0)

    def _key_color(self, owner: str | None) -> str:
        return self.colors[owner] if owner is not None else theme.MUTED

    def _draw_walk(self, walk: tuple[float, float, float] | None, bend: float) -> None:
        if walk is None:
            self.walk_trail.set_points(np.zeros((0, 3)))
            self.walk_head.set_points(np.zeros((0, 3)))
            return
        start, end, progress = walk
        if not 0.0 <= progress <= 1.0:
            raise ValueError(f"walk progress must be in [0, 1], got {progress}")
        span = (end - start) % 1.0
        head = (start + span * progress) % 1.0
        trail = self._arc(start, head, self.key_offset, bend) if span * progress > 1e-6 else np.zeros((0, 3))
        self.walk_trail.set_points(trail)
        self.walk_head.set_points(UNIT_CIRCLE * (self.key_radius * 1.6) + self.point_at(head, self.key_offset,
                                                                                        bend=bend))

    # --- moving the whole ring ------------------------------------------------------------------
    def shift(self, *vectors: np.ndarray) -> HashRing:
        super().shift(*vectors)
        for v in vectors:
            self.anchor = self.anchor + np.asarray(v, dtype=float)
        return self
