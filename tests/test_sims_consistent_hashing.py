"""Tests for sims.consistent_hashing: the ring and mod-N rules by hand, the storyboard's invariants
checked from the trace JSON alone, uhashring 2.5 as a differential reference, the published spreads
over 300 seeds, the catalog story, determinism and parameter errors."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from bisect import bisect_right
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from uhashring import HashRing

from render.catalog import load_catalog
from sims import consistent_hashing as ch
from sims.consistent_hashing import Point
from sims.params import ParamError

ROOT = Path(__file__).resolve().parents[1]
RING = 2**128
EVENTS = ["modn_5", "modn_6", "ring_low", "ring_low_add", "ring_high", "ring_high_add", "ring_high_remove"]
BASELINE = {"modn_6": "modn_5", "ring_low_add": "ring_low", "ring_high_add": "ring_high",
            "ring_high_remove": "ring_high_add"}
STEP_FIELDS = {"t", "event", "scheme", "vnodes", "labels", "points", "arcs", "arc_share", "owner", "baseline",
               "moved", "moved_fraction", "moved_from", "moved_to", "donors", "receivers", "load",
               "max_over_mean", "load_cv", "drawn_mod", "drawn_point"}
STATS_SEEDS = range(300)


def run_json(seed: int, **params: Any) -> dict[str, Any]:
    """The trace as a consumer sees it: parsed back from its JSON."""
    return json.loads(ch.simulate(seed, **params).to_json())


@lru_cache(maxsize=1)
def catalog_entry() -> tuple[int, dict[str, Any]]:
    entry = load_catalog().get(ch.ID)
    return entry.seed, dict(entry.params)


@lru_cache(maxsize=1)
def catalog_trace() -> dict[str, Any]:
    seed, params = catalog_entry()
    return run_json(seed, **params)


# ---------------------------------------------------------------- independent checkers (read JSON only)
_PARSED: dict[int, tuple[list[str], list[int]]] = {}


def _key_hashes(data: dict[str, Any]) -> list[int]:
    """The keys' hashes as integers (parsed once per trace: several checkers need them)."""
    hexes = data["summary"]["keys"]["h_hex"]
    cached = _PARSED.get(id(hexes))
    if cached is None or cached[0] is not hexes:
        _PARSED.clear()
        cached = _PARSED[id(hexes)] = (hexes, [int(h, 16) for h in hexes])
    return cached[1]


def _steps(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["event"]: step for step in data["steps"]}


def _successors(step: dict[str, Any], hashes: list[int], skip: str | None = None) -> list[str]:
    """Label of the first point strictly after each hash (wrapping), optionally ignoring one server."""
    points = [(int(p["h_hex"], 16), p["label"]) for p in step["points"] if p["label"] != skip]
    ph = [h for h, _ in points]
    return [points[bisect_right(ph, h) % len(points)][1] for h in hashes]


