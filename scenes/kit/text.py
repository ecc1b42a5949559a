"""Text helpers: every string on screen goes through these, in the theme's fonts."""

from __future__ import annotations

from functools import lru_cache

from manim import Text, VGroup

from scenes.kit import theme

__all__ = ["label", "mono", "heading", "SwapText"]


def _check_size(font_size: float) -> None:
    if font_size < theme.MIN_FONT_SIZE:
        raise ValueError(f"font_size {font_size} is below the 480p-readable minimum {theme.MIN_FONT_SIZE}")


@lru_cache(maxsize=4096)
def _text(text: str, font: str, font_size: float, color: str, weight: str) -> Text:
    return Text(text, font=font, font_size=font_size, color=color, weight=weight)


def label(text: str, *, font_size: float = theme.LABEL_SIZE, color: str = theme.TEXT, weight: str = "NORMAL") -> Text:
    """Body or label text in the theme font (built once per distinct string, then copied)."""
    _check_size(font_size)
    return _text(text, theme.FONT, font_size, color, weight).copy()


def mono(text: str, *, font_size: float = theme.LABEL_SIZE, color: str = theme.TEXT, weight: str = "NORMAL") -> Text:
    """Numbers and code in the monospace font (digits keep their width as they change)."""
    _check_size(font_size)
    return _text(text, theme.MONO, font_size, color, weight).copy()


def heading(text: str, *, color: str = theme.TEXT) -> Text:
    """A beat heading at the top of the safe area."""
    return label(text, font_size=theme.HEADING_SIZE, color=color, weight="BOLD")


class SwapText(VGroup):
    """Text that changes often (a counter's number): each distinct string is parsed once.

    The displayed Text stays the same mobject (Manim's renderer keeps the list of
    moving mobjects fixed for the length of an animation, so swapping children
    would leave stale glyphs on screen); it ``become``s a cached Text, which only
    copies points instead of re-parsing or deep-copying.
    """

    def __init__(self, text: str, *, font_size: float = theme.LABEL_SIZE, color: str = theme.TEXT,
                 weight: str = "NORMAL", monospace: bool = True) -> None:
        _check_size(font_size)
        self._style = (theme.MONO if monospace else theme.FONT, font_size, weight)
        self._color = color
        self._cache: dict[tuple[str, str], Text] = {}
        self.text, self.shown_color = text, color
        self.current = self._cached(text, color).copy()
        super().__init__(self.current)

    def _cached(self, text: str, color: str) -> Text:
        key = (text, color)
        if key not in self._cache:
            font, size, weight = self._style
            self._cache[key] = _text(text, font, size, color, weight).copy()
        return self._cache[key]

    def set_text(self, text: str, color: str | None = None) -> "SwapText":
        color = color or self._color
        if (text, color) == (self.text, self.shown_color):
            return self
        target = self._cached(text, color)
        center = self.current.get_center()
        target.move_to(center)
        self.current.become(target)
        self.text, self.shown_color = text, color
        return self
