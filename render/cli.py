"""The ``explainers`` command line: thin click commands over the pipeline."""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

import sims
from render.build.cache import cache_root
from render.build.executors import EXECUTORS, default_jobs, render_all
from render.build.index import write_index
from render.build.lock import OutDirLock
from render.build.package import package_units
from render.build.plan import make_trace
from render.build.settings import RenderOutcome, RenderSettings
from render.catalog import CATEGORIES, DEFAULT_CATALOG, Catalog, Explainer, load_catalog, simulator
from render.delivery.encoding import QUALITIES
from render.errors import RenderError, UserError
from render.fsio import check_writable_dir, checkpoint, clear_stop, raise_if_stopped, request_stop, sweep_temp_files
from render.scaffold import new_explainer
from scenes.captions import CAPTION_STYLES
from sims.params import ParamError, parse_value

__all__ = ["main", "cli"]

DEFAULT_OUT = Path("dist")


def _one_line(exc: click.UsageError) -> UserError:
    """A usage error as one ``Error: ...`` line (click would print the usage and a hint above it)."""
    where = exc.ctx.command_path if exc.ctx is not None else "explainers"
    return UserError(f"{exc.format_message()} (see '{where} --help')")


class ExplainersGroup(click.Group):
    """Turns Ctrl-C into one line and exit 130, usage errors into one line, and hides tracebacks unless ``--debug``."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            result = super().invoke(ctx)
            raise_if_stopped()  # a signal arrived but its exception was swallowed on the way: stop all the same
            return result
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise _one_line(exc) from None
        except KeyboardInterrupt:
            clear_stop()
            click.echo("Interrupted: nothing half-written was left under a final name.", err=True)
            ctx.exit(130)
        except Terminated as stop:
            clear_stop()
            click.echo(f"{stop.reason}: stopped every worker; nothing half-written was left under a final name.",
                       err=True)
            _STOPPED.append(stop.signum)
            ctx.exit(128 + stop.signum)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            raise RenderError(f"{type(exc).__name__}: {exc} (run with --debug for the traceback)") from None


@click.group(cls=ExplainersGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False, path_type=Path), envvar="EXPLAINERS_CATALOG",
              default=None, help=f"Catalog file (default: {DEFAULT_CATALOG.name} in the project, or $EXPLAINERS_CATALOG).")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected failures.")
@click.pass_context
def cli(ctx: click.Context, catalog_path: Path | None, debug: bool) -> None:
    """Render short animated explainers of distributed-systems, streaming, database and ML ideas."""
    ctx.obj = {"catalog_path": catalog_path, "debug": debug}
    clear_stop()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupt)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _terminate)


#: The signals that stopped this command (set once it has unwound; main() then exits at once).
_STOPPED: list[int] = []


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived (``timeout``, CI cancelling, ``docker stop``, systemd, a closed terminal):
    unwind as Ctrl-C does, stopping every worker and removing what was half-written, then exit 128 + signum."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.reason = "Terminated" if signum == signal.SIGTERM else "Hangup"


def _interrupt(signum: int, frame: Any) -> None:
    stop = KeyboardInterrupt()
    request_stop(stop)
    raise stop


def _terminate(signum: int, frame: Any) -> None:
    for other in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(other, signal.SIG_IGN)  # one clean stop: a second signal must not cut it short
    stop = Terminated(signum)
    request_stop(stop)
    raise stop


def _catalog(ctx: click.Context) -> Catalog:
    return load_catalog(ctx.obj["catalog_path"])


def _explainer(catalog: Catalog, explainer_id: str) -> Explainer:
    try:
        return catalog.get(explainer_id)
    except KeyError:
        raise UserError(f"{catalog.path}: {explainer_id}: unknown explainer id (see 'explainers list')") from None


def _overrides(explainer: Explainer, pairs: tuple[str, ...]) -> dict[str, Any]:
    """Parse ``--set key=value`` pairs against the simulator's declared params."""
    if not pairs:
        return {}
    if not sims.has_simulator(explainer.id):
        raise UserError(f"--set: {explainer.id}: has no simulator yet (it is planned)")
    spec = {p.name: p for p in simulator(explainer.id).PARAMS}
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(f"--set: {pair!r}: expected key=value")
        if key not in spec:
            raise UserError(f"--set: {explainer.id}: {key}: unknown parameter (known: {', '.join(sorted(spec))})")
        try:
            overrides[key] = parse_value(spec[key], text)
        except ParamError as exc:
            raise UserError(f"--set: {explainer.id}: {exc}") from None
    try:
        explainer.resolved_params(overrides)
    except ParamError as exc:
        raise UserError(f"--set: {explainer.id}: {exc}") from None
    return overrides


