"""Two-phase commit: a coordinator commits a transaction at several participants or at none, and can block them.

Model
-----
One coordinator and a few participants exchange messages with seeded latencies, in integer
milliseconds, event-driven. Transactions run one after another: each starts at its start_ms, or
when the previous one has written its end record if that is later. Phase 1: the coordinator sends
PREPARE; a participant locks its rows, works for a seeded prepare time, then either force-writes
"prepared" and votes YES (it is now uncertain) or, if it is the transaction's NO voter, writes
"abort", rolls back, unlocks and votes NO. Phase 2: on the last YES the coordinator writes "commit"
and sends COMMIT to everyone; on the first NO it writes "abort" and sends ABORT to everyone who did
not vote NO. A participant that learns the decision logs it, applies it, unlocks and (if the
coordinator told it) acknowledges; after all acknowledgements the coordinator writes "end". A
scripted coordinator crash happens right after logging commit, or on the vote that would decide,
before logging; messages to a crashed node are lost; on recovery the coordinator reads its log and
resends the logged decision, or decides abort. With cooperative termination an uncertain
participant asks the coordinator and its peers every participant_timeout_ms: a peer that knows the
decision tells it, a peer that has not voted aborts and answers abort, an uncertain peer answers
unknown. Events at the same millisecond run deliveries first, then timers, in node order
(coordinator, then the participants in order).

Invariants
----------
1. Agreement: within a transaction every decide and apply event carries the same decision.
2. Validity: commit is logged only after YES votes from every participant arrived; any NO vote means abort.
3. Non-triviality: with no crash and no NO vote a transaction commits with exactly 4n messages.
4. Write-ahead and irrevocability: one decision per node per transaction, logged before it is sent; prepared before YES.
5. No unilateral decision after YES: a YES voter decides only on COMMIT, ABORT or a reply that carries the decision.
6. Blocking: while the coordinator is down and no live node knows the decision, YES voters stay prepared and locked.
7. Termination: after the coordinator recovers, every participant decides and unlocks before the run ends.
8. Message physics: latencies lie within latency_ms (the override when set); messages to a crashed node are dropped.

Leaves out
----------
Real databases run many transactions at once with row-level lock managers, detect deadlocks, and
let the coordinator time out waiting for votes. Here transactions run one at a time, only the
coordinator crashes (participants never fail and no message is lost otherwise), a crashed
coordinator always comes back after a fixed time, and the work done while preparing is not
modelled beyond its duration. Production systems avoid the blocking with a replicated coordinator
(Paxos Commit) or with three-phase commit, neither of which is shown.

Trace
-----
steps: one per event, in (t_ms, seq) order. Events: send, deliver, drop, lock, log_write, vote,
decide, apply, unlock, crash, recover, timeout, ask_peers. Fields: t_ms, seq, tx, event, node,
msg_id (null unless the event is about a message) and detail (send/deliver/drop: type, src, dst,
decision; log_write: record (prepared, commit, abort or end); vote: vote (yes or no); decide and
apply: decision; unlock: held_ms; crash: point; recover: found (the decision in the log, or null);
timeout and ask_peers: round; ask_peers also asked), then the full state after the event: nodes
({name: {alive, state (idle, collecting, working, prepared, committed, aborted, done), locks_held,
log: [{tx, record, t_ms}]}}) and in_flight (message ids on the wire). summary: nodes (coordinator
first), messages ([{id, tx, type, src, dst, send_ms, deliver_ms, dropped, decision}]; decision is
set on COMMIT, ABORT and DECISION_REPLY), transactions ([{name, requested_ms, start_ms, decision,
decided_ms, end_ms, message_count, votes ({participant: yes|no|null}), lock_hold_ms and
uncertain_ms ({participant: int}), lock_hold_max_ms, termination_rounds (the most rounds any one
participant asked), unknown_replies, crash ({point, crash_ms, recover_ms} or null)}]). Beats: T1's
messages and log_write steps carry phase 1 and 2 and its message_count; T2's vote step with vote no
and the coordinator's abort record carry the NO beat; T3's crash step, its ask_peers steps
(termination_rounds, unknown_replies), its recover step and lock_hold_max_ms against T1's carry the
blocking beats.
"""

from __future__ import annotations

