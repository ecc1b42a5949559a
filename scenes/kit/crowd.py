"""A crowd of small peers whose states change in place, their contacts of one step, and a share-per-step chart.

:class:`Crowd` draws 2-256 small, unlabelled peers on a grid or a ring. Each
peer shows one of a few named states (a :class:`PeerLook`: colour, filled disc
or hollow ring, optional halo), so a state is told by shape as well as colour.
``set_states`` changes them in place; ``show_contacts`` shows the messages of
one step (who contacts whom) with a fixed pool of
:class:`~scenes.kit.messages.MessageDot`, each contact drawn in a named
:class:`ContactLook` (filled, hollow, or dropped: it dies part-way with a cross).

:class:`FractionChart` plots series of shares in ``[0, 1]`` per step (step 0
first) as lines with shaped markers or as bars, and ``reveal(x)`` shows each
series up to step ``x`` (fractions grow the next bar or segment), so a clock
can draw it.

Both are pure: the same arguments always give the same picture, whatever was
shown before, so updaters that read a clock can drive them.

Example::

    looks = {"idle": PeerLook(theme.MUTED, filled=False), "on": PeerLook(theme.MESSAGE),
             "new": PeerLook(theme.MESSAGE, halo=True)}
    crowd = Crowd(64, looks=looks, state="idle", max_contacts=64,
                  contact_looks={"hit": ContactLook(theme.MESSAGE), "miss": ContactLook(theme.MUTED, hollow=True)})
    layout.MAIN.place(crowd)
    crowd.add_updater(lambda c: c.set_states(states_at(clock.get_value()))
                      .show_contacts(contacts_at(clock.get_value()), progress_at(clock.get_value())))
    chart = FractionChart({"share": [0.02, 0.03, 0.06, 0.12]}, style="bars", total=64)
    chart.add_updater(lambda c: c.reveal(clock.get_value()))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Circle, DashedLine, Line, Rectangle, RegularPolygon, Square, VGroup, VMobject

from scenes.kit import theme
from scenes.kit.legend import Legend
from scenes.kit.messages import MessageDot
from scenes.kit.text import label, mono

__all__ = ["ContactLook", "Crowd", "FractionChart", "PeerLook"]

MAX_PEERS = 256
ARRANGEMENTS = ("grid", "ring")
STYLES = ("line", "bars")
MARKERS = ("circle", "square", "triangle", "diamond")


@dataclass(frozen=True)
class PeerLook:
    """How a peer in one state is drawn: ``color``; a filled disc or a hollow ring; a halo around it."""

    color: str
    filled: bool = True
    halo: bool = False


@dataclass(frozen=True)
class ContactLook:
    """How one contact is drawn: dot ``color``, ``hollow`` ring instead of a disc, or ``dropped``: the dot
    stops at ``drop_at`` of the way and turns into a cross that fades out by the end of the step."""

    color: str
    hollow: bool = False
    dropped: bool = False
    drop_at: float = 0.55

    def __post_init__(self) -> None:
        if not 0.0 < self.drop_at < 1.0:
            raise ValueError(f"ContactLook drop_at must be in (0, 1), got {self.drop_at}")


class Crowd(VGroup):
    """``n`` small peers on a grid or a ring, each in a named state, and the contacts of one step.

    Parameters
    ----------
    n
        Number of peers (2-256).
    looks
        State name -> :class:`PeerLook`.
    state
        The state every peer starts in (a key of ``looks``).
    arrangement
        ``"grid"`` (row by row from the top left, ``columns`` wide, default the smallest square that
        holds ``n``) or ``"ring"`` (clockwise from 12 o'clock).
    pitch
        Distance between neighbouring grid centres (on a ring: between neighbours along the circle).
    radius
        Radius of one peer.
    max_contacts
        Size of the message pool: the most contacts one step shows (0 for none).
    contact_looks
        Contact kind -> :class:`ContactLook` (needed when ``max_contacts`` > 0).
    arrow_opacity
        Opacity of a contact's arrow while its dot travels (faint: dozens may cross at once).
    """

    def __init__(self, n: int, *, looks: Mapping[str, PeerLook], state: str, arrangement: str = "grid",
                 columns: int | None = None, pitch: float = 0.6, radius: float = 0.16, max_contacts: int = 0,
                 contact_looks: Mapping[str, ContactLook] | None = None, arrow_opacity: float = 0.25) -> None:
        if not 2 <= n <= MAX_PEERS:
            raise ValueError(f"a Crowd holds 2-{MAX_PEERS} peers, got {n}")
        if state not in looks:
            raise ValueError(f"initial state {state!r} has no look (known: {', '.join(looks)})")
        if arrangement not in ARRANGEMENTS:
            raise ValueError(f"arrangement must be one of {ARRANGEMENTS}, got {arrangement!r}")
        if radius <= 0 or pitch <= 2 * radius:
            raise ValueError(f"need 0 < 2 x radius < pitch, got radius {radius}, pitch {pitch}")
        if max_contacts < 0 or (max_contacts and not contact_looks):
            raise ValueError("max_contacts must be >= 0, and contacts need contact_looks")
        super().__init__()
        self.n, self.looks, self.contact_looks = n, dict(looks), dict(contact_looks or {})
        self.columns = columns or math.ceil(math.sqrt(n))
        if self.columns < 1:
            raise ValueError(f"columns must be >= 1, got {self.columns}")
        centers = self._layout(arrangement, pitch)
        self.halos = VGroup(*[Circle(radius=radius * 1.55, stroke_color=theme.HIGHLIGHT, stroke_width=2.5,
                                     stroke_opacity=0.0).move_to(c) for c in centers])
        self.peers = VGroup(*[Circle(radius=radius, stroke_width=theme.THIN_STROKE).move_to(c) for c in centers])
        self.contacts = VGroup(*[MessageDot(arrow_opacity=arrow_opacity, radius=max(radius * 0.45, 0.05)).hide()
                                 for _ in range(max_contacts)])
        self.add(self.contacts, self.halos, self.peers)
        self.states: tuple[str, ...] = ()
        self._shown_contacts: tuple | None = None
        self.set_states([state] * n)

    def _layout(self, arrangement: str, pitch: float) -> list[np.ndarray]:
        if arrangement == "grid":
            rows = math.ceil(self.n / self.columns)
            return [np.array([(i % self.columns - (self.columns - 1) / 2) * pitch,
                              ((rows - 1) / 2 - i // self.columns) * pitch, 0.0]) for i in range(self.n)]
        r = max(pitch * self.n / (2 * math.pi), pitch)
        return [r * np.array([math.sin(2 * math.pi * i / self.n), math.cos(2 * math.pi * i / self.n), 0.0])
                for i in range(self.n)]

    @property
    def radius(self) -> float:
        """A peer's radius now (after any scaling)."""
        return self.peers[0].width / 2

    def peer_center(self, i: int) -> np.ndarray:
        if not 0 <= i < self.n:
            raise ValueError(f"peer {i} is not in 0..{self.n - 1}")
        return self.peers[i].get_center()

    def set_states(self, states: Sequence[str]) -> Crowd:
        """Give peer ``i`` the look of ``states[i]``, in place."""
        states = tuple(states)
        if len(states) != self.n:
            raise ValueError(f"need one state per peer ({self.n}), got {len(states)}")
        unknown = set(states) - set(self.looks)
        if unknown:
            raise ValueError(f"states without a look: {', '.join(sorted(unknown))}")
        for i, state in enumerate(states):
            if self.states and self.states[i] == state:
                continue
            look = self.looks[state]
            self.peers[i].set_stroke(color=look.color, opacity=1.0)
            self.peers[i].set_fill(color=look.color if look.filled else theme.BACKGROUND, opacity=1.0)
            self.halos[i].set_stroke(opacity=1.0 if look.halo else 0.0)
        self.states = states
        return self

    def show_contacts(self, contacts: Sequence[tuple[int, int, str]], progress: float) -> Crowd:
        """Show ``(from, to, kind)`` contacts with their dots ``progress`` of the way (0-1); 1 hides them all.

        A dropped kind travels to its ``drop_at``, then shows a cross that fades out as ``progress`` reaches 1.
        """
        if not 0.0 <= progress <= 1.0:
            raise ValueError(f"progress must be in [0, 1], got {progress}")
        contacts = tuple((int(a), int(b), str(k)) for a, b, k in contacts)
        if len(contacts) > len(self.contacts):
            raise ValueError(f"{len(contacts)} contacts exceed the pool of {len(self.contacts)} (max_contacts)")
        key = (contacts, self.peer_center(0).tobytes(), self.radius)
        if key != self._shown_contacts:
            gap = self.radius + 0.04
            for dot, (a, b, kind) in zip(self.contacts, contacts):
                if kind not in self.contact_looks:
                    raise ValueError(f"contact kind {kind!r} has no look")
                if a == b:
                    raise ValueError(f"a contact needs two peers, got {a} -> {b}")
                start, end = self.peer_center(a), self.peer_center(b)
                unit = (end - start) / np.linalg.norm(end - start)
                look = self.contact_looks[kind]
                dot.set_look(look.color, hollow=look.hollow)
                dot.progress = 0.0
                dot.set_route(start + unit * gap, end - unit * gap)
            self._shown_contacts = key
        for i, dot in enumerate(self.contacts):
            if i >= len(contacts) or progress >= 1.0:
                dot.hide()
                continue
            look = self.contact_looks[contacts[i][2]]
            if look.dropped and progress >= look.drop_at:
                dot.progress = look.drop_at
                dot.fizzle((progress - look.drop_at) / (1.0 - look.drop_at))
            else:
                dot.travel(progress)
        return self

    def legend(self, items: Sequence[tuple[str, str]], *, title: str = "", direction=DOWN) -> Legend:
        """A :class:`~scenes.kit.legend.Legend` of ``(state or contact kind, text)`` drawn as the crowd draws
        them, in a column (``DOWN``) or a row (``RIGHT``)."""
        marks = []
        r = self.radius
        for name, text in items:
            if name in self.looks:
                look = self.looks[name]
                mark = VGroup(Circle(radius=r, stroke_color=look.color, stroke_width=theme.THIN_STROKE,
                                     fill_color=look.color if look.filled else theme.BACKGROUND, fill_opacity=1.0))
                if look.halo:
                    mark.add(Circle(radius=r * 1.55, stroke_color=theme.HIGHLIGHT, stroke_width=2.5))
            elif name in self.contact_looks:
                mark = MessageDot(LEFT * 0.3, RIGHT * 0.3, radius=max(r * 0.45, 0.05),
                                  color=self.contact_looks[name].color, hollow=self.contact_looks[name].hollow)
                if self.contact_looks[name].dropped:
                    mark.progress = 0.5
                    mark.fizzle(0.0)
                else:
                    mark.travel(0.5)
            else:
                raise ValueError(f"{name!r} is neither a state nor a contact kind")
            marks.append((mark, text))
        return Legend(marks, title=title, direction=direction)


def _marker(shape: str, size: float, color: str) -> VMobject:
    if shape == "circle":
        mark = Circle(radius=size / 2)
    elif shape == "square":
        mark = Square(side_length=size * 0.85)
    elif shape == "triangle":
        mark = RegularPolygon(3, start_angle=math.pi / 2).scale_to_fit_height(size)
    else:
        mark = Square(side_length=size * 0.75).rotate(math.pi / 4)
    return mark.set_fill(color, opacity=1.0).set_stroke(theme.BACKGROUND, width=1.0)


class FractionChart(VGroup):
    """Series of shares in [0, 1] per step, as lines with shaped markers or as bars, revealed up to a step.

    Parameters
    ----------
    series
        Name -> values at steps 0, 1, 2 ... (each in [0, 1]).
    style
        ``"line"`` (one line per series, a marker per step: circle, square, triangle, diamond in series
        order, so series differ by shape too) or ``"bars"`` (one series only: a bar per step).
    colors
        Name -> colour (default: the theme's node colour).
    x_max
        The last step on the x axis (default: the longest series' last step).
    total
        If given, bar labels show ``value x total`` as a whole number ("48") instead of a percentage.
    x_label, y_label
        Axis titles.

    ``reveal(x)`` shows step ``i`` of every series once ``x >= i``; between steps the next line segment
    (or bar) grows. ``reveal_series(name, x)`` does it for one series.
    """

    def __init__(self, series: Mapping[str, Sequence[float]], *, style: str = "line",
                 colors: Mapping[str, str] | None = None, x_max: int | None = None, width: float = 5.0,
                 height: float = 2.6, total: int | None = None, x_label: str = "", y_label: str = "") -> None:
        if not series or any(len(v) == 0 for v in series.values()):
            raise ValueError("FractionChart needs at least one non-empty series")
        if style not in STYLES:
            raise ValueError(f"style must be one of {STYLES}, got {style!r}")
        if style == "bars" and len(series) != 1:
            raise ValueError("a bar FractionChart shows exactly one series")
        if style == "line" and len(series) > len(MARKERS):
            raise ValueError(f"a line FractionChart shows at most {len(MARKERS)} series")
        if any(not 0.0 <= v <= 1.0 for vals in series.values() for v in vals):
            raise ValueError("FractionChart values must be shares in [0, 1]")
        if width <= 0 or height <= 0 or (total is not None and total < 1):
            raise ValueError("FractionChart needs a positive size (and total >= 1)")
        super().__init__()
        self.style, self.total = style, total
        self.series = {name: [float(v) for v in vals] for name, vals in series.items()}
        self.x_max = x_max if x_max is not None else max(len(v) for v in self.series.values()) - 1
        if self.x_max < 1:
            raise ValueError(f"x_max must be >= 1, got {self.x_max}")
        self.colors = {name: (colors or {}).get(name, theme.NODE) for name in self.series}
        self.markers = {name: MARKERS[i] for i, name in enumerate(self.series)}
        self._build_axes(width, height, x_label, y_label)
        self.lines: dict[str, VMobject] = {}
        self.marks: dict[str, VGroup] = {}
        self.bars, self.bar_labels = VGroup(), VGroup()
        for name, values in self.series.items():
            color = self.colors[name]
            if style == "line":
                self.lines[name] = VMobject(stroke_color=color, stroke_width=theme.STROKE)
                size = min(0.2, self.slot * 0.6)
                self.marks[name] = VGroup(*[_marker(self.markers[name], size, color).move_to(self.to_point(i, v))
                                            for i, v in enumerate(values)])
                self.add(self.lines[name], self.marks[name])
            else:
                self._build_bars(values, color)
        self.revealed = {name: -1.0 for name in self.series}
        for name in self.series:
            self.reveal_series(name, -1.0)

    # --- geometry ----------------------------------------------------------------------------
    @property
    def plot_w(self) -> float:
        """Length of the x axis now (after any scaling)."""
        return float(self.axes[0].get_end()[0] - self.axes[0].get_start()[0])

    @property
    def plot_h(self) -> float:
        """Length of the y axis now (after any scaling)."""
        return float(self.axes[1].get_end()[1] - self.axes[1].get_start()[1])

    @property
    def slot(self) -> float:
        """Width of one step on the x axis."""
        return self.plot_w / (self.x_max + (1 if self.style == "bars" else 0))

    def to_point(self, x: float, y: float) -> np.ndarray:
        """Frame point of step ``x`` and share ``y``, wherever the chart has been moved or scaled to."""
        pad = 0.5 if self.style == "bars" else 0.0
        return self.origin + np.array([(x + pad) * self.slot, min(max(y, 0.0), 1.0) * self.plot_h, 0.0])

    @property
    def origin(self) -> np.ndarray:
        return self.axes[0].get_start()

    def _build_axes(self, w: float, h: float, x_label: str, y_label: str) -> None:
        self.axes = VGroup(Line([0, 0, 0], [w, 0, 0], stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE),
                           Line([0, 0, 0], [0, h, 0], stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE))
        self.grid_lines, self.tick_labels = VGroup(), VGroup()
        for share in (0.5, 1.0):
            self.grid_lines.add(DashedLine([0, share * h, 0], [w, share * h, 0], stroke_color=theme.GRID,
                                           stroke_width=1.5, dash_length=0.08))
            self.tick_labels.add(mono(f"{share:.0%}", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
                                 .next_to([0, share * h, 0], LEFT, buff=0.1))
        every = max(1, math.ceil((self.x_max + 1) / 8))
        for i in range(0, self.x_max + 1, every):
            pad = 0.5 if self.style == "bars" else 0.0
            self.tick_labels.add(mono(f"{i}", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
                                 .next_to([(i + pad) * self.slot, 0, 0], DOWN, buff=0.1))
        self.axis_labels = VGroup()
        if x_label:
            self.axis_labels.add(label(x_label, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
                                 .next_to(self.tick_labels, DOWN, buff=0.1).set_x(w / 2))
        if y_label:
            self.axis_labels.add(label(y_label, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
                                 .next_to([0, h, 0], UP, buff=0.2).align_to([0, 0, 0], LEFT))
        self.add(self.grid_lines, self.tick_labels, self.axis_labels)
        self.add_to_back(self.axes)

    def _build_bars(self, values: Sequence[float], color: str) -> None:
        bar_w = self.slot * 0.7
        for i, v in enumerate(values):
            self.bars.add(Rectangle(width=bar_w, height=1.0, fill_color=color, fill_opacity=0.9, stroke_width=0))
            text = mono(f"{round(v * self.total)}" if self.total else f"{v:.0%}", font_size=theme.MIN_FONT_SIZE)
            fits = text.width <= self.slot * 1.05
            self.bar_labels.add(text.move_to(self.to_point(i, v) + UP * (0.08 + text.height / 2)).set_opacity(0.0)
                                if fits else VMobject())
        self.add(self.bars, self.bar_labels)

    # --- reveal --------------------------------------------------------------------------------
    def reveal(self, x: float) -> FractionChart:
        """Show every series up to step ``x``."""
        for name in self.series:
            self.reveal_series(name, x)
        return self

    def reveal_series(self, name: str, x: float) -> FractionChart:
        """Show series ``name`` up to step ``x`` (below 0: nothing)."""
        if name not in self.series:
            raise ValueError(f"no series {name!r}")
        values, x = self.series[name], float(x)
        self.revealed[name] = x
        if self.style == "bars":
            for i, (bar, text, v) in enumerate(zip(self.bars, self.bar_labels, values)):
                grown = min(max(x - (i - 1), 0.0), 1.0) * v * self.plot_h
                base = self.to_point(i, 0.0)
                half = self.slot * 0.35
                corners = [base + [-half, 0, 0], base + [half, 0, 0], base + [half, grown, 0], base + [-half, grown, 0]]
                bar.set_points_as_corners([*corners, corners[0]])
                bar.set_fill(opacity=0.9 if grown > 0 else 0.0)
                text.set_opacity(1.0 if x >= i else 0.0)
            return self
        last = min(x, len(values) - 1)
        if last < 0:
            self.lines[name].clear_points()
        else:
            full = int(math.floor(last))
            points = [self.to_point(i, v) for i, v in enumerate(values[:full + 1])]
            if last > full:
                a, b = values[full], values[full + 1]
                points.append(self.to_point(last, a + (b - a) * (last - full)))
            if len(points) > 1:
                self.lines[name].set_points_as_corners(points)
            else:
                self.lines[name].clear_points()
        for i, mark in enumerate(self.marks[name]):
            mark.set_opacity(1.0 if x >= i else 0.0)
        return self

    def legend(self, names: Mapping[str, str] | None = None, *, title: str = "", direction=DOWN) -> Legend:
        """A Legend of the series (marker on a short line, or a bar swatch), optionally renamed by ``names``."""
        items = []
        for name in self.series:
            color = self.colors[name]
            if self.style == "bars":
                mark = Rectangle(width=0.22, height=0.3, fill_color=color, fill_opacity=0.9, stroke_width=0)
            else:
                mark = VGroup(Line(LEFT * 0.25, RIGHT * 0.25, stroke_color=color, stroke_width=theme.STROKE),
                              _marker(self.markers[name], 0.2, color))
            items.append((mark, (names or {}).get(name, name)))
        return Legend(items, title=title, direction=direction)
