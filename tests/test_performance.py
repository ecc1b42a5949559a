"""Performance machinery, tested for behaviour (never timed: the figures are ``bench/``'s job).

* the render speed-ups (:mod:`render.engine.speedups`) draw exactly Manim's pixels;
* the up-to-date check runs in the caller, before any worker or Manim import: a no-op run
  renders nothing, and changing one scene re-renders that explainer only (``--force`` all);
* the bench's probe and quality metric work on real files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import render.build.job
import render.build.sources
from render.build import executors
from render.build.plan import content_hash, make_trace
from render.build.settings import RenderOutcome, RenderSettings
from render.catalog import PROJECT_ROOT, load_catalog
from render.fsio import sha256_file
from conftest import hashing_writer

CATALOG = load_catalog()
READY = [e for e in CATALOG if e.ready]


# --- the speed-ups draw the same pixels ----------------------------------------------------------

def _frame_hashes(explainer_id: str, fast: bool, upto: int) -> tuple[list[str], int]:
    """Hashes of every frame of the first ``upto`` + 1 animations, drawn small, with or without the speed-ups."""
    import tempfile

    from manim import tempconfig
    from manim.camera.camera import Camera
    from manim.renderer.cairo_renderer import CairoRenderer
    from manim.utils.exceptions import EndSceneEarlyException

    import scenes
    from render.engine import speedups

    hashes: list[str] = []
    HashingWriter = hashing_writer(lambda digest, repeat: hashes.append(f"{digest}x{repeat}"))

    explainer = CATALOG.get(explainer_id)
    trace = json.loads(make_trace(explainer).to_json())
    meta = {"id": explainer.id, "title": explainer.title, "hook": explainer.hook, "category": explainer.category,
            "duration_s": explainer.duration_s}
    (speedups.install if fast else speedups.uninstall)()
    try:
        with tempfile.TemporaryDirectory() as media:
            config = {"media_dir": media, "pixel_width": 384, "pixel_height": 216, "frame_rate": 6,
                      "disable_caching": True, "verbosity": "ERROR", "progress_bar": "none",
                      "upto_animation_number": upto}
            with tempconfig(config):
                renderer = CairoRenderer(file_writer_class=HashingWriter,
                                         camera_class=speedups.PathCachingCamera if fast else Camera)
                scene = scenes.get_scene_class(explainer_id)(trace=trace, meta=meta, renderer=renderer)
                try:
                    scene.render()
                except EndSceneEarlyException:  # raised again by a wait in tear_down, past the range
                    pass
                hits = getattr(renderer.camera, "path_hits", 0)
    finally:
        speedups.install()  # what every render in this process uses
    return hashes, hits


@pytest.mark.parametrize("explainer_id", [e.id for e in READY])
def test_speedups_draw_manims_pixels(explainer_id: str) -> None:
    stock, _ = _frame_hashes(explainer_id, fast=False, upto=14)
    fast, hits = _frame_hashes(explainer_id, fast=True, upto=14)
    assert len(stock) > 25  # runs of identical frames: the range draws a real stretch of the video
    assert fast == stock
    assert hits > 0  # the cache was used, not bypassed


def test_copied_text_shares_only_its_parsed_svg_path() -> None:
    import numpy as np
    from manim import Text

    from render.engine import speedups

    speedups.install()
    text = Text("token bucket", font="Inter", font_size=28)
    copy = text.copy()
    for a, b in zip(text.get_family(), copy.get_family(), strict=True):
        assert a is not b
        assert np.array_equal(a.points, b.points) and a.points is not b.points
        if hasattr(a, "path_obj"):
            assert b.path_obj is a.path_obj
    copy.shift([1, 0, 0])
    assert not np.array_equal(text.points, copy.points) or len(text.points) == 0



def test_get_family_is_manims() -> None:
    """The faster walk returns Manim's list: order, repeats (last kept) and cycles (skipped) included."""
    from manim import Circle, Square, VGroup

    from render.engine import speedups

    a, b, c, d = Circle(), Square(), Circle(), Square()
    inner = VGroup(b, c)
    shared = VGroup(d)
    top = VGroup(a, inner, shared, VGroup(shared, b))  # shared and b appear twice
    inner.submobjects.append(top)  # a cycle
    for mobject in (top, inner, shared, VGroup(), a):
        assert speedups._get_family(mobject) == speedups._MANIM_GET_FAMILY(mobject)
    group = VGroup(*[VGroup(Circle(), VGroup(Square(), Circle())) for _ in range(50)])
    assert speedups._get_family(group) == speedups._MANIM_GET_FAMILY(group)


