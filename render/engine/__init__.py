"""The engine: every contact with Manim's internals.

``run`` (config, one scene run, the draw), ``drawparts`` (one explainer drawn by
several processes), ``speedups`` (pixel-identical speed-ups of the Cairo
renderer) and ``encoder`` (the segment encoder with the BT.709 matrix) lean on
Manim internals that change between releases, so the engine refuses any Manim
but the one it was tested with (:func:`check_manim_version`). Importing this
package does not import Manim.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from render.errors import RenderError

__all__ = ["TESTED_MANIM", "check_manim_version"]

#: The Manim Community release the engine's overrides were written and tested against.
TESTED_MANIM = "0.22.0"


def check_manim_version() -> str:
    """Return the installed Manim version, or raise :class:`RenderError` if it is not :data:`TESTED_MANIM`."""
    try:
        found = version("manim")
    except PackageNotFoundError:
        raise RenderError(f"Manim is not installed (the engine needs manim=={TESTED_MANIM}: "
                          f"pip install -e .)") from None
    if found != TESTED_MANIM:
        raise RenderError(f"Manim {found} is installed, but the engine was tested with {TESTED_MANIM} only "
                          f"(its speed-ups and encoder override Manim internals): pip install manim=={TESTED_MANIM}")
    return found
