"""Tests for sims.lamport_clock: the clock rules on their own, the storyboard's invariants checked from
the trace JSON alone, networkx as the independent happened-before oracle, the hand case with its exact
numbers, the catalog seed's story, determinism and parameter errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import lru_cache
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any, Callable

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.catalog import load_catalog
from sims import lamport_clock as lc
from sims.params import ParamError

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = {p.name: p.default for p in lc.PARAMS}
EPS = 1e-9
PROPERTY = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(min_value=0, max_value=2**32 - 1)

# the storyboard's hand case: P1 a b c, P2 d e f, P3 g h i j; real-time order a d g b h e i f c j
HAND_SCRIPT = [
    {"proc": 1, "kind": "local"}, {"proc": 2, "kind": "local"}, {"proc": 3, "kind": "local"},
    {"proc": 1, "kind": "send", "peer": 2}, {"proc": 3, "kind": "local"}, {"proc": 2, "kind": "recv", "msg": 1},
    {"proc": 3, "kind": "local"}, {"proc": 2, "kind": "send", "peer": 3}, {"proc": 1, "kind": "local"},
    {"proc": 3, "kind": "recv", "msg": 2},
]
HAND_NAMES = {"a": "P1.1", "b": "P1.2", "c": "P1.3", "d": "P2.1", "e": "P2.2", "f": "P2.3",
              "g": "P3.1", "h": "P3.2", "i": "P3.3", "j": "P3.4"}


def run(seed: int, params: dict[str, Any]) -> dict[str, Any]:
    return json.loads(lc.simulate(seed, **params).to_json())


@lru_cache(maxsize=None)
def run_cached(seed: int, params_json: str = "{}") -> dict[str, Any]:
    return run(seed, json.loads(params_json))


# ---------------------------------------------------------------- independent helpers (trace JSON only)
def direct_preds(d: dict[str, Any]) -> dict[str, list[str]]:
    """Each event's immediate predecessors: its process predecessor and, for a receive, the send."""
    send_of = {e["msg"]: e["id"] for e in d["events"] if e["kind"] == "send"}
    preds: dict[str, list[str]] = {}
    for e in d["events"]:
        preds[e["id"]] = ([f"P{e['proc']}.{e['idx'] - 1}"] if e["idx"] > 1 else []) + \
                         ([send_of[e["msg"]]] if e["kind"] == "recv" else [])
    return preds


def causal_past(d: dict[str, Any]) -> dict[str, frozenset[str]]:
    """Strict ancestors of every event over process-order and message edges (stdlib topological sort)."""
    preds = direct_preds(d)
    past: dict[str, frozenset[str]] = {}
    for eid in TopologicalSorter(preds).static_order():
        past[eid] = frozenset().union(*({q} | past[q] for q in preds.get(eid, [])))
    return past


def longest_into(d: dict[str, Any]) -> dict[str, int]:
    preds = direct_preds(d)
    depth: dict[str, int] = {}
    for eid in TopologicalSorter(preds).static_order():
        depth[eid] = 1 + max((depth[q] for q in preds.get(eid, [])), default=0)
    return depth


# ---------------------------------------------------------------- invariant checkers
def check_structure(d: dict[str, Any]) -> None:
    events, n = d["events"], d["params"]["n_procs"]
    assert d["processes"] == [f"P{i}" for i in range(1, n + 1)]
    keys = [(e["real_t"], e["proc"], e["idx"]) for e in events]
    assert keys == sorted(keys), "events not sorted by (real_t, proc, idx)"
    for proc in range(1, n + 1):
        mine = [e for e in events if e["proc"] == proc]
        assert [e["idx"] for e in mine] == list(range(1, len(mine) + 1))
        assert all(e["id"] == f"P{proc}.{e['idx']}" for e in mine)
    skews = d["params"]["skews_s"]
    for e in events:
        assert e["kind"] in lc.KINDS and e["phase"] in lc.PHASES
        assert e["phys"] == pytest.approx(e["real_t"] + skews[e["proc"] - 1], abs=EPS)
        assert (e["msg"] is None) == (e["kind"] == "local") == (e["peer"] is None)
        assert (e["msg_ts"] is None) == (e["kind"] != "recv")


def check_lamport_rules(d: dict[str, Any]) -> None:
    """Invariant 1."""
    last: dict[int, int] = {}
    for e in d["events"]:
        assert e["lamport_prev"] == last.get(e["proc"], 0), f"{e['id']}: lamport_prev"
        if e["kind"] == "recv":
            assert e["lamport"] == max(e["lamport_prev"], e["msg_ts"]) + 1, f"{e['id']}: receive rule"
        else:
            assert e["lamport"] == e["lamport_prev"] + 1, f"{e['id']}: tick rule"
        last[e["proc"]] = e["lamport"]


