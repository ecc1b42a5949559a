"""Producer Acknowledgments: when acks=0, 1 or all says "done", and which acknowledged records a
leader crash takes with it (storyboard: producer-acknowledgments.md).

Two views, each a pure function of a millisecond clock. The cluster (:meth:`ProducerAcksScene.draw_at`):
three brokers with their logs (solid below the high watermark, hollow above it), the in-sync replicas
ringed, record, copy and answer dots in flight, and under the logs one row of marks per run, saying
what that run's producer was told. The timeline of one record (a :class:`SequenceDiagram`): send,
append, copies and each mode's answer on one time axis, so latency reads as distance. Beats are keyed
to the trace's events (the crash, the election, the ISR shrink, each record's answer).
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, Rectangle, ValueTracker, VGroup

from scenes.kit import (CrashBolt, ExplainerScene, Flight, FlightLayer, Legend, SimTimeReadout, TableWidget, label,
                        layout, theme)
from scenes.kit.layout import Region
from scenes.kit.sequence import MessageKind, SeqEvent, SeqMessage, SequenceDiagram
from scenes.kit.streams import (BROKER, FOLLOWER, OFFSET, PRODUCER, AckMark, BrokerBox, ISROutline, PartitionLog,
                                ProducerNode, Record, count_choices)

__all__ = ["ProducerAcksScene"]

CLUSTER = Region(layout.MAIN.left + 1.75, layout.MAIN.right - 0.55, -0.95, layout.STAGE.top - 0.3)
MARKS = Region(layout.MAIN.left, layout.MAIN.right, layout.STAGE.bottom, -1.05)
PANEL = layout.SIDE_PANEL
GHOST_MS = 2.5  #: how long truncated records stay on screen, struck through
FLY_MS = 1.0  #: how long a copy is shown flying when the trace gives it no duration


class ProducerAcksScene(ExplainerScene):
    """acks=0, 1 and all on the same writes, a leader crash, and a shrunk ISR with min.insync.replicas."""

    def setup(self) -> None:
        p, s = self.trace["params"], self.trace["summary"]
        self.p, self.s, self.runs = p, s, self.trace["runs"]
        self.brokers = sorted(p["replica_order"])
        self.first_leader = p["replica_order"][0]
        group = next(g for g in s["crash_groups"] if all(self.runs[r]["crash"] for r in g["runs"]))
        self.crash_runs = sorted(group["runs"], key=lambda r: self.runs[r]["summary"]["max_latency_ms"] or 0)
        self.stalled = sorted((r for r in s["run_order"] if self.runs[r]["stalled"]),
                              key=lambda r: -self.runs[r]["min_insync"])
        self.capacity = max(self.p["n_records"], 1)
        self.times = {r: [st["t_ms"] for st in self.runs[r]["steps"]] for r in s["run_order"]}

    def name(self, run: str) -> str:
        r = self.runs[run]
        return f"acks={r['acks']}, floor {r['min_insync']}" if r["stalled"] else f"acks={r['acks']}"

    def step_at(self, run: str, t: float) -> dict[str, Any]:
        i = bisect.bisect_right(self.times[run], t + 1e-9) - 1
        return self.runs[run]["steps"][max(i, 0)]

    # --- the cluster view -------------------------------------------------------------------------
    def build_cluster(self, log_run: str, mark_runs: list[str], clock: ValueTracker, *, answers: bool) -> VGroup:
        self.log_run, self.mark_runs = log_run, mark_runs
        rows = CLUSTER.rows(len(self.brokers), gap=0.12)
        width = (CLUSTER.width - 0.5) / self.capacity
        self.boxes, self.logs = {}, {}
        for b, row in zip(self.brokers, rows):
            lead = b == self.first_leader
            box = BrokerBox(b, width=row.width, height=row.height, color=BROKER if lead else FOLLOWER,
                            badge="leader" if lead else "follower").move_to(row.center)
            log = PartitionLog(self.capacity, cell_width=min(0.75, width - 0.05), cell_height=0.46, offsets=False)
            log.add_pointer("HW", color=OFFSET, text_beside=True)
            log.move_to(box.content.center + UP * 0.08).align_to(box.content.point(0, 0), LEFT)
            self.boxes[b], self.logs[b] = box, log
        self.isr = ISROutline([self.boxes[b] for b in self.brokers], pad=0.05)
        lead_box = self.boxes[self.first_leader]
        self.bolt = CrashBolt(0.7).next_to(lead_box.name_text, RIGHT, buff=0.15)
        self.producer = ProducerNode(width=1.55).move_to([layout.MAIN.left + 0.78, self.boxes[self.first_leader].get_y(), 0])
        self.marks = {r: [AckMark(0.28) for _ in range(self.capacity)] for r in mark_runs}
        names = VGroup()
        ref = self.logs[self.first_leader]
        for r, row in zip(mark_runs, MARKS.rows(max(len(mark_runs), 1))):
            for i, mark in enumerate(self.marks[r]):
                mark.move_to([ref.cell_center(i)[0], row.center[1], 0])
            short = f"floor {self.runs[r]['min_insync']}" if self.runs[r]["stalled"] else self.name(r)
            names.add(label(short, font_size=theme.LABEL_SIZE).move_to([MARKS.left, row.center[1], 0], aligned_edge=LEFT))
        self.flights = FlightLayer(self.flight_list(log_run, mark_runs[0] if answers and mark_runs else None),
                                   fizzle_time=2.0)
        self.readout = SimTimeReadout(unit="ms", digits=3, title="time")
        PANEL.place(VGroup(self.readout, self.legend()).arrange(DOWN, aligned_edge=LEFT, buff=0.35), align=UP + LEFT)
        changing = VGroup(*self.boxes.values(), *self.logs.values(), self.isr, self.bolt, self.flights,
                          *[m for ms in self.marks.values() for m in ms], self.readout.cells)
        self.draw_at(clock.get_value())
        changing.add_updater(lambda _: self.draw_at(clock.get_value()))
        return VGroup(self.producer, names, self.readout.still, self.key, changing)

    def legend(self) -> Legend:
        solid = Rectangle(width=0.32, height=0.22, fill_color=PRODUCER, fill_opacity=1.0, stroke_color=PRODUCER)
        hollow = Rectangle(width=0.32, height=0.22, stroke_color=PRODUCER)
        marks = [AckMark(0.24).set_state(s) for s in ("acked", "lost", "error")]
        self.key = Legend([(solid, "below the HW: safe"), (hollow, "not yet in sync"), (marks[0], "acked"),
                           (marks[1], "acked, then lost"), (marks[2], "error")], title="key")
        return self.key

    def flight_list(self, run: str, answer_run: str | None) -> list[Flight]:
        lead = self.boxes[self.first_leader]
        out = self.producer.box.get_right()
        into = lead.frame.get_left()
        flights = []
        crash = self.runs[run]["summary"]["elect_ms"]
        for rec in self.runs[run]["records"]:
            end = rec["append_ms"] if rec["append_ms"] is not None else rec["error_ms"] or rec["answer_ms"]
            if end is None and crash is not None:
                flights.append(Flight(tuple(out), tuple(into), rec["send_ms"], max(crash, rec["send_ms"] + 0.5),
                                      color=PRODUCER, dropped=True, drop_at=0.9))
            elif end is not None:
                flights.append(Flight(tuple(out), tuple(into), rec["send_ms"], max(end, rec["send_ms"] + 0.5),
                                      color=PRODUCER))
            for b, at in rec["copies"].items():
                if b != self.first_leader and rec["append_ms"] is not None:
                    start, stop = lead.frame.get_right(), self.boxes[b].frame.get_right()
                    flights.append(Flight(tuple(start), tuple(stop), min(rec["append_ms"], at - FLY_MS), at,
                                          color=FOLLOWER, hollow=True, radius=0.07, arc=-1.4))
        if answer_run is not None:
            for rec in self.runs[answer_run]["records"]:
                done = rec["ack_ms"] if rec["error"] is None else rec["error_ms"]
                if rec["answer_ms"] is not None and done is not None:
                    flights.append(Flight(tuple(lead.frame.get_left() + DOWN * 0.2), tuple(out + DOWN * 0.2),
                                          rec["answer_ms"], done, color=OFFSET if rec["error"] is None else theme.FAILURE,
                                          hollow=True, radius=0.09))
        return flights

    def draw_at(self, t: float) -> None:
        st = self.step_at(self.log_run, t)
        leader, hw = st["leader"], st["hw"]
        ghosts = {s["broker"]: s["detail"]["dropped"] for s in self.runs[self.log_run]["steps"]
                  if s["event"] == "truncate" and s["t_ms"] <= t < s["t_ms"] + GHOST_MS}
        for b in self.brokers:
            alive = st["alive"][b]
            role = ("leader" if b == leader else "crashed" if not alive
                    else "stalled" if b in self.runs[self.log_run]["stalled"] else "follower")
            self.boxes[b].set_state(badge=role, color=BROKER if b == leader else FOLLOWER, dimmed=not alive)
            records = [Record(f"#{i}", solid=k < hw) for k, i in enumerate(st["logs"][b])]
            records += [Record(f"#{i}", solid=False, struck=True) for i in ghosts.get(b, [])]
            self.logs[b].set_records(records[:self.capacity])
            self.logs[b].set_dimmed(not alive)
            self.logs[b].set_pointer("HW", hw, visible=b == leader)
        self.isr.set_in_sync([b in st["isr"] for b in self.brokers])
        self.bolt.set_opacity(0.0 if st["alive"][self.first_leader] else 1.0)
        for r, marks in self.marks.items():
            summary = self.runs[r]["summary"]
            lost_from = summary["elect_ms"] if summary["elect_ms"] is not None else np.inf
            for rec, mark in zip(self.runs[r]["records"], marks):
                if rec["error_ms"] is not None and rec["error_ms"] <= t:
                    mark.set_state("error")
                elif rec["ack_ms"] is not None and rec["ack_ms"] <= t:
                    mark.set_state("lost" if rec["id"] in summary["lost_acked"] and t >= lost_from else "acked")
                else:
                    mark.set_state("pending" if rec["send_ms"] <= t else "none")
        self.flights.show_at(t)
        self.readout.set_value(max(t, 0))

    # --- the one-record timeline ----------------------------------------------------------------------
    def build_timeline(self, clock: ValueTracker) -> VGroup:
        lead = self.first_leader
        followers = [b for b in self.brokers if b != lead]
        lanes = ["producer", f"{lead} leader", *followers]
        recs = {r: self.runs[r]["records"][0] for r in self.crash_runs}
        rec = recs[self.crash_runs[-1]]
        t1 = max(x["ack_ms"] for x in recs.values()) + 2
        kinds = {"record": MessageKind(PRODUCER), "copy": MessageKind(FOLLOWER, hollow=True, dashed=True),
                 "answer": MessageKind(OFFSET, hollow=True)}
        events = [SeqEvent(0, rec["send_ms"], label=f"#{rec['id']}", color=PRODUCER, label_side="left"),
                  SeqEvent(1, rec["append_ms"], label="append", color=BROKER)]
        events += [SeqEvent(2 + i, rec["copies"][f], label="copy", color=FOLLOWER, label_side="down")
                   for i, f in enumerate(followers) if f in rec["copies"]]
        messages = [SeqMessage(0, rec["send_ms"], 1, rec["append_ms"], kind="record")]
        messages += [SeqMessage(1, rec["append_ms"], 2 + i, rec["copies"][f], kind="copy")
                     for i, f in enumerate(followers) if f in rec["copies"]]
        self.mode_parts = {}
        for r in self.crash_runs:
            x = recs[r]
            events.append(SeqEvent(0, x["ack_ms"], label=f"{self.name(r)}: {x['latency_ms']} ms", color=OFFSET,
                                   shape="square", label_side="up"))
            parts = ([len(events) - 1], [])
            if x["answer_ms"] is not None:
                messages.append(SeqMessage(1, x["answer_ms"], 0, x["ack_ms"], kind="answer"))
                parts = ([len(events) - 1], [len(messages) - 1])
            self.mode_parts[r] = parts
        region = Region(layout.STAGE.left, layout.STAGE.right, layout.STAGE.bottom + 0.2, layout.STAGE.top - 0.2)
        self.diagram = SequenceDiagram(lanes, t0=-1, t1=t1, region=region, events=events, messages=messages,
                                       kinds=kinds, name_room=1.9)
        axis = label("time (ms) →", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
        axis.next_to(self.diagram.lines[-1], DOWN, buff=0.5).align_to(self.diagram.lines[-1], RIGHT)
        self.diagram.follow(clock)
        return VGroup(self.diagram, axis)

    def focus_modes(self, upto: int) -> None:
        base_e = [0, 1] + [i for i, ev in enumerate(self.diagram.events) if ev.lane >= 2]
        base_m = [i for i, m in enumerate(self.diagram.messages) if m.kind != "answer"]
        keep_e, keep_m = list(base_e), list(base_m)
        for r in self.crash_runs[:upto + 1]:
            keep_e += self.mode_parts[r][0]
            keep_m += self.mode_parts[r][1]
        self.diagram.focus(keep_e, keep_m)

    # --- beats ------------------------------------------------------------------------------------------
    def construct(self) -> None:
        crash = self.runs[self.crash_runs[0]]["summary"]["elect_ms"] or self.p["crash_at_ms"]
        self.chapter("Acknowledged, then gone")
        self.show_title_card(2.4)
        self.hook(crash)
        self.setup_beat()
        self.chapter("Three acks settings")
        self.modes_beat()
        self.chapter("The leader crashes")
        self.crash_beat(crash)
        self.chapter("A floor of copies")
        self.stalled_beat()
        self.takeaway()

    def hook(self, crash: float) -> None:
        middle = self.crash_runs[1] if len(self.crash_runs) > 2 else self.crash_runs[0]
        self.clock = ValueTracker(crash - 9)
        self.reveal(self.build_cluster(middle, [middle], self.clock, answers=True))
        lost = self.runs[middle]["summary"]["lost_acked"]
        self.narrate(f"With {self.name(middle)}, the producer hears: saved.", self.clock, crash - 0.5, 2.4)
        gone = " and ".join(", ".join(f"#{i}" for i in lost).rsplit(", ", 1))
        self.narrate(f"Then {self.first_leader} dies, and " + (f"{gone} {'are' if len(lost) > 1 else 'is'} gone."
                                                                 if lost else "nothing is lost."),
                     self.clock, crash + GHOST_MS + 0.5, 3.0)

    def setup_beat(self) -> None:
        run = self.crash_runs[-1]
        self.clear_stage()
        self.clock = ValueTracker(0)
        self.reveal(self.build_cluster(run, [], self.clock, answers=False))
        self.narrate(f"One leader, {len(self.brokers) - 1} followers that copy from it.", self.clock, 10, 2.7)
        self.poster_time = self.time - 1.0
        self.narrate("The ring marks the in-sync replicas (ISR).", self.clock, 16, 2.6)
        self.narrate("Below the high watermark, every ISR member has it.", self.clock, 22, 3.0)

    def modes_beat(self) -> None:
        self.clear_stage()
        self.clock = ValueTracker(-0.4)
        self.reveal(self.build_timeline(self.clock))
        r0, r1, r2 = (self.crash_runs + self.crash_runs[-1:] * 2)[:3]
        lat = {r: self.runs[r]["records"][0]["latency_ms"] for r in self.crash_runs}
        self.focus_modes(0)
        self.narrate(f"{self.name(r0)}: done the moment it is sent, {lat[r0]} ms.", self.clock, 1, 2.8)
        self.narrate("Fire and forget: a loss is never reported.", self.clock, 1.5, 2.8)
        self.focus_modes(1)
        a1 = self.runs[r1]["records"][0]["ack_ms"]
        self.narrate(f"{self.name(r1)}: the leader answers once it has appended.", self.clock, a1, 3.4)
        self.narrate(f"{lat[r1]} ms, but only one machine has it.", self.clock, a1 + 0.5, 2.6)
        a2 = self.runs[r2]["records"][0]["ack_ms"]
        choices = sorted({lat[r] for r in self.crash_runs})
        first = self.runs[r2]["records"][0]["id"]
        self.checkpoint(f"With {self.name(r2)}, after how many ms does the producer hear back about #{first}?",
                        [f"{c} ms" for c in choices], choices.index(lat[r2]),
                        "The leader answers only when every in-sync replica, the slowest included, has the record.")
        self.focus_modes(2)
        self.narrate(f"{self.name(r2)}: it waits until every in-sync copy has it.", self.clock, a2, 4.0)
        self.narrate(f"{lat[r2]} ms: the slowest follower sets the pace.", self.clock, a2 + 0.5, 3.0)

    def crash_beat(self, crash: float) -> None:
        self.clear_stage()
        log_run = self.crash_runs[-1]
        self.clock = ValueTracker(crash - 14)
        self.reveal(self.build_cluster(log_run, self.crash_runs, self.clock, answers=False))
        lost = {r: len(self.runs[r]["summary"]["lost_acked"]) for r in self.crash_runs}
        self.narrate("Same writes, three producers: one per acks setting.", self.clock, crash - 5, 3.4)
        mid = self.crash_runs[1] if len(self.crash_runs) > 2 else self.crash_runs[0]
        options = count_choices(lost[mid], self.capacity)
        self.checkpoint(f"{self.first_leader} is about to crash. How many acknowledged records will "
                        f"{self.name(mid)} lose?", [str(o) for o in options], options.index(lost[mid]),
                        f"Acknowledged records the new leader never copied are lost: {lost[mid]}.")
        new = self.runs[log_run]["summary"]["new_leader"]
        self.narrate(f"{self.first_leader} crashes; {new} takes over and the others trim.", self.clock,
                     crash + GHOST_MS + 0.5, 3.6)
        table = TableWidget(["acks", "lost"], [[self.name(r), str(lost[r])] for r in self.crash_runs],
                            font_size=theme.LABEL_SIZE, row_height=0.5)
        PANEL.place(table, align=DOWN + LEFT)
        self.play(FadeIn(table), run_time=0.4)
        counts = " / ".join(str(lost[r]) for r in self.crash_runs)
        self.narrate(f"Acknowledged, then lost: {counts}.", self.clock, crash + GHOST_MS + 1, 2.6)
        strict = self.name(self.crash_runs[-1])
        self.narrate(f"{strict} lost nothing it confirmed." if lost[self.crash_runs[-1]] == 0 else
                     f"Even {strict} lost some: the ISR was too small.", self.clock, crash + GHOST_MS + 1.5, 2.6)

    def stalled_beat(self) -> None:
        if not self.stalled:
            return
        strict = self.stalled[0]
        self.clear_stage()
        self.clock = ValueTracker(0)
        self.reveal(self.build_cluster(strict, [strict], self.clock, answers=True))
        shrink = self.runs[strict]["summary"]["isr_shrinks"]
        t_shrink = shrink[-1][1] if shrink else 0
        floor = self.runs[strict]["min_insync"]
        self.narrate(f"Now {' and '.join(self.runs[strict]['stalled'])} stall and fall out of the ring.", self.clock,
                     t_shrink + 0.5, 3.6)
        acked = self.runs[strict]["summary"]["acked"]
        answer = ("an ack for every record" if len(acked) == self.capacity else
                  "an error for every record" if not acked else "some acks, some errors")
        choices = ["an ack for every record", "an error for every record", "some acks, some errors"]
        self.checkpoint(f"Only the leader is in sync, and min.insync.replicas is {floor}. What does acks=all get?",
                        choices, choices.index(answer), "Below the floor, the leader refuses instead of acknowledging.")
        end = self.runs[strict]["summary"]["end_ms"]
        self.narrate(f"With min.insync.replicas={floor}: errors, not false promises.", self.clock, end, 4.0)
        if len(self.stalled) > 1:
            loose = self.stalled[1]
            copies = {rec["copies_at_ack"] for rec in self.runs[loose]["records"] if rec["copies_at_ack"]}
            self.clear_stage()
            self.clock = ValueTracker(t_shrink)
            self.reveal(self.build_cluster(loose, [loose], self.clock, answers=True))
            self.narrate(f"With a floor of {self.runs[loose]['min_insync']}, acks=all acks anyway...", self.clock,
                         self.runs[loose]["summary"]["end_ms"], 3.4)
            leader_only = next((self.name(r) for r in self.crash_runs if self.runs[r]["acks"] not in (0, "all")), "")
            self.narrate(f"...each record on {' or '.join(str(c) for c in sorted(copies)) or 'no'} copy"
                         + (f": as weak as {leader_only}." if leader_only else "."), self.clock,
                         self.runs[loose]["summary"]["end_ms"] + 0.5, 3.4)

    def takeaway(self) -> None:
        rows = [[self.name(row["run"]), "·" if row["max_latency_ms"] is None else f"{row['max_latency_ms']} ms",
                 str(row["acked"]), str(row["lost"]), str(row["failed"])] for row in self.s["table"]]
        table = TableWidget(["run", "max latency", "acked", "lost", "errors"], rows, font_size=theme.LABEL_SIZE,
                            row_height=0.55, max_width=layout.STAGE.width)
        self.clear_stage()
        table.move_to(layout.STAGE.point(0.5, 0.6))
        self.caption("Pay a few ms with acks=all; keep what you confirmed.")
        self.play(*self.set_heading("Takeaway"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(1.2)
        floor = self.p["min_insync"]
        self.caption(f"Replicate to {len(self.brokers)}, min.insync.replicas={floor}, acks=all.")
        self.wait(1.5)
        self.finish()
