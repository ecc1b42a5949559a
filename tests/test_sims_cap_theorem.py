"""Tests for sims.cap_theorem: the storyboard's invariants checked from the trace JSON alone, the
canonical hand case, Gilbert and Lynch's two ops, the catalog story, rules, determinism and errors."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.catalog import load_catalog
from sims import cap_theorem as cap
from sims.params import ParamError, resolve_params

ROOT = Path(__file__).resolve().parents[1]
EVENTS = {"partition_start", "partition_end", "converged", "issue", "result", "apply", "drop", "idle"}
PROPERTY = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@lru_cache(maxsize=16)
def run_json(seed: int, params_json: str = "{}") -> dict[str, Any]:
    return json.loads(cap.simulate(seed, **json.loads(params_json)).to_json())


def fresh(seed: int, **params: Any) -> dict[str, Any]:
    """A private copy (safe to corrupt)."""
    return copy.deepcopy(run_json(seed, json.dumps(params, sort_keys=True)))


# ---------------------------------------------------------------- independent helpers (JSON only)
def guard(p: dict[str, Any]) -> int:
    return max(p["cp_timeout"], 2 * p["repl_delay"])


def run_steps(data: dict[str, Any], mode: str) -> list[dict[str, Any]]:
    """One run's steps (check_bookkeeping checks that the slice holds exactly that run's steps)."""
    run = data["runs"][mode]
    return data["steps"][run["steps_from"]:run["steps_to"]]


def results_by_op(data: dict[str, Any], mode: str) -> dict[int, dict[str, Any]]:
    return {r["op_id"]: r for s in run_steps(data, mode) for r in s["results"]}


def during(data: dict[str, Any], t: int) -> bool:
    return data["partition"]["start"] <= t < data["partition"]["end"]


def side_of(data: dict[str, Any], name: str) -> str:
    return "minority" if name in data["sides"]["minority"] else "majority"


def oracle_latest(data: dict[str, Any], mode: str) -> dict[int, int | None]:
    """Linearizability oracle: for each op, the value of the last write acknowledged before it."""
    res = results_by_op(data, mode)
    acked = sorted((res[op["id"]]["done_t"], op["value"]) for op in data["ops"]
                   if op["kind"] == "write" and res[op["id"]]["outcome"] == "ok")
    latest: dict[int, int | None] = {}
    for op in data["ops"]:
        before = [v for done, v in acked if done < op["t"]]
        latest[op["id"]] = before[-1] if before else None
    return latest


def key(state: dict[str, Any]) -> tuple[Any, Any, Any]:
    return state["value"], state["version"], None if state["stamp"] is None else tuple(state["stamp"])


# ---------------------------------------------------------------- checkers, one per invariant
def check_bookkeeping(data: dict[str, Any]) -> None:
    p, ops = data["params"], data["ops"]
    n, rd, dur = p["n_replicas"], p["repl_delay"], p["duration"]
    names = data["replicas"]
    assert names == [chr(65 + i) for i in range(n)]
    assert sorted(data["sides"]["majority"] + data["sides"]["minority"]) == names
    assert len(data["sides"]["minority"]) == (n - 1) // 2
    ps, pe = data["partition"]["start"], data["partition"]["end"]
    assert 0 <= ps < pe and pe + rd <= dur
    g = guard(p)
    assert [op["id"] for op in ops] == list(range(1, len(ops) + 1))
    for a, b in zip(ops, ops[1:]):
        assert b["t"] - a["t"] >= p["op_spacing"]
    for op in ops:
        t = op["t"]
        assert 0 <= t <= dur - g - 1, "an op does not complete inside the run"
        assert not (ps - g <= t < ps or pe - g <= t <= pe + rd), "an op straddles a network change"
        assert op["client"] == ("left" if side_of(data, op["replica"]) == "minority" else "right")
        assert (op["value"] is not None) == (op["kind"] == "write")
    values = [op["value"] for op in ops if op["kind"] == "write"]
    assert len(set(values)) == len(values) and all(1 <= v <= 99 for v in values)
    assert [s["mode"] for s in data["steps"]] == ["cp"] * (dur + 1) + ["ap"] * (dur + 1)
    for mode in ("cp", "ap"):
        run = data["runs"][mode]
        steps = run_steps(data, mode)
        assert all(s["mode"] == mode for s in steps)
        assert [s["t"] for s in steps] == list(range(dur + 1))
        issued = {op["t"]: op["id"] for op in ops}
        seen_results = []
        for s in steps:
            assert s["partitioned"] == during(data, s["t"])
            assert s["issued"] == issued.get(s["t"])
            assert set(s["events"]) <= EVENTS and s["event"] == s["events"][0]
            assert ("issue" in s["events"]) == (s["issued"] is not None)
            assert ("result" in s["events"]) == bool(s["results"])
            assert ("drop" in s["events"]) == any(m["dropped"] for m in s["messages"])
            assert ("partition_start" in s["events"]) == (s["t"] == ps)
            assert ("partition_end" in s["events"]) == (s["t"] == pe)
            for m in s["messages"]:
                assert m["sent_t"] == s["t"] and m["arrive_t"] == s["t"] + rd and m["src"] != m["dst"]
            for r in s["results"]:
                assert r["done_t"] == s["t"]
                seen_results.append(r["op_id"])
        assert sorted(seen_results) == [op["id"] for op in ops], "every op completes exactly once"
        res = results_by_op(data, mode)
        summary = run["summary"]
        assert summary == data["summary"][mode]
        assert summary["ops"] == len(ops)
        assert summary["ok"] == sum(r["outcome"] == "ok" for r in res.values())
        assert summary["refused"] == sum(r["outcome"] == "refused" for r in res.values())
        assert summary["stale_reads"] == sum(r["stale"] for r in res.values())
        assert summary["lost_writes"] == sum(w["lost"] for w in run["writes"])
        split = [op["id"] for op in ops if during(data, op["t"])]
        assert summary["split_ops"] == len(split)
        assert summary["split_ok"] == sum(res[i]["outcome"] == "ok" for i in split)
        assert summary["final_value"] == steps[-1]["replicas"][names[0]]["value"]
        assert [w["op_id"] for w in run["writes"]] == [op["id"] for op in ops if op["kind"] == "write"
                                                         and res[op["id"]]["outcome"] == "ok"]


def check_linearizable_cp(data: dict[str, Any]) -> None:
    """Invariant 1, plus latest_acked and stale recomputed in both runs."""
    by_id = {op["id"]: op for op in data["ops"]}
    for mode in ("cp", "ap"):
        latest = oracle_latest(data, mode)
        for op_id, r in results_by_op(data, mode).items():
            assert r["latest_acked"] == latest[op_id], f"{mode}: latest_acked of op {op_id}"
            is_read_ok = by_id[op_id]["kind"] == "read" and r["outcome"] == "ok"
            assert r["stale"] == (is_read_ok and r["returned"] != latest[op_id])
            if by_id[op_id]["kind"] == "write" or r["outcome"] == "refused":
                assert r["returned"] is None
    latest = oracle_latest(data, "cp")
    for op_id, r in results_by_op(data, "cp").items():
        if by_id[op_id]["kind"] == "read" and r["outcome"] == "ok":
            assert r["returned"] == latest[op_id], f"cp op {op_id} is not linearizable"
            assert not r["stale"]


def check_cp_refusal(data: dict[str, Any]) -> None:
    """Invariant 2, with the CP timing rules (ok after 2 * repl_delay, refused after cp_timeout)."""
    p = data["params"]
    res = results_by_op(data, "cp")
    for op in data["ops"]:
        refused = during(data, op["t"]) and side_of(data, op["replica"]) == "minority"
        r = res[op["id"]]
        assert (r["outcome"] == "refused") == refused, f"op {op['id']}"
        assert r["done_t"] == op["t"] + (p["cp_timeout"] if refused else 2 * p["repl_delay"])
        if not refused:
            reach = [n for n in data["replicas"] if not during(data, op["t"])
                     or side_of(data, n) == side_of(data, op["replica"])]
            assert r["quorum"] == reach and 2 * len(reach) > len(data["replicas"])
    steps = run_steps(data, "cp")
    ps, pe = data["partition"]["start"], data["partition"]["end"]
    for name in data["sides"]["minority"]:
        before = steps[ps - 1]["replicas"][name] if ps > 0 else \
            {"value": None, "version": 0, "stamp": None, "write": None}
        for s in steps[ps:pe]:
            assert s["replicas"][name] == before, f"minority replica {name} changed at t={s['t']}"


def check_ap_available(data: dict[str, Any]) -> None:
    """Invariant 3, and AP answers from local state: a read returns what its replica holds, a write
    is held by its replica at once."""
    res = results_by_op(data, "ap")
    steps = run_steps(data, "ap")
    for op in data["ops"]:
        assert res[op["id"]]["outcome"] == "ok" and res[op["id"]]["done_t"] == op["t"]
        assert res[op["id"]]["quorum"] == [op["replica"]]
        local = steps[op["t"]]["replicas"][op["replica"]]
        if op["kind"] == "read":
            assert res[op["id"]]["returned"] == local["value"], f"ap op {op['id']} did not answer locally"
        else:
            assert (local["value"], local["stamp"]) == (op["value"], [op["t"], op["replica"]])


def check_wall(data: dict[str, Any]) -> None:
    """Invariant 4: drops exactly across the wall while partitioned; no value crosses it."""
    ps, pe, rd = data["partition"]["start"], data["partition"]["end"], data["params"]["repl_delay"]
    for mode in ("cp", "ap"):
        steps = run_steps(data, mode)
        for s in steps:
            for m in s["messages"]:
                crosses = side_of(data, m["src"]) != side_of(data, m["dst"])
                assert m["dropped"] == (crosses and during(data, m["sent_t"])), f"{mode} t={s['t']} {m}"
        knowable = {side: {None} | {op["value"] for op in data["ops"] if op["kind"] == "write" and op["t"] < ps}
                    for side in ("majority", "minority")}
        for op in data["ops"]:
            if op["kind"] == "write" and during(data, op["t"]):
                knowable[side_of(data, op["replica"])].add(op["value"])
        for s in steps[ps:pe + rd]:
            for name, state in s["replicas"].items():
                assert state["value"] in knowable[side_of(data, name)], f"{mode}: {name} learned across the wall"


def check_convergence(data: dict[str, Any]) -> None:
    """Invariant 5, plus converged_at and the final value (the last acked write, in both runs)."""
    pe, rd = data["partition"]["end"], data["params"]["repl_delay"]
    writes_after = [op["t"] for op in data["ops"] if op["kind"] == "write" and op["t"] >= pe]
    until = min(writes_after, default=data["params"]["duration"] + 1)
    for mode in ("cp", "ap"):
        steps = run_steps(data, mode)
        res = results_by_op(data, mode)
        for s in steps[pe + rd:until]:
            assert len({key(st_) for st_ in s["replicas"].values()}) == 1, f"{mode}: diverged at t={s['t']}"
        acked = [op for op in data["ops"] if op["kind"] == "write" and res[op["id"]]["outcome"] == "ok"
                 and res[op["id"]]["done_t"] < pe + rd]
        state = steps[pe + rd]["replicas"][data["replicas"][0]]
        if acked:
            if mode == "ap":
                best = max(acked, key=lambda op: (op["t"], op["replica"]))
                assert state["stamp"] == [best["t"], best["replica"]] and state["value"] == best["value"]
            else:
                assert state["value"] == max(acked, key=lambda op: res[op["id"]]["done_t"])["value"]
        same = [s["t"] for s in steps[pe:] if len({key(x) for x in s["replicas"].values()}) == 1]
        assert data["runs"][mode]["summary"]["converged_at"] == same[0] <= pe + rd
        last = steps[-1]["replicas"]
        assert len({key(x) for x in last.values()}) == 1
        all_acked = [op for op in data["ops"] if op["kind"] == "write" and res[op["id"]]["outcome"] == "ok"]
        assert last[data["replicas"][0]]["value"] == (all_acked[-1]["value"] if all_acked else None)


def check_monotone(data: dict[str, Any]) -> None:
    """Invariant 6 (and each mode uses only its own ordering field)."""
    for mode in ("cp", "ap"):
        prev: dict[str, dict[str, Any]] = {}
        for s in run_steps(data, mode):
            for name, state in s["replicas"].items():
                if mode == "cp":
                    assert state["stamp"] is None and isinstance(state["version"], int)
                else:
                    assert state["version"] is None
                if name in prev:
                    if mode == "cp":
                        assert state["version"] >= prev[name]["version"], f"cp version of {name} went down"
                    elif prev[name]["stamp"] is not None:
                        assert state["stamp"] is not None and state["stamp"] >= prev[name]["stamp"], \
                            f"ap stamp of {name} went down"
                prev[name] = state


def check_same_before_split(data: dict[str, Any]) -> None:
    """Invariant 7."""
    cp_res, ap_res = results_by_op(data, "cp"), results_by_op(data, "ap")
    for op in data["ops"]:
        if op["t"] < data["partition"]["start"]:
            a, b = cp_res[op["id"]], ap_res[op["id"]]
            assert (a["outcome"], a["returned"]) == (b["outcome"], b["returned"]), f"op {op['id']}"


def check_loss_accounting(data: dict[str, Any]) -> None:
    """Invariant 8, with lost writes derived independently: with last-writer-wins, a side's last
    write of the split is lost iff the other side wrote later during the split."""
    assert data["summary"]["cp"]["lost_writes"] == 0
    assert not any(w["lost"] for w in data["runs"]["cp"]["writes"])
    ops = {op["id"]: op for op in data["ops"]}
    writes = data["runs"]["ap"]["writes"]
    for w in writes:
        op = ops[w["op_id"]]
        assert w["stamp"] == [op["t"], op["replica"]] and w["value"] == op["value"] and w["acked"]
        if w["lost"]:
            assert during(data, op["t"]), "an ap write lost outside the split"
            assert ops[w["lost_to"]]["t"] > op["t"] and w["lost_t"] == data["partition"]["end"] + data["params"]["repl_delay"]
    for op_id, r in results_by_op(data, "ap").items():
        if r["stale"]:
            assert during(data, ops[op_id]["t"]), "a stale ap read outside the split"
    last = {side: None for side in ("majority", "minority")}
    for op in data["ops"]:
        if op["kind"] == "write" and during(data, op["t"]):
            last[side_of(data, op["replica"])] = op
    expected = set()
    if last["majority"] and last["minority"]:
        expected.add(min(last.values(), key=lambda op: op["t"])["id"])
    assert {w["op_id"] for w in writes if w["lost"]} == expected


CHECKS = (check_bookkeeping, check_linearizable_cp, check_cp_refusal, check_ap_available, check_wall,
          check_convergence, check_monotone, check_same_before_split, check_loss_accounting)


def check_all(data: dict[str, Any]) -> None:
    for check in CHECKS:
        check(data)


# ---------------------------------------------------------------- properties
@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, dict[str, Any]]:
    """Seeds and every parameter that matters, across its declared range, under the 200-tick cap."""
    rd = draw(st.integers(1, 10))
    cp_timeout = draw(st.integers(1, 20))
    g = max(cp_timeout, 2 * rd)
    schedule = draw(st.sampled_from(cap.SCHEDULES))
    params: dict[str, Any] = {"n_replicas": draw(st.sampled_from([3, 5])), "repl_delay": rd,
                              "cp_timeout": cp_timeout, "schedule": schedule}
    if schedule == "random":
        s = draw(st.integers(g + 1, min(50, 200 - 3 * g - rd - 2)))
        n_ops = draw(st.integers(1, min(40, (200 - 3 * g - rd - 2) // s + 1)))
        need = (n_ops - 1) * s + 3 * g + rd + 2
        params.update(op_spacing=s, n_random_ops=n_ops, duration=draw(st.integers(need, 200)))
    else:
        def layout(s: int, ps_extra: int = 0, pe_extra: int = 0) -> tuple[int, int, int]:
            """The smallest partition bounds and duration that fit the story at spacing s."""
            ps = g + 1 + s + ps_extra
            pe = max(ps, ps - g - 1 + s) + 4 * s + g + 1 + pe_extra
            return ps, pe, max(pe + rd + 1, pe - g - 1 + s) + s + g + 1
        top = max(x for x in range(g + 1, 51) if x == g + 1 or layout(x)[2] <= 200)
        s = draw(st.integers(g + 1, top))
        ps, pe, dur_min = layout(s, draw(st.integers(0, 12)), draw(st.integers(0, 12)))
        if dur_min > 200:
            ps, pe, dur_min = layout(s)
        params.update(op_spacing=s, partition_start=ps, partition_end=pe,
                      duration=draw(st.integers(dur_min, min(200, dur_min + 20))))
    return draw(st.integers(0, 2**32 - 1)), params


@PROPERTY
@given(scenarios())
def test_invariants_hold_for_drawn_seeds_and_params(scenario: tuple[int, dict[str, Any]]) -> None:
    seed, params = scenario
    check_all(json.loads(cap.simulate(seed, **params).to_json()))


def test_strategy_reaches_the_edges() -> None:
    """The strategy's arithmetic admits the extreme settings (each validates and passes the checks)."""
    edge_cases = [
        {"repl_delay": 10, "cp_timeout": 20, "op_spacing": 21, "partition_start": 42, "partition_end": 147,
         "duration": 200, "n_replicas": 5},
        {"repl_delay": 1, "cp_timeout": 1, "op_spacing": 3, "partition_start": 6, "partition_end": 21,
         "duration": 30},
        {"schedule": "random", "n_random_ops": 40, "op_spacing": 3, "duration": 200, "cp_timeout": 2},
        {"schedule": "random", "n_random_ops": 1, "duration": 9, "op_spacing": 3, "cp_timeout": 1},
    ]
    for params in edge_cases:
        check_all(fresh(3, **params))


