"""Tests for sims.kafka_topic_partitioning: the storyboard's invariants checked from the trace JSON alone
against kafka-python 3.0.12 (its murmur2 for every hashed key, its RangePartitionAssignor for every
recorded assignment), the published murmur2 vectors, hand cases of the rules, the catalog story,
determinism and parameter errors."""

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

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():  # kafka-python 3.0.12 loads its schemas with deprecated importlib.resources calls
    warnings.simplefilter("ignore", DeprecationWarning)
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.partitioner.default import murmur2 as kp_murmur2
    from kafka.protocol.consumer.metadata import ConsumerProtocolSubscription
    from kafka.protocol.old.group import GroupMember

from render.catalog import load_catalog
from sims import kafka_topic_partitioning as ktp
from sims.params import ParamError, resolve_params

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = {p.name: p.default for p in ktp.PARAMS}
PROPERTY = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
EVENTS = {"produce", "poll", "idle"}

# Kafka's own utility-test vectors (signed Java ints), plus "" (computed).
JAVA_VECTORS = {
    "21": -973932308,
    "foobar": -790332482,
    "a-little-bit-long-string": -985981536,
    "a-little-bit-longer-string": -1486304829,
    "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    "abc": 479470107,
    "": 275646681,
}
# The storyboard's demo-key table: key -> (signed murmur2, masked, % 3, % 4).
DEMO_KEYS = {
    "alice": (1951417749, 1951417749, 0, 1),
    "bob": (-2048144690, 99338958, 0, 2),
    "carol": (271431602, 271431602, 2, 2),
    "dave": (1727131798, 1727131798, 1, 2),
    "erin": (708372308, 708372308, 2, 0),
}


# ---------------------------------------------------------------- references (kafka-python 3.0.12)
def signed32(h: int) -> int:
    return h - 2**32 if h >= 2**31 else h


@functools.lru_cache(maxsize=None)
def ref_partition(key: str, partitions: int) -> int:
    return (kp_murmur2(key.encode("utf-8")) & 0x7FFFFFFF) % partitions


class StubCluster:
    def __init__(self, topics: dict[str, int]) -> None:
        self._topics = topics

    def topics(self) -> set[str]:
        return set(self._topics)

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(range(self._topics[topic])) if topic in self._topics else None


@functools.lru_cache(maxsize=None)
def ref_range(members: tuple[str, ...], topics: tuple[tuple[str, int], ...]) -> dict[str, list[tuple[str, int]]]:
    """kafka-python's RangePartitionAssignor: member -> sorted (topic, partition)."""
    names = [t for t, _ in topics]
    group = [GroupMember(m, None, ConsumerProtocolSubscription(0, names, b"")) for m in members]
    out = RangePartitionAssignor.assign(StubCluster(dict(topics)), group)
    return {m: sorted((t, p) for t, ps in a.assigned_partitions for p in ps) for m, a in out.items()}


def ref_single_topic(count: int, partitions: int) -> dict[str, list[int]]:
    members = tuple(f"c{i}" for i in range(1, count + 1))
    return {m: [p for _, p in parts] for m, parts in ref_range(members, (("t", partitions),)).items()}