def check_structure(data: dict[str, Any]) -> None:
    """Shape of the trace, names and hashes (md5 recomputed here), and the summary's bookkeeping."""
    p, summary, steps = data["params"], data["summary"], data["steps"]
    n, add, remove = p["n_nodes"], p["add_label"], p["remove_label"]
    labels = [chr(65 + i) for i in range(n)]
    assert [s["event"] for s in steps] == EVENTS and [s["t"] for s in steps] == list(range(7))
    assert all(set(s) == STEP_FIELDS for s in steps)
    nodes = summary["nodes"]
    assert [x["label"] for x in nodes] == [*labels, add] and [x["color_index"] for x in nodes] == list(range(n + 1))
    for x in nodes:
        prefix, _, digits = x["node_id"].partition("-")
        assert prefix == x["label"] and len(digits) == 4 and int(digits, 16) >= 0
    keys = summary["keys"]
    assert len(keys["key"]) == len(keys["h_hex"]) == p["n_keys"] and len(set(keys["key"])) == p["n_keys"]
    for name, h in zip(keys["key"][:500], keys["h_hex"][:500]):
        assert name.startswith("k-") and len(name) == 10
        assert hashlib.md5(name.encode()).hexdigest() == h
    drawn = summary["drawn"]
    assert len(drawn) == p["n_keys_drawn"] and [d["index"] for d in drawn] == sorted({d["index"] for d in drawn})
    for d in drawn:
        i = d["index"]
        assert (d["key"], d["h_hex"]) == (keys["key"][i], keys["h_hex"][i])
        assert d["pos"] == int(d["h_hex"], 16) / RING and hashlib.md5(d["key"].encode()).hexdigest() == d["h_hex"]
    ids = {x["label"]: x["node_id"] for x in nodes}
    by = _steps(data)
    expected_labels = {"modn_5": labels, "modn_6": [*labels, add], "ring_low": labels, "ring_low_add": [*labels, add],
                       "ring_high": labels, "ring_high_add": [*labels, add],
                       "ring_high_remove": [x for x in [*labels, add] if x != remove]}
    for event, step in by.items():
        assert step["labels"] == expected_labels[event]
        assert step["baseline"] == BASELINE.get(event)
        ring = step["scheme"] == "ring"
        assert step["scheme"] == ("ring" if event.startswith("ring") else "modn")
        vnodes = p["vnodes_low"] if "low" in event else p["vnodes_high"]
        assert step["vnodes"] == (vnodes if ring else None)
        assert (step["points"] is None) == (step["arcs"] is None) == (step["arc_share"] is None) == (not ring)
        assert (step["drawn_mod"] is None) == ring and (step["drawn_point"] is None) == (not ring)
        if ring:
            hs = [int(pt["h_hex"], 16) for pt in step["points"]]
            assert hs == sorted(hs) and len(set(hs)) == len(hs)
            assert sorted((pt["label"], pt["vnode"]) for pt in step["points"]) == \
                [(label, v) for label in step["labels"] for v in range(vnodes)]
            for pt, h in zip(step["points"], hs):
                assert pt["pos"] == h / RING
            for pt in step["points"][::max(1, len(hs) // 40)]:  # md5 recomputed for a spread of points
                assert hashlib.md5(f"{ids[pt['label']]}-{pt['vnode']}".encode()).hexdigest() == pt["h_hex"]
            pos = [pt["pos"] for pt in step["points"]]
            assert step["arcs"] == [{"start": s, "end": e, "owner": pt["label"]}
                                    for s, e, pt in zip([pos[-1], *pos[:-1]], pos, step["points"])]
    table = summary["table"]
    assert [row["row"] for row in table] == ["mod-N", f"ring V={p['vnodes_low']}", f"ring V={p['vnodes_high']}"]
    for row, (before, after) in zip(table, [("modn_5", "modn_6"), ("ring_low", "ring_low_add"),
                                            ("ring_high", "ring_high_add")]):
        assert row["moved_on_add"] == by[after]["moved_fraction"]
        assert row["max_over_mean"] == by[before]["max_over_mean"]
    assert [row["ring_points"] for row in table] == [None, n * p["vnodes_low"], n * p["vnodes_high"]]
    assert summary["servers_after_add"] == n + 1
    exp = summary["expected"]
    assert math.isclose(exp["ring_moved_on_add"], 1 / (n + 1)) and math.isclose(exp["modn_moved_on_add"], n / (n + 1))
    assert math.isclose(exp["per_donor_on_add"], 1 / (n * (n + 1)))
    for key, v in (("share_cv_low", p["vnodes_low"]), ("share_cv_high", p["vnodes_high"])):
        assert math.isclose(exp[key], math.sqrt((n - 1) / (n * v + 1)))
    assert (summary["hash"], summary["add_label"], summary["remove_label"]) == ("md5", add, remove)


def check_one_owner(data: dict[str, Any]) -> None:
    """Invariant 1: n_keys owners per step, each one of the step's labels."""
    n_keys = data["params"]["n_keys"]
    for step in data["steps"]:
        assert isinstance(step["owner"], str) and len(step["owner"]) == n_keys, f"{step['event']}: owner count"
        assert set(step["owner"]) <= set(step["labels"]), f"{step['event']}: owner outside labels"


def check_successor(data: dict[str, Any]) -> None:
    """Invariant 2: each ring owner is the server of the first point strictly after the key (wrapping)."""
    hashes = _key_hashes(data)
    drawn = [d["index"] for d in data["summary"]["drawn"]]
    for step in data["steps"]:
        if step["scheme"] != "ring":
            continue
        assert "".join(_successors(step, hashes)) == step["owner"], f"{step['event']}: successor rule"
        ph = [int(pt["h_hex"], 16) for pt in step["points"]]
        assert step["drawn_point"] == [bisect_right(ph, hashes[i]) % len(ph) for i in drawn]


def check_adding(data: dict[str, Any]) -> None:
    """Invariant 3: on an addition every moved key goes to the new server, and exactly the keys in its arcs move."""
    add, hashes, by = data["params"]["add_label"], _key_hashes(data), _steps(data)
    for event in ("ring_low_add", "ring_high_add"):
        step = by[event]
        in_new_arcs = [i for i, label in enumerate(_successors(step, hashes)) if label == add]
        assert step["moved"] == in_new_arcs, f"{event}: moved keys are not the keys in {add}'s arcs"
        assert all(step["owner"][i] == add for i in step["moved"])
        assert step["receivers"] == ([add] if in_new_arcs else [])


def check_removing(data: dict[str, Any]) -> None:
    """Invariant 4: on the removal exactly the leaving server's keys move, each to the next surviving point."""
    remove, hashes, by = data["params"]["remove_label"], _key_hashes(data), _steps(data)
    before, after = by["ring_high_add"], by["ring_high_remove"]
    owned = [i for i, label in enumerate(before["owner"]) if label == remove]
    assert after["moved"] == owned, "removal moved other keys than the leaving server's"
    heirs = _successors(before, [hashes[i] for i in owned], skip=remove)
    assert [after["owner"][i] for i in owned] == heirs, "a key did not go to the next surviving point"
    assert after["donors"] == ([remove] if owned else [])
    if after["vnodes"] == 1:
        assert len(after["receivers"]) <= 1, "with one point each, one successor takes the whole arc"


def check_accounting(data: dict[str, Any]) -> None:
    """Invariant 5 (and the moved lists): loads, shares and moved counts add up."""
    n_keys, by = data["params"]["n_keys"], _steps(data)
    for step in data["steps"]:
        owner, labels = step["owner"], step["labels"]
        assert step["load"] == {label: owner.count(label) for label in labels}
        assert sum(step["load"].values()) == n_keys
        loads = list(step["load"].values())
        assert step["max_over_mean"] == pytest.approx(max(loads) / (n_keys / len(labels)), rel=1e-12)
        mean = n_keys / len(labels)
        cv = math.sqrt(sum((x - mean) ** 2 for x in loads) / len(loads)) / mean
        assert step["load_cv"] == pytest.approx(cv, rel=1e-9, abs=1e-12)
        base = by.get(step["baseline"]) if step["baseline"] else None
        moved = step["moved"]
        if base is None:
            assert moved == [] and step["moved_fraction"] == 0.0
            assert step["moved_from"] == step["moved_to"] == {label: 0 for label in labels}
        else:
            assert moved == [i for i in range(n_keys) if base["owner"][i] != owner[i]]
            assert step["moved_fraction"] == len(moved) / n_keys
            gave, took = Counter(base["owner"][i] for i in moved), Counter(owner[i] for i in moved)
            assert step["moved_from"] == {x: gave[x] for x in base["labels"]}
            assert step["moved_to"] == {x: took[x] for x in labels}
        assert sum(step["moved_from"].values()) == sum(step["moved_to"].values()) == len(moved)
        assert step["donors"] == sorted(x for x, v in step["moved_from"].items() if v)
        assert step["receivers"] == sorted(x for x, v in step["moved_to"].items() if v)
        if step["scheme"] == "ring":
            shares = step["arc_share"]
            assert list(shares) == labels and abs(math.fsum(shares.values()) - 1.0) <= 1e-9
            hs = [int(pt["h_hex"], 16) for pt in step["points"]]
            exact = dict.fromkeys(labels, 0)
            for prev, h, pt in zip([hs[-1], *hs[:-1]], hs, step["points"]):
                exact[pt["label"]] += (h - prev) % RING or (RING if len(hs) == 1 else 0)
            assert shares == {x: exact[x] / RING for x in labels}


def check_modn(data: dict[str, Any]) -> None:
    """Invariant 6: owners are labels[h mod N]; a key moves exactly when h mod N != h mod (N + 1)."""
    hashes, by = _key_hashes(data), _steps(data)
    drawn = [d["index"] for d in data["summary"]["drawn"]]
    for event in ("modn_5", "modn_6"):
        step = by[event]
        n = len(step["labels"])
        assert step["owner"] == "".join(step["labels"][h % n] for h in hashes), f"{event}: owner != labels[h % N]"
        assert step["drawn_mod"] == [hashes[i] % n for i in drawn]
    n = data["params"]["n_nodes"]
    assert by["modn_6"]["moved"] == [i for i, h in enumerate(hashes) if h % n != h % (n + 1)]


CHECKERS = (check_structure, check_one_owner, check_successor, check_adding, check_removing, check_accounting,
            check_modn)


def check_all(data: dict[str, Any]) -> None:
    for checker in CHECKERS:
        checker(data)


# ---------------------------------------------------------------- hand cases of the rules
def _hand_ring(*points: tuple[str, int]) -> tuple[Point, ...]:
    return tuple(sorted(Point(h, label, 0) for label, h in points))


def test_ring_hand_case_of_size_100() -> None:
    ring = _hand_ring(("A", 10), ("B", 40), ("C", 70))
    keys = [5, 15, 35, 45, 65, 75, 95]
    owners = [ring[i].label for i in ch.ring_owner_points(ring, keys)]
    assert owners == ["A", "B", "B", "C", "C", "A", "A"]
    bigger = tuple(sorted((*ring, Point(55, "D", 0))))
    after = [bigger[i].label for i in ch.ring_owner_points(bigger, keys)]
    assert [k for k, a, b in zip(keys, owners, after) if a != b] == [45] and after[3] == "D"
    assert ch.arc_lengths(ring) == [RING - 60, 30, 30]


def test_key_on_a_point_goes_to_the_next_point() -> None:
    ring = _hand_ring(("A", 10), ("B", 40), ("C", 70))
    assert [ring[i].label for i in ch.ring_owner_points(ring, [10, 40, 70, 0, RING - 1])] == ["B", "C", "A", "A", "A"]


def test_exact_comparison_when_high_halves_tie() -> None:
    base = 7 << 64
    ring = _hand_ring(("A", base + 5), ("B", base + 9), ("C", (9 << 64)))
    keys = [base + 4, base + 5, base + 8, base + 9, base + 2**63, base - 1]
    assert [ring[i].label for i in ch.ring_owner_points(ring, keys)] == ["A", "B", "B", "C", "C", "A"]


def test_add_and_remove_server_rules() -> None:
    ring = ch.build_ring([("A", "A-0001"), ("B", "B-0002")], 3)
    assert [(p.label, p.vnode) for p in sorted(ring, key=lambda p: (p.label, p.vnode))] == \
        [("A", 0), ("A", 1), ("A", 2), ("B", 0), ("B", 1), ("B", 2)]
    assert all(p.h == int(hashlib.md5(f"{'A-0001' if p.label == 'A' else 'B-0002'}-{p.vnode}".encode()).hexdigest(), 16)
               for p in ring)
    grown = ch.add_server(ring, "C", "C-0003", 3)
    assert len(grown) == 9 and list(grown) == sorted(grown)
    assert ch.remove_server(grown, "C") == ring
    with pytest.raises(ValueError):
        ch.add_server(ring, "A", "A-0001", 3)
    with pytest.raises(ValueError):
        ch.remove_server(ring, "Z")
    assert ch.arc_lengths(ring[:1]) == [RING]


def test_modn_hand_case_3_to_4() -> None:
    keys = list(range(12))
    before, after = ch.modn_owner_indices(keys, 3), ch.modn_owner_indices(keys, 4)
    assert [k for k in keys if before[k] == after[k]] == [0, 1, 2]
    assert sum(a != b for a, b in zip(before, after)) == 9


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**128 - 1), st.integers(1, 40))
def test_modn_stays_iff_residue_below_n(h: int, n: int) -> None:
    stays = ch.modn_owner_indices([h], n) == ch.modn_owner_indices([h], n + 1)
    assert stays == (h % (n * (n + 1)) < n)