@pytest.mark.parametrize("corrupt, checker", [
    (lambda d: d["steps"][d["runs"]["cp"]["steps_from"] + 26]["results"][0].update(returned=1), check_linearizable_cp),
    (lambda d: d["steps"][d["runs"]["cp"]["steps_from"] + 19]["results"][0].update(outcome="ok"), check_cp_refusal),
    (lambda d: d["steps"][20]["replicas"]["A"].update(value=3), check_cp_refusal),
    (lambda d: d["steps"][d["runs"]["ap"]["steps_from"] + 16]["results"][0].update(done_t=17), check_ap_available),
    (lambda d: d["steps"][12]["messages"][0].update(dropped=False), check_wall),
    (lambda d: d["steps"][d["runs"]["ap"]["steps_from"] + 14]["replicas"]["A"].update(value=2), check_wall),
    (lambda d: d["steps"][d["runs"]["ap"]["steps_from"] + 34]["replicas"]["C"].update(value=2), check_convergence),
    (lambda d: d["steps"][d["runs"]["ap"]["steps_from"] + 20]["replicas"]["B"].update(stamp=[1, "B"]), check_monotone),
    (lambda d: d["steps"][8]["results"][0].update(returned=None), check_same_before_split),
    (lambda d: d["runs"]["ap"]["writes"][1].update(lost=False), check_loss_accounting),
    (lambda d: d["runs"]["ap"]["summary"].update(stale_reads=1), check_bookkeeping),
])
def test_checkers_reject_corrupted_traces(corrupt: Any, checker: Any) -> None:
    data = fresh(0, schedule="canonical")
    checker(data)
    corrupt(data)
    with pytest.raises(AssertionError):
        checker(data)


