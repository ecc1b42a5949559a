"""Tokenization and embeddings: byte-pair encoding learned from a tiny corpus, then an embedding lookup.

Model
-----
The corpus is a list of words with counts. Training starts from single characters: each word is
split into its letters, and the vocabulary is the unknown-token first, then the corpus alphabet in
code-point order. One merge counts every adjacent pair of pieces in every word, weighted by the
word's count (overlapping pairs such as the two a-a windows of "aaa" both count), picks the most
frequent pair, breaking ties by the smaller (left id, right id), and glues it left to right in
every word; the glued string gets the next id unless it already exists. Training stops after
max_merges merges or when no word has two pieces left. Encoding a new word splits it into
characters (a character outside the alphabet becomes the unknown token) and keeps applying the
learned merge with the lowest rank, leftmost first; decoding joins the pieces. A seeded random
table then gives each id a vector of d_embed numbers, and cosine similarity ranks the vocabulary
against one query token. Time is the event count: the split, each merge, encode, lookup,
neighbours. Only the embedding table depends on the seed.

Invariants
----------
1. Greedy choice: each merge takes the most frequent adjacent pair, ties to the smaller (left id, right id).
2. Text preserved: joining a word's pieces gives back the word at every step.
3. Progress: a merge removes between 1 and its count of tokens; chosen counts never increase.
4. Vocabulary: ids 0..V-1 unique; 0 is the unknown token; then the alphabet in code-point order.
5. Round trip: decode(encode(text)) == text for alphabet text; no learned merge is left undone.
6. Lookup: each looked-up row is exactly the table's row for that id.
7. Cosine: values in [-1, 1], 1 for the query itself; neighbours sorted descending, ties by id.
8. Determinism: the same seed and parameters give byte-identical JSON; the seed changes only the table.

Leaves out
----------
Real tokenizers learn tens of thousands of merges from gigabytes of text, work on bytes so that no
character is ever unknown, and mark word boundaries or spaces inside tokens. Here the corpus is a
handful of words and the embedding table is random: in a real model the table is trained with
the rest of the network, and only then do related tokens end up with similar vectors.

Trace
-----
steps, with t = 0, 1, 2, ... and event: "split" (splits, counts, vocab, total_tokens); one "merge"
per merge (merge_index from 1, pair_counts = every adjacent pair before the merge as {left, right,
left_id, right_id, count} sorted by count descending then ids, chosen {left, right, left_id,
right_id, count, token, id, new_id}, tied = the other pairs with the chosen count, splits and vocab
after, total_tokens_before/after); "encode" (text, words, stages = per word the pieces after each
merge that changed them, applied = the merge indices used, tokens, word_of_token, ids, decoded,
and aside: the same fields for aside_text, a second word to show unknown characters); "lookup"
(tokens, ids, table [V][d_embed], rows); "neighbours" (query, query_id, cosines [V], top =
{token, id, cosine} best first without the query, bottom = the lowest such entry, related = the
other tokens that contain the query string, each with its cosine and rank among the neighbours).
summary: vocab, vocab_size (V), merges [[left, right]], final_splits, encoded_ids, aside_ids, top_neighbours,
stop_reason ("max_merges" or "no_pairs"), first_tie (merge_index of the first merge with a tie,
or null), total_tokens (the corpus token total at the split and after every merge).
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple, Sequence

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "BpeState", "check_params", "initial_state", "count_pairs", "merge_pieces",
    "merge_step", "train_bpe", "encode_word", "encode_text", "decode", "embedding_table", "cosine",
    "neighbours", "simulate",
]

ID = "tokenization-embeddings"
#: A second story for the shared tests: the classic low/lower/newest/widest corpus (a tie at the very first
#: merge, training stopped by max_merges), a longer new word and an aside with an unknown letter.
ALTERNATE_PARAMS: dict[str, Any] = {"corpus": [["low", 5], ["lower", 2], ["newest", 6], ["widest", 3]], "max_merges": 6,
                                    "encode_text": "lowest", "aside_text": "glow", "neighbour_query": "low"}
_WORD = re.compile(r"[a-z]{1,16}")
_TEXT = re.compile(r"[a-z]{1,16}( [a-z]{1,16}){0,7}")


def _check_corpus(value: list[Any]) -> list[list[Any]]:
    if not 1 <= len(value) <= 16:
        raise ValueError(f"expected 1..16 [word, count] entries, got {len(value)}")
    corpus, seen = [], set()
    for i, item in enumerate(value):
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str)
                and isinstance(item[1], int) and not isinstance(item[1], bool)):
            raise ValueError(f"entry {i}: expected [word, count], got {item!r}")
        word, count = item
        if not _WORD.fullmatch(word):
            raise ValueError(f"entry {i}: word must be 1..16 lowercase letters a-z, got {word!r}")
        if not 1 <= count <= 1000:
            raise ValueError(f"entry {i}: count must be in 1..1000, got {count!r}")
        if word in seen:
            raise ValueError(f"entry {i}: {word!r} is listed twice")
        seen.add(word)
        corpus.append([word, count])
    return corpus


def _check_unk(value: str) -> str:
    if not 1 <= len(value) <= 16 or not value.isprintable() or any(c.isspace() for c in value):
        raise ValueError(f"must be 1..16 printable characters without spaces, got {value!r}")
    if re.fullmatch(r"[a-z]+", value):
        raise ValueError(f"must not be made of letters a-z only (it could clash with a learned token), got {value!r}")
    return value


def _check_text(value: str) -> str:
    if not _TEXT.fullmatch(value):
        raise ValueError(f"must be 1..8 words of 1..16 letters a-z separated by single spaces, got {value!r}")
    return value


PARAMS: tuple[Param, ...] = (
    Param("corpus", list, [["hug", 10], ["pug", 5], ["pun", 12], ["bun", 4], ["hugs", 5]],
          help="training words with counts: [[word, count], ...]", validate=_check_corpus),
    Param("max_merges", int, 10, 0, 64, "merges to learn at most"),
    Param("unk_token", str, "[UNK]", help="token for characters outside the alphabet (id 0)", validate=_check_unk),
    Param("encode_text", str, "bugs", help="text to encode with the learned merges", validate=_check_text),
    Param("aside_text", str, "mug", help="a second text, for the unknown-character aside", validate=_check_text),
    Param("d_embed", int, 4, 2, 8, "width of each embedding row"),
    Param("neighbour_query", str, "hug", help="token whose nearest neighbours are ranked; must be in the vocab"),
    Param("top_k", int, 3, 1, 16, "neighbours listed"),
)


def check_params(p: dict[str, Any]) -> None:
    """The neighbour query must be a token of the trained vocabulary."""
    _, _, final = train_bpe(p["corpus"], p["unk_token"], p["max_merges"])
    if p["neighbour_query"] not in final.vocab:
        raise ParamError("neighbour_query", f"{p['neighbour_query']!r} is not in the trained vocabulary {final.vocab}")


# ---------------------------------------------------------------- training
class BpeState(NamedTuple):
    """Corpus words as piece lists, their counts, and the vocabulary (index = id)."""

    splits: tuple[tuple[str, ...], ...]
    counts: tuple[int, ...]
    vocab: tuple[str, ...]


def initial_state(corpus: Sequence[Sequence[Any]], unk_token: str) -> BpeState:
    """Characters as pieces; vocabulary = unknown token, then the alphabet in code-point order."""
    words = [w for w, _ in corpus]
    alphabet = sorted(set("".join(words)))
    return BpeState(tuple(tuple(w) for w in words), tuple(c for _, c in corpus), (unk_token, *alphabet))


def _total(state: BpeState) -> int:
    return sum(c * len(s) for s, c in zip(state.splits, state.counts))


def count_pairs(state: BpeState) -> list[dict[str, Any]]:
    """Every adjacent pair weighted by word count, sorted by (-count, left_id, right_id)."""
    ids = {tok: i for i, tok in enumerate(state.vocab)}
    counts: dict[tuple[str, str], int] = {}
    for pieces, n in zip(state.splits, state.counts):
        for pair in zip(pieces, pieces[1:]):
            counts[pair] = counts.get(pair, 0) + n
    rows = [{"left": a, "right": b, "left_id": ids[a], "right_id": ids[b], "count": n} for (a, b), n in counts.items()]
    return sorted(rows, key=lambda r: (-r["count"], r["left_id"], r["right_id"]))


def merge_pieces(pieces: Sequence[str], left: str, right: str) -> tuple[str, ...]:
    """Glue every (left, right) occurrence, scanning left to right without overlap."""
    out: list[str] = []
    i = 0
    while i < len(pieces):
        if i + 1 < len(pieces) and pieces[i] == left and pieces[i + 1] == right:
            out.append(left + right)
            i += 2
        else:
            out.append(pieces[i])
            i += 1
    return tuple(out)


def merge_step(state: BpeState, merge_index: int) -> tuple[BpeState, dict[str, Any]] | None:
    """One greedy merge, or None when no word has an adjacent pair left."""
    pairs = count_pairs(state)
    if not pairs:
        return None
    best = pairs[0]
    token = best["left"] + best["right"]
    new = token not in state.vocab
    vocab = (*state.vocab, token) if new else state.vocab
    splits = tuple(merge_pieces(s, best["left"], best["right"]) for s in state.splits)
    after = BpeState(splits, state.counts, vocab)
    chosen = {**best, "token": token, "id": vocab.index(token), "new_id": new}
    record = {"event": "merge", "merge_index": merge_index, "pair_counts": pairs, "chosen": chosen,
              "tied": [r for r in pairs[1:] if r["count"] == best["count"]],
              "splits": [list(s) for s in splits], "vocab": list(vocab),
              "total_tokens_before": _total(state), "total_tokens_after": _total(after)}
    return after, record


def train_bpe(corpus: Sequence[Sequence[Any]], unk_token: str,
              max_merges: int) -> tuple[dict[str, Any], list[dict[str, Any]], BpeState]:
    """The split record, the merge records and the final state."""
    state = initial_state(corpus, unk_token)
    split = {"event": "split", "splits": [list(s) for s in state.splits], "counts": list(state.counts),
             "vocab": list(state.vocab), "total_tokens": _total(state)}
    merges: list[dict[str, Any]] = []
    while len(merges) < max_merges:
        stepped = merge_step(state, len(merges) + 1)
        if stepped is None:
            break
        state, record = stepped
        merges.append(record)
    return split, merges, state


# ---------------------------------------------------------------- encoding
def encode_word(word: str, ranks: dict[tuple[str, str], int], alphabet: set[str],
                unk_token: str) -> tuple[list[list[str]], list[int]]:
    """The piece list after each merge that changed it (first: the characters), and the merges used.

    Each round applies the learned merge with the lowest rank at its leftmost place; ranks are 1-based.
    """
    pieces = [c if c in alphabet else unk_token for c in word]
    stages, applied = [list(pieces)], []
    while True:
        found = [(ranks[pair], i) for i, pair in enumerate(zip(pieces, pieces[1:])) if pair in ranks]
        if not found:
            return stages, applied
        rank, i = min(found)
        pieces[i:i + 2] = [pieces[i] + pieces[i + 1]]
        stages.append(list(pieces))
        applied.append(rank)


def decode(tokens: Sequence[str], word_of_token: Sequence[int]) -> str:
    """Join each word's pieces, then the words with single spaces."""
    words: list[str] = []
    for tok, w in zip(tokens, word_of_token):
        if w == len(words):
            words.append("")
        words[w] += tok
    return " ".join(words)


