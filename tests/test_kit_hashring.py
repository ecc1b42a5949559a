"""The kit's HashRing: geometry, owner arcs and markers, key dots that change owner in place, the walk."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit import theme
from scenes.kit.hashring import HashRing

OWNERS = ["A", "B", "C"]
COLORS = [theme.NODE, theme.MESSAGE, theme.SUCCESS]


def ring(**kwargs) -> HashRing:
    return HashRing(OWNERS, COLORS, n_keys=4, radius=2.0, **kwargs)


def test_positions_run_clockwise_from_six_o_clock_and_bend_from_a_line() -> None:
    r = ring().move_center_to([1.0, 0.5, 0.0])
    assert np.allclose(r.point_at(0.0), [1.0, -1.5, 0.0])  # 6 o'clock
    assert np.allclose(r.point_at(0.25), [-1.0, 0.5, 0.0])  # 9 o'clock: clockwise
    assert np.allclose(r.point_at(0.5, 0.3), [1.0, 2.8, 0.0])  # offset pushes outwards
    line = [r.point_at(p, bend=0.0) for p in (0.0, 0.5, 1.0)]
    assert np.allclose([pt[1] for pt in line], 2.5) and line[0][0] < line[1][0] < line[2][0]
    assert np.isclose(line[2][0] - line[0][0], r.line_length)
    assert np.allclose(r.point_at(0.5, bend=0.4), [1.0, 2.5, 0.0])  # the middle stays put while bending


def test_owner_arcs_ticks_and_markers() -> None:
    r = ring()
    r.show(points=[(0.1, "A"), (0.5, "B")])
    assert len(r.arcs["A"].points) and len(r.arcs["B"].points) and not len(r.arcs["C"].points)
    # A owns the arc from B's point round to its own: it starts at 0.5 and ends at 0.1 (wrapping)
    assert np.allclose(r.arcs["A"].points[0], r.point_at(0.5)) and np.allclose(r.arcs["A"].points[-1], r.point_at(0.1))
    assert np.allclose(r.markers["A"].get_center(), r.point_at(0.1, r.marker_offset), atol=1e-6)
    assert r.markers["C"][0].get_fill_opacity() == 0.0 and r.markers["A"][0].get_fill_opacity() == 1.0
    r.show(points=[(0.1, "A"), (0.5, "B"), (0.6, "C")], opacity={"C": 0.5}, arc_opacity=0.0)
    assert r.ticks["C"].get_stroke_opacity() == 0.5 and r.arcs["A"].get_stroke_opacity() == 0.0


def test_markers_never_overlap() -> None:
    r = ring()
    r.show(points=[(0.100, "A"), (0.101, "B"), (0.102, "C")])
    centers = [r.markers[o].get_center() for o in OWNERS]
    for i in range(3):
        for j in range(i + 1, 3):
            assert np.linalg.norm(centers[i] - centers[j]) >= 2 * r.marker_radius


def test_an_owner_with_several_points_is_marked_in_the_middle_of_its_longest_arc() -> None:
    r = ring()
    r.show(points=[(0.1, "A"), (0.2, "B"), (0.5, "A"), (0.7, "B")])
    # A owns 0.7 -> 0.1 (0.4 long, wrapping) and 0.2 -> 0.5; B owns 0.1 -> 0.2 and 0.5 -> 0.7
    assert np.allclose(r.markers["A"].get_center(), r.point_at(0.9, r.marker_offset), atol=1e-6)
    assert np.allclose(r.markers["B"].get_center(), r.point_at(0.6, r.marker_offset), atol=1e-6)


def test_keys_change_owner_in_place_and_moved_ones_are_ringed() -> None:
    r = ring()
    family = {id(m) for m in r.get_family()}
    r.show(points=[(0.1, "A"), (0.5, "B")], keys=[0.05, 0.3, 0.7], owners=["A", "B", "A"],
           previous=["A", "A", None], blend=1.0)
    assert {id(m) for m in r.get_family()} == family  # nothing added or removed
    dots, rings = r.key_dots, r.key_rings
    assert dots[0].get_fill_color().to_hex().lower() == theme.NODE.lower()
    assert dots[1].get_fill_color().to_hex().lower() == theme.MESSAGE.lower()
    assert rings[1].get_stroke_opacity() == 1.0  # A -> B moved
    assert rings[0].get_stroke_opacity() == 0.0 and rings[2].get_stroke_opacity() == 0.0  # same owner / new
    assert len(dots[3].points) == 0  # unused pool dot draws nothing
    assert np.allclose(dots[0].get_center(), r.point_at(0.05, r.key_offset), atol=0.01)
    r.show(points=[(0.1, "A")], keys=[0.05], owners=[None])
    assert dots[0].get_fill_color().to_hex().lower() == theme.MUTED.lower() and len(dots[1].points) == 0


def test_walk_runs_clockwise_to_its_end() -> None:
    r = ring()
    r.show(points=[(0.1, "A")], keys=[0.8], walk=(0.8, 0.1, 1.0))
    assert np.allclose(r.walk_head.get_center(), r.point_at(0.1, r.key_offset), atol=0.01)
    assert np.allclose(r.walk_trail.points[0], r.point_at(0.8, r.key_offset))
    r.show(points=[(0.1, "A")], keys=[0.8])
    assert len(r.walk_trail.points) == 0 and len(r.walk_head.points) == 0


def test_same_state_draws_the_same_points() -> None:
    a, b = ring(), ring()
    a.show(points=[(0.3, "C")], keys=[0.2], owners=["C"], bend=0.5)
    a.show(points=[(0.1, "A"), (0.5, "B")], keys=[0.05], owners=["A"], bend=1.0)
    b.show(points=[(0.1, "A"), (0.5, "B")], keys=[0.05], owners=["A"], bend=1.0)
    for x, y in zip(a.get_family(), b.get_family()):
        assert np.allclose(x.points, y.points)


@pytest.mark.parametrize("build", [
    lambda: HashRing([], []),
    lambda: HashRing(["A", "A"], COLORS[:2]),
    lambda: HashRing(OWNERS, COLORS[:2]),
    lambda: HashRing(OWNERS, COLORS, radius=0),
    lambda: ring().show(keys=[0.1] * 5),
    lambda: ring().show(points=[(0.1, "Z")]),
    lambda: ring().show(keys=[0.1], owners=["A", "B"]),
    lambda: ring().show(blend=1.5),
    lambda: ring().show(points=[(0.1, "A")], keys=[0.2], walk=(0.2, 0.1, 2.0)),
])
def test_bad_arguments_are_refused_early(build) -> None:
    with pytest.raises(ValueError):
        build()
