"""Writers racing from separate processes, so SQLite's locks (not Python's) decide who wins.

Each job runs in its own spawned interpreter and waits at one barrier, so all start together; each
puts one outcome on the queue, which the test asserts on.
"""
from __future__ import annotations

import multiprocessing
from collections.abc import Callable

WORKERS = 8


def race_jobs(jobs: list[tuple[Callable, tuple]]) -> list:
    """Run each (target, args) at once; ``target(*args, start, results)`` must put one outcome."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(len(jobs)), context.Queue()
    workers = [context.Process(target=target, args=(*args, start, results))
               for target, args in jobs]
    for worker in workers:
        worker.start()
    try:
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(timeout=10)
            assert worker.exitcode == 0
    finally:  # a failed worker must not leave the others hanging the whole test run
        for worker in workers:
            if worker.is_alive():
                worker.kill()
    return outcomes


def race(target: Callable, args_for: Callable[[int], tuple], workers: int = WORKERS) -> list:
    """``workers`` copies of ``target``, the n-th given ``args_for(n)``."""
    return race_jobs([(target, args_for(n)) for n in range(workers)])
