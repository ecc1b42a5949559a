"""The suspicion widgets of the kit (scenes/kit/suspicion.py): their documented behaviour, without rendering."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit import theme


def test_meter_fills_to_the_level_and_tags_what_is_over() -> None:
    from scenes.kit.suspicion import SuspicionMeter

    meter = SuspicionMeter(4.0, maximum=8.0, width=2.0, unit=" s", over_text="suspect").move_to([1, 2, 0])
    parts = {id(m) for m in meter.get_family()}
    meter.set_level(2.0)
    left = meter.frame.get_left()[0]
    assert meter.bar.get_right()[0] - left == pytest.approx(2.0 / 8.0 * 2.0, abs=0.05)
    assert meter.readout.text == "2.0 s" and meter.tag.get_fill_opacity() == 0.0
    assert meter.bar.get_fill_color().to_hex().upper() == theme.NODE.upper()
    meter.set_level(9.5)
    assert meter.readout.text == "8.0+ s" and meter.tag.get_fill_opacity() == 1.0
    assert meter.bar.get_fill_color().to_hex().upper() == theme.FAILURE.upper()
    assert meter.bar.get_right()[0] <= meter.frame.get_right()[0] + 1e-6
    meter.set_level(3.0, over=True)  # the caller's rule wins (a strict or an inclusive threshold)
    assert meter.tag.get_fill_opacity() == 1.0
    assert {id(m) for m in meter.get_family()} == parts  # changed in place
    # the readout sits right of the frame whatever its width
    for level in (0.0, 3.3, 12.0):
        meter.set_level(level)
        assert meter.readout.current.get_left()[0] == pytest.approx(meter.frame.get_right()[0] + 0.15)


def test_meter_is_a_function_of_its_level() -> None:
    from scenes.kit.suspicion import SuspicionMeter

    a, b = SuspicionMeter(8.0), SuspicionMeter(8.0)
    for level in (1.0, 11.0, 5.5):
        a.set_level(level)
    b.set_level(5.5)
    assert np.allclose(a.bar.points, b.bar.points) and np.allclose(a.readout.current.points, b.readout.current.points)


def test_meter_refuses_bad_settings() -> None:
    from scenes.kit.suspicion import SuspicionMeter

    for bad in (lambda: SuspicionMeter(0), lambda: SuspicionMeter(4, maximum=3), lambda: SuspicionMeter(4, width=0),
                lambda: SuspicionMeter(4, decimals=-1)):
        with pytest.raises(ValueError):
            bad()


def test_meter_follows_a_clock() -> None:
    from manim import ValueTracker

    from scenes.kit.suspicion import SuspicionMeter

    clock = ValueTracker(1.0)
    meter = SuspicionMeter(2.0).follow(clock, lambda t: (t * 2, t > 1.5))
    assert meter.level == 2.0 and not meter.over
    clock.set_value(2.0)
    meter.update()
    assert meter.level == 4.0 and meter.over


def test_strip_draws_arrivals_and_spans_up_to_a_time() -> None:
    from manim import ValueTracker

    from scenes.kit.suspicion import ArrivalStrip

    strip = ArrivalStrip("source", [0.5, 1.5, 4.0, 12.0], [(2.0, 4.0), (5.5, None)], t0=0, t1=10, x_left=0,
                         x_right=10)
    assert strip.arrivals == [0.5, 1.5, 4.0]  # outside the window: left out
    clock = ValueTracker(3.0)
    strip.follow(clock)
    assert len(strip.ticks.get_subpaths()) == 2
    assert len(strip.bands.get_subpaths()) == 1
    assert strip.bands.get_right()[0] == pytest.approx(3.0)  # the open span grows to now
    clock.set_value(8.0)
    strip.update()
    assert len(strip.ticks.get_subpaths()) == 3 and len(strip.bands.get_subpaths()) == 2
    assert strip.bands.get_right()[0] == pytest.approx(8.0)
    replay = ArrivalStrip("source", [0.5, 1.5, 4.0], [(2.0, 4.0), (5.5, None)], t0=0, t1=10, x_left=0, x_right=10)
    replay.show_until(8.0)
    assert np.allclose(replay.ticks.points, strip.ticks.points) and np.allclose(replay.bands.points, strip.bands.points)
    strip.show_until(0.0)
    assert len(strip.ticks.points) == 0 and len(strip.bands.points) == 0
    with pytest.raises(ValueError):
        ArrivalStrip("source", [], [(3.0, 2.0)], t0=0, t1=10, x_left=0, x_right=10)


def test_histogram_shows_density_curve_and_marker() -> None:
    from scenes.kit.suspicion import GapHistogram

    hist = GapHistogram(x_max=4.0, y_max=2.0, bins=8, width=4.0, height=2.0).move_to([0, 0, 0])
    origin = hist.axis.get_start()
    hist.set_data([1.0, 1.1, 1.2, 3.0], mean=1.5, std=0.5, threshold=2.5, marker="line")
    # three of four gaps in the bin [1.0, 1.5): density 3 / (4 * 0.5) = 1.5 of 2.0 -> 1.5 units high
    assert hist.bars.get_top()[1] - origin[1] == pytest.approx(1.5, abs=1e-6)
    assert len(hist.bars.get_subpaths()) == 2
    assert hist.marker.get_center()[0] - origin[0] == pytest.approx(2.5)
    assert hist.marker_text.text == "line"
    hist.set_data([1.0, 1.0], mean=1.0, std=0.1, threshold=1.5, rescale=True)
    assert hist.bars.get_top()[1] - origin[1] <= 2.0 + 1e-6 and hist.curve.get_top()[1] - origin[1] <= 2.0 + 1e-6
    assert hist.marker_text.get_fill_opacity() == 0.0
    with pytest.raises(ValueError):
        hist.set_data([1.0], mean=1.0, std=0.0, threshold=2.0)
    with pytest.raises(ValueError):
        GapHistogram(x_max=0, y_max=1)