def test_hash_is_md5_as_integer() -> None:
    assert ch.hash_int("") == 0xD41D8CD98F00B204E9800998ECF8427E
    assert ch.hash_hex(ch.hash_int("k-00000000")) == hashlib.md5(b"k-00000000").hexdigest()
    assert ch.hash_hex(1) == "0" * 31 + "1"


# ---------------------------------------------------------------- the invariants as properties
def _log_uniform(low: int, high: int) -> st.SearchStrategy[int]:
    """Integers in [low, high], spread evenly on a log scale (ends included)."""
    span = math.log(high / low)
    return st.floats(0.0, span).map(lambda x: min(high, max(low, round(low * math.exp(x)))))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, dict[str, Any], list[str]]:
    n = draw(st.integers(2, ch.MAX_NODES))
    labels = [chr(65 + i) for i in range(n)]
    add = draw(st.sampled_from([c for c in ch.LETTERS if c not in labels]))
    # log-uniform draws with both ends of each range included: the cost grows with points and keys
    low = draw(_log_uniform(1, 200))
    n_keys = draw(_log_uniform(1, 10_000))
    params = {"n_nodes": n, "add_label": add, "remove_label": draw(st.sampled_from([*labels, add])),
              "vnodes_low": low, "vnodes_high": draw(_log_uniform(low, 200)), "n_keys": n_keys,
              "n_keys_drawn": draw(st.integers(0, min(200, n_keys)))}
    return draw(st.integers(0, 2**32 - 1)), params, draw(st.permutations(labels))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_invariants_over_drawn_params(scenario: tuple[int, dict[str, Any], list[str]]) -> None:
    seed, params, order = scenario
    data = run_json(seed, **params)
    check_all(data)
    check_order_independence(data, order)