import heapq
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "EVENTS", "COORDINATOR", "World", "check_params", "simulate", "min_participant_timeout",
    "coordinator_decision", "reply_to_request", "draw_latency", "draw_prepare", "new_world", "start_transaction",
    "handle_prepare", "finish_prepare", "handle_vote", "handle_decision", "handle_ack", "crash_coordinator",
    "recover_coordinator", "participant_timeout", "handle_decision_request", "handle_decision_reply", "handle_delivery",
    "run",
]

ID = "two-phase-commit"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {"participants": ["orders", "payments", "inventory", "shipping"],
                                    "latency_ms": [15, 40]}
COORDINATOR = "coordinator"
EVENTS = ("send", "deliver", "drop", "lock", "log_write", "vote", "decide", "apply", "unlock", "crash", "recover",
          "timeout", "ask_peers")
CRASH_POINTS = ("after_commit_logged", "before_decision")
DELIVER, TIMER = 0, 1  # same-ms order of event kinds
#: Upper bound on termination rounds during one outage (recover_after_ms / participant_timeout_ms).
MAX_ROUNDS = 20


# ---------------------------------------------------------------- parameters
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_participants(value: Any) -> list[str]:
    if not 2 <= len(value) <= 5 or not all(isinstance(v, str) and v for v in value) or len(set(value)) != len(value):
        raise ValueError(f"expected 2 to 5 distinct non-empty names, got {value!r}")
    if COORDINATOR in value:
        raise ValueError(f"{COORDINATOR!r} is the coordinator's name")
    return list(value)


def _range_check(low: int, high: int, smallest: int) -> Any:
    def check(value: Any) -> list[int]:
        if len(value) != 2 or not all(_is_int(v) for v in value) or not smallest <= value[0] <= value[1] <= high:
            raise ValueError(f"expected [low, high] with {smallest} <= low <= high <= {high}, got {value!r}")
        return [value[0], value[1]]
    return check


def _optional_int(smallest: int, high: int) -> Any:
    def check(value: Any) -> int | None:
        if isinstance(value, str):  # from the command line
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError(f"expected null or an integer, got {value!r}") from None
        if value is None:
            return None
        if not (_is_int(value) and smallest <= value <= high):
            raise ValueError(f"expected null or an integer in [{smallest}, {high}], got {value!r}")
        return value
    return check


def _check_termination(value: str) -> str:
    if value not in ("cooperative", "wait"):
        raise ValueError(f"expected \"cooperative\" or \"wait\", got {value!r}")
    return value


def _check_transactions(value: Any) -> list[dict[str, Any]]:
    if not 1 <= len(value) <= 10:
        raise ValueError(f"expected 1 to 10 transactions, got {len(value)}")
    txs, names = [], set()
    allowed = {"name", "start_ms", "no_voter", "coordinator_crash", "recover_after_ms"}
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not {"name", "start_ms"} <= set(item) <= allowed:
            raise ValueError(f"entry {i}: expected {{name, start_ms, no_voter?, coordinator_crash?, "
                             f"recover_after_ms?}}, got {item!r}")
        name, start = item["name"], item["start_ms"]
        if not (isinstance(name, str) and name) or name in names:
            raise ValueError(f"entry {i}: name must be a new non-empty string, got {name!r}")
        names.add(name)
        if not (_is_int(start) and 0 <= start <= 60_000):
            raise ValueError(f"entry {i}: start_ms must be an integer in [0, 60000], got {start!r}")
        if txs and start < txs[-1]["start_ms"]:
            raise ValueError(f"entry {i}: start_ms {start} is before the previous transaction's")
        no_voter, crash, recover = item.get("no_voter"), item.get("coordinator_crash"), item.get("recover_after_ms")
        if no_voter is not None and not isinstance(no_voter, str):
            raise ValueError(f"entry {i}: no_voter must be null or a participant name, got {no_voter!r}")
        if crash is not None and crash not in CRASH_POINTS:
            raise ValueError(f"entry {i}: coordinator_crash must be null or one of {list(CRASH_POINTS)}, got {crash!r}")
        if (crash is None) != (recover is None):
            raise ValueError(f"entry {i}: recover_after_ms is required with coordinator_crash, and only with it")
        if recover is not None and not (_is_int(recover) and 1 <= recover <= 60_000):
            raise ValueError(f"entry {i}: recover_after_ms must be an integer in [1, 60000], got {recover!r}")
        if crash == "after_commit_logged" and no_voter is not None:
            raise ValueError(f"entry {i}: a transaction with a NO voter never logs commit")
        txs.append(dict(item))
    return txs


