"""scenes.kit.crowd: a crowd of peers whose states and contacts change in place, and the share chart."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit import theme


def looks():
    from scenes.kit.crowd import PeerLook

    return {"idle": PeerLook(theme.MUTED, filled=False), "on": PeerLook(theme.MESSAGE),
            "new": PeerLook(theme.MESSAGE, halo=True)}


def contact_looks():
    from scenes.kit.crowd import ContactLook

    return {"hit": ContactLook(theme.MESSAGE), "miss": ContactLook(theme.MUTED, hollow=True),
            "lost": ContactLook(theme.FAILURE, dropped=True, drop_at=0.5)}


def test_grid_and_ring_arrangements() -> None:
    from scenes.kit.crowd import Crowd

    grid = Crowd(64, looks=looks(), state="idle", pitch=0.5)
    assert grid.columns == 8
    assert np.allclose(grid.peer_center(1) - grid.peer_center(0), [0.5, 0, 0])
    assert np.allclose(grid.peer_center(8) - grid.peer_center(0), [0, -0.5, 0])
    assert np.allclose(grid.get_center(), [0, 0, 0], atol=1e-6)
    odd = Crowd(48, looks=looks(), state="idle")
    assert odd.columns == 7 and len(odd.peers) == 48
    ring = Crowd(20, looks=looks(), state="idle", arrangement="ring")
    dists = [np.linalg.norm(ring.peer_center(i)) for i in range(20)]
    assert np.allclose(dists, dists[0]) and ring.peer_center(0)[1] > 0 and abs(ring.peer_center(0)[0]) < 1e-9


def test_states_change_in_place_and_by_shape() -> None:
    from scenes.kit.crowd import Crowd

    crowd = Crowd(20, looks=looks(), state="idle")
    family = {id(m) for m in crowd.get_family()}
    crowd.set_states(["on"] * 5 + ["new"] * 2 + ["idle"] * 13)
    assert {id(m) for m in crowd.get_family()} == family
    assert crowd.peers[0].get_fill_color().to_hex().upper() == theme.MESSAGE.upper()
    assert crowd.peers[10].get_fill_color().to_hex().upper() == theme.BACKGROUND.upper()  # hollow
    assert crowd.halos[5].get_stroke_opacity() == 1.0 and crowd.halos[0].get_stroke_opacity() == 0.0
    # pure: going back gives the first picture
    fresh = Crowd(20, looks=looks(), state="idle")
    crowd.set_states(["idle"] * 20)
    assert all(np.allclose(a.get_fill_color().to_rgb(), b.get_fill_color().to_rgb())
               and a.get_stroke_opacity() == b.get_stroke_opacity()
               for a, b in zip(crowd.get_family(), fresh.get_family()))


def test_contacts_travel_fizzle_and_hide() -> None:
    from scenes.kit.crowd import Crowd

    crowd = Crowd(16, looks=looks(), state="idle", max_contacts=3, contact_looks=contact_looks())
    contacts = [(0, 5, "hit"), (1, 2, "miss"), (3, 15, "lost")]
    crowd.show_contacts(contacts, 0.25)
    hit, miss, lost = crowd.contacts
    assert hit.state == "travel" and miss.hollow and lost.state == "travel"
    expected = crowd.peer_center(0) + (crowd.peer_center(5) - crowd.peer_center(0)) * 0.25
    assert np.linalg.norm(hit.dot_center - expected) < 0.2
    crowd.show_contacts(contacts, 0.75)
    assert lost.state == "fizzle" and hit.state == "travel"
    crowd.show_contacts(contacts, 1.0)
    assert all(d.state == "hidden" for d in crowd.contacts)
    crowd.show_contacts(contacts[:1], 0.5)
    assert miss.state == "hidden" and hit.state == "travel"
    with pytest.raises(ValueError):
        crowd.show_contacts(contacts * 2, 0.5)  # more than the pool
    with pytest.raises(ValueError):
        crowd.show_contacts([(0, 1, "unknown")], 0.5)
    with pytest.raises(ValueError):
        crowd.show_contacts(contacts, 1.5)


def test_crowd_refuses_bad_input() -> None:
    from scenes.kit.crowd import ContactLook, Crowd

    for bad in (lambda: Crowd(1, looks=looks(), state="idle"),
                lambda: Crowd(300, looks=looks(), state="idle"),
                lambda: Crowd(10, looks=looks(), state="nope"),
                lambda: Crowd(10, looks=looks(), state="idle", arrangement="spiral"),
                lambda: Crowd(10, looks=looks(), state="idle", radius=0.4, pitch=0.5),
                lambda: Crowd(10, looks=looks(), state="idle", max_contacts=4),
                lambda: Crowd(10, looks=looks(), state="idle").set_states(["idle"] * 9),
                lambda: Crowd(10, looks=looks(), state="idle").set_states(["x"] * 10),
                lambda: ContactLook(theme.FAILURE, dropped=True, drop_at=1.0)):
        with pytest.raises(ValueError):
            bad()


def test_crowd_legend_draws_states_and_contacts() -> None:
    from scenes.kit.crowd import Crowd

    crowd = Crowd(16, looks=looks(), state="idle", max_contacts=2, contact_looks=contact_looks())
    legend = crowd.legend([("idle", "unaware"), ("new", "just told"), ("lost", "lost")], title="key")
    assert len(legend.items) == 3
    with pytest.raises(ValueError):
        crowd.legend([("nothing", "x")])


def test_fraction_chart_lines_reveal_with_the_clock() -> None:
    from scenes.kit.crowd import FractionChart

    chart = FractionChart({"a": [0.1, 0.5, 1.0], "b": [0.1, 1.0]}, width=4.0, height=2.0)
    assert chart.x_max == 2 and chart.markers == {"a": "circle", "b": "square"}
    chart.reveal(-1)
    assert len(chart.lines["a"].points) == 0 and chart.marks["a"][0].get_fill_opacity() == 0.0
    chart.reveal(1.5)
    assert np.allclose(chart.lines["a"].get_end(), chart.to_point(1.5, 0.75))
    assert chart.marks["a"][1].get_fill_opacity() == 1.0 and chart.marks["a"][2].get_fill_opacity() == 0.0
    assert np.allclose(chart.lines["b"].get_end(), chart.to_point(1, 1.0))  # a short series stops at its end
    chart.shift([3, 1, 0])
    chart.reveal_series("a", 2)
    assert np.allclose(chart.lines["a"].get_end(), chart.to_point(2, 1.0))
    assert np.allclose(chart.to_point(0, 0), chart.axes[0].get_start())
    assert len(chart.legend({"a": "first"}).items) == 2


def test_fraction_chart_bars_grow_and_label_counts() -> None:
    from scenes.kit.crowd import FractionChart

    chart = FractionChart({"s": [1 / 64, 2 / 64, 4 / 64, 1.0]}, style="bars", total=64, height=2.0)
    chart.reveal(2.5)
    assert chart.bars[3].height == pytest.approx(1.0, rel=1e-3)  # half of 2.0
    assert chart.bars[2].height == pytest.approx(4 / 64 * 2.0, rel=1e-3)
    assert chart.bar_labels[2].get_fill_opacity() == 1.0 and chart.bar_labels[3].get_fill_opacity() == 0.0
    assert chart.bar_labels[3].text == "64"
    chart.reveal(0)
    assert chart.bars[2].get_fill_opacity() == 0.0


def test_fraction_chart_refuses_bad_input() -> None:
    from scenes.kit.crowd import FractionChart

    for bad in (lambda: FractionChart({}), lambda: FractionChart({"a": [0.1, 1.2]}),
                lambda: FractionChart({"a": [0.1]}, x_max=0),
                lambda: FractionChart({"a": [0.1, 1], "b": [0.2, 1]}, style="bars"),
                lambda: FractionChart({"a": [0.1, 1]}, style="pie"),
                lambda: FractionChart({"a": [0.1, 1]}).reveal_series("z", 1)):
        with pytest.raises(ValueError):
            bad()
