"""Captions as data: wrapping, reading-speed checks, and WebVTT/SRT that real parsers read back."""

from __future__ import annotations

import io

import pytest
import srt
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from render.delivery.captionfiles import format_timestamp, to_chapters_vtt, to_srt, to_vtt
from scenes.captions import Chapter, Cue, caption_problems, chapter_problems, wrap_caption

words = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(words)
def test_wrap_keeps_words_and_limits(ws: list[str]) -> None:
    text = " ".join(ws)
    try:
        lines = wrap_caption(text)
    except ValueError:
        assert len(text) > 42
        return
    assert 1 <= len(lines) <= 2 and all(len(line) <= 42 for line in lines)
    assert " ".join(lines) == text


def test_wrap_balances_two_lines() -> None:
    lines = wrap_caption("Each request spends one token from the bucket until it runs dry.")
    assert len(lines) == 2 and abs(len(lines[0]) - len(lines[1])) <= 8


def test_timestamps() -> None:
    assert format_timestamp(3723.0456) == "01:02:03.046"
    assert format_timestamp(0.5, comma=True) == "00:00:00,500"


def test_vtt_and_srt_parse_back() -> None:
    cues = [Cue("A limit of 8 per 8 seconds...", 0.0, 3.2), Cue("...just let 16 through in 2 seconds <b>&</b>.", 3.2, 6.5)]
    vtt = webvtt.from_buffer(io.StringIO(to_vtt(cues)))
    assert [c.start_time.in_milliseconds() / 1000 for c in vtt] == [0.0, 3.2]
    parsed = list(srt.parse(to_srt(cues)))
    assert parsed[1].end.total_seconds() == 6.5
    assert " ".join(parsed[1].content.split("\n")) == cues[1].text


def test_chapters_vtt_parses() -> None:
    chapters = [Chapter("Hook", 0, 10), Chapter("Body", 10, 40), Chapter("End", 40, 55)]
    parsed = webvtt.from_buffer(io.StringIO(to_chapters_vtt(chapters)))
    assert [c.text for c in parsed] == ["Hook", "Body", "End"]
    assert chapter_problems(chapters) == []


@pytest.mark.parametrize(
    "cues, needle",
    [
        ([Cue("short", 0, 1.0)], "less than 1.5s"),
        ([Cue("x" * 40, 0, 2.0)], "characters/s"),
        ([Cue("fine caption", 0, 2.0), Cue("overlapping one", 1.0, 3.0)], "before the previous cue ends"),
        ([Cue("fine caption", 0, 12.0)], "after the video"),
        ([Cue("word " * 30, 0, 20.0)], "does not fit"),
    ],
)
def test_caption_problems(cues: list[Cue], needle: str) -> None:
    problems = caption_problems(cues, video_duration=10.0)
    assert any(needle in p for p in problems), problems


def test_chapter_problems() -> None:
    assert any("0:00" in p for p in chapter_problems([Chapter("a", 1, 20), Chapter("b", 20, 40), Chapter("c", 40, 60)]))
    assert any("1 chapters, not 3-7" in p for p in chapter_problems([Chapter("a", 0, 20)]))
    assert any("less than 10s" in p for p in chapter_problems([Chapter("a", 0, 5), Chapter("b", 5, 40), Chapter("c", 40, 60)]))


# --- the rules at their edges, with the numbers written here (never imported from the code under test) -----
CPS, MIN_S, LINE, CHAPTER_S = 17.0, 1.5, 42, 10.0


@pytest.mark.parametrize(("chars", "seconds", "ok"), [
    (34, 2.0, True),       # exactly 17 characters/s
    (35, 2.0, False),      # 17.5
    (36, 2.0, False),      # 18
    (17 * 3, 3.0, True),
    (17 * 3 + 1, 3.0, False),
])
def test_reading_speed_edge(chars: int, seconds: float, ok: bool) -> None:
    """Speed alone: every cue here is long enough (>= 1.5 s) and fits on two lines."""
    text = ("word " * 20)[:chars].strip().ljust(chars, "x")
    problems = caption_problems([Cue(text, 0.0, seconds)])
    assert (not problems) is ok, problems
    assert not any("less than" in p for p in problems)


@pytest.mark.parametrize(("seconds", "ok"), [(MIN_S, True), (MIN_S - 0.01, False), (1.0, False), (2.0, True)])
def test_shortest_cue_edge(seconds: float, ok: bool) -> None:
    """Length alone: a short text (well under 17 characters/s) on screen for ``seconds``."""
    problems = caption_problems([Cue("Short.", 0.0, seconds)])
    assert (not problems) is ok, problems
    assert not any("characters/s" in p for p in problems)


@pytest.mark.parametrize(("length", "ok"), [(CHAPTER_S, True), (CHAPTER_S - 0.01, False), (9.5, False)])
def test_shortest_chapter_edge(length: float, ok: bool) -> None:
    chapters = [Chapter("a", 0.0, length), Chapter("b", length, length + 20), Chapter("c", length + 20, length + 40)]
    assert (not chapter_problems(chapters)) is ok


def test_two_lines_of_forty_two() -> None:
    assert wrap_caption("x" * LINE) == ["x" * LINE]
    two = " ".join(["abcdefghij"] * 6)  # 65 characters: three words a line, two lines
    assert all(len(line) <= LINE for line in wrap_caption(two)) and len(wrap_caption(two)) == 2
    with pytest.raises(ValueError):
        wrap_caption(" ".join(["abcdefghij"] * 8) + " abc")  # 91 characters cannot fit in 2 x 42


def test_lines_break_only_at_spaces() -> None:
    """Players and the transcript join a cue's lines with a space: a break after a hyphen would read "stand- ins"."""
    text = "The new leader gives read-your-writes reads to every client"  # textwrap's default: "read-your-" / "writes"
    lines = wrap_caption(text)
    assert len(lines) == 2 and " ".join(lines) == text
