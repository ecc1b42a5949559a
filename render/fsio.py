"""Atomic file output: write to hidden temporary files beside the targets, then rename them into place.

:func:`staged` puts several files in place together: each is written to a
temporary file first, and only when all of them are written are they renamed
over their targets. If anything fails before that (a full disk, a crash, an
interrupt) the temporary files are removed and every target keeps its previous
content; if a rename itself fails, the targets already replaced get their
previous content back. A process killed outright (SIGKILL) can leave
temporary files behind: their names contain :data:`TEMP_MARK`, and
:func:`sweep_temp_files` removes them on the next run.

:func:`checkpoint` is the fault-injection hook of the reliability tests: a
no-op unless ``EXPLAINERS_TEST_MARKS`` is set.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any, Iterator

__all__ = [
    "StagedFiles",
    "clear_stop",
    "raise_if_stopped",
    "request_stop",
    "TEMP_MARK",
    "atomic_path",
    "check_writable_dir",
    "checkpoint",
    "sha256_file",
    "staged",
    "sweep_temp_files",
    "write_bytes",
    "write_text",
]

TEMP_MARK = ".tmp-"

#: Test hook: a directory in which :func:`checkpoint` touches one file per point reached.
MARKS_ENV = "EXPLAINERS_TEST_MARKS"
#: Test hook: the point (``stage`` or ``stage:detail``) at which :func:`checkpoint` sleeps.
PAUSE_ENV = "EXPLAINERS_TEST_PAUSE_AT"
#: Test hook: how long it sleeps there at most (seconds; default an hour, i.e. until killed or resumed).
PAUSE_SECONDS_ENV = "EXPLAINERS_TEST_PAUSE_S"


#: The stop a signal handler asked for (KeyboardInterrupt or the CLI's Terminated), if any.
_PENDING_STOP: list[BaseException] = []


def request_stop(stop: BaseException) -> None:
    """Remember a signal's stop, for :func:`raise_if_stopped` to raise again.

    A signal handler's exception is raised wherever Python happens to be; when that is a ``__del__``
    or a garbage-collector callback, Python prints it and carries on, and Ctrl-C would be lost. The
    handler therefore records the stop too, and the draw (at every frame) and each stage (at every
    :func:`checkpoint`) raise it again.
    """
    if not _PENDING_STOP:
        _PENDING_STOP.append(stop)
        if sys.unraisablehook is not _quiet_about_stops:
            _hooks[:] = [sys.unraisablehook]
            sys.unraisablehook = _quiet_about_stops


_hooks: list[Any] = []


def _quiet_about_stops(unraisable: Any) -> None:
    """Python's report of an exception it had to drop, minus the recorded stop (it is not lost: see above)."""
    if _PENDING_STOP and isinstance(unraisable.exc_value, type(_PENDING_STOP[0])):
        return
    (_hooks[0] if _hooks else sys.__unraisablehook__)(unraisable)


def raise_if_stopped() -> None:
    """Raise the stop a signal asked for, if one did."""
    if _PENDING_STOP:
        raise _PENDING_STOP[0]


def clear_stop() -> None:
    """Forget any recorded stop (a new command starts)."""
    _PENDING_STOP.clear()


def checkpoint(stage: str, detail: str = "") -> None:
    """Mark that the run reached ``stage`` (and pause there), when the test hooks ask for it.

    With ``EXPLAINERS_TEST_MARKS=DIR`` it writes ``DIR/<stage>:<detail>`` (a clock reading); with
    ``EXPLAINERS_TEST_PAUSE_AT`` equal to ``stage`` or ``stage:detail`` it then
    writes ``DIR/paused`` and sleeps (until ``DIR/resume`` exists, or
    ``EXPLAINERS_TEST_PAUSE_S`` have passed), so that a test can kill or
    interrupt the process at exactly this point.
    """
    raise_if_stopped()
    marks = os.environ.get(MARKS_ENV)
    if not marks:
        return
    point = f"{stage}:{detail}" if detail else stage
    Path(marks, point.replace("/", "_")).write_text(str(time.monotonic_ns()), encoding="utf-8")  # the order
    if os.environ.get(PAUSE_ENV) in (stage, point):
        Path(marks, "paused").write_text(f"{point}\n{os.getpid()}\n", encoding="utf-8")
        deadline = time.monotonic() + float(os.environ.get(PAUSE_SECONDS_ENV, "3600"))
        while time.monotonic() < deadline and not Path(marks, "resume").exists():
            time.sleep(0.05)


