"""Pieces drawn on top of a :class:`~scenes.kit.streams.PartitionLog`: segments, a cleaner's pass, tombstones,
transaction markers.

None of them changes the log itself; they read its geometry (:meth:`PartitionLog.boundary_x`, the cells'
boxes) and draw beside it, or move its cells off their slots and back (:class:`CellSlider`). Each is a
fixed pool of parts changed in place, so an updater that is a pure function of a clock can drive it:

* :class:`SegmentBrackets`: a bracket with a label over each segment's cells; the active segment is
  drawn in the highlight colour and outlined;
* :class:`RangeBands`: labelled bars under the cells (a clean tail, a dirty head);
* :class:`SweepMark`: a frame around the cell a pass is looking at, with its verdict under it;
* :class:`CellSlider`: moves cells sideways (records sliding to new slots, keeping their offsets)
  and puts them back home;
* :class:`RetentionRings`: countdown rings under chosen cells (how long a tombstone still stays);
* :func:`tombstone`: the record a delete shows (its key over an empty-set sign, greyed);
* :class:`TxnMarkers`: a flag on each commit or abort marker cell, and marks on the data cells of
  an aborted transaction.

Example::

    log = PartitionLog(12, cell_width=0.55)
    brackets = SegmentBrackets(log, 4)
    brackets.set_segments([(0, 4, "base 0", False), (4, 6, "base 4", True)])   # boundary positions
    bands = RangeBands(log, [("tail", "clean tail", theme.MUTED), ("head", "dirty head", theme.HIGHLIGHT)])
    bands.set_band("head", 0, 4)
    log.set_records([Record("A", "a1"), tombstone("C", offset=7)])
    SweepMark(log).show(1, "drop", theme.FAILURE)
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from manim import DOWN, UP, Line, Polygon, VGroup, VMobject

from scenes.kit import theme
from scenes.kit.nodes import TimerRing
from scenes.kit.storage import FocusFrame
from scenes.kit.streams import OFFSET, PartitionLog, Record
from scenes.kit.text import SwapText

__all__ = ["TOMBSTONE", "CellSlider", "RangeBands", "RetentionRings", "SegmentBrackets", "SweepMark", "TxnMarkers",
           "tombstone"]

TOMBSTONE = "∅"  #: what a tombstone shows in place of a value


def tombstone(key: str, *, offset: int | None = None) -> Record:
    """The record a delete shows: its key over an empty-set sign, in the muted colour."""
    return Record(key, TOMBSTONE, color=theme.MUTED, offset=offset)


def _offset_band_top(log: PartitionLog) -> float:
    """The top of the offsets printed above the cells (or of the cells when none are printed)."""
    return log.row_top + (0.3 if log.show_offsets else 0.04)


class SegmentBrackets(VGroup):
    """A bracket with a label over each segment's cells, from a fixed pool of ``capacity`` brackets.

    :meth:`set_segments` takes ``(start, end, text, active)`` per segment, ``start``/``end`` being the
    log's boundary positions (:meth:`PartitionLog.boundary_x`; fractions glide); the rest of the pool
    hides. The active segment's bracket is in the highlight colour and its cells are outlined.
    """

    def __init__(self, log: PartitionLog, capacity: int, *, lift: float = 0.08, color: str = theme.MUTED,
                 active_color: str = theme.HIGHLIGHT) -> None:
        if capacity < 1:
            raise ValueError(f"SegmentBrackets needs capacity >= 1, got {capacity}")
        super().__init__()
        self.log, self.color_, self.active_color = log, color, active_color
        self.y = _offset_band_top(log) + lift
        self.lines = [VMobject(stroke_width=theme.THIN_STROKE + 0.5) for _ in range(capacity)]
        self.texts = [SwapText("·", font_size=theme.MIN_FONT_SIZE, monospace=False) for _ in range(capacity)]
        self.outline = VMobject(stroke_color=active_color, stroke_width=theme.THIN_STROKE + 0.5)
        self.add(self.outline, *self.lines, *self.texts)
        self.shown: tuple | None = None
        self.set_segments([])

    def set_segments(self, spans: Sequence[tuple[float, float, str, bool]], *, opacity: float = 1.0) -> SegmentBrackets:
        if len(spans) > len(self.lines):
            raise ValueError(f"{len(spans)} segments do not fit a pool of {len(self.lines)} brackets")
        if not 0.0 <= opacity <= 1.0:
            raise ValueError(f"opacity must be in [0, 1], got {opacity}")
        key = (tuple(spans), opacity, self.log.boundary_x(0))
        if key == self.shown:
            return self
        self.shown = key
        self.outline.clear_points()
        for i, (line, text) in enumerate(zip(self.lines, self.texts)):
            if i >= len(spans):
                line.clear_points()
                text.set_opacity(0.0)
                continue
            start, end, words, active = spans[i]
            if end < start:
                raise ValueError(f"a segment cannot end ({end}) before it starts ({start})")
            x0, x1 = self.log.boundary_x(start) + 0.04, self.log.boundary_x(end) - 0.04
            x1 = max(x1, x0 + 0.1)
            y, tick = self.y, 0.1
            line.set_points_as_corners([[x0, y - tick, 0], [x0, y, 0], [x1, y, 0], [x1, y - tick, 0]])
            color = self.active_color if active else self.color_
            line.set_stroke(color=color, width=theme.THIN_STROKE + (1.5 if active else 0.5), opacity=opacity)
            text.set_text(words or "·", color)
            text.move_to([(x0 + x1) / 2, y + 0.06 + text.current.height / 2, 0])
            text.set_opacity(opacity if words else 0.0)
            if active:
                top, bottom = self.log.row_top + 0.05, self.log.row_bottom - 0.05
                self.outline.set_points_as_corners([[x0, top, 0], [x1, top, 0], [x1, bottom, 0], [x0, bottom, 0],
                                                    [x0, top, 0]])
                self.outline.set_stroke(opacity=opacity)
        return self


class RangeBands(VGroup):
    """Labelled bars under a log's cells, one per named range (a clean tail, a dirty head).

    Parameters
    ----------
    log
        The log they sit under.
    bands
        ``(name, text, colour)`` per band.
    drop
        Distance from the cells' bottom to the bars.
    """

    def __init__(self, log: PartitionLog, bands: Sequence[tuple[str, str, str]], *, drop: float = 0.12) -> None:
        if not bands or len({name for name, _, _ in bands}) != len(bands):
            raise ValueError("RangeBands needs at least one band, with distinct names")
        super().__init__()
        self.log = log
        self.y = log.row_bottom - drop
        self.bars: dict[str, VMobject] = {}
        self.texts: dict[str, SwapText] = {}
        for name, text, color in bands:
            self.bars[name] = VMobject(stroke_color=color, stroke_width=5.0)
            self.texts[name] = SwapText(text, font_size=theme.MIN_FONT_SIZE, color=color, monospace=False)
            self.add(self.bars[name], self.texts[name])
            self.set_band(name, None, None)

    def set_band(self, name: str, start: float | None, end: float | None, *, opacity: float = 1.0) -> RangeBands:
        """Show band ``name`` under boundary positions ``start`` .. ``end`` (None, or an empty range, hides it)."""
        if name not in self.bars:
            raise ValueError(f"no band {name!r}")
        bar, text = self.bars[name], self.texts[name]
        if start is None or end is None or end - start < 1e-6:
            bar.clear_points()
            text.set_opacity(0.0)
            return self
        x0, x1 = self.log.boundary_x(start) + 0.05, self.log.boundary_x(end) - 0.05
        bar.set_points_as_corners([[x0, self.y, 0], [max(x1, x0 + 0.05), self.y, 0]])
        bar.set_stroke(opacity=opacity)
        text.move_to([(x0 + x1) / 2, self.y - 0.08 - text.current.height / 2, 0])
        text.set_opacity(opacity)
        return self


class SweepMark(VGroup):
    """A frame around the cell a pass is looking at, with a verdict word under it ("keep", "drop")."""

    def __init__(self, log: PartitionLog, *, color: str = theme.HIGHLIGHT) -> None:
        super().__init__()
        self.log, self.color_ = log, color
        self.frame = FocusFrame(color=color, buff=0.05)
        self.verdict = SwapText("·", font_size=theme.MIN_FONT_SIZE, monospace=False)
        self.add(self.frame, self.verdict)
        self.hide()

    def show(self, slot: int, verdict: str = "", color: str | None = None) -> SweepMark:
        """Frame the cell at ``slot`` (where it is now) and write ``verdict`` under it."""
        box = self.log.cell(slot).box
        self.frame.surround(box)
        if verdict:
            self.verdict.set_text(verdict, color or self.color_)
            self.verdict.move_to(box.get_bottom() + DOWN * (0.12 + self.verdict.current.height / 2))
        self.verdict.set_opacity(1.0 if verdict else 0.0)
        return self

    def hide(self) -> SweepMark:
        self.frame.hide()
        self.verdict.set_opacity(0.0)
        return self


class CellSlider:
    """Moves a log's cells sideways off their slots, and back home, in place.

    A record sliding from slot ``a`` to slot ``b`` is drawn by cell ``a`` shifted ``fraction`` of the
    way: call :meth:`reset` first on every frame (it also keeps :meth:`PartitionLog.boundary_x`,
    which reads the first cell, right), then :meth:`slide`.
    """

    def __init__(self, log: PartitionLog) -> None:
        self.log = log
        self.home = [cell.box.get_center().copy() for cell in log.cells]

    def reset(self) -> CellSlider:
        for cell, home in zip(self.log.cells, self.home):
            if not np.allclose(cell.box.get_center(), home, atol=1e-9):
                cell.shift(home - cell.box.get_center())
        return self

    def slide(self, slot: int, to_slot: int, fraction: float) -> CellSlider:
        """Draw the cell at ``slot`` ``fraction`` (0-1) of the way to ``to_slot``'s place."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"fraction must be in [0, 1], got {fraction}")
        cell = self.log.cell(slot)
        self.log.cell(to_slot)  # checks the slot
        target = self.home[slot] + (self.home[to_slot] - self.home[slot]) * fraction
        cell.shift(target - cell.box.get_center())
        return self