def check_order_independence(data: dict[str, Any], order: list[str]) -> None:
    """Invariant 7: inserting the servers one by one in ``order`` rebuilds the trace's points and owners."""
    ids = {x["label"]: x["node_id"] for x in data["summary"]["nodes"]}
    hashes = _key_hashes(data)
    for event in ("ring_low", "ring_high"):
        step = _steps(data)[event]
        ring: tuple[Point, ...] = ()
        for label in order:
            ring = ch.add_server(ring, label, ids[label], step["vnodes"])
        assert [(p.label, p.vnode, ch.hash_hex(p.h)) for p in ring] == \
            [(p["label"], p["vnode"], p["h_hex"]) for p in step["points"]]
        assert "".join(ring[i].label for i in ch.ring_owner_points(ring, hashes)) == step["owner"]


def test_checkers_reject_corrupted_traces() -> None:
    clean = catalog_trace()
    check_all(clean)
    by_index = {e: i for i, e in enumerate(EVENTS)}

    def corrupt(event: str, field: str, value: Any) -> dict[str, Any]:
        data = json.loads(json.dumps(clean))
        data["steps"][by_index[event]][field] = value
        return data

    ring_low_add = _steps(clean)["ring_low_add"]
    flipped = ring_low_add["owner"][:-1] + ("A" if ring_low_add["owner"][-1] != "A" else "B")
    points = json.loads(json.dumps(_steps(clean)["ring_high"]["points"]))
    points[0]["label"], points[1]["label"] = points[1]["label"], points[0]["label"]
    high_add = _steps(clean)["ring_high_add"]
    remove_owner = list(_steps(clean)["ring_high_remove"]["owner"])
    first_moved = _steps(clean)["ring_high_remove"]["moved"][0]
    remove_owner[first_moved] = next(x for x in "ABDEF" if x != remove_owner[first_moved])
    cases = [
        (check_one_owner, corrupt("modn_5", "owner", clean["steps"][0]["owner"][:-1])),
        (check_one_owner, corrupt("modn_5", "owner", clean["steps"][0]["owner"][:-1] + "Z")),
        (check_successor, corrupt("ring_low_add", "owner", flipped)),
        (check_successor, corrupt("ring_high", "points", points)),
        (check_adding, corrupt("ring_high_add", "moved", high_add["moved"][1:])),
        (check_removing, corrupt("ring_high_remove", "owner", "".join(remove_owner))),
        (check_accounting, corrupt("ring_high", "load", {**_steps(clean)["ring_high"]["load"], "A": 0})),
        (check_accounting, corrupt("ring_low", "arc_share", {**_steps(clean)["ring_low"]["arc_share"], "A": 0.5})),
        (check_accounting, corrupt("modn_6", "moved_from", {**_steps(clean)["modn_6"]["moved_from"], "F": 1})),
        (check_modn, corrupt("modn_6", "owner", "".join(sorted(clean["steps"][1]["owner"])))),
        (check_structure, corrupt("ring_low", "arcs", _steps(clean)["ring_low"]["arcs"][::-1])),
    ]
    for checker, data in cases:
        with pytest.raises(AssertionError):
            checker(data)


