"""Tests for sims.write_ahead_log: the logging and recovery rules on their own, the storyboard's invariants
checked from the trace JSON alone (recovery against an independent replay of the committed transfers), planted
bugs, the hand-computed story runs, the same story against SQLite's WAL mode with a real crash (a child process
killed with SIGKILL inside an open transaction), the catalog story, determinism and parameter errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.catalog import load_catalog
from sims import write_ahead_log as wal
from sims.params import ParamError, parse_value

ROOT = Path(__file__).resolve().parents[1]
PROPERTY = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
EVENTS = {"begin", "update", "commit", "fsync", "ack", "page_write", "wal_force", "checkpoint", "truncate", "crash",
          "classify", "redo_apply", "redo_skip", "undo", "end"}
PHASE_ORDER = ["normal", "crash", "analysis", "redo", "undo", "done"]
STEP_FIELDS = {"run", "t", "phase", "event", "txn", "lsn", "page", "detail", "log", "flushed_lsn", "truncated_below",
               "next_lsn", "buffer", "disk", "txns", "acked", "fsync_count", "commit_latency_ms"}
RECORD_FIELDS = {"lsn", "txn", "type", "page", "before", "after", "prev_lsn", "undo_next", "active", "on_disk"}
STORY = {"amounts": [30, 20]}
FOUR = {"A": 100, "B": 50, "C": 70, "D": 30}


def run(seed: int, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return json.loads(wal.simulate(seed, **(params or {})).to_json())


def runs_of(trace: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for step in trace["steps"]:
        out.setdefault(step["run"], []).append(step)
    return out


def crash_index(steps: list[dict[str, Any]]) -> int:
    return next(i for i, s in enumerate(steps) if s["event"] == "crash")


def record_key(record: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(record[k] for k in sorted(RECORD_FIELDS - {"on_disk"}))


# ---------------------------------------------------------------- independent checkers (trace JSON only)
def check_shape(trace: dict[str, Any]) -> None:
    expected_runs = ["plain", "checkpointed"] if trace["params"]["mode"] == "story" else ["random"]
    runs = runs_of(trace)
    assert list(runs) == expected_runs and sorted(trace["summary"]) == sorted(expected_runs)
    for name, steps in runs.items():
        assert [s["t"] for s in steps] == list(range(1, len(steps) + 1)), "one event per tick"
        phases = [PHASE_ORDER.index(s["phase"]) for s in steps]
        assert phases == sorted(phases), "phases out of order"
        assert [s["event"] for s in steps].count("crash") == 1
        for step in steps:
            assert set(step) == STEP_FIELDS and step["event"] in EVENTS
            assert all(set(r) == RECORD_FIELDS for r in step["log"])
            assert all(r["on_disk"] == (r["lsn"] <= step["flushed_lsn"]) for r in step["log"])
            assert all(r["lsn"] >= step["truncated_below"] for r in step["log"])
        crash = steps[crash_index(steps)]
        assert crash["buffer"] == {} and all(r["on_disk"] for r in crash["log"])
        assert sorted(steps[0]["disk"]) == sorted(trace["params"]["accounts"])


def check_lsns(trace: dict[str, Any]) -> None:
    """Invariant 1: LSNs in append order, the counter survives the crash, prev_lsn chains the survivors."""
    for steps in runs_of(trace).values():
        seen: dict[int, tuple[Any, ...]] = {}
        highest, lost = 0, set()
        previous: dict[str, Any] = {"log": [], "next_lsn": 1}  # before the first step
        for step in steps:
            lsns = [r["lsn"] for r in step["log"]]
            assert lsns == sorted(set(lsns)), "invariant 1: log not in increasing lsn order"
            for record in step["log"]:
                key = record_key(record)
                if record["lsn"] in seen:
                    assert seen[record["lsn"]] == key, "invariant 1: a record changed"
                else:
                    assert record["lsn"] > highest, "invariant 1: a new record below an older lsn"
                    seen[record["lsn"]] = key
                    highest = record["lsn"]
            assert step["next_lsn"] > highest
            if step["event"] == "crash":
                before = {r["lsn"] for r in previous["log"]}
                lost = {lsn for lsn in before if lsn > step["flushed_lsn"]}
                assert sorted(lost) == step["detail"]["lost_tail"]
                assert {r["lsn"] for r in step["log"]} == before - lost
                assert step["next_lsn"] == previous["next_lsn"], "invariant 1: the LSN counter did not survive"
            previous = step
        survivors: dict[str | None, list[int]] = {}
        fields = sorted(RECORD_FIELDS - {"on_disk"})
        for lsn in sorted(seen):
            if lsn in lost:
                continue
            record = dict(zip(fields, seen[lsn]))
            if record["txn"] is None:
                assert record["prev_lsn"] is None
                continue
            chain = survivors.setdefault(record["txn"], [])
            assert record["prev_lsn"] == (chain[-1] if chain else None), \
                f"invariant 1: prev_lsn of {lsn} is {record['prev_lsn']}, expected {chain[-1:]}"
            chain.append(lsn)


def check_wal_rule(trace: dict[str, Any]) -> None:
    """Invariant 2: every page write comes after the log reached the page's page_lsn."""
    for steps in runs_of(trace).values():
        for i, step in enumerate(steps):
            if step["event"] == "page_write":
                page = step["page"]
                assert step["disk"][page]["page_lsn"] <= step["flushed_lsn"], "invariant 2: WAL rule broken"
                assert step["disk"][page]["page_lsn"] == step["lsn"]
                assert step["buffer"][page] == {**step["disk"][page], "dirty": False}
            elif i:
                assert step["disk"] == steps[i - 1]["disk"], f"the disk changed at a {step['event']}"


