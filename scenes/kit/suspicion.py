"""Suspicion widgets: a level against a threshold, a strip of arrivals with shaded spans, a gap histogram.

A watcher that only sees things arrive (or not) judges a source by a level that
grows with the silence since the last arrival, against a threshold line. These
widgets show that judgement, each changed in place as a pure function of what
it is given (usually a clock tracker's value), so they can be driven by updaters:

* :class:`SuspicionMeter`: a bar for the level, a dashed threshold line, the level
  printed beside it and a tag that appears while the level is over the line; one
  per source makes a row of meters;
* :class:`ArrivalStrip`: a time axis with a short tick per arrival and a band under
  the axis for each span spent over the threshold, both drawn up to a clock time;
* :class:`GapHistogram`: the recent gaps between arrivals as a histogram, the normal
  curve fitted to them and a marker at the threshold, replaced in place by
  :meth:`GapHistogram.set_data`.

Example::

    clock = ValueTracker(0)
    meter = SuspicionMeter(4.0, maximum=6.0, threshold_label="T", unit=" s", over_text="suspect")
    meter.add_updater(lambda m: m.set_level(silence_at(clock.get_value())))
    strip = ArrivalStrip("source A", arrivals, spans, t0=0, t1=20, x_left=-2, x_right=4).follow(clock)
"""

from __future__ import annotations

import bisect
import math
from typing import Sequence

import numpy as np
from manim import LEFT, UP, DashedLine, Line, ValueTracker, VGroup, VMobject

from scenes.kit import theme
from scenes.kit.text import SwapText, label, mono
from scenes.kit.timeline import TimelineLane

__all__ = ["ArrivalStrip", "GapHistogram", "SuspicionMeter"]


def _rects(corners: Sequence[tuple[float, float, float, float]]) -> np.ndarray:
    """The points of one VMobject holding a closed rectangle subpath per ``(left, bottom, right, top)``."""
    shape = VMobject()
    for left, bottom, right, top in corners:
        shape.start_new_path(np.array([left, bottom, 0.0]))
        shape.add_points_as_corners([np.array(p) for p in ([right, bottom, 0.0], [right, top, 0.0],
                                                          [left, top, 0.0], [left, bottom, 0.0])])
    return shape.points.copy() if corners else np.zeros((0, 3))


