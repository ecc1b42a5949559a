"""Shared fixtures and helpers.

* ``rate_limiting_preview``: one real preview render of the featured explainer, reused by the tests
  that probe a real file (the full preview is tested for the featured explainer only);
* :func:`jump_run`: an explainer's scene run at test quality jumping over every play, as a part of
  a split draw does: no frame is drawn, yet its captions, chapters and clock are the video's;
* :func:`caption_number_problems` and :func:`digits_in_string_literals`: every number a caption
  states must be the trace's, and no scene may write one into a string;
* :func:`hashing_writer`: a Manim file writer that hashes frames instead of encoding them.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# Tests write nothing into the checkout: no bytecode, no Manim media, no caches, no hypothesis database.
sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
SCRATCH = Path(tempfile.gettempdir()) / "explainers-tests"
os.environ.setdefault("XDG_CACHE_HOME", str(SCRATCH / "cache"))
os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(SCRATCH / "hypothesis-home")  # its constants cache too

import ast  # noqa: E402 - after the settings above, which the project's imports must see
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
from typing import Any, Callable, Iterable, Mapping  # noqa: E402

import pytest  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402
from hypothesis.database import DirectoryBasedExampleDatabase  # noqa: E402

from render.build.job import render_one  # noqa: E402
from render.build.plan import make_trace  # noqa: E402
from render.build.settings import RenderSettings  # noqa: E402
from render.catalog import PROJECT_ROOT, Explainer, load_catalog  # noqa: E402

set_hypothesis_home_dir(os.environ["HYPOTHESIS_STORAGE_DIRECTORY"])
hypothesis_settings.register_profile("scratch", database=DirectoryBasedExampleDatabase(str(SCRATCH / "hypothesis")))
hypothesis_settings.load_profile("scratch")


def pytest_configure(config: pytest.Config) -> None:
    """Manim writes the SVG of every Text it builds into its media directory: a scratch one, not ./media."""
    from manim import config as manim_config

    manim_config.media_dir = str(SCRATCH / "media")
    if not hasattr(config, "workerinput"):  # the controlling process: remember what the checkout holds
        config.checkout_before = _checkout_files()


def _checkout_files() -> set[str]:
    """Every file git sees in the checkout, ignored ones included, but the running virtualenv's (none when it
    is not a git checkout)."""
    done = subprocess.run(["git", "status", "--porcelain", "-z", "--ignored", "--untracked-files=all"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        return set()
    environment = _environment_in_checkout()
    return {path for path in (entry[3:] for entry in done.stdout.split("\0") if entry)
            if not (environment and path.startswith(environment))}


def _environment_in_checkout() -> str | None:
    """The running virtualenv's folder as git names it ("``.venv/``"), when it is inside the checkout: pytest
    caches its rewritten plugins there before any conftest can stop it, and the environment is not the
    checkout's content."""
    prefix, root = Path(sys.prefix).resolve(), PROJECT_ROOT.resolve()
    return f"{prefix.relative_to(root).as_posix()}/" if prefix != root and prefix.is_relative_to(root) else None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = getattr(session.config, "checkout_before", None)
    if before is None:
        return
    new = sorted(_checkout_files() - before)
    if new:
        print(f"\nthe tests wrote into the checkout: {new[:10]}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


#: The module- and session-scoped fixtures that make a render (or a cluster, a browser on a gallery) worth
#: sharing, by (module, fixture name): the tests that use one run on one xdist worker, so it is made once.
#: "*" is any module. A test that uses none of them is scheduled on its own.
SHARED_FIXTURE_GROUPS = {("*", "rate_limiting_preview"): "preview", ("test_dask", "cluster"): "preview",
                         ("test_gallery_browser", "browser"): "preview", ("test_scorm", "browser"): "preview",
                         ("test_reliability", "reference"): "reliability", ("test_hardening", "rendered"): "hardening"}


def xdist_group_of(module: str, fixturenames: Iterable[str], params: Mapping[str, Any]) -> str | None:
    """The group a test runs in under ``--dist loadgroup`` (None: anywhere): the shared fixture it uses, or
    in the shared suite, its explainer (whose test-quality render and runs are made once per worker)."""
    names = set(fixturenames)
    for (where, fixture), group in SHARED_FIXTURE_GROUPS.items():
        if where in ("*", module) and fixture in names:
            return group
    if module == "test_explainers":
        explainer = params.get("rendered") or params.get("explainer_id")
        return f"explainer-{explainer}" if explainer else None
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the marks into the node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its :func:`xdist_group_of` for ``pytest -n 2 --dist loadgroup``."""
    for item in items:
        module = item.module.__name__ if item.module else ""
        params = getattr(getattr(item, "callspec", None), "params", {})
        group = xdist_group_of(module, getattr(item, "fixturenames", ()), params)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def rate_limiting_preview(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Render rate-limiting at preview quality once per test session; return the out directory."""
    out = tmp_path_factory.mktemp("dist-preview")
    outcome = render_one(load_catalog().get("rate-limiting"), RenderSettings(out_dir=out, quality="preview", force=True))
    assert outcome.status == "rendered", outcome
    return out


def hashing_writer(record: Callable[[str, int], None]) -> type:
    """A Manim file writer that writes nothing and calls ``record(frame_sha256_prefix, repeat)`` per frame."""
    import hashlib

    from manim.scene.scene_file_writer import SceneFileWriter

    class HashingWriter(SceneFileWriter):
        def write_frame(self, pixels: Any, *, repeat: int = 1) -> None:
            record(hashlib.sha256(pixels.tobytes()).hexdigest()[:16], repeat)

        def begin_animation(self, *args: Any, **kwargs: Any) -> None:
            pass

        def end_animation(self, *args: Any, **kwargs: Any) -> None:
            pass

        def finish(self) -> None:
            pass

    return HashingWriter


def jump_run(explainer: Explainer, *, seed: int | None = None, overrides: Mapping[str, Any] | None = None,
             state_log: Path | None = None) -> Any:
    """Run the explainer's scene at test quality, jumping over every play; return the scene.

    This is exactly what a part of a split draw does with the plays another part
    draws (``render.engine.drawparts``), so the scene's cues, chapters and clock
    are the ones a real render at test quality records. With ``state_log`` the
    state after each play is appended there (``render.engine.run.STATE_LOG_ENV``).
    """
    from render.delivery.encoding import TEST_QUALITY
    from render.engine.drawparts import PartRenderer
    from render.engine.run import STATE_LOG_ENV, run_scene

    class Jumping(PartRenderer):
        def _claim(self, index: int) -> bool:
            return False  # another part draws every play

    trace = json.loads(make_trace(explainer, seed, overrides).to_json())
    previous = os.environ.get(STATE_LOG_ENV)
    if state_log is not None:
        os.environ[STATE_LOG_ENV] = str(state_log)
    try:
        with tempfile.TemporaryDirectory() as media:
            return run_scene(explainer, trace, TEST_QUALITY, Path(media), renderer_class=Jumping, part=0,
                             claims=Path(media), file_writer_class=hashing_writer(lambda *_: None))
    finally:
        if state_log is not None:
            if previous is None:
                del os.environ[STATE_LOG_ENV]
            else:
                os.environ[STATE_LOG_ENV] = previous


def state_difference(drawn: Mapping[str, Any], jumped: Mapping[str, Any], tolerance: float = 1e-6) -> str | None:
    """How two play-end states (``render.engine.run.scene_fingerprint``) differ, or None if they draw alike."""
    if abs(drawn["time"] - jumped["time"]) > 1e-6:
        return f"the clock differs ({drawn['time']} drawn, {jumped['time']} jumped)"
    if len(drawn["members"]) != len(jumped["members"]):
        return f"{len(drawn['members'])} mobjects draw something when drawn, {len(jumped['members'])} when jumped"
    for i, (a, b) in enumerate(zip(drawn["members"], jumped["members"])):
        if a[:3] != b[:3] or any(abs(x - y) > tolerance for x, y in zip(a[3:], b[3:])):
            return f"mobject {i} differs ({a[:2]} drawn at {a[3:]}, {b[:2]} jumped at {b[3:]})"
    return None


# --- every number from the trace -------------------------------------------------------------------------
#: A number as a caption states it; a minus sign ("-" or "\u2212") counts when it starts the number ("lag \u22120.08"),
#: not when it joins two ("12-36").
NUMBER = re.compile(r"(?:(?<![\w.])[-\u2212](?=\d))?(?<![\w.])\d+(?:\.\d+)?|(?<=[A-Za-z])\d+")


def numbers_of(value: Any, found: set[float] | None = None) -> set[float]:
    """Every number in a JSON value: its ints and floats, and the numbers written inside its strings."""
    found = set() if found is None else found
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool) or item is None:
            continue
        if isinstance(item, (int, float)):
            found.add(float(item))
        elif isinstance(item, str):
            for n in re.findall(r"[-\u2212]?\d+(?:\.\d+)?", item):  # "-3" in a string is -3, and 3 for "12-3"
                found.update({float(n.replace("\u2212", "-")), abs(float(n.replace("\u2212", "-")))})
        elif isinstance(item, dict):
            stack.extend(item.values())
            stack.extend(item.keys())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return found


def _stated(number: str, known: Iterable[float]) -> bool:
    """Whether ``number`` as written (with its decimals) is some known value, rounded as shown, or a percentage."""
    value = float(number.replace("\u2212", "-"))
    decimals = len(number.partition(".")[2])
    for k in known:
        for shown in (k, k * 100):
            if math.isclose(round(shown, decimals), value, abs_tol=10 ** -(decimals + 6)):
                return True
    return False


def caption_number_problems(texts: Iterable[str], trace: Mapping[str, Any], meta: Mapping[str, Any]) -> list[str]:
    """Numbers the captions state that appear nowhere in the trace (or in the title and hook it shows)."""
    known = numbers_of(trace)
    numbers_of([meta.get("title", ""), meta.get("hook", "")], known)
    problems = []
    for text in texts:
        for number in NUMBER.findall(text):
            if not _stated(number, known):
                problems.append(f"{text!r} states {number}, which is not in the trace")
    return problems


def digits_in_string_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal in ``source`` holding a digit: a number written into the scene.

    Docstrings and f-string format specs (``{x:.2f}``) do not count.
    """
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            skip.update(id(sub) for sub in ast.walk(node.format_spec))
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
    return sorted((node.lineno, node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
                  and any(c.isdigit() for c in node.value))
