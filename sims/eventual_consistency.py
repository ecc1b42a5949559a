"""Eventual consistency: three replicas take writes locally, replicate later and settle conflicts by last-writer-wins.

Model
-----
Three replicas (ranks 0, 1, 2 in the order given) each store one key as a version (value, stamp,
write id); all start with the initial value and stamp [0, 0]. Time is integer milliseconds,
event-driven. A write at replica R at time t gets the stamp [t + clock skew of R, rank of R], is
applied to R's own store at t (if its stamp is larger than the stored one), is acknowledged at
t + local_write_ms, and sends one replication message to each other replica; every message takes
a seeded delay drawn uniformly from repl_delay_ms (or exactly the override). A replica applies an
incoming version only if its stamp is lexicographically larger than the stored one (last-writer-
wins) and otherwise ignores it. Scripted drops lose named replication messages. Every
anti_entropy_ms each replica and its ring successor send each other their stores. A read returns
the local version; a session read carries the largest stamp among its client's earlier writes as
a token and, if its replica is behind, waits for a version at least that new (policy "wait", at
most session_wait_max_ms, then forwards) or forwards at once (policy "forward") to the replica
that took that write, which answers over the network. Events at the same millisecond run in the
order deliveries, anti-entropy rounds, writes, reads, then by replica rank.

Invariants
----------
1. Writes never wait: every write is acknowledged at t + local_write_ms, before any of its replication messages arrives.
2. LWW per replica: a stored stamp never decreases; a version with a stamp not larger than the stored one is ignored.
3. Honest reads: a read returns what its answering replica holds then; stale iff below the newest acknowledged write.
4. Session guarantee: a read with a token never returns a stamp below it; it waits at most the limit, else is forwarded.
5. Convergence: at the end all replicas hold the same version, the write with the largest stamp (or the initial one).
6. Order-free merge: merging all versions in any order, and any version twice, gives the same store.
7. Repair: a dropped replication message is made good by the end of the next anti-entropy round.
8. Message physics: every message takes a delay within repl_delay_ms (the override when set); a drop applies nothing.

Leaves out
----------
Real systems keep many keys and many replicas, detect concurrent writes with version vectors
instead of discarding one silently, and often read or write several replicas at once (quorums).
Here clocks only have a fixed offset and never drift, anti-entropy sends whole stores instead of
comparing hash trees, messages are lost only where the scenario says so, and replicas never crash.

Trace
-----
steps: one per event, in (t_ms, seq) order. Events: write, send, apply, ignore_older, drop,
ae_round, read, read_wait, read_forward, read_serve, read_return. Fields: t_ms, seq, event, replica
(null for ae_round), client, key, value, ts, msg_id, read_id, write_id (null where they do not
apply), then the full state after the event: stores ({replica: {key: {value, ts, write_id}}}),
in_flight (message ids sent and not yet delivered or dropped), waiting_reads (read ids waiting or
forwarded) and distinct_versions (how many different versions the replicas hold). A write whose
own replica already holds a larger stamp is followed at once by an ignore_older step. summary:
writes [{id, t_ms, replica, client, key, value, ts, acked_ms}], messages [{id, kind (replicate,
anti_entropy, forward, forward_reply), write_id, read_id, src, dst, send_ms, deliver_ms, dropped,
versions [{key, value, ts, write_id}]}], reads [{id, t_ms, replica, client, session, token,
returned_value, returned_ts, returned_ms, answered_by, answered_ms, waited_ms, forwarded,
latest_acked_value, latest_acked_ts, stale, pending}] (a read still unanswered at sim_ms is pending
with null results), stale_reads (ids), lost_writes ([{write, beaten_by}]: acknowledged writes that
a concurrent write with a larger stamp overrode, where neither write's replica had seen the other
write, directly or through later versions, when it accepted its own; beaten_by is the earliest
such write), conflicts (the same pairs with the numbers the captions quote: later_by_ms, the loser's
write time minus the winner's; stamp_behind_ms and clock_behind_ms, how far the loser's stamp and its
replica's clock were behind the winner's; overwritten_ms, when the loser's own replica applied a
newer version, or null), ae_rounds ([{t_ms, msg_ids}]), repairs (anti-entropy deliveries that changed a store:
[{t_ms, msg_id, replica, write_id}]), diverged_intervals ([[from_ms, to_ms]] while replicas
disagree), converged_ms (when the last disagreement ended), max_diverged_ms, write_latency_ms and
final ({key: {value, ts, write_id}}). Beats: the hook and stale reads use writes w1 and reads
r1, r2 (stale_reads); the dots fly along summary.messages (send_ms, deliver_ms); convergence is the
end of the first diverged interval; the concurrent writes are the lost_writes pair; the fizzle is
the dropped message and the repair its entry in repairs; read-your-writes is the session read's
waited_ms; the takeaway quotes write_latency_ms, len(stale_reads), len(lost_writes) and
max_diverged_ms.
"""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "EVENTS", "MAX_ROUNDS", "World", "check_params", "simulate", "newer", "lww_merge", "write_stamp",
    "session_token", "latest_acked", "message_delay", "new_world", "handle_write", "handle_delivery",
    "start_anti_entropy", "handle_read", "handle_read_timeout", "run", "lost_writes", "diverged_intervals",
]

