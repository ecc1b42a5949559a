"""Write-ahead log: a steal / no-force buffer pool with ARIES-style crash recovery, on a few bank accounts.

Model
-----
Each account lives on its own page. Memory holds the buffer pool (page -> value, page_lsn, dirty) and the tail of
the log that is not yet flushed; disk holds the pages (value, page_lsn) and the flushed prefix of the log (up to
``flushed_lsn``). A transfer is a transaction: BEGIN, an UPDATE of the source page, an UPDATE of the target page
(each record keeps the before and after value), COMMIT. Two rules: before a page goes to disk the log is forced up
to the end (the WAL rule), and a commit is acknowledged only once its COMMIT record is on disk (one fsync, costing
``fsync_ms``). Pages go to disk whenever the buffer likes, committed or not (steal), and commit does not write them
(no-force). A sharp checkpoint flushes the log, writes every dirty page, appends CHECKPOINT with the active
transactions (those without a COMMIT record), flushes again and cuts the log below the checkpoint or the first
record of a still active transaction. A crash loses the buffer pool and the unflushed tail. Recovery reads the disk
alone: analysis scans from the last checkpoint (or the log start) and sorts transactions into winners (COMMIT on
disk) and losers (neither COMMIT nor END); redo repeats every UPDATE and CLR whose page is older than the record;
undo rolls the losers back newest first, one CLR per undone update and an END per loser; then the log and the pages
are flushed. Time is integer ticks, one event per tick. ``mode="story"`` runs the storyboard's two-transfer story
twice (``plain``, and ``checkpointed`` with a checkpoint after the first commit); ``mode="random"`` runs seeded
transfers, concurrent ones on disjoint accounts, with background page writes, one checkpoint and one crash.

Invariants
----------
1. LSNs strictly increase in append order and the LSN counter survives the crash, so the lost tail's LSNs are skipped; each record's ``prev_lsn`` is the previous surviving record of the same transaction.
2. WAL rule: at every ``page_write``, the page's ``page_lsn <= flushed_lsn``.
3. Every ``ack`` comes after a step where ``flushed_lsn`` reached that transaction's COMMIT lsn.
4. After recovery, ``recovered == expected``: exactly the transactions whose COMMIT reached disk are applied, and every acknowledged transaction is among them.
5. Recovery is idempotent: crashing again during or right after recovery and recovering gives the same disk.
6. The balances after recovery sum to the initial total.
7. Truncation is safe: the same seed and parameters with ``truncate=false`` recover to the same disk.
8. Redo skips exactly the records whose disk page already had ``page_lsn >= lsn``.

Leaves out
----------
Real databases keep many rows per page, write log records in buffered blocks and group several commits into
one fsync. Their checkpoints are fuzzy: they do not stop to write every dirty page but record which pages are
dirty, so recovery's redo may start before the checkpoint. Locks, torn pages, media failure and a crash in the
middle of a checkpoint are not modelled.

Trace
-----
``steps`` hold every run back to back; each step has ``run`` (plain | checkpointed in story mode, random), ``t``
(tick within the run), ``phase`` (normal | crash | analysis | redo | undo | done), ``event`` (begin | update |
commit | fsync | ack | page_write | wal_force | checkpoint | truncate | crash | classify | redo_apply | redo_skip |
undo | end), ``txn``, ``lsn`` and ``page`` (null when not relevant), ``detail`` (a classify's ``class``, an undo's
``undoes`` lsn, a crash's ``lost_tail``, a page write's ``reason``, a truncate's ``applied``; its ``lsn`` is the cut point), then the state after the event: ``log``
(records {lsn, txn, type, page, before, after, prev_lsn, undo_next, active, on_disk}; after a crash only the flushed
ones, after a truncation only those at or above ``truncated_below``), ``flushed_lsn``, ``truncated_below``,
``next_lsn`` (the LSN counter, which survives a crash), ``buffer`` (page -> {value, page_lsn, dirty}; empty right
after a crash), ``disk`` (page -> {value, page_lsn}), ``txns`` (txn -> active | committed | loser | undone),
``acked``, ``fsync_count`` and ``commit_latency_ms`` (what the last acknowledged commit waited for its fsync, null
before). ``summary`` maps each run to: ``expected``, ``recovered``, ``initial``, ``initial_total``,
``disk_at_crash`` and ``disk_total_at_crash``, ``winners``, ``losers``, ``redo_start``, ``redo_applied``,
``redo_skipped``, ``undone`` (the UPDATE lsns rolled back), ``clrs``, ``ends``, ``lost_tail``, ``acked``,
``fsync_count`` and ``truncated_below`` at the crash, ``checkpoint_lsn``, ``crash_t``, ``commit_latency_ms`` per
acknowledged txn. Extras: ``runs`` (run -> first and last step index), ``transfers`` (run -> [{txn, from, to,
amount}]), ``amounts`` (the story's two amounts, null in random mode).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "EVENTS", "PHASES", "Db", "check_params", "simulate", "new_db", "restore", "append_record",
    "begin", "update", "commit", "flush_log", "write_page", "ack", "checkpoint", "crash", "analyze", "redo",
    "undo", "finish_recovery", "recover", "run_story", "run_random",
]

ID = "write-ahead-log"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {"accounts": {"A": 120, "B": 40}, "amounts": [25, 15], "fsync_ms": 8}
EVENTS = ("begin", "update", "commit", "fsync", "ack", "page_write", "wal_force", "checkpoint", "truncate", "crash",
          "classify", "redo_apply", "redo_skip", "undo", "end")
PHASES = ("normal", "crash", "analysis", "redo", "undo", "done")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,7}$")

Record = dict[str, Any]


# ---------------------------------------------------------------- parameters
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _from_text(value: Any) -> Any:
    """A command-line string is read as JSON (``null``, ``12``, ``[30, 20]``); other values pass unchanged."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(f"expected JSON (a value or null), got {value!r}") from None
    return value


