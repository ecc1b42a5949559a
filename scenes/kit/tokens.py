"""Token chips: a piece of text with its integer id, rows of chips that merge and split, and a shelf of them.

* :class:`TokenChip`: a rounded chip showing a token's text; it can flip to show its id
  instead, carry the id as a small badge underneath, be highlighted or dimmed.
* :class:`TokenRow`: the chips of one string at successive *stages*, each stage a coarser
  (or finer) split of the same text; ``show(progress)`` draws stage ``floor(progress)``
  and, between stages, slides the pieces that are about to join until they touch (or,
  towards a finer stage, pulls the touching pieces apart). An optional badge (a count)
  sits at the left.
* :class:`TokenShelf`: a list of chips with their ids, wrapped into rows, revealed one by
  one (``show_count``), one of them highlighted.

All of them are built once and restyled in place, so an updater that is a pure function of
a clock can drive them. Build them at the size they are shown at and move them, never scale
them: chip widths and texts are computed at the built font size.

Example::

    row = TokenRow([["b", "u", "g", "s"], ["b", "ug", "s"]], ids={"b": 1, "ug": 8, "s": 6}, badge="×5")
    layout.MAIN.place(row)
    row.show(0.5)        # u and g slide together
    row.show(1.0)        # b · ug · s
    row.show_ids(1.0)    # ids under the chips
    shelf = TokenShelf(["[UNK]", "b", "g"], [0, 1, 2], per_row=8).show_count(2.5)
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
from manim import RIGHT, RoundedRectangle, VectorizedPoint, VGroup, VMobject

from scenes.kit import theme
from scenes.kit.text import SwapText, label

__all__ = ["TokenChip", "TokenRow", "TokenShelf"]

_BOX_CACHE: dict[tuple[float, float, float], np.ndarray] = {}


def _box_points(width: float, height: float, radius: float) -> np.ndarray:
    """Points of a rounded rectangle centred on the origin (built once per size)."""
    key = (round(width, 4), round(height, 4), round(radius, 4))
    if key not in _BOX_CACHE:
        _BOX_CACHE[key] = RoundedRectangle(width=key[0], height=key[1], corner_radius=min(key[2], key[1] / 2 - 1e-3,
                                                                                          key[0] / 2 - 1e-3)).points
    return _BOX_CACHE[key]


class TokenChip(VGroup):
    """One token as a rounded chip: its text (or, flipped, its id) and an optional id badge underneath.

    Parameters
    ----------
    text
        The token's text.
    token_id
        Its integer id (None: no id to flip to or show).
    color
        Outline colour.
    font_size
        Size of the text; the id badge uses the readable minimum.
    height, pad, min_width
        Chip height, padding either side of the text, and the narrowest chip.

    Example::

        chip = TokenChip("ug", token_id=8)
        chip.flip(1.0)              # shows 8 inside
        chip.set_look(highlighted=True)
    """

    def __init__(self, text: str, *, token_id: int | None = None, color: str = theme.NODE,
                 font_size: float = theme.LABEL_SIZE + 2, height: float = 0.52, pad: float = 0.14,
                 min_width: float = 0.42) -> None:
        if not text:
            raise ValueError("a TokenChip needs text")
        if height <= 0 or pad < 0 or min_width <= 0:
            raise ValueError("height and min_width must be positive and pad non-negative")
        super().__init__()
        self.chip_height, self.pad, self.min_width = height, pad, min_width
        self.center_point = VectorizedPoint([0, 0, 0])
        self.box = VMobject(stroke_width=theme.THIN_STROKE + 0.5, fill_color=theme.PANEL, fill_opacity=1.0)
        self.face = SwapText(text, font_size=font_size)
        self.id_face = SwapText("0", font_size=font_size, weight="BOLD")
        self.badge = SwapText("0", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
        self.add(self.center_point, self.box, self.face, self.id_face, self.badge)
        self.text, self.token_id, self.color_ = text, token_id, color
        self.highlighted, self.dimmed, self.opacity = False, False, 1.0
        self.flipped, self.badge_opacity = 0.0, 0.0
        self.set_token(text, token_id)

    @property
    def chip_width(self) -> float:
        return max(self.min_width, self.face.current.width + 2 * self.pad)

    def width_for(self, text: str) -> float:
        """The width this chip takes showing ``text`` (without changing it)."""
        current = self.face.text
        self.face.set_text(text)
        width = self.chip_width
        self.face.set_text(current)
        return width

    def set_token(self, text: str, token_id: int | None = None) -> TokenChip:
        """Show another token (the chip resizes around its text)."""
        if not text:
            raise ValueError("a TokenChip needs text")
        self.text, self.token_id = text, token_id
        self.face.set_text(text)
        if token_id is not None:
            self.id_face.set_text(str(token_id))
            self.badge.set_text(str(token_id))
        return self._apply()

    def set_look(self, *, color: str | None = None, highlighted: bool = False, dimmed: bool = False,
                 opacity: float = 1.0) -> TokenChip:
        """Outline colour, a highlight (thick highlight-coloured outline), dimming, and overall opacity."""
        if not 0.0 <= opacity <= 1.0:
            raise ValueError(f"opacity must be in [0, 1], got {opacity}")
        self.color_ = color or self.color_
        self.highlighted, self.dimmed, self.opacity = highlighted, dimmed, float(opacity)
        return self._apply()

    def flip(self, amount: float) -> TokenChip:
        """Turn the chip over: 0 shows the text, 1 the id (the chip narrows to an edge halfway)."""
        if not 0.0 <= amount <= 1.0:
            raise ValueError(f"amount must be in [0, 1], got {amount}")
        if amount > 0 and self.token_id is None:
            raise ValueError("this chip has no id to flip to")
        self.flipped = float(amount)
        return self._apply()

    def show_id(self, opacity: float) -> TokenChip:
        """The id badge under the chip, at ``opacity`` (0 hides it)."""
        if not 0.0 <= opacity <= 1.0:
            raise ValueError(f"opacity must be in [0, 1], got {opacity}")
        if opacity > 0 and self.token_id is None:
            raise ValueError("this chip has no id to show")
        self.badge_opacity = float(opacity)
        return self._apply()

    def place(self, point: Sequence[float]) -> TokenChip:
        """Centre the chip (its box, not its badge) on ``point``."""
        return self.shift(np.asarray(point, dtype=float) - self.center_point.get_center())

    def _apply(self) -> TokenChip:
        center = self.center_point.get_center()
        squash = abs(math.cos(math.pi * self.flipped))
        width = self.chip_width
        if self.flipped >= 0.5:
            width = max(self.min_width, self.id_face.current.width + 2 * self.pad)
        self.box.points = _box_points(width, max(self.chip_height * squash, 0.02), 0.12) + center
        alpha = self.opacity * (theme.DIM_OPACITY if self.dimmed else 1.0)
        self.box.set_stroke(theme.HIGHLIGHT if self.highlighted else self.color_,
                            width=theme.STROKE if self.highlighted else theme.THIN_STROKE + 0.5, opacity=alpha)
        self.box.set_fill(theme.PANEL, opacity=alpha)
        self.face.move_to(center)
        self.id_face.move_to(center)
        self.face.set_opacity(alpha if self.flipped < 0.5 else 0.0)
        self.id_face.set_opacity(alpha if self.flipped >= 0.5 else 0.0)
        self.badge.move_to(center + np.array([0.0, -self.chip_height / 2 - 0.08 - self.badge.current.height / 2, 0]))
        self.badge.set_opacity(alpha * self.badge_opacity if self.token_id is not None else 0.0)
        return self


def _spans(stage: Sequence[str]) -> list[tuple[int, int]]:
    spans, at = [], 0
    for piece in stage:
        spans.append((at, at + len(piece)))
        at += len(piece)
    return spans


def _smooth(a: float) -> float:
    return a * a * (3 - 2 * a)


class TokenRow(VGroup):
    """The chips of one string over successive stages of its split, merging and splitting in place.

    Parameters
    ----------
    stages
        Piece lists, each joining to the same text; every stage's cut points must be cut points of
        the finest stage (the one with the most pieces), which sets how many chips are built.
    ids
        Token → id, for the id badges and flips (tokens not in it show no id).
    badge
        A short text at the left of the row (a count such as ``×10``); empty for none.
    gap
        Space between chips.
    font_size, color, chip_height
        As for :class:`TokenChip` (``chip_height`` is its ``height``).

    Example::

        row = TokenRow([["h", "u", "g"], ["h", "ug"], ["hug"]], badge="×10")
        row.show(clock.get_value())   # 0 .. 2: letters, h·ug, hug
    """

    def __init__(self, stages: Sequence[Sequence[str]], *, ids: Mapping[str, int] | None = None, badge: str = "",
                 gap: float = 0.08, font_size: float = theme.LABEL_SIZE + 2, color: str = theme.NODE,
                 chip_height: float = 0.52) -> None:
        if not stages or any(not s for s in stages):
            raise ValueError("a TokenRow needs at least one non-empty stage")
        text = "".join(stages[0])
        if any("".join(s) != text for s in stages) or any(not p for s in stages for p in s):
            raise ValueError("every stage must split the same text into non-empty pieces")
        finest = max(stages, key=len)
        cuts = {a for a, _ in _spans(finest)}
        if any(a not in cuts for s in stages for a, _ in _spans(s)):
            raise ValueError("every stage's cut points must be cut points of its finest stage")
        super().__init__()
        self.stages = [list(s) for s in stages]
        self.ids = dict(ids or {})
        self.gap = gap
        self.slot_of = {a: k for k, (a, _) in enumerate(_spans(finest))}
        self.anchor = VectorizedPoint([0, 0, 0])
        self.badge = label(badge, font_size=theme.LABEL_SIZE, color=theme.MUTED) if badge else None
        self.chips = [TokenChip(p, token_id=self.ids.get(p), font_size=font_size, color=color, height=chip_height)
                      for p in finest]
        self.add(self.anchor, *self.chips)
        if self.badge is not None:
            self.badge.move_to(self.anchor.get_center() + RIGHT * self.badge.width / 2)
            self.add(self.badge)
        self.start_x = (self.badge.width + 0.2) if self.badge is not None else 0.0
        self.progress, self.ids_opacity, self.flipped, self.opacity = 0.0, 0.0, 0.0, 1.0
        self._width_cache: dict[str, float] = {}
        self.finest_layout = self._layout(finest)
        self.show(0.0)

    def _width(self, piece: str) -> float:
        if piece not in self._width_cache:
            self._width_cache[piece] = self.chips[0].width_for(piece)
        return self._width_cache[piece]

    def _layout(self, stage: Sequence[str]) -> list[tuple[int, int, str, float, float]]:
        """(first character, chip slot, piece, centre x relative to the anchor, width) for each piece."""
        out, x = [], self.start_x
        for (a, _), piece in zip(_spans(stage), stage):
            w = self._width(piece)
            out.append((a, self.slot_of[a], piece, x + w / 2, w))
            x += w + self.gap
        return out

    @property
    def current_stage(self) -> list[str]:
        return self.stages[min(int(math.floor(self.progress)), len(self.stages) - 1)]

    def show(self, progress: float) -> TokenRow:
        """Draw the row at ``progress`` (0 .. stages - 1): between two stages, the pieces that join slide together
        and are highlighted."""
        last = len(self.stages) - 1
        if not 0.0 <= progress <= last:
            raise ValueError(f"progress must be in [0, {last}], got {progress}")
        self.progress = float(progress)
        s = min(int(math.floor(progress)), last)
        a = progress - s
        origin = self.anchor.get_center()
        placed: dict[int, tuple[str, float, bool]] = {}
        if a <= 0.0 or s == last:
            for _, slot, piece, x, _ in self._layout(self.stages[s]):
                placed[slot] = (piece, x, False)
        else:  # a merge (the next stage is coarser) slides pieces together; a split runs a merge backwards
            split = len(self.stages[s + 1]) > len(self.stages[s])
            fine, coarse = (self.stages[s + 1], self.stages[s]) if split else (self.stages[s], self.stages[s + 1])
            before = self._layout(fine)
            t = _smooth(1.0 - a if split else a)
            x = self.start_x  # the target: the coarser stage's order, with the pieces to be joined touching
            for start, end in _spans(coarse):
                members = [m for m in before if start <= m[0] < end]
                joined = len(members) > 1
                for _, slot, piece, x0, w in members:
                    placed[slot] = (piece, x0 + (x + w / 2 - x0) * t, joined)
                    x += w
                x += self.gap
        for k, chip in enumerate(self.chips):
            if k not in placed:  # hidden, at its place in the finest stage: the row stays a function of progress
                _, _, piece, x, _ = self.finest_layout[k]
                chip.set_token(piece, self.ids.get(piece)).place(origin + np.array([x, 0.0, 0.0]))
                chip.set_look(opacity=0.0)
                continue
            piece, x, joined = placed[k]
            chip.set_token(piece, self.ids.get(piece))
            chip.place(origin + np.array([x, 0.0, 0.0]))
            chip.set_look(highlighted=joined, opacity=self.opacity)
            chip.flip(self.flipped if chip.token_id is not None else 0.0)
            chip.show_id(self.ids_opacity if chip.token_id is not None else 0.0)
        return self

    def visible_chips(self) -> list[TokenChip]:
        """The chips of the current stage, left to right."""
        return [self.chips[slot] for _, slot, *_ in self._layout(self.current_stage)]

    def show_ids(self, opacity: float) -> TokenRow:
        """Id badges under every chip with an id, at ``opacity``."""
        self.ids_opacity = float(opacity)
        return self.show(self.progress)

    def flip(self, amount: float) -> TokenRow:
        """Flip every chip with an id to show it (0 text, 1 id)."""
        self.flipped = float(amount)
        return self.show(self.progress)

    def fade(self, opacity: float) -> TokenRow:
        """Draw the whole row at ``opacity`` (0 hides it, 1 is normal)."""
        if not 0.0 <= opacity <= 1.0:
            raise ValueError(f"opacity must be in [0, 1], got {opacity}")
        self.opacity = float(opacity)
        if self.badge is not None:
            self.badge.set_opacity(opacity)
        return self.show(self.progress)


class TokenShelf(VGroup):
    """Chips with their id badges, wrapped ``per_row`` to a row, revealed in order.

    Parameters
    ----------
    tokens, ids
        The chips' texts and ids, in order.
    per_row
        Chips per row before wrapping.
    row_gap, gap
        Vertical pitch between rows and horizontal space between chips.

    Example::

        shelf = TokenShelf(vocab, list(range(len(vocab))), per_row=8)
        shelf.show_count(clock.get_value())   # 8.5: eight chips, the ninth fading in
    """

    def __init__(self, tokens: Sequence[str], ids: Sequence[int], *, per_row: int = 8, row_gap: float = 0.95,
                 gap: float = 0.12, font_size: float = theme.LABEL_SIZE + 2, color: str = theme.NODE) -> None:
        if not tokens or len(tokens) != len(ids):
            raise ValueError("a TokenShelf needs one id per token, and at least one token")
        if per_row < 1:
            raise ValueError(f"per_row must be >= 1, got {per_row}")
        super().__init__()
        self.chips = [TokenChip(t, token_id=i, font_size=font_size, color=color) for t, i in zip(tokens, ids)]
        for r in range(0, len(tokens), per_row):
            x = 0.0
            for chip in self.chips[r:r + per_row]:
                w = chip.chip_width
                chip.place([x + w / 2, -row_gap * (r // per_row), 0])
                x += w + gap
        self.add(*self.chips)
        self.count, self.highlight = float(len(tokens)), None
        self.show_count(len(tokens))

    def show_count(self, count: float, *, highlight: int | None = None) -> TokenShelf:
        """Show the first ``floor(count)`` chips, the next one at the fractional part's opacity;
        highlight chip ``highlight``."""
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        self.count, self.highlight = float(count), highlight
        for k, chip in enumerate(self.chips):
            opacity = 1.0 if k + 1 <= count else max(0.0, count - k) if k < count else 0.0
            chip.set_look(opacity=opacity, highlighted=k == highlight)
            chip.show_id(opacity)
        return self
