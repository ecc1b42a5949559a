"""Backpropagation: a 2-2-2 sigmoid network trained by gradient descent on one example.

Model
-----
The state is the network's parameters: eight weights w1..w8 (w1 i1->h1, w2 i2->h1, w3 i1->h2,
w4 i2->h2, w5 h1->o1, w6 h2->o1, w7 h1->o2, w8 h2->o2) and two shared biases, b1 feeding both
hidden units and b2 feeding both outputs. Time is the training step. One step is a forward pass
(net = weighted sum plus bias, out = sigmoid(net)), the loss E = 1/2 * sum((target - out)^2), a
backward pass that prices every parameter with the chain rule using the current weights, and then
one simultaneous update p <- p - learning_rate * dE/dp of every weight (and of the biases only
when update_biases is true). The seed matters only for init "random", which draws w1..w8, b1, b2
uniform in [-1, 1] in that order. All arithmetic is plain float64 in a fixed order, and the
sigmoid uses a portable exponential built from + - * / only, so the bytes of the trace do not
depend on the machine's maths library.

Invariants
----------
1. Forward: net_h = W1 inputs + b1, out = sigmoid(net), net_o = W2 out_h + b2, loss = sum of loss_terms.
2. Chain rule: each gradient is the product of its chain factors; dE_dout_h uses the old output weights.
3. Finite differences of the loss match every gradient (central difference, epsilon 1e-6, to 1e-8).
4. Update: weights_after = weights - learning_rate * grads; the next step starts there; frozen biases stay.
5. Descent: with learning_rate <= 1 the loss never rises along the curve (beyond 1e-12 of rounding).
6. Ranges: activations in (0, 1), sigmoid slopes in (0, 0.25], 0 <= loss < 1.
7. Direction: each output-layer gradient (w5..w8) has the sign of out_o - target for its output.
8. Determinism: the same seed and parameters give byte-identical JSON.

Leaves out
----------
Real networks have thousands to billions of weights, train on many examples in mini-batches, and
use other activations (such as ReLU), other losses and optimizers with momentum or adaptive step
sizes. Here one example is learned by plain gradient descent with sigmoid units, so the loss only
falls and nothing is learned that generalizes. Autodiff libraries compute the same chain rule
automatically from the recorded operations instead of from hand-written formulas.

Trace
-----
steps: full records ("update" events) for the steps a scene shows, that is training steps 0, 1, 2,
every power of ten below ``steps``, and the last update ``steps - 1``; then one "final" record at
t = steps. An update record holds t, weights {w1..w8}, b1, b2 (the values used in the step),
net_h, out_h, net_o, out_o, loss_terms, loss, dE_dout_o, dout_dnet_o, delta_o, dE_dout_h,
dout_dnet_h, delta_h, grads {w1..w8, b1, b2}, chain {w1..w8: [dE/dout, dout/dnet, dnet/dw]},
weights_after, b1_after, b2_after. The final record holds weights, b1, b2, the forward fields and
loss. summary: network {layers, neurons, edges}; loss_first, loss_last, out_last; loss_curve
(steps + 1 losses, one per training step and the final one) and out_curve (the two outputs at
every point of the loss curve); detail_steps (the t of every update record); grad_shrink, the
smallest and largest ratio of an output-layer gradient to an input-layer gradient at step 0
(absolute values; null when an input-layer gradient is zero or a ratio overflows). The beats:
steps[0] carries the hook, forward pass, loss, chain rule for w5 and w1, gradient table and the
update; loss_curve[1] is the loss after the first update; loss_curve and out_curve carry the
repeat beat.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "WEIGHTS", "WORKED_EXAMPLE", "Net", "Forward", "Backward", "check_params",
    "exp", "sigmoid", "init_net", "forward", "backward", "apply_update", "update_record",
    "final_record", "detail_steps", "network_layout", "train", "simulate",
]

ID = "backpropagation"
#: A second story for the shared tests: other inputs and targets put the larger miss on o2 (so the chain rule
#: is told for w7), with a faster rate and fewer steps.
ALTERNATE_PARAMS: dict[str, Any] = {"inputs": [0.6, 0.3], "targets": [0.8, 0.1], "learning_rate": 0.8, "steps": 600}
WEIGHTS = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8")
#: The classic worked example's starting point: w1..w8, b1, b2.
WORKED_EXAMPLE = (0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55, 0.35, 0.60)


def _pair_in(low: float, high: float) -> Any:
    def check(value: Any) -> list[float]:
        if len(value) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise ValueError(f"expected two numbers, got {value!r}")
        pair = [float(v) for v in value]
        if not all(math.isfinite(v) and low <= v <= high for v in pair):
            raise ValueError(f"expected two numbers in [{low}, {high}], got {value!r}")
        return pair
    return check


def _init_kind(value: str) -> str:
    if value not in ("worked_example", "random"):
        raise ValueError(f"expected \"worked_example\" or \"random\", got {value!r}")
    return value


def _positive(value: float) -> float:
    if value <= 0:
        raise ValueError(f"must be above 0, got {value!r}")
    return value


PARAMS: tuple[Param, ...] = (
    Param("inputs", list, [0.05, 0.10], help="the two input values, each in [0, 1]", validate=_pair_in(0.0, 1.0)),
    Param("targets", list, [0.01, 0.99], help="the two target outputs, each in [0.01, 0.99]",
          validate=_pair_in(0.01, 0.99)),
    Param("init", str, "worked_example", help="\"worked_example\" or \"random\" (seeded) starting weights",
          validate=_init_kind),
    Param("learning_rate", float, 0.5, 0.0, 1.0, "step size, in (0, 1]", validate=_positive),
    Param("steps", int, 1000, 1, 5000, "number of gradient-descent updates"),
    Param("update_biases", bool, False, help="also train b1 and b2 (the worked example keeps them fixed)"),
)


def check_params(p: dict[str, Any]) -> None:
    """No cross-field constraints: every parameter is checked on its own by its declaration."""


# ---------------------------------------------------------------- portable arithmetic
_P1, _P2, _P3 = 1.66666666666666019037e-01, -2.77777777770155933842e-03, 6.61375632143793436117e-05
_P4, _P5 = -1.65339022054652515390e-06, 4.13813679705723846039e-08
_LN2_HI, _LN2_LO, _INV_LN2 = 6.93147180369123816490e-01, 1.90821492927058770002e-10, 1.44269504088896338700e+00


def exp(x: float) -> float:
    """e**x within one unit in the last place, from + - * / only (fdlibm's method).

    The platform's ``math.exp`` may differ in the last bit between libraries and CPU variants;
    this one gives the same bits on every IEEE-754 machine.
    """
    if x > 709.782712893384:
        raise OverflowError(f"exp({x!r}) overflows")
    if x < -745.1332191019411:
        return 0.0
    ax = abs(x)
    if ax < 3.725290298461914e-09:
        return 1.0 + x
    if ax > 0.34657359027997264:
        k = (1 if x > 0 else -1) if ax < 1.0397207708399179 else int(_INV_LN2 * x + (0.5 if x > 0 else -0.5))
        hi = x - k * _LN2_HI
        lo = k * _LN2_LO
        r = hi - lo
    else:
        k, hi, lo, r = 0, x, 0.0, x
    t = r * r
    c = r - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    if k == 0:
        return 1.0 - ((r * c) / (c - 2.0) - r)
    return math.ldexp(1.0 - ((lo - (r * c) / (2.0 - c)) - hi), k)


def sigmoid(z: float) -> float:
    """The logistic function 1 / (1 + e**-z), with the portable :func:`exp`."""
    if z < -709.0:
        return 0.0
    return 1.0 / (1.0 + exp(-z))


# ---------------------------------------------------------------- state and transitions
class Net(NamedTuple):
    """The trainable state: w1..w8 (as a tuple) and the two shared biases."""

    w: tuple[float, ...]
    b1: float
    b2: float


class Forward(NamedTuple):
    net_h: tuple[float, float]
    out_h: tuple[float, float]
    net_o: tuple[float, float]
    out_o: tuple[float, float]
    loss_terms: tuple[float, float]
    loss: float


class Backward(NamedTuple):
    dE_dout_o: tuple[float, float]
    dout_dnet_o: tuple[float, float]
    delta_o: tuple[float, float]
    dE_dout_h: tuple[float, float]
    dout_dnet_h: tuple[float, float]
    delta_h: tuple[float, float]
    #: dE/dw1..dE/dw8, dE/db1, dE/db2
    grads: tuple[float, ...]


def init_net(kind: str, rng: np.random.Generator) -> Net:
    """The worked example's parameters, or w1..w8, b1, b2 drawn uniform in [-1, 1] in that order."""
    values = WORKED_EXAMPLE if kind == "worked_example" else tuple(rng.uniform(-1.0, 1.0, 10).tolist())
    return Net(tuple(values[:8]), values[8], values[9])


def forward(net: Net, inputs: tuple[float, float], targets: tuple[float, float]) -> Forward:
    """Multiply, add, squash, layer by layer; then the loss 1/2 * sum((target - out)^2)."""
    w1, w2, w3, w4, w5, w6, w7, w8 = net.w
    i1, i2 = inputs
    net_h = (w1 * i1 + w2 * i2 + net.b1, w3 * i1 + w4 * i2 + net.b1)
    out_h = (sigmoid(net_h[0]), sigmoid(net_h[1]))
    net_o = (w5 * out_h[0] + w6 * out_h[1] + net.b2, w7 * out_h[0] + w8 * out_h[1] + net.b2)
    out_o = (sigmoid(net_o[0]), sigmoid(net_o[1]))
    terms = (0.5 * (targets[0] - out_o[0]) ** 2, 0.5 * (targets[1] - out_o[1]) ** 2)
    return Forward(net_h, out_h, net_o, out_o, terms, terms[0] + terms[1])


def backward(net: Net, fwd: Forward, inputs: tuple[float, float], targets: tuple[float, float]) -> Backward:
    """The chain rule, output layer first, every factor taken at the current (old) weights."""
    w5, w6, w7, w8 = net.w[4:]
    i1, i2 = inputs
    (h1, h2), (o1, o2) = fwd.out_h, fwd.out_o
    de_do = (o1 - targets[0], o2 - targets[1])
    do_dn = (o1 * (1.0 - o1), o2 * (1.0 - o2))
    delta_o = (de_do[0] * do_dn[0], de_do[1] * do_dn[1])
    de_dh = (w5 * delta_o[0] + w7 * delta_o[1], w6 * delta_o[0] + w8 * delta_o[1])
    dh_dn = (h1 * (1.0 - h1), h2 * (1.0 - h2))
    delta_h = (de_dh[0] * dh_dn[0], de_dh[1] * dh_dn[1])
    grads = (delta_h[0] * i1, delta_h[0] * i2, delta_h[1] * i1, delta_h[1] * i2,
             delta_o[0] * h1, delta_o[0] * h2, delta_o[1] * h1, delta_o[1] * h2,
             delta_h[0] + delta_h[1], delta_o[0] + delta_o[1])
    return Backward(de_do, do_dn, delta_o, de_dh, dh_dn, delta_h, grads)


def apply_update(net: Net, grads: tuple[float, ...], lr: float, update_biases: bool) -> Net:
    """Every parameter steps against its gradient at once: p <- p - lr * dE/dp."""
    w = tuple(wk - lr * gk for wk, gk in zip(net.w, grads[:8]))
    if not update_biases:
        return Net(w, net.b1, net.b2)
    return Net(w, net.b1 - lr * grads[8], net.b2 - lr * grads[9])


def _forward_fields(t: int, event: str, net: Net, fwd: Forward) -> dict[str, Any]:
    return {"t": t, "event": event, "weights": dict(zip(WEIGHTS, net.w)), "b1": net.b1, "b2": net.b2,
            "net_h": list(fwd.net_h), "out_h": list(fwd.out_h), "net_o": list(fwd.net_o),
            "out_o": list(fwd.out_o), "loss_terms": list(fwd.loss_terms), "loss": fwd.loss}


def update_record(t: int, net: Net, fwd: Forward, bwd: Backward, after: Net,
                  inputs: tuple[float, float]) -> dict[str, Any]:
    """The full state of one training step, as the scene draws it."""
    de_do, do_dn, de_dh, dh_dn = bwd.dE_dout_o, bwd.dout_dnet_o, bwd.dE_dout_h, bwd.dout_dnet_h
    (h1, h2), (i1, i2) = fwd.out_h, inputs
    chain = {"w1": [de_dh[0], dh_dn[0], i1], "w2": [de_dh[0], dh_dn[0], i2],
             "w3": [de_dh[1], dh_dn[1], i1], "w4": [de_dh[1], dh_dn[1], i2],
             "w5": [de_do[0], do_dn[0], h1], "w6": [de_do[0], do_dn[0], h2],
             "w7": [de_do[1], do_dn[1], h1], "w8": [de_do[1], do_dn[1], h2]}
    return {**_forward_fields(t, "update", net, fwd),
            "dE_dout_o": list(de_do), "dout_dnet_o": list(do_dn), "delta_o": list(bwd.delta_o),
            "dE_dout_h": list(de_dh), "dout_dnet_h": list(dh_dn), "delta_h": list(bwd.delta_h),
            "grads": dict(zip((*WEIGHTS, "b1", "b2"), bwd.grads)), "chain": chain,
            "weights_after": dict(zip(WEIGHTS, after.w)), "b1_after": after.b1, "b2_after": after.b2}


def final_record(t: int, net: Net, fwd: Forward) -> dict[str, Any]:
    """The state after the last update: parameters, forward pass and loss only."""
    return _forward_fields(t, "final", net, fwd)


def detail_steps(steps: int) -> list[int]:
    """The training steps recorded in full: 0, 1, 2, the powers of ten below ``steps``, and ``steps - 1``."""
    chosen = {0, 1, 2, steps - 1}
    power = 10
    while power < steps:
        chosen.add(power)
        power *= 10
    return sorted(k for k in chosen if 0 <= k < steps)


def network_layout() -> dict[str, Any]:
    """Layers, neuron names and the eight named edges (bias feeds are implied by b1 and b2)."""
    pairs = (("i1", "h1"), ("i2", "h1"), ("i1", "h2"), ("i2", "h2"),
             ("h1", "o1"), ("h2", "o1"), ("h1", "o2"), ("h2", "o2"))
    return {"layers": [2, 2, 2], "neurons": ["i1", "i2", "h1", "h2", "o1", "o2"],
            "edges": [{"name": name, "from": a, "to": b} for name, (a, b) in zip(WEIGHTS, pairs)]}


def train(net: Net, p: dict[str, Any]) -> tuple[list[dict[str, Any]], list[float], list[list[float]]]:
    """Run ``p["steps"]`` updates: the step records, the loss curve and the output curve."""
    inputs, targets = tuple(p["inputs"]), tuple(p["targets"])
    lr, update_biases, total = p["learning_rate"], p["update_biases"], p["steps"]
    detail = set(detail_steps(total))
    records: list[dict[str, Any]] = []
    losses: list[float] = []
    outs: list[list[float]] = []
    for k in range(total):
        fwd = forward(net, inputs, targets)
        bwd = backward(net, fwd, inputs, targets)
        after = apply_update(net, bwd.grads, lr, update_biases)
        if k in detail:
            records.append(update_record(k, net, fwd, bwd, after, inputs))
        losses.append(fwd.loss)
        outs.append(list(fwd.out_o))
        net = after
    fwd = forward(net, inputs, targets)
    records.append(final_record(total, net, fwd))
    losses.append(fwd.loss)
    outs.append(list(fwd.out_o))
    return records, losses, outs


def _grad_shrink(grads: dict[str, float]) -> list[float] | None:
    outer = [abs(grads[w]) for w in WEIGHTS[4:]]
    inner = [abs(grads[w]) for w in WEIGHTS[:4]]
    if min(inner) == 0.0:
        return None
    ratios = [min(outer) / max(inner), max(outer) / min(inner)]
    return ratios if all(math.isfinite(r) for r in ratios) else None


def simulate(seed: int, **params: Any) -> Trace:
    """Train the 2-2-2 network; see the module docstring for the trace."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    rng = np.random.default_rng(seed)
    records, losses, outs = train(init_net(p["init"], rng), p)
    summary = {"network": network_layout(), "loss_first": losses[0], "loss_last": losses[-1],
               "out_last": outs[-1], "loss_curve": losses, "out_curve": outs,
               "detail_steps": [r["t"] for r in records[:-1]], "grad_shrink": _grad_shrink(records[0]["grads"])}
    return Trace(id=ID, seed=seed, params=p, steps=records, summary=summary)
