"""Products declare periodic tasks on their AppConfig; the suite puts them on beat's schedule."""

from types import SimpleNamespace

from celery import Celery

import suite.products
from suite.celery import app, collect_periodic_tasks


def test_declared_periodic_tasks_join_the_beat_schedule(monkeypatch):
    probe = Celery("probe")
    probe.conf.beat_schedule = {"kept": {"task": "suite.kept", "schedule": 60}}
    products = [
        SimpleNamespace(periodic_tasks={"p-one": {"task": "p.one", "schedule": 30}}),
        SimpleNamespace(),  # a product without periodic tasks
        SimpleNamespace(periodic_tasks={"p-two": {"task": "p.two", "schedule": 3600}}),
    ]
    monkeypatch.setattr(suite.products, "periodic_task_apps", lambda: products)

    declared = collect_periodic_tasks(probe)

    assert set(declared) == {"p-one", "p-two"}
    assert probe.conf.beat_schedule == {
        "kept": {"task": "suite.kept", "schedule": 60},
        "p-one": {"task": "p.one", "schedule": 30},
        "p-two": {"task": "p.two", "schedule": 3600},
    }
    # Collecting again (a second finalize) changes nothing.
    collect_periodic_tasks(probe)
    assert len(probe.conf.beat_schedule) == 3


def test_the_suite_app_collects_them_when_finalized():
    app.loader.import_default_modules()  # what a worker or beat does: autodiscovers tasks
    app.finalize()
    declared = 0
    for config in suite.products.periodic_task_apps():
        for name, entry in getattr(config, "periodic_tasks", {}).items():
            assert app.conf.beat_schedule[name]["task"] == entry["task"]
            assert entry["task"] in app.tasks, f"{name} names no registered task"
            declared += 1
    assert declared >= 4
    assert app.conf.beat_schedule["jobs-sweep-lost"]["task"] == "suite.jobs.sweep_lost"
