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