ID = "eventual-consistency"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {"anti_entropy_ms": 1200, "repl_delay_ms": [60, 300],
                                    "clock_skew_ms": {"US": 0, "EU": 0, "AP": -60}}
EVENTS = ("write", "send", "apply", "ignore_older", "drop", "ae_round", "read", "read_wait", "read_forward",
          "read_serve", "read_return")
DELIVER, ANTI_ENTROPY, WRITE, READ = range(4)  # same-ms order of event kinds
#: Upper bound on anti-entropy rounds per run (sim_ms / anti_entropy_ms), so every valid run stays small.
MAX_ROUNDS = 64
Version = dict[str, Any]


# ---------------------------------------------------------------- parameters
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_replicas(value: Any) -> list[str]:
    if len(value) != 3 or not all(isinstance(v, str) and v for v in value) or len(set(value)) != 3:
        raise ValueError(f"expected three distinct non-empty names, got {value!r}")
    return list(value)


def _check_skews(value: Any) -> dict[str, int]:
    for name, skew in value.items():
        if not (_is_int(skew) and -1000 <= skew <= 1000):
            raise ValueError(f"{name}: expected an integer in [-1000, 1000], got {skew!r}")
    return dict(value)


def _check_delay_range(value: Any) -> list[int]:
    if len(value) != 2 or not all(_is_int(v) for v in value) or not 1 <= value[0] <= value[1] <= 5000:
        raise ValueError(f"expected [low, high] with 1 <= low <= high <= 5000, got {value!r}")
    return [value[0], value[1]]


def _check_override(value: Any) -> int | None:
    if isinstance(value, str):  # from the command line
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError(f"expected null or an integer, got {value!r}") from None
    if value is None:
        return None
    if not (_is_int(value) and 1 <= value <= 5000):
        raise ValueError(f"expected null or an integer in [1, 5000], got {value!r}")
    return value


def _check_ops(kind: str, fields: dict[str, Callable[[Any], bool]], optional: dict[str, Any]) -> Callable:
    def check(value: Any) -> list[dict[str, Any]]:
        if len(value) > 50:
            raise ValueError(f"at most 50 {kind}, got {len(value)}")
        ops = []
        for i, item in enumerate(value):
            if not isinstance(item, dict) or not set(fields) <= set(item) <= set(fields) | set(optional):
                raise ValueError(f"entry {i}: expected an object with {', '.join(fields)}"
                                 f"{' and optionally ' + ', '.join(optional) if optional else ''}, got {item!r}")
            for name, ok in fields.items():
                if not ok(item[name]):
                    raise ValueError(f"entry {i}: bad {name} {item[name]!r}")
            if any(name in item and not isinstance(item[name], type(default)) for name, default in optional.items()):
                raise ValueError(f"entry {i}: bad optional field in {item!r}")
            ops.append(dict(item))
        return ops
    return check


