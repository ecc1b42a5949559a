"""A real preview render of Rate Limiting: the file, its captions and chapters, and up-to-date skipping."""

from __future__ import annotations

import json
from pathlib import Path

import av
import srt
import webvtt

from render.captions import MAX_CPS, MIN_CUE_S
from render.catalog import load_catalog
from render.pipeline import RenderSettings, render_one
from render.postprocess import probe

TARGET_S = 100


def _secs(timestamp) -> float:
    """webvtt-py's *_in_seconds are whole seconds; use milliseconds."""
    return timestamp.in_milliseconds() / 1000


def test_mp4_opens_and_lasts_the_target(rate_limiting_preview: Path) -> None:
    mp4 = rate_limiting_preview / "rate-limiting.mp4"
    with av.open(str(mp4)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (854, 480)
        first = next(container.decode(stream))
        assert first.width == 854
    info = probe(mp4)
    assert abs(info.duration_s - TARGET_S) <= 0.1 * TARGET_S, info.duration_s
    assert info.fps == 15


def test_captions_parse_and_end_before_the_video(rate_limiting_preview: Path) -> None:
    duration = probe(rate_limiting_preview / "rate-limiting.mp4").duration_s
    vtt = webvtt.read(str(rate_limiting_preview / "rate-limiting.vtt"))
    subs = list(srt.parse((rate_limiting_preview / "rate-limiting.srt").read_text(encoding="utf-8")))
    meta = json.loads((rate_limiting_preview / "rate-limiting.json").read_text(encoding="utf-8"))
    assert len(vtt) == len(subs) == len(meta["captions"]) >= 10
    assert _secs(vtt[-1].end_time) < duration
    assert subs[-1].end.total_seconds() < duration
    for cue, sub, recorded in zip(vtt, subs, meta["captions"]):
        text = " ".join(cue.text.split("\n"))
        assert text == recorded["text"] == " ".join(sub.content.split("\n"))
        length = _secs(cue.end_time) - _secs(cue.start_time)
        assert length >= MIN_CUE_S - 1e-3
        assert len(text) / length <= MAX_CPS
        assert all(len(line) <= 42 for line in cue.text.split("\n")) and len(cue.text.split("\n")) <= 2
    starts = [_secs(c.start_time) for c in vtt]
    assert starts == sorted(starts)


def test_chapters_cover_the_video(rate_limiting_preview: Path) -> None:
    meta = json.loads((rate_limiting_preview / "rate-limiting.json").read_text(encoding="utf-8"))
    chapters = meta["chapters"]
    assert 3 <= len(chapters) <= 7
    assert chapters[0]["start"] == 0
    assert all(c["end"] - c["start"] >= 10 for c in chapters)
    assert abs(chapters[-1]["end"] - meta["duration_s"]) < 0.2
    assert len(webvtt.read(str(rate_limiting_preview / "rate-limiting.chapters.vtt"))) == len(chapters)


def test_metadata_matches_the_files(rate_limiting_preview: Path) -> None:
    from render.fsio import sha256_file

    meta = json.loads((rate_limiting_preview / "rate-limiting.json").read_text(encoding="utf-8"))
    assert meta["title"] == "Rate Limiting Algorithms"
    for name, info in meta["files"].items():
        path = rate_limiting_preview / name
        assert path.stat().st_size == info["bytes"]
        assert sha256_file(path) == info["sha256"]
    assert meta["transcript"].startswith(meta["captions"][0]["text"])
    assert not [p for p in rate_limiting_preview.iterdir() if ".tmp-" in p.name]


def test_poster_is_a_mechanism_frame(rate_limiting_preview: Path) -> None:
    from PIL import Image

    with Image.open(rate_limiting_preview / "rate-limiting.jpg") as poster:
        assert poster.size == (854, 480)
        # not a flat title-card frame: the lanes and marks give many distinct colors
        assert len(set(poster.convert("RGB").resize((214, 120)).getdata())) > 200


def test_up_to_date_output_is_skipped(rate_limiting_preview: Path) -> None:
    explainer = load_catalog().get("rate-limiting")
    before = (rate_limiting_preview / "rate-limiting.mp4").stat().st_mtime_ns
    outcome = render_one(explainer, RenderSettings(out_dir=rate_limiting_preview, quality="preview"))
    assert outcome.status == "skipped"
    assert (rate_limiting_preview / "rate-limiting.mp4").stat().st_mtime_ns == before
