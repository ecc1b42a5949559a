"""Tests for sims.rate_limiting: storyboard invariants, transitions, hand cases, `limits` reference.

The invariant checks read the trace JSON and recompute what they need from the
requests and params alone, so they do not share code with the simulator.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sims import rate_limiting as rl
from sims.params import ParamError, resolve_params

ROOT = Path(__file__).resolve().parents[1]
LIMITERS = ("token_bucket", "fixed_window", "sliding_log", "sliding_counter")
WINDOWED = ("fixed_window", "sliding_counter")
DEFAULTS = {p.name: p.default for p in rl.PARAMS}
EPS = 1e-9

PROPERTY = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(min_value=0, max_value=2**32 - 1)


# --------------------------------------------------------------------------- strategies

@st.composite
def param_sets(draw: st.DrawFn, dyadic: bool = False) -> dict[str, Any]:
    """A valid, varied parameter set (small enough to check quickly)."""
    n = draw(st.sampled_from([1, 2, 4, 8, 16] if dyadic else [1, 2, 4, 8, 10, 16]))
    w = draw(st.integers(1, 12))
    edge = w * draw(st.integers(1, 3))
    over = edge + 2 + draw(st.integers(0, 10))
    dur = over + draw(st.integers(0, 12))
    slots = [s for s in range(0, (dur - 1) * n + 1) if s + n <= (edge - w) * n or s >= (edge + 2) * n]
    if not slots:
        dur += 1
        slots = [(edge + 2) * n]
    return {
        "tick_s": 1.0 / n, "window_s": w, "edge_s": edge, "overload_from_s": over, "duration_s": dur,
        "burst_at_s": draw(st.sampled_from(slots)) / n,
        "limit": draw(st.integers(1, 12)),
        "bucket_capacity": draw(st.integers(1, 16)),
        "refill_per_s": draw(st.sampled_from([0.0, 0.3, 0.5, 1.0, 2.0]) | st.floats(0.0, 4.0)),
        "background_rate": draw(st.floats(0.0, 3.0)),
        "overload_rate": draw(st.floats(0.0, 5.0)),
        "burst_size": draw(st.integers(0, 20)),
        "edge_burst_each": draw(st.integers(0, 12)),
    }


any_params = st.one_of(st.just({}), param_sets())


def run(seed: int, params: dict[str, Any]) -> dict[str, Any]:
    return json.loads(rl.simulate(seed, **params).to_json())


# --------------------------------------------------------------------------- independent helpers

def grid(trace: dict[str, Any]) -> tuple[int, int]:
    """(ticks per second, ticks per window) from the echoed params."""
    n = round(1 / trace["params"]["tick_s"])
    return n, trace["params"]["window_s"] * n


def admit_ticks(trace: dict[str, Any], name: str) -> list[int]:
    tick_of = {r["id"]: r["tick"] for r in trace["requests"]}
    return sorted(tick_of[i] for s in trace["steps"] for i in s[name]["admitted"])


def most_in_span(ticks: list[int], width: int) -> int:
    arr = np.asarray(ticks)
    if not len(arr):
        return 0
    return int((np.searchsorted(arr, arr + width, side="right") - np.arange(len(arr))).max())


def admit_pairs(ticks: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every pair i <= j of sorted admits: count j-i+1, and both ticks."""
    arr = np.asarray(ticks, dtype=np.int64)
    i, j = np.triu_indices(len(arr))
    return j - i + 1, arr[i], arr[j]


# --------------------------------------------------------------------------- invariant checks