# ---------------------------------------------------------------- trace helpers
def run(seed: int, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return json.loads(ktp.simulate(seed, **(params or {})).to_json())


@functools.lru_cache(maxsize=None)
def _cached(seed: int, params_json: str) -> str:
    return ktp.simulate(seed, **json.loads(params_json)).to_json()


def cached_run(seed: int, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return json.loads(_cached(seed, json.dumps(params or {}, sort_keys=True)))


def produced(trace: dict[str, Any]) -> list[dict[str, Any]]:
    return [s["record"] for s in trace["steps"] if s["event"] == "produce"]


def deliveries(trace: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(s["consumer"], s["record"]) for s in trace["steps"] if s["event"] == "poll"]


def expected_keys(params: dict[str, Any]) -> list[str]:
    keys = list(params["keys"])
    keys += [k for k in dict.fromkeys(params["scripted_prefix"]) if k is not None and k not in keys]
    return keys


# ---------------------------------------------------------------- checkers (read the trace JSON only)
def check_keyed_partition(trace: dict[str, Any]) -> None:
    """Invariant 1, against kafka-python's murmur2 for every key the trace hashes."""
    p = trace["params"]
    n = p["partitions"]
    where: dict[str, set[int]] = {}
    for rec in produced(trace):
        if rec["key"] is not None:
            assert rec["partition"] == ref_partition(rec["key"], n), f"record {rec['id']} ({rec['key']!r})"
            where.setdefault(rec["key"], set()).add(rec["partition"])
    assert all(len(parts) == 1 for parts in where.values())
    rows = trace["meta"]["hash_table"]
    assert [row["key"] for row in rows] == expected_keys(p)
    for row in rows:
        h = kp_murmur2(row["key"].encode("utf-8"))
        assert row["murmur2_unsigned"] == h and row["murmur2_signed"] == signed32(h), row["key"]
        assert row["positive"] == h & 0x7FFFFFFF
        assert row["partition"] == ref_partition(row["key"], n)
        assert row["repartition"] == ref_partition(row["key"], p["repartition_to"])
    assert trace["summary"]["per_key_partition"] == {k: ref_partition(k, n) for k in expected_keys(p)}


def check_offsets(trace: dict[str, Any]) -> None:
    """Invariant 2: gap-free offsets per partition in send order; logs only grow by appends."""
    p = trace["params"]
    recs = produced(trace)
    assert [r["id"] for r in recs] == list(range(p["n_messages"]))
    produce_steps = [s for s in trace["steps"] if s["event"] == "produce"]
    assert [s["t"] for s in produce_steps] == list(range(p["n_messages"])), "one send per tick from 0"
    next_offset = [0] * p["partitions"]
    for rec in recs:
        assert 0 <= rec["partition"] < p["partitions"]
        assert rec["offset"] == next_offset[rec["partition"]], f"record {rec['id']}"
        next_offset[rec["partition"]] += 1
    final = [[r["id"] for r in recs if r["partition"] == q] for q in range(p["partitions"])]
    prev = [[] for _ in range(p["partitions"])]
    for step in trace["steps"]:
        logs = step["logs"]
        assert len(logs) == p["partitions"]
        if step["event"] == "produce":
            rec = step["record"]
            expect = [list(log) for log in prev]
            expect[rec["partition"]].append(rec["id"])
            assert logs == expect
        else:
            assert logs == prev
        prev = logs
    assert prev == final


def check_delivery_order(trace: dict[str, Any]) -> None:
    """Invariant 3: per partition in offset order; per key in send order."""
    sent = {r["id"]: r for r in produced(trace)}
    per_part: dict[int, list[int]] = {}
    per_key: dict[str, list[int]] = {}
    for _, rec in deliveries(trace):
        assert rec == sent[rec["id"]], "a delivered record differs from the one sent"
        per_part.setdefault(rec["partition"], []).append(rec["offset"])
        if rec["key"] is not None:
            per_key.setdefault(rec["key"], []).append(rec["id"])
    for part, offsets in per_part.items():
        assert offsets == list(range(len(offsets))), f"partition {part} delivered out of offset order"
    for key, ids in per_key.items():
        assert ids == sorted(ids), f"key {key!r} delivered out of send order"


def check_ownership(trace: dict[str, Any]) -> None:
    """Invariant 4, every recorded assignment against kafka-python's RangePartitionAssignor."""
    p = trace["params"]
    n = p["partitions"]
    ref = ref_single_topic(p["consumers"], n)
    for step in trace["steps"]:
        owners = [q for parts in step["assignment"].values() for q in parts]
        assert sorted(owners) == list(range(n)), "a partition has no owner or two"
        assert step["assignment"] == ref
        if step["event"] in ("poll", "idle"):
            assert step["assignment"][step["consumer"]], "a member that owns nothing polled"
        if step["event"] == "poll":
            assert step["record"]["partition"] in step["assignment"][step["consumer"]]
    by_count = trace["summary"]["assignments_by_count"]
    assert sorted(by_count) == sorted(str(c) for c in p["consumer_counts"])
    for count in p["consumer_counts"]:
        assignment = by_count[str(count)]
        assert assignment == ref_single_topic(count, n)
        assert sorted(q for parts in assignment.values() for q in parts) == list(range(n))
        idle = [f"c{i}" for i in range(n + 1, count + 1)]
        assert all(assignment[m] == [] for m in idle)
        assert trace["summary"]["idle_consumers"][str(count)] == idle


def check_null_keys(trace: dict[str, Any]) -> None:
    """Invariant 5: sticky runs of exactly sticky_batch on changing partitions; round robin (start + k)."""
    p = trace["params"]
    n, batch = p["partitions"], p["sticky_batch"]
    nulls = [r for r in produced(trace) if r["key"] is None]
    for rec in produced(trace):
        assert rec["null_key_reason"] == (None if rec["key"] is not None else p["null_key_strategy"])
    parts = [r["partition"] for r in nulls]
    if p["null_key_strategy"] == "sticky":
        chunks = [parts[i:i + batch] for i in range(0, len(parts), batch)]
        for i, chunk in enumerate(chunks):
            assert len(set(chunk)) == 1, f"sticky run {i} spans partitions {chunk}"
            if i and n > 1:
                assert chunk[0] != chunks[i - 1][0], f"sticky run {i} stayed on partition {chunk[0]}"
        runs = [{"partition": c[0], "ids": [r["id"] for r in nulls[i * batch:(i + 1) * batch]], "reason": "sticky"}
                for i, c in enumerate(chunks)]
    else:
        for k, part in enumerate(parts):
            assert part == (parts[0] + k) % n, f"null-key record {k} not round robin"
        runs = [{"partition": r["partition"], "ids": [r["id"]], "reason": "round_robin"} for r in nulls]
    assert trace["summary"]["null_runs"] == runs


def check_exactly_once(trace: dict[str, Any]) -> None:
    """Invariant 6: every sent record delivered once; the run ends with nothing unread."""
    p = trace["params"]
    ids = [rec["id"] for _, rec in deliveries(trace)]
    assert sorted(ids) == list(range(p["n_messages"])), "a record was lost or delivered twice"
    last = trace["steps"][-1]
    assert last["event"] == "poll", "the run should end on the last delivery"
    assert sorted(i for got in last["consumed"].values() for i in got) == list(range(p["n_messages"]))
    assert all(v == 0 for v in last["lag"].values())
    summary = trace["summary"]
    assert summary["global_send_order"] == list(range(p["n_messages"]))
    assert summary["global_delivery_order"] == ids
    assert summary["end_t"] == last["t"]
    assert summary["consumed_counts"] == {m: len(v) for m, v in last["consumed"].items()}


def check_remap(trace: dict[str, Any]) -> None:
    """Invariant 7, against kafka-python's murmur2."""
    p = trace["params"]
    keys = expected_keys(p)
    remap = trace["summary"]["remap"]
    assert sorted(remap) == sorted(keys)
    for key in keys:
        assert remap[key] == [ref_partition(key, p["partitions"]), ref_partition(key, p["repartition_to"])]
    assert trace["summary"]["moved_keys"] == sorted(k for k in keys if remap[k][0] != remap[k][1])
    assert trace["summary"]["stayed_keys"] == sorted(k for k in keys if remap[k][0] == remap[k][1])


def check_bookkeeping(trace: dict[str, Any]) -> None:
    """State fields agree with the events: positions, consumed, lag, poll schedule, same-tick order."""
    p = trace["params"]
    lo, hi = p["poll_ticks"]
    members = [f"c{i}" for i in range(1, p["consumers"] + 1)]
    positions = {str(q): 0 for q in range(p["partitions"])}
    consumed: dict[str, list[int]] = {m: [] for m in members}
    polls: dict[str, list[int]] = {m: [] for m in members}
    last_key = (-1, -1, "")
    for step in trace["steps"]:
        assert step["event"] in EVENTS
        order = (step["t"], 0 if step["event"] == "produce" else 1, step["consumer"] or "")
        assert order > last_key, "steps out of (tick, produce, member) order"
        last_key = order
        if step["event"] == "produce":
            assert step["consumer"] is None and step["record"]["id"] == step["t"]
        else:
            polls[step["consumer"]].append(step["t"])
        if step["event"] == "poll":
            rec = step["record"]
            assert positions[str(rec["partition"])] == rec["offset"]
            positions[str(rec["partition"])] += 1
            consumed[step["consumer"]].append(rec["id"])
        if step["event"] == "idle":
            assert step["record"] is None
            mine = step["assignment"][step["consumer"]]
            assert all(step["positions"][str(q)] == len(step["logs"][q]) for q in mine), "idle with unread records"
        assert step["positions"] == positions and step["consumed"] == consumed
        for m in members:
            assert step["lag"][m] == sum(len(step["logs"][q]) - positions[str(q)] for q in step["assignment"][m])
    for m, ticks in polls.items():
        gaps = [b - a for a, b in zip([0] + ticks, ticks)]
        assert all(lo <= g <= hi for g in gaps), f"{m} polled off its schedule: {ticks}"
    single = trace["summary"]["single_reader"]
    c1 = [t for t in polls["c1"] if t < p["n_messages"]]
    assert single["poll_ticks"] == c1
    lag, read = [], 0
    for t in range(p["n_messages"]):
        read += t in c1
        lag.append(t + 1 - read)
    assert single["lag"] == lag and all(x >= 0 for x in lag)


def check_beats(trace: dict[str, Any]) -> None:
    """The summary fields the beats quote, recomputed from the steps and params."""
    p, summary = trace["params"], trace["summary"]
    recs = produced(trace)
    prefix = p["scripted_prefix"]
    assert [r["key"] for r in recs[:len(prefix)]] == prefix and summary["scripted_ids"] == list(range(len(prefix)))
    burst = list(range(len(prefix), len(prefix) + p["null_burst"]))
    assert summary["null_burst_ids"] == burst and all(recs[i]["key"] is None for i in burst)
    for rec in recs[len(prefix) + p["null_burst"]:]:
        assert rec["key"] is None or rec["key"] in p["keys"]
    assert all(100 <= r["value"] <= 999 for r in recs)
    repeated = [k for i, k in enumerate(prefix) if k is not None and k in prefix[:i]]
    if repeated:
        key = next(k for i, k in enumerate(prefix) if k is not None and k in prefix[:i])
        assert summary["repeat_key"] == {"key": key, "ids": [i for i, k in enumerate(prefix) if k == key]}
    else:
        assert summary["repeat_key"] is None
    send, got = summary["global_send_order"], summary["global_delivery_order"]
    diffs = [i for i, (a, b) in enumerate(zip(send, got)) if a != b]
    assert summary["first_order_break"] == (diffs[0] if diffs else None)


INVARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "1 keyed partition": check_keyed_partition,
    "2 offsets": check_offsets,
    "3 delivery order": check_delivery_order,
    "4 ownership": check_ownership,
    "5 null keys": check_null_keys,
    "6 exactly once": check_exactly_once,
    "7 remap": check_remap,
    "bookkeeping": check_bookkeeping,
    "beats": check_beats,
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
POOL = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "zoë", "ключ", "鍵", "k", "user-42", "a b"]
key_text = st.one_of(st.sampled_from(POOL), st.text(min_size=1, max_size=24))


@st.composite
def param_sets(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(key_text, min_size=1, max_size=12, unique=True))
    n_messages = draw(st.integers(1, 60))
    null_burst = draw(st.integers(0, min(30, n_messages)))
    prefix_len = draw(st.integers(0, min(30, n_messages - null_burst)))
    prefix = draw(st.lists(st.one_of(st.none(), st.sampled_from(keys), key_text),
                           min_size=prefix_len, max_size=prefix_len))
    lo = draw(st.integers(1, 10))
    return {
        "partitions": draw(st.integers(1, 12)),
        "keys": keys,
        "scripted_prefix": prefix,
        "null_burst": null_burst,
        "n_messages": n_messages,
        "null_key_ratio": draw(st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))),
        "null_key_strategy": draw(st.sampled_from(["sticky", "round_robin"])),
        "sticky_batch": draw(st.integers(1, 16)),
        "consumers": draw(st.integers(1, 9)),
        "consumer_counts": draw(st.lists(st.integers(1, 9), min_size=1, max_size=6, unique=True)),
        "repartition_to": draw(st.integers(1, 12)),
        "poll_ticks": sorted([lo, draw(st.integers(lo, 10))]),
    }


