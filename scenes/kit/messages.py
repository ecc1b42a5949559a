"""Messages in flight: a MessageDot travelling on an arrow (with a dropped/fizzle variant) and a FlightLayer.

A :class:`Flight` is plain data: where a message goes, when it is sent and
delivered (in the trace's own time unit), its look, and whether it is lost.
A :class:`FlightLayer` shows any list of flights at a given time with a fixed
pool of :class:`MessageDot` objects, so one updater that calls
``layer.show_at(clock.get_value())`` replays every message of a trace as a
pure function of the clock, without creating or swapping mobjects mid-animation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from manim import LEFT, RIGHT, UP, Circle, ValueTracker, VGroup, VMobject
from manim.utils.paths import path_along_arc

from scenes.kit import theme
from scenes.kit.text import SwapText

__all__ = ["Flight", "FlightLayer", "MessageDot", "route_between"]

TIP_LENGTH = 0.16
TIP_WIDTH = 0.14
ARC_SAMPLES = 16


def route_between(a: np.ndarray, b: np.ndarray, *, start_gap: float = 0.0, end_gap: float = 0.0,
                  offset: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of a straight route from point ``a`` to point ``b``.

    The ends are pulled in by ``start_gap`` and ``end_gap`` (node radii) and the
    whole route is shifted ``offset`` to the right of the direction of travel,
    so that a request and its reply between the same two nodes run on two
    parallel lanes instead of on top of each other.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    vect = b - a
    length = float(np.linalg.norm(vect))
    if length <= start_gap + end_gap:
        raise ValueError(f"route of length {length:.3f} is shorter than its gaps ({start_gap} + {end_gap})")
    unit = vect / length
    right = np.array([unit[1], -unit[0], 0.0])
    return a + unit * start_gap + right * offset, b - unit * end_gap + right * offset


@dataclass(frozen=True)
class Flight:
    """One message: a route, its send and deliver times, its look, and whether it is lost.

    Parameters
    ----------
    start, end
        Route ends in frame coordinates (see :func:`route_between`).
    send_t, deliver_t
        When it leaves and arrives, in any time unit (the same as the clock's).
    color
        Dot color; choose it by message type and show a legend.
    hollow
        A ring instead of a filled dot (e.g. replies), so type is told by shape as well as color.
    radius
        Dot radius.
    dropped
        The fizzle variant: the dot stops at ``drop_at`` of the route at ``deliver_t`` and
        turns into a fading cross instead of arriving.
    drop_at
        Fraction of the route where a dropped message dies (1.0 = at the receiver).
    arc
        Bend of the route in radians (0 = straight; positive bends to the right of travel).
    tag
        A short text that rides along with the dot (e.g. the command a client sends); empty for none.
    """

    start: tuple[float, float, float]
    end: tuple[float, float, float]
    send_t: float
    deliver_t: float
    color: str = theme.MESSAGE
    hollow: bool = False
    radius: float = 0.09
    dropped: bool = False
    drop_at: float = 1.0
    arc: float = 0.0
    tag: str = ""

    def __post_init__(self) -> None:
        if self.deliver_t < self.send_t:
            raise ValueError(f"a flight cannot arrive ({self.deliver_t}) before it is sent ({self.send_t})")
        if self.radius <= 0:
            raise ValueError(f"flight radius must be positive, got {self.radius}")
        if not 0.0 < self.drop_at <= 1.0:
            raise ValueError(f"drop_at must be in (0, 1], got {self.drop_at}")

    def progress_at(self, t: float) -> float:
        """Fraction of the route covered at time ``t`` (clamped to [0, 1]; a dropped flight stops at drop_at)."""
        span = self.deliver_t - self.send_t
        frac = 1.0 if span <= 0 else min(max((t - self.send_t) / span, 0.0), 1.0)
        return frac * (self.drop_at if self.dropped else 1.0)


class MessageDot(VGroup):
    """A dot on a faint arrow from ``start`` to ``end``; the dot's place is set by a progress in [0, 1].

    ``travel(p)`` shows the arrow and the dot at ``p`` of the way; ``fizzle(fade)`` is the
    dropped variant: the dot is gone and a cross marks where it died, fading out as
    ``fade`` goes from 0 to 1; ``hide()`` shows nothing. Everything changes in place, and
    the parts not shown lose their points, so a hidden MessageDot costs nothing to draw.

    Parameters
    ----------
    start, end
        Route ends.
    color, radius, hollow
        The dot's look (hollow = a ring filled with the background color).
    arc
        Bend of the route in radians (positive bends to the right of travel).
    arrow_opacity
        Opacity of the arrow while the message travels (faint, so the dot stands out).
    tagged
        Build a text tag that rides next to the dot (set by :meth:`set_tag`).
    """

    def __init__(self, start: Sequence[float] = LEFT, end: Sequence[float] = RIGHT, *, color: str = theme.MESSAGE,
                 radius: float = 0.09, hollow: bool = False, arc: float = 0.0, arrow_opacity: float = 0.35,
                 tagged: bool = False) -> None:
        if radius <= 0:
            raise ValueError(f"MessageDot radius must be positive, got {radius}")
        if not 0.0 <= arrow_opacity <= 1.0:
            raise ValueError(f"arrow_opacity must be in [0, 1], got {arrow_opacity}")
        super().__init__()
        self.arrow_opacity = arrow_opacity
        self._unit_circle = Circle(radius=1.0).points.copy()
        self._cross_arms = (np.array([[-1, 1, 0], [1, -1, 0]], dtype=float) * 0.12,
                            np.array([[-1, -1, 0], [1, 1, 0]], dtype=float) * 0.12)
        self.shaft = VMobject(stroke_width=2.5)
        self.tip = VMobject(stroke_width=0, fill_opacity=1.0)
        self.dot = VMobject(stroke_width=3.0, fill_opacity=1.0)
        self.cross = VGroup(VMobject(stroke_width=4.0), VMobject(stroke_width=4.0))
        self.tag: SwapText | None = SwapText("·", font_size=theme.MIN_FONT_SIZE) if tagged else None
        self.add(self.shaft, self.tip, self.dot, self.cross)
        if self.tag is not None:
            self.add(self.tag)
        self.start = np.asarray(start, dtype=float)
        self.end = np.asarray(end, dtype=float)
        self.arc = 0.0
        self.radius = float(radius)
        self.hollow = hollow
        self.color_ = color
        self.progress = 0.0
        self.tag_text = ""
        self.state = "hidden"  #: "travel", "fizzle" or "hidden"
        self._shaft_points = np.zeros((0, 3))
        self._tip_points = np.zeros((0, 3))
        self.set_route(start, end, arc=arc)
        self.set_look(color, hollow=hollow, radius=radius)
        self.travel(0.0)

    # --- geometry ------------------------------------------------------------------
    def set_route(self, start: Sequence[float], end: Sequence[float], *, arc: float = 0.0) -> MessageDot:
        """Move the route (arrow and dot follow) in place."""
        start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
        if np.linalg.norm(end - start) < 1e-6:
            raise ValueError("a MessageDot route needs distinct start and end points")
        self.start, self.end, self.arc = start, end, float(arc)
        samples = [self.point_at(p) for p in np.linspace(0.0, 1.0, ARC_SAMPLES if self.arc else 2)]
        direction = samples[-1] - samples[-2]
        direction /= np.linalg.norm(direction)
        normal = np.array([-direction[1], direction[0], 0.0])
        tip_base = end - direction * TIP_LENGTH
        samples[-1] = end - direction * TIP_LENGTH * 0.5
        corners = [end, tip_base + normal * TIP_WIDTH / 2, tip_base - normal * TIP_WIDTH / 2, end]
        self._shaft_points = self.shaft.set_points_as_corners(samples).points.copy()
        self._tip_points = self.tip.set_points_as_corners(corners).points.copy()
        self._redraw()
        return self

    def point_at(self, progress: float) -> np.ndarray:
        """The point ``progress`` (0 = start, 1 = end) of the way along the route."""
        if not 0.0 <= progress <= 1.0:
            raise ValueError(f"progress must be in [0, 1], got {progress}")
        if self.arc == 0.0:
            return self.start + (self.end - self.start) * progress
        return np.asarray(path_along_arc(self.arc)(self.start, self.end, progress), dtype=float)

    @property
    def dot_center(self) -> np.ndarray:
        """Where the dot (or the cross of a dropped message) is now."""
        return self.point_at(self.progress)

    def _redraw(self) -> None:
        """Give the parts that the current state shows their points; empty the others."""
        point = self.dot_center
        shown = {"travel": (True, True, True, False), "fizzle": (True, False, False, True),
                 "hidden": (False, False, False, False)}[self.state]
        self.shaft.set_points(self._shaft_points if shown[0] else np.zeros((0, 3)))
        self.tip.set_points(self._tip_points if shown[1] else np.zeros((0, 3)))
        self.dot.set_points(self._unit_circle * self.radius + point if shown[2] else np.zeros((0, 3)))
        for arm, ends in zip(self.cross, self._cross_arms):
            if shown[3]:
                arm.set_points_as_corners(ends + point)
            else:
                arm.clear_points()
        if self.tag is not None:
            self.tag.set_opacity(1.0 if shown[2] and self.tag_text else 0.0)
            if self.tag_text:
                self.tag.next_to(point + UP * self.radius, UP, buff=0.06)

    # --- look --------------------------------------------------------------------------
    def set_look(self, color: str, *, hollow: bool = False, radius: float | None = None) -> MessageDot:
        """Recolor the message (arrow, dot, cross) and choose a filled or hollow dot."""
        if radius is not None:
            if radius <= 0:
                raise ValueError(f"MessageDot radius must be positive, got {radius}")
            self.radius = float(radius)
        self.color_, self.hollow = color, hollow
        self.shaft.set_stroke(color=color, opacity=self.arrow_opacity)
        self.tip.set_fill(color=color, opacity=self.arrow_opacity)
        self.dot.set_stroke(color=color, opacity=1.0)
        self.dot.set_fill(color=theme.BACKGROUND if hollow else color, opacity=1.0)
        self.cross.set_stroke(color=color, opacity=1.0)
        self._redraw()
        return self

    def set_tag(self, text: str) -> MessageDot:
        """Text riding along with the dot (empty hides it); needs ``tagged=True``."""
        if self.tag is None:
            raise ValueError("this MessageDot was built without a tag (tagged=False)")
        self.tag_text = text
        if text:
            self.tag.set_text(text)
        self._redraw()
        return self

    # --- states ------------------------------------------------------------------------
    def travel(self, progress: float) -> MessageDot:
        """Show the arrow and the dot ``progress`` of the way along it."""
        if not 0.0 <= progress <= 1.0:
            raise ValueError(f"progress must be in [0, 1], got {progress}")
        if self.state != "travel":
            self.shaft.set_stroke(opacity=self.arrow_opacity)
        self.state, self.progress = "travel", float(progress)
        self._redraw()
        return self

    def fizzle(self, fade: float) -> MessageDot:
        """The dropped variant: no dot, a cross where it died, fading out as ``fade`` goes 0 → 1."""
        if not 0.0 <= fade <= 1.0:
            raise ValueError(f"fade must be in [0, 1], got {fade}")
        self.state = "fizzle"
        self._redraw()
        self.shaft.set_stroke(opacity=self.arrow_opacity * (1.0 - fade))
        self.cross.set_stroke(opacity=1.0 - fade)
        return self

    def hide(self) -> MessageDot:
        """Show nothing (all parts lose their points)."""
        if self.state != "hidden":
            self.state = "hidden"
            self._redraw()
        return self


class FlightLayer(VGroup):
    """Every flight of a trace, shown at any time ``t`` with a fixed pool of MessageDots.

    The pool holds as many dots as flights are ever visible at once (a dropped
    flight stays visible for ``fizzle_time`` after ``deliver_t`` while its cross
    fades). ``show_at(t)`` is a pure function of ``t``; ``follow(tracker)``
    calls it from an updater.
    """

    def __init__(self, flights: Sequence[Flight], *, fizzle_time: float, arrow_opacity: float = 0.35) -> None:
        if fizzle_time <= 0:
            raise ValueError(f"fizzle_time must be positive, got {fizzle_time}")
        super().__init__()
        self.flights = sorted(flights, key=lambda f: (f.send_t, f.deliver_t))
        self.fizzle_time = float(fizzle_time)
        self.slots = [MessageDot(arrow_opacity=arrow_opacity, tagged=any(f.tag for f in self.flights)).hide()
                      for _ in range(self.max_concurrent())]
        self._shown: list[Flight | None] = [None] * len(self.slots)
        self.add(*self.slots)

    def _end(self, flight: Flight) -> float:
        return flight.deliver_t + (self.fizzle_time if flight.dropped else 0.0)

    def max_concurrent(self) -> int:
        """Most flights visible at the same moment."""
        events = sorted([(f.send_t, 1) for f in self.flights] + [(self._end(f), -1) for f in self.flights],
                        key=lambda e: (e[0], e[1]))
        most = count = 0
        for _, step in events:
            count += step
            most = max(most, count)
        return most

    def active_at(self, t: float) -> list[Flight]:
        """Flights visible at ``t``: sent, and not yet delivered (or still fizzling)."""
        active = []
        for flight in self.flights:
            if flight.send_t > t:
                break
            if t < self._end(flight):
                active.append(flight)
        return active

    def show_at(self, t: float) -> FlightLayer:
        active = self.active_at(t)
        for i, slot in enumerate(self.slots):
            if i >= len(active):
                slot.hide()
                self._shown[i] = None
                continue
            flight = active[i]
            if self._shown[i] is not flight:
                slot.set_look(flight.color, hollow=flight.hollow, radius=flight.radius)
                slot.progress = 0.0
                slot.set_route(flight.start, flight.end, arc=flight.arc)
                if slot.tag is not None:
                    slot.set_tag(flight.tag)
                self._shown[i] = flight
            if flight.dropped and t >= flight.deliver_t:
                slot.progress = flight.drop_at
                slot.fizzle(min((t - flight.deliver_t) / self.fizzle_time, 1.0))
            else:
                slot.travel(flight.progress_at(t))
        return self

    def follow(self, tracker: ValueTracker) -> FlightLayer:
        self.show_at(tracker.get_value())
        self.add_updater(lambda m: m.show_at(tracker.get_value()))
        return self