def check_acks(trace: dict[str, Any]) -> None:
    """Invariant 3: an ack only after flushed_lsn reached the transaction's COMMIT."""
    for steps in runs_of(trace).values():
        commit_of: dict[str, int] = {}
        flushed = 0
        for step in steps:
            if step["event"] == "commit":
                commit_of[step["txn"]] = step["lsn"]
            if step["event"] == "ack":
                assert flushed >= commit_of[step["txn"]], "invariant 3: ack before the COMMIT was on disk"
            flushed = max(flushed, step["flushed_lsn"])


def committed_replay(trace: dict[str, Any], steps: list[dict[str, Any]]) -> tuple[dict[str, int], set[str]]:
    """Initial balances plus the UPDATEs of every transfer whose COMMIT was on disk at the crash."""
    crash = steps[crash_index(steps)]
    commits = {s["txn"]: s["lsn"] for s in steps if s["event"] == "commit"}
    durable = {txn for txn, lsn in commits.items() if lsn <= crash["flushed_lsn"]}
    balances = dict(trace["params"]["accounts"])
    updates = {s["lsn"]: s for s in steps if s["event"] == "update"}
    for lsn in sorted(updates):
        step = updates[lsn]
        if step["txn"] in durable:
            record = next(r for r in step["log"] if r["lsn"] == lsn)
            balances[step["page"]] += record["after"] - record["before"]
    return balances, durable


def check_recovery(trace: dict[str, Any]) -> None:
    """Invariants 4 and 6: the recovered disk is the independent replay; acked is within it; sums hold."""
    for name, steps in runs_of(trace).items():
        expected, durable = committed_replay(trace, steps)
        final = {page: cell["value"] for page, cell in steps[-1]["disk"].items()}
        summary = trace["summary"][name]
        assert final == expected, f"invariant 4: recovered {final} != replay {expected}"
        assert summary["recovered"] == summary["expected"] == expected
        assert set(steps[crash_index(steps)]["acked"]) <= durable, "invariant 4: an acked txn was lost"
        assert sum(final.values()) == sum(trace["params"]["accounts"].values()), "invariant 6: money appeared"
        assert all(not c["dirty"] for c in steps[-1]["buffer"].values()), "recovery leaves no dirty page"
        assert all(r["on_disk"] for r in steps[-1]["log"]), "recovery flushes its CLRs and ENDs"


def check_analysis_and_undo(trace: dict[str, Any]) -> None:
    """Winners and losers from the crash-time log; each loser's updates undone by CLRs, newest first, then END."""
    for name, steps in runs_of(trace).items():
        crash = steps[crash_index(steps)]
        log = crash["log"]
        checkpoints = [r for r in log if r["type"] == "CHECKPOINT"]
        start = checkpoints[-1]["lsn"] if checkpoints else (log[0]["lsn"] if log else None)
        seen = dict(checkpoints[-1]["active"]) if checkpoints else {}
        closed = {}
        for r in log:
            if start is not None and r["lsn"] >= start and r["txn"] is not None:
                seen[r["txn"]] = r["lsn"]
                if r["type"] in ("COMMIT", "END"):
                    closed[r["txn"]] = r["type"]
        winners = sorted(t for t in seen if closed.get(t) == "COMMIT")
        losers = sorted(t for t in seen if t not in closed)
        summary = trace["summary"][name]
        assert sorted(summary["winners"]) == winners and sorted(summary["losers"]) == losers
        classified = {s["txn"]: s["detail"]["class"] for s in steps if s["event"] == "classify" and s["txn"]}
        assert {t for t, c in classified.items() if c == "loser"} == set(losers)
        by_lsn = {r["lsn"]: r for r in log}
        loser_updates = sorted((r["lsn"] for r in log if r["txn"] in losers and r["type"] == "UPDATE"), reverse=True)
        undo_steps = [s for s in steps if s["event"] == "undo"]
        assert [s["detail"]["undoes"] for s in undo_steps] == loser_updates, "undo newest first, each update once"
        for s in undo_steps:
            clr = next(r for r in s["log"] if r["lsn"] == s["lsn"])
            undone = by_lsn[s["detail"]["undoes"]]
            assert clr["type"] == "CLR" and clr["after"] == undone["before"] and clr["page"] == undone["page"]
            assert clr["undo_next"] == undone["prev_lsn"]
        ends = [s["txn"] for s in steps if s["event"] == "end"]
        assert sorted(ends) == losers and all(steps[-1]["txns"][t] == "undone" for t in losers)
        assert summary["lost_tail"] == crash["detail"]["lost_tail"]


