"""Exactly-Once Semantics: retries duplicate, idempotence drops resends, transactions and read_committed
readers drop the rest (storyboard: exactly-once-semantics.md).

The stage is a pure function of a clock in simulator ticks (:meth:`ExactlyOnceSemanticsScene.draw_at`): it
shows the state after the last step at or before the clock, and every request, answer and marker flies
during the tick before the step that records it. Each of the trace's four chapters has its own view (its
partitions in the broker, its clients and its side widgets), swapped in behind a fade.
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, ValueTracker, VGroup

from scenes.kit import (CrashBolt, ExplainerScene, Flight, FlightLayer, SwapText, TableWidget, TimerRing, label,
                        layout, route_between, theme)
from scenes.kit.segments import TxnMarkers
from scenes.kit.storage import KeyValueTable
from scenes.kit.streams import (OFFSET, PRODUCER, BrokerBox, ConsumerNode, CoordinatorNode, PartitionLog,
                                ProducerNode, Record)

__all__ = ["ExactlyOnceSemanticsScene"]

BROKER_BAND, BOTTOM = layout.STAGE.cut_top(3.55, gap=0.12)
ROWS = {"dup": ["dup"], "idem": ["idem"], "reprocess": ["in", "out_plain"], "txn": ["offsets", "out"]}
ACTORS = {"dup": ["producer"], "idem": ["producer"], "reprocess": ["app"], "txn": ["A", "B"]}
TO_COORDINATOR = ("init_pid", "begin", "add_partition", "end_txn")
STATUS = {"running": ("", theme.TEXT), "stalled": ("stalled", theme.HIGHLIGHT), "fenced": ("fenced ✗", theme.FAILURE),
          "stopped": ("crashed", theme.FAILURE)}


class InstanceNode(VGroup):
    """A producing client: the producer box, a detail line under it and a status word above it."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.node = ProducerNode(name)
        self.detail = SwapText("·", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED, monospace=False)
        self.status = SwapText("·", font_size=theme.MIN_FONT_SIZE, monospace=False)
        self.bolt = CrashBolt(0.6).move_to(self.node.box.get_right() + RIGHT * 0.05)
        self.add(self.node, self.detail, self.status, self.bolt)

    def show(self, inst: dict[str, Any] | None) -> None:
        """Draw the instance's state (``None``: not started, nothing drawn)."""
        shown = inst is not None
        self.node.box.set_fill(opacity=1.0 if shown else 0.0)
        self.node.set_state(dimmed=not shown or inst["status"] in ("fenced", "stopped"))
        if not shown:
            self.node.box.set_stroke(opacity=0.0)
            self.node.name_text.set_fill(opacity=0.0)
        pid = "no pid" if not shown or inst["pid"] is None else f"pid {inst['pid']}"
        self.detail.set_text(f"epoch {inst['epoch']}" if shown and inst["id"] in ("A", "B") else pid)
        self.detail.move_to(self.node.box.get_bottom() + DOWN * 0.2)
        self.detail.set_opacity(1.0 if shown else 0.0)
        word, color = STATUS[inst["status"]] if shown else ("", theme.TEXT)
        self.status.set_text(word or "·", color).move_to(self.node.box.get_top() + UP * 0.2)
        self.status.set_opacity(1.0 if word else 0.0)
        crashed = 1.0 if shown and inst["status"] == "stopped" else 0.0
        self.bolt.set_fill(opacity=crashed).set_stroke(opacity=crashed)


