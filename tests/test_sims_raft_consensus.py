"""Tests for sims.raft_consensus: hand cases of the rules, Raft's safety properties checked from the
trace alone, liveness and the catalog story on the defaults, determinism and parameter errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sims
from sims import raft_consensus as raft
from sims.params import ParamError

ROOT = Path(__file__).resolve().parents[1]
CATALOG_SEED = 1
EVENTS = {"timer_expired", "become_candidate", "send", "deliver", "drop", "vote_granted", "vote_denied",
          "become_leader", "step_down", "client_write", "append", "truncate", "commit_advance", "crash", "recover"}
NODE_FIELDS = {"id", "alive", "role", "term", "voted_for", "log", "commit_index", "timer_start_ms",
               "timer_deadline_ms", "votes_received", "match_index"}
PAYLOAD_FIELDS = {"RequestVote": {"last_log_index", "last_log_term"}, "RequestVoteReply": {"vote_granted"},
                  "AppendEntries": {"prev_log_index", "prev_log_term", "entries", "leader_commit"},
                  "AppendEntriesReply": {"success", "match_index"}}


@lru_cache(maxsize=8)
def run_json(seed: int, params_json: str = "{}") -> dict[str, Any]:
    """The trace as a consumer sees it: parsed back from its JSON."""
    return json.loads(raft.simulate(seed, **json.loads(params_json)).to_json())


@lru_cache(maxsize=None)
def default_runs() -> tuple[list[dict[str, Any]], list[str]]:
    """Seeds 0-199 on the defaults, run once: each summary and each safety failure (shared by two tests)."""
    summaries, failures = [], []
    for seed in range(200):
        data = json.loads(raft.simulate(seed).to_json())
        try:
            check_safety(data)
        except AssertionError as exc:
            failures.append(f"seed {seed}: {exc}")
        summaries.append({k: v for k, v in data["summary"].items() if k != "messages"})
    return summaries, failures


# ---------------------------------------------------------------- independent checker (reads JSON only)
def _check_log_matching(nodes: list[dict[str, Any]]) -> None:
    logs = [n["log"] for n in nodes]
    for i in range(len(logs)):
        for j in range(i + 1, len(logs)):
            a, b = logs[i], logs[j]
            k = min(len(a), len(b))
            while k and a[k - 1][0] != b[k - 1][0]:
                k -= 1
            assert a[:k] == b[:k], f"Log Matching: S{i + 1} and S{j + 1} agree on (index {k}, term) but differ before"


def check_safety(data: dict[str, Any]) -> None:
    """Invariants 1-8 of the storyboard from the steps' states and the message list alone."""
    params, summary, steps = data["params"], data["summary"], data["steps"]
    n, sim_ms = params["n_nodes"], params["sim_ms"]
    quorum = n // 2 + 1
    lat_lo, lat_hi = params["latency_ms"]
    msgs = {m["id"]: m for m in summary["messages"]}
    leader_of_term: dict[int, int] = {}
    elected: list[tuple[int, int, list[list[Any]]]] = []
    committed: dict[int, tuple[list[Any], int, int]] = {}  # index -> (entry, committing term, t_ms)
    seen_committed: dict[int, list[Any]] = {}  # any node's entry at an index <= its commit_index
    votes: dict[tuple[int, int], int] = {}
    granted: set[tuple[int, int, int]] = set()  # delivered (voter, term, candidate)
    ended: dict[int, str] = {}
    prev: list[dict[str, Any]] | None = None
    prev_logs: list[Any] | None = None
    last_key = (-1, -1)
    for step in steps:
        nodes, event, who = step["nodes"], step["event"], step["node"]
        assert event in EVENTS
        assert (step["t_ms"], step["seq"]) > last_key
        last_key = (step["t_ms"], step["seq"])
        me = nodes[who - 1] if who else None
        if me is not None and event not in ("drop", "crash"):
            assert me["alive"], f"invariant 8: S{who} did {event} while crashed"
        for i, node in enumerate(nodes):
            assert node["id"] == i + 1
            if prev is not None:
                assert node["term"] >= prev[i]["term"], "invariant 6: a term went down"
            if node["voted_for"] is not None:
                assert votes.setdefault((node["id"], node["term"]), node["voted_for"]) == node["voted_for"], \
                    "invariant 6: two votes in one term"
            assert 0 <= node["commit_index"] <= len(node["log"]), "invariant 5: commit_index > len(log)"
            for index in range(1, node["commit_index"] + 1):
                entry = node["log"][index - 1]
                assert seen_committed.setdefault(index, entry) == entry, "State Machine Safety"
        if prev is not None:
            for a, b in zip(prev, nodes):
                if a["role"] == b["role"] == "leader" and a["term"] == b["term"]:
                    assert b["log"][: len(a["log"])] == a["log"], "Leader Append-Only"
        logs = [node["log"] for node in nodes]
        if logs != prev_logs:
            _check_log_matching(nodes)
            prev_logs = logs
        if event in ("send", "deliver", "drop"):
            msg = msgs[step["msg_id"]]
            if event == "send":
                assert (msg["src"], msg["send_ms"]) == (who, step["t_ms"])
            else:
                assert (msg["dst"], msg["deliver_ms"]) == (who, step["t_ms"]) and step["msg_id"] not in ended
                assert msg["dropped"] == (event == "drop")
                assert me["alive"] or event == "drop", "invariant 8: delivered to a crashed server"
                ended[step["msg_id"]] = event
                if event == "deliver" and msg["type"] == "RequestVoteReply" and msg["payload"]["vote_granted"]:
                    granted.add((msg["src"], msg["term"], msg["dst"]))
        elif event == "become_candidate":
            assert me["term"] == prev[who - 1]["term"] + 1, "invariant 6: candidate term != previous + 1"
            assert me["role"] == "candidate" and me["voted_for"] == who and me["votes_received"] == [who]
        elif event == "become_leader":
            term = me["term"]
            assert term not in leader_of_term, f"Election Safety: two leaders in term {term}"
            leader_of_term[term] = who
            voters = set(me["votes_received"])
            assert who in voters and len(voters) >= quorum, "invariant 7: leader without a majority"
            assert all((v, term, who) in granted for v in voters - {who}), "invariant 7: vote never granted"
            for index, (entry, _, _) in committed.items():
                assert me["log"][index - 1: index] == [entry], "Leader Completeness (later election)"
            elected.append((term, who, [list(e) for e in me["log"]]))
        elif event == "commit_advance" and me["role"] == "leader":
            target = me["commit_index"]
            assert target > prev[who - 1]["commit_index"]
            assert sum(m >= target for m in me["match_index"].values()) >= quorum, "invariant 7: no majority"
            assert me["log"][target - 1][0] == me["term"] == step["term"], "invariant 7: Figure 8 rule"
            for index in range(prev[who - 1]["commit_index"] + 1, target + 1):
                entry = me["log"][index - 1]
                assert committed.setdefault(index, (entry, me["term"], step["t_ms"]))[0] == entry
        elif event == "truncate":
            start, removed = step["detail"]["from_index"], step["detail"]["removed"]
            assert prev[who - 1]["log"][start - 1:] == removed and me["log"] == prev[who - 1]["log"][: start - 1]
            assert start > me["commit_index"], "invariant 5: truncated below commit_index"
            for offset, entry in enumerate(removed):
                assert committed.get(start + offset, (None,))[0] != entry, "invariant 5: removed a committed entry"
        prev = nodes
    for term, who, log in elected:  # Leader Completeness, by term
        for index, (entry, commit_term, _) in committed.items():
            if term > commit_term:
                assert log[index - 1: index] == [entry], f"Leader Completeness: term-{term} leader lacks {index}"
    for msg in msgs.values():
        assert lat_lo <= msg["deliver_ms"] - msg["send_ms"] <= lat_hi, "invariant 8: latency out of range"
        if msg["deliver_ms"] <= sim_ms:
            assert msg["id"] in ended, "message neither delivered nor dropped"
    assert [(x["term"], x["node"]) for x in summary["leaders"]] == list(leader_of_term.items())
    derived = [{"index": i, "term": e[0], "cmd": e[1], "committed_ms": t} for i, (e, _, t) in sorted(committed.items())]
    assert summary["commits"] == derived
    if steps:
        assert summary["final_logs"] == {str(node["id"]): node["log"] for node in steps[-1]["nodes"]}
    else:  # nothing happened before sim_ms (the first timeout fell after it): every log is still empty
        assert summary["final_logs"] == {str(i): [] for i in range(1, len(summary["final_logs"]) + 1)} != {}