def encode_text(text: str, merges: Sequence[Sequence[str]], vocab: Sequence[str], unk_token: str) -> dict[str, Any]:
    """Encode space-separated words with the learned merges (in rank order) and decode them back."""
    ranks = {(a, b): k for k, (a, b) in enumerate(merges, 1)}  # a repeated pair keeps its later rank, as in tokenizers
    alphabet = {t for t in vocab[1:] if len(t) == 1}
    ids = {tok: i for i, tok in enumerate(vocab)}
    words = text.split(" ")
    stages, applied, tokens, owner = [], [], [], []
    for w, word in enumerate(words):
        word_stages, used = encode_word(word, ranks, alphabet, unk_token)
        stages.append(word_stages)
        applied.append(used)
        tokens += word_stages[-1]
        owner += [w] * len(word_stages[-1])
    return {"text": text, "words": words, "stages": stages, "applied": applied, "tokens": tokens,
            "word_of_token": owner, "ids": [ids[t] for t in tokens], "decoded": decode(tokens, owner)}


# ---------------------------------------------------------------- embeddings
def embedding_table(rng: np.random.Generator, vocab_size: int, d_embed: int) -> list[list[float]]:
    """One standard-normal row per id: the untrained table."""
    return rng.normal(0.0, 1.0, (vocab_size, d_embed)).tolist()


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """a.b / (|a| |b|) from exactly rounded sums (0 for a zero vector)."""
    dot = math.fsum(x * y for x, y in zip(a, b))
    norms = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    return dot / norms if norms else 0.0


