"""CAP theorem: one replicated register under a network partition, run once as CP and once as AP.

Model
-----
Three or five replicas (A, B, C...) hold one register x as {value, version, stamp}. Time runs in
integer ticks 0..duration with one step per tick. Clients issue one operation at a time (ops never
overlap), and the same op schedule runs twice. CP uses majority quorums: a write at a replica
whose side of the network holds a majority takes version = highest version on that side + 1, is
applied by every reachable replica repl_delay ticks later and acknowledged after 2 * repl_delay; a
read asks its side and returns the highest version; an op at a replica on the minority side
reaches no majority and is refused after cp_timeout, changing nothing. AP answers every op at once
from the local replica: a write is stamped (tick, replica), applied locally, acknowledged in the
same tick and sent to the peers, which keep the larger stamp (last writer wins). During
[partition_start, partition_end) messages between the two sides are dropped when sent; at
partition_end every replica sends its state to every other (anti-entropy). Each replica keeps the
set of write ids it has seen (carried by replicate and sync messages, merged when a value is
applied), which decides whether a discarded write was superseded or lost. Within a tick: message
deliveries, then the writer's own apply, then the anti-entropy send, then completions, then the
tick's new op. No op starts in the guard = max(cp_timeout, 2 * repl_delay) ticks before
partition_start, partition_end or the end of the run, nor in [partition_end, partition_end +
repl_delay], so none straddles a network change. The story schedule's nine ops come in three
groups (before, during, after the split), each right-aligned to the last tick its window allows
and op_spacing apart; canonical is the story with minority = the first replicas, fixed servers and
values 1, 2, 3; random draws the partition bounds itself (partition_start and partition_end are
then ignored) and n_random_ops ops at random replicas.

Invariants
----------
1. CP is a linearizable register: every ok read in cp returns latest_acked (no stale read ever).
2. CP refuses an op iff it is issued while partitioned at a minority-side replica; minority replicas' state does not change during the partition.
3. AP availability: every ap op is ok and completes in the tick it was issued.
4. The wall holds: while partitioned, every message between the sides is dropped, and no replica applies a value it could only have learned across the wall.
5. Convergence: from partition_end + repl_delay until the next write all replicas of a run are identical; the ap value has the largest acked stamp, the cp value is the last acked write.
6. Monotone replicas: each replica's version (cp) and stamp (ap) never decrease.
7. Before partition_start, cp and ap give identical results (outcome and returned value).
8. Loss accounting: cp loses no write; every lost ap write and every stale ap read was issued during the partition.

Leaves out
----------
Real systems detect a partition only through timeouts, retry and queue messages instead of
dropping them, and elect leaders or use consensus to order writes, so their quorum reads and
writes cost more rounds than here. Operations here never overlap in time, which is what makes
checking consistency simple; real clients are concurrent. Replicas merge by version number or by
a timestamp on perfectly synchronised clocks, where real AP stores use vector clocks, conflict
sets or CRDTs, and may keep both conflicting writes instead of silently dropping one.

Trace
-----
Top level: replicas (names), sides {majority, minority}, partition {start, end}, ops (id, t,
replica, client "left" for minority-side replicas and "right" for majority-side ones, kind, value
for writes), beats (op ids named for the storyboard's beats, null when the schedule has no such
op) and runs {cp, ap}, each {writes, summary, steps_from, steps_to}. steps holds both runs in
play order, the cp run's ticks then the ap run's (runs[mode].steps_from/steps_to slice them);
each step is {mode, t, event, events, partitioned, issued, replicas, messages, results}:
replicas {name: {value, version, stamp, write (the op id it holds)}} at the end of the tick; messages sent in this tick
{src, dst, kind (replicate, quorum, ack, sync), op_id, value, version, stamp, sent_t, arrive_t,
dropped}; results completed in this tick {op_id, outcome, returned, latest_acked, stale, done_t,
quorum}. event is the first of events in the order partition_start, partition_end, converged,
issue, result, apply, drop, idle. writes lists every acked write with its stamp or version and
lost, lost_to (the write that discarded it), lost_t. summary holds per run: ops, ok, refused,
stale_reads, lost_writes, converged_at, final_value, split_ops and split_ok (ops issued during the
partition, and how many were answered); the top-level summary repeats both runs' summaries under
cp and ap. Beats: hook_read (the minority read after the majority's split write: stale in ap,
refused in cp; with split_write_majority it is the Gilbert and Lynch pair), first_write and
setup_read (before the split), first_drop (the first dropped message of the cp run), split
ops, heal at partition_end (sync messages), lost writes via writes[].lost.
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "MODES", "SCHEDULES", "STORY", "Replica", "check_params", "replica_names",
    "guard_ticks", "is_partitioned", "reachable", "newer", "merge_write", "cp_write_version",
    "highest", "latest_acked", "story_ticks", "story_schedule", "random_schedule", "build_schedule",
    "run_mode", "story_beats", "simulate",
]

ID = "cap-theorem"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {"n_replicas": 5, "partition_start": 12, "partition_end": 36, "duration": 48}
MODES = ("cp", "ap")
SCHEDULES = ("story", "canonical", "random")
#: The story's nine ops: (group, side, kind); groups are laid out before, during and after the split.
STORY: tuple[tuple[str, str, str], ...] = (
    ("before", "majority", "write"), ("before", "minority", "read"),
    ("split", "majority", "write"), ("split", "minority", "read"), ("split", "minority", "write"),
    ("split", "majority", "read"), ("split", "minority", "read"),
    ("after", "majority", "read"), ("after", "minority", "read"),
)
EVENT_ORDER = ("partition_start", "partition_end", "converged", "issue", "result", "apply", "drop")


def _replica_count(value: int) -> int:
    if value not in (3, 5):
        raise ValueError(f"must be 3 or 5, got {value}")
    return value


def _schedule_name(value: str) -> str:
    if value not in SCHEDULES:
        raise ValueError(f"must be one of {', '.join(SCHEDULES)}, got {value!r}")
    return value


PARAMS: tuple[Param, ...] = (
    Param("n_replicas", int, 3, 3, 5, "replicas of the register (3 or 5)", validate=_replica_count),
    Param("partition_start", int, 10, 0, 200, "first tick of the split (story and canonical)"),
    Param("partition_end", int, 32, 1, 200, "first tick after the split (story and canonical)"),
    Param("duration", int, 44, 9, 200, "last tick of the run"),
    Param("repl_delay", int, 1, 1, 10, "ticks a message takes"),
    Param("cp_timeout", int, 3, 1, 20, "ticks until a CP op without a majority is refused"),
    Param("op_spacing", int, 4, 2, 50, "minimum ticks between ops"),
    Param("schedule", str, "story", help="story, canonical (the hand case) or random",
          validate=_schedule_name),
    Param("n_random_ops", int, 12, 1, 40, "ops drawn by the random schedule"),
)


def guard_ticks(p: Mapping[str, Any]) -> int:
    """Ticks an op may take: no op starts this close before a network change or the end."""
    return max(p["cp_timeout"], 2 * p["repl_delay"])


def story_ticks(p: Mapping[str, Any]) -> dict[str, list[int]]:
    """Ticks of the story's groups, each right-aligned to the last tick its window allows."""
    g, s = guard_ticks(p), p["op_spacing"]
    ends = {"before": p["partition_start"] - g - 1, "split": p["partition_end"] - g - 1,
            "after": p["duration"] - g - 1}
    counts = {group: sum(1 for item in STORY if item[0] == group) for group in ends}
    return {group: [ends[group] - k * s for k in range(counts[group] - 1, -1, -1)] for group in ends}


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks; each raises ParamError naming the field at fault."""
    g, rd, s = guard_ticks(p), p["repl_delay"], p["op_spacing"]
    if s <= 2 * rd or s <= p["cp_timeout"]:
        raise ParamError("op_spacing", f"{s} must exceed 2 * repl_delay = {2 * rd} and cp_timeout = {p['cp_timeout']}")
    if p["schedule"] == "random":
        need = (p["n_random_ops"] - 1) * s + 2 * g + rd + 1
        if need > p["duration"] - g - 1:
            raise ParamError("n_random_ops", f"{p['n_random_ops']} ops {s} ticks apart, around a partition, "
                             f"need duration >= {need + g + 1}, got {p['duration']}")
        return
    if p["partition_end"] <= p["partition_start"]:
        raise ParamError("partition_end",
                         f"{p['partition_end']} must be after partition_start = {p['partition_start']}")
    if p["partition_end"] + rd > p["duration"]:
        raise ParamError("partition_end", f"the heal's sync (partition_end + repl_delay = {p['partition_end'] + rd}) "
                         f"must land by duration = {p['duration']}")
    ticks = story_ticks(p)
    if ticks["before"][0] < 0:
        raise ParamError("partition_start", f"two ops {s} ticks apart must end {g} ticks before the split: "
                         f"need partition_start >= {p['partition_start'] - ticks['before'][0]}")
    first = max(p["partition_start"], ticks["before"][-1] + s)
    if ticks["split"][0] < first:
        raise ParamError("partition_end", f"five ops {s} ticks apart must fit in the split: need partition_end >= "
                         f"{p['partition_end'] + first - ticks['split'][0]}")
    first = max(p["partition_end"] + rd + 1, ticks["split"][-1] + s)
    if ticks["after"][0] < first:
        raise ParamError("duration", f"two ops after the heal do not fit: need duration >= "
                         f"{p['duration'] + first - ticks['after'][0]}")


# ---------------------------------------------------------------- network and merge rules
class Replica(NamedTuple):
    """One replica's register: value, version (cp) or stamp (ap), and the write ids it has seen."""

    value: int | None
    version: int | None
    stamp: tuple[int, str] | None
    seen: frozenset[int]
    write: int | None  # op id of the write it holds


