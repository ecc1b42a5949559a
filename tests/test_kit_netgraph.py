"""scenes.kit.netgraph.LayeredGraph: values, edge styles and labels, and sweeps, all in place."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit import theme

LAYERS = [["a1", "a2"], ["b1", "b2"], ["c1"]]
EDGES = [("e1", "a1", "b1"), ("e2", "a2", "b1"), ("e3", "a1", "b2"), ("e4", "a2", "b2"), ("e5", "b1", "c1"),
         ("e6", "b2", "c1")]


def graph():
    from scenes.kit.netgraph import LayeredGraph

    return LayeredGraph(LAYERS, EDGES, width=4.0, height=2.0, node_radius=0.4)


def test_layout_and_edges_meet_the_node_borders() -> None:
    g = graph()
    assert np.allclose(g.node_center("a1"), [-2, 1, 0]) and np.allclose(g.node_center("c1"), [2, 0, 0])
    start = g.edges["e5"].get_start()
    assert np.linalg.norm(start - g.node_center("b1")) == pytest.approx(0.4)
    assert g.edges_between(1) == ["e5", "e6"]


def test_values_styles_and_labels_change_in_place() -> None:
    g = graph()
    before = {id(m) for m in g.get_family()}
    g.set_value("b1", "0.593")
    assert g.values["b1"].text == "0.593" and g.values["b1"].get_fill_opacity() == 1.0
    g.set_value("b1", None)
    assert g.values["b1"].get_fill_opacity() == 0.0
    g.set_edge_style("e1", color=theme.ACCENT, width=7.0)
    assert g.edges["e1"].get_stroke_width() == 7.0 and g.styles["e1"] == (theme.ACCENT, 7.0, 1.0)
    g.set_edge_label("e1", "0.15", at=0.5, side=1.0)
    label = g.labels["e1"]
    assert label.text == "0.15" and label.get_center()[1] > g.edge_point("e1", 0.5)[1]
    g.set_edge_label("e1", None)
    assert label.get_fill_opacity() == 0.0
    g.set_node_style("c1", highlighted=True)
    assert g.nodes["c1"].get_stroke_color().to_hex().upper() == theme.HIGHLIGHT.upper()
    assert {id(m) for m in g.get_family()} == before
    for bad in (lambda: g.set_value("zz", "1"), lambda: g.set_edge_style("e1", width=0),
                lambda: g.set_pulse("e1", 2.0)):
        with pytest.raises(ValueError):
            bad()


def test_sweep_lights_one_layer_gap_at_a_time() -> None:
    g = graph()
    assert g.sweep(0.0) == {"a1", "a2"}
    reached = g.sweep(0.5)
    assert reached == {"a1", "a2"}
    assert g.pulses["e1"].get_fill_opacity() == 1.0 and g.pulses["e5"].get_fill_opacity() == 0.0
    assert np.allclose(g.pulses["e1"].get_center(), g.edge_point("e1", 0.5))
    assert g.sweep(1.25) == {"a1", "a2", "b1", "b2"}
    assert g.pulses["e1"].get_fill_opacity() == 0.0 and g.pulses["e5"].get_fill_opacity() == 1.0
    back = g.sweep(0.25, backward=True)
    assert back == {"c1"}
    assert np.allclose(g.pulses["e6"].get_center(), g.edge_point("e6", 0.75)), "backward runs right to left"
    g.sweep(0.5, edges=["e1"])
    assert g.pulses["e2"].get_fill_opacity() == 0.0
    g.sweep(2.0)
    assert all(p.get_fill_opacity() == 0.0 for p in g.pulses.values())
    assert g.edges["e1"].get_stroke_color().to_hex().upper() == theme.GRID.upper(), "styles return after a sweep"
    with pytest.raises(ValueError):
        g.sweep(2.5)


def test_bad_graphs_are_refused() -> None:
    from scenes.kit.netgraph import LayeredGraph

    for layers, edges in (([["a"]], []), ([["a"], ["a"]], []), ([["a"], ["b"]], [("e", "b", "a")]),
                          ([["a"], ["b"], ["c"]], [("e", "a", "c")])):
        with pytest.raises(ValueError):
            LayeredGraph(layers, edges)