class OutDir(click.Path):
    """An output directory path; an empty one is a mistake (it would silently mean the current directory)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("must not be empty", param, ctx)
        return super().convert(value, param, ctx)


seed_option = click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None, help="Override the catalog seed.")
set_option = click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                          help="Override a simulator parameter (repeatable; lists as JSON).")


@cli.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """List the catalog: id, title, category, target length, status."""
    from rich.console import Console
    from rich.table import Table

    catalog = _catalog(ctx)
    table = Table(title=f"{len(catalog)} explainers ({sum(e.ready for e in catalog)} ready)")
    for column in ("id", "title", "category", "target", "status"):
        table.add_column(column, justify="right" if column == "target" else "left", no_wrap=column == "id")
    for e in catalog:
        status = "[green]ready[/]" if e.ready else "[dim]planned[/]"
        table.add_row(e.id, e.title, e.category, f"{e.duration_s}s", status)
    Console(width=max(100, Console().width)).print(table)


@cli.command("trace")
@click.argument("explainer_id", metavar="ID")
@seed_option
@set_option
@click.pass_context
def trace_command(ctx: click.Context, explainer_id: str, seed: int | None, sets: tuple[str, ...]) -> None:
    """Print the simulator trace of ID as JSON."""
    catalog = _catalog(ctx)
    explainer = _explainer(catalog, explainer_id)
    overrides = _overrides(explainer, sets)
    if not sims.has_simulator(explainer.id):
        raise UserError(f"{catalog.path}: {explainer.id}: has no simulator yet (it is planned)")
    click.echo(make_trace(explainer, seed, overrides).to_json())


def _check_out(out: Path) -> None:
    problem = check_writable_dir(out)
    if problem:
        raise UserError(f"--out: {out}: {problem}")


def _out_lock(out: Path) -> OutDirLock:
    """The out directory's lock; a second command waits for it, saying so on one line."""

    def waiting(pid: int | None) -> None:
        holder = f" (pid {pid})" if pid else ""
        click.echo(f"waiting for another render into {out}{holder}...", err=True)

    return OutDirLock(out, on_wait=waiting)


def _write_index(catalog: Catalog, out: Path) -> dict[str, Any]:
    checkpoint("index")
    try:
        return write_index(catalog, out)
    except OSError as exc:
        raise RenderError(f"could not write the index to {out} ({exc.strerror or exc}); "
                          f"the previous catalog.json and index.html were left in place") from None


@cli.command("render")
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--all", "all_", is_flag=True, help="Render every explainer in the catalog.")
@click.option("--quality", type=click.Choice(list(QUALITIES)), default="1080p", show_default=True)
@click.option("--out", type=OutDir(file_okay=True, path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="Output directory.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Parallel renders (default: the CPU count).")
@click.option("--force", is_flag=True, help="Re-render even if the outputs are up to date.")
@click.option("--captions", type=click.Choice(CAPTION_STYLES), default="burned", show_default=True,
              help="burned: drawn into the frames (plays with captions anywhere); track: only in the .vtt/.srt files, "
                   "for players and platforms that show (and translate) a caption track.")
@seed_option
@set_option
@click.option("--executor", type=click.Choice(EXECUTORS), default="local", show_default=True,
              help="Where renders run: a local process pool, or a Dask distributed cluster (one task per explainer).")
@click.option("--scheduler", metavar="ADDRESS", envvar="DASK_SCHEDULER_ADDRESS", default=None,
              help="Dask scheduler address for --executor dask, e.g. tcp://host:8786 (or $DASK_SCHEDULER_ADDRESS).")
@click.pass_context
def render_command(ctx: click.Context, ids: tuple[str, ...], all_: bool, quality: str, out: Path, jobs: int | None,
                   force: bool, captions: str, seed: int | None, sets: tuple[str, ...], executor: str,
                   scheduler: str | None) -> None:
    """Render explainers to OUT/<id>.mp4 with captions (.vtt, .srt), poster and metadata."""
    if executor == "dask" and not scheduler:
        raise UserError("--executor dask: needs --scheduler ADDRESS (e.g. tcp://scheduler:8786)")
    render_many = functools.partial(render_all, executor=executor, scheduler=scheduler)

    catalog = _catalog(ctx)
    if all_ and ids:
        raise UserError("give IDs or --all, not both")
    if not all_ and not ids:
        raise UserError("name at least one ID, or pass --all (see 'explainers list')")
    explainers = list(catalog) if all_ else [_explainer(catalog, i) for i in dict.fromkeys(ids)]
    if (sets or seed is not None) and len(explainers) != 1:
        raise UserError("--set and --seed apply to a single explainer; name exactly one ID")
    overrides = _overrides(explainers[0], sets) if sets else {}
    _check_out(out)
    cache = cache_root()
    if cache.problem and any(e.ready for e in explainers):
        click.echo(f"note: not using the cache ({cache.problem}); renders go on in {cache.path}, "
                   f"without resuming or the text cache", err=True)
    settings = RenderSettings(out_dir=out.resolve(), quality=quality, seed=seed, overrides=overrides, force=force,
                              catalog_path=catalog.path, captions=captions)
    # one process per CPU: across explainers, or sharing one explainer's drawing (render/drawparts.py)
    workers = jobs or default_jobs()
    with _out_lock(out):
        sweep_temp_files(out)  # left by a killed run
        outcomes = _run_with_progress(explainers, settings, workers, render_many)
        _write_index(catalog, out)
    _summary(outcomes, out)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        raise RenderError(f"{len(failed)} render(s) failed: " + "; ".join(f"{o.id}: {o.message}" for o in failed))


def _run_with_progress(explainers, settings, workers, render_many) -> list[RenderOutcome]:
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console_err = sys.stderr.isatty()
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[state]}"),
                        TimeElapsedColumn(), transient=False, disable=not console_err)
    tasks = {}
    with progress:
        for e in explainers:
            tasks[e.id] = progress.add_task(e.id, total=1, state="queued" if e.ready else "planned", start=False)

        def on_event(explainer_id: str, event: str, outcome: RenderOutcome | None) -> None:
            task = tasks[explainer_id]
            if event == "start":
                progress.start_task(task)
                progress.update(task, state=f"rendering ({settings.quality})")
            else:
                progress.update(task, completed=1, state=outcome.status if outcome else "done")
                progress.stop_task(task)

        return render_many(explainers, settings, workers, on_event)


