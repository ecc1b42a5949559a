"""Scale-out: ``explainers render --executor dask`` on a real Dask ``LocalCluster`` (2 worker processes).

Two explainers at preview quality, one task per explainer, rendered by the workers with the same
function as the local pool and written atomically into the shared out directory; the MP4 is
byte-for-byte the one a local render writes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import distributed  # a declared test dependency: a broken install fails here, it does not skip
import pytest
from click.testing import CliRunner

from render.catalog import load_catalog
from render.cli import cli
from render.build.executors import render_task
from render.build.plan import Task
from render.build.settings import RenderSettings
from render.fsio import TEMP_MARK

IDS = ["rate-limiting", "raft-consensus"]
pytestmark = pytest.mark.render


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as local:
        yield local


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_render_on_a_local_cluster(rate_limiting_preview: Path, cluster, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = run("render", *IDS, "--quality", "preview", "--out", str(out), "--executor", "dask",
                 "--scheduler", cluster.scheduler_address)
    assert result.exit_code == 0, result.output
    assert "2 rendered, 0 skipped" in result.stdout
    for explainer_id in IDS:
        meta = json.loads((out / f"{explainer_id}.json").read_text(encoding="utf-8"))
        assert meta["quality"] == "preview"
        for name, info in meta["files"].items():
            assert (out / name).stat().st_size == info["bytes"]
    assert not [p.name for p in out.iterdir() if TEMP_MARK in p.name]
    # Same function, same settings: the same video as the local render of the session fixture. Not always
    # the same bytes: a render in the long-lived test process has been seen to differ from a fresh process's
    # by at most 2 levels in a dozen pixels of a few frames (fresh processes, local or Dask, agree).
    mine = json.loads((out / "rate-limiting.json").read_text(encoding="utf-8"))
    local = json.loads((rate_limiting_preview / "rate-limiting.json").read_text(encoding="utf-8"))
    for key in ("duration_s", "captions", "chapters", "render_hash", "width", "height", "fps"):
        assert mine[key] == local[key], key
    assert mine["delivery"]["frames"] == local["delivery"]["frames"]
    assert _max_pixel_difference(out / "rate-limiting.mp4", rate_limiting_preview / "rate-limiting.mp4") <= 4

    # Nothing changed: planned in the caller, nothing is sent to the cluster.
    again = run("render", *IDS, "--quality", "preview", "--out", str(out), "--executor", "dask",
                "--scheduler", cluster.scheduler_address)
    assert again.exit_code == 0, again.output
    assert "0 rendered, 2 skipped" in again.stdout


def _max_pixel_difference(a: Path, b: Path, every: int = 10) -> int:
    """The largest difference of any RGB value between the two videos, on one frame in ``every``."""
    import av
    import numpy as np

    def frames(path: Path):
        with av.open(str(path)) as container:
            for i, frame in enumerate(container.decode(video=0)):
                if i % every == 0:
                    yield frame.to_ndarray(format="rgb24").astype(np.int16)

    return max(int(np.abs(x - y).max()) for x, y in zip(frames(a), frames(b), strict=True))


def test_a_worker_with_other_code_refuses(cluster, tmp_path: Path) -> None:
    """A task whose planned content hash differs from what the worker computes is not rendered."""
    explainer = load_catalog().get("rate-limiting")
    settings = RenderSettings(out_dir=tmp_path, quality="preview")
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        outcome = client.submit(render_task, Task(explainer, "0" * 64), settings, pure=False).result()
        assert outcome.status == "failed"
        assert "other code, catalog data or versions" in outcome.message
        missing = RenderSettings(out_dir=tmp_path / "not-shared", quality="preview")
        outcome = client.submit(render_task, Task(explainer, "0" * 64), missing, pure=False).result()
        assert outcome.status == "failed" and "does not exist on worker" in outcome.message
    assert list(tmp_path.iterdir()) == []


def test_dask_needs_a_scheduler(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["render", "rate-limiting", "--out", str(tmp_path / "d"), "--executor", "dask"],
                                env={"DASK_SCHEDULER_ADDRESS": ""})
    assert result.exit_code == 2
    assert "--executor dask: needs --scheduler ADDRESS" in result.output
    assert not (tmp_path / "d").exists() or not any((tmp_path / "d").iterdir())
    shutil.rmtree(tmp_path / "d", ignore_errors=True)