# ---------------------------------------------------------------- hand cases (Figure 2 rules)
def _message(kind: str, src: int, dst: int, term: int, **payload: Any) -> dict[str, Any]:
    return {"id": -1, "type": kind, "src": src, "dst": dst, "term": term, "send_ms": 0, "deliver_ms": 0,
            "dropped": False, "payload": payload}


def _voter(term: int = 2, voted_for: int | None = None) -> tuple[raft.World, dict[str, Any]]:
    world = raft.new_world(0)
    node = world.node(1)
    node.update(term=term, voted_for=voted_for, log=[[1, "a"], [1, "b"], [2, "c"], [2, "d"]])
    return world, node


@pytest.mark.parametrize("last_term, last_index, granted", [(2, 3, False), (2, 4, True), (3, 1, True)])
def test_vote_rule_up_to_date_check(last_term: int, last_index: int, granted: bool) -> None:
    world, voter = _voter()
    reply = raft.handle_request_vote(world, voter, _message("RequestVote", 3, 1, 3, last_log_index=last_index,
                                                            last_log_term=last_term))
    assert reply["payload"] == {"vote_granted": granted} and reply["term"] == 3 and reply["dst"] == 3
    assert voter["term"] == 3 and voter["voted_for"] == (3 if granted else None)
    assert world.steps[-2]["event"] == ("vote_granted" if granted else "vote_denied")


