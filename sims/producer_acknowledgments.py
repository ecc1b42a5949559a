"""Producer acknowledgments: when acks=0, 1 or all tells the producer "done", and what a leader crash loses.

Model
-----
One partition is replicated on the brokers of `replica_order`; the first is the leader, the others
are followers that pull. Time runs in integer milliseconds. Record i is sent at i * send_interval_ms
and reaches the leader net_ms + jitter later; the leader handles records in send order, appending
each at max(previous handling time, arrival), so a record's offset is its position in the log.
Follower f holds record i at max(its previous copy, append + follower_lag_ms[f] + jitter) (the lag
folds the fetch round trip into one number), but only while the leader is alive. A follower's last
catch-up T is the latest time at which it held everything the leader had appended by then (the
leader's append time of its first missing record, or now when it misses nothing); it leaves the
in-sync replicas (ISR) once now - T reaches replica_lag_max_ms. A stalled follower never fetches,
so its T stays where the leader's term began. The high watermark is the lowest log end offset over
the ISR. acks=0 counts as done at send; acks=1 is answered when the leader appends; acks=all is
answered once every ISR member holds the record, refused (NOT_ENOUGH_REPLICAS) when the ISR is
smaller than min_insync at append, and failed (NOT_ENOUGH_REPLICAS_AFTER_APPEND) when the ISR
shrinks below it while the record waits. Answers reach the producer net_ms after they leave. When the
leader crashes, the first live ISR member in replica_order becomes leader (not the most caught-up
one); longer followers truncate to its log and shorter ones copy what they miss from it. Within a
millisecond: sends, the crash and election, ISR changes, follower copies, appends, then answers.
Every run of one trace replays the same jitter draws (0..jitter_ms per record and link).

Invariants
----------
1. Every broker's log is a gap-free run of offsets from 0 in send order; before the crash each follower's
   log is a prefix of the leader's.
2. The high watermark never exceeds an ISR member's log end offset and never falls while the leader lives;
   the leader is always in the ISR, and a follower leaves it only after lagging replica_lag_max_ms.
3. acks=all: when an answer leaves the leader for record i, every ISR member holds i and at least min_insync
   brokers do.
4. With acks=all, min_insync >= 2 and one leader crash, no acknowledged record is lost.
5. Per record, latency under acks=0 <= acks=1 <= acks=all (a missing ack counts as infinite).
6. The lost acknowledged records are exactly those at offsets at or past the new leader's log end at the
   election; after a truncation the follower's log equals the new leader's.
7. No record is both acknowledged and failed, and none is acknowledged twice.
8. Runs that differ only in acks store identical logs at every millisecond, as long as no write is refused.

Leaves out
----------
The producer sends one record per request and never retries, so records sent to a dead leader are
simply never answered, and it does not learn of the new leader. There are no batches, request
timeouts, idempotence or transactions. A follower that leaves the in-sync set does not rejoin it.
Elections are instant and clean: with no live in-sync follower the partition simply stays offline,
and its records count as waiting on the dead leader rather than lost.

Trace
-----
`runs[name]`: `acks`, `min_insync`, `stalled`, `crash`, `steps`, `records`, `summary`. Each step:
`t_ms`, `seq` (order within the run), `event` ("send", "crash", "elect", "truncate", "isr_shrink",
"copy", "append", "refuse", "ack", "error"), `record` (id or null), `broker` (or null; the new leader
on "elect", the answering leader on "ack"/"error"), `detail` (truncate: the dropped ids; error: the
code; elect: the leo at election), and the state after it: `logs` (broker -> ids), `leo`, `hw`, `isr`,
`leader`, `alive`. Each record: `id`, `send_ms`, `append_ms`, `offset`, `answer_ms` (the answer
leaves the leader), `ack_ms` (reaches the producer; acks=0: the send), `latency_ms`, `error`,
`error_ms`, `copies_at_ack`, `copies` (broker -> ms it got the record); unknown values are null.
Run `summary`: `acked`, `failed`, `unanswered`, `refused`, `new_leader`, `elect_ms`, `leo_at_election`,
`offline` (a crash found no live ISR member), `survivors` (the new leader's log; without a crash or
when offline, the original leader's), `lost_acked`, `truncated` (broker -> ids), `isr_shrinks` ([broker, t_ms]),
`max_latency_ms`, `latencies` (id -> ms or null), `end_ms`. Top-level `steps` merge every run's steps
(each tagged with `run`) in (t_ms, run order, seq) order. `summary`: `run_order`, `table` (per run:
acks, acked, lost, failed, max latency), `crash_groups` (runs that differ only in acks), `logs_agree`
(per group: the logs matched at every millisecond).
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "NOT_ENOUGH_REPLICAS", "NOT_ENOUGH_REPLICAS_AFTER_APPEND", "check_params", "simulate",
    "draw_jitter", "arrival_times", "last_caught_up", "elect_leader", "high_watermark", "run_once",
]

ID = "producer-acknowledgments"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {"n_records": 10, "crash_at_ms": 36}
NOT_ENOUGH_REPLICAS = "NOT_ENOUGH_REPLICAS"
NOT_ENOUGH_REPLICAS_AFTER_APPEND = "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
EVENTS = ("send", "crash", "elect", "truncate", "isr_shrink", "copy", "append", "refuse", "ack", "error")
_BROKER = re.compile(r"B[1-9]")


# ---------------------------------------------------------------- parameters
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_order(value: Any) -> list[str]:
    if not 2 <= len(value) <= 5 or not all(isinstance(b, str) and _BROKER.fullmatch(b) for b in value):
        raise ValueError(f"expected 2-5 broker names B1..B9, got {value!r}")
    if len(set(value)) != len(value):
        raise ValueError("broker names must be distinct")
    return list(value)


def _check_lags(value: Any) -> dict[str, int]:
    for b, lag in value.items():
        if not (isinstance(b, str) and _BROKER.fullmatch(b)) or not (_is_int(lag) and 1 <= lag <= 100):
            raise ValueError(f"expected broker name -> lag of 1-100 ms, got {b!r}: {lag!r}")
    return dict(value)


def _check_runs(value: Any) -> list[dict[str, Any]]:
    if not 1 <= len(value) <= 6:
        raise ValueError(f"expected 1-6 runs, got {len(value)}")
    runs, names = [], set()
    for i, run in enumerate(value):
        if not isinstance(run, dict) or not {"name", "acks", "stalled", "crash"} <= set(run):
            raise ValueError(f"entry {i}: expected {{name, acks, min_insync?, stalled, crash}}, got {run!r}")
        unknown = set(run) - {"name", "acks", "min_insync", "stalled", "crash"}
        if unknown:
            raise ValueError(f"entry {i}: unknown keys {sorted(unknown)}")
        name, acks, stalled = run["name"], run["acks"], run["stalled"]
        if not isinstance(name, str) or not 1 <= len(name) <= 24 or name in names:
            raise ValueError(f"entry {i}: name must be a distinct string of 1-24 characters, got {name!r}")
        if acks not in (0, 1, "all") or isinstance(acks, bool):
            raise ValueError(f"entry {i}: acks must be 0, 1 or \"all\", got {acks!r}")
        mi = run.get("min_insync")
        if mi is not None and not (_is_int(mi) and 1 <= mi <= 5):
            raise ValueError(f"entry {i}: min_insync must be an integer 1-5, got {mi!r}")
        if not isinstance(stalled, list) or not all(isinstance(b, str) and _BROKER.fullmatch(b) for b in stalled) \
                or len(set(stalled)) != len(stalled):
            raise ValueError(f"entry {i}: stalled must be a list of distinct broker names, got {stalled!r}")
        if not isinstance(run["crash"], bool):
            raise ValueError(f"entry {i}: crash must be true or false, got {run['crash']!r}")
        names.add(name)
        runs.append({"name": name, "acks": acks, "min_insync": mi, "stalled": sorted(stalled), "crash": run["crash"]})
    return runs


DEFAULT_RUNS = [
    {"name": "acks=0", "acks": 0, "min_insync": 2, "stalled": [], "crash": True},
    {"name": "acks=1", "acks": 1, "min_insync": 2, "stalled": [], "crash": True},
    {"name": "acks=all", "acks": "all", "min_insync": 2, "stalled": [], "crash": True},
    {"name": "all-stalled-min2", "acks": "all", "min_insync": 2, "stalled": ["B2", "B3"], "crash": False},
    {"name": "all-stalled-min1", "acks": "all", "min_insync": 1, "stalled": ["B2", "B3"], "crash": False},
]

PARAMS: tuple[Param, ...] = (
    Param("n_records", int, 8, 1, 40, "records the producer sends"),
    Param("send_interval_ms", int, 4, 1, 50, "ms between sends"),
    Param("net_ms", int, 2, 1, 20, "one-way producer <-> leader latency"),
    Param("follower_lag_ms", dict, {"B2": 3, "B3": 9}, help="follower -> ms from append to its copy",
          validate=_check_lags),
    Param("jitter_ms", int, 2, 0, 20, "0..jitter ms added per record and link"),
    Param("crash_at_ms", int, 30, 0, 2000, "the leader dies at this ms (in runs with crash)"),
    Param("replica_order", list, ["B1", "B3", "B2"], help="replica list; the first is the leader",
          validate=_check_order),
    Param("replica_lag_max_ms", int, 12, 1, 1000, "lag after which a follower leaves the ISR"),
    Param("min_insync", int, 2, 1, 5, "min.insync.replicas for runs that do not set their own"),
    Param("runs", list, DEFAULT_RUNS, help="[{name, acks, min_insync?, stalled, crash}, ...]",
          validate=_check_runs),
)


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks: lags name exactly the followers; min_insync and stalled fit the replicas."""
    brokers = p["replica_order"]
    if set(p["follower_lag_ms"]) != set(brokers[1:]):
        raise ParamError("follower_lag_ms", f"must give a lag for exactly the followers {sorted(brokers[1:])}, "
                         f"got {sorted(p['follower_lag_ms'])}")
    if p["min_insync"] > len(brokers):
        raise ParamError("min_insync", f"{p['min_insync']} exceeds the {len(brokers)} replicas")
    for i, run in enumerate(p["runs"]):
        if run["min_insync"] is not None and run["min_insync"] > len(brokers):
            raise ParamError("runs", f"entry {i}: min_insync {run['min_insync']} exceeds the {len(brokers)} replicas")
        if not set(run["stalled"]) <= set(brokers[1:]):
            raise ParamError("runs", f"entry {i}: stalled brokers must be followers {sorted(brokers[1:])}")


