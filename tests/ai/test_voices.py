"""Which voice speaks: the caller's choice, else the tenant's default voice for the language,
chosen on the portal and inherited down the tenant tree; Mandarin is never left to espeak-ng."""

import numpy as np
import pytest
from django.urls import reverse

from suite.ai import gateway, services, voices
from suite.ai.errors import BackendUnavailable
from suite.ai.metrics import cer
from suite.ai.models import AiModel, VoiceDefault
from suite.audit.models import AuditEntry
from tests.cross_tenant import covers

pytestmark = pytest.mark.django_db


def test_without_a_choice_mandarin_gets_the_native_kokoro_voice(tenant_a):
    who = voices.speaker(tenant_a, "您好", model=None, voice="default", language=None)
    assert (who.model, who.voice, who.language) == ("kokoro-82m", "zf_xiaobei", "zh")
    english = voices.speaker(tenant_a, "Thank you.", model=None, voice=None, language=None)
    assert (english.voice, english.language) == ("af_heart", "en")
    cantonese = voices.speaker(
        tenant_a, "你好", model=None, voice=None, language=None, dialect="cantonese"
    )
    assert (cantonese.model, cantonese.voice) == ("espeak-ng", "yue")


def test_a_named_voice_or_model_is_used_as_asked(tenant_a):
    named = voices.speaker(tenant_a, "您好", model=None, voice="zm_yunxi", language=None)
    assert (named.model, named.voice) == (None, "zm_yunxi")
    model = voices.speaker(tenant_a, "您好", model="espeak-ng", voice=None, language="yue")
    assert (model.model, model.voice) == ("espeak-ng", None)


def test_a_city_inherits_its_provinces_choice_and_can_override_it(tenant_a):
    province = tenant_a.parent
    services.voice_default_set(
        tenant=province, language="zh", model="kokoro-82m", voice="zm_yunyang"
    )
    assert voices.default_voice(tenant_a, "zh") == ("kokoro-82m", "zm_yunyang")
    services.voice_default_set(
        tenant=tenant_a, language="zh", model="kokoro-82m", voice="zf_xiaoyi"
    )
    assert voices.default_voice(tenant_a, "zh") == ("kokoro-82m", "zf_xiaoyi")
    assert voices.default_voice(province, "zh") == ("kokoro-82m", "zm_yunyang")
    services.voice_default_set(tenant=tenant_a, language="zh", model="", voice="")
    assert voices.default_voice(tenant_a, "zh") == ("kokoro-82m", "zm_yunyang")
    assert list(
        AuditEntry.objects.filter(action="ai_voice.updated")
        .order_by("pk")
        .values_list("data__voice", flat=True)
    ) == ["zm_yunyang", "zf_xiaoyi", ""]


def test_a_voice_the_model_does_not_have_is_refused(tenant_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="no voice"):
        services.voice_default_set(tenant=tenant_a, language="zh", model="espeak-ng", voice="zh")
    with pytest.raises(ValidationError, match="no voice"):
        services.voice_default_set(
            tenant=tenant_a, language="zh", model="kokoro-82m", voice="zf_xiaoni"
        )
    assert not VoiceDefault.objects.exists()


def test_a_default_whose_model_the_tenant_dropped_falls_back_to_its_own_list(tenant_a):
    services.voice_default_set(tenant=tenant_a, language="zh", model="kokoro-82m", voice="zm_yunxi")
    AiModel.objects.create(tenant=tenant_a, name="tone", capability="synthesize", engine="kokoro")
    who = voices.speaker(tenant_a, "您好", model=None, voice=None, language=None)
    assert (who.model, who.voice) == (None, None)


def test_espeak_ng_never_speaks_mandarin_and_says_so(tenant_a):
    caller = gateway.Caller(tenant=tenant_a)
    with pytest.raises(BackendUnavailable, match=r"Mandarin|普通话"):
        gateway.synthesize(caller, "您好，欢迎致电。", model="espeak-ng", language="zh")
    clip = gateway.synthesize(caller, "你好，歡迎致電。", model="espeak-ng", language="yue").value
    assert clip.duration_s > 0.5


@covers("ai:voices")
def test_the_voices_page_sets_the_tenants_own_default_and_shows_no_other_tenant(
    client_a, tenant_a, tenant_b
):
    services.voice_default_set(
        tenant=tenant_b, language="zh", model="kokoro-82m", voice="zm_yunjian"
    )
    page = client_a.get(reverse("ai:voices")).content.decode()
    assert "zm_yunjian" in page  # an option every tenant may choose...
    assert 'value="kokoro-82m|zm_yunjian" selected' not in page  # ...not b's choice
    response = client_a.post(
        reverse("ai:voices"), {"zh": "kokoro-82m|zm_yunyang", "yue": "", "en": ""}
    )
    assert response.status_code == 302
    assert voices.default_voice(tenant_a, "zh") == ("kokoro-82m", "zm_yunyang")
    assert voices.default_voice(tenant_b, "zh") == ("kokoro-82m", "zm_yunjian")
    refused = client_a.post(reverse("ai:voices"), {"zh": "espeak-ng|zh", "yue": "", "en": ""})
    assert refused.status_code == 200 and "不在可用的选项中" in refused.content.decode()
    assert voices.default_voice(tenant_a, "zh") == ("kokoro-82m", "zm_yunyang")


def test_the_default_voice_is_the_one_that_speaks_and_is_understood(tenant_a, settings):
    """End to end through the gateway with the real Kokoro and the bundled Whisper: the tenant's
    choice is the voice heard (same samples as that voice asked by name), and Whisper hears the
    sentence back."""
    from suite.ai.backends.base import BackendSpec
    from suite.ai.backends.tts_kokoro import KokoroBackend

    text = "您好，您的宽带工单已经受理，维修人员将在两小时内上门。"
    services.voice_default_set(
        tenant=tenant_a, language="zh", model="kokoro-82m", voice="zm_yunyang"
    )
    caller = gateway.Caller(tenant=tenant_a)
    served = gateway.synthesize(caller, text, voice="default")
    assert served.info.engine == "kokoro"
    direct = KokoroBackend(BackendSpec("kokoro"))
    direct.load()
    assert "zm_yunyang" in direct.voices() and "zf_xiaobei" in direct.voices()
    assert np.allclose(
        served.value.samples, direct.synthesize(text, voice="zm_yunyang").samples, atol=1e-3
    )
    heard = gateway.transcribe(caller, served.value, language="zh").value.text
    assert cer(text, heard) <= 0.15, heard