# ---------------------------------------------------------------- reference checks
def outcomes(data: dict[str, Any], mode: str) -> list[Any]:
    res = results_by_op(data, mode)
    return [res[i]["returned"] if res[i]["outcome"] == "ok" and data["ops"][i - 1]["kind"] == "read"
            else res[i]["outcome"] for i in sorted(res)]


@pytest.mark.parametrize("seed", [0, 12345])
def test_canonical_hand_case(seed: int) -> None:
    data = fresh(seed, schedule="canonical")
    check_all(data)
    assert data["sides"] == {"majority": ["B", "C"], "minority": ["A"]}
    assert data["partition"] == {"start": 10, "end": 32}
    assert [(op["id"], op["kind"], op["value"], op["replica"], op["t"]) for op in data["ops"]] == [
        (1, "write", 1, "B", 2), (2, "read", None, "A", 6), (3, "write", 2, "B", 12), (4, "read", None, "A", 16),
        (5, "write", 3, "A", 20), (6, "read", None, "C", 24), (7, "read", None, "A", 28),
        (8, "read", None, "B", 36), (9, "read", None, "A", 40)]
    assert outcomes(data, "cp") == ["ok", 1, "ok", "refused", "refused", 2, "refused", 2, 2]
    cp = data["summary"]["cp"]
    assert (cp["ok"], cp["ops"], cp["stale_reads"], cp["lost_writes"], cp["final_value"]) == (6, 9, 0, 0, 2)
    cp_steps = run_steps(data, "cp")
    assert cp_steps[32]["replicas"]["A"]["value"] == 1 and cp_steps[33]["replicas"]["A"]["value"] == 2
    assert all(s["replicas"][n]["value"] == 2 for s in cp_steps[33:] for n in "ABC")
    assert outcomes(data, "ap") == ["ok", 1, "ok", 1, "ok", 2, 3, 3, 3]
    ap_res = results_by_op(data, "ap")
    assert [i for i, r in sorted(ap_res.items()) if r["stale"]] == [4, 6]
    assert (ap_res[4]["latest_acked"], ap_res[6]["latest_acked"]) == (2, 3)
    ap = data["summary"]["ap"]
    assert (ap["ok"], ap["stale_reads"], ap["lost_writes"], ap["final_value"], ap["converged_at"]) == (9, 2, 1, 3, 33)
    lost = [w for w in data["runs"]["ap"]["writes"] if w["lost"]]
    assert [(w["op_id"], w["stamp"], w["lost_to"]) for w in lost] == [(3, [12, "B"], 5)]
    winner = next(w for w in data["runs"]["ap"]["writes"] if w["op_id"] == 5)
    assert winner["stamp"] == [20, "A"] and [20, "A"] > [12, "B"]
    assert cp["converged_at"] == 33