# ---------------------------------------------------------------- invariants as properties
@PROPERTY
@given(seed=seeds, params=param_sets())
def test_invariants_hold_for_any_seed_and_params(seed: int, params: dict[str, Any]) -> None:
    check_all(run(seed, params), f"seed={seed} params={params}")


@pytest.mark.parametrize("seed", [0, 1, 7, 2024])
def test_invariants_on_defaults(seed: int) -> None:
    check_all(cached_run(seed))


@pytest.mark.parametrize("params", [
    {"partitions": 1},
    {"partitions": 12, "consumers": 9, "repartition_to": 1},
    {"null_key_strategy": "round_robin", "null_key_ratio": 1.0, "n_messages": 60},
    {"sticky_batch": 1, "null_key_ratio": 1.0, "partitions": 2},
    {"sticky_batch": 16, "null_burst": 30, "n_messages": 60, "scripted_prefix": []},
    {"poll_ticks": [10, 10], "consumers": 1},
    {"scripted_prefix": [None, "alice", None], "null_burst": 0, "n_messages": 3},
])
def test_invariants_on_edge_params(params: dict[str, Any]) -> None:
    for seed in range(5):
        check_all(run(seed, params), f"seed={seed}")


# ---------------------------------------------------------------- the checkers catch corrupted traces
def _corrupt_partition(t: dict[str, Any]) -> None:
    rec = next(s["record"] for s in t["steps"] if s["event"] == "produce" and s["record"]["key"] == "bob")
    rec["partition"] = 2  # abs() instead of the mask