def check_clock_condition(d: dict[str, Any]) -> None:
    """Invariant 2."""
    lamport = {e["id"]: e["lamport"] for e in d["events"]}
    for eid, past in causal_past(d).items():
        assert all(lamport[a] < lamport[eid] for a in past), f"{eid}: a cause has a stamp >= its effect"


def check_exact_meaning(d: dict[str, Any]) -> None:
    """Invariant 3, and the chain highlight."""
    depth, events = longest_into(d), d["events"]
    by_id = {e["id"]: e for e in events}
    assert all(e["lamport"] == depth[e["id"]] for e in events), "lamport != longest chain length"
    chain = d["highlight"]["chain"]
    if not events:
        assert chain == []
        return
    top = max(e["lamport"] for e in events)
    end = min((e for e in events if e["lamport"] == top), key=lambda e: (e["real_t"], e["proc"]))
    assert chain and chain[-1] == end["id"]
    assert [by_id[c]["lamport"] for c in chain] == list(range(1, len(chain) + 1)) and len(chain) == top
    preds = direct_preds(d)
    for prev, cur in zip(chain, chain[1:]):
        assert prev in preds[cur], f"chain step {prev} -> {cur} is not an edge"
        sender = [q for q in preds[cur] if by_id[q]["proc"] != by_id[cur]["proc"]]
        if sender and by_id[sender[0]]["lamport"] == by_id[cur]["lamport"] - 1:
            assert prev == sender[0], "the chain prefers a receive's sender"


def check_vectors(d: dict[str, Any]) -> None:
    """Invariant 4: vector(e)[p] counts p's events in e's causal past (e included); <= iff happened-before."""
    past = causal_past(d)
    events = d["events"]
    n = d["params"]["n_procs"]
    by_id = {e["id"]: e for e in events}
    for e in events:
        upto = past[e["id"]] | {e["id"]}
        assert e["vector"] == [sum(by_id[x]["proc"] == p for x in upto) for p in range(1, n + 1)], e["id"]
    for a in events:
        for b in events:
            leq = all(x <= y for x, y in zip(a["vector"], b["vector"])) and a["vector"] != b["vector"]
            assert leq == (a["id"] in past[b["id"]]), f"vector order vs happened-before: {a['id']}, {b['id']}"


def check_total_order(d: dict[str, Any]) -> None:
    """Invariant 5."""
    events = d["events"]
    keys = [(e["lamport"], e["proc"]) for e in events]
    assert len(set(keys)) == len(keys), "(lamport, proc) tie"
    order = d["total_order"]
    assert order == [e["id"] for e in sorted(events, key=lambda e: (e["lamport"], e["proc"]))]
    position = {eid: i for i, eid in enumerate(order)}
    for eid, past in causal_past(d).items():
        assert all(position[a] < position[eid] for a in past), "total order is not a linear extension"


def check_messages(d: dict[str, Any]) -> None:
    """Invariant 6."""
    p = d["params"]
    by_id = {e["id"]: e for e in d["events"]}
    sends = [e for e in d["events"] if e["kind"] == "send"]
    recvs = [e for e in d["events"] if e["kind"] == "recv"]
    msgs = d["messages"]
    assert [m["id"] for m in msgs] == list(range(1, len(msgs) + 1))
    assert sorted(e["msg"] for e in sends) == sorted(e["msg"] for e in recvs) == [m["id"] for m in msgs]
    for m in msgs:
        send, recv = by_id[m["send_event"]], by_id[m["recv_event"]]
        assert send["kind"] == "send" and recv["kind"] == "recv" and send["msg"] == recv["msg"] == m["id"]
        assert (f"P{send['proc']}", f"P{recv['proc']}") == (m["src"], m["dst"])
        assert send["peer"] == recv["proc"] and recv["peer"] == send["proc"] != recv["proc"]
        assert m["send_t"] == send["real_t"] and m["recv_t"] == recv["real_t"] and m["recv_t"] > m["send_t"]
        assert recv["msg_ts"] == send["lamport"] == m["ts"] and m["vector"] == send["vector"]
        if not p["script"]:
            delay = m["recv_t"] - m["send_t"]
            assert p["min_delay_s"] - EPS <= delay <= p["max_delay_s"] + EPS


