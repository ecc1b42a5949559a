"""The pieces drawn on a partition log (scenes/kit/segments.py): their documented behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit import theme


@pytest.fixture
def log():
    from scenes.kit.streams import PartitionLog, Record

    log = PartitionLog(8, cell_width=0.6)
    log.set_records([Record("A", "a1"), Record("B", "b1"), Record("A", "a2")])
    return log


def test_segment_brackets_span_boundaries_and_outline_the_active_one(log) -> None:
    from scenes.kit.segments import SegmentBrackets

    brackets = SegmentBrackets(log, 3)
    brackets.set_segments([(0, 2, "segment 0", False), (2, 3, "active", True)])
    first, second = brackets.lines[0], brackets.lines[1]
    assert first.get_left()[0] == pytest.approx(log.boundary_x(0) + 0.04)
    assert second.get_right()[0] == pytest.approx(log.boundary_x(3) - 0.04)
    assert first.get_bottom()[1] > log.row_top, "brackets sit above the cells and their offsets"
    assert brackets.texts[1].text == "active" and len(brackets.outline.points) > 0
    assert brackets.lines[2].points.shape[0] == 0 and brackets.texts[2].current.get_fill_opacity() == 0.0
    brackets.set_segments([(0, 2, "segment 0", False)], opacity=0.5)
    assert len(brackets.outline.points) == 0 and first.get_stroke_opacity() == 0.5
    for bad in (lambda: brackets.set_segments([(0, 1, "", False)] * 4),
                lambda: brackets.set_segments([(3, 1, "", False)]), lambda: SegmentBrackets(log, 0)):
        with pytest.raises(ValueError):
            bad()


def test_range_bands_sit_under_the_cells(log) -> None:
    from scenes.kit.segments import RangeBands

    bands = RangeBands(log, [("tail", "clean tail", theme.TEXT), ("head", "dirty head", theme.HIGHLIGHT)])
    bands.set_band("head", 1, 3)
    bar = bands.bars["head"]
    assert bar.get_top()[1] < log.row_bottom
    assert bar.get_left()[0] == pytest.approx(log.boundary_x(1) + 0.05)
    assert bands.texts["head"].current.get_fill_opacity() == 1.0
    bands.set_band("head", 2, 2)
    assert len(bar.points) == 0 and bands.texts["head"].current.get_fill_opacity() == 0.0
    with pytest.raises(ValueError):
        bands.set_band("middle", 0, 1)
    with pytest.raises(ValueError):
        RangeBands(log, [("a", "x", theme.TEXT), ("a", "y", theme.TEXT)])


def test_sweep_slider_and_rings(log) -> None:
    from scenes.kit.segments import CellSlider, RetentionRings, SweepMark, tombstone

    sweep = SweepMark(log).show(1, "drop", theme.FAILURE)
    assert sweep.frame.get_center()[0] == pytest.approx(log.cell_center(1)[0])
    assert sweep.verdict.text == "drop" and sweep.verdict.current.get_top()[1] < log.row_bottom
    sweep.hide()
    assert len(sweep.frame.points) == 0
    slider = CellSlider(log)
    home = log.cell_center(2).copy()
    slider.slide(2, 0, 0.5)
    assert log.cell_center(2)[0] == pytest.approx((home[0] + slider.home[0][0]) / 2)
    slider.reset()
    assert np.allclose(log.cell_center(2), home)
    with pytest.raises(ValueError):
        slider.slide(2, 9, 0.5)
    rings = RetentionRings(log, 2)
    rings.set_rings([(log.cell_center(1)[0], 0.5)])
    assert rings.rings[0].fraction == 0.5
    assert rings.rings[0].track.get_center()[0] == pytest.approx(log.cell_center(1)[0])
    assert not rings.rings[1].visible
    with pytest.raises(ValueError):
        rings.set_rings([(0.0, 1.0)] * 3)
    stone = tombstone("C", offset=7)
    assert stone.value == "∅" and stone.offset == 7 and stone.color == theme.MUTED


def test_transaction_markers(log) -> None:
    from scenes.kit.segments import TxnMarkers

    marks = TxnMarkers(log, 3)
    marks.set_marks([(1, "commit"), (2, "abort"), (0, "aborted")])
    assert marks.flags[0].get_fill_opacity() == 1.0 and marks.flags[2].get_fill_opacity() == 0.0
    assert len(marks.glyphs[2].points) > 0, "an aborted data cell is crossed out"
    marks.set_marks([])
    assert all(f.get_fill_opacity() == 0.0 for f in marks.flags) and all(len(g.points) == 0 for g in marks.glyphs)
    with pytest.raises(ValueError):
        marks.set_marks([(0, "maybe")])
