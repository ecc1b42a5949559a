"""The Kafka vocabulary shared by the streaming explainers: brokers, partition logs, clients, ownership.

One role keeps one colour in every Kafka explainer (always with a shape or a label as well):

=======================  ==============================  ===============================================
role                     colour (``scenes.kit.theme``)   shape / label
=======================  ==============================  ===============================================
producer, its records    :data:`PRODUCER` = MESSAGE      box "producer"; record dots and cells
consumer                 :data:`CONSUMER` = ACCENT       box named c1 ...; its position pointer
broker, leader           :data:`BROKER` = NODE           :class:`BrokerBox`, badge "leader"
follower replica         :data:`FOLLOWER` = TEXT         :class:`BrokerBox`, badge "follower"
group / txn coordinator  :data:`COORDINATOR` = HIGHLIGHT  :class:`CoordinatorNode` with a detail line
offset pointers, ISR     :data:`OFFSET` = SUCCESS        triangle labelled "HW", "LSO" ...; ISR outline
failure                  theme.FAILURE                   CrashBolt, cross, struck cell
no key, idle, paused     theme.MUTED                     grey "null" cell, dimmed node, hollow tile
=======================  ==============================  ===============================================

A record cell is *solid* (filled) once it is replicated or committed and *hollow* (outline only)
before; a struck cell (red outline and a line through) is lost or truncated. A consumer's position
pointer takes the consumer's colour; broker-side offsets (high watermark, last stable offset) take
:data:`OFFSET`, the colour of the ISR outline, since both mean "safe to read up to here".

Every component changes in place (``set_*`` methods), so an updater that is a pure function of a
clock can drive it. :class:`PartitionLog` exposes its cells (:meth:`PartitionLog.cell`, their
positions :meth:`PartitionLog.cell_center` and :meth:`PartitionLog.boundary_x`) and
:meth:`PartitionLog.restyle`, so later pieces (segment brackets, a cleaner's sweep, transaction
markers) draw on top of a log without changing this module.

Manim redraws only what carries an updater (or sits in a group that does) on every frame; the rest
is drawn once per play. Attach the clock updater to a group that holds every part it changes.

Example::

    broker = BrokerBox("broker", width=9.0, height=3.4)
    logs = [PartitionLog(8, name=f"P{p}") for p in range(3)]
    hw = logs[0].add_pointer("HW", color=OFFSET)           # pointers are made before the scene runs
    logs[0].set_records([Record("alice", "#0"), Record("bob", "#1", solid=False)])
    logs[0].set_pointer("HW", 1)                            # records below offset 1 are safe
    logs[0].add_updater(lambda m: m.set_pointer("HW", hw_at(clock.get_value())))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Line, Mobject, Polygon, Rectangle, RoundedRectangle, VGroup, VMobject

from scenes.kit import theme
from scenes.kit.layout import Region
from scenes.kit.nodes import ClientNode
from scenes.kit.text import SwapText, label, stack

__all__ = [
    "PRODUCER", "CONSUMER", "BROKER", "FOLLOWER", "COORDINATOR", "OFFSET", "ROLE_COLORS",
    "AckMark", "AssignmentArrows", "BrokerBox", "ConsumerNode", "CoordinatorNode", "ISROutline", "OffsetCell", "OffsetPointer",
    "PartitionLog", "PartitionTile", "ProducerNode", "Record", "count_choices",
]

PRODUCER = theme.MESSAGE
CONSUMER = theme.ACCENT
BROKER = theme.NODE
FOLLOWER = theme.TEXT
COORDINATOR = theme.HIGHLIGHT
OFFSET = theme.SUCCESS
#: role name -> colour, for legends and for scenes that pick a colour by role name
ROLE_COLORS = {"producer": PRODUCER, "consumer": CONSUMER, "broker": BROKER, "leader": BROKER,
               "follower": FOLLOWER, "coordinator": COORDINATOR, "offset": OFFSET}
DIM = theme.DIM_OPACITY + 0.15


def count_choices(answer: int, top: int, *, size: int = 5) -> list[int]:
    """Up to ``size`` consecutive counts from ``0..top`` that include ``answer``: the choices of a
    "how many ...?" checkpoint (``count_choices(4, 5)`` is ``[1, 2, 3, 4, 5]``)."""
    if not 0 <= answer <= top or size < 2:
        raise ValueError(f"count_choices needs 0 <= answer <= top and size >= 2, got {answer}, {top}, {size}")
    low = max(0, min(answer - size // 2, top - size + 1))
    return list(range(low, min(top, low + size - 1) + 1))


def _box_edge_point(center: np.ndarray, half_w: float, half_h: float, toward: np.ndarray, gap: float) -> np.ndarray:
    vect = np.asarray(toward, dtype=float) - center
    if np.linalg.norm(vect) < 1e-9:
        raise ValueError("edge_point needs a target away from the box's center")
    scale = min(half_w / abs(vect[0]) if abs(vect[0]) > 1e-9 else np.inf,
                half_h / abs(vect[1]) if abs(vect[1]) > 1e-9 else np.inf)
    return center + vect * scale + vect / np.linalg.norm(vect) * gap


# --- containers and nodes ----------------------------------------------------------------------------
class BrokerBox(VGroup):
    """A broker: a framed panel with its name at the top left and an optional role badge at the top right.

    What the broker holds (partition logs) is placed by the scene inside :attr:`content`, the
    panel's inner region below the title band.

    Parameters
    ----------
    name
        Drawn bold at the top left ("broker", "B1").
    width, height
        Size of the panel.
    color
        Frame colour (default :data:`BROKER`; :data:`FOLLOWER` for a follower).
    badge
        Role text at the top right ("leader", "follower"); empty for none.

    Example::

        box = BrokerBox("B1", width=6, height=1.4, badge="leader").move_to(layout.MAIN.center)
        log = PartitionLog(8); box.content.place(log)
        box.set_state(badge="crashed", dimmed=True)
    """

    TITLE_BAND = 0.42

    def __init__(self, name: str, *, width: float, height: float, color: str = BROKER, badge: str = "") -> None:
        if not name.strip():
            raise ValueError("a BrokerBox needs a name")
        if width <= 0 or height <= self.TITLE_BAND + 0.2:
            raise ValueError(f"a BrokerBox needs a positive width and a height above {self.TITLE_BAND + 0.2}, "
                             f"got {width} x {height}")
        super().__init__()
        self.color_, self.dimmed = color, False
        self.frame = RoundedRectangle(corner_radius=0.16, width=width, height=height, fill_color=theme.PANEL,
                                      fill_opacity=0.55, stroke_color=color, stroke_width=theme.THIN_STROKE + 0.5)
        self.name_text = label(name, font_size=theme.LABEL_SIZE, color=color, weight="BOLD")
        self.name_text.move_to(self.frame.get_corner(UP + LEFT) + np.array([0.18, -0.22, 0]), aligned_edge=LEFT)
        self.add(self.frame, self.name_text)
        self.badge: VGroup | None = None
        if badge:
            text = SwapText(badge, font_size=theme.MIN_FONT_SIZE, color=color, monospace=False)
            frame = RoundedRectangle(corner_radius=0.1, width=text.width + 0.26, height=0.3, fill_color=theme.BACKGROUND,
                                     fill_opacity=1.0, stroke_color=color, stroke_width=theme.THIN_STROKE)
            text.move_to(frame)
            self.badge = VGroup(frame, text)
            self.badge.move_to(self.frame.get_corner(UP + RIGHT) + np.array([-0.15, -0.22, 0]), aligned_edge=RIGHT)
            self.add(self.badge)

    @property
    def content(self) -> Region:
        """The inner region below the title band, where the broker's logs go."""
        left, right = self.frame.get_left()[0] + 0.15, self.frame.get_right()[0] - 0.15
        return Region(left, right, self.frame.get_bottom()[1] + 0.12, self.frame.get_top()[1] - self.TITLE_BAND)

    @property
    def badge_text(self) -> str:
        return self.badge[1].text if self.badge is not None else ""

    def set_state(self, *, badge: str | None = None, color: str | None = None, dimmed: bool | None = None) -> BrokerBox:
        """Change the badge text, the frame colour and/or the dimmed look (a broker that is down), in place."""
        if badge is not None and self.badge is None:
            raise ValueError("this BrokerBox was built without a badge")
        if color is not None:
            self.color_ = color
        if dimmed is not None:
            self.dimmed = dimmed
        k = DIM if self.dimmed else 1.0
        shown = theme.MUTED if self.dimmed else self.color_
        self.frame.set_stroke(color=shown, opacity=k)
        self.name_text.set_fill(color=shown, opacity=k)
        if self.badge is not None:
            frame, text = self.badge
            right = frame.get_right()
            text.set_text(badge if badge is not None else text.text, shown)
            frame.stretch_to_fit_width(text.current.width + 0.26).move_to(right, aligned_edge=RIGHT)
            text.move_to(frame)
            frame.set_stroke(color=shown, opacity=k)
            text.set_opacity(k)
        return self

    def edge_point(self, toward: np.ndarray, *, gap: float = 0.05) -> np.ndarray:
        """Where a line from the panel's center towards ``toward`` leaves it."""
        return _box_edge_point(self.frame.get_center(), self.frame.width / 2, self.frame.height / 2, toward, gap)


