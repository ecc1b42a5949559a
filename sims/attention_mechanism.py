"""Attention mechanism: scaled dot-product self-attention over one short sentence, then a second one.

Model
-----
A sentence is split on whitespace into 2 to 8 lowercase tokens. The vocabulary is the sorted set
of the words of both sentences, so a word's vector never depends on where it stands. From the seed
come an embedding table (one row of d_model numbers per vocabulary word) and, per head, three
projection matrices W_Q, W_K, W_V (d_model x d_k), then the output matrix W_O. These are untrained,
random stand-ins. One attention run takes the token rows X, projects them into queries, keys and
values, scores every query against every key (q.k / sqrt(d_k)), turns each row of scores into
weights with a softmax (a causal run masks the keys after each query), and blends the value rows
with those weights; the heads' blends are put side by side and mixed by W_O. There is no clock:
the steps are the computation stages in the order the story tells them. Every number comes from
fixed-order float64 arithmetic (math.fsum for sums, a portable exponential built from + - * /
only), so the bytes of the trace do not depend on the machine.

Invariants
----------
1. Lookup and projection: X rows are the tokens' embedding rows; Q, K, V are X times W_Q, W_K, W_V.
2. Scores: each unmasked score is q_i.k_j / sqrt(d_k); masked scores are null with weight exactly 0.
3. Softmax: each weights row is non-negative, sums to 1, and keeps the order of its scores.
4. Blend: a head's out is weights times V, so each coordinate stays within that column of V.
5. Context-free start: the same word has identical X, Q, K and V rows wherever it stands.
6. Causal edges: row 0 of a causal run attends only to itself; the last row equals the unmasked one.
7. Multi-head: concat is the heads' outs side by side, and out = concat times W_O.
8. Order blindness and determinism: permuting the words permutes every weights matrix and out the
   same way; the same seed and parameters give byte-identical JSON.

Leaves out
----------
The weights here are random, not trained, so which word attends to which is chance, picked by the
seed; training is what makes such patterns reliable. Real transformers add position information
to each token vector before attention, add biases, residual connections and layer normalization,
stack many layers of wide heads, and split text into subword tokens rather than whole words.

Trace
-----
steps: t = 0..7 with events embed, project, scores, softmax, mix (main sentence, no mask), contrast
(contrast sentence, no mask), causal (contrast sentence, masked) and multihead (main sentence, no
mask). Each step carries one full attention run (the five main-sentence beats and multihead carry
the same run): sentence_id ("main" or "contrast"), causal, head (the head the beat talks about, 0,
or null for multihead), tokens, token_ids (indices into summary.vocab), focus_index (the focus
word's first position), X [n][d_model], heads (per head Q, K, V [n][d_k], scores [n][n] with null
where masked, weights [n][n], out [n][d_k] and focus_products [n][d_k], the terms q_focus[d] *
k_j[d] of the focus row's dot products), concat [n][n_heads * d_k] and out [n][d_model]. summary:
vocab, embeddings [V][d_model], W_Q, W_K, W_V [n_heads][d_model][d_k], W_O [n_heads * d_k][d_model],
sqrt_d_k (the score divisor), n_scores (per sentence, the n * n query-key scores one head
computes), focus_out (head 0's output for the focus token in the runs main,
contrast, main_causal, contrast_causal) and focus_ranked (per run and head, the focus row as {index,
token, weight} sorted by weight descending, ties by position) for captions such as "mostly river".
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Sequence

import numpy as np

from sims.params import Param, ParamError, resolve_params
from sims.trace import Trace

__all__ = ["ALTERNATE_PARAMS", 
    "ID", "PARAMS", "MAX_TOKENS", "RUNS", "EVENTS", "Weights", "check_params", "exp", "tokenize",
    "build_vocab", "draw_weights", "matmul", "project_vocab", "score_matrix", "softmax_row",
    "blend", "head_state", "attention_run", "rank_focus_row", "simulate",
]

ID = "attention-mechanism"
#: A second story for the shared tests: other sentences (six words, the focus word last in the main one, so its
#: causal row equals the unmasked one) and three heads; every embedding and weight the video shows changes.
ALTERNATE_PARAMS: dict[str, Any] = {"sentence": "she sat on the river bank", "contrast_sentence": "the bank approved my loan",
                                    "n_heads": 3}
MIN_TOKENS, MAX_TOKENS = 2, 8
#: The four attention runs: (sentence_id, causal).
RUNS = {"main": ("main", False), "contrast": ("contrast", False),
        "main_causal": ("main", True), "contrast_causal": ("contrast", True)}
#: The steps in beat order: (event, run, head the beat talks about).
EVENTS = (("embed", "main", 0), ("project", "main", 0), ("scores", "main", 0), ("softmax", "main", 0),
          ("mix", "main", 0), ("contrast", "contrast", 0), ("causal", "contrast_causal", 0),
          ("multihead", "main", None))

Matrix = list[list[float]]


def tokenize(sentence: str) -> list[str]:
    """Whitespace tokens, in order."""
    return sentence.split()


def _sentence(value: str) -> str:
    if value != value.lower():
        raise ValueError(f"must be lowercase, got {value!r}")
    n = len(tokenize(value))
    if not MIN_TOKENS <= n <= MAX_TOKENS:
        raise ValueError(f"must have {MIN_TOKENS}..{MAX_TOKENS} whitespace-separated words, got {n}")
    return value


PARAMS: tuple[Param, ...] = (
    Param("sentence", str, "the river bank was muddy", help="main sentence: 2..8 lowercase words",
          validate=_sentence),
    Param("contrast_sentence", str, "the bank loan was approved", help="second sentence with the focus word",
          validate=_sentence),
    Param("focus_word", str, "bank", help="the word the story follows; must occur in both sentences"),
    Param("d_model", int, 4, 2, 8, "width of the token vectors"),
    Param("d_k", int, 2, 1, 4, "width of queries, keys and values per head"),
    Param("n_heads", int, 2, 1, 4, "number of attention heads"),
)


def check_params(p: dict[str, Any]) -> None:
    """The focus word must be a word of both sentences."""
    word = p["focus_word"]
    for name in ("sentence", "contrast_sentence"):
        if word not in tokenize(p[name]):
            raise ParamError("focus_word", f"{word!r} is not a word of {name} {p[name]!r}")


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


def matmul(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]]) -> Matrix:
    """a times b with each entry an exactly rounded sum (math.fsum), independent of any BLAS."""
    cols = list(zip(*b))
    return [[math.fsum(x * y for x, y in zip(row, col)) for col in cols] for row in a]


# ---------------------------------------------------------------- the model's pieces
class Weights(NamedTuple):
    """The seeded, untrained parameters."""

    E: Matrix
    W_Q: list[Matrix]
    W_K: list[Matrix]
    W_V: list[Matrix]
    W_O: Matrix


def build_vocab(sentence: str, contrast_sentence: str) -> list[str]:
    """Sorted set of the words of both sentences: ids do not depend on word order."""
    return sorted(set(tokenize(sentence)) | set(tokenize(contrast_sentence)))


def draw_weights(rng: np.random.Generator, vocab_size: int, d_model: int, d_k: int, n_heads: int) -> Weights:
    """E, then W_Q, W_K, W_V for each head in turn, then W_O: head 0 is the same for any n_heads."""
    emb = rng.normal(0.0, 1.0, (vocab_size, d_model)).tolist()
    std = 1.0 / math.sqrt(d_model)
    q, k, v = [], [], []
    for _ in range(n_heads):
        q.append(rng.normal(0.0, std, (d_model, d_k)).tolist())
        k.append(rng.normal(0.0, std, (d_model, d_k)).tolist())
        v.append(rng.normal(0.0, std, (d_model, d_k)).tolist())
    w_o = rng.normal(0.0, 1.0 / math.sqrt(n_heads * d_k), (n_heads * d_k, d_model)).tolist()
    return Weights(emb, q, k, v, w_o)


def project_vocab(weights: Weights) -> list[dict[str, Matrix]]:
    """Per head, every vocabulary row projected once: {"Q", "K", "V"} [V][d_k].

    Picking rows of these by token id makes a word's q, k and v identical in every position.
    """
    return [{"Q": matmul(weights.E, weights.W_Q[h]), "K": matmul(weights.E, weights.W_K[h]),
             "V": matmul(weights.E, weights.W_V[h])} for h in range(len(weights.W_Q))]


def score_matrix(q: Matrix, k: Matrix, causal: bool) -> list[list[float | None]]:
    """q_i . k_j / sqrt(d_k) for every pair; None for j > i when causal."""
    root = math.sqrt(len(q[0]))
    return [[None if causal and j > i else math.fsum(a * b for a, b in zip(qi, kj)) / root
             for j, kj in enumerate(k)] for i, qi in enumerate(q)]


def softmax_row(scores: Sequence[float | None]) -> list[float]:
    """exp(s - max) / sum over the unmasked entries; masked entries get exactly 0."""
    top = max(s for s in scores if s is not None)
    e = [0.0 if s is None else exp(s - top) for s in scores]
    total = math.fsum(e)
    return [x / total for x in e]


def blend(weights: Matrix, values: Matrix) -> Matrix:
    """Each output row is the weighted sum of the value rows."""
    return matmul(weights, values)


def head_state(token_ids: Sequence[int], focus: int, proj: dict[str, Matrix], causal: bool) -> dict[str, Any]:
    """One head's whole computation over one sentence."""
    q = [proj["Q"][i] for i in token_ids]
    k = [proj["K"][i] for i in token_ids]
    v = [proj["V"][i] for i in token_ids]
    scores = score_matrix(q, k, causal)
    weights = [softmax_row(row) for row in scores]
    return {"Q": q, "K": k, "V": v, "scores": scores, "weights": weights, "out": blend(weights, v),
            "focus_products": [[a * b for a, b in zip(q[focus], kj)] for kj in k]}