# ---------------------------------------------------------------- uhashring 2.5 as the reference
def _uhashring_owners(ring: HashRing, names: list[str], label_of: dict[str, str]) -> str:
    return "".join(label_of[ring.get_node(name)] for name in names)


@pytest.mark.parametrize("vnodes", [1, 100])
def test_matches_uhashring(vnodes: int) -> None:
    seed, params = catalog_entry()
    data = run_json(seed, **{**params, "vnodes_low": 1, "vnodes_high": 100})
    kind = "low" if vnodes == 1 else "high"
    nodes = {x["label"]: x["node_id"] for x in data["summary"]["nodes"]}
    label_of = {node_id: label for label, node_id in nodes.items()}
    names, by = data["summary"]["keys"]["key"], _steps(data)
    first = [nodes[x] for x in by[f"ring_{kind}"]["labels"]]
    ring = HashRing(nodes=first, vnodes=vnodes)
    assert [(int(p["h_hex"], 16), nodes[p["label"]]) for p in by[f"ring_{kind}"]["points"]] == \
        [tuple(point) for point in ring.get_points()]
    assert _uhashring_owners(ring, names, label_of) == by[f"ring_{kind}"]["owner"]
    ring.add_node(nodes[data["params"]["add_label"]])
    assert _uhashring_owners(ring, names, label_of) == by[f"ring_{kind}_add"]["owner"]
    if kind == "high":
        ring.remove_node(nodes[data["params"]["remove_label"]])
        assert _uhashring_owners(ring, names, label_of) == by["ring_high_remove"]["owner"]


