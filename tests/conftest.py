"""Shared fixtures: one real preview render of the featured explainer, reused by the tests that probe it."""

from __future__ import annotations

from pathlib import Path

import pytest

from render.catalog import load_catalog
from render.pipeline import RenderSettings, render_one


@pytest.fixture(scope="session")
def rate_limiting_preview(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Render rate-limiting at preview quality once per test session; return the out directory."""
    out = tmp_path_factory.mktemp("dist-preview")
    outcome = render_one(load_catalog().get("rate-limiting"), RenderSettings(out_dir=out, quality="preview", force=True))
    assert outcome.status == "rendered", outcome
    return out