def _time(v: Any) -> bool:
    return _is_int(v) and v >= 0


def _name(v: Any) -> bool:
    return isinstance(v, str) and bool(v)


_check_writes = _check_ops("writes", {"t": _time, "at": _name, "client": _name,
                                      "value": lambda v: isinstance(v, str)}, {})
_check_reads = _check_ops("reads", {"t": _time, "at": _name, "client": _name}, {"session": False})


def _check_drops(value: Any) -> list[list[str]]:
    drops = []
    for i, item in enumerate(value):
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and all(_name(v) for v in item)):
            raise ValueError(f"entry {i}: expected [write id, destination replica], got {item!r}")
        drops.append([item[0], item[1]])
    return drops


def _check_key(value: str) -> str:
    if not value:
        raise ValueError("expected a non-empty key name")
    return value


def _check_policy(value: str) -> str:
    if value not in ("wait", "forward"):
        raise ValueError(f"expected \"wait\" or \"forward\", got {value!r}")
    return value


PARAMS: tuple[Param, ...] = (
    Param("replicas", list, ["US", "EU", "AP"], help="the three replica names, in rank order",
          validate=_check_replicas),
    Param("key", str, "name", help="the one key every write and read uses", validate=_check_key),
    Param("initial", str, "Ana", help="the value every replica starts with (stamp [0, 0])"),
    Param("clock_skew_ms", dict, {"US": 0, "EU": 0, "AP": -40}, help="each replica's clock offset",
          validate=_check_skews),
    Param("repl_delay_ms", list, [80, 400], help="[low, high] of each message's uniform delay",
          validate=_check_delay_range),
    Param("repl_delay_override_ms", object, None, help="null, or one delay for every message",
          validate=_check_override),
    Param("local_write_ms", int, 1, 0, 1000, "time from a write to its acknowledgement"),
    Param("anti_entropy_ms", int, 1500, 50, 60_000, "period of the anti-entropy rounds"),
    Param("sim_ms", int, 3200, 1, 60_000, "simulated time"),
    Param("writes", list, [{"t": 100, "at": "US", "client": "Alice", "value": "Anna"},
                           {"t": 700, "at": "US", "client": "Alice", "value": "Ann"},
                           {"t": 720, "at": "AP", "client": "Carol", "value": "Annie"},
                           {"t": 2200, "at": "US", "client": "Alice", "value": "Ana B."}],
          help="[{t, at, client, value}, ...], ids w1, w2 ...", validate=_check_writes),
    Param("reads", list, [{"t": 150, "at": "AP", "client": "Bob"},
                          {"t": 160, "at": "EU", "client": "Alice"},
                          {"t": 2250, "at": "EU", "client": "Alice", "session": True}],
          help="[{t, at, client, session?}, ...], ids r1, r2 ...", validate=_check_reads),
    Param("drops", list, [["w2", "EU"]], help="[[write id, destination], ...]: lost replication messages",
          validate=_check_drops),
    Param("session_policy", str, "wait", help="\"wait\" or \"forward\" when a session read is behind",
          validate=_check_policy),
    Param("session_wait_max_ms", int, 1000, 0, 60_000, "longest wait before a session read is forwarded"),
)


def _max_delay(p: dict[str, Any]) -> int:
    override = p["repl_delay_override_ms"]
    return override if override is not None else p["repl_delay_ms"][1]


