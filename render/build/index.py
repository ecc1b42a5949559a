"""Writing the gallery: ``OUT/catalog.json`` and ``OUT/index.html``, both or neither."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from render.catalog import Catalog
from render.delivery.gallery import build_index, render_html
from render.fsio import staged

__all__ = ["write_index"]


def write_index(catalog: Catalog, out_dir: Path) -> dict[str, Any]:
    """Write ``catalog.json`` and ``index.html`` into ``out_dir`` (atomically, both or neither); return the index."""
    out_dir = Path(out_dir)
    index = build_index(catalog, out_dir)
    with staged() as stage:
        stage.path(out_dir / "catalog.json").write_bytes(
            (json.dumps(index, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
        stage.path(out_dir / "index.html").write_bytes(render_html(index).encode("utf-8"))
    return index
