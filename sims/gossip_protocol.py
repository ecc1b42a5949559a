"""Gossip Protocol: one update spreads through a fully connected cluster by random push or push-pull rounds.

Model
-----
N servers, every pair connected, move in synchronous rounds; time is the round number. Each
server is susceptible or infected (it knows the update), and every choice in a round uses the
states at the start of that round. In push mode every infected server picks ``fanout`` distinct
peers at random among the other N - 1 and sends them the update. In push-pull mode every server,
informed or not, picks ``fanout`` distinct peers and the two exchange what they know, so the pair
ends the round infected if either end was infected at its start. Each contact is lost on its own
with probability ``loss_prob``: a lost contact changes nothing but still counts as a message. A
run stops at the first round in which every server knows, or after ``max_rounds``. Several
variants (mode, fanout, loss) run from the same seeded origin server and read the same random
draws: server v's j-th pick in round r and that contact's loss coin are fixed by (seed, r, v, j),
so variants differ only in their rules. A scaling study repeats some variants many times over
larger clusters (drawing only what each sender needs) and keeps only how many rounds each took.

Invariants
----------
1. Monotone spread: round 0 has only the origin infected, counts grow by the newly infected, nobody forgets.
2. Causality: each newly infected server touched a server infected at round start by a delivered contact.
3. Sender discipline: senders are the infected (push) or all servers (push-pull), each with fanout distinct peers.
4. Growth bound: push adds at most fanout x infected; push-pull at most its delivered mixed contacts.
5. Message accounting: no loss means all delivered; useless and cumulative counts add up to the summary.
6. Termination: a run ends full with rounds_to_full = its last round, or at max_rounds with null.
7. Determinism: same seed and params, same bytes; removing a variant leaves the others unchanged.
8. Coupling: a variant with more loss, less fanout, or push instead of push-pull never knows more after a round.

Leaves out
----------
Real clusters are not fully connected and do not move in lockstep rounds: messages take varying
time, servers join, leave and crash, and each server usually gossips on its own timer. Real
gossip also carries many updates at once, compares versions, and stops spreading a rumour by
itself (counters or feedback), while here every run simply stops when all servers know.

Trace
-----
``steps`` hold one step per (variant, round), variants in ``params.variants`` order, each
starting with its round-0 step (``event`` "origin", later steps ``event`` "round"). A step holds
``variant``, ``mode``, ``fanout``, ``loss_prob``, ``round``, ``contacts`` (``src``, ``dst``,
``delivered``, ``effect``: infect_dst, infect_src or none; sorted by src then dst; when several
contacts reach the same server in one round only the first carries the effect), ``newly_infected``
and the state after the round: ``infected`` (one flag per server), ``infected_count``,
``fraction``, ``messages``, ``useless_messages`` (delivered with no effect), ``lost_messages``,
``cumulative_messages`` and ``cumulative_useless``. ``summary.origin`` is the first server to
know. ``summary.runs[variant]`` holds ``rounds_to_full`` (null if not everyone knew by
``max_rounds``), ``infected_at`` (round per server, 0 for the origin, null if never),
``total_messages``, ``useless_messages``, ``lost_messages``, ``busiest_sends`` (most contacts
one server opened), ``useless_overtakes_round`` (first round after which the useless messages
outnumber the useful ones, or null) and ``curve`` (fraction infected after each round, round 0
first). ``summary.scaling`` lists ``{n, variant, runs, finished, mean_rounds, min_rounds,
max_rounds, theory_push_rounds}`` (rounds over the finished runs; the last is log2 N + ln N, the
published mean for push with fanout 1); ``summary.scaling_growth`` gives
per scaling variant the extra mean rounds from ``n_nodes`` (or the smallest size) to the largest
size. ``summary.baseline_direct`` is the origin telling everyone alone at the first variant's
fanout: ``{fanout, rounds, messages}``. Floats are rounded to 6 decimals.
"""

from __future__ import annotations

