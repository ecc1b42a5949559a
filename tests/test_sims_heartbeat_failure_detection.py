"""Tests for sims.heartbeat_failure_detection: invariants checked from the trace JSON alone, phi
against SciPy, the hand case, the catalog story, the rules, determinism and parameter errors."""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
from bisect import bisect_right
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.stats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.catalog import load_catalog
from sims import heartbeat_failure_detection as hb
from sims.params import ParamError, resolve_params

ROOT = Path(__file__).resolve().parents[1]
PROPERTY = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
EVENTS = {"crash", "stall_start", "stall_end", "suspect", "clear", "arrival", "idle"}
TOL = 1e-9
HAND = {"n_nodes": 1, "base_delay_s": 0.0, "jitter_mean_s": [0.0], "profile_labels": ["hand"], "stall_node": 0,
        "stall_at_s": 4.5, "stall_s": 1.7, "crash_node": 0, "crash_at_s": 8.5, "timeouts_s": [1.5, 3.0],
        "duration_s": 14.0}


@lru_cache(maxsize=16)
def run_json(seed: int, params_json: str = "{}") -> dict[str, Any]:
    return json.loads(hb.simulate(seed, **json.loads(params_json)).to_json())


def fresh(seed: int, **params: Any) -> dict[str, Any]:
    return copy.deepcopy(run_json(seed, json.dumps(params, sort_keys=True)))


def hand_case() -> dict[str, Any]:
    """The storyboard's hand case: one node, phase 0, no jitter (observe with a pinned phase)."""
    p = resolve_params(hb.PARAMS, HAND, hb.check_params)
    parts = hb.observe(p, [0.0], np.random.default_rng(0))
    return json.loads(json.dumps({"params": p, **parts}))


# ---------------------------------------------------------------- independent helpers (JSON only)
def arrivals_of(data: dict[str, Any]) -> list[list[float]]:
    out: list[list[float]] = [[] for _ in data["nodes"]]
    for b in data["heartbeats"]:
        out[b["node"]].append(b["arrive_t"])
    return out


def timeouts(data: dict[str, Any]) -> dict[str, float]:
    return dict(zip(data["detectors"][:-1], data["params"]["timeouts_s"]))


def models_of(data: dict[str, Any]) -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = [[] for _ in data["nodes"]]
    for m in data["phi_model"]:
        out[m["node"]].append(m)
    return out


def clipped_mistakes(data: dict[str, Any], detector: str, node: int | None = None) -> tuple[int, float]:
    dur = data["params"]["duration_s"]
    spans = [min(s["end"], dur) - s["start"] for s in data["suspicions"] if s["detector"] == detector
             and s["mistake"] and s["start"] < dur and (node is None or s["node"] == node)]
    return len(spans), math.fsum(spans)


# ---------------------------------------------------------------- checkers, one per invariant
def check_heartbeats(data: dict[str, Any]) -> None:
    """Invariant 6, plus: sorted by arrival, phases in range, live nodes heard past the run."""
    p = data["params"]
    interval, base, dur = p["interval_s"], p["base_delay_s"], p["duration_s"]
    beats = data["heartbeats"]
    assert [b["arrive_t"] for b in beats] == sorted(b["arrive_t"] for b in beats)
    stall, crash = data["stall"], data["crash"]
    for node in range(p["n_nodes"]):
        mine = sorted((b for b in beats if b["node"] == node), key=lambda b: b["seq"])
        assert [b["seq"] for b in mine] == list(range(len(mine)))
        sends = [b["send_t"] for b in mine]
        assert 0 <= data["phases"][node] < interval
        for b in mine:
            assert b["arrive_t"] >= b["send_t"] + base
            if stall and stall["node"] == node:
                assert not stall["start"] <= b["send_t"] < stall["end"], "a send during the stall"
        merged = stall["end"] if stall and stall["node"] == node else None
        for a, b in zip(sends, sends[1:]):
            if merged is not None and (b == merged or a == merged):
                assert 0 < b - a <= interval + TOL or (a < stall["start"] and b == merged)
            else:
                assert abs(b - a - interval) <= TOL * max(1.0, b), f"N{node + 1}: sends {a} and {b}"
        if crash and crash["node"] == node:
            assert all(s < crash["t"] for s in sends) and sends and sends[-1] >= crash["t"] - interval - TOL
        else:
            assert sends[-1] >= dur, "a live node must be heard past the run"


