"""ASR backends: tiny random Whisper models for both engines, plus the bundled base for real.

No human recording exists offline, so the committed clips are synthetic:
- `data/mandarin_kokoro.wav` (16 kHz mono PCM16, 10.9 s): KOKORO_REFERENCE spoken by the bundled
  Kokoro int8 model (voice jf_tebukuro, Mandarin via misaki phonemes, the two sentences joined
  with 0.5 s of silence) through `suite.ai.backends.tts_kokoro`, resampled to 16 kHz. Whisper base
  (faster-whisper, int8, beam 5, language zh) gave "您好,我想查询一下这个月的花费章蛋。我家的宽带,
  从昨天晚上开始,久连不上网了。": CER 0.118. The bound is that plus a margin; Kokoro's voices are
  Japanese, so this says the pipeline works, not how accurate it is on human speech.
- `data/mandarin_phone_espeak.wav` (5.45 s): REFERENCE by espeak-ng (`cmn-latn-pinyin`, rate 140)
  from pypinyin TONE3; robotic (CER 0.278), used where a short clip with digits is enough.
"""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import zhconv

from suite.ai.backends import engine_class
from suite.ai.backends.base import BackendSpec
from suite.ai.errors import BackendUnavailable, InvalidInput
from suite.ai.metrics import cer
from suite.ai.types import AudioClip
from suite.media.audio import decode_audio

DATA = Path(__file__).parent / "data"
REFERENCE = "我的手机号码是一三八一二三四五六七八。"
KOKORO_REFERENCE = "您好，我想查询一下这个月的话费账单。我家的宽带从昨天晚上开始就连不上网了。"
CER_BOUND = 0.2
# Random weights never emit end-of-text: cap decoding so the tests stay fast.
TINY_OPTIONS = {"beam_size": 1, "temperature": 0.0, "max_new_tokens": 8}


def _tone_clip(seconds: float = 1.5, rate: int = 16000) -> AudioClip:
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) / 2).astype(
        np.float32
    )
    return AudioClip(samples, rate)


@pytest.fixture(scope="session")
def bundled_dir(tmp_path_factory):
    from django.conf import settings

    from suite.ai.whisper_bundle import ensure_whisper_base

    folder = ensure_whisper_base()
    assert folder.parent == Path(settings.AI_CACHE_DIR)
    return folder


@pytest.fixture(scope="session")
def tiny_pt(tmp_path_factory) -> Path:
    import torch
    from whisper.model import ModelDimensions, Whisper

    dims = ModelDimensions(
        n_mels=80, n_audio_ctx=1500, n_audio_state=64, n_audio_head=2, n_audio_layer=1,
        n_vocab=51865, n_text_ctx=448, n_text_state=64, n_text_head=2, n_text_layer=1,
    )  # fmt: skip
    torch.manual_seed(0)
    model = Whisper(dims)
    # The text positional embedding is torch.empty (loaded from checkpoints normally).
    torch.nn.init.normal_(model.decoder.positional_embedding, std=0.02)
    path = tmp_path_factory.mktemp("openai-whisper") / "tiny.pt"
    torch.save({"dims": dims.__dict__, "model_state_dict": model.state_dict()}, path)
    return path


@pytest.fixture(scope="session")
def tiny_ct2(tmp_path_factory, bundled_dir) -> Path:
    import ctranslate2
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration, WhisperTokenizerFast

    root = tmp_path_factory.mktemp("faster-whisper")
    source, out = root / "hf", root / "ct2"
    config = WhisperConfig(
        vocab_size=51865, num_mel_bins=80, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, d_model=64, encoder_ffn_dim=128,
        decoder_ffn_dim=128, max_source_positions=1500, max_target_positions=448,
    )  # fmt: skip
    torch.manual_seed(0)
    WhisperForConditionalGeneration(config).save_pretrained(source)
    WhisperTokenizerFast(tokenizer_file=str(bundled_dir / "tokenizer.json")).save_pretrained(source)
    converter = ctranslate2.converters.TransformersConverter(
        str(source), copy_files=["tokenizer.json"]
    )
    converter.convert(str(out), quantization="float32")
    return out


