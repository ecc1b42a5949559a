"""RevealCurve: a series drawn from its start up to a moving x, with a head dot and a readout.

The axes carry no invented round numbers: the y axis is labelled with values of the
series itself at chosen indices (``marks``: a tick and its value, shown once the curve
has reached that index), the x axis with its first and last index. ``log_y`` plots the
logarithm of the values, for a series that falls over orders of magnitude.
``show_until(x)`` is a pure function of ``x``, for an updater driven by a clock. Build it at
the size it is shown at (place it without scaling): the readout keeps its built font size.

Example::

    curve = RevealCurve(series, x_label="step", y_label="value", marks=[0, len(series) - 1], log_y=True)
    layout.SIDE_PANEL.place(curve, fit=False)
    curve.show_until(clock.get_value())   # 0 .. len(series) - 1
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Circle, DashedLine, Line, VGroup, VMobject

from scenes.kit import theme
from scenes.kit.text import SwapText, label, mono

__all__ = ["RevealCurve"]


class RevealCurve(VGroup):
    """One series on axes, revealed from index 0 up to a moving x.

    Parameters
    ----------
    values
        The series; x is the index (0 .. len - 1).
    width, height
        The plot area.
    log_y
        Plot log10 of the values (every value must be positive).
    marks
        Indices whose values are ticked and labelled on the y axis once the curve reaches them.
    fmt
        Formats a value for the marks and the readout.
    x_label, y_label
        Axis titles (the x axis ends are labelled with the first and last index).
    color
        The curve and its head.
    """

    def __init__(self, values: Sequence[float], *, width: float = 5.0, height: float = 2.8, log_y: bool = False,
                 marks: Sequence[int] = (), fmt: Callable[[float], str] = lambda v: f"{v:.3g}",
                 x_label: str = "", y_label: str = "", color: str = theme.ACCENT) -> None:
        if len(values) < 2:
            raise ValueError("a RevealCurve needs at least two values")
        if log_y and min(values) <= 0:
            raise ValueError("log_y needs every value to be positive")
        if any(not 0 <= m < len(values) for m in marks):
            raise ValueError(f"marks must be indices of the series (0..{len(values) - 1})")
        if width <= 0 or height <= 0:
            raise ValueError("width and height must be positive")
        super().__init__()
        self.values, self.log_y, self.fmt = [float(v) for v in values], log_y, fmt
        self.plot_w, self.plot_h = width, height
        ys = [self._y(v) for v in self.values]
        self.y_low, self.y_high = min(ys), max(ys)
        if self.y_high - self.y_low < 1e-12:
            self.y_high = self.y_low + 1.0
        self.axes = VGroup(Line([0, 0, 0], [width, 0, 0], stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE),
                           Line([0, 0, 0], [0, height, 0], stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE))
        ends = VGroup(mono("0", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED),
                      mono(str(len(values) - 1), font_size=theme.MIN_FONT_SIZE, color=theme.MUTED))
        ends[0].next_to([0, 0, 0], DOWN, buff=0.12).align_to([0, 0, 0], LEFT)
        ends[1].next_to([width, 0, 0], DOWN, buff=0.12).align_to([width, 0, 0], RIGHT)
        self.titles = VGroup()
        if x_label:
            self.titles.add(label(x_label, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
                            .next_to(ends, DOWN, buff=0.08).set_x(width / 2))
        if y_label:  # over the plot's right end: a falling curve's head and readout start at the top left
            self.titles.add(label(y_label, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
                            .next_to([width, height, 0], UP, buff=0.2).align_to([width, 0, 0], RIGHT))
        self.marks = list(marks)
        self.mark_ticks = VGroup()
        for m in self.marks:
            y = self.to_point(m, self.values[m])[1]
            tick = DashedLine([0, y, 0], [width, y, 0], stroke_color=theme.GRID, stroke_width=1.5, dash_length=0.08)
            text = mono(fmt(self.values[m]), font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
            text.next_to([0, y, 0], LEFT, buff=0.15)
            self.mark_ticks.add(VGroup(tick, text))
        self.line = VMobject(stroke_color=color, stroke_width=theme.STROKE)
        self.head = Circle(radius=0.08, stroke_width=0, fill_color=color, fill_opacity=1.0)
        self.readout = SwapText(fmt(self.values[0]), font_size=theme.LABEL_SIZE, color=color, weight="BOLD")
        self.add(self.axes, ends, self.titles, self.mark_ticks, self.line, self.head, self.readout)
        self.x = 0.0
        self.show_until(0.0)

    def _y(self, value: float) -> float:
        return math.log10(value) if self.log_y else value

    def to_point(self, x: float, value: float) -> np.ndarray:
        """Frame point of (index ``x``, ``value``), wherever the axes are now."""
        origin, x_end, y_end = self.axes[0].get_start(), self.axes[0].get_end(), self.axes[1].get_end()
        fx = x / (len(self.values) - 1)
        fy = (self._y(value) - self.y_low) / (self.y_high - self.y_low)
        return origin + (x_end - origin) * fx + (y_end - origin) * fy

    def value_at(self, x: float) -> float:
        """The series at index ``round(x)`` (what the readout shows)."""
        return self.values[int(round(min(max(x, 0.0), len(self.values) - 1)))]

    def show_until(self, x: float) -> RevealCurve:
        """Draw the curve from index 0 to ``x`` (0 .. len - 1), its head and readout at ``x``."""
        last = len(self.values) - 1
        if not 0.0 <= x <= last:
            raise ValueError(f"x must be in [0, {last}], got {x}")
        self.x = float(x)
        whole = int(math.floor(x))
        points = [self.to_point(i, self.values[i]) for i in range(whole + 1)]
        if x > whole:
            a, b = self.to_point(whole, self.values[whole]), self.to_point(whole + 1, self.values[whole + 1])
            points.append(a + (b - a) * (x - whole))
        if len(points) < 2:
            points.append(points[0])
        self.line.set_points_as_corners(points)
        tip = points[-1]
        self.head.move_to(tip)
        self.readout.set_text(self.fmt(self.value_at(x)))
        self.readout.next_to(tip, UP + RIGHT, buff=0.06)
        right = self.axes[0].get_end()[0]
        if self.readout.get_right()[0] > right:  # near the end: above the head, inside the plot
            self.readout.next_to(tip, UP, buff=0.2)
            self.readout.shift(LEFT * max(self.readout.get_right()[0] - right, 0.0))
        for m, mark in zip(self.marks, self.mark_ticks):
            mark.set_opacity(1.0 if x >= m else 0.0)
        return self