def test_text_disk_cache_gives_back_the_same_text(tmp_path: Path) -> None:
    import numpy as np

    from render.engine import speedups
    from scenes.kit import text as kit_text

    speedups.uninstall()
    try:
        speedups.install(text_cache=tmp_path)
        cache = kit_text.text_source()
        assert isinstance(cache, speedups.TextDiskCache)
        built = kit_text._text("x=1 term 2", "Inter", 24.0, "#F0F0F0", "BOLD")
        assert cache.misses == 1 and len(list(tmp_path.rglob("*.pickle"))) == 1
        kit_text._text.cache_clear()
        loaded = kit_text._text("x=1 term 2", "Inter", 24.0, "#F0F0F0", "BOLD")
        assert cache.hits == 1 and loaded is not built
        for a, b in zip(built.get_family(), loaded.get_family(), strict=True):
            assert type(a) is type(b)
            assert np.array_equal(a.points, b.points)
            assert np.array_equal(a.fill_rgbas, b.fill_rgbas) and np.array_equal(a.stroke_rgbas, b.stroke_rgbas)
        # another colour, size or weight is another entry; a damaged entry is rebuilt, not trusted
        kit_text._text("x=1 term 2", "Inter", 24.0, "#F0F0F0", "NORMAL")
        assert cache.misses == 2
        entry = next(tmp_path.rglob("*.pickle"))
        entry.write_bytes(b"not a pickle")
        kit_text._text.cache_clear()
        kit_text._text("x=1 term 2", "Inter", 24.0, "#F0F0F0", "BOLD")
        kit_text._text("x=1 term 2", "Inter", 24.0, "#F0F0F0", "NORMAL")
        assert cache.misses == 3 and cache.hits == 2
    finally:
        speedups.uninstall()
        speedups.install()

# --- planning in the caller: no-op and change-one ---------------------------------------------------

def _fake_up_to_date(out: Path, settings: RenderSettings) -> None:
    """Metadata that says every ready explainer is up to date, with one small real file it lists."""
    for e in READY:
        digest = content_hash(e, make_trace(e).to_json(), settings)
        video = out / f"{e.id}.mp4"
        video.write_bytes(e.id.encode() * 100)
        files = {video.name: {"bytes": video.stat().st_size, "sha256": sha256_file(video)}}
        (out / f"{e.id}.json").write_text(json.dumps({"render_hash": digest, "files": files}), encoding="utf-8")