def check_highlights(d: dict[str, Any]) -> None:
    """Invariant 7, with the storyboard's choice rules recomputed by brute force."""
    events, past = d["events"], causal_past(d)
    by_id = {e["id"]: e for e in events}

    def concurrent(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return a["id"] not in past[b["id"]] and b["id"] not in past[a["id"]] and a["id"] != b["id"]

    ordered = [(a, b) for i, a in enumerate(events) for b in events[i + 1:]
               if a["proc"] != b["proc"] and a["lamport"] != b["lamport"]]
    stats = {"ordered_pairs": len(ordered), "concurrent_but_ordered": sum(concurrent(a, b) for a, b in ordered)}
    assert d["stats"] == stats
    candidates = [(a, b) for a in events for b in events if a["lamport"] < b["lamport"] and concurrent(a, b)]
    pair = d["highlight"]["concurrent_pair"]
    if not candidates:
        assert pair is None
    else:
        a, b = by_id[pair[0]], by_id[pair[1]]
        assert a["lamport"] < b["lamport"] and concurrent(a, b)
        best = min(candidates, key=lambda ab: (ab[0]["lamport"] - ab[1]["lamport"], ab[0]["real_t"], ab[0]["proc"],
                                               ab[1]["real_t"], ab[1]["proc"]))
        assert pair == [best[0]["id"], best[1]["id"]]
    flipped = [m for m in d["messages"] if by_id[m["recv_event"]]["phys"] < by_id[m["send_event"]]["phys"]]
    skew = d["highlight"]["skew_pair"]
    if not flipped:
        assert skew is None
    else:
        request = [m for m in flipped if m["label"] == "request"]
        chosen = request[0] if request else flipped[0]
        assert skew == [chosen["send_event"], chosen["recv_event"]]
        assert by_id[skew[1]]["phys"] < by_id[skew[0]]["phys"]


def check_generation(d: dict[str, Any]) -> None:
    """Invariant 8 and the three-phase layout of a generated run."""
    p = d["params"]
    if p["script"]:
        assert all(e["phase"] == "script" for e in d["events"])
        return
    events, n, slot = d["events"], p["n_procs"], p["slot_s"]
    by_id = {e["id"]: e for e in events}
    past = causal_past(d)
    assert any(a["lamport"] != b["lamport"] and a["id"] not in past[b["id"]] and b["id"] not in past[a["id"]]
               for a in events for b in events), "no concurrent pair with different stamps"
    if p["skews_s"][0] - p["skews_s"][1] > p["max_delay_s"]:
        assert d["highlight"]["skew_pair"] is not None
        request = next(m for m in d["messages"] if m["label"] == "request")
        assert d["highlight"]["skew_pair"] == [request["send_event"], request["recv_event"]]
    independent = [e for e in events if e["phase"] == "independent"]
    per_proc = [sum(e["proc"] == q for e in independent) for q in range(1, n + 1)]
    assert all(c in (1, 2) for c in per_proc) and 2 in per_proc
    assert all(e["kind"] == "local" and e["idx"] <= 2 for e in independent)
    labels = [m["label"] for m in d["messages"]]
    assert labels[:2] == ["request", "reply"] and all(x is None for x in labels[2:])
    req, rep = d["messages"][0], d["messages"][1]
    assert (req["src"], req["dst"], rep["src"], rep["dst"]) == ("P1", "P2", "P2", "P1")
    between = [e for e in events if e["proc"] == 2 and
               by_id[req["recv_event"]]["idx"] < e["idx"] < by_id[rep["send_event"]]["idx"]]
    assert [e["kind"] for e in between] == ["local"] and between[0]["phase"] == "request"
    actions = [e for e in events if e["kind"] != "recv"]
    assert sum(e["phase"] == "random" for e in actions) == p["n_random_events"]
    for e in actions:
        k = e["real_t"] / slot
        assert abs(k - round(k)) <= 1e-9 * max(1.0, k), f"{e['id']} is not on a slot"
    expected = len(independent) + 5 + p["n_random_events"] + (len(d["messages"]) - 2)
    assert len(events) == expected


def check_steps_and_summary(d: dict[str, Any]) -> None:
    events, steps, n = d["events"], d["steps"], d["params"]["n_procs"]
    assert len(steps) == len(events)
    lamport, vectors, flying = [0] * n, [[0] * n for _ in range(n)], set()
    for e, s in zip(events, steps):
        lamport[e["proc"] - 1], vectors[e["proc"] - 1] = e["lamport"], e["vector"]
        if e["kind"] == "send":
            flying.add(e["msg"])
        elif e["kind"] == "recv":
            flying.discard(e["msg"])
        assert (s["t"], s["event"], s["event_id"], s["proc"], s["phase"]) == \
               (e["real_t"], e["kind"], e["id"], e["proc"], e["phase"])
        assert s["lamport"] == lamport and s["vectors"] == vectors and s["in_flight"] == sorted(flying)
    by_id = {e["id"]: e for e in events}
    summ, hl = d["summary"], d["highlight"]
    assert summ["n_events"] == len(events) and summ["n_messages"] == len(d["messages"])
    assert summ["max_lamport"] == max((e["lamport"] for e in events), default=0) == summ["chain_length"]
    assert {k: summ[k] for k in d["stats"]} == d["stats"]
    pair, skew = hl["concurrent_pair"], hl["skew_pair"]
    assert summ["concurrent_gap"] == (by_id[pair[1]]["lamport"] - by_id[pair[0]]["lamport"] if pair else None)
    assert summ["skew_reversal_s"] == (by_id[skew[0]]["phys"] - by_id[skew[1]]["phys"] if skew else None)
    labelled = {m["label"]: m["id"] for m in d["messages"] if m["label"]}
    assert (summ["request_msg"], summ["reply_msg"]) == (labelled.get("request"), labelled.get("reply"))
    if skew is None:
        assert summ["skew_msg"] is summ["skew_gap_s"] is summ["skew_delay_s"] is None
    else:
        msg = d["messages"][summ["skew_msg"] - 1]
        assert [msg["send_event"], msg["recv_event"]] == skew
        skews = d["params"]["skews_s"]
        assert summ["skew_gap_s"] == skews[by_id[skew[0]]["proc"] - 1] - skews[by_id[skew[1]]["proc"] - 1]
        assert summ["skew_delay_s"] == msg["recv_t"] - msg["send_t"]
        # the receive reads an earlier wall clock because the receiver lags by more than the delay
        assert summ["skew_gap_s"] > summ["skew_delay_s"] > 0


INVARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "structure": check_structure,
    "1 lamport rules": check_lamport_rules,
    "2 clock condition": check_clock_condition,
    "3 exact meaning": check_exact_meaning,
    "4 vectors": check_vectors,
    "5 total order": check_total_order,
    "6 messages": check_messages,
    "7 highlights": check_highlights,
    "8 generation": check_generation,
    "steps and summary": check_steps_and_summary,
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
def generated_params(draw: st.DrawFn) -> dict[str, Any]:
    """Every parameter over its declared range; sometimes delays equal to the slot (same-instant ties)."""
    n = draw(st.integers(2, 8))
    lo = draw(st.sampled_from([0.01, 10.0]) | st.floats(0.01, 10.0))
    hi = draw(st.sampled_from([lo, 10.0]) | st.floats(lo, 10.0))
    slot = draw(st.sampled_from([0.05, 10.0]) | st.floats(0.05, 10.0))
    if draw(st.integers(0, 9)) == 0:
        lo = hi = slot = draw(st.sampled_from([0.25, 0.5, 1.0]))
    skews = draw(st.lists(st.sampled_from([-60.0, 0.0, 60.0]) | st.floats(-60.0, 60.0), min_size=n, max_size=n))
    if draw(st.booleans()) and hi < 50:  # P1 leads P2 by more than the longest delay
        skews[1] = draw(st.floats(-60.0, 60.0 - hi - 0.01))
        skews[0] = draw(st.floats(skews[1] + hi + 0.001, 60.0))
    return {"n_procs": n, "skews_s": skews, "min_delay_s": lo, "max_delay_s": hi, "slot_s": slot,
            "n_random_events": draw(st.integers(0, 40)),
            "p_send": draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0))}


