"""Declared simulator parameters: types, ranges and their checks."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

__all__ = ["Param", "ParamError", "resolve_params", "parse_value"]


class ParamError(ValueError):
    """A simulator parameter is unknown, of the wrong type or out of range."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Param:
    """One simulator parameter: its type, default and closed range."""

    name: str
    type: type
    default: Any
    min: float | None = None
    max: float | None = None
    help: str = ""
    #: Extra check for structured values (lists, dicts): returns the value or raises ValueError.
    validate: Callable[[Any], Any] | None = None

    def check(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise ParamError."""
        if self.type is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParamError(self.name, f"expected a number, got {type(value).__name__} {value!r}")
            value = float(value)
            if not math.isfinite(value):
                raise ParamError(self.name, f"expected a finite number, got {value!r}")
        elif self.type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParamError(self.name, f"expected an integer, got {type(value).__name__} {value!r}")
        elif self.type is bool:
            if not isinstance(value, bool):
                raise ParamError(self.name, f"expected true or false, got {value!r}")
        elif self.type is str:
            if not isinstance(value, str):
                raise ParamError(self.name, f"expected a string, got {type(value).__name__} {value!r}")
        elif self.type in (list, dict):
            if not isinstance(value, self.type):
                raise ParamError(self.name, f"expected a {self.type.__name__}, got {type(value).__name__} {value!r}")
        if self.min is not None and value < self.min:
            raise ParamError(self.name, f"{value!r} is below the minimum {self.min!r}")
        if self.max is not None and value > self.max:
            raise ParamError(self.name, f"{value!r} is above the maximum {self.max!r}")
        if self.validate is not None:
            try:
                value = self.validate(value)
            except ParamError:
                raise
            except (ValueError, TypeError) as exc:
                raise ParamError(self.name, str(exc)) from None
        return value


def parse_value(param: Param, text: str) -> Any:
    """Parse a command-line ``key=value`` string into ``param``'s type, then check it.

    Lists and dicts are given as JSON: ``--set 'latency_ms=[5, 15]'``.
    """
    try:
        if param.type is bool:
            lowered = text.strip().lower()
            if lowered not in {"true", "false", "1", "0", "yes", "no"}:
                raise ValueError
            value: Any = lowered in {"true", "1", "yes"}
        elif param.type is int:
            value = int(text)
        elif param.type is float:
            value = float(text)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
        elif param.type in (list, dict):
            value = json.loads(text)
        else:
            value = text
    except ValueError:
        raise ParamError(param.name, f"expected {param.type.__name__}, got {text!r}") from None
    return param.check(value)


def resolve_params(
    spec: tuple[Param, ...],
    given: Mapping[str, Any],
    cross_check: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Fill defaults, reject unknown keys, check each value and then the whole set."""
    known = {p.name: p for p in spec}
    for key in given:
        if key not in known:
            raise ParamError(key, f"unknown parameter (known: {', '.join(sorted(known))})")
    resolved = {p.name: p.check(given[p.name]) if p.name in given else p.default for p in spec}
    if cross_check is not None:
        cross_check(resolved)
    return resolved
