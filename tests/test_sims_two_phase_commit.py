"""Tests for sims.two_phase_commit: the decision and reply rules by hand, the storyboard's invariants
(and every node's decision recomputed from the messages alone) checked from the trace JSON over drawn
scenarios, the exact hand timeline, the three stories for every seed, the catalog story, determinism
and parameter errors."""

from __future__ import annotations

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
from sims import two_phase_commit as tpc
from sims.params import ParamError

ROOT = Path(__file__).resolve().parents[1]
COORD = "coordinator"
EVENTS = set(tpc.EVENTS)
STEP_FIELDS = {"t_ms", "seq", "tx", "event", "node", "msg_id", "detail", "nodes", "in_flight"}
STATES = {"idle", "collecting", "working", "prepared", "committed", "aborted", "done"}
HAND = {"latency_override_ms": 10, "prepare_override_ms": 0}


def run_json(seed: int, **params: Any) -> dict[str, Any]:
    """The trace as a consumer sees it: parsed back from its JSON."""
    return json.loads(tpc.simulate(seed, **params).to_json())


@lru_cache(maxsize=1)
def catalog_entry() -> tuple[int, dict[str, Any]]:
    entry = load_catalog().get(tpc.ID)
    return entry.seed, json.loads(json.dumps(dict(entry.params)))