@st.composite
def scripts(draw: st.DrawFn) -> dict[str, Any]:
    """A valid random script: receives may overtake, every message is received by the end."""
    n = draw(st.integers(2, 8))
    script: list[dict[str, Any]] = []
    pending: list[tuple[int, int]] = []  # (message id, destination)
    sent = 0
    for _ in range(draw(st.integers(0, 40))):
        choice = draw(st.sampled_from(["local", "send", "recv"] if pending else ["local", "send"]))
        if choice == "recv":
            msg, dst = pending.pop(draw(st.integers(0, len(pending) - 1)))
            script.append({"proc": dst, "kind": "recv", "msg": msg})
            continue
        proc = draw(st.integers(1, n))
        if choice == "local":
            script.append({"proc": proc, "kind": "local"})
        else:
            peer = draw(st.sampled_from([q for q in range(1, n + 1) if q != proc]))
            sent += 1
            pending.append((sent, peer))
            script.append({"proc": proc, "kind": "send", "peer": peer})
    script += [{"proc": dst, "kind": "recv", "msg": msg} for msg, dst in pending]
    skews = draw(st.lists(st.floats(-60.0, 60.0), min_size=n, max_size=n))
    return {"n_procs": n, "skews_s": skews, "script": script, "slot_s": draw(st.floats(0.05, 10.0))}


any_params = st.one_of(st.just({}), generated_params(), scripts())


# ---------------------------------------------------------------- invariants over drawn runs
@PROPERTY
@given(seed=seeds, params=any_params)
def test_invariants_hold(seed: int, params: dict[str, Any]) -> None:
    check_all(run(seed, params), f"seed={seed} params={params}")


@pytest.mark.parametrize("seed", [0, 1, 7, 2024])
def test_invariants_on_defaults(seed: int) -> None:
    check_all(run_cached(seed))


