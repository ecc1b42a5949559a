"""Simulated time on screen: a readout of the clock, and a cursor that marks "now" on a time axis.

A simulation-driven scene moves one ValueTracker, its simulated clock, and
every widget sets its state from that value alone (see
:meth:`scenes.kit.base.ExplainerScene.advance`). These two show the clock
itself: :class:`SimTimeReadout` as digits ("simulated time 1234 ms") and
:class:`ClockCursor` as a vertical line at the clock's place on a time axis.

Example::

    clock = ValueTracker(0)
    readout = SimTimeReadout(unit="ms").follow(clock)
    cursor = ClockCursor(lane.x_of, bottom=lane.y - 0.2, top=lane.y + 0.8).follow(clock)
    self.advance(clock, 500, 4.0)   # both move with the clock
"""

from __future__ import annotations

from typing import Callable

from manim import DOWN, LEFT, RIGHT, Line, ValueTracker, VGroup

from scenes.kit import theme
from scenes.kit.text import SwapText, label

__all__ = ["ClockCursor", "SimTimeReadout"]


class SimTimeReadout(VGroup):
    """A title over a number and its unit, e.g. "simulated time / 1234 ms".

    Each character of the number is its own :class:`~scenes.kit.text.SwapText`
    (a fixed-width cell, digits parsed once), so the readout costs no new Text
    per frame and does not shift as digits change.

    Parameters
    ----------
    unit
        Shown after the number ("ms", "s", "ticks", "round" ...).
    digits
        Character cells before the decimal point; leading blanks are hidden.
    decimals
        Digits after the decimal point (0 for whole numbers).
    title
        The small caption above the number (empty for none).
    """

    def __init__(self, *, unit: str = "ms", digits: int = 4, decimals: int = 0, title: str = "simulated time",
                 font_size: float = theme.BODY_SIZE) -> None:
        if digits < 1 or decimals < 0:
            raise ValueError(f"SimTimeReadout needs digits >= 1 and decimals >= 0, got {digits}, {decimals}")
        super().__init__()
        self.decimals = decimals
        self.width_chars = digits + (decimals + 1 if decimals else 0)
        self.cells = VGroup(*[SwapText("0", font_size=font_size, weight="BOLD", baseline=True)
                              for _ in range(self.width_chars)])
        self.cells.arrange(RIGHT, buff=0.02)
        self.unit = label(unit, font_size=theme.LABEL_SIZE, color=theme.MUTED)
        number = VGroup(self.cells, self.unit).arrange(RIGHT, buff=0.1)
        self.title = label(title, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED) if title else VGroup()
        if title:
            number.next_to(self.title, DOWN, buff=0.1).align_to(self.title, LEFT)
        self.still = VGroup(self.title, self.unit)  #: never changes: can be drawn as background
        self.add(self.title, number)
        self.shown = ""
        self.set_value(0)

    def set_value(self, value: float) -> SimTimeReadout:
        """Show ``value`` (rounded to ``decimals``)."""
        text = f"{value:.{self.decimals}f}".rjust(self.width_chars)
        if len(text) > self.width_chars:
            raise ValueError(f"{text!r} does not fit in {self.width_chars} characters")
        if text == self.shown:
            return self
        self.shown = text
        for cell, char in zip(self.cells, text):
            cell.set_text(char if char != " " else "0")
            cell.set_opacity(0.0 if char == " " else 1.0)
        return self

    def follow(self, clock: ValueTracker, scale: float = 1.0) -> SimTimeReadout:
        """Show ``clock``'s value (times ``scale``, e.g. 1000 to show seconds as ms) from now on."""
        self.set_value(clock.get_value() * scale)
        self.add_updater(lambda m: m.set_value(clock.get_value() * scale))
        return self


class ClockCursor(Line):
    """A vertical line at "now" on a time axis: ``x_of(t)`` maps simulated time to frame x.

    Parameters
    ----------
    x_of
        Frame x of a simulated time (a lane's :meth:`~scenes.kit.timeline.TimelineLane.x_of`).
    bottom, top
        The line's vertical extent in frame units.
    """

    def __init__(self, x_of: Callable[[float], float], *, bottom: float, top: float, color: str = theme.HIGHLIGHT,
                 stroke_width: float = 2.5) -> None:
        if top <= bottom:
            raise ValueError(f"ClockCursor needs top > bottom, got {bottom}..{top}")
        self.x_of, self.bottom_y, self.top_y = x_of, float(bottom), float(top)
        super().__init__([0, bottom, 0], [0, top, 0], stroke_color=color, stroke_width=stroke_width)

    def place(self, t: float) -> ClockCursor:
        """Put the line at simulated time ``t``."""
        x = self.x_of(t)
        self.put_start_and_end_on([x, self.bottom_y, 0], [x, self.top_y, 0])
        return self

    def follow(self, clock: ValueTracker) -> ClockCursor:
        """Stay at ``clock``'s value from now on."""
        self.place(clock.get_value())
        self.add_updater(lambda m: m.place(clock.get_value()))
        return self
