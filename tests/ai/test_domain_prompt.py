"""Recognition prompts (suite.ai.asr_prompt): the builder's budget and order, the filter that
keeps prompt text out of transcripts, and the real Whisper base on silence, on line noise and on
synthesized Mandarin (Kokoro's native zf_xiaobei voice)."""

import numpy as np
import pytest

from suite.ai import gateway
from suite.ai.asr_prompt import (
    LEADS,
    PROMPT_TOKENS,
    build_prompt,
    count_tokens,
    is_silent,
    prompt_terms,
    strip_prompt_echo,
)
from suite.ai.backends.asr_faster_whisper import DEFAULT_PROMPTS, finish_transcript
from suite.ai.types import AudioClip, Segment, Word

TERMS = ["套餐", "咨询", "话费", "流量包", "宽带", "副卡", "国际漫游", "携号转网", "5G畅享套餐"]
PROMPT = build_prompt(TERMS)


def test_the_prompt_lists_the_terms_in_order_after_the_default_lead():
    expected = "以下是普通话的句子，关于" + "、".join(TERMS) + "。"
    assert expected == PROMPT
    assert DEFAULT_PROMPTS["zh"].rstrip("。") == LEADS["zh"]  # the default stays its first part
    assert prompt_terms(PROMPT) == [t.lower() for t in TERMS]


def test_the_prompt_keeps_the_first_terms_that_fit_the_budget():
    many = [f"业务{i}号" for i in range(300)]
    prompt = build_prompt(many)
    assert count_tokens(prompt) <= PROMPT_TOKENS
    listed = prompt_terms(prompt)
    assert 20 < len(listed) < 300
    assert listed == [t.lower() for t in many[: len(listed)]]  # the most useful, in order
    small = build_prompt(many, budget=40)
    assert count_tokens(small) <= 40
    assert prompt_terms(small) == listed[: len(prompt_terms(small))]


def test_the_prompt_cleans_terms_and_says_none_when_nothing_fits():
    prompt = build_prompt(["套餐", " 套餐 ", "宽带、报修", "", "很" * 30, "副卡"])
    assert prompt_terms(prompt) == ["套餐", "宽带报修", "副卡"]
    assert build_prompt([]) is None
    assert build_prompt(["套餐"], budget=5) is None
    # A long term that does not fit is skipped, a shorter one after it still goes in.
    assert prompt_terms(build_prompt(["宽带", "国际漫游流量包资费", "副卡"], budget=24)) == [
        "宽带",
        "副卡",
    ]


def test_count_tokens_is_whisper_s_own_count():
    from whisper.tokenizer import get_encoding

    assert count_tokens(PROMPT) == len(get_encoding("multilingual").encode(" " + PROMPT))


@pytest.mark.parametrize(
    ("heard", "prompt", "kept"),
    [
        # What Whisper base returned on near-silent clips (tests below reproduce them).
        ("以下是普通话的句子。", DEFAULT_PROMPTS["zh"], ""),
        ("这位是普通话的句子。", DEFAULT_PROMPTS["zh"], ""),
        ("以下是普通话的", DEFAULT_PROMPTS["zh"], ""),
        ("宽带、副卡、国际漫游、携号转网、5G畅享套餐、", PROMPT, ""),
        ("以下是普通话的句子，关于套餐、咨询、话费", PROMPT, ""),
        # The prompt's lead in front of what was said: only the lead goes.
        ("以下是普通话的句子。我想咨询一下套餐", PROMPT, "我想咨询一下套餐"),
        # Speech that uses the prompt's words is speech.
        ("我想咨询一下5G畅享套餐的资费。", PROMPT, "我想咨询一下5G畅享套餐的资费。"),
        ("宽带报修", PROMPT, "宽带报修"),
        ("宽带。", PROMPT, "宽带。"),
        ("我说普通话。", DEFAULT_PROMPTS["zh"], "我说普通话。"),
        ("", PROMPT, ""),
    ],
)
def test_prompt_echoes_are_stripped_and_speech_is_kept(heard, prompt, kept):
    assert strip_prompt_echo(heard, prompt) == kept


def test_prompt_terms_alone_on_a_no_speech_segment_are_dropped():
    assert strip_prompt_echo("宽带。", PROMPT, no_speech_prob=0.9) == ""
    assert strip_prompt_echo("作词作曲，关于套餐。", PROMPT, no_speech_prob=0.9) == "作词作曲，"
    assert strip_prompt_echo("宽带报修", PROMPT, no_speech_prob=0.9) == "宽带报修"  # 报修: heard