def _optional_tick(low: int) -> Callable[[Any], int | None]:
    def check(value: Any) -> int | None:
        value = _from_text(value)
        if value is None:
            return None
        if not _is_int(value) or not low <= value <= 1000:
            raise ValueError(f"expected null or a tick in [{low}, 1000], got {value!r}")
        return value
    return check


def _check_amounts(value: Any) -> list[int] | None:
    value = _from_text(value)
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(_is_int(v) and 1 <= v <= 10_000 for v in value)):
        raise ValueError(f"expected null or [T1 amount, T2 amount], integers in [1, 10000], got {value!r}")
    if value[0] == value[1]:
        raise ValueError(f"the two amounts must differ (else the disk's total at the crash looks right), got {value!r}")
    return [value[0], value[1]]


def _check_accounts(value: Any) -> dict[str, int]:
    if not 2 <= len(value) <= 6:
        raise ValueError(f"expected 2 to 6 accounts, got {len(value)}")
    for name, balance in value.items():
        if not (isinstance(name, str) and _NAME.match(name)):
            raise ValueError(f"account names are 1 to 8 letters, digits or _ starting with a letter, got {name!r}")
        if not (_is_int(balance) and 0 <= balance <= 100_000):
            raise ValueError(f"balance of {name} must be an integer in [0, 100000], got {balance!r}")
    return dict(value)


def _check_mode(value: str) -> str:
    if value not in ("story", "random"):
        raise ValueError(f"expected \"story\" or \"random\", got {value!r}")
    return value


