"""Records what a job publishes on /ws/jobs/ while the real task runs: each test reads the
progress a person would have seen."""

from __future__ import annotations


def record_job_events(monkeypatch) -> list[tuple[str, int, str]]:
    """(status, progress, message) of every job event, in order."""
    from suite.jobs import services

    seen: list[tuple[str, int, str]] = []
    real = services._publish

    def record(job, *, position=None):
        seen.append((job.status, job.progress, job.message))
        real(job, position=position)

    monkeypatch.setattr(services, "_publish", record)
    return seen


def assert_progress_climbs(seen: list[tuple[str, int, str]], *, steps: int) -> None:
    """At least `steps` running reports, never going back, each with a message, then 100."""
    running = [(p, m) for status, p, m in seen if status == "running" and m]
    values = [p for p, _m in running]
    assert len(values) >= steps, seen
    assert values == sorted(values) and values[0] < values[-1] < 100, seen
    assert seen[-1][:2] == ("succeeded", 100), seen
