"""The node, message and log components of the kit: their documented behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit import theme


# --- kit: nodes -----------------------------------------------------------------------------------------
def test_timer_ring_shows_the_fraction_left() -> None:
    from scenes.kit.nodes import TimerRing

    ring = TimerRing(0.5)
    assert ring.fraction == 1.0
    ring.set_fraction(0.25)
    assert ring.fraction == 0.25
    points = ring.arc.points
    # a quarter clockwise from 12 o'clock ends at 3 o'clock
    assert np.allclose(points[0], [0, 0.5, 0], atol=1e-3) and np.allclose(points[-1], [0.5, 0, 0], atol=1e-3)
    ring.set_fraction(0.0)
    assert ring.arc.get_stroke_opacity() == 0.0
    ring.move_to([2, 1, 0]).set_fraction(0.5)
    assert np.allclose(ring.arc.points[-1], [2, 0.5, 0], atol=1e-3)
    with pytest.raises(ValueError):
        ring.set_fraction(1.5)
    with pytest.raises(ValueError):
        TimerRing(0)


def test_server_node_changes_state_in_place() -> None:
    from scenes.kit.nodes import ServerNode

    node = ServerNode("S1", detail="term 0", badge="follower", timer=True)
    parts = list(node.get_family())
    node.set_state(badge="candidate", color=theme.ACCENT, detail="term 1")
    assert node.badge_text == "candidate" and node.detail.text == "term 1"
    assert {id(m) for m in parts} <= {id(m) for m in node.get_family()}  # changed in place: nothing removed
    node.set_state(dimmed=True)
    assert node.name_text.get_fill_opacity() < 1.0
    edge = node.edge_point(np.array([5.0, 0, 0]))
    assert np.isclose(np.linalg.norm(edge - node.body.get_center()), node.ring.track.width / 2)
    with pytest.raises(ValueError):
        ServerNode("")
    with pytest.raises(ValueError):
        ServerNode("S2").set_state(badge="leader")


def test_client_crown_and_bolt() -> None:
    from scenes.kit.nodes import ClientNode, CrashBolt, LeaderCrown, ServerNode

    client = ClientNode("client")
    edge = client.edge_point(np.array([10.0, 0, 0]), gap=0.0)
    assert np.isclose(edge[0], client.box.get_right()[0])
    node = ServerNode("S1")
    crown = LeaderCrown().place_on(node)
    assert crown.get_bottom()[1] >= node.get_top()[1]
    assert CrashBolt(0.9).height == pytest.approx(0.9, rel=0.02)
    for bad in (lambda: LeaderCrown(0), lambda: CrashBolt(-1), lambda: ClientNode(" ")):
        with pytest.raises(ValueError):
            bad()


# --- kit: messages --------------------------------------------------------------------------------------
def test_route_between_pulls_in_the_ends_and_offsets_the_lane() -> None:
    from scenes.kit.messages import route_between

    start, end = route_between(np.array([0.0, 0, 0]), np.array([4.0, 0, 0]), start_gap=0.5, end_gap=1.0, offset=0.1)
    assert np.allclose(start, [0.5, -0.1, 0]) and np.allclose(end, [3.0, -0.1, 0])
    with pytest.raises(ValueError):
        route_between(np.zeros(3), np.array([1.0, 0, 0]), start_gap=0.6, end_gap=0.6)


def test_message_dot_position_and_fizzle() -> None:
    from scenes.kit.messages import Flight, MessageDot

    dot = MessageDot([0, 0, 0], [2, 0, 0])
    dot.travel(0.25)
    assert np.allclose(dot.dot.get_center(), [0.5, 0, 0])
    flight = Flight((0, 0, 0), (2, 0, 0), send_t=100, deliver_t=110)
    assert flight.progress_at(105) == 0.5 and flight.progress_at(90) == 0.0 and flight.progress_at(200) == 1.0
    dropped = Flight((0, 0, 0), (2, 0, 0), send_t=100, deliver_t=110, dropped=True, drop_at=0.8)
    assert dropped.progress_at(110) == pytest.approx(0.8)
    dot.fizzle(0.5)
    assert len(dot.dot.points) == 0 and len(dot.cross[0].points) > 0
    assert dot.cross[0].get_stroke_opacity() == pytest.approx(0.5)
    dot.hide()
    assert all(len(part.points) == 0 for part in (dot.shaft, dot.tip, dot.dot, *dot.cross))
    curved = MessageDot([0, 0, 0], [2, 0, 0], arc=1.0).travel(0.5)
    assert curved.dot.get_center()[1] < 0  # positive arcs bend to the right of travel
    for bad in (lambda: Flight((0, 0, 0), (1, 0, 0), send_t=5, deliver_t=4), lambda: MessageDot([1, 1, 0], [1, 1, 0]),
                lambda: dot.travel(1.5), lambda: MessageDot(radius=0)):
        with pytest.raises(ValueError):
            bad()


def test_flight_layer_replays_flights_from_a_fixed_pool() -> None:
    from scenes.kit.messages import Flight, FlightLayer

    flights = [Flight((0, 0, 0), (2, 0, 0), 0, 10), Flight((0, 1, 0), (2, 1, 0), 5, 15, tag="x=1"),
               Flight((0, 2, 0), (2, 2, 0), 20, 30, dropped=True)]
    layer = FlightLayer(flights, fizzle_time=5)
    assert layer.max_concurrent() == 2 and len(layer.slots) == 2
    family = list(layer.get_family())
    layer.show_at(7.5)
    assert {tuple(np.round(s.dot.get_center(), 6)) for s in layer.slots} == {(1.5, 0, 0), (0.5, 1, 0)}
    layer.show_at(32)  # the dropped one fizzles for 5 after its deliver time
    assert [s.state for s in layer.slots] == ["fizzle", "hidden"]
    layer.show_at(40)
    assert all(s.state == "hidden" for s in layer.slots)
    assert {id(m) for m in family} <= {id(m) for m in layer.get_family()}  # mobjects are reused, never swapped
    with pytest.raises(ValueError):
        FlightLayer(flights, fizzle_time=0)


# --- kit: logs ------------------------------------------------------------------------------------------
def test_log_strip_fills_committed_cells_and_leaves_the_rest_hollow() -> None:
    from scenes.kit.logs import LogCell, LogStrip

    logs = LogStrip(["S1", "S2"], 3)
    logs.set_row(0, [LogCell("x=1", "term 1", committed=True), LogCell("y=2", "term 1")])
    assert logs.is_committed(0, 1) and not logs.is_committed(0, 2)
    assert logs.slot(0, 2).box.get_stroke_opacity() == 1.0 and logs.slot(0, 2).box.get_fill_opacity() == 0.0
    assert logs.cell_at(0, 3) is None and logs.slot(0, 3).text.get_fill_opacity() == 0.0
    logs.set_cell(1, 1, LogCell("z=9", "term 1", struck=True))
    assert logs.slot(1, 1).strike.get_stroke_opacity() == 1.0
    logs.set_row_dimmed(1, True)
    assert logs.slot(1, 1).box.get_stroke_opacity() < 1.0 and logs.row_names[1].get_fill_opacity() < 1.0
    logs.set_row(0, [])
    assert logs.cell_at(0, 1) is None and not logs.is_committed(0, 1)
    for bad in (lambda: LogStrip([], 3), lambda: LogStrip(["S1"], 0), lambda: logs.set_row(0, [LogCell("a")] * 4),
                lambda: logs.set_cell(0, 4, None), lambda: logs.set_cell(2, 1, None), lambda: LogCell(" ")):
        with pytest.raises(ValueError):
            bad()