def check_redo(trace: dict[str, Any]) -> None:
    """Invariant 8: redo covers UPDATE/CLR from the start point and skips exactly those the disk already has."""
    for name, steps in runs_of(trace).items():
        crash = steps[crash_index(steps)]
        log = crash["log"]
        checkpoints = [r["lsn"] for r in log if r["type"] == "CHECKPOINT"]
        start = checkpoints[-1] if checkpoints else (log[0]["lsn"] if log else None)
        expected = [r for r in log if start is not None and r["lsn"] >= start and r["type"] in ("UPDATE", "CLR")]
        redo = [s for s in steps if s["event"] in ("redo_apply", "redo_skip")]
        assert [s["lsn"] for s in redo] == [r["lsn"] for r in expected], "redo must visit every UPDATE/CLR once"
        for s, r in zip(redo, expected):
            skip = crash["disk"][r["page"]]["page_lsn"] >= r["lsn"]
            assert (s["event"] == "redo_skip") == skip, f"invariant 8: lsn {r['lsn']} page_lsn rule"
            if not skip:
                assert s["buffer"][r["page"]]["value"] == r["after"]
        summary = trace["summary"][name]
        assert summary["redo_applied"] == [s["lsn"] for s in redo if s["event"] == "redo_apply"]
        assert summary["redo_skipped"] == [s["lsn"] for s in redo if s["event"] == "redo_skip"]


def check_truncation(trace: dict[str, Any]) -> None:
    """The log is cut only below the last checkpoint and the first record of any transaction still open then."""
    for steps in runs_of(trace).values():
        for i, step in enumerate(steps):
            if step["event"] == "truncate":
                assert step["detail"]["applied"] == trace["params"]["truncate"]
                checkpoint = max(r["lsn"] for r in steps[i - 1]["log"] if r["type"] == "CHECKPOINT")
                active = next(r for r in steps[i - 1]["log"] if r["lsn"] == checkpoint)["active"]
                firsts = [min(r["lsn"] for r in steps[i - 1]["log"] if r["txn"] == t) for t in active]
                assert step["lsn"] == min([checkpoint] + firsts), "cut below the checkpoint or an open txn"
                kept = step["lsn"] if step["detail"]["applied"] else steps[i - 1]["truncated_below"]
                assert step["truncated_below"] == kept
            elif i:
                assert step["truncated_below"] == steps[i - 1]["truncated_below"]
        if not trace["params"]["truncate"]:
            assert all(s["truncated_below"] == 1 for s in steps)


INVARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "shape": check_shape,
    "1 lsns": check_lsns,
    "2 wal rule": check_wal_rule,
    "3 acks": check_acks,
    "4+6 recovery": check_recovery,
    "analysis and undo": check_analysis_and_undo,
    "8 redo": check_redo,
    "truncation": check_truncation,
}


def check_all(trace: dict[str, Any]) -> None:
    for label, check in INVARIANTS.items():
        try:
            check(trace)
        except AssertionError as err:
            err.add_note(f"invariant {label}")
            raise


def check_idempotent(trace: dict[str, Any], every_step: bool = False) -> None:
    """Invariant 5: from the disk of a recovery step (or the last one), a second crash and recovery change nothing."""
    for steps in runs_of(trace).values():
        final = {p: c["value"] for p, c in steps[-1]["disk"].items()}
        recovery = steps[crash_index(steps):]
        for step in (recovery if every_step else [recovery[len(recovery) // 2], steps[-1]]):
            db = wal.restore(step)
            wal.crash(db)
            again = wal.recover(db)
            assert {p: c["value"] for p, c in db.disk.items()} == final, f"invariant 5: from t={step['t']}"
            if step is steps[-1]:
                assert again["losers"] == [] and again["redo_applied"] == [], "a second recovery had work left"


# ---------------------------------------------------------------- invariants over drawn seeds and parameters
account_sets = st.dictionaries(st.sampled_from(["A", "B", "C", "D", "E", "F", "acct_7"]),
                               st.sampled_from([0, 100_000]) | st.integers(0, 100_000), min_size=2, max_size=6)


@st.composite
def param_sets(draw: st.DrawFn) -> dict[str, Any]:
    common = {"accounts": draw(account_sets), "truncate": draw(st.booleans()),
              "fsync_ms": draw(st.sampled_from([0, 1000]) | st.integers(0, 1000))}
    if draw(st.booleans()):
        amounts = draw(st.none() | st.lists(st.integers(1, 10_000), min_size=2, max_size=2, unique=True))
        return {"mode": "story", "amounts": amounts, **common}
    return {"mode": "random", **common, "n_txns": draw(st.integers(1, 12)),
            "max_concurrent": draw(st.integers(1, 3)),
            "flush_prob": draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0)),
            "checkpoint_at": draw(st.none() | st.integers(0, 90) | st.integers(0, 1000)),
            "crash_at": draw(st.none() | st.integers(1, 90) | st.integers(1, 1000))}


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1),
       params=st.one_of(st.just({}), st.just({"mode": "random", "accounts": FOUR}), param_sets()))
