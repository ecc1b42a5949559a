#!/usr/bin/env python3
"""Render benchmark: our pipeline against stock Manim on the same scenes, side by side in one run.

For every ready explainer it times, one after the other (never two measurements at once):

* **stock**: ``manim render -qh --fps 60`` (``-ql`` with ``--quick``) of a tiny wrapper module
  whose Scene subclass builds our scene with the same trace and metadata, so the stock CLI renders
  it with Manim's default encoder settings into a fresh media directory;
* **ours**: ``explainers render --all --quality 1080p --force`` with the default ``--jobs``
  (``--quick``: one explainer at preview quality), then the same command again without ``--force``
  (the **no-op** re-render, everything up to date), a **preview** render of each ready explainer,
  and all ready simulators' default **traces**.

Every render process is measured by ``bench/probe.py`` (loaded through a generated
``sitecustomize``): wall and CPU time, drawing vs encoding CPU (the encode share), frames drawn
vs written, peak RSS per process. The quality of our encode against the stock one is PSNR (RGB)
and SSIM (luma) on frames decoded with PyAV at the same timestamps (one every 2 s).

Writes ``bench/results/<date>.json`` (``<date>-quick.json`` with ``--quick``) and prints a table.
``make bench`` runs the full benchmark; it takes a while (about 15 min for two explainers on
2 cores). Targets: full render <= 0.6x stock wall, no-op <= 2 s, preview <= 20 s,
peak RSS <= 2 GiB per worker, all traces <= 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

TARGETS = {"full_ratio": 0.6, "noop_s": 2.0, "preview_s": 20.0, "rss_mib": 2048.0, "traces_s": 1.0}
SAMPLE_EVERY_S = 2.0

SITECUSTOMIZE = '''\
import os
if os.environ.get("BENCH_PROBE_DIR"):
    import importlib.util as _u
    _spec = _u.spec_from_file_location("_bench_probe", {probe!r})
    _probe = _u.module_from_spec(_spec)
    _spec.loader.exec_module(_probe)
    _probe.install()
'''

WRAPPER = '''\
"""Stock-Manim wrapper for {id}: our scene, built with its trace and metadata, for the stock CLI."""
import json
from pathlib import Path

from {module} import {cls} as _Scene

_INPUT = Path(__file__).with_name("{id}.input.json")


class {name}(_Scene):
    def __init__(self, **kwargs):
        data = json.loads(_INPUT.read_text(encoding="utf-8"))
        super().__init__(trace=data["trace"], meta=data["meta"], **kwargs)
'''


# --- helpers -------------------------------------------------------------------------------------

def _load() -> dict[str, float]:
    one, five, fifteen = os.getloadavg()
    return {"1min": round(one, 2), "5min": round(five, 2), "15min": round(fifteen, 2)}


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _children_rusage() -> resource.struct_rusage:
    return resource.getrusage(resource.RUSAGE_CHILDREN)


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    import av

    out = {"python": platform.python_version(), "manim": version("manim"), "av": version("av")}
    out["libavcodec"] = ".".join(str(x) for x in av.library_versions.get("libavcodec", ()))
    return out


def _class_name(explainer_id: str) -> str:
    return "Stock" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", explainer_id) if part)


class Bench:
    """One benchmark run: a scratch directory, the probe, the commands, the collected figures."""

    def __init__(self, args: argparse.Namespace) -> None:
        from render.catalog import load_catalog

        self.args = args
        self.quick = args.quick
        self.catalog = load_catalog(args.catalog)
        ready = [e for e in self.catalog if e.ready]
        if args.ids:
            wanted = set(args.ids)
            ready = [e for e in ready if e.id in wanted]
        elif self.quick:
            featured = [e for e in ready if e.featured] or ready
            ready = featured[:1]
        if not ready:
            raise SystemExit("no ready explainer to benchmark")
        self.explainers = ready
        self.quality = "preview" if self.quick else "1080p"
        self.stock_flags = ["-ql"] if self.quick else ["-qh", "--fps", "60"]
        if args.resume:
            self.scratch = Path(args.resume)
        else:
            self.scratch = Path(tempfile.mkdtemp(prefix="render-bench-"))
        print(f"scratch directory: {self.scratch} (resume an interrupted run with --resume {self.scratch})")
        site = self.scratch / "site"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(SITECUSTOMIZE.format(probe=str(ROOT / "bench" / "probe.py")))
        self.site = site
        bin_dir = Path(sys.executable).parent
        self.manim = [str(bin_dir / "manim")] if (bin_dir / "manim").exists() else [sys.executable, "-m", "manim"]
        self.explainers_cli = ([str(bin_dir / "explainers")] if (bin_dir / "explainers").exists()
                               else [sys.executable, "-m", "render.cli"])
        self.log = self.scratch / "logs"
        self.log.mkdir(exist_ok=True)

    def close(self, finished: bool) -> None:
        if self.args.keep or not finished:
            print(f"scratch kept in {self.scratch}")
        else:
            shutil.rmtree(self.scratch, ignore_errors=True)

    # --- running and measuring one command ---------------------------------------------------------
    def run(self, name: str, argv: list[str], cwd: Path) -> dict[str, Any]:
        """Run ``argv`` with the probe armed; return wall time, CPU, peak RSS, probe records, output.

        Each finished run is saved in the scratch directory; with ``--resume`` a saved one is reused.
        """
        saved = self.scratch / "runs" / f"{name}.json"
        if saved.is_file():
            print(f"    (reusing the finished run {name} from {saved.parent})", flush=True)
            return json.loads(saved.read_text())
        probes = self.scratch / "probe" / name
        shutil.rmtree(probes, ignore_errors=True)
        probes.mkdir(parents=True)
        env = dict(os.environ)
        env["BENCH_PROBE_DIR"] = str(probes)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.site), str(ROOT), env.get("PYTHONPATH", "")) if p)
        env.pop("EXPLAINERS_CATALOG", None)
        load_before = _load()
        before = _children_rusage()
        started = time.perf_counter()
        with open(self.log / f"{name}.out", "w") as out, open(self.log / f"{name}.err", "w") as err:
            code = subprocess.run(argv, cwd=cwd, env=env, stdout=out, stderr=err).returncode
        wall = time.perf_counter() - started
        after = _children_rusage()
        stdout = (self.log / f"{name}.out").read_text(errors="replace")
        stderr = (self.log / f"{name}.err").read_text(errors="replace")
        if code != 0:
            raise RuntimeError(f"{name}: {' '.join(argv)} exited {code}:\n{stderr[-3000:]}")
        records = []
        for path in sorted(probes.glob("*.jsonl")):
            records += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        result = {"name": name, "argv": argv, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                  "load_before": load_before, "load_after": _load(), "records": records,
                  "stdout": stdout, "stderr": stderr}
        saved.parent.mkdir(exist_ok=True)
        saved.write_text(json.dumps(result))
        return result

    # --- the phases --------------------------------------------------------------------------------
    def traces(self) -> dict[str, Any]:
        from render.build.plan import make_trace

        per = {}
        total = 0.0
        for e in self.explainers_all_ready():
            started = time.perf_counter()
            make_trace(e).to_json()
            took = time.perf_counter() - started
            per[e.id] = round(took, 4)
            total += took
        return {"per_explainer_s": per, "total_s": round(total, 4), "target_s": TARGETS["traces_s"],
                "met": total <= TARGETS["traces_s"]}

    def explainers_all_ready(self):
        return [e for e in self.catalog if e.ready]

    def stock(self, explainer) -> dict[str, Any]:
        import scenes
        from render.build.plan import make_trace

        work = self.scratch / "stock" / explainer.id
        if not (self.scratch / "runs" / f"stock-{explainer.id}.json").is_file():
            shutil.rmtree(work / "media", ignore_errors=True)  # an interrupted run's cache would make it fast
        work.mkdir(parents=True, exist_ok=True)
        scene_class = scenes.get_scene_class(explainer.id)
        module, cls = scene_class.__module__, scene_class.__name__
        name = _class_name(explainer.id)
        meta = {"id": explainer.id, "title": explainer.title, "hook": explainer.hook, "category": explainer.category,
                "duration_s": explainer.duration_s}
        trace = json.loads(make_trace(explainer).to_json())
        (work / f"{explainer.id}.input.json").write_text(json.dumps({"trace": trace, "meta": meta}))
        wrapper = work / f"stock_{name.lower()}.py"
        wrapper.write_text(WRAPPER.format(id=explainer.id, module=module, cls=cls, name=name))
        result = self.run(f"stock-{explainer.id}", [*self.manim, "render", *self.stock_flags,
                                                     "--media_dir", str(work / "media"), wrapper.name, name], work)
        videos = [p for p in (work / "media").rglob(f"{name}.mp4") if "partial_movie_files" not in p.parts]
        if not videos:
            raise RuntimeError(f"stock render of {explainer.id} wrote no {name}.mp4")
        result["video"] = str(videos[0])
        return result

    def ours(self, out: Path, *, force: bool, ids: list[str] | None = None, quality: str | None = None,
             name: str = "ours") -> dict[str, Any]:
        argv = [*self.explainers_cli, "render"]
        argv += ids if ids else ["--all"]
        argv += ["--quality", quality or self.quality, "--out", str(out)]
        if force:
            argv.append("--force")
        if self.args.jobs:
            argv += ["--jobs", str(self.args.jobs)]
        result = self.run(name, argv, ROOT)
        per = {}
        for line in result["stdout"].splitlines():
            m = re.match(r"rendered (\S+): ([\d.]+)s of video in ([\d.]+)s", line)
            if m:
                per[m.group(1)] = {"video_s": float(m.group(2)), "render_s": float(m.group(3))}
        result["per_explainer"] = per
        m = re.search(r"(\d+) rendered, (\d+) skipped", result["stdout"])
        result["rendered"], result["skipped"] = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        return result


# --- quality -------------------------------------------------------------------------------------

def _frames(path: str, indices: list[int], colorspace) -> tuple[dict[int, np.ndarray], int, float]:
    """The frames at ``indices`` (presentation order) as RGB arrays, the frame count and the rate."""
    import av
    from av.video.reformatter import ColorRange

    wanted = set(indices)
    found: dict[int, np.ndarray] = {}
    count = 0
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = float(stream.average_rate or stream.guessed_rate or 0)
        for count, frame in enumerate(container.decode(stream), 1):
            if count - 1 in wanted:
                rgb = frame.reformat(format="rgb24", src_colorspace=colorspace, src_color_range=ColorRange.MPEG)
                found[count - 1] = rgb.to_ndarray()
    return found, count, rate


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of the luma (BT.709 weights) with an 11x11 Gaussian window (sigma 1.5), as Wang et al."""
    from scipy.ndimage import gaussian_filter

    weights = np.array([0.2126, 0.7152, 0.0722])
    x = a.astype(np.float64) @ weights
    y = b.astype(np.float64) @ weights
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(img):
        return gaussian_filter(img, 1.5, truncate=3.5)

    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    value = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(value.mean())