def neighbours(table: Sequence[Sequence[float]], vocab: Sequence[str], query: str, top_k: int) -> dict[str, Any]:
    """Cosine of the query's row with every row, the ranking without the query, and notable entries."""
    qid = vocab.index(query)
    cosines = [cosine(table[qid], row) for row in table]
    ranked = sorted((i for i in range(len(vocab)) if i != qid), key=lambda i: (-cosines[i], i))
    entry = [{"token": vocab[i], "id": i, "cosine": cosines[i]} for i in ranked]
    related = [{**e, "rank": r} for r, e in enumerate(entry, 1) if query in e["token"]]
    return {"event": "neighbours", "query": query, "query_id": qid, "cosines": cosines, "top": entry[:top_k],
            "bottom": entry[-1] if entry else None, "related": related}


def simulate(seed: int, **params: Any) -> Trace:
    """Train BPE, encode two texts, look up the table and rank neighbours; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    unk = p["unk_token"]
    split, merge_records, final = train_bpe(p["corpus"], unk, p["max_merges"])
    vocab = list(final.vocab)
    merges = [[r["chosen"]["left"], r["chosen"]["right"]] for r in merge_records]
    encoded = encode_text(p["encode_text"], merges, vocab, unk)
    aside = encode_text(p["aside_text"], merges, vocab, unk)
    table = embedding_table(np.random.default_rng(seed), len(vocab), p["d_embed"])
    lookup = {"event": "lookup", "tokens": encoded["tokens"], "ids": encoded["ids"], "table": table,
              "rows": [list(table[i]) for i in encoded["ids"]]}
    near = neighbours(table, vocab, p["neighbour_query"], p["top_k"])
    events = [split, *merge_records, {"event": "encode", **encoded, "aside": aside}, lookup, near]
    steps = [{"t": t, **record} for t, record in enumerate(events)]
    summary = {
        "vocab": vocab, "vocab_size": len(vocab), "merges": merges, "final_splits": [list(s) for s in final.splits],
        "encoded_ids": encoded["ids"], "aside_ids": aside["ids"], "top_neighbours": near["top"],
        "stop_reason": "max_merges" if len(merges) == p["max_merges"] else "no_pairs",
        "first_tie": next((r["merge_index"] for r in merge_records if r["tied"]), None),
        "total_tokens": [split["total_tokens"]] + [r["total_tokens_after"] for r in merge_records],
    }
    return Trace(id=ID, seed=seed, params=p, steps=steps, summary=summary)