def _corrupt(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    d = json.loads(json.dumps(run_cached(7)))
    mutate(d)
    return d


def _recv(d: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in d["events"] if e["kind"] == "recv" and e["msg_ts"] >= e["lamport_prev"])


def _swap_total_order(d: dict[str, Any]) -> None:
    d["total_order"][0], d["total_order"][-1] = d["total_order"][-1], d["total_order"][0]


CORRUPTIONS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("1 lamport rules", lambda d: _recv(d).update(lamport=_recv(d)["lamport"] + 1)),
    ("1 lamport rules", lambda d: d["events"][0].update(lamport_prev=1)),
    ("2 clock condition", lambda d: d["events"][-1].update(lamport=0)),
    ("3 exact meaning", lambda d: d["highlight"]["chain"].pop(1)),
    ("3 exact meaning", lambda d: [e.update(lamport=e["lamport"] + 1) for e in d["events"]]),
    ("4 vectors", lambda d: d["events"][-1]["vector"].__setitem__(0, 0)),
    ("5 total order", _swap_total_order),
    ("6 messages", lambda d: d["messages"][0].update(ts=d["messages"][0]["ts"] + 1)),
    ("6 messages", lambda d: d["messages"][0].update(recv_t=d["messages"][0]["send_t"])),
    ("7 highlights", lambda d: d["stats"].update(concurrent_but_ordered=d["stats"]["concurrent_but_ordered"] - 1)),
    ("7 highlights", lambda d: d["highlight"].update(concurrent_pair=d["highlight"]["chain"][:2])),
    ("7 highlights", lambda d: d["highlight"].update(skew_pair=None)),
    ("8 generation", lambda d: d["params"].update(n_random_events=d["params"]["n_random_events"] + 1)),
    ("steps and summary", lambda d: d["steps"][3]["lamport"].__setitem__(0, 99)),
    ("steps and summary", lambda d: d["summary"].update(skew_reversal_s=0.0)),
]


@pytest.mark.parametrize("label, mutate", CORRUPTIONS)
def test_checkers_reject_corrupted_traces(label: str, mutate: Callable[[dict[str, Any]], None]) -> None:
    check_all(run_cached(7))
    with pytest.raises(AssertionError):
        INVARIANTS[label](_corrupt(mutate))


