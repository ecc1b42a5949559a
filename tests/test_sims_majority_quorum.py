"""Tests for sims.majority_quorum: invariants checked from the trace JSON alone, the hypergeometric
miss probability against SciPy, the hand case, failure arithmetic, the catalog story, the rules,
determinism and parameter errors."""

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
import scipy.stats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.catalog import load_catalog
from sims import majority_quorum as mq
from sims.params import ParamError, resolve_params

ROOT = Path(__file__).resolve().parents[1]
PROPERTY = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
KINDS = {"write", "read", "propagate", "crash", "recover"}


@lru_cache(maxsize=16)
def run_json(seed: int, params_json: str = "{}") -> dict[str, Any]:
    return json.loads(mq.simulate(seed, **json.loads(params_json)).to_json())


def fresh(seed: int, **params: Any) -> dict[str, Any]:
    return copy.deepcopy(run_json(seed, json.dumps(params, sort_keys=True)))


@lru_cache(maxsize=None)
def hypergeom_miss(n: int, r: int, w: int) -> float:
    """SciPy's P(no fresh replica among r drawn from n with w fresh)."""
    return float(scipy.stats.hypergeom.pmf(0, n, w, r))


def run_steps(data: dict[str, Any], index: int) -> list[dict[str, Any]]:
    run = data["runs"][index]
    return data["steps"][run["steps_from"]:run["steps_to"]]


def replay(data: dict[str, Any], index: int) -> list[tuple[dict[str, Any], list[int], list[bool], int]]:
    """Each step of one run with the versions and up flags before it and the latest committed
    version before it, counted from the ok writes (independent of the step's own fields)."""
    n = data["params"]["n_replicas"]
    versions, up, latest = [0] * n, [True] * n, 0
    out = []
    for step in run_steps(data, index):
        out.append((step, versions, up, latest))
        if step["kind"] == "write" and step["outcome"] == "ok":
            latest += 1
        versions, up = step["versions"], step["up"]
    return out