def test_vote_rule_one_vote_per_term_and_stale_term() -> None:
    world, voter = _voter(term=3, voted_for=2)
    reply = raft.handle_request_vote(world, voter, _message("RequestVote", 4, 1, 3, last_log_index=9, last_log_term=3))
    assert reply["payload"]["vote_granted"] is False and voter["voted_for"] == 2
    assert world.steps[-2]["detail"] == {"candidate": 4, "reason": "already_voted"}
    world, voter = _voter(term=2)
    reply = raft.handle_request_vote(world, voter, _message("RequestVote", 4, 1, 1, last_log_index=9, last_log_term=9))
    assert reply["payload"]["vote_granted"] is False and reply["term"] == 2 and voter["voted_for"] is None


def test_consistency_check_and_truncation() -> None:
    world = raft.new_world(0)
    follower = world.node(2)
    follower.update(term=3, log=[[1, "p"], [1, "q"], [2, "r"]])
    reply = raft.handle_append_entries(world, follower, _message(
        "AppendEntries", 1, 2, 3, prev_log_index=3, prev_log_term=3, entries=[], leader_commit=0))
    assert reply["payload"] == {"success": False, "match_index": 0}
    assert [e[0] for e in follower["log"]] == [1, 1, 2]
    reply = raft.handle_append_entries(world, follower, _message(
        "AppendEntries", 1, 2, 3, prev_log_index=2, prev_log_term=1, entries=[[3, "a"]], leader_commit=0))
    assert reply["payload"] == {"success": True, "match_index": 3}
    assert follower["log"] == [[1, "p"], [1, "q"], [3, "a"]]
    events = [s["event"] for s in world.steps]
    assert events[-3:] == ["truncate", "append", "send"]
    assert world.steps[-3]["detail"] == {"from_index": 3, "removed": [[2, "r"]]}
    assert raft.merge_entries([[1, "p"], [1, "q"], [2, "r"]], 1, [[1, "q"]]) == (3, [])