PARAMS: tuple[Param, ...] = (
    Param("mode", str, "story", help="story: the storyboard's two transfers; random: seeded transfers",
          validate=_check_mode),
    Param("accounts", dict, {"A": 100, "B": 50}, help="page -> initial balance (story mode uses the first two "
          "names in sorted order)", validate=_check_accounts),
    Param("amounts", object, None, help="story mode: [T1 amount, T2 amount] (null: the seed picks)",
          validate=_check_amounts),
    Param("n_txns", int, 6, 1, 12, "random mode: transfers"),
    Param("max_concurrent", int, 2, 1, 3, "random mode: transfers open at once (on disjoint accounts)"),
    Param("flush_prob", float, 0.25, 0.0, 1.0, "random mode: chance per tick of a background page write"),
    Param("checkpoint_at", object, None, help="random mode: tick of the checkpoint (null: the seed picks; "
          "at or after the crash: none)", validate=_optional_tick(0)),
    Param("crash_at", object, None, help="random mode: tick of the crash (null: the seed picks; after the "
          "last transfer: at the end)", validate=_optional_tick(1)),
    Param("truncate", bool, True, help="cut the log below the checkpoint"),
    Param("fsync_ms", int, 5, 0, 1000, "cost of one log fsync, shown per commit"),
)


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks; raise :class:`ParamError` naming the field at fault. A time or amount that the
    chosen mode would ignore is an error rather than a silent no-op."""
    if p["mode"] == "random" and p["amounts"] is not None:
        raise ParamError("amounts", "only story mode uses amounts (random mode draws them); set it to null")
    for name in ("checkpoint_at", "crash_at"):
        if p["mode"] == "story" and p[name] is not None:
            raise ParamError(name, "only random mode uses it (the story fixes its checkpoint and crash); "
                             "set it to null")


# ---------------------------------------------------------------- the database
@dataclass
class Db:
    """Memory (buffer pool, log tail), disk (pages, flushed log) and the recorded steps of one run."""

    run: str
    fsync_ms: int
    disk: dict[str, dict[str, Any]]
    buffer: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[Record] = field(default_factory=list)
    flushed_lsn: int = 0
    next_lsn: int = 1
    truncated_below: int = 1
    txns: dict[str, str] = field(default_factory=dict)
    last_lsn: dict[str, int] = field(default_factory=dict)
    first_lsn: dict[str, int] = field(default_factory=dict)
    acked: list[str] = field(default_factory=list)
    latency: dict[str, int] = field(default_factory=dict)
    commit_lsn: dict[str, int] = field(default_factory=dict)
    fsync_count: int = 0
    commit_latency_ms: int | None = None
    t: int = 0
    phase: str = "normal"
    steps: list[dict[str, Any]] = field(default_factory=list)


def new_db(run: str, accounts: dict[str, int], fsync_ms: int) -> Db:
    """Every page on disk at page_lsn 0 and cached clean in the buffer pool."""
    disk = {page: {"value": balance, "page_lsn": 0} for page, balance in sorted(accounts.items())}
    buffer = {page: {**cell, "dirty": False} for page, cell in disk.items()}
    return Db(run=run, fsync_ms=fsync_ms, disk=disk, buffer=buffer)


def restore(step: dict[str, Any], fsync_ms: int = 0) -> Db:
    """A database holding only what a trace step has on disk (pages and flushed log), memory empty."""
    log = [{k: v for k, v in r.items() if k != "on_disk"} for r in step["log"] if r["on_disk"]]
    db = Db(run="restored", fsync_ms=fsync_ms, disk={p: dict(c) for p, c in step["disk"].items()}, log=log,
            flushed_lsn=step["flushed_lsn"], next_lsn=step["next_lsn"], truncated_below=step["truncated_below"])
    db.txns = {txn: status for txn, status in step["txns"].items()}
    return db


def emit(db: Db, event: str, txn: str | None = None, lsn: int | None = None, page: str | None = None,
         detail: dict[str, Any] | None = None) -> None:
    """Record one step (one tick) with the full state after ``event``."""
    db.t += 1
    db.steps.append({
        "run": db.run, "t": db.t, "phase": db.phase, "event": event, "txn": txn, "lsn": lsn, "page": page,
        "detail": detail or {},
        "log": [{**r, "on_disk": r["lsn"] <= db.flushed_lsn} for r in db.log],
        "flushed_lsn": db.flushed_lsn, "truncated_below": db.truncated_below, "next_lsn": db.next_lsn,
        "buffer": {p: dict(c) for p, c in sorted(db.buffer.items())},
        "disk": {p: dict(c) for p, c in db.disk.items()},
        "txns": dict(db.txns), "acked": list(db.acked), "fsync_count": db.fsync_count,
        "commit_latency_ms": db.commit_latency_ms,
    })


# ---------------------------------------------------------------- normal operation
def append_record(db: Db, txn: str | None, kind: str, page: str | None = None, before: int | None = None,
                  after: int | None = None, undo_next: int | None = None,
                  active: dict[str, int] | None = None) -> Record:
    """Append a record to the in-memory log tail; ``prev_lsn`` chains the transaction's records."""
    record = {"lsn": db.next_lsn, "txn": txn, "type": kind, "page": page, "before": before, "after": after,
              "prev_lsn": db.last_lsn.get(txn) if txn is not None else None, "undo_next": undo_next,
              "active": active}
    db.next_lsn += 1
    db.log.append(record)
    if txn is not None:
        db.last_lsn[txn] = record["lsn"]
        db.first_lsn.setdefault(txn, record["lsn"])
    return record


