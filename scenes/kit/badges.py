"""Small marks that sit on or beside a node: StaleBadge, VersionTag and LockIcon.

All three change in place (their setters move points, swap text outlines and set
opacities; nothing is added or removed), so an updater that is a pure function of
a clock may drive them. Each carries its meaning by shape and words as well as by
colour: a warning triangle on a stale value, a strike-through on a discarded one,
a padlock whose shackle is shut or lifted.

Example::

    tag = VersionTag("Ana", "[0, 0]").next_to(node, DOWN)
    badge = StaleBadge("stale").next_to(tag, RIGHT, buff=0.1)
    lock = LockIcon().next_to(node, RIGHT, buff=0.1)
    tag.add_updater(lambda m: m.set_version(*version_at(clock.get_value())))
    badge.add_updater(lambda m: m.set_shown(is_stale(clock.get_value())))
    lock.add_updater(lambda m: m.set_locked(holds_locks(clock.get_value())))
"""

from __future__ import annotations

import numpy as np
from manim import LEFT, RIGHT, UP, Arc, Line, Polygon, RoundedRectangle, VGroup

from scenes.kit import theme
from scenes.kit.text import SwapText, label

__all__ = ["LockIcon", "StaleBadge", "VersionTag"]


class StaleBadge(VGroup):
    """A small tag with a warning triangle and a word ("stale", "lost"), shown or hidden in place.

    Parameters
    ----------
    text
        The word on the tag.
    color
        Outline, triangle and text colour.
    font_size
        Size of the word (at least the readable minimum).

    ``set_shown(True/False)`` or ``set_shown(0.4)`` (an opacity) shows it; ``set_text`` changes the word.
    """

    def __init__(self, text: str = "stale", *, color: str = theme.FAILURE, font_size: float = theme.MIN_FONT_SIZE) -> None:
        if not text.strip():
            raise ValueError("a StaleBadge needs a word")
        super().__init__()
        self.color_ = color
        self.word = SwapText(text, font_size=font_size, color=color, weight="BOLD", monospace=False)
        h = self.word.current.height
        side = max(h * 1.25, 0.2)
        self.icon = Polygon([0, side * 0.9, 0], [-side / 2, 0, 0], [side / 2, 0, 0], fill_color=color, fill_opacity=1.0,
                            stroke_width=0)
        self.bang = label("!", font_size=theme.MIN_FONT_SIZE, color=theme.BACKGROUND, weight="BOLD")
        self.bang.scale_to_fit_height(side * 0.5).move_to(self.icon.get_center() + UP * (-side * 0.08))
        self.word.next_to(self.icon, RIGHT, buff=0.08)
        content = VGroup(self.icon, self.bang, self.word)
        self.frame = RoundedRectangle(corner_radius=0.08, width=content.width + 0.22, height=max(content.height, side) + 0.16,
                                      fill_color=theme.BACKGROUND, fill_opacity=1.0, stroke_color=color,
                                      stroke_width=theme.THIN_STROKE)
        self.frame.move_to(content)
        self.add(self.frame, content)
        self.text = text
        self.shown = 1.0
        self.set_shown(True)

    def set_shown(self, shown: bool | float) -> StaleBadge:
        """Show (True or an opacity in (0, 1]) or hide (False or 0) the whole badge."""
        alpha = float(shown)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"StaleBadge opacity must be in [0, 1], got {shown}")
        if alpha != self.shown:
            self.shown = alpha
            self.frame.set_fill(opacity=alpha).set_stroke(opacity=alpha)
            self.icon.set_fill(opacity=alpha)
            self.bang.set_opacity(alpha)
            self.word.set_opacity(alpha)
        return self

    def set_text(self, text: str) -> StaleBadge:
        """Change the word; the tag keeps its place and stretches to fit, growing to the right."""
        if not text.strip():
            raise ValueError("a StaleBadge needs a word")
        if text != self.text:
            left = self.frame.get_left()
            self.word.set_text(text)
            self.word.next_to(self.icon, RIGHT, buff=0.08)
            self.frame.stretch_to_fit_width(self.word.current.get_right()[0] - self.icon.get_left()[0] + 0.22)
            self.frame.move_to(left, aligned_edge=LEFT)
            self.text = text
        return self


