import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_every_part(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "channel_layer", "models"}
    for part in ("database", "cache", "broker", "channel_layer"):
        assert body["checks"][part]["status"] == "ok", body["checks"][part]


def test_healthz_is_503_and_names_a_missing_model(client, settings, tmp_path):
    settings.AI_MODEL_PATHS = {"whisper-base": str(tmp_path / "nope"), "ok-model": str(tmp_path)}
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["models.whisper-base"]
    assert body["checks"]["models"]["ok-model"] == "ok"


def test_healthz_is_503_and_names_a_broken_cache(client, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "set", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]
    assert "cache down" in response.json()["checks"]["cache"]["error"]