class RetentionRings(VGroup):
    """Countdown rings under chosen cells of a log (how long a tombstone still stays), a fixed pool.

    :meth:`set_rings` takes ``(x, fraction)`` per ring, ``x`` the frame x of the cell's centre
    (follow a sliding cell with its box), ``fraction`` the time left in [0, 1].
    """

    def __init__(self, log: PartitionLog, capacity: int, *, radius: float = 0.15, drop: float = 0.3,
                 color: str = theme.MUTED) -> None:
        if capacity < 1:
            raise ValueError(f"RetentionRings needs capacity >= 1, got {capacity}")
        super().__init__()
        self.y = log.row_bottom - drop - radius
        self.rings = [TimerRing(radius, color=theme.TEXT, track_color=color, stroke_width=4.0) for _ in range(capacity)]
        self.add(*self.rings)
        self.set_rings([])

    def set_rings(self, rings: Sequence[tuple[float, float]]) -> RetentionRings:
        if len(rings) > len(self.rings):
            raise ValueError(f"{len(rings)} rings do not fit a pool of {len(self.rings)}")
        for i, ring in enumerate(self.rings):
            if i < len(rings):
                x, fraction = rings[i]
                point = np.array([x, self.y, 0.0])
                if not np.allclose(ring.track.get_center(), point, atol=1e-9):
                    ring.shift(point - ring.track.get_center())
                ring.set_visible(True)
                ring.set_fraction(min(max(fraction, 0.0), 1.0))
            else:
                ring.set_visible(False)
        return self


