"""Storage pieces: memory and disk tiers, page cards with dirty marks, record rows, a crash veil, markers.

Everything is built once and restyled in place (``set_*`` methods change text, points, colours and
opacity), so a scene can drive them from updaters that are pure functions of its clock:

* :class:`StorageTier`: a titled panel with a chip icon (``kind="memory"``) or a cylinder icon
  (``kind="disk"``) in a header column; :meth:`StorageTier.inner` is the region right of the header;
* :class:`PageCard`: one page: its name, its value, a small tag line (e.g. the last change that
  touched it) and a dirty mark (a corner flag and a word: shape as well as colour); a card can be
  empty (the page is not there) or highlighted;
* :class:`RecordRow`: one fixed record of a list (a key such as a sequence number, and its text),
  drawn hollow (``"memory"``: not yet durable), solid (``"disk"``), struck (``"struck"``: lost or
  discarded) or not at all, with a note that can be set to its right;
* :class:`RecordShelves`: fixed records on two shelves of slots, a volatile one (rows drawn hollow)
  and a durable one (solid); a record moves between shelves (swerving past the others), fades in
  when it appears and is struck out as it goes;
* :class:`CrashOverlay`: a veil with a :class:`~scenes.kit.nodes.CrashBolt` and a word, to lay over
  what a crash wipes, faded in by an amount;
* :class:`FlagMarker`: a flag on a pole with a changeable label, to point at a row ("start here");
* :class:`FocusFrame`: an outline drawn around whatever is being looked at now (a scan pointer);
* :class:`KeyValueTable`: a titled two-column table whose values change in place (a store's
  current values, an offset map), with one row that can be highlighted;
* :func:`column_slots`: row centres from a top point down, for lists of rows.

Example::

    memory = StorageTier("memory", kind="memory", width=8.9, height=1.9)
    card = PageCard("A", "100", tag="lsn 0")
    card.set_state(value="61", tag="lsn 2", dirty=True)      # changed in memory, newer than disk
    row = RecordRow("2", "T1 A 100→61", width=3.2)
    row.set_look("memory").place(column_slots(top, 4, 0.34)[0])
    row.set_look("disk", opacity=0.5)                          # half way into its solid look
    shelves = RecordShelves({1: ("1", "T1 BEGIN")}, volatile_top=up, durable_top=down, slots=(4, 8), pitch=0.34)
    shelves.show({1: ("volatile", 0)}, {1: ("durable", 0)}, 0.5)   # half way down to the durable shelf
"""

from __future__ import annotations

import math
from typing import Hashable, Mapping, Sequence

import numpy as np
from manim import (DOWN, LEFT, ORIGIN, PI, RIGHT, UP, Arc, Ellipse, Line, Mobject, Polygon, Rectangle, RoundedRectangle,
                   VGroup, VMobject)

from scenes.kit import theme
from scenes.kit.layout import Region
from scenes.kit.nodes import CrashBolt
from scenes.kit.text import SwapText, label, mono

__all__ = ["CrashOverlay", "FlagMarker", "FocusFrame", "KeyValueTable", "PageCard", "RecordRow", "RecordShelves",
           "StorageTier", "column_slots"]

TIER_KINDS = ("memory", "disk")
ROW_LOOKS = ("memory", "disk", "struck", "hidden")


def column_slots(top: Sequence[float], n: int, pitch: float) -> list[np.ndarray]:
    """Centres of ``n`` rows ``pitch`` apart, the first ``pitch / 2`` below ``top``."""
    if n < 0:
        raise ValueError(f"column_slots needs n >= 0, got {n}")
    if pitch <= 0:
        raise ValueError(f"column_slots needs a positive pitch, got {pitch}")
    top = np.asarray(top, dtype=float)
    return [top + DOWN * pitch * (i + 0.5) for i in range(n)]


