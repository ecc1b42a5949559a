"""Tests for sims.tokenization_embeddings: the storyboard's invariants checked from the trace JSON alone,
Hugging Face tokenizers' BpeTrainer and BPE model as the reference for merges and encodings, torch for the
lookup and cosines, the storyboard's pair counts and goldens, the rules on their own, determinism and
parameter errors."""

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
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from render.catalog import load_catalog
from sims import tokenization_embeddings as te
from sims.params import ParamError

ROOT = Path(__file__).resolve().parents[1]
PROPERTY = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
DEFAULT_CORPUS = [["hug", 10], ["pug", 5], ["pun", 12], ["bun", 4], ["hugs", 5]]
ENCODE_FIELDS = {"text", "words", "stages", "applied", "tokens", "word_of_token", "ids", "decoded"}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Any:
    """Tiny tensors: torch's thread pool only costs here (much slower on a busy 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def run(seed: int, **params: Any) -> dict[str, Any]:
    return json.loads(te.simulate(seed, **params).to_json())


@lru_cache(maxsize=2)
def catalog_trace() -> dict[str, Any]:
    entry = load_catalog().get(te.ID)
    return run(entry.seed, **entry.params)


def steps_of(tr: dict[str, Any], event: str) -> list[dict[str, Any]]:
    return [s for s in tr["steps"] if s["event"] == event]


def one(tr: dict[str, Any], event: str) -> dict[str, Any]:
    (step,) = steps_of(tr, event)
    return step


# ---------------------------------------------------------------- independent helpers
def recount(splits: list[list[str]], counts: list[int], vocab: list[str]) -> list[dict[str, Any]]:
    tally: dict[tuple[str, str], int] = {}
    for pieces, n in zip(splits, counts):
        for i in range(len(pieces) - 1):
            tally[(pieces[i], pieces[i + 1])] = tally.get((pieces[i], pieces[i + 1]), 0) + n
    rows = [{"left": a, "right": b, "left_id": vocab.index(a), "right_id": vocab.index(b), "count": n}
            for (a, b), n in tally.items()]
    rows.sort(key=lambda r: (-r["count"], r["left_id"], r["right_id"]))
    return rows


def glue(pieces: list[str], a: str, b: str) -> list[str]:
    """Replace (a, b) by a + b, left to right, never reusing a glued piece."""
    out: list[str] = []
    i = 0
    while i < len(pieces):
        if pieces[i:i + 2] == [a, b]:
            out.append(a + b)
            i += 2
        else:
            out.append(pieces[i])
            i += 1
    return out


# ---------------------------------------------------------------- checkers (trace JSON only)
def check_shape(tr: dict[str, Any]) -> None:
    p, summary, steps = tr["params"], tr["summary"], tr["steps"]
    merges = steps_of(tr, "merge")
    events = ["split"] + ["merge"] * len(merges) + ["encode", "lookup", "neighbours"]
    assert [s["event"] for s in steps] == events and [s["t"] for s in steps] == list(range(len(steps)))
    assert [m["merge_index"] for m in merges] == list(range(1, len(merges) + 1))
    last = merges[-1] if merges else one(tr, "split")
    assert summary["vocab"] == last["vocab"] and summary["final_splits"] == last["splits"]
    assert summary["merges"] == [[m["chosen"]["left"], m["chosen"]["right"]] for m in merges]
    assert summary["encoded_ids"] == one(tr, "encode")["ids"] and summary["aside_ids"] == one(tr, "encode")["aside"]["ids"]
    assert summary["top_neighbours"] == one(tr, "neighbours")["top"]
    assert summary["stop_reason"] == ("max_merges" if len(merges) == p["max_merges"] else "no_pairs")
    assert summary["first_tie"] == next((m["merge_index"] for m in merges if m["tied"]), None)
    assert summary["total_tokens"] == [one(tr, "split")["total_tokens"]] + [m["total_tokens_after"] for m in merges]
    split = one(tr, "split")
    assert split["counts"] == [c for _, c in p["corpus"]]
    assert split["total_tokens"] == sum(c * len(s) for s, c in zip(split["splits"], split["counts"]))


def check_greedy(tr: dict[str, Any]) -> None:
    """Invariant 1, plus the splits and vocab each merge leaves behind."""
    prev = one(tr, "split")
    counts = prev["counts"]
    for m in steps_of(tr, "merge"):
        pairs = recount(prev["splits"], counts, prev["vocab"])
        assert m["pair_counts"] == pairs
        best, chosen = pairs[0], m["chosen"]
        assert {k: chosen[k] for k in best} == best
        token = best["left"] + best["right"]
        assert chosen["token"] == token and chosen["new_id"] == (token not in prev["vocab"])
        assert m["vocab"] == prev["vocab"] + ([token] if chosen["new_id"] else [])
        assert m["vocab"][chosen["id"]] == token
        assert m["tied"] == [r for r in pairs[1:] if r["count"] == best["count"]]
        assert m["splits"] == [glue(s, best["left"], best["right"]) for s in prev["splits"]]
        prev = m


def check_text_preserved(tr: dict[str, Any]) -> None:
    """Invariant 2."""
    words = [w for w, _ in tr["params"]["corpus"]]
    for s in steps_of(tr, "split") + steps_of(tr, "merge"):
        assert ["".join(pieces) for pieces in s["splits"]] == words
        assert all(pieces and all(pieces) for pieces in s["splits"])


def check_progress(tr: dict[str, Any]) -> None:
    """Invariant 3."""
    before = one(tr, "split")["total_tokens"]
    last_count = math.inf
    for m in steps_of(tr, "merge"):
        c = m["chosen"]
        assert m["total_tokens_before"] == before
        assert m["total_tokens_after"] == sum(n * len(s) for s, n in zip(m["splits"], one(tr, "split")["counts"]))
        drop = before - m["total_tokens_after"]
        assert 1 <= drop <= c["count"]
        if c["left"] != c["right"]:
            assert drop == c["count"]
        assert c["count"] <= last_count
        last_count, before = c["count"], m["total_tokens_after"]


def check_vocabulary(tr: dict[str, Any]) -> None:
    """Invariant 4."""
    p = tr["params"]
    vocab = tr["summary"]["vocab"]
    alphabet = sorted(set("".join(w for w, _ in p["corpus"])))
    assert len(set(vocab)) == len(vocab) and vocab[0] == p["unk_token"]
    assert vocab[1:1 + len(alphabet)] == alphabet
    assert one(tr, "split")["vocab"] == [p["unk_token"], *alphabet]
    merges = steps_of(tr, "merge")
    assert len(merges) <= p["max_merges"]
    final = tr["summary"]["final_splits"]
    if len(merges) < p["max_merges"]:
        assert all(len(pieces) == 1 for pieces in final), "stopped early with a pair left"
    else:
        assert len(merges) == p["max_merges"]
    assert len(vocab) == 1 + len(alphabet) + sum(m["chosen"]["new_id"] for m in merges)


def check_encoding(tr: dict[str, Any]) -> None:
    """Invariant 5 for both encoded texts, and each encoding step against the rank rule."""
    p, vocab = tr["params"], tr["summary"]["vocab"]
    ranks = {tuple(pair): k for k, pair in enumerate(tr["summary"]["merges"], 1)}
    alphabet = set(vocab[1:]) & set("abcdefghijklmnopqrstuvwxyz")
    step = one(tr, "encode")
    assert set(step) == ENCODE_FIELDS | {"t", "event", "aside"} and set(step["aside"]) == ENCODE_FIELDS
    for enc, text in ((step, p["encode_text"]), (step["aside"], p["aside_text"])):
        assert set(enc) - {"t", "event", "aside"} == ENCODE_FIELDS
        assert enc["text"] == text and enc["words"] == text.split(" ")
        assert len(enc["stages"]) == len(enc["applied"]) == len(enc["words"])
        tokens, owner = [], []
        for w, (word, stages, applied) in enumerate(zip(enc["words"], enc["stages"], enc["applied"])):
            assert stages[0] == [c if c in alphabet else p["unk_token"] for c in word]
            assert len(stages) == len(applied) + 1
            for before, after, rank in zip(stages, stages[1:], applied):
                live = [(ranks[(a, b)], i) for i, (a, b) in enumerate(zip(before, before[1:])) if (a, b) in ranks]
                r, i = min(live)
                assert rank == r and after == before[:i] + [before[i] + before[i + 1]] + before[i + 2:]
            final = stages[-1]
            assert not any((a, b) in ranks for a, b in zip(final, final[1:])), "a learned merge was left undone"
            tokens += final
            owner += [w] * len(final)
        assert enc["tokens"] == tokens and enc["word_of_token"] == owner
        assert enc["ids"] == [vocab.index(t) for t in tokens] and all(0 <= i < len(vocab) for i in enc["ids"])
        words: list[str] = [""] * len(enc["words"])
        for tok, w in zip(tokens, owner):
            words[w] += tok
        assert enc["decoded"] == " ".join(words)
        if set(text) <= alphabet | {" "}:
            assert enc["decoded"] == text


def check_lookup(tr: dict[str, Any]) -> None:
    """Invariant 6."""
    look, enc = one(tr, "lookup"), one(tr, "encode")
    table = look["table"]
    assert len(table) == len(tr["summary"]["vocab"]) and all(len(r) == tr["params"]["d_embed"] for r in table)
    assert look["tokens"] == enc["tokens"] and look["ids"] == enc["ids"]
    assert look["rows"] == [table[i] for i in look["ids"]]


def check_cosines(tr: dict[str, Any]) -> None:
    """Invariant 7."""
    p, vocab = tr["params"], tr["summary"]["vocab"]
    near, table = one(tr, "neighbours"), np.asarray(one(tr, "lookup")["table"])
    qid = vocab.index(p["neighbour_query"])
    assert near["query"] == p["neighbour_query"] and near["query_id"] == qid
    ref = table @ table[qid] / (np.linalg.norm(table, axis=1) * np.linalg.norm(table[qid]))
    cos = near["cosines"]
    assert len(cos) == len(vocab) and np.all(np.abs(np.asarray(cos) - ref) <= 1e-12)
    assert all(-1 - 1e-12 <= c <= 1 + 1e-12 for c in cos) and abs(cos[qid] - 1) <= 1e-12
    ranking = sorted((i for i in range(len(vocab)) if i != qid), key=lambda i: (-cos[i], i))
    entries = [{"token": vocab[i], "id": i, "cosine": cos[i]} for i in ranking]
    assert len(near["top"]) == min(p["top_k"], len(vocab) - 1)
    assert near["top"] == entries[: p["top_k"]]
    assert near["bottom"] == (entries[-1] if entries else None)
    assert near["related"] == [{**e, "rank": r} for r, e in enumerate(entries, 1) if p["neighbour_query"] in e["token"]]


INVARIANTS = {
    "shape": check_shape,
    "1 greedy": check_greedy,
    "2 text preserved": check_text_preserved,
    "3 progress": check_progress,
    "4 vocabulary": check_vocabulary,
    "5 round trip": check_encoding,
    "6 lookup": check_lookup,
    "7 cosine": check_cosines,
}


def check_all(tr: dict[str, Any]) -> None:
    for label, check in INVARIANTS.items():
        try:
            check(tr)
        except AssertionError as err:
            err.add_note(f"invariant {label}")
            raise


# ---------------------------------------------------------------- strategies
ALPHABETS = ["ab", "abc", "abcd", "aab", "hugpnbs", "abcdefghijklmnopqrstuvwxyz"]


@st.composite
def corpora(draw: st.DrawFn, alphabet: str | None = None, max_len: int = 9,
            max_count: int = 9) -> list[list[Any]]:
    letters = alphabet or draw(st.sampled_from(ALPHABETS))
    words = draw(st.lists(st.text(letters, min_size=1, max_size=max_len), min_size=1, max_size=10, unique=True))
    return [[w, draw(st.integers(1, max_count))] for w in words]


def texts(letters: str) -> st.SearchStrategy[str]:
    return st.lists(st.text(letters, min_size=1, max_size=16), min_size=1, max_size=8).map(" ".join)


@st.composite
def param_sets(draw: st.DrawFn) -> dict[str, Any]:
    corpus = draw(st.one_of(corpora(), corpora(max_len=16, max_count=1000)))
    unk = draw(st.sampled_from(["[UNK]", "<unk>", "?", "#0"]))
    max_merges = draw(st.integers(0, 64))
    vocab = te.train_bpe(corpus, unk, max_merges)[2].vocab  # only to draw a valid query
    letters = "".join(sorted(set("".join(w for w, _ in corpus)))) + draw(st.sampled_from(["", "", "xyzm"]))
    return {"corpus": corpus, "max_merges": max_merges, "unk_token": unk, "encode_text": draw(texts(letters)),
            "aside_text": draw(texts(letters)), "d_embed": draw(st.integers(2, 8)),
            "neighbour_query": draw(st.sampled_from(vocab)), "top_k": draw(st.integers(1, 16))}


# ---------------------------------------------------------------- properties
@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), params=param_sets(), other=st.integers(0, 2**32 - 1))
def test_invariants_1_to_8(seed: int, params: dict[str, Any], other: int) -> None:
    first = te.simulate(seed, **params).to_json()
    assert te.simulate(seed, **params).to_json() == first
    tr = json.loads(first)
    check_all(tr)
    moved = run(other, **params)
    k = next(i for i, s in enumerate(tr["steps"]) if s["event"] == "lookup")
    assert moved["steps"][:k] == tr["steps"][:k], "the seed reached something before the lookup"
    assert moved["steps"][k]["ids"] == tr["steps"][k]["ids"]
    assert {key: v for key, v in moved["summary"].items() if key != "top_neighbours"} == \
        {key: v for key, v in tr["summary"].items() if key != "top_neighbours"}


@settings(max_examples=100, deadline=None, database=None)
@given(corpus=corpora(), text=texts("abcd"))
def test_invariant_5_round_trip_on_any_alphabet_text(corpus: list[list[Any]], text: str) -> None:
    """Invariant 5 once more, on texts made of the corpus alphabet only (the main property mixes in others)."""
    alphabet = sorted(set("".join(w for w, _ in corpus)))
    text = "".join(c if c == " " else alphabet[ord(c) % len(alphabet)] for c in text)
    tr = run(0, corpus=corpus, max_merges=64, encode_text=text, neighbour_query="[UNK]")
    check_encoding(tr)
    assert one(tr, "encode")["decoded"] == text


# ---------------------------------------------------------------- the checkers catch bad traces
def _edit(event: str, index: int, change: Any) -> Any:
    def apply(tr: dict[str, Any]) -> None:
        change(steps_of(tr, event)[index])
    return apply


MUTATIONS = [
    ("pair count", check_greedy, _edit("merge", 1, lambda s: s["pair_counts"][2].__setitem__("count", 13))),
    ("tie-break", check_greedy, _edit("merge", 4, lambda s: s["pair_counts"].reverse())),
    ("chosen", check_greedy, _edit("merge", 4, lambda s: s["chosen"].update(left="hug", right="s"))),
    ("tied", check_greedy, _edit("merge", 4, lambda s: s["tied"].clear())),
    ("split", check_text_preserved, _edit("merge", 0, lambda s: s["splits"][0].append("x"))),
    ("total", check_progress, _edit("merge", 2, lambda s: s.__setitem__("total_tokens_after", 63))),
    ("vocab order", check_vocabulary, _edit("split", 0, lambda s: s["vocab"].reverse())),
    ("unk id", check_vocabulary, lambda tr: tr["summary"]["vocab"].__setitem__(0, "[unk]")),
    ("encode", check_encoding, _edit("encode", 0, lambda s: s["stages"][0].pop())),
    ("ids", check_encoding, _edit("encode", 0, lambda s: s["ids"].__setitem__(1, 9))),
    ("aside", check_encoding, _edit("encode", 0, lambda s: s["aside"]["tokens"].__setitem__(0, "m"))),
    ("lookup", check_lookup, _edit("lookup", 0, lambda s: s["rows"][0].__setitem__(0, 0.5))),
    ("cosine", check_cosines, _edit("neighbours", 0, lambda s: s["cosines"].__setitem__(3, 0.25))),
    ("top order", check_cosines, _edit("neighbours", 0, lambda s: s["top"].reverse())),
    ("related", check_cosines, _edit("neighbours", 0, lambda s: s["related"].clear())),
    ("summary", check_shape, lambda tr: tr["summary"]["total_tokens"].pop()),
]


@pytest.mark.parametrize("label, checker, mutate", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_checkers_reject_corrupted_traces(label: str, checker: Any, mutate: Any) -> None:
    tr = copy.deepcopy(catalog_trace())
    check_all(tr)
    mutate(tr)
    with pytest.raises(AssertionError):
        checker(tr)


def _pairs_by_string(state: te.BpeState) -> list[dict[str, Any]]:
    return sorted(REAL_COUNT_PAIRS(state), key=lambda r: (-r["count"], r["left"], r["right"]))


def _leftmost_first(word: str, ranks: dict[tuple[str, str], int], alphabet: set[str],
                    unk: str) -> tuple[list[list[str]], list[int]]:
    pieces = [c if c in alphabet else unk for c in word]
    stages, applied = [list(pieces)], []
    while any(pair in ranks for pair in zip(pieces, pieces[1:])):
        i = next(i for i, pair in enumerate(zip(pieces, pieces[1:])) if pair in ranks)
        applied.append(ranks[(pieces[i], pieces[i + 1])])
        pieces[i:i + 2] = [pieces[i] + pieces[i + 1]]
        stages.append(list(pieces))
    return stages, applied


def _right_to_left(pieces: Any, left: str, right: str) -> tuple[str, ...]:
    out: list[str] = []
    i = len(pieces) - 1
    while i >= 0:
        if i >= 1 and pieces[i - 1] == left and pieces[i] == right:
            out.append(left + right)
            i -= 2
        else:
            out.append(pieces[i])
            i -= 1
    return tuple(reversed(out))


REAL_COUNT_PAIRS = te.count_pairs


@pytest.mark.parametrize("name, bug, params, checker", [
    ("count_pairs", _pairs_by_string, {}, check_greedy),
    ("encode_word", _leftmost_first, {"encode_text": "unhug"}, check_encoding),
    ("merge_pieces", _right_to_left, {"corpus": [["aaab", 3], ["ba", 1]], "neighbour_query": "a"}, check_greedy),
])
def test_checkers_catch_planted_bugs(name: str, bug: Any, params: dict[str, Any], checker: Any) -> None:
    with mock.patch.object(te, name, bug):
        bad = run(0, **params)
    with pytest.raises(AssertionError):
        checker(bad)


# ---------------------------------------------------------------- reference: Hugging Face tokenizers
def hf_train(corpus: list[list[Any]], unk: str = "[UNK]", vocab_size: int = 1000) -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token=unk))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[unk], min_frequency=0, show_progress=False)
    tok.train_from_iterator((w for w, c in corpus for _ in range(c)), trainer=trainer)
    return tok


def hf_merges(tok: Tokenizer) -> list[list[str]]:
    merges = json.loads(tok.to_str())["model"]["merges"]
    return [m.split(" ") if isinstance(m, str) else list(m) for m in merges]


def hf_vocab(tok: Tokenizer) -> list[str]:
    return [t for t, _ in sorted(tok.get_vocab().items(), key=lambda kv: kv[1])]


def test_hf_default_corpus() -> None:
    tok = hf_train(DEFAULT_CORPUS)
    tr = catalog_trace()
    assert hf_vocab(tok) == tr["summary"]["vocab"] == "[UNK] b g h n p s u ug un hug pun pug hugs bun".split()
    expected = [["u", "g"], ["u", "n"], ["h", "ug"], ["p", "un"], ["p", "ug"], ["hug", "s"], ["b", "un"]]
    assert hf_merges(tok) == tr["summary"]["merges"] == expected
    cases = {"bugs": [1, 8, 6], "unhug": [9, 10], "pugs": [12, 6], "hugs": [13], "mug": [0, 8]}
    for text, ids in cases.items():
        assert tok.encode(text).ids == ids
        assert run(0, encode_text=text)["summary"]["encoded_ids"] == ids
    assert tok.encode("mug").tokens == ["[UNK]", "ug"]
    three = hf_train(DEFAULT_CORPUS, vocab_size=11)
    assert hf_merges(three) == run(0, max_merges=3)["summary"]["merges"] == expected[:3]


def test_hf_and_simulator_ignore_corpus_order() -> None:
    reverse = DEFAULT_CORPUS[::-1]
    assert hf_merges(hf_train(reverse)) == run(0, corpus=reverse)["summary"]["merges"] == \
        catalog_trace()["summary"]["merges"]


@settings(max_examples=200, deadline=None, database=None)
@given(corpus=corpora(), cap=st.integers(0, 40), words=st.lists(st.text("abcdxz", min_size=1, max_size=9),
                                                                 min_size=1, max_size=8))
def test_hf_reference_on_random_corpora(corpus: list[list[Any]], cap: int, words: list[str]) -> None:
    """Merges and encodings equal the library's, with training capped at a random merge count."""
    tr = run(0, corpus=corpus, max_merges=cap, encode_text=" ".join(words), neighbour_query="[UNK]")
    ours = tr["summary"]["merges"]
    alphabet = len(set("".join(w for w, _ in corpus)))
    new = [m["chosen"]["new_id"] for m in steps_of(tr, "merge")]
    # the library stops as soon as its vocabulary is full: after the merge that added the last new token
    keep = max((i + 1 for i, added in enumerate(new) if added), default=0)
    tok = hf_train(corpus, vocab_size=1 + alphabet + sum(new))
    assert hf_merges(tok) == ours[:keep]
    assert hf_vocab(tok) == tr["summary"]["vocab"]
    if keep == len(ours):
        enc = one(tr, "encode")
        assert tok.encode(" ".join(words)).ids == enc["ids"]
        assert tok.encode(" ".join(words)).tokens == enc["tokens"]


