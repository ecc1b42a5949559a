"""Exactly-once semantics: how Kafka's idempotent producer, transactions and read_committed readers remove duplicates.

Model
-----
One broker holds six partitions: ``in`` (the payments an app consumes), ``dup`` and ``idem`` (written by a
plain and an idempotent producer), ``out_plain`` (written by an idempotent app without transactions), ``out``
(written by a transactional app) and ``offsets`` (the group's committed input offset, standing in for
``__consumer_offsets``). Time is integer ticks; every step is one event. Four chapters run back to back.
``dup``: a plain producer sends records one at a time, the answer to one is lost, it resends after the request
timeout and the broker appends the record again. ``idem``: the same with a producer id and sequence numbers,
so the broker recognises the resend. ``reprocess``: an idempotent app writes the outputs of a batch of inputs,
dies before saving its input offset, restarts with a new producer id and writes them again. ``txn``:
consume-transform-produce in transactions: instance A commits T1, stalls inside T2, instance B takes over the
transactional id (epoch bump, T2 aborted), A wakes and is fenced, and B redoes the inputs from the committed
offset. Two readers poll ``out`` during ``txn`` at seeded intervals: RU (read_uncommitted) reads every data
entry below the high watermark, RC (read_committed) reads below the last stable offset and skips aborted data.
The broker keeps, per (producer id, partition), the epoch, the last sequence number and its offset: an older
epoch is fenced, a newer epoch must start at sequence 0, a sequence at or below the last is a duplicate
answered with the stored offset, and one beyond the next is refused as out of order. Markers written with a
newer epoch reset that entry. The transaction coordinator keeps the producer id, epoch, state and the
partitions of the open transaction; InitProducerId from a new instance bumps the epoch and aborts an open
transaction.

Invariants
----------
1. Where idempotence is on, no partition holds two data entries with the same (pid, epoch, seq), and for each (pid, epoch) the seqs in a partition run 0, 1, 2 ... without gaps.
2. In ``dup``, duplicates = the number of resends whose first try was appended; in ``idem`` and in RC's view of ``txn``, duplicates = 0.
3. Offsets in every partition are gap-free from 0, markers included; each transactional data entry is followed by exactly one marker of its transaction, and no data entry of that transaction comes after it.
4. RC delivers exactly the committed and non-transactional data, in offset order, never an offset at or above the ``lso`` of its poll step; RU delivers every data entry below ``hw`` in offset order; RC's list is a subsequence of RU's.
5. ``lso <= hw`` always; while a transaction has data in ``out`` but no marker yet, ``lso`` is the offset of its first entry there.
6. The ``src`` values RC finally sees are exactly 0 .. n_inputs - 1, once each; ``committed_offset`` changes only at a commit marker and then equals one past the last input that transaction consumed.
7. After an epoch bump nothing with the older epoch is appended for that producer id, and every later attempt by the old instance is a ``fenced`` event.

Leaves out
----------
One broker with no replication, so the high watermark is simply the log end, and no batching: every record is
its own request and only one request is in flight. The broker remembers only the last sequence number per
producer, transactions never time out on their own, and the coordinator, the group coordinator and the
partition leader answer at once without failures of their own. Side effects outside Kafka (an email, a
database write) are not modelled; exactly-once covers only what goes through Kafka.

Trace
-----
Each step: ``t`` (tick), ``chapter`` (dup | idem | reprocess | txn), ``event``, ``actor`` (producer, app, A, B,
broker, coordinator, RC, RU), ``entry`` (the log entry sent, appended, consumed or refused, else null; an entry not
yet appended has offset null), ``detail`` (event-specific: ``partition``, the answered ``offset``, ``txn``, a poll's
``delivered`` offsets and ``upto``), then the state after the event: ``logs`` (partition -> entries {offset, kind
data|commit|abort, value, pid, epoch, seq, txn, src}) and ``dedup`` ("pid/partition" -> {epoch, last_seq, offset}),
both for the partitions the step's chapter writes: dup {dup}, idem {idem}, reprocess {out_plain}, txn {out,
offsets}; the others do not change during it, so a chapter's last step holds its partitions' final logs.
``coordinator`` {transactional_id, pid, epoch, state, partitions, txn}, ``instances`` [{id, pid, epoch, status
running|stalled|fenced|stopped}], ``committed_offset``, ``hw`` and ``lso`` of ``out``, ``rc_delivered`` and
``ru_delivered`` (offsets into ``out``). Events: send, append, answer, answer_lost, resend, duplicate, out_of_order,
consume, init_pid, crash (the reprocess app dies), begin, add_partition, send_offsets, end_txn, marker, stall,
fenced (the old instance's attempt itself), poll_rc, poll_ru. ``summary``: ``duplicates`` per view (dup, idem,
reprocess, txn_rc, txn_ru), ``rc_values``, ``ru_values``, ``rc_delivered``, ``ru_delivered``,
``final_committed_offset``, ``charged_total`` and ``intended_total`` (dollars in the ``dup`` log and in the
records), the resolved ``lost_ack_index`` and ``crash_after_outputs``, ``pids``, ``dup_resend`` (value, first and
second offset) and ``idem_resend`` (value, seq, the broker's outcome "duplicate", the answered offset, tick),
``fencing`` (epochs, aborted txn, abort marker offset, fenced tick and by whom), ``rc_waits`` (RC polls with lso <
hw: tick, lso, hw and the open txn that holds RC back), ``commit_latency`` (per committed transaction, ticks from
its first output to its commit marker on ``out``). Extras: ``inputs`` (the ``in`` partition, written before the
first step and never changed), ``chapters`` (first/last step index and tick of each chapter) and ``txns`` (per
transaction: instance, pid, epoch, inputs, outcome, first data offset and marker offset in ``out``, begin and end
ticks).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "CHAPTERS", "PARTITIONS", "CHAPTER_PARTITIONS", "EVENTS", "World", "ProduceResult",
    "check_params", "simulate",
    "new_entry", "append_entry", "check_sequence", "produce", "write_marker", "new_coordinator",
    "init_producer_id", "add_partition", "end_txn", "complete_txn", "last_stable_offset", "read_uncommitted",
    "read_committed", "count_duplicates", "dollars",
]

ID = "exactly-once-semantics"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {"n_inputs": 6, "txn_size": 3}
CHAPTERS = ("dup", "idem", "reprocess", "txn")
PARTITIONS = ("in", "dup", "idem", "out_plain", "out", "offsets")
#: The partitions each chapter writes: a step's ``logs`` and ``dedup`` hold these (the others do not change in
#: it; ``in`` never changes and is the trace's ``inputs``).
CHAPTER_PARTITIONS = {"dup": ("dup",), "idem": ("idem",), "reprocess": ("out_plain",), "txn": ("out", "offsets")}
EVENTS = ("send", "append", "answer", "answer_lost", "resend", "duplicate", "out_of_order", "consume",
          "init_pid", "crash", "begin", "add_partition", "send_offsets", "end_txn", "marker", "stall", "fenced",
          "poll_rc", "poll_ru")
TRANSACTIONAL_ID = "payments-app"
#: Ticks from A's stall to B's InitProducerId; B's abort markers follow one tick apart.
B_START_AFTER = 2
MAX_DUP_RECORDS = 6
_DOLLARS = re.compile(r"\$(\d{1,6})$")

Entry = dict[str, Any]


# ---------------------------------------------------------------- parameters
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _from_text(value: Any) -> Any:
    """A command-line string is read as JSON (``null``, ``2``, ``[1, 2]``); other values pass unchanged."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(f"expected JSON (a number or null), got {value!r}") from None
    return value