def test_gilbert_lynch_theorem_1() -> None:
    """A write on one side, a read on the other, no message crosses: wait (refuse) or go stale."""
    data = fresh(0, schedule="canonical")
    write, read = data["ops"][2], data["ops"][3]
    assert (write["kind"], read["kind"]) == ("write", "read")
    assert side_of(data, write["replica"]) != side_of(data, read["replica"])
    assert during(data, write["t"]) and during(data, read["t"])
    crossing = [m for s in data["steps"] for m in s["messages"] if m["op_id"] in (3, 4)
                and side_of(data, m["src"]) != side_of(data, m["dst"])]
    assert crossing and all(m["dropped"] for m in crossing)
    assert results_by_op(data, "cp")[4]["outcome"] == "refused"
    ap4 = results_by_op(data, "ap")[4]
    assert ap4["outcome"] == "ok" and ap4["returned"] == data["ops"][0]["value"] != write["value"]
    assert data["beats"]["hook_read"] == 4 and data["beats"]["split_write_majority"] == 3


def test_five_replicas_story() -> None:
    data = fresh(4, n_replicas=5)
    check_all(data)
    assert len(data["sides"]["minority"]) == 2 and len(data["sides"]["majority"]) == 3
    assert outcomes(data, "cp")[:7:2] == ["ok", "ok", "refused", "refused"]
    assert data["summary"]["ap"]["stale_reads"] == 2 and data["summary"]["ap"]["lost_writes"] == 1