def _exact_shares(points: list[tuple[int, str]]) -> dict[str, float]:
    """Each node's share of the ring from a sorted list of (hash, node) points."""
    lengths: dict[str, int] = {}
    for (prev, _), (h, node) in zip([points[-1], *points[:-1]], points):
        lengths[node] = lengths.get(node, 0) + (h - prev) % RING
    return {node: length / RING for node, length in lengths.items()}


def _binomial_sd(p: float, n: int = 10_000) -> float:
    return math.sqrt(p * (1 - p) / n)


def test_storyboard_uhashring_numbers_for_node_a_to_e() -> None:
    """Names node-A..node-E: the storyboard quotes one draw of 10,000 random keys through uhashring 2.5
    (V = 1 loads 4,722 / 650 / 2,899 / 426 / 1,303, F took 0.45 %; V = 100 max/mean 1.05, F took 16.4 %;
    mod-N moved 83.7 %). The exact ring shares, read from uhashring's own points, must lie within four
    binomial standard deviations of those counts, and the simulator's rules must agree with uhashring."""
    names = ch.key_names(np.random.default_rng(2024), 10_000)
    hashes = [ch.hash_int(name) for name in names]
    servers = [(c, f"node-{c}") for c in "ABCDE"]
    for vnodes in (1, 100):
        ours = ch.build_ring(servers, vnodes)
        reference = HashRing(nodes=[node for _, node in servers], vnodes=vnodes)
        assert [(p.h, f"node-{p.label}") for p in ours] == [tuple(x) for x in reference.get_points()]
        owners = "".join(ours[i].label for i in ch.ring_owner_points(ours, hashes))
        assert owners == "".join(reference.get_node(name)[-1] for name in names)
        shares = _exact_shares([tuple(x) for x in reference.get_points()])
        reference.add_node("node-F")
        grown = _exact_shares([tuple(x) for x in reference.get_points()])
        if vnodes == 1:
            for c, quoted in zip("ABCDE", (4722, 650, 2899, 426, 1303)):
                assert abs(shares[f"node-{c}"] - quoted / 10_000) <= 4 * _binomial_sd(quoted / 10_000), c
            assert abs(grown["node-F"] - 0.0045) <= 4 * _binomial_sd(0.0045)
        else:
            top = max(shares.values())
            assert abs(top * 5 - 1.05) <= 0.005 + 5 * 4 * _binomial_sd(top)
            assert abs(grown["node-F"] - 0.164) <= 4 * _binomial_sd(0.164)
    moved = sum(h % 5 != h % 6 for h in hashes) / 10_000
    assert abs(moved - 0.837) <= 4 * math.sqrt(2) * _binomial_sd(5 / 6) and abs(moved - 5 / 6) <= 0.02


# ---------------------------------------------------------------- published spreads over 300 seeds
@lru_cache(maxsize=1)
def stats_runs() -> list[dict[str, dict[str, Any]]]:
    """Seeds 0-299 on the catalog params with 1,000 keys (the ring statistics need many seeds, not many
    keys; the steps are plain data, read directly for speed)."""
    _, params = catalog_entry()
    return [{s["event"]: s for s in ch.simulate(seed, **{**params, "n_keys": 1000}).steps} for seed in STATS_SEEDS]


def test_modn_moves_five_sixths_for_every_seed() -> None:
    """Karger et al.: N -> N + 1 moves N/(N + 1) of the keys under mod-N; over 10,000 keys within 0.02."""
    _, params = catalog_entry()
    assert math.sqrt((5 / 6) * (1 / 6) / 10_000) == pytest.approx(0.0037, abs=5e-5)
    for seed in range(40):
        step = ch.simulate(seed, **params).steps[1]
        assert step["event"] == "modn_6" and abs(step["moved_fraction"] - 5 / 6) <= 0.02


def test_ring_moves_one_sixth_on_average() -> None:
    """Karger et al.: N -> N + 1 moves 1/(N + 1) of the keys on the ring, on average over seeds."""
    runs = stats_runs()
    low = np.mean([r["ring_low_add"]["moved_fraction"] for r in runs])
    high = np.mean([r["ring_high_add"]["moved_fraction"] for r in runs])
    assert abs(low - 1 / 6) <= 0.03 and abs(high - 1 / 6) <= 0.005


