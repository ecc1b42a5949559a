"""Course packages: the SCORM 1.2 manifest read back and checked, byte-identical zips, and each package run in
Chromium inside an LMS-style page whose ``window.API`` is scorm-again's SCORM 1.2 runtime (what LMS players
embed), asserting from the runtime's own data model."""

from __future__ import annotations

import functools
import json
import shutil
import threading
import xml.etree.ElementTree as ET
import zipfile
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner
from playwright.sync_api import sync_playwright

from render.catalog import PROJECT_ROOT, load_catalog
from render.cli import cli
from test_gallery_browser import CHROMIUM, CHROMIUM_ARGS, RangeHandler
from conftest import SCRATCH

SCORM12_JS = PROJECT_ROOT / ".venv" / "npm" / "node_modules" / "scorm-again" / "dist" / "scorm12.js"
NS = {"cp": "http://www.imsproject.org/xsd/imscp_rootv1p1p2", "adlcp": "http://www.adlnet.org/xsd/adlcp_rootv1p2"}
RL = "rate-limiting"
LMS_PAGE = """<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<script src="scorm12.js"></script><script>
  const resume = new URLSearchParams(location.search).get("resume");
  window.API = new Scorm12API({autocommit: false, logLevel: 5});
  if (resume) window.API.loadFromJSON(JSON.parse(resume));
  window.calls = [];
  for (const name of ["LMSInitialize", "LMSCommit", "LMSFinish"]) window.API.on(name, () => window.calls.push(name));
</script></head><body><iframe id="sco" src="pkg/index.html" style="width:1100px;height:1000px;border:0"></iframe>
</body></html>"""


