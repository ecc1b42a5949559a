"""Legend: a key of shapes and what they mean, built from the same marks a scene draws."""

from __future__ import annotations

from typing import Sequence

from manim import DOWN, LEFT, RIGHT, Mobject, VGroup

from scenes.kit import theme
from scenes.kit.text import label

__all__ = ["Legend"]


class Legend(VGroup):
    """A titled column (or row) of ``(mark, text)`` items.

    Each mark is any mobject (a dot, a cell, a cross) drawn at the size the
    scene uses, so the key looks exactly like what it explains; meanings carried
    by shape as well as colour stay readable for colour-blind viewers.

    Parameters
    ----------
    items
        ``(mark, text)`` pairs, in reading order.
    title
        A small muted title above the items (empty for none).
    direction
        ``DOWN`` for a column, ``RIGHT`` for a row.

    Example::

        legend = Legend([(mark("admitted"), "admitted"), (mark("rejected"), "rejected")], title="requests")
        layout.SIDE_PANEL.place(legend, align=UP)
    """

    def __init__(self, items: Sequence[tuple[Mobject, str]], *, title: str = "", direction=DOWN,
                 font_size: float = theme.MIN_FONT_SIZE, buff: float = 0.16) -> None:
        if not items:
            raise ValueError("a Legend needs at least one item")
        super().__init__()
        self.items = VGroup(*[VGroup(m, label(text, font_size=font_size)).arrange(RIGHT, buff=0.12)
                              for m, text in items])
        if direction is DOWN:
            self.items.arrange(DOWN, aligned_edge=LEFT, buff=buff)
        else:
            self.items.arrange(RIGHT, buff=buff * 3)
        self.title = label(title, font_size=font_size, color=theme.MUTED) if title else None
        if self.title is not None:
            self.add(self.title)
            self.items.next_to(self.title, DOWN, buff=buff, aligned_edge=LEFT)
        self.add(self.items)