# ---------------------------------------------------------------- independent checkers (read JSON only)
def _by_tx(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {tx["name"]: [] for tx in data["params"]["transactions"]}
    for step in data["steps"]:
        out[step["tx"]].append(step)
    return out


def _msgs(data: dict[str, Any], tx: str) -> list[dict[str, Any]]:
    return [m for m in data["summary"]["messages"] if m["tx"] == tx]


def _down_intervals(data: dict[str, Any]) -> list[tuple[int, int]]:
    """(crash_ms, recover_ms) of every coordinator outage, from the crash and recover steps."""
    crashes = [s["t_ms"] for s in data["steps"] if s["event"] == "crash"]
    recovers = [s["t_ms"] for s in data["steps"] if s["event"] == "recover"]
    assert len(crashes) == len(recovers)
    return list(zip(crashes, recovers))


def check_structure(data: dict[str, Any]) -> None:
    """Shape, order, append-only logs and in-flight sets."""
    p, steps, msgs = data["params"], data["steps"], data["summary"]["messages"]
    names = [COORD, *p["participants"]]
    assert data["summary"]["nodes"] == names
    assert [m["id"] for m in msgs] == list(range(1, len(msgs) + 1))
    flying: set[int] = set()
    logs = {n: [] for n in names}
    last = 0
    for i, s in enumerate(steps):
        assert set(s) == STEP_FIELDS and s["seq"] == i and s["event"] in EVENTS and s["t_ms"] >= last
        last = s["t_ms"]
        assert sorted(s["nodes"]) == sorted(names)
        for n, node in s["nodes"].items():
            assert node["state"] in STATES and isinstance(node["locks_held"], bool)
            assert node["log"][: len(logs[n])] == logs[n], f"{n}'s log was rewritten"
            added = node["log"][len(logs[n]):]
            assert added == [] or (s["event"] == "log_write" and s["node"] == n and len(added) == 1
                                   and added[0] == {"tx": s["tx"], "record": s["detail"]["record"], "t_ms": s["t_ms"]})
            logs[n] = node["log"]
        if s["event"] in ("send", "deliver", "drop"):
            m = msgs[s["msg_id"] - 1]
            assert s["detail"] == {k: m[k] for k in ("type", "src", "dst", "decision")} and m["tx"] == s["tx"]
            if s["event"] == "send":
                assert (m["src"], m["send_ms"]) == (s["node"], s["t_ms"]) and m["id"] not in flying
                flying.add(m["id"])
            else:
                assert (m["dst"], m["deliver_ms"]) == (s["node"], s["t_ms"]) and m["id"] in flying
                assert m["dropped"] == (s["event"] == "drop")
                flying.discard(m["id"])
        else:
            assert s["msg_id"] is None
        assert s["in_flight"] == sorted(flying)


def check_agreement(data: dict[str, Any]) -> None:
    """Invariant 1: every decide and apply event of a transaction carries the same decision."""
    for tx, steps in _by_tx(data).items():
        decisions = {s["detail"]["decision"] for s in steps if s["event"] in ("decide", "apply")}
        summary = next(t for t in data["summary"]["transactions"] if t["name"] == tx)
        assert decisions == {summary["decision"]}, f"{tx}: decisions {decisions}"


def check_validity(data: dict[str, Any]) -> None:
    """Invariant 2: commit is logged only after every YES arrived; any NO means abort."""
    parts = data["params"]["participants"]
    for tx, steps in _by_tx(data).items():
        msgs = _msgs(data, tx)
        commit = [s for s in steps if s["event"] == "log_write" and s["node"] == COORD
                  and s["detail"]["record"] == "commit"]
        for s in commit:
            yes = {m["src"] for m in msgs
                   if m["type"] == "VOTE_YES" and not m["dropped"] and m["deliver_ms"] <= s["t_ms"]}
            assert yes == set(parts), f"{tx}: commit logged without every YES"
        if any(m["type"] == "VOTE_NO" for m in msgs):
            assert not commit and any(s["event"] == "decide" and s["detail"]["decision"] == "abort" for s in steps)


def check_non_triviality(data: dict[str, Any]) -> None:
    """Invariant 3: no crash and no NO vote -> commit with exactly 4n messages (n of each kind)."""
    n = len(data["params"]["participants"])
    for t in data["summary"]["transactions"]:
        msgs = _msgs(data, t["name"])
        if t["crash"] is None and not any(m["type"] == "VOTE_NO" for m in msgs):
            assert t["decision"] == "commit" and len(msgs) == t["message_count"] == 4 * n
            assert sorted(m["type"] for m in msgs) == sorted(["PREPARE", "VOTE_YES", "COMMIT", "ACK"] * n)


def check_write_ahead(data: dict[str, Any]) -> None:
    """Invariant 4: one decision per node per transaction, logged before it is sent; prepared before YES."""
    for tx, steps in _by_tx(data).items():
        decided: dict[str, int] = {}
        prepared: set[str] = set()
        for s in steps:
            node = s["node"]
            if s["event"] == "decide":
                assert node not in decided, f"{tx}: {node} decided twice"
                decided[node] = s["seq"]
                nxt = data["steps"][s["seq"] + 1]
                assert (nxt["event"], nxt["node"], nxt["detail"].get("record")) == ("log_write", node,
                                                                                     s["detail"]["decision"])
            elif s["event"] == "log_write" and s["detail"]["record"] == "prepared":
                prepared.add(node)
            elif s["event"] == "send" and s["detail"]["type"] in ("COMMIT", "ABORT"):
                assert COORD in decided and s["detail"]["decision"] in ("commit", "abort")
                assert any(r["tx"] == tx and r["record"] == s["detail"]["decision"] for r in s["nodes"][COORD]["log"])
            elif s["event"] == "send" and s["detail"]["type"] == "VOTE_YES":
                assert node in prepared, f"{tx}: {node} voted YES before logging prepared"


def check_no_unilateral(data: dict[str, Any]) -> None:
    """Invariant 5: a YES voter decides only on COMMIT/ABORT or a reply with the decision; a NO voter at its vote."""
    steps = data["steps"]
    for tx, mine in _by_tx(data).items():
        yes_voters = {s["node"] for s in mine if s["event"] == "vote" and s["detail"]["vote"] == "yes"}
        for s in mine:
            if s["event"] != "decide" or s["node"] == COORD:
                continue
            before = steps[s["seq"] - 1]
            trigger = (before["event"] == "deliver" and before["node"] == s["node"]
                       and before["detail"]["decision"] == s["detail"]["decision"]
                       and before["detail"]["type"] in ("COMMIT", "ABORT", "DECISION_REPLY"))
            if s["node"] in yes_voters:
                assert trigger, f"{tx}: {s['node']} decided after YES without being told"
            else:
                vote = next((v for v in mine if v["event"] == "vote" and v["node"] == s["node"]), None)
                if vote is not None:  # a NO voter aborts at its vote
                    assert s["detail"]["decision"] == "abort" and vote["t_ms"] == s["t_ms"] and vote["seq"] > s["seq"]
                else:
                    assert trigger


def check_blocking(data: dict[str, Any]) -> None:
    """Invariant 6: while the coordinator is down and nobody alive knows the outcome, YES voters stay locked."""
    knows: dict[str, set[str]] = {}
    prepared: dict[str, set[str]] = {}
    for s in data["steps"]:
        tx = s["tx"]
        if s["event"] == "decide":
            knows.setdefault(tx, set()).add(s["node"])
        if s["event"] == "log_write" and s["detail"]["record"] == "prepared":
            prepared.setdefault(tx, set()).add(s["node"])
        if not s["nodes"][COORD]["alive"]:
            alive_knowers = {n for n in knows.get(tx, set()) if n != COORD and s["nodes"][n]["alive"]}
            if not alive_knowers:
                for n in prepared.get(tx, set()):
                    assert s["nodes"][n]["state"] == "prepared" and s["nodes"][n]["locks_held"], \
                        f"{tx}: {n} left the prepared state while blocked"
    for tx, mine in _by_tx(data).items():
        lock = {s["node"]: s["t_ms"] for s in mine if s["event"] == "lock"}
        unlock = {s["node"]: s for s in mine if s["event"] == "unlock"}
        summary = next(t for t in data["summary"]["transactions"] if t["name"] == tx)
        assert set(lock) == set(unlock)
        assert summary["lock_hold_ms"] == {n: unlock[n]["t_ms"] - lock[n] if n in lock else 0
                                           for n in data["params"]["participants"]}
        assert all(unlock[n]["detail"]["held_ms"] == unlock[n]["t_ms"] - lock[n] for n in lock)
        assert summary["lock_hold_max_ms"] == max(summary["lock_hold_ms"].values())


def check_termination(data: dict[str, Any]) -> None:
    """Invariant 7: every participant decides and unlocks in every transaction before the run ends."""
    last = data["steps"][-1]
    assert (last["event"], last["node"], last["detail"]) == ("log_write", COORD, {"record": "end"})
    assert last["tx"] == data["params"]["transactions"][-1]["name"]
    for n, node in last["nodes"].items():
        assert node["alive"] and not node["locks_held"]
        for tx in data["params"]["transactions"]:
            records = [r["record"] for r in node["log"] if r["tx"] == tx["name"]]
            decided = [r for r in records if r in ("commit", "abort")]
            assert len(decided) == 1, f"{tx['name']}: {n} logged {records}"
            if n == COORD:
                assert records[-1] == "end"


def check_messages(data: dict[str, Any]) -> None:
    """Invariant 8: latencies in range (or the override); exactly the messages to a crashed node are dropped."""
    p = data["params"]
    lo, hi = p["latency_ms"]
    override = p["latency_override_ms"]
    down = _down_intervals(data)
    steps = data["steps"]
    end = steps[-1]["t_ms"]
    arrivals: dict[int, list[str]] = {}
    for s in steps:
        if s["event"] in ("deliver", "drop"):
            arrivals.setdefault(s["msg_id"], []).append(s["event"])
            alive = steps[s["seq"] - 1]["nodes"][s["node"]]["alive"]
            assert (s["event"] == "drop") == (not alive), f"message {s['msg_id']}: {s['event']} at a node alive={alive}"
    for m in data["summary"]["messages"]:
        latency = m["deliver_ms"] - m["send_ms"]
        assert latency == override if override is not None else lo <= latency <= hi
        if m["dst"] == COORD and any(a < m["deliver_ms"] < b for a, b in down):
            assert m["dropped"], f"message {m['id']} reached the crashed coordinator"
        got = arrivals.get(m["id"], [])
        if got:
            assert got == (["drop"] if m["dropped"] else ["deliver"])
        else:
            assert m["deliver_ms"] >= end and m["id"] in data["steps"][-1]["in_flight"]
    for s in data["steps"]:
        if s["event"] != "drop" and s["node"] == COORD and s["event"] not in ("recover",):
            assert s["nodes"][COORD]["alive"] or s["event"] == "crash", "the crashed coordinator acted"


def check_decisions_from_messages(data: dict[str, Any]) -> None:
    """Every node's decision recomputed from summary.messages alone, compared with the decide steps."""
    parts = data["params"]["participants"]
    for tx, mine in _by_tx(data).items():
        msgs = _msgs(data, tx)
        decide = {s["node"]: (s["detail"]["decision"], s["t_ms"]) for s in mine if s["event"] == "decide"}
        for n in parts:
            no_vote = [m for m in msgs if m["type"] == "VOTE_NO" and m["src"] == n]
            told = sorted((m["deliver_ms"], m["id"], m["decision"]) for m in msgs if m["dst"] == n and not m["dropped"]
                          and m["type"] in ("COMMIT", "ABORT", "DECISION_REPLY") and m["decision"] != "unknown")
            expected = ("abort", no_vote[0]["send_ms"]) if no_vote else (told[0][2], told[0][0])
            assert decide.get(n) == expected, f"{tx}: {n} decided {decide.get(n)}, messages say {expected}"
        sent = {m["decision"] for m in msgs if m["src"] == COORD and m["type"] in ("COMMIT", "ABORT")}
        assert len(sent) <= 1 and decide[COORD][0] in sent | ({"abort"} if not sent else set())


def check_summary(data: dict[str, Any]) -> None:
    """The per-transaction summary recomputed from the steps and messages."""
    parts = data["params"]["participants"]
    prev_end = None
    for spec, t in zip(data["params"]["transactions"], data["summary"]["transactions"]):
        mine = _by_tx(data)[spec["name"]]
        msgs = _msgs(data, spec["name"])
        assert t["name"] == spec["name"] and t["requested_ms"] == spec["start_ms"]
        first = min(m["send_ms"] for m in msgs if m["type"] == "PREPARE")
        assert t["start_ms"] == first == max(spec["start_ms"], prev_end if prev_end is not None else 0)
        coord_decide = next(s for s in mine if s["event"] == "decide" and s["node"] == COORD)
        assert (t["decision"], t["decided_ms"]) == (coord_decide["detail"]["decision"], coord_decide["t_ms"])
        end = next(s for s in mine if s["event"] == "log_write" and s["detail"]["record"] == "end")
        assert t["end_ms"] == end["t_ms"]
        prev_end = end["t_ms"]
        assert t["message_count"] == len(msgs)
        votes = {n: None for n in parts}
        for s in mine:
            if s["event"] == "vote" and votes[s["node"]] is None:
                votes[s["node"]] = s["detail"]["vote"]
        assert t["votes"] == votes
        decided = {s["node"]: s["t_ms"] for s in mine if s["event"] == "decide"}
        ready = {s["node"]: s["t_ms"] for s in mine
                 if s["event"] == "log_write" and s["detail"]["record"] == "prepared"}
        assert t["uncertain_ms"] == {n: decided[n] - ready.get(n, decided[n]) for n in parts}
        rounds = {}
        for s in mine:
            if s["event"] == "ask_peers":
                rounds[s["node"]] = rounds.get(s["node"], 0) + 1
                assert s["detail"]["round"] == rounds[s["node"]]
                assert s["detail"]["asked"] == [COORD, *[n for n in parts if n != s["node"]]]
        assert t["termination_rounds"] == max(rounds.values(), default=0)
        if data["params"]["termination"] == "wait":
            assert rounds == {}
        assert t["unknown_replies"] == sum(m["type"] == "DECISION_REPLY" and m["decision"] == "unknown" for m in msgs)
        crash = [s for s in mine if s["event"] == "crash"]
        recover = [s for s in mine if s["event"] == "recover"]
        if spec.get("coordinator_crash") is None:
            assert t["crash"] is None and not crash
        else:
            assert len(crash) == len(recover) == 1
            assert t["crash"] == {"point": spec["coordinator_crash"], "crash_ms": crash[0]["t_ms"],
                                  "recover_ms": recover[0]["t_ms"]}
            assert recover[0]["t_ms"] - crash[0]["t_ms"] == spec["recover_after_ms"]
            logged = [r for r in crash[0]["nodes"][COORD]["log"] if r["tx"] == spec["name"]]
            if spec["coordinator_crash"] == "after_commit_logged":
                assert logged == [{"tx": spec["name"], "record": "commit", "t_ms": crash[0]["t_ms"]}]
                assert recover[0]["detail"]["found"] == "commit"
            else:
                assert logged == [] and recover[0]["detail"]["found"] is None and t["decision"] == "abort"
                assert t["decided_ms"] == recover[0]["t_ms"]


CHECKERS = (check_structure, check_agreement, check_validity, check_non_triviality, check_write_ahead,
            check_no_unilateral, check_blocking, check_termination, check_messages, check_decisions_from_messages,
            check_summary)


def check_all(data: dict[str, Any]) -> None:
    for checker in CHECKERS:
        checker(data)


# ---------------------------------------------------------------- hand cases of the rules
def test_decision_and_reply_rules() -> None:
    parts = ["a", "b", "c"]
    assert tpc.coordinator_decision({"a": "yes", "b": "yes"}, parts) is None
    assert tpc.coordinator_decision({"a": "yes", "b": "yes", "c": "yes"}, parts) == "commit"
    assert tpc.coordinator_decision({"a": "no"}, parts) == "abort"
    assert tpc.coordinator_decision({"a": "yes", "b": "no", "c": "yes"}, parts) == "abort"
    assert tpc.reply_to_request("commit", True) == "commit" and tpc.reply_to_request("abort", False) == "abort"
    assert tpc.reply_to_request(None, True) == "unknown" and tpc.reply_to_request(None, False) == "abort"
    assert tpc.min_participant_timeout((10, 30), (5, 20)) == 95


def test_draws_respect_ranges_and_overrides() -> None:
    rng = np.random.default_rng(0)
    p = {"latency_ms": [10, 12], "latency_override_ms": None, "prepare_ms": [0, 1], "prepare_override_ms": None}
    assert {tpc.draw_latency(rng, p) for _ in range(200)} == {10, 11, 12}
    assert {tpc.draw_prepare(rng, p) for _ in range(200)} == {0, 1}
    p.update(latency_override_ms=7, prepare_override_ms=0)
    assert tpc.draw_latency(rng, p) == 7 and tpc.draw_prepare(rng, p) == 0


# ---------------------------------------------------------------- the exact hand timeline
def _events(data: dict[str, Any], tx: str, event: str, **detail: Any) -> list[tuple[int, str]]:
    return [(s["t_ms"], s["node"]) for s in data["steps"] if s["tx"] == tx and s["event"] == event
            and all(s["detail"].get(k) == v for k, v in detail.items())]


def test_hand_timeline() -> None:
    data = run_json(0, **HAND)
    check_all(data)
    tx = {t["name"]: t for t in data["summary"]["transactions"]}
    parts = ["orders", "payments", "inventory"]
    # T1
    assert _events(data, "T1", "lock") == [(10, n) for n in parts]
    assert _events(data, "T1", "vote", vote="yes") == [(10, n) for n in parts]
    assert _events(data, "T1", "log_write", record="commit")[0] == (20, COORD)
    assert _events(data, "T1", "apply") == _events(data, "T1", "unlock") == [(30, n) for n in parts]
    assert _events(data, "T1", "log_write", record="end") == [(40, COORD)]
    assert tx["T1"]["message_count"] == 12 and tx["T1"]["lock_hold_ms"] == {n: 20 for n in parts}
    # T2
    assert _events(data, "T2", "log_write", record="abort")[0] == (410, "inventory")
    assert _events(data, "T2", "unlock")[0] == (410, "inventory")
    assert _events(data, "T2", "vote", vote="no") == [(410, "inventory")]
    assert _events(data, "T2", "vote", vote="yes") == [(410, "orders"), (410, "payments")]
    assert (420, COORD) in _events(data, "T2", "log_write", record="abort")
    aborts = [m for m in _msgs(data, "T2") if m["type"] == "ABORT"]
    assert [(m["dst"], m["deliver_ms"]) for m in aborts] == [("orders", 430), ("payments", 430)]
    assert [m["deliver_ms"] for m in _msgs(data, "T2") if m["type"] == "ACK"] == [440, 440]
    kinds = [m["type"] for m in _msgs(data, "T2")]
    assert len(kinds) == 10 and kinds.count("PREPARE") == 3 and kinds.count("ABORT") == 2 and kinds.count("ACK") == 2
    # T3
    assert _events(data, "T3", "vote", vote="yes") == [(810, n) for n in parts]
    assert _events(data, "T3", "log_write", record="commit")[0] == (820, COORD)
    assert _events(data, "T3", "crash") == [(820, COORD)]
    asks = _events(data, "T3", "ask_peers")
    assert sorted({t for t, _ in asks}) == list(range(1010, 2211, 200)) and len(asks) == 21
    t3 = _msgs(data, "T3")
    requests = [m for m in t3 if m["type"] == "DECISION_REQ"]
    replies = [m for m in t3 if m["type"] == "DECISION_REPLY"]
    assert len(requests) == 63 and sum(m["dropped"] for m in requests) == 21
    assert len(replies) == 42 and {m["decision"] for m in replies} == {"unknown"}
    assert len(requests) + len(replies) == 105
    assert _events(data, "T3", "recover") == [(2320, COORD)]
    commits = [m for m in t3 if m["type"] == "COMMIT"]
    assert [(m["send_ms"], m["deliver_ms"]) for m in commits] == [(2320, 2330)] * 3
    assert _events(data, "T3", "unlock") == [(2330, n) for n in parts]
    assert [m["deliver_ms"] for m in t3 if m["type"] == "ACK"] == [2340] * 3
    assert tx["T3"]["message_count"] == 117 and len(t3) == 117
    assert tx["T3"]["lock_hold_ms"] == {n: 1520 for n in parts} and tx["T3"]["uncertain_ms"] == {n: 1520 for n in parts}
    assert tx["T3"]["termination_rounds"] == 7 and tx["T3"]["unknown_replies"] == 42
    assert [t["decision"] for t in tx.values()] == ["commit", "abort", "commit"]


def test_hand_timeline_before_decision() -> None:
    seed, params = catalog_entry()
    txs = json.loads(json.dumps(params["transactions"]))
    txs[2]["coordinator_crash"] = "before_decision"
    data = run_json(0, **{**HAND, "transactions": txs})
    check_all(data)
    t3 = data["summary"]["transactions"][2]
    assert _events(data, "T3", "crash") == [(820, COORD)]
    assert [r["record"] for r in data["steps"][-1]["nodes"][COORD]["log"] if r["tx"] == "T3"] == ["abort", "end"]
    assert (t3["decision"], t3["decided_ms"]) == ("abort", 2320)
    assert _events(data, "T3", "apply", decision="abort") == [(2330, n) for n in ["orders", "payments", "inventory"]]


def test_wait_termination_asks_nobody() -> None:
    data = run_json(0, **HAND, termination="wait")
    check_all(data)
    t3 = data["summary"]["transactions"][2]
    assert t3["message_count"] == 12 and t3["termination_rounds"] == 0 and t3["lock_hold_max_ms"] == 1520


def test_peer_that_knows_tells_and_unvoted_peer_aborts() -> None:
    """Cooperative termination where peers know something: a NO voter answers abort, ending the wait."""
    txs = [{"name": "T", "start_ms": 0, "no_voter": "b", "coordinator_crash": "before_decision",
            "recover_after_ms": 1000}]
    data = run_json(0, participants=["a", "b", "c"], latency_ms=[10, 10], prepare_ms=[0, 0], transactions=txs,
                    prepare_override_ms=None)
    check_all(data)
    replies = [m for m in data["summary"]["messages"] if m["type"] == "DECISION_REPLY"]
    assert {m["decision"] for m in replies if m["src"] == "b"} == {"abort"}
    decide = {s["node"]: s["t_ms"] for s in data["steps"] if s["event"] == "decide"}
    assert decide["a"] < 1000 and decide["c"] < 1000 and decide[COORD] == 1020


# ---------------------------------------------------------------- every seed, defaults, and the catalog
def test_three_stories_for_every_seed() -> None:
    for seed in range(200):
        summary = tpc.simulate(seed).summary
        t1, t2, t3 = summary["transactions"]
        assert (t1["decision"], t1["message_count"], t1["termination_rounds"]) == ("commit", 12, 0)
        assert t2["decision"] == "abort" and t2["votes"]["inventory"] == "no"
        assert t3["decision"] == "commit" and t3["crash"]["point"] == "after_commit_logged"
        assert t3["termination_rounds"] >= 5 and t3["lock_hold_max_ms"] > 1500 > 10 * t1["lock_hold_max_ms"]
        replies = [m for m in summary["messages"] if m["tx"] == "T3" and m["type"] == "DECISION_REPLY"]
        assert {m["decision"] for m in replies if m["send_ms"] < t3["crash"]["recover_ms"]} == {"unknown"}


def test_invariants_on_default_seeds() -> None:
    for seed in range(25):
        check_all(run_json(seed))


def test_catalog_story() -> None:
    seed, params = catalog_entry()
    data = run_json(seed, **params)
    check_all(data)
    assert data["params"] == params == {p.name: p.default for p in tpc.PARAMS}
    t1, t2, t3 = data["summary"]["transactions"]
    assert t1["decision"] == "commit" and t2["decision"] == "abort"
    recover_ms = t3["crash"]["recover_ms"]
    before = [m for m in _msgs(data, "T3") if m["type"] == "DECISION_REPLY" and m["send_ms"] < recover_ms]
    asks = [s for s in data["steps"] if s["event"] == "ask_peers" and s["t_ms"] < recover_ms]
    assert max(s["detail"]["round"] for s in asks) >= 5 and before and {m["decision"] for m in before} == {"unknown"}


# ---------------------------------------------------------------- the invariants as properties
NAMES = ["orders", "payments", "inventory", "shipping", "billing"]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, dict[str, Any]]:
    parts = draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=5, unique=True))
    lat_lo = draw(st.integers(1, 1000))
    lat_hi = draw(st.integers(lat_lo, 1000))
    prep_lo = draw(st.integers(0, 1000))
    prep_hi = draw(st.integers(prep_lo, 1000))
    lat_override = draw(st.one_of(st.none(), st.integers(1, 1000)))
    prep_override = draw(st.one_of(st.none(), st.integers(0, 1000)))
    lat = (lat_override, lat_override) if lat_override is not None else (lat_lo, lat_hi)
    prep = (prep_override, prep_override) if prep_override is not None else (prep_lo, prep_hi)
    bound = tpc.min_participant_timeout(lat, prep)
    timeout = draw(st.integers(max(1, bound + 1), max(1, bound + 1) + draw(st.sampled_from([0, 50, 2000]))))
    timeout = min(timeout, 10_000)
    txs, start = [], 0
    for i in range(draw(st.integers(1, 4))):
        start += draw(st.integers(0, 3000))
        tx: dict[str, Any] = {"name": f"T{i + 1}", "start_ms": min(start, 60_000)}
        no_voter = draw(st.one_of(st.none(), st.sampled_from(parts)))
        crash = draw(st.sampled_from([None, "before_decision"] + ([] if no_voter else ["after_commit_logged"])))
        if no_voter is not None:
            tx["no_voter"] = no_voter
        if crash is not None:
            rounds = draw(st.sampled_from([0, 1, 2, 5, tpc.MAX_ROUNDS]))
            tx.update(coordinator_crash=crash,
                      recover_after_ms=max(1, min(60_000, timeout * rounds + draw(st.integers(0, timeout - 1)))))
        txs.append(tx)
    params = {"participants": parts, "latency_ms": [lat_lo, lat_hi], "prepare_ms": [prep_lo, prep_hi],
              "participant_timeout_ms": timeout, "termination": draw(st.sampled_from(["cooperative", "wait"])),
              "latency_override_ms": lat_override, "prepare_override_ms": prep_override, "transactions": txs}
    return draw(st.integers(0, 2**32 - 1)), params


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_invariants_over_drawn_scenarios(scenario: tuple[int, dict[str, Any]]) -> None:
    seed, params = scenario
    check_all(run_json(seed, **params))


