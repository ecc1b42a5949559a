"""Log compaction: Kafka's log cleaner keeps the latest record per key of a compacted partition.

Model
-----
One partition of a topic with ``cleanup.policy=compact``. Every record has a key and a value; a null value is a
tombstone (a delete). One record is appended per tick, offsets 0, 1, 2 ... at ticks 0, 1, 2 ... Records go
into segments of ``segment_size`` appended offsets; the last segment is the active one and is never cleaned.
The cleaner checkpoint ``clean_end`` splits the other segments into the clean tail (below it) and the dirty
head (from it up to the active segment). ``dirty_ratio`` is dirty records over non-active records (0 when there
is none; Kafka counts bytes). At every tick that is a multiple of ``cleaner_check_every``, after that tick's
append, the cleaner checks the ratio and runs a pass when the head holds a record and the ratio is at least
``min_cleanable_dirty_ratio``. A pass builds the offset map (key -> last offset in the dirty head), walks every
non-active record in offset order and drops it if the map holds a later offset for its key (superseded) or if
it is a tombstone whose horizon has come (expired). A tombstone's horizon is set when a pass first keeps it:
that tick plus ``delete_retention_ticks``. Then ``clean_end`` moves to the active segment's base, empty segments
go, and neighbouring segments merge while the merged size stays within ``segment_size`` (a group keeps its
first base offset). Surviving records keep their offsets. With ``script`` null, the seed draws the workload.

Invariants
----------
1. Every surviving record has the offset, key and value it was appended with; offsets strictly increase along the log, which is always a subsequence of the full append history.
2. At every step, replaying the current log (tombstone = delete) gives the same table as replaying the full history.
3. After each pass, offsets below ``clean_end`` hold at most one record per key, and it is the latest for that key below ``clean_end``.
4. A pass leaves the active segment exactly as it was.
5. A record is dropped only if a later record with its key sits in the cleanable range, or it is a tombstone at or past its horizon; no tombstone is dropped as expired before its horizon (a later record with its key may supersede it earlier).
6. ``clean_end`` never falls, and a pass runs only on a check tick with ``dirty_ratio >= min_cleanable_dirty_ratio``.
7. Regrouping never makes a segment bigger than ``segment_size`` and never reorders records.

Leaves out
----------
Sizes are counted in records, not bytes, and time in ticks, so segment.bytes and delete.retention.ms become small
whole numbers. There is one partition and one cleaner thread; the real cleaner also bounds its offset map by
memory, so a big dirty head takes several passes, and it waits for min.compaction.lag.ms before touching new
records. Time-based retention, which could delete old segments outright, is switched off here.

Trace
-----
Each step: ``t`` (tick), ``event`` (append | roll | check | map | drop | keep | regroup | pass_done),
``record`` ({offset, key, value, t} or null), ``reason`` (superseded | tombstone_expired on a drop, else null),
then the state after the event: ``segments`` ([{base, active, records: [{offset, key, value}]}]), ``clean_end``,
``dirty_count`` and ``cleanable_count`` (dirty and non-active records) with ``dirty_ratio`` (their quotient at
full precision, 0 without non-active records), ``offset_map`` (during a pass, else {}), ``horizons`` (offset as
a string -> tick, for the tombstones a pass has kept), ``table`` (key -> value from replaying the current log),
``log_size`` and ``appended_total``. A ``check`` step's ``detail`` says whether a pass runs. Extra ``passes``:
per pass ``t``, ``dirty_range`` [start, end), ``dirty_ratio``, ``offset_map``, ``kept`` and ``dropped``
([{offset, key, reason}]) offsets, ``new_horizons``, ``log_after`` (offsets) and ``first_offset`` after it.
Extra ``history`` is every appended record. ``summary``: ``appended_total``, ``log_size``, ``table`` and
``history_table`` (equal), ``max_table_size``, ``pass_ticks``, ``dropped_total``, ``tombstones`` (per tombstone:
offset, key, appended tick, horizon, tick it was removed or null, and why).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "EVENTS", "Cleaner", "check_params", "simulate", "draw_script", "segment_of_active",
    "roll_needed", "dirty_counts", "dirty_ratio", "build_offset_map", "drop_reason", "regroup", "replay",
]

ID = "log-compaction"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {"segment_size": 3, "delete_retention_ticks": 8}
EVENTS = ("append", "roll", "check", "map", "drop", "keep", "regroup", "pass_done")
MAX_RECORDS = 60

Record = dict[str, Any]
Segment = dict[str, Any]

STORY = [["A", "a1"], ["B", "b1"], ["A", "a2"], ["C", "c1"], ["B", "b2"], ["A", "a3"], ["D", "d1"], ["C", None],
         ["B", "b3"], ["E", "e1"], ["A", "a4"], ["D", None], ["E", "e2"], ["B", "b4"], ["A", "a5"], ["E", "e3"],
         ["B", "b5"], ["A", "a6"], ["B", "b6"], ["A", "a7"], ["E", "e4"]]


# ---------------------------------------------------------------- parameters
def _check_keys(value: Any) -> list[str]:
    if not 1 <= len(value) <= 12:
        raise ValueError(f"expected 1 to 12 keys, got {len(value)}")
    if not all(isinstance(k, str) and 1 <= len(k) <= 8 for k in value):
        raise ValueError(f"keys must be strings of 1 to 8 characters, got {value!r}")
    if len(set(value)) != len(value):
        raise ValueError("keys must differ from each other")
    return list(value)


def _check_script(value: Any) -> list[list[Any]] | None:
    if isinstance(value, str):  # from the command line, as JSON
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(f"expected JSON (a list of [key, value] or null), got {value!r}") from None
    if value is None:
        return None
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_RECORDS:
        raise ValueError(f"expected null or a list of 1 to {MAX_RECORDS} [key, value] pairs, got {value!r:.80}")
    script = []
    for i, item in enumerate(value):
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str) and item[0]
                and (item[1] is None or (isinstance(item[1], str) and len(item[1]) <= 12))):
            raise ValueError(f"entry {i}: expected [key, value or null] (a key is required), got {item!r}")
        script.append([item[0], item[1]])
    return script


PARAMS: tuple[Param, ...] = (
    Param("keys", list, ["A", "B", "C", "D", "E"], help="the key space", validate=_check_keys),
    Param("script", object, STORY, help="[[key, value or null], ...] appended in order (null: the seed draws)",
          validate=_check_script),
    Param("n_records", int, 21, 1, MAX_RECORDS, "records the seed draws when script is null"),
    Param("tombstone_ratio", float, 0.15, 0.0, 0.5, "chance that a drawn record deletes a live key"),
    Param("segment_size", int, 4, 1, 12, "appended offsets per segment (stands in for segment.bytes)"),
    Param("cleaner_check_every", int, 10, 1, MAX_RECORDS, "ticks between the cleaner's checks"),
    Param("min_cleanable_dirty_ratio", float, 0.5, 0.0, 1.0, "dirty share that triggers a pass"),
    Param("delete_retention_ticks", int, 6, 0, 100, "how long a kept tombstone stays (delete.retention.ms)"),
)


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks; raise :class:`ParamError` naming the field at fault."""
    if p["script"] is not None:
        unknown = sorted({key for key, _ in p["script"]} - set(p["keys"]))
        if unknown:
            raise ParamError("script", f"keys {unknown} are not in keys={p['keys']}")