# ---------------------------------------------------------------- rules
def draw_jitter(rng: np.random.Generator, n: int, brokers: Sequence[str], jitter: int) -> dict[str, list[int]]:
    """Per record: the produce link's jitter ("produce") and each broker's fetch link's."""
    produce = rng.integers(0, jitter + 1, size=n).tolist()
    links = rng.integers(0, jitter + 1, size=(len(brokers), n)).tolist()
    return {"produce": produce, **{b: row for b, row in zip(brokers, links)}}


def arrival_times(p: Mapping[str, Any], produce_jitter: Sequence[int]) -> list[int]:
    """When each record reaches the leader."""
    return [i * p["send_interval_ms"] + p["net_ms"] + produce_jitter[i] for i in range(p["n_records"])]


def last_caught_up(follower_log: Sequence[int], leader_log: Sequence[int], leader_got: Mapping[int, int],
                   now: int, epoch_start: int, stalled: bool) -> int:
    """Kafka's lastCaughtUpTimeMs for one follower: now if it misses nothing, else when the leader got
    the first record it misses (never before the leader's term began); a stalled follower never fetches."""
    if stalled:
        return epoch_start
    if len(follower_log) >= len(leader_log):
        return now
    return max(epoch_start, leader_got[leader_log[len(follower_log)]])


