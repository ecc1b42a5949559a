"""Sequence (space-time) diagrams: one lifeline per process, events placed in time, messages as arrows.

A :class:`SequenceDiagram` draws one lane per process (horizontal lanes with time running to the
right, or vertical lanes with time running down), marks each :class:`SeqEvent` at its lane and
time, and draws each :class:`SeqMessage` as an arrow from (sender, send time) to (receiver,
receive time). Everything is a pure function of a clock: :meth:`SequenceDiagram.show_at` shows the
events whose time has come and grows each arrow towards its receiver (a dot rides its head,
optionally carrying a tag such as a timestamp); a dropped message stops part-way and ends in a
cross. Message kinds set colour, a hollow or filled dot and a dashed or solid shaft, so kind is
told by shape as well as colour. A chain of events can glow (:meth:`SequenceDiagram.set_path`), single
events can get a ring (:meth:`SequenceDiagram.set_rings`) and the rest can be dimmed
(:meth:`SequenceDiagram.focus`). All parts are built once and changed in place.

Events a moment apart on one lane would overlap; :class:`TimeWarp` maps event times to drawn times
that keep the order and the gaps but push such events apart (draw with ``warp(t)``, clock included).

Example::

    kinds = {"request": MessageKind(theme.MESSAGE), "reply": MessageKind(theme.ACCENT, hollow=True)}
    diagram = SequenceDiagram(["P1", "P2", "P3"], t0=0.0, t1=6.0, region=layout.MAIN, kinds=kinds,
                              events=[SeqEvent(0, 0.5, label="1"), SeqEvent(1, 1.3, label="2")],
                              messages=[SeqMessage(0, 0.5, 1, 1.3, kind="request", tag="1")])
    diagram.follow(clock)                 # events appear and arrows grow as the clock passes them
    diagram.set_path([0, 1], 1.0)         # the chain event 0 -> event 1 glows
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Circle, Square, ValueTracker, VGroup, VMobject

from scenes.kit import theme
from scenes.kit.layout import Region
from scenes.kit.text import SwapText, label

__all__ = ["MessageKind", "SeqEvent", "SeqMessage", "MessageArrow", "SequenceDiagram", "TimeWarp", "EVENT_SHAPES"]

EVENT_SHAPES = ("dot", "ring", "square", "diamond")
LABEL_SIDES = {"up": UP, "down": DOWN, "left": LEFT, "right": RIGHT}
TIP_LENGTH = 0.16
TIP_WIDTH = 0.15
DASH = 0.12  #: length of one dash of a dashed shaft (and of the gap after it)
EPS = 1e-9


class TimeWarp:
    """A monotone map from event times to drawn times: gaps stay as they are, except that two events on one
    lane are drawn at least ``min_gap`` apart; before the first event and after the last, time runs as is.

    Parameters
    ----------
    events
        ``(lane, time)`` of every event.
    min_gap
        The least drawn distance between two events on one lane.
    """

    def __init__(self, events: Iterable[tuple[int, float]], *, min_gap: float) -> None:
        if min_gap < 0:
            raise ValueError(f"min_gap must be >= 0, got {min_gap}")
        events = list(events)
        if not events:
            raise ValueError("a TimeWarp needs at least one event")
        self.times = sorted({float(t) for _, t in events})
        self.drawn: list[float] = []
        last: dict[int, float] = {}
        for k, t in enumerate(self.times):
            d = t if k == 0 else self.drawn[-1] + (t - self.times[k - 1])
            lanes = {lane for lane, u in events if u == t}
            d = max([d] + [last[lane] + min_gap for lane in lanes if lane in last])
            self.drawn.append(d)
            last.update({lane: d for lane in lanes})

    def __call__(self, t: float) -> float:
        if t <= self.times[0]:
            return float(t)
        if t >= self.times[-1]:
            return self.drawn[-1] + (t - self.times[-1])
        return float(np.interp(t, self.times, self.drawn))


@dataclass(frozen=True)
class MessageKind:
    """How one kind of message looks: colour, a hollow (ring) or filled dot, a dashed or solid shaft."""

    color: str = theme.MESSAGE
    hollow: bool = False
    dashed: bool = False


@dataclass(frozen=True)
class SeqEvent:
    """One event: its lane (0-based), its time, a label beside its mark, the mark's shape and colour.

    ``label_side`` is ``"up"``, ``"down"``, ``"left"`` or ``"right"`` of the mark.
    """

    lane: int
    t: float
    label: str = ""
    shape: str = "dot"
    color: str = theme.TEXT
    label_side: str = "up"

    def __post_init__(self) -> None:
        if self.shape not in EVENT_SHAPES:
            raise ValueError(f"event shape must be one of {EVENT_SHAPES}, got {self.shape!r}")
        if self.label_side not in LABEL_SIDES:
            raise ValueError(f"label_side must be one of {tuple(LABEL_SIDES)}, got {self.label_side!r}")


@dataclass(frozen=True)
class SeqMessage:
    """One message from lane ``src`` at ``send_t`` to lane ``dst`` at ``recv_t``.

    ``kind`` names a :class:`MessageKind`; a ``dropped`` message stops at ``drop_at`` of the way
    (reached at ``recv_t``) and ends in a cross; ``tag`` rides beside the dot while it travels.
    """

    src: int
    send_t: float
    dst: int
    recv_t: float
    kind: str = "message"
    dropped: bool = False
    drop_at: float = 0.6
    tag: str = ""

    def __post_init__(self) -> None:
        if self.recv_t < self.send_t:
            raise ValueError(f"a message cannot arrive ({self.recv_t}) before it is sent ({self.send_t})")
        if not 0.0 < self.drop_at <= 1.0:
            raise ValueError(f"drop_at must be in (0, 1], got {self.drop_at}")

    def progress_at(self, t: float) -> float:
        """Fraction of the way from sender to receiver at ``t`` (a dropped message stops at ``drop_at``)."""
        span = self.recv_t - self.send_t
        frac = 1.0 if span <= 0 else min(max((t - self.send_t) / span, 0.0), 1.0)
        return frac * (self.drop_at if self.dropped else 1.0)


def _segment(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A straight segment as one cubic Bezier curve (4 points)."""
    return np.array([a, a + (b - a) / 3, a + 2 * (b - a) / 3, b])


