"""Tokenization & Embeddings: byte-pair merges learned by counting, then ids swapped for table rows
(storyboard: tokenization-embeddings.md).

The corpus words are token rows that fuse in place as a merge clock runs over the trace's merge
steps; the pair counts, the vocabulary strip and the token total follow the same clock. The merge
shown in detail is the first, the tie is whichever merge the trace marks as tied (or none), and
the encoded word, the looked-up rows and the neighbours are the trace's, so another corpus, word
or seed tells the same story with its own numbers.
"""

from __future__ import annotations

from typing import Any

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, ValueTracker, VGroup

from scenes.kit import Counter, ExplainerScene, label, layout, mono, theme
from scenes.kit.matrix import BarRows, EquationLine, MatrixHeatmap, VectorBars, significant
from scenes.kit.tokens import TokenRow, TokenShelf

__all__ = ["TokenizationEmbeddingsScene"]

STAGE = layout.STAGE
UPPER, LOWER = STAGE.cut_top(3.3, gap=0.2)
WORDS, PAIRS = UPPER.cut_right(5.2, gap=0.3)
SHELF, TOTALS = LOWER.cut_right(3.2, gap=0.3)
QUICK_MERGES_S = 12.0  #: video seconds shared by every merge after the first (the tie included)


def num(x: float) -> str:
    return significant(x, 3, trim=True)


def pair(row: dict[str, Any]) -> str:
    return f"{row['left']} + {row['right']}"


