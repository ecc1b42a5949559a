"""Majority quorum: one op schedule replayed for several read and write quorum sizes (R, W) on N replicas.

Model
-----
N replicas each hold a version number (0 at the start) and are up or down. Time runs in integer
ticks with at most one client op per tick; the same ops, with the same seeded response orders and
crash victims, are replayed for every (r, w) in configs. A write takes version = latest committed
+ 1: the first w up replicas in the op's response order apply it at once and form the ack set, and
the write commits; the other up replicas apply it lag_ticks later (if they are still up then). A
read asks the first r up replicas in its own response order and returns the highest version among
their answers; it is stale when that is below the latest committed version. An op whose quorum
cannot be filled from the up replicas is unavailable and changes nothing. A recovering replica
catches up to the version committed when it recovered, lag_ticks later. With read_repair, lagging
members of a read set are set to the returned version at once. Within a tick, landing propagation
(write propagation first, then recovery catch-up) comes before the tick's op, each its own step.
The schedule: a story (write v1, let it propagate, write v2, read one tick later), n_probes pairs
"write, read one tick later" each followed by full propagation (lag_ticks + 1 ticks per pair),
then failures (crash crash_counts[0] replicas, write, read, crash crash_counts[1] more, write,
read, recover all, and one read lag_ticks later).

Invariants
----------
1. Quorum sizes: an ok write has exactly w up replicas in its quorum, an ok read exactly r; an op is unavailable iff fewer replicas are up than its quorum size, and then it changes no replica.
2. Read result: responses equal the read set's stored versions just before the read, and returned_version is their maximum.
3. Overlap guarantee: if r + w > N, every ok read has a nonempty overlap and is not stale.
4. Staleness is exactly a miss: in every config, stale iff overlap is empty.
5. Write-write overlap: if 2w > N, the ack sets of any two writes in a run intersect.
6. Monotone replicas: no version ever decreases; a down replica's version does not change while it is down.
7. Propagation: a replica up for lag_ticks since a commit (or since its own recovery) holds at least that commit's version.
8. Shared randomness: every run sees the same ops; with the same replicas up, the quorum of a smaller r (or w) is a prefix of the quorum of a larger one.

Leaves out
----------
Real quorum stores send requests to all replicas in parallel and take the first answers to
arrive, lose messages, retry, and run concurrent clients whose writes can interleave. Here one
client acts at a time, a write either reaches its full quorum or changes nothing, and propagation
takes a fixed number of ticks. Sloppy quorums and hinted handoff, which write to stand-in replicas
during failures, and versioning with vector clocks are not modelled.

Trace
-----
Top level: replicas (S1..SN), ops [{id, t, kind (write, read, crash, recover), phase (story,
probe, failure), order (response order, null for crash and recover), victims (replicas crashed or
recovered), follows_write (for reads, the id of the last write op before it)}], runs [{r, w,
overlap_guaranteed, summary, steps_from, steps_to}] and summary {configs: the runs' summaries with
r, w and overlap_guaranteed, one row per config}. steps holds every run's steps, run after run in
configs order (runs[i].steps_from/steps_to slice them); each step is {run, t, op_id, event, kind,
outcome, quorum, targets, version, responses, returned_version, repaired, latest_committed,
fresh_holders, overlap, stale, versions, up}: event equals kind (write, read, propagate, crash,
recover); quorum is the ack set or read set in response order; targets are the replicas a
propagate step updated (op_id is the write, or the recover op for a catch-up) or the replicas a
crash or recover step changed; version is a write's new version or a propagated version;
latest_committed and fresh_holders (replicas holding it) are taken before the step, overlap is
read set and fresh holders in read-set order, versions and up after it. Run summary: reads,
writes, stale_reads, unavailable, probe_reads, probe_stale, first_stale_op,
first_single_overlap_op, writes_survive (N - w), reads_survive (N - r) and
predicted_probe_stale = C(N - w, r) / C(N, r), the hypergeometric chance that a read before
propagation misses every fresh replica, and probe_stale_rate = probe_stale / probe_reads (null
without probes), the share measured in this run.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "MAX_REPLICAS", "check_params", "build_ops", "first_up", "quorum_write",
    "quorum_read", "apply_version", "miss_probability", "run_config", "simulate",
]

ID = "majority-quorum"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {"n_replicas": 7, "configs": [{"r": 4, "w": 4}, {"r": 3, "w": 3}, {"r": 2, "w": 6}, {"r": 1, "w": 7}], "crash_counts": [3, 1]}
MAX_REPLICAS = 9


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _configs(value: Any) -> list[dict[str, int]]:
    if not value:
        raise ValueError("needs at least one {r, w} config")
    if len(value) > 8:
        raise ValueError(f"at most 8 configs, got {len(value)}")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"r", "w"} or not all(_is_int(item[k]) for k in "rw"):
            raise ValueError(f"entry {i}: expected {{r: int, w: int}}, got {item!r}")
        out.append({"r": item["r"], "w": item["w"]})
    return out


def _crash_counts(value: Any) -> list[int]:
    if len(value) != 2 or not all(_is_int(v) and v >= 0 for v in value):
        raise ValueError(f"expected two non-negative integers, got {value!r}")
    return list(value)


PARAMS: tuple[Param, ...] = (
    Param("n_replicas", int, 5, 1, MAX_REPLICAS, "replicas (N)"),
    Param("configs", list, [{"r": 3, "w": 3}, {"r": 2, "w": 2}, {"r": 2, "w": 4}, {"r": 1, "w": 5}],
          help="[{r, w}, ...] quorum sizes to replay, each in 1..N", validate=_configs),
    Param("n_probes", int, 12, 0, 1000, "write-then-read probe pairs"),
    Param("lag_ticks", int, 3, 1, 20, "ticks until a write reaches the replicas outside its ack set"),
    Param("read_repair", bool, False, help="reads update lagging members of their read set"),
    Param("crash_counts", list, [2, 1], help="[first, second] replicas crashed in the failure phase",
          validate=_crash_counts),
)


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks; each raises ParamError naming the field at fault."""
    n = p["n_replicas"]
    for i, config in enumerate(p["configs"]):
        for key in ("r", "w"):
            if not 1 <= config[key] <= n:
                raise ParamError("configs", f"entry {i}: {key} = {config[key]} is outside 1..{n}")
    if sum(p["crash_counts"]) > n:
        raise ParamError("crash_counts", f"{sum(p['crash_counts'])} crashes in total but only {n} replicas")


