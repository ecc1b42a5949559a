"""Heartbeat & Failure Detection: one monitor judges a jittery node, a stalling node and a crashing node
(storyboard: heartbeat-failure-detection.md).

Every view is a pure function of one simulated clock: a node's ring drains over the timeout since its
latest arrival at the monitor, its badge reads the trace's suspicion intervals, message dots fly each
heartbeat in from its send to its arrival, strips tick off arrivals and shade suspicions, and the
phi meters read the monitor's samples. Beats are keyed to the trace's stall, crash and detections.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import numpy as np
from manim import DOWN, LEFT, ORIGIN, RIGHT, UP, Dot, FadeIn, Line, Triangle, ValueTracker, VGroup

from scenes.kit import (Counter, CrashBolt, ExplainerScene, Flight, FlightLayer, Legend, ServerNode, SimTimeReadout,
                        SwapText, TableWidget, label, layout, mono, route_between, theme)
from scenes.kit.suspicion import ArrivalStrip, GapHistogram, SuspicionMeter

__all__ = ["HeartbeatFailureDetectionScene"]

BOARD, SIDE = layout.STAGE.cut_right(2.1, gap=0.2)  #: the nodes and strips; a narrow column for clock and counts
M_FX, NODE_FX = 0.06, 0.36  #: the monitor's and the nodes' x, as fractions of the board
STRIP_FX = (0.62, 0.985)  #: where the arrival strips' axes run
STRIP_NAME_W = 1.6
HOOK_M, HOOK_NODE, HOOK_STAMP = BOARD.point(0.12, 0.66), BOARD.point(0.6, 0.66), BOARD.point(0.12, 0.3)
HOOK_STRIP_FY = 0.12
CRASH_TOP, CRASH_LANES = layout.MAIN.cut_top(1.9, gap=0.1)  #: monitor and crashed node; its two lanes
PHI_NODES, PHI_CHART = layout.STAGE.cut_right(5.6, gap=0.4)
MIN_FLIGHT_S = 0.35  #: a heartbeat's dot flies at least this long on screen (its arrival time is exact)


class HeartbeatFailureDetectionScene(ExplainerScene):
    """Fixed timeouts against phi accrual on jitter, a stall and a real crash, from one monitor's trace."""

    def setup(self) -> None:
        tr, p = self.trace, self.trace["params"]
        self.p, self.names, self.dets = p, tr["nodes"], tr["detectors"]
        if tr["crash"] is None or tr["stall"] is None:
            raise ValueError("this storyboard needs a stalling node and a crashing node")
        self.crash, self.stall = tr["crash"], tr["stall"]
        self.crash_t, self.victim, self.staller = self.crash["t"], self.crash["node"], self.stall["node"]
        n = len(self.names)
        self.arrivals = [[b["arrive_t"] for b in tr["heartbeats"] if b["node"] == i] for i in range(n)]
        self.spans = {(i, d): [] for i in range(n) for d in self.dets}
        for s in tr["suspicions"]:
            self.spans[(s["node"], s["detector"])].append((s["start"], s["end"]))
        self.mistake_starts = {d: sorted(s["start"] for s in tr["suspicions"] if s["detector"] == d and s["mistake"])
                               for d in self.dets}
        self.metrics = tr["metrics"]
        self.timeouts = dict(zip(self.dets, p["timeouts_s"]))
        self.short, self.long, self.phi = self.dets[0], self.dets[-2], self.dets[-1]
        self.detect = {d: self.metrics[d]["detection_time_s"] for d in self.dets}
        live = [i for i in range(n) if i != self.victim]
        self.wide = max(live, key=lambda i: (p["jitter_mean_s"][i], -i))  #: the node with the widest rhythm
        #: false alarms each detector raised before the crash (suspicions of live nodes starting before it)
        self.before_crash = {d: sum(1 for t in self.mistake_starts[d] if t < self.crash_t) for d in self.dets}
        self.end_t = self.crash_t + max(self.detect[d] for d in self.dets) + 1.2
        self.poster_time = None

    # --- reading the trace -------------------------------------------------------------------
    def step_at(self, t: float) -> dict[str, Any]:
        return self.trace["steps"][max(0, min(int(t / self.p["sample_dt"] + 1e-9), len(self.trace["steps"]) - 1))]

    def last_arrival(self, node: int, t: float) -> float | None:
        j = bisect.bisect_right(self.arrivals[node], t)
        return self.arrivals[node][j - 1] if j else None

    def suspected(self, node: int, det: str, t: float) -> bool:
        return any(s <= t < (math.inf if e is None else e) for s, e in self.spans[(node, det)])

    def false_alarms(self, det: str, t: float) -> int:
        return bisect.bisect_right(self.mistake_starts[det], t)

    def model_at(self, node: int, t: float) -> dict[str, Any]:
        return max((m for m in self.trace["phi_model"] if m["node"] == node and m["t"] <= t), key=lambda m: m["t"])

    def det_name(self, det: str) -> str:
        return f"φ accrual ({self.p['phi_threshold']:g})" if det == self.phi else f"timeout {self.timeouts[det]:g} s"

    # --- the board: monitor, nodes, flights, strips -----------------------------------------------
    def board(self, ids: list[int], det: str, *, m_at: np.ndarray, node_at: list[np.ndarray], radius: float,
              strips: list[tuple[float, float, float]] | None, t1: float, clock: ValueTracker,
              badges: bool = True, t0: float = 0.0) -> VGroup:
        """The monitor and nodes ``ids`` judged by ``det`` (a timeout), drawn at ``clock``'s time."""
        timeout = self.timeouts[det]
        monitor = ServerNode("M", radius=radius + 0.1).move_to(m_at)
        nodes = [ServerNode(self.names[i], badge="alive" if badges else "", radius=radius, timer=True) for i in ids]
        for node, at in zip(nodes, node_at):
            node.shift(at - node.body.get_center())
        bolts = [CrashBolt(radius * 1.7).move_to(node.body.get_center() + RIGHT * radius) for node in nodes]
        flights = []
        for i, node in zip(ids, nodes):
            start, end = route_between(node.body.get_center(), monitor.body.get_center(),
                                       start_gap=node.ring.track.width / 2 + 0.05, end_gap=monitor.radius + 0.08)
            for b in self.trace["heartbeats"]:
                if b["node"] == i and b["arrive_t"] <= t1 + 1:
                    flights.append(Flight(tuple(start), tuple(end), min(b["send_t"], b["arrive_t"] - MIN_FLIGHT_S),
                                          b["arrive_t"], radius=0.1))
        layer = FlightLayer(flights, fizzle_time=0.5)
        lanes = VGroup(*[ArrivalStrip(self.trace["profiles"][i], self.arrivals[i], self.spans[(i, det)], t0=t0, t1=t1,
                                      x_left=x0, x_right=x1, y=y, name_width=STRIP_NAME_W)
                         for i, (x0, x1, y) in zip(ids, strips or [])])

        def draw(_: Any) -> None:
            t = clock.get_value()
            for i, node, bolt in zip(ids, nodes, bolts):
                last = self.last_arrival(i, t)
                left = 1.0 if last is None else float(np.clip(1 - (t - last) / timeout, 0.0, 1.0))
                down = self.suspected(i, det, t)
                node.ring.set_fraction(left, color=theme.FAILURE if down else theme.TEXT)
                node.set_state(badge=("dead?" if down else "alive") if badges else None,
                               color=theme.FAILURE if down else theme.NODE)
                bolt.set_opacity(1.0 if i == self.victim and t >= self.crash_t else 0.0)
            layer.show_at(t)
            for lane in lanes:
                lane.show_until(t)

        moving = VGroup(*nodes, *bolts, layer, lanes)
        draw(None)
        moving.add_updater(draw)
        return VGroup(monitor, moving)

    def side_column(self, clock: ValueTracker, det: str, *, counter: bool) -> VGroup:
        readout = SimTimeReadout(unit="s", digits=2).follow(clock)
        tag = mono(f"T = {self.timeouts[det]:g} s", font_size=theme.BODY_SIZE, color=theme.HIGHLIGHT)
        parts = [readout, VGroup(label("timeout", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED), tag)
                 .arrange(DOWN, buff=0.1, aligned_edge=LEFT)]
        if counter:
            count = Counter("false alarms", 0, font_size=theme.HEADING_SIZE)
            count.number.align_to(count.caption, LEFT)
            count.add_updater(lambda c: c.set_value(self.false_alarms(det, clock.get_value())))
            parts.append(count)
        tick = Line(DOWN * 0.15, UP * 0.15, stroke_color=theme.MESSAGE, stroke_width=3.0)
        band = Line(LEFT * 0.2, RIGHT * 0.2, stroke_color=theme.FAILURE, stroke_width=6.0)
        parts.append(Legend([(tick, "heartbeat in"), (band, "suspected")]))
        column = VGroup(*parts).arrange(DOWN, buff=0.45, aligned_edge=LEFT)
        return SIDE.place(column, align=UP + LEFT)

    def main_board(self, det: str, clock: ValueTracker) -> VGroup:
        ids = list(range(len(self.names)))
        rows = BOARD.rows(len(ids))
        ys = [r.center[1] for r in rows]
        strips = [(BOARD.point(STRIP_FX[0], 0)[0], BOARD.point(STRIP_FX[1], 0)[0], y - 0.1) for y in ys]
        node_x = BOARD.point(NODE_FX, 0)[0]
        return self.board(ids, det, m_at=BOARD.point(M_FX, 0.5), node_at=[np.array([node_x, y, 0.0]) for y in ys],
                          radius=0.42, strips=strips, t1=self.end_t, clock=clock)

    # --- beats ------------------------------------------------------------------------------------
    def construct(self) -> None:
        self.chapter("Dead or just slow?")
        self.show_title_card(3.0)
        self.hook_beat()
        self.chapter("Heartbeats and a timeout")
        clock = ValueTracker(0.0)
        self.short_beat(clock)
        self.chapter("A long timeout")
        self.long_beat()
        self.chapter("The price of calm")
        self.price_beat()
        self.chapter("φ accrual")
        self.phi_beat()
        self.chapter("Scoreboard")
        self.scoreboard()

    def hook_beat(self) -> None:
        hook = self.trace["beats"]["hook"] or next(s for s in self.trace["suspicions"] if s["detector"] == self.short)
        who, t_sus, t_end = hook["node"], hook["start"], hook["end"]
        clock = ValueTracker(t_sus - self.timeouts[self.short] - 0.6)
        t0, t1 = t_sus - self.timeouts[self.short] - 2.2, (t_end if t_end is not None else t_sus) + 1.2
        strip = (BOARD.left + STRIP_NAME_W + 0.4, BOARD.right - 0.1, BOARD.point(0, HOOK_STRIP_FY)[1])
        view = self.board([who], self.short, m_at=HOOK_M, node_at=[HOOK_NODE], radius=0.6, strips=[strip], t0=t0,
                          t1=t1, clock=clock)
        stamp = SwapText("alive", font_size=theme.TITLE_SIZE, color=theme.SUCCESS, weight="BOLD", monospace=False)
        verdicts = (("alive", theme.SUCCESS), ("DEAD?", theme.FAILURE))
        stamp.move_to(HOOK_STAMP).add_updater(
            lambda m: m.set_text(*verdicts[self.suspected(who, self.short, clock.get_value())]))
        self.reveal(view, stamp, self.side_column(clock, self.short, counter=False))
        self.narrate(f"{self.names[who]} goes quiet for over {self.timeouts[self.short]:g} s. Is it dead?", clock,
                     t_sus + 0.4, 3.6)
        if t_end is not None:
            self.narrate("Then its late heartbeat lands: alive all along.", clock, t_end + 0.5, 3.0)
        self.caption("Dead, or just slow? From outside they look the same.")
        self.wait(2.6)
        self.clear_caption()
        self.clear_stage()

    def short_beat(self, clock: ValueTracker) -> None:
        det, p = self.short, self.p
        board = self.main_board(det, clock)
        self.reveal(board, self.side_column(clock, det, counter=True), heading="Heartbeats and a timeout")
        first = self.mistake_starts[det][0] if self.mistake_starts[det] else self.stall["start"]
        calm_until = max(min(3 * p["interval_s"], first - 0.2), p["interval_s"])
        self.narrate(f"Each node sends M a heartbeat every {p['interval_s']:g} s.", clock, calm_until * 0.55, 4.2)
        self.narrate("Each arrival refills that node's ring.", clock, calm_until, 3.4)
        self.caption(f"No heartbeat for T = {self.timeouts[det]:g} s empties the ring: suspect!")
        self.wait(2.2)
        self.chapter("A short timeout")
        stall_at, wide = self.stall["start"], self.names[self.wide]
        jittery = any(s < stall_at for s, e in self.spans[(self.wide, det)] if e is not None)
        self.narrate(f"{wide}'s late heartbeats trip the alarm." if jittery else
                     f"{wide}'s heartbeats arrive unevenly.", clock, stall_at - 0.2, 5.0)
        self.poster_time = self.time - 1.0
        self.narrate(f"{self.names[self.staller]} stalls for {p['stall_s']:g} s: accused, though alive.", clock,
                     self.stall["end"] + 1.0, 4.6)
        k = self.before_crash[det]
        self.narrate(f"{k} false alarm{'s' if k != 1 else ''} in {self.crash_t:g} s, and nobody had failed.", clock,
                     self.crash_t - 1e-3, 3.4)
        k_long = self.before_crash[self.long]
        choices = [str(x) for x in sorted({0, k_long, max(1, k // 2), k})]
        self.checkpoint(f"Same heartbeats, T = {self.timeouts[self.long]:g} s. How many false alarms now?", choices,
                        choices.index(str(k_long)),
                        f"Only silences longer than {self.timeouts[self.long]:g} s count, and "
                        f"{'none' if not k_long else k_long} of them came before the crash.")
        self.clear_caption()
        self.clear_stage()

    def long_beat(self) -> None:
        det, clock = self.long, ValueTracker(0.0)
        board = self.main_board(det, clock)
        self.reveal(board, self.side_column(clock, det, counter=True), heading=f"Timeout T = {self.timeouts[det]:g} s")
        k = self.before_crash[det]
        self.narrate(f"Replay with T = {self.timeouts[det]:g} s: the hiccups pass quietly." if not k else
                     f"Replay with T = {self.timeouts[det]:g} s: {k} false alarm{'s' if k != 1 else ''}.",
                     clock, self.crash_t - 1.0, 6.0)
        victim = self.names[self.victim]
        self.narrate(f"At {self.crash_t:g} s, {victim} really crashes.", clock, self.crash_t + 0.6, 2.4)
        self.narrate(f"T = {self.timeouts[det]:g} s waits {self.detect[det]:.1f} s before it suspects {victim}.",
                     clock, self.crash_t + self.detect[det] + 0.4, 3.8)
        self.clear_caption()
        self.clear_stage()

    def price_beat(self) -> None:
        clock, victim = ValueTracker(self.crash_t - 1.0), self.names[self.victim]
        top = self.board([self.victim], self.short, m_at=CRASH_TOP.point(0.12, 0.5),
                         node_at=[CRASH_TOP.point(0.5, 0.5)], radius=0.45, strips=None, t1=self.end_t, clock=clock,
                         badges=False)
        t0, t1 = self.crash_t - 3.0, self.crash_t + self.detect[self.long] + 1.0
        rows = CRASH_LANES.rows(2)
        lanes, notes = VGroup(), VGroup()
        for det, row in zip((self.short, self.long), rows):
            lane = ArrivalStrip(self.det_name(det), self.arrivals[self.victim], self.spans[(self.victim, det)], t0=t0,
                                t1=t1, x_left=row.left + 2.4, x_right=row.right - 0.3, y=row.center[1] - 0.2,
                                name_width=2.1).follow(clock)
            at = self.crash_t + self.detect[det]
            note = mono(f"+{self.detect[det]:.1f} s", color=theme.FAILURE)
            note.next_to([lane.x_of(at), lane.lane.y - 0.2, 0], DOWN, buff=0.1)
            note.add_updater(lambda m, at=at: m.set_opacity(1.0 if clock.get_value() >= at else 0.0))
            lanes.add(lane)
            notes.add(note)
        x = lanes[0].x_of(self.crash_t)
        crash_line = Line([x, rows[1].bottom + 0.1, 0], [x, rows[0].top - 0.1, 0], stroke_color=theme.HIGHLIGHT,
                          stroke_width=3)
        crash_text = label("crash", font_size=theme.MIN_FONT_SIZE, color=theme.HIGHLIGHT).next_to(crash_line, UP,
                                                                                                buff=0.05)
        self.reveal(top, lanes, notes, crash_line, crash_text, heading="Same crash, two timeouts")
        (short, t_short), (long, t_long) = ((d, self.timeouts[d]) for d in (self.short, self.long))
        self.narrate(f"T = {t_short:g} s notices {victim}'s crash after {self.detect[short]:.1f} s.", clock,
                     self.crash_t + self.detect[short] + 0.3, 3.2)
        self.narrate(f"T = {t_long:g} s: {self.detect[long]:.1f} s of a dead node still trusted.", clock, t1, 3.4)
        self.caption("Fewer false alarms cost slower detection.")
        self.play(FadeIn(self.tradeoff_chart()), run_time=theme.FADE_S)
        self.wait(3.0)
        self.clear_caption()
        self.clear_stage()

    def tradeoff_chart(self) -> VGroup:
        """Two points, false alarms (x) against seconds to detect the crash (y), one per timeout."""
        w, h = 2.6, 2.8
        dets = (self.short, self.long)
        x_max = max(self.metrics[d]["false_suspicions"] for d in dets) or 1
        y_max = max(self.detect[d] for d in dets)
        axes = VGroup(Line(ORIGIN, [w, 0, 0]), Line(ORIGIN, [0, h, 0])).set_stroke(theme.GRID, theme.THIN_STROKE)
        chart = VGroup(axes, label("false alarms", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
                       .next_to(axes[0], DOWN, buff=0.12),
                       label("seconds to detect", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
                       .next_to(axes[1], UP, buff=0.12).align_to(axes[1], LEFT))
        for det in dets:
            fx = self.metrics[det]["false_suspicions"] / x_max
            at = np.array([w * (0.12 + 0.76 * fx), h * (0.1 + 0.65 * self.detect[det] / y_max), 0])
            chart.add(Dot(at, radius=0.1, color=theme.HIGHLIGHT),
                      mono(f"T = {self.timeouts[det]:g} s", font_size=theme.MIN_FONT_SIZE)
                      .next_to(at, LEFT if fx > 0.5 else RIGHT, buff=0.15))
        return layout.SIDE_PANEL.place(chart)

    def phi_beat(self) -> None:
        thr, clock = self.p["phi_threshold"], ValueTracker(self.crash_t - 0.2)
        n = len(self.names)
        rows = PHI_NODES.rows(n)
        column = VGroup()
        for i, row in enumerate(rows):
            node = ServerNode(self.names[i], radius=0.36).move_to(row.point(0.08, 0.45))
            meter = SuspicionMeter(thr, maximum=1.5 * thr, width=3.3, threshold_label=f"φ = {thr:g}" if i == 0 else "",
                                   over_text="suspect").move_to(row.point(0.2, 0.45), aligned_edge=LEFT)
            name = label(self.trace["profiles"][i], font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
            name.next_to(meter.frame, UP, buff=0.12).align_to(meter.frame, LEFT)
            bolt = CrashBolt(0.6).move_to(node.get_right())
            meter.follow(clock, lambda t, i=i: (self.step_at(t)["nodes"][i]["phi"],
                                                 self.step_at(t)["nodes"][i]["suspected"][self.phi]))
            bolt.add_updater(lambda b, i=i: b.set_opacity(1.0 if i == self.victim and clock.get_value() >= self.crash_t
                                                          else 0.0))
            column.add(VGroup(node, name, meter, bolt))
        models = {i: self.model_at(i, self.crash_t) for i in (self.wide, self.victim)}
        x_max = math.ceil(max(m["threshold_elapsed"] for m in models.values()) + 0.6)
        hist = GapHistogram(x_max=x_max, y_max=1.0, width=PHI_CHART.width - 0.4, height=3.0)
        title = SwapText(" ", font_size=theme.LABEL_SIZE, monospace=False)
        chart = VGroup(title, hist)
        PHI_CHART.place(hist)
        title.move_to(hist.axis.get_start() + UP * 3.75)

        def show(i: int) -> None:
            m = models[i]
            lo, hi = m["window"]
            gaps = self.trace["intervals"][i][lo:hi]
            hist.set_data(gaps, mean=m["mean"], std=m["std"], threshold=m["threshold_elapsed"], rescale=True,
                          marker=f"φ = {thr:g} at {m['threshold_elapsed']:.1f} s")
            title.set_text(f"{self.names[i]}: its last {len(gaps)} gaps")
            title.align_to(hist.axis.get_start(), LEFT)

        show(self.wide)
        self.reveal(column, chart, heading="φ accrual: learn each node's rhythm")
        self.caption("φ accrual fits a bell curve to each node's recent gaps.")
        self.wait(3.0)
        te = {i: models[i]["threshold_elapsed"] for i in models}
        self.caption(f"{self.names[self.wide]}'s gaps vary: φ hits {thr:g} only after {te[self.wide]:.1f} s.")
        self.wait(2.0)
        self.caption(f"{self.names[self.victim]} is steady: its line sits at {te[self.victim]:.1f} s.")
        show(self.victim)
        self.wait(1.0)
        staller, trips = self.names[self.staller], self.metrics[self.phi]["per_node"][self.staller]["false_suspicions"]
        self.caption(f"{staller}'s stall is new to its curve: accused anyway." if trips else
                     f"{staller}'s stall stays inside its curve: no alarm.")
        self.jump(clock, self.stall["start"] - 0.3)
        self.advance(clock, self.stall["end"] + 0.2, 3.8)
        order = sorted(self.dets, key=lambda d: (self.detect[d], d))
        self.checkpoint(f"{self.names[self.victim]} crashes. Which detector suspects it first?",
                        [self.det_name(d) for d in self.dets], self.dets.index(order[0]),
                        "All count from the same last heartbeat; the one whose line is nearest fires first.")
        self.caption(f"{self.names[self.victim]} crashes: φ suspects it after {self.detect[self.phi]:.1f} s.")
        self.jump(clock, self.crash_t - 0.3)
        self.advance(clock, self.crash_t + self.detect[self.phi] + 0.4, 3.6)
        self.caption("The same dial, set per node from what it has heard.")
        self.wait(3.2)
        self.clear_caption()
        self.clear_stage()

    def scoreboard(self) -> None:
        rows = [[self.det_name(d), f"{self.detect[d]:.1f} s", str(self.metrics[d]["false_suspicions"]),
                 f"{self.metrics[d]['mistake_s']:.1f} s"] for d in self.dets]
        table = TableWidget(["detector", f"{self.names[self.victim]} caught after", "false alarms",
                             "wrongly suspected"], rows, font_size=theme.BODY_SIZE, row_height=0.75,
                            max_width=layout.STAGE.width)
        layout.STAGE.place(table, align=UP, buff=0.3)
        self.caption(f"Scores over the whole {self.p['duration_s']:g} s run.")
        self.play(*self.set_heading("Scoreboard"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(4.0)
        dial = self.dial().next_to(table, DOWN, buff=0.6)
        self.caption("Every detector is a setting on one dial.")
        self.play(FadeIn(dial), run_time=theme.FADE_S)
        self.wait(3.0)
        self.caption("Pick what you can afford: none tells slow from dead.")
        self.wait(3.4)
        self.finish()

    def dial(self) -> VGroup:
        """A line from fast detection to few false alarms, each detector marked where its detection time puts it."""
        width = 8.0
        lo, hi = min(self.detect.values()), max(self.detect.values())
        line = Line([-width / 2, 0, 0], [width / 2, 0, 0], stroke_color=theme.GRID, stroke_width=theme.STROKE)
        ends = VGroup(label("fast detection", color=theme.MUTED).next_to(line, LEFT, buff=0.25),
                      label("few false alarms", color=theme.MUTED).next_to(line, RIGHT, buff=0.25))
        dial = VGroup(line, ends)
        for k, det in enumerate(sorted(self.dets, key=lambda d: self.detect[d])):
            x = -width / 2 + width * (self.detect[det] - lo) / ((hi - lo) or 1)
            mark = Triangle(fill_color=theme.HIGHLIGHT, fill_opacity=1.0, stroke_width=0).scale(0.12)
            mark.rotate(math.pi).move_to([x, 0.2, 0])
            text = label(self.det_name(det), font_size=theme.MIN_FONT_SIZE).next_to(mark, UP if k % 2 == 0 else DOWN,
                                                                                  buff=0.15 if k % 2 == 0 else 0.5)
            dial.add(mark, text)
        return dial