def test_checkers_reject_corrupted_traces() -> None:
    clean = run_json(0, **HAND)
    check_all(clean)

    def copy() -> dict[str, Any]:
        return json.loads(json.dumps(clean))

    def first(data: dict[str, Any], tx: str, event: str, node: str) -> dict[str, Any]:
        return next(s for s in data["steps"] if (s["tx"], s["event"], s["node"]) == (tx, event, node))

    cases = []
    data = copy()
    first(data, "T1", "apply", "orders")["detail"]["decision"] = "abort"
    cases.append((check_agreement, data))
    data = copy()
    next(m for m in data["summary"]["messages"] if m["tx"] == "T1" and m["type"] == "VOTE_YES")["deliver_ms"] = 25
    cases.append((check_validity, data))
    data = copy()
    data["summary"]["messages"].append({**data["summary"]["messages"][0], "id": len(data["summary"]["messages"]) + 1})
    cases.append((check_non_triviality, data))
    data = copy()
    s = first(data, "T1", "log_write", "orders")
    s["detail"]["record"] = "commit"
    cases.append((check_write_ahead, data))
    data = copy()
    s = first(data, "T3", "decide", "orders")
    data["steps"][s["seq"] - 1]["event"] = "timeout"
    cases.append((check_no_unilateral, data))
    data = copy()
    for s in data["steps"]:
        if s["tx"] == "T3" and 1200 <= s["t_ms"] < 1300:
            s["nodes"]["payments"]["locks_held"] = False
    cases.append((check_blocking, data))
    data = copy()
    data["steps"].pop()
    cases.append((check_termination, data))
    data = copy()
    next(m for m in data["summary"]["messages"] if m["dropped"])["dropped"] = False
    cases.append((check_messages, data))
    data = copy()
    next(m for m in data["summary"]["messages"] if m["type"] == "COMMIT" and m["tx"] == "T3")["decision"] = "abort"
    cases.append((check_decisions_from_messages, data))
    data = copy()
    data["summary"]["transactions"][2]["termination_rounds"] = 3
    cases.append((check_summary, data))
    data = copy()
    next(s for s in data["steps"] if len(s["in_flight"]) > 1)["in_flight"].pop()
    cases.append((check_structure, data))
    for checker, bad in cases:
        with pytest.raises((AssertionError, StopIteration, KeyError)):
            checker(bad)


