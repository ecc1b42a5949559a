"""Tests for sims.eventual_consistency: the LWW and session rules by hand, the storyboard's invariants
checked from the trace JSON alone over drawn scenarios, the exact hand timeline, the claims that hold
for every seed, the catalog story, determinism and parameter errors."""

from __future__ import annotations

import json
from bisect import bisect_right
import os
import random
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.catalog import load_catalog
from sims import eventual_consistency as ec
from sims.params import ParamError

ROOT = Path(__file__).resolve().parents[1]
EVENTS = set(ec.EVENTS)
DELIVERY_EVENTS = {"apply", "ignore_older", "drop", "read_serve", "read_return"}
STEP_FIELDS = {"t_ms", "seq", "event", "replica", "client", "key", "value", "ts", "msg_id", "read_id", "write_id",
               "stores", "in_flight", "waiting_reads", "distinct_versions"}


def run_json(seed: int, **params: Any) -> dict[str, Any]:
    """The trace as a consumer sees it: parsed back from its JSON."""
    return json.loads(ec.simulate(seed, **params).to_json())


@lru_cache(maxsize=1)
def catalog_entry() -> tuple[int, dict[str, Any]]:
    entry = load_catalog().get(ec.ID)
    return entry.seed, json.loads(json.dumps(dict(entry.params)))


# ---------------------------------------------------------------- independent checkers (read JSON only)
def _ts(version: dict[str, Any]) -> tuple[int, int]:
    return tuple(version["ts"])


def _initial(data: dict[str, Any]) -> dict[str, Any]:
    return {"value": data["params"]["initial"], "ts": [0, 0], "write_id": None}


def _version(v: dict[str, Any]) -> tuple[Any, ...]:
    return v["value"], tuple(v["ts"]), v["write_id"]


def check_steps(data: dict[str, Any]) -> None:
    """Shape, order, in-flight sets and distinct_versions, recomputed from the steps and messages."""
    p, steps, msgs = data["params"], data["steps"], data["summary"]["messages"]
    key, replicas = p["key"], p["replicas"]
    assert [m["id"] for m in msgs] == list(range(1, len(msgs) + 1))
    flying: set[int] = set()
    last_t = 0
    for i, step in enumerate(steps):
        assert set(step) == STEP_FIELDS and step["seq"] == i and step["event"] in EVENTS
        assert step["t_ms"] >= last_t and step["t_ms"] <= p["sim_ms"]
        last_t = step["t_ms"]
        assert step["key"] == key and sorted(step["stores"]) == sorted(replicas)
        assert step["distinct_versions"] == len({_ts(s[key]) for s in step["stores"].values()})
        if step["event"] == "send":
            msg = msgs[step["msg_id"] - 1]
            assert (msg["src"], msg["send_ms"]) == (step["replica"], step["t_ms"])
            flying.add(msg["id"])
        elif step["event"] in DELIVERY_EVENTS and step["msg_id"] is not None:
            msg = msgs[step["msg_id"] - 1]
            assert (msg["dst"], msg["deliver_ms"]) == (step["replica"], step["t_ms"]) and msg["id"] in flying
            flying.discard(msg["id"])
        assert step["in_flight"] == sorted(flying), f"step {i}: in_flight"
    if steps:
        assert steps[-1]["in_flight"] == [m["id"] for m in msgs if m["deliver_ms"] > p["sim_ms"]]


def check_writes_never_wait(data: dict[str, Any]) -> None:
    """Invariant 1: acked at t + local_write_ms, before any of its replication messages arrives."""
    p, summary = data["params"], data["summary"]
    rank = {r: i for i, r in enumerate(p["replicas"])}
    assert [w["id"] for w in summary["writes"]] == [f"w{i + 1}" for i in range(len(summary["writes"]))]
    for w, spec in zip(summary["writes"], p["writes"]):
        assert (w["t_ms"], w["replica"], w["client"], w["value"]) == (spec["t"], spec["at"], spec["client"],
                                                                      spec["value"])
        assert w["ts"] == [spec["t"] + p["clock_skew_ms"][spec["at"]], rank[spec["at"]]]
        assert w["acked_ms"] == w["t_ms"] + p["local_write_ms"]
        copies = [m for m in summary["messages"] if m["kind"] == "replicate" and m["write_id"] == w["id"]]
        assert sorted(m["dst"] for m in copies) == sorted(r for r in p["replicas"] if r != w["replica"])
        assert all(m["deliver_ms"] > w["acked_ms"] and m["send_ms"] == w["t_ms"] for m in copies)


