"""QuorumOutline: a rounded outline (hull) drawn around a chosen set of nodes, changed in place.

The outline is the convex hull of the members' centres pushed out by ``pad`` (its
corners are arcs), so it wraps one node as a circle, two as a stadium and more as
a rounded polygon. Two outlines on the same nodes stay readable when they cross:
give them different ``pad`` values (one nests inside the other around shared
members), and a ``dashed`` style for one of them, so they differ by shape as well
as by colour. Non-members that the hull would swallow (nodes packed on a ring) can be
passed as ``avoid``: the outline is notched around them. :meth:`QuorumOutline.set_members`
replaces the set (and how much of the outline is drawn) in place: a pure function of its
arguments, fit for updaters.

Example::

    centers = layout.MAIN.ring(5)
    writes = QuorumOutline(pad=0.7, color=theme.SUCCESS, label="write set")
    reads = QuorumOutline(pad=0.9, color=theme.NODE, dashed=True, label="read set", label_side=DOWN)
    writes.set_members([centers[i] for i in (0, 1, 2)], avoid=[centers[i] for i in (3, 4)])
    reads.set_members([centers[i] for i in (2, 3, 4)], drawn=0.5)   # half drawn, growing
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from manim import UP, Difference, VGroup, VMobject

from scenes.kit import theme
from scenes.kit.text import SwapText

__all__ = ["QuorumOutline", "rounded_hull"]

ARC_SAMPLES = 10  #: points per quarter turn of a rounded corner


def _convex_hull(points: Sequence[Sequence[float]]) -> list[np.ndarray]:
    """The convex hull's corners, counter-clockwise (Andrew's monotone chain); duplicates merged."""
    unique = sorted({(round(float(p[0]), 9), round(float(p[1]), 9)) for p in points})
    if len(unique) <= 2:
        return [np.array(p) for p in unique]

    def cross(o: tuple, a: tuple, b: tuple) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple] = []
    for p in unique:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 1e-12:
            lower.pop()
        lower.append(p)
    upper: list[tuple] = []
    for p in reversed(unique):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 1e-12:
            upper.pop()
        upper.append(p)
    return [np.array(p) for p in lower[:-1] + upper[:-1]]


def rounded_hull(points: Sequence[Sequence[float]], pad: float) -> np.ndarray:
    """Closed polyline (first point repeated last, z = 0) around ``points`` at distance ``pad``.

    It starts at the top of the outline and runs counter-clockwise. Empty input gives no points.

    >>> len(rounded_hull([], 0.5))
    0
    >>> ring = rounded_hull([(0, 0, 0)], 1.0)
    >>> bool(np.allclose(np.linalg.norm(ring[:, :2], axis=1), 1.0))
    True
    """
    if pad <= 0:
        raise ValueError(f"pad must be positive, got {pad}")
    hull = _convex_hull(points)
    if not hull:
        return np.zeros((0, 3))
    if len(hull) == 1:
        angles = np.linspace(0.0, 2 * math.pi, 4 * ARC_SAMPLES + 1)
        outline = [hull[0] + pad * np.array([math.cos(a), math.sin(a)]) for a in angles]
    else:
        outline = []
        for k, corner in enumerate(hull):
            # the arc turns from the outward normal of the edge into this corner to that of the edge out of
            # it; on a counter-clockwise hull an edge's outward normal points right of its direction
            d_in, d_out = corner - hull[k - 1], hull[(k + 1) % len(hull)] - corner
            a0, a1 = math.atan2(-d_in[0], d_in[1]), math.atan2(-d_out[0], d_out[1])
            turn = (a1 - a0) % (2 * math.pi)
            steps = max(2, math.ceil(turn / (math.pi / 2) * ARC_SAMPLES))
            for a in np.linspace(a0, a0 + turn, steps + 1):
                outline.append(corner + pad * np.array([math.cos(a), math.sin(a)]))
        outline.append(outline[0])
    flat = np.array([[p[0], p[1], 0.0] for p in outline])
    start = int(np.argmax(flat[:-1, 1] - 1e-9 * flat[:-1, 0]))  # the top (leftmost of equals)
    loop = np.concatenate([flat[start:-1], flat[:start], flat[start:start + 1]])
    return loop


class QuorumOutline(VGroup):
    """A rounded outline around a set of points (node centres), with an optional label outside it.

    Parameters
    ----------
    pad
        Distance from each member's centre to the outline (larger than the node radius).
    color
        Stroke (and faint fill) color; pick it by role and show a legend or label.
    dashed
        Draw the outline as dashes: a second outline crossing a solid one stays told apart by shape.
    dash_length
        Length of one dash (and of the gap after it).
    fill_opacity
        A faint fill inside the outline (0 for none).
    avoid_radius
        Radius of the notch cut around each point passed as ``avoid`` to :meth:`set_members`: a
        non-member that the hull would swallow (nodes close together on a ring) stays outside.
    label
        Text set just outside the outline on ``label_side`` (empty for none); :meth:`set_label` changes it.
    label_side
        ``UP``, ``DOWN``, ``LEFT`` or ``RIGHT``.

    :meth:`set_members` draws the outline around the given points, or ``drawn`` of it (0 to 1,
    from the top, counter-clockwise), in place; an empty set hides it.

    Example::

        outline = QuorumOutline(pad=0.75, color=theme.SUCCESS, label="acks")
        outline.set_members([node.get_center() for node in acked], avoid=[n.get_center() for n in others])
    """

    def __init__(self, *, pad: float = 0.75, color: str = theme.SUCCESS, dashed: bool = False,
                 dash_length: float = 0.18, stroke_width: float = theme.STROKE, fill_opacity: float = 0.08,
                 avoid_radius: float = 0.6, label: str = "", label_side: np.ndarray = UP,
                 font_size: float = theme.LABEL_SIZE) -> None:
        if pad <= 0 or avoid_radius <= 0:
            raise ValueError(f"QuorumOutline pad and avoid_radius must be positive, got {pad}, {avoid_radius}")
        if dash_length <= 0:
            raise ValueError(f"dash_length must be positive, got {dash_length}")
        if not 0.0 <= fill_opacity <= 1.0:
            raise ValueError(f"fill_opacity must be in [0, 1], got {fill_opacity}")
        side = np.sign(np.asarray(label_side, dtype=float))
        if abs(side[0]) + abs(side[1]) != 1:
            raise ValueError("label_side must be UP, DOWN, LEFT or RIGHT")
        super().__init__()
        self.pad, self.dashed, self.dash_length, self.side = float(pad), dashed, float(dash_length), side
        self.avoid_radius = float(avoid_radius)
        self.color_, self.fill_opacity_ = color, fill_opacity
        self.area = VMobject(fill_color=color, fill_opacity=fill_opacity, stroke_width=0)
        self.line = VMobject(stroke_color=color, stroke_width=stroke_width)
        self.label = SwapText(label or " ", font_size=font_size, color=color, monospace=False)
        self.label_text = label
        self.add(self.area, self.line, self.label)
        self.members: tuple = ()
        self.avoided: tuple = ()
        self.drawn = 1.0
        self._key: tuple | None = None
        self.set_members([])

    def set_label(self, text: str) -> QuorumOutline:
        """Change the label's text (empty hides it)."""
        self.label_text = text
        self._key = None
        return self.set_members(list(self.members), avoid=list(self.avoided), drawn=self.drawn)

    def set_color_role(self, color: str) -> QuorumOutline:
        """Recolor the outline, its fill and its label (e.g. to flag a set that failed)."""
        if color != self.color_:
            self.color_ = color
            self.line.set_stroke(color=color)
            self.area.set_fill(color=color)
            self.label.set_text(self.label.text, color)
        return self

    def set_members(self, points: Sequence[Sequence[float]], *, avoid: Sequence[Sequence[float]] = (),
                    drawn: float = 1.0) -> QuorumOutline:
        """Outline ``points`` (any order), notched around ``avoid``, drawing ``drawn`` of it; no points hides it."""
        if not 0.0 <= drawn <= 1.0:
            raise ValueError(f"drawn must be in [0, 1], got {drawn}")
        drawn = round(float(drawn), 9)  # the state and its cache key see the same value
        members = tuple((round(float(p[0]), 9), round(float(p[1]), 9)) for p in points)
        avoided = tuple(sorted((round(float(p[0]), 9), round(float(p[1]), 9)) for p in avoid))
        key = (tuple(sorted(members)), avoided, drawn, self.label_text)
        if key == self._key:
            return self
        self._key, self.members, self.avoided, self.drawn = key, members, avoided, drawn
        loops = self._outline(members, avoided) if members else []
        self.line.clear_points()
        for piece in self._partial(loops, drawn) if drawn > 0 else []:
            if self.dashed:
                for corners, end in self._dashes(piece):
                    self.line.start_new_path(corners[0])
                    self.line.add_points_as_corners(list(corners[1:]) + [end])
            else:
                self.line.start_new_path(piece[0])
                self.line.add_points_as_corners(list(piece[1:]))
        self.area.clear_points()
        if loops and drawn >= 1.0:
            for loop in loops:
                self.area.start_new_path(loop[0])
                self.area.add_points_as_corners(list(loop[1:]))
        self._place_label(np.concatenate(loops) if loops else np.zeros((0, 3)))
        return self

    def _outline(self, members: tuple, avoided: tuple) -> list[np.ndarray]:
        """Closed polylines: the rounded hull, less a disc around each avoided point (top contour first)."""
        loop = rounded_hull(members, self.pad)
        holes = [(x, y) for x, y in avoided if np.min(np.hypot(loop[:, 0] - x, loop[:, 1] - y)) < self.avoid_radius
                 or _inside(loop, (x, y))]
        if not holes:
            return [loop]
        angles = np.linspace(0.0, 2 * math.pi, 4 * ARC_SAMPLES + 1)
        clip = VGroup(*[VMobject().set_points_as_corners([[x + self.avoid_radius * math.cos(a),
                                                           y + self.avoid_radius * math.sin(a), 0.0] for a in angles])
                        for x, y in holes])
        cut = Difference(VMobject().set_points_as_corners(loop), clip)
        loops = []
        for path in cut.get_subpaths():
            corners = np.vstack([path[::4], path[-1:]])
            top = int(np.argmax(corners[:-1, 1] - 1e-9 * corners[:-1, 0]))
            loops.append(np.concatenate([corners[top:-1], corners[:top], corners[top:top + 1]]))
        return sorted(loops, key=lambda p: -p[0][1])

    @staticmethod
    def _partial(loops: list[np.ndarray], drawn: float) -> list[np.ndarray]:
        """The first ``drawn`` (by length) of the polylines ``loops`` taken one after the other."""
        if drawn >= 1.0:
            return loops
        lengths = [np.linalg.norm(np.diff(loop, axis=0), axis=1) for loop in loops]
        goal = float(sum(seg.sum() for seg in lengths)) * drawn
        out = []
        for loop, seg in zip(loops, lengths):
            if goal <= 0:
                break
            if seg.sum() <= goal:
                out.append(loop)
                goal -= float(seg.sum())
                continue
            piece, run = [loop[0]], 0.0
            for i, length in enumerate(seg):
                if run + length >= goal:
                    piece.append(loop[i] + (loop[i + 1] - loop[i]) * ((goal - run) / length if length else 0.0))
                    break
                run += length
                piece.append(loop[i + 1])
            out.append(np.array(piece))
            break
        return [p for p in out if len(p) >= 2]

    def _dashes(self, path: np.ndarray) -> list[tuple[list[np.ndarray], np.ndarray]]:
        """Pieces of ``path`` (each its corners and end point) alternating dash and gap."""
        pieces, current, on, left = [], [path[0]], True, self.dash_length
        for a, b in zip(path[:-1], path[1:]):
            seg = b - a
            length = float(np.linalg.norm(seg))
            done = 0.0
            while length - done > left:
                done += left
                point = a + seg * (done / length)
                if on:
                    pieces.append((current, point))
                current, on, left = [point], not on, self.dash_length
            left -= length - done
            if on:
                current.append(b)
        if on and len(current) >= 2:
            pieces.append((current[:-1], current[-1]))
        return pieces

    def _place_label(self, points: np.ndarray) -> None:
        if not self.label_text or not len(points):
            self.label.set_opacity(0.0)
            return
        self.label.set_text(self.label_text)
        self.label.set_opacity(1.0)
        axis = 0 if self.side[0] else 1
        sign = self.side[axis]
        extreme = points[int(np.argmax(points[:, axis] * sign))]
        size = (self.label.current.width, self.label.current.height)
        target = points.mean(axis=0)
        target[axis] = extreme[axis] + sign * (size[axis] / 2 + 0.12)
        self.label.move_to(target)


def _inside(loop: np.ndarray, point: tuple[float, float]) -> bool:
    """Whether ``point`` lies inside the closed polyline ``loop`` (even-odd ray casting)."""
    x, y = point
    inside = False
    for (x0, y0, _), (x1, y1, _) in zip(loop[:-1], loop[1:]):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside
