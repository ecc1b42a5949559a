"""Tests for sims.circuit_breaker: the breaker core against pybreaker 1.4.1 on a frozen clock (freezegun),
the storyboard's hand case, the invariants checked from the trace JSON alone (an independent replay of
pool and breaker), the independent model's figures over 100 seeds, the catalog seed's story, Little's
law, determinism and parameter errors."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pybreaker
import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.catalog import load_catalog
from sims import circuit_breaker as cb
from sims.params import ParamError

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = {p.name: p.default for p in cb.PARAMS}
PROPERTY = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(min_value=0, max_value=2**32 - 1)
ARRIVALS = ("start", "fast_fail", "pool_reject")
COMPLETIONS = ("success", "timeout")


def run(seed: int, params: dict[str, Any]) -> dict[str, Any]:
    return json.loads(cb.simulate(seed, **params).to_json())


@lru_cache(maxsize=None)
def run_cached(seed: int, params_json: str = "{}") -> dict[str, Any]:
    return run(seed, json.loads(params_json))


def lanes(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for s in d["steps"]:
        out.setdefault(s["lane"], []).append(s)
    return out


# ---------------------------------------------------------------- invariant checkers (trace JSON only)
def check_layout(d: dict[str, Any]) -> None:
    p, reqs = d["params"], d["summary"]["requests"]
    assert [s["lane"] for s in d["steps"]] == sorted((s["lane"] for s in d["steps"]), key=cb.LANES.index)
    assert [r["id"] for r in reqs] == list(range(len(reqs)))
    assert [(r["t_ms"], r["id"]) for r in reqs] == sorted((r["t_ms"], r["id"]) for r in reqs)
    lo, hi = p["healthy_latency_ms"]
    assert all(0 <= r["t_ms"] < p["sim_ms"] and r["target"] in "BC" and lo <= r["healthy_latency_ms"] <= hi
               for r in reqs)
    for lane, steps in lanes(d).items():
        assert lane in cb.LANES
        assert [s["seq"] for s in steps] == list(range(len(steps)))
        assert all(a["t_ms"] <= b["t_ms"] for a, b in zip(steps, steps[1:]))
        keys = [(s["t_ms"], 0 if s["event"] in COMPLETIONS else 1, s["req_id"])
                for s in steps if s["event"] != "transition"]
        assert keys == sorted(keys) and len(set(keys)) == len(keys), "completions first, then arrivals, by id"
        for prev, s in zip([None] + steps, steps):
            assert s["event"] in cb.EVENTS and s["target"] == reqs[s["req_id"]]["target"]
            if s["event"] == "transition":
                assert prev is not None and (prev["t_ms"], prev["req_id"]) == (s["t_ms"], s["req_id"])
                assert s["transition"]["reason"] in cb.REASONS
            else:
                assert s["transition"] is None
            if s["event"] in ARRIVALS:
                assert s["t_ms"] == reqs[s["req_id"]]["t_ms"]


def check_conservation(d: dict[str, Any]) -> None:
    """Invariant 1."""
    n = len(d["summary"]["requests"])
    for steps in lanes(d).values():
        ends: dict[int, str] = {}
        started: set[int] = set()
        for s in steps:
            if s["event"] == "start":
                assert s["req_id"] not in started and s["req_id"] not in ends
                started.add(s["req_id"])
            elif s["event"] in COMPLETIONS + ("fast_fail", "pool_reject"):
                assert s["req_id"] not in ends, "two terminal steps"
                assert (s["req_id"] in started) == (s["event"] in COMPLETIONS)
                ends[s["req_id"]] = s["event"]
        assert sorted(ends) == list(range(n))


def check_pool(d: dict[str, Any]) -> None:
    """Invariant 2, with the slots replayed (lowest free slot first)."""
    size = d["params"]["pool_size"]
    reqs = d["summary"]["requests"]
    for steps in lanes(d).values():
        slots: list[int | None] = [None] * size
        for s in steps:
            if s["event"] == "start":
                assert None in slots
                slots[slots.index(None)] = s["req_id"]
            elif s["event"] in COMPLETIONS:
                slots[slots.index(s["req_id"])] = None
            elif s["event"] == "pool_reject":
                assert None not in slots, "rejected with a free slot"
            assert s["slots"] == slots
            b = sum(x is not None and reqs[x]["target"] == "B" for x in slots)
            c = sum(x is not None and reqs[x]["target"] == "C" for x in slots)
            assert 0 <= s["pool_used"] == s["in_flight_b"] + s["in_flight_c"] == b + c <= size
            assert (s["in_flight_b"], s["in_flight_c"]) == (b, c)


def check_latency(d: dict[str, Any]) -> None:
    """Invariant 3."""
    p, reqs = d["params"], d["summary"]["requests"]
    lo, hi = p["outage_ms"]
    for steps in lanes(d).values():
        started = {s["req_id"]: s["t_ms"] for s in steps if s["event"] == "start"}
        for s in steps:
            r = reqs[s["req_id"]]
            if s["event"] in COMPLETIONS:
                begin = started[s["req_id"]]
                hangs = r["target"] == "B" and lo <= begin < hi
                assert s["event"] == ("timeout" if hangs else "success")
                assert s["latency_ms"] == (p["call_timeout_ms"] if hangs else r["healthy_latency_ms"])
                assert s["t_ms"] == begin + s["latency_ms"]
            elif s["event"] in ("fast_fail", "pool_reject"):
                assert s["latency_ms"] == 0
            else:
                assert s["latency_ms"] is None


def check_breaker(d: dict[str, Any]) -> None:
    """Invariants 4-6: an independent replay of the breaker from the lane's own events."""
    p, reqs = d["params"], d["summary"]["requests"]
    steps = lanes(d).get("breaker", [])
    state, counter, opened_at, trial = "closed", 0, None, None
    pending: list[tuple[str, str, str]] = []
    for s in steps:
        r = reqs[s["req_id"]]
        if s["event"] == "transition":
            t = s["transition"]
            assert pending and (t["from"], t["to"], t["reason"]) == pending.pop(0), "unexpected transition"
        else:
            assert not pending, f"missing transitions {pending}"
            is_b = r["target"] == "B"
            if s["event"] in ARRIVALS and is_b:
                if state == "open" and s["t_ms"] >= opened_at + p["reset_timeout_ms"]:
                    state = "half_open"
                    pending.append(("open", "half_open", "reset_elapsed"))
                if state == "open" or (state == "half_open" and trial is not None):
                    assert s["event"] == "fast_fail" and not s["trial"], "B traffic while open / a second trial"
                elif state == "half_open":
                    assert s["event"] != "fast_fail" and s["trial"], "the first B arrival after the reset is the trial"
                    trial = s["req_id"] if s["event"] == "start" else None
                else:
                    assert s["event"] != "fast_fail" and not s["trial"]
            elif s["event"] in ARRIVALS:
                assert s["event"] != "fast_fail" and not s["trial"]
            elif is_b:
                ok = s["event"] == "success"
                assert s["trial"] == (s["req_id"] == trial)
                if s["req_id"] == trial:
                    pending.append(("half_open", "closed" if ok else "open",
                                    "trial_succeeded" if ok else "trial_failed"))
                    state, trial = ("closed", None) if ok else ("open", None)
                    counter = 0 if ok else counter
                    opened_at = opened_at if ok else s["t_ms"]
                elif state == "closed":
                    counter = 0 if ok else counter + 1
                    if counter >= p["fail_max"]:
                        pending.append(("closed", "open", "fail_max"))
                        state, opened_at = "open", s["t_ms"]
            else:
                assert not s["trial"]
        brk = s["breaker"]
        assert (brk["state"], brk["opened_at_ms"], brk["trial_in_flight"]) == (state, opened_at, trial is not None)
        if state == "closed":
            assert brk["fail_counter"] == counter
    assert not pending