def check_lww(data: dict[str, Any]) -> None:
    """Invariant 2: stored stamps never go down; only a larger stamp replaces, at a write or apply step."""
    key, steps = data["params"]["key"], data["steps"]
    before = {r: _initial(data) for r in data["params"]["replicas"]}
    for step in steps:
        event, who = step["event"], step["replica"]
        for replica, store in step["stores"].items():
            now, old = store[key], before[replica]
            assert _ts(now) >= _ts(old), f"{replica}'s stamp went down at seq {step['seq']}"
            changed = _version(now) != _version(old)
            if event in ("apply", "write") and replica == who:
                incoming = (step["value"], tuple(step["ts"]), step["write_id"])
                if event == "apply":
                    assert changed and _version(now) == incoming and tuple(step["ts"]) > _ts(old)
                else:
                    assert changed == (tuple(step["ts"]) > _ts(old))
                    assert not changed or _version(now) == incoming
            else:
                assert not changed, f"{replica}'s store changed at a {event} step"
            if event == "ignore_older" and replica == who:
                assert tuple(step["ts"]) <= _ts(old)
        before = {r: s[key] for r, s in step["stores"].items()}
    writes = [s for s in steps if s["event"] == "write"]
    for s in writes:
        nxt = steps[s["seq"] + 1] if s["seq"] + 1 < len(steps) else None
        stored_is_write = _version(s["stores"][s["replica"]][key]) == (s["value"], tuple(s["ts"]), s["write_id"])
        ignored = nxt is not None and nxt["event"] == "ignore_older" and nxt["write_id"] == s["write_id"] \
            and nxt["msg_id"] is None
        assert stored_is_write != ignored, "a write is either stored or followed by ignore_older"


def _latest_acked(data: dict[str, Any], t_ms: int) -> dict[str, Any]:
    acked = [w for w in data["summary"]["writes"] if w["acked_ms"] <= t_ms]
    best = max(acked, key=_ts, default=None)
    if best is None or _ts(best) <= (0, 0):
        return _initial(data)
    return {"value": best["value"], "ts": best["ts"], "write_id": best["id"]}


def check_reads(data: dict[str, Any]) -> None:
    """Invariant 3: each read returns what its answering replica held; stale recomputed from the writes alone."""
    p, steps, key = data["params"], data["steps"], data["params"]["key"]
    reads = data["summary"]["reads"]
    assert [r["id"] for r in reads] == [f"r{i + 1}" for i in range(len(p["reads"]))]
    for r, spec in zip(reads, p["reads"]):
        assert (r["t_ms"], r["replica"], r["client"], r["session"]) == (spec["t"], spec["at"], spec["client"],
                                                                        spec.get("session", False))
        latest = _latest_acked(data, r["t_ms"])
        assert (r["latest_acked_value"], r["latest_acked_ts"]) == (latest["value"], latest["ts"])
        mine = [s for s in steps if s["read_id"] == r["id"]]
        assert mine[0]["event"] == "read" and mine[0]["t_ms"] == r["t_ms"]
        if r["pending"]:
            assert r["returned_value"] is None and r["stale"] is None and all(s["event"] != "read_return" for s in mine)
            assert r["id"] in steps[-1]["waiting_reads"]
            continue
        ret = [s for s in mine if s["event"] == "read_return"]
        assert len(ret) == 1 and ret[0]["t_ms"] == r["returned_ms"] == r["t_ms"] + r["waited_ms"]
        assert (ret[0]["value"], ret[0]["ts"]) == (r["returned_value"], r["returned_ts"])
        if r["forwarded"]:
            serve = [s for s in mine if s["event"] == "read_serve"]
            assert len(serve) == 1 and (serve[0]["replica"], serve[0]["t_ms"]) == (r["answered_by"], r["answered_ms"])
            held = serve[0]["stores"][r["answered_by"]][key]
        else:
            assert (r["answered_by"], r["answered_ms"]) == (r["replica"], r["returned_ms"])
            held = ret[0]["stores"][r["replica"]][key]
        assert (held["value"], held["ts"]) == (r["returned_value"], r["returned_ts"])
        assert r["stale"] == (tuple(r["returned_ts"]) < _ts(latest))
        if r["token"] is None:
            assert r["waited_ms"] == 0 and not r["forwarded"]
    assert data["summary"]["stale_reads"] == [r["id"] for r in reads if r["stale"]]


