"""The gallery page in a real browser: Debian's chromium driven by Playwright, the page served on 127.0.0.1.

Screenshots go to $TMPDIR/explainers-tests/artifacts/ (the tests write nothing into the checkout).
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from playwright.sync_api import sync_playwright

from render.catalog import DEFAULT_CATALOG, load_catalog
from render.build.index import write_index
from conftest import SCRATCH

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = SCRATCH / "artifacts"
XSS = "<img src=x onerror=alert(1)>"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


class RangeHandler(QuietHandler):
    """http.server plus single byte ranges, as any real static host has: without them browsers cannot seek."""

    def send_head(self):  # noqa: ANN201 - the base class's signature
        path = self.translate_path(self.path)
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", (self.headers.get("Range") or "").strip())
        if not match or not os.path.isfile(path) or not (match[1] or match[2]):
            return super().send_head()
        size = os.path.getsize(path)
        if match[1]:
            start, end = int(match[1]), min(int(match[2]) if match[2] else size - 1, size - 1)
        else:
            start, end = max(0, size - int(match[2])), size - 1
        if start > end:
            self.send_error(416)
            return None
        with open(path, "rb") as handle:
            handle.seek(start)
            body = handle.read(end - start + 1)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@pytest.fixture(scope="module")
def serve() -> Iterator:
    """``serve(directory, ranges=False) -> base URL``: a 127.0.0.1 server on a random port per call.

    Plain ``http.server`` by default (what the README suggests); ``ranges=True``
    adds byte ranges, which a browser needs to seek.
    """
    servers = []

    def start(directory: Path, ranges: bool = False) -> str:
        handler = RangeHandler if ranges else QuietHandler
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    assert CHROMIUM.is_file(), "Debian's chromium is missing: `make setup` installs it (apt-get install chromium)"
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.errors = []
    page.dialogs = []
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))

    def on_dialog(dialog) -> None:
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    context.close()


@pytest.fixture(scope="module")
def gallery(rate_limiting_preview: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the preview render with the index of the whole catalog written beside it."""
    out = tmp_path_factory.mktemp("gallery")
    for path in rate_limiting_preview.iterdir():
        if path.is_file():
            shutil.copy2(path, out / path.name)
    write_index(load_catalog(), out)
    return out


def _ready_ids(out: Path) -> list[str]:
    index = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    return [e["id"] for e in index["explainers"] if e["video"]]


def _track_cues(page, video_id: str, kind: str) -> int:
    """Load the video's ``kind`` text track (mode 'hidden' loads it without showing) and count its cues."""
    page.wait_for_function(
        """([id, kind]) => {
            const track = Array.from(document.getElementById(id).textTracks).find(t => t.kind === kind);
            if (!track) return false;
            if (track.mode === "disabled") track.mode = "hidden";
            return track.cues !== null && track.cues.length > 0;
        }""",
        arg=[video_id, kind], timeout=15_000)
    return page.evaluate(
        "([id, kind]) => Array.from(document.getElementById(id).textTracks).find(t => t.kind === kind).cues.length",
        [video_id, kind])


