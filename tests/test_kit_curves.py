"""scenes.kit.curves.RevealCurve: reveals a series up to a moving x, labels only the series' own values."""

from __future__ import annotations

import math

import numpy as np
import pytest


def test_reveal_follows_x_with_head_and_readout() -> None:
    from scenes.kit.curves import RevealCurve

    values = [0.3, 0.2, 0.1, 0.05]
    curve = RevealCurve(values, width=3.0, height=1.5, marks=[0, 3], fmt=lambda v: f"{v:.2f}")
    members = {id(m) for m in curve.get_family()}
    curve.show_until(1.5)
    assert np.allclose(curve.head.get_center(), (curve.to_point(1, 0.2) + curve.to_point(2, 0.1)) / 2)
    assert curve.readout.text == "0.10"  # value at round(1.5) = 2
    assert curve.mark_ticks[0].submobjects[1].get_fill_opacity() == 1.0
    assert curve.mark_ticks[1].submobjects[1].get_fill_opacity() == 0.0, "a mark shows once reached"
    curve.show_until(3.0)
    assert curve.mark_ticks[1].submobjects[1].get_fill_opacity() == 1.0
    assert {id(m) for m in curve.get_family()} == members
    assert curve.readout.get_right()[0] <= curve.axes[0].get_end()[0] + 1e-9


def test_log_scale_spaces_decades_evenly() -> None:
    from scenes.kit.curves import RevealCurve

    curve = RevealCurve([1.0, 0.1, 0.01], height=2.0, log_y=True)
    ys = [curve.to_point(i, v)[1] for i, v in enumerate(curve.values)]
    assert math.isclose(ys[0] - ys[1], ys[1] - ys[2]) and math.isclose(ys[0] - ys[2], 2.0)


def test_bad_curves_are_refused() -> None:
    from scenes.kit.curves import RevealCurve

    for bad in (lambda: RevealCurve([1.0]), lambda: RevealCurve([1.0, 0.0], log_y=True),
                lambda: RevealCurve([1.0, 2.0], marks=[2]), lambda: RevealCurve([1.0, 2.0]).show_until(1.5)):
        with pytest.raises(ValueError):
            bad()


def test_points_follow_the_axes_when_moved() -> None:
    from scenes.kit.curves import RevealCurve

    curve = RevealCurve([0.3, 0.2, 0.1], width=2.0, height=1.0)
    curve.shift([3.0, -1.0, 0])
    curve.show_until(2.0)
    assert np.allclose(curve.head.get_center(), curve.axes[0].get_end())