def _corrupt_offset(t: dict[str, Any]) -> None:
    t["steps"][1]["record"]["offset"] += 1


def _swap_deliveries(t: dict[str, Any]) -> None:
    polls = [s for s in t["steps"] if s["event"] == "poll"]
    for a, b in zip(polls, polls[1:]):
        if a["record"]["partition"] == b["record"]["partition"]:
            a["record"], b["record"] = b["record"], a["record"]
            return
    raise AssertionError("no two deliveries from one partition")


def _double_owner(t: dict[str, Any]) -> None:
    t["steps"][3]["assignment"]["c2"].append(0)


def _unbalanced_snapshot(t: dict[str, Any]) -> None:
    t["summary"]["assignments_by_count"]["4"] = {"c1": [], "c2": [0], "c3": [1], "c4": [2]}


def _sticky_stays(t: dict[str, Any]) -> None:
    nulls = [s["record"] for s in t["steps"] if s["event"] == "produce" and s["record"]["key"] is None]
    nulls[3]["partition"] = nulls[0]["partition"]


def _lose_record(t: dict[str, Any]) -> None:
    last_poll = [s for s in t["steps"] if s["event"] == "poll"][-1]
    last_poll["record"] = copy.deepcopy([s for s in t["steps"] if s["event"] == "poll"][0]["record"])