# ---------------------------------------------------------------- rules
def test_partition_and_reachability_rules() -> None:
    part = {"start": 10, "end": 32}
    assert [cap.is_partitioned(t, part) for t in (9, 10, 31, 32)] == [False, True, True, False]
    assert cap.reachable("A", "B", 12, part, ["A"]) is False
    assert cap.reachable("B", "C", 12, part, ["A"]) is True
    assert cap.reachable("D", "E", 12, part, ["D", "E"]) is True
    assert cap.reachable("A", "B", 32, part, ["A"]) is True


def test_merge_rule_last_writer_wins_and_loss() -> None:
    R = cap.Replica
    old = R(2, None, (12, "B"), frozenset({1, 3}), 3)
    new = R(3, None, (20, "A"), frozenset({1, 5}), 5)
    merged, lost = cap.merge_write("ap", old, new)
    assert (merged.value, merged.stamp, lost) == (3, (20, "A"), 3)
    assert merged.seen == frozenset({1, 3, 5})
    kept, lost = cap.merge_write("ap", new, old)
    assert kept == new and lost == 3
    later = R(4, None, (24, "B"), frozenset({1, 3, 7}), 7)
    assert cap.merge_write("ap", old, later)[1] is None, "a write that saw 3 supersedes it"
    same, lost = cap.merge_write("ap", old, old._replace(seen=frozenset({1, 3, 9})))
    assert same.seen == frozenset({1, 3, 9}) and lost is None and same.stamp == old.stamp
    empty = R(None, None, None, frozenset(), None)
    assert cap.merge_write("ap", empty, old) == (old._replace(seen=frozenset({1, 3})), None)
    assert cap.newer("ap", R(1, None, (5, "B"), frozenset(), 1), R(1, None, (5, "A"), frozenset(), 2)) == 1
    assert cap.newer("cp", R(1, 2, None, frozenset(), 1), R(1, 3, None, frozenset(), 2)) == -1


