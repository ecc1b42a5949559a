"""Consistent hashing: hash mod N against a hash ring, with one and with many virtual nodes per server.

Model
-----
Servers and keys are hashed with md5 into the 128-bit integers 0 .. 2**128 - 1, drawn as a circle
read clockwise from 12 o'clock (pos = hash / 2**128). Servers are labelled A, B, C ... and each has
a hidden id (its label plus four seeded hex digits, such as "A-3f9c"); a server with V virtual nodes
owns the ring points md5("<id>-0") .. md5("<id>-<V-1>"). A key (named "k-" plus eight seeded hex
digits) belongs to the server of the first point whose hash is strictly greater than the key's
hash, wrapping round to the smallest point. Under mod-N the owner is the label at index hash mod N.
There is no clock: the run is seven ordered configurations (mod-N with n_nodes servers, then with
the added server; the ring with vnodes_low points per server before and after the addition; the
ring with vnodes_high points per server before and after the addition, then after the removal of
one server). Every comparison of hashes is exact integer arithmetic.

Invariants
----------
1. One owner: every step has exactly n_keys owners, each among that step's labels.
2. Successor rule: in ring steps no point lies strictly between a key's hash and its owner's point (with wrap-around).
3. Adding only steals: every key that moves on an addition moves to the new server, and exactly the keys in its arcs move.
4. Removing only hands over: exactly the removed server's keys move, each to the owner of the next surviving point.
5. Accounting: loads sum to n_keys, arc shares sum to 1, moved_from and moved_to each sum to the moved count.
6. Mod-N: owners are labels[hash mod N]; a key moves from N to N + 1 servers exactly when hash mod N != hash mod (N + 1).
7. Order independence: inserting the servers in any order, or all at once, gives the same points and owners.

Leaves out
----------
Real caches and databases replicate each key on several successive servers, weight servers by
capacity, and move keys in the background while serving traffic, so a move is a copy that takes
time, not an instant switch. Here every server is equal, every key is equally popular and moves
happen at once. Lookups use one sorted table of all points, as client libraries such as uhashring
and ketama do; systems like Dynamo or Cassandra also gossip that table between machines.

Trace
-----
steps: seven records, t = 0..6, with event modn_5, modn_6, ring_low, ring_low_add, ring_high,
ring_high_add, ring_high_remove (the names are fixed; the server counts come from the params).
Each record holds scheme ("modn" or "ring"), vnodes (null for mod-N), labels (servers present, in
label order), points (ring only, else null: [{label, vnode, h_hex, pos}] sorted by hash), arcs (ring
only: [{start, end, owner}], one per point, the half-open arc [start, end) that ends at that point,
in point order; the first arc wraps past 1.0 so its start is the last point's pos), owner (a string
with one label character per key, in summary.keys order), baseline (the event this step's moves are
counted against, or null), moved (key indices whose owner changed since baseline), moved_fraction,
moved_from and moved_to ({label: count}, every baseline label and every current label), donors and
receivers (the labels with a non-zero count there), load ({label: keys owned}), arc_share ({label:
share of the ring}, ring only), max_over_mean (largest load over the mean load), load_cv (standard
deviation of the loads over their mean), drawn_mod (mod-N only: hash mod N of each drawn key) and
drawn_point (ring only: the index in points of each drawn key's owner point, where its clockwise
walk stops). summary: hash "md5", nodes [{label, node_id, color_index}] (the added server last),
keys (columns key and h_hex over all n_keys keys), drawn ([{index, key, h_hex, pos}] for the
n_keys_drawn keys on screen, by index), table (rows "mod-N", "ring V=<low>", "ring V=<high>" with
moved_on_add, and max_over_mean and ring_points (null for mod-N) before the addition: the closing table), expected (the published
averages: ring_moved_on_add 1/(N+1), modn_moved_on_add N/(N+1), per_donor_on_add 1/(N(N+1)),
share_cv_low and share_cv_high sqrt((N-1)/(N V+1))), add_label, remove_label and servers_after_add
(N + 1, the server count the captions quote after the addition). Beats: hook and
mod-N use modn_5/modn_6 (moved_fraction); the ring beat uses ring_low (drawn_point); "add F" uses
ring_low_add (moved_fraction, donors); lopsided arcs use ring_low (load, arc_share, max_over_mean);
virtual nodes use ring_high; "add F with vnodes" uses ring_high_add (moved_from); "remove C" uses
ring_high_remove (moved_to); the takeaway uses summary.table.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from hashlib import md5
from typing import Any, Iterable, NamedTuple, Sequence

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "EVENTS", "HASH_BITS", "Point", "check_params", "simulate", "key_names", "node_ids",
    "hash_int", "hash_hex", "server_labels", "server_points", "build_ring", "add_server",
    "remove_server", "ring_owner_points", "modn_owner_indices", "arc_lengths",
    "ring_step", "modn_step",
]

ID = "consistent-hashing"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {"n_nodes": 4, "add_label": "E", "remove_label": "B", "vnodes_high": 50,
                                    "n_keys_drawn": 32}
HASH_BITS = 128
RING = 1 << HASH_BITS
EVENTS = ("modn_5", "modn_6", "ring_low", "ring_low_add", "ring_high", "ring_high_add", "ring_high_remove")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_NODES = 10


def _one_letter(value: str) -> str:
    if len(value) != 1 or value not in LETTERS:
        raise ValueError(f"expected one capital letter A-Z, got {value!r}")
    return value


PARAMS: tuple[Param, ...] = (
    Param("n_nodes", int, 5, 2, MAX_NODES, "servers before the addition (labels A, B, C ...)"),
    Param("add_label", str, "F", help="label of the server that joins (one capital letter)", validate=_one_letter),
    Param("remove_label", str, "C", help="label of the server that leaves at the end", validate=_one_letter),
    Param("vnodes_low", int, 1, 1, 200, "ring points per server in the first ring"),
    Param("vnodes_high", int, 100, 1, 200, "ring points per server in the second ring"),
    Param("n_keys", int, 10_000, 1, 10_000, "keys hashed (every percentage counts all of them)"),
    Param("n_keys_drawn", int, 40, 0, 200, "keys drawn as dots"),
)


def server_labels(n: int) -> list[str]:
    """The first ``n`` labels: A, B, C ..."""
    return list(LETTERS[:n])


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks: the added label is new, the removed one exists, the key counts fit."""
    labels = server_labels(p["n_nodes"])
    if p["add_label"] in labels:
        raise ParamError("add_label", f"{p['add_label']!r} is already one of the servers {''.join(labels)}")
    if p["remove_label"] not in labels and p["remove_label"] != p["add_label"]:
        raise ParamError("remove_label", f"{p['remove_label']!r} is none of the servers {''.join(labels)}"
                                         f" or {p['add_label']}")
    if p["vnodes_low"] > p["vnodes_high"]:
        raise ParamError("vnodes_high", f"must be >= vnodes_low={p['vnodes_low']}, got {p['vnodes_high']}")
    if p["n_keys_drawn"] > p["n_keys"]:
        raise ParamError("n_keys_drawn", f"must be <= n_keys={p['n_keys']}, got {p['n_keys_drawn']}")