def _wrong_remap(t: dict[str, Any]) -> None:
    t["summary"]["moved_keys"] = ["alice", "bob", "carol", "dave", "erin"]


def _wrong_lag(t: dict[str, Any]) -> None:
    t["steps"][5]["lag"]["c1"] += 1


def _wrong_break(t: dict[str, Any]) -> None:
    t["summary"]["first_order_break"] = None


@pytest.mark.parametrize("mutate, check", [
    (_corrupt_partition, check_keyed_partition),
    (_corrupt_offset, check_offsets),
    (_swap_deliveries, check_delivery_order),
    (_double_owner, check_ownership),
    (_unbalanced_snapshot, check_ownership),
    (_sticky_stays, check_null_keys),
    (_lose_record, check_exactly_once),
    (_wrong_remap, check_remap),
    (_wrong_lag, check_bookkeeping),
    (_wrong_break, check_beats),
])
def test_checkers_catch_corrupted_traces(mutate: Callable[[dict[str, Any]], None],
                                         check: Callable[[dict[str, Any]], None]) -> None:
    trace = cached_run(7)
    check(trace)  # the real trace passes ...
    broken = copy.deepcopy(trace)
    mutate(broken)
    with pytest.raises(AssertionError):  # ... and the corrupted one does not
        check(broken)


# ---------------------------------------------------------------- planted simulator bugs are caught
def _abs_positive(h: int) -> int:
    return abs(h)


def _range_extra_last(members: Any, topics: Any) -> dict[str, list[tuple[str, int]]]:
    ordered = sorted(members)[::-1]
    out = {m: [] for m in sorted(members)}
    for topic, count in sorted(topics.items()):
        each, extra = divmod(count, len(ordered))
        start = 0
        for i, m in enumerate(ordered):
            length = each + (i < extra)
            out[m].extend((topic, q) for q in range(start, start + length))
            start += length
    return {m: sorted(v) for m, v in out.items()}


def _never_switch(state: Any, partitions: int, batch: int, rng: Any) -> tuple[int, Any]:
    part = 0 if state.partition < 0 else state.partition
    return part, ktp.StickyState(part, state.used + 1)


@pytest.mark.parametrize("target, bug, check", [
    ("to_positive", _abs_positive, check_keyed_partition),
    ("range_assign", _range_extra_last, check_ownership),
    ("sticky_null_partition", _never_switch, check_null_keys),
])
def test_planted_bugs_are_caught(target: str, bug: Callable[..., Any], check: Callable[[dict[str, Any]], None]) -> None:
    with mock.patch.object(ktp, target, bug):
        trace = run(7)
    with pytest.raises(AssertionError):
        check(trace)


# ---------------------------------------------------------------- murmur2 and the partitioner against kafka-python
@pytest.mark.parametrize("text, expected", list(JAVA_VECTORS.items()))
def test_murmur2_java_vectors(text: str, expected: int) -> None:
    assert ktp.murmur2(text.encode()) == expected
    assert signed32(kp_murmur2(text.encode())) == expected


def test_foobar_with_50_partitions_is_16() -> None:
    assert ktp.partition_for_key("foobar", 50) == 16 == ref_partition("foobar", 50)