def replica_names(n: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(n)]


def is_partitioned(t: int, partition: Mapping[str, int]) -> bool:
    return partition["start"] <= t < partition["end"]


def reachable(src: str, dst: str, t: int, partition: Mapping[str, int], minority: Sequence[str]) -> bool:
    """A message sent at ``t`` gets through unless it crosses the wall while partitioned."""
    return not is_partitioned(t, partition) or ((src in minority) == (dst in minority))


def newer(mode: str, incoming: Replica, current: Replica) -> int:
    """+1 if ``incoming`` wins over ``current``, 0 if it is the same write, -1 if it is older."""
    if mode == "cp":
        a, b = incoming.version, current.version
    else:
        a = incoming.stamp if incoming.stamp is not None else (-1, "")
        b = current.stamp if current.stamp is not None else (-1, "")
    return (a > b) - (a < b)


def merge_write(mode: str, current: Replica, incoming: Replica) -> tuple[Replica, int | None]:
    """Keep the newer write; return the new state and the id of a write discarded without being seen.

    An incoming newer write replaces the current one (seen sets merge); the current write is lost
    if the incoming write's history (its sender's seen set plus itself) lacks it. An incoming older
    write is ignored, and lost if the current replica has never seen it. The same write merges seen sets.
    """
    order = newer(mode, incoming, current)
    if order > 0:
        history = incoming.seen | {incoming.write}
        lost = current.write if current.write is not None and current.write not in history else None
        return incoming._replace(seen=current.seen | history), lost
    if order == 0:
        return current._replace(seen=current.seen | incoming.seen), None
    lost = incoming.write if incoming.write is not None and incoming.write not in current.seen else None
    return current, lost


