"""Tests for sims.attention_mechanism: the storyboard's invariants checked from the trace JSON alone,
an independent numpy recomputation of every run, PyTorch's scaled_dot_product_attention and
MultiheadAttention as references, the golden numbers at seed 15, the rules on their own, determinism
and parameter errors."""

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
from sims import attention_mechanism as am
from sims.params import ParamError

ROOT = Path(__file__).resolve().parents[1]
PROPERTY = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
EVENTS = ["embed", "project", "scores", "softmax", "mix", "contrast", "causal", "multihead"]
STEP_FIELDS = {"t", "event", "sentence_id", "causal", "head", "tokens", "token_ids", "focus_index", "X", "heads",
               "concat", "out"}
HEAD_FIELDS = {"Q", "K", "V", "scores", "weights", "out", "focus_products"}
TOL = 1e-12


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Any:
    """Tiny tensors: torch's thread pool only costs here (200x slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def run(seed: int, **params: Any) -> dict[str, Any]:
    return json.loads(am.simulate(seed, **params).to_json())


@lru_cache(maxsize=2)
def catalog_trace() -> dict[str, Any]:
    entry = load_catalog().get(am.ID)
    return run(entry.seed, **entry.params)


def arr(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=float)


def close(a: Any, b: Any, tol: float = TOL) -> bool:
    a, b = arr(a), arr(b)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol))


def near(a: list[float], b: list[float], tol: float = TOL) -> bool:
    """close() for two short flat lists, without numpy's per-call overhead."""
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b))


RUN_FIELDS = STEP_FIELDS - {"t", "event", "head"}


def distinct_runs(tr: dict[str, Any]) -> list[dict[str, Any]]:
    """The first step of each attention run (main, contrast, contrast masked); check_shape asserts that
    the other steps of a run carry the very same run."""
    firsts: dict[tuple[str, bool], dict[str, Any]] = {}
    for s in tr["steps"]:
        firsts.setdefault((s["sentence_id"], s["causal"]), s)
    return list(firsts.values())


# ---------------------------------------------------------------- checkers (trace JSON only)
def check_shape(tr: dict[str, Any]) -> None:
    p, summary = tr["params"], tr["summary"]
    dm, dk, nh = p["d_model"], p["d_k"], p["n_heads"]
    vocab = summary["vocab"]
    assert vocab == sorted(set(p["sentence"].split()) | set(p["contrast_sentence"].split()))
    assert arr(summary["embeddings"]).shape == (len(vocab), dm)
    for key in ("W_Q", "W_K", "W_V"):
        assert arr(summary[key]).shape == (nh, dm, dk)
    assert arr(summary["W_O"]).shape == (nh * dk, dm) and summary["sqrt_d_k"] == math.sqrt(dk)
    assert [s["t"] for s in tr["steps"]] == list(range(8)) and [s["event"] for s in tr["steps"]] == EVENTS
    assert [s["sentence_id"] for s in tr["steps"]] == ["main"] * 5 + ["contrast"] * 2 + ["main"]
    assert [s["causal"] for s in tr["steps"]] == [False] * 6 + [True, False]
    assert [s["head"] for s in tr["steps"]] == [0] * 7 + [None]
    first = {}
    for s in tr["steps"]:
        run_state = {key: s[key] for key in RUN_FIELDS}
        assert first.setdefault((s["sentence_id"], s["causal"]), run_state) == run_state, s["event"]
    for s in tr["steps"]:
        assert set(s) == STEP_FIELDS
        words = p["sentence" if s["sentence_id"] == "main" else "contrast_sentence"].split()
        n = len(words)
        assert s["tokens"] == words and [vocab[i] for i in s["token_ids"]] == words
        assert s["focus_index"] == words.index(p["focus_word"])
        assert arr(s["X"]).shape == (n, dm) and arr(s["out"]).shape == (n, dm)
        assert arr(s["concat"]).shape == (n, nh * dk) and len(s["heads"]) == nh
        for h in s["heads"]:
            assert set(h) == HEAD_FIELDS
            for key in ("Q", "K", "V", "out", "focus_products"):
                assert arr(h[key]).shape == (n, dk), key
            assert arr(h["weights"]).shape == (n, n) and len(h["scores"]) == n
            assert all(len(row) == n for row in h["scores"])


