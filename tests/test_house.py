"""The shape every explainer lives in: found by name, layered one way, documented, and easy to start.

* explainer ``x-y`` is ``sims/x_y.py`` + ``scenes/x_y.py`` + its catalog entry; a module that
  breaks the contract is a one-line error naming its file;
* sims <- scenes <- render, and inside render cli > build > engine > delivery > catalog, with no
  import cycle anywhere (import-linter's contracts in pyproject.toml, and a cycle search over
  every import, those inside functions included);
* the kit knows no explainer and a scene no other scene;
* every simulator documents its model, invariants and what it leaves out, and imports no Manim;
* ``explainers new`` writes skeletons that pass their own tests and the shared suite.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx
import pytest
import yaml

import scenes
import sims
from render.catalog import PROJECT_ROOT, load_catalog
from render.engine import TESTED_MANIM

CATALOG = load_catalog()
SIM_IDS = [e.id for e in CATALOG if sims.has_simulator(e.id)]
EXPLAINERS_CLI = [sys.executable, "-m", "render.cli"]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("sims", "scenes", "render", cache_dir=None)  # no cache file in the checkout


def _copy_project(to: Path) -> Path:
    for part in ("sims", "scenes", "render", "tests"):
        shutil.copytree(PROJECT_ROOT / part, to / part, ignore=shutil.ignore_patterns("__pycache__", "artifacts"))
    for name in ("catalog.yaml", "pyproject.toml"):
        shutil.copyfile(PROJECT_ROOT / name, to / name)
    return to


def _run(project: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin", "HOME": str(project)}
    return subprocess.run(args, cwd=project, env=env, capture_output=True, text=True, timeout=timeout)


# --- found by name ------------------------------------------------------------------------------------
def test_every_explainer_is_found_by_its_file_names() -> None:
    for e in CATALOG:
        module = e.id.replace("-", "_")
        assert sims.has_simulator(e.id) == (PROJECT_ROOT / "sims" / f"{module}.py").is_file()
        assert scenes.has_scene(e.id) == (PROJECT_ROOT / "scenes" / f"{module}.py").is_file()
        assert e.ready == (sims.has_simulator(e.id) and scenes.has_scene(e.id))
    for e in CATALOG:
        if e.ready:
            cls = scenes.get_scene_class(e.id)
            assert cls.__module__ == f"scenes.{e.module}"
            assert sims.get_simulator(e.id).ID == e.id
    assert not sims.has_simulator("params") and not sims.has_simulator("trace")
    assert not scenes.has_scene("kit") and not scenes.has_scene("captions")


def test_contract_breaks_are_one_line_errors_naming_the_file(tmp_path: Path) -> None:
    project = _copy_project(tmp_path / "project")
    sim = (project / "sims" / "rate_limiting.py")
    sim.write_text(sim.read_text(encoding="utf-8").replace('ID = "rate-limiting"', 'ID = "rate-limits"'),
                   encoding="utf-8")
    done = _run(project, *EXPLAINERS_CLI, "trace", "rate-limiting")
    assert done.returncode == 2, done.stderr
    assert done.stderr == ("Error: sims/rate_limiting.py: ID is 'rate-limits', but the file is named for "
                           "'rate-limiting'\n")

    shutil.copyfile(PROJECT_ROOT / "sims" / "rate_limiting.py", sim)
    scene = project / "scenes" / "rate_limiting.py"
    scene.write_text(scene.read_text(encoding="utf-8") + "\n\nclass SecondScene(RateLimitingScene):\n    pass\n",
                     encoding="utf-8")
    done = _run(project, *EXPLAINERS_CLI, "render", "rate-limiting", "--quality", "preview", "--out",
                str(tmp_path / "out"), "--jobs", "1")
    assert done.returncode == 1
    assert ("rate-limiting: scenes/rate_limiting.py: needs exactly one ExplainerScene subclass, found 2 "
            "(RateLimitingScene, SecondScene)") in done.stderr
    assert "Traceback" not in done.stderr

    scene.write_text("from scenes.kit import theme\n", encoding="utf-8")
    done = _run(project, sys.executable, "-c", "import scenes; scenes.get_scene_class('rate-limiting')")
    assert done.stderr.strip().splitlines()[-1] == ("scenes.SceneError: scenes/rate_limiting.py: needs exactly one "
                                                    "ExplainerScene subclass, found 0 (none)")


def test_listing_imports_no_manim(tmp_path: Path) -> None:
    code = ("import sys; from render.cli import cli\n"
            "try:\n    cli(['list'], prog_name='explainers')\nexcept SystemExit as e:\n    status = e.code\n"
            "print('RESULT', status, 'manim' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "RESULT 0 False", done.stderr


# --- one direction ------------------------------------------------------------------------------------
def test_import_linter_contracts_are_kept() -> None:
    done = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "0 broken" in done.stdout


def test_no_import_cycles_anywhere(graph: grimp.ImportGraph) -> None:
    edges = nx.DiGraph((m, d) for m in graph.modules for d in graph.find_modules_directly_imported_by(m))
    assert edges.number_of_edges() > 50
    cycles = list(nx.simple_cycles(edges))
    assert not cycles, f"import cycles: {cycles[:3]}"


def test_the_kit_knows_no_explainer_and_no_scene_another(graph: grimp.ImportGraph) -> None:
    kit = {m for m in graph.modules if m == "scenes.kit" or m.startswith("scenes.kit.")}
    allowed_for_kit = kit | {"scenes", "scenes.captions"}
    for module in kit:
        imported = {d for d in graph.find_modules_directly_imported_by(module) if d.split(".")[0] == "scenes"}
        assert imported <= allowed_for_kit, (module, imported - allowed_for_kit)
    explainer_scenes = {f"scenes.{e.module}" for e in CATALOG if scenes.has_scene(e.id)}
    for module in explainer_scenes:
        others = graph.find_modules_directly_imported_by(module) & (explainer_scenes - {module})
        assert not others, (module, others)


def test_scenes_use_no_private_member_of_the_kit() -> None:
    kit_base = (PROJECT_ROOT / "scenes" / "kit" / "base.py").read_text(encoding="utf-8")
    private = set(re.findall(r"def (_[a-z]\w*)", kit_base)) | set(re.findall(r"self\.(_[a-z]\w*) =", kit_base))
    assert {"_curtain", "_caption"} <= private
    for e in CATALOG:
        if scenes.has_scene(e.id):
            text = (PROJECT_ROOT / "scenes" / f"{e.module}.py").read_text(encoding="utf-8")
            used = {name for name in private if re.search(rf"\bself\.{name}\b", text)}
            assert not used, (e.id, used)
            assert not re.search(r"from scenes\.kit\.\w+ import (\(\s*)?_|\b(kit|theme|layout)\.\w*\._", text), e.id


def test_the_engine_refuses_another_manim(monkeypatch: pytest.MonkeyPatch) -> None:
    import render.engine
    from render.errors import RenderError

    assert render.engine.check_manim_version() == TESTED_MANIM
    monkeypatch.setattr(render.engine, "version", lambda name: "0.19.0")
    with pytest.raises(RenderError, match=rf"Manim 0.19.0 is installed, but the engine was tested with {TESTED_MANIM}"):
        render.engine.check_manim_version()


# --- documented ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("explainer_id", SIM_IDS)
def test_simulator_documents_its_model_invariants_and_fidelity(explainer_id: str) -> None:
    module = sims.get_simulator(explainer_id)
    doc = module.__doc__ or ""
    for section in ("Model", "Invariants", "Leaves out"):
        body = sims.docstring_section(doc, section)
        assert body and len(body) > 40, (explainer_id, section)
    assert re.search(r"^1\. ", doc.split("Invariants", 1)[1], re.MULTILINE), "invariants are numbered"
    assert load_catalog().get(explainer_id).fidelity == sims.docstring_section(doc, "Leaves out")
    assert module.ALTERNATE_PARAMS and isinstance(module.ALTERNATE_PARAMS, dict)


def test_docstrings_cite_no_file_outside_the_repository() -> None:
    outside = re.compile(r"storyboards?/|DESIGN\.md|STYLE\.md|\.\./shared|issue #\d+", re.IGNORECASE)
    found = []
    for package in ("sims", "scenes", "render", "tests", "bench"):
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if outside.search(line):
                    found.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    assert not found, found


def test_simulators_import_no_manim() -> None:
    code = ("import sys, sims\n"
            f"for i in {SIM_IDS!r}: sims.get_simulator(i)\n"
            "print('manim' in sys.modules, 'torch' in sys.modules, 'scipy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False False False", done.stderr


# --- easy to start -------------------------------------------------------------------------------------
def test_new_writes_skeletons_that_pass_their_own_tests_and_the_shared_suite(tmp_path: Path) -> None:
    project = _copy_project(tmp_path / "project")
    done = _run(project, *EXPLAINERS_CLI, "new", "demo-counter", "--title", "Demo Counter", "--category",
                "System Design", "--duration", "45")
    assert done.returncode == 0, done.stderr
    for path in ("sims/demo_counter.py", "scenes/demo_counter.py", "tests/test_sims_demo_counter.py"):
        assert f"wrote {project / path}" in done.stdout
    entry = yaml.safe_load((project / "catalog.yaml").read_text(encoding="utf-8"))["explainers"][-1]
    assert (entry["id"], entry["title"], entry["duration_s"]) == ("demo-counter", "Demo Counter", 45)
    listed = _run(project, *EXPLAINERS_CLI, "list")
    assert re.search(r"demo-counter .* ready", listed.stdout), listed.stdout

    again = _run(project, *EXPLAINERS_CLI, "new", "demo-counter", "--title", "Again", "--category", "Streaming")
    assert again.returncode == 2 and again.stderr.endswith("demo-counter: id: is already in the catalog\n")
    bad = _run(project, *EXPLAINERS_CLI, "new", "Demo_Counter", "--title", "x", "--category", "Streaming")
    assert bad.returncode == 2 and "id: must be lowercase letters" in bad.stderr

    tests = _run(project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 "tests/test_sims_demo_counter.py", "tests/test_explainers.py", "-k", "demo", timeout=600)
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert re.search(r"(\d+) passed", tests.stdout) and int(re.search(r"(\d+) passed", tests.stdout)[1]) >= 12
