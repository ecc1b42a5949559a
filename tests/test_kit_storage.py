"""The storage pieces of the kit (scenes/kit/storage.py): their documented behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit import theme


def test_storage_tier_has_an_icon_and_an_inner_region() -> None:
    from scenes.kit.storage import StorageTier

    tier = StorageTier("disk", kind="disk", width=8.0, height=2.0).move_to([1.0, -1.0, 0])
    inner = tier.inner()
    assert inner.left == pytest.approx(tier.panel.get_left()[0] + tier.header_width)
    assert inner.top < tier.panel.get_top()[1] and inner.bottom > tier.panel.get_bottom()[1]
    assert tier.icon.get_center()[0] < inner.left
    for bad in (lambda: StorageTier("x", kind="tape"), lambda: StorageTier(" "),
                lambda: StorageTier("memory", width=1.0), lambda: StorageTier("a much too long title")):
        with pytest.raises(ValueError):
            bad()


def test_page_card_shows_value_tag_and_dirty_mark_in_place() -> None:
    from scenes.kit.storage import PageCard

    card = PageCard("A", "100", tag="lsn 0").place([2.0, 1.0, 0])
    assert np.allclose(card.box.get_center(), [2.0, 1.0, 0])
    parts = {id(m) for m in card.get_family()}
    assert card.flag.get_fill_opacity() == 0.0 and card.dirty_label.get_fill_opacity() == 0.0
    card.set_state(value="61", tag="lsn 2", dirty=True, highlight=True)
    assert card.value.text == "61" and card.tag.text == "lsn 2"
    assert card.flag.get_fill_opacity() == 1.0 and card.dirty_label.get_fill_opacity() == 1.0
    assert card.box.get_stroke_color().to_hex().upper() == theme.HIGHLIGHT.upper()
    card.set_state(present=False)  # not in the buffer: an empty outline
    assert card.value.current.get_fill_opacity() == 0.0 and card.flag.get_fill_opacity() == 0.0
    assert {id(m) for m in card.get_family()} == parts
    with pytest.raises(ValueError):
        PageCard("")


def test_record_row_looks_notes_and_width() -> None:
    from scenes.kit.storage import RecordRow, column_slots

    width = RecordRow.fit_width([("1", "T1 BEGIN"), ("12", "T1 A 100→61")])
    row = RecordRow("2", "T1 A 100→61", width=width)
    assert row.box.width == pytest.approx(width)
    slots = column_slots([0.0, 2.0, 0], 3, 0.4)
    assert np.allclose(slots[0], [0, 1.8, 0]) and np.allclose(slots[2], [0, 1.0, 0])
    row.place(slots[1])
    assert np.allclose(row.box.get_center(), slots[1])
    assert row.box.get_stroke_opacity() == 0.0  # built hidden
    row.set_look("memory")
    assert row.box.get_fill_opacity() == 0.0 and row.box.get_stroke_opacity() == 1.0
    row.set_look("disk")
    assert row.box.get_fill_opacity() == 1.0
    row.set_look("struck", opacity=0.5)
    assert row.strike.get_stroke_opacity() == 0.5 and row.box.get_fill_opacity() == 0.0
    row.set_look("disk").set_note("redo", theme.SUCCESS)
    assert row.note.text == "redo" and row.note.current.get_left()[0] > row.box.get_right()[0]
    row.set_note("")
    assert row.note.current.get_fill_opacity() == 0.0
    for bad in (lambda: row.set_look("gone"), lambda: row.set_look("disk", opacity=2.0),
                lambda: RecordRow("1", " "), lambda: RecordRow("1", "a long record text", width=0.5),
                lambda: column_slots([0, 0, 0], 2, 0.0)):
        with pytest.raises(ValueError):
            bad()


def test_crash_overlay_flag_and_focus_frame() -> None:
    from manim import Square

    from scenes.kit.storage import CrashOverlay, FlagMarker, FocusFrame

    veil = CrashOverlay(4.0, 2.0, text="lost")
    assert veil.bolt.get_fill_opacity() == 0.0
    veil.set_amount(1.0)
    assert veil.bolt.get_fill_opacity() == 1.0 and 0 < veil.veil.get_fill_opacity() < 1.0
    with pytest.raises(ValueError):
        veil.set_amount(1.5)
    flag = FlagMarker("start").point_to([1.0, -1.0, 0])
    assert np.allclose(flag.pole.get_start(), [1.0, -1.0, 0])
    assert flag.text.current.get_left()[0] > flag.flag.get_right()[0]
    flag.set_label("here").set_visible(0.0)
    assert flag.text.text == "here" and flag.pole.get_stroke_opacity() == 0.0
    frame = FocusFrame(buff=0.1)
    assert len(frame.points) == 0
    frame.surround(Square(1.0).move_to([2.0, 0, 0]))
    assert frame.get_left()[0] == pytest.approx(1.4) and frame.get_top()[1] == pytest.approx(0.6)
    frame.hide()
    assert len(frame.points) == 0
    with pytest.raises(ValueError):
        FocusFrame(buff=-1)


def test_record_shelves_move_fade_and_strike_records() -> None:
    from scenes.kit.storage import RecordShelves

    shelves = RecordShelves({1: ("1", "T1 BEGIN"), 2: ("2", "T1 COMMIT")}, volatile_top=[0, 2, 0],
                            durable_top=[0, -1, 0], slots=(2, 2), pitch=0.4)
    shelves.show({1: ("volatile", 0)})
    one, two = shelves.rows[1], shelves.rows[2]
    assert np.allclose(one.box.get_center(), [0, 1.8, 0]) and one.look == "memory" and two.look == "hidden"
    shelves.show({1: ("volatile", 0)}, {1: ("durable", 0), 2: ("volatile", 0)}, 0.5)
    assert one.box.get_center()[0] > 0.5, "a record changing shelves swerves right of the others"
    assert 0.2 < one.box.get_center()[1] < 1.8 and two.opacity == 0.5
    shelves.show({1: ("durable", 0)}, {}, 0.25, notes={1: ("redo", theme.SUCCESS)})
    assert one.look == "struck" and one.opacity == 0.75 and one.note.text == "redo"
    shelves.show({1: ("durable", 0)})
    assert np.allclose(one.box.get_center(), [0, -1.2, 0]) and one.look == "disk"
    for bad in (lambda: shelves.show({1: ("attic", 0)}), lambda: shelves.show({1: ("durable", 5)}),
                lambda: shelves.show({}, {}, 2.0), lambda: RecordShelves({}, volatile_top=[0, 0, 0],
                                                                        durable_top=[0, 0, 0], slots=(1, 1))):
        with pytest.raises(ValueError):
            bad()


def test_key_value_table_changes_values_in_place() -> None:
    from scenes.kit.storage import KeyValueTable

    table = KeyValueTable("latest", ["A", "B"])
    shown = {k: v.current for k, v in table.values.items()}
    table.set_values({"A": "a7"}, highlight="A")
    assert table.values["A"].text == "a7" and table.values["B"].text == "–"
    assert {k: v.current for k, v in table.values.items()} == shown
    assert len(table.frame.points) > 0 and table.frame.get_center()[1] == pytest.approx(table.keys_[0].get_center()[1])
    left = table.values["A"].current.get_left()[0]
    table.set_values({"A": "a10", "B": "b1"})
    assert table.values["A"].current.get_left()[0] == pytest.approx(left), "values stay left-aligned"
    assert len(table.frame.points) == 0
    table.set_visible(False)
    assert table.values["A"].current.get_fill_opacity() == 0.0 and table.values["A"].text == "a10"
    table.set_visible(True)
    assert table.values["B"].current.get_fill_opacity() == 1.0
    for bad in (lambda: KeyValueTable("t", []), lambda: KeyValueTable("t", ["A", "A"]),
                lambda: KeyValueTable("t", ["A"], row_height=0.1)):
        with pytest.raises(ValueError):
            bad()
