"""Rate Limiting Algorithms: four limiters, one bursty stream (storyboard: rate-limiting.md)."""

from __future__ import annotations

from typing import Any

from manim import DOWN, LEFT, RIGHT, UP, Create, DashedLine, FadeIn, FadeOut, Line, Rectangle, ValueTracker, VGroup, linear

from scenes.kit import (
    BarChart,
    Counter,
    EventMarks,
    ExplainerScene,
    LevelGauge,
    LineChart,
    Meter,
    TableWidget,
    TimelineLane,
    WindowBracket,
    label,
    mark,
    mono,
    theme,
)

__all__ = ["RateLimitingScene"]

LIMITERS = ("token_bucket", "fixed_window", "sliding_log", "sliding_counter")
NAMES = {"token_bucket": "token bucket", "fixed_window": "fixed window", "sliding_log": "sliding log",
         "sliding_counter": "sliding counter"}
COLORS = {"token_bucket": theme.NODE, "fixed_window": theme.MESSAGE, "sliding_log": theme.SUCCESS,
          "sliding_counter": theme.ACCENT}
LANE_Y = {"arrivals": 2.35, "token_bucket": 1.3, "fixed_window": 0.25, "sliding_log": -0.8, "sliding_counter": -1.85}
LANE_X = (-3.3, 2.6)
PANEL_X = 4.6  #: centre of the widget panel right of the lanes


