"""The settings of a render run and the outcome of one explainer's render: plain, picklable data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from render.delivery.encoding import QUALITIES, Quality

__all__ = ["RenderOutcome", "RenderSettings"]


@dataclass(frozen=True)
class RenderSettings:
    """Everything a render job needs besides its explainer; picklable for worker processes."""

    out_dir: Path
    quality: str = "1080p"
    seed: int | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    force: bool = False
    catalog_path: Path | None = None
    #: processes drawing this one explainer (render.engine.drawparts); the output is the same for any number
    draw_parts: int = 1
    #: "burned": captions drawn into the frames (for platforms and players that do not show a track);
    #: "track": captions only in the caption files (for players that show, style and translate them)
    captions: str = "burned"

    @property
    def q(self) -> Quality:
        return QUALITIES[self.quality]


@dataclass(frozen=True)
class RenderOutcome:
    """What happened to one explainer: ``rendered``, ``skipped`` (up to date), ``planned`` or ``failed``."""

    id: str
    status: str
    seconds: float = 0.0
    duration_s: float = 0.0
    message: str = ""
    #: problems that do not fail the render but should be fixed (duration off target, chapter rules)
    warnings: tuple[str, ...] = ()