def draw_script(rng: np.random.Generator, keys: list[str], n_records: int, tombstone_ratio: float) -> list[list[Any]]:
    """A seeded workload: a tombstone for a live key with ``tombstone_ratio``, else a key's next value."""
    counts = {key: 0 for key in keys}
    live: list[str] = []
    script: list[list[Any]] = []
    for _ in range(n_records):
        if live and rng.random() < tombstone_ratio:
            key = live.pop(int(rng.integers(0, len(live))))
            script.append([key, None])
            continue
        key = keys[int(rng.integers(0, len(keys)))]
        counts[key] += 1
        script.append([key, f"{key.lower()}{counts[key]}"])
        if key not in live:
            live.append(key)
    return script


# ---------------------------------------------------------------- rules
def segment_of_active(segments: list[Segment]) -> Segment:
    return segments[-1]


def roll_needed(active: Segment, next_offset: int, segment_size: int) -> bool:
    """The active segment is full once it holds ``segment_size`` appended offsets."""
    return next_offset - active["base"] >= segment_size


def dirty_counts(segments: list[Segment], clean_end: int) -> tuple[int, int]:
    """(dirty records, non-active records): dirty = from ``clean_end`` up to the active segment."""
    cleanable = [r for s in segments if not s["active"] for r in s["records"]]
    return sum(r["offset"] >= clean_end for r in cleanable), len(cleanable)


