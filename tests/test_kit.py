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


def test_caption_bar_stays_in_the_caption_band() -> None:
    from scenes.kit import layout
    from scenes.kit.cards import CaptionBar

    for text in ("Short.", "A caption long enough to need two lines on the screen, surely, yes it is"):
        bar = CaptionBar(text)
        assert layout.CAPTION_BAND.contains(bar), (text, bar.get_top(), bar.get_bottom())


def test_table_rows_and_bad_input() -> None:
    from scenes.kit.table import TableWidget

    table = TableWidget(["a", "b"], [["1", "2"], ["3", "4"]])
    assert len(table.row(1)) == 2
    with pytest.raises(ValueError):
        TableWidget(["a", "b"], [["1"]])


def test_table_rows_sit_on_one_baseline_whatever_hangs_below() -> None:
    """A row's cells share a baseline, and every row sits the same way in its band: "φ" or "(8)" hangs below
    it instead of lifting its row (the descent is measured, not looked up in a list of letters)."""
    from scenes.kit.table import TableWidget
    from scenes.kit.text import descent

    assert descent("ace") < 0.005 < descent("φ") and descent("(8)") > 0.005
    rows = [["φ accrual", "8"], ["timeout (4 s)", "ok"], ["count", "12"]]
    table = TableWidget(["detector", "alarms"], rows)
    baselines = []
    for i, row in enumerate(rows):
        cells = table.row(i)
        feet = [cell.get_bottom()[1] + descent(text) for cell, text in zip(cells, row)]
        assert max(feet) - min(feet) < 0.005, (row, feet)
        baselines.append(feet[0])
    steps = [a - b for a, b in zip(baselines, baselines[1:])]
    assert max(steps) - min(steps) < 0.005, steps


def test_line_chart_points_follow_the_chart_wherever_it_goes() -> None:
    import numpy as np

    from scenes.kit.charts import LineChart

    chart = LineChart({"a": [(0, 0), (5, 2), (10, 4)]}, x_range=(0, 10), y_max=4, width=5.0, height=2.0,
                      x_label="seconds", x_ticks=[(0, "0 s"), (10, "10 s")], y_ticks=[(4, "4")])
    chart.scale(0.6).move_to([3.0, -1.0, 0])
    assert np.allclose(chart.point_at(5, 2), chart.lines["a"].points[3])  # the middle corner
    assert np.allclose(chart.point_at(10, 4), chart.lines["a"].get_end())
    x_tick_0, x_tick_10, y_tick = chart.ticks
    assert abs(x_tick_10[1].get_center()[0] - chart.point_at(10, 0)[0]) < 1e-6
    assert y_tick[1].get_right()[0] < chart.axes[1].get_x() and abs(y_tick[1].get_y() - chart.point_at(0, 4)[1]) < 1e-6
    assert chart.axis_labels[0].get_top()[1] < x_tick_0.get_bottom()[1]  # the axis name sits under the tick labels
    with pytest.raises(ValueError):
        LineChart({"a": [(0, 0)]}, x_range=(0, 10), y_max=4, x_ticks=[(11, "11")])


def test_layout_regions_tile_the_safe_area() -> None:
    from scenes.kit import layout

    assert layout.HEADING.top == layout.SAFE.top and layout.CAPTION_BAND.bottom == layout.SAFE.bottom
    assert layout.STAGE.top == layout.HEADING.bottom and layout.STAGE.bottom == layout.CAPTION_BAND.top
    assert layout.MAIN.left == layout.STAGE.left and layout.SIDE_PANEL.right == layout.STAGE.right
    assert layout.MAIN.right < layout.SIDE_PANEL.left
    assert layout.MAIN.width > 2 * layout.SIDE_PANEL.width  # the mechanism gets the larger part


def test_region_placements() -> None:
    import numpy as np
    from manim import RIGHT, UP, Square

    from scenes.kit.layout import Region

    region = Region(-2, 2, -1, 1)
    ring = region.ring(4, radius=1.0, start_deg=90)
    assert np.allclose(ring[0], [0, 1, 0]) and np.allclose(ring[1], [1, 0, 0])  # clockwise from 12 o'clock
    assert [tuple(p) for p in region.row(2)] == [(-1.0, 0.0, 0.0), (1.0, 0.0, 0.0)]
    assert [tuple(p) for p in region.column(2)] == [(0.0, 0.5, 0.0), (0.0, -0.5, 0.0)]
    assert len(region.grid(2, 3)) == 6 and np.allclose(region.grid(2, 3)[0], [-4 / 3, 0.5, 0])
    left, right = region.two_up(gap=0.4)
    assert left.right == pytest.approx(-0.2) and right.left == pytest.approx(0.2) and left.width == right.width
    big = region.place(Square(side_length=5), align=UP + RIGHT)
    assert region.contains(big) and np.isclose(big.get_right()[0], 2) and np.isclose(big.get_top()[1], 1)
    small = region.place(Square(side_length=0.5))
    assert np.isclose(small.width, 0.5) and np.allclose(small.get_center(), region.center)  # never scaled up
    bands = region.rows(4, gap=0.1)
    assert bands[0].top == 1 and np.isclose(bands[-1].bottom, -1) and len({round(b.height, 9) for b in bands}) == 1
    with pytest.raises(ValueError):
        Region(1, 0, 0, 1)
    with pytest.raises(ValueError):
        region.cut_right(10)
    with pytest.raises(ValueError):
        region.ring(3, radius=-1)


