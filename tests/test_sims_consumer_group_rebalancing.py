"""Tests for sims.consumer_group_rebalancing: the storyboard's invariants checked from the trace JSON alone,
every recorded assignment against kafka-python 3.0.12's assignors (range, round robin, sticky,
cooperative-sticky), the storyboard's assignment table and counts, hand cases of the rules, the catalog
story, determinism and parameter errors."""

from __future__ import annotations

import copy
import functools
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Callable
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():  # kafka-python 3.0.12 loads its schemas with deprecated importlib.resources calls
    warnings.simplefilter("ignore", DeprecationWarning)
    from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
    from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
    from kafka.coordinator.assignors.sticky.user_data import StickyAssignorUserData
    from kafka.protocol.consumer.metadata import ConsumerProtocolSubscription
    from kafka.protocol.old.group import GroupMember

from render.catalog import load_catalog
from sims import consumer_group_rebalancing as cg
from sims.params import ParamError, resolve_params

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = {p.name: p.default for p in cg.PARAMS}
PROPERTY = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
STATES = {"Stable", "PreparingRebalance", "CompletingRebalance"}
TOPICS = {"orders": 3, "payments": 3}


# ---------------------------------------------------------------- kafka-python references
class StubCluster:
    def __init__(self, topics: dict[str, int]) -> None:
        self._topics = topics

    def topics(self) -> set[str]:
        return set(self._topics)

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(range(self._topics[topic])) if topic in self._topics else None


Assignment = dict[str, list[tuple[str, int]]]


def _result(out: dict[str, Any]) -> Assignment:
    return {m: sorted((t, p) for t, ps in a.assigned_partitions for p in ps) for m, a in out.items()}


def _grouped(parts: list[tuple[str, int]]) -> list[tuple[str, list[int]]]:
    by: dict[str, list[int]] = {}
    for t, p in sorted(parts):
        by.setdefault(t, []).append(p)
    return sorted(by.items())


def ref_range(topics: dict[str, int], members: list[str]) -> Assignment:
    group = [GroupMember(m, None, ConsumerProtocolSubscription(0, sorted(topics), b"")) for m in members]
    return _result(RangePartitionAssignor.assign(StubCluster(topics), group))


def ref_roundrobin(topics: dict[str, int], members: list[str]) -> Assignment:
    group = [GroupMember(m, None, ConsumerProtocolSubscription(0, sorted(topics), b"")) for m in members]
    return _result(RoundRobinPartitionAssignor.assign(StubCluster(topics), group))


def ref_sticky(topics: dict[str, int], members: list[str], previous: Assignment, generation: int = 1) -> Assignment:
    """StickyPartitionAssignor with each member's previous assignment as its user data."""
    group = []
    for m in members:
        data = StickyAssignorUserData(_grouped(previous[m]), generation) if previous.get(m) else b""
        group.append(GroupMember(m, None, ConsumerProtocolSubscription(0, sorted(topics), data)))
    return _result(StickyPartitionAssignor().assign(StubCluster(topics), group))


def ref_cooperative(topics: dict[str, int], members: list[str], owned: Assignment) -> Assignment:
    """CooperativeStickyAssignor with each member's owned partitions in its v1 subscription."""
    tp = ConsumerProtocolSubscription.TopicPartition
    group = []
    for m in members:
        owned_parts = [tp(topic=t, partitions=ps) for t, ps in _grouped(owned.get(m, []))]
        group.append(GroupMember(m, None, ConsumerProtocolSubscription(
            1, sorted(topics), b"", owned_partitions=owned_parts)))
    return _result(CooperativeStickyAssignor().assign(StubCluster(topics), group))