def _beta_sd(a: float, b: float) -> float:
    return math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))


def test_arc_spread_matches_beta() -> None:
    """A server's share of a ring of n servers with V points each is Beta(V, (n - 1) V)."""
    runs = stats_runs()
    assert _beta_sd(1, 5) == pytest.approx(0.141, abs=5e-4) and _beta_sd(100, 500) == pytest.approx(0.0152, abs=5e-5)
    for v, event in ((1, "ring_low_add"), (100, "ring_high_add")):
        f_share = np.array([r[event]["arc_share"]["F"] for r in runs])
        assert abs(f_share.mean() - 1 / 6) <= 3 * _beta_sd(v, 5 * v) / math.sqrt(len(runs))
        assert f_share.std() == pytest.approx(_beta_sd(v, 5 * v), rel=0.15)
    n = 5
    for v, event, quoted in ((1, "ring_low", 0.816), (100, "ring_high", 0.0893)):
        assert math.sqrt((n - 1) / (n * v + 1)) == pytest.approx(quoted, abs=5e-4)
        dev = [(share - 1 / n) * n for r in runs for share in r[event]["arc_share"].values()]
        assert math.sqrt(np.mean(np.square(dev))) == pytest.approx(quoted, rel=0.15)


def _handover(step: dict[str, Any], remove: str) -> dict[str, float]:
    """Share of the leaving server's ring length that each survivor inherits, from the points alone."""
    points = [(int(p["h_hex"], 16), p["label"]) for p in step["points"]]
    got: dict[str, int] = {}
    total = 0
    for k, (h, label) in enumerate(points):
        if label != remove:
            continue
        length = (h - points[k - 1][0]) % RING
        heir = next(points[(k + j) % len(points)][1] for j in range(1, len(points) + 1)
                    if points[(k + j) % len(points)][1] != remove)
        got[heir] = got.get(heir, 0) + length
        total += length
    return {label: length / total for label, length in got.items()}


def test_leaving_load_spreads_dynamo() -> None:
    """DeCandia et al.: with many points the leaving server's keys spread over all survivors (about 1/5
    each, none above half); with one point its single successor takes them all."""
    runs = stats_runs()
    remove = catalog_entry()[1]["remove_label"]
    shares: dict[str, list[float]] = {}
    for r in runs:
        step = r["ring_high_remove"]
        total = len(step["moved"])
        assert total > 0 and step["donors"] == [remove]
        for label in step["labels"]:
            shares.setdefault(label, []).append(step["moved_to"][label] / total)
        arcs = _handover(r["ring_high_add"], remove)
        assert set(arcs) == set(step["labels"]) and max(arcs.values()) <= 0.5
    assert remove not in shares and len(shares) == 5
    for label, values in shares.items():
        assert abs(np.mean(values) - 0.20) <= 0.02, label
    for seed in range(20):
        step = _steps(run_json(seed, vnodes_high=1, n_keys=2000))["ring_high_remove"]
        assert len(step["receivers"]) == 1 and step["moved_to"][step["receivers"][0]] == len(step["moved"])


# ---------------------------------------------------------------- the catalog story and the trace contract
def test_catalog_story() -> None:
    data = catalog_trace()
    check_all(data)
    by = _steps(data)
    seed, params = catalog_entry()
    assert data["seed"] == seed and data["params"] == params
    assert by["ring_low"]["max_over_mean"] >= 1.6
    f_share = by["ring_low_add"]["load"][params["add_label"]] / params["n_keys"]
    assert 0.08 <= f_share <= 0.3 and by["ring_low_add"]["moved_fraction"] == f_share
    assert len(by["ring_low_add"]["donors"]) == 1
    assert by["ring_high"]["max_over_mean"] < by["ring_low"]["max_over_mean"]
    assert by["ring_high_add"]["donors"] == ["A", "B", "C", "D", "E"]
    assert by["ring_high_remove"]["receivers"] == ["A", "B", "D", "E", "F"]
    assert abs(by["modn_6"]["moved_fraction"] - 5 / 6) <= 0.02