def test_invariants_hold_for_drawn_seeds_and_params(seed: int, params: dict[str, Any]) -> None:
    trace = run(seed, params)
    try:
        check_all(trace)
        check_idempotent(trace)
        other = run(seed, {**params, "truncate": not trace["params"]["truncate"]})
        for name in trace["summary"]:  # invariant 7
            assert other["summary"][name]["recovered"] == trace["summary"][name]["recovered"], "invariant 7"
    except AssertionError as err:
        err.add_note(f"seed={seed} params={params}")
        raise


def test_random_runs_reach_every_case() -> None:
    """Over seeds on four accounts: checkpoints, truncation, steals of uncommitted pages, commits on disk
    but not acknowledged, lost tails, redo applies and skips, and crashes with no loser."""
    seen = dict.fromkeys(["truncated", "unacked_winner", "lost_commit", "redo_apply", "redo_skip", "no_loser",
                          "steal"], 0)
    for seed in range(60):
        trace = run(seed, {"mode": "random", "accounts": FOUR})
        check_all(trace)
        summary, steps = trace["summary"]["random"], runs_of(trace)["random"]
        crash = steps[crash_index(steps)]
        seen["truncated"] += summary["truncated_below"] > 1
        seen["unacked_winner"] += bool(set(summary["winners"]) - set(crash["acked"]))
        seen["lost_commit"] += any(s["event"] == "commit" and s["lsn"] in summary["lost_tail"] for s in steps)
        seen["redo_apply"] += bool(summary["redo_applied"])
        seen["redo_skip"] += bool(summary["redo_skipped"])
        seen["no_loser"] += not summary["losers"]
        seen["steal"] += any(crash["disk"][p]["page_lsn"] in
                             {r["lsn"] for r in crash["log"] if r["txn"] in summary["losers"]} for p in crash["disk"])
    assert all(count > 0 for count in seen.values()), seen


# ---------------------------------------------------------------- the checkers catch corrupted traces and planted bugs
def _story() -> dict[str, Any]:
    return run(0, STORY)


def _corrupt_prev_lsn(trace: dict[str, Any]) -> None:
    for step in trace["steps"]:
        for r in step["log"]:
            if r["lsn"] == 8 and step["run"] == "plain":
                r["prev_lsn"] = 7


def _corrupt_wal_rule(trace: dict[str, Any]) -> None:
    step = next(s for s in trace["steps"] if s["event"] == "page_write")
    step["flushed_lsn"] = 0
    for r in step["log"]:
        r["on_disk"] = False


def _corrupt_ack(trace: dict[str, Any]) -> None:
    for step in trace["steps"]:
        if step["run"] == "plain" and step["t"] <= 6:
            step["flushed_lsn"] = 0
            for r in step["log"]:
                r["on_disk"] = False


def _corrupt_recovered(trace: dict[str, Any]) -> None:
    last = [s for s in trace["steps"] if s["run"] == "plain"][-1]
    last["disk"]["A"]["value"] = 100


def _corrupt_redo(trace: dict[str, Any]) -> None:
    step = next(s for s in trace["steps"] if s["event"] == "redo_skip")
    step["event"] = "redo_apply"


def _corrupt_undo(trace: dict[str, Any]) -> None:
    step = next(s for s in trace["steps"] if s["event"] == "end")
    step["event"] = "undo"
    step["detail"] = {"undoes": 5}


def _corrupt_truncation(trace: dict[str, Any]) -> None:
    step = next(s for s in trace["steps"] if s["event"] == "truncate")
    step["truncated_below"] = 4


CORRUPTIONS = {
    "1 lsns": _corrupt_prev_lsn,
    "2 wal rule": _corrupt_wal_rule,
    "3 acks": _corrupt_ack,
    "4+6 recovery": _corrupt_recovered,
    "8 redo": _corrupt_redo,
    "analysis and undo": _corrupt_undo,
    "truncation": _corrupt_truncation,
}


@pytest.mark.parametrize("label", list(CORRUPTIONS))
def test_each_checker_rejects_its_corruption(label: str) -> None:
    trace = _story()
    CORRUPTIONS[label](trace)
    with pytest.raises(AssertionError):
        INVARIANTS[label](trace)


def _write_page_without_force(db: wal.Db, page: str, reason: str) -> None:
    cell = db.buffer[page]
    db.disk[page] = {"value": cell["value"], "page_lsn": cell["page_lsn"]}
    cell["dirty"] = False
    wal.emit(db, "page_write", None, cell["page_lsn"], page, {"reason": reason})


