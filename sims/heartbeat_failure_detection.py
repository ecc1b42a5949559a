"""Heartbeat failure detection: one monitor judges a jittery node, a stalling node and a crashing node.

Model
-----
Node i sends heartbeat k at phase_i + k * interval_s (phase drawn uniformly in [0, interval_s));
each heartbeat reaches the monitor base_delay_s plus an exponential jitter (mean jitter_mean_s[i])
later. The stalling node sends nothing during [stall_at_s, stall_at_s + stall_s): the heartbeats
due in that span collapse into one sent at its end. The crashing node sends nothing at or after
crash_at_s. Time is continuous, in seconds. The monitor keeps, per node, its latest arrival and
the intervals between consecutive arrivals (in arrival order, a late older heartbeat counting as
an arrival); it judges a node only after its first arrival. A timeout detector with timeout T
suspects a node when t - last_arrival > T. The phi accrual detector refits, at each arrival, a
normal distribution to the last phi_window intervals (population standard deviation, floored at
phi_min_std_s; with fewer than two intervals mean = interval_s and std = interval_s / 4) and
reports phi = -log10(P(X > elapsed)) from math.erfc, capped at phi_cap (also when the tail
underflows); it suspects when phi >= phi_threshold, that is when elapsed >= mean + z * std with z
fixed by the threshold. Suspicion intervals are computed exactly from the arrival times;
heartbeats are generated two intervals past duration_s (or past the stall) so that every
suspicion of a live node starting inside the run has its closing arrival. The monitor is sampled
every sample_dt seconds at t = k * sample_dt < duration_s.

Invariants
----------
1. Timeout rule: at every sample and every timeout T, suspected iff elapsed is not null and elapsed > T, elapsed = t - latest arrival at or before t.
2. Nesting: for T1 < T2, suspected under T2 implies suspected under T1; per node, T2's mistakes and mistaken seconds are at most T1's.
3. Completeness: per detector the crashed node has exactly one interval with end null and is suspected at every sample after its start (at or after, for phi).
4. Timeout detection time is exactly last_arrival(crashed) + T - crash_at_s, within [T - interval_s, T + the largest delay among its heartbeats].
5. Phi: phi >= 0; between two arrivals of a node phi never decreases; suspected iff phi >= phi_threshold iff elapsed >= threshold_elapsed of the model in force (1e-9 s at the boundary).
6. Heartbeats: consecutive sends are interval_s apart except around a stall (one merged send at its end); arrive_t >= send_t + base_delay_s; the crashed node sends nothing at or after crash_at_s.
7. Labels: mistake iff end is not null; end is null only for the crashed node's final interval (one per detector).

Leaves out
----------
Real monitors receive heartbeats over networks that also lose, duplicate and reorder them in
bursts, and they usually watch many nodes from several monitors at once, combining their opinions.
Delays here are independent draws from one fixed distribution per node, clocks are perfect, and
the monitor itself never stalls. Production phi accrual detectors (such as Akka's) add an
acceptable pause to the mean and use a logistic approximation of the normal tail.

Trace
-----
Top level: nodes (N1..), profiles (labels), crash {node, t} or null, stall {node, start, end} or
null, detectors (names "timeout_<T>" per timeout and "phi_<threshold>"), phases (per node),
heartbeats [{node, seq, send_t, arrive_t}] sorted by arrive_t (including those after
duration_s), intervals (per node, the gaps between its consecutive arrivals, in arrival order),
phi_model [{node, t, mean, std, threshold_elapsed, window}] one per arrival (the model in force
until the node's next arrival; window = [lo, hi], the slice of intervals[node] it was fitted to),
suspicions [{node, detector, start, end, mistake}] sorted by start (live nodes: intervals starting
before duration_s; the crashed node's final interval always), metrics {detector:
{detection_time_s, false_suspicions, mistake_s, per_node: [{false_suspicions, mistake_s}]}}
(counting mistakes that start before duration_s, clipped at it), phi_z (the z of the threshold)
and beats {hook: the stall node's first mistaken suspicion under the shortest timeout, or null;
crash_t; detections {detector: time of the crashed node's final suspicion}}. steps are the
monitor samples: {t, event, events, nodes: [{elapsed, last_arrival, arrivals, phi, suspected
{detector: bool}}], false_alarms {detector: mistaken suspicions started so far}}; events name
what happened in (previous sample, t]: crash, stall_start, stall_end, suspect, clear, arrival,
else idle; event is the first of them. summary repeats metrics.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "MAX_SAMPLES", "check_params", "detector_names", "send_times", "phi_value",
    "phi_z", "fit_model", "arrival_models", "timeout_suspicions", "phi_suspicions",
    "build_heartbeats", "observe", "sample_monitor", "simulate",
]

ID = "heartbeat-failure-detection"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {"timeouts_s": [1.2, 3.5], "phi_threshold": 6.0, "stall_s": 3.0, "crash_at_s": 22.0}
MAX_NODES = 6
MAX_SAMPLES = 6000
EVENT_ORDER = ("crash", "stall_start", "stall_end", "suspect", "clear", "arrival")


# ---------------------------------------------------------------- parameters
def _from_text(value: Any) -> Any:
    """Command-line text for a nullable index ("null", "2") becomes JSON."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("null", "none", ""):
            return None
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected null or a node index, got {value!r}") from None
    return value