def check_bookkeeping(trace: dict[str, Any]) -> None:
    n, _ = grid(trace)
    reqs = trace["requests"]
    assert [r["id"] for r in reqs] == list(range(len(reqs)))
    assert [(r["tick"], r["id"]) for r in reqs] == sorted((r["tick"], r["id"]) for r in reqs)
    assert all(r["t"] == r["tick"] / n for r in reqs)
    steps = trace["steps"]
    assert [s["tick"] for s in steps] == list(range(trace["params"]["duration_s"] * n))
    by_tick: dict[int, list[int]] = {}
    for r in reqs:
        by_tick.setdefault(r["tick"], []).append(r["id"])
    for name in LIMITERS:
        seen: list[int] = []
        admitted = rejected = 0
        for s in steps:
            rec = s[name]
            assert s["arrivals"] == by_tick.get(s["tick"], [])
            assert s["event"] == ("arrivals" if s["arrivals"] else "idle")
            assert rec["admitted"] + rec["rejected"] == s["arrivals"]
            seen += rec["admitted"] + rec["rejected"]
            admitted, rejected = admitted + len(rec["admitted"]), rejected + len(rec["rejected"])
            assert s["totals"][name] == [admitted, rejected]
        assert sorted(seen) == list(range(len(reqs)))
        assert trace["summary"][name]["admitted"] == admitted
        assert trace["summary"][name]["rejected"] == rejected


def check_token_bucket(trace: dict[str, Any]) -> None:
    p = trace["params"]
    cap, refill = p["bucket_capacity"], p["refill_per_s"] * p["tick_s"]
    tokens = float(cap)
    for s in trace["steps"]:
        rec = s["token_bucket"]
        assert rec["tokens_before"] == pytest.approx(min(cap, tokens + refill), abs=EPS)
        assert 0 <= rec["tokens"] <= cap
        assert rec["tokens"] == rec["tokens_before"] - len(rec["admitted"])
        if rec["rejected"]:
            assert rec["tokens"] < 1
        tokens = rec["tokens"]


def check_token_bucket_bound(trace: dict[str, Any]) -> None:
    p = trace["params"]
    n, _ = grid(trace)
    count, first, last = admit_pairs(admit_ticks(trace, "token_bucket"))
    assert np.all(count <= p["bucket_capacity"] + p["refill_per_s"] * (last - first) / n + EPS)


def check_fixed_window(trace: dict[str, Any]) -> None:
    limit = trace["params"]["limit"]
    _, wt = grid(trace)
    per_window: dict[int, int] = {}
    for s in trace["steps"]:
        rec, k = s["fixed_window"], s["tick"] // wt
        per_window[k] = per_window.get(k, 0) + len(rec["admitted"])
        assert rec["window"] == k and rec["count"] == per_window[k]
        if rec["rejected"]:
            assert per_window[k] == limit
    assert max(per_window.values(), default=0) <= limit
    assert most_in_span(admit_ticks(trace, "fixed_window"), wt) <= 2 * limit


def check_sliding_log(trace: dict[str, Any]) -> None:
    limit = trace["params"]["limit"]
    _, wt = grid(trace)
    ticks = admit_ticks(trace, "sliding_log")
    assert most_in_span(ticks, wt) <= limit
    assert trace["summary"]["sliding_log"]["max_in_any_window"] == most_in_span(ticks, wt)
    arr = np.asarray(ticks, dtype=np.int64)
    times = sorted(r["t"] for r in trace["requests"]
                   if r["id"] in {i for s in trace["steps"] for i in s["sliding_log"]["admitted"]})
    for s in trace["steps"]:
        rec = s["sliding_log"]
        inside = (arr >= s["tick"] - wt) & (arr <= s["tick"])
        assert rec["log"] == [t for t, keep in zip(times, inside) if keep]
        if rec["rejected"]:
            assert int(inside.sum()) == len(rec["log"]) == limit


def check_sliding_counter(trace: dict[str, Any]) -> None:
    limit = trace["params"]["limit"]
    _, wt = grid(trace)
    per_window: dict[int, int] = {}
    for s in trace["steps"]:
        rec, k = s["sliding_counter"], s["tick"] // wt
        weight = Fraction(wt - (s["tick"] - k * wt), wt)
        assert 0 < rec["weight"] <= 1 and rec["weight"] == pytest.approx(float(weight), abs=EPS)
        prev, start = per_window.get(k - 1, 0), per_window.get(k, 0)
        assert rec["window"] == k and rec["prev_count"] == prev
        for j, _ in enumerate(rec["admitted"]):
            assert prev * weight + start + j < limit
        for _ in rec["rejected"]:
            assert prev * weight + start + len(rec["admitted"]) >= limit
        per_window[k] = start + len(rec["admitted"])
        assert rec["cur_count"] == per_window[k]
        assert rec["estimate"] == pytest.approx(float(prev * weight + per_window[k]), abs=EPS)
    assert max(per_window.values(), default=0) <= limit