def _optional_int(low: int, high: int) -> Callable[[Any], int | None]:
    def check(value: Any) -> int | None:
        value = _from_text(value)
        if value is None:
            return None
        if not _is_int(value) or not low <= value <= high:
            raise ValueError(f"expected null or an integer in [{low}, {high}], got {value!r}")
        return value
    return check


def _check_records(value: Any) -> list[str]:
    if not 1 <= len(value) <= MAX_DUP_RECORDS:
        raise ValueError(f"expected 1 to {MAX_DUP_RECORDS} records, got {len(value)}")
    for i, item in enumerate(value):
        if not (isinstance(item, str) and len(item) <= 24 and _DOLLARS.search(item)):
            raise ValueError(f"entry {i}: expected a short string ending in a dollar amount like \"pay-1 $5\", "
                             f"got {item!r}")
    if len(set(value)) != len(value):
        raise ValueError("records must differ from each other")
    return list(value)


def _check_poll_every(value: Any) -> list[int]:
    if len(value) != 2 or not all(_is_int(v) for v in value) or not 1 <= value[0] <= value[1] <= 6:
        raise ValueError(f"expected [low, high] with 1 <= low <= high <= 6, got {value!r}")
    return [value[0], value[1]]


PARAMS: tuple[Param, ...] = (
    Param("n_inputs", int, 4, 2, 8, "payments in the input partition"),
    Param("txn_size", int, 2, 1, 6, "inputs per transaction (and per batch in the reprocess chapter)"),
    Param("producer_id", int, 1000, 0, 1_000_000, "first producer id handed out (the next ones count up)"),
    Param("dup_records", list, ["pay-1 $5", "pay-2 $20", "pay-3 $8"],
          help="records of the retry chapters, each ending in a dollar amount", validate=_check_records),
    Param("lost_ack_index", object, 1, help="which record's answer is lost (null: the seed picks)",
          validate=_optional_int(0, MAX_DUP_RECORDS - 1)),
    Param("request_timeout", int, 3, 3, 10, "ticks from a send to its resend"),
    Param("crash_after_outputs", object, 2, help="outputs of T2 written before A stalls (null: the seed picks 1 or 2)",
          validate=_optional_int(1, 6)),
    Param("stall_ticks", int, 8, 4, 20, "ticks A stays frozen"),
    Param("poll_every", list, [1, 2], help="[low, high] ticks between a reader's polls", validate=_check_poll_every),
)