def check_timeout_rule(data: dict[str, Any]) -> None:
    """Invariant 1 (elapsed recomputed from the heartbeats)."""
    arrivals = [sorted(a) for a in arrivals_of(data)]
    limits = timeouts(data)
    for step in data["steps"]:
        t = step["t"]
        for node, state in enumerate(step["nodes"]):
            j = bisect_right(arrivals[node], t) - 1
            if j < 0:
                assert state["elapsed"] is None and not any(state["suspected"].values()) and state["phi"] == 0.0
                continue
            assert state["last_arrival"] == arrivals[node][j] and state["elapsed"] == t - arrivals[node][j]
            for name, limit in limits.items():
                assert state["suspected"][name] == (state["elapsed"] > limit), f"t={t} N{node + 1} {name}"


def check_nesting(data: dict[str, Any]) -> None:
    """Invariant 2."""
    names = data["detectors"][:-1]
    for step in data["steps"]:
        for state in step["nodes"]:
            flags = [state["suspected"][n] for n in names]
            assert all(a or not b for a, b in zip(flags, flags[1:])), f"nesting broken at t={step['t']}"
    for short, long in zip(names, names[1:]):
        for node in range(len(data["nodes"])):
            a, b = clipped_mistakes(data, short, node), clipped_mistakes(data, long, node)
            assert b[0] <= a[0] and b[1] <= a[1] + 1e-12


def check_completeness(data: dict[str, Any]) -> None:
    """Invariant 3 and the suspicion list recomputed exactly from the arrivals."""
    crash, arrivals, dur = data["crash"], arrivals_of(data), data["params"]["duration_s"]
    models = models_of(data)
    limits = timeouts(data)
    for name in data["detectors"]:
        open_ = [s for s in data["suspicions"] if s["detector"] == name and s["end"] is None]
        if crash is None:
            assert open_ == []
            continue
        assert len(open_) == 1 and open_[0]["node"] == crash["node"]
        last = max(arrivals[crash["node"]])
        if name in limits:
            assert open_[0]["start"] == last + limits[name]
        else:
            assert open_[0]["start"] == last + max(models[crash["node"]][-1]["threshold_elapsed"], 0.0)
        for step in data["steps"]:
            flag = step["nodes"][crash["node"]]["suspected"][name]
            if name in limits and step["t"] > open_[0]["start"]:
                assert flag, f"{name}: crashed node not suspected at t={step['t']}"
            if name not in limits and step["t"] >= open_[0]["start"] + TOL:
                assert flag, f"{name}: crashed node not suspected at t={step['t']}"
    for node, times in enumerate(arrivals):
        for name in data["detectors"]:
            thresholds = [limits[name]] * len(times) if name in limits else \
                [max(m["threshold_elapsed"], 0.0) for m in models[node]]
            expected = []
            for j, t in enumerate(times):
                nxt = times[j + 1] if j + 1 < len(times) else None
                start = t + thresholds[j]
                if (nxt is None or start < nxt) and ((start < dur and nxt is not None) or
                                                     (nxt is None and crash and crash["node"] == node)):
                    expected.append([start, nxt])
            got = [[s["start"], s["end"]] for s in data["suspicions"] if s["node"] == node and s["detector"] == name]
            assert got == expected, f"N{node + 1} {name}: suspicions differ"


def check_detection(data: dict[str, Any]) -> None:
    """Invariant 4, and every metric recomputed from the suspicions."""
    crash, p = data["crash"], data["params"]
    for name in data["detectors"]:
        metric = data["metrics"][name]
        assert (metric["false_suspicions"], metric["mistake_s"]) == clipped_mistakes(data, name)
        for node, row in enumerate(metric["per_node"]):
            assert (row["false_suspicions"], row["mistake_s"]) == clipped_mistakes(data, name, node)
        if crash is None:
            assert metric["detection_time_s"] is None
            continue
        final = next(s for s in data["suspicions"] if s["detector"] == name and s["end"] is None)
        assert metric["detection_time_s"] == final["start"] - crash["t"]
        assert data["beats"]["detections"][name] == final["start"]
    if crash is not None:
        mine = [b for b in data["heartbeats"] if b["node"] == crash["node"]]
        last = max(b["arrive_t"] for b in mine)
        biggest = max(b["arrive_t"] - b["send_t"] for b in mine)
        for name, limit in timeouts(data).items():
            detect = data["metrics"][name]["detection_time_s"]
            assert detect == last + limit - crash["t"]
            assert limit - p["interval_s"] - TOL <= detect <= limit + biggest + TOL
    assert data["summary"] == data["metrics"]