def cp_write_version(states: Mapping[str, Replica], quorum: Sequence[str]) -> int:
    return max(states[name].version for name in quorum) + 1


def highest(answers: Sequence[Replica]) -> Replica:
    """The answer with the highest version (a quorum read's result)."""
    return max(answers, key=lambda r: r.version)


def latest_acked(acked: Sequence[tuple[int, int]], t: int) -> int | None:
    """Value of the last write acknowledged before tick ``t``, from (done_t, value) pairs in order."""
    value = None
    for done_t, written in acked:
        if done_t < t:
            value = written
    return value


# ---------------------------------------------------------------- schedules
def _sides(rng: np.random.Generator, names: list[str], canonical: bool) -> tuple[list[str], list[str]]:
    m = (len(names) - 1) // 2
    minority = names[:m] if canonical else sorted(names[i] for i in rng.choice(len(names), size=m, replace=False))
    return [n for n in names if n not in minority], minority


def story_schedule(rng: np.random.Generator, p: Mapping[str, Any], majority: list[str],
                   minority: list[str], canonical: bool) -> list[dict[str, Any]]:
    """The nine story ops; ``canonical`` fixes the replicas and writes 1, 2, 3 (the hand case)."""
    ticks = story_ticks(p)
    cut_off = minority[0] if canonical else minority[int(rng.integers(len(minority)))]
    n_writes = sum(1 for item in STORY if item[2] == "write")
    if canonical:
        values = list(range(1, n_writes + 1))
    else:
        values = [int(v) for v in rng.choice(np.arange(1, 100), n_writes, replace=False)]
    ops, used = [], {group: 0 for group in ticks}
    for group, side, kind in STORY:
        t = ticks[group][used[group]]
        used[group] += 1
        if side == "minority":
            replica = cut_off
        elif canonical:
            replica = majority[-1] if (group, kind) == ("split", "read") else majority[0]
        else:
            replica = majority[int(rng.integers(len(majority)))]
        value = values.pop(0) if kind == "write" else None
        ops.append({"t": t, "replica": replica, "kind": kind, "value": value})
    return ops


