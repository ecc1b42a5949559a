"""Consumer group rebalancing: joins, leaves and crashes under eager and cooperative protocols.

Model
-----
Time runs in integer ticks (a tick stands for a second). Topics are split into partitions named by
the topic's first letter and index (o0 o1 o2 p0 p1 p2), always in (topic, index) order. Members
join, leave or crash at the scripted ticks (each shifted by 0..event_jitter ticks drawn by the
seed); every live member heartbeats every heartbeat_interval ticks at its own seeded phase, and the
coordinator evicts a silent member exactly session_timeout ticks after its last heartbeat. A join,
a leave (LeaveGroup, handled at once) or an eviction starts a rebalance: a round of join_ticks of
JoinGroup and sync_ticks of SyncGroup, whose assignment lands at the start of the next tick and
raises the generation by one. Under the eager protocol every member gives up all its partitions
when the round starts and nothing is processed until the sync. Under the cooperative protocol
(sticky assignor only) members keep consuming; at the sync each member drops only the partitions
that must move, and if any were dropped a second round follows at once to hand them over. A
membership change during a rebalance restarts it at round 1 with the new member list. Assignors:
range (per topic, members sorted by id, the first get the extra), round robin (all partitions dealt
to members sorted by id) and sticky (the Java client's original sticky algorithm as kafka-python
3.0.12 runs it: members keep what they own, unowned partitions go in order to the member with the
fewest, ties by id, then partitions move from the fullest members until counts differ by at most
one). Each partition receives 0-2 records per tick (seeded, the same for every variant); a live
owner processes up to process_rate of them per tick unless the partition is paused. Within a tick:
a finished sync lands, then the scripted events, heartbeats, evictions, round starts, processing.

Invariants
----------
1. No partition ever has two owners; in every Stable step each partition has one owner, in the group.
2. The generation rises by exactly 1 at each sync and never falls.
3. Eager: in every step with round > 0, every partition is unowned and paused.
4. Cooperative: a partition keeping a live owner through a rebalance is never paused; a moving
   partition is given up first and assigned later, never handed across directly.
5. After each rebalance, round robin and sticky counts differ by at most 1; range by at most 1 per topic.
6. A crashed member is evicted exactly at last_heartbeat + session_timeout and then owns nothing; a
   leaving member's rebalance starts on the tick it leaves.
7. Each sync's assignment equals the reference assignor's for its member list (sticky: given the
   previous assignment), and a sticky rebalance that no restart interrupted moves the fewest partitions.
8. For every partition, lag = arrivals - processed >= 0, and processing happens only with a live,
   unpaused owner.

Leaves out
----------
Rebalances here take fixed numbers of ticks and no message is ever lost or late, so there is no
rebalance timeout, no max.poll.interval and no retrying of JoinGroup. A crashed member is noticed
only through missed heartbeats, and until then it stays in the member list and may even be handed
partitions. There are no static members, no offset commits, no reprocessing after a move, and no
broker-side protocol (KIP-848).

Trace
-----
Top-level `steps`, one per tick and shared by every variant (membership does not depend on the
protocol): `t`, `event` (the tick's main event: join, leave, crash, evict, heartbeat or tick),
`events`, `members` ({id, alive, in_group, is_leader, last_heartbeat, silence}), `arrivals` and
`arrived` (per partition). `variants[name]` holds `initial` (the generation-1 assignment at tick 0),
`steps` (per tick, index t pairs with the shared step t for the members: `t`, `event` (join, leave,
crash, evict, sync, heartbeat or tick), `group_state`, `generation`, `round` (0 when Stable),
`owner`, `paused` (sorted, not processed this tick), `lag` (processed = shared `arrived` - lag),
`events` such as "sync gen 3", "revoke c3 p2", "assign c4 p2", "rebalance round 2") and
`rebalances` (`trigger`, `member`, `start_t`, `end_t` (the tick the last sync lands), `rounds`,
`changes` (every membership change it absorbed), `restarts` (those that restarted it), `before`,
`after`, `moved`, `paused_partition_ticks`, `completed`, and `syncs` with each sync's tick,
generation, round, members, the assignor's `input`, sticky `target` and `assigned` output).
`meta.partitions` names the partitions. `summary`: `event_times` (jittered), `evictions`
({member, crash_t, last_heartbeat, evict_t}), `phases` (heartbeat phase per member), `scoreboard`
(one row per variant and rebalance: moved count, paused partition-ticks, rounds, `duration_t` = end_t -
start_t), and per variant `totals` (moved, paused partition-ticks, rebalances, final generation, max
lag), `final_owner`, `final_topic_counts` (member -> topic -> count) and `final_counts` (member -> count).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from sims.kafka_topic_partitioning import range_assign
from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "VARIANTS", "check_params", "simulate",
    "all_partitions", "partition_name", "range_assign", "roundrobin_assign", "sticky_assign",
    "cooperative_assign", "assign", "jitter_events", "membership_timeline", "run_variant",
    "process_tick", "moved_partitions", "min_sticky_moves",
]

ID = "consumer-group-rebalancing"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {"session_timeout": 12, "process_rate": 3}
VARIANTS = ("eager:range", "eager:roundrobin", "eager:sticky", "cooperative:sticky")
EVENT_KINDS = ("join", "leave", "crash")
TP = tuple[str, int]
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,15}")
_MEMBER = re.compile(r"[a-z][a-z0-9_-]{0,7}")
MAX_MEMBERS = 9


# ---------------------------------------------------------------- partitions and assignors
def all_partitions(topics: Mapping[str, int]) -> list[TP]:
    """Every (topic, index), sorted."""
    return sorted((t, i) for t in topics for i in range(topics[t]))


def partition_name(tp: TP) -> str:
    return _NAMES.get(tp) or _NAMES.setdefault(tp, f"{tp[0][0]}{tp[1]}")


_NAMES: dict[TP, str] = {}


def roundrobin_assign(members: Iterable[str], topics: Mapping[str, int]) -> dict[str, list[TP]]:
    """RoundRobinAssignor: all partitions in order, dealt to the members sorted by id."""
    ordered = sorted(members)
    out: dict[str, list[TP]] = {m: [] for m in ordered}
    for i, tp in enumerate(all_partitions(topics)):
        out[ordered[i % len(ordered)]].append(tp)
    return out


def sticky_assign(members: Iterable[str], topics: Mapping[str, int],
                  current: Mapping[str, Sequence[TP]]) -> dict[str, list[TP]]:
    """The original sticky algorithm (Java's pre-2.4 ``StickyAssignor``), as kafka-python 3.0.12 runs it,
    for members that all subscribe to every topic and own disjoint partitions.

    1. List reassignment candidates: repeatedly take the member with the most partitions still
       listed (ties: the larger id) and list its highest partition; then the unowned ones in order.
    2. Give each unowned partition, in that order, to the member with the fewest (ties: smaller id).
    3. While counts differ by more than one, walk the newly assigned partitions, then the list,
       moving a partition whose owner has more than the emptiest member + 1 to the emptiest member
       (undoing an earlier opposite move of the same topic instead, when there was one).
    4. Keep the result only if it is a fresh assignment, nothing moved in the last walk, or it
       lowered the balance score (sum of pairwise count differences).
    """
    ordered = sorted(members)
    parts = all_partitions(topics)
    valid = set(parts)
    cur = {m: [tp for tp in sorted(current.get(m, ())) if tp in valid] for m in ordered}
    owner = {tp: m for m in ordered for tp in cur[m]}
    fresh = not owner
    if fresh:
        order = list(parts)
    else:
        remaining = {m: list(cur[m]) for m in ordered}
        order, live = [], set(ordered)
        while live:
            m = max(live, key=lambda c: (len(remaining[c]), c))
            live.remove(m)
            if remaining[m]:
                order.append(remaining[m].pop())
                live.add(m)
        listed = set(order)
        order += [tp for tp in parts if tp not in listed]
    unassigned = [tp for tp in order if tp not in owner]

    def emptiest() -> str:
        return min(ordered, key=lambda c: (len(cur[c]), c))

    for tp in unassigned:
        m = emptiest()
        cur[m].append(tp)
        owner[tp] = m
    if len(ordered) < 2:
        return {m: sorted(v) for m, v in cur.items()}
    before_walk = {m: list(v) for m, v in cur.items()}
    moves: dict[TP, tuple[str, str]] = {}
    by_topic: dict[str, dict[tuple[str, str], set[TP]]] = {}

    def record(tp: TP, pair: tuple[str, str]) -> None:
        moves[tp] = pair
        by_topic.setdefault(tp[0], {}).setdefault(pair, set()).add(tp)

    def move(tp: TP, new: str) -> None:
        old = owner[tp]
        if tp in moves:
            src, _ = pair = moves.pop(tp)
            pairs = by_topic[tp[0]]
            pairs[pair].discard(tp)
            if not pairs[pair]:
                del pairs[pair]
            if not pairs:
                del by_topic[tp[0]]
            if src != new:
                record(tp, (src, new))
        else:
            record(tp, (old, new))
        cur[old].remove(tp)
        cur[new].append(tp)
        owner[tp] = new

    def to_be_moved(tp: TP, old: str, new: str) -> TP:
        if tp[0] not in by_topic:
            return tp
        if tp in moves:
            old = moves[tp][0]
        back = by_topic[tp[0]].get((new, old))
        return min(back) if back else tp

    def balanced() -> bool:
        counts = [len(cur[m]) for m in ordered]
        return min(counts) >= max(counts) - 1

    def walk(candidates: list[TP]) -> bool:
        performed = False
        while True:
            modified = False
            for tp in candidates:
                if balanced():
                    break
                if any(len(cur[owner[tp]]) > len(cur[o]) + 1 for o in ordered):
                    new, old = emptiest(), owner[tp]
                    swap = to_be_moved(tp, old, new)
                    if owner[swap] != old:
                        move(tp, owner[swap])
                    move(swap, new)
                    performed = modified = True
            if not modified:
                return performed

    def score(assignment: Mapping[str, list[TP]]) -> int:
        counts = [len(assignment[m]) for m in ordered]
        return sum(abs(a - b) for i, a in enumerate(counts) for b in counts[i + 1:])

    walk(unassigned)
    if walk(order) and not fresh and score(cur) >= score(before_walk):
        cur = before_walk
    return {m: sorted(v) for m, v in cur.items()}


def cooperative_assign(members: Iterable[str], topics: Mapping[str, int],
                       owned: Mapping[str, Sequence[TP]]) -> tuple[dict[str, list[TP]], dict[str, list[TP]]]:
    """CooperativeStickyAssignor: the sticky target, minus every partition another member still owns.

    Returns (target, assigned).
    """
    target = sticky_assign(members, topics, owned)
    holder = {tp: m for m, parts in owned.items() for tp in parts}
    assigned = {m: [tp for tp in parts if holder.get(tp, m) == m] for m, parts in target.items()}
    return target, assigned


def assign(assignor: str, members: Iterable[str], topics: Mapping[str, int],
           previous: Mapping[str, Sequence[TP]]) -> dict[str, list[TP]]:
    """One eager assignment: range and round robin from scratch, sticky from ``previous``."""
    if assignor == "range":
        return range_assign(members, topics)
    if assignor == "roundrobin":
        return roundrobin_assign(members, topics)
    return sticky_assign(members, topics, previous)


def min_sticky_moves(members: Sequence[str], n_partitions: int, before: Mapping[str, Sequence[Any]]) -> int:
    """Fewest partitions any balanced assignment must move: the unowned ones (departed members') plus,
    per member, what it holds above its target (quota + 1 for the P % M members ranked first by
    (current count desc, id asc), else quota)."""
    quota, extra = divmod(n_partitions, len(members))
    ranked = sorted(members, key=lambda m: (-len(before.get(m, ())), m))
    target = {m: quota + (i < extra) for i, m in enumerate(ranked)}
    kept = sum(len(before.get(m, ())) for m in members)
    return (n_partitions - kept) + sum(max(0, len(before.get(m, ())) - target[m]) for m in members)


def moved_partitions(before: Mapping[str, Sequence[str]], after: Mapping[str, Sequence[str]]) -> list[str]:
    """Partitions whose owner differs (names sorted)."""
    old = {p: m for m, parts in before.items() for p in parts}
    new = {p: m for m, parts in after.items() for p in parts}
    return sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))


# ---------------------------------------------------------------- parameters
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_topics(value: Any) -> dict[str, int]:
    if not 1 <= len(value) <= 4:
        raise ValueError(f"expected 1-4 topics, got {len(value)}")
    for name, count in value.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"topic {name!r}: expected a lowercase name of 1-16 characters starting with a letter")
        if not _is_int(count) or not 1 <= count <= 8:
            raise ValueError(f"topic {name!r}: expected 1-8 partitions, got {count!r}")
    firsts = [name[0] for name in value]
    if len(set(firsts)) != len(firsts):
        raise ValueError("topic names must start with different letters (partitions are named by it)")
    return dict(value)


def _check_members(value: Any) -> list[str]:
    if not 1 <= len(value) <= 8:
        raise ValueError(f"expected 1-8 members, got {len(value)}")
    for m in value:
        if not isinstance(m, str) or not _MEMBER.fullmatch(m):
            raise ValueError(f"member {m!r}: expected a lowercase id of 1-8 characters starting with a letter")
    if len(set(value)) != len(value):
        raise ValueError("member ids must be distinct")
    return list(value)


def _check_events(value: Any) -> list[list[Any]]:
    if len(value) > 8:
        raise ValueError(f"expected at most 8 events, got {len(value)}")
    out = []
    for i, item in enumerate(value):
        if not (isinstance(item, (list, tuple)) and len(item) == 3 and item[0] in EVENT_KINDS
                and isinstance(item[1], str) and _MEMBER.fullmatch(item[1]) and _is_int(item[2]) and item[2] >= 0):
            raise ValueError(f"entry {i}: expected [join|leave|crash, member, tick >= 0], got {item!r}")
        out.append([item[0], item[1], item[2]])
    return out


def _check_variants(value: Any) -> list[str]:
    if not 1 <= len(value) <= len(VARIANTS) or any(v not in VARIANTS for v in value) or len(set(value)) != len(value):
        raise ValueError(f"expected 1-4 distinct names from {', '.join(VARIANTS)}, got {value!r}")
    return list(value)


PARAMS: tuple[Param, ...] = (
    Param("topics", dict, {"orders": 3, "payments": 3}, help="topic -> partition count", validate=_check_topics),
    Param("initial_members", list, ["c1", "c2", "c3"], help="members at tick 0", validate=_check_members),
    Param("events", list, [["join", "c4", 12], ["leave", "c1", 36], ["crash", "c2", 56]],
          help="[[join|leave|crash, member, tick], ...]", validate=_check_events),
    Param("event_jitter", int, 2, 0, 5, "0..jitter ticks the seed adds to each event"),
    Param("variants", list, ["eager:range", "eager:roundrobin", "cooperative:sticky"],
          help="protocol:assignor runs over the same events", validate=_check_variants),
    Param("heartbeat_interval", int, 3, 1, 20, "ticks between a member's heartbeats"),
    Param("session_timeout", int, 10, 2, 60, "silence after which the coordinator evicts a member"),
    Param("join_ticks", int, 2, 1, 10, "ticks of JoinGroup per round"),
    Param("sync_ticks", int, 1, 1, 10, "ticks of SyncGroup per round"),
    Param("process_rate", int, 2, 0, 10, "records a live owner processes per partition per tick"),
    Param("duration", int, 80, 1, 240, "ticks simulated"),
)


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks: timeout above the heartbeat period, events in order and valid in turn."""
    if p["session_timeout"] <= p["heartbeat_interval"]:
        raise ParamError("session_timeout", f"{p['session_timeout']} must exceed heartbeat_interval "
                         f"{p['heartbeat_interval']}, or live members would be evicted")
    jitter, in_group, alive = p["event_jitter"], set(p["initial_members"]), set(p["initial_members"])
    crashed: set[str] = set()
    seen = set(p["initial_members"])
    last = None
    for i, (kind, member, tick) in enumerate(p["events"]):
        if last is not None and tick <= last + jitter:
            raise ParamError("events", f"entry {i}: tick {tick} must be more than event_jitter={jitter} "
                             f"after the previous event's {last}, so that jitter keeps their order")
        if tick + jitter > p["duration"] - 1:
            raise ParamError("events", f"entry {i}: tick {tick} + event_jitter {jitter} is past the last tick "
                             f"{p['duration'] - 1}")
        last = tick
        if kind == "join":
            if member in in_group or member in crashed:
                raise ParamError("events", f"entry {i}: {member} cannot join (already a member, or crashed)")
            in_group.add(member)
            alive.add(member)
            seen.add(member)
        else:
            if member not in alive:
                raise ParamError("events", f"entry {i}: {member} cannot {kind} (not a live member)")
            alive.discard(member)
            if kind == "leave":
                in_group.discard(member)
            else:
                crashed.add(member)
        if not alive:
            raise ParamError("events", f"entry {i}: the group would have no live member left")
    if len(seen) > MAX_MEMBERS:
        raise ParamError("events", f"at most {MAX_MEMBERS} distinct members in all, got {len(seen)}")


# ---------------------------------------------------------------- shared membership timeline
def jitter_events(events: Sequence[Sequence[Any]], jitter: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """The scripted events at their jittered ticks (order kept: gaps exceed the jitter)."""
    shifts = rng.integers(0, jitter + 1, size=len(events)).tolist()
    return [{"kind": kind, "member": member, "t": int(tick + s)} for (kind, member, tick), s in zip(events, shifts)]


def membership_timeline(p: Mapping[str, Any], events: Sequence[Mapping[str, Any]],
                        phases: Mapping[str, int]) -> list[dict[str, Any]]:
    """Per tick: who joins, leaves, crashes, heartbeats and is evicted, and every member's state after."""
    interval, timeout = p["heartbeat_interval"], p["session_timeout"]
    members: dict[str, dict[str, Any]] = {
        m: {"id": m, "alive": True, "in_group": True, "last_heartbeat": 0} for m in p["initial_members"]}
    crash_t: dict[str, int] = {}
    ticks = []
    for t in range(p["duration"]):
        tick: dict[str, Any] = {"t": t, "join": [], "leave": [], "crash": [], "heartbeat": [], "evict": []}
        for ev in events:
            if ev["t"] != t:
                continue
            m = ev["member"]
            if ev["kind"] == "join":
                members[m] = {"id": m, "alive": True, "in_group": True, "last_heartbeat": t}
            elif ev["kind"] == "leave":
                members[m]["in_group"] = False
            else:
                members[m]["alive"] = False
                crash_t[m] = t
            tick[ev["kind"]].append(m)
        for m in sorted(members):
            state = members[m]
            if state["alive"] and state["in_group"] and (t - phases[m]) % interval == 0:
                state["last_heartbeat"] = t
                tick["heartbeat"].append(m)
        for m in sorted(members):
            state = members[m]
            if state["in_group"] and not state["alive"] and t == state["last_heartbeat"] + timeout:
                state["in_group"] = False
                tick["evict"].append({"member": m, "crash_t": crash_t[m], "last_heartbeat": state["last_heartbeat"]})
        in_group = sorted(m for m, s in members.items() if s["in_group"])
        leader = in_group[0] if in_group else None
        tick["members"] = [{**members[m], "is_leader": m == leader, "silence": t - members[m]["last_heartbeat"]}
                           for m in sorted(members)]
        tick["in_group"] = in_group
        tick["alive"] = sorted(m for m, s in members.items() if s["alive"])
        ticks.append(tick)
    return ticks


# ---------------------------------------------------------------- one variant's coordinator
def process_tick(owner: Mapping[TP, str | None], live: set[str], arrived: dict[TP, int],
                 processed: dict[TP, int], rate: int) -> list[TP]:
    """Owners that are alive process up to ``rate`` records per partition; returns the paused partitions
    (in ``owner``'s order)."""
    paused = []
    for tp in owner:
        m = owner[tp]
        if m is None or m not in live:
            paused.append(tp)
            continue
        processed[tp] += min(rate, arrived[tp] - processed[tp])
    return paused


def _names(assignment: Mapping[str, Sequence[TP]]) -> dict[str, list[str]]:
    return {m: [partition_name(tp) for tp in sorted(parts)] for m, parts in assignment.items()}


def _by_member(owner: Mapping[TP, str | None], members: Iterable[str]) -> dict[str, list[TP]]:
    out: dict[str, list[TP]] = {m: [] for m in members}
    for tp in sorted(owner):
        if owner[tp] is not None:
            out.setdefault(owner[tp], []).append(tp)
    return out


def run_variant(variant: str, p: Mapping[str, Any], timeline: Sequence[Mapping[str, Any]],
                arrivals: Sequence[Sequence[int]]) -> dict[str, Any]:
    """Replay the shared timeline under one protocol:assignor; returns {"initial", "steps", "rebalances"}."""
    protocol, assignor = variant.split(":")
    topics = p["topics"]
    parts = all_partitions(topics)
    names = {tp: partition_name(tp) for tp in parts}
    J, S = p["join_ticks"], p["sync_ticks"]
    members0 = sorted(p["initial_members"])
    first = assign(assignor, members0, topics, {})
    owner: dict[TP, str | None] = {tp: None for tp in parts}
    owner.update((tp, m) for m, tps in first.items() for tp in tps)
    last_assignment: dict[str, list[TP]] = {m: list(v) for m, v in first.items()}  # for eager sticky user data
    generation, rnd, round_start = 1, 0, 0
    record: dict[str, Any] | None = None
    rebalances: list[dict[str, Any]] = []
    arrived = {tp: 0 for tp in parts}
    processed = {tp: 0 for tp in parts}
    steps: list[dict[str, Any]] = []

    for t, tick in enumerate(timeline):
        events: list[str] = []
        synced = False
        group = tick["in_group"]
        # 1. a round whose sync window ended lands its assignment
        if rnd > 0 and t == round_start + J + S:
            sync_members = record["syncs_pending_members"]
            if protocol == "eager":
                prev = {m: last_assignment.get(m, []) for m in sync_members}
                result = assign(assignor, sync_members, topics, prev)
                given_in = _names(prev) if assignor == "sticky" else {}
                target = result
            else:
                owned = _by_member(owner, sync_members)
                target, result = cooperative_assign(sync_members, topics, owned)
                given_in = _names(owned)
            generation += 1
            events.append(f"sync gen {generation}")
            new_owner: dict[TP, str | None] = {tp: None for tp in parts}
            for m, tps in result.items():
                for tp in tps:
                    new_owner[tp] = m
            dropped = False
            for tp in parts:
                if owner[tp] is not None and owner[tp] != new_owner[tp]:
                    events.append(f"revoke {owner[tp]} {partition_name(tp)}")
                    dropped = True
                if new_owner[tp] is not None and owner[tp] != new_owner[tp]:
                    events.append(f"assign {new_owner[tp]} {partition_name(tp)}")
            owner = new_owner
            last_assignment = {m: list(v) for m, v in result.items()}
            record["syncs"].append({"t": t, "generation": generation, "round": rnd, "members": list(sync_members),
                                    "input": given_in, "target": _names(target), "assigned": _names(result)})
            record["rounds"] += 1
            synced = True
            if protocol == "cooperative" and dropped:
                rnd, round_start = rnd + 1, t
                events.append(f"rebalance round {rnd}")
            else:
                rnd = 0
                record["end_t"] = t
                record["after"] = _names(_by_member(owner, sync_members))
                record["completed"] = True
                rebalances.append(_close(record))
                record = None
        # 2. membership changes (shared timeline) and their rebalance
        changes = ([("join", m) for m in tick["join"]] + [("leave", m) for m in tick["leave"]]
                   + [("timeout", e["member"]) for e in tick["evict"]])
        for m in tick["join"]:
            events.append(f"join {m}")
        for m in tick["leave"]:
            events.append(f"leave {m}")
        for m in tick["crash"]:
            events.append(f"crash {m}")
        for m in tick["heartbeat"]:
            events.append(f"heartbeat {m}")
        for e in tick["evict"]:
            events.append(f"evict {e['member']}")
        if changes:
            before_owner = dict(owner)
            departed = set(tick["leave"]) | {e["member"] for e in tick["evict"]}
            for tp in parts:
                if owner[tp] in departed:
                    events.append(f"revoke {owner[tp]} {partition_name(tp)}")
                    owner[tp] = None
            happened = [{"trigger": kind, "member": m, "t": t} for kind, m in changes]
            if record is None:
                everyone = sorted(set(group) | departed)
                record = {"trigger": changes[0][0], "member": changes[0][1], "start_t": t, "end_t": None,
                          "rounds": 0, "changes": happened, "restarts": [],
                          "before": _names(_by_member(before_owner, everyone)),
                          "after": None, "completed": False, "syncs": []}
            else:
                record["changes"].extend(happened)
                record["restarts"].extend(happened)
            rnd, round_start = 1, t
            record["syncs_pending_members"] = list(group)
            events.append("rebalance round 1")
            if protocol == "eager":
                for tp in parts:
                    if owner[tp] is not None:
                        events.append(f"revoke {owner[tp]} {partition_name(tp)}")
                        owner[tp] = None
        elif synced and rnd > 0:
            record["syncs_pending_members"] = list(group)
        # 3. records arrive and owners process them
        for tp, n in zip(parts, arrivals[t]):
            arrived[tp] += n
        paused = process_tick(owner, set(tick["alive"]), arrived, processed, p["process_rate"])
        if record is not None:
            record["paused_partition_ticks"] = record.get("paused_partition_ticks", 0) + len(paused)
        if rnd == 0:
            state = "Stable"
        elif t - round_start < J:
            state = "PreparingRebalance"
        else:
            state = "CompletingRebalance"
        steps.append({
            "t": t, "event": _main_event(tick, synced, bool(changes)), "group_state": state,
            "generation": generation, "round": rnd,
            "owner": {names[tp]: owner[tp] for tp in parts},
            "paused": [names[tp] for tp in paused],
            "lag": {names[tp]: arrived[tp] - processed[tp] for tp in parts},
            "events": events,
        })
    if record is not None:
        rebalances.append(_close(record))
    return {"initial": _names(first), "steps": steps, "rebalances": rebalances}


def _close(record: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in record.items() if k != "syncs_pending_members"}
    out.setdefault("paused_partition_ticks", 0)
    out["moved"] = moved_partitions(out["before"], out["after"]) if out["completed"] else None
    return out


def _main_event(tick: Mapping[str, Any], synced: bool, changed: bool) -> str:
    for kind in ("join", "leave", "crash"):
        if tick[kind]:
            return kind
    if tick["evict"]:
        return "evict"
    if synced:
        return "sync"
    if changed:  # pragma: no cover - every change is a join, leave or evict
        return "rebalance"
    return "heartbeat" if tick["heartbeat"] else "tick"


# ---------------------------------------------------------------- the run
def simulate(seed: int, **params: Any) -> Trace:
    """Replay the jittered membership events under every variant; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    jitter_rng, phase_rng, arrival_rng = np.random.default_rng(seed).spawn(3)
    events = jitter_events(p["events"], p["event_jitter"], jitter_rng)
    everyone = sorted(set(p["initial_members"]) | {e[1] for e in p["events"]})
    phases = dict(zip(everyone, phase_rng.integers(0, p["heartbeat_interval"], size=len(everyone)).tolist()))
    parts = all_partitions(p["topics"])
    arrivals = arrival_rng.integers(0, 3, size=(p["duration"], len(parts))).tolist()
    timeline = membership_timeline(p, events, phases)
    variants = {name: run_variant(name, p, timeline, arrivals) for name in p["variants"]}

    steps = []
    cumulative = [0] * len(parts)
    for tick, row in zip(timeline, arrivals):
        cumulative = [a + b for a, b in zip(cumulative, row)]
        names = [partition_name(tp) for tp in parts]
        steps.append({"t": tick["t"], "event": _main_event(tick, False, False),
                      "events": ([f"join {m}" for m in tick["join"]] + [f"leave {m}" for m in tick["leave"]]
                                 + [f"crash {m}" for m in tick["crash"]] + [f"heartbeat {m}" for m in tick["heartbeat"]]
                                 + [f"evict {e['member']}" for e in tick["evict"]]),
                      "members": tick["members"], "arrivals": dict(zip(names, row)), "arrived": dict(zip(names, cumulative))})
    evictions = [{**e, "evict_t": tick["t"]} for tick in timeline for e in tick["evict"]]
    summary = {"event_times": events, "evictions": evictions, "phases": phases,
               "scoreboard": [], "totals": {}, "final_owner": {}, "final_topic_counts": {}, "final_counts": {}}
    for name, run in variants.items():
        for i, rb in enumerate(run["rebalances"]):
            summary["scoreboard"].append({
                "variant": name, "index": i, "trigger": rb["trigger"], "member": rb["member"],
                "start_t": rb["start_t"], "end_t": rb["end_t"], "rounds": rb["rounds"],
                "duration_t": None if rb["end_t"] is None else rb["end_t"] - rb["start_t"],
                "moved": None if rb["moved"] is None else len(rb["moved"]),
                "paused_partition_ticks": rb["paused_partition_ticks"]})
        last = run["steps"][-1]
        summary["totals"][name] = {
            "rebalances": len(run["rebalances"]),
            "moved": sum(len(rb["moved"] or []) for rb in run["rebalances"]),
            "paused_partition_ticks": sum(len(s["paused"]) for s in run["steps"]),
            "generation": last["generation"],
            "max_lag": max(max(s["lag"].values()) for s in run["steps"]),
        }
        summary["final_owner"][name] = last["owner"]
        counts: dict[str, dict[str, int]] = {m: {t: 0 for t in sorted(p["topics"])} for m in timeline[-1]["in_group"]}
        for pname, m in last["owner"].items():
            if m is not None:
                topic = next(t for t in p["topics"] if t[0] == pname[0])
                counts.setdefault(m, {t: 0 for t in sorted(p["topics"])})[topic] += 1
        summary["final_topic_counts"][name] = counts
        summary["final_counts"][name] = {m: sum(c.values()) for m, c in counts.items()}
    meta = {"partitions": [{"name": partition_name(tp), "topic": tp[0], "index": tp[1]} for tp in parts]}
    return Trace(id=ID, seed=seed, params=p, steps=steps, summary=summary,
                 extra={"meta": meta, "variants": variants})
