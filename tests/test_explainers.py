"""One suite over every ready explainer: found by the catalog, never listed here.

For each ready explainer:

* it renders at the small test quality (preview's 15 fps, a tenth of its pixels) and the
  file passes every check ``explainers verify`` makes (duration ±10 % of the target,
  chapters, captions, poster, probe, metadata); a rerun is skipped as up to date;
* jumping over every play (what a part of a split draw does with the plays another
  part draws) leaves, after each play, exactly the state drawing it left: so a video
  drawn by several processes is the one drawn by one;
* its captions state only numbers found in the trace, with the catalog's params, with
  another seed and with the simulator's ``ALTERNATE_PARAMS``, and each of those runs
  keeps the duration, chapter and caption rules; no scene writes a number into a string.

The story checks of each explainer live in its own ``test_sims_<module>.py``.
"""

from __future__ import annotations

import importlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

import sims
from render.build.job import render_one
from render.build.settings import RenderSettings
from render.catalog import PROJECT_ROOT, load_catalog
from render.delivery.verify import verify_video
from render.engine.run import STATE_LOG_ENV, scene_meta
from scenes.captions import caption_problems, chapter_problems
from conftest import caption_number_problems, digits_in_string_literals, jump_run, state_difference

CATALOG = load_catalog()
READY = [e.id for e in CATALOG if e.ready]
DURATION_TOLERANCE = 0.10  # written here, not imported: the rule must not move with the code under test
VARIANTS = ("catalog", "other seed", "third seed", "alternate params")