# ---------------------------------------------------------------- trace helpers
def run(seed: int, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return json.loads(cg.simulate(seed, **(params or {})).to_json())


@functools.lru_cache(maxsize=None)
def _cached(seed: int, params_json: str) -> str:
    return cg.simulate(seed, **json.loads(params_json)).to_json()


def cached_run(seed: int, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return json.loads(_cached(seed, json.dumps(params or {}, sort_keys=True)))


def names_of(trace: dict[str, Any]) -> list[str]:
    return [row["name"] for row in trace["meta"]["partitions"]]


def to_tp(trace: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {row["name"]: (row["topic"], row["index"]) for row in trace["meta"]["partitions"]}


def as_tps(trace: dict[str, Any], assignment: dict[str, list[str]]) -> Assignment:
    conv = to_tp(trace)
    return {m: sorted(conv[n] for n in parts) for m, parts in assignment.items()}


def by_member(owner: dict[str, str | None]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in sorted(owner):
        if owner[part] is not None:
            out.setdefault(owner[part], []).append(part)
    return out


def member_state(step: dict[str, Any], member: str) -> dict[str, Any] | None:
    return next((m for m in step["members"] if m["id"] == member), None)


def events_of(step: dict[str, Any], verb: str) -> list[str]:
    return [e.split(" ", 1)[1] for e in step["events"] if e.startswith(verb + " ")]


# ---------------------------------------------------------------- checkers (read the trace JSON only)
def check_single_owner(trace: dict[str, Any]) -> None:
    """Invariant 1: one owner at most; in Stable steps exactly one, and it is in the group."""
    names = names_of(trace)
    for name, run_ in trace["variants"].items():
        for step, shared in zip(run_["steps"], trace["steps"], strict=True):
            assert sorted(step["owner"]) == names
            assert step["group_state"] in STATES
            in_group = {m["id"] for m in shared["members"] if m["in_group"]}
            for part, m in step["owner"].items():
                assert m is None or m in in_group, f"{name} t={step['t']}: {part} owned by {m}, not in the group"
            if step["group_state"] == "Stable":
                assert step["round"] == 0
                assert all(m is not None for m in step["owner"].values()), f"{name} t={step['t']}: unowned when Stable"


def check_generation(trace: dict[str, Any]) -> None:
    """Invariant 2: +1 at each sync, never down."""
    for name, run_ in trace["variants"].items():
        gen = 1
        syncs = 0
        for step in run_["steps"]:
            synced = [int(e.split()[-1]) for e in step["events"] if e.startswith("sync gen ")]
            assert len(synced) <= 1
            if synced:
                gen += 1
                syncs += 1
                assert synced[0] == gen
            assert step["generation"] == gen, f"{name} t={step['t']}"
        assert syncs == sum(rb["rounds"] for rb in run_["rebalances"])


def check_eager(trace: dict[str, Any]) -> None:
    """Invariant 3: eager rounds stop every partition."""
    names = names_of(trace)
    for name, run_ in trace["variants"].items():
        if not name.startswith("eager:"):
            continue
        for step in run_["steps"]:
            if step["round"] > 0:
                assert all(m is None for m in step["owner"].values()), f"{name} t={step['t']}: owned during a round"
                assert step["paused"] == names, f"{name} t={step['t']}: not everything paused"


def check_cooperative(trace: dict[str, Any]) -> None:
    """Invariant 4: keep-owner partitions never pause; movers go through 'unowned', never across directly."""
    for name, run_ in trace["variants"].items():
        if not name.startswith("cooperative:"):
            continue
        steps = run_["steps"]
        for prev, step in zip(steps, steps[1:]):
            for part, m in step["owner"].items():
                old = prev["owner"][part]
                assert old is None or m is None or old == m, f"t={step['t']}: {part} handed {old} -> {m} directly"
        for rb in run_["rebalances"]:
            if not rb["completed"]:
                continue
            before = {p: m for m, ps in rb["before"].items() for p in ps}
            after = {p: m for m, ps in rb["after"].items() for p in ps}
            window = [s for s in steps if rb["start_t"] <= s["t"] < rb["end_t"]]
            if rb["restarts"]:  # a restart may send a given-up partition back to its old owner
                continue
            for part, m in after.items():
                for s in window:
                    alive = (member_state(trace["steps"][s["t"]], m) or {}).get("alive")
                    if before.get(part) == m and alive:
                        assert part not in s["paused"], f"t={s['t']}: {part} kept by {m} but paused"
            second = [s for s in window if s["round"] == 2]
            for part, m in after.items():
                old = before.get(part)
                if old is not None and old != m and old in rb["after"]:  # moves between two live members
                    assert second, f"{part} moved {old} -> {m} without a second round"
                    assert all(s["owner"][part] is None for s in second), f"{part} owned during round 2"


def check_balance(trace: dict[str, Any]) -> None:
    """Invariant 5."""
    topics = trace["params"]["topics"]
    for name, run_ in trace["variants"].items():
        assignor = name.split(":")[1]
        for rb in run_["rebalances"]:
            if not rb["completed"]:
                continue
            after = rb["after"]
            if assignor == "range":
                for topic in topics:
                    counts = [sum(p[0] == topic[0] for p in ps) for ps in after.values()]
                    assert max(counts) - min(counts) <= 1, f"{name}: range unbalanced in {topic}"
            else:
                counts = [len(ps) for ps in after.values()]
                assert max(counts) - min(counts) <= 1, f"{name}: {after}"


def check_eviction(trace: dict[str, Any]) -> None:
    """Invariant 6 and the heartbeat schedule, from the shared steps."""
    p = trace["params"]
    interval, timeout = p["heartbeat_interval"], p["session_timeout"]
    steps = trace["steps"]
    evictions = []
    crashed: dict[str, int] = {}
    for step in steps:
        t = step["t"]
        for m in events_of(step, "crash"):
            crashed[m] = t
        for info in step["members"]:
            assert info["silence"] == t - info["last_heartbeat"]
            if info["alive"] and info["in_group"]:
                assert info["silence"] < interval, f"t={t}: live {info['id']} silent for {info['silence']}"
        for m in events_of(step, "heartbeat"):
            info = member_state(step, m)
            assert info["alive"] and info["in_group"] and info["last_heartbeat"] == t
        for m in events_of(step, "evict"):
            info = member_state(step, m)
            assert m in crashed and not info["alive"] and not info["in_group"]
            assert t == info["last_heartbeat"] + timeout, f"{m} evicted at {t}, not last heartbeat + {timeout}"
            evictions.append({"member": m, "crash_t": crashed[m], "last_heartbeat": info["last_heartbeat"], "evict_t": t})
    for m, t_crash in crashed.items():
        last_hb = member_state(steps[t_crash], m)["last_heartbeat"]
        due = last_hb + timeout
        for step in steps[t_crash:]:
            assert member_state(step, m)["in_group"] == (step["t"] < due), f"{m} at t={step['t']}"
        for run_ in trace["variants"].values():
            for step in run_["steps"][due:]:
                assert m not in step["owner"].values(), f"evicted {m} still owns a partition at t={step['t']}"
    assert trace["summary"]["evictions"] == evictions
    for name, run_ in trace["variants"].items():
        starts = {(c["trigger"], c["member"], c["t"]) for rb in run_["rebalances"] for c in rb["changes"]}
        assert all(rb["changes"][0] == {"trigger": rb["trigger"], "member": rb["member"], "t": rb["start_t"]}
                   for rb in run_["rebalances"])
        for step in steps:
            for m in events_of(step, "leave"):
                assert ("leave", m, step["t"]) in starts, f"{name}: leave of {m} at {step['t']} started no rebalance"
            for m in events_of(step, "evict"):
                assert ("timeout", m, step["t"]) in starts
            for m in events_of(step, "join"):
                assert ("join", m, step["t"]) in starts


def check_reference(trace: dict[str, Any]) -> None:
    """Invariant 7: every recorded assignment equals kafka-python's; sticky moves are minimal."""
    topics = trace["params"]["topics"]
    n_parts = sum(topics.values())
    initial = sorted(trace["params"]["initial_members"])
    for name, run_ in trace["variants"].items():
        protocol, assignor = name.split(":")
        steps = run_["steps"]
        fresh = {"range": ref_range, "roundrobin": ref_roundrobin}.get(assignor)
        expect = fresh(topics, initial) if fresh else ref_sticky(topics, initial, {})
        assert as_tps(trace, run_["initial"]) == expect, f"{name}: generation 1"
        changed_at_0 = any(rb["start_t"] == 0 for rb in run_["rebalances"])
        if changed_at_0:
            assert run_["rebalances"][0]["before"] == {m: run_["initial"].get(m, []) for m in run_["rebalances"][0]["before"]}
        else:
            assert by_member(steps[0]["owner"]) == {m: v for m, v in run_["initial"].items() if v}
        last = {m: v for m, v in expect.items()}
        for rb in run_["rebalances"]:
            for sync in rb["syncs"]:
                members = sync["members"]
                assert members == sorted(members)
                got = as_tps(trace, sync["assigned"])
                prior = steps[sync["t"] - 1]["owner"]
                if protocol == "eager":
                    if assignor == "sticky":
                        prev = {m: last.get(m, []) for m in members}
                        assert as_tps(trace, sync["input"]) == prev, f"{name}: sticky fed a wrong previous assignment"
                        ref = ref_sticky(topics, members, prev)
                    else:
                        ref = ref_range(topics, members) if assignor == "range" else ref_roundrobin(topics, members)
                    assert got == ref, f"{name} sync at {sync['t']}: {got} != {ref}"
                    assert as_tps(trace, sync["target"]) == got
                else:
                    owned = {m: [] for m in members} | by_member(prior)
                    owned = {m: owned[m] for m in members}
                    assert sync["input"] == owned, f"{name}: sync input is not what the members owned"
                    owned_tp = as_tps(trace, owned)
                    assert got == ref_cooperative(topics, members, owned_tp), f"{name} sync at {sync['t']}"
                    assert as_tps(trace, sync["target"]) == ref_sticky(topics, members, owned_tp)
                if not any(e == "rebalance round 1" for e in steps[sync["t"]]["events"]):  # no change right after
                    assert {p: m for m, ps in sync["assigned"].items() for p in ps} == \
                        {p: m for p, m in steps[sync["t"]]["owner"].items() if m is not None}
                last = got
            if rb["completed"]:
                assert rb["after"] == rb["syncs"][-1]["assigned"]
                if assignor == "sticky" and not rb["restarts"]:
                    live = list(rb["after"])
                    quota, extra = divmod(n_parts, len(live))
                    ranked = sorted(live, key=lambda m: (-len(rb["before"].get(m, [])), m))
                    target = {m: quota + (i < extra) for i, m in enumerate(ranked)}
                    kept = sum(len(rb["before"].get(m, [])) for m in live)
                    minimum = n_parts - kept + sum(max(0, len(rb["before"].get(m, [])) - target[m]) for m in live)
                    assert len(rb["moved"]) == minimum, f"{name}: moved {rb['moved']}, minimum {minimum}"


def check_lag(trace: dict[str, Any]) -> None:
    """Invariant 8: lag = arrivals - processed >= 0; processing only with a live, unpaused owner, at the rate."""
    rate = trace["params"]["process_rate"]
    names = names_of(trace)
    arrived = {n: 0 for n in names}
    for shared in trace["steps"]:
        for n in names:
            arrived[n] += shared["arrivals"][n]
            assert 0 <= shared["arrivals"][n] <= 2
        assert shared["arrived"] == arrived
    for name, run_ in trace["variants"].items():
        processed = {n: 0 for n in names}
        for step, shared in zip(run_["steps"], trace["steps"]):
            assert step["t"] == shared["t"]
            alive = {m["id"] for m in shared["members"] if m["alive"]}
            paused = set(step["paused"])
            for n in names:
                owner = step["owner"][n]
                should_pause = owner is None or owner not in alive
                assert (n in paused) == should_pause, f"{name} t={step['t']} {n}"
                lag = step["lag"][n]
                assert lag >= 0, f"{name} t={step['t']} {n}: negative lag"
                done = shared["arrived"][n] - lag
                gain, backlog = done - processed[n], shared["arrived"][n] - processed[n]
                assert gain == (0 if should_pause else min(rate, backlog)), f"{name} t={step['t']} {n}"
                processed[n] = done
            assert step["paused"] == sorted(step["paused"])


def check_records(trace: dict[str, Any]) -> None:
    """Rebalance records, round timing and the summary agree with the steps."""
    p = trace["params"]
    J, S = p["join_ticks"], p["sync_ticks"]
    for name, run_ in trace["variants"].items():
        steps = run_["steps"]
        round_start = None
        for step in steps:
            if any(e.startswith("sync gen ") for e in step["events"]):
                assert round_start is not None and step["t"] - round_start == J + S, \
                    f"{name}: sync at {step['t']} not J + S after its round's start {round_start}"
            rounds = [int(e.split()[-1]) for e in step["events"] if e.startswith("rebalance round ")]
            if rounds:
                round_start = step["t"]
                assert step["round"] == rounds[-1]
            if step["round"] > 0:
                phase = step["t"] - round_start
                assert 0 <= phase < J + S
                assert step["group_state"] == ("PreparingRebalance" if phase < J else "CompletingRebalance")
        for rb in run_["rebalances"]:
            assert rb["rounds"] == len(rb["syncs"])
            start = rb["start_t"]
            synced_at_start = any(e.startswith("sync gen ") for e in steps[start]["events"])
            if start and not synced_at_start:
                assert {m: v for m, v in rb["before"].items() if v} == by_member(steps[start - 1]["owner"])
            assert rb["restarts"] == [c for c in rb["changes"] if c["t"] > start]
            end = rb["end_t"] if rb["completed"] else len(steps)
            assert rb["paused_partition_ticks"] == sum(len(s["paused"]) for s in steps[start:end])
            if rb["completed"]:
                assert rb["syncs"][-1]["t"] == end
                assert steps[end]["group_state"] == "Stable" or "rebalance round 1" in steps[end]["events"]
                old = {q: m for m, ps in rb["before"].items() for q in ps}
                new = {q: m for m, ps in rb["after"].items() for q in ps}
                assert rb["moved"] == sorted(q for q in set(old) | set(new) if old.get(q) != new.get(q))
                assert all(start < s["t"] <= end for s in rb["syncs"])
                assert all(s["round"] > 0 for s in steps[start:end])
            else:
                assert rb["moved"] is None and rb["after"] is None and rb["end_t"] is None
    rows = trace["summary"]["scoreboard"]
    expect = [{"variant": name, "index": i, "trigger": rb["trigger"], "member": rb["member"], "start_t": rb["start_t"],
               "end_t": rb["end_t"], "rounds": rb["rounds"], "moved": None if rb["moved"] is None else len(rb["moved"]),
               "duration_t": None if rb["end_t"] is None else rb["end_t"] - rb["start_t"],
               "paused_partition_ticks": rb["paused_partition_ticks"]}
              for name, run_ in trace["variants"].items() for i, rb in enumerate(run_["rebalances"])]
    assert sorted(rows, key=lambda r: (r["variant"], r["index"])) == sorted(expect, key=lambda r: (r["variant"], r["index"]))
    for name, run_ in trace["variants"].items():
        totals = trace["summary"]["totals"][name]
        assert totals["paused_partition_ticks"] == sum(len(s["paused"]) for s in run_["steps"])
        assert totals["generation"] == run_["steps"][-1]["generation"]
        assert trace["summary"]["final_owner"][name] == run_["steps"][-1]["owner"]
        assert trace["summary"]["final_counts"][name] == {
            m: sum(c.values()) for m, c in trace["summary"]["final_topic_counts"][name].items()}


def check_events_schedule(trace: dict[str, Any]) -> None:
    """Scripted events land at their jittered ticks (base + 0..event_jitter), once each."""
    p = trace["params"]
    times = trace["summary"]["event_times"]
    assert [[e["kind"], e["member"]] for e in times] == [[k, m] for k, m, _ in p["events"]]
    for e, (_, _, base) in zip(times, p["events"]):
        assert base <= e["t"] <= base + p["event_jitter"]
        verbs = events_of(trace["steps"][e["t"]], e["kind"])
        assert e["member"] in verbs


INVARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "1 single owner": check_single_owner,
    "2 generation": check_generation,
    "3 eager pauses all": check_eager,
    "4 cooperative": check_cooperative,
    "5 balance": check_balance,
    "6 eviction": check_eviction,
    "7 reference assignors": check_reference,
    "8 lag": check_lag,
    "records": check_records,
    "event schedule": check_events_schedule,
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
POOL = ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "alpha", "zed", "m10"]


@st.composite
def param_sets(draw: st.DrawFn) -> dict[str, Any]:
    letters = draw(st.lists(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=1, max_size=4, unique=True))
    topics = {f"{letter}{draw(st.sampled_from(['', 'rders', 'x1', '-log']))}": draw(st.integers(1, 8))
              for letter in letters}
    initial = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=8, unique=True))
    interval = draw(st.integers(1, 20))
    timeout = draw(st.integers(interval + 1, 60))
    jitter = draw(st.integers(0, 5))
    duration = draw(st.integers(1, 240))
    in_group, alive, crashed, seen = set(initial), set(initial), set(), set(initial)
    events: list[list[Any]] = []
    t = draw(st.integers(0, 20)) - jitter - 1
    for _ in range(draw(st.integers(0, 8))):
        t += jitter + draw(st.integers(1, 25))
        if t < 0 or t + jitter > duration - 1:
            break
        options = []
        joinable = [m for m in POOL if m not in in_group and m not in crashed and (m in seen or len(seen) < 9)]
        if joinable:
            options.append("join")
        if len(alive) >= 2:
            options += ["leave", "crash"]
        if not options:
            break
        kind = draw(st.sampled_from(options))
        member = draw(st.sampled_from(sorted(joinable if kind == "join" else alive)))
        if kind == "join":
            in_group.add(member), alive.add(member), seen.add(member)
        else:
            alive.discard(member)
            (in_group.discard(member) if kind == "leave" else crashed.add(member))
        events.append([kind, member, t])
    return {
        "topics": topics, "initial_members": initial, "events": events, "event_jitter": jitter,
        "variants": draw(st.lists(st.sampled_from(cg.VARIANTS), min_size=1, max_size=4, unique=True)),
        "heartbeat_interval": interval, "session_timeout": timeout,
        "join_ticks": draw(st.integers(1, 10)), "sync_ticks": draw(st.integers(1, 10)),
        "process_rate": draw(st.integers(0, 10)), "duration": duration,
    }


# ---------------------------------------------------------------- invariants as properties
@PROPERTY
@given(seed=seeds, params=param_sets())
def test_invariants_hold_for_any_seed_and_params(seed: int, params: dict[str, Any]) -> None:
    check_all(run(seed, params), f"seed={seed} params={params}")


ALL_VARIANTS = {"variants": list(cg.VARIANTS)}
RESTARTS = {  # a leave during the join's round 2, a crash during a rebalance, an eviction that restarts one
    "events": [["join", "c4", 10], ["join", "c5", 11], ["leave", "c1", 14], ["crash", "c2", 20], ["join", "c6", 30]],
    "event_jitter": 0, "session_timeout": 12, "heartbeat_interval": 4, "variants": list(cg.VARIANTS),
}


@pytest.mark.parametrize("params", [
    {}, ALL_VARIANTS, RESTARTS,
    {"topics": {"orders": 5}, "initial_members": ["c3", "c5"],
     "events": [["join", "c2", 5], ["leave", "c3", 20]], "variants": list(cg.VARIANTS)},
    {"join_ticks": 10, "sync_ticks": 10, "duration": 240, **ALL_VARIANTS},
    {"process_rate": 0, "heartbeat_interval": 1, "session_timeout": 2, **ALL_VARIANTS},
    {"initial_members": ["c1"], "events": [["join", "c2", 3], ["crash", "c1", 10]], **ALL_VARIANTS},
])
@pytest.mark.parametrize("seed", [0, 7, 99])
def test_invariants_on_hand_picked_params(seed: int, params: dict[str, Any]) -> None:
    check_all(cached_run(seed, params), f"seed={seed}")


def test_restart_cases_are_exercised() -> None:
    trace = cached_run(0, RESTARTS)
    coop = trace["variants"]["cooperative:sticky"]["rebalances"]
    assert [r["trigger"] for r in coop[0]["restarts"]] == ["join", "leave"]
    eager = trace["variants"]["eager:range"]["rebalances"]
    assert any(rb["restarts"] for rb in eager)
    check_all(trace)


# ---------------------------------------------------------------- the checkers catch corrupted traces
def _two_step(t: dict[str, Any]) -> dict[str, Any]:
    return t["variants"]["cooperative:sticky"]["steps"]


def _stable_unowned(t: dict[str, Any]) -> None:
    t["variants"]["eager:range"]["steps"][5]["owner"]["o0"] = None


def _generation_jump(t: dict[str, Any]) -> None:
    for step in t["variants"]["eager:range"]["steps"][30:]:
        step["generation"] += 1


def _eager_keeps_one(t: dict[str, Any]) -> None:
    rb = t["variants"]["eager:range"]["rebalances"][0]
    step = t["variants"]["eager:range"]["steps"][rb["start_t"] + 1]
    step["paused"] = step["paused"][1:]


def _hand_across(t: dict[str, Any]) -> None:
    rb = t["variants"]["cooperative:sticky"]["rebalances"][0]
    steps = _two_step(t)
    for s in steps[rb["start_t"]:rb["end_t"]]:
        s["owner"]["p2"] = "c3"
        s["paused"] = [q for q in s["paused"] if q != "p2"]


def _unbalanced(t: dict[str, Any]) -> None:
    after = t["variants"]["eager:roundrobin"]["rebalances"][0]["after"]
    after["c1"], after["c4"] = after["c1"] + after["c4"], []


def _late_eviction(t: dict[str, Any]) -> None:
    for step in t["steps"]:
        for m in step["members"]:
            if m["id"] == "c2" and not m["alive"]:
                m["last_heartbeat"] -= 1
                m["silence"] += 1


def _wrong_assignment(t: dict[str, Any]) -> None:
    sync = t["variants"]["eager:roundrobin"]["rebalances"][0]["syncs"][0]
    sync["assigned"]["c1"], sync["assigned"]["c2"] = sync["assigned"]["c2"], sync["assigned"]["c1"]


def _process_paused(t: dict[str, Any]) -> None:
    rb = t["variants"]["eager:range"]["rebalances"][0]
    for s in t["variants"]["eager:range"]["steps"][rb["start_t"]:]:
        s["lag"]["o0"] -= 1


def _wrong_paused_total(t: dict[str, Any]) -> None:
    t["variants"]["cooperative:sticky"]["rebalances"][0]["paused_partition_ticks"] = 18


def _event_off_schedule(t: dict[str, Any]) -> None:
    t["summary"]["event_times"][0]["t"] += t["params"]["event_jitter"] + 1


@pytest.mark.parametrize("mutate, check", [
    (_stable_unowned, check_single_owner),
    (_generation_jump, check_generation),
    (_eager_keeps_one, check_eager),
    (_hand_across, check_cooperative),
    (_unbalanced, check_balance),
    (_late_eviction, check_eviction),
    (_wrong_assignment, check_reference),
    (_process_paused, check_lag),
    (_wrong_paused_total, check_records),
    (_event_off_schedule, check_events_schedule),
])
def test_checkers_catch_corrupted_traces(mutate: Callable[[dict[str, Any]], None],
                                         check: Callable[[dict[str, Any]], None]) -> None:
    trace = cached_run(7)
    check(trace)
    broken = copy.deepcopy(trace)
    mutate(broken)
    with pytest.raises(AssertionError):
        check(broken)


# ---------------------------------------------------------------- planted simulator bugs are caught
def _range_extra_last(members: Any, topics: Any) -> dict[str, list[tuple[str, int]]]:
    ordered = sorted(members)
    out = {m: [] for m in ordered}
    for topic, count in sorted(topics.items()):
        each, extra = divmod(count, len(ordered))
        start = 0
        for i, m in enumerate(ordered):
            length = each + (i >= len(ordered) - extra)
            out[m].extend((topic, q) for q in range(start, start + length))
            start += length
    return out


def _storyboard_quota_rule(members: Any, topics: Any, current: Any) -> dict[str, list[tuple[str, int]]]:
    """The storyboard's simpler sticky rule: extra slots by (count desc, id), capped targets."""
    ordered = sorted(members)
    parts = cg.all_partitions(topics)
    quota, extra = divmod(len(parts), len(ordered))
    ranked = sorted(ordered, key=lambda m: (-len(current.get(m, ())), m))
    target = {m: quota + (i < extra) for i, m in enumerate(ranked)}
    keep = {m: sorted(current.get(m, ()))[:target[m]] for m in ordered}
    kept = {q for v in keep.values() for q in v}
    for q in parts:
        if q not in kept:
            m = min((m for m in ordered if len(keep[m]) < target[m]), key=lambda m: (len(keep[m]), m))
            keep[m].append(q)
    return {m: sorted(v) for m, v in keep.items()}


def _hand_across_directly(members: Any, topics: Any, owned: Any) -> Any:
    target = cg.sticky_assign(members, topics, owned)
    return target, target


def _process_everything(owner: Any, live: Any, arrived: Any, processed: Any, rate: int) -> list[Any]:
    for tp in owner:
        processed[tp] += min(rate, arrived[tp] - processed[tp])
    return [tp for tp in sorted(owner) if owner[tp] is None]


PLANTED_STICKY = {"topics": {"orders": 5}, "initial_members": ["c3", "c5"],
                  "events": [["join", "c2", 5], ["leave", "c3", 20]], "variants": ["eager:sticky"]}


@pytest.mark.parametrize("target, bug, check, params", [
    ("range_assign", _range_extra_last, check_reference, {}),
    ("sticky_assign", _storyboard_quota_rule, check_reference, PLANTED_STICKY),
    ("cooperative_assign", _hand_across_directly, check_cooperative, {}),
    ("process_tick", _process_everything, check_lag, {}),
])
def test_planted_bugs_are_caught(target: str, bug: Callable[..., Any], check: Callable[[dict[str, Any]], None],
                                 params: dict[str, Any]) -> None:
    with mock.patch.object(cg, target, bug):
        trace = run(7, params)
    with pytest.raises(AssertionError):
        check(trace)


# ---------------------------------------------------------------- assignors against kafka-python
def short(assignment: Assignment) -> dict[str, list[str]]:
    return {m: [f"{t[0]}{p}" for t, p in parts] for m, parts in assignment.items()}


def test_storyboard_assignment_table() -> None:
    c123, c1234, c234, c34 = ["c1", "c2", "c3"], ["c1", "c2", "c3", "c4"], ["c2", "c3", "c4"], ["c3", "c4"]
    same = {"c1": ["o0", "p0"], "c2": ["o1", "p1"], "c3": ["o2", "p2"]}
    # row 1: from scratch
    for ours, ref in [(cg.range_assign(c123, TOPICS), ref_range(TOPICS, c123)),
                      (cg.roundrobin_assign(c123, TOPICS), ref_roundrobin(TOPICS, c123)),
                      (cg.sticky_assign(c123, TOPICS, {}), ref_sticky(TOPICS, c123, {}))]:
        assert short(ours) == short(ref) == same
    # row 2: + c4
    assert short(cg.range_assign(c1234, TOPICS)) == short(ref_range(TOPICS, c1234)) == {**same, "c4": []}
    assert short(cg.roundrobin_assign(c1234, TOPICS)) == short(ref_roundrobin(TOPICS, c1234)) == \
        {"c1": ["o0", "p1"], "c2": ["o1", "p2"], "c3": ["o2"], "c4": ["p0"]}
    prev = as_tps({"meta": {"partitions": [{"name": f"{t[0]}{i}", "topic": t, "index": i}
                                           for t in TOPICS for i in range(3)]}}, same)
    join = cg.sticky_assign(c1234, TOPICS, prev)
    assert short(join) == short(ref_sticky(TOPICS, c1234, prev)) == \
        {"c1": ["o0", "p0"], "c2": ["o1", "p1"], "c3": ["o2"], "c4": ["p2"]}
    # row 3: - c1
    after_leave = {"c2": ["o0", "p0"], "c3": ["o1", "p1"], "c4": ["o2", "p2"]}
    assert short(cg.range_assign(c234, TOPICS)) == short(ref_range(TOPICS, c234)) == after_leave
    assert short(cg.roundrobin_assign(c234, TOPICS)) == short(ref_roundrobin(TOPICS, c234)) == after_leave
    prev = {m: v for m, v in join.items() if m != "c1"}
    leave = cg.sticky_assign(c234, TOPICS, prev)
    assert short(leave) == short(ref_sticky(TOPICS, c234, prev)) == {"c2": ["o1", "p1"], "c3": ["o0", "o2"], "c4": ["p0", "p2"]}
    # row 4: - c2
    assert short(cg.range_assign(c34, TOPICS)) == short(ref_range(TOPICS, c34)) == \
        {"c3": ["o0", "o1", "p0", "p1"], "c4": ["o2", "p2"]}
    assert short(cg.roundrobin_assign(c34, TOPICS)) == short(ref_roundrobin(TOPICS, c34)) == \
        {"c3": ["o0", "o2", "p1"], "c4": ["o1", "p0", "p2"]}
    prev = {m: v for m, v in leave.items() if m != "c2"}
    assert short(cg.sticky_assign(c34, TOPICS, prev)) == short(ref_sticky(TOPICS, c34, prev)) == \
        {"c3": ["o0", "o1", "o2"], "c4": ["p0", "p1", "p2"]}


def test_textbook_two_members() -> None:
    assert short(cg.range_assign(["c1", "c2"], TOPICS)) == short(ref_range(TOPICS, ["c1", "c2"])) == \
        {"c1": ["o0", "o1", "p0", "p1"], "c2": ["o2", "p2"]}
    assert short(cg.roundrobin_assign(["c1", "c2"], TOPICS)) == short(ref_roundrobin(TOPICS, ["c1", "c2"])) == \
        {"c1": ["o0", "o2", "p1"], "c2": ["o1", "p0", "p2"]}


def test_storyboard_quota_rule_differs_from_kafka_python() -> None:
    """The storyboard's simple sticky rule is not what kafka-python does: with orders=5, c2 holding o4
    and c5 holding o1 o3, kafka-python hands the unowned o0 and o2 to the emptier c2 (3 vs 2),
    while the rule gives the extra slot to the fuller c5. Both move 2; the simulator follows kafka-python."""
    topics = {"orders": 5}
    prev = {"c2": [("orders", 4)], "c5": [("orders", 1), ("orders", 3)]}
    ref = ref_sticky(topics, ["c2", "c5"], prev)
    assert short(ref) == {"c2": ["o0", "o2", "o4"], "c5": ["o1", "o3"]}
    assert cg.sticky_assign(["c2", "c5"], topics, prev) == ref
    assert short(_storyboard_quota_rule(["c2", "c5"], topics, prev)) == {"c2": ["o0", "o4"], "c5": ["o1", "o2", "o3"]}


member_ids = st.lists(st.sampled_from(POOL), min_size=1, max_size=9, unique=True)


@st.composite
def topic_sets(draw: st.DrawFn) -> dict[str, int]:
    letters = draw(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=4, unique=True))
    return {f"{letter}t": draw(st.integers(1, 8)) for letter in letters}