def check_no_breaker_lane(d: dict[str, Any]) -> None:
    """Invariant 7."""
    for s in lanes(d).get("no_breaker", []):
        assert s["event"] not in ("transition", "fast_fail") and s["breaker"] is None and not s["trial"]
    assert all(x["state"] is None and x["fail_counter"] is None for x in d["summary"]["series"]["no_breaker"])


def check_summary(d: dict[str, Any]) -> None:
    p, summ = d["params"], d["summary"]
    reqs = summ["requests"]
    lo, hi = p["outage_ms"]
    by_lane = lanes(d)
    for lane in cb.LANES:
        steps = by_lane.get(lane, [])
        series = summ["series"][lane]
        sample_t = np.array([x["t_ms"] for x in series])
        assert sample_t.tolist() == list(range(0, p["sim_ms"] + 1, p["sample_ms"]))
        step_t = np.array([s["t_ms"] for s in steps], dtype=np.int64)
        last = np.searchsorted(step_t, sample_t, side="right") - 1  # last step at or before each sample
        gone = np.searchsorted(step_t, sample_t - 1000, side="right") - 1  # last step a second before
        for field in ("pool_used", "in_flight_b", "in_flight_c"):
            values = np.array([s[field] for s in steps] + [0])  # index -1: nothing happened yet
            assert [x[field] for x in series] == values[last].tolist()
        if lane == "breaker":
            states = [s["breaker"]["state"] for s in steps] + ["closed"]
            counters = [s["breaker"]["fail_counter"] for s in steps] + [0]
            assert [x["state"] for x in series] == [states[i] for i in last]
            assert [x["fail_counter"] for x in series] == [counters[i] for i in last]
        for field, event, target in [("c_ok_last_s", "success", "C"), ("c_rejected_last_s", "pool_reject", "C"),
                                     ("b_fast_fail_last_s", "fast_fail", "B")]:
            hits = np.cumsum([0] + [s["event"] == event and s["target"] == target for s in steps])
            assert [x[field] for x in series] == (hits[last + 1] - hits[gone + 1]).tolist()
        stats = summ["lanes"][lane]
        c_out = [r["id"] for r in reqs if r["target"] == "C" and lo <= r["t_ms"] < hi]
        ok = {s["req_id"] for s in steps if s["event"] == "success"}
        rate = sum(i in ok for i in c_out) / len(c_out) if c_out else None
        assert stats["c_success_rate_outage"] == (pytest.approx(rate) if rate is not None else None)
        assert stats["b_calls_sent_outage"] == sum(s["event"] == "start" and s["target"] == "B" and lo <= s["t_ms"] < hi
                                                   for s in steps)
        assert stats["fast_fails"] == sum(s["event"] == "fast_fail" for s in steps)
        assert stats["pool_rejects"] == sum(s["event"] == "pool_reject" for s in steps)
        assert stats["max_pool_used"] == max((s["pool_used"] for s in steps), default=0)
        if hi > lo:  # pool_used during each ms of the outage, from the last step at or before it
            each_ms = np.arange(lo, hi)
            at = np.searchsorted(step_t, each_ms, side="right") - 1
            used = np.array([s["pool_used"] for s in steps] + [0])[at]
            assert stats["mean_pool_used_outage"] == pytest.approx(used.sum() / (hi - lo))
        else:
            assert stats["mean_pool_used_outage"] is None
    moves = [s for s in by_lane.get("breaker", []) if s["event"] == "transition"]
    assert summ["transitions"] == [{"t_ms": s["t_ms"], **s["transition"], "req_id": s["req_id"]} for s in moves]
    hl = summ["highlights"]
    opens = [m for m in summ["transitions"] if m["to"] == "open"]
    assert hl["trip_t_ms"] == (opens[0]["t_ms"] if opens else None)
    assert hl["trip_req"] == (opens[0]["req_id"] if opens else None)
    if opens:
        assert opens[0]["reason"] == "fail_max"
    fast = [s["req_id"] for s in by_lane.get("breaker", []) if s["event"] == "fast_fail"]
    assert hl["first_fast_fail_req"] == (fast[0] if fast else None)
    trial_starts = [s for s in by_lane.get("breaker", []) if s["trial"] and s["event"] == "start"]
    assert [t["req_id"] for t in hl["trials"]] == [s["req_id"] for s in trial_starts]
    assert hl["failed_trials"] == sum(t["ok"] is False for t in hl["trials"])
    assert hl["outage_demand_slots"] == pytest.approx(p["arrival_rate_per_s"] * p["p_target_b"]
                                                      * p["call_timeout_ms"] / 1000)


INVARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "layout": check_layout,
    "1 conservation": check_conservation,
    "2 pool bound": check_pool,
    "3 latency physics": check_latency,
    "4-6 breaker": check_breaker,
    "7 no-breaker lane": check_no_breaker_lane,
    "summary": check_summary,
}


def check_all(d: dict[str, Any], note: str = "") -> None:
    for label, check in INVARIANTS.items():
        try:
            check(d)
        except AssertionError as err:
            err.add_note(f"invariant {label}; {note}")
            raise


# ---------------------------------------------------------------- strategies
@st.composite
def param_sets(draw: st.DrawFn) -> dict[str, Any]:
    """Every parameter over its range, with runs kept to a few hundred requests so 200 examples stay quick."""
    sim_ms = draw(st.sampled_from([1000, 40_000, 600_000]) | st.integers(1000, 60_000))
    rate = draw(st.sampled_from([0.0, 200.0]) | st.floats(0.0, 200.0))
    rate = min(rate, 150_000 / sim_ms)  # at most 150 expected requests
    timeout = draw(st.sampled_from([2, 2000, 60_000]) | st.integers(2, 5000))
    lat_lo = draw(st.integers(1, min(timeout - 1, 200)))
    lat_hi = draw(st.integers(lat_lo, min(timeout - 1, 400)))
    out_a = draw(st.integers(0, sim_ms))
    out_b = draw(st.integers(out_a, sim_ms))
    sample = draw(st.sampled_from([10, 100, 10_000]) | st.integers(10, 10_000))
    sample = max(sample, -(-sim_ms // 2000))
    return {"arrival_rate_per_s": rate, "p_target_b": draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0)),
            "healthy_latency_ms": [lat_lo, lat_hi], "outage_ms": [out_a, out_b], "call_timeout_ms": timeout,
            "pool_size": draw(st.sampled_from([1, 2, 64]) | st.integers(1, 12)),
            "fail_max": draw(st.sampled_from([1, 100]) | st.integers(1, 8)),
            "reset_timeout_ms": draw(st.sampled_from([1, 600_000]) | st.integers(1, 8000)),
            "sim_ms": sim_ms, "sample_ms": sample}