# ---------------------------------------------------------------- checkers, one per invariant
def check_bookkeeping(data: dict[str, Any]) -> None:
    """Schedule layout, op coverage, per-kind state changes and every summary figure."""
    p, ops = data["params"], data["ops"]
    n, lag = p["n_replicas"], p["lag_ticks"]
    assert data["replicas"] == [f"S{i + 1}" for i in range(n)]
    assert [op["id"] for op in ops] == list(range(1, len(ops) + 1))
    ticks = [op["t"] for op in ops]
    expected = [0, lag + 1, lag + 2]
    start = 2 * lag + 2
    for k in range(p["n_probes"]):
        expected += [start + k * (lag + 1), start + k * (lag + 1) + 1]
    f = start + p["n_probes"] * (lag + 1)
    expected += [f, f + 1, f + 2, f + 3, f + 4, f + 5, f + 6, f + 6 + lag]
    assert ticks == expected
    phases = ["story"] * 3 + ["probe"] * 2 * p["n_probes"] + ["failure"] * 8
    assert [op["phase"] for op in ops] == phases
    crashes = [op for op in ops if op["kind"] == "crash"]
    assert [len(op["victims"]) for op in crashes] == p["crash_counts"]
    assert not set(crashes[0]["victims"]) & set(crashes[1]["victims"])
    recover = next(op for op in ops if op["kind"] == "recover")
    assert recover["victims"] == sorted(crashes[0]["victims"] + crashes[1]["victims"])
    last_write = None
    for op in ops:
        if op["kind"] in ("read", "write"):
            assert sorted(op["order"]) == list(range(n)) and op["victims"] == []
        else:
            assert op["order"] is None
        assert op["follows_write"] == (last_write if op["kind"] == "read" else None)
        if op["kind"] == "write":
            last_write = op["id"]
    rows = []
    for index, run in enumerate(data["runs"]):
        r, w = run["r"], run["w"]
        assert {"r": r, "w": w} == p["configs"][index] and run["overlap_guaranteed"] == (r + w > n)
        steps = run_steps(data, index)
        assert [s["t"] for s in steps] == sorted(s["t"] for s in steps)
        assert [s["op_id"] for s in steps if s["kind"] != "propagate"] == [op["id"] for op in ops]
        by_id = {op["id"]: op for op in ops}
        op_steps = {s["op_id"]: s for s in steps if s["kind"] != "propagate"}
        for step, before, up, latest in replay(data, index):
            assert step["run"] == index and step["event"] == step["kind"] in KINDS
            assert step["latest_committed"] == latest
            assert step["fresh_holders"] == [i for i in range(n) if before[i] >= latest]
            kind = step["kind"]
            if kind == "propagate":
                source = by_id[step["op_id"]]
                assert source["kind"] in ("write", "recover") and step["targets"] and step["outcome"] is None
                assert step["version"] <= latest and step["up"] == up and step["t"] == source["t"] + lag
                origin = op_steps[source["id"]]
                if source["kind"] == "write":  # only replicas up at the commit, outside the ack set
                    assert step["version"] == origin["version"]
                    assert all(origin["up"][i] and i not in origin["quorum"] for i in step["targets"])
                else:  # a catch-up brings recovered replicas to the version committed at recovery
                    assert set(step["targets"]) <= set(origin["targets"])
                    assert step["version"] == origin["latest_committed"]
                for i in range(n):
                    if i in step["targets"]:
                        assert up[i] and before[i] < step["version"] == step["versions"][i]
                    else:
                        assert step["versions"][i] == before[i]
            else:
                op = by_id[step["op_id"]]
                assert kind == op["kind"] and step["t"] == op["t"]
            if kind in ("crash", "recover"):
                assert step["versions"] == before and step["outcome"] is None
                assert step["targets"] == [i for i in op["victims"] if up[i] == (kind == "crash")]
                assert step["up"] == [False if i in op["victims"] and kind == "crash" else
                                      True if i in op["victims"] else up[i] for i in range(n)]
            if kind in ("write", "read"):
                assert step["up"] == up
            if kind == "read" and step["outcome"] == "ok":
                repaired = [i for i in step["quorum"] if before[i] < step["returned_version"]]
                assert step["repaired"] == (repaired if p["read_repair"] else [])
                assert step["versions"] == [step["returned_version"] if i in step["repaired"] else before[i]
                                            for i in range(n)]
        reads = [s for s in steps if s["kind"] == "read"]
        ok_reads = [s for s in reads if s["outcome"] == "ok"]
        probe_ids = {op["id"] for op in ops if op["phase"] == "probe"}
        probes = [s for s in ok_reads if s["op_id"] in probe_ids]
        summary = run["summary"]
        assert summary == {
            "reads": len(reads), "writes": sum(s["kind"] == "write" for s in steps),
            "stale_reads": sum(s["stale"] for s in ok_reads),
            "unavailable": sum(s["outcome"] == "unavailable" for s in steps),
            "probe_reads": len(probes), "probe_stale": sum(s["stale"] for s in probes),
            "first_stale_op": next((s["op_id"] for s in ok_reads if s["stale"]), None),
            "first_single_overlap_op": next((s["op_id"] for s in ok_reads if len(s["overlap"]) == 1), None),
            "writes_survive": n - w, "reads_survive": n - r,
            "predicted_probe_stale": summary["predicted_probe_stale"],
            "probe_stale_rate": (sum(s["stale"] for s in probes) / len(probes)) if probes else None}
        assert abs(summary["predicted_probe_stale"] - hypergeom_miss(n, r, w)) <= 1e-12
        rows.append({"r": r, "w": w, "overlap_guaranteed": run["overlap_guaranteed"], **summary})
    assert data["summary"] == {"configs": rows}


def check_quorum_sizes(data: dict[str, Any]) -> None:
    """Invariant 1, and the quorum rule: the first up replicas in the op's response order."""
    orders = {op["id"]: op["order"] for op in data["ops"]}
    for index, run in enumerate(data["runs"]):
        for step, before, up, latest in replay(data, index):
            if step["kind"] not in ("read", "write"):
                continue
            size = run["r"] if step["kind"] == "read" else run["w"]
            live = [i for i in orders[step["op_id"]] if up[i]]
            if step["outcome"] == "unavailable":
                assert len(live) < size and step["versions"] == before and step["quorum"] == []
                continue
            assert step["outcome"] == "ok" and len(live) >= size
            assert step["quorum"] == live[:size] and len(step["quorum"]) == size
            if step["kind"] == "write":
                assert step["version"] == latest + 1
                assert step["versions"] == [latest + 1 if i in step["quorum"] else before[i] for i in range(len(up))]