def test_cp_rules() -> None:
    R = cap.Replica
    states = {"A": R(1, 1, None, frozenset({1}), 1), "B": R(2, 2, None, frozenset({1, 3}), 3),
              "C": R(2, 2, None, frozenset({1, 3}), 3)}
    assert cap.cp_write_version(states, ["B", "C"]) == 3
    assert cap.cp_write_version(states, ["A"]) == 2
    assert cap.highest([states["A"], states["B"]]).value == 2
    assert cap.latest_acked([(4, 1), (14, 2)], 14) == 1
    assert cap.latest_acked([(4, 1), (14, 2)], 15) == 2
    assert cap.latest_acked([], 3) is None


def test_story_layout_for_default_params() -> None:
    p = resolve_params(cap.PARAMS, {}, cap.check_params)
    assert cap.guard_ticks(p) == 3
    assert cap.story_ticks(p) == {"before": [2, 6], "split": [12, 16, 20, 24, 28], "after": [36, 40]}
    assert cap.guard_ticks({"cp_timeout": 3, "repl_delay": 2}) == 4
    assert cap.guard_ticks({"cp_timeout": 5, "repl_delay": 2}) == 5


def test_random_schedule_respects_spacing_and_zones() -> None:
    for seed in range(10):
        data = fresh(seed, schedule="random", duration=90, n_replicas=5)
        check_all(data)
        assert len(data["ops"]) == 12


