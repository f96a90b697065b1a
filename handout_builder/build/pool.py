"""Build stage: the library's one process pool, for the build, the batch and the app.

Each worker process holds one worker object (a build's Session, a batch's Personalizer, the app's warm
renderer), made once by `make_worker` in that process; a call names one of its methods. Workers are
forked from the process that loaded and checked the content, so each starts with the library, the
templates and WeasyPrint already loaded instead of loading them again. With one process, every call runs
here, on `here`, when it is submitted.

A worker that dies (killed, out of memory) fails the calls it had; the next call starts a fresh pool, so a
long-lived pool (the app's) recovers by itself.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

_worker: Any = None  # this process's worker object


def cores() -> int:
    """How many processes to render with by default: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def close_at_exit(worker: Any, close: Callable[[], None]) -> None:
    """Run `close` as a worker process exits (atexit handlers do not run in pool workers)."""
    from multiprocessing.util import Finalize

    Finalize(worker, close, exitpriority=10)


class Pool:
    """Up to `processes` worker processes (default: one per core) running methods of their worker."""

    def __init__(self, make_worker: Callable[[], Any], processes: int | None = None, here: Any = None):
        self.make_worker = make_worker
        self.processes = processes or cores()
        self.in_this_process = self.processes <= 1 or "fork" not in multiprocessing.get_all_start_methods()
        if here is None and self.in_this_process:
            here = make_worker()
        self.here = here  # the calls' worker in this process (None: every call goes to a worker process)
        self._executor: ProcessPoolExecutor | None = None

    def submit(self, method: str, *args) -> Future:
        """worker.<method>(*args) in some worker process (or here, at once, with one process)."""
        if self.in_this_process:
            global _worker
            _worker, future = self.here, Future()
            try:
                future.set_result(getattr(self.here, method)(*args))
            except BaseException as error:  # raised again by future.result(), as from a process
                future.set_exception(error)
            return future
        try:
            return self._pool().submit(_call, method, *args)
        except BrokenProcessPool:  # a worker died since the last call: start afresh
            self._executor = None
            return self._pool().submit(_call, method, *args)

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("fork"),  # inherit what is loaded
                initializer=_start_worker, initargs=(self.make_worker, os.getpid()))
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False


def _start_worker(make_worker: Callable[[], Any], parent: int) -> None:
    global _worker
    _die_with_parent(parent)
    _worker = make_worker()


def _call(method: str, *args):
    return getattr(_worker, method)(*args)


def _die_with_parent(parent: int) -> None:
    """A killed build must not leave workers behind: they would hang forever, holding the output
    folder's lock (inherited across fork). Linux ends them with their parent; elsewhere, best effort."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
