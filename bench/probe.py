"""Timing probe for the render bench, loaded into every render process through ``sitecustomize``.

The bench puts a generated ``sitecustomize.py`` on ``PYTHONPATH`` that imports this module
when ``BENCH_PROBE_DIR`` is set, so the stock ``manim`` CLI and our ``explainers`` CLI (and the
worker processes it spawns) are measured the same way without changing either of them. Once
``manim.scene.scene`` is imported, :func:`install` wraps:

* ``Scene.render``: wall time, CPU time of the drawing thread (the main thread: scene logic,
  updaters, Cairo rasterising) and of the whole process (drawing + the encoder thread + x264's
  threads) over the render, and the process's peak RSS when it ends;
* ``SceneFileWriter.write_frame``: frames drawn (calls) and frames written (the sum of repeats:
  a static hold is one call with ``repeat`` > 1);
* the encode job's ``put`` and ``join``: how long drawing waited on the encoder.

One JSON line per rendered scene goes to ``$BENCH_PROBE_DIR/<pid>.jsonl``. Only the standard
library is used, and nothing is imported before Manim is.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import os
import resource
import sys
import threading
import time

_TARGET = "manim.scene.scene"
_state = {"frames_drawn": 0, "frames_written": 0, "wait_s": 0.0}


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _record(data: dict) -> None:
    out = os.environ.get("BENCH_PROBE_DIR")
    if not out:
        return
    with open(os.path.join(out, f"{os.getpid()}.jsonl"), "a", encoding="utf-8") as handle:
        handle.write(json.dumps(data) + "\n")


def _timed_wait(function):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            if threading.current_thread() is threading.main_thread():
                _state["wait_s"] += time.perf_counter() - started
    return wrapper


def _patch(scene_module) -> None:
    from manim.scene import scene_file_writer as sfw

    scene_cls = scene_module.Scene
    original_render = scene_cls.render

    def render(self, *args, **kwargs):
        for key in _state:
            _state[key] = 0 if key != "wait_s" else 0.0
        wall0, cpu0, main0 = time.perf_counter(), _cpu(), time.thread_time()
        try:
            return original_render(self, *args, **kwargs)
        finally:
            wall, cpu, main = time.perf_counter() - wall0, _cpu() - cpu0, time.thread_time() - main0
            _record({
                "scene": type(self).__name__,
                "pid": os.getpid(),
                "wall_s": round(wall, 3),
                "cpu_s": round(cpu, 3),
                "draw_cpu_s": round(main, 3),
                "encode_cpu_s": round(max(cpu - main, 0.0), 3),
                "encode_share": round(max(cpu - main, 0.0) / cpu, 4) if cpu > 0 else 0.0,
                "waited_on_encoder_s": round(_state["wait_s"], 3),
                "frames_drawn": _state["frames_drawn"],
                "frames_written": _state["frames_written"],
                "maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            })

    scene_cls.render = render

    original_write = sfw.SceneFileWriter.write_frame

    def write_frame(self, pixels, *, repeat: int = 1):
        _state["frames_drawn"] += 1
        _state["frames_written"] += repeat
        return original_write(self, pixels, repeat=repeat)

    sfw.SceneFileWriter.write_frame = write_frame
    job = sfw._PartialMovieEncodeJob
    job.put = _timed_wait(job.put)
    job.join = _timed_wait(job.join)


class _Loader(importlib.abc.Loader):
    def __init__(self, inner) -> None:
        self.inner = inner

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module) -> None:
        self.inner.exec_module(module)
        _patch(module)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != _TARGET:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.machinery.PathFinder.find_spec(name, path)
        finally:
            pass
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


def install() -> None:
    """Patch Manim as soon as it is imported (or now, if it already is)."""
    if _TARGET in sys.modules:
        _patch(sys.modules[_TARGET])
    elif not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
