"""The delivery contract: what `explainers verify` checks, on the real preview render and on broken copies."""

from __future__ import annotations

import io
import json
import shutil
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import webvtt
from click.testing import CliRunner

from render.cli import cli
from render.delivery import mp4box as mp4
from render.delivery.captionfiles import chapter_lines, format_timestamp, hashtag, to_chapters_vtt, to_vtt, upload_description
from render.delivery.encoding import bitrate_reference, encoder_options
from render.delivery.gallery import script_json
from render.delivery.probe import probe
from render.delivery.verify import Check, TimedText, check_description, verify_video
from scenes.captions import Chapter, Cue
from conftest import xdist_group_of

TARGET_S = 100
CHECKS = [
    "moov before mdat", "no edit list", "constant frame rate", "H.264 High", "yuv420p", "progressive", "closed GOP", "keyframe ≤ 1 s",
    "≤ 2 B-frames", "BT.709 tags", "bitrate", "silent AAC-LC", "duration", "captions VTT = SRT",
    "captions in duration", "captions ≤ 17 cps, ≥ 1.5 s", "captions ≤ 2 × 42 chars", "chapters", "chapters in MP4",
    "upload description", "poster", "metadata",
]


@pytest.fixture(scope="module")
def checks(rate_limiting_preview: Path) -> dict[str, Check]:
    return {c.name: c for c in verify_video(rate_limiting_preview / "rate-limiting.mp4", TARGET_S)}


def test_verify_runs_every_check(checks: dict[str, Check]) -> None:
    assert list(checks) == CHECKS


def test_runs_on_the_worker_that_holds_the_preview(request: pytest.FixtureRequest, checks: dict[str, Check]) -> None:
    """Under ``-n 2 --dist loadgroup`` the tests of the shared preview run on one worker: their node ids carry
    the group (marks added after xdist has read them group nothing, and each worker renders its own)."""
    if getattr(request.config.option, "loadgroup", False):  # set on xdist's workers only
        assert request.node.nodeid.endswith("@preview"), request.node.nodeid
    assert checks


def test_a_test_is_grouped_by_the_shared_fixture_it_uses() -> None:
    assert xdist_group_of("test_cli", ["tmp_path", "rate_limiting_preview"], {}) == "preview"
    assert xdist_group_of("test_hardening", ["rendered", "tmp_path"], {}) == "hardening"
    assert xdist_group_of("test_explainers", ["rendered"], {"rendered": "raft-consensus"}) == "explainer-raft-consensus"
    assert xdist_group_of("test_explainers", ["tmp_path"], {}) is None
    assert xdist_group_of("test_performance", ["tmp_path"], {"explainer_id": "raft-consensus"}) is None


@pytest.mark.parametrize("name", CHECKS)
def test_preview_passes(checks: dict[str, Check], name: str) -> None:
    assert checks[name].passed, checks[name].detail


