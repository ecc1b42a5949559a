"""Tests for sims.exactly_once_semantics: the broker's and coordinator's rules on their own, the storyboard's
invariants checked from the trace JSON alone over drawn seeds and parameters, planted bugs, the hand-computed
reference trace, the catalog story, determinism and parameter errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.catalog import load_catalog
from sims import exactly_once_semantics as eos
from sims.params import ParamError, parse_value

ROOT = Path(__file__).resolve().parents[1]
PROPERTY = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
EVENTS = {"send", "append", "answer", "answer_lost", "resend", "duplicate", "out_of_order", "consume", "init_pid",
          "crash", "begin", "add_partition", "send_offsets", "end_txn", "marker", "stall", "fenced", "poll_rc",
          "poll_ru"}
STEP_FIELDS = {"t", "chapter", "event", "actor", "entry", "detail", "logs", "dedup", "coordinator", "instances",
               "committed_offset", "hw", "lso", "rc_delivered", "ru_delivered"}
ENTRY_FIELDS = {"offset", "kind", "value", "pid", "epoch", "seq", "txn", "src"}
IDEMPOTENT_PARTITIONS = ("idem", "out_plain", "out")
CHAPTER_PARTITIONS = {"dup": {"dup"}, "idem": {"idem"}, "reprocess": {"out_plain"}, "txn": {"out", "offsets"}}


def run(seed: int, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return json.loads(eos.simulate(seed, **(params or {})).to_json())


@lru_cache(maxsize=4)
def default_run(seed: int = 7) -> str:
    return eos.simulate(seed).to_json()


def fresh_default() -> dict[str, Any]:
    return json.loads(default_run())


# ---------------------------------------------------------------- independent checkers (trace JSON only)
def final_logs(trace: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each partition's log at the last step that shows it."""
    logs: dict[str, list[dict[str, Any]]] = {}
    for step in trace["steps"]:
        logs.update(step["logs"])
    return logs


def key_of(entry: dict[str, Any]) -> tuple[str, Any]:
    return ("src", entry["src"]) if entry["src"] is not None else ("value", entry["value"])


def repeats(entries: list[dict[str, Any]]) -> int:
    keys = [key_of(e) for e in entries if e["kind"] == "data"]
    return len(keys) - len(set(keys))


def check_shape(trace: dict[str, Any]) -> None:
    steps = trace["steps"]
    assert steps, "no steps"
    chapters = [s["chapter"] for s in steps]
    assert chapters == sorted(chapters, key=["dup", "idem", "reprocess", "txn"].index), "chapters out of order"
    assert set(chapters) == {"dup", "idem", "reprocess", "txn"}
    last_t = -1
    for step in steps:
        assert set(step) == STEP_FIELDS
        assert step["event"] in EVENTS
        assert step["t"] >= last_t, "time went back"
        assert set(step["logs"]) == CHAPTER_PARTITIONS[step["chapter"]]
        assert {key.split("/")[1] for key in step["dedup"]} <= CHAPTER_PARTITIONS[step["chapter"]]
        last_t = step["t"]
        for log in step["logs"].values():
            for entry in log:
                assert set(entry) == ENTRY_FIELDS
    inputs = trace["inputs"]
    assert [e["offset"] for e in inputs] == list(range(trace["params"]["n_inputs"]))
    assert all(e["kind"] == "data" and e["pid"] is None and e["value"].startswith("$") for e in inputs)
    for step in steps:
        if step["event"] == "consume":
            assert step["entry"] == inputs[step["entry"]["offset"]]


def check_idempotence(trace: dict[str, Any]) -> None:
    """Invariant 1: per (pid, epoch) the seqs in a partition run 0, 1, 2 ... with no repeats or gaps."""
    logs = final_logs(trace)
    for name in IDEMPOTENT_PARTITIONS:
        runs: dict[tuple[int, int], list[int]] = {}
        for entry in logs[name]:
            if entry["kind"] == "data":
                assert entry["pid"] is not None and entry["seq"] is not None, f"{name}: data without pid/seq"
                runs.setdefault((entry["pid"], entry["epoch"]), []).append(entry["seq"])
        for (pid, epoch), seqs in runs.items():
            assert seqs == list(range(len(seqs))), f"invariant 1: {name} pid {pid} epoch {epoch} seqs {seqs}"