@pytest.mark.parametrize("key", list(DEMO_KEYS))
def test_demo_key_table(key: str) -> None:
    signed, masked, mod3, mod4 = DEMO_KEYS[key]
    assert ktp.murmur2(key.encode()) == signed == signed32(kp_murmur2(key.encode()))
    assert ktp.to_positive(signed) == masked
    assert masked % 3 == mod3 == ktp.partition_for_key(key, 3) == ref_partition(key, 3)
    assert masked % 4 == mod4 == ktp.partition_for_key(key, 4) == ref_partition(key, 4)


def test_bob_is_the_abs_trap() -> None:
    h = ktp.murmur2(b"bob")
    assert h < 0 and abs(h) % 3 == 2 and ktp.to_positive(h) % 3 == 0 == ktp.partition_for_key("bob", 3)
    assert ktp.to_positive(-1) == 0x7FFFFFFF and ktp.to_positive(-(2**31)) == 0


def test_three_to_four_partitions_moves_all_but_carol() -> None:
    remap, moved = ktp.remap_keys(list(DEMO_KEYS), 3, 4)
    assert moved == ["alice", "bob", "dave", "erin"]
    assert remap["carol"] == [2, 2]


@settings(max_examples=300, deadline=None, database=None)
@given(data=st.binary(max_size=80))
def test_murmur2_matches_kafka_python_on_bytes(data: bytes) -> None:
    assert ktp.murmur2(data) == signed32(kp_murmur2(data))


@settings(max_examples=200, deadline=None, database=None)
@given(key=st.text(max_size=40), partitions=st.integers(1, 1000))
def test_partition_for_key_matches_kafka_python(key: str, partitions: int) -> None:
    assert ktp.partition_for_key(key, partitions) == ref_partition(key, partitions)


member_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=8)
topic_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)


@settings(max_examples=200, deadline=None, database=None)
@given(members=st.lists(member_name, min_size=1, max_size=9, unique=True),
       topics=st.dictionaries(topic_name, st.integers(1, 12), min_size=1, max_size=4))
def test_range_assign_matches_kafka_python(members: list[str], topics: dict[str, int]) -> None:
    ours = ktp.range_assign(members, topics)
    assert ours == ref_range(tuple(members), tuple(sorted(topics.items())))


# ---------------------------------------------------------------- transition rules on their own
def test_range_split_hand_cases() -> None:
    assert ktp.range_assign(["c1", "c2"], {"t": 3}) == {"c1": [("t", 0), ("t", 1)], "c2": [("t", 2)]}
    assert ktp.range_assign(["c3", "c1", "c2"], {"t": 3}) == {"c1": [("t", 0)], "c2": [("t", 1)], "c3": [("t", 2)]}
    four = ktp.range_assign(ktp.member_ids(4), {"t": 3})
    assert four["c4"] == [] and [len(v) for v in four.values()] == [1, 1, 1, 0]
    # the textbook case: two members, two topics of three -> 4 vs 2
    two = ktp.range_assign(["c1", "c2"], {"orders": 3, "payments": 3})
    assert two == {"c1": [("orders", 0), ("orders", 1), ("payments", 0), ("payments", 1)],
                   "c2": [("orders", 2), ("payments", 2)]}


def test_sticky_null_partition_stays_for_a_batch_then_moves() -> None:
    rng = np.random.default_rng(3)
    state = ktp.StickyState(-1, 0)
    seen = []
    for _ in range(9):
        part, state = ktp.sticky_null_partition(state, 4, 3, rng)
        seen.append(part)
    assert seen[0:3] == [seen[0]] * 3 and seen[3:6] == [seen[3]] * 3 and seen[6:9] == [seen[6]] * 3
    assert seen[0] != seen[3] != seen[6]
    assert state == ktp.StickyState(seen[8], 3)
    # one partition: stays on 0 and starts a new run count
    part, state = ktp.sticky_null_partition(ktp.StickyState(0, 2), 1, 2, rng)
    assert (part, state) == (0, ktp.StickyState(0, 1))


def test_sticky_switch_is_uniform_over_the_other_partitions() -> None:
    rng = np.random.default_rng(11)
    counts = [0] * 4
    for _ in range(4000):
        part, _ = ktp.sticky_null_partition(ktp.StickyState(2, 1), 4, 1, rng)
        counts[part] += 1
    assert counts[2] == 0 and all(1200 <= c <= 1470 for i, c in enumerate(counts) if i != 2)


def test_round_robin_null_partition() -> None:
    assert [ktp.round_robin_null_partition(2, k, 3) for k in range(5)] == [2, 0, 1, 2, 0]