# ---------------------------------------------------------------- determinism, isolation, parameters
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    code = ("import sys; from sims.two_phase_commit import simulate; "
            "sys.stdout.write(simulate(5, latency_ms=[3, 40], termination='wait').to_json())")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second == tpc.simulate(5, latency_ms=[3, 40], termination="wait").to_json().encode()
    assert tpc.simulate(6).to_json() != tpc.simulate(5).to_json()


def test_trace_contract_size_and_isolation() -> None:
    seed, params = catalog_entry()
    text = tpc.simulate(seed, **params).to_json()
    assert len(text) < 1_000_000
    data = json.loads(text)
    assert set(data) == {"schema_version", "id", "seed", "params", "steps", "summary"}
    assert data["id"] == tpc.ID == Path(tpc.__file__).stem.replace("_", "-")
    assert set(data["summary"]) == {"nodes", "messages", "transactions"}
    doc = tpc.__doc__
    sections = ["Model\n-----", "Invariants\n----------", "Leaves out\n----------", "Trace\n-----"]
    assert [doc.index(s) for s in sections] == sorted(doc.index(s) for s in sections)
    code = ("import sys, sims.two_phase_commit; "
            "print(sorted(m for m in ('manim', 'scipy', 'torch', 'networkx') if m in sys.modules))")
    assert _in_subprocess(code, "0").strip() == b"[]"