def _check_tiny(backend, clip: AudioClip) -> None:
    transcript = backend.transcribe(clip, language="de", vad=False, word_timestamps=True)
    assert transcript.duration_s == pytest.approx(clip.duration_s, abs=1e-3)
    assert transcript.language == "de"
    for segment in transcript.segments:
        assert 0.0 <= segment.start <= segment.end <= clip.duration_s
        for word in segment.words:
            assert 0.0 <= word.start <= word.end <= clip.duration_s


def test_openai_whisper_tiny_checkpoint(tiny_pt):
    cls = engine_class("openai-whisper")
    backend = cls(BackendSpec("openai-whisper", str(tiny_pt), TINY_OPTIONS))
    backend.load()
    _check_tiny(backend, _tone_clip())
    # An 8 kHz clip is resampled; duration is kept.
    _check_tiny(backend, _tone_clip(rate=8000))


def test_faster_whisper_tiny_conversion(tiny_ct2):
    cls = engine_class("faster-whisper")
    backend = cls(
        BackendSpec("faster-whisper", str(tiny_ct2), {"compute_type": "float32", **TINY_OPTIONS})
    )
    backend.load()
    _check_tiny(backend, _tone_clip())


def test_missing_models_are_unavailable(tmp_path):
    with pytest.raises(BackendUnavailable, match=r"nope\.pt"):
        engine_class("openai-whisper")(
            BackendSpec("openai-whisper", str(tmp_path / "nope.pt"))
        ).load()
    with pytest.raises(BackendUnavailable, match=r"model\.bin"):
        engine_class("faster-whisper")(BackendSpec("faster-whisper", str(tmp_path))).load()


def test_unknown_language_is_invalid(tiny_ct2):
    backend = engine_class("faster-whisper")(
        BackendSpec("faster-whisper", str(tiny_ct2), TINY_OPTIONS)
    )
    backend.load()
    with pytest.raises(InvalidInput, match="xx"):
        backend.transcribe(_tone_clip(), language="xx")


def test_bundle_is_assembled_once_and_verified(bundled_dir):
    model = bundled_dir / "model.bin"
    assert model.stat().st_size == 2 * 72608766
    for name in ("config.json", "tokenizer.json", "vocabulary.txt", "preprocessor_config.json"):
        assert (bundled_dir / name).is_file()
    tokenizer = json.loads((bundled_dir / "tokenizer.json").read_text())
    ids = {token["content"]: token["id"] for token in tokenizer["added_tokens"]}
    assert ids["<|startoftranscript|>"] == 50258
    assert ids["<|zh|>"] == 50260
    assert ids["<|notimestamps|>"] == 50363
    assert ids["<|30.00|>"] == 51864
    from suite.ai.whisper_bundle import ensure_whisper_base

    mtime = model.stat().st_mtime_ns
    assert ensure_whisper_base() == bundled_dir
    assert model.stat().st_mtime_ns == mtime


def test_bundle_sha_mismatch_leaves_no_model(settings, tmp_path, monkeypatch):
    from suite.ai import whisper_bundle

    settings.AI_CACHE_DIR = tmp_path / "cache"
    fake = tmp_path / "pkg" / "data"
    fake.mkdir(parents=True)
    for _package, name in whisper_bundle.PARTS:
        (fake / name).write_bytes(b"not the weights")
    (fake / "config.json").write_text("{}")
    monkeypatch.setattr(whisper_bundle, "_package_data_dir", lambda package: fake)
    with pytest.raises(BackendUnavailable, match="sha256"):
        whisper_bundle.ensure_whisper_base()
    target = tmp_path / "cache" / whisper_bundle.FOLDER_NAME
    assert not (target / "model.bin").exists()
    assert not (target / whisper_bundle.MARKER).exists()
    assert [p.name for p in target.iterdir() if p.name.startswith(".model.bin")] == []
    assert hashlib.sha256(b"not the weights").hexdigest() != whisper_bundle.MODEL_SHA256


def test_bundled_base_transcribes_committed_mandarin_clip(bundled_dir):
    clip = decode_audio((DATA / "mandarin_kokoro.wav").read_bytes())
    backend = engine_class("faster-whisper")(BackendSpec("faster-whisper", ""))
    backend.load()
    transcript = backend.transcribe(clip, language="zh", word_timestamps=True)
    assert transcript.language == "zh"
    assert transcript.duration_s == pytest.approx(clip.duration_s, abs=1e-3)
    assert cer(KOKORO_REFERENCE, transcript.text) <= CER_BOUND, transcript.text
    assert transcript.text == zhconv.convert(transcript.text, "zh-cn")
    words = [word for segment in transcript.segments for word in segment.words]
    assert words
    assert all(0.0 <= w.start <= w.end <= clip.duration_s for w in words)


