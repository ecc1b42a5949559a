"""The render pipeline: plan → simulate → render → post-process, in parallel, skipping what is up to date.

Each stage is a plain function over explicit settings. A render job runs in
its own process (one Manim config per process), with its own temporary media
directory, so parallel renders never collide.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import scenes
import sims
from render import captions as cap
from render.catalog import PROJECT_ROOT, Catalog, Explainer
from render.errors import RenderError
from render.fsio import sha256_file, write_text
from sims.trace import Trace

__all__ = [
    "QUALITIES",
    "Quality",
    "RenderOutcome",
    "RenderSettings",
    "content_hash",
    "make_trace",
    "metadata_path",
    "plan",
    "render_many",
    "render_one",
]


@dataclass(frozen=True)
class Quality:
    name: str
    width: int
    height: int
    fps: int


QUALITIES: dict[str, Quality] = {
    "preview": Quality("preview", 854, 480, 15),
    "720p": Quality("720p", 1280, 720, 30),
    "1080p": Quality("1080p", 1920, 1080, 60),
    "4k": Quality("4k", 3840, 2160, 60),
}


@dataclass(frozen=True)
class RenderSettings:
    """Everything a render job needs besides its explainer; picklable for worker processes."""

    out_dir: Path
    quality: str = "1080p"
    seed: int | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    force: bool = False
    catalog_path: Path | None = None

    @property
    def q(self) -> Quality:
        return QUALITIES[self.quality]


@dataclass(frozen=True)
class RenderOutcome:
    id: str
    status: str  # rendered | skipped | planned | failed
    seconds: float = 0.0
    duration_s: float = 0.0
    message: str = ""


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "explainers"


def metadata_path(out_dir: Path, explainer_id: str) -> Path:
    return Path(out_dir) / f"{explainer_id}.json"


def make_trace(explainer: Explainer, seed: int | None = None, overrides: Mapping[str, Any] | None = None) -> Trace:
    """Run the explainer's simulator with the catalog's params (and any overrides)."""
    module = sims.get_simulator(explainer.id)
    params = explainer.resolved_params(overrides)
    return module.simulate(explainer.seed if seed is None else seed, **params)


def _source_digest(explainer_id: str) -> str:
    """Hash of the scene module, the whole kit and the post-processing code."""
    module_name = scenes.SCENES[explainer_id].partition(":")[0]
    files = [PROJECT_ROOT / (module_name.replace(".", "/") + ".py")]
    files += sorted((PROJECT_ROOT / "scenes" / "kit").glob("*.py"))
    files += [PROJECT_ROOT / "render" / name for name in ("postprocess.py", "encoder.py", "captions.py", "pipeline.py")]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def content_hash(explainer: Explainer, trace_json: str, settings: RenderSettings) -> str:
    """What an output depends on: trace, scene and kit source, quality, Manim version, metadata."""
    from importlib.metadata import version

    from render.postprocess import POSTPROCESS_VERSION, encoder_options

    parts = {
        "trace": hashlib.sha256(trace_json.encode()).hexdigest(),
        "source": _source_digest(explainer.id),
        "quality": asdict(settings.q),
        "manim": version("manim"),
        "av": version("av"),
        "postprocess": POSTPROCESS_VERSION,
        "encoder": encoder_options(settings.q.fps, settings.q.width, settings.q.height),
        "meta": [explainer.title, explainer.hook, explainer.blurb, explainer.category, list(explainer.tags),
                 explainer.duration_s],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def is_up_to_date(out_dir: Path, explainer_id: str, digest: str) -> bool:
    meta_file = metadata_path(out_dir, explainer_id)
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if meta.get("render_hash") != digest:
        return False
    for name, info in meta.get("files", {}).items():
        path = Path(out_dir) / name
        if not path.is_file() or path.stat().st_size != info.get("bytes"):
            return False
    return True


def _manim_config(settings: RenderSettings, media_dir: Path, explainer_id: str) -> dict[str, Any]:
    from render.postprocess import encoder_options

    q = settings.q
    return {
        "media_dir": str(media_dir),
        "pixel_width": q.width,
        "pixel_height": q.height,
        "frame_rate": q.fps,
        "output_file": explainer_id,
        "disable_caching": True,
        "verbosity": "ERROR",
        "progress_bar": "none",
        "write_to_movie": True,
        "format": "mp4",
        "video_encoder_options": encoder_options(q.fps, q.width, q.height),
    }


def draw(explainer: Explainer, trace: dict[str, Any], settings: RenderSettings, media_dir: Path):
    """Render the explainer's scene into ``media_dir``; return (raw mp4 path, scene)."""
    from manim import tempconfig
    from manim.renderer.cairo_renderer import CairoRenderer

    from render.encoder import DeliveryFileWriter

    scene_cls = scenes.get_scene_class(explainer.id)
    meta = {"id": explainer.id, "title": explainer.title, "hook": explainer.hook, "category": explainer.category}
    with tempconfig(_manim_config(settings, media_dir, explainer.id)):
        scene = scene_cls(trace=trace, meta=meta, renderer=CairoRenderer(file_writer_class=DeliveryFileWriter))
        scene.render()
        raw = Path(scene.output_plan.primary_artifact)
    return raw, scene


