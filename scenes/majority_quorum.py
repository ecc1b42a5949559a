"""Majority Quorum: one op schedule replayed with different read and write quorums on five replicas
(storyboard: majority-quorum.md).

The stage is a pure function of one clock counted in the simulator's ticks: each op plays out inside
its tick (requests fly out, replies come back), write propagation lands on its own tick, replica
versions and liveness are read from the step in force, and the write set and read set are outlined
around the replicas that formed them. Beats are keyed to the trace's first stale read, first
single-replica overlap, probe pairs and failure ops, in whichever configs tell the story.
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Circle, DashedLine, FadeIn, Line, ValueTracker, VGroup

from scenes.kit import (BarChart, ClientNode, Counter, CrashBolt, ExplainerScene, Flight, FlightLayer, Legend,
                        ServerNode, SwapText, TableWidget, label, layout, mono, route_between, theme)
from scenes.kit.quorum import QuorumOutline

__all__ = ["MajorityQuorumScene"]

RING_RADIUS = 2.05
WRITE_PAD, READ_PAD = 0.6, 0.78  #: the read outline runs outside the write outline around shared replicas
RING_CENTER = np.array([layout.MAIN.point(0.6, 0)[0], layout.MAIN.top - READ_PAD - 0.06 - RING_RADIUS, 0.0])
WRITER_AT, READER_AT = layout.MAIN.point(0.1, 0.8), layout.MAIN.point(0.1, 0.22)
NODE_RADIUS = 0.42
REQ, REPLY_FROM, REPLY_TO = 0.35, 0.45, 0.8  #: within an op's tick: requests land, replies leave and land
READ_SHOWN = 1.7  #: ticks a read's outline and answers stay on screen
WRITE_COLOR, READ_COLOR = theme.SUCCESS, theme.NODE


class MajorityQuorumScene(ExplainerScene):
    """Write quorums, read quorums, their overlap, shrinking them, and crashes, from one quorum trace."""

    def setup(self) -> None:
        tr = self.trace
        self.n, self.names, self.lag = tr["params"]["n_replicas"], tr["replicas"], tr["params"]["lag_ticks"]
        self.ops = {op["id"]: op for op in tr["ops"]}
        self.runs = tr["runs"]
        self.strict = next((k for k, r in enumerate(self.runs) if r["overlap_guaranteed"]), None)
        self.loose = next((k for k, r in enumerate(self.runs) if not r["overlap_guaranteed"]), None)
        if self.strict is None or self.loose is None:
            raise ValueError("this storyboard needs one config with R + W > N and one without")
        self.poster_time = None

    # --- reading a run ---------------------------------------------------------------------------
    def steps(self, run: int) -> list[dict[str, Any]]:
        r = self.runs[run]
        return self.trace["steps"][r["steps_from"]:r["steps_to"]]

    def step_of(self, run: int, op_id: int) -> dict[str, Any]:
        return next(s for s in self.steps(run) if s["op_id"] == op_id and s["kind"] != "propagate")

    @staticmethod
    def effective(step: dict[str, Any]) -> float:
        """When a step shows on the clock: a write when its requests land, anything else at its tick."""
        return step["t"] + (REQ if step["kind"] == "write" else 0.0)

    def rw(self, run: int) -> tuple[int, int]:
        return self.runs[run]["r"], self.runs[run]["w"]

    # --- the stage ----------------------------------------------------------------------------------
    def centers(self) -> list[np.ndarray]:
        return layout.Region(RING_CENTER[0] - RING_RADIUS, RING_CENTER[0] + RING_RADIUS, RING_CENTER[1] - RING_RADIUS,
                             RING_CENTER[1] + RING_RADIUS).ring(self.n, radius=RING_RADIUS)

    def stage(self, run: int, clock: ValueTracker, *, clients: bool = True) -> VGroup:
        """Replicas, clients, messages and outlines of ``run``, drawn at ``clock``'s tick (without ``clients``:
        replicas and outlines only)."""
        steps = self.steps(run)
        eff = [self.effective(s) for s in steps]
        centers = self.centers()
        servers = [ServerNode(name, detail=f"v{steps[0]['latest_committed']}", radius=NODE_RADIUS, color=WRITE_COLOR)
                   .move_to(at)
                   for name, at in zip(self.names, centers)]
        bolts = [CrashBolt(0.7).move_to(at + RIGHT * NODE_RADIUS) for at in centers]
        glows = [Circle(radius=NODE_RADIUS + 0.13, stroke_color=theme.HIGHLIGHT, stroke_width=5).move_to(at)
                 for at in centers]
        writes = QuorumOutline(pad=WRITE_PAD, color=WRITE_COLOR, avoid_radius=NODE_RADIUS + 0.14)
        reads = QuorumOutline(pad=READ_PAD, color=READ_COLOR, dashed=True, fill_opacity=0.05,
                              avoid_radius=NODE_RADIUS + 0.22)
        writer = ClientNode("writer", width=1.3).move_to(WRITER_AT)
        reader = ClientNode("reader", width=1.3).move_to(READER_AT)
        w_status = SwapText(" ", font_size=theme.LABEL_SIZE, monospace=False)
        r_status = SwapText(" ", font_size=theme.LABEL_SIZE, monospace=False)
        layer = FlightLayer(self.flights(steps, centers, writer, reader) if clients else [], fizzle_time=0.3)
        ops = [s for s in steps if s["kind"] in ("write", "read")]

        def draw(_: Any) -> None:
            c = clock.get_value()
            j = bisect.bisect_right(eff, c) - 1
            versions = steps[j]["versions"] if j >= 0 else [0] * self.n
            up = steps[j]["up"] if j >= 0 else [True] * self.n
            latest = max(versions)
            for i, server in enumerate(servers):
                server.set_state(detail=f"v{versions[i]}", color=WRITE_COLOR if versions[i] == latest else theme.MUTED,
                                 dimmed=not up[i])
                bolts[i].set_opacity(0.0 if up[i] else 1.0)
            write = next((s for s in reversed(ops) if s["kind"] == "write" and s["t"] <= c < s["t"] + self.lag), None)
            read = next((s for s in reversed(ops) if s["kind"] == "read" and s["t"] <= c < s["t"] + READ_SHOWN), None)
            for outline, step in ((writes, write), (reads, read)):
                shown = step is not None and step["outcome"] == "ok"
                members = step["quorum"] if shown else []
                outline.set_members([centers[i] for i in members],
                                    avoid=[centers[i] for i in range(self.n) if i not in members],
                                    drawn=min(max((c - step["t"]) / REQ, 0.0), 1.0) if shown else 1.0)
            reads.set_color_role(theme.FAILURE if read is not None and read["stale"] else READ_COLOR)
            lit = set(read["overlap"]) if shown and c >= read["t"] + REPLY_FROM else set()
            for i, glow in enumerate(glows):
                glow.set_stroke(opacity=1.0 if i in lit else 0.0)
            w_status.set_text(*(self.write_status(write, c) if clients else (" ", theme.TEXT)))
            r_status.set_text(*(self.read_status(read, c) if clients else (" ", theme.TEXT)))
            w_status.next_to(writer, DOWN, buff=0.15)
            r_status.next_to(reader, DOWN, buff=0.15)
            layer.show_at(c)

        moving = VGroup(reads, writes, *servers, *glows, *bolts, layer, w_status, r_status)
        draw(None)
        moving.add_updater(draw)
        return VGroup(*([writer, reader] if clients else []), moving)

    def write_status(self, step: dict[str, Any] | None, c: float) -> tuple[str, str]:
        if step is None or c < step["t"] + REPLY_TO:
            return " ", theme.TEXT
        if step["outcome"] != "ok":
            return "refused", theme.FAILURE
        return f"v{step['version']}: OK", WRITE_COLOR

    def read_status(self, step: dict[str, Any] | None, c: float) -> tuple[str, str]:
        if step is None or c < step["t"] + REPLY_TO:
            return " ", theme.TEXT
        if step["outcome"] != "ok":
            return "refused", theme.FAILURE
        v = step["returned_version"]
        return (f"got v{v}: stale", theme.FAILURE) if step["stale"] else (f"got v{v}: latest", READ_COLOR)

    def flights(self, steps: list[dict[str, Any]], centers: list[np.ndarray], writer: ClientNode,
                reader: ClientNode) -> list[Flight]:
        """Requests, replies and slow propagation of every op of a run, on the tick clock."""
        out = []
        gap = NODE_RADIUS + 0.08
        landing = {(s["op_id"], i): s["t"] for s in steps if s["kind"] == "propagate" for i in s["targets"]}

        def route(client: ClientNode, i: int, back: bool) -> tuple[tuple, tuple]:
            a = client.edge_point(centers[i])
            start, end = route_between(a, centers[i], end_gap=gap, offset=0.07)
            return (tuple(end), tuple(start)) if back else (tuple(start), tuple(end))

        for s in steps:
            t = s["t"]
            if s["kind"] == "write" and s["outcome"] == "ok":
                for i in s["quorum"]:
                    out.append(Flight(*route(writer, i, False), t, t + REQ, color=theme.MESSAGE))
                    out.append(Flight(*route(writer, i, True), t + REPLY_FROM, t + REPLY_TO, color=theme.MESSAGE,
                                      hollow=True))
                for i in self.ops[s["op_id"]]["order"]:
                    if (s["op_id"], i) in landing and i not in s["quorum"] and s["up"][i]:
                        out.append(Flight(*route(writer, i, False), t, landing[(s["op_id"], i)], color=theme.MESSAGE,
                                          radius=0.07))
            elif s["kind"] == "read" and s["outcome"] == "ok":
                for r in s["responses"]:
                    out.append(Flight(*route(reader, r["replica"], False), t, t + REQ, color=READ_COLOR))
                    out.append(Flight(*route(reader, r["replica"], True), t + REPLY_FROM, t + REPLY_TO,
                                      color=READ_COLOR, hollow=True, tag=f"v{r['version']}"))
        return out

    def side(self, run: int, *, counter: Counter | None = None) -> VGroup:
        r, w = self.rw(run)
        tag = mono(f"N = {self.n}  R = {r}  W = {w}", font_size=theme.BODY_SIZE, color=theme.HIGHLIGHT)
        check = label(f"R + W = {r} + {w} {'>' if r + w > self.n else '≤'} {self.n}", font_size=theme.LABEL_SIZE,
                      color=theme.TEXT)
        solid = Line(LEFT * 0.25, RIGHT * 0.25, stroke_color=WRITE_COLOR, stroke_width=theme.STROKE)
        dashed = DashedLine(LEFT * 0.25, RIGHT * 0.25, stroke_color=READ_COLOR, stroke_width=theme.STROKE,
                            dash_length=0.1)
        ring = Circle(radius=0.13, stroke_color=theme.HIGHLIGHT, stroke_width=4)
        legend = Legend([(solid, "write set"), (dashed, "read set"), (ring, "in both")], font_size=theme.MIN_FONT_SIZE)
        parts = [tag, check] + ([counter] if counter is not None else []) + [legend]
        column = VGroup(*parts).arrange(DOWN, buff=0.4, aligned_edge=LEFT)
        return layout.SIDE_PANEL.place(column, align=UP + LEFT)

    def probe_counter(self, run: int, clock: ValueTracker) -> Counter:
        probes = [s for s in self.steps(run) if s["kind"] == "read" and self.ops[s["op_id"]]["phase"] == "probe"
                  and s["outcome"] == "ok"]
        counter = Counter("stale probe reads", 0, suffix=f" of {len(probes)}", font_size=theme.HEADING_SIZE)
        counter.number.align_to(counter.caption, LEFT)
        counter.add_updater(lambda m: m.set_value(sum(1 for s in probes if s["stale"]
                                                      and s["t"] + REPLY_TO <= clock.get_value())))
        return counter

    # --- beats ------------------------------------------------------------------------------------------
    def construct(self) -> None:
        self.chapter("The write said OK")
        self.show_title_card(3.0)
        self.hook_beat()
        self.chapter("Write quorum")
        self.write_beat()
        self.chapter("Read quorum")
        self.read_beat()
        self.chapter("Overlap every time")
        self.probe_beat(self.strict)
        self.chapter("Smaller quorums miss")
        self.probe_beat(self.loose)
        self.chapter("Crashed replicas")
        self.failure_beat()
        self.chapter("Tuning R and W")
        self.table_beat()

    def hook_beat(self) -> None:
        run = self.loose
        r, w = self.rw(run)
        read_id = self.runs[run]["summary"]["first_stale_op"]
        stale = read_id is not None
        read_id = read_id or next(op["id"] for op in self.trace["ops"] if op["kind"] == "read")
        read = self.step_of(run, read_id)
        write = self.step_of(run, self.ops[read_id]["follows_write"])
        clock = ValueTracker(write["t"] - 0.1)
        self.reveal(self.stage(run, clock), self.side(run))
        self.narrate(f"A write of v{write['version']} gets {w} acks: done, says the store.", clock,
                     write["t"] + REPLY_TO + 0.1, 3.4)
        self.jump(clock, read["t"] - 0.05, run_time=0.4)
        got = read["returned_version"]
        self.narrate(f"A read asks {r} other replicas and gets v{got}." if stale else
                     f"A read asks {r} replicas and gets v{got}.", clock, read["t"] + REPLY_TO + 0.2, 3.2)
        self.caption("The write said OK. The read disagrees. Nobody broke a rule." if stale else
                     "It got lucky: with these sizes, a read can miss a write.")
        self.wait(3.0)
        self.clear_caption()
        self.clear_stage()

    def write_beat(self) -> None:
        run, w = self.strict, self.runs[self.strict]["w"]
        first = next(s for s in self.steps(run) if s["kind"] == "write")
        clock = ValueTracker(first["t"] - 0.2)
        self.reveal(self.stage(run, clock), self.side(run), heading="Write quorum")
        self.narrate(f"{self.n} replicas hold versions. A write goes to all of them.", clock, first["t"] + REQ, 3.4)
        self.narrate(f"It is done once W = {w} have it and answered.", clock, first["t"] + REPLY_TO + 0.1, 3.0)
        landed = min(s["t"] for s in self.steps(run) if s["kind"] == "propagate" and s["op_id"] == first["op_id"])
        self.narrate(f"The other {self.n - w} lag behind, grey, then catch up.", clock, landed + 0.3, 3.6)
        self.clear_caption()
        self.clear_stage()

    def read_beat(self) -> None:
        run, (r, w) = self.strict, self.rw(self.strict)
        summary = self.runs[run]["summary"]
        reads = [s for s in self.steps(run) if s["kind"] == "read" and s["outcome"] == "ok"]
        read_id = summary["first_single_overlap_op"] or min(reads, key=lambda s: (len(s["overlap"]), s["t"]))["op_id"]
        read = self.step_of(run, read_id)
        write = self.step_of(run, self.ops[read_id]["follows_write"])
        clock = ValueTracker(write["t"] - 0.1)
        self.reveal(self.stage(run, clock), self.side(run), heading="Read quorum")
        self.narrate(f"Write v{write['version']}: W = {w} replicas have it.", clock, write["t"] + REPLY_TO + 0.1, 2.6)
        self.jump(clock, read["t"] - 0.05, run_time=0.4)
        answers = ", ".join(f"v{x['version']}" for x in read["responses"])
        self.narrate(f"A read asks R = {r} replicas. Answers: {answers}.", clock, read["t"] + REPLY_TO, 3.4)
        self.poster_time = self.time - 0.3
        versions = sorted({x["version"] for x in read["responses"]})
        choices = [f"v{v}" for v in versions] + ["none: the answers disagree"]
        self.checkpoint(f"The read got {answers}. What does it return?", choices,
                        choices.index(f"v{read['returned_version']}"),
                        "A quorum read keeps the highest version it hears; one fresh replica outvotes any stale ones.")
        self.narrate(f"It keeps the highest: v{read['returned_version']}, even if only one replica has it.", clock,
                     read["t"] + 1.2, 3.6)
        self.caption(f"{r} + {w} is more than {self.n}: any {r} and any {w} share a replica.")
        self.wait(3.0)
        self.clear_caption()
        self.clear_stage()

    def probe_beat(self, run: int) -> None:
        r, w = self.rw(run)
        probes = [op for op in self.trace["ops"] if op["phase"] == "probe"]
        clock = ValueTracker(probes[0]["t"] - 0.1 if probes else 0.0)
        counter = self.probe_counter(run, clock)
        self.reveal(self.stage(run, clock), self.side(run, counter=counter),
                    heading=f"Probes with R = {r}, W = {w}")
        s = self.runs[run]["summary"]
        end = probes[-1]["t"] + 1.0 if probes else 0.0
        quick = probes[min(7, len(probes) - 1)]["t"] + 1.0 if probes else 0.0
        if run == self.strict:
            self.narrate(f"{s['probe_reads']} times: write, then read one tick later.", clock, quick, 5.4)
            self.narrate("Fast forward: every read meets a fresh replica." if not s["probe_stale"] else
                         f"Fast forward: {s['probe_stale']} reads still miss.", clock, end, 4.0)
            return self.end_beat(counter)
        self.narrate(f"Shrink to R = {r} and W = {w}: {r} + {w} is not more than {self.n}.", clock, quick, 5.4)
        p = s["predicted_probe_stale"]
        choices = list(dict.fromkeys(f"{x:.0%}" for x in (0.0, p, 0.5, 1.0)))
        self.checkpoint(f"With R = {r}, W = {w} of {self.n}, what share of reads right after a write is stale?",
                        choices, choices.index(f"{p:.0%}"),
                        f"A read is stale when its {r} replicas all miss the {w} fresh ones: "
                        f"{p:.0%} of read sets do.")
        self.narrate("Some read sets now miss every fresh replica: stale." if s["probe_stale"] else
                     "These reads got lucky, but a read set can now miss.", clock, end, 4.0)
        self.end_beat(counter)
        chart = BarChart(["this run", "on average"], [100 * s["probe_stale_rate"], 100 * p], width=5.0, height=3.2,
                         colors=[theme.FAILURE, theme.MUTED])
        title = label("stale probe reads, %", font_size=theme.LABEL_SIZE)
        layout.STAGE.place(VGroup(title, chart).arrange(DOWN, buff=0.4))
        self.caption(f"{s['probe_stale']} of {s['probe_reads']} stale here; {p:.0%} on average.")
        self.play(FadeIn(title), FadeIn(chart), run_time=theme.FADE_S)
        self.wait(2.6)
        self.clear_caption()
        self.clear_stage()

    def end_beat(self, counter: Counter) -> None:
        counter.clear_updaters()
        self.clear_caption()
        self.clear_stage()

    def failure_beat(self) -> None:
        run, (r, w) = self.strict, self.rw(self.strict)
        fails = [op for op in self.trace["ops"] if op["phase"] == "failure"]
        crashes = [op for op in fails if op["kind"] == "crash"]
        clock = ValueTracker(fails[0]["t"] - 0.2)
        self.reveal(self.stage(run, clock), self.side(run), heading="Crashed replicas")
        first, second = crashes[0], crashes[1]
        left = self.n - len(first["victims"])
        self.narrate(f"{len(first['victims'])} replicas crash; {left} are left.", clock, first["t"] + 0.6, 2.6)
        read1 = next(op for op in fails if op["kind"] == "read")
        self.narrate(self.outcome_caption(left, fails, first["t"], second["t"]), clock, read1["t"] + REPLY_TO + 0.2,
                     4.0)
        left2 = left - len(second["victims"])
        self.checkpoint(f"{len(second['victims'])} more crash{'es' if len(second['victims']) != 1 else ''}: "
                        f"{left2} left. Does a write with W = {w} succeed?",
                        ["yes", "no, it is refused"], 0 if left2 >= w else 1,
                        f"A write needs {w} live replicas; {left2} are up.")
        reads_after = [op for op in fails if op["kind"] == "read" and op["t"] > second["t"]]
        recover_t = next(op["t"] for op in fails if op["kind"] == "recover")
        self.narrate(self.outcome_caption(left2, fails, second["t"], recover_t), clock,
                     reads_after[0]["t"] + REPLY_TO + 0.2, 4.2)
        last = self.step_of(run, reads_after[-1]["id"])
        fresh = last["outcome"] == "ok" and not last["stale"]
        self.narrate("They recover and catch up; the last read is fresh." if fresh else "They recover and catch up.",
                     clock, last["t"] + REPLY_TO + 0.2, 4.0)
        self.caption(f"Writes survive N − W = {self.n - w} crashes; reads survive N − R = {self.n - r}.")
        self.wait(2.6)
        self.clear_caption()
        self.clear_stage()

    def outcome_caption(self, left: int, fails: list[dict[str, Any]], t0: int, t1: int) -> str:
        """What the write and the read between ticks ``t0`` and ``t1`` did, with ``left`` replicas up."""
        r, w = self.rw(self.strict)
        done = {op["kind"]: self.step_of(self.strict, op["id"])["outcome"] == "ok" for op in fails
                if op["kind"] in ("write", "read") and t0 < op["t"] < t1}
        if done.get("write") and done.get("read"):
            return f"W = {w} and R = {r} still fit in {left}: both succeed."
        if not done.get("write") and not done.get("read"):
            return f"{left} left: too few for W = {w} or R = {r}, both refused."
        ok, no = ("write", "read") if done.get("write") else ("read", "write")
        return f"{left} left: the {ok} still fits, the {no} is refused."

    def table_beat(self) -> None:
        rows, marks = [], {}
        for k, run in enumerate(self.runs):
            s = run["summary"]
            rows.append([f"R = {run['r']}, W = {run['w']}", "yes" if run["overlap_guaranteed"] else "no",
                         f"{s['probe_stale']} of {s['probe_reads']}", str(s["writes_survive"]),
                         str(s["reads_survive"])])
            marks[(k, 1)] = theme.SUCCESS if run["overlap_guaranteed"] else theme.FAILURE
        table = TableWidget(["quorums", "R + W > N", "stale probes", "writes survive", "reads survive"], rows,
                            font_size=theme.BODY_SIZE, row_height=0.72, highlight=marks, max_width=layout.STAGE.width)
        layout.STAGE.place(table, align=UP, buff=0.2)
        self.caption("Move weight between reads and writes to fit the load.")
        self.play(*self.set_heading(f"Tuning R and W, N = {self.n}"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(3.0)
        full = next((run for run in self.runs if run["w"] == self.n), None)
        self.caption(f"W = {self.n} refuses every write once one replica is down." if full else
                     "Bigger quorums overlap more but tolerate fewer crashes.")
        self.wait(3.0)
        self.clear_caption()
        self.clear_stage()
        self.takeaway()

    def takeaway(self) -> None:
        run = self.strict
        summary = self.runs[run]["summary"]
        reads = [s for s in self.steps(run) if s["kind"] == "read" and s["outcome"] == "ok"]
        read = self.step_of(run, summary["first_single_overlap_op"] or reads[0]["op_id"])
        clock = ValueTracker(read["t"] + REPLY_TO)
        self.reveal(self.stage(run, clock, clients=False), self.side(run), heading="Takeaway")
        self.caption("One shared replica is all it takes; R + W above N guarantees one.")
        self.wait(3.2)
        self.caption("Sloppy quorums write to substitute replicas and lose that guarantee.")
        self.wait(3.2)
        self.finish()