@pytest.mark.parametrize("terms, expected", [([1, 1, 2, 3, 3, 3, 3], 5), ([1, 1, 2, 2, 2, 3, 3], 0)])
def test_commit_rule_current_term_only(terms: list[int], expected: int) -> None:
    log = [[t, f"c{i}"] for i, t in enumerate(terms, 1)]
    assert raft.commit_index_for(log, 3, [7, 7, 5, 4, 3], 0) == expected
    world = raft.new_world(0)
    leader = world.node(1)
    leader.update(role="leader", term=3, log=log, match_index=dict(zip(range(1, 6), [7, 7, 5, 4, 3])),
                  next_index={p: 8 for p in range(2, 6)})
    raft.advance_commit_index(world, leader)
    assert leader["commit_index"] == expected
    assert [c["index"] for c in world.commits] == list(range(1, expected + 1))


def test_majority_of_five_is_three() -> None:
    leader = run_json(CATALOG_SEED, json.dumps({"crashes": []}))["summary"]["leaders"][0]["node"]
    followers = [i for i in range(1, 6) if i != leader]
    two_down = [{"who": f, "at_ms": 350} for f in followers[:2]]
    data = run_json(CATALOG_SEED, json.dumps({"crashes": two_down}))
    check_safety(data)
    assert [c["cmd"] for c in data["summary"]["commits"]] == ["x=1", "y=2", "x=3"]
    three_down = [{"who": f, "at_ms": 550 + 50 * i} for i, f in enumerate(followers[:3])]
    data = run_json(CATALOG_SEED, json.dumps({"crashes": three_down}))
    check_safety(data)
    assert [c["cmd"] for c in data["summary"]["commits"]] == ["x=1", "y=2"]
    assert all(c["committed_ms"] < 650 for c in data["summary"]["commits"])
    assert [e[1] for e in data["summary"]["final_logs"][str(leader)]] == ["x=1", "y=2", "x=3"]


# ---------------------------------------------------------------- safety properties over many runs
def test_checker_rejects_corrupted_traces() -> None:
    data = json.loads(json.dumps(run_json(CATALOG_SEED)))
    step = next(s for s in data["steps"] if s["nodes"][0]["commit_index"] >= 2)
    step["nodes"][0]["log"][1] = [1, "evil"]
    with pytest.raises(AssertionError):
        check_safety(data)
    data = json.loads(json.dumps(run_json(CATALOG_SEED)))
    data["steps"][-1]["nodes"][2]["term"] = 0
    with pytest.raises(AssertionError):
        check_safety(data)


