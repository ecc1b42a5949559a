"""Text helpers: every string on screen goes through these, in the theme's fonts."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np
from manim import DOWN, ORIGIN, UP, Text, VectorizedPoint, VGroup, VMobject

from scenes.kit import theme

__all__ = ["SwapText", "build_text", "descent", "heading", "label", "mono", "set_text_source", "stack",
           "text_source"]


def _check_size(font_size: float) -> None:
    if font_size < theme.MIN_FONT_SIZE:
        raise ValueError(f"font_size {font_size} is below the 480p-readable minimum {theme.MIN_FONT_SIZE}")


def build_text(text: str, font: str, font_size: float, color: str, weight: str) -> Text:
    """Build one Text with Pango (about 20 ms): what every label, number and heading of the kit starts from."""
    return Text(text, font=font, font_size=font_size, color=color, weight=weight)


_text = lru_cache(maxsize=4096)(build_text)


def set_text_source(source: Callable[[str, str, float, str, str], Text] | None) -> None:
    """Build the kit's Texts with ``source`` (same arguments as :func:`build_text`; None: build_text).

    The render engine passes a disk cache here; each distinct Text is still built
    once per process and then copied.
    """
    global _text
    _text = lru_cache(maxsize=4096)(source or build_text)


def text_source() -> Callable[[str, str, float, str, str], Text]:
    """What the kit builds its Texts with (see :func:`set_text_source`)."""
    return _text.__wrapped__


def label(text: str, *, font_size: float = theme.LABEL_SIZE, color: str = theme.TEXT, weight: str = "NORMAL") -> Text:
    """Body or label text in the theme font (built once per distinct string, then copied)."""
    _check_size(font_size)
    return _text(text, theme.FONT, font_size, color, weight).copy()


def mono(text: str, *, font_size: float = theme.LABEL_SIZE, color: str = theme.TEXT, weight: str = "NORMAL") -> Text:
    """Numbers and code in the monospace font (digits keep their width as they change)."""
    _check_size(font_size)
    return _text(text, theme.MONO, font_size, color, weight).copy()


def descent(text: str, *, font_size: float = theme.LABEL_SIZE, weight: str = "NORMAL", monospace: bool = False) -> float:
    """How far ``text``'s lowest ink hangs below its baseline (0 for "ace", more for "gap" or "φ").

    Measured, not guessed from a list of letters: the text is built after an "H", whose foot is the baseline.
    Place text by its baseline with ``text.get_bottom() + descent(...)`` so that a row of labels reads level.
    """
    built = _text("H" + text, theme.MONO if monospace else theme.FONT, font_size, theme.TEXT, weight)
    ink = built.submobjects[1:]
    if not ink:
        return 0.0
    return max(0.0, float(built.submobjects[0].get_bottom()[1] - VGroup(*ink).get_bottom()[1]))


def heading(text: str, *, color: str = theme.TEXT) -> Text:
    """A beat heading at the top of the safe area."""
    return label(text, font_size=theme.HEADING_SIZE, color=color, weight="BOLD")


class SwapText(VGroup):
    """Text that changes often (a counter's number): each distinct string is parsed once.

    The displayed text is one VMobject (``current``) whose points are replaced
    by the glyph outlines of the new string, centred on a fixed anchor (an
    invisible point that moves with the group). It stays the same mobject with
    the same (no) submobjects: Manim's renderer keeps the list of moving
    mobjects fixed for the length of an animation, so swapping children would
    leave stale glyphs on screen.

    Replacing the points outright keeps a frame a function of its moment only.
    (``become`` pads the shorter of two outlines with extra points, so the
    outline of "9" depended on which digits had been shown before it, and the
    anti-aliased pixels with it; centring on the old text's box made the
    position drift the same way.) Callers that place the text themselves after
    ``set_text`` (log cells, badges) move the whole SwapText.
    """

    def __init__(self, text: str, *, font_size: float = theme.LABEL_SIZE, color: str = theme.TEXT,
                 weight: str = "NORMAL", monospace: bool = True, baseline: bool = False) -> None:
        _check_size(font_size)
        self._style = (theme.MONO if monospace else theme.FONT, font_size, weight)
        self._baseline = baseline
        self._color = color
        self._outlines: dict[str, np.ndarray] = {}
        self.text, self.shown_color = text, color
        self.current = VMobject(fill_color=color, fill_opacity=1.0, stroke_width=0)
        self.anchor = VectorizedPoint(ORIGIN)
        super().__init__(self.current, self.anchor)
        self.current.points = self._outline(text).copy()

    def _outline(self, text: str) -> np.ndarray:
        """The glyph outlines of ``text`` (all glyphs as subpaths of one path), centred on the origin.

        With ``baseline``, the height is centred as a digit's is instead of on the text's own box, so that
        every string sits on one baseline: a lone "." or "," stays down where it belongs, "φ" hangs.
        """
        if text not in self._outlines:
            font, size, weight = self._style
            built = _text(("0" if self._baseline else "") + text, font, size, self._color, weight)
            glyphs = built.submobjects[1:] if self._baseline else [built]
            points = [m.points for g in glyphs for m in g.family_members_with_points()]
            points = np.concatenate(points) if points else np.zeros((0, 3))
            center = VGroup(*glyphs).get_center() if glyphs else built.get_center()
            if self._baseline:
                center[1] = built.submobjects[0].get_center()[1]
            self._outlines[text] = points - center
        return self._outlines[text]

    def set_text(self, text: str, color: str | None = None) -> "SwapText":
        color = color or self._color
        if text != self.text:
            self.current.points = self._outline(text) + self.anchor.get_center()
        if color != self.shown_color:
            self.current.set_fill(color)  # keeps the opacity the caller set
        self.text, self.shown_color = text, color
        return self


def stack(top: SwapText, bottom: SwapText, center: np.ndarray, gap: float) -> None:
    """Put ``top`` above ``bottom``, ``gap`` apart, the pair centred on ``center`` (two lines in a cell).

    >>> key, value = SwapText("k"), SwapText("v1")
    >>> stack(key, value, np.array([1.0, 0.0, 0.0]), gap=0.05)  # key over value, both on x = 1
    """
    total = top.current.height + gap + bottom.current.height
    top.move_to(center + UP * (total / 2 - top.current.height / 2))
    bottom.move_to(center + DOWN * (total / 2 - bottom.current.height / 2))
