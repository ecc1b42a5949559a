"""Kafka topic partitioning: keys pick partitions, a consumer group reads them side by side.

Model
-----
One producer sends one record per tick (ticks 0 .. n_messages - 1) into one topic made of
`partitions` append-only logs; the broker appends each record at once, so a record's offset is
its position in its partition's log. A keyed record goes to the Java client's partition for its
key: murmur2 (seed 0x9747b28c) over the key's UTF-8 bytes, sign bit cleared with 0x7fffffff, modulo
the partition count. A null-key record follows `null_key_strategy`: "sticky" keeps one partition
for `sticky_batch` null-key records and then moves to a different partition drawn by the seed;
"round_robin" sends the k-th null-key record to (start + k) mod partitions, start drawn by the seed.
The first records sent are `scripted_prefix`, then `null_burst` null-key records, then records drawn
from `keys` (or null with probability `null_key_ratio`). One consumer group of `consumers` members
c1, c2, ... owns the partitions by the range rule; each member polls on its own seeded schedule
(gaps of `poll_ticks` ticks), reads one record per poll and takes its partitions in turn, skipping
those with nothing unread. Within a tick the produce comes first, then the polls in member order.
The run ends on the tick the last record is read.

Invariants
----------
1. Every keyed record is in partition (murmur2(key) & 0x7fffffff) % partitions; equal keys share a partition.
2. In every partition, offsets are 0, 1, 2, ... with no gap, in send order.
3. Within one partition delivery order equals offset order; for any key, delivery order equals send order.
4. At every step each partition has exactly one owner; consumers beyond the partition count own nothing.
5. Sticky null keys share a partition in runs of exactly sticky_batch (the last may be shorter), consecutive
   runs on different partitions when partitions > 1; round robin puts the k-th null key on (start + k) % partitions.
6. At the end every sent record has been delivered exactly once.
7. The remap to repartition_to partitions uses the same hash, and moved_keys lists exactly the keys that change.

Leaves out
----------
Records go one at a time: there are no batches, bytes, linger time or compression, and the sticky
switch counts records where Kafka 3.3 and later count batch bytes and may redraw the same partition.
Brokers never fail, nothing is replicated, and consumers commit no offsets. The group's assignment is
fixed for the whole run; the other group sizes are shown as range-rule snapshots, without a rebalance.

Trace
-----
`steps`: one per produce or poll, in (tick, produce first, member id) order: `t`, `event` ("produce",
"poll", or "idle" for a poll that found nothing unread), `record` (`id`, `key`, `value`, `partition`,
`offset`, `null_key_reason` "sticky" | "round_robin" | null; null on idle), `consumer` (null on a
produce), and the state after the event: `logs` (record ids per partition, in offset order),
`positions` (partition as a string -> next offset to read), `consumed` (member -> ids in delivery
order), `lag` (member -> unread records in its partitions), `assignment` (member -> sorted partitions).
`meta.hash_table`: per distinct key (the `keys`, then other prefix keys) `key`, `murmur2_signed`,
`murmur2_unsigned`, `positive`, `partition`, `repartition`. `summary`: `global_send_order`,
`global_delivery_order`, `per_key_partition`, `assignments_by_count` (str(count) -> member ->
partitions), `remap` (key -> [old, new]), `moved_keys`, `stayed_keys`, and, per beat:
`scripted_ids`, `repeat_key` (first prefix key sent twice, with `repeat_ids`), `null_burst_ids`,
`null_runs` ({partition, ids, reason}), `first_order_break` (first delivery index that differs
from send order, or null), `consumed_counts`, `end_t`, `idle_consumers` (per group size), and
`single_reader` (the hook: one log read by one member on c1's poll ticks, with its lag per tick).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, NamedTuple, Sequence

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "MURMUR2_SEED", "check_params", "simulate",
    "murmur2", "to_positive", "partition_for_key", "range_assign", "member_ids",
    "StickyState", "sticky_null_partition", "round_robin_null_partition",
    "build_sends", "append_record", "poll_once", "hash_table", "remap_keys",
]

ID = "kafka-topic-partitioning"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {"partitions": 2, "repartition_to": 3, "consumer_counts": [1, 2, 3],
                                    "sticky_batch": 2}
MURMUR2_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK32 = 0xFFFFFFFF
MAX_TICKS = 2_000  # safety bound; every valid parameter set ends far sooner
STRATEGIES = ("sticky", "round_robin")


# ---------------------------------------------------------------- Kafka's rules (shared by the Kafka sims)
def murmur2(data: bytes) -> int:
    """The Java client's murmur2 (``Utils.murmur2``) as Java returns it: a signed 32-bit int."""
    length = len(data)
    h = (MURMUR2_SEED ^ length) & _MASK32
    for i in range(0, length - length % 4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * _M) & _MASK32
        k ^= k >> 24
        k = (k * _M) & _MASK32
        h = ((h * _M) & _MASK32) ^ k
    tail, rest = length & ~3, length % 4
    if rest >= 3:
        h ^= data[tail + 2] << 16
    if rest >= 2:
        h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]
        h = (h * _M) & _MASK32
    h ^= h >> 13
    h = (h * _M) & _MASK32
    h ^= h >> 15
    return h - (1 << 32) if h >= 1 << 31 else h


