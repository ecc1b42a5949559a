"""Tests for sims.gossip_protocol: the round rule on its own, the storyboard's invariants checked from the
trace JSON alone, the closed-form first rounds, the exact Markov chain, the published log N figures and
the storyboard's Monte Carlo means, the catalog seed's story, determinism and parameter errors.

The statistics over thousands of runs use the simulator's vectorized batch engine (``run_batch``, the
engine of ``summary.scaling``) and, over hundreds of seeds, the traced runs of ``simulate`` itself."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.catalog import load_catalog
from sims import gossip_protocol as gp
from sims.params import ParamError

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = {p.name: p.default for p in gp.PARAMS}
VARIANTS = {v["name"]: v for v in DEFAULTS["variants"]}
NO_SCALING = {"scaling_variants": []}
PROPERTY = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def run(seed: int, params: dict[str, Any]) -> dict[str, Any]:
    return json.loads(gp.simulate(seed, **params).to_json())


@lru_cache(maxsize=None)
def run_cached(seed: int, params_json: str = "{}") -> dict[str, Any]:
    return run(seed, json.loads(params_json))


def by_variant(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for step in d["steps"]:
        out.setdefault(step["variant"], []).append(step)
    return out


# ---------------------------------------------------------------- invariant checkers (trace JSON only)
def check_layout(d: dict[str, Any]) -> None:
    p, n = d["params"], d["params"]["n_nodes"]
    runs = by_variant(d)
    names = [v["name"] for v in p["variants"]]
    assert list(runs) == names, "steps grouped by variant, in params order"
    assert [s["variant"] for s in d["steps"]] == [name for name in names for _ in runs[name]]
    for v in p["variants"]:
        steps = runs[v["name"]]
        assert [s["round"] for s in steps] == list(range(len(steps)))
        assert [s["event"] for s in steps] == ["origin"] + ["round"] * (len(steps) - 1)
        for s in steps:
            assert (s["mode"], s["fanout"], s["loss_prob"]) == (v["mode"], v["fanout"], v["loss_prob"])
            assert len(s["infected"]) == n
            assert s["fraction"] == round(s["infected_count"] / n, 6)
            keys = [(c["src"], c["dst"]) for c in s["contacts"]]
            assert keys == sorted(keys), "contacts sorted by (src, dst)"
            assert all(c["effect"] in gp.EFFECTS for c in s["contacts"])


def check_monotone(d: dict[str, Any]) -> None:
    """Invariant 1."""
    origin = d["summary"]["origin"]
    for name, steps in by_variant(d).items():
        first = steps[0]
        assert first["infected"] == [i == origin for i in range(len(first["infected"]))]
        assert first["infected_count"] == 1 and first["newly_infected"] == [origin] and first["contacts"] == []
        infected_at: dict[int, int] = {origin: 0}
        for prev, cur in zip(steps, steps[1:]):
            assert cur["infected_count"] == prev["infected_count"] + len(cur["newly_infected"])
            assert cur["infected_count"] == sum(cur["infected"])
            assert all(b for a, b in zip(prev["infected"], cur["infected"]) if a), "a server forgot"
            gained = [i for i, (a, b) in enumerate(zip(prev["infected"], cur["infected"])) if b and not a]
            assert cur["newly_infected"] == gained
            infected_at.update({i: cur["round"] for i in gained})
        summary_at = d["summary"]["runs"][name]["infected_at"]
        assert summary_at == [infected_at.get(i) for i in range(len(summary_at))]


def check_causality(d: dict[str, Any]) -> None:
    """Invariant 2, and every contact's effect recomputed."""
    for steps in by_variant(d).values():
        for prev, cur in zip(steps, steps[1:]):
            start, push = prev["infected"], cur["mode"] == "push"
            reached: set[int] = set()
            for c in cur["contacts"]:
                expect = "none"
                if c["delivered"] and start[c["src"]] and not start[c["dst"]] and c["dst"] not in reached:
                    expect = "infect_dst"
                elif c["delivered"] and start[c["dst"]] and not start[c["src"]] and c["src"] not in reached \
                        and not push:
                    expect = "infect_src"
                if expect != "none":
                    reached.add(c["dst"] if expect == "infect_dst" else c["src"])
                assert c["effect"] == expect, f"round {cur['round']} contact {c}"
            assert sorted(reached) == cur["newly_infected"]
            for node in cur["newly_infected"]:
                assert any(c["delivered"] and ((c["dst"] == node and start[c["src"]]) or
                                               (not push and c["src"] == node and start[c["dst"]]))
                           for c in cur["contacts"])
            if push:
                assert all(c["effect"] != "infect_src" for c in cur["contacts"])