import copy
import math
import zlib
from typing import Any, Callable, Mapping, NamedTuple, Sequence

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "MODES", "EFFECTS", "MAX_SCALING_WORK", "CHUNK_SERVERS", "RoundTable", "BatchResult",
    "check_params", "simulate", "round_table", "scaling_rng", "place_picks", "pick_peers", "apply_round",
    "gossip_round", "contact_effects", "run_variant", "run_batch", "scaling_study", "baseline_direct",
]

ID = "gossip-protocol"
#: A second story for the shared tests: other params that still tell it.
ALTERNATE_PARAMS: dict[str, Any] = {
    "n_nodes": 48, "scaling_sizes": [12, 48, 192, 768],
    "variants": [{"name": "push_f1", "mode": "push", "fanout": 1, "loss_prob": 0.0},
                 {"name": "push_f3", "mode": "push", "fanout": 3, "loss_prob": 0.0},
                 {"name": "pushpull_f1", "mode": "pushpull", "fanout": 1, "loss_prob": 0.0},
                 {"name": "push_f1_loss40", "mode": "push", "fanout": 1, "loss_prob": 0.4}],
}
MODES = ("push", "pushpull")
EFFECTS = ("infect_dst", "infect_src", "none")
MAX_VARIANTS = 6
MAX_FANOUT = 8
MAX_LOSS = 0.5
#: Upper bound on scaling_runs x sum(scaling_sizes) x len(scaling_variants): every valid run stays fast.
MAX_SCALING_WORK = 2**18
#: Servers per group of side-by-side runs in :func:`run_batch`.
CHUNK_SERVERS = 8192


# ---------------------------------------------------------------- parameters
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_variants(value: Any) -> list[dict[str, Any]]:
    if not 1 <= len(value) <= MAX_VARIANTS:
        raise ValueError(f"expected 1 to {MAX_VARIANTS} variants, got {len(value)}")
    out, names = [], set()
    for i, item in enumerate(value):
        keys = {"name", "mode", "fanout", "loss_prob"}
        if not isinstance(item, dict) or set(item) != keys:
            raise ValueError(f"entry {i}: expected exactly {{name, mode, fanout, loss_prob}}, got {item!r}")
        name, mode, fanout, loss = item["name"], item["mode"], item["fanout"], item["loss_prob"]
        if not (isinstance(name, str) and 1 <= len(name) <= 32 and name.replace("_", "").replace("-", "").isalnum()
                and name.isascii()):
            raise ValueError(f"entry {i}: name must be 1-32 ASCII letters, digits, '_' or '-', got {name!r}")
        if name in names:
            raise ValueError(f"entry {i}: duplicate name {name!r}")
        names.add(name)
        if mode not in MODES:
            raise ValueError(f"entry {i}: mode must be push or pushpull, got {mode!r}")
        if not (_is_int(fanout) and 1 <= fanout <= MAX_FANOUT):
            raise ValueError(f"entry {i}: fanout must be an integer in [1, {MAX_FANOUT}], got {fanout!r}")
        if isinstance(loss, bool) or not isinstance(loss, (int, float)) or not 0.0 <= loss <= MAX_LOSS:
            raise ValueError(f"entry {i}: loss_prob must be a number in [0, {MAX_LOSS}], got {loss!r}")
        out.append({"name": name, "mode": mode, "fanout": fanout, "loss_prob": float(loss)})
    return out


def _check_sizes(value: Any) -> list[int]:
    if not 1 <= len(value) <= 8:
        raise ValueError(f"expected 1 to 8 sizes, got {len(value)}")
    if not all(_is_int(v) and 2 <= v <= 4096 for v in value):
        raise ValueError(f"every size must be an integer in [2, 4096], got {value!r}")
    if any(a >= b for a, b in zip(value, value[1:])):
        raise ValueError(f"sizes must be strictly increasing, got {value!r}")
    return list(value)


def _check_scaling_variants(value: Any) -> list[str]:
    if len(value) > 4 or not all(isinstance(v, str) for v in value) or len(set(value)) != len(value):
        raise ValueError(f"expected up to 4 distinct variant names, got {value!r}")
    return list(value)


