"""Circuit Breaker: a hung dependency fills a shared worker pool until a breaker fails its calls fast.

Model
-----
Service A has a fixed pool of worker slots shared by calls to two dependencies: B, which hangs
during an outage window, and C, which is always healthy. Requests arrive at A at seeded random
whole milliseconds (a Poisson stream), each needing B or C. An admitted call holds one slot until
it completes: a B call started inside the outage never answers and ends as a timeout after the
call timeout; every other call succeeds after its own seeded healthy latency. A request that
finds every slot busy is rejected at once (HTTP 503). Two lanes replay the same requests: one
without a breaker and one with a breaker in front of B. The breaker follows pybreaker's rules:
while closed it counts consecutive B failures (a success resets the count) and opens when the
count reaches ``fail_max``; while open it fails B calls at once with a fallback answer; the first
B call at least ``reset_timeout_ms`` after it opened goes through as a single trial (half-open),
whose success closes the breaker and whose failure opens it again. Completions of other calls
while open or half-open are ignored, a trial rejected by the full pool frees the trial place,
and the breaker never sees pool rejections. Time is in integer milliseconds; at equal times
completions go before arrivals, each in request-id order.

Invariants
----------
1. Conservation: in each lane every request ends exactly once; successes and timeouts follow its start.
2. Pool bound: slots used = B + C in flight = occupied slots <= pool size; fast fails and rejects take none.
3. Latency physics: timeouts take exactly the call timeout and only hit B calls started in the outage.
4. Tripping: closed -> open only at the B failure that brings the consecutive-failure count to fail_max.
5. Open means no traffic: no B call starts while open; the first B arrival after the reset timeout is the trial.
6. Single trial: at most one trial in flight; its success closes (count 0), its failure reopens at its end.
7. The lane without a breaker has no transitions, no fast fails and no breaker state.
8. Determinism: the same seed and parameters give the same bytes.

Leaves out
----------
Real breakers often trip on an error rate over a sliding window rather than a run of consecutive
failures, may let several trial calls through, and add jitter to their reset timers. Real worker
pools usually queue requests for a while instead of rejecting them at once, and real outages
start and end gradually, with slow answers rather than a clean hang.

Trace
-----
``steps`` hold one step per event (calls still running at ``sim_ms`` finish after it), the
``no_breaker`` lane first, then ``breaker``, each in (``t_ms``, ``seq``) order: ``lane``, ``t_ms``, ``seq`` (per lane), ``event`` (start, success,
timeout, fast_fail, pool_reject or transition), ``req_id``, ``target`` (B or C), ``latency_ms``
(null on start and transition steps), ``trial`` (the step concerns the half-open trial call),
``transition`` ({from, to, reason: fail_max, reset_elapsed, trial_failed or trial_succeeded} on
a transition step, which directly follows the event that caused it at the same time, else null),
and the state after the event and any transition it caused: ``slots`` (request id per slot,
lowest free slot first, or null), ``pool_used``, ``in_flight_b``, ``in_flight_c`` and
``breaker`` ({state, fail_counter, opened_at_ms, trial_in_flight}, null in the no_breaker lane).
``summary.requests`` lists ``{id, t_ms, target, healthy_latency_ms}``. ``summary.series[lane]``
samples every ``sample_ms`` from 0 to ``sim_ms`` the state after all events up to that time
(``t_ms``, ``pool_used``, ``in_flight_b``, ``in_flight_c``, ``state``, ``fail_counter``) and
counts over the trailing second (``c_ok_last_s``, ``c_rejected_last_s``, ``b_fast_fail_last_s``).
``summary.transitions`` lists the breaker's ``{t_ms, from, to, reason, req_id}``.
``summary.lanes[lane]`` holds ``c_success_rate_outage`` (share of C requests arriving during the
outage that succeed, null if none), ``b_calls_sent_outage`` (B calls started during the outage),
``fast_fails``, ``pool_rejects``, ``mean_pool_used_outage`` (time average over the outage
window) and ``max_pool_used``. ``summary.highlights`` names the beats: ``trip_t_ms`` and
``trip_req`` (first opening), ``first_fast_fail_req``, ``trials`` (each ``{req_id, start_ms,
end_ms, ok}``), ``failed_trials``, ``close_t_ms`` (the closing after the last opening, or null)
and ``outage_demand_slots`` (arrival rate x share of B x call timeout, the slots the hanging
calls would need).
"""

