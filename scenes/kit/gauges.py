"""Number components: Counter, a TokenBucket gauge, and a Meter against a limit line."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, DashedLine, Rectangle, VGroup

from scenes.kit import theme
from scenes.kit.text import SwapText, label, mono

__all__ = ["Counter", "LevelGauge", "Meter"]


def _format(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


class Counter(VGroup):
    """A caption over a number that can be set, in the monospace font (rebuilt only when its text changes).

    Example::

        votes = Counter("votes for S3", 0, suffix=" of 5")
        votes.add_updater(lambda c: c.set_value(votes_at(clock.get_value())))
    """

    def __init__(self, caption: str, value: float = 0, *, decimals: int = 0, suffix: str = "",
                 font_size: float = theme.BODY_SIZE, color: str = theme.TEXT) -> None:
        super().__init__()
        self.decimals, self.suffix, self.font_size, self.color_ = decimals, suffix, font_size, color
        self.caption = label(caption, font_size=theme.LABEL_SIZE, color=theme.MUTED)
        self.number = SwapText(_format(value, decimals) + suffix, font_size=font_size, color=color, weight="BOLD")
        self.add(self.caption, self.number)
        self.number.next_to(self.caption, DOWN, buff=0.12)
        self.value = value

    def set_value(self, value: float, color: str | None = None) -> "Counter":
        self.value = value
        self.number.set_text(_format(value, self.decimals) + self.suffix, color)
        return self


class LevelGauge(VGroup):
    """A vertical container filled to ``level / capacity`` (a token bucket, a queue).

    Shows its title above, the level as a number under it and one tick per unit
    of capacity. Place it by its container with :meth:`place` (``move_to``
    centres the whole group, title and readout included).

    Example::

        gauge = LevelGauge("tokens", 8).place(layout.SIDE_PANEL.center)
        gauge.add_updater(lambda g: g.set_level(tokens_at(clock.get_value())))
    """

    def __init__(self, caption: str, capacity: float, *, level: float | None = None, height: float = 2.4,
                 width: float = 1.1, color: str = theme.NODE, decimals: int = 1) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        super().__init__()
        self.capacity, self.full_height, self.decimals = float(capacity), height, decimals
        self.outline = Rectangle(width=width, height=height, stroke_color=theme.TEXT, stroke_width=theme.STROKE)
        self.fill = Rectangle(width=width - 0.08, height=height, fill_color=color, fill_opacity=0.85, stroke_width=0)
        self.ticks = VGroup(*[
            DashedLine([-width / 2, -height / 2 + height * k / capacity, 0], [width / 2, -height / 2 + height * k / capacity, 0],
                       stroke_color=theme.GRID, stroke_width=1.5, dash_length=0.05)
            for k in range(1, int(capacity))
        ]) if capacity <= 32 else VGroup()
        self.title = label(caption, font_size=theme.LABEL_SIZE, color=theme.MUTED).next_to(self.outline, UP, buff=0.15)
        self.readout = Counter("", level if level is not None else capacity, decimals=decimals,
                               suffix=f" / {capacity:g}", font_size=theme.LABEL_SIZE + 2)
        self.readout.remove(self.readout.caption)
        self.readout.next_to(self.outline, DOWN, buff=0.15)
        self.add(self.fill, self.ticks, self.outline, self.title, self.readout)
        self.set_level(capacity if level is None else level)

    def place(self, point) -> "LevelGauge":
        """Move the gauge so that its container (not its title or readout) is centred on ``point``."""
        return self.shift(np.asarray(point, dtype=float) - self.outline.get_center())

    def set_level(self, level: float) -> "LevelGauge":
        frac = max(0.0, min(1.0, level / self.capacity))
        bottom = self.outline.get_bottom()
        h = max(frac * self.full_height, 1e-3)
        # rebuilt from the outline each time (not stretched from the last level): the same level always
        # gives the same points, whatever levels came before
        left, right = self.outline.get_left()[0] + 0.04, self.outline.get_right()[0] - 0.04
        self.fill.set_points_as_corners([[left, bottom[1] + h, 0], [right, bottom[1] + h, 0],
                                         [right, bottom[1], 0], [left, bottom[1], 0], [left, bottom[1] + h, 0]])
        self.fill.set_fill(opacity=0.85 if frac > 0 else 0.0)
        self.readout.set_value(level)
        return self


class Meter(VGroup):
    """A horizontal bar for a value against a dashed limit line, with the value printed under it.

    Parameters
    ----------
    caption
        The title above the bar.
    limit
        Where the dashed line sits (labelled ``limit_label``, default "limit <limit>").
    maximum
        The value that fills the bar (default 1.25 x limit).
    decimals
        Digits after the point in the readout (0 for counts, 2 for an estimate).

    Example::

        meter = Meter("estimate", 8, maximum=12, decimals=2)
        meter.add_updater(lambda m: m.set_value(estimate_at(clock.get_value())))
    """

    def __init__(self, caption: str, limit: float, *, maximum: float | None = None, width: float = 3.2,
                 color: str = theme.ACCENT, decimals: int = 0, limit_label: str | None = None) -> None:
        if limit <= 0:
            raise ValueError("limit must be positive")
        if decimals < 0:
            raise ValueError(f"decimals must be >= 0, got {decimals}")
        super().__init__()
        self.decimals = decimals
        self.maximum = float(maximum or limit * 1.25)
        self.bar_width = width
        self.frame = Rectangle(width=width, height=0.4, stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE)
        self.bar = Rectangle(width=width, height=0.36, fill_color=color, fill_opacity=0.9, stroke_width=0)
        x_limit = -width / 2 + width * limit / self.maximum
        self.limit_line = DashedLine([x_limit, -0.35, 0], [x_limit, 0.35, 0], stroke_color=theme.HIGHLIGHT, stroke_width=3)
        self.limit_label = mono(limit_label if limit_label is not None else f"limit {limit:g}", font_size=theme.MIN_FONT_SIZE, color=theme.HIGHLIGHT).next_to(self.limit_line, UP, buff=0.05)
        self.title = label(caption, font_size=theme.LABEL_SIZE, color=theme.MUTED).next_to(self.frame, UP, buff=0.45).align_to(self.frame, LEFT)
        self.readout = SwapText(_format(0, decimals), font_size=theme.LABEL_SIZE + 2, weight="BOLD")
        self.readout.next_to(self.frame, DOWN, buff=0.3)
        self.add(self.frame, self.bar, self.limit_line, self.limit_label, self.title, self.readout)
        self.set_value(0.0)

    def set_value(self, value: float) -> "Meter":
        frac = max(0.0, min(1.0, value / self.maximum))
        w = max(frac * self.bar_width, 1e-3)
        left = self.frame.get_left()
        self.bar.stretch_to_fit_width(w)
        self.bar.move_to(left + RIGHT * w / 2)
        self.bar.set_fill(opacity=0.9 if frac > 0 else 0.0)
        self.readout.set_text(_format(value, self.decimals))
        return self
