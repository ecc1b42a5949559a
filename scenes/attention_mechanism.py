"""Attention Mechanism: one word's vector, blended from its neighbours (storyboard: attention-mechanism.md).

Every view is drawn from the trace's own matrices: the embedding rows, the projections, the
score and weight matrices and the outputs of each run (main, contrast, causal, every head).
Which key the score equation features (the focus word's strongest partner), what "mostly" means
in a caption and which words a mask hides come from the trace, so other sentences, seeds and
head counts tell the same story with their own numbers.
"""

from __future__ import annotations

from typing import Any

from manim import DOWN, LEFT, RIGHT, Arrow, FadeIn, ValueTracker, VGroup

from scenes.kit import ExplainerScene, label, layout, mono, theme
from scenes.kit.matrix import BarRows, EquationLine, MatrixHeatmap, VectorBars, significant
from scenes.kit.tokens import TokenChip

__all__ = ["AttentionMechanismScene"]

STAGE = layout.STAGE
TOP, REST = STAGE.cut_top(0.8, gap=0.15)  #: a band for the sentence, the rest for the mechanism
MAIN, PANEL = REST.cut_right(5.6, gap=0.3)
EQ_AT = STAGE.point(0.5, 0.08)
CELL = (0.78, 0.46)  #: width, height of a heatmap cell with printed values


def num(x: float, digits: int = 3) -> str:
    return significant(x, digits, trim=True)


def two(x: float) -> str:
    """Two decimals, as in the heatmap cells, with a true minus sign."""
    text = f"{x:.2f}"
    return "−" + text[1:] if text.startswith("-") else text


def factor(x: float) -> str:
    return num(x) if x >= 0 else f"({num(x)})"


def inside_x(mobject: Any, x: float) -> float:
    """``x`` moved just enough that ``mobject``, centred there, stays on the stage."""
    half = mobject.width / 2
    return min(max(x, STAGE.left + half), STAGE.right - half)


def who(entry: dict[str, Any], focus: int) -> str:
    """A ranked entry's word, or "itself" for the focus word's own position."""
    return "itself" if entry["index"] == focus else f"“{entry['token']}”"


