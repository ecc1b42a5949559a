"""Course packages: SCORM 1.2 content packages that an LMS (Moodle, Canvas, Open edX ...) imports.

One SCO per explainer: a self-contained page (the player with its questions, the video, its captions,
chapters, transcript and poster; relative paths only, nothing fetched from the network) that talks to the
LMS through the SCORM 1.2 API (``scorm.js``). :func:`write_package` writes a zip for one explainer or for a
course of several (one SCO each, grouped by category in catalog order). Zips are byte-identical for
identical inputs: fixed timestamps, fixed order, fixed compression.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping
from xml.sax.saxutils import quoteattr

from render.delivery.captionfiles import chapter_lines
from render.delivery.player import player_css, player_html, player_js
from scenes.captions import Chapter

__all__ = ["PASS_MARK", "Unit", "manifest_xml", "sco_html", "write_package"]

#: Percent of the questions a learner must get right to pass, unless the package says otherwise.
PASS_MARK = 80
#: Every entry's timestamp: the zip's bytes depend on its contents only.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
STORED_SUFFIXES = {".mp4", ".jpg"}  # compressed already


@dataclass(frozen=True)
class Unit:
    """One explainer's SCO: its metadata (``<id>.json``) and the directory holding its delivered files."""

    meta: Mapping[str, Any]
    files_dir: Path

    @property
    def id(self) -> str:
        return str(self.meta["id"])

    def media(self) -> dict[str, str]:
        """The delivered files the page uses, by role."""
        return {"mp4": f"{self.id}.mp4", "poster": f"{self.id}.jpg", "captions_vtt": f"{self.id}.vtt",
                "chapters_vtt": f"{self.id}.chapters.vtt"}


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def sco_html(unit: Unit, pass_mark: int = PASS_MARK) -> str:
    """The SCO's page: the player (questions on), chapters, transcript, fidelity note, LMS status line."""
    meta = unit.meta
    chapters = [Chapter(str(c["title"]), float(c["start"]), float(c["end"])) for c in meta.get("chapters", [])]
    buttons = "".join(f'<li><button type="button" data-seek="{c.start:g}">{escape(line)}</button></li>'
                      for c, line in zip(chapters, chapter_lines(chapters)))
    video = {**meta, "caption_style": meta.get("caption_style", "burned")}
    return _asset("sco.html").format(
        title=escape(str(meta["title"])), hook=escape(str(meta.get("hook", ""))), id=escape(unit.id),
        player=player_html(unit.id, str(meta["title"]), unit.media(), video, questions=True), chapters=buttons,
        transcript=escape(str(meta.get("transcript", ""))), fidelity=escape(str(meta.get("fidelity", ""))),
        player_css=player_css(), player_js=player_js(), scorm_js=_asset("scorm.js"), pass_mark=int(pass_mark))


def _identifier(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text)


def manifest_xml(title: str, groups: list[tuple[str, list[tuple[Unit, str]]]], pass_mark: int = PASS_MARK) -> str:
    """``imsmanifest.xml`` (SCORM 1.2): one organization; ``groups`` are ``(heading, [(unit, folder)])`` in order
    (a heading of ``""`` puts its units at the top level); each unit is one SCO whose files are listed."""
    items, resources_xml = [], []
    for heading, units in groups:
        inner = []
        for unit, folder in units:
            prefix = f"{folder}/" if folder else ""
            ident = _identifier(unit.id)
            inner.append(f'      <item identifier="item-{ident}" identifierref="res-{ident}" isvisible="true">\n'
                         f'        <title>{escape(str(unit.meta["title"]))}</title>\n'
                         f'        <adlcp:masteryscore>{int(pass_mark)}</adlcp:masteryscore>\n'
                         f'      </item>')
            files = [f"{prefix}index.html", *(f"{prefix}{name}" for name in unit.media().values())]
            listed = "\n".join(f"        <file href={quoteattr(name)}/>" for name in files)
            resources_xml.append(f'    <resource identifier="res-{ident}" type="webcontent" adlcp:scormtype="sco" '
                                 f'href={quoteattr(files[0])}>\n{listed}\n    </resource>')
        if heading:
            items.append(f'    <item identifier="group-{_identifier(heading)}" isvisible="true">\n'
                         f'      <title>{escape(heading)}</title>\n' + "\n".join(inner) + "\n    </item>")
        else:
            items.extend(line[2:] if line.startswith("  ") else line for line in inner)
    body = "\n".join(items)
    resources_text = "\n".join(resources_xml)
    identifier = _identifier(title.lower())
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<manifest identifier="explainers-{identifier}" version="1.0"\n'
            f'    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"\n'
            f'    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">\n'
            f'  <metadata>\n    <schema>ADL SCORM</schema>\n    <schemaversion>1.2</schemaversion>\n  </metadata>\n'
            f'  <organizations default="org">\n    <organization identifier="org">\n'
            f'      <title>{escape(title)}</title>\n{body}\n    </organization>\n  </organizations>\n'
            f'  <resources>\n{resources_text}\n  </resources>\n</manifest>\n')


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.external_attr = 0o644 << 16
    info.create_system = 3  # unix, whatever this machine is
    info.compress_type = zipfile.ZIP_STORED if Path(name).suffix in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
    archive.writestr(info, data, compresslevel=9 if info.compress_type == zipfile.ZIP_DEFLATED else None)


def write_package(target: Path, title: str, groups: Iterable[tuple[str, list[Unit]]], *,
                  pass_mark: int = PASS_MARK) -> None:
    """Write a SCORM 1.2 zip to ``target``: one SCO per unit, in a folder of its own when there are several."""
    groups = [(heading, list(units)) for heading, units in groups]
    several = sum(len(units) for _, units in groups) > 1
    placed = [(heading, [(unit, unit.id if several else "") for unit in units]) for heading, units in groups]
    with zipfile.ZipFile(target, "w") as archive:
        _add(archive, "imsmanifest.xml", manifest_xml(title, placed, pass_mark).encode("utf-8"))
        for _, units in placed:
            for unit, folder in units:
                prefix = f"{folder}/" if folder else ""
                _add(archive, f"{prefix}index.html", sco_html(unit, pass_mark).encode("utf-8"))
                for name in unit.media().values():
                    _add(archive, f"{prefix}{name}", (unit.files_dir / name).read_bytes())