DEFAULT_VARIANTS = [
    {"name": "push_f1", "mode": "push", "fanout": 1, "loss_prob": 0.0},
    {"name": "push_f2", "mode": "push", "fanout": 2, "loss_prob": 0.0},
    {"name": "pushpull_f1", "mode": "pushpull", "fanout": 1, "loss_prob": 0.0},
    {"name": "push_f1_loss25", "mode": "push", "fanout": 1, "loss_prob": 0.25},
]

PARAMS: tuple[Param, ...] = (
    Param("n_nodes", int, 64, 2, 256, "servers in the drawn cluster"),
    Param("variants", list, DEFAULT_VARIANTS, help="[{name, mode: push|pushpull, fanout, loss_prob}, ...]",
          validate=_check_variants),
    Param("max_rounds", int, 60, 1, 200, "rounds before a run gives up"),
    Param("scaling_sizes", list, [16, 64, 256, 1024], help="cluster sizes of the scaling study",
          validate=_check_sizes),
    Param("scaling_variants", list, ["push_f1", "pushpull_f1"], help="variant names the scaling study repeats",
          validate=_check_scaling_variants),
    Param("scaling_runs", int, 40, 1, 200, "runs per (size, variant) in the scaling study"),
)


def check_params(p: dict[str, Any]) -> None:
    """Cross-field checks; raise :class:`ParamError` naming the field at fault."""
    n = p["n_nodes"]
    by_name = {v["name"]: v for v in p["variants"]}
    for i, v in enumerate(p["variants"]):
        if v["fanout"] > n - 1:
            raise ParamError("variants", f"entry {i}: fanout {v['fanout']} needs more than n_nodes={n} servers")
    for name in p["scaling_variants"]:
        if name not in by_name:
            raise ParamError("scaling_variants", f"{name!r} is not a variant (known: {', '.join(by_name)})")
        if by_name[name]["fanout"] > p["scaling_sizes"][0] - 1:
            raise ParamError("scaling_sizes", f"size {p['scaling_sizes'][0]} is too small for {name}'s fanout "
                             f"{by_name[name]['fanout']}")
    work = p["scaling_runs"] * sum(p["scaling_sizes"]) * len(p["scaling_variants"])
    if work > MAX_SCALING_WORK:
        raise ParamError("scaling_runs", f"runs x sum(sizes) x variants = {work} exceeds {MAX_SCALING_WORK}")


# ---------------------------------------------------------------- random streams
ROUND_TAG = zlib.crc32(b"gossip-round")


class RoundTable(NamedTuple):
    """Round r's draws for every server: ``raw[v, j]`` places pick j of server v, ``coins[v, j]`` its loss coin."""

    raw: np.ndarray
    coins: np.ndarray


def round_table(seed: int, rnd: int, n: int, fanout: int) -> RoundTable:
    """Draws shared by every traced variant in round ``rnd``; column j has its own stream, so the
    first j columns are the same whatever the fanout (and whoever sends)."""
    raw = np.empty((n, fanout), dtype=np.int64)
    coins = np.empty((n, fanout))
    for j in range(fanout):
        rng = np.random.default_rng(np.random.SeedSequence([seed, ROUND_TAG, rnd, j]))
        raw[:, j] = rng.integers(0, n - 1 - j, size=n)
        coins[:, j] = rng.random(n)
    return RoundTable(raw, coins)


def scaling_rng(seed: int, name: str, n: int) -> np.random.Generator:
    """One stream per (variant, size) cell of the scaling study; its runs are drawn side by side."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode("utf-8")), 1, n]))


# ---------------------------------------------------------------- one round
def place_picks(raw: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Turn raw draws into distinct peers != src: ``raw[:, j]`` (uniform in [0, n - 1 - j)) indexes
    the others not picked yet, so it is stepped past the earlier picks in ascending order, then past
    the sender itself. Each pick j is then uniform over the peers not picked before it."""
    picks = raw.astype(np.int64, copy=True)
    for j in range(1, picks.shape[1]):
        v = picks[:, j]
        for col in np.sort(picks[:, :j], axis=1).T:
            v += v >= col
    return picks + (picks >= src[:, None])


