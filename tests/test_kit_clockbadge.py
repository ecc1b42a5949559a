"""ClockBadge: one counter or a vector of counters, changed in place."""

from __future__ import annotations

import pytest

from scenes.kit import theme


def test_scalar_badge_shows_its_value_in_place() -> None:
    from scenes.kit.clockbadge import ClockBadge

    badge = ClockBadge("P1")
    cell = badge.cells[0].current
    width = badge.frame.width
    badge.set_value(12)
    assert badge.value == 12 and badge.cells[0].text == "12" and badge.cells[0].current is cell
    assert badge.frame.width == width  # the frame never resizes
    assert badge.title.get_center()[1] > badge.frame.get_center()[1]
    with pytest.raises(ValueError):
        badge.set_value([1, 2])


def test_vector_badge_colours_single_slots() -> None:
    from scenes.kit.clockbadge import ClockBadge

    badge = ClockBadge("P2", slots=3)
    assert [c.text for c in badge.cells] == ["0", "0", "0"]
    xs = [c.get_center()[0] for c in badge.cells]
    badge.set_value([2, 13, 0], colors={1: theme.HIGHLIGHT})
    assert badge.value == [2, 13, 0]
    assert badge.cells[1].shown_color == theme.HIGHLIGHT and badge.cells[0].shown_color == theme.TEXT
    assert [c.get_center()[0] for c in badge.cells] == pytest.approx(xs)  # slots do not shift
    badge.set_badge_opacity(0.0)
    assert badge.frame.get_fill_opacity() == 0.0
    for bad in (lambda: badge.set_value([1, 2]), lambda: badge.set_value(3),
                lambda: badge.set_value([1, 2, 3], colors={5: theme.TEXT}), lambda: ClockBadge(slots=-1)):
        with pytest.raises(ValueError):
            bad()