def test_simplified_conversion_helper():
    from suite.ai.backends.asr_faster_whisper import to_simplified

    assert to_simplified("請問營業廳幾點開門", "zh") == "请问营业厅几点开门"
    assert to_simplified("請問", "yue") == "请问"
    assert to_simplified("Hello 請問", "en") == "Hello 請問"


def test_live_utterance_path_encodes_the_utterance_not_a_30s_window(bundled_dir, monkeypatch):
    clip = decode_audio((DATA / "mandarin_kokoro.wav").read_bytes())
    backend = engine_class("faster-whisper")(BackendSpec("faster-whisper", ""))
    backend.load()
    model = backend._model.model
    shapes = []

    class Recording:
        """The CTranslate2 model with its encoder inputs recorded (its methods are read-only)."""

        def __getattr__(self, name):
            return getattr(model, name)

        def encode(self, features, **kwargs):
            shapes.append(tuple(features.shape))
            return model.encode(features, **kwargs)

    monkeypatch.setattr(backend._model, "model", Recording())
    transcript = backend.transcribe_utterance(clip, language="zh")
    # The clip plus 1 s of margin, in 10 ms frames (to an even count): not Whisper's 3000.
    assert len(shapes) == 1 and shapes[0][:2] == (1, 80)
    assert abs(shapes[0][2] - (clip.duration_s * 100 + 100)) <= 2
    assert transcript.language == "zh"
    assert cer(KOKORO_REFERENCE, transcript.text) <= CER_BOUND, transcript.text
    assert transcript.text == zhconv.convert(transcript.text, "zh-cn")
    assert [(s.start, s.end) for s in transcript.segments] == [(0.0, transcript.duration_s)]

    # No language given: detected from the same short encoding.
    shapes.clear()
    assert backend.transcribe_utterance(clip).language == "zh"
    assert len(shapes) == 1 and shapes[0][2] < 3000

    # Longer than one window: the full pipeline, which slides 30 s windows.
    long_clip = AudioClip(np.concatenate([clip.samples] * 3), clip.sample_rate)
    shapes.clear()
    assert backend.transcribe_utterance(long_clip, language="zh").text
    assert shapes and all(shape[2] == 3000 for shape in shapes)


def test_live_utterance_decoding_is_length_bounded(tiny_ct2):
    cls = engine_class("faster-whisper")
    backend = cls(
        BackendSpec("faster-whisper", str(tiny_ct2), {"compute_type": "float32", **TINY_OPTIONS})
    )
    backend.load()
    transcript = backend.transcribe_utterance(
        AudioClip(np.zeros(8000, np.float32), 16000), language="de"
    )
    assert transcript.duration_s == pytest.approx(0.5)
    assert transcript.language == "de"
    # A random model babbles, but the length bound stops it: 16 tokens for a 0.5 s clip.
    assert len(backend._model.hf_tokenizer.encode(transcript.text).ids) <= 16


def test_live_utterance_in_a_language_without_a_default_prompt(tiny_ct2):
    """English has no default recognition prompt: the live path decodes without one instead
    of failing on the missing prompt."""
    cls = engine_class("faster-whisper")
    backend = cls(
        BackendSpec("faster-whisper", str(tiny_ct2), {"compute_type": "float32", **TINY_OPTIONS})
    )
    backend.load()
    transcript = backend.transcribe_utterance(_tone_clip(), language="en")
    assert transcript.language == "en"
    assert transcript.duration_s == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("怎么调话费呢?怎么调话费", "怎么调话费呢?"),
        ("我想把你留两跑,我想把你留两跑,我想把你留两", "我想把你留两跑,"),
        # Not a loop of the whole utterance: kept as heard.
        ("我的号码是一二三四一二三四", "我的号码是一二三四一二三四"),
        ("你好你好", "你好你好"),
        ("转人工，转人工", "转人工，转人工"),
        ("国际漫游怎么开通", "国际漫游怎么开通"),
    ],
)
def test_a_looped_greedy_transcript_keeps_its_first_pass(text, kept):
    from suite.ai.backends.asr_faster_whisper import drop_looped_tail

    assert drop_looped_tail(text) == kept