def dirty_ratio(dirty: int, cleanable: int) -> float:
    return dirty / cleanable if cleanable else 0.0


def build_offset_map(segments: list[Segment], clean_end: int) -> dict[str, int]:
    """key -> last offset of that key in the dirty head."""
    offset_map: dict[str, int] = {}
    for segment in segments:
        if segment["active"]:
            continue
        for record in segment["records"]:
            if record["offset"] >= clean_end:
                offset_map[record["key"]] = record["offset"]
    return offset_map


def drop_reason(record: Record, offset_map: dict[str, int], horizons: dict[str, int], t: int) -> str | None:
    """Why a pass at tick ``t`` drops ``record`` ("superseded", "tombstone_expired"), or None to keep it."""
    if offset_map.get(record["key"], -1) > record["offset"]:
        return "superseded"
    horizon = horizons.get(str(record["offset"]))
    if record["value"] is None and horizon is not None and horizon <= t:
        return "tombstone_expired"
    return None


def regroup(segments: list[Segment], segment_size: int) -> list[Segment]:
    """Drop empty non-active segments, merge neighbours while the merged size stays within ``segment_size``."""
    groups: list[Segment] = []
    for segment in segments[:-1]:
        if not segment["records"]:
            continue
        if groups and len(groups[-1]["records"]) + len(segment["records"]) <= segment_size:
            groups[-1]["records"] = groups[-1]["records"] + segment["records"]
        else:
            groups.append({"base": segment["base"], "active": False, "records": list(segment["records"])})
    return groups + [segments[-1]]


def replay(records: list[Record]) -> dict[str, str]:
    """The table a reader builds from ``records`` in order: a tombstone deletes its key."""
    table: dict[str, str] = {}
    for record in records:
        if record["value"] is None:
            table.pop(record["key"], None)
        else:
            table[record["key"]] = record["value"]
    return table


# ---------------------------------------------------------------- the cleaner's world
@dataclass
class Cleaner:
    """The partition, the cleaner's checkpoint and horizons, and the recorded steps."""

    segment_size: int
    segments: list[Segment] = field(default_factory=lambda: [{"base": 0, "active": True, "records": []}])
    clean_end: int = 0
    horizons: dict[str, int] = field(default_factory=dict)
    offset_map: dict[str, int] = field(default_factory=dict)
    appended: int = 0
    t: int = 0
    steps: list[dict[str, Any]] = field(default_factory=list)

    def log(self) -> list[Record]:
        return [r for s in self.segments for r in s["records"]]


def emit(world: Cleaner, event: str, record: Record | None = None, reason: str | None = None,
         detail: dict[str, Any] | None = None) -> None:
    """Record one step with the full state after ``event`` (records are never changed, so they are shared)."""
    dirty, cleanable = dirty_counts(world.segments, world.clean_end)
    log = world.log()
    world.steps.append({
        "t": world.t, "event": event, "record": record, "reason": reason, "detail": detail or {},
        "segments": [{"base": s["base"], "active": s["active"],
                      "records": [{"offset": r["offset"], "key": r["key"], "value": r["value"]}
                                  for r in s["records"]]} for s in world.segments],
        "clean_end": world.clean_end, "dirty_count": dirty, "cleanable_count": cleanable,
        "dirty_ratio": dirty_ratio(dirty, cleanable), "offset_map": dict(world.offset_map),
        "horizons": dict(world.horizons), "table": replay(log), "log_size": len(log),
        "appended_total": world.appended,
    })


def append(world: Cleaner, key: str, value: str | None) -> Record:
    """Roll the active segment if it is full, then append at the next offset."""
    active = segment_of_active(world.segments)
    if roll_needed(active, world.appended, world.segment_size):
        active["active"] = False
        world.segments.append({"base": world.appended, "active": True, "records": []})
        emit(world, "roll", detail={"base": world.appended})
    record = {"offset": world.appended, "key": key, "value": value, "t": world.t}
    segment_of_active(world.segments)["records"].append(record)
    world.appended += 1
    emit(world, "append", record)
    return record


