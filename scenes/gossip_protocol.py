"""Gossip Protocol: one update reaches a whole cluster by random rounds, with no one in charge
(storyboard: gossip-protocol.md).

One simulated clock drives the stage: each traced run (push, push-pull, lossy push) owns a stretch
of it (``max_rounds + 2`` rounds apart), and round ``r`` of a run is the clock's ``[r - 1, r]``: its
contacts fly during the first ``FLY`` of the round, then the states after the round show, the
newly informed with a halo. Crowd, counters and charts are pure functions of that clock; the beats
only move it and write the captions, timed by the rounds the trace names (who finished when,
when wasted messages overtook useful ones), never by offsets fitted to one seed.
"""

from __future__ import annotations

import math
from typing import Any

from manim import DOWN, LEFT, RIGHT, UP, Create, DashedLine, FadeIn, FadeOut, Line, ValueTracker, VGroup, linear

from scenes.kit import Counter, ExplainerScene, Legend, LineChart, TableWidget, layout, mono, theme
from scenes.kit.crowd import ContactLook, Crowd, FractionChart, PeerLook

__all__ = ["GossipProtocolScene"]

LEFT_AREA, RIGHT_AREA = layout.STAGE.cut_right(6.9, gap=0.4)
GRID_AREA, PEER_KEY_AREA = LEFT_AREA.cut_top(LEFT_AREA.height - 0.6, gap=0.05)
COUNTER_BAND, LOWER_RIGHT = RIGHT_AREA.cut_top(1.05, gap=0.25)
CHART_AREA, MSG_KEY_AREA = LOWER_RIGHT.cut_top(LOWER_RIGHT.height - 0.55, gap=0.1)
FLY = 0.7  #: share of a round its messages are in the air
ROUND_S = 3.0  #: video seconds per round while the group doubles
DOUBLING_LAST = 6  #: the doubling beat plays rounds 2..this (at most); the tail beat the rest
PEER_LOOKS = {"idle": PeerLook(theme.MUTED, filled=False), "on": PeerLook(theme.MESSAGE),
              "new": PeerLook(theme.MESSAGE, halo=True)}
CONTACT_LOOKS = {"hit": ContactLook(theme.MESSAGE), "miss": ContactLook(theme.MUTED, hollow=True),
                 "empty": ContactLook(theme.NODE, hollow=True), "lost": ContactLook(theme.FAILURE, dropped=True)}
ROLE_COLORS = {"base": theme.MESSAGE, "pull": theme.NODE, "wide": theme.ACCENT, "lossy": theme.FAILURE}


def variant_name(v: dict[str, Any]) -> str:
    """The mode, then the fanout if above one and the share lost if any ("push, fanout 2")."""
    parts = ["push-pull" if v["mode"] == "pushpull" else "push"] + [f"fanout {v['fanout']}"] * (v["fanout"] > 1)
    return ", ".join(parts + [f"{v['loss_prob']:.0%} lost"] * (v["loss_prob"] > 0))


