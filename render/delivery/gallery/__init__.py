"""The gallery: the catalog index as data (``catalog.json``) and as a static page (``index.html``).

The page mirrors the seed page: a hero with the featured explainer, then every
explainer as a card (category, ~duration, title, blurb, tags) with a category
filter. A ready card plays its video inline with its captions and chapters
tracks, shows its transcript on demand, and offers an embed snippet and
downloads; a planned one says "coming soon".

The captions track is not marked ``default``: the frames already carry the same
captions in their caption band, and a track shown from the start would print
every sentence twice (the player's CC button turns it on).

The page's template, style sheet and script are package data beside this
module (``page.html``, ``style.css``, ``script.js``), inlined into one
self-contained file: inline CSS and a small inline script, no CDN, no web
fonts, so it works served by ``python -m http.server`` and opened from disk
(where browsers refuse to load ``<track>`` files, the script adds the same cues
from inline data).

Every string from the catalog or the metadata is HTML-escaped; the inline
data is JSON with ``<``, ``>`` and ``&`` written as ``\\u003c``, ``\\u003e``,
``\\u0026``, so no string can close its ``<script>`` element. Card titles,
blurbs and tags and the hero's hook sit in bidi-isolated elements
(``dir="auto"``), so right-to-left text, and any direction-override character in
it, stays inside its own element.
"""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from render.catalog import Catalog
from render.delivery.captionfiles import chapter_lines
from render.delivery.files import metadata_path
from render.delivery.player import player_css, player_html, player_js, script_json
from scenes.captions import Chapter

__all__ = ["asset", "build_index", "render_html", "script_json"]

TAGLINE = ("Short animated walkthroughs of system-design ideas — the kind that are easier to understand when you "
           "can see them move.")
HEADLINE = "See the moving part before memorizing the term."
INTRO = ("Each short walkthrough turns one distributed-systems or AI concept into a visible mechanism, so the "
         "tradeoff has somewhere to land.")


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
            "fidelity": e.fidelity,
            "status": e.status,
            "video": None,
        }
        if meta is not None:
            files = meta.get("files", {})
            entry["video"] = {
                "mp4": f"{e.id}.mp4",
                "poster": f"{e.id}.jpg",
                "captions_vtt": f"{e.id}.vtt",
                "captions_srt": f"{e.id}.srt",
                "chapters_vtt": f"{e.id}.chapters.vtt",
                "metadata": f"{e.id}.json",
                "duration_s": meta.get("duration_s"),
                "width": meta.get("width"),
                "height": meta.get("height"),
                "quality": meta.get("quality"),
                "caption_style": meta.get("caption_style", "burned"),
                "bytes": {name: info.get("bytes") for name, info in sorted(files.items())},
                "chapters": meta.get("chapters", []),
                "captions": meta.get("captions", []),
                "checkpoints": meta.get("checkpoints", []),
                "transcript": meta.get("transcript", ""),
            }
        entries.append(entry)
    return {"schema_version": 1, "count": len(entries), "featured": featured.id if featured else None,
            "explainers": entries}


def _size(n: int | None) -> str:
    if not n:
        return ""
    return f" ({n / 1_000_000:.1f} MB)" if n >= 1_000_000 else f" ({max(1, round(n / 1000))} kB)"


def _embed_snippet(entry: dict[str, Any]) -> str:
    video = entry["video"]
    size = f' width="{video["width"]}" height="{video["height"]}"' if video.get("width") else ""
    shown = " default" if video.get("caption_style") == "track" else ""  # drawn captions: the track starts off
    return (
        f'<video controls preload="metadata" playsinline{size} poster="{video["poster"]}"'
        f' aria-label="{escape(entry["title"])}">\n'
        f'  <source src="{video["mp4"]}" type="video/mp4">\n'
        f'  <track kind="captions" src="{video["captions_vtt"]}" srclang="en" label="English"{shown}>\n'
        f'  <track kind="chapters" src="{video["chapters_vtt"]}" srclang="en" label="Chapters">\n'
        f'</video>'
    )


def _player(entry: dict[str, Any]) -> str:
    """The card's player. At card size the caption band is cropped off the picture and the current caption is
    text beneath it, large enough to read; in full screen the whole frame shows (drawn captions and all, or,
    for a track rendition, the track), so no caption is ever shown twice. Drawn captions travel as a metadata
    track (the player's CC menu does not offer them again); a track rendition's as a captions track."""
    video = entry["video"]
    files = {"mp4": video["mp4"], "poster": video["poster"], "captions_vtt": video["captions_vtt"],
             "chapters_vtt": video["chapters_vtt"]}
    return player_html(entry["id"], entry["title"], files, video, questions=False)


