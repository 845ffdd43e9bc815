"""TTS backends: the bundled Kokoro and espeak-ng for real, coqui-tts on a tiny random VITS."""

import re

import numpy as np
import pytest
from django.test import override_settings

from suite.ai.backends.base import BackendSpec
from suite.ai.backends.tts_coqui import CoquiBackend
from suite.ai.backends.tts_espeak import EspeakBackend
from suite.ai.backends.tts_kokoro import KokoroBackend
from suite.ai.errors import BackendUnavailable, InvalidInput

SHORT_ZH = "您好，欢迎致电。"
LONG_ZH = "您好，欢迎致电中国电信客服热线，您的话费余额充足，请问还有什么可以帮您？"
SHORT_YUE = "你好，歡迎致電。"
LONG_YUE = "你好，歡迎致電客服熱線，你嘅話費餘額充足，請問仲有咩可以幫到你？"


def hanzi(text: str) -> int:
    return sum("\u4e00" <= ch <= "\u9fff" for ch in text)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def assert_speech(clip, text: str, rate: int) -> None:
    assert clip.sample_rate == rate
    assert clip.samples.dtype == np.float32
    assert np.all(np.isfinite(clip.samples))
    per_char = clip.duration_s / hanzi(text)
    assert 0.1 <= per_char <= 0.6, per_char
    assert rms(clip.samples) > 0.01


@pytest.fixture(scope="session")
def kokoro(tmp_path_factory):
    with override_settings(AI_CACHE_DIR=tmp_path_factory.mktemp("ai-cache")):
        backend = KokoroBackend(BackendSpec("kokoro"))
        backend.load()
    return backend


@pytest.fixture(scope="session")
def espeak():
    backend = EspeakBackend(BackendSpec("espeak-ng"))
    backend.load()
    return backend


def test_kokoro_mandarin(kokoro):
    # The native voices from kokoro-js beside the Japanese styles bundled with the model.
    assert {"zf_xiaobei", "zm_yunyang", "af_heart", "jf_alpha"} <= set(kokoro.voices())
    assert "zf_xiaoni" not in kokoro.voices()  # garbled: not offered
    assert kokoro._voice(None, "zh") == "zf_xiaobei"
    assert kokoro._voice(None, "en") == "af_heart"
    short = kokoro.synthesize(SHORT_ZH, language="zh")
    assert_speech(short, SHORT_ZH, 24000)
    long = kokoro.synthesize(LONG_ZH, language="zh")
    assert_speech(long, LONG_ZH, 24000)
    assert long.duration_s > 2 * short.duration_s


def test_kokoro_speed_and_voice(kokoro):
    normal = kokoro.synthesize(SHORT_ZH, voice="jm_kumo")
    fast = kokoro.synthesize(SHORT_ZH, voice="jm_kumo", speed=1.6)
    assert fast.duration_s < 0.85 * normal.duration_s
    with pytest.raises(InvalidInput):
        kokoro.synthesize(SHORT_ZH, voice="no_such_voice")


def test_kokoro_english(kokoro):
    clip = kokoro.synthesize("Thank you for calling, goodbye.", language="en")
    assert 0.8 < clip.duration_s < 5
    assert rms(clip.samples) > 0.01


def test_kokoro_assembled_once_with_checksum(kokoro, tmp_path, settings, monkeypatch):
    from suite.ai.backends import tts_kokoro

    settings.AI_CACHE_DIR = tmp_path
    path = tts_kokoro.ensure_bundled_model()
    assert path == tmp_path / "kokoro" / tts_kokoro.MODEL_NAME
    mtime = path.stat().st_mtime_ns
    assert tts_kokoro.ensure_bundled_model().stat().st_mtime_ns == mtime
    assert not [
        p
        for p in path.parent.iterdir()
        if p.name.startswith(f".{path.name}.") and not p.name.endswith(".sha256")
    ]

    settings.AI_CACHE_DIR = tmp_path / "other"
    monkeypatch.setattr(tts_kokoro, "_expected_sha256", lambda: "0" * 64)
    with pytest.raises(BackendUnavailable, match="sha256"):
        tts_kokoro.ensure_bundled_model()
    assert not (tmp_path / "other" / "kokoro" / tts_kokoro.MODEL_NAME).exists()


def test_kokoro_operator_folder_must_hold_model_and_voices(tmp_path):
    backend = KokoroBackend(BackendSpec("kokoro", str(tmp_path)))
    with pytest.raises(BackendUnavailable, match=re.escape(str(tmp_path))):
        backend.load()


