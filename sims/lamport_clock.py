"""Lamport Clock: processes stamp their events with Lamport counters and vector clocks, next to skewed wall clocks.

Model
-----
A few processes each hold one Lamport counter, one vector clock (one slot per process) and a wall
clock that runs ahead of or behind real time by a fixed skew. An event is local, a send of one
message to one peer, or the receive of a message when it arrives. Before a local event or a send a
process adds one to its counter; on a receive it first jumps to the larger of its counter and the
stamp the message carries, then adds one. The vector clock adds one to its own slot on every event
and, on a receive, first takes the slot-by-slot maximum with the vector the message carries. Real
time is in seconds (floats): actions happen at whole multiples of a slot length and a message
arrives after a seeded delay, so messages may overtake each other. Real time only places events
for drawing and for the wall-clock readings; the counters never read it. A run has three phases:
independent local events (one or two per process, at least one process has two), a request from
P1 to P2 answered by a reply after a local event at P2, then a few seeded random events; a script
of events can replace the generation.

Invariants
----------
1. Lamport rules: local and send give previous + 1, a receive gives max(previous, carried stamp) + 1.
2. Clock condition: if a happened before b, then lamport(a) < lamport(b).
3. lamport(e) is the number of events on the longest happened-before chain ending at e.
4. Vector clocks capture causality exactly; vector(e)[p] counts p's events in e's causal past, e included.
5. (lamport, proc) has no ties and the total order by it is a linear extension of happened-before.
6. Every message is sent once and received once by its destination, later in real time, carrying the send's stamp.
7. Honest highlights: the concurrent pair is concurrent, the skew pair runs backwards on wall clocks, stats exact.
8. Generated runs hold a concurrent pair with different stamps, and a skew pair if P1 leads P2 by more than any delay.

Leaves out
----------
Processes never crash, and messages are never lost, duplicated or left undelivered. Wall clocks
sit at a fixed offset from real time: they do not drift, and no time service corrects them. The
set of processes is fixed, so the vectors never grow or shrink as real systems' must when
processes join and leave.

Trace
-----
``processes`` names the lanes ("P1", ...). ``events`` (sorted by real time, then process, then
position on the process) each hold ``id`` ("P2.3"), ``proc`` (1-based), ``idx`` (1-based
position on its process), ``kind`` (local, send, recv), ``phase`` (independent, request, random,
script), ``real_t``, ``phys`` (the skewed wall-clock reading), ``lamport``, ``lamport_prev``,
``vector``, ``msg``, ``peer`` (destination of a send, source of a receive) and ``msg_ts`` (the
stamp a receive got). ``messages`` hold ``id`` (1-based), ``src``, ``dst``, ``ts``, ``vector``,
``send_t``, ``recv_t``, ``label`` (request, reply or null), ``send_event`` and ``recv_event``.
``total_order`` lists event ids by (lamport, proc). ``highlight`` holds ``chain`` (a longest
chain ending at the earliest event with the largest stamp, first to last), ``concurrent_pair``
(a concurrent pair with the widest stamp gap; null only for a script without one) and
``skew_pair`` (send and receive ids of the request if its receive reads an earlier wall clock
than its send, else of the first such message, else null). ``stats`` holds ``ordered_pairs``
and ``concurrent_but_ordered``. Each step replays one event in real-time order: ``t``,
``event`` (the kind), ``event_id``, ``proc``, ``phase``, every process's ``lamport`` and
``vectors`` after it, and ``in_flight`` message ids. ``summary`` repeats the figures captions
quote: ``n_events``, ``n_messages``, ``max_lamport``, ``chain_length``, ``ordered_pairs``,
``concurrent_but_ordered``, ``concurrent_gap``, ``skew_reversal_s`` (send reading minus receive
reading of the skew pair, or null), ``request_msg`` and ``reply_msg`` (message ids, null for a
script), ``skew_msg`` (the skew pair's message id), ``skew_gap_s`` (how far the receiver's wall
clock is behind the sender's) and ``skew_delay_s`` (that message's delay), all three null without
a skew pair.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "KINDS", "PHASES", "Plan", "ProcClock", "check_params", "simulate",
    "new_clock", "tick_local", "tick_send", "tick_recv", "happened_before",
    "generate_plan", "script_plan", "run_clocks", "longest_chain", "widest_concurrent_pair",
    "find_skew_pair", "pair_stats", "total_order",
]

ID = "lamport-clock"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {"skews_s": [0.0, 1.2, -0.6], "n_random_events": 6}
KINDS = ("local", "send", "recv")
PHASES = ("independent", "request", "random", "script")
MAX_PROCS = 8
MAX_SCRIPT = 200


# ---------------------------------------------------------------- parameters
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_skews(value: Any) -> list[float]:
    skews = []
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, (int, float)) or not math.isfinite(item):
            raise ValueError(f"entry {i}: expected a finite number of seconds, got {item!r}")
        if not -60.0 <= item <= 60.0:
            raise ValueError(f"entry {i}: {item!r} is outside [-60, 60] s")
        skews.append(float(item))
    if not 2 <= len(skews) <= MAX_PROCS:
        raise ValueError(f"expected 2 to {MAX_PROCS} skews, got {len(skews)}")
    return skews


def _check_script(value: Any) -> list[dict[str, Any]]:
    if len(value) > MAX_SCRIPT:
        raise ValueError(f"at most {MAX_SCRIPT} script events, got {len(value)}")
    script = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or "proc" not in item or "kind" not in item:
            raise ValueError(f"entry {i}: expected {{proc, kind, peer|msg}}, got {item!r}")
        kind = item["kind"]
        allowed = {"local": {"proc", "kind"}, "send": {"proc", "kind", "peer"},
                   "recv": {"proc", "kind", "msg"}}.get(kind)
        if allowed is None:
            raise ValueError(f"entry {i}: kind must be local, send or recv, got {kind!r}")
        if set(item) != allowed:
            raise ValueError(f"entry {i}: a {kind} event has exactly the keys {sorted(allowed)}, got {sorted(item)}")
        for key in sorted(allowed - {"kind"}):
            if not (_is_int(item[key]) and item[key] >= 1):
                raise ValueError(f"entry {i}: {key} must be an integer >= 1, got {item[key]!r}")
        script.append({key: item[key] for key in sorted(allowed)})
    return script


PARAMS: tuple[Param, ...] = (
    Param("n_procs", int, 3, 2, MAX_PROCS, "processes"),
    Param("skews_s", list, [0.0, -1.5, 0.8], help="wall-clock offset of each process (s)",
          validate=_check_skews),
    Param("min_delay_s", float, 0.3, 0.01, 10.0, "shortest message delay (s)"),
    Param("max_delay_s", float, 1.0, 0.01, 10.0, "longest message delay (s)"),
    Param("slot_s", float, 0.5, 0.05, 10.0, "real time between actions (s)"),
    Param("n_random_events", int, 4, 0, 40, "events in the random phase"),
    Param("p_send", float, 0.6, 0.0, 1.0, "chance that a random event is a send"),
    Param("script", list, [], help="[{proc, kind: local|send|recv, peer|msg}, ...] in real-time order; "
          "empty: generate", validate=_check_script),
)


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks; raise :class:`ParamError` naming the field at fault."""
    n = p["n_procs"]
    if len(p["skews_s"]) != n:
        raise ParamError("skews_s", f"expected {n} skews (one per process), got {len(p['skews_s'])}")
    if p["min_delay_s"] > p["max_delay_s"]:
        raise ParamError("min_delay_s", f"{p['min_delay_s']} is above max_delay_s {p['max_delay_s']}")
    sent: dict[int, int] = {}  # message id -> destination
    received: set[int] = set()
    for i, item in enumerate(p["script"]):
        if item["proc"] > n:
            raise ParamError("script", f"entry {i}: process {item['proc']} but n_procs is {n}")
        if item["kind"] == "send":
            if item["peer"] > n or item["peer"] == item["proc"]:
                raise ParamError("script", f"entry {i}: peer {item['peer']} must be another process <= {n}")
            sent[len(sent) + 1] = item["peer"]
        elif item["kind"] == "recv":
            msg = item["msg"]
            if msg not in sent or msg in received or sent[msg] != item["proc"]:
                raise ParamError("script", f"entry {i}: receive of message {msg} at P{item['proc']} "
                                 "has no matching earlier send to that process")
            received.add(msg)
    missing = sorted(set(sent) - received)
    if missing:
        raise ParamError("script", f"message {missing[0]} is sent but never received")


