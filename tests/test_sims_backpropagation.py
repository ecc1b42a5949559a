"""Tests for sims.backpropagation: the storyboard's invariants checked from the trace JSON alone, the
worked example's numbers, PyTorch autograd and SGD as the reference, the transition rules on their own,
determinism and parameter errors.

The checkers recompute what they need with their own arithmetic (``math.exp``, plain Python), so they
share no code with the simulator.
"""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from render.catalog import load_catalog
from sims import backpropagation as bp
from sims.params import ParamError

ROOT = Path(__file__).resolve().parents[1]
W = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8")
PROPERTY = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
UPDATE_FIELDS = {"t", "event", "weights", "b1", "b2", "net_h", "out_h", "net_o", "out_o", "loss_terms", "loss",
                 "dE_dout_o", "dout_dnet_o", "delta_o", "dE_dout_h", "dout_dnet_h", "delta_h", "grads", "chain",
                 "weights_after", "b1_after", "b2_after"}
FINAL_FIELDS = {"t", "event", "weights", "b1", "b2", "net_h", "out_h", "net_o", "out_o", "loss_terms", "loss"}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Any:
    """Tiny tensors: torch's thread pool only costs here (200x slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def run(seed: int, **params: Any) -> dict[str, Any]:
    return json.loads(bp.simulate(seed, **params).to_json())


@lru_cache(maxsize=4)
def catalog_trace() -> dict[str, Any]:
    entry = load_catalog().get(bp.ID)
    return run(entry.seed, **entry.params)


# ---------------------------------------------------------------- independent arithmetic
def sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def net_of(rec: dict[str, Any]) -> list[float]:
    """[w1..w8, b1, b2] of a record."""
    return [rec["weights"][w] for w in W] + [rec["b1"], rec["b2"]]


def ref_forward(theta: list[float], x: list[float], t: list[float]) -> dict[str, Any]:
    w1, w2, w3, w4, w5, w6, w7, w8, b1, b2 = theta
    net_h = [w1 * x[0] + w2 * x[1] + b1, w3 * x[0] + w4 * x[1] + b1]
    h = [sig(v) for v in net_h]
    net_o = [w5 * h[0] + w6 * h[1] + b2, w7 * h[0] + w8 * h[1] + b2]
    o = [sig(v) for v in net_o]
    terms = [0.5 * (t[0] - o[0]) ** 2, 0.5 * (t[1] - o[1]) ** 2]
    return {"net_h": net_h, "out_h": h, "net_o": net_o, "out_o": o, "loss_terms": terms, "loss": sum(terms)}


def close(a: Any, b: Any, tol: float) -> bool:
    return bool(np.all(np.abs(np.asarray(a, float) - np.asarray(b, float)) <= tol))


# ---------------------------------------------------------------- checkers (trace JSON only)
def records(trace: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in trace["steps"] if s["event"] == "update"]


def check_shape(trace: dict[str, Any]) -> None:
    n = trace["params"]["steps"]
    steps = trace["steps"]
    ts = [s["t"] for s in steps]
    assert ts == sorted(set(ts)) and ts[0] == 0 and ts[-1] == n
    assert [s["event"] for s in steps] == ["update"] * (len(steps) - 1) + ["final"]
    assert all(set(s) == UPDATE_FIELDS for s in steps[:-1]) and set(steps[-1]) == FINAL_FIELDS
    assert trace["summary"]["detail_steps"] == ts[:-1]
    assert {0, n - 1} <= set(ts[:-1]) and all(k in ts for k in (1, 2, 10, 100, 1000) if k < n)
    curve, outs = trace["summary"]["loss_curve"], trace["summary"]["out_curve"]
    assert len(curve) == len(outs) == n + 1
    for s in steps:
        assert curve[s["t"]] == s["loss"] and outs[s["t"]] == s["out_o"]
    assert trace["summary"]["loss_first"] == curve[0] and trace["summary"]["loss_last"] == curve[-1]
    assert trace["summary"]["out_last"] == outs[-1]


def check_forward(trace: dict[str, Any]) -> None:
    """Invariant 1, recomputed from each record's own parameters."""
    x, t = trace["params"]["inputs"], trace["params"]["targets"]
    for s in trace["steps"]:
        ref = ref_forward(net_of(s), x, t)
        for key in ("net_h", "out_h", "net_o", "out_o", "loss_terms"):
            assert close(s[key], ref[key], 1e-12), key
        assert abs(s["loss"] - ref["loss"]) <= 1e-12
        assert abs(s["loss"] - (s["loss_terms"][0] + s["loss_terms"][1])) <= 1e-15