def check_senders(d: dict[str, Any]) -> None:
    """Invariant 3."""
    n = d["params"]["n_nodes"]
    for steps in by_variant(d).values():
        for prev, cur in zip(steps, steps[1:]):
            per_src: dict[int, list[int]] = {}
            for c in cur["contacts"]:
                assert c["src"] != c["dst"] and 0 <= c["dst"] < n
                per_src.setdefault(c["src"], []).append(c["dst"])
            expected = [i for i, x in enumerate(prev["infected"]) if x] if cur["mode"] == "push" else list(range(n))
            assert sorted(per_src) == expected, "senders"
            assert all(len(set(v)) == len(v) == cur["fanout"] for v in per_src.values()), "fanout distinct peers"
            assert cur["messages"] == len(cur["contacts"])


def check_growth(d: dict[str, Any]) -> None:
    """Invariant 4."""
    for steps in by_variant(d).values():
        for prev, cur in zip(steps, steps[1:]):
            if cur["mode"] == "push":
                assert len(cur["newly_infected"]) <= cur["fanout"] * prev["infected_count"]
            else:
                start = prev["infected"]
                mixed = sum(c["delivered"] and start[c["src"]] != start[c["dst"]] for c in cur["contacts"])
                assert len(cur["newly_infected"]) <= mixed


def check_accounting(d: dict[str, Any]) -> None:
    """Invariant 5, and the run summaries that add messages up."""
    for name, steps in by_variant(d).items():
        total = useless = lost = useful = 0
        overtakes = None
        sends: dict[int, int] = {}
        for s in steps[1:]:
            if s["loss_prob"] == 0:
                assert all(c["delivered"] for c in s["contacts"])
            assert s["useless_messages"] == sum(c["delivered"] and c["effect"] == "none" for c in s["contacts"])
            assert s["lost_messages"] == sum(not c["delivered"] for c in s["contacts"])
            total, useless, lost = total + s["messages"], useless + s["useless_messages"], lost + s["lost_messages"]
            useful += len(s["newly_infected"])
            assert (s["cumulative_messages"], s["cumulative_useless"]) == (total, useless)
            if overtakes is None and useless > useful:
                overtakes = s["round"]
            for c in s["contacts"]:
                sends[c["src"]] = sends.get(c["src"], 0) + 1
        summ = d["summary"]["runs"][name]
        assert summ["total_messages"] == total == steps[-1]["cumulative_messages"]
        assert (summ["useless_messages"], summ["lost_messages"]) == (useless, lost)
        assert summ["useless_overtakes_round"] == overtakes
        assert summ["busiest_sends"] == max(sends.values(), default=0)
        assert summ["curve"] == [s["fraction"] for s in steps]


def check_termination(d: dict[str, Any]) -> None:
    """Invariant 6."""
    n, max_rounds = d["params"]["n_nodes"], d["params"]["max_rounds"]
    for name, steps in by_variant(d).items():
        last, summ = steps[-1], d["summary"]["runs"][name]
        assert all(s["infected_count"] < n for s in steps[:-1])
        if last["infected_count"] == n:
            assert summ["rounds_to_full"] == last["round"] <= max_rounds
        else:
            assert last["round"] == max_rounds and summ["rounds_to_full"] is None