def random_schedule(rng: np.random.Generator, p: Mapping[str, Any], names: list[str],
                    partition: Mapping[str, int]) -> list[dict[str, Any]]:
    """``n_random_ops`` reads and writes at random replicas and ticks, at least ``op_spacing`` apart."""
    g, s, rd, n = guard_ticks(p), p["op_spacing"], p["repl_delay"], p["n_random_ops"]
    ps, pe, last = partition["start"], partition["end"], p["duration"] - g - 1

    def allowed(t: int) -> bool:
        return not (ps - g <= t < ps or pe - g <= t <= pe + rd)

    def tight_end(t: int, left: int) -> int:
        """Last tick when ``left`` more ops follow an op at ``t`` as early as allowed."""
        for _ in range(left):
            t += s
            while not allowed(t):
                t += 1
        return t

    ticks, t = [], 0
    for k in range(n):
        start = 0 if k == 0 else t + s
        fits = [c for c in range(start, start + s + 1) if allowed(c) and tight_end(c, n - k - 1) <= last]
        if not fits:  # only allowed ticks beyond the window remain: take the earliest that fits
            c = start
            while not allowed(c):
                c += 1
            fits = [c]
        t = fits[int(rng.integers(len(fits)))]
        ticks.append(t)
    kinds = ["write" if w else "read" for w in rng.random(n) < 0.5]
    values = rng.choice(np.arange(1, 100), kinds.count("write"), replace=False).tolist()
    where = rng.integers(len(names), size=n).tolist()
    return [{"t": tick, "replica": names[i], "kind": kind, "value": values.pop(0) if kind == "write" else None}
            for tick, kind, i in zip(ticks, kinds, where)]


def build_schedule(rng: np.random.Generator, p: Mapping[str, Any]) -> dict[str, Any]:
    """Sides, partition bounds and the op list for ``p['schedule']`` (all seeded draws happen here)."""
    names = replica_names(p["n_replicas"])
    canonical = p["schedule"] == "canonical"
    majority, minority = _sides(rng, names, canonical)
    if p["schedule"] == "random":
        rd, dur = p["repl_delay"], p["duration"]
        start = int(rng.integers(0, dur - rd - 1))
        end = int(rng.integers(start + 1, dur - rd + 1))
        partition = {"start": start, "end": end}
        ops = random_schedule(rng, p, names, partition)
    else:
        partition = {"start": p["partition_start"], "end": p["partition_end"]}
        ops = story_schedule(rng, p, majority, minority, canonical)
    for i, op in enumerate(ops, 1):
        op.update(id=i, client="left" if op["replica"] in minority else "right")
    ops = [{k: op[k] for k in ("id", "t", "replica", "client", "kind", "value")} for op in ops]
    return {"replicas": names, "sides": {"majority": majority, "minority": minority},
            "partition": partition, "ops": ops}


# ---------------------------------------------------------------- one run
def _plain(r: Replica) -> dict[str, Any]:
    return {"value": r.value, "version": r.version, "stamp": None if r.stamp is None else list(r.stamp),
            "write": r.write}