def check_chain(trace: dict[str, Any]) -> None:
    """Invariant 2: every factor from the record's own (pre-update) values."""
    x, t = trace["params"]["inputs"], trace["params"]["targets"]
    for s in records(trace):
        wt, o, h = s["weights"], s["out_o"], s["out_h"]
        assert close(s["dE_dout_o"], [o[0] - t[0], o[1] - t[1]], 1e-15)
        assert close(s["dout_dnet_o"], [o[0] * (1 - o[0]), o[1] * (1 - o[1])], 1e-15)
        assert close(s["delta_o"], [s["dE_dout_o"][k] * s["dout_dnet_o"][k] for k in range(2)], 1e-15)
        d = s["delta_o"]
        assert close(s["dE_dout_h"], [wt["w5"] * d[0] + wt["w7"] * d[1], wt["w6"] * d[0] + wt["w8"] * d[1]], 1e-15)
        assert close(s["dout_dnet_h"], [h[0] * (1 - h[0]), h[1] * (1 - h[1])], 1e-15)
        assert close(s["delta_h"], [s["dE_dout_h"][k] * s["dout_dnet_h"][k] for k in range(2)], 1e-15)
        source = {"w1": (0, x[0]), "w2": (0, x[1]), "w3": (1, x[0]), "w4": (1, x[1]),
                  "w5": (0, h[0]), "w6": (0, h[1]), "w7": (1, h[0]), "w8": (1, h[1])}
        for w, (unit, carried) in source.items():
            first, slope = (s["dE_dout_h"], s["dout_dnet_h"]) if w < "w5" else (s["dE_dout_o"], s["dout_dnet_o"])
            assert s["chain"][w] == [first[unit], slope[unit], carried], w
            product = s["chain"][w][0] * s["chain"][w][1] * s["chain"][w][2]
            assert abs(s["grads"][w] - product) <= 1e-12 * abs(product) + 1e-300, w
        assert abs(s["grads"]["b1"] - (s["delta_h"][0] + s["delta_h"][1])) <= 1e-15
        assert abs(s["grads"]["b2"] - (s["delta_o"][0] + s["delta_o"][1])) <= 1e-15


def check_finite_differences(trace: dict[str, Any]) -> None:
    """Invariant 3: central differences (epsilon 1e-6) of the loss match every gradient to 1e-8."""
    x, t = trace["params"]["inputs"], trace["params"]["targets"]
    for s in records(trace):
        theta = net_of(s)
        for i, name in enumerate((*W, "b1", "b2")):
            up, down = list(theta), list(theta)
            up[i] += 1e-6
            down[i] -= 1e-6
            fd = (ref_forward(up, x, t)["loss"] - ref_forward(down, x, t)["loss"]) / 2e-6
            assert abs(fd - s["grads"][name]) <= 1e-8, name


def check_update(trace: dict[str, Any]) -> None:
    """Invariant 4: the step rule, the hand-over between consecutive records, frozen biases."""
    p = trace["params"]
    lr, free = p["learning_rate"], p["update_biases"]
    steps = trace["steps"]
    for s in records(trace):
        for w in W:
            assert abs(s["weights_after"][w] - (s["weights"][w] - lr * s["grads"][w])) <= 1e-15, w
        for b in ("b1", "b2"):
            expected = s[b] - lr * s["grads"][b] if free else s[b]
            assert abs(s[f"{b}_after"] - expected) <= 1e-15
    for a, b in zip(steps, steps[1:]):
        if b["t"] == a["t"] + 1:
            assert b["weights"] == a["weights_after"] and [b["b1"], b["b2"]] == [a["b1_after"], a["b2_after"]]
    if not free:
        assert {(s["b1"], s["b2"]) for s in steps} == {(steps[0]["b1"], steps[0]["b2"])}
    if p["init"] == "worked_example":
        assert net_of(steps[0]) == [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55, 0.35, 0.60]


