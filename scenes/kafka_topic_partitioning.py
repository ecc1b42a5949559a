"""Kafka Topic Partitioning: keys pick partitions, partitions bound a group's parallelism
(storyboard: kafka-topic-partitioning.md).

The topic stage is a pure function of a tick clock (:meth:`KafkaTopicPartitioningScene.draw_topic`):
record ``i`` leaves the producer at tick ``i`` and lands in its partition at ``i + LAND``; a poll at
tick ``T`` moves its consumer's pointer at ``T + READ``. Beats are keyed to the trace's named parts
(the scripted keys, the repeated key, the null-key runs, the first break of global order, the
group-size snapshots, the remap), so another seed or partition count tells the same story.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, ReplacementTransform, RoundedRectangle, ValueTracker, VGroup

from scenes.kit import (Counter, ExplainerScene, Flight, FlightLayer, SwapText, TableWidget, label, layout, theme)
from scenes.kit.layout import Region
from scenes.kit.streams import (CONSUMER, PRODUCER, AssignmentArrows, BrokerBox, ConsumerNode, PartitionLog,
                                ProducerNode, Record, count_choices)

__all__ = ["KafkaTopicPartitioningScene"]

LEFT_COL, RIGHT_PART = layout.STAGE.cut_right(layout.STAGE.width - 2.75, gap=0.2)
BROKER_AREA, ORDER_AREA = RIGHT_PART.cut_top(RIGHT_PART.height - 1.2, gap=0.08)
LAND, READ, HOP = 0.8, 0.9, 0.35  #: ticks after its send a record lands, after its poll a read shows; hash hop
HOOK_AREA = layout.STAGE.inset(0.2, 0.9)


class KafkaTopicPartitioningScene(ExplainerScene):
    """One producer, a partitioned topic, a consumer group, and what changing the partition count does."""

    def setup(self) -> None:
        p, s = self.trace["params"], self.trace["summary"]
        self.p, self.s = p, s
        self.P, self.R, self.n = p["partitions"], p["repartition_to"], p["n_messages"]
        self.records = [st["record"] for st in self.trace["steps"] if st["event"] == "produce"]
        self.polls = [(st["t"], st["consumer"], st["record"]) for st in self.trace["steps"] if st["event"] == "poll"]
        self.assignment = self.trace["steps"][0]["assignment"]
        self.members = sorted(self.assignment)
        #: key -> its hash-table row, plus "signed": the Java client's signed murmur hash
        self.hashes = {row["key"]: {**row, "signed": next(v for f, v in row.items() if f.endswith("_signed"))}
                       for row in self.trace["meta"]["hash_table"]}
        self.capacity = max(len(log) for log in self.trace["steps"][-1]["logs"])

    # --- the topic stage --------------------------------------------------------------------
    def build_topic(self, clock: ValueTracker, *, via_hash: bool, readers: bool) -> VGroup:
        self.via_hash, self.readers = via_hash, readers
        self.broker = BrokerBox("topic, on one broker", width=BROKER_AREA.width, height=BROKER_AREA.height)
        self.broker.move_to(BROKER_AREA.center)
        rows = self.broker.content.rows(self.P)
        width = (self.broker.content.width - 0.75) / self.capacity
        self.logs = []
        for p, row in enumerate(rows):
            log = PartitionLog(self.capacity, name=f"P{p}", cell_width=min(width - 0.05, 1.05), cell_height=0.58,
                               gap=0.05, name_width=0.45)
            log.move_to(row.center + DOWN * 0.08, aligned_edge=LEFT).align_to([row.left, 0, 0], LEFT)
            if readers:
                owner = next(m for m in self.members if p in self.assignment[m])
                log.add_pointer("pos", text=owner, color=CONSUMER, text_beside=True)
            self.logs.append(log)
        self.producer = ProducerNode(width=2.2).move_to(LEFT_COL.point(0.5, 0.92))
        still, moving = [self.broker, self.producer], [*self.logs]
        if via_hash:
            still.append(self.hash_box())
            moving += self.hash_values
        if readers:
            moving += self.reader_column() + self.order_rows()
        self.flights = FlightLayer(self.record_flights(via_hash), fizzle_time=1.0)
        # everything that changes with the clock is in the group that carries the updater, so that Manim
        # redraws it on every frame (the rest is drawn once per play as background)
        changing = VGroup(*moving, self.flights)
        self.draw_topic(clock.get_value())
        changing.add_updater(lambda _: self.draw_topic(clock.get_value()))
        return VGroup(*still, changing)

    def hash_box(self) -> VGroup:
        names = ["key", "murmur hash", "sign bit off", f"mod {self.P}"]
        rows = VGroup(*[VGroup(label(n, font_size=theme.MIN_FONT_SIZE, color=theme.MUTED),
                               SwapText("·", font_size=theme.MIN_FONT_SIZE)) for n in names])
        for i, (name, value) in enumerate(rows):
            name.move_to([0, -i * 0.62, 0], aligned_edge=LEFT)
            value.move_to([0.05, -i * 0.62 - 0.27, 0])
        title = label("partitioner", font_size=theme.LABEL_SIZE, weight="BOLD", color=PRODUCER)
        body = VGroup(title, rows).arrange(DOWN, buff=0.15, aligned_edge=LEFT)
        frame = RoundedRectangle(corner_radius=0.14, width=LEFT_COL.width, height=body.height + 0.35,
                                 fill_color=theme.PANEL, fill_opacity=1.0, stroke_color=PRODUCER, stroke_width=2.0)
        frame.move_to(LEFT_COL.point(0.5, 0.42))
        body.move_to(frame).align_to(frame.get_left() + RIGHT * 0.2, LEFT)
        self.hash_values = [v for _, v in rows]
        self.hash_frame = frame
        return VGroup(frame, title, *[name for name, _ in rows])

    def reader_column(self) -> list[Any]:
        self.consumers = {m: ConsumerNode(m, width=LEFT_COL.width - 0.2, detail="read ·") for m in self.members}
        spots = Region(LEFT_COL.left, LEFT_COL.right, LEFT_COL.bottom + 1.2, LEFT_COL.top - 1.0).column(len(self.members))
        for m, at in zip(self.members, spots):
            self.consumers[m].move_to(at)
        return list(self.consumers.values())

    def order_rows(self) -> list[Any]:
        width = (ORDER_AREA.width - 1.1) / self.n
        self.order = {name: PartitionLog(self.n, name=name, cell_width=width - 0.04, cell_height=0.36, gap=0.04,
                                          offsets=False, name_width=0.75) for name in ("sent", "read")}
        for i, row in enumerate(self.order.values()):
            row.move_to(ORDER_AREA.point(0.0, 0.8 - 0.42 * i), aligned_edge=LEFT)
        return list(self.order.values())

    def record_flights(self, via_hash: bool) -> list[Flight]:
        flights = []
        out = self.producer.box.get_bottom() if via_hash else self.producer.box.get_right()
        for r in self.records:
            i, cell = r["id"], self.logs[r["partition"]].cell_center(r["offset"])
            if via_hash:
                top, right = self.hash_frame.get_top(), self.hash_frame.get_right()
                flights.append(Flight(tuple(out), tuple(top), i, i + HOP, color=PRODUCER, radius=0.1))
                flights.append(Flight(tuple(right), tuple(cell), i + HOP + 0.05, i + LAND, color=PRODUCER, radius=0.1))
            else:
                flights.append(Flight(tuple(out), tuple(cell), i, i + LAND, color=PRODUCER, radius=0.1, arc=-0.3))
        return flights

    def draw_topic(self, t: float) -> None:
        landed = [r for r in self.records if r["id"] + LAND <= t]
        for p, log in enumerate(self.logs):
            log.set_records([Record(r["key"] or "null", f"#{r['id']}", color=PRODUCER if r["key"] else theme.MUTED)
                             for r in landed if r["partition"] == p])
        self.flights.show_at(t)
        if self.via_hash:
            self.draw_hash(t)
        if self.readers:
            read = [(c, r) for tick, c, r in self.polls if tick + READ <= t]
            for p, log in enumerate(self.logs):
                log.set_pointer("pos", sum(1 for _, r in read if r["partition"] == p))
            for m, node in self.consumers.items():
                node.set_state(detail=f"read {sum(1 for c, _ in read if c == m)}")
            self.order["sent"].set_records([Record(str(r["id"])) for r in self.records if r["id"] <= t])
            sent = self.s["global_send_order"]
            self.order["read"].set_records([Record(str(r["id"]), solid=r["id"] == sent[i], color=None if r["id"] == sent[i]
                                                   else theme.HIGHLIGHT) for i, (_, r) in enumerate(read)])

    def draw_hash(self, t: float) -> None:
        i = int(np.floor(t))
        r = self.records[i] if 0 <= i < len(self.records) and t - i < 1.0 else None
        if r is None:
            texts = ["·"] * 4
        elif r["key"] is None:
            texts = ["null", "(no key)", "(no key)", f"sticky: P{r['partition']}"]
        else:
            h = self.hashes[r["key"]]
            texts = [r["key"], str(h["signed"]), str(h["positive"]), f"{h['partition']} → P{h['partition']}"]
        for value, text in zip(self.hash_values, texts):
            value.set_text(text, theme.FAILURE if text.startswith("-") else theme.TEXT)
            value.align_to([self.hash_frame.get_left()[0] + 0.35, 0, 0], LEFT)

    # --- beats ---------------------------------------------------------------------------------
    def construct(self) -> None:
        self.chapter("One topic, many logs")
        self.show_title_card(3.0)
        self.hook()
        self.split_beat()
        self.chapter("Keys pick the partition")
        clock = self.keys_beat()
        self.chapter("Keyless records and order")
        self.keyless_beat(clock)
        self.order_beat()
        self.chapter("Consumer groups")
        self.group_beat()
        self.chapter("Changing the count")
        self.remap_beat()
        self.takeaway()

    def hook(self) -> None:
        single = self.s["single_reader"]
        clock = ValueTracker(0)
        log = PartitionLog(self.n, cell_width=min(0.62, (HOOK_AREA.width - 2.6) / self.n - 0.05), cell_height=0.5,
                           gap=0.05)
        reader_id = self.members[0]
        log.add_pointer("pos", text=reader_id, color=CONSUMER, text_beside=True)
        log.move_to(HOOK_AREA.center + RIGHT * 1.1 + UP * 0.2)
        producer = ProducerNode(width=2.0).next_to(log, LEFT, buff=0.35)
        reader = ConsumerNode(f"consumer {reader_id}").next_to(log, DOWN, buff=0.9).align_to(log, LEFT).shift(RIGHT * 0.4)
        lag = Counter(f"{reader_id} lag (unread)", 0, font_size=theme.HEADING_SIZE, color=theme.FAILURE)
        lag.next_to(log, DOWN, buff=0.9).align_to(log, RIGHT)
        out = producer.box.get_corner(UP + RIGHT) + LEFT * 0.2
        flights = FlightLayer([Flight(tuple(out), tuple(log.entry_point(i)), i, i + LAND, color=PRODUCER, radius=0.1,
                                      arc=-0.9) for i in range(self.n)], fizzle_time=1.0)

        def draw(_: Any) -> None:
            t = clock.get_value()
            landed = sum(1 for i in range(self.n) if i + LAND <= t)
            read = sum(1 for tick in single["poll_ticks"] if tick + READ <= t)
            log.set_records([Record(f"#{i}") for i in range(landed)])
            log.set_pointer("pos", read)
            lag.set_value(landed - read)
            flights.show_at(t)

        draw(None)
        self.hook_parts, self.hook_log = VGroup(producer, reader, lag, flights), log
        self.hook_changing = VGroup(log, lag, flights).add_updater(draw)
        self.reveal(self.hook_changing, producer, reader)
        self.narrate("One producer, one log, one reader.", clock, self.n - 4, 2.8)
        self.narrate(f"The reader falls behind: {single['lag'][-1]} records wait.", clock, self.n, 2.6)

    def split_beat(self) -> None:
        self.hook_changing.clear_updaters()
        self.remove(self.hook_changing)
        self.add(*self.hook_changing)
        clock = ValueTracker(-1)
        stage = self.build_topic(clock, via_hash=False, readers=False)
        self.caption("A topic is several logs, not one.")
        self.play(FadeOut(self.hook_parts), ReplacementTransform(self.hook_log, VGroup(*self.logs)),
                  FadeIn(self.broker), FadeIn(self.producer), run_time=1.4)
        self.add(stage)
        for text, hold in ((f"{self.P} partitions: each its own log, with its own offsets.", 1.0),
                           ("Partitions are read in parallel, and each keeps its order.", 1.5)):
            self.caption(text)
            self.wait(hold)
        self.clear_stage()

    def keys_beat(self) -> ValueTracker:
        clock = ValueTracker(-0.2)
        stage = self.build_topic(clock, via_hash=True, readers=False)
        self.reveal(stage)
        repeat = self.s["repeat_key"]
        first_keys = [i for i in self.s["scripted_ids"] if not repeat or i < repeat["ids"][1]]
        for i in first_keys:
            r = self.records[i]
            h = self.hashes.get(r["key"]) if r["key"] else None
            if i == first_keys[0]:
                text = f"The key's hash, modulo {self.P}, picks the partition."
            elif h and h["signed"] < 0:
                text = f"{r['key']}'s hash is negative: clear the sign bit, no abs()."
            else:
                text = f"{r['key'] or 'No key'} goes to P{r['partition']}."
            self.narrate(text, clock, i + 0.97, 2.6)
            if i == first_keys[min(1, len(first_keys) - 1)]:
                self.poster_time = self.time - 1.6
        if repeat:
            key, second = repeat["key"], repeat["ids"][1]
            p = self.s["per_key_partition"][key]
            choices = [f"P{q}" for q in count_choices(p, self.P - 1)]
            self.checkpoint(f"{key} went to P{p}. Where does the next {key} record go?", choices,
                            choices.index(f"P{p}"), f"The key's hash modulo {self.P} is the same every time.")
            self.narrate(f"Another {key}: same hash, same partition, P{p}.", clock, second + 1.0, 3.2)
            offsets = ", ".join(str(r["offset"]) for r in self.records[:second + 1] if r["partition"] == p)
            self.narrate(f"P{p}'s offsets read {offsets}: each key stays in order.", clock, second + 0.99, 3.2)
        else:
            self.narrate("Same key, same partition, every time.", clock, len(first_keys) - 0.02, 2.5)
        return clock

    def keyless_beat(self, clock: ValueTracker) -> None:
        runs = [r for r in self.s["null_runs"] if r["ids"][0] in self.s["null_burst_ids"]]
        if runs and runs[0]["reason"] == "sticky":
            first = runs[0]
            self.narrate(f"No key: {len(first['ids'])} records stick to P{first['partition']}.", clock, first["ids"][-1] + 1,
                      3.5)
            if len(runs) > 1:
                self.narrate(f"Then the batch moves to P{runs[1]['partition']}.", clock, runs[1]["ids"][0] + 1, 2.5)
        elif runs:
            self.narrate("No key: round robin, one partition after the next.", clock, runs[-1]["ids"][-1] + 1, 4.0)
        else:
            self.narrate("This run sends no keyless records.", clock, clock.get_value() + 1, 2.0)
        self.narrate("The rest follow the same rules.", clock, self.n + 0.5, 3.0)
        self.clear_stage()

    def order_beat(self) -> None:
        clock = ValueTracker(0)
        stage = self.build_topic(clock, via_hash=False, readers=True)
        self.reveal(stage)
        owners = "; ".join(f"{m} reads " + " and ".join(f"P{q}" for q in self.assignment[m]) for m in self.members)
        self.caption(f"Replay with readers: {owners}.")
        self.wait(0.4)
        brk = self.s["first_order_break"]
        end = self.s["end_t"] + 1
        if brk is None:
            self.narrate("Each reads its partitions in offset order.", clock, end, 8.0)
            self.narrate("This time the read order happened to match.", clock, end)
            return
        t_brk = self.polls[brk][0] + READ
        self.narrate("Each reads its partitions in offset order.", clock, t_brk + 0.05, 3.6)
        got, want = self.s["global_delivery_order"][brk], self.s["global_send_order"][brk]
        self.narrate(f"#{got} is read before #{want}: no order across partitions.", clock, t_brk + 1.5, 3.0)
        self.narrate("Each partition is ordered; the topic is not.", clock, end, 3.6)
        read = self.s["consumed_counts"]
        self.narrate(" and ".join(f"{m} read {read[m]}" for m in self.members) + ", side by side.", clock, end + 0.01, 2.0)

    def group_beat(self) -> None:
        counts = sorted(c for c in self.p["consumer_counts"] if c != len(self.members))
        k = ValueTracker(-1)
        most = max(counts + [len(self.members)])
        names = [f"c{i}" for i in range(1, most + 1)]
        nodes = {m: ConsumerNode(m, width=LEFT_COL.width - 0.5, badge="idle", detail="·") for m in names}
        spots = Region(LEFT_COL.left, LEFT_COL.right - 0.5, LEFT_COL.bottom + 0.3, LEFT_COL.top - 0.9).column(most)
        for m, at in zip(names, spots):
            nodes[m].move_to(at)
        arrows = AssignmentArrows([f"P{p}" for p in range(self.P)])
        snapshots = [self.assignment] + [self.s["assignments_by_count"][str(c)] for c in counts]

        def draw(_: Any) -> None:
            snap = snapshots[max(0, min(int(np.floor(k.get_value())) + 1, len(snapshots) - 1))]
            for m, node in nodes.items():
                node.set_opacity(1.0 if m in snap else 0.0)
                if m in snap:
                    node.set_state(dimmed=not snap[m], badge="" if snap[m] else "idle",
                                   detail=" ".join(f"P{q}" for q in snap[m]))
            for p, log in enumerate(self.logs):
                owner = next(m for m, parts in snap.items() if p in parts)
                start = log.get_left() + LEFT * 0.05
                arrows.set_arrow(f"P{p}", start, nodes[owner].edge_point(start))

        self.play(*[FadeOut(c) for c in self.consumers.values()], run_time=0.4)
        draw(None)
        changing = VGroup(*nodes.values(), arrows)
        changing.add_updater(draw)
        self.play(FadeIn(changing), run_time=0.6)
        self.narrate("A consumer group splits the partitions among its members.", k, -1, 3.0)
        for i, c in enumerate(counts):
            idle = self.s["idle_consumers"][str(c)]
            if i == len(counts) - 1 and idle:
                options = count_choices(len(idle), c)
                self.checkpoint(f"The group grows to {c} consumers on {self.P} partitions. How many sit idle?",
                                [str(o) for o in options], options.index(len(idle)),
                                f"Each partition has one owner, so only {self.P} of {c} consumers get one.")
            self.clear_caption()
            self.advance(k, i, 0.5)
            self.caption(f"{c} consumers: {len(idle)} idle, nothing to read." if idle
                         else f"{c} consumers: one partition each." if c == self.P
                         else f"{c} consumer: it reads every partition." if c == 1
                         else f"{c} consumers: several partitions each.")
        self.narrate(f"Parallelism stops at {self.P} partitions.", k, len(counts) - 1, 2.0)
        changing.clear_updaters()
        self.clear_stage()

    def remap_beat(self) -> None:
        keys = list(self.s["remap"])
        clock = ValueTracker(0)
        table_area, box_area = layout.STAGE.cut_right(layout.STAGE.width - 3.6, gap=0.3)
        box = BrokerBox(f"{self.P} → {self.R} partitions", width=box_area.width, height=box_area.height - 0.2)
        box.move_to(box_area.center)
        rows = [PartitionLog(len(keys), name=f"P{p}", cell_width=1.0, cell_height=0.56, offsets=False, name_width=0.45)
                for p in range(self.R)]
        for row, region in zip(rows, box.content.rows(self.R)):
            row.move_to(region.center, aligned_edge=LEFT).align_to([region.left, 0, 0], LEFT)
        chips = {k: PartitionLog(1, cell_width=1.0, cell_height=0.56, offsets=False).set_records([Record(k)]) for k in keys}
        table = TableWidget(["key", f"mod {self.P}", f"mod {self.R}"],
                            [[k, f"P{a}", f"P{b}"] for k, (a, b) in self.s["remap"].items()],
                            highlight={(i, 2): theme.HIGHLIGHT for i, k in enumerate(keys) if k in self.s["moved_keys"]},
                            )
        table_area.place(table)

        def spot(k: str, which: int) -> np.ndarray:
            p = self.s["remap"][k][which]
            slot = [q for q in keys if self.s["remap"][q][which] == p].index(k)
            return rows[p].cell_center(slot)

        def draw(_: Any) -> None:
            t = clock.get_value()
            for i, k in enumerate(keys):
                f = float(np.clip((t - 0.3 - 0.1 * i) / 0.4, 0.0, 1.0))
                chips[k].move_to(spot(k, 0) * (1 - f) + spot(k, 1) * f)
                moved = k in self.s["moved_keys"]
                chips[k].set_record(0, Record(k, ("moved" if moved else "stays") if f >= 1 else "",
                                              color=theme.HIGHLIGHT if moved and f > 0 else PRODUCER))

        draw(None)
        group = VGroup(*chips.values())
        group.add_updater(draw)
        self.reveal(box, *rows[:self.P], group, table)
        moved = self.s["moved_keys"]
        self.caption(f"Now grow the topic from {self.P} to {self.R} partitions.")
        options = count_choices(len(moved), len(keys))
        self.checkpoint(f"The topic grows from {self.P} to {self.R} partitions. How many of the {len(keys)} keys move?",
                        [str(o) for o in options], options.index(len(moved)),
                        f"A key moves whenever its hash mod {self.R} differs from its hash mod {self.P}.")
        self.wait(0.5)
        self.play(FadeIn(VGroup(*rows[self.P:])), run_time=0.6)
        self.narrate("Every key's hash is taken modulo the new count.", clock, 0.3, 3.0)
        stayed = self.s["stayed_keys"]
        self.narrate(f"{len(moved)} of {len(keys)} keys move; " + (", ".join(stayed) + " stays." if stayed
                                                                else "none stays."), clock, 1.5, 3.6)
        self.narrate("Old records stay behind: a key's history splits.", clock, 1.5, 3.0)
        group.clear_updaters()

    def takeaway(self) -> None:
        self.clear_stage()
        moved, keys = len(self.s["moved_keys"]), len(self.s["remap"])
        rows = [["a record's key", "picks its partition: order per key"],
                [f"{self.P} partitions", f"at most {self.P} busy consumers"],
                [f"{self.P} → {self.R} partitions", f"{moved} of {keys} keys move"]]
        table = TableWidget(["you choose", "you get"], rows, font_size=theme.BODY_SIZE, row_height=0.75, max_width=11.5)
        table.move_to(layout.STAGE.center)
        self.caption("Choose the key and the partition count with care.")
        self.play(*self.set_heading("Takeaway"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(5.0)
        self.finish()