def check_duplicates(trace: dict[str, Any]) -> None:
    """Invariant 2 and the summary's duplicate counts, recounted from the logs and the readers' views."""
    steps, summary = trace["steps"], trace["summary"]
    logs = final_logs(trace)
    appended: set[Any] = set()
    resent_after_append = 0
    for step in steps:
        if step["chapter"] != "dup":
            continue
        if step["event"] == "append":
            appended.add(step["entry"]["value"])
        if step["event"] == "resend":
            resent_after_append += step["entry"]["value"] in appended
    assert resent_after_append >= 1, "the dup chapter lost no answer"
    out = logs["out"]
    rc = [out[o] for o in steps[-1]["rc_delivered"]]
    ru = [out[o] for o in steps[-1]["ru_delivered"]]
    assert repeats(logs["dup"]) == resent_after_append, "invariant 2: dup duplicates != resends of appended"
    assert repeats(logs["idem"]) == 0, "invariant 2: idem holds a duplicate"
    assert repeats(rc) == 0, "invariant 2: RC saw a duplicate"
    assert summary["duplicates"] == {"dup": repeats(logs["dup"]), "idem": repeats(logs["idem"]),
                                     "reprocess": repeats(logs["out_plain"]), "txn_rc": repeats(rc),
                                     "txn_ru": repeats(ru)}
    assert summary["duplicates"]["reprocess"] == trace["params"]["txn_size"]
    amounts = [int(re.search(r"\$(\d+)$", e["value"]).group(1)) for e in logs["dup"] if e["kind"] == "data"]
    assert summary["charged_total"] == sum(amounts)
    assert summary["intended_total"] == sum(int(r.rsplit("$", 1)[1]) for r in trace["params"]["dup_records"])


def check_logs(trace: dict[str, Any]) -> None:
    """Invariant 3: append-only, gap-free offsets; one marker per transaction and partition, after its data."""
    previous: dict[str, list[Any]] = {}
    for step in trace["steps"]:
        for name, log in step["logs"].items():
            assert [e["offset"] for e in log] == list(range(len(log))), f"invariant 3: {name} offsets have gaps"
            before = previous.get(name, [])
            assert log[: len(before)] == before, f"invariant 3: {name} rewritten"
            previous[name] = log
    for name, log in previous.items():
        markers: dict[int, list[int]] = {}
        for entry in log:
            if entry["kind"] != "data":
                markers.setdefault(entry["txn"], []).append(entry["offset"])
        for txn, where in markers.items():
            assert len(where) == 1, f"invariant 3: {name} has {len(where)} markers of T{txn}"
        for entry in log:
            if entry["kind"] == "data" and entry["txn"] is not None:
                assert entry["txn"] in markers and entry["offset"] < markers[entry["txn"]][0], \
                    f"invariant 3: {name} offset {entry['offset']} of T{entry['txn']} has no marker after it"


def check_readers(trace: dict[str, Any]) -> None:
    """Invariant 4: what RC and RU deliver, poll by poll and in the end."""
    steps = trace["steps"]
    rc_before: list[int] = []
    ru_before: list[int] = []
    for step in steps:
        rc, ru = step["rc_delivered"], step["ru_delivered"]
        assert rc[: len(rc_before)] == rc_before and ru[: len(ru_before)] == ru_before
        new_rc, new_ru = rc[len(rc_before):], ru[len(ru_before):]
        if step["event"] != "poll_rc":
            assert not new_rc, "invariant 4: RC delivered outside a poll"
        if step["event"] != "poll_ru":
            assert not new_ru, "invariant 4: RU delivered outside a poll"
        assert all(o < step["lso"] for o in new_rc), "invariant 4: RC read at or past the LSO"
        assert all(o < step["hw"] for o in new_ru), "invariant 4: RU read at or past the HW"
        rc_before, ru_before = rc, ru
    out = steps[-1]["logs"]["out"]
    committed = {e["txn"] for e in out if e["kind"] == "commit"}
    expected_rc = [e["offset"] for e in out if e["kind"] == "data" and (e["txn"] is None or e["txn"] in committed)]
    expected_ru = [e["offset"] for e in out if e["kind"] == "data"]
    assert rc_before == expected_rc, "invariant 4: RC's final view is not the committed data"
    assert ru_before == expected_ru, "invariant 4: RU's final view is not all data"
    position = iter(ru_before)
    assert all(o in position for o in rc_before), "invariant 4: RC is not a subsequence of RU"
    summary = trace["summary"]
    assert summary["rc_delivered"] == rc_before and summary["ru_delivered"] == ru_before
    assert summary["rc_values"] == [out[o]["value"] for o in rc_before]
    assert summary["ru_values"] == [out[o]["value"] for o in ru_before]


