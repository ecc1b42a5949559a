"""Raft consensus (Ongaro & Ousterhout 2014, Figure 2) on a small cluster, event-driven in integer ms.

Model
-----
Servers follow the rules of the Raft paper's Figure 2: randomized election timers,
RequestVote with the up-to-date check, AppendEntries with the consistency check and
truncation, heartbeats, and a leader that commits an entry of its own term once a
majority stores it. Client writes, a leader crash (with an entry it logged but never
sent) and the crashed server's recovery come from the params; latencies, timeouts and
losses from the seed. The world is plain data in the manner of raftscope: servers are
dicts, every transition a small named rule (``start_new_election``, ``become_leader``,
``handle_append_entries``, ``advance_commit_index`` ...). Events at the same millisecond
run in the order (t_ms, kind: deliver < timer < client < crash < recover, node id,
insertion).

Invariants
----------
1. Election safety: at most one leader per term.
2. Leader append-only: a leader never changes or removes entries of its own log.
3. Log matching: two logs that agree on an entry's index and term agree on everything before it.
4. Leader completeness: an entry committed in term T is in the log of every later leader.
5. State machine safety: no two servers ever commit different entries at one index.
6. Terms never decrease; one vote per term; a candidate votes for itself in a new term.
7. Leaders and commits stand on majorities of votes and of stored copies.
8. Latencies stay in range; a crashed server neither sends nor handles anything.

Leaves out
----------
No persistence to disk, so a recovered server keeps its log and term as if they had been
stored safely; no snapshots or log compaction, no membership changes, no pre-vote, and no
client sessions (a write that finds no leader is retried). Messages are lost only when
the params or a crash say so; the network never duplicates or reorders beyond latency.

Trace
-----
One step per event (``event``: timer_expired, become_candidate, send, deliver, drop,
vote_granted, vote_denied, become_leader, step_down, client_write, append, truncate,
commit_advance, crash, recover) with every server's state (``nodes``: id, alive, role,
term, voted_for, log, commit_index, timer_start_ms, timer_deadline_ms, votes_received,
match_index). ``summary`` holds ``messages`` (with send_ms and deliver_ms), ``leaders``
(term, node, elected_ms), ``commits``, ``leaderless`` spans, ``final_logs`` and
``majority``.

Conventions: server ids are ``1..n_nodes``; ``match_index`` and ``final_logs`` are keyed
by the id as a string (as JSON has it) and ``match_index`` includes the leader itself; a
leader's ``timer_*`` fields are its heartbeat timer, a crashed server's are null;
``node``/``term`` are null on a client write that found no leader; a crashed server's
volatile state is cleared at the crash; a ``"leader"`` crash that finds no live leader
does nothing; ``step_down`` also marks a follower adopting a newer term.
"""

from __future__ import annotations

import copy
import heapq
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = [
    "ALTERNATE_PARAMS", "ID", "PARAMS", "World", "check_params", "simulate", "new_world", "run_until",
    "majority", "last_log_term", "log_is_up_to_date", "log_matches", "merge_entries",
    "commit_index_for", "current_leader", "reset_election_timer", "step_down",
    "start_new_election", "become_leader", "send_append_entries", "leader_append",
    "handle_request_vote", "handle_request_vote_reply", "handle_append_entries",
    "handle_append_entries_reply", "advance_commit_index", "handle_client_write",
    "crash_server", "recover_server", "emit", "schedule", "send",
]

ID = "raft-consensus"
#: A second story: a seven-server cluster with other timers, for the shared tests.
ALTERNATE_PARAMS: dict[str, Any] = {"n_nodes": 7, "election_timeout_ms": [160, 320], "heartbeat_ms": 40}
FOLLOWER, CANDIDATE, LEADER = "follower", "candidate", "leader"
DELIVER, TIMER, CLIENT, CRASH, RECOVER = range(5)  # same-ms order of event kinds