@st.composite
def prior_states(draw: st.DrawFn) -> tuple[dict[str, int], list[str], Assignment]:
    """Members and a prior ownership: either reachable (sticky results after joins/leaves) or arbitrary."""
    topics = draw(topic_sets())
    members = sorted(draw(member_ids))
    parts = cg.all_partitions(topics)
    if draw(st.booleans()):
        owners = draw(st.lists(st.sampled_from(members + [None]), min_size=len(parts), max_size=len(parts)))
        prior: Assignment = {m: [] for m in members}
        for tp, m in zip(parts, owners):
            if m is not None:
                prior[m].append(tp)
        return topics, members, prior
    current: Assignment = {}
    for _ in range(draw(st.integers(0, 4))):
        current = cg.sticky_assign(members, topics, current)
        joiners = [m for m in POOL if m not in members]
        if draw(st.booleans()) and joiners and len(members) < 9:
            members = sorted(members + [draw(st.sampled_from(joiners))])
        elif len(members) > 1:
            gone = draw(st.sampled_from(members))
            members = [m for m in members if m != gone]
            current = {m: v for m, v in current.items() if m != gone}
    return topics, members, {m: current.get(m, []) for m in members}


@settings(max_examples=200, deadline=None, database=None)
@given(topics=topic_sets(), members=member_ids)
def test_range_and_roundrobin_match_kafka_python(topics: dict[str, int], members: list[str]) -> None:
    assert cg.range_assign(members, topics) == ref_range(topics, sorted(members))
    assert cg.roundrobin_assign(members, topics) == ref_roundrobin(topics, sorted(members))