def check_phi(data: dict[str, Any]) -> None:
    """Invariant 5, the fitted models recomputed, and phi against SciPy's normal tail."""
    p = data["params"]
    name, thr, cap = data["detectors"][-1], p["phi_threshold"], p["phi_cap"]
    arrivals, models = arrivals_of(data), models_of(data)
    for node, times in enumerate(arrivals):
        assert [m["t"] for m in models[node]] == times
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert data["intervals"][node] == gaps
        fitted = []
        for j, m in enumerate(models[node]):
            lo, hi = m["window"]
            if j < 2:  # fewer than two intervals: the defaults
                assert (m["mean"], m["std"], lo, hi) == (p["interval_s"], p["interval_s"] / 4, j, j)
            else:
                assert (lo, hi) == (max(0, j - p["phi_window"]), j)
                fitted.append(m)
        if fitted:
            width = max(m["window"][1] - m["window"][0] for m in fitted)
            rows = np.full((len(fitted), width), np.nan)
            for r, m in enumerate(fitted):
                lo, hi = m["window"]
                rows[r, :hi - lo] = gaps[lo:hi]
            mean = np.array([m["mean"] for m in fitted])
            std = np.array([m["std"] for m in fitted])
            assert np.allclose(mean, np.nanmean(rows, axis=1), rtol=1e-12, atol=1e-12)
            assert np.allclose(std, np.maximum(np.nanstd(rows, axis=1), p["phi_min_std_s"]), rtol=1e-9, atol=1e-12)
        limit = np.array([m["threshold_elapsed"] for m in models[node]])
        expect = np.array([m["mean"] + data["phi_z"] * m["std"] for m in models[node]])
        assert np.allclose(limit, expect, rtol=1e-12, atol=1e-12)
    assert -math.log10(scipy.stats.norm.sf(data["phi_z"])) == pytest.approx(thr, rel=1e-9)
    elapsed, means, stds, phis = [], [], [], []
    last_seen: dict[int, tuple[float, float]] = {}
    for step in data["steps"]:
        for node, state in enumerate(step["nodes"]):
            assert state["phi"] >= 0.0 and state["suspected"][name] == (state["phi"] >= thr)
            if state["elapsed"] is None:
                continue
            j = bisect_right(arrivals[node], step["t"]) - 1
            model = models[node][j]
            gap = state["elapsed"] - model["threshold_elapsed"]
            if abs(gap) > TOL:
                assert state["suspected"][name] == (gap > 0), f"t={step['t']} N{node + 1}: phi flag vs threshold"
            prev = last_seen.get(node)
            if prev is not None and prev[0] == state["last_arrival"]:
                assert state["phi"] >= prev[1], "phi fell between two arrivals"
            last_seen[node] = (state["last_arrival"], state["phi"])
            if state["phi"] < cap:
                elapsed.append(state["elapsed"])
                means.append(model["mean"])
                stds.append(model["std"])
                phis.append(state["phi"])
    if phis:
        ref = -np.log10(scipy.stats.norm.sf(np.array(elapsed), loc=np.array(means), scale=np.array(stds)))
        assert np.allclose(np.array(phis), ref, rtol=1e-9, atol=1e-12), "phi differs from SciPy"


def check_labels(data: dict[str, Any]) -> None:
    """Invariant 7, the samples' bookkeeping, and the beats."""
    crash, dur = data["crash"], data["params"]["duration_s"]
    for s in data["suspicions"]:
        assert s["mistake"] == (s["end"] is not None)
        if s["end"] is None:
            assert crash is not None and s["node"] == crash["node"]
        else:
            assert s["start"] < s["end"] and s["start"] < dur
    assert data["suspicions"] == sorted(data["suspicions"], key=lambda s: (s["start"], s["node"],
                                                                           data["detectors"].index(s["detector"])))
    dt = data["params"]["sample_dt"]
    assert [s["t"] for s in data["steps"]] == [k * dt for k in range(len(data["steps"]))]
    assert data["steps"][-1]["t"] < dur <= data["steps"][-1]["t"] + dt + TOL
    arrivals = sorted(b["arrive_t"] for b in data["heartbeats"])
    starts = {name: sorted(s["start"] for s in data["suspicions"] if s["detector"] == name and s["mistake"])
              for name in data["detectors"]}
    prev = -math.inf
    for step in data["steps"]:
        assert set(step["events"]) <= EVENTS and step["event"] == step["events"][0]
        arrived = bisect_right(arrivals, step["t"]) > bisect_right(arrivals, prev)
        assert ("arrival" in step["events"]) == arrived
        for name in data["detectors"]:
            assert step["false_alarms"][name] == bisect_right(starts[name], step["t"])
        prev = step["t"]
    hook = data["beats"]["hook"]
    if hook is not None:
        assert hook in data["suspicions"] and hook["node"] == data["stall"]["node"] and hook["mistake"]
        assert hook["detector"] == data["detectors"][0] and hook["end"] > data["stall"]["start"]


