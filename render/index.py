"""The catalog index: ``catalog.json`` and a static ``index.html`` gallery page."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from render.catalog import Catalog
from render.fsio import write_text
from render.pipeline import metadata_path

__all__ = ["build_index", "write_index"]


def _video_meta(out_dir: Path, explainer_id: str) -> dict[str, Any] | None:
    meta_file = metadata_path(out_dir, explainer_id)
    mp4 = out_dir / f"{explainer_id}.mp4"
    if not (meta_file.is_file() and mp4.is_file()):
        return None
    try:
        return json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def build_index(catalog: Catalog, out_dir: Path) -> dict[str, Any]:
    """The index as data: every explainer, ready or planned, with its video if one exists."""
    featured = catalog.featured
    entries = []
    for e in catalog:
        meta = _video_meta(out_dir, e.id)
        entry: dict[str, Any] = {
            "id": e.id,
            "title": e.title,
            "category": e.category,
            "tags": list(e.tags),
            "target_duration_s": e.duration_s,
            "blurb": e.blurb,
            "hook": e.hook,
            "featured": featured is not None and e.id == featured.id,
            "status": e.status,
            "video": None,
        }
        if meta is not None:
            entry["video"] = {
                "mp4": f"{e.id}.mp4",
                "poster": f"{e.id}.jpg",
                "captions_vtt": f"{e.id}.vtt",
                "captions_srt": f"{e.id}.srt",
                "chapters_vtt": f"{e.id}.chapters.vtt",
                "metadata": f"{e.id}.json",
                "duration_s": meta.get("duration_s"),
                "quality": meta.get("quality"),
                "chapters": meta.get("chapters", []),
                "transcript": meta.get("transcript", ""),
            }
        entries.append(entry)
    return {"schema_version": 1, "count": len(entries), "featured": featured.id if featured else None,
            "explainers": entries}


def _card(entry: dict[str, Any]) -> str:
    video = entry["video"]
    tags = "".join(f'<li>{escape(t)}</li>' for t in entry["tags"])
    if video:
        player = (
            f'<video controls preload="metadata" playsinline poster="{escape(video["poster"])}" '
            f'src="{escape(video["mp4"])}">'
            f'<track kind="captions" srclang="en" label="English" src="{escape(video["captions_vtt"])}" default>'
            f'<track kind="chapters" srclang="en" src="{escape(video["chapters_vtt"])}"></video>'
        )
    else:
        player = '<div class="soon">Coming soon</div>'
    return (
        f'<article class="card" data-category="{escape(entry["category"])}" id="{escape(entry["id"])}">'
        f'{player}<p class="meta">~{entry["target_duration_s"]}s · {escape(entry["category"])}</p>'
        f'<h3>{escape(entry["title"])}</h3><p>{escape(entry["blurb"])}</p><ul class="tags">{tags}</ul></article>'
    )


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Explainers</title>
<style>
body{{margin:0;font-family:system-ui,sans-serif;background:#1B2330;color:#ECEFF4}}
main{{max-width:1200px;margin:0 auto;padding:24px}}
.grid{{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:20px}}
.card{{background:#263142;border-radius:10px;padding:14px}}
.card video,.soon{{width:100%;aspect-ratio:16/9;border-radius:6px;background:#000}}
.soon{{display:flex;align-items:center;justify-content:center;color:#9AA5B5}}
.meta{{color:#56B4E9;font-size:.85em}} .tags{{list-style:none;padding:0;display:flex;gap:6px;flex-wrap:wrap}}
.tags li{{background:#1B2330;border-radius:4px;padding:2px 6px;font-size:.8em}}
</style></head>
<body><main><h1>Explainers</h1><p>See the moving part before memorizing the term.</p>
<p>{count} explainers, {ready} ready.</p>
<section class="grid">{cards}</section></main></body></html>
"""


def render_html(index: dict[str, Any]) -> str:
    cards = "\n".join(_card(e) for e in index["explainers"])
    ready = sum(1 for e in index["explainers"] if e["video"])
    return PAGE.format(count=index["count"], ready=ready, cards=cards)


def write_index(catalog: Catalog, out_dir: Path) -> dict[str, Any]:
    """Write ``catalog.json`` and ``index.html`` into ``out_dir`` (atomically)."""
    out_dir = Path(out_dir)
    index = build_index(catalog, out_dir)
    write_text(out_dir / "catalog.json", json.dumps(index, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    write_text(out_dir / "index.html", render_html(index))
    return index