def _min_delay(p: dict[str, Any]) -> int:
    override = p["repl_delay_override_ms"]
    return override if override is not None else p["repl_delay_ms"][0]


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks; raise :class:`ParamError` naming the field at fault."""
    replicas, sim_ms, period = p["replicas"], p["sim_ms"], p["anti_entropy_ms"]
    if sim_ms // period > MAX_ROUNDS:
        raise ParamError("anti_entropy_ms", f"sim_ms={sim_ms} / {period} exceeds {MAX_ROUNDS} rounds")
    if set(p["clock_skew_ms"]) != set(replicas):
        raise ParamError("clock_skew_ms", f"expected one skew for each of {replicas}, got {sorted(p['clock_skew_ms'])}")
    for name, skew in p["clock_skew_ms"].items():
        if abs(skew) >= period:
            raise ParamError("clock_skew_ms", f"{name}: |{skew}| must be below anti_entropy_ms={period}")
    if _min_delay(p) <= p["local_write_ms"]:
        field_name = "repl_delay_override_ms" if p["repl_delay_override_ms"] is not None else "repl_delay_ms"
        raise ParamError(field_name, f"the shortest delay {_min_delay(p)} must exceed local_write_ms="
                                     f"{p['local_write_ms']}")
    stamps = set()
    for i, w in enumerate(p["writes"]):
        if w["at"] not in replicas:
            raise ParamError("writes", f"entry {i}: replica {w['at']!r} is none of {replicas}")
        if w["t"] + _max_delay(p) > sim_ms:
            raise ParamError("writes", f"entry {i}: t {w['t']} plus the longest delay {_max_delay(p)} "
                                       f"is after sim_ms={sim_ms}")
        if w["t"] + p["clock_skew_ms"][w["at"]] < 1:
            raise ParamError("writes", f"entry {i}: the stamp t + skew must be at least 1 (after the initial [0, 0])")
        if (w["t"], w["at"]) in stamps:
            raise ParamError("writes", f"entry {i}: a second write at {w['at']} at t {w['t']} would share its stamp")
        stamps.add((w["t"], w["at"]))
    for i, r in enumerate(p["reads"]):
        if r["at"] not in replicas:
            raise ParamError("reads", f"entry {i}: replica {r['at']!r} is none of {replicas}")
        if r["t"] > sim_ms:
            raise ParamError("reads", f"entry {i}: t {r['t']} is after sim_ms={sim_ms}")
    seen = set()
    for i, (write_id, dst) in enumerate(p["drops"]):
        index = int(write_id[1:]) - 1 if write_id[:1] == "w" and write_id[1:].isdigit() else -1
        if not 0 <= index < len(p["writes"]):
            raise ParamError("drops", f"entry {i}: no write {write_id!r} (ids w1..w{len(p['writes'])})")
        write = p["writes"][index]
        if dst not in replicas or dst == write["at"]:
            raise ParamError("drops", f"entry {i}: {write_id} sends to the replicas other than {write['at']}, "
                                      f"not {dst!r}")
        if (write_id, dst) in seen:
            raise ParamError("drops", f"entry {i}: {write_id} to {dst} is listed twice")
        seen.add((write_id, dst))
        round_t = (write["t"] // period + 1) * period
        if round_t >= sim_ms or round_t + _max_delay(p) > sim_ms:
            raise ParamError("drops", f"entry {i}: the anti-entropy round after {write_id} (at {round_t}) "
                                      f"must deliver by sim_ms={sim_ms}")


# ---------------------------------------------------------------- pure rules
def newer(a: list[int], b: list[int]) -> bool:
    """Is stamp ``a`` lexicographically larger than stamp ``b``?"""
    return tuple(a) > tuple(b)


def lww_merge(stored: Version, incoming: Version) -> tuple[Version, bool]:
    """Last-writer-wins: keep the version with the larger stamp; report whether the store changed."""
    return (dict(incoming), True) if newer(incoming["ts"], stored["ts"]) else (stored, False)


def write_stamp(t_ms: int, skew_ms: int, rank: int) -> list[int]:
    """A write's stamp: the replica's clock reading and its rank as the tie-breaker."""
    return [t_ms + skew_ms, rank]


def session_token(writes: list[dict[str, Any]], client: str, t_ms: int) -> dict[str, Any] | None:
    """The client's earlier write (t <= t_ms) with the largest stamp, or None."""
    mine = [w for w in writes if w["client"] == client and w["t_ms"] <= t_ms]
    return max(mine, key=lambda w: tuple(w["ts"])) if mine else None


def latest_acked(writes: list[dict[str, Any]], initial: Version, t_ms: int) -> Version:
    """The version with the largest stamp among writes acknowledged at or before ``t_ms`` (or the initial)."""
    best = initial
    for w in writes:
        if w["acked_ms"] <= t_ms and newer(w["ts"], best["ts"]):
            best = {"value": w["value"], "ts": w["ts"], "write_id": w["id"]}
    return best