class TxnMarkers(VGroup):
    """Transaction markers on a log: a flag on each marker cell, a cross over aborted data.

    :meth:`set_marks` takes ``(slot, kind)`` pairs: ``"commit"`` draws a flag with a check in the
    offset colour, ``"abort"`` a flag with a cross in the failure colour (the cells hold the marker
    records), ``"aborted"`` a cross over a data cell that an abort voided (it stays in the log). A
    fixed pool of ``capacity`` marks; the rest hide.
    """

    KINDS = ("commit", "abort", "aborted")

    def __init__(self, log: PartitionLog, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"TxnMarkers needs capacity >= 1, got {capacity}")
        super().__init__()
        self.log = log
        self.flags = [Polygon(UP, UP, UP, stroke_width=0, fill_opacity=1.0) for _ in range(capacity)]
        self.poles = [Line(UP, DOWN, stroke_width=2.5) for _ in range(capacity)]
        self.glyphs = [VMobject(stroke_width=3.5) for _ in range(capacity)]
        for parts in zip(self.poles, self.flags, self.glyphs):
            self.add(*parts)
        self.shown: tuple | None = None
        self.set_marks([])

    def set_marks(self, marks: Sequence[tuple[int, str]]) -> TxnMarkers:
        if len(marks) > len(self.flags):
            raise ValueError(f"{len(marks)} marks do not fit a pool of {len(self.flags)}")
        key = (tuple(marks), tuple(self.log.cell(0).box.get_center()))
        if key == self.shown:
            return self
        self.shown = key
        for i, (flag, pole, glyph) in enumerate(zip(self.flags, self.poles, self.glyphs)):
            if i >= len(marks):
                flag.set_fill(opacity=0.0)
                pole.set_stroke(opacity=0.0)
                glyph.clear_points()
                continue
            slot, kind = marks[i]
            if kind not in self.KINDS:
                raise ValueError(f"a transaction mark is one of {self.KINDS}, got {kind!r}")
            box = self.log.cell(slot).box
            c, w, h = box.get_center(), box.width, box.height
            color = OFFSET if kind == "commit" else theme.FAILURE
            if kind == "aborted":
                flag.set_fill(opacity=0.0)
                pole.set_stroke(opacity=0.0)
                s = min(w, h) * 0.32
                glyph.set_points_as_corners([c + [-s, -s, 0], c + [s, s, 0], c, c + [-s, s, 0], c + [s, -s, 0]])
                glyph.set_stroke(color=color, opacity=1.0, width=4.0)
                continue
            top = c + UP * (h / 2 + 0.02) + np.array([-w / 2 + 0.07, 0, 0])
            pole.put_start_and_end_on(top + DOWN * 0.02, top + UP * 0.26)
            pole.set_stroke(color=color, opacity=1.0)
            tip = top + UP * 0.26
            flag.set_points_as_corners([tip, tip + np.array([0.17, -0.06, 0]), tip + DOWN * 0.12, tip])
            flag.set_fill(color=color, opacity=1.0)
            s = 0.05
            g = top + UP * 0.05 + np.array([0.2, 0, 0])
            if kind == "commit":
                glyph.set_points_as_corners([g + [-s, 0, 0], g + [-s / 3, -s, 0], g + [s, s, 0]])
            else:
                glyph.set_points_as_corners([g + [-s, -s, 0], g + [s, s, 0], g, g + [-s, s, 0], g + [s, -s, 0]])
            glyph.set_stroke(color=color, opacity=1.0, width=3.0)
        return self
