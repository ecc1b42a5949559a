"""Node components: ServerNode with a state badge, TimerRing, ClientNode, LeaderCrown, CrashBolt.

All of them change in place (``set_*`` methods mutate points, text and
opacity), so they can be driven by updaters that are pure functions of a
ValueTracker clock. None of them knows any protocol: a scene maps its own
states (follower, leader, crashed ...) onto badges, colors and opacity.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, ORIGIN, PI, TAU, UP, Arc, Circle, Polygon, RoundedRectangle, VGroup

from scenes.kit import theme
from scenes.kit.text import SwapText, label

__all__ = ["TimerRing", "ServerNode", "ClientNode", "LeaderCrown", "CrashBolt"]


class TimerRing(VGroup):
    """A countdown ring: a faint full track and a bright arc for the fraction of time left.

    The arc starts at 12 o'clock and runs clockwise over ``fraction`` of the
    circle; as the fraction drains its end retreats towards 12 o'clock, and
    ``set_fraction(1.0)`` refills it. At 0 the arc is hidden.

    Parameters
    ----------
    radius
        Ring radius in frame units.
    fraction
        Initial fraction of time left, in ``[0, 1]``.
    color, track_color
        The arc and the track under it.
    stroke_width
        Width of both strokes.

    Examples
    --------
    ``ring = TimerRing(0.6).move_to(node); ring.set_fraction((deadline - t) / (deadline - start))``
    """

    def __init__(self, radius: float = 0.62, *, fraction: float = 1.0, color: str = theme.TEXT,
                 track_color: str = theme.GRID, stroke_width: float = 5.0) -> None:
        if radius <= 0:
            raise ValueError(f"TimerRing radius must be positive, got {radius}")
        super().__init__()
        self._radius0 = float(radius)
        self._template = Arc(radius=radius, start_angle=PI / 2, angle=-TAU, num_components=24, arc_center=ORIGIN)
        self.track = Circle(radius=radius, stroke_color=track_color, stroke_width=stroke_width, stroke_opacity=0.8)
        self.arc = self._template.copy().set_stroke(color=color, width=stroke_width)
        self.color_ = color
        self.fraction = 1.0
        self.visible = True
        self._drawn: tuple | None = None
        self.add(self.track, self.arc)
        self.set_fraction(fraction)

    def set_fraction(self, fraction: float, *, color: str | None = None) -> TimerRing:
        """Show ``fraction`` (0 = expired, 1 = just reset) of the ring; optionally recolor the arc."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"TimerRing fraction must be in [0, 1], got {fraction}")
        if color is not None:
            self.color_ = color
        key = (float(fraction), self.color_, self.track.get_center().tobytes(), self.track.width)
        if key == self._drawn:
            return self
        self.fraction = float(fraction)
        radius = self.track.width / 2
        self.arc.pointwise_become_partial(self._template, 0.0, max(self.fraction, 1e-4))
        self.arc.scale(radius / self._radius0, about_point=ORIGIN).shift(self.track.get_center())
        self.arc.set_stroke(color=self.color_, opacity=1.0 if self.fraction > 0 and self.visible else 0.0)
        self._drawn = key
        return self

    def set_visible(self, visible: bool) -> TimerRing:
        """Show or hide the whole ring (track and arc) without changing its fraction."""
        if visible != self.visible:
            self.visible = visible
            self.track.set_stroke(opacity=0.8 if visible else 0.0)
            self.arc.set_stroke(opacity=1.0 if visible and self.fraction > 0 else 0.0)
        return self


