"""Heavy engines run in model processes (suite.ai.model_processes), through the real loader."""

import os

import numpy as np
import pytest

from suite.ai import gateway, model_processes
from suite.ai.config_cache import invalidate
from suite.ai.errors import InvalidInput
from suite.ai.loader import unload_all
from suite.ai.pipeline import Caller
from suite.ai.types import AudioClip
from tests.ai import process_engines  # noqa: F401  (registers the engines here)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pid_models(settings, monkeypatch):
    from suite.ai.backends import ENGINE_MODULES

    for engine in ("test-pid", "test-pid-light"):
        monkeypatch.setitem(ENGINE_MODULES, engine, "tests.ai.process_engines")
    settings.AI_DEFAULT_MODELS = {
        **settings.AI_DEFAULT_MODELS,
        "transcribe": [
            {"name": "pid", "engine": "test-pid"},
            {"name": "pid-light", "engine": "test-pid-light"},
        ],
    }
    settings.AI_MODEL_PROCESSES = {"transcribe": 1}
    invalidate()
    unload_all()
    yield
    unload_all()
    invalidate()


def clip(seconds: float) -> AudioClip:
    return AudioClip(np.full(int(16000 * seconds), 0.1, dtype=np.float32), 16000)


def pids(served) -> tuple[int, int]:
    ran, loaded = served.value.text.split(":")
    return int(ran), int(loaded)


def test_a_heavy_engine_loads_and_runs_in_its_model_process(tenant_a, pid_models):
    first = gateway.transcribe(Caller(tenant=tenant_a), clip(1.0))
    second = gateway.transcribe(Caller(tenant=tenant_a), clip(1.0))
    ran, loaded = pids(first)
    assert ran == loaded != os.getpid()
    assert pids(second) == (ran, loaded)  # loaded once, in one process
    assert first.info.model == "pid" and not first.info.fallback


def test_a_model_process_that_dies_fails_over_and_the_next_call_gets_a_new_one(
    tenant_a, pid_models
):
    before, _ = pids(gateway.transcribe(Caller(tenant=tenant_a), clip(1.0)))
    crashed = gateway.transcribe(Caller(tenant=tenant_a), clip(0.5))
    assert crashed.info.model == "pid-light" and crashed.info.fallback
    assert pids(crashed)[0] == os.getpid()  # the light fallback ran here
    after, _ = pids(gateway.transcribe(Caller(tenant=tenant_a), clip(1.0)))
    assert after not in (before, os.getpid())


def test_a_refusal_in_the_model_process_reaches_the_caller_as_the_same_error(tenant_a, pid_models):
    with pytest.raises(InvalidInput) as refused:
        gateway.transcribe(Caller(tenant=tenant_a), clip(0.25))
    assert refused.value.param == "file" and "too short" in refused.value.message


def test_a_celery_worker_runs_heavy_engines_itself(tenant_a, pid_models, monkeypatch):
    monkeypatch.setattr(model_processes, "_in_process", True)
    ran, loaded = pids(gateway.transcribe(Caller(tenant=tenant_a), clip(1.0)))
    assert ran == loaded == os.getpid()