def test_append_record_and_poll_once() -> None:
    logs: list[list[int]] = [[], [0]]
    rec = ktp.append_record(logs, {"id": 1, "key": "a"}, 1)
    assert rec == {"id": 1, "key": "a", "partition": 1, "offset": 1} and logs == [[], [0, 1]]
    owned = [0, 1, 2]
    logs3, positions = [[5], [], [6, 7]], [0, 0, 0]
    assert ktp.poll_once(owned, 0, logs3, positions) == (0, 1)
    positions[0] = 1
    assert ktp.poll_once(owned, 1, logs3, positions) == (2, 0)  # skips the empty partition 1
    assert ktp.poll_once(owned, 0, logs3, [1, 0, 2]) == (None, 0)
    assert ktp.poll_once([2, 0], 1, logs3, [0, 0, 0]) == (0, 0)


def test_build_sends_layout() -> None:
    p = resolve_params(ktp.PARAMS, {"null_key_ratio": 0.0}, ktp.check_params)
    rng = np.random.default_rng(0)
    sends = ktp.build_sends(p, rng, rng)
    keys = [s["key"] for s in sends]
    assert keys[:6] == DEFAULTS["scripted_prefix"] and keys[6:10] == [None] * 4
    assert all(k in DEFAULTS["keys"] for k in keys[10:]) and len(keys) == 18
    p = resolve_params(ktp.PARAMS, {"null_key_ratio": 1.0}, ktp.check_params)
    assert [s["key"] for s in ktp.build_sends(p, rng, rng)][10:] == [None] * 8


# ---------------------------------------------------------------- the catalog story
def catalog_trace() -> dict[str, Any]:
    entry = load_catalog().get(ktp.ID)
    params = resolve_params(ktp.PARAMS, dict(entry.params), ktp.check_params)
    assert params == DEFAULTS, "catalog params must equal the simulator's defaults"
    return cached_run(entry.seed, dict(entry.params))


def test_catalog_story() -> None:
    trace = catalog_trace()
    summary = trace["summary"]
    check_all(trace)
    recs = produced(trace)
    # keys choose the partition (beat 17-33), same key same line with P0 offsets 0,1,2 (beat 33-43)
    assert summary["per_key_partition"] == {"alice": 0, "bob": 0, "carol": 2, "dave": 1, "erin": 2}
    assert summary["repeat_key"] == {"key": "alice", "ids": [0, 5]}
    p0 = [r for r in recs if r["partition"] == 0]
    assert [(r["key"], r["offset"]) for r in p0[:3]] == [("alice", 0), ("bob", 1), ("alice", 2)]
    # keyless records: a batch of 3 on one partition, then a jump (beat 43-53)
    first, second = summary["null_runs"][:2]
    assert first["ids"] == [6, 7, 8] and second["ids"][0] == 9 and first["partition"] != second["partition"]
    # no global order (beat 53-65)
    assert summary["global_delivery_order"] != summary["global_send_order"]
    assert summary["first_order_break"] is not None
    # consumer group (beat 65-80): both members read; c3 gets one each; c4 idles
    assert all(count > 0 for count in summary["consumed_counts"].values())
    assert summary["assignments_by_count"] == {"2": {"c1": [0, 1], "c2": [2]},
                                               "3": {"c1": [0], "c2": [1], "c3": [2]},
                                               "4": {"c1": [0], "c2": [1], "c3": [2], "c4": []}}
    # changing the count (beat 80-90)
    assert summary["moved_keys"] == ["alice", "bob", "dave", "erin"] and summary["stayed_keys"] == ["carol"]
    assert summary["remap"]["carol"] == [2, 2]
    # the hook: one reader falls behind
    lag = summary["single_reader"]["lag"]
    assert max(lag) > lag[0] and lag[-1] > 1


@pytest.mark.parametrize("seed", range(0, 40))
def test_defaults_story_holds_for_other_seeds(seed: int) -> None:
    summary = cached_run(seed)["summary"]
    assert summary["null_runs"][0]["ids"] == [6, 7, 8]
    assert summary["null_runs"][1]["partition"] != summary["null_runs"][0]["partition"]
    assert summary["first_order_break"] is not None
    assert 15 <= summary["end_t"] <= 60


# ---------------------------------------------------------------- determinism, purity, params
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    code = ("import sys; from sims.kafka_topic_partitioning import simulate; "
            "sys.stdout.write(simulate(7).to_json()); "
            "sys.stdout.write(simulate(3, null_key_strategy='round_robin', partitions=5).to_json()); "
            "print('manim' in sys.modules)")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second
    assert first.decode().startswith(ktp.simulate(7).to_json())
    assert first.strip().endswith(b"False"), "importing the simulator pulled in manim"
    assert ktp.simulate(8).to_json() != ktp.simulate(7).to_json()