@PROPERTY
@given(seed=seeds, params=param_sets())
def test_invariants_hold(seed: int, params: dict[str, Any]) -> None:
    check_all(run(seed, params), f"seed={seed} params={params}")


@pytest.mark.parametrize("seed", [0, 7])
def test_invariants_on_defaults(seed: int) -> None:
    check_all(run_cached(seed))


def _step(d: dict[str, Any], lane: str, pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    return next(s for s in lanes(d)[lane] if pred(s))


def _swap_arrival_order(d: dict[str, Any]) -> None:
    steps = d["steps"]
    i = next(i for i, (a, b) in enumerate(zip(steps, steps[1:]))
             if a["lane"] == b["lane"] and a["event"] == b["event"] == "start" and a["t_ms"] < b["t_ms"])
    steps[i]["t_ms"], steps[i + 1]["t_ms"] = steps[i + 1]["t_ms"], steps[i]["t_ms"]


CORRUPTIONS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("layout", _swap_arrival_order),
    ("1 conservation", lambda d: d["steps"].remove(_step(d, "no_breaker", lambda s: s["event"] == "success"))),
    ("2 pool bound", lambda d: _step(d, "no_breaker", lambda s: s["pool_used"] == 3).update(pool_used=4)),
    ("2 pool bound", lambda d: _step(d, "breaker", lambda s: s["event"] == "fast_fail")["slots"].__setitem__(9, 1)),
    ("3 latency physics", lambda d: _step(d, "no_breaker", lambda s: s["event"] == "timeout").update(latency_ms=1999)),
    ("4-6 breaker", lambda d: _step(d, "breaker", lambda s: s["event"] == "transition").update(
        transition={"from": "closed", "to": "open", "reason": "trial_failed"})),
    ("4-6 breaker", lambda d: _step(d, "breaker", lambda s: s["event"] == "fast_fail").update(event="start")),
    ("4-6 breaker", lambda d: _step(d, "breaker", lambda s: s["event"] == "timeout")["breaker"].update(
        fail_counter=0)),
    ("7 no-breaker lane", lambda d: d["steps"][0].update(breaker={"state": "closed"})),
    ("summary", lambda d: d["summary"]["series"]["breaker"][120].update(c_ok_last_s=0)),
    ("summary", lambda d: d["summary"]["lanes"]["breaker"].update(fast_fails=1)),
    ("summary", lambda d: d["summary"]["highlights"].update(trip_t_ms=8000)),
]


@pytest.mark.parametrize("label, mutate", CORRUPTIONS)
def test_checkers_reject_corrupted_traces(label: str, mutate: Callable[[dict[str, Any]], None]) -> None:
    check_all(run_cached(7))
    d = json.loads(json.dumps(run_cached(7)))
    mutate(d)
    with pytest.raises(AssertionError):
        INVARIANTS[label](d)


@pytest.mark.parametrize("bug, params", [("trip_one_late", {}), ("no_reset_on_success", {"outage_ms": [6000, 6400]}),
                                         ("reopen_at_trial_start", {})])
