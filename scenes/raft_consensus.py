"""Raft Consensus: five servers elect a leader, commit on a majority, survive the leader's crash
(storyboard: raft-consensus.md).

The whole stage is one pure function of a simulated-time clock (:meth:`RaftConsensusScene.draw_at`):
node states, timer rings, logs and message dots are read from the trace at that instant (message
dots interpolate between each message's ``send_ms`` and ``deliver_ms``). The beats only move the
clock, slowly while messages fly and faster while timers merely drain, and write the captions.
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Circle, Create, FadeIn, FadeOut, Rectangle, SurroundingRectangle,
                   ValueTracker, VGroup, linear)
from manim.utils.space_ops import rotate_vector

from scenes.kit import (ClientNode, Counter, CrashBolt, ExplainerScene, Flight, FlightLayer, LeaderCrown, Legend,
                        LogCell, LogStrip, ServerNode, SimTimeReadout, TableWidget, route_between, theme)

__all__ = ["RaftConsensusScene"]

CENTER = np.array([-2.45, 0.37, 0.0])  #: middle of the ring of servers
RADIUS = 1.85
CLIENT_AT = np.array([-5.75, -1.85, 0.0])
CLOCK_AT = np.array([-5.45, 3.1, 0.0])  #: the simulated-time readout, top left
CLIENT_BEND = 1.6  #: radians; client writes curve around the server between the client and the leader
PANEL_TOP = 3.3  #: top of the log panel (its index labels)
PANEL_LEFT = 0.2
SIDE_GAP = 0.3  #: between the log panel and the column right of it (cell key, message legend, counter)
ROLE_COLOR = {"follower": theme.NODE, "candidate": theme.ACCENT, "leader": theme.HIGHLIGHT}
RPC_COLOR = {"RequestVote": theme.ACCENT, "RequestVoteReply": theme.ACCENT,
             "AppendEntries": theme.MESSAGE, "AppendEntriesReply": theme.MESSAGE}
CLIENT_MS = 10  #: how long a client write is shown flying to the leader (the trace has no client latency)
FIZZLE_MS = 6  #: how long a dropped message's cross lingers
CROWN_FALL_MS = 8  #: how long a dead leader's crown takes to fall
GHOST_MS = 6  #: how long truncated entries stay on screen, crossed out


class RaftConsensusScene(ExplainerScene):
    """Leader election, heartbeats, majority commit, a leader crash and its repair, from one Raft trace."""

    # --- reading the trace -------------------------------------------------------------
    def setup(self) -> None:
        p, s = self.trace["params"], self.trace["summary"]
        self.n = p["n_nodes"]
        self.majority = s["majority"]
        self.steps = self.trace["steps"]
        self.first_term = self.steps[0]["nodes"][0]["term"]
        self.step_t = [st["t_ms"] for st in self.steps]
        self.commits = {(c["index"], c["term"]): c["committed_ms"] for c in s["commits"]}
        self.leaders = s["leaders"]
        self.leaderless = s["leaderless"]
        self.crashes = [(st["t_ms"], st["node"], st["detail"]["lost"]["role"]) for st in self.steps if st["event"] == "crash"]
        self.truncations = [(st["t_ms"], st["node"], st["detail"]["from_index"], st["detail"]["removed"])
                            for st in self.steps if st["event"] == "truncate"]
        self.writes = [(st["t_ms"], st["node"], st["detail"]["cmd"]) for st in self.steps
                       if st["event"] == "client_write" and st["detail"].get("accepted") and st["node"] is not None]
        self.capacity = max([len(n["log"]) for st in self.steps for n in st["nodes"]] + [1])
        #: granted votes as they arrive, (deliver_ms, candidate, term): a deliver step's state is taken before
        #: the handler runs, so a candidate's votes_received lags one step behind the reply's arrival
        self.grants = [(m["deliver_ms"], m["dst"], m["term"]) for m in s["messages"]
                       if m["type"] == "RequestVoteReply" and m["payload"]["vote_granted"] and not m["dropped"]]
        self.poster_time = 0.0

    def nodes_at(self, t: float) -> list[dict[str, Any]]:
        """Every server's state after the last event at or before ``t`` (the first step's before it)."""
        i = bisect.bisect_right(self.step_t, t) - 1
        return self.steps[max(i, 0)]["nodes"]

    def leader_at(self, t: float) -> dict[str, Any] | None:
        return next((n for n in self.nodes_at(t) if n["alive"] and n["role"] == "leader"), None)

    # --- the stage -------------------------------------------------------------------------
    def node_center(self, node_id: int) -> np.ndarray:
        angle = np.deg2rad(36.0 - (node_id - 1) * 360.0 / self.n)
        return CENTER + RADIUS * np.array([np.cos(angle), np.sin(angle), 0.0])

    def build_stage(self, clock: ValueTracker) -> tuple[VGroup, VGroup]:
        self.servers = {}
        for i in range(1, self.n + 1):
            at = self.node_center(i)
            server = ServerNode(f"S{i}", detail=f"term {self.first_term}", badge="follower", timer=True,
                                badge_above=at[1] > CENTER[1] + 0.1)
            self.servers[i] = server.shift(at - server.body.get_center())
        self.bolts = {i: CrashBolt(0.85).move_to(s.body.get_center() + RIGHT * s.radius) for i, s in self.servers.items()}
        self.crown_shape = LeaderCrown(0.55)
        self.crown = self.crown_shape.copy()
        self.client = ClientNode("client", width=1.05).move_to(CLIENT_AT)
        self.logs = LogStrip([f"S{i}" for i in range(1, self.n + 1)], self.capacity, cell_width=0.9)
        self.logs.align_to([PANEL_LEFT, PANEL_TOP, 0], LEFT + UP)
        self.flights = FlightLayer(self.message_flights() + self.client_flights(), fizzle_time=FIZZLE_MS)
        self.sim_clock = SimTimeReadout(unit="ms", digits=4).move_to(CLOCK_AT)
        # what never changes is drawn once per animation as background; only the rest is redrawn each frame
        self.cell_key()
        still = VGroup(self.logs.index_labels, self.key, self.rpc_legend(), self.client, self.sim_clock.still)
        moving = VGroup(self.logs.row_names, self.logs.cells, self.flights, *self.servers.values(),
                        *self.bolts.values(), self.crown, self.sim_clock.cells)
        self.draw_at(clock.get_value())
        moving.add_updater(lambda _: self.draw_at(clock.get_value()))
        return still, moving

    def message_flights(self) -> list[Flight]:
        flights = []
        gap = self.servers[1].ring.track.width / 2 + 0.05
        for m in self.trace["summary"]["messages"]:
            start, end = route_between(self.node_center(m["src"]), self.node_center(m["dst"]), start_gap=gap,
                                       end_gap=gap, offset=0.09)
            entries = m["payload"].get("entries") or []
            flights.append(Flight(tuple(start), tuple(end), m["send_ms"], m["deliver_ms"], color=RPC_COLOR[m["type"]],
                                  hollow=m["type"].endswith("Reply"), radius=0.13 if entries else 0.09,
                                  dropped=m["dropped"], drop_at=0.8, tag=" ".join(cmd for _, cmd in entries)))
        return flights

    def client_flights(self) -> list[Flight]:
        flights = []
        for t, node, cmd in self.writes:
            target = self.node_center(node)
            # bend away from the ring's centre (left of travel, negative, when the target is above the client);
            # the ends then leave and arrive along the arc, not along the chord
            bend = 0.0 if abs(target[1] - CLIENT_AT[1]) < 0.5 else (-CLIENT_BEND if target[1] > CLIENT_AT[1] else CLIENT_BEND)
            start = self.client.edge_point(CLIENT_AT + rotate_vector(target - CLIENT_AT, -bend / 2))
            end = self.servers[node].edge_point(target + rotate_vector(start - target, bend / 2), gap=0.05)
            flights.append(Flight(tuple(start), tuple(end), t - CLIENT_MS, t, color=theme.TEXT, radius=0.11, arc=bend,
                                  tag=cmd))
        return flights

    def rpc_legend(self) -> Legend:
        def dot(kind: str, hollow: bool) -> Circle:
            return Circle(radius=0.09, stroke_color=RPC_COLOR[kind], stroke_width=3.0,
                          fill_color=theme.BACKGROUND if hollow else RPC_COLOR[kind], fill_opacity=1.0)

        self.legend = Legend([(dot("RequestVote", False), "RequestVote"), (dot("RequestVoteReply", True), "vote reply"),
                              (dot("AppendEntries", False), "AppendEntries"),
                              (dot("AppendEntriesReply", True), "append reply")], title="messages")
        self.legend.next_to(self.key, DOWN, buff=0.4).align_to(self.key, LEFT)
        return self.legend

    def cell_key(self) -> Legend:
        hollow = Rectangle(width=0.34, height=0.24, stroke_color=theme.TEXT, stroke_width=3.0)
        solid = Rectangle(width=0.34, height=0.24, stroke_color=theme.SUCCESS, fill_color=theme.SUCCESS, fill_opacity=1.0)
        self.key = Legend([(hollow, "stored"), (solid, "committed")], title="log cells")
        self.key.align_to([self.logs.get_right()[0] + SIDE_GAP, PANEL_TOP, 0], LEFT + UP)
        return self.key

    # --- one frame, from the trace ------------------------------------------------------------
    def draw_at(self, t: float) -> None:
        nodes = self.nodes_at(t)
        for n in nodes:
            server, alive = self.servers[n["id"]], n["alive"]
            server.set_state(badge=n["role"] if alive else "crashed", color=ROLE_COLOR[n["role"]],
                             detail=f"term {n['term']}", dimmed=not alive)
            timed = alive and n["role"] != "leader" and n["timer_deadline_ms"] is not None
            if timed:
                span = max(n["timer_deadline_ms"] - n["timer_start_ms"], 1)
                server.ring.set_fraction(float(np.clip((n["timer_deadline_ms"] - t) / span, 0.0, 1.0)))
            server.ring.set_visible(timed)
            self.bolts[n["id"]].set_opacity(0.0 if alive else 1.0)
            self.logs.set_row_dimmed(n["id"] - 1, not alive)
            self.logs.set_row(n["id"] - 1, self.row_cells(n, t))
        self.draw_crown(nodes, t)
        self.flights.show_at(t)
        self.sim_clock.set_value(t)

    def row_cells(self, node: dict[str, Any], t: float) -> list[LogCell]:
        cells = [LogCell(cmd, f"term {term}", committed=self.commits.get((i, term), np.inf) <= t)
                 for i, (term, cmd) in enumerate(node["log"], 1)]
        for when, who, first, removed in self.truncations:
            if who == node["id"] and when <= t < when + GHOST_MS:
                cells = cells[:first - 1] + [LogCell(cmd, f"term {term}", struck=True) for term, cmd in removed]
        return cells

    def draw_crown(self, nodes: list[dict[str, Any]], t: float) -> None:
        leader = next((n for n in nodes if n["alive"] and n["role"] == "leader"), None)
        self.crown.become(self.crown_shape)
        if leader is not None:
            self.crown.place_on(self.servers[leader["id"]]).set_opacity(1.0)
            return
        fall = next((((t - when) / CROWN_FALL_MS, who) for when, who, role in self.crashes
                     if role == "leader" and when <= t < when + CROWN_FALL_MS), None)
        if fall is None:
            self.crown.set_opacity(0.0)
            return
        progress, who = fall
        self.crown.place_on(self.servers[who])
        self.crown.rotate(progress * 1.2).shift((LEFT * 0.8 + UP * -1.1) * progress).set_opacity(1.0 - progress)

    # --- helpers for the beats ------------------------------------------------------------------
    def run(self, t_end: float, seconds: float) -> None:
        self.advance(self.clock, t_end, seconds)

    def tell(self, text: str, t_end: float, seconds: float = 0.0) -> None:
        """Caption ``text`` while the clock moves to ``t_end`` (over at least its reading time)."""
        self.narrate(text, self.clock, t_end, seconds)

    def place_counter(self, counter: Counter) -> Counter:
        """Under the message legend, left-aligned with it."""
        counter.number.align_to(counter.caption, LEFT)
        return counter.next_to(self.legend, DOWN, buff=0.45).align_to(self.legend, LEFT)

    def votes_counter(self, node_id: int) -> Counter:
        counter = self.place_counter(Counter(f"votes for S{node_id}", 0, suffix=f" of {self.n}"))

        def count(c: Counter) -> None:
            t = self.clock.get_value()
            n = self.nodes_at(t)[node_id - 1]
            if n["role"] == "leader":
                c.set_value(len(n["votes_received"]))
            elif n["role"] == "candidate":
                c.set_value(1 + sum(1 for when, dst, term in self.grants if dst == node_id and term == n["term"] and when <= t))
            else:
                c.set_value(0)

        count(counter)
        counter.add_updater(count)
        return counter

    def commit_counter(self) -> Counter:
        counter = self.place_counter(Counter("commit index", 0))

        def count(c: Counter) -> None:
            leader = self.leader_at(self.clock.get_value())
            c.set_value(leader["commit_index"] if leader else c.value)

        count(counter)
        counter.add_updater(count)
        return counter

    def swap_counter(self, old: Counter | None, new: Counter | None) -> None:
        anims = []
        if old is not None:
            old.clear_updaters()
            anims.append(FadeOut(old))
        if new is not None:
            anims.append(FadeIn(new))
        self.play(*anims, run_time=0.4)

    def row_box(self, node_id: int) -> SurroundingRectangle:
        row = VGroup(self.logs.row_names[node_id - 1], *self.logs.rows[node_id - 1])
        return SurroundingRectangle(row, color=theme.HIGHLIGHT, buff=0.06, stroke_width=3.0)

    # --- beats ------------------------------------------------------------------------------------
    def construct(self) -> None:
        crash_ms, victim = next(((w, who) for w, who, role in self.crashes if role == "leader"), (0, 0))
        if len(self.leaders) < 2 or not victim or len(self.writes) < 3:
            raise ValueError("this storyboard needs a trace with two leaders, a leader crash and three client writes")
        first = self.leaders[0]
        second = next(ld for ld in self.leaders if ld["elected_ms"] > crash_ms)
        self.chapter("Who is in charge?")
        self.show_title_card(3.0)
        self.clock = ValueTracker(crash_ms - 60)
        self.reveal(*self.build_stage(self.clock))
        self.tell(f"{self.n} servers keep one shared log.", crash_ms - 10)
        self.tell("Then the leader crashes. Who is in charge now?", crash_ms + 12)
        self.timers_beat(first)
        self.chapter("Electing a leader")
        votes = self.votes_counter(first["node"])
        self.swap_counter(None, votes)
        self.election_beat(first)
        self.chapter("Replication and commit")
        commit = self.commit_counter()
        self.swap_counter(votes, commit)
        self.replication_beat(crash_ms)
        self.chapter("Crash and re-election")
        commit = self.crash_beat(crash_ms, second, commit)
        self.chapter("Safety and cost")
        self.return_beat(crash_ms, victim, second)
        commit.clear_updaters()
        self.takeaway(crash_ms)

    def timers_beat(self, first: dict[str, Any]) -> None:
        self.caption(f"Rewind to the start: no leader, term {self.first_term}.")
        self.jump(self.clock, 0)
        self.wait(0.8)
        lo, hi = self.trace["params"]["election_timeout_ms"]
        self.tell(f"Each server waits a random {lo}–{hi} ms for a leader.", first["elected_ms"] - 57, 3.6)
        self.tell("Its ring shows the time left before it gives up.", first["elected_ms"] - 26)

    def election_beat(self, first: dict[str, Any]) -> None:
        who, elected = f"S{first['node']}", first["elected_ms"]
        self.tell(f"{who}'s ring empties first: it becomes a candidate.", elected - 15)
        self.tell("It votes for itself and asks the others.", elected - 3, 3.0)
        self.tell(f"{self.majority} of {self.n} votes: {who} leads term {first['term']}.", elected + 15, 2.8)
        self.tell("Not the best server, just the first to time out.", elected + 38)
        heartbeat = self.trace["params"]["heartbeat_ms"]
        self.tell(f"Heartbeats: empty AppendEntries every {heartbeat} ms.", elected + 123, 3.2)
        self.tell("Each one refills a ring, so nobody else runs.", self.writes[0][0] - CLIENT_MS, 3.2)

    def replication_beat(self, crash_ms: int) -> None:
        (t1, _, cmd1), (t2, _, cmd2) = self.writes[0], self.writes[1]
        self.tell(f"A client sends {cmd1}; the leader logs it, uncommitted.", t1 + 4)
        self.poster_time = self.time + 1.4
        self.tell("AppendEntries carry it to the followers.", t1 + 15, 3.0)
        self.checkpoint(f"How many servers must store {cmd1} before the leader may commit it?",
                        ["only the leader", f"{self.majority} of {self.n}", f"all {self.n}"], 1,
                        f"A majority ({self.majority} of {self.n}) overlaps every future majority, so the entry "
                        f"survives any election.")
        self.tell(f"Stored on {self.majority} of {self.n}: committed, the cell turns solid.", t1 + 25)
        self.tell(f"{cmd2} follows the same path.", t2 + 85, 2.4)
        self.tell("Committed means on a majority, not just the leader.", crash_ms - 100)

    def crash_beat(self, crash_ms: int, second: dict[str, Any], commit: Counter) -> Counter:
        orphan = next((c["orphan_cmd"] for c in self.trace["params"]["crashes"] if c.get("orphan_cmd")), "an entry")
        self.caption(f"The leader logs {orphan}, then crashes before sending it.")
        self.run(crash_ms - 12, 0.8)
        self.run(crash_ms + 12, 2.6)
        cand_ms = next(st["t_ms"] for st in self.steps if st["event"] == "become_candidate" and st["t_ms"] > crash_ms)
        self.tell("No heartbeats now: every ring drains.", cand_ms - 6, 2.8)
        self.next_leader_checkpoint(crash_ms, second)
        votes = self.votes_counter(second["node"])
        self.swap_counter(commit, votes)
        self.tell(f"S{second['node']} empties first and asks for votes in term {second['term']}.",
                     second["elected_ms"] - 7, 3.2)
        box = self.row_box(second["node"])
        self.caption("It wins, and it holds every committed entry.")
        self.play(Create(box), self.clock.animate.set_value(second["elected_ms"] + 3), run_time=1.2, rate_func=linear)
        self.run(second["elected_ms"] + 25, 1.7)
        t3, _, cmd3 = next(w for w in self.writes if w[0] > second["elected_ms"])
        commit = self.commit_counter()
        self.play(FadeOut(box), run_time=0.3)
        self.swap_counter(votes, commit)
        self.tell(f"A client writes {cmd3} to the new leader.", t3 + 2, 2.4)
        self.tell(f"{self.majority} of the {self.n - 1} live servers store it: committed.", t3 + 30, 3.0)
        recover_ms = next(st["t_ms"] for st in self.steps if st["event"] == "recover")
        self.tell("With one server down, a majority still decides.", recover_ms - 2)
        return commit

    def next_leader_checkpoint(self, crash_ms: int, second: dict[str, Any]) -> None:
        """Which live server leads the next term: the one whose timer ran out first (shown draining)."""
        live = [n["id"] for n in self.nodes_at(crash_ms + 1) if n["alive"]]
        nearest = sorted(live, key=lambda i: (abs(i - second["node"]), i))[:4]
        choices = [f"S{i}" for i in sorted(nearest)]
        self.checkpoint(f"The leader is down. Which server leads term {second['term']}?", choices,
                        choices.index(f"S{second['node']}"),
                        f"S{second['node']}'s timer ran out first, so it asked for votes first and won a majority.")

    def return_beat(self, crash_ms: int, victim: int, second: dict[str, Any]) -> None:
        recover_ms = next(st["t_ms"] for st in self.steps if st["event"] == "recover")
        fix_ms = next((w for w, who, _, _ in self.truncations if who == victim), recover_ms + 15)
        old_term = self.nodes_at(crash_ms)[victim - 1]["term"]
        orphan = next((c["orphan_cmd"] for c in self.trace["params"]["crashes"] if c.get("orphan_cmd")), "its entry")
        self.tell(f"S{victim} comes back as a follower, still in term {old_term}.", fix_ms - 6)
        self.tell(f"The new leader moves it to term {second['term']} and erases {orphan}.", fix_ms + 4, 3.4)
        self.tell("Uncommitted entries can vanish; committed ones never do.", fix_ms + 15)

    def takeaway(self, crash_ms: int) -> None:
        self.clear_stage()
        gap = next((b - a for a, b in self.leaderless if a >= crash_ms), 0)
        written = {cmd: t for t, _, cmd in self.writes}
        commits, final = self.trace["summary"]["commits"], self.trace["summary"]["final_logs"]
        waits = sorted(c["committed_ms"] - written[c["cmd"]] for c in commits if c["cmd"] in written)
        lost = sum(1 for c in commits if any(log[c["index"] - 1:c["index"]] != [[c["term"], c["cmd"]]] for log in final.values()))
        rows = [["servers that may fail", f"{self.n - self.majority} of {self.n} (a majority of {self.majority} remains)"],
                ["each write waits for", f"a majority round trip ({waits[0]}–{waits[-1]} ms here)"],
                ["no leader after the crash", f"{gap} ms"],
                ["committed entries lost", str(lost) if lost else "none"]]
        table = TableWidget([f"Raft, {self.n} servers", "in this run"], rows, font_size=theme.BODY_SIZE, row_height=0.75,
                            max_width=11.5).move_to([0, 0.3, 0])
        self.caption("Overlapping majorities keep data safe; elections cost a pause.")
        self.play(*self.set_heading("Takeaway"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(3.4)
        self.finish()
