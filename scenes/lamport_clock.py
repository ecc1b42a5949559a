"""Lamport Clock: wall clocks misorder a request; one counter per process never puts an effect before
its cause, yet cannot tell related events from unrelated ones (storyboard: lamport-clock.md).

The stage is a space-time diagram (:class:`~scenes.kit.sequence.SequenceDiagram`): one lane per
process over real time, events as dots, messages as arrows that grow while they travel. Everything
on it is a pure function of one clock in simulated seconds (:meth:`LamportClockScene.draw`), plus
a path tracker for the glowing chain and a fly tracker for the total order. The beats are picked
from the trace's highlights (the skew pair, the longest chain, the widest concurrent pair) and from
its events (the receive whose stamp jumps furthest, the tied stamps).
"""

from __future__ import annotations

import bisect
from itertools import groupby
from typing import Any

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Circle, FadeIn, FadeOut, Line, RoundedRectangle, SurroundingRectangle,
                   ValueTracker, VGroup, linear, rate_functions)

from scenes.kit import Counter, ExplainerScene, Legend, SwapText, TableWidget, label, layout, mono, theme
from scenes.kit.clockbadge import ClockBadge
from scenes.kit.sequence import MessageKind, SeqEvent, SeqMessage, SequenceDiagram, TimeWarp

__all__ = ["LamportClockScene"]

DIAGRAM = layout.MAIN
PANEL = layout.SIDE_PANEL
NAME_ROOM = 2.35  #: lane name and its clock badge, left of the time axis
LEGEND_AT = PANEL.point(0.5, 0.88)
RULE_AT = PANEL.point(0.5, 0.52)
COUNT_AT = PANEL.point(0.5, 0.18)
ORDER = DIAGRAM.inset(0.2, 0.9)  #: where the total order's chips line up
CHIPS_PER_ROW = 10
MIN_GAP = 0.6  #: slots: two events on one lane are drawn at least this far apart in time
KINDS = {"message": MessageKind(theme.MESSAGE)}
VERBS = {"local": "local event", "send": "sends", "recv": "receives"}
TICK = 1  #: what Lamport's rules add to a counter at every event


