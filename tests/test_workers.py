"""The build's one pool of worker processes (build/workers.py): tasks run, failures and
crashes end the build cleanly, and nothing is left running."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time

import pytest

from conftest import essay, run, snapshot
from reader.build.workers import Pool, TaskFailed, WorkerCrashed
from reader.errors import CourseError


def double(x: int) -> int:
    return 2 * x


def course_problem() -> None:
    raise CourseError("the course's fault")


def bug() -> None:
    raise ZeroDivisionError("a bug")


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def hang() -> None:
    while True:
        time.sleep(1)


def pid() -> int:
    return os.getpid()


def test_tasks_run_in_order_and_in_other_processes():
    with Pool(2) as pool:
        assert pool.map(double, [(n,) for n in range(50)]) == [2 * n for n in range(50)]
        assert pool.submit(pid).result() != os.getpid()
    assert multiprocessing.active_children() == []


def test_lower_priority_numbers_go_first():
    with Pool(1) as pool:
        gate = pool.submit(time.sleep, 0.3)          # occupies the only worker
        late = pool.submit(pid, priority=5)
        early = pool.submit(time.monotonic, priority=0)
        gate.result()
        assert early.result() < time.monotonic()
        late.result()
        assert early.done()


def test_a_course_error_comes_back_as_it_is_and_a_bug_as_a_bug():
    with Pool(1) as pool:
        with pytest.raises(CourseError, match="the course's fault"):
            pool.submit(course_problem).result()
        with pytest.raises(TaskFailed, match="ZeroDivisionError"):
            pool.submit(bug).result()
        assert pool.submit(double, 21).result() == 42       # the pool still works


def test_a_crashed_worker_fails_its_task_and_is_replaced():
    with Pool(1) as pool:
        with pytest.raises(WorkerCrashed):
            pool.submit(die).result(timeout=60)
        assert pool.submit(double, 4).result(timeout=60) == 8


def test_a_stuck_worker_is_stopped_when_the_pool_closes():
    started = time.monotonic()
    pool = Pool(2)
    pool.submit(hang)
    pool.submit(double, 1).result(timeout=60)
    pool.close()
    assert time.monotonic() - started < 30
    assert multiprocessing.active_children() == []


def test_a_pool_in_a_threaded_host_works():
    """Workers come from the fork server, never from this (threaded) process."""
    stop = threading.Event()
    helper = threading.Thread(target=stop.wait)
    helper.start()
    try:
        with Pool(2) as pool:
            assert pool.map(double, [(1,), (2,)]) == [2, 4]
    finally:
        stop.set()
        helper.join()


def test_a_build_that_fails_at_once_leaves_nothing_running(course):
    course.write("s/a.md", essay("First essay", "The first text."))
    course.manifest({"title": "Layout", "contents": [{"essay": "s/a.md"}]})
    assert run("build", str(course.root)).exit_code == 0
    before = snapshot(course.dist)
    course.write("templates/extra.css", '@import url("http://127.0.0.1:9/x.css");\n')
    result = run("build", str(course.root))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "extra.css" in result.output and "127.0.0.1" in result.output
    assert snapshot(course.dist) == before
    assert multiprocessing.active_children() == []