Node = dict[str, Any]
Message = dict[str, Any]


# ---------------------------------------------------------------- parameters
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_range(low: int, high: int) -> Callable[[Any], list[int]]:
    def check(value: Any) -> list[int]:
        if len(value) != 2 or not all(_is_int(v) for v in value):
            raise ValueError(f"expected [low, high] as two integers, got {value!r}")
        if not low <= value[0] <= value[1] <= high:
            raise ValueError(f"expected {low} <= low <= high <= {high}, got {value!r}")
        return [value[0], value[1]]
    return check


def _check_client_writes(value: Any) -> list[list[Any]]:
    writes = []
    for i, item in enumerate(value):
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and _is_int(item[0])
                and item[0] >= 0 and isinstance(item[1], str) and item[1]):
            raise ValueError(f"entry {i}: expected [t_ms >= 0, \"command\"], got {item!r}")
        writes.append([item[0], item[1]])
    return writes


def _check_crashes(value: Any) -> list[dict[str, Any]]:
    crashes = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not {"who", "at_ms"} <= set(item):
            raise ValueError(f"entry {i}: expected an object with who and at_ms, got {item!r}")
        unknown = set(item) - {"who", "at_ms", "recover_ms", "orphan_cmd"}
        if unknown:
            raise ValueError(f"entry {i}: unknown keys {sorted(unknown)}")
        who, at, rec, orphan = item["who"], item["at_ms"], item.get("recover_ms"), item.get("orphan_cmd")
        if who != "leader" and not (_is_int(who) and who >= 1):
            raise ValueError(f"entry {i}: who must be \"leader\" or a server number >= 1, got {who!r}")
        if not (_is_int(at) and at >= 0):
            raise ValueError(f"entry {i}: at_ms must be an integer >= 0, got {at!r}")
        if rec is not None and not (_is_int(rec) and rec > at):
            raise ValueError(f"entry {i}: recover_ms must be null or an integer > at_ms, got {rec!r}")
        if orphan is not None and not (isinstance(orphan, str) and orphan):
            raise ValueError(f"entry {i}: orphan_cmd must be null or a non-empty string, got {orphan!r}")
        crashes.append({"who": who, "at_ms": at, "recover_ms": rec, "orphan_cmd": orphan})
    return crashes


PARAMS: tuple[Param, ...] = (
    Param("n_nodes", int, 5, 3, 9, "servers in the cluster"),
    Param("election_timeout_ms", list, [150, 300], help="[low, high] of each uniform timeout draw",
          validate=_int_range(1, 10_000)),
    Param("heartbeat_ms", int, 50, 1, 10_000, "leader's AppendEntries period"),
    Param("latency_ms", list, [5, 15], help="[low, high] of each message's uniform latency",
          validate=_int_range(1, 1_000)),
    Param("client_writes", list, [[400, "x=1"], [460, "y=2"], [1150, "x=3"]],
          help="[[t_ms, command], ...]", validate=_check_client_writes),
    Param("crashes", list, [{"who": "leader", "at_ms": 700, "recover_ms": 1300, "orphan_cmd": "z=9"}],
          help="[{who: id|\"leader\", at_ms, recover_ms?, orphan_cmd?}, ...]", validate=_check_crashes),
    Param("client_retry_ms", int, 50, 1, 10_000, "client retry period while there is no leader"),
    Param("drop_prob", float, 0.0, 0.0, 0.5, "probability that a message is lost"),
    Param("sim_ms", int, 1600, 1, 20_000, "simulated time"),
)