def _page(db: Db, page: str) -> dict[str, Any]:
    """The buffer pool's copy of ``page``, read from disk if it is not cached."""
    if page not in db.buffer:
        db.buffer[page] = {**db.disk[page], "dirty": False}
    return db.buffer[page]


def begin(db: Db, txn: str) -> None:
    db.txns[txn] = "active"
    record = append_record(db, txn, "BEGIN")
    emit(db, "begin", txn, record["lsn"])


def update(db: Db, txn: str, page: str, delta: int) -> None:
    """Log the change first (before and after image), then change the page in memory."""
    cell = _page(db, page)
    record = append_record(db, txn, "UPDATE", page, cell["value"], cell["value"] + delta)
    cell.update(value=record["after"], page_lsn=record["lsn"], dirty=True)
    emit(db, "update", txn, record["lsn"], page)


def commit(db: Db, txn: str) -> int:
    """Append COMMIT (in memory); the commit is not acknowledged yet. Returns its lsn."""
    record = append_record(db, txn, "COMMIT")
    db.commit_lsn[txn] = record["lsn"]
    emit(db, "commit", txn, record["lsn"])
    return record["lsn"]


def flush_log(db: Db, event: str = "fsync", txn: str | None = None, page: str | None = None) -> bool:
    """Force the log tail to disk (one fsync); False when nothing was waiting."""
    if not db.log or db.log[-1]["lsn"] <= db.flushed_lsn:
        return False
    db.flushed_lsn = db.log[-1]["lsn"]
    db.fsync_count += 1
    emit(db, event, txn, db.flushed_lsn, page)
    return True


def write_page(db: Db, page: str, reason: str) -> None:
    """Write a page to disk, forcing the log up to its page_lsn first (the WAL rule)."""
    cell = db.buffer[page]
    if cell["page_lsn"] > db.flushed_lsn:
        flush_log(db, "wal_force", page=page)
    db.disk[page] = {"value": cell["value"], "page_lsn": cell["page_lsn"]}
    cell["dirty"] = False
    emit(db, "page_write", None, cell["page_lsn"], page, {"reason": reason})


def ack(db: Db, txn: str, commit_lsn: int) -> None:
    """Acknowledge a commit whose COMMIT record is on disk."""
    if db.flushed_lsn < commit_lsn:
        raise RuntimeError(f"{txn} acknowledged before its COMMIT {commit_lsn} was flushed")
    db.acked.append(txn)
    db.txns[txn] = "committed"
    db.commit_latency_ms = db.latency.get(txn, 0)
    emit(db, "ack", txn, commit_lsn)


def commit_and_ack(db: Db, txn: str) -> None:
    """COMMIT, its fsync, the acknowledgement: three ticks."""
    lsn = commit(db, txn)
    if flush_log(db, "fsync", txn):
        db.latency[txn] = db.fsync_ms
    ack(db, txn, lsn)


def checkpoint(db: Db, truncate: bool) -> None:
    """Sharp checkpoint: flush the log, write every dirty page, append CHECKPOINT, flush, then cut the log below
    the checkpoint or the first record of a transaction still open. With ``truncate`` false the step still comes
    (same timeline) but keeps the log."""
    flush_log(db, "fsync")
    for page in sorted(p for p, c in db.buffer.items() if c["dirty"]):
        write_page(db, page, "checkpoint")
    active = {txn: db.last_lsn[txn] for txn, status in db.txns.items()
              if status == "active" and txn not in db.commit_lsn}  # a logged COMMIT is flushed just below
    record = append_record(db, None, "CHECKPOINT", active=active)
    emit(db, "checkpoint", None, record["lsn"], detail={"active": active})
    flush_log(db, "fsync")
    cut = min([record["lsn"]] + [db.first_lsn[txn] for txn in active])
    if truncate:
        db.truncated_below = max(db.truncated_below, cut)
        db.log = [r for r in db.log if r["lsn"] >= db.truncated_below]
    emit(db, "truncate", None, cut, detail={"applied": truncate})


