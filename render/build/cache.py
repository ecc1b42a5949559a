"""Where renders keep their scratch files: ``$XDG_CACHE_HOME/explainers`` (default ``~/.cache/explainers``).

Two things live there: a work directory per render (Manim's media files, and a
finished draw that a killed run can resume from) and the kit's Text disk cache.
Both only make renders faster or resumable. When the cache cannot be used (no
usable home directory, a read-only or full disk), renders go on with a private
temporary directory instead and :func:`cache_root` says why in ``problem``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from render.fsio import check_writable_dir

__all__ = ["Cache", "MIN_FREE_BYTES", "cache_base", "cache_root"]

#: Free space a cache needs for a render's scratch files to be worth trying there.
MIN_FREE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Cache:
    """The directories of one render: ``path`` holds work directories; ``text_dir`` the Text cache (or None)."""

    path: Path
    text_dir: Path | None
    problem: str | None = None  #: why the configured cache is not used (None: it is)


def cache_base() -> Path | None:
    """``$XDG_CACHE_HOME`` if it is an absolute path, else ``~/.cache`` for an absolute home; None if neither."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg)
    home = os.environ.get("HOME", "")
    if home and os.path.isabs(home):
        return Path(home) / ".cache"
    return None


def _unusable(path: Path) -> str | None:
    problem = check_writable_dir(path)
    if problem:
        return problem
    try:
        free = shutil.disk_usage(path).free
    except OSError as exc:
        return f"cannot read its free space: {exc.strerror}"
    if free < MIN_FREE_BYTES:
        return f"only {free // (1024 * 1024)} MiB free"
    return None


def cache_root() -> Cache:
    """The cache to render with (see the module notes)."""
    base = cache_base()
    if base is None:
        problem = "no cache directory: neither $XDG_CACHE_HOME nor $HOME is an absolute path"
    else:
        path = base / "explainers"
        problem = _unusable(path)
        if problem is None:
            return Cache(path, path / "text")
        problem = f"{path}: {problem}"
    fallback = Path(tempfile.gettempdir()) / f"explainers-{os.getuid()}"
    if _unusable(fallback) is not None:
        fallback = Path(tempfile.mkdtemp(prefix="explainers-"))
    return Cache(fallback, None, problem)