CHECKS = (check_heartbeats, check_timeout_rule, check_nesting, check_completeness, check_detection,
          check_phi, check_labels)


def check_all(data: dict[str, Any]) -> None:
    for check in CHECKS:
        check(data)


# ---------------------------------------------------------------- properties
@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, dict[str, Any]]:
    """Seeds and every parameter over its declared range (at most 150 samples and about 100
    heartbeats per node per run, to keep 200 examples fast)."""
    n = draw(st.integers(1, 6))
    dur = draw(st.one_of(st.floats(0.5, 60.0), st.floats(0.01, 600.0), st.just(600.0)))
    interval = draw(st.floats(max(0.01, dur / 100), 10.0))
    stall_s = draw(st.one_of(st.floats(0.01, 8.0), st.floats(0.01, 60.0)))
    jitters = draw(st.lists(st.one_of(st.just(0.0), st.floats(0.0, 1.0), st.floats(0.0, 10.0)),
                            min_size=n, max_size=n))
    cap = draw(st.one_of(st.just(50.0), st.floats(1.0, 300.0)))
    params: dict[str, Any] = {
        "n_nodes": n, "duration_s": dur, "interval_s": interval, "stall_s": stall_s,
        "base_delay_s": draw(st.one_of(st.floats(0.0, 0.5), st.floats(0.0, 5.0))),
        "jitter_mean_s": jitters, "profile_labels": [f"node {i}" for i in range(n)],
        "stall_node": draw(st.one_of(st.none(), st.integers(0, n - 1))),
        "stall_at_s": draw(st.one_of(st.floats(0.0, dur), st.floats(0.0, 600.0))),
        "crash_node": draw(st.one_of(st.none(), st.integers(0, n - 1))),
        "timeouts_s": sorted(draw(st.sets(st.one_of(st.floats(0.01, 3 * interval), st.floats(0.01, 60.0)),
                                          min_size=1, max_size=4))),
        "phi_cap": cap, "phi_threshold": draw(st.floats(0.01, min(cap, 100.0))),
        "phi_window": draw(st.one_of(st.integers(2, 30), st.integers(2, 1000))),
        "phi_min_std_s": draw(st.one_of(st.floats(0.001, 0.5), st.floats(0.001, 10.0))),
        "sample_dt": draw(st.floats(dur / 150, min(10.0, dur))),
    }
    if params["crash_node"] is not None:
        if dur < interval:
            params["crash_node"] = None
        else:
            params["crash_at_s"] = draw(st.floats(interval, dur))
            if params["stall_node"] == params["crash_node"] and \
                    params["stall_at_s"] + stall_s >= params["crash_at_s"]:
                params["stall_node"] = None
    return draw(st.integers(0, 2**32 - 1)), params


@PROPERTY
@given(scenarios())
def test_invariants_hold_for_drawn_seeds_and_params(scenario: tuple[int, dict[str, Any]]) -> None:
    seed, params = scenario
    check_all(json.loads(hb.simulate(seed, **params).to_json()))


def test_invariants_on_defaults_and_hand_case() -> None:
    for seed in (0, 7, 99):
        check_all(fresh(seed))
    check_all(fresh(3, n_nodes=6, jitter_mean_s=[0.0, 0.1, 0.35, 1.0, 10.0, 0.05], timeouts_s=[0.5, 1.5, 4.0, 60.0],
                    profile_labels=list("abcdef"), stall_node=5, crash_node=0, crash_at_s=1.0))
    data = hand_case()
    data["summary"] = data["metrics"]
    check_all(data)