def test_ready_cards_play_with_captions_and_chapters(page, gallery: Path, serve) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(serve(gallery) + "index.html")
    ready = _ready_ids(gallery)
    assert ready == ["rate-limiting"]
    for explainer_id in ready:
        page.wait_for_function("id => document.getElementById(id).readyState >= 1", arg=f"video-{explainer_id}",
                               timeout=15_000)
    page.screenshot(path=str(ARTIFACTS / "gallery-top.png"))
    page.screenshot(path=str(ARTIFACTS / "gallery-full.png"), full_page=True)
    for explainer_id in ready:
        meta = json.loads((gallery / f"{explainer_id}.json").read_text(encoding="utf-8"))
        video = f"video-{explainer_id}"
        duration = page.evaluate("id => document.getElementById(id).duration", video)
        assert abs(duration - meta["duration_s"]) <= 0.5, (duration, meta["duration_s"])
        assert _track_cues(page, video, "metadata") == len(meta["captions"])
        assert _track_cues(page, video, "chapters") == len(meta["chapters"])
        card = page.locator(f"article#{explainer_id}")
        # the frames carry the captions: the cues travel as metadata, which the CC menu does not offer again
        assert card.locator("video track[kind=metadata]").count() == 1
        assert card.locator("video track[kind=captions]").count() == 0
        # the transcript on demand
        transcript = card.locator("details.transcript p")
        assert not transcript.is_visible()
        card.locator("details.transcript summary").click()
        assert transcript.is_visible() and meta["captions"][0]["text"] in transcript.inner_text()
        # the embed snippet, copied as real HTML
        card.locator("details.embed summary").click()
        card.locator("button.copy").click()
        page.wait_for_function("() => document.querySelector('button.copy').textContent === 'Copied'")
        snippet = page.evaluate("() => navigator.clipboard.readText()")
        assert snippet.startswith("<video ") and f'<track kind="captions" src="{explainer_id}.vtt"' in snippet
        for suffix in (".mp4", ".vtt", ".srt", ".jpg"):
            assert card.locator(f'a[download][href="{explainer_id}{suffix}"]').count() == 1
        card.scroll_into_view_if_needed()
        card.screenshot(path=str(ARTIFACTS / f"gallery-card-{explainer_id}.png"))
    assert page.errors == []
    assert page.dialogs == []


def test_chapter_buttons_seek(page, gallery: Path, serve) -> None:
    page.goto(serve(gallery, ranges=True) + "index.html")
    meta = json.loads((gallery / "rate-limiting.json").read_text(encoding="utf-8"))
    chapter = meta["chapters"][2]
    button = page.locator("article#rate-limiting button.seek").nth(2)
    assert button.inner_text().endswith(chapter["title"])
    page.wait_for_function("() => document.getElementById('video-rate-limiting').readyState >= 1", timeout=15_000)
    button.click()
    page.wait_for_function(
        """start => { const v = document.getElementById('video-rate-limiting');
                      return !v.seeking && v.currentTime >= start && v.currentTime < start + 3; }""",
        arg=chapter["start"], timeout=15_000)
    page.evaluate("() => document.getElementById('video-rate-limiting').pause()")
    # a moment with a caption: the track's active cue is the sentence the frame shows
    assert _track_cues(page, "video-rate-limiting", "metadata") == len(meta["captions"])
    cue = next(c for c in meta["captions"] if c["start"] > chapter["start"])
    page.evaluate("t => { document.getElementById('video-rate-limiting').currentTime = t; }", (cue["start"] + cue["end"]) / 2)
    active_cues = """() => Array.from(document.getElementById('video-rate-limiting').textTracks)
        .filter(t => t.kind === 'metadata').flatMap(t => Array.from(t.activeCues || [], c => c.text))"""
    page.wait_for_function(f"() => !document.getElementById('video-rate-limiting').seeking && ({active_cues})().length",
                           timeout=15_000)
    active = page.evaluate(active_cues)
    assert active and " ".join(active[0].split()) == cue["text"]
    page.evaluate("() => document.getElementById('video-rate-limiting').removeAttribute('controls')")  # see the band
    page.wait_for_timeout(300)
    page.locator("#video-rate-limiting").screenshot(path=str(ARTIFACTS / "gallery-video-caption.png"))
    assert page.errors == []


def test_planned_cards_have_no_player(page, gallery: Path, serve) -> None:
    page.goto(serve(gallery) + "index.html")
    catalog = load_catalog()
    planned = [e.id for e in catalog if e.id not in _ready_ids(gallery)]
    assert planned
    for explainer_id in planned:
        card = page.locator(f"article#{explainer_id}")
        assert card.locator("video").count() == 0
        assert "Coming soon" in card.inner_text()
    assert page.errors == []


def test_category_filter_changes_the_visible_cards(page, gallery: Path, serve) -> None:
    page.goto(serve(gallery) + "index.html")
    catalog = load_catalog()
    visible = page.locator("article.card:visible")
    assert visible.count() == len(catalog)
    streaming = [e.id for e in catalog if e.category == "Streaming"]
    page.locator(".filters button", has_text="Streaming").click()
    assert visible.count() == len(streaming)
    assert sorted(visible.evaluate_all("cards => cards.map(c => c.id)")) == sorted(streaming)
    assert page.locator(".filters button", has_text="Streaming").get_attribute("aria-pressed") == "true"
    assert f"Showing {len(streaming)} of {len(catalog)}" in page.locator("#showing").inner_text()
    page.screenshot(path=str(ARTIFACTS / "gallery-filtered.png"))
    page.locator(".filters button", has_text="All").click()
    assert visible.count() == len(catalog)
    assert page.errors == []


