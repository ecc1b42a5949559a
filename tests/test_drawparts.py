"""One explainer drawn by several processes (:mod:`render.engine.drawparts`) gives exactly the one-process output.

* Raft, drawn small in two parts with plays handed out alternately and replaying the
  plays the other part draws (``pure_updaters = False``), shows the same frames, play
  by play, as one process (every ready explainer's jump path is checked against its
  drawn state after every play in ``tests/test_explainers.py``);
* through the CLI, ``--jobs 2`` (two parts) writes the same files as one process;
* a killed parent takes its drawing parts with it;
* x264 with one thread gives the same bytes on a busy machine (two threads and the VBV cap did not).
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from render.build.plan import make_trace
from render.fsio import TEMP_MARK
from render.catalog import load_catalog
from render.engine.run import scene_meta
from conftest import hashing_writer

CATALOG = load_catalog()
READY = [e for e in CATALOG if e.ready]


def _frames_by_play(explainer_id: str, part: int | None, claims: Path | None) -> dict[int, list[str]]:
    """Hashes of the frames of each play this run draws (small frames); ``part`` None: one process."""
    from manim import tempconfig
    from manim.renderer.cairo_renderer import CairoRenderer

    import scenes
    from render.engine import speedups
    from render.engine.drawparts import PartRenderer

    frames: dict[int, list[str]] = {}
    holder: list[Any] = []

    def record(digest: str, repeat: int) -> None:
        renderer = holder[0]
        frames.setdefault(renderer.num_plays, []).append(f"{digest}x{repeat}@{renderer.time:.6f}")

    HashingWriter = hashing_writer(record)

    explainer = CATALOG.get(explainer_id)
    trace = json.loads(make_trace(explainer).to_json())
    speedups.install()
    with tempfile.TemporaryDirectory() as media:
        config = {"media_dir": media, "pixel_width": 256, "pixel_height": 144, "frame_rate": 10,
                  "disable_caching": True, "verbosity": "ERROR", "progress_bar": "none"}
        with tempconfig(config):
            kwargs = {"file_writer_class": HashingWriter, "camera_class": speedups.PathCachingCamera}
            renderer = CairoRenderer(**kwargs) if part is None else PartRenderer(part, claims, **kwargs)
            holder.append(renderer)
            scene = scenes.get_scene_class(explainer_id)(trace=trace, meta=scene_meta(explainer), renderer=renderer)
            scene.render()
    return frames


def _alternate_claims(directory: Path, plays: int) -> None:
    """Hand plays out 0, 1, 1, 0, 0, 1, 1, ...: both parts draw after both drawing and skipping."""
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(plays):
        (directory / f"{i:05d}").write_text(str((i + 1) // 2 % 2), encoding="utf-8")


def _check_split_matches(explainer_id: str, tmp_path: Path) -> None:
    whole = _frames_by_play(explainer_id, None, None)
    _alternate_claims(tmp_path / "claims", 1000)  # more than any scene plays
    split = [_frames_by_play(explainer_id, part, tmp_path / "claims") for part in (0, 1)]
    assert split[0] and split[1], "both parts drew something"
    assert not set(split[0]) & set(split[1]), "no play was drawn twice"
    merged = {**split[0], **split[1]}
    assert sorted(merged) == sorted(whole)
    for play in sorted(whole):
        assert merged[play] == whole[play], f"play {play}: frames differ from one process"


def test_replaying_skipped_plays_draws_the_frames_of_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import scenes

    cls = scenes.get_scene_class("raft-consensus")
    monkeypatch.setattr(cls, "pure_updaters", False)
    _check_split_matches("raft-consensus", tmp_path)


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("explainers")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=900)


def test_cli_two_parts_write_the_files_of_one(rate_limiting_preview: Path, tmp_path: Path) -> None:
    """The session's preview was drawn in one process; --jobs 2 on one explainer draws it in two."""
    out = tmp_path / "split"
    done = _run_cli("render", "rate-limiting", "--quality", "preview", "--jobs", "2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    for name in ("rate-limiting.mp4", "rate-limiting.vtt", "rate-limiting.srt", "rate-limiting.chapters.vtt",
                 "rate-limiting.jpg", "rate-limiting.json"):
        assert (out / name).read_bytes() == (rate_limiting_preview / name).read_bytes(), name
    assert not [p.name for p in out.iterdir() if TEMP_MARK in p.name]


def _drawing_parts() -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"render.engine.drawparts" in cmdline:
                pids.append(int(proc.name))
    return pids


def test_killed_parent_takes_its_parts_with_it(tmp_path: Path) -> None:
    before = set(_drawing_parts())
    proc = subprocess.Popen([str(Path(sys.executable).with_name("explainers")), "render", "raft-consensus",
                             "--quality", "preview", "--jobs", "2", "--force", "--out", str(tmp_path / "out")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not set(_drawing_parts()) - before:
            assert proc.poll() is None and time.monotonic() < deadline, "no drawing part started"
            time.sleep(0.1)
        children = set(_drawing_parts()) - before
        time.sleep(1.0)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 20
        while children & set(_drawing_parts()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not children & set(_drawing_parts()), "a drawing part outlived the killed render"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_one_encoder_thread_gives_the_same_bytes_under_load() -> None:
    import av
    import numpy as np

    from render.delivery.encoding import encoder_options

    rng = np.random.default_rng(7)
    base = rng.integers(0, 255, (144, 256, 3), dtype=np.uint8)
    frames = [np.roll(base, 3 * i, axis=1) for i in range(90)]

    def encode() -> str:
        import io

        buffer = io.BytesIO()
        with av.open(buffer, "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=15, options=encoder_options(15, 256, 144))
            stream.width, stream.height, stream.pix_fmt = 256, 144, "yuv420p"
            digest = hashlib.sha256()
            for i, pixels in enumerate(frames):
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = i
                for packet in stream.encode(frame):
                    digest.update(bytes(packet))
            for packet in stream.encode():
                digest.update(bytes(packet))
        return digest.hexdigest()

    assert encoder_options(15, 256, 144)["threads"] == "1"
    quiet = encode()
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        busy = [encode() for _ in range(3)]
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert busy == [quiet] * 3