def test_tie_at_merge_5_goes_by_ids_not_strings() -> None:
    merge5 = steps_of(catalog_trace(), "merge")[4]
    chosen, tied = merge5["chosen"], merge5["tied"]
    assert (chosen["left"], chosen["right"], chosen["left_id"], chosen["right_id"], chosen["count"]) == ("p", "ug", 5, 8, 5)
    assert [(t["left"], t["right"], t["left_id"], t["right_id"], t["count"]) for t in tied] == [("hug", "s", 10, 6, 5)]
    assert ("hug", "s") < ("p", "ug"), "a tie-break by string order would have picked hugs first"


# ---------------------------------------------------------------- reference: the storyboard's numbers
PAIR_COUNTS = [
    [("u", "g", 20), ("p", "u", 17), ("u", "n", 16), ("h", "u", 15), ("g", "s", 5), ("b", "u", 4)],
    [("u", "n", 16), ("h", "ug", 15), ("p", "u", 12), ("p", "ug", 5), ("ug", "s", 5), ("b", "u", 4)],
    [("h", "ug", 15), ("p", "un", 12), ("p", "ug", 5), ("ug", "s", 5), ("b", "un", 4)],
    [("p", "un", 12), ("p", "ug", 5), ("hug", "s", 5), ("b", "un", 4)],
    [("p", "ug", 5), ("hug", "s", 5), ("b", "un", 4)],
    [("hug", "s", 5), ("b", "un", 4)],
    [("b", "un", 4)],
]


