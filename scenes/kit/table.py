"""TableWidget: a grid of plain Text cells with a header row, for summaries."""

from __future__ import annotations

from typing import Sequence

from manim import Line, Rectangle, Text, VGroup

from scenes.kit import theme
from scenes.kit.text import descent, label

__all__ = ["TableWidget"]


def _sit_on_baseline(cell: Text, baseline: float, *, font_size: float, weight: str) -> None:
    """Put a text cell's baseline (not its centre or its foot) at ``baseline``, so a row reads level."""
    bottom = baseline - descent(cell.text, font_size=font_size, weight=weight)
    cell.shift([0, bottom - cell.get_bottom()[1], 0])


class TableWidget(VGroup):
    """Rows of text under a header, column widths fitted to their contents.

    ``highlight`` colors chosen cells: ``{(row, col): color}`` with row 0 = first body row.
    """

    def __init__(self, header: Sequence[str], rows: Sequence[Sequence[str]], *, font_size: float = theme.LABEL_SIZE,
                 row_height: float = 0.55, pad: float = 0.3, highlight: dict[tuple[int, int], str] | None = None,
                 max_width: float | None = None) -> None:
        if any(len(r) != len(header) for r in rows):
            raise ValueError("every row needs one cell per header column")
        super().__init__()
        highlight = highlight or {}
        head = [label(h, font_size=font_size, color=theme.MUTED, weight="BOLD") for h in header]
        body = [[label(c, font_size=font_size, color=highlight.get((i, j), theme.TEXT)) for j, c in enumerate(r)]
                for i, r in enumerate(rows)]
        widths = [max(cell.width for cell in [head[j]] + [r[j] for r in body]) + pad for j in range(len(header))]
        total_w = sum(widths)
        x_starts = [sum(widths[:j]) - total_w / 2 for j in range(len(widths))]
        self.rows_group = VGroup()
        for i, cells in enumerate([head] + body):
            y = -i * row_height
            for j, cell in enumerate(cells):
                cell.move_to([x_starts[j] + pad / 2 + cell.width / 2, y, 0])
                _sit_on_baseline(cell, y - row_height * 0.22, font_size=font_size, weight="BOLD" if i == 0 else "NORMAL")
            self.rows_group.add(VGroup(*cells))
        band = Rectangle(width=total_w, height=row_height, fill_color=theme.PANEL, fill_opacity=1.0, stroke_width=0)
        rule = Line([-total_w / 2, -row_height / 2, 0], [total_w / 2, -row_height / 2, 0], stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE)
        self.add(band, rule, self.rows_group)
        if max_width is not None and self.width > max_width:
            self.scale_to_fit_width(max_width)

    def row(self, i: int) -> VGroup:
        """Body row ``i`` (0-based, header excluded)."""
        return self.rows_group[i + 1]