def check_read_result(data: dict[str, Any]) -> None:
    """Invariant 2."""
    for index in range(len(data["runs"])):
        for step, before, _, _ in replay(data, index):
            if step["kind"] == "read" and step["outcome"] == "ok":
                assert step["responses"] == [{"replica": i, "version": before[i]} for i in step["quorum"]]
                assert step["returned_version"] == max(before[i] for i in step["quorum"])


def check_overlap(data: dict[str, Any]) -> None:
    """Invariants 3 and 4 (fresh holders and staleness recomputed from the replayed state)."""
    n = data["params"]["n_replicas"]
    for index, run in enumerate(data["runs"]):
        for step, before, _, latest in replay(data, index):
            if step["kind"] != "read" or step["outcome"] != "ok":
                assert step["stale"] is None and step["overlap"] == []
                continue
            fresh_set = {i for i in range(n) if before[i] == latest}
            assert step["overlap"] == [i for i in step["quorum"] if i in fresh_set]
            assert step["stale"] == (step["returned_version"] < latest)
            assert step["stale"] == (not step["overlap"]), "stale must mean the read set missed every fresh replica"
            if run["r"] + run["w"] > n:
                assert step["overlap"] and not step["stale"], f"R + W > N but op {step['op_id']} missed"


def check_write_overlap(data: dict[str, Any]) -> None:
    """Invariant 5."""
    n = data["params"]["n_replicas"]
    for index, run in enumerate(data["runs"]):
        masks = [sum(1 << i for i in s["quorum"]) for s in run_steps(data, index)
                 if s["kind"] == "write" and s["outcome"] == "ok"]
        if 2 * run["w"] > n:
            assert all(a & b for k, a in enumerate(masks) for b in masks[k + 1:]), "two write quorums are disjoint"


def check_monotone(data: dict[str, Any]) -> None:
    """Invariant 6."""
    for index in range(len(data["runs"])):
        for step, before, up, _ in replay(data, index):
            for i, (old, new) in enumerate(zip(before, step["versions"])):
                assert new >= old, f"S{i + 1} went back from v{old} to v{new}"
                if not up[i] and not step["up"][i]:
                    assert new == old, f"S{i + 1} changed while down"


def check_propagation(data: dict[str, Any]) -> None:
    """Invariant 7, at the last step of every tick: a replica up since s holds every version committed
    by tick t - lag_ticks when s <= t - lag_ticks."""
    lag, n = data["params"]["lag_ticks"], data["params"]["n_replicas"]
    for index in range(len(data["runs"])):
        steps = run_steps(data, index)
        commits: list[tuple[int, int]] = []
        up_since = [0] * n
        due, seen = 0, 0
        for k, step in enumerate(steps):
            if step["kind"] == "write" and step["outcome"] == "ok":
                commits.append((step["t"], step["version"]))
            if step["kind"] == "recover":
                for i in step["targets"]:
                    up_since[i] = step["t"]
            if k + 1 < len(steps) and steps[k + 1]["t"] == step["t"]:
                continue
            while seen < len(commits) and commits[seen][0] <= step["t"] - lag:
                due, seen = max(due, commits[seen][1]), seen + 1
            for i in range(n):
                if step["up"][i] and up_since[i] <= step["t"] - lag:
                    assert step["versions"][i] >= due, f"S{i + 1} lacks v{due} at t={step['t']}"
        final = steps[-1]
        assert len(set(final["versions"])) == 1 and all(final["up"]), "the run must end converged"


def check_shared_randomness(data: dict[str, Any]) -> None:
    """Invariant 8."""
    runs = data["runs"]
    by_op: dict[int, list[tuple[int, str, list[int], list[bool]]]] = {}
    for index, run in enumerate(runs):
        for step, _, up, _ in replay(data, index):
            if step["kind"] in ("read", "write") and step["outcome"] == "ok":
                size = run["r"] if step["kind"] == "read" else run["w"]
                by_op.setdefault(step["op_id"], []).append((size, step["kind"], step["quorum"], up))
        assert [s["up"] for s in run_steps(data, index) if s["kind"] != "propagate"] == \
            [s["up"] for s in run_steps(data, 0) if s["kind"] != "propagate"], "up states differ between runs"
    for entries in by_op.values():
        entries.sort(key=lambda e: e[0])
        for (_, _, small, up_a), (_, _, large, up_b) in zip(entries, entries[1:]):
            if up_a == up_b:
                assert large[:len(small)] == small, "a smaller quorum is not a prefix of a larger one"


