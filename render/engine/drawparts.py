"""Draw one explainer in several processes at once, with the same bytes as one process.

Manim draws a scene one ``play`` (or ``wait``) at a time and writes each to its
own segment file with a fresh encoder, so segments are independent. Here every
part runs the whole ``construct`` but draws and encodes only the plays it
claims. The parent process is part 0 and starts the others as child processes;
at the end it concatenates every segment in play order, as Manim would have.

Who draws a play is decided as the parts reach it: the first part to create its
claim file (``O_EXCL``) draws it, so a part that is ahead takes more and the
parts finish together, whatever the plays cost. The output does not depend on
who drew what. The parent checks that every play was drawn exactly once and
that every part played the same number of plays.

A play that another part draws must leave this part's scene exactly as drawing
it would have:

* with ``scene.pure_updaters`` (every ExplainerScene: the kit's updaters set
  state from a clock tracker alone), it is jumped over in one step: the clock
  is stepped by the same float additions as if its frames were drawn (Manim's
  own skipping adds ``run_time`` instead, which is not the same number), the
  animations are finished and the updaters run at its end time, as after a
  drawn play;
* otherwise it is played frame by frame, every updater and interpolation
  included, leaving out only the camera and the encoder.

``tests/test_drawparts.py`` draws every ready explainer in one part and in
two and checks that every frame is identical, and renders one through the CLI
both ways and compares the files.
"""

from __future__ import annotations

import ctypes
import json
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
from manim.renderer.cairo_renderer import CairoRenderer

from render.catalog import Explainer
from render.delivery.encoding import Quality
from render.engine.encoder import DeliveryFileWriter
from render.engine.run import run_scene
from render.errors import RenderError

__all__ = ["PartFileWriter", "PartRenderer", "draw_in_parts", "main"]

MANIFEST = "segments.json"  #: written by each part into its media directory


class PartRenderer(CairoRenderer):
    """Manim's Cairo renderer that draws only the plays this part claims (see the module's notes)."""

    def __init__(self, part: int, claims: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.part, self.claims = part, Path(claims)
        self._silent = False  #: replaying: step the clock per frame, draw nothing
        self._mute = False  #: jumping: draw nothing, leave the clock alone

    def _claim(self, index: int) -> bool:
        """Take play ``index`` if no other part has: the first to get there draws it."""
        path = self.claims / f"{index:05d}"
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:  # taken; a claim written beforehand (tests assign plays) names its part
            return path.read_text(encoding="utf-8") == str(self.part)
        os.write(fd, str(self.part).encode())
        os.close(fd)
        return True

    def play(self, scene: Any, *args: Any, **kwargs: Any) -> None:
        if self._claim(self.num_plays):
            super().play(scene, *args, **kwargs)
        else:
            self._play_without_drawing(scene, *args, **kwargs)

    def _play_without_drawing(self, scene: Any, *args: Any, **kwargs: Any) -> None:
        """CairoRenderer.play without the camera and the file writer."""
        self.skip_animations = self._original_skipping_status
        self.update_skipping_status()
        scene.compile_animation_data(*args, **kwargs)
        self.file_writer.add_partial_movie_file(None)  # another part writes this play's segment
        self.animations_hashes.append(None)
        scene.begin_animations()
        self.static_image = None
        dt = 1 / self.camera.frame_rate
        if scene.is_current_animation_frozen_frame():
            self.time += int(scene.duration / dt) * dt  # as freeze_current_frame -> add_frame does
        elif getattr(scene, "pure_updaters", False):
            for _ in range(len(np.arange(0, scene.duration, dt))):  # the frames Scene.get_time_progression
                self.time += 1 * dt  # would give, each adding dt as add_frame does
            self.skip_animations, self._mute = True, True
            try:
                scene.play_internal()  # one step, to the end
            finally:
                self.skip_animations, self._mute = self._original_skipping_status, False
            scene.update_mobjects(0)  # a drawn play ends with this (Scene.play_internal)
        else:
            self._silent = True
            try:
                scene.play_internal()
            finally:
                self._silent = False
        self.num_plays += 1

    def render(self, scene: Any, time: float, moving_mobjects: Any = None) -> None:
        if self._mute:
            return
        if self._silent:
            self.time += 1 * (1 / self.camera.frame_rate)  # add_frame's clock, without a frame
            return
        super().render(scene, time, moving_mobjects)


class PartFileWriter(DeliveryFileWriter):
    """Writes this part's segments and a manifest of them; the parent concatenates all parts."""

    def finish(self) -> None:
        self.join_all_encode_jobs()

    def segments(self) -> dict[int, str]:
        return {i: path for i, path in enumerate(self.partial_movie_files) if path is not None}


def draw_part(explainer: Explainer, trace: dict[str, Any], quality: Quality, media_dir: Path, part: int,
              claims: Path, text_cache: Path | None = None, captions: str = "burned") -> Any:
    """Run the scene in this process, drawing the plays it claims; write the manifest; return the scene."""
    scene = run_scene(explainer, trace, quality, media_dir, text_cache=text_cache, captions=captions,
                      renderer_class=PartRenderer, part=part, claims=claims, file_writer_class=PartFileWriter)
    renderer = scene.renderer
    segments = renderer.file_writer.segments()
    manifest = {"plays": renderer.num_plays, "segments": {str(i): path for i, path in segments.items()}}
    tmp = media_dir / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest), encoding="utf-8")
    tmp.replace(media_dir / MANIFEST)
    return scene