# ---------------------------------------------------------------- catalog story
def test_catalog_seed_story() -> None:
    entry = load_catalog().get(cap.ID)
    params = dict(entry.params)
    assert resolve_params(cap.PARAMS, params, cap.check_params) == {p.name: p.default for p in cap.PARAMS}
    data = json.loads(cap.simulate(entry.seed, **params).to_json())
    check_all(data)
    ops = data["ops"]
    assert [(op["kind"], side_of(data, op["replica"])) for op in ops] == [(k, side) for _, side, k in cap.STORY]
    cp_out = [results_by_op(data, "cp")[i]["outcome"] for i in range(1, 10)]
    assert cp_out == ["ok", "ok", "ok", "refused", "refused", "ok", "refused", "ok", "ok"]
    ap = results_by_op(data, "ap")
    assert [i for i in range(1, 10) if ap[i]["stale"]] == [4, 6]
    assert ap[4]["returned"] == ops[0]["value"] and ap[6]["returned"] == ops[2]["value"]
    assert ap[7]["returned"] == ops[4]["value"]
    assert [w["op_id"] for w in data["runs"]["ap"]["writes"] if w["lost"]] == [3]
    assert data["summary"]["cp"]["split_ok"] == 2 and data["summary"]["cp"]["split_ops"] == 5
    assert data["summary"]["ap"]["split_ok"] == 5
    assert data["summary"]["cp"]["final_value"] == ops[2]["value"]
    assert data["summary"]["ap"]["final_value"] == ops[4]["value"]
    beats = data["beats"]
    assert (beats["first_write"], beats["setup_read"], beats["split_write_majority"], beats["hook_read"],
            beats["split_write_minority"], beats["split_read_majority"]) == (1, 2, 3, 4, 5, 6)
    assert beats["first_drop"]["op_id"] == 3 and beats["first_drop"]["kind"] == "replicate"
    assert beats["after_heal_reads"] == [8, 9] and beats["heal_t"] == 32
    syncs = [m for s in run_steps(data, "ap") if s["t"] == 32 for m in s["messages"]]
    assert len(syncs) == 6 and all(m["kind"] == "sync" and not m["dropped"] for m in syncs)


def test_trace_size_and_contract() -> None:
    trace = cap.simulate(7)
    text = trace.to_json()
    assert len(text) < 1_000_000
    data = json.loads(text)
    assert data["id"] == cap.ID == "cap-theorem" and data["seed"] == 7
    assert {"replicas", "sides", "partition", "ops", "runs", "beats"} <= set(data)
    for s in data["steps"]:
        assert set(s) == {"mode", "t", "event", "events", "partitioned", "issued", "replicas", "messages", "results"}
    doc = cap.__doc__
    sections = ["Model\n-----", "Invariants\n----------", "Leaves out\n----------", "Trace\n-----"]
    assert [doc.index(h) for h in sections] == sorted(doc.index(h) for h in sections)
    assert set(cap.__all__) <= set(dir(cap))


# ---------------------------------------------------------------- determinism, isolation, parameters
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    code = ("import sys; from sims.cap_theorem import simulate; "
            "sys.stdout.write(simulate(11, schedule='random', duration=80, n_replicas=5).to_json()"
            " + simulate(7).to_json()); print('manim' in sys.modules)")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    here = cap.simulate(11, schedule="random", duration=80, n_replicas=5).to_json() + cap.simulate(7).to_json()
    assert first == second == (here + "False\n").encode()
    assert cap.simulate(8).to_json() != cap.simulate(7).to_json()