def check_replay(trace: dict[str, Any]) -> None:
    """Invariant 4 over the whole run: replaying plain gradient descent from step 0 gives every record."""
    p = trace["params"]
    x, t, lr = p["inputs"], p["targets"], p["learning_rate"]
    theta = net_of(trace["steps"][0])
    by_t = {s["t"]: s for s in trace["steps"]}
    curve, outs = trace["summary"]["loss_curve"], trace["summary"]["out_curve"]
    for k in range(p["steps"] + 1):
        f = ref_forward(theta, x, t)
        assert abs(curve[k] - f["loss"]) <= 1e-12 and close(outs[k], f["out_o"], 1e-12), k
        if k in by_t:
            assert close(net_of(by_t[k]), theta, 1e-12), k
        h, o = f["out_h"], f["out_o"]
        do = [(o[i] - t[i]) * o[i] * (1 - o[i]) for i in range(2)]
        dh = [(theta[4] * do[0] + theta[6] * do[1]) * h[0] * (1 - h[0]),
              (theta[5] * do[0] + theta[7] * do[1]) * h[1] * (1 - h[1])]
        g = [dh[0] * x[0], dh[0] * x[1], dh[1] * x[0], dh[1] * x[1],
             do[0] * h[0], do[0] * h[1], do[1] * h[0], do[1] * h[1],
             (dh[0] + dh[1]) if p["update_biases"] else 0.0, (do[0] + do[1]) if p["update_biases"] else 0.0]
        theta = [v - lr * gv for v, gv in zip(theta, g)]


def check_descent(trace: dict[str, Any]) -> None:
    """Invariant 5."""
    curve = trace["summary"]["loss_curve"]
    assert all(b <= a + 1e-12 for a, b in zip(curve, curve[1:]))


def check_ranges(trace: dict[str, Any]) -> None:
    """Invariant 6."""
    for s in trace["steps"]:
        assert all(0 < v < 1 for v in s["out_h"] + s["out_o"])
    for s in records(trace):
        assert all(0 < v <= 0.25 for v in s["dout_dnet_o"] + s["dout_dnet_h"])
    assert all(0 <= v < 1 for v in trace["summary"]["loss_curve"])
    assert all(0 < v < 1 for pair in trace["summary"]["out_curve"] for v in pair)


def check_direction(trace: dict[str, Any]) -> None:
    """Invariant 7: w5, w6 follow o1's gap, w7, w8 follow o2's gap."""
    t = trace["params"]["targets"]
    for s in records(trace):
        for w, unit in (("w5", 0), ("w6", 0), ("w7", 1), ("w8", 1)):
            gap, g = s["out_o"][unit] - t[unit], s["grads"][w]
            assert g * gap > 0 or g == gap == 0, w


def check_summary(trace: dict[str, Any]) -> None:
    net = trace["summary"]["network"]
    assert net["layers"] == [2, 2, 2] and net["neurons"] == ["i1", "i2", "h1", "h2", "o1", "o2"]
    edges = {e["name"]: (e["from"], e["to"]) for e in net["edges"]}
    assert edges == {"w1": ("i1", "h1"), "w2": ("i2", "h1"), "w3": ("i1", "h2"), "w4": ("i2", "h2"),
                     "w5": ("h1", "o1"), "w6": ("h2", "o1"), "w7": ("h1", "o2"), "w8": ("h2", "o2")}
    g = trace["steps"][0]["grads"]
    outer, inner = [abs(g[w]) for w in W[4:]], [abs(g[w]) for w in W[:4]]
    shrink = trace["summary"]["grad_shrink"]
    ratios = [min(outer) / max(inner), max(outer) / min(inner)] if min(inner) > 0 else [math.inf]
    if not all(math.isfinite(r) for r in ratios):
        assert shrink is None
    else:
        assert shrink == pytest.approx(ratios, rel=1e-12)


INVARIANTS = {
    "shape": check_shape,
    "1 forward": check_forward,
    "2 chain rule": check_chain,
    "3 finite differences": check_finite_differences,
    "4 update": check_update,
    "5 descent": check_descent,
    "6 ranges": check_ranges,
    "7 direction": check_direction,
    "summary": check_summary,
}


def check_all(trace: dict[str, Any], replay: bool = True) -> None:
    for label, check in INVARIANTS.items():
        try:
            check(trace)
        except AssertionError as err:
            err.add_note(f"invariant {label}")
            raise
    if replay:
        check_replay(trace)


# ---------------------------------------------------------------- properties
unit = st.floats(0.0, 1.0)
target = st.floats(0.01, 0.99)
param_sets = st.fixed_dictionaries({
    "inputs": st.lists(unit, min_size=2, max_size=2),
    "targets": st.lists(target, min_size=2, max_size=2),
    "init": st.sampled_from(["random", "random", "worked_example"]),
    "learning_rate": st.sampled_from([1.0, 0.5]) | st.floats(1e-6, 1.0),
    "steps": st.integers(1, 130) | st.sampled_from([1, 2, 3, 11, 101]) | st.integers(1, 5000),
    "update_biases": st.booleans(),
})


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), params=param_sets)
def test_invariants_1_to_7(seed: int, params: dict[str, Any]) -> None:
    trace = run(seed, **params)
    check_all(trace, replay=params["steps"] <= 300)