def _summary(outcomes: list[RenderOutcome], out: Path) -> None:
    counts = {s: sum(o.status == s for o in outcomes) for s in ("rendered", "repackaged", "skipped", "planned", "failed")}
    for o in outcomes:
        if o.status == "rendered":
            click.echo(f"rendered {o.id}: {o.duration_s:.1f}s of video in {o.seconds:.1f}s -> {out / (o.id + '.mp4')}")
        elif o.status == "repackaged":
            click.echo(f"repacked {o.id}: the frames were up to date; new files in {o.seconds:.1f}s")
        elif o.status == "skipped":
            click.echo(f"skipped  {o.id}: up to date")
        elif o.status == "failed":
            click.echo(f"failed   {o.id}: {o.message}", err=True)
        for warning in o.warnings:
            click.echo(f"warning: {o.id}: {warning}", err=True)
    click.echo(", ".join(f"{n} {s}" for s, n in counts.items() if n or s != "repackaged")
               + f"; index at {out / 'index.html'}")


@cli.command("index")
@click.option("--out", type=OutDir(file_okay=True, path_type=Path), default=DEFAULT_OUT, show_default=True)
@click.pass_context
def index_command(ctx: click.Context, out: Path) -> None:
    """Write OUT/catalog.json and OUT/index.html for the whole catalog."""
    catalog = _catalog(ctx)
    _check_out(out)
    with _out_lock(out):
        sweep_temp_files(out)
        index = _write_index(catalog, out)
    with_video = sum(1 for e in index["explainers"] if e["video"])
    click.echo(f"wrote {out / 'catalog.json'} and {out / 'index.html'}: {index['count']} explainers, {with_video} with video")