# ---------------------------------------------------------------- clock rules
class ProcClock(NamedTuple):
    """One process's logical clocks: its Lamport counter and its vector (0-based slots)."""

    lamport: int
    vector: tuple[int, ...]


def new_clock(n_procs: int) -> ProcClock:
    return ProcClock(0, (0,) * n_procs)


def tick_local(clock: ProcClock, proc: int) -> ProcClock:
    """Local event at 0-based ``proc``: counter + 1, own vector slot + 1."""
    vector = list(clock.vector)
    vector[proc] += 1
    return ProcClock(clock.lamport + 1, tuple(vector))


def tick_send(clock: ProcClock, proc: int) -> ProcClock:
    """Send: ticks like a local event; the message carries the new counter and vector."""
    return tick_local(clock, proc)


def tick_recv(clock: ProcClock, proc: int, msg_ts: int, msg_vector: Sequence[int]) -> ProcClock:
    """Receive: counter = max(counter, carried stamp) + 1; vector = slot-wise max, then own slot + 1."""
    vector = [max(mine, theirs) for mine, theirs in zip(clock.vector, msg_vector)]
    vector[proc] += 1
    return ProcClock(max(clock.lamport, msg_ts) + 1, tuple(vector))


def happened_before(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """a -> b, read from b's vector: b has seen at least a's position on a's process."""
    return a["id"] != b["id"] and b["vector"][a["proc"] - 1] >= a["idx"]


# ---------------------------------------------------------------- plans: what happens when
Plan = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def _add_message(actions: list[dict[str, Any]], messages: list[dict[str, Any]], src: int, dst: int,
                 send_t: float, delay: float, phase: str, label: str | None) -> None:
    msg = len(messages) + 1
    messages.append({"id": msg, "src": src, "dst": dst, "send_t": send_t, "recv_t": send_t + delay,
                     "label": label, "phase": phase})
    actions.append({"proc": src, "kind": "send", "real_t": send_t, "phase": phase, "msg": msg, "peer": dst})
    actions.append({"proc": dst, "kind": "recv", "real_t": send_t + delay, "phase": phase, "msg": msg, "peer": src})


def generate_plan(rng: np.random.Generator, p: Mapping[str, Any]) -> Plan:
    """Three phases of events (1-based procs) and their messages; receives at send time + delay."""
    n, slot, lo, hi = p["n_procs"], p["slot_s"], p["min_delay_s"], p["max_delay_s"]
    actions: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    counts = rng.integers(1, 3, size=n).tolist()
    if max(counts) < 2:
        counts[int(rng.integers(0, n))] = 2
    for rnd in (1, 2):  # phase 1: round k at slot k, all processes in parallel
        for proc in range(1, n + 1):
            if counts[proc - 1] >= rnd:
                actions.append({"proc": proc, "kind": "local", "real_t": rnd * slot, "phase": "independent",
                                "msg": None, "peer": None})
    k = 3  # phase 2: request P1 -> P2, a local event at P2 after it arrives, reply P2 -> P1
    _add_message(actions, messages, 1, 2, k * slot, float(rng.uniform(lo, hi)), "request", "request")
    arrival = messages[-1]["recv_t"]
    k = max(k + 1, math.floor(arrival / slot) + 1)
    while k * slot <= arrival:
        k += 1
    actions.append({"proc": 2, "kind": "local", "real_t": k * slot, "phase": "request", "msg": None, "peer": None})
    k += 1
    _add_message(actions, messages, 2, 1, k * slot, float(rng.uniform(lo, hi)), "request", "reply")
    for _ in range(p["n_random_events"]):  # phase 3: one seeded action per slot
        k += 1
        proc = int(rng.integers(0, n)) + 1
        if rng.random() < p["p_send"]:
            peer = int(rng.integers(0, n - 1)) + 1
            peer += peer >= proc
            _add_message(actions, messages, proc, peer, k * slot, float(rng.uniform(lo, hi)), "random", None)
        else:
            actions.append({"proc": proc, "kind": "local", "real_t": k * slot, "phase": "random",
                            "msg": None, "peer": None})
    return actions, messages


def script_plan(p: Mapping[str, Any]) -> Plan:
    """A checked script: event i (0-based) at real time (i + 1) * slot_s; messages numbered by send."""
    slot = p["slot_s"]
    actions: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    for i, item in enumerate(p["script"]):
        t = (i + 1) * slot
        if item["kind"] == "send":
            messages.append({"id": len(messages) + 1, "src": item["proc"], "dst": item["peer"], "send_t": t,
                             "recv_t": None, "label": None, "phase": "script"})
            actions.append({"proc": item["proc"], "kind": "send", "real_t": t, "phase": "script",
                            "msg": len(messages), "peer": item["peer"]})
        elif item["kind"] == "recv":
            msg = messages[item["msg"] - 1]
            msg["recv_t"] = t
            actions.append({"proc": item["proc"], "kind": "recv", "real_t": t, "phase": "script",
                            "msg": msg["id"], "peer": msg["src"]})
        else:
            actions.append({"proc": item["proc"], "kind": "local", "real_t": t, "phase": "script",
                            "msg": None, "peer": None})
    return actions, messages


def _order_key(action: Mapping[str, Any]) -> tuple[float, int, int, int]:
    """Real time, then process; on one process at one instant receives (by message) come first."""
    return (action["real_t"], action["proc"], int(action["kind"] != "recv"), action["msg"] or 0)


# ---------------------------------------------------------------- running the clocks
def run_clocks(actions: Sequence[Mapping[str, Any]], messages: Sequence[dict[str, Any]],
               p: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Apply the clock rules in real-time order; return (events, messages, steps)."""
    n, skews = p["n_procs"], p["skews_s"]
    clocks = [new_clock(n) for _ in range(n)]
    carried: dict[int, ProcClock] = {}
    in_flight: list[int] = []
    events: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    out_msgs = {m["id"]: {"id": m["id"], "src": f"P{m['src']}", "dst": f"P{m['dst']}", "ts": None, "vector": None,
                          "send_t": m["send_t"], "recv_t": m["recv_t"], "label": m["label"],
                          "send_event": None, "recv_event": None} for m in messages}
    for action in sorted(actions, key=_order_key):
        proc, kind, msg = action["proc"], action["kind"], action["msg"]
        before = clocks[proc - 1]
        if kind == "local":
            after = tick_local(before, proc - 1)
        elif kind == "send":
            after = tick_send(before, proc - 1)
            carried[msg] = after
            in_flight.append(msg)
        else:
            stamp = carried[msg]
            after = tick_recv(before, proc - 1, stamp.lamport, stamp.vector)
            in_flight.remove(msg)
        clocks[proc - 1] = after
        idx = after.vector[proc - 1]
        event = {"id": f"P{proc}.{idx}", "proc": proc, "idx": idx, "kind": kind, "phase": action["phase"],
                 "real_t": action["real_t"], "phys": action["real_t"] + skews[proc - 1],
                 "lamport": after.lamport, "lamport_prev": before.lamport, "vector": list(after.vector),
                 "msg": msg, "peer": action["peer"], "msg_ts": carried[msg].lamport if kind == "recv" else None}
        events.append(event)
        if kind == "send":
            out_msgs[msg].update(ts=after.lamport, vector=list(after.vector), send_event=event["id"])
        elif kind == "recv":
            out_msgs[msg]["recv_event"] = event["id"]
        steps.append({"t": action["real_t"], "event": kind, "event_id": event["id"], "proc": proc,
                      "phase": action["phase"], "lamport": [c.lamport for c in clocks],
                      "vectors": [list(c.vector) for c in clocks], "in_flight": sorted(in_flight)})
    return events, [out_msgs[i] for i in sorted(out_msgs)], steps


# ---------------------------------------------------------------- highlights
def total_order(events: Sequence[Mapping[str, Any]]) -> list[str]:
    return [e["id"] for e in sorted(events, key=lambda e: (e["lamport"], e["proc"]))]


def longest_chain(events: Sequence[Mapping[str, Any]]) -> list[str]:
    """A longest chain into the earliest event with the largest stamp, walked back through the
    predecessor with the larger stamp (the receive's sender on a tie); that stamp is always one less."""
    if not events:
        return []
    by_id = {e["id"]: e for e in events}
    send_of = {e["msg"]: e for e in events if e["kind"] == "send"}
    end = min(events, key=lambda e: (-e["lamport"], e["real_t"], e["proc"]))
    chain = [end]
    while chain[-1]["lamport"] > 1:
        cur = chain[-1]
        options = []
        if cur["kind"] == "recv":
            options.append(send_of[cur["msg"]])
        if cur["idx"] > 1:
            options.append(by_id[f"P{cur['proc']}.{cur['idx'] - 1}"])
        if not options:
            break
        chain.append(max(options, key=lambda e: e["lamport"]))
    return [e["id"] for e in reversed(chain)]


def widest_concurrent_pair(events: Sequence[Mapping[str, Any]]) -> list[str] | None:
    """Concurrent (a, b) with lamport(a) < lamport(b), widest gap; ties by real time of a, then of b."""
    best: tuple[Any, ...] | None = None
    for a in events:
        for b in events:
            if a["lamport"] < b["lamport"] and not happened_before(a, b) and not happened_before(b, a):
                key = (a["lamport"] - b["lamport"], a["real_t"], a["proc"], b["real_t"], b["proc"])
                if best is None or key < best[0]:
                    best = (key, a["id"], b["id"])
    return None if best is None else [best[1], best[2]]


def find_skew_pair(events: Sequence[Mapping[str, Any]], messages: Sequence[Mapping[str, Any]]) -> list[str] | None:
    """The request if its receive reads an earlier wall clock than its send, else the first such message."""
    phys = {e["id"]: e["phys"] for e in events}
    reversed_msgs = [m for m in messages if phys[m["recv_event"]] < phys[m["send_event"]]]
    reversed_msgs.sort(key=lambda m: (m["label"] != "request", m["id"]))
    return [reversed_msgs[0]["send_event"], reversed_msgs[0]["recv_event"]] if reversed_msgs else None


def pair_stats(events: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Pairs on different processes with different stamps, and how many of them are concurrent."""
    ordered = concurrent = 0
    for i, a in enumerate(events):
        for b in events[i + 1:]:
            if a["proc"] != b["proc"] and a["lamport"] != b["lamport"]:
                ordered += 1
                concurrent += not happened_before(a, b) and not happened_before(b, a)
    return {"ordered_pairs": ordered, "concurrent_but_ordered": concurrent}


# ---------------------------------------------------------------- run
def simulate(seed: int, **params: Any) -> Trace:
    """Generate (or replay the script), run the clocks, and pick the highlights; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = copy.deepcopy(resolve_params(PARAMS, params, check_params))  # never share the default lists
    if p["script"]:
        actions, messages = script_plan(p)
    else:
        actions, messages = generate_plan(np.random.default_rng(seed), p)
    events, messages_out, steps = run_clocks(actions, messages, p)
    chain = longest_chain(events)
    pair = widest_concurrent_pair(events)
    skew = find_skew_pair(events, messages_out)
    stats = pair_stats(events)
    by_id = {e["id"]: e for e in events}
    labelled = {m["label"]: m["id"] for m in messages_out if m["label"]}
    skew_msg = next((m for m in messages_out if skew and m["send_event"] == skew[0]), None)
    summary = {
        "n_events": len(events), "n_messages": len(messages_out),
        "max_lamport": max((e["lamport"] for e in events), default=0), "chain_length": len(chain),
        **stats,
        "concurrent_gap": by_id[pair[1]]["lamport"] - by_id[pair[0]]["lamport"] if pair else None,
        "skew_reversal_s": by_id[skew[0]]["phys"] - by_id[skew[1]]["phys"] if skew else None,
        "request_msg": labelled.get("request"), "reply_msg": labelled.get("reply"),
        "skew_msg": skew_msg["id"] if skew_msg else None,
        "skew_gap_s": (p["skews_s"][by_id[skew[0]]["proc"] - 1] - p["skews_s"][by_id[skew[1]]["proc"] - 1]
                       if skew else None),
        "skew_delay_s": skew_msg["recv_t"] - skew_msg["send_t"] if skew_msg else None,
    }
    extra = {"processes": [f"P{i}" for i in range(1, p["n_procs"] + 1)], "events": events,
             "messages": messages_out, "total_order": total_order(events),
             "highlight": {"chain": chain, "concurrent_pair": pair, "skew_pair": skew}, "stats": stats}
    return Trace(id=ID, seed=seed, params=p, steps=steps, summary=summary, extra=extra)
