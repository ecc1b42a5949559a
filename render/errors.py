"""The project's own errors: user mistakes exit 2, failed runs exit 1, never a traceback."""

from __future__ import annotations

import click

__all__ = ["UserError", "CatalogError", "RenderError"]


class UserError(click.ClickException):
    """A user mistake (bad option, unknown id, unwritable path): ``Error: ...``, exit 2."""

    exit_code = 2


class CatalogError(UserError):
    """The catalog is invalid: names the file, the entry and the field."""

    def __init__(self, path: str, entry: str | None, field: str | None, message: str) -> None:
        parts = [str(path)] + [p for p in (entry, field) if p]
        super().__init__(": ".join(parts + [message]))
        self.path = str(path)
        self.entry = entry
        self.field = field
        self.reason = message


class RenderError(click.ClickException):
    """A run failed (a render crashed, a disk write failed): ``Error: ...``, exit 1."""

    exit_code = 1
