"""Planning a render: the trace, the two content hashes, and what is already up to date.

An output depends on two things, hashed separately:

* what is **drawn** into the frames (:func:`draw_hash`): the trace, the scene and
  kit and engine sources (:func:`render.build.sources.draw_sources`), the quality,
  the encoder settings, the versions of Manim, ManimPango and PyAV, the installed
  fonts (Pango falls back to any of them), the catalog fields the frames show
  (title, hook, category, target length) and whether the captions are drawn;
* what is only **packaged** around the frames (:func:`content_hash`, the
  ``render_hash`` in ``<id>.json``): the draw hash, every file under ``render/``,
  and the catalog fields that are not drawn (blurb, tags).

Up to date means the content hash matches and every delivered file is the one
recorded, byte for byte (:func:`damaged_outputs`). When only the packaging
changed, or a sidecar file was damaged, the video is re-packaged from the
delivered MP4 instead of drawn again (see :mod:`render.build.job`).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable, Mapping

import sims
from render.build.settings import RenderOutcome, RenderSettings
from render.build.sources import digest_files, draw_sources, package_sources
from render.catalog import Explainer
from render.delivery.encoding import POSTPROCESS_VERSION, encoder_options
from render.delivery.files import metadata_path
from render.fonts import font_set_fingerprint
from render.fsio import checkpoint, sha256_file
from sims.trace import Trace

__all__ = [
    "Task",
    "content_hash",
    "damaged_outputs",
    "draw_hash",
    "first_line",
    "is_up_to_date",
    "make_trace",
    "plan_tasks",
    "planned_digest",
    "read_metadata",
]

Notify = Callable[[str, str, "RenderOutcome | None"], None]


@dataclass(frozen=True)
class Task:
    """One explainer to render, with the content hash the caller planned it under (None: not checked)."""

    explainer: Explainer
    digest: str | None = None


def first_line(exc: BaseException) -> str:
    """An exception as one line: its message's first line, or its type's name."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def make_trace(explainer: Explainer, seed: int | None = None, overrides: Mapping[str, Any] | None = None) -> Trace:
    """Run the explainer's simulator with the catalog's params (and any overrides)."""
    module = sims.get_simulator(explainer.id)
    params = explainer.resolved_params(overrides)
    return module.simulate(explainer.seed if seed is None else seed, **params)


def draw_hash(explainer: Explainer, trace_json: str, settings: RenderSettings) -> str:
    """What the frames depend on (see the module notes)."""
    q = settings.q
    parts = {
        "trace": hashlib.sha256(trace_json.encode()).hexdigest(),
        "sources": digest_files(draw_sources(sims.module_name(explainer.id))),
        "quality": asdict(q),
        "encoder": encoder_options(q.fps, q.width, q.height),
        "versions": [version("manim"), version("manimpango"), version("av")],
        "fonts": font_set_fingerprint(),
        "drawn": [explainer.title, explainer.hook, explainer.category, explainer.duration_s, settings.captions],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def content_hash(explainer: Explainer, trace_json: str, settings: RenderSettings) -> str:
    """What the delivered files depend on: the draw hash and everything only packaged around it."""
    parts = {
        "draw": draw_hash(explainer, trace_json, settings),
        "sources": digest_files(package_sources()),
        "postprocess": POSTPROCESS_VERSION,
        "packaged": [explainer.blurb, list(explainer.tags)],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def read_metadata(out_dir: Path, explainer_id: str) -> dict[str, Any] | None:
    """``OUT/<id>.json`` as data, or None if it is missing or unreadable."""
    try:
        meta = json.loads(metadata_path(out_dir, explainer_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def damaged_outputs(out_dir: Path, meta: Mapping[str, Any]) -> list[str]:
    """The delivered files (by name) that are missing or differ from their recorded size and sha256."""
    files = meta.get("files")
    if not isinstance(files, dict) or not files:
        return ["(no files recorded)"]
    damaged = []
    for name, info in sorted(files.items()):
        path = Path(out_dir) / name
        try:
            ok = (isinstance(info, dict) and path.is_file() and path.stat().st_size == info.get("bytes")
                  and sha256_file(path) == info.get("sha256"))
        except OSError:
            ok = False
        if not ok:
            damaged.append(name)
    return damaged


def is_up_to_date(out_dir: Path, explainer_id: str, digest: str) -> bool:
    """The outputs carry ``digest`` and every delivered file is the one recorded."""
    meta = read_metadata(out_dir, explainer_id)
    return meta is not None and meta.get("render_hash") == digest and not damaged_outputs(out_dir, meta)


def planned_digest(explainer: Explainer, settings: RenderSettings) -> str:
    """The content hash an explainer's outputs would carry with these settings (one simulation)."""
    trace_json = make_trace(explainer, settings.seed, settings.overrides).to_json()
    return content_hash(explainer, trace_json, settings)


def plan_tasks(explainers: list[Explainer], settings: RenderSettings, *, need_digest: bool = False,
               notify: Notify | None = None) -> tuple[dict[str, RenderOutcome], list[Task]]:
    """Split ``explainers`` into finished outcomes (planned, up to date, failed to plan) and tasks to render."""
    notify = notify or (lambda *_: None)
    done: dict[str, RenderOutcome] = {}
    tasks: list[Task] = []
    for e in explainers:
        started = time.monotonic()
        if not e.ready:
            done[e.id] = RenderOutcome(e.id, "planned", message="simulator or scene not written yet")
        elif settings.force and not need_digest:
            tasks.append(Task(e))
            continue
        else:
            try:
                digest = planned_digest(e, settings)
                checkpoint("simulate", e.id)
            except Exception as exc:  # reported per explainer, like a failed render
                done[e.id] = RenderOutcome(e.id, "failed", message=first_line(exc))
            else:
                if not settings.force and is_up_to_date(Path(settings.out_dir), e.id, digest):
                    done[e.id] = RenderOutcome(e.id, "skipped", time.monotonic() - started, message="up to date")
                else:
                    tasks.append(Task(e, digest))
                    continue
        notify(e.id, "done", done[e.id])
    return done, tasks