class SuspicionMeter(VGroup):
    """A horizontal bar for a level against a dashed threshold line, with a readout and an "over" tag.

    Parameters
    ----------
    threshold
        Where the dashed line sits, in the level's unit (positive).
    maximum
        The level that fills the bar (default 1.5 x threshold); higher levels fill it and
        the readout shows the level clipped to it with a ``+``.
    width, height
        Size of the bar's frame.
    caption
        A title above the frame, left-aligned (empty for none).
    threshold_label
        Text over the threshold line (default the threshold itself; empty for none).
    decimals, unit
        How the readout right of the frame prints the level (``"2.4 s"``).
    color, over_color
        The bar's color below and at or over the threshold.
    over_text
        A tag right of the readout, shown only while over the threshold (the meaning is
        written, not only colored); empty for none.

    :meth:`set_level` changes everything in place; the same level always gives the same points.

    Example::

        meter = SuspicionMeter(8.0, maximum=12.0, caption="source A", over_text="suspect")
        meter.set_level(9.3)     # bar past the line, in over_color, tag shown
    """

    def __init__(self, threshold: float, *, maximum: float | None = None, width: float = 3.0, height: float = 0.3,
                 caption: str = "", threshold_label: str | None = None, decimals: int = 1, unit: str = "",
                 color: str = theme.NODE, over_color: str = theme.FAILURE, over_text: str = "over") -> None:
        if not threshold > 0:
            raise ValueError(f"SuspicionMeter threshold must be positive, got {threshold}")
        top = 1.5 * threshold if maximum is None else float(maximum)
        if top <= threshold:
            raise ValueError(f"SuspicionMeter maximum {top} must be above the threshold {threshold}")
        if width <= 0 or height <= 0:
            raise ValueError(f"SuspicionMeter needs a positive width and height, got {width} x {height}")
        if decimals < 0:
            raise ValueError(f"decimals must be >= 0, got {decimals}")
        super().__init__()
        self.threshold, self.maximum, self.bar_width, self.bar_height = float(threshold), top, width, height
        self.decimals, self.unit, self.color_, self.over_color = decimals, unit, color, over_color
        self.frame = VMobject(stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE)
        self.frame.set_points_as_corners([[-width / 2, -height / 2, 0], [width / 2, -height / 2, 0],
                                          [width / 2, height / 2, 0], [-width / 2, height / 2, 0],
                                          [-width / 2, -height / 2, 0]])
        self.bar = VMobject(fill_color=color, fill_opacity=0.9, stroke_width=0)
        x = self.x_of(threshold)
        self.limit_line = DashedLine([x, -height / 2 - 0.1, 0], [x, height / 2 + 0.1, 0], stroke_color=theme.HIGHLIGHT,
                                     stroke_width=3, dash_length=0.06)
        text = f"{threshold:g}" if threshold_label is None else threshold_label
        self.limit_label = mono(text, font_size=theme.MIN_FONT_SIZE, color=theme.HIGHLIGHT) if text else VGroup()
        if text:
            self.limit_label.next_to(self.limit_line, UP, buff=0.04)
        self.title = label(caption, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED) if caption else VGroup()
        if caption:
            self.title.next_to(self.frame, UP, buff=0.1).align_to(self.frame, LEFT)
        self.readout = SwapText("0", font_size=theme.LABEL_SIZE, weight="BOLD")
        self.tag = label(over_text, font_size=theme.MIN_FONT_SIZE, color=over_color, weight="BOLD") if over_text \
            else VGroup()
        widest = mono(self._format(top) + "+" + unit, font_size=theme.LABEL_SIZE, weight="BOLD")
        self._readout_left = width / 2 + 0.15
        if over_text:
            self.tag.move_to([self._readout_left + widest.width + 0.15 + self.tag.width / 2, 0, 0])
        self.add(self.frame, self.bar, self.limit_line, self.limit_label, self.title, self.readout, self.tag)
        self.level: float | None = None
        self.over = False
        self.set_level(0.0)

    def _format(self, level: float) -> str:
        return f"{level:.{self.decimals}f}"

    def x_of(self, level: float) -> float:
        """Frame x (before the meter is moved) of ``level``, clipped to the bar."""
        frac = min(max(level / self.maximum, 0.0), 1.0)
        return -self.bar_width / 2 + frac * self.bar_width

    def set_level(self, level: float, *, over: bool | None = None) -> SuspicionMeter:
        """Show ``level``; ``over`` (default ``level >= threshold``) colors the bar and shows the tag."""
        over = level >= self.threshold if over is None else bool(over)
        if (level, over) == (self.level, self.over):
            return self
        self.level, self.over = float(level), over
        left, bottom = self.frame.points[0][:2]  # the frame's first corner is its bottom left, wherever it moved
        frac = min(max(level / self.maximum, 0.0), 1.0)
        inset = 0.03
        right = left + inset + max(frac * (self.bar_width - 2 * inset), 1e-3)
        self.bar.set_points(_rects([(left + inset, bottom + inset, right, bottom + self.bar_height - inset)]))
        self.bar.set_fill(color=self.over_color if over else self.color_, opacity=0.9 if frac > 0 else 0.0)
        clipped = level > self.maximum
        self.readout.set_text(self._format(min(level, self.maximum)) + ("+" if clipped else "") + self.unit)
        self.readout.shift([left + self.bar_width + 0.15 - self.readout.current.get_left()[0],
                            bottom + self.bar_height / 2 - self.readout.anchor.get_center()[1], 0])
        self.tag.set_opacity(1.0 if over else 0.0)
        return self

    def follow(self, clock: ValueTracker, level_at) -> SuspicionMeter:
        """Show ``level_at(clock value)`` from now on (``level_at`` may return ``(level, over)``)."""
        def update(m: SuspicionMeter) -> None:
            value = level_at(clock.get_value())
            if isinstance(value, tuple):
                m.set_level(value[0], over=value[1])
            else:
                m.set_level(value)

        update(self)
        self.add_updater(update)
        return self