CHECKS = (check_bookkeeping, check_quorum_sizes, check_read_result, check_overlap, check_write_overlap,
          check_monotone, check_propagation, check_shared_randomness)


def check_all(data: dict[str, Any]) -> None:
    for check in CHECKS:
        check(data)


# ---------------------------------------------------------------- properties
@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, dict[str, Any]]:
    """Seeds and every parameter over its declared range (n_probes up to 30 here; 1000 in an edge test)."""
    n = draw(st.integers(1, mq.MAX_REPLICAS))
    size = st.integers(1, n)
    configs = draw(st.lists(st.builds(lambda r, w: {"r": r, "w": w}, size, size), min_size=1, max_size=8))
    first = draw(st.integers(0, n))
    params = {"n_replicas": n, "configs": configs, "n_probes": draw(st.integers(0, 30)),
              "lag_ticks": draw(st.integers(1, 20)), "read_repair": draw(st.booleans()),
              "crash_counts": [first, draw(st.integers(0, n - first))]}
    return draw(st.integers(0, 2**32 - 1)), params


@PROPERTY
@given(scenarios())
def test_invariants_hold_for_drawn_seeds_and_params(scenario: tuple[int, dict[str, Any]]) -> None:
    seed, params = scenario
    check_all(json.loads(mq.simulate(seed, **params).to_json()))


def test_invariants_at_the_edges() -> None:
    check_all(fresh(5, n_probes=1000, configs=[{"r": 2, "w": 2}]))
    check_all(fresh(6, n_replicas=9, configs=[{"r": 1, "w": 9}, {"r": 9, "w": 1}, {"r": 5, "w": 5}, {"r": 4, "w": 5},
                                              {"r": 1, "w": 1}, {"r": 2, "w": 8}, {"r": 3, "w": 3}, {"r": 9, "w": 9}],
                    crash_counts=[5, 4], lag_ticks=20, read_repair=True))
    check_all(fresh(7, n_replicas=1, configs=[{"r": 1, "w": 1}], n_probes=0, crash_counts=[1, 0], lag_ticks=1))


@pytest.mark.parametrize("corrupt, checker", [
    (lambda d: d["runs"][1]["summary"].update(probe_stale=0), check_bookkeeping),
    (lambda d: d["ops"][5]["order"].reverse(), check_quorum_sizes),
    (lambda d: d["steps"][d["runs"][0]["steps_from"] + 3]["responses"][0].update(version=9), check_read_result),
    (lambda d: next(s for s in d["steps"] if s["stale"]).update(stale=False), check_overlap),
    (lambda d: next(s for s in d["steps"] if s["kind"] == "read" and s["outcome"] == "ok"
                    and s["run"] == 0).update(overlap=[]), check_overlap),
    (lambda d: [s for s in d["steps"] if s["run"] == 0 and s["kind"] == "write"][1].update(quorum=[9, 8, 7]),
     check_write_overlap),
    (lambda d: d["steps"][10]["versions"].__setitem__(0, 0), check_monotone),
    (lambda d: [d["steps"].__setitem__(i, {**s, "versions": [0] * 5}) for i, s in enumerate(d["steps"])
                if s["run"] == 0 and s["kind"] == "propagate"][:1], check_propagation),
    (lambda d: next(s for s in d["steps"] if s["run"] == 1 and s["kind"] == "read"
                    and s["outcome"] == "ok")["quorum"].reverse(), check_shared_randomness),
])
def test_checkers_reject_corrupted_traces(corrupt: Any, checker: Any) -> None:
    data = fresh(7)
    checker(data)
    corrupt(data)
    with pytest.raises((AssertionError, IndexError, KeyError)):
        checker(data)


def test_checkers_catch_a_planted_majority_bug() -> None:
    """A store that took quorums of (n + 1) // 2 when asked for n // 2 + 1 would lose the overlap."""
    data = fresh(3, n_replicas=4, configs=[{"r": 3, "w": 3}], n_probes=30, crash_counts=[0, 0])
    check_all(data)
    for step in data["steps"]:
        if step["kind"] in ("read", "write") and step["outcome"] == "ok":
            step["quorum"] = step["quorum"][:2]
    with pytest.raises(AssertionError):
        check_quorum_sizes(data)


