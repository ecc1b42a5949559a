"""Writing course packages (``explainers package``): SCORM 1.2 zips of what is rendered in an out directory."""

from __future__ import annotations

from pathlib import Path

from render.build.plan import damaged_outputs, read_metadata
from render.catalog import Catalog, Explainer
from render.delivery.course import PASS_MARK, Unit, write_package
from render.errors import UserError
from render.fsio import staged

__all__ = ["COURSE_ZIP", "package_units", "unit_of"]

COURSE_ZIP = "course.scorm12.zip"


def unit_of(out_dir: Path, explainer: Explainer) -> Unit:
    """The explainer's rendered files in ``out_dir`` as a SCO, or a one-line error saying what is missing."""
    meta = read_metadata(out_dir, explainer.id)
    if meta is None or not (Path(out_dir) / f"{explainer.id}.mp4").is_file():
        raise UserError(f"{Path(out_dir) / (explainer.id + '.mp4')}: not rendered yet "
                        f"(run 'explainers render {explainer.id} --out {out_dir}')")
    damaged = damaged_outputs(out_dir, meta)
    if damaged:
        raise UserError(f"{Path(out_dir) / damaged[0]}: missing or not the file its metadata records "
                        f"(render {explainer.id} again)")
    return Unit(meta, Path(out_dir))


def package_units(catalog: Catalog, explainers: list[Explainer], out_dir: Path, *, course: bool,
                  pass_mark: int = PASS_MARK) -> list[Path]:
    """Write ``<id>.scorm12.zip`` for each explainer and, with ``course``, ``course.scorm12.zip`` of all of
    them grouped by category in catalog order; all written atomically together. Returns the zips' paths."""
    units = {e.id: unit_of(out_dir, e) for e in explainers}
    written = []
    with staged() as stage:
        for e in explainers:
            target = Path(out_dir) / f"{e.id}.scorm12.zip"
            write_package(stage.path(target), e.title, [("", [units[e.id]])], pass_mark=pass_mark)
            written.append(target)
        if course:
            groups: dict[str, list[Unit]] = {}
            for e in catalog:  # catalog order, categories in order of first appearance
                if e.id in units:
                    groups.setdefault(e.category, []).append(units[e.id])
            target = Path(out_dir) / COURSE_ZIP
            write_package(stage.path(target), "Explainers", list(groups.items()), pass_mark=pass_mark)
            written.append(target)
    return written