def _second_txn_size(p: dict[str, Any]) -> int:
    return min(p["txn_size"], p["n_inputs"] - p["txn_size"])


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks; raise :class:`ParamError` naming the field at fault."""
    if p["txn_size"] >= p["n_inputs"]:
        raise ParamError("txn_size", f"{p['txn_size']} must be below n_inputs={p['n_inputs']} (the story needs a T2)")
    if p["lost_ack_index"] is not None and p["lost_ack_index"] >= len(p["dup_records"]):
        raise ParamError("lost_ack_index", f"{p['lost_ack_index']} is not an index into the "
                         f"{len(p['dup_records'])} dup_records")
    if p["crash_after_outputs"] is not None and p["crash_after_outputs"] > _second_txn_size(p):
        raise ParamError("crash_after_outputs", f"{p['crash_after_outputs']} is more than T2's "
                         f"{_second_txn_size(p)} outputs")


# ---------------------------------------------------------------- log entries and the broker's rules
def new_entry(kind: str, value: Any = None, *, pid: int | None = None, epoch: int | None = None,
              seq: int | None = None, txn: int | None = None, src: int | None = None) -> Entry:
    """A log entry not yet appended (offset null)."""
    return {"offset": None, "kind": kind, "value": value, "pid": pid, "epoch": epoch, "seq": seq, "txn": txn,
            "src": src}


def append_entry(log: list[Entry], entry: Entry) -> Entry:
    """Append a copy of ``entry`` at the log end; stored entries are never changed afterwards."""
    stored = {**entry, "offset": len(log)}
    log.append(stored)
    return stored


def check_sequence(known: dict[str, Any] | None, epoch: int, seq: int) -> str:
    """The broker's duplicate check for one batch: "append", "duplicate", "out_of_order" or "fenced"."""
    if known is None or epoch > known["epoch"]:
        return "append" if seq == 0 else "out_of_order"
    if epoch < known["epoch"]:
        return "fenced"
    if seq <= known["last_seq"]:
        return "duplicate"
    return "append" if seq == known["last_seq"] + 1 else "out_of_order"


class ProduceResult(NamedTuple):
    outcome: str
    #: The new entry's offset ("append"), the stored offset ("duplicate"), else None.
    offset: int | None
    #: The epoch the broker knows for this producer (None when it knows none).
    known_epoch: int | None


def produce(logs: dict[str, list[Entry]], dedup: dict[str, dict[str, Any]], partition: str,
            batch: Entry) -> ProduceResult:
    """One produce request at the partition leader. Batches without a producer id are always appended."""
    if batch["pid"] is None or batch["seq"] is None:
        return ProduceResult("append", append_entry(logs[partition], batch)["offset"], None)
    key = f"{batch['pid']}/{partition}"
    known = dedup.get(key)
    outcome = check_sequence(known, batch["epoch"], batch["seq"])
    known_epoch = None if known is None else known["epoch"]
    if outcome == "append":
        offset = append_entry(logs[partition], batch)["offset"]
        dedup[key] = {"epoch": batch["epoch"], "last_seq": batch["seq"], "offset": offset}
        return ProduceResult(outcome, offset, batch["epoch"])
    if outcome == "duplicate":
        return ProduceResult(outcome, known["offset"], known_epoch)
    return ProduceResult(outcome, None, known_epoch)


def write_marker(logs: dict[str, list[Entry]], dedup: dict[str, dict[str, Any]], partition: str, kind: str,
                 pid: int, epoch: int, txn: int) -> Entry:
    """Append a COMMIT or ABORT marker; a marker with a newer epoch resets the producer's entry there."""
    stored = append_entry(logs[partition], new_entry(kind, pid=pid, epoch=epoch, txn=txn))
    key = f"{pid}/{partition}"
    if key in dedup and epoch > dedup[key]["epoch"]:
        dedup[key] = {"epoch": epoch, "last_seq": -1, "offset": None}
    return stored


