"""ClockBadge: a per-node clock readout, one integer or a vector of them, changed in place.

The scalar variant shows one counter (``7``); the vector variant shows one
cell per slot (``[2,3,0]``), each its own :class:`~scenes.kit.text.SwapText`,
so single slots can be coloured (the slot that just grew, the slots where one
vector exceeds another). The badge is a rounded frame with a small title above
the number; nothing is created or removed after construction.

Example::

    badge = ClockBadge("P1")                       # scalar, starts at 0
    badge.add_updater(lambda b: b.set_value(counter_at(clock.get_value())))
    vec = ClockBadge("P1", slots=3)                # vector, starts at [0,0,0]
    vec.set_value([2, 3, 0], colors={1: theme.HIGHLIGHT})
"""

from __future__ import annotations

from typing import Mapping, Sequence

from manim import UP, RoundedRectangle, VGroup

from scenes.kit import theme
from scenes.kit.text import SwapText, label

__all__ = ["ClockBadge"]


class ClockBadge(VGroup):
    """A titled frame holding one counter (``slots=0``) or a vector of ``slots`` counters.

    Parameters
    ----------
    title
        Small muted text above the number (e.g. the node's name); empty for none.
    slots
        0 for a single integer, else the vector's length.
    digits
        Widest number a cell must hold, in characters (sets the frame width, so it never resizes).
    color
        Frame and number colour.
    font_size
        Size of the number(s).
    """

    def __init__(self, title: str = "", *, slots: int = 0, digits: int = 2, color: str = theme.TEXT,
                 font_size: float = theme.BODY_SIZE) -> None:
        if slots < 0:
            raise ValueError(f"slots must be >= 0, got {slots}")
        if digits < 1:
            raise ValueError(f"digits must be >= 1, got {digits}")
        super().__init__()
        self.slots, self.color_ = slots, color
        self.cells = VGroup(*[SwapText("0", font_size=font_size, color=color, weight="BOLD")
                              for _ in range(max(slots, 1))])
        sample = SwapText("8" * digits, font_size=font_size, weight="BOLD")
        widest, widest_height = sample.width, sample.height
        if slots:
            parts = [SwapText("[", font_size=font_size, color=theme.MUTED)]
            for k in range(slots):
                if k:
                    parts.append(SwapText(",", font_size=font_size, color=theme.MUTED))
                parts.append(self.cells[k])
            parts.append(SwapText("]", font_size=font_size, color=theme.MUTED))
            self.punctuation = VGroup(*[p for p in parts if p not in self.cells])
            spacing = widest + 0.06
            x = 0.0
            digit_bottom = -widest_height / 2
            for p in parts:  # fixed slots: each cell is as wide as the widest number, so nothing shifts
                w = spacing if p in self.cells else p.width + 0.04
                p.move_to([x + w / 2, 0, 0])
                if p.text == ",":  # a comma hangs from the baseline, it is not centred like a digit
                    p.shift([0, digit_bottom - p.height * 0.35 - p.get_bottom()[1], 0])
                x += w
            self.number = VGroup(*parts)
        else:
            self.punctuation = VGroup()
            self.number = VGroup(self.cells[0])
        width = max(self.number.width if slots else widest, 0.3) + 0.4
        self.frame = RoundedRectangle(corner_radius=0.12, width=width, height=self.number.height + 0.3,
                                      fill_color=theme.PANEL, fill_opacity=1.0, stroke_color=color,
                                      stroke_width=theme.THIN_STROKE)
        self.number.move_to(self.frame)
        self.title = label(title, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED) if title else VGroup()
        if title:
            self.title.next_to(self.frame, UP, buff=0.08)
        self.add(self.frame, self.number, self.title)
        self.value: int | list[int] = [0] * slots if slots else 0
        self._shown: tuple | None = None
        self.set_value(self.value)

    def set_value(self, value: int | Sequence[int], *, colors: Mapping[int, str] | None = None,
                  color: str | None = None) -> ClockBadge:
        """Show ``value`` (an int, or one int per slot); ``colors`` recolours single slots, ``color`` them all."""
        if self.slots:
            if isinstance(value, int) or len(value) != self.slots:
                raise ValueError(f"this ClockBadge shows {self.slots} slots, got {value!r}")
            values = [int(v) for v in value]
        else:
            if not isinstance(value, int):
                raise ValueError(f"this ClockBadge shows one integer, got {value!r}")
            values = [value]
        colors = dict(colors or {})
        if any(not 0 <= k < len(values) for k in colors):
            raise ValueError(f"slot colours {sorted(colors)} name a slot the badge does not have")
        base = color or self.color_
        key = (tuple(values), tuple(sorted(colors.items())), base)
        if key == self._shown:
            return self
        self._shown = key
        for k, (cell, v) in enumerate(zip(self.cells, values)):
            cell.set_text(str(v), colors.get(k, base))  # re-centred on its fixed anchor
        self.value = list(values) if self.slots else values[0]
        return self

    def set_badge_opacity(self, opacity: float) -> ClockBadge:
        """Fade the whole badge (0: hidden), e.g. to cross-fade a scalar badge into a vector one."""
        if not 0.0 <= opacity <= 1.0:
            raise ValueError(f"opacity must be in [0, 1], got {opacity}")
        self.frame.set_stroke(opacity=opacity).set_fill(opacity=opacity)
        self.number.set_opacity(opacity)
        if self.title:
            self.title.set_opacity(opacity)
        return self
