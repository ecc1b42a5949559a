"""SequenceDiagram: lanes, events revealed by a clock, arrows that grow, drop, glow along a path."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit import theme
from scenes.kit.layout import Region

REGION = Region(-5.0, 3.0, -2.0, 2.0)


def diagram(**kwargs):
    from scenes.kit.sequence import MessageKind, SeqEvent, SeqMessage, SequenceDiagram

    events = [SeqEvent(0, 1.0, label="1"), SeqEvent(1, 2.0, label="2", shape="ring"), SeqEvent(2, 3.0, label="3"),
              SeqEvent(2, 1.5, label="1", label_side="down")]
    messages = [SeqMessage(0, 1.0, 1, 2.0, kind="req", tag="1"), SeqMessage(1, 2.0, 2, 3.0, kind="ack", dropped=True,
                                                                                 drop_at=0.5)]
    kinds = {"req": MessageKind(theme.MESSAGE), "ack": MessageKind(theme.ACCENT, hollow=True, dashed=True)}
    return SequenceDiagram(["P1", "P2", "P3"], t0=0.0, t1=4.0, region=REGION, events=events, messages=messages,
                           kinds=kinds, **kwargs)


def test_lanes_and_points_map_time_and_lane() -> None:
    d = diagram()
    assert d.point(0, 0.0)[0] == pytest.approx(REGION.left + 0.8)
    assert d.point(0, 4.0)[0] == pytest.approx(REGION.right - 0.1)
    assert d.point(0, 1.0)[1] > d.point(1, 1.0)[1] > d.point(2, 1.0)[1]  # first lane on top
    assert np.allclose(d.marks[1].get_center(), d.event_point(1))
    assert d.labels[0].get_center()[1] > d.marks[0].get_center()[1]  # label above
    assert d.labels[3].get_center()[1] < d.marks[3].get_center()[1]  # label below
    v = diagram(orientation="vertical")
    assert v.point(0, 1.0)[1] > v.point(0, 2.0)[1]  # time runs down
    assert v.point(0, 1.0)[0] < v.point(1, 1.0)[0]


def test_events_appear_and_arrows_grow_with_the_clock() -> None:
    d = diagram()
    parts = list(d.get_family())
    d.show_at(0.5)
    assert d.marks[0].get_fill_opacity() == 0.0 and len(d.arrows[0].shaft.points) == 0
    d.show_at(1.5)
    assert d.marks[0].get_fill_opacity() == 1.0 and d.marks[1].get_fill_opacity() == 0.0
    arrow = d.arrows[0]
    assert np.allclose(arrow.dot.get_center(), arrow.point_at(0.5), atol=1e-6)
    assert arrow.tag.get_fill_opacity() == 1.0 and len(arrow.tip.points) == 0
    d.show_at(2.0)
    assert len(arrow.dot.points) == 0 and len(arrow.tip.points) > 0
    assert arrow.tag.get_fill_opacity() == 0.0  # tags ride only while travelling
    assert {id(m) for m in parts} == {id(m) for m in d.get_family()}  # in place


def test_the_same_time_gives_the_same_points_whatever_came_before() -> None:
    a, b = diagram(), diagram()
    for t in (0.3, 3.9, 1.2, 2.6):
        a.show_at(t)
    b.show_at(2.6)
    for m, n in zip(a.get_family(), b.get_family()):
        assert np.allclose(m.points, n.points) if len(m.points) == len(n.points) else False


def test_dropped_message_stops_and_is_crossed_out() -> None:
    d = diagram()
    drop = d.arrows[1]
    d.show_at(2.5)
    assert np.allclose(drop.dot.get_center(), drop.point_at(0.25), atol=1e-6) and len(drop.cross.points) == 0
    d.show_at(3.5)
    assert len(drop.dot.points) == 0 and len(drop.cross.points) > 0 and len(drop.tip.points) == 0
    assert np.allclose(drop.cross.get_center(), drop.point_at(0.5), atol=1e-6)
    # a dashed kind draws separate dashes
    assert len(drop.shaft.get_subpaths()) > 1


def test_path_glow_rings_focus_and_labels() -> None:
    d = diagram()
    d.set_path([0, 1, 2], 1.5)
    assert d.lit() == {0, 1}
    assert np.allclose(d.glow.points[0], d.event_point(0))
    assert np.allclose(d.glow.points[-1], (d.event_point(1) + d.event_point(2)) / 2)
    d.show_at(4.0)
    assert d.rings[1].get_stroke_opacity() == 1.0 and d.rings[2].get_stroke_opacity() == 0.0
    d.set_rings({3: theme.ACCENT}).show_at(4.0)
    assert d.rings[3].get_stroke_opacity() == 1.0
    d.focus(events=[0]).show_at(4.0)
    assert d.marks[2].get_fill_opacity() == pytest.approx(theme.DIM_OPACITY)
    d.set_label(0, "[1,0,0]")
    assert d.labels[0].text == "[1,0,0]"
    d.set_path([], 0.0)
    assert len(d.glow.points) == 0


def test_bad_arguments_are_refused() -> None:
    from scenes.kit.sequence import SeqEvent, SeqMessage, SequenceDiagram

    with pytest.raises(ValueError):
        SeqEvent(0, 1.0, shape="star")
    with pytest.raises(ValueError):
        SeqMessage(0, 2.0, 1, 1.0)
    with pytest.raises(ValueError):
        SequenceDiagram(["P1"], t0=1.0, t1=1.0, region=REGION)
    with pytest.raises(ValueError):
        SequenceDiagram(["P1"], t0=0.0, t1=1.0, region=REGION, events=[SeqEvent(3, 0.5)])
    with pytest.raises(ValueError):
        SequenceDiagram(["P1", "P2"], t0=0.0, t1=1.0, region=REGION, messages=[SeqMessage(0, 0.1, 1, 0.5, kind="x")])
    with pytest.raises(ValueError):
        diagram().set_path([0, 9], 0.5)
    with pytest.raises(ValueError):
        diagram().set_path([0, 1], 2.0)


def test_time_warp_pushes_apart_events_on_one_lane_only() -> None:
    from scenes.kit.sequence import TimeWarp

    warp = TimeWarp([(0, 1.0), (1, 1.05), (1, 1.1), (0, 3.0)], min_gap=0.3)
    assert warp(1.0) == 1.0 and warp(1.05) == pytest.approx(1.05)  # other lanes: the gap as it is
    assert warp(1.1) == pytest.approx(1.35)  # same lane as 1.05: pushed 0.3 after it
    assert warp(3.0) == pytest.approx(1.35 + 1.9)  # later gaps kept
    assert warp(0.5) == 0.5 and warp(4.0) == pytest.approx(warp(3.0) + 1.0)
    xs = [warp(t) for t in np.linspace(0, 4, 50)]
    assert all(b >= a for a, b in zip(xs, xs[1:]))  # monotone
    with pytest.raises(ValueError):
        TimeWarp([], min_gap=0.1)
    with pytest.raises(ValueError):
        TimeWarp([(0, 1.0)], min_gap=-1)