def check_lookup_projection(tr: dict[str, Any]) -> None:
    """Invariant 1."""
    emb = tr["summary"]["embeddings"]
    for s in distinct_runs(tr):
        assert s["X"] == [emb[i] for i in s["token_ids"]]
        x = arr(s["X"])
        for h, head in enumerate(s["heads"]):
            for key in ("Q", "K", "V"):
                assert close(head[key], x @ arr(tr["summary"][f"W_{key}"][h])), key


def check_scores(tr: dict[str, Any]) -> None:
    """Invariant 2."""
    root = math.sqrt(tr["params"]["d_k"])
    for s in distinct_runs(tr):
        f = s["focus_index"]
        for head in s["heads"]:
            q, k, sc = arr(head["Q"]), arr(head["K"]), head["scores"]
            n = len(sc)
            for i in range(n):
                for j in range(n):
                    if s["causal"] and j > i:
                        assert sc[i][j] is None and head["weights"][i][j] == 0.0
                    else:
                        assert sc[i][j] is not None and abs(sc[i][j] - float(q[i] @ k[j]) / root) <= TOL
            assert head["focus_products"] == [[a * b for a, b in zip(head["Q"][f], kj)] for kj in head["K"]]
            for j in range(n):
                if sc[f][j] is not None:
                    assert abs(sc[f][j] - sum(head["focus_products"][j]) / root) <= TOL


def check_softmax(tr: dict[str, Any]) -> None:
    """Invariant 3."""
    for s in distinct_runs(tr):
        for head in s["heads"]:
            for srow, wrow in zip(head["scores"], head["weights"]):
                live = [j for j, v in enumerate(srow) if v is not None]
                assert all(w >= 0 for w in wrow) and abs(sum(wrow) - 1) <= TOL
                sc = arr([srow[j] for j in live])
                e = np.exp(sc - sc.max())
                assert near([wrow[j] for j in live], (e / e.sum()).tolist())
                for a in live:
                    for b in live:
                        if srow[a] < srow[b]:
                            assert wrow[a] <= wrow[b]
                        elif srow[a] == srow[b]:
                            assert wrow[a] == wrow[b]


def check_blend(tr: dict[str, Any]) -> None:
    """Invariant 4."""
    for s in distinct_runs(tr):
        for head in s["heads"]:
            v, out = arr(head["V"]), arr(head["out"])
            assert close(out, arr(head["weights"]) @ v)
            assert np.all(out >= v.min(axis=0) - TOL) and np.all(out <= v.max(axis=0) + TOL)


def check_context_free(tr: dict[str, Any]) -> None:
    """Invariant 5: one X, Q, K, V row per word, whatever the step, sentence or position."""
    seen: dict[tuple[str, int], dict[str, Any]] = {}
    for s in tr["steps"]:
        for i, word in enumerate(s["tokens"]):
            for h, head in enumerate(s["heads"]):
                rows = {"X": s["X"][i], "Q": head["Q"][i], "K": head["K"][i], "V": head["V"][i]}
                first = seen.setdefault((word, h), rows)
                assert first["X"] == rows["X"]
                for key in ("Q", "K", "V"):
                    assert near(first[key], rows[key]), (word, key)


def check_causal(tr: dict[str, Any]) -> None:
    """Invariant 6."""
    causal = next(s for s in tr["steps"] if s["event"] == "causal")
    free = next(s for s in tr["steps"] if s["event"] == "contrast")
    for hc, hf in zip(causal["heads"], free["heads"]):
        assert hc["weights"][0] == [1.0] + [0.0] * (len(hc["weights"]) - 1)
        assert close(hc["weights"][-1], hf["weights"][-1]) and close(hc["out"][-1], hf["out"][-1])