def check_session(data: dict[str, Any]) -> None:
    """Invariant 4: a token read never returns below its token; it waits at most the limit, else it is forwarded."""
    p, summary, steps = data["params"], data["summary"], data["steps"]
    limit, policy = p["session_wait_max_ms"], p["session_policy"]
    for r in summary["reads"]:
        earlier = [w for w in summary["writes"] if w["client"] == r["client"] and w["t_ms"] <= r["t_ms"]]
        expected = list(max(earlier, key=_ts)["ts"]) if (r["session"] and earlier) else None
        assert r["token"] == expected
        events = [s["event"] for s in steps if s["read_id"] == r["id"] and s["event"] != "send"]
        if r["token"] is None:
            assert events == ["read", "read_return"]
            continue
        if not r["pending"]:
            assert tuple(r["returned_ts"]) >= tuple(r["token"]), f"{r['id']} returned below its token"
        if r["forwarded"]:
            forward = next(s for s in steps if s["read_id"] == r["id"] and s["event"] == "read_forward")
            assert forward["t_ms"] == r["t_ms"] + (limit if policy == "wait" else 0)
            path = ["read", "read_wait", "read_forward"] if policy == "wait" else ["read", "read_forward"]
            full = path + ["read_serve", "read_return"]
            assert events == full[:len(events)] and len(events) >= len(path) and r["pending"] == (events != full)
        elif events == ["read", "read_return"]:
            assert r["waited_ms"] == 0
        else:
            assert policy == "wait" and events[:2] == ["read", "read_wait"]
            if r["pending"]:
                assert events == ["read", "read_wait"] and r["t_ms"] + limit > p["sim_ms"]
            else:
                assert events == ["read", "read_wait", "read_return"] and 0 < r["waited_ms"] <= limit


def check_convergence(data: dict[str, Any]) -> None:
    """Invariant 5 and the independent final store: every replica ends on the largest-stamp write."""
    key, summary = data["params"]["key"], data["summary"]
    best = max([_initial(data)] + [{"value": w["value"], "ts": w["ts"], "write_id": w["id"]}
                                   for w in summary["writes"]], key=_ts)
    last = data["steps"][-1]["stores"] if data["steps"] else {r: {key: best} for r in data["params"]["replicas"]}
    assert all(_version(s[key]) == _version(best) for s in last.values()), "replicas did not converge"
    assert _version(summary["final"][key]) == _version(best)


def _merge(store: dict[str, Any], version: dict[str, Any]) -> dict[str, Any]:
    return version if _ts(version) > _ts(store) else store


def check_order_free(data: dict[str, Any]) -> None:
    """Invariant 6: merging every version in the trace in any order, or twice, gives the same store."""
    summary = data["summary"]
    versions = [{"value": w["value"], "ts": w["ts"], "write_id": w["id"]} for w in summary["writes"]]
    versions += [v for m in summary["messages"] for v in m["versions"]]
    expected = None
    shuffler = random.Random(len(versions))
    for attempt in range(6):
        order = versions[::-1] if attempt == 1 else list(versions)
        if attempt > 1:
            shuffler.shuffle(order)
        store = _initial(data)
        for v in order + (order if attempt % 2 else []):
            store = _merge(store, v)
        expected = expected or _version(store)
        assert _version(store) == expected
    assert expected == _version(summary["final"][data["params"]["key"]])


def check_repair(data: dict[str, Any]) -> None:
    """Invariant 7: a dropped copy's destination holds at least that stamp by the end of the next round."""
    key, summary, steps = data["params"]["key"], data["summary"], data["steps"]
    rounds = [s["t_ms"] for s in steps if s["event"] == "ae_round"]
    assert rounds == [r["t_ms"] for r in summary["ae_rounds"]]
    for msg in summary["messages"]:
        if not msg["dropped"]:
            continue
        nxt = next(r for r in summary["ae_rounds"] if r["t_ms"] > msg["send_ms"])
        end = max(summary["messages"][i - 1]["deliver_ms"] for i in nxt["msg_ids"])
        state = steps[bisect_right([s["t_ms"] for s in steps], end) - 1]["stores"][msg["dst"]][key]
        assert _ts(state) >= _ts(msg["versions"][0]), f"message {msg['id']} was never repaired"


def check_messages(data: dict[str, Any]) -> None:
    """Invariant 8: delays in range (or the override), drops only where scripted, and a drop applies nothing."""
    p, summary, steps = data["params"], data["summary"], data["steps"]
    lo, hi = p["repl_delay_ms"]
    override = p["repl_delay_override_ms"]
    drops = {tuple(d) for d in p["drops"]}
    by_msg: dict[int, list[dict[str, Any]]] = {}
    sent: dict[int, dict[str, Any]] = {}
    for s in steps:
        if s["msg_id"] is not None and s["event"] != "send":
            by_msg.setdefault(s["msg_id"], []).append(s)
        elif s["event"] == "send":
            sent[s["msg_id"]] = s
    for m in summary["messages"]:
        delay = m["deliver_ms"] - m["send_ms"]
        assert delay == override if override is not None else lo <= delay <= hi
        assert m["dropped"] == (m["kind"] == "replicate" and (m["write_id"], m["dst"]) in drops)
        arrived = by_msg.get(m["id"], [])
        if m["deliver_ms"] > p["sim_ms"]:
            assert arrived == []
        elif m["dropped"]:
            assert [s["event"] for s in arrived] == ["drop"]
        else:
            kinds = {"replicate": {"apply", "ignore_older"}, "anti_entropy": {"apply", "ignore_older"},
                     "forward": {"read_serve"}, "forward_reply": {"read_return"}}[m["kind"]]
            assert len(arrived) == max(1, len(m["versions"])) and {s["event"] for s in arrived} <= kinds
        if m["kind"] == "anti_entropy":
            assert [_version(v) for v in m["versions"]] == [_version(sent[m["id"]]["stores"][m["src"]][p["key"]])]
        if m["kind"] == "replicate":
            w = summary["writes"][int(m["write_id"][1:]) - 1]
            assert [_version(v) for v in m["versions"]] == [(w["value"], tuple(w["ts"]), w["id"])]