class AttentionMechanismScene(ExplainerScene):
    """Embeddings, queries and keys, scores, softmax, the blend, another sentence, a causal mask, several heads."""

    def setup(self) -> None:
        self.p, self.s = self.trace["params"], self.trace["summary"]
        self.by_event = {st["event"]: st for st in self.trace["steps"]}
        self.main, self.contrast = self.by_event["mix"], self.by_event["contrast"]
        self.causal = self.by_event["causal"]
        self.word = self.p["focus_word"]
        self.n_heads = self.p["n_heads"]
        ranked = self.s["focus_ranked"]["main"][0]
        self.top = ranked[0]
        self.partner = next(r for r in ranked if r["index"] != self.main["focus_index"])

    # --- helpers -------------------------------------------------------------------------------------
    def fresh_stage(self) -> None:
        self.clear_caption()
        self.clear_stage()

    def chips(self, tokens: list[str], focus: int, region=TOP) -> VGroup:
        row = VGroup(*[TokenChip(t) for t in tokens])
        for chip, at in zip(row, region.row(len(tokens))):
            chip.place(at)
        row[focus].set_look(highlighted=True)
        return row

    def heat(self, run: dict[str, Any], head: int, key: str, **kwargs: Any) -> MatrixHeatmap:
        return MatrixHeatmap(run["heads"][head][key], row_labels=run["tokens"], col_labels=run["tokens"],
                             cell_width=kwargs.pop("cell_width", CELL[0]), cell_height=kwargs.pop("cell_height", CELL[1]),
                             fmt=two, **kwargs)

    def out_bars(self, values: list[float], title: str, *, max_abs: float, half_height: float = 0.55) -> VGroup:
        bars = VectorBars(values, max_abs=max_abs, half_height=half_height, bar_width=0.34, fmt=two)
        return VGroup(label(title, color=theme.MUTED), bars).arrange(DOWN, buff=0.2)

    # --- beats -------------------------------------------------------------------------------------------
    def construct(self) -> None:
        self.chapter("Same word, same vector")
        self.show_title_card(3.0)
        self.hook_beat()
        self.vectors_beat()
        self.fresh_stage()
        self.chapter("Queries, keys and scores")
        self.projection_beat()
        self.scores_beat()
        self.chapter("Softmax and the blend")
        self.softmax_beat()
        self.blend_beat()
        self.fresh_stage()
        self.chapter("Context and the causal mask")
        self.context_beat()
        self.fresh_stage()
        self.chapter("Several heads")
        self.multihead_beat()
        self.takeaway_beat()

    def hook_beat(self) -> None:
        top, bottom = STAGE.rows(2, gap=0.3)
        shown = VGroup()
        for run, band in ((self.main, top), (self.contrast, bottom)):
            chip_band, bar_band = band.cut_top(0.7)
            row = self.chips(run["tokens"], run["focus_index"], chip_band)
            x = run["X"][run["focus_index"]]
            bars = VectorBars(x, max_abs=max(abs(v) for v in self.main["X"][self.main["focus_index"]]),
                              half_height=0.5, fmt=two).move_to(bar_band.center)
            bars.set_x(inside_x(bars, row[run["focus_index"]].get_center()[0]))
            shown.add(row, bars)
        self.reveal(shown)
        self.caption(f"The same word, {self.word}, gets the same {len(x)} numbers in both sentences.")
        self.wait(1.5)
        self.caption(f"So which {self.word} is it? Attention lets the neighbours decide.")
        self.wait(1.0)

    def vectors_beat(self) -> None:
        run, f = self.main, self.main["focus_index"]
        self.fresh_stage()
        row = self.chips(run["tokens"], f)
        top = max(abs(v) for r in run["X"] for v in r)
        bars = [VectorBars(x, max_abs=top, half_height=0.8, bar_width=0.22, show_values=False)
                .place_zero([chip.get_center()[0], REST.point(0.5, 0.55)[1], 0]) for x, chip in zip(run["X"], row)]
        ids = VGroup(*[mono(f"id {i}", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED).next_to(c, DOWN, buff=0.12)
                       for i, c in zip(run["token_ids"], row)])
        readout = mono(f"{self.word} = [{', '.join(two(v) for v in run['X'][f])}]", color=theme.HIGHLIGHT)
        readout.move_to([0, REST.point(0.5, 0.1)[1], 0]).set_x(inside_x(readout, row[f].get_center()[0]))
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:
            for i, b in enumerate(bars):
                b.grow(min(max(t - i * 0.5, 0.0), 1.0))
            readout.set_opacity(1.0 if t >= f * 0.5 + 1.0 else 0.0)

        self.drive(clock, draw)
        self.reveal(row, ids, *bars, readout, heading="Tokens to vectors")
        self.narrate("Each token looks up its row of the embedding table by id.", clock,
                     len(bars) * 0.5 + 0.5, 3.6)
        self.caption(f"{self.word}'s {len(run['X'][f])} numbers come from the table alone, whatever its neighbours.")
        self.wait(1.2)
        self.stop_driving()

    def projection_beat(self) -> None:
        run, f = self.main, self.main["focus_index"]
        x = run["X"][f]
        h0 = run["heads"][0]
        xbars = VectorBars(x, half_height=0.6, fmt=two)
        left = VGroup(TokenChip(self.word).set_look(highlighted=True), xbars).arrange(DOWN, buff=0.35)
        mats, outs = VGroup(), []
        for key, name in (("Q", "W_Q"), ("K", "W_K"), ("V", "W_V")):
            m = MatrixHeatmap(self.s[name][0], cell_width=0.7, cell_height=0.38, fmt=two)
            vec = VectorBars(h0[key][f], max_abs=max(1.0, *[abs(v) for v in h0[key][f]]), half_height=0.45, fmt=two)
            outs.append(vec)
            mats.add(VGroup(label(name, color=theme.MUTED), m, mono(key.lower(), color=theme.HIGHLIGHT), vec)
                     .arrange(DOWN, buff=0.2))
        mats.arrange(RIGHT, buff=0.6)
        view = VGroup(left, mono("×", font_size=theme.HEADING_SIZE), mats).arrange(RIGHT, buff=0.5)
        REST.place(view)
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:
            for k, vec in enumerate(outs):
                vec.grow(min(max(t - k, 0.0), 1.0))

        self.drive(clock, draw)
        self.reveal(TOP.place(self.chips(run["tokens"], f)), view, heading="Query, key, value")
        self.narrate(f"Three small matrices turn {self.word}'s vector into three shorter ones.", clock, 1.0, 4.0)
        self.narrate("A query: what am I looking for? A key: what do I offer?", clock, 2.0, 3.6)
        self.narrate("A value: what I pass on if chosen. Every token gets all three.", clock, 3.0, 3.8)
        self.stop_driving()
        self.fresh_stage()

    def scores_beat(self) -> None:
        run, f, j = self.main, self.main["focus_index"], self.partner["index"]
        h0, n = run["heads"][0], len(run["tokens"])
        heat = self.heat(run, 0, "scores")
        MAIN.place(heat, fit=False)
        self.score_heat = heat
        products = " + ".join(f"{factor(q)}×{factor(k)}" for q, k in zip(h0["Q"][f], h0["K"][j]))
        line = EquationLine([f"{self.word}→{run['tokens'][j]}", "=", f"({products})", "/", num(self.s["sqrt_d_k"]),
                             "=", two(h0["scores"][f][j])], slots=7).move_to(EQ_AT)
        line.set_terms(line.terms, highlight=6)
        legend = VGroup(label("rows: queries (who asks)", color=theme.MUTED),
                        label("columns: keys (who answers)", color=theme.MUTED)).arrange(DOWN, buff=0.2)
        PANEL.place(legend)
        clock = ValueTracker(0.0)
        scores = h0["scores"]

        def draw(t: float) -> None:
            shown = [[(i == f and (k == j or k < (t - 1.0) * n)) or t >= 2.0 + (i + 1) / n for k in range(n)]
                     for i in range(n)]
            heat.set_values(scores, shown=shown)
            if t < 2.0:
                heat.set_highlight(cell=(f, j))
            else:
                heat.set_highlight(row=f)

        self.drive(clock, draw)
        self.reveal(heat, line, legend, heading="Scores")
        self.narrate(f"Score = query · key / √{self.p['d_k']}, here for {self.word} and {run['tokens'][j]}.",
                     clock, 1.0, 4.2)
        self.narrate(f"{self.word}'s query meets every key in the sentence.", clock, 2.0, 3.4)
        options = list(dict.fromkeys([str(n), str(2 * n), str(n * n)]))
        self.checkpoint(f"With {n} tokens, how many query–key scores does one head compute?", options,
                        options.index(str(n * n)), "Every query meets every key: n × n scores, all at once.")
        self.narrate(f"And every other query too: {self.s['n_scores']['main']} scores at once.", clock, 3.0, 3.4)
        self.stop_driving()
        self.play(line.animate.set_opacity(0.0), legend.animate.set_opacity(0.0), run_time=0.4)

    def softmax_beat(self) -> None:
        run, f = self.main, self.main["focus_index"]
        h0, heat = run["heads"][0], self.score_heat
        scores, weights = h0["scores"], h0["weights"]
        ranked = self.s["focus_ranked"]["main"][0]
        others = [w for w in dict.fromkeys(run["tokens"]) if w != self.top["token"]][:4]
        words = [w for w in dict.fromkeys(run["tokens"]) if w == self.top["token"] or w in others]
        self.checkpoint(f"Which word will {self.word} give the largest weight?", words, words.index(self.top["token"]),
                        "Softmax keeps the order of the scores: the highest score gets the largest share.")
        top = max(abs(v) for v in scores[f])
        rows = BarRows(run["tokens"], scores[f], max_abs=top, length=1.5, signed=True, fmt=two)
        total = mono(f"sum = {sum(weights[f]):.0f}", color=theme.HIGHLIGHT)
        panel = VGroup(label(f"{self.word}'s row", color=theme.MUTED), rows, total).arrange(DOWN, buff=0.3)
        PANEL.place(panel, fit=False)
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:
            a = min(max(t, 0.0), 1.0)  # scores (as shares of the largest) morph into weights (shares of one)
            if a in (0.0, 1.0):
                rows.set_values(weights[f] if a else scores[f], max_abs=1.0 if a else top)
            else:
                rows.set_values([s / top + (w - s / top) * a for s, w in zip(scores[f], weights[f])], printed=False,
                                max_abs=1.0)
            total.set_opacity(1.0 if t >= 1.0 else 0.0)
            heat.set_values(weights if t >= 1.5 else scores, value_range=(0.0, 1.0) if t >= 1.5 else None)
            heat.set_highlight(row=f)

        self.drive(clock, draw)
        self.play(FadeIn(panel), *self.set_heading("Softmax"), run_time=0.4)
        self.narrate("Softmax turns a row of scores into shares that add up to one.", clock, 1.0, 4.0)
        self.narrate("Every row of the matrix becomes weights.", clock, 2.0, 2.6)
        second = ranked[1]
        self.caption(f"{self.word} takes {self.top['weight']:.0%} from {who(self.top, f)}, but still "
                     f"{second['weight']:.0%} from {who(second, f)}.")
        self.poster_time = self.time + 1.0
        self.wait(1.0)
        self.stop_driving()

    def blend_beat(self) -> None:
        run, f = self.main, self.main["focus_index"]
        h0 = run["heads"][0]
        w, v, out = h0["weights"][f], h0["V"], h0["out"][f]
        self.fresh_stage()
        top = max(abs(x) for r in v for x in r)
        y_chip = STAGE.top - 0.4
        y_vec, y_out = y_chip - 1.7, STAGE.bottom + 0.9  # zero lines of the values and of the output
        cols, vecs = VGroup(), []
        for j, (tok, at) in enumerate(zip(run["tokens"], STAGE.row(len(run["tokens"])))):
            vec = VectorBars(v[j], max_abs=top, half_height=0.7, bar_width=0.3, fmt=two, show_values=False)
            vecs.append(vec.place_zero([at[0], y_vec, 0]))
            cols.add(TokenChip(tok).set_look(highlighted=j == f).place([at[0], y_chip, 0]),
                     mono(f"× {two(w[j])}", color=theme.HIGHLIGHT).move_to([at[0], y_chip - 0.6, 0]), vec)
        bars = VectorBars(out, max_abs=top, half_height=0.6, bar_width=0.34, fmt=two).place_zero([0, y_out, 0])
        result = VGroup(label(f"{self.word}'s output", color=theme.MUTED).next_to(bars, RIGHT, buff=0.4), bars)
        ends = [[0.3 * (j - (len(vecs) - 1) / 2), y_out + 0.95, 0] for j in range(len(vecs))]
        arrows = VGroup(*[Arrow([vec.zero_line.get_center()[0], y_vec - 0.75, 0], end, buff=0.05,
                                stroke_color=theme.ACCENT, stroke_width=2 + 14 * wj, max_tip_length_to_length_ratio=0.12)
                          for vec, wj, end in zip(vecs, w, ends)])
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:
            a = min(max(t, 0.0), 1.0)
            for vec, vj, wj in zip(vecs, v, w):
                vec.set_values([x * (1 - a + a * wj) for x in vj])
            arrows.set_opacity(min(max(t - 1.0, 0.0), 1.0))
            bars.grow(min(max((t - 1.0) / 0.7, 0.0), 1.0))

        self.drive(clock, draw)
        self.reveal(cols, arrows, result, heading="The weighted blend")
        self.caption("Each token's value vector is scaled by its weight...")
        self.wait(1.0)
        self.advance(clock, 1.0, 2.4)
        mostly = who(self.top, f)
        self.narrate(f"...and the scaled values add up to {self.word}'s new vector, most from {mostly}.", clock, 2.0, 4.0)
        self.caption("The weights here are random; training is what makes such patterns reliable.")
        self.wait(1.0)
        self.stop_driving()

    def context_beat(self) -> None:
        run, f = self.contrast, self.contrast["focus_index"]
        heat = self.heat(run, 0, "weights", value_range=(0.0, 1.0))
        MAIN.place(heat, fit=False)
        outs = self.s["focus_out"]
        runs = (("main", "first sentence"), ("contrast", "this one"), ("contrast_causal", "masked"))
        top = max(abs(x) for k, _ in runs for x in outs[k])
        sides = VGroup()
        for k, (key, name) in enumerate(runs):  # one row each: a title, then the bars on a shared zero column
            bars = VectorBars(outs[key], max_abs=top, half_height=0.4, bar_width=0.34, fmt=two)
            bars.place_zero(PANEL.point(0.68, 0.78 - 0.3 * k))
            sides.add(VGroup(label(name, color=theme.MUTED).next_to(bars.zero_line, LEFT, buff=0.4), bars))
        sides.add(label(f"{self.word}'s output", color=theme.MUTED).move_to(PANEL.point(0.5, 0.97)))
        n = len(run["tokens"])
        causal = self.causal["heads"][0]["weights"]
        masked = [[None if k > i else causal[i][k] for k in range(n)] for i in range(n)]
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:
            m = min(max(t - 1.0, 0.0), 1.0) * n  # rows masked so far
            heat.set_values([masked[i] if i < m else run["heads"][0]["weights"][i] for i in range(n)],
                            value_range=(0.0, 1.0))
            heat.set_highlight(row=f)
            for k, text in enumerate(heat.col_labels):
                text.set_opacity(theme.DIM_OPACITY if t >= 1.0 and k > f else 1.0)
            sides[2].set_opacity(1.0 if t >= 2.0 else 0.0)

        self.drive(clock, draw)
        self.reveal(heat, sides, heading="Another sentence")
        ranked = self.s["focus_ranked"]["contrast"][0]
        mostly = who(ranked[0], f)
        self.caption(f"New neighbours: now {self.word} takes most from {mostly}.")
        self.wait(1.4)
        self.narrate(f"Same input vector, different blend, different output for {self.word}.", clock, 0.99, 4.2)
        hidden = run["tokens"][f + 1:]
        visible = run["tokens"][:f + 1]
        options = list(dict.fromkeys([", ".join(visible), ", ".join(run["tokens"][f:]), ", ".join(run["tokens"])]))
        self.checkpoint(f"Generating left to right, which words may {self.word} attend to?", options, 0,
                        "A causal mask hides every word after the query, so only earlier words and itself remain.")
        what = f"cannot peek at {', '.join(hidden)}" if hidden else "sees everything before it"
        self.narrate(f"A causal mask hides later words: {self.word} {what}.", clock, 2.0, 5.0)
        row = [f"“{r['token']}” ({two(r['weight'])})" for r in self.s["focus_ranked"]["contrast_causal"][0]
               if r["weight"] > 0]
        kept = " and ".join([", ".join(row[:-1]), row[-1]] if len(row) > 1 else row)
        self.caption(f"Only {kept} remain{'s' if len(row) == 1 else ''}: another output again.")
        self.wait(1.2)
        self.caption("Attention alone cannot tell word order: real models add positions first.")
        self.wait(0.8)
        self.stop_driving()

    def multihead_beat(self) -> None:
        run, f, n = self.main, self.main["focus_index"], len(self.main["tokens"])
        cell = min(0.78, (STAGE.width - 1.2 - 0.4 * (self.n_heads - 1)) / (self.n_heads * n))
        printed = cell >= 0.72  # numbers only in the focus row, and only where they fit
        heads = [MatrixHeatmap(h["weights"], row_labels=run["tokens"] if k == 0 else (), value_range=(0.0, 1.0),
                               cell_width=cell, cell_height=0.34, fmt=two, show_values=printed)
                 for k, h in enumerate(run["heads"])]
        for m, h in zip(heads, run["heads"]):
            m.set_values(h["weights"], value_range=(0.0, 1.0), printed=[[i == f] * n for i in range(n)])
            m.set_highlight(row=f)
        titled = VGroup(*[VGroup(label(f"head {k}", color=theme.MUTED), m).arrange(DOWN, buff=0.15)
                          for k, m in enumerate(heads)]).arrange(RIGHT, buff=0.4)
        top, bottom = STAGE.cut_top(STAGE.height * 0.5, gap=0.1)
        top.place(titled, fit=False)
        concat, final = run["concat"][f], run["out"][f]
        most = max(abs(x) for x in [*concat, *final])
        pieces = VGroup(self.out_bars(concat, "the heads' outputs side by side", max_abs=most, half_height=0.7),
                        mono("× W_O →", font_size=theme.BODY_SIZE, color=theme.MUTED),
                        self.out_bars(final, f"{self.word}'s output", max_abs=most, half_height=0.7)).arrange(RIGHT, buff=0.5)
        bottom.place(pieces, fit=False)
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:
            pieces[0][1].grow(min(max(t / 0.7, 0.0), 1.0))
            pieces[2][1].grow(min(max((t - 1.0) / 0.4, 0.0), 1.0))

        self.drive(clock, draw)
        self.reveal(titled, pieces, heading="Several heads")
        if self.n_heads > 1:
            second = self.s["focus_ranked"]["main"][1][0]
            self.caption(f"A second head asks another question: its {self.word} row favours {who(second, f)}.")
        else:
            self.caption("With one head, its output goes straight on.")
        self.wait(1.2)
        self.narrate(f"Each head's {self.p['d_k']} numbers are laid side by side...", clock, 1.0, 3.0)
        self.narrate(f"...and mixed by W_O into {len(run['out'][f])} numbers for {self.word}.", clock, 2.0, 3.2)
        self.stop_driving()

    def takeaway_beat(self) -> None:
        self.fresh_stage()
        steps = ["vectors", "q · k scores", "softmax", "weighted blend"]
        strip = VGroup()
        for k, s in enumerate(steps):
            strip.add(label(s, font_size=theme.BODY_SIZE, weight="BOLD"))
            if k < len(steps) - 1:
                strip.add(mono("→", font_size=theme.BODY_SIZE, color=theme.HIGHLIGHT))
        strip.arrange(RIGHT, buff=0.35)
        STAGE.place(strip)
        self.caption("Attention is a learned weighted average, new for every sentence.")
        self.reveal(strip, heading="Takeaway")
        self.wait(2.6)
        self.caption(f"Same {self.word} in, a different vector out, chosen by its neighbours.")
        self.wait(1.0)
        self.finish()