def _temp_name(target: Path, kind: str = "") -> Path:
    return target.with_name(f".{target.name}{TEMP_MARK}{kind}{os.getpid()}-{secrets.token_hex(4)}{target.suffix}")


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:
            return  # some file systems cannot open a directory for fsync; the renames still happened
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


class StagedFiles:
    """Temporary files beside their targets, put in place together by :meth:`commit`."""

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []

    def path(self, target: Path) -> Path:
        """A fresh temporary path beside ``target`` to write its new content to."""
        target = Path(target)
        temp = _temp_name(target)
        self._pending.append((temp, target))
        return temp

    def commit(self) -> None:
        """Rename every temporary file over its target (in the order staged), or none of them.

        Each target that exists is first hard-linked to a backup name, so that a
        failed rename can be rolled back: the targets already replaced get their
        previous content again (a target that did not exist is removed).
        """
        for temp, _ in self._pending:
            if not temp.exists():
                raise FileNotFoundError(f"nothing was written to {temp}")
            _fsync_path(temp)
        replaced: list[tuple[Path, Path | None, bool]] = []  # (target, backup, existed)
        backups: list[Path] = []
        try:
            for temp, target in self._pending:
                checkpoint("replace", target.name)
                existed, backup = os.path.lexists(target), None
                if existed:
                    backup = _temp_name(target, "old-")
                    try:
                        os.link(target, backup)
                        backups.append(backup)
                    except OSError:
                        backup = None  # no hard links here: this one cannot be rolled back
                os.replace(temp, target)
                replaced.append((target, backup, existed))
            for directory in {target.parent for _, target in self._pending}:
                _fsync_path(directory, directory=True)
        except BaseException:
            for target, backup, existed in reversed(replaced):
                with contextlib.suppress(OSError):
                    if backup is not None:
                        os.replace(backup, target)
                    elif not existed:
                        target.unlink()
            raise
        finally:
            for backup in backups:
                with contextlib.suppress(FileNotFoundError):
                    backup.unlink()

    def discard(self) -> None:
        """Remove whatever temporary files are left (all of them unless committed)."""
        for temp, _ in self._pending:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()


@contextlib.contextmanager
def staged() -> Iterator[StagedFiles]:
    """Stage files in the block; put them all in place when it succeeds, none of them if it fails."""
    stage = StagedFiles()
    try:
        yield stage
        stage.commit()
    finally:
        stage.discard()


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` if the block succeeds.

    On any exception (or interrupt) the temporary file is removed and ``target``
    keeps its previous content.
    """
    with staged() as stage:
        yield stage.path(target)


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as temp:
        temp.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def sweep_temp_files(directory: Path) -> list[Path]:
    """Remove the temporary files a killed run left in ``directory``; return them.

    Only safe while no other run writes into ``directory`` (hold its
    :class:`render.build.lock.OutDirLock`).
    """
    removed = []
    try:
        entries = list(Path(directory).iterdir())
    except FileNotFoundError:
        return removed
    for path in entries:
        if path.name.startswith(".") and TEMP_MARK in path.name and not path.is_dir():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_writable_dir(path: Path) -> str | None:
    """Create ``path`` if needed; return why it cannot be written to, or None."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        return "exists and is not a directory"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create it: {exc.strerror}"
    probe = path / f".write-probe{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}"
    try:
        probe.write_bytes(b"")
    except OSError as exc:
        return f"is not writable: {exc.strerror}"
    with contextlib.suppress(FileNotFoundError):  # a run holding the lock may have swept it already
        probe.unlink()
    return None
