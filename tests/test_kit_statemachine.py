"""scenes.kit.statemachine: states and labelled transitions; the current state and the move just taken light up."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit import theme

STATES = ["closed", "open", "half_open"]
MOVES = [("closed", "open", "5 fails"), ("open", "half_open", "after 5 s"), ("half_open", "closed", "trial ok"),
         ("half_open", "open", "trial fails")]


def machine(**kw):
    from scenes.kit.statemachine import StateMachine

    return StateMachine(STATES, MOVES, names={"half_open": "half-open"}, start_deg=150, **kw)


def test_states_sit_on_a_ring_and_arrows_join_their_boxes() -> None:
    m = machine(radius=1.2)
    centers = {s: m.box(s)[0].get_center() for s in STATES}
    assert np.allclose([np.linalg.norm(c - m.center_point) for c in centers.values()], 1.2, atol=1e-6)
    assert centers["closed"][0] < 0 < centers["open"][0] and centers["half_open"][1] < centers["closed"][1]
    for (a, b), (shaft, tip) in m.arrows.items():
        start, end = shaft.get_start(), tip.get_vertices()[0]
        assert np.linalg.norm(start - centers[a]) < np.linalg.norm(start - centers[b])
        assert np.linalg.norm(end - centers[b]) < np.linalg.norm(end - centers[a])
    assert m.box("half_open")[1].text == "half-open"
    wide = machine(radius=1.2, stretch=1.5)
    assert wide.box("open")[0].get_center()[0] == pytest.approx(centers["open"][0] * 1.5)


def test_a_two_way_pair_bends_apart_with_labels_on_either_side() -> None:
    m = machine()
    there, back = m.arrows[("open", "half_open")][0], m.arrows[("half_open", "open")][0]
    assert np.linalg.norm(there.point_from_proportion(0.5) - back.point_from_proportion(0.5)) > 0.15
    a, b = m.labels[("open", "half_open")].get_center(), m.labels[("half_open", "open")].get_center()
    assert np.linalg.norm(a - b) > 0.5


def test_set_active_lights_state_and_move_in_place() -> None:
    m = machine()
    family = {id(x) for x in m.get_family()}
    m.set_active("open", taken=("closed", "open"), glow=1.0)
    assert {id(x) for x in m.get_family()} == family
    box, _, marker = m.box("open")
    assert marker.get_fill_opacity() == 1.0 and m.box("closed")[2].get_fill_opacity() == 0.0
    assert box.get_stroke_width() > m.box("closed")[0].get_stroke_width()  # shape, not only colour
    shaft = m.arrows[("closed", "open")][0]
    assert shaft.get_stroke_color().to_hex().upper() == theme.HIGHLIGHT.upper()
    lit = shaft.get_stroke_width()
    m.set_active("open", taken=("closed", "open"), glow=0.0)
    assert shaft.get_stroke_width() < lit
    # pure: the same arguments give the same picture whatever came before
    fresh = machine()
    m.set_active(None)
    assert all(a.get_stroke_width() == b.get_stroke_width() and a.get_fill_opacity() == b.get_fill_opacity()
               for a, b in zip(m.get_family(), fresh.get_family()))


def test_state_machine_refuses_bad_input() -> None:
    from scenes.kit.statemachine import StateMachine

    for bad in (lambda: StateMachine(["a"], []),
                lambda: StateMachine(["a", "a"], []),
                lambda: StateMachine(["a", "b"], [("a", "a", "x")]),
                lambda: StateMachine(["a", "b"], [("a", "c", "x")]),
                lambda: StateMachine(["a", "b"], [("a", "b", "x"), ("a", "b", "y")]),
                lambda: StateMachine(["a", "b"], [], arrangement="star"),
                lambda: StateMachine(["a", "b"], [], radius=0),
                lambda: machine().set_active("nowhere"),
                lambda: machine().set_active("open", taken=("open", "closed")),
                lambda: machine().set_active("open", glow=2.0)):
        with pytest.raises(ValueError):
            bad()