def _redo_committed_only(db: wal.Db, start: int) -> tuple[list[int], list[int]]:
    db.phase = "redo"
    committed = {r["txn"] for r in db.log if r["type"] == "COMMIT"}
    applied, skipped = [], []
    for record in [r for r in db.log if r["lsn"] >= start and r["type"] in ("UPDATE", "CLR")]:
        cell = wal._page(db, record["page"])
        if record["txn"] in committed and cell["page_lsn"] < record["lsn"]:
            cell.update(value=record["after"], page_lsn=record["lsn"], dirty=True)
            applied.append(record["lsn"])
            wal.emit(db, "redo_apply", record["txn"], record["lsn"], record["page"])
        else:
            skipped.append(record["lsn"])
            wal.emit(db, "redo_skip", record["txn"], record["lsn"], record["page"])
    return applied, skipped


def _checkpoint_without_page_writes(db: wal.Db, truncate: bool) -> None:
    wal.flush_log(db, "fsync")
    active = {txn: db.last_lsn[txn] for txn, status in db.txns.items()
              if status == "active" and txn not in db.commit_lsn}
    record = wal.append_record(db, None, "CHECKPOINT", active=active)
    wal.emit(db, "checkpoint", None, record["lsn"], detail={"active": active})
    wal.flush_log(db, "fsync")


def _ack_without_fsync(db: wal.Db, txn: str) -> None:
    lsn = wal.commit(db, txn)
    db.acked.append(txn)
    db.txns[txn] = "committed"
    wal.emit(db, "ack", txn, lsn)


@pytest.mark.parametrize("name, bug", [
    ("write_page", _write_page_without_force),
    ("redo", _redo_committed_only),
    ("checkpoint", _checkpoint_without_page_writes),
    ("commit_and_ack", _ack_without_fsync),
])
def test_planted_bugs_are_caught(monkeypatch: pytest.MonkeyPatch, name: str, bug: Callable[..., Any]) -> None:
    monkeypatch.setattr(wal, name, bug)
    failures = 0
    for seed in range(25):
        for params in ({"mode": "random", "accounts": FOUR, "flush_prob": 0.5}, STORY):
            try:
                check_all(run(seed, params))
            except AssertionError:
                failures += 1
    assert failures, f"planted bug in {name} went unnoticed"


# ---------------------------------------------------------------- rules on their own
def test_update_logs_before_it_changes_the_page() -> None:
    db = wal.new_db("unit", {"A": 100, "B": 50}, fsync_ms=5)
    wal.begin(db, "T1")
    wal.update(db, "T1", "A", -30)
    record = db.log[-1]
    assert record == {"lsn": 2, "txn": "T1", "type": "UPDATE", "page": "A", "before": 100, "after": 70,
                      "prev_lsn": 1, "undo_next": None, "active": None}
    assert db.buffer["A"] == {"value": 70, "page_lsn": 2, "dirty": True} and db.disk["A"]["value"] == 100
    assert db.flushed_lsn == 0, "an update alone forces nothing"


def test_write_page_forces_the_log_first_and_commit_waits_for_fsync() -> None:
    db = wal.new_db("unit", {"A": 100, "B": 50}, fsync_ms=5)
    wal.begin(db, "T1")
    wal.update(db, "T1", "A", -30)
    wal.write_page(db, "A", "evict")
    assert [s["event"] for s in db.steps[-2:]] == ["wal_force", "page_write"]
    assert db.flushed_lsn == 2 and db.disk["A"] == {"value": 70, "page_lsn": 2} and db.fsync_count == 1
    wal.write_page(db, "A", "again")
    assert db.steps[-1]["event"] == "page_write" and db.fsync_count == 1, "no force when the log is there"
    lsn = wal.commit(db, "T1")
    with pytest.raises(RuntimeError):
        wal.ack(db, "T1", lsn)
    assert wal.flush_log(db) and not wal.flush_log(db)
    wal.ack(db, "T1", lsn)
    assert db.acked == ["T1"] and db.txns["T1"] == "committed"


def test_checkpoint_keeps_the_records_of_open_transactions() -> None:
    db = wal.new_db("unit", {"A": 1, "B": 2, "C": 3, "D": 4}, fsync_ms=5)
    wal.begin(db, "T1")
    wal.update(db, "T1", "A", -1)
    wal.begin(db, "T2")
    wal.update(db, "T2", "C", 5)
    wal.commit(db, "T2")
    wal.checkpoint(db, truncate=True)
    checkpoint = next(r for r in db.log if r["type"] == "CHECKPOINT")
    assert checkpoint["active"] == {"T1": 2}, "T2 has its COMMIT logged: not an undo candidate"
    assert db.truncated_below == 1 and db.log[0]["lsn"] == 1, "T1's BEGIN at lsn 1 must stay"
    assert all(not c["dirty"] for c in db.buffer.values()) and db.disk["A"]["value"] == 0
    assert db.flushed_lsn == checkpoint["lsn"]