# ---------------------------------------------------------------- the transaction coordinator's rules
def new_coordinator() -> dict[str, Any]:
    return {"transactional_id": TRANSACTIONAL_ID, "pid": None, "epoch": None, "state": "Empty",
            "partitions": [], "txn": None}


def init_producer_id(coord: dict[str, Any], pid: int) -> list[str]:
    """InitProducerId: the first call assigns ``pid`` at epoch 0; a later one bumps the epoch and aborts an
    open transaction. Returns the partitions that need ABORT markers (state is then PrepareAbort)."""
    if coord["pid"] is None:
        coord.update(pid=pid, epoch=0, state="Empty", partitions=[])
        return []
    coord["epoch"] += 1
    if coord["state"] == "Ongoing":
        coord["state"] = "PrepareAbort"
        return list(coord["partitions"])
    return []


def add_partition(coord: dict[str, Any], partition: str, epoch: int, txn: int) -> bool:
    """AddPartitionsToTxn; False (fenced) when ``epoch`` is not the coordinator's."""
    if epoch != coord["epoch"]:
        return False
    if coord["state"] != "Ongoing":
        coord.update(state="Ongoing", partitions=[], txn=txn)
    if partition not in coord["partitions"]:
        coord["partitions"].append(partition)
    return True


def end_txn(coord: dict[str, Any], epoch: int, commit: bool) -> bool:
    """EndTxn: move to PrepareCommit or PrepareAbort; False (fenced) for a stale epoch."""
    if epoch != coord["epoch"] or coord["state"] != "Ongoing":
        return False
    coord["state"] = "PrepareCommit" if commit else "PrepareAbort"
    return True


def complete_txn(coord: dict[str, Any]) -> None:
    """All markers written: CompleteCommit or CompleteAbort, no partitions left in the transaction."""
    coord.update(state="CompleteCommit" if coord["state"] == "PrepareCommit" else "CompleteAbort", partitions=[])


# ---------------------------------------------------------------- readers
def last_stable_offset(log: list[Entry]) -> int:
    """First offset of the oldest transaction with data but no marker yet, else the log end."""
    resolved = {e["txn"] for e in log if e["kind"] != "data"}
    for e in log:
        if e["kind"] == "data" and e["txn"] is not None and e["txn"] not in resolved:
            return e["offset"]
    return len(log)


def read_uncommitted(log: list[Entry], position: int, hw: int) -> list[int]:
    """Offsets of every data entry in [position, hw)."""
    return [e["offset"] for e in log[position:hw] if e["kind"] == "data"]


def read_committed(log: list[Entry], position: int, lso: int) -> list[int]:
    """Offsets of the non-transactional and committed data entries in [position, lso)."""
    outcome = {e["txn"]: e["kind"] for e in log if e["kind"] != "data"}
    return [e["offset"] for e in log[position:lso]
            if e["kind"] == "data" and (e["txn"] is None or outcome.get(e["txn"]) == "commit")]


def count_duplicates(entries: list[Entry]) -> int:
    """Data entries that repeat an earlier one: by ``src`` where set, else by value."""
    seen: set[tuple[str, Any]] = set()
    count = 0
    for e in entries:
        if e["kind"] != "data":
            continue
        key = ("src", e["src"]) if e["src"] is not None else ("value", e["value"])
        count += key in seen
        seen.add(key)
    return count


def dollars(record: str) -> int:
    """The dollar amount a record ends with ("pay-2 $20" -> 20)."""
    match = _DOLLARS.search(record)
    if match is None:
        raise ValueError(f"no dollar amount in {record!r}")
    return int(match.group(1))


# ---------------------------------------------------------------- the world and its clock
@dataclass
class World:
    """Everything one run holds; steps are appended by :func:`emit`."""

    rng: np.random.Generator
    poll_every: tuple[int, int]
    logs: dict[str, list[Entry]]
    coordinator: dict[str, Any] = field(default_factory=new_coordinator)
    dedup: dict[str, dict[str, Any]] = field(default_factory=dict)
    instances: list[dict[str, Any]] = field(default_factory=list)
    committed_offset: int = 0
    readers: dict[str, dict[str, Any]] = field(default_factory=lambda: {
        name: {"active": False, "position": 0, "delivered": [], "next": 0, "last": -1} for name in ("RC", "RU")})
    next_seq: dict[str, int] = field(default_factory=dict)
    t: int = -1
    chapter: str = CHAPTERS[0]
    steps: list[dict[str, Any]] = field(default_factory=list)