from __future__ import annotations

import copy
import heapq
from typing import Any, Callable, Mapping

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "LANES", "EVENTS", "REASONS", "Breaker", "Pool", "check_params", "simulate",
    "build_requests", "run_lane", "sample_series", "lane_summary", "highlights",
]

ID = "circuit-breaker"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {"fail_max": 4, "reset_timeout_ms": 4000, "pool_size": 12}
LANES = ("no_breaker", "breaker")
EVENTS = ("start", "success", "timeout", "fast_fail", "pool_reject", "transition")
REASONS = ("fail_max", "reset_elapsed", "trial_failed", "trial_succeeded")
CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
#: Upper bound on the expected number of requests, so that every valid run stays fast.
MAX_EXPECTED_REQUESTS = 2000


# ---------------------------------------------------------------- parameters
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_pair(low: int, high: int) -> Callable[[Any], list[int]]:
    def check(value: Any) -> list[int]:
        if len(value) != 2 or not all(_is_int(v) for v in value):
            raise ValueError(f"expected [low, high] as two integers, got {value!r}")
        if not low <= value[0] <= value[1] <= high:
            raise ValueError(f"expected {low} <= low <= high <= {high}, got {value!r}")
        return [value[0], value[1]]
    return check


PARAMS: tuple[Param, ...] = (
    Param("arrival_rate_per_s", float, 20.0, 0.0, 200.0, "Poisson arrival rate of requests at A"),
    Param("p_target_b", float, 0.5, 0.0, 1.0, "share of requests that need B (the rest need C)"),
    Param("healthy_latency_ms", list, [30, 80], help="[low, high] of each call's uniform healthy latency",
          validate=_int_pair(1, 60_000)),
    Param("outage_ms", list, [6000, 26000], help="[start, end) of B's hang", validate=_int_pair(0, 600_000)),
    Param("call_timeout_ms", int, 2000, 1, 60_000, "a hung call ends as a timeout after this long"),
    Param("pool_size", int, 10, 1, 64, "worker slots at A"),
    Param("fail_max", int, 5, 1, 100, "consecutive failures that trip the breaker"),
    Param("reset_timeout_ms", int, 5000, 1, 600_000, "time open before a trial call"),
    Param("sim_ms", int, 40_000, 1000, 600_000, "arrivals happen in [0, sim_ms)"),
    Param("sample_ms", int, 100, 10, 10_000, "chart sampling period"),
)


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks; raise :class:`ParamError` naming the field at fault."""
    if p["healthy_latency_ms"][1] >= p["call_timeout_ms"]:
        raise ParamError("healthy_latency_ms", f"the slowest healthy call ({p['healthy_latency_ms'][1]} ms) "
                         f"must finish before call_timeout_ms={p['call_timeout_ms']}")
    if p["outage_ms"][1] > p["sim_ms"]:
        raise ParamError("outage_ms", f"the outage must end by sim_ms={p['sim_ms']}, got {p['outage_ms']}")
    expected = p["arrival_rate_per_s"] * p["sim_ms"] / 1000
    if expected > MAX_EXPECTED_REQUESTS:
        raise ParamError("arrival_rate_per_s", f"{expected:g} expected requests exceed {MAX_EXPECTED_REQUESTS}")
    if p["sim_ms"] // p["sample_ms"] > 2000:
        raise ParamError("sample_ms", f"more than 2000 samples over sim_ms={p['sim_ms']}")


# ---------------------------------------------------------------- the breaker
class Breaker:
    """The breaker's decisions alone, in integer ms: pybreaker's rules plus one trial in flight.

    ``before_call(t)`` says whether a B call may run ("execute") or fails fast ("reject"); a call
    that runs while the breaker is half-open is the trial. ``after_call(t, ok, trial)`` reports a
    completion; ``trial=None`` means "the trial if one is in flight", which is exact when calls
    run one at a time (as in pybreaker, which holds a lock for the whole call). ``cancel_trial()``
    frees the trial place when the trial never ran. ``transitions`` records every state change as
    ``(t_ms, from, to, reason)``.
    """

    def __init__(self, fail_max: int, reset_timeout_ms: int) -> None:
        self.fail_max = fail_max
        self.reset_timeout_ms = reset_timeout_ms
        self.state = CLOSED
        self.fail_counter = 0
        self.opened_at_ms: int | None = None
        self.trial_in_flight = False
        self.transitions: list[tuple[int, str, str, str]] = []

    def snapshot(self) -> dict[str, Any]:
        return {"state": self.state, "fail_counter": self.fail_counter, "opened_at_ms": self.opened_at_ms,
                "trial_in_flight": self.trial_in_flight}

    def _move(self, t: int, to: str, reason: str) -> None:
        self.transitions.append((t, self.state, to, reason))
        self.state = to
        if to == OPEN:
            self.opened_at_ms, self.trial_in_flight = t, False
        elif to == CLOSED:
            self.fail_counter, self.trial_in_flight = 0, False

    def before_call(self, t: int) -> str:
        """Open: reject until ``opened_at + reset_timeout``, then switch to half-open and run the trial."""
        if self.state == OPEN:
            assert self.opened_at_ms is not None
            if t < self.opened_at_ms + self.reset_timeout_ms:
                return "reject"
            self._move(t, HALF_OPEN, "reset_elapsed")
        if self.state == HALF_OPEN:
            if self.trial_in_flight:
                return "reject"
            self.trial_in_flight = True
        return "execute"

    def after_call(self, t: int, ok: bool, trial: bool | None = None) -> None:
        """Closed: count the failure or reset the count; the trial's outcome closes or reopens."""
        if trial is None:
            trial = self.state == HALF_OPEN and self.trial_in_flight
        if trial:
            self._move(t, CLOSED if ok else OPEN, "trial_succeeded" if ok else "trial_failed")
        elif self.state == CLOSED:
            self.fail_counter = 0 if ok else self.fail_counter + 1
            if self.fail_counter >= self.fail_max:
                self._move(t, OPEN, "fail_max")

    def cancel_trial(self) -> None:
        self.trial_in_flight = False