def test_crash_loses_memory_but_not_the_lsn_counter() -> None:
    db = wal.new_db("unit", {"A": 100, "B": 50}, fsync_ms=5)
    wal.begin(db, "T1")
    wal.flush_log(db)
    wal.update(db, "T1", "A", -30)
    assert wal.crash(db) == [2]
    assert db.buffer == {} and [r["lsn"] for r in db.log] == [1] and db.next_lsn == 3
    result = wal.recover(db)
    assert result["losers"] == ["T1"] and result["ends"] == [3] and result["undone"] == []
    assert db.disk == {"A": {"value": 100, "page_lsn": 0}, "B": {"value": 50, "page_lsn": 0}}


# ---------------------------------------------------------------- the storyboard's hand-computed runs
def records(step: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(r["lsn"], r["txn"], r["type"], r["page"], r["before"], r["after"]) for r in step["log"]]


def test_plain_story_by_hand() -> None:
    trace = run(0, STORY)
    steps = runs_of(trace)["plain"]
    crash_at = crash_index(steps)
    before_crash = steps[crash_at - 1]
    assert records(before_crash) == [(1, "T1", "BEGIN", None, None, None), (2, "T1", "UPDATE", "A", 100, 70),
                                     (3, "T1", "UPDATE", "B", 50, 80), (4, "T1", "COMMIT", None, None, None),
                                     (5, "T2", "BEGIN", None, None, None), (6, "T2", "UPDATE", "B", 80, 60),
                                     (7, "T2", "UPDATE", "A", 70, 90)]
    events = [(s["event"], s["lsn"]) for s in steps[:crash_at]]
    assert events[3:6] == [("commit", 4), ("fsync", 4), ("ack", 4)]
    assert events[7:10] == [("update", 6), ("wal_force", 6), ("page_write", 6)], "log forced to 6, then B"
    assert next(s for s in steps if s["event"] == "ack")["fsync_count"] == 1
    summary = trace["summary"]["plain"]
    assert summary["disk_at_crash"] == {"A": {"value": 100, "page_lsn": 0}, "B": {"value": 60, "page_lsn": 6}}
    assert summary["disk_total_at_crash"] == 160 and summary["lost_tail"] == [7]
    assert (summary["winners"], summary["losers"]) == (["T1"], ["T2"])
    assert (summary["redo_applied"], summary["redo_skipped"]) == ([2], [3, 6])
    assert (summary["undone"], summary["clrs"], summary["ends"]) == ([6], [8], [9])
    clr = next(r for r in steps[-1]["log"] if r["lsn"] == 8)
    assert (clr["type"], clr["page"], clr["before"], clr["after"], clr["prev_lsn"]) == ("CLR", "B", 60, 80, 6)
    assert summary["recovered"] == {"A": 70, "B": 80}


def test_checkpointed_story_by_hand() -> None:
    trace = run(0, STORY)
    steps = runs_of(trace)["checkpointed"]
    summary = trace["summary"]["checkpointed"]
    checkpoint = next(s for s in steps if s["event"] == "checkpoint")
    assert checkpoint["lsn"] == 5 and checkpoint["disk"] == {"A": {"value": 70, "page_lsn": 2},
                                                            "B": {"value": 80, "page_lsn": 3}}
    truncate = next(s for s in steps if s["event"] == "truncate")
    assert truncate["truncated_below"] == 5 and [r["lsn"] for r in truncate["log"]] == [5]
    crash_at = crash_index(steps)
    assert records(steps[crash_at - 1])[1:] == [(6, "T2", "BEGIN", None, None, None),
                                                (7, "T2", "UPDATE", "B", 80, 60), (8, "T2", "UPDATE", "A", 70, 90)]
    assert [s["event"] for s in steps if s["lsn"] == 7 and s["phase"] == "normal"] == [
        "update", "wal_force", "page_write"]
    assert summary["lost_tail"] == [8] and summary["redo_start"] == 5 and summary["truncated_below"] == 5
    assert (summary["redo_applied"], summary["redo_skipped"]) == ([], [7])
    assert (summary["clrs"], summary["ends"]) == ([9], [10])
    clr = next(r for r in steps[-1]["log"] if r["lsn"] == 9)
    assert (clr["page"], clr["before"], clr["after"]) == ("B", 60, 80)
    assert summary["recovered"] == {"A": 70, "B": 80}


def test_idempotent_from_every_recovery_step_of_the_story() -> None:
    check_idempotent(run(0, STORY), every_step=True)


# ---------------------------------------------------------------- SQLite's WAL mode, crashed for real
CHILD = """
import sqlite3, sys, time
path, first, second = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
con = sqlite3.connect(path, isolation_level=None)
con.execute("PRAGMA wal_autocheckpoint=0")
con.execute("BEGIN")
con.execute("UPDATE acct SET bal = bal - ? WHERE id = 1", (first,))
con.execute("UPDATE acct SET bal = bal + ? WHERE id = 2", (first,))
con.execute("COMMIT")
con.execute("PRAGMA cache_size=2")
con.execute("BEGIN")
con.execute("UPDATE acct SET bal = bal - ? WHERE id = 2", (second,))
con.execute("UPDATE acct SET bal = bal + ? WHERE id = 1", (second,))
con.execute("INSERT INTO acct VALUES (3, 999)")
con.executemany("INSERT INTO pad(x) VALUES (?)", (("x" * 500,) for _ in range(2000)))
print("in-transaction", flush=True)
time.sleep(120)
"""