class ProducerNode(ClientNode):
    """The producer: a client box in :data:`PRODUCER` colour. ``set_state(dimmed=True)`` greys it."""

    def __init__(self, name: str = "producer", *, width: float | None = None, height: float = 0.7) -> None:
        super().__init__(name, color=PRODUCER, width=width, height=height)
        self.color_ = PRODUCER

    def set_state(self, *, dimmed: bool = False) -> ProducerNode:
        k = DIM if dimmed else 1.0
        self.box.set_stroke(color=theme.MUTED if dimmed else self.color_, opacity=k)
        self.name_text.set_fill(opacity=k)
        return self


class ConsumerNode(ClientNode):
    """A consumer: a client box in :data:`CONSUMER` colour, optionally tall enough to hold partition tiles.

    ``detail`` adds a changeable text at the right inside the box ("read 7", "lag 3"; the name then
    sits at the left). With ``height`` above 1, the name moves to the top and :attr:`content` is the
    room under it (for :class:`PartitionTile` objects); :meth:`tile_points` gives places there.
    ``set_state(dimmed=True)`` greys it (a member that left or crashed); ``badge`` is a small word
    under the box (at the top right of a tall one): "leader", "idle".
    """

    def __init__(self, name: str, *, width: float | None = None, height: float = 0.7, badge: str = "",
                 detail: str = "") -> None:
        if detail and width is None:
            width = label(name, font_size=theme.LABEL_SIZE).width + label(detail, font_size=theme.MIN_FONT_SIZE).width + 0.8
        super().__init__(name, color=CONSUMER, width=width, height=height)
        self.color_, self.dimmed = CONSUMER, False
        self.name_text.set_fill(color=theme.TEXT)
        self.tall = height > 1.0
        if self.tall:
            self.name_text.move_to(self.box.get_corner(UP + LEFT) + np.array([0.2, -0.26, 0]), aligned_edge=LEFT)
        self.detail: SwapText | None = None
        self.detail_text = detail
        if detail:
            self.name_text.move_to(self.box.get_left() + RIGHT * 0.2, aligned_edge=LEFT).set_y(
                self.name_text.get_y())
            self.detail = SwapText(detail, font_size=theme.MIN_FONT_SIZE, color=theme.TEXT, monospace=False)
            self.add(self.detail)
            self._place_detail()
        self.badge = SwapText(badge or "·", font_size=theme.MIN_FONT_SIZE, color=CONSUMER, monospace=False)
        self.badge.set_opacity(1.0 if badge else 0.0)
        self.badge_text = badge
        self._place_badge()
        self.add(self.badge)

    def _place_detail(self) -> None:
        self.detail.move_to([self.box.get_right()[0] - 0.18 - self.detail.current.width / 2, self.name_text.get_y(), 0])

    def _place_badge(self) -> None:
        if self.tall:
            self.badge.next_to(self.box.get_corner(UP + RIGHT), DOWN + LEFT, buff=0.1)
        else:
            self.badge.next_to(self.box, DOWN, buff=0.08)

    @property
    def content(self) -> Region:
        """Room for tiles: under the name of a tall box (the whole box of a short one)."""
        top = self.name_text.get_bottom()[1] - 0.08 if self.tall else self.box.get_top()[1]
        return Region(self.box.get_left()[0] + 0.08, self.box.get_right()[0] - 0.08, self.box.get_bottom()[1] + 0.08, top)

    def tile_points(self, n: int, *, per_row: int = 2) -> list[np.ndarray]:
        """Centers for ``n`` tiles, ``per_row`` to a row, filling :attr:`content` from the top left."""
        if n < 1 or per_row < 1:
            raise ValueError(f"tile_points needs n >= 1 and per_row >= 1, got {n}, {per_row}")
        rows = -(-n // per_row)
        return self.content.grid(rows, per_row)[:n]

    def set_state(self, *, dimmed: bool | None = None, badge: str | None = None,
                  detail: str | None = None) -> ConsumerNode:
        """Grey the box (``dimmed``), change the badge word and/or the detail text ("" hides either), in place."""
        if detail is not None and self.detail is None:
            raise ValueError("this ConsumerNode was built without a detail text")
        if dimmed is not None:
            self.dimmed = dimmed
        k = DIM if self.dimmed else 1.0
        self.box.set_stroke(color=theme.MUTED if self.dimmed else self.color_, opacity=k)
        self.name_text.set_fill(opacity=k)
        if badge is not None and badge != self.badge_text:
            self.badge_text = badge
            self.badge.set_text(badge or "·")
            self._place_badge()
        self.badge.set_opacity(k if self.badge_text else 0.0)
        if self.detail is not None:
            if detail is not None:
                self.detail_text = detail
                if detail and detail != self.detail.text:
                    self.detail.set_text(detail)
                    self._place_detail()
            self.detail.set_opacity(k if self.detail_text else 0.0)
        return self


class CoordinatorNode(ClientNode):
    """The group (or transaction) coordinator: a client-style box in :data:`COORDINATOR` colour.

    Its name is bold on the first line; ``detail`` is a changeable second line ("gen 3 · Stable"),
    set in place with :meth:`set_state` (as is a dimmed look).
    """

    def __init__(self, name: str = "coordinator", *, detail: str = "", width: float | None = None) -> None:
        bold = label(name, font_size=theme.LABEL_SIZE, weight="BOLD")
        need = max(bold.width, label(detail, font_size=theme.MIN_FONT_SIZE).width if detail else 0.0) + 0.4
        super().__init__(name, color=COORDINATOR, width=max(width or 0.0, need), height=0.95 if detail else 0.7)
        self.color_, self.dimmed = COORDINATOR, False
        self.name_text.become(bold)
        self.detail: SwapText | None = None
        if detail:
            self.detail = SwapText(detail, font_size=theme.MIN_FONT_SIZE, color=COORDINATOR, monospace=False)
            self.name_text.move_to(self.box.get_center() + UP * 0.17)
            self.detail.move_to(self.box.get_center() + DOWN * 0.2)
            self.add(self.detail)
        else:
            self.name_text.move_to(self.box)

    def set_state(self, *, detail: str | None = None, dimmed: bool | None = None) -> CoordinatorNode:
        """Change the detail line and/or the dimmed look, in place."""
        if detail is not None and self.detail is None:
            raise ValueError("this CoordinatorNode was built without a detail line")
        if dimmed is not None:
            self.dimmed = dimmed
        k = DIM if self.dimmed else 1.0
        self.box.set_stroke(color=theme.MUTED if self.dimmed else self.color_, opacity=k)
        self.name_text.set_fill(opacity=k)
        if self.detail is not None:
            if detail is not None:
                self.detail.set_text(detail)
            self.detail.set_opacity(k)
        return self


# --- logs ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    """What one cell of a :class:`PartitionLog` shows.

    Parameters
    ----------
    key
        The first line (a record's key, "null" for none, or an id such as "r3").
    value
        A second, smaller line (a value, a send number "#3"); empty for none.
    solid
        Filled (replicated, committed) when true; hollow outline (not yet) when false.
    color
        Fill or outline colour; None: the log's colour.
    struck
        Red outline and a line through: lost or truncated.
    offset
        The offset printed above the cell; None: the cell's slot index.
    """

    key: str
    value: str = ""
    solid: bool = True
    color: str | None = None
    struck: bool = False
    offset: int | None = None

    def __post_init__(self) -> None:
        if not self.key.strip():
            raise ValueError("a Record needs a key text")


class OffsetCell(VGroup):
    """One slot of a :class:`PartitionLog`: ``box``, ``key`` and ``value`` texts, ``strike`` line, ``offset_label``.

    Public so that other pieces can restyle a cell (:meth:`PartitionLog.restyle`) or draw on it.
    """

    def __init__(self, width: float, height: float, offset_text: str) -> None:
        super().__init__()
        self.box = Rectangle(width=width, height=height, stroke_width=theme.THIN_STROKE + 0.5)
        self.key = SwapText("·", font_size=theme.MIN_FONT_SIZE, monospace=False)
        self.value = SwapText("·", font_size=theme.MIN_FONT_SIZE, monospace=False)
        self.strike = Line(LEFT * (width / 2 - 0.06), RIGHT * (width / 2 - 0.06), stroke_color=theme.FAILURE,
                           stroke_width=3.0)
        self.offset_label = SwapText(offset_text, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
        self.offset_label.next_to(self.box, UP, buff=0.06)
        self.add(self.box, self.key, self.value, self.strike, self.offset_label)
        self.record: Record | None = None
        self.drawn: tuple | None = None  #: what was last drawn (None: redraw on the next set)


class OffsetPointer(VGroup):
    """A small triangle with a label, pointing at a boundary between two cells of a log.

    Built by :meth:`PartitionLog.add_pointer`; moved by :meth:`PartitionLog.set_pointer`.
    """

    def __init__(self, text: str, *, color: str, side: str, text_beside: bool = False) -> None:
        if side not in ("above", "below"):
            raise ValueError(f"a pointer sits 'above' or 'below' its log, got {side!r}")
        super().__init__()
        self.side, self.color_ = side, color
        s = 1.0 if side == "below" else -1.0  # the tip points towards the log
        self.triangle = Polygon([0, 0, 0], [-0.11, -0.19 * s, 0], [0.11, -0.19 * s, 0], fill_color=color,
                                fill_opacity=1.0, stroke_width=0)
        self.text = label(text, font_size=theme.MIN_FONT_SIZE, color=color, weight="BOLD")
        if text_beside:
            self.text.next_to(self.triangle, RIGHT, buff=0.04)
        else:
            self.text.next_to(self.triangle, DOWN if side == "below" else UP, buff=0.03)
        self.add(self.triangle, self.text)
        self.position: float | None = None
        self.visible, self.text_beside = True, text_beside

    @property
    def tip(self) -> np.ndarray:
        return self.triangle.get_vertices()[0]


class PartitionLog(VGroup):
    """One partition's log: a named row of offset cells, with pointers that move along it.

    Parameters
    ----------
    capacity
        Cells in the row (the most records the scene will show in it).
    name
        Drawn left of the row ("P0", "B1"); empty for none.
    cell_width, cell_height, gap
        Size of one cell and the space between two.
    color
        Default record colour (:data:`PRODUCER`: records are the producer's).
    offsets
        Print each cell's offset above it.
    name_width
        Room kept for the name (default: its own width), so several logs line up.

    A slot index (0 ..) is a place in the row; a record's printed offset is its slot unless the
    :class:`Record` gives another (a compacted log keeps its offsets with gaps).
    ``set_records`` shows a whole row; ``set_dimmed`` fades it (a broker that is down).
    Pointers mark *boundaries*: position ``k`` is the left edge of slot ``k`` (a consumer's
    next offset to read, a high watermark: everything left of it is below it); positions may be
    fractional, to glide between two boundaries.
    """

    def __init__(self, capacity: int, *, name: str = "", cell_width: float = 0.8, cell_height: float = 0.6,
                 gap: float = 0.06, color: str = PRODUCER, offsets: bool = True, name_width: float | None = None) -> None:
        if capacity < 1:
            raise ValueError(f"a PartitionLog needs capacity >= 1, got {capacity}")
        if cell_width <= 0 or cell_height <= 0 or gap < 0:
            raise ValueError("a PartitionLog needs a positive cell size and a non-negative gap")
        super().__init__()
        self.capacity, self.color_, self.gap = int(capacity), color, float(gap)
        self.cell_width, self.cell_height = float(cell_width), float(cell_height)
        self.dimmed, self.show_offsets = False, offsets
        self.name_text = label(name, font_size=theme.LABEL_SIZE, weight="BOLD") if name.strip() else VGroup()
        room = (name_width if name_width is not None else self.name_text.width) + (0.2 if name.strip() or name_width else 0)
        if name.strip():
            self.name_text.move_to([room - 0.2 - self.name_text.width / 2, 0, 0])
        self.cells = VGroup(*[OffsetCell(cell_width, cell_height, str(i)) for i in range(self.capacity)])
        for i, cell in enumerate(self.cells):
            cell.shift(np.array([room + cell_width / 2 + i * (cell_width + gap), 0, 0]) - cell.box.get_center())
        self.pointers: dict[str, OffsetPointer] = {}
        self.pointer_group = VGroup()
        self.add(self.name_text, self.cells, self.pointer_group)
        self.set_records([])

    # --- geometry ------------------------------------------------------------------------
    def cell(self, slot: int) -> OffsetCell:
        """The cell at ``slot`` (0-based)."""
        if not 0 <= slot < self.capacity:
            raise ValueError(f"slot {slot} is outside 0..{self.capacity - 1}")
        return self.cells[slot]

    def cell_center(self, slot: int) -> np.ndarray:
        """Center of the cell box at ``slot``."""
        return self.cell(slot).box.get_center()

    def boundary_x(self, position: float) -> float:
        """Frame x of boundary ``position``: the left edge of that slot (``capacity``: the right end).

        Fractional positions interpolate between boundaries.
        """
        if not 0 <= position <= self.capacity:
            raise ValueError(f"position {position} is outside 0..{self.capacity}")
        first = self.cells[0].box.get_left()[0] - self.gap / 2
        return first + position * (self.cell_width + self.gap)

    @property
    def row_top(self) -> float:
        return self.cells[0].box.get_top()[1]

    @property
    def row_bottom(self) -> float:
        return self.cells[0].box.get_bottom()[1]

    def entry_point(self, slot: int) -> np.ndarray:
        """Where a record arriving from above lands on ``slot`` (the top of its box)."""
        return self.cell(slot).box.get_top()

    # --- records -------------------------------------------------------------------------
    def set_records(self, records: Sequence[Record | None]) -> PartitionLog:
        """Show ``records`` in slots 0 .. len - 1 (None: an empty slot); the rest empty."""
        if len(records) > self.capacity:
            raise ValueError(f"{len(records)} records do not fit in a PartitionLog of capacity {self.capacity}")
        for slot, cell in enumerate(self.cells):
            self._draw(slot, cell, records[slot] if slot < len(records) else None)
        return self

    def set_record(self, slot: int, record: Record | None) -> PartitionLog:
        self._draw(slot, self.cell(slot), record)
        return self

    def record_at(self, slot: int) -> Record | None:
        return self.cell(slot).record

    def set_dimmed(self, dimmed: bool) -> PartitionLog:
        """Fade the whole row and its name (its broker is down), or restore it."""
        if dimmed != self.dimmed:
            self.dimmed = dimmed
            self.name_text.set_opacity(DIM if dimmed else 1.0)
            for slot, cell in enumerate(self.cells):
                self._draw(slot, cell, cell.record, force=True)
        return self

    def restyle(self, slot: int, *, fill_color: str | None = None, fill_opacity: float | None = None,
                stroke_color: str | None = None, stroke_opacity: float | None = None, stroke_width: float | None = None,
                text_color: str | None = None) -> OffsetCell:
        """Override a cell's look after :meth:`set_records` (a marker, a cleaner's sweep); returns the cell.

        The override lasts until the next ``set_records``/``set_record``, which redraws the cell from
        its record: call ``restyle`` after it in the same updater.
        """
        cell = self.cell(slot)
        if fill_color is not None or fill_opacity is not None:
            cell.box.set_fill(color=fill_color, opacity=fill_opacity)
        if stroke_color is not None or stroke_opacity is not None or stroke_width is not None:
            cell.box.set_stroke(color=stroke_color, opacity=stroke_opacity, width=stroke_width)
        if text_color is not None:
            for text in (cell.key, cell.value):
                text.set_text(text.text, text_color)
        cell.drawn = None
        return cell

    def _draw(self, slot: int, cell: OffsetCell, record: Record | None, *, force: bool = False) -> None:
        key = (record, self.dimmed)
        if cell.drawn == key and not force:
            return
        cell.record = record
        k = DIM if self.dimmed else 1.0
        center = cell.box.get_center()
        offset_text = str(record.offset if record is not None and record.offset is not None else slot)
        cell.offset_label.set_text(offset_text)
        cell.offset_label.move_to([center[0], cell.offset_label.get_center()[1], 0])
        if record is None:
            cell.box.set_fill(color=theme.BACKGROUND, opacity=0.0)  # a colour too: no trace of what it held
            cell.box.set_stroke(color=theme.GRID, width=theme.THIN_STROKE, opacity=0.6 * k)
            cell.key.set_opacity(0.0)
            cell.value.set_opacity(0.0)
            cell.strike.set_stroke(opacity=0.0)
            cell.offset_label.set_opacity(0.5 * k if self.show_offsets else 0.0)
        else:
            color = record.color or self.color_
            ink = theme.BACKGROUND if record.solid else theme.TEXT
            cell.box.set_fill(color=color, opacity=k if record.solid else 0.0)
            cell.box.set_stroke(color=theme.FAILURE if record.struck else color, width=theme.THIN_STROKE + 1.0, opacity=k)
            cell.key.set_text(record.key, ink)
            if record.value:
                cell.value.set_text(record.value, ink)
                stack(cell.key, cell.value, center, gap=0.05)
                cell.value.set_opacity(k)
            else:
                cell.key.move_to(center)
                cell.value.set_opacity(0.0)
            cell.key.set_opacity(k)
            cell.strike.set_stroke(opacity=k if record.struck else 0.0)
            cell.offset_label.set_opacity(k if self.show_offsets else 0.0)
        cell.drawn = key

    # --- pointers ------------------------------------------------------------------------
    def add_pointer(self, name: str, *, text: str | None = None, color: str = OFFSET, side: str = "below",
                    lane: int = 0, text_beside: bool = False) -> OffsetPointer:
        """Make a pointer called ``name`` (shown as ``text``, default the name), hidden until set.

        Call it while building the stage, not from an updater. ``lane`` stacks pointers that may
        share a boundary further from the row (0 = nearest); ``text_beside`` puts the text right of
        the triangle instead of beyond it (a flatter pointer, for tightly stacked logs).
        """
        if name in self.pointers:
            raise ValueError(f"this PartitionLog already has a pointer {name!r}")
        if lane < 0:
            raise ValueError(f"lane must be >= 0, got {lane}")
        pointer = OffsetPointer(text if text is not None else name, color=color, side=side, text_beside=text_beside)
        pointer.lane = lane
        self.pointers[name] = pointer
        self.pointer_group.add(pointer)
        self.set_pointer(name, 0, visible=False)
        return pointer

    def pointer(self, name: str) -> OffsetPointer:
        if name not in self.pointers:
            raise ValueError(f"no pointer {name!r}; add it with add_pointer first")
        return self.pointers[name]

    def set_pointer(self, name: str, position: float, *, visible: bool = True) -> PartitionLog:
        """Put pointer ``name`` at boundary ``position`` (see :meth:`boundary_x`), shown or hidden."""
        pointer = self.pointer(name)
        x = self.boundary_x(min(max(position, 0.0), self.capacity))
        lane_step = 0.3 if pointer.text_beside else 0.46
        if pointer.side == "below":
            y = self.row_bottom - 0.04 - pointer.lane * lane_step
        else:
            y = self.row_top + (0.3 if self.show_offsets else 0.04) + pointer.lane * lane_step
        pointer.shift(np.array([x, y, 0]) - pointer.tip)
        k = DIM if self.dimmed else 1.0
        pointer.set_opacity(k if visible else 0.0)
        pointer.position, pointer.visible = float(position), visible
        return self


# --- ownership and replication -------------------------------------------------------------------------------
class AssignmentArrows(VGroup):
    """One arrow per partition, pointing from the partition to whichever consumer owns it (or hidden).

    The pool is fixed at construction (one arrow per name), so :meth:`set_arrow` and
    :meth:`hide` are pure in-place changes that an updater can make on every frame.

    Example::

        arrows = AssignmentArrows(["P0", "P1", "P2"])
        arrows.set_arrow("P0", log.get_right(), consumer.edge_point(log.get_right()))
    """

    TIP = 0.18

    def __init__(self, names: Sequence[str], *, color: str = CONSUMER, stroke_width: float = 3.0) -> None:
        if not names or len(set(names)) != len(names):
            raise ValueError("AssignmentArrows needs distinct partition names, at least one")
        super().__init__()
        self.color_ = color
        self.shafts = {n: VMobject(stroke_color=color, stroke_width=stroke_width) for n in names}
        self.tips = {n: VMobject(fill_color=color, fill_opacity=1.0, stroke_width=0) for n in names}
        self.ends: dict[str, tuple | None] = {n: None for n in names}
        for n in names:
            self.add(self.shafts[n], self.tips[n])
            self.hide(n)

    def set_arrow(self, name: str, start: Sequence[float], end: Sequence[float], *, opacity: float = 1.0) -> AssignmentArrows:
        """Draw partition ``name``'s arrow from ``start`` to ``end``."""
        if name not in self.shafts:
            raise ValueError(f"no arrow for {name!r}")
        start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
        length = float(np.linalg.norm(end - start))
        if length <= self.TIP:
            raise ValueError(f"an arrow of length {length:.2f} is too short for its tip")
        unit = (end - start) / length
        normal = np.array([-unit[1], unit[0], 0.0])
        base = end - unit * self.TIP
        self.shafts[name].set_points_as_corners([start, base + unit * 0.02])
        self.tips[name].set_points_as_corners([end, base + normal * self.TIP * 0.45, base - normal * self.TIP * 0.45, end])
        self.shafts[name].set_stroke(opacity=opacity)
        self.tips[name].set_fill(opacity=opacity)
        self.ends[name] = (tuple(start), tuple(end))
        return self

    def hide(self, name: str) -> AssignmentArrows:
        """No arrow for ``name`` (an unowned partition)."""
        self.shafts[name].clear_points()
        self.tips[name].clear_points()
        self.ends[name] = None
        return self


class ISROutline(VGroup):
    """An outline around the in-sync replicas, labelled "ISR".

    ``members`` are the replicas' mobjects in display order (a column or a row of brokers).
    :meth:`set_in_sync` draws one rounded outline around each run of neighbouring in-sync
    members (a fixed pool, one per member), so a replica that falls out visibly leaves the ring.
    """

    def __init__(self, members: Sequence[Mobject], *, pad: float = 0.1, color: str = OFFSET, text: str = "ISR") -> None:
        if not members:
            raise ValueError("an ISROutline needs at least one member")
        super().__init__()
        self.members, self.pad, self.color_ = list(members), float(pad), color
        self.outlines = [VMobject(stroke_color=color, stroke_width=theme.THIN_STROKE + 1.0) for _ in self.members]
        self.text = label(text, font_size=theme.MIN_FONT_SIZE, color=color, weight="BOLD")
        self.add(*self.outlines, self.text)
        self.flags: tuple[bool, ...] | None = None
        self.set_in_sync([True] * len(self.members))

    def set_in_sync(self, flags: Sequence[bool]) -> ISROutline:
        """Which members are in sync, in display order."""
        if len(flags) != len(self.members):
            raise ValueError(f"set_in_sync needs {len(self.members)} flags, got {len(flags)}")
        flags = tuple(bool(f) for f in flags)
        runs: list[list[int]] = []
        for i, flag in enumerate(flags):
            if flag and runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            elif flag:
                runs.append([i])
        for j, outline in enumerate(self.outlines):
            if j >= len(runs):
                outline.clear_points()
                continue
            group = VGroup(*[self.members[i] for i in runs[j]])
            shape = RoundedRectangle(corner_radius=0.2, width=group.width + 2 * self.pad,
                                     height=group.height + 2 * self.pad).move_to(group)
            outline.set_points(shape.points)
        if runs:
            first = VGroup(*[self.members[i] for i in runs[0]])
            self.text.next_to(first.get_corner(UP + LEFT) + np.array([0.0, self.pad, 0]), UP, buff=0.04, aligned_edge=LEFT)
        self.text.set_opacity(1.0 if runs else 0.0)
        self.flags = flags
        return self


class PartitionTile(VGroup):
    """A partition as a small tile (a log stub) that can sit inside its owner and move between owners.

    A flowing partition is a solid tile; a paused one is hollow, greyed, with two pause bars,
    so "paused" reads by shape as well as colour. ``lag`` prints a second line ("lag 4").

    Example::

        tile = PartitionTile("o0", color=theme.MESSAGE).move_to(consumer.tile_points(2)[0])
        tile.set_state(paused=True, lag=3)
    """

    def __init__(self, name: str, *, color: str, width: float = 0.98, height: float = 0.62, lag_text: str = "lag") -> None:
        if not name.strip():
            raise ValueError("a PartitionTile needs a name")
        super().__init__()
        self.color_, self.lag_text = color, lag_text
        self.box = RoundedRectangle(corner_radius=0.08, width=width, height=height, stroke_color=color,
                                    stroke_width=theme.THIN_STROKE + 0.5, fill_color=color, fill_opacity=1.0)
        self.name_text = SwapText(name, font_size=theme.MIN_FONT_SIZE + 2, weight="BOLD", monospace=False)
        self.lag = SwapText(f"{lag_text} ·", font_size=theme.MIN_FONT_SIZE, monospace=False)
        self.bars = VGroup(*[Rectangle(width=0.05, height=0.2, fill_color=theme.MUTED, fill_opacity=1.0, stroke_width=0)
                             for _ in range(2)]).arrange(RIGHT, buff=0.05)
        self.add(self.box, self.name_text, self.lag, self.bars)
        self.paused, self.lag_value, self.dimmed = False, None, False
        self.state: tuple | None = None
        self.set_state(paused=False, lag=None)

    def set_state(self, *, paused: bool | None = None, lag: int | None = None, dimmed: bool | None = None,
                  show_lag: bool = True) -> PartitionTile:
        """Solid (flowing) or hollow with pause bars (paused); the lag line (None hides it); dimmed (hidden owner)."""
        if paused is not None:
            self.paused = paused
        if dimmed is not None:
            self.dimmed = dimmed
        self.lag_value = lag if show_lag else None
        center = self.box.get_center()
        k = DIM if self.dimmed else 1.0
        ink = theme.TEXT if self.paused else theme.BACKGROUND
        self.box.set_fill(opacity=0.0 if self.paused else k)
        self.box.set_stroke(color=theme.MUTED if self.paused else self.color_, opacity=k)
        self.name_text.set_text(self.name_text.text, ink)
        self.name_text.set_opacity(k)
        if self.lag_value is not None:
            self.lag.set_text(f"{self.lag_text} {self.lag_value}", ink)
            self.name_text.move_to(center + UP * 0.12)
            self.lag.move_to(center + DOWN * 0.14)
            self.lag.set_opacity(k)
        else:
            self.name_text.move_to(center)
            self.lag.move_to(center)
            self.lag.set_opacity(0.0)
        self.bars.move_to(center + RIGHT * (self.box.width / 2 - 0.14) + UP * (0.12 if self.lag_value is not None else 0))
        self.bars.set_opacity(k if self.paused else 0.0)
        self.name_text.shift(LEFT * (0.07 if self.paused else 0.0))
        return self


class AckMark(VGroup):
    """What the producer was told about one record: nothing yet, pending, acked, acked-but-lost, or an error.

    ``acked`` is a check (:data:`OFFSET` colour); ``lost`` the same check in FAILURE colour struck
    through (like a struck cell); ``error`` a cross; ``pending`` a small grey ring; ``none`` nothing. Shapes
    differ as well as colours.
    """

    STATES = ("none", "pending", "acked", "lost", "error")

    def __init__(self, size: float = 0.3) -> None:
        if size <= 0:
            raise ValueError(f"AckMark size must be positive, got {size}")
        super().__init__()
        s = size
        self.check = VMobject(stroke_width=4.5).set_points_as_corners(
            [[-0.5 * s, 0.0, 0], [-0.15 * s, -0.35 * s, 0], [0.5 * s, 0.4 * s, 0]])
        self.slash = Line([-0.6 * s, 0.02 * s, 0], [0.6 * s, 0.02 * s, 0], stroke_width=4.0)
        self.cross = VGroup(Line([-0.4 * s, -0.4 * s, 0], [0.4 * s, 0.4 * s, 0], stroke_width=4.5),
                            Line([-0.4 * s, 0.4 * s, 0], [0.4 * s, -0.4 * s, 0], stroke_width=4.5))
        ring = VMobject(stroke_width=2.5)
        ring.set_points_as_corners([[0.25 * s * np.cos(a), 0.25 * s * np.sin(a), 0] for a in np.linspace(0, 2 * np.pi, 17)])
        self.ring = ring
        self.add(self.check, self.slash, self.cross, self.ring)
        self.state = ""
        self.set_state("none")

    def set_state(self, state: str) -> AckMark:
        if state not in self.STATES:
            raise ValueError(f"AckMark state must be one of {self.STATES}, got {state!r}")
        if state == self.state:
            return self
        self.state = state
        self.check.set_stroke(color=theme.FAILURE if state == "lost" else OFFSET,
                              opacity=1.0 if state in ("acked", "lost") else 0.0)
        self.slash.set_stroke(color=theme.FAILURE, opacity=1.0 if state == "lost" else 0.0)
        self.cross.set_stroke(color=theme.FAILURE, opacity=1.0 if state == "error" else 0.0)
        self.ring.set_stroke(color=theme.MUTED, opacity=1.0 if state == "pending" else 0.0)
        return self
