"""Circuit Breaker: a hung dependency fills a shared worker pool; a breaker trips, fails fast, probes and
closes again (storyboard: circuit-breaker.md).

One clock in simulated milliseconds drives the stage: the lane without a breaker owns ``[0, LANE)``
and the lane with one ``[LANE, 2 LANE)``, so a frame is a pure function of the clock: the worker pool,
message dots, counters, the breaker switch and the state diagram are read from the trace's steps at
that instant. Beats are keyed to the trace's outage window, its trip, its trials and its closing.
Message dots are slowed to ``LEG_MS`` per leg so that they can be seen; the pool keeps true time.
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Circle, Create, Cross, Dot, FadeIn, Line, Rectangle, ValueTracker,
                   VGroup)
from manim.utils.space_ops import rotate_vector

from scenes.kit import (BarChart, ClientNode, Counter, ExplainerScene, Flight, FlightLayer, Legend, LineChart,
                        QueueWidget, ServerNode, SimTimeReadout, TableWidget, TimerRing, label, layout, theme)
from scenes.kit.statemachine import StateMachine

__all__ = ["CircuitBreakerScene"]

MAIN, SIDE = layout.STAGE.cut_right(4.3, gap=0.3)
NODES_AREA, LOWER = MAIN.cut_top(3.3, gap=0.1)
POOL_AREA, KEY_AREA = LOWER.cut_top(LOWER.height - 0.45, gap=0.05)
MACHINE_AREA, SIDE_REST = SIDE.cut_top(2.45, gap=0.25)
FAILS_AREA, COUNTER_AREA = SIDE_REST.cut_top(0.85, gap=0.25)
AT = {"users": NODES_AREA.point(0.07, 0.5), "A": NODES_AREA.point(0.36, 0.5), "B": NODES_AREA.point(0.86, 0.8),
      "C": NODES_AREA.point(0.86, 0.2)}
SWITCH_AT = 0.36  #: share of the way from A to B where the breaker sits
LEG_MS = 120  #: each leg of a message is drawn this long (the trace's calls take 30-80 ms)
FIZZLE_MS = 350  #: a rejected or fast-failed call's cross lingers this long
GLOW_MS = 1500  #: a transition stays lit this long on the state diagram
TARGET_COLOR = {"B": theme.MESSAGE, "C": theme.NODE}
NAMES = {"A": "Shop API", "B": "Payments", "C": "Catalog"}
STATE_NAMES = {"half_open": "half-open"}


class CircuitBreakerScene(ExplainerScene):
    """Without a breaker the pool drowns in timeouts; with one it trips, fails fast, probes, recovers."""

    # --- reading the trace ------------------------------------------------------------------------
    def setup(self) -> None:
        p, s = self.trace["params"], self.trace["summary"]
        self.p, self.s, self.hl = p, s, s["highlights"]
        self.lane_ms = p["sim_ms"] + p["call_timeout_ms"] + 1000
        self.lanes = ("no_breaker", "breaker")
        self.steps = {lane: [st for st in self.trace["steps"] if st["lane"] == lane] for lane in self.lanes}
        self.times = {lane: [st["t_ms"] for st in steps] for lane, steps in self.steps.items()}
        self.requests = {r["id"]: r for r in s["requests"]}
        self.calls: dict[str, dict[int, dict[str, Any]]] = {lane: {} for lane in self.lanes}
        for lane, steps in self.steps.items():
            for st in steps:
                if st["event"] in ("start", "success", "timeout", "fast_fail", "pool_reject"):
                    call = self.calls[lane].setdefault(st["req_id"], {"target": st["target"]})
                    call["start" if st["event"] == "start" else "end"] = st["t_ms"]
                    if st["event"] != "start":
                        call["outcome"] = st["event"]
        if self.hl["trip_t_ms"] is None:
            raise ValueError("this storyboard needs a run in which the breaker trips")
        #: what a caller waits for a fast-failed call (the trace's first one after the trip)
        self.fast_ms = next(st["latency_ms"] for st in self.steps["breaker"]
                            if st["event"] == "fast_fail" and st["t_ms"] >= self.hl["trip_t_ms"])

    def g(self, lane: str, t_ms: float) -> float:
        return self.lanes.index(lane) * self.lane_ms + t_ms

    def at(self, g: float) -> tuple[str, float, dict[str, Any]]:
        """(lane, its time in ms, the state after its last step at or before then: slots and breaker)."""
        lane = self.lanes[min(max(int(g // self.lane_ms), 0), 1)]
        t = g - self.g(lane, 0)
        i = bisect.bisect_right(self.times[lane], t) - 1
        return lane, t, self.steps[lane][i] if i >= 0 else {"slots": [], "breaker": None}

    def series_at(self, lane: str, t: float) -> dict[str, Any]:
        rows = self.s["series"][lane]
        return rows[min(max(int(t // self.p["sample_ms"]), 0), len(rows) - 1)]

    # --- the stage ----------------------------------------------------------------------------------
    def build_stage(self) -> None:
        self.users = ClientNode("users", width=1.1).move_to(AT["users"])
        self.nodes = {k: ServerNode(k, badge=NAMES[k], detail="ok" if k == "B" else "").move_to(AT[k])
                      for k in ("A", "B", "C")}
        a = self.nodes["A"]
        self.ends = {"in": (self.users.edge_point(AT["A"]), a.edge_point(AT["users"], gap=0.05)),
                     **{k: (a.edge_point(AT[k], gap=0.05), self.nodes[k].edge_point(AT["A"], gap=0.05)) for k in "BC"}}
        self.wires = VGroup(*[Line(a, b, stroke_color=theme.GRID, stroke_width=theme.THIN_STROKE)
                              for a, b in self.ends.values()])
        self.pool = QueueWidget(f"{NAMES['A']} workers", self.p["pool_size"], slot_width=0.5, slot_height=0.5)
        POOL_AREA.place(self.pool)
        self.rings = VGroup(*[TimerRing(0.17, color=theme.BACKGROUND, track_color=theme.FAILURE, stroke_width=3)
                              for _ in range(self.p["pool_size"])])
        for ring, slot in zip(self.rings, self.pool.slots):
            ring.move_to(slot)
        self.flights = FlightLayer(self.all_flights(), fizzle_time=FIZZLE_MS)
        self.readout = SimTimeReadout(unit="ms", digits=5).move_to(NODES_AREA.point(0.09, 0.88))
        self.c_ok = Counter("answered", 0)
        self.c_503 = Counter("refused", 0, color=theme.FAILURE)
        self.counters = VGroup(label(f"{NAMES['C']} requests, last second", color=theme.MUTED),
                               VGroup(self.c_ok, self.c_503).arrange(RIGHT, buff=0.8, aligned_edge=UP))
        self.counters.arrange(DOWN, buff=0.2, aligned_edge=LEFT)
        COUNTER_AREA.place(self.counters, align=UP + LEFT)
        self.key = self.legend()
        KEY_AREA.place(self.key)
        self.stage = VGroup(self.wires, self.users, *self.nodes.values(), self.pool, self.rings, self.flights,
                            self.readout, self.counters, self.key)
        self.draw(self.clock.get_value())
        self.stage.add_updater(lambda _: self.draw(self.clock.get_value()))

    def legend(self) -> Legend:
        def dot(color: str, hollow: bool = False) -> Circle:
            return Circle(radius=0.09, stroke_color=color, stroke_width=3,
                          fill_color=theme.BACKGROUND if hollow else color, fill_opacity=1.0)

        cross = Cross(scale_factor=0.1, stroke_color=theme.FAILURE, stroke_width=4)
        return Legend([(dot(TARGET_COLOR[k]), f"call to {NAMES[k]}") for k in "BC"]
                      + [(dot(theme.TEXT, True), "answer"), (cross, "refused or failed fast")], direction=RIGHT)

    def all_flights(self) -> list[Flight]:
        flights = []
        for lane in self.lanes:
            for rid, call in self.calls[lane].items():
                t0, color = self.requests[rid]["t_ms"], TARGET_COLOR[call["target"]]
                a, b = self.ends["in"]
                rejected = call["outcome"] == "pool_reject"
                flights.append(Flight(tuple(a), tuple(b), self.g(lane, t0 - LEG_MS), self.g(lane, t0), color=color,
                                      dropped=rejected, drop_at=0.85))
                a, b = self.ends[call["target"]]
                if call["outcome"] == "fast_fail":
                    flights.append(Flight(tuple(a), tuple(b), self.g(lane, t0), self.g(lane, t0 + LEG_MS), color=color,
                                          dropped=True, drop_at=SWITCH_AT))
                elif call["outcome"] in ("success", "timeout"):
                    flights.append(Flight(tuple(a), tuple(b), self.g(lane, t0), self.g(lane, t0 + LEG_MS), color=color))
                if call["outcome"] == "success":
                    back = self.g(lane, max(call["end"], t0 + LEG_MS))
                    flights.append(Flight(tuple(b), tuple(a), back, back + LEG_MS, color=color, hollow=True))
        return flights

    def build_breaker(self) -> VGroup:
        """The switch on the wire to B (with its reset ring), the state diagram and the failure counter."""
        a, b = self.ends["B"]
        at = a + (b - a) * SWITCH_AT
        self.switch_dir = (b - a) / np.linalg.norm(b - a)
        self.switch_pivot = at - self.switch_dir * 0.28
        self.lever = Line(self.switch_pivot, at, stroke_color=theme.TEXT, stroke_width=theme.STROKE + 1)
        self.reset_ring = TimerRing(0.42, color=theme.HIGHLIGHT).move_to(at)
        posts = VGroup(*[Dot(x, radius=0.07, color=theme.TEXT)
                         for x in (self.switch_pivot, at + self.switch_dir * 0.28)])
        cover = Line(self.switch_pivot, at + self.switch_dir * 0.28, stroke_color=theme.BACKGROUND, stroke_width=8)
        tag = label("breaker", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED).next_to(self.reset_ring, UP, buff=0.05)
        p = self.p
        self.machine = StateMachine(["closed", "open", "half_open"],
                                    [("closed", "open", f"{p['fail_max']} fails"),
                                     ("open", "half_open", f"after {p['reset_timeout_ms'] / 1000:g} s"),
                                     ("half_open", "closed", "trial ok"), ("half_open", "open", "trial fails")],
                                    names=STATE_NAMES, start_deg=150, radius=1.15, stretch=1.4)
        MACHINE_AREA.place(self.machine, align=UP)
        self.fails = FAILS_AREA.place(Counter("failures in a row", 0, suffix=f" / {p['fail_max']}"), align=UP + LEFT)
        group = VGroup(cover, self.reset_ring, self.lever, posts, tag, self.machine, self.fails)
        self.draw_breaker(self.clock.get_value())
        group.add_updater(lambda _: self.draw_breaker(self.clock.get_value()))
        return group

    # --- one frame, from the trace ------------------------------------------------------------------
    def draw(self, g: float) -> None:
        lane, t, st = self.at(g)
        calls = self.calls[lane]
        busy = sorted((rid for rid in st["slots"] if rid is not None), key=lambda r: calls[r].get("start", 0))
        hung = {r for r in busy if calls[r]["outcome"] == "timeout"}
        self.pool.set_items([(calls[r]["target"], theme.FAILURE if r in hung else TARGET_COLOR[calls[r]["target"]])
                             for r in busy])
        timeout = self.p["call_timeout_ms"]
        for k, ring in enumerate(self.rings):
            shown = k < len(busy) and busy[k] in hung
            if shown:
                ring.set_fraction(min(max((calls[busy[k]]["end"] - t) / timeout, 0.0), 1.0))
            ring.set_visible(shown)
        down = self.p["outage_ms"][0] <= t < self.p["outage_ms"][1]
        self.nodes["B"].set_state(detail="no reply" if down else "ok", dimmed=down)
        self.flights.show_at(g)
        self.readout.set_value(t)
        row = self.series_at(lane, t)
        self.c_ok.set_value(row["c_ok_last_s"])
        self.c_503.set_value(row["c_rejected_last_s"])

    def draw_breaker(self, g: float) -> None:
        lane, t, st = self.at(g)
        br = st["breaker"] or {"state": "closed", "fail_counter": 0, "opened_at_ms": None}
        lift = {"closed": 0.0, "open": 0.7, "half_open": 0.35}[br["state"]]
        tip = self.switch_pivot + rotate_vector(self.switch_dir, lift) * 0.56
        self.lever.put_start_and_end_on(self.switch_pivot, tip)
        waiting = br["state"] == "open" and br["opened_at_ms"] is not None
        if waiting:
            self.reset_ring.set_fraction(min(max((br["opened_at_ms"] + self.p["reset_timeout_ms"] - t)
                                                 / self.p["reset_timeout_ms"], 0.0), 1.0))
        self.reset_ring.set_visible(waiting)
        last = next((x for x in reversed(self.s["transitions"]) if x["t_ms"] <= t), None) if lane == "breaker" else None
        glow = min(max(1 - (t - last["t_ms"]) / GLOW_MS, 0.0), 1.0) if last else 0.0
        self.machine.set_active(br["state"], taken=(last["from"], last["to"]) if glow > 0 else None, glow=glow)
        self.fails.set_value(br["fail_counter"] if br["state"] == "closed" else 0)

    # --- helpers for the beats ----------------------------------------------------------------------
    def tell(self, text: str, lane: str, t_ms: float, seconds: float = 0.0) -> None:
        self.narrate(text, self.clock, self.g(lane, t_ms), seconds)

    def run(self, lane: str, t_ms: float, seconds: float) -> None:
        self.advance(self.clock, self.g(lane, t_ms), seconds)

    def cut(self, lane: str, t_ms: float, heading: str, change: Any = None) -> None:
        def swap() -> None:
            if self.heading_mobject is not None:
                self.remove(self.heading_mobject)
            self.set_heading(heading)
            self.add(self.heading_mobject)
            self.clock.set_value(self.g(lane, t_ms))
            if change is not None:
                change()

        self.fade_cut(swap)

    # --- beats --------------------------------------------------------------------------------------
    def construct(self) -> None:
        out_start, out_end = self.p["outage_ms"]
        self.clock = ValueTracker(self.g("no_breaker", out_start + 4500))
        self.chapter("The cascade")
        self.show_title_card(3.0)
        self.build_stage()
        self.reveal(self.stage, heading="Mid-outage, no breaker")
        self.tell("One slow service just took down a healthy one. How?", "no_breaker", out_start + 6500, 4.0)
        self.setup_beat()
        self.cascade_beat()
        self.chapter("The breaker trips")
        self.trip_beat()
        self.compare_beat()
        self.chapter("Probing and recovery")
        self.probe_beat()
        self.recovery_beat()
        self.chapter("Tradeoffs")
        self.tradeoff_beat()

    def setup_beat(self) -> None:
        lo, hi = self.p["healthy_latency_ms"]
        start = max(self.p["outage_ms"][0] - 5000, 0)
        self.cut("no_breaker", start, "Normal traffic")
        self.tell("Every call borrows a worker until its answer comes back.", "no_breaker", start + 1200, 4.8)
        self.tell(f"Answers take {lo}–{hi} ms: a few of {self.p['pool_size']} workers are enough.", "no_breaker",
                  start + 2200, 4.0)

    def cascade_beat(self) -> None:
        p, out_start = self.p, self.p["outage_ms"][0]
        self.play(*self.set_heading("Payments hangs, no breaker"), self.clock.animate.set_value(
            self.g("no_breaker", out_start - 200)), run_time=1.2)
        self.tell(f"At {out_start / 1000:g} s {NAMES['B']} stops answering.", "no_breaker", out_start + 1200, 3.0)
        self.tell(f"Each call to it now holds a worker for the full {p['call_timeout_ms']} ms timeout.", "no_breaker",
                  out_start + 3200, 4.2)
        rate = self.s["lanes"]["no_breaker"]["c_success_rate_outage"] or 0.0
        self.checkpoint(f"{NAMES['B']} hangs; its calls would need {self.hl['outage_demand_slots']:g} of the "
                        f"{p['pool_size']} workers. How many {NAMES['C']} requests still succeed?",
                        ["all of them", f"about {self.about(rate)}%", "none"], 1,
                        "Hanging calls fill the pool, so most requests find no free worker; a few slip in "
                        "whenever a timeout frees one.")
        self.tell(f"Timeouts don't help: {self.hl['outage_demand_slots']:g} hanging calls want "
                  f"{p['pool_size']} workers.", "no_breaker", out_start + 5500, 4.2)
        self.tell(f"{NAMES['C']} is healthy, yet only {rate:.0%} of its requests succeed.", "no_breaker",
                  out_start + 7500, 3.6)

    @staticmethod
    def about(rate: float) -> int:
        """A success rate rounded to tens of percent, kept away from 0 and 100 (those are other choices)."""
        return min(max(round(rate * 10) * 10, 10), 90)

    def trip_beat(self) -> None:
        p, out_start, trip = self.p, self.p["outage_ms"][0], self.hl["trip_t_ms"]
        breaker = self.build_breaker()
        self.cut("breaker", out_start - 1500, "With a circuit breaker", lambda: self.add(breaker))
        self.tell("Put a breaker in front of the risky dependency.", "breaker", out_start - 500, 3.0)
        first = min(st["t_ms"] for st in self.steps["breaker"] if st["event"] == "timeout")
        self.tell("Closed: calls pass, and it counts failures in a row.", "breaker", first - 300, 3.6)
        self.tell("Each timeout adds one; a success would reset the count.", "breaker", trip - 20, 4.2)
        self.checkpoint(f"Failure {p['fail_max']} is about to open the breaker. How long will the next call to "
                        f"{NAMES['B']} take?",
                        [f"{p['call_timeout_ms']} ms, as before", f"{self.fast_ms} ms: it fails fast with a fallback",
                         f"{p['reset_timeout_ms']} ms, until the reset"], 1,
                        "While open, the breaker answers at once with the fallback and never calls the hung service.")
        self.poster_time = self.time + 1.6
        self.tell(f"{p['fail_max']} in a row: it opens, and calls to {NAMES['B']} fail fast.", "breaker", trip + 1500,
                  4.0)
        self.tell("No call hangs any more, so the workers drain.", "breaker", trip + 4000, 3.2)

    def compare_beat(self) -> None:
        p, lanes = self.p, self.s["lanes"]
        self.clear_stage()
        series = {name: [(row["t_ms"] / 1000, row["pool_used"]) for row in self.s["series"][lane]]
                  for name, lane in (("no breaker", "no_breaker"), ("breaker", "breaker"))}
        chart = LineChart(series, x_range=(0, p["sim_ms"] / 1000), y_max=p["pool_size"] * 1.25, width=6.2, height=3.0,
                          colors={"no breaker": theme.FAILURE, "breaker": theme.SUCCESS},
                          x_label="simulated seconds", y_label=f"busy workers (of {p['pool_size']})",
                          x_ticks=[(x / 1000, f"{x / 1000:g} s") for x in p["outage_ms"]])
        MAIN.inset(0.3, 0.2).place(chart)
        lo, hi = (chart.point_at(x / 1000, 0) for x in p["outage_ms"])
        top = chart.point_at(0, chart.y_max)[1]
        band = Rectangle(width=hi[0] - lo[0], height=top - lo[1], stroke_width=0, fill_color=theme.MUTED,
                         fill_opacity=0.15).move_to([(lo[0] + hi[0]) / 2, (lo[1] + top) / 2, 0])
        band_tag = label(f"{NAMES['B']} down", font_size=theme.MIN_FONT_SIZE, color=theme.TEXT)
        band_tag.move_to(band.get_top() + DOWN * (band_tag.height / 2 + 0.1))
        ticks = chart.ticks
        rates = [lanes["no_breaker"]["c_success_rate_outage"] or 0.0, lanes["breaker"]["c_success_rate_outage"] or 0.0]
        bars = BarChart(["no breaker", "breaker"], [100 * r for r in rates], width=3.0, height=2.4, maximum=100,
                        colors=[theme.FAILURE, theme.SUCCESS])
        title = label(f"{NAMES['C']} success, outage (%)", font_size=theme.LABEL_SIZE, color=theme.MUTED)
        SIDE.place(VGroup(title, bars).arrange(DOWN, buff=0.4))
        self.caption("Failing fast keeps the workers free for everything else.")
        frame = VGroup(chart.axes, chart.axis_labels, band, band_tag, ticks)
        self.play(*self.set_heading("Side by side"), FadeIn(frame), run_time=0.6)
        self.play(*[Create(line) for line in chart.lines.values()], run_time=2.2)
        self.play(FadeIn(chart.end_labels), FadeIn(title), FadeIn(bars), run_time=0.6)
        self.caption(f"{NAMES['C']} succeeds {rates[0]:.0%} of the time without a breaker, {rates[1]:.0%} with one.")
        self.wait(4.0)
        self.clear_caption()
        self.clear_stage()

    def probe_beat(self) -> None:
        p, trials = self.p, self.hl["trials"]
        self.build_stage()
        breaker = self.build_breaker()
        trip = self.hl["trip_t_ms"]
        self.cut("breaker", trip + 3000, "Half-open: one trial call", lambda: self.add(self.stage, breaker))
        failed = [x for x in trials if x["ok"] is False]
        if not failed:
            self.tell(f"After {p['reset_timeout_ms'] / 1000:g} s open, one trial call may pass.", "breaker",
                      trip + p["reset_timeout_ms"] + 500, 4.0)
            return
        first = failed[0]
        self.tell(f"After {p['reset_timeout_ms'] / 1000:g} s open, one trial call may pass: half-open.", "breaker",
                  first["start_ms"] + 300, 4.6)
        self.tell(f"{NAMES['B']} still hangs: the trial times out and it opens again.", "breaker",
                  first["end_ms"] + 400, 4.2)
        if len(failed) > 1:
            self.tell(f"Every {p['reset_timeout_ms'] / 1000:g} s it tests the water with one call.", "breaker",
                      failed[-1]["end_ms"] + 400, 3.6)

    def recovery_beat(self) -> None:
        out_end, close = self.p["outage_ms"][1], self.hl["close_t_ms"]
        if close is None:
            self.tell(f"{NAMES['B']} never recovers in this run, so the breaker keeps probing.", "breaker",
                      self.p["sim_ms"], 6.0)
            return
        ok = next(x for x in self.hl["trials"] if x["ok"])
        self.play(*self.set_heading("Recovery"), run_time=0.5)
        self.tell(f"{NAMES['B']} comes back at {out_end / 1000:g} s.", "breaker", ok["start_ms"] - 150, 3.6)
        self.checkpoint(f"{NAMES['B']} answers again from {out_end / 1000:g} s. When does the breaker close?",
                        [f"at {out_end / 1000:g} s, right away", f"at {close / 1000:.1f} s, when a trial succeeds",
                         "only when someone resets it"], 1,
                        "Nothing tells the breaker that the service is back: the next trial call finds out.")
        self.tell("The next trial gets an answer: one success closes the circuit.", "breaker", close + 700, 4.4)
        self.tell("Calls flow again, and the failure count is back to zero.", "breaker", close + 2500, 3.4)

    def tradeoff_beat(self) -> None:
        p = self.p
        self.clear_stage()
        bars = BarChart(["timeout, no breaker", "fast fail, breaker open"], [p["call_timeout_ms"], self.fast_ms],
                        width=7.0, height=3.0, colors=[theme.FAILURE, theme.SUCCESS])
        title = label("what the caller waits (ms)", font_size=theme.LABEL_SIZE, color=theme.MUTED)
        note = label("plus a fallback answer", font_size=theme.MIN_FONT_SIZE, color=theme.SUCCESS)
        chart = VGroup(title, bars).arrange(DOWN, buff=0.4)
        layout.STAGE.place(chart)
        note.next_to(bars.value_labels[1], UP, buff=0.1)
        self.caption("A quick no with a fallback beats a slow no.")
        self.play(*self.set_heading("What callers see"), FadeIn(chart), FadeIn(note), run_time=0.6)
        self.wait(4.0)
        self.clear_caption()
        self.clear_stage()
        reset = f"{p['reset_timeout_ms'] / 1000:g} s"
        rows = [[f"failures to trip ({p['fail_max']})", "trips on a passing blip", "pool fills before it trips"],
                [f"reset timeout ({reset})", "hammers a sick service", "slow to notice recovery"]]
        table = TableWidget(["setting", "too low", "too high"], rows, font_size=theme.BODY_SIZE, row_height=0.85,
                            max_width=layout.STAGE.width)
        layout.STAGE.place(table)
        self.caption("Tune how much evidence it needs and how often it checks.")
        self.play(*self.set_heading("Tradeoffs"), FadeIn(table), run_time=0.6)
        self.wait(5.6)
        self.finish()