# ---------------------------------------------------------------- hashing and the ring
class Point(NamedTuple):
    """One ring point: its hash, its server's label and its virtual-node number."""

    h: int
    label: str
    vnode: int


def hash_int(name: str) -> int:
    """md5 of ``name`` (UTF-8) as an integer in [0, 2**128)."""
    return int.from_bytes(md5(name.encode()).digest(), "big")


def hash_hex(h: int) -> str:
    """A hash as 32 lowercase hex digits."""
    return format(h, "032x")


def server_points(label: str, node_id: str, vnodes: int) -> list[Point]:
    """The ``vnodes`` points of one server: md5 of ``"<node_id>-<i>"`` (uhashring's naming)."""
    return [Point(hash_int(f"{node_id}-{i}"), label, i) for i in range(vnodes)]


def add_server(ring: Sequence[Point], label: str, node_id: str, vnodes: int) -> tuple[Point, ...]:
    """The ring with one more server's points, kept sorted by (hash, label, vnode)."""
    if any(point.label == label for point in ring):
        raise ValueError(f"server {label} is already on the ring")
    return tuple(sorted((*ring, *server_points(label, node_id, vnodes))))


def remove_server(ring: Sequence[Point], label: str) -> tuple[Point, ...]:
    """The ring without the points of ``label``."""
    if not any(point.label == label for point in ring):
        raise ValueError(f"server {label} is not on the ring")
    return tuple(point for point in ring if point.label != label)


def build_ring(servers: Iterable[tuple[str, str]], vnodes: int) -> tuple[Point, ...]:
    """A ring holding every ``(label, node_id)`` server, built all at once."""
    return tuple(sorted(point for label, node_id in servers for point in server_points(label, node_id, vnodes)))