def crash(db: Db) -> list[int]:
    """Memory is lost: the buffer pool and the unflushed log tail. Returns the lost lsns."""
    lost = [r["lsn"] for r in db.log if r["lsn"] > db.flushed_lsn]
    db.log = [r for r in db.log if r["lsn"] <= db.flushed_lsn]
    db.buffer, db.last_lsn, db.first_lsn = {}, {}, {}
    db.phase = "crash"
    emit(db, "crash", detail={"lost_tail": lost})
    return lost


# ---------------------------------------------------------------- recovery
def analyze(db: Db) -> dict[str, Any]:
    """Scan from the last checkpoint (or the log start): winners have COMMIT, losers neither COMMIT nor END."""
    db.phase = "analysis"
    checkpoints = [r for r in db.log if r["type"] == "CHECKPOINT"]
    start = checkpoints[-1]["lsn"] if checkpoints else (db.log[0]["lsn"] if db.log else db.flushed_lsn + 1)
    last = dict(checkpoints[-1]["active"]) if checkpoints else {}
    closed: dict[str, str] = {}
    for record in db.log:
        if record["lsn"] < start or record["txn"] is None:
            continue
        last[record["txn"]] = record["lsn"]
        if record["type"] in ("COMMIT", "END"):
            closed[record["txn"]] = record["type"]
    db.last_lsn.update(last)  # the prev_lsn chain goes on from the last surviving record
    winners = [txn for txn in last if closed.get(txn) == "COMMIT"]
    losers = [txn for txn in last if txn not in closed]
    for txn in last:
        kind = "winner" if txn in winners else "loser" if txn in losers else "ended"
        if kind != "ended":
            db.txns[txn] = "committed" if kind == "winner" else "loser"
        emit(db, "classify", txn, last[txn], detail={"class": kind})
    if not last:
        emit(db, "classify", detail={"class": None})
    return {"start": start, "winners": winners, "losers": losers, "last": {t: last[t] for t in losers}}


def redo(db: Db, start: int) -> tuple[list[int], list[int]]:
    """Repeat history: every UPDATE and CLR from ``start`` whose page is older than the record."""
    db.phase = "redo"
    applied, skipped = [], []
    for record in [r for r in db.log if r["lsn"] >= start and r["type"] in ("UPDATE", "CLR")]:
        cell = _page(db, record["page"])
        if cell["page_lsn"] < record["lsn"]:
            cell.update(value=record["after"], page_lsn=record["lsn"], dirty=True)
            applied.append(record["lsn"])
            emit(db, "redo_apply", record["txn"], record["lsn"], record["page"])
        else:
            skipped.append(record["lsn"])
            emit(db, "redo_skip", record["txn"], record["lsn"], record["page"],
                 {"page_lsn": cell["page_lsn"]})
    return applied, skipped


def undo(db: Db, last: dict[str, int]) -> tuple[list[int], list[int], list[int]]:
    """Roll the losers back, newest record first: a CLR per undone UPDATE, an END per loser."""
    db.phase = "undo"
    by_lsn = {r["lsn"]: r for r in db.log}
    todo = dict(last)
    undone, clrs, ends = [], [], []
    while todo:
        txn = max(todo, key=todo.__getitem__)
        record = by_lsn[todo[txn]]
        if record["type"] == "UPDATE":
            cell = _page(db, record["page"])
            clr = append_record(db, txn, "CLR", record["page"], cell["value"], record["before"],
                                undo_next=record["prev_lsn"])
            cell.update(value=record["before"], page_lsn=clr["lsn"], dirty=True)
            undone.append(record["lsn"])
            clrs.append(clr["lsn"])
            emit(db, "undo", txn, clr["lsn"], record["page"], {"undoes": record["lsn"]})
            following = record["prev_lsn"]
        elif record["type"] == "CLR":
            following = record["undo_next"]
        elif record["type"] == "BEGIN":
            following = None
        else:
            following = record["prev_lsn"]
        if following is None:
            end = append_record(db, txn, "END")
            ends.append(end["lsn"])
            db.txns[txn] = "undone"
            del todo[txn]
            emit(db, "end", txn, end["lsn"])
        else:
            todo[txn] = following
    return undone, clrs, ends