def test_espeak_cantonese(espeak):
    a = espeak.synthesize(SHORT_YUE, language="yue")
    b = espeak.synthesize(LONG_YUE, language="yue")
    assert_speech(a, SHORT_YUE, 22050)
    assert_speech(b, LONG_YUE, 22050)
    assert b.duration_s > 2 * a.duration_s


def test_espeak_refuses_mandarin_as_unavailable(espeak):
    # Its Mandarin is not understood (bench/tts_voices.py): the next voice in the list speaks,
    # or the caller is told that none could.
    for language in ("zh", "cmn"):
        with pytest.raises(BackendUnavailable, match=r"Mandarin|普通话"):
            espeak.synthesize(SHORT_ZH, language=language)


def test_espeak_mandarin_goes_through_pinyin():
    from suite.ai.speech_text import to_pinyin

    assert to_pinyin("您好，欢迎。") == "nin2 hao3 , huan1 ying2 ."


def test_espeak_english_speed_and_bad_language(espeak):
    normal = espeak.synthesize("Thank you for calling.", language="en")
    fast = espeak.synthesize("Thank you for calling.", language="en", speed=2.0)
    assert rms(normal.samples) > 0.01
    assert fast.duration_s < 0.75 * normal.duration_s
    with pytest.raises(InvalidInput):
        espeak.synthesize("hola", language="es")


@pytest.mark.parametrize("backend", ["kokoro", "espeak"])
def test_empty_text_is_invalid(request, backend):
    synth = request.getfixturevalue(backend)
    for text in ["", "   \n"]:
        with pytest.raises(InvalidInput):
            synth.synthesize(text)


# --- coqui-tts on a tiny random VITS -------------------------------------------------------

VITS_RATE = 16000


@pytest.fixture(scope="session")
def tiny_vits(tmp_path_factory):
    import torch

    from suite.ai.backends.tts_coqui import install_import_shims

    install_import_shims()
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    torch.manual_seed(0)
    args = VitsArgs(
        hidden_channels=16,
        hidden_channels_ffn_text_encoder=32,
        num_heads_text_encoder=2,
        num_layers_text_encoder=1,
        num_layers_posterior_encoder=1,
        num_layers_flow=1,
        resblock_type_decoder="2",
        resblock_kernel_sizes_decoder=[3],
        resblock_dilation_sizes_decoder=[[1, 3]],
        upsample_rates_decoder=[8, 4, 4],
        upsample_initial_channel_decoder=16,
        upsample_kernel_sizes_decoder=[16, 16, 8],
        out_channels=257,
        init_discriminator=False,
    )
    characters = CharactersConfig(
        characters_class="TTS.tts.models.vits.VitsCharacters",
        pad="_",
        eos="",
        bos="",
        blank="#",
        characters="abcdefghijklmnopqrstuvwxyz012345",
        punctuations=" ,.?!",
        phonemes="",
    )
    config = VitsConfig(
        model_args=args,
        characters=characters,
        use_phonemes=False,
        text_cleaner="basic_cleaners",
        add_blank=True,
    )
    config.audio.sample_rate = VITS_RATE
    config.audio.fft_size = 512
    config.audio.win_length = 512
    config.audio.hop_length = 128
    model = Vits(config)
    folder = tmp_path_factory.mktemp("tiny-vits")
    config.save_json(str(folder / "config.json"))
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    return folder


def test_coqui_tiny_vits(tiny_vits):
    backend = CoquiBackend(BackendSpec("coqui-tts", str(tiny_vits)))
    backend.load()
    short = backend.synthesize("您好")
    long = backend.synthesize("您好，欢迎致电中国电信客服热线，请问有什么可以帮您")
    for clip in (short, long):
        assert clip.sample_rate == VITS_RATE
        assert clip.samples.dtype == np.float32
        assert clip.samples.size > 0
        assert np.all(np.isfinite(clip.samples))
        assert np.abs(clip.samples).max() <= 1.0
    assert long.duration_s > 3 * short.duration_s
    with pytest.raises(InvalidInput):
        backend.synthesize(" ")


def test_coqui_missing_folder_names_path(tmp_path):
    with pytest.raises(BackendUnavailable, match=r"config\.json"):
        CoquiBackend(BackendSpec("coqui-tts", str(tmp_path))).load()
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(BackendUnavailable, match=re.escape(str(tmp_path))):
        CoquiBackend(BackendSpec("coqui-tts", str(tmp_path))).load()