def check_multihead(tr: dict[str, Any]) -> None:
    """Invariant 7."""
    for s in distinct_runs(tr):
        assert s["concat"] == [[x for head in s["heads"] for x in head["out"][i]] for i in range(len(s["tokens"]))]
        assert close(s["out"], arr(s["concat"]) @ arr(tr["summary"]["W_O"]))


def reference_run(tr: dict[str, Any], sentence: str, causal: bool) -> dict[str, Any]:
    """The whole computation again in numpy from the summary's parameters."""
    summary, dk = tr["summary"], tr["params"]["d_k"]
    ids = [summary["vocab"].index(w) for w in sentence.split()]
    x = arr(summary["embeddings"])[ids]
    n = len(ids)
    outs, weights = [], []
    for wq, wk, wv in zip(summary["W_Q"], summary["W_K"], summary["W_V"]):
        sc = (x @ arr(wq)) @ (x @ arr(wk)).T / math.sqrt(dk)
        if causal:
            sc = np.where(np.triu(np.ones((n, n), bool), 1), -np.inf, sc)
        e = np.exp(sc - sc.max(axis=1, keepdims=True))
        w = e / e.sum(axis=1, keepdims=True)
        weights.append(w)
        outs.append(w @ (x @ arr(wv)))
    concat = np.concatenate(outs, axis=1)
    return {"weights": weights, "outs": outs, "out": concat @ arr(summary["W_O"])}


def check_against_reference(tr: dict[str, Any]) -> None:
    p, summary = tr["params"], tr["summary"]
    runs = {"main": (p["sentence"], False), "contrast": (p["contrast_sentence"], False),
            "main_causal": (p["sentence"], True), "contrast_causal": (p["contrast_sentence"], True)}
    refs = {name: reference_run(tr, *args) for name, args in runs.items()}
    for s in distinct_runs(tr):
        ref = refs[s["sentence_id"] + ("_causal" if s["causal"] else "")]
        assert close(s["out"], ref["out"])
        for h, head in enumerate(s["heads"]):
            assert close(head["weights"], ref["weights"][h]) and close(head["out"], ref["outs"][h])
    focus = p["focus_word"]
    for name, (sentence, _) in runs.items():
        f = sentence.split().index(focus)
        assert close(summary["focus_out"][name], refs[name]["outs"][0][f])
        tokens = sentence.split()
        for h, ranked in enumerate(summary["focus_ranked"][name]):
            row = refs[name]["weights"][h][f]
            assert sorted(r["index"] for r in ranked) == list(range(len(tokens)))
            assert all(r["token"] == tokens[r["index"]] and abs(r["weight"] - row[r["index"]]) <= TOL for r in ranked)
            keys = [(-r["weight"], r["index"]) for r in ranked]
            assert keys == sorted(keys)
    assert set(summary["focus_out"]) == set(summary["focus_ranked"]) == set(runs)


INVARIANTS = {
    "shape": check_shape,
    "1 lookup and projection": check_lookup_projection,
    "2 scores": check_scores,
    "3 softmax": check_softmax,
    "4 blend": check_blend,
    "5 context-free": check_context_free,
    "6 causal": check_causal,
    "7 multi-head": check_multihead,
    "reference recomputation": check_against_reference,
}


def check_all(tr: dict[str, Any]) -> None:
    for label, check in INVARIANTS.items():
        try:
            check(tr)
        except AssertionError as err:
            err.add_note(f"invariant {label}")
            raise


# ---------------------------------------------------------------- strategies
WORDS = ["the", "bank", "river", "loan", "was", "muddy", "approved", "a", "zebra", "x"]