def _dominated(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Coupling order: a never knows more than b."""
    return ((a["mode"] == "push" or b["mode"] == "pushpull") and a["fanout"] <= b["fanout"]
            and a["loss_prob"] >= b["loss_prob"])


def check_coupling(d: dict[str, Any]) -> None:
    """Invariant 8: shared draws make variants ordered round by round."""
    runs, n = by_variant(d), d["params"]["n_nodes"]
    for a in d["params"]["variants"]:
        for b in d["params"]["variants"]:
            if a is b or not _dominated(a, b):
                continue
            sa, sb = runs[a["name"]], runs[b["name"]]
            for r in range(max(len(sa), len(sb))):
                ia = sa[min(r, len(sa) - 1)]["infected"]
                ib = sb[r]["infected"] if r < len(sb) else [True] * n
                assert all(y for x, y in zip(ia, ib) if x), f"{a['name']} knows more than {b['name']} in round {r}"


def check_summary(d: dict[str, Any]) -> None:
    p, summ = d["params"], d["summary"]
    n = p["n_nodes"]
    assert 0 <= summ["origin"] < n
    fanout = p["variants"][0]["fanout"]
    assert summ["baseline_direct"] == {"fanout": fanout, "rounds": math.ceil((n - 1) / fanout), "messages": n - 1}
    cells = [(s["n"], s["variant"]) for s in summ["scaling"]]
    assert cells == [(size, name) for size in p["scaling_sizes"] for name in p["scaling_variants"]]
    means = {}
    for s in summ["scaling"]:
        assert s["runs"] == p["scaling_runs"] and 0 <= s["finished"] <= s["runs"]
        assert s["theory_push_rounds"] == round(math.log2(s["n"]) + math.log(s["n"]), 6)
        if s["finished"]:
            assert 1 <= s["min_rounds"] <= s["mean_rounds"] <= s["max_rounds"] <= p["max_rounds"]
        else:
            assert s["mean_rounds"] is s["min_rounds"] is s["max_rounds"] is None
        means[(s["variant"], s["n"])] = s["mean_rounds"]
    sizes = p["scaling_sizes"]
    low = n if n in sizes else sizes[0]
    for g, name in zip(summ["scaling_growth"], p["scaling_variants"], strict=True):
        a, b = means[(name, low)], means[(name, sizes[-1])]
        assert (g["variant"], g["from_n"], g["to_n"]) == (name, low, sizes[-1])
        assert g["size_ratio"] == round(sizes[-1] / low, 6)
        assert g["extra_rounds"] == (None if a is None or b is None else round(b - a, 6))


INVARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "layout": check_layout,
    "1 monotone spread": check_monotone,
    "2 causality": check_causality,
    "3 sender discipline": check_senders,
    "4 growth bound": check_growth,
    "5 message accounting": check_accounting,
    "6 termination": check_termination,
    "8 coupling": check_coupling,
    "summary": check_summary,
}


def check_all(d: dict[str, Any], note: str = "") -> None:
    for label, check in INVARIANTS.items():
        try:
            check(d)
        except AssertionError as err:
            err.add_note(f"invariant {label}; {note}")
            raise


# ---------------------------------------------------------------- strategies
@st.composite
def param_sets(draw: st.DrawFn) -> dict[str, Any]:
    """Every parameter over its range; scaling kept small so that 200 examples stay quick."""
    n = draw(st.sampled_from([2, 3, 4, 9, 64, 255, 256]) | st.integers(2, 80))
    variants = []
    for i in range(draw(st.integers(1, 6))):
        variants.append({"name": f"v{i}", "mode": draw(st.sampled_from(gp.MODES)),
                         "fanout": draw(st.integers(1, min(8, n - 1))),
                         "loss_prob": draw(st.sampled_from([0.0, 0.5]) | st.floats(0.0, 0.5))})
    sizes = sorted(set(draw(st.lists(st.integers(2, 300), min_size=1, max_size=3))))
    eligible = [v["name"] for v in variants if v["fanout"] <= sizes[0] - 1]
    scaling = draw(st.lists(st.sampled_from(eligible), unique=True, max_size=2)) if eligible else []
    return {"n_nodes": n, "variants": variants, "max_rounds": draw(st.sampled_from([1, 2, 200]) | st.integers(1, 60)),
            "scaling_sizes": sizes, "scaling_variants": scaling, "scaling_runs": draw(st.integers(1, 12))}


any_params = st.one_of(st.just(NO_SCALING), param_sets())


@PROPERTY
@given(seed=seeds, params=any_params)
def test_invariants_hold(seed: int, params: dict[str, Any]) -> None:
    check_all(run(seed, params), f"seed={seed} params={params}")


@pytest.mark.parametrize("seed", [0, 7])
def test_invariants_on_defaults(seed: int) -> None:
    check_all(run_cached(seed))


def _corrupt(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    d = json.loads(json.dumps(run_cached(7, json.dumps(NO_SCALING))))
    mutate(d)
    return d


def _step(d: dict[str, Any], variant: str, rnd: int) -> dict[str, Any]:
    return by_variant(d)[variant][rnd]


def _forget(d: dict[str, Any]) -> None:
    s = _step(d, "push_f1", 3)
    i = s["infected"].index(True)
    s["infected"][i] = False


def _useless_to_useful(d: dict[str, Any]) -> None:
    s = _step(d, "push_f1", 8)
    c = next(c for c in s["contacts"] if c["effect"] == "none")
    c["effect"] = "infect_dst"


def _drop_sender(d: dict[str, Any]) -> None:
    s = _step(d, "push_f2", 2)
    s["contacts"].pop()
    s["messages"] -= 1


def _more_lossy_infected(d: dict[str, Any]) -> None:
    lossy, lossless = _step(d, "push_f1_loss25", 4), _step(d, "push_f1", 4)
    i = next(i for i, (a, b) in enumerate(zip(lossy["infected"], lossless["infected"])) if not a and not b)
    lossy["infected"][i] = True


CORRUPTIONS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("1 monotone spread", _forget),
    ("1 monotone spread", lambda d: d["summary"]["runs"]["push_f1"]["infected_at"].__setitem__(0, 99)),
    ("2 causality", _useless_to_useful),
    ("3 sender discipline", _drop_sender),
    ("3 sender discipline", lambda d: _step(d, "push_f1", 2)["contacts"][0].update(dst=_step(d, "push_f1", 2)
                                                                                    ["contacts"][0]["src"])),
    ("4 growth bound", lambda d: _step(d, "push_f1", 1)["newly_infected"].extend([60, 61, 62])),
    ("5 message accounting", lambda d: _step(d, "push_f1", 5).update(cumulative_messages=0)),
    ("5 message accounting", lambda d: _step(d, "push_f1", 2)["contacts"][0].update(delivered=False)),
    ("6 termination", lambda d: d["summary"]["runs"]["push_f2"].update(rounds_to_full=None)),
    ("8 coupling", _more_lossy_infected),
    ("summary", lambda d: d["summary"]["baseline_direct"].update(rounds=62)),
]


@pytest.mark.parametrize("label, mutate", CORRUPTIONS)
def test_checkers_reject_corrupted_traces(label: str, mutate: Callable[[dict[str, Any]], None]) -> None:
    check_all(run_cached(7, json.dumps(NO_SCALING)))
    with pytest.raises(AssertionError):
        INVARIANTS[label](_corrupt(mutate))


@pytest.mark.parametrize("bug", ["self_pick", "two_hops_per_round", "forget_loss"])
def test_planted_rule_bugs_are_caught(bug: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if bug == "self_pick":
        real = gp.place_picks
        monkeypatch.setattr(gp, "place_picks", lambda raw, src: real(raw, src) - (real(raw, src) > src[:, None]))
    elif bug == "two_hops_per_round":  # servers informed this round already pass it on
        real_apply = gp.apply_round
        monkeypatch.setattr(gp, "apply_round",
                            lambda s, a, b, ok, mode: real_apply(real_apply(s, a, b, ok, mode), a, b, ok, mode))
    else:
        real_apply = gp.apply_round
        monkeypatch.setattr(gp, "apply_round", lambda s, a, b, ok, mode: real_apply(s, a, b, None, mode))
    caught = 0
    for seed in range(5):
        try:
            check_all(run(seed, NO_SCALING))
        except AssertionError:
            caught += 1
    assert caught == 5


# ---------------------------------------------------------------- the round rule on its own
def test_place_picks_steps_past_earlier_picks_and_the_sender() -> None:
    raw = np.array([[0, 0, 0], [2, 2, 1], [4, 0, 3]])
    picks = gp.place_picks(raw, np.array([0, 2, 5]))
    assert picks.tolist() == [[1, 2, 3], [3, 4, 1], [4, 0, 6]]


def test_pick_peers_is_uniform_over_distinct_others() -> None:
    n, k = 6, 60_000
    src = np.full(k, 2)
    picks = gp.pick_peers(np.random.default_rng(5), src, n, 2)
    assert np.all(picks != 2) and np.all(picks[:, 0] != picks[:, 1])
    for j in range(2):
        freq = np.bincount(picks[:, j], minlength=n) / k
        assert freq[2] == 0 and np.allclose(np.delete(freq, 2), 0.2, atol=0.01)
    pairs = np.bincount(np.sort(picks, axis=1) @ np.array([n, 1]), minlength=n * n) / k
    assert np.allclose(pairs[pairs > 0], 0.1, atol=0.01) and np.count_nonzero(pairs) == 10


def test_apply_round_push_and_pushpull() -> None:
    state = np.array([True, False, False, True])
    src, dst = np.array([0, 1, 2, 3]), np.array([1, 3, 0, 2])
    assert gp.apply_round(state, src, dst, None, "push").tolist() == [True, True, True, True]
    assert gp.apply_round(state, src[[0, 3]], dst[[0, 3]], np.array([True, False]), "push").tolist() == \
        [True, True, False, True]
    assert gp.apply_round(state, src[1:3], dst[1:3], None, "push").tolist() == state.tolist()
    assert gp.apply_round(state, src[1:3], dst[1:3], None, "pushpull").tolist() == [True, True, True, True]
    assert gp.apply_round(state, src[1:3], dst[1:3], np.array([False, True]), "pushpull").tolist() == \
        [True, False, True, True]


def test_contact_effects_first_contact_wins() -> None:
    start = [True, False, True, False]
    contacts = [(0, 1, True), (0, 3, False), (1, 0, True), (2, 1, True), (2, 3, True), (3, 2, True)]
    assert gp.contact_effects(start, contacts) == ["infect_dst", "none", "none", "none", "infect_dst", "none"]
    assert gp.contact_effects([False, True], [(0, 1, True), (1, 0, True)]) == ["infect_src", "none"]


def test_baseline_direct() -> None:
    assert gp.baseline_direct(64, 1) == {"fanout": 1, "rounds": 63, "messages": 63}
    assert gp.baseline_direct(64, 2) == {"fanout": 2, "rounds": 32, "messages": 63}


def test_round_tables_share_columns_across_fanouts() -> None:
    one, three = gp.round_table(9, 4, 64, 1), gp.round_table(9, 4, 64, 3)
    assert np.array_equal(one.raw[:, 0], three.raw[:, 0]) and np.array_equal(one.coins[:, 0], three.coins[:, 0])
    assert three.raw[:, 2].max() < 62 and not np.array_equal(gp.round_table(9, 5, 64, 1).raw, one.raw)


def test_batch_engine_matches_its_own_bookkeeping() -> None:
    res = gp.run_batch(np.random.default_rng(3), 64, 300, "push", 2, 0.25, 60)
    assert res.counts.shape == (300, 61) and np.all(np.diff(res.counts, axis=1) >= 0)
    full = res.rounds_to_full
    assert np.all((full == -1) | (res.counts[np.arange(300), np.maximum(full, 0)] == 64))
    assert np.all(res.counts[np.arange(300), np.maximum(full - 1, 0)][full > 0] < 64)
    sent = [2 * res.counts[i, :full[i]].sum() for i in range(300)]
    assert res.messages.tolist() == sent


# ---------------------------------------------------------------- reference: closed forms and the Markov chain
def expected_i2_push(n: int, f: int) -> float:
    return n - (n - 1 - f) * (1 - f / (n - 1)) ** (1 + f)


def expected_i1_pushpull(n: int) -> float:
    return 2 + (n - 2) / (n - 1)


def push_f1_chain(n: int) -> np.ndarray:
    """Exact transition matrix of the informed count under push, fanout 1 (balls into bins)."""
    P = np.zeros((n + 1, n + 1))
    P[n, n] = 1.0
    for i in range(1, n):
        s = n - i
        occ = np.zeros(s + 1)
        occ[0] = 1.0
        for _ in range(i):  # each informed server hits a given uninformed one with probability 1/(n-1)
            k = np.arange(s + 1)
            new = occ * (1 - (s - k) / (n - 1))
            new[1:] += occ[:-1] * (s - k[:-1]) / (n - 1)
            occ = new
        P[i, i:] = occ
    return P


def chain_means(n: int, rounds: int) -> tuple[list[float], float]:
    P = push_f1_chain(n)
    dist = np.zeros(n + 1)
    dist[1] = 1.0
    means, expected_t = [], 1.0  # E[T] = sum over r >= 0 of P(T > r), and P(T > 0) = 1
    for r in range(1, 400):
        dist = dist @ P
        if r <= rounds:
            means.append(float(dist @ np.arange(n + 1)))
        expected_t += 1 - dist[n]
    return means, expected_t


def test_closed_forms_match_the_storyboard() -> None:
    assert round(expected_i2_push(64, 1), 4) == 3.9526
    assert round(expected_i2_push(64, 2), 4) == 8.6270
    assert round(expected_i1_pushpull(64), 4) == 2.9841


def test_markov_chain_matches_the_storyboard() -> None:
    means, expected_t = chain_means(64, 6)
    assert np.allclose(means, [2, 3.953, 7.632, 14.103, 24.145, 36.820], atol=6e-4)
    assert abs(expected_t - 11.2) < 0.1


def test_batch_first_rounds_4000_runs() -> None:
    for (mode, f), target, rnd, tol in [(("push", 1), expected_i2_push(64, 1), 2, 0.03),
                                        (("push", 2), expected_i2_push(64, 2), 2, 0.05),
                                        (("pushpull", 1), expected_i1_pushpull(64), 1, 0.06)]:
        res = gp.run_batch(np.random.default_rng(11), 64, 4000, mode, f, 0.0, rnd)
        assert abs(res.counts[:, rnd].mean() - target) <= tol, (mode, f)


@lru_cache(maxsize=None)
def first_rounds_traced(count: int) -> dict[str, np.ndarray]:
    """Informed counts after rounds 1 and 2 of the traced lossless variants, over ``count`` seeds."""
    lossless = [v for v in DEFAULTS["variants"] if v["loss_prob"] == 0]
    out: dict[str, list[list[int]]] = {v["name"]: [] for v in lossless}
    for seed in range(count):
        trace = gp.simulate(seed, variants=lossless, max_rounds=2, **NO_SCALING)
        for name, steps in by_variant({"steps": trace.steps}).items():
            out[name].append([steps[min(r, len(steps) - 1)]["infected_count"] for r in (1, 2)])
    return {k: np.array(v) for k, v in out.items()}


def test_traced_first_rounds_over_1500_seeds() -> None:
    counts = first_rounds_traced(1500)
    assert np.all(counts["push_f1"][:, 0] == 2) and np.all(counts["push_f2"][:, 0] == 3)
    assert abs(counts["push_f1"][:, 1].mean() - expected_i2_push(64, 1)) <= 0.03
    assert abs(counts["push_f2"][:, 1].mean() - expected_i2_push(64, 2)) <= 0.05
    assert abs(counts["pushpull_f1"][:, 0].mean() - expected_i1_pushpull(64)) <= 0.06


def test_batch_informed_means_follow_the_markov_chain() -> None:
    res = gp.run_batch(np.random.default_rng(12), 64, 4000, "push", 1, 0.0, 60)
    means, expected_t = chain_means(64, 6)
    assert np.allclose(res.counts[:, 1:7].mean(axis=0), means, rtol=0.01, atol=0.02)
    assert abs(res.rounds_to_full.mean() - expected_t) < 0.1


# ---------------------------------------------------------------- reference: Monte Carlo means, published rates
@lru_cache(maxsize=None)
def traced_runs(count: int) -> dict[str, dict[str, np.ndarray]]:
    """Rounds to full, messages and per-round counts of every default variant over seeds 0..count-1
    (read from the Trace object: the JSON round trip is checked elsewhere and costs more than the run)."""
    out: dict[str, dict[str, list[Any]]] = {name: {"rounds": [], "messages": [], "counts": []} for name in VARIANTS}
    for seed in range(count):
        trace = gp.simulate(seed, **NO_SCALING)
        for name, steps in by_variant({"steps": trace.steps}).items():
            summ = trace.summary["runs"][name]
            out[name]["rounds"].append(summ["rounds_to_full"])
            out[name]["messages"].append(summ["total_messages"])
            out[name]["counts"].append([s["infected_count"] for s in steps])
    return {name: {"rounds": np.array(v["rounds"], dtype=float), "messages": np.array(v["messages"], dtype=float),
                   "counts": v["counts"]} for name, v in out.items()}


def test_monte_carlo_means_over_300_seeds() -> None:
    runs = traced_runs(300)
    for name, target in [("push_f1", 11.2), ("push_f2", 6.7), ("pushpull_f1", 6.0), ("push_f1_loss25", 14.3)]:
        assert abs(runs[name]["rounds"].mean() - target) <= 0.4, name
    assert abs(runs["push_f1"]["messages"].mean() - 330) <= 25
    means = np.mean([c[1:7] for c in runs["push_f1"]["counts"]], axis=0)
    assert np.allclose(means, chain_means(64, 6)[0], rtol=0.05, atol=0.05)


def test_published_push_rate_log2n_plus_lnn() -> None:
    """Frieze & Grimmett 1985, Pittel 1987: push, fanout 1, needs log2 N + ln N + O(1) rounds."""
    assert round(math.log2(64) + math.log(64), 2) == 10.16 and round(math.log2(1024) + math.log(1024), 2) == 16.93
    traced = traced_runs(300)["push_f1"]["rounds"][:200].mean()
    assert 10.16 - 0.5 <= traced <= 10.16 + 2.0
    big = gp.run_batch(np.random.default_rng(13), 1024, 200, "push", 1, 0.0, 60).rounds_to_full
    assert np.all(big > 0) and 16.93 - 0.5 <= big.mean() <= 16.93 + 2.0


def test_pushpull_beats_push_at_every_size() -> None:
    """Karp et al. 2000: push-pull needs log3 N + O(log log N) rounds, fewer than push."""
    scaling = run_cached(7)["summary"]["scaling"]
    mean = {(s["variant"], s["n"]): s["mean_rounds"] for s in scaling}
    for n in DEFAULTS["scaling_sizes"]:
        assert mean[("pushpull_f1", n)] < mean[("push_f1", n)]
    pp = gp.run_batch(np.random.default_rng(14), 1024, 100, "pushpull", 1, 0.0, 60).rounds_to_full
    assert 8.2 <= pp.mean() <= 10.2


def test_tail_survival_about_exp_minus_one() -> None:
    """Demers et al. 1987: near the end a straggler survives a push round with probability about e^-1."""
    ratios = []
    for counts in traced_runs(300)["push_f1"]["counts"] + [
            [s["infected_count"] for s in steps] for seed in range(300, 500)
            for steps in [gp.simulate(seed, variants=[VARIANTS["push_f1"]], **NO_SCALING).steps]]:
        ratios += [(64 - b) / (64 - a) for a, b in zip(counts, counts[1:]) if a >= 0.9 * 64]
    assert 0.35 <= np.mean(ratios) <= 0.42
    res = gp.run_batch(np.random.default_rng(15), 64, 2000, "push", 1, 0.0, 60).counts
    before, after = 64 - res[:, :-1], 64 - res[:, 1:]
    mask = (res[:, :-1] >= 0.9 * 64) & (before > 0)
    assert 0.35 <= (after[mask] / before[mask]).mean() <= 0.42


def test_loss_only_slows_the_spread() -> None:
    runs = traced_runs(300)
    assert np.all(runs["push_f1_loss25"]["rounds"] >= runs["push_f1"]["rounds"])
    assert np.all(runs["push_f2"]["rounds"] <= runs["push_f1"]["rounds"])
    assert np.all(runs["pushpull_f1"]["rounds"] <= runs["push_f1"]["rounds"])


# ---------------------------------------------------------------- the catalog seed and the story
def test_catalog_seed_story() -> None:
    entry = load_catalog().get(gp.ID)
    d = run(entry.seed, dict(entry.params))
    check_all(d)
    assert d["params"] == DEFAULTS, "catalog params = PARAMS defaults"
    runs = d["summary"]["runs"]
    r = {name: runs[name]["rounds_to_full"] for name in VARIANTS}
    assert all(x is not None for x in r.values()), "every variant reaches everyone"
    assert 9 <= r["push_f1"] <= 14, "within the storyboard's 5th-95th percentile"
    assert r["push_f1_loss25"] >= r["push_f1"] and r["pushpull_f1"] < r["push_f1"] and r["push_f2"] < r["push_f1"]
    assert runs["push_f1"]["useless_overtakes_round"] is not None, "the long-tail beat: wasted passes useful"
    assert runs["push_f1"]["total_messages"] > d["summary"]["baseline_direct"]["messages"]
    steps = by_variant(d)["push_f1"]
    assert [s["infected_count"] for s in steps[:2]] == [1, 2]
    assert any(not c["delivered"] for s in by_variant(d)["push_f1_loss25"] for c in s["contacts"])
    growth = {g["variant"]: g for g in d["summary"]["scaling_growth"]}
    assert growth["push_f1"]["size_ratio"] == 16.0 and 4 <= growth["push_f1"]["extra_rounds"] <= 10
    assert len(gp.simulate(entry.seed, **entry.params).to_json()) < 1_000_000


def test_storyboard_story_window_is_common() -> None:
    """The storyboard's story check (push_f1 in 10-13 rounds, the 25 % loss run >= 2 rounds later) is a
    property of a seed, not of the model: it holds for most seeds (catalog seed 7 misses it)."""
    runs = traced_runs(300)
    a, b = runs["push_f1"]["rounds"], runs["push_f1_loss25"]["rounds"]
    share = np.mean((a >= 10) & (a <= 13) & (b >= a + 2))
    assert share >= 0.5


# ---------------------------------------------------------------- determinism, isolation, contract
def test_removing_a_variant_changes_nothing_else() -> None:
    full = run_cached(7)
    fewer = {**DEFAULTS, "variants": [v for v in DEFAULTS["variants"] if v["name"] != "push_f2"]}
    d = run(7, fewer)
    assert d["summary"]["origin"] == full["summary"]["origin"]
    assert by_variant(d) == {k: v for k, v in by_variant(full).items() if k != "push_f2"}
    assert d["summary"]["runs"] == {k: v for k, v in full["summary"]["runs"].items() if k != "push_f2"}
    assert d["summary"]["scaling"] == full["summary"]["scaling"]
    reordered = run(7, {**DEFAULTS, "variants": DEFAULTS["variants"][::-1]})
    assert reordered["summary"]["runs"] == full["summary"]["runs"]


def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes() -> None:
    code = "import sys; from sims.gossip_protocol import simulate; sys.stdout.write(simulate(11).to_json())"
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second == gp.simulate(11).to_json().encode()
    assert gp.simulate(12).to_json() != first.decode()


def test_import_does_not_pull_heavy_modules() -> None:
    code = ("import sys, sims.gossip_protocol; "
            "print(sorted(m for m in ('manim', 'networkx', 'scipy', 'torch') if m in sys.modules))")
    assert _in_subprocess(code, "0").strip() == b"[]"


def test_trace_contract() -> None:
    d = run_cached(7)
    assert {"schema_version", "id", "seed", "params", "steps", "summary"} == set(d)
    assert d["id"] == gp.ID == "gossip-protocol"
    assert set(d["summary"]) == {"origin", "runs", "scaling", "scaling_growth", "baseline_direct"}
    assert set(d["steps"][0]) == {"variant", "mode", "fanout", "loss_prob", "round", "event", "contacts",
                                  "newly_infected", "infected", "infected_count", "fraction", "messages",
                                  "useless_messages", "lost_messages", "cumulative_messages", "cumulative_useless"}
    assert set(d["summary"]["runs"]["push_f1"]) == {"rounds_to_full", "infected_at", "total_messages",
                                                   "useless_messages", "lost_messages", "busiest_sends",
                                                   "useless_overtakes_round", "curve"}


# ---------------------------------------------------------------- parameter errors
def _variant(**kw: Any) -> list[dict[str, Any]]:
    return [{"name": "a", "mode": "push", "fanout": 1, "loss_prob": 0.0, **kw}]


@pytest.mark.parametrize("params, field", [
    ({"n_nodes": 1}, "n_nodes"),
    ({"n_nodes": 257}, "n_nodes"),
    ({"max_rounds": 0}, "max_rounds"),
    ({"max_rounds": 201}, "max_rounds"),
    ({"scaling_runs": 0}, "scaling_runs"),
    ({"scaling_runs": 201}, "scaling_runs"),
    ({"variants": []}, "variants"),
    ({"variants": _variant() * 7}, "variants"),
    ({"variants": _variant() + _variant()}, "variants"),
    ({"variants": _variant(mode="pull")}, "variants"),
    ({"variants": _variant(fanout=0)}, "variants"),
    ({"variants": _variant(fanout=9)}, "variants"),
    ({"variants": _variant(loss_prob=-1e-9)}, "variants"),
    ({"variants": _variant(loss_prob=0.5 + 1e-9)}, "variants"),
    ({"variants": _variant(loss_prob=True)}, "variants"),
    ({"variants": _variant(name="")}, "variants"),
    ({"variants": [{"name": "a", "mode": "push", "fanout": 1}]}, "variants"),
    ({"scaling_sizes": []}, "scaling_sizes"),
    ({"scaling_sizes": [1, 64]}, "scaling_sizes"),
    ({"scaling_sizes": [64, 4097]}, "scaling_sizes"),
    ({"scaling_sizes": [64, 16]}, "scaling_sizes"),
    ({"scaling_variants": ["push_f1", "push_f1"]}, "scaling_variants"),
    ({"scaling_variants": ["pull_f1"]}, "scaling_variants"),
    ({"n_nodes": 2, "variants": _variant(fanout=2), "scaling_variants": []}, "variants"),
    ({"scaling_sizes": [2, 64], "scaling_variants": ["push_f2"]}, "scaling_sizes"),
    ({"scaling_sizes": [4096], "scaling_runs": 40}, "scaling_runs"),
    ({"n_nodes": 64.0}, "n_nodes"),
    ({"fanout": 1}, "fanout"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        gp.simulate(0, **params)
    assert err.value.field == field


def test_negative_seed_is_a_param_error() -> None:
    with pytest.raises(ParamError) as err:
        gp.simulate(-1)
    assert err.value.field == "seed"


# ---------------------------------------------------------------- the scene's questions
def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py):
    the most servers that can know after an early push round, push-pull against push, and push's
    mean rounds at the largest scaling size."""
    p, s = trace["params"], trace["summary"]
    n = p["n_nodes"]
    base = next(v for v in p["variants"] if v["mode"] == "push" and v["loss_prob"] == 0)
    pull = next(v for v in p["variants"] if v["mode"] == "pushpull" and v["loss_prob"] == 0)
    counts = [st["infected_count"] for st in trace["steps"] if st["variant"] == base["name"]]
    rounds = len(counts) - 1
    f = base["fanout"]
    asked = next((r for r in range(3, min(6, rounds - 1) + 1) if (1 + f) * counts[r - 1] < n), 2)
    pull_rounds = sum(1 for st in trace["steps"] if st["variant"] == pull["name"]) - 1
    versus = ("fewer than" if pull_rounds < rounds else "exactly" if pull_rounds == rounds else "more than")
    growth = next(g for g in s["scaling_growth"] if g["variant"] == base["name"])
    largest = next(x["mean_rounds"] for x in s["scaling"] if x["variant"] == base["name"] and x["n"] == growth["to_n"])
    return [str((1 + f) * counts[asked - 1]), f"{versus} {rounds}", f"about {largest:.0f}"]
