"""Local worker processes for per-document work and staging (--workers N).

Prefect's ProcessPoolTaskRunner spawns every worker afresh, and each re-imports Prefect and all
libraries before its first batch — seconds per worker, more than the batches themselves take on
a small corpus. Here batch tasks run in threads that hand each batch to a pool of processes
forked from a server that has already imported the per-document modules, so a worker starts in
milliseconds; the tasks stay one per batch, as Prefect sees them. Staging hands its pieces to
the same processes.
"""
from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import cache
from typing import Callable, TypeVar

PRELOADED_MODULES = ["flows.stage"]  # imports everything per-document work needs

Result = TypeVar("Result")
# Without workers, calls run here one at a time: threads would only take turns holding the GIL,
# and a batch's file writes would wait for it behind the other batch's Python.
_HERE = threading.Lock()


@cache
def _pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED_MODULES)
    return ProcessPoolExecutor(workers, mp_context=context)


def start(workers: int) -> None:
    """Start the worker processes now, in the background: the server's imports then overlap the
    flow's reading of its sources instead of delaying the first batch (or the flow: starting the
    first worker waits for them)."""
    if workers > 1:
        threading.Thread(target=_start_processes, args=(_pool(workers), workers), daemon=True).start()


def _start_processes(pool: ProcessPoolExecutor, workers: int) -> None:
    for _ in range(workers):
        pool.submit(int)


def _forget_broken_pool(future: Future) -> None:
    if not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
        _pool.cache_clear()  # a worker died: the next run starts a fresh pool


def submit(workers: int, function: Callable[..., Result], *args) -> Future:
    """function(*args) in one of `workers` local processes, as a future; when workers is 1,
    here and now (the future is done on return). The function must be importable by name; its
    arguments and result travel pickled."""
    if workers <= 1:
        done: Future = Future()
        with _HERE:
            done.set_result(function(*args))
        return done
    try:
        future = _pool(workers).submit(function, *args)
    except BrokenProcessPool:
        _pool.cache_clear()
        raise
    future.add_done_callback(_forget_broken_pool)
    return future


def run_in_worker(workers: int, function: Callable[..., Result], *args) -> Result:
    """function(*args) in one of `workers` local processes (here, when workers is 1)."""
    return submit(workers, function, *args).result()