def test_catalog_markup_renders_as_text(page, serve, tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    for entry in data["explainers"]:
        entry.pop("featured", None)
    data["explainers"][1]["featured"] = True  # in the hero too
    data["explainers"][1]["hook"] = "<b onmouseover=alert(4)>hook</b>"
    data["explainers"][1]["title"] = XSS
    data["explainers"][1]["blurb"] = "</script><script>alert(2)</script> & more"
    data["explainers"][1]["tags"] = ['"><svg onload=alert(3)>']
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "dist"
    out.mkdir()
    write_index(load_catalog(path), out)
    page.goto(serve(out) + "index.html")
    title = page.get_by_text(XSS, exact=True)
    assert title.is_visible()
    assert page.get_by_text("</script><script>alert(2)</script> & more", exact=True).is_visible()
    assert page.locator('img[src="x"], svg, b').count() == 0
    assert page.locator(".hero").get_by_text(f"Start with {XSS}", exact=True).is_visible()
    assert page.locator(".hero").get_by_text("<b onmouseover=alert(4)>hook</b>.", exact=True).is_visible()
    page.wait_for_timeout(300)
    title.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "gallery-escaped-title.png"))
    assert page.dialogs == []
    assert page.errors == []


def test_opened_from_disk_still_has_captions(page, gallery: Path) -> None:
    page.goto((gallery / "index.html").as_uri())
    assert page.locator("#file-note").is_visible()
    meta = json.loads((gallery / "rate-limiting.json").read_text(encoding="utf-8"))
    page.wait_for_function("() => document.getElementById('video-rate-limiting').readyState >= 1", timeout=15_000)
    cues = page.evaluate("""() => Array.from(document.getElementById('video-rate-limiting').textTracks)
        .filter(t => t.kind === 'metadata' && t.cues && t.cues.length).map(t => t.cues.length)""")
    assert cues == [len(meta["captions"])]
    assert page.dialogs == []


