"""Rate limiting: four limiters with the same long-run rate see one bursty, seeded stream.

Model
-----
One client stream, built from seeded segments (background arrivals, a one-second
burst, a burst straddling a window edge, sustained overload), goes through four
independent limiters that all allow ``limit`` requests per ``window_s`` seconds:
a token bucket (capacity ``bucket_capacity``, refilled at ``refill_per_s``), a
fixed window counter, a sliding log of admitted timestamps, and a sliding-window
counter that weights the previous window by the time it still covers. Time runs
in integer ticks of ``tick_s`` (a whole number of ticks per second); the window
limiters decide in exact integer ticks, the token bucket keeps a float level.
Each limiter advances through one small pure transition function per tick
(``*_tick``); a rejected request changes no state.

Invariants
----------
1. Every request is admitted or rejected exactly once per limiter, at its tick; totals are running sums.
2. The bucket stays within [0, capacity] and spends one token per admit.
3. A bucket admits at most capacity + refill * span in any span of time.
4. A fixed window admits at most limit per aligned window, and at most twice that in any window-long interval.
5. The sliding log admits at most limit in any closed window-long interval.
6. The sliding counter admits only while its estimate is below the limit, and at most limit per aligned window.
7. Over long intervals every limiter stays under its long-run ceiling.
8. Same seed and params give the same bytes; changing only limiter params leaves the stream unchanged.

Leaves out
----------
One client and one limiter process with a perfect clock: no distributed counters shared
between servers, no clock skew, no network delay between the client and the limiter. Rejected
requests are dropped, never queued or retried, and the token bucket is not a leaky bucket that
smooths traffic. Arrivals are snapped to an eighth of a second.

Trace
-----
``requests`` (id, tick, t, kind), ``windows`` (window starts), ``segments`` (time span
of each stream segment) and ``limiters`` (lane order) as extras; one step per tick
(``event`` "arrivals" or "idle") with every limiter's state and its admitted and
rejected ids; ``summary.<limiter>`` holds admitted, rejected, ``max_in_any_window``
(and its window, ``max_window_t``), ``edge_admitted``, ``burst_admitted`` and
``state_numbers_max``; ``summary.edge_total`` and ``summary.edge_span_s`` describe the
edge burst the captions quote.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = [
    "ALTERNATE_PARAMS", "ID", "LIMITERS", "MAX_TICKS", "PARAMS", "BucketState", "FixedWindowState",
    "SlidingLogState", "SlidingCounterState", "check_params", "ticks_per_s",
    "build_requests", "token_bucket_tick", "fixed_window_tick", "sliding_log_tick",
    "sliding_counter_tick", "run_limiters", "max_in_window", "summarize", "simulate",
]

ID = "rate-limiting"
LIMITERS = ("token_bucket", "fixed_window", "sliding_log", "sliding_counter")
#: Upper bound on ``duration_s / tick_s``, so that every valid run stays fast.
MAX_TICKS = 3_840

PARAMS: tuple[Param, ...] = (
    Param("limit", int, 8, 1, 64, "L: requests admitted per window"),
    Param("window_s", int, 8, 1, 60, "W: window length in whole seconds"),
    Param("bucket_capacity", int, 8, 1, 64, "B: token bucket capacity"),
    Param("refill_per_s", float, 1.0, 0.0, 64.0, "r: tokens added per second"),
    Param("tick_s", float, 0.125, 0.015625, 1.0, "tick length; 1/tick_s must be a whole number"),
    Param("duration_s", int, 48, 1, 600, "simulated seconds"),
    Param("background_rate", float, 0.5, 0.0, 5.0, "background Poisson rate (req/s)"),
    Param("burst_at_s", float, 4.0, 0.0, 599.0, "start of the one-second burst"),
    Param("burst_size", int, 12, 0, 200, "requests in the burst"),
    Param("edge_s", int, 24, 1, 598, "window edge the edge burst straddles"),
    Param("edge_burst_each", int, 8, 0, 200, "edge-burst requests on each side of the edge"),
    Param("overload_from_s", int, 32, 0, 600, "start of sustained overload"),
    Param("overload_rate", float, 2.5, 0.0, 10.0, "overload Poisson rate (req/s)"),
)


#: A second story: another limit and window (with a bucket and bursts to match), for the shared tests.
ALTERNATE_PARAMS: dict[str, Any] = {"limit": 5, "window_s": 4, "bucket_capacity": 6, "refill_per_s": 1.5,
                                    "edge_burst_each": 6, "burst_size": 10, "overload_rate": 3.0}


def ticks_per_s(tick_s: float) -> int:
    """Whole number of ticks per second for a valid ``tick_s``."""
    return round(1.0 / tick_s)


def _on_grid(seconds: float, n: int) -> bool:
    """Is ``seconds`` a whole number of ``1/n`` ticks (to float tolerance)?"""
    return abs(seconds * n - round(seconds * n)) <= 1e-9 * max(1.0, abs(seconds * n))


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks: tick grid, edge alignment, segments inside the run."""
    tick_s, w, edge, dur = p["tick_s"], p["window_s"], p["edge_s"], p["duration_s"]
    if not _on_grid(1.0 / tick_s, 1):
        raise ParamError("tick_s", f"must divide one second evenly (1/tick_s whole), got {tick_s!r}")
    n = ticks_per_s(tick_s)
    if dur * n > MAX_TICKS:
        raise ParamError("duration_s", f"{dur} s at {tick_s} s per tick exceeds {MAX_TICKS} ticks")
    if edge % w != 0 or edge < w:
        raise ParamError("edge_s", f"must be a positive multiple of window_s={w}, got {edge}")
    if p["overload_from_s"] < edge + 2:
        raise ParamError("overload_from_s", f"must be >= edge_s + 2 = {edge + 2} (quiet zone)")
    if p["overload_from_s"] > dur:
        raise ParamError("overload_from_s", f"must be <= duration_s={dur}")
    burst = p["burst_at_s"]
    if not _on_grid(burst, n):
        raise ParamError("burst_at_s", f"must lie on the {tick_s} s tick grid, got {burst!r}")
    if burst + 1 > dur:
        raise ParamError("burst_at_s", f"burst [{burst}, {burst + 1}) must end by duration_s={dur}")
    if burst < edge + 2 and burst + 1 > edge - w:
        raise ParamError("burst_at_s", f"burst must not overlap the quiet zone [{edge - w}, {edge + 2})")