class VersionTag(VGroup):
    """A value and its version (stamp) on a small card, e.g. ``Anna  [100, 0]``, changed in place.

    Parameters
    ----------
    value, version
        The two texts; the version is drawn smaller and muted, right of the value.
    width
        Fixed card width (so the card does not jump as values change); values that do not fit raise.
    color
        Outline colour (``set_version(..., color=...)`` recolours it, e.g. to flag the newest).

    ``set_version(value, version, struck=True)`` draws the value struck through (a version that was
    discarded); ``set_dimmed`` fades the card.
    """

    def __init__(self, value: str, version: str = "", *, width: float = 2.8, color: str = theme.GRID,
                 font_size: float = theme.LABEL_SIZE) -> None:
        if not value.strip():
            raise ValueError("a VersionTag needs a value")
        if width <= 0:
            raise ValueError(f"VersionTag width must be positive, got {width}")
        super().__init__()
        self.card_width, self.color_ = float(width), color
        self.value_text = SwapText(value, font_size=font_size, weight="BOLD", monospace=False)
        self.version_text = SwapText(version or "·", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
        height = max(self.value_text.current.height, 0.2) + 0.26
        self.card = RoundedRectangle(corner_radius=0.1, width=width, height=height, fill_color=theme.PANEL,
                                     fill_opacity=1.0, stroke_color=color, stroke_width=theme.THIN_STROKE)
        self.strike = Line(LEFT, RIGHT, stroke_color=theme.FAILURE, stroke_width=4.0)
        self.add(self.card, self.value_text, self.version_text, self.strike)
        self.value, self.version, self.struck, self.dimmed = "", "", False, False
        self.set_version(value, version)

    def set_version(self, value: str, version: str = "", *, struck: bool = False, color: str | None = None) -> VersionTag:
        """Show ``value`` and ``version`` (empty: none), struck through or not, with an optional new outline colour."""
        if not value.strip():
            raise ValueError("a VersionTag needs a value")
        color = color or self.color_
        if (value, version, struck, color) == (self.value, self.version, self.struck, self.color_):
            return self
        self.value, self.version, self.struck, self.color_ = value, version, struck, color
        self.value_text.set_text(value)
        self.version_text.set_text(version or "·")
        inner = self.value_text.current.width + (0.15 + self.version_text.current.width if version else 0.0)
        if inner > self.card_width - 0.2:
            raise ValueError(f"{value!r} {version!r} does not fit a VersionTag {self.card_width} wide")
        left = self.card.get_left()[0] + (self.card_width - inner) / 2
        y = self.card.get_center()[1]
        self.value_text.move_to([left + self.value_text.current.width / 2, y, 0])
        self.version_text.move_to([left + inner - self.version_text.current.width / 2, y, 0])
        v = self.value_text.current
        self.strike.put_start_and_end_on(v.get_left() + LEFT * 0.05, v.get_right() + RIGHT * 0.05)
        self.card.set_stroke(color=color)
        self._paint()
        return self

    def set_dimmed(self, dimmed: bool) -> VersionTag:
        """Fade the card (a replica that is out of the picture) or restore it."""
        if dimmed != self.dimmed:
            self.dimmed = dimmed
            self._paint()
        return self

    def _paint(self) -> None:
        k = theme.DIM_OPACITY + 0.15 if self.dimmed else 1.0
        self.card.set_stroke(opacity=k).set_fill(opacity=1.0)
        self.value_text.set_opacity(k)
        self.version_text.set_opacity(k if self.version else 0.0)
        self.strike.set_stroke(opacity=k if self.struck else 0.0)


class LockIcon(VGroup):
    """A padlock: a body and a shackle that is shut (locked) or lifted and turned aside (open).

    Parameters
    ----------
    size
        Height of the closed padlock.
    color
        Colour when locked; an open lock is drawn muted.

    ``set_locked(True)`` shuts it; ``set_locked(False)`` lifts the shackle; ``set_locked(0.3)`` shows a lock
    part-way open (0 = open, 1 = shut); ``set_shown`` hides or shows it.
    """

    def __init__(self, size: float = 0.5, *, color: str = theme.HIGHLIGHT, locked: bool = True) -> None:
        if size <= 0:
            raise ValueError(f"LockIcon size must be positive, got {size}")
        super().__init__()
        self.size, self.color_ = float(size), color
        w, body_h = size * 0.8, size * 0.55
        self.body = RoundedRectangle(corner_radius=size * 0.08, width=w, height=body_h, fill_color=color,
                                     fill_opacity=1.0, stroke_width=0)
        self.body.move_to([0, -size / 2 + body_h / 2, 0])
        self.hole = Line([0, -size / 2 + body_h * 0.3, 0], [0, -size / 2 + body_h * 0.62, 0],
                         stroke_color=theme.BACKGROUND, stroke_width=3.0)
        radius = w * 0.3
        leg = size - body_h - radius + 0.04  # the legs reach just into the body
        self._shackle = Arc(radius=radius, start_angle=0, angle=np.pi, num_components=10, stroke_width=size * 10)
        self._shackle.add_line_to(self._shackle.get_end() + [0, -leg, 0])
        self._shackle.reverse_points()
        self._shackle.add_line_to(self._shackle.get_end() + [0, -leg, 0])
        self._shackle.shift([0, self.body.get_top()[1] - 0.04 - self._shackle.get_start()[1], 0])
        self._hinge = self._shackle.get_start().copy()  # the left foot stays in the body; the right lifts out
        self.shackle = self._shackle.copy().set_stroke(color=color)
        self.add(self.shackle, self.body, self.hole)
        self.closed, self.visible = -1.0, True
        self.set_locked(locked)

    def set_locked(self, locked: bool | float) -> LockIcon:
        """Shut (True / 1), open (False / 0) or part-way (a fraction in between)."""
        closed = float(locked)
        if not 0.0 <= closed <= 1.0:
            raise ValueError(f"LockIcon closed fraction must be in [0, 1], got {locked}")
        if closed == self.closed:
            return self
        self.closed = closed
        lift = (1.0 - closed) * self.size * 0.25
        center = self.body.get_center() - self._body_center0()
        self.shackle.set_points(self._shackle.points.copy())
        self.shackle.shift(center + UP * lift)
        self.shackle.rotate((1.0 - closed) * 0.5, about_point=self._hinge + center + UP * lift)
        color = self.color_ if closed >= 0.5 else theme.MUTED
        self.shackle.set_stroke(color=color)
        self.body.set_fill(color=color)
        self._show()
        return self

    def _body_center0(self) -> np.ndarray:
        return np.array([0.0, -self.size / 2 + self.size * 0.55 / 2, 0.0])

    def set_shown(self, shown: bool) -> LockIcon:
        """Show or hide the padlock without changing its state."""
        if shown != self.visible:
            self.visible = shown
            self._show()
        return self

    def _show(self) -> None:
        alpha = 1.0 if self.visible else 0.0
        self.shackle.set_stroke(opacity=alpha)
        self.body.set_fill(opacity=alpha)
        self.hole.set_stroke(opacity=alpha)
