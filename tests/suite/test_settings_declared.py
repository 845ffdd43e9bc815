"""Every setting the code reads is declared in suite.settings and every one read from the
environment is documented in .env.example: a setting read with a `getattr` default elsewhere
is one an operator cannot find, and a typo in it silently falls back to the default."""

import ast
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("suite", "customer_service", "gov_hotline", "video_analytics", "video_ringtone")
ENV_READ = re.compile(r"env_(?:str|bool|int|float|list|path)\(\s*\"([A-Z][A-Z0-9_]+)\"")


def _sources():
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts and "settings" not in path.parts:
                yield path


def _reads(tree: ast.AST) -> tuple[set[str], list[int]]:
    names, getattrs = set(), []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "settings"
            and node.attr.isupper()
        ):
            names.add(node.attr)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == "settings"
        ):
            getattrs.append(node.lineno)
    return names, getattrs


def test_the_code_reads_only_declared_settings_and_never_with_a_fallback_default():
    undeclared, fallbacks = {}, []
    for path in _sources():
        names, getattrs = _reads(ast.parse(path.read_text(encoding="utf-8")))
        where = path.relative_to(ROOT)
        fallbacks += [f"{where}:{line}" for line in getattrs]
        for name in names:
            if not hasattr(settings, name):
                undeclared.setdefault(name, str(where))
    assert not fallbacks, f"getattr(settings, …) with a default: {fallbacks}"
    assert not undeclared, f"read but not declared in suite/settings: {undeclared}"


def test_every_setting_read_from_the_environment_is_in_env_example():
    read = set()
    for path in (ROOT / "suite" / "settings").glob("*.py"):
        read |= set(ENV_READ.findall(path.read_text(encoding="utf-8")))
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert {"VIDEO_ANALYTICS_SECRET_KEY", "VIDEO_RINGTONE_PLATFORM", "TELEPHONY_SILENCE_S"} <= read
    assert read - documented == set()


def test_a_number_setting_that_is_not_a_number_stops_start_up_naming_it(monkeypatch):
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    from suite.settings.env import env_float, env_int

    monkeypatch.setenv("TELEPHONY_SILENCE_S", "0,6")
    with pytest.raises(ImproperlyConfigured, match="TELEPHONY_SILENCE_S must be a number"):
        env_float("TELEPHONY_SILENCE_S", 0.6)
    monkeypatch.setenv("TELEPHONY_SILENCE_S", "0.8")
    assert env_float("TELEPHONY_SILENCE_S", 0.6) == 0.8
    monkeypatch.setenv("TELEPHONY_MAX_CALL_S", "4h")
    with pytest.raises(ImproperlyConfigured, match="TELEPHONY_MAX_CALL_S must be an integer"):
        env_int("TELEPHONY_MAX_CALL_S", 14400)
    monkeypatch.delenv("TELEPHONY_MAX_CALL_S")
    assert env_int("TELEPHONY_MAX_CALL_S", 14400) == 14400