def emit(world: World, event: str, actor: str, entry: Entry | None = None,
         detail: dict[str, Any] | None = None, t: int | None = None) -> None:
    """Record one step with the full state after ``event`` (stored entries are shared, never changed)."""
    out, partitions = world.logs["out"], CHAPTER_PARTITIONS[world.chapter]
    world.steps.append({
        "t": world.t if t is None else t, "chapter": world.chapter, "event": event, "actor": actor,
        "entry": entry, "detail": detail or {},
        "logs": {name: list(world.logs[name]) for name in partitions},
        "dedup": {key: dict(value) for key, value in world.dedup.items() if key.split("/")[1] in partitions},
        "coordinator": {**world.coordinator, "partitions": list(world.coordinator["partitions"])},
        "instances": [dict(inst) for inst in world.instances],
        "committed_offset": world.committed_offset, "hw": len(out), "lso": last_stable_offset(out),
        "rc_delivered": list(world.readers["RC"]["delivered"]),
        "ru_delivered": list(world.readers["RU"]["delivered"]),
    })


def poll(world: World, name: str, tick: int) -> None:
    """One poll of ``out`` by reader RC or RU at ``tick``; then draw its next poll tick."""
    reader, out = world.readers[name], world.logs["out"]
    if name == "RC":
        upto = last_stable_offset(out)
        new = read_committed(out, reader["position"], upto)
    else:
        upto = len(out)
        new = read_uncommitted(out, reader["position"], upto)
    reader["position"] = upto
    reader["delivered"].extend(new)
    reader["last"] = tick
    reader["next"] = tick + int(world.rng.integers(world.poll_every[0], world.poll_every[1] + 1))
    emit(world, "poll_rc" if name == "RC" else "poll_ru", name, detail={"delivered": new, "upto": upto}, t=tick)


def run_polls(world: World, before: int) -> None:
    """Every reader poll due before tick ``before``, in (tick, RC before RU) order."""
    while True:
        due = [(r["next"], i, name) for i, (name, r) in enumerate(world.readers.items())
               if r["active"] and r["next"] < before]
        if not due:
            return
        tick, _, name = min(due)
        poll(world, name, tick)


def start_readers(world: World) -> None:
    for reader in world.readers.values():
        reader["active"] = True
        reader["next"] = world.t + int(world.rng.integers(world.poll_every[0], world.poll_every[1] + 1))


def drain_readers(world: World) -> None:
    """Polls go on until each reader has polled at or after the last writer tick."""
    end = world.t
    while True:
        behind = [r["next"] for r in world.readers.values() if r["active"] and r["last"] < end]
        if not behind:
            return
        run_polls(world, before=min(behind) + 1)


def advance(world: World, gap: int = 1) -> None:
    """Move the writers' clock on by ``gap`` ticks; polls due before the new tick run first."""
    run_polls(world, before=world.t + gap)
    world.t += gap


# ---------------------------------------------------------------- requests
def broker_handles(world: World, actor: str, partition: str, batch: Entry) -> ProduceResult:
    """The broker's step for one request: append, duplicate or out_of_order."""
    advance(world)
    result = produce(world.logs, world.dedup, partition, batch)
    if result.outcome == "append":
        emit(world, "append", "broker", world.logs[partition][result.offset], {"partition": partition})
    elif result.outcome == "duplicate":
        emit(world, "duplicate", "broker", batch, {"partition": partition, "offset": result.offset})
    elif result.outcome == "out_of_order":
        emit(world, "out_of_order", "broker", batch, {"partition": partition})
    else:
        raise RuntimeError(f"{actor}'s request was fenced outside the fencing beat")
    return result


def send_request(world: World, actor: str, partition: str, batch: Entry, *, lose_answer: bool = False,
                 timeout: int = 0) -> None:
    """Send, the broker's step, then the answer; a lost answer is followed by a resend after ``timeout``."""
    advance(world)
    sent_at = world.t
    emit(world, "send", actor, batch, {"partition": partition})
    result = broker_handles(world, actor, partition, batch)
    advance(world)
    if lose_answer:
        emit(world, "answer_lost", "broker", None, {"partition": partition, "offset": result.offset})
        advance(world, sent_at + timeout - world.t)
        emit(world, "resend", actor, batch, {"partition": partition})
        result = broker_handles(world, actor, partition, batch)
        advance(world)
    emit(world, "answer", "broker", None, {"partition": partition, "offset": result.offset})


