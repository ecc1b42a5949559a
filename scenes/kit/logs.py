"""LogStrip: a panel of replicated logs, one row per owner, cells hollow until committed.

Cells are built once (rows x capacity) and restyled in place, so a scene can
drive the panel from an updater that is a pure function of its clock.
Committed and uncommitted cells differ by fill (solid vs hollow outline), not
only by color, so the difference survives color-vision deficiencies and 480p.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from manim import LEFT, Line, Rectangle, VGroup

from scenes.kit import theme
from scenes.kit.text import SwapText, label, mono, stack

__all__ = ["LogCell", "LogStrip"]


@dataclass(frozen=True)
class LogCell:
    """What one log slot shows.

    Parameters
    ----------
    text
        The entry itself (a command such as ``"x=1"``).
    sub
        A second, smaller line (e.g. ``"term 1"``); empty for none.
    committed
        Solid fill when true, hollow outline when false.
    struck
        Struck through, with a red outline (an entry about to be overwritten or discarded).
    """

    text: str
    sub: str = ""
    committed: bool = False
    struck: bool = False

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a LogCell needs some text")


class _Slot(VGroup):
    """One cell position of a row: outline/fill box, two text lines and a strike-through line."""

    def __init__(self, width: float, height: float) -> None:
        super().__init__()
        self.box = Rectangle(width=width, height=height, stroke_width=3.0)
        self.text = SwapText("·", font_size=theme.LABEL_SIZE, weight="BOLD")
        self.sub = SwapText("·", font_size=theme.MIN_FONT_SIZE, monospace=False)
        self.strike = Line([-width / 2 + 0.08, 0, 0], [width / 2 - 0.08, 0, 0], stroke_color=theme.FAILURE, stroke_width=2.5)
        self.add(self.box, self.text, self.sub, self.strike)
        self.cell: LogCell | None = None
        self.drawn: tuple[LogCell | None, bool] | None = None  #: what was last drawn, to skip redraws


class LogStrip(VGroup):
    """Rows of log cells under column index numbers, each row named on the left.

    Parameters
    ----------
    rows
        Row names, top to bottom (``["S1", ..., "S5"]``).
    capacity
        Cells per row (the longest log the scene will show).
    cell_width, cell_height
        Size of one cell.
    row_gap, col_gap
        Spacing between rows and between cells.
    index_labels
        Draw the 1-based index of each column above the first row.
    two_line
        Leave room for a second line (:attr:`LogCell.sub`) in each cell.
    color
        Outline and text color of uncommitted cells.
    committed_color
        Fill of committed cells (their text turns dark for contrast).

    ``set_row(r, cells)`` shows a whole log (missing cells are drawn as empty
    slots); ``set_row_dimmed(r, True)`` fades a row (an owner that is down).
    """

    def __init__(self, rows: Sequence[str], capacity: int, *, cell_width: float = 1.1, cell_height: float = 0.66,
                 row_gap: float = 0.12, col_gap: float = 0.1, index_labels: bool = True, two_line: bool = True,
                 color: str = theme.TEXT, committed_color: str = theme.SUCCESS) -> None:
        if not rows:
            raise ValueError("a LogStrip needs at least one row")
        if capacity < 1:
            raise ValueError(f"LogStrip capacity must be at least 1, got {capacity}")
        if cell_width <= 0 or cell_height <= 0:
            raise ValueError("LogStrip cells need a positive width and height")
        super().__init__()
        self.capacity = int(capacity)
        self.color_, self.committed_color = color, committed_color
        self.two_line = two_line
        self.row_names = VGroup(*[label(name, font_size=theme.LABEL_SIZE, weight="BOLD") for name in rows])
        name_width = max(m.width for m in self.row_names) + 0.3
        self.rows: list[list[_Slot]] = []
        self.dimmed = [False] * len(rows)
        cells = VGroup()
        for r, name in enumerate(self.row_names):
            y = -r * (cell_height + row_gap)
            name.move_to([name_width / 2 - 0.15, y, 0]).align_to([0, 0, 0], LEFT)
            row = []
            for i in range(self.capacity):
                slot = _Slot(cell_width, cell_height)
                slot.move_to([name_width + cell_width / 2 + i * (cell_width + col_gap), y, 0])
                row.append(slot)
                cells.add(slot)
            self.rows.append(row)
        self.cells = cells
        self.index_labels = VGroup()
        if index_labels:
            top = cell_height / 2 + 0.22
            for i, slot in enumerate(self.rows[0]):
                self.index_labels.add(mono(str(i + 1), font_size=theme.MIN_FONT_SIZE, color=theme.MUTED).move_to(
                    [slot.get_center()[0], top, 0]))
            self.index_labels.add(label("index", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED).move_to(
                [0, top, 0]).align_to([0, 0, 0], LEFT))
        self.add(self.index_labels, self.row_names, self.cells)
        for r in range(len(self.rows)):
            self.set_row(r, [])

    # --- reading --------------------------------------------------------------------
    def slot(self, row: int, index: int) -> VGroup:
        """The cell group at ``row`` (0-based) and log ``index`` (1-based)."""
        self._check(row, index)
        return self.rows[row][index - 1]

    def cell_at(self, row: int, index: int) -> LogCell | None:
        """What the cell shows now (``None`` for an empty slot)."""
        return self.slot(row, index).cell

    def is_committed(self, row: int, index: int) -> bool:
        """Whether the cell is drawn solid (its fill is opaque)."""
        return self.slot(row, index).box.get_fill_opacity() > 0.5

    def _check(self, row: int, index: int) -> None:
        if not 0 <= row < len(self.rows):
            raise ValueError(f"row {row} is outside 0..{len(self.rows) - 1}")
        if not 1 <= index <= self.capacity:
            raise ValueError(f"log index {index} is outside 1..{self.capacity}")

    # --- writing --------------------------------------------------------------------
    def set_cell(self, row: int, index: int, cell: LogCell | None) -> LogStrip:
        """Show ``cell`` at ``row``/``index`` (``None`` empties the slot)."""
        slot = self.slot(row, index)
        slot.cell = cell
        self._draw(slot, self.dimmed[row])
        return self

    def set_row(self, row: int, cells: Sequence[LogCell | None]) -> LogStrip:
        """Show a whole log in ``row``: cells 1..len(cells), the rest empty."""
        if len(cells) > self.capacity:
            raise ValueError(f"{len(cells)} cells do not fit in a LogStrip of capacity {self.capacity}")
        if not 0 <= row < len(self.rows):
            raise ValueError(f"row {row} is outside 0..{len(self.rows) - 1}")
        for i, slot in enumerate(self.rows[row]):
            cell = cells[i] if i < len(cells) else None
            if slot.drawn != (cell, self.dimmed[row]):
                slot.cell = cell
                self._draw(slot, self.dimmed[row])
        return self

    def set_row_dimmed(self, row: int, dimmed: bool) -> LogStrip:
        """Fade a row (and its name) when its owner is down; restore it when it is back."""
        if not 0 <= row < len(self.rows):
            raise ValueError(f"row {row} is outside 0..{len(self.rows) - 1}")
        if self.dimmed[row] != dimmed:
            self.dimmed[row] = dimmed
            self.row_names[row].set_opacity(theme.DIM_OPACITY + 0.15 if dimmed else 1.0)
            for slot in self.rows[row]:
                self._draw(slot, dimmed)
        return self

    def _draw(self, slot: _Slot, dimmed: bool) -> None:
        cell = slot.cell
        k = theme.DIM_OPACITY + 0.15 if dimmed else 1.0
        center = slot.box.get_center()
        if cell is None:
            slot.box.set_fill(opacity=0.0)
            slot.box.set_stroke(color=theme.GRID, width=theme.THIN_STROKE, opacity=0.6 * k)
            slot.text.set_opacity(0.0)
            slot.sub.set_opacity(0.0)
            slot.strike.set_stroke(opacity=0.0)
        else:
            solid = cell.committed
            ink = theme.BACKGROUND if solid else self.color_
            slot.box.set_fill(color=self.committed_color, opacity=k if solid else 0.0)
            edge = theme.FAILURE if cell.struck else self.committed_color if solid else self.color_
            slot.box.set_stroke(color=edge, width=3.0, opacity=k)
            slot.text.set_text(cell.text, ink)
            if self.two_line and cell.sub:
                slot.sub.set_text(cell.sub, theme.BACKGROUND if solid else theme.MUTED)
                stack(slot.text, slot.sub, center, gap=0.04)
                slot.sub.set_opacity(k)
            else:
                slot.text.move_to(center)
                slot.sub.set_opacity(0.0)
            slot.text.set_opacity(k)
            slot.strike.set_stroke(opacity=k if cell.struck else 0.0)
            slot.strike.move_to(slot.text.current.get_center()).set_x(center[0])
        slot.drawn = (cell, dimmed)