def check_params(params: dict[str, Any]) -> None:
    """Cross-field checks; raise :class:`ParamError` naming the field at fault."""
    if params["heartbeat_ms"] >= params["election_timeout_ms"][0]:
        raise ParamError("heartbeat_ms", f"{params['heartbeat_ms']} must be below the shortest "
                         f"election timeout {params['election_timeout_ms'][0]}")
    for i, (t_ms, _) in enumerate(params["client_writes"]):
        if t_ms > params["sim_ms"]:
            raise ParamError("client_writes", f"entry {i}: t_ms {t_ms} is after sim_ms {params['sim_ms']}")
    for i, spec in enumerate(params["crashes"]):
        if spec["who"] != "leader" and spec["who"] > params["n_nodes"]:
            raise ParamError("crashes", f"entry {i}: server {spec['who']} but n_nodes is {params['n_nodes']}")
        if spec["at_ms"] > params["sim_ms"]:
            raise ParamError("crashes", f"entry {i}: at_ms {spec['at_ms']} is after sim_ms {params['sim_ms']}")


# ---------------------------------------------------------------- pure log rules
def majority(n_nodes: int) -> int:
    return n_nodes // 2 + 1


def last_log_term(log: list[list[Any]]) -> int:
    return log[-1][0] if log else 0


def log_is_up_to_date(log: list[list[Any]], last_term: int, last_index: int) -> bool:
    """Vote rule: the candidate's last (term, index) is at least as up to date as this log's."""
    mine = last_log_term(log)
    return last_term > mine or (last_term == mine and last_index >= len(log))


def log_matches(log: list[list[Any]], prev_index: int, prev_term: int) -> bool:
    """AppendEntries consistency check at ``prev_index`` (1-based; 0 always matches)."""
    return prev_index == 0 or (prev_index <= len(log) and log[prev_index - 1][0] == prev_term)


def merge_entries(log: list[list[Any]], prev_index: int, entries: list[list[Any]]) -> tuple[int, list[list[Any]]]:
    """How many entries of ``log`` to keep (a conflict cuts it) and which new entries follow them."""
    for offset, entry in enumerate(entries):
        index = prev_index + offset + 1
        if index > len(log) or log[index - 1][0] != entry[0]:
            return min(len(log), index - 1), list(entries[offset:])
    return len(log), []


def commit_index_for(log: list[list[Any]], term: int, match_indices: list[int], commit_index: int) -> int:
    """Largest N stored on a majority with ``log[N].term == term`` (Figure 8 rule), else unchanged."""
    need = majority(len(match_indices))
    for n in range(len(log), commit_index, -1):
        if log[n - 1][0] == term and sum(m >= n for m in match_indices) >= need:
            return n
    return commit_index


