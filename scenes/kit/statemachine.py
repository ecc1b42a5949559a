"""StateMachine: named states in boxes joined by labelled arrows; the current state and the transition just
taken light up, in place.

``set_active(state, taken=(from, to), glow=g)`` is pure: the same arguments always give the same picture,
so an updater that reads a clock (the state at that time, the last transition and how long ago it was)
can drive it. The current state is told by shape as well as colour: a thicker outline and a filled
marker dot beside its name.

Example::

    machine = StateMachine(["closed", "open", "half_open"],
                           [("closed", "open", "5 failures"), ("open", "half_open", "after 5 s"),
                            ("half_open", "closed", "trial ok"), ("half_open", "open", "trial fails")],
                           names={"half_open": "half-open"}, start_deg=150)
    layout.SIDE_PANEL.place(machine, align=UP)
    machine.add_updater(lambda m: m.set_active(state_at(clock.get_value()), taken=last_move(clock.get_value()),
                                               glow=fading(clock.get_value())))
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
from manim import ArcBetweenPoints, Dot, Line, Polygon, RoundedRectangle, VGroup, VMobject

from scenes.kit import theme
from scenes.kit.text import label

__all__ = ["StateMachine"]

TIP = 0.18  #: arrow tip length
ARRANGEMENTS = ("ring", "row")


class StateMachine(VGroup):
    """States on a ring (or in a row) as rounded boxes, and an arrow per transition with its label.

    Parameters
    ----------
    states
        State keys, 2-8 of them, in placement order.
    transitions
        ``(from, to, label)`` triples; at most one per ordered pair, never a state to itself.
        When both directions between two states exist, the two arrows bend apart.
    names
        Display names of states (default: the key).
    arrangement
        ``"ring"`` (first state at ``start_deg``, then clockwise) or ``"row"`` (left to right).
    radius
        Ring radius (row: distance between neighbouring centres).
    stretch
        Widens (> 1) or narrows the ring horizontally, to make room for labels between wide boxes.
    bend
        Bend of a lone arrow in radians (a pair bends by ``2 x bend`` each way).
    color, active_color, taken_color
        Idle boxes and arrows; the current state; the transition just taken.
    """

    def __init__(self, states: Sequence[str], transitions: Sequence[tuple[str, str, str]], *,
                 names: Mapping[str, str] | None = None, arrangement: str = "ring", radius: float = 1.3,
                 start_deg: float = 90.0, stretch: float = 1.0, bend: float = 0.0, font_size: float = theme.LABEL_SIZE,
                 label_size: float = theme.MIN_FONT_SIZE, color: str = theme.MUTED,
                 active_color: str = theme.HIGHLIGHT, taken_color: str = theme.HIGHLIGHT) -> None:
        if not 2 <= len(states) <= 8 or len(set(states)) != len(states):
            raise ValueError(f"a StateMachine needs 2-8 distinct states, got {list(states)}")
        if arrangement not in ARRANGEMENTS:
            raise ValueError(f"arrangement must be one of {ARRANGEMENTS}, got {arrangement!r}")
        if radius <= 0 or stretch <= 0:
            raise ValueError(f"radius and stretch must be positive, got {radius}, {stretch}")
        pairs = [(a, b) for a, b, _ in transitions]
        if len(set(pairs)) != len(pairs):
            raise ValueError("at most one transition per ordered pair of states")
        for a, b in pairs:
            if a not in states or b not in states or a == b:
                raise ValueError(f"transition {a!r} -> {b!r} needs two different known states")
        super().__init__()
        self.color_, self.active_color, self.taken_color = color, active_color, taken_color
        names = dict(names or {})
        n = len(states)
        if arrangement == "ring":
            centers = [radius * np.array([stretch * math.cos(math.radians(start_deg - 360.0 * i / n)),
                                          math.sin(math.radians(start_deg - 360.0 * i / n)), 0.0]) for i in range(n)]
        else:
            centers = [np.array([(i - (n - 1) / 2) * radius, 0.0, 0.0]) for i in range(n)]
        self.boxes: dict[str, VGroup] = {}
        self.markers: dict[str, Dot] = {}
        for key, center in zip(states, centers):
            text = label(names.get(key, key), font_size=font_size, color=theme.TEXT)
            box = RoundedRectangle(corner_radius=0.14, width=text.width + 0.62, height=text.height + 0.36,
                                   fill_color=theme.PANEL, fill_opacity=1.0, stroke_color=color,
                                   stroke_width=theme.THIN_STROKE)
            marker = Dot(radius=0.07, color=active_color).move_to(box.get_left() + [0.18, 0, 0])
            text.move_to(box).shift([0.09, 0, 0])
            group = VGroup(box, text, marker).move_to(center)
            self.boxes[key], self.markers[key] = group, marker
        self.center_point = np.mean(centers, axis=0)
        self.arrows: dict[tuple[str, str], VGroup] = {}
        self.labels: dict[tuple[str, str], VGroup] = {}
        for a, b, text in transitions:
            angle = (2 * bend if bend else 0.7) if (b, a) in pairs else bend
            arrow = self._arrow(self.boxes[a][0], self.boxes[b][0], -angle)
            self.arrows[(a, b)] = arrow
            self.labels[(a, b)] = self._label(text, arrow, label_size)
        self.add(*self.arrows.values(), *self.labels.values(), *self.boxes.values())
        self.state: str | None = None
        self.taken: tuple[str, str] | None = None
        self.glow = 0.0
        self._shown: tuple | None = None
        self.set_active(None)

    # --- construction --------------------------------------------------------------------------
    @staticmethod
    def _inside(box: RoundedRectangle, point: np.ndarray, gap: float = 0.06) -> bool:
        c = box.get_center()
        return abs(point[0] - c[0]) <= box.width / 2 + gap and abs(point[1] - c[1]) <= box.height / 2 + gap

    def _arrow(self, a: RoundedRectangle, b: RoundedRectangle, angle: float) -> VGroup:
        """An arc from box ``a``'s centre to box ``b``'s, bent by ``angle`` radians, trimmed to the boxes'
        outlines, with a tip at ``b``."""
        ca, cb = a.get_center(), b.get_center()
        full = ArcBetweenPoints(ca, cb, angle=angle) if abs(angle) > 1e-6 else Line(ca, cb)
        samples = np.linspace(0.0, 1.0, 201)
        first = next(p for p in samples if not self._inside(a, full.point_from_proportion(p)))
        last = next(p for p in samples[::-1] if not self._inside(b, full.point_from_proportion(p)))
        if last <= first:
            raise ValueError("two states' boxes overlap: give the machine a larger radius")
        end = full.point_from_proportion(last)
        direction = end - full.point_from_proportion(max(last - 0.02, first))
        direction /= np.linalg.norm(direction)
        side = np.array([-direction[1], direction[0], 0.0])
        base = end - direction * TIP
        shaft_end = next(p for p in samples[::-1]
                         if p <= last and np.linalg.norm(full.point_from_proportion(p) - end) >= TIP * 0.8)
        shaft = VMobject(stroke_width=theme.THIN_STROKE)
        shaft.pointwise_become_partial(full, first, max(shaft_end, first + 1e-3))
        tip = Polygon(end, base + side * TIP * 0.45, base - side * TIP * 0.45, stroke_width=0, fill_opacity=1.0)
        return VGroup(shaft, tip)

    def _label(self, text: str, arrow: VGroup, size: float) -> VGroup:
        """The transition's label beside the arrow's middle: on its bulge side if it bends, else on the side
        away from the diagram's centre."""
        words = label(text, font_size=size, color=theme.TEXT)
        shaft = arrow[0]
        start, mid, end = (shaft.point_from_proportion(p) for p in (0.0, 0.5, 1.0))
        out = mid - (start + end) / 2
        if np.linalg.norm(out) < 1e-3:
            chord = end - start
            out = np.array([-chord[1], chord[0], 0.0])
            if np.dot(out, mid - self.center_point) < 0:
                out = -out
        out = out / np.linalg.norm(out)
        reach = abs(out[0]) * words.width / 2 + abs(out[1]) * words.height / 2 + 0.1
        words.move_to(mid + out * reach)
        return VGroup(words)

    # --- state -----------------------------------------------------------------------------------
    def set_active(self, state: str | None, *, taken: tuple[str, str] | None = None, glow: float = 1.0
                   ) -> StateMachine:
        """Light ``state`` (None: none) and the arrow ``taken`` (None: none) at strength ``glow`` in [0, 1]."""
        if state is not None and state not in self.boxes:
            raise ValueError(f"unknown state {state!r}")
        if taken is not None and tuple(taken) not in self.arrows:
            raise ValueError(f"no transition {taken!r}")
        if not 0.0 <= glow <= 1.0:
            raise ValueError(f"glow must be in [0, 1], got {glow}")
        key = (state, tuple(taken) if taken else None, round(glow, 4))
        if key == self._shown:
            return self
        self._shown = key
        self.state, self.taken, self.glow = key
        for name, (box, text, marker) in self.boxes.items():
            on = name == state
            box.set_stroke(color=self.active_color if on else self.color_, width=theme.STROKE + 2 if on else
                           theme.THIN_STROKE)
            box.set_fill(color=theme.PANEL, opacity=1.0)
            text.set_opacity(1.0 if on else 0.75)
            marker.set_opacity(1.0 if on else 0.0)
        for pair, (shaft, tip) in self.arrows.items():
            lit = glow if pair == self.taken else 0.0
            color = self.taken_color if lit > 0 else self.color_
            shaft.set_stroke(color=color, width=theme.THIN_STROKE + 3 * lit, opacity=0.6 + 0.4 * lit)
            tip.set_fill(color=color, opacity=0.6 + 0.4 * lit)
            self.labels[pair].set_opacity(0.7 + 0.3 * lit)
        return self

    def box(self, state: str) -> VGroup:
        """The box group (outline, name, marker) of ``state``."""
        return self.boxes[state]