# ---------------------------------------------------------------- schedule
def build_ops(rng: np.random.Generator, p: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The op list shared by every config; all seeded draws (orders, then victims) happen here."""
    lag, n = p["lag_ticks"], p["n_replicas"]
    plan: list[tuple[int, str, str]] = [(0, "write", "story"), (lag + 1, "write", "story"), (lag + 2, "read", "story")]
    t = 2 * lag + 2
    for _ in range(p["n_probes"]):
        plan += [(t, "write", "probe"), (t + 1, "read", "probe")]
        t += lag + 1
    plan += [(t, "crash", "failure"), (t + 1, "write", "failure"), (t + 2, "read", "failure"),
             (t + 3, "crash", "failure"), (t + 4, "write", "failure"), (t + 5, "read", "failure"),
             (t + 6, "recover", "failure"), (t + 6 + lag, "read", "failure")]
    quorum_ops = sum(kind in ("read", "write") for _, kind, _ in plan)
    orders = rng.permuted(np.tile(np.arange(n), (quorum_ops, 1)), axis=1).tolist()
    up = list(range(n))
    victims: list[list[int]] = []
    for count in p["crash_counts"]:
        chosen = sorted(int(v) for v in rng.choice(up, size=count, replace=False)) if count else []
        victims.append(chosen)
        up = [i for i in up if i not in chosen]
    ops, last_write, drawn = [], None, iter(orders)
    for i, (tick, kind, phase) in enumerate(plan, 1):
        op = {"id": i, "t": tick, "kind": kind, "phase": phase, "order": None, "victims": [], "follows_write": None}
        if kind in ("read", "write"):
            op["order"] = next(drawn)
        if kind == "crash":
            op["victims"] = victims.pop(0)
        if kind == "recover":
            op["victims"] = sorted(v for chosen in (o["victims"] for o in ops if o["kind"] == "crash") for v in chosen)
        if kind == "read":
            op["follows_write"] = last_write
        if kind == "write":
            last_write = i
        ops.append(op)
    return ops


# ---------------------------------------------------------------- rules
def first_up(order: Sequence[int], up: Sequence[bool], size: int) -> list[int] | None:
    """The first ``size`` up replicas in response order, or None when too few are up."""
    chosen = [i for i in order if up[i]][:size]
    return chosen if len(chosen) == size else None


def quorum_write(versions: Sequence[int], up: Sequence[bool], order: Sequence[int], w: int,
                 latest: int) -> tuple[list[int], list[int] | None]:
    """Commit ``latest + 1`` on the ack set: new versions and the ack set (None: unavailable, no change)."""
    acks = first_up(order, up, w)
    if acks is None:
        return list(versions), None
    new = list(versions)
    for i in acks:
        new[i] = latest + 1
    return new, acks


def quorum_read(versions: Sequence[int], up: Sequence[bool], order: Sequence[int],
                r: int) -> tuple[list[int] | None, int | None]:
    """The read set and the highest version it answers (None, None when unavailable)."""
    read_set = first_up(order, up, r)
    if read_set is None:
        return None, None
    return read_set, max(versions[i] for i in read_set)


def apply_version(versions: list[int], up: Sequence[bool], targets: Sequence[int], version: int) -> list[int]:
    """Raise each up target to ``version`` (never lower); return the replicas that changed."""
    changed = [i for i in targets if up[i] and versions[i] < version]
    for i in changed:
        versions[i] = version
    return changed


def miss_probability(n: int, r: int, w: int) -> float:
    """P(a read set of r misses all w fresh replicas) = C(N - w, r) / C(N, r) (hypergeometric)."""
    return math.comb(n - w, r) / math.comb(n, r)


# ---------------------------------------------------------------- one config
def run_config(ops: Sequence[Mapping[str, Any]], n: int, r: int, w: int, lag: int, read_repair: bool,
               run: int = 0, record: bool = True) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Replay ``ops`` with quorum sizes (r, w); return the steps and the run summary.

    ``record=False`` replays the same rules without building steps (for long statistical runs)."""
    versions, up = [0] * n, [True] * n
    latest = 0
    pending: dict[int, list[tuple[int, int, int, list[int]]]] = {}  # tick -> (rank, version, op_id, targets)
    steps: list[dict[str, Any]] = []
    counts = {"reads": 0, "writes": 0, "stale_reads": 0, "unavailable": 0, "probe_reads": 0, "probe_stale": 0}
    first_stale = first_single = None
    last_tick = max((op["t"] for op in ops), default=0)

    def step(t: int, op_id: int | None, kind: str, **fields: Any) -> dict[str, Any]:
        if not record:
            return {}
        return {"run": run, "t": t, "op_id": op_id, "event": kind, "kind": kind, "outcome": None, "quorum": [],
                "targets": [], "version": None, "responses": [], "returned_version": None, "repaired": [],
                "latest_committed": latest, "fresh_holders": [i for i in range(n) if versions[i] >= latest],
                "overlap": [], "stale": None, **fields}

    def close(entry: dict[str, Any]) -> None:
        if record:
            entry["versions"], entry["up"] = list(versions), list(up)
            steps.append(entry)

    ops_at = {op["t"]: op for op in ops}
    t = 0
    while t <= last_tick or pending:
        for _, version, op_id, targets in sorted(pending.pop(t, [])):
            entry = step(t, op_id, "propagate", version=version)
            changed = apply_version(versions, up, targets, version)
            if changed:
                entry["targets"] = changed
                close(entry)
        op = ops_at.get(t)
        if op is not None:
            kind = op["kind"]
            entry = step(t, op["id"], kind)
            if kind == "crash":
                entry["targets"] = [i for i in op["victims"] if up[i]]
                for i in op["victims"]:
                    up[i] = False
            elif kind == "recover":
                entry["targets"] = [i for i in op["victims"] if not up[i]]
                for i in entry["targets"]:
                    up[i] = True
                if entry["targets"]:
                    pending.setdefault(t + lag, []).append((1, latest, op["id"], entry["targets"]))
            elif kind == "write":
                counts["writes"] += 1
                versions_after, acks = quorum_write(versions, up, op["order"], w, latest)
                if acks is None:
                    entry["outcome"] = "unavailable"
                    counts["unavailable"] += 1
                else:
                    latest += 1
                    versions[:] = versions_after
                    entry.update(outcome="ok", quorum=acks, version=latest)
                    rest = [i for i in op["order"] if up[i] and i not in acks]
                    if rest:
                        pending.setdefault(t + lag, []).append((0, latest, op["id"], rest))
            else:
                counts["reads"] += 1
                read_set, returned = quorum_read(versions, up, op["order"], r)
                if read_set is None:
                    entry["outcome"] = "unavailable"
                    counts["unavailable"] += 1
                else:
                    overlap = [i for i in read_set if versions[i] >= latest]
                    stale = returned < latest
                    entry.update(outcome="ok", quorum=read_set, returned_version=returned, overlap=overlap, stale=stale)
                    if record:
                        entry["responses"] = [{"replica": i, "version": versions[i]} for i in read_set]
                    if read_repair:
                        entry["repaired"] = apply_version(versions, up, read_set, returned)
                    counts["stale_reads"] += stale
                    if op["phase"] == "probe":
                        counts["probe_reads"] += 1
                        counts["probe_stale"] += stale
                    if stale and first_stale is None:
                        first_stale = op["id"]
                    if len(overlap) == 1 and first_single is None:
                        first_single = op["id"]
            close(entry)
        t += 1
    summary = {**counts, "first_stale_op": first_stale, "first_single_overlap_op": first_single,
               "writes_survive": n - w, "reads_survive": n - r, "predicted_probe_stale": miss_probability(n, r, w),
               "probe_stale_rate": counts["probe_stale"] / counts["probe_reads"] if counts["probe_reads"] else None}
    return steps, summary


def simulate(seed: int, **params: Any) -> Trace:
    """Replay one seeded schedule for every config; see the module docstring for the trace."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    n = p["n_replicas"]
    ops = build_ops(np.random.default_rng(seed), p)
    runs, steps = [], []
    for index, config in enumerate(p["configs"]):
        r, w = config["r"], config["w"]
        run_steps, summary = run_config(ops, n, r, w, p["lag_ticks"], p["read_repair"], index)
        runs.append({"r": r, "w": w, "overlap_guaranteed": r + w > n, "summary": summary,
                     "steps_from": len(steps), "steps_to": len(steps) + len(run_steps)})
        steps.extend(run_steps)
    table = [{"r": run["r"], "w": run["w"], "overlap_guaranteed": run["overlap_guaranteed"], **run["summary"]}
             for run in runs]
    extra = {"replicas": [f"S{i + 1}" for i in range(n)], "ops": ops, "runs": runs}
    return Trace(id=ID, seed=seed, params=p, steps=steps, summary={"configs": table}, extra=extra)
