"""Time components: a TimelineLane with event marks, a WindowBracket, a clock cursor.

A lane maps simulated seconds to x over a visible window ``[t0, t1]``; marks
are revealed by a ValueTracker clock (an absolute time, never an integrated
``dt``), so a replay is a pure function of the tracker's value.
"""

from __future__ import annotations

import bisect
from typing import Sequence

import numpy as np
from manim import (
    LEFT,
    Circle,
    Cross,
    DashedLine,
    Dot,
    Line,
    Rectangle,
    ValueTracker,
    VGroup,
    VMobject,
)

from scenes.kit import theme
from scenes.kit.text import label, mono

__all__ = ["TimelineLane", "EventMarks", "WindowBracket", "mark", "MARK_KINDS"]

MARK_KINDS = ("pending", "admitted", "rejected")
MARK_RADIUS = 0.075


def mark(kind: str, radius: float = MARK_RADIUS) -> VMobject:
    """One event mark: grey ring (pending), filled disc (admitted) or cross (rejected).

    Shape carries the meaning as well as color, for color-vision deficiencies.
    """
    if kind == "admitted":
        return Dot(radius=radius, color=theme.SUCCESS)
    if kind == "rejected":
        c = Cross(scale_factor=radius * 1.25, stroke_color=theme.FAILURE, stroke_width=3.5)
        return c
    if kind == "pending":
        return Circle(radius=radius * 0.8, stroke_color=theme.MUTED, stroke_width=2.0)
    raise ValueError(f"mark kind must be one of {MARK_KINDS}, got {kind!r}")


class TimelineLane(VGroup):
    """A horizontal lane: a name on the left, an axis over ``[t0, t1]`` seconds.

    Parameters
    ----------
    name
        The lane's label, drawn left of the axis.
    t0, t1
        The visible window in simulated seconds.
    y
        Vertical position of the axis.
    x_left, x_right
        Horizontal extent of the axis in frame units.
    tick_every
        Seconds between labelled ticks (0 for none).
    """

    def __init__(
        self,
        name: str,
        *,
        t0: float,
        t1: float,
        y: float = 0.0,
        x_left: float = -3.6,
        x_right: float = 6.2,
        name_width: float = 2.6,
        tick_every: float = 0.0,
        tick_labels: bool = False,
    ) -> None:
        if t1 <= t0:
            raise ValueError(f"lane window must have t1 > t0, got [{t0}, {t1}]")
        if x_right <= x_left:
            raise ValueError("lane needs x_right > x_left")
        super().__init__()
        self.t0, self.t1 = float(t0), float(t1)
        self.x_left, self.x_right, self.y = x_left, x_right, y
        self.axis = Line([x_left, y, 0], [x_right, y, 0], stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE)
        self.name = label(name, font_size=theme.LABEL_SIZE, color=theme.TEXT)
        if self.name.width > name_width:
            self.name.scale_to_fit_width(name_width)
        self.name.next_to([x_left, y, 0], LEFT, buff=0.25)
        self.ticks = VGroup()
        if tick_every > 0:
            first = np.ceil(self.t0 / tick_every) * tick_every
            for t in np.arange(first, self.t1 + 1e-9, tick_every):
                x = self.x_of(t)
                self.ticks.add(Line([x, y - 0.06, 0], [x, y + 0.06, 0], stroke_color=theme.GRID, stroke_width=2))
                if tick_labels:
                    self.ticks.add(mono(f"{t:g}s", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED).move_to([x, y - 0.3, 0]))
        self.add(self.axis, self.name, self.ticks)

    def x_of(self, t: float) -> float:
        """Frame x of simulated time ``t`` (clamped to the axis)."""
        frac = (t - self.t0) / (self.t1 - self.t0)
        return self.x_left + float(np.clip(frac, 0.0, 1.0)) * (self.x_right - self.x_left)

    def point(self, t: float, stack: int = 0, spacing: float = 0.16) -> np.ndarray:
        """Where the ``stack``-th event at time ``t`` sits (stacked upward from the axis)."""
        return np.array([self.x_of(t), self.y + 0.12 + stack * spacing, 0.0])

    def contains(self, t: float) -> bool:
        return self.t0 <= t <= self.t1

    def vertical_line(self, t: float, *, height: float = 0.9, color: str = theme.GRID, dashed: bool = True) -> VMobject:
        x = self.x_of(t)
        start, end = [x, self.y - 0.2, 0], [x, self.y + height - 0.2, 0]
        if dashed:
            return DashedLine(start, end, stroke_color=color, stroke_width=2.5, dash_length=0.08)
        return Line(start, end, stroke_color=color, stroke_width=2.5)


class EventMarks(VGroup):
    """Marks on a lane, each shown once a clock passes its time.

    ``events`` are ``(t, kind, stack)`` tuples sorted by time; events outside
    the lane's window are skipped. Call :meth:`follow` with a ValueTracker to
    reveal them as it moves. Only revealed marks are submobjects, so hidden
    ones cost nothing to draw.
    """

    def __init__(self, lane: TimelineLane, events: Sequence[tuple[float, str, int]], *, max_stack: int = 4) -> None:
        super().__init__()
        self.lane = lane
        self.times: list[float] = []
        self.all_marks: list[VMobject] = []
        for t, kind, stack in events:
            if not lane.contains(t):
                continue
            if self.times and t < self.times[-1]:
                raise ValueError("EventMarks needs events sorted by time")
            self.all_marks.append(mark(kind).move_to(lane.point(t, min(stack, max_stack))))
            self.times.append(t)
        self._shown = -1
        self.reveal_until(lane.t1)

    def set_mark_opacity(self, opacity: float = theme.DIM_OPACITY) -> "EventMarks":
        for m in self.all_marks:
            m.set_opacity(opacity)
        return self

    def reveal_until(self, clock: float) -> "EventMarks":
        count = bisect.bisect_right(self.times, clock + 1e-9)
        if count != self._shown:
            self.submobjects = list(self.all_marks[:count])
            self._shown = count
        return self

    def follow(self, tracker: ValueTracker) -> "EventMarks":
        self.reveal_until(tracker.get_value())
        self.add_updater(lambda m: m.reveal_until(tracker.get_value()))
        return self


class WindowBracket(VGroup):
    """A translucent bracket ``width_s`` seconds wide whose right edge sits at a given time."""

    def __init__(self, lane: TimelineLane, width_s: float, *, height: float = 0.85, color: str = theme.HIGHLIGHT) -> None:
        if width_s <= 0:
            raise ValueError("window width must be positive")
        super().__init__()
        self.lane, self.width_s, self.height = lane, float(width_s), height
        self.box = Rectangle(width=1.0, height=height, fill_color=color, fill_opacity=0.14, stroke_color=color, stroke_width=2.5)
        self.add(self.box)

    def place(self, t_end: float) -> "WindowBracket":
        """Cover ``[t_end - width_s, t_end]`` on the lane (clipped to the lane)."""
        left = self.lane.x_of(t_end - self.width_s)
        right = self.lane.x_of(t_end)
        width = max(right - left, 1e-3)
        self.box.stretch_to_fit_width(width)
        self.box.move_to([(left + right) / 2, self.lane.y + self.height / 2 - 0.15, 0])
        return self

    def follow(self, tracker: ValueTracker) -> "WindowBracket":
        self.place(tracker.get_value())
        self.add_updater(lambda m: m.place(tracker.get_value()))
        return self