def test_catalog_story() -> None:
    tr = catalog_trace()
    check_all(tr)
    split = one(tr, "split")
    assert split["vocab"] == ["[UNK]", "b", "g", "h", "n", "p", "s", "u"] and split["counts"] == [10, 5, 12, 4, 5]
    merges = steps_of(tr, "merge")
    assert [[(r["left"], r["right"], r["count"]) for r in m["pair_counts"]] for m in merges] == PAIR_COUNTS
    assert tr["summary"]["total_tokens"] == [113, 93, 77, 62, 50, 45, 40, 36]
    assert [m["chosen"]["id"] for m in merges] == list(range(8, 15)) and merges[3]["vocab"][-1] == "pun"
    assert [len(s) for s in merges[0]["splits"]] == [2, 2, 3, 3, 3]
    assert tr["summary"]["stop_reason"] == "no_pairs" and tr["summary"]["first_tie"] == 5
    assert tr["summary"]["final_splits"] == [["hug"], ["pug"], ["pun"], ["bun"], ["hugs"]]
    enc = one(tr, "encode")
    assert enc["stages"] == [[["b", "u", "g", "s"], ["b", "ug", "s"]]] and enc["applied"] == [[1]]
    assert enc["ids"] == [1, 8, 6] and enc["decoded"] == "bugs"
    assert enc["aside"]["tokens"] == ["[UNK]", "ug"] and enc["aside"]["ids"] == [0, 8]
    near = one(tr, "neighbours")
    assert [(e["token"], f"{e['cosine']:.2f}") for e in near["top"]] == [("ug", "0.90"), ("b", "0.85"), ("un", "0.63")]
    assert [(e["token"], f"{e['cosine']:.2f}") for e in near["related"]] == [("hugs", "-0.11")]
    assert near["bottom"]["token"] == "s" and len(json.dumps(tr)) < 1_000_000


