"""Where renders run: a local process pool (the default) or a Dask distributed cluster.

:func:`render_all` first plans in
the calling process, before any worker starts: an explainer is *planned* (no
simulator or scene yet), *skipped* (its outputs are up to date: the content
hash over trace, scene and kit source, quality, versions and post-processing
matches the one in its metadata) or *to render*. Planning costs one simulation
per ready explainer (milliseconds), so a run with nothing to do never imports
Manim or starts a worker.

What is left becomes one task per explainer, and every task runs the same
function, :func:`render_task`, which calls :func:`render.build.job.render_one`
(all outputs written atomically into the out directory):

* ``local``: in this process for a single task or ``jobs=1``, otherwise in a
  ``spawn`` process pool of ``min(jobs, tasks)`` workers (one Manim config per
  process, so parallel renders never share state).
* ``dask``: on the Dask distributed cluster whose scheduler is at ``scheduler``.
  The workers need the same code, catalog data and versions as the caller, and
  the out directory at the same path (a shared filesystem): each task first
  checks both (the content hash it computes must be the one planned here) and
  fails with a clear message otherwise, instead of writing something else.
  A worker process renders one explainer at a time whatever its thread count
  (Manim's config is global to a process).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from render.build.job import render_quietly
from render.build.plan import Task, first_line, plan_tasks, planned_digest
from render.build.settings import RenderOutcome, RenderSettings
from render.catalog import Explainer
from render.errors import RenderError, UserError
from render.fsio import request_stop

__all__ = ["EXECUTORS", "MAX_DRAW_PARTS", "default_jobs", "render_all", "render_task"]

EXECUTORS = ("local", "dask")

Notify = Callable[[str, str, "RenderOutcome | None"], None]

#: One render at a time in a process: Manim's config (and its SVG cache) is global to the process.
_RENDER_LOCK = threading.Lock()


#: most processes one explainer's drawing is shared among (each runs the whole scene; more parts, less gain)
MAX_DRAW_PARTS = 4


def default_jobs() -> int:
    """Parallel local renders when ``--jobs`` is not given: one per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def render_task(task: Task, settings: RenderSettings) -> RenderOutcome:
    """Render one explainer in whatever process runs this (a pool worker, a Dask worker, or the caller)."""
    with _RENDER_LOCK:
        if task.digest is not None:
            problem = _worker_problem(task, settings)
            if problem:
                return RenderOutcome(task.explainer.id, "failed", message=problem)
        return render_quietly(task.explainer, settings)


def _worker_problem(task: Task, settings: RenderSettings) -> str | None:
    """Why this worker must not render ``task`` (it would write something the caller did not plan), or None."""
    host = socket.gethostname()
    out = Path(settings.out_dir)
    if not out.is_dir():
        return f"out directory {out} does not exist on worker {host} (it must be shared by every worker)"
    try:
        digest = planned_digest(task.explainer, settings)
    except Exception as exc:
        return f"worker {host} cannot simulate it: {first_line(exc)}"
    if digest != task.digest:
        return (f"worker {host} has other code, catalog data or versions than the caller "
                f"(content hash {digest[:12]} != {task.digest[:12]})")
    return None


def render_all(explainers: list[Explainer], settings: RenderSettings, jobs: int | None = None,
               on_event: Notify | None = None, *, executor: str = "local",
               scheduler: str | None = None) -> list[RenderOutcome]:
    """Plan, then render what needs it on ``executor``; report ``(id, event, outcome)`` as they go."""
    if executor not in EXECUTORS:
        raise UserError(f"--executor: {executor}: unknown (choose from {', '.join(EXECUTORS)})")
    if executor == "dask" and not scheduler:
        raise UserError("--executor dask: needs --scheduler ADDRESS (e.g. tcp://scheduler:8786)")
    notify = on_event or (lambda *_: None)
    outcomes, tasks = plan_tasks(explainers, settings, need_digest=executor == "dask", notify=notify)
    if tasks:
        if executor == "dask":
            outcomes.update(_run_dask(tasks, settings, scheduler or "", notify))
        else:  # same code in every worker: no need to check the hash again there
            local = [Task(t.explainer) for t in tasks]
            outcomes.update(_run_local(local, settings, jobs or default_jobs(), notify))
    return [outcomes[e.id] for e in explainers]


# --- local ---------------------------------------------------------------------------------------