@settings(max_examples=200, deadline=None, database=None)
@given(state=prior_states())
def test_sticky_and_cooperative_match_kafka_python(state: tuple[dict[str, int], list[str], Assignment]) -> None:
    """Also: from a balanced (or one-off) start, sticky moves exactly the minimum; never fewer from any start."""
    topics, members, prior = state
    ours = cg.sticky_assign(members, topics, prior)
    assert ours == ref_sticky(topics, members, prior)
    target, assigned = cg.cooperative_assign(members, topics, prior)
    assert target == ours and assigned == ref_cooperative(topics, members, prior)
    name = {tp: f"{tp[0][0]}{tp[1]}" for tp in cg.all_partitions(topics)}
    moved = cg.moved_partitions({m: [name[tp] for tp in v] for m, v in prior.items()},
                                {m: [name[tp] for tp in v] for m, v in ours.items()})
    minimum = cg.min_sticky_moves(members, len(name), prior)
    counts = sorted(len(v) for v in prior.values())
    assert len(moved) == minimum if counts[-1] - counts[0] <= 1 else len(moved) >= minimum


# ---------------------------------------------------------------- rules on their own
def test_min_sticky_moves_formula() -> None:
    before = {"c1": ["o0", "p0"], "c2": ["o1", "p1"], "c3": ["o2", "p2"]}
    assert cg.min_sticky_moves(["c1", "c2", "c3", "c4"], 6, before) == 1  # join: c3 gives one
    assert cg.min_sticky_moves(["c2", "c3", "c4"], 6, {"c2": [1, 2], "c3": [3], "c4": [4]}) == 2  # c1's two
    assert cg.min_sticky_moves(["c3", "c4"], 6, {"c3": [1, 2], "c4": [3, 4]}) == 2