def compare(ours: str, stock: str) -> dict[str, Any]:
    """PSNR and SSIM of our encode against the stock one, on one frame every 2 s at the same timestamps."""
    from av.video.reformatter import Colorspace

    import av

    with av.open(ours) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate or stream.guessed_rate or 0)
        declared = stream.frames
    step = max(1, round(SAMPLE_EVERY_S * rate))
    indices = list(range(step // 2, declared or 10**7, step))
    # Ours is converted with the BT.709 matrix (and tagged so); stock Manim lets swscale use BT.601.
    a, n_ours, _ = _frames(ours, indices, Colorspace.ITU709)
    b, n_stock, _ = _frames(stock, indices, Colorspace.ITU601)
    p = [psnr(a[i], b[i]) for i in indices if i in a and i in b]
    s = [ssim(a[i], b[i]) for i in indices if i in a and i in b]
    finite = [x for x in p if x != float("inf")] or [99.0]
    return {"frames_ours": n_ours, "frames_stock": n_stock, "samples": len(p),
            "psnr_db": {"mean": round(float(np.mean(finite)), 2), "min": round(float(min(finite)), 2)},
            "ssim": {"mean": round(float(np.mean(s)), 5) if s else None, "min": round(float(min(s)), 5) if s else None}}


# --- summarising -----------------------------------------------------------------------------------

def _scene_ids() -> dict[str, str]:
    """Scene class name -> explainer id, for every ready explainer."""
    import scenes
    from render.catalog import load_catalog

    return {scenes.get_scene_class(e.id).__name__: e.id for e in load_catalog() if e.ready}


def _records_by_id(records: list[dict[str, Any]], stock: bool = False) -> dict[str, list[dict[str, Any]]]:
    by_scene = _scene_ids()
    out: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        name = r["scene"]
        explainer_id = by_scene.get(name)
        if explainer_id is None and stock:
            explainer_id = next((i for i in by_scene.values() if _class_name(i) == name), None)
        if explainer_id:
            out.setdefault(explainer_id, []).append(r)
    return out


def _render_figures(records: list[dict[str, Any]]) -> dict[str, Any]:
    cpu = sum(r["cpu_s"] for r in records)
    encode = sum(r["encode_cpu_s"] for r in records)
    return {
        "draw_cpu_s": round(sum(r["draw_cpu_s"] for r in records), 2),
        "encode_cpu_s": round(encode, 2),
        "encode_share": round(encode / cpu, 4) if cpu else None,
        "waited_on_encoder_s": round(sum(r["waited_on_encoder_s"] for r in records), 2),
        "frames_drawn": sum(r["frames_drawn"] for r in records),
        "frames_written": sum(r["frames_written"] for r in records),
        "peak_rss_mib": max((r["maxrss_mib"] for r in records), default=None),
    }


def _strip(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in ("stdout", "stderr", "records")}


def _calibration() -> float:
    """Seconds for a fixed pure-Python loop: this machine kind's speed drifts (about +-30 % over minutes,
    seen here), so the figures of a run are read against it."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return round(time.perf_counter() - started, 3)


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    bench = Bench(args)
    ids = [e.id for e in bench.explainers]
    report: dict[str, Any] = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "mode": "quick" if bench.quick else "full",
        "quality": bench.quality,
        "stock_command": "manim render " + " ".join(bench.stock_flags),
        "machine": {"cpus": os.cpu_count(), "usable_cpus": len(os.sched_getaffinity(0)),
                    "platform": platform.platform(), "uptime_at_start": _uptime(), "load_at_start": _load(),
                    "calibration_s_at_start": _calibration()},
        "versions": _versions(),
        "commit": _git("rev-parse", "--short", "HEAD") + ("+dirty" if _git("status", "--porcelain") else ""),
        "explainers": ids,
        "targets": TARGETS,
    }
    try:
        print(f"benchmarking {', '.join(ids)} at {bench.quality} on {os.cpu_count()} CPUs ({_uptime()})", flush=True)
        report["traces"] = bench.traces()
        stock: dict[str, dict[str, Any]] = {}
        if not args.no_stock:
            for e in bench.explainers:
                print(f"  stock manim render {' '.join(bench.stock_flags)}: {e.id} ...", flush=True)
                stock[e.id] = bench.stock(e)
        out = bench.scratch / "dist"
        print(f"  ours: explainers render {'--all' if not bench.quick else ' '.join(ids)} "
              f"--quality {bench.quality} --force ...", flush=True)
        ours = bench.ours(out, force=True, ids=None if not bench.quick and not args.ids else ids)
        print("  no-op re-render ...", flush=True)
        noop = bench.ours(out, force=False, ids=None if not bench.quick and not args.ids else ids, name="noop")
        previews = {}
        if not bench.quick and not args.no_preview:
            for e in bench.explainers:
                print(f"  preview: {e.id} ...", flush=True)
                previews[e.id] = bench.ours(bench.scratch / "preview", force=True, ids=[e.id], quality="preview",
                                            name=f"preview-{e.id}")
        elif bench.quick:
            previews = {ids[0]: ours}

        ours_by = _records_by_id(ours["records"])
        stock_by = {i: _records_by_id(r["records"], stock=True).get(i, []) for i, r in stock.items()}
        rows = {}
        for e in bench.explainers:
            mine = ours["per_explainer"].get(e.id, {})
            row: dict[str, Any] = {"video_s": mine.get("video_s"), "ours": {"render_s": mine.get("render_s"),
                                                                             **_render_figures(ours_by.get(e.id, []))}}
            if mine.get("video_s") and mine.get("render_s"):
                row["ours"]["video_s_per_wall_s"] = round(mine["video_s"] / mine["render_s"], 3)
            if e.id in stock:
                s = stock[e.id]
                row["stock"] = {"wall_s": s["wall_s"], **_render_figures(stock_by.get(e.id, []))}
                if mine.get("video_s"):
                    row["stock"]["video_s_per_wall_s"] = round(mine["video_s"] / s["wall_s"], 3)
                if mine.get("render_s"):
                    row["ratio_ours_to_stock"] = round(mine["render_s"] / s["wall_s"], 3)
                if not args.no_quality:
                    print(f"  quality: {e.id} ...", flush=True)
                    row["quality_vs_stock"] = compare(str(out / f"{e.id}.mp4"), s["video"])
            if e.id in previews:
                p = previews[e.id]
                row["preview_s"] = p["wall_s"]
            rows[e.id] = row
        report["per_explainer"] = rows
        video_total = sum(r["video_s"] or 0 for r in rows.values())
        total: dict[str, Any] = {"video_s": round(video_total, 2), "ours_wall_s": ours["wall_s"],
                                 "ours_cpu_s": ours["cpu_s"], "jobs": args.jobs or "default",
                                 "ours_video_s_per_wall_s": round(video_total / ours["wall_s"], 3)}
        if stock:
            stock_wall = sum(s["wall_s"] for s in stock.values())
            total.update(stock_wall_s=round(stock_wall, 3), stock_cpu_s=round(sum(s["cpu_s"] for s in stock.values()), 3),
                         stock_video_s_per_wall_s=round(video_total / stock_wall, 3),
                         ratio_ours_to_stock=round(ours["wall_s"] / stock_wall, 3))
        rss = [r["maxrss_mib"] for r in ours["records"]]
        total["ours_peak_rss_mib_per_worker"] = max(rss) if rss else None
        report["total"] = total
        report["noop"] = {"wall_s": noop["wall_s"], "skipped": noop["skipped"], "rendered": noop["rendered"],
                          "target_s": TARGETS["noop_s"], "met": noop["wall_s"] <= TARGETS["noop_s"] and noop["rendered"] == 0}
        report["preview"] = {i: p["wall_s"] for i, p in previews.items()}
        report["runs"] = {"ours": _strip(ours), "noop": _strip(noop), **{f"stock-{i}": _strip(s) for i, s in stock.items()},
                          **{f"preview-{i}": _strip(p) for i, p in previews.items() if p is not ours}}
        report["probe_records"] = {"ours": ours["records"], **{f"stock-{i}": s["records"] for i, s in stock.items()},
                                   **{f"preview-{i}": p["records"] for i, p in previews.items() if p is not ours}}
        report["machine"]["uptime_at_end"] = _uptime()
        report["machine"]["calibration_s_at_end"] = _calibration()
        report["targets_met"] = _targets_met(report)
    except BaseException:
        bench.close(finished=False)
        raise
    bench.close(finished=True)
    return report


def _targets_met(report: dict[str, Any]) -> dict[str, Any]:
    total = report["total"]
    met: dict[str, Any] = {}
    if "ratio_ours_to_stock" in total and report["mode"] == "full":
        met["full_render_ratio"] = {"value": total["ratio_ours_to_stock"], "target": TARGETS["full_ratio"],
                                    "met": total["ratio_ours_to_stock"] <= TARGETS["full_ratio"]}
    met["noop_s"] = {"value": report["noop"]["wall_s"], "target": TARGETS["noop_s"], "met": report["noop"]["met"]}
    if report["preview"]:
        worst = max(report["preview"].values())
        met["preview_s"] = {"value": worst, "target": TARGETS["preview_s"], "met": worst <= TARGETS["preview_s"]}
    rss = total.get("ours_peak_rss_mib_per_worker")
    if rss is not None:
        met["rss_mib"] = {"value": rss, "target": TARGETS["rss_mib"], "met": rss <= TARGETS["rss_mib"]}
    met["traces_s"] = {"value": report["traces"]["total_s"], "target": TARGETS["traces_s"], "met": report["traces"]["met"]}
    return met


def print_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    def f(value: Any, fmt: str = "{:.1f}") -> str:
        return "-" if value is None else fmt.format(value)

    table = Table(title=f"Render bench ({report['mode']}, {report['quality']}, {report['machine']['cpus']} CPUs, "
                        f"load {report['machine']['load_at_start']['1min']} at start)")
    for column in ("explainer", "video s", "stock s", "ours s", "ratio", "vid s/s stock", "vid s/s ours",
                   "RSS MiB stock", "RSS MiB ours", "enc share stock", "enc share ours", "PSNR dB mean/min",
                   "SSIM mean/min", "preview s"):
        table.add_column(column, justify="left" if column == "explainer" else "right")
    for explainer_id, row in report["per_explainer"].items():
        stock, ours, q = row.get("stock", {}), row["ours"], row.get("quality_vs_stock")
        table.add_row(
            explainer_id, f(row["video_s"]), f(stock.get("wall_s")), f(ours.get("render_s")),
            f(row.get("ratio_ours_to_stock"), "{:.2f}"), f(stock.get("video_s_per_wall_s"), "{:.2f}"),
            f(ours.get("video_s_per_wall_s"), "{:.2f}"), f(stock.get("peak_rss_mib"), "{:.0f}"),
            f(ours.get("peak_rss_mib"), "{:.0f}"), f(stock.get("encode_share"), "{:.0%}"),
            f(ours.get("encode_share"), "{:.0%}"),
            f"{q['psnr_db']['mean']:.1f}/{q['psnr_db']['min']:.1f}" if q else "-",
            f"{q['ssim']['mean']:.4f}/{q['ssim']['min']:.4f}" if q else "-", f(row.get("preview_s")))
    t = report["total"]
    table.add_row("total", f(t["video_s"]), f(t.get("stock_wall_s")), f(t["ours_wall_s"]),
                  f(t.get("ratio_ours_to_stock"), "{:.2f}"), f(t.get("stock_video_s_per_wall_s"), "{:.2f}"),
                  f(t["ours_video_s_per_wall_s"], "{:.2f}"), "", f(t.get("ours_peak_rss_mib_per_worker"), "{:.0f}"),
                  "", "", "", "", "", end_section=True)
    console = Console(width=max(160, Console().width))
    console.print(table)
    targets = Table(title="Targets")
    for column in ("target", "value", "limit", "met"):
        targets.add_column(column)
    for name, item in report["targets_met"].items():
        targets.add_row(name, f(item["value"], "{:.2f}"), f(item["target"], "{:g}"),
                        "[green]yes[/]" if item["met"] else "[bold red]no[/]")
    console.print(targets)
    console.print(f"no-op re-render: {report['noop']['wall_s']:.2f} s ({report['noop']['skipped']} skipped); "
                  f"traces: {report['traces']['total_s']:.3f} s; uptime at end: {report['machine'].get('uptime_at_end')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode: one explainer at preview quality (-ql stock)")
    parser.add_argument("--ids", nargs="+", metavar="ID", help="only these ready explainers")
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for our render (default: explainers' default)")
    parser.add_argument("--no-stock", action="store_true", help="skip the stock Manim renders (and the comparison)")
    parser.add_argument("--no-quality", action="store_true", help="skip the PSNR/SSIM comparison")
    parser.add_argument("--no-preview", action="store_true", help="skip the separate preview renders (full mode)")
    parser.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--catalog", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (renders, logs)")
    parser.add_argument("--resume", metavar="DIR", help="finish an interrupted run from its scratch directory")
    args = parser.parse_args(argv)
    report = run_bench(args)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stem = dt.date.today().isoformat() + ("-quick" if args.quick else "")
    path = args.results_dir / f"{stem}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    print_table(report)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