class _Stopped(BaseException):
    """Raised in a pool worker by SIGTERM: unwinds its render, then the worker exits at once."""


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM kills outright
    stop = _Stopped(signum)
    request_stop(stop)  # raised again at the next frame or stage if this raise lands where Python drops it
    raise stop  # unwinds render_one: staged files and the unfinished work dir go


def _pool_task(task: Task, settings: RenderSettings) -> RenderOutcome:
    """:func:`render_task` in a pool worker; stopped (SIGTERM from the parent), the worker exits once its
    render has unwound (or is killed :data:`STOP_TIMEOUT_S` later, if Manim's encoder threads hold it up)."""
    try:
        return render_task(task, settings)
    except _Stopped:
        raise SystemExit(128 + signal.SIGTERM) from None


def worker_signals() -> None:
    """Pool worker initializer: Ctrl-C and a hangup are for the parent to handle (it stops us); SIGTERM, its
    way to stop us, unwinds the render (staged files and the unfinished work directory go)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)


#: How long stopped workers get to unwind before they are killed outright.
STOP_TIMEOUT_S = 1.0


def stop_workers(pool: ProcessPoolExecutor, timeout: float = STOP_TIMEOUT_S) -> None:
    """Stop a pool's workers now (on Ctrl-C, SIGTERM, SIGHUP): cancel what has not started, SIGTERM what runs,
    wait ``timeout`` seconds for them to unwind, then kill what is left."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


def _run_local(tasks: list[Task], settings: RenderSettings, jobs: int, notify: Notify) -> dict[str, RenderOutcome]:
    outcomes: dict[str, RenderOutcome] = {}
    workers = min(jobs, len(tasks))
    if tasks and jobs > len(tasks):
        # fewer explainers than processes allowed: each one's drawing is shared (render/drawparts.py)
        settings = replace(settings, draw_parts=min(MAX_DRAW_PARTS, jobs // len(tasks)))
    if workers <= 1:
        for task in tasks:
            notify(task.explainer.id, "start", None)
            outcomes[task.explainer.id] = render_task(task, settings)
            notify(task.explainer.id, "done", outcomes[task.explainer.id])
        return outcomes
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=worker_signals) as pool:
        try:
            pending = {}
            for task in tasks:
                pending[pool.submit(_pool_task, task, settings)] = task.explainer.id
                notify(task.explainer.id, "start", None)
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    explainer_id = pending.pop(future)
                    try:
                        outcomes[explainer_id] = future.result()
                    except Exception as exc:  # a worker process died
                        outcomes[explainer_id] = RenderOutcome(explainer_id, "failed", message=f"worker died: {exc}")
                    notify(explainer_id, "done", outcomes[explainer_id])
        except BaseException:  # Ctrl-C: do not wait for the running renders (or start the queued ones)
            stop_workers(pool)
            raise
    return outcomes


# --- Dask distributed ------------------------------------------------------------------------------

def _run_dask(tasks: list[Task], settings: RenderSettings, scheduler: str, notify: Notify) -> dict[str, RenderOutcome]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise UserError("--executor dask: dask and distributed are not installed "
                        "(pip install -e '.[dask]')") from None
    try:
        client = Client(scheduler, timeout="15s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise RenderError(f"--scheduler {scheduler}: cannot connect to the Dask scheduler ({first_line(exc)})") from None
    outcomes: dict[str, RenderOutcome] = {}
    run = uuid.uuid4().hex[:8]
    with client:
        futures = {}
        try:
            for task in tasks:
                explainer_id = task.explainer.id
                future = client.submit(render_task, task, settings, key=f"render-{explainer_id}-{run}", pure=False)
                futures[future] = explainer_id
                notify(explainer_id, "start", None)
            for future in as_completed(futures, loop=client.loop):
                explainer_id = futures[future]
                try:
                    outcomes[explainer_id] = future.result()
                except Exception as exc:  # the task raised past render_task, or its worker died (KilledWorker)
                    outcomes[explainer_id] = RenderOutcome(explainer_id, "failed",
                                                           message=f"dask task failed: {first_line(exc)}")
                notify(explainer_id, "done", outcomes[explainer_id])
        except BaseException:  # Ctrl-C: drop what has not started; running tasks finish their atomic writes
            client.cancel(list(futures))
            raise
    return outcomes