@cli.command("frames")
@click.argument("explainer_id", metavar="ID")
@click.option("--out", type=click.Path(file_okay=True, path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="Directory holding the rendered ID.mp4 and ID.json.")
@click.option("--at", "times", type=click.FloatRange(0), multiple=True, help="Seconds (repeatable). Default: every caption.")
@click.option("--to", "to_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the PNGs (default: OUT/frames/ID).")
@click.pass_context
def frames_command(ctx: click.Context, explainer_id: str, out: Path, times: tuple[float, ...], to_dir: Path | None) -> None:
    """Write PNG frames of a rendered video, by default one in the middle of every caption, to look at."""
    import json

    from render.delivery.frames import extract_frames

    catalog = _catalog(ctx)
    explainer = _explainer(catalog, explainer_id)
    video, meta_file = out / f"{explainer.id}.mp4", out / f"{explainer.id}.json"
    if not video.is_file():
        raise UserError(f"--out: {video}: not rendered yet (run 'explainers render {explainer.id}')")
    chosen = list(times)
    if not chosen:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        chosen = [(c["start"] + c["end"]) / 2 for c in meta["captions"]]
    target = to_dir or out / "frames" / explainer.id
    paths = extract_frames(video, chosen, target, prefix=explainer.id)
    click.echo(f"wrote {len(paths)} frames to {target}")


@cli.command("package")
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--all", "all_", is_flag=True, help="Every rendered explainer, and course.scorm12.zip of them all.")
@click.option("--out", type=OutDir(file_okay=True, path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="The directory the explainers were rendered into; the packages are written there too.")
@click.option("--pass-mark", type=click.IntRange(0, 100), default=80, show_default=True,
              help="Percent of the questions right that passes (the LMS's mastery score).")
@click.pass_context
def package_command(ctx: click.Context, ids: tuple[str, ...], all_: bool, out: Path, pass_mark: int) -> None:
    """Write SCORM 1.2 course packages: OUT/<id>.scorm12.zip per explainer (and OUT/course.scorm12.zip with --all)."""
    catalog = _catalog(ctx)
    if all_ and ids:
        raise UserError("give IDs or --all, not both")
    if not all_ and not ids:
        raise UserError("name at least one ID, or pass --all (see 'explainers list')")
    if all_:
        explainers = [e for e in catalog if e.ready and (out / f"{e.id}.mp4").is_file()]
        if not explainers:
            raise UserError(f"--out: {out}: nothing rendered to package (run 'explainers render --all --out {out}')")
    else:
        explainers = [_explainer(catalog, i) for i in dict.fromkeys(ids)]
    with _out_lock(out):
        sweep_temp_files(out)
        try:
            written = package_units(catalog, explainers, out, course=all_, pass_mark=pass_mark)
        except OSError as exc:
            raise RenderError(f"could not write the packages to {out} ({exc.strerror or exc}); "
                              f"the previous ones were left in place") from None
    for path in written:
        click.echo(f"wrote {path} ({path.stat().st_size / 1_000_000:.1f} MB)")


@cli.command("new")
@click.argument("explainer_id", metavar="ID")
@click.option("--title", required=True, help="The explainer's title (its title card and gallery card).")
@click.option("--category", required=True, type=click.Choice(CATEGORIES), help="Its category in the gallery.")
@click.option("--duration", "duration_s", type=int, default=90, show_default=True, help="Target length in seconds.")
@click.pass_context
def new_command(ctx: click.Context, explainer_id: str, title: str, category: str, duration_s: int) -> None:
    """Start explainer ID: its simulator, scene and test skeletons, and its catalog entry."""
    made = new_explainer(_catalog(ctx), explainer_id, title=title, category=category, duration_s=duration_s)
    for path in made.files:
        click.echo(f"wrote {path}")
    click.echo(f"added {explainer_id} to {made.catalog}")
    click.echo(f"next: make its blurb and hook real, then replace the model and the beats; "
               f"'explainers render {explainer_id} --quality preview' renders it")


@cli.command("verify")
@click.argument("out_dir", metavar="[DIR]", required=False, default=str(DEFAULT_OUT),
                type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def verify_command(ctx: click.Context, out_dir: Path) -> None:
    """Check every MP4 in DIR (default: dist) and its captions, chapters, poster and metadata."""
    from rich.console import Console
    from rich.table import Table

    from render.delivery.verify import find_videos, verify_dir

    videos = find_videos(out_dir) if out_dir.is_dir() else []
    if not videos:
        raise UserError(f"{out_dir}: no videos to verify (render some with 'explainers render')")
    targets = {e.id: e.duration_s for e in _catalog(ctx)}

    def waiting(pid: int | None) -> None:
        holder = f" (pid {pid})" if pid else ""
        click.echo(f"waiting for a render into {out_dir} to finish{holder}...", err=True)

    with OutDirLock(out_dir, on_wait=waiting, shared=True):  # never read a commit half done
        results = verify_dir(out_dir, targets, find_videos(out_dir))
    table = Table(title=f"Delivery checks: {out_dir}")
    for column in ("file", "check", "result", "detail"):
        table.add_column(column, no_wrap=column != "detail", overflow="fold")
    for name, checks in results.items():
        for i, check in enumerate(checks):
            result = "[green]pass[/]" if check.passed else "[bold red]FAIL[/]"
            table.add_row(name if i == 0 else "", check.name, result, check.detail, end_section=i == len(checks) - 1)
    Console(width=max(120, Console().width)).print(table)
    total = sum(len(c) for c in results.values())
    failed = [(name, c.name) for name, checks in results.items() for c in checks if not c.passed]
    if failed:
        files = len({name for name, _ in failed})
        raise RenderError(f"{len(failed)} of {total} checks failed in {files} of {len(results)} file(s): "
                          + ", ".join(f"{name}: {check}" for name, check in failed[:5])
                          + (" ..." if len(failed) > 5 else ""))
    click.echo(f"all {total} checks passed on {len(results)} file(s)")


def main() -> None:
    try:
        cli(prog_name="explainers")
    except SystemExit as done:
        if not _STOPPED or "manim" not in sys.modules:
            raise
        # Stopped by a signal while this process was drawing, with every drawing part gone and the lock
        # released: leave now, without tearing down a render's worth of Manim objects first (a second or
        # more). A process that ran a pool draws nothing and exits normally, closing the pool's queues.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(done.code if isinstance(done.code, int) else 1)


if __name__ == "__main__":
    main()