def test_process_tick_pauses_unowned_and_dead_owners() -> None:
    owner = {("o", 0): "c1", ("o", 1): None, ("o", 2): "c2"}
    arrived = {("o", 0): 5, ("o", 1): 5, ("o", 2): 5}
    processed = {("o", 0): 4, ("o", 1): 0, ("o", 2): 0}
    paused = cg.process_tick(owner, {"c1"}, arrived, processed, 2)
    assert paused == [("o", 1), ("o", 2)] and processed == {("o", 0): 5, ("o", 1): 0, ("o", 2): 0}


def test_jitter_events_keeps_order_and_range() -> None:
    import numpy as np
    out = cg.jitter_events([["join", "c4", 12], ["leave", "c1", 36]], 2, np.random.default_rng(0))
    assert [e["kind"] for e in out] == ["join", "leave"]
    assert 12 <= out[0]["t"] <= 14 and 36 <= out[1]["t"] <= 38


def test_membership_timeline_evicts_at_last_heartbeat_plus_timeout() -> None:
    p = resolve_params(cg.PARAMS, {"events": [["crash", "c2", 7]], "event_jitter": 0, "duration": 30}, cg.check_params)
    phases = {"c1": 0, "c2": 1, "c3": 2}
    ticks = cg.membership_timeline(p, [{"kind": "crash", "member": "c2", "t": 7}], phases)
    # c2 heartbeats at 1 and 4 (every 3 from phase 1), crashes at 7 before its beat -> evicted at 4 + 10
    assert [t["t"] for t in ticks if t["evict"]] == [14]
    assert ticks[14]["evict"] == [{"member": "c2", "crash_t": 7, "last_heartbeat": 4}]
    assert "c2" in ticks[13]["in_group"] and "c2" not in ticks[14]["in_group"]
    assert [t["t"] for t in ticks if "c1" in t["heartbeat"]][:3] == [0, 3, 6]