def _replay_history(data: dict[str, Any]) -> dict[str, set[str]]:
    """For each write, the writes its replica had seen (directly or through later versions) when accepting it."""
    seen = {r: set() for r in data["params"]["replicas"]}
    history: dict[str, set[str]] = {}
    for s in data["steps"]:
        if s["event"] == "write":
            history[s["write_id"]] = set(seen[s["replica"]])
            seen[s["replica"]].add(s["write_id"])
        elif s["event"] in ("apply", "ignore_older") and s["msg_id"] is not None and s["write_id"] is not None:
            seen[s["replica"]] |= {s["write_id"]} | history[s["write_id"]]
    return history


def check_summary(data: dict[str, Any]) -> None:
    """Lost writes, divergence spans, rounds and repairs recomputed from the steps."""
    p, summary, steps = data["params"], data["summary"], data["steps"]
    history = _replay_history(data)
    writes = summary["writes"]
    lost = []
    for w in writes:
        rivals = [v["id"] for v in writes if _ts(v) > _ts(w) and v["id"] not in history[w["id"]]
                  and w["id"] not in history[v["id"]]]
        if rivals:
            lost.append({"write": w["id"], "beaten_by": rivals[0]})
    assert summary["lost_writes"] == lost
    spans, start = [], None
    for s in steps:
        if s["distinct_versions"] > 1 and start is None:
            start = s["t_ms"]
        elif s["distinct_versions"] == 1 and start is not None:
            if s["t_ms"] > start:
                spans.append([start, s["t_ms"]])
            start = None
    if start is not None:
        spans.append([start, p["sim_ms"]])
    assert summary["diverged_intervals"] == spans
    assert summary["converged_ms"] == (spans[-1][1] if spans else 0)
    assert summary["max_diverged_ms"] == max((b - a for a, b in spans), default=0)
    assert summary["write_latency_ms"] == p["local_write_ms"]
    period = p["anti_entropy_ms"]
    assert [r["t_ms"] for r in summary["ae_rounds"]] == list(range(period, p["sim_ms"], period))
    assert summary["repairs"] == [
        {"t_ms": s["t_ms"], "msg_id": s["msg_id"], "replica": s["replica"], "write_id": s["write_id"]}
        for s in steps if s["event"] == "apply" and summary["messages"][s["msg_id"] - 1]["kind"] == "anti_entropy"]


CHECKERS = (check_steps, check_writes_never_wait, check_lww, check_reads, check_session, check_convergence,
            check_order_free, check_repair, check_messages, check_summary)


def check_all(data: dict[str, Any]) -> None:
    for checker in CHECKERS:
        checker(data)


# ---------------------------------------------------------------- hand cases of the rules
def _v(value: str, ts: list[int], write_id: str | None = None) -> dict[str, Any]:
    return {"value": value, "ts": ts, "write_id": write_id}


def test_lww_rule_by_hand() -> None:
    stored = _v("Ann", [700, 0], "w2")
    assert ec.lww_merge(stored, _v("Annie", [680, 2], "w3")) == (stored, False)
    assert ec.lww_merge(stored, _v("Ann", [700, 0], "w2")) == (stored, False)
    assert ec.lww_merge(stored, _v("x", [700, 1], "w9")) == (_v("x", [700, 1], "w9"), True)
    assert ec.newer([701, 0], [700, 2]) and not ec.newer([700, 0], [700, 0]) and ec.newer([700, 2], [700, 1])
    assert ec.write_stamp(720, -40, 2) == [680, 2]


version_strategy = st.builds(lambda t, r: _v(f"v{t}.{r}", [t, r]), st.integers(-5, 50), st.integers(0, 2))


@settings(max_examples=200, deadline=None)
@given(version_strategy, version_strategy, version_strategy)
def test_lww_merge_is_a_semilattice(a: dict[str, Any], b: dict[str, Any], c: dict[str, Any]) -> None:
    """Shapiro et al. 2011: the merge of a state-based LWW register is commutative, associative, idempotent."""
    def m(x: dict[str, Any], y: dict[str, Any]) -> dict[str, Any]:
        return ec.lww_merge(x, y)[0]
    assert _ts(m(a, b)) == _ts(m(b, a))
    assert m(m(a, b), c)["ts"] == m(a, m(b, c))["ts"]
    assert m(a, a) == a and m(m(a, b), b) == m(a, b)