# ---------------------------------------------------------------- chapters
def run_retry_chapter(world: World, records: list[str], lost: int, timeout: int, pid: int | None) -> None:
    """Chapters ``dup`` (pid None: a plain producer) and ``idem`` (an idempotent producer)."""
    partition = "dup" if pid is None else "idem"
    world.chapter = partition
    world.instances = [{"id": "producer", "pid": pid, "epoch": None if pid is None else 0, "status": "running"}]
    if pid is not None:
        advance(world)
        emit(world, "init_pid", "producer", detail={"pid": pid, "epoch": 0})
    for i, value in enumerate(records):
        seq = None if pid is None else i
        batch = new_entry("data", value, pid=pid, epoch=None if pid is None else 0, seq=seq)
        send_request(world, "producer", partition, batch, lose_answer=i == lost, timeout=timeout)


def run_reprocess_chapter(world: World, pids: tuple[int, int], batch_size: int) -> None:
    """An idempotent app writes a batch's outputs, dies before saving its offset, restarts and redoes them."""
    world.chapter = "reprocess"
    inputs = world.logs["in"]
    for life, pid in enumerate(pids):
        advance(world)
        world.instances = [{"id": "app", "pid": pid, "epoch": 0, "status": "running"}]
        emit(world, "init_pid", "app", detail={"pid": pid, "epoch": 0, "from_offset": 0})
        for seq, i in enumerate(range(batch_size)):
            advance(world)
            emit(world, "consume", "app", inputs[i], {"partition": "in"})
            send_request(world, "app", "out_plain",
                         new_entry("data", f"o{i}", pid=pid, epoch=0, seq=seq, src=i))
        if life == 0:
            advance(world)
            world.instances[0]["status"] = "stopped"
            emit(world, "crash", "app", detail={"committed_offset": 0, "processed": batch_size})


def _instance(world: World, name: str) -> dict[str, Any]:
    return next(inst for inst in world.instances if inst["id"] == name)


def _commit(world: World, inst: dict[str, Any], txn: int, next_offset: int) -> None:
    """send_offsets, end_txn and the COMMIT markers; the committed offset moves at the offsets log's marker."""
    coord = world.coordinator
    advance(world)
    add_partition(coord, "offsets", inst["epoch"], txn)
    stored = append_entry(world.logs["offsets"], new_entry("data", next_offset, pid=inst["pid"],
                                                           epoch=inst["epoch"], txn=txn))
    emit(world, "send_offsets", inst["id"], stored, {"partition": "offsets", "txn": txn, "offset": next_offset})
    advance(world)
    end_txn(coord, inst["epoch"], commit=True)
    emit(world, "end_txn", inst["id"], detail={"txn": txn, "commit": True})
    write_markers(world, "commit", txn, next_offset)


def write_markers(world: World, kind: str, txn: int, next_offset: int | None = None) -> None:
    """The coordinator's markers, one step per partition of the transaction, then Complete*."""
    coord = world.coordinator
    partitions = list(coord["partitions"])
    for i, partition in enumerate(partitions):
        advance(world)
        stored = write_marker(world.logs, world.dedup, partition, kind, coord["pid"], coord["epoch"], txn)
        if partition == "offsets" and kind == "commit":
            world.committed_offset = next_offset
        if i == len(partitions) - 1:
            complete_txn(coord)
        emit(world, "marker", "coordinator", stored, {"partition": partition, "txn": txn})


def run_transaction(world: World, name: str, txn: int, inputs: list[int],
                    stall_after: int | None = None) -> list[int] | None:
    """Consume ``inputs``, write their outputs, commit. With ``stall_after`` the instance stops after that many
    outputs instead and the inputs whose outputs are not written yet are returned (None when committed)."""
    inst, coord = _instance(world, name), world.coordinator
    advance(world)
    emit(world, "begin", name, detail={"txn": txn, "from_offset": world.committed_offset})
    for i in inputs:
        advance(world)
        emit(world, "consume", name, world.logs["in"][i], {"partition": "in", "txn": txn})
    for j, i in enumerate(inputs):
        if j == stall_after:
            return inputs[j:]
        if j == 0:
            advance(world)
            add_partition(coord, "out", inst["epoch"], txn)
            emit(world, "add_partition", name, detail={"partition": "out", "txn": txn})
        seq = world.next_seq.get(name, 0)
        world.next_seq[name] = seq + 1
        batch = new_entry("data", f"o{i}", pid=inst["pid"], epoch=inst["epoch"], seq=seq, txn=txn, src=i)
        advance(world)
        emit(world, "send", name, batch, {"partition": "out"})
        broker_handles(world, name, "out", batch)
    if stall_after is not None:
        return []
    _commit(world, inst, txn, inputs[-1] + 1)
    return None


