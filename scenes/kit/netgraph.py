"""LayeredGraph: a small layered network of nodes and weighted edges, with passes that sweep through it.

Nodes are circles in columns (one column per layer) with a name beside them and one
value printed inside; edges are lines between node borders whose colour, width and
opacity are set per edge, with an optional label riding on the edge. A *sweep* moves
through the layers from a progress value: ``sweep(p)`` lights the edges between
layer ``k`` and ``k + 1`` while ``k < p < k + 1`` (a dot travels along each) and marks
the nodes the sweep has reached; ``backward=True`` runs from the last layer to the
first. Everything is built once and restyled in place, so ``sweep`` and the ``set_*``
methods can be called from an updater that is a pure function of a clock. Build it at the
size it is shown at and move it, never scale it: changed values keep the built font size.

Example::

    graph = LayeredGraph([["a1", "a2"], ["b1", "b2"]],
                         [("e1", "a1", "b1"), ("e2", "a2", "b1"), ("e3", "a1", "b2"), ("e4", "a2", "b2")])
    layout.MAIN.place(graph)
    graph.set_value("a1", "0.05")
    graph.set_edge_label("e1", "0.15")
    reached = graph.sweep(clock.get_value())          # 0 .. 1 lights e1..e4, then b1 and b2
    graph.set_edge_style("e3", color=theme.ACCENT, width=6.0)
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from manim import DOWN, UP, Circle, Line, Rectangle, VGroup

from scenes.kit import theme
from scenes.kit.text import SwapText, label

__all__ = ["LayeredGraph"]


class LayeredGraph(VGroup):
    """Layers of named nodes joined by named edges; values, edge styles and sweeps set in place.

    Parameters
    ----------
    layers
        Node names per layer, first layer on the left.
    edges
        ``(name, from_node, to_node)`` triples; each joins adjacent layers, left to right.
    width, height
        The extent of the node centres.
    node_radius
        Radius of a node circle (room for one short value such as ``0.593``).
    names_above
        Put each node's name above it (else below).
    font_size
        Size of the values and names.
    label_size
        Size of the edge labels (default: ``font_size``).
    """

    def __init__(self, layers: Sequence[Sequence[str]], edges: Sequence[tuple[str, str, str]], *,
                 width: float = 6.0, height: float = 3.0, node_radius: float = 0.45, names_above: bool = True,
                 font_size: float = theme.LABEL_SIZE, label_size: float | None = None,
                 edge_width: float = 3.0) -> None:
        if len(layers) < 2 or any(not layer for layer in layers):
            raise ValueError("a LayeredGraph needs at least two non-empty layers")
        names = [n for layer in layers for n in layer]
        if len(set(names)) != len(names):
            raise ValueError("node names must be unique")
        if node_radius <= 0 or width <= 0 or height <= 0:
            raise ValueError("width, height and node_radius must be positive")
        self.layer_of = {n: k for k, layer in enumerate(layers) for n in layer}
        for name, a, b in edges:
            if a not in self.layer_of or b not in self.layer_of:
                raise ValueError(f"edge {name!r} joins unknown nodes {a!r} -> {b!r}")
            if self.layer_of[b] != self.layer_of[a] + 1:
                raise ValueError(f"edge {name!r} must join adjacent layers left to right")
        super().__init__()
        self.layers = [list(layer) for layer in layers]
        self.edge_ends = {name: (a, b) for name, a, b in edges}
        self.base_width = edge_width
        self.radius = node_radius
        self.centers: dict[str, np.ndarray] = {}
        for k, layer in enumerate(layers):
            x = -width / 2 + width * k / (len(layers) - 1)
            for i, n in enumerate(layer):
                y = 0.0 if len(layer) == 1 else height / 2 - height * i / (len(layer) - 1)
                self.centers[n] = np.array([x, y, 0.0])
        self.edges: dict[str, Line] = {}
        self.pulses: dict[str, Circle] = {}
        self.labels: dict[str, SwapText] = {}
        self.label_boxes: dict[str, Rectangle] = {}
        self._label_at: dict[str, tuple[float, float]] = {}
        edge_group, pulse_group, label_group = VGroup(), VGroup(), VGroup()
        for name, (a, b) in self.edge_ends.items():
            start, end = self._ends(a, b)
            line = Line(start, end, stroke_color=theme.GRID, stroke_width=edge_width)
            self.edges[name] = line
            pulse = Circle(radius=0.09, stroke_width=0, fill_color=theme.HIGHLIGHT, fill_opacity=0.0).move_to(start)
            self.pulses[name] = pulse
            box = Rectangle(width=0.1, height=0.1, stroke_width=0, fill_color=theme.BACKGROUND, fill_opacity=0.0)
            text = SwapText("·", font_size=label_size or font_size, color=theme.TEXT)
            text.set_opacity(0.0)
            self.labels[name], self.label_boxes[name] = text, box
            edge_group.add(line)
            pulse_group.add(pulse)
            label_group.add(box, text)
        self.nodes: dict[str, Circle] = {}
        self.values: dict[str, SwapText] = {}
        self.names: dict[str, VGroup] = {}
        node_group, value_group, name_group = VGroup(), VGroup(), VGroup()
        for n, at in self.centers.items():
            circle = Circle(radius=node_radius, stroke_color=theme.NODE, stroke_width=theme.STROKE,
                            fill_color=theme.PANEL, fill_opacity=1.0).move_to(at)
            value = SwapText("·", font_size=font_size, weight="BOLD").move_to(at)
            value.set_opacity(0.0)
            name_text = label(n, font_size=font_size, color=theme.MUTED)
            name_text.next_to(circle, UP if names_above else DOWN, buff=0.08)
            self.nodes[n], self.values[n], self.names[n] = circle, value, name_text
            node_group.add(circle)
            value_group.add(value)
            name_group.add(name_text)
        self.edge_group, self.pulse_group, self.label_group = edge_group, pulse_group, label_group
        self.node_group, self.value_group, self.name_group = node_group, value_group, name_group
        self.add(edge_group, pulse_group, node_group, value_group, name_group, label_group)  # labels on top
        self.styles = {name: (theme.GRID, edge_width, 1.0) for name in self.edges}

    def _ends(self, a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
        pa, pb = self.centers[a], self.centers[b]
        unit = (pb - pa) / np.linalg.norm(pb - pa)
        return pa + unit * self.radius, pb - unit * self.radius

    def _check_edge(self, name: str) -> None:
        if name not in self.edges:
            raise ValueError(f"no edge named {name!r}")

    def _check_node(self, name: str) -> None:
        if name not in self.nodes:
            raise ValueError(f"no node named {name!r}")

    # --- nodes ----------------------------------------------------------------------------
    def node_center(self, name: str) -> np.ndarray:
        self._check_node(name)
        return self.nodes[name].get_center()

    def set_value(self, name: str, text: str | None, *, color: str = theme.TEXT) -> LayeredGraph:
        """Print ``text`` inside node ``name`` (None: nothing)."""
        self._check_node(name)
        value = self.values[name]
        if text is None:
            value.set_opacity(0.0)
            return self
        value.set_text(text, color)
        value.move_to(self.nodes[name].get_center())
        value.set_opacity(1.0)
        return self

    def set_node_style(self, name: str, *, color: str = theme.NODE, highlighted: bool = False,
                       dimmed: bool = False) -> LayeredGraph:
        """Outline colour; ``highlighted`` draws a thicker highlight-coloured ring; ``dimmed`` fades the node."""
        self._check_node(name)
        opacity = theme.DIM_OPACITY if dimmed else 1.0
        self.nodes[name].set_stroke(theme.HIGHLIGHT if highlighted else color,
                                    width=theme.STROKE * (2.0 if highlighted else 1.0), opacity=opacity)
        self.names[name].set_opacity(opacity)
        return self

    # --- edges ----------------------------------------------------------------------------
    def edge_point(self, name: str, fraction: float) -> np.ndarray:
        """The point ``fraction`` of the way along edge ``name`` (0 = its left end)."""
        self._check_edge(name)
        return self.edges[name].point_from_proportion(min(max(fraction, 0.0), 1.0))

    def set_edge_style(self, name: str, *, color: str | None = None, width: float | None = None,
                       opacity: float | None = None) -> LayeredGraph:
        """Restyle one edge; what is not given keeps its current value."""
        self._check_edge(name)
        old = self.styles[name]
        style = (color or old[0], old[1] if width is None else width, old[2] if opacity is None else opacity)
        if style[1] <= 0 or not 0.0 <= style[2] <= 1.0:
            raise ValueError(f"edge width must be positive and opacity in [0, 1], got {style[1:]}")
        self.styles[name] = style
        self.edges[name].set_stroke(style[0], width=style[1], opacity=style[2])
        return self

    def set_edge_label(self, name: str, text: str | None, *, at: float = 0.3, side: float = 1.0,
                       color: str = theme.TEXT) -> LayeredGraph:
        """Print ``text`` on edge ``name`` at ``at`` of its length, on a background patch, shifted ``side``
        (+1 above, -1 below, 0 on the line); None hides it."""
        self._check_edge(name)
        text_m, box = self.labels[name], self.label_boxes[name]
        if text is None:
            text_m.set_opacity(0.0)
            box.set_fill(opacity=0.0)
            return self
        text_m.set_text(text, color)
        point = self.edge_point(name, at)
        h = text_m.current.height
        target = point + UP * side * (h / 2 + 0.12)
        text_m.move_to(target)
        text_m.set_opacity(1.0)
        w = text_m.current.width + 0.12
        box.set_points_as_corners([target + [-w / 2, -h / 2 - 0.05, 0], target + [w / 2, -h / 2 - 0.05, 0],
                                   target + [w / 2, h / 2 + 0.05, 0], target + [-w / 2, h / 2 + 0.05, 0],
                                   target + [-w / 2, -h / 2 - 0.05, 0]])
        box.set_fill(theme.BACKGROUND, opacity=0.85)
        return self

    def edges_between(self, layer: int) -> list[str]:
        """The edges from layer ``layer`` to layer ``layer + 1``."""
        return [e for e, (a, _) in self.edge_ends.items() if self.layer_of[a] == layer]

    def set_pulse(self, name: str, progress: float | None, *, backward: bool = False,
                  color: str = theme.HIGHLIGHT) -> LayeredGraph:
        """A dot ``progress`` (0..1) of the way along edge ``name`` (from its right end if ``backward``);
        None hides it."""
        self._check_edge(name)
        pulse = self.pulses[name]
        if progress is None:
            pulse.set_fill(opacity=0.0)
            return self
        if not 0.0 <= progress <= 1.0:
            raise ValueError(f"progress must be in [0, 1], got {progress}")
        pulse.move_to(self.edge_point(name, 1.0 - progress if backward else progress))
        pulse.set_fill(color, opacity=1.0)
        return self

    def sweep(self, progress: float, *, backward: bool = False, edges: Sequence[str] | None = None,
              active_color: str = theme.HIGHLIGHT) -> set[str]:
        """A pass through the layers at ``progress`` (0 .. layers - 1); returns the nodes it has reached.

        The edges of the layer gap being crossed carry a travelling dot and the ``active_color``;
        the other edges keep their styles (set them from the returned nodes, e.g. to recolour the
        edges a backward pass has priced). ``edges`` limits the pass to some edges (others stay dark).
        """
        last = len(self.layers) - 1
        if not 0.0 <= progress <= last:
            raise ValueError(f"progress must be in [0, {last}], got {progress}")
        chosen = set(self.edges if edges is None else edges)
        reached: set[str] = set()
        for step in range(last + 1):
            layer = last - step if backward else step
            if progress >= step:
                reached.update(self.layers[layer])
        for name, (a, b) in self.edge_ends.items():
            step = (last - self.layer_of[b]) if backward else self.layer_of[a]
            local = progress - step
            active = name in chosen and 0.0 < local < 1.0
            color, width, opacity = self.styles[name]
            self.edges[name].set_stroke(active_color if active else color, width=width, opacity=opacity)
            self.set_pulse(name, local if active else None, backward=backward, color=active_color)
        return reached
