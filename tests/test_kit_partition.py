"""PartitionWall: drops between two groups, cuts the links it crosses, tells where routes meet it."""

from __future__ import annotations

import numpy as np
import pytest
from manim import Line, ValueTracker


def test_separating_segment_passes_between_the_groups() -> None:
    from scenes.kit.partition import PartitionWall

    top, bottom = PartitionWall.separating([[-2, 1, 0], [-2, -1, 0]], [[2, 0, 0]], margin=0.5)
    assert top[1] > bottom[1]
    assert np.isclose(top[0], 0.0) and np.isclose(bottom[0], 0.0)
    assert top[1] == pytest.approx(1.5) and bottom[1] == pytest.approx(-1.5)


def test_wall_cuts_crossing_links_once_it_is_down() -> None:
    from scenes.kit.partition import PartitionWall

    across, along = Line([-2, -1, 0], [2, -1, 0]), Line([-2, 1, 0], [-2, -1, 0])
    wall = PartitionWall([0, 2, 0], [0, -2, 0], links=[across, along])
    parts = list(wall.get_family())
    assert len(wall.cuts) == 1 and wall.bar.get_fill_opacity() == 0.0
    wall.set_level(0.5)  # down to y = 0: not yet at the link at y = -1
    assert wall.bar.get_fill_opacity() > 0 and not wall.is_cut(0)
    assert wall.bar.get_bottom()[1] == pytest.approx(0.0, abs=1e-6)
    wall.set_level(1.0)
    assert wall.is_cut(0) and not wall.is_cut(1)
    assert across.get_stroke_opacity() < 1.0 and along.get_stroke_opacity() == 1.0
    assert wall.cut_marks[0].get_stroke_opacity() == 1.0
    wall.set_level(0.0)
    assert across.get_stroke_opacity() == 1.0
    assert {id(m) for m in parts} == {id(m) for m in wall.get_family()}
    assert wall.crossing([-2, 0, 0], [2, 0, 0]) == pytest.approx(0.5)
    assert wall.crossing([-2, 0, 0], [-1, 0, 0]) is None


def test_clock_drives_the_level() -> None:
    from scenes.kit.partition import PartitionWall

    assert PartitionWall.level_at(9, down_at=10, up_at=32, fall=2) == 0.0
    assert PartitionWall.level_at(11, down_at=10, up_at=32, fall=2) == 0.5
    assert PartitionWall.level_at(20, down_at=10, up_at=32, fall=2) == 1.0
    assert PartitionWall.level_at(33, down_at=10, up_at=32, fall=2) == 0.5
    assert PartitionWall.level_at(40, down_at=10, up_at=32, fall=2) == 0.0
    clock = ValueTracker(0)
    wall = PartitionWall([0, 2, 0], [0, -2, 0]).follow(clock, down_at=1, up_at=5, fall=1)
    clock.set_value(3)
    wall.update()
    assert wall.level == 1.0
    for bad in (lambda: wall.set_level(1.5), lambda: PartitionWall([0, 0, 0], [0, 0, 0]),
                lambda: PartitionWall.separating([], [[1, 0, 0]]),
                lambda: PartitionWall([0, 1, 0], [0, -1, 0]).follow(clock, down_at=5, up_at=1)):
        with pytest.raises(ValueError):
            bad()
