"""Caption and chapter files: WebVTT, SRT, chapter tracks and the upload description.

Serialization only; what a cue and a chapter are, and the rules they keep, are
in :mod:`scenes.captions` (shared with the scenes that record them).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from scenes.captions import Chapter, Cue, wrap_caption

__all__ = [
    "chapter_lines",
    "format_timestamp",
    "hashtag",
    "plain_line",
    "to_chapters_vtt",
    "to_srt",
    "to_vtt",
    "upload_description",
]


def format_timestamp(seconds: float, *, comma: bool = False) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    sep = "," if comma else "."
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{ms:03d}"


def _vtt_text(text: str) -> str:
    """Escape cue text for WebVTT, where ``&`` and ``<`` start entities and tags."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: list[Cue]) -> str:
    blocks = ["WEBVTT", ""]
    for i, cue in enumerate(cues, 1):
        lines = [_vtt_text(line) for line in wrap_caption(cue.text)]
        blocks += [str(i), f"{format_timestamp(cue.start)} --> {format_timestamp(cue.end)}", *lines, ""]
    return "\n".join(blocks)


def to_srt(cues: list[Cue]) -> str:
    blocks = []
    for i, cue in enumerate(cues, 1):
        stamp = f"{format_timestamp(cue.start, comma=True)} --> {format_timestamp(cue.end, comma=True)}"
        blocks += [str(i), stamp, *wrap_caption(cue.text), ""]
    return "\n".join(blocks)


def to_chapters_vtt(chapters: list[Chapter]) -> str:
    blocks = ["WEBVTT", ""]
    for i, ch in enumerate(chapters, 1):
        title = _vtt_text(" ".join(ch.title.split()))  # one line: a blank line would end the cue
        blocks += [f"chapter-{i}", f"{format_timestamp(ch.start)} --> {format_timestamp(ch.end)}", title, ""]
    return "\n".join(blocks)


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def chapter_lines(chapters: Iterable[Chapter]) -> list[str]:
    """``0:00 Title`` lines, as video platforms read chapters from a description (whole seconds, rounded)."""
    return [f"{_clock(int(ch.start + 0.5))} {' '.join(ch.title.split())}" for ch in chapters]


def hashtag(tag: str) -> str:
    """``"Leader Follower Replication"`` -> ``"#LeaderFollowerReplication"`` (letters and digits only)."""
    words = [w for w in re.split(r"[^\w]+|_", tag) if w]
    return "#" + "".join(w[:1].upper() + w[1:] for w in words) if words else ""


#: Embedding, override and isolate controls: they can make a line read differently from what it holds.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def plain_line(text: str) -> str:
    """``text`` as one line of plain text for an upload form.

    Whitespace (newlines included) collapses to single spaces; control and bidi
    control characters go (right-to-left letters stay); ``<`` and ``>``, which
    upload forms such as YouTube's reject in a description, become ``‹`` and ``›``.
    """
    kept = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text if ch not in BIDI_CONTROLS)
    return " ".join(kept.replace("<", "\u2039").replace(">", "\u203a").split())


def upload_description(blurb: str, chapters: Iterable[Chapter], tags: Iterable[str]) -> str:
    """A ready-to-paste upload description: the blurb, the chapter lines, the tags as hashtags.

    Plain text only (see :func:`plain_line`), so that nothing in the blurb or a
    chapter title can add a line, such as a chapter mark, of its own.
    """
    chapters = [Chapter(plain_line(c.title), c.start, c.end) for c in chapters]
    tags_line = " ".join(dict.fromkeys(h for h in (hashtag(t) for t in tags) if h))
    parts = [plain_line(blurb), "\n".join(chapter_lines(chapters)), tags_line]
    return "\n\n".join(p for p in parts if p) + "\n"
