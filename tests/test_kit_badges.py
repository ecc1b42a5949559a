"""The kit's small marks: StaleBadge, VersionTag and LockIcon change in place and refuse bad input early."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit import theme
from scenes.kit.badges import LockIcon, StaleBadge, VersionTag


def family_ids(mobject) -> set[int]:
    return {id(m) for m in mobject.get_family()}


def test_stale_badge_shows_hides_and_changes_its_word_in_place() -> None:
    badge = StaleBadge("stale").move_to([1.0, 2.0, 0.0])
    parts, left = family_ids(badge), badge.frame.get_left().copy()
    badge.set_shown(False)
    assert badge.frame.get_stroke_opacity() == 0.0 and badge.icon.get_fill_opacity() == 0.0
    badge.set_shown(0.5)
    assert badge.word.current.get_fill_opacity() == 0.5
    badge.set_shown(True).set_text("lost")
    assert badge.word.text == "lost" and family_ids(badge) == parts
    assert np.allclose(badge.frame.get_left(), left)  # grows to the right, keeps its place
    assert badge.word.current.get_right()[0] < badge.frame.get_right()[0]
    for bad in (lambda: StaleBadge(" "), lambda: badge.set_shown(1.5), lambda: badge.set_text("")):
        with pytest.raises(ValueError):
            bad()


def test_version_tag_swaps_value_and_version_in_place() -> None:
    tag = VersionTag("Ana", "[0, 0]", width=2.6).move_to([0.0, 1.0, 0.0])
    parts, card = family_ids(tag), tag.card.get_center().copy()
    tag.set_version("Anna", "[100, 0]", color=theme.SUCCESS)
    assert (tag.value_text.text, tag.version_text.text) == ("Anna", "[100, 0]")
    assert family_ids(tag) == parts and np.allclose(tag.card.get_center(), card)
    assert tag.strike.get_stroke_opacity() == 0.0
    tag.set_version("Annie", "[680, 2]", struck=True)
    assert tag.strike.get_stroke_opacity() == 1.0
    v = tag.value_text.current
    assert tag.strike.get_left()[0] < v.get_left()[0] and tag.strike.get_right()[0] > v.get_right()[0]
    assert tag.get_left()[0] >= tag.card.get_left()[0] - 1e-6 and tag.get_right()[0] <= tag.card.get_right()[0] + 1e-6
    tag.set_dimmed(True)
    assert tag.value_text.current.get_fill_opacity() < 1.0
    for bad in (lambda: VersionTag(""), lambda: VersionTag("x", width=0),
                lambda: tag.set_version("a much too long value for this card", "[123456, 7]")):
        with pytest.raises(ValueError):
            bad()


def test_same_version_draws_the_same_points_whatever_came_before() -> None:
    a, b = VersionTag("Ana", "[0, 0]"), VersionTag("Ana", "[0, 0]")
    a.set_version("Annie", "[680, 2]", struck=True)
    a.set_version("Ann", "[700, 0]")
    b.set_version("Ann", "[700, 0]")
    for x, y in zip(a.get_family(), b.get_family()):
        assert np.allclose(x.points, y.points)


def test_lock_opens_and_shuts_in_place() -> None:
    lock = LockIcon(0.5).move_to([2.0, -1.0, 0.0])
    parts, shut = family_ids(lock), lock.shackle.points.copy()
    lock.set_locked(False)
    assert lock.shackle.get_top()[1] > shut[:, 1].max()  # the shackle lifts out
    assert lock.body.get_fill_color().to_hex().lower() == theme.MUTED.lower()
    lock.set_locked(True)
    assert np.allclose(lock.shackle.points, shut) and family_ids(lock) == parts
    assert lock.body.get_fill_color().to_hex().lower() == theme.HIGHLIGHT.lower()
    lock.set_shown(False)
    assert lock.body.get_fill_opacity() == 0.0 and lock.shackle.get_stroke_opacity() == 0.0
    for bad in (lambda: LockIcon(0), lambda: lock.set_locked(2.0)):
        with pytest.raises(ValueError):
            bad()