def _node_index(value: Any) -> int | None:
    value = _from_text(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_NODES:
        raise ValueError(f"expected null or a node index 0..{MAX_NODES - 1}, got {value!r}")
    return value


def _positive(value: float) -> float:
    if value <= 0:
        raise ValueError(f"must be positive, got {value!r}")
    return value


def _number_list(low: float, high: float) -> Callable[[Any], list[float]]:
    def check(value: Any) -> list[float]:
        if not 1 <= len(value) <= MAX_NODES:
            raise ValueError(f"expected 1..{MAX_NODES} numbers, got {len(value)}")
        out = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"expected numbers, got {v!r}")
            if not low <= v <= high:
                raise ValueError(f"each value must lie in [{low}, {high}], got {v!r}")
            out.append(float(v))
        return out
    return check


def _timeouts(value: Any) -> list[float]:
    out = _number_list(0.0, 60.0)(value)
    if any(t <= 0 for t in out):
        raise ValueError(f"timeouts must be positive, got {value!r}")
    if any(b <= a for a, b in zip(out, out[1:])):
        raise ValueError(f"timeouts must be strictly increasing, got {value!r}")
    return out


def _labels(value: Any) -> list[str]:
    if not 1 <= len(value) <= MAX_NODES or not all(isinstance(v, str) and 0 < len(v) <= 40 for v in value):
        raise ValueError(f"expected 1..{MAX_NODES} non-empty strings of at most 40 characters, got {value!r}")
    return list(value)


