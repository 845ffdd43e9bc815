"""Round-trip intelligibility of every offered voice: speak a sentence, hear it back with the
bundled Whisper base, and count the character error rate.

36 sentences (24 customer-service replies, 12 from a 12345 hotline, several with numbers,
dates, prices and letters) go through the suite's Kokoro backend (text normalisation, misaki
phonemes) for each offered Mandarin voice and, in the same run, through the two voices a
Mandarin caller heard before: Kokoro's Japanese `jf_alpha` and espeak-ng's pinyin Mandarin
(called directly: the product no longer lets espeak-ng speak Mandarin). Whisper base
(faster-whisper int8, language zh, no prompt) transcribes each clip; CER compares the spoken
forms (the reference and the transcript both normalised by suite.ai.speech_text, Traditional
characters folded to Simplified). Because Whisper often writes a homophone of what it heard
(爱 for 艾), the toneless pinyin syllable error rate is reported beside the CER: it is closer to
what a listener understands. Also reported per voice: time to first audio (the first piece
the call path speaks, cut at a clause mark) and the real-time factor of whole sentences.

    .venv/bin/python bench/tts_voices.py [--voices zf_xiaobei,jf_alpha,espeak] [--limit 36]
        [--save-wavs DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")

import django

django.setup()

import numpy as np  # noqa: E402
import zhconv  # noqa: E402

from suite.ai import speech_text, voice_bundle  # noqa: E402
from suite.ai.backends import engine_class  # noqa: E402
from suite.ai.backends.base import BackendSpec  # noqa: E402
from suite.ai.metrics import cer, edit_distance  # noqa: E402
from suite.ai.sentences import split_sentences  # noqa: E402
from suite.ai.streams import FIRST_PIECE_CHARS  # noqa: E402
from suite.ai.types import AudioClip  # noqa: E402

GOAL_CER = 0.05
SENTENCES = [
    # customer service
    "您好，欢迎致电客服热线，请问有什么可以帮您？",
    "您本月的话费余额为35元，流量还剩2GB。",
    "发送短信CXLL到10086，就可以查询剩余流量。",
    "国际漫游需要提前开通，回复KTGJMY即可办理。",
    "副卡每月10元，一个主号最多能办4张副卡。",
    "老年关怀套餐每月8元，包含100分钟国内通话。",
    "您的宽带故障已经登记，维修人员会在24小时内上门。",
    "请您重启一下光猫，等待两分钟后再试一次。",
    "5G畅享套餐每月128元，包含30GB国内通用流量。",
    "您的手机138****5678已经停机，充值后即可恢复。",
    "营业厅的营业时间是每天09:00到21:00。",
    "您的套餐将于2026年12月31日到期，请及时续订。",
    "很抱歉给您带来不便，我马上为您转接人工客服。",
    "请问您是想办理携号转网，还是查询合约期？",
    "家里的Wi-Fi信号不好，可以加装一个路由器。",
    "本次充值100元，赠送20元话费，优惠80%的流量包。",
    "您好，您的工单已经受理，工单号是202612050003。",
    "如果您对本次服务满意，请按1，不满意请按2。",
    "实名认证需要携带本人身份证到营业厅办理。",
    "这个月多扣的12.5元已经退回到您的账户。",
    "您可以在手机营业厅App里自助查询账单。",
    "视频彩铃已经设置成功，来电的朋友就能看到了。",
    "请您耐心等待，当前排队人数为3人。",
    "感谢您的来电，祝您生活愉快，再见。",
    # 12345 hotline
    "您好，这里是12345政务服务便民热线。",
    "您反映的噪音扰民问题，我们已经转给南山区城管局。",
    "请问事发地点的具体地址是哪里？",
    "我们会在3个工作日内给您答复。",
    "您的诉求已经登记，受理编号是12345678。",
    "小区门口的路灯坏了两个星期，一直没有人修。",
    "关于社保缴费的问题，请您拨打12333咨询。",
    "您对这次的办理结果是否满意？",
    "我们已经督促物业在本周五之前处理完毕。",
    "这个问题属于住建部门的职责，我帮您转过去。",
    "请您保持电话畅通，工作人员会和您联系。",
    "感谢您对城市管理工作的支持。",
]


def spoken(text: str) -> str:
    return speech_text.normalize(zhconv.convert(text, "zh-cn"))


def syllable_error(reference: str, heard: str) -> float:
    from pypinyin import lazy_pinyin

    def syllables(text: str) -> list[str]:
        return [s for s in lazy_pinyin(spoken(text)) if s.isalpha()]

    ref = syllables(reference)
    return edit_distance(ref, syllables(heard)) / max(len(ref), 1)


class Espeak:
    """espeak-ng's pinyin Mandarin, as the product spoke it before (for comparison only)."""

    def __init__(self) -> None:
        from suite.ai.backends import tts_espeak

        self.engine = tts_espeak._Engine()

    def synthesize(self, text: str) -> AudioClip:
        samples = self.engine.speak(speech_text.to_pinyin(text), "cmn-latn-pinyin", 175)
        return AudioClip(samples=samples, sample_rate=self.engine.sample_rate)