# ---------------------------------------------------------------- the storyboard's numbers and the catalog story
EXPECTED_MOVES = {"eager:range": [0, 6, 2], "eager:roundrobin": [3, 6, 4], "cooperative:sticky": [1, 2, 2]}


@pytest.mark.parametrize("seed", [0, 1, 7, 42, 2024])
def test_storyboard_numbers_hold_for_any_seed(seed: int) -> None:
    trace = cached_run(seed)
    v = trace["variants"]
    for name, moves in EXPECTED_MOVES.items():
        assert [len(rb["moved"]) for rb in v[name]["rebalances"]] == moves, name
        assert [rb["trigger"] for rb in v[name]["rebalances"]] == ["join", "leave", "timeout"]
    join = {name: v[name]["rebalances"][0] for name in EXPECTED_MOVES}
    assert join["eager:range"]["paused_partition_ticks"] == join["eager:roundrobin"]["paused_partition_ticks"] == 18
    assert join["cooperative:sticky"]["paused_partition_ticks"] == 3 and join["cooperative:sticky"]["rounds"] == 2
    assert join["cooperative:sticky"]["end_t"] - join["cooperative:sticky"]["start_t"] == 6
    assert join["eager:range"]["end_t"] - join["eager:range"]["start_t"] == 3
    assert join["eager:range"]["after"]["c4"] == []
    assert join["eager:roundrobin"]["after"]["c4"] == ["p0"]
    assert join["cooperative:sticky"]["moved"] == ["p2"] and join["cooperative:sticky"]["after"]["c4"] == ["p2"]
    leave = v["cooperative:sticky"]["rebalances"][1]
    assert leave["rounds"] == 1 and leave["moved"] == ["o0", "p0"]
    assert leave["after"] == {"c2": ["o1", "p1"], "c3": ["o0", "o2"], "c4": ["p0", "p2"]}
    counts = trace["summary"]["final_topic_counts"]
    assert counts["eager:range"] == {"c3": {"orders": 2, "payments": 2}, "c4": {"orders": 1, "payments": 1}}
    for name in ("eager:roundrobin", "cooperative:sticky"):
        assert sorted(sum(c.values()) for c in counts[name].values()) == [3, 3]


