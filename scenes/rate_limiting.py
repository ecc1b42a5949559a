"""Rate Limiting Algorithms: four limiters, one bursty stream.

Every number a caption states comes from the trace's params and summary, and
every replay is timed by the stream's segments (the burst, the window edge,
the overload) and by the first rejection each limiter makes, so another seed
or another limit tells the same story with its own numbers.
"""

from __future__ import annotations

from typing import Any

from manim import DOWN, RIGHT, UP, Create, DashedLine, FadeIn, ValueTracker, VGroup, linear

from scenes.kit import (BarChart, ClockCursor, Counter, EventMarks, ExplainerScene, Legend, LevelGauge, LineChart,
                        Meter, TableWidget, TimelineLane, WindowBracket, label, layout, mark, mono, theme)

__all__ = ["RateLimitingScene"]

LIMITERS = ("token_bucket", "fixed_window", "sliding_log", "sliding_counter")
NAMES = {"token_bucket": "token bucket", "fixed_window": "fixed window", "sliding_log": "sliding log",
         "sliding_counter": "sliding counter"}
SHORT = {"token_bucket": "bucket", "fixed_window": "fixed", "sliding_log": "log", "sliding_counter": "counter"}
COLORS = {"token_bucket": theme.NODE, "fixed_window": theme.MESSAGE, "sliding_log": theme.SUCCESS,
          "sliding_counter": theme.ACCENT}
LANE_ORDER = ("arrivals", *LIMITERS)
#: one band of the main stage per lane; the axis sits low in its band, marks stack above it
LANE_ROWS = dict(zip(LANE_ORDER, layout.MAIN.rows(len(LANE_ORDER))))
NAME_WIDTH = 2.6
PANEL = layout.SIDE_PANEL


def lane_y(name: str) -> float:
    """The lane's axis: low in its band, with room for the tick labels under it above the caption band."""
    return LANE_ROWS[name].bottom + 0.45