def check_long_run_ceiling(trace: dict[str, Any]) -> None:
    limit = trace["params"]["limit"]
    _, wt = grid(trace)
    count, first, last = admit_pairs(admit_ticks(trace, "sliding_log"))
    assert np.all(count <= limit * ((last - first) // wt + 1))
    for name in WINDOWED:
        count, first, last = admit_pairs(admit_ticks(trace, name))
        assert np.all(count <= limit * (last // wt - first // wt + 1))


def check_summary(trace: dict[str, Any]) -> None:
    _, wt = grid(trace)
    kind = {r["id"]: r["kind"] for r in trace["requests"]}
    for name in LIMITERS:
        ids = [i for s in trace["steps"] for i in s[name]["admitted"]]
        summ = trace["summary"][name]
        assert summ["max_in_any_window"] == most_in_span(admit_ticks(trace, name), wt)
        assert summ["edge_admitted"] == sum(kind[i] == "edge" for i in ids)
        assert summ["burst_admitted"] == sum(kind[i] == "burst" for i in ids)
    held = max((len(s["sliding_log"]["log"]) for s in trace["steps"]), default=0)
    assert [trace["summary"][name]["state_numbers_max"] for name in LIMITERS] == [2, 2, held, 3]


def check_stream(trace: dict[str, Any]) -> None:
    p = trace["params"]
    n, w, edge = round(1 / p["tick_s"]), p["window_s"], p["edge_s"]
    kinds: dict[str, list[int]] = {}
    for r in trace["requests"]:
        kinds.setdefault(r["kind"], []).append(r["tick"])
    assert all(t < (edge - w) * n or t >= (edge + 2) * n for t in kinds.get("background", []))
    assert all(t < p["overload_from_s"] * n for t in kinds.get("background", []))
    start = round(p["burst_at_s"] * n)
    assert len(kinds.get("burst", [])) == p["burst_size"]
    assert all(start <= t < start + n for t in kinds.get("burst", []))
    edges = kinds.get("edge", [])
    assert sum((edge - 1) * n <= t < edge * n for t in edges) == p["edge_burst_each"]
    assert sum(edge * n <= t < (edge + 1) * n for t in edges) == p["edge_burst_each"]
    assert all(p["overload_from_s"] * n <= t < p["duration_s"] * n for t in kinds.get("overload", []))
    assert trace["windows"] == [float(k) for k in range(0, p["duration_s"], w)]
    if p["edge_burst_each"] <= p["limit"]:
        assert trace["summary"]["fixed_window"]["edge_admitted"] == 2 * p["edge_burst_each"]


# --------------------------------------------------------------------------- invariants 1-8

INVARIANTS = {
    "1 bookkeeping": check_bookkeeping,
    "2 token bucket level": check_token_bucket,
    "3 token bucket burst bound": check_token_bucket_bound,
    "4 fixed window": check_fixed_window,
    "5 sliding log": check_sliding_log,
    "6 sliding counter": check_sliding_counter,
    "7 long-run ceiling": check_long_run_ceiling,
    "summary fields": check_summary,
    "stream layout": check_stream,
}


@PROPERTY
@given(seed=seeds, params=any_params)
def test_invariants_1_to_7(seed: int, params: dict[str, Any]) -> None:
    """Every check on one trace per example: 200 examples each, and the module stays under a minute."""
    trace = run(seed, params)
    for label, check in INVARIANTS.items():
        try:
            check(trace)
        except AssertionError as err:
            err.add_note(f"invariant {label}; seed={seed} params={params}")
            raise


@functools.lru_cache(maxsize=None)
def default_trace(seed: int) -> dict[str, Any]:
    return run(seed, {})


@pytest.mark.parametrize("label", list(INVARIANTS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_invariant_on_defaults(label: str, seed: int) -> None:
    INVARIANTS[label](default_trace(seed))


@PROPERTY
@given(seed=seeds, params=any_params, limit=st.integers(1, 64), capacity=st.integers(1, 64),
       refill=st.floats(0.0, 64.0))
def test_invariant_8_determinism_and_fairness(
    seed: int, params: dict[str, Any], limit: int, capacity: int, refill: float
) -> None:
    first = rl.simulate(seed, **params)
    assert rl.simulate(seed, **params).to_json() == first.to_json()
    limiters_only = {"limit": limit, "bucket_capacity": capacity, "refill_per_s": refill}
    other = rl.simulate(seed, **{**params, **limiters_only})
    assert json.dumps(other.extra["requests"]) == json.dumps(first.extra["requests"])


def test_same_seed_same_bytes_across_processes() -> None:
    code = ("import sys; from sims.rate_limiting import simulate; "
            "sys.stdout.write(simulate(7, tick_s=0.1, refill_per_s=0.3, limit=5).to_json()); "
            "sys.stdout.write(simulate(2024).to_json())")
    outs = [subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                           env={**os.environ, "PYTHONHASHSEED": hash_seed}).stdout
            for hash_seed in ("1", "2")]
    assert outs[0] == outs[1] and len(outs[0]) > 10_000
    assert outs[0].decode().endswith(rl.simulate(2024).to_json())


# --------------------------------------------------------------------------- transitions on their own

def test_token_bucket_tick_refills_to_capacity_and_admits_while_a_token_is_left() -> None:
    state, rec = rl.token_bucket_tick(rl.BucketState(7.5), [1, 2], capacity=8, refill=1.0)
    assert rec == {"tokens_before": 8.0, "tokens": 6.0, "admitted": [1, 2], "rejected": []}
    assert state == rl.BucketState(6.0)
    state, rec = rl.token_bucket_tick(rl.BucketState(1.5), [3, 4, 5], capacity=8, refill=0.25)
    assert rec == {"tokens_before": 1.75, "tokens": 0.75, "admitted": [3], "rejected": [4, 5]}
    state, rec = rl.token_bucket_tick(rl.BucketState(0.875), [6], capacity=8, refill=0.0)
    assert rec["admitted"] == [] and rec["rejected"] == [6] and state.tokens == 0.875
    state, rec = rl.token_bucket_tick(rl.BucketState(0.875), [], capacity=8, refill=0.125)
    assert rec["tokens_before"] == rec["tokens"] == 1.0 and isinstance(rec["tokens"], float)


def test_fixed_window_tick_counts_per_aligned_window_and_resets_at_the_edge() -> None:
    state, rec = rl.fixed_window_tick(rl.FixedWindowState(0, 3), 10, [1, 2, 3], limit=4, window_ticks=64)
    assert rec == {"window": 0, "count": 4, "admitted": [1], "rejected": [2, 3]}
    state, rec = rl.fixed_window_tick(state, 63, [4], limit=4, window_ticks=64)
    assert rec["rejected"] == [4] and state == rl.FixedWindowState(0, 4)
    state, rec = rl.fixed_window_tick(state, 64, [5, 6], limit=4, window_ticks=64)
    assert rec == {"window": 1, "count": 2, "admitted": [5, 6], "rejected": []}
    state, rec = rl.fixed_window_tick(state, 200, [], limit=4, window_ticks=64)
    assert state == rl.FixedWindowState(3, 0) and rec["count"] == 0


def test_sliding_log_tick_keeps_an_entry_at_exactly_t_minus_w() -> None:
    full = rl.SlidingLogState((0, 8, 16), (0.0, 1.0, 2.0))
    state, rec = rl.sliding_log_tick(full, 64, 8.0, [7], limit=3, window_ticks=64)
    assert rec == {"log": [0.0, 1.0, 2.0], "admitted": [], "rejected": [7]} and state == full
    state, rec = rl.sliding_log_tick(full, 65, 8.125, [8, 9], limit=3, window_ticks=64)
    assert rec == {"log": [1.0, 2.0, 8.125], "admitted": [8], "rejected": [9]}
    assert state == rl.SlidingLogState((8, 16, 65), (1.0, 2.0, 8.125))
    state, rec = rl.sliding_log_tick(state, 200, 25.0, [], limit=3, window_ticks=64)
    assert rec["log"] == [] and state == rl.SlidingLogState((), ())


def test_sliding_counter_tick_weights_the_previous_window() -> None:
    # window 1 starts: the 5 of window 0 carry over with weight 1 at the edge
    state, rec = rl.sliding_counter_tick(rl.SlidingCounterState(0, 2, 5), 64, [1], limit=6, window_ticks=64)
    assert (rec["prev_count"], rec["cur_count"], rec["weight"], rec["estimate"]) == (5, 1, 1.0, 6.0)
    assert rec["estimate_before"] == 5.0 and rec["admitted"] == [1]
    # a quarter into window 1: 5*0.75 + 1 = 4.75 -> admits 2 (4.75, 5.75), the third sees 6.75
    state, rec = rl.sliding_counter_tick(state, 80, [2, 3, 4], limit=6, window_ticks=64)
    assert rec["weight"] == 0.75 and rec["admitted"] == [2, 3] and rec["rejected"] == [4]
    assert state == rl.SlidingCounterState(1, 5, 3) and rec["estimate"] == 6.75
    # a tie (estimate exactly L) rejects
    state, rec = rl.sliding_counter_tick(rl.SlidingCounterState(1, 4, 0), 96, [5], limit=2, window_ticks=64)
    assert rec["estimate"] == 2.0 and rec["rejected"] == [5]
    # a skipped window forgets everything
    state, rec = rl.sliding_counter_tick(rl.SlidingCounterState(1, 4, 4), 200, [6], limit=2, window_ticks=64)
    assert (rec["window"], rec["prev_count"], rec["cur_count"]) == (3, 0, 1)


def test_max_in_window_uses_closed_intervals() -> None:
    assert rl.max_in_window([0, 8, 8, 16, 17], 8) == (3, 0)
    assert rl.max_in_window([0, 9, 17], 8) == (2, 9)
    assert rl.max_in_window([], 8) == (0, 0)


# --------------------------------------------------------------------------- hand cases

def stream(times: list[float], tick_s: float = 0.125) -> list[dict[str, Any]]:
    return [{"id": i, "tick": round(t / tick_s), "t": t, "kind": "background"} for i, t in enumerate(times)]


def flags(steps: list[dict[str, Any]], name: str, count: int) -> list[int]:
    admitted = {i for s in steps for i in s[name]["admitted"]}
    return [int(i in admitted) for i in range(count)]


def test_hand_case_a_token_bucket() -> None:
    p = resolve_params(rl.PARAMS, {"bucket_capacity": 4, "refill_per_s": 1.0}, rl.check_params)
    steps = rl.run_limiters(stream([0.0] * 6 + [0.5, 1.0, 1.5, 2.0]), p)
    assert flags(steps, "token_bucket", 10) == [1, 1, 1, 1, 0, 0, 0, 1, 0, 1]


HAND_B = {"limit": 4, "window_s": 8, "bucket_capacity": 4, "refill_per_s": 0.5}
HAND_B_TIMES = [7.5] * 4 + [8.0] * 4 + [10.0] * 2
HAND_B_FLAGS = {
    "fixed_window": [1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
    "sliding_log": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
    "sliding_counter": [1, 1, 1, 1, 0, 0, 0, 0, 1, 0],
    "token_bucket": [1, 1, 1, 1, 0, 0, 0, 0, 1, 0],
}


def test_hand_case_b_all_four() -> None:
    p = resolve_params(rl.PARAMS, HAND_B, rl.check_params)
    steps = rl.run_limiters(stream(HAND_B_TIMES), p)
    assert {name: flags(steps, name, 10) for name in LIMITERS} == HAND_B_FLAGS
    at_10 = steps[80]
    assert at_10["sliding_counter"]["estimate_before"] == 3.0
    assert at_10["token_bucket"]["tokens_before"] == 1.25


# --------------------------------------------------------------------------- `limits` reference

def limits_flags(requests: list[dict[str, Any]], limit: int, window_s: int, n: int) -> dict[str, list[int]]:
    """Admitted flags from limits 5.8.0, driven on a patched clock (storyboard, reference checks)."""
    from limits import RateLimitItemPerSecond
    from limits.storage import MemoryStorage
    from limits.strategies import (FixedWindowRateLimiter, MovingWindowRateLimiter,
                                   SlidingWindowCounterRateLimiter)

    t0 = window_s * 1_000_000
    now = [float(t0)]
    out: dict[str, list[int]] = {name: [] for name in ("fixed_window", "sliding_log", "sliding_counter")}
    with mock.patch.object(MemoryStorage, "_MemoryStorage__expire_events", lambda self: None), \
            mock.patch("time.time", lambda: now[0]):
        item = RateLimitItemPerSecond(limit, window_s)
        moving = MovingWindowRateLimiter(MemoryStorage())
        counter = SlidingWindowCounterRateLimiter(MemoryStorage())
        fixed = FixedWindowRateLimiter(MemoryStorage())
        for req in sorted(requests, key=lambda r: (r["tick"], r["id"])):
            now[0] = t0 + req["t"]
            out["sliding_log"].append(int(moving.hit(item)))
            out["sliding_counter"].append(int(counter.hit(item)))
            out["fixed_window"].append(int(fixed.hit(item, str(req["tick"] // (window_s * n)))))
    return out


def counter_estimates(trace: dict[str, Any]) -> dict[int, Fraction]:
    """Exact sliding-counter estimate just before each request (from the trace's counts)."""
    _, wt = grid(trace)
    out: dict[int, Fraction] = {}
    for s in trace["steps"]:
        rec = s["sliding_counter"]
        weight = Fraction(wt - s["tick"] % wt, wt)
        start = rec["cur_count"] - len(rec["admitted"])
        for j, rid in enumerate(rec["admitted"] + rec["rejected"]):
            out[rid] = rec["prev_count"] * weight + start + min(j, len(rec["admitted"]))
    return out


def assert_matches_limits(trace: dict[str, Any]) -> None:
    p = trace["params"]
    n, _ = grid(trace)
    reqs = trace["requests"]
    ref = limits_flags(reqs, p["limit"], p["window_s"], n)
    ours = {name: flags(trace["steps"], name, len(reqs)) for name in ref}
    assert ours["fixed_window"] == ref["fixed_window"]
    assert ours["sliding_log"] == ref["sliding_log"]
    w = p["window_s"]
    if w & (w - 1) == 0:  # power of two: every weight is exact in binary floating point
        assert ours["sliding_counter"] == ref["sliding_counter"]
        return
    # Otherwise limits' float weighting may go either way at an exact tie (estimate == L), after which its
    # counts differ from ours. So every request is compared with an exact (Fraction) replay of the counter
    # rule, written here, and with limits up to the first tie limits decides the other way.
    assert ours["sliding_counter"] == exact_counter_flags(reqs, p["limit"], p["window_s"], n)
    estimates = counter_estimates(trace)
    for rid, (mine, theirs) in enumerate(zip(ours["sliding_counter"], ref["sliding_counter"])):
        if mine != theirs:
            assert estimates[rid] == p["limit"], f"request {rid}: differs from limits away from a tie"
            break


def exact_counter_flags(requests: list[dict[str, Any]], limit: int, window_s: int, n: int) -> list[int]:
    """The sliding-window counter replayed with exact fractions from the requests alone: admit iff
    previous count x (time left in the window / W) + current count < L."""
    wt = window_s * n
    counts: dict[int, int] = {}
    out = []
    for r in requests:
        k = r["tick"] // wt
        estimate = counts.get(k - 1, 0) * Fraction(wt - r["tick"] % wt, wt) + counts.get(k, 0)
        admit = estimate < limit
        counts[k] = counts.get(k, 0) + admit
        out.append(int(admit))
    return out


def test_limits_reference_defaults() -> None:
    assert_matches_limits(run(0, {}))


def test_limits_reference_hand_case_b() -> None:
    ref = limits_flags(stream(HAND_B_TIMES), 4, 8, 8)
    assert ref == {name: HAND_B_FLAGS[name] for name in ref}


@settings(max_examples=60, deadline=None, database=None)
@given(seed=seeds)
def test_limits_reference_default_params_many_seeds(seed: int) -> None:
    assert_matches_limits(run(seed, {}))


@settings(max_examples=60, deadline=None, database=None)
@given(seed=seeds, params=param_sets(dyadic=True))
def test_limits_reference_drawn_params(seed: int, params: dict[str, Any]) -> None:
    assert_matches_limits(run(seed, params))


# --------------------------------------------------------------------------- defaults

@settings(max_examples=150, deadline=None, database=None)
@given(seed=seeds)
def test_defaults_headline_numbers(seed: int) -> None:
    summary = rl.simulate(seed).summary
    assert summary["fixed_window"]["edge_admitted"] == 16
    assert summary["sliding_log"]["max_in_any_window"] <= 8
    assert summary["token_bucket"]["max_in_any_window"] <= 16


def test_defaults_shape() -> None:
    trace = rl.simulate(0)
    assert trace.id == rl.ID == "rate-limiting"
    assert len(trace.steps) == 384 and trace.params == DEFAULTS
    assert trace.extra["windows"] == [0.0, 8.0, 16.0, 24.0, 32.0, 40.0]
    assert trace.extra["segments"]["edge"] == [23.0, 25.0]


# --------------------------------------------------------------------------- params and purity

def test_param_error_unknown_key() -> None:
    with pytest.raises(ParamError) as err:
        rl.simulate(0, bogus=1)
    assert err.value.field == "bogus"


@pytest.mark.parametrize("key, value", [("limit", "8"), ("window_s", 8.0), ("tick_s", "fast"),
                                        ("burst_size", True)])
def test_param_error_wrong_type(key: str, value: Any) -> None:
    with pytest.raises(ParamError) as err:
        rl.simulate(0, **{key: value})
    assert err.value.field == key


@pytest.mark.parametrize("key, value", [("limit", 0), ("window_s", 61), ("refill_per_s", -0.5),
                                        ("tick_s", 2.0), ("duration_s", 601), ("overload_rate", 11.0)])
def test_param_error_out_of_range(key: str, value: Any) -> None:
    with pytest.raises(ParamError) as err:
        rl.simulate(0, **{key: value})
    assert err.value.field == key


@pytest.mark.parametrize("params, field", [
    ({"tick_s": 0.3}, "tick_s"),
    ({"edge_s": 20}, "edge_s"),
    ({"duration_s": 600}, "duration_s"),
    ({"overload_from_s": 25}, "overload_from_s"),
    ({"overload_from_s": 50}, "overload_from_s"),
    ({"burst_at_s": 4.1}, "burst_at_s"),
    ({"burst_at_s": 16.5}, "burst_at_s"),
    ({"burst_at_s": 47.5}, "burst_at_s"),
])
def test_param_error_cross_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        rl.simulate(0, **params)
    assert err.value.field == field


def test_negative_seed_is_a_param_error() -> None:
    with pytest.raises(ParamError) as err:
        rl.simulate(-1)
    assert err.value.field == "seed"


def test_import_does_not_pull_in_manim() -> None:
    code = "import sys, sims.rate_limiting; assert 'manim' not in sys.modules, 'manim imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --------------------------------------------------------------------------- the scene's checkpoints
def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py)."""
    p, s = trace["params"], trace["summary"]
    rejected_when_full = any(st["fixed_window"]["rejected"] and st["fixed_window"]["count"] == p["limit"]
                             for st in trace["steps"])
    assert rejected_when_full, "the fixed window rejects once its counter is at the limit"
    names = {"token_bucket": "token bucket", "fixed_window": "fixed window", "sliding_log": "sliding log",
             "sliding_counter": "sliding counter"}
    holders = [x for x in rl.LIMITERS if s[x]["max_in_any_window"] <= p["limit"]]
    worst = names[holders[0]] if len(holders) == 1 else str(s["fixed_window"]["max_in_any_window"])
    return ["it is rejected", worst]