def pick_peers(rng: np.random.Generator, src: np.ndarray, n: int, fanout: int) -> np.ndarray:
    """``fanout`` distinct uniform peers != src for each sender, drawn from ``rng``: (len(src), fanout)."""
    if fanout == 1:  # the common case, without the copies
        v = rng.integers(0, n - 1, size=len(src), dtype=np.int32)
        return (v + (v >= src))[:, None]
    raw = np.stack([rng.integers(0, n - 1 - j, size=len(src), dtype=np.int32) for j in range(fanout)], axis=1)
    return place_picks(raw, src)


def apply_round(state: np.ndarray, src: np.ndarray, dst: np.ndarray, delivered: np.ndarray | None,
                mode: str) -> np.ndarray:
    """The round rule on flat states: a delivered contact infects its peer if the sender knew at round
    start; in push-pull it also infects the sender if the peer knew. ``delivered`` None: all delivered."""
    after = state.copy()
    if mode == "push":
        knew = state[src]
        if delivered is not None:
            knew &= delivered
        after[dst[knew]] = True
        return after
    src_knew, dst_knew = state[src], state[dst]
    if delivered is not None:
        src_knew &= delivered
        dst_knew &= delivered
    after[dst[src_knew]] = True
    after[src[dst_knew]] = True
    return after


def gossip_round(rng: np.random.Generator, infected: np.ndarray, mode: str, fanout: int,
                 loss_prob: float) -> np.ndarray:
    """One round for every run of a (runs, N) batch, drawing only what the senders need: senders in
    (run, server) order draw their peers, then every contact its loss coin (only if ``loss_prob`` > 0)."""
    n = infected.shape[1]
    state = infected.ravel()
    senders = np.flatnonzero(state) if mode == "push" else np.arange(state.size)
    src = senders % n
    dst = pick_peers(rng, src, n, fanout)
    src_flat = np.repeat(senders, fanout) if fanout > 1 else senders
    dst_flat = ((senders - src)[:, None] + dst).ravel()
    delivered = rng.random(len(src_flat)) >= loss_prob if loss_prob > 0 else None
    if mode == "push" and delivered is None:  # every sender knew: skip the lookup
        after = state.copy()
        after[dst_flat] = True
    else:
        after = apply_round(state, src_flat, dst_flat, delivered, mode)
    return after.reshape(infected.shape)


def contact_effects(start: Sequence[bool], contacts: Sequence[tuple[int, int, bool]]) -> list[str]:
    """Effect of each (src, dst, delivered) contact, in the given order: the first to reach a server wins."""
    reached: set[int] = set()
    effects = []
    for src, dst, delivered in contacts:
        effect = "none"
        if delivered and start[src] != start[dst]:
            target = dst if start[src] else src
            if target not in reached:
                reached.add(target)
                effect = "infect_dst" if target == dst else "infect_src"
        effects.append(effect)
    return effects


# ---------------------------------------------------------------- traced runs
def _rounded(x: float) -> float:
    return round(x, 6)