def _ready_extras(entry: dict[str, Any]) -> str:
    video, vid = entry["video"], escape(entry["id"])
    chapters = [Chapter(str(c["title"]), float(c["start"]), float(c["end"])) for c in video["chapters"]]
    chapter_items = "".join(
        f'<li><button type="button" class="seek" data-video="video-{vid}" data-seek="{c.start:g}">'
        f'{escape(line)}</button></li>'
        for c, line in zip(chapters, chapter_lines(chapters))
    )
    sizes = video.get("bytes", {})
    downloads = [
        (video["mp4"], "Video (MP4)"),
        (video["captions_vtt"], "Captions (VTT)"),
        (video["captions_srt"], "Captions (SRT)"),
        (video["poster"], "Poster (JPG)"),
    ]
    links = "".join(f'<li><a href="{escape(name)}" download>{label}{_size(sizes.get(name))}</a></li>'
                    for name, label in downloads)
    return (
        f'<ol class="chapters" aria-label="Chapters">{chapter_items}</ol>'
        f'<details class="transcript"><summary>Transcript</summary><p>{escape(video["transcript"])}</p></details>'
        f'<details class="embed"><summary>Embed</summary>'
        f'<p class="hint">Host the MP4, both VTT files and the JPG beside your page (over http(s): browsers do not '
        f'load caption files from disk). {_snippet_hint(entry)}</p>'
        f'<pre><code id="embed-{vid}">{escape(_embed_snippet(entry))}</code></pre>'
        f'<button type="button" class="copy" data-target="embed-{vid}">Copy snippet</button></details>'
        f'<ul class="downloads" aria-label="Downloads">{links}</ul>'
    )


def _snippet_hint(entry: dict[str, Any]) -> str:
    if entry["video"].get("caption_style") == "track":
        return "The frames carry no captions: the track is on from the start."
    return ("The frames already show the captions, so the track starts off; add <code>default</code> to show "
            "it from the start.")


def _card(entry: dict[str, Any]) -> str:
    video = entry["video"]
    tags = "".join(f'<li dir="auto">{escape(t)}</li>' for t in entry["tags"])
    if video:
        media, extras, status = _player(entry), _ready_extras(entry), "ready"
    else:
        media, extras, status = '<div class="soon"><span>Coming soon</span></div>', "", "planned"
    if entry.get("fidelity"):
        extras = (f'<details class="fidelity"><summary>What the model leaves out</summary>'
                  f'<p dir="auto">{escape(entry["fidelity"])}</p></details>') + extras
    return (
        f'<article class="card" id="{escape(entry["id"])}" data-category="{escape(entry["category"])}" '
        f'data-status="{status}">'
        f'<div class="media">{media}</div>'
        f'<div class="body"><p class="meta"><span class="duration">~{int(entry["target_duration_s"])}s</span> '
        f'<span class="category">{escape(entry["category"])}</span></p>'
        f'<h3 dir="auto">{escape(entry["title"])}</h3><p class="blurb" dir="auto">{escape(entry["blurb"])}</p>'
        f'<ul class="tags" aria-label="Tags">{tags}</ul>{extras}</div></article>'
    )


def _hero(index: dict[str, Any]) -> str:
    featured = next((e for e in index["explainers"] if e["featured"]), None)
    lead = (f'<p class="eyebrow">Visual explainers</p><h1>{escape(HEADLINE)}</h1>'
            f'<p class="intro">{escape(INTRO)}</p>')
    if featured is None:
        return f'<section class="hero"><div class="lead">{lead}</div></section>'
    fid = escape(featured["id"])
    hook = featured["hook"].rstrip(".") + "."
    picture = (f'<a class="poster" href="#{fid}"><img src="{escape(featured["video"]["poster"])}" alt="" '
               f'width="{int(featured["video"]["width"] or 854)}" height="{int(featured["video"]["height"] or 480)}"></a>'
               if featured["video"] else '<div class="poster soon"><span>Coming soon</span></div>')
    return (
        f'<section class="hero" aria-label="Featured explainer"><div class="lead">{lead}'
        f'<div class="featured"><p class="hook" dir="auto">{escape(hook)}</p>'
        f'<p><a class="start" href="#{fid}">Start with {escape(featured["title"])}</a></p>'
        f'<p class="meta"><span class="category">{escape(featured["category"])}</span> · '
        f'<span class="duration">~{int(featured["target_duration_s"])}s</span></p></div></div>'
        f'{picture}</section>'
    )


def _filters(index: dict[str, Any]) -> str:
    counts: dict[str, int] = {}
    for e in index["explainers"]:
        counts[e["category"]] = counts.get(e["category"], 0) + 1
    buttons = [f'<button type="button" data-filter="" aria-pressed="true">All <span>{index["count"]}</span></button>']
    buttons += [f'<button type="button" data-filter="{escape(c)}" aria-pressed="false">{escape(c)} <span>{n}</span>'
                f'</button>' for c, n in counts.items()]
    return f'<div class="filters" role="group" aria-label="Filter by category">{"".join(buttons)}</div>'


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    """One of the page's files (``page.html``, ``style.css``, ``script.js``), shipped beside this module."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def render_html(index: dict[str, Any]) -> str:
    """The gallery page for ``index`` (see :func:`build_index`), one self-contained HTML file."""
    cards = "\n".join(_card(e) for e in index["explainers"])
    ready = sum(1 for e in index["explainers"] if e["video"])
    return asset("page.html").format(tagline=escape(TAGLINE), style=asset("style.css") + player_css(),
                                     hero=_hero(index), ready=ready, count=index["count"], filters=_filters(index),
                                     cards=cards, script=player_js() + asset("script.js"))
