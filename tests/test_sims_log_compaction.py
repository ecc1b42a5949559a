"""Tests for sims.log_compaction: the cleaner's rules on their own, the storyboard's invariants checked from
the trace JSON alone (with a naive replay of the full history as the oracle), planted bugs, the hand-computed
reference passes, the catalog story, determinism and parameter errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.catalog import load_catalog
from sims import log_compaction as lc
from sims.params import ParamError, parse_value

ROOT = Path(__file__).resolve().parents[1]
PROPERTY = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
EVENTS = {"append", "roll", "check", "map", "drop", "keep", "regroup", "pass_done"}
STEP_FIELDS = {"t", "event", "record", "reason", "detail", "segments", "clean_end", "dirty_count", "cleanable_count",
               "dirty_ratio", "offset_map", "horizons", "table", "log_size", "appended_total"}


def run(seed: int, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return json.loads(lc.simulate(seed, **(params or {})).to_json())


# ---------------------------------------------------------------- independent oracle and checkers (trace JSON only)
def naive_table(records: list[dict[str, Any]]) -> dict[str, str]:
    """Replay records in order into a dict; a null value deletes the key."""
    table: dict[str, str] = {}
    for r in records:
        if r["value"] is None:
            table.pop(r["key"], None)
        else:
            table[r["key"]] = r["value"]
    return table


def history_of(trace: dict[str, Any]) -> list[dict[str, Any]]:
    """The append history, from the append steps alone."""
    return [s["record"] for s in trace["steps"] if s["event"] == "append"]


def log_of(step: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for seg in step["segments"] for r in seg["records"]]


def passes_of(trace: dict[str, Any]) -> list[tuple[int, int, int]]:
    """(index of the check step, index of the map step, index of the pass_done step) per pass."""
    steps, out = trace["steps"], []
    for i, step in enumerate(steps):
        if step["event"] == "map":
            assert steps[i - 1]["event"] == "check", "a pass without its check"
            done = next(j for j in range(i, len(steps)) if steps[j]["event"] == "pass_done")
            out.append((i - 1, i, done))
    return out


def check_shape(trace: dict[str, Any]) -> None:
    history = history_of(trace)
    params = trace["params"]
    assert [r["offset"] for r in history] == list(range(len(history)))
    assert [r["t"] for r in history] == list(range(len(history))), "one append per tick"
    if params["script"] is not None:
        assert [[r["key"], r["value"]] for r in history] == params["script"]
    else:
        assert len(history) == params["n_records"]
        assert all(r["key"] in params["keys"] for r in history)
    assert trace["history"] == history
    last_t, appended = 0, 0
    for step in trace["steps"]:
        assert set(step) == STEP_FIELDS and step["event"] in EVENTS
        assert step["t"] >= last_t
        last_t = step["t"]
        appended += step["event"] == "append"
        assert step["appended_total"] == appended
        log = log_of(step)
        assert step["log_size"] == len(log)
        assert step["segments"][-1]["active"] and not any(s["active"] for s in step["segments"][:-1])
        non_active = [r for seg in step["segments"][:-1] for r in seg["records"]]
        dirty = sum(r["offset"] >= step["clean_end"] for r in non_active)
        assert (step["dirty_count"], step["cleanable_count"]) == (dirty, len(non_active))
        assert step["dirty_ratio"] == (dirty / len(non_active) if non_active else 0.0)
        assert (step["offset_map"] != {}) <= (step["event"] in ("map", "drop", "keep", "regroup")), "map outside a pass"
        assert ("reason" in step and (step["reason"] is not None) == (step["event"] == "drop"))


def check_records_unchanged(trace: dict[str, Any]) -> None:
    """Invariant 1: survivors keep offset, key, value; offsets strictly increase; a subsequence of history."""
    history = history_of(trace)
    for step in trace["steps"]:
        offsets = []
        for r in log_of(step):
            original = history[r["offset"]]
            assert (r["key"], r["value"]) == (original["key"], original["value"]), "invariant 1: record changed"
            offsets.append(r["offset"])
        assert offsets == sorted(set(offsets)), "invariant 1: offsets do not strictly increase"
        assert all(o < step["appended_total"] for o in offsets)


def check_same_table(trace: dict[str, Any]) -> None:
    """Invariant 2: replaying the log equals replaying the full history, at every step."""
    history = history_of(trace)
    for step in trace["steps"]:
        expected = naive_table(history[: step["appended_total"]])
        assert naive_table(log_of(step)) == expected, f"invariant 2 at t={step['t']} ({step['event']})"
        assert step["table"] == expected
    assert trace["summary"]["table"] == trace["summary"]["history_table"] == naive_table(history)
    assert trace["summary"]["max_table_size"] == max(len(s["table"]) for s in trace["steps"])


def check_clean_tail(trace: dict[str, Any]) -> None:
    """Invariant 3: after each pass, below clean_end at most one record per key, the latest there."""
    history = history_of(trace)
    for _, _, done in passes_of(trace):
        step = trace["steps"][done]
        end = step["clean_end"]
        below = [r for r in log_of(step) if r["offset"] < end]
        keys = [r["key"] for r in below]
        assert len(keys) == len(set(keys)), "invariant 3: two records of one key below clean_end"
        latest = {r["key"]: r for r in history[:end]}
        for r in below:
            assert r["offset"] == latest[r["key"]]["offset"], "invariant 3: not the latest below clean_end"
        for key, r in latest.items():
            if r["value"] is not None:
                assert key in keys, f"invariant 3: the latest value of {key} below clean_end is gone"


def check_active_untouched(trace: dict[str, Any]) -> None:
    """Invariant 4: the active segment is the same from the check to the end of the pass."""
    steps = trace["steps"]
    for check_at, _, done in passes_of(trace):
        before = steps[check_at]["segments"][-1]
        for step in steps[check_at: done + 1]:
            assert step["segments"][-1] == before, "invariant 4: a pass changed the active segment"


def check_drops(trace: dict[str, Any]) -> None:
    """Invariant 5: every drop has a reason that holds; tombstone horizons are set when first kept."""
    steps, history = trace["steps"], history_of(trace)
    retention = trace["params"]["delete_retention_ticks"]
    horizon: dict[int, int] = {}
    dropped_total = 0
    for check_at, map_at, done in passes_of(trace):
        t, start, end = steps[map_at]["t"], steps[check_at]["clean_end"], steps[check_at]["segments"][-1]["base"]
        expected_map = {r["key"]: r["offset"] for r in history[start:end]}
        assert steps[map_at]["offset_map"] == expected_map, "the offset map is not the dirty head's last offsets"
        survivors = log_of(steps[done])
        earlier = dict(horizon)  # horizons set by earlier passes; a horizon set now waits for the next pass
        walked = []
        for step in steps[map_at + 1: done]:
            if step["event"] not in ("drop", "keep"):
                continue
            r = step["record"]
            walked.append(r["offset"])
            if step["event"] == "keep":
                if r["value"] is None and r["offset"] not in horizon:
                    horizon[r["offset"]] = t + retention
                    assert step["horizons"][str(r["offset"])] == t + retention
                continue
            dropped_total += 1
            if step["reason"] == "superseded":
                assert any(s["key"] == r["key"] and r["offset"] < s["offset"] < end for s in survivors), \
                    "invariant 5: superseded without a later record of its key in the cleanable range"
            else:
                assert step["reason"] == "tombstone_expired" and r["value"] is None
                assert r["offset"] in horizon and horizon[r["offset"]] <= t, \
                    "invariant 5: tombstone dropped before its horizon"
                del horizon[r["offset"]]
        non_active_before = [r["offset"] for seg in steps[check_at]["segments"][:-1] for r in seg["records"]]
        assert walked == non_active_before, "a pass must walk every non-active record once, in offset order"
        for offset, h in earlier.items():
            if h <= t and any(r["offset"] == offset for r in survivors):
                raise AssertionError(f"tombstone {offset} past its horizon {h} survived the pass at {t}")
    assert trace["summary"]["dropped_total"] == dropped_total


def check_passes_scheduled(trace: dict[str, Any]) -> None:
    """Invariant 6: clean_end never falls; a pass runs exactly on check ticks with enough dirt."""
    params, steps = trace["params"], trace["steps"]
    every, ratio = params["cleaner_check_every"], params["min_cleanable_dirty_ratio"]
    clean_end = 0
    for step in steps:
        assert step["clean_end"] >= clean_end, "invariant 6: clean_end fell"
        clean_end = step["clean_end"]
    checks = [i for i, s in enumerate(steps) if s["event"] == "check"]
    n = len(history_of(trace))
    assert [steps[i]["t"] for i in checks] == list(range(0, n, every)), "a check at every multiple tick"
    started = {check_at for check_at, _, _ in passes_of(trace)}
    for i in checks:
        step = steps[i]
        assert steps[i - 1]["event"] == "append" and steps[i - 1]["t"] == step["t"], "a check follows the append"
        should = step["dirty_count"] > 0 and step["dirty_ratio"] >= ratio
        assert step["detail"]["runs"] == should == (i in started), \
            f"invariant 6: pass decision wrong at t={step['t']} (ratio {step['dirty_ratio']})"
    for check_at, _, done in passes_of(trace):
        assert steps[done]["clean_end"] == steps[check_at]["segments"][-1]["base"]
    assert trace["summary"]["pass_ticks"] == [steps[c]["t"] for c, _, _ in passes_of(trace)]


def check_segments(trace: dict[str, Any]) -> None:
    """Invariant 7: no segment above segment_size; bases increase and hold their records in order."""
    size = trace["params"]["segment_size"]
    for step in trace["steps"]:
        segments = step["segments"]
        bases = [s["base"] for s in segments]
        assert bases == sorted(set(bases))
        for i, seg in enumerate(segments):
            assert len(seg["records"]) <= size, f"invariant 7: a segment holds {len(seg['records'])} > {size}"
            upper = bases[i + 1] if i + 1 < len(segments) else step["appended_total"]
            assert all(seg["base"] <= r["offset"] < upper for r in seg["records"])
        active = segments[-1]
        assert [r["offset"] for r in active["records"]] == list(range(active["base"], step["appended_total"]))
        assert step["appended_total"] - active["base"] <= size
        if step["event"] in ("regroup", "pass_done"):
            assert all(seg["records"] for seg in segments[:-1]), "an empty segment survived the regroup"


INVARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "shape": check_shape,
    "1 records unchanged": check_records_unchanged,
    "2 same table": check_same_table,
    "3 clean tail": check_clean_tail,
    "4 active untouched": check_active_untouched,
    "5 drops": check_drops,
    "6 pass schedule": check_passes_scheduled,
    "7 segments": check_segments,
}


def check_all(trace: dict[str, Any]) -> None:
    for label, check in INVARIANTS.items():
        try:
            check(trace)
        except AssertionError as err:
            err.add_note(f"invariant {label}")
            raise


# ---------------------------------------------------------------- invariants over drawn seeds and parameters
@st.composite
def param_sets(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from("ABCDEFGHIJKLMNOP"), min_size=1, max_size=12, unique=True))
    if draw(st.booleans()):
        script = None
    else:
        script = draw(st.lists(st.tuples(st.sampled_from(keys), st.none() | st.sampled_from(["v1", "v2", "v3"])),
                               min_size=1, max_size=60))
        script = [list(item) for item in script]
    return {
        "keys": keys, "script": script,
        "n_records": draw(st.integers(1, 60)),
        "tombstone_ratio": draw(st.sampled_from([0.0, 0.5]) | st.floats(0.0, 0.5)),
        "segment_size": draw(st.integers(1, 12)),
        "cleaner_check_every": draw(st.integers(1, 12) | st.integers(1, 60)),
        "min_cleanable_dirty_ratio": draw(st.sampled_from([0.0, 0.5, 1.0]) | st.floats(0.0, 1.0)),
        "delete_retention_ticks": draw(st.integers(0, 12) | st.integers(0, 100)),
    }


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), params=st.one_of(st.just({"script": None}), param_sets()))
def test_invariants_hold_for_drawn_seeds_and_params(seed: int, params: dict[str, Any]) -> None:
    trace = run(seed, params)
    try:
        check_all(trace)
    except AssertionError as err:
        err.add_note(f"seed={seed} params={params}")
        raise


def test_drawn_workloads_exercise_every_beat() -> None:
    """Over seeds, the seeded workload reaches passes, expired and kept tombstones and merged segments."""
    seen = {"expired": 0, "kept": 0, "merge": 0, "passes": 0}
    for seed in range(40):
        trace = run(seed, {"script": None})
        check_all(trace)
        seen["passes"] += len(trace["passes"])
        for tomb in trace["summary"]["tombstones"]:
            seen["expired"] += tomb["removed_reason"] == "tombstone_expired"
            seen["kept"] += tomb["horizon"] is not None and tomb["removed_t"] is None
        seen["merge"] += any(len(s["records"]) > 1 and s["records"][-1]["offset"] - s["base"] >= 4
                             for s in trace["steps"][-1]["segments"][:-1])
    assert all(count > 0 for count in seen.values()), seen


def test_checkers_pass_on_the_default_trace() -> None:
    check_all(run(7))


# ---------------------------------------------------------------- the checkers catch corrupted traces and planted bugs
def _corrupt_value(trace: dict[str, Any]) -> None:
    trace["steps"][-1]["segments"][0]["records"][0]["value"] = "a0"


def _corrupt_table(trace: dict[str, Any]) -> None:
    trace["steps"][-1]["segments"][0]["records"].pop(3)  # drop A=a7 from the final log


def _corrupt_tail(trace: dict[str, Any]) -> None:
    done = [s for s in trace["steps"] if s["event"] == "pass_done"][0]
    done["segments"][0]["records"].insert(0, {"offset": 0, "key": "A", "value": "a1"})


def _corrupt_active(trace: dict[str, Any]) -> None:
    step = next(s for s in trace["steps"] if s["event"] == "keep")
    step["segments"][-1]["records"] = step["segments"][-1]["records"][:-1]


def _corrupt_early_expiry(trace: dict[str, Any]) -> None:
    trace["params"]["delete_retention_ticks"] = 11  # horizon 21 > 20: the drop at tick 20 comes too early


def _corrupt_schedule(trace: dict[str, Any]) -> None:
    trace["params"]["min_cleanable_dirty_ratio"] = 0.8  # pass 2 ran at 0.75


def _corrupt_segment_size(trace: dict[str, Any]) -> None:
    trace["params"]["segment_size"] = 3


CORRUPTIONS = {
    "1 records unchanged": _corrupt_value,
    "2 same table": _corrupt_table,
    "3 clean tail": _corrupt_tail,
    "4 active untouched": _corrupt_active,
    "5 drops": _corrupt_early_expiry,
    "6 pass schedule": _corrupt_schedule,
    "7 segments": _corrupt_segment_size,
}


@pytest.mark.parametrize("label", list(CORRUPTIONS))
def test_each_checker_rejects_its_corruption(label: str) -> None:
    trace = run(7)
    CORRUPTIONS[label](trace)
    with pytest.raises(AssertionError):
        INVARIANTS[label](trace)


def _reason_ge(record: dict[str, Any], offset_map: dict[str, int], horizons: dict[str, int], t: int) -> str | None:
    if offset_map.get(record["key"], -1) >= record["offset"]:
        return "superseded"
    return None


def _map_with_active(segments: list[dict[str, Any]], clean_end: int) -> dict[str, int]:
    return {r["key"]: r["offset"] for s in segments for r in s["records"] if r["offset"] >= clean_end}


def _regroup_unbounded(segments: list[dict[str, Any]], segment_size: int) -> list[dict[str, Any]]:
    merged = [r for s in segments[:-1] for r in s["records"]]
    head = [{"base": segments[0]["base"], "active": False, "records": merged}] if merged else []
    return head + [segments[-1]]


def _expire_at_once(record: dict[str, Any], offset_map: dict[str, int], horizons: dict[str, int], t: int) -> str | None:
    if offset_map.get(record["key"], -1) > record["offset"]:
        return "superseded"
    return "tombstone_expired" if record["value"] is None else None


@pytest.mark.parametrize("name, bug", [
    ("drop_reason", _reason_ge),
    ("drop_reason", _expire_at_once),
    ("build_offset_map", _map_with_active),
    ("regroup", _regroup_unbounded),
    ("roll_needed", lambda active, next_offset, size: next_offset - active["base"] > size),
    ("dirty_ratio", lambda dirty, cleanable: dirty / (cleanable + 1)),
])
def test_planted_bugs_are_caught(monkeypatch: pytest.MonkeyPatch, name: str, bug: Callable[..., Any]) -> None:
    monkeypatch.setattr(lc, name, bug)
    failures = 0
    for seed, params in [(7, {}), (7, {"delete_retention_ticks": 0}), (3, {"script": None}), (4, {"script": None})]:
        try:
            check_all(run(seed, params))
        except AssertionError:
            failures += 1
    assert failures, f"planted bug in {name} went unnoticed"


# ---------------------------------------------------------------- rules on their own
def _rec(offset: int, key: str, value: str | None) -> dict[str, Any]:
    return {"offset": offset, "key": key, "value": value, "t": offset}


def test_roll_dirty_ratio_and_offset_map() -> None:
    active = {"base": 8, "active": True, "records": []}
    assert not lc.roll_needed(active, 11, 4) and lc.roll_needed(active, 12, 4)
    segments = [{"base": 4, "active": False, "records": [_rec(4, "B", "b2"), _rec(7, "C", None)]},
                {"base": 8, "active": False, "records": [_rec(8, "B", "b3"), _rec(9, "E", "e1"), _rec(10, "B", "b4")]},
                {"base": 12, "active": True, "records": [_rec(12, "E", "e2")]}]
    assert lc.dirty_counts(segments, 8) == (3, 5)
    assert lc.dirty_ratio(3, 5) == 0.6 and lc.dirty_ratio(0, 0) == 0.0
    assert lc.build_offset_map(segments, 8) == {"B": 10, "E": 9}, "the active segment is not mapped"
    assert lc.build_offset_map(segments, 0) == {"B": 10, "C": 7, "E": 9}


def test_drop_reason() -> None:
    offset_map = {"B": 10, "C": 7}
    assert lc.drop_reason(_rec(4, "B", "b2"), offset_map, {}, 20) == "superseded"
    assert lc.drop_reason(_rec(10, "B", "b4"), offset_map, {}, 20) is None
    assert lc.drop_reason(_rec(7, "C", None), offset_map, {}, 20) is None, "no horizon yet: kept"
    assert lc.drop_reason(_rec(7, "C", None), offset_map, {"7": 20}, 20) == "tombstone_expired", "horizon == t"
    assert lc.drop_reason(_rec(7, "C", None), offset_map, {"7": 21}, 20) is None
    assert lc.drop_reason(_rec(3, "C", None), offset_map, {"3": 0}, 20) == "superseded"


def test_regroup_merges_within_size_and_drops_empties() -> None:
    segments = [{"base": 0, "active": False, "records": []},
                {"base": 4, "active": False, "records": [_rec(5, "A", "a")]},
                {"base": 8, "active": False, "records": [_rec(9, "B", "b"), _rec(10, "C", "c")]},
                {"base": 12, "active": False, "records": [_rec(12, "D", "d"), _rec(13, "E", "e")]},
                {"base": 16, "active": True, "records": [_rec(16, "A", "a2")]}]
    grouped = lc.regroup(segments, 4)
    assert [(g["base"], [r["offset"] for r in g["records"]]) for g in grouped] == [
        (4, [5, 9, 10]), (12, [12, 13]), (16, [16])]
    assert lc.regroup(segments, 5)[0]["records"][-1]["offset"] == 13
    assert lc.regroup([segments[-1]], 4) == [segments[-1]]


def test_replay_and_draw_script() -> None:
    assert lc.replay([_rec(0, "A", "a1"), _rec(1, "B", "b1"), _rec(2, "A", None), _rec(3, "C", None)]) == {"B": "b1"}
    script = lc.draw_script(np.random.default_rng(5), ["A", "B", "C"], 40, 0.3)
    assert len(script) == 40
    live: set[str] = set()
    counts: dict[str, int] = {}
    for key, value in script:
        if value is None:
            assert key in live, "a drawn tombstone deletes a live key"
            live.discard(key)
        else:
            counts[key] = counts.get(key, 0) + 1
            assert value == f"{key.lower()}{counts[key]}"
            live.add(key)
    assert any(v is None for _, v in script)
    assert all(v is not None for _, v in lc.draw_script(np.random.default_rng(5), ["A"], 30, 0.0))


# ---------------------------------------------------------------- the storyboard's hand-computed reference
def segments_view(step: dict[str, Any]) -> list[tuple[int, list[str]]]:
    def label(r: dict[str, Any]) -> str:
        return f"{r['offset']} {r['key']}:{r['value'] if r['value'] is not None else '-'}"
    return [(s["base"], [label(r) for r in s["records"]]) for s in step["segments"]]


def test_reference_passes_by_hand() -> None:
    trace = run(0)
    first, second = trace["passes"]
    assert first["t"] == 10 and first["dirty_ratio"] == 1.0 and first["dirty_range"] == [0, 8]
    assert first["offset_map"] == {"A": 5, "B": 4, "C": 7, "D": 6}
    assert first["dropped"] == [{"offset": o, "key": k, "reason": "superseded"} for o, k in zip(range(4), "ABAC")]
    assert first["new_horizons"] == {"7": 16}
    after_first = next(s for s in trace["steps"] if s["event"] == "pass_done")
    assert segments_view(after_first) == [(4, ["4 B:b2", "5 A:a3", "6 D:d1", "7 C:-"]),
                                          (8, ["8 B:b3", "9 E:e1", "10 A:a4"])]
    assert second["t"] == 20 and second["dirty_ratio"] == 12 / 16 == 0.75
    assert second["offset_map"] == {"B": 18, "E": 15, "A": 19, "D": 11}
    superseded = sorted(d["offset"] for d in second["dropped"] if d["reason"] == "superseded")
    assert superseded == [4, 5, 6, 8, 9, 10, 12, 13, 14, 16, 17]
    assert [d["offset"] for d in second["dropped"] if d["reason"] == "tombstone_expired"] == [7]
    assert second["new_horizons"] == {"11": 26}
    final = trace["steps"][-1]
    assert segments_view(final) == [(8, ["11 D:-", "15 E:e3", "18 B:b6", "19 A:a7"]), (20, ["20 E:e4"])]
    assert (final["log_size"], final["appended_total"]) == (5, 21)
    assert final["table"] == naive_table(trace["history"]) == {"A": "a7", "B": "b6", "E": "e4"}
    longer = run(0, {"delete_retention_ticks": 20})
    assert longer["passes"][0]["new_horizons"] == {"7": 30}
    assert any(r["offset"] == 7 for r in log_of(longer["steps"][-1])) and longer["steps"][-1]["log_size"] == 6


def test_default_script_ignores_the_seed() -> None:
    assert lc.simulate(1).steps == lc.simulate(2).steps


# ---------------------------------------------------------------- the catalog's story
def test_catalog_story() -> None:
    entry = load_catalog().get(lc.ID)
    assert dict(entry.params) == {p.name: p.default for p in lc.PARAMS}, "catalog params equal the defaults"
    trace = run(entry.seed, dict(entry.params))
    check_all(trace)
    summary, steps = trace["summary"], trace["steps"]
    assert summary["appended_total"] == 21 and summary["max_table_size"] <= 5, "hook: 21 stored, table <= 5 rows"
    check_10 = next(s for s in steps if s["event"] == "check" and s["t"] == 10)
    assert check_10["detail"]["runs"] and check_10["dirty_ratio"] == 1.0 and check_10["clean_end"] == 0
    assert trace["passes"][0]["first_offset"] == 4, "a reader from 0 jumps to 4"
    tombs = {t["key"]: t for t in summary["tombstones"]}
    assert tombs["C"] == {"offset": 7, "key": "C", "t": 7, "horizon": 16, "removed_t": 20,
                          "removed_reason": "tombstone_expired"}
    assert tombs["D"]["horizon"] == 26 and tombs["D"]["removed_t"] is None
    final = steps[-1]
    tail_e = [r for s in final["segments"][:-1] for r in s["records"] if r["key"] == "E"]
    active_e = [r for r in final["segments"][-1]["records"] if r["key"] == "E"]
    assert [r["value"] for r in tail_e] == ["e3"] and [r["value"] for r in active_e] == ["e4"]
    assert (summary["log_size"], summary["appended_total"]) == (5, 21)
    assert summary["pass_ticks"] == [10, 20]


# ---------------------------------------------------------------- determinism, isolation, parameters
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    params = {"script": None, "n_records": 40, "segment_size": 3, "cleaner_check_every": 4,
              "min_cleanable_dirty_ratio": 0.3}
    code = ("import sys; from sims.log_compaction import simulate; "
            f"sys.stdout.write(simulate(11, **{params!r}).to_json())")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second == lc.simulate(11, **params).to_json().encode()
    assert lc.simulate(12, **params).to_json() != first.decode()


def test_import_does_not_pull_manim() -> None:
    code = "import sys, sims.log_compaction; print('manim' in sys.modules)"
    assert _in_subprocess(code, "0").strip() == b"False"


def test_script_parses_from_the_command_line() -> None:
    spec = {p.name: p for p in lc.PARAMS}
    assert parse_value(spec["script"], "null") is None
    assert parse_value(spec["script"], '[["A", "a1"], ["A", null]]') == [["A", "a1"], ["A", None]]
    with pytest.raises(ParamError) as err:
        parse_value(spec["script"], "[[")
    assert err.value.field == "script"


@pytest.mark.parametrize("params, field", [
    ({"bogus": 1}, "bogus"),
    ({"keys": []}, "keys"), ({"keys": [f"k{i}" for i in range(13)]}, "keys"), ({"keys": ["A", "A"]}, "keys"),
    ({"keys": ["LONGKEY99"]}, "keys"), ({"keys": "ABC"}, "keys"),
    ({"script": []}, "script"), ({"script": [["A", "x"]] * 61}, "script"), ({"script": [[None, "x"]]}, "script"),
    ({"script": [["A"]]}, "script"), ({"script": [["A", 5]]}, "script"), ({"script": {"A": "a1"}}, "script"),
    ({"n_records": 0}, "n_records"), ({"n_records": 61}, "n_records"),
    ({"tombstone_ratio": -1e-9}, "tombstone_ratio"), ({"tombstone_ratio": 0.5 + 1e-9}, "tombstone_ratio"),
    ({"segment_size": 0}, "segment_size"), ({"segment_size": 13}, "segment_size"),
    ({"cleaner_check_every": 0}, "cleaner_check_every"), ({"cleaner_check_every": 61}, "cleaner_check_every"),
    ({"min_cleanable_dirty_ratio": -1e-9}, "min_cleanable_dirty_ratio"),
    ({"min_cleanable_dirty_ratio": 1 + 1e-9}, "min_cleanable_dirty_ratio"),
    ({"delete_retention_ticks": -1}, "delete_retention_ticks"), ({"delete_retention_ticks": 101}, "delete_retention_ticks"),
    # cross-field check
    ({"script": [["A", "a1"], ["Z", "z1"]]}, "script"),
    ({"keys": ["A", "B"]}, "script"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        lc.simulate(0, **params)
    assert err.value.field == field


def test_negative_seed_is_a_param_error() -> None:
    with pytest.raises(ParamError) as err:
        lc.simulate(-1)
    assert err.value.field == "seed"


# ---------------------------------------------------------------- the scene's questions
def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py)."""
    first, second = trace["passes"][:2]
    answers = ["it is dropped" if first["dropped"][0]["reason"] == "superseded" else "it is kept"]
    stone = next(ts for ts in trace["summary"]["tombstones"] if str(ts["offset"]) in first["new_horizons"])
    answers.append("it is removed" if stone["removed_t"] == second["t"] else "it stays for now")
    done = [st for st in trace["steps"] if st["event"] == "pass_done"][1]
    active = {r["key"] for seg in done["segments"] if seg["active"] for r in seg["records"]}
    counts = {key: sum(1 for r in log_of(done) if r["key"] == key) for key in active}
    twice = sorted(key for key, n in counts.items() if n > 1)
    if twice:
        answers.append(str(counts[twice[0]]))
    return answers


def test_checkpoint_answers_of_the_catalog_story() -> None:
    entry = load_catalog().get(lc.ID)
    assert checkpoint_answers(run(entry.seed, dict(entry.params))) == ["it is dropped", "it is removed", "2"]