def elect_leader(replica_order: Sequence[str], isr: Sequence[str], alive: Mapping[str, bool]) -> str | None:
    """Clean election: the first live ISR member in replica order (not the most caught-up one)."""
    return next((b for b in replica_order if b in isr and alive[b]), None)


def high_watermark(isr: Sequence[str], logs: Mapping[str, Sequence[int]]) -> int:
    return min(len(logs[b]) for b in isr)


# ---------------------------------------------------------------- one run
def run_once(p: Mapping[str, Any], run: Mapping[str, Any], jitter: Mapping[str, Sequence[int]]) -> dict[str, Any]:
    """Simulate one acks setting; returns the run's trace entry."""
    brokers, n, net = list(p["replica_order"]), p["n_records"], p["net_ms"]
    acks, stalled = run["acks"], set(run["stalled"])
    min_insync = run["min_insync"] if run["min_insync"] is not None else p["min_insync"]
    lag_max = p["replica_lag_max_ms"]
    arrive = arrival_times(p, jitter["produce"])
    send = [i * p["send_interval_ms"] for i in range(n)]
    crash_at = p["crash_at_ms"] if run["crash"] else None

    logs: dict[str, list[int]] = {b: [] for b in brokers}
    got: dict[str, dict[int, int]] = {b: {} for b in brokers}
    alive = {b: True for b in brokers}
    leader: str | None = brokers[0]
    isr = list(brokers)
    hw, epoch_start = 0, 0
    copies: dict[str, list[tuple[int, int]]] = {b: [] for b in brokers}  # follower -> [(ms, id)] queued in order
    last_copy = {b: -1 for b in brokers}
    handled_until = -1
    next_record = 0
    pending: list[int] = []  # acks=all, appended and waiting
    answers: list[tuple[int, int, str, str | None]] = []  # (arrival ms, id, "ack"|"error", code)
    rec = [{"id": i, "send_ms": send[i], "append_ms": None, "offset": None, "answer_ms": None, "ack_ms": None,
            "latency_ms": None, "error": None, "error_ms": None, "copies_at_ack": None, "copies": {}}
           for i in range(n)]
    steps: list[dict[str, Any]] = []
    summary: dict[str, Any] = {"new_leader": None, "elect_ms": None, "leo_at_election": None,
                               "truncated": {}, "isr_shrinks": []}

    def emit(t: int, event: str, record: int | None, broker: str | None, detail: Any = None) -> None:
        steps.append({"t_ms": t, "seq": len(steps), "event": event, "record": record, "broker": broker,
                      "detail": detail, "logs": {b: list(logs[b]) for b in brokers},
                      "leo": {b: len(logs[b]) for b in brokers}, "hw": hw, "isr": list(isr),
                      "leader": leader, "alive": dict(alive)})

    def answer(t: int, i: int, kind: str, code: str | None) -> None:
        rec[i]["answer_ms"] = t
        if kind == "ack":
            rec[i]["copies_at_ack"] = sum(i in got[b] for b in brokers)
        answers.append((t + net, i, kind, code))

    def settle_pending(t: int) -> None:
        """acks=all: answer every waiting record whose fate is decided now."""
        nonlocal pending
        still = []
        for i in pending:
            if len(isr) < min_insync:
                answer(t, i, "error", NOT_ENOUGH_REPLICAS_AFTER_APPEND)
            elif all(i in got[b] for b in isr):
                answer(t, i, "ack", None)
            else:
                still.append(i)
        pending = still

    def schedule_copy(b: str, i: int, base: int) -> None:
        when = max(last_copy[b], base + p["follower_lag_ms"][b] + jitter[b][i])
        last_copy[b] = when
        copies[b].append((when, i))

    horizon = (max(arrive, default=0) + n * p["send_interval_ms"] + 2 * net + 2 * (max(p["follower_lag_ms"].values())
               + p["jitter_ms"]) + lag_max + (crash_at or 0) + 2)
    sends_at: dict[int, list[int]] = {}
    for i in range(n):
        sends_at.setdefault(send[i], []).append(i)
    for t in range(horizon + 1):
        # sends
        for i in sends_at.get(t, ()):
            emit(t, "send", i, None)
            if acks == 0:
                answers.append((t, i, "ack", None))
        # crash and election
        if crash_at == t and leader is not None and alive[leader]:
            old, leader = leader, None
            alive[old] = False
            isr = [b for b in isr if alive[b]]
            emit(t, "crash", None, old)
            leader = elect_leader(brokers, isr, alive)
            for b in brokers:
                copies[b] = []
                last_copy[b] = -1
            pending = []  # the dead leader answers nobody
            epoch_start = t
            if leader is not None:
                hw = high_watermark(isr, logs) if isr else hw
                summary.update(new_leader=leader, elect_ms=t, leo_at_election=len(logs[leader]))
                emit(t, "elect", None, leader, {"leo": len(logs[leader])})
                for b in brokers:
                    if b == leader or not alive[b]:
                        continue
                    if len(logs[b]) > len(logs[leader]):
                        dropped = logs[b][len(logs[leader]):]
                        del logs[b][len(logs[leader]):]
                        for i in dropped:
                            del got[b][i]
                            del rec[i]["copies"][b]
                        summary["truncated"][b] = dropped
                        hw = high_watermark(isr, logs)
                        emit(t, "truncate", None, b, {"dropped": dropped})
                    elif b not in stalled:
                        for i in logs[leader][len(logs[b]):]:
                            schedule_copy(b, i, t)
            else:
                summary.update(elect_ms=t)
                emit(t, "elect", None, None, {"leo": None})
        # ISR changes (only a live leader tracks them)
        if leader is not None and alive[leader]:
            for b in list(isr):
                if b == leader:
                    continue
                caught = last_caught_up(logs[b], logs[leader], got[leader], t, epoch_start, b in stalled)
                if t - caught >= lag_max:
                    isr.remove(b)
                    hw = high_watermark(isr, logs)
                    summary["isr_shrinks"].append([b, t])
                    emit(t, "isr_shrink", None, b)
        # follower copies from the live leader
        if leader is not None and alive[leader]:
            for b in brokers:
                while copies[b] and copies[b][0][0] == t:
                    _, i = copies[b].pop(0)
                    logs[b].append(i)
                    got[b][i] = t
                    rec[i]["copies"][b] = t
                    if b in isr:
                        hw = high_watermark(isr, logs)
                    emit(t, "copy", i, b)
        # the original leader handles arriving records in send order
        while next_record < n and max(handled_until, arrive[next_record]) == t:
            i = next_record
            next_record += 1
            handled_until = t
            origin = brokers[0]
            if not alive[origin] or leader != origin:
                continue  # reached a dead leader: never written, never answered
            if acks == "all" and len(isr) < min_insync:
                answer(t, i, "error", NOT_ENOUGH_REPLICAS)
                emit(t, "refuse", i, origin, {"isr": len(isr)})
                continue
            rec[i].update(append_ms=t, offset=len(logs[origin]))
            rec[i]["copies"][origin] = t
            logs[origin].append(i)
            got[origin][i] = t
            hw = high_watermark(isr, logs)
            for b in brokers[1:]:
                if b not in stalled and alive[b]:
                    schedule_copy(b, i, t)
            emit(t, "append", i, origin)
            if acks == 1:
                answer(t, i, "ack", None)
            elif acks == "all":
                pending.append(i)
        # answers: the leader decides waiting acks=all records, then arrivals reach the producer
        if leader is not None and alive[leader] and leader == brokers[0]:
            settle_pending(t)
        due = sorted(a for a in answers if a[0] == t) if answers else []
        for arrival in due:
            _, i, kind, code = arrival
            if kind == "ack":
                rec[i].update(ack_ms=t, latency_ms=t - send[i])
                emit(t, "ack", i, None if acks == 0 else brokers[0])
            else:
                rec[i].update(error=code, error_ms=t)
                emit(t, "error", i, brokers[0], {"code": code})
        if due:
            answers = [a for a in answers if a[0] != t]

    acked = [r["id"] for r in rec if r["ack_ms"] is not None]
    failed = [r["id"] for r in rec if r["error"] is not None]
    offline = summary["elect_ms"] is not None and summary["new_leader"] is None
    # no crash, or no live in-sync follower to elect (clean election: the data waits on the dead leader)
    survivors = list(logs[summary["new_leader"]]) if summary["new_leader"] else list(logs[brokers[0]])
    summary.update(
        acked=acked, failed=failed, offline=offline,
        refused=[r["id"] for r in rec if r["error"] == NOT_ENOUGH_REPLICAS],
        unanswered=[r["id"] for r in rec if r["ack_ms"] is None and r["error"] is None],
        survivors=survivors,
        lost_acked=[i for i in acked if i not in set(survivors)],
        max_latency_ms=max((rec[i]["latency_ms"] for i in acked), default=None),
        latencies={str(r["id"]): r["latency_ms"] for r in rec},
        end_ms=steps[-1]["t_ms"] if steps else 0,
    )
    return {"acks": acks, "min_insync": min_insync, "stalled": sorted(stalled), "crash": run["crash"],
            "steps": steps, "records": rec, "summary": summary}