class ArrivalStrip(VGroup):
    """A named time axis over ``[t0, t1]``: a tick per arrival, a band under the axis per span, up to a time.

    Parameters
    ----------
    name
        The strip's label, left of the axis (see :class:`~scenes.kit.timeline.TimelineLane`).
    arrivals
        Arrival times (any order); those outside the window are left out.
    spans
        ``(start, end)`` periods over a threshold; ``end`` None for one that never closes.
    t0, t1, x_left, x_right, y, name_width, tick_every, tick_labels
        The axis, as for :class:`~scenes.kit.timeline.TimelineLane`.
    tick_height
        Height of an arrival tick above the axis.
    tick_color, span_color
        Ticks (thin vertical lines) and spans (a band under the axis): shape tells them apart too.

    :meth:`show_until` draws the arrivals at or before ``t`` and each span from its start to
    ``min(end, t)``: a pure function of ``t``.

    Example::

        strip = ArrivalStrip("source A", [0.9, 2.0, 4.7], [(3.5, 4.7)], t0=0, t1=6, x_left=-2, x_right=4)
        strip.follow(clock)
    """

    def __init__(self, name: str, arrivals: Sequence[float], spans: Sequence[tuple[float, float | None]], *,
                 t0: float, t1: float, x_left: float, x_right: float, y: float = 0.0, name_width: float = 2.0,
                 tick_every: float = 0.0, tick_labels: bool = False, tick_height: float = 0.36,
                 tick_color: str = theme.MESSAGE, span_color: str = theme.FAILURE) -> None:
        if tick_height <= 0:
            raise ValueError(f"tick_height must be positive, got {tick_height}")
        for start, end in spans:
            if end is not None and end < start:
                raise ValueError(f"a span cannot end ({end}) before it starts ({start})")
        super().__init__()
        self.lane = TimelineLane(name, t0=t0, t1=t1, y=y, x_left=x_left, x_right=x_right, name_width=name_width,
                                 tick_every=tick_every, tick_labels=tick_labels)
        self.arrivals = sorted(t for t in arrivals if t0 <= t <= t1)
        self.spans = sorted((float(s), None if e is None else float(e)) for s, e in spans if s <= t1)
        self.tick_height = tick_height
        self.ticks = VMobject(stroke_color=tick_color, stroke_width=3.0)
        self.bands = VMobject(fill_color=span_color, fill_opacity=0.75, stroke_color=span_color, stroke_width=1.0)
        self.add(self.lane, self.bands, self.ticks)
        self._key: tuple | None = None
        self.show_until(t0)

    def x_of(self, t: float) -> float:
        return self.lane.x_of(t)

    def show_until(self, t: float) -> ArrivalStrip:
        count = bisect.bisect_right(self.arrivals, t + 1e-12)
        shown = [(max(s, self.lane.t0), min(self.lane.t1, t, math.inf if e is None else e)) for s, e in self.spans]
        shown = [(s, e) for s, e in shown if e > s]
        key = (count, tuple(shown), self.lane.y, self.lane.axis.get_start().tobytes())
        if key == self._key:
            return self
        self._key = key
        y = self.lane.axis.get_start()[1]
        self.ticks.clear_points()
        for when in self.arrivals[:count]:
            x = self.x_of(when)
            self.ticks.start_new_path(np.array([x, y, 0.0]))
            self.ticks.add_line_to(np.array([x, y + self.tick_height, 0.0]))
        self.bands.set_points(_rects([(self.x_of(s), y - 0.2, self.x_of(e), y - 0.06) for s, e in shown]))
        return self

    def follow(self, clock: ValueTracker) -> ArrivalStrip:
        self.show_until(clock.get_value())
        self.add_updater(lambda m: m.show_until(clock.get_value()))
        return self