def test_planted_breaker_bugs_are_caught(bug: str, params: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    real_after = cb.Breaker.after_call

    def after_call(self: cb.Breaker, t: int, ok: bool, trial: bool | None = None) -> None:
        if bug == "trip_one_late" and not trial and self.state == "closed" and not ok:
            self.fail_counter += 1
            if self.fail_counter > self.fail_max:
                self._move(t, "open", "fail_max")
            return
        if bug == "no_reset_on_success" and not trial and self.state == "closed" and ok:
            return
        real_after(self, t, ok, trial)
        if bug == "reopen_at_trial_start" and trial and not ok:
            self.opened_at_ms = t - 2000

    monkeypatch.setattr(cb.Breaker, "after_call", after_call)
    with pytest.raises(AssertionError):
        check_all(run(7, params))


# ---------------------------------------------------------------- pybreaker 1.4.1 on a frozen clock
BASE = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


class Boom(Exception):
    """The guarded operation's own failure."""


def drive_pybreaker(calls: list[tuple[int, bool]], fail_max: int, reset_ms: int,
                    frozen: Any) -> list[tuple[bool, str | None, str, int]]:
    """(executed, error raised, state after, fail_counter) per call, on pybreaker with a frozen clock."""
    out = []
    frozen.move_to(BASE)
    breaker = pybreaker.CircuitBreaker(fail_max=fail_max, reset_timeout=reset_ms / 1000)
    for t, ok in calls:
        frozen.move_to(BASE + dt.timedelta(milliseconds=t))
        ran: list[bool] = []

        def operation() -> None:
            ran.append(True)
            if not ok:
                raise Boom

        try:
            breaker.call(operation)
            error = None
        except pybreaker.CircuitBreakerError:
            error = "CircuitBreakerError"
        except Boom:
            error = "original"
        out.append((bool(ran), error, breaker.current_state.replace("-", "_"), breaker.fail_counter))
    return out


def drive_core(calls: list[tuple[int, bool]], fail_max: int, reset_ms: int) -> list[tuple[bool, str | None, str, int]]:
    """The same calls, one at a time, through the simulator's breaker core."""
    breaker = cb.Breaker(fail_max, reset_ms)
    out = []
    for t, ok in calls:
        seen = len(breaker.transitions)
        executed = breaker.before_call(t) == "execute"
        if executed:
            breaker.after_call(t, ok)
        opened = any(to == "open" for _, _, to, _ in breaker.transitions[seen:])
        error = "CircuitBreakerError" if not executed or opened else (None if ok else "original")
        out.append((executed, error, breaker.state, breaker.fail_counter))
    return out


HAND_CALLS = [(0, True), (10, False), (20, False), (30, True), (40, False), (50, False), (60, False),
              (500, True), (1059, True), (1060, False), (2100, True)]
HAND_EXPECTED = [
    (True, None, "closed", 0), (True, "original", "closed", 1), (True, "original", "closed", 2),
    (True, None, "closed", 0), (True, "original", "closed", 1), (True, "original", "closed", 2),
    (True, "CircuitBreakerError", "open", None), (False, "CircuitBreakerError", "open", None),
    (False, "CircuitBreakerError", "open", None), (True, "CircuitBreakerError", "open", None),
    (True, None, "closed", 0),
]


def _comparable(rows: list[tuple[bool, str | None, str, int]]) -> list[tuple[bool, str | None, str, int | None]]:
    """fail_counter only while closed: pybreaker keeps counting through failed trials."""
    return [(ran, err, state, count if state == "closed" else None) for ran, err, state, count in rows]


def test_hand_case_on_pybreaker_and_the_core() -> None:
    with freeze_time(BASE) as frozen:
        assert _comparable(drive_pybreaker(HAND_CALLS, 3, 1000, frozen)) == HAND_EXPECTED
    assert _comparable(drive_core(HAND_CALLS, 3, 1000)) == HAND_EXPECTED


def test_pybreaker_defaults_read_from_its_source() -> None:
    breaker = pybreaker.CircuitBreaker()
    assert (breaker.fail_max, breaker.reset_timeout, breaker.current_state) == (5, 60, "closed")


@st.composite
def call_sequences(draw: st.DrawFn) -> tuple[int, int, list[tuple[int, bool]]]:
    """fail_max, reset timeout (ms) and up to 60 sequential calls (gap 0-3000 ms, ok or failing);
    gaps of exactly the reset timeout and one ms either side probe the boundary."""
    fail_max = draw(st.integers(1, 6))
    reset_ms = draw(st.sampled_from([1, 1000, 2500]) | st.integers(1, 3000))
    gaps = st.integers(0, 3000) | st.sampled_from([reset_ms - 1, reset_ms, reset_ms + 1])
    calls, t = [], 0
    for gap, ok in draw(st.lists(st.tuples(gaps, st.booleans()), max_size=60)):
        t += gap
        calls.append((t, ok))
    return fail_max, reset_ms, calls


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(call_sequences(), min_size=1, max_size=8))
def test_core_matches_pybreaker(batch: list[tuple[int, int, list[tuple[int, bool]]]]) -> None:
    """About 270 drawn call sequences, a batch per frozen clock (starting freezegun is the slow part)."""
    with freeze_time(BASE) as frozen:
        for fail_max, reset_ms, calls in batch:
            ours = _comparable(drive_core(calls, fail_max, reset_ms))
            assert ours == _comparable(drive_pybreaker(calls, fail_max, reset_ms, frozen)), (fail_max, reset_ms, calls)


