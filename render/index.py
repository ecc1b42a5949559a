"""The catalog index: ``catalog.json`` and a static ``index.html`` gallery page.

The page mirrors the seed page: a hero with the featured explainer, then every
explainer as a card (category, ~duration, title, blurb, tags) with a category
filter. A ready card plays its video inline with its captions and chapters
tracks, shows its transcript on demand, and offers an embed snippet and
downloads; a planned one says "coming soon".

The captions track is not marked ``default``: the frames already carry the same
captions in their caption band, and a track shown from the start would print
every sentence twice (the player's CC button turns it on).

One self-contained file: inline CSS and a small inline script, no CDN, no web
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
from html import escape
from pathlib import Path
from typing import Any

from render.captions import Chapter, chapter_lines
from render.catalog import Catalog
from render.fsio import staged
from render.pipeline import metadata_path

__all__ = ["build_index", "render_html", "script_json", "write_index"]

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
                "bytes": {name: info.get("bytes") for name, info in sorted(files.items())},
                "chapters": meta.get("chapters", []),
                "captions": meta.get("captions", []),
                "transcript": meta.get("transcript", ""),
            }
        entries.append(entry)
    return {"schema_version": 1, "count": len(entries), "featured": featured.id if featured else None,
            "explainers": entries}


def script_json(data: Any) -> str:
    """JSON that is safe inside an HTML ``<script>`` element (no ``<``, ``>``, ``&`` left raw)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def _size(n: int | None) -> str:
    if not n:
        return ""
    return f" ({n / 1_000_000:.1f} MB)" if n >= 1_000_000 else f" ({max(1, round(n / 1000))} kB)"


def _embed_snippet(entry: dict[str, Any]) -> str:
    video = entry["video"]
    size = f' width="{video["width"]}" height="{video["height"]}"' if video.get("width") else ""
    return (
        f'<video controls preload="metadata" playsinline{size} poster="{video["poster"]}"'
        f' aria-label="{escape(entry["title"])}">\n'
        f'  <source src="{video["mp4"]}" type="video/mp4">\n'
        f'  <track kind="captions" src="{video["captions_vtt"]}" srclang="en" label="English">\n'
        f'  <track kind="chapters" src="{video["chapters_vtt"]}" srclang="en" label="Chapters">\n'
        f'</video>'
    )


def _player(entry: dict[str, Any]) -> str:
    video, vid = entry["video"], escape(entry["id"])
    size = f' width="{int(video["width"])}" height="{int(video["height"])}"' if video.get("width") else ""
    cues = {"captions": video["captions"], "chapters": video["chapters"]}
    return (
        f'<video id="video-{vid}" controls preload="metadata" playsinline{size} poster="{escape(video["poster"])}"'
        f' aria-label="{escape(entry["title"])}">'
        f'<source src="{escape(video["mp4"])}" type="video/mp4">'
        f'<track kind="captions" srclang="en" label="English" src="{escape(video["captions_vtt"])}">'
        f'<track kind="chapters" srclang="en" label="Chapters" src="{escape(video["chapters_vtt"])}">'
        f'</video>'
        f'<script type="application/json" id="cues-{vid}">{script_json(cues)}</script>'
    )


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
        f'load caption files from disk). The frames already show the captions, so the track starts off; add '
        f'<code>default</code> to show it from the start.</p>'
        f'<pre><code id="embed-{vid}">{escape(_embed_snippet(entry))}</code></pre>'
        f'<button type="button" class="copy" data-target="embed-{vid}">Copy snippet</button></details>'
        f'<ul class="downloads" aria-label="Downloads">{links}</ul>'
    )


def _card(entry: dict[str, Any]) -> str:
    video = entry["video"]
    tags = "".join(f'<li dir="auto">{escape(t)}</li>' for t in entry["tags"])
    if video:
        media, extras, status = _player(entry), _ready_extras(entry), "ready"
    else:
        media, extras, status = '<div class="soon"><span>Coming soon</span></div>', "", "planned"
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