def check_lso(trace: dict[str, Any]) -> None:
    """Invariant 5: lso <= hw; with an open transaction, lso is its first offset in ``out``."""
    for step in trace["steps"]:
        out = step["logs"].get("out", [])
        assert step["hw"] == len(out)
        assert step["lso"] <= step["hw"], "invariant 5: lso above hw"
        marked = {e["txn"] for e in out if e["kind"] != "data"}
        open_firsts = [e["offset"] for e in out if e["kind"] == "data" and e["txn"] is not None
                       and e["txn"] not in marked]
        expected = open_firsts[0] if open_firsts else step["hw"]
        assert step["lso"] == expected, f"invariant 5: lso {step['lso']} != {expected} at t={step['t']}"


def check_end_to_end(trace: dict[str, Any]) -> None:
    """Invariant 6: RC sees each input once; the committed offset moves only at commit markers."""
    steps, n = trace["steps"], trace["params"]["n_inputs"]
    out = steps[-1]["logs"]["out"]
    srcs = [out[o]["src"] for o in steps[-1]["rc_delivered"]]
    assert sorted(srcs) == list(range(n)) and len(srcs) == n, f"invariant 6: RC saw inputs {srcs}"
    consumed: dict[int, list[int]] = {}
    committed, moves = 0, []
    for step in steps:
        if step["event"] == "consume" and step["chapter"] == "txn":
            consumed.setdefault(step["detail"]["txn"], []).append(step["entry"]["offset"])
        if step["committed_offset"] != committed:
            entry = step["entry"]
            assert step["event"] == "marker" and entry["kind"] == "commit", "invariant 6: offset moved off a commit"
            assert step["committed_offset"] == max(consumed[entry["txn"]]) + 1, "invariant 6: wrong committed offset"
            committed = step["committed_offset"]
            moves.append(committed)
    assert moves == sorted(set(moves)) and committed == n
    assert trace["summary"]["final_committed_offset"] == n


def check_fencing(trace: dict[str, Any]) -> None:
    """Invariant 7: nothing of an older epoch is appended after the bump; the old instance only meets fences."""
    steps = trace["steps"]
    current: dict[int, int] = {}
    old_instances: set[str] = set()
    fenced = 0
    previous = None
    for step in steps:
        if step["event"] == "init_pid":
            pid, epoch = step["detail"]["pid"], step["detail"]["epoch"]
            if step["chapter"] == "txn" and pid in current:
                assert epoch == current[pid] + 1, "invariant 7: the bump is not +1"
                old_instances |= {i["id"] for i in step["instances"] if i["pid"] == pid and i["epoch"] < epoch}
            if step["chapter"] == "txn":
                current[pid] = epoch
        if step["event"] in ("append", "marker", "send_offsets") and step["entry"]["pid"] in current \
                and step["chapter"] == "txn":
            assert step["entry"]["epoch"] == current[step["entry"]["pid"]], "invariant 7: stale epoch appended"
        if step["actor"] in old_instances:
            assert step["event"] == "fenced", f"invariant 7: old instance did {step['event']}"
            assert step["entry"]["epoch"] < current[step["entry"]["pid"]]
            assert step["detail"]["current_epoch"] == current[step["entry"]["pid"]]
            assert step["logs"] == previous["logs"], "invariant 7: a fenced attempt changed a log"
            assert next(i for i in step["instances"] if i["id"] == step["actor"])["status"] == "fenced"
            fenced += 1
        previous = step
    assert old_instances and fenced == 1, "the story needs exactly one fenced attempt"
    assert trace["summary"]["fencing"]["fenced_t"] == next(s["t"] for s in steps if s["event"] == "fenced")


INVARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "shape": check_shape,
    "1 idempotence": check_idempotence,
    "2 duplicates": check_duplicates,
    "3 logs and markers": check_logs,
    "4 readers": check_readers,
    "5 lso": check_lso,
    "6 end to end": check_end_to_end,
    "7 fencing": check_fencing,
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
    n = draw(st.integers(2, 8))
    size = draw(st.integers(1, min(6, n - 1)))
    second = min(size, n - size)
    records = draw(st.lists(st.integers(0, 999_999), min_size=1, max_size=6, unique=True))
    dup_records = [f"r{i} ${amount}" for i, amount in enumerate(records)]
    low = draw(st.integers(1, 6))
    return {
        "n_inputs": n, "txn_size": size,
        "producer_id": draw(st.sampled_from([0, 1_000_000]) | st.integers(0, 1_000_000)),
        "dup_records": dup_records,
        "lost_ack_index": draw(st.none() | st.integers(0, len(dup_records) - 1)),
        "request_timeout": draw(st.integers(3, 10)),
        "crash_after_outputs": draw(st.none() | st.integers(1, second)),
        "stall_ticks": draw(st.integers(4, 20)),
        "poll_every": [low, draw(st.integers(low, 6))],
    }


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), params=st.one_of(st.just({}), param_sets()))
def test_invariants_hold_for_drawn_seeds_and_params(seed: int, params: dict[str, Any]) -> None:
    trace = run(seed, params)
    try:
        check_all(trace)
    except AssertionError as err:
        err.add_note(f"seed={seed} params={params}")
        raise
    summary = trace["summary"]
    if params.get("lost_ack_index") is not None:
        assert summary["lost_ack_index"] == params["lost_ack_index"]
    assert 0 <= summary["lost_ack_index"] < len(trace["params"]["dup_records"])
    assert 1 <= summary["crash_after_outputs"] <= 2 or params.get("crash_after_outputs") is not None
    assert summary["fencing"]["fenced_t"] == summary["fencing"]["stall_t"] + trace["params"]["stall_ticks"]
    assert summary["fencing"]["fenced_by"] == ("coordinator" if summary["crash_after_outputs"] ==
                                               min(trace["params"]["txn_size"],
                                                   trace["params"]["n_inputs"] - trace["params"]["txn_size"])
                                               else "broker")


def test_checkers_pass_on_the_default_trace() -> None:
    check_all(fresh_default())


# ---------------------------------------------------------------- the checkers catch corrupted traces and planted bugs
def _corrupt_duplicate_seq(trace: dict[str, Any]) -> None:
    trace["steps"][-1]["logs"]["out"][1]["seq"] = 0


def _corrupt_rc_reads_aborted(trace: dict[str, Any]) -> None:
    trace["steps"][-1]["rc_delivered"] = [0, 1, 3, 4, 6, 7]


def _corrupt_lso(trace: dict[str, Any]) -> None:
    step = next(s for s in trace["steps"] if s["lso"] < s["hw"])
    step["lso"] = step["hw"]


def _corrupt_offset_gap(trace: dict[str, Any]) -> None:
    trace["steps"][-1]["logs"]["out"][4]["offset"] = 5


def _corrupt_committed_offset(trace: dict[str, Any]) -> None:
    step = next(s for s in trace["steps"] if s["event"] == "end_txn")
    step["committed_offset"] = 2


def _corrupt_stale_append(trace: dict[str, Any]) -> None:
    step = [s for s in trace["steps"] if s["event"] == "append" and s["chapter"] == "txn"][-1]
    step["entry"] = {**step["entry"], "epoch": 0}


def _corrupt_zombie_write(trace: dict[str, Any]) -> None:
    step = next(s for s in trace["steps"] if s["event"] == "fenced")
    step["event"] = "send"


def _corrupt_summary(trace: dict[str, Any]) -> None:
    trace["summary"]["duplicates"]["txn_ru"] = 0


CORRUPTIONS = {
    "1 idempotence": _corrupt_duplicate_seq,
    "4 readers": _corrupt_rc_reads_aborted,
    "5 lso": _corrupt_lso,
    "3 logs and markers": _corrupt_offset_gap,
    "6 end to end": _corrupt_committed_offset,
    "7 fencing": _corrupt_stale_append,
    "2 duplicates": _corrupt_summary,
}


@pytest.mark.parametrize("label", list(CORRUPTIONS))
def test_each_checker_rejects_its_corruption(label: str) -> None:
    trace = fresh_default()
    CORRUPTIONS[label](trace)
    with pytest.raises(AssertionError):
        INVARIANTS[label](trace)


def test_fencing_checker_rejects_a_zombie_that_is_not_fenced() -> None:
    trace = fresh_default()
    _corrupt_zombie_write(trace)
    with pytest.raises(AssertionError):
        check_fencing(trace)


def _no_duplicate_check(known: dict[str, Any] | None, epoch: int, seq: int) -> str:
    return "fenced" if known is not None and epoch < known["epoch"] else "append"