@settings(max_examples=3, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_invariants_at_the_step_cap(seed: int) -> None:
    check_all(run(seed, init="random", update_biases=True, learning_rate=1.0, steps=5000))


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), params=param_sets)
def test_invariant_8_determinism(seed: int, params: dict[str, Any]) -> None:
    params = {**params, "steps": min(params["steps"], 40)}
    first = bp.simulate(seed, **params).to_json()
    assert bp.simulate(seed, **params).to_json() == first
    if params["init"] == "worked_example":
        other = bp.simulate(seed + 1, **params).to_json()
        assert json.loads(other)["steps"] == json.loads(first)["steps"]


def test_descent_over_many_random_draws() -> None:
    """The storyboard's descent claim, vectorized over 3000 independent draws x 1500 steps at lr = 1."""
    rng = np.random.default_rng(2024)
    n = 3000
    th = rng.uniform(-1, 1, (10, n))
    x, t = rng.uniform(0, 1, (2, n)), rng.uniform(0.01, 0.99, (2, n))
    free = rng.random(n) < 0.5

    def loss_and_grads(th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = 1 / (1 + np.exp(-(th[[0, 2]] * x[0] + th[[1, 3]] * x[1] + th[8])))
        o = 1 / (1 + np.exp(-(th[[4, 6]] * h[0] + th[[5, 7]] * h[1] + th[9])))
        do = (o - t) * o * (1 - o)
        dh = np.stack([th[4] * do[0] + th[6] * do[1], th[5] * do[0] + th[7] * do[1]]) * h * (1 - h)
        g = np.stack([dh[0] * x[0], dh[0] * x[1], dh[1] * x[0], dh[1] * x[1],
                      do[0] * h[0], do[0] * h[1], do[1] * h[0], do[1] * h[1],
                      (dh[0] + dh[1]) * free, (do[0] + do[1]) * free])
        return 0.5 * ((t - o) ** 2).sum(axis=0), g

    loss, g = loss_and_grads(th)
    worst = -np.inf
    for _ in range(1500):
        th = th - g
        new, g = loss_and_grads(th)
        worst = max(worst, float((new - loss).max()))
        loss = new
    assert worst <= 1e-12


# ---------------------------------------------------------------- the checkers catch bad traces
def _mutations() -> list[tuple[str, Any]]:
    def bump(path: tuple[Any, ...], delta: float) -> Any:
        def apply(tr: dict[str, Any]) -> None:
            node = tr
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] += delta
        return apply
    return [
        ("forward", bump(("steps", 0, "net_h", 1), 1e-9)),
        ("chain", bump(("steps", 0, "grads", "w3"), 1e-9)),
        ("chain", bump(("steps", 1, "dE_dout_h", 0), 1e-9)),
        ("finite differences", bump(("steps", 2, "grads", "b1"), 1e-7)),
        ("update", bump(("steps", 0, "weights_after", "w6"), 1e-12)),
        ("update", bump(("steps", -1, "b2"), 1e-3)),
        ("descent", bump(("summary", "loss_curve", 500), 1e-3)),
        ("replay", bump(("summary", "out_curve", 7, 1), 1e-9)),
        ("ranges", lambda tr: tr["steps"][0]["out_h"].__setitem__(0, 1.0)),
        ("direction", lambda tr: tr["steps"][0]["grads"].__setitem__("w7", -tr["steps"][0]["grads"]["w7"])),
        ("shape", lambda tr: tr["summary"]["loss_curve"].pop()),
    ]


@pytest.mark.parametrize("label, mutate", _mutations())
def test_checkers_reject_corrupted_traces(label: str, mutate: Any) -> None:
    trace = copy.deepcopy(catalog_trace())
    check_all(trace)
    mutate(trace)
    with pytest.raises(AssertionError):
        check_all(trace)