# ---------------------------------------------------------------- the trace
def _crash_groups(runs: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """Runs that differ only in acks (and min_insync, which only acks=all reads)."""
    groups: dict[tuple[Any, ...], list[str]] = {}
    for run in runs:
        groups.setdefault((tuple(run["stalled"]), run["crash"]), []).append(run["name"])
    return [names for names in groups.values() if len(names) > 1]


def _logs_at(steps: Sequence[Mapping[str, Any]], brokers: Sequence[str], end: int) -> list[dict[str, list[int]]]:
    """The logs after every millisecond 0..end."""
    out, j, cur = [], 0, {b: [] for b in brokers}
    for t in range(end + 1):
        while j < len(steps) and steps[j]["t_ms"] == t:
            cur = steps[j]["logs"]
            j += 1
        out.append(cur)
    return out


def simulate(seed: int, **params: Any) -> Trace:
    """Run every configured acks setting over the same jitter draws; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    jitter = draw_jitter(np.random.default_rng(seed), p["n_records"], p["replica_order"], p["jitter_ms"])
    runs = {run["name"]: run_once(p, run, jitter) for run in p["runs"]}
    order = [run["name"] for run in p["runs"]]
    merged = sorted(({**step, "run": name} for name in order for step in runs[name]["steps"]),
                    key=lambda s: (s["t_ms"], order.index(s["run"]), s["seq"]))
    groups = _crash_groups(p["runs"])
    agree = []
    for names in groups:
        end = max(runs[name]["summary"]["end_ms"] for name in names)
        views = [_logs_at(runs[name]["steps"], p["replica_order"], end) for name in names]
        agree.append({"runs": names, "logs_agree": all(v == views[0] for v in views)})
    table = [{"run": name, "acks": runs[name]["acks"], "min_insync": runs[name]["min_insync"],
              "acked": len(runs[name]["summary"]["acked"]), "lost": len(runs[name]["summary"]["lost_acked"]),
              "failed": len(runs[name]["summary"]["failed"]), "max_latency_ms": runs[name]["summary"]["max_latency_ms"]}
             for name in order]
    summary = {"run_order": order, "table": table, "crash_groups": agree}
    return Trace(id=ID, seed=seed, params=p, steps=merged, summary=summary,
                 extra={"runs": runs, "meta": {"brokers": list(p["replica_order"]), "jitter": jitter}})