def _polyline(points: Sequence[np.ndarray], dashed: bool) -> np.ndarray:
    """Bezier points of a polyline; dashed: separate dashes (separate subpaths)."""
    curves = []
    for a, b in zip(points[:-1], points[1:]):
        length = float(np.linalg.norm(b - a))
        if length < EPS:
            continue
        if not dashed:
            curves.append(_segment(a, b))
            continue
        unit = (b - a) / length
        s = 0.0
        while s < length:
            curves.append(_segment(a + unit * s, a + unit * min(s + DASH, length)))
            s += 2 * DASH
    return np.concatenate(curves) if curves else np.zeros((0, 3))


class MessageArrow(VGroup):
    """An arrow that grows from ``start`` towards ``end`` with a dot at its head; a cross if it is dropped.

    ``set_progress(p)`` shows the shaft up to ``p`` of the way and the dot there (0 < p < 1), the whole
    arrow with its tip (p = 1), or nothing (p = 0); ``set_dropped(p)`` shows the stub up to ``p`` and a
    cross at its end. The tag (if any) rides beside the dot; with ``keep_tag`` it stays at the middle of
    the delivered arrow. All parts change in place.
    """

    def __init__(self, start: Sequence[float], end: Sequence[float], *, kind: MessageKind = MessageKind(),
                 tag: str = "", keep_tag: bool = False, radius: float = 0.09, stroke_width: float = 3.0) -> None:
        start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
        if np.linalg.norm(end - start) < 1e-6:
            raise ValueError("a MessageArrow needs distinct start and end points")
        if radius <= 0:
            raise ValueError(f"MessageArrow radius must be positive, got {radius}")
        super().__init__()
        self.start, self.end, self.kind, self.radius = start, end, kind, float(radius)
        self.keep_tag = keep_tag
        self.tag_on = True  #: show the tag at all (see :meth:`SequenceDiagram.show_labels`)
        self.unit = (end - start) / np.linalg.norm(end - start)
        self.normal = np.array([-self.unit[1], self.unit[0], 0.0])
        self.shaft = VMobject(stroke_color=kind.color, stroke_width=stroke_width, fill_opacity=0.0)
        self.tip = VMobject(stroke_width=0, fill_color=kind.color, fill_opacity=1.0)
        self.dot = VMobject(stroke_color=kind.color, stroke_width=3.0,
                            fill_color=theme.BACKGROUND if kind.hollow else kind.color, fill_opacity=1.0)
        self.cross = VMobject(stroke_color=theme.FAILURE, stroke_width=4.0)
        self.tag = SwapText(tag or "·", font_size=theme.MIN_FONT_SIZE, color=kind.color)
        self.tag_text = tag
        self.add(self.shaft, self.tip, self.dot, self.cross, self.tag)
        self._circle = Circle(radius=1.0).points.copy()
        self._state: tuple | None = None
        self.opacity = 1.0
        self.set_progress(0.0)

    def point_at(self, progress: float) -> np.ndarray:
        return self.start + (self.end - self.start) * progress

    def _show(self, head: float, *, tip: bool, dot: bool, cross: bool, tag_at: float | None) -> None:
        head_point = self.point_at(head)
        shaft_end = head_point - self.unit * (TIP_LENGTH * 0.6 if tip else 0.0)
        self.shaft.set_points(_polyline([self.start, shaft_end], self.kind.dashed) if head > 0 else np.zeros((0, 3)))
        if tip:
            base = self.end - self.unit * TIP_LENGTH
            corners = [self.end, base + self.normal * TIP_WIDTH / 2, base - self.normal * TIP_WIDTH / 2, self.end]
            self.tip.set_points_as_corners(corners)
        else:
            self.tip.clear_points()
        if dot:
            self.dot.set_points(self._circle * self.radius + head_point)
        else:
            self.dot.clear_points()
        if cross:
            arm = 0.11
            a, b = np.array([arm, arm, 0.0]), np.array([arm, -arm, 0.0])
            self.cross.set_points(np.concatenate([_segment(head_point - a, head_point + a),
                                                  _segment(head_point - b, head_point + b)]))
        else:
            self.cross.clear_points()
        if tag_at is not None and self.tag_text and self.tag_on:
            side = self.normal if self.normal[1] >= 0 else -self.normal
            self.tag.move_to(self.point_at(tag_at) + side * (self.radius + 0.06 + self.tag.height / 2 + 0.04))
            self.tag.set_opacity(self.opacity)
        else:  # parked at the start, so a hidden tag's place does not depend on earlier frames
            self.tag.move_to(self.start)
            self.tag.set_opacity(0.0)

    def set_progress(self, progress: float) -> MessageArrow:
        """Grow to ``progress`` of the way (0: nothing, 1: delivered, whole arrow with its tip)."""
        if not 0.0 <= progress <= 1.0:
            raise ValueError(f"progress must be in [0, 1], got {progress}")
        key = ("travel", round(float(progress), 9), self.opacity, self.tag_on)
        if key == self._state:
            return self
        self._state = key
        if progress <= 0.0:
            self._show(0.0, tip=False, dot=False, cross=False, tag_at=None)
        elif progress < 1.0:
            self._show(progress, tip=False, dot=True, cross=False, tag_at=progress)
        else:
            self._show(1.0, tip=True, dot=False, cross=False, tag_at=0.5 if self.keep_tag else None)
        return self

    def set_dropped(self, progress: float, *, lost: bool) -> MessageArrow:
        """A dropped message: the stub up to ``progress``, its dot while ``lost`` is False, the cross after."""
        if not 0.0 <= progress <= 1.0:
            raise ValueError(f"progress must be in [0, 1], got {progress}")
        key = ("drop", round(float(progress), 9), lost, self.opacity, self.tag_on)
        if key == self._state:
            return self
        self._state = key
        if progress <= 0.0:
            self._show(0.0, tip=False, dot=False, cross=False, tag_at=None)
        else:
            self._show(progress, tip=False, dot=not lost, cross=lost, tag_at=None if lost else progress)
        return self

    def set_arrow_opacity(self, opacity: float) -> MessageArrow:
        """Dim (or restore) the whole arrow."""
        if not 0.0 <= opacity <= 1.0:
            raise ValueError(f"opacity must be in [0, 1], got {opacity}")
        if opacity != self.opacity:
            self.opacity = opacity
            self.shaft.set_stroke(opacity=opacity)
            self.tip.set_fill(opacity=opacity)
            self.dot.set_stroke(opacity=opacity).set_fill(opacity=opacity)
            self.cross.set_stroke(opacity=opacity)
            self._state = None
        return self