def render_one(explainer: Explainer, settings: RenderSettings) -> RenderOutcome:
    """Simulate, draw, post-process and write one explainer's outputs (atomically)."""
    from render import postprocess

    started = time.monotonic()
    if not explainer.ready:
        return RenderOutcome(explainer.id, "planned", message="simulator or scene not written yet")
    trace_obj = make_trace(explainer, settings.seed, settings.overrides)
    trace_json = trace_obj.to_json()
    digest = content_hash(explainer, trace_json, settings)
    out_dir = Path(settings.out_dir)
    if not settings.force and is_up_to_date(out_dir, explainer.id, digest):
        return RenderOutcome(explainer.id, "skipped", time.monotonic() - started, message="up to date")

    cache = cache_root()
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{explainer.id}-", dir=cache) as media:
        raw, scene = draw(explainer, json.loads(trace_json), settings, Path(media))
        cues, chapters = list(scene.cues), list(scene.chapters)
        poster_at = float(getattr(scene, "poster_time", 0.0) or (chapters[1].start + 5.0 if len(chapters) > 1 else 1.0))
        mp4 = out_dir / f"{explainer.id}.mp4"
        postprocess.remux_for_delivery(raw, mp4, title=explainer.title, comment=explainer.blurb, chapters=chapters)
    info = postprocess.probe(mp4)
    problems = cap.caption_problems(cues, info.duration_s)
    if problems:
        raise RenderError(f"{explainer.id}: captions: {problems[0]}")
    write_text(out_dir / f"{explainer.id}.vtt", cap.to_vtt(cues))
    write_text(out_dir / f"{explainer.id}.srt", cap.to_srt(cues))
    write_text(out_dir / f"{explainer.id}.chapters.vtt", cap.to_chapters_vtt(chapters))
    poster_at = min(poster_at, info.duration_s - 0.5)
    postprocess.save_poster(mp4, out_dir / f"{explainer.id}.jpg", poster_at)
    files = {}
    for suffix in (".mp4", ".vtt", ".srt", ".chapters.vtt", ".jpg"):
        path = out_dir / f"{explainer.id}{suffix}"
        files[path.name] = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
    meta = {
        "id": explainer.id,
        "title": explainer.title,
        "blurb": explainer.blurb,
        "hook": explainer.hook,
        "category": explainer.category,
        "tags": list(explainer.tags),
        "target_duration_s": explainer.duration_s,
        "duration_s": round(info.duration_s, 3),
        "quality": settings.quality,
        "width": info.width,
        "height": info.height,
        "fps": info.fps,
        "seed": trace_obj.seed,
        "params": trace_obj.params,
        "trace_sha256": hashlib.sha256(trace_json.encode()).hexdigest(),
        "chapters": [c.to_dict() for c in chapters],
        "captions": [c.to_dict() for c in cues],
        "transcript": " ".join(c.text for c in cues),
        "upload_description": cap.upload_description(explainer.blurb, chapters, explainer.tags),
        "poster_s": round(poster_at, 3),
        "delivery": info.summary(),
        "files": files,
        "render_hash": digest,
        "render_seconds": round(time.monotonic() - started, 2),
    }
    write_text(metadata_path(out_dir, explainer.id), json.dumps(meta, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    return RenderOutcome(explainer.id, "rendered", time.monotonic() - started, info.duration_s)


def _worker(explainer: Explainer, settings: RenderSettings) -> RenderOutcome:
    try:
        return render_one(explainer, settings)
    except Exception as exc:  # reported per explainer; the run goes on with the others
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return RenderOutcome(explainer.id, "failed", message=first)


def plan(catalog: Catalog, ids: list[str]) -> list[Explainer]:
    return [catalog.get(i) for i in ids]


def render_many(
    explainers: list[Explainer],
    settings: RenderSettings,
    jobs: int,
    on_event: Callable[[str, str, RenderOutcome | None], None] | None = None,
) -> list[RenderOutcome]:
    """Render each explainer, ``jobs`` at a time; report ``(id, event, outcome)`` as they go."""
    notify = on_event or (lambda *_: None)
    outcomes: dict[str, RenderOutcome] = {}
    todo = []
    for e in explainers:
        if e.ready:
            todo.append(e)
        else:
            outcomes[e.id] = RenderOutcome(e.id, "planned", message="simulator or scene not written yet")
            notify(e.id, "done", outcomes[e.id])
    if jobs <= 1 or len(todo) <= 1:
        for e in todo:
            notify(e.id, "start", None)
            outcomes[e.id] = _worker(e, settings)
            notify(e.id, "done", outcomes[e.id])
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            pending = {}
            for e in todo:
                pending[pool.submit(_worker, e, settings)] = e.id
                notify(e.id, "start", None)
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    explainer_id = pending.pop(future)
                    try:
                        outcomes[explainer_id] = future.result()
                    except Exception as exc:  # a worker process died
                        outcomes[explainer_id] = RenderOutcome(explainer_id, "failed", message=f"worker died: {exc}")
                    notify(explainer_id, "done", outcomes[explainer_id])
    return [outcomes[e.id] for e in explainers]