def rows_of(path: Path) -> list[tuple[int, int]]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT id, bal FROM acct ORDER BY id").fetchall()
    finally:
        con.close()


def copy_main_file(path: Path, into: Path) -> Path:
    """The main database file alone, without its -wal: what the data pages say."""
    into.mkdir()
    target = into / path.name
    shutil.copyfile(path, target)
    return target


def sqlite_crash_story(tmp: Path, balances: tuple[int, int], amounts: list[int]) -> dict[str, Any]:
    """Commit T1, kill a child inside T2 (SIGKILL), reopen: what survives."""
    path, wal_file = tmp / "bank.db", tmp / "bank.db-wal"
    con = sqlite3.connect(path, isolation_level=None)
    assert con.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INTEGER)")
    con.execute("CREATE TABLE pad(x TEXT)")
    con.executemany("INSERT INTO acct VALUES (?, ?)", [(1, balances[0]), (2, balances[1])])
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(amounts[0]), str(amounts[1])],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "in-transaction"
        wal_size_open = wal_file.stat().st_size
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    out = {"wal_size_open": wal_size_open, "wal_exists_after_kill": wal_file.exists(),
           "wal_size_after_kill": wal_file.stat().st_size if wal_file.exists() else 0,
           "main_file_alone": rows_of(copy_main_file(path, tmp / "copy1"))}
    con = sqlite3.connect(path, isolation_level=None)
    out["reopened"] = con.execute("SELECT id, bal FROM acct ORDER BY id").fetchall()
    out["pad_rows"] = con.execute("SELECT count(*) FROM pad").fetchone()[0]
    out["checkpoint"] = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    out["wal_size_after_checkpoint"] = wal_file.stat().st_size
    out["main_file_after_checkpoint"] = rows_of(copy_main_file(path, tmp / "copy2"))
    con.close()
    out["wal_exists_after_close"] = wal_file.exists()
    return out


@pytest.mark.parametrize("amounts", [[30, 20], None])
def test_sqlite_wal_mode_matches_the_story(tmp_path: Path, amounts: list[int] | None) -> None:
    trace = run(7, {"amounts": amounts})
    amounts = trace["amounts"]
    summary = trace["summary"]["plain"]
    initial = (summary["initial"]["A"], summary["initial"]["B"])
    got = sqlite_crash_story(tmp_path, initial, amounts)
    assert got["wal_size_open"] > 500_000, "uncommitted frames reached the -wal file before the kill"
    assert got["wal_exists_after_kill"] and got["wal_size_after_kill"] > 0
    assert got["main_file_alone"] == [(1, initial[0]), (2, initial[1])], "committed rows live only in the log"
    recovered = [(1, summary["recovered"]["A"]), (2, summary["recovered"]["B"])]
    assert got["reopened"] == recovered, "committed T1 kept, uncommitted T2 and row 3 gone"
    assert got["pad_rows"] == 0
    assert got["checkpoint"][0] == 0 and got["wal_size_after_checkpoint"] == 0
    assert got["main_file_after_checkpoint"] == recovered
    assert not got["wal_exists_after_close"], "a clean close of the last connection removes the -wal file"
    assert trace["summary"]["checkpointed"]["recovered"] == summary["recovered"]
    if amounts == [30, 20]:
        assert recovered == [(1, 70), (2, 80)]


# ---------------------------------------------------------------- the catalog's story
def test_catalog_story() -> None:
    entry = load_catalog().get(wal.ID)
    assert dict(entry.params) == {p.name: p.default for p in wal.PARAMS}, "catalog params equal the defaults"
    trace = run(entry.seed, dict(entry.params))
    check_all(trace)
    check_idempotent(trace, every_step=True)
    first, second = trace["amounts"]
    assert 10 <= first <= 40 and 5 <= second <= 30 and first != second
    plain = trace["summary"]["plain"]
    a, b = plain["initial"]["A"], plain["initial"]["B"]
    assert plain["disk_at_crash"] == {"A": {"value": a, "page_lsn": 0}, "B": {"value": b + first - second,
                                                                                "page_lsn": 6}}
    assert plain["disk_total_at_crash"] != plain["initial_total"], "the hook: the disk alone lies"
    assert plain["recovered"] == {"A": a - first, "B": b + first} == trace["summary"]["checkpointed"]["recovered"]
    assert (plain["redo_applied"], plain["redo_skipped"], plain["clrs"]) == ([2], [3, 6], [8])
    assert plain["commit_latency_ms"] == {"T1": 5} and plain["fsync_count"] == 2
    assert trace["summary"]["checkpointed"]["truncated_below"] == 5
    for name, steps in runs_of(trace).items():
        assert 15 <= len(steps) <= 30, f"{name}: about 20 ticks, recovery included"