PARAMS: tuple[Param, ...] = (
    Param("n_nodes", int, 3, 1, MAX_NODES, "nodes the monitor watches"),
    Param("interval_s", float, 1.0, 0.0, 10.0, "heartbeat period (positive)", validate=_positive),
    Param("base_delay_s", float, 0.05, 0.0, 5.0, "fixed part of each heartbeat's delay"),
    Param("jitter_mean_s", list, [0.35, 0.05, 0.05], help="mean exponential jitter per node (>= 0)",
          validate=_number_list(0.0, 10.0)),
    Param("profile_labels", list, ["jittery link", "stall", "calm"], help="display label per node",
          validate=_labels),
    Param("stall_node", object, 1, help="node index that stalls, or null", validate=_node_index),
    Param("stall_at_s", float, 12.0, 0.0, 600.0, "stall start"),
    Param("stall_s", float, 2.5, 0.0, 60.0, "stall length (positive)", validate=_positive),
    Param("crash_node", object, 2, help="node index that crashes, or null", validate=_node_index),
    Param("crash_at_s", float, 24.0, 0.0, 600.0, "crash time"),
    Param("timeouts_s", list, [1.5, 4.0], help="fixed timeouts, strictly increasing", validate=_timeouts),
    Param("phi_threshold", float, 8.0, 0.0, 100.0, "phi at which phi accrual suspects (positive)",
          validate=_positive),
    Param("phi_window", int, 20, 2, 1000, "intervals the normal fit uses"),
    Param("phi_min_std_s", float, 0.1, 0.0, 10.0, "floor of the fitted standard deviation (positive)",
          validate=_positive),
    Param("phi_cap", float, 50.0, 1.0, 300.0, "largest phi stored"),
    Param("duration_s", float, 36.0, 0.0, 600.0, "simulated seconds (positive)", validate=_positive),
    Param("sample_dt", float, 0.1, 0.0, 10.0, "seconds between monitor samples (positive)", validate=_positive),
)


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks; each raises ParamError naming the field at fault."""
    n = p["n_nodes"]
    for name in ("jitter_mean_s", "profile_labels"):
        if len(p[name]) != n:
            raise ParamError(name, f"needs one entry per node ({n}), got {len(p[name])}")
    for name in ("stall_node", "crash_node"):
        if p[name] is not None and p[name] >= n:
            raise ParamError(name, f"node {p[name]} does not exist (n_nodes = {n})")
    if p["crash_node"] is not None:
        if p["crash_at_s"] < p["interval_s"]:
            raise ParamError("crash_at_s", f"{p['crash_at_s']} is before interval_s = {p['interval_s']}: "
                             "the node must send at least once")
        if p["crash_at_s"] > p["duration_s"]:
            raise ParamError("crash_at_s", f"{p['crash_at_s']} is after duration_s = {p['duration_s']}")
        if p["stall_node"] == p["crash_node"] and p["stall_at_s"] + p["stall_s"] >= p["crash_at_s"]:
            raise ParamError("stall_s", f"the stall on the crashing node must end before crash_at_s = "
                             f"{p['crash_at_s']}, it ends at {p['stall_at_s'] + p['stall_s']}")
    if p["phi_threshold"] > p["phi_cap"]:
        raise ParamError("phi_threshold", f"{p['phi_threshold']} is above phi_cap = {p['phi_cap']}")
    if math.ceil(p["duration_s"] / p["sample_dt"] - 1e-9) > MAX_SAMPLES:
        raise ParamError("sample_dt", f"duration_s / sample_dt exceeds {MAX_SAMPLES} samples")
    sends = (p["duration_s"] + p["stall_s"]) / p["interval_s"]
    if sends > 2000:
        raise ParamError("interval_s", f"about {sends:.0f} heartbeats per node; at most 2000")


def detector_names(p: Mapping[str, Any]) -> list[str]:
    return [f"timeout_{t!r}" for t in p["timeouts_s"]] + [f"phi_{p['phi_threshold']:g}"]


# ---------------------------------------------------------------- heartbeats
def send_times(phase: float, interval: float, horizon: float, stall: tuple[float, float] | None,
               crash_at: float | None) -> list[float]:
    """Send times of one node: phase + k * interval below ``horizon``; none in the stall span (one
    merged send at its end if any fell inside); none at or after ``crash_at``."""
    sends, merged, k = [], False, 0
    while True:
        t = phase + k * interval
        if t >= horizon or (crash_at is not None and t >= crash_at):
            break
        if stall is not None and stall[0] <= t < stall[1]:
            merged = True
        else:
            if merged and t >= stall[1]:
                if t != stall[1]:
                    sends.append(stall[1])
                merged = False
            sends.append(t)
        k += 1
    if merged and (crash_at is None or stall[1] < crash_at):
        sends.append(stall[1])
    return sends


def build_heartbeats(rng: np.random.Generator, p: Mapping[str, Any], phases: Sequence[float]) -> list[dict[str, Any]]:
    """Every heartbeat of every node, sorted by (arrive_t, node, seq); delays drawn node by node."""
    stall_end = p["stall_at_s"] + p["stall_s"] if p["stall_node"] is not None else 0.0
    horizon = max(p["duration_s"], stall_end) + 2 * p["interval_s"]
    beats = []
    for node, phase in enumerate(phases):
        stall = (p["stall_at_s"], stall_end) if node == p["stall_node"] else None
        crash = p["crash_at_s"] if node == p["crash_node"] else None
        sends = send_times(phase, p["interval_s"], horizon, stall, crash)
        jitter = rng.exponential(p["jitter_mean_s"][node], size=len(sends)) if p["jitter_mean_s"][node] > 0 \
            else np.zeros(len(sends))
        for seq, (send, extra) in enumerate(zip(sends, jitter.tolist())):
            beats.append({"node": node, "seq": seq, "send_t": send, "arrive_t": send + p["base_delay_s"] + extra})
    beats.sort(key=lambda b: (b["arrive_t"], b["node"], b["seq"]))
    return beats


# ---------------------------------------------------------------- phi accrual
def phi_value(elapsed: float, mean: float, std: float, cap: float) -> float:
    """-log10 of the normal tail P(X > elapsed), from math.erfc; capped (also on underflow); never -0.0."""
    tail = 0.5 * math.erfc((elapsed - mean) / (std * math.sqrt(2.0)))
    if tail <= 0.0:
        return cap
    return min(cap, -math.log10(tail) + 0.0)


def phi_z(threshold: float) -> float:
    """The z with phi(mean + z * std) = threshold, by bisection to the last bit."""
    lo, hi = -40.0, 40.0
    while True:
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            return hi
        if phi_value(mid, 0.0, 1.0, math.inf) >= threshold:
            hi = mid
        else:
            lo = mid


def fit_model(intervals: Sequence[float], p: Mapping[str, Any]) -> tuple[float, float]:
    """(mean, std) of the last ``phi_window`` intervals; defaults below two intervals."""
    window = list(intervals[-p["phi_window"]:])
    if len(window) < 2:
        return p["interval_s"], p["interval_s"] / 4
    mean = math.fsum(window) / len(window)
    std = math.sqrt(math.fsum((x - mean) ** 2 for x in window) / len(window))
    return mean, max(std, p["phi_min_std_s"])


def arrival_models(arrivals: Sequence[float], p: Mapping[str, Any], z: float) -> list[dict[str, Any]]:
    """The phi model fitted at each arrival of one node: mean, std, threshold_elapsed, and window =
    [lo, hi], the slice of the node's intervals it was fitted to (empty while the defaults apply)."""
    models, intervals = [], []
    for j, t in enumerate(arrivals):
        if j:
            intervals.append(t - arrivals[j - 1])
        mean, std = fit_model(intervals, p)
        lo = max(0, len(intervals) - p["phi_window"]) if len(intervals) >= 2 else len(intervals)
        models.append({"t": t, "mean": mean, "std": std, "threshold_elapsed": mean + z * std,
                       "window": [lo, len(intervals)]})
    return models