def test_session_token_and_latest_acked() -> None:
    writes = [{"id": "w1", "client": "Alice", "t_ms": 100, "ts": [100, 0], "acked_ms": 101, "value": "a",
               "replica": "US"},
              {"id": "w2", "client": "Alice", "t_ms": 300, "ts": [260, 2], "acked_ms": 301, "value": "b",
               "replica": "AP"},
              {"id": "w3", "client": "Bob", "t_ms": 400, "ts": [400, 1], "acked_ms": 401, "value": "c",
               "replica": "EU"}]
    assert ec.session_token(writes, "Alice", 99) is None
    assert ec.session_token(writes, "Alice", 500)["id"] == "w2"
    assert ec.session_token(writes, "Bob", 400)["id"] == "w3"
    initial = _v("Ana", [0, 0])
    assert ec.latest_acked(writes, initial, 100) == initial
    assert ec.latest_acked(writes, initial, 301)["write_id"] == "w2"
    assert ec.latest_acked(writes, initial, 401)["write_id"] == "w3"


def test_message_delay_rule() -> None:
    import numpy as np
    rng = np.random.default_rng(0)
    draws = [ec.message_delay(rng, [80, 82], None) for _ in range(300)]
    assert set(draws) == {80, 81, 82}
    assert ec.message_delay(rng, [80, 400], 200) == 200


# ---------------------------------------------------------------- the exact hand timeline
def test_hand_timeline_with_fixed_delay() -> None:
    data = run_json(3, repl_delay_override_ms=200)
    check_all(data)
    s, steps = data["summary"], data["steps"]
    w = {x["id"]: x for x in s["writes"]}
    assert (w["w1"]["ts"], w["w1"]["acked_ms"]) == ([100, 0], 101)
    applies = [(x["t_ms"], x["replica"], x["write_id"]) for x in steps if x["event"] == "apply"]
    assert (300, "EU", "w1") in applies and (300, "AP", "w1") in applies
    reads = {r["id"]: r for r in s["reads"]}
    assert [(reads[i]["returned_value"], reads[i]["stale"]) for i in ("r1", "r2")] == [("Ana", True)] * 2
    assert w["w2"]["ts"] == [700, 0] and (900, "AP", "w2") in applies
    drops = [(x["t_ms"], x["replica"], x["write_id"]) for x in steps if x["event"] == "drop"]
    assert drops == [(900, "EU", "w2")]
    assert w["w3"]["ts"] == [680, 2]
    ignored = [(x["t_ms"], x["replica"], x["write_id"]) for x in steps if x["event"] == "ignore_older"]
    assert (920, "US", "w3") in ignored and (920, "EU", "w3") in applies

    def distinct_at(t: int) -> int:
        return [x for x in steps if x["t_ms"] <= t][-1]["distinct_versions"]
    assert {distinct_at(t) for t in range(720, 900)} == {3}
    assert {distinct_at(t) for t in range(900, 1700)} == {2}
    assert (1700, "EU", "w2") in applies and {distinct_at(t) for t in range(1700, 2200)} == {1}
    assert [(r["t_ms"], r["replica"], r["write_id"]) for r in s["repairs"]] == [(1700, "EU", "w2")]
    assert w["w4"]["ts"] == [2200, 0] and (2400, "EU", "w4") in applies and (2400, "AP", "w4") in applies
    r3 = reads["r3"]
    assert (r3["token"], r3["waited_ms"], r3["returned_value"], r3["stale"]) == ([2200, 0], 150, "Ana B.", False)
    assert s["stale_reads"] == ["r1", "r2"]
    assert s["lost_writes"] == [{"write": "w3", "beaten_by": "w2"}]
    # w3 came 20 ms after w2 in real time, its stamp is 20 ms behind (AP's clock runs 40 ms slow), and AP
    # applied w2's "Ann" over it when w2's copy arrived at 900
    assert s["conflicts"] == [{"write": "w3", "beaten_by": "w2", "later_by_ms": 20, "stamp_behind_ms": 20,
                               "clock_behind_ms": 40, "overwritten_ms": 900}]
    assert w["w3"]["t_ms"] - w["w2"]["t_ms"] == 20
    assert s["final"] == {"name": {"value": "Ana B.", "ts": [2200, 0], "write_id": "w4"}}
    assert s["diverged_intervals"] == [[100, 300], [700, 1700], [2200, 2400]]
    assert (s["converged_ms"], s["max_diverged_ms"]) == (2400, 1000)


