"""Reliability: bad input, interrupted renders, concurrent runs, hostile strings, a full disk.

Most tests run in-process through click's CliRunner. Those that need a render
without paying for a draw replace ``render.engine.draw.draw`` with a stand-in that
hands back the reference MP4 (remux, captions, poster, metadata and index stay
the real thing). The interrupt and concurrency tests run the real ``explainers``
in subprocesses and stop them at exact points through the pipeline's test hook
(:func:`render.fsio.checkpoint`): ``EXPLAINERS_TEST_MARKS=DIR`` makes it write
``DIR/<point>`` at every point it reaches, ``EXPLAINERS_TEST_PAUSE_AT=<point>``
makes it sleep at one (until ``DIR/resume`` exists).

One real preview draw happens here (in the SIGKILL chain); the uninterrupted
reference is the session's shared ``rate_limiting_preview`` render.
"""

from __future__ import annotations

import copy
import errno
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import av
import pytest
import srt
import webvtt
import yaml
from click.testing import CliRunner, Result

import render.build.job
import render.delivery.frames
import render.engine.draw
import render.fsio
from render.build.cache import Cache, cache_root
from render.build.job import DRAWN, work_name
from render.build.lock import LOCK_NAME, OutDirLock, sweep_work_dirs
from render.build.plan import content_hash, make_trace
from render.build.settings import RenderSettings
from render.catalog import DEFAULT_CATALOG, MAX_CATALOG_BYTES, PROJECT_ROOT, load_catalog
from render.cli import cli
from render.delivery import captionfiles as cap
from render.delivery.gallery import build_index, render_html
from render.fsio import MARKS_ENV, PAUSE_ENV, PAUSE_SECONDS_ENV, TEMP_MARK, staged, sweep_temp_files
from scenes.captions import Chapter, Checkpoint, Cue

RL = "rate-limiting"
OUTPUTS = (".mp4", ".vtt", ".srt", ".chapters.vtt", ".jpg", ".json")
RAW = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
_SCRIPT = Path(sys.executable).with_name("explainers")
EXPLAINERS = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "render.cli"]
INTERRUPTED = "Interrupted: nothing half-written was left under a final name."


# ------------------------------------------------------------------ helpers
@pytest.fixture(autouse=True)
def _no_catalog_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXPLAINERS_CATALOG", raising=False)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def digests(files: dict[str, bytes]) -> dict[str, str]:
    """Names and sha256 of file contents: comparable without pytest diffing megabytes."""
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def contents(out: Path) -> dict[str, bytes]:
    """Every file in ``out`` by name (temporary ones included)."""
    return {p.name: p.read_bytes() for p in sorted(Path(out).iterdir()) if p.is_file()}


def temporaries(out: Path) -> list[str]:
    return sorted(p.name for p in Path(out).iterdir() if TEMP_MARK in p.name)


def inodes(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in Path(out).iterdir()}


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


def work_dir_of(explainer_id: str, out: Path) -> Path:
    """Where a render of ``explainer_id`` at preview quality into ``out`` keeps its Manim media."""
    explainer = load_catalog().get(explainer_id)
    settings = RenderSettings(out_dir=Path(out).resolve(), quality="preview")
    digest = content_hash(explainer, make_trace(explainer).to_json(), settings)
    return cache_root().path / work_name(explainer_id, digest, settings.out_dir)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted preview render of rate-limiting plus its index, in a directory of its own.

    Rendered by the CLI in a process of its own, as the interrupted runs are (not in this test
    process, whose earlier tests may have changed Manim's state).
    """
    ref = tmp_path_factory.mktemp("reference")
    done = subprocess.run([*EXPLAINERS, *render_args(ref)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return ref


def copy_of(reference: Path, out: Path) -> Path:
    shutil.copytree(reference, out)
    return out


@pytest.fixture
def fake_draw(reference: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Replace the Manim draw with the reference MP4 and its cues: everything after drawing is real.

    The work directories go to a cache of the test's own (a failed write keeps the draw for a rerun).
    """
    monkeypatch.setattr(render.build.job, "cache_root", lambda: Cache(tmp_path / "cache", None))
    meta = json.loads((reference / f"{RL}.json").read_text(encoding="utf-8"))
    cues = [Cue(**c) for c in meta["draw"]["cues"]]
    chapters = [Chapter(**c) for c in meta["draw"]["chapters"]]
    checkpoints = [Checkpoint(**{**c, "choices": tuple(c["choices"])}) for c in meta["draw"]["checkpoints"]]
    calls: list[str] = []

    def draw(explainer, trace, quality, media_dir: Path, **kwargs: Any):
        raw = Path(media_dir) / "videos" / f"{explainer.id}.mp4"
        raw.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(reference / f"{RL}.mp4", raw)
        calls.append(explainer.id)
        return raw, SimpleNamespace(cues=cues, chapters=chapters, poster_time=meta["draw"]["poster_at"],
                                    checkpoints=checkpoints)

    monkeypatch.setattr(render.engine.draw, "draw", draw)
    return calls


class Proc:
    """A real ``explainers`` command in its own process group, with the checkpoint hooks armed."""

    def __init__(self, args: list[str], workdir: Path, name: str, *, pause: str | None = None,
                 pause_s: float | None = None) -> None:
        self.marks = workdir / f"marks-{name}"
        self.marks.mkdir(parents=True)
        self.err_path = workdir / f"{name}.stderr"
        self.out_path = workdir / f"{name}.stdout"
        env = {k: v for k, v in os.environ.items() if k not in ("EXPLAINERS_CATALOG", PAUSE_ENV, PAUSE_SECONDS_ENV)}
        env[MARKS_ENV] = str(self.marks)
        if pause:
            env[PAUSE_ENV] = pause
        if pause_s is not None:
            env[PAUSE_SECONDS_ENV] = str(pause_s)
        with open(self.out_path, "w") as stdout, open(self.err_path, "w") as stderr:
            self.popen = subprocess.Popen([*EXPLAINERS, *args], cwd=PROJECT_ROOT, env=env, stdout=stdout,
                                          stderr=stderr, start_new_session=True)
        self.pid = self.popen.pid

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8")

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(encoding="utf-8")

    def reached(self, point: str) -> bool:
        return (self.marks / point).exists()

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.popen.poll() is not None:
                pytest.fail(f"exited {self.popen.returncode} before {what}: {self.stderr}")
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"timed out waiting for {what}")
            time.sleep(0.02)

    def wait_point(self, point: str, timeout: float = 240) -> None:
        self.wait_for(lambda: self.reached(point), point, timeout)

    def resume(self) -> None:
        (self.marks / "resume").touch()

    def signal_group(self, signum: int) -> None:
        os.killpg(self.pid, signum)

    def kill(self) -> int:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return self.popen.wait(60)

    def points(self) -> list[str]:
        """The points it reached, in order."""
        marks = [p for p in self.marks.iterdir() if p.name not in ("paused", "resume") and TEMP_MARK not in p.name]
        return [p.name for p in sorted(marks, key=lambda p: int(p.read_text() or 0))]

    def wait(self, timeout: float = 240) -> int:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def group_gone(self) -> bool:
        """No process of its group runs any more (a dead one its new parent has not reaped yet counts as gone)."""
        try:
            os.killpg(self.pid, 0)
        except ProcessLookupError:
            return True
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.pid and fields[0] != "Z":  # pgrp, state
                return False
        return True