def test_trace_shape_and_size() -> None:
    trace = ktp.simulate(7)
    assert trace.id == ktp.ID == "kafka-topic-partitioning" and trace.params == DEFAULTS
    assert len(trace.to_json()) < 1_000_000
    big = ktp.simulate(1, n_messages=60, consumers=9, partitions=12, poll_ticks=[10, 10])
    assert len(big.to_json()) < 1_000_000


@pytest.mark.parametrize("params, field", [
    ({"partitions": 0}, "partitions"), ({"partitions": 13}, "partitions"),
    ({"null_burst": -1}, "null_burst"), ({"null_burst": 31}, "null_burst"),
    ({"n_messages": 0}, "n_messages"), ({"n_messages": 61}, "n_messages"),
    ({"null_key_ratio": -1e-9}, "null_key_ratio"), ({"null_key_ratio": 1 + 1e-9}, "null_key_ratio"),
    ({"sticky_batch": 0}, "sticky_batch"), ({"sticky_batch": 17}, "sticky_batch"),
    ({"consumers": 0}, "consumers"), ({"consumers": 10}, "consumers"),
    ({"repartition_to": 0}, "repartition_to"), ({"repartition_to": 13}, "repartition_to"),
    ({"keys": []}, "keys"), ({"keys": [f"k{i}" for i in range(13)]}, "keys"), ({"keys": ["a", "a"]}, "keys"),
    ({"keys": [""]}, "keys"), ({"keys": ["x" * 25]}, "keys"), ({"keys": [3]}, "keys"), ({"keys": "alice"}, "keys"),
    ({"scripted_prefix": ["a"] * 31, "n_messages": 60}, "scripted_prefix"), ({"scripted_prefix": [""]}, "scripted_prefix"),
    ({"null_key_strategy": "random"}, "null_key_strategy"),
    ({"consumer_counts": []}, "consumer_counts"), ({"consumer_counts": [0]}, "consumer_counts"),
    ({"consumer_counts": [10]}, "consumer_counts"), ({"consumer_counts": [1] * 7}, "consumer_counts"),
    ({"consumer_counts": [True]}, "consumer_counts"), ({"consumer_counts": [2, 2]}, "consumer_counts"),
    ({"poll_ticks": [0, 3]}, "poll_ticks"), ({"poll_ticks": [3, 1]}, "poll_ticks"),
    ({"poll_ticks": [1, 11]}, "poll_ticks"), ({"poll_ticks": [1]}, "poll_ticks"), ({"poll_ticks": [1.0, 2]}, "poll_ticks"),
    ({"partitions": 3.0}, "partitions"), ({"bogus": 1}, "bogus"),
    # cross-field: the prefix and the burst must fit
    ({"n_messages": 9}, "n_messages"),
    ({"scripted_prefix": ["a"] * 20, "null_burst": 10, "n_messages": 29}, "n_messages"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        ktp.simulate(0, **params)
    assert err.value.field == field


def test_range_edges_are_accepted() -> None:
    ktp.simulate(0, partitions=1, null_burst=0, n_messages=1, scripted_prefix=[], null_key_ratio=0.0,
                 sticky_batch=1, consumers=1, repartition_to=1, poll_ticks=[1, 1], consumer_counts=[1])
    ktp.simulate(0, partitions=12, null_burst=30, n_messages=60, scripted_prefix=["a"] * 30, null_key_ratio=1.0,
                 sticky_batch=16, consumers=9, repartition_to=12, poll_ticks=[10, 10], consumer_counts=[9, 8, 7, 6, 5, 4])
    ktp.simulate(0, n_messages=10)  # exactly the prefix plus the burst


def test_negative_or_bool_seed_is_a_param_error() -> None:
    for seed in (-1, True):
        with pytest.raises(ParamError) as err:
            ktp.simulate(seed)
        assert err.value.field == "seed"


def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py):
    where the repeated key's next record goes, how many members of the largest other group size sit
    idle, and how many keys move when the partition count changes."""
    p, s = trace["params"], trace["summary"]
    answers = []
    if s["repeat_key"]:
        answers.append(f"P{s['per_key_partition'][s['repeat_key']['key']]}")
    counts = sorted(c for c in p["consumer_counts"] if c != p["consumers"])
    if counts and s["idle_consumers"][str(counts[-1])]:
        answers.append(str(len(s["idle_consumers"][str(counts[-1])])))
    answers.append(str(len(s["moved_keys"])))
    return answers