# ---------------------------------------------------------------- reference checks
@pytest.mark.parametrize("n, r, w, expected", [
    (5, 2, 2, 0.3), (5, 2, 3, 0.1), (5, 3, 2, 0.1), (5, 3, 3, 0.0), (5, 2, 4, 0.0), (5, 1, 5, 0.0),
    (3, 1, 1, 2 / 3), (3, 1, 2, 1 / 3), (3, 2, 2, 0.0),
])
def test_miss_probability_matches_scipy_hypergeometric(n: int, r: int, w: int, expected: float) -> None:
    assert mq.miss_probability(n, r, w) == pytest.approx(expected, abs=1e-15)
    assert float(scipy.stats.hypergeom(M=n, n=w, N=r).pmf(0)) == pytest.approx(expected, abs=1e-12)


def _probe_rates(n: int, pairs: list[tuple[int, int]], n_probes: int, seed: int) -> dict[tuple[int, int], float]:
    p = resolve_params(mq.PARAMS, {"n_replicas": n, "configs": [{"r": r, "w": w} for r, w in pairs],
                                   "crash_counts": [0, 0]}, mq.check_params)
    ops = mq.build_ops(np.random.default_rng(seed), {**p, "n_probes": n_probes})
    rates = {}
    for r, w in pairs:
        _, summary = mq.run_config(ops, n, r, w, p["lag_ticks"], False, record=False)
        assert summary["probe_reads"] == n_probes
        rates[(r, w)] = summary["probe_stale"] / summary["probe_reads"]
    return rates


def test_probe_staleness_matches_the_hypergeometric_law() -> None:
    """20 000 probes, no crashes: measured stale fraction within 0.012 of C(N-W, R) / C(N, R).

    The replay runs the simulator's own schedule and rules without recording steps (a 20 000-probe
    trace would be tens of megabytes)."""
    for n, pairs in ((5, [(2, 2), (2, 3), (3, 2)]), (3, [(1, 1), (1, 2)])):
        for (r, w), rate in _probe_rates(n, pairs, 20_000, seed=2024).items():
            assert abs(rate - scipy.stats.hypergeom(M=n, n=w, N=r).pmf(0)) <= 0.012, (n, r, w, rate)
    data = fresh(11, n_probes=300, crash_counts=[0, 0],
                 configs=[{"r": 3, "w": 3}, {"r": 2, "w": 4}, {"r": 1, "w": 5}, {"r": 2, "w": 2}])
    rows = data["summary"]["configs"]
    assert [row["probe_stale"] for row in rows[:3]] == [0, 0, 0]
    assert 0.2 < rows[3]["probe_stale"] / rows[3]["probe_reads"] < 0.4
    small = fresh(11, n_replicas=3, n_probes=300, crash_counts=[0, 0], configs=[{"r": 2, "w": 2}])
    assert small["summary"]["configs"][0]["probe_stale"] == 0


def test_hand_case() -> None:
    up = [True] * 5
    versions, acks = mq.quorum_write([0] * 5, up, [0, 1, 2, 3, 4], 3, 0)
    assert acks == [0, 1, 2] and versions == [1, 1, 1, 0, 0]
    assert mq.quorum_read(versions, up, [2, 3, 4, 0, 1], 3) == ([2, 3, 4], 1)
    assert mq.quorum_read(versions, up, [2, 3, 4, 0, 1], 2) == ([2, 3], 1)
    assert mq.quorum_read(versions, up, [3, 4, 2, 0, 1], 2) == ([3, 4], 0)
    assert mq.quorum_read(versions, up, [3, 4, 2, 0, 1], 3) == ([3, 4, 2], 1)
    ops = [{"id": 1, "t": 0, "kind": "write", "phase": "story", "order": [0, 1, 2, 3, 4], "victims": []},
           {"id": 2, "t": 1, "kind": "read", "phase": "story", "order": [2, 3, 4, 0, 1], "victims": []},
           {"id": 3, "t": 2, "kind": "read", "phase": "story", "order": [3, 4, 2, 0, 1], "victims": []}]
    steps, summary = mq.run_config(ops, 5, 3, 3, 20, False)
    read1, read2 = steps[1], steps[2]
    assert (read1["quorum"], [x["version"] for x in read1["responses"]], read1["returned_version"],
            read1["overlap"]) == ([2, 3, 4], [1, 0, 0], 1, [2])
    assert (read2["quorum"], read2["returned_version"], read2["stale"]) == ([3, 4, 2], 1, False)
    steps, summary = mq.run_config(ops, 5, 2, 3, 20, False)
    assert (steps[1]["quorum"], steps[1]["returned_version"]) == ([2, 3], 1)
    assert (steps[2]["quorum"], steps[2]["returned_version"], steps[2]["stale"], steps[2]["overlap"]) == \
        ([3, 4], 0, True, [])
    assert summary["first_stale_op"] == 3 and summary["stale_reads"] == 1


