"""Every audit action, job kind and engine the code uses has a label, and the portal shows the
labels (zh-hans by default, English when the user picks it), never the codes."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from suite.accounts.services import api_key_create, api_key_revoke
from suite.ai.backends import ENGINE_MODULES
from suite.ai.capabilities import Capability
from suite.ai.engines import ENGINE_LABELS
from suite.audit.labels import ACTOR_LABELS, AUDIT_ACTION_LABELS, OBJECT_TYPE_LABELS
from suite.audit.services import audit_record
from suite.jobs.kinds import JOB_KIND_LABELS
from suite.jobs.models import Job
from tests.labels import visible_text

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("suite", "customer_service", "video_ringtone", "video_analytics", "gov_hotline")
# A parameter of one of these types stands for each of its values ("ai.{capability}").
CHOICES = {"Capability": Capability.values}


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), filename=str(path))


def _name(call: ast.Call) -> str | None:
    return getattr(call.func, "id", None) or getattr(call.func, "attr", None)


def _functions(tree):
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _params(function) -> list[ast.arg]:
    a = function.args
    return a.posonlyargs + a.args + a.kwonlyargs


def _wrappers(modules, base: str, keyword: str) -> set[str]:
    """`base` and every function that passes its own parameter (or **kwargs) on to it as
    `keyword`: _audit(**kwargs), _audit_failed_sign_in(action=action)."""
    names = {base}
    while True:
        found = set(names)
        for _path, tree in modules:
            for function in _functions(tree):
                params = {p.arg for p in _params(function)}
                for call in ast.walk(function):
                    if not isinstance(call, ast.Call) or _name(call) not in names:
                        continue
                    given = {k.arg: k.value for k in call.keywords}
                    value = given.get(keyword)
                    if (isinstance(value, ast.Name) and value.id in params) or (
                        keyword not in given and None in given
                    ):
                        found.add(function.name)
        if found == names:
            return names
        names = found


def _values(node, tree, function) -> list[str] | None:
    """The strings an expression can be, or None when this test cannot tell."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        a, b = _values(node.body, tree, function), _values(node.orelse, tree, function)
        return a + b if a is not None and b is not None else None
    if isinstance(node, ast.Name):  # a module constant: TRAIN_KIND = "gov_hotline.train"
        for statement in tree.body:
            if (
                isinstance(statement, ast.Assign)
                and any(getattr(t, "id", None) == node.id for t in statement.targets)
                and isinstance(statement.value, ast.Constant)
            ):
                return [statement.value.value]
            if isinstance(statement, ast.ImportFrom) and statement.level == 0:
                for alias in statement.names:
                    if (alias.asname or alias.name) == node.id:
                        source = ROOT / (statement.module.replace(".", "/") + ".py")
                        if source.exists():
                            other = ast.parse(source.read_text())
                            return _values(ast.Name(id=alias.name), other, None)
        return None
    if isinstance(node, ast.JoinedStr):  # f"video_ringtone.{action}", f"ai.{capability}"
        results = [""]
        for part in node.values:
            if isinstance(part, ast.Constant):
                options = [part.value]
            elif isinstance(part.value, ast.Name) and function is not None:
                options = _argument_values(part.value.id, tree, function)
            else:
                options = None
            if options is None:
                return None
            results = [r + o for r in results for o in options]
        return results
    return None


def _argument_values(param: str, tree, function) -> list[str] | None:
    """What a parameter of `function` can be: its annotated choices, or what its callers in the
    same module pass."""
    params = _params(function)
    arg = next((p for p in params if p.arg == param), None)
    if arg is None:
        return None
    annotation = getattr(arg.annotation, "id", None)
    if annotation in CHOICES:
        return list(CHOICES[annotation])
    index = [p.arg for p in function.args.posonlyargs + function.args.args].index(param)
    values = []
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and _name(call) == function.name:
            given = {k.arg: k.value for k in call.keywords}
            node = given.get(param) or (call.args[index] if index < len(call.args) else None)
            found = _values(node, tree, None) if node is not None else None
            if found is None:
                return None
            values += found
    return values or None


def _used(base: str, keyword: str) -> tuple[set[str], list[str]]:
    """(every value the code passes as `keyword` to `base` or its wrappers, unreadable calls)."""
    modules = list(_modules())
    wrappers = _wrappers(modules, base, keyword)
    used, unreadable = set(), []
    for path, tree in modules:
        enclosing = {}
        for function in _functions(tree):
            for node in ast.walk(function):
                enclosing.setdefault(node, function)
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or _name(call) not in wrappers:
                continue
            function = enclosing.get(call)
            value = next((k.value for k in call.keywords if k.arg == keyword), None)
            if value is None:
                continue
            if (
                isinstance(value, ast.Name)
                and function is not None
                and function.name in wrappers
                and value.id in {p.arg for p in _params(function)}
            ):
                continue  # a wrapper passing its own parameter on: its callers are read
            found = _values(value, tree, function)
            if found is None:
                unreadable.append(f"{path.relative_to(ROOT)}:{call.lineno} {ast.unparse(value)}")
            else:
                used |= set(found)
    return used, unreadable


