"""Charts drawn from plain Text and lines (no LaTeX): BarChart and LineChart."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from manim import DOWN, LEFT, RIGHT, UP, DashedLine, Line, Rectangle, VGroup, VMobject

from scenes.kit import theme
from scenes.kit.text import label, mono

__all__ = ["BarChart", "LineChart"]


class BarChart(VGroup):
    """Labelled vertical bars with their values on top and an optional dashed reference line.

    Parameters
    ----------
    labels, values
        One bar per label.
    maximum
        The value at the top of the plot area (default: the largest of values and ``reference``).
    reference
        Draws a dashed line at this value with ``reference_label``.

    A name wider than its bar's slot wraps onto a second line; one that still
    does not fit is a ``ValueError`` (names are never shrunk below the readable size).

    Example::

        chart = BarChart(["fixed", "log"], [16, 8], reference=8, reference_label="limit 8")
        layout.MAIN.place(chart)
    """

    def __init__(self, labels: Sequence[str], values: Sequence[float], *, width: float = 5.0, height: float = 2.6,
                 maximum: float | None = None, reference: float | None = None, reference_label: str = "",
                 colors: Sequence[str] | None = None, decimals: int = 0) -> None:
        if len(labels) != len(values) or not labels:
            raise ValueError("BarChart needs one value per label, and at least one")
        super().__init__()
        top = maximum or max(list(values) + ([reference] if reference is not None else [])) or 1.0
        slot = width / len(labels)
        self.baseline = Line([-width / 2, 0, 0], [width / 2, 0, 0], stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE)
        self.bars, self.value_labels, self.names = VGroup(), VGroup(), VGroup()
        palette = list(colors or [theme.NODE] * len(labels))
        for i, (name, value) in enumerate(zip(labels, values)):
            x = -width / 2 + slot * (i + 0.5)
            h = max(height * value / top, 1e-3)
            bar = Rectangle(width=slot * 0.6, height=h, fill_color=palette[i], fill_opacity=0.9, stroke_width=0)
            bar.move_to([x, h / 2, 0])
            self.bars.add(bar)
            self.value_labels.add(mono(f"{value:.{decimals}f}", font_size=theme.LABEL_SIZE + 2, weight="BOLD").next_to(bar, UP, buff=0.08))
            name_text = _bar_name(name, slot * 0.95)
            self.names.add(name_text.move_to([x, -0.15 - name_text.height / 2, 0]))
        self.add(self.baseline, self.bars, self.value_labels, self.names)
        self.reference = VGroup()
        if reference is not None:
            y = height * reference / top
            line = DashedLine([-width / 2 - 0.1, y, 0], [width / 2 + 0.1, y, 0], stroke_color=theme.HIGHLIGHT, stroke_width=3)
            text = mono(reference_label or f"{reference:g}", font_size=theme.MIN_FONT_SIZE, color=theme.HIGHLIGHT)
            text.next_to(line, RIGHT, buff=0.1)
            self.reference.add(line, text)
            self.add(self.reference)


def _bar_name(name: str, width: float) -> VGroup:
    """``name`` on one line, or two balanced lines if one is wider than ``width``; ValueError if two are too."""
    one = label(name, font_size=theme.MIN_FONT_SIZE, color=theme.TEXT)
    if one.width <= width:
        return VGroup(one)
    words = name.split()
    splits = sorted(((" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))),
                    key=lambda pair: abs(len(pair[0]) - len(pair[1])))
    for first, second in splits:
        lines = VGroup(label(first, font_size=theme.MIN_FONT_SIZE), label(second, font_size=theme.MIN_FONT_SIZE))
        lines.arrange(DOWN, buff=0.06)
        if lines.width <= width:
            return lines
    raise ValueError(f"bar name {name!r} is wider than its slot ({width:.2f}) even on two lines: "
                     f"give the chart more width or a shorter name")


class LineChart(VGroup):
    """Several series over a shared x range, each a polyline labelled at its end.

    ``series`` maps a name to a list of ``(x, y)`` points; ``colors`` maps names to colors. ``x_ticks`` and
    ``y_ticks`` are ``(value, text)`` marks along the axes (the text is the caller's, from its data).
    :meth:`point_at` is where a value pair is on screen now, wherever the chart has been placed or scaled.
    """

    def __init__(self, series: dict[str, Sequence[tuple[float, float]]], *, x_range: tuple[float, float],
                 y_max: float, width: float = 5.0, height: float = 2.6, colors: dict[str, str] | None = None,
                 x_label: str = "", y_label: str = "", x_ticks: Sequence[tuple[float, str]] = (),
                 y_ticks: Sequence[tuple[float, str]] = ()) -> None:
        if not series:
            raise ValueError("LineChart needs at least one series")
        if x_range[1] <= x_range[0] or y_max <= 0:
            raise ValueError("LineChart needs a non-empty x range and a positive y_max")
        for value, _ in x_ticks:
            if not x_range[0] <= value <= x_range[1]:
                raise ValueError(f"x tick {value} is outside the x range {x_range}")
        for value, _ in y_ticks:
            if not 0 <= value <= y_max:
                raise ValueError(f"y tick {value} is outside 0-{y_max}")
        super().__init__()
        self.x_range, self.y_max, self.plot_w, self.plot_h = x_range, y_max, width, height
        self.axes = VGroup(
            Line([0, 0, 0], [width, 0, 0], stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE),
            Line([0, 0, 0], [0, height, 0], stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE),
        )
        self.ticks = VGroup()
        for value, text in x_ticks:
            at = self.to_point(value, 0)
            mark = Line([at[0], 0, 0], [at[0], -0.08, 0], stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE)
            self.ticks.add(VGroup(mark, mono(text, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
                                  .next_to(mark, DOWN, buff=0.06)))
        for value, text in y_ticks:
            at = self.to_point(self.x_range[0], value)
            mark = Line([0, at[1], 0], [-0.08, at[1], 0], stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE)
            self.ticks.add(VGroup(mark, mono(text, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
                                  .next_to(mark, LEFT, buff=0.06)))
        self.axis_labels = VGroup()
        if x_label:
            below = VGroup(self.axes[0], *self.ticks[:len(x_ticks)])
            self.axis_labels.add(label(x_label, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
                                 .next_to(below, DOWN, buff=0.15).set_x(width / 2))
        if y_label:
            self.axis_labels.add(label(y_label, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED).next_to(self.axes[1], UP, buff=0.15).align_to(self.axes[1], LEFT))
        self.add(self.axes, self.ticks, self.axis_labels)
        self.lines: dict[str, VMobject] = {}
        self.end_labels = VGroup()
        for name, points in series.items():
            color = (colors or {}).get(name, theme.NODE)
            line = VMobject(stroke_color=color, stroke_width=theme.STROKE)
            line.set_points_as_corners([self.to_point(x, y) for x, y in points])
            self.lines[name] = line
            self.add(line)
            end = mono(name, font_size=theme.MIN_FONT_SIZE, color=color).next_to(line.get_end(), RIGHT, buff=0.1)
            self.end_labels.add(end)
        self._spread_labels()
        self.add(self.end_labels)

    def to_point(self, x: float, y: float) -> list[float]:
        """Where ``(x, y)`` is relative to the chart's origin, at the size it was built (see :meth:`point_at`)."""
        fx = (x - self.x_range[0]) / (self.x_range[1] - self.x_range[0])
        return [fx * self.plot_w, min(y / self.y_max, 1.0) * self.plot_h, 0.0]

    def point_at(self, x: float, y: float) -> np.ndarray:
        """Where ``(x, y)`` is on screen now: follows the axes wherever the chart was placed or scaled."""
        origin, x_end, y_end = self.axes[0].get_start(), self.axes[0].get_end(), self.axes[1].get_end()
        fx, fy = (np.array(self.to_point(x, y)[:2]) / [self.plot_w, self.plot_h])
        return origin + fx * (x_end - origin) + fy * (y_end - origin)

    def _spread_labels(self, gap: float = 0.34) -> None:
        ordered = sorted(self.end_labels, key=lambda m: m.get_center()[1])
        for lower, upper in zip(ordered, ordered[1:]):
            if upper.get_center()[1] - lower.get_center()[1] < gap:
                upper.set_y(lower.get_center()[1] + gap)