# ---------------------------------------------------------------- the core's concurrent rules
def test_core_ignores_late_completions_and_frees_a_rejected_trial() -> None:
    breaker = cb.Breaker(fail_max=2, reset_timeout_ms=100)
    assert breaker.before_call(0) == "execute" and breaker.before_call(1) == "execute"
    breaker.after_call(10, ok=False, trial=False)
    breaker.after_call(11, ok=False, trial=False)
    assert (breaker.state, breaker.opened_at_ms) == ("open", 11)
    breaker.after_call(12, ok=True, trial=False)  # a call from before the trip: ignored
    assert breaker.state == "open" and breaker.before_call(110) == "reject"
    assert breaker.before_call(111) == "execute" and breaker.state == "half_open" and breaker.trial_in_flight
    assert breaker.before_call(112) == "reject"
    breaker.cancel_trial()  # the pool turned the trial away
    assert breaker.before_call(113) == "execute" and breaker.trial_in_flight
    breaker.after_call(114, ok=False, trial=False)  # not the trial: ignored in half-open
    assert breaker.state == "half_open"
    breaker.after_call(150, ok=False, trial=True)
    assert (breaker.state, breaker.opened_at_ms, breaker.trial_in_flight) == ("open", 150, False)
    assert breaker.before_call(250) == "execute"
    breaker.after_call(260, ok=True, trial=True)
    assert (breaker.state, breaker.fail_counter) == ("closed", 0)
    assert [(t, a, b, r) for t, a, b, r in breaker.transitions] == [
        (11, "closed", "open", "fail_max"), (111, "open", "half_open", "reset_elapsed"),
        (150, "half_open", "open", "trial_failed"), (250, "open", "half_open", "reset_elapsed"),
        (260, "half_open", "closed", "trial_succeeded")]


def test_pool_takes_the_lowest_free_slot() -> None:
    pool = cb.Pool(3)
    assert pool.take(5, "B") and pool.take(6, "C") and pool.take(7, "B") and not pool.take(8, "C")
    pool.release(6)
    assert pool.take(9, "C") and pool.slots == [5, 9, 7] and pool.in_flight == {"B": 2, "C": 1}


def _requests(*rows: tuple[int, str, int]) -> list[dict[str, Any]]:
    return [{"id": i, "t_ms": t, "target": target, "healthy_latency_ms": lat}
            for i, (t, target, lat) in enumerate(rows)]


def test_equal_times_completions_first() -> None:
    p = {**DEFAULTS, "pool_size": 1}
    steps = cb.run_lane("no_breaker", _requests((0, "C", 50), (50, "C", 30), (50, "C", 30)), p)
    assert [(s["t_ms"], s["event"], s["req_id"]) for s in steps] == [
        (0, "start", 0), (50, "success", 0), (50, "start", 1), (50, "pool_reject", 2), (80, "success", 1)]


def test_hand_lane_trip_fast_fail_and_trial() -> None:
    p = {**DEFAULTS, "fail_max": 2, "reset_timeout_ms": 1000, "outage_ms": [0, 1500], "call_timeout_ms": 500}
    reqs = _requests((0, "B", 40), (10, "B", 40), (600, "B", 40), (1510, "B", 40), (1520, "B", 40), (1600, "C", 40))
    steps = cb.run_lane("breaker", reqs, p)
    got = [(s["t_ms"], s["event"], s["req_id"], s["trial"], s["transition"] and s["transition"]["to"]) for s in steps]
    assert got == [
        (0, "start", 0, False, None), (10, "start", 1, False, None), (500, "timeout", 0, False, None),
        (510, "timeout", 1, False, None), (510, "transition", 1, False, "open"), (600, "fast_fail", 2, False, None),
        (1510, "start", 3, True, None), (1510, "transition", 3, True, "half_open"),
        (1520, "fast_fail", 4, False, None), (1550, "success", 3, True, None),
        (1550, "transition", 3, True, "closed"), (1600, "start", 5, False, None), (1640, "success", 5, False, None)]
    assert steps[3]["breaker"]["fail_counter"] == 2 and steps[2]["breaker"]["fail_counter"] == 1
    assert steps[-3]["breaker"] == {"state": "closed", "fail_counter": 0, "opened_at_ms": 510, "trial_in_flight": False}