def test_embedding_goldens_seed_0() -> None:
    tr = catalog_trace()
    rows = one(tr, "lookup")["rows"]
    golden = [[-0.535669, 0.361595, 1.304000, 0.947081], [-0.159225, 0.540846, 0.214659, 0.355373],
              [0.903470, 0.094012, -0.743499, -0.921725]]
    assert np.all(np.abs(np.asarray(rows) - golden) <= 5e-7)
    cos = one(tr, "neighbours")["cosines"]
    vocab = tr["summary"]["vocab"]
    for token, value in {"ug": 0.902441, "b": 0.852884, "un": 0.625893, "hugs": -0.113180, "s": -0.725085}.items():
        assert abs(cos[vocab.index(token)] - value) <= 5e-7, token
    assert one(tr, "lookup")["table"] == np.random.default_rng(0).normal(0, 1, (15, 4)).tolist()


def test_torch_embedding_and_cosine() -> None:
    tr = catalog_trace()
    table = torch.tensor(one(tr, "lookup")["table"], dtype=torch.float64)
    ids = torch.tensor(one(tr, "lookup")["ids"])
    assert torch.nn.functional.embedding(ids, table).tolist() == one(tr, "lookup")["rows"]
    near = one(tr, "neighbours")
    ref = torch.nn.functional.cosine_similarity(table[near["query_id"]].unsqueeze(0), table, dim=1)
    assert np.all(np.abs(ref.numpy() - np.asarray(near["cosines"])) <= 1e-12)