PARAMS: tuple[Param, ...] = (
    Param("participants", list, ["orders", "payments", "inventory"], help="participant names, in node order",
          validate=_check_participants),
    Param("latency_ms", list, [10, 30], help="[low, high] of each message's uniform latency",
          validate=_range_check(1, 1000, 1)),
    Param("prepare_ms", list, [5, 20], help="[low, high] of each participant's uniform prepare time",
          validate=_range_check(0, 1000, 0)),
    Param("participant_timeout_ms", int, 200, 1, 10_000, "wait after a YES vote before asking, and between asks"),
    Param("termination", str, "cooperative", help="\"cooperative\" (ask peers) or \"wait\" (nobody asks)",
          validate=_check_termination),
    Param("latency_override_ms", object, None, help="null, or one latency for every message",
          validate=_optional_int(1, 1000)),
    Param("prepare_override_ms", object, None, help="null, or one prepare time for every participant",
          validate=_optional_int(0, 1000)),
    Param("transactions", list, [{"name": "T1", "start_ms": 0},
                                 {"name": "T2", "start_ms": 400, "no_voter": "inventory"},
                                 {"name": "T3", "start_ms": 800, "coordinator_crash": "after_commit_logged",
                                  "recover_after_ms": 1500}],
          help="[{name, start_ms, no_voter?, coordinator_crash?, recover_after_ms?}, ...], run in order",
          validate=_check_transactions),
)


def _bounds(p: dict[str, Any], spread: str, override: str) -> tuple[int, int]:
    return (p[override], p[override]) if p[override] is not None else (p[spread][0], p[spread][1])