def test_every_audit_action_the_code_records_has_a_label():
    # audit_record wraps audit_entry: both kinds of caller are read
    used, unreadable = _used("audit_entry", "action")
    assert not unreadable, f"Teach this test to read these actions: {unreadable}"
    # the scan finds the ones it must (a literal, a wrapper's, an f-string's, a conditional's)
    assert {"auth.login", "auth.login_failed", "ai.chat", "video_ringtone.reject"} <= used
    missing = sorted(used - AUDIT_ACTION_LABELS.keys())
    assert not missing, f"Add these audit actions to suite/audit/labels.py: {missing}"


def test_every_job_kind_the_code_enqueues_has_a_label():
    used, unreadable = _used("job_enqueue", "kind")
    assert not unreadable, f"Teach this test to read these job kinds: {unreadable}"
    assert {"video_ringtone.checks", "video_ringtone.provision", "gov_hotline.train"} <= used
    missing = sorted(used - JOB_KIND_LABELS.keys())
    assert not missing, f"Add these job kinds to suite/jobs/kinds.py: {missing}"


def test_every_engine_has_a_label():
    assert not set(ENGINE_MODULES) - ENGINE_LABELS.keys()


def test_every_label_reads_in_chinese():
    def has_cjk(text):
        return any("\u4e00" <= ch <= "\u9fff" for ch in text)

    labels = {
        **AUDIT_ACTION_LABELS,
        **JOB_KIND_LABELS,
        **ENGINE_LABELS,
        **{f"object {k}": v for k, v in OBJECT_TYPE_LABELS.items()},
        **{f"actor {k}": v for k, v in ACTOR_LABELS.items()},
    }
    with translation.override("zh-hans"):
        untranslated = {
            code: str(label) for code, label in labels.items() if not has_cjk(str(label))
        }
    # Webhook is a word Chinese pages keep
    untranslated = {c: t for c, t in untranslated.items() if t != "Webhook"}
    assert not untranslated, untranslated


@pytest.mark.parametrize(
    ("seconds", "zh", "en"),
    [(382, "6分22秒", "6 min 22 s"), (45.4, "45秒", "45 s"), (3900, "1小时5分", "1 h 5 min")],
)
def test_duration_filter_reads_minutes_and_seconds(seconds, zh, en):
    template = Template("{% load suite_labels %}{{ value|duration }}")
    for language, expected in (("zh-hans", zh), ("en", en)):
        with translation.override(language):
            assert template.render(Context({"value": seconds})) == expected
    assert template.render(Context({"value": None})) == ""


def _get(client, url, language="zh-hans"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200
    return visible_text(response.content.decode())


def test_audit_log_shows_actions_and_objects_by_their_labels(client_a, tenant_a, admin_a):
    key = api_key_create(tenant=tenant_a, name="crm", scopes=["maas"]).record
    api_key_revoke(key=key)
    audit_record(action="auth.login", tenant=tenant_a, actor=admin_a)
    text = _get(client_a, reverse("portal:audit_log"))
    assert "登录" in text and "吊销 API 密钥" in text
    assert f"API 密钥 #{key.pk}" in text
    assert "系统" in text  # the revocation had no signed-in actor
    for code in ("auth.login", "api_key.revoked", "accounts.ApiKey"):
        assert code not in text
    english = _get(client_a, reverse("portal:audit_log"), language="en")
    assert "API key revoked" in english and f"API key #{key.pk}" in english
    assert "api_key.revoked" not in english


def test_audit_log_names_actors_that_are_not_users(client_a, tenant_a):
    key = api_key_create(tenant=tenant_a, name="crm", scopes=["maas"]).record
    audit_record(action="ai.chat", tenant=tenant_a, actor_label=f"api-key {key.prefix}…")
    audit_record(action="customer_service.ticket_create", tenant=tenant_a, actor_label="assistant")
    breached = "customer_service.ticket_sla_breached"
    audit_record(action=breached, tenant=tenant_a, actor_label="sla-check")
    text = _get(client_a, reverse("portal:audit_log"))
    assert f"API 密钥 {key.prefix}…" in text
    assert "智能助手" in text and "时限检查" in text
    for code in ("api-key", "assistant", "sla-check"):
        assert code not in text


def test_audit_log_filters_by_a_labelled_action(client_a, tenant_a, admin_a):
    audit_record(action="auth.login", tenant=tenant_a, actor=admin_a)
    audit_record(action="auth.logout", tenant=tenant_a, actor=admin_a)
    text = _get(client_a, reverse("portal:audit_log") + "?action=auth.logout")
    table = text.split("IP", 1)[1]
    assert "退出登录" in table and "登录 " not in table.replace("退出登录", "")


def test_api_keys_show_scope_labels(client_a, tenant_a):
    api_key_create(tenant=tenant_a, name="crm", scopes=["maas", "ringtone"])
    html = client_a.get(reverse("portal:api_keys")).content.decode()
    row = html.split('data-key-prefix="', 1)[1].split("</tr>", 1)[0]
    text = visible_text("<tr " + row)
    assert "视频彩铃" in text and "模型" in text
    assert "ringtone" not in text and "maas" not in text


def test_jobs_show_their_kind_by_its_label(client_a, tenant_a):
    Job.objects.create(tenant=tenant_a, kind="video_ringtone.checks", idempotency_key="k1")
    text = _get(client_a, reverse("portal:jobs"))
    assert "彩铃自动检测" in text
    assert "video_ringtone.checks" not in text