def _no_render(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    rendered: list[str] = []

    def render_one(explainer, settings):
        rendered.append(explainer.id)
        return RenderOutcome(explainer.id, "rendered", 1.0, 100.0)

    monkeypatch.setattr(render.build.job, "render_one", render_one)
    monkeypatch.setattr(executors, "ProcessPoolExecutor", lambda *a, **k: pytest.fail("a pool was started"))
    return rendered


def test_nothing_changed_plans_no_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = RenderSettings(out_dir=tmp_path, quality="preview")
    _fake_up_to_date(tmp_path, settings)
    rendered = _no_render(monkeypatch)
    events: list[tuple[str, str]] = []
    outcomes = executors.render_all(list(CATALOG), settings, 2, lambda i, ev, o: events.append((i, ev)))
    assert rendered == []
    assert {o.id: o.status for o in outcomes if o.id in {e.id for e in READY}} == {e.id: "skipped" for e in READY}
    assert all(o.status == "planned" for o in outcomes if not CATALOG.get(o.id).ready)
    assert sorted(events) == sorted((e.id, "done") for e in CATALOG)  # no "start": nothing was handed out


def test_a_damaged_or_resized_output_is_not_up_to_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = RenderSettings(out_dir=tmp_path, quality="preview")
    _fake_up_to_date(tmp_path, settings)
    rendered = _no_render(monkeypatch)
    first, second = READY[0], READY[-1]
    video = tmp_path / f"{first.id}.mp4"
    data = bytearray(video.read_bytes())
    data[10:20] = bytes(10)  # same size, other bytes
    video.write_bytes(bytes(data))
    if second is not first:
        (tmp_path / f"{second.id}.mp4").write_bytes(b"shorter")
    executors.render_all(READY, settings, 1)
    assert rendered == [e.id for e in READY if e in (first, second)]


def test_changing_one_scene_rerenders_only_that_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Edit one scene's source in a copy of the project: only its explainer is re-rendered; --force does all."""
    settings = RenderSettings(out_dir=tmp_path / "out", quality="preview")
    settings.out_dir.mkdir()
    _fake_up_to_date(settings.out_dir, settings)
    copy = tmp_path / "project"
    for part in ("sims", "scenes", "render"):
        shutil.copytree(PROJECT_ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(render.build.sources, "PROJECT_ROOT", copy)
    rendered = _no_render(monkeypatch)

    changed = READY[-1]
    module = copy / "scenes" / f"{changed.module}.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n# a changed beat\n", encoding="utf-8")
    outcomes = executors.render_all(list(CATALOG), settings, 1)
    assert rendered == [changed.id]
    assert {o.id: o.status for o in outcomes if CATALOG.get(o.id).ready} == {
        e.id: "rendered" if e.id == changed.id else "skipped" for e in READY}

    rendered.clear()
    kit = copy / "scenes" / "kit" / "theme.py"  # the kit is shared: every explainer depends on it
    kit.write_text(kit.read_text(encoding="utf-8") + "\n# a changed colour\n", encoding="utf-8")
    executors.render_all(READY, settings, 1)
    assert rendered == [e.id for e in READY]

    rendered.clear()
    monkeypatch.setattr(render.build.sources, "PROJECT_ROOT", PROJECT_ROOT)
    executors.render_all(READY, RenderSettings(out_dir=settings.out_dir, quality="preview", force=True), 1)
    assert rendered == [e.id for e in READY]


def test_a_new_helper_module_beside_a_scene_or_in_the_kit_plans_a_render(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The hash walks imports and packages: nothing is listed by hand, so no new file can be missed."""
    settings = RenderSettings(out_dir=tmp_path / "out", quality="preview")
    settings.out_dir.mkdir()
    _fake_up_to_date(settings.out_dir, settings)
    copy = tmp_path / "project"
    for part in ("sims", "scenes", "render"):
        shutil.copytree(PROJECT_ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(render.build.sources, "PROJECT_ROOT", copy)
    rendered = _no_render(monkeypatch)
    target = READY[0]

    executors.render_all(READY, settings, 1)
    assert rendered == []  # the copy is the same code

    (copy / "scenes" / "kit" / "extras").mkdir()
    (copy / "scenes" / "kit" / "extras" / "__init__.py").write_text("SPACING = 0.3\n", encoding="utf-8")
    executors.render_all(READY, settings, 1)
    assert rendered == [e.id for e in READY]  # a new file in a kit subfolder: every explainer
    _fake_up_to_date_in(copy, settings, monkeypatch)
    rendered.clear()

    helper = copy / "scenes" / f"{target.module}_helpers.py"
    helper.write_text("GAP = 0.2\n", encoding="utf-8")
    executors.render_all(READY, settings, 1)
    assert rendered == []  # nothing imports it yet
    scene = copy / "scenes" / f"{target.module}.py"
    scene.write_text(f"from scenes import {target.module}_helpers  # noqa: F401\n" + scene.read_text(encoding="utf-8"),
                     encoding="utf-8")
    executors.render_all(READY, settings, 1)
    assert rendered == [target.id]
    _fake_up_to_date_in(copy, settings, monkeypatch)
    rendered.clear()
    helper.write_text("GAP = 0.25\n", encoding="utf-8")  # only the helper changes
    executors.render_all(READY, settings, 1)
    assert rendered == [target.id]


def _fake_up_to_date_in(copy: Path, settings: RenderSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Record the copy's current hashes as up to date."""
    monkeypatch.setattr(render.build.sources, "PROJECT_ROOT", copy)
    _fake_up_to_date(Path(settings.out_dir), settings)


def test_noop_cli_run_imports_no_manim(rate_limiting_preview: Path, tmp_path: Path) -> None:
    """The real command on real up-to-date outputs: skipped, without importing Manim or starting a worker."""
    out = tmp_path / "dist"
    shutil.copytree(rate_limiting_preview, out)
    code = textwrap.dedent(f"""
        import sys, multiprocessing
        from render.cli import cli
        try:
            cli(["render", "rate-limiting", "--quality", "preview", "--out", {str(out)!r}, "--jobs", "2"],
                prog_name="explainers")
        except SystemExit as exc:
            status = exc.code
        print("RESULT", status, "manim" in sys.modules, len(multiprocessing.active_children()))
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert "skipped  rate-limiting: up to date" in proc.stdout, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "RESULT 0 False 0"


# --- the bench's own machinery ------------------------------------------------------------------------

def _bench():
    sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    try:
        import render_bench
    finally:
        sys.path.remove(str(PROJECT_ROOT / "bench"))
    return render_bench


def test_quality_metrics() -> None:
    import numpy as np

    bench = _bench()
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (72, 128, 3), dtype=np.uint8)
    assert bench.psnr(a, a) == float("inf")
    assert bench.ssim(a, a) == pytest.approx(1.0)
    b = np.clip(a.astype(int) + rng.integers(-3, 4, a.shape), 0, 255).astype(np.uint8)
    assert 35 < bench.psnr(a, b) < 50
    assert 0.8 < bench.ssim(a, b) < 1.0


def test_compare_a_video_with_itself(rate_limiting_preview: Path) -> None:
    video = str(rate_limiting_preview / "rate-limiting.mp4")
    result = _bench().compare(video, video)
    assert result["frames_ours"] == result["frames_stock"] > 1000
    assert result["samples"] >= 50
    # Decoded the same way the two sides are compared (709 vs 601 matrices), the same file still matches closely.
    assert result["psnr_db"]["min"] > 30 and result["ssim"]["min"] > 0.95


def test_probe_measures_a_stock_manim_render(tmp_path: Path) -> None:
    """The bench's probe, through its generated sitecustomize, in a real stock ``manim render`` process."""
    bench = _bench()
    args = bench.argparse.Namespace(quick=True, ids=None, jobs=None, catalog=None, keep=False, resume=None)
    run = bench.Bench(args)
    try:
        scene = tmp_path / "tiny.py"
        scene.write_text(textwrap.dedent("""
            from manim import Create, Scene, Square
            class Tiny(Scene):
                def construct(self):
                    self.play(Create(Square()), run_time=1)
                    self.wait(1)
        """))
        result = run.run("tiny", [*run.manim, "render", "-ql", "--media_dir", str(tmp_path / "media"), "tiny.py",
                                  "Tiny"], tmp_path)
    finally:
        run.close(finished=True)
    (record,) = result["records"]
    assert record["scene"] == "Tiny"
    assert record["frames_written"] == 30 and record["frames_drawn"] == 16  # 15 drawn + one held for 15
    assert 0 < record["encode_share"] < 1 and record["maxrss_mib"] > 50
    assert result["wall_s"] > 0 and result["cpu_s"] > 0
