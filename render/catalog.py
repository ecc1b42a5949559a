"""Load and validate ``catalog.yaml`` into frozen dataclasses.

Every problem raises :class:`render.errors.CatalogError` naming the file, the
entry and the field, e.g. ``catalog.yaml: rate-limiting: duration_s: 500 is
outside 30-300 s``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import yaml

import scenes
import sims
from render.errors import CatalogError, UserError
from sims.params import ParamError, resolve_params

__all__ = [
    "CATEGORIES",
    "DEFAULT_CATALOG",
    "Catalog",
    "Explainer",
    "MAX_CATALOG_BYTES",
    "load_catalog",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CATALOG = PROJECT_ROOT / "catalog.yaml"
CATEGORIES = ("System Design", "Distributed Systems", "Streaming", "ML Fundamentals", "Databases")
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MIN_DURATION_S, MAX_DURATION_S = 30, 300
MAX_CATALOG_BYTES = 1_000_000
MAX_TEXT = {"title": 120, "blurb": 300, "hook": 90}
#: A time at the start of a line (``0:00``, ``1:02:03``): what video platforms read as a chapter mark.
LEADING_TIME = re.compile(r"\s*(\d+:)?\d{1,2}:\d{2}(?!\d)")

REQUIRED = {
    "id": str,
    "title": str,
    "category": str,
    "tags": list,
    "duration_s": int,
    "blurb": str,
    "hook": str,
    "seed": int,
    "params": dict,
}
OPTIONAL = {"featured": bool}
TYPE_NAMES = {str: "a string", list: "a list", int: "an integer", dict: "a mapping", bool: "true or false"}


@dataclass(frozen=True)
class Explainer:
    """One validated catalog entry."""

    id: str
    title: str
    category: str
    tags: tuple[str, ...]
    duration_s: int
    blurb: str
    hook: str
    seed: int
    params: Mapping[str, Any]
    featured: bool = False

    def __getstate__(self) -> dict[str, Any]:
        """Picklable (for worker processes): the read-only params view travels as a plain dict."""
        return {**self.__dict__, "params": dict(self.params)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, params=MappingProxyType(dict(state["params"])))

    @property
    def ready(self) -> bool:
        """True when both its simulator (``sims/<module>.py``) and its scene (``scenes/<module>.py``) exist."""
        return sims.has_simulator(self.id) and scenes.has_scene(self.id)

    @property
    def module(self) -> str:
        """The file name (without ``.py``) of its simulator and scene."""
        return sims.module_name(self.id)

    @property
    def fidelity(self) -> str:
        """What its simulator leaves out (empty while it has none)."""
        if not sims.has_simulator(self.id):
            return ""
        simulator(self.id)  # a module that breaks the contract is a one-line error here too
        return sims.fidelity_note(self.id)

    @property
    def status(self) -> str:
        return "ready" if self.ready else "planned"

    def resolved_params(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The simulator's full parameter set: defaults < catalog < ``overrides``."""
        module = simulator(self.id)
        merged = {**self.params, **(overrides or {})}
        return resolve_params(module.PARAMS, merged, getattr(module, "check_params", None))


@dataclass(frozen=True)
class Catalog:
    path: Path
    explainers: tuple[Explainer, ...] = field(default_factory=tuple)

    def __iter__(self):
        return iter(self.explainers)

    def __len__(self) -> int:
        return len(self.explainers)

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.explainers]

    def get(self, explainer_id: str) -> Explainer:
        for explainer in self.explainers:
            if explainer.id == explainer_id:
                return explainer
        raise KeyError(explainer_id)

    @property
    def featured(self) -> Explainer | None:
        return next((e for e in self.explainers if e.featured), self.explainers[0] if self.explainers else None)


def simulator(explainer_id: str) -> Any:
    """The explainer's simulator module; a module that breaks the contract is a one-line user error."""
    try:
        return sims.get_simulator(explainer_id)
    except sims.SimulatorError as exc:
        raise UserError(str(exc)) from None