# ---------------------------------------------------------------- rules on their own
def test_merge_pieces_left_to_right_without_overlap() -> None:
    assert te.merge_pieces(("a", "a", "a"), "a", "a") == ("aa", "a")
    assert te.merge_pieces(("a", "a", "a", "a"), "a", "a") == ("aa", "aa")
    assert te.merge_pieces(("h", "u", "g", "u", "g"), "u", "g") == ("h", "ug", "ug")
    assert te.merge_pieces(("x",), "x", "y") == ("x",)


def test_count_pairs_counts_overlapping_windows() -> None:
    state = te.initial_state([["aaa", 2], ["ab", 3]], "[UNK]")
    assert state.vocab == ("[UNK]", "a", "b")
    assert [(r["left"], r["right"], r["count"]) for r in te.count_pairs(state)] == [("a", "a", 4), ("a", "b", 3)]
    after, record = te.merge_step(state, 1)
    assert after.splits == (("aa", "a"), ("a", "b")) and record["total_tokens_before"] - record["total_tokens_after"] == 2
    assert te.merge_step(te.initial_state([["a", 1]], "?"), 1) is None


def test_merge_re_creating_a_token_adds_no_id() -> None:
    state = te.BpeState((("a", "b"), ("x",)), (2, 1), ("?", "a", "b", "x", "ab"))
    after, record = te.merge_step(state, 1)
    assert after.vocab == state.vocab and after.splits == (("ab",), ("x",))
    assert record["chosen"] == {"left": "a", "right": "b", "left_id": 1, "right_id": 2, "count": 2, "token": "ab",
                                "id": 4, "new_id": False}