def _failure_outcomes(data: dict[str, Any], index: int) -> list[tuple[str, str | None]]:
    ids = {op["id"] for op in data["ops"] if op["phase"] == "failure" and op["kind"] in ("read", "write")}
    return [(s["kind"], s["outcome"]) for s in run_steps(data, index) if s["op_id"] in ids and s["kind"] != "propagate"]


def test_failure_arithmetic() -> None:
    data = fresh(7)
    by = {(run["r"], run["w"]): i for i, run in enumerate(data["runs"])}
    ok, no = "ok", "unavailable"
    assert _failure_outcomes(data, by[(3, 3)]) == [("write", ok), ("read", ok), ("write", no), ("read", no), ("read", ok)]
    assert _failure_outcomes(data, by[(2, 4)]) == [("write", no), ("read", ok), ("write", no), ("read", ok), ("read", ok)]
    assert [(row["writes_survive"], row["reads_survive"]) for row in data["summary"]["configs"]] == \
        [(2, 2), (3, 3), (1, 3), (0, 4)]
    data = fresh(7, crash_counts=[1, 2])
    assert _failure_outcomes(data, by[(1, 5)]) == [("write", no), ("read", ok), ("write", no), ("read", ok), ("read", ok)]
    assert _failure_outcomes(data, by[(2, 2)]) == [("write", ok), ("read", ok), ("write", ok), ("read", ok), ("read", ok)]
    assert _failure_outcomes(data, by[(3, 3)])[2:4] == [("write", no), ("read", no)]


def test_dynamo_setting_never_reads_stale() -> None:
    """Gifford's rule with DeCandia et al.'s common setting N, R, W = 3, 2, 2."""
    for seed in range(5):
        data = fresh(seed, n_replicas=3, configs=[{"r": 2, "w": 2}, {"r": 1, "w": 1}], n_probes=60,
                     crash_counts=[1, 0])
        dynamo, weak = data["summary"]["configs"]
        assert dynamo["overlap_guaranteed"] and dynamo["stale_reads"] == 0 and dynamo["predicted_probe_stale"] == 0
        assert not weak["overlap_guaranteed"] and weak["probe_stale"] > 0


def test_read_repair_repairs_lagging_read_set_members() -> None:
    data = fresh(7, read_repair=True)
    check_all(data)
    repaired = [s for s in data["steps"] if s["repaired"]]
    assert repaired and all(s["versions"][i] == s["returned_version"] for s in repaired for i in s["repaired"])


# ---------------------------------------------------------------- rules
def test_rules() -> None:
    up = [True, False, True, True]
    assert mq.first_up([1, 0, 3, 2], up, 2) == [0, 3]
    assert mq.first_up([1, 0, 3, 2], up, 4) is None
    versions, acks = mq.quorum_write([2, 2, 1, 1], up, [1, 0, 3, 2], 4, 2)
    assert acks is None and versions == [2, 2, 1, 1]
    assert mq.quorum_read([2, 2, 1, 1], up, [1, 0, 3, 2], 4) == (None, None)
    versions = [3, 1, 2, 0]
    assert mq.apply_version(versions, up, [0, 1, 2, 3], 2) == [3] and versions == [3, 1, 2, 2]


# ---------------------------------------------------------------- catalog story
def test_catalog_seed_story() -> None:
    entry = load_catalog().get(mq.ID)
    params = dict(entry.params)
    assert resolve_params(mq.PARAMS, params, mq.check_params) == {p.name: p.default for p in mq.PARAMS}
    text = mq.simulate(entry.seed, **params).to_json()
    assert len(text) < 1_000_000
    data = json.loads(text)
    check_all(data)
    rows = {(row["r"], row["w"]): row for row in data["summary"]["configs"]}
    hook = rows[(2, 2)]["first_stale_op"]
    assert hook is not None
    op = data["ops"][hook - 1]
    assert op["kind"] == "read" and data["ops"][op["follows_write"] - 1]["kind"] == "write"
    assert rows[(3, 3)]["first_single_overlap_op"] is not None
    assert rows[(3, 3)]["probe_stale"] == 0 and rows[(3, 3)]["probe_reads"] == 12
    assert rows[(2, 2)]["probe_reads"] == 12 and rows[(2, 2)]["predicted_probe_stale"] == 0.3
    assert max(op["t"] for op in data["ops"]) in range(60, 80)


