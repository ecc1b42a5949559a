"""Captions as plain data: cues, line wrapping, reading-speed checks, WebVTT and SRT.

Pure functions, no Manim: the scene records cues from its own clock, the
pipeline serializes them here.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from dataclasses import dataclass
from typing import Iterable

__all__ = [
    "Cue",
    "Chapter",
    "MAX_CHARS_PER_LINE",
    "MAX_CPS",
    "MIN_CUE_S",
    "caption_problems",
    "chapter_lines",
    "chapter_problems",
    "format_timestamp",
    "hashtag",
    "plain_line",
    "upload_description",
    "to_srt",
    "to_vtt",
    "to_chapters_vtt",
    "wrap_caption",
]

MAX_CHARS_PER_LINE = 42
MAX_LINES = 2
MAX_CPS = 17.0
MIN_CUE_S = 1.5
MIN_CHAPTER_S = 10.0


@dataclass(frozen=True)
class Cue:
    """One caption: its text and when it is on screen, in seconds of video time."""

    text: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def cps(self) -> float:
        return len(self.text) / self.duration if self.duration > 0 else float("inf")

    def to_dict(self) -> dict:
        return {"text": self.text, "start": round(self.start, 3), "end": round(self.end, 3)}


@dataclass(frozen=True)
class Chapter:
    title: str
    start: float
    end: float

    def to_dict(self) -> dict:
        return {"title": self.title, "start": round(self.start, 3), "end": round(self.end, 3)}


def wrap_caption(text: str, width: int = MAX_CHARS_PER_LINE) -> list[str]:
    """Split a caption into at most two balanced lines of at most ``width`` characters."""
    text = " ".join(text.split())
    if len(text) <= width:
        return [text]
    # balance: try the narrowest width that still fits in two lines
    for w in range((len(text) + 1) // 2, width + 1):
        lines = textwrap.wrap(text, w, break_long_words=False)
        if len(lines) <= MAX_LINES:
            return lines
    raise ValueError(f"caption {text!r} does not fit in {MAX_LINES} lines of {width} characters")


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


def caption_problems(cues: list[Cue], video_duration: float | None = None) -> list[str]:
    """Everything wrong with a caption track, as readable sentences (empty when fine)."""
    problems = []
    previous_end = 0.0
    for i, cue in enumerate(cues, 1):
        where = f"cue {i} {cue.text!r}"
        if cue.start < previous_end - 1e-6:
            problems.append(f"{where} starts at {cue.start:.2f}s, before the previous cue ends")
        if cue.duration < MIN_CUE_S - 1e-6:
            problems.append(f"{where} lasts {cue.duration:.2f}s, less than {MIN_CUE_S}s")
        if cue.cps > MAX_CPS + 1e-6:
            problems.append(f"{where} needs {cue.cps:.1f} characters/s, more than {MAX_CPS}")
        try:
            wrap_caption(cue.text)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
        if video_duration is not None and cue.end > video_duration + 1e-6:
            problems.append(f"{where} ends at {cue.end:.2f}s, after the video ({video_duration:.2f}s)")
        previous_end = cue.end
    return problems


def chapter_problems(chapters: list[Chapter]) -> list[str]:
    problems = []
    if not chapters or chapters[0].start > 1e-6:
        problems.append("the first chapter must start at 0:00")
    if len(chapters) < 3:
        problems.append(f"{len(chapters)} chapters, fewer than 3")
    for ch in chapters:
        if ch.end - ch.start < MIN_CHAPTER_S - 1e-6:
            problems.append(f"chapter {ch.title!r} lasts {ch.end - ch.start:.1f}s, less than {MIN_CHAPTER_S:.0f}s")
    return problems