def min_participant_timeout(latency: tuple[int, int], prepare: tuple[int, int]) -> int:
    """The timeout must exceed this, so that no failure-free run ever asks: the slowest decision
    (3 latencies and a prepare after the start) minus the fastest vote (1 latency and a prepare)."""
    return 3 * latency[1] + prepare[1] - latency[0] - prepare[0]


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks; raise :class:`ParamError` naming the field at fault."""
    latency, prepare = _bounds(p, "latency_ms", "latency_override_ms"), _bounds(p, "prepare_ms", "prepare_override_ms")
    bound = min_participant_timeout(latency, prepare)
    if p["participant_timeout_ms"] <= bound:
        raise ParamError("participant_timeout_ms", f"must exceed 3*{latency[1]} + {prepare[1]} - {latency[0]} - "
                                                   f"{prepare[0]} = {bound}, got {p['participant_timeout_ms']}")
    for i, tx in enumerate(p["transactions"]):
        if tx.get("no_voter") is not None and tx["no_voter"] not in p["participants"]:
            raise ParamError("transactions", f"entry {i}: no_voter {tx['no_voter']!r} is none of {p['participants']}")
        recover = tx.get("recover_after_ms")
        if recover is not None and recover // p["participant_timeout_ms"] > MAX_ROUNDS:
            raise ParamError("transactions", f"entry {i}: recover_after_ms {recover} allows more than {MAX_ROUNDS} "
                                             f"rounds of {p['participant_timeout_ms']} ms")


# ---------------------------------------------------------------- pure rules
def coordinator_decision(votes: dict[str, str], participants: list[str]) -> str | None:
    """Commit once every participant voted yes, abort at the first no, else undecided (None)."""
    if any(v == "no" for v in votes.values()):
        return "abort"
    if all(votes.get(name) == "yes" for name in participants):
        return "commit"
    return None


def reply_to_request(decision: str | None, voted: bool) -> str:
    """What a participant answers a DECISION_REQ with: the decision if it knows it; abort if it has
    not voted (it then aborts); unknown if it voted yes and is still uncertain."""
    if decision is not None:
        return decision
    return "unknown" if voted else "abort"


def draw_latency(rng: np.random.Generator, p: dict[str, Any]) -> int:
    """One message latency: the override, or uniform in latency_ms (ends included)."""
    if p["latency_override_ms"] is not None:
        return p["latency_override_ms"]
    return int(rng.integers(p["latency_ms"][0], p["latency_ms"][1] + 1))


def draw_prepare(rng: np.random.Generator, p: dict[str, Any]) -> int:
    """One prepare duration: the override, or uniform in prepare_ms (ends included)."""
    if p["prepare_override_ms"] is not None:
        return p["prepare_override_ms"]
    return int(rng.integers(p["prepare_ms"][0], p["prepare_ms"][1] + 1))


# ---------------------------------------------------------------- the world
@dataclass
class World:
    """Nodes (plain dicts), per-transaction bookkeeping, the event queue and the records."""

    params: dict[str, Any]
    rng: np.random.Generator
    order: dict[str, int]
    nodes: dict[str, dict[str, Any]]
    txs: list[dict[str, Any]]
    queue: list[tuple[int, int, int, int, tuple[Any, ...]]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    in_flight: set[int] = field(default_factory=set)
    counter: int = 0
    finished: bool = False

    @property
    def participants(self) -> list[str]:
        return self.params["participants"]


def new_world(seed: int, p: dict[str, Any]) -> World:
    """Idle nodes with empty logs, and one bookkeeping record per transaction."""
    names = [COORDINATOR, *p["participants"]]
    nodes = {n: {"alive": True, "state": "idle", "locks_held": False, "log": []} for n in names}
    txs = [{"spec": spec, "name": spec["name"], "index": i, "start_ms": None, "votes": {}, "decision": {},
            "decided_ms": {}, "lock_ms": {}, "unlock_ms": {}, "prepared_ms": {}, "acks_from": set(),
            "ack_wait": set(), "end_ms": None, "rounds": {}, "crash": None, "working": set()}
           for i, spec in enumerate(p["transactions"])]
    return World(params=p, rng=np.random.default_rng(seed), order={n: i for i, n in enumerate(names)},
                 nodes=nodes, txs=txs)


def schedule(world: World, t_ms: int, kind: int, node: str, payload: tuple[Any, ...]) -> None:
    world.counter += 1
    heapq.heappush(world.queue, (t_ms, kind, world.order[node], world.counter, payload))


def emit(world: World, t_ms: int, tx: dict[str, Any] | None, event: str, node: str | None,
         msg_id: int | None = None, **detail: Any) -> None:
    """Record one step with the full state after it."""
    world.steps.append({
        "t_ms": t_ms, "seq": len(world.steps), "tx": tx["name"] if tx else None, "event": event, "node": node,
        "msg_id": msg_id, "detail": detail,
        "nodes": {n: {"alive": s["alive"], "state": s["state"], "locks_held": s["locks_held"],
                      "log": [dict(r) for r in s["log"]]} for n, s in world.nodes.items()},
        "in_flight": sorted(world.in_flight),
    })


def log_write(world: World, t_ms: int, tx: dict[str, Any], node: str, record: str) -> None:
    """Force-write one record to a node's log."""
    world.nodes[node]["log"].append({"tx": tx["name"], "record": record, "t_ms": t_ms})
    emit(world, t_ms, tx, "log_write", node, record=record)


def send(world: World, t_ms: int, tx: dict[str, Any], kind: str, src: str, dst: str,
         decision: str | None = None) -> None:
    latency = draw_latency(world.rng, world.params)
    msg = {"id": len(world.messages) + 1, "tx": tx["name"], "type": kind, "src": src, "dst": dst, "send_ms": t_ms,
           "deliver_ms": t_ms + latency, "dropped": False, "decision": decision}
    world.messages.append(msg)
    world.in_flight.add(msg["id"])
    schedule(world, msg["deliver_ms"], DELIVER, dst, ("deliver", msg["id"]))
    emit(world, t_ms, tx, "send", src, msg["id"], type=kind, src=src, dst=dst, decision=decision)


def _tx(world: World, name: str) -> dict[str, Any]:
    return next(tx for tx in world.txs if tx["name"] == name)


# ---------------------------------------------------------------- coordinator rules
def start_transaction(world: World, t_ms: int, tx: dict[str, Any]) -> None:
    """Phase 1 begins: PREPARE to every participant."""
    tx["start_ms"] = t_ms
    world.nodes[COORDINATOR]["state"] = "collecting"
    for name in world.participants:
        send(world, t_ms, tx, "PREPARE", COORDINATOR, name)