class LamportClockScene(ExplainerScene):
    """Wall clocks, the happened-before relation, the two clock rules, their promise and its limit."""

    # --- reading the trace ------------------------------------------------------------------
    def setup(self) -> None:
        tr = self.trace
        self.n, self.events, self.msgs = tr["params"]["n_procs"], tr["events"], tr["messages"]
        self.by_id, self.index = {e["id"]: e for e in self.events}, {e["id"]: i for i, e in enumerate(self.events)}
        self.summary, self.hl = tr["summary"], tr["highlight"]
        if not self.hl["chain"] or self.hl["concurrent_pair"] is None:
            raise ValueError("this storyboard needs a run with a causal chain and a concurrent pair")
        self.disp = TimeWarp([(e["proc"], e["real_t"]) for e in self.events], min_gap=tr["params"]["slot_s"] * MIN_GAP)
        self.step_t = [self.disp(s["t"]) for s in tr["steps"]]
        self.t_end = self.disp(max(e["real_t"] for e in self.events)) + tr["params"]["slot_s"] * 0.6
        self.poster_time = None

    def step_at(self, t: float) -> dict[str, Any] | None:
        i = bisect.bisect_right(self.step_t, t + 1e-9) - 1
        return self.trace["steps"][i] if i >= 0 else None

    def jump_receive(self) -> dict[str, Any]:
        """The first receive whose carried stamp is ahead of the receiver's counter (else the one closest to it)."""
        recvs = [e for e in self.events if e["kind"] == "recv"]
        return next((e for e in recvs if e["msg_ts"] > e["lamport_prev"]),
                    max(recvs, key=lambda e: (e["msg_ts"] - e["lamport_prev"], -e["real_t"])))

    def tie(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Two events on different processes with the same stamp: preferably the later-process one earlier
        in real time, then the highest stamp; returned as (lower process, higher process)."""
        pairs = [(a, b) for a in self.events for b in self.events
                 if a["lamport"] == b["lamport"] and a["proc"] < b["proc"]]
        return max(pairs, key=lambda ab: (ab[1]["real_t"] < ab[0]["real_t"], ab[0]["lamport"],
                                          -ab[0]["real_t"], -ab[1]["real_t"]))

    # --- the stage ---------------------------------------------------------------------------
    def build_stage(self) -> tuple[VGroup, VGroup]:
        """(what never changes, what the trackers move): kept apart so the still part is drawn once per play."""
        sides = ["up"] * (self.n - 1) + ["down"]  # the bottom lane's labels below it: no arrow comes from there
        events = [SeqEvent(e["proc"] - 1, self.disp(e["real_t"]), label=str(e["lamport"]), label_side=sides[e["proc"] - 1])
                  for e in self.events]
        messages = [SeqMessage(int(m["src"][1:]) - 1, self.disp(m["send_t"]), int(m["dst"][1:]) - 1, self.disp(m["recv_t"]),
                               tag=str(m["ts"])) for m in self.msgs]
        self.diagram = SequenceDiagram(self.trace["processes"], t0=0.0, t1=self.t_end, region=DIAGRAM, events=events,
                                       messages=messages, kinds=KINDS, name_room=NAME_ROOM)
        digits = len(str(max(max(e["vector"]) for e in self.events)))
        self.badges, self.vbadges = VGroup(), VGroup()
        for name in self.diagram.names:
            name.align_to([DIAGRAM.left, 0, 0], LEFT)
            self.badges.add(ClockBadge(digits=len(str(self.summary["max_lamport"])), font_size=theme.LABEL_SIZE)
                            .next_to(name, RIGHT, buff=0.15))
            self.vbadges.add(ClockBadge(slots=self.n, digits=digits, font_size=theme.LABEL_SIZE)
                             .next_to(name, RIGHT, buff=0.15).set_badge_opacity(0.0))
        axis_note = label("time →", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
        axis_note.next_to(self.diagram.names[-1], DOWN, buff=0.35).align_to(self.diagram.names[-1], LEFT)
        self.still = VGroup(self.diagram.still, axis_note)
        self.clock, self.path, self.vec = ValueTracker(0.0), ValueTracker(0.0), ValueTracker(0.0)
        self.chain_shown: list[int] = []
        self.badges_on = False
        self.draw()
        self.diagram.add_updater(lambda _: self.draw())
        return self.still, VGroup(self.diagram, self.badges, self.vbadges)

    def draw(self) -> None:
        """Everything on the stage from the trackers alone."""
        t = self.clock.get_value()
        self.diagram.set_path(self.chain_shown, min(self.path.get_value(), max(len(self.chain_shown) - 1, 0)))
        self.diagram.show_at(t)
        step = self.step_at(t)
        mix = self.vec.get_value()
        for p in range(self.n):
            self.badges[p].set_value(step["lamport"][p] if step else 0,
                                     color=theme.HIGHLIGHT if step and step["proc"] == p + 1 else None)
            self.vbadges[p].set_value(step["vectors"][p] if step else [0] * self.n)
            self.badges[p].set_badge_opacity((1.0 - mix) if self.badges_on else 0.0)
            self.vbadges[p].set_badge_opacity(mix if self.badges_on else 0.0)

    def rule_readout(self) -> VGroup:
        """The rule applied at the latest event: "P2 receives (stamp 3)" over "max(2, 3) + 1 = 4"."""
        frame = RoundedRectangle(corner_radius=0.15, width=PANEL.width - 0.1, height=1.55, fill_color=theme.PANEL,
                                 fill_opacity=1.0, stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE).move_to(RULE_AT)
        title = label("last event", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED).next_to(frame.get_top(), DOWN, 0.12)
        who = SwapText("·", font_size=theme.LABEL_SIZE, monospace=False).move_to(frame.get_center() + UP * 0.05)
        formula = SwapText("·", font_size=theme.LABEL_SIZE, color=theme.HIGHLIGHT, weight="BOLD")
        formula.move_to(frame.get_center() + DOWN * 0.45)

        def update(_: VGroup) -> None:
            step = self.step_at(self.clock.get_value())
            e = self.by_id[step["event_id"]] if step else None
            if e and e["kind"] == "recv":
                who.set_text(f"P{e['proc']} receives stamp {e['msg_ts']}")
                formula.set_text(f"max({e['lamport_prev']},{e['msg_ts']})+{TICK} = {e['lamport']}")
            elif e:
                who.set_text(f"P{e['proc']} {VERBS[e['kind']]}")
                formula.set_text(f"{e['lamport_prev']} + {TICK} = {e['lamport']}")
            who.set_opacity(1.0 if e else 0.0)
            formula.set_opacity(1.0 if e else 0.0)

        group = VGroup(frame, title, who, formula)
        update(group)
        group.add_updater(update)
        return group

    def legend(self) -> Legend:
        dot = Circle(radius=0.1, stroke_width=2.0, color=theme.TEXT, fill_opacity=1.0)
        arrow = VGroup(Line(LEFT * 0.3, RIGHT * 0.3, stroke_color=theme.MESSAGE, stroke_width=3.0),
                       Circle(radius=0.09, color=theme.MESSAGE, fill_opacity=1.0))
        legend = Legend([(dot, "event"), (arrow, "message")], title="diagram")
        return legend.move_to(LEGEND_AT)

    # --- helpers for the beats -----------------------------------------------------------------
    def tell(self, text: str, t_end: float, seconds: float = 0.0) -> None:
        self.narrate(text, self.clock, t_end, seconds)

    def glow(self, chain: list[str], seconds: float) -> None:
        self.chain_shown = [self.index[i] for i in chain]
        self.path.set_value(0.0)
        self.play(self.path.animate.set_value(len(chain) - 1), run_time=seconds, rate_func=linear)

    # --- beats --------------------------------------------------------------------------------
    def construct(self) -> None:
        self.chapter("Wall clocks disagree")
        self.show_title_card(3.0)
        self.hook()
        self.happened_before()
        self.chapter("Two rules")
        self.rules()
        self.chapter("Causes get smaller stamps")
        self.clock_condition()
        self.chapter("The trap")
        self.trap()
        self.chapter("One total order")
        self.total_order()
        self.chapter("Vector clocks")
        self.vectors()
        self.takeaway()

    def hook(self) -> None:
        s = self.summary
        skew = self.hl["skew_pair"]
        msg = self.msgs[(s["skew_msg"] or s["request_msg"] or 1) - 1]
        send, recv = self.by_id[msg["send_event"]], self.by_id[msg["recv_event"]]
        what = msg["label"] or "message"
        rows = sorted([(recv["phys"], f"P{recv['proc']}", f"got the {what} from P{send['proc']}"),
                       (send["phys"], f"P{send['proc']}", f"sent the {what} to P{recv['proc']}")])
        table = TableWidget(["wall clock", "process", "log line"], [[f"{t:.2f} s", p, line] for t, p, line in rows],
                            font_size=theme.BODY_SIZE, row_height=0.8)
        layout.STAGE.place(table.move_to(layout.STAGE.point(0.5, 0.6)))
        self.play(*self.set_heading("Two logs, merged by wall clock"), FadeIn(table), run_time=theme.FADE_S)
        self.caption("Merge two servers' logs by wall-clock time...")
        self.wait(1.0)
        if skew is None:
            self.caption(f"...and here \"got the {what}\" comes after \"sent\".")
            self.wait(0.5)
            self.caption("Only because the clocks drift less than a message takes.")
            self.wait(0.5)
        else:
            box = SurroundingRectangle(table.rows_group[1:], color=theme.FAILURE, buff=0.12, stroke_width=4.0)
            warn = label("effect before its cause?", font_size=theme.BODY_SIZE, color=theme.FAILURE)
            warn.next_to(box, DOWN, buff=0.3)
            self.caption(f"...and P{recv['proc']} got the {what} before P{send['proc']} sent it.")
            self.play(FadeIn(box), FadeIn(warn), run_time=0.6)
            self.caption(f"P{recv['proc']}'s clock is {s['skew_gap_s']:g} s behind; the {what} took "
                         f"{s['skew_delay_s']:.2f} s.")
        self.hold_for_caption()
        self.clear_stage()

    def happened_before(self) -> None:
        still, moving = self.build_stage()
        self.diagram.show_labels(False)
        intro = next((m for m in self.msgs if m["label"] == "reply"), self.msgs[0])
        t_intro = self.disp(intro["recv_t"]) + 0.05
        self.reveal(still, self.legend(), moving, heading="A space-time diagram")
        self.tell("Draw real time instead: one lane per process.", t_intro * 0.45, 2.6)
        self.tell("A dot is an event; an arrow is a message.", t_intro, 2.6)
        first = [i for i in self.hl["chain"] if self.disp(self.by_id[i]["real_t"]) <= t_intro]
        self.caption("Follow lanes and arrows: each step happened before the next.")
        self.glow(first, 3.0)
        self.hold_for_caption()

    def rules(self) -> None:
        self.caption("Give each process a counter. Rewind.")
        self.badges_on = True
        self.chain_shown = []
        self.diagram.show_labels(True)
        self.jump(self.clock, 0.0)
        rule = self.rule_readout()
        self.play(*self.set_heading("Lamport's two rules"), FadeIn(rule), run_time=theme.FADE_S)
        first_send = next(e for e in self.events if e["kind"] == "send")
        jump = self.jump_receive()
        self.tell("Before every event, add one to the counter.", self.disp(first_send["real_t"]) - 0.05, 3.0)
        self.poster_time = self.time + 2.0
        self.tell("A message carries its sender's counter as a stamp.", self.disp(jump["real_t"]) - 0.06)
        prev, ts = jump["lamport_prev"], jump["msg_ts"]
        values = sorted({prev + 1, ts, ts + 1, prev + ts})
        self.checkpoint(f"P{jump['proc']}'s counter is {prev} when a message stamped {ts} arrives. What stamp does "
                        f"the receive get?", [str(v) for v in values], values.index(jump["lamport"]),
                        f"Take the larger of {prev} and {ts}, then add one: {jump['lamport']}.")
        self.caption(f"P{jump['proc']} is at {jump['lamport_prev']}; the stamp says {jump['msg_ts']}.")
        self.wait(0.4)
        self.caption(f"Jump past it: max({jump['lamport_prev']}, {jump['msg_ts']}) + {TICK} = {jump['lamport']}.")
        self.advance(self.clock, self.disp(jump["real_t"]) + 0.05, 0.6)
        self.hold_for_caption()
        self.tell("Every receive does the same. That is the whole algorithm.", self.t_end, 3.6)
        self.play(FadeOut(rule), run_time=0.4)
        rule.clear_updaters()

    def clock_condition(self) -> None:
        chain = self.hl["chain"]
        last = self.by_id[chain[-1]]
        counter = Counter("events on the chain", 0).move_to(COUNT_AT)
        counter.add_updater(lambda c: c.set_value(len(self.diagram.lit()) if self.chain_shown else 0))
        self.play(*self.set_heading("The clock condition"), FadeIn(counter), run_time=theme.FADE_S)
        self.caption("Follow any chain of arrows: the stamps only grow.")
        self.glow(chain, 4.2)
        self.caption(f"The longest chain into P{last['proc']}'s stamp {last['lamport']} has "
                     f"{len(chain)} events.")
        self.wait(0.5)
        self.caption("A stamp counts causes, not seconds.")
        self.wait(0.5)
        self.caption("So a cause always gets a smaller stamp than its effects.")
        self.wait(0.3)
        counter.clear_updaters()
        self.play(FadeOut(counter), run_time=0.4)

    def trap(self) -> None:
        s = self.summary
        a, b = (self.by_id[i] for i in self.hl["concurrent_pair"])
        ia, ib = self.index[a["id"]], self.index[b["id"]]
        self.caption(f"Now take a with stamp {a['lamport']} and b with stamp {b['lamport']}.")
        self.chain_shown = []
        self.diagram.set_label(ia, f"a {a['lamport']}", theme.ACCENT)
        self.diagram.set_label(ib, f"b {b['lamport']}", theme.ACCENT)
        self.diagram.set_rings({ia: theme.ACCENT, ib: theme.ACCENT})
        self.play(*self.set_heading("The trap"), run_time=theme.FADE_S)
        self.checkpoint(f"a has stamp {a['lamport']} and b has stamp {b['lamport']}. Did a happen before b?",
                        [f"yes: {a['lamport']} < {b['lamport']}", "no: no path joins them",
                         "only if a is earlier in real time"], 1,
                        "Only a path of lane steps and messages orders two events; none joins a and b.")
        past = [i for i, e in enumerate(self.events) if e is not b and b["vector"][e["proc"] - 1] >= e["idx"]]
        self.caption("Light everything that could have reached b: a is not there.")
        self.diagram.focus(events=past + [ia, ib])
        self.diagram.set_rings({**{i: theme.NODE for i in past}, ia: theme.ACCENT, ib: theme.ACCENT})
        self.wait(2.8)
        count = ValueTracker(0)
        counter = Counter("stamp-ordered pairs", 0, suffix=f" of {s['ordered_pairs']}")
        note = label("with no causal link", font_size=theme.LABEL_SIZE, color=theme.MUTED)
        counter = VGroup(counter, note.next_to(counter, DOWN, buff=0.12)).move_to(COUNT_AT)
        counter.add_updater(lambda c: c[0].set_value(int(round(count.get_value()))))
        self.caption(f"{s['concurrent_but_ordered']} of {s['ordered_pairs']} stamp-ordered pairs here are "
                     f"unrelated.")
        self.play(FadeIn(counter), run_time=0.4)
        self.play(count.animate.set_value(s["concurrent_but_ordered"]), run_time=1.8, rate_func=linear)
        self.caption("A smaller stamp does not mean \"happened before\".")
        self.hold_for_caption()
        counter.clear_updaters()
        self.play(FadeOut(counter), run_time=0.4)
        self.trap_pair = (a, b)

    def total_order(self) -> None:
        order = [self.by_id[i] for i in self.trace["total_order"]]
        lo, hi = self.tie()
        chips = VGroup(*[VGroup(RoundedRectangle(corner_radius=0.1, width=0.62, height=0.78, fill_color=theme.PANEL,
                                                 fill_opacity=1.0, stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE),
                                mono(str(e["lamport"]), font_size=theme.BODY_SIZE, weight="BOLD").shift(UP * 0.14),
                                label(f"P{e['proc']}", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED).shift(DOWN * 0.22))
                         for e in order])
        slots = ORDER.grid(-(-len(order) // CHIPS_PER_ROW), CHIPS_PER_ROW)
        starts = [self.diagram.event_point(self.index[e["id"]]) for e in order]
        fly = ValueTracker(0.0)

        def place(group: VGroup) -> None:
            f = fly.get_value()
            for k, chip in enumerate(group):
                local = float(np.clip(f * 1.6 - 0.6 * k / max(len(group) - 1, 1), 0.0, 1.0))
                w = rate_functions.smooth(local)
                chip.move_to(starts[k] * (1 - w) + slots[k] * w)

        place(chips)
        chips.add_updater(place)
        ties, k = VGroup(), 0
        for _, same in groupby(order, key=lambda e: e["lamport"]):
            j = k + len(list(same)) - 1
            if j > k and j // CHIPS_PER_ROW == k // CHIPS_PER_ROW:  # underline ties (within one row)
                ties.add(Line(slots[k] + LEFT * 0.31 + DOWN * 0.48, slots[j] + RIGHT * 0.31 + DOWN * 0.48,
                              stroke_color=theme.HIGHLIGHT, stroke_width=4.0))
            k = j + 1
        tie_note = label("same stamp: lower process first", font_size=theme.MIN_FONT_SIZE, color=theme.HIGHLIGHT)
        tie_note.next_to(ORDER.edge(DOWN), DOWN, buff=0.25)
        self.caption("Sort every event by (stamp, process number).")
        self.diagram.focus(events=[], messages=[], opacity=0.12)
        self.diagram.set_rings({})
        self.diagram.show_labels(False)
        self.badges_on = False
        self.play(*self.set_heading("One total order"), FadeIn(chips),
                  self.diagram.still.animate.set_opacity(0.2), run_time=theme.FADE_S)
        self.play(fly.animate.set_value(1.0), run_time=2.6, rate_func=linear)
        earlier = ", earlier in real time" if hi["real_t"] < lo["real_t"] else ""
        self.checkpoint(f"One event on P{hi['proc']}{earlier}, one on P{lo['proc']}: both have stamp {lo['lamport']}. "
                        f"Which comes first in the total order?", [f"the one on P{lo['proc']}", f"the one on P{hi['proc']}"],
                        0, "Equal stamps are ordered by process number, not by real time.")
        self.caption("Equal stamps? The lower process number goes first.")
        self.play(FadeIn(ties), FadeIn(tie_note), run_time=0.6)
        self.wait(1.0)
        self.caption("Every process computes this same order...")
        self.wait(0.2)
        self.caption("...but between concurrent events it is arbitrary.")
        self.hold_for_caption()
        chips.clear_updaters()
        self.play(FadeOut(chips), FadeOut(ties), FadeOut(tie_note), self.diagram.still.animate.set_opacity(1.0),
                  run_time=theme.FADE_S)

    def vectors(self) -> None:
        a, b = self.trap_pair
        ia, ib = self.index[a["id"]], self.index[b["id"]]
        chain = [self.index[i] for i in self.hl["chain"]]
        self.caption("A vector clock keeps one counter per process.")
        for i in range(len(self.events)):
            self.diagram.set_label(i, "")
        for name, i, e in (("a", ia, a), ("b", ib, b)):
            self.diagram.set_label(i, f"{name} [" + ",".join(str(v) for v in e["vector"]) + "]", theme.ACCENT)
        self.diagram.focus(events=sorted(set(chain) | {ia, ib}))
        self.diagram.set_rings({ia: theme.ACCENT, ib: theme.ACCENT})
        self.diagram.show_labels(True, tags=False)
        self.badges_on = True
        self.play(*self.set_heading("Vector clocks"), self.vec.animate.set_value(1.0), run_time=1.2)
        self.wait(1.2)
        walker = self.chain_badge(chain)
        self.caption("Along a chain, a slot grows and none ever shrinks.")
        self.play(FadeIn(walker), run_time=0.4)
        self.glow([self.events[i]["id"] for i in chain], 3.4)
        compare = self.compare_panel(a, b)
        self.caption("But a and b are each bigger somewhere: concurrent.")
        self.play(FadeIn(compare), run_time=theme.FADE_S)
        self.wait(1.6)
        self.caption(f"Vectors tell \"before\" from \"concurrent\", at {self.n} numbers per message.")
        self.hold_for_caption()
        walker.clear_updaters()

    def chain_badge(self, chain: list[int]) -> VGroup:
        """The vector of the chain's latest lit event, the slots that grew since the one before highlighted."""
        digits = len(str(max(max(self.events[i]["vector"]) for i in chain)))
        badge = ClockBadge("on the chain", slots=self.n, digits=digits, color=theme.HIGHLIGHT)
        badge.move_to(RULE_AT)

        def update(m: ClockBadge) -> None:
            k = int(np.floor(self.path.get_value() + 1e-9)) if self.chain_shown else 0
            vec = self.events[chain[k]]["vector"]
            prev = self.events[chain[k - 1]]["vector"] if k else [0] * self.n
            m.set_value(vec, colors={s: theme.HIGHLIGHT for s in range(self.n) if vec[s] > prev[s]}, color=theme.TEXT)

        update(badge)
        badge.add_updater(update)
        return badge

    def compare_panel(self, a: dict[str, Any], b: dict[str, Any]) -> VGroup:
        rows = VGroup()
        digits = len(str(max(a["vector"] + b["vector"])))
        for name, e, other in (("a", a, b), ("b", b, a)):
            badge = ClockBadge(slots=self.n, digits=digits, font_size=theme.LABEL_SIZE, color=theme.ACCENT)
            badge.set_value(e["vector"], colors={k: theme.HIGHLIGHT for k in range(self.n)
                                                 if e["vector"][k] > other["vector"][k]}, color=theme.TEXT)
            rows.add(VGroup(label(name, font_size=theme.BODY_SIZE, color=theme.ACCENT, weight="BOLD"), badge)
                     .arrange(RIGHT, buff=0.2))
        rows.arrange(DOWN, buff=0.15, aligned_edge=LEFT)
        verdict = label("each bigger somewhere", font_size=theme.LABEL_SIZE, color=theme.HIGHLIGHT)
        return VGroup(rows, verdict).arrange(DOWN, buff=0.2).move_to(COUNT_AT)

    def takeaway(self) -> None:
        self.clear_stage()
        rows = [["carried per message", "one integer", f"{self.n} integers"],
                ["cause before effect", "smaller stamp", "smaller vector"],
                ["spots concurrent events", "no", "yes"]]
        table = TableWidget(["", "Lamport clock", "vector clock"], rows, font_size=theme.BODY_SIZE, row_height=0.8,
                            max_width=layout.STAGE.width - 0.5)
        layout.STAGE.place(table)
        self.caption("Lamport stamps never put an effect before its cause...")
        self.play(*self.set_heading("Takeaway"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(1.2)
        self.caption("...but cannot tell you whether two events are related.")
        self.wait(1.0)
        self.finish()
