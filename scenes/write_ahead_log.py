"""Write-Ahead Log: log first, force the log at commit, redo and undo from the log after a crash
(storyboard: write-ahead-log.md).

Memory (buffer pool, log buffer) sits above disk (data pages, log file). The stage is a pure function
of a tick clock (:meth:`WriteAheadLogScene.draw_at`): at tick ``k`` the state after step ``k``; between
``k`` and ``k + 1`` step ``k + 1`` happens (records slide to the log file, pages fly to disk, lost and cut
records are struck out). From clock :data:`CHECKPOINTED` on, the checkpointed run of the story shows.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, Rectangle, ValueTracker, VGroup

from scenes.kit import (Counter, ExplainerScene, Flight, FlightLayer, Legend, SwapText, TableWidget, label, layout,
                        theme)
from scenes.kit.storage import CrashOverlay, FlagMarker, FocusFrame, PageCard, RecordRow, RecordShelves, StorageTier

__all__ = ["WriteAheadLogScene"]

MEMORY_BAND, DISK_BAND = layout.MAIN.cut_top(1.95, gap=0.2)
PANEL = layout.SIDE_PANEL
CHECKPOINTED = 100.0  #: clock value of the checkpointed run's tick 0
CARD_W, CARD_H, CARD_GAP = 1.3, 1.05, 0.2
LOG_GAP = 0.35  #: between the page cards and the log rows
SUBLABEL_H = 0.36  #: room for a tier's "buffer pool" / "log file" labels
FLIGHT_S = 0.95  #: ticks a page takes to fly to disk (it leaves just after the tick before, not at it)
RECOVERY = ("analysis", "redo", "undo", "done")
NOTES = {"redo_apply": ("redo", theme.SUCCESS), "redo_skip": ("skip", theme.MUTED), "undo": ("undo", theme.FAILURE)}


class WriteAheadLogScene(ExplainerScene):
    """Two transfers, a stolen page, a crash and ARIES-style recovery, then the same story with a checkpoint."""

    # --- reading the trace -------------------------------------------------------------
    def setup(self) -> None:
        if self.trace["params"]["mode"] != "story" or set(self.trace["runs"]) != {"plain", "checkpointed"}:
            raise ValueError("this storyboard needs a story-mode trace (runs plain and checkpointed)")
        self.summary = self.trace["summary"]
        plain = self.summary["plain"]
        self.pages = sorted(plain["initial"])[:2]
        self.t1, self.t2 = self.trace["transfers"]["plain"]
        self.total = plain["initial_total"]
        #: per run: its steps (tick 0 first), its records by lsn, and (tick, lsn, note, colour) of recovery's notes
        self.steps, self.records, self.notes = {}, {}, {}
        for run, span in self.trace["runs"].items():
            start = {"t": 0, "phase": "normal", "event": None, "txn": None, "lsn": None, "page": None, "detail": {},
                     "log": [], "buffer": {p: {"value": v, "page_lsn": 0, "dirty": False} for p, v in
                                           self.summary[run]["initial"].items()},
                     "disk": {p: {"value": v, "page_lsn": 0} for p, v in self.summary[run]["initial"].items()},
                     "txns": {}, "acked": [], "fsync_count": 0, "commit_latency_ms": None, "flushed_lsn": 0}
            steps = [start] + self.trace["steps"][span["first_step"]:span["last_step"] + 1]
            if any(st["t"] != k for k, st in enumerate(steps)):
                raise ValueError(f"run {run}: expected one step per tick")
            self.steps[run] = steps
            self.records[run] = {r["lsn"]: r for st in steps for r in st["log"]}
            self.notes[run] = [(st["t"], st["detail"].get("undoes", st["lsn"]), *NOTES[st["event"]])
                               for st in steps if st["event"] in NOTES]

    def tick(self, run: str, event: str, nth: int = 0, **match: Any) -> int:
        """The tick of the ``nth`` step of ``run`` with ``event`` (and the given fields)."""
        found = [st["t"] for st in self.steps[run] if st["event"] == event
                 and all(st.get(k) == v or st["detail"].get(k) == v for k, v in match.items())]
        if len(found) <= nth:
            raise ValueError(f"run {run} has no step {nth} of {event} {match}")
        return found[nth]

    def locate(self, t: float) -> tuple[str, int, float]:
        """(run, tick k whose state shows, fraction of step k + 1 under way)."""
        run = "checkpointed" if t >= CHECKPOINTED else "plain"
        local = t - (CHECKPOINTED if run == "checkpointed" else 0.0)
        last = len(self.steps[run]) - 1
        k = min(max(int(math.floor(local + 1e-9)), 0), last)
        return run, k, (0.0 if k == last else min(max(local - k, 0.0), 1.0))

    # --- the stage ---------------------------------------------------------------------------
    def build_stage(self, clock: ValueTracker) -> tuple[VGroup, VGroup]:
        self.memory = StorageTier("memory", kind="memory", width=MEMORY_BAND.width, height=MEMORY_BAND.height)
        self.disk = StorageTier("disk", kind="disk", width=DISK_BAND.width, height=DISK_BAND.height)
        self.memory.move_to(MEMORY_BAND.center)
        self.disk.move_to(DISK_BAND.center)
        mem_in, disk_in = self.memory.inner(), self.disk.inner()
        pages_x = [mem_in.left + 0.1 + CARD_W / 2 + i * (CARD_W + CARD_GAP) for i in range(2)]
        log_left = pages_x[1] + CARD_W / 2 + LOG_GAP
        still = VGroup(self.memory, self.disk)
        self.mem_cards, self.disk_cards = {}, {}
        for i, page in enumerate(self.pages):
            for cards, tier in ((self.mem_cards, mem_in), (self.disk_cards, disk_in)):
                cards[page] = PageCard(page, width=CARD_W, height=CARD_H).place(
                    [pages_x[i], tier.top - SUBLABEL_H - 0.05 - CARD_H / 2, 0])
        for text, tier, x in (("buffer pool", mem_in, pages_x[0]), ("log buffer", mem_in, log_left),
                              ("data pages", disk_in, pages_x[0]), ("log file", disk_in, log_left)):
            sub = label(text, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
            still.add(sub.move_to([x, tier.top - SUBLABEL_H / 2, 0], aligned_edge=LEFT).shift(
                LEFT * (CARD_W / 2 if x in pages_x else 0)))
        self.sum_caption = label(f"{' + '.join(self.pages)} on disk", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
        self.sum_caption.next_to(self.disk_cards[self.pages[0]], DOWN, buff=0.35).align_to(
            self.disk_cards[self.pages[0]], LEFT)
        self.sum_value = SwapText(f"{self.total}", font_size=theme.BODY_SIZE, weight="BOLD")
        self.sum_value.next_to(self.sum_caption, DOWN, buff=0.12).align_to(self.sum_caption, LEFT)
        self.sum_left = self.sum_value.get_left()
        still.add(self.sum_caption)
        self.build_log(mem_in, disk_in, log_left)
        self.overlay = CrashOverlay(self.memory.width, self.memory.height, text="memory lost").move_to(self.memory)
        self.flights = FlightLayer(self.page_flights(), fizzle_time=0.5)
        still.add(self.side_panel())
        moving = VGroup(*self.mem_cards.values(), *self.disk_cards.values(), self.sum_value, self.shelves,
                        self.start_flag, self.focus, self.overlay, self.flights, self.status_group, self.fsyncs,
                        self.wait_counter)
        self.draw_at(clock.get_value())
        moving.add_updater(lambda _: self.draw_at(clock.get_value()))
        return still, moving

    def record_text(self, r: dict[str, Any]) -> str:
        if r["type"] in ("UPDATE", "CLR"):
            kind = "CLR " if r["type"] == "CLR" else ""
            return f"{r['txn']} {kind}{r['page']} {r['before']}→{r['after']}"
        return r["type"] if r["txn"] is None else f"{r['txn']} {r['type']}"

    def build_log(self, mem_in: layout.Region, disk_in: layout.Region, log_left: float) -> None:
        texts = {(run, lsn): (str(lsn), self.record_text(r)) for run, recs in self.records.items()
                 for lsn, r in recs.items()}
        most = [max(max(sum(1 for r in st["log"] if r["on_disk"] == durable) for steps in self.steps.values()
                        for st in steps), 1) for durable in (False, True)]
        pitch = min(0.38, (mem_in.height - SUBLABEL_H) / most[0], (disk_in.height - SUBLABEL_H) / most[1])
        x = log_left + RecordRow.fit_width(list(texts.values())) / 2
        self.shelves = RecordShelves(texts, volatile_top=[x, mem_in.top - SUBLABEL_H, 0],
                                     durable_top=[x, disk_in.top - SUBLABEL_H, 0], slots=(most[0], most[1]),
                                     pitch=pitch)
        self.start_flag = FlagMarker("start")
        self.focus = FocusFrame(buff=0.05)

    def page_flights(self) -> list[Flight]:
        flights = []
        for run, steps in self.steps.items():
            base = CHECKPOINTED if run == "checkpointed" else 0.0
            for st in steps:
                if st["event"] == "page_write":
                    start = self.mem_cards[st["page"]].box.get_bottom() + DOWN * 0.05
                    end = self.disk_cards[st["page"]].box.get_top() + UP * 0.05
                    flights.append(Flight(tuple(start), tuple(end), base + st["t"] - FLIGHT_S, base + st["t"],
                                          color=theme.MESSAGE, radius=0.12, tag=f"{st['disk'][st['page']]['value']}"))
        return flights

    def side_panel(self) -> VGroup:
        hollow = Rectangle(width=0.34, height=0.22, stroke_color=theme.TEXT, stroke_width=2.5)
        solid = Rectangle(width=0.34, height=0.22, stroke_color=theme.NODE, fill_color=theme.NODE, fill_opacity=1.0)
        flag = PageCard("·").flag.copy().set_fill(opacity=1.0)
        legend = Legend([(hollow, "log record in memory"), (solid, "log record on disk"),
                         (flag, "dirty: page newer than disk")], title="key")
        title = label("transactions", font_size=theme.LABEL_SIZE, color=theme.MUTED)
        names = VGroup(*[label(t["txn"], font_size=theme.LABEL_SIZE, weight="BOLD") for t in (self.t1, self.t2)])
        names.arrange(DOWN, buff=0.2, aligned_edge=LEFT)
        self.status = {t["txn"]: SwapText("·", font_size=theme.LABEL_SIZE, monospace=False)
                       for t in (self.t1, self.t2)}
        for name, text in zip(names, self.status.values()):
            text.move_to(name.get_center() + RIGHT * 0.55, aligned_edge=LEFT)
        self.status_group = VGroup(*self.status.values())
        self.fsyncs = Counter("log fsyncs so far", 0)
        self.wait_counter = Counter("last commit waited", 0, suffix=" ms")
        for counter in (self.fsyncs, self.wait_counter):
            counter.number.align_to(counter.caption, LEFT)
        column = VGroup(legend, title, VGroup(names, self.status_group), self.fsyncs, self.wait_counter)
        PANEL.place(column.arrange(DOWN, buff=0.3, aligned_edge=LEFT), align=UP + LEFT)
        self.status_left = {txn: text.get_left() for txn, text in self.status.items()}
        self.wait_left = self.wait_counter.number.get_left()
        return VGroup(legend, title, names, self.fsyncs.caption, self.wait_counter.caption)

    # --- one frame, from the trace ------------------------------------------------------------
    def draw_at(self, t: float) -> None:
        run, k, f = self.locate(t)
        steps = self.steps[run]
        cur = steps[k]
        nxt = steps[k + 1] if f > 0 else None
        self.draw_pages(cur)
        self.draw_log(run, cur, nxt, f)
        self.draw_side(run, k)
        crash = next(st["t"] for st in steps if st["event"] == "crash")
        amount = f if k == crash - 1 else (1.0 - f if k == crash else 0.0)
        self.overlay.set_amount(min(max(amount, 0.0), 1.0))
        self.flights.show_at(t)

    def draw_pages(self, cur: dict[str, Any]) -> None:
        for page in self.pages:
            cell = cur["buffer"].get(page)
            touched = cur["page"] == page
            self.mem_cards[page].set_state(
                value=f"{cell['value']}" if cell else "", tag=f"lsn {cell['page_lsn']}" if cell else "",
                dirty=bool(cell and cell["dirty"]), present=cell is not None,
                highlight=touched and cur["event"] in ("update", "redo_apply", "undo"))
            disk = cur["disk"][page]
            self.disk_cards[page].set_state(value=f"{disk['value']}", tag=f"lsn {disk['page_lsn']}",
                                            highlight=touched and cur["event"] == "page_write")
        total = sum(c["value"] for c in cur["disk"].values())
        ok = total == self.total
        self.sum_value.set_text(f"{total} {'=' if ok else '≠'} {self.total}", theme.SUCCESS if ok else theme.FAILURE)
        self.sum_value.shift(self.sum_left - self.sum_value.get_left())

    def places(self, run: str, state: dict[str, Any] | None) -> dict[tuple[str, int], tuple[str, int]] | None:
        if state is None:
            return None
        shelves = {True: "durable", False: "volatile"}
        return {(run, r["lsn"]): (shelves[r["on_disk"]],
                                  sum(1 for q in state["log"][:i] if q["on_disk"] == r["on_disk"]))
                for i, r in enumerate(state["log"])}

    def draw_log(self, run: str, cur: dict[str, Any], nxt: dict[str, Any] | None, f: float) -> None:
        notes = {(run, lsn): (text, color) for when, lsn, text, color in self.notes[run] if when <= cur["t"]}
        self.shelves.show(self.places(run, cur), self.places(run, nxt), f, notes=notes)
        self.draw_pointers(run, cur)

    def draw_pointers(self, run: str, cur: dict[str, Any]) -> None:
        start = self.summary[run]["redo_start"]
        if cur["phase"] in RECOVERY and any(r["lsn"] == start for r in cur["log"]):
            box = self.shelves.rows[(run, start)].box
            self.start_flag.point_to(box.get_corner(DOWN + RIGHT) + np.array([0.12, 0.02, 0]))
            self.start_flag.set_visible(1.0)
        else:
            self.start_flag.set_visible(0.0)
        target = cur["detail"].get("undoes", cur["lsn"])
        row = self.shelves.rows.get((run, target))
        if cur["phase"] in ("analysis", "redo", "undo") and row is not None and row.look != "hidden":
            self.focus.surround(row.box)
        else:
            self.focus.hide()

    def draw_side(self, run: str, k: int) -> None:
        steps = self.steps[run]
        cur = steps[k]
        classes = {st["txn"]: st["detail"]["class"] for st in steps[1:k + 1] if st["event"] == "classify"}
        for txn, text in self.status.items():
            words, color = self.txn_status(cur, classes, txn)
            text.set_text(words, color)
            text.shift(self.status_left[txn] - text.get_left())
        self.fsyncs.set_value(cur["fsync_count"])
        waited = cur["commit_latency_ms"]
        if waited is None:
            self.wait_counter.number.set_text("–", theme.MUTED)
        else:
            self.wait_counter.set_value(waited, color=theme.TEXT)
        self.wait_counter.number.shift(self.wait_left - self.wait_counter.number.get_left())

    def txn_status(self, cur: dict[str, Any], classes: dict[str, str], txn: str) -> tuple[str, str]:
        raw = cur["txns"].get(txn)
        if raw is None:
            return "not started", theme.MUTED
        if cur["phase"] == "normal":
            if raw == "committed":
                return "committed ✓", theme.SUCCESS
            committing = any(r["txn"] == txn and r["type"] == "COMMIT" for r in cur["log"])
            return ("waiting for fsync" if committing else "running"), theme.HIGHLIGHT if committing else theme.TEXT
        if raw == "undone":
            return "rolled back ✗", theme.FAILURE
        if txn in classes:
            return ("winner: redo", theme.SUCCESS) if classes[txn] == "winner" else ("loser: undo", theme.FAILURE)
        if cur["phase"] in ("crash", "analysis"):
            return "?", theme.MUTED
        return "before checkpoint", theme.MUTED

    # --- beats ------------------------------------------------------------------------------------
    def tell(self, text: str, t_end: float, seconds: float | None = None) -> None:
        """Caption ``text`` and play what it names at once (about a second a tick); the frame then holds
        until the caption has been read."""
        self.caption(text)
        ticks = abs(t_end - self.clock.get_value())
        self.advance(self.clock, t_end, seconds if seconds is not None else min(max(1.0, 0.9 * ticks), 2.4))

    def chapter_at_rest(self, title: str, heading: str | None = None) -> None:
        """Start a chapter (and a new heading) once the current caption has been read."""
        self.clear_caption()
        self.chapter(title)
        if heading:
            self.head(heading)

    def head(self, text: str) -> None:
        self.play(*self.set_heading(text), run_time=0.4)

    def construct(self) -> None:
        plain, (a, b) = self.summary["plain"], self.pages
        self.chapter("The disk alone lies")
        self.show_title_card(3.0)
        self.clock = ValueTracker(plain["crash_t"])
        self.reveal(*self.build_stage(self.clock))
        at_crash = plain["disk_at_crash"]
        self.caption(f"After a crash the disk says {a}={at_crash[a]['value']}, {b}={at_crash[b]['value']}.")
        self.poster_time = self.time + 0.5
        self.caption(f"That sums to {plain['disk_total_at_crash']}; the accounts started with {self.total}.")
        self.caption("Rewind: memory above, disk below.")
        self.jump(self.clock, 0)
        self.caption("Pages change in memory; the disk catches up later.")
        self.caption("One rule: a change's log record reaches disk first.")
        self.head("Log on disk before the page")
        self.chapter_at_rest("Log first, then commit")
        self.commit_beat()
        self.chapter_at_rest("Steal, then crash", "Steal: pages may leave early")
        self.steal_beat()
        self.chapter_at_rest("Recovery: redo, then undo", "Recovery reads only the disk")
        self.recovery_beat()
        self.chapter_at_rest("Checkpoints")
        self.checkpoint_beat()
        self.takeaway()

    def commit_beat(self) -> None:
        t1, run = self.t1, "plain"
        name, first = t1["txn"], self.tick(run, "update", txn=t1["txn"])
        upd = self.records[run][self.steps[run][first]["lsn"]]
        begin = self.tick(run, "begin", txn=name)
        self.tell(f"{name} moves {t1['amount']} from {t1['from']} to {t1['to']}: BEGIN is LSN {begin}.", begin)
        self.tell(f"LSN {upd['lsn']} logs {upd['page']} {upd['before']}→{upd['after']}, then the page changes.",
                  first)
        self.tell("Both pages are now dirty: newer in memory than on disk.", self.tick(run, "update", 1, txn=name))
        commit = self.tick(run, "commit", txn=name)
        self.tell(f"Commit appends COMMIT, LSN {self.steps[run][commit]['lsn']}, in memory.", commit)
        self.tell(f"Then one fsync forces the log to disk: {self.summary[run]['commit_latency_ms'][name]} ms.",
                  self.tick(run, "fsync", txn=name))
        self.clear_caption()
        self.checkpoint(f"{name} is about to be acknowledged. What of it is on disk now?",
                        ["its log records only", "its pages only", "its log records and its pages"], 0,
                        "Commit forces the log; the dirty pages stay in memory until the buffer writes them.")
        self.tell(f"Only now is {name} acknowledged; its pages stay in memory.", self.tick(run, "ack", txn=name))

    def steal_beat(self) -> None:
        t2, run = self.t2, "plain"
        name, first = t2["txn"], self.tick(run, "update", txn=t2["txn"])
        upd = self.records[run][self.steps[run][first]["lsn"]]
        self.tell(f"{name} moves {t2['amount']} back: LSN {upd['lsn']} logs {upd['page']} "
                  f"{upd['before']}→{upd['after']}.", first)
        force = self.tick(run, "wal_force")
        self.tell(f"To evict page {upd['page']}, the log is first forced to LSN {self.steps[run][force]['lsn']}.",
                  force)
        write = self.tick(run, "page_write", reason="evict")
        self.tell(f"Then {upd['page']}={upd['after']} may go to disk, though {name} is open.", write)
        self.poster_time = self.time - 0.4
        second = self.tick(run, "update", 1, txn=name)
        late = self.records[run][self.steps[run][second]["lsn"]]
        self.tell(f"{name} logs {late['page']} {late['before']}→{late['after']}, in memory only.", second)
        self.tell(f"Crash! Memory is gone, and LSN {', '.join(map(str, self.summary[run]['lost_tail']))} with it.",
                  self.tick(run, "crash"))
        b = t2["from"]
        choices = sorted({self.summary[run]["disk_at_crash"][b]["value"], self.summary[run]["expected"][b],
                          self.summary[run]["initial"][b]})
        self.checkpoint(f"After recovery, what should {b} hold?", [str(v) for v in choices],
                        choices.index(self.summary[run]["expected"][b]),
                        f"{self.t1['txn']} committed and {name} did not: only {self.t1['txn']}'s transfer counts.")

    def recovery_beat(self) -> None:
        run, s = "plain", self.summary["plain"]
        classified = [st["t"] for st in self.steps[run] if st["event"] == "classify"]
        self.tell(f"Analysis reads the log: {' and '.join(s['winners']) or 'nobody'} committed, "
                  f"{' and '.join(s['losers']) or 'nobody'} did not.", classified[-1])
        applied = [st for st in self.steps[run] if st["event"] == "redo_apply"]
        skipped = [st for st in self.steps[run] if st["event"] == "redo_skip"]
        for st in applied[:1]:
            self.tell(f"Redo repeats history: LSN {st['lsn']} sets {st['page']} to "
                      f"{st['buffer'][st['page']]['value']} again.", st["t"])
        if skipped:
            st = skipped[-1]
            self.tell(f"LSN {', '.join(str(x['lsn']) for x in skipped)} skipped: page {st['page']} on disk is "
                      f"at LSN {st['detail']['page_lsn']}.", st["t"])
        undo = next(st for st in self.steps[run] if st["event"] == "undo")
        self.tell(f"Undo uses the before image: CLR {undo['lsn']} sets {undo['page']} back to "
                  f"{undo['buffer'][undo['page']]['value']}.", undo["t"])
        self.tell(f"END closes {self.t2['txn']}; then the log, then the pages, go to disk.",
                  self.steps[run][-1]["t"], 3.0)
        rec = s["recovered"]
        self.caption(f"{', '.join(f'{p}={v}' for p, v in rec.items())}: the sum is {sum(rec.values())} again.")

    def checkpoint_beat(self) -> None:
        run, s = "checkpointed", self.summary["checkpointed"]
        self.caption(f"Same story, with a checkpoint after {self.t1['txn']} commits.")
        self.head("With a checkpoint")
        self.jump(self.clock, CHECKPOINTED + self.tick(run, "ack", txn=self.t1["txn"]))
        last_write = [st["t"] for st in self.steps[run] if st["event"] == "page_write"
                      and st["detail"]["reason"] == "checkpoint"]
        self.tell("It first writes every dirty page to disk.", CHECKPOINTED + last_write[-1])
        cut = self.tick(run, "truncate")
        self.tell(f"Then it logs CHECKPOINT, LSN {s['checkpoint_lsn']}, and cuts the log below it.",
                  CHECKPOINTED + cut)
        starts = sorted({self.summary["plain"]["redo_start"], s["redo_start"],
                         self.steps[run][self.tick(run, "update", txn=self.t2["txn"])]["lsn"]})
        self.checkpoint("The same crash comes. Where does recovery start reading the log now?",
                        [f"LSN {x}" for x in starts], starts.index(s["redo_start"]),
                        "Everything before the checkpoint is already on disk, so redo starts at the checkpoint.")
        crash = self.tick(run, "crash")
        self.tell(f"{self.t2['txn']} runs as before; the same crash hits.", CHECKPOINTED + crash, 2.4)
        self.tell(f"Recovery starts at LSN {s['redo_start']}: less log, same balances.",
                  CHECKPOINTED + self.steps[run][-1]["t"], 3.4)

    def takeaway(self) -> None:
        p = self.trace["params"]
        read = {run: len(self.steps[run][self.summary[run]["crash_t"]]["log"]) for run in ("plain", "checkpointed")}
        lost = sum(1 for run in ("plain", "checkpointed")
                   if self.summary[run]["recovered"] != self.summary[run]["expected"])
        rows = [["each commit waits for", f"one log fsync ({p['fsync_ms']} ms here)"],
                ["pages written at commit", "none: they follow when the buffer likes"],
                ["log records recovery reads", f"{read['plain']}, or {read['checkpointed']} after a checkpoint"],
                ["committed work lost", f"{lost}" if lost else "none"]]
        self.clear_stage()
        table = TableWidget(["write-ahead log", "in this run"], rows, font_size=theme.BODY_SIZE, row_height=0.75,
                            max_width=layout.STAGE.width)
        layout.STAGE.place(table)
        self.caption("Pay one fsync per commit; recover from the log alone.")
        self.play(*self.set_heading("Takeaway"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(3.4)
        self.finish()