def test_safety_over_200_default_seeds() -> None:
    assert default_runs()[1] == []


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, dict[str, Any]]:
    """Every parameter that matters over its range: odd and even clusters (3-9 servers: a majority of
    (n + 1) // 2 is wrong only for an even n), timeouts, heartbeats, latencies, losses, crashes, run length."""
    n_nodes = draw(st.integers(3, 9))
    sim_ms = draw(st.integers(300, 2400))
    timeout_lo = draw(st.integers(40, 400))
    timeout = [timeout_lo, draw(st.integers(timeout_lo, timeout_lo + 400))]
    heartbeat = draw(st.integers(max(1, timeout_lo // 20), timeout_lo - 1))  # well under the timeout, as Raft asks
    lat_lo = draw(st.integers(1, 40))
    crashes = []
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, sim_ms))
        crashes.append({"who": draw(st.sampled_from(["leader", *range(1, n_nodes + 1)])), "at_ms": at,
                        "recover_ms": draw(st.one_of(st.none(), st.integers(at + 1, sim_ms + 200))),
                        "orphan_cmd": draw(st.sampled_from([None, "z=9"]))})
    writes = draw(st.lists(st.integers(0, sim_ms), max_size=6))
    params = {"n_nodes": n_nodes, "sim_ms": sim_ms, "election_timeout_ms": timeout, "heartbeat_ms": heartbeat,
              "latency_ms": [lat_lo, draw(st.integers(lat_lo, 60))], "drop_prob": draw(st.floats(0.0, 0.2)),
              "crashes": crashes, "client_writes": [[t, f"w{i}"] for i, t in enumerate(writes)],
              "client_retry_ms": draw(st.integers(1, 200))}
    return draw(st.integers(0, 2**32 - 1)), params


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_safety_under_drawn_latency_loss_and_crashes(scenario: tuple[int, dict[str, Any]]) -> None:
    seed, params = scenario
    check_safety(json.loads(raft.simulate(seed, **params).to_json()))


# ---------------------------------------------------------------- liveness and the catalog story
def test_liveness_on_defaults() -> None:
    fast_first, short_gap = 0, 0
    for summary in default_runs()[0]:
        first, later = summary["leaders"][0], [x for x in summary["leaders"] if x["elected_ms"] > 700]
        assert first["elected_ms"] <= 2 * 300, "a leader within two election timeouts"
        fast_first += first["elected_ms"] <= 400 and first["term"] == 1
        assert later and later[0]["term"] >= 2
        gap = later[0]["elected_ms"] - 700
        assert gap >= 100
        short_gap += gap <= 350
        assert [c["cmd"] for c in summary["commits"]] == ["x=1", "y=2", "x=3"]
        assert all(log == summary["final_logs"]["1"] for log in summary["final_logs"].values())
        old = str(first["node"])
        assert [e[1] for e in summary["final_logs"][old]] == ["x=1", "y=2", "x=3"]
    assert fast_first >= 190 and short_gap >= 180


def story_check(data: dict[str, Any]) -> None:
    """The storyboard's story check for the catalog seed."""
    summary, steps = data["summary"], data["steps"]
    first = summary["leaders"][0]
    assert first["term"] == 1 and first["elected_ms"] <= 400
    commits = {c["cmd"]: c for c in summary["commits"]}
    assert commits["x=1"]["committed_ms"] < 700 and commits["y=2"]["committed_ms"] < 700
    crash = [s for s in steps if s["event"] == "crash"]
    assert [(s["node"], s["t_ms"], s["detail"]["lost"]["role"]) for s in crash] == [(first["node"], 700, "leader")]
    orphan = [s for s in steps if s["event"] == "append" and s["node"] == first["node"] and s["t_ms"] == 700]
    assert orphan and orphan[0]["detail"]["entries"] == [[1, "z=9"]]
    new = [x for x in summary["leaders"] if x["elected_ms"] > 700]
    assert new[0]["term"] >= 2 and new[0]["elected_ms"] < 1150
    assert "x=3" in commits and commits["x=3"]["committed_ms"] > 1150
    truncates = [s for s in steps if s["event"] == "truncate" and s["node"] == first["node"]]
    assert [(s["detail"]["from_index"], s["detail"]["removed"]) for s in truncates] == [(3, [[1, "z=9"]])]
    assert truncates[0]["t_ms"] >= 1300
    assert all([e[1] for e in log] == ["x=1", "y=2", "x=3"] for log in summary["final_logs"].values())
    gap = [g for g in summary["leaderless"] if g[0] == 700]
    assert len(gap) == 1 and 100 <= gap[0][1] - 700 <= 350


def test_catalog_seed_story() -> None:
    data = run_json(CATALOG_SEED)
    story_check(data)
    check_safety(data)
    summary = data["summary"]
    assert summary["leaders"] == [{"term": 1, "node": 5, "elected_ms": 177}, {"term": 2, "node": 3, "elected_ms": 905}]
    assert summary["leaderless"] == [[0, 177], [700, 905]]
    candidacies = [s for s in data["steps"] if s["event"] == "become_candidate"]
    assert len(candidacies) == 2, "no split or contested vote: one candidate per election"


def test_trace_contract() -> None:
    data = run_json(CATALOG_SEED)
    assert {"schema_version", "id", "seed", "params", "steps", "summary"} == set(data)
    assert data["id"] == raft.ID == "raft-consensus" and data["seed"] == CATALOG_SEED
    assert data["params"] == {p.name: p.default for p in raft.PARAMS}
    assert set(data["summary"]) == {"messages", "leaders", "commits", "leaderless", "final_logs", "majority"}
    assert data["summary"]["majority"] == data["params"]["n_nodes"] // 2 + 1
    for step in data["steps"]:
        assert set(step) == {"t_ms", "seq", "event", "node", "term", "msg_id", "detail", "nodes", "in_flight"}
        assert all(set(node) == NODE_FIELDS for node in step["nodes"])
    for msg in data["summary"]["messages"]:
        assert set(msg) == {"id", "type", "src", "dst", "term", "send_ms", "deliver_ms", "dropped", "payload"}
        assert set(msg["payload"]) == PAYLOAD_FIELDS[msg["type"]]
    assert data["steps"][-1]["in_flight"] == sorted(m["id"] for m in data["summary"]["messages"]
                                                    if m["deliver_ms"] > data["params"]["sim_ms"])
    assert sims.get_simulator("raft-consensus") is raft


# ---------------------------------------------------------------- determinism, isolation, parameters
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    code = ("import sys; from sims.raft_consensus import simulate; "
            "sys.stdout.write(simulate(7, drop_prob=0.1, latency_ms=[3, 20]).to_json())")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second == raft.simulate(7, drop_prob=0.1, latency_ms=[3, 20]).to_json().encode()
    assert raft.simulate(8).to_json() != raft.simulate(7).to_json()


def test_import_does_not_pull_manim() -> None:
    code = "import sys, sims.raft_consensus; print('manim' in sys.modules)"
    assert _in_subprocess(code, "0").strip() == b"False"


@pytest.mark.parametrize("params, field", [
    ({"quorum": 3}, "quorum"),
    ({"heartbeat_ms": "50"}, "heartbeat_ms"),
    ({"drop_prob": True}, "drop_prob"),
    ({"crashes": {"who": 1}}, "crashes"),
    ({"n_nodes": 2}, "n_nodes"),
    ({"drop_prob": 0.9}, "drop_prob"),
    ({"sim_ms": 0}, "sim_ms"),
    ({"election_timeout_ms": [300, 150]}, "election_timeout_ms"),
    ({"election_timeout_ms": [150.0, 300]}, "election_timeout_ms"),
    ({"latency_ms": [5]}, "latency_ms"),
    ({"client_writes": [[400]]}, "client_writes"),
    ({"client_writes": [[-1, "x=1"]]}, "client_writes"),
    ({"crashes": [{"who": "boss", "at_ms": 1}]}, "crashes"),
    ({"crashes": [{"who": 1}]}, "crashes"),
    ({"crashes": [{"who": 1, "at_ms": 100, "recover_ms": 50}]}, "crashes"),
    ({"crashes": [{"who": 1, "at_ms": 100, "when": 5}]}, "crashes"),
    ({"heartbeat_ms": 150}, "heartbeat_ms"),
    ({"crashes": [{"who": 6, "at_ms": 100}]}, "crashes"),
    ({"client_writes": [[2000, "x=1"]]}, "client_writes"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        raft.simulate(0, **params)
    assert err.value.field == field


# --------------------------------------------------------------------------- the scene's checkpoints
def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py)."""
    n = trace["params"]["n_nodes"]
    crash = next(st["t_ms"] for st in trace["steps"] if st["event"] == "crash")
    next_leader = next(ld for ld in trace["summary"]["leaders"] if ld["elected_ms"] > crash)
    return [f"{n // 2 + 1} of {n}", f"S{next_leader['node']}"]