class GapHistogram(VGroup):
    """The recent gaps between arrivals as a histogram, the fitted normal curve and a threshold marker.

    Parameters
    ----------
    x_max
        The gap (in seconds) at the right end of the axis; the axis starts at 0.
    y_max
        The density at the top of the plot (shared by histograms that are compared).
    bins
        Number of equal bins over ``[0, x_max]``.
    width, height
        Size of the plot area.
    tick_every
        Seconds between labelled ticks under the axis (0 for none).
    unit
        Written after each tick label.

    :meth:`set_data` replaces the gaps, the fit and the marker in place.

    Example::

        hist = GapHistogram(x_max=4.0, y_max=4.0)
        hist.set_data([0.9, 1.1, 1.0, 1.3], mean=1.075, std=0.15, threshold=1.9, marker="line 1.9 s")
    """

    def __init__(self, *, x_max: float, y_max: float, bins: int = 24, width: float = 5.0, height: float = 2.4,
                 tick_every: float = 1.0, unit: str = " s", color: str = theme.NODE,
                 curve_color: str = theme.TEXT) -> None:
        if x_max <= 0 or y_max <= 0:
            raise ValueError(f"GapHistogram needs a positive x_max and y_max, got {x_max}, {y_max}")
        if bins < 1:
            raise ValueError(f"GapHistogram needs at least one bin, got {bins}")
        if width <= 0 or height <= 0:
            raise ValueError(f"GapHistogram needs a positive width and height, got {width} x {height}")
        super().__init__()
        self.x_max, self.y_max, self.bins, self.plot_w, self.plot_h = float(x_max), float(y_max), bins, width, height
        self.axis = Line([0, 0, 0], [width, 0, 0], stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE)
        self.tick_labels = VGroup()
        if tick_every > 0:
            for k in range(1, int(x_max / tick_every + 1e-9) + 1):
                x = self.x_of(k * tick_every)
                self.tick_labels.add(Line([x, -0.06, 0], [x, 0.06, 0], stroke_color=theme.GRID, stroke_width=2),
                                     mono(f"{k * tick_every:g}{unit}", font_size=theme.MIN_FONT_SIZE,
                                          color=theme.MUTED).move_to([x, -0.28, 0]))
        self.bars = VMobject(fill_color=color, fill_opacity=0.7, stroke_color=color, stroke_width=1.0)
        self.curve = VMobject(stroke_color=curve_color, stroke_width=theme.STROKE)
        self.marker = DashedLine([0, 0, 0], [0, height, 0], stroke_color=theme.HIGHLIGHT, stroke_width=3.5,
                                 dash_length=0.1)
        self.marker_text = SwapText("·", font_size=theme.LABEL_SIZE, color=theme.HIGHLIGHT, monospace=False)
        self.add(self.bars, self.curve, self.axis, self.tick_labels, self.marker, self.marker_text)
        self.count = 0

    def x_of(self, gap: float) -> float:
        """x of ``gap`` seconds relative to the axis's left end (clipped to the axis)."""
        return min(max(gap / self.x_max, 0.0), 1.0) * self.plot_w

    def set_data(self, gaps: Sequence[float], *, mean: float, std: float, threshold: float, marker: str = "",
                 rescale: bool = False) -> GapHistogram:
        """Show ``gaps`` (as a density), the normal curve N(mean, std) and a dashed line at ``threshold``
        labelled ``marker``; with ``rescale`` the plot's top becomes the tallest bar or curve peak, plus headroom."""
        if std <= 0:
            raise ValueError(f"std must be positive, got {std}")
        width_s = self.x_max / self.bins
        counts = [0] * self.bins
        for g in gaps:
            counts[min(int(max(g, 0.0) / width_s), self.bins - 1)] += 1
        if rescale:
            self.y_max = 1.15 * max(max(counts) / (len(gaps) * width_s) if gaps else 0.0,
                                    1 / (std * math.sqrt(2 * math.pi)))
        origin = self.axis.get_start()
        scale_x, scale_y = self.plot_w / self.x_max, self.plot_h / self.y_max
        self.count = len(gaps)
        rects = [(origin[0] + i * width_s * scale_x, origin[1],
                  origin[0] + (i + 1) * width_s * scale_x - 0.02,
                  origin[1] + min(c / (len(gaps) * width_s), self.y_max) * scale_y)
                 for i, c in enumerate(counts) if c]
        self.bars.set_points(_rects(rects))
        xs = np.linspace(0.0, self.x_max, 121)
        ys = np.exp(-0.5 * ((xs - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))
        self.curve.set_points_as_corners([origin + [x * scale_x, min(y, self.y_max) * scale_y, 0]
                                          for x, y in zip(xs, ys)])
        x = origin[0] + self.x_of(threshold)
        self.marker.move_to([x, origin[1] + self.plot_h / 2, 0])
        self.marker_text.set_text(marker or " ")
        self.marker_text.set_opacity(1.0 if marker else 0.0)
        self.marker_text.move_to([x, origin[1] + self.plot_h + 0.25, 0])
        if self.marker_text.current.get_right()[0] > origin[0] + self.plot_w + 0.3:
            self.marker_text.shift(LEFT * (self.marker_text.current.get_right()[0] - origin[0] - self.plot_w - 0.3))
        return self