def test_seed_draws_sides_replicas_and_values() -> None:
    runs = [fresh(seed) for seed in range(30)]
    assert len({tuple(d["sides"]["minority"]) for d in runs}) == 3
    assert len({tuple(op["replica"] for op in d["ops"]) for d in runs}) > 5
    assert len({tuple(op["value"] for op in d["ops"] if op["value"]) for d in runs}) == 30
    rng = np.random.default_rng(0)
    assert rng.integers(5) is not None  # the module never touches numpy's global state:
    state = np.random.get_state()[1][:4].tolist()
    cap.simulate(5)
    assert np.random.get_state()[1][:4].tolist() == state


@pytest.mark.parametrize("params, field", [
    ({"n_replicas": 4}, "n_replicas"),
    ({"n_replicas": 2}, "n_replicas"),
    ({"n_replicas": 6}, "n_replicas"),
    ({"n_replicas": 3.0}, "n_replicas"),
    ({"schedule": "chaos"}, "schedule"),
    ({"partition_start": -1}, "partition_start"),
    ({"partition_start": 201}, "partition_start"),
    ({"partition_end": 0}, "partition_end"),
    ({"partition_end": 201}, "partition_end"),
    ({"duration": 8}, "duration"),
    ({"duration": 201}, "duration"),
    ({"repl_delay": 0}, "repl_delay"),
    ({"repl_delay": 11}, "repl_delay"),
    ({"cp_timeout": 0}, "cp_timeout"),
    ({"cp_timeout": 21}, "cp_timeout"),
    ({"op_spacing": 1}, "op_spacing"),
    ({"op_spacing": 51}, "op_spacing"),
    ({"n_random_ops": 0}, "n_random_ops"),
    ({"n_random_ops": 41}, "n_random_ops"),
    ({"bogus": 1}, "bogus"),
    # cross-field checks
    ({"op_spacing": 2}, "op_spacing"),                      # not above 2 * repl_delay
    ({"op_spacing": 3}, "op_spacing"),                      # not above cp_timeout
    ({"partition_end": 10}, "partition_end"),               # end <= start
    ({"partition_end": 44}, "partition_end"),               # the heal's sync lands after the run
    ({"partition_start": 7}, "partition_start"),            # two ops do not fit before the split
    ({"partition_end": 29}, "partition_end"),               # five ops do not fit in the split
    ({"partition_start": 13}, "partition_end"),             # the split's first op would precede it
    ({"duration": 41}, "duration"),                         # two ops do not fit after the heal
    ({"schedule": "random"}, "n_random_ops"),               # 12 ops need 56 ticks
    ({"schedule": "random", "duration": 55}, "n_random_ops"),
    ({"schedule": "random", "n_random_ops": 10, "duration": 47}, "n_random_ops"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        cap.simulate(0, **params)
    assert err.value.field == field


def test_limits_just_inside_are_accepted() -> None:
    for params in [{"partition_start": 8}, {"partition_start": 12}, {"partition_end": 30}, {"duration": 42},
                   {"schedule": "random", "duration": 56}, {"schedule": "random", "n_random_ops": 10, "duration": 48}]:
        check_all(fresh(1, **params))


def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py):
    what CP does with the minority's write, what AP's majority read returns, which value survives the heal."""
    beats, minority = trace["beats"], trace["sides"]["minority"]
    ops = {op["id"]: op for op in trace["ops"]}
    steps = {mode: trace["steps"][run["steps_from"]:run["steps_to"]] for mode, run in trace["runs"].items()}
    results = {mode: {r["op_id"]: r for s in st for r in s["results"]} for mode, st in steps.items()}
    write = ops[beats["split_write_minority"]]
    assert write["replica"] in minority and results["cp"][write["id"]]["outcome"] == "refused"
    read = ops[beats["split_read_majority"]]
    # AP answers from the replica's own copy at the moment of the read
    local = steps["ap"][read["t"]]["replicas"][read["replica"]]["value"]
    assert results["ap"][read["id"]]["returned"] == local
    acked = [w for w in trace["runs"]["ap"]["writes"] if w["acked"]]
    survivor = max(acked, key=lambda w: tuple(w["stamp"]))["value"]
    return ["refuses it", str(local), str(survivor)]