def to_positive(h: int) -> int:
    """Kafka's ``Utils.toPositive``: clear the sign bit (not ``abs``)."""
    return h & 0x7FFFFFFF


def partition_for_key(key: str, partitions: int) -> int:
    """The default partitioner's choice for a non-null key."""
    return to_positive(murmur2(key.encode("utf-8"))) % partitions


def member_ids(count: int) -> list[str]:
    """Consumer ids c1 .. c<count>."""
    return [f"c{i}" for i in range(1, count + 1)]


def range_assign(members: Iterable[str], topics: Mapping[str, int]) -> dict[str, list[tuple[str, int]]]:
    """RangeAssignor: per topic, partitions in order over members sorted by id; the first get one extra.

    Every member subscribes to every topic. Returns member -> sorted (topic, partition) pairs.
    """
    ordered = sorted(members)
    out: dict[str, list[tuple[str, int]]] = {m: [] for m in ordered}
    if not ordered:
        return out
    for topic in sorted(topics):
        count = topics[topic]
        each, extra = divmod(count, len(ordered))
        start = 0
        for i, member in enumerate(ordered):
            length = each + (1 if i < extra else 0)
            out[member].extend((topic, p) for p in range(start, start + length))
            start += length
    return {m: sorted(parts) for m, parts in out.items()}


