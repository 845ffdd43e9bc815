"""Real-time factor (synthesis seconds / audio seconds) of the TTS backends on fixed sentences.

Kokoro (bundled int8 ONNX, Mandarin via misaki phonemes, the default native voice) on Mandarin
sentences and espeak-ng on a Cantonese one run in this process; a tiny random
VITS through coqui-tts is timed too (its RTF says nothing about a real VITS of full size, only
about the backend's overhead). Each backend is loaded and warmed up first; each figure is the
median over the rounds. Prints one JSON object. RTF below 1 is faster than real time.

    .venv/bin/python bench/tts_backends.py [--rounds 3]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")

import django

django.setup()

from suite.ai.backends.base import BackendSpec  # noqa: E402

MANDARIN = [
    "您好，欢迎致电客服热线。",
    "您本月的话费余额为三十五元，流量还剩两个G。",
    "请问您需要办理宽带业务，还是查询套餐信息？",
    "感谢您的来电，祝您生活愉快，再见。",
]
CANTONESE = ["你好，歡迎致電客服熱線，請問有咩可以幫到你？"]


def time_backend(backend, sentences: list[str], language: str, rounds: int) -> dict:
    backend.synthesize(sentences[0], language=language)  # warm-up
    rtfs, audio, spent = [], 0.0, 0.0
    for _ in range(rounds):
        round_audio = round_time = 0.0
        for text in sentences:
            start = time.perf_counter()
            clip = backend.synthesize(text, language=language)
            round_time += time.perf_counter() - start
            round_audio += clip.duration_s
        rtfs.append(round_time / round_audio)
        audio, spent = round_audio, round_time
    return {
        "rtf": round(statistics.median(rtfs), 4),
        "audio_s_per_round": round(audio, 2),
        "synthesis_s_last_round": round(spent, 3),
        "sentences": len(sentences),
    }


def tiny_vits_folder(root: Path) -> Path:
    import torch

    from suite.ai.backends.tts_coqui import install_import_shims

    install_import_shims()
    from TTS.tts.configs.shared_configs import CharactersConfig
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    torch.manual_seed(0)
    args = VitsArgs(
        hidden_channels=64,
        hidden_channels_ffn_text_encoder=128,
        num_layers_text_encoder=2,
        upsample_rates_decoder=[8, 8, 4],
        upsample_initial_channel_decoder=64,
        upsample_kernel_sizes_decoder=[16, 16, 8],
        init_discriminator=False,
    )
    characters = CharactersConfig(
        characters_class="TTS.tts.models.vits.VitsCharacters",
        pad="_",
        blank="#",
        characters="abcdefghijklmnopqrstuvwxyz012345",
        punctuations=" ,.?!",
        phonemes="",
    )
    config = VitsConfig(model_args=args, characters=characters, use_phonemes=False)
    config.audio.sample_rate = 16000
    config.audio.hop_length = 256
    Vits(config)  # validates the config before saving
    config.save_json(str(root / "config.json"))
    torch.save({"model": Vits(config).state_dict()}, root / "model.pth")
    return root


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-coqui", action="store_true")
    opts = parser.parse_args()

    from suite.ai.backends.tts_espeak import EspeakBackend
    from suite.ai.backends.tts_kokoro import KokoroBackend

    results: dict = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "rounds": opts.rounds,
        "backends": {},
    }
    start = time.perf_counter()
    kokoro = KokoroBackend(BackendSpec("kokoro"))
    kokoro.load()
    results["backends"]["kokoro"] = {
        "load_s": round(time.perf_counter() - start, 2),
        "mandarin": time_backend(kokoro, MANDARIN, "zh", opts.rounds),
    }
    espeak = EspeakBackend(BackendSpec("espeak-ng"))
    espeak.load()
    # espeak-ng no longer speaks Mandarin (not intelligible: bench/tts_voices.py).
    results["backends"]["espeak-ng"] = {
        "cantonese": time_backend(espeak, CANTONESE, "yue", opts.rounds),
    }
    if not opts.no_coqui:
        from suite.ai.backends.tts_coqui import CoquiBackend

        with tempfile.TemporaryDirectory() as tmp:
            coqui = CoquiBackend(BackendSpec("coqui-tts", str(tiny_vits_folder(Path(tmp)))))
            coqui.load()
            results["backends"]["coqui-tts (tiny random VITS)"] = {
                "mandarin": time_backend(coqui, MANDARIN, "zh", opts.rounds),
            }
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