@pytest.mark.parametrize("corrupt, checker", [
    (lambda d: d["heartbeats"][3].update(send_t=d["heartbeats"][3]["send_t"] + 0.01), check_heartbeats),
    (lambda d: d["steps"][150]["nodes"][0]["suspected"].update({"timeout_1.5": True}), check_timeout_rule),
    (lambda d: d["steps"][150]["nodes"][0]["suspected"].update({"timeout_4.0": True}), check_nesting),
    (lambda d: d["suspicions"].pop(), check_completeness),
    (lambda d: d["metrics"]["phi_8"].update(detection_time_s=1.0), check_detection),
    (lambda d: max((n for s in d["steps"] for n in s["nodes"] if n["phi"] < 8), key=lambda n: n["phi"]).update(
        phi=7.9), check_phi),
    (lambda d: d["phi_model"][40].update(std=d["phi_model"][40]["std"] * 2), check_phi),
    (lambda d: d["suspicions"][0].update(end=None), check_labels),
    (lambda d: d["steps"][100].update(event="idle", events=["idle"]), check_labels),
])
def test_checkers_reject_corrupted_traces(corrupt: Any, checker: Any) -> None:
    data = fresh(7)
    checker(data)
    corrupt(data)
    with pytest.raises(AssertionError):
        checker(data)


# ---------------------------------------------------------------- reference checks
@pytest.mark.parametrize("elapsed, phi", [(1.0, 0.3010), (1.2, 0.7995), (1.6, 2.8697), (2.0, 6.5426),
                                          (2.2, 9.0059)])
def test_phi_fixed_points(elapsed: float, phi: float) -> None:
    value = hb.phi_value(elapsed, 1.0, 0.2, 50.0)
    assert value == pytest.approx(phi, abs=5e-5)
    assert value == pytest.approx(-math.log10(scipy.stats.norm.sf(elapsed, loc=1.0, scale=0.2)), rel=1e-9)


def test_phi_threshold_and_cap() -> None:
    z = hb.phi_z(8.0)
    assert z == pytest.approx(5.6120, abs=5e-5)
    assert z == pytest.approx(scipy.stats.norm.isf(1e-8), rel=1e-12)
    assert 1.0 + z * 0.2 == pytest.approx(2.1224, abs=5e-5)
    assert hb.phi_value(1.0 + z * 0.2 + 1e-9, 1.0, 0.2, 50.0) >= 8.0 > hb.phi_value(1.0 + z * 0.2 - 1e-9, 1.0, 0.2, 50.0)
    assert hb.phi_value(z, 0.0, 1.0, 50.0) >= 8.0 > hb.phi_value(z - 1e-12, 0.0, 1.0, 50.0)
    assert hb.phi_value(100.0, 1.0, 0.2, 50.0) == 50.0          # underflowed tail
    assert hb.phi_value(3.0, 1.0, 0.2, 50.0) == pytest.approx(23.1181, abs=5e-5)
    assert hb.phi_value(4.0, 1.0, 0.2, 50.0) == 50.0            # z = 15: phi 50.4, above the cap
    assert hb.phi_value(-5.0, 1.0, 0.2, 50.0) == 0.0 and math.copysign(1, hb.phi_value(-5.0, 1.0, 0.2, 50.0)) == 1
    # the Akka port's logistic approximation would give 2.909 at z = 3 and 7.300 at z = 5
    assert hb.phi_value(3.0, 0.0, 1.0, 50.0) == pytest.approx(2.8697, abs=5e-5)
    assert hb.phi_value(5.0, 0.0, 1.0, 50.0) == pytest.approx(6.5426, abs=5e-5)


def test_boundaries_are_strict_for_timeouts_and_inclusive_for_phi() -> None:
    """elapsed == T is not a suspicion; phi == phi_threshold is one."""
    data = hand_case()
    at = {round(s["t"], 9): s["nodes"][0] for s in data["steps"]}
    assert at[9.5]["elapsed"] == 1.5 and not at[9.5]["suspected"]["timeout_1.5"]
    assert at[9.6]["suspected"]["timeout_1.5"]
    assert at[11.0]["elapsed"] == 3.0 and not at[11.0]["suspected"]["timeout_3.0"]
    base = run_json(7)
    state = next(n for s in base["steps"] for n in s["nodes"] if 3.0 < n["phi"] < 7.0)
    data = fresh(7, phi_threshold=state["phi"])
    check_all(data)
    same = [n for s in data["steps"] for n in s["nodes"] if n["phi"] == state["phi"]]
    assert same and all(n["suspected"][data["detectors"][-1]] for n in same)