# ---------------------------------------------------------------- determinism, isolation, parameters
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    params = {"mode": "random", "accounts": FOUR, "n_txns": 9, "flush_prob": 0.4}
    code = ("import sys; from sims.write_ahead_log import simulate; "
            f"sys.stdout.write(simulate(11, **{params!r}).to_json()); sys.stdout.write(simulate(3).to_json())")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second
    assert first.decode() == wal.simulate(11, **params).to_json() + wal.simulate(3).to_json()
    assert wal.simulate(12, **params).to_json() != wal.simulate(11, **params).to_json()


def test_import_does_not_pull_manim() -> None:
    code = "import sys, sims.write_ahead_log; print('manim' in sys.modules or 'sqlite3' in sys.modules)"
    assert _in_subprocess(code, "0").strip() == b"False"


def test_nullable_params_parse_from_the_command_line() -> None:
    spec = {p.name: p for p in wal.PARAMS}
    assert parse_value(spec["amounts"], "null") is None
    assert parse_value(spec["amounts"], "[30, 20]") == [30, 20]
    assert parse_value(spec["crash_at"], "12") == 12 and parse_value(spec["checkpoint_at"], "null") is None
    with pytest.raises(ParamError) as err:
        parse_value(spec["crash_at"], "soon")
    assert err.value.field == "crash_at"


@pytest.mark.parametrize("params, field", [
    ({"bogus": 1}, "bogus"),
    ({"mode": "chaos"}, "mode"), ({"mode": 1}, "mode"),
    ({"accounts": {"A": 1}}, "accounts"), ({"accounts": {f"A{i}": 1 for i in range(7)}}, "accounts"),
    ({"accounts": {"A": -1, "B": 5}}, "accounts"), ({"accounts": {"A": 100_001, "B": 5}}, "accounts"),
    ({"accounts": {"A": 1.5, "B": 5}}, "accounts"), ({"accounts": {"1A": 1, "B": 5}}, "accounts"),
    ({"amounts": [30]}, "amounts"), ({"amounts": [0, 20]}, "amounts"), ({"amounts": [30, 10_001]}, "amounts"),
    ({"amounts": [20, 20]}, "amounts"), ({"amounts": [30.0, 20]}, "amounts"),
    ({"mode": "random", "n_txns": 0}, "n_txns"), ({"mode": "random", "n_txns": 13}, "n_txns"),
    ({"max_concurrent": 0}, "max_concurrent"), ({"max_concurrent": 4}, "max_concurrent"),
    ({"flush_prob": -1e-9}, "flush_prob"), ({"flush_prob": 1 + 1e-9}, "flush_prob"),
    ({"mode": "random", "checkpoint_at": -1}, "checkpoint_at"),
    ({"mode": "random", "checkpoint_at": 1001}, "checkpoint_at"),
    ({"mode": "random", "crash_at": 0}, "crash_at"), ({"mode": "random", "crash_at": 1001}, "crash_at"),
    ({"truncate": 1}, "truncate"), ({"fsync_ms": -1}, "fsync_ms"), ({"fsync_ms": 1001}, "fsync_ms"),
    # cross-field checks
    ({"mode": "random", "amounts": [30, 20]}, "amounts"),
    ({"mode": "story", "crash_at": 5}, "crash_at"),
    ({"mode": "story", "checkpoint_at": 5}, "checkpoint_at"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        wal.simulate(0, **params)
    assert err.value.field == field


def test_negative_seed_is_a_param_error() -> None:
    with pytest.raises(ParamError) as err:
        wal.simulate(-1)
    assert err.value.field == "seed"


# ---------------------------------------------------------------- the scene's questions
def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py)."""
    plain = runs_of(trace)["plain"]
    t1 = trace["transfers"]["plain"][0]["txn"]
    ack = next(st for st in plain if st["event"] == "ack" and st["txn"] == t1)
    logged = all(r["on_disk"] for r in ack["log"] if r["txn"] == t1)
    pages = any(cell["page_lsn"] > 0 for cell in ack["disk"].values())
    on_disk = {(True, False): "its log records only", (False, True): "its pages only",
               (True, True): "its log records and its pages"}[(logged, pages)]
    b = trace["transfers"]["plain"][1]["from"]
    initial = trace["summary"]["plain"]["initial"][b]
    moved = sum(t["amount"] * ((t["to"] == b) - (t["from"] == b)) for t in trace["transfers"]["plain"]
                if t["txn"] in trace["summary"]["plain"]["acked"])
    checkpoint = next(r["lsn"] for st in runs_of(trace)["checkpointed"] for r in st["log"] if r["type"] == "CHECKPOINT")
    return [on_disk, str(initial + moved), f"LSN {checkpoint}"]


def test_checkpoint_answers_of_the_catalog_story() -> None:
    trace = run(7, {"amounts": [30, 20]})
    assert checkpoint_answers(trace) == ["its log records only", "80", "LSN 5"]