def message_delay(rng: np.random.Generator, delay_range: list[int], override: int | None) -> int:
    """One message's delay: the override, or a uniform integer in ``delay_range`` (ends included)."""
    if override is not None:
        return override
    return int(rng.integers(delay_range[0], delay_range[1] + 1))


# ---------------------------------------------------------------- the world
@dataclass
class World:
    """The whole simulation state as plain data, plus the event queue and the records."""

    params: dict[str, Any]
    rng: np.random.Generator
    rank: dict[str, int]
    stores: dict[str, dict[str, Version]]
    seen: dict[str, set[str]]
    history: dict[str, frozenset[str]] = field(default_factory=dict)
    queue: list[tuple[int, int, int, int, tuple[Any, ...]]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    writes: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    reads: list[dict[str, Any]] = field(default_factory=list)
    in_flight: set[int] = field(default_factory=set)
    waiting: dict[str, dict[str, Any]] = field(default_factory=dict)
    ae_rounds: list[dict[str, Any]] = field(default_factory=list)
    repairs: list[dict[str, Any]] = field(default_factory=list)
    counter: int = 0

    @property
    def key(self) -> str:
        return self.params["key"]

    def version(self, replica: str) -> Version:
        return self.stores[replica][self.key]


def new_world(seed: int, p: dict[str, Any]) -> World:
    """Replicas holding the initial version; nothing scheduled yet."""
    initial = {"value": p["initial"], "ts": [0, 0], "write_id": None}
    return World(params=p, rng=np.random.default_rng(seed), rank={r: i for i, r in enumerate(p["replicas"])},
                 stores={r: {p["key"]: dict(initial)} for r in p["replicas"]}, seen={r: set() for r in p["replicas"]})


def schedule(world: World, t_ms: int, kind: int, replica: str | None, payload: tuple[Any, ...]) -> None:
    world.counter += 1
    rank = world.rank[replica] if replica is not None else 0
    heapq.heappush(world.queue, (t_ms, kind, rank, world.counter, payload))


def emit(world: World, t_ms: int, event: str, replica: str | None, *, client: str | None = None,
         version: Version | None = None, msg_id: int | None = None, read_id: str | None = None,
         write_id: str | None = None) -> None:
    """Record one step with the full state after it."""
    stores = {r: {k: {"value": v["value"], "ts": list(v["ts"]), "write_id": v["write_id"]} for k, v in s.items()}
              for r, s in world.stores.items()}
    world.steps.append({
        "t_ms": t_ms, "seq": len(world.steps), "event": event, "replica": replica, "client": client,
        "key": world.key, "value": version["value"] if version else None,
        "ts": list(version["ts"]) if version else None, "msg_id": msg_id, "read_id": read_id,
        "write_id": write_id if write_id is not None else (version or {}).get("write_id"),
        "stores": stores, "in_flight": sorted(world.in_flight), "waiting_reads": sorted(world.waiting),
        "distinct_versions": len({tuple(s[world.key]["ts"]) for s in world.stores.values()}),
    })


def send(world: World, t_ms: int, kind: str, src: str, dst: str, versions: list[Version], *,
         write_id: str | None = None, read_id: str | None = None, dropped: bool = False) -> dict[str, Any]:
    """Put one message on the wire with a seeded delay; it is delivered (or dropped) at deliver_ms."""
    p = world.params
    delay = message_delay(world.rng, p["repl_delay_ms"], p["repl_delay_override_ms"])
    msg = {"id": len(world.messages) + 1, "kind": kind, "write_id": write_id, "read_id": read_id, "src": src,
           "dst": dst, "send_ms": t_ms, "deliver_ms": t_ms + delay, "dropped": dropped,
           "versions": [{"key": world.key, **{k: v[k] for k in ("value", "ts", "write_id")}} for v in versions]}
    world.messages.append(msg)
    world.in_flight.add(msg["id"])
    schedule(world, msg["deliver_ms"], DELIVER, dst, ("deliver", msg["id"]))
    emit(world, t_ms, "send", src, version=versions[0] if versions else None, msg_id=msg["id"], read_id=read_id,
         write_id=write_id)
    return msg


def _receive(world: World, replica: str, incoming: Version) -> bool:
    """Merge one version into a replica's store (LWW) and into what the replica has seen."""
    if incoming["write_id"] is not None:
        world.seen[replica] |= {incoming["write_id"]} | world.history[incoming["write_id"]]
    merged, changed = lww_merge(world.version(replica), incoming)
    world.stores[replica][world.key] = merged
    return changed


# ---------------------------------------------------------------- event handlers
def handle_write(world: World, t_ms: int, index: int) -> None:
    """Accept a write locally, acknowledge it after local_write_ms, and replicate it to the other two."""
    p = world.params
    spec = p["writes"][index]
    replica, write_id = spec["at"], f"w{index + 1}"
    ts = write_stamp(t_ms, p["clock_skew_ms"][replica], world.rank[replica])
    version = {"value": spec["value"], "ts": ts, "write_id": write_id}
    world.history[write_id] = frozenset(world.seen[replica])
    world.writes.append({"id": write_id, "t_ms": t_ms, "replica": replica, "client": spec["client"], "key": world.key,
                         "value": spec["value"], "ts": ts, "acked_ms": t_ms + p["local_write_ms"]})
    changed = _receive(world, replica, version)
    emit(world, t_ms, "write", replica, client=spec["client"], version=version)
    if not changed:
        emit(world, t_ms, "ignore_older", replica, client=spec["client"], version=version)
    dropped = {tuple(d) for d in p["drops"]}
    for dst in p["replicas"]:
        if dst != replica:
            send(world, t_ms, "replicate", replica, dst, [version], write_id=write_id,
                 dropped=(write_id, dst) in dropped)


def handle_delivery(world: World, t_ms: int, msg_id: int) -> None:
    """A message arrives: drop it, merge its versions, serve a forwarded read or return a reply."""
    msg = world.messages[msg_id - 1]
    world.in_flight.discard(msg_id)
    dst = msg["dst"]
    if msg["dropped"]:
        emit(world, t_ms, "drop", dst, version=msg["versions"][0], msg_id=msg_id)
        return
    if msg["kind"] == "forward":
        read = world.waiting[msg["read_id"]]
        answer = world.version(dst)
        read.update(answered_by=dst, answered_ms=t_ms)
        emit(world, t_ms, "read_serve", dst, client=read["client"], version=answer, msg_id=msg_id,
             read_id=read["id"])
        send(world, t_ms, "forward_reply", dst, msg["src"], [answer], read_id=read["id"])
        return
    if msg["kind"] == "forward_reply":
        _return_read(world, t_ms, world.waiting[msg["read_id"]], msg["versions"][0], msg_id=msg_id)
        return
    for incoming in msg["versions"]:
        changed = _receive(world, dst, incoming)
        emit(world, t_ms, "apply" if changed else "ignore_older", dst, version=incoming, msg_id=msg_id)
        if changed and msg["kind"] == "anti_entropy":
            world.repairs.append({"t_ms": t_ms, "msg_id": msg_id, "replica": dst, "write_id": incoming["write_id"]})
    for read in [r for r in world.waiting.values() if r["replica"] == dst and not r["forwarded"]]:
        if not newer(read["token"], world.version(dst)["ts"]):
            read.update(answered_by=dst, answered_ms=t_ms)
            _return_read(world, t_ms, read, world.version(dst))


def start_anti_entropy(world: World, t_ms: int) -> None:
    """Each replica and its ring successor send each other their whole stores."""
    replicas = world.params["replicas"]
    emit(world, t_ms, "ae_round", None)
    ids = []
    for i, a in enumerate(replicas):
        b = replicas[(i + 1) % len(replicas)]
        for src, dst in ((a, b), (b, a)):
            ids.append(send(world, t_ms, "anti_entropy", src, dst, [world.version(src)])["id"])
    world.ae_rounds.append({"t_ms": t_ms, "msg_ids": ids})


def handle_read(world: World, t_ms: int, index: int) -> None:
    """A read arrives: answer from the local store, or wait / forward when a session token is ahead of it."""
    p = world.params
    spec = p["reads"][index]
    replica, read_id = spec["at"], f"r{index + 1}"
    session = spec.get("session", False)
    token_write = session_token(world.writes, spec["client"], t_ms) if session else None
    read = {"id": read_id, "t_ms": t_ms, "replica": replica, "client": spec["client"], "session": session,
            "token": token_write["ts"] if token_write else None,
            "token_replica": token_write["replica"] if token_write else None,
            "answered_by": None, "answered_ms": None, "forwarded": False}
    world.reads.append(read)
    emit(world, t_ms, "read", replica, client=spec["client"], read_id=read_id)
    local = world.version(replica)
    if read["token"] is None or not newer(read["token"], local["ts"]):
        read.update(answered_by=replica, answered_ms=t_ms)
        world.waiting[read_id] = read
        _return_read(world, t_ms, read, local)
    elif p["session_policy"] == "forward":
        world.waiting[read_id] = read
        _forward(world, t_ms, read)
    else:
        world.waiting[read_id] = read
        emit(world, t_ms, "read_wait", replica, client=spec["client"], read_id=read_id)
        schedule(world, t_ms + p["session_wait_max_ms"], READ, replica, ("timeout", read_id))


def handle_read_timeout(world: World, t_ms: int, read_id: str) -> None:
    """A waiting session read gives up waiting and is forwarded."""
    read = world.waiting.get(read_id)
    if read is not None and not read["forwarded"]:
        _forward(world, t_ms, read)


def _forward(world: World, t_ms: int, read: dict[str, Any]) -> None:
    read["forwarded"] = True
    emit(world, t_ms, "read_forward", read["replica"], client=read["client"], read_id=read["id"])
    send(world, t_ms, "forward", read["replica"], read["token_replica"], [], read_id=read["id"])


def _return_read(world: World, t_ms: int, read: dict[str, Any], version: Version, msg_id: int | None = None) -> None:
    del world.waiting[read["id"]]
    read.update(returned_value=version["value"], returned_ts=list(version["ts"]), returned_write=version["write_id"],
                returned_ms=t_ms)
    emit(world, t_ms, "read_return", read["replica"], client=read["client"], version=version, msg_id=msg_id,
         read_id=read["id"])


def run(world: World) -> None:
    """Schedule the scenario and process every event up to sim_ms."""
    p = world.params
    for i, w in enumerate(p["writes"]):
        schedule(world, w["t"], WRITE, w["at"], ("write", i))
    for i, r in enumerate(p["reads"]):
        schedule(world, r["t"], READ, r["at"], ("read", i))
    for t_ms in range(p["anti_entropy_ms"], p["sim_ms"], p["anti_entropy_ms"]):
        schedule(world, t_ms, ANTI_ENTROPY, None, ("anti_entropy",))
    while world.queue and world.queue[0][0] <= p["sim_ms"]:
        t_ms, _, _, _, payload = heapq.heappop(world.queue)
        kind = payload[0]
        if kind == "deliver":
            handle_delivery(world, t_ms, payload[1])
        elif kind == "anti_entropy":
            start_anti_entropy(world, t_ms)
        elif kind == "write":
            handle_write(world, t_ms, payload[1])
        elif kind == "read":
            handle_read(world, t_ms, payload[1])
        else:
            handle_read_timeout(world, t_ms, payload[1])


# ---------------------------------------------------------------- summary
def lost_writes(writes: list[dict[str, Any]], history: dict[str, frozenset[str]]) -> list[dict[str, str]]:
    """Writes overridden by a concurrent write with a larger stamp (neither had seen the other)."""
    lost = []
    for w in writes:
        rivals = [v for v in writes if v["id"] != w["id"] and newer(v["ts"], w["ts"])
                  and v["id"] not in history[w["id"]] and w["id"] not in history[v["id"]]]
        if rivals:
            lost.append({"write": w["id"], "beaten_by": rivals[0]["id"]})
    return lost


def conflicts(lost: list[dict[str, str]], writes: list[dict[str, Any]], steps: list[dict[str, Any]],
              skew: dict[str, int]) -> list[dict[str, Any]]:
    """The numbers a viewer is told about each lost write: how much later in real time it was written than
    the write that beat it, how far behind its stamp was, how far behind its replica's clock ran, and when
    its own replica overwrote it (null if it never did)."""
    by_id = {w["id"]: w for w in writes}
    out = []
    for pair in lost:
        loser, winner = by_id[pair["write"]], by_id[pair["beaten_by"]]
        overwritten = next((st["t_ms"] for st in steps if st["event"] == "apply" and st["replica"] == loser["replica"]
                            and st["t_ms"] >= loser["t_ms"] and newer(st["ts"], loser["ts"])), None)
        out.append({**pair, "later_by_ms": loser["t_ms"] - winner["t_ms"],
                    "stamp_behind_ms": winner["ts"][0] - loser["ts"][0],
                    "clock_behind_ms": skew[winner["replica"]] - skew[loser["replica"]],
                    "overwritten_ms": overwritten})
    return out


def diverged_intervals(steps: list[dict[str, Any]], sim_ms: int) -> list[list[int]]:
    """Spans of time during which the replicas held more than one version."""
    spans: list[list[int]] = []
    start = None
    for step in steps:
        if step["distinct_versions"] > 1 and start is None:
            start = step["t_ms"]
        elif step["distinct_versions"] == 1 and start is not None:
            if step["t_ms"] > start:
                spans.append([start, step["t_ms"]])
            start = None
    if start is not None:
        spans.append([start, sim_ms])
    return spans


def _read_record(read: dict[str, Any], writes: list[dict[str, Any]], initial: Version) -> dict[str, Any]:
    latest = latest_acked(writes, initial, read["t_ms"])
    pending = "returned_ms" not in read
    return {
        "id": read["id"], "t_ms": read["t_ms"], "replica": read["replica"], "client": read["client"],
        "session": read["session"], "token": read["token"], "pending": pending,
        "returned_value": None if pending else read["returned_value"],
        "returned_ts": None if pending else read["returned_ts"],
        "returned_ms": None if pending else read["returned_ms"],
        "answered_by": read["answered_by"], "answered_ms": read["answered_ms"],
        "waited_ms": None if pending else read["returned_ms"] - read["t_ms"], "forwarded": read["forwarded"],
        "latest_acked_value": latest["value"], "latest_acked_ts": list(latest["ts"]),
        "stale": None if pending else newer(latest["ts"], read["returned_ts"]),
    }


def _id_number(record: dict[str, Any]) -> int:
    """Order records by their id number (w1, w2 ... or r1, r2 ...), the order of the params."""
    return int(record["id"][1:])


def simulate(seed: int, **params: Any) -> Trace:
    """Run the scenario up to sim_ms and return the trace; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    world = new_world(seed, p)
    run(world)
    initial = {"value": p["initial"], "ts": [0, 0], "write_id": None}
    writes = sorted(world.writes, key=_id_number)
    reads = [_read_record(r, writes, initial) for r in sorted(world.reads, key=_id_number)]
    spans = diverged_intervals(world.steps, p["sim_ms"])
    final = world.steps[-1]["stores"][p["replicas"][0]] if world.steps else {p["key"]: initial}
    summary = {
        "writes": writes,
        "messages": world.messages,
        "reads": reads,
        "stale_reads": [r["id"] for r in reads if r["stale"]],
        "lost_writes": lost_writes(writes, world.history),
        "conflicts": conflicts(lost_writes(writes, world.history), writes, world.steps, p["clock_skew_ms"]),
        "ae_rounds": world.ae_rounds,
        "repairs": world.repairs,
        "diverged_intervals": spans,
        "converged_ms": spans[-1][1] if spans else 0,
        "max_diverged_ms": max((b - a for a, b in spans), default=0),
        "write_latency_ms": p["local_write_ms"],
        "final": final,
    }
    return Trace(id=ID, seed=seed, params=p, steps=world.steps, summary=summary)