# ---------------------------------------------------------------- Little's law, the model's figures, the story
def test_littles_law_hand_numbers() -> None:
    hl = run_cached(7)["summary"]["highlights"]
    assert hl["outage_demand_slots"] == 20 * 0.5 * 2 == 20.0 > DEFAULTS["pool_size"]


@lru_cache(maxsize=None)
def hundred_seeds() -> list[dict[str, Any]]:
    return [cb.simulate(seed).summary for seed in range(100)]


def _mean_used(summary: dict[str, Any], lane: str, lo: int, hi: int) -> float:
    return float(np.mean([x["pool_used"] for x in summary["series"][lane] if lo <= x["t_ms"] <= hi]))


def test_independent_model_figures_over_100_seeds() -> None:
    runs = hundred_seeds()
    none_used = [_mean_used(s, "no_breaker", 8000, 26000) for s in runs]
    with_used = [_mean_used(s, "breaker", 10000, 26000) for s in runs]
    none_c = [s["lanes"]["no_breaker"]["c_success_rate_outage"] for s in runs]
    with_c = [s["lanes"]["breaker"]["c_success_rate_outage"] for s in runs]
    assert abs(np.mean(none_used) - 9.2) <= 0.3 and abs(np.mean(with_used) - 0.8) <= 0.3
    assert abs(np.mean(none_c) - 0.46) <= 0.04 and abs(np.mean(with_c) - 0.93) <= 0.03
    assert 0.25 <= min(none_c) and max(none_c) <= 0.65 and min(with_c) >= 0.85
    assert all(b - a >= 0.3 for a, b in zip(none_c, with_c))
    trips = [s["highlights"]["trip_t_ms"] for s in runs]
    assert all(8000 <= t <= 9500 for t in trips) and abs(np.mean(trips) - 8400) <= 250


def test_transition_pattern_over_100_seeds() -> None:
    import re

    for s in hundred_seeds():
        pattern = ",".join(m["to"] for m in s["transitions"])
        assert re.fullmatch(r"open(,half_open,open)*,half_open,closed", pattern), pattern
        assert s["transitions"][0]["reason"] == "fail_max"


def test_catalog_seed_story() -> None:
    entry = load_catalog().get(cb.ID)
    d = run(entry.seed, dict(entry.params))
    check_all(d)
    assert d["params"] == DEFAULTS, "catalog params = PARAMS defaults"
    hl, summary = d["summary"]["highlights"], d["summary"]
    assert 8000 <= hl["trip_t_ms"] <= 9500
    assert hl["failed_trials"] == 2 and [t["ok"] for t in hl["trials"]] == [False, False, True]
    assert hl["close_t_ms"] == hl["trials"][-1]["end_ms"] > DEFAULTS["outage_ms"][1]
    assert all(t["end_ms"] - t["start_ms"] == DEFAULTS["call_timeout_ms"] for t in hl["trials"][:2])
    no, yes = summary["lanes"]["no_breaker"], summary["lanes"]["breaker"]
    assert yes["c_success_rate_outage"] - no["c_success_rate_outage"] >= 0.3
    assert no["mean_pool_used_outage"] > 8 > 2 > yes["mean_pool_used_outage"]
    assert _mean_used(summary, "no_breaker", 8000, 26000) > 8.5 and _mean_used(summary, "breaker", 10000, 26000) < 1.5
    first_fast = summary["requests"][hl["first_fast_fail_req"]]
    assert first_fast["target"] == "B" and first_fast["t_ms"] >= hl["trip_t_ms"]
    assert len(cb.simulate(entry.seed, **entry.params).to_json()) < 1_000_000


