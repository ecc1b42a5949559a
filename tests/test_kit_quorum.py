"""QuorumOutline (scenes/kit/quorum.py): the rounded hull, notches, dashes, partial drawing, label."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scenes.kit import theme


def _distance_to_members(points: np.ndarray, members: list[tuple[float, float]]) -> np.ndarray:
    centres = np.array(members)
    return np.array([np.min(np.hypot(centres[:, 0] - p[0], centres[:, 1] - p[1])) for p in points])


@pytest.mark.parametrize("members", [[(0.0, 0.0)], [(0.0, 0.0), (2.0, 1.0)], [(0.0, 0.0), (2.0, 0.0), (1.0, 2.0)],
                                     [(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)], [(0, 0), (2, 0), (2, 2), (0, 2), (1, 1)]])
def test_rounded_hull_keeps_the_pad_from_every_member(members: list[tuple[float, float]]) -> None:
    from scenes.kit.quorum import rounded_hull

    loop = rounded_hull(members, 0.5)
    assert np.allclose(loop[0], loop[-1])  # closed
    assert loop[0][1] == pytest.approx(max(p[1] for p in members) + 0.5, abs=0.01)  # starts at the top
    distance = _distance_to_members(loop, members)
    assert np.all(distance >= 0.5 - 1e-9) and np.all(distance <= 0.5 + 1e-9 + 0.5)
    # every member lies inside, at least pad away from the outline
    for x, y in members:
        assert np.min(np.hypot(loop[:, 0] - x, loop[:, 1] - y)) >= 0.5 - 1e-9
    area = 0.5 * abs(np.dot(loop[:-1, 0], loop[1:, 1]) - np.dot(loop[1:, 0], loop[:-1, 1]))
    assert area >= math.pi * 0.25 * 0.95
    assert len(rounded_hull([], 0.5)) == 0
    with pytest.raises(ValueError):
        rounded_hull(members, 0.0)


def test_outline_changes_its_set_in_place_and_hides_when_empty() -> None:
    from scenes.kit.quorum import QuorumOutline

    outline = QuorumOutline(pad=0.6, color=theme.SUCCESS)
    parts = {id(m) for m in outline.get_family()}
    outline.set_members([(0, 0, 0), (2, 0, 0)])
    assert outline.line.get_top()[1] == pytest.approx(0.6, abs=1e-6)
    assert outline.line.get_right()[0] == pytest.approx(2.6, abs=1e-6)
    outline.set_members([(0, 0, 0)])
    assert outline.line.width == pytest.approx(1.2, abs=1e-3)
    outline.set_members([])
    assert len(outline.line.points) == 0 and len(outline.area.points) == 0
    assert {id(m) for m in outline.get_family()} == parts
    again = QuorumOutline(pad=0.6, color=theme.SUCCESS).set_members([(0, 0, 0), (2, 0, 0)])
    outline.set_members([(2, 0, 0), (0, 0, 0)])  # order of members does not matter; history does not either
    assert np.allclose(outline.line.points, again.line.points)


def test_dashed_outline_and_partial_drawing() -> None:
    from scenes.kit.quorum import QuorumOutline

    members = [(0, 0, 0), (2, 0, 0), (1, 2, 0)]
    solid = QuorumOutline(pad=0.5).set_members(members)
    dashed = QuorumOutline(pad=0.5, dashed=True, dash_length=0.2).set_members(members)
    assert len(solid.line.get_subpaths()) == 1 and len(dashed.line.get_subpaths()) > 10
    half = QuorumOutline(pad=0.5).set_members(members, drawn=0.5)
    full_length = np.sum(np.linalg.norm(np.diff(np.asarray(solid.line.get_anchors()), axis=0), axis=1))
    half_length = np.sum(np.linalg.norm(np.diff(np.asarray(half.line.get_anchors()), axis=0), axis=1))
    assert 0.4 * full_length < half_length < 0.6 * full_length
    assert len(half.area.points) == 0  # the fill comes with the finished outline
    assert len(QuorumOutline(pad=0.5).set_members(members, drawn=0.0).line.points) == 0
    with pytest.raises(ValueError):
        solid.set_members(members, drawn=1.5)


def test_outline_is_notched_around_points_it_must_avoid() -> None:
    from scenes.kit.quorum import QuorumOutline

    members, outsider = [(0, 0, 0), (2, 0, 0)], (1.0, 0.7, 0.0)
    plain = QuorumOutline(pad=0.6).set_members(members)
    assert plain.line.get_top()[1] == pytest.approx(0.6)  # the outsider's centre would sit near the outline
    notched = QuorumOutline(pad=0.6, avoid_radius=0.4).set_members(members, avoid=[outsider])
    anchors = np.asarray(notched.line.get_anchors())
    assert np.min(np.hypot(anchors[:, 0] - outsider[0], anchors[:, 1] - outsider[1])) >= 0.4 - 1e-3
    far = QuorumOutline(pad=0.6, avoid_radius=0.4).set_members(members, avoid=[(10.0, 10.0, 0.0)])
    assert np.allclose(far.line.points, plain.line.points)  # a point far away changes nothing


def test_label_sits_outside_on_its_side_and_recolors() -> None:
    from manim import DOWN, RIGHT

    from scenes.kit.quorum import QuorumOutline

    outline = QuorumOutline(pad=0.5, label="read set", label_side=DOWN).set_members([(0, 0, 0), (2, 0, 0)])
    assert outline.label.get_top()[1] < outline.line.get_bottom()[1]
    assert outline.label.get_fill_opacity() == 1.0
    outline.set_label("")
    assert outline.label.get_fill_opacity() == 0.0
    side = QuorumOutline(pad=0.5, label="acks", label_side=RIGHT).set_members([(0, 0, 0)])
    assert side.label.get_left()[0] > side.line.get_right()[0]
    side.set_color_role(theme.FAILURE)
    assert side.line.get_stroke_color().to_hex().upper() == theme.FAILURE.upper()
    for bad in (lambda: QuorumOutline(pad=0), lambda: QuorumOutline(label_side=RIGHT + DOWN),
                lambda: QuorumOutline(fill_opacity=2), lambda: QuorumOutline(dash_length=0)):
        with pytest.raises(ValueError):
            bad()


def test_a_fraction_within_rounding_of_one_is_the_finished_outline() -> None:
    from scenes.kit.quorum import QuorumOutline

    members = [(0, 0, 0), (2, 0, 0)]
    almost = QuorumOutline(pad=0.5).set_members(members, drawn=1 - 1e-15)
    finished = QuorumOutline(pad=0.5).set_members(members)
    assert np.allclose(almost.area.points, finished.area.points) and len(almost.area.points) > 0
    finished.set_members(members, drawn=1 - 1e-15)  # the same state, whichever came first
    assert np.allclose(almost.line.points, finished.line.points)
