"""Captions and chapters as plain data, and the rules they keep.

One module for both sides: the scenes record :class:`Cue` and :class:`Chapter`
objects from their own clock while they render (and wrap each caption into the
caption band with :func:`wrap_caption`); the render pipeline serializes them and
``explainers verify`` checks delivered files against the same rules. No Manim
here, so listing or verifying never imports it.

The rules:

* a caption is on screen for at least :data:`MIN_CUE_S` seconds and needs at most
  :data:`MAX_CPS` characters per second of reading;
* it wraps into at most :data:`MAX_LINES` lines of :data:`MAX_CHARS_PER_LINE` characters;
* a video has :data:`MIN_CHAPTERS` to :data:`MAX_CHAPTERS` chapters, the first at 0:00,
  each at least :data:`MIN_CHAPTER_S` seconds long.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

__all__ = [
    "CAPTION_BAND_SHARE",
    "CAPTION_STYLES",
    "Chapter",
    "Checkpoint",
    "MAX_CHOICES",
    "MIN_CHOICES",
    "Cue",
    "MAX_CHAPTERS",
    "MAX_CHARS_PER_LINE",
    "MAX_CPS",
    "MAX_LINES",
    "MIN_CHAPTERS",
    "MIN_CHAPTER_S",
    "MIN_CUE_S",
    "caption_problems",
    "chapter_problems",
    "reading_time",
    "wrap_caption",
]

MAX_CHARS_PER_LINE = 42
MAX_LINES = 2
MAX_CPS = 17.0
MIN_CUE_S = 1.5
MIN_CHAPTER_S = 10.0
MIN_CHAPTERS = 3
MAX_CHAPTERS = 7
MIN_CHOICES, MAX_CHOICES = 2, 5
#: How captions reach the viewer: drawn into the frames' caption band, or only as a caption track.
CAPTION_STYLES = ("burned", "track")
#: The share of the frame's height, at its bottom, that only captions may use (the caption band). A player
#: that shows the captions itself may crop it away.
CAPTION_BAND_SHARE = 0.20625
#: Tolerance of every comparison against a rule: caption times are stored to the millisecond.
EPS = 1e-6


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
        """Characters per second a viewer needs to read it."""
        return len(self.text) / self.duration if self.duration > 0 else float("inf")

    def to_dict(self) -> dict:
        return {"text": self.text, "start": round(self.start, 3), "end": round(self.end, 3)}


@dataclass(frozen=True)
class Chapter:
    """One chapter: its title and the span of video it covers, in seconds."""

    title: str
    start: float
    end: float

    def to_dict(self) -> dict:
        return {"title": self.title, "start": round(self.start, 3), "end": round(self.end, 3)}


@dataclass(frozen=True)
class Checkpoint:
    """A multiple-choice question asked at a moment of the video (``time``, in its chapter ``chapter``).

    ``choices`` are 2-5 distinct answers, ``answer`` the index of the right one, ``why`` one line that
    explains it. Built from the trace, so another seed gives another, still right, question.
    """

    time: float
    chapter: str
    prompt: str
    choices: tuple[str, ...]
    answer: int
    why: str

    def __post_init__(self) -> None:
        if not self.prompt.strip() or not self.why.strip():
            raise ValueError("a checkpoint needs a prompt and a why")
        if not MIN_CHOICES <= len(self.choices) <= MAX_CHOICES:
            raise ValueError(f"a checkpoint has {MIN_CHOICES}-{MAX_CHOICES} choices, got {len(self.choices)}")
        if len(set(self.choices)) != len(self.choices) or not all(c.strip() for c in self.choices):
            raise ValueError(f"checkpoint choices must be distinct and non-empty: {list(self.choices)}")
        if not 0 <= self.answer < len(self.choices):
            raise ValueError(f"answer {self.answer} is not the index of one of {len(self.choices)} choices")

    def to_dict(self) -> dict:
        return {"time": round(self.time, 3), "chapter": self.chapter, "prompt": self.prompt,
                "choices": list(self.choices), "answer": self.answer, "why": self.why}


def reading_time(text: str) -> float:
    """The shortest time ``text`` may stay on screen: :data:`MIN_CUE_S`, or longer at :data:`MAX_CPS`.

    >>> reading_time("Same traffic.")
    1.5
    >>> round(reading_time("x" * 34), 3)
    2.0
    """
    return max(MIN_CUE_S, len(" ".join(text.split())) / MAX_CPS)


def wrap_caption(text: str, width: int = MAX_CHARS_PER_LINE) -> list[str]:
    """Split a caption into at most two balanced lines of at most ``width`` characters.

    >>> wrap_caption("Committed means on a majority, not just the leader.")
    ['Committed means on a majority,', 'not just the leader.']
    """
    text = " ".join(text.split())
    if len(text) <= width:
        return [text]
    for w in range((len(text) + 1) // 2, width + 1):  # the narrowest width that still fits in two lines
        lines = textwrap.wrap(text, w, break_long_words=False, break_on_hyphens=False)  # lines join on spaces
        if len(lines) <= MAX_LINES:
            return lines
    raise ValueError(f"caption {text!r} does not fit in {MAX_LINES} lines of {width} characters")


def caption_problems(cues: list[Cue], video_duration: float | None = None) -> list[str]:
    """Everything wrong with a caption track, as readable sentences (empty when fine)."""
    problems = []
    previous_end = 0.0
    for i, cue in enumerate(cues, 1):
        where = f"cue {i} {cue.text!r}"
        if cue.start < previous_end - EPS:
            problems.append(f"{where} starts at {cue.start:.3f}s, before the previous cue ends")
        if cue.duration < MIN_CUE_S - EPS:
            problems.append(f"{where} lasts {cue.duration:.3f}s, less than {MIN_CUE_S}s")
        if len(cue.text) > MAX_CPS * cue.duration + EPS:
            problems.append(f"{where} needs {cue.cps:.2f} characters/s, more than {MAX_CPS:g}")
        try:
            wrap_caption(cue.text)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
        if video_duration is not None and cue.end > video_duration + EPS:
            problems.append(f"{where} ends at {cue.end:.3f}s, after the video ({video_duration:.3f}s)")
        previous_end = cue.end
    return problems


def chapter_problems(chapters: list[Chapter], video_duration: float | None = None) -> list[str]:
    """Everything wrong with a chapter list, as readable sentences (empty when fine)."""
    problems = []
    if not chapters or chapters[0].start > EPS:
        problems.append("the first chapter must start at 0:00")
    if not MIN_CHAPTERS <= len(chapters) <= MAX_CHAPTERS:
        problems.append(f"{len(chapters)} chapters, not {MIN_CHAPTERS}-{MAX_CHAPTERS}")
    for previous, chapter in zip(chapters, chapters[1:]):
        if abs(chapter.start - previous.end) > EPS:
            problems.append(f"chapter {chapter.title!r} starts at {chapter.start:.3f}s, not where "
                            f"{previous.title!r} ends ({previous.end:.3f}s)")
    for ch in chapters:
        if ch.end - ch.start < MIN_CHAPTER_S - EPS:
            problems.append(f"chapter {ch.title!r} lasts {ch.end - ch.start:.3f}s, less than {MIN_CHAPTER_S:g}s")
    if chapters and video_duration is not None and chapters[-1].end > video_duration + 0.0005 + EPS:  # ms rounding
        problems.append(f"the last chapter ends at {chapters[-1].end:.3f}s, after the video ({video_duration:.3f}s)")
    return problems
