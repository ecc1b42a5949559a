"""Log Compaction: the cleaner keeps the latest record per key, offsets keep their numbers
(storyboard: log-compaction.md).

One partition on a broker, drawn as a pure function of a clock over the trace's steps
(:meth:`LogCompactionScene.draw_at`): at clock ``i`` the state after step ``i`` shows, and between
``i`` and ``i + 1`` step ``i + 1`` happens (a record fades in, a dropped one is struck out and fades,
survivors slide left keeping their offsets). During a pass the log keeps the layout it had when the
pass began, so dropped records leave visible gaps until the regroup closes them. From clock
:data:`HISTORY` on, the same stage shows the full append history without a cleaner (the hook). A
second clock drives a reader that replays the compacted log.
"""

from __future__ import annotations

import math
from typing import Any

from manim import DOWN, LEFT, UP, FadeIn, ValueTracker, VGroup

from scenes.kit import ExplainerScene, Legend, Meter, SwapText, TableWidget, label, layout, theme
from scenes.kit.segments import CellSlider, RangeBands, RetentionRings, SegmentBrackets, SweepMark, tombstone
from scenes.kit.storage import KeyValueTable
from scenes.kit.streams import CONSUMER, OFFSET, PRODUCER, BrokerBox, ConsumerNode, PartitionLog, Record

__all__ = ["LogCompactionScene"]

BROKER_BAND, LOWER = layout.STAGE.cut_top(3.05, gap=0.15)
HISTORY = 1000.0  #: clock value where the hook's uncleaned history starts
READER_OFF = -2.0  #: reader clock value: no reader on screen (-1: it asks for offset 0; k: it has read k slots)
PASS_EVENTS = ("check", "map", "drop", "keep")
VERDICTS = {"superseded": ("drop", theme.FAILURE), "tombstone_expired": ("expired", theme.FAILURE),
            None: ("keep", OFFSET)}


def ease(f: float) -> float:
    return f * f * (3 - 2 * f)


def records_of(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for seg in state["segments"] for r in seg["records"]]


def cell(r: dict[str, Any], **style: Any) -> Record:
    if r["value"] is None:
        return tombstone(r["key"], offset=r["offset"]) if not style else Record(r["key"], "∅", color=theme.MUTED,
                                                                               offset=r["offset"], **style)
    return Record(r["key"], r["value"], color=PRODUCER, offset=r["offset"], **style)