def _mark(shape: str, radius: float, color: str) -> VMobject:
    if shape == "dot":
        return Circle(radius=radius, stroke_color=color, stroke_width=2.0, fill_color=color, fill_opacity=1.0)
    if shape == "ring":
        return Circle(radius=radius, stroke_color=color, stroke_width=3.0, fill_color=theme.BACKGROUND,
                      fill_opacity=1.0)
    if shape == "square":
        return Square(side_length=radius * 1.8, stroke_color=color, stroke_width=2.0, fill_color=color, fill_opacity=1.0)
    return Square(side_length=radius * 1.7, stroke_color=color, stroke_width=2.0, fill_color=color,
                  fill_opacity=1.0).rotate(np.pi / 4)


class SequenceDiagram(VGroup):
    """Lanes (one per process), events on them and messages between them, shown at any clock value.

    Parameters
    ----------
    lanes
        Lane names, in order (top to bottom for horizontal lanes, left to right for vertical ones).
    t0, t1
        The time window the lanes span (any unit, the clock's).
    region
        Where the diagram goes (names included), e.g. ``layout.MAIN``.
    orientation
        ``"horizontal"``: lanes are rows and time runs right; ``"vertical"``: lanes are columns and time runs down.
    events, messages
        What happens; a message's ends sit at its lanes and times (give the matching events the same times).
    kinds
        Message kinds by name (default: one kind ``"message"``).
    name_room
        Room reserved for the lane names (width for horizontal lanes, height for vertical ones).
    mark_radius
        Event mark size.
    keep_tags
        Keep each delivered message's tag at the middle of its arrow.
    """

    def __init__(self, lanes: Sequence[str], *, t0: float, t1: float, region: Region,
                 orientation: str = "horizontal", events: Sequence[SeqEvent] = (),
                 messages: Sequence[SeqMessage] = (), kinds: Mapping[str, MessageKind] | None = None,
                 name_room: float = 0.8, mark_radius: float = 0.1, keep_tags: bool = False,
                 label_size: float = theme.MIN_FONT_SIZE) -> None:
        if not lanes:
            raise ValueError("a SequenceDiagram needs at least one lane")
        if t1 <= t0:
            raise ValueError(f"the time window needs t1 > t0, got [{t0}, {t1}]")
        if orientation not in ("horizontal", "vertical"):
            raise ValueError(f"orientation must be 'horizontal' or 'vertical', got {orientation!r}")
        kinds = dict(kinds) if kinds is not None else {"message": MessageKind()}
        for i, ev in enumerate(events):
            if not 0 <= ev.lane < len(lanes):
                raise ValueError(f"event {i}: lane {ev.lane} is not one of the {len(lanes)} lanes")
        for i, msg in enumerate(messages):
            if not (0 <= msg.src < len(lanes) and 0 <= msg.dst < len(lanes)):
                raise ValueError(f"message {i}: lanes {msg.src} -> {msg.dst} are not among the {len(lanes)} lanes")
            if msg.kind not in kinds:
                raise ValueError(f"message {i}: unknown kind {msg.kind!r} (kinds: {sorted(kinds)})")
        super().__init__()
        self.t0, self.t1, self.region, self.orientation = float(t0), float(t1), region, orientation
        self.events, self.messages, self.kinds = list(events), list(messages), kinds
        self.mark_radius = float(mark_radius)
        horizontal = orientation == "horizontal"
        if horizontal:
            self.time_from, self.time_to = region.left + name_room, region.right - 0.1
            self.lane_pos = [float(r.center[1]) for r in region.rows(len(lanes))]
        else:
            self.time_from, self.time_to = region.top - name_room, region.bottom + 0.1
            self.lane_pos = [float(p[0]) for p in region.row(len(lanes))]
        if (self.time_to - self.time_from) * (1 if horizontal else -1) <= 0:
            raise ValueError(f"name_room {name_room} leaves no room for the time axis in {region}")
        # the still part: lane lines and names
        self.lines = VGroup()
        self.names = VGroup()
        for i, name in enumerate(lanes):
            a, b = self.point(i, self.t0), self.point(i, self.t1)
            self.lines.add(VMobject(stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE).set_points_as_corners([a, b]))
            text = label(name, font_size=theme.LABEL_SIZE, weight="BOLD")
            if horizontal:
                text.next_to(a, LEFT, buff=0.2)
            else:
                text.next_to(a, UP, buff=0.15)
            self.names.add(text)
        # the moving part, built once
        self.glow = VMobject(stroke_color=theme.HIGHLIGHT, stroke_width=11.0, stroke_opacity=0.45, fill_opacity=0.0)
        self.arrows = VGroup(*[self._arrow(m, keep_tags) for m in self.messages])
        self.rings = VGroup(*[Circle(radius=self.mark_radius + 0.09, stroke_color=theme.HIGHLIGHT, stroke_width=3.5)
                              .move_to(self.event_point(i)).set_stroke(opacity=0.0) for i in range(len(self.events))])
        self.marks = VGroup(*[_mark(ev.shape, self.mark_radius, ev.color).move_to(self.event_point(i))
                              for i, ev in enumerate(self.events)])
        self.labels = VGroup(*[SwapText(ev.label or "·", font_size=label_size, color=ev.color)
                               for ev in self.events])
        #: a patch of background under each label, so arrows passing behind it do not cross its text
        self.backdrops = VGroup(*[VMobject(stroke_width=0, fill_color=theme.BACKGROUND, fill_opacity=0.0)
                                  for _ in self.events])
        self.label_texts = [ev.label for ev in self.events]
        self.label_sides = [ev.label_side for ev in self.events]
        for i in range(len(self.events)):
            self._place_label(i)
        self.add(self.lines, self.names, self.glow, self.arrows, self.rings, self.marks, self.backdrops, self.labels)
        self.still = VGroup(self.lines, self.names)  #: never changes: can be drawn as background
        self.now = self.t1
        self.labels_on = True
        self.event_opacity = [1.0] * len(self.events)
        self.message_opacity = [1.0] * len(self.messages)
        self.ring_colors: dict[int, str] = {}
        self.path: list[int] = []
        self.path_progress = 0.0
        self._shown: list[tuple | None] = [None] * len(self.events)
        self.show_at(self.t1)

    # --- geometry ----------------------------------------------------------------------------
    def coord(self, t: float) -> float:
        """Frame x (horizontal lanes) or y (vertical lanes) of time ``t`` (clamped to the window)."""
        frac = float(np.clip((t - self.t0) / (self.t1 - self.t0), 0.0, 1.0))
        return self.time_from + frac * (self.time_to - self.time_from)

    def x_of(self, t: float) -> float:
        """Frame x of time ``t`` on horizontal lanes (for a :class:`~scenes.kit.clock.ClockCursor`)."""
        if self.orientation != "horizontal":
            raise ValueError("x_of is for horizontal lanes; use coord")
        return self.coord(t)

    def point(self, lane: int, t: float) -> np.ndarray:
        """The point of lane ``lane`` at time ``t``."""
        if self.orientation == "horizontal":
            return np.array([self.coord(t), self.lane_pos[lane], 0.0])
        return np.array([self.lane_pos[lane], self.coord(t), 0.0])

    def event_point(self, i: int) -> np.ndarray:
        ev = self.events[i]
        return self.point(ev.lane, ev.t)

    def _arrow(self, msg: SeqMessage, keep_tags: bool) -> MessageArrow:
        a, b = self.point(msg.src, msg.send_t), self.point(msg.dst, msg.recv_t)
        unit = (b - a) / max(float(np.linalg.norm(b - a)), EPS)
        gap = self.mark_radius + 0.04
        return MessageArrow(a + unit * gap, b - unit * gap, kind=self.kinds[msg.kind], tag=msg.tag, keep_tag=keep_tags)

    def _place_label(self, i: int) -> None:
        text, side = self.labels[i], LABEL_SIDES[self.label_sides[i]]
        extent = text.width / 2 if side[0] else text.height / 2
        text.move_to(self.event_point(i) + side * (self.mark_radius + 0.08 + extent))
        c, w, h = text.get_center(), text.width / 2 + 0.05, text.height / 2 + 0.04
        self.backdrops[i].set_points_as_corners([c + [-w, h, 0], c + [w, h, 0], c + [w, -h, 0], c + [-w, -h, 0],
                                                 c + [-w, h, 0]])

    # --- state ----------------------------------------------------------------------------
    def set_label(self, i: int, text: str, color: str | None = None, *, side: str | None = None) -> SequenceDiagram:
        """Change event ``i``'s label in place (empty hides it), its colour, and the side of the mark it sits on."""
        if not 0 <= i < len(self.events):
            raise ValueError(f"no event {i} (the diagram has {len(self.events)})")
        if side is not None and side not in LABEL_SIDES:
            raise ValueError(f"side must be one of {tuple(LABEL_SIDES)}, got {side!r}")
        side = side or self.label_sides[i]
        if (text != self.label_texts[i] or side != self.label_sides[i]
                or (color is not None and color != self.labels[i].shown_color)):
            self.label_texts[i], self.label_sides[i] = text, side
            self.labels[i].set_text(text or "·", color)
            self._place_label(i)
            self._shown[i] = None
        return self

    def show_labels(self, on: bool, *, tags: bool | None = None) -> SequenceDiagram:
        """Show or hide every event label, and (``tags``, default the same) every message tag."""
        if on != self.labels_on:
            self.labels_on = on
            self._shown = [None] * len(self.events)
        for arrow in self.arrows:
            arrow.tag_on = on if tags is None else tags
        return self

    def focus(self, events: Iterable[int] | None = None, messages: Iterable[int] | None = None, *,
              opacity: float = theme.DIM_OPACITY) -> SequenceDiagram:
        """Dim every event not in ``events`` and every message not in ``messages`` (None: nothing dimmed)."""
        if not 0.0 <= opacity <= 1.0:
            raise ValueError(f"opacity must be in [0, 1], got {opacity}")
        keep_e = set(range(len(self.events))) if events is None else set(events)
        keep_m = set(range(len(self.messages))) if messages is None else set(messages)
        self.event_opacity = [1.0 if i in keep_e else opacity for i in range(len(self.events))]
        self.message_opacity = [1.0 if i in keep_m else opacity for i in range(len(self.messages))]
        self._shown = [None] * len(self.events)
        return self

    def set_rings(self, rings: Mapping[int, str] | None = None) -> SequenceDiagram:
        """Put a ring of the given colour around each listed event (None: no rings besides the path's)."""
        self.ring_colors = dict(rings or {})
        for i in self.ring_colors:
            if not 0 <= i < len(self.events):
                raise ValueError(f"no event {i} (the diagram has {len(self.events)})")
        self._shown = [None] * len(self.events)
        return self

    def set_path(self, path: Sequence[int], progress: float) -> SequenceDiagram:
        """Glow along the events ``path`` (a chain, first to last) up to ``progress`` segments (0 .. len - 1)."""
        if any(not 0 <= i < len(self.events) for i in path):
            raise ValueError(f"path {list(path)} names an event the diagram does not have")
        top = max(len(path) - 1, 0)
        if not 0.0 <= progress <= top + EPS:
            raise ValueError(f"path progress must be in [0, {top}], got {progress}")
        self.path, self.path_progress = list(path), float(min(progress, top))
        points = [self.event_point(i) for i in self.path]
        if len(points) < 2 or self.path_progress <= 0:
            self.glow.clear_points()
        else:
            whole = int(np.floor(self.path_progress))
            corners = points[:whole + 1]
            if whole < len(points) - 1:
                frac = self.path_progress - whole
                corners.append(points[whole] + (points[whole + 1] - points[whole]) * frac)
            self.glow.set_points(_polyline(corners, False))
        self._shown = [None] * len(self.events)
        return self

    def lit(self) -> set[int]:
        """Events of the path reached so far."""
        if not self.path:
            return set()
        return set(self.path[:int(np.floor(self.path_progress + EPS)) + 1])

    def show_at(self, t: float) -> SequenceDiagram:
        """Show what has happened by time ``t``: events whose time has come, arrows grown towards their receivers."""
        self.now = float(t)
        lit = self.lit()
        for i, ev in enumerate(self.events):
            visible = t >= ev.t - EPS
            ring = self.ring_colors.get(i, theme.HIGHLIGHT if i in lit else None)
            key = (visible, self.event_opacity[i], ring, self.labels_on)
            if key == self._shown[i]:
                continue
            self._shown[i] = key
            opacity = self.event_opacity[i] if visible else 0.0
            self.marks[i].set_stroke(opacity=opacity).set_fill(opacity=opacity)
            shown = opacity if self.labels_on and self.label_texts[i] else 0.0
            self.labels[i].set_opacity(shown)
            self.backdrops[i].set_fill(opacity=0.85 * shown)
            self.rings[i].set_stroke(color=ring or theme.HIGHLIGHT, opacity=opacity if ring else 0.0)
        for j, (msg, arrow) in enumerate(zip(self.messages, self.arrows)):
            arrow.set_arrow_opacity(self.message_opacity[j])
            if msg.dropped:
                arrow.set_dropped(msg.progress_at(t), lost=t >= msg.recv_t)
            else:
                arrow.set_progress(msg.progress_at(t))
        return self

    def follow(self, clock: ValueTracker) -> SequenceDiagram:
        """Show the diagram at ``clock``'s value from now on."""
        self.show_at(clock.get_value())
        self.add_updater(lambda m: m.show_at(clock.get_value()))
        return self
