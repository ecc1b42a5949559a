"""Numbers laid out as pictures: a heatmap of a matrix, a signed vector as bars, an equation line.

* :class:`MatrixHeatmap`: cells coloured on a sequential ramp, the value printed in each
  cell (text switching between dark and light for contrast), row and column labels,
  masked cells hatched, one highlight frame around a row, a column or a cell.
* :class:`VectorBars`: a signed vector as bars up and down from a zero line, each with
  its value printed at the bar's end.
* :class:`BarRows`: named values as horizontal bars left and right of a zero line, one row
  each, the value printed at the bar's end.
* :class:`EquationLine`: a row of terms in the monospace font, one of them highlighted
  (coloured and underlined, so the mark does not rest on colour alone).

The ramp (:data:`RAMP`) is a viridis-like sequential scale: dark violet through teal to
yellow, ordered in lightness, so it reads the same under the common colour-vision
deficiencies and in greyscale. It is defined here because the theme's palette is
categorical. Every widget changes in place (``set_*`` methods restyle the parts built
once), so an updater that is a pure function of a clock can drive it. Build each at the
size it is shown at and move it, never scale it: changed numbers are drawn at the built
font size.

Example::

    heat = MatrixHeatmap([[0.1, 0.9], [None, 0.5]], row_labels=["a", "b"], col_labels=["x", "y"])
    layout.MAIN.place(heat, fit=False)
    heat.set_highlight(row=1)
    bars = VectorBars([0.53, -1.44, 1.02], max_abs=1.5)
    rows = BarRows(["a", "b"], [0.4, -0.2], signed=True)
    line = EquationLine(["0.741", "×", "0.187", "=", "0.139"])
    line.set_terms(line.terms, highlight=4)
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Line, Rectangle, VectorizedPoint, VGroup, VMobject

from scenes.kit import theme
from scenes.kit.text import SwapText, label, mono

__all__ = ["RAMP", "BarRows", "EquationLine", "MatrixHeatmap", "VectorBars", "contrast_text", "distinct_digits", "ramp_color",
           "significant"]

#: Sequential colour ramp (viridis-like, low to high). Its darkest stop is lifted off the background.
RAMP = ("#46337E", "#365C8D", "#277F8E", "#1FA187", "#4AC16D", "#A0DA39", "#FDE725")
#: Relative luminance above which a cell's text is dark instead of light.
LIGHT_CELL = 0.3


def _rgb(hex_color: str) -> tuple[float, float, float]:
    h = hex_color.lstrip("#")
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _hex(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02X}" for c in rgb)


def ramp_color(fraction: float) -> str:
    """The ramp's colour at ``fraction`` (clamped to [0, 1]; 0 = low end) as a hex string."""
    f = max(0.0, min(1.0, float(fraction))) * (len(RAMP) - 1)
    i = min(int(f), len(RAMP) - 2)
    a, b = _rgb(RAMP[i]), _rgb(RAMP[i + 1])
    t = f - i
    return _hex([x + (y - x) * t for x, y in zip(a, b)])