T3_CRASH = {"name": "T3", "start_ms": 800, "coordinator_crash": "after_commit_logged", "recover_after_ms": 1500}


@pytest.mark.parametrize("params, field", [
    ({"participants": ["a"]}, "participants"),
    ({"participants": ["a", "b", "c", "d", "e", "f"]}, "participants"),
    ({"participants": ["a", "a"]}, "participants"),
    ({"participants": ["coordinator", "b"]}, "participants"),
    ({"latency_ms": [0, 30]}, "latency_ms"),
    ({"latency_ms": [10, 1001]}, "latency_ms"),
    ({"latency_ms": [30, 10]}, "latency_ms"),
    ({"prepare_ms": [-1, 20]}, "prepare_ms"),
    ({"prepare_ms": [5, 1001]}, "prepare_ms"),
    ({"participant_timeout_ms": 0}, "participant_timeout_ms"),
    ({"participant_timeout_ms": 10_001}, "participant_timeout_ms"),
    ({"participant_timeout_ms": 95}, "participant_timeout_ms"),
    ({"latency_override_ms": 0}, "latency_override_ms"),
    ({"latency_override_ms": 1001}, "latency_override_ms"),
    ({"prepare_override_ms": -1}, "prepare_override_ms"),
    ({"prepare_override_ms": 1001}, "prepare_override_ms"),
    ({"latency_override_ms": 100}, "participant_timeout_ms"),
    ({"termination": "presumed"}, "termination"),
    ({"transactions": []}, "transactions"),
    ({"transactions": [{"name": "T1"}]}, "transactions"),
    ({"transactions": [{"name": "T1", "start_ms": 5}, {"name": "T1", "start_ms": 9}]}, "transactions"),
    ({"transactions": [{"name": "T1", "start_ms": 50}, {"name": "T2", "start_ms": 9}]}, "transactions"),
    ({"transactions": [{"name": "T1", "start_ms": 60_001}]}, "transactions"),
    ({"transactions": [{"name": "T1", "start_ms": 0, "coordinator_crash": "later", "recover_after_ms": 9}]},
     "transactions"),
    ({"transactions": [{"name": "T1", "start_ms": 0, "coordinator_crash": "before_decision"}]}, "transactions"),
    ({"transactions": [{"name": "T1", "start_ms": 0, "recover_after_ms": 9}]}, "transactions"),
    ({"transactions": [{**T3_CRASH, "no_voter": "orders"}]}, "transactions"),
    ({"transactions": [{"name": "T1", "start_ms": 0, "no_voter": "warehouse"}]}, "transactions"),
    ({"transactions": [{**T3_CRASH, "recover_after_ms": 4200}]}, "transactions"),
    ({"transactions": [{**T3_CRASH, "recover_after_ms": 60_001}]}, "transactions"),
    ({"coordinators": 2}, "coordinators"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        tpc.simulate(0, **params)
    assert err.value.field == field


def test_round_limit_edge_is_valid() -> None:
    txs = [{**T3_CRASH, "recover_after_ms": 200 * tpc.MAX_ROUNDS + 199}]
    data = run_json(1, transactions=txs)
    check_all(data)
    assert data["summary"]["transactions"][0]["termination_rounds"] >= tpc.MAX_ROUNDS - 1


def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py): what the
    coordinator does once every vote is yes (log commit first), what it decides after a NO vote, and what a
    prepared participant does while the coordinator is down."""
    ok_tx = next(x for x in trace["summary"]["transactions"] if x["decision"] == "commit" and not x["crash"])
    logged = next(st["t_ms"] for st in trace["steps"] if st["tx"] == ok_tx["name"] and st["event"] == "log_write"
                  and st["node"] == "coordinator" and st["detail"]["record"] == "commit")
    assert all(m["send_ms"] >= logged for m in trace["summary"]["messages"]
               if m["tx"] == ok_tx["name"] and m["type"] == "COMMIT")
    no_tx = next(x for x in trace["summary"]["transactions"] if "no" in x["votes"].values())
    decisions = {st["detail"]["decision"] for st in trace["steps"]
                 if st["tx"] == no_tx["name"] and st["event"] == "decide"}
    assert decisions == {"abort"}
    waits = "keep its locks and ask around" if trace["params"]["termination"] == "cooperative" else \
        "keep its locks and wait"
    return ["write commit to its own log", decisions.pop(), waits]


def test_checkpoint_answers_follow_the_catalog_story() -> None:
    seed, params = catalog_entry()
    data = json.loads(tpc.simulate(seed, **params).to_json())
    assert checkpoint_answers(data) == ["write commit to its own log", "abort", "keep its locks and ask around"]