def timeout_suspicions(arrivals: Sequence[float], timeout: float) -> list[list[float | None]]:
    """[start, end] of each silence longer than ``timeout``; the last one stays open (end None)."""
    out: list[list[float | None]] = []
    for j, t in enumerate(arrivals):
        start = t + timeout
        nxt = arrivals[j + 1] if j + 1 < len(arrivals) else None
        if nxt is None or start < nxt:
            out.append([start, nxt])
    return out


def phi_suspicions(arrivals: Sequence[float], models: Sequence[Mapping[str, Any]]) -> list[list[float | None]]:
    """[start, end] of each phi suspicion: from last arrival + threshold_elapsed (not before the
    arrival itself, for thresholds below phi at elapsed 0) to the next arrival."""
    out: list[list[float | None]] = []
    for j, (t, model) in enumerate(zip(arrivals, models)):
        start = t + max(model["threshold_elapsed"], 0.0)
        nxt = arrivals[j + 1] if j + 1 < len(arrivals) else None
        if nxt is None or start < nxt:
            out.append([start, nxt])
    return out


# ---------------------------------------------------------------- the monitor
def observe(p: Mapping[str, Any], phases: Sequence[float], rng: np.random.Generator) -> dict[str, Any]:
    """Run the monitor on heartbeats generated from ``phases``; return the trace's parts."""
    n, dur, names = p["n_nodes"], p["duration_s"], detector_names(p)
    z = phi_z(p["phi_threshold"])
    heartbeats = build_heartbeats(rng, p, phases)
    arrivals = [[b["arrive_t"] for b in heartbeats if b["node"] == i] for i in range(n)]
    models = [arrival_models(a, p, z) for a in arrivals]
    crash_node = p["crash_node"]
    suspicions = []
    for node in range(n):
        per_detector = [timeout_suspicions(arrivals[node], t) for t in p["timeouts_s"]]
        per_detector.append(phi_suspicions(arrivals[node], models[node]))
        for name, intervals in zip(names, per_detector):
            for start, end in intervals:
                if end is None and node != crash_node:
                    continue  # a live node's silence after its last generated heartbeat lies past the run
                if start < dur or end is None:
                    suspicions.append({"node": node, "detector": name, "start": start, "end": end,
                                       "mistake": end is not None})
    order = {name: i for i, name in enumerate(names)}
    suspicions.sort(key=lambda s: (s["start"], s["node"], order[s["detector"]]))

    metrics = {}
    for name in names:
        mine = [s for s in suspicions if s["detector"] == name]
        mistakes = [s for s in mine if s["mistake"] and s["start"] < dur]
        final = [s for s in mine if s["end"] is None]
        metrics[name] = {
            "detection_time_s": final[0]["start"] - p["crash_at_s"] if final else None,
            "false_suspicions": len(mistakes),
            "mistake_s": math.fsum(min(s["end"], dur) - s["start"] for s in mistakes),
            "per_node": [{"false_suspicions": sum(s["node"] == i for s in mistakes),
                          "mistake_s": math.fsum(min(s["end"], dur) - s["start"] for s in mistakes if s["node"] == i)}
                         for i in range(n)],
        }

    crash = {"node": crash_node, "t": p["crash_at_s"]} if crash_node is not None else None
    stall = ({"node": p["stall_node"], "start": p["stall_at_s"], "end": p["stall_at_s"] + p["stall_s"]}
             if p["stall_node"] is not None else None)
    steps = sample_monitor(p, arrivals, models, suspicions, crash, stall, names)
    phi_model = sorted(({"node": i, **m} for i in range(n) for m in models[i]), key=lambda m: (m["t"], m["node"]))
    shortest = names[0]
    hook = next((s for s in suspicions if stall is not None and s["node"] == stall["node"]
                 and s["detector"] == shortest and s["mistake"] and s["end"] > stall["start"]), None)
    beats = {"hook": hook, "crash_t": crash["t"] if crash else None,
             "detections": {name: next((s["start"] for s in suspicions if s["detector"] == name and s["end"] is None),
                                       None) for name in names}}
    return {"nodes": [f"N{i + 1}" for i in range(n)], "profiles": list(p["profile_labels"]), "crash": crash,
            "stall": stall, "detectors": names, "phases": list(phases), "heartbeats": heartbeats,
            "intervals": [[b - a for a, b in zip(times, times[1:])] for times in arrivals],
            "phi_model": phi_model, "suspicions": suspicions, "metrics": metrics, "phi_z": z,
            "beats": beats, "steps": steps}