def test_trace_contract() -> None:
    d = run_cached(7)
    assert {"schema_version", "id", "seed", "params", "steps", "summary"} == set(d)
    assert d["id"] == cb.ID == "circuit-breaker"
    assert set(d["summary"]) == {"requests", "series", "transitions", "lanes", "highlights"}
    assert set(d["steps"][0]) == {"lane", "t_ms", "seq", "event", "req_id", "target", "latency_ms", "trial",
                                  "transition", "slots", "pool_used", "in_flight_b", "in_flight_c", "breaker"}
    assert set(d["summary"]["series"]["breaker"][0]) == {"t_ms", "pool_used", "in_flight_b", "in_flight_c", "state",
                                                          "fail_counter", "c_ok_last_s", "c_rejected_last_s",
                                                          "b_fast_fail_last_s"}


# ---------------------------------------------------------------- determinism, isolation, parameters
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    code = ("import sys; from sims.circuit_breaker import simulate; "
            "sys.stdout.write(simulate(11, pool_size=7, fail_max=3).to_json())")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second == cb.simulate(11, pool_size=7, fail_max=3).to_json().encode()
    assert cb.simulate(12).to_json() != cb.simulate(11).to_json()


def test_import_does_not_pull_heavy_modules() -> None:
    code = ("import sys, sims.circuit_breaker; "
            "print(sorted(m for m in ('manim', 'pybreaker', 'freezegun', 'scipy') if m in sys.modules))")
    assert _in_subprocess(code, "0").strip() == b"[]"


@pytest.mark.parametrize("params, field", [
    ({"arrival_rate_per_s": -1e-9}, "arrival_rate_per_s"),
    ({"arrival_rate_per_s": 200 + 1e-9}, "arrival_rate_per_s"),
    ({"p_target_b": -1e-9}, "p_target_b"),
    ({"p_target_b": 1 + 1e-9}, "p_target_b"),
    ({"healthy_latency_ms": [0, 80]}, "healthy_latency_ms"),
    ({"healthy_latency_ms": [80, 30]}, "healthy_latency_ms"),
    ({"healthy_latency_ms": [30.0, 80]}, "healthy_latency_ms"),
    ({"outage_ms": [-1, 26000]}, "outage_ms"),
    ({"outage_ms": [6000]}, "outage_ms"),
    ({"call_timeout_ms": 0}, "call_timeout_ms"),
    ({"call_timeout_ms": 60_001}, "call_timeout_ms"),
    ({"pool_size": 0}, "pool_size"),
    ({"pool_size": 65}, "pool_size"),
    ({"fail_max": 0}, "fail_max"),
    ({"fail_max": 101}, "fail_max"),
    ({"reset_timeout_ms": 0}, "reset_timeout_ms"),
    ({"reset_timeout_ms": 600_001}, "reset_timeout_ms"),
    ({"sim_ms": 999}, "sim_ms"),
    ({"sim_ms": 600_001}, "sim_ms"),
    ({"sample_ms": 9}, "sample_ms"),
    ({"sample_ms": 10_001}, "sample_ms"),
    ({"call_timeout_ms": 80}, "healthy_latency_ms"),
    ({"outage_ms": [6000, 41_000]}, "outage_ms"),
    ({"arrival_rate_per_s": 60.0}, "arrival_rate_per_s"),
    ({"sample_ms": 10}, "sample_ms"),
    ({"pool_size": 10.0}, "pool_size"),
    ({"breaker": True}, "breaker"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        cb.simulate(0, **params)
    assert err.value.field == field


def test_negative_seed_is_a_param_error() -> None:
    with pytest.raises(ParamError) as err:
        cb.simulate(-1)
    assert err.value.field == "seed"


# ---------------------------------------------------------------- the scene's questions
def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py):
    Catalog's success share without a breaker (to the nearest ten percent, kept within 10-90), how long a
    call to Payments takes once the breaker is open, and when the breaker closes after the outage."""
    summary = trace["summary"]
    rate = summary["lanes"]["no_breaker"]["c_success_rate_outage"] or 0.0
    trip = summary["highlights"]["trip_t_ms"]
    fast = [s for s in trace["steps"] if s["lane"] == "breaker" and s["event"] == "fast_fail" and s["t_ms"] >= trip]
    assert fast and all(s["latency_ms"] == 0 for s in fast), "an open breaker answers at once"
    answers = [f"about {min(max(round(rate * 10) * 10, 10), 90)}%",
               f"{fast[0]['latency_ms']} ms: it fails fast with a fallback"]
    close = summary["highlights"]["close_t_ms"]
    if close is not None:
        answers.append(f"at {close / 1000:.1f} s, when a trial succeeds")
    return answers
