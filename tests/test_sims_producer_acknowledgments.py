"""Tests for sims.producer_acknowledgments: the storyboard's invariants checked from the trace JSON alone
(timing recomputed from the trace's own jitter draws), the hand-computed reference runs, hand cases of the
rules, the catalog story, determinism and parameter errors. No library models a broker, so the reference
is the storyboard's hand computation."""

from __future__ import annotations

import copy
import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.catalog import load_catalog
from sims import producer_acknowledgments as pa
from sims.params import ParamError, resolve_params

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = {p.name: p.default for p in pa.PARAMS}
PROPERTY = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
RANK = {"send": 0, "crash": 1, "elect": 2, "truncate": 3, "isr_shrink": 4, "copy": 5, "append": 6, "refuse": 6,
        "ack": 7, "error": 7}
INF = float("inf")
CRASH_RUNS = ["acks=0", "acks=1", "acks=all"]
NER, NER_AFTER = "NOT_ENOUGH_REPLICAS", "NOT_ENOUGH_REPLICAS_AFTER_APPEND"


# ---------------------------------------------------------------- trace helpers
def run(seed: int, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return json.loads(pa.simulate(seed, **(params or {})).to_json())


@functools.lru_cache(maxsize=None)
def _cached(seed: int, params_json: str) -> str:
    return pa.simulate(seed, **json.loads(params_json)).to_json()


def cached_run(seed: int, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return json.loads(_cached(seed, json.dumps(params or {}, sort_keys=True)))


def crash_step(r: dict[str, Any]) -> dict[str, Any] | None:
    return next((s for s in r["steps"] if s["event"] == "crash"), None)


# ---------------------------------------------------------------- checkers (read the trace JSON only)
def check_logs(trace: dict[str, Any]) -> None:
    """Invariant 1 and how logs may change: append (leader), copy (follower, next offset), truncate."""
    brokers = trace["params"]["replica_order"]
    for name, r in trace["runs"].items():
        prev = {b: [] for b in brokers}
        crashed = False
        for step in r["steps"]:
            logs = step["logs"]
            for b in brokers:
                assert logs[b] == sorted(set(logs[b])), f"{name}: {b}'s log is not in send order"
                assert step["leo"][b] == len(logs[b])
            ev, b = step["event"], step["broker"]
            if ev == "crash":
                crashed = True
            if not crashed:
                leader = brokers[0]
                for f in brokers[1:]:
                    assert logs[f] == logs[leader][:len(logs[f])], f"{name} t={step['t_ms']}: {f} not a prefix"
            changed = {x for x in brokers if logs[x] != prev[x]}
            if ev == "append":
                assert changed == {b} and logs[b] == prev[b] + [step["record"]]
                assert r["records"][step["record"]]["offset"] == len(prev[b])
            elif ev == "copy":
                source = step["leader"]
                assert changed == {b} and logs[b] == prev[b] + [step["record"]]
                assert logs[source][:len(logs[b])] == logs[b], f"{name}: {b} copied out of order"
            elif ev == "truncate":
                assert changed == {b} and logs[b] == prev[b][:len(logs[b])]
                assert step["detail"]["dropped"] == prev[b][len(logs[b]):]
            else:
                assert not changed, f"{name}: {ev} changed a log"
            prev = logs


def per_ms(r: dict[str, Any]) -> list[tuple[dict[str, Any] | None, dict[int, int], int, dict[str, Any] | None]]:
    """For every ms 0..end_ms: (state before follower copies, when the leader got each record, the leader's
    term start, state after the ms), rebuilt from the steps alone."""
    steps, out, j = r["steps"], [], 0
    state, got, epoch = None, {}, 0

    def take(step: dict[str, Any]) -> None:
        nonlocal state, got, epoch
        if step["event"] == "elect":
            epoch = step["t_ms"]
            got = {i: epoch for i in step["logs"][step["broker"]]} if step["broker"] else {}
        elif step["event"] == "append":
            got[step["record"]] = step["t_ms"]
        state = step

    for t in range(r["summary"]["end_ms"] + 1):
        while j < len(steps) and steps[j]["t_ms"] == t and RANK[steps[j]["event"]] < RANK["copy"]:
            take(steps[j])
            j += 1
        pre, pre_got, pre_epoch = state, dict(got), epoch
        while j < len(steps) and steps[j]["t_ms"] == t:
            take(steps[j])
            j += 1
        out.append((pre, pre_got, pre_epoch, state))
    return out


def caught_up(pre: dict[str, Any], got: dict[int, int], epoch: int, follower: str, t: int, stalled: bool) -> int:
    """lastCaughtUp of a follower at ms t, from the state before that ms's copies."""
    if stalled:
        return epoch
    held, lead = pre["logs"][follower], pre["logs"][pre["leader"]]
    return t if len(held) >= len(lead) else max(epoch, got[lead[len(held)]])


def check_isr_hw(trace: dict[str, Any]) -> None:
    """Invariant 2: HW = min leo over the ISR, never falls while the leader lives; the leader is in the ISR;
    a follower leaves exactly when its lag reaches replica_lag_max_ms (and only then)."""
    p = trace["params"]
    brokers, lag_max = p["replica_order"], p["replica_lag_max_ms"]
    for name, r in trace["runs"].items():
        stalled = set(r["stalled"])
        table = per_ms(r)
        prev_hw, prev_isr = 0, list(brokers)
        crashed = False
        for step in r["steps"]:
            isr, leader = step["isr"], step["leader"]
            if step["event"] == "crash":
                crashed = True
                assert isr == [b for b in prev_isr if b != step["broker"]]
            if leader is not None:
                assert leader in isr and step["alive"][leader]
                assert step["hw"] == min(step["leo"][b] for b in isr)
            assert all(step["hw"] <= step["leo"][b] for b in isr)
            if not crashed:
                assert step["hw"] >= prev_hw, f"{name} t={step['t_ms']}: hw fell"
            if step["event"] == "isr_shrink":
                f, t = step["broker"], step["t_ms"]
                assert isr == [b for b in prev_isr if b != f] and f != leader
                pre, got, epoch, _ = table[t]
                lagged = t - caught_up(pre, got, epoch, f, t, f in stalled)
                assert lagged >= lag_max, f"{name}: {f} left the ISR after lagging {lagged} ms"
            elif step["event"] not in ("crash", "elect"):
                assert isr == prev_isr, f"{name}: ISR changed on {step['event']}"
            prev_hw, prev_isr = step["hw"], isr
        for t, (pre, got, epoch, after) in enumerate(table):  # nobody lagging that long was kept
            if after is None or after["leader"] is None:
                continue
            for f in after["isr"]:
                if f != after["leader"]:
                    lagged = t - caught_up(pre, got, epoch, f, t, f in stalled)
                    assert lagged < lag_max, f"{name}: {f} lagged {lagged} ms at {t} and stayed in the ISR"


def check_answers(trace: dict[str, Any]) -> None:
    """Invariants 3 and 7, plus when each answer leaves and arrives."""
    p = trace["params"]
    net, brokers = p["net_ms"], p["replica_order"]
    for name, r in trace["runs"].items():
        acks, min_insync = r["acks"], r["min_insync"]
        table = per_ms(r)

        def at(t: int, table: list[Any] = table) -> dict[str, Any]:
            return table[min(t, len(table) - 1)][3]

        answered: dict[int, list[str]] = {}
        for step in r["steps"]:
            if step["event"] in ("ack", "error"):
                answered.setdefault(step["record"], []).append(step["event"])
        for rec in r["records"]:
            i = rec["id"]
            assert len(answered.get(i, [])) <= 1, f"{name}: record {i} answered {answered[i]}"
            assert not (rec["ack_ms"] is not None and rec["error"] is not None), f"{name}: record {i} acked and failed"
            if rec["ack_ms"] is not None:
                assert answered[i] == ["ack"] and rec["latency_ms"] == rec["ack_ms"] - rec["send_ms"]
                ack_step = next(s for s in r["steps"] if s["event"] == "ack" and s["record"] == i)
                assert ack_step["t_ms"] == rec["ack_ms"]
            if rec["error"] is not None:
                assert answered[i] == ["error"] and rec["error_ms"] == rec["answer_ms"] + net
            if acks == 0:
                assert rec["ack_ms"] == rec["send_ms"] and rec["error"] is None and rec["answer_ms"] is None
                continue
            if rec["ack_ms"] is not None:
                assert rec["ack_ms"] == rec["answer_ms"] + net
                state = at(rec["answer_ms"])
                holders = [b for b in brokers if i in state["logs"][b]]
                assert rec["copies_at_ack"] == len(holders)
                if acks == 1:
                    assert rec["answer_ms"] == rec["append_ms"]
                else:  # invariant 3
                    assert all(i in state["logs"][b] for b in state["isr"]), f"{name}: record {i} acked before the ISR had it"
                    assert rec["copies_at_ack"] >= min_insync
                    for t in range(rec["append_ms"], rec["answer_ms"]):  # and not later than that
                        earlier = at(t)
                        assert not all(i in earlier["logs"][b] for b in earlier["isr"]), f"{name}: record {i} acked late"
            if rec["error"] == NER:
                assert acks == "all" and rec["append_ms"] is None
                assert len(at(rec["answer_ms"])["isr"]) < min_insync
            if rec["error"] == NER_AFTER:
                assert acks == "all" and rec["append_ms"] is not None
                state = at(rec["answer_ms"])
                assert len(state["isr"]) < min_insync
                before = at(rec["answer_ms"] - 1)
                assert len(before["isr"]) >= min_insync
        s = r["summary"]
        assert s["acked"] == [x["id"] for x in r["records"] if x["ack_ms"] is not None]
        assert s["failed"] == [x["id"] for x in r["records"] if x["error"] is not None]
        assert s["refused"] == [x["id"] for x in r["records"] if x["error"] == NER]
        assert s["unanswered"] == [x["id"] for x in r["records"] if x["ack_ms"] is None and x["error"] is None]
        lat = [r["records"][i]["latency_ms"] for i in s["acked"]]
        assert s["max_latency_ms"] == (max(lat) if lat else None)


def check_timing(trace: dict[str, Any]) -> None:
    """Sends, appends and copies at the times the rules give for the trace's own jitter draws."""
    p = trace["params"]
    jit = trace["meta"]["jitter"]
    brokers, n, net = p["replica_order"], p["n_records"], p["net_ms"]
    assert len(jit["produce"]) == n and all(0 <= j <= p["jitter_ms"] for b in ["produce", *brokers] for j in jit[b])
    for name, r in trace["runs"].items():
        crash = crash_step(r)
        crash_t = crash["t_ms"] if crash else INF
        copied = {(s["broker"], s["record"]): s["t_ms"] for s in r["steps"] if s["event"] == "copy" and s["t_ms"] < crash_t}
        truncated = r["summary"]["truncated"]
        handled = -1
        last_copy = {b: -1 for b in brokers}
        for rec in r["records"]:
            i = rec["id"]
            assert rec["send_ms"] == i * p["send_interval_ms"]
            handled = max(handled, rec["send_ms"] + net + jit["produce"][i])
            if handled >= crash_t:
                assert rec["append_ms"] is None and (rec["error"] is None) and (r["acks"] == 0 or rec["ack_ms"] is None)
                continue
            if rec["error"] == NER:
                assert rec["answer_ms"] == handled
                continue
            assert rec["append_ms"] == handled, f"{name}: record {i} appended at {rec['append_ms']}, not {handled}"
            for b in brokers[1:]:
                due = max(last_copy[b], handled + p["follower_lag_ms"][b] + jit[b][i])
                if b in r["stalled"]:
                    assert b not in rec["copies"] and (b, i) not in copied
                    continue
                last_copy[b] = due
                if due < crash_t:
                    assert copied.get((b, i)) == due, f"{name}: {b} copied record {i} at {copied.get((b, i))}, not {due}"
                    assert rec["copies"].get(b) == (None if i in truncated.get(b, []) else due)
                else:
                    assert copied.get((b, i), INF) >= crash_t


def check_order(trace: dict[str, Any]) -> None:
    """Same-millisecond order (sends, crash, election, truncation, ISR, copies, appends, answers); the merge."""
    order = trace["summary"]["run_order"]
    assert order == [r["name"] for r in trace["params"]["runs"]]
    for name, r in trace["runs"].items():
        assert [s["seq"] for s in r["steps"]] == list(range(len(r["steps"])))
        for a, b in zip(r["steps"], r["steps"][1:]):
            assert (a["t_ms"], RANK[a["event"]]) <= (b["t_ms"], RANK[b["event"]]), f"{name}: {a['event']} then {b['event']}"
        assert r["summary"]["end_ms"] == (r["steps"][-1]["t_ms"] if r["steps"] else 0)
    merged = sorted(({**s, "run": name} for name in order for s in trace["runs"][name]["steps"]),
                    key=lambda s: (s["t_ms"], order.index(s["run"]), s["seq"]))
    assert trace["steps"] == merged


def check_no_loss_with_acks_all(trace: dict[str, Any]) -> None:
    """Invariant 4."""
    for name, r in trace["runs"].items():
        if r["acks"] == "all" and r["min_insync"] >= 2 and r["crash"]:
            assert r["summary"]["lost_acked"] == [], f"{name} lost acknowledged records"


def check_latency_order(trace: dict[str, Any]) -> None:
    """Invariant 5, within each group of runs that differ only in acks."""
    rank = {0: 0, 1: 1, "all": 2}
    groups: dict[tuple[Any, ...], list[str]] = {}
    for name, r in trace["runs"].items():
        groups.setdefault((tuple(r["stalled"]), r["crash"]), []).append(name)
    for names in groups.values():
        for a in names:
            for b in names:
                ra, rb = trace["runs"][a], trace["runs"][b]
                if rank[ra["acks"]] < rank[rb["acks"]]:
                    for x, y in zip(ra["records"], rb["records"]):
                        la = INF if x["latency_ms"] is None else x["latency_ms"]
                        lb = INF if y["latency_ms"] is None else y["latency_ms"]
                        assert la <= lb, f"record {x['id']}: {a} {la} ms > {b} {lb} ms"


def check_election(trace: dict[str, Any]) -> None:
    """Invariant 6: election order, truncation, lost_acked, catch-up."""
    brokers = trace["params"]["replica_order"]
    for name, r in trace["runs"].items():
        s = r["summary"]
        crash = crash_step(r)
        assert (crash is not None) == (r["crash"] and r["steps"] != [] and s["elect_ms"] is not None)
        if crash is None:
            assert s["new_leader"] is None and s["survivors"] == r["steps"][-1]["logs"][brokers[0]] and s["lost_acked"] == []
            continue
        before = r["steps"][crash["seq"] - 1] if crash["seq"] else None
        isr_before = before["isr"] if before else list(brokers)
        elect = r["steps"][crash["seq"] + 1]
        assert elect["event"] == "elect" and elect["t_ms"] == crash["t_ms"]
        expected = next((b for b in brokers if b in isr_before and b != crash["broker"]), None)
        assert elect["broker"] == s["new_leader"] == expected, f"{name}: elected {elect['broker']}, not {expected}"
        if expected is None:
            # offline: the dead leader keeps its log; only records that never reached it are gone
            assert s["offline"] and s["survivors"] == crash["logs"][brokers[0]]
            assert s["lost_acked"] == [i for i in s["acked"] if r["records"][i]["offset"] is None]
            continue
        leo = len(elect["logs"][expected])
        assert s["leo_at_election"] == leo == elect["detail"]["leo"]
        assert s["survivors"] == elect["logs"][expected]
        assert s["lost_acked"] == [i for i in s["acked"]
                                   if r["records"][i]["offset"] is None or r["records"][i]["offset"] >= leo]
        truncated = {}
        for step in r["steps"]:
            if step["event"] == "truncate":
                assert step["logs"][step["broker"]] == step["logs"][expected]
                truncated[step["broker"]] = step["detail"]["dropped"]
        assert s["truncated"] == truncated
        assert set(truncated) == {b for b in brokers if b != expected and crash["alive"].get(b, True) and b != crash["broker"]
                                  and len(crash["logs"][b]) > leo}
        final = r["steps"][-1]["logs"]
        for b in brokers:
            if b not in (expected, crash["broker"]) and b not in r["stalled"]:
                assert final[b] == final[expected], f"{name}: {b} never caught up with the new leader"


def check_logs_agree(trace: dict[str, Any]) -> None:
    """Invariant 8: runs that differ only in acks store the same logs at every ms, unless a write was refused."""
    groups: dict[tuple[Any, ...], list[str]] = {}
    for name, r in trace["runs"].items():
        groups.setdefault((tuple(r["stalled"]), r["crash"]), []).append(name)
    order = trace["summary"]["run_order"]
    groups = {k: sorted(v, key=order.index) for k, v in groups.items()}
    reported = {tuple(g["runs"]): g["logs_agree"] for g in trace["summary"]["crash_groups"]}
    assert set(reported) == {tuple(v) for v in groups.values() if len(v) > 1}
    for names in groups.values():
        if len(names) < 2:
            continue
        end = max(trace["runs"][n]["summary"]["end_ms"] for n in names)
        views = []
        for n in names:
            table = per_ms(trace["runs"][n])
            views.append([table[min(t, len(table) - 1)][3]["logs"] for t in range(end + 1)])
        agree = all(v == views[0] for v in views)
        assert reported[tuple(names)] == agree
        if not any(trace["runs"][n]["summary"]["refused"] for n in names):
            assert agree, f"{names}: logs differ although no write was refused"


INVARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "1 logs": check_logs,
    "2 isr and hw": check_isr_hw,
    "3+7 answers": check_answers,
    "4 no loss with acks=all": check_no_loss_with_acks_all,
    "5 latency order": check_latency_order,
    "6 election": check_election,
    "8 logs agree": check_logs_agree,
    "timing": check_timing,
    "order": check_order,
}


def check_all(trace: dict[str, Any], note: str = "") -> None:
    for label, check in INVARIANTS.items():
        try:
            check(trace)
        except AssertionError as err:
            err.add_note(f"invariant {label}; {note}")
            raise


# ---------------------------------------------------------------- strategies
seeds = st.integers(0, 2**32 - 1)


@st.composite
def param_sets(draw: st.DrawFn) -> dict[str, Any]:
    brokers = draw(st.lists(st.sampled_from([f"B{i}" for i in range(1, 10)]), min_size=2, max_size=5, unique=True))
    followers = brokers[1:]
    big = draw(st.booleans())  # now and then the far ends of the ranges
    runs = []
    for k in range(draw(st.integers(1, 6))):
        runs.append({"name": f"r{k}", "acks": draw(st.sampled_from([0, 1, "all"])),
                     "min_insync": draw(st.integers(1, len(brokers))),
                     "stalled": draw(st.lists(st.sampled_from(followers), unique=True, max_size=len(followers))),
                     "crash": draw(st.booleans())})
    return {
        "n_records": draw(st.integers(1, 40)),
        "send_interval_ms": draw(st.integers(1, 50 if big else 8)),
        "net_ms": draw(st.integers(1, 20)),
        "follower_lag_ms": {b: draw(st.integers(1, 100 if big else 15)) for b in followers},
        "jitter_ms": draw(st.integers(0, 20)),
        "crash_at_ms": draw(st.integers(0, 2000 if big else 120)),
        "replica_order": brokers,
        "replica_lag_max_ms": draw(st.integers(1, 1000 if big else 30)),
        "min_insync": draw(st.integers(1, len(brokers))),
        "runs": runs,
    }


@st.composite
def acks_groups(draw: st.DrawFn) -> dict[str, Any]:
    """Groups of runs that differ only in acks (for invariants 5 and 8), over the default topology."""
    params = draw(param_sets())
    stalled = draw(st.lists(st.sampled_from(params["replica_order"][1:]), unique=True))
    crash = draw(st.booleans())
    mi = draw(st.integers(1, len(params["replica_order"])))
    params["runs"] = [{"name": f"a{a}", "acks": a, "min_insync": mi, "stalled": stalled, "crash": crash}
                      for a in (0, 1, "all")]
    return params


@st.composite
def near_defaults(draw: st.DrawFn) -> dict[str, Any]:
    """The storyboard's five runs on three brokers, with a crash somewhere inside the stream (truncations)."""
    n, interval = draw(st.integers(1, 40)), draw(st.integers(1, 8))
    order = ["B1", *draw(st.permutations(["B2", "B3"]))]
    return {"n_records": n, "send_interval_ms": interval, "net_ms": draw(st.integers(1, 5)),
            "follower_lag_ms": {"B2": draw(st.integers(1, 15)), "B3": draw(st.integers(1, 15))},
            "jitter_ms": draw(st.integers(0, 5)), "crash_at_ms": draw(st.integers(0, n * interval + 20)),
            "replica_order": order, "replica_lag_max_ms": draw(st.one_of(st.integers(1, 30), st.integers(20, 40)))}


# ---------------------------------------------------------------- invariants as properties
@PROPERTY
@given(seed=seeds, params=st.one_of(param_sets(), acks_groups(), near_defaults()))
def test_invariants_hold_for_any_seed_and_params(seed: int, params: dict[str, Any]) -> None:
    check_all(run(seed, params), f"seed={seed} params={params}")


@pytest.mark.parametrize("params", [
    {}, {"jitter_ms": 0}, {"jitter_ms": 0, "replica_lag_max_ms": 10}, {"replica_order": ["B1", "B2", "B3"]},
    {"crash_at_ms": 0}, {"crash_at_ms": 2000, "n_records": 40},
    {"replica_order": ["B1", "B2"], "follower_lag_ms": {"B2": 20}, "replica_lag_max_ms": 5,
     "runs": [{**r, "stalled": []} for r in pa.DEFAULT_RUNS]},
    {"jitter_ms": 20, "follower_lag_ms": {"B2": 1, "B3": 100}, "replica_lag_max_ms": 1000},
])
@pytest.mark.parametrize("seed", [0, 7, 99])
def test_invariants_on_hand_picked_params(seed: int, params: dict[str, Any]) -> None:
    check_all(cached_run(seed, params), f"seed={seed}")


def test_invariant_4_over_500_seeds() -> None:
    only = [{"name": "acks=all", "acks": "all", "min_insync": 2, "stalled": [], "crash": True}]
    for seed in range(500):
        summary = pa.simulate(seed, runs=only).extra["runs"]["acks=all"]["summary"]
        assert summary["lost_acked"] == [], f"seed {seed}"
        assert summary["new_leader"] == "B3" and summary["isr_shrinks"] == []


def test_offline_partition_loses_nothing() -> None:
    """Both followers out of the ISR when the leader dies: no clean election, nothing truncated or lost."""
    trace = run(0, {"runs": [{"name": "x", "acks": "all", "min_insync": 1, "stalled": ["B2", "B3"], "crash": True}]})
    s = trace["runs"]["x"]["summary"]
    assert s["offline"] and s["new_leader"] is None and s["lost_acked"] == [] and s["acked"]
    check_all(trace)


# ---------------------------------------------------------------- the checkers catch corrupted traces
def _runs(t: dict[str, Any], name: str) -> dict[str, Any]:
    return t["runs"][name]


def _gap_in_log(t: dict[str, Any]) -> None:
    step = next(s for s in _runs(t, "acks=1")["steps"] if s["event"] == "copy" and s["record"] == 2)
    step["logs"][step["broker"]].remove(1)
    step["leo"][step["broker"]] -= 1


def _hw_too_high(t: dict[str, Any]) -> None:
    step = next(s for s in _runs(t, "acks=1")["steps"] if s["event"] == "append" and s["record"] == 3)
    step["hw"] = step["leo"]["B1"]


def _early_shrink(t: dict[str, Any]) -> None:
    for s in _runs(t, "all-stalled-min2")["steps"]:
        if s["event"] == "isr_shrink":
            s["t_ms"] -= 1


def _ack_before_isr(t: dict[str, Any]) -> None:
    rec = _runs(t, "acks=all")["records"][0]
    rec["answer_ms"] -= 3
    rec["ack_ms"] -= 3
    rec["latency_ms"] -= 3
    next(s for s in _runs(t, "acks=all")["steps"] if s["event"] == "ack" and s["record"] == 0)["t_ms"] -= 3


def _acked_and_failed(t: dict[str, Any]) -> None:
    _runs(t, "acks=1")["records"][0]["error"] = NER


def _lost_with_all(t: dict[str, Any]) -> None:
    _runs(t, "acks=all")["summary"]["lost_acked"] = [4]


def _latency_inverted(t: dict[str, Any]) -> None:
    _runs(t, "acks=1")["records"][2]["latency_ms"] = 99


def _elect_most_caught_up(t: dict[str, Any]) -> None:
    r = _runs(t, "acks=1")
    step = next(s for s in r["steps"] if s["event"] == "elect")
    step["broker"] = "B2"
    r["summary"]["new_leader"] = "B2"


def _logs_diverge(t: dict[str, Any]) -> None:
    step = next(s for s in _runs(t, "acks=0")["steps"] if s["event"] == "copy")
    step["logs"][step["broker"]] = []


def _late_copy(t: dict[str, Any]) -> None:
    step = next(s for s in _runs(t, "acks=0")["steps"] if s["event"] == "copy" and s["record"] == 1)
    step["t_ms"] += 1
    _runs(t, "acks=0")["records"][1]["copies"][step["broker"]] += 1


def _misordered(t: dict[str, Any]) -> None:
    steps = _runs(t, "acks=1")["steps"]
    i = next(k for k, s in enumerate(steps) if s["event"] == "append")
    steps[i]["event"], steps[i - 1]["event"] = steps[i - 1]["event"], "ack"


@pytest.mark.parametrize("mutate, check", [
    (_gap_in_log, check_logs),
    (_hw_too_high, check_isr_hw),
    (_early_shrink, check_isr_hw),
    (_ack_before_isr, check_answers),
    (_acked_and_failed, check_answers),
    (_lost_with_all, check_no_loss_with_acks_all),
    (_latency_inverted, check_latency_order),
    (_elect_most_caught_up, check_election),
    (_logs_diverge, check_logs_agree),
    (_late_copy, check_timing),
    (_misordered, check_order),
])
def test_checkers_catch_corrupted_traces(mutate: Callable[[dict[str, Any]], None],
                                         check: Callable[[dict[str, Any]], None]) -> None:
    trace = cached_run(7, {"jitter_ms": 0})
    check(trace)
    broken = copy.deepcopy(trace)
    mutate(broken)
    with pytest.raises(AssertionError):
        check(broken)


# ---------------------------------------------------------------- planted simulator bugs are caught
def _elect_last(order: Any, isr: Any, alive: Any) -> Any:
    return next((b for b in reversed(order) if b in isr and alive[b]), None)


def _never_lags(follower_log: Any, leader_log: Any, leader_got: Any, now: int, epoch: int, stalled: bool) -> int:
    return now


def _max_hw(isr: Any, logs: Any) -> int:
    return max(len(logs[b]) for b in isr)


@pytest.mark.parametrize("target, bug, check", [
    ("elect_leader", _elect_last, check_election),
    ("last_caught_up", _never_lags, check_isr_hw),
    ("high_watermark", _max_hw, check_isr_hw),
])
def test_planted_bugs_are_caught(target: str, bug: Callable[..., Any], check: Callable[[dict[str, Any]], None]) -> None:
    with mock.patch.object(pa, target, bug):
        trace = run(7, {"jitter_ms": 0})
    with pytest.raises(AssertionError):
        check(trace)


# ---------------------------------------------------------------- the storyboard's hand-computed reference
def test_reference_crash_runs_without_jitter() -> None:
    trace = cached_run(7, {"jitter_ms": 0})
    runs = trace["runs"]
    rec = runs["acks=1"]["records"]
    assert [r["append_ms"] for r in rec] == [2, 6, 10, 14, 18, 22, 26, None]  # 7 reaches B1 at 30, the crash
    crash = crash_step(runs["acks=1"])
    assert crash["t_ms"] == 30 and crash["logs"]["B2"] == [0, 1, 2, 3, 4, 5, 6] and crash["logs"]["B3"] == [0, 1, 2, 3, 4]
    expected = {"acks=0": (0, list(range(8)), [5, 6, 7]), "acks=1": (4, list(range(7)), [5, 6]),
                "acks=all": (13, list(range(5)), [])}
    for name, (latency, acked, lost) in expected.items():
        s = runs[name]["summary"]
        assert s["acked"] == acked and s["lost_acked"] == lost and s["max_latency_ms"] == latency, name
        assert {runs[name]["records"][i]["latency_ms"] for i in acked} == {latency}
        assert s["new_leader"] == "B3" and s["truncated"] == {"B2": [5, 6]} and s["survivors"] == [0, 1, 2, 3, 4]
    assert [runs["acks=all"]["records"][i]["copies_at_ack"] for i in range(5)] == [3] * 5
    assert [row["lost"] for row in trace["summary"]["table"][:3]] == [3, 2, 0]


def test_reference_stalled_runs_with_the_storyboards_lag_limit() -> None:
    """The storyboard's numbers, at its replica_lag_max_ms of 10."""
    runs = cached_run(7, {"jitter_ms": 0, "replica_lag_max_ms": 10})["runs"]
    for name in ("all-stalled-min2", "all-stalled-min1"):
        assert runs[name]["summary"]["isr_shrinks"] == [["B3", 10], ["B2", 10]]
    min2 = runs["all-stalled-min2"]
    assert [(r["error"], r["answer_ms"]) for r in min2["records"][:2]] == [(NER_AFTER, 10)] * 2
    assert all(r["error"] == NER and r["append_ms"] is None for r in min2["records"][2:])
    assert min2["summary"]["acked"] == [] and min2["summary"]["refused"] == list(range(2, 8))
    min1 = runs["all-stalled-min1"]
    assert [r["ack_ms"] for r in min1["records"][:2]] == [12, 12]
    assert [r["latency_ms"] for r in min1["records"]] == [12, 8, 4, 4, 4, 4, 4, 4]
    assert {r["copies_at_ack"] for r in min1["records"]} == {1}


def test_reference_stalled_runs_at_the_default_lag_limit() -> None:
    """Hand-computed for replica_lag_max_ms=12: both leave at 12; records 0-2 (appended at 2, 6, 10) fail after
    append, 3-7 are refused; with min_insync=1 records 0-2 are acked at 14 and the rest 4 ms after their send."""
    runs = cached_run(7, {"jitter_ms": 0})["runs"]
    min2, min1 = runs["all-stalled-min2"], runs["all-stalled-min1"]
    assert min2["summary"]["isr_shrinks"] == [["B3", 12], ["B2", 12]]
    assert [r["error"] for r in min2["records"]] == [NER_AFTER] * 3 + [NER] * 5
    assert [r["error_ms"] for r in min2["records"]] == [14, 14, 14, 16, 20, 24, 28, 32]
    assert [r["latency_ms"] for r in min1["records"]] == [14, 10, 6, 4, 4, 4, 4, 4]


def test_election_order_matters() -> None:
    """replica_order B1, B2, B3 without jitter elects B2, which had everything: acks=1 loses nothing."""
    runs = cached_run(7, {"jitter_ms": 0, "replica_order": ["B1", "B2", "B3"]})["runs"]
    assert runs["acks=1"]["summary"]["new_leader"] == "B2" and runs["acks=1"]["summary"]["lost_acked"] == []
    assert runs["acks=0"]["summary"]["lost_acked"] == [7]
    assert runs["acks=all"]["steps"][-1]["logs"]["B3"] == list(range(7))  # B3 caught up from B2


# ---------------------------------------------------------------- rules on their own
def test_last_caught_up() -> None:
    got = {0: 2, 1: 6, 2: 10}
    assert pa.last_caught_up([0, 1, 2], [0, 1, 2], got, 15, 0, False) == 15  # misses nothing
    assert pa.last_caught_up([0], [0, 1, 2], got, 15, 0, False) == 6  # first missing appended at 6
    assert pa.last_caught_up([0], [0, 1, 2], got, 15, 8, False) == 8  # not before the term began
    assert pa.last_caught_up([], [], got, 15, 0, True) == 0  # stalled never fetches


def test_elect_leader_and_high_watermark() -> None:
    alive = {"B1": False, "B2": True, "B3": True}
    assert pa.elect_leader(["B1", "B3", "B2"], ["B1", "B2", "B3"], alive) == "B3"
    assert pa.elect_leader(["B1", "B3", "B2"], ["B1", "B2"], alive) == "B2"
    assert pa.elect_leader(["B1", "B3", "B2"], ["B1"], alive) is None
    assert pa.high_watermark(["B1", "B3"], {"B1": [0, 1, 2], "B2": [0], "B3": [0, 1]}) == 2


def test_arrival_times_and_draws() -> None:
    import numpy as np
    p = resolve_params(pa.PARAMS, {}, pa.check_params)
    assert pa.arrival_times(p, [0] * 8) == [2, 6, 10, 14, 18, 22, 26, 30]
    draws = pa.draw_jitter(np.random.default_rng(0), 8, ["B1", "B3", "B2"], 2)
    assert set(draws) == {"produce", "B1", "B2", "B3"} and all(0 <= j <= 2 for v in draws.values() for j in v)


# ---------------------------------------------------------------- the catalog story
def catalog_trace() -> dict[str, Any]:
    entry = load_catalog().get(pa.ID)
    params = resolve_params(pa.PARAMS, dict(entry.params), pa.check_params)
    assert params == DEFAULTS, "catalog params must equal the simulator's defaults"
    return cached_run(entry.seed, dict(entry.params))


def test_catalog_story() -> None:
    trace = catalog_trace()
    check_all(trace)
    runs = trace["runs"]
    s0, s1, sall = (runs[n]["summary"] for n in CRASH_RUNS)
    # hook: an acks=1 "saved" record is missing from the new leader's log
    assert s1["lost_acked"] and not set(s1["lost_acked"]) & set(s1["survivors"])
    # the crash: B3 elected (first in replica order), B2 trims, fewer losses as acks grows
    for s in (s0, s1, sall):
        assert s["new_leader"] == "B3" and "B2" in s["truncated"] and s["isr_shrinks"] == []
    assert len(s0["lost_acked"]) > len(s1["lost_acked"]) > len(sall["lost_acked"]) == 0
    # latency climbs with acks
    assert s0["max_latency_ms"] == 0 < s1["max_latency_ms"] < sall["max_latency_ms"]
    # one set of strips: the crash runs agree on every log
    assert trace["summary"]["crash_groups"][0] == {"runs": CRASH_RUNS, "logs_agree": True}
    # shrunk ISR: red errors with min_insync=2, single-copy checks with 1
    assert runs["all-stalled-min2"]["summary"]["acked"] == [] and runs["all-stalled-min2"]["summary"]["failed"]
    assert runs["all-stalled-min1"]["summary"]["acked"] == list(range(8))
    assert {r["copies_at_ack"] for r in runs["all-stalled-min1"]["records"]} == {1}


@pytest.mark.parametrize("seed", range(0, 500, 25))
def test_story_holds_for_other_seeds(seed: int) -> None:
    runs = cached_run(seed)["runs"]
    s0, s1, sall = (runs[n]["summary"] for n in CRASH_RUNS)
    assert s1["lost_acked"] and sall["lost_acked"] == [] and len(s0["lost_acked"]) > len(s1["lost_acked"])
    assert s1["new_leader"] == "B3"


# ---------------------------------------------------------------- determinism, purity, params
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    code = ("import sys; from sims.producer_acknowledgments import simulate; "
            "sys.stdout.write(simulate(7).to_json()); sys.stdout.write(simulate(3, jitter_ms=9).to_json()); "
            "print('manim' in sys.modules)")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second
    assert first.decode().startswith(pa.simulate(7).to_json())
    assert first.strip().endswith(b"False"), "importing the simulator pulled in manim"
    assert pa.simulate(8).to_json() != pa.simulate(7).to_json()


def test_trace_shape_and_size() -> None:
    trace = pa.simulate(7)
    assert trace.id == pa.ID == "producer-acknowledgments" and trace.params == DEFAULTS
    assert len(trace.to_json()) < 1_000_000
    big = pa.simulate(1, n_records=40, crash_at_ms=2000, send_interval_ms=50)
    assert len(big.to_json()) < 2_000_000


RUN = {"name": "x", "acks": 1, "stalled": [], "crash": True}


@pytest.mark.parametrize("params, field", [
    ({"n_records": 0}, "n_records"), ({"n_records": 41}, "n_records"),
    ({"send_interval_ms": 0}, "send_interval_ms"), ({"send_interval_ms": 51}, "send_interval_ms"),
    ({"net_ms": 0}, "net_ms"), ({"net_ms": 21}, "net_ms"),
    ({"jitter_ms": -1}, "jitter_ms"), ({"jitter_ms": 21}, "jitter_ms"),
    ({"crash_at_ms": -1}, "crash_at_ms"), ({"crash_at_ms": 2001}, "crash_at_ms"),
    ({"replica_lag_max_ms": 0}, "replica_lag_max_ms"), ({"replica_lag_max_ms": 1001}, "replica_lag_max_ms"),
    ({"min_insync": 0}, "min_insync"), ({"min_insync": 6}, "min_insync"),
    ({"follower_lag_ms": {"B2": 0, "B3": 9}}, "follower_lag_ms"), ({"follower_lag_ms": {"B2": 101, "B3": 9}}, "follower_lag_ms"),
    ({"follower_lag_ms": {"X": 3}}, "follower_lag_ms"), ({"follower_lag_ms": [3, 9]}, "follower_lag_ms"),
    ({"replica_order": ["B1"]}, "replica_order"), ({"replica_order": ["B1", "B1"]}, "replica_order"),
    ({"replica_order": ["B1", "B2", "B3", "B4", "B5", "B6"]}, "replica_order"), ({"replica_order": ["B1", "C2"]}, "replica_order"),
    ({"runs": []}, "runs"), ({"runs": [RUN] * 7}, "runs"), ({"runs": [RUN, RUN]}, "runs"),
    ({"runs": [{**RUN, "acks": 2}]}, "runs"), ({"runs": [{**RUN, "acks": True}]}, "runs"),
    ({"runs": [{**RUN, "min_insync": 0}]}, "runs"), ({"runs": [{**RUN, "stalled": ["Q"]}]}, "runs"),
    ({"runs": [{**RUN, "crash": 1}]}, "runs"), ({"runs": [{**RUN, "extra": 1}]}, "runs"),
    ({"runs": [{"name": "x", "acks": 1}]}, "runs"), ({"runs": [{**RUN, "name": ""}]}, "runs"),
    ({"bogus": 1}, "bogus"), ({"net_ms": 2.0}, "net_ms"),
    # cross-field
    ({"follower_lag_ms": {"B2": 3}}, "follower_lag_ms"),
    ({"replica_order": ["B1", "B2", "B4"]}, "follower_lag_ms"),
    ({"min_insync": 4}, "min_insync"),
    ({"runs": [{**RUN, "min_insync": 4}]}, "runs"),
    ({"runs": [{**RUN, "stalled": ["B1"]}]}, "runs"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        pa.simulate(0, **params)
    assert err.value.field == field


def test_range_edges_are_accepted() -> None:
    pa.simulate(0, n_records=1, send_interval_ms=1, net_ms=1, jitter_ms=0, crash_at_ms=0, replica_lag_max_ms=1,
                min_insync=1, replica_order=["B1", "B2"], follower_lag_ms={"B2": 1},
                runs=[{"name": "x", "acks": 0, "stalled": ["B2"], "crash": True}])
    pa.simulate(0, n_records=40, send_interval_ms=50, net_ms=20, jitter_ms=20, crash_at_ms=2000,
                replica_lag_max_ms=1000, min_insync=5, replica_order=["B1", "B2", "B3", "B4", "B5"],
                follower_lag_ms={"B2": 100, "B3": 1, "B4": 50, "B5": 100})


def test_negative_or_bool_seed_is_a_param_error() -> None:
    for seed in (-1, True):
        with pytest.raises(ParamError) as err:
            pa.simulate(seed)
        assert err.value.field == "seed"


def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py):
    the first record's latency under the slowest acks setting of the crash runs, how many acknowledged
    records the middle setting loses, and what the strictest stalled run's producer is told."""
    runs, s = trace["runs"], trace["summary"]
    group = next(g for g in s["crash_groups"] if all(runs[r]["crash"] for r in g["runs"]))
    crash_runs = sorted(group["runs"], key=lambda r: runs[r]["summary"]["max_latency_ms"] or 0)
    slowest = (crash_runs + crash_runs[-1:] * 2)[2]
    middle = crash_runs[1] if len(crash_runs) > 2 else crash_runs[0]
    answers = [f"{runs[slowest]['records'][0]['latency_ms']} ms", str(len(runs[middle]["summary"]["lost_acked"]))]
    stalled = sorted((r for r in s["run_order"] if runs[r]["stalled"]), key=lambda r: -runs[r]["min_insync"])
    if stalled:
        acked = runs[stalled[0]]["summary"]["acked"]
        answers.append("an ack for every record" if len(acked) == trace["params"]["n_records"]
                       else "an error for every record" if not acked else "some acks, some errors")
    return answers