@st.composite
def attention_params(draw: st.DrawFn) -> dict[str, Any]:
    focus = draw(st.sampled_from(WORDS))

    def sentence() -> str:
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=7))
        words.insert(draw(st.integers(0, len(words))), focus)
        return " ".join(words)

    return {"sentence": sentence(), "contrast_sentence": sentence(), "focus_word": focus,
            "d_model": draw(st.integers(2, 8)), "d_k": draw(st.integers(1, 4)), "n_heads": draw(st.integers(1, 4))}


seeds = st.integers(0, 2**32 - 1)


# ---------------------------------------------------------------- properties
def check_order_blindness(base: dict[str, Any], moved: dict[str, Any], perm: list[int]) -> None:
    """Invariant 8: ``moved`` ran the main sentence with its words in the order ``perm``."""
    assert moved["summary"]["vocab"] == base["summary"]["vocab"]
    for a, b in zip(distinct_runs(base), distinct_runs(moved)):
        if a["sentence_id"] != "main":
            assert a == b
            continue
        assert b["tokens"] == [a["tokens"][i] for i in perm]
        assert close(b["out"], arr(a["out"])[perm])
        for ha, hb in zip(a["heads"], b["heads"]):
            assert close(hb["weights"], arr(ha["weights"])[np.ix_(perm, perm)])
            assert close(hb["out"], arr(ha["out"])[perm])


@PROPERTY
@given(seed=seeds, params=attention_params(), data=st.data())
def test_invariants_1_to_8(seed: int, params: dict[str, Any], data: st.DataObject) -> None:
    """One run per example through every checker, a byte-identical rerun, and a permuted rerun."""
    first = am.simulate(seed, **params).to_json()
    assert am.simulate(seed, **params).to_json() == first
    base = json.loads(first)
    check_all(base)
    words = params["sentence"].split()
    perm = data.draw(st.permutations(range(len(words))))
    check_order_blindness(base, run(seed, **{**params, "sentence": " ".join(words[i] for i in perm)}), perm)


def test_order_blindness_checker_rejects_a_wrong_permutation() -> None:
    base = catalog_trace()
    moved = run(15, sentence="muddy was bank river the")
    check_order_blindness(base, moved, [4, 3, 2, 1, 0])
    with pytest.raises(AssertionError):
        check_order_blindness(base, moved, [4, 3, 2, 0, 1])


def test_head_0_does_not_depend_on_the_number_of_heads() -> None:
    one, four = run(15, n_heads=1), run(15, n_heads=4)
    assert one["summary"]["W_Q"][0] == four["summary"]["W_Q"][0]
    assert one["summary"]["W_V"][0] == four["summary"]["W_V"][0]
    assert one["steps"][4]["heads"][0] == four["steps"][4]["heads"][0]


# ---------------------------------------------------------------- the checkers catch bad traces
def _set(path: tuple[Any, ...], value: Any) -> Any:
    def apply(tr: dict[str, Any]) -> None:
        node = tr
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value(node[path[-1]]) if callable(value) else value
    return apply


MUTATIONS = [
    ("X row", check_lookup_projection, _set(("steps", 5, "X", 0, 1), lambda v: v + 1e-9)),
    ("Q row", check_lookup_projection, _set(("steps", 0, "heads", 0, "Q", 3, 0), lambda v: v + 1e-9)),
    ("score", check_scores, _set(("steps", 0, "heads", 1, "scores", 2, 4), lambda v: v * 1.0001)),
    ("focus product", check_scores, _set(("steps", 5, "heads", 0, "focus_products", 1, 1), lambda v: v + 1e-12)),
    ("masked score", check_scores, _set(("steps", 6, "heads", 0, "scores", 0, 3), 0.0)),
    ("masked weight", check_scores, _set(("steps", 6, "heads", 0, "weights", 1, 2), 1e-300)),
    ("weight", check_softmax, _set(("steps", 0, "heads", 0, "weights", 2, 1), lambda v: v + 1e-9)),
    ("head out", check_blend, _set(("steps", 0, "heads", 0, "out", 2, 0), lambda v: v - 1e-9)),
    ("same word", check_context_free, _set(("steps", 5, "heads", 1, "K", 0, 0), lambda v: v + 1e-9)),
    ("causal row 0", check_causal, _set(("steps", 6, "heads", 1, "weights", 0), lambda v: [0.0, 1.0] + v[2:])),
    ("concat", check_multihead, _set(("steps", 0, "concat", 2), lambda v: v[2:] + v[:2])),
    ("out", check_multihead, _set(("steps", 0, "out", 0, 3), lambda v: v + 1e-9)),
    ("a repeated run", check_shape, _set(("steps", 3, "heads", 0, "weights", 0, 0), lambda v: v + 1e-9)),
    ("focus index", check_shape, _set(("steps", 1, "focus_index"), 1)),
    ("focus out", check_against_reference, _set(("summary", "focus_out", "main_causal", 0), lambda v: v + 1e-9)),
    ("ranking", check_against_reference, _set(("summary", "focus_ranked", "main", 1), lambda v: v[::-1])),
    ("embedding", check_lookup_projection, _set(("summary", "embeddings", 1, 0), lambda v: v + 1e-9)),
]