def test_forward_policy_by_hand() -> None:
    data = run_json(3, repl_delay_override_ms=200, session_policy="forward")
    check_all(data)
    r3 = data["summary"]["reads"][2]
    assert r3["forwarded"] and (r3["answered_by"], r3["answered_ms"]) == ("US", 2450)
    assert (r3["returned_ms"], r3["waited_ms"], r3["returned_value"]) == (2650, 400, "Ana B.")
    data = run_json(3, repl_delay_override_ms=200, session_wait_max_ms=100)
    check_all(data)
    r3 = data["summary"]["reads"][2]
    assert r3["forwarded"] and (r3["answered_ms"], r3["returned_ms"]) == (2550, 2750)
    events = [s["event"] for s in data["steps"] if s["read_id"] == "r3"]
    assert events == ["read", "read_wait", "read_forward", "send", "read_serve", "send", "read_return"]


def test_write_older_than_its_own_replica_is_ignored_at_once() -> None:
    writes = [{"t": 600, "at": "US", "client": "Alice", "value": "new"},
              {"t": 800, "at": "AP", "client": "Carol", "value": "skewed"}]
    data = run_json(0, clock_skew_ms={"US": 0, "EU": 0, "AP": -500}, writes=writes, drops=[], reads=[],
                    repl_delay_override_ms=100)
    check_all(data)
    at_800 = [(s["event"], s["replica"], s["write_id"], s["msg_id"]) for s in data["steps"] if s["t_ms"] == 800]
    assert at_800[:2] == [("write", "AP", "w2", None), ("ignore_older", "AP", "w2", None)]
    assert data["summary"]["writes"][1]["ts"] == [300, 2] and data["summary"]["lost_writes"] == []
    assert data["summary"]["final"]["name"]["write_id"] == "w1"


# ---------------------------------------------------------------- every seed, defaults
def test_defaults_story_holds_for_every_seed() -> None:
    for seed in range(150):
        data = run_json(seed)
        check_all(data)
        s = data["summary"]
        assert s["stale_reads"] == ["r1", "r2"]
        first = min(m["deliver_ms"] for m in s["messages"] if m["write_id"] == "w1")
        assert first >= 180
        assert 30 <= s["reads"][2]["waited_ms"] <= 350 and not s["reads"][2]["forwarded"]
        assert s["lost_writes"] == [{"write": "w3", "beaten_by": "w2"}]
        assert s["final"]["name"]["value"] == "Ana B."


def test_catalog_story() -> None:
    seed, params = catalog_entry()
    data = run_json(seed, **params)
    check_all(data)
    assert data["params"] == params == {p.name: p.default for p in ec.PARAMS}
    delays = [m["deliver_ms"] - m["send_ms"] for m in data["summary"]["messages"] if m["write_id"] == "w1"]
    assert len(delays) == 2 and abs(delays[0] - delays[1]) >= 100
    assert data["summary"]["reads"][2]["waited_ms"] >= 80
    assert data["summary"]["diverged_intervals"][0][0] == 100