def catalog_trace() -> dict[str, Any]:
    entry = load_catalog().get(cg.ID)
    params = resolve_params(cg.PARAMS, dict(entry.params), cg.check_params)
    assert params == DEFAULTS, "catalog params must equal the simulator's defaults"
    return cached_run(entry.seed, dict(entry.params))


def test_catalog_story() -> None:
    trace = catalog_trace()
    check_all(trace)
    v, summary = trace["variants"], trace["summary"]
    join_t = summary["event_times"][0]["t"]
    # hook / eager join: every tile greys out while c4 joins
    eager = v["eager:range"]["steps"]
    assert len(eager[join_t]["paused"]) == 6 and eager[join_t - 1]["paused"] == []
    # cooperative join: all six keep flowing in round 1; only p2 waits in round 2
    coop = v["cooperative:sticky"]["steps"]
    rb = v["cooperative:sticky"]["rebalances"][0]
    assert all(s["paused"] == [] for s in coop[rb["start_t"]:rb["syncs"][0]["t"]])
    assert all(s["paused"] == ["p2"] for s in coop[rb["syncs"][0]["t"]:rb["end_t"]])
    assert "revoke c3 p2" in coop[rb["syncs"][0]["t"]]["events"] and "assign c4 p2" in coop[rb["end_t"]]["events"]
    # the crash: detected only at last heartbeat + 10, while o1 and p1 pile up lag
    (ev,) = summary["evictions"]
    assert ev["member"] == "c2" and ev["evict_t"] == ev["last_heartbeat"] + 10 and ev["evict_t"] > ev["crash_t"]
    crash_rb = v["cooperative:sticky"]["rebalances"][2]
    assert crash_rb["trigger"] == "timeout" and crash_rb["start_t"] == ev["evict_t"] and crash_rb["rounds"] == 1
    lag_o1 = [s["lag"]["o1"] for s in coop[ev["crash_t"]:ev["evict_t"] + 1]]
    assert lag_o1[-1] > lag_o1[0]
    assert crash_rb["after"] == {"c3": ["o0", "o1", "o2"], "c4": ["p0", "p1", "p2"]}
    # scoreboard: cooperative pauses less in every event
    board = {(r["variant"], r["trigger"]): r for r in summary["scoreboard"]}
    for trigger in ("join", "leave", "timeout"):
        assert board[("cooperative:sticky", trigger)]["paused_partition_ticks"] < \
            board[("eager:range", trigger)]["paused_partition_ticks"] == 18
    assert summary["totals"]["cooperative:sticky"]["paused_partition_ticks"] < \
        summary["totals"]["eager:range"]["paused_partition_ticks"]


