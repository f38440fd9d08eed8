"""Page runs are admitted a few at a time, and a stuck run never blocks the others for good."""
import threading
import time

import pytest

from lib.core.run_slots import RunSlots


def run_together(slots: RunSlots, count: int, work_seconds: float) -> tuple[int, list[bool]]:
    """Start ``count`` runs at once; the most that were inside at the same moment, and whether
    each got a slot."""
    inside, most, got = 0, 0, []
    lock = threading.Lock()
    start = threading.Barrier(count)

    def run() -> None:
        nonlocal inside, most
        start.wait()
        with slots.slot() as acquired:
            with lock:
                inside += 1
                most = max(most, inside)
                got.append(acquired)
            time.sleep(work_seconds)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return most, got


def test_no_more_runs_compute_at_once_than_there_are_slots():
    most, got = run_together(RunSlots(slots=2, wait_seconds=5), count=8, work_seconds=0.05)
    assert most == 2 and got == [True] * 8


def test_a_run_waiting_too_long_goes_ahead_without_a_slot():
    slots = RunSlots(slots=1, wait_seconds=0.05)
    with slots.slot() as first:  # a run that never finishes in time
        began = time.perf_counter()
        with slots.slot() as second:
            waited = time.perf_counter() - began
    assert first is True and second is False and 0.04 <= waited < 1


def test_a_slot_is_given_back_when_the_run_raises():
    slots = RunSlots(slots=1, wait_seconds=0.05)
    with pytest.raises(RuntimeError):
        with slots.slot():
            raise RuntimeError("st.rerun and st.stop leave a run by raising")
    with slots.slot() as acquired:
        assert acquired is True


def test_going_ahead_without_a_slot_does_not_free_one_that_is_held():
    slots = RunSlots(slots=1, wait_seconds=0.01)
    with slots.slot():
        with slots.slot() as second:
            assert second is False
        with slots.slot() as third:  # still held by the first: a wrong release would admit it
            assert third is False