# ---------------------------------------------------------------- the invariants as properties
NAMES = ["US", "EU", "AP", "SA", "AF", "x"]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, dict[str, Any]]:
    replicas = draw(st.lists(st.sampled_from(NAMES), min_size=3, max_size=3, unique=True))
    local = draw(st.integers(0, 1000))
    lo = draw(st.integers(local + 1, 5000))
    hi = draw(st.integers(lo, 5000))
    override = draw(st.one_of(st.none(), st.integers(local + 1, 5000)))
    longest = override if override is not None else hi
    horizon = draw(st.integers(1, 8000))
    drawn, taken = [], set()
    for _ in range(draw(st.integers(0, 8))):
        at, t = draw(st.sampled_from(replicas)), draw(st.integers(0, horizon))
        if (t, at) not in taken:
            taken.add((t, at))
            drawn.append({"t": t, "at": at, "client": draw(st.sampled_from(["Alice", "Bob", "Carol"])),
                          "value": draw(st.sampled_from(["a", "b", "c", "", "Ana B."]))})
    sim_ms = min(60_000, max([w["t"] + longest for w in drawn] + [1]) + draw(st.integers(0, 3000)))
    shortest_period = max(50, -(-sim_ms // ec.MAX_ROUNDS))
    period = draw(st.integers(shortest_period, max(shortest_period, 3000)))
    bound = min(1000, period - 1)
    skews = {r: draw(st.integers(-bound, bound)) for r in replicas}
    writes = [w for w in drawn if w["t"] + skews[w["at"]] >= 1]
    drops = [[f"w{i + 1}", dst] for i, w in enumerate(writes) for dst in replicas
             if dst != w["at"] and (w["t"] // period + 1) * period + longest <= sim_ms and draw(st.booleans())]
    reads = []
    for _ in range(draw(st.integers(0, 6))):
        after = draw(st.one_of(st.none(), st.sampled_from(writes))) if writes else None
        if after is None:  # anywhere, by anyone
            t, client = draw(st.integers(0, sim_ms)), draw(st.sampled_from(["Alice", "Bob", "Carol"]))
        else:  # soon after one of the writes, by its client: where sessions wait
            t, client = min(sim_ms, after["t"] + draw(st.integers(0, longest))), after["client"]
        reads.append({"t": t, "at": draw(st.sampled_from(replicas)), "client": client, "session": draw(st.booleans())})
    params = {"replicas": replicas, "key": draw(st.sampled_from(["name", "k"])), "initial": "Ana",
              "clock_skew_ms": skews, "repl_delay_ms": [lo, hi], "repl_delay_override_ms": override,
              "local_write_ms": local, "anti_entropy_ms": period, "sim_ms": sim_ms, "writes": writes,
              "reads": reads, "drops": drops, "session_policy": draw(st.sampled_from(["wait", "forward"])),
              "session_wait_max_ms": draw(st.integers(0, 3000))}
    return draw(st.integers(0, 2**32 - 1)), params


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_invariants_over_drawn_scenarios(scenario: tuple[int, dict[str, Any]]) -> None:
    seed, params = scenario
    check_all(run_json(seed, **params))


def test_checkers_reject_corrupted_traces() -> None:
    clean = run_json(3, repl_delay_override_ms=200)
    check_all(clean)

    def copy() -> dict[str, Any]:
        return json.loads(json.dumps(clean))

    def step_of(data: dict[str, Any], event: str, replica: str, t: int) -> dict[str, Any]:
        return next(s for s in data["steps"] if (s["event"], s["replica"], s["t_ms"]) == (event, replica, t))

    cases = []
    data = copy()
    data["summary"]["writes"][0]["acked_ms"] = 400
    cases.append((check_writes_never_wait, data))
    data = copy()
    step_of(data, "ignore_older", "US", 920)["stores"]["US"]["name"] = {"value": "Annie", "ts": [680, 2],
                                                                         "write_id": "w3"}
    cases.append((check_lww, data))
    data = copy()
    data["summary"]["reads"][0]["stale"] = False
    cases.append((check_reads, data))
    data = copy()
    data["summary"]["reads"][2].update(returned_ts=[100, 0])
    cases.append((check_session, data))
    data = copy()
    data["summary"]["final"]["name"] = {"value": "Annie", "ts": [680, 2], "write_id": "w3"}
    cases.append((check_convergence, data))
    data = copy()
    data["summary"]["final"]["name"]["ts"] = [1, 0]
    cases.append((check_order_free, data))
    data = copy()
    for s in data["steps"]:
        if s["t_ms"] >= 1700 and s["t_ms"] < 2200:
            s["stores"]["EU"]["name"] = {"value": "Annie", "ts": [680, 2], "write_id": "w3"}
    cases.append((check_repair, data))
    data = copy()
    data["summary"]["messages"][0]["deliver_ms"] = 250
    cases.append((check_messages, data))
    data = copy()
    data["summary"]["messages"][2]["dropped"] = False
    cases.append((check_messages, data))
    data = copy()
    data["summary"]["lost_writes"] = []
    cases.append((check_summary, data))
    data = copy()
    data["steps"][5]["distinct_versions"] = 1
    cases.append((check_steps, data))
    for checker, data in cases:
        with pytest.raises((AssertionError, StopIteration)):
            checker(data)


# ---------------------------------------------------------------- determinism, isolation, parameters
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    code = ("import sys; from sims.eventual_consistency import simulate; "
            "sys.stdout.write(simulate(11, session_policy='forward', repl_delay_ms=[50, 900]).to_json())")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second == ec.simulate(11, session_policy="forward", repl_delay_ms=[50, 900]).to_json().encode()
    assert ec.simulate(12).to_json() != ec.simulate(11).to_json()


def test_trace_contract() -> None:
    data = run_json(7)
    assert set(data) == {"schema_version", "id", "seed", "params", "steps", "summary"}
    assert data["id"] == ec.ID == Path(ec.__file__).stem.replace("_", "-")
    assert set(data["summary"]) == {"writes", "messages", "reads", "stale_reads", "lost_writes", "conflicts", "ae_rounds",
                                    "repairs", "diverged_intervals", "converged_ms", "max_diverged_ms",
                                    "write_latency_ms", "final"}
    doc = ec.__doc__
    sections = ["Model\n-----", "Invariants\n----------", "Leaves out\n----------", "Trace\n-----"]
    assert [doc.index(s) for s in sections] == sorted(doc.index(s) for s in sections)
    code = ("import sys, sims.eventual_consistency; "
            "print(sorted(m for m in ('manim', 'scipy', 'torch', 'networkx') if m in sys.modules))")
    assert _in_subprocess(code, "0").strip() == b"[]"


W = [{"t": 100, "at": "US", "client": "Alice", "value": "x"}]


@pytest.mark.parametrize("params, field", [
    ({"local_write_ms": -1}, "local_write_ms"),
    ({"local_write_ms": 1001}, "local_write_ms"),
    ({"anti_entropy_ms": 49}, "anti_entropy_ms"),
    ({"anti_entropy_ms": 60_001}, "anti_entropy_ms"),
    ({"sim_ms": 0}, "sim_ms"),
    ({"sim_ms": 60_001}, "sim_ms"),
    ({"session_wait_max_ms": -1}, "session_wait_max_ms"),
    ({"session_wait_max_ms": 60_001}, "session_wait_max_ms"),
    ({"repl_delay_ms": [0, 400]}, "repl_delay_ms"),
    ({"repl_delay_ms": [80, 5001]}, "repl_delay_ms"),
    ({"repl_delay_ms": [400, 80]}, "repl_delay_ms"),
    ({"repl_delay_override_ms": 0}, "repl_delay_override_ms"),
    ({"repl_delay_override_ms": 5001}, "repl_delay_override_ms"),
    ({"repl_delay_override_ms": True}, "repl_delay_override_ms"),
    ({"replicas": ["US", "EU"]}, "replicas"),
    ({"replicas": ["US", "US", "AP"]}, "replicas"),
    ({"clock_skew_ms": {"US": 0, "EU": 0, "AP": 1001}}, "clock_skew_ms"),
    ({"clock_skew_ms": {"US": 0, "EU": 0}}, "clock_skew_ms"),
    ({"clock_skew_ms": {"US": 0, "EU": 0, "AP": -40}, "anti_entropy_ms": 40}, "anti_entropy_ms"),
    ({"clock_skew_ms": {"US": 0, "EU": 0, "AP": -60}, "anti_entropy_ms": 60, "drops": []}, "clock_skew_ms"),
    ({"local_write_ms": 80}, "repl_delay_ms"),
    ({"repl_delay_override_ms": 1}, "repl_delay_override_ms"),
    ({"writes": [{"t": 100, "at": "SA", "client": "A", "value": "x"}], "drops": []}, "writes"),
    ({"writes": [{"t": 3000, "at": "US", "client": "A", "value": "x"}], "drops": []}, "writes"),
    ({"writes": [{"t": 20, "at": "AP", "client": "A", "value": "x"}], "drops": []}, "writes"),
    ({"writes": W + W, "drops": []}, "writes"),
    ({"writes": [{"t": 100, "at": "US", "client": "A"}], "drops": []}, "writes"),
    ({"reads": [{"t": 100, "at": "SA", "client": "B"}]}, "reads"),
    ({"reads": [{"t": 3201, "at": "US", "client": "B"}]}, "reads"),
    ({"reads": [{"t": 100, "at": "US", "client": "B", "session": "yes"}]}, "reads"),
    ({"drops": [["w9", "EU"]]}, "drops"),
    ({"drops": [["w2", "US"]]}, "drops"),
    ({"drops": [["w2", "EU"], ["w2", "EU"]]}, "drops"),
    ({"drops": [["w4", "EU"]]}, "drops"),
    ({"session_policy": "block"}, "session_policy"),
    ({"key": ""}, "key"),
    ({"anti_entropy_ms": 50, "sim_ms": 3300, "drops": []}, "anti_entropy_ms"),
    ({"quorum": 2}, "quorum"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        ec.simulate(0, **params)
    assert err.value.field == field


def test_override_parses_from_the_command_line() -> None:
    from sims.params import parse_value
    param = next(p for p in ec.PARAMS if p.name == "repl_delay_override_ms")
    assert parse_value(param, "200") == 200 and parse_value(param, "null") is None
    with pytest.raises(ParamError):
        parse_value(param, "fast")


def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py): what
    the first stale read returns before the first write's copies land, which of the two conflicting writes
    survives, and what the session read returns."""
    s = trace["summary"]
    first = s["writes"][0]
    landing = min(m["deliver_ms"] for m in s["messages"] if m["write_id"] == first["id"])
    early = [r for r in s["reads"] if r["stale"] and r["t_ms"] < landing]
    answers = [early[0]["returned_value"]] if early else []
    winner = next(w for w in s["writes"] if w["id"] == s["lost_writes"][0]["beaten_by"])
    answers.append(winner["value"])
    read = next(r for r in s["reads"] if r["session"] and not r["pending"])
    held = [st for st in trace["steps"] if st["t_ms"] <= read["t_ms"]][-1]["stores"][read["replica"]][trace["params"]["key"]]
    answers.append(f"{read['returned_value']}, after a wait" if read["waited_ms"] else f"{held['value']}, at once")
    return answers


def test_checkpoint_answers_tell_the_catalog_story() -> None:
    seed, params = catalog_entry()
    assert checkpoint_answers(run_json(seed, **params)) == ["Ana", "Ann", "Ana B., after a wait"]
