"""scenes.kit.matrix: the colour ramp, MatrixHeatmap, VectorBars and EquationLine, as documented."""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit import theme


def family_ids(mobject) -> set[int]:
    return {id(m) for m in mobject.get_family()}


def test_ramp_runs_dark_to_light_and_text_contrasts() -> None:
    from scenes.kit.matrix import RAMP, _luminance, contrast_text, ramp_color

    lums = [_luminance(ramp_color(f)) for f in np.linspace(0, 1, 11)]
    assert all(a < b for a, b in zip(lums, lums[1:])), "a sequential ramp gets lighter monotonically"
    assert ramp_color(0.0) == RAMP[0] and ramp_color(1.0) == RAMP[-1] and ramp_color(2.0) == RAMP[-1]
    assert contrast_text(RAMP[0]) == theme.TEXT and contrast_text(RAMP[-1]) == theme.BACKGROUND


@pytest.mark.parametrize("value, digits, text", [(0.000438568, 3, "0.000439"), (-0.03809823, 3, "−0.0381"),
                                                 (0.09996, 3, "0.100"), (1.105905967, 3, "1.11"), (0.15, 3, "0.150"),
                                                 (0.0, 3, "0.00"), (123.4, 2, "123")])
def test_significant(value: float, digits: int, text: str) -> None:
    from scenes.kit.matrix import significant

    assert significant(value, digits) == text


def test_significant_trims_trailing_zeros() -> None:
    from scenes.kit.matrix import significant

    assert [significant(v, trim=True) for v in (0.15, 0.1, 0.0500, 2.0, -0.0381)] == ["0.15", "0.1", "0.05", "2", "−0.0381"]
    with pytest.raises(ValueError):
        significant(1.0, 0)


def test_distinct_digits_shows_a_small_change() -> None:
    from scenes.kit.matrix import distinct_digits

    assert distinct_digits([0.15, 0.1497807]) == 4
    assert distinct_digits([0.4, 0.359]) == 3
    assert distinct_digits([1.0, 1.0]) == 8
    with pytest.raises(ValueError):
        distinct_digits([1.0], start=0)