def _split(hashes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """High and low 64-bit halves of 128-bit hashes, as uint64 arrays."""
    mask = (1 << 64) - 1
    return (np.array([h >> 64 for h in hashes], dtype=np.uint64),
            np.array([h & mask for h in hashes], dtype=np.uint64))


def ring_owner_points(ring: Sequence[Point], key_hashes: Sequence[int],
                      key_halves: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Index into ``ring`` of each key's owner point: the first point with a hash strictly greater
    than the key's, wrapping to point 0 (bisect-right, as uhashring does).

    Exact: the search runs on the high 64 bits, and keys that tie a point there are settled with
    the full integers.
    """
    if not ring:
        raise ValueError("the ring has no points")
    point_hashes = [point.h for point in ring]
    key_hi, _ = key_halves if key_halves is not None else _split(key_hashes)
    point_hi, _ = _split(point_hashes)
    right = np.searchsorted(point_hi, key_hi, side="right")
    left = np.searchsorted(point_hi, key_hi, side="left")
    for i in np.flatnonzero(left != right).tolist():
        right[i] = bisect_right(point_hashes, key_hashes[i])
    return right % len(ring)


def modn_owner_indices(key_hashes: Sequence[int], n: int) -> list[int]:
    """Index of each key's owner under mod-N: ``hash % n``."""
    return [h % n for h in key_hashes]


def arc_lengths(ring: Sequence[Point]) -> list[int]:
    """Length (in hash units) of the arc ending at each point: from the previous point, wrapping."""
    hashes = [point.h for point in ring]
    if len(hashes) == 1:
        return [RING]
    return [(h - prev) % RING for prev, h in zip([hashes[-1], *hashes[:-1]], hashes)]


# ---------------------------------------------------------------- one step of the scenario
def _owner_string(codes: np.ndarray, labels_of: Sequence[str]) -> str:
    table = np.frombuffer("".join(labels_of).encode("ascii"), dtype=np.uint8)
    return table[codes].tobytes().decode("ascii")


def _load_stats(owner: str, labels: Sequence[str], n_keys: int) -> dict[str, Any]:
    counts = np.bincount(np.frombuffer(owner.encode("ascii"), dtype=np.uint8), minlength=256)
    load = {label: int(counts[ord(label)]) for label in labels}
    n = len(labels)
    s1, s2 = sum(load.values()), sum(v * v for v in load.values())
    return {"load": load, "max_over_mean": max(load.values()) * n / n_keys,
            "load_cv": math.sqrt(n * s2 - s1 * s1) / s1}


def _moves(owner: str, baseline: dict[str, Any] | None, labels: Sequence[str]) -> dict[str, Any]:
    if baseline is None:
        zero = {label: 0 for label in labels}
        return {"baseline": None, "moved": [], "moved_fraction": 0.0, "moved_from": dict(zero),
                "moved_to": dict(zero), "donors": [], "receivers": []}
    before = np.frombuffer(baseline["owner"].encode("ascii"), dtype=np.uint8)
    after = np.frombuffer(owner.encode("ascii"), dtype=np.uint8)
    changed = before != after
    moved = np.flatnonzero(changed).tolist()
    from_counts = np.bincount(before[changed], minlength=256)
    to_counts = np.bincount(after[changed], minlength=256)
    moved_from = {label: int(from_counts[ord(label)]) for label in baseline["labels"]}
    moved_to = {label: int(to_counts[ord(label)]) for label in labels}
    return {"baseline": baseline["event"], "moved": moved, "moved_fraction": len(moved) / len(owner),
            "moved_from": moved_from, "moved_to": moved_to,
            "donors": sorted(k for k, v in moved_from.items() if v),
            "receivers": sorted(k for k, v in moved_to.items() if v)}


def modn_step(t: int, event: str, labels: Sequence[str], key_hashes: Sequence[int], drawn: Sequence[int],
              baseline: dict[str, Any] | None) -> dict[str, Any]:
    """The full record of one mod-N configuration."""
    codes = np.array(modn_owner_indices(key_hashes, len(labels)), dtype=np.intp)
    owner = _owner_string(codes, labels)
    return {"t": t, "event": event, "scheme": "modn", "vnodes": None, "labels": list(labels), "points": None,
            "arcs": None, "arc_share": None, "owner": owner, **_moves(owner, baseline, labels),
            **_load_stats(owner, labels, len(key_hashes)),
            "drawn_mod": [int(codes[i]) for i in drawn], "drawn_point": None}


def ring_step(t: int, event: str, ring: Sequence[Point], vnodes: int, key_hashes: Sequence[int],
              key_halves: tuple[np.ndarray, np.ndarray], drawn: Sequence[int],
              baseline: dict[str, Any] | None) -> dict[str, Any]:
    """The full record of one ring configuration."""
    labels = sorted({point.label for point in ring})
    where = ring_owner_points(ring, key_hashes, key_halves)
    owner = _owner_string(where, [point.label for point in ring])
    pos = [point.h / RING for point in ring]
    points = [{"label": point.label, "vnode": point.vnode, "h_hex": hash_hex(point.h), "pos": x}
              for point, x in zip(ring, pos)]
    arcs = [{"start": start, "end": end, "owner": point.label}
            for start, end, point in zip([pos[-1], *pos[:-1]], pos, ring)]
    owned = {label: 0 for label in labels}
    for point, length in zip(ring, arc_lengths(ring)):
        owned[point.label] += length
    return {"t": t, "event": event, "scheme": "ring", "vnodes": vnodes, "labels": labels, "points": points,
            "arcs": arcs, "arc_share": {label: owned[label] / RING for label in labels}, "owner": owner,
            **_moves(owner, baseline, labels), **_load_stats(owner, labels, len(key_hashes)),
            "drawn_mod": None, "drawn_point": [int(where[i]) for i in drawn]}


# ---------------------------------------------------------------- the run
def key_names(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` distinct key names: "k-" plus eight seeded hex digits."""
    digits = rng.choice(1 << 32, size=count, replace=False).astype(">u4").tobytes().hex()
    return ["k-" + digits[i:i + 8] for i in range(0, len(digits), 8)]


def node_ids(rng: np.random.Generator, labels: Sequence[str]) -> dict[str, str]:
    """Each server's hidden id: its label, "-", and four seeded hex digits."""
    suffixes = rng.integers(0, 1 << 16, size=len(labels)).tolist()
    return {label: f"{label}-{suffix:04x}" for label, suffix in zip(labels, suffixes)}


def simulate(seed: int, **params: Any) -> Trace:
    """Run the seven configurations of the scenario; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    rng = np.random.default_rng(seed)
    n, add, remove = p["n_nodes"], p["add_label"], p["remove_label"]
    labels = server_labels(n)
    names = key_names(rng, p["n_keys"])
    ids = node_ids(rng, [*labels, add])
    drawn = sorted(rng.choice(p["n_keys"], size=p["n_keys_drawn"], replace=False).tolist())
    digests = [md5(name.encode()).digest() for name in names]
    key_hashes = [int.from_bytes(d, "big") for d in digests]
    halves = np.frombuffer(b"".join(digests), dtype=">u8").astype(np.uint64).reshape(-1, 2)
    key_halves = (halves[:, 0].copy(), halves[:, 1].copy())

    steps: list[dict[str, Any]] = []
    steps.append(modn_step(0, "modn_5", labels, key_hashes, drawn, None))
    steps.append(modn_step(1, "modn_6", [*labels, add], key_hashes, drawn, steps[0]))
    t = 2
    for kind, vnodes in (("low", p["vnodes_low"]), ("high", p["vnodes_high"])):
        ring = build_ring(((label, ids[label]) for label in labels), vnodes)
        steps.append(ring_step(t, f"ring_{kind}", ring, vnodes, key_hashes, key_halves, drawn, None))
        ring = add_server(ring, add, ids[add], vnodes)
        steps.append(ring_step(t + 1, f"ring_{kind}_add", ring, vnodes, key_hashes, key_halves, drawn, steps[-1]))
        t += 2
    ring = remove_server(ring, remove)
    steps.append(ring_step(t, "ring_high_remove", ring, p["vnodes_high"], key_hashes, key_halves, drawn, steps[-1]))

    by_event = {step["event"]: step for step in steps}
    table = [{"row": row, "moved_on_add": by_event[after]["moved_fraction"],
              "max_over_mean": by_event[before]["max_over_mean"],
              "ring_points": len(by_event[before]["points"]) if by_event[before]["points"] else None}
             for row, before, after in (("mod-N", "modn_5", "modn_6"),
                                        (f"ring V={p['vnodes_low']}", "ring_low", "ring_low_add"),
                                        (f"ring V={p['vnodes_high']}", "ring_high", "ring_high_add"))]
    expected = {"ring_moved_on_add": 1 / (n + 1), "modn_moved_on_add": n / (n + 1),
                "per_donor_on_add": 1 / (n * (n + 1)),
                "share_cv_low": math.sqrt((n - 1) / (n * p["vnodes_low"] + 1)),
                "share_cv_high": math.sqrt((n - 1) / (n * p["vnodes_high"] + 1))}
    key_hex = [d.hex() for d in digests]
    summary = {
        "hash": "md5",
        "nodes": [{"label": label, "node_id": ids[label], "color_index": i}
                  for i, label in enumerate([*labels, add])],
        "keys": {"key": names, "h_hex": key_hex},
        "drawn": [{"index": i, "key": names[i], "h_hex": key_hex[i], "pos": key_hashes[i] / RING} for i in drawn],
        "table": table,
        "expected": expected,
        "add_label": add,
        "remove_label": remove,
        "servers_after_add": n + 1,
    }
    return Trace(id=ID, seed=seed, params=p, steps=steps, summary=summary)