def _coordinator_decides(world: World, t_ms: int, tx: dict[str, Any], decision: str, recipients: list[str],
                         crash_after_log: bool = False) -> None:
    tx["decision"][COORDINATOR], tx["decided_ms"][COORDINATOR] = decision, t_ms
    world.nodes[COORDINATOR]["state"] = "committed" if decision == "commit" else "aborted"
    emit(world, t_ms, tx, "decide", COORDINATOR, decision=decision)
    log_write(world, t_ms, tx, COORDINATOR, decision)
    if crash_after_log:
        crash_coordinator(world, t_ms, tx, "after_commit_logged")
        return
    tx["ack_wait"], tx["acks_from"] = set(recipients), set()
    for name in recipients:
        send(world, t_ms, tx, "COMMIT" if decision == "commit" else "ABORT", COORDINATOR, name, decision)
    if not recipients:  # everyone voted NO: nobody to tell
        _write_end(world, t_ms, tx)


def handle_vote(world: World, t_ms: int, msg: dict[str, Any]) -> None:
    """Count a vote; decide on the last YES or the first NO (or crash there, as scripted)."""
    tx = _tx(world, msg["tx"])
    tx["votes"][msg["src"]] = "yes" if msg["type"] == "VOTE_YES" else "no"
    if COORDINATOR in tx["decision"]:
        return
    decision = coordinator_decision(tx["votes"], world.participants)
    if decision is None:
        return
    crash = tx["spec"].get("coordinator_crash")
    if crash == "before_decision":
        crash_coordinator(world, t_ms, tx, crash)
        return
    recipients = [n for n in world.participants if tx["votes"].get(n) != "no"]
    _coordinator_decides(world, t_ms, tx, decision, recipients,
                         crash_after_log=crash == "after_commit_logged" and decision == "commit")


def handle_ack(world: World, t_ms: int, msg: dict[str, Any]) -> None:
    """Collect acknowledgements; write end after the last, then start the next transaction."""
    tx = _tx(world, msg["tx"])
    tx["acks_from"].add(msg["src"])
    if tx["end_ms"] is None and tx["ack_wait"] and tx["acks_from"] >= tx["ack_wait"]:
        _write_end(world, t_ms, tx)


def _write_end(world: World, t_ms: int, tx: dict[str, Any]) -> None:
    """The transaction is over: log end, then start the next one (or finish the run)."""
    tx["end_ms"] = t_ms
    world.nodes[COORDINATOR]["state"] = "done"
    log_write(world, t_ms, tx, COORDINATOR, "end")
    if tx["index"] + 1 < len(world.txs):
        nxt = world.txs[tx["index"] + 1]
        schedule(world, max(t_ms, nxt["spec"]["start_ms"]), TIMER, COORDINATOR, ("start", nxt["index"]))
    else:
        world.finished = True


def crash_coordinator(world: World, t_ms: int, tx: dict[str, Any], point: str) -> None:
    """The coordinator stops; its volatile state (votes, acknowledgements) is lost with it."""
    world.nodes[COORDINATOR]["alive"] = False
    tx["crash"] = {"point": point, "crash_ms": t_ms, "recover_ms": t_ms + tx["spec"]["recover_after_ms"]}
    tx["votes"], tx["acks_from"], tx["ack_wait"] = {}, set(), set()
    emit(world, t_ms, tx, "crash", COORDINATOR, point=point)
    schedule(world, tx["crash"]["recover_ms"], TIMER, COORDINATOR, ("recover", tx["index"]))


def recover_coordinator(world: World, t_ms: int, tx: dict[str, Any]) -> None:
    """Read the log: resend a logged decision to every participant, or decide abort."""
    node = world.nodes[COORDINATOR]
    node["alive"] = True
    logged = [r["record"] for r in node["log"] if r["tx"] == tx["name"] and r["record"] in ("commit", "abort")]
    emit(world, t_ms, tx, "recover", COORDINATOR, found=logged[0] if logged else None)
    if logged:
        tx["ack_wait"], tx["acks_from"] = set(world.participants), set()
        for name in world.participants:
            send(world, t_ms, tx, "COMMIT" if logged[0] == "commit" else "ABORT", COORDINATOR, name, logged[0])
    else:
        _coordinator_decides(world, t_ms, tx, "abort", list(world.participants))