def finish_recovery(db: Db) -> None:
    """Flush the log, then write every dirty page."""
    db.phase = "done"
    flush_log(db, "fsync")
    for page in sorted(p for p, c in db.buffer.items() if c["dirty"]):
        write_page(db, page, "recovery")


def recover(db: Db) -> dict[str, Any]:
    """Analysis, redo, undo, flush; returns what each pass did."""
    found = analyze(db)
    applied, skipped = redo(db, found["start"])
    undone, clrs, ends = undo(db, found["last"])
    finish_recovery(db)
    return {"redo_start": found["start"], "winners": found["winners"], "losers": found["losers"],
            "redo_applied": applied, "redo_skipped": skipped, "undone": undone, "clrs": clrs, "ends": ends}


# ---------------------------------------------------------------- runs
def _run_summary(db: Db, initial: dict[str, int], transfers: list[dict[str, Any]], lost: list[int],
                 crash_step: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    durable = {txn for txn, lsn in db.commit_lsn.items() if lsn <= crash_step["flushed_lsn"]}
    expected = dict(initial)
    for transfer in transfers:
        if transfer["txn"] in durable:
            expected[transfer["from"]] -= transfer["amount"]
            expected[transfer["to"]] += transfer["amount"]
    checkpoints = [r["lsn"] for s in db.steps if s["event"] == "checkpoint" for r in s["log"]
                   if r["type"] == "CHECKPOINT"]
    return {
        "initial": dict(initial), "initial_total": sum(initial.values()), "expected": expected,
        "recovered": {page: cell["value"] for page, cell in db.disk.items()},
        "disk_at_crash": crash_step["disk"],
        "disk_total_at_crash": sum(c["value"] for c in crash_step["disk"].values()),
        **found, "lost_tail": lost, "acked": list(crash_step["acked"]), "fsync_count": crash_step["fsync_count"],
        "truncated_below": crash_step["truncated_below"], "checkpoint_lsn": checkpoints[-1] if checkpoints else None,
        "crash_t": crash_step["t"], "commit_latency_ms": {txn: db.latency.get(txn, 0) for txn in crash_step["acked"]},
    }


def _crash_and_recover(db: Db, initial: dict[str, int], transfers: list[dict[str, Any]]) -> dict[str, Any]:
    lost = crash(db)
    crash_step = db.steps[-1]
    found = recover(db)
    return _run_summary(db, initial, transfers, lost, crash_step, found)


def run_story(run: str, accounts: dict[str, int], amounts: list[int], p: dict[str, Any]) -> tuple[Db, dict, list]:
    """T1 moves amounts[0] from the first account to the second and commits; T2 moves amounts[1] back, its first
    page is written early (steal) and the crash comes before T2 commits. ``checkpointed`` adds a checkpoint
    after T1's acknowledgement."""
    first, second = sorted(accounts)[:2]
    db = new_db(run, accounts, p["fsync_ms"])
    transfers = [{"txn": "T1", "from": first, "to": second, "amount": amounts[0]},
                 {"txn": "T2", "from": second, "to": first, "amount": amounts[1]}]
    begin(db, "T1")
    update(db, "T1", first, -amounts[0])
    update(db, "T1", second, amounts[0])
    commit_and_ack(db, "T1")
    if run == "checkpointed":
        checkpoint(db, p["truncate"])
    begin(db, "T2")
    update(db, "T2", second, -amounts[1])
    write_page(db, second, "evict")
    update(db, "T2", first, amounts[1])
    return db, _crash_and_recover(db, dict(accounts), transfers), transfers


def run_random(rng: np.random.Generator, accounts: dict[str, int], p: dict[str, Any]) -> tuple[Db, dict, list]:
    """Seeded transfers, interleaved one event per tick, with background page writes, a checkpoint and a crash."""
    db = new_db("random", accounts, p["fsync_ms"])
    crash_at = p["crash_at"] if p["crash_at"] is not None else int(rng.integers(1, 6 * p["n_txns"] + 3))
    checkpoint_at = p["checkpoint_at"] if p["checkpoint_at"] is not None else int(rng.integers(1, crash_at + 1))
    pages = sorted(accounts)
    pending, number, checkpointed = p["n_txns"], 0, False
    active: list[dict[str, Any]] = []
    transfers: list[dict[str, Any]] = []
    while True:
        tick = db.t + 1
        if tick >= crash_at or (pending == 0 and not active):
            break
        if not checkpointed and tick >= checkpoint_at:
            checkpoint(db, p["truncate"])
            checkpointed = True
            continue
        dirty = [page for page in pages if page in db.buffer and db.buffer[page]["dirty"]]
        if rng.random() < p["flush_prob"] and dirty:
            write_page(db, dirty[int(rng.integers(0, len(dirty)))], "background")
            continue
        busy = {page for txn in active for page in (txn["from"], txn["to"])}
        free = [page for page in pages if page not in busy]
        choices = list(range(len(active)))
        if pending and len(active) < p["max_concurrent"] and len(free) >= 2:
            choices.append(-1)
        choice = choices[int(rng.integers(0, len(choices)))]
        if choice == -1:
            number += 1
            pending -= 1
            src, dst = rng.choice(len(free), size=2, replace=False).tolist()
            txn = {"txn": f"T{number}", "from": free[src], "to": free[dst], "amount": int(rng.integers(1, 51)),
                   "stage": 0, "commit_lsn": None}
            transfers.append({k: txn[k] for k in ("txn", "from", "to", "amount")})
            active.append(txn)
            begin(db, txn["txn"])
            continue
        txn = active[choice]
        if _advance_transfer(db, txn):
            active.remove(txn)
    return db, _crash_and_recover(db, dict(accounts), transfers), transfers


def _advance_transfer(db: Db, txn: dict[str, Any]) -> bool:
    """One event of an open transfer: UPDATE source, UPDATE target, COMMIT, fsync, ack. True when acknowledged."""
    name, stage = txn["txn"], txn["stage"]
    txn["stage"] += 1
    if stage == 0:
        update(db, name, txn["from"], -txn["amount"])
    elif stage == 1:
        update(db, name, txn["to"], txn["amount"])
    elif stage == 2:
        txn["commit_lsn"] = commit(db, name)
    elif stage == 3 and db.flushed_lsn < txn["commit_lsn"]:
        flush_log(db, "fsync", name)
        db.latency[name] = db.fsync_ms
    else:
        ack(db, name, txn["commit_lsn"])
        return True
    return False


# ---------------------------------------------------------------- the run
def simulate(seed: int, **params: Any) -> Trace:
    """Run the story (both runs) or one random run; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    rng = np.random.default_rng(seed)
    runs: list[tuple[Db, dict[str, Any], list[dict[str, Any]]]] = []
    amounts = p["amounts"]
    if p["mode"] == "story":
        if amounts is None:
            first = int(rng.integers(10, 41))
            others = [amount for amount in range(5, 31) if amount != first]
            amounts = [first, others[int(rng.integers(0, len(others)))]]
        for run in ("plain", "checkpointed"):
            runs.append(run_story(run, p["accounts"], amounts, p))
    else:
        amounts = None
        runs.append(run_random(rng, p["accounts"], p))
    steps, spans = [], {}
    for db, _, _ in runs:
        spans[db.run] = {"first_step": len(steps), "last_step": len(steps) + len(db.steps) - 1}
        steps.extend(db.steps)
    summary = {db.run: run_summary for db, run_summary, _ in runs}
    extra = {"runs": spans, "transfers": {db.run: transfers for db, _, transfers in runs}, "amounts": amounts}
    return Trace(id=ID, seed=seed, params=p, steps=steps, summary=summary, extra=extra)
