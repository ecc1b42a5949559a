"""``explainers verify``: check that every delivery file in a directory keeps the output contract.

Each check is a plain function returning a :class:`Check` ``(name, passed,
detail)``. :func:`verify_video` runs them all on one ``<id>.mp4`` and its
sidecar files (``.vtt``, ``.srt``, ``.chapters.vtt``, ``.jpg``, ``.json``);
the MP4 is probed with PyAV and the box reader (:func:`render.delivery.probe.probe`),
the captions are parsed back with webvtt-py and srt.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import srt
import webvtt

from render.delivery.captionfiles import plain_line
from render.delivery.encoding import bitrate_reference
from render.delivery.probe import Probe, probe
from render.delivery.remux import AUDIO_RATE
from render.fsio import TEMP_MARK, sha256_file
from scenes.captions import MAX_CHARS_PER_LINE, MAX_CPS, MAX_LINES, MIN_CHAPTER_S, MIN_CUE_S

__all__ = [
    "Check",
    "TimedText",
    "find_videos",
    "read_srt",
    "read_vtt",
    "verify_dir",
    "verify_video",
]

DURATION_TOLERANCE = 0.10  #: rendered length vs the catalog target
MAX_KEYFRAME_INTERVAL_S = 1.0
MAX_B_FRAMES = 2
MIN_BITRATE_SHARE = 0.01  #: of the reference: below that the encode is starved (or blank)
MAX_PEAK_SHARE = 2.0  #: the most bits in any 1 s window, as a multiple of the reference
EPS = 1e-3
METADATA_FIELDS = ("title", "blurb", "category", "tags", "duration_s", "chapters", "transcript", "files",
                   "upload_description")


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class TimedText:
    """A cue read back from a file: start and end in seconds, and its text lines as displayed."""

    start: float
    end: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def read_vtt(path: Path) -> list[TimedText]:
    """Parse a WebVTT file with webvtt-py (tags stripped, entities decoded)."""
    return [
        TimedText(c.start_time.in_milliseconds() / 1000, c.end_time.in_milliseconds() / 1000,
                  tuple(html.unescape(c.text).split("\n")))
        for c in webvtt.read(str(path))
    ]


def read_srt(path: Path) -> list[TimedText]:
    """Parse an SRT file with srt."""
    subs = srt.parse(Path(path).read_text(encoding="utf-8"))
    return [TimedText(s.start.total_seconds(), s.end.total_seconds(), tuple(s.content.split("\n"))) for s in subs]


# --- the container and the video stream -----------------------------------------------------------------

def check_faststart(info: Probe) -> Check:
    return Check("moov before mdat", info.moov_before_mdat, ", ".join(info.top_level_boxes))


def check_no_edit_list(info: Probe) -> Check:
    return Check("no edit list", info.edit_lists == 0,
                 "no elst box" if info.edit_lists == 0 else f"{info.edit_lists} elst box(es)")


def check_constant_frame_rate(info: Probe) -> Check:
    intervals = ", ".join(f"{count} x {ticks}" for ticks, count in info.frame_intervals) or "no frames"
    return Check("constant frame rate", info.constant_frame_rate and info.frames > 1,
                 f"frame intervals (ticks of {info.time_base} s): {intervals}")


def check_h264_high(info: Probe) -> Check:
    ok = info.codec == "h264" and info.profile == "High"
    return Check("H.264 High", ok, f"{info.codec} {info.profile}".strip())


def check_yuv420p(info: Probe) -> Check:
    return Check("yuv420p", info.pix_fmt == "yuv420p", info.pix_fmt)


def check_progressive(info: Probe) -> Check:
    flag = info.x264.get("interlaced")
    ok = not info.interlaced and flag in (None, "0")
    detail = "interlaced frames" if info.interlaced else "progressive frames"
    if flag is not None:
        detail += f", x264 interlaced={flag}"
    return Check("progressive", ok, detail)


def check_closed_gop(info: Probe) -> Check:
    open_gop = info.x264.get("open_gop")
    ok = info.keyframes > 0 and info.idr_keyframes == info.keyframes and open_gop in (None, "0")
    detail = f"{info.idr_keyframes} of {info.keyframes} keyframes are IDR"
    if open_gop is not None:
        detail += f", x264 open_gop={open_gop}"
    return Check("closed GOP", ok, detail)


def check_keyframe_interval(info: Probe) -> Check:
    limit = MAX_KEYFRAME_INTERVAL_S + 0.5 / (info.fps or 1)
    return Check("keyframe ≤ 1 s", 0 < info.max_keyframe_interval_s <= limit,
                 f"longest GOP {info.max_keyframe_interval_s:.3f} s ({info.keyframes} keyframes)")


def check_b_frames(info: Probe) -> Check:
    declared = info.x264.get("bframes")
    ok = info.max_consecutive_b_frames <= MAX_B_FRAMES and (declared is None or int(declared) <= MAX_B_FRAMES)
    detail = f"at most {info.max_consecutive_b_frames} in a row ({info.b_frames} B-frames)"
    if declared is not None:
        detail += f", x264 bframes={declared}"
    return Check("≤ 2 B-frames", ok, detail)


def check_bt709(info: Probe) -> Check:
    tags = (info.color_primaries, info.color_trc, info.colorspace)
    ok = tags == ("bt709", "bt709", "bt709") and info.colour_box in (None, (1, 1, 1))
    detail = f"primaries {tags[0]}, transfer {tags[1]}, matrix {tags[2]}, range {info.color_range}"
    detail += f"; colr nclx {'/'.join(map(str, info.colour_box))}" if info.colour_box else "; no colr box"
    return Check("BT.709 tags", ok, detail)


def check_bitrate(info: Probe) -> Check:
    reference = bitrate_reference(info.width, info.height, info.fps)
    ok = (MIN_BITRATE_SHARE * reference <= info.video_bit_rate <= reference
          and info.peak_bit_rate <= MAX_PEAK_SHARE * reference)
    detail = (f"video {info.video_bit_rate / 1000:.0f} kb/s, peak {info.peak_bit_rate / 1000:.0f} kb/s in 1 s; "
              f"reference {reference / 1000:.0f} kb/s for {info.width}x{info.height}@{info.fps:g}")
    return Check("bitrate", ok, detail)


def check_silent_audio(info: Probe) -> Check:
    audio = info.audio
    if audio is None:
        return Check("silent AAC-LC", False, "no audio track (the contract carries a silent AAC-LC 48 kHz stereo track)")
    video_end = info.start_s + info.duration_s
    ok = (audio.codec == "aac" and audio.profile == "LC" and audio.sample_rate == AUDIO_RATE and audio.channels == 2
          and audio.peak <= 1e-4 and abs(audio.duration_s - video_end) <= 0.05)
    detail = (f"{audio.codec} {audio.profile} {audio.sample_rate} Hz {audio.layout}, peak {audio.peak:g}, "
              f"{audio.duration_s:.3f} s (video ends at {video_end:.3f} s)")
    return Check("silent AAC-LC", ok, detail)


def check_duration(info: Probe, target_s: float | None) -> Check:
    if not target_s:
        return Check("duration", False, f"{info.duration_s:.2f} s, no target to compare with")
    off = info.duration_s / target_s - 1
    return Check("duration", abs(off) <= DURATION_TOLERANCE + EPS,
                 f"{info.duration_s:.2f} s vs target {target_s:g} s ({off:+.1%}, ±{DURATION_TOLERANCE:.0%} allowed)")


# --- captions, chapters, description --------------------------------------------------------------------

def check_captions_agree(vtt: list[TimedText], subs: list[TimedText]) -> Check:
    problems = []
    if not vtt:
        problems.append("no cues")
    if len(vtt) != len(subs):
        problems.append(f"VTT has {len(vtt)} cues, SRT {len(subs)}")
    for i, (a, b) in enumerate(zip(vtt, subs), 1):
        if abs(a.start - b.start) > EPS or abs(a.end - b.end) > EPS or a.lines != b.lines:
            problems.append(f"cue {i} differs between VTT and SRT")
            break
    return Check("captions VTT = SRT", not problems, "; ".join(problems) or f"{len(vtt)} cues in both")


def check_captions_timing(cues: list[TimedText], duration_s: float) -> Check:
    problems = []
    previous_end = 0.0
    for i, cue in enumerate(cues, 1):
        if cue.end <= cue.start:
            problems.append(f"cue {i} ends before it starts")
        if cue.start < previous_end - EPS:
            problems.append(f"cue {i} overlaps the previous one")
        previous_end = cue.end
    last = max((c.end for c in cues), default=0.0)
    if last > duration_s + EPS:
        problems.append(f"a cue ends at {last:.3f} s, after the video ({duration_s:.3f} s)")
    return Check("captions in duration", bool(cues) and not problems,
                 "; ".join(problems[:2]) or f"last cue ends at {last:.2f} s of {duration_s:.2f} s")


def check_captions_reading(cues: list[TimedText]) -> Check:
    if not cues:
        return Check("captions ≤ 17 cps, ≥ 1.5 s", False, "no cues")
    fastest = max(cues, key=lambda c: len(c.text) / max(c.end - c.start, EPS))
    shortest = min(cues, key=lambda c: c.end - c.start)
    cps = len(fastest.text) / max(fastest.end - fastest.start, EPS)
    length = shortest.end - shortest.start
    ok = cps <= MAX_CPS + EPS and length >= MIN_CUE_S - EPS
    detail = f"fastest {cps:.1f} cps, shortest {length:.2f} s"
    if not ok:
        worst = fastest if cps > MAX_CPS + EPS else shortest
        detail += f" ({worst.text[:40]!r} at {worst.start:.2f} s)"
    return Check("captions ≤ 17 cps, ≥ 1.5 s", ok, detail)


def check_caption_lines(cues: list[TimedText]) -> Check:
    most_lines = max((len(c.lines) for c in cues), default=0)
    longest = max((len(line) for c in cues for line in c.lines), default=0)
    ok = bool(cues) and most_lines <= MAX_LINES and longest <= MAX_CHARS_PER_LINE
    return Check("captions ≤ 2 × 42 chars", ok, f"at most {most_lines} line(s), longest {longest} characters")


def check_chapters(chapters: list[TimedText], duration_s: float) -> Check:
    problems = []
    if len(chapters) < 3:
        problems.append(f"{len(chapters)} chapters, fewer than 3")
    if chapters and chapters[0].start > EPS:
        problems.append(f"the first starts at {chapters[0].start:.2f} s, not 0:00")
    for ch in chapters:
        if ch.end - ch.start < MIN_CHAPTER_S - EPS:
            problems.append(f"{ch.text!r} lasts {ch.end - ch.start:.2f} s, less than {MIN_CHAPTER_S:g} s")
    if chapters and chapters[-1].end > duration_s + 0.05:
        problems.append(f"the last ends at {chapters[-1].end:.2f} s, after the video")
    shortest = min((c.end - c.start for c in chapters), default=0.0)
    return Check("chapters", not problems,
                 "; ".join(problems) or f"{len(chapters)} chapters from 0:00, shortest {shortest:.1f} s")


def check_mp4_chapters(info: Probe, chapters: list[TimedText]) -> Check:
    marks = info.chapters
    ok = len(marks) == len(chapters) > 0 and all(
        title == ch.text and abs(start - ch.start) <= 0.01 for (title, start, _), ch in zip(marks, chapters))
    detail = f"{len(marks)} chapter marks in the MP4" + ("" if ok else f", {len(chapters)} in the chapters file")
    return Check("chapters in MP4", ok, detail)


_LINE = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2}) (.+)$")


def check_description(meta: Mapping[str, Any], chapters: list[TimedText]) -> Check:
    text = meta.get("upload_description")
    if not isinstance(text, str) or not text.strip():
        return Check("upload description", False, "no upload_description in the metadata")
    stamps = []
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match:
            hours, minutes, seconds, title = match.groups()
            stamps.append((int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds), title))
    problems = []
    if not stamps or stamps[0][0] != 0:
        problems.append("no 0:00 line first")
    if len(stamps) < 3:
        problems.append(f"{len(stamps)} chapter lines, fewer than 3")
    gaps = [b[0] - a[0] for a, b in zip(stamps, stamps[1:])]
    if any(g < MIN_CHAPTER_S for g in gaps):
        problems.append(f"chapter lines {min(gaps)} s apart, less than {MIN_CHAPTER_S:g} s")
    if [t for _, t in stamps] != [plain_line(c.text) for c in chapters]:  # as upload_description wrote them
        problems.append("chapter lines differ from the chapters file")
    blurb = plain_line(str(meta.get("blurb", "")))
    if blurb and blurb not in " ".join(text.split()):
        problems.append("the blurb is missing")
    if not re.search(r"(^|\s)#\w", text):
        problems.append("no hashtags")
    return Check("upload description", not problems,
                 "; ".join(problems) or f"blurb, {len(stamps)} chapter lines, hashtags")


# --- poster and metadata --------------------------------------------------------------------------------

def check_poster(poster: Path, info: Probe) -> Check:
    from PIL import Image

    if not poster.is_file():
        return Check("poster", False, f"{poster.name} is missing")
    with Image.open(poster) as image:
        image.load()
        fmt, size = image.format, image.size
    ok = fmt == "JPEG" and size == (info.width, info.height)
    return Check("poster", ok, f"{fmt} {size[0]}x{size[1]}")


def check_metadata(meta: Mapping[str, Any], out_dir: Path, info: Probe, cues: list[TimedText]) -> Check:
    problems = [f"no {name!r}" for name in METADATA_FIELDS if name not in meta]
    files = meta.get("files") or {}
    for name, entry in sorted(files.items()):
        path = Path(out_dir) / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif path.stat().st_size != entry.get("bytes") or sha256_file(path) != entry.get("sha256"):
            problems.append(f"{name} does not match its size/sha256")
    if "duration_s" in meta and abs(float(meta["duration_s"]) - info.duration_s) > 0.01:
        problems.append(f"duration_s {meta['duration_s']} but the file lasts {info.duration_s:.3f} s")
    if "transcript" in meta and " ".join(str(meta["transcript"]).split()) != " ".join(c.text for c in cues):
        problems.append("the transcript is not the caption text in order")
    return Check("metadata", not problems, "; ".join(problems[:3]) or f"{len(files)} files, sizes and sha256 match")


# --- running them ---------------------------------------------------------------------------------------

def _guard(name: str, run: Callable[[], Check]) -> Check:
    """Run one check; a file it cannot read fails that check instead of the whole run."""
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - reported as the check's failure
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Check(name, False, f"could not check: {message[:120]}")


def _load(loader: Callable[[Path], Any], path: Path) -> tuple[Any, str | None]:
    if not path.is_file():
        return None, f"{path.name} is missing"
    try:
        return loader(path), None
    except Exception as exc:  # noqa: BLE001 - a parse failure is a failed check
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, f"{path.name}: {message[:120]}"


def verify_video(mp4: Path, target_s: float | None = None) -> list[Check]:
    """Every check on ``mp4`` and its sidecars; ``target_s`` is the catalog's target length."""
    mp4 = Path(mp4)
    out_dir, stem = mp4.parent, mp4.stem
    info, error = _load(probe, mp4)
    if info is None:
        return [Check("probe", False, error or "cannot open")]
    vtt, vtt_error = _load(read_vtt, out_dir / f"{stem}.vtt")
    subs, srt_error = _load(read_srt, out_dir / f"{stem}.srt")
    chapters, chapters_error = _load(read_vtt, out_dir / f"{stem}.chapters.vtt")
    meta, meta_error = _load(lambda p: json.loads(p.read_text(encoding="utf-8")), out_dir / f"{stem}.json")
    if target_s is None and isinstance(meta, dict):
        target_s = meta.get("target_duration_s")

    def needs(name: str, run: Callable[[], Check], *loaded: tuple[Any, str | None]) -> Check:
        for value, problem in loaded:
            if value is None:
                return Check(name, False, problem or "missing")
        return _guard(name, run)

    v, s, c, m = (vtt, vtt_error), (subs, srt_error), (chapters, chapters_error), (meta, meta_error)
    return [
        _guard("moov before mdat", lambda: check_faststart(info)),
        _guard("no edit list", lambda: check_no_edit_list(info)),
        _guard("constant frame rate", lambda: check_constant_frame_rate(info)),
        _guard("H.264 High", lambda: check_h264_high(info)),
        _guard("yuv420p", lambda: check_yuv420p(info)),
        _guard("progressive", lambda: check_progressive(info)),
        _guard("closed GOP", lambda: check_closed_gop(info)),
        _guard("keyframe ≤ 1 s", lambda: check_keyframe_interval(info)),
        _guard("≤ 2 B-frames", lambda: check_b_frames(info)),
        _guard("BT.709 tags", lambda: check_bt709(info)),
        _guard("bitrate", lambda: check_bitrate(info)),
        _guard("silent AAC-LC", lambda: check_silent_audio(info)),
        _guard("duration", lambda: check_duration(info, target_s)),
        needs("captions VTT = SRT", lambda: check_captions_agree(vtt, subs), v, s),
        needs("captions in duration", lambda: check_captions_timing(vtt, info.duration_s), v),
        needs("captions ≤ 17 cps, ≥ 1.5 s", lambda: check_captions_reading(vtt), v),
        needs("captions ≤ 2 × 42 chars", lambda: check_caption_lines(vtt), v),
        needs("chapters", lambda: check_chapters(chapters, info.duration_s), c),
        needs("chapters in MP4", lambda: check_mp4_chapters(info, chapters), c),
        needs("upload description", lambda: check_description(meta, chapters), m, c),
        _guard("poster", lambda: check_poster(out_dir / f"{stem}.jpg", info)),
        needs("metadata", lambda: check_metadata(meta, out_dir, info, vtt), m, v),
    ]


def find_videos(out_dir: Path) -> list[Path]:
    """The delivery MP4s in ``out_dir`` (not the hidden temporary files of an unfinished write)."""
    return sorted(p for p in Path(out_dir).glob("*.mp4")
                  if p.is_file() and not p.name.startswith(".") and TEMP_MARK not in p.name)


def verify_dir(out_dir: Path, targets: Mapping[str, float] | None = None,
               videos: Iterable[Path] | None = None) -> dict[str, list[Check]]:
    """``{file name: checks}`` for every MP4 in ``out_dir``; ``targets`` maps id -> target seconds."""
    targets = targets or {}
    results = {}
    for mp4 in (find_videos(out_dir) if videos is None else videos):
        results[mp4.name] = verify_video(mp4, targets.get(mp4.stem))
    return results