def test_encode_word_lowest_rank_first_and_unknowns() -> None:
    ranks = {("u", "g"): 1, ("h", "ug"): 2, ("u", "n"): 3}
    stages, applied = te.encode_word("hugun", ranks, set("ghnu"), "[UNK]")
    assert stages == [list("hugun"), ["h", "ug", "u", "n"], ["hug", "u", "n"], ["hug", "un"]] and applied == [1, 2, 3]
    stages, applied = te.encode_word("ugug", ranks, set("ghnu"), "[UNK]")
    assert stages == [list("ugug"), ["ug", "u", "g"], ["ug", "ug"]] and applied == [1, 1]
    stages, applied = te.encode_word("mug", ranks, set("ghnu"), "[UNK]")
    assert stages[-1] == ["[UNK]", "ug"] and applied == [1]
    ranks = {("u", "n"): 1, ("u", "g"): 2}
    assert te.encode_word("ugun", ranks, set("gnu"), "?")[0][1] == ["u", "g", "un"], "lowest rank before leftmost"
    assert te.decode(["b", "ug", "s", "h", "ug"], [0, 0, 0, 1, 1]) == "bugs hug"


def test_cosine_and_neighbours_hand_case() -> None:
    assert te.cosine([1.0, 0.0], [0.0, 2.0]) == 0.0 and te.cosine([3.0, 4.0], [6.0, 8.0]) == 1.0
    assert te.cosine([0.0, 0.0], [1.0, 1.0]) == 0.0
    table = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0], [2.0, 2.0]]
    near = te.neighbours(table, ["?", "a", "ab", "b", "abc"], "ab", 2)
    assert near["query_id"] == 2 and [e["token"] for e in near["top"]] == ["abc", "?"]
    assert near["bottom"]["token"] == "b" and [(e["token"], e["rank"]) for e in near["related"]] == [("abc", 1)]


