"""Benchmark the bundled Whisper base through FasterWhisperBackend on the committed clips.

Prints one JSON object: per clip, real-time factor (decode seconds / audio seconds, median of
--rounds after one warm-up) and CER against the reference text, for int8 (the default) and, as
the in-process baseline, float32. The clips are synthetic (Kokoro and espeak-ng; see
tests/ai/test_asr.py): the CER says how the pipeline does on them, not on human callers.

    .venv/bin/python bench/asr_whisper.py [--rounds 3]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "ai" / "data"
CLIPS = {
    "kokoro": (
        DATA / "mandarin_kokoro.wav",
        "您好，我想查询一下这个月的话费账单。我家的宽带从昨天晚上开始就连不上网了。",
    ),
    "espeak": (DATA / "mandarin_phone_espeak.wav", "我的手机号码是一三八一二三四五六七八。"),
}


def measure(compute_type: str, clip, reference: str, rounds: int) -> dict:
    from suite.ai.backends.asr_faster_whisper import FasterWhisperBackend
    from suite.ai.backends.base import BackendSpec
    from suite.ai.metrics import cer

    backend = FasterWhisperBackend(
        BackendSpec("faster-whisper", "", {"compute_type": compute_type})
    )
    started = time.perf_counter()
    backend.load()
    load_s = time.perf_counter() - started
    backend.transcribe(clip, language="zh")
    times, text = [], ""
    for _ in range(rounds):
        started = time.perf_counter()
        text = backend.transcribe(clip, language="zh").text
        times.append(time.perf_counter() - started)
    return {
        "rtf": round(statistics.median(times) / clip.duration_s, 3),
        "cer": round(cer(reference, text), 3),
        "load_s": round(load_s, 2),
        "text": text,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")
    import django

    django.setup()
    from suite.media.audio import decode_audio

    clips = {}
    for name, (path, reference) in CLIPS.items():
        clip = decode_audio(path.read_bytes())
        int8 = measure("int8", clip, reference, args.rounds)
        fp32 = measure("float32", clip, reference, args.rounds)
        clips[name] = {
            "audio_s": round(clip.duration_s, 2),
            "int8": int8,
            "float32_baseline": fp32,
            "rtf_int8_vs_float32": round(int8["rtf"] / fp32["rtf"], 3) if fp32["rtf"] else None,
        }
    result = {
        "rtf": clips["kokoro"]["int8"]["rtf"],
        "cer": clips["kokoro"]["int8"]["cer"],
        "clips": clips,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