def _read_text(path: Path) -> str:
    name = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise CatalogError(name, None, None, "file not found") from None
    except OSError as exc:
        raise CatalogError(name, None, None, f"cannot read: {exc.strerror}") from None
    if not path.is_file():
        raise CatalogError(name, None, None, "is not a file")
    if size > MAX_CATALOG_BYTES:
        raise CatalogError(name, None, None, f"file is {size} bytes, more than the {MAX_CATALOG_BYTES} a catalog may be")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogError(name, None, None, f"cannot read: {exc.strerror}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(name, None, None, f"not UTF-8 text (bad byte at offset {exc.start})") from None


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, line: int, first: int) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key, self.line, self.first = key, line, first


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is an error (not the last one wins)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                if key in first_line:
                    raise _DuplicateKey(key, key_node.start_mark.line + 1, first_line[key])
            except TypeError:  # an unhashable key: the base loader says so
                break
            first_line[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _parse_yaml(name: str, text: str) -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKey as exc:
        raise CatalogError(name, f"line {exc.line}", _name(exc.key),
                           f"duplicate key (first given on line {exc.first}; one of them must go)") from None
    except RecursionError:
        raise CatalogError(name, None, None, "invalid YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if isinstance(exc, yaml.constructor.ConstructorError):
            problem = f"YAML tag not allowed ({problem})"
        raise CatalogError(name, where, None, f"invalid YAML: {problem}") from None


def _name(key: Any) -> str:
    """A key the user wrote, as messages show it: bare when plain, else quoted (one line, never empty)."""
    text = str(key)
    return text if text and text.isprintable() and text.strip() == text else repr(text)


def _check_type(name: str, entry: str, key: str, value: Any, expected: type) -> None:
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if not ok:
        raise CatalogError(name, entry, key, f"expected {TYPE_NAMES[expected]}, got {type(value).__name__} {value!r:.60}")


def _validate_entry(name: str, index: int, raw: Any, seen: set[str]) -> Explainer:
    label = f"entry {index + 1}"
    if not isinstance(raw, dict):
        raise CatalogError(name, label, None, f"expected a mapping, got {type(raw).__name__}")
    raw_id = raw.get("id")
    if isinstance(raw_id, str) and raw_id:
        label = raw_id if ID_PATTERN.fullmatch(raw_id) else repr(raw_id)
    for key in raw:
        if key not in REQUIRED and key not in OPTIONAL:
            raise CatalogError(name, label, _name(key), f"unknown field (allowed: {', '.join([*REQUIRED, *OPTIONAL])})")
    for key, expected in REQUIRED.items():
        if key not in raw:
            raise CatalogError(name, label, key, "missing required field")
        _check_type(name, label, key, raw[key], expected)
    for key, expected in OPTIONAL.items():
        if key in raw:
            _check_type(name, label, key, raw[key], expected)

    explainer_id = raw["id"]
    if not ID_PATTERN.fullmatch(explainer_id) or len(explainer_id) > 64:
        raise CatalogError(name, label, "id", "must be lowercase letters, digits and single hyphens ([a-z0-9-]+)")
    if explainer_id in seen:
        raise CatalogError(name, label, "id", "duplicate id")
    for key, limit in MAX_TEXT.items():
        text = raw[key]
        if not text.strip():
            raise CatalogError(name, label, key, "must not be empty")
        if len(text) > limit:
            raise CatalogError(name, label, key, f"is {len(text)} characters, more than {limit}")
    if LEADING_TIME.match(raw["blurb"]):
        raise CatalogError(name, label, "blurb", "must not begin with a time such as 0:00 (it heads the upload "
                                                 "description, where video platforms would read it as a chapter)")
    if raw["category"] not in CATEGORIES:
        raise CatalogError(name, label, "category", f"unknown category {raw['category']!r} (allowed: {', '.join(CATEGORIES)})")
    tags = raw["tags"]
    if not tags:
        raise CatalogError(name, label, "tags", "needs at least one tag")
    for i, tag in enumerate(tags):
        if not isinstance(tag, str) or not tag.strip() or len(tag) > 40:
            raise CatalogError(name, label, f"tags[{i}]", f"expected a non-empty string of at most 40 characters, got {tag!r:.60}")
    duration = raw["duration_s"]
    if not MIN_DURATION_S <= duration <= MAX_DURATION_S:
        raise CatalogError(name, label, "duration_s", f"{duration} is outside {MIN_DURATION_S}-{MAX_DURATION_S} s")
    if not 0 <= raw["seed"] < 2**32:
        raise CatalogError(name, label, "seed", f"{raw['seed']} is outside 0..2**32-1")
    params = raw["params"]
    for key in params:
        if not isinstance(key, str):
            raise CatalogError(name, label, "params", f"parameter names must be strings, got {key!r}")

    explainer = Explainer(
        id=explainer_id,
        title=raw["title"],
        category=raw["category"],
        tags=tuple(tags),
        duration_s=duration,
        blurb=raw["blurb"],
        hook=raw["hook"],
        seed=raw["seed"],
        params=MappingProxyType(dict(params)),
        featured=raw.get("featured", False),
    )
    if sims.has_simulator(explainer_id):
        try:
            explainer.resolved_params()
        except ParamError as exc:
            raise CatalogError(name, label, f"params.{_name(exc.field)}", exc.message) from None
    return explainer


def load_catalog(path: str | os.PathLike[str] | None = None) -> Catalog:
    """Read, parse and validate a catalog file (default: the project's ``catalog.yaml``)."""
    path = Path(path) if path is not None else Path(os.environ.get("EXPLAINERS_CATALOG") or DEFAULT_CATALOG)
    name = str(path)
    data = _parse_yaml(name, _read_text(path))
    if data is None:
        raise CatalogError(name, None, None, "file is empty")
    if not isinstance(data, dict):
        raise CatalogError(name, None, None, f"expected a mapping with an 'explainers' list, got {type(data).__name__}")
    for key in data:
        if key != "explainers":
            raise CatalogError(name, None, _name(key), "unknown top-level field (allowed: explainers)")
    entries = data.get("explainers")
    if not isinstance(entries, list) or not entries:
        raise CatalogError(name, None, "explainers", "expected a non-empty list of entries")
    seen: set[str] = set()
    explainers = []
    for index, raw in enumerate(entries):
        explainer = _validate_entry(name, index, raw, seen)
        seen.add(explainer.id)
        explainers.append(explainer)
    featured = [e.id for e in explainers if e.featured]
    if len(featured) > 1:
        raise CatalogError(name, featured[1], "featured", f"only one explainer may be featured ({featured[0]} already is)")
    return Catalog(path=path, explainers=tuple(explainers))