class LogCompactionScene(ExplainerScene):
    """Segments, a dirty head, two cleaner passes, a reader skipping gaps, tombstones and their retention."""

    # --- reading the trace -------------------------------------------------------------
    def setup(self) -> None:
        self.p, self.s = self.trace["params"], self.trace["summary"]
        self.steps, self.history = self.trace["steps"], self.trace["history"]
        self.passes = self.trace["passes"]
        if len(self.passes) < 2 or not self.s["tombstones"]:
            raise ValueError("this storyboard needs two cleaner passes and a tombstone")
        self.keys = sorted({r["key"] for r in self.history})
        #: per step: the offsets laid out while a pass runs (the log as the pass found it), else None
        self.frozen: list[tuple[list[int], dict[int, list[int]]] | None] = []
        frozen = None
        for st in self.steps:
            if st["event"] == "check" and st["detail"].get("runs"):
                frozen = ([r["offset"] for r in records_of(st)],
                          {seg["base"]: [r["offset"] for r in seg["records"]] for seg in st["segments"]})
            elif st["event"] not in PASS_EVENTS:
                frozen = None
            self.frozen.append(frozen)
        self.capacity = max(len(self.history), max(len(records_of(st)) for st in self.steps))
        self.poster_time = 0.0

    def index(self, event: str, nth: int = 0, **match: Any) -> int:
        found = [i for i, st in enumerate(self.steps) if st["event"] == event
                 and all(st.get(k) == v or (st["record"] or {}).get(k) == v or st["detail"].get(k) == v
                         for k, v in match.items())]
        if len(found) <= nth:
            raise ValueError(f"no step {nth} of {event} {match}")
        return found[nth]

    def layout_of(self, i: int) -> dict[int, int]:
        """offset -> slot at step ``i``."""
        frozen = self.frozen[i]
        offsets = frozen[0] if frozen else [r["offset"] for r in records_of(self.steps[i])]
        return {o: slot for slot, o in enumerate(offsets)}

    # --- the stage ---------------------------------------------------------------------------
    def build_stage(self, clock: ValueTracker, reader: ValueTracker) -> tuple[VGroup, VGroup]:
        self.broker = BrokerBox("broker · one partition, compacted", width=BROKER_BAND.width,
                                height=BROKER_BAND.height, badge=f"tick {self.history[0]['t']}")
        self.broker.move_to(BROKER_BAND.center)
        room = self.broker.content
        width = (room.width - 0.1) / self.capacity
        self.log = PartitionLog(self.capacity, cell_width=width - 0.06, cell_height=0.6)
        self.log.move_to([room.center[0], room.top - 0.95, 0])
        self.reader_ptr = self.log.add_pointer("reader", color=CONSUMER, lane=2)
        self.slider = CellSlider(self.log)
        self.brackets = SegmentBrackets(self.log, len(self.history) // max(self.p["segment_size"], 1) + 2)
        self.bands = RangeBands(self.log, [("tail", "clean tail", theme.TEXT), ("head", "dirty head", theme.HIGHLIGHT)],
                                drop=0.72)
        self.rings = RetentionRings(self.log, len(self.s["tombstones"]), radius=0.13, drop=0.36)
        self.sweep = SweepMark(self.log)
        cols = [layout.Region(LOWER.left + x0, LOWER.left + x1, LOWER.bottom, LOWER.top)
                for x0, x1 in ((0.1, 2.9), (3.2, 6.0), (6.4, 9.4), (9.8, LOWER.width))]
        self.latest = KeyValueTable("latest value per key", self.keys, row_height=0.31)
        self.offset_map = KeyValueTable("offset map (pass)", self.keys, row_height=0.31)
        self.replayed = KeyValueTable("reader's replay", self.keys, row_height=0.31)
        for table, col in ((self.latest, cols[0]), (self.offset_map, cols[1]), (self.replayed, cols[1])):
            col.place(table, align=UP + LEFT)
        ratio = self.p["min_cleanable_dirty_ratio"]
        self.meter = Meter("dirty ratio", ratio, maximum=1.0, width=2.6, decimals=2, limit_label=f"min {ratio}")
        cols[2].place(self.meter, align=UP + LEFT, fit=False)
        stored_title = label("records stored", font_size=theme.LABEL_SIZE, color=theme.MUTED)
        cols[3].place(stored_title, align=UP + LEFT, fit=False)
        n = len(self.history)
        self.stored = SwapText(f"{n} of {n}", font_size=theme.BODY_SIZE, weight="BOLD")
        self.stored.next_to(stored_title, DOWN, buff=0.1).align_to(stored_title, LEFT)
        self.stored_left = self.stored.get_left()
        self.reader = ConsumerNode("reader", detail=f"next {self.history[0]['offset']}", width=2.4)
        self.reader.next_to(self.stored, DOWN, buff=0.3).align_to(stored_title, LEFT)
        legend = Legend([(self.rings.rings[0].copy().set_fraction(0.6).set_visible(True), "time a delete stays")])
        legend.next_to(self.reader, DOWN, buff=0.3).align_to(stored_title, LEFT)
        still = VGroup(self.broker.frame, self.broker.name_text, stored_title, legend, self.meter.frame,
                       self.meter.limit_line, self.meter.limit_label, self.meter.title)
        moving = VGroup(self.broker.badge, self.log, self.brackets, self.bands, self.rings, self.sweep, self.latest,
                        self.offset_map, self.stored, self.meter.bar, self.meter.readout)
        self.clock, self.reader_clock = clock, reader
        self.draw_at(clock.get_value(), reader.get_value())
        moving.add_updater(lambda _: self.draw_at(clock.get_value(), reader.get_value()))
        return still, moving

    # --- one frame, from the trace ------------------------------------------------------------
    def draw_at(self, t: float, r: float) -> None:
        self.slider.reset()
        if t >= HISTORY:
            self.draw_history(t - HISTORY)
        else:
            self.draw_run(t)
        self.draw_reader(t, r)

    def draw_history(self, t: float) -> None:
        n = len(self.history)
        k = min(max(int(math.floor(t + 1e-9)), 0), n - 1)
        f = 0.0 if k == n - 1 else min(max(t - k, 0.0), 1.0)
        shown = self.history[:k + 1 + (1 if f > 0 else 0)]
        self.log.set_records([cell(r) for r in shown])
        self.hide_empty(len(shown), set())
        if f > 0:
            self.fade(len(shown) - 1, f)
        table: dict[str, str] = {}
        for rec in self.history[:k + 1]:
            table.pop(rec["key"], None) if rec["value"] is None else table.__setitem__(rec["key"], rec["value"])
        self.latest.set_values(table)
        self.set_stored(k + 1, k + 1)
        self.broker.set_state(badge=f"tick {self.history[k]['t']}")
        self.brackets.set_segments([])
        for name in ("tail", "head"):
            self.bands.set_band(name, None, None)
        self.rings.set_rings([])
        self.sweep.hide()
        self.offset_map.set_visible(False)
        self.meter.set_value(0.0)

    def draw_run(self, t: float) -> None:
        last = len(self.steps) - 1
        i = min(max(int(math.floor(t + 1e-9)), 0), last)
        f = 0.0 if i == last else min(max(t - i, 0.0), 1.0)
        cur, nxt = self.steps[i], (self.steps[i + 1] if f > 0 else None)
        lay_a, lay_b = self.layout_of(i), (self.layout_of(i + 1) if nxt else {})
        recs_a = {r["offset"]: r for r in records_of(cur)}
        recs_b = {r["offset"]: r for r in records_of(nxt)} if nxt else recs_a
        slots: list[Record | None] = [None] * self.capacity
        for o, r in recs_a.items():
            slots[lay_a[o]] = cell(r, struck=True) if o not in recs_b else cell(r)
        born = [o for o in recs_b if o not in recs_a]
        for o in born:
            slots[lay_b[o]] = cell(recs_b[o])
        self.log.set_records(slots)
        self.hide_empty(max(len(lay_a), max((lay_b[o] + 1 for o in born), default=0)), set(lay_a.values()))
        for o in recs_a:
            if o not in recs_b:
                self.fade(lay_a[o], 1.0 - f)
        for o in born:
            self.fade(lay_b[o], f)
        regrouping = nxt is not None and lay_b != lay_a and not born
        frozen = self.frozen[i]
        self.draw_segments(cur, lay_a, frozen[1] if frozen else None, 1.0 - f if regrouping else 1.0)
        for o in recs_a:
            if o in recs_b and lay_a[o] != lay_b.get(o, lay_a[o]):
                self.slider.slide(lay_a[o], lay_b[o], ease(f))
        tick = cur["t"] + ((nxt["t"] - cur["t"]) * f if nxt else 0.0)
        rings = [(self.log.cell(lay_a[int(o)]).box.get_center()[0], (h - tick) / self.p["delete_retention_ticks"])
                 for o, h in cur["horizons"].items() if int(o) in recs_a]
        self.rings.set_rings(rings)
        judged = nxt if nxt is not None and nxt["event"] in ("drop", "keep") else cur
        if judged["event"] in ("drop", "keep") and judged["record"]["offset"] in lay_a:
            self.sweep.show(lay_a[judged["record"]["offset"]], *VERDICTS[judged["reason"]])
        else:
            self.sweep.hide()
        self.latest.set_values(cur["table"])
        in_pass = bool(cur["offset_map"])
        self.offset_map.set_values({k: f"{v}" for k, v in cur["offset_map"].items()},
                                   highlight=judged["record"]["key"] if judged["event"] in ("drop", "keep") else None)
        self.offset_map.set_visible(in_pass)
        self.set_stored(cur["log_size"], cur["appended_total"])
        self.broker.set_state(badge=f"tick {cur['t']}")
        self.meter.set_value(cur["dirty_ratio"])

    def draw_segments(self, cur: dict[str, Any], lay: dict[int, int], bases: dict[int, list[int]] | None,
                      opacity: float) -> None:
        """Brackets over each segment (a segment a pass emptied keeps its place until the regroup), and
        the clean tail and dirty head under the closed ones while a pass runs."""
        laid, closed = [], []
        for seg in cur["segments"]:
            offsets = (bases or {}).get(seg["base"]) or [r["offset"] for r in seg["records"]]
            slots = sorted(lay[o] for o in offsets if o in lay)
            if seg["active"]:
                first = slots[0] if slots else len(lay)
                laid.append((first, first + max(len(slots), 1), "active", True))
            elif slots:
                wide = slots[-1] - slots[0] >= 1  # a one-cell bracket has no room for its name
                laid.append((slots[0], slots[-1] + 1, f"segment {seg['base']}" if wide else "", False))
                closed += [o for o in offsets if o in lay]
        self.brackets.set_segments(laid, opacity=opacity)
        show = cur["event"] in PASS_EVENTS and (cur["event"] != "check" or cur["detail"].get("runs"))
        tail = sum(1 for o in closed if o < cur["clean_end"])
        self.bands.set_band("tail", 0, tail if show else None)
        self.bands.set_band("head", tail, len(closed) if show else None)

    def hide_empty(self, used: int, laid: set[int]) -> None:
        """Empty slots inside the laid-out log are faint outlines (gaps); beyond it, nothing. No offsets on either."""
        for slot in range(self.capacity):
            if self.log.record_at(slot) is None:
                c = self.log.cell(slot)
                c.box.set_stroke(opacity=0.35 if slot < used and slot in laid else 0.0)
                c.offset_label.set_opacity(0.0)

    def fade(self, slot: int, opacity: float) -> None:
        c = self.log.restyle(slot, fill_opacity=opacity * self.log.cell(slot).box.get_fill_opacity(),
                             stroke_opacity=opacity)
        for text in (c.key, c.value, c.offset_label):
            text.set_opacity(opacity * text.current.get_fill_opacity())

    def set_stored(self, size: int, total: int) -> None:
        self.stored.set_text(f"{size} of {total}")
        self.stored.shift(self.stored_left - self.stored.get_left())

    def draw_reader(self, t: float, r: float) -> None:
        """The reader's pointer on the log, its next offset and its replayed table (reader clock ``r``)."""
        i = min(max(int(math.floor(t + 1e-9)), 0), len(self.steps) - 1)
        recs = records_of(self.steps[i])
        read = min(int(math.floor(r + 1e-9)), len(recs)) if r >= 0 else 0
        self.log.set_pointer("reader", min(max(r, 0.0), len(recs)), visible=r > READER_OFF + 0.5 and t < HISTORY)
        nxt = recs[read]["offset"] if read < len(recs) else recs[-1]["offset"] + 1
        self.reader.set_state(detail=f"next {self.history[0]['offset'] if r < 0 else nxt}")
        table: dict[str, str] = {}
        for rec in recs[:read]:
            table.pop(rec["key"], None) if rec["value"] is None else table.__setitem__(rec["key"], rec["value"])
        self.replayed.set_values(table)

    # --- beats ------------------------------------------------------------------------------------
    def tell(self, text: str, t_end: float, seconds: float = 1.2, clock: ValueTracker | None = None) -> None:
        """Caption ``text`` and play what it names at once; the frame then holds until the caption is read."""
        self.caption(text)
        self.advance(clock if clock is not None else self.clock, t_end, seconds)

    def chapter_at_rest(self, title: str) -> None:
        self.clear_caption()
        self.chapter(title)

    def construct(self) -> None:
        self.chapter("Every change, stored")
        self.show_title_card(3.0)
        clock, reader = ValueTracker(HISTORY), ValueTracker(READER_OFF)
        self.reveal(*self.build_stage(clock, reader))
        n = len(self.history)
        self.tell(f"A topic gets a record per profile update: {n} so far.", HISTORY + n - 1, 3.2)
        self.caption(f"Yet the latest values never fill more than {self.s['max_table_size']} rows.")
        self.caption("Why keep every change to know the latest?")
        self.chapter_at_rest("Segments and the dirty head")
        self.jump(clock, 0)
        check = self.index("check", runs=True)
        self.tell(f"The broker writes the log in segments of {self.p['segment_size']} records.", check // 2, 3.0)
        self.tell("Only the newest one, the active segment, takes appends.", check - 1, 2.4)
        self.head_beat(check)
        self.chapter_at_rest("Pass one: latest per key")
        self.pass_beat(self.passes[0], check)
        self.chapter_at_rest("Gaps, not renumbering")
        self.reader_beat(reader)
        self.chapter_at_rest("Tombstones")
        self.tombstone_beat()
        self.chapter_at_rest("Not everything is compact")
        self.last_beat()
        self.takeaway()

    def head_beat(self, check: int) -> None:
        st = self.steps[check]
        self.tell(f"Every {self.p['cleaner_check_every']} ticks the cleaner checks the closed segments.", check, 1.0)
        self.caption(f"None is clean yet: all {st['dirty_count']} closed records are the dirty head.")
        self.caption(f"Dirty ratio {st['dirty_ratio']:.2f} is over {self.p['min_cleanable_dirty_ratio']:.2f}: "
                     "a pass starts.")

    def pass_beat(self, first: dict[str, Any], check: int) -> None:
        mapped = self.index("map")
        self.tell("First it maps each key to its last offset in the head.", mapped, 1.0)
        drop = next(i for i in range(mapped, len(self.steps)) if self.steps[i]["event"] == "drop")
        rec = self.steps[drop]["record"]
        self.checkpoint(f"The map says {rec['key']}→{first['offset_map'][rec['key']]}. What happens to "
                        f"{rec['key']}:{rec['value']} at offset {rec['offset']}?",
                        ["it is dropped", "it is kept", "it moves to a new offset"], 0,
                        "A later record with the same key exists, so the older one is dropped; offsets never change.")
        gone = [d for d in first["dropped"]]
        names = ", ".join(f"{d['key']}@{d['offset']}" for d in gone[:4]) + (" …" if len(gone) > 4 else "")
        last_drop = max(i for i in range(mapped, self.index("regroup")) if self.steps[i]["event"] == "drop")
        self.tell(f"{names}: each has a later record with its key.", last_drop, 0.45 * len(gone))
        self.poster_time = self.time - 0.3
        regroup = self.index("regroup")
        self.tell("The rest are the latest of their keys: kept.", regroup - 1, 0.4 * len(first["kept"]))
        kept = first["kept"]
        self.tell(f"Empty segments go; {kept[0]} to {kept[-1]} keep their offsets.", self.index("pass_done"), 1.4)

    def reader_beat(self, reader: ValueTracker) -> None:
        recs = records_of(self.steps[self.index("pass_done")])
        self.play(reader.animate.set_value(-1), FadeIn(self.reader), FadeIn(self.replayed), run_time=0.5)
        self.caption(f"A new reader asks for offset {self.history[0]['offset']}.")
        self.tell(f"The first record it gets is at offset {recs[0]['offset']}: it skips the gap.", 0, 1.2,
                  clock=reader)
        self.tell("It replays the log into the same latest values.", len(recs), 3.8, clock=reader)
        self.clear_caption()
        self.play(reader.animate.set_value(READER_OFF), self.reader.animate.set_opacity(0.0),
                  self.replayed.animate.set_opacity(0.0), run_time=0.5)
        self.remove(self.reader, self.replayed)

    def tombstone_beat(self) -> None:
        second = self.passes[1]
        stone = next(ts for ts in self.s["tombstones"] if str(ts["offset"]) in self.passes[0]["new_horizons"])
        key, off, horizon = stone["key"], stone["offset"], stone["horizon"]
        self.caption(f"{key}:∅ at offset {off} is a tombstone: it deletes key {key}.")
        self.tell(f"It must stay until tick {horizon}, so slow readers see the delete.",
                  self.index("append", offset=min(horizon, len(self.history) - 1)) , 3.0)
        check2 = self.index("check", 1, runs=True)
        self.tell("Updates keep coming; its ring drains tick by tick.", check2, 2.4)
        self.tell(f"At tick {second['t']} the dirty ratio is {second['dirty_ratio']:.2f}: pass two.", check2 + 1, 0.8)
        expired = stone["removed_reason"] == "tombstone_expired"
        self.checkpoint(f"Pass two runs at tick {second['t']}. {key}:∅ may stay until tick {horizon}. "
                        "What happens to it?", ["it is removed", "it stays for now"], 0 if expired else 1,
                        "A tombstone is dropped once its retention horizon has passed, so readers had time to see it.")
        gone = self.index("drop", offset=off) if expired else self.index("keep", offset=off)
        self.tell(f"Superseded records go, and {key}:∅ {'too: its time is up' if expired else 'stays for now'}.",
                  gone, 3.0)
        later = [ts for ts in self.s["tombstones"] if str(ts["offset"]) in second["new_horizons"]]
        if later:
            ts = later[0]
            self.tell(f"{ts['key']}:∅ at offset {ts['offset']} is kept; its own wait starts.",
                      self.index("regroup", 1) - 1, 2.4)

    def last_beat(self) -> None:
        done = self.index("pass_done", 1)
        self.tell("After the pass, small neighbouring segments merge.", done, 1.4)
        final = self.steps[done]
        active = {r["key"] for seg in final["segments"] if seg["active"] for r in seg["records"]}
        recs = records_of(final)
        twice = sorted(k for k in active if sum(1 for r in recs if r["key"] == k) > 1)
        if twice:
            k = twice[0]
            count = sum(1 for r in recs if r["key"] == k)
            choices = [str(x) for x in sorted({1, count, count + 1})]
            self.checkpoint(f"The pass is done. How many records does key {k} still have?", choices,
                            choices.index(str(count)), "The active segment is never cleaned, so an older record of "
                            "the key survives in a closed segment until a later pass.")
            pair = [r for r in recs if r["key"] == k]
            self.caption(f"{k}:{pair[0]['value']} and {k}:{pair[-1]['value']} both stay: the active segment "
                         "is not cleaned.")
        self.caption(f"{final['log_size']} of {final['appended_total']} records remain; the same latest values.")
        self.clear_caption()

    def takeaway(self) -> None:
        final = self.steps[-1]
        table = ", ".join(f"{k}={v}" for k, v in sorted(final["table"].items()))
        rows = [["records", f"{final['appended_total']}", f"{final['log_size']}"],
                ["replays to", table, table],
                ["history of changes", "all of it", "latest per key only"],
                ["deletes", "a tombstone", f"a tombstone, for {self.p['delete_retention_ticks']} ticks"]]
        self.clear_stage()
        widget = TableWidget(["", "full history", "compacted log"], rows, font_size=theme.BODY_SIZE, row_height=0.75,
                             max_width=layout.STAGE.width)
        layout.STAGE.place(widget)
        self.caption("A compacted log is a table you can replay.")
        self.play(*self.set_heading("Takeaway"), FadeIn(widget), run_time=theme.FADE_S)
        self.wait(3.4)
        self.finish()
