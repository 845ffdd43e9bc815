from pathlib import Path

import polib
import pytest
from django.conf import settings

# The suite's catalogue plus each product's own (Django finds an installed app's locale/).
CATALOGUES = sorted(Path(settings.BASE_DIR).glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))


def test_the_suite_catalogue_is_among_those_checked():
    assert Path(settings.BASE_DIR) / "suite/locale/zh_Hans/LC_MESSAGES/django.po" in CATALOGUES


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-5])
def test_every_message_has_a_chinese_translation(path):
    po = polib.pofile(str(path))
    missing = [entry.msgid for entry in po.untranslated_entries() + po.fuzzy_entries()]
    assert not missing, f"Translate these in {path} (then compilemessages): {missing}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-5])
def test_compiled_catalogue_matches_the_source(path):
    po = polib.pofile(str(path))
    mo = polib.mofile(str(path.with_suffix(".mo")))
    source = {(e.msgctxt, e.msgid): e.msgstr for e in po.translated_entries()}
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo if e.msgid}
    assert compiled == source, f"{path.with_suffix('.mo')} is stale: run compilemessages"


def _translated(path):
    """(msgctxt, msgid) -> msgstr of a catalogue's translated entries (not fuzzy nor obsolete)."""
    return {
        (e.msgctxt, e.msgid): e.msgstr
        for e in polib.pofile(str(path)).translated_entries()
        if not e.msgid_plural
    }


def test_no_message_is_translated_two_ways_by_two_catalogues():
    # Django merges every catalogue into one: for a message two apps translate, the first app
    # (the suite's LOCALE_PATHS, then INSTALLED_APPS order) wins on every page, so a product whose
    # meaning differs shows the other's word ("Order" 顺序 on a work order). Same meaning: the same
    # words in both; another meaning: a context (pgettext_lazy / {% translate … context … %}).
    seen = {}
    for path in CATALOGUES:
        for key, msgstr in _translated(path).items():
            seen.setdefault(key, {})[path.parts[-5]] = msgstr
    collisions = {
        (f"[{ctxt}] " if ctxt else "") + msgid: apps
        for (ctxt, msgid), apps in seen.items()
        if len(set(apps.values())) > 1
    }
    assert not collisions, "Translated differently by two catalogues: " + "; ".join(
        f"{msgid!r}: " + ", ".join(f"{app} {s}" for app, s in apps.items())
        for msgid, apps in sorted(collisions.items())
    )


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.parts[-5])
def test_each_message_reaches_the_page_as_its_own_catalogue_translates_it(path):
    # What a page gets is the merged catalogue, Django's and third-party apps' included
    # (rest_framework's "Key" 键, "Search" " 搜索"): each message must come out as written here.
    from django.utils import translation

    with translation.override("zh-hans"):
        wrong = {
            (ctxt, msgid): (msgstr, got)
            for (ctxt, msgid), msgstr in _translated(path).items()
            if (got := translation.pgettext(ctxt, msgid) if ctxt else translation.gettext(msgid))
            != msgstr
        }
    assert not wrong, (
        f"Another catalogue wins over {path}: (context, message): (ours, shown) {wrong}"
    )


def test_labels_that_share_english_words_keep_their_own_meaning():
    from django.utils import translation

    from customer_service.models import Channel as ServiceChannel
    from gov_hotline.forms import VisitForm
    from gov_hotline.models import ExtensionStatus
    from suite.ai.capabilities import Capability, Unit
    from video_analytics.forms import RuleForm
    from video_analytics.models import AnalysisStatus, CameraStatus, EventStatus
    from video_ringtone.forms import EmployeeForm, ThemeForm
    from video_ringtone.models import AssignmentState

    with translation.override("zh-hans"):
        shown = {
            "chat channel": str(ServiceChannel.CHAT.label),
            "chat capability": str(Capability.CHAT.label),
            "extension approved": str(ExtensionStatus.APPROVED.label),
            "extension pending": str(ExtensionStatus.PENDING.label),
            "visit comment": str(VisitForm().fields["comment"].label),
            "image count": str(Unit.IMAGES.label),
            "weekdays": str(RuleForm.base_fields["days"].label),
            "analysis running": str(AnalysisStatus.RUNNING.label),
            "camera active": str(CameraStatus.ACTIVE.label),
            "new event": str(EventStatus.NEW.label),
            "employee name": str(EmployeeForm().fields["name"].label),
            "theme name": str(ThemeForm().fields["label"].label),
            "theme key": str(ThemeForm().fields["key"].label),
            "ringtone active": str(AssignmentState.ACTIVE.label),
        }
    assert shown == {
        "chat channel": "在线文字",
        "chat capability": "对话",
        "extension approved": "已批准",
        "extension pending": "待审批",
        "visit comment": "意见",
        "image count": "图片数",
        "weekdays": "星期",
        "analysis running": "分析中",
        "camera active": "启用",
        "new event": "新事件",
        "employee name": "姓名",
        "theme name": "名称",
        "theme key": "标识",
        "ringtone active": "已生效",
    }