def test_probe_of_the_preview(rate_limiting_preview: Path) -> None:
    info = probe(rate_limiting_preview / "rate-limiting.mp4")
    assert info.top_level_boxes[:2] == ("ftyp", "moov") and info.moov_before_mdat
    assert info.edit_lists == 0
    assert (info.codec, info.profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    assert (info.color_primaries, info.color_trc, info.colorspace, info.color_range) == ("bt709",) * 3 + ("tv",)
    assert info.colour_box == (1, 1, 1)
    assert info.keyframes == info.idr_keyframes >= info.duration_s - 1
    assert info.max_keyframe_interval_s <= 1.0 + 1e-6
    assert 0 < info.max_consecutive_b_frames <= 2
    assert info.x264["bframes"] == "2" and info.x264["open_gop"] == "0" and info.x264["keyint"] == "15"
    assert info.video_bit_rate <= bitrate_reference(854, 480, 15)
    assert info.audio is not None and info.audio.peak == 0.0
    assert (info.audio.codec, info.audio.profile, info.audio.sample_rate, info.audio.channels) == ("aac", "LC", 48_000, 2)
    meta = json.loads((rate_limiting_preview / "rate-limiting.json").read_text(encoding="utf-8"))
    assert [t for t, _, _ in info.chapters] == [c["title"] for c in meta["chapters"]]
    assert meta["delivery"]["moov_before_mdat"] is True
    assert meta["delivery"]["max_consecutive_b_frames"] == info.max_consecutive_b_frames


def test_metadata_has_an_upload_description(rate_limiting_preview: Path) -> None:
    meta = json.loads((rate_limiting_preview / "rate-limiting.json").read_text(encoding="utf-8"))
    for name in ("title", "blurb", "category", "tags", "duration_s", "chapters", "transcript", "files"):
        assert meta[name]
    text = meta["upload_description"]
    assert text.startswith(meta["blurb"])
    assert "\n0:00 " + meta["chapters"][0]["title"] + "\n" in text
    assert text.rstrip().endswith("#RateLimiting #TokenBucket #SlidingWindow")


def test_verify_command_passes_on_the_preview(rate_limiting_preview: Path) -> None:
    result = CliRunner().invoke(cli, ["verify", str(rate_limiting_preview)])
    assert result.exit_code == 0, result.output
    assert f"all {len(CHECKS)} checks passed on 1 file(s)" in result.output
    assert "FAIL" not in result.output


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.html", "catalog.json", "frames"))
    return dst


def _plain_remux(source: Path, target: Path) -> None:
    """Remux the way a stock muxer does: moov at the end, an edit list, the video only."""
    with av.open(str(source)) as src, av.open(str(target), "w", format="mp4") as sink:
        stream = src.streams.video[0]
        out = sink.add_stream_from_template(stream)
        for packet in src.demux(stream):
            if packet.dts is None:
                continue
            packet.stream = out
            sink.mux(packet)


def _failed(output: str) -> set[str]:
    """The checks the table marks FAIL (its rows are ``│ file │ check │ result │ detail │``)."""
    rows = [[cell.strip() for cell in line.split("│")] for line in output.splitlines() if line.startswith("│")]
    return {row[2] for row in rows if len(row) > 4 and row[3] == "FAIL"}


def test_verify_fails_a_stock_remux(rate_limiting_preview: Path, tmp_path: Path) -> None:
    broken = _copy(rate_limiting_preview, tmp_path / "broken")
    _plain_remux(rate_limiting_preview / "rate-limiting.mp4", broken / "rate-limiting.mp4")
    results = {c.name: c for c in verify_video(broken / "rate-limiting.mp4", TARGET_S)}
    failed = {name for name, c in results.items() if not c.passed}
    assert {"moov before mdat", "no edit list", "silent AAC-LC", "chapters in MP4", "metadata"} <= failed
    assert "H.264 High" not in failed and "captions ≤ 17 cps, ≥ 1.5 s" not in failed
    result = CliRunner().invoke(cli, ["verify", str(broken)])
    assert result.exit_code == 1
    assert f"Error: {len(failed)} of {len(CHECKS)} checks failed in 1 of 1 file(s)" in result.output
    assert _failed(result.output) == failed


def test_verify_fails_a_too_fast_caption(rate_limiting_preview: Path, tmp_path: Path) -> None:
    broken = _copy(rate_limiting_preview, tmp_path / "broken")
    vtt = broken / "rate-limiting.vtt"
    lines = vtt.read_text(encoding="utf-8").split("\n")
    i = next(i for i, line in enumerate(lines) if " --> " in line)
    start = lines[i].split(" --> ")[0]
    hours, minutes, seconds = start.split(":")
    lines[i] = f"{start} --> {format_timestamp(int(hours) * 3600 + int(minutes) * 60 + float(seconds) + 0.5)}"
    vtt.write_text("\n".join(lines), encoding="utf-8")
    result = CliRunner().invoke(cli, ["verify", str(broken)])
    assert result.exit_code == 1, result.output
    assert {"captions ≤ 17 cps, ≥ 1.5 s", "captions VTT = SRT"} <= _failed(result.output)
    assert "moov before mdat" not in _failed(result.output)


def _set_first_cue(files: Path, text: str, seconds: float) -> None:
    """Rewrite the first cue of both caption files: ``text`` on screen for ``seconds``."""
    from render.delivery.captionfiles import to_srt, to_vtt

    meta = json.loads((files / "rate-limiting.json").read_text(encoding="utf-8"))
    cues = [Cue(c["text"], c["start"], c["end"]) for c in meta["captions"]]
    cues[0] = Cue(text, cues[0].start, cues[0].start + seconds)
    (files / "rate-limiting.vtt").write_text(to_vtt(cues), encoding="utf-8")
    (files / "rate-limiting.srt").write_text(to_srt(cues), encoding="utf-8")


@pytest.mark.parametrize(("chars", "seconds", "ok"), [(34, 2.0, True), (35, 2.0, False), (36, 2.0, False),
                                                     (6, 1.5, True), (6, 1.49, False)])
def test_verify_reads_the_rules_at_their_edges(rate_limiting_preview: Path, tmp_path: Path, chars: int,
                                               seconds: float, ok: bool) -> None:
    """17 characters/s and 1.5 s, each on its own (the numbers are written here, not imported)."""
    files = _copy(rate_limiting_preview, tmp_path / "edge")
    _set_first_cue(files, "x" * chars, seconds)
    check = next(c for c in verify_video(files / "rate-limiting.mp4", TARGET_S)
                 if c.name == "captions ≤ 17 cps, ≥ 1.5 s")
    assert check.passed is ok, check.detail


@pytest.mark.parametrize(("length", "ok"), [(10.0, True), (9.99, False), (9.5, False)])
def test_verify_reads_the_chapter_rule_at_its_edge(rate_limiting_preview: Path, tmp_path: Path, length: float,
                                                   ok: bool) -> None:
    from render.delivery.captionfiles import to_chapters_vtt

    files = _copy(rate_limiting_preview, tmp_path / "chapters")
    meta = json.loads((files / "rate-limiting.json").read_text(encoding="utf-8"))
    chapters = [Chapter(c["title"], c["start"], c["end"]) for c in meta["chapters"]]
    chapters[0:2] = [Chapter(chapters[0].title, 0.0, length), Chapter(chapters[1].title, length, chapters[1].end)]
    (files / "rate-limiting.chapters.vtt").write_text(to_chapters_vtt(chapters), encoding="utf-8")
    check = next(c for c in verify_video(files / "rate-limiting.mp4", TARGET_S) if c.name == "chapters")
    assert check.passed is ok, check.detail


def test_each_caption_appears_on_its_own_frame(rate_limiting_preview: Path) -> None:
    """The caption band (where nothing but captions is drawn) changes exactly on the frames where the
    caption files say a caption starts or ends: a track shifted by one frame would fail."""
    import av
    import numpy as np

    from scenes.kit import theme

    video = rate_limiting_preview / "rate-limiting.mp4"
    meta = json.loads((rate_limiting_preview / "rate-limiting.json").read_text(encoding="utf-8"))
    fps, height = meta["fps"], meta["height"]
    top = int(np.ceil((4 - theme.CONTENT_BOTTOM) / 8 * height)) + 1  # rows of the caption band
    masks = []
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            band = frame.to_ndarray(format="gray")[top:]
            masks.append(band > 200)  # the caption's light text on its dark band
    # the n-th picture is the scene's frame n (the reorder delay shifts every picture alike); a changed caption
    # changes hundreds of pixels, codec noise at the text's edges a few dozen
    changes = {k for k in range(1, len(masks)) if (masks[k] != masks[k - 1]).sum() > 150}
    expected = set()
    for cue in meta["captions"]:
        expected |= {round(cue["start"] * fps), round(cue["end"] * fps)}
    expected = {k for k in expected if 0 < k < len(masks)}
    assert len(meta["captions"]) > 10
    assert changes == expected, (sorted(changes - expected)[:5], sorted(expected - changes)[:5])


def test_verify_without_videos_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["verify", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output == f"Error: {tmp_path}: no videos to verify (render some with 'explainers render')\n"
    assert CliRunner().invoke(cli, ["verify", str(tmp_path / "nowhere")]).exit_code == 2


# --- the pieces, without a render -----------------------------------------------------------------------

def test_encoder_converts_with_the_bt709_matrix(tmp_path: Path) -> None:
    """Manim's stock path converts RGB with the BT.601 matrix; ours matches the BT.709 tags."""
    from manim._config.video_encoder import VideoEncoderSpec

    from render.engine.encoder import Bt709SegmentEncoder

    green = (0, 158, 115)  # the theme's bluish green
    pixels = np.zeros((64, 64, 4), np.uint8)
    pixels[..., :3], pixels[..., 3] = green, 255
    spec = VideoEncoderSpec("mp4", "libx264", "yuv420p", 64, 64, Fraction(15), tuple(encoder_options(15, 64, 64).items()))
    encoder = Bt709SegmentEncoder(target=tmp_path / "green.mp4", spec=spec)
    encoder.write_frame(pixels, repeat=20)
    encoder.finish()
    with av.open(str(tmp_path / "green.mp4")) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 20
    y = frames[-1].to_ndarray(format="yuv420p")[:64].astype(float).mean()
    r, g, b = (c / 255 for c in green)
    bt709_y = 16 + 219 * (0.2126 * r + 0.7152 * g + 0.0722 * b)  # 120.2; BT.601 would give 106.9
    assert abs(y - bt709_y) < 1.5
    assert np.abs(frames[-1].to_ndarray(format="rgb24")[32, 32].astype(int) - green).max() <= 3


def test_encoder_options_cap_the_bitrate_at_the_reference() -> None:
    assert encoder_options(60)["maxrate"] == "12000000"
    assert bitrate_reference(854, 480, 15) == 593_055
    options = encoder_options(15, 854, 480)
    assert options["g"] == options["keyint_min"] == "15" and options["bf"] == "2"


def test_box_reader_and_nal_parser(tmp_path: Path) -> None:
    path = tmp_path / "boxes.mp4"
    free = (16).to_bytes(4, "big") + b"free" + b"\0" * 8
    elst = (12).to_bytes(4, "big") + b"elst" + b"\0" * 4
    edts = (8 + len(elst)).to_bytes(4, "big") + b"edts" + elst
    trak = (8 + len(edts)).to_bytes(4, "big") + b"trak" + edts
    moov = (8 + len(trak)).to_bytes(4, "big") + b"moov" + trak
    mdat = (12).to_bytes(4, "big") + b"mdat" + b"\1\2\3\4"
    path.write_bytes(free + mdat + moov)
    boxes = mp4.read_boxes(path)
    assert [b.path for b in boxes] == ["free", "mdat", "moov", "moov/trak", "moov/trak/edts", "moov/trak/edts/elst"]
    assert len(mp4.find_boxes(boxes, "elst")) == 1
    # an IDR slice (type 5) with slice_type I (ue 7 -> bits 0001000), and a B slice (ue 1 -> 010)
    idr = bytes([0x65, 0b10001000, 0x80])
    b_slice = bytes([0x01, 0b10100000])
    packet = len(idr).to_bytes(4, "big") + idr
    assert mp4.packet_picture(packet, 4) == (True, "I")
    assert mp4.packet_picture(len(b_slice).to_bytes(4, "big") + b_slice, 4) == (False, "B")
    assert mp4.x264_settings(b"junk x264 - core 164 - options: bframes=2 open_gop=0\0rest") == {
        "bframes": "2", "open_gop": "0"}


def test_upload_description_and_chapter_lines() -> None:
    chapters = [Chapter("Intro", 0.0, 9.6), Chapter("Token bucket", 9.6, 70.4), Chapter("Wrap-up", 70.4, 3700.0)]
    assert chapter_lines(chapters) == ["0:00 Intro", "0:10 Token bucket", "1:10 Wrap-up"]
    assert chapter_lines([Chapter("Late", 3725.2, 3800)]) == ["1:02:05 Late"]
    text = upload_description("A  blurb\nacross lines.", chapters, ["Rate Limiting", "Two-Phase Commit (2PC)", "x"])
    assert text == ("A blurb across lines.\n\n0:00 Intro\n0:10 Token bucket\n1:10 Wrap-up\n\n"
                    "#RateLimiting #TwoPhaseCommit2PC #X\n")
    assert hashtag("acks=all") == "#AcksAll" and hashtag("--") == ""


def test_description_check_reads_what_the_description_wrote() -> None:
    """``<`` and ``>`` become ‹ › in an upload description (forms refuse them); verify compares like with like."""
    chapters = [Chapter("R + W > N", 0.0, 30.0), Chapter("W < 3", 30.0, 60.0), Chapter("Wrap-up", 60.0, 90.0)]
    meta = {"blurb": "Quorums: R + W > N means every read meets the last write.", "tags": ["Quorum"]}
    meta["upload_description"] = upload_description(meta["blurb"], chapters, meta["tags"])
    assert "R + W \u203a N" in meta["upload_description"]
    read_back = [TimedText(c.start, c.end, (c.title,)) for c in chapters]  # as the chapters VTT parses back
    check = check_description(meta, read_back)
    assert check.passed, check.detail
    meta["upload_description"] = meta["upload_description"].replace("0:30 W \u2039 3", "0:30 W 3")
    assert "differ" in check_description(meta, read_back).detail


@pytest.mark.parametrize("start", [0.0, 0.49, 0.5, 7.3, 59.5])
def test_chapter_lines_keep_ten_seconds(start: float) -> None:
    chapters = [Chapter("a", 0, start + 10), Chapter("b", start + 10, start + 20), Chapter("c", start + 20, start + 30)]
    stamps = [line.split()[0].split(":") for line in chapter_lines(chapters)]
    seconds = [int(m) * 60 + int(sec) for m, sec in stamps]
    assert all(b - a >= 10 for a, b in zip(seconds, seconds[1:]))


def test_vtt_escapes_markup_and_parses_back() -> None:
    cues = [Cue("R + W > N & W < 3", 0.0, 2.0)]
    vtt = to_vtt(cues)
    assert "R + W &gt; N &amp; W &lt; 3" in vtt
    parsed = webvtt.from_buffer(io.StringIO(vtt))
    assert len(parsed) == 1
    chapters = webvtt.from_buffer(io.StringIO(to_chapters_vtt([Chapter("<b>x</b>", 0, 12)])))
    assert chapters[0].text == "&lt;b&gt;x&lt;/b&gt;"


def test_script_json_cannot_close_its_script() -> None:
    text = script_json({"t": "</script><script>alert(1)</script> & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"t": "</script><script>alert(1)</script> & \u2028"}