@pytest.mark.parametrize("name, bug", [
    ("check_sequence", _no_duplicate_check),
    ("last_stable_offset", lambda log: len(log)),
    ("read_committed", lambda log, pos, lso: [e["offset"] for e in log[pos:lso] if e["kind"] == "data"]),
])
def test_planted_bugs_are_caught(monkeypatch: pytest.MonkeyPatch, name: str, bug: Callable[..., Any]) -> None:
    monkeypatch.setattr(eos, name, bug)
    with pytest.raises(AssertionError):
        check_all(run(7))


def test_planted_bug_lso_off_by_one_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = eos.last_stable_offset
    monkeypatch.setattr(eos, "last_stable_offset", lambda log: min(len(log), real(log) + 1))
    with pytest.raises(AssertionError):
        check_all(run(7))


# ---------------------------------------------------------------- rules on their own
def test_check_sequence_rules() -> None:
    known = {"epoch": 1, "last_seq": 3, "offset": 9}
    assert eos.check_sequence(None, 0, 0) == "append"
    assert eos.check_sequence(None, 0, 2) == "out_of_order"
    assert eos.check_sequence(known, 1, 4) == "append"
    assert eos.check_sequence(known, 1, 3) == "duplicate"
    assert eos.check_sequence(known, 1, 0) == "duplicate"
    assert eos.check_sequence(known, 1, 5) == "out_of_order"
    assert eos.check_sequence(known, 0, 4) == "fenced"
    assert eos.check_sequence(known, 2, 0) == "append"
    assert eos.check_sequence(known, 2, 4) == "out_of_order"


def test_produce_appends_dedups_refuses_and_fences() -> None:
    logs: dict[str, list[dict[str, Any]]] = {"p": []}
    dedup: dict[str, dict[str, Any]] = {}
    first = eos.new_entry("data", "x", pid=7, epoch=0, seq=0)
    assert eos.produce(logs, dedup, "p", first) == ("append", 0, 0)
    assert dedup == {"7/p": {"epoch": 0, "last_seq": 0, "offset": 0}}
    assert eos.produce(logs, dedup, "p", first) == ("duplicate", 0, 0)
    assert eos.produce(logs, dedup, "p", eos.new_entry("data", "z", pid=7, epoch=0, seq=2)).outcome == "out_of_order"
    plain = eos.new_entry("data", "x")
    assert eos.produce(logs, dedup, "p", plain).offset == 1 and eos.produce(logs, dedup, "p", plain).offset == 2
    assert [e["offset"] for e in logs["p"]] == [0, 1, 2] and first["offset"] is None
    marker = eos.write_marker(logs, dedup, "p", "abort", 7, 1, 4)
    assert marker["offset"] == 3 and marker["kind"] == "abort" and marker["seq"] is None
    assert dedup["7/p"] == {"epoch": 1, "last_seq": -1, "offset": None}
    result = eos.produce(logs, dedup, "p", eos.new_entry("data", "y", pid=7, epoch=0, seq=1))
    assert result == ("fenced", None, 1) and len(logs["p"]) == 4
    assert eos.produce(logs, dedup, "p", eos.new_entry("data", "y", pid=7, epoch=1, seq=0)) == ("append", 4, 1)
    eos.write_marker(logs, dedup, "p", "commit", 7, 1, 5)
    assert dedup["7/p"]["last_seq"] == 0, "a marker of the same epoch keeps the sequence"


def test_coordinator_rules() -> None:
    coord = eos.new_coordinator()
    assert eos.init_producer_id(coord, 42) == [] and (coord["pid"], coord["epoch"]) == (42, 0)
    assert eos.add_partition(coord, "out", 0, 1) and coord["state"] == "Ongoing"
    assert eos.add_partition(coord, "offsets", 0, 1) and eos.add_partition(coord, "out", 0, 1)
    assert coord["partitions"] == ["out", "offsets"] and coord["txn"] == 1
    assert eos.end_txn(coord, 0, commit=True) and coord["state"] == "PrepareCommit"
    eos.complete_txn(coord)
    assert coord["state"] == "CompleteCommit" and coord["partitions"] == []
    assert eos.init_producer_id(coord, 99) == [] and coord["epoch"] == 1 and coord["pid"] == 42
    assert not eos.add_partition(coord, "out", 0, 2), "a stale epoch is fenced"
    assert eos.add_partition(coord, "out", 1, 2)
    assert eos.init_producer_id(coord, 42) == ["out"] and coord["state"] == "PrepareAbort" and coord["epoch"] == 2
    assert not eos.end_txn(coord, 1, commit=True)
    eos.complete_txn(coord)
    assert coord["state"] == "CompleteAbort"


