"""Backpropagation: one training step of a 2-2-2 sigmoid network, then many (storyboard: backpropagation.md).

The network graph stays on stage; each beat drives it from its own clock (forward sweep,
blame flowing back, the update, the loss curve). Every number shown is the trace's, rounded
only on screen; which output is featured (the one furthest from its target), whether the
hidden unit's two blames cancel or add, and how much the gradients shrink come from the
trace too, so other inputs, targets or a random start tell the same story with their numbers.
"""

from __future__ import annotations


from manim import DOWN, LEFT, RIGHT, UP, Arrow, FadeIn, FadeOut, ValueTracker, VGroup

from scenes.kit import BarChart, Counter, ExplainerScene, TableWidget, label, layout, mono, theme
from scenes.kit.curves import RevealCurve
from scenes.kit.matrix import EquationLine, distinct_digits, significant
from scenes.kit.netgraph import LayeredGraph
from scenes.kit.text import SwapText

__all__ = ["BackpropagationScene"]

UPPER, EQ_BAND = layout.STAGE.cut_top(4.1, gap=0.1)
NET_AREA, PANEL = UPPER.cut_right(theme.SIDE_PANEL_WIDTH, gap=theme.PANEL_GAP)
EQ_AT = EQ_BAND.point(0.5, 0.72)
NOTE_AT = EQ_BAND.point(0.5, 0.22)
MAX_EDGE_WIDTH = 12.0
MIN_EDGE_WIDTH = 1.5
SQUARED = chr(0x00B2)  #: the superscript-two sign (notation, not a number)


def num(x: float, digits: int = 3) -> str:
    """A trace number as shown: ``digits`` significant digits, trailing zeros dropped."""
    return significant(x, digits, trim=True)


def factor(x: float) -> str:
    """A number as a factor or a term after an operator: negatives in parentheses."""
    return num(x) if x >= 0 else f"({num(x)})"