@pytest.mark.parametrize("bug", ["no_plus_one", "ignore_stamp", "vector_no_merge"])
def test_planted_rule_bugs_are_caught(bug: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = lc.tick_recv

    def buggy(clock: lc.ProcClock, proc: int, msg_ts: int, msg_vector: list[int]) -> lc.ProcClock:
        good = real(clock, proc, msg_ts, msg_vector)
        if bug == "no_plus_one":
            return good._replace(lamport=max(clock.lamport, msg_ts))
        if bug == "ignore_stamp":
            return good._replace(lamport=clock.lamport + 1)
        return lc.tick_local(clock, proc)

    monkeypatch.setattr(lc, "tick_recv", buggy)
    caught = 0
    for seed in range(20):
        try:
            check_all(run(seed, {}))
        except AssertionError:
            caught += 1
    assert caught >= 15


# ---------------------------------------------------------------- networkx oracle
def nx_oracle(d: dict[str, Any]) -> tuple[dict[str, int], dict[str, list[int]], dict[str, set[str]]]:
    """Longest chain length, vector and ancestors of every event, from a networkx DiGraph."""
    g = nx.DiGraph()
    g.add_nodes_from(e["id"] for e in d["events"])
    for e in d["events"]:
        if e["idx"] > 1:
            g.add_edge(f"P{e['proc']}.{e['idx'] - 1}", e["id"])
    for m in d["messages"]:
        g.add_edge(m["send_event"], m["recv_event"])
    assert nx.is_directed_acyclic_graph(g)
    longest: dict[str, int] = {}
    for node in nx.topological_sort(g):
        longest[node] = 1 + max((longest[q] for q in g.predecessors(node)), default=0)
    n = d["params"]["n_procs"]
    ancestors = {node: nx.ancestors(g, node) for node in g}
    vectors = {node: [sum(1 for x in ancestors[node] | {node} if x.startswith(f"P{p}.")) for p in range(1, n + 1)]
               for node in g}
    return longest, vectors, ancestors


def assert_matches_networkx(d: dict[str, Any]) -> None:
    longest, vectors, ancestors = nx_oracle(d)
    for e in d["events"]:
        assert e["lamport"] == longest[e["id"]], e["id"]
        assert e["vector"] == vectors[e["id"]], e["id"]
    for a in d["events"]:
        for b in d["events"]:
            before = a["id"] in ancestors[b["id"]]
            assert before == (all(x <= y for x, y in zip(a["vector"], b["vector"])) and a["vector"] != b["vector"])
            if before:
                assert a["lamport"] < b["lamport"]


@PROPERTY
@given(seed=seeds, params=any_params)
def test_networkx_oracle(seed: int, params: dict[str, Any]) -> None:
    assert_matches_networkx(run(seed, params))


# ---------------------------------------------------------------- clock rules on their own
def test_tick_local_and_send() -> None:
    clock = lc.new_clock(3)
    assert clock == lc.ProcClock(0, (0, 0, 0))
    clock = lc.tick_local(clock, 1)
    assert clock == lc.ProcClock(1, (0, 1, 0))
    assert lc.tick_send(clock, 1) == lc.ProcClock(2, (0, 2, 0))


@pytest.mark.parametrize("mine, stamp, expected", [(3, 7, 8), (7, 3, 8), (5, 5, 6), (0, 0, 1)])
def test_tick_recv_jumps_past_the_stamp(mine: int, stamp: int, expected: int) -> None:
    clock = lc.tick_recv(lc.ProcClock(mine, (4, 1, 0)), 1, stamp, [2, 3, 5])
    assert clock == lc.ProcClock(expected, (4, 4, 5))


def test_happened_before_reads_the_later_vector() -> None:
    a = {"id": "P1.2", "proc": 1, "idx": 2, "vector": [2, 0]}
    b = {"id": "P2.2", "proc": 2, "idx": 2, "vector": [2, 2]}
    c = {"id": "P2.1", "proc": 2, "idx": 1, "vector": [0, 1]}
    assert lc.happened_before(a, b) and lc.happened_before(c, b)
    assert not lc.happened_before(b, a) and not lc.happened_before(a, c) and not lc.happened_before(c, a)
    assert not lc.happened_before(a, a)


def test_longest_chain_prefers_the_sender_on_a_tie() -> None:
    # P1: send (1); P2: local (1), receive (2): both predecessors have stamp 1
    d = run(0, {"n_procs": 2, "skews_s": [0.0, 0.0], "script": [
        {"proc": 1, "kind": "send", "peer": 2}, {"proc": 2, "kind": "local"}, {"proc": 2, "kind": "recv", "msg": 1}]})
    assert d["highlight"]["chain"] == ["P1.1", "P2.2"]


def test_skew_pair_prefers_the_request_then_the_first_message() -> None:
    events = [{"id": i, "phys": phys} for i, phys in [("s1", 5.0), ("r1", 4.0), ("s2", 3.0), ("r2", 2.0)]]
    msgs = [{"id": 1, "label": None, "send_event": "s1", "recv_event": "r1"},
            {"id": 2, "label": "request", "send_event": "s2", "recv_event": "r2"}]
    assert lc.find_skew_pair(events, msgs) == ["s2", "r2"]
    msgs[1]["label"] = None
    assert lc.find_skew_pair(events, msgs) == ["s1", "r1"]
    events[1]["phys"] = 6.0
    assert lc.find_skew_pair(events, msgs) == ["s2", "r2"]
    events[3]["phys"] = 3.5
    assert lc.find_skew_pair(events, msgs) is None


def test_generate_plan_phases() -> None:
    import numpy as np

    p = {**DEFAULTS, "n_random_events": 6, "p_send": 1.0}
    actions, messages = lc.generate_plan(np.random.default_rng(3), p)
    assert [m["label"] for m in messages] == ["request", "reply", None, None, None, None, None, None]
    assert sum(a["phase"] == "random" and a["kind"] == "send" for a in actions) == 6
    request = messages[0]
    p2_local = next(a for a in actions if a["phase"] == "request" and a["kind"] == "local")
    assert p2_local["proc"] == 2 and p2_local["real_t"] > request["recv_t"]
    assert p2_local["real_t"] - 0.5 <= request["recv_t"]


def test_same_instant_receive_comes_before_the_action() -> None:
    # delays equal to the slot: a receive lands exactly on a slot where its process also acts
    for seed in range(30):
        d = run(seed, {"min_delay_s": 0.5, "max_delay_s": 0.5, "n_random_events": 12})
        check_all(d)
        for a, b in zip(d["events"], d["events"][1:]):
            if (a["real_t"], a["proc"]) == (b["real_t"], b["proc"]):
                assert a["kind"] == "recv" and (b["kind"] != "recv" or a["msg"] < b["msg"])


# ---------------------------------------------------------------- the storyboard's hand case
def test_hand_case_exact_numbers() -> None:
    d = run(0, {"script": HAND_SCRIPT})
    check_all(d)
    assert_matches_networkx(d)
    ev = {name: next(e for e in d["events"] if e["id"] == eid) for name, eid in HAND_NAMES.items()}
    assert [e["id"] for e in d["events"]] == [HAND_NAMES[c] for c in "adgbheifcj"]
    assert {k: e["lamport"] for k, e in ev.items()} == {"a": 1, "b": 2, "c": 3, "d": 1, "e": 3, "f": 4,
                                                       "g": 1, "h": 2, "i": 3, "j": 5}
    assert {k: e["vector"] for k, e in ev.items()} == {
        "a": [1, 0, 0], "b": [2, 0, 0], "c": [3, 0, 0], "d": [0, 1, 0], "e": [2, 2, 0], "f": [2, 3, 0],
        "g": [0, 0, 1], "h": [0, 0, 2], "i": [0, 0, 3], "j": [2, 3, 4]}
    assert d["total_order"] == [HAND_NAMES[c] for c in "adgbhceifj"]
    past = causal_past(d)
    for x, y in [("h", "e"), ("c", "f"), ("c", "j")]:
        a, b = HAND_NAMES[x], HAND_NAMES[y]
        assert ev[x]["lamport"] < ev[y]["lamport"] and a not in past[b] and b not in past[a]
    assert d["stats"] == {"ordered_pairs": 26, "concurrent_but_ordered": 17}
    assert d["highlight"]["concurrent_pair"] == [HAND_NAMES["g"], HAND_NAMES["f"]]
    assert d["highlight"]["chain"] == [HAND_NAMES[c] for c in "abefj"]
    assert [e["phase"] for e in d["events"]] == ["script"] * 10
    assert [m["label"] for m in d["messages"]] == [None, None]
    assert d["summary"]["request_msg"] is None


def test_published_clock_condition_and_its_converse() -> None:
    """Lamport 1978: a -> b implies C(a) < C(b), and the converse fails (the hand case shows it)."""
    d = run(0, {"script": HAND_SCRIPT})
    past = causal_past(d)
    lam = {e["id"]: e["lamport"] for e in d["events"]}
    assert all(lam[a] < lam[b] for b, ps in past.items() for a in ps)
    assert any(lam[a] < lam[b] and a not in past[b] for a in lam for b in lam)


# ---------------------------------------------------------------- defaults and the catalog seed
def test_catalog_seed_story() -> None:
    entry = load_catalog().get(lc.ID)
    d = run(entry.seed, dict(entry.params))
    check_all(d)
    assert d["params"] == DEFAULTS, "catalog params = PARAMS defaults"
    by_id = {e["id"]: e for e in d["events"]}
    request = next(m for m in d["messages"] if m["label"] == "request")
    skew = d["highlight"]["skew_pair"]
    assert skew == [request["send_event"], request["recv_event"]]  # hook: received "before" it was sent
    assert by_id[skew[1]]["phys"] < by_id[skew[0]]["phys"] and d["summary"]["skew_reversal_s"] > 0
    assert 13 <= len(d["events"]) <= 19
    chain = d["highlight"]["chain"]
    assert len({by_id[c]["proc"] for c in chain}) >= 2, "the chain crosses a message"
    a, b = (by_id[x] for x in d["highlight"]["concurrent_pair"])
    assert a["lamport"] < b["lamport"] and d["summary"]["concurrent_gap"] >= 2
    assert 0 < d["stats"]["concurrent_but_ordered"] < d["stats"]["ordered_pairs"]
    stamps = [e["lamport"] for e in d["events"]]
    assert len(set(stamps)) < len(stamps), "tied stamps for the total-order beat"


def test_default_seeds_story_holds() -> None:
    """Storyboard: 13-19 events on the defaults, and the request always reads as received before sent."""
    sizes = set()
    for seed in range(300):
        tr = lc.simulate(seed)
        events = tr.extra["events"]
        sizes.add(len(events))
        request = tr.extra["messages"][0]
        assert request["label"] == "request"
        assert tr.extra["highlight"]["skew_pair"] == [request["send_event"], request["recv_event"]]
        assert tr.summary["concurrent_gap"] >= 1
    assert min(sizes) >= 13 and max(sizes) <= 19 and len(sizes) >= 5


def test_trace_contract() -> None:
    d = run_cached(7)
    assert {"schema_version", "id", "seed", "params", "steps", "summary", "processes", "events", "messages",
            "total_order", "highlight", "stats"} == set(d)
    assert d["id"] == lc.ID == "lamport-clock"
    assert set(d["events"][0]) == {"id", "proc", "idx", "kind", "phase", "real_t", "phys", "lamport",
                                   "lamport_prev", "vector", "msg", "peer", "msg_ts"}
    assert set(d["messages"][0]) == {"id", "src", "dst", "ts", "vector", "send_t", "recv_t", "label",
                                     "send_event", "recv_event"}
    assert set(d["steps"][0]) == {"t", "event", "event_id", "proc", "phase", "lamport", "vectors", "in_flight"}
    assert set(d["highlight"]) == {"chain", "concurrent_pair", "skew_pair"}
    assert len(lc.simulate(7).to_json()) < 1_000_000


# ---------------------------------------------------------------- determinism and isolation
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    code = ("import sys; from sims.lamport_clock import simulate; "
            "sys.stdout.write(simulate(11, n_procs=4, skews_s=[0.1, -2.0, 0.3, 1.7], p_send=0.9, "
            "n_random_events=20).to_json())")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    expected = lc.simulate(11, n_procs=4, skews_s=[0.1, -2.0, 0.3, 1.7], p_send=0.9, n_random_events=20)
    assert first == second == expected.to_json().encode()
    assert lc.simulate(7).to_json() == lc.simulate(7).to_json() != lc.simulate(8).to_json()


def test_import_does_not_pull_heavy_modules() -> None:
    code = ("import sys, sims.lamport_clock; "
            "print(sorted(m for m in ('manim', 'networkx', 'scipy', 'torch') if m in sys.modules))")
    assert _in_subprocess(code, "0").strip() == b"[]"


# ---------------------------------------------------------------- parameter errors
@pytest.mark.parametrize("params, field", [
    ({"n_procs": 1}, "n_procs"),
    ({"n_procs": 9}, "n_procs"),
    ({"min_delay_s": 0.0}, "min_delay_s"),
    ({"min_delay_s": 0.01 - 1e-9}, "min_delay_s"),
    ({"max_delay_s": 10.0 + 1e-9, "min_delay_s": 0.3}, "max_delay_s"),
    ({"slot_s": 0.05 - 1e-9}, "slot_s"),
    ({"slot_s": 10.0 + 1e-9}, "slot_s"),
    ({"n_random_events": -1}, "n_random_events"),
    ({"n_random_events": 41}, "n_random_events"),
    ({"p_send": -1e-9}, "p_send"),
    ({"p_send": 1.0 + 1e-9}, "p_send"),
    ({"skews_s": [0.0, 60.0 + 1e-9, 0.0]}, "skews_s"),
    ({"skews_s": [0.0, "x", 0.0]}, "skews_s"),
    ({"skews_s": [0.0, 0.0]}, "skews_s"),
    ({"n_procs": 4}, "skews_s"),
    ({"min_delay_s": 1.5}, "min_delay_s"),
    ({"script": [{"proc": 2, "kind": "recv", "msg": 1}]}, "script"),
    ({"script": [{"proc": 1, "kind": "send", "peer": 2}, {"proc": 3, "kind": "recv", "msg": 1}]}, "script"),
    ({"script": [{"proc": 1, "kind": "send", "peer": 2}]}, "script"),
    ({"script": [{"proc": 1, "kind": "send", "peer": 1}]}, "script"),
    ({"script": [{"proc": 4, "kind": "local"}]}, "script"),
    ({"script": [{"proc": 1, "kind": "jump"}]}, "script"),
    ({"script": [{"proc": 1, "kind": "local", "peer": 2}]}, "script"),
    ({"script": [{"proc": 0, "kind": "local"}]}, "script"),
    ({"script": None}, "script"),
    ({"n_procs": 3.0}, "n_procs"),
    ({"clock": 1}, "clock"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        lc.simulate(0, **params)
    assert err.value.field == field


def test_negative_seed_is_a_param_error() -> None:
    with pytest.raises(ParamError) as err:
        lc.simulate(-1)
    assert err.value.field == "seed"


def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py):
    the stamp of the first receive that jumps, whether the concurrent pair is ordered, and a tie's order."""
    events = trace["events"]
    recvs = [e for e in events if e["kind"] == "recv"]
    jump = next((e for e in recvs if e["msg_ts"] > e["lamport_prev"]),
                max(recvs, key=lambda e: (e["msg_ts"] - e["lamport_prev"], -e["real_t"])))
    by_id = {e["id"]: e for e in events}
    a, b = (by_id[i] for i in trace["highlight"]["concurrent_pair"])
    # no path joins them: neither vector is <= the other
    assert any(x > y for x, y in zip(a["vector"], b["vector"])) and any(x < y for x, y in zip(a["vector"], b["vector"]))
    ties = [(x, y) for x in events for y in events if x["lamport"] == y["lamport"] and x["proc"] < y["proc"]]
    lo, hi = max(ties, key=lambda xy: (xy[1]["real_t"] < xy[0]["real_t"], xy[0]["lamport"], -xy[0]["real_t"],
                                      -xy[1]["real_t"]))
    order = trace["total_order"]
    assert order.index(lo["id"]) < order.index(hi["id"])
    return [str(max(jump["lamport_prev"], jump["msg_ts"]) + 1), "no: no path joins them", f"the one on P{lo['proc']}"]