def run_variant(table: Callable[[int, int], RoundTable], n: int, origin: int, variant: Mapping[str, Any],
                max_rounds: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run one variant from ``origin`` and record every round; return (steps, summary entry).

    ``table(rnd, fanout)`` gives round ``rnd``'s shared draws (see :func:`round_table`): every
    variant reads the same picks and coins, so a lossy run never gets ahead of its lossless twin,
    fanout 2 never falls behind fanout 1, and push-pull never behind push.
    """
    mode, fanout, loss = variant["mode"], variant["fanout"], variant["loss_prob"]
    head = {"variant": variant["name"], "mode": mode, "fanout": fanout, "loss_prob": loss}
    state = np.zeros(n, dtype=bool)
    state[origin] = True
    everyone = np.arange(n)
    infected_at: list[int | None] = [None] * n
    infected_at[origin] = 0
    sends = [0] * n
    cumulative = useless_total = lost_total = useful_total = 0
    overtakes: int | None = None
    steps = [{**head, "round": 0, "event": "origin", "contacts": [], "newly_infected": [origin],
              "infected": state.tolist(), "infected_count": 1, "fraction": _rounded(1 / n), "messages": 0,
              "useless_messages": 0, "lost_messages": 0, "cumulative_messages": 0, "cumulative_useless": 0}]
    rounds_to_full = None
    for rnd in range(1, max_rounds + 1):
        drawn = table(rnd, fanout)
        senders = np.flatnonzero(state) if mode == "push" else everyone
        src = np.repeat(senders, fanout)
        dst = place_picks(drawn.raw[senders], senders).ravel()
        delivered = drawn.coins[senders].ravel() >= loss
        after_state = apply_round(state, src, dst, delivered if loss > 0 else None, mode)
        order = np.lexsort((dst, src))
        raw = list(zip(src[order].tolist(), dst[order].tolist(), delivered[order].tolist()))
        start = state.tolist()
        effects = contact_effects(start, raw)
        contacts = [{"src": s, "dst": d, "delivered": ok, "effect": e} for (s, d, ok), e in zip(raw, effects)]
        newly = sorted(d if e == "infect_dst" else s for (s, d, _), e in zip(raw, effects) if e != "none")
        for s, _, _ in raw:
            sends[s] += 1
        for node in newly:
            infected_at[node] = rnd
        state = after_state
        after = state.tolist()
        useless = sum(ok and e == "none" for (_, _, ok), e in zip(raw, effects))
        lost = sum(not ok for _, _, ok in raw)
        cumulative, useless_total, lost_total = cumulative + len(raw), useless_total + useless, lost_total + lost
        useful_total += len(newly)
        if overtakes is None and useless_total > useful_total:
            overtakes = rnd
        count = sum(after)
        steps.append({**head, "round": rnd, "event": "round", "contacts": contacts, "newly_infected": newly,
                      "infected": after, "infected_count": count, "fraction": _rounded(count / n),
                      "messages": len(raw), "useless_messages": useless, "lost_messages": lost,
                      "cumulative_messages": cumulative, "cumulative_useless": useless_total})
        if count == n:
            rounds_to_full = rnd
            break
    summary = {"rounds_to_full": rounds_to_full, "infected_at": infected_at, "total_messages": cumulative,
               "useless_messages": useless_total, "lost_messages": lost_total, "busiest_sends": max(sends),
               "useless_overtakes_round": overtakes, "curve": [s["fraction"] for s in steps]}
    return steps, summary


# ---------------------------------------------------------------- many runs at once
class BatchResult(NamedTuple):
    """Per run: infected count after each round (rounds 0..max_rounds), round it finished (-1: never), messages."""

    counts: np.ndarray
    rounds_to_full: np.ndarray
    messages: np.ndarray


def run_batch(rng: np.random.Generator, n: int, runs: int, mode: str, fanout: int, loss_prob: float,
              max_rounds: int, origin: int = 0) -> BatchResult:
    """``runs`` independent runs with the same round rule as the traced runs.

    Runs go side by side in groups of at most ``CHUNK_SERVERS`` servers (keeps every array small and
    fast to allocate); the groups draw from ``rng`` one after the other.
    """
    per = max(1, CHUNK_SERVERS // n)
    parts = [_run_group(rng, n, min(per, runs - first), mode, fanout, loss_prob, max_rounds, origin)
             for first in range(0, runs, per)]
    return BatchResult(*(np.concatenate([part[i] for part in parts]) for i in range(3)))


def _run_group(rng: np.random.Generator, n: int, runs: int, mode: str, fanout: int, loss_prob: float,
               max_rounds: int, origin: int) -> BatchResult:
    state = np.zeros((runs, n), dtype=bool)
    state[:, origin] = True
    live = np.arange(runs)  # the runs still going, in order; ``state`` holds only their rows
    counts = np.full((runs, max_rounds + 1), n, dtype=np.int64)
    counts[:, 0] = 1
    finished = np.full(runs, -1, dtype=np.int64)
    messages = np.zeros(runs, dtype=np.int64)
    for rnd in range(1, max_rounds + 1):
        if not len(live):
            break
        messages[live] += fanout * (counts[live, rnd - 1] if mode == "push" else n)
        state = gossip_round(rng, state, mode, fanout, loss_prob)
        count = state.sum(axis=1)
        counts[live, rnd] = count
        done = count == n
        if done.any():
            finished[live[done]] = rnd
            live, state = live[~done], state[~done]
    return BatchResult(counts, finished, messages)


def scaling_study(seed: int, p: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rounds to reach everyone, over ``scaling_runs`` runs per (size, scaling variant)."""
    by_name = {v["name"]: v for v in p["variants"]}
    out = []
    for n in p["scaling_sizes"]:
        for name in p["scaling_variants"]:
            v = by_name[name]
            result = run_batch(scaling_rng(seed, name, n), n, p["scaling_runs"], v["mode"], v["fanout"],
                               v["loss_prob"], p["max_rounds"])
            done = result.rounds_to_full[result.rounds_to_full >= 0].tolist()
            out.append({"n": n, "variant": name, "runs": p["scaling_runs"], "finished": len(done),
                        "mean_rounds": _rounded(sum(done) / len(done)) if done else None,
                        "min_rounds": min(done) if done else None, "max_rounds": max(done) if done else None,
                        "theory_push_rounds": _rounded(math.log2(n) + math.log(n))})
    return out


def _scaling_growth(scaling: Sequence[Mapping[str, Any]], p: Mapping[str, Any]) -> list[dict[str, Any]]:
    sizes = p["scaling_sizes"]
    low = p["n_nodes"] if p["n_nodes"] in sizes else sizes[0]
    high = sizes[-1]
    mean = {(s["variant"], s["n"]): s["mean_rounds"] for s in scaling}
    growth = []
    for name in p["scaling_variants"]:
        a, b = mean[(name, low)], mean[(name, high)]
        growth.append({"variant": name, "from_n": low, "to_n": high, "size_ratio": _rounded(high / low),
                       "extra_rounds": _rounded(b - a) if a is not None and b is not None else None})
    return growth


def baseline_direct(n: int, fanout: int) -> dict[str, int]:
    """The origin alone tells the other n - 1, ``fanout`` per round."""
    return {"fanout": fanout, "rounds": -(-(n - 1) // fanout), "messages": n - 1}


# ---------------------------------------------------------------- run
def simulate(seed: int, **params: Any) -> Trace:
    """Every variant from one seeded origin, then the scaling study; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = copy.deepcopy(resolve_params(PARAMS, params, check_params))  # never share the default lists
    n = p["n_nodes"]
    origin = int(np.random.default_rng(seed).integers(0, n))
    steps: list[dict[str, Any]] = []
    runs: dict[str, Any] = {}
    tables: dict[int, RoundTable] = {}

    def table(rnd: int, fanout: int) -> RoundTable:
        if rnd not in tables or tables[rnd].raw.shape[1] < fanout:
            tables[rnd] = round_table(seed, rnd, n, fanout)
        return RoundTable(tables[rnd].raw[:, :fanout], tables[rnd].coins[:, :fanout])

    for variant in p["variants"]:
        v_steps, v_summary = run_variant(table, n, origin, variant, p["max_rounds"])
        steps += v_steps
        runs[variant["name"]] = v_summary
    scaling = scaling_study(seed, p)
    summary = {"origin": origin, "runs": runs, "scaling": scaling, "scaling_growth": _scaling_growth(scaling, p),
               "baseline_direct": baseline_direct(n, p["variants"][0]["fanout"])}
    return Trace(id=ID, seed=seed, params=p, steps=steps, summary=summary)