def sample_monitor(p: Mapping[str, Any], arrivals: Sequence[Sequence[float]],
                   models: Sequence[Sequence[Mapping[str, Any]]], suspicions: Sequence[Mapping[str, Any]],
                   crash: Mapping[str, Any] | None, stall: Mapping[str, Any] | None,
                   names: Sequence[str]) -> list[dict[str, Any]]:
    """The monitor's full state every ``sample_dt`` seconds, with the events since the previous sample."""
    dt, thr, cap = p["sample_dt"], p["phi_threshold"], p["phi_cap"]
    count = math.ceil(p["duration_s"] / dt - 1e-9)
    mistake_starts = {name: sorted(s["start"] for s in suspicions if s["detector"] == name and s["mistake"])
                      for name in names}
    starts = sorted(s["start"] for s in suspicions)
    ends = sorted(s["end"] for s in suspicions if s["end"] is not None)
    all_arrivals = sorted(a for node in arrivals for a in node)
    marks = {"crash": [crash["t"]] if crash else [],
             "stall_start": [stall["start"]] if stall else [], "stall_end": [stall["end"]] if stall else [],
             "suspect": starts, "clear": ends, "arrival": all_arrivals}
    steps, prev = [], -math.inf
    for k in range(count):
        t = k * dt
        nodes = []
        for node, times in enumerate(arrivals):
            j = bisect_right(times, t) - 1
            if j < 0:
                nodes.append({"elapsed": None, "last_arrival": None, "arrivals": 0, "phi": 0.0,
                              "suspected": {name: False for name in names}})
                continue
            elapsed = t - times[j]
            model = models[node][j]
            phi = phi_value(elapsed, model["mean"], model["std"], cap)
            suspected = {name: elapsed > timeout for name, timeout in zip(names, p["timeouts_s"])}
            suspected[names[-1]] = phi >= thr
            nodes.append({"elapsed": elapsed, "last_arrival": times[j], "arrivals": j + 1, "phi": phi,
                          "suspected": suspected})
        events = [e for e in EVENT_ORDER if bisect_right(marks[e], t) > bisect_right(marks[e], prev)] or ["idle"]
        steps.append({"t": t, "event": events[0], "events": events, "nodes": nodes,
                      "false_alarms": {name: bisect_right(mistake_starts[name], t) for name in names}})
        prev = t
    return steps


def simulate(seed: int, **params: Any) -> Trace:
    """Draw phases and delays from ``seed`` and run the monitor; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0.0, p["interval_s"], size=p["n_nodes"]).tolist()
    parts = observe(p, phases, rng)
    steps = parts.pop("steps")
    return Trace(id=ID, seed=seed, params=p, steps=steps, summary=parts["metrics"], extra=parts)