def _log(*specs: tuple[str, int | None]) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = []
    for kind, txn in specs:
        eos.append_entry(log, eos.new_entry(kind, "v" if kind == "data" else None, txn=txn))
    return log


def test_last_stable_offset_and_readers() -> None:
    log = _log(("data", 1), ("data", 1), ("commit", 1), ("data", 2), ("data", None), ("data", 3), ("abort", 2))
    assert eos.last_stable_offset(log) == 5, "T2 has its marker, T3 is open from offset 5"
    assert eos.last_stable_offset(log[:5]) == 3
    assert eos.last_stable_offset(log[:3]) == 3 and eos.last_stable_offset([]) == 0
    assert eos.read_committed(log, 0, 5) == [0, 1, 4]
    assert eos.read_uncommitted(log, 0, 7) == [0, 1, 3, 4, 5]
    assert eos.read_uncommitted(log, 2, 4) == [3]


def test_count_duplicates_and_dollars() -> None:
    entries = [eos.new_entry("data", "a"), eos.new_entry("data", "a"), eos.new_entry("commit"),
               eos.new_entry("data", "o1", src=1), eos.new_entry("data", "other", src=1),
               eos.new_entry("data", "o2", src=2)]
    assert eos.count_duplicates(entries) == 2
    assert eos.dollars("pay-2 $20") == 20
    with pytest.raises(ValueError):
        eos.dollars("pay-2")


# ---------------------------------------------------------------- the storyboard's hand-computed reference
def table(log: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(e["offset"], e["kind"], e["value"], e["pid"], e["epoch"], e["seq"], e["txn"], e["src"]) for e in log]


def test_reference_trace_by_hand() -> None:
    trace = run(0, {"lost_ack_index": 1, "crash_after_outputs": 2, "n_inputs": 4, "txn_size": 2})
    logs = final_logs(trace)
    assert [(e["value"], e["offset"]) for e in logs["dup"]] == [("pay-1 $5", 0), ("pay-2 $20", 1),
                                                                ("pay-2 $20", 2), ("pay-3 $8", 3)]
    assert [(e["value"], e["offset"], e["seq"]) for e in logs["idem"]] == [("pay-1 $5", 0, 0), ("pay-2 $20", 1, 1),
                                                                           ("pay-3 $8", 2, 2)]
    resend = next(s for s in trace["steps"] if s["chapter"] == "idem" and s["event"] == "duplicate")
    assert resend["entry"]["seq"] == 1 and resend["detail"]["offset"] == 1
    assert resend["dedup"]["1000/idem"] == {"epoch": 0, "last_seq": 1, "offset": 1}
    answer = trace["steps"][trace["steps"].index(resend) + 1]
    assert answer["event"] == "answer" and answer["detail"]["offset"] == 1
    assert [(e["value"], e["offset"], e["pid"], e["seq"]) for e in logs["out_plain"]] == [
        ("o0", 0, 1000, 0), ("o1", 1, 1000, 1), ("o0", 2, 1001, 0), ("o1", 3, 1001, 1)]
    pid = 1002
    assert table(logs["out"]) == [
        (0, "data", "o0", pid, 0, 0, 1, 0), (1, "data", "o1", pid, 0, 1, 1, 1), (2, "commit", None, pid, 0, None, 1, None),
        (3, "data", "o2", pid, 0, 2, 2, 2), (4, "data", "o3", pid, 0, 3, 2, 3), (5, "abort", None, pid, 1, None, 2, None),
        (6, "data", "o2", pid, 1, 0, 3, 2), (7, "data", "o3", pid, 1, 1, 3, 3), (8, "commit", None, pid, 1, None, 3, None)]
    summary = trace["summary"]
    assert summary["ru_delivered"] == [0, 1, 3, 4, 6, 7] and summary["ru_values"] == ["o0", "o1", "o2", "o3", "o2", "o3"]
    assert summary["rc_delivered"] == [0, 1, 6, 7] and summary["rc_values"] == ["o0", "o1", "o2", "o3"]
    assert summary["duplicates"] == {"dup": 1, "idem": 0, "reprocess": 2, "txn_rc": 0, "txn_ru": 2}
    assert summary["final_committed_offset"] == 4
    assert (summary["charged_total"], summary["intended_total"]) == (53, 33)
    # lso 3 while T2 is open (RC stuck though 3 and 4 exist), 6 while T3 is open, 9 at the end
    txn_steps = [s for s in trace["steps"] if s["chapter"] == "txn"]
    t2_open = [s for s in txn_steps if any(e["txn"] == 2 for e in s["logs"]["out"])
               and not any(e["kind"] == "abort" for e in s["logs"]["out"])]
    assert {s["lso"] for s in t2_open} == {3} and max(s["hw"] for s in t2_open) == 5
    assert any(s["event"] == "poll_rc" and s["hw"] == 5 and s["detail"]["upto"] == 3 for s in t2_open)
    t3_open = [s for s in txn_steps if any(e["txn"] == 3 for e in s["logs"]["out"])
               and not any(e["kind"] == "commit" and e["txn"] == 3 for e in s["logs"]["out"])]
    assert {s["lso"] for s in t3_open} == {6}
    assert trace["steps"][-1]["lso"] == trace["steps"][-1]["hw"] == 9
    # committed offset 0, then 2 with T1's commit, then 4 with T3's commit
    changes = [(s["committed_offset"], s["entry"]["txn"]) for i, s in enumerate(trace["steps"])
               if i and s["committed_offset"] != trace["steps"][i - 1]["committed_offset"]]
    assert trace["steps"][0]["committed_offset"] == 0 and changes == [(2, 1), (4, 3)]
    # A's attempt after the bump carries epoch 0 and is fenced; nothing is appended
    fenced = next(s for s in trace["steps"] if s["event"] == "fenced")
    assert fenced["actor"] == "A" and fenced["entry"]["epoch"] == 0 and fenced["entry"]["offset"] is None
    assert fenced["detail"]["current_epoch"] == 1
    assert summary["fencing"]["aborted_txn"] == 2 and summary["fencing"]["abort_offset"] == 5