@pytest.mark.parametrize("label, checker, mutate", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_checkers_reject_corrupted_traces(label: str, checker: Any, mutate: Any) -> None:
    tr = copy.deepcopy(catalog_trace())
    check_all(tr)
    mutate(tr)
    with pytest.raises(AssertionError):
        checker(tr)


def _off_by_one_mask(q: Any, k: Any, causal: bool) -> Any:
    root = math.sqrt(len(q[0]))
    return [[None if causal and j >= i and j else math.fsum(a * b for a, b in zip(qi, kj)) / root
             for j, kj in enumerate(k)] for i, qi in enumerate(q)]


def _unscaled(q: Any, k: Any, causal: bool) -> Any:
    return [[None if causal and j > i else math.fsum(a * b for a, b in zip(qi, kj))
             for j, kj in enumerate(k)] for i, qi in enumerate(q)]


@pytest.mark.parametrize("name, bug", [
    ("score_matrix", _off_by_one_mask),
    ("score_matrix", _unscaled),
    ("blend", lambda w, v: am.matmul([[x for x in row] for row in w], v[::-1])),
    ("softmax_row", lambda scores: [0.0 if s is None else 1.0 / len(scores) for s in scores]),
])
def test_checkers_catch_planted_bugs(name: str, bug: Any) -> None:
    with mock.patch.object(am, name, bug):
        bad = run(15, d_k=4)
    with pytest.raises(AssertionError):
        check_all(bad)


# ---------------------------------------------------------------- references: torch
def torch_head_out(head: dict[str, Any], causal: bool) -> np.ndarray:
    q, k, v = (torch.tensor([head[key]], dtype=torch.float64) for key in ("Q", "K", "V"))
    return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)[0].numpy()


def torch_multihead(tr: dict[str, Any], step: dict[str, Any]) -> np.ndarray:
    summary, p = tr["summary"], tr["params"]
    dm, nh = p["d_model"], p["n_heads"]
    mha = torch.nn.MultiheadAttention(dm, nh, bias=False, batch_first=True, dtype=torch.float64)
    cat = [np.concatenate([arr(w) for w in summary[key]], axis=1) for key in ("W_Q", "W_K", "W_V")]
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.from_numpy(np.concatenate([c.T for c in cat], axis=0)))
        mha.out_proj.weight.copy_(torch.from_numpy(arr(summary["W_O"]).T))
        x = torch.tensor([step["X"]], dtype=torch.float64)
        mask = torch.triu(torch.ones(len(step["X"]), len(step["X"]), dtype=torch.bool), 1) if step["causal"] else None
        out, _ = mha(x, x, x, need_weights=False, attn_mask=mask)
    return out[0].numpy()