def _luminance(hex_color: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(hex_color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_text(fill: str) -> str:
    """The theme's dark or light text colour, whichever reads better on ``fill``."""
    return theme.BACKGROUND if _luminance(fill) > LIGHT_CELL else theme.TEXT


def significant(value: float, digits: int = 3, *, trim: bool = False) -> str:
    """``value`` rounded to ``digits`` significant digits, in plain decimal notation (never 1e-05), with a
    true minus sign; ``trim`` drops trailing zeros (0.150 -> 0.15, 0.100 -> 0.1)."""
    if digits < 1:
        raise ValueError(f"digits must be >= 1, got {digits}")
    if value == 0 or not math.isfinite(value):
        return f"{value:.{digits - 1}f}" if value == 0 else str(value)
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:.{decimals}f}"
    if len(text.lstrip("-").replace(".", "").lstrip("0")) > digits and decimals > 0:  # rounding carried: 0.0999 -> 0.100
        text = f"{value:.{decimals - 1}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "−" + text[1:] if text.startswith("-") else text


def distinct_digits(values: Sequence[float], *, start: int = 3, most: int = 8, trim: bool = True) -> int:
    """The fewest significant digits (from ``start`` up to ``most``) with which :func:`significant` prints
    ``values`` all differently (``most`` if none does): for showing a small change, or answer choices."""
    if not 1 <= start <= most:
        raise ValueError(f"need 1 <= start <= most, got {start}, {most}")
    for d in range(start, most + 1):
        if len({significant(v, d, trim=trim) for v in values}) == len(values):
            return d
    return most


def _fixed(decimals: int) -> Callable[[float], str]:
    def fmt(value: float) -> str:
        text = f"{value:.{decimals}f}"
        return "−" + text[1:] if text.startswith("-") else text
    return fmt


class MatrixHeatmap(VGroup):
    """A matrix as coloured cells with their values, row and column labels, masked cells and a highlight.

    Parameters
    ----------
    values
        Rows of numbers; ``None`` marks a masked cell (hatched, no value).
    row_labels, col_labels
        Names left of the rows and above the columns (empty: none).
    value_range
        ``(low, high)`` mapped to the ends of the ramp (default: the unmasked values' min and max).
    cell_width, cell_height
        Cell size in frame units (a column widens to fit its label and, when printed, the first values).
    show_values
        Print each value in its cell (False: colour only, for large tables).
    fmt
        Formats a value for its cell (default: two decimals).
    font_size
        Size of the cell values and labels.

    Example::

        heat = MatrixHeatmap(table, row_labels=names, col_labels=names, fmt=significant)
        heat.set_values(other_table, value_range=(0.0, 1.0))   # recolour in place
        heat.set_highlight(row=2)
    """

    def __init__(self, values: Sequence[Sequence[float | None]], *, row_labels: Sequence[str] = (),
                 col_labels: Sequence[str] = (), value_range: tuple[float, float] | None = None,
                 cell_width: float = 0.8, cell_height: float = 0.5, show_values: bool = True,
                 fmt: Callable[[float], str] | None = None, font_size: float = theme.MIN_FONT_SIZE) -> None:
        if not values or not values[0] or any(len(r) != len(values[0]) for r in values):
            raise ValueError("MatrixHeatmap needs a non-empty rectangular matrix")
        if row_labels and len(row_labels) != len(values):
            raise ValueError(f"{len(row_labels)} row labels for {len(values)} rows")
        if col_labels and len(col_labels) != len(values[0]):
            raise ValueError(f"{len(col_labels)} column labels for {len(values[0])} columns")
        if cell_width <= 0 or cell_height <= 0:
            raise ValueError(f"cells need a positive size, got {cell_width} x {cell_height}")
        super().__init__()
        self.n_rows, self.n_cols = len(values), len(values[0])
        self.show_values, self.fmt = show_values, fmt or _fixed(2)
        col_texts = [label(t, font_size=font_size, color=theme.MUTED) for t in col_labels]
        printed = [mono(self.fmt(v), font_size=font_size) for r in values for v in r if v is not None] if show_values else []
        # a column is as wide as its name and its printed values
        cell_width = max([cell_width] + [t.width + 0.12 for t in col_texts + printed])
        self.cell_width, self.cell_height = cell_width, cell_height
        self.cells = VGroup()
        self.texts = VGroup()
        self.hatches = VGroup()
        for i in range(self.n_rows):
            for j in range(self.n_cols):
                x, y = (j + 0.5) * cell_width, -(i + 0.5) * cell_height
                cell = Rectangle(width=cell_width, height=cell_height, stroke_color=theme.BACKGROUND,
                                 stroke_width=theme.THIN_STROKE, fill_opacity=1.0).move_to([x, y, 0])
                self.cells.add(cell)
                self.texts.add(SwapText("0", font_size=font_size).move_to([x, y, 0]))
                self.hatches.add(self._hatch(x, y))
        self.row_labels = VGroup(*[label(t, font_size=font_size, color=theme.MUTED) for t in row_labels])
        for i, text in enumerate(self.row_labels):
            text.next_to([0, -(i + 0.5) * cell_height, 0], LEFT, buff=0.12)
        self.col_labels = VGroup(*col_texts)
        for j, text in enumerate(self.col_labels):
            text.next_to([(j + 0.5) * cell_width, 0, 0], UP, buff=0.1)
        self.frame = VMobject(stroke_color=theme.HIGHLIGHT, stroke_width=theme.STROKE, fill_opacity=0.0)
        self.add(self.cells, self.hatches, self.texts, self.row_labels, self.col_labels, self.frame)
        self.values: list[list[float | None]] = []
        self.set_values(values, value_range=value_range)
        self.set_highlight()

    def _hatch(self, x: float, y: float) -> VGroup:
        w, h = self.cell_width / 2, self.cell_height / 2
        lines = VGroup(*[Line([x - w + w * k, y - h, 0], [x - w + w * k + 2 * h, y + h, 0])
                         for k in (0.0, 0.6, 1.2) if x - w + w * k + 2 * h <= x + w + 1e-9] or
                       [Line([x - w, y - h, 0], [x + w, y + h, 0])])
        return lines.set_stroke(color=theme.MUTED, width=theme.THIN_STROKE, opacity=0.0)

    def index(self, row: int, col: int) -> int:
        if not (0 <= row < self.n_rows and 0 <= col < self.n_cols):
            raise ValueError(f"cell ({row}, {col}) is outside a {self.n_rows} x {self.n_cols} matrix")
        return row * self.n_cols + col

    def cell(self, row: int, col: int) -> Rectangle:
        """The rectangle of one cell (to point arrows at it or align other things with it)."""
        return self.cells[self.index(row, col)]

    def row_center(self, row: int) -> np.ndarray:
        return VGroup(*[self.cell(row, j) for j in range(self.n_cols)]).get_center()

    def color_of(self, value: float, value_range: tuple[float, float]) -> str:
        low, high = value_range
        return ramp_color(0.5 if high <= low else (value - low) / (high - low))

    def set_values(self, values: Sequence[Sequence[float | None]], *, value_range: tuple[float, float] | None = None,
                   shown: Sequence[Sequence[bool]] | None = None, dim: Sequence[Sequence[bool]] | None = None,
                   printed: Sequence[Sequence[bool]] | None = None) -> MatrixHeatmap:
        """Show ``values`` (same shape; ``None`` = masked). ``shown`` False leaves a cell empty (outline only);
        ``dim`` True fades a cell back; ``printed`` False leaves a cell's colour without its number."""
        if len(values) != self.n_rows or any(len(r) != self.n_cols for r in values):
            raise ValueError(f"expected a {self.n_rows} x {self.n_cols} matrix")
        live = [v for r in values for v in r if v is not None]
        value_range = value_range or ((min(live), max(live)) if live else (0.0, 1.0))
        self.values = [list(r) for r in values]
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                k = i * self.n_cols + j
                cell, text, hatch = self.cells[k], self.texts[k], self.hatches[k]
                visible = shown is None or shown[i][j]
                faded = dim is not None and dim[i][j]
                if not visible:
                    cell.set_fill(theme.PANEL, opacity=0.0).set_stroke(theme.GRID, opacity=1.0)
                    text.set_opacity(0.0)
                    hatch.set_stroke(opacity=0.0)
                    continue
                cell.set_stroke(theme.BACKGROUND, opacity=1.0)
                if value is None:
                    cell.set_fill(theme.PANEL, opacity=1.0)
                    text.set_opacity(0.0)
                    hatch.set_stroke(opacity=theme.DIM_OPACITY * 2 if faded else 1.0)
                    continue
                fill = self.color_of(value, value_range)
                cell.set_fill(fill, opacity=theme.DIM_OPACITY if faded else 1.0)
                hatch.set_stroke(opacity=0.0)
                if self.show_values and (printed is None or printed[i][j]):
                    text.set_text(self.fmt(value), theme.MUTED if faded else contrast_text(fill))
                    text.move_to(cell.get_center())
                    text.set_opacity(1.0)
                else:
                    text.set_opacity(0.0)
        return self

    def set_highlight(self, *, row: int | None = None, col: int | None = None,
                      cell: tuple[int, int] | None = None) -> MatrixHeatmap:
        """Frame one row, one column or one cell (nothing when all are None)."""
        if sum(x is not None for x in (row, col, cell)) > 1:
            raise ValueError("highlight one row, one column or one cell at a time")
        if row is None and col is None and cell is None:
            self.frame.set_stroke(opacity=0.0)
            return self
        if row is not None:
            first, last = self.cell(row, 0), self.cell(row, self.n_cols - 1)
        elif col is not None:
            first, last = self.cell(0, col), self.cell(self.n_rows - 1, col)
        else:
            first = last = self.cell(*cell)  # type: ignore[misc]
        left, top = first.get_corner(UP + LEFT)[:2]
        right, bottom = last.get_corner(DOWN + RIGHT)[:2]
        pad = 0.03
        self.frame.set_points_as_corners([[left - pad, top + pad, 0], [right + pad, top + pad, 0],
                                          [right + pad, bottom - pad, 0], [left - pad, bottom - pad, 0],
                                          [left - pad, top + pad, 0]])
        self.frame.set_stroke(opacity=1.0)
        return self


class VectorBars(VGroup):
    """A signed vector as bars from a zero line (up for positive, down for negative), values printed at the ends.

    The sign is told by direction and by the printed minus sign, not by colour.

    Parameters
    ----------
    values
        The entries (their count is fixed for the widget's life).
    max_abs
        The magnitude that fills ``half_height`` (default: the largest entry's magnitude).
    half_height
        Height of a bar of magnitude ``max_abs``.
    bar_width, slot
        Width of one bar, and of the slot each bar sits in (default: wide enough for the printed values).
    color
        Bar colour.
    fmt
        Formats a value for printing (default: two decimals).
    labels
        Optional names under the zero line, one per entry (e.g. ``q1``, ``q2``).
    show_values
        Print the values (False: bars only, for many small vectors side by side).

    Example::

        bars = VectorBars([0.53, 0.81, -1.44, 1.02], max_abs=1.5)
        bars.set_values([0.26, 0.94, 0.0, 0.0])
        bars.grow(0.5)   # half-grown, values hidden until fully grown
    """

    def __init__(self, values: Sequence[float], *, max_abs: float | None = None, half_height: float = 0.7,
                 bar_width: float = 0.3, slot: float | None = None, color: str = theme.NODE,
                 fmt: Callable[[float], str] | None = None, labels: Sequence[str] = (),
                 font_size: float = theme.MIN_FONT_SIZE, show_values: bool = True) -> None:
        if not values:
            raise ValueError("VectorBars needs at least one value")
        if labels and len(labels) != len(values):
            raise ValueError(f"{len(labels)} labels for {len(values)} values")
        if half_height <= 0 or bar_width <= 0:
            raise ValueError("half_height and bar_width must be positive")
        self.max_abs = float(max_abs if max_abs is not None else max(abs(v) for v in values) or 1.0)
        if self.max_abs <= 0:
            raise ValueError(f"max_abs must be positive, got {max_abs}")
        super().__init__()
        self.fmt, self.show_values = fmt or _fixed(2), show_values
        self.half_height, self.bar_width, self.color_ = half_height, bar_width, color
        sample = max(mono(self.fmt(v), font_size=font_size).width for v in [*values, -self.max_abs]) if show_values else 0.0
        self.slot = slot if slot is not None else max(bar_width * 1.5, sample + 0.2)
        n = len(values)
        self.n = n
        width = self.slot * n
        self.zero_line = Line([-width / 2, 0, 0], [width / 2, 0, 0], stroke_color=theme.GRID,
                              stroke_width=theme.THIN_STROKE)
        self.bars = VGroup(*[VMobject(stroke_width=0, fill_color=color, fill_opacity=0.9) for _ in range(n)])
        self.texts = VGroup(*[SwapText("0", font_size=font_size) for _ in range(n)])
        self.anchors = VGroup(*[VectorizedPoint([-width / 2 + self.slot * (k + 0.5), 0, 0]) for k in range(n)])
        self.names = VGroup(*[label(t, font_size=font_size, color=theme.MUTED) for t in labels])
        self.add(self.zero_line, self.bars, self.texts, self.anchors, self.names)
        self.values = list(values)
        self.fraction = 1.0
        self.set_values(values)

    def place_zero(self, point: Sequence[float]) -> VectorBars:
        """Move the bars so that the middle of the zero line is at ``point`` (vectors side by side line up)."""
        return self.shift(np.asarray(point, dtype=float) - self.zero_line.get_center())

    def x_of(self, k: int) -> float:
        """Frame x of bar ``k``'s centre."""
        return float(self.anchors[k].get_center()[0])

    def _place_names(self) -> None:
        y0 = self.zero_line.get_center()[1]
        low = y0 - max([self.half_height * min(abs(v), self.max_abs) / self.max_abs for v in self.values if v < 0],
                       default=0.0)
        for k, name in enumerate(self.names):
            name.move_to([self.x_of(k), low - 0.45 - name.height / 2, 0])

    def set_values(self, values: Sequence[float], *, color: str | None = None) -> VectorBars:
        """Show ``values`` (same length), bars drawn at the current grow fraction."""
        if len(values) != self.n:
            raise ValueError(f"expected {self.n} values, got {len(values)}")
        self.values = list(values)
        if color is not None:
            self.color_ = color
        return self.grow(self.fraction)

    def grow(self, fraction: float) -> VectorBars:
        """Draw the bars at ``fraction`` of their length (0..1; 0 hides them); the values show only at full length."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"fraction must be in [0, 1], got {fraction}")
        self.fraction = float(fraction)
        y0 = self.zero_line.get_center()[1]
        scale = self.zero_line.get_length() / (self.slot * self.n)  # if the group was scaled after building
        for k, (bar, text, value) in enumerate(zip(self.bars, self.texts, self.values)):
            x = self.x_of(k)
            h = self.half_height * scale * min(abs(value), self.max_abs) / self.max_abs * fraction
            sign = 1.0 if value >= 0 else -1.0
            w = self.bar_width * scale / 2
            top = y0 + sign * max(h, 0.004)
            bar.set_points_as_corners([[x - w, y0, 0], [x + w, y0, 0], [x + w, top, 0], [x - w, top, 0], [x - w, y0, 0]])
            bar.set_fill(self.color_, opacity=0.9 if fraction > 0 else 0.0)
            text.set_text(self.fmt(value))
            text.move_to([x, top + sign * (0.08 + text.height / 2), 0])
            text.set_opacity(1.0 if fraction >= 1.0 and self.show_values else 0.0)
        self._place_names()
        return self


class BarRows(VGroup):
    """Named values as horizontal bars from a shared zero line (right for positive, left for negative),
    one row each, the value printed beyond the bar's end.

    Parameters
    ----------
    names
        One row per name, top to bottom.
    values
        The first values (one per name).
    max_abs
        The magnitude that fills ``length`` (default: the largest magnitude of ``values``).
    length
        Bar length of ``max_abs``, either side of the zero line (a row reserves room both ways only
        when ``signed``).
    signed
        Leave room left of the zero line for negative values.
    fmt
        Formats a value for printing (default: two decimals).
    row_height
        Vertical pitch of the rows.

    Example::

        rows = BarRows(["a", "b", "c"], [-0.29, 1.26, -1.1], max_abs=2.0, signed=True)
        rows.set_values([0.12, 0.56, 0.05])            # bars and numbers change in place
        rows.set_values([0.3, 0.9, -0.2], printed=False)  # bars only (an in-between state)
    """

    def __init__(self, names: Sequence[str], values: Sequence[float], *, max_abs: float | None = None,
                 length: float = 2.0, signed: bool = False, fmt: Callable[[float], str] | None = None,
                 row_height: float = 0.42, color: str = theme.NODE, font_size: float = theme.MIN_FONT_SIZE) -> None:
        if not names or len(names) != len(values):
            raise ValueError("BarRows needs one value per name, and at least one")
        if length <= 0 or row_height <= 0:
            raise ValueError("length and row_height must be positive")
        self.max_abs = float(max_abs if max_abs is not None else max(abs(v) for v in values) or 1.0)
        if self.max_abs <= 0:
            raise ValueError(f"max_abs must be positive, got {max_abs}")
        super().__init__()
        self.fmt, self.length, self.color_, self.n = fmt or _fixed(2), length, color, len(names)
        self.names = VGroup(*[label(t, font_size=font_size, color=theme.MUTED) for t in names])
        # names end left of the zero line, beyond the longest negative bar and its number when signed
        room = 0.2 + (length + mono(self.fmt(-self.max_abs), font_size=font_size).width + 0.1 if signed else 0.0)
        for i, name in enumerate(self.names):
            name.move_to([-room - name.width / 2, -i * row_height, 0])
        self.zero_line = Line([0, row_height / 2, 0], [0, -(self.n - 0.5) * row_height, 0],
                              stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE)
        self.bars = VGroup(*[VMobject(stroke_width=0, fill_color=color, fill_opacity=0.9) for _ in names])
        self.texts = VGroup(*[SwapText("0", font_size=font_size) for _ in names])
        self.row_height = row_height
        self.add(self.zero_line, self.names, self.bars, self.texts)
        self.values: list[float] = []
        self.set_values(values)

    def set_values(self, values: Sequence[float], *, printed: bool = True, colors: Sequence[str] | None = None,
                   max_abs: float | None = None) -> BarRows:
        """Show ``values`` (one per row); ``printed`` False hides the numbers; ``colors`` recolours rows;
        ``max_abs`` rescales the bars from now on (e.g. from raw values to shares of one)."""
        if len(values) != self.n:
            raise ValueError(f"expected {self.n} values, got {len(values)}")
        if max_abs is not None:
            if max_abs <= 0:
                raise ValueError(f"max_abs must be positive, got {max_abs}")
            self.max_abs = float(max_abs)
        self.values = list(values)
        x0 = self.zero_line.get_center()[0]
        top = self.zero_line.get_top()[1] - self.row_height / 2
        for i, (bar, text, value) in enumerate(zip(self.bars, self.texts, values)):
            y, h = top - i * self.row_height, self.row_height * 0.32
            end = x0 + self.length * max(-1.0, min(1.0, value / self.max_abs))
            if abs(end - x0) < 0.004:
                end = x0 + 0.004
            bar.set_points_as_corners([[x0, y - h, 0], [end, y - h, 0], [end, y + h, 0], [x0, y + h, 0], [x0, y - h, 0]])
            bar.set_fill(colors[i] if colors else self.color_, opacity=0.9)
            text.set_text(self.fmt(value))
            side = 1.0 if end >= x0 else -1.0
            text.move_to([end + side * (0.1 + text.current.width / 2), y, 0])
            text.set_opacity(1.0 if printed else 0.0)
        return self


class EquationLine(VGroup):
    """One line of terms in the monospace font, laid out left to right and centred, one term highlighted.

    The terms are a fixed pool of :class:`~scenes.kit.text.SwapText` slots, so the whole line can be
    replaced in place (``set_terms``) from an updater; unused slots are hidden. The highlighted
    term is drawn in the highlight colour over an underline.

    Parameters
    ----------
    terms
        The first content (at most ``slots`` terms).
    slots
        How many terms the line can ever hold (default: ``len(terms)``).
    font_size
        Size of every term.

    Example::

        line = EquationLine(["y", "=", "0.741", "×", "0.187"], slots=9)
        line.set_terms(["x ←", "0.400", "−", "0.0411"], highlight=1)
    """

    def __init__(self, terms: Sequence[str], *, slots: int | None = None, font_size: float = theme.LABEL_SIZE + 2,
                 gap: float = 0.14) -> None:
        slots = slots if slots is not None else len(terms)
        if slots < 1 or len(terms) > slots:
            raise ValueError(f"{len(terms)} terms do not fit in {slots} slots")
        super().__init__()
        self.gap = gap
        self.center_point = VectorizedPoint([0, 0, 0])
        self.slots = VGroup(*[SwapText("·", font_size=font_size) for _ in range(slots)])
        self.underline = Line(LEFT, RIGHT, stroke_color=theme.HIGHLIGHT, stroke_width=3.0)
        self.add(self.center_point, self.slots, self.underline)
        self.terms: list[str] = []
        self.set_terms(terms)

    def set_terms(self, terms: Sequence[str], *, highlight: int | None = None,
                  color: str = theme.TEXT) -> EquationLine:
        """Replace the line with ``terms`` (centred where the line is), highlighting term ``highlight``."""
        if len(terms) > len(self.slots):
            raise ValueError(f"{len(terms)} terms do not fit in {len(self.slots)} slots")
        if highlight is not None and not 0 <= highlight < len(terms):
            raise ValueError(f"highlight {highlight} is not one of the {len(terms)} terms")
        self.terms = list(terms)
        center = self.center_point.get_center()
        for k, slot in enumerate(self.slots):
            if k < len(terms):
                slot.set_text(terms[k], theme.HIGHLIGHT if k == highlight else color)
                slot.set_opacity(1.0)
            else:
                slot.set_opacity(0.0)
        used = self.slots[:len(terms)]
        total = sum(s.current.width for s in used) + self.gap * max(len(terms) - 1, 0)
        x = center[0] - total / 2
        for slot in used:
            w = slot.current.width
            slot.shift([x + w / 2 - slot.current.get_center()[0], center[1] - slot.anchor.get_center()[1], 0])
            x += w + self.gap
        if highlight is None or not terms:
            self.underline.set_stroke(opacity=0.0)
        else:
            term = self.slots[highlight].current
            y = center[1] - 0.24
            self.underline.put_start_and_end_on([term.get_left()[0], y, 0], [term.get_right()[0], y, 0])
            self.underline.set_stroke(opacity=1.0)
        return self