class BackpropagationScene(ExplainerScene):
    """Forward pass, loss, the chain rule for an output and a hidden weight, the backward sweep, the update, repeat."""

    def setup(self) -> None:
        self.p, self.s = self.trace["params"], self.trace["summary"]
        self.step0 = self.trace["steps"][0]
        net = self.s["network"]
        sizes, neurons = net["layers"], net["neurons"]
        bounds = [sum(sizes[:k]) for k in range(len(sizes) + 1)]
        self.layers = [neurons[a:b] for a, b in zip(bounds, bounds[1:])]
        self.edges = [(e["name"], e["from"], e["to"]) for e in net["edges"]]
        self.inputs, self.outputs, self.hidden = self.layers[0], self.layers[-1], self.layers[1]
        gaps = [abs(g) for g in self.step0["dE_dout_o"]]
        self.k = gaps.index(max(gaps))  #: the featured output: furthest from its target
        self.out_name = self.outputs[self.k]
        self.h_name = self.hidden[0]
        self.w_out = next(n for n, a, b in self.edges if a == self.h_name and b == self.out_name)
        self.w_in = next(n for n, a, b in self.edges if a == self.inputs[0] and b == self.h_name)
        self.into_h = [next(n for n, a, b in self.edges if a == self.h_name and b == o) for o in self.outputs]

    # --- the stage -----------------------------------------------------------------------------------
    def build_graph(self) -> VGroup:
        self.graph = LayeredGraph(self.layers, self.edges, width=5.6, height=2.7, node_radius=0.47,
                                  label_size=theme.MIN_FONT_SIZE)
        self.targets = VGroup()
        for name, target in zip(self.outputs, self.p["targets"]):
            tag = VGroup(label("target", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED),
                         mono(num(target), font_size=theme.LABEL_SIZE + 2, color=theme.SUCCESS, weight="BOLD"))
            tag.arrange(DOWN, buff=0.06).next_to(self.graph.nodes[name], RIGHT, buff=0.35)
            self.targets.add(tag)
        gap = self.step0["dE_dout_o"][self.k]
        self.gap_tag = mono(f"off by {num(abs(gap))}", font_size=theme.LABEL_SIZE, color=theme.FAILURE)
        self.gap_tag.next_to(self.targets[self.k], DOWN if self.k == 0 else UP, buff=0.12).align_to(self.targets[self.k], LEFT)
        group = VGroup(self.graph, self.targets, self.gap_tag)
        NET_AREA.place(group)
        for name, x in zip(self.inputs, self.p["inputs"]):
            self.graph.set_value(name, num(x))
        self.equation = EquationLine([], slots=11, font_size=theme.LABEL_SIZE + 2).move_to(EQ_AT)
        self.note = SwapText("·", font_size=theme.LABEL_SIZE, monospace=False, color=theme.MUTED).move_to(NOTE_AT)
        self.note.set_opacity(0.0)
        return group

    def say(self, terms: list[str], highlight: int | None = None, note: str | None = None) -> None:
        """Replace the equation line (and the note under it)."""
        self.equation.set_terms(terms, highlight=highlight)
        if note:
            self.note.set_text(note)
            self.note.move_to(NOTE_AT).set_opacity(1.0)
        else:
            self.note.set_opacity(0.0)

    def label_weight(self, name: str, value: str | None, color: str = theme.TEXT) -> None:
        """``name = value`` over the edge (mid-way on a level edge, nearer the start on a crossing one)."""
        a, b = self.graph.edge_ends[name]
        level = abs(self.graph.node_center(a)[1] - self.graph.node_center(b)[1]) < 1e-6
        self.graph.set_edge_label(name, None if value is None else f"{name} = {value}", at=0.5 if level else 0.3,
                                  side=1.6, color=color)

    def factor_table(self, rows: list[list[str]]) -> TableWidget:
        """The factors of a gradient, one row each, in the side panel (rows revealed by the caller)."""
        table = TableWidget(["factor", "value"], rows, font_size=theme.MIN_FONT_SIZE, row_height=0.5)
        PANEL.place(table, align=UP, buff=0.2)
        return table

    def show_outputs(self, outs: list[float] | None) -> None:
        for name, value in zip(self.outputs, outs or [None] * len(self.outputs)):
            self.graph.set_value(name, None if value is None else num(value))

    # --- beats ---------------------------------------------------------------------------------------------
    def construct(self) -> None:
        self.chapter("One wrong answer")
        self.show_title_card(3.0)
        self.hook_beat()
        for title, beats in (("Forward pass and loss", (self.forward_beat, self.loss_beat)),
                             ("The chain rule", (self.output_weight_beat, self.hidden_weight_beat)),
                             ("One backward sweep", (self.sweep_beat, self.update_beat)),
                             ("Many small steps", (self.repeat_beat, self.takeaway_beat))):
            self.clear_caption()
            self.chapter(title)
            for beat in beats:
                beat()

    def hook_beat(self) -> None:
        s0, o = self.step0, self.out_name
        group = self.build_graph()
        clock = ValueTracker(0.0)
        names = list(self.graph.edges)

        def draw(t: float) -> None:
            self.show_outputs(s0["out_o"])
            for i, name in enumerate(names):  # a flicker that runs over the edges
                lit = t < 1.0 and (int(t * 14) + i) % 4 == 0
                self.graph.set_edge_style(name, color=theme.HIGHLIGHT if lit else theme.GRID)

        self.drive(clock, draw)
        self.graph.set_node_style(o, highlighted=True)
        self.reveal(group, self.equation, self.note)
        target = self.p["targets"][self.k]
        self.caption(f"Output {o} reads {num(s0['out_o'][self.k])}, but its target is {num(target)}.")
        self.wait(1.0)
        self.narrate(f"{len(names)} weights made that answer. Which one is to blame, and how much?", clock, 1.0)
        self.stop_driving()
        self.graph.set_node_style(o)
        self.caption("A tiny network learning a single example.")
        self.play(self.gap_tag.animate.set_opacity(0.0), run_time=0.4)
        self.show_outputs(None)
        for name in (self.w_in, self.w_out):
            self.label_weight(name, num(s0["weights"][name]))
        self.wait(1.6)
        i1, i2 = (num(x) for x in self.p["inputs"])
        t1, t2 = (num(x) for x in self.p["targets"])
        self.caption(f"Inputs {i1} and {i2} go in; we want {t1} and {t2} out.")
        self.wait(1.0)

    def forward_beat(self) -> None:
        s0, w = self.step0, self.step0["weights"]
        h, o = self.h_name, self.outputs[0]
        value = {**dict(zip(self.inputs, self.p["inputs"])), **dict(zip(self.hidden, s0["out_h"]))}
        net_h, net_o = ([f"{factor(w[e])}·{factor(value[a])}" for e, a, b in self.edges if b == node] for node in (h, o))
        b_h, b_o = (s0[name] for name in sorted(set(s0["grads"]) - set(w)))  # the biases, by layer
        lines = [
            [f"net_{h}", "=", net_h[0], "+", net_h[1], "+", factor(b_h), "=", num(s0["net_h"][0], 4)],
            [f"out_{h}", "=", f"σ({num(s0['net_h'][0], 4)})", "=", num(s0["out_h"][0])],
            [f"net_{o}", "=", net_o[0], "+", net_o[1], "+", factor(b_o), "=", num(s0["net_o"][0])],
            [f"out_{o}", "=", f"σ({num(s0['net_o'][0])})", "=", num(s0["out_o"][0])],
        ]
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:
            phase = min(int(t), 3)
            self.graph.sweep(min(t, 1.0) + min(max(t - 2.0, 0.0), 1.0))
            for name, value in zip(self.hidden, s0["out_h"]):
                self.graph.set_value(name, num(value) if t >= 1.0 else None)
            self.show_outputs(s0["out_o"] if t >= 3.0 else None)
            self.say(lines[phase], highlight=len(lines[phase]) - 1 if t - phase > 0.5 or t >= 4 else None,
                     note=("weighted sum plus bias", "squash with the sigmoid σ")[phase % 2])

        self.drive(clock, draw)
        self.narrate("Forward: each unit multiplies, adds, then squashes.", clock, 1.0, 4.4)
        self.narrate(f"{h} outputs {num(s0['out_h'][0])}; {self.hidden[1]} outputs {num(s0['out_h'][1])}.", clock, 2.0, 3.6)
        o1, o2 = (num(v) for v in s0["out_o"])
        self.narrate(f"Same again, layer by layer, to the outputs: {o1} and {o2}.", clock, 4.0, 5.4)
        self.stop_driving()

    def loss_beat(self) -> None:
        s0 = self.step0
        terms = [*s0["loss_terms"], s0["loss"]]
        names = [*self.outputs, "E"]
        self.checkpoint("Which output adds more to the loss?", list(self.outputs),
                        max(range(len(self.outputs)), key=lambda i: s0["loss_terms"][i]),
                        "Each term is half the squared gap to its target, so the bigger gap dominates.")
        chart = BarChart(names, terms, width=3.3, height=2.4, colors=[theme.MESSAGE] * len(self.outputs) + [theme.FAILURE])
        for value, text in zip(terms, chart.value_labels):  # three significant digits, not fixed decimals
            text.become(mono(num(value), font_size=theme.LABEL_SIZE, weight="BOLD").move_to(text, aligned_edge=DOWN))
        self.chart = block = VGroup(label("loss terms and E", color=theme.MUTED), chart).arrange(DOWN, buff=0.35)
        PANEL.place(block)
        pieces = [f"½({num(t)} − {num(v)}){SQUARED}" for t, v in zip(self.p["targets"], s0["out_o"])]
        self.say(["E", "=", pieces[0], "+", pieces[1], "=", num(s0["loss"])], highlight=6,
                 note="half the squared gap, summed over the outputs")
        self.caption("The loss E turns all that wrongness into one number.")
        self.play(FadeIn(block), run_time=theme.FADE_S)
        self.wait(1.2)
        a, b = (num(v) for v in s0["loss_terms"])
        self.caption(f"{a} + {b} = {num(s0['loss'])}: that is what training must shrink.")
        self.wait(1.0)
        self.caption("Squaring makes big misses count far more than small ones.")
        self.wait(0.6)

    def output_weight_beat(self) -> None:
        s0, w, o, h = self.step0, self.w_out, self.out_name, self.h_name
        f, g, delta = s0["chain"][w], s0["grads"][w], s0["delta_o"][self.k]
        terms = [f"∂E/∂{w}", "=", num(f[0]), "×", factor(f[1]), "×", factor(f[2]), "=", num(g)]
        passed = [f"δ_{o}", "=", num(f[0]), "×", num(f[1]), "=", num(delta)]
        notes = [f"how wrong: {o} − target", f"how sensitive: slope of σ at {o}",
                 f"how much {w} carried: {h}'s output", "the blame that falls on this weight",
                 f"{o}'s blame, passed back to the units feeding it"]
        table = self.factor_table([["how wrong", num(f[0])], ["how sensitive", num(f[1])],
                                   [f"{w} carried", num(f[2])], [f"∂E/∂{w}", num(g)]])
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:
            k = min(int(t), 4)
            self.say(passed if k == 4 else terms, highlight=6 if k == 4 else 2 + 2 * k, note=notes[k])
            self.graph.set_node_style(o, highlighted=k in (0, 1, 4))
            self.graph.set_node_style(h, highlighted=k == 2)
            self.graph.set_edge_style(w, color=theme.HIGHLIGHT if 2 <= k <= 3 else theme.GRID,
                                      width=6.0 if 2 <= k <= 3 else 3.0)
            self.gap_tag.set_opacity(1.0 if k == 0 else 0.0)
            for i in range(4):
                table.row(i).set_opacity(1.0 if i <= k else 0.0)

        self.play(FadeOut(self.chart), run_time=0.4)
        self.show_outputs(s0["out_o"])
        self.drive(clock, draw)
        self.play(FadeIn(table), run_time=0.4)
        self.caption(f"How much of the loss is {w}'s fault? Chain three factors.")
        self.wait(0.6)
        self.narrate(f"How wrong: {o} is {num(abs(f[0]))} {'above' if f[0] > 0 else 'below'} its target.", clock, 1.0)
        self.narrate(f"How sensitive: the sigmoid's slope at {o} is {num(f[1])}.", clock, 2.0)
        self.narrate(f"How much {w} carried: {h}'s output, {num(f[2])}.", clock, 3.0)
        self.poster_time = self.time + 0.5
        self.narrate(f"Multiplied: ∂E/∂{w} = {num(g)}.", clock, 3.9, 2.4)
        self.narrate(f"The first two, {num(f[0])} × {num(f[1])} = {num(delta)}, are {o}'s blame to pass back.",
                     clock, 4.5)
        self.stop_driving()
        self.graph.set_node_style(o)
        self.play(FadeOut(table), run_time=0.4)

    def hidden_weight_beat(self) -> None:
        s0, h, wi = self.step0, self.h_name, self.w_in
        g_out, g_in = s0["grads"][self.w_out], s0["grads"][wi]
        smaller = abs(g_in) < abs(g_out)
        self.checkpoint(f"{wi} sits a layer further back. Is its gradient bigger or smaller than {self.w_out}'s?",
                        ["bigger", "smaller", "the same"], int(smaller),
                        "On its way back the blame is multiplied by weights, a sigmoid slope (at most a quarter) "
                        "and the input" + (", which shrink it here." if smaller else "; here they do not shrink it."))
        d, ws = s0["delta_o"], [s0["weights"][e] for e in self.into_h]
        sums = [f"{factor(dk)}·{factor(wk)}" for dk, wk in zip(d, ws)]
        first = [f"∂E/∂out_{h}", "=", sums[0], "+", sums[1], "=", num(s0["dE_dout_h"][0])]
        f = s0["chain"][wi]
        second = [f"∂E/∂{wi}", "=", num(f[0]), "×", factor(f[1]), "×", factor(f[2]), "=", num(g_in)]
        table = self.factor_table([[f"blame at {h}", num(f[0])], [f"{h}'s slope", num(f[1])],
                                   [f"{wi} carried", num(f[2])], [f"∂E/∂{wi}", num(g_in)]])
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:
            shown = 0 if t < 1.0 else 1 if t < 2.5 else 4 if t >= 2.9 else 3
            for i in range(4):
                table.row(i).set_opacity(1.0 if i < shown else 0.0)
            back = min(t, 1.0) + (min(t - 2.0, 1.0) if t > 2.0 else 0.0)
            self.graph.sweep(back, backward=True, edges=[*self.into_h, wi])
            self.graph.set_node_style(h, highlighted=1.0 <= t < 2.0)
            if t < 2.0:
                self.say(first, highlight=6 if t >= 1.0 else None, note=f"blame arriving at {h} from every output it feeds")
            else:
                self.say(second, highlight=8 if t >= 2.9 else None, note=f"× {h}'s slope × its input")

        self.drive(clock, draw)
        self.play(FadeIn(table), run_time=0.4)
        agree = d[0] * ws[0] * d[1] * ws[1] > 0
        self.narrate(f"{h} feeds both outputs, so blame flows back from both.", clock, 1.0, 3.6)
        self.narrate(f"Each blame times its weight, summed: {num(s0['dE_dout_h'][0])}; the two "
                     + ("add up." if agree else "partly cancel."), clock, 1.6)
        w_old = s0["weights"][self.w_out]
        self.narrate(f"All with the old weights: {self.w_out} is still {num(w_old)} here.", clock, 2.0)
        self.narrate(f"Times {h}'s slope and the input: ∂E/∂{wi} = {num(g_in)}.", clock, 3.0, 3.6)
        self.stop_driving()
        self.graph.set_node_style(h)
        self.play(FadeOut(table), run_time=0.4)

    def sweep_beat(self) -> None:
        grads = self.step0["grads"]
        top = max(abs(grads[n]) for n in self.graph.edges) or 1.0
        order = sorted(self.graph.edges, key=lambda n: -self.graph.layer_of[self.graph.edge_ends[n][0]])
        rows = [[n, num(grads[n])] for n in order]
        table = TableWidget(["weight", "gradient"], rows, font_size=theme.LABEL_SIZE, row_height=0.42)
        PANEL.place(table, align=UP)
        clock = ValueTracker(0.0)
        last = len(self.layers) - 1

        def draw(t: float) -> None:
            reached = self.graph.sweep(t, backward=True)
            for n, (a, b) in self.graph.edge_ends.items():
                done = b in reached and a in reached
                width = MIN_EDGE_WIDTH + (MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * abs(grads[n]) / top
                self.graph.set_edge_style(n, color=theme.ACCENT if done else theme.GRID, width=width if done else 3.0)
            for i, n in enumerate(order):
                a, b = self.graph.edge_ends[n]
                table.row(i).set_opacity(1.0 if a in reached else 0.15)
            self.say([], note=None)

        for n in (self.w_in, self.w_out):
            self.label_weight(n, None)
        self.drive(clock, draw)
        self.play(FadeIn(table), run_time=theme.FADE_S)
        outer = [abs(grads[n]) for n in self.graph.edges_between(last - 1)]
        inner = [abs(grads[n]) for n in self.graph.edges_between(0)]
        self.narrate(f"One backward sweep prices all {len(rows)} weights at once.", clock, float(last), 4.0)
        shrink = self.s["grad_shrink"]
        if shrink and min(outer) > max(inner):
            self.caption(f"Thickness is blame: it shrinks {shrink[0]:.0f}–{shrink[1]:.0f}× on its way back.")
        else:
            self.caption(f"Thickness is blame: from {num(min(inner + outer))} to {num(max(inner + outer))}.")
        self.wait(1.5)
        self.caption("No weight was nudged and measured again: one pass did it all.")
        self.wait(0.5)
        self.stop_driving()
        self.table = table

    def update_beat(self) -> None:
        s0, lr = self.step0, self.p["learning_rate"]
        loss_after = self.s["loss_curve"][1]
        counter = Counter("loss E", s0["loss"], decimals=3, font_size=theme.HEADING_SIZE)
        self.clear_caption()
        self.play(FadeOut(self.table), run_time=0.4)
        PANEL.place(counter)
        shown = {}
        for n in (self.w_out, self.w_in):
            before, after = s0["weights"][n], s0["weights_after"][n]
            shown[n] = (num(before, distinct_digits([before, after])), num(after, distinct_digits([before, after])))
        w, g = self.w_out, s0["grads"][self.w_out]
        step = [f"{w} ←", shown[w][0], "−", num(lr), "×", factor(g), "=", shown[w][1]]
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:
            moved = t >= 0.5
            for n, (before, after) in shown.items():
                self.label_weight(n, after if moved else before, theme.HIGHLIGHT if moved else theme.TEXT)
            flash = 0.4 <= t < 0.7
            for n in self.graph.edges:
                self.graph.set_pulse(n, min(max((t - 0.4) / 0.3, 0.0), 1.0) if flash else None)
            self.say(step, highlight=7 if moved else None, note=f"every weight steps against its gradient, rate {num(lr)}")
            counter.set_value(loss_after if t >= 0.92 else s0["loss"])

        self.drive(clock, draw)
        self.play(FadeIn(counter), run_time=0.4)
        values = [s0["weights"][w] - lr * g, s0["weights"][w] + lr * g, s0["weights"][w] - g]
        options = [num(v, distinct_digits(values)) for v in values]
        self.checkpoint(f"{w} = {shown[w][0]}, its gradient is {num(g)} and the rate {num(lr)}. What is {w} next?",
                        options, 0, "The step goes against the gradient, scaled by the learning rate.")
        self.narrate(f"Step against the gradient: {shown[w][0]} − {num(lr)} × {factor(g)} = {shown[w][1]}.", clock, 0.5)
        self.narrate(f"All weights move together, {self.w_in} too: {shown[self.w_in][0]} → {shown[self.w_in][1]}.",
                     clock, 0.9)
        self.narrate(f"The loss falls only from {num(s0['loss'])} to {num(loss_after)}.", clock, 1.0)
        self.stop_driving()
        self.counter = counter

    def repeat_beat(self) -> None:
        losses, outs, steps = self.s["loss_curve"], self.s["out_curve"], self.p["steps"]
        curve = RevealCurve(losses, width=2.8, height=2.4, log_y=True, marks=[0, steps], fmt=num,
                            x_label="step", y_label="loss (log scale)")
        if curve.width > PANEL.width - 0.2:  # long mark labels: a narrower plot, never a scaled-down readout
            curve = RevealCurve(losses, width=2.8 - (curve.width - PANEL.width + 0.2), height=2.4, log_y=True,
                                marks=[0, steps], fmt=num, x_label="step", y_label="loss (log scale)")
        PANEL.place(curve, fit=False)
        clock = ValueTracker(0.0)
        for n in self.graph.edges:
            self.graph.set_edge_label(n, None).set_edge_style(n, color=theme.GRID, width=3.0)
        for n in self.hidden:
            self.graph.set_value(n, None)

        def draw(t: float) -> None:
            curve.show_until(t)
            self.show_outputs(outs[int(round(t))])
            self.say([], note=None)

        self.say([])
        self.play(FadeOut(self.counter), run_time=0.4)
        self.drive(clock, draw)
        self.play(FadeIn(curve), run_time=theme.FADE_S)
        early = min(10, steps)
        self.narrate("One step helps only a little, so do it again, and again.", clock, early, 3.0)
        self.narrate(f"After {steps} steps the loss is down to {num(losses[-1])}.", clock, steps, 5.0)
        o = [num(v) for v in self.s["out_last"]]
        t = [num(v) for v in self.p["targets"]]
        self.caption(f"The outputs now read {o[0]} and {o[1]} (targets {t[0]} and {t[1]}).")
        self.wait(1.0)
        self.stop_driving()

    def takeaway_beat(self) -> None:
        self.clear_caption()
        self.clear_stage()
        words = ["forward", "loss", "backward", "update"]
        points = layout.STAGE.inset(2.5, 0.6).ring(len(words), start_deg=90)
        boxes = VGroup(*[label(wd, font_size=theme.BODY_SIZE + 4, weight="BOLD").move_to(p) for wd, p in zip(words, points)])
        arrows = VGroup(*[Arrow(boxes[i].get_center(), boxes[(i + 1) % 4].get_center(), buff=0.55,
                                stroke_color=theme.GRID, stroke_width=4) for i in range(4)])
        clock = ValueTracker(0.0)

        def draw(t: float) -> None:
            for i, (box, arrow) in enumerate(zip(boxes, arrows)):
                box.set_color(theme.HIGHLIGHT if i == int(t) % 4 else theme.TEXT)
                arrow.set_color(theme.HIGHLIGHT if i == int(t) % 4 else theme.GRID)

        self.drive(clock, draw)
        self.reveal(boxes, arrows, heading="Takeaway")
        self.narrate("Forward, loss, backward, update: then around again.", clock, 3.99, 3.4)
        self.caption("The chain rule turns one error into a nudge for every weight.")
        self.wait(1.0)
        self.stop_driving()
        self.finish()
