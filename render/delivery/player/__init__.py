"""The explainer player, shared by the gallery page and the course packages.

One ``<figure class="player">`` per video: the video with its caption band cropped off at card size
(nothing but captions is ever drawn there) and the current caption as text beneath it; the whole frame in
full screen; and a "Questions" switch that pauses at each checkpoint and asks it beside the picture.
``player.js`` (``setupPlayer(root, data, hooks, resume)``) and ``player.css`` are package data, inlined into
the pages that use them.
"""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from importlib import resources
from typing import Any, Mapping

from scenes.captions import CAPTION_BAND_SHARE

__all__ = ["player_css", "player_data", "player_html", "player_js", "script_json"]


def script_json(data: Any) -> str:
    """JSON that is safe inside an HTML ``<script>`` element (no ``<``, ``>``, ``&`` left raw)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def player_js() -> str:
    """The player's script (defines ``setupPlayer``)."""
    return _asset("player.js")


def player_css() -> str:
    """The player's style sheet, with the shape of a frame whose caption band is cropped off."""
    cropped = f"16/{9 * (1 - CAPTION_BAND_SHARE):.5f}"
    return _asset("player.css").replace("--cropped-frame:16/9", f"--cropped-frame:{cropped}")


def player_data(video: Mapping[str, Any]) -> dict[str, Any]:
    """What the script needs: cues, chapters, which track kind carries the captions, the checkpoints."""
    kind = "captions" if video.get("caption_style") == "track" else "metadata"
    return {"captions": video.get("captions", []), "chapters": video.get("chapters", []), "kind": kind,
            "checkpoints": video.get("checkpoints", [])}


def player_html(explainer_id: str, title: str, files: Mapping[str, str], video: Mapping[str, Any], *,
                questions: bool) -> str:
    """The player's markup. ``files``: ``mp4``, ``poster``, ``captions_vtt``, ``chapters_vtt`` (relative URLs);
    ``video``: the metadata it shows (size, caption style, cues, chapters, checkpoints); ``questions``: whether
    the questions start switched on. Drawn captions travel as a metadata track (the CC menu does not offer
    them again); a track rendition's as a captions track."""
    vid = escape(explainer_id)
    size = f' width="{int(video["width"])}" height="{int(video["height"])}"' if video.get("width") else ""
    data = player_data(video)
    style = "track" if data["kind"] == "captions" else "burned"
    state = "true" if questions else "false"
    return (
        f'<figure class="player" data-captions="{style}">'
        f'<div class="screen"><video id="video-{vid}" controls preload="metadata" playsinline{size}'
        f' poster="{escape(files["poster"])}" aria-label="{escape(title)}">'
        f'<source src="{escape(files["mp4"])}" type="video/mp4">'
        f'<track kind="{data["kind"]}" srclang="en" label="English" src="{escape(files["captions_vtt"])}">'
        f'<track kind="chapters" srclang="en" label="Chapters" src="{escape(files["chapters_vtt"])}">'
        f'</video></div>'
        f'<p class="caption-line" id="caption-{vid}" aria-hidden="true"></p>'
        f'<div class="player-bar"><button type="button" class="questions-toggle" aria-pressed="{state}">'
        f'Questions: {"on" if questions else "off"}</button></div>'
        f'<div class="quiz" role="region" aria-live="polite" aria-label="Question" hidden></div>'
        f'<script type="application/json" id="cues-{vid}">{script_json(data)}</script>'
        f'</figure>'
    )