def measure(name, synthesize, asr, sentences, save: Path | None) -> dict:
    synthesize(sentences[0])  # warm-up
    errors, syllable_errors, firsts, rtfs, worst = [], [], [], [], []
    for index, text in enumerate(sentences):
        first = split_sentences(text, first_max_chars=FIRST_PIECE_CHARS)[0]
        started = time.perf_counter()
        synthesize(first)
        firsts.append(time.perf_counter() - started)
        started = time.perf_counter()
        clip = synthesize(text)
        rtfs.append((time.perf_counter() - started) / max(clip.duration_s, 1e-6))
        heard = asr.transcribe(clip, language="zh").text
        error = cer(spoken(text), spoken(heard))
        errors.append(error)
        syllable_errors.append(syllable_error(text, heard))
        worst.append((error, text, heard))
        if save:
            import soundfile

            soundfile.write(save / f"{name}-{index:02d}.wav", clip.samples, clip.sample_rate)
    worst.sort(reverse=True)
    return {
        "cer_mean": round(float(np.mean(errors)), 4),
        "cer_median": round(float(np.median(errors)), 4),
        "syllable_error_mean": round(float(np.mean(syllable_errors)), 4),
        "sentences_perfect": sum(e == 0 for e in errors),
        "first_audio_p50_s": round(statistics.median(firsts), 3),
        "rtf_p50": round(statistics.median(rtfs), 3),
        "worst": [{"cer": round(e, 3), "said": t, "heard": h} for e, t, h in worst[:3] if e > 0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    offered = [v.name for v in voice_bundle.OFFERED.values() if v.language == "zh"]
    parser.add_argument("--voices", default=",".join([*offered, "jf_alpha", "espeak"]))
    parser.add_argument("--limit", type=int, default=len(SENTENCES))
    parser.add_argument("--save-wavs", type=Path)
    args = parser.parse_args()
    sentences = SENTENCES[: args.limit]
    if args.save_wavs:
        args.save_wavs.mkdir(parents=True, exist_ok=True)

    asr = engine_class("faster-whisper")(BackendSpec("faster-whisper"))
    asr.load()
    kokoro = engine_class("kokoro")(BackendSpec("kokoro"))
    kokoro.load()
    missing = [v for v in offered if v not in kokoro.voices()]
    if missing:
        sys.exit(f"Kokoro's native voices are not installed ({missing}); run make first.")
    results = {}
    for name in args.voices.split(","):
        if name == "espeak":
            synthesize = Espeak().synthesize
        else:

            def synthesize(text, voice=name):
                return kokoro.synthesize(text, voice=voice, language="zh")

        results[name] = measure(name, synthesize, asr, sentences, args.save_wavs)
        print(name, json.dumps(results[name], ensure_ascii=False), file=sys.stderr, flush=True)
    default = voice_bundle.OFFERED.get("zf_xiaobei")
    print(
        json.dumps(
            {
                "bench": "tts_voices",
                "sentences": len(sentences),
                "asr": "whisper-base (faster-whisper int8, language zh)",
                "goal_cer_default_voices": GOAL_CER,
                "default_voices_meet_goal": all(
                    results[v]["cer_mean"] <= GOAL_CER
                    for v in ("zf_xiaobei", "zm_yunxi")
                    if v in results
                ),
                "default_voice": default.name if default else None,
                "cpu_count": os.cpu_count(),
                "python": platform.python_version(),
                "voices": results,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