def test_zombie_with_outputs_left_is_fenced_by_the_broker() -> None:
    trace = run(0, {"crash_after_outputs": 1})
    fenced = next(s for s in trace["steps"] if s["event"] == "fenced")
    assert fenced["detail"]["by"] == "broker" and fenced["entry"]["value"] == "o3"
    assert (fenced["entry"]["epoch"], fenced["entry"]["seq"]) == (0, 3)
    out = trace["steps"][-1]["logs"]["out"]
    assert [(e["kind"], e["value"], e["txn"]) for e in out][3:5] == [("data", "o2", 2), ("abort", None, 2)]


# ---------------------------------------------------------------- the catalog's story
def test_catalog_story() -> None:
    entry = load_catalog().get(eos.ID)
    params = {p.name: p.default for p in eos.PARAMS}
    assert dict(entry.params) == params, "catalog params equal the simulator's defaults"
    trace = run(entry.seed, dict(entry.params))
    check_all(trace)
    summary, steps = trace["summary"], trace["steps"]
    assert summary["duplicates"] == {"dup": 1, "idem": 0, "reprocess": 2, "txn_rc": 0, "txn_ru": 2}
    assert (summary["charged_total"], summary["intended_total"]) == (53, 33)
    assert summary["dup_resend"] == {"value": "pay-2 $20", "first_offset": 1, "second_offset": 2}
    assert summary["idem_resend"] == {"value": "pay-2 $20", "seq": 1, "outcome": "duplicate", "offset": 1,
                                      "t": summary["idem_resend"]["t"]}
    assert summary["rc_values"] == ["o0", "o1", "o2", "o3"]
    assert summary["ru_values"] == ["o0", "o1", "o2", "o3", "o2", "o3"]
    assert any(w["txn"] == 2 and w["lso"] == 3 and w["hw"] == 5 for w in summary["rc_waits"]), \
        "the flashback beat needs an RC poll stuck at the LSO while T2 is open"
    chapters = trace["chapters"]
    assert list(chapters) == ["dup", "idem", "reprocess", "txn"]
    assert [t["outcome"] for t in trace["txns"]] == ["commit", "abort", "commit"]
    assert [t["instance"] for t in trace["txns"]] == ["A", "A", "B"]
    events = [s["event"] for s in steps]
    for name in ("answer_lost", "resend", "duplicate", "crash", "stall", "fenced", "marker", "poll_rc"):
        assert name in events
    assert 60 <= steps[-1]["t"] <= 100, "about 70-85 ticks"
    assert len(default_run()) < 1_000_000