# ---------------------------------------------------------------- participant rules
def handle_prepare(world: World, t_ms: int, name: str, tx: dict[str, Any]) -> None:
    """Lock and start working (nothing to do if this participant already aborted on a peer's request)."""
    if name in tx["decision"]:
        return
    node = world.nodes[name]
    node.update(state="working", locks_held=True)
    tx["lock_ms"][name] = t_ms
    tx["working"].add(name)
    emit(world, t_ms, tx, "lock", name)
    schedule(world, t_ms + draw_prepare(world.rng, world.params), TIMER, name, ("prepared", tx["index"], name))


def finish_prepare(world: World, t_ms: int, name: str, tx: dict[str, Any]) -> None:
    """The work is done: log prepared and vote YES, or (the NO voter) abort and vote NO."""
    if name not in tx["working"]:
        return  # it learned the outcome (abort) while still working
    tx["working"].discard(name)
    if tx["spec"].get("no_voter") == name:
        _participant_decides(world, t_ms, tx, name, "abort")
        emit(world, t_ms, tx, "vote", name, vote="no")
        send(world, t_ms, tx, "VOTE_NO", name, COORDINATOR)
        return
    world.nodes[name]["state"] = "prepared"
    tx["prepared_ms"][name] = t_ms
    log_write(world, t_ms, tx, name, "prepared")
    emit(world, t_ms, tx, "vote", name, vote="yes")
    send(world, t_ms, tx, "VOTE_YES", name, COORDINATOR)
    if world.params["termination"] == "cooperative":
        schedule(world, t_ms + world.params["participant_timeout_ms"], TIMER, name, ("timeout", tx["index"], name))


def _participant_decides(world: World, t_ms: int, tx: dict[str, Any], name: str, decision: str) -> None:
    tx["decision"][name], tx["decided_ms"][name] = decision, t_ms
    tx["working"].discard(name)
    node = world.nodes[name]
    node["state"] = "committed" if decision == "commit" else "aborted"
    emit(world, t_ms, tx, "decide", name, decision=decision)
    log_write(world, t_ms, tx, name, decision)
    if node["locks_held"]:
        emit(world, t_ms, tx, "apply", name, decision=decision)
        node["locks_held"] = False
        tx["unlock_ms"][name] = t_ms
        emit(world, t_ms, tx, "unlock", name, held_ms=t_ms - tx["lock_ms"][name])


def handle_decision(world: World, t_ms: int, msg: dict[str, Any]) -> None:
    """COMMIT or ABORT from the coordinator: decide (once) and acknowledge."""
    tx = _tx(world, msg["tx"])
    name = msg["dst"]
    if name not in tx["decision"]:
        _participant_decides(world, t_ms, tx, name, msg["decision"])
    send(world, t_ms, tx, "ACK", name, COORDINATOR)


def participant_timeout(world: World, t_ms: int, name: str, tx: dict[str, Any]) -> None:
    """Still uncertain after the timeout: ask the coordinator and every peer, and ask again later."""
    if name in tx["decision"]:
        return
    tx["rounds"][name] = tx["rounds"].get(name, 0) + 1
    round_no = tx["rounds"][name]
    emit(world, t_ms, tx, "timeout", name, round=round_no)
    asked = [COORDINATOR, *[n for n in world.participants if n != name]]
    emit(world, t_ms, tx, "ask_peers", name, round=round_no, asked=asked)
    for other in asked:
        send(world, t_ms, tx, "DECISION_REQ", name, other)
    schedule(world, t_ms + world.params["participant_timeout_ms"], TIMER, name, ("timeout", tx["index"], name))


def handle_decision_request(world: World, t_ms: int, msg: dict[str, Any]) -> None:
    """Answer a DECISION_REQ with the decision, abort (not voted yet: abort now) or unknown."""
    tx = _tx(world, msg["tx"])
    name = msg["dst"]
    if name == COORDINATOR:
        answer = tx["decision"].get(COORDINATOR, "unknown")
    else:
        voted = name in tx["prepared_ms"]
        answer = reply_to_request(tx["decision"].get(name), voted)
        if name not in tx["decision"] and not voted:
            _participant_decides(world, t_ms, tx, name, "abort")
            emit(world, t_ms, tx, "vote", name, vote="no")
            send(world, t_ms, tx, "VOTE_NO", name, COORDINATOR)
    send(world, t_ms, tx, "DECISION_REPLY", name, msg["src"], answer)