class ServerNode(VGroup):
    """A server: a disc with its name and a detail line, a state badge under it, an optional TimerRing.

    Parameters
    ----------
    name
        Short name drawn bold in the disc (``"S1"``).
    detail
        A second, changeable line in the disc (``"term 0"``); empty for none.
    badge
        Text of the state badge under the node (``"follower"``); empty for none.
    radius
        Disc radius; the ring (if any) sits just outside it.
    color
        Stroke color of the disc (and default badge color).
    timer
        Whether to draw a :class:`TimerRing` around the disc (``node.ring``).
    badge_above
        Put the badge above the node instead of under it (to keep it off routes that leave downwards).

    The badge text, its color, the disc color, the detail line and a dimmed
    look (for a node that is down) are all set in place by :meth:`set_state`.
    """

    def __init__(self, name: str, *, detail: str = "", badge: str = "", radius: float = 0.5,
                 color: str = theme.NODE, timer: bool = False, badge_above: bool = False) -> None:
        if not name.strip():
            raise ValueError("a ServerNode needs a name")
        if radius <= 0:
            raise ValueError(f"ServerNode radius must be positive, got {radius}")
        super().__init__()
        self.radius = float(radius)
        self.color_ = color
        self.dimmed = False
        self._last_state: tuple | None = None
        self.body = Circle(radius=radius, fill_color=theme.PANEL, fill_opacity=1.0, stroke_color=color,
                           stroke_width=theme.STROKE)
        self.name_text = label(name, font_size=theme.BODY_SIZE, weight="BOLD")
        self.add(self.body, self.name_text)
        self.detail: SwapText | None = None
        if detail:
            self.detail = SwapText(detail, font_size=theme.MIN_FONT_SIZE, color=theme.TEXT, monospace=False)
            self.name_text.move_to(self.body.get_center() + UP * radius * 0.28)
            self.detail.move_to(self.body.get_center() + DOWN * radius * 0.36)
            self.add(self.detail)
        else:
            self.name_text.move_to(self.body)
        self.ring: TimerRing | None = None
        if timer:
            self.ring = TimerRing(radius + 0.13).move_to(self.body)
            self.add(self.ring)
        self.badge: VGroup | None = None
        if badge:
            text = SwapText(badge, font_size=theme.MIN_FONT_SIZE, color=color, monospace=False)
            frame = RoundedRectangle(corner_radius=0.12, width=text.width + 0.3, height=0.34, fill_color=theme.BACKGROUND,
                                     fill_opacity=1.0, stroke_color=color, stroke_width=theme.THIN_STROKE)
            self.badge = VGroup(frame, text)
            text.move_to(frame)
            outer = self.ring.track if self.ring is not None else self.body
            self.badge.next_to(outer, UP if badge_above else DOWN, buff=0.08)
            self.add(self.badge)

    @property
    def badge_text(self) -> str:
        return self.badge[1].text if self.badge is not None else ""

    def set_state(self, *, badge: str | None = None, color: str | None = None, detail: str | None = None,
                  dimmed: bool | None = None) -> ServerNode:
        """Change the badge text, the node color, the detail line and/or the dimmed look, in place."""
        if badge is not None and self.badge is None:
            raise ValueError("this ServerNode was built without a badge")
        if detail is not None and self.detail is None:
            raise ValueError("this ServerNode was built without a detail line")
        key = (badge, color, detail, dimmed)
        if key == self._last_state:
            return self
        self._last_state = key
        if color is not None:
            self.color_ = color
        if dimmed is not None:
            self.dimmed = dimmed
        if detail is not None:
            self.detail.set_text(detail)
        opacity = theme.DIM_OPACITY + 0.15 if self.dimmed else 1.0
        shown = theme.MUTED if self.dimmed else self.color_
        self.body.set_stroke(color=shown, opacity=opacity)
        self.body.set_fill(opacity=1.0)
        self.name_text.set_opacity(opacity)
        if self.detail is not None:
            self.detail.set_opacity(opacity)
        if self.badge is not None:
            frame, text = self.badge
            if badge is not None or color is not None or dimmed is not None:
                center = frame.get_center()
                text.set_text(badge if badge is not None else text.text, shown)
                frame.stretch_to_fit_width(text.width + 0.3).move_to(center)
                text.move_to(center)
            frame.set_stroke(color=shown, opacity=opacity)
            text.set_opacity(opacity)
        return self

    def edge_point(self, toward: np.ndarray, *, gap: float = 0.0) -> np.ndarray:
        """The point on the node's outline (ring if any) facing ``toward``, pushed out by ``gap``."""
        center = self.body.get_center()
        vect = np.asarray(toward, dtype=float) - center
        norm = np.linalg.norm(vect)
        if norm < 1e-9:
            raise ValueError("edge_point needs a target away from the node's center")
        outer = (self.ring.track.width / 2) if self.ring is not None else self.body.width / 2
        return center + vect / norm * (outer + gap)


