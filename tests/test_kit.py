"""The shared kit without rendering video: fonts, text sizes, components' documented behaviour."""

from __future__ import annotations

import manimpango
import pytest

from scenes.kit import theme


def test_pango_resolves_the_theme_fonts() -> None:
    installed = set(manimpango.list_fonts())
    for family in theme.FONT_FAMILIES:
        assert family in installed, f"font {family!r} is not installed; run `make system`"


def test_text_below_the_readable_minimum_is_refused() -> None:
    from scenes.kit.text import label

    with pytest.raises(ValueError, match="480p"):
        label("tiny", font_size=theme.MIN_FONT_SIZE - 1)


def test_counter_swaps_its_number_in_place() -> None:
    from scenes.kit.gauges import Counter

    counter = Counter("count", 0)
    shown = counter.number.current
    counter.set_value(12)
    assert counter.number.text == "12" and counter.number.current is shown
    counter.set_value(3)
    assert counter.number.text == "3"


def test_level_gauge_fill_follows_the_level() -> None:
    from scenes.kit.gauges import LevelGauge

    gauge = LevelGauge("tokens", 8, height=2.0)
    gauge.set_level(2.0)
    assert gauge.fill.height == pytest.approx(0.5, rel=1e-3)
    assert gauge.readout.number.text == "2.0 / 8"
    with pytest.raises(ValueError):
        LevelGauge("tokens", 0)


def test_timeline_lane_maps_time_to_x_and_reveals_marks() -> None:
    from manim import ValueTracker

    from scenes.kit.timeline import EventMarks, TimelineLane

    lane = TimelineLane("lane", t0=0, t1=10, x_left=-2, x_right=3)
    assert lane.x_of(0) == -2 and lane.x_of(10) == 3 and lane.x_of(5) == 0.5
    marks = EventMarks(lane, [(1.0, "admitted", 0), (2.0, "rejected", 0), (12.0, "admitted", 0)])
    assert len(marks.all_marks) == 2  # outside the window: skipped
    clock = ValueTracker(1.5)
    marks.follow(clock)
    assert len(marks.submobjects) == 1
    clock.set_value(2.0)
    marks.update()
    assert len(marks.submobjects) == 2
    with pytest.raises(ValueError):
        TimelineLane("bad", t0=3, t1=3)


def test_caption_bar_stays_in_the_safe_area() -> None:
    from scenes.kit.cards import CaptionBar

    bar = CaptionBar("A caption long enough to need two lines on the screen, surely")
    assert bar.get_bottom()[1] >= theme.SAFE_BOTTOM - 1e-6
    assert bar.get_left()[0] >= theme.SAFE_LEFT and bar.get_right()[0] <= theme.SAFE_RIGHT


def test_table_rows_and_bad_input() -> None:
    from scenes.kit.table import TableWidget

    table = TableWidget(["a", "b"], [["1", "2"], ["3", "4"]])
    assert len(table.row(1)) == 2
    with pytest.raises(ValueError):
        TableWidget(["a", "b"], [["1"]])