# ---------------------------------------------------------------- world
@dataclass
class World:
    """The whole mutable state of one run: servers, messages, queue and what the trace records."""

    params: dict[str, Any]
    rng: np.random.Generator
    nodes: list[Node]
    now: int = 0
    queue: list[tuple[int, int, int, int, tuple[Any, ...]]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    lost: set[int] = field(default_factory=set)
    in_flight: set[int] = field(default_factory=set)
    steps: list[dict[str, Any]] = field(default_factory=list)
    leaders: list[dict[str, int]] = field(default_factory=list)
    commits: list[dict[str, Any]] = field(default_factory=list)
    leaderless: list[list[int]] = field(default_factory=list)
    leaderless_since: int | None = 0
    scheduled: int = 0

    def node(self, node_id: int) -> Node:
        return self.nodes[node_id - 1]

    def peers(self, node: Node) -> list[int]:
        return [n["id"] for n in self.nodes if n["id"] != node["id"]]


def _new_node(node_id: int) -> Node:
    return {"id": node_id, "alive": True, "role": FOLLOWER, "term": 0, "voted_for": None, "log": [],
            "commit_index": 0, "timer_start_ms": None, "timer_deadline_ms": None, "votes_received": [],
            "match_index": None, "next_index": None, "timer_token": 0, "down_token": None}


def _snapshot(node: Node) -> dict[str, Any]:
    match = node["match_index"]
    return {"id": node["id"], "alive": node["alive"], "role": node["role"], "term": node["term"],
            "voted_for": node["voted_for"], "log": [list(e) for e in node["log"]],
            "commit_index": node["commit_index"], "timer_start_ms": node["timer_start_ms"],
            "timer_deadline_ms": node["timer_deadline_ms"], "votes_received": sorted(node["votes_received"]),
            "match_index": None if match is None else {str(k): v for k, v in sorted(match.items())}}


def current_leader(world: World) -> Node | None:
    """The live leader of the highest term (what the client talks to), if any."""
    leaders = [n for n in world.nodes if n["alive"] and n["role"] == LEADER]
    return max(leaders, key=lambda n: n["term"]) if leaders else None


def emit(world: World, event: str, node_id: int | None = None, msg_id: int | None = None,
         detail: dict[str, Any] | None = None) -> None:
    """Record one step with the full state after ``event``; track leaderless periods."""
    term = world.node(node_id)["term"] if node_id else None
    world.steps.append({"t_ms": world.now, "seq": len(world.steps), "event": event, "node": node_id,
                        "term": term, "msg_id": msg_id, "detail": detail or {},
                        "nodes": [_snapshot(n) for n in world.nodes], "in_flight": sorted(world.in_flight)})
    has_leader = current_leader(world) is not None
    if has_leader and world.leaderless_since is not None:
        world.leaderless.append([world.leaderless_since, world.now])
        world.leaderless_since = None
    elif not has_leader and world.leaderless_since is None:
        world.leaderless_since = world.now


def schedule(world: World, t_ms: int, kind: int, node_id: int, action: tuple[Any, ...]) -> None:
    world.scheduled += 1
    heapq.heappush(world.queue, (t_ms, kind, node_id, world.scheduled, action))


def send(world: World, src: Node, dst: int, kind: str, payload: dict[str, Any]) -> Message:
    """Put a message on the wire with a uniform integer latency; with ``drop_prob`` it may be lost."""
    low, high = world.params["latency_ms"]
    latency = int(world.rng.integers(low, high + 1))
    msg = {"id": len(world.messages), "type": kind, "src": src["id"], "dst": dst, "term": src["term"],
           "send_ms": world.now, "deliver_ms": world.now + latency, "dropped": False, "payload": payload}
    world.messages.append(msg)
    world.in_flight.add(msg["id"])
    if world.params["drop_prob"] > 0 and world.rng.random() < world.params["drop_prob"]:
        world.lost.add(msg["id"])
    schedule(world, msg["deliver_ms"], DELIVER, dst, ("deliver", msg["id"]))
    emit(world, "send", src["id"], msg["id"], {"type": kind, "dst": dst})
    return msg


def _set_timer(world: World, node: Node, delay: int) -> None:
    node["timer_token"] += 1
    node["timer_start_ms"], node["timer_deadline_ms"] = world.now, world.now + delay
    schedule(world, world.now + delay, TIMER, node["id"], ("timer", node["id"], node["timer_token"]))


def reset_election_timer(world: World, node: Node) -> None:
    """Fresh uniform integer draw from ``election_timeout_ms``."""
    low, high = world.params["election_timeout_ms"]
    _set_timer(world, node, int(world.rng.integers(low, high + 1)))


# ---------------------------------------------------------------- rules
def step_down(world: World, node: Node, term: int) -> None:
    """Adopt a newer ``term`` (or yield to this term's leader) and become follower."""
    before = {"from_role": node["role"], "from_term": node["term"]}
    if term > node["term"]:
        node["term"], node["voted_for"] = term, None
    node.update(role=FOLLOWER, votes_received=[], match_index=None, next_index=None)
    if before["from_role"] == LEADER:
        reset_election_timer(world, node)
    emit(world, "step_down", node["id"], detail=before)


def start_new_election(world: World, node: Node) -> None:
    node.update(term=node["term"] + 1, role=CANDIDATE, voted_for=node["id"], votes_received=[node["id"]])
    reset_election_timer(world, node)
    emit(world, "become_candidate", node["id"])
    for peer in world.peers(node):
        send(world, node, peer, "RequestVote",
             {"last_log_index": len(node["log"]), "last_log_term": last_log_term(node["log"])})


def become_leader(world: World, node: Node) -> None:
    node.update(role=LEADER, next_index={p: len(node["log"]) + 1 for p in world.peers(node)},
                match_index={n["id"]: 0 for n in world.nodes})
    node["match_index"][node["id"]] = len(node["log"])
    world.leaders.append({"term": node["term"], "node": node["id"], "elected_ms": world.now})
    _set_timer(world, node, world.params["heartbeat_ms"])
    emit(world, "become_leader", node["id"], detail={"votes": sorted(node["votes_received"])})
    for peer in world.peers(node):
        send_append_entries(world, node, peer)


def send_append_entries(world: World, leader: Node, peer: int) -> Message:
    prev = leader["next_index"][peer] - 1
    return send(world, leader, peer, "AppendEntries", {
        "prev_log_index": prev, "prev_log_term": leader["log"][prev - 1][0] if prev else 0,
        "entries": [list(e) for e in leader["log"][prev:]], "leader_commit": leader["commit_index"]})


def leader_append(world: World, leader: Node, cmd: str) -> None:
    leader["log"] = leader["log"] + [[leader["term"], cmd]]
    leader["match_index"][leader["id"]] = len(leader["log"])
    emit(world, "append", leader["id"], detail={"index": len(leader["log"]), "entries": [leader["log"][-1]]})


def handle_request_vote(world: World, node: Node, msg: Message) -> Message:
    """Grant if same term, no other vote this term, and the candidate's log is up to date."""
    if msg["term"] > node["term"]:
        step_down(world, node, msg["term"])
    candidate, payload = msg["src"], msg["payload"]
    reason = None
    if msg["term"] < node["term"]:
        reason = "stale_term"
    elif node["voted_for"] not in (None, candidate):
        reason = "already_voted"
    elif not log_is_up_to_date(node["log"], payload["last_log_term"], payload["last_log_index"]):
        reason = "log_behind"
    if reason is None:
        node["voted_for"] = candidate
        reset_election_timer(world, node)
        emit(world, "vote_granted", node["id"], detail={"candidate": candidate})
    else:
        emit(world, "vote_denied", node["id"], detail={"candidate": candidate, "reason": reason})
    return send(world, node, candidate, "RequestVoteReply", {"vote_granted": reason is None})


def handle_request_vote_reply(world: World, node: Node, msg: Message) -> None:
    if msg["term"] > node["term"]:
        step_down(world, node, msg["term"])
        return
    if node["role"] != CANDIDATE or msg["term"] != node["term"] or not msg["payload"]["vote_granted"]:
        return
    if msg["src"] not in node["votes_received"]:
        node["votes_received"] = node["votes_received"] + [msg["src"]]
    if len(node["votes_received"]) >= majority(len(world.nodes)):
        become_leader(world, node)


def handle_append_entries(world: World, node: Node, msg: Message) -> Message:
    """Consistency check at prev_log_index, cut conflicting suffix, append, learn leader_commit."""
    payload = msg["payload"]
    if msg["term"] < node["term"]:
        return send(world, node, msg["src"], "AppendEntriesReply", {"success": False, "match_index": 0})
    if msg["term"] > node["term"] or node["role"] != FOLLOWER:
        step_down(world, node, msg["term"])
    reset_election_timer(world, node)
    prev = payload["prev_log_index"]
    if not log_matches(node["log"], prev, payload["prev_log_term"]):
        return send(world, node, msg["src"], "AppendEntriesReply", {"success": False, "match_index": 0})
    keep, new = merge_entries(node["log"], prev, payload["entries"])
    if keep < len(node["log"]):
        removed = node["log"][keep:]
        node["log"] = node["log"][:keep]
        emit(world, "truncate", node["id"], detail={"from_index": keep + 1, "removed": removed})
    if new:
        node["log"] = node["log"] + new
        emit(world, "append", node["id"], detail={"index": keep + 1, "entries": new})
    last_new = prev + len(payload["entries"])
    target = min(payload["leader_commit"], last_new)
    if target > node["commit_index"]:
        detail = {"from": node["commit_index"], "to": target}
        node["commit_index"] = target
        emit(world, "commit_advance", node["id"], detail=detail)
    return send(world, node, msg["src"], "AppendEntriesReply", {"success": True, "match_index": last_new})


def handle_append_entries_reply(world: World, node: Node, msg: Message) -> None:
    if msg["term"] > node["term"]:
        step_down(world, node, msg["term"])
        return
    if node["role"] != LEADER or msg["term"] != node["term"]:
        return
    peer, payload = msg["src"], msg["payload"]
    if payload["success"]:
        node["match_index"][peer] = max(node["match_index"][peer], payload["match_index"])
        node["next_index"][peer] = max(node["next_index"][peer], node["match_index"][peer] + 1)
        advance_commit_index(world, node)
    else:
        node["next_index"][peer] = max(node["match_index"][peer] + 1, node["next_index"][peer] - 1)
        send_append_entries(world, node, peer)


def advance_commit_index(world: World, node: Node) -> None:
    """Leader: commit the largest current-term index held by a majority (match_index, self included)."""
    matches = [node["match_index"][n["id"]] for n in world.nodes]
    target = commit_index_for(node["log"], node["term"], matches, node["commit_index"])
    if target <= node["commit_index"]:
        return
    for index in range(len(world.commits) + 1, target + 1):
        term, cmd = node["log"][index - 1]
        world.commits.append({"index": index, "term": term, "cmd": cmd, "committed_ms": world.now})
    detail = {"from": node["commit_index"], "to": target}
    node["commit_index"] = target
    emit(world, "commit_advance", node["id"], detail=detail)


def handle_client_write(world: World, cmd: str) -> None:
    """Hand ``cmd`` to the current leader and replicate at once, or retry later if there is none."""
    leader = current_leader(world)
    if leader is None:
        retry = world.now + world.params["client_retry_ms"]
        emit(world, "client_write", detail={"cmd": cmd, "accepted": False, "retry_ms": retry})
        schedule(world, retry, CLIENT, 0, ("client", cmd))
        return
    emit(world, "client_write", leader["id"], detail={"cmd": cmd, "accepted": True})
    leader_append(world, leader, cmd)
    for peer in world.peers(leader):
        send_append_entries(world, leader, peer)


def crash_server(world: World, index: int, spec: dict[str, Any]) -> None:
    """Crash the named server (or the current leader), optionally after a local orphan append."""
    node = current_leader(world) if spec["who"] == "leader" else world.node(spec["who"])
    if node is None or not node["alive"]:
        return
    if spec["orphan_cmd"] and node["role"] == LEADER:
        emit(world, "client_write", node["id"], detail={"cmd": spec["orphan_cmd"], "accepted": True, "orphan": True})
        leader_append(world, node, spec["orphan_cmd"])
    lost = {"role": node["role"], "commit_index": node["commit_index"]}
    node.update(alive=False, role=FOLLOWER, commit_index=0, votes_received=[], match_index=None, next_index=None,
                timer_start_ms=None, timer_deadline_ms=None, timer_token=node["timer_token"] + 1, down_token=index)
    emit(world, "crash", node["id"], detail={"who": spec["who"], "recover_ms": spec["recover_ms"], "lost": lost})
    if spec["recover_ms"] is not None:
        schedule(world, spec["recover_ms"], RECOVER, node["id"], ("recover", node["id"], index))


def recover_server(world: World, node: Node, index: int) -> None:
    """Restart as follower with the persistent term, vote and log, and a fresh election timer."""
    if node["alive"] or node["down_token"] != index:
        return
    node.update(alive=True, down_token=None)
    reset_election_timer(world, node)
    emit(world, "recover", node["id"])


_HANDLERS: dict[str, Callable[[World, Node, Message], Any]] = {
    "RequestVote": handle_request_vote, "RequestVoteReply": handle_request_vote_reply,
    "AppendEntries": handle_append_entries, "AppendEntriesReply": handle_append_entries_reply,
}


def _dispatch(world: World, action: tuple[Any, ...]) -> None:
    kind = action[0]
    if kind == "deliver":
        msg = world.messages[action[1]]
        node = world.node(msg["dst"])
        world.in_flight.discard(msg["id"])
        if not node["alive"] or msg["id"] in world.lost:
            msg["dropped"] = True
            emit(world, "drop", node["id"], msg["id"], {"reason": "lost" if node["alive"] else "dst_down"})
            return
        emit(world, "deliver", node["id"], msg["id"], {"type": msg["type"], "src": msg["src"]})
        _HANDLERS[msg["type"]](world, node, msg)
        # a handler may change state after its last step (a counted vote, a match_index):
        # the delivery's last step carries the state after the whole delivery
        world.steps[-1]["nodes"] = [_snapshot(n) for n in world.nodes]
    elif kind == "timer":
        node = world.node(action[1])
        if not node["alive"] or node["timer_token"] != action[2]:
            return
        if node["role"] == LEADER:
            emit(world, "timer_expired", node["id"], detail={"timer": "heartbeat"})
            _set_timer(world, node, world.params["heartbeat_ms"])
            for peer in world.peers(node):
                send_append_entries(world, node, peer)
        else:
            emit(world, "timer_expired", node["id"], detail={"timer": "election"})
            start_new_election(world, node)
    elif kind == "client":
        handle_client_write(world, action[1])
    elif kind == "crash":
        crash_server(world, action[1], world.params["crashes"][action[1]])
    else:
        recover_server(world, world.node(action[1]), action[2])


# ---------------------------------------------------------------- runs
def new_world(seed: int, **params: Any) -> World:
    """A checked world at t = 0: all followers in term 0, each with a drawn election timer."""
    resolved = copy.deepcopy(resolve_params(PARAMS, params, check_params))
    world = World(params=resolved, rng=np.random.default_rng(seed),
                  nodes=[_new_node(i) for i in range(1, resolved["n_nodes"] + 1)])
    for node in world.nodes:
        reset_election_timer(world, node)
    return world


def run_until(world: World, end_ms: int) -> None:
    """Process queued events with t_ms <= ``end_ms`` in (t_ms, kind, node id, insertion) order."""
    while world.queue and world.queue[0][0] <= end_ms:
        t_ms, _, _, _, action = heapq.heappop(world.queue)
        world.now = t_ms
        _dispatch(world, action)


def simulate(seed: int, **params: Any) -> Trace:
    """Run Raft for ``sim_ms`` and return the trace (full state after every event)."""
    world = new_world(seed, **params)
    p = world.params
    for t_ms, cmd in p["client_writes"]:
        schedule(world, t_ms, CLIENT, 0, ("client", cmd))
    for index, spec in enumerate(p["crashes"]):
        schedule(world, spec["at_ms"], CRASH, 0 if spec["who"] == "leader" else spec["who"], ("crash", index))
    run_until(world, p["sim_ms"])
    if world.leaderless_since is not None:
        world.leaderless.append([world.leaderless_since, p["sim_ms"]])
    summary = {"messages": world.messages, "leaders": world.leaders, "commits": world.commits,
               "leaderless": world.leaderless, "majority": majority(p["n_nodes"]),
               "final_logs": {str(n["id"]): [list(e) for e in n["log"]] for n in world.nodes}}
    return Trace(id=ID, seed=seed, params=p, steps=world.steps, summary=summary)