def run_mode(mode: str, schedule: Mapping[str, Any], p: Mapping[str, Any]) -> dict[str, Any]:
    """Play the schedule in ``mode`` ("cp" or "ap"); one step per tick 0..duration."""
    names, partition = schedule["replicas"], schedule["partition"]
    minority, rd = schedule["sides"]["minority"], p["repl_delay"]
    ops_at = {op["t"]: op for op in schedule["ops"]}
    empty = Replica(None, 0 if mode == "cp" else None, None, frozenset(), None)
    states = {name: empty for name in names}
    inbox: dict[int, list[dict[str, Any]]] = {}
    local_apply: dict[int, list[tuple[str, Replica]]] = {}
    pending: dict[int, dict[str, Any]] = {}  # done_t -> the op waiting there
    acked: list[tuple[int, int]] = []
    writes: dict[int, dict[str, Any]] = {}
    steps: list[dict[str, Any]] = []
    converged_at = None

    def send(t: int, src: str, dst: str, kind: str, op_id: int | None, payload: Replica | None,
             sent: list[dict[str, Any]]) -> None:
        dropped = not reachable(src, dst, t, partition, minority)
        msg = {"src": src, "dst": dst, "kind": kind, "op_id": op_id, "sent_t": t, "arrive_t": t + rd,
               "dropped": dropped, "value": None if payload is None else payload.value,
               "version": None if payload is None else payload.version,
               "stamp": None if payload is None or payload.stamp is None else list(payload.stamp)}
        sent.append(msg)
        if not dropped:
            inbox.setdefault(t + rd, []).append({**msg, "_state": payload})

    def apply(t: int, name: str, incoming: Replica) -> bool:
        before = states[name]
        after, lost = merge_write(mode, before, incoming)
        states[name] = after
        if lost is not None and lost in writes and not writes[lost]["lost"]:
            writes[lost].update(lost=True, lost_to=after.write, lost_t=t)
        return after != before

    for t in range(p["duration"] + 1):
        sent: list[dict[str, Any]] = []
        results: list[dict[str, Any]] = []
        events: set[str] = set()
        partitioned = is_partitioned(t, partition)
        for msg in inbox.pop(t, []):
            dst, state = msg["dst"], msg["_state"]
            if msg["kind"] in ("replicate", "sync"):
                events.update(["apply"] if apply(t, dst, state) else [])
                if msg["kind"] == "replicate" and mode == "cp":
                    send(t, dst, msg["src"], "ack", msg["op_id"], states[dst], sent)
            elif msg["kind"] == "quorum":
                send(t, dst, msg["src"], "ack", msg["op_id"], states[dst], sent)
            else:  # ack
                for waiting in pending.values():
                    if waiting["op"]["id"] == msg["op_id"]:
                        waiting["answers"][msg["src"]] = state
        for name, state in local_apply.pop(t, []):
            events.update(["apply"] if apply(t, name, state) else [])
        if t == partition["end"]:
            for src in names:
                for dst in names:
                    if src != dst:
                        send(t, src, dst, "sync", None, states[src], sent)
        waiting = pending.pop(t, None)
        if waiting is not None:
            op = waiting["op"]
            result = {"op_id": op["id"], "done_t": t, "latest_acked": waiting["latest"],
                      "quorum": sorted(waiting["quorum"]), "returned": None, "stale": False}
            if waiting["refused"]:
                result["outcome"] = "refused"
            else:
                result["outcome"] = "ok"
                if op["kind"] == "read":
                    result["returned"] = highest([waiting["answers"][q] for q in waiting["quorum"]]).value
                else:
                    acked.append((t, op["value"]))
                    writes[op["id"]]["acked"] = True
            result["stale"] = (op["kind"] == "read" and result["outcome"] == "ok"
                               and result["returned"] != result["latest_acked"])
            results.append(result)
        op = ops_at.get(t)
        if op is not None:
            events.add("issue")
            latest = latest_acked(acked, t)
            x = op["replica"]
            side = [n for n in names if reachable(x, n, t, partition, minority)]
            if mode == "ap":
                result = {"op_id": op["id"], "outcome": "ok", "returned": None, "latest_acked": latest,
                          "stale": False, "done_t": t, "quorum": [x]}
                if op["kind"] == "write":
                    state = Replica(op["value"], None, (t, x), states[x].seen | {op["id"]}, op["id"])
                    writes[op["id"]] = {"op_id": op["id"], "value": op["value"], "stamp": [t, x], "version": None,
                                        "acked": True, "lost": False, "lost_to": None, "lost_t": None}
                    apply(t, x, state)
                    events.add("apply")
                    acked.append((t, op["value"]))
                    for dst in names:
                        if dst != x:
                            send(t, x, dst, "replicate", op["id"], state, sent)
                else:
                    result["returned"] = states[x].value
                    result["stale"] = result["returned"] != latest
                results.append(result)
            elif 2 * len(side) > len(names):
                entry = {"op": op, "latest": latest, "quorum": side, "refused": False, "answers": {}}
                pending[t + 2 * rd] = entry
                if op["kind"] == "write":
                    version = cp_write_version(states, side)
                    state = Replica(op["value"], version, None, states[x].seen | {op["id"]}, op["id"])
                    writes[op["id"]] = {"op_id": op["id"], "value": op["value"], "stamp": None, "version": version,
                                        "acked": False, "lost": False, "lost_to": None, "lost_t": None}
                    local_apply.setdefault(t + rd, []).append((x, state))
                    kind = "replicate"
                else:
                    entry["answers"][x] = states[x]
                    state, kind = None, "quorum"
                for dst in names:
                    if dst != x:
                        send(t, x, dst, kind, op["id"], state, sent)
            else:
                pending[t + p["cp_timeout"]] = {"op": op, "latest": latest, "quorum": side, "refused": True,
                                                "answers": {}}
                for dst in names:
                    if dst != x:
                        send(t, x, dst, "quorum", op["id"], None, sent)
        if results:
            events.add("result")
        if any(m["dropped"] for m in sent):
            events.add("drop")
        if t == partition["start"]:
            events.add("partition_start")
        if t == partition["end"]:
            events.add("partition_end")
        if converged_at is None and t >= partition["end"] and len({states[n][:3] for n in names}) == 1:
            converged_at = t
            events.add("converged")
        ordered = [e for e in EVENT_ORDER if e in events] or ["idle"]
        steps.append({"mode": mode, "t": t, "event": ordered[0], "events": ordered, "partitioned": partitioned,
                      "issued": op["id"] if op is not None else None,
                      "replicas": {n: _plain(states[n]) for n in names}, "messages": sent, "results": results})

    results = [r for s in steps for r in s["results"]]
    split = [op["id"] for op in schedule["ops"] if is_partitioned(op["t"], partition)]
    summary = {"ops": len(results), "ok": sum(r["outcome"] == "ok" for r in results),
               "refused": sum(r["outcome"] == "refused" for r in results),
               "stale_reads": sum(r["stale"] for r in results),
               "lost_writes": sum(w["lost"] for w in writes.values()), "converged_at": converged_at,
               "final_value": states[names[0]].value, "split_ops": len(split),
               "split_ok": sum(r["outcome"] == "ok" for r in results if r["op_id"] in split)}
    acked_writes = [w for _, w in sorted(writes.items()) if w["acked"]]
    return {"steps": steps, "writes": acked_writes, "summary": summary}