def test_hand_case() -> None:
    data = hand_case()
    assert [b["arrive_t"] for b in data["heartbeats"]] == [0.0, 1.0, 2.0, 3.0, 4.0, 6.2, 7.0, 8.0]
    by = {name: [s for s in data["suspicions"] if s["detector"] == name] for name in data["detectors"]}
    assert data["detectors"] == ["timeout_1.5", "timeout_3.0", "phi_8"]
    assert [(s["start"], s["end"]) for s in by["timeout_1.5"]] == [(5.5, 6.2), (9.5, None)]
    assert data["metrics"]["timeout_1.5"]["mistake_s"] == pytest.approx(0.7)
    assert data["metrics"]["timeout_1.5"]["detection_time_s"] == pytest.approx(1.0)
    assert [(s["start"], s["end"]) for s in by["timeout_3.0"]] == [(11.0, None)]
    assert data["metrics"]["timeout_3.0"]["detection_time_s"] == pytest.approx(2.5)
    after4 = next(m for m in data["phi_model"] if m["t"] == 4.0)
    assert (after4["mean"], after4["std"]) == (1.0, 0.1)
    (mistake, final) = by["phi_8"]
    assert mistake["start"] == pytest.approx(5.5612, abs=5e-5) and mistake["end"] == 6.2
    assert data["metrics"]["phi_8"]["mistake_s"] == pytest.approx(0.6388, abs=5e-5)
    after8 = data["phi_model"][-1]
    assert after8["t"] == 8.0
    assert (after8["mean"], after8["std"]) == (pytest.approx(1.142857, abs=5e-7), pytest.approx(0.437059, abs=5e-7))
    assert final["start"] == pytest.approx(11.5956, abs=5e-5) and final["end"] is None
    assert data["metrics"]["phi_8"]["detection_time_s"] == pytest.approx(3.0956, abs=5e-5)
    assert data["metrics"]["phi_8"]["detection_time_s"] > data["metrics"]["timeout_3.0"]["detection_time_s"]


def test_expectations_over_seeds_0_to_9() -> None:
    """The storyboard's prototype figures (guidance), as ranges over seeds 0-9 of the defaults."""
    phi_accuses_n1 = 0
    for seed in range(10):
        m = run_json(seed)["metrics"]
        short, long, phi = m["timeout_1.5"], m["timeout_4.0"], m["phi_8"]
        assert 1 <= short["per_node"][0]["false_suspicions"] <= 8 and short["per_node"][1]["false_suspicions"] == 1
        assert long["false_suspicions"] == 0
        assert phi["per_node"][1]["false_suspicions"] == 1 and phi["per_node"][2]["false_suspicions"] == 0
        phi_accuses_n1 += phi["per_node"][0]["false_suspicions"] > 0
        assert 0.6 <= short["detection_time_s"] <= 1.6 and 3.1 <= long["detection_time_s"] <= 4.1
        assert 0.0 < phi["detection_time_s"] - short["detection_time_s"] < 0.15
    assert phi_accuses_n1 <= 2


# ---------------------------------------------------------------- rules
def test_send_times_rule() -> None:
    assert hb.send_times(0.0, 1.0, 10.0, (4.5, 6.2), 8.5) == [0.0, 1.0, 2.0, 3.0, 4.0, 6.2, 7.0, 8.0]
    assert hb.send_times(0.5, 1.0, 4.0, None, None) == [0.5, 1.5, 2.5, 3.5]
    assert hb.send_times(0.0, 1.0, 8.0, (2.5, 5.0), None) == [0.0, 1.0, 2.0, 5.0, 6.0, 7.0], "merged send absorbed"
    assert hb.send_times(0.0, 1.0, 8.0, (2.2, 2.8), None) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], "nothing due"
    assert hb.send_times(0.0, 1.0, 8.0, None, 3.0) == [0.0, 1.0, 2.0]


def test_fit_and_suspicion_rules() -> None:
    p = {"phi_window": 3, "interval_s": 1.0, "phi_min_std_s": 0.1}
    assert hb.fit_model([], p) == (1.0, 0.25) and hb.fit_model([2.0], p) == (1.0, 0.25)
    assert hb.fit_model([1.0, 1.0], p) == (1.0, 0.1)
    mean, std = hb.fit_model([9.0, 1.0, 2.0, 3.0], p)
    assert mean == 2.0 and std == pytest.approx(math.sqrt(2 / 3))
    assert hb.timeout_suspicions([0.0, 1.0, 3.0], 1.5) == [[2.5, 3.0], [4.5, None]]
    assert hb.timeout_suspicions([0.0, 1.5], 1.5) == [[3.0, None]], "elapsed == T is not a suspicion"
    models = [{"threshold_elapsed": 1.2}, {"threshold_elapsed": 0.5}]
    assert hb.phi_suspicions([0.0, 1.0], models) == [[1.5, None]]
    assert hb.detector_names({"timeouts_s": [1.5, 4.0], "phi_threshold": 8.0}) == ["timeout_1.5", "timeout_4.0", "phi_8"]


