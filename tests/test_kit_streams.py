"""The Kafka kit (scenes/kit/streams.py): role colours, logs with pointers, clients, ownership marks."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit import theme


def test_roles_keep_one_colour_each() -> None:
    from scenes.kit import streams

    assert streams.ROLE_COLORS["producer"] == streams.PRODUCER == theme.MESSAGE
    assert streams.ROLE_COLORS["consumer"] == streams.CONSUMER == theme.ACCENT
    assert streams.ROLE_COLORS["broker"] == streams.ROLE_COLORS["leader"] == theme.NODE
    assert streams.OFFSET == theme.SUCCESS and streams.COORDINATOR == theme.HIGHLIGHT
    assert streams.ProducerNode().box.get_stroke_color().to_hex().upper() == theme.MESSAGE
    assert streams.ConsumerNode("c1").box.get_stroke_color().to_hex().upper() == theme.ACCENT


def test_partition_log_draws_records_in_place() -> None:
    from scenes.kit.streams import PartitionLog, Record

    log = PartitionLog(4, name="P0")
    family = {id(m) for m in log.get_family()}
    log.set_records([Record("alice", "#0"), Record("bob", solid=False), None, Record("x", struck=True, offset=7)])
    assert {id(m) for m in log.get_family()} == family  # nothing added or removed
    assert log.cell(0).box.get_fill_opacity() == pytest.approx(1.0)  # solid
    assert log.cell(1).box.get_fill_opacity() == 0.0  # hollow
    assert log.cell(0).key.text == "alice" and log.cell(0).value.text == "#0"
    assert log.cell(3).offset_label.text == "7" and log.cell(2).offset_label.text == "2"
    assert log.cell(3).strike.get_stroke_opacity() > 0.5 and log.cell(0).strike.get_stroke_opacity() == 0.0
    log.set_records([])
    assert all(log.record_at(i) is None for i in range(4))
    with pytest.raises(ValueError):
        log.set_records([Record("a")] * 5)
    with pytest.raises(ValueError):
        PartitionLog(0)
    with pytest.raises(ValueError):
        Record(" ")


def test_the_same_records_draw_the_same_points_whatever_came_before() -> None:
    from scenes.kit.streams import PartitionLog, Record

    a, b = PartitionLog(3), PartitionLog(3)
    a.set_records([Record("carol", "#9")])
    a.set_records([Record("bob", "#1"), Record("alice")])
    b.set_records([Record("bob", "#1"), Record("alice")])
    for ma, mb in zip(a.get_family(), b.get_family()):
        assert np.allclose(ma.points, mb.points)


def test_boundaries_cells_and_pointers() -> None:
    from scenes.kit.streams import OFFSET, PartitionLog

    log = PartitionLog(5, cell_width=0.8, gap=0.1)
    assert log.boundary_x(1) - log.boundary_x(0) == pytest.approx(0.9)
    assert log.boundary_x(0.5) == pytest.approx((log.boundary_x(0) + log.boundary_x(1)) / 2)
    assert log.boundary_x(0) < log.cell_center(0)[0] < log.boundary_x(1)
    hw = log.add_pointer("HW", color=OFFSET)
    assert hw.get_fill_opacity() == 0.0  # hidden until set
    log.set_pointer("HW", 2)
    assert hw.tip[0] == pytest.approx(log.boundary_x(2)) and hw.tip[1] < log.row_bottom
    above = log.add_pointer("c1", side="above", lane=1)
    log.set_pointer("c1", 3)
    assert above.tip[1] > log.row_top
    log.set_pointer("HW", 2, visible=False)
    assert hw.triangle.get_fill_opacity() == 0.0
    for bad in (lambda: log.add_pointer("HW"), lambda: log.set_pointer("LSO", 1), lambda: log.boundary_x(6),
                lambda: log.add_pointer("x", side="left")):
        with pytest.raises(ValueError):
            bad()


def test_restyle_lasts_until_the_next_set() -> None:
    from scenes.kit.streams import PartitionLog, Record

    log = PartitionLog(2)
    log.set_records([Record("a")])
    log.restyle(0, fill_color=theme.FAILURE, fill_opacity=0.5)
    assert log.cell(0).box.get_fill_opacity() == pytest.approx(0.5)
    log.set_records([Record("a")])  # same record: redrawn anyway, the override is gone
    assert log.cell(0).box.get_fill_opacity() == pytest.approx(1.0)


def test_broker_box_content_and_state() -> None:
    from scenes.kit.streams import BrokerBox, PartitionLog

    box = BrokerBox("B1", width=6, height=2, badge="leader")
    inner = box.content
    assert inner.top < box.frame.get_top()[1] and inner.width < box.frame.width
    log = inner.place(PartitionLog(6, name="P0"))
    assert inner.contains(log)
    box.set_state(badge="crashed", dimmed=True)
    assert box.badge_text == "crashed" and box.frame.get_stroke_opacity() < 1.0
    with pytest.raises(ValueError):
        BrokerBox("B2", width=3, height=1).set_state(badge="leader")
    with pytest.raises(ValueError):
        BrokerBox("B3", width=3, height=0.3)


def test_consumer_tiles_and_coordinator() -> None:
    from scenes.kit.streams import ConsumerNode, CoordinatorNode, PartitionTile

    consumer = ConsumerNode("c1", width=2.4, height=1.6)
    points = consumer.tile_points(3)
    assert len(points) == 3 and all(consumer.content.left < p[0] < consumer.content.right for p in points)
    consumer.set_state(dimmed=True, badge="left")
    assert consumer.badge.text == "left" and consumer.box.get_stroke_opacity() < 1.0
    tile = PartitionTile("o0", color=theme.MESSAGE)
    tile.set_state(paused=True, lag=3)
    assert tile.box.get_fill_opacity() == 0.0 and tile.bars.get_fill_opacity() == 1.0 and tile.lag.text == "lag 3"
    tile.set_state(paused=False, lag=None)
    assert tile.box.get_fill_opacity() == 1.0 and tile.bars.get_fill_opacity() == 0.0
    coordinator = CoordinatorNode(detail="gen 1")
    coordinator.set_state(detail="gen 2")
    assert coordinator.detail.text == "gen 2"
    with pytest.raises(ValueError):
        CoordinatorNode().set_state(detail="gen 3")
    with pytest.raises(ValueError):
        consumer.tile_points(0)


def test_assignment_arrows_and_isr_outline() -> None:
    from scenes.kit.streams import AssignmentArrows, BrokerBox, ISROutline

    arrows = AssignmentArrows(["P0", "P1"])
    arrows.set_arrow("P0", [0, 0, 0], [2, 0, 0])
    assert np.allclose(arrows.tips["P0"].points[0], [2, 0, 0]) and len(arrows.shafts["P1"].points) == 0
    arrows.hide("P0")
    assert arrows.ends["P0"] is None and len(arrows.tips["P0"].points) == 0
    with pytest.raises(ValueError):
        arrows.set_arrow("P9", [0, 0, 0], [1, 0, 0])
    with pytest.raises(ValueError):
        AssignmentArrows(["P0", "P0"])
    boxes = [BrokerBox(f"B{i}", width=3, height=1).shift(np.array([0, -1.2 * i, 0])) for i in range(3)]
    isr = ISROutline(boxes)
    assert sum(1 for o in isr.outlines if len(o.points)) == 1  # one ring around all three
    isr.set_in_sync([True, False, True])
    assert sum(1 for o in isr.outlines if len(o.points)) == 2  # the middle one left: two runs
    isr.set_in_sync([False, False, False])
    assert isr.text.get_fill_opacity() == 0.0
    with pytest.raises(ValueError):
        isr.set_in_sync([True])


def test_ack_mark_states_differ_by_shape() -> None:
    from scenes.kit.streams import AckMark

    mark = AckMark()
    mark.set_state("acked")
    assert mark.check.get_stroke_opacity() == 1.0 and mark.slash.get_stroke_opacity() == 0.0
    mark.set_state("lost")
    assert mark.check.get_stroke_opacity() == 1.0 and mark.slash.get_stroke_opacity() == 1.0
    mark.set_state("error")
    assert mark.check.get_stroke_opacity() == 0.0 and mark.cross[0].get_stroke_opacity() == 1.0
    with pytest.raises(ValueError):
        mark.set_state("maybe")


def test_consumer_detail_text_changes_and_hides() -> None:
    from scenes.kit.streams import ConsumerNode

    node = ConsumerNode("c1", width=2.4, detail="read 0")
    assert node.name_text.get_left()[0] < node.detail.get_left()[0]  # name left, detail right
    node.set_state(detail="read 7")
    assert node.detail.text == "read 7" and node.detail.current.get_fill_opacity() == 1.0
    node.set_state(detail="")
    assert node.detail.current.get_fill_opacity() == 0.0
    with pytest.raises(ValueError):
        ConsumerNode("c2").set_state(detail="read 1")


def test_an_emptied_cell_keeps_no_paint_of_its_record() -> None:
    from scenes.kit.streams import PartitionLog, Record

    used, fresh = PartitionLog(2), PartitionLog(2)
    used.set_records([Record("a", color=theme.FAILURE), Record("b")])
    used.set_records([])
    for a, b in zip(used.cells, fresh.cells):  # hidden texts are fully transparent: only the boxes draw
        assert np.allclose(a.box.get_fill_rgbas(), b.box.get_fill_rgbas())
        assert np.allclose(a.box.get_stroke_rgbas(), b.box.get_stroke_rgbas())


def test_count_choices_hold_the_answer() -> None:
    from scenes.kit.streams import count_choices

    assert count_choices(0, 6) == [0, 1, 2, 3, 4]
    assert count_choices(4, 5) == [1, 2, 3, 4, 5]
    assert count_choices(1, 2) == [0, 1, 2]
    for answer in range(0, 10):
        assert answer in count_choices(answer, 9)
    with pytest.raises(ValueError):
        count_choices(5, 3)