# --- reading the captions, at card size and in full screen --------------------------------------------------
def _seek_to_a_caption(page, video_id: str, meta: dict) -> dict:
    cue = meta["captions"][len(meta["captions"]) // 2]
    page.wait_for_function("id => document.getElementById(id).readyState >= 1", arg=video_id, timeout=15_000)
    page.evaluate("([id, t]) => { document.getElementById(id).currentTime = t; }",
                  [video_id, (cue["start"] + cue["end"]) / 2])
    page.wait_for_function("id => !document.getElementById(id).seeking", arg=video_id, timeout=15_000)
    return cue


def _caption_line(page, explainer_id: str) -> dict:
    return page.evaluate("""id => { const line = document.getElementById('caption-' + id);
        const video = document.getElementById('video-' + id).getBoundingClientRect();
        return {text: line.textContent, size: parseFloat(getComputedStyle(line).fontSize),
                top: line.getBoundingClientRect().top, videoBottom: video.bottom,
                ratio: video.width / video.height}; }""", explainer_id)


def _showing_tracks(page, video_id: str) -> list[str]:
    return page.evaluate("id => Array.from(document.getElementById(id).textTracks)"
                         ".filter(t => t.mode === 'showing').map(t => t.kind)", video_id)


def test_drawn_captions_read_at_card_size_and_in_full_screen(page, gallery: Path, serve) -> None:
    """At card size the caption band is cropped off and the caption is text below the picture, big enough to
    read; in full screen the whole frame (drawn captions and all) shows; no caption is ever shown twice."""
    page.goto(serve(gallery, ranges=True) + "index.html")
    meta = json.loads((gallery / "rate-limiting.json").read_text(encoding="utf-8"))
    cue = _seek_to_a_caption(page, "video-rate-limiting", meta)
    page.wait_for_function("t => document.getElementById('caption-rate-limiting').textContent === t", arg=cue["text"],
                           timeout=15_000)
    line = _caption_line(page, "rate-limiting")
    assert line["size"] >= 16 and line["top"] >= line["videoBottom"] - 1  # below the picture, not over it
    assert abs(line["ratio"] - 16 / (9 * (1 - 0.20625))) < 0.02  # the caption band is cropped off
    assert _showing_tracks(page, "video-rate-limiting") == []  # nothing drawn over the picture
    page.locator("article#rate-limiting").screenshot(path=str(ARTIFACTS / "gallery-card-caption.png"))
    page.locator("#video-rate-limiting").click()  # a user gesture, which full screen needs
    page.evaluate("() => document.getElementById('video-rate-limiting').requestFullscreen()")
    page.wait_for_function("() => document.fullscreenElement && document.fullscreenElement.id === 'video-rate-limiting'",
                           timeout=5_000)
    fit = page.evaluate("() => getComputedStyle(document.getElementById('video-rate-limiting')).objectFit")
    assert fit == "contain"  # the whole frame, with its drawn caption band
    assert _showing_tracks(page, "video-rate-limiting") == []  # and no track over it
    page.evaluate("() => document.exitFullscreen()")
    assert page.errors == []


@pytest.fixture(scope="module")
def track_gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test-quality render without drawn captions (``--captions track``) and its gallery."""
    from render.build.job import render_one
    from render.build.settings import RenderSettings
    from render.delivery.verify import verify_video

    out = tmp_path_factory.mktemp("track-gallery")
    outcome = render_one(load_catalog().get("rate-limiting"),
                         RenderSettings(out_dir=out, quality="test", force=True, captions="track"))
    assert outcome.status == "rendered", outcome
    assert [c.name for c in verify_video(out / "rate-limiting.mp4", 100) if not c.passed] == []
    write_index(load_catalog(), out)
    return out


def test_track_captions_read_at_card_size_and_in_full_screen(page, track_gallery: Path, serve) -> None:
    meta = json.loads((track_gallery / "rate-limiting.json").read_text(encoding="utf-8"))
    assert meta["caption_style"] == "track"
    page.goto(serve(track_gallery, ranges=True) + "index.html")
    card = page.locator("article#rate-limiting")
    assert card.locator("video track[kind=captions]").count() == 1
    cue = _seek_to_a_caption(page, "video-rate-limiting", meta)
    page.wait_for_function("t => document.getElementById('caption-rate-limiting').textContent === t", arg=cue["text"],
                           timeout=15_000)
    assert _showing_tracks(page, "video-rate-limiting") == []  # the line below shows it at card size
    page.locator("#video-rate-limiting").click()
    page.evaluate("() => document.getElementById('video-rate-limiting').requestFullscreen()")
    page.wait_for_function("() => Array.from(document.getElementById('video-rate-limiting').textTracks)"
                           ".some(t => t.kind === 'captions' && t.mode === 'showing')", timeout=5_000)
    page.evaluate("() => document.exitFullscreen()")
    page.wait_for_function("() => !document.fullscreenElement && Array.from(document.getElementById("
                           "'video-rate-limiting').textTracks).every(t => t.mode !== 'showing')", timeout=5_000)
    assert "the track is on from the start" in card.locator("details.embed").text_content()
    assert page.errors == []


def test_cards_say_what_each_model_leaves_out(page, gallery: Path, serve) -> None:
    page.goto(serve(gallery) + "index.html")
    for e in load_catalog():
        card = page.locator(f"article#{e.id}")
        if e.fidelity:
            details = card.locator("details.fidelity")
            details.locator("summary").click()
            assert details.locator("p").inner_text() == e.fidelity
        else:
            assert card.locator("details.fidelity").count() == 0
    assert page.errors == []


# --- questions ---------------------------------------------------------------------------------------------
def _questions_page(page, gallery: Path, serve) -> tuple[dict, str]:
    page.goto(serve(gallery, ranges=True) + "index.html")
    meta = json.loads((gallery / "rate-limiting.json").read_text(encoding="utf-8"))
    assert len(meta["checkpoints"]) >= 2
    page.wait_for_function("() => document.getElementById('video-rate-limiting').readyState >= 1", timeout=15_000)
    return meta, "#rate-limiting figure.player"


def test_questions_pause_at_each_checkpoint_and_resume_after_an_answer(page, gallery: Path, serve) -> None:
    meta, player = _questions_page(page, gallery, serve)
    first = meta["checkpoints"][0]
    page.locator(f"{player} .questions-toggle").click()
    assert page.locator(f"{player} .questions-toggle").get_attribute("aria-pressed") == "true"
    page.evaluate("t => { const v = document.getElementById('video-rate-limiting'); v.currentTime = t; v.muted = true; }",
                  max(0.0, first["time"] - 1.5))
    page.wait_for_function("() => !document.getElementById('video-rate-limiting').seeking", timeout=15_000)
    page.evaluate("() => document.getElementById('video-rate-limiting').play()")
    page.wait_for_function("() => document.getElementById('video-rate-limiting').paused", timeout=15_000)
    paused_at = page.evaluate("() => document.getElementById('video-rate-limiting').currentTime")
    assert first["time"] - 0.01 <= paused_at <= first["time"] + 0.25, (paused_at, first["time"])
    quiz = page.locator(f"{player} .quiz")
    assert quiz.is_visible() and quiz.get_attribute("aria-live") == "polite"
    assert first["prompt"] in quiz.inner_text()
    # beside the picture, not over it
    box, video_box = quiz.bounding_box(), page.locator("#video-rate-limiting").bounding_box()
    assert box["y"] >= video_box["y"] + video_box["height"] - 1
    page.locator("#rate-limiting").screenshot(path=str(ARTIFACTS / "gallery-question.png"))
    wrong = (first["answer"] + 1) % len(first["choices"])
    quiz.locator("button.choice").nth(wrong).click()
    assert f"Not quite: {first['choices'][first['answer']]}." in quiz.inner_text() and first["why"] in quiz.inner_text()
    quiz.locator("button.continue").click()
    page.wait_for_function("() => !document.getElementById('video-rate-limiting').paused", timeout=5_000)
    assert not quiz.is_visible()
    assert page.errors == []


def test_a_question_can_be_answered_with_the_keyboard_alone(page, gallery: Path, serve) -> None:
    meta, player = _questions_page(page, gallery, serve)
    cp = meta["checkpoints"][-1]
    toggle = page.locator(f"{player} .questions-toggle")
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-pressed") == "true"
    page.evaluate("t => { const v = document.getElementById('video-rate-limiting'); v.currentTime = t; v.muted = true; }",
                  max(0.0, cp["time"] - 1.0))
    page.wait_for_function("() => !document.getElementById('video-rate-limiting').seeking", timeout=15_000)
    page.evaluate("() => document.getElementById('video-rate-limiting').play()")
    page.wait_for_function("() => document.getElementById('video-rate-limiting').paused", timeout=15_000)
    focused = page.evaluate("() => document.activeElement.className")
    assert focused == "choice"  # the first choice has the focus: Tab, Enter or a digit answers
    page.keyboard.press(str(cp["answer"] + 1))
    quiz = page.locator(f"{player} .quiz")
    assert quiz.inner_text().startswith(cp["prompt"]) and "Right." in quiz.inner_text()
    assert page.evaluate("() => document.activeElement.className") == "continue"
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.getElementById('video-rate-limiting').paused", timeout=5_000)
    assert page.errors == []


def test_with_questions_off_the_video_plays_through(page, gallery: Path, serve) -> None:
    meta, player = _questions_page(page, gallery, serve)
    cp = meta["checkpoints"][0]
    assert page.locator(f"{player} .questions-toggle").get_attribute("aria-pressed") == "false"
    page.evaluate("t => { const v = document.getElementById('video-rate-limiting'); v.currentTime = t; v.muted = true; }",
                  max(0.0, cp["time"] - 0.5))
    page.wait_for_function("() => !document.getElementById('video-rate-limiting').seeking", timeout=15_000)
    page.evaluate("() => document.getElementById('video-rate-limiting').play()")
    page.wait_for_function("t => document.getElementById('video-rate-limiting').currentTime > t + 1.0",
                           arg=cp["time"], timeout=15_000)
    assert not page.locator(f"{player} .quiz").is_visible()
    assert page.errors == []