# ---------------------------------------------------------------- catalog story
def test_catalog_seed_story() -> None:
    entry = load_catalog().get(hb.ID)
    params = dict(entry.params)
    assert resolve_params(hb.PARAMS, params, hb.check_params) == {p.name: p.default for p in hb.PARAMS}
    data = json.loads(hb.simulate(entry.seed, **params).to_json())
    check_all(data)
    assert data["detectors"] == ["timeout_1.5", "timeout_4.0", "phi_8"] and data["nodes"] == ["N1", "N2", "N3"]
    assert data["profiles"] == ["jittery link", "stall", "calm"] and len(data["steps"]) == 360
    m = data["metrics"]
    hook = data["beats"]["hook"]
    assert hook is not None and hook["node"] == 1 and hook["detector"] == "timeout_1.5"
    assert data["stall"]["start"] < hook["start"] < hook["end"] <= data["stall"]["end"] + 0.5
    early = [s for s in data["suspicions"] if s["start"] < 20 and s["mistake"]]
    assert sum(s["detector"] == "timeout_1.5" and s["node"] == 0 for s in early) >= 1
    assert sum(s["detector"] == "timeout_1.5" and s["node"] == 1 for s in early) == 1
    assert not any(s["detector"] == "timeout_4.0" for s in early) and m["timeout_4.0"]["false_suspicions"] == 0
    assert [row["false_suspicions"] for row in m["phi_8"]["per_node"]] == [0, 1, 0]
    short, long, phi = (m[k]["detection_time_s"] for k in data["detectors"])
    assert short < phi < long and phi - short < 0.2
    n1, n3 = (max((x for x in data["phi_model"] if x["node"] == i and x["t"] < 24), key=lambda x: x["t"])
              for i in (0, 2))
    assert 1.5 < n3["threshold_elapsed"] < 1.7 < n1["threshold_elapsed"]
    crash_steps = [s for s in data["steps"] if "crash" in s["events"]]
    assert len(crash_steps) == 1 and crash_steps[0]["t"] == pytest.approx(24.0)
    assert len(hb.simulate(entry.seed, **params).to_json()) < 1_000_000


def test_trace_contract() -> None:
    data = run_json(7)
    assert data["id"] == hb.ID and data["seed"] == 7
    assert {"nodes", "profiles", "crash", "stall", "detectors", "heartbeats", "phi_model", "suspicions",
            "metrics", "phases", "phi_z", "beats"} <= set(data)
    assert data["crash"] == {"node": 2, "t": 24.0} and data["stall"] == {"node": 1, "start": 12.0, "end": 14.5}
    doc = hb.__doc__
    sections = ["Model\n-----", "Invariants\n----------", "Leaves out\n----------", "Trace\n-----"]
    assert [doc.index(h) for h in sections] == sorted(doc.index(h) for h in sections)
    assert set(hb.__all__) <= set(dir(hb))
    off = fresh(7, crash_node=None, stall_node=None)
    check_all(off)
    assert off["crash"] is None and off["stall"] is None and off["beats"]["hook"] is None
    assert all(v["detection_time_s"] is None for v in off["metrics"].values())


# ---------------------------------------------------------------- determinism, isolation, parameters
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    code = ("import sys; from sims.heartbeat_failure_detection import simulate; "
            "sys.stdout.write(simulate(7).to_json() + simulate(3, n_nodes=2, jitter_mean_s=[1.0, 0.0], "
            "profile_labels=['a', 'b'], crash_node=0).to_json()); print('manim' in sys.modules)")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    here = hb.simulate(7).to_json() + hb.simulate(3, n_nodes=2, jitter_mean_s=[1.0, 0.0], profile_labels=["a", "b"],
                                                  crash_node=0).to_json()
    assert first == second == (here + "False\n").encode()
    assert hb.simulate(8).to_json() != hb.simulate(7).to_json()