def test_checkers_catch_planted_bugs() -> None:
    """Hidden blame from the already-updated output weights (the worked example's summary variant),
    and an update of w1..w4 from half-old weights: both must be rejected."""
    real_backward = bp.backward

    def stale_blame(net: bp.Net, fwd: bp.Forward, inputs: Any, targets: Any) -> bp.Backward:
        good = real_backward(net, fwd, inputs, targets)
        moved = bp.Net(net.w[:4] + tuple(w - 0.5 * g for w, g in zip(net.w[4:], good.grads[4:8])), net.b1, net.b2)
        stale = real_backward(moved, fwd, inputs, targets)
        return good._replace(dE_dout_h=stale.dE_dout_h, delta_h=stale.delta_h,
                             grads=stale.grads[:4] + good.grads[4:8] + (stale.grads[8], good.grads[9]))

    with mock.patch.object(bp, "backward", stale_blame):
        bad = run(0, steps=20)
    assert bad["summary"]["loss_curve"][1] == pytest.approx(0.2910279239, abs=1e-10)
    for check in (check_chain, check_finite_differences):
        with pytest.raises(AssertionError):
            check(bad)

    def biases_move(net: bp.Net, grads: Any, lr: float, update_biases: bool) -> bp.Net:
        return bp.Net(tuple(w - lr * g for w, g in zip(net.w, grads)), net.b1 - lr * grads[8], net.b2)

    with mock.patch.object(bp, "apply_update", biases_move):
        bad = run(0, steps=20)
    with pytest.raises(AssertionError):
        check_update(bad)


# ---------------------------------------------------------------- reference: the worked example
def test_worked_example_step_0() -> None:
    s = catalog_trace()["steps"][0]
    assert (s["t"], s["event"]) == (0, "update")
    assert close(s["net_h"], [0.3775, 0.3925], 1e-15)
    expected = {
        "out_h": [0.593269992, 0.596884378], "net_o": [1.105905967, 1.224921404],
        "out_o": [0.751365070, 0.772928465], "loss_terms": [0.274811083, 0.023560026],
        "dE_dout_o": [0.741365070, -0.217071535], "dout_dnet_o": [0.186815602, 0.175510053],
        "delta_o": [0.138498562, -0.038098237], "dE_dout_h": [0.036350306, 0.041370323],
        "dout_dnet_h": [0.241300709, 0.240613417], "delta_h": [0.008771355, 0.009954255],
    }
    for key, values in expected.items():
        assert close(s[key], values, 5e-10), key
    assert s["loss"] == pytest.approx(0.2983711087600027, abs=1e-15)
    grads = [0.000438568, 0.000877135, 0.000497713, 0.000995425, 0.082167041, 0.082667628, -0.022602540, -0.022740242]
    assert close([s["grads"][w] for w in W], grads, 5e-10)
    assert close([s["grads"]["b1"], s["grads"]["b2"]], [0.018725609, 0.100400325], 5e-10)
    assert close(s["chain"]["w5"], [0.741365070, 0.186815602, 0.593269992], 5e-10)
    assert close(s["chain"]["w1"], [0.036350306, 0.241300709, 0.05], 5e-10)
    after = [0.149780716, 0.199561432, 0.249751144, 0.299502287, 0.358916480, 0.408666186, 0.511301270, 0.561370121]
    assert close([s["weights_after"][w] for w in W], after, 5e-10)
    assert (s["b1_after"], s["b2_after"]) == (0.35, 0.60)


def test_worked_example_loss_curve() -> None:
    trace = catalog_trace()
    curve = trace["summary"]["loss_curve"]
    assert len(curve) == 1001
    assert curve[1] == pytest.approx(0.2910277737, abs=5e-11)
    assert curve[10] == pytest.approx(0.2209185921, abs=5e-11)
    assert curve[100] == pytest.approx(0.0200468282, abs=5e-11)
    assert curve[1000] == trace["summary"]["loss_last"] == pytest.approx(0.001114349453733746, abs=1e-15)
    assert close(trace["summary"]["out_last"], [0.044053, 0.957303], 5e-7)
    assert trace["summary"]["loss_first"] == pytest.approx(0.2983711087600027, abs=1e-15)


def test_worked_example_past_the_cap() -> None:
    """Storyboard's scratch run to 10 000 updates (beyond the parameter cap, through train())."""
    p = {"inputs": [0.05, 0.10], "targets": [0.01, 0.99], "learning_rate": 0.5, "steps": 10_000,
         "update_biases": False}
    _, losses, outs = bp.train(bp.init_net("worked_example", np.random.default_rng(0)), p)
    assert losses[9_999] == pytest.approx(3.5108548e-05, abs=5e-13)
    assert losses[10_000] == pytest.approx(3.510188e-05, abs=5e-12)
    assert close(outs[10_000], [0.0159136, 0.9840643], 5e-8)