# ---------------------------------------------------------------- parameters
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_key(value: Any, where: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 24:
        raise ValueError(f"{where}: expected a key of 1-24 characters, got {value!r}")
    return value


def _check_keys(value: Any) -> list[str]:
    if not 1 <= len(value) <= 12:
        raise ValueError(f"expected 1-12 keys, got {len(value)}")
    keys = [_check_key(k, f"entry {i}") for i, k in enumerate(value)]
    if len(set(keys)) != len(keys):
        raise ValueError("keys must be distinct")
    return keys


def _check_prefix(value: Any) -> list[str | None]:
    if len(value) > 30:
        raise ValueError(f"expected at most 30 entries, got {len(value)}")
    return [None if k is None else _check_key(k, f"entry {i}") for i, k in enumerate(value)]


def _check_strategy(value: Any) -> str:
    if value not in STRATEGIES:
        raise ValueError(f"expected one of {', '.join(STRATEGIES)}, got {value!r}")
    return value


def _check_counts(value: Any) -> list[int]:
    if not 1 <= len(value) <= 6 or not all(_is_int(v) and 1 <= v <= 9 for v in value):
        raise ValueError(f"expected 1-6 group sizes, each an integer 1-9, got {value!r}")
    if len(set(value)) != len(value):
        raise ValueError(f"group sizes must be distinct, got {value!r}")
    return list(value)


def _check_poll_ticks(value: Any) -> list[int]:
    if len(value) != 2 or not all(_is_int(v) for v in value) or not 1 <= value[0] <= value[1] <= 10:
        raise ValueError(f"expected [min, max] with 1 <= min <= max <= 10, got {value!r}")
    return list(value)


PARAMS: tuple[Param, ...] = (
    Param("partitions", int, 3, 1, 12, "partitions in the topic"),
    Param("keys", list, ["alice", "bob", "carol", "dave", "erin"], help="keys the drawn records use",
          validate=_check_keys),
    Param("scripted_prefix", list, ["alice", "bob", "carol", "dave", "erin", "alice"],
          help="keys sent first, in order (null = no key)", validate=_check_prefix),
    Param("null_burst", int, 4, 0, 30, "null-key records sent right after the prefix"),
    Param("n_messages", int, 18, 1, 60, "records sent in all"),
    Param("null_key_ratio", float, 0.25, 0.0, 1.0, "chance that a drawn record has no key"),
    Param("null_key_strategy", str, "sticky", help="sticky | round_robin", validate=_check_strategy),
    Param("sticky_batch", int, 3, 1, 16, "null-key records per sticky run"),
    Param("consumers", int, 2, 1, 9, "members of the consumer group"),
    Param("consumer_counts", list, [2, 3, 4], help="group sizes for the assignment snapshots",
          validate=_check_counts),
    Param("repartition_to", int, 4, 1, 12, "partition count after the repartition"),
    Param("poll_ticks", list, [1, 3], help="[min, max] ticks between one member's polls",
          validate=_check_poll_ticks),
)


def check_params(p: dict[str, Any]) -> None:
    """Cross-field check: the prefix and the null burst fit into n_messages."""
    scripted = len(p["scripted_prefix"]) + p["null_burst"]
    if scripted > p["n_messages"]:
        raise ParamError("n_messages", f"{p['n_messages']} is below len(scripted_prefix) + null_burst = {scripted}")


# ---------------------------------------------------------------- transitions
class StickyState(NamedTuple):
    partition: int  # -1 before the first null-key record
    used: int       # null-key records sent to `partition` in the current run


def sticky_null_partition(state: StickyState, partitions: int, batch: int,
                          rng: np.random.Generator) -> tuple[int, StickyState]:
    """Sticky partitioner (Kafka 2.4-3.2): stay for ``batch`` records, then move to another partition."""
    if state.partition < 0:
        part = int(rng.integers(partitions))
        return part, StickyState(part, 1)
    if state.used < batch:
        return state.partition, StickyState(state.partition, state.used + 1)
    if partitions == 1:
        return 0, StickyState(0, 1)
    draw = int(rng.integers(partitions - 1))
    part = draw + (draw >= state.partition)  # uniform over the other partitions
    return part, StickyState(part, 1)


def round_robin_null_partition(start: int, k: int, partitions: int) -> int:
    """Pre-2.4 Java behaviour: the k-th null-key record (k from 0) goes to (start + k) mod partitions."""
    return (start + k) % partitions


def build_sends(p: Mapping[str, Any], key_rng: np.random.Generator,
                value_rng: np.random.Generator) -> list[dict[str, Any]]:
    """The records in send order: prefix, null burst, then drawn keys (null with null_key_ratio)."""
    keys: list[str | None] = list(p["scripted_prefix"]) + [None] * p["null_burst"]
    drawn = p["n_messages"] - len(keys)
    is_null = key_rng.random(drawn) < p["null_key_ratio"]
    picks = key_rng.integers(len(p["keys"]), size=drawn)
    keys += [None if null else p["keys"][int(i)] for null, i in zip(is_null.tolist(), picks.tolist())]
    values = value_rng.integers(100, 1000, size=len(keys)).tolist()
    return [{"id": i, "key": key, "value": int(v)} for i, (key, v) in enumerate(zip(keys, values))]


def append_record(logs: list[list[int]], record: dict[str, Any], partition: int) -> dict[str, Any]:
    """The broker appends ``record`` to ``partition``; returns the record with partition and offset."""
    out = {**record, "partition": partition, "offset": len(logs[partition])}
    logs[partition].append(record["id"])
    return out


def poll_once(owned: Sequence[int], turn: int, logs: Sequence[Sequence[int]],
              positions: Sequence[int]) -> tuple[int | None, int]:
    """One poll: the first owned partition from ``turn`` on with an unread record.

    Returns (partition or None, next turn); the turn moves past the partition read.
    """
    for j in range(len(owned)):
        idx = (turn + j) % len(owned)
        part = owned[idx]
        if positions[part] < len(logs[part]):
            return part, (idx + 1) % len(owned)
    return None, turn


def hash_table(keys: Sequence[str], partitions: int, repartition_to: int) -> list[dict[str, Any]]:
    rows = []
    for key in keys:
        signed = murmur2(key.encode("utf-8"))
        rows.append({"key": key, "murmur2_signed": signed, "murmur2_unsigned": signed & _MASK32,
                     "positive": to_positive(signed), "partition": to_positive(signed) % partitions,
                     "repartition": to_positive(signed) % repartition_to})
    return rows


def remap_keys(keys: Sequence[str], before: int, after: int) -> tuple[dict[str, list[int]], list[str]]:
    remap = {k: [partition_for_key(k, before), partition_for_key(k, after)] for k in keys}
    return remap, sorted(k for k, (a, b) in remap.items() if a != b)


# ---------------------------------------------------------------- the run
def _distinct_keys(p: Mapping[str, Any]) -> list[str]:
    keys = list(p["keys"])
    for key in p["scripted_prefix"]:
        if key is not None and key not in keys:
            keys.append(key)
    return keys


def _null_runs(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    for rec in records:
        if rec["key"] is not None:
            continue
        if runs and runs[-1]["partition"] == rec["partition"] and rec["null_key_reason"] == "sticky" \
                and runs[-1]["sticky_run"] == rec["sticky_run"]:
            runs[-1]["ids"].append(rec["id"])
        else:
            runs.append({"partition": rec["partition"], "ids": [rec["id"]], "reason": rec["null_key_reason"],
                         "sticky_run": rec.get("sticky_run")})
    return [{"partition": r["partition"], "ids": r["ids"], "reason": r["reason"]} for r in runs]


def simulate(seed: int, **params: Any) -> Trace:
    """Produce, partition and consume one run; see the module docstring for the trace."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    rng = np.random.default_rng(seed)
    key_rng, value_rng, null_rng, poll_rng = rng.spawn(4)
    n_parts, n = p["partitions"], p["n_messages"]
    sends = build_sends(p, key_rng, value_rng)

    members = member_ids(p["consumers"])
    assignment = {m: [tp for _, tp in parts] for m, parts in range_assign(members, {"t": n_parts}).items()}
    lo, hi = p["poll_ticks"]
    next_poll = {m: int(poll_rng.integers(lo, hi + 1)) for m in members}
    turn = {m: 0 for m in members}

    logs: list[list[int]] = [[] for _ in range(n_parts)]
    positions = [0] * n_parts
    consumed: dict[str, list[int]] = {m: [] for m in members}
    rr_start = int(null_rng.integers(n_parts)) if p["null_key_strategy"] == "round_robin" else 0
    sticky, sticky_run, null_k = StickyState(-1, 0), -1, 0
    records: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    poll_ticks_c1: list[int] = []
    delivered = 0

    def snapshot(t: int, event: str, record: dict[str, Any] | None, consumer: str | None) -> None:
        lag = {m: sum(len(logs[q]) - positions[q] for q in assignment[m]) for m in members}
        steps.append({"t": t, "event": event, "record": None if record is None else dict(record),
                      "consumer": consumer, "logs": [list(log) for log in logs],
                      "positions": {str(q): positions[q] for q in range(n_parts)},
                      "consumed": {m: list(ids) for m, ids in consumed.items()}, "lag": lag,
                      "assignment": {m: list(parts) for m, parts in assignment.items()}})

    t = 0
    while delivered < n:
        if t > MAX_TICKS:  # pragma: no cover - unreachable for valid params
            raise RuntimeError("run did not finish")
        if t < n:
            send = sends[t]
            if send["key"] is not None:
                part, reason = partition_for_key(send["key"], n_parts), None
            elif p["null_key_strategy"] == "sticky":
                part, sticky = sticky_null_partition(sticky, n_parts, p["sticky_batch"], null_rng)
                sticky_run += sticky.used == 1
                reason = "sticky"
            else:
                part, reason = round_robin_null_partition(rr_start, null_k, n_parts), "round_robin"
            if send["key"] is None:
                null_k += 1
            rec = append_record(logs, {**send, "null_key_reason": reason}, part)
            records.append({**rec, "sticky_run": sticky_run if reason == "sticky" else None})
            snapshot(t, "produce", rec, None)
        for m in members:
            if next_poll[m] != t or not assignment[m] or delivered == n:
                continue
            if m == members[0]:
                poll_ticks_c1.append(t)
            next_poll[m] = t + int(poll_rng.integers(lo, hi + 1))
            part, turn[m] = poll_once(assignment[m], turn[m], logs, positions)
            if part is None:
                snapshot(t, "idle", None, m)
                continue
            rid = logs[part][positions[part]]
            positions[part] += 1
            consumed[m].append(rid)
            delivered += 1
            rec = {k: v for k, v in records[rid].items() if k != "sticky_run"}
            snapshot(t, "poll", rec, m)
        t += 1

    return _finish(seed, p, steps, records, poll_ticks_c1)


def _single_reader(n: int, poll_ticks: Sequence[int]) -> dict[str, Any]:
    """The hook: all records in one log, one reader taking one record on each of c1's poll ticks."""
    polls = set(poll_ticks)
    read, lag = 0, []
    for t in range(n):
        if t in polls:
            read += 1
        lag.append(t + 1 - read)
    return {"poll_ticks": [t for t in poll_ticks if t < n], "lag": lag}


def _finish(seed: int, p: dict[str, Any], steps: list[dict[str, Any]], records: list[dict[str, Any]],
            poll_ticks_c1: list[int]) -> Trace:
    keys = _distinct_keys(p)
    remap, moved = remap_keys(keys, p["partitions"], p["repartition_to"])
    send_order = [r["id"] for r in records]
    delivery = [s["record"]["id"] for s in steps if s["event"] == "poll"]
    first_break = next((i for i, (a, b) in enumerate(zip(send_order, delivery)) if a != b), None)
    prefix = p["scripted_prefix"]
    seen: dict[str, int] = {}
    repeat_key = None
    for i, key in enumerate(prefix):
        if key is not None and key in seen:
            repeat_key = {"key": key, "ids": [j for j, k in enumerate(prefix) if k == key]}
            break
        if key is not None:
            seen[key] = i
    by_count: dict[str, dict[str, list[int]]] = {}
    idle: dict[str, list[str]] = {}
    for count in p["consumer_counts"]:
        assign = range_assign(member_ids(count), {"t": p["partitions"]})
        by_count[str(count)] = {m: [q for _, q in parts] for m, parts in assign.items()}
        idle[str(count)] = [m for m, parts in assign.items() if not parts]
    final = steps[-1]
    summary = {
        "global_send_order": send_order,
        "global_delivery_order": delivery,
        "per_key_partition": {k: remap[k][0] for k in keys},
        "assignments_by_count": by_count,
        "idle_consumers": idle,
        "remap": remap,
        "moved_keys": moved,
        "stayed_keys": sorted(k for k in keys if k not in moved),
        "scripted_ids": list(range(len(prefix))),
        "repeat_key": repeat_key,
        "null_burst_ids": list(range(len(prefix), len(prefix) + p["null_burst"])),
        "null_runs": _null_runs(records),
        "first_order_break": first_break,
        "consumed_counts": {m: len(ids) for m, ids in final["consumed"].items()},
        "end_t": final["t"],
        "single_reader": _single_reader(p["n_messages"], poll_ticks_c1),
    }
    meta = {"hash_table": hash_table(keys, p["partitions"], p["repartition_to"])}
    return Trace(id=ID, seed=seed, params=p, steps=steps, summary=summary, extra={"meta": meta})