class TokenizationEmbeddingsScene(ExplainerScene):
    """The corpus split into letters, the merges with their counts and a tie, encoding, lookup, neighbours."""

    def setup(self) -> None:
        self.p, self.s = self.trace["params"], self.trace["summary"]
        steps = self.trace["steps"]
        self.split = steps[0]
        self.merges = [st for st in steps if st["event"] == "merge"]
        self.encode, self.lookup, self.near = (next(st for st in steps if st["event"] == e)
                                               for e in ("encode", "lookup", "neighbours"))
        self.vocab = self.s["vocab"]
        self.ids = {tok: i for i, tok in enumerate(self.vocab)}
        self.alphabet = len(self.split["vocab"])
        self.totals = self.s["total_tokens"]
        if not self.merges:
            raise ValueError("this storyboard needs a trace with at least one merge (a positive max_merges)")

    # --- helpers -----------------------------------------------------------------------------------------
    def fresh_stage(self) -> None:
        self.clear_caption()
        self.clear_stage()

    def word_rows(self, stages_of: list[list[list[str]]], badges: list[str], region: Any, *, ids: bool = False
                  ) -> list[TokenRow]:
        """One TokenRow per word, left-aligned in ``region``, top to bottom."""
        rows = [TokenRow(stages, badge=badge, ids=self.ids if ids else None) for stages, badge in zip(stages_of, badges)]
        width = max(r.width for r in rows)
        for row, at in zip(rows, region.column(len(rows))):
            row.shift([region.center[0] - width / 2 - row.anchor.get_center()[0], at[1] - row.anchor.get_center()[1], 0])
        return rows

    def pair_chart(self, merge: dict[str, Any]) -> VGroup:
        """The pair counts before ``merge`` (at most six), the chosen pair marked."""
        rows = merge["pair_counts"][:6]
        chart = BarRows([pair(r) for r in rows], [r["count"] for r in rows], max_abs=self.merges[0]["chosen"]["count"],
                        length=2.2, fmt=lambda v: f"{v:.0f}", color=theme.NODE)
        chart.set_values([r["count"] for r in rows],
                         colors=[theme.HIGHLIGHT if i == 0 else theme.NODE for i in range(len(rows))])
        mark = label("← merge", color=theme.HIGHLIGHT).next_to(chart.texts[0], RIGHT, buff=0.15)
        title = label(f"pair counts before merge {merge['merge_index']}", color=theme.MUTED)
        group = VGroup(title, VGroup(chart, mark)).arrange(DOWN, buff=0.25, aligned_edge=LEFT)
        return PAIRS.place(group, fit=False)

    def vocab_size(self, m: float) -> float:
        """Vocabulary entries shown at merge clock ``m`` (the next new token fading in)."""
        whole = int(m)
        count = self.alphabet + sum(1 for r in self.merges[:whole] if r["chosen"]["new_id"])
        if whole < len(self.merges) and self.merges[whole]["chosen"]["new_id"]:
            count += m - whole
        return count

    # --- beats ---------------------------------------------------------------------------------------------
    def construct(self) -> None:
        self.chapter("Letters to ids")
        self.show_title_card(3.0)
        self.hook_beat()
        self.fresh_stage()
        self.corpus_beat()
        self.clear_caption()
        self.chapter("Counting pairs")
        self.merge_beats()
        self.fresh_stage()
        self.chapter("Encoding a new word")
        self.encode_beat()
        self.fresh_stage()
        self.chapter("From ids to vectors")
        self.lookup_beat()
        self.neighbours_beat()
        self.takeaway_beat()

    def hook_beat(self) -> None:
        enc = self.encode
        rows = VGroup(*[TokenRow([st[-1], [w]], ids=self.ids, gap=0.45, font_size=theme.HEADING_SIZE, chip_height=0.8)
                        for st, w in zip(enc["stages"], enc["words"])])
        rows.arrange(RIGHT, buff=0.9).move_to(STAGE.point(0.5, 0.75))
        chips = [c for r in rows for c in r.visible_chips()]
        top = max(abs(v) for r in self.lookup["rows"] for v in r)
        bars = [VectorBars(v, max_abs=top, half_height=0.8, bar_width=0.16, show_values=False)
                .place_zero([c.get_center()[0], STAGE.point(0.5, 0.3)[1], 0]) for c, v in zip(chips, self.lookup["rows"])]
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:  # [0, 1] the word splits, [1, 1.6] pieces flip to ids, [1.6, 2.4] vectors grow
            for r in rows:
                r.show(1.0 - min(t, 1.0))
                r.flip(min(max((t - 1.0) / 0.6, 0.0), 1.0))
            for b in bars:
                b.grow(min(max((t - 1.6) / 0.8, 0.0), 1.0))
                b.zero_line.set_stroke(opacity=1.0 if t >= 1.6 else 0.0)

        self.drive(clock, draw)
        self.reveal(rows, *bars)
        self.narrate(f"A model never sees the letters of “{enc['text']}”.", clock, 1.0, 2.6)
        ids = ", ".join(str(i) for i in enc["ids"])
        self.narrate(f"It sees pieces, then ids ({ids}), then rows of numbers.", clock, 2.4, 3.4)
        self.stop_driving()

    def corpus_beat(self) -> None:
        words = self.split["splits"]
        stages = [[["".join(w)], w, *[m["splits"][k] for m in self.merges]] for k, w in enumerate(words)]
        self.rows = self.word_rows(stages, [f"×{c}" for c in self.split["counts"]], WORDS)
        self.shelf = TokenShelf(self.vocab, list(range(len(self.vocab))), per_row=10)
        SHELF.place(self.shelf, align=UP + LEFT, fit=False)
        self.total = Counter("tokens in the corpus", self.totals[0], font_size=theme.HEADING_SIZE)
        TOTALS.place(self.total, fit=False)
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:  # [0, 1]: the words break into letters; 1 + m: after merge m
            for row in self.rows:
                row.show(t)
            self.shelf.show_count(self.alphabet * t if t < 1.0 else self.vocab_size(t - 1.0))
            self.total.set_value(self.totals[int(max(t - 1.0, 0.0))])

        self.drive(clock, draw)
        self.merge_clock = clock
        self.reveal(*self.rows, self.shelf, self.total, heading="A corpus of counted words")
        self.caption(f"Training text: {len(words)} words, each with its count.")
        self.wait(1.0)
        self.narrate("Start from single characters.", clock, 1.0, 2.4)
        self.caption(f"The first vocabulary: the {self.alphabet - 1} letters and {self.vocab[0]}, ids "
                     f"{self.ids[self.vocab[0]]} to {self.alphabet - 1}.")
        self.wait(1.0)

    def merge_beats(self) -> None:
        clock, first = self.merge_clock, self.merges[0]
        chart = self.pair_chart(first)
        self.play(FadeIn(chart), *self.set_heading("Count pairs, merge the most frequent"), run_time=0.5)
        self.caption("Count every pair of neighbours, weighted by the word counts.")
        self.wait(1.2)
        tie = next((m for m in self.merges if m["tied"]), None)
        c = first["chosen"]
        if tie is first:
            self.tie_beat(first, 1)
        elif tie is not None:  # the tie gets the chapter's question later
            self.narrate(f"{pair(c)} wins with {c['count']}: it becomes {c['token']}, id {c['id']}.", clock, 2.0, 3.4)
        else:
            top = [pair(r) for r in first["pair_counts"][:3]]
            self.checkpoint("Which pair becomes the first new token?", top, 0,
                            f"It occurs {c['count']} times, more than any other pair.")
            self.narrate(f"{pair(c)} wins with {c['count']}: it becomes {c['token']}, id {c['id']}.", clock, 2.0, 3.4)
        self.caption(f"The corpus shrinks from {self.totals[0]} to {self.totals[1]} tokens.")
        self.wait(1.2)
        rest = self.merges[1:]
        seconds = QUICK_MERGES_S / max(len(rest), 1)
        for k, merge in enumerate(rest, start=2):
            new = self.pair_chart(merge)
            self.play(FadeOut(chart), FadeIn(new), run_time=min(0.5, seconds / 3))
            chart = new
            if merge is tie:
                self.tie_beat(merge, k)
                continue
            if k == 2:
                self.caption("Repeat: count again, merge the winner. Counts decide, not meaning.")
            elif k == 2 + len(rest) // 2 and len(rest) >= 3:
                self.caption("Each merge adds one token and makes the corpus shorter.")
            self.advance(clock, 1.0 + k, max(seconds * 2 / 3, 0.6))
        self.play(FadeOut(chart), run_time=0.4)
        reason = "no pair is left" if self.s["stop_reason"] == "no_pairs" else f"the limit of {self.p['max_merges']}"
        self.caption(f"{len(self.merges)} merges ({reason}): {self.totals[-1]} tokens, a vocabulary of "
                     f"{self.s['vocab_size']}.")
        self.wait(1.6)

    def tie_beat(self, merge: dict[str, Any], k: int) -> None:
        c, other = merge["chosen"], merge["tied"][0]
        self.checkpoint(f"{pair(c)} and {pair(other)} both occur {c['count']} times. Which is merged first?",
                        [pair(c), pair(other)], 0,
                        "Ties go to the smaller (left id, right id) pair: a fixed rule, so every run agrees.")
        line = EquationLine([f"({c['left_id']}, {c['right_id']})", "<", f"({other['left_id']}, {other['right_id']})"],
                            font_size=theme.BODY_SIZE).move_to(TOTALS.point(0.5, 0.92))
        self.caption(f"A tie at {c['count']}: {pair(c)} against {pair(other)}.")
        self.play(FadeIn(line), run_time=0.4)
        self.wait(0.8)
        self.caption(f"A fixed rule decides: smaller ids first, ({c['left_id']}, {c['right_id']}) before "
                     f"({other['left_id']}, {other['right_id']}).")
        self.advance(self.merge_clock, 1.0 + k, 2.4)
        self.play(FadeOut(line), run_time=0.3)

    def encode_beat(self) -> None:
        enc, aside = self.encode, self.encode["aside"]
        stages, word, applied = enc["stages"][0], enc["words"][0], enc["applied"][0]
        row = TokenRow(stages, ids=self.ids, gap=0.25, font_size=theme.BODY_SIZE + 4, chip_height=0.72)
        row.shift(WORDS.point(0.5, 0.75) - row.anchor.get_center() - RIGHT * row.width / 2)
        cols = 1 + (len(self.s["merges"]) - 1) // 8
        merge_list = VGroup(*[mono(f"{k}. {a} + {b}", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
                              for k, (a, b) in enumerate(self.s["merges"], 1)])
        merge_list.arrange_in_grid(cols=cols, col_alignments="l" * cols, flow_order="dr", buff=(0.4, 0.1))
        listing = VGroup(label("learned merges, in order", color=theme.MUTED), merge_list).arrange(DOWN, buff=0.2,
                                                                                                      aligned_edge=LEFT)
        PAIRS.place(listing, fit=False)
        decoded = mono(f"decode → {enc['decoded']}", font_size=theme.BODY_SIZE, color=theme.SUCCESS)
        decoded.move_to(WORDS.point(0.5, 0.3))
        aside_row = TokenRow(aside["stages"][0], ids=self.ids, gap=0.25, font_size=theme.BODY_SIZE, chip_height=0.66)
        aside_row.shift(LOWER.point(0.3, 0.55) - aside_row.anchor.get_center() - RIGHT * aside_row.width / 2)
        last, a_last = len(stages) - 1, len(aside["stages"][0]) - 1
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:  # [0, last] merges fire, +0.5 ids, +1 decode, then the aside word
            row.show(min(t, last))
            firing = applied[int(t)] if t < last else None
            for k, text in enumerate(merge_list, 1):
                text.set_color(theme.HIGHLIGHT if k == firing else theme.MUTED)
            row.show_ids(1.0 if t >= last + 0.5 else 0.0)
            decoded.set_opacity(1.0 if t >= last + 1.0 else 0.0)
            aside_row.fade(1.0 if t >= last + 1.5 else 0.0).show(min(max(t - last - 1.5, 0.0), a_last))
            aside_row.show_ids(1.0 if t >= last + 1.5 + a_last else 0.0)

        self.drive(clock, draw)
        self.reveal(row, listing, decoded, aside_row, heading="Encode a new word")
        self.caption(f"A word never seen in training: “{word}”. Start from its letters.")
        self.wait(0.8)
        used = ", ".join(f"{a} + {b}" for a, b in (self.s["merges"][k - 1] for k in applied))
        self.narrate(f"Apply the learned merges in order: {len(applied)} of {len(self.merges)} fit here"
                     + (f", {used}." if used else "."), clock, float(last), 3.0)
        ids = ", ".join(str(i) for i in enc["ids"])
        mine = ", ".join(str(i) for i, w in zip(enc["ids"], enc["word_of_token"]) if w == 0)
        self.checkpoint(f"Which ids does “{word}” get?", list(dict.fromkeys(
            [mine, ", ".join(str(self.ids.get(c, 0)) for c in word), str(self.ids.get(word, 0))])), 0,
            "Each learned piece keeps the id it got when it was created; letters alone would give more ids.")
        self.narrate(f"{' · '.join(stages[-1])}: ids {ids}; decoding gives back “{enc['decoded']}”.", clock, last + 1.0)
        a_ids = ", ".join(str(i) for i in aside["ids"])
        self.narrate(f"Even “{aside['text']}” works: unknown letters become {self.vocab[0]} ({a_ids}).",
                     clock, last + 1.5 + a_last)
        self.stop_driving()

    def lookup_beat(self) -> None:
        lk = self.lookup
        n = min(len(lk["ids"]), 3)
        heat = MatrixHeatmap(lk["table"], row_labels=[f"{i} {t}" for i, t in enumerate(self.vocab)], show_values=False,
                             cell_width=0.7, cell_height=min(0.3, (STAGE.height - 0.3) / len(self.vocab)))
        STAGE.place(heat, align=LEFT, fit=False)
        top = max(abs(v) for r in lk["rows"] for v in r)
        shown = VGroup()
        for tok, i, vals in list(zip(lk["tokens"], lk["ids"], lk["rows"]))[:n]:
            bars = VectorBars(vals, max_abs=top, half_height=0.42, bar_width=0.3, fmt=num)
            shown.add(VGroup(mono(f"{tok} = row {i}", color=theme.HIGHLIGHT), bars).arrange(RIGHT, buff=0.4))
        shown.arrange(DOWN, buff=0.25, aligned_edge=LEFT)
        layout.Region(heat.get_right()[0] + 0.6, STAGE.right, STAGE.bottom, STAGE.top).place(shown, fit=False)
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:
            k = min(int(t), n - 1)
            heat.set_highlight(row=lk["ids"][k])
            for j, item in enumerate(shown):
                item[1].grow(min(max(t - j, 0.0), 1.0))
                item[0].set_opacity(1.0 if t >= j else 0.0)

        self.drive(clock, draw)
        self.reveal(heat, shown, heading="Embedding lookup")
        self.caption(f"The embedding table: one row of {self.p['d_embed']} numbers per id.")
        self.wait(1.2)
        ids = ", ".join(str(i) for i in lk["ids"][:n])
        self.narrate(f"An id is just a row number: rows {ids} slide out.", clock, float(n), 4.0)
        self.poster_time = self.time - 1.0
        self.caption("The rows start random; training will move them.")
        self.wait(1.0)
        self.stop_driving()
        self.clear_caption()
        self.play(FadeOut(shown), run_time=0.4)
        self.lookup_heat = heat

    def neighbours_beat(self) -> None:
        nb = self.near
        entries = list({e["id"]: e for e in [*nb["top"], *nb["related"], nb["bottom"]] if e}.values())
        rows = BarRows([e["token"] for e in entries], [e["cosine"] for e in entries], max_abs=1.0, length=1.6,
                       signed=True, fmt=lambda v: f"{v:.2f}".replace("-", "−"))
        tags = VGroup(*[label("contains " + nb["query"], color=theme.ACCENT).next_to(rows, RIGHT, buff=0.3)
                        .set_y(rows.texts[k].get_center()[1]) for k, e in enumerate(entries) if nb["query"] in e["token"]])
        title = label(f"cosine with “{nb['query']}”", color=theme.MUTED)
        panel = VGroup(title, VGroup(rows, tags)).arrange(DOWN, buff=0.3)
        layout.Region(self.lookup_heat.get_right()[0] + 0.6, STAGE.right, STAGE.bottom, STAGE.top).place(panel, fit=False)
        best = nb["top"][0]
        options = list(dict.fromkeys([best["token"], *[r["token"] for r in nb["related"]][:1], nb["bottom"]["token"]]))
        self.checkpoint(f"Which token's vector is nearest to “{nb['query']}”?", options, 0,
                        "Untrained rows are random: nearness says nothing yet about meaning.")
        self.play(FadeIn(panel), *self.set_heading("Nearest neighbours"), run_time=0.5)
        self.lookup_heat.set_highlight(row=nb["query_id"])
        self.caption(f"Compare “{nb['query']}” with every row by cosine: nearest is “{best['token']}”, {best['cosine']:.2f}.")
        self.wait(1.2)
        related = nb["related"]
        if related:
            r = related[0]
            how = "points away" if r["cosine"] < 0 else f"ranks only {r['rank']}"
            self.caption(f"“{r['token']}” contains “{nb['query']}”, yet it {how}.")
            self.wait(1.0)
        self.caption("Untrained: the neighbours are noise until training moves them.")
        self.wait(1.0)

    def takeaway_beat(self) -> None:
        self.fresh_stage()
        enc, lk = self.encode, self.lookup
        stops = [("text", f"“{enc['text']}”"), ("pieces", " · ".join(enc["tokens"])),
                 ("ids", ", ".join(str(i) for i in enc["ids"])), ("vectors", f"{len(lk['rows'])} × {self.p['d_embed']} numbers")]
        strip = VGroup()
        for k, (name, example) in enumerate(stops):
            strip.add(VGroup(label(name, font_size=theme.BODY_SIZE, weight="BOLD"),
                             mono(example, color=theme.HIGHLIGHT)).arrange(DOWN, buff=0.25))
            if k < len(stops) - 1:
                strip.add(mono("→", font_size=theme.BODY_SIZE, color=theme.MUTED))
        strip.arrange(RIGHT, buff=0.4)
        STAGE.place(strip)
        self.caption("Counting builds the tokens; training gives the vectors meaning.")
        self.reveal(strip, heading="Takeaway")
        self.wait(2.4)
        self.finish()
