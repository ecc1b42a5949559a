"""One explainer's render: simulate, draw (or reuse a draw), package, write every output atomically.

:func:`render_one` runs in whatever process renders the explainer (a pool
worker, a Dask worker, or the caller). Its stages are plain functions:

1. simulate and hash (:mod:`render.build.plan`);
2. draw with Manim into a work directory of its own under the cache
   (:mod:`render.engine.draw`), unless a draw of the same frames can be reused:
   one a killed run left in its work directory (kept until the outputs are in
   place), or the delivered MP4 itself when only the packaging changed;
3. package (:mod:`render.delivery`): remux, captions, chapters, poster, probe,
   metadata, staged beside their targets and renamed into place together.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

from render.build.cache import cache_root
from render.build.lock import sweep_work_dirs, work_dir
from render.build.plan import content_hash, damaged_outputs, draw_hash, first_line, make_trace, read_metadata
from render.build.settings import RenderOutcome, RenderSettings
from render.catalog import Explainer
from render.delivery import captionfiles, frames, remux
from render.delivery.files import MEDIA_SUFFIXES, output_paths
from render.delivery.probe import probe
from render.errors import RenderError
from render.fsio import TEMP_MARK, checkpoint, sha256_file, staged, write_text
from scenes.captions import Chapter, Checkpoint, Cue, caption_problems, chapter_problems
from sims.trace import Trace

__all__ = ["DRAWN", "Drawn", "render_one", "render_quietly", "work_name"]

DRAWN = "drawn.json"  #: in a work directory: a finished draw, for a rerun to resume from
DURATION_TOLERANCE = 0.10  #: rendered length vs the catalog's target


@dataclass(frozen=True)
class Drawn:
    """What packaging needs from a finished draw (kept so that a killed or re-packaged run can reuse it)."""

    raw: Path
    cues: list[Cue]
    chapters: list[Chapter]
    poster_at: float
    checkpoints: list[Checkpoint]

    def record(self) -> dict[str, Any]:
        """Everything but the video, as exact JSON data (floats round-trip)."""
        return {"poster_at": self.poster_at, "cues": [asdict(c) for c in self.cues],
                "chapters": [asdict(c) for c in self.chapters],
                "checkpoints": [asdict(c) for c in self.checkpoints]}

    @classmethod
    def from_record(cls, raw: Path, data: Mapping[str, Any]) -> "Drawn":
        checkpoints = [Checkpoint(**{**c, "choices": tuple(c["choices"])}) for c in data["checkpoints"]]
        return cls(Path(raw), [Cue(**c) for c in data["cues"]], [Chapter(**c) for c in data["chapters"]],
                   float(data["poster_at"]), checkpoints)


def _drawn_from_scene(raw: Path, scene: Any) -> Drawn:
    chapters = list(scene.chapters)
    poster = scene.poster_time
    if poster is None:
        poster = chapters[1].start + 5.0 if len(chapters) > 1 else 1.0
    return Drawn(Path(raw), list(scene.cues), chapters, float(poster), list(scene.checkpoints))


def _save_drawn(media: Path, digest: str, drawn: Drawn) -> None:
    data = {"digest": digest, "raw": str(drawn.raw.relative_to(media)), **drawn.record()}
    write_text(media / DRAWN, json.dumps(data, sort_keys=True))


def _load_drawn(media: Path, digest: str) -> Drawn | None:
    """The finished draw a killed run left in ``media`` for this exact ``digest``, if any."""
    try:
        data = json.loads((media / DRAWN).read_text(encoding="utf-8"))
        raw = media / data["raw"]
        if data["digest"] != digest or not raw.is_file():
            return None
        return Drawn.from_record(raw, data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _delivered_draw(out_dir: Path, explainer_id: str, digest: str) -> Drawn | None:
    """The draw inside the delivered MP4, if it is intact and was drawn with ``digest`` (the draw hash)."""
    meta = read_metadata(out_dir, explainer_id)
    if meta is None or not isinstance(meta.get("draw"), dict) or meta["draw"].get("hash") != digest:
        return None
    mp4 = f"{explainer_id}.mp4"
    if mp4 not in (meta.get("files") or {}) or mp4 in damaged_outputs(out_dir, {"files": {mp4: meta["files"][mp4]}}):
        return None
    try:
        return Drawn.from_record(Path(out_dir) / mp4, meta["draw"])
    except (KeyError, TypeError, ValueError):
        return None


def work_name(explainer_id: str, digest: str, out_dir: Path) -> str:
    """The work directory of one render: the same for a rerun of it, so that the rerun can resume."""
    key = hashlib.sha256(f"{digest} {Path(out_dir).resolve()}".encode()).hexdigest()[:12]
    return f"{explainer_id}-{key}"


def render_one(explainer: Explainer, settings: RenderSettings) -> RenderOutcome:
    """Simulate, draw, package and write one explainer's outputs (all together, atomically).

    The outputs are staged beside their targets and renamed into place together
    at the end: a run that fails or is killed leaves the previous outputs (a
    killed run may leave temporary files, which the next run sweeps).
    """
    started = time.monotonic()
    if not explainer.ready:
        return RenderOutcome(explainer.id, "planned", message="simulator or scene not written yet")
    trace_obj = make_trace(explainer, settings.seed, settings.overrides)
    checkpoint("simulate", explainer.id)
    trace_json = trace_obj.to_json()
    frames_digest = draw_hash(explainer, trace_json, settings)
    digest = content_hash(explainer, trace_json, settings)
    out_dir = Path(settings.out_dir)
    meta = None if settings.force else read_metadata(out_dir, explainer.id)
    if meta is not None and meta.get("render_hash") == digest and not damaged_outputs(out_dir, meta):
        return RenderOutcome(explainer.id, "skipped", time.monotonic() - started, message="up to date")

    reused = None if settings.force else _delivered_draw(out_dir, explainer.id, frames_digest)
    if reused is not None:  # only the packaging changed, or a sidecar was damaged: the frames are there
        checkpoint("encode", explainer.id)
        info = _package(explainer, settings, reused, trace_obj, trace_json, digest, frames_digest)
        return RenderOutcome(explainer.id, "repackaged", time.monotonic() - started, info["duration_s"],
                             message="re-packaged from the delivered video", warnings=info["warnings"])

    cache = cache_root()
    sweep_work_dirs(cache.path, resumable_marker=DRAWN)
    with work_dir(cache.path, work_name(explainer.id, digest, out_dir)) as work:
        drawn = None if settings.force else _load_drawn(work.path, digest)
        if drawn is None:
            from render.engine.draw import draw  # imports Manim: only in the process that draws

            work.clear()
            checkpoint("draw", explainer.id)
            raw, scene = draw(explainer, json.loads(trace_json), settings.q, work.path, parts=settings.draw_parts,
                              text_cache=cache.text_dir, captions=settings.captions)
            drawn = _drawn_from_scene(raw, scene)
            _save_drawn(work.path, digest, drawn)
            work.resumable = True
        checkpoint("encode", explainer.id)
        try:
            info = _package(explainer, settings, drawn, trace_obj, trace_json, digest, frames_digest)
        except OSError as exc:  # the draw stays for the rerun (after freeing space, say) to resume from
            raise RenderError(f"could not write {_written(exc, explainer.id)} to {out_dir} "
                              f"({exc.strerror or exc}); the previous outputs were left in place") from None
        except Exception:
            work.resumable = False  # a rerun would fail the same way: do not keep the draw
            raise
    return RenderOutcome(explainer.id, "rendered", time.monotonic() - started, info["duration_s"],
                         warnings=info["warnings"])


def _written(exc: OSError, explainer_id: str) -> str:
    """The delivered file a failed write was for (named from the error's paths), or 'its outputs'."""
    for name in (exc.filename2, exc.filename):
        if name:
            base = Path(str(name)).name
            match = re.match(r"\.+(.+?)" + re.escape(TEMP_MARK), base)  # also a staging file of a temporary
            base = match.group(1) if match else base
            if base.startswith(explainer_id + "."):
                return base
    return "its outputs"


def _rule_warnings(explainer: Explainer, duration_s: float, chapters: list[Chapter]) -> tuple[str, ...]:
    """What breaks the duration or chapter rules: worth fixing, not worth failing a render over."""
    warnings = []
    off = duration_s / explainer.duration_s - 1
    if abs(off) > DURATION_TOLERANCE:
        warnings.append(f"{duration_s:.1f} s of video for a {explainer.duration_s} s target ({off:+.0%}, "
                        f"±{DURATION_TOLERANCE:.0%} allowed): change the scene's beats or duration_s in the catalog")
    warnings += [f"{p}: change the scene's self.chapter() calls" for p in chapter_problems(chapters, duration_s)]
    return tuple(warnings)


def _package(explainer: Explainer, settings: RenderSettings, drawn: Drawn, trace_obj: Trace, trace_json: str,
             digest: str, frames_digest: str) -> dict[str, Any]:
    """Package a finished draw into OUT/<id>.mp4 .vtt .srt .chapters.vtt .jpg .json, all or none."""
    out_dir = Path(settings.out_dir)
    target = output_paths(out_dir, explainer.id)
    cues, chapters = drawn.cues, drawn.chapters
    with staged() as stage:
        temp = {suffix: stage.path(path) for suffix, path in target.items()}
        remux.remux_for_delivery(drawn.raw, temp[".mp4"], fps=settings.q.fps, title=explainer.title,
                                 comment=explainer.blurb, chapters=chapters)
        checkpoint("postprocess", explainer.id)
        info = probe(temp[".mp4"])
        if chapters and chapters[-1].end > info.duration_s:  # the scene's clock, to the ms; the file, to the frame
            chapters = [*chapters[:-1], Chapter(chapters[-1].title, chapters[-1].start, info.duration_s)]
        problems = caption_problems(cues, info.duration_s)
        if problems:
            raise RenderError(f"{explainer.id}: captions: {problems[0]}")
        temp[".vtt"].write_bytes(captionfiles.to_vtt(cues).encode("utf-8"))
        temp[".srt"].write_bytes(captionfiles.to_srt(cues).encode("utf-8"))
        temp[".chapters.vtt"].write_bytes(captionfiles.to_chapters_vtt(chapters).encode("utf-8"))
        poster_at = min(drawn.poster_at, info.duration_s - 0.5)
        frames.save_poster(temp[".mp4"], temp[".jpg"], poster_at)
        files = {target[suffix].name: {"bytes": temp[suffix].stat().st_size, "sha256": sha256_file(temp[suffix])}
                 for suffix in MEDIA_SUFFIXES}
        meta = {
            "id": explainer.id,
            "title": explainer.title,
            "blurb": explainer.blurb,
            "hook": explainer.hook,
            "category": explainer.category,
            "tags": list(explainer.tags),
            "fidelity": explainer.fidelity,
            "target_duration_s": explainer.duration_s,
            "duration_s": round(info.duration_s, 3),
            "quality": settings.quality,
            "caption_style": settings.captions,
            "width": info.width,
            "height": info.height,
            "fps": info.fps,
            "seed": trace_obj.seed,
            "params": trace_obj.params,
            "trace_sha256": hashlib.sha256(trace_json.encode()).hexdigest(),
            "chapters": [c.to_dict() for c in chapters],
            "captions": [c.to_dict() for c in cues],
            "checkpoints": [c.to_dict() for c in drawn.checkpoints],
            "transcript": " ".join(c.text for c in cues),
            "upload_description": captionfiles.upload_description(explainer.blurb, chapters, explainer.tags),
            "poster_s": round(poster_at, 3),
            "delivery": info.summary(),
            "files": files,
            "render_hash": digest,
            "draw": {"hash": frames_digest, **drawn.record()},
        }
        text = json.dumps(meta, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        temp[".json"].write_bytes(text.encode("utf-8"))
    return {"duration_s": info.duration_s, "warnings": _rule_warnings(explainer, info.duration_s, chapters)}


def render_quietly(explainer: Explainer, settings: RenderSettings) -> RenderOutcome:
    """:func:`render_one`, with any failure reported as a ``failed`` outcome (the run goes on with the others)."""
    try:
        return render_one(explainer, settings)
    except Exception as exc:
        return RenderOutcome(explainer.id, "failed", message=first_line(exc))