class RateLimitingScene(ExplainerScene):
    """Token bucket, fixed window, sliding log and sliding counter on the same arrivals."""

    def setup(self) -> None:
        p = self.trace["params"]
        self.tick_s, self.limit, self.window = p["tick_s"], p["limit"], p["window_s"]
        self.edge = p["edge_s"]
        self.steps = self.trace["steps"]
        self.requests = self.trace["requests"]
        self.summary = self.trace["summary"]
        self.outcome: dict[str, dict[int, str]] = {lim: {} for lim in LIMITERS}
        for step in self.steps:
            for lim in LIMITERS:
                for rid in step[lim]["admitted"]:
                    self.outcome[lim][rid] = "admitted"
                for rid in step[lim]["rejected"]:
                    self.outcome[lim][rid] = "rejected"
        self.stack: dict[int, int] = {}
        per_tick: dict[int, int] = {}
        for r in self.requests:
            self.stack[r["id"]] = per_tick.get(r["tick"], 0)
            per_tick[r["tick"]] = self.stack[r["id"]] + 1
        self.poster_time = 0.0

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
            lane = TimelineLane(title, t0=t0, t1=t1, y=LANE_Y[name], x_left=LANE_X[0], x_right=LANE_X[1],
                                tick_every=tick_every, tick_labels=name == which[-1])
            m = EventMarks(lane, self.events(name))
            if name in dim:
                lane.set_opacity(theme.DIM_OPACITY)
                m.set_mark_opacity()
            lanes[name], marks[name] = lane, m
        return lanes, marks

    def cursor(self, lane_top: TimelineLane, lane_bottom: TimelineLane, clock: ValueTracker) -> Line:
        def place(line: Line) -> None:
            x = lane_top.x_of(clock.get_value())
            line.put_start_and_end_on([x, lane_bottom.y - 0.2, 0], [x, lane_top.y + 0.75, 0])

        line = Line(stroke_color=theme.HIGHLIGHT, stroke_width=2.5)
        place(line)
        line.add_updater(place)
        return line

    def replay(self, clock: ValueTracker, t_end: float, seconds: float) -> None:
        self.play(clock.animate.set_value(t_end), run_time=seconds, rate_func=linear)

    def beat_view(self, title: str, t0: float, t1: float, focus: tuple[str, ...], tick_every: float = 4):
        """Heading, the five lanes over [t0, t1] (all but ``focus`` dimmed), a clock and a cursor."""
        which = ("arrivals", *LIMITERS)
        lanes, marks = self.lanes(t0, t1, which, dim=tuple(x for x in LIMITERS if x not in focus), tick_every=tick_every)
        clock = ValueTracker(t0)
        for m in marks.values():
            m.follow(clock)
        marks["arrivals"].clear_updaters()
        marks["arrivals"].reveal_until(t1)
        cursor = self.cursor(lanes["arrivals"], lanes["sliding_counter"], clock)
        view = VGroup(*lanes.values(), *marks.values(), cursor)
        self.set_heading(title)
        return lanes, marks, clock, VGroup(self._heading, view)

    # --- beats ------------------------------------------------------------------------
    def construct(self) -> None:
        self.chapter("A limit of 8 lets 16 through")
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
        lanes, marks = self.lanes(self.edge - 4, self.edge + 4, ("fixed_window",), tick_every=1)
        lane = lanes["fixed_window"]
        edge_line = lane.vertical_line(self.edge, height=1.2, color=theme.HIGHLIGHT)
        edge_text = label("window edge", font_size=theme.LABEL_SIZE, color=theme.HIGHLIGHT).next_to(edge_line, UP, buff=0.1)
        badge = mono(f"limit {self.limit} / {self.window:g} s", font_size=theme.BODY_SIZE, color=theme.HIGHLIGHT)
        badge.move_to([PANEL_X, 2.2, 0])
        counter = Counter("count in this window", 0, font_size=theme.HEADING_SIZE).move_to([PANEL_X, 0.9, 0])
        clock = ValueTracker(self.edge - 1.6)
        marks["fixed_window"].follow(clock)
        counter.add_updater(lambda c: c.set_value(self.step_at(clock.get_value())["fixed_window"]["count"]))
        self.reveal(lane, marks["fixed_window"], edge_line, edge_text, badge, counter)
        admitted = self.summary["fixed_window"]["edge_admitted"]
        self.caption(f"A limit of {self.limit} per {self.window:g} seconds...")
        self.replay(clock, self.edge + 1.2, 3.2)
        tag = label(f"{admitted} in 2 s", font_size=theme.TITLE_SIZE, color=theme.FAILURE, weight="BOLD")
        tag.move_to([PANEL_X, -0.8, 0])
        self.caption(f"...just let {admitted} through in 2 seconds.")
        self.play(FadeIn(tag, scale=1.3), run_time=0.5)
        self.wait(1.8)
        counter.clear_updaters()
        self.clear_caption()
        self.clear_stage()

    def setup_beat(self) -> None:
        duration = self.trace["params"]["duration_s"]
        lanes, marks = self.lanes(0, duration, ("arrivals", *LIMITERS), tick_every=8)
        for m in marks.values():
            m.reveal_until(-1)
        self.caption("Same bursty traffic, four limiters.")
        self.play(*self.set_heading("Same traffic, four rules"), FadeIn(lanes["arrivals"]), run_time=theme.FADE_S)
        clock = ValueTracker(0)
        marks["arrivals"].follow(clock)
        self.add(marks["arrivals"])
        self.replay(clock, duration, 2.4)
        marks["arrivals"].clear_updaters()
        limiter_lanes = [lanes[x] for x in LIMITERS]
        self.play(*[FadeIn(lane, shift=RIGHT * 0.6) for lane in limiter_lanes], run_time=1.2)
        legend = VGroup(*[
            VGroup(mark(kind), label(text, font_size=theme.LABEL_SIZE)).arrange(RIGHT, buff=0.15)
            for kind, text in (("admitted", "admitted"), ("rejected", "rejected"), ("pending", "arriving"))
        ]).arrange(DOWN, aligned_edge=LEFT, buff=0.35).move_to([PANEL_X, 0.3, 0])
        self.caption("Each limits 8 requests per 8 seconds.")
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
        lanes, marks, clock, view = self.beat_view("Token bucket", 0, 12, ("token_bucket",), tick_every=2)
        p = self.trace["params"]
        gauge = LevelGauge("tokens", p["bucket_capacity"], height=2.4).move_to([PANEL_X, 0.3, 0])
        gauge.add_updater(lambda g: g.set_level(self.step_at(clock.get_value())["token_bucket"]["tokens"]))
        self.reveal(view, gauge)
        self.caption(f"A bucket of {p['bucket_capacity']} tokens, refilled at {p['refill_per_s']:g} per second.")
        self.wait(3.2)
        self.caption("Every request spends one token.")
        self.replay(clock, 6.0, 4.0)
        self.caption("Empty bucket: the rest of the burst bounces.")
        self.wait(2.6)
        self.caption("Then the refill paces traffic to 1 per second.")
        self.replay(clock, 12.0, 3.4)
        self.poster_time = self.time - 1.0
        gauge.clear_updaters()
        self.clear_caption()
        self.clear_stage()

    def fixed_window_beat(self) -> None:
        lanes, marks, clock, view = self.beat_view("Fixed window", 0, 24, ("fixed_window",), tick_every=4)
        lane = lanes["fixed_window"]
        grid = VGroup(*[lane.vertical_line(t, height=1.0, color=theme.MESSAGE) for t in range(0, 25, int(self.window))])
        counter = Counter("count in this window", 0, font_size=theme.HEADING_SIZE).move_to([PANEL_X, 0.6, 0])
        limit_text = mono(f"limit {self.limit}", font_size=theme.LABEL_SIZE, color=theme.HIGHLIGHT).next_to(counter, DOWN, buff=0.3)
        counter.add_updater(lambda c: c.set_value(self.step_at(clock.get_value())["fixed_window"]["count"]))
        self.reveal(view, grid, counter, limit_text)
        self.caption("One counter per 8-second window.")
        self.replay(clock, 9.0, 3.6)
        self.caption("Full at 8: everything else waits for the edge.")
        self.replay(clock, 17.0, 3.4)
        self.caption("At each edge the count snaps back to zero.")
        self.replay(clock, 24.0, 3.2)
        counter.clear_updaters()
        self.clear_caption()
        self.clear_stage()

    def sliding_log_beat(self) -> None:
        lanes, marks, clock, view = self.beat_view("Sliding log", 0, 28, ("sliding_log",), tick_every=4)
        bracket = WindowBracket(lanes["sliding_log"], self.window).follow(clock)
        counter = Counter("timestamps in the log", 0, suffix=f" / {self.limit}", font_size=theme.HEADING_SIZE)
        counter.move_to([PANEL_X, 0.4, 0])
        counter.add_updater(lambda c: c.set_value(len(self.step_at(clock.get_value())["sliding_log"]["log"])))
        self.reveal(view, bracket, counter)
        self.caption("Keep a timestamp for every admitted request.")
        self.replay(clock, 9.0, 4.0)
        self.caption("Timestamps older than 8 s drop out.")
        self.replay(clock, 19.0, 4.0)
        self.caption("8 inside the window: reject. Exact, never 9.")
        self.replay(clock, 28.0, 3.6)
        self.caption("The price: one stored number per request.")
        self.wait(2.4)
        counter.clear_updaters()
        self.clear_caption()
        self.clear_stage()

    def sliding_counter_beat(self) -> None:
        t0 = self.edge - 8
        lanes, marks, clock, view = self.beat_view("Sliding-window counter", t0, self.edge + 4, ("sliding_counter",), tick_every=2)
        prev_c = Counter("previous", 0, font_size=theme.BODY_SIZE).move_to([PANEL_X - 0.8, 1.7, 0])
        cur_c = Counter("current", 0, font_size=theme.BODY_SIZE).move_to([PANEL_X + 0.8, 1.7, 0])
        weight = Counter("weight (time left)", 1, decimals=2, font_size=theme.BODY_SIZE).move_to([PANEL_X, 0.5, 0])
        meter = Meter("estimate", self.limit, maximum=self.limit * 1.5, width=3.0).move_to([PANEL_X, -1.0, 0])

        def update(_: Any) -> None:
            s = self.step_at(clock.get_value())["sliding_counter"]
            prev_c.set_value(s["prev_count"])
            cur_c.set_value(s["cur_count"])
            weight.set_value(s["weight"])
            meter.set_value(s["estimate"])

        widgets = VGroup(prev_c, cur_c, weight, meter)
        widgets.add_updater(update)
        self.reveal(view, widgets)
        self.caption("Two counts: this window and the previous one.")
        self.replay(clock, self.edge - 1.0, 3.6)
        self.caption("Estimate = previous × time left + current.")
        self.replay(clock, self.edge + 1.0, 4.0)
        self.caption("A cheap guess at what the log would say.")
        self.replay(clock, self.edge + 4.0, 3.0)
        widgets.clear_updaters()
        self.clear_caption()
        self.clear_stage()

    def edge_beat(self) -> None:
        lanes, marks, clock, view = self.beat_view("Head to head: the edge burst", self.edge - 3, self.edge + 3, LIMITERS, tick_every=1)
        edge_line = lanes["arrivals"].vertical_line(self.edge, height=1.0, color=theme.HIGHLIGHT)
        edge_ids = {r["id"] for r in self.requests if r["kind"] == "edge"}
        counters = {}
        for lim in LIMITERS:
            c = Counter("edge burst let through", 0, font_size=theme.BODY_SIZE, color=COLORS[lim])
            c.remove(c.caption)
            c.move_to([PANEL_X, LANE_Y[lim] + 0.25, 0])
            counters[lim] = c
        header = label("edge burst admitted", font_size=theme.LABEL_SIZE, color=theme.MUTED).move_to([PANEL_X, LANE_Y["arrivals"] + 0.25, 0])

        def count(lim: str) -> int:
            now = clock.get_value()
            return sum(1 for r in self.requests if r["id"] in edge_ids and r["t"] <= now + 1e-9
                       and self.outcome[lim][r["id"]] == "admitted")

        for lim, c in counters.items():
            c.add_updater(lambda m, lim=lim: m.set_value(count(lim)))
        self.reveal(view, edge_line, header, *counters.values())
        self.caption(f"The edge burst: {2 * self.trace['params']['edge_burst_each']} requests in 2 seconds.")
        self.replay(clock, self.edge + 2.0, 4.0)
        s = self.summary
        self.caption(f"Fixed {s['fixed_window']['edge_admitted']}, bucket {s['token_bucket']['edge_admitted']}, "
                     f"log {s['sliding_log']['edge_admitted']}, counter {s['sliding_counter']['edge_admitted']}.")
        self.wait(3.0)
        for c in counters.values():
            c.clear_updaters()
        self.clear_stage()
        chart = BarChart([NAMES[x] for x in LIMITERS], [s[x]["max_in_any_window"] for x in LIMITERS], width=7.5,
                         height=3.2, reference=self.limit, reference_label=f"limit {self.limit}",
                         colors=[COLORS[x] for x in LIMITERS]).move_to([0, -0.2, 0])
        title = label(f"Most admitted in any {self.window:g}-second window", font_size=theme.BODY_SIZE).next_to(chart, UP, buff=0.4)
        self.caption("Busiest 8-second window: only the log holds 8.")
        self.play(*self.set_heading("Head to head: worst window"), FadeIn(title), Create(chart.baseline),
                  *[FadeIn(b, shift=UP * 0.3) for b in chart.bars], FadeIn(chart.names), run_time=1.2)
        self.play(FadeIn(chart.value_labels), Create(chart.reference), run_time=0.8)
        self.wait(2.6)
        self.clear_caption()
        self.clear_stage()

    def overload_beat(self) -> None:
        p = self.trace["params"]
        start, end = p["overload_from_s"], p["duration_s"]
        series = {}
        base = self.step_at(start - self.tick_s)["totals"]
        for lim in LIMITERS:
            points = [(st["t"], st["totals"][lim][0] - base[lim][0]) for st in self.steps if start <= st["t"] <= end]
            series[NAMES[lim]] = points
        y_max = max(pts[-1][1] for pts in series.values()) + 2
        chart = LineChart(series, x_range=(start, end), y_max=y_max, width=7.0, height=3.6,
                          colors={NAMES[x]: COLORS[x] for x in LIMITERS},
                          x_label=f"seconds {start:g}–{end:g}: {p['overload_rate']:g} requests/s arrive",
                          y_label="admitted since overload began")
        chart.move_to([-0.3, -0.1, 0])
        pace = DashedLine(chart.to_point(start, 0), chart.to_point(end, (end - start) * self.limit / self.window),
                          stroke_color=theme.MUTED, stroke_width=2.5, dash_length=0.1).shift(chart.axes.get_corner(DOWN + LEFT))
        pace_label = label(f"{self.limit / self.window:g} per second", font_size=theme.MIN_FONT_SIZE, color=theme.MUTED)
        pace_label.next_to(pace.get_center(), DOWN + RIGHT, buff=0.15)
        self.caption("Sustained overload: 2.5 requests every second.")
        self.play(*self.set_heading("Head to head: sustained overload"), FadeIn(VGroup(chart.axes, chart.axis_labels)),
                  run_time=theme.FADE_S)
        self.play(*[Create(line) for line in chart.lines.values()], run_time=3.5, rate_func=linear)
        self.play(FadeIn(chart.end_labels), Create(pace), FadeIn(pace_label), run_time=0.8)
        self.caption("All four settle at the same 1 per second.")
        self.wait(3.0)
        self.clear_caption()
        self.clear_stage()

    def takeaway_beat(self) -> None:
        s = self.summary
        use = {"token_bucket": "bursty clients", "fixed_window": "cheapest, coarse quotas",
               "sliding_log": "strict quotas", "sliding_counter": "large scale, near-exact"}
        state = {"token_bucket": "2 numbers", "fixed_window": "2 numbers",
                 "sliding_log": f"{s['sliding_log']['state_numbers_max']} timestamps", "sliding_counter": "3 numbers"}
        rows = [[NAMES[x], str(s[x]["edge_admitted"]), str(s[x]["max_in_any_window"]), state[x], use[x]] for x in LIMITERS]
        table = TableWidget(["limiter", "edge burst", f"worst {self.window:g} s", "state held", "use when"], rows,
                            font_size=theme.BODY_SIZE + 2, row_height=0.85, max_width=12.6,
                            highlight={(1, 2): theme.FAILURE, (2, 2): theme.SUCCESS}).move_to([0, 0.2, 0])
        self.caption("Bucket for bursts, log for strict quotas.")
        self.play(*self.set_heading("Takeaway"), FadeIn(table), run_time=theme.FADE_S)
        self.wait(3.0)
        self.caption("Counter at scale; fixed window when cost rules.")
        self.wait(3.4)
        self.finish()