class GossipProtocolScene(ExplainerScene):
    """Push gossip doubling then crawling, push-pull's short tail, log N scaling and message loss."""

    # --- reading the trace ------------------------------------------------------------------------
    def setup(self) -> None:
        p, s = self.trace["params"], self.trace["summary"]
        self.n, self.origin, self.summary = p["n_nodes"], s["origin"], s
        self.variant = {v["name"]: v for v in p["variants"]}
        self.runs: dict[str, list[dict[str, Any]]] = {}
        for st in self.trace["steps"]:
            self.runs.setdefault(st["variant"], []).append(st)
        plain = [v for v in p["variants"] if v["loss_prob"] == 0]
        base = next((v for v in plain if v["mode"] == "push"), None)
        pull = next((v for v in plain if v["mode"] == "pushpull"), None)
        wide = next((v for v in plain if v["mode"] == "push" and base and v["fanout"] > base["fanout"]), None)
        lossy = next((v for v in p["variants"] if v["mode"] == "push" and v["loss_prob"] > 0
                      and base and v["fanout"] == base["fanout"]), None)
        if base is None or pull is None or lossy is None:
            raise ValueError("this storyboard needs a lossless push, a push-pull and a lossy push variant")
        found = {"base": base, "pull": pull, "wide": wide, "lossy": lossy}
        self.role = {role: v["name"] for role, v in found.items() if v is not None}
        self.span = p["max_rounds"] + 2  #: each run owns this much of the clock
        self.offset = {name: i * self.span for i, name in enumerate(self.runs)}
        self.rounds = {name: len(steps) - 1 for name, steps in self.runs.items()}
        if self.rounds[self.role["base"]] < 3:
            raise ValueError("the push run needs at least three rounds to show doubling and a tail")
        self.contacts = {name: [self.round_contacts(st) for st in steps] for name, steps in self.runs.items()}

    def round_contacts(self, step: dict[str, Any]) -> list[tuple[int, int, str]]:
        """Each contact drawn from the server that knew to the one that learned, else from src to dst:
        "miss" if both knew already, "empty" if neither did (a push-pull question with nothing to pull)."""
        before = self.runs[step["variant"]][max(step["round"] - 1, 0)]["infected"]
        out = []
        for c in step["contacts"]:
            a, b = (c["dst"], c["src"]) if c["effect"] == "infect_src" else (c["src"], c["dst"])
            kind = ("lost" if not c["delivered"] else "hit" if c["effect"] != "none"
                    else "miss" if before[a] or before[b] else "empty")
            out.append((a, b, kind))
        return out

    def g(self, role: str, c: float) -> float:
        """Clock value of round position ``c`` of a role's run."""
        return self.offset[self.role[role]] + c

    def at(self, g: float) -> tuple[str, float, int, int, float]:
        """(run, position in it, rounds whose messages have landed, round in progress (0 before the first),
        how far its messages have flown: 0-1)."""
        names = list(self.runs)
        name = names[min(max(int(math.floor(g / self.span + 1e-9)), 0), len(names) - 1)]
        c, last = g - self.offset[name], self.rounds[name]
        done = min(max(int(math.floor(c - FLY + 1e-9)) + 1, 0), last)
        r = min(max(math.ceil(c - 1e-9), 0), last)
        return name, c, done, r, min(max(c - (r - 1), 0.0) / FLY, 1.0) if 0 < c <= last else 1.0

    # --- the stage ----------------------------------------------------------------------------------
    def build_crowd(self) -> None:
        most = max(len(c) for cs in self.contacts.values() for c in cs)
        self.crowd = Crowd(self.n, looks=PEER_LOOKS, state="idle", pitch=0.58, radius=0.16, max_contacts=most,
                           contact_looks=CONTACT_LOOKS)
        GRID_AREA.place(self.crowd)
        self.peer_key = self.crowd.legend([("idle", "not yet told"), ("on", "knows"), ("new", "just told")],
                                          direction=RIGHT)
        PEER_KEY_AREA.place(self.peer_key)
        self.msg_key = self.crowd.legend([("hit", "news"), ("miss", "knew already"), ("empty", "neither knew"),
                                          ("lost", "lost")], direction=RIGHT)
        MSG_KEY_AREA.place(self.msg_key)

    def draw_crowd(self, g: float) -> None:
        name, _, done, r, progress = self.at(g)
        st = self.runs[name][done]
        new = set(st["newly_infected"])
        self.crowd.set_states(["new" if i in new else "on" if on else "idle" for i, on in enumerate(st["infected"])])
        self.crowd.show_contacts(self.contacts[name][max(r, 1)], progress)

    def follow_run(self) -> None:
        self.crowd.clear_updaters()
        self.draw_crowd(self.clock.get_value())
        self.crowd.add_updater(lambda _: self.draw_crowd(self.clock.get_value()))

    def counters(self, lossy: bool = False) -> VGroup:
        """Round, informed, and useful (or lost) and wasted messages so far, following the clock."""
        row = VGroup(Counter("round", 0), Counter("informed", 1, suffix=f" / {self.n}"),
                     Counter("lost" if lossy else "useful", 0), Counter("wasted", 0))
        for counter, point in zip(row, COUNTER_BAND.row(4)):
            counter.move_to(point)

        def update(m: VGroup) -> None:
            name, _, done, r, _ = self.at(self.clock.get_value())
            st = self.runs[name][done]
            m[0].set_value(r)
            m[1].set_value(st["infected_count"])
            useful = st["infected_count"] - 1  # every message that told someone new
            m[2].set_value(st["cumulative_messages"] - st["cumulative_useless"] - useful if lossy else useful)
            m[3].set_value(st["cumulative_useless"])

        update(row)
        row.add_updater(update)
        return row

    def chart(self, roles: list[str], extra: ValueTracker | None = None) -> VGroup:
        """Informed share per round: bars of one role, or lines of several with a key. The run on the clock
        grows with it (round r's bar or segment while its messages fly); a role whose run is not on the
        clock is shown whole if it comes first, else as far as ``extra`` says."""
        names = [self.role[r] for r in roles if r in self.role]
        curves = {n: self.summary["runs"][n]["curve"] for n in names}
        colors = {self.role[r]: ROLE_COLORS[r] for r in roles if r in self.role}
        if len(names) == 1:
            chart = FractionChart(curves, style="bars", total=self.n, colors=colors, width=5.6, height=2.3,
                                  x_label="round", y_label="informed after each round")
            group = VGroup(chart)
        else:
            chart = FractionChart(curves, colors=colors, width=4.4, height=2.3, x_label="round",
                                  y_label="share informed")
            key = chart.legend({n: variant_name(self.variant[n]) for n in names})
            group = VGroup(chart, key.next_to(chart.axes, RIGHT, buff=0.3).align_to(chart.axes, UP))
        CHART_AREA.place(group)

        def update(m: FractionChart) -> None:
            run, c, _, r, progress = self.at(self.clock.get_value())
            for i, name in enumerate(names):
                shown = extra.get_value() if extra is not None else -1.0
                m.reveal_series(name, ((r - 1 + progress) if c > 0 else 0.0) if name == run
                                else m.x_max if i == 0 else shown)

        update(chart)
        chart.add_updater(update)
        return group

    def cut_to(self, role: str, heading: str, old: list, new: list) -> None:
        """Fade out, swap ``old`` widgets for ``new`` ones and the heading, move the clock to a run's start."""
        def change() -> None:
            for m in old:
                m.clear_updaters()
                self.remove(m)
            if self.heading_mobject is not None:
                self.remove(self.heading_mobject)
            self.set_heading(heading)
            self.add(self.heading_mobject, *new)
            self.clock.set_value(self.g(role, 0))
            if self.crowd in new:
                self.follow_run()

        self.fade_cut(change)

    # --- beats --------------------------------------------------------------------------------------
    def construct(self) -> None:
        self.clock = ValueTracker(self.g("base", 0))
        self.chapter("The problem")
        self.show_title_card(3.0)
        self.hook_beat()
        self.rule_beat()
        self.chapter("Spreading")
        self.doubling_beat()
        self.tail_beat()
        self.chapter("Push-pull")
        self.pushpull_beat()
        self.chapter("Scale and loss")
        self.scaling_beat()
        self.loss_beat()
        self.chapter("Takeaway")
        self.takeaway_beat()

    def hook_beat(self) -> None:
        """The origin alone: one round per ``fanout`` peers told, its dots flying the first FLY of a round."""
        self.build_crowd()
        base = self.summary["baseline_direct"]
        others = [i for i in range(self.n) if i != self.origin]
        hook = ValueTracker(-1.0)
        to_tell = RIGHT_AREA.place(Counter("left to tell, alone", base["messages"], font_size=theme.HEADING_SIZE))

        def told(h: float) -> int:
            return max(int(math.floor(h - FLY + 1e-9)) + 1, 0) * base["fanout"] if h >= 0 else 0

        def draw_hook(_: Any) -> None:
            h = hook.get_value()
            states = ["idle"] * self.n
            states[self.origin] = "new" if h >= -0.75 else "idle"
            for i in others[:told(h)]:
                states[i] = "on"
            r = int(math.floor(h))
            sending = others[r * base["fanout"]:(r + 1) * base["fanout"]] if h >= 0 else []
            self.crowd.set_states(states).show_contacts([(self.origin, i, "hit") for i in sending],
                                                        min((h - r) / FLY, 1.0) if sending else 1.0)

        draw_hook(None)
        self.crowd.add_updater(draw_hook)
        to_tell.add_updater(lambda m: m.set_value(base["messages"] - told(hook.get_value())))
        self.reveal(self.crowd, self.peer_key, heading="One update, nobody in charge")
        self.narrate(f"One server has an update. How do all {self.n} learn it, with no one in charge?", hook, 0, 4.0)
        fan = VGroup(*[Line(self.crowd.peer_center(self.origin), self.crowd.peer_center(i), stroke_color=theme.NODE,
                            stroke_width=1.5, stroke_opacity=0.3) for i in others])
        per = "one message" if base["fanout"] == 1 else f"{base['fanout']} messages"
        self.caption(f"Telling all {base['messages']} alone takes it {base['rounds']} rounds, {per} per round.")
        self.play(FadeIn(fan), FadeIn(to_tell), run_time=0.6)
        self.advance(hook, 3.0, 4.0)
        self.clear_caption()
        self.cut_to("base", "One rule, every round", [fan, to_tell], [self.crowd])

    def rule_beat(self) -> None:
        f = self.variant[self.role["base"]]["fanout"]
        self.counter_row = self.counters()
        self.play(FadeIn(self.counter_row), FadeIn(self.msg_key), run_time=0.6)
        peers = "one random peer" if f == 1 else f"{f} random peers"
        self.narrate(f"Each round, every server that knows tells {peers}.", self.clock, self.g("base", 1), 3.6)
        after = self.runs[self.role["base"]][1]["infected_count"]
        self.caption(f"After round one, {after} servers know, and all of them gossip.")
        self.wait(2.2)

    def doubling_round(self) -> int:
        """The round the checkpoint asks about: the first from round 3 whose push can still at most
        multiply the informed by 1 + fanout without reaching everyone (else round 2)."""
        name, f = self.role["base"], self.variant[self.role["base"]]["fanout"]
        last = min(DOUBLING_LAST, self.rounds[name] - 1)
        return next((r for r in range(3, last + 1) if (1 + f) * self.runs[name][r - 1]["infected_count"] < self.n), 2)

    def doubling_beat(self) -> None:
        name, f = self.role["base"], self.variant[self.role["base"]]["fanout"]
        steps, last, q = self.runs[name], min(DOUBLING_LAST, self.rounds[name] - 1), self.doubling_round()
        self.bars = self.chart(["base"])
        self.play(*self.set_heading("Doubling"), FadeIn(self.bars), run_time=0.6)
        self.narrate("Everyone who knows sends at the same moment.", self.clock, self.g("base", q - 1),
                     ROUND_S * (q - 2))
        x, y = steps[q - 1]["infected_count"], steps[q]["infected_count"]
        peers = "one peer" if f == 1 else f"{f} peers"
        self.checkpoint(f"{x} servers know as round {q} starts. At most how many can know after it?",
                        [f"{x + 1}", f"{(1 + f) * x}", f"{self.n}"], 1,
                        f"Each of the {x} tells {peers}, so at most {(1 + f) * x} know; picks that hit a server "
                        f"that knew already add nobody.")
        self.narrate(f"Round {q}: {x} servers know, {y} after it.", self.clock, self.g("base", q), ROUND_S)
        self.poster_time = self.time + ROUND_S * (max(last - q, 1) - 0.6)  # the last doubling round, mid-flight
        self.narrate("The informed group roughly doubles every round.", self.clock, self.g("base", max(last, q)),
                     ROUND_S * max(last - q, 0))

    def tail_beat(self) -> None:
        name = self.role["base"]
        run, total = self.summary["runs"][name], self.rounds[name]
        start = min(max(DOUBLING_LAST, self.doubling_round()), total - 1)
        self.play(*self.set_heading("The long tail"), run_time=0.5)
        self.narrate("The last few are hard to hit: most messages reach servers that already know.",
                     self.clock, self.g("base", start + max((total - start) // 2, 1)), 6.0)
        over = run["useless_overtakes_round"]
        self.narrate(f"From round {over} on, wasted messages outnumber useful ones." if over is not None
                     else f"{run['useless_messages']} of {run['total_messages']} messages told nobody new.",
                     self.clock, self.g("base", total), 5.0)
        self.caption(f"The last server heard in round {total}: until then, some kept the old version.")
        self.wait(2.0)

    def pushpull_beat(self) -> None:
        r_push, r_pull = self.rounds[self.role["base"]], self.rounds[self.role["pull"]]
        self.checkpoint(f"Push took {r_push} rounds. If servers that don't know also ask a random peer, "
                        f"how many rounds will it take?",
                        [f"fewer than {r_push}", f"exactly {r_push}", f"more than {r_push}"],
                        0 if r_pull < r_push else 1 if r_pull == r_push else 2,
                        "Asking adds contacts without removing any, and a straggler that asks finds someone "
                        "who knows almost surely.")
        extra = ValueTracker(-1.0)
        self.lines = self.chart(["base", "pull", "wide"], extra)
        self.caption("Push-pull: every server also asks one random peer for news.")
        self.cut_to("pull", "Push-pull", [self.bars], [self.lines])
        self.advance(self.clock, self.g("pull", min(2, r_pull)), 3.0)
        self.narrate(f"Stragglers pull the news in: all {self.n} know after {r_pull} rounds, not {r_push}.",
                     self.clock, self.g("pull", r_pull), 4.0)
        if "wide" in self.role:
            wide = self.variant[self.role["wide"]]
            self.caption(f"Push with fanout {wide['fanout']} takes {self.rounds[wide['name']]} rounds, but each "
                         f"informed server sends {wide['fanout']} per round.")
            self.play(extra.animate.set_value(self.rounds[wide["name"]]), run_time=3.2, rate_func=linear)
        self.clear_caption()

    def scaling_beat(self) -> None:
        s, base = self.summary, self.role["base"]
        growth = next(x for x in s["scaling_growth"] if x["variant"] == base)
        mean = {(x["variant"], x["n"]): x["mean_rounds"] for x in s["scaling"]}
        lo, hi = mean[(base, growth["from_n"])], mean[(base, growth["to_n"])]
        group = self.scaling_chart()
        gone = [self.lines, self.counter_row, self.msg_key, self.crowd, self.peer_key]
        for m in gone:
            m.clear_updaters()
        self.play(*[FadeOut(m) for m in gone], run_time=0.5)
        self.checkpoint(f"Push needs about {lo:.0f} rounds for {growth['from_n']} servers. "
                        f"About how many for {growth['to_n']}?",
                        [f"about {lo * growth['size_ratio']:.0f}", f"about {hi:.0f}", f"about {lo:.0f}"], 1,
                        f"Doubling covers {growth['size_ratio']:g}× more servers in a few more rounds: "
                        f"the rounds grow with log N.")
        self.caption("Rounds to reach everyone grow with log N, not N.")
        self.play(*self.set_heading("Scaling"), FadeIn(group[0]), run_time=0.6)
        self.play(*[Create(line) for line in group[2]], run_time=2.0, rate_func=linear)
        self.play(FadeIn(group[1]), run_time=0.6)
        self.wait(0.4)
        self.caption(f"{growth['size_ratio']:g}× more servers cost push only about {growth['extra_rounds']:.0f} "
                     f"more rounds.")
        self.wait(3.2)
        self.caption("Dashed: the rate theory predicts for push.")
        self.wait(2.4)
        self.clear_caption()
        self.play(FadeOut(group), run_time=0.5)
        self.remove(*group[2])

    def scaling_chart(self) -> VGroup:
        """(axes with size ticks and a key, each point's mean, the lines and the dashed log2 N + ln N line)."""
        s = self.summary
        names = {v: variant_name(self.variant[v]) for v in self.trace["params"]["scaling_variants"]}
        colors = {names[self.role[r]]: ROLE_COLORS[r] for r in ("base", "pull") if self.role[r] in names}
        series = {names[v]: [(math.log2(x["n"]), x["mean_rounds"]) for x in s["scaling"]
                             if x["variant"] == v and x["mean_rounds"] is not None] for v in names}
        series = {k: pts for k, pts in series.items() if len(pts) >= 2}
        sizes = sorted({x["n"] for x in s["scaling"]})
        chart = LineChart(series, x_range=(math.log2(sizes[0]), math.log2(sizes[-1])), width=7.5, height=3.4,
                          y_max=max(y for pts in series.values() for _, y in pts) * 1.2, colors=colors,
                          x_label="servers (log scale)", y_label="mean rounds until all know")

        def at(x: float, y: float) -> Any:
            return chart.point_at(x, y)

        ticks = VGroup(*[mono(f"{n}", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
                         .next_to(at(math.log2(n), 0), DOWN, buff=0.1) for n in sizes])
        chart.axis_labels[0].next_to(ticks, DOWN, buff=0.1)
        ref = [x for x in s["scaling"] if x["variant"] == self.role["base"]]
        dashed = [DashedLine(*ends, stroke_color=theme.MUTED, stroke_width=2.5, dash_length=0.1) for ends in
                  ((at(math.log2(ref[0]["n"]), ref[0]["theory_push_rounds"]),
                    at(math.log2(ref[-1]["n"]), ref[-1]["theory_push_rounds"])), (LEFT * 0.25, RIGHT * 0.25))]
        key = Legend([(Line(LEFT * 0.25, RIGHT * 0.25, stroke_color=colors.get(name, theme.NODE),
                            stroke_width=theme.STROKE), name) for name in series] + [(dashed[1], "theory for push")])
        values = VGroup(*[mono(f"{y:.1f}", font_size=theme.MIN_FONT_SIZE, color=colors.get(name, theme.NODE))
                          .next_to(at(x, y), UP if k == 0 else DOWN, buff=0.15)
                          for k, (name, pts) in enumerate(series.items()) for x, y in pts])
        group = VGroup(VGroup(chart.axes, chart.axis_labels, ticks, key), values,
                       VGroup(*chart.lines.values(), dashed[0]))
        layout.STAGE.place(group)
        key.move_to(chart.axes[1].get_end(), aligned_edge=UP + LEFT).shift(RIGHT * 0.4)
        return group

    def loss_beat(self) -> None:
        base, lossy = self.role["base"], self.role["lossy"]
        r_base, r_loss, run = self.rounds[base], self.rounds[lossy], self.summary["runs"][lossy]
        self.lines = self.chart(["base", "lossy"])
        self.counter_row = self.counters(lossy=True)
        self.cut_to("lossy", "Message loss", [],
                    [self.crowd, self.peer_key, self.lines, self.counter_row, self.msg_key])
        self.narrate(f"Now {self.variant[lossy]['loss_prob']:.0%} of all messages are lost on the way.", self.clock,
                     self.g("lossy", min(3, r_loss)), 3.6)
        if run["rounds_to_full"] is None:
            text = f"After {r_loss} rounds, {self.runs[lossy][-1]['infected_count']} of {self.n} know: loss slows it."
        elif r_loss > r_base:
            text = f"It still reaches all {self.n}, just later: {r_loss} rounds instead of {r_base}."
        else:
            text = f"It still reaches all {self.n}, here in the same {r_base} rounds."
        self.narrate(text, self.clock, self.g("lossy", r_loss), 6.5)
        self.wait(1.0)

    def takeaway_beat(self) -> None:
        s, alone = self.summary, self.summary["baseline_direct"]
        rows = [["one server tells all", f"{alone['rounds']}", f"{alone['messages']}", f"{alone['messages']}", "yes"]]
        rows += [[variant_name(self.variant[name]), f"{self.rounds[name]}", f"{s['runs'][name]['total_messages']}",
                  f"{s['runs'][name]['busiest_sends']}", "no"] for name in (self.role["base"], self.role["pull"])]
        self.clear_stage()
        table = TableWidget(["spread by", "rounds", "messages", "busiest sender", "coordinator?"], rows,
                            font_size=theme.BODY_SIZE + 8, row_height=1.05, max_width=layout.STAGE.width)
        layout.STAGE.place(table)
        self.caption("Gossip is fast, survives loss, and needs no leader.")
        self.play(*self.set_heading("Takeaway"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(4.0)
        self.caption("The price: duplicate messages, and a finish time that is only likely.")
        self.wait(4.8)
        self.finish()