def test_sim_time_readout_keeps_its_width() -> None:
    from manim import ValueTracker

    from scenes.kit.clock import SimTimeReadout

    readout = SimTimeReadout(unit="ms", digits=4)
    anchors = [tuple(c.anchor.get_center()) for c in readout.cells]
    clock = ValueTracker(7)
    readout.follow(clock)
    assert readout.shown == "   7"
    assert [c.get_fill_opacity() for c in readout.cells] == [0.0, 0.0, 0.0, 1.0]  # leading blanks hidden
    clock.set_value(1234.4)
    readout.update()
    assert readout.shown == "1234" and [tuple(c.anchor.get_center()) for c in readout.cells] == anchors
    seconds = SimTimeReadout(unit="s", digits=2, decimals=1)
    seconds.set_value(3.25)
    assert seconds.shown == " 3.2"  # rounded half to even, as Python formats
    digit, point, tenth = seconds.cells[1].current, seconds.cells[2].current, seconds.cells[3].current
    assert abs(digit.get_bottom()[1] - tenth.get_bottom()[1]) < 0.01  # one baseline for the digits ...
    assert abs(point.get_bottom()[1] - digit.get_bottom()[1]) < 0.01  # ... and the point sits on it
    with pytest.raises(ValueError):
        readout.set_value(12345)


def test_clock_cursor_follows_the_clock() -> None:
    from manim import ValueTracker

    from scenes.kit.clock import ClockCursor
    from scenes.kit.timeline import TimelineLane

    lane = TimelineLane("lane", t0=0, t1=10, x_left=-2, x_right=3)
    clock = ValueTracker(0)
    cursor = ClockCursor(lane.x_of, bottom=-1, top=1).follow(clock)
    clock.set_value(10)
    cursor.update()
    assert cursor.get_start()[0] == pytest.approx(3) and cursor.get_end()[1] == pytest.approx(1)
    with pytest.raises(ValueError):
        ClockCursor(lane.x_of, bottom=1, top=0)


def test_legend_lists_its_marks_in_order() -> None:
    from scenes.kit.legend import Legend
    from scenes.kit.timeline import mark

    legend = Legend([(mark("admitted"), "admitted"), (mark("rejected"), "rejected")], title="requests")
    assert len(legend.items) == 2 and legend.title is not None
    assert legend.items[0].get_center()[1] > legend.items[1].get_center()[1]
    assert legend.title.get_bottom()[1] > legend.items.get_top()[1]
    with pytest.raises(ValueError):
        Legend([])


def test_queue_widget_fills_its_slots_purely() -> None:
    from scenes.kit.queue import QueueWidget

    pool = QueueWidget("pool", 4)
    left = pool.count.get_left()[0]
    pool.set_items([("B", theme.FAILURE), ("C", theme.SUCCESS)])
    assert pool.count.text == "2 / 4"
    assert [s.get_fill_opacity() > 0 for s in pool.slots] == [True, True, False, False]
    assert pool.count.get_left()[0] == pytest.approx(left)
    pool.set_items([])
    again = QueueWidget("pool", 4)
    for a, b in zip(pool.family_members_with_points(), again.family_members_with_points()):
        assert (a.points == b.points).all()  # the same items give the same picture, whatever came before
        assert (a.fill_rgbas == b.fill_rgbas).all()  # an emptied slot keeps no trace of its old colour
        assert (a.stroke_rgbas == b.stroke_rgbas).all()
    with pytest.raises(ValueError):
        pool.set_items([("x", theme.NODE)] * 5)
    with pytest.raises(ValueError):
        QueueWidget("pool", 0)


def test_level_gauge_is_placed_by_its_container() -> None:
    import numpy as np

    from scenes.kit.gauges import LevelGauge

    gauge = LevelGauge("tokens", 8).place([1.0, -0.5, 0])
    assert np.allclose(gauge.outline.get_center(), [1.0, -0.5, 0])


def test_meter_prints_the_decimals_asked_for() -> None:
    from scenes.kit.gauges import Meter

    assert Meter("queue", 10).set_value(7).readout.text == "7"
    assert Meter("estimate", 8, decimals=2).set_value(8.625).readout.text == "8.62"
    assert Meter("load", 1.0, limit_label="max").limit_label.text == "max"


def test_bar_chart_wraps_a_long_name_instead_of_shrinking_it() -> None:
    from scenes.kit.charts import BarChart

    chart = BarChart(["short", "sliding window counter"], [1, 2], width=4.6)
    short, long_name = chart.names
    assert len(long_name) == 2 and long_name[0].font_size == pytest.approx(short[0].font_size)  # same size, two lines
    with pytest.raises(ValueError, match="wider than its slot"):
        BarChart(["a", "incomprehensibilities"], [1, 2], width=1.0)


def test_takeaway_lines_sit_on_even_baselines() -> None:
    from scenes.kit.cards import TakeawayCard

    card = TakeawayCard("Takeaway", ["plain line", "jumpy pygmy line", "another"])
    bullets = [line[0].get_bottom()[1] for line in card[1][1]]
    gaps = [a - b for a, b in zip(bullets, bullets[1:])]
    assert gaps[0] == pytest.approx(gaps[1], abs=1e-9)


def test_stack_puts_two_lines_gap_apart_centred_on_a_point() -> None:
    import numpy as np

    from scenes.kit.text import SwapText, stack

    top, bottom = SwapText("key"), SwapText("value 12")
    center = np.array([1.5, -0.5, 0.0])
    stack(top, bottom, center, gap=0.05)
    assert np.isclose(top.current.get_bottom()[1] - bottom.current.get_top()[1], 0.05)
    assert np.isclose((top.current.get_top()[1] + bottom.current.get_bottom()[1]) / 2, center[1])
    assert np.isclose(top.current.get_center()[0], 1.5) and np.isclose(bottom.current.get_center()[0], 1.5)