def attention_run(tokens: list[str], vocab: list[str], focus_word: str, weights: Weights,
                  projected: list[dict[str, Matrix]], causal: bool) -> dict[str, Any]:
    """Every head over one sentence, their concatenation and the W_O mix."""
    token_ids = [vocab.index(t) for t in tokens]
    focus = tokens.index(focus_word)
    heads = [head_state(token_ids, focus, proj, causal) for proj in projected]
    concat = [[x for head in heads for x in head["out"][i]] for i in range(len(tokens))]
    return {"causal": causal, "tokens": tokens, "token_ids": token_ids, "focus_index": focus,
            "X": [list(weights.E[i]) for i in token_ids], "heads": heads, "concat": concat,
            "out": matmul(concat, weights.W_O)}


def rank_focus_row(run: dict[str, Any], head: int) -> list[dict[str, Any]]:
    """The focus row's weights as {index, token, weight}, largest first, ties by position."""
    row = run["heads"][head]["weights"][run["focus_index"]]
    order = sorted(range(len(row)), key=lambda j: (-row[j], j))
    return [{"index": j, "token": run["tokens"][j], "weight": row[j]} for j in order]


def simulate(seed: int, **params: Any) -> Trace:
    """Run the four attention runs and lay them out as the eight beats; see the module docstring."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParamError("seed", f"expected a non-negative integer, got {seed!r}")
    p = resolve_params(PARAMS, params, check_params)
    vocab = build_vocab(p["sentence"], p["contrast_sentence"])
    weights = draw_weights(np.random.default_rng(seed), len(vocab), p["d_model"], p["d_k"], p["n_heads"])
    projected = project_vocab(weights)
    sentences = {"main": tokenize(p["sentence"]), "contrast": tokenize(p["contrast_sentence"])}
    runs = {name: attention_run(sentences[sid], vocab, p["focus_word"], weights, projected, causal)
            for name, (sid, causal) in RUNS.items()}
    # steps of one run share its lists (the trace is read-only data; its JSON repeats them in full)
    steps = [{"t": t, "event": event, "sentence_id": RUNS[run][0], "head": head, **runs[run]}
             for t, (event, run, head) in enumerate(EVENTS)]
    summary = {
        "vocab": vocab, "embeddings": weights.E, "W_Q": weights.W_Q, "W_K": weights.W_K, "W_V": weights.W_V,
        "W_O": weights.W_O, "sqrt_d_k": math.sqrt(p["d_k"]),
        "n_scores": {sid: len(tokens) ** 2 for sid, tokens in sentences.items()},
        "focus_out": {name: list(run["heads"][0]["out"][run["focus_index"]]) for name, run in runs.items()},
        "focus_ranked": {name: [rank_focus_row(run, h) for h in range(p["n_heads"])] for name, run in runs.items()},
    }
    return Trace(id=ID, seed=seed, params=p, steps=steps, summary=summary)
