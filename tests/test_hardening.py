"""Cases a hostile pass found: each test here failed before its fix.

Duplicate YAML keys, a blurb that reads as a chapter mark, caches that cannot be used, a damaged or
partly missing output, a change that is only packaging, verify during a commit, a constant frame rate,
an ordinary remux of the delivery file, fsync before rename, out-of-range --set values through the
CLI, and titles in scripts the theme's fonts lack.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import av
import pytest
import yaml
from click.testing import CliRunner

import render.cli
import render.fsio
import sims
from render.build.cache import cache_root
from render.build.job import render_one
from render.build.plan import content_hash, draw_hash, make_trace
from render.build.settings import RenderSettings
from render.catalog import DEFAULT_CATALOG, PROJECT_ROOT, load_catalog
from render.cli import cli
from render.delivery.verify import verify_video
from render.errors import CatalogError
from render.fsio import MARKS_ENV, PAUSE_ENV, staged

RL = "rate-limiting"
RAW = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
_SCRIPT = Path(sys.executable).with_name("explainers")
EXPLAINERS = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "render.cli"]


def run(*args: str, **kwargs: Any):
    return CliRunner().invoke(cli, list(args), **kwargs)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One test-quality render of the featured explainer (a real draw), for the tests that damage or repackage it."""
    out = tmp_path_factory.mktemp("hardening")
    outcome = render_one(load_catalog().get(RL), RenderSettings(out_dir=out, quality="test", force=True))
    assert outcome.status == "rendered", outcome
    return out


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _digests(out: Path) -> dict[str, bytes]:
    """The explainer's delivered files (not the index a CLI run rewrites beside them)."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file() and p.name.startswith(RL)}


# --- duplicate keys and a blurb that looks like a chapter ----------------------------------------------------
@pytest.mark.parametrize(("text", "line", "key"), [
    ("explainers:\n  - id: a\nexplainers: []\n", 3, "explainers"),
    ("explainers:\n  - id: rate-limiting\n    title: T\n    id: other\n", 4, "id"),
    ("explainers:\n  - id: rate-limiting\n    params:\n      limit: 8\n      limit: 9\n", 5, "limit"),
    ("explainers:\n  - id: x\n    params:\n      configs: [{r: 3, w: 3, r: 2}]\n", 4, "r"),
])
def test_duplicate_keys_at_any_depth_are_one_line_errors(tmp_path: Path, text: str, line: int, key: str) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert str(info.value.message).startswith(f"{path}: line {line}: {key}: duplicate key (first given on line ")
    result = run("--catalog", str(path), "list")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "duplicate key" in result.stderr


@pytest.mark.parametrize("blurb", ["0:00 Intro: watch the bucket", "  1:05 then the rest", "12:30:00 long"])
def test_a_blurb_that_begins_with_a_time_is_refused(tmp_path: Path, blurb: str) -> None:
    data = copy.deepcopy(RAW)
    data["explainers"][0]["blurb"] = blurb
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(CatalogError, match="blurb: must not begin with a time"):
        load_catalog(path)
    data["explainers"][0]["blurb"] = "Watch from 0:00 to the end."  # not at the start: fine
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert load_catalog(path).get(RL).blurb.startswith("Watch")


# --- caches that cannot be used ------------------------------------------------------------------------
def _mount_tmpfs(where: Path, size: str, readonly: bool = False) -> None:
    where.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if readonly else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    assert done.returncode == 0, f"cannot mount a tmpfs (the suite runs as root): {done.stderr.decode().strip()}"


def _umount(where: Path) -> None:
    subprocess.run(["umount", str(where)], check=True)


def test_the_cache_goes_where_xdg_and_home_say(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cache = cache_root()
    assert cache.path == tmp_path / "xdg" / "explainers" and cache.text_dir == cache.path / "text"
    assert cache.problem is None
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")  # not absolute: ignored, as the spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root().path == tmp_path / "home" / ".cache" / "explainers"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "")
    cache = cache_root()
    assert cache.text_dir is None and "neither $XDG_CACHE_HOME nor $HOME" in cache.problem
    assert not str(cache.path).startswith("/.cache")


def test_a_read_only_or_full_cache_is_reported_and_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readonly, full = tmp_path / "ro", tmp_path / "full"
    _mount_tmpfs(readonly, "4m", readonly=True)
    _mount_tmpfs(full, "1m")
    try:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        monkeypatch.setenv("HOME", str(readonly))
        cache = cache_root()
        assert cache.text_dir is None and f"{readonly}/.cache/explainers" in cache.problem
        assert "cannot create it" in cache.problem or "not writable" in cache.problem
        monkeypatch.setenv("XDG_CACHE_HOME", str(full))
        (full / "filler").write_bytes(b"\0" * (900 * 1024))
        cache = cache_root()
        assert cache.text_dir is None and "MiB free" in cache.problem and str(full) in cache.problem
    finally:
        _umount(readonly)
        _umount(full)


def test_a_render_with_its_cache_on_a_full_disk_goes_on_and_says_so_once(tmp_path: Path, rendered: Path) -> None:
    """A real draw with $XDG_CACHE_HOME on a full tmpfs: the same video, one note naming the path and reason."""
    full = tmp_path / "full"
    _mount_tmpfs(full, "1m")
    try:
        (full / "filler").write_bytes(b"\0" * (1000 * 1024))
        env = {**os.environ, "XDG_CACHE_HOME": str(full)}
        out = tmp_path / "out"
        done = subprocess.run([*EXPLAINERS, "render", RL, "--quality", "test", "--out", str(out), "--jobs", "1"],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    finally:
        _umount(full)
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and str(full / "explainers") in notes[0] and "MiB free" in notes[0], done.stderr
    assert (out / f"{RL}.mp4").read_bytes() == (rendered / f"{RL}.mp4").read_bytes()


def test_a_damaged_text_cache_entry_is_rebuilt(tmp_path: Path) -> None:
    from render.engine import speedups
    from scenes.kit import text as kit_text

    speedups.uninstall()
    try:
        speedups.install(text_cache=tmp_path)
        first = kit_text._text("cache me", "Inter", 24.0, "#FFFFFF", "NORMAL")
        entry = next(tmp_path.rglob("*.pickle"))
        entry.write_bytes(entry.read_bytes()[: len(entry.read_bytes()) // 2])  # truncated, as a full disk leaves it
        kit_text._text.cache_clear()
        again = kit_text._text("cache me", "Inter", 24.0, "#FFFFFF", "NORMAL")
        assert (again.points == first.points).all() and kit_text.text_source().misses == 2
        assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    finally:
        speedups.uninstall()
        speedups.install()


# --- damaged outputs, packaging-only changes --------------------------------------------------------------
def test_a_damaged_or_missing_output_is_made_again(rendered: Path, tmp_path: Path) -> None:
    out = _copy(rendered, tmp_path / "out")
    original = _digests(out)
    video = out / f"{RL}.mp4"
    data = bytearray(video.read_bytes())
    data[len(data) // 2: len(data) // 2 + 64] = bytes(64)  # same size, 64 bytes flipped to zero
    video.write_bytes(bytes(data))
    assert not all(c.passed for c in verify_video(video, 100))
    result = run("render", RL, "--quality", "test", "--out", str(out), "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "rendered rate-limiting" in result.stdout  # the video itself was damaged: drawn again
    assert _digests(out) == original

    (out / f"{RL}.vtt").unlink()  # a sidecar only: re-packaged from the intact video, no draw
    started = time.monotonic()
    result = run("render", RL, "--quality", "test", "--out", str(out), "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "repacked rate-limiting: the frames were up to date" in result.stdout
    assert time.monotonic() - started < 10
    assert _digests(out) == original


def test_a_tag_change_repackages_and_a_hook_change_redraws(rendered: Path, tmp_path: Path) -> None:
    out = _copy(rendered, tmp_path / "out")
    original = _digests(out)
    data = copy.deepcopy(RAW)
    entry = next(e for e in data["explainers"] if e["id"] == RL)
    entry["tags"] = [*entry["tags"], "Backpressure"]
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    started = time.monotonic()
    result = run("--catalog", str(path), "render", RL, "--quality", "test", "--out", str(out), "--jobs", "1")
    seconds = time.monotonic() - started
    print(f"\na tag-only change re-packaged in {seconds:.2f} s")
    assert result.exit_code == 0, result.output
    assert "repacked rate-limiting" in result.stdout and seconds < 10
    after = _digests(out)
    assert after[f"{RL}.mp4"] == original[f"{RL}.mp4"] and after[f"{RL}.jpg"] == original[f"{RL}.jpg"]
    meta = json.loads(after[f"{RL}.json"])
    assert "Backpressure" in meta["tags"] and "#Backpressure" in meta["upload_description"]
    assert all(c.passed for c in verify_video(out / f"{RL}.mp4", 100))

    catalog = load_catalog(path)
    explainer = catalog.get(RL)
    settings = RenderSettings(out_dir=out, quality="test")
    trace_json = make_trace(explainer).to_json()
    assert meta["draw"]["hash"] == draw_hash(explainer, trace_json, settings)
    entry["hook"] = "A new hook on the title card"  # drawn into the frames: a new draw
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    changed = load_catalog(path).get(RL)
    assert draw_hash(changed, trace_json, settings) != meta["draw"]["hash"]
    assert content_hash(changed, trace_json, settings) != meta["render_hash"]


# --- verify during a commit ---------------------------------------------------------------------------
def test_verify_waits_for_a_render_that_is_committing(rendered: Path, tmp_path: Path) -> None:
    out = _copy(rendered, tmp_path / "out")
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {**os.environ, MARKS_ENV: str(marks), PAUSE_ENV: f"replace:{RL}.vtt"}  # between two renames
    writer = subprocess.Popen([*EXPLAINERS, "render", RL, "--quality", "test", "--out", str(out), "--jobs", "1",
                               "--seed", "3"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not (marks / "paused").exists():
            assert writer.poll() is None and time.monotonic() < deadline, writer.stderr.read() if writer.stderr else ""
            time.sleep(0.05)
        reader = subprocess.Popen([*EXPLAINERS, "verify", str(out)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        time.sleep(3.0)
        assert reader.poll() is None, "verify read a half-committed out dir instead of waiting"
        (marks / "resume").touch()
        assert writer.wait(120) == 0
        stdout, stderr = reader.communicate(timeout=120)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert reader.returncode == 0, stdout[-2000:]
    assert stderr.startswith(f"waiting for a render into {out} to finish")
    assert "all" in stdout and "checks passed" in stdout
    assert not (out / ".explainers.lock").exists()


# --- a constant frame rate, and an ordinary remux -------------------------------------------------------
def test_every_frame_is_one_frame_after_the_last(rendered: Path, tmp_path: Path) -> None:
    video = rendered / f"{RL}.mp4"
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        pts = sorted(p.pts for p in container.demux(stream) if p.pts is not None)
        step = 1 / (15 * stream.time_base)
    assert {b - a for a, b in zip(pts, pts[1:])} == {step}
    assert next(c for c in verify_video(video, 100) if c.name == "constant frame rate").passed

    jittered = tmp_path / "jittered.mp4"  # one frame a third of a millisecond early, as segment joins left it
    with av.open(str(video)) as source, av.open(str(jittered), "w", format="mp4") as sink:
        stream = sink.add_stream_from_template(source.streams.video[0])
        for i, packet in enumerate(source.demux(source.streams.video[0])):
            if packet.dts is None:
                continue
            if i == 40:
                packet.pts -= 5
            packet.stream = stream
            sink.mux(packet)
    check = next(c for c in verify_video(jittered, 100) if c.name == "constant frame rate")
    assert not check.passed and "1 x" in check.detail


@pytest.mark.parametrize(("fmt", "suffix"), [("matroska", ".mkv"), ("mov", ".mov")])
def test_an_ordinary_remux_of_the_delivery_file_works(rendered: Path, tmp_path: Path, fmt: str, suffix: str) -> None:
    """What ``ffmpeg -i x.mp4 -map 0 -c copy out.mkv`` does: every stream and the chapters, copied."""
    video = rendered / f"{RL}.mp4"
    target = tmp_path / f"copy{suffix}"
    with av.open(str(video)) as source:
        chapters = source.chapters()
        assert [s.type for s in source.streams] == ["video", "audio"]  # no data stream to trip a remux
        with av.open(str(target), "w", format=fmt) as sink:
            streams = {s.index: sink.add_stream_from_template(s) for s in source.streams}
            sink.set_chapters(chapters)
            for packet in source.demux():
                if packet.dts is None:
                    continue
                packet.stream = streams[packet.stream.index]
                sink.mux(packet)
    meta = json.loads((rendered / f"{RL}.json").read_text(encoding="utf-8"))
    with av.open(str(target)) as copy_of:
        assert [s.type for s in copy_of.streams][:2] == ["video", "audio"]  # MOV adds its own chapter track
        titles = [c["metadata"]["title"] for c in copy_of.chapters()]
        assert titles == [c["title"] for c in meta["chapters"]]
        frames = sum(1 for _ in copy_of.demux(copy_of.streams.video[0]))
    assert frames >= meta["delivery"]["frames"]


# --- fsync before rename --------------------------------------------------------------------------------
def test_each_staged_file_is_fsynced_before_it_is_renamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        events.append(("replace", str(src)))
        real_replace(src, dst)

    monkeypatch.setattr(render.fsio.os, "fsync", fsync)
    monkeypatch.setattr(render.fsio.os, "replace", replace)
    with staged() as stage:
        temps = [stage.path(tmp_path / name) for name in ("a.txt", "b.txt")]
        for temp in temps:
            temp.write_text("data", encoding="utf-8")
    for temp in temps:
        synced = events.index(("fsync", str(temp)))
        assert synced < events.index(("replace", str(temp)))
    assert ("fsync", str(tmp_path)) in events  # the directory too, after the renames


# --- out-of-range --set through the CLI, for every declared parameter --------------------------------------
def _edges() -> list[tuple[str, str, str]]:
    cases = []
    for e in load_catalog():
        if not sims.has_simulator(e.id):
            continue
        for param in sims.get_simulator(e.id).PARAMS:
            step = 1 if param.type is int else 1e-6
            if param.type not in (int, float):
                continue
            if param.min is not None:
                cases.append((e.id, param.name, repr(type(param.min)(param.min) - step)))
            if param.max is not None:
                cases.append((e.id, param.name, repr(type(param.max)(param.max) + step)))
    return cases


def test_every_declared_parameter_is_checked_at_its_edges_through_the_cli() -> None:
    cases = _edges()
    assert len(cases) > 100
    for explainer_id, name, value in cases:
        result = run("trace", explainer_id, "--set", f"{name}={value}")
        assert result.exit_code == 2, (explainer_id, name, value, result.output)
        assert result.stderr.startswith(f"Error: --set: {explainer_id}: {name}: ") and result.stderr.count("\n") == 1
        assert "below the minimum" in result.stderr or "above the maximum" in result.stderr, result.stderr


# --- titles in other scripts --------------------------------------------------------------------------------
WORDS = {"Arabic": "مرحبا بالعالم", "Hebrew": "שלום עולם", "Greek": "Καλημέρα κόσμε", "CJK": "你好世界"}


@pytest.mark.parametrize("script", list(WORDS))
def test_a_title_in_another_script_keeps_every_glyph(script: str) -> None:
    """Pango falls back to an installed font for glyphs the theme's fonts lack: every letter must get one
    (a missing one comes out as nothing, or as a hex box of several paths)."""
    from scenes.kit.cards import TitleCard

    word = WORDS[script]
    for char in set(word) - {" "}:
        found = subprocess.run(["fc-list", f":charset={ord(char):x}", "family"], capture_output=True, text=True)
        assert found.stdout.strip(), f"no installed font has {char!r} (U+{ord(char):04X})"
    card = TitleCard(f"{word}", "hook", category="")
    title = card[0]
    assert len(title.submobjects) == len(word.replace(" ", "")), (script, len(title.submobjects))


# --- a signal whose exception Python swallowed still stops the command -----------------------------------
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowed one, on purpose
def test_a_swallowed_ctrl_c_still_stops_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python prints and drops an exception raised in a ``__del__`` or a GC callback: a Ctrl-C landing there
    would be lost. The handler records it, so the command stops at the next stage (or frame) all the same."""
    real_load = render.cli.load_catalog

    def load_then_swallow(path: Any) -> Any:
        class Finalized:
            def __del__(self) -> None:
                render.cli._interrupt(2, None)  # what Python would run on SIGINT, landing in a finalizer

        Finalized()  # its KeyboardInterrupt is printed as "Exception ignored in ..." and dropped
        return real_load(path)

    monkeypatch.setattr(render.cli, "load_catalog", load_then_swallow)
    result = CliRunner().invoke(cli, ["list"])
    assert result.exit_code == 130, result.output
    assert result.output.strip().splitlines()[-1] == "Interrupted: nothing half-written was left under a final name."
    render.fsio.raise_if_stopped()  # and the next command starts clean


def test_a_pending_stop_ends_the_draw_at_the_next_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checked in the drawing thread at every frame, before the frame goes to the encoder's thread."""
    import numpy as np
    from manim.scene.scene_file_writer import SceneFileWriter

    from render.engine.encoder import DeliveryFileWriter

    written: list[int] = []
    monkeypatch.setattr(SceneFileWriter, "write_frame", lambda self, pixels, repeat=1: written.append(repeat))
    writer = object.__new__(DeliveryFileWriter)  # only write_frame is exercised
    frame = np.zeros((8, 8, 4), dtype=np.uint8)
    writer.write_frame(frame)
    render.fsio.request_stop(KeyboardInterrupt())
    try:
        with pytest.raises(KeyboardInterrupt):
            writer.write_frame(frame, repeat=2)
        with pytest.raises(KeyboardInterrupt):
            render.fsio.checkpoint("draw", "x")
    finally:
        render.fsio.clear_stop()
    writer.write_frame(frame, repeat=3)
    assert written == [1, 3]
