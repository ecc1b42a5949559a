"""The render pipeline: plan → simulate → render → post-process, in parallel, skipping what is up to date.

Each stage is a plain function over explicit settings. A render job runs in
its own process (one Manim config per process), with its own temporary media
directory, so parallel renders never collide.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import scenes
import sims
from render import captions as cap
from render.catalog import PROJECT_ROOT, Catalog, Explainer
from render.errors import RenderError
from render.fsio import checkpoint, sha256_file, staged, write_text
from render.lock import sweep_work_dirs, work_dir
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
    #: processes drawing this one explainer (render/drawparts.py); the output is the same for any number
    draw_parts: int = 1

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
    files += [PROJECT_ROOT / "render" / name for name in ("postprocess.py", "encoder.py", "speedups.py", "captions.py",
                                                           "pipeline.py", "drawparts.py")]
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
        # Two segments may still be encoding while the next is drawn. Each has its own single-threaded
        # encoder, so the bytes do not depend on timing (see encoder_options).
        "max_inflight_encoders": 2,
    }


def scene_meta(explainer: Explainer) -> dict[str, str]:
    """What a scene is told about its explainer (for its title card)."""
    return {"id": explainer.id, "title": explainer.title, "hook": explainer.hook, "category": explainer.category}


def run_scene(explainer: Explainer, trace: dict[str, Any], settings: RenderSettings, media_dir: Path,
              renderer_class: Any = None, **renderer_kwargs: Any) -> Any:
    """Run the explainer's scene with Manim into ``media_dir``, with our speed-ups; return the scene.

    ``renderer_class`` defaults to Manim's CairoRenderer writing through
    :class:`~render.encoder.DeliveryFileWriter`; ``renderer_kwargs`` go to it.
    """
    from manim import tempconfig
    from manim.renderer.cairo_renderer import CairoRenderer

    from render import speedups
    from render.encoder import DeliveryFileWriter

    scene_cls = scenes.get_scene_class(explainer.id)
    speedups.install(text_cache=cache_root() / "text")
    renderer_kwargs.setdefault("file_writer_class", DeliveryFileWriter)
    with tempconfig(_manim_config(settings, media_dir, explainer.id)):
        renderer = (renderer_class or CairoRenderer)(camera_class=speedups.PathCachingCamera, **renderer_kwargs)
        scene = scene_cls(trace=trace, meta=scene_meta(explainer), renderer=renderer)
        scene.render()
    return scene


def draw(explainer: Explainer, trace: dict[str, Any], settings: RenderSettings, media_dir: Path):
    """Render the explainer's scene into ``media_dir``; return (raw mp4 path, scene).

    With ``settings.draw_parts`` > 1 the drawing is shared by that many processes
    (:mod:`render.drawparts`); the raw video is the same either way.
    """
    if settings.draw_parts > 1:
        from render.drawparts import draw_in_parts

        return draw_in_parts(explainer, trace, settings, media_dir)
    scene = run_scene(explainer, trace, settings, media_dir)
    return Path(scene.output_plan.primary_artifact), scene


DRAWN = "drawn.json"  #: in a work directory: a finished draw, for a rerun to resume from


@dataclass(frozen=True)
class Drawn:
    """What post-processing needs from a finished draw (saved so that a killed run can resume after it)."""

    raw: Path
    cues: list[cap.Cue]
    chapters: list[cap.Chapter]
    poster_at: float


def _save_drawn(media: Path, digest: str, raw: Path, scene: Any) -> Drawn:
    cues, chapters = list(scene.cues), list(scene.chapters)
    poster_at = float(getattr(scene, "poster_time", 0.0) or (chapters[1].start + 5.0 if len(chapters) > 1 else 1.0))
    data = {"digest": digest, "raw": str(Path(raw).relative_to(media)), "poster_at": poster_at,
            "cues": [asdict(c) for c in cues], "chapters": [asdict(c) for c in chapters]}
    write_text(media / DRAWN, json.dumps(data, sort_keys=True))  # floats round-trip exactly
    return Drawn(Path(raw), cues, chapters, poster_at)


def _load_drawn(media: Path, digest: str) -> Drawn | None:
    """The finished draw a killed run left in ``media`` for this exact ``digest``, if any."""
    try:
        data = json.loads((media / DRAWN).read_text(encoding="utf-8"))
        raw = media / data["raw"]
        if data["digest"] != digest or not raw.is_file():
            return None
        return Drawn(raw, [cap.Cue(**c) for c in data["cues"]], [cap.Chapter(**c) for c in data["chapters"]],
                     float(data["poster_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _work_name(explainer_id: str, digest: str, out_dir: Path) -> str:
    """The work directory of one render: the same for a rerun of it, so that the rerun can resume."""
    key = hashlib.sha256(f"{digest} {Path(out_dir).resolve()}".encode()).hexdigest()[:12]
    return f"{explainer_id}-{key}"


def render_one(explainer: Explainer, settings: RenderSettings) -> RenderOutcome:
    """Simulate, draw, post-process and write one explainer's outputs (all together, atomically).

    The outputs are staged beside their targets and renamed into place together
    at the end: a run that fails or is killed leaves the previous outputs (a
    killed run may leave temporary files, which the next run sweeps). A
    finished draw is kept in the work directory until the outputs are in place,
    so a run killed during post-processing resumes from it.
    """
    started = time.monotonic()
    if not explainer.ready:
        return RenderOutcome(explainer.id, "planned", message="simulator or scene not written yet")
    trace_obj = make_trace(explainer, settings.seed, settings.overrides)
    checkpoint("simulate", explainer.id)
    trace_json = trace_obj.to_json()
    digest = content_hash(explainer, trace_json, settings)
    out_dir = Path(settings.out_dir)
    if not settings.force and is_up_to_date(out_dir, explainer.id, digest):
        return RenderOutcome(explainer.id, "skipped", time.monotonic() - started, message="up to date")

    cache = cache_root()
    cache.mkdir(parents=True, exist_ok=True)
    sweep_work_dirs(cache, resumable_marker=DRAWN)
    with work_dir(cache, _work_name(explainer.id, digest, out_dir)) as work:
        drawn = None if settings.force else _load_drawn(work.path, digest)
        if drawn is None:
            work.clear()
            checkpoint("draw", explainer.id)
            raw, scene = draw(explainer, json.loads(trace_json), settings, work.path)
            drawn = _save_drawn(work.path, digest, raw, scene)
            work.resumable = True
        checkpoint("encode", explainer.id)
        try:
            info = _write_outputs(explainer, settings, drawn, trace_obj, trace_json, digest)
        except OSError as exc:  # the draw stays for the rerun (after freeing space, say) to resume from
            reason = exc.strerror or str(exc)
            raise RenderError(f"could not write its outputs to {out_dir} ({reason}); "
                              f"the previous outputs were left in place") from None
        except Exception:
            work.resumable = False  # a rerun would fail the same way: do not keep the draw
            raise
    return RenderOutcome(explainer.id, "rendered", time.monotonic() - started, info.duration_s)


def _write_outputs(explainer: Explainer, settings: RenderSettings, drawn: Drawn, trace_obj: Trace, trace_json: str,
                   digest: str):
    """Post-process a finished draw into OUT/<id>.mp4 .vtt .srt .chapters.vtt .jpg .json, all or none."""
    from render import postprocess

    out_dir = Path(settings.out_dir)
    target = {suffix: out_dir / f"{explainer.id}{suffix}" for suffix in (".mp4", ".vtt", ".srt", ".chapters.vtt",
                                                                         ".jpg", ".json")}
    cues, chapters = drawn.cues, drawn.chapters
    with staged() as stage:
        temp = {suffix: stage.path(path) for suffix, path in target.items()}
        postprocess.remux_for_delivery(drawn.raw, temp[".mp4"], title=explainer.title, comment=explainer.blurb,
                                       chapters=chapters)
        checkpoint("postprocess", explainer.id)
        info = postprocess.probe(temp[".mp4"])
        problems = cap.caption_problems(cues, info.duration_s)
        if problems:
            raise RenderError(f"{explainer.id}: captions: {problems[0]}")
        temp[".vtt"].write_bytes(cap.to_vtt(cues).encode("utf-8"))
        temp[".srt"].write_bytes(cap.to_srt(cues).encode("utf-8"))
        temp[".chapters.vtt"].write_bytes(cap.to_chapters_vtt(chapters).encode("utf-8"))
        poster_at = min(drawn.poster_at, info.duration_s - 0.5)
        postprocess.save_poster(temp[".mp4"], temp[".jpg"], poster_at)
        files = {target[suffix].name: {"bytes": temp[suffix].stat().st_size, "sha256": sha256_file(temp[suffix])}
                 for suffix in (".mp4", ".vtt", ".srt", ".chapters.vtt", ".jpg")}
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
        }
        text = json.dumps(meta, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        temp[".json"].write_bytes(text.encode("utf-8"))
    return info


def _worker(explainer: Explainer, settings: RenderSettings) -> RenderOutcome:
    try:
        return render_one(explainer, settings)
    except Exception as exc:  # reported per explainer; the run goes on with the others
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return RenderOutcome(explainer.id, "failed", message=first)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM kills outright
    raise SystemExit(128 + signum)  # unwinds render_one: staged files and the unfinished work dir go


def _worker_signals() -> None:
    """Pool worker initializer: Ctrl-C is for the parent to handle; SIGTERM (its way to stop us) cleans up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)


def _stop_workers(pool: ProcessPoolExecutor, timeout: float = 30.0) -> None:
    """Stop a pool's workers now (on Ctrl-C): cancel what has not started, SIGTERM what runs, wait for them."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()


def plan(catalog: Catalog, ids: list[str]) -> list[Explainer]:
    return [catalog.get(i) for i in ids]


def render_many(
    explainers: list[Explainer],
    settings: RenderSettings,
    jobs: int | None = None,
    on_event: Callable[[str, str, RenderOutcome | None], None] | None = None,
    *,
    executor: str = "local",
    scheduler: str | None = None,
) -> list[RenderOutcome]:
    """Render each explainer, ``jobs`` at a time; report ``(id, event, outcome)`` as they go.

    What is planned or up to date is settled here, before any worker starts; the
    rest runs one task per explainer on ``executor``: ``local`` (a process pool)
    or ``dask`` (the Dask cluster at ``scheduler``). See :mod:`render.executors`.
    """
    from render.executors import render_all

    return render_all(explainers, settings, jobs, on_event, executor=executor, scheduler=scheduler)
