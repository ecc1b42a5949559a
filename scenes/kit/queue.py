"""QueueWidget: a row of slots that fill up: a queue, a worker pool, a buffer."""

from __future__ import annotations

from typing import Sequence

from manim import DOWN, RIGHT, UP, Rectangle, VGroup

from scenes.kit import theme
from scenes.kit.text import SwapText, label

__all__ = ["QueueWidget"]


class QueueWidget(VGroup):
    """``capacity`` slots in a row under a title, with a "used / capacity" readout.

    :meth:`set_items` fills the first slots with ``(text, color)`` items, in
    place: a full slot is a solid cell with its text, an empty one a faint
    outline, so "full" is told by shape as well as colour. Pure: the same items
    always give the same picture, whatever was shown before.

    Parameters
    ----------
    title
        Shown above the slots ("worker pool", "queue").
    capacity
        Number of slots (1-40).
    slot_width, slot_height
        Size of one slot.

    Example::

        pool = QueueWidget("worker pool", 10)
        pool.add_updater(lambda q: q.set_items([("B", theme.FAILURE)] * busy_at(clock.get_value())))
    """

    def __init__(self, title: str, capacity: int, *, slot_width: float = 0.42, slot_height: float = 0.42,
                 color: str = theme.NODE, show_count: bool = True) -> None:
        if not 1 <= capacity <= 40:
            raise ValueError(f"QueueWidget capacity must be 1-40, got {capacity}")
        super().__init__()
        self.capacity, self.color_ = capacity, color
        self.slots = VGroup(*[Rectangle(width=slot_width, height=slot_height, stroke_color=theme.GRID,
                                        stroke_width=theme.THIN_STROKE, fill_color=color, fill_opacity=0.0)
                              for _ in range(capacity)]).arrange(RIGHT, buff=0.06)
        self.texts = VGroup(*[SwapText("·", font_size=theme.MIN_FONT_SIZE, weight="BOLD", color=theme.BACKGROUND)
                              for _ in range(capacity)])
        for text, slot in zip(self.texts, self.slots):
            text.move_to(slot)
        self.title = label(title, font_size=theme.LABEL_SIZE, color=theme.MUTED).next_to(self.slots, UP, buff=0.15)
        self.title.align_to(self.slots, [-1, 0, 0])
        self.count = SwapText(f"0 / {capacity}", font_size=theme.LABEL_SIZE, weight="BOLD")
        self.count.next_to(self.slots, DOWN, buff=0.15).align_to(self.slots, [-1, 0, 0])
        self.add(self.slots, self.texts, self.title)
        if show_count:
            self.add(self.count)
        self.items: tuple[tuple[str, str], ...] | None = None
        self.set_items([])

    def set_items(self, items: Sequence[tuple[str, str]]) -> QueueWidget:
        """Fill the first ``len(items)`` slots with ``(text, color)``; the rest are empty."""
        if len(items) > self.capacity:
            raise ValueError(f"{len(items)} items do not fit in {self.capacity} slots")
        items = tuple((str(t), c) for t, c in items)
        if items == self.items:
            return self
        self.items = items
        for i, (slot, text) in enumerate(zip(self.slots, self.texts)):
            if i < len(items):
                name, color = items[i]
                slot.set_fill(color=color, opacity=0.9).set_stroke(color=color)
                text.set_text(name or "·").move_to(slot)
                text.set_opacity(1.0 if name else 0.0)
            else:
                slot.set_fill(color=self.color_, opacity=0.0).set_stroke(color=theme.GRID)  # as built: no trace of before
                text.set_text("·").move_to(slot)
                text.set_opacity(0.0)
        left = self.count.get_left()
        self.count.set_text(f"{len(items)} / {self.capacity}")
        self.count.shift(left - self.count.get_left())
        return self