@pytest.fixture(scope="module")
def packaged(rate_limiting_preview: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("packaged")
    for path in rate_limiting_preview.iterdir():
        if path.is_file():
            shutil.copy2(path, out / path.name)
    result = CliRunner().invoke(cli, ["package", "--all", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _manifest(package: Path) -> tuple[ET.Element, list[str]]:
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        root = ET.fromstring(archive.read("imsmanifest.xml"))
    return root, names


@pytest.mark.parametrize("name", [f"{RL}.scorm12.zip", "course.scorm12.zip"])
def test_the_manifest_lists_every_file_and_only_those(packaged: Path, name: str) -> None:
    root, names = _manifest(packaged / name)
    assert root.find("cp:metadata/cp:schemaversion", NS).text == "1.2"
    assert root.find("cp:metadata/cp:schema", NS).text == "ADL SCORM"
    identifiers = [e.get("identifier") for e in root.iter() if e.get("identifier")]
    assert len(identifiers) == len(set(identifiers)), "identifiers are unique"
    resources = root.findall("cp:resources/cp:resource", NS)
    assert resources and all(r.get(f"{{{NS['adlcp']}}}scormtype") == "sco" for r in resources)
    referenced = {i.get("identifierref") for i in root.iter(f"{{{NS['cp']}}}item") if i.get("identifierref")}
    assert referenced == {r.get("identifier") for r in resources}
    listed = [f.get("href") for r in resources for f in r.findall("cp:file", NS)]
    assert sorted(listed) == sorted(n for n in names if n != "imsmanifest.xml"), "every file listed, every listed file there"
    assert all(r.get("href") in listed for r in resources)
    ready = [e for e in load_catalog() if (packaged / f"{e.id}.mp4").is_file()]
    assert len(resources) == (len(ready) if name == "course.scorm12.zip" else 1)


def test_packages_are_byte_identical_for_identical_inputs(packaged: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    shutil.copytree(packaged, again)
    for zip_file in again.glob("*.scorm12.zip"):
        zip_file.unlink()
    result = CliRunner().invoke(cli, ["package", "--all", "--out", str(again)])
    assert result.exit_code == 0, result.output
    for name in (f"{RL}.scorm12.zip", "course.scorm12.zip"):
        assert (again / name).read_bytes() == (packaged / name).read_bytes(), name
    with zipfile.ZipFile(again / f"{RL}.scorm12.zip") as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_package_errors_are_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["package", RL, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path / (RL + '.mp4')}: not rendered yet (run 'explainers render {RL} --out {tmp_path}')\n"
    assert list(tmp_path.iterdir()) == []


def test_a_package_page_needs_no_network(packaged: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(packaged / f"{RL}.scorm12.zip") as archive:
        page = archive.read("index.html").decode("utf-8")
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert 'src="rate-limiting.mp4"' in page and 'src="rate-limiting.vtt"' in page


# --- under a real SCORM 1.2 runtime ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def lms(packaged: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An LMS-style site: lms.html (scorm-again's API) framing the unzipped package."""
    assert SCORM12_JS.is_file(), "scorm-again is missing: `make setup` installs it with npm"
    site = tmp_path_factory.mktemp("lms")
    (site / "lms.html").write_text(LMS_PAGE, encoding="utf-8")
    shutil.copyfile(SCORM12_JS, site / "scorm12.js")
    with zipfile.ZipFile(packaged / f"{RL}.scorm12.zip") as archive:
        archive.extractall(site / "pkg")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(RangeHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _open(browser: Any, url: str) -> tuple[Any, Any, list[str]]:
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_function("() => window.calls && window.calls.includes('LMSInitialize')", timeout=20_000)
    frame = page.frames[1]
    frame.wait_for_function("() => document.querySelector('video').readyState >= 1", timeout=20_000)
    return page, frame, errors


def _cmi(page: Any, element: str) -> Any:
    """A value of the runtime's data model (through its JSON form, which write-only elements are part of)."""
    return page.evaluate(f"() => JSON.parse(JSON.stringify(window.API.cmi)).{element}")


def _play(frame: Any, rate: float = 16.0) -> None:
    frame.evaluate(f"() => {{ const v = document.querySelector('video'); v.muted = true; v.playbackRate = {rate}; "
                   "return v.play(); }")


def test_progress_completion_resume_and_finish_are_reported(browser: Any, lms: str, packaged: Path) -> None:
    meta = json.loads((packaged / f"{RL}.json").read_text(encoding="utf-8"))
    page, frame, errors = _open(browser, lms + "lms.html")
    assert _cmi(page, "core.lesson_status") == "incomplete"
    frame.locator(".questions-toggle").click()  # watch straight through
    _play(frame, rate=4.0)
    page.wait_for_timeout(2500)
    assert _cmi(page, "core.lesson_status") == "incomplete"
    frame.wait_for_function("() => document.querySelector('video').currentTime > 40", timeout=60_000)
    frame.evaluate("() => document.querySelector('video').pause()")
    stopped_at = frame.evaluate("() => document.querySelector('video').currentTime")
    page.evaluate("() => { document.getElementById('sco').src = 'about:blank'; }")  # the learner leaves
    page.wait_for_function("() => window.calls.includes('LMSFinish')", timeout=10_000)
    saved = json.loads(_cmi(page, "suspend_data"))
    location = _cmi(page, "core.lesson_location")
    assert abs(saved["t"] - stopped_at) < 1.0 and int(location) == int(stopped_at)
    assert _cmi(page, "core.lesson_status") == "incomplete" and _cmi(page, "core.exit") == "suspend"
    assert _cmi(page, "core.session_time") not in ("", "00:00:00") and "LMSCommit" in page.evaluate("() => window.calls")
    assert errors == []
    page.close()

    resume = json.dumps({"core": {"lesson_location": location, "lesson_status": "incomplete", "entry": "resume"},
                         "suspend_data": _cmi_value(saved)})
    page, frame, errors = _open(browser, lms + "lms.html?resume=" + _quote(resume))
    frame.wait_for_function(f"() => Math.abs(document.querySelector('video').currentTime - {stopped_at}) < 1.5",
                            timeout=20_000)
    frame.locator(".questions-toggle").click()
    _play(frame)
    frame.wait_for_function("() => document.querySelector('video').ended", timeout=60_000)
    page.wait_for_function("() => window.API.cmi.core.lesson_status === 'completed'", timeout=10_000)
    assert meta["duration_s"] > 0
    assert errors == []
    page.close()


def _cmi_value(saved: dict) -> str:
    return json.dumps(saved, separators=(",", ":"))


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def test_answers_give_a_score_and_pass_or_fail(browser: Any, lms: str, packaged: Path) -> None:
    meta = json.loads((packaged / f"{RL}.json").read_text(encoding="utf-8"))
    checkpoints = meta["checkpoints"]
    page, frame, errors = _open(browser, lms + "lms.html")
    assert frame.locator(".questions-toggle").get_attribute("aria-pressed") == "true"  # on in a course
    _play(frame, rate=8.0)
    for i, cp in enumerate(checkpoints):
        frame.wait_for_function("() => !document.querySelector('.quiz').hidden", timeout=60_000)
        assert cp["prompt"] in frame.locator(".quiz").inner_text()
        choice = cp["answer"] if i > 0 else (cp["answer"] + 1) % len(cp["choices"])  # the first one wrong
        frame.locator(".quiz button.choice").nth(choice).click()
        frame.locator(".quiz button.continue").click()
    expected = round(100 * (len(checkpoints) - 1) / len(checkpoints))
    page.wait_for_function(f"() => window.API.cmi.core.score.raw === '{expected}'", timeout=10_000)
    assert (_cmi(page, "core.score.min"), _cmi(page, "core.score.max")) == ("0", "100")
    assert _cmi(page, "core.lesson_status") == ("passed" if expected >= 80 else "failed")
    assert set(json.loads(_cmi(page, "suspend_data"))["a"]) == {str(i) for i in range(len(checkpoints))}
    frame.page.screenshot(path=str(_artifacts() / "scorm-after-answers.png"))
    assert errors == []
    page.close()


def test_without_an_lms_it_is_a_plain_player(browser: Any, lms: str) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(lms + "pkg/index.html")
    page.wait_for_function("() => document.getElementById('lms-status').textContent.length > 0", timeout=20_000)
    assert "nothing is recorded" in page.locator("#lms-status").inner_text()
    assert page.locator("video").count() == 1 and errors == []
    page.screenshot(path=str(_artifacts() / "scorm-plain.png"))
    page.close()


def _artifacts() -> Path:
    path = SCRATCH / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path