def _chip_icon(size: float) -> VGroup:
    """A memory chip: a square body with pins on two sides."""
    body = RoundedRectangle(corner_radius=0.05, width=size, height=size * 0.7, stroke_color=theme.NODE,
                            stroke_width=theme.THIN_STROKE, fill_color=theme.BACKGROUND, fill_opacity=1.0)
    pins = VGroup()
    for k in range(4):
        x = -size * 0.36 + k * size * 0.24
        for side in (1, -1):
            y0 = side * size * 0.35
            pins.add(Line([x, y0, 0], [x, y0 + side * size * 0.14, 0], stroke_color=theme.NODE,
                          stroke_width=theme.THIN_STROKE))
    return VGroup(pins, body)


def _cylinder_icon(size: float) -> VGroup:
    """A disk: a cylinder seen slightly from above."""
    w, h, e = size, size * 0.75, size * 0.28
    top = Ellipse(width=w, height=e, stroke_color=theme.NODE, stroke_width=theme.THIN_STROKE,
                  fill_color=theme.BACKGROUND, fill_opacity=1.0).shift(UP * h / 2)
    sides = VGroup(Line([-w / 2, h / 2, 0], [-w / 2, -h / 2, 0]), Line([w / 2, h / 2, 0], [w / 2, -h / 2, 0]))
    sides.set_stroke(color=theme.NODE, width=theme.THIN_STROKE)
    bottom = Arc(radius=w / 2, start_angle=PI, angle=PI, stroke_color=theme.NODE, stroke_width=theme.THIN_STROKE)
    bottom.stretch(e / w, 1).shift(DOWN * h / 2)
    return VGroup(sides, bottom, top)


class StorageTier(VGroup):
    """A titled panel for one kind of storage, its icon and title in a header column on the left.

    Parameters
    ----------
    title
        The word under the icon ("memory", "disk").
    kind
        ``"memory"`` (a chip icon) or ``"disk"`` (a cylinder icon).
    width, height
        Size of the panel.
    header_width
        Width of the header column holding the icon and title.
    """

    def __init__(self, title: str, *, kind: str = "memory", width: float = 8.0, height: float = 2.0,
                 header_width: float = 1.45) -> None:
        if kind not in TIER_KINDS:
            raise ValueError(f"StorageTier kind must be one of {TIER_KINDS}, got {kind!r}")
        if not title.strip():
            raise ValueError("a StorageTier needs a title")
        if height < 0.9 or width <= header_width + 0.5:
            raise ValueError(f"a StorageTier of {width} x {height} has no room beside a {header_width} header")
        super().__init__()
        self.kind, self.header_width = kind, float(header_width)
        self.panel = RoundedRectangle(corner_radius=0.15, width=width, height=height, fill_color=theme.PANEL,
                                      fill_opacity=1.0, stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE)
        self.icon = _chip_icon(0.55) if kind == "memory" else _cylinder_icon(0.55)
        self.title = label(title, font_size=theme.LABEL_SIZE, color=theme.TEXT, weight="BOLD")
        header = VGroup(self.icon, self.title).arrange(DOWN, buff=0.15)
        if header.width > header_width - 0.1:
            raise ValueError(f"title {title!r} is wider than the {header_width} header column")
        header.move_to(self.panel.get_left() + RIGHT * header_width / 2)
        self.add(self.panel, header)

    def inner(self, pad: float = 0.1) -> Region:
        """The panel's region right of the header column, ``pad`` inside its edges (where it is now)."""
        return Region(self.panel.get_left()[0] + self.header_width, self.panel.get_right()[0] - pad,
                      self.panel.get_bottom()[1] + pad, self.panel.get_top()[1] - pad)


