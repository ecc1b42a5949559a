"""Raft Consensus: the scene's reading of its trace, without video (its delivery checks are in
``tests/test_explainers.py``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from render.build.plan import make_trace
from render.catalog import load_catalog
from scenes.kit import theme


# --- the scene reads its trace (no video) ----------------------------------------------------------------
@pytest.fixture(scope="module")
def scene():
    from manim import ValueTracker, tempconfig

    from scenes.raft_consensus import RaftConsensusScene

    explainer = load_catalog().get("raft-consensus")
    trace = json.loads(make_trace(explainer).to_json())
    with tempconfig({"write_to_movie": False, "disable_caching": True, "verbosity": "ERROR"}):
        sc = RaftConsensusScene(trace=trace, meta={"title": explainer.title, "hook": explainer.hook,
                                                   "duration_s": explainer.duration_s})
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
