"""Live-call utterance transcription with the bundled Whisper base (faster-whisper, int8):
`transcribe_utterance` (the utterance's own length as the encoder window, greedy or a short
beam, length-bounded) against the in-process baseline, `transcribe` over Whisper's padded 30 s
window with beam 5 (what live calls ran before).

Utterances: the two committed clips plus short customer-service sentences spoken by the bundled
Kokoro voice (synthesised at start-up, so synthetic speech: the CER compares the paths, it is
not a figure for human callers). Per path: median latency per utterance, real-time factor and
CER over all utterances. Prints one JSON object.

    .venv/bin/python bench/asr_live.py [--rounds 3]
"""

import argparse
import json
import os
import statistics
import sys
import time

from asr_whisper import CLIPS, ROOT  # the committed clips and their reference texts

SENTENCES = [
    "我想办理流量包。",
    "帮我查一下话费余额。",
    "宽带断网了，什么时候能修好？",
    "我要投诉，上个月多扣了二十块钱。",
    "国际漫游怎么开通？",
    "我想把套餐改成五十八元的。",
    "信号不好，打电话老是断。",
    "请帮我转人工客服。",
]


def utterances() -> list[tuple[str, object, str]]:
    from suite.ai.backends.base import BackendSpec
    from suite.ai.backends.tts_kokoro import KokoroBackend
    from suite.media.audio import decode_audio

    items = [(name, decode_audio(path.read_bytes()), ref) for name, (path, ref) in CLIPS.items()]
    tts = KokoroBackend(BackendSpec("kokoro", "", {}))
    tts.load()
    for index, text in enumerate(SENTENCES):
        items.append((f"kokoro-{index}", tts.synthesize(text), text))
    return items


def measure(run, items, rounds: int) -> dict:
    from suite.ai.metrics import cer

    for _name, clip, _ref in items[:2]:
        run(clip)  # warm-up
    latencies, audio, errors, texts = [], 0.0, [], {}
    for name, clip, reference in items:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            text = run(clip).text
            times.append(time.perf_counter() - started)
        latencies.append(statistics.median(times))
        audio += clip.duration_s
        errors.append(cer(reference, text))
        texts[name] = text
    return {
        "latency_p50_s": round(statistics.median(latencies), 3),
        "latency_max_s": round(max(latencies), 3),
        "rtf": round(sum(latencies) / audio, 3),
        "cer_mean": round(statistics.mean(errors), 3),
        "texts": texts,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")
    import django

    django.setup()
    from suite.ai.backends.asr_faster_whisper import FasterWhisperBackend
    from suite.ai.backends.base import BackendSpec

    items = utterances()
    greedy = FasterWhisperBackend(BackendSpec("faster-whisper", "", {}))
    greedy.load()
    beam = FasterWhisperBackend(BackendSpec("faster-whisper", "", {"live_beam_size": 5}))
    beam._model = greedy._model  # same weights, another decoding option
    paths = {
        "baseline_full_window_beam5": lambda clip: greedy.transcribe(
            clip, language="zh", vad=False
        ),
        "live_greedy": lambda clip: greedy.transcribe_utterance(clip, language="zh"),
        "live_beam5": lambda clip: beam.transcribe_utterance(clip, language="zh"),
    }
    results = {name: measure(run, items, args.rounds) for name, run in paths.items()}
    baseline = results["baseline_full_window_beam5"]["latency_p50_s"]
    print(
        json.dumps(
            {
                "utterances": len(items),
                "audio_s": round(sum(clip.duration_s for _n, clip, _r in items), 2),
                "speedup_live_greedy_vs_baseline": round(
                    baseline / results["live_greedy"]["latency_p50_s"], 2
                ),
                "paths": results,
                "cpus": os.cpu_count(),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