def test_finish_transcript_drops_echo_segments_and_their_words():
    segments = [
        Segment(0.0, 1.0, "以下是普通话的句子。", [Word(0.0, 1.0, "以下是普通话的句子。", 0.9)]),
        Segment(
            1.0,
            2.0,
            "以下是普通话的句子。我想办副卡",
            [
                Word(1.0, 1.2, "以下是", 0.9),
                Word(1.2, 1.4, "普通话的句子。", 0.9),
                Word(1.4, 1.7, "我想办", 0.9),
                Word(1.7, 2.0, "副卡", 0.9),
            ],
        ),
    ]
    result = finish_transcript(segments, "zh", 1.0, 2.0, prompt=PROMPT)
    assert result.text == "我想办副卡"
    assert [s.text for s in result.segments] == ["我想办副卡"]
    assert [w.word for w in result.segments[0].words] == ["我想办", "副卡"]


def test_silence_is_measured_on_the_loudest_frame():
    rate = 16000
    quiet = np.random.default_rng(0).normal(0, 0.0005, rate * 2).astype(np.float32)
    assert is_silent(np.zeros(rate, np.float32), rate) and is_silent(quiet, rate)
    word = quiet.copy()
    word[rate : rate + 800] += 0.1  # 50 ms of something in two seconds of quiet
    assert not is_silent(word, rate)
    assert is_silent(np.zeros(0, np.float32), rate)


# --- the real Whisper base -----------------------------------------------------------------


@pytest.fixture(scope="module")
def whisper():
    from suite.ai.backends.asr_faster_whisper import FasterWhisperBackend
    from suite.ai.backends.base import BackendSpec

    backend = FasterWhisperBackend(BackendSpec("faster-whisper"))
    backend.load()
    return backend


def test_a_silent_clip_is_an_empty_transcript_without_running_the_model(whisper, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the model ran on silence")

    monkeypatch.setattr(whisper._model, "transcribe", never)
    monkeypatch.setattr(whisper._model, "feature_extractor", never)
    silent = AudioClip(np.zeros(16000 * 2, np.float32), 16000)
    for prompt in (None, PROMPT):
        assert whisper.transcribe(silent, language="zh", prompt=prompt).text == ""
        assert whisper.transcribe_utterance(silent, language="zh", prompt=prompt).text == ""


@pytest.mark.parametrize("prompt", [None, PROMPT], ids=["default prompt", "domain prompt"])
def test_line_noise_never_comes_back_as_the_prompt(whisper, prompt):
    """Without the filter Whisper base returned "这位是普通话的句子。" (full window) and
    "宽带、副卡、国际漫游、携号转网、5G畅享套餐、" (live path) for these clips."""
    rng = np.random.default_rng(0)
    clips = [
        AudioClip(rng.normal(0, 0.0035, 48000).astype(np.float32), 16000),
        AudioClip(rng.normal(0, 0.005, 48000).astype(np.float32), 16000),
        AudioClip((0.01 * np.sin(2 * np.pi * 50 * np.arange(48000) / 16000)).astype("f4"), 16000),
    ]
    lead = LEADS["zh"]
    for clip in clips:
        for text in (
            whisper.transcribe(clip, language="zh", prompt=prompt, vad=False).text,
            whisper.transcribe(clip, language="zh", prompt=prompt).text,
            whisper.transcribe_utterance(clip, language="zh", prompt=prompt).text,
        ):
            assert "普通话" not in text and lead[:4] not in text
            assert not [t for t in TERMS if t in text], text
            assert len(text) < 4 or len(set(text.strip("。"))) > 2, text  # no "证证证证证"


def test_the_domain_prompt_makes_whisper_hear_the_plan_name(tenant_a):
    """Through the gateway: Kokoro's native Mandarin voice says a plan's name, Whisper base with
    the domain prompt writes it. Without a prompt base heard "武吉唱想套残"
    (bench/asr_domain_terms.py has the figures over 15 sentences)."""
    caller = gateway.Caller(tenant=tenant_a)
    text = "我想咨询一下5G畅享套餐的资费。"
    clip = gateway.synthesize(caller, text, voice="zf_xiaobei", language="zh").value
    heard = gateway.transcribe(caller, clip, language="zh", prompt=PROMPT).value.text
    assert "畅享套餐" in heard, heard
    assert "普通话" not in heard and "、" not in heard, heard
