"""Scenes: one Manim scene per explainer, found by its file name.

Explainer ``consistent-hashing`` is ``scenes/consistent_hashing.py``, holding
exactly one :class:`scenes.kit.ExplainerScene` subclass. ``has_scene`` looks
for the file without importing anything, so listing the catalog never imports
Manim; ``get_scene_class`` imports the module and finds its scene class.
"""

from __future__ import annotations

import importlib
from pathlib import Path

__all__ = ["SceneError", "get_scene_class", "has_scene", "scene_module"]


class SceneError(ValueError):
    """A scene module breaks the contract (no scene class, or more than one)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def scene_module(explainer_id: str) -> str:
    """The module name of an explainer's scene (``"consistent-hashing"`` -> ``"consistent_hashing"``)."""
    return explainer_id.replace("-", "_")


def has_scene(explainer_id: str) -> bool:
    """Whether ``scenes/<module>.py`` exists for ``explainer_id`` (without importing it)."""
    name = scene_module(explainer_id)
    return name.isidentifier() and name not in {"captions", "kit"} and \
        Path(__file__).with_name(f"{name}.py").is_file()


def get_scene_class(explainer_id: str) -> type:
    """Import ``scenes/<module>.py`` and return its one ExplainerScene subclass."""
    if not has_scene(explainer_id):
        raise KeyError(f"no scene for {explainer_id!r} (expected scenes/{scene_module(explainer_id)}.py)")
    from scenes.kit.base import ExplainerScene  # imports Manim: only when a scene is asked for

    name = scene_module(explainer_id)
    module = importlib.import_module(f"scenes.{name}")
    found = [obj for obj in vars(module).values()
             if isinstance(obj, type) and issubclass(obj, ExplainerScene) and obj.__module__ == module.__name__]
    if len(found) != 1:
        names = ", ".join(sorted(cls.__name__ for cls in found)) or "none"
        raise SceneError(f"scenes/{name}.py", f"needs exactly one ExplainerScene subclass, found {len(found)} ({names})")
    return found[0]
