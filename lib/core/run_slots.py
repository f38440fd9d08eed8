"""Admission for page runs: only a few scripts compute at once in one server process.

Streamlit starts a thread for every script run and lets them all run together. Python executes
one thread at a time, so 400 people scanning the gate's QR code at once gain nothing from
running together: their threads contend for the interpreter and for Streamlit's own locks, and
the whole burst took 22-27 s (make bench, 400 sessions on /report?b=1-1, 2 cores). Letting a
few runs compute while the others queue finished the same burst in 8 s. A run that waits longer
than WAIT_SECONDS goes ahead anyway: slower is better than stuck behind a run that never ends.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SLOTS = max(2, os.cpu_count() or 2)
WAIT_SECONDS = 10.0


class RunSlots:
    def __init__(self, slots: int = SLOTS, wait_seconds: float = WAIT_SECONDS):
        self._semaphore = threading.BoundedSemaphore(slots)
        self.wait_seconds = wait_seconds

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """Hold a slot for the block; yields False when it went ahead without one."""
        acquired = self._semaphore.acquire(timeout=self.wait_seconds)
        try:
            yield acquired
        finally:
            if acquired:
                self._semaphore.release()


PAGE_RUNS = RunSlots()  # one per server process, shared by every session's script thread