def zombie_attempt(world: World, name: str, txn: int, inputs: list[int], remaining: list[int]) -> dict[str, Any]:
    """The woken old instance tries its next action: an output to ``out`` (checked by the broker) or its offsets
    (checked by the coordinator). The attempt is the ``fenced`` step; the instance stops."""
    inst = _instance(world, name)
    advance(world)
    if remaining:
        i = remaining[0]
        seq = world.next_seq.get(name, 0)
        batch = new_entry("data", f"o{i}", pid=inst["pid"], epoch=inst["epoch"], seq=seq, txn=txn, src=i)
        result = produce(world.logs, world.dedup, "out", batch)
        fenced, by, partition, current = result.outcome == "fenced", "broker", "out", result.known_epoch
    else:
        batch = new_entry("data", inputs[-1] + 1, pid=inst["pid"], epoch=inst["epoch"], txn=txn)
        fenced = not add_partition(world.coordinator, "offsets", inst["epoch"], txn)
        by, partition, current = "coordinator", "offsets", world.coordinator["epoch"]
    if not fenced:
        raise RuntimeError("the old instance was not fenced")
    inst["status"] = "fenced"
    detail = {"by": by, "partition": partition, "txn": txn, "epoch": inst["epoch"], "current_epoch": current}
    emit(world, "fenced", name, batch, detail)
    return {"t": world.t, "by": by, "partition": partition}