def handle_decision_reply(world: World, t_ms: int, msg: dict[str, Any]) -> None:
    """A reply that carries the decision settles an uncertain participant (no acknowledgement)."""
    tx = _tx(world, msg["tx"])
    if msg["decision"] in ("commit", "abort") and msg["dst"] not in tx["decision"]:
        _participant_decides(world, t_ms, tx, msg["dst"], msg["decision"])


# ---------------------------------------------------------------- the loop
def handle_delivery(world: World, t_ms: int, msg_id: int) -> None:
    msg = world.messages[msg_id - 1]
    world.in_flight.discard(msg_id)
    tx = _tx(world, msg["tx"])
    detail = {"type": msg["type"], "src": msg["src"], "dst": msg["dst"], "decision": msg["decision"]}
    if not world.nodes[msg["dst"]]["alive"]:
        msg["dropped"] = True
        emit(world, t_ms, tx, "drop", msg["dst"], msg_id, **detail)
        return
    emit(world, t_ms, tx, "deliver", msg["dst"], msg_id, **detail)
    kind = msg["type"]
    if kind == "PREPARE":
        handle_prepare(world, t_ms, msg["dst"], tx)
    elif kind in ("VOTE_YES", "VOTE_NO"):
        handle_vote(world, t_ms, msg)
    elif kind in ("COMMIT", "ABORT"):
        handle_decision(world, t_ms, msg)
    elif kind == "ACK":
        handle_ack(world, t_ms, msg)
    elif kind == "DECISION_REQ":
        handle_decision_request(world, t_ms, msg)
    else:
        handle_decision_reply(world, t_ms, msg)


def run(world: World) -> None:
    """Process events until every transaction has written its end record."""
    schedule(world, world.txs[0]["spec"]["start_ms"], TIMER, COORDINATOR, ("start", 0))
    while world.queue and not world.finished:
        t_ms, _, _, _, payload = heapq.heappop(world.queue)
        kind = payload[0]
        if kind == "deliver":
            handle_delivery(world, t_ms, payload[1])
        elif kind == "start":
            start_transaction(world, t_ms, world.txs[payload[1]])
        elif kind == "prepared":
            finish_prepare(world, t_ms, payload[2], world.txs[payload[1]])
        elif kind == "timeout":
            participant_timeout(world, t_ms, payload[2], world.txs[payload[1]])
        else:
            recover_coordinator(world, t_ms, world.txs[payload[1]])


def _tx_summary(world: World, tx: dict[str, Any]) -> dict[str, Any]:
    msgs = [m for m in world.messages if m["tx"] == tx["name"]]
    votes = {n: None for n in world.participants}
    for m in msgs:
        if m["type"] in ("VOTE_YES", "VOTE_NO") and votes[m["src"]] is None:
            votes[m["src"]] = "yes" if m["type"] == "VOTE_YES" else "no"
    hold = {n: tx["unlock_ms"][n] - tx["lock_ms"][n] if n in tx["lock_ms"] else 0 for n in world.participants}
    uncertain = {n: tx["decided_ms"][n] - tx["prepared_ms"].get(n, tx["decided_ms"][n]) for n in world.participants}
    return {
        "name": tx["name"], "requested_ms": tx["spec"]["start_ms"], "start_ms": tx["start_ms"],
        "decision": tx["decision"][COORDINATOR], "decided_ms": tx["decided_ms"][COORDINATOR],
        "end_ms": tx["end_ms"], "message_count": len(msgs), "votes": votes,
        "lock_hold_ms": hold, "lock_hold_max_ms": max(hold.values(), default=0), "uncertain_ms": uncertain,
        "termination_rounds": max(tx["rounds"].values(), default=0),
        "unknown_replies": sum(m["type"] == "DECISION_REPLY" and m["decision"] == "unknown" for m in msgs),
        "crash": tx["crash"],
    }


def simulate(seed: int, **params: Any) -> Trace:
    """Run every transaction to its end record and return the trace; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    world = new_world(seed, p)
    run(world)
    summary = {"nodes": [COORDINATOR, *p["participants"]], "messages": world.messages,
               "transactions": [_tx_summary(world, tx) for tx in world.txs]}
    return Trace(id=ID, seed=seed, params=p, steps=world.steps, summary=summary)
