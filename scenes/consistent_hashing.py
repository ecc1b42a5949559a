"""Consistent Hashing: hash mod N against a hash ring, with one and with many points per server
(storyboard: consistent-hashing.md).

Two stages, each a pure function of one story clock. The buckets stage (hash mod N) shows the
drawn keys stacked under their servers and flies them to their new servers when one joins. The
ring stage runs through the trace's ring steps on a clock whose whole units are named phases
(:data:`PHASES`): the range bends into a ring, servers land, a key walks clockwise to its owner,
the arcs take their owners' colours, a server joins with one point, then with many, and one
leaves. Bar charts and counters beside it change between captions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Circle, FadeIn, FadeOut, ValueTracker, VGroup, VMobject

from scenes.kit import BarChart, Counter, ExplainerScene, ServerNode, TableWidget, label, layout, mono, theme
from scenes.kit.hashring import HashRing

__all__ = ["ConsistentHashingScene"]

PALETTE = (theme.NODE, theme.MESSAGE, theme.SUCCESS, theme.ACCENT, theme.BLUE, theme.FAILURE)
NEWCOMER = theme.HIGHLIGHT  #: the joining server's colour
PANEL = layout.SIDE_PANEL
RING_CENTER = layout.MAIN.center
RING_RADIUS = 1.95
#: the ring stage's clock: phase k runs from k to k + 1
PHASES = ("bend", "land", "keys", "walk", "paint", "add_low", "high", "add_high", "remove")
DOT_GAP = 0.36  #: between key dots in a bucket
DOT_RADIUS = 0.12
BUCKET_COLUMNS = 3
UNIT_CIRCLE = Circle(radius=1.0, num_components=12).points.copy()  #: a key dot's outline, scaled and moved
STAGGER = 0.6  #: the last key leaves this far into the flight (as a fraction of it)


def phase(u: float, name: str, *, start: float = 0.0, end: float = 1.0) -> float:
    """Progress 0..1 through the stretch [start, end] of phase ``name`` at clock value ``u``."""
    k = PHASES.index(name)
    return float(np.clip((u - k - start) / (end - start), 0.0, 1.0))


class KeyBuckets(VGroup):
    """Key dots stacked under server columns; each flies from its old column to its new one as progress runs."""

    def __init__(self, columns: list[np.ndarray], n: int) -> None:
        super().__init__()
        self.columns = columns
        self.dots = [VMobject(stroke_width=0, fill_opacity=1.0) for _ in range(n)]
        self.marks = [VMobject(stroke_color=theme.TEXT, stroke_width=2.0) for _ in range(n)]
        self.pick = VMobject(stroke_color=theme.HIGHLIGHT, stroke_width=4.0)
        self.add(*self.marks, *self.dots, self.pick)

    def slots(self, owners: list[int]) -> list[np.ndarray]:
        seen: dict[int, int] = {}
        out = []
        for o in owners:
            r = seen.get(o, 0)
            seen[o] = r + 1
            out.append(self.columns[o] + np.array([(r % BUCKET_COLUMNS - 1) * DOT_GAP, -(r // BUCKET_COLUMNS) * DOT_GAP, 0]))
        return out

    def show(self, before: list[int], after: list[int], colors: list[str], progress: float, pick: int | None) -> None:
        a, b = self.slots(before), self.slots(after)
        for i, (dot, mark) in enumerate(zip(self.dots, self.marks)):
            own = float(np.clip(progress * (1 + STAGGER) - STAGGER * i / max(len(self.dots) - 1, 1), 0.0, 1.0))
            s = own * own * (3 - 2 * own)
            at = a[i] + (b[i] - a[i]) * s
            dot.set_points(UNIT_CIRCLE * DOT_RADIUS + at).set_fill(color=colors[after[i] if s > 0.5 else before[i]])
            mark.set_points(UNIT_CIRCLE * (DOT_RADIUS + 0.06) + at)
            mark.set_stroke(opacity=own if before[i] != after[i] else 0.0)
            if i == pick:
                self.pick.set_points(UNIT_CIRCLE * (DOT_RADIUS + 0.13) + at)
        if pick is None:
            self.pick.set_points(np.zeros((0, 3)))


class ConsistentHashingScene(ExplainerScene):
    """Mod-N reshuffles nearly every key; the ring moves one arc; virtual nodes even out the load."""

    def setup(self) -> None:
        p, s = self.trace["params"], self.trace["summary"]
        self.p, self.s = p, s
        self.st = {step["event"]: step for step in self.trace["steps"]}
        #: the mod-N steps before and after the addition (their event names carry the default server counts)
        self.modn_before, self.modn_after = [step["event"] for step in self.trace["steps"] if step["scheme"] == "modn"]
        self.n, self.joiner, self.gone = p["n_nodes"], s["add_label"], s["remove_label"]
        self.n_after = s["servers_after_add"]
        self.labels = [x["label"] for x in s["nodes"]]
        self.colors = [NEWCOMER if x["label"] == self.joiner else PALETTE[x["color_index"] % len(PALETTE)]
                       for x in s["nodes"]]
        self.drawn = [d["index"] for d in s["drawn"]]
        self.keys = [d["pos"] for d in s["drawn"]]
        self.one_point = p["vnodes_low"] == 1
        self.low_points = "one point" if self.one_point else f"{p['vnodes_low']} points"
        self.poster_time = 0.0

    # --- trace helpers ----------------------------------------------------------------------
    def owners(self, event: str) -> list[str]:
        return [self.st[event]["owner"][i] for i in self.drawn]

    def points(self, event: str) -> list[tuple[float, str]]:
        return [(pt["pos"], pt["label"]) for pt in self.st[event]["points"]]

    def pct(self, event: str) -> str:
        return f"{self.st[event]['moved_fraction'] * 100:.0f}"

    # --- the buckets stage (hash mod N) ---------------------------------------------------------
    def buckets_stage(self) -> tuple[VGroup, ValueTracker]:
        clock = ValueTracker(0.0)
        tops = layout.MAIN.row(self.n_after, fy=0.74)
        servers = [ServerNode(x, radius=0.5, color=c).move_to(at) for x, c, at in zip(self.labels, self.colors, tops)]
        columns = [at + DOWN * 1.05 for at in tops]
        buckets = KeyBuckets(columns, len(self.drawn))
        before = [self.labels.index(o) for o in self.owners(self.modn_before)]
        after = [self.labels.index(o) for o in self.owners(self.modn_after)]
        moved = [i for i in range(len(self.drawn)) if before[i] != after[i]]
        self.example = (moved or list(range(len(self.drawn))) or [None])[0]
        newcomer, above = servers[-1], tops[-1] + UP * 1.2
        counter = self.moved_counter()
        frac = self.st[self.modn_after]["moved_fraction"] * 100
        parts = VGroup(*servers, buckets, counter)
        if self.example is not None:
            e = self.example
            name = mono(self.s["drawn"][e]["key"], font_size=theme.LABEL_SIZE, color=theme.HIGHLIGHT)
            lines = [mono(f"hash mod {len(st['labels'])} = {st['drawn_mod'][e]} → {st['labels'][st['drawn_mod'][e]]}",
                          font_size=theme.LABEL_SIZE) for st in (self.st[self.modn_before], self.st[self.modn_after])]
            card = VGroup(label("one key", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED), name, *lines)
            card.arrange(DOWN, buff=0.16, aligned_edge=LEFT)
            card.move_to(PANEL.point(0.5, 0.36))
            self.example_lines = lines
            parts.add(card)

        def draw(_: Any) -> None:
            u = clock.get_value()
            drop, fly = float(np.clip(u, 0, 1)), float(np.clip(u - 1, 0, 1))
            newcomer.move_to(above + (tops[-1] - above) * drop).set_opacity(drop)
            buckets.show(before, after, self.colors, fly, self.example)
            counter.set_value(round(frac * fly))
            if self.example is not None:
                self.example_lines[1].set_opacity(fly)
                self.example_lines[0].set_opacity(1.0 - 0.6 * fly)

        draw(None)
        parts.add_updater(draw)
        return parts, clock

    # --- the ring stage -----------------------------------------------------------------------------
    def ring_state(self, u: float) -> dict[str, Any]:
        """Everything the ring shows at clock ``u`` (see :data:`PHASES`)."""
        if u <= PHASES.index("high"):
            joining = phase(u, "add_low", end=0.5)
            event = "ring_low_add" if joining > 0 else "ring_low"
            landed = {x: phase(u, "land", start=k / self.n, end=(k + 1) / self.n)
                      for k, x in enumerate(self.landing_order)}
            state = {"points": self.points(event), "bend": phase(u, "bend"), "key_opacity": phase(u, "keys"),
                     "arc_opacity": phase(u, "paint"), "opacity": {**landed, self.joiner: joining}}
            painted = phase(u, "paint")
            if joining > 0:
                state.update(owners=self.owners("ring_low_add"), previous=self.owners("ring_low"),
                             blend=phase(u, "add_low", start=0.5))
            else:
                state.update(owners=self.owners("ring_low"), previous=[None] * len(self.keys), blend=painted)
            if self.walker is not None and PHASES.index("walk") <= u < PHASES.index("paint") + 0.5:
                start, end = self.walker
                state["walk"] = (start, end, phase(u, "walk"))
            return state
        adding, leaving = phase(u, "add_high", end=0.5), phase(u, "remove", end=0.5)
        if phase(u, "remove", start=0.5) > 0:
            return {"points": self.points("ring_high_remove"), "owners": self.owners("ring_high_remove"),
                    "previous": self.owners("ring_high_add"), "blend": phase(u, "remove", start=0.5)}
        if adding > 0:
            return {"points": self.points("ring_high_add"), "owners": self.owners("ring_high_add"),
                    "previous": self.owners("ring_high"), "blend": phase(u, "add_high", start=0.5),
                    "opacity": {self.joiner: adding, self.gone: 1.0 - leaving}}
        return {"points": self.points("ring_high"), "owners": self.owners("ring_high")}

    def ring_stage(self) -> tuple[HashRing, ValueTracker]:
        clock = ValueTracker(0.0)
        ring = HashRing(self.labels, self.colors, n_keys=len(self.keys), radius=RING_RADIUS,
                        line_length=layout.MAIN.width - 0.6).move_center_to(RING_CENTER)
        low = self.st["ring_low"]
        self.landing_order = [pt["label"] for pt in low["points"]]
        far = max(range(len(self.keys)), key=lambda j: ((low["points"][low["drawn_point"][j]]["pos"] - self.keys[j]) % 1.0,
                                                       -j), default=None)
        self.walker = None if far is None else (self.keys[far], low["points"][low["drawn_point"][far]]["pos"])
        self.walker_owner = None if far is None else low["points"][low["drawn_point"][far]]["label"]
        ring.add_updater(lambda r: r.show(keys=self.keys, **self.ring_state(clock.get_value())))
        ring.show(keys=self.keys, **self.ring_state(0.0))
        return ring, clock

    def chart(self, title: str, values: dict[str, float]) -> VGroup:
        names = [x for x in self.labels if x in values]
        chart = BarChart(names, [values[x] for x in names], width=PANEL.width - 0.3, height=1.7,
                         colors=[self.colors[self.labels.index(x)] for x in names])
        group = VGroup(label(title, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED), chart).arrange(DOWN, buff=0.3)
        return PANEL.place(group, align=DOWN, buff=0.05)

    def share_chart(self, event: str) -> VGroup:
        return self.chart("share of all keys, %", {x: v * 100 / self.p["n_keys"] for x, v in self.st[event]["load"].items()})

    def moved_counter(self) -> Counter:
        return Counter("keys that moved", 0, suffix="%", font_size=theme.HEADING_SIZE).move_to(PANEL.point(0.5, 0.88))

    def follow_moves(self, counter: Counter, clock: ValueTracker, event: str, name: str) -> Counter:
        """``counter`` shows the share of keys moved in ``event`` as the keys of phase ``name`` change owner."""
        frac = self.st[event]["moved_fraction"] * 100
        counter.add_updater(lambda c: c.set_value(round(frac * phase(clock.get_value(), name, start=0.5))))
        return counter

    def swap(self, old: VGroup | None, new: VGroup) -> VGroup:
        self.play(*([FadeOut(old)] if old is not None else []), FadeIn(new), run_time=0.6)
        return new

    # --- beats ------------------------------------------------------------------------------------
    def construct(self) -> None:
        self.chapter("Mod-N breaks")
        self.show_title_card(3.0)
        self.modn_beat()
        self.chapter("The ring")
        ring, clock = self.ring_stage()
        self.ring_beat(ring, clock)
        self.add_one_point_beat(clock)
        self.chapter("Virtual nodes")
        self.vnodes_beat(clock)
        self.chapter("Leaving, and the takeaway")
        self.leave_beat(clock)
        self.takeaway()

    def modn_beat(self) -> None:
        stage, clock = self.buckets_stage()
        self.reveal(stage, heading="hash mod N")
        self.caption(f"{self.n} cache servers share the keys by hash mod {self.n}.")
        self.wait(1.6)
        if self.example is not None:
            e = self.example
            self.caption(f"This key's hash mod {self.n} is {self.st[self.modn_before]['drawn_mod'][e]}: "
                         f"server {self.owners(self.modn_before)[e]}.")
            self.wait(1.0)
        self.narrate(f"Now add server {self.joiner}.", clock, 1.0, 2.0)
        self.narrate("Almost every key moves to another server.", clock, 2.0, 5.0)
        if self.example is not None:
            e = self.example
            self.caption(f"Mod {self.n_after}, the same hash picks {self.owners(self.modn_after)[e]} instead.")
            self.wait(0.8)
        self.caption(f"{self.pct(self.modn_after)}% of all {self.p['n_keys']} keys moved: each a cache miss.")
        self.wait(1.2)
        stage.clear_updaters()
        self.clear_caption()
        self.clear_stage()

    def ring_beat(self, ring: HashRing, clock: ValueTracker) -> None:
        start, end = ring.point_at(0.0, bend=0.0), ring.point_at(1.0, bend=0.0)
        ends = VGroup(label("lowest hash", font_size=theme.MIN_FONT_SIZE, color=theme.TEXT),
                      label("highest hash", font_size=theme.MIN_FONT_SIZE, color=theme.TEXT))
        ends[0].next_to(start, DOWN, buff=0.25).align_to(start, LEFT)
        ends[1].next_to(end, DOWN, buff=0.25).align_to(end, RIGHT)
        self.reveal(ring, ends, heading="The hash ring")
        self.caption("Lay out every possible hash on one line...")
        self.wait(1.2)
        self.play(FadeOut(ends), run_time=0.4)
        self.narrate("...and bend it into a circle.", clock, 1.0, 3.0)
        self.narrate(f"Each server hashes its name to {'a point' if self.one_point else self.low_points} on it.",
                     clock, 2.0, 3.6)
        self.narrate("Keys are hashed onto the same circle.", clock, 3.0, 2.4)
        if self.walker is not None:
            self.narrate(f"A key walks clockwise to the first server: {self.walker_owner}.", clock, 4.0, 4.0)
        self.advance(clock, 4.0, 0.3)
        self.narrate("So each server owns the arc that ends at it.", clock, 5.0, 3.0)
        self.side_chart = self.swap(None, self.share_chart("ring_low"))
        self.poster_time = self.time
        worst = self.st["ring_low"]["max_over_mean"]
        self.caption(f"{self.low_points.capitalize()} each: the busiest holds {worst:.1f}× the average.")
        self.wait(1.8)

    def add_one_point_beat(self, clock: ValueTracker) -> None:
        if self.one_point:
            self.donor_checkpoint()
        moved = self.follow_moves(self.moved_counter(), clock, "ring_low_add", "add_low")
        self.play(FadeIn(moved), run_time=0.4)
        self.narrate(f"{self.joiner} joins: it lands on {self.low_points}.", clock, 5.5, 2.4)
        donors = self.st["ring_low_add"]["donors"]
        source = f"all from {donors[0]}" if len(donors) == 1 else f"from {len(donors)} servers"
        arcs = "arc" if self.one_point else "arcs"
        self.narrate(f"Only keys in {self.joiner}'s new {arcs} move, {source}.", clock, 6.0, 3.0)
        self.side_chart = self.swap(self.side_chart, self.share_chart("ring_low_add"))
        self.caption(f"{self.pct('ring_low_add')}% of keys moved here, not {self.pct(self.modn_after)}%.")
        self.wait(1.4)
        if len(donors) == 1:
            self.caption(f"But only {donors[0]} got relief: the loads stay lopsided.")
            self.wait(0.8)
        moved.clear_updaters()
        self.clear_caption()
        self.play(FadeOut(moved), FadeOut(self.side_chart), run_time=0.4)

    def donor_checkpoint(self) -> None:
        spots = [pt["label"] for pt in self.st["ring_low_add"]["points"]]
        after = spots[(spots.index(self.joiner) + 1) % len(spots)]
        choices = [x for x in self.labels if x != self.joiner]
        self.checkpoint(f"{self.joiner} joins the ring at one point. Which server gives up keys?", choices,
                        choices.index(after), f"Keys walk clockwise: the arc just before {self.joiner} used to end "
                                              f"at {after}, the next server after it.")

    def vnodes_beat(self, clock: ValueTracker) -> None:
        V, low, high = self.p["vnodes_high"], self.st["ring_low"], self.st["ring_high"]
        balance = Counter("busiest / average", 0, decimals=2, font_size=theme.HEADING_SIZE).move_to(PANEL.point(0.5, 0.88))
        balance.set_value(low["max_over_mean"])
        self.caption(f"Now give each server {V} points instead of {'one' if self.one_point else self.p['vnodes_low']}.")
        self.fade_cut(lambda: clock.set_value(PHASES.index("high") + 0.5))
        self.play(*self.set_heading("Virtual nodes"), FadeIn(balance), run_time=0.5)
        self.wait(1.8)
        self.caption("Virtual nodes: more spots on the ring, not more machines.")
        self.wait(1.4)
        self.side_chart = self.swap(None, self.share_chart("ring_high"))
        balance.set_value(high["max_over_mean"])
        self.caption(f"Small arcs average out: busiest / average {low['max_over_mean']:.2f} → "
                     f"{high['max_over_mean']:.2f}.")
        self.wait(1.6)
        self.clear_caption()
        self.spread_checkpoint()
        moved = self.follow_moves(self.moved_counter(), clock, "ring_high_add", "add_high")
        self.play(FadeOut(balance), FadeIn(moved), run_time=0.4)
        self.narrate(f"{self.joiner} joins with {V} points of its own.", clock, PHASES.index("add_high") + 0.5, 2.8)
        self.side_chart = self.swap(self.side_chart, self.chart(
            f"keys given to {self.joiner}, of {self.p['n_keys']}", self.st["ring_high_add"]["moved_from"]))
        self.narrate(f"It takes a thin slice from every server: {self.pct('ring_high_add')}% in all.", clock,
                     PHASES.index("remove"), 3.6)
        self.wait(0.8)
        moved.clear_updaters()
        self.moved = moved

    def spread_checkpoint(self) -> None:
        donors, n = self.st["ring_high_add"]["donors"], len(self.st["ring_high"]["labels"])
        choices = ["only its clockwise neighbour", f"a little from all {n} servers", "nobody: no key moves"]
        answer = 1 if len(donors) == n else 0 if len(donors) == 1 else 2 if not donors else 3
        if answer == 3:
            choices.append(f"{len(donors)} of the {n} servers")
        self.checkpoint(f"{self.joiner} joins with {self.p['vnodes_high']} points. Who gives up keys?", choices, answer,
                        f"{self.joiner}'s points land all over the ring, so each one cuts a small arc from "
                        f"whichever server came next.")

    def leave_beat(self, clock: ValueTracker) -> None:
        step = self.st["ring_high_remove"]
        takers, survivors = step["receivers"], len(step["labels"])
        self.checkpoint(f"Server {self.gone} leaves. Where do its keys go?",
                        ["all to one neighbour", "spread over the others", "they are lost"],
                        1 if len(takers) > 1 else 0, f"Each of {self.gone}'s points hands its arc to the next "
                                                      f"point clockwise, and those belong to different servers.")
        moved = self.follow_moves(self.moved_counter(), clock, "ring_high_remove", "remove")
        self.play(FadeOut(self.moved), FadeIn(moved), *self.set_heading("A server leaves"), run_time=0.5)
        self.narrate(f"Now {self.gone} leaves the ring.", clock, PHASES.index("remove") + 0.5, 2.4)
        self.side_chart = self.swap(self.side_chart, self.chart(
            f"keys taken from {self.gone}, of {self.p['n_keys']}", step["moved_to"]))
        spread = f"all {survivors} survivors" if len(takers) == survivors else f"{len(takers)} servers"
        self.narrate(f"Its {self.pct('ring_high_remove')}% of keys spread over {spread}.", clock,
                     PHASES.index("remove") + 1.0, 3.6)
        self.caption("No single neighbour has to absorb the load." if len(takers) > 1
                     else "Its one neighbour absorbs the whole load.")
        self.wait(1.0)
        moved.clear_updaters()
        self.clear_caption()

    def takeaway(self) -> None:
        self.clear_stage()
        rows = [[r["row"], f"{r['moved_on_add'] * 100:.0f}%", f"{r['max_over_mean']:.2f}",
                 "none" if r["ring_points"] is None else f"{r['ring_points']} points"] for r in self.s["table"]]
        table = TableWidget(["scheme", "keys moved on add", "busiest / average", "lookup table"], rows,
                            font_size=theme.BODY_SIZE + 4, row_height=0.95, max_width=layout.STAGE.width)
        layout.STAGE.place(table)
        self.caption(f"A ring moves about one key in {self.n_after}, not almost all.")
        self.play(*self.set_heading("Takeaway"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(2.4)
        self.caption("Virtual nodes even the load, for a bigger ring table.")
        self.wait(1.6)
        self.finish()