def test_catalog_story() -> None:
    """The beats' numbers, all read from the catalog run's trace."""
    trace = catalog_trace()
    check_all(trace)
    s, curve = trace["steps"][0], trace["summary"]["loss_curve"]
    assert f"{s['out_o'][0]:.3f}" == "0.751" and f"{s['out_o'][1]:.3f}" == "0.773"
    assert f"{s['net_h'][0]:.4f}" == "0.3775" and f"{s['out_h'][0]:.3f}" == "0.593" and f"{s['out_h'][1]:.3f}" == "0.597"
    assert [f"{v:.3g}" for v in s["loss_terms"]] == ["0.275", "0.0236"] and f"{s['loss']:.3f}" == "0.298"
    assert [f"{v:.3g}" for v in s["chain"]["w5"]] == ["0.741", "0.187", "0.593"]
    assert f"{s['grads']['w5']:.3g}" == "0.0822"
    assert f"{s['dE_dout_h'][0]:.3g}" == "0.0364" and f"{s['grads']['w1']:.3g}" == "0.000439"
    assert f"{s['weights_after']['w5']:.3f}" == "0.359" and f"{curve[1]:.3f}" == "0.291"
    assert s["weights"]["w5"] == 0.40, "the hidden blame uses the old w5"
    lo, hi = trace["summary"]["grad_shrink"]
    assert 20 <= lo < 25 and 185 < hi <= 190, "input-layer gradients 20-190x smaller"
    assert f"{trace['summary']['loss_last']:.2g}" == "0.0011"
    assert [f"{v:.3f}" for v in trace["summary"]["out_last"]] == ["0.044", "0.957"]
    assert trace["summary"]["detail_steps"] == [0, 1, 2, 10, 100, 999]
    assert trace["steps"][-1]["t"] == 1000 and trace["steps"][-1]["event"] == "final"
    assert len(json.dumps(trace)) < 1_000_000


def test_random_init_seed_0_o2_moves_away_while_loss_falls() -> None:
    """Invariant 7's caveat: the full update need not move every output toward its target."""
    trace = run(0, init="random", update_biases=True, steps=2)
    t = trace["params"]["targets"]
    outs, curve = trace["summary"]["out_curve"], trace["summary"]["loss_curve"]
    assert abs(outs[1][1] - t[1]) > abs(outs[0][1] - t[1]) and curve[1] < curve[0]


# ---------------------------------------------------------------- reference: PyTorch autograd and SGD
def torch_grads(theta: list[float], x: list[float], t: list[float]) -> list[float]:
    w1 = torch.tensor([theta[0:2], theta[2:4]], dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor([theta[4:6], theta[6:8]], dtype=torch.float64, requires_grad=True)
    b1 = torch.tensor(theta[8], dtype=torch.float64, requires_grad=True)
    b2 = torch.tensor(theta[9], dtype=torch.float64, requires_grad=True)
    xt, tt = torch.tensor(x, dtype=torch.float64), torch.tensor(t, dtype=torch.float64)
    loss = 0.5 * ((tt - torch.sigmoid(w2 @ torch.sigmoid(w1 @ xt + b1) + b2)) ** 2).sum()
    loss.backward()
    return w1.grad.flatten().tolist() + w2.grad.flatten().tolist() + [b1.grad.item(), b2.grad.item()]


def test_torch_autograd_worked_example() -> None:
    s = catalog_trace()["steps"][0]
    ours = [s["grads"][k] for k in (*W, "b1", "b2")]
    assert close(ours, torch_grads(net_of(s), [0.05, 0.10], [0.01, 0.99]), 1e-12)


@settings(max_examples=60, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), params=param_sets)
def test_torch_autograd_every_record(seed: int, params: dict[str, Any]) -> None:
    params = {**params, "steps": min(params["steps"], 150)}
    trace = run(seed, **params)
    for s in records(trace):
        ours = [s["grads"][k] for k in (*W, "b1", "b2")]
        assert close(ours, torch_grads(net_of(s), params["inputs"], params["targets"]), 1e-12), s["t"]


