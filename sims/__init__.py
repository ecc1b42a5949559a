"""Simulators: one pure, seeded module per explainer, and the registry of them.

Each module exposes ``ID``, ``PARAMS`` (a tuple of :class:`sims.params.Param`),
``check_params(params)`` (cross-field checks, raising ParamError) and
``simulate(seed, **params) -> Trace``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["SIMULATORS", "get_simulator", "has_simulator"]

#: catalog id -> module path. Add one line per explainer.
SIMULATORS: dict[str, str] = {
    "rate-limiting": "sims.rate_limiting",
    "raft-consensus": "sims.raft_consensus",
}


def has_simulator(explainer_id: str) -> bool:
    return explainer_id in SIMULATORS


def get_simulator(explainer_id: str) -> ModuleType:
    """Import and return the simulator module for ``explainer_id``."""
    try:
        path = SIMULATORS[explainer_id]
    except KeyError:
        raise KeyError(f"no simulator for {explainer_id!r}") from None
    return importlib.import_module(path)
