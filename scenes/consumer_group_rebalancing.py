"""Consumer Group Rebalancing: who owns which partition when members join, leave or crash, under the
eager and the cooperative protocol (storyboard: consumer-group-rebalancing.md).

The stage is a pure function of one variant's tick clock (:meth:`ConsumerGroupRebalancingScene.draw_at`):
tiles sit in their owner's box (or fall to the unassigned pool), paused tiles turn hollow, heartbeat,
JoinGroup, SyncGroup and LeaveGroup dots fly between members and the coordinator, and each member's
ring drains with its silence. Beats are keyed to the trace's rebalances (their start, syncs and end) and
to its eviction, so other seeds and timeouts tell the same story with their own numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Circle, FadeIn, FadeOut, Rectangle, ValueTracker, VGroup

from scenes.kit import (Counter, CrashBolt, ExplainerScene, Flight, FlightLayer, Legend, SimTimeReadout,
                        TableWidget, TimerRing, label, layout, theme)
from scenes.kit.layout import Region
from scenes.kit.streams import (CONSUMER, COORDINATOR, ConsumerNode, CoordinatorNode, PartitionTile,
                                count_choices)

__all__ = ["ConsumerGroupRebalancingScene"]

MAIN, PANEL = layout.MAIN, layout.SIDE_PANEL
POOL = Region(MAIN.left + 0.2, MAIN.right - 0.2, 0.95, 1.95)
ROW = Region(MAIN.left, MAIN.right, layout.STAGE.bottom, 0.8)
TOPIC_COLORS = (theme.MESSAGE, theme.NODE, theme.SUCCESS, theme.ACCENT)
STATE_WORDS = {"Stable": "stable", "PreparingRebalance": "joining", "CompletingRebalance": "syncing"}
MOVE = 0.6  #: ticks a tile takes to move to its new place
HEARTBEAT_FLIGHT = 0.5


def smooth(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


class ConsumerGroupRebalancingScene(ExplainerScene):
    """Eager and cooperative rebalances of one consumer group, then a graceful leave and a silent crash."""

    def setup(self) -> None:
        p, s = self.trace["params"], self.trace["summary"]
        self.p, self.s = p, s
        self.shared = self.trace["steps"]
        self.names = [q["name"] for q in self.trace["meta"]["partitions"]]
        topics = sorted(p["topics"])
        self.topic_of = {q["name"]: q["topic"] for q in self.trace["meta"]["partitions"]}
        self.colors = {t: TOPIC_COLORS[i % len(TOPIC_COLORS)] for i, t in enumerate(topics)}
        self.members = sorted({m["id"] for st in self.shared for m in st["members"]})
        self.coop = next(v for v in p["variants"] if v.startswith("cooperative"))
        self.eager = next(v for v in p["variants"] if v.startswith("eager"))
        self.events = {e["kind"]: e for e in s["event_times"]}
        self.timeout = p["session_timeout"]

    # --- reading the trace -----------------------------------------------------------------
    def vstep(self, t: float) -> dict[str, Any]:
        steps = self.trace["variants"][self.variant]["steps"]
        return steps[int(np.clip(np.floor(t), 0, len(steps) - 1))]

    def members_at(self, t: float) -> dict[str, dict[str, Any]]:
        return {m["id"]: m for m in self.shared[int(np.clip(np.floor(t), 0, len(self.shared) - 1))]["members"]}

    def rebalance(self, variant: str, trigger: str) -> dict[str, Any]:
        return next(r for r in self.trace["variants"][variant]["rebalances"] if r["trigger"] == trigger)

    # --- the stage ---------------------------------------------------------------------------
    def build_stage(self, variant: str, clock: ValueTracker, count_from: float) -> VGroup:
        self.variant, self.count_from = variant, count_from
        self.coordinator = CoordinatorNode("group coordinator", detail="gen · syncing", width=3.4)
        self.coordinator.move_to(MAIN.point(0.5, 0.93))
        spots = ROW.row(len(self.members))
        width = min(ROW.width / len(self.members) - 0.2, 2.3)
        self.nodes = {m: ConsumerNode(m, width=width, height=ROW.height - 0.15, badge="leader").move_to(at)
                      for m, at in zip(self.members, spots)}
        self.rings = {m: TimerRing(0.16, stroke_width=3.5).move_to(n.box.get_corner(DOWN + LEFT) + np.array([0.3, 0.3, 0]))
                      for m, n in self.nodes.items()}
        self.bolts = {m: CrashBolt(0.8).move_to(n.box.get_center() + DOWN * 0.55) for m, n in self.nodes.items()}
        self.tiles = {q: PartitionTile(q, color=self.colors[self.topic_of[q]], width=min(0.92, width / 2 - 0.08))
                      for q in self.names}
        self.pool = VGroup(Rectangle(width=POOL.width, height=POOL.height, stroke_color=theme.GRID, stroke_width=2.0),
                           label("unassigned", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED))
        self.pool.move_to(POOL.center)
        self.pool[1].next_to(self.pool[0].get_corner(UP + LEFT), DOWN + RIGHT, buff=0.06)
        self.flights = FlightLayer(self.protocol_flights(variant), fizzle_time=1.0)
        self.clock_readout = SimTimeReadout(unit="s", digits=3, title="group time")
        self.paused_counter = Counter("paused partition-seconds", 0, font_size=theme.HEADING_SIZE)
        side = VGroup(self.clock_readout, self.paused_counter, self.legend()).arrange(DOWN, aligned_edge=LEFT, buff=0.4)
        PANEL.place(side, align=UP + LEFT)
        changing = VGroup(*self.nodes.values(), *self.rings.values(), *self.bolts.values(), *self.tiles.values(),
                          self.flights, self.coordinator, self.clock_readout.cells, self.paused_counter.number)
        self.draw_at(clock.get_value())
        changing.add_updater(lambda _: self.draw_at(clock.get_value()))
        return VGroup(self.pool, self.clock_readout.still, self.paused_counter.caption, self.key, changing)

    def legend(self) -> Legend:
        def dot(color: str, hollow: bool, radius: float = 0.09) -> Circle:
            return Circle(radius=radius, stroke_color=color, stroke_width=3.0,
                          fill_color=theme.BACKGROUND if hollow else color, fill_opacity=1.0)

        tile = PartitionTile("·", color=theme.MUTED, width=0.42, height=0.3).set_state(paused=True, show_lag=False)
        self.key = Legend([(dot(CONSUMER, True, 0.06), "heartbeat"), (dot(CONSUMER, False), "JoinGroup / LeaveGroup"),
                           (dot(COORDINATOR, False), "SyncGroup"), (tile, "paused partition")], title="messages")
        return self.key

    def protocol_flights(self, variant: str) -> list[Flight]:
        coord = self.coordinator.box.get_bottom()
        top = {m: n.box.get_top() for m, n in self.nodes.items()}
        flights = []
        for st in self.shared:
            for e in st["events"]:
                kind, _, who = e.partition(" ")
                if kind == "heartbeat":
                    flights.append(Flight(tuple(top[who]), tuple(coord), st["t"], st["t"] + HEARTBEAT_FLIGHT,
                                          color=CONSUMER, hollow=True, radius=0.06))
                elif kind == "leave":
                    flights.append(Flight(tuple(top[who]), tuple(coord), st["t"] - 0.6, st["t"], color=CONSUMER,
                                          radius=0.1, tag="leave"))
        join, sync = self.p["join_ticks"], self.p["sync_ticks"]
        for r in self.trace["variants"][variant]["rebalances"]:
            for s in r["syncs"]:
                start = s["t"] - join - sync
                for m in s["members"]:
                    if self.members_at(start)[m]["alive"]:
                        flights.append(Flight(tuple(top[m]), tuple(coord), start, start + join * 0.8, color=CONSUMER,
                                              radius=0.1))
                    flights.append(Flight(tuple(coord), tuple(top[m]), s["t"] - sync, s["t"] - 0.05,
                                          color=COORDINATOR, radius=0.1))
        return flights

    def place(self, q: str, tick: int) -> np.ndarray:
        """Where tile ``q`` sits at ``tick``: in its owner's box, or in the unassigned pool."""
        st = self.vstep(tick)
        owner = st["owner"][q]
        if owner is None:
            return POOL.row(len(self.names), fy=0.38)[self.names.index(q)]
        owned = sorted(p for p, o in st["owner"].items() if o == owner)
        return self.nodes[owner].tile_points(6)[owned.index(q)]

    def draw_at(self, t: float) -> None:
        st, members = self.vstep(t), self.members_at(t)
        i, f = int(np.floor(t)), t - np.floor(t)
        for q, tile in self.tiles.items():
            tile.move_to(self.place(q, i - 1) * (1 - smooth(f / MOVE)) + self.place(q, i) * smooth(f / MOVE))
            tile.set_state(paused=q in st["paused"], lag=st["lag"][q])
        for m, node in self.nodes.items():
            info = members.get(m)
            shown = info is not None
            node.set_opacity(1.0 if shown else 0.0)
            ring, bolt = self.rings[m], self.bolts[m]
            if not shown:
                ring.set_visible(False)
                bolt.set_opacity(0.0)
                continue
            gone = not info["in_group"]
            badge = (("evicted" if not info["alive"] else "left") if gone else "crashed" if not info["alive"]
                     else "leader" if info["is_leader"] else "")
            node.set_state(dimmed=gone or not info["alive"], badge=badge)
            silence = (t - info["last_heartbeat"]) if info["alive"] or info["in_group"] else self.timeout
            ring.set_fraction(float(np.clip(1 - silence / self.timeout, 0, 1)),
                              color=theme.FAILURE if not info["alive"] else theme.TEXT)
            ring.set_visible(not gone)
            bolt.set_opacity(0.0 if info["alive"] else 1.0)
        state = STATE_WORDS.get(st["group_state"], st["group_state"])
        rnd = f" · round {st['round']}" if st["round"] else ""
        self.coordinator.set_state(detail=f"gen {st['generation']} · {state}{rnd}")
        self.flights.show_at(t)
        self.clock_readout.set_value(t)
        self.paused_counter.set_value(self.paused_since(self.count_from, t))

    def paused_since(self, start: float, t: float) -> int:
        steps = self.trace["variants"][self.variant]["steps"]
        return sum(len(steps[k]["paused"]) for k in range(int(start), int(np.floor(t))) if 0 <= k < len(steps))

    # --- beats ------------------------------------------------------------------------------------
    def construct(self) -> None:
        join = self.events["join"]
        self.chapter("One owner per partition")
        self.show_title_card(3.0)
        self.clock = ValueTracker(join["t"] - 3)
        self.reveal(self.build_stage(self.eager, self.clock, join["t"]))
        self.narrate(f"{join['member']} joins a busy group...", self.clock, join["t"] + 0.5, 2.5)
        self.narrate("...and every partition stops.", self.clock, join["t"] + 2.6, 2.2)
        self.setup_beat(join)
        self.chapter("Eager rebalance")
        self.eager_beat(join)
        self.chapter("Cooperative rebalance")
        self.coop_beat(join)
        self.chapter("Leave and crash")
        self.leave_beat()
        self.crash_beat()
        self.chapter("Scoreboard")
        self.scoreboard()

    def restage(self, variant: str, t: float, count_from: float) -> None:
        self.clear_stage()
        self.clock = ValueTracker(t)
        self.reveal(self.build_stage(variant, self.clock, count_from))

    def setup_beat(self, join: dict[str, Any]) -> None:
        self.restage(self.eager, 0, 0)
        initial = self.trace["variants"][self.eager]["initial"]
        owns = "; ".join(f"{m}: {' '.join(parts)}" for m, parts in initial.items())
        self.narrate("Rewind: each partition has exactly one owner.", self.clock, 2.5, 3.0)
        self.narrate(f"{owns}.", self.clock, 5.0, 3.0)
        self.narrate(f"Every {self.p['heartbeat_interval']} s each member heartbeats the coordinator.", self.clock,
                     join["t"] - 2, 3.4)
        self.narrate("Its ring drains with silence and refills on each beat.", self.clock, join["t"] - 0.2, 3.0)

    def eager_beat(self, join: dict[str, Any]) -> None:
        r = self.rebalance(self.eager, "join")
        newcomer = join["member"]
        self.narrate(f"{newcomer} joins: the coordinator starts a rebalance.", self.clock, r["start_t"] + 0.7, 3.0)
        self.narrate("Eager: every member gives up every partition.", self.clock, r["start_t"] + 1.5, 3.2)
        self.poster_time = self.time - 0.8
        got = r["after"].get(newcomer, [])
        options = count_choices(len(got), len(self.names))
        self.checkpoint(f"Under {self.eager.split(':')[1]}, how many partitions will {newcomer} get?",
                        [str(o) for o in options], options.index(len(got)),
                        f"The {self.eager.split(':')[1]} assignor hands {newcomer} "
                        f"{' '.join(got) if got else 'nothing'} here.")
        self.narrate("JoinGroup, then the leader's plan comes back in SyncGroup.", self.clock, r["end_t"] - 0.3, 3.4)
        moved = len(r["moved"])
        self.narrate(f"{newcomer} gets {len(got) or 'nothing'}; {moved} moved, yet all {len(self.names)} stopped.",
                     self.clock, r["end_t"] + 0.8, 3.4)
        rr = next((v for v in self.p["variants"] if v.endswith("roundrobin")), None)
        if rr:
            rrr = self.rebalance(rr, "join")
            inset = TableWidget(["member", "round robin"], [[m, " ".join(ps) or "none"] for m, ps in rrr["after"].items()],
                                font_size=theme.MIN_FONT_SIZE, row_height=0.42)
            PANEL.place(inset, align=DOWN + LEFT)
            self.play(FadeOut(self.key), FadeIn(inset), run_time=0.4)
            self.narrate(f"Round robin would give {newcomer} {' '.join(rrr['after'].get(newcomer, [])) or 'nothing'} "
                         f"and move {len(rrr['moved'])}.", self.clock, r["end_t"] + 1.6, 4.2)
            self.play(FadeOut(inset), FadeIn(self.key), run_time=0.4)

    def coop_beat(self, join: dict[str, Any]) -> None:
        r = self.rebalance(self.coop, "join")
        eager_paused = self.rebalance(self.eager, "join")["paused_partition_ticks"]
        self.restage(self.coop, r["start_t"] - 1, r["start_t"])
        self.narrate(f"Same join, cooperative: {join['member']} asks in.", self.clock, r["start_t"] + 0.6, 3.0)
        first = r["syncs"][0]
        self.narrate("Round one: everyone keeps consuming.", self.clock, first["t"] - 0.2, 3.0)
        revoked = [q for q in r["moved"]]
        options = count_choices(len(revoked), len(self.names))
        self.checkpoint(f"How many partitions must stop while {join['member']} joins cooperatively?",
                        [str(o) for o in options], options.index(len(revoked)),
                        "Only partitions that change owner are given up, and only they wait.")
        self.narrate(f"At the sync, only {' '.join(revoked) or 'nothing'} is given up.", self.clock, first["t"] + 1.2,
                     3.2)
        self.narrate(f"Round two hands it over. Paused: {r['paused_partition_ticks']} vs {eager_paused}.",
                     self.clock, r["end_t"] + 0.8, 3.6)
        took = {x["variant"]: x["duration_t"] for x in self.s["scoreboard"] if x["trigger"] == "join"}
        self.narrate(f"The price: {r['rounds']} rounds, {took[self.coop]} s instead of {took[self.eager]} s.",
                     self.clock, r["end_t"] + 1.4, 3.0)

    def leave_beat(self) -> None:
        r = self.rebalance(self.coop, "leave")
        self.restage(self.coop, r["start_t"] - 1.6, r["start_t"])
        self.narrate(f"From here on, cooperative. {r['member']} leaves cleanly.", self.clock, r["start_t"] + 0.4, 3.2)
        gives = "; ".join(f"{q} to {next(m for m, ps in r['after'].items() if q in ps)}" for q in r["moved"])
        self.narrate(f"LeaveGroup starts a rebalance at once: {gives}.", self.clock, r["end_t"] + 0.8, 4.0)

    def crash_beat(self) -> None:
        ev = self.s["evictions"][0]
        r = self.rebalance(self.coop, "timeout")
        self.restage(self.coop, ev["crash_t"] - 1.5, ev["crash_t"])
        who = ev["member"]
        self.narrate(f"{who} crashes: no LeaveGroup, just silence.", self.clock, ev["crash_t"] + 1.5, 3.0)
        hb = ev["last_heartbeat"]
        choices = sorted({ev["crash_t"], hb + self.p["heartbeat_interval"], ev["evict_t"], ev["crash_t"] + self.timeout})
        self.checkpoint(f"{who}'s last heartbeat was at {hb} s; the session timeout is {self.timeout} s. "
                        f"When is it evicted?", [f"at {c} s" for c in choices], choices.index(ev["evict_t"]),
                        f"The coordinator waits the full timeout after the last heartbeat: {hb} + {self.timeout}.")
        self.narrate(f"Its partitions pile up lag while its ring drains for {self.timeout} s.", self.clock,
                     ev["evict_t"] - 1.5, 5.0)
        self.narrate(f"At {ev['evict_t']} s the coordinator evicts it.", self.clock, ev["evict_t"] + 0.6, 2.6)
        self.narrate("One round hands its partitions to the living.", self.clock, r["end_t"] + 1.5, 3.4)

    def scoreboard(self) -> None:
        self.clear_stage()
        rows, order = [], ["join", "leave", "timeout"]
        variants = self.p["variants"]
        for trig in order:
            cells = []
            for v in variants:
                row = next((x for x in self.s["scoreboard"] if x["variant"] == v and x["trigger"] == trig), None)
                cells.append(f"{row['moved']} moved · {row['paused_partition_ticks']} s paused" if row else "·")
            rows.append([{"join": "join", "leave": "leave", "timeout": "crash"}[trig]] + cells)
        table = TableWidget(["event"] + [v.replace(":", " ") for v in variants], rows, font_size=theme.LABEL_SIZE,
                            row_height=0.62, max_width=layout.STAGE.width)
        table.move_to(layout.STAGE.point(0.5, 0.62))
        self.caption("Partitions moved and seconds paused, per event.")
        self.play(*self.set_heading("Scoreboard"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(2.5)
        rng = next((v for v in variants if v.endswith("range")), variants[0])
        split = ", ".join(f"{m} {c}" for m, c in self.s["final_counts"][rng].items())
        self.caption(f"Range ends lopsided ({split}); the others balance.")
        self.wait(1.0)
        self.caption("Fewer moves, fewer pauses: prefer cooperative.")
        self.wait(1.0)
        self.clear_caption()
        lines = [f"Session timeout {self.timeout} s: a crash goes unseen that long",
                 "Shorter timeouts notice sooner, but false alarms rise",
                 f"Cooperative pauses only what moves, in {self.rebalance(self.coop, 'join')['rounds']} rounds"]
        self.clear_stage()
        self.caption("Tune the timeout; prefer cooperative rebalancing.")
        self.show_takeaway_card("Takeaway", lines, 5.0)
        self.finish()