def torch_sgd_curve(theta: list[float], x: list[float], t: list[float], lr: float, steps: int,
                    biases: bool) -> list[float]:
    w1 = torch.tensor([theta[0:2], theta[2:4]], dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor([theta[4:6], theta[6:8]], dtype=torch.float64, requires_grad=True)
    b1 = torch.tensor(theta[8], dtype=torch.float64, requires_grad=biases)
    b2 = torch.tensor(theta[9], dtype=torch.float64, requires_grad=biases)
    xt, tt = torch.tensor(x, dtype=torch.float64), torch.tensor(t, dtype=torch.float64)
    opt = torch.optim.SGD([w1, w2, b1, b2] if biases else [w1, w2], lr=lr)
    curve = []
    for k in range(steps + 1):
        opt.zero_grad()
        loss = 0.5 * ((tt - torch.sigmoid(w2 @ torch.sigmoid(w1 @ xt + b1) + b2)) ** 2).sum()
        curve.append(loss.item())
        if k < steps:
            loss.backward()
            opt.step()
    return curve


def test_torch_sgd_reproduces_the_loss_curve() -> None:
    trace = catalog_trace()
    ref = torch_sgd_curve(net_of(trace["steps"][0]), [0.05, 0.10], [0.01, 0.99], 0.5, 1000, False)
    assert close(trace["summary"]["loss_curve"], ref, 1e-12)
    assert ref[1000] == pytest.approx(0.001114349453733746, abs=1e-15)


def test_torch_sgd_random_init_with_biases() -> None:
    params = {"init": "random", "update_biases": True, "learning_rate": 1.0, "steps": 600,
              "inputs": [0.9, 0.2], "targets": [0.7, 0.05]}
    trace = run(11, **params)
    ref = torch_sgd_curve(net_of(trace["steps"][0]), params["inputs"], params["targets"], 1.0, 600, True)
    assert close(trace["summary"]["loss_curve"], ref, 1e-12)


# ---------------------------------------------------------------- transition rules on their own
def test_exp_is_within_one_ulp_of_the_platform() -> None:
    xs = np.random.default_rng(5).uniform(-40, 40, 20_000).tolist() + [0.0, 1e-12, -1e-12, 0.3, 0.4, 1.2, -1.2, 700.0]
    for x in xs:
        assert abs(bp.exp(x) - math.exp(x)) <= math.ulp(math.exp(x)), x
    assert bp.exp(0.0) == 1.0 and bp.exp(-800.0) == 0.0
    with pytest.raises(OverflowError):
        bp.exp(710.0)
    assert bp.sigmoid(0.0) == 0.5 and bp.sigmoid(-800.0) == 0.0


def test_init_net() -> None:
    net = bp.init_net("worked_example", np.random.default_rng(3))
    assert net == bp.Net((0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55), 0.35, 0.60)
    rng = np.random.default_rng(3)
    draws = [rng.uniform(-1.0, 1.0) for _ in range(10)]
    net = bp.init_net("random", np.random.default_rng(3))
    assert list(net.w) + [net.b1, net.b2] == draws


def test_forward_and_backward_hand_case() -> None:
    net = bp.Net((1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0), 0.0, 0.0)
    fwd = bp.forward(net, (0.0, 0.0), (0.5, 0.25))
    assert fwd.out_h == (0.5, 0.5) and fwd.out_o == (0.5, 0.5)
    assert fwd.loss_terms == (0.0, 0.03125) and fwd.loss == 0.03125
    bwd = bp.backward(net, fwd, (0.0, 0.0), (0.5, 0.25))
    assert bwd.dE_dout_o == (0.0, 0.25) and bwd.dout_dnet_o == (0.25, 0.25) and bwd.delta_o == (0.0, 0.0625)
    assert bwd.dE_dout_h == (0.0, 0.0) and bwd.delta_h == (0.0, 0.0)
    assert bwd.grads == (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.03125, 0.03125, 0.0, 0.0625)
    net = bp.Net((0.0,) * 6 + (2.0, 4.0), 0.0, 0.0)
    bwd = bp.backward(net, bp.forward(net, (0.0, 0.0), (0.5, 0.25)), (0.0, 0.0), (0.5, 0.25))
    assert bwd.dE_dout_h == (2.0 * bwd.delta_o[1], 4.0 * bwd.delta_o[1])


def test_apply_update_is_simultaneous_and_respects_frozen_biases() -> None:
    net = bp.Net(tuple(float(k) for k in range(8)), 1.0, 2.0)
    grads = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 0.5, 0.25)
    assert bp.apply_update(net, grads, 0.5, False) == bp.Net((-0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0), 1.0, 2.0)
    assert bp.apply_update(net, grads, 0.5, True).b1 == 0.75 and bp.apply_update(net, grads, 0.5, True).b2 == 1.875


def test_detail_steps() -> None:
    assert bp.detail_steps(1) == [0]
    assert bp.detail_steps(2) == [0, 1]
    assert bp.detail_steps(11) == [0, 1, 2, 10]
    assert bp.detail_steps(1000) == [0, 1, 2, 10, 100, 999]
    assert bp.detail_steps(5000) == [0, 1, 2, 10, 100, 1000, 4999]