def render_args(out: Path, *ids: str) -> list[str]:
    return ["render", *(ids or (RL,)), "--quality", "preview", "--out", str(out)]


# ================================================================== 1. bad input
def _catalog(change: Callable[[dict[str, Any]], Any]) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        data = copy.deepcopy(RAW)
        change(data)
        path = tmp / "catalog.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        return path
    return make


def _raw_catalog(content: bytes | Callable[[], bytes]) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / "catalog.yaml"
        path.write_bytes(content() if callable(content) else content)
        return path
    return make


def _entry(i: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for key, value in fields.items():
            if value is DROP:
                del data["explainers"][i][key]
            else:
                data["explainers"][i][key] = value
    return change


def _params(**params: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["explainers"][0]["params"].update(params)


DROP = object()
REAL_BYTES = DEFAULT_CATALOG.read_bytes()
_HOOK_LINE = next(i for i, line in enumerate(REAL_BYTES.decode().splitlines(), 1) if line.lstrip().startswith("hook:"))

#: (case id, catalog maker, expected error after "Error: <catalog>: ")
CATALOG_CASES = [
    ("missing-field", _catalog(_entry(0, title=DROP)), "rate-limiting: title: missing required field"),
    ("wrong-type-str-for-int", _catalog(_entry(0, duration_s="90")),
     "rate-limiting: duration_s: expected an integer, got str '90'"),
    ("wrong-type-bool-for-int", _catalog(_entry(0, duration_s=True)),
     "rate-limiting: duration_s: expected an integer, got bool True"),
    ("wrong-type-tags", _catalog(_entry(0, tags="a, b")), "rate-limiting: tags: expected a list, got str 'a, b'"),
    ("duplicate-id", _catalog(_entry(1, id=RL)), "rate-limiting: id: duplicate id"),
    ("id-with-slash", _catalog(_entry(0, id="rate/limiting")),
     "'rate/limiting': id: must be lowercase letters, digits and single hyphens ([a-z0-9-]+)"),
    ("id-with-dotdot", _catalog(_entry(0, id="../etc")), "'../etc': id: must be lowercase letters"),
    ("id-uppercase", _catalog(_entry(0, id="Rate-Limiting")), "'Rate-Limiting': id: must be lowercase letters"),
    ("unknown-category", _catalog(_entry(0, category="Cooking")),
     "rate-limiting: category: unknown category 'Cooking' (allowed: "),
    ("duration-too-short", _catalog(_entry(0, duration_s=29)), "rate-limiting: duration_s: 29 is outside 30-300 s"),
    ("duration-too-long", _catalog(_entry(0, duration_s=301)), "rate-limiting: duration_s: 301 is outside 30-300 s"),
    ("unknown-sim-param", _catalog(_params(bogus=1)), "rate-limiting: params.bogus: unknown parameter (known: "),
    ("param-wrong-type", _catalog(_params(limit="ten")),
     "rate-limiting: params.limit: expected an integer, got str 'ten'"),
    ("param-out-of-range", _catalog(_params(limit=0)), "rate-limiting: params.limit: 0 is below the minimum 1"),
    ("param-float-nan", _catalog(_params(refill_per_s=float("nan"))), "rate-limiting: params.refill_per_s: "),
    ("param-cross-field", _catalog(_params(edge_s=20)),
     "rate-limiting: params.edge_s: must be a positive multiple of window_s=8, got 20"),
    ("params-not-a-mapping", _catalog(_entry(0, params=[1])), "rate-limiting: params: expected a mapping, got list [1]"),
    ("unknown-field", _catalog(_entry(0, colour="red")), "rate-limiting: colour: unknown field (allowed: "),
    ("blank-title", _catalog(_entry(0, title="   ")), "rate-limiting: title: must not be empty"),
    ("title-too-long", _catalog(_entry(0, title="x" * 121)), "rate-limiting: title: is 121 characters, more than 120"),
    ("bad-tag", _catalog(_entry(0, tags=[5])),
     "rate-limiting: tags[0]: expected a non-empty string of at most 40 characters, got 5"),
    ("seed-negative", _catalog(_entry(0, seed=-1)), "rate-limiting: seed: -1 is outside 0..2**32-1"),
    ("two-featured", _catalog(_entry(1, featured=True)),
     "cap-theorem: featured: only one explainer may be featured (rate-limiting already is)"),
    ("entry-not-a-mapping", _catalog(lambda d: d["explainers"].__setitem__(3, "text")),
     "entry 4: expected a mapping, got str"),
    ("empty-explainers-list", _catalog(lambda d: d.__setitem__("explainers", [])),
     "explainers: expected a non-empty list of entries"),
    ("top-level-list", _raw_catalog(b"- id: rate-limiting\n"), "expected a mapping with an 'explainers' list, got list"),
    ("python-tag", _raw_catalog(b'!!python/object/apply:os.system ["touch PWNED"]\n'),
     "line 1: invalid YAML: YAML tag not allowed (could not determine a constructor for the tag "
     "'tag:yaml.org,2002:python/object/apply:os.system')"),
    ("empty-file", _raw_catalog(b""), "file is empty"),
    ("non-utf8", _raw_catalog(b"explainers:\n  - id: caf\xe9\n"), "not UTF-8 text (bad byte at offset 23)"),
    ("50-mb-file", _raw_catalog(lambda: REAL_BYTES + b"#" * (50 * 2**20 - len(REAL_BYTES))),
     f"file is {50 * 2**20} bytes, more than the {MAX_CATALOG_BYTES} a catalog may be"),
    ("yaml-syntax", _raw_catalog(b"\n".join(
        b"    hook: Watch: bursts" if i == _HOOK_LINE else line
        for i, line in enumerate(REAL_BYTES.splitlines(), 1)) + b"\n"),
     f"line {_HOOK_LINE}: invalid YAML: mapping values are not allowed here"),
    ("nested-too-deeply", _raw_catalog(b"explainers: " + b"[" * 1500 + b"]" * 1500 + b"\n"),
     "invalid YAML: nested too deeply"),
    ("missing-file", lambda tmp: tmp / "nope.yaml", "file not found"),
]


@pytest.mark.parametrize(("make", "expected"), [c[1:] for c in CATALOG_CASES], ids=[c[0] for c in CATALOG_CASES])
def test_bad_catalog_stops_render_before_anything_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             make: Callable[[Path], Path], expected: str) -> None:
    monkeypatch.chdir(tmp_path)  # a YAML tag that ran would touch ./PWNED
    path = make(tmp_path)
    out = tmp_path / "out"
    before = tree(tmp_path)
    result = run("--catalog", str(path), "render", RL, "--quality", "preview", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith(f"Error: {path}: {expected}"), line
    assert "Traceback" not in result.output
    assert tree(tmp_path) == before  # no out dir, no temporary file, no PWNED


def _a_file(tmp: Path) -> Path:
    target = tmp / "taken.txt"
    target.write_text("keep me", encoding="utf-8")
    return target


#: (case id, args after "explainers" ({out} and {file} are filled in), expected start of the error line)
CLI_CASES = [
    ("unknown-id", ["render", "nope", "--out", "{out}"], f"Error: {DEFAULT_CATALOG}: nope: unknown explainer id"),
    ("set-bad-value", ["render", RL, "--set", "limit=abc", "--out", "{out}"],
     "Error: --set: rate-limiting: limit: expected int, got 'abc'"),
    ("set-out-of-range", ["render", RL, "--set", "limit=0", "--out", "{out}"],
     "Error: --set: rate-limiting: limit: 0 is below the minimum 1"),
    ("set-unknown-key", ["render", RL, "--set", "nope=1", "--out", "{out}"],
     "Error: --set: rate-limiting: nope: unknown parameter (known: "),
    ("set-without-equals", ["render", RL, "--set", "limit4", "--out", "{out}"], "Error: --set: 'limit4': expected key=value"),
    ("set-on-planned", ["--catalog", "{planned}", "render", "planned-example", "--set", "n=3", "--out", "{out}"],
     "Error: --set: planned-example: has no simulator yet (it is planned)"),
    ("set-with-all", ["render", "--all", "--set", "limit=3", "--out", "{out}"],
     "Error: --set and --seed apply to a single explainer; name exactly one ID"),
    ("bad-quality", ["render", RL, "--quality", "8k", "--out", "{out}"],
     "Error: Invalid value for '--quality': '8k' is not one of 'preview', '720p', '1080p', '4k', 'test'."),
    ("bad-seed", ["render", RL, "--seed", "-1", "--out", "{out}"], "Error: Invalid value for '--seed': -1 is not in"),
    ("bad-jobs", ["render", RL, "--jobs", "0", "--out", "{out}"], "Error: Invalid value for '--jobs': 0 is not in"),
    ("unknown-option", ["render", RL, "--bogus", "--out", "{out}"], "Error: No such option '--bogus'."),
    ("ids-and-all", ["render", "--all", RL, "--out", "{out}"], "Error: give IDs or --all, not both"),
    ("no-ids", ["render", "--out", "{out}"], "Error: name at least one ID, or pass --all"),
    ("out-empty", ["render", RL, "--out", ""], "Error: Invalid value for '--out': must not be empty"),
    ("out-is-a-file", ["render", RL, "--out", "{file}"], "Error: --out: {file}: exists and is not a directory"),
    ("out-under-a-file", ["render", RL, "--out", "{file}/sub"], "Error: --out: {file}/sub: cannot create it: "),
    ("out-unwritable", ["render", RL, "--out", "/sys"], "Error: --out: /sys: is not writable"),
    ("index-out-is-a-file", ["index", "--out", "{file}"], "Error: --out: {file}: exists and is not a directory"),
    ("catalog-is-a-directory", ["--catalog", "{dir}", "render", RL, "--out", "{out}"],
     "Error: Invalid value for '--catalog': File '{dir}' is a directory."),
    ("unknown-command", ["rendr", RL], "Error: No such command 'rendr'."),
]


@pytest.mark.parametrize(("args", "expected"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_bad_cli_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              args: list[str], expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(render.build.job, "render_one", lambda *a: pytest.fail("a render was attempted"))
    planned = copy.deepcopy(RAW)
    planned["explainers"].append({**planned["explainers"][0], "id": "planned-example", "featured": False})
    (tmp_path / "planned.yaml").write_text(yaml.safe_dump(planned), encoding="utf-8")
    names = {"out": str(tmp_path / "out"), "file": str(_a_file(tmp_path)), "dir": str(tmp_path / "adir"),
             "planned": str(tmp_path / "planned.yaml")}
    (tmp_path / "adir").mkdir()
    before = tree(tmp_path)
    sys_before = sorted(os.listdir("/sys"))
    result = run(*(a.format(**names) for a in args))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith(expected.format(**names)), line
    assert "Traceback" not in result.output
    assert tree(tmp_path) == before
    assert (tmp_path / "taken.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(os.listdir("/sys")) == sys_before


def test_bad_input_matrix_is_big_enough() -> None:
    assert len(CATALOG_CASES) + len(CLI_CASES) >= 30


def test_no_arguments_still_shows_the_help() -> None:
    result = run()
    assert result.exit_code == 2
    assert result.output.startswith("Usage: ") and "Commands:" in result.output


# ================================================================== 2. interrupted renders
MID_REMUX = "as soon as the staged MP4 is being written"
#: (stage, point, when to kill: None = it pauses at the point; (a, b) = a random a-b s after it; or MID_REMUX)
KILL_TRIALS = [
    ("simulate", "simulate:rate-limiting", None),
    ("draw", "draw:rate-limiting", (0.5, 2.0)),
    ("draw", "draw:rate-limiting", (4.0, 10.0)),
    ("encode", "encode:rate-limiting", None),  # drawn and saved for resuming; nothing remuxed yet
    ("encode", "encode:rate-limiting", MID_REMUX),
    ("post-process", "postprocess:rate-limiting", None),  # MP4 staged, captions/poster/metadata not yet
    ("post-process", "replace:rate-limiting.mp4", None),  # all staged, nothing renamed yet
    ("post-process", "replace:rate-limiting.jpg", None),  # MP4 and captions in place, poster and metadata not
    ("post-process", "replace:rate-limiting.json", None),  # everything but the metadata in place
    ("index", "index", None),
    ("index", "replace:catalog.json", None),
    ("index", "replace:index.html", None),  # catalog.json in place, index.html not
]


def test_sigkill_at_every_stage_then_rerun_gives_the_uninterrupted_bytes(reference: Path, tmp_path: Path) -> None:
    """Kill the same render again and again, each time further along; the last rerun matches the reference.

    Each run is the rerun of the previous kill. After every kill, each file under
    a final name is byte-identical to the uninterrupted render's (so nothing
    half-written looks finished); temporary files may be left, and the next run
    sweeps them.
    """
    out = tmp_path / "out"
    rng = random.Random(6)
    work = work_dir_of(RL, out)
    log = []
    for n, (stage, point, delay) in enumerate(KILL_TRIALS, 1):
        started = time.monotonic()
        proc = Proc(render_args(out), tmp_path, f"trial{n}", pause=None if delay else point)
        proc.wait_point("paused" if delay is None else point)
        waited = rng.uniform(*delay) if isinstance(delay, tuple) else 0.0
        if delay == MID_REMUX:
            proc.wait_for(lambda: any(f"{RL}.mp4{TEMP_MARK}" in name for name in os.listdir(out)), delay, timeout=30)
        time.sleep(waited)
        assert proc.kill() == -signal.SIGKILL
        reached = proc.points()
        final = {name: data for name, data in contents(out).items()
                 if TEMP_MARK not in name and name != LOCK_NAME} if out.exists() else {}
        for name, data in final.items():
            same = hashlib.sha256(data).digest() == hashlib.sha256((reference / name).read_bytes()).digest()
            assert same, f"trial {n} ({point}): {name} looks finished but differs"
        log.append(f"{n:2d} {stage:12s} {point:28s} +{waited:4.1f}s  {time.monotonic() - started:5.1f}s  "
                   f"last point {reached[-1] if reached else '-':28s} final {len(final)}  "
                   f"temporary {len(temporaries(out)) if out.exists() else 0}  work dir {work.is_dir()}")
    rerun = Proc(render_args(out), tmp_path, "rerun")
    assert rerun.wait() == 0, rerun.stderr
    assert rerun.stderr == ""
    print("\n".join(["", "trial stage        point                        delay  time   state after the kill", *log]))
    assert digests(contents(out)) == digests(contents(reference))  # same names (no temporary or lock file), same bytes
    assert not work.exists()  # the killed draws' media went with the finished render


def test_rerun_after_a_kill_mid_draw_sweeps_the_stale_media_dir(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from render.build.lock import work_dir\n"
        "with work_dir(sys.argv[1], 'rate-limiting-0123456789ab') as w:\n"
        "    (w.path / 'videos').mkdir(); (w.path / 'videos' / 'partial.mp4').write_bytes(b'x')\n"
        "    print('ready', flush=True); time.sleep(600)\n"), str(cache)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
        text=True)
    assert holder.stdout.readline().strip() == "ready"
    live = cache / "rate-limiting-0123456789ab"
    assert sweep_work_dirs(cache, resumable_marker=DRAWN) == []  # in use: kept
    holder.kill()
    holder.wait()
    assert live.is_dir()  # SIGKILL leaves it behind
    resumable = cache / "raft-consensus-aaaaaaaaaaaa"
    resumable.mkdir()
    (resumable / ".lock").write_text("12345\n")
    (resumable / DRAWN).write_text("{}")
    no_lock, text = cache / "rate-limiting-c0io0oe_", cache / "text"  # not work directories: never swept
    for path in (no_lock, text):
        (path / "videos").mkdir(parents=True)
        os.utime(path, (time.time() - 30 * 24 * 3600,) * 2)
    assert sweep_work_dirs(cache, resumable_marker=DRAWN) == [live]
    assert sorted(p.name for p in cache.iterdir()) == sorted(p.name for p in (resumable, no_lock, text))


def test_sigint_mid_draw_exits_130_with_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = Proc(render_args(out), tmp_path, "sigint")
    proc.wait_point("draw:rate-limiting")
    time.sleep(2.0)  # Manim is drawing
    proc.popen.send_signal(signal.SIGINT)
    assert proc.wait(60) == 130, proc.stdout + proc.stderr
    assert proc.stderr == INTERRUPTED + "\n"
    assert proc.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == []  # no final file, no temporary, no lock
    assert not work_dir_of(RL, out).exists()  # an unfinished draw is not kept


@pytest.mark.parametrize("target", ["process group", "parent only"])
def test_sigint_with_a_process_pool_stops_every_worker(tmp_path: Path, target: str) -> None:
    """Ctrl-C (the whole process group) or a SIGINT to the parent alone: exit 130, one line, workers cleaned up."""
    out = tmp_path / "out"
    proc = Proc([*render_args(out, RL, "raft-consensus"), "--jobs", "2"], tmp_path, "pool", pause="draw")
    proc.wait_for(lambda: proc.reached("draw:rate-limiting") and proc.reached("draw:raft-consensus"),
                  "both workers in their draw", timeout=120)
    if target == "process group":
        proc.signal_group(signal.SIGINT)
    else:
        proc.popen.send_signal(signal.SIGINT)
    assert proc.wait(60) == 130, proc.stdout + proc.stderr
    assert proc.stderr == INTERRUPTED + "\n"  # no worker traceback
    deadline = time.monotonic() + 10
    while not proc.group_gone() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.group_gone(), "a worker outlived the interrupted run"
    assert sorted(p.name for p in out.iterdir()) == []
    assert not work_dir_of(RL, out).exists() and not work_dir_of("raft-consensus", out).exists()


#: (case id, explainers, --jobs, where to stop it, signal): a render that draws in-process, a pool of two
#: workers, and one explainer drawn by two processes, stopped mid-draw or paused at a later stage
STOP_CASES = [
    ("jobs1-draw", [RL], 1, "draw", signal.SIGTERM),
    ("jobs1-replace", [RL], 1, "replace", signal.SIGTERM),
    ("pool-draw", [RL, "raft-consensus"], 2, "draw", signal.SIGTERM),
    ("pool-draw-hangup", [RL, "raft-consensus"], 2, "draw", signal.SIGHUP),
    ("split-draw", [RL], 2, "draw", signal.SIGTERM),
    ("split-encode", [RL], 2, "encode", signal.SIGTERM),
]


def _out_state(out: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in out.iterdir()} if out.is_dir() else {}


@pytest.mark.parametrize(("ids", "jobs", "point", "signum"), [c[1:] for c in STOP_CASES], ids=[c[0] for c in STOP_CASES])
def test_sigterm_and_sighup_stop_every_process_and_write_nothing_after(tmp_path: Path, ids: list[str], jobs: int,
                                                                      point: str, signum: int) -> None:
    """SIGTERM (timeout, CI cancelling, docker stop, systemd) and SIGHUP do what Ctrl-C does: one line, exit
    128 + signum, every worker and drawing process gone within 2 s, the lock released, and nothing written
    under OUT once the command has exited."""
    out = tmp_path / "out"
    args = ["render", *ids, "--quality", "test", "--out", str(out), "--jobs", str(jobs)]
    proc = Proc(args, tmp_path, "stop", pause=None if point == "draw" else point)
    if point == "draw":
        proc.wait_for(lambda: all(proc.reached(f"draw:{i}") for i in ids), "every render drawing", timeout=120)
        time.sleep(1.5)  # Manim is drawing (and, split, the parts are running)
    else:
        proc.wait_point("paused", timeout=300)
    sent = time.monotonic()
    proc.popen.send_signal(signum)  # the CLI alone, as kill, timeout and systemd do
    status = proc.wait(30)
    deadline = sent + 2.0
    while not proc.group_gone() and time.monotonic() < deadline + 3.0:
        time.sleep(0.02)
    gone_after = time.monotonic() - sent
    print(f"\n{'SIGTERM' if signum == signal.SIGTERM else 'SIGHUP'} at {point} ({jobs} jobs): "
          f"exit {status}, the last process gone {gone_after:.2f} s after the signal")
    assert status == 128 + signum
    reason = "Terminated" if signum == signal.SIGTERM else "Hangup"
    assert proc.stderr == f"{reason}: stopped every worker; nothing half-written was left under a final name.\n"
    assert proc.group_gone() and gone_after <= 2.0, f"a process outlived the stop by {gone_after:.2f} s"
    state = _out_state(out)
    assert LOCK_NAME not in state, "the lock is released"
    assert not [name for name in state if TEMP_MARK in name]
    time.sleep(3.0)
    assert _out_state(out) == state, "something was written under OUT after the command exited"


# ================================================================== 3. concurrent runs
def test_two_renders_and_an_index_into_one_out_dir_take_turns(reference: Path, tmp_path: Path) -> None:
    out = copy_of(reference, tmp_path / "out")
    first = Proc(render_args(out), tmp_path, "first", pause="index", pause_s=120)
    first.wait_point("paused")
    second = Proc(render_args(out), tmp_path, "second")
    index = Proc(["index", "--out", str(out)], tmp_path, "index")
    waiting = f"waiting for another render into {out} (pid {first.pid})..."
    for proc in (second, index):
        proc.wait_for(lambda p=proc: waiting in p.stderr, "the waiting message", timeout=60)
    assert (out / LOCK_NAME).read_text().strip() == str(first.pid)
    time.sleep(0.5)
    assert not second.reached("simulate:rate-limiting") and not index.reached("index")  # both wait
    first.resume()
    assert [p.wait(120) for p in (first, second, index)] == [0, 0, 0], (first.stderr, second.stderr, index.stderr)
    assert first.stderr == ""
    assert one_line(second.stderr) == waiting and one_line(index.stderr) == waiting
    assert int((second.marks / "simulate:rate-limiting").read_text()) > int((first.marks / "index").read_text())
    assert "1 skipped" in second.stdout
    assert digests(contents(out)) == digests(contents(reference))  # consistent: no lock file, no temporary, same catalog.json


def test_lock_left_by_a_killed_run_does_not_block(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from render.build.lock import OutDirLock\n"
        "OutDirLock(sys.argv[1]).acquire(); print('locked', flush=True); time.sleep(600)\n"), str(out)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    assert (out / LOCK_NAME).read_text().strip() == str(holder.pid)
    told: list[int | None] = []
    lock = OutDirLock(out, on_wait=told.append)
    holder.kill()
    holder.wait()
    assert (out / LOCK_NAME).exists()  # SIGKILL leaves the file, but not the lock
    with lock:
        assert (out / LOCK_NAME).read_text().strip() == str(os.getpid())
    assert told == []
    assert not (out / LOCK_NAME).exists()


def test_ctrl_c_while_waiting_for_the_lock(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with OutDirLock(out):
        proc = Proc(["index", "--out", str(out)], tmp_path, "waiter")
        proc.wait_for(lambda: "waiting for another render" in proc.stderr, "the waiting message", timeout=60)
        proc.popen.send_signal(signal.SIGINT)
        assert proc.wait(30) == 130
    assert proc.stderr.splitlines() == [f"waiting for another render into {out} (pid {os.getpid()})...", INTERRUPTED]
    assert sorted(p.name for p in out.iterdir()) == []


# ================================================================== 4. hostile strings
HOSTILE = {
    "title": '<script>alert("t")</script> \'q\' & "dq"\n\u202eevil \u05e9\u05dc\u05d5\u05dd',
    "blurb": ('One <b>bold</b> "claim" & \'more\'.\n\n0:00 Fake chapter\n</p><img src=x onerror=alert(1)>'
              ' \u202e\u0645\u0631\u062d\u0628\u0627 --> \u2028 end'),
    "hook": '"><svg onload=alert(1)> \u202eRTL \u05e2\u05d1\u05e8\u05d9\u05ea',
    "tags": ['<i>tag</i>', 'a"b\'c', "new\nline", "\u05e2\u05d1\u05e8\u05d9\u05ea", "\u202eflip"],
}
BIDI = set(cap.BIDI_CONTROLS)


class Structure(HTMLParser):
    """Every start tag with its attribute names, and all text, of a page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple[str, ...]]] = []
        self.text: list[str] = []
        self.attrs: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, tuple(name for name, _ in attrs)))
        self.attrs += [value or "" for _, value in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _with_strings(tmp_path: Path, name: str, strings: dict[str, Any]) -> Path:
    data = copy.deepcopy(RAW)
    for i in (0, 2):  # the featured, rendered one and a planned one
        data["explainers"][i].update(strings)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_hostile_catalog_strings_stay_text_everywhere(tmp_path: Path, fake_draw: list[str]) -> None:
    path = _with_strings(tmp_path, "hostile.yaml", HOSTILE)
    out = tmp_path / "out"
    result = run("--catalog", str(path), "render", RL, "--quality", "preview", "--out", str(out), "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert fake_draw == [RL]

    # index.html: the same elements and attributes as with plain strings of the same shape; the strings only as text
    html = (out / "index.html").read_text(encoding="utf-8")
    plain = _with_strings(tmp_path, "plain.yaml", {**{k: f"Plain {k}" for k in ("title", "blurb", "hook")},
                                                   "tags": ["one", "two", "three", "four", "five"]})
    page, benign = Structure(html), Structure(render_html(build_index(load_catalog(plain), out)))
    assert page.tags == benign.tags
    assert html.count("<script") == html.count("</script>") == sum(tag == "script" for tag, _ in benign.tags)
    text = "".join(page.text)
    for value in (HOSTILE["title"], HOSTILE["blurb"], HOSTILE["hook"] + ".", *HOSTILE["tags"]):
        assert value in text
    assert HOSTILE["title"] in page.attrs  # the player's aria-label, quotes and all
    for raw in ("<script>alert", "<b>bold", "<img src=x", "<svg onload", "<i>tag"):
        assert raw not in html
    # every catalog string sits in a bidi-isolated element, so right-to-left text cannot reorder what follows
    assert html.count(f'<h3 dir="auto">{escape(HOSTILE["title"])}</h3>') == 2
    assert html.count(f'<p class="blurb" dir="auto">{escape(HOSTILE["blurb"])}</p>') == 2
    assert f'<p class="hook" dir="auto">{escape(HOSTILE["hook"])}.</p>' in html
    for tag in HOSTILE["tags"]:
        assert html.count(f'<li dir="auto">{escape(tag)}</li>') == 2

    # catalog.json and the metadata: valid JSON that gives back exactly the strings
    index = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    meta = json.loads((out / f"{RL}.json").read_text(encoding="utf-8"))
    for entry in (index["explainers"][0], index["explainers"][2], meta):
        assert {k: entry[k] for k in HOSTILE} == HOSTILE

    # the upload description: plain text, one line for the blurb, the real chapters only
    description = meta["upload_description"]
    assert not set(description) & (BIDI | {"<", ">", "\u2028"})
    assert all(ch == "\n" or ch.isprintable() or ch == " " for ch in description)
    blurb_line, chapter_block, tags_line = description.rstrip("\n").split("\n\n")
    assert "\n" not in blurb_line and blurb_line.startswith("One \u2039b\u203abold")
    assert chapter_block.splitlines() == cap.chapter_lines([Chapter(**c) for c in meta["chapters"]])
    assert tags_line == "#ITagI #ABC #NewLine #\u05e2\u05d1\u05e8\u05d9\u05ea #Flip"

    # the captions files carry the scene's words only (none of the catalog's), and parse
    for suffix in (".vtt", ".srt", ".chapters.vtt"):
        text = (out / f"{RL}{suffix}").read_text(encoding="utf-8")
        assert [m for m in ("alert", "\u202e", "<script", "Fake chapter") if m in text] == []
    assert len(webvtt.read(str(out / f"{RL}.vtt"))) == len(meta["captions"])
    assert len(list(srt.parse((out / f"{RL}.srt").read_text(encoding="utf-8")))) == len(meta["captions"])

    # the MP4's own title and comment tags hold the strings as they are
    with av.open(str(out / f"{RL}.mp4")) as container:
        assert container.metadata["title"] == HOSTILE["title"]
        assert container.metadata["comment"] == HOSTILE["blurb"]


HOSTILE_CUES = [
    Cue('<script>alert("x")</script> & \'q\'', 0.0, 3.0),
    Cue("two\n\n2\n00:00:00.000 --> 00:00:09.000\nINJECTED", 3.0, 8.0),
    Cue("\u202eevil \u05e9\u05dc\u05d5\u05dd --> <b>b</b>", 8.0, 11.0),
]


def test_hostile_text_cannot_break_the_captions_files(tmp_path: Path) -> None:
    chapters = [Chapter("Intro\n\nchapter-9\n00:00:00.000 --> 00:00:01.000\n<i>x</i>", 0.0, 11.0)]
    vtt_path, srt_path, chapters_path = tmp_path / "c.vtt", tmp_path / "c.srt", tmp_path / "ch.vtt"
    vtt_path.write_text(cap.to_vtt(HOSTILE_CUES), encoding="utf-8")
    srt_path.write_text(cap.to_srt(HOSTILE_CUES), encoding="utf-8")
    chapters_path.write_text(cap.to_chapters_vtt(chapters), encoding="utf-8")
    vtt = webvtt.read(str(vtt_path))
    subs = list(srt.parse(srt_path.read_text(encoding="utf-8")))
    assert len(vtt) == len(subs) == len(HOSTILE_CUES)
    assert len(webvtt.read(str(chapters_path))) == 1
    for cue, sub, source in zip(vtt, subs, HOSTILE_CUES):
        flat = " ".join(source.text.split())
        assert " ".join(sub.content.split()) == flat
        assert " ".join(cue.text.split()).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == flat
        assert "-->" not in cue.text and "<" not in cue.raw_text
    for path in (vtt_path, chapters_path):  # in WebVTT, only timing lines hold "-->"
        lines = path.read_text(encoding="utf-8").splitlines()
        assert [i for i, line in enumerate(lines) if "-->" in line] == [i for i, line in enumerate(lines)
                                                                        if line[:2].isdigit() and " --> " in line]
        assert sum("-->" in line for line in lines) == (1 if path is chapters_path else len(HOSTILE_CUES))


# ================================================================== 5. a full disk
def _enospc_on(monkeypatch: pytest.MonkeyPatch, out: Path, names: set[str], nth: int = 1) -> list[str]:
    """Make the ``nth`` rename onto a final name in ``out`` (one of ``names``) fail with ENOSPC."""
    real_replace, renamed = os.replace, []

    def replace(src: Any, dst: Any) -> None:
        dst = Path(dst)
        if dst.parent == out and dst.name in names:
            renamed.append(dst.name)
            if len(renamed) == nth:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(render.fsio.os, "replace", replace)
    return renamed


def _assert_untouched(out: Path, before: dict[str, bytes], before_inodes: dict[str, int]) -> None:
    """Same files, same bytes, and the explainer's outputs never replaced (the index may be rewritten, unchanged)."""
    assert digests(contents(out)) == digests(before)
    assert {n: i for n, i in inodes(out).items() if n.startswith(RL)} == {
        n: i for n, i in before_inodes.items() if n.startswith(RL)}
    assert temporaries(out) == []


DISK_FULL_MESSAGE = ("could not write {what} to {out} (No space left on device); "
                     "the previous outputs were left in place")
#: What the message names for each way of running out of room: the file whose write failed, if known.
DISK_FULL_WHAT = {"staging the poster": "its outputs", "first rename": f"{RL}.mp4", "third rename": f"{RL}.srt"}


@pytest.mark.parametrize("where", ["staging the poster", "first rename", "third rename"])
def test_disk_full_during_a_render_keeps_the_previous_outputs(reference: Path, tmp_path: Path, fake_draw: list[str],
                                                              monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """A new render (another seed) fails to write: the previous outputs stay; once there is room, the rerun
    resumes from the draw the failed run kept."""
    out = copy_of(reference, tmp_path / "out").resolve()
    before, before_inodes = contents(out), inodes(out)
    save_poster, replace = render.delivery.frames.save_poster, os.replace
    if where == "staging the poster":
        def full(*args: Any, **kwargs: Any) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        monkeypatch.setattr(render.delivery.frames, "save_poster", full)
    else:
        renamed = _enospc_on(monkeypatch, out, {f"{RL}{s}" for s in OUTPUTS}, nth=1 if where == "first rename" else 3)
    args = ["render", RL, "--seed", "3", "--quality", "preview", "--out", str(out), "--jobs", "1"]
    result = run(*args)
    assert result.exit_code == 1, result.output
    message = DISK_FULL_MESSAGE.format(what=DISK_FULL_WHAT[where], out=out)
    assert result.stderr.splitlines() == [f"failed   {RL}: {message}", f"Error: 1 render(s) failed: {RL}: {message}"]
    assert "Traceback" not in result.output
    if where == "third rename":
        assert renamed[:3] == [f"{RL}.mp4", f"{RL}.vtt", f"{RL}.srt"]  # two were in place, then rolled back
    _assert_untouched(out, before, before_inodes)
    kept = list((tmp_path / "cache").iterdir())
    assert len(kept) == 1 and (kept[0] / DRAWN).is_file()

    monkeypatch.setattr(render.delivery.frames, "save_poster", save_poster)
    monkeypatch.setattr(render.fsio.os, "replace", replace)
    monkeypatch.setattr(render.engine.draw, "draw", lambda *a, **k: pytest.fail("drew again instead of resuming"))
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert json.loads((out / f"{RL}.json").read_text(encoding="utf-8"))["seed"] == 3
    assert temporaries(out) == [] and list((tmp_path / "cache").iterdir()) == []


def test_disk_full_writing_the_index_keeps_the_previous_one(reference: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out = copy_of(reference, tmp_path / "out").resolve()
    (out / "catalog.json").write_text("previous\n", encoding="utf-8")
    before, before_inodes = contents(out), inodes(out)
    _enospc_on(monkeypatch, out, {"catalog.json", "index.html"}, nth=2)  # catalog.json went in, index.html did not
    result = run("index", "--out", str(out))
    assert result.exit_code == 1, result.output
    assert one_line(result.stderr) == (f"Error: could not write the index to {out} (No space left on device); "
                                       "the previous catalog.json and index.html were left in place")
    _assert_untouched(out, before, before_inodes)
    assert inodes(out) == before_inodes


def test_staged_files_roll_back_a_failed_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = tmp_path / "old.txt"
    old.write_text("old", encoding="utf-8")
    _enospc_on(monkeypatch, tmp_path, {"old.txt", "new.txt", "third.txt"}, nth=3)
    with pytest.raises(OSError) as info, staged() as stage:
        for name in ("old.txt", "new.txt", "third.txt"):
            stage.path(tmp_path / name).write_text(f"{name} v2", encoding="utf-8")
    assert info.value.errno == errno.ENOSPC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]  # new.txt, which was in, went again
    assert old.read_text(encoding="utf-8") == "old"


@pytest.fixture
def tiny_tmpfs(tmp_path: Path, reference: Path) -> Path:
    """A tmpfs with room for the previous outputs and half an MP4 more: the new MP4 cannot fit beside the old."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    size = sum(p.stat().st_size for p in reference.iterdir()) + (reference / f"{RL}.mp4").stat().st_size // 2
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True)
    assert done.returncode == 0, f"cannot mount a tmpfs (the suite runs as root): {done.stderr.decode().strip()}"
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_disk_full_on_a_real_tiny_tmpfs(reference: Path, tiny_tmpfs: Path, fake_draw: list[str]) -> None:
    out = tiny_tmpfs / "out"
    out.mkdir()
    for p in reference.iterdir():
        shutil.copy2(p, out)
    before, before_inodes = contents(out), inodes(out)
    result = run("render", RL, "--quality", "preview", "--out", str(out), "--force", "--jobs", "1")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1] == (f"Error: 1 render(s) failed: {RL}: "
                                              + DISK_FULL_MESSAGE.format(what=f"{RL}.mp4", out=out.resolve()))
    assert "Traceback" not in result.output
    _assert_untouched(out, before, before_inodes)


# ================================================================== the small pieces
def test_sweep_removes_only_temporary_files(tmp_path: Path) -> None:
    keep = ["a.mp4", "catalog.json", ".hidden", "x.tmp-1"]
    gone = [f".a.mp4{TEMP_MARK}1-abcd.mp4", f".a.mp4{TEMP_MARK}old-1-abcd.mp4", f".write-probe{TEMP_MARK}1-ab"]
    for name in keep + gone:
        (tmp_path / name).write_text("x")
    (tmp_path / f".dir{TEMP_MARK}1").mkdir()
    assert sorted(p.name for p in sweep_temp_files(tmp_path)) == sorted(gone)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep + [f".dir{TEMP_MARK}1"])


def test_metadata_has_no_volatile_fields(reference: Path) -> None:
    meta = json.loads((reference / f"{RL}.json").read_text(encoding="utf-8"))
    assert not {"render_seconds", "rendered_at", "created", "timestamp"} & set(meta)
