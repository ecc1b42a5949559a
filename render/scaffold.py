"""``explainers new ID``: the three files of a new explainer and its catalog entry, from working skeletons.

The skeletons (``render/templates/``) pass their own tests and the shared suite
as written: a seeded counter, a scene that shows it in three chapters and lasts
the catalog's target, and property tests of its invariants. An author replaces
the model and the beats and keeps the shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from render.catalog import CATEGORIES, ID_PATTERN, MAX_DURATION_S, MIN_DURATION_S, PROJECT_ROOT, Catalog
from render.errors import UserError
from render.fsio import staged

__all__ = ["NewExplainer", "new_explainer"]


@dataclass(frozen=True)
class NewExplainer:
    """What ``new`` wrote: the three files and the catalog it added the entry to."""

    files: tuple[Path, ...]
    catalog: Path


def _template(name: str) -> Template:
    return Template(resources.files("render").joinpath("templates", name).read_text(encoding="utf-8"))


def _entry(explainer_id: str, title: str, category: str, duration_s: int) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return (f"\n  - id: {explainer_id}\n    title: {quoted(title)}\n    category: {category}\n"
            f"    tags: [{quoted(title)}]\n    duration_s: {duration_s}\n"
            f"    blurb: \"TODO: what the viewer sees move, and the tradeoff it lands on.\"\n"
            f"    hook: \"TODO: one line for the title card\"\n    seed: 7\n    params: {{}}\n")


def new_explainer(catalog: Catalog, explainer_id: str, *, title: str, category: str, duration_s: int,
                  root: Path = PROJECT_ROOT) -> NewExplainer:
    """Write ``sims/<module>.py``, ``scenes/<module>.py``, ``tests/test_sims_<module>.py`` and a catalog entry.

    Refuses (:class:`UserError`, nothing written) an id that is malformed or already in the catalog,
    and any file that already exists.
    """
    where = f"{catalog.path}: {explainer_id}"
    if not ID_PATTERN.fullmatch(explainer_id) or len(explainer_id) > 64:
        raise UserError(f"{where}: id: must be lowercase letters, digits and single hyphens ([a-z0-9-]+)")
    if explainer_id in catalog.ids:
        raise UserError(f"{where}: id: is already in the catalog")
    if category not in CATEGORIES:
        raise UserError(f"{where}: category: unknown category {category!r} (allowed: {', '.join(CATEGORIES)})")
    if not MIN_DURATION_S <= duration_s <= MAX_DURATION_S:
        raise UserError(f"{where}: duration_s: {duration_s} is outside {MIN_DURATION_S}-{MAX_DURATION_S} s")
    if not title.strip() or "\n" in title:
        raise UserError(f"{where}: title: must be one non-empty line")
    module = explainer_id.replace("-", "_")
    words = {"id": explainer_id, "module": module, "title": title.strip(),
             "Class": "".join(part.capitalize() for part in explainer_id.split("-"))}
    targets = {root / "sims" / f"{module}.py": "sim.py.tmpl", root / "scenes" / f"{module}.py": "scene.py.tmpl",
               root / "tests" / f"test_sims_{module}.py": "test_sims.py.tmpl"}
    for path in targets:
        if path.exists():
            raise UserError(f"{path}: already exists (remove it, or pick another id)")
    texts = {path: _template(name).substitute(words) for path, name in targets.items()}
    catalog_text = Path(catalog.path).read_text(encoding="utf-8")
    texts[Path(catalog.path)] = catalog_text.rstrip("\n") + "\n" + _entry(explainer_id, title.strip(), category,
                                                                          duration_s)
    with staged() as stage:  # all four or none
        for path, text in texts.items():
            stage.path(path).write_text(text, encoding="utf-8")
    return NewExplainer(tuple(targets), Path(catalog.path))