def build_requests(rng: np.random.Generator, p: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The client stream, sorted by (tick, id); the seed moves arrival ticks only."""
    n, w, edge = ticks_per_s(p["tick_s"]), p["window_s"], p["edge_s"]
    over, dur = p["overload_from_s"], p["duration_s"]
    background = rng.integers(0, over * n, size=rng.poisson(p["background_rate"] * over))
    background = background[(background < (edge - w) * n) | (background >= (edge + 2) * n)]
    start = round(p["burst_at_s"] * n)
    burst = rng.integers(start, start + n, size=p["burst_size"])
    each = p["edge_burst_each"]
    edge_ticks = np.concatenate(
        [rng.integers((edge - 1) * n, edge * n, size=each), rng.integers(edge * n, (edge + 1) * n, size=each)]
    )
    overload = (
        rng.integers(over * n, dur * n, size=rng.poisson(p["overload_rate"] * (dur - over)))
        if dur > over else np.zeros(0, int)
    )
    parts = (("background", background), ("burst", burst), ("edge", edge_ticks), ("overload", overload))
    ticks = np.concatenate([np.asarray(a, dtype=np.int64) for _, a in parts]).tolist()
    kinds = [kind for kind, a in parts for _ in range(len(a))]
    order = sorted(range(len(ticks)), key=ticks.__getitem__)
    return [{"id": i, "tick": ticks[j], "t": ticks[j] / n, "kind": kinds[j]} for i, j in enumerate(order)]


class BucketState(NamedTuple):
    tokens: float


class FixedWindowState(NamedTuple):
    window: int
    count: int


class SlidingLogState(NamedTuple):
    ticks: tuple[int, ...]
    times: tuple[float, ...]


class SlidingCounterState(NamedTuple):
    window: int
    prev_count: int
    cur_count: int


Record = dict[str, Any]


def token_bucket_tick(
    state: BucketState, arrivals: list[int], *, capacity: float, refill: float
) -> tuple[BucketState, Record]:
    """Refill by ``refill`` (capped at ``capacity``), then admit while tokens >= 1."""
    before = float(min(float(capacity), state.tokens + refill))
    k = min(len(arrivals), math.floor(before))
    tokens = before - k
    record = {"tokens_before": before, "tokens": tokens,
              "admitted": arrivals[:k], "rejected": arrivals[k:]}
    return BucketState(tokens), record


def fixed_window_tick(
    state: FixedWindowState, tick: int, arrivals: list[int], *, limit: int, window_ticks: int
) -> tuple[FixedWindowState, Record]:
    """Reset the counter at each aligned window start; admit while count < limit."""
    window = tick // window_ticks
    count = state.count if window == state.window else 0
    k = min(len(arrivals), max(0, limit - count))
    count += k
    record = {"window": window, "count": count, "admitted": arrivals[:k], "rejected": arrivals[k:]}
    return FixedWindowState(window, count), record


def sliding_log_tick(
    state: SlidingLogState, tick: int, t: float, arrivals: list[int], *, limit: int, window_ticks: int
) -> tuple[SlidingLogState, Record]:
    """Drop entries older than ``t - W`` (an entry at exactly ``t - W`` counts); admit while < limit."""
    gone = bisect_left(state.ticks, tick - window_ticks)
    ticks, times = state.ticks[gone:], state.times[gone:]
    k = min(len(arrivals), max(0, limit - len(ticks)))
    ticks, times = ticks + (tick,) * k, times + (t,) * k
    record = {"log": list(times), "admitted": arrivals[:k], "rejected": arrivals[k:]}
    return SlidingLogState(ticks, times), record


def sliding_counter_tick(
    state: SlidingCounterState, tick: int, arrivals: list[int], *, limit: int, window_ticks: int
) -> tuple[SlidingCounterState, Record]:
    """Weight the previous window by its share still inside ``[t - W, t]``; admit while estimate < limit.

    Decisions compare ``prev*(W - elapsed) + cur*W < limit*W`` in integer ticks (exact);
    ``weight`` and ``estimate`` are the correctly rounded floats of those exact values.
    """
    window = tick // window_ticks
    prev, cur = state.prev_count, state.cur_count
    if window != state.window:
        prev, cur = (cur if window == state.window + 1 else 0), 0
    left = window_ticks - (tick - window * window_ticks)
    before = (prev * left + cur * window_ticks) / window_ticks
    k = 0
    while k < len(arrivals) and prev * left + (cur + k) * window_ticks < limit * window_ticks:
        k += 1
    cur += k
    record = {"window": window, "prev_count": prev, "cur_count": cur, "weight": left / window_ticks,
              "estimate_before": before, "estimate": (prev * left + cur * window_ticks) / window_ticks,
              "admitted": arrivals[:k], "rejected": arrivals[k:]}
    return SlidingCounterState(window, prev, cur), record


def run_limiters(requests: Sequence[Mapping[str, Any]], p: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Feed one stream to all four limiters; one step per tick, idle ticks included.

    ``requests`` are ``{id, tick, ...}`` mappings; within a tick they arrive in id order.
    ``p`` must be a full, checked parameter set (see :func:`resolve_params`).
    """
    n = ticks_per_s(p["tick_s"])
    total, window_ticks, limit = p["duration_s"] * n, p["window_s"] * n, p["limit"]
    by_tick: list[list[int]] = [[] for _ in range(total)]
    for req in sorted(requests, key=lambda r: (r["tick"], r["id"])):
        if not 0 <= req["tick"] < total:
            raise ValueError(f"request {req['id']} at tick {req['tick']} is outside [0, {total})")
        by_tick[req["tick"]].append(req["id"])
    bucket, fixed = BucketState(float(p["bucket_capacity"])), FixedWindowState(0, 0)
    log, counter = SlidingLogState((), ()), SlidingCounterState(0, 0, 0)
    refill = p["refill_per_s"] / n  # r * tick_s, with tick_s exactly 1/n
    sums = {name: [0, 0] for name in LIMITERS}
    steps: list[dict[str, Any]] = []
    for tick, arrivals in enumerate(by_tick):
        t = tick / n
        bucket, tb = token_bucket_tick(bucket, arrivals, capacity=p["bucket_capacity"], refill=refill)
        fixed, fw = fixed_window_tick(fixed, tick, arrivals, limit=limit, window_ticks=window_ticks)
        log, sl = sliding_log_tick(log, tick, t, arrivals, limit=limit, window_ticks=window_ticks)
        counter, sc = sliding_counter_tick(counter, tick, arrivals, limit=limit, window_ticks=window_ticks)
        records = {"token_bucket": tb, "fixed_window": fw, "sliding_log": sl, "sliding_counter": sc}
        for name, record in records.items():
            pair = sums[name]
            pair[0] += len(record["admitted"])
            pair[1] += len(record["rejected"])
        totals = {name: [admitted, rejected] for name, (admitted, rejected) in sums.items()}
        event = "arrivals" if arrivals else "idle"
        steps.append({"tick": tick, "t": t, "event": event, "arrivals": arrivals, **records,
                      "totals": totals})
    return steps


def max_in_window(ticks: Sequence[int], width: int) -> tuple[int, int]:
    """Most sorted ``ticks`` inside any closed interval ``[x, x + width]``, and the first such x."""
    best, start = 0, 0
    for i, first in enumerate(ticks):
        count = bisect_right(ticks, first + width, lo=i) - i
        if count > best:
            best, start = count, first
    return best, start


def summarize(
    requests: Sequence[Mapping[str, Any]], steps: Sequence[Mapping[str, Any]], p: Mapping[str, Any]
) -> dict[str, Any]:
    """Per-limiter figures the closing beats quote (plus ``max_window_t``, the worst window)."""
    n, w = ticks_per_s(p["tick_s"]), p["window_s"]
    kind = {r["id"]: r["kind"] for r in requests}
    summary: dict[str, Any] = {}
    for name in LIMITERS:
        admitted = [(s["tick"], i) for s in steps for i in s[name]["admitted"]]
        best, start = max_in_window([tick for tick, _ in admitted], w * n)
        held = {"token_bucket": 2, "fixed_window": 2, "sliding_counter": 3}.get(name)
        if held is None:  # the sliding log holds one number per counting entry
            held = max((len(s[name]["log"]) for s in steps), default=0)
        summary[name] = {
            "admitted": len(admitted),
            "rejected": sum(len(s[name]["rejected"]) for s in steps),
            "max_in_any_window": best,
            "max_window_t": [start / n, start / n + w],
            "edge_admitted": sum(kind[i] == "edge" for _, i in admitted),
            "burst_admitted": sum(kind[i] == "burst" for _, i in admitted),
            "state_numbers_max": held,
        }
    summary["edge_total"] = 2 * p["edge_burst_each"]  #: requests in the edge burst
    summary["edge_span_s"] = 2  #: seconds it spans: one on each side of the edge
    summary["rate_per_s"] = p["limit"] / p["window_s"]  #: the long-run rate all four allow
    return summary


def _segments(p: Mapping[str, Any]) -> dict[str, list[float]]:
    w, edge, over, burst = p["window_s"], p["edge_s"], p["overload_from_s"], p["burst_at_s"]
    return {"background": [0.0, float(over)], "quiet": [float(edge - w), float(edge + 2)],
            "burst": [float(burst), float(burst + 1)], "edge": [float(edge - 1), float(edge + 1)],
            "overload": [float(over), float(p["duration_s"])]}


def simulate(seed: int, **params: Any) -> Trace:
    """Simulate the storyboard's stream through all four limiters; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    requests = build_requests(np.random.default_rng(seed), p)
    steps = run_limiters(requests, p)
    windows = [float(k * p["window_s"]) for k in range(-(-p["duration_s"] // p["window_s"]))]
    extra = {"requests": requests, "windows": windows, "segments": _segments(p), "limiters": list(LIMITERS)}
    return Trace(id=ID, seed=seed, params=p, steps=steps, summary=summarize(requests, steps, p), extra=extra)