class RateLimitingScene(ExplainerScene):
    """Token bucket, fixed window, sliding log and sliding counter on the same arrivals."""

    def setup(self) -> None:
        p, s = self.trace["params"], self.trace["summary"]
        self.p, self.summary = p, s
        self.tick_s, self.limit, self.window = p["tick_s"], p["limit"], p["window_s"]
        self.edge = p["edge_s"]
        self.steps = self.trace["steps"]
        self.requests = self.trace["requests"]
        self.segments = self.trace["segments"]
        self.outcome: dict[str, dict[int, str]] = {lim: {} for lim in LIMITERS}
        self.first_reject: dict[str, float | None] = {lim: None for lim in LIMITERS}
        for step in self.steps:
            for lim in LIMITERS:
                for rid in step[lim]["admitted"]:
                    self.outcome[lim][rid] = "admitted"
                for rid in step[lim]["rejected"]:
                    self.outcome[lim][rid] = "rejected"
                if step[lim]["rejected"] and self.first_reject[lim] is None:
                    self.first_reject[lim] = step["t"]
        self.stack: dict[int, int] = {}
        per_tick: dict[int, int] = {}
        for r in self.requests:
            self.stack[r["id"]] = per_tick.get(r["tick"], 0)
            per_tick[r["tick"]] = self.stack[r["id"]] + 1

    # --- helpers over the trace -----------------------------------------------------
    def step_at(self, t: float) -> dict[str, Any]:
        index = int(t / self.tick_s + 1e-9)
        return self.steps[max(0, min(index, len(self.steps) - 1))]

    def events(self, lane: str) -> list[tuple[float, str, int]]:
        if lane == "arrivals":
            return [(r["t"], "pending", self.stack[r["id"]]) for r in self.requests]
        return [(r["t"], self.outcome[lane][r["id"]], self.stack[r["id"]]) for r in self.requests]

    def lanes(self, t0: float, t1: float, which: tuple[str, ...], dim: tuple[str, ...] = (), tick_every: float = 4):
        """Build lanes over [t0, t1] with their marks; dimmed lanes show faint marks."""
        lanes, marks = {}, {}
        for name in which:
            title = "arrivals" if name == "arrivals" else NAMES[name]
            row = LANE_ROWS[name]
            lane = TimelineLane(title, t0=t0, t1=t1, y=lane_y(name), x_left=row.left + NAME_WIDTH + 0.4,
                                x_right=row.right, name_width=NAME_WIDTH, tick_every=tick_every,
                                tick_labels=name == which[-1])
            m = EventMarks(lane, self.events(name))
            if name in dim:
                lane.set_opacity(theme.DIM_OPACITY)
                m.set_mark_opacity()
            lanes[name], marks[name] = lane, m
        return lanes, marks

    def beat_view(self, title: str, t0: float, t1: float, focus: tuple[str, ...], tick_every: float = 4):
        """The five lanes over [t0, t1] (all but ``focus`` dimmed), a clock and a cursor; the view and heading
        are revealed by the caller (``reveal(..., heading=title)``)."""
        lanes, marks = self.lanes(t0, t1, LANE_ORDER, dim=tuple(x for x in LIMITERS if x not in focus),
                                  tick_every=tick_every)
        clock = ValueTracker(t0)
        for name, m in marks.items():
            if name != "arrivals":
                m.follow(clock)
        top, bottom = lanes["arrivals"], lanes["sliding_counter"]
        cursor = ClockCursor(top.x_of, bottom=bottom.y - 0.2, top=top.y + 0.75).follow(clock)
        return lanes, marks, clock, VGroup(*lanes.values(), *marks.values(), cursor)

    def window_text(self) -> str:
        return f"{self.window:g} seconds"

    # --- beats ------------------------------------------------------------------------
    def construct(self) -> None:
        self.chapter(f"A limit of {self.limit} lets {self.summary['fixed_window']['edge_admitted']} through")
        self.show_title_card(3.2)
        self.hook()
        self.setup_beat()
        self.chapter("Token bucket")
        self.token_bucket_beat()
        self.chapter("Fixed window")
        self.fixed_window_beat()
        self.chapter("Sliding log")
        self.sliding_log_beat()
        self.chapter("Sliding-window counter")
        self.sliding_counter_beat()
        self.chapter("Head to head")
        self.edge_beat()
        self.overload_beat()
        self.takeaway_beat()

    def hook(self) -> None:
        start, end = self.segments["edge"]
        lanes, marks = self.lanes(start - 3, end + 3, ("fixed_window",), tick_every=1)
        lane = lanes["fixed_window"]
        edge_line = lane.vertical_line(self.edge, height=1.2, color=theme.HIGHLIGHT)
        edge_text = label("window edge", color=theme.HIGHLIGHT).next_to(edge_line, UP, buff=0.1)
        badge = mono(f"limit {self.limit} / {self.window:g} s", font_size=theme.BODY_SIZE, color=theme.HIGHLIGHT)
        badge.move_to(PANEL.point(0.5, 0.85))
        counter = Counter("count in this window", 0, font_size=theme.HEADING_SIZE).move_to(PANEL.point(0.5, 0.6))
        clock = ValueTracker(start - 0.6)
        marks["fixed_window"].follow(clock)
        counter.add_updater(lambda c: c.set_value(self.step_at(clock.get_value())["fixed_window"]["count"]))
        self.reveal(lane, marks["fixed_window"], edge_line, edge_text, badge, counter)
        admitted, span = self.summary["fixed_window"]["edge_admitted"], self.summary["edge_span_s"]
        self.caption(f"A limit of {self.limit} per {self.window_text()}...")
        self.advance(clock, end + 0.2, 3.2)
        tag = label(f"{admitted} in {span} s", font_size=theme.TITLE_SIZE, color=theme.FAILURE, weight="BOLD")
        tag.move_to(PANEL.point(0.5, 0.3))
        self.caption(f"...just let {admitted} through in {span} seconds.")
        self.play(FadeIn(tag, scale=1.3), run_time=0.5)
        self.wait(1.8)
        counter.clear_updaters()
        self.clear_caption()
        self.clear_stage()

    def setup_beat(self) -> None:
        duration = self.p["duration_s"]
        lanes, marks = self.lanes(0, duration, LANE_ORDER, tick_every=8)
        for m in marks.values():
            m.reveal_until(-1)
        self.caption("Same bursty traffic, four limiters.")
        self.play(*self.set_heading("Same traffic, four rules"), FadeIn(lanes["arrivals"]), run_time=theme.FADE_S)
        clock = ValueTracker(0)
        marks["arrivals"].follow(clock)
        self.add(marks["arrivals"])
        self.advance(clock, duration, 2.4)
        marks["arrivals"].clear_updaters()
        self.play(*[FadeIn(lanes[x], shift=RIGHT * 0.6) for x in LIMITERS], run_time=1.2)
        legend = Legend([(mark(kind), text) for kind, text in
                         (("admitted", "admitted"), ("rejected", "rejected"), ("pending", "arriving"))],
                        font_size=theme.LABEL_SIZE, buff=0.35)
        PANEL.place(legend)
        p = self.p
        bucket_alike = p["bucket_capacity"] == self.limit and p["refill_per_s"] * p["window_s"] == self.limit
        self.caption(f"Each allows {self.limit} requests per {self.window_text()}." if bucket_alike else  # the
                     f"The three windows allow {self.limit} per {self.window_text()}.")  # bucket has its own size

        self.play(FadeIn(legend), run_time=theme.FADE_S)
        self.wait(2.2)
        self.caption("Filled dot: let through. Cross: rejected.")
        for lim in LIMITERS:
            marks[lim].reveal_until(duration)
        self.play(*[FadeIn(marks[lim]) for lim in LIMITERS], run_time=1.0)
        self.wait(2.0)
        self.clear_caption()
        self.clear_stage()

    def token_bucket_beat(self) -> None:
        burst_start, burst_end = self.segments["burst"]
        end = burst_end + 7
        lanes, marks, clock, view = self.beat_view("Token bucket", 0, end, ("token_bucket",), tick_every=2)
        capacity, refill = self.p["bucket_capacity"], self.p["refill_per_s"]
        gauge = LevelGauge("tokens", capacity, height=2.4).place(PANEL.center)
        gauge.add_updater(lambda g: g.set_level(self.step_at(clock.get_value())["token_bucket"]["tokens"]))
        self.reveal(view, gauge, heading="Token bucket")
        self.caption(f"A bucket of {capacity} tokens, refilled at {refill:g} per second.")
        self.wait(3.2)
        empty = self.first_reject["token_bucket"]
        bounced = empty is not None and empty < burst_end
        self.caption("Every request spends one token.")
        self.advance(clock, (empty + 0.5) if bounced else burst_end + 0.5, 4.0)
        self.caption("Empty bucket: the rest of the burst bounces." if bounced
                     else "The burst fits: the bucket had tokens to spare.")
        self.wait(2.6)
        self.caption(f"Then the refill paces traffic to {refill:g} per second.")
        self.advance(clock, end, 3.4)
        self.poster_time = self.time - 1.0
        gauge.clear_updaters()
        self.clear_caption()
        self.clear_stage()

    def fixed_window_beat(self) -> None:
        lanes, marks, clock, view = self.beat_view("Fixed window", 0, self.edge, ("fixed_window",), tick_every=4)
        lane = lanes["fixed_window"]
        grid = VGroup(*[lane.vertical_line(t, height=1.0, color=theme.MESSAGE) for t in self.trace["windows"]
                        if t <= self.edge])
        counter = Counter("count in this window", 0, font_size=theme.HEADING_SIZE).move_to(PANEL.point(0.5, 0.6))
        limit_text = mono(f"limit {self.limit}", color=theme.HIGHLIGHT).next_to(counter, DOWN, buff=0.3)
        counter.add_updater(lambda c: c.set_value(self.step_at(clock.get_value())["fixed_window"]["count"]))
        self.reveal(view, grid, counter, limit_text, heading="Fixed window")
        full = self.first_reject["fixed_window"]
        full = full if full is not None and full < self.edge else self.edge / 2
        next_edge = min(w for w in [*self.trace["windows"], self.edge] if w > full)
        self.caption(f"One counter per {self.window:g}-second window.")
        self.advance(clock, full, 3.6)
        self.checkpoint(f"The counter reads {self.limit}, the limit. What happens to the next request?",
                        ["it is let through", "it is rejected", "it waits for the next window"], 1,
                        "A fixed window rejects until its counter resets at the next window edge; nothing queues.")
        self.caption(f"Full at {self.limit}: everything else waits for the edge.")
        self.advance(clock, min(next_edge + 0.5, self.edge), 3.4)
        self.caption("At each edge the count snaps back to zero.")
        self.advance(clock, self.edge, 3.2)
        counter.clear_updaters()
        self.clear_caption()
        self.clear_stage()

    def sliding_log_beat(self) -> None:
        end = self.edge + 4
        lanes, marks, clock, view = self.beat_view("Sliding log", 0, end, ("sliding_log",), tick_every=4)
        bracket = WindowBracket(lanes["sliding_log"], self.window).follow(clock)
        counter = Counter("timestamps in the log", 0, suffix=f" / {self.limit}", font_size=theme.HEADING_SIZE)
        counter.move_to(PANEL.point(0.5, 0.6))
        counter.add_updater(lambda c: c.set_value(len(self.step_at(clock.get_value())["sliding_log"]["log"])))
        self.reveal(view, bracket, counter, heading="Sliding log")
        first = self.first_reject["sliding_log"]
        first = first if first is not None and first + self.window + 2 < end else end / 3
        self.caption("Keep a timestamp for every admitted request.")
        self.advance(clock, max(first - 0.3, 0.5), 4.0)
        self.caption(f"A full log of {self.limit} rejects the next request: exact.")
        self.advance(clock, first + 1.0, 3.6)
        self.caption(f"Timestamps older than {self.window:g} s drop out.")
        self.advance(clock, first + self.window + 1.5, 4.0)
        self.caption("The price: one stored number per request.")
        self.advance(clock, end, 3.0)
        counter.clear_updaters()
        self.clear_caption()
        self.clear_stage()

    def sliding_counter_beat(self) -> None:
        t0 = self.edge - self.window
        lanes, marks, clock, view = self.beat_view("Sliding-window counter", t0, self.edge + 4,
                                                   ("sliding_counter",), tick_every=2)
        prev_c = Counter("previous", 0, font_size=theme.BODY_SIZE).move_to(PANEL.point(0.28, 0.8))
        cur_c = Counter("current", 0, font_size=theme.BODY_SIZE).move_to(PANEL.point(0.72, 0.8))
        weight = Counter("weight (time left)", 1, decimals=2, font_size=theme.BODY_SIZE).move_to(PANEL.point(0.5, 0.55))
        meter = Meter("estimate", self.limit, maximum=self.limit * 1.5, width=3.0, decimals=2)
        meter.move_to(PANEL.point(0.5, 0.25))

        def update(_: Any) -> None:
            s = self.step_at(clock.get_value())["sliding_counter"]
            prev_c.set_value(s["prev_count"])
            cur_c.set_value(s["cur_count"])
            weight.set_value(s["weight"])
            meter.set_value(s["estimate"])

        widgets = VGroup(prev_c, cur_c, weight, meter)
        widgets.add_updater(update)
        self.reveal(view, widgets, heading="Sliding-window counter")
        self.caption("Two counts: this window and the previous one.")
        self.advance(clock, self.edge - 1.0, 3.6)
        self.caption("Estimate = previous × time left + current.")
        self.advance(clock, self.edge + 1.0, 4.0)
        self.caption("A cheap guess at what the log would say.")
        self.advance(clock, self.edge + 4.0, 3.0)
        widgets.clear_updaters()
        self.clear_caption()
        self.clear_stage()

    def edge_beat(self) -> None:
        start, end = self.segments["edge"]
        lanes, marks, clock, view = self.beat_view("Head to head: the edge burst", start - 2, end + 2, LIMITERS,
                                                   tick_every=1)
        edge_line = lanes["arrivals"].vertical_line(self.edge, height=1.0, color=theme.HIGHLIGHT)
        edge_ids = {r["id"] for r in self.requests if r["kind"] == "edge"}
        counters = {}
        for lim in LIMITERS:
            c = Counter("", 0, font_size=theme.BODY_SIZE, color=COLORS[lim])
            c.remove(c.caption)
            c.move_to([PANEL.center[0], lane_y(lim) + 0.25, 0])
            counters[lim] = c
        header = label("edge burst admitted", color=theme.MUTED).move_to([PANEL.center[0], lane_y("arrivals") + 0.25, 0])

        def count(lim: str) -> int:
            now = clock.get_value()
            return sum(1 for r in self.requests if r["id"] in edge_ids and r["t"] <= now + 1e-9
                       and self.outcome[lim][r["id"]] == "admitted")

        for lim, c in counters.items():
            c.add_updater(lambda m, lim=lim: m.set_value(count(lim)))
        self.reveal(view, edge_line, header, *counters.values(), heading="Head to head: the edge burst")
        s = self.summary
        self.caption(f"The edge burst: {s['edge_total']} requests in {s['edge_span_s']} seconds.")
        self.advance(clock, end, 4.0)
        self.caption(", ".join(f"{SHORT[x].capitalize() if i == 0 else SHORT[x]} {s[x]['edge_admitted']}"
                               for i, x in enumerate(LIMITERS)) + ".")
        self.wait(3.0)
        for c in counters.values():
            c.clear_updaters()
        self.clear_stage()
        chart = BarChart([NAMES[x] for x in LIMITERS], [s[x]["max_in_any_window"] for x in LIMITERS], width=7.5,
                         height=3.2, reference=self.limit, reference_label=f"limit {self.limit}",
                         colors=[COLORS[x] for x in LIMITERS])
        title = label(f"Most admitted in any {self.window:g}-second window", font_size=theme.BODY_SIZE)
        layout.STAGE.inset(0.3, 0.2).place(VGroup(title, chart).arrange(DOWN, buff=0.5))
        self.worst_window_checkpoint()
        holding = [SHORT[x] for x in LIMITERS if s[x]["max_in_any_window"] <= self.limit]
        held = ("only the " + holding[0] if len(holding) == 1 else " and ".join(holding) if holding else "none")
        self.caption(f"Busiest {self.window:g}-second window: {held} holds {self.limit}."
                     if holding else f"Busiest {self.window:g}-second window: all go over {self.limit}.")
        self.play(*self.set_heading("Head to head: worst window"), FadeIn(title), Create(chart.baseline),
                  *[FadeIn(b, shift=UP * 0.3) for b in chart.bars], FadeIn(chart.names), run_time=1.2)
        self.play(FadeIn(chart.value_labels), Create(chart.reference), run_time=0.8)
        self.wait(2.6)
        self.clear_caption()
        self.clear_stage()

    def worst_window_checkpoint(self) -> None:
        """Before the bar chart: which limiter keeps every window under the limit (or, if not exactly one
        does, how many the fixed window let through in its busiest window)."""
        s, window = self.summary, f"{self.window:g}-second"
        holders = [x for x in LIMITERS if s[x]["max_in_any_window"] <= self.limit]
        if len(holders) == 1:
            self.checkpoint(f"Which limiter never lets more than {self.limit} through in any {window} window?",
                            [NAMES[x] for x in LIMITERS], LIMITERS.index(holders[0]),
                            f"The {NAMES[holders[0]]} counts every request in the last {self.window:g} s, "
                            f"so no window can hold more than {self.limit}.")
            return
        most = s["fixed_window"]["max_in_any_window"]
        choices = list(dict.fromkeys([str(self.limit), str(most), str(2 * self.limit)]))
        self.checkpoint(f"In its busiest {window} window, how many did the fixed window let through?", choices,
                        choices.index(str(most)), "Two full windows meet at an edge: up to twice the limit.")

    def overload_beat(self) -> None:
        start, end = self.segments["overload"]
        series = {}
        base = self.step_at(start - self.tick_s)["totals"]
        for lim in LIMITERS:
            points = [(st["t"], st["totals"][lim][0] - base[lim][0]) for st in self.steps if start <= st["t"] <= end]
            series[NAMES[lim]] = points
        y_max = max(pts[-1][1] for pts in series.values()) + 2
        rate = self.summary["rate_per_s"]
        chart = LineChart(series, x_range=(start, end), y_max=y_max, width=7.0, height=3.6,
                          colors={NAMES[x]: COLORS[x] for x in LIMITERS},
                          x_label=f"seconds {start:g}–{end:g}: {self.p['overload_rate']:g} requests/s arrive",
                          y_label="admitted since overload began")
        layout.STAGE.inset(1.2, 0.4).place(chart)
        pace = DashedLine(chart.point_at(start, 0), chart.point_at(end, (end - start) * rate),
                          stroke_color=theme.MUTED, stroke_width=2.5, dash_length=0.1)
        pace_label = label(f"{rate:g} per second", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
        pace_label.next_to(pace.get_center(), DOWN + RIGHT, buff=0.15)
        self.caption(f"Sustained overload: {self.p['overload_rate']:g} requests every second.")
        self.play(*self.set_heading("Head to head: sustained overload"), FadeIn(VGroup(chart.axes, chart.axis_labels)),
                  run_time=theme.FADE_S)
        self.play(*[Create(line) for line in chart.lines.values()], run_time=3.5, rate_func=linear)
        self.play(FadeIn(chart.end_labels), Create(pace), FadeIn(pace_label), run_time=0.8)
        self.caption(f"All four settle at the same {rate:g} per second.")
        self.wait(3.0)
        self.clear_caption()
        self.clear_stage()

    def takeaway_beat(self) -> None:
        s = self.summary
        use = {"token_bucket": "bursty clients", "fixed_window": "cheapest, coarse quotas",
               "sliding_log": "strict quotas", "sliding_counter": "large scale, near-exact"}
        state = {x: f"{s[x]['state_numbers_max']} " + ("timestamps" if x == "sliding_log" else "numbers")
                 for x in LIMITERS}
        rows = [[NAMES[x], str(s[x]["edge_admitted"]), str(s[x]["max_in_any_window"]), state[x], use[x]]
                for x in LIMITERS]
        worst = {(i, 2): theme.FAILURE if s[x]["max_in_any_window"] > self.limit else theme.SUCCESS
                 for i, x in enumerate(LIMITERS)}
        table = TableWidget(["limiter", "edge burst", f"worst {self.window:g} s", "state held", "use when"], rows,
                            font_size=theme.BODY_SIZE + 2, row_height=0.85, max_width=layout.STAGE.width,
                            highlight=worst)
        layout.STAGE.place(table)
        self.caption("Bucket for bursts, log for strict quotas.")
        self.play(*self.set_heading("Takeaway"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(3.0)
        self.caption("Counter at scale; fixed window when cost rules.")
        self.wait(3.4)
        self.finish()
