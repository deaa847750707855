"""Supervision: a background task that fails is restarted with back-off, said loudly once, and seen recovering."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from bot.health import Health, TaskState, supervise


async def test_a_failing_task_is_restarted_logged_once_per_failure_and_seen_recovering(
    caplog: pytest.LogCaptureFixture,
) -> None:
    health = Health()
    status = health.task("delivery worker")
    runs = 0
    recovered = asyncio.Event()

    async def work() -> None:
        nonlocal runs
        runs += 1
        if runs <= 3:
            raise RuntimeError("disk image is malformed")
        if runs == 4:
            raise ValueError("something else")
        status.ok()
        recovered.set()
        await asyncio.Event().wait()

    caplog.set_level(logging.INFO, logger="bot.health")
    task = asyncio.create_task(supervise(status, work, first_delay=0.01))
    try:
        async with asyncio.timeout(10):
            await recovered.wait()
        now = health.snapshot()[0]
        assert (now.name, now.state, now.failures, now.restarts, now.problem) == (
            "delivery worker",
            TaskState.RUNNING,
            0,
            4,
            None,
        )
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert health.snapshot()[0].state == TaskState.STOPPED
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.exc_info[1].args[0] for r in errors if r.exc_info and r.exc_info[1]] == [
        "disk image is malformed",
        "something else",
    ]  # each distinct failure once, with its traceback
    again = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert again == [
        "delivery worker failed again (RuntimeError: disk image is malformed, 2 in a row); restarting in 0.02 s",
        "delivery worker failed again (RuntimeError: disk image is malformed, 3 in a row); restarting in 0.04 s",
    ]
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert infos == ["delivery worker recovered (it was restarting: ValueError: something else)"]


async def test_a_task_that_returns_is_restarted_and_one_that_runs_well_is_called_healthy() -> None:
    health = Health()
    status = health.task("feed poller")
    runs = 0

    async def work() -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            return  # a run that ends by itself has stopped working all the same
        await asyncio.Event().wait()

    task = asyncio.create_task(supervise(status, work, first_delay=0.01, healthy_after=0.2))
    try:
        async with asyncio.timeout(10):
            while status.current.state != TaskState.RUNNING:
                await asyncio.sleep(0.01)
        assert status.current.restarts == 1 and status.current.failures == 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_trouble_is_said_once_per_problem_and_recovery_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.health")
    health = Health()
    status = health.task("inbox watcher")
    status.ok()
    for _ in range(3):
        status.trouble("1 file waiting to be stored: database is locked")
    status.trouble("1 file waiting to be stored: database or disk is full")
    assert health.get("inbox watcher") == status.current
    assert status.current.state == TaskState.RETRYING and not status.current.healthy
    status.ok()
    status.ok()
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "inbox watcher: 1 file waiting to be stored: database is locked; retrying"),
        ("WARNING", "inbox watcher: 1 file waiting to be stored: database or disk is full; retrying"),
        ("INFO", "inbox watcher recovered (it was retrying: 1 file waiting to be stored: database or disk is full)"),
    ]
    assert status.current.healthy
