"""CAP Theorem: a partition cuts a replica off; CP refuses it, AP answers stale and later drops a
write (storyboard: cap-theorem.md).

One stage for both runs: the replicas (minority side left, majority side right, links between
them), a client on each side and a :class:`~scenes.kit.partition.PartitionWall` dropped between the
sides. :meth:`CapTheoremScene.draw` sets everything from the tick clock and the run shown (``cp`` or
``ap``): replica values and versions or stamps, message dots (those crossing the wall die on it),
the minority's timer while a CP op waits, the clients' last answers. Beats are keyed to the op ids
the trace names in ``beats``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Circle, DashedVMobject, FadeIn, FadeOut, Line, Rotate,
                   SurroundingRectangle, ValueTracker, VGroup, linear)

from scenes.kit import (ClientNode, Counter, ExplainerScene, Flight, FlightLayer, Legend, ServerNode, SimTimeReadout,
                        SwapText, TableWidget, label, layout, route_between, theme)
from scenes.kit.partition import PartitionWall

__all__ = ["CapTheoremScene"]

MAIN, PANEL = layout.MAIN, layout.SIDE_PANEL
CLIENT_FX = {"left": 0.09, "right": 0.92}  #: the two clients, as fractions of the main stage's width
SIDE_FX = {"minority": 0.3, "majority": 0.7}
SIDE_SPAN = {1: 0.0, 2: 0.46, 3: 0.58}  #: vertical spread of a side's column (fraction of the stage height)
BULGE = 0.07  #: a side of three puts its middle replica this much (fraction of the stage width) nearer the wall
RADIUS = {3: 0.5, 5: 0.45}  #: replica size by cluster size
CLOCK_AT, LEGEND_AT, COUNTER_AT = PANEL.point(0.5, 0.9), PANEL.point(0.5, 0.58), PANEL.point(0.5, 0.17)
CLIENT_TICKS = 0.6  #: how long a client's request and the answer are shown flying
KIND_LOOK = {"replicate": (theme.MESSAGE, False), "quorum": (theme.ACCENT, False), "ack": (theme.ACCENT, True),
             "sync": (theme.SUCCESS, False)}
STATUS_COLOR = {"ok": theme.SUCCESS, "stale": theme.HIGHLIGHT, "refused": theme.FAILURE}


class CapTheoremScene(ExplainerScene):
    """The same ops during a partition, answered by a CP store and by an AP store, then the heal."""

    # --- reading the trace --------------------------------------------------------------------
    def setup(self) -> None:
        tr = self.trace
        self.p, self.beats, self.part = tr["params"], tr["beats"], tr["partition"]
        self.names, self.sides = tr["replicas"], tr["sides"]
        self.ops = {op["id"]: op for op in tr["ops"]}
        self.runs = {m: tr["steps"][tr["runs"][m]["steps_from"]:tr["runs"][m]["steps_to"]] for m in ("cp", "ap")}
        self.results = {m: {r["op_id"]: r for s in self.runs[m] for r in s["results"]} for m in ("cp", "ap")}
        need = ("first_write", "setup_read", "split_write_majority", "hook_read", "split_write_minority",
                "split_read_majority")
        if any(self.beats[k] is None for k in need):
            raise ValueError("this storyboard needs the story schedule (a write and reads on both sides of the split)")
        self.n, self.majority = len(self.names), len(self.sides["majority"])
        self.mode, self.poster_time = "cp", None
        self.answer = {m: {i: self.describe(m, op) for i, op in self.ops.items()} for m in ("cp", "ap")}
        self.sw, self.hr = self.ops[self.beats["split_write_majority"]], self.ops[self.beats["hook_read"]]
        self.mw, self.mr = self.ops[self.beats["split_write_minority"]], self.ops[self.beats["split_read_majority"]]

    def state_at(self, t: float) -> dict[str, Any]:
        steps = self.runs[self.mode]
        return steps[int(np.clip(np.floor(t + 1e-9), 0, len(steps) - 1))]

    def describe(self, mode: str, op: dict[str, Any]) -> tuple[str, str, str]:
        """(status, what the reply dot carries, what the client's answer line says) of one op in one run."""
        r = self.results[mode][op["id"]]
        if r["outcome"] == "refused" or op["kind"] == "write":
            return ("refused",) * 3 if r["outcome"] == "refused" else ("ok", "ok", "write ok")
        return ("stale", str(r["returned"]), f"{r['returned']}, stale") if r["stale"] else ("ok", str(r["returned"]),
                                                                                        f"got {r['returned']}")

    # --- the stage --------------------------------------------------------------------------------
    def positions(self) -> dict[str, np.ndarray]:
        """Each side a column (minority left, majority right); a column of three bends towards the wall."""
        at = {}
        for side, names in self.sides.items():
            for k, name in enumerate(names):
                fy = 0.5 + SIDE_SPAN[min(len(names), 3)] * (0.5 - k / (len(names) - 1)) if len(names) > 1 else 0.5
                bend = BULGE * (-1 if side == "majority" else 1) if len(names) == 3 and k == 1 else 0.0
                at[name] = MAIN.point(SIDE_FX[side] + bend, fy)
        return at

    def build_stage(self) -> tuple[VGroup, VGroup]:
        self.at = self.positions()
        radius = RADIUS.get(self.n, min(RADIUS.values()))
        self.servers = {n: ServerNode(n, detail="x = ·", badge="version ·", timer=True, radius=radius)
                        for n in self.names}
        for n, s in self.servers.items():
            s.shift(self.at[n] - s.body.get_center())
        self.clients = {side: ClientNode("client", width=1.15).move_to(MAIN.point(CLIENT_FX[side], 0.5))
                        for side in ("left", "right")}
        self.links = VGroup(*[Line(self.at[a], self.at[b], stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE)
                              for i, a in enumerate(self.names) for b in self.names[i + 1:]])
        top, bottom = PartitionWall.separating([self.at[n] for n in self.sides["minority"]],
                                               [self.at[n] for n in self.sides["majority"]], margin=0.9)
        top[1], bottom[1] = MAIN.top - 0.45, MAIN.bottom + 0.1  # the columns are centred: the wall is upright
        self.wall = PartitionWall(top, bottom, links=list(self.links))
        majority = VGroup(*[self.servers[n] for n in self.sides["majority"]])
        box = SurroundingRectangle(majority, buff=0.15, corner_radius=0.25, color=theme.SUCCESS,
                                   stroke_width=theme.THIN_STROKE)
        self.quorum = VGroup(DashedVMobject(box, num_dashes=48),
                             label(f"majority {self.majority} of {self.n}", font_size=theme.MIN_FONT_SIZE,
                                   color=theme.SUCCESS).next_to(box, UP, buff=0.08))
        self.flights = {m: FlightLayer(self.message_flights(m) + self.client_flights(m), fizzle_time=0.8)
                        for m in ("cp", "ap")}
        self.answers = {side: SwapText("·", font_size=theme.LABEL_SIZE, monospace=False, weight="BOLD")
                        .next_to(self.clients[side], DOWN, buff=0.25) for side in ("left", "right")}
        self.readout = SimTimeReadout(unit="ticks", digits=2, title="simulated time").move_to(CLOCK_AT)
        self.clock = ValueTracker(0.0)
        still = VGroup(*self.clients.values(), self.readout.still)
        moving = VGroup(self.links, self.wall, self.quorum, *self.servers.values(), *self.flights.values(),
                        *self.answers.values(), self.readout.cells)
        self.draw()
        moving.add_updater(lambda _: self.draw())
        return still, moving

    def message_flights(self, mode: str) -> list[Flight]:
        flights, gap = [], self.servers[self.names[0]].ring.track.width / 2 + 0.05
        for step in self.runs[mode]:
            for m in step["messages"]:
                start, end = route_between(self.at[m["src"]], self.at[m["dst"]], start_gap=gap, end_gap=gap, offset=0.08)
                color, hollow = KIND_LOOK[m["kind"]]
                drop = self.wall.crossing(start, end) if m["dropped"] else None
                span = m["arrive_t"] - m["sent_t"]
                flights.append(Flight(tuple(start), tuple(end), m["sent_t"],
                                      m["sent_t"] + span * (drop if drop else 1.0), color=color, hollow=hollow,
                                      dropped=drop is not None, drop_at=drop or 1.0))
        return flights

    def client_flights(self, mode: str) -> list[Flight]:
        flights = []
        for op in self.ops.values():
            client, server = self.clients[op["client"]], self.servers[op["replica"]]
            a = client.edge_point(self.at[op["replica"]])
            b = server.edge_point(client.box.get_center(), gap=0.05)
            tag = "read x" if op["kind"] == "read" else f"x = {op['value']}"
            flights.append(Flight(tuple(a), tuple(b), op["t"] - CLIENT_TICKS, op["t"], color=theme.TEXT, tag=tag))
            done, (status, reply, _) = self.results[mode][op["id"]]["done_t"], self.answer[mode][op["id"]]
            flights.append(Flight(tuple(b), tuple(a), done, done + CLIENT_TICKS, color=STATUS_COLOR[status], hollow=True,
                                  tag=reply))
        return flights

    def last_answer(self, side: str, t: float) -> tuple[str, str, str] | None:
        """This side's latest answer (see :meth:`describe`), shown from its arrival until the side's next request."""
        shown = None
        for op in self.ops.values():
            if op["client"] == side and op["t"] - CLIENT_TICKS <= t:
                arrived = self.results[self.mode][op["id"]]["done_t"] + CLIENT_TICKS <= t
                shown = self.answer[self.mode][op["id"]] if arrived else None
        return shown

    def draw(self) -> None:
        t = self.clock.get_value()
        state = self.state_at(t)
        for name, server in self.servers.items():
            r = state["replicas"][name]
            badge = (f"version {r['version']}" if self.mode == "cp"
                     else f"stamp {r['stamp'][0]}·{r['stamp'][1]}" if r["stamp"] else "stamp ·")
            server.set_state(detail=f"x = {r['value']}" if r["value"] is not None else "x = ·", badge=badge)
            waiting = next((op for op in self.ops.values() if op["replica"] == name and self.mode == "cp"
                            and op["t"] <= t < self.results["cp"][op["id"]]["done_t"]
                            and self.results["cp"][op["id"]]["outcome"] == "refused"), None)
            if waiting is not None:
                span = self.p["cp_timeout"]
                server.ring.set_fraction(float(np.clip((waiting["t"] + span - t) / span, 0.0, 1.0)), color=theme.FAILURE)
            server.ring.set_visible(waiting is not None)
        quorum = self.mode == "cp" and any(
            op["replica"] in self.sides["majority"] and self.part["start"] <= op["t"] < self.part["end"]
            and op["t"] - CLIENT_TICKS <= t <= self.results["cp"][op["id"]]["done_t"] + CLIENT_TICKS
            for op in self.ops.values())
        self.quorum.set_opacity(1.0 if quorum else 0.0)
        for mode, layer in self.flights.items():
            layer.show_at(t if mode == self.mode else -1e9)
        self.wall.set_level(PartitionWall.level_at(t, down_at=self.part["start"] - 0.8, up_at=self.part["end"] - 0.4,
                                                   fall=0.8))
        for side, text in self.answers.items():
            shown = self.last_answer(side, t)
            if shown is not None:
                text.set_text(shown[2], STATUS_COLOR[shown[0]])
            text.set_opacity(1.0 if shown else 0.0)
        self.readout.set_value(t)

    def legend(self) -> Legend:
        return Legend([(Circle(radius=0.09, stroke_color=KIND_LOOK[k][0], stroke_width=3.0, fill_opacity=1.0,
                               fill_color=theme.BACKGROUND if KIND_LOOK[k][1] else KIND_LOOK[k][0]), text)
                       for k, text in (("replicate", "write copy"), ("quorum", "quorum ask"), ("ack", "reply"),
                                       ("sync", "sync after heal"))], title="messages").move_to(LEGEND_AT)

    def split_counter(self) -> VGroup:
        """Ops issued during the split and answered (not refused), in the run shown."""
        split = [op["id"] for op in self.ops.values() if self.part["start"] <= op["t"] < self.part["end"]]
        counter = Counter("answered during the split", 0, suffix=f" of {len(split)}").move_to(COUNTER_AT)
        counter.add_updater(lambda c: c.set_value(sum(
            1 for i in split if self.results[self.mode][i]["outcome"] == "ok"
            and self.results[self.mode][i]["done_t"] + CLIENT_TICKS <= self.clock.get_value())))
        return counter.update()

    # --- helpers for the beats ----------------------------------------------------------------------
    def tell(self, text: str, t_end: float, seconds: float = 0.0) -> None:
        self.narrate(text, self.clock, t_end, seconds)

    def op_end(self, op_id: int, mode: str) -> float:
        """A moment just after the op's answer reaches its client."""
        return self.results[mode][op_id]["done_t"] + CLIENT_TICKS + 0.1

    # --- beats -------------------------------------------------------------------------------------
    def construct(self) -> None:
        self.chapter("Two possible answers")
        self.show_title_card(3.0)
        self.hook()
        self.setup_beat()
        self.chapter("Split: the CP choice")
        self.partition_beat()
        self.cp_beat()
        self.chapter("The AP choice")
        self.ap_beat()
        self.chapter("Healing")
        self.heal_beat()
        self.chapter("The price")
        self.scoreboard()
        self.takeaway()

    def hook(self) -> None:
        op = self.hr
        old, new = self.results["ap"][op["id"]]["returned"], self.results["ap"][op["id"]]["latest_acked"]
        halves, u = layout.STAGE.two_up(gap=0.6), ValueTracker(0.0)
        parts, flights, tags = VGroup(), [], VGroup()
        for half, mode, title in zip(halves, ("ap", "cp"), ("AP: answer with what it has", "CP: refuse")):
            client = ClientNode("client", width=1.15).move_to(half.point(0.13, 0.5))
            server = ServerNode(op["replica"], detail=f"x = {old}").move_to(half.point(0.47, 0.5))
            wall = PartitionWall(half.point(0.67, 0.82), half.point(0.67, 0.18)).set_level(1.0)
            others = VGroup(*[ServerNode(name, detail=f"x = {new}", radius=0.4).move_to(half.point(0.87, fy))
                              for name, fy in zip(self.sides["majority"][:2], (0.7, 0.3))]).set_opacity(0.6)
            head = label(title, font_size=theme.BODY_SIZE, color=theme.MUTED).move_to(half.point(0.5, 0.95))
            a, b = client.edge_point(server.body.get_center()), server.edge_point(client.box.get_center(), gap=0.05)
            status = "stale" if mode == "ap" else "refused"
            flights += [Flight(tuple(a), tuple(b), 0.0, 1.0, color=theme.TEXT, tag="read x"),
                        Flight(tuple(b), tuple(a), 1.3, 2.3, color=STATUS_COLOR[status], hollow=True,
                               tag=str(old) if mode == "ap" else "refused")]
            word = f"{old}: stale, the latest is {new}" if mode == "ap" else "refused: no majority"
            tags.add(label(word, font_size=theme.LABEL_SIZE, color=STATUS_COLOR[status]).next_to(client, DOWN, buff=0.5)
                     .align_to(client, LEFT))
            parts.add(client, server, wall, others, head)
        layer = FlightLayer(flights, fizzle_time=0.5).follow(u)
        self.caption(f"The network has split: replica {op['replica']} is cut off.")
        self.play(FadeIn(parts), FadeIn(layer), run_time=theme.FADE_S)
        self.wait(0.6)
        self.caption(f"A client asks {op['replica']} for x. The latest write was {new}.")
        self.play(u.animate.set_value(2.4), run_time=2.6, rate_func=linear)
        self.caption(f"One store answers {old}, stale; the other refuses.")
        self.play(FadeIn(tags), run_time=0.5)
        self.hold_for_caption()
        self.caption("During a split, every replicated store must pick one.")
        self.hold_for_caption()
        layer.clear_updaters()
        self.clear_stage()

    def setup_beat(self) -> None:
        w, r = self.ops[self.beats["first_write"]], self.ops[self.beats["setup_read"]]
        still, moving = self.build_stage()
        self.defs = VGroup(*[label(text, font_size=theme.LABEL_SIZE) for text in (
            "C: every read sees", "the latest write", "A: every replica that", "is up answers")])
        self.defs.arrange(DOWN, aligned_edge=LEFT, buff=0.1).move_to(COUNTER_AT)
        self.reveal(still, self.legend(), moving, heading="One value, replicated")
        self.tell(f"{self.n} replicas each keep a copy of x.", w["t"] - CLIENT_TICKS - 0.1, 2.0)
        self.tell(f"A client writes x = {w['value']} at {w['replica']}; copies go to the others.",
                  self.op_end(w["id"], "cp"))
        self.tell(f"A read at {r['replica']} sees {w['value']} too.", self.op_end(r["id"], "cp"))
        self.caption("C (consistency): every read sees the latest write.")
        self.play(FadeIn(self.defs[:2]), run_time=0.5)
        self.hold_for_caption()
        self.caption("A (availability): every replica that is up answers.")
        self.play(FadeIn(self.defs[2:]), self.clock.animate.set_value(self.part["start"] - 1.0), run_time=1.0)
        self.hold_for_caption()

    def partition_beat(self) -> None:
        drop = self.beats["first_drop"]
        self.caption("P: the network splits in two.")
        self.play(*self.set_heading("Partition"), self.clock.animate.set_value(self.part["start"] + 0.4),
                  run_time=2.0, rate_func=linear)
        self.poster_time = self.time + 1.0
        self.tell(f"A copy from {drop['src']} to {drop['dst']} hits the wall and is lost.",
                  drop["t"] + self.p["repl_delay"] + 0.5, 3.0)
        self.caption("Networks do split. You don't get to opt out.")
        self.hold_for_caption()

    def cp_beat(self) -> None:
        sw, hr, mw, mr = self.sw, self.hr, self.mw, self.mr
        counter = self.split_counter()
        self.caption(f"CP: only a side holding a majority ({self.majority} of {self.n}) may answer.")
        self.play(*self.set_heading("CP: consistent, not always available"), FadeOut(self.defs), FadeIn(counter),
                  run_time=theme.FADE_S)
        self.hold_for_caption()
        self.tell(f"The majority side accepts the write of {sw['value']}.", self.op_end(sw["id"], "cp"))
        self.tell(f"{hr['replica']} can't reach a majority: its read waits, then is refused.",
                  self.op_end(hr["id"], "cp"), 3.6)
        self.checkpoint(f"A client writes x = {mw['value']} at {mw['replica']}, on the minority side. "
                        f"What does the CP store do?", [f"keeps it on {mw['replica']} alone", "refuses it",
                                                         "sends it across the wall"], 1,
                        "Without a majority the write could be lost or contradicted, so CP refuses it.")
        self.tell(f"A write at {mw['replica']} is refused too: nothing changes there.", self.op_end(mw["id"], "cp"))
        got = self.results["cp"][mr["id"]]["returned"]
        self.tell(f"A read on the majority side returns {got}: correct.", self.op_end(mr["id"], "cp"))
        self.tell("The minority side refuses until the split heals.", self.part["end"] - 0.5)
        self.counter = counter  # it counts whichever run is shown

    def ap_beat(self) -> None:
        sw, hr, mw, mr = self.sw, self.hr, self.mw, self.mr
        self.caption("Rewind: same clients, same split, an AP store.")
        self.mode = "ap"
        self.jump(self.clock, sw["t"] - CLIENT_TICKS - 0.3)
        self.play(*self.set_heading("AP: available, not always consistent"), run_time=theme.FADE_S)
        self.tell(f"The write of {sw['value']} reaches the majority side only.", sw["t"] + self.p["repl_delay"] + 0.3)
        r = self.results["ap"][hr["id"]]
        self.tell(f"{hr['replica']} answers at once: {r['returned']}. Stale, the latest is {r['latest_acked']}.",
                  self.op_end(hr["id"], "ap"))
        self.tell(f"{mw['replica']} accepts x = {mw['value']}: now the two sides disagree.", self.op_end(mw["id"], "ap"))
        r = self.results["ap"][mr["id"]]
        values = sorted({r["returned"], mw["value"], sw["value"]})
        self.checkpoint(f"A client now reads x at {mr['replica']}, on the majority side. What does it get?",
                        [str(v) for v in values] + ["refused"], values.index(r["returned"]),
                        f"AP answers from the local copy; {mw['replica']}'s write of {mw['value']} never crossed the wall.")
        self.tell(f"{mr['replica']} answers {r['returned']}: stale too, the latest is {r['latest_acked']}.",
                  self.op_end(mr["id"], "ap"))
        self.tell("Everyone gets an answer; the answers disagree.", self.part["end"] - 0.5)
        self.counter.clear_updaters()
        self.play(FadeOut(self.counter), run_time=0.4)

    def heal_beat(self) -> None:
        end, s, cut = self.part["end"], self.trace["summary"], self.hr["replica"]
        self.caption("The split heals; replicas swap copies.")
        self.mode = "cp"
        self.jump(self.clock, end - 0.6)
        self.play(*self.set_heading("Healing"), run_time=theme.FADE_S)
        self.advance(self.clock, end + 0.3, 1.2)
        self.tell(f"CP: {cut} simply catches up to {s['cp']['final_value']}.", s["cp"]["converged_at"] + 0.4, 2.4)
        writes = self.trace["runs"]["ap"]["writes"]
        lost = next((w for w in writes if w["lost"]), None)
        self.caption("AP: both sides took writes during the split.")
        self.mode = "ap"
        self.jump(self.clock, end - 0.6)
        self.wait(0.4)
        if lost is None:
            self.tell(f"They merge by stamp and all keep {s['ap']['final_value']}.", s["ap"]["converged_at"] + 0.4)
            return
        win = next(w for w in writes if w["op_id"] == lost["lost_to"])
        rows = VGroup(*[VGroup(label(f"x = {w['value']}", font_size=theme.LABEL_SIZE + 2),
                               label(f"stamp {w['stamp'][0]}·{w['stamp'][1]}", font_size=theme.LABEL_SIZE,
                                     color=theme.MUTED)).arrange(RIGHT, buff=0.2) for w in (lost, win)])
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.25)
        verdicts = VGroup(*[label(word, font_size=theme.LABEL_SIZE, color=color, weight="BOLD").next_to(row, RIGHT, 0.2)
                            for row, word, color in zip(rows, ("lost", "wins"), (theme.FAILURE, theme.SUCCESS))])
        PANEL.place(VGroup(rows, verdicts), align=RIGHT, buff=0.05).set_y(COUNTER_AT[1] + 0.2)
        strike = Line(rows[0].get_left(), rows[0].get_right(), stroke_color=theme.FAILURE, stroke_width=4.0).scale(1.05)
        tag = label("an acknowledged write, gone", font_size=theme.MIN_FONT_SIZE, color=theme.FAILURE).next_to(rows, DOWN)
        choices = sorted([lost["value"], win["value"]])
        self.checkpoint(f"One side holds {lost['value']} (stamp {lost['stamp'][0]}), the other {win['value']} "
                        f"(stamp {win['stamp'][0]}). After the sync, which value do all replicas keep?",
                        [str(v) for v in choices], choices.index(s["ap"]["final_value"]),
                        "Last writer wins: the write with the later stamp replaces the other everywhere.")
        self.play(FadeIn(rows), run_time=0.5)
        self.advance(self.clock, end + 0.5, 1.2)
        self.caption(f"Last writer wins: stamp {win['stamp'][0]} beats {lost['stamp'][0]}, so {win['value']} stays.")
        self.play(FadeIn(verdicts[1]), run_time=0.3)
        self.advance(self.clock, s["ap"]["converged_at"] + 0.4, 1.0)
        self.hold_for_caption()
        self.caption(f"They converge, but the acknowledged write of {lost['value']} is gone.")
        self.play(FadeIn(strike), FadeIn(tag), FadeIn(verdicts[0]), run_time=0.5)
        self.hold_for_caption()

    def scoreboard(self) -> None:
        self.clear_stage()
        s = self.trace["summary"]
        rows = [[name] + [cell.format(**s[mode]) for mode in ("cp", "ap")] for name, cell in (
            ("answered", "{ok} of {ops}"), ("answered during the split", "{split_ok} of {split_ops}"),
            ("stale reads", "{stale_reads}"), ("lost writes", "{lost_writes}"), ("final value", "{final_value}"))]
        table = TableWidget(["", "CP", "AP"], rows, font_size=theme.BODY_SIZE, row_height=0.72,
                            max_width=layout.STAGE.width - 1.0)
        layout.STAGE.place(table)
        self.caption("The price of each choice, counted.")
        self.play(*self.set_heading("The price"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(0.6)
        self.caption(f"CP refused {s['cp']['refused']}; AP gave {s['ap']['stale_reads']} stale reads and lost "
                     f"{s['ap']['lost_writes']}.")
        self.hold_for_caption()
        self.clear_stage()

    def takeaway(self) -> None:
        area = layout.STAGE.inset(2.0, 0.45)
        corners = {"C": area.point(0.12, 0.85), "A": area.point(0.88, 0.85), "P": area.point(0.5, 0.08)}
        words = {"C": "Consistency", "A": "Availability", "P": "Partition tolerance"}
        edges = VGroup(*[Line(corners[a], corners[b], stroke_color=theme.GRID, stroke_width=theme.STROKE)
                         for a, b in (("C", "A"), ("A", "P"), ("P", "C"))])
        dots = VGroup(*[Circle(radius=0.3, stroke_color=theme.NODE, stroke_width=theme.STROKE, fill_color=theme.PANEL,
                               fill_opacity=1.0).move_to(at) for at in corners.values()])
        names = VGroup(*[VGroup(label(key, font_size=theme.BODY_SIZE, weight="BOLD").move_to(at),
                                label(words[key], font_size=theme.LABEL_SIZE, color=theme.MUTED)
                                .next_to(at, LEFT if key == "P" else UP, buff=0.5)) for key, at in corners.items()])
        pin = label("always: networks split", font_size=theme.LABEL_SIZE, color=theme.HIGHLIGHT)
        pin.next_to(dots[2], RIGHT, buff=0.2)
        p, c, a = corners["P"], corners["C"], corners["A"]
        switch = Line(p + (c - p) * 0.12, c - (c - p) * 0.12, stroke_color=theme.HIGHLIGHT, stroke_width=8.0)
        turn = np.arctan2(*(a - p)[1::-1]) - np.arctan2(*(c - p)[1::-1])  # from P->C round to P->A
        note = label("while split: pick one", font_size=theme.LABEL_SIZE, color=theme.HIGHLIGHT)
        note.move_to((c + a) / 2 + DOWN * 0.6)
        self.caption("Partitions will happen: P is not a choice.")
        self.play(*self.set_heading("Takeaway"), FadeIn(edges), FadeIn(dots), FadeIn(names), FadeIn(pin),
                  run_time=theme.FADE_S)
        self.wait(0.6)
        self.caption("Decide in advance which answer you prefer: refuse or stale.")
        self.play(FadeIn(switch), FadeIn(note), run_time=0.4)
        self.play(Rotate(switch, turn, about_point=p), run_time=1.2)
        self.play(Rotate(switch, -turn, about_point=p), run_time=1.2)
        self.finish()