STYLE = """
:root{color-scheme:dark;--bg:#1B2330;--panel:#263142;--line:#4A5568;--text:#ECEFF4;--muted:#9AA5B5;--sky:#56B4E9;
--orange:#E69F00;--yellow:#F0E442}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;background:var(--bg);color:var(--text);line-height:1.5;
font-family:Inter,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
a{color:var(--sky)}
:focus-visible{outline:3px solid var(--yellow);outline-offset:2px}
.top,main{max-width:1240px;margin:0 auto;padding:0 24px}
.top{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 18px;padding-top:20px}
.brand{font-weight:700;font-size:1.25rem;margin:0}
.tagline{color:var(--muted);margin:0}
.hero{display:grid;grid-template-columns:1.1fr 1fr;gap:32px;align-items:center;padding:36px 0 28px}
.eyebrow{color:var(--orange);text-transform:uppercase;letter-spacing:.08em;font-size:.8rem;font-weight:600;margin:0}
h1{font-size:clamp(1.8rem,3.6vw,2.8rem);line-height:1.15;margin:.3em 0}
.intro{color:var(--muted);max-width:52ch}
.featured{border-left:4px solid var(--orange);padding:4px 0 4px 16px;margin-top:20px}
.featured p{margin:.2em 0}
.hook{font-size:1.1rem}
.start{font-weight:600;font-size:1.1rem}
.poster{display:block;border-radius:12px;overflow:hidden;background:#000;aspect-ratio:16/9}
.poster img{width:100%;height:100%;object-fit:cover;display:block}
.all h2{margin:0}
.bar{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:8px;margin:12px 0 4px}
.sub{color:var(--muted);margin:0}
.filters{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0 18px}
.filters button{background:var(--panel);color:var(--text);border:1px solid var(--line);border-radius:999px;
padding:6px 14px;font:inherit;cursor:pointer}
.filters button span{color:var(--muted);font-size:.85em}
.filters button[aria-pressed="true"]{background:var(--sky);border-color:var(--sky);color:#10161F}
.filters button[aria-pressed="true"] span{color:#10161F}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:20px;align-items:start;padding-bottom:48px}
.card{background:var(--panel);border-radius:12px;overflow:hidden;display:flex;flex-direction:column}
.media video,.soon{display:block;width:100%;height:auto;aspect-ratio:16/9;background:#000}
.soon{display:flex;align-items:center;justify-content:center;color:var(--muted);
background:repeating-linear-gradient(135deg,#202A39 0 14px,#1D2634 14px 28px)}
.soon span{border:1px dashed var(--line);border-radius:999px;padding:4px 14px}
.body{padding:14px 16px 16px}
.meta{color:var(--muted);font-size:.85rem;margin:0}
.meta .duration{color:var(--sky);font-weight:600}
.card h3{margin:.25em 0;font-size:1.15rem}
.blurb{margin:.3em 0 .6em}
.tags{list-style:none;padding:0;margin:0;display:flex;gap:6px;flex-wrap:wrap}
.tags li{background:var(--bg);border-radius:4px;padding:2px 8px;font-size:.8rem;color:var(--muted)}
.chapters{list-style:none;padding:0;margin:12px 0 4px;display:flex;flex-wrap:wrap;gap:6px}
.seek{background:none;border:1px solid var(--line);color:var(--text);border-radius:6px;padding:2px 8px;font:inherit;
font-size:.8rem;cursor:pointer}
.seek:hover{border-color:var(--sky)}
details{margin-top:8px;border-top:1px solid var(--line);padding-top:6px}
summary{cursor:pointer;color:var(--sky)}
.transcript p{color:var(--muted);font-size:.92rem}
.hint{color:var(--muted);font-size:.85rem}
pre{background:#10161F;border-radius:8px;padding:10px;overflow-x:auto;font-size:.78rem;white-space:pre}
code{font-family:"JetBrains Mono",ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.copy{background:var(--sky);color:#10161F;border:0;border-radius:6px;padding:5px 12px;font:inherit;font-weight:600;
cursor:pointer}
.downloads{list-style:none;padding:0;margin:10px 0 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.88rem}
.note{background:#3A2F14;border:1px solid var(--orange);border-radius:8px;padding:8px 12px}
@media (max-width:820px){.hero{grid-template-columns:1fr}.grid{grid-template-columns:1fr}}
"""