class ExactlyOnceSemanticsScene(ExplainerScene):
    """A duplicated payment, the idempotent producer, a restart, transactions with fencing, two readers."""

    # --- reading the trace -------------------------------------------------------------
    def setup(self) -> None:
        self.p, self.s = self.trace["params"], self.trace["summary"]
        self.steps, self.ranges = self.trace["steps"], self.trace["chapters"]
        self.ticks = [st["t"] for st in self.steps]
        if set(self.ranges) != set(ROWS) or not self.trace["txns"]:
            raise ValueError("this storyboard needs the four chapters dup, idem, reprocess and txn")
        self.capacity = {ch: {p: max([len(st["logs"].get(p, [])) for st in self.chapter_steps(ch)]
                                     + [len(self.trace["inputs"]) if p == "in" else 1]) for p in ROWS[ch]}
                         for ch in self.ranges}

    def chapter_steps(self, ch: str) -> list[dict[str, Any]]:
        return self.steps[self.ranges[ch]["first_step"]:self.ranges[ch]["last_step"] + 1]

    def state_at(self, t: float) -> dict[str, Any]:
        return self.steps[max(bisect.bisect_right(self.ticks, t + 1e-9) - 1, 0)]

    def tick(self, event: str, chapter: str, nth: int = 0, **match: Any) -> int:
        found = [st["t"] for st in self.steps if st["event"] == event and st["chapter"] == chapter
                 and all(st["actor"] == v if k == "actor" else st["detail"].get(k) == v for k, v in match.items())]
        if len(found) <= nth:
            raise ValueError(f"no step {nth} of {event} in {chapter} {match}")
        return found[nth]

    # --- the views -----------------------------------------------------------------------------
    def build_views(self, clock: ValueTracker) -> dict[str, VGroup]:
        self.clock, self.views, self.logs, self.nodes, self.extras = clock, {}, {}, {}, {}
        self.broker = BrokerBox("broker", width=BROKER_BAND.width, height=BROKER_BAND.height)
        self.broker.move_to(BROKER_BAND.center)
        room = self.broker.content
        for ch, parts in ROWS.items():
            widest = max(label(p, font_size=theme.LABEL_SIZE, weight="BOLD").width for p in parts)
            cells = max(self.capacity[ch].values())
            width = min(1.1, (room.width - widest - 0.3) / cells)
            self.logs[ch] = {}
            for k, part in enumerate(parts):
                log = PartitionLog(self.capacity[ch][part], name=part, cell_width=width - 0.05, gap=0.05,
                                   name_width=widest)
                y = room.center[1] + (len(parts) - 1) * 0.68 - k * 1.42
                log.shift(np.array([room.left + 0.05, y, 0]) - np.array([log.get_left()[0], log.cell_center(0)[1], 0]))
                self.logs[ch][part] = log
            self.nodes[ch] = {a: InstanceNode(a) for a in ACTORS[ch]}
            for node, x in zip(self.nodes[ch].values(), (BOTTOM.left + 0.1, -1.1)):
                node.shift(np.array([x, BOTTOM.point(0, 0.55)[1], 0]) - node.node.box.get_left())
        out, cin = self.logs["txn"]["out"], self.logs["reprocess"]["in"]
        out.add_pointer("HW", color=OFFSET, lane=0, text_beside=True)
        out.add_pointer("LSO", color=OFFSET, lane=1, text_beside=True)
        cin.add_pointer("committed", color=OFFSET, text_beside=True)
        self.marks = TxnMarkers(out, self.capacity["txn"]["out"])
        self.offset_marks = TxnMarkers(self.logs["txn"]["offsets"], self.capacity["txn"]["offsets"])
        self.ring = TimerRing(0.22, color=PRODUCER)
        self.ring.move_to(self.nodes["dup"]["producer"].node.box.get_right() + RIGHT * 0.45)
        self.build_extras()
        for ch in ROWS:
            flights = FlightLayer(self.flights(ch), fizzle_time=0.6)
            parts = [*self.logs[ch].values(), *self.nodes[ch].values(), flights, *self.extras[ch]]
            if ch in ("dup", "idem"):
                parts.append(self.ring.copy())
            if ch == "txn":
                parts += [self.marks, self.offset_marks]
            view = VGroup(*parts)
            view.add_updater(lambda m, ch=ch: self.draw_at(ch, m, self.clock.get_value()))
            self.views[ch] = view
        return self.views

    def build_extras(self) -> None:
        right = np.array([-2.0, BOTTOM.point(0, 0.95)[1], 0])
        charged = SwapText("·", font_size=theme.BODY_SIZE, weight="BOLD", color=theme.FAILURE)
        intended = label(f"intended: ${self.s['intended_total']}", font_size=theme.LABEL_SIZE, color=theme.MUTED)
        title = label("charged to the customer", font_size=theme.LABEL_SIZE, color=theme.MUTED)
        VGroup(title, charged, intended).arrange(DOWN, buff=0.15, aligned_edge=LEFT).move_to(right,
                                                                                          aligned_edge=UP + LEFT)
        self.extras = {"dup": [title, charged, intended]}
        for ch in ("idem", "reprocess"):
            keys = sorted({k for st in self.chapter_steps(ch) for k in st["dedup"]})
            table = KeyValueTable("the broker remembers, per pid/partition", keys, value_width=3.2)
            table.move_to(right, aligned_edge=UP + LEFT)
            self.extras[ch] = [table]
        idem = self.logs["idem"]["idem"]
        self.bounce = SwapText("·", font_size=theme.LABEL_SIZE, color=theme.HIGHLIGHT, monospace=False)
        self.bounce_at = idem.cell(idem.capacity - 1).box.get_right() + RIGHT * 0.4
        self.extras["idem"].append(self.bounce)
        self.coordinator = CoordinatorNode("coordinator", detail="· · ·", width=3.8)
        self.coordinator.move_to([-3.3, BOTTOM.point(0, 0.55)[1], 0])
        self.readers, self.lists = {}, {}
        for k, (name, mode) in enumerate((("RU", "uncommitted"), ("RC", "committed"))):
            node = ConsumerNode(name, detail=mode, height=0.55)
            node.move_to([-0.1, BOTTOM.point(0, 0.74 - 0.44 * k)[1], 0], aligned_edge=LEFT)
            self.readers[name] = node
            self.lists[name] = SwapText("·", font_size=theme.MIN_FONT_SIZE, monospace=False)
        self.extras["txn"] = [self.coordinator, *self.readers.values(), *self.lists.values()]

    def target(self, ch: str, part: str, offset: int) -> np.ndarray:
        log = self.logs[ch][part]
        return log.cell_center(min(offset, log.capacity - 1)) + DOWN * 0.3

    def flights(self, ch: str) -> list[Flight]:
        out, steps = [], self.chapter_steps(ch)
        for i, st in enumerate(steps):
            t, ev, d = st["t"], st["event"], st["detail"]
            node = self.nodes[ch].get(st["actor"])
            if node is not None and ev in ("send", "resend") and d.get("partition") in self.logs[ch]:
                got = next(s for s in steps[i + 1:] if s["event"] in ("append", "duplicate", "out_of_order"))
                offset = got["entry"]["offset"] if got["event"] == "append" else got["detail"]["offset"]
                seq = st["entry"]["seq"]
                out.append(self.flight(node.node.box.get_top(), self.target(ch, d["partition"], offset), t, got["t"],
                                       tag=f"seq {seq}" if seq is not None else ""))
            elif ev in ("answer", "answer_lost") and ch != "txn":  # answers in a transaction are not drawn
                out.append(self.flight(self.target(ch, d["partition"], d["offset"]),
                                       self.nodes[ch][ACTORS[ch][0]].node.box.get_top(), t - 1, t, hollow=True,
                                       dropped=ev == "answer_lost"))
            elif ev == "consume" and node is not None and "in" in self.logs[ch]:
                out.append(self.flight(self.target(ch, "in", st["entry"]["offset"]), node.node.box.get_top(), t - 1, t,
                                       color=theme.TEXT))
            elif node is not None and ev in TO_COORDINATOR + ("fenced",) and ch == "txn":
                out.append(self.flight(node.node.edge_point(self.coordinator.box.get_center()),
                                       self.coordinator.edge_point(node.node.box.get_center()), t - 1, t,
                                       color=theme.HIGHLIGHT, dropped=ev == "fenced"))
            elif node is not None and ev == "send_offsets":
                out.append(self.flight(node.node.box.get_top(), self.target(ch, "offsets", st["entry"]["offset"]),
                                       t - 1, t))
            elif ev == "marker":
                out.append(self.flight(self.coordinator.box.get_top(), self.target(ch, d["partition"],
                                                                                   st["entry"]["offset"]), t - 1, t,
                                       color=theme.HIGHLIGHT))
        return out

    def flight(self, a: np.ndarray, b: np.ndarray, t0: float, t1: float, *, color: str = PRODUCER,
               hollow: bool = False, dropped: bool = False, tag: str = "") -> Flight:
        start, end = route_between(a, b, start_gap=0.05, end_gap=0.05)
        return Flight(tuple(start), tuple(end), t0 + 0.05, t1, color=color, hollow=hollow, radius=0.11,
                      dropped=dropped, drop_at=0.55, tag=tag)

    # --- one frame, from the trace ------------------------------------------------------------
    def draw_at(self, ch: str, view: VGroup, t: float) -> None:
        st = self.state_at(t)
        insts = {inst["id"]: inst for inst in st["instances"]} if st["chapter"] == ch else {}
        for name, node in self.nodes[ch].items():
            node.show(insts.get(name))
        for part, log in self.logs[ch].items():
            entries = self.trace["inputs"] if part == "in" else st["logs"].get(part, []) if st["chapter"] == ch else []
            log.set_records([self.record(e, entries) for e in entries])
        flights = next(m for m in view if isinstance(m, FlightLayer))
        flights.show_at(t)
        self.draw_side(ch, st, t, view)

    def record(self, e: dict[str, Any], entries: list[dict[str, Any]]) -> Record:
        ends = {x["txn"]: x["kind"] for x in entries if x["kind"] != "data"}
        if e["kind"] != "data":
            return Record(e["kind"], f"T{e['txn']}", color=OFFSET if e["kind"] == "commit" else theme.FAILURE)
        value = f"{e['value']}"
        if " " in value:
            key, sub = value.split(" ", 1)
        else:
            key, sub = value, (f"T{e['txn']}" if e["txn"] is not None else f"{e['pid']}" if e["pid"] else "")
        return Record(key, sub, solid=e["txn"] is None or ends.get(e["txn"]) == "commit")

    def draw_side(self, ch: str, st: dict[str, Any], t: float, view: VGroup) -> None:
        """The chapter's own widgets: the charged total, the broker's dedup table, the timeout ring, offsets."""
        here = st["chapter"] == ch
        if ch == "dup":
            dollars = [int(e["value"].rsplit("$", 1)[1]) for e in st["logs"].get("dup", []) if "$" in e["value"]]
            self.extras["dup"][1].set_text(f"${sum(dollars)}")
        if ch in ("idem", "reprocess"):
            self.extras[ch][0].set_values({k: f"last seq {v['last_seq']} → offset {v['offset']}"
                                           for k, v in st["dedup"].items()} if here else {})
        if ch in ("dup", "idem"):
            self.draw_ring(view, t, ch)
        if ch == "idem":
            dup = next((x for x in self.chapter_steps(ch) if x["event"] == "duplicate"), None)
            shown = dup is not None and dup["t"] <= t < dup["t"] + 2
            if dup is not None:
                self.bounce.set_text(f"seq {dup['entry']['seq']} again: already at offset {dup['detail']['offset']}")
                self.bounce.shift(self.bounce_at - self.bounce.current.get_left())
            self.bounce.set_opacity(1.0 if shown else 0.0)
        if ch == "reprocess":
            self.logs[ch]["in"].set_pointer("committed", st["committed_offset"])
        if ch == "txn":
            self.draw_txn(st)

    def draw_ring(self, view: VGroup, t: float, ch: str) -> None:
        ring = next(m for m in view if isinstance(m, TimerRing))
        steps = self.chapter_steps(ch)
        sends = [s["t"] for s in steps if s["event"] in ("send", "resend")]
        ends = [s["t"] for s in steps if s["event"] in ("answer", "resend")]
        start = max((s for s in sends if s <= t), default=None)
        done = start is None or any(start < e <= t for e in ends)
        ring.set_visible(not done)
        if not done:
            ring.set_fraction(min(max(1 - (t - start) / self.p["request_timeout"], 0.0), 1.0))

    def draw_txn(self, st: dict[str, Any]) -> None:
        out = self.logs["txn"]["out"]
        entries = st["logs"].get("out", []) if st["chapter"] == "txn" else []
        ends = {x["txn"]: x["kind"] for x in entries if x["kind"] != "data"}
        self.marks.set_marks([(e["offset"], e["kind"]) for e in entries if e["kind"] != "data"]
                             + [(e["offset"], "aborted") for e in entries if e["kind"] == "data"
                                and ends.get(e["txn"]) == "abort"])
        offsets = st["logs"].get("offsets", []) if st["chapter"] == "txn" else []
        self.offset_marks.set_marks([(e["offset"], e["kind"]) for e in offsets if e["kind"] != "data"])
        out.set_pointer("HW", st["hw"])
        out.set_pointer("LSO", st["lso"], visible=st["lso"] < st["hw"])
        c = st["coordinator"]
        self.coordinator.set_state(detail=f"epoch {c['epoch']} · {c['state']}" if c["epoch"] is not None else "idle")
        by_offset = {e["offset"]: e["value"] for e in entries}
        for name, key in (("RU", "ru_delivered"), ("RC", "rc_delivered")):
            got = " ".join(by_offset[o] for o in st[key] if o in by_offset)
            shown = self.lists[name].set_text(got or "nothing yet", theme.TEXT if got else theme.MUTED)
            shown.shift(self.readers[name].box.get_right() + RIGHT * 0.2 - shown.current.get_left())

    # --- beats ------------------------------------------------------------------------------------
    def tell(self, text: str, t_end: float, seconds: float = 1.2) -> None:
        """Caption ``text`` and play what it names at once; the frame then holds until the caption is read."""
        self.caption(text)
        self.advance(self.clock, t_end, seconds)

    def go(self, chapter: str, t: float) -> None:
        """Once the caption has been read, cut to another moment, with ``chapter``'s view on stage."""
        self.clear_caption()
        def change() -> None:
            self.remove(*[v for v in self.views.values() if v in self.mobjects])
            self.clock.set_value(t)
            self.add(self.views[chapter])
        self.fade_cut(change)

    def chapter_at_rest(self, title: str) -> None:
        self.clear_caption()
        self.chapter(title)

    def construct(self) -> None:
        self.chapter("One payment, charged twice")
        self.show_title_card(3.0)
        clock = ValueTracker(self.ranges["dup"]["end_t"])
        views = self.build_views(clock)
        self.reveal(self.broker, views["dup"])
        res = self.s["dup_resend"]
        self.caption(f"{res['value']} sits in the log twice: ${self.s['charged_total']} charged, "
                     f"not ${self.s['intended_total']}.")
        self.retry_beat()
        self.chapter_at_rest("The idempotent producer")
        self.idempotent_beat()
        self.chapter_at_rest("A restart is not a retry")
        self.restart_beat()
        self.chapter_at_rest("Transactions")
        self.transaction_beat()
        self.chapter_at_rest("Zombies and the redo")
        self.fencing_beat()
        self.chapter_at_rest("Two readers")
        self.readers_beat()
        self.takeaway()

    def retry_beat(self) -> None:
        res, ch = self.s["dup_resend"], "dup"
        self.go(ch, self.ranges[ch]["start_t"])
        lost = self.tick("answer_lost", ch)
        resend = self.tick("resend", ch)
        self.tell(f"A producer sends payments one at a time; {res['value']} lands at offset {res['first_offset']}.",
                  lost - 1, 2.4)
        self.tell("Its answer is lost on the way back.", lost, 1.0)
        self.poster_time = self.time - 0.4
        self.tell(f"No answer within {self.p['request_timeout']} ticks: it sends again.", resend, 1.6)
        self.tell(f"The broker appends it again, at offset {res['second_offset']}.", resend + 1, 1.0)
        self.tell("A lost answer looks just like a lost write.", self.ranges[ch]["end_t"], 1.6)

    def idempotent_beat(self) -> None:
        ch, res = "idem", self.s["idem_resend"]
        start = self.ranges[ch]["start_t"]
        self.go(ch, start)
        self.tell(f"With idempotence the broker gives the producer an id: pid {self.s['pids']['idem']}.", start, 0.5)
        lost = self.tick("answer_lost", ch)
        self.tell(f"Every record gets a sequence number; {res['value']} is seq {res['seq']}.", lost - 1, 2.4)
        self.tell(f"Its answer is lost too, and seq {res['seq']} is sent again.", res["t"] - 1, 2.0)
        self.clear_caption()
        self.checkpoint(f"The resend of seq {res['seq']} reaches the broker. What does it do?",
                        ["it appends it again", f"it answers offset {res['offset']} and appends nothing",
                         "it rejects the producer"], 1 if res["outcome"] == "duplicate" else 0,
                        "The broker remembers the last sequence number per producer and partition.")
        self.tell(f"The broker has seq {res['seq']} already: it answers offset {res['offset']}, appends nothing.",
                  res["t"] + 1, 2.0)
        self.tell("One copy, however many retries.", self.ranges[ch]["end_t"], 1.6)

    def restart_beat(self) -> None:
        ch = "reprocess"
        self.go(ch, self.ranges[ch]["start_t"])
        crash = self.tick("crash", ch)
        self.tell("An app turns payments from in into outputs in out_plain.", crash - 1, 3.0)
        self.tell("It crashes before saving how far it has read.", crash, 1.0)
        pids = self.s["pids"]["reprocess"]
        self.tell(f"Restarted with a new pid, {pids[-1]}, it reads its inputs again.", crash + 2, 1.4)
        self.tell("Same outputs, new pid: the broker has nothing to drop.", self.ranges[ch]["end_t"], 2.4)

    def transaction_beat(self) -> None:
        ch, t1 = "txn", self.trace["txns"][0]
        self.go(ch, self.ranges[ch]["start_t"])
        self.tell("Now the app writes in transactions, run by a coordinator.", t1["begin_t"], 1.0)
        first = self.tick("send_offsets", ch)
        self.tell(f"T{t1['txn']}'s outputs land in out, hollow: not committed yet.", first - 1, 2.6)
        offset = next(st["detail"]["offset"] for st in self.steps if st["event"] == "send_offsets")
        self.tell(f"The input offset {offset} joins the same transaction.", first, 1.0)
        self.tell("Commit: markers go to both logs, so all of it counts.", t1["end_t"] + 1, 2.0)

    def fencing_beat(self) -> None:
        ch, f = "txn", self.s["fencing"]
        t2 = next(x for x in self.trace["txns"] if x["txn"] == f["aborted_txn"])
        self.tell(f"In T{t2['txn']}, A writes its outputs, then stalls.", f["stall_t"], 2.6)
        bump = self.tick("init_pid", ch, actor="B")
        self.tell(f"B starts with the same transactional id: epoch {f['old_epoch']} → {f['new_epoch']}.", bump, 1.2)
        self.clear_caption()
        self.checkpoint(f"B has bumped the epoch. What happens to A's open T{t2['txn']}?",
                        ["it is aborted", "it commits", "B carries it on"], 0,
                        "A new epoch aborts the open transaction of the old one, so a zombie cannot finish it.")
        self.tell(f"The coordinator aborts T{t2['txn']}: an abort marker; its outputs stay in the log.",
                  f["fenced_t"] - 1, 2.0)
        self.tell(f"A wakes and tries to go on: fenced, epoch {f['old_epoch']} is too old.", f["fenced_t"], 1.2)
        t3 = self.trace["txns"][-1]
        self.tell(f"B redoes the inputs from the committed offset, in T{t3['txn']}.", t3["end_t"] - 2, 2.6)
        self.tell(f"It commits the new offset, {self.s['final_committed_offset']}, with them.", t3["end_t"] + 1, 1.6)

    def readers_beat(self) -> None:
        s = self.s
        twice = sorted({v for v in s["ru_values"] if s["ru_values"].count(v) > 1})
        self.checkpoint(f"Two readers read out. Which one gets {twice[0] if twice else 'an output'} twice?",
                        ["RU (read_uncommitted)", "RC (read_committed)", "neither"], 0 if twice else 2,
                        "read_uncommitted hands out aborted data; read_committed skips it.")
        self.caption(f"RU got {' '.join(s['ru_values'])}: aborted outputs included.")
        self.caption(f"RC got {' '.join(s['rc_values'])}: each output once.")
        wait = next((w for w in s["rc_waits"] if w["txn"] == s["fencing"]["aborted_txn"]), s["rc_waits"][0])
        self.caption(f"Back at tick {wait['t']}: RC waited at the LSO, offset {wait['lso']}.")
        self.jump(self.clock, wait["t"])
        self.caption("It reads only up to the first open transaction.")
        lat = s["commit_latency"][0]["ticks"]
        self.caption(f"The price: outputs wait for the commit, {lat} ticks here.")
        self.clear_caption()
        self.jump(self.clock, self.ranges["txn"]["end_t"])

    def takeaway(self) -> None:
        d = self.s["duplicates"]
        rows = [["idempotent producer", "drops a resend", f"duplicates {d['dup']} → {d['idem']}"],
                ["transactions", "outputs + offsets, all or nothing", "a zombie is fenced"],
                ["read_committed", "skips aborted data", f"duplicates {d['txn_ru']} → {d['txn_rc']}"]]
        self.clear_stage()
        table = TableWidget(["layer", "what it does", "in this run"], rows, font_size=theme.BODY_SIZE,
                            row_height=0.8, max_width=layout.STAGE.width)
        layout.STAGE.place(table)
        self.caption("Exactly once, inside Kafka: for effects elsewhere, you still dedupe.")
        self.play(*self.set_heading("Takeaway"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(3.4)
        self.finish()