def check_torch(tr: dict[str, Any]) -> None:
    p = tr["params"]
    for s in distinct_runs(tr):
        for head in s["heads"]:
            assert close(head["out"], torch_head_out(head, s["causal"])), s["event"]
        if p["d_model"] == p["n_heads"] * p["d_k"]:
            assert close(s["out"], torch_multihead(tr, s)), s["event"]


def test_torch_references_on_the_catalog_run() -> None:
    tr = catalog_trace()
    assert tr["params"]["d_model"] == tr["params"]["n_heads"] * tr["params"]["d_k"]
    check_torch(tr)


@settings(max_examples=60, deadline=None, database=None)
@given(seed=seeds, params=attention_params(), fit=st.booleans())
def test_torch_references_drawn(seed: int, params: dict[str, Any], fit: bool) -> None:
    if fit:  # make MultiheadAttention applicable: d_model = n_heads * d_k
        params["d_k"] = min(params["d_k"], 8 // params["n_heads"])
        params["d_model"] = max(2, params["n_heads"] * params["d_k"])
        if params["d_model"] != params["n_heads"] * params["d_k"]:
            params["d_k"] = 2
    check_torch(run(seed, **params))


# ---------------------------------------------------------------- golden numbers, story
def test_golden_numbers_seed_15() -> None:
    tr = catalog_trace()
    s = tr["summary"]
    assert tr["seed"] == 15
    assert s["vocab"] == ["approved", "bank", "loan", "muddy", "river", "the", "was"]
    assert close(s["embeddings"][1], [0.525616, 0.807324, -1.443531, 1.017064], 5e-7)
    main, contrast, causal, multi = (tr["steps"][k] for k in (4, 5, 6, 7))
    h0 = main["heads"][0]
    assert main["focus_index"] == 2 and contrast["focus_index"] == 1
    assert close(h0["Q"][2], [0.412156, -1.880789], 5e-7)
    assert close(h0["K"][1], [0.329535, -0.877129], 5e-7) and close(h0["V"][1], [0.261808, 0.937027], 5e-7)
    assert close(h0["scores"][2], [-0.288461, 1.262550, -1.102342, -0.543548, 0.142058], 5e-7)
    assert close(h0["weights"][2], [0.118032, 0.556667, 0.052304, 0.091457, 0.181540], 5e-7)
    assert close(h0["out"][2], [0.278898, 0.519160], 5e-7)
    c0 = contrast["heads"][0]
    assert close(c0["scores"][1], [-0.288461, -1.102342, 1.932776, -0.543548, 0.331830], 5e-7)
    assert close(c0["weights"][1], [0.075210, 0.033328, 0.693337, 0.058276, 0.139850], 5e-7)
    assert close(c0["out"][1], [0.438292, -0.353019], 5e-7)
    assert close(causal["heads"][0]["weights"][1], [0.692936, 0.307064, 0, 0, 0], 5e-7)
    assert close(s["focus_out"]["contrast_causal"], [0.445766, -0.895339], 5e-7)
    main_causal = s["focus_ranked"]["main_causal"][0]
    assert close([r["weight"] for r in sorted(main_causal, key=lambda r: r["index"])],
                 [0.162354, 0.765701, 0.071945, 0, 0], 5e-7)
    assert close(multi["heads"][1]["weights"][2], [0.162568, 0.342884, 0.059119, 0.273718, 0.161712], 5e-7)
    assert close(multi["out"][2], [-0.750231, -0.067136, -0.853084, -1.007343], 5e-7)
    assert s["focus_out"]["main"] == h0["out"][2] and s["focus_out"]["contrast"] == c0["out"][1]


def test_catalog_story() -> None:
    tr = catalog_trace()
    check_all(tr)
    s = tr["summary"]
    main0, contrast0 = s["focus_ranked"]["main"][0], s["focus_ranked"]["contrast"][0]
    assert [r["token"] for r in main0[:3]] == ["river", "muddy", "the"]
    assert [f"{r['weight']:.2f}" for r in main0[1:3]] == ["0.18", "0.12"]
    assert contrast0[0]["token"] == "loan" and f"{contrast0[0]['weight']:.2f}" == "0.69"
    head1 = s["focus_ranked"]["main"][1]
    assert [(r["token"], f"{r['weight']:.2f}") for r in head1[:2]] == [("river", "0.34"), ("was", "0.27")]
    assert [round(v, 2) for v in tr["steps"][0]["X"][2]] == [0.53, 0.81, -1.44, 1.02]
    assert f"{s['sqrt_d_k']:.2f}" == "1.41"
    assert [f"{v:.2f}" for v in s["focus_out"]["main"]] == ["0.28", "0.52"]
    assert [f"{v:.2f}" for v in s["focus_out"]["contrast"]] == ["0.44", "-0.35"]
    assert len(json.dumps(tr)) < 1_000_000


def _seed_fits(seed: int) -> bool:
    s = run(seed)["summary"]["focus_ranked"]
    top = {name: next(r for r in s[name][0] if r["token"] != "bank") for name in ("main", "contrast")}
    return (top["main"]["token"], top["contrast"]["token"]) == ("river", "loan") and \
        min(top["main"]["weight"], top["contrast"]["weight"]) > 0.3


def test_seed_15_is_the_first_seed_with_the_story_pattern() -> None:
    assert [seed for seed in range(16) if _seed_fits(seed)] == [15]


# ---------------------------------------------------------------- rules on their own
def test_exp_is_within_one_ulp_of_the_platform() -> None:
    for x in np.random.default_rng(3).uniform(-40, 1, 5_000).tolist() + [0.0, -1e-12, -0.3, -1.2]:
        assert abs(am.exp(x) - math.exp(x)) <= math.ulp(math.exp(x)), x
    assert am.exp(0.0) == 1.0 and am.exp(-800.0) == 0.0


def test_softmax_row_and_mask() -> None:
    assert am.softmax_row([0.0, 0.0]) == [0.5, 0.5]
    assert am.softmax_row([1.0, None, None]) == [1.0, 0.0, 0.0]
    w = am.softmax_row([math.log(3.0), 0.0, None])
    assert close(w, [0.75, 0.25, 0.0], 1e-15) and w[2] == 0.0
    assert am.softmax_row([1000.0, 0.0]) == [1.0, 0.0]


def test_score_matrix_and_blend_hand_case() -> None:
    q, k = [[1.0, 0.0], [0.0, 2.0]], [[2.0, 2.0], [1.0, -1.0]]
    root = math.sqrt(2.0)
    assert am.score_matrix(q, k, False) == [[2.0 / root, 1.0 / root], [4.0 / root, -2.0 / root]]
    assert am.score_matrix(q, k, True) == [[2.0 / root, None], [4.0 / root, -2.0 / root]]
    assert am.blend([[0.25, 0.75]], [[4.0, 0.0], [0.0, 8.0]]) == [[1.0, 6.0]]
    assert am.matmul([[1.0, 2.0]], [[3.0], [4.0]]) == [[11.0]]


def test_vocab_tokenize_and_draw_order() -> None:
    assert am.tokenize("the  river bank") == ["the", "river", "bank"]
    assert am.build_vocab("b a", "c a") == ["a", "b", "c"]
    w = am.draw_weights(np.random.default_rng(15), 7, 4, 2, 2)
    rng = np.random.default_rng(15)
    assert w.E == rng.normal(0, 1, (7, 4)).tolist()
    assert w.W_Q[0] == rng.normal(0, 0.5, (4, 2)).tolist()
    assert w.W_K[0] == rng.normal(0, 0.5, (4, 2)).tolist()
    assert w.W_V[0] == rng.normal(0, 0.5, (4, 2)).tolist()
    assert w.W_Q[1] == rng.normal(0, 0.5, (4, 2)).tolist()
    rng.normal(0, 0.5, (8, 2))
    assert w.W_O == rng.normal(0, 0.5, (4, 4)).tolist()


def test_head_state_focus_products_and_duplicate_words() -> None:
    proj = {"Q": [[1.0, 2.0], [3.0, -1.0]], "K": [[0.5, 1.0], [2.0, 0.0]], "V": [[1.0, 0.0], [0.0, 1.0]]}
    head = am.head_state([1, 0, 1], 0, proj, causal=False)
    assert head["Q"] == [[3.0, -1.0], [1.0, 2.0], [3.0, -1.0]]
    assert head["focus_products"] == [[6.0, -0.0], [1.5, -1.0], [6.0, -0.0]]
    assert head["weights"][0] == head["weights"][2] and head["weights"][0][0] == head["weights"][0][2]


# ---------------------------------------------------------------- determinism, purity, parameters
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes_and_no_manim_or_torch() -> None:
    code = ("import sys; from sims.attention_mechanism import simulate; "
            "sys.stdout.write(simulate(3, d_model=5, d_k=3, n_heads=3).to_json()); "
            "assert 'manim' not in sys.modules and 'torch' not in sys.modules")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second == am.simulate(3, d_model=5, d_k=3, n_heads=3).to_json().encode()
    assert am.simulate(16).to_json() != am.simulate(15).to_json()


def test_defaults_equal_the_catalog() -> None:
    entry = load_catalog().get(am.ID)
    assert {p.name: p.default for p in am.PARAMS} == dict(entry.params)
    assert am.ID == "attention-mechanism" and Path(am.__file__).stem == am.ID.replace("-", "_")


@pytest.mark.parametrize("params, field", [
    ({"sentence": "bank"}, "sentence"),
    ({"sentence": "a b c d e f g bank h"}, "sentence"),
    ({"sentence": "The river bank"}, "sentence"),
    ({"sentence": 5}, "sentence"),
    ({"contrast_sentence": "bank"}, "contrast_sentence"),
    ({"contrast_sentence": "the loan was approved by bank x y z"}, "contrast_sentence"),
    ({"focus_word": "loan"}, "focus_word"),
    ({"focus_word": "river"}, "focus_word"),
    ({"focus_word": "ban"}, "focus_word"),
    ({"d_model": 1}, "d_model"),
    ({"d_model": 9}, "d_model"),
    ({"d_model": 4.0}, "d_model"),
    ({"d_k": 0}, "d_k"),
    ({"d_k": 5}, "d_k"),
    ({"n_heads": 0}, "n_heads"),
    ({"n_heads": 5}, "n_heads"),
    ({"heads": 2}, "heads"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        am.simulate(0, **params)
    assert err.value.field == field


def test_range_edges_are_valid() -> None:
    check_all(run(0, sentence="bank x", contrast_sentence="a b c d e f g bank", d_model=2, d_k=1, n_heads=1))
    check_all(run(0, sentence="bank bank bank bank bank bank bank bank", contrast_sentence="bank a",
                  d_model=8, d_k=4, n_heads=4))


@pytest.mark.parametrize("seed", [-1, True, 2.0])
def test_bad_seed(seed: Any) -> None:
    with pytest.raises(ParamError) as err:
        am.simulate(seed)
    assert err.value.field == "seed"


# ---------------------------------------------------------------- the scene's checkpoints
def checkpoint_answers(tr: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py): how many
    scores one head computes for the main sentence; the word the focus word weights most (head 0, main sentence);
    which words the focus word may attend to under the causal mask (contrast sentence)."""
    steps = {st["event"]: st for st in tr["steps"]}
    main, causal = steps["mix"], steps["causal"]
    n = len(main["tokens"])
    row = main["heads"][0]["weights"][main["focus_index"]]
    top = max(range(n), key=lambda j: (row[j], -j))
    return [str(n * n), main["tokens"][top], ", ".join(causal["tokens"][:causal["focus_index"] + 1])]


def test_checkpoint_answers_for_the_catalog_run() -> None:
    assert checkpoint_answers(catalog_trace()) == ["25", "river", "the, bank"]