# ---------------------------------------------------------------- the pool
class Pool:
    """Worker slots: a call takes the lowest free slot and holds it until it completes."""

    def __init__(self, size: int) -> None:
        self.slots: list[int | None] = [None] * size
        self.target: dict[int, str] = {}
        self.in_flight = {"B": 0, "C": 0}

    def take(self, req_id: int, target: str) -> bool:
        """Seat the call, or return False when every slot is busy."""
        if len(self.target) == len(self.slots):
            return False
        self.slots[self.slots.index(None)] = req_id
        self.target[req_id] = target
        self.in_flight[target] += 1
        return True

    def release(self, req_id: int) -> None:
        self.slots[self.slots.index(req_id)] = None
        self.in_flight[self.target.pop(req_id)] -= 1


# ---------------------------------------------------------------- requests and lanes
def build_requests(rng: np.random.Generator, p: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Poisson count, uniform whole-ms arrival times, then each request's target and healthy latency."""
    count = int(rng.poisson(p["arrival_rate_per_s"] * p["sim_ms"] / 1000))
    times = np.sort(rng.integers(0, p["sim_ms"], size=count)).tolist()
    to_b = (rng.random(count) < p["p_target_b"]).tolist()
    low, high = p["healthy_latency_ms"]
    latency = rng.integers(low, high + 1, size=count).tolist()
    return [{"id": i, "t_ms": times[i], "target": "B" if to_b[i] else "C", "healthy_latency_ms": latency[i]}
            for i in range(count)]


def run_lane(lane: str, requests: list[dict[str, Any]], p: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Replay the requests through A's pool, with or without the breaker in front of B; one step per event."""
    pool = Pool(p["pool_size"])
    breaker = Breaker(p["fail_max"], p["reset_timeout_ms"]) if lane == "breaker" else None
    out_start, out_end = p["outage_ms"]
    steps: list[dict[str, Any]] = []
    trial_req: int | None = None
    # (t_ms, 0 = completion / 1 = arrival, request id, ok)
    queue: list[tuple[int, int, int, bool]] = [(r["t_ms"], 1, r["id"], True) for r in requests]
    heapq.heapify(queue)

    def emit(t: int, event: str, req: Mapping[str, Any], latency: int | None, trial: bool,
             move: tuple[str, str, str] | None = None) -> None:
        b, c = pool.in_flight["B"], pool.in_flight["C"]
        steps.append({"lane": lane, "t_ms": t, "seq": len(steps), "event": event, "req_id": req["id"],
                      "target": req["target"], "latency_ms": latency, "trial": trial,
                      "transition": None if move is None else {"from": move[0], "to": move[1], "reason": move[2]},
                      "slots": list(pool.slots), "pool_used": b + c, "in_flight_b": b, "in_flight_c": c,
                      "breaker": None if breaker is None else breaker.snapshot()})

    def emit_moves(t: int, req: Mapping[str, Any], trial: bool, seen: int) -> None:
        for _, before, after, reason in breaker.transitions[seen:] if breaker is not None else []:
            emit(t, "transition", req, None, trial, (before, after, reason))

    while queue:
        t, kind, rid, ok = heapq.heappop(queue)
        req = requests[rid]
        guarded = breaker is not None and req["target"] == "B"
        seen = len(breaker.transitions) if breaker is not None else 0
        if kind == 0:  # completion
            pool.release(rid)
            is_trial = rid == trial_req
            if guarded:
                breaker.after_call(t, ok, is_trial)  # type: ignore[union-attr]
                trial_req = None if is_trial else trial_req
            emit(t, "success" if ok else "timeout",
                 req, req["healthy_latency_ms"] if ok else p["call_timeout_ms"], is_trial)
            emit_moves(t, req, is_trial, seen)
            continue
        if guarded and breaker.before_call(t) == "reject":  # type: ignore[union-attr]
            emit(t, "fast_fail", req, 0, False)
            emit_moves(t, req, False, seen)
            continue
        is_trial = guarded and breaker.state == HALF_OPEN  # type: ignore[union-attr]
        if not pool.take(rid, req["target"]):
            if is_trial:
                breaker.cancel_trial()  # type: ignore[union-attr]
            emit(t, "pool_reject", req, 0, is_trial)
        else:
            trial_req = rid if is_trial else trial_req
            emit(t, "start", req, None, is_trial)
            hangs = req["target"] == "B" and out_start <= t < out_end
            end = t + (p["call_timeout_ms"] if hangs else req["healthy_latency_ms"])
            heapq.heappush(queue, (end, 0, rid, not hangs))
        emit_moves(t, req, is_trial, seen)
    return steps


# ---------------------------------------------------------------- summaries
def sample_series(lane: str, steps: list[dict[str, Any]], p: Mapping[str, Any]) -> list[dict[str, Any]]:
    """State after all events up to each sample time, and event counts over the trailing second."""
    kinds = {("success", "C"): "c_ok_last_s", ("pool_reject", "C"): "c_rejected_last_s",
             ("fast_fail", "B"): "b_fast_fail_last_s"}
    counted = [(s["t_ms"], kinds[(s["event"], s["target"])]) for s in steps if (s["event"], s["target"]) in kinds]
    window = dict.fromkeys(kinds.values(), 0)
    has_breaker = lane == "breaker"
    state = {"pool_used": 0, "in_flight_b": 0, "in_flight_c": 0,
             "state": CLOSED if has_breaker else None, "fail_counter": 0 if has_breaker else None}
    series = []
    i = enter = leave = 0
    for t in range(0, p["sim_ms"] + 1, p["sample_ms"]):
        while i < len(steps) and steps[i]["t_ms"] <= t:
            s = steps[i]
            state = {"pool_used": s["pool_used"], "in_flight_b": s["in_flight_b"], "in_flight_c": s["in_flight_c"],
                     "state": s["breaker"]["state"] if has_breaker else None,
                     "fail_counter": s["breaker"]["fail_counter"] if has_breaker else None}
            i += 1
        while enter < len(counted) and counted[enter][0] <= t:
            window[counted[enter][1]] += 1
            enter += 1
        while leave < enter and counted[leave][0] <= t - 1000:
            window[counted[leave][1]] -= 1
            leave += 1
        series.append({"t_ms": t, **state, **window})
    return series


def lane_summary(steps: list[dict[str, Any]], requests: list[dict[str, Any]], p: Mapping[str, Any]) -> dict[str, Any]:
    out_start, out_end = p["outage_ms"]
    in_outage = {r["id"] for r in requests if out_start <= r["t_ms"] < out_end}
    c_outage = [r["id"] for r in requests if r["id"] in in_outage and r["target"] == "C"]
    c_ok = {s["req_id"] for s in steps if s["event"] == "success" and s["target"] == "C"}
    area, prev_t, used = 0, out_start, 0
    for s in steps:  # exact time average of pool_used over [out_start, out_end)
        if s["t_ms"] > prev_t:
            lo, hi = max(prev_t, out_start), min(s["t_ms"], out_end)
            area += used * max(0, hi - lo)
            prev_t = s["t_ms"]
        used = s["pool_used"]
    if out_end > prev_t:
        area += used * (out_end - max(prev_t, out_start))
    return {
        "c_success_rate_outage": sum(i in c_ok for i in c_outage) / len(c_outage) if c_outage else None,
        "b_calls_sent_outage": sum(1 for s in steps if s["event"] == "start" and s["target"] == "B"
                                   and out_start <= s["t_ms"] < out_end),
        "fast_fails": sum(1 for s in steps if s["event"] == "fast_fail"),
        "pool_rejects": sum(1 for s in steps if s["event"] == "pool_reject"),
        "mean_pool_used_outage": area / (out_end - out_start) if out_end > out_start else None,
        "max_pool_used": max((s["pool_used"] for s in steps), default=0),
    }


def highlights(steps: list[dict[str, Any]], p: Mapping[str, Any]) -> dict[str, Any]:
    """Named anchors for the breaker lane's beats."""
    moves = [s for s in steps if s["event"] == "transition"]
    opens = [s for s in moves if s["transition"]["to"] == OPEN]
    trials: dict[int, dict[str, Any]] = {}
    for s in steps:
        if s["trial"] and s["event"] == "start":
            trials[s["req_id"]] = {"req_id": s["req_id"], "start_ms": s["t_ms"], "end_ms": None, "ok": None}
        elif s["trial"] and s["event"] in ("success", "timeout"):
            trials[s["req_id"]].update(end_ms=s["t_ms"], ok=s["event"] == "success")
    closes = [s for s in moves if s["transition"]["to"] == CLOSED]
    last_open = opens[-1]["t_ms"] if opens else None
    after = [s["t_ms"] for s in closes if last_open is not None and s["t_ms"] >= last_open]
    fast = next((s["req_id"] for s in steps if s["event"] == "fast_fail"), None)
    return {
        "trip_t_ms": opens[0]["t_ms"] if opens else None, "trip_req": opens[0]["req_id"] if opens else None,
        "first_fast_fail_req": fast, "trials": list(trials.values()),
        "failed_trials": sum(1 for x in trials.values() if x["ok"] is False),
        "close_t_ms": after[0] if after else None,
        "outage_demand_slots": p["arrival_rate_per_s"] * p["p_target_b"] * p["call_timeout_ms"] / 1000,
    }


# ---------------------------------------------------------------- run
def simulate(seed: int, **params: Any) -> Trace:
    """Both lanes over one seeded request list; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = copy.deepcopy(resolve_params(PARAMS, params, check_params))  # never share the default lists
    requests = build_requests(np.random.default_rng(seed), p)
    lanes = {lane: run_lane(lane, requests, p) for lane in LANES}
    transitions = [{"t_ms": s["t_ms"], "from": s["transition"]["from"], "to": s["transition"]["to"],
                    "reason": s["transition"]["reason"], "req_id": s["req_id"]}
                   for s in lanes["breaker"] if s["event"] == "transition"]
    summary = {"requests": requests, "series": {lane: sample_series(lane, lanes[lane], p) for lane in LANES},
               "transitions": transitions,
               "lanes": {lane: lane_summary(lanes[lane], requests, p) for lane in LANES},
               "highlights": highlights(lanes["breaker"], p)}
    return Trace(id=ID, seed=seed, params=p, steps=lanes["no_breaker"] + lanes["breaker"], summary=summary)