@pytest.fixture(scope="session")
def test_renders(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``render(id) -> (id, out dir, state log)``: one test-quality render per explainer per session,
    logging the state after each play (a session cache: pytest would redo a module-scoped render
    whenever the order of its tests interleaves with another explainer's)."""
    made: dict[str, tuple[str, Path, Path]] = {}

    def render(explainer_id: str) -> tuple[str, Path, Path]:
        if explainer_id not in made:
            explainer = CATALOG.get(explainer_id)
            out = tmp_path_factory.mktemp(f"test-{explainer_id}")
            log = out.parent / f"{explainer_id}.drawn-states"
            monkeypatch = pytest.MonkeyPatch()
            monkeypatch.setenv(STATE_LOG_ENV, str(log))
            try:
                outcome = render_one(explainer, RenderSettings(out_dir=out, quality="test", force=True))
            finally:
                monkeypatch.undo()
            assert outcome.status == "rendered", outcome
            made[explainer_id] = (explainer_id, out, log)
        return made[explainer_id]

    return render


@pytest.fixture(params=READY)
def rendered(request: pytest.FixtureRequest, test_renders: Any) -> tuple[str, Path, Path]:
    """(id, out dir, state log) of the explainer's test-quality render."""
    return test_renders(request.param)


def test_video_passes_every_delivery_check(rendered: tuple[str, Path, Path]) -> None:
    explainer_id, out, _ = rendered
    explainer = CATALOG.get(explainer_id)
    failed = [f"{c.name}: {c.detail}" for c in verify_video(out / f"{explainer_id}.mp4", explainer.duration_s)
              if not c.passed]
    assert not failed, failed
    meta = json.loads((out / f"{explainer_id}.json").read_text(encoding="utf-8"))
    assert abs(meta["duration_s"] / explainer.duration_s - 1) <= DURATION_TOLERANCE
    assert meta["fidelity"] and meta["fidelity"] == explainer.fidelity


def test_poster_shows_the_mechanism(rendered: tuple[str, Path, Path]) -> None:
    from PIL import Image

    explainer_id, out, _ = rendered
    meta = json.loads((out / f"{explainer_id}.json").read_text(encoding="utf-8"))
    with Image.open(out / f"{explainer_id}.jpg") as poster:
        colours = len(set(poster.convert("RGB").get_flattened_data()))
    assert colours > 300, f"poster at {meta['poster_s']} s looks flat ({colours} colours)"
    assert meta["poster_s"] >= meta["captions"][0]["start"], "the poster should not be the title card"


def test_rerender_is_skipped_as_up_to_date(rendered: tuple[str, Path, Path]) -> None:
    explainer_id, out, _ = rendered
    before = (out / f"{explainer_id}.mp4").stat().st_mtime_ns
    outcome = render_one(CATALOG.get(explainer_id), RenderSettings(out_dir=out, quality="test"))
    assert outcome.status == "skipped", outcome
    assert (out / f"{explainer_id}.mp4").stat().st_mtime_ns == before


def test_jumping_over_plays_leaves_the_drawn_state(rendered: tuple[str, Path, Path], tmp_path: Path) -> None:
    explainer_id, _, drawn_log = rendered
    jumped_log = tmp_path / "jumped-states"
    jump_run(CATALOG.get(explainer_id), state_log=jumped_log)
    drawn, jumped = _states(drawn_log), _states(jumped_log)
    assert len(drawn) == len(jumped) > 10, "both runs play the same plays"
    for play, (a, b) in enumerate(zip(drawn, jumped)):
        problem = state_difference(a, b)
        assert problem is None, (f"after play {play} {problem}: an updater depends on more than its clock "
                                 f"(make it pure, or set pure_updaters = False)")


def _states(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line)[1] for line in log.read_text(encoding="utf-8").splitlines()]


def _variant(explainer_id: str, variant: str) -> tuple[int | None, dict[str, Any]]:
    explainer = CATALOG.get(explainer_id)
    if variant == "other seed":
        return explainer.seed + 1, {}
    if variant == "third seed":
        return explainer.seed + 2, {}
    if variant == "alternate params":
        return None, dict(sims.get_simulator(explainer_id).ALTERNATE_PARAMS)
    return None, {}


@lru_cache(maxsize=None)
def _run(explainer_id: str, variant: str) -> Any:
    """The scene of one variant, run once for the tests that read it."""
    seed, overrides = _variant(explainer_id, variant)
    return jump_run(CATALOG.get(explainer_id), seed=seed, overrides=overrides)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("explainer_id", READY)
def test_story_holds_and_states_the_traces_numbers(explainer_id: str, variant: str) -> None:
    explainer = CATALOG.get(explainer_id)
    seed, overrides = _variant(explainer_id, variant)
    if overrides:
        assert explainer.resolved_params(overrides) != explainer.resolved_params(), "ALTERNATE_PARAMS changes nothing"
    scene = _run(explainer_id, variant)
    assert len(scene.cues) >= 3
    assert not caption_number_problems([c.text for c in scene.cues] + [c.title for c in scene.chapters], scene.trace,
                                       scene_meta(explainer))
    assert not caption_problems(scene.cues, scene.time)
    assert not chapter_problems(scene.chapters, scene.time)
    assert abs(scene.time / explainer.duration_s - 1) <= DURATION_TOLERANCE, (scene.time, explainer.duration_s)


@pytest.mark.parametrize("variant", ("catalog", "other seed", "third seed"))
@pytest.mark.parametrize("explainer_id", READY)
def test_checkpoints_are_right_by_the_trace(explainer_id: str, variant: str) -> None:
    """2-4 questions, at most one per chapter, inside the video, each answered as a function that reads
    only the trace (``checkpoint_answers`` in the explainer's own ``test_sims_<module>.py``) says."""
    scene = _run(explainer_id, variant)
    checkpoints = scene.checkpoints
    assert 2 <= len(checkpoints) <= 4, [c.prompt for c in checkpoints]
    chapters = [c.chapter for c in checkpoints]
    assert len(set(chapters)) == len(chapters) and set(chapters) <= {c.title for c in scene.chapters}
    for cp in checkpoints:
        assert 0 < cp.time < scene.time
        assert 2 <= len(set(cp.choices)) == len(cp.choices) <= 5 and 0 <= cp.answer < len(cp.choices)
        chapter = next(c for c in scene.chapters if c.title == cp.chapter)
        assert chapter.start <= cp.time <= chapter.end
    answers = importlib.import_module(f"test_sims_{CATALOG.get(explainer_id).module}").checkpoint_answers
    assert [cp.choices[cp.answer] for cp in checkpoints] == answers(scene.trace)


@pytest.mark.parametrize("explainer_id", READY)
def test_scene_writes_no_number_into_a_string(explainer_id: str) -> None:
    path = PROJECT_ROOT / "scenes" / f"{sims.module_name(explainer_id)}.py"
    assert not digits_in_string_literals(path.read_text(encoding="utf-8")), \
        "numbers on screen come from the trace: format them in from it"


def test_the_state_comparison_can_fail() -> None:
    state = {"time": 1.0, "members": [["VMobject", 4, "ab", 0.0, 0.0, 1.0, 1.0, 0.5, 0.5]]}
    assert state_difference(state, json.loads(json.dumps(state))) is None
    near = {"time": 1.0, "members": [["VMobject", 4, "ab", 0.0, 0.0, 1.0, 1.0, 0.5, 0.5 + 1e-8]]}
    assert state_difference(state, near) is None  # float noise
    for other in ({**state, "time": 1.0 + 1 / 15},
                  {"time": 1.0, "members": [["VMobject", 4, "ac", 0.0, 0.0, 1.0, 1.0, 0.5, 0.5]]},
                  {"time": 1.0, "members": [["VMobject", 4, "ab", 0.0, 0.0, 1.0, 1.0, 0.5, 0.51]]},
                  {"time": 1.0, "members": []}):
        assert state_difference(state, other) is not None


def test_the_number_checks_can_fail() -> None:
    trace = {"params": {"limit": 4, "window_s": 8}, "summary": {"rate": 0.5, "name": "S3"}, "steps": []}
    meta = {"title": "Two-Phase Commit (2PC)", "hook": ""}
    assert not caption_number_problems(["A limit of 4 per 8 s: 50 %, S3, 0.50 and 2PC."], trace, meta)
    assert caption_number_problems(["A limit of 9 per 8 s."], trace, meta) == [
        "'A limit of 9 per 8 s.' states 9, which is not in the trace"]
    assert caption_number_problems(["S7 leads."], trace, meta)
    assert caption_number_problems(["0.55 of it"], trace, meta)
    signed = {**trace, "summary": {"grad": -0.0794, "span": "12-36"}}
    assert not caption_number_problems(["The gradient is \u22120.0794, then -0.08; seconds 12-36."], signed, meta)
    assert caption_number_problems(["The gradient is 0.0794."], signed, meta)  # the sign is part of the number
    assert caption_number_problems(["A gap of -4 s."], trace, meta)
    assert digits_in_string_literals('"""Doc 1."""\nx = "limit 8"\ny = f"{z:.2f} s"\n') == [(2, "limit 8")]
