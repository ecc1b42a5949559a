"""Eventual Consistency: three replicas take writes alone, answer stale reads, lose a concurrent write
to last-writer-wins and are reunited by anti-entropy (storyboard: eventual-consistency.md).

The stage is one pure function of the simulated clock (:meth:`EventualConsistencyScene.draw_at`):
each replica's version card, the latest client operation at it (with a stale or lost badge), the
message dots (interpolated between ``send_ms`` and ``deliver_ms``), the agreement lamp and the
counters are read from the trace at that instant. The beats pick their moments from the trace's
named events (the first write and the stale reads, the lost write and the dropped copy, the
anti-entropy repair, the session read) and move the clock slowly while messages fly.
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Circle, FadeIn, ValueTracker, VGroup, VMobject

from scenes.kit import (Counter, ExplainerScene, Flight, FlightLayer, Legend, ServerNode, SimTimeReadout, SwapText,
                        TableWidget, label, layout, mono, theme)
from scenes.kit.badges import StaleBadge, VersionTag

__all__ = ["EventualConsistencyScene"]

PANEL = layout.SIDE_PANEL
COLUMNS = [p[0] for p in layout.MAIN.row(3)]
NODE_Y = layout.MAIN.point(0, 0.37)[1]
CARD_Y = NODE_Y + 1.35
BADGE_Y = CARD_Y + 0.65
OP_Y = BADGE_Y + 0.55
KIND_COLOR = {"replicate": theme.MESSAGE, "anti_entropy": theme.ACCENT, "forward": theme.NODE,
              "forward_reply": theme.NODE}
OP_HOLD_MS = 500  #: how long a client's operation stays written above its replica
GHOST_MS = 60  #: how long a lost write's version shows struck through on a card that ignores it
FLASH_MS = 45  #: how long a card's outline lights up after it applies a newer version
FIZZLE_MS = 60
LONG_HOP_BEND = 1.4  #: radians of the arcs between the two outer replicas


def stamp(ts: list[int]) -> str:
    return f"[{ts[0]}, {ts[1]}]"


class AgreementLamp(VGroup):
    """A disc with a tick (all replicas agree) or a cross (they differ), and a line of text beside it."""

    def __init__(self) -> None:
        super().__init__()
        self.disc = Circle(radius=0.26, fill_opacity=1.0, stroke_width=0)
        self.glyph = VMobject(stroke_color=theme.BACKGROUND, stroke_width=6.0)
        self.text = SwapText("replicas agree", font_size=theme.LABEL_SIZE, monospace=False)
        self.add(self.disc, self.glyph, self.text)
        self.state: tuple | None = None

    def set_state(self, distinct: int) -> None:
        if self.state == distinct:
            return
        self.state = distinct
        c = self.disc.get_center()
        if distinct == 1:
            corners = [c + np.array(v) for v in ((-0.12, 0.0, 0), (-0.03, -0.1, 0), (0.13, 0.1, 0))]
            self.glyph.set_points_as_corners(corners)
        else:
            a, b = np.array([0.1, 0.1, 0]), np.array([0.1, -0.1, 0])
            self.glyph.set_points_as_corners([c - a, c + a])
            self.glyph.start_new_path(c - b)
            self.glyph.add_line_to(c + b)
        self.disc.set_fill(color=theme.SUCCESS if distinct == 1 else theme.FAILURE)
        self.text.set_text("replicas agree" if distinct == 1 else f"{distinct} different values")
        self.text.next_to(self.disc, RIGHT, buff=0.2)


class EventualConsistencyScene(ExplainerScene):
    """Local writes, stale reads, convergence, a lost concurrent write, anti-entropy and read-your-writes."""

    # --- reading the trace -----------------------------------------------------------
    def setup(self) -> None:
        p, s = self.trace["params"], self.trace["summary"]
        self.p, self.s, self.key = p, s, p["key"]
        self.replicas = p["replicas"]
        self.steps = self.trace["steps"]
        self.step_t = [st["t_ms"] for st in self.steps]
        self.writes = {w["id"]: w for w in s["writes"]}
        self.lost = {c["write"]: c for c in s["conflicts"]}
        self.ops = {r: sorted([(w["t_ms"], "write", w) for w in s["writes"] if w["replica"] == r]
                              + [(x["t_ms"], "read", x) for x in s["reads"] if x["replica"] == r], key=lambda o: o[0])
                    for r in self.replicas}
        self.marks = [(st["t_ms"], st["event"], st["replica"], st["value"], st["ts"]) for st in self.steps
                      if st["event"] in ("apply", "ignore_older")]
        #: the stamps of lost writes: when a replica ignores one of these, its card shows it struck through
        self.lost_stamps = [self.writes[c["write"]]["ts"] for c in s["conflicts"]]
        self.poster_time = 0.0

    def state_at(self, t: float) -> dict[str, Any]:
        i = bisect.bisect_right(self.step_t, t) - 1
        return self.steps[max(i, 0)]

    # --- the stage -----------------------------------------------------------------------
    def build_stage(self, clock: ValueTracker) -> VGroup:
        self.nodes = {r: ServerNode(r, radius=0.55, timer=True).move_to([x, NODE_Y, 0])
                      for r, x in zip(self.replicas, COLUMNS)}
        initial = stamp([0, 0])
        self.cards = {r: VersionTag(self.p["initial"], initial, width=self.card_width()).move_to([x, CARD_Y, 0])
                      for r, x in zip(self.replicas, COLUMNS)}
        self.op_lines = {r: SwapText("·", font_size=theme.LABEL_SIZE, monospace=False).move_to([x, OP_Y, 0])
                         for r, x in zip(self.replicas, COLUMNS)}
        self.badges = {r: StaleBadge("stale").move_to([x, BADGE_Y, 0]) for r, x in zip(self.replicas, COLUMNS)}
        self.flights = FlightLayer(self.message_flights(), fizzle_time=FIZZLE_MS)
        self.clock_readout = SimTimeReadout(unit="ms", digits=4)
        PANEL.place(self.clock_readout, align=UP + LEFT, fit=False)
        self.lamp = AgreementLamp().move_to(PANEL.point(0.3, 0.8))
        self.stale_counter = Counter("stale reads", 0, font_size=theme.HEADING_SIZE)
        self.stale_counter.move_to(PANEL.point(0.5, 0.62))
        self.legend = self.message_legend()
        moving = VGroup(*self.nodes.values(), *self.cards.values(), *self.op_lines.values(), *self.badges.values(),
                        self.flights, self.lamp, self.stale_counter, self.clock_readout.cells)
        self.draw_at(clock.get_value())
        moving.add_updater(lambda _: self.draw_at(clock.get_value()))
        return VGroup(self.clock_readout.still, self.legend, moving)

    def card_width(self) -> float:
        """Wide enough for the longest value and stamp any card shows."""
        shown = {(st["stores"][r][self.key]["value"], stamp(st["stores"][r][self.key]["ts"]))
                 for st in self.steps for r in self.replicas}
        widest = max(label(v, weight="BOLD").width + mono(ts, font_size=theme.MIN_FONT_SIZE).width for v, ts in shown)
        return widest + 0.45

    def route(self, src: str, dst: str) -> tuple[tuple, tuple, float]:
        a, b = self.nodes[src].body.get_center(), self.nodes[dst].body.get_center()
        i, j = self.replicas.index(src), self.replicas.index(dst)
        gap = self.nodes[src].ring.track.width / 2 + 0.04
        if abs(i - j) == 1:
            start, end = np.asarray(a), np.asarray(b)
            lane = DOWN * 0.13 if j > i else UP * 0.13
            unit = (end - start) / np.linalg.norm(end - start)
            return tuple(start + unit * gap + lane), tuple(end - unit * gap + lane), 0.0
        # the long hop leaves and enters from below, on two arcs under the middle replica (right of travel is
        # down going right, up going left)
        side = 1.0 if j > i else -1.0
        leave, enter = np.array([0.6 * side, -1.0, 0.0]), np.array([-0.6 * side, -1.0, 0.0])
        start = a + leave / np.linalg.norm(leave) * gap
        end = b + enter / np.linalg.norm(enter) * gap
        return tuple(start), tuple(end), (LONG_HOP_BEND if j > i else -LONG_HOP_BEND * 1.3)

    def message_flights(self) -> list[Flight]:
        flights = []
        for m in self.s["messages"]:
            start, end, bend = self.route(m["src"], m["dst"])
            value = m["versions"][0]["value"] if m["versions"] else ""
            flights.append(Flight(start, end, m["send_ms"], m["deliver_ms"], color=KIND_COLOR[m["kind"]],
                                  hollow=m["kind"] != "replicate", radius=0.11, dropped=m["dropped"], drop_at=0.6,
                                  arc=bend, tag=value))
        return flights

    def message_legend(self) -> Legend:
        def dot(kind: str) -> Circle:
            color = KIND_COLOR[kind]
            return Circle(radius=0.1, stroke_color=color, stroke_width=3.0,
                          fill_color=color if kind == "replicate" else theme.BACKGROUND, fill_opacity=1.0)

        cross = VGroup(VMobject().set_points_as_corners([[-0.1, 0.1, 0], [0.1, -0.1, 0]]),
                       VMobject().set_points_as_corners([[-0.1, -0.1, 0], [0.1, 0.1, 0]]))
        cross.set_stroke(color=theme.MESSAGE, width=4.0)
        legend = Legend([(dot("replicate"), "copy of a write"), (dot("anti_entropy"), "anti-entropy swap"),
                         (cross, "copy lost")], title="messages")
        return PANEL.place(legend, align=DOWN + LEFT, fit=False)

    # --- one frame, from the trace -------------------------------------------------------------
    def draw_at(self, t: float) -> None:
        state = self.state_at(t)
        for r in self.replicas:
            version = state["stores"][r][self.key]
            ghost = next(((v, ts) for when, ev, who, v, ts in self.marks if ev == "ignore_older" and who == r
                          and ts in self.lost_stamps and when <= t < when + GHOST_MS), None)
            fresh = any(ev == "apply" and who == r and when <= t < when + FLASH_MS for when, ev, who, _, _ in self.marks)
            if ghost is not None:
                self.cards[r].set_version(ghost[0], stamp(ghost[1]), struck=True, color=theme.FAILURE)
            else:
                self.cards[r].set_version(version["value"], stamp(version["ts"]),
                                          color=theme.SUCCESS if fresh else theme.GRID)
            self.draw_op(r, t)
            waiting = next((x for x in self.s["reads"] if x["replica"] == r and x["session"] and x["waited_ms"]
                            and x["t_ms"] <= t < x["t_ms"] + x["waited_ms"]), None)
            ring = self.nodes[r].ring
            if waiting is not None:
                ring.set_fraction(float(np.clip(1 - (t - waiting["t_ms"]) / max(self.p["session_wait_max_ms"], 1),
                                                0.0, 1.0)), color=theme.HIGHLIGHT)
            ring.set_visible(waiting is not None)
        self.flights.show_at(t)
        self.lamp.set_state(state["distinct_versions"])
        self.stale_counter.set_value(sum(1 for x in self.s["reads"] if x["stale"] and x["returned_ms"] is not None
                                         and x["returned_ms"] <= t))
        self.clock_readout.set_value(t)

    def draw_op(self, r: str, t: float) -> None:
        op = next((o for o in reversed(self.ops[r]) if o[0] <= t < o[0] + OP_HOLD_MS), None)
        line, badge = self.op_lines[r], self.badges[r]
        if op is None:
            line.set_opacity(0.0)
            badge.set_shown(False)
            return
        _, kind, x = op
        if kind == "write":
            text = f"{x['client']} writes {x['value']}" + (" ✓" if t >= x["acked_ms"] else "")
            lost = self.lost.get(x["id"])
            flag = "lost" if lost and lost["overwritten_ms"] is not None and t >= lost["overwritten_ms"] else None
        else:
            done = x["returned_ms"] is not None and t >= x["returned_ms"]
            text = f"{x['client']} reads " + (x["returned_value"] if done else "…")
            flag = "stale" if done and x["stale"] else None
        line.set_text(text)
        line.set_opacity(1.0)
        badge.set_text(flag or "stale").set_shown(flag is not None)

    # --- helpers for the beats -------------------------------------------------------------------
    def tell(self, text: str, t_end: float, seconds: float = 0.0) -> None:
        self.narrate(text, self.clock, t_end, seconds)

    def hold(self, text: str, t_end: float | None = None, seconds: float = 0.0) -> None:
        """Caption ``text`` while the clock creeps on to ``t_end`` (default: stays), for its reading time."""
        self.narrate(text, self.clock, self.clock.get_value() if t_end is None else t_end, seconds)

    # --- beats --------------------------------------------------------------------------------------
    def construct(self) -> None:
        s = self.s
        if not s["stale_reads"] or not s["conflicts"] or not s["repairs"]:
            raise ValueError("this storyboard needs stale reads, a lost concurrent write and an anti-entropy repair")
        self.chapter("The surprise")
        self.show_title_card(3.0)
        first = s["writes"][0]
        self.clock = ValueTracker(first["t_ms"] - 10)
        self.reveal(self.build_stage(self.clock))
        self.hook(first)
        self.chapter("Stale, then consistent")
        self.stale_beat(first)
        self.chapter("Conflicts and repair")
        self.conflict_beat()
        self.repair_beat()
        self.chapter("Read your writes")
        self.session_beat()
        self.chapter("Takeaway")
        self.takeaway()

    def hook(self, first: dict[str, Any]) -> None:
        early = [x for x in self.s["reads"] if x["id"] in self.s["stale_reads"] and x["t_ms"] < self.first_landing()]
        self.tell(f"{first['client']} changes the {self.key} to {first['value']} at {first['replica']}.",
                  first["acked_ms"] + 1, 2.6)
        if early:
            r = early[0]
            self.checkpoint(f"Right after, {r['client']} reads the {self.key} at {r['replica']}. What comes back?",
                            [r["returned_value"], first["value"], "an error"], 0,
                            f"{r['replica']} has not received the copy of {first['value']} yet, so it answers with "
                            f"what it holds.")
            who = ", ".join(f"{x['client']} at {x['replica']}" for x in early)
            self.tell(f"Yet {who} still read {early[0]['returned_value']}.", max(x["t_ms"] for x in early) + 8, 3.6)
        latency = Counter("write latency", self.s["write_latency_ms"], suffix=" ms", font_size=theme.HEADING_SIZE)
        latency.move_to(PANEL.point(0.5, 0.44))
        self.caption(f"{first['replica']} stored and acknowledged the write alone, in "
                     f"{self.s['write_latency_ms']} ms.")
        self.play(FadeIn(latency), run_time=0.5)
        self.advance(self.clock, self.clock.get_value() + 20, 2.4)
        self.hold("Copies to the other replicas follow later.", self.clock.get_value() + 60, 3.0)
        self.latency = latency

    def first_landing(self) -> int:
        return min(m["deliver_ms"] for m in self.s["messages"] if m["write_id"] == self.s["writes"][0]["id"])

    def stale_beat(self, first: dict[str, Any]) -> None:
        agree = self.s["diverged_intervals"][0][1]
        self.tell("Until its copy lands, a replica answers with old data.", self.first_landing() + 15, 4.0)
        self.poster_time = self.time - 1.0
        self.tell("The copies land at different times.", agree + 15, 3.0)
        self.hold(f"No new writes, so all three agree on {first['value']}: eventually.", agree + 40, 3.4)

    def conflict_beat(self) -> None:
        c = self.s["conflicts"][0]
        loser, winner = self.writes[c["write"]], self.writes[c["beaten_by"]]
        first, second = sorted((winner, loser), key=lambda w: w["t_ms"])
        self.jump(self.clock, first["t_ms"] - 10)
        gap = c["later_by_ms"] if second is loser else -c["later_by_ms"]
        self.tell(f"{first['client']} writes {first['value']} at {first['replica']}; {gap} ms later, "
                  f"{second['client']} writes {second['value']} at {second['replica']}.", second["acked_ms"] + 1, 4.4)
        self.hold("Both are acknowledged: three replicas, three values.", second["acked_ms"] + 4, 2.4)
        self.checkpoint(f"{winner['value']} has stamp {stamp(winner['ts'])}, {loser['value']} {stamp(loser['ts'])}. "
                        f"Which value survives?", [winner["value"], loser["value"], "both, side by side"], 0,
                        "Last-writer-wins keeps the larger stamp, whatever happened first in real time.")
        copies = [m for m in self.s["messages"] if m["write_id"] in (loser["id"], winner["id"])]
        crossed = max(m["deliver_ms"] for m in copies)
        landed = min(m["deliver_ms"] for m in copies)
        overwritten = c["overwritten_ms"] if c["overwritten_ms"] is not None else crossed
        self.tell("Copies cross; every replica keeps the larger stamp.", landed + 10, 4.0)
        skew = c["clock_behind_ms"]
        self.tell(f"{loser['value']} was written later, but {loser['replica']}'s clock runs {skew} ms behind."
                  if skew > 0 and second is loser else f"{loser['value']} has the smaller stamp.",
                  max(overwritten, landed + 10), 3.6)
        self.tell(f"So {loser['client']}'s acknowledged write is silently lost.", max(crossed, overwritten) + 10, 3.4)
        drop = next((m for m in copies if m["dropped"]), None)
        if drop is not None:
            held = self.state_at(crossed + 10)["stores"][drop["dst"]][self.key]["value"]
            self.hold(f"One copy never arrived: {drop['dst']} still shows {held}.", crossed + 30, 2.6)

    def repair_beat(self) -> None:
        repair = self.s["repairs"][0]
        sweep = max(r["t_ms"] for r in self.s["ae_rounds"] if r["t_ms"] <= repair["t_ms"])
        self.jump(self.clock, sweep - 10)
        self.tell(f"Every {self.p['anti_entropy_ms']} ms, neighbours swap what they hold.", sweep + 25, 3.4)
        value = self.writes[repair["write_id"]]["value"] if repair["write_id"] else "the newest value"
        self.tell(f"{repair['replica']} pulls {value}: the sweep repairs what was missed.", repair["t_ms"] + 15, 3.8)
        end = next((b for a, b in self.s["diverged_intervals"] if a <= repair["t_ms"] <= b), repair["t_ms"])
        self.hold("All three agree again.", max(end, repair["t_ms"]) + 30, 2.0)

    def session_beat(self) -> None:
        read = next((x for x in self.s["reads"] if x["session"] and not x["pending"]), None)
        if read is None:
            raise ValueError("this storyboard needs a session read")
        mine = max((w for w in self.s["writes"] if w["client"] == read["client"] and w["t_ms"] <= read["t_ms"]),
                   key=lambda w: w["t_ms"])
        self.jump(self.clock, mine["t_ms"] - 10)
        self.tell(f"{mine['client']} writes {mine['value']} at {mine['replica']}, then reads at {read['replica']}.",
                  read["t_ms"] + 2, 3.4)
        before = self.state_at(read["t_ms"])["stores"][read["replica"]][self.key]["value"]
        choices = [f"{read['returned_value']}, after a wait", f"{before}, at once", "an error"]
        answer = 0 if read["waited_ms"] else 1
        self.checkpoint(f"{read['replica']} does not have {mine['value']} yet, and the read carries "
                        f"{mine['client']}'s session token. What comes back?", choices, answer,
                        "A session token names the newest write the client has made; the replica holds the read "
                        "until it has caught up.")
        self.hold(f"The read carries a session token {stamp(read['token'])}: the client's own write.",
                  read["t_ms"] + 6, 3.6)
        how = "waits" if not read["forwarded"] else "gives up and forwards it after"
        self.tell(f"{read['replica']} {how} {read['waited_ms']} ms, then returns {read['returned_value']} to "
                  f"{read['client']}.", read["returned_ms"] + 20, 4.4)

    def takeaway(self) -> None:
        s = self.s
        self.latency.clear_updaters()
        self.clear_stage()
        loser = self.writes[s["conflicts"][0]["write"]]
        rows = [["write latency", f"{s['write_latency_ms']} ms: writes never wait"],
                ["stale reads", f"{len(s['stale_reads'])} of {len(s['reads'])} reads"],
                ["lost writes", f"{len(s['lost_writes'])} ({loser['client']}'s {loser['value']}, acknowledged)"],
                ["longest disagreement", f"{s['max_diverged_ms']} ms"]]
        table = TableWidget(["eventual consistency", "in this run"], rows, font_size=theme.BODY_SIZE + 2,
                            row_height=0.9, max_width=layout.STAGE.width)
        layout.STAGE.place(table)
        self.caption("Writes never block; reads may be stale for a while.")
        self.play(*self.set_heading("Takeaway"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(2.4)
        self.caption("Conflicts need a rule, and last-writer-wins drops one.")
        self.wait(1.4)
        self.caption("Seeing your own writes takes a session token.")
        self.wait(1.0)
        self.finish()
