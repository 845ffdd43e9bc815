from suite.ai import config_cache


class Unreachable:
    def get(self, *args, **kwargs):
        raise TimeoutError("Timeout reading from socket")


def test_an_unreachable_cache_keeps_the_process_configuration(monkeypatch):
    config_cache.invalidate()
    assert config_cache.memoize(("probe",), lambda: "from the database") == "from the database"
    monkeypatch.setattr(config_cache, "cache", Unreachable())
    monkeypatch.setitem(config_cache._state, "checked", 0.0)
    # Raised TimeoutError before: every model call failed while Redis was away.
    assert config_cache.memoize(("probe",), lambda: "recomputed") == "from the database"
    assert config_cache.memoize(("other",), lambda: "computed") == "computed"
    monkeypatch.undo()
    config_cache.invalidate()