# ---------------------------------------------------------------- summary
def _txn_records(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per transaction: who, inputs, outcome, offsets in ``out`` and ticks (derived from the steps)."""
    txns: dict[int, dict[str, Any]] = {}
    for step in steps:
        detail, entry = step["detail"], step["entry"]
        if step["event"] == "begin":
            inst = next(i for i in step["instances"] if i["id"] == step["actor"])
            txns[detail["txn"]] = {"txn": detail["txn"], "instance": step["actor"], "pid": inst["pid"],
                                   "epoch": inst["epoch"], "inputs": [], "outcome": None, "first_offset": None,
                                   "marker_offset": None, "begin_t": step["t"], "first_output_t": None,
                                   "end_t": None}
        elif step["event"] == "consume" and step["chapter"] == "txn":
            txns[detail["txn"]]["inputs"].append(entry["offset"])
        elif step["event"] == "append" and detail["partition"] == "out":
            rec = txns[entry["txn"]]
            if rec["first_offset"] is None:
                rec["first_offset"], rec["first_output_t"] = entry["offset"], step["t"]
        elif step["event"] == "marker" and detail["partition"] == "out":
            rec = txns[entry["txn"]]
            rec.update(outcome=entry["kind"], marker_offset=entry["offset"], end_t=step["t"])
    return [txns[k] for k in sorted(txns)]


def _chapters(steps: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    spans: dict[str, dict[str, int]] = {}
    for i, step in enumerate(steps):
        span = spans.setdefault(step["chapter"], {"first_step": i, "start_t": step["t"]})
        span.update(last_step=i, end_t=step["t"])
    return spans


def summarize(world: World, p: dict[str, Any], lost: int, crash_after: int, pids: dict[str, Any],
              fencing: dict[str, Any], txns: list[dict[str, Any]]) -> dict[str, Any]:
    logs, steps = world.logs, world.steps
    out = logs["out"]
    rc, ru = world.readers["RC"]["delivered"], world.readers["RU"]["delivered"]
    first_try = next(s for s in steps if s["chapter"] == "dup" and s["event"] == "append"
                     and s["entry"]["value"] == p["dup_records"][lost])
    second_try = [s for s in steps if s["chapter"] == "dup" and s["event"] == "append"
                  and s["entry"]["value"] == p["dup_records"][lost]][-1]
    resend_at = next(i for i, s in enumerate(steps) if s["chapter"] == "idem" and s["event"] == "resend")
    idem_handled = steps[resend_at + 1]
    aborted = next(t for t in txns if t["outcome"] == "abort")
    return {
        "duplicates": {"dup": count_duplicates(logs["dup"]), "idem": count_duplicates(logs["idem"]),
                       "reprocess": count_duplicates(logs["out_plain"]),
                       "txn_rc": count_duplicates([out[o] for o in rc]),
                       "txn_ru": count_duplicates([out[o] for o in ru])},
        "rc_values": [out[o]["value"] for o in rc],
        "ru_values": [out[o]["value"] for o in ru],
        "rc_delivered": list(rc),
        "ru_delivered": list(ru),
        "final_committed_offset": world.committed_offset,
        "charged_total": sum(dollars(e["value"]) for e in logs["dup"] if e["kind"] == "data"),
        "intended_total": sum(dollars(r) for r in p["dup_records"]),
        "lost_ack_index": lost,
        "crash_after_outputs": crash_after,
        "pids": pids,
        "dup_resend": {"value": p["dup_records"][lost], "first_offset": first_try["entry"]["offset"],
                       "second_offset": second_try["entry"]["offset"]},
        "idem_resend": {"value": idem_handled["entry"]["value"], "seq": idem_handled["entry"]["seq"],
                        "outcome": idem_handled["event"], "t": idem_handled["t"],
                        "offset": idem_handled["detail"].get("offset", idem_handled["entry"]["offset"])},
        "fencing": {**fencing, "aborted_txn": aborted["txn"], "abort_offset": aborted["marker_offset"]},
        "rc_waits": [{"t": s["t"], "lso": s["lso"], "hw": s["hw"], "txn": s["logs"]["out"][s["lso"]]["txn"]}
                     for s in steps if s["event"] == "poll_rc" and s["lso"] < s["hw"]],
        "commit_latency": [{"txn": t["txn"], "ticks": t["end_t"] - t["first_output_t"]} for t in txns
                           if t["outcome"] == "commit"],
    }


# ---------------------------------------------------------------- the run
def simulate(seed: int, **params: Any) -> Trace:
    """Run the four chapters back to back; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    rng = np.random.default_rng(seed)
    lost = p["lost_ack_index"]
    if lost is None:
        lost = int(rng.integers(0, len(p["dup_records"])))
    crash_after = p["crash_after_outputs"]
    if crash_after is None:
        crash_after = int(rng.integers(1, min(2, _second_txn_size(p)) + 1))
    amounts = rng.integers(1, 100, size=p["n_inputs"]).tolist()
    logs: dict[str, list[Entry]] = {name: [] for name in PARTITIONS}
    for amount in amounts:
        append_entry(logs["in"], new_entry("data", f"${amount}"))
    world = World(rng=rng, poll_every=(p["poll_every"][0], p["poll_every"][1]), logs=logs)
    base = p["producer_id"]
    pids = {"idem": base, "reprocess": [base, base + 1], "txn": base + 2}

    run_retry_chapter(world, p["dup_records"], lost, p["request_timeout"], None)
    run_retry_chapter(world, p["dup_records"], lost, p["request_timeout"], base)
    run_reprocess_chapter(world, (base, base + 1), p["txn_size"])

    world.chapter = "txn"
    start_readers(world)
    advance(world)
    init_producer_id(world.coordinator, pids["txn"])
    world.instances = [{"id": "A", "pid": pids["txn"], "epoch": 0, "status": "running"}]
    emit(world, "init_pid", "A", detail={"pid": pids["txn"], "epoch": 0})
    size, n = p["txn_size"], p["n_inputs"]
    run_transaction(world, "A", 1, list(range(0, size)))
    second = list(range(size, min(2 * size, n)))
    remaining = run_transaction(world, "A", 2, second, stall_after=crash_after)
    advance(world)
    stalled_at = world.t
    _instance(world, "A")["status"] = "stalled"
    emit(world, "stall", "A", detail={"txn": 2, "outputs_written": crash_after,
                                      "wakes_at": stalled_at + p["stall_ticks"]})
    advance(world, B_START_AFTER)
    to_abort = init_producer_id(world.coordinator, pids["txn"])
    world.instances.append({"id": "B", "pid": pids["txn"], "epoch": world.coordinator["epoch"], "status": "running"})
    emit(world, "init_pid", "B", detail={"pid": pids["txn"], "epoch": world.coordinator["epoch"],
                                         "aborting": 2, "abort_partitions": to_abort})
    write_markers(world, "abort", 2)
    advance(world, stalled_at + p["stall_ticks"] - 1 - world.t)
    fenced = zombie_attempt(world, "A", 2, second, remaining)
    txn = 3
    while world.committed_offset < n:
        start = world.committed_offset
        run_transaction(world, "B", txn, list(range(start, min(start + size, n))))
        txn += 1
    drain_readers(world)

    fencing = {"old_epoch": 0, "new_epoch": world.coordinator["epoch"], "stall_t": stalled_at,
               "fenced_t": fenced["t"], "fenced_by": fenced["by"]}
    txns = _txn_records(world.steps)
    summary = summarize(world, p, lost, crash_after, pids, fencing, txns)
    extra = {"chapters": _chapters(world.steps), "txns": txns, "inputs": logs["in"]}
    return Trace(id=ID, seed=seed, params=p, steps=world.steps, summary=summary, extra=extra)
