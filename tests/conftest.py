"""Shared fixtures: one real preview render of the featured explainer, reused by the tests that probe it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

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