def clean(world: Cleaner, retention: int) -> dict[str, Any]:
    """One pass: offset map, then drop or keep every non-active record, then move the checkpoint and regroup."""
    dirty, cleanable = dirty_counts(world.segments, world.clean_end)
    active_base = segment_of_active(world.segments)["base"]
    record_of_pass = {"t": world.t, "dirty_range": [world.clean_end, active_base],
                      "dirty_ratio": dirty_ratio(dirty, cleanable), "kept": [], "dropped": [], "new_horizons": {}}
    world.offset_map = build_offset_map(world.segments, world.clean_end)
    record_of_pass["offset_map"] = dict(world.offset_map)
    emit(world, "map")
    for segment in world.segments[:-1]:
        for record in list(segment["records"]):
            reason = drop_reason(record, world.offset_map, world.horizons, world.t)
            if reason is None:
                name = str(record["offset"])
                if record["value"] is None and name not in world.horizons:
                    world.horizons[name] = world.t + retention
                    record_of_pass["new_horizons"][name] = world.horizons[name]
                record_of_pass["kept"].append(record["offset"])
                emit(world, "keep", record)
            else:
                segment["records"] = [r for r in segment["records"] if r is not record]
                world.horizons.pop(str(record["offset"]), None)
                record_of_pass["dropped"].append({"offset": record["offset"], "key": record["key"],
                                                  "reason": reason})
                emit(world, "drop", record, reason)
    world.clean_end = active_base
    world.segments = regroup(world.segments, world.segment_size)
    emit(world, "regroup")
    world.offset_map = {}
    log = world.log()
    record_of_pass["log_after"] = [r["offset"] for r in log]
    record_of_pass["first_offset"] = log[0]["offset"] if log else None
    emit(world, "pass_done", detail={"clean_end": world.clean_end})
    return record_of_pass


def check(world: Cleaner, min_ratio: float) -> bool:
    """The cleaner's check at a check tick: a pass runs when the head holds a record and the ratio is enough."""
    dirty, cleanable = dirty_counts(world.segments, world.clean_end)
    ratio = dirty_ratio(dirty, cleanable)
    runs = dirty > 0 and ratio >= min_ratio
    emit(world, "check", detail={"runs": runs, "dirty_ratio": ratio, "min_cleanable_dirty_ratio": min_ratio})
    return runs


# ---------------------------------------------------------------- summary and the run
def _tombstones(history: list[Record], passes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    removed = {d["offset"]: (p["t"], d["reason"]) for p in passes for d in p["dropped"]}
    horizons = {int(k): v for p in passes for k, v in p["new_horizons"].items()}
    return [{"offset": r["offset"], "key": r["key"], "t": r["t"], "horizon": horizons.get(r["offset"]),
             "removed_t": removed.get(r["offset"], (None, None))[0],
             "removed_reason": removed.get(r["offset"], (None, None))[1]}
            for r in history if r["value"] is None]


def simulate(seed: int, **params: Any) -> Trace:
    """Append the script one record per tick and run the cleaner at its check ticks; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    script = p["script"]
    if script is None:
        script = draw_script(np.random.default_rng(seed), p["keys"], p["n_records"], p["tombstone_ratio"])
    world = Cleaner(segment_size=p["segment_size"])
    history: list[Record] = []
    passes: list[dict[str, Any]] = []
    for t, (key, value) in enumerate(script):
        world.t = t
        history.append(append(world, key, value))
        if t % p["cleaner_check_every"] == 0 and check(world, p["min_cleanable_dirty_ratio"]):
            passes.append(clean(world, p["delete_retention_ticks"]))
    final = world.steps[-1]
    summary = {
        "appended_total": world.appended, "log_size": final["log_size"], "table": final["table"],
        "history_table": replay(history), "max_table_size": max(len(s["table"]) for s in world.steps),
        "pass_ticks": [x["t"] for x in passes], "dropped_total": sum(len(x["dropped"]) for x in passes),
        "tombstones": _tombstones(history, passes),
    }
    extra = {"passes": passes, "history": [dict(r) for r in history]}
    return Trace(id=ID, seed=seed, params=p, steps=world.steps, summary=summary, extra=extra)
