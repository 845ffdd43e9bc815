from pathlib import Path

import polib
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "suite" / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_message_has_a_chinese_translation():
    po = polib.pofile(str(LOCALE / "django.po"))
    missing = [entry.msgid for entry in po.untranslated_entries() + po.fuzzy_entries()]
    assert not missing, f"Translate these (then compilemessages): {missing}"


def test_compiled_catalogue_matches_the_source():
    po = polib.pofile(str(LOCALE / "django.po"))
    mo = polib.mofile(str(LOCALE / "django.mo"))
    source = {(e.msgctxt, e.msgid): e.msgstr for e in po.translated_entries()}
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo if e.msgid}
    assert compiled == source, "django.mo is stale: run manage.py compilemessages"