# ---------------------------------------------------------------- determinism, isolation, parameters
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    params = {"lost_ack_index": None, "crash_after_outputs": None, "poll_every": [1, 4], "n_inputs": 7}
    code = ("import sys; from sims.exactly_once_semantics import simulate; "
            f"sys.stdout.write(simulate(11, **{params!r}).to_json())")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second == eos.simulate(11, **params).to_json().encode()
    assert eos.simulate(12, **params).to_json() != first.decode()


def test_import_does_not_pull_manim() -> None:
    code = "import sys, sims.exactly_once_semantics; print('manim' in sys.modules or 'scipy' in sys.modules)"
    assert _in_subprocess(code, "0").strip() == b"False"


def test_nullable_params_parse_from_the_command_line() -> None:
    spec = {p.name: p for p in eos.PARAMS}
    assert parse_value(spec["lost_ack_index"], "null") is None
    assert parse_value(spec["lost_ack_index"], "2") == 2
    assert parse_value(spec["crash_after_outputs"], "1") == 1
    with pytest.raises(ParamError) as err:
        parse_value(spec["lost_ack_index"], "two")
    assert err.value.field == "lost_ack_index"


@pytest.mark.parametrize("params, field", [
    ({"bogus": 1}, "bogus"),
    ({"n_inputs": 1}, "n_inputs"), ({"n_inputs": 9}, "n_inputs"), ({"n_inputs": 4.0}, "n_inputs"),
    ({"txn_size": 0}, "txn_size"), ({"txn_size": 7}, "txn_size"),
    ({"producer_id": -1}, "producer_id"), ({"producer_id": 1_000_001}, "producer_id"),
    ({"request_timeout": 2}, "request_timeout"), ({"request_timeout": 11}, "request_timeout"),
    ({"stall_ticks": 3}, "stall_ticks"), ({"stall_ticks": 21}, "stall_ticks"),
    ({"lost_ack_index": -1}, "lost_ack_index"), ({"lost_ack_index": 6}, "lost_ack_index"),
    ({"lost_ack_index": 1.0}, "lost_ack_index"), ({"lost_ack_index": True}, "lost_ack_index"),
    ({"crash_after_outputs": 0}, "crash_after_outputs"), ({"crash_after_outputs": 7}, "crash_after_outputs"),
    ({"poll_every": [0, 2]}, "poll_every"), ({"poll_every": [1, 7]}, "poll_every"),
    ({"poll_every": [2, 1]}, "poll_every"), ({"poll_every": [1]}, "poll_every"),
    ({"dup_records": []}, "dup_records"), ({"dup_records": [f"p{i} $1" for i in range(7)]}, "dup_records"),
    ({"dup_records": ["pay-1"]}, "dup_records"), ({"dup_records": ["a $1", "a $1"]}, "dup_records"),
    ({"dup_records": "pay-1 $5"}, "dup_records"),
    # cross-field checks
    ({"n_inputs": 4, "txn_size": 4}, "txn_size"),
    ({"dup_records": ["a $1", "b $2"], "lost_ack_index": 2}, "lost_ack_index"),
    ({"n_inputs": 3, "txn_size": 2, "crash_after_outputs": 2}, "crash_after_outputs"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        eos.simulate(0, **params)
    assert err.value.field == field


def test_negative_seed_is_a_param_error() -> None:
    with pytest.raises(ParamError) as err:
        eos.simulate(-1)
    assert err.value.field == "seed"


# ---------------------------------------------------------------- the scene's questions
def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py)."""
    idem = [st for st in trace["steps"] if st["chapter"] == "idem"]
    resend = next(st for st in idem if st["event"] == "resend")
    after = next(st for st in idem if st["t"] > resend["t"] and st["actor"] == "broker")
    first = after["detail"]["offset"] if after["event"] == "duplicate" else None
    bounced = f"it answers offset {first} and appends nothing" if first is not None else "it appends it again"
    aborted = any(st["event"] == "marker" and st["entry"]["kind"] == "abort" for st in trace["steps"])
    out = [e for e in trace["steps"][-1]["logs"]["out"] if e["kind"] == "data"]
    values = [e["value"] for e in out]
    twice = any(values.count(v) > 1 for v in values)
    return [bounced, "it is aborted" if aborted else "it commits", "RU (read_uncommitted)" if twice else "neither"]


def test_checkpoint_answers_of_the_catalog_story() -> None:
    entry = load_catalog().get(eos.ID)
    trace = json.loads(eos.simulate(entry.seed, **dict(entry.params)).to_json())
    assert checkpoint_answers(trace) == ["it answers offset 1 and appends nothing", "it is aborted",
                                         "RU (read_uncommitted)"]