SCRIPT = """
const cards = Array.from(document.querySelectorAll(".card"));
const buttons = Array.from(document.querySelectorAll(".filters button"));
const showing = document.getElementById("showing");
function applyFilter(category) {
  let shown = 0;
  for (const card of cards) {
    const visible = !category || card.dataset.category === category;
    card.hidden = !visible;
    if (visible) shown += 1;
  }
  for (const button of buttons) button.setAttribute("aria-pressed", String(button.dataset.filter === category));
  showing.textContent = shown === cards.length ? `Showing all ${shown}` : `Showing ${shown} of ${cards.length}`;
}
for (const button of buttons) button.addEventListener("click", () => applyFilter(button.dataset.filter));
for (const button of document.querySelectorAll("button.seek")) {
  button.addEventListener("click", () => {
    const video = document.getElementById(button.dataset.video);
    video.currentTime = Number(button.dataset.seek);
    video.play().catch(() => {});
  });
}
function copyText(text, source) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const range = document.createRange();
  range.selectNodeContents(source);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy refused"));
}
for (const button of document.querySelectorAll("button.copy")) {
  button.addEventListener("click", () => {
    const code = document.getElementById(button.dataset.target);
    const label = button.textContent;
    copyText(code.textContent, code)
      .then(() => { button.textContent = "Copied"; })
      .catch(() => { button.textContent = "Press Ctrl+C to copy"; })
      .finally(() => setTimeout(() => { button.textContent = label; }, 1800));
  });
}
if (location.protocol === "file:") {
  // Browsers refuse <track> files on file:// pages; add the same cues from the inline data.
  document.getElementById("file-note").hidden = false;
  for (const video of document.querySelectorAll("video")) {
    const data = JSON.parse(document.getElementById("cues-" + video.id.slice(6)).textContent);
    const captions = video.addTextTrack("captions", "English", "en");
    for (const cue of data.captions) captions.addCue(new VTTCue(cue.start, cue.end, cue.text));
    const chapters = video.addTextTrack("chapters", "Chapters", "en");
    for (const ch of data.chapters) chapters.addCue(new VTTCue(ch.start, ch.end, ch.title));
    captions.mode = "hidden";  // the frames show the captions already; the CC menu turns these on
  }
}
"""

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Explainers</title>
<link rel="icon" href="data:,">
<meta name="description" content="{tagline}">
<style>{style}</style>
</head>
<body>
<header class="top"><p class="brand">Explainers</p><p class="tagline">{tagline}</p></header>
<main>
{hero}
<section class="all" aria-labelledby="all-heading">
<h2 id="all-heading">All explainers</h2>
<div class="bar"><p class="sub">Available now: {ready} of {count} explainers, the rest coming soon.</p>
<p class="sub" id="showing" aria-live="polite">Showing all {count}</p></div>
<p class="note" id="file-note" hidden>Opened from disk: captions come from the page itself. Serve this folder
(<code>python -m http.server</code>) to load the caption files.</p>
{filters}
<div class="grid">
{cards}
</div>
</section>
</main>
<script type="module">{script}</script>
</body>
</html>
"""


def render_html(index: dict[str, Any]) -> str:
    cards = "\n".join(_card(e) for e in index["explainers"])
    ready = sum(1 for e in index["explainers"] if e["video"])
    return PAGE.format(tagline=escape(TAGLINE), style=STYLE, hero=_hero(index), ready=ready, count=index["count"],
                       filters=_filters(index), cards=cards, script=SCRIPT)


def write_index(catalog: Catalog, out_dir: Path) -> dict[str, Any]:
    """Write ``catalog.json`` and ``index.html`` into ``out_dir`` (atomically, both or neither)."""
    out_dir = Path(out_dir)
    index = build_index(catalog, out_dir)
    with staged() as stage:
        stage.path(out_dir / "catalog.json").write_bytes(
            (json.dumps(index, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
        stage.path(out_dir / "index.html").write_bytes(render_html(index).encode("utf-8"))
    return index