def _die_with_parent(parent: int) -> None:
    """In a part: be killed when the process that started it dies (Linux), even by SIGKILL."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before that took effect
        os._exit(1)


def draw_in_parts(explainer: Explainer, trace: dict[str, Any], quality: Quality, media_dir: Path, *, parts: int,
                  text_cache: Path | None = None, captions: str = "burned") -> tuple[Path, Any]:
    """Draw with ``parts`` processes (this one is part 0); return (raw mp4 path, scene)."""
    claims = media_dir / "claims"
    claims.mkdir(parents=True, exist_ok=True)
    children: list[tuple[int, subprocess.Popen, Path, Path]] = []
    try:
        for part in range(1, parts):
            part_dir = media_dir / f"part-{part}"
            part_dir.mkdir(parents=True, exist_ok=True)
            spec = part_dir / "spec.pickle"
            spec.write_bytes(pickle.dumps((explainer, trace, quality, part_dir, part, claims, text_cache, captions)))
            log = part_dir / "stderr.txt"
            with open(log, "wb") as err:
                child = subprocess.Popen([sys.executable, "-m", "render.engine.drawparts", str(spec), str(os.getpid())],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
            children.append((part, child, part_dir, log))
        own_dir = media_dir / "part-0"
        own_dir.mkdir(parents=True, exist_ok=True)
        scene = draw_part(explainer, trace, quality, own_dir, 0, claims, text_cache, captions)
        manifests = [json.loads((own_dir / MANIFEST).read_text(encoding="utf-8"))]
        for part, child, part_dir, log in children:
            if child.wait() != 0:
                lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
                raise RenderError(f"{explainer.id}: drawing part {part + 1} of {parts} failed: "
                                  f"{lines[-1] if lines else f'exit status {child.returncode}'}")
            manifests.append(json.loads((part_dir / MANIFEST).read_text(encoding="utf-8")))
    finally:
        for _, child, _, _ in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    plays = manifests[0]["plays"]
    if any(m["plays"] != plays for m in manifests):
        raise RenderError(f"{explainer.id}: the {parts} drawing parts played different numbers of animations "
                          f"(the scene is not deterministic)")
    segments: dict[int, str] = {}
    for manifest in manifests:
        for i, path in manifest["segments"].items():
            if int(i) in segments:
                raise RenderError(f"{explainer.id}: play {i} was drawn by two parts")
            segments[int(i)] = path
    missing = [i for i in range(plays) if i not in segments]
    if missing:
        raise RenderError(f"{explainer.id}: no segment was drawn for play {missing[0]}")
    writer = scene.renderer.file_writer
    raw = Path(scene.output_plan.primary_artifact)
    # what Manim's combine_to_movie does with one process's segments, with every part's
    writer.combine_files([segments[i] for i in range(plays)], raw, False, False)
    return raw, scene


def main(argv: list[str] | None = None) -> int:
    """``python -m render.engine.drawparts SPEC PARENT_PID``: draw one part (started by :func:`draw_in_parts`)."""
    spec, parent = argv if argv is not None else sys.argv[1:]
    _die_with_parent(int(parent))
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for signum in (signal.SIGINT, signal.SIGHUP):  # the parent handles these and stops its parts itself
        signal.signal(signum, signal.SIG_IGN)
    explainer, trace, quality, media_dir, part, claims, text_cache, captions = pickle.loads(Path(spec).read_bytes())
    try:
        draw_part(explainer, trace, quality, Path(media_dir), part, Path(claims), text_cache, captions)
    except Exception as exc:  # one line for the parent to report
        text = str(exc).strip().splitlines()
        print(f"{type(exc).__name__}: {text[0] if text else ''}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    status = main()
    sys.stderr.flush()
    os._exit(status)  # skip tearing down the scene's objects (a second or so): the parent is waiting
