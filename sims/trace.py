"""The Trace type: the whole truth of one simulator run, as plain JSON."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SCHEMA_VERSION", "Trace", "to_plain"]

SCHEMA_VERSION = 1


def to_plain(value: Any) -> Any:
    """Convert numpy scalars/arrays and tuples into plain JSON types, recursively."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"trace value {value!r} is not a finite number")
        return float(value)
    # numpy types, without importing numpy here
    if hasattr(value, "tolist"):
        return to_plain(value.tolist())
    if hasattr(value, "item"):
        return to_plain(value.item())
    raise TypeError(f"trace value of type {type(value).__name__} is not JSON-serializable")


def _json_default(value: Any) -> Any:
    """numpy scalars and arrays, met by json.dumps, become plain values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"trace value of type {type(value).__name__} is not JSON-serializable")


@dataclass(frozen=True)
class Trace:
    """One run of one simulator.

    ``steps`` holds one full state per step (not diffs); ``summary`` the
    figures the scene's closing beats quote; ``extra`` any further top-level
    fields a storyboard names (``requests``, ``windows`` ...).
    """

    id: str
    seed: int
    params: dict[str, Any]
    steps: list[dict[str, Any]]
    summary: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    def _raw(self) -> dict[str, Any]:
        reserved = {"id", "seed", "params", "steps", "summary", "schema_version"}
        clash = reserved.intersection(self.extra)
        if clash:
            raise ValueError(f"trace extra fields clash with reserved names: {sorted(clash)}")
        data = {
            "schema_version": SCHEMA_VERSION,
            "id": self.id,
            "seed": int(self.seed),
            "params": self.params,
            "steps": self.steps,
            "summary": self.summary,
            **self.extra,
        }
        return data

    def to_dict(self) -> dict[str, Any]:
        """The trace as plain JSON types."""
        return to_plain(self._raw())

    def to_json(self) -> str:
        """Serialize with sorted keys and full float precision: same run, same bytes."""
        return json.dumps(self._raw(), sort_keys=True, separators=(",", ":"), allow_nan=False, default=_json_default)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Trace":
        data = dict(data)
        version = data.pop("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise ValueError(f"trace schema_version {version} is not {SCHEMA_VERSION}")
        core = {k: data.pop(k) for k in ("id", "seed", "params", "steps", "summary")}
        return cls(**core, extra=data)

    @classmethod
    def from_json(cls, text: str) -> "Trace":
        return cls.from_dict(json.loads(text))
