"""What a render delivers per explainer, by file name."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DELIVERED_SUFFIXES", "MEDIA_SUFFIXES", "metadata_path", "output_paths"]

#: Everything but the metadata, which lists these with their sizes and digests.
MEDIA_SUFFIXES = (".mp4", ".vtt", ".srt", ".chapters.vtt", ".jpg")
DELIVERED_SUFFIXES = (*MEDIA_SUFFIXES, ".json")


def metadata_path(out_dir: Path, explainer_id: str) -> Path:
    """``OUT/<id>.json``: the metadata of one explainer's delivery."""
    return Path(out_dir) / f"{explainer_id}.json"


def output_paths(out_dir: Path, explainer_id: str) -> dict[str, Path]:
    """``{suffix: OUT/<id><suffix>}`` for every delivered file."""
    return {suffix: Path(out_dir) / f"{explainer_id}{suffix}" for suffix in DELIVERED_SUFFIXES}
