"""The source files an output depends on, found by walking imports, never listed by hand.

A render draws with the explainer's scene module and the engine. Their
project imports are followed statically (``ast``, so Manim is never imported
to plan): every project module either of them imports, directly or through
another, at module level or inside a function. Every file of a package the
scene reaches below ``scenes/`` (the kit and its subfolders, a scene's own
package folder) counts too, whether or not something imports it yet: a file
dropped into the kit changes the hash. What is only packaged (post-processing,
metadata, the gallery) depends on every file under ``render/``.

>>> files = draw_sources("rate_limiting")
>>> any(p.name == "theme.py" for p in files)
True
"""

from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from render.catalog import PROJECT_ROOT

__all__ = ["PACKAGES", "digest_files", "draw_sources", "imported_modules", "package_sources"]

#: The project's top-level packages; imports of anything else (Manim, numpy ...) are versioned separately.
PACKAGES = ("sims", "scenes", "render")
SKIP_DIRS = {"__pycache__"}


def module_file(name: str, root: Path | None = None) -> Path | None:
    """The file of project module ``name`` (a package's ``__init__.py``), or None if there is none."""
    path = (root or PROJECT_ROOT).joinpath(*name.split("."))
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return None


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _direct_imports(path: Path, module: str, root: Path) -> frozenset[str]:
    """The project modules (and their parent packages) the file of ``module`` imports."""
    source = path.read_bytes()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = {n for n in _imported_names(source, hashlib.sha256(source).hexdigest(), str(path), package)
             if n.split(".")[0] in PACKAGES and module_file(n, root) is not None}
    return frozenset(found | {p for n in found for p in _parents(n)})


@lru_cache(maxsize=None)
def _imported_names(source: bytes, digest: str, filename: str, package: str) -> frozenset[str]:
    """Every name ``source`` imports (``from pkg import name`` gives ``pkg`` and ``pkg.name``), relative
    imports resolved against ``package``; cached by content (``digest``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(p for p in [*parts[: len(parts) - node.level + 1], node.module or ""] if p)
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(found)


def imported_modules(roots: Iterable[str], root: Path | None = None) -> set[str]:
    """Every project module that importing ``roots`` runs (the roots and their parent packages included)."""
    root = root or PROJECT_ROOT
    seen: set[str] = set()
    stack = [n for r in roots for n in (*_parents(r), r)]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        path = module_file(name, root)
        if path is None:
            continue
        seen.add(name)
        stack.extend(_direct_imports(path, name, root) - seen)
    return seen


def _package_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*")
            if p.is_file() and not SKIP_DIRS.intersection(p.relative_to(directory).parts) and p.suffix != ".pyc"]


def _engine_modules(root: Path) -> list[str]:
    engine = root / "render" / "engine"
    return [".".join(p.relative_to(root).with_suffix("").parts) for p in sorted(engine.glob("*.py"))]


def draw_sources(scene_module: str, root: Path | None = None) -> list[Path]:
    """Every file the frames of ``scenes.<scene_module>`` depend on (see the module notes), sorted."""
    root = root or PROJECT_ROOT
    modules = imported_modules([f"scenes.{scene_module}", *_engine_modules(root)], root)
    files = {module_file(m, root) for m in modules}
    for name in modules:
        path = module_file(name, root)
        if name.startswith("scenes.") and path is not None and path.name == "__init__.py":
            files.update(_package_files(path.parent))
    return sorted(p for p in files if p is not None)


def package_sources(root: Path | None = None) -> list[Path]:
    """Every file that turns a draw into the delivered files: all of ``render/``, sorted."""
    return sorted(_package_files((root or PROJECT_ROOT) / "render"))


def digest_files(files: Iterable[Path], root: Path | None = None) -> str:
    """sha256 over each file's path (relative to ``root``) and bytes."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root or PROJECT_ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