# ---------------------------------------------------------------- beats and the whole trace
def story_beats(schedule: Mapping[str, Any], cp_steps: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Op ids (or null) for each storyboard beat, found by rule so any schedule gets them."""
    minority, partition = schedule["sides"]["minority"], schedule["partition"]

    def first(pred: Any) -> int | None:
        return next((op["id"] for op in schedule["ops"] if pred(op)), None)

    def during(op: Mapping[str, Any]) -> bool:
        return is_partitioned(op["t"], partition)

    def minor(op: Mapping[str, Any]) -> bool:
        return op["replica"] in minority

    split_write = first(lambda op: during(op) and not minor(op) and op["kind"] == "write")
    split_minority_write = first(lambda op: during(op) and minor(op) and op["kind"] == "write")
    hook = first(lambda op: during(op) and minor(op) and op["kind"] == "read" and op["id"] > (split_write or 0))
    drop = next(({"t": s["t"], "src": m["src"], "dst": m["dst"], "kind": m["kind"], "op_id": m["op_id"]}
                 for s in cp_steps for m in s["messages"] if m["dropped"]), None)
    return {
        "first_write": first(lambda op: op["kind"] == "write"),
        "setup_read": first(lambda op: op["t"] < partition["start"] and minor(op) and op["kind"] == "read"),
        "split_write_majority": split_write,
        "hook_read": hook,
        "split_write_minority": split_minority_write,
        "split_read_majority": first(lambda op: during(op) and not minor(op) and op["kind"] == "read"
                                     and op["id"] > (split_minority_write or 0)),
        "first_drop": drop,
        "heal_t": partition["end"],
        "after_heal_reads": [op["id"] for op in schedule["ops"] if op["t"] > partition["end"] and op["kind"] == "read"],
    }


def simulate(seed: int, **params: Any) -> Trace:
    """Run the schedule as CP and as AP; see the module docstring for the trace."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    schedule = build_schedule(np.random.default_rng(seed), p)
    runs, steps = {}, []
    for mode in MODES:
        run = run_mode(mode, schedule, p)
        runs[mode] = {"writes": run["writes"], "summary": run["summary"],
                      "steps_from": len(steps), "steps_to": len(steps) + len(run["steps"])}
        steps.extend(run["steps"])
    beats = story_beats(schedule, steps[runs["cp"]["steps_from"]:runs["cp"]["steps_to"]])
    summary = {mode: runs[mode]["summary"] for mode in MODES}
    return Trace(id=ID, seed=seed, params=p, steps=steps, summary=summary,
                 extra={**schedule, "runs": runs, "beats": beats})