def test_trace_contract_and_size() -> None:
    seed, params = catalog_entry()
    assert params == {p.name: p.default for p in ch.PARAMS}
    text = ch.simulate(seed, **params).to_json()
    assert len(text) < 1_000_000
    data = json.loads(text)
    assert set(data) == {"schema_version", "id", "seed", "params", "steps", "summary"}
    assert data["id"] == ch.ID == Path(ch.__file__).stem.replace("_", "-")
    doc = ch.__doc__
    sections = ["Model\n-----", "Invariants\n----------", "Leaves out\n----------", "Trace\n-----"]
    assert all(s in doc for s in sections) and [doc.index(s) for s in sections] == sorted(doc.index(s) for s in sections)
    assert len([line for line in doc.split("Invariants\n----------")[1].split("Leaves out")[0].splitlines()
                if line[:2].rstrip(".").isdigit()]) == 7


# ---------------------------------------------------------------- determinism, isolation, parameters
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    code = ("import sys; from sims.consistent_hashing import simulate; "
            "sys.stdout.write(simulate(3, n_keys=3000, vnodes_high=50).to_json())")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second == ch.simulate(3, n_keys=3000, vnodes_high=50).to_json().encode()
    assert ch.simulate(4, n_keys=3000).to_json() != ch.simulate(3, n_keys=3000).to_json()


def test_import_pulls_no_heavy_modules() -> None:
    code = ("import sys, sims.consistent_hashing; "
            "print(sorted(m for m in ('manim', 'scipy', 'torch', 'networkx', 'uhashring') if m in sys.modules))")
    assert _in_subprocess(code, "0").strip() == b"[]"


@pytest.mark.parametrize("params, field", [
    ({"n_nodes": 1}, "n_nodes"),
    ({"n_nodes": 11}, "n_nodes"),
    ({"n_nodes": 5.0}, "n_nodes"),
    ({"vnodes_low": 0}, "vnodes_low"),
    ({"vnodes_low": 201, "vnodes_high": 200}, "vnodes_low"),
    ({"vnodes_high": 201}, "vnodes_high"),
    ({"n_keys": 0}, "n_keys"),
    ({"n_keys": 10_001}, "n_keys"),
    ({"n_keys_drawn": -1}, "n_keys_drawn"),
    ({"n_keys_drawn": 201}, "n_keys_drawn"),
    ({"add_label": "FF"}, "add_label"),
    ({"add_label": "f"}, "add_label"),
    ({"remove_label": ""}, "remove_label"),
    ({"add_label": "C"}, "add_label"),
    ({"n_nodes": 6}, "add_label"),
    ({"remove_label": "G"}, "remove_label"),
    ({"n_nodes": 2}, "remove_label"),
    ({"vnodes_low": 50, "vnodes_high": 10}, "vnodes_high"),
    ({"n_keys": 30, "n_keys_drawn": 31}, "n_keys_drawn"),
    ({"hash": "sha1"}, "hash"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        ch.simulate(0, **params)
    assert err.value.field == field


def test_edge_params_are_valid() -> None:
    check_all(run_json(0, n_nodes=2, add_label="Z", remove_label="Z", vnodes_low=200, vnodes_high=200,
                       n_keys=1, n_keys_drawn=1))
    check_all(run_json(1, n_nodes=10, add_label="K", remove_label="J", vnodes_low=1, vnodes_high=1,
                       n_keys=10_000, n_keys_drawn=0))


def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py):
    which server gives up keys when the new one lands on one point (asked only with one point per server),
    who gives up keys when it lands with many points, and where a leaving server's keys go."""
    p, s, by = trace["params"], trace["summary"], _steps(trace)
    add, n = s["add_label"], p["n_nodes"]
    answers = []
    if p["vnodes_low"] == 1:
        ring = [(int(pt["h_hex"], 16), pt["label"]) for pt in by["ring_low"]["points"]]
        joined = next(int(pt["h_hex"], 16) for pt in by["ring_low_add"]["points"] if pt["label"] == add)
        answers.append(next((label for h, label in ring if h > joined), ring[0][1]))
    gave = [x for x, v in by["ring_high_add"]["moved_from"].items() if v]
    answers.append({n: f"a little from all {n} servers", 1: "only its clockwise neighbour",
                    0: "nobody: no key moves"}.get(len(gave), f"{len(gave)} of the {n} servers"))
    took = [x for x, v in by["ring_high_remove"]["moved_to"].items() if v]
    answers.append("spread over the others" if len(took) > 1 else "all to one neighbour")
    return answers


def test_checkpoint_answers_tell_the_catalog_story() -> None:
    data = catalog_trace()
    donor = next(iter(_steps(data)["ring_low_add"]["donors"]))
    assert checkpoint_answers(data) == [donor, f"a little from all {data['params']['n_nodes']} servers",
                                        "spread over the others"]