# ---------------------------------------------------------------- determinism across processes, purity
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes_and_no_manim_or_torch() -> None:
    code = ("import sys; from sims.backpropagation import simulate; "
            "sys.stdout.write(simulate(7, init='random', update_biases=True, steps=300).to_json()); "
            "assert 'manim' not in sys.modules and 'torch' not in sys.modules")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second == bp.simulate(7, init="random", update_biases=True, steps=300).to_json().encode()
    assert bp.simulate(8, init="random").to_json() != bp.simulate(7, init="random").to_json()


# ---------------------------------------------------------------- parameters
def test_defaults_equal_the_catalog() -> None:
    entry = load_catalog().get(bp.ID)
    assert {p.name: p.default for p in bp.PARAMS} == dict(entry.params)
    assert bp.ID == "backpropagation" and Path(bp.__file__).stem == bp.ID.replace("-", "_")


@pytest.mark.parametrize("params, field", [
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"learning_rate": -1e-9}, "learning_rate"),
    ({"learning_rate": 1.0 + 1e-9}, "learning_rate"),
    ({"learning_rate": "0.5"}, "learning_rate"),
    ({"steps": 0}, "steps"),
    ({"steps": 5001}, "steps"),
    ({"steps": 10.0}, "steps"),
    ({"inputs": [-1e-9, 0.5]}, "inputs"),
    ({"inputs": [0.5, 1.0 + 1e-9]}, "inputs"),
    ({"inputs": [0.5]}, "inputs"),
    ({"inputs": [0.5, "a"]}, "inputs"),
    ({"inputs": 0.5}, "inputs"),
    ({"targets": [0.01 - 1e-9, 0.5]}, "targets"),
    ({"targets": [0.5, 0.99 + 1e-9]}, "targets"),
    ({"targets": [0.5, 0.5, 0.5]}, "targets"),
    ({"init": "zeros"}, "init"),
    ({"update_biases": "yes"}, "update_biases"),
    ({"momentum": 0.9}, "momentum"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        bp.simulate(0, **params)
    assert err.value.field == field


def test_range_edges_are_valid() -> None:
    trace = run(0, inputs=[0.0, 1.0], targets=[0.01, 0.99], learning_rate=1.0, steps=1)
    check_all(trace)
    assert len(trace["steps"]) == 2


@pytest.mark.parametrize("seed", [-1, True, 1.5])
def test_bad_seed(seed: Any) -> None:
    with pytest.raises(ParamError) as err:
        bp.simulate(seed)
    assert err.value.field == "seed"


# ---------------------------------------------------------------- the scene's checkpoints
def shown(x: float, digits: int = 3) -> str:
    """A number as the scene prints it: ``digits`` significant digits, trailing zeros dropped, a true minus."""
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    text = f"{x:.{decimals}f}"
    if len(text.lstrip("-").replace(".", "").lstrip("0")) > digits and decimals > 0:
        text = f"{x:.{decimals - 1}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace("-", "−")


def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py):
    which output adds more to the loss; whether the first input weight's gradient is smaller than that of the
    hidden-to-output weight on the larger miss; that weight after the update."""
    s0, net = trace["steps"][0], trace["summary"]["network"]
    inputs, hidden, outputs = net["neurons"][:2], net["neurons"][2:4], net["neurons"][4:]
    worse = max(range(2), key=lambda k: s0["loss_terms"][k])
    miss = max(range(2), key=lambda k: abs(s0["dE_dout_o"][k]))
    edge = {(e["from"], e["to"]): e["name"] for e in net["edges"]}
    w_out, w_in = edge[(hidden[0], outputs[miss])], edge[(inputs[0], hidden[0])]
    smaller = abs(s0["grads"][w_in]) < abs(s0["grads"][w_out])
    w, g, lr = s0["weights"][w_out], s0["grads"][w_out], trace["params"]["learning_rate"]
    options = (w - lr * g, w + lr * g, w - g)
    digits = next((d for d in range(3, 9) if len({shown(v, d) for v in options}) == 3), 8)
    assert math.isclose(s0["weights_after"][w_out], options[0], rel_tol=1e-12)
    return [outputs[worse], "smaller" if smaller else "bigger", shown(s0["weights_after"][w_out], digits)]


def test_checkpoint_answers_for_the_worked_example() -> None:
    assert checkpoint_answers(catalog_trace()) == ["o1", "smaller", "0.359"]