# ---------------------------------------------------------------- determinism, purity, parameters
def _in_subprocess(code: str, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True).stdout


def test_same_seed_same_bytes_across_processes_and_no_manim_or_torch() -> None:
    code = ("import sys; from sims.tokenization_embeddings import simulate; "
            "sys.stdout.write(simulate(9, d_embed=7, top_k=16, encode_text='hugs mug bun').to_json()); "
            "assert 'manim' not in sys.modules and 'torch' not in sys.modules and 'tokenizers' not in sys.modules")
    first, second = _in_subprocess(code, "1"), _in_subprocess(code, "2")
    assert first == second == te.simulate(9, d_embed=7, top_k=16, encode_text="hugs mug bun").to_json().encode()


def test_defaults_equal_the_catalog() -> None:
    entry = load_catalog().get(te.ID)
    assert {p.name: p.default for p in te.PARAMS} == dict(entry.params)
    assert te.ID == "tokenization-embeddings" and Path(te.__file__).stem == te.ID.replace("-", "_")


@pytest.mark.parametrize("params, field", [
    ({"corpus": []}, "corpus"),
    ({"corpus": [[f"w{'a' * k}", 1] for k in range(17)]}, "corpus"),
    ({"corpus": [["Hug", 1]]}, "corpus"),
    ({"corpus": [["hu g", 1]]}, "corpus"),
    ({"corpus": [["a" * 17, 1]]}, "corpus"),
    ({"corpus": [["hug", 0]]}, "corpus"),
    ({"corpus": [["hug", 1001]]}, "corpus"),
    ({"corpus": [["hug", True]]}, "corpus"),
    ({"corpus": [["hug", 1], ["hug", 2]]}, "corpus"),
    ({"corpus": [["hug"]]}, "corpus"),
    ({"corpus": "hug"}, "corpus"),
    ({"max_merges": -1}, "max_merges"),
    ({"max_merges": 65}, "max_merges"),
    ({"unk_token": ""}, "unk_token"),
    ({"unk_token": "unk"}, "unk_token"),
    ({"unk_token": "[ UNK ]"}, "unk_token"),
    ({"unk_token": "[" + "U" * 16 + "]"}, "unk_token"),
    ({"encode_text": ""}, "encode_text"),
    ({"encode_text": "bugs  mug"}, "encode_text"),
    ({"encode_text": " bugs"}, "encode_text"),
    ({"encode_text": "Bugs"}, "encode_text"),
    ({"encode_text": "a b c d e f g h i"}, "encode_text"),
    ({"encode_text": "a" * 17}, "encode_text"),
    ({"aside_text": "mug!"}, "aside_text"),
    ({"d_embed": 1}, "d_embed"),
    ({"d_embed": 9}, "d_embed"),
    ({"top_k": 0}, "top_k"),
    ({"top_k": 17}, "top_k"),
    ({"neighbour_query": "zzz"}, "neighbour_query"),
    ({"neighbour_query": "hugs", "max_merges": 3}, "neighbour_query"),
    ({"vocab_size": 11}, "vocab_size"),
])
def test_param_errors_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamError) as err:
        te.simulate(0, **params)
    assert err.value.field == field


