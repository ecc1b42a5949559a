"""Scenes: one Manim scene per explainer, and the registry of them.

The registry holds import paths as strings so that listing the catalog does
not import Manim.
"""

from __future__ import annotations

import importlib

__all__ = ["SCENES", "get_scene_class", "has_scene"]

#: catalog id -> "module:ClassName". Add one line per explainer.
SCENES: dict[str, str] = {
    "rate-limiting": "scenes.rate_limiting:RateLimitingScene",
    "raft-consensus": "scenes.raft_consensus:RaftConsensusScene",
}


def has_scene(explainer_id: str) -> bool:
    return explainer_id in SCENES


def get_scene_class(explainer_id: str) -> type:
    """Import and return the Scene subclass for ``explainer_id``."""
    module_name, _, class_name = SCENES[explainer_id].partition(":")
    return getattr(importlib.import_module(module_name), class_name)
