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