def test_range_edges_are_valid() -> None:
    tr = run(0, corpus=[["a", 1]], max_merges=0, neighbour_query="a", d_embed=2, top_k=16, encode_text="a b")
    check_all(tr)
    assert tr["summary"]["stop_reason"] == "max_merges" and len(one(tr, "neighbours")["top"]) == 1
    tr = run(0, corpus=[["a" * 16, 1000]] + [[chr(98 + k) * 16, 1] for k in range(15)], max_merges=64, d_embed=8,
             encode_text=" ".join(["b" * 16] * 8), aside_text="zz", neighbour_query="[UNK]", top_k=1)
    check_all(tr)


@pytest.mark.parametrize("seed", [-1, True, 0.5])
def test_bad_seed(seed: Any) -> None:
    with pytest.raises(ParamError) as err:
        te.simulate(seed)
    assert err.value.field == "seed"


# ---------------------------------------------------------------- the scene's checkpoints
def checkpoint_answers(trace: dict[str, Any]) -> list[str]:
    """The right answer of each question the scene asks, from the trace alone (tests/test_explainers.py): which
    pair is merged (at the first tie, else at the first merge); the ids of the encoded text's first word; the
    token nearest to the neighbour query."""
    merges = [st for st in trace["steps"] if st["event"] == "merge"]
    enc = next(st for st in trace["steps"] if st["event"] == "encode")
    near = next(st for st in trace["steps"] if st["event"] == "neighbours")
    decided = next((m for m in merges if m["tied"]), merges[0])
    chosen = decided["chosen"]
    first_word = [str(i) for i, w in zip(enc["ids"], enc["word_of_token"]) if w == 0]
    return [f"{chosen['left']} + {chosen['right']}", ", ".join(first_word), near["top"][0]["token"]]


def test_checkpoint_answers_for_the_catalog_run() -> None:
    entry = load_catalog().get(te.ID)
    trace = json.loads(te.simulate(entry.seed, **entry.params).to_json())
    assert checkpoint_answers(trace) == ["p + ug", "1, 8, 6", "ug"]