class PageCard(VGroup):
    """A page: name on top, value in the middle, a tag line at the bottom, and a dirty mark.

    Parameters
    ----------
    name
        The page's name (bold, on top).
    value, tag
        The first value and tag line shown (strings: the scene formats its numbers).
    width, height
        Size of the card.
    color
        Outline of a present page.
    dirty_text
        The word shown under a dirty card, beside its corner flag.

    ``set_state(value=..., tag=..., dirty=..., present=..., highlight=...)`` changes it in place; an
    absent page is a faint empty outline (a page not in the buffer).
    """

    def __init__(self, name: str, value: str = "", *, tag: str = "", width: float = 1.2, height: float = 0.95,
                 color: str = theme.NODE, dirty_text: str = "dirty") -> None:
        if not name.strip():
            raise ValueError("a PageCard needs a name")
        if width < 0.6 or height < 0.75:
            raise ValueError(f"a PageCard needs at least 0.6 x 0.75, got {width} x {height}")
        super().__init__()
        self.color_ = color
        self.box = RoundedRectangle(corner_radius=0.1, width=width, height=height, fill_color=theme.BACKGROUND,
                                    fill_opacity=1.0, stroke_color=color, stroke_width=3.0)
        self.name_text = label(name, font_size=theme.LABEL_SIZE, weight="BOLD").move_to(
            self.box.get_top() + DOWN * 0.2)
        self.value = SwapText(value or "·", font_size=theme.BODY_SIZE, weight="BOLD")
        self.value.move_to(self.box.get_center() + DOWN * 0.02)
        self.tag = SwapText(tag or "·", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
        self.tag.move_to(self.box.get_bottom() + UP * 0.17)
        corner = self.box.get_corner(UP + RIGHT)
        s = 0.26
        self.flag = Polygon(corner + LEFT * s, corner, corner + DOWN * s, fill_color=theme.HIGHLIGHT, fill_opacity=1.0,
                            stroke_width=0)
        self.dirty_label = label(dirty_text, font_size=theme.MIN_FONT_SIZE, color=theme.HIGHLIGHT)
        self.dirty_label.next_to(self.box, DOWN, buff=0.07)
        self.add(self.box, self.name_text, self.value, self.tag, self.flag, self.dirty_label)
        self.state: tuple | None = None
        self.set_state(value=value, tag=tag)

    def place(self, point: Sequence[float]) -> PageCard:
        """Move the card so that its box (not the dirty word under it) is centred on ``point``."""
        self.shift(np.asarray(point, dtype=float) - self.box.get_center())
        return self

    def set_state(self, *, value: str = "", tag: str = "", dirty: bool = False, present: bool = True,
                  highlight: bool = False) -> PageCard:
        """Show ``value`` and ``tag``, the dirty mark if ``dirty``; an empty outline unless ``present``."""
        key = (value, tag, dirty, present, highlight)
        if key == self.state:
            return self
        self.state = key
        shown = present and bool(value)
        self.value.set_text(value if shown else "·")
        self.value.set_opacity(1.0 if shown else 0.0)
        self.tag.set_text(tag if present and tag else "·")
        self.tag.set_opacity(1.0 if present and tag else 0.0)
        self.name_text.set_opacity(1.0 if present else 0.4)
        stroke = theme.HIGHLIGHT if highlight and present else self.color_ if present else theme.GRID
        self.box.set_stroke(color=stroke, width=5.0 if highlight and present else 3.0, opacity=1.0 if present else 0.6)
        mark = 1.0 if dirty and present else 0.0
        self.flag.set_fill(opacity=mark)
        self.dirty_label.set_opacity(mark)
        return self


class RecordRow(VGroup):
    """One record of a list: a muted key on the left, its text, and a note that can be set to its right.

    Parameters
    ----------
    key
        A short key drawn first (a sequence number).
    text
        The record itself.
    width, height
        Size of the row's box; :meth:`fit_width` gives the width that holds the widest of several rows.
    solid_color
        Fill of the ``"disk"`` look.
    note_gap
        Distance from the box's right edge to the note.

    Looks (:meth:`set_look`): ``"memory"`` a hollow outline, ``"disk"`` a solid fill with dark text,
    ``"struck"`` a hollow outline crossed out in the failure colour, ``"hidden"`` nothing.
    """

    PAD = 0.12  #: inside the box, left and right
    KEY_WIDTH = 0.42  #: least room for the key before the text

    def __init__(self, key: str, text: str, *, width: float | None = None, height: float = 0.32,
                 solid_color: str = theme.NODE, note_gap: float = 0.12) -> None:
        if not text.strip():
            raise ValueError("a RecordRow needs some text")
        if height <= 0.25:
            raise ValueError(f"a RecordRow needs a height above 0.25, got {height}")
        super().__init__()
        self.key_text = mono(key or "·", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
        self.body = mono(text, font_size=theme.MIN_FONT_SIZE)
        need = self.fit_width([(key, text)])
        width = need if width is None else width
        if width < need - 1e-9:
            raise ValueError(f"record {text!r} needs a width of {need:.2f}, got {width}")
        self.solid_color = solid_color
        self.box = Rectangle(width=width, height=height, stroke_width=2.5)
        left = self.box.get_left()[0] + self.PAD
        self.key_text.move_to([left + self.key_text.width / 2, 0, 0])
        key_room = max(self.KEY_WIDTH, self.key_text.width + 0.12)
        self.body.move_to([left + key_room + self.body.width / 2, 0, 0])
        self.strike = Line([self.box.get_left()[0] + 0.05, 0, 0], [self.box.get_right()[0] - 0.05, 0, 0],
                           stroke_color=theme.FAILURE, stroke_width=3.0)
        self.note = SwapText("·", font_size=theme.MIN_FONT_SIZE, monospace=False)
        self.note_gap = note_gap
        self.note_text, self.note_color = "", theme.TEXT
        self.add(self.box, self.key_text, self.body, self.strike, self.note)
        self.look, self.opacity = "", -1.0
        self.set_look("hidden")

    @classmethod
    def fit_width(cls, rows: Sequence[tuple[str, str]]) -> float:
        """The box width that holds every ``(key, text)`` in ``rows``."""
        if not rows:
            raise ValueError("fit_width needs at least one row")
        return max(max(cls.KEY_WIDTH, mono(key or "·", font_size=theme.MIN_FONT_SIZE).width + 0.12)
                   + mono(text, font_size=theme.MIN_FONT_SIZE).width for key, text in rows) + 2 * cls.PAD

    def place(self, point: Sequence[float]) -> RecordRow:
        """Move the row so that its box is centred on ``point`` (the note follows)."""
        self.shift(np.asarray(point, dtype=float) - self.box.get_center())
        return self

    def set_look(self, look: str, *, opacity: float = 1.0) -> RecordRow:
        """Draw the row as ``look`` (see the class docstring) at ``opacity``."""
        if look not in ROW_LOOKS:
            raise ValueError(f"RecordRow look must be one of {ROW_LOOKS}, got {look!r}")
        if not 0.0 <= opacity <= 1.0:
            raise ValueError(f"opacity must be in [0, 1], got {opacity}")
        if (look, opacity) == (self.look, self.opacity):
            return self
        self.look, self.opacity = look, opacity
        k = 0.0 if look == "hidden" else opacity
        solid = look == "disk"
        self.box.set_fill(color=self.solid_color, opacity=k if solid else 0.0)
        edge = self.solid_color if solid else theme.FAILURE if look == "struck" else theme.TEXT
        self.box.set_stroke(color=edge, opacity=k)
        self.key_text.set_fill(color=theme.BACKGROUND if solid else theme.MUTED, opacity=k)
        self.body.set_fill(color=theme.BACKGROUND if solid else theme.TEXT, opacity=k)
        self.strike.set_stroke(opacity=k if look == "struck" else 0.0)
        self._draw_note()
        return self

    def set_note(self, text: str, color: str = theme.TEXT) -> RecordRow:
        """Show ``text`` right of the box (empty: no note)."""
        if (text, color) != (self.note_text, self.note_color):
            self.note_text, self.note_color = text, color
            if text:
                self.note.set_text(text, color)
            self._draw_note()
        return self

    def _draw_note(self) -> None:
        shown = bool(self.note_text) and self.look != "hidden"
        self.note.set_opacity(self.opacity if shown else 0.0)
        if shown:
            self.note.move_to(self.box.get_right() + RIGHT * (self.note_gap + self.note.current.width / 2))


class RecordShelves(VGroup):
    """Fixed records on two shelves of slots: a volatile shelf (rows hollow) and a durable one (rows solid).

    Parameters
    ----------
    records
        ``key -> (row key text, row text)`` for every record that will ever be shown.
    volatile_top, durable_top
        Top centre of each shelf's column of slots.
    slots
        Slots on the (volatile, durable) shelf.
    pitch
        Distance between slot centres (rows are a little shorter).

    :meth:`show` takes where each record is now (``key -> (shelf, slot)``, shelf ``"volatile"`` or
    ``"durable"``) and, optionally, where it is after a step under way and how far that step is: a
    record in both moves (swerving right past the other rows), one only in the first is struck out
    and fades, one only in the second fades in, any other is hidden. Notes (``key -> (text,
    colour)``) go right of the rows. Pure: the same arguments always give the same picture.
    """

    SHELVES = ("volatile", "durable")

    def __init__(self, records: Mapping[Hashable, tuple[str, str]], *, volatile_top: Sequence[float],
                 durable_top: Sequence[float], slots: tuple[int, int], pitch: float = 0.34,
                 solid_color: str = theme.NODE) -> None:
        if not records:
            raise ValueError("RecordShelves needs at least one record")
        if min(slots) < 1:
            raise ValueError(f"each shelf needs at least one slot, got {slots}")
        super().__init__()
        self.width_ = RecordRow.fit_width(list(records.values()))
        self.rows = {key: RecordRow(k, text, width=self.width_, height=pitch - 0.06, solid_color=solid_color)
                     for key, (k, text) in records.items()}
        self.slots = {"volatile": column_slots(volatile_top, slots[0], pitch),
                      "durable": column_slots(durable_top, slots[1], pitch)}
        self.add(*self.rows.values())

    def point(self, place: tuple[str, int]) -> np.ndarray:
        shelf, index = place
        if shelf not in self.SHELVES or not 0 <= index < len(self.slots[shelf]):
            raise ValueError(f"no slot {index} on shelf {shelf!r}")
        return self.slots[shelf][index]

    def show(self, now: Mapping[Hashable, tuple[str, int]], after: Mapping[Hashable, tuple[str, int]] | None = None,
             progress: float = 0.0, *, notes: Mapping[Hashable, tuple[str, str]] | None = None) -> RecordShelves:
        """Draw every record where ``now`` puts it, ``progress`` (0-1) of the way to ``after``."""
        if not 0.0 <= progress <= 1.0:
            raise ValueError(f"progress must be in [0, 1], got {progress}")
        after = now if after is None else after
        notes = notes or {}
        e = progress * progress * (3 - 2 * progress)
        for key, row in self.rows.items():
            if key in now and key in after:
                a, b = self.point(now[key]), self.point(after[key])
                swerve = (self.width_ + 0.3) * math.sin(math.pi * e) if abs(b[1] - a[1]) > 1e-6 else 0.0
                row.place(a + (b - a) * e + RIGHT * swerve)
                row.set_look("disk" if now[key][0] == "durable" else "memory")
            elif key in now:
                row.place(self.point(now[key])).set_look("struck", opacity=1.0 - progress)
            elif key in after:
                row.place(self.point(after[key])).set_look("disk" if after[key][0] == "durable" else "memory",
                                                           opacity=progress)
            else:
                row.set_look("hidden")
            row.set_note(*notes.get(key, ("", theme.TEXT)))
        return self


class CrashOverlay(VGroup):
    """A veil in the background colour with a crash bolt and a word, over whatever a crash wipes.

    ``set_amount(0)`` shows nothing, ``set_amount(1)`` the veil (mostly opaque), the bolt and the word.

    Parameters
    ----------
    width, height
        Size of the veil.
    text
        The word beside the bolt ("lost", "crashed").
    """

    def __init__(self, width: float, height: float, *, text: str = "crashed", bolt_height: float = 0.9,
                 veil_opacity: float = 0.72) -> None:
        if width <= 0 or height <= 0:
            raise ValueError(f"a CrashOverlay needs a positive size, got {width} x {height}")
        if not 0.0 < veil_opacity <= 1.0:
            raise ValueError(f"veil_opacity must be in (0, 1], got {veil_opacity}")
        super().__init__()
        self.veil_opacity = veil_opacity
        self.veil = RoundedRectangle(corner_radius=0.15, width=width, height=height, fill_color=theme.BACKGROUND,
                                     stroke_width=0, fill_opacity=0.0)
        self.bolt = CrashBolt(min(bolt_height, height * 0.8))
        self.word = label(text, font_size=theme.BODY_SIZE, color=theme.FAILURE, weight="BOLD")
        VGroup(self.bolt, self.word).arrange(RIGHT, buff=0.2).move_to(self.veil)
        self.add(self.veil, self.bolt, self.word)
        self.amount = -1.0
        self.set_amount(0.0)

    def set_amount(self, amount: float) -> CrashOverlay:
        """0: invisible; 1: fully shown."""
        if not 0.0 <= amount <= 1.0:
            raise ValueError(f"CrashOverlay amount must be in [0, 1], got {amount}")
        if amount != self.amount:
            self.amount = amount
            self.veil.set_fill(opacity=self.veil_opacity * amount)
            self.bolt.set_fill(opacity=amount).set_stroke(opacity=amount)
            self.word.set_opacity(amount)
        return self


class FlagMarker(VGroup):
    """A small flag on a pole with a label beside it, pointing at a row or a place on a strip.

    ``point_to(point)`` puts the foot of the pole at ``point`` (the flag and label to its right);
    ``set_label(text)`` changes the label; ``set_visible(opacity)`` fades it.
    """

    def __init__(self, text: str = "", *, color: str = theme.HIGHLIGHT, height: float = 0.34) -> None:
        if height <= 0:
            raise ValueError(f"FlagMarker height must be positive, got {height}")
        super().__init__()
        self.pole = Line(ORIGIN, UP * height, stroke_color=color, stroke_width=2.5)
        self.flag = Polygon(UP * height, UP * height * 0.45, UP * height * 0.72 + RIGHT * height * 0.6,
                            fill_color=color, fill_opacity=1.0, stroke_width=0)
        self.text = SwapText(text or "·", font_size=theme.MIN_FONT_SIZE, color=color, monospace=False)
        self.label_text = text
        self.add(self.pole, self.flag, self.text)
        self.opacity = -1.0
        self.point_to(ORIGIN)
        self.set_visible(1.0)

    def point_to(self, point: Sequence[float]) -> FlagMarker:
        """Put the foot of the pole at ``point``."""
        point = np.asarray(point, dtype=float)
        self.shift(point - self.pole.get_start())
        self.text.move_to(self.flag.get_right() + RIGHT * (0.08 + self.text.current.width / 2))
        return self

    def set_label(self, text: str) -> FlagMarker:
        if text != self.label_text:
            self.label_text = text
            self.text.set_text(text or "·")
            self.point_to(self.pole.get_start())
            self._paint()
        return self

    def set_visible(self, opacity: float) -> FlagMarker:
        if not 0.0 <= opacity <= 1.0:
            raise ValueError(f"opacity must be in [0, 1], got {opacity}")
        if opacity != self.opacity:
            self.opacity = opacity
            self._paint()
        return self

    def _paint(self) -> None:
        self.pole.set_stroke(opacity=self.opacity)
        self.flag.set_fill(opacity=self.opacity)
        self.text.set_opacity(self.opacity if self.label_text else 0.0)


class FocusFrame(VMobject):
    """An outline around whatever is being looked at now (a scan pointer), moved in place.

    ``surround(mobject)`` or ``surround_box(left, right, bottom, top)`` draws it around a box with
    ``buff`` to spare; ``hide()`` empties it.
    """

    def __init__(self, *, color: str = theme.HIGHLIGHT, buff: float = 0.06, stroke_width: float = 3.5) -> None:
        if buff < 0:
            raise ValueError(f"FocusFrame buff must be >= 0, got {buff}")
        super().__init__(stroke_color=color, stroke_width=stroke_width, fill_opacity=0.0)
        self.buff = float(buff)
        self.hide()

    def surround_box(self, left: float, right: float, bottom: float, top: float, *, opacity: float = 1.0) -> FocusFrame:
        if right < left or top < bottom:
            raise ValueError("surround_box needs left <= right and bottom <= top")
        b = self.buff
        self.set_points_as_corners([[left - b, top + b, 0], [right + b, top + b, 0], [right + b, bottom - b, 0],
                                    [left - b, bottom - b, 0], [left - b, top + b, 0]])
        self.set_stroke(opacity=opacity)
        return self

    def surround(self, mobject: Mobject, *, opacity: float = 1.0) -> FocusFrame:
        return self.surround_box(mobject.get_left()[0], mobject.get_right()[0], mobject.get_bottom()[1],
                                 mobject.get_top()[1], opacity=opacity)

    def hide(self) -> FocusFrame:
        self.clear_points()
        return self


class KeyValueTable(VGroup):
    """A titled two-column table (key, value) whose values change in place.

    Parameters
    ----------
    title
        A muted title above the table.
    keys
        The row keys, top to bottom (fixed).
    value_width
        Room for the value column.
    row_height
        Distance between rows.

    :meth:`set_values` shows ``key -> text`` (a missing key shows a muted dash), optionally in a
    colour per key, and frames one highlighted row; :meth:`set_visible` fades the whole table.
    """

    def __init__(self, title: str, keys: Sequence[str], *, value_width: float = 1.2, row_height: float = 0.36,
                 key_width: float | None = None) -> None:
        if not keys or len(set(keys)) != len(keys):
            raise ValueError("a KeyValueTable needs at least one key, all distinct")
        if row_height < 0.3 or value_width <= 0:
            raise ValueError(f"a KeyValueTable needs row_height >= 0.3 and a positive value_width, got {row_height}, "
                             f"{value_width}")
        super().__init__()
        self.title = label(title, font_size=theme.LABEL_SIZE, color=theme.MUTED)
        self.keys_ = [mono(k, font_size=theme.LABEL_SIZE, weight="BOLD") for k in keys]
        key_width = key_width if key_width is not None else max(k.width for k in self.keys_) + 0.3
        self.values = {k: SwapText("·", font_size=theme.LABEL_SIZE) for k in keys}
        top = -self.title.height - 0.15
        for i, (name, text) in enumerate(zip(keys, self.keys_)):
            y = top - (i + 0.5) * row_height
            text.move_to([0.1 + text.width / 2, y, 0])
            self.values[name].move_to([key_width + 0.1, y, 0])
        self.title.move_to([self.title.width / 2, -self.title.height / 2, 0])
        self.width_ = key_width + value_width
        self.row_height = row_height
        self.rule = Line([0, top, 0], [self.width_, top, 0], stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE)
        self.frame = FocusFrame(buff=0.0, stroke_width=2.5)
        self.add(self.title, self.rule, *self.keys_, *self.values.values(), self.frame)
        self.value_left = key_width + 0.1  #: from the table's left edge
        self.visible, self.shown = True, None
        self.set_values({})

    def set_values(self, values: dict[str, str], *, colors: dict[str, str] | None = None,
                   highlight: str | None = None) -> KeyValueTable:
        """Show ``values`` (key -> text); other keys show a muted dash; frame row ``highlight``."""
        colors = colors or {}
        key = (tuple(sorted(values.items())), tuple(sorted(colors.items())), highlight, self.visible)
        if key == self.shown:
            return self
        self.shown = key
        k = 1.0 if self.visible else 0.0
        for name, text in self.values.items():
            shown = values.get(name)
            text.set_text(shown if shown else "–", colors.get(name, theme.TEXT) if shown else theme.MUTED)
            text.shift([self.rule.get_left()[0] + self.value_left - text.current.get_left()[0], 0, 0])
            text.set_opacity(k)
        for text in (self.title, self.rule, *self.keys_):
            text.set_opacity(k)
        if highlight is not None and highlight in self.values and self.visible:
            row = self.keys_[list(self.values).index(highlight)]
            y = row.get_center()[1]
            left = self.rule.get_left()[0]
            half = self.row_height / 2 - 0.02
            self.frame.surround_box(left, left + self.width_, y - half, y + half)
        else:
            self.frame.hide()
        return self

    def set_visible(self, visible: bool) -> KeyValueTable:
        """Show or fade the whole table (its values stay as set)."""
        if visible != self.visible:
            self.visible = visible
            values = {n: t for n, t in self.shown[0]} if self.shown else {}
            colors = dict(self.shown[1]) if self.shown else {}
            highlight = self.shown[2] if self.shown else None
            self.shown = None
            self.set_values(values, colors=colors, highlight=highlight)
        return self
