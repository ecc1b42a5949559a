"""Raft Consensus: one real preview render (duration, captions, chapters), the scene's reading of its
trace without video, and the node-and-message kit components' documented behaviour."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import srt
import webvtt

from render.captions import MAX_CPS, MIN_CUE_S
from render.catalog import load_catalog
from render.pipeline import RenderSettings, make_trace, render_one
from render.postprocess import probe
from scenes.kit import theme

TARGET_S = 90


def _secs(timestamp) -> float:
    """webvtt-py's *_in_seconds are whole seconds; use milliseconds."""
    return timestamp.in_milliseconds() / 1000


# --- one real render ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def raft_preview(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("raft-preview")
    outcome = render_one(load_catalog().get("raft-consensus"), RenderSettings(out_dir=out, quality="preview", force=True))
    assert outcome.status == "rendered", outcome
    return out


@pytest.mark.render
def test_video_lasts_the_target(raft_preview: Path) -> None:
    info = probe(raft_preview / "raft-consensus.mp4")
    assert abs(info.duration_s - TARGET_S) <= 0.1 * TARGET_S, info.duration_s
    assert (info.width, info.height, info.fps) == (854, 480, 15)


@pytest.mark.render
def test_captions_parse_are_readable_and_end_before_the_video(raft_preview: Path) -> None:
    duration = probe(raft_preview / "raft-consensus.mp4").duration_s
    vtt = webvtt.read(str(raft_preview / "raft-consensus.vtt"))
    subs = list(srt.parse((raft_preview / "raft-consensus.srt").read_text(encoding="utf-8")))
    meta = json.loads((raft_preview / "raft-consensus.json").read_text(encoding="utf-8"))
    assert len(vtt) == len(subs) == len(meta["captions"]) >= 10
    assert _secs(vtt[-1].end_time) < duration
    assert subs[-1].end.total_seconds() < duration
    for cue, sub in zip(vtt, subs):
        text = " ".join(cue.text.split("\n"))
        assert text == " ".join(sub.content.split("\n"))
        length = _secs(cue.end_time) - _secs(cue.start_time)
        assert length >= MIN_CUE_S - 1e-3, (text, length)
        assert len(text) / length <= MAX_CPS, (text, length)


@pytest.mark.render
def test_chapters(raft_preview: Path) -> None:
    meta = json.loads((raft_preview / "raft-consensus.json").read_text(encoding="utf-8"))
    chapters = meta["chapters"]
    assert 3 <= len(chapters) <= 7
    assert chapters[0]["start"] == 0
    assert all(c["end"] - c["start"] >= 10 for c in chapters), chapters
    assert abs(chapters[-1]["end"] - meta["duration_s"]) < 0.2


@pytest.mark.render
def test_poster_shows_the_mechanism(raft_preview: Path) -> None:
    from PIL import Image

    with Image.open(raft_preview / "raft-consensus.jpg") as poster:
        assert poster.size == (854, 480)
        # not the flat title card: nodes, dots and log cells give many distinct colors
        assert len(set(poster.convert("RGB").resize((214, 120)).getdata())) > 200


# --- the scene reads its trace (no video) ----------------------------------------------------------------
@pytest.fixture(scope="module")
def scene():
    from manim import ValueTracker, tempconfig

    from scenes.raft_consensus import RaftConsensusScene

    explainer = load_catalog().get("raft-consensus")
    trace = json.loads(make_trace(explainer).to_json())
    with tempconfig({"write_to_movie": False, "disable_caching": True, "verbosity": "ERROR"}):
        sc = RaftConsensusScene(trace=trace, meta={"title": explainer.title, "hook": explainer.hook})
        sc.setup()
        sc.clock = ValueTracker(0)
        sc.build_stage(sc.clock)
        yield sc


def test_scene_state_follows_the_trace(scene) -> None:
    first, second = scene.trace["summary"]["leaders"][:2]
    scene.draw_at(first["elected_ms"] + 1)
    assert scene.servers[first["node"]].badge_text == "leader"
    assert scene.crown.get_fill_opacity() == 1.0
    assert scene.crown.get_center()[1] > scene.servers[first["node"]].body.get_center()[1]
    x1 = scene.trace["summary"]["commits"][0]
    scene.draw_at(x1["committed_ms"] - 1)
    assert not scene.logs.is_committed(first["node"] - 1, 1)
    scene.draw_at(x1["committed_ms"])
    assert scene.logs.is_committed(first["node"] - 1, 1)
    scene.draw_at(second["elected_ms"] - 20)  # the old leader is down
    old = first["node"]
    assert scene.servers[old].badge_text == "crashed" and scene.bolts[old].get_fill_opacity() == 1.0
    assert scene.logs.cell_at(old - 1, 3).text == "z=9" and not scene.logs.is_committed(old - 1, 3)


def test_truncated_entry_is_struck_then_replaced(scene) -> None:
    when, who, first, removed = scene.truncations[0]
    scene.draw_at(when + 1)
    assert scene.logs.cell_at(who - 1, first).struck and scene.logs.cell_at(who - 1, first).text == removed[0][1]
    scene.draw_at(when + 20)
    cell = scene.logs.cell_at(who - 1, first)
    assert cell.text == "x=3" and cell.committed and not cell.struck


def test_message_dots_interpolate_send_and_deliver(scene) -> None:
    m = scene.trace["summary"]["messages"][0]
    t = (m["send_ms"] + m["deliver_ms"]) / 2
    scene.draw_at(t)
    flight = next(f for f in scene.flights.flights if (f.send_t, f.deliver_t) == (m["send_ms"], m["deliver_ms"])
                  and f.color == theme.ACCENT)
    expected = (np.array(flight.start) + np.array(flight.end)) / 2
    centers = [slot.dot.get_center() for slot in scene.flights.slots if slot.state == "travel"]
    assert any(np.allclose(c, expected, atol=1e-6) for c in centers)


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