class ClientNode(VGroup):
    """A client (or any caller outside the cluster): a rounded box with its name.

    ``edge_point(toward)`` gives where its messages leave the box.
    """

    def __init__(self, name: str = "client", *, color: str = theme.TEXT, width: float | None = None,
                 height: float = 0.7) -> None:
        if not name.strip():
            raise ValueError("a ClientNode needs a name")
        if height <= 0:
            raise ValueError(f"ClientNode height must be positive, got {height}")
        super().__init__()
        self.name_text = label(name, font_size=theme.LABEL_SIZE, color=color)
        box_width = width if width is not None else self.name_text.width + 0.4
        if box_width < self.name_text.width:
            raise ValueError(f"ClientNode width {box_width} is narrower than its name")
        self.box = RoundedRectangle(corner_radius=0.15, width=box_width, height=height, fill_color=theme.PANEL,
                                    fill_opacity=1.0, stroke_color=color, stroke_width=theme.THIN_STROKE)
        self.name_text.move_to(self.box)
        self.add(self.box, self.name_text)

    def edge_point(self, toward: np.ndarray, *, gap: float = 0.05) -> np.ndarray:
        """Where a line from the box's center towards ``toward`` leaves the box."""
        center = self.box.get_center()
        vect = np.asarray(toward, dtype=float) - center
        if np.linalg.norm(vect) < 1e-9:
            raise ValueError("edge_point needs a target away from the box's center")
        half_w, half_h = self.box.width / 2, self.box.height / 2
        scale = min(half_w / abs(vect[0]) if abs(vect[0]) > 1e-9 else np.inf,
                    half_h / abs(vect[1]) if abs(vect[1]) > 1e-9 else np.inf)
        return center + vect * scale + vect / np.linalg.norm(vect) * gap


class LeaderCrown(Polygon):
    """A small three-point crown, filled, to sit on top of whichever node leads.

    ``place_on(mobject)`` puts it just above a mobject.
    """

    def __init__(self, width: float = 0.55, *, color: str = theme.HIGHLIGHT) -> None:
        if width <= 0:
            raise ValueError(f"LeaderCrown width must be positive, got {width}")
        w, h = width / 2, width * 0.62
        corners = [(-w, 0), (w, 0), (w, h), (w * 0.5, h * 0.45), (0, h), (-w * 0.5, h * 0.45), (-w, h)]
        super().__init__(*[np.array([x, y, 0.0]) for x, y in corners], fill_color=color, fill_opacity=1.0,
                         stroke_color=theme.BACKGROUND, stroke_width=1.5)

    def place_on(self, mobject: VGroup, *, buff: float = 0.05) -> LeaderCrown:
        self.next_to(mobject, UP, buff=buff)
        return self


class CrashBolt(Polygon):
    """A lightning bolt to lay over a node that has crashed (shape, not only color, says "down")."""

    def __init__(self, height: float = 0.9, *, color: str = theme.FAILURE) -> None:
        if height <= 0:
            raise ValueError(f"CrashBolt height must be positive, got {height}")
        corners = [(0.12, 0.5), (-0.22, 0.02), (-0.02, 0.02), (-0.14, -0.5), (0.24, 0.06), (0.04, 0.06), (0.22, 0.5)]
        super().__init__(*[np.array([x * height, y * height, 0.0]) for x, y in corners], fill_color=color,
                         fill_opacity=1.0, stroke_color=theme.BACKGROUND, stroke_width=2.0)