def test_trace_contract() -> None:
    data = run_json(7)
    assert data["id"] == mq.ID and data["seed"] == 7
    for step in data["steps"]:
        assert set(step) == {"run", "t", "op_id", "event", "kind", "outcome", "quorum", "targets", "version",
                             "responses", "returned_version", "repaired", "latest_committed", "fresh_holders",
                             "overlap", "stale", "versions", "up"}
    doc = mq.__doc__
    sections = ["Model\n-----", "Invariants\n----------", "Leaves out\n----------", "Trace\n-----"]
    assert [doc.index(h) for h in sections] == sorted(doc.index(h) for h in sections)
    assert set(mq.__all__) <= set(dir(mq))


# ---------------------------------------------------------------- determinism, isolation, parameters
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    code = ("import sys; from sims.majority_quorum import simulate; "
            "sys.stdout.write(simulate(7).to_json() + simulate(2, n_replicas=7, read_repair=True).to_json());"
            " print('manim' in sys.modules)")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    here = mq.simulate(7).to_json() + mq.simulate(2, n_replicas=7, read_repair=True).to_json()
    assert first == second == (here + "False\n").encode()
    assert mq.simulate(8).to_json() != mq.simulate(7).to_json()


@pytest.mark.parametrize("params, field", [
    ({"n_replicas": 0}, "n_replicas"), ({"n_replicas": 10}, "n_replicas"),
    ({"configs": []}, "configs"), ({"configs": [{"r": 0, "w": 3}]}, "configs"),
    ({"configs": [{"r": 6, "w": 3}]}, "configs"), ({"configs": [{"r": 3, "w": 6}]}, "configs"),
    ({"configs": [{"r": 3, "w": 0}]}, "configs"), ({"configs": [{"r": 3}]}, "configs"),
    ({"configs": [{"r": 3, "w": 3, "x": 1}]}, "configs"), ({"configs": [{"r": 3.0, "w": 3}]}, "configs"),
    ({"configs": [{"r": 1, "w": 1}] * 9}, "configs"), ({"configs": {"r": 1, "w": 1}}, "configs"),
    ({"n_replicas": 3}, "configs"),
    ({"n_probes": -1}, "n_probes"), ({"n_probes": 1001}, "n_probes"),
    ({"lag_ticks": 0}, "lag_ticks"), ({"lag_ticks": 21}, "lag_ticks"),
    ({"read_repair": "yes"}, "read_repair"),
    ({"crash_counts": [3, 3]}, "crash_counts"), ({"crash_counts": [-1, 0]}, "crash_counts"),
    ({"crash_counts": [1]}, "crash_counts"), ({"crash_counts": [1, True]}, "crash_counts"),
    ({"quorum": 3}, "quorum"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        mq.simulate(0, **params)
    assert err.value.field == field


# ---------------------------------------------------------------- the scene's checkpoints
def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py):
    what the read with the thinnest overlap returns in the first config with R + W > N, what share of
    reads right after a write the first config without it predicts stale, and whether a write still
    succeeds after the second crash."""
    runs = trace["runs"]
    strict = next(run for run in runs if run["overlap_guaranteed"])
    loose = next(run for run in runs if not run["overlap_guaranteed"])
    steps = trace["steps"][strict["steps_from"]:strict["steps_to"]]
    reads = [s for s in steps if s["kind"] == "read" and s["outcome"] == "ok"]
    thinnest = min(reads, key=lambda s: (len(s["overlap"]), s["t"]))
    read_id = strict["summary"]["first_single_overlap_op"] or thinnest["op_id"]
    returned = next(s["returned_version"] for s in reads if s["op_id"] == read_id)
    down = sum(len(op["victims"]) for op in trace["ops"] if op["kind"] == "crash")
    left = trace["params"]["n_replicas"] - down
    return [f"v{returned}", f"{loose['summary']['predicted_probe_stale']:.0%}",
            "yes" if left >= strict["w"] else "no, it is refused"]
