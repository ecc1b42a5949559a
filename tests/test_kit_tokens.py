"""scenes.kit.tokens: TokenChip, TokenRow (merging and splitting in place) and TokenShelf."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit import theme


def test_chip_flips_to_its_id_and_shows_a_badge() -> None:
    from scenes.kit.tokens import TokenChip

    chip = TokenChip("ug", token_id=8).place([1.0, 0.5, 0])
    assert chip.face.get_fill_opacity() == 1.0 and chip.id_face.get_fill_opacity() == 0.0
    assert np.allclose(chip.box.get_center(), [1.0, 0.5, 0])
    chip.flip(0.5)
    assert chip.box.height < 0.1, "edge-on halfway"
    chip.flip(1.0)
    assert chip.face.get_fill_opacity() == 0.0 and chip.id_face.text == "8"
    assert chip.id_face.get_fill_opacity() == 1.0
    chip.show_id(1.0)
    assert chip.badge.get_fill_opacity() == 1.0 and chip.badge.get_center()[1] < chip.box.get_bottom()[1]
    chip.set_look(highlighted=True)
    assert chip.box.get_stroke_color().to_hex().upper() == theme.HIGHLIGHT.upper()
    wide = TokenChip("[UNK]")
    assert wide.chip_width > chip.chip_width
    for bad in (lambda: TokenChip(""), lambda: TokenChip("a").flip(1.0), lambda: chip.flip(2.0),
                lambda: chip.set_look(opacity=-1)):
        with pytest.raises(ValueError):
            bad()


def test_row_merges_pieces_and_keeps_its_mobjects() -> None:
    from scenes.kit.tokens import TokenRow

    row = TokenRow([["b", "u", "g", "s"], ["b", "ug", "s"]], ids={"b": 1, "u": 7, "g": 2, "s": 6, "ug": 8},
                   badge="×5")
    members = {id(m) for m in row.get_family()}
    assert [c.text for c in row.visible_chips()] == ["b", "u", "g", "s"]
    u, g = row.chips[1], row.chips[2]
    gap_before = g.box.get_left()[0] - u.box.get_right()[0]
    row.show(0.5)
    gap_mid = g.box.get_left()[0] - u.box.get_right()[0]
    assert 0 < gap_mid < gap_before and u.highlighted and not row.chips[0].highlighted
    row.show(0.999)
    assert abs(g.box.get_left()[0] - u.box.get_right()[0]) < 1e-3, "the joining pieces touch just before they fuse"
    row.show(1.0)
    assert [c.text for c in row.visible_chips()] == ["b", "ug", "s"]
    assert g.box.get_stroke_opacity() == 0.0, "the right half of a fused pair is hidden"
    row.show_ids(1.0)
    assert [c.badge.text for c in row.visible_chips()] == ["1", "8", "6"]
    row.show(0.0)
    assert [c.text for c in row.visible_chips()] == ["b", "u", "g", "s"], "going back splits them again"
    assert {id(m) for m in row.get_family()} == members
    assert row.badge is not None and row.badge.get_right()[0] < row.chips[0].box.get_left()[0]


def test_row_is_a_pure_function_of_progress() -> None:
    from scenes.kit.tokens import TokenRow

    stages = [["h", "u", "g", "s"], ["h", "ug", "s"], ["hug", "s"], ["hugs"]]
    a, b = TokenRow(stages), TokenRow(stages)
    for p in (2.6, 0.3, 1.7, 1.2):
        a.show(p)
    b.show(1.2)
    for ca, cb in zip(a.chips, b.chips):
        assert np.allclose(ca.box.points, cb.box.points) and ca.box.get_stroke_opacity() == cb.box.get_stroke_opacity()


def test_row_refuses_stages_that_do_not_nest() -> None:
    from scenes.kit.tokens import TokenRow

    for stages in ([], [["ab"], ["a", "c"]], [["a", "bc"], ["ab", "c"]]):
        with pytest.raises(ValueError):
            TokenRow(stages)
    with pytest.raises(ValueError):
        TokenRow([["a", "b"], ["ab"]]).show(1.5)


def test_shelf_reveals_in_order_and_wraps() -> None:
    from scenes.kit.tokens import TokenShelf

    shelf = TokenShelf(list("abcdefghij"), list(range(10)), per_row=4)
    assert shelf.chips[4].box.get_center()[1] < shelf.chips[3].box.get_center()[1], "wrapped after four"
    shelf.show_count(2.5, highlight=1)
    opacities = [c.box.get_stroke_opacity() for c in shelf.chips]
    assert opacities[:2] == [1.0, 1.0] and opacities[2] == pytest.approx(0.5) and opacities[3] == 0.0
    assert shelf.chips[1].highlighted
    with pytest.raises(ValueError):
        TokenShelf(["a"], [0, 1])


def test_row_splits_towards_a_finer_stage() -> None:
    from scenes.kit.tokens import TokenRow

    row = TokenRow([["hug"], ["h", "u", "g"]])
    assert [c.text for c in row.visible_chips()] == ["hug"]
    row.show(0.1)
    h, u = row.chips[0], row.chips[1]
    assert u.box.get_stroke_opacity() == 1.0 and abs(u.box.get_left()[0] - h.box.get_right()[0]) < 0.05
    row.show(0.9)
    assert u.box.get_left()[0] - h.box.get_right()[0] > 0.05, "the letters pull apart"
    row.show(1.0)
    assert [c.text for c in row.visible_chips()] == ["h", "u", "g"]


def test_row_fades_as_a_whole() -> None:
    from scenes.kit.tokens import TokenRow

    row = TokenRow([["a", "b"], ["ab"]], badge="×2").fade(0.0)
    assert all(c.box.get_stroke_opacity() == 0.0 for c in row.chips) and row.badge.get_fill_opacity() == 0.0
    row.fade(1.0).show(1.0)
    assert row.chips[0].box.get_stroke_opacity() == 1.0
    with pytest.raises(ValueError):
        row.fade(2.0)


def test_row_chips_never_overlap_while_moving() -> None:
    from scenes.kit.tokens import TokenRow

    row = TokenRow([["newest"], list("newest"), ["n", "e", "w", "es", "t"], ["n", "e", "w", "est"]], badge="×6")
    for p in np.linspace(0.0, 3.0, 61):
        row.show(float(p))
        boxes = sorted((c.box.get_left()[0], c.box.get_right()[0]) for c in row.chips if c.box.get_stroke_opacity() > 0)
        assert all(a[1] <= b[0] + 1e-6 for a, b in zip(boxes, boxes[1:])), p
        assert boxes[0][0] >= row.badge.get_right()[0], p