# ---------------------------------------------------------------- determinism, purity, params
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    code = ("import sys; from sims.consumer_group_rebalancing import simulate; "
            "sys.stdout.write(simulate(7).to_json()); "
            "sys.stdout.write(simulate(3, variants=['eager:sticky', 'cooperative:sticky'], event_jitter=5).to_json()); "
            "print('manim' in sys.modules)")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second
    assert first.decode().startswith(cg.simulate(7).to_json())
    assert first.strip().endswith(b"False"), "importing the simulator pulled in manim"
    assert cg.simulate(8).to_json() != cg.simulate(7).to_json()


def test_trace_shape_and_size() -> None:
    trace = cg.simulate(7)
    assert trace.id == cg.ID == "consumer-group-rebalancing" and trace.params == DEFAULTS
    assert len(trace.to_json()) < 1_000_000 and len(trace.steps) == 80
    assert [p["name"] for p in trace.extra["meta"]["partitions"]] == ["o0", "o1", "o2", "p0", "p1", "p2"]


@pytest.mark.parametrize("params, field", [
    ({"event_jitter": -1}, "event_jitter"), ({"event_jitter": 6}, "event_jitter"),
    ({"heartbeat_interval": 0}, "heartbeat_interval"), ({"heartbeat_interval": 21}, "heartbeat_interval"),
    ({"session_timeout": 1}, "session_timeout"), ({"session_timeout": 61}, "session_timeout"),
    ({"join_ticks": 0}, "join_ticks"), ({"join_ticks": 11}, "join_ticks"),
    ({"sync_ticks": 0}, "sync_ticks"), ({"sync_ticks": 11}, "sync_ticks"),
    ({"process_rate": -1}, "process_rate"), ({"process_rate": 11}, "process_rate"),
    ({"duration": 0}, "duration"), ({"duration": 241}, "duration"),
    ({"topics": {}}, "topics"), ({"topics": {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1}}, "topics"),
    ({"topics": {"orders": 0}}, "topics"), ({"topics": {"orders": 9}}, "topics"),
    ({"topics": {"orders": 3, "outbox": 3}}, "topics"), ({"topics": {"Orders": 3}}, "topics"),
    ({"topics": {"orders": 3.0}}, "topics"), ({"topics": [["orders", 3]]}, "topics"),
    ({"initial_members": []}, "initial_members"), ({"initial_members": ["c1", "c1"]}, "initial_members"),
    ({"initial_members": [f"c{i}" for i in range(9)]}, "initial_members"),
    ({"initial_members": ["C1"]}, "initial_members"), ({"initial_members": ["toolongid"]}, "initial_members"),
    ({"events": [["rejoin", "c4", 12]]}, "events"), ({"events": [["join", "c4"]]}, "events"),
    ({"events": [["join", "c4", -1]]}, "events"), ({"events": [["join", "c4", 1.5]]}, "events"),
    ({"events": [["join", "c4", i * 9] for i in range(9)]}, "events"),
    ({"variants": []}, "variants"), ({"variants": ["cooperative:range"]}, "variants"),
    ({"variants": ["eager:range", "eager:range"]}, "variants"),
    ({"bogus": 1}, "bogus"), ({"duration": 80.0}, "duration"),
    # cross-field
    ({"session_timeout": 3}, "session_timeout"),
    ({"events": [["join", "c4", 12], ["leave", "c1", 14]]}, "events"),  # gap within the jitter
    ({"events": [["join", "c4", 78]]}, "events"),  # 78 + jitter 2 past the last tick 79
    ({"events": [["join", "c1", 12]]}, "events"),  # already a member
    ({"events": [["leave", "c9", 12]]}, "events"),  # not a member
    ({"events": [["crash", "c2", 12], ["leave", "c2", 20]]}, "events"),  # crashed
    ({"events": [["crash", "c2", 12], ["join", "c2", 20]]}, "events"),  # crashed members never return
    ({"initial_members": ["c1"], "events": [["leave", "c1", 12]]}, "events"),  # nobody left
    ({"initial_members": [f"c{i}" for i in range(1, 9)],
      "events": [["join", "c9", 10], ["leave", "c1", 20], ["join", "zed", 30]]}, "events"),  # ten members
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        cg.simulate(0, **params)
    assert err.value.field == field


def test_range_edges_are_accepted() -> None:
    cg.simulate(0, event_jitter=0, heartbeat_interval=1, session_timeout=2, join_ticks=1, sync_ticks=1,
                process_rate=0, duration=1, events=[], topics={"a": 1}, initial_members=["a"], variants=["eager:sticky"])
    cg.simulate(0, event_jitter=5, heartbeat_interval=20, session_timeout=60, join_ticks=10, sync_ticks=10,
                process_rate=10, duration=240, topics={"a": 8, "b": 8, "c": 8, "d": 8},
                initial_members=[f"c{i}" for i in range(1, 9)], variants=list(cg.VARIANTS),
                events=[["join", "c9", 10], ["leave", "c1", 30], ["crash", "c2", 60], ["join", "c1", 90]])


def test_negative_or_bool_seed_is_a_param_error() -> None:
    for seed in (-1, True):
        with pytest.raises(ParamError) as err:
            cg.simulate(seed)
        assert err.value.field == "seed"


def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py):
    how many partitions the newcomer gets under the first eager assignor, how many partitions the
    cooperative join moves (only those pause), and when the crashed member is evicted."""
    variants = trace["params"]["variants"]
    eager = next(v for v in variants if v.startswith("eager"))
    coop = next(v for v in variants if v.startswith("cooperative"))
    newcomer = next(e["member"] for e in trace["summary"]["event_times"] if e["kind"] == "join")

    def join(variant: str) -> dict[str, Any]:
        return next(r for r in trace["variants"][variant]["rebalances"] if r["trigger"] == "join")

    return [str(len(join(eager)["after"].get(newcomer, []))), str(len(join(coop)["moved"])),
            f"at {trace['summary']['evictions'][0]['evict_t']} s"]