@pytest.mark.parametrize("params, field", [
    ({"n_nodes": 0}, "n_nodes"), ({"n_nodes": 7}, "n_nodes"),
    ({"interval_s": -1e-9}, "interval_s"), ({"interval_s": 0.0}, "interval_s"), ({"interval_s": 10.000001}, "interval_s"),
    ({"base_delay_s": -1e-9}, "base_delay_s"), ({"base_delay_s": 5.000001}, "base_delay_s"),
    ({"jitter_mean_s": [0.35, -0.01, 0.05]}, "jitter_mean_s"), ({"jitter_mean_s": [0.35, 10.01, 0.05]}, "jitter_mean_s"),
    ({"jitter_mean_s": [0.35, 0.05]}, "jitter_mean_s"), ({"jitter_mean_s": [0.35, "x", 0.05]}, "jitter_mean_s"),
    ({"profile_labels": ["a", "b"]}, "profile_labels"), ({"profile_labels": ["a", "", "c"]}, "profile_labels"),
    ({"stall_node": 3}, "stall_node"), ({"stall_node": -1}, "stall_node"), ({"stall_node": "two"}, "stall_node"),
    ({"stall_at_s": -1e-9}, "stall_at_s"), ({"stall_at_s": 600.000001}, "stall_at_s"),
    ({"stall_s": 0.0}, "stall_s"), ({"stall_s": 60.000001}, "stall_s"),
    ({"crash_node": 3}, "crash_node"), ({"crash_node": 1.0}, "crash_node"),
    ({"crash_at_s": -1e-9}, "crash_at_s"), ({"crash_at_s": 600.000001}, "crash_at_s"),
    ({"crash_at_s": 0.99}, "crash_at_s"), ({"crash_at_s": 36.5}, "crash_at_s"),
    ({"stall_node": 2, "stall_at_s": 22.0}, "stall_s"),
    ({"timeouts_s": [4.0, 1.5]}, "timeouts_s"), ({"timeouts_s": [1.5, 1.5]}, "timeouts_s"),
    ({"timeouts_s": [0.0, 1.5]}, "timeouts_s"), ({"timeouts_s": []}, "timeouts_s"),
    ({"timeouts_s": [1.5, 60.000001]}, "timeouts_s"),
    ({"phi_threshold": 0.0}, "phi_threshold"), ({"phi_threshold": 100.000001}, "phi_threshold"),
    ({"phi_threshold": 60.0}, "phi_threshold"),
    ({"phi_window": 1}, "phi_window"), ({"phi_window": 1001}, "phi_window"),
    ({"phi_min_std_s": 0.0}, "phi_min_std_s"), ({"phi_min_std_s": 10.000001}, "phi_min_std_s"),
    ({"phi_cap": 0.999999}, "phi_cap"), ({"phi_cap": 300.000001}, "phi_cap"),
    ({"duration_s": 0.0}, "duration_s"), ({"duration_s": 600.000001}, "duration_s"),
    ({"sample_dt": 0.0}, "sample_dt"), ({"sample_dt": 10.000001}, "sample_dt"),
    ({"sample_dt": 0.001}, "sample_dt"),
    ({"interval_s": 0.01, "duration_s": 30.0, "crash_at_s": 20.0}, "interval_s"),
    ({"unknown": 1}, "unknown"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        hb.simulate(0, **params)
    assert err.value.field == field


def test_nullable_indices_from_command_line_text() -> None:
    p = resolve_params(hb.PARAMS, {"stall_node": "null", "crash_node": "0"}, hb.check_params)
    assert p["stall_node"] is None and p["crash_node"] == 0
    jitter_free = fresh(1, jitter_mean_s=[0.0, 0.0, 0.0], base_delay_s=0.0)
    check_all(jitter_free)
    assert all(b["arrive_t"] == b["send_t"] for b in jitter_free["heartbeats"])


# ---------------------------------------------------------------- the scene's checkpoints
def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py):
    how many false alarms the longest timeout raised before the crash, and which detector suspects the
    crashed node first."""
    crash_t, dets, p = trace["crash"]["t"], trace["detectors"], trace["params"]
    longest = dets[-2]
    before = sum(1 for s in trace["suspicions"] if s["detector"] == longest and s["mistake"] and s["start"] < crash_t)
    first = min(dets, key=lambda d: (trace["metrics"][d]["detection_time_s"], d))
    timeouts = dict(zip(dets, p["timeouts_s"]))
    name = f"φ accrual ({p['phi_threshold']:g})" if first == dets[-1] else f"timeout {timeouts[first]:g} s"
    return [str(before), name]


def test_alternate_params_still_tell_the_story() -> None:
    data = json.loads(hb.simulate(load_catalog().get(hb.ID).seed, **hb.ALTERNATE_PARAMS).to_json())
    check_all(data)
    short, long, phi = data["detectors"]
    assert data["beats"]["hook"] is not None and data["metrics"][short]["false_suspicions"] > 0
    assert data["metrics"][long]["false_suspicions"] < data["metrics"][short]["false_suspicions"]
    assert data["metrics"][short]["detection_time_s"] < data["metrics"][long]["detection_time_s"]
