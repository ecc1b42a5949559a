"""The ``explainers`` CLI, command by command, through click's CliRunner.

No real video is rendered here: an autouse fixture makes any call of the real
``render.build.job.render_one`` fail, and the render tests that need an outcome
monkeypatch it. Tests that need an explainer that is not written yet use a copy
of the catalog with one more entry, :data:`PLANNED`.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

import render.build.job
import render.cli
import sims.rate_limiting
from render.build.settings import RenderOutcome, RenderSettings
from render.catalog import DEFAULT_CATALOG, load_catalog
from render.cli import cli
from render.fsio import TEMP_MARK

RAW = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
RAW_RL = next(e for e in RAW["explainers"] if e["id"] == "rate-limiting")
COMMANDS = ["list", "trace", "render", "index", "frames"]
#: An entry with no simulator and no scene (a planned explainer), added by the ``planned`` fixture.
PLANNED = "planned-example"


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXPLAINERS_CATALOG", raising=False)

    def no_real_render(explainer, settings):
        raise AssertionError(f"a real render of {explainer.id} was attempted")

    monkeypatch.setattr(render.build.job, "render_one", no_real_render)


@pytest.fixture
def planned(tmp_path: Path) -> Path:
    """The real catalog plus one planned entry (:data:`PLANNED`); returns its path."""
    data = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    data["explainers"].append({**RAW_RL, "id": PLANNED, "title": "Planned Example", "featured": False,
                               "params": {"anything": 1}})
    path = tmp_path / "planned.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run(*args: str, **kwargs: Any) -> Result:
    return CliRunner().invoke(cli, list(args), **kwargs)


def assert_user_error(result: Result, *needles: str, exit_code: int = 2) -> str:
    """One ``Error: ...`` line on stderr, nothing on stdout, no traceback; return the line."""
    assert result.exit_code == exit_code, (result.exit_code, result.output)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def expected_trace(seed: int | None = None, **changes: Any) -> str:
    params = {**RAW_RL["params"], **changes}
    return sims.rate_limiting.simulate(RAW_RL["seed"] if seed is None else seed, **params).to_json()


# ------------------------------------------------------------------ help
def test_group_help() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ")
    for command in COMMANDS:
        assert command in result.stdout
    assert "--catalog" in result.stdout


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(command: str, flag: str) -> None:
    result = run(command, flag)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: ")
    assert command in result.stdout.splitlines()[0]
    assert result.stderr == ""


def test_render_help_lists_options() -> None:
    text = run("render", "--help").stdout
    for option in ("--all", "--quality", "--out", "--jobs", "--force", "--seed", "--set"):
        assert option in text
    for quality in ("preview", "720p", "1080p", "4k"):
        assert quality in text


def test_unknown_command_exits_2() -> None:
    result = run("nope")
    assert result.exit_code == 2
    assert "No such command 'nope'" in result.stderr


# ------------------------------------------------------------------ list
def test_list_shows_every_id_and_status() -> None:
    catalog = load_catalog()
    result = run("list", env={"COLUMNS": "80"})  # a narrow terminal must not cut ids
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    ready = sum(e.ready for e in catalog)
    assert f"{len(catalog)} explainers ({ready} ready)" in result.stdout
    for e in catalog:
        row = [line for line in lines if f"│ {e.id} " in line]
        assert len(row) == 1, (e.id, result.stdout)
        cells = [c.strip() for c in row[0].split("│") if c.strip()]
        assert cells[0] == e.id
        assert cells[-1] == e.status
        assert cells[-2] == f"{e.duration_s}s"
    assert catalog.get("rate-limiting").status == "ready"


def test_list_marks_a_planned_explainer(planned: Path) -> None:
    result = run("--catalog", str(planned), "list", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    row, = [line for line in result.stdout.splitlines() if f"│ {PLANNED} " in line]
    assert row.split("│")[-2].strip() == "planned"


def test_list_order_is_catalog_order() -> None:
    out = run("list").stdout
    positions = [out.index(f"│ {i} ") for i in load_catalog().ids]
    assert positions == sorted(positions)


def test_list_with_custom_catalog(tmp_path: Path) -> None:
    data = {"explainers": [dict(RAW["explainers"][1], title="Only One")]}
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = run("--catalog", str(path), "list")
    assert result.exit_code == 0, result.output
    assert "1 explainers (1 ready)" in result.stdout
    assert "Only One" in result.stdout and "rate-limiting" not in result.stdout


@pytest.mark.parametrize("command", [["list"], ["trace", "rate-limiting"], ["render", "rate-limiting"], ["index"],
                                     ["frames", "rate-limiting"]])
def test_every_command_reports_an_invalid_catalog(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "bad.yaml"
    data = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    data["explainers"][0]["duration_s"] = 500
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "out"
    extra = ["--out", str(out)] if command[0] in ("render", "index", "frames") else []
    line = assert_user_error(run("--catalog", str(path), *command, *extra))
    assert line == f"Error: {path}: rate-limiting: duration_s: 500 is outside 30-300 s"
    assert not out.exists()


# ------------------------------------------------------------------ trace
def test_trace_matches_the_simulator() -> None:
    result = run("trace", "rate-limiting")
    assert result.exit_code == 0, result.output
    text = result.stdout.rstrip("\n")
    assert "\n" not in text
    assert text == expected_trace()
    data = json.loads(text)
    assert json.dumps(data, sort_keys=True, separators=(",", ":")) == text  # keys sorted, compact
    assert data["id"] == "rate-limiting"
    assert data["seed"] == RAW_RL["seed"]
    assert data["params"] == load_catalog().get("rate-limiting").resolved_params()


def test_trace_is_deterministic() -> None:
    assert run("trace", "rate-limiting").stdout == run("trace", "rate-limiting").stdout


def test_trace_seed_changes_it() -> None:
    default = run("trace", "rate-limiting").stdout
    result = run("trace", "rate-limiting", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert result.stdout != default
    assert json.loads(result.stdout)["seed"] == 3
    assert result.stdout.rstrip("\n") == expected_trace(seed=3)


@pytest.mark.parametrize("seed", ["-1", "4294967296", "x"])
def test_trace_bad_seed(seed: str) -> None:
    result = run("trace", "rate-limiting", "--seed", seed)
    assert result.exit_code == 2
    assert "--seed" in result.stderr and "Traceback" not in result.output


def test_trace_set_one() -> None:
    result = run("trace", "rate-limiting", "--set", "limit=4")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["params"]["limit"] == 4
    assert result.stdout.rstrip("\n") == expected_trace(limit=4)


def test_trace_set_two_and_spaces() -> None:
    result = run("trace", "rate-limiting", "--set", "limit=4", "--set", " bucket_capacity =2")
    assert result.exit_code == 0, result.output
    params = json.loads(result.stdout)["params"]
    assert (params["limit"], params["bucket_capacity"]) == (4, 2)
    assert result.stdout.rstrip("\n") == expected_trace(limit=4, bucket_capacity=2)


def test_trace_set_float_and_seed_together() -> None:
    result = run("trace", "rate-limiting", "--seed", "11", "--set", "refill_per_s=2")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["seed"] == 11 and data["params"]["refill_per_s"] == 2.0
    assert result.stdout.rstrip("\n") == expected_trace(seed=11, refill_per_s=2.0)


def test_trace_set_last_one_wins() -> None:
    result = run("trace", "rate-limiting", "--set", "limit=4", "--set", "limit=5")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["params"]["limit"] == 5


def test_trace_set_json_list_on_a_second_simulator() -> None:
    result = run("trace", "raft-consensus", "--set", "latency_ms=[5, 10]", "--set", "n_nodes=3")
    assert result.exit_code == 0, result.output
    params = json.loads(result.stdout)["params"]
    assert params["latency_ms"] == [5, 10] and params["n_nodes"] == 3


@pytest.mark.parametrize(
    ("pair", "needles"),
    [
        ("nope=1", ["rate-limiting: nope: unknown parameter (known: ", "limit"]),
        ("limit=abc", ["rate-limiting: limit: expected int, got 'abc'"]),
        ("limit=", ["rate-limiting: limit: expected int, got ''"]),
        ("limit=1.5", ["rate-limiting: limit: expected int, got '1.5'"]),
        ("limit=0", ["rate-limiting: limit: 0 is below the minimum 1"]),
        ("limit=65", ["rate-limiting: limit: 65 is above the maximum 64"]),
        ("refill_per_s=nan", ["rate-limiting: refill_per_s: expected float, got 'nan'"]),
        ("refill_per_s=inf", ["rate-limiting: refill_per_s: expected float, got 'inf'"]),
        ("limit4", ["'limit4': expected key=value"]),
        ("=4", ["'=4': expected key=value"]),
        ("edge_s=20", ["rate-limiting: edge_s: must be a positive multiple of window_s=8, got 20"]),
        ("tick_s=0.3", ["rate-limiting: tick_s: must divide one second evenly"]),
    ],
)
def test_trace_bad_set(pair: str, needles: list[str]) -> None:
    line = assert_user_error(run("trace", "rate-limiting", "--set", pair), *needles)
    assert line.startswith("Error: --set: ")


def test_trace_bad_set_after_a_good_one() -> None:
    assert_user_error(run("trace", "rate-limiting", "--set", "limit=4", "--set", "window_s=0"),
                      "Error: --set: rate-limiting: window_s: 0 is below the minimum 1")


def test_trace_bad_set_cross_field_between_two_sets() -> None:
    # Each value is fine alone; together edge_s is no longer a multiple of window_s.
    assert run("trace", "rate-limiting", "--set", "window_s=6").exit_code == 0  # 24 is a multiple of 6
    assert_user_error(run("trace", "rate-limiting", "--set", "window_s=5", "--set", "edge_s=24"),
                      "Error: --set: rate-limiting: edge_s: must be a positive multiple of window_s=5, got 24")


def test_trace_unknown_id() -> None:
    assert_user_error(run("trace", "nope"),
                      f"Error: {DEFAULT_CATALOG}: nope: unknown explainer id (see 'explainers list')")


def test_trace_unknown_id_names_a_custom_catalog(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(DEFAULT_CATALOG.read_text(encoding="utf-8"), encoding="utf-8")
    assert_user_error(run("--catalog", str(path), "trace", "Rate-Limiting"), f"Error: {path}: Rate-Limiting: unknown")


def test_trace_planned_explainer(planned: Path) -> None:
    assert_user_error(run("--catalog", str(planned), "trace", PLANNED),
                      f"Error: {planned}: {PLANNED}: has no simulator yet")


def test_trace_set_on_planned_explainer(planned: Path) -> None:
    assert_user_error(run("--catalog", str(planned), "trace", PLANNED, "--set", "n_replicas=3"),
                      f"Error: --set: {PLANNED}: has no simulator yet (it is planned)")


def test_unexpected_failure_is_one_line_exit_1_unless_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("simulator exploded")

    monkeypatch.setattr(render.cli, "make_trace", boom)
    assert_user_error(run("trace", "rate-limiting"),
                      "Error: RuntimeError: simulator exploded (run with --debug for the traceback)", exit_code=1)
    result = run("--debug", "trace", "rate-limiting")
    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError)


# ------------------------------------------------------------------ render: user mistakes (nothing rendered)
def test_render_unknown_id(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_user_error(run("render", "rate-limiting", "nope", "--out", str(out)),
                      f"Error: {DEFAULT_CATALOG}: nope: unknown explainer id")
    assert not out.exists()


def test_render_without_ids() -> None:
    assert_user_error(run("render"), "Error: name at least one ID, or pass --all")


def test_render_ids_and_all() -> None:
    assert_user_error(run("render", "--all", "rate-limiting"), "Error: give IDs or --all, not both")


@pytest.mark.parametrize("option", [["--seed", "3"], ["--set", "limit=4"]])
def test_render_seed_or_set_need_one_id(tmp_path: Path, option: list[str]) -> None:
    out = tmp_path / "out"
    assert_user_error(run("render", "--all", *option, "--out", str(out)),
                      "Error: --set and --seed apply to a single explainer")
    assert_user_error(run("render", "rate-limiting", "raft-consensus", *option, "--out", str(out)),
                      "Error: --set and --seed apply to a single explainer")
    assert not out.exists()


def test_render_bad_set_creates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_user_error(run("render", "rate-limiting", "--set", "limit=0", "--out", str(out)),
                      "Error: --set: rate-limiting: limit: 0 is below the minimum 1")
    assert not out.exists()


@pytest.mark.parametrize("quality", ["8k", "PREVIEW", ""])
def test_render_bad_quality(tmp_path: Path, quality: str) -> None:
    out = tmp_path / "out"
    result = run("render", "rate-limiting", "--quality", quality, "--out", str(out))
    assert result.exit_code == 2
    assert "Error: Invalid value for '--quality'" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize("jobs", ["0", "65", "two"])
def test_render_bad_jobs(tmp_path: Path, jobs: str) -> None:
    result = run("render", "rate-limiting", "--jobs", jobs, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "--jobs" in result.stderr


@pytest.mark.parametrize("command", [["render", "rate-limiting"], ["render", "raft-consensus"], ["index"]])
def test_out_is_an_existing_file(tmp_path: Path, command: list[str]) -> None:
    target = tmp_path / "taken.txt"
    target.write_text("keep me", encoding="utf-8")
    before = tree(tmp_path)
    assert_user_error(run(*command, "--out", str(target)), f"Error: --out: {target}: exists and is not a directory")
    assert target.read_text(encoding="utf-8") == "keep me"
    assert tree(tmp_path) == before


@pytest.mark.parametrize("command", [["render", "rate-limiting"], ["render", "raft-consensus"], ["index"]])
def test_out_is_under_a_regular_file(tmp_path: Path, command: list[str]) -> None:
    target = tmp_path / "taken.txt"
    target.write_text("keep me", encoding="utf-8")
    before = tree(tmp_path)
    out = target / "sub" / "dir"
    assert_user_error(run(*command, "--out", str(out)), f"Error: --out: {out}: cannot create it: ")
    assert target.read_text(encoding="utf-8") == "keep me"
    assert tree(tmp_path) == before


def test_out_not_writable() -> None:
    # /sys refuses new files even to root (CI runs as root, so a chmod'ed directory would not do)
    assert_user_error(run("index", "--out", "/sys"), "Error: --out: /sys: is not writable")
    assert not [p for p in Path("/sys").iterdir() if p.name.startswith(".")]


# ------------------------------------------------------------------ index
def check_index(out: Path, catalog_path: Path | None = None) -> dict[str, Any]:
    catalog = load_catalog(catalog_path)
    index = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    assert index["count"] == len(catalog)
    assert [e["id"] for e in index["explainers"]] == catalog.ids
    assert index["featured"] == "rate-limiting"
    for entry in index["explainers"]:
        e = catalog.get(entry["id"])
        assert entry["status"] == e.status
        assert entry["title"] == e.title
        assert entry["featured"] is (e.id == "rate-limiting")
    html = (out / "index.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    for e in catalog:
        assert escape(e.title) in html
    assert "Heartbeat &amp; Failure Detection" in html
    assert "Heartbeat & Failure" not in html
    assert not [p for p in out.rglob("*") if TEMP_MARK in p.name]
    return index


def test_index_writes_catalog_json_and_html(tmp_path: Path) -> None:
    out = tmp_path / "site" / "dist"  # created, parents too
    result = run("index", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"wrote {out / 'catalog.json'} and {out / 'index.html'}: {len(load_catalog())} explainers, "
                             f"0 with video\n")
    index = check_index(out)
    assert all(e["video"] is None for e in index["explainers"])
    assert sorted(p.name for p in out.iterdir()) == ["catalog.json", "index.html"]


def test_index_twice_replaces_in_place(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    assert run("index", "--out", str(out)).exit_code == 0
    first = (out / "catalog.json").read_bytes(), (out / "index.html").read_bytes()
    (out / "catalog.json").write_text("stale", encoding="utf-8")
    assert run("index", "--out", str(out)).exit_code == 0
    assert ((out / "catalog.json").read_bytes(), (out / "index.html").read_bytes()) == first
    assert sorted(p.name for p in out.iterdir()) == ["catalog.json", "index.html"]


def test_index_escapes_html_in_catalog_text(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    data["explainers"][1]["title"] = '<script>alert("x")</script> & <b>'
    data["explainers"][1]["blurb"] = "a < b > c"
    data["explainers"][1]["tags"] = ["<i>tag</i>"]
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "dist"
    assert run("--catalog", str(path), "index", "--out", str(out)).exit_code == 0
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "<b>" not in html and "<i>tag</i>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in html
    assert "a &lt; b &gt; c" in html
    index = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    assert index["explainers"][1]["title"] == '<script>alert("x")</script> & <b>'  # JSON keeps the raw text


def test_index_with_env_catalog(tmp_path: Path) -> None:
    data = {"explainers": [RAW["explainers"][1]]}
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "dist"
    result = run("index", "--out", str(out), env={"EXPLAINERS_CATALOG": str(path)})
    assert result.exit_code == 0, result.output
    assert json.loads((out / "catalog.json").read_text(encoding="utf-8"))["count"] == 1


# ------------------------------------------------------------------ render (no real video)
def test_render_planned_only_writes_the_index(tmp_path: Path, planned: Path) -> None:
    out = tmp_path / "dist"
    result = run("--catalog", str(planned), "render", PLANNED, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        f"0 rendered, 0 skipped, 1 planned, 0 failed; index at {out / 'index.html'}")
    check_index(out, planned)
    assert sorted(p.name for p in out.iterdir()) == ["catalog.json", "index.html"]


class Recorder:
    """Stands in for render_one: records its calls and returns a canned outcome."""

    def __init__(self, status: str = "rendered", message: str = "") -> None:
        self.calls: list[tuple[str, RenderSettings]] = []
        self.status, self.message = status, message

    def __call__(self, explainer, settings: RenderSettings) -> RenderOutcome:
        self.calls.append((explainer.id, settings))
        if self.status == "raise":
            raise RuntimeError(self.message)
        return RenderOutcome(explainer.id, self.status, seconds=2.5, duration_s=100.0, message=self.message)


def test_render_passes_settings_and_prints_a_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    monkeypatch.setattr(render.build.job, "render_one", recorder)
    out = tmp_path / "dist"
    result = run("render", "rate-limiting", "--quality", "preview", "--out", str(out), "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert [c[0] for c in recorder.calls] == ["rate-limiting"]
    settings = recorder.calls[0][1]
    assert settings.quality == "preview"
    assert settings.out_dir == out.resolve()
    assert settings.seed is None
    assert dict(settings.overrides) == {}
    assert settings.force is False
    assert settings.catalog_path == DEFAULT_CATALOG
    assert result.stdout.splitlines() == [
        f"rendered rate-limiting: 100.0s of video in 2.5s -> {out / 'rate-limiting.mp4'}",
        f"1 rendered, 0 skipped, 0 planned, 0 failed; index at {out / 'index.html'}",
    ]
    assert (out / "catalog.json").is_file() and (out / "index.html").is_file()


def test_render_passes_seed_overrides_and_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    monkeypatch.setattr(render.build.job, "render_one", recorder)
    out = tmp_path / "dist"
    result = run("render", "rate-limiting", "--quality", "720p", "--out", str(out), "--jobs", "1", "--seed", "3",
                 "--set", "limit=4", "--set", "refill_per_s=0.5", "--force")
    assert result.exit_code == 0, result.output
    (_, settings), = recorder.calls
    assert (settings.quality, settings.seed, settings.force) == ("720p", 3, True)
    assert dict(settings.overrides) == {"limit": 4, "refill_per_s": 0.5}


def test_render_default_quality_and_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(status="skipped")
    monkeypatch.setattr(render.build.job, "render_one", recorder)
    monkeypatch.chdir(tmp_path)
    result = run("render", "rate-limiting", "rate-limiting", "--jobs", "1")  # duplicates collapse
    assert result.exit_code == 0, result.output
    (_, settings), = recorder.calls
    assert settings.quality == "1080p"
    assert settings.out_dir == (tmp_path / "dist").resolve()
    assert "skipped  rate-limiting: up to date" in result.stdout
    assert result.stdout.splitlines()[-1] == "0 rendered, 1 skipped, 0 planned, 0 failed; index at dist/index.html"


def test_render_many_gets_the_explainers_and_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  planned: Path) -> None:
    seen: dict[str, Any] = {}

    def fake_render_many(explainers, settings, jobs, on_event=None, *, executor="local", scheduler=None):
        seen.update(ids=[e.id for e in explainers], settings=settings, jobs=jobs)
        for e in explainers:
            on_event(e.id, "start", None)
            on_event(e.id, "done", RenderOutcome(e.id, "planned"))
        return [RenderOutcome(e.id, "rendered" if e.ready else "planned", 1.0, 100.0) for e in explainers]

    monkeypatch.setattr(render.cli, "render_all", fake_render_many)
    out = tmp_path / "dist"
    result = run("--catalog", str(planned), "render", PLANNED, "rate-limiting", "--out", str(out), "--jobs", "3",
                 "--quality", "4k")
    assert result.exit_code == 0, result.output
    assert seen["ids"] == [PLANNED, "rate-limiting"]
    assert seen["jobs"] == 3
    assert seen["settings"].quality == "4k" and seen["settings"].out_dir == out.resolve()
    summary = f"1 rendered, 0 skipped, 1 planned, 0 failed; index at {out / 'index.html'}"
    assert result.stdout.splitlines()[-1] == summary

    seen.clear()
    result = run("render", "--all", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert seen["ids"] == load_catalog().ids
    assert seen["jobs"] >= 1


def test_render_failure_exits_1_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, planned: Path) -> None:
    monkeypatch.setattr(render.build.job, "render_one", Recorder(status="raise", message="manim fell over\nsecond line"))
    out = tmp_path / "dist"
    result = run("--catalog", str(planned), "render", "rate-limiting", PLANNED, "--out", str(out), "--jobs", "1")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        "failed   rate-limiting: manim fell over",
        "Error: 1 render(s) failed: rate-limiting: manim fell over",
    ]
    summary = f"0 rendered, 0 skipped, 1 planned, 1 failed; index at {out / 'index.html'}"
    assert result.stdout.splitlines()[-1] == summary
    assert "Traceback" not in result.output
    assert (out / "index.html").is_file()  # the index is still written


# ------------------------------------------------------------------ frames (no video needed for its errors)
def test_frames_before_render(tmp_path: Path) -> None:
    assert_user_error(run("frames", "rate-limiting", "--out", str(tmp_path)),
                      f"Error: --out: {tmp_path / 'rate-limiting.mp4'}: not rendered yet (run 'explainers render "
                      "rate-limiting')")


def test_frames_unknown_id(tmp_path: Path) -> None:
    assert_user_error(run("frames", "nope", "--out", str(tmp_path)),
                      f"Error: {DEFAULT_CATALOG}: nope: unknown explainer id")