def test_heatmap_recolours_in_place_and_masks() -> None:
    from scenes.kit.matrix import MatrixHeatmap, contrast_text, ramp_color

    heat = MatrixHeatmap([[0.0, 1.0], [None, 0.5]], row_labels=["a", "b"], col_labels=["x", "y"],
                         value_range=(0.0, 1.0))
    before = family_ids(heat)
    assert heat.cell(0, 0).get_fill_color().to_hex().upper() == ramp_color(0.0).upper()
    assert heat.texts[1].text == "1.00" and heat.texts[1].shown_color == contrast_text(ramp_color(1.0))
    assert heat.texts[2].get_fill_opacity() == 0.0 and heat.hatches[2][0].get_stroke_opacity() == 1.0
    heat.set_values([[None, 0.25], [0.75, 1.0]], value_range=(0.0, 1.0), shown=[[True, True], [True, False]])
    assert family_ids(heat) == before, "changed in place"
    assert heat.hatches[0][0].get_stroke_opacity() == 1.0 and heat.texts[0].get_fill_opacity() == 0.0
    assert heat.texts[3].get_fill_opacity() == 0.0, "a cell not shown yet prints nothing"
    assert heat.texts[2].text == "0.75"
    with pytest.raises(ValueError):
        heat.set_values([[1.0]])
    with pytest.raises(ValueError):
        MatrixHeatmap([[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError):
        MatrixHeatmap([[1.0]], row_labels=["a", "b"])


def test_heatmap_highlight_frames_a_row_column_or_cell() -> None:
    from scenes.kit.matrix import MatrixHeatmap

    heat = MatrixHeatmap([[1, 2, 3], [4, 5, 6]], cell_width=1.0, cell_height=0.5)
    assert heat.frame.get_stroke_opacity() == 0.0
    heat.set_highlight(row=1)
    assert heat.frame.width == pytest.approx(3.06) and heat.frame.height == pytest.approx(0.56)
    heat.set_highlight(col=2)
    assert heat.frame.width == pytest.approx(1.06) and heat.frame.height == pytest.approx(1.06)
    heat.set_highlight(cell=(0, 0))
    assert np.allclose(heat.frame.get_center(), heat.cell(0, 0).get_center())
    with pytest.raises(ValueError):
        heat.set_highlight(row=0, col=0)
    with pytest.raises(ValueError):
        heat.set_highlight(row=5)


def test_heatmap_column_fits_its_label() -> None:
    from scenes.kit.matrix import MatrixHeatmap

    heat = MatrixHeatmap([[1, 2]], col_labels=["a", "a rather long name"], cell_width=0.5)
    assert heat.cell_width >= heat.col_labels[1].width


def test_vector_bars_point_by_sign_and_grow() -> None:
    from scenes.kit.matrix import VectorBars

    bars = VectorBars([1.0, -0.5], max_abs=1.0, half_height=1.0, labels=["a", "b"])
    zero = bars.zero_line.get_center()[1]
    assert bars.bars[0].get_top()[1] == pytest.approx(zero + 1.0)
    assert bars.bars[1].get_bottom()[1] == pytest.approx(zero - 0.5)
    assert bars.texts[1].text == "−0.50" and bars.texts[1].get_center()[1] < zero
    before = family_ids(bars)
    bars.grow(0.5)
    assert bars.bars[0].get_top()[1] == pytest.approx(zero + 0.5)
    assert bars.texts[0].get_fill_opacity() == 0.0, "values show only at full length"
    bars.set_values([0.25, 2.0]).grow(1.0)
    assert bars.bars[1].get_top()[1] == pytest.approx(zero + 1.0), "clamped at max_abs"
    assert family_ids(bars) == before
    for bad in (lambda: bars.set_values([1.0]), lambda: bars.grow(1.5), lambda: VectorBars([]),
                lambda: VectorBars([1.0], labels=["a", "b"])):
        with pytest.raises(ValueError):
            bad()


def test_equation_line_replaces_terms_in_place_and_centres() -> None:
    from scenes.kit.matrix import EquationLine

    line = EquationLine(["a", "=", "0.741"], slots=5).move_to([1.0, 2.0, 0])
    before = family_ids(line)
    line.set_terms(["0.741", "×", "0.187", "=", "0.139"], highlight=2)
    assert family_ids(line) == before
    shown = [s for s in line.slots if s.get_fill_opacity() > 0]
    assert [s.text for s in shown] == ["0.741", "×", "0.187", "=", "0.139"]
    assert shown[2].shown_color == theme.HIGHLIGHT and line.underline.get_stroke_opacity() == 1.0
    middle = (shown[0].get_left()[0] + shown[-1].get_right()[0]) / 2
    assert middle == pytest.approx(1.0, abs=1e-6)
    again = EquationLine(["a", "=", "0.741"], slots=5).move_to([1.0, 2.0, 0])
    again.set_terms(["x"]).set_terms(["0.741", "×", "0.187", "=", "0.139"], highlight=2)
    assert np.allclose(again.slots[4].get_center(), line.slots[4].get_center()), "a pure function of the terms"
    line.set_terms(["b"])
    assert line.underline.get_stroke_opacity() == 0.0
    with pytest.raises(ValueError):
        line.set_terms(["1"] * 6)
    with pytest.raises(ValueError):
        line.set_terms(["1"], highlight=3)


def test_bar_rows_point_by_sign_and_change_in_place() -> None:
    from scenes.kit.matrix import BarRows

    rows = BarRows(["a", "bb", "c"], [1.0, -0.5, 0.0], max_abs=1.0, length=2.0, signed=True)
    zero = rows.zero_line.get_center()[0]
    assert rows.bars[0].get_right()[0] == pytest.approx(zero + 2.0)
    assert rows.bars[1].get_left()[0] == pytest.approx(zero - 1.0)
    assert rows.texts[1].get_right()[0] < rows.bars[1].get_left()[0] and rows.texts[1].text == "−0.50"
    assert all(n.get_right()[0] < rows.texts[1].get_left()[0] for n in rows.names), "names clear of negative bars"
    members = {id(m) for m in rows.get_family()}
    rows.set_values([0.25, 2.0, -1.0], printed=False)
    assert rows.bars[1].get_right()[0] == pytest.approx(zero + 2.0), "clamped at max_abs"
    assert rows.texts[0].get_fill_opacity() == 0.0
    assert {id(m) for m in rows.get_family()} == members
    for bad in (lambda: rows.set_values([1.0]), lambda: BarRows([], []), lambda: BarRows(["a"], [1.0], length=0)):
        with pytest.raises(ValueError):
            bad()


def test_heatmap_prints_only_the_cells_asked_for() -> None:
    from scenes.kit.matrix import MatrixHeatmap

    heat = MatrixHeatmap([[0.1, 0.2], [0.3, 0.4]])
    heat.set_values([[0.1, 0.2], [0.3, 0.4]], printed=[[True, False], [False, False]])
    assert [t.get_fill_opacity() for t in heat.texts] == [1.0, 0.0, 0.0, 0.0]
    assert heat.cells[3].get_fill_opacity() == 1.0


def test_vector_bars_without_values() -> None:
    from scenes.kit.matrix import VectorBars

    bars = VectorBars([0.5, -0.5], show_values=False)
    assert all(t.get_fill_opacity() == 0.0 for t in bars.texts)


def test_heatmap_cells_fit_their_printed_values_and_bars_line_up_by_zero() -> None:
    from scenes.kit.matrix import MatrixHeatmap, VectorBars

    heat = MatrixHeatmap([[-0.123456, 1.0]], cell_width=0.2, fmt=lambda v: f"{v:.4f}")
    assert heat.cell_width >= heat.texts[0].width
    assert MatrixHeatmap([[-0.123456]], cell_width=0.2, show_values=False).cell_width == 0.2
    a, b = VectorBars([1.0, 0.5]).place_zero([0, 1, 0]), VectorBars([-1.0, -0.2]).place_zero([3, 1, 0])
    assert a.zero_line.get_center()[1] == pytest.approx(b.zero_line.get_center()[1])
