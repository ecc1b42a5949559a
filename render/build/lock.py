"""Locks: one writer at a time per out directory, and work directories a killed render cannot leak.

* :class:`OutDirLock` is an exclusive ``fcntl.flock`` on ``OUT/.explainers.lock``,
  held by ``explainers render`` and ``explainers index`` while they write into
  OUT. A second command waits for it (saying so once), then proceeds. The file
  holds the holder's pid and is removed on release.
* :func:`work_dir` claims a Manim media directory under the cache and holds a
  lock in it while in use. The kernel drops the lock when its process dies,
  however it dies, so :func:`sweep_work_dirs` can tell the directory of a
  killed render from one in use and remove it on the next run.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

__all__ = ["LOCK_NAME", "OutDirLock", "WorkDir", "sweep_work_dirs", "work_dir"]

LOCK_NAME = ".explainers.lock"
WORK_LOCK_NAME = ".lock"
#: A work directory holding a finished draw is kept this long for a rerun to resume from.
RESUMABLE_MAX_AGE_S = 3 * 24 * 3600
#: A lock file with no pid yet is being created right now unless it is older than this.
CLAIM_GRACE_S = 60


def _try_lock(fd: int, mode: int = fcntl.LOCK_EX) -> bool:
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _is_current(fd: int, path: Path) -> bool:
    """Whether ``fd`` is still the file at ``path`` (the previous holder may have removed it)."""
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _write_pid(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)


def _read_pid(path: Path) -> int | None:
    for _ in range(20):  # the holder writes its pid right after locking
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        if text.isdigit():
            return int(text)
        time.sleep(0.01)
    return None


class OutDirLock:
    """A lock on an out directory: exclusive for as long as a command writes into it, or ``shared`` for a
    reader (``verify``) that must see no half-done commit.

    ``on_wait(pid)`` is called once if another process holds the lock, before
    waiting for it (``pid`` is None if it could not be read). Several readers may
    hold it at once; a writer waits for them, and they for a writer.
    """

    def __init__(self, out_dir: Path, on_wait: Callable[[int | None], None] | None = None, *,
                 shared: bool = False) -> None:
        self.path = Path(out_dir) / LOCK_NAME
        self.on_wait = on_wait
        self.shared = shared
        self._fd: int | None = None

    def acquire(self) -> None:
        told = False
        mode = fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                if not _try_lock(fd, mode):
                    if not told and self.on_wait is not None:
                        self.on_wait(_read_pid(self.path))
                    told = True
                    fcntl.flock(fd, mode)
                if _is_current(fd, self.path):
                    if not self.shared:
                        _write_pid(fd)
                    self._fd = fd
                    return
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # locked a file the previous holder had already removed: open the new one

    def release(self) -> None:
        if self._fd is None:
            return
        # The last holder removes the file: a writer always is; a reader is if nobody else holds it now.
        if not self.shared or _try_lock(self._fd, fcntl.LOCK_EX):
            with contextlib.suppress(FileNotFoundError):
                if _is_current(self._fd, self.path):
                    self.path.unlink()
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> OutDirLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass
class WorkDir:
    """A claimed work directory. Removed on release unless it failed while ``resumable``."""

    path: Path
    resumable: bool = False

    def clear(self) -> None:
        """Empty it (but keep holding it)."""
        for child in self.path.iterdir():
            if child.name == WORK_LOCK_NAME:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    child.unlink()
        self.resumable = False


def _claim(path: Path) -> int | None:
    """Create and lock ``path``; return the lock's fd, or None if a live process holds it."""
    while True:
        path.mkdir(parents=True, exist_ok=True)
        lock = path / WORK_LOCK_NAME
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:
            continue  # swept between mkdir and open
        if not _try_lock(fd):
            os.close(fd)
            return None
        if _is_current(fd, lock):
            _write_pid(fd)
            return fd
        os.close(fd)


@contextlib.contextmanager
def work_dir(root: Path, name: str) -> Iterator[WorkDir]:
    """Claim ``root/name`` for this process (or, if a live process holds it, a fresh directory beside it).

    The directory is removed when the block ends, unless the block failed after
    setting ``resumable``: then it stays for a rerun to resume from.
    """
    root = Path(root)
    path = root / name
    fd = _claim(path)
    if fd is None:
        path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
        fd = _claim(path)
        assert fd is not None  # nobody else knows its name
    work = WorkDir(path)
    keep = False
    try:
        yield work
    except BaseException:
        keep = work.resumable
        raise
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0


def sweep_work_dirs(root: Path, *, resumable_marker: str) -> list[Path]:
    """Remove the work directories under ``root`` that killed renders left behind; return them.

    A directory whose lock is held is in use and stays. One whose lock is free
    stays if it holds ``resumable_marker`` (a finished draw) and is younger than
    :data:`RESUMABLE_MAX_AGE_S`. Anything else under ``root`` (a directory without
    a lock, such as the Text cache) is left alone.
    """
    removed: list[Path] = []
    now = time.time()
    try:
        entries = [p for p in Path(root).iterdir() if p.is_dir() and not p.is_symlink()]
    except FileNotFoundError:
        return removed
    for path in entries:
        lock = path / WORK_LOCK_NAME
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
        except OSError:  # no lock file: not a work directory
            continue
        try:
            if not _try_lock(fd) or not _is_current(fd, lock):
                continue
            if os.fstat(fd).st_size == 0 and _age(lock, now) < CLAIM_GRACE_S:
                continue  # being claimed right now
            if (path / resumable_marker).is_file() and _age(path / resumable_marker, now) < RESUMABLE_MAX_AGE_S:
                continue
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        finally:
            os.close(fd)
    return removed
