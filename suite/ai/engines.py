"""What a person reads for a model engine: "内置照片风格化" rather than opencv-stylize.

Every engine of `suite.ai.backends.ENGINE_MODULES` has a label (tests/suite/test_labels.py).
"""

from django.utils.translation import pgettext_lazy


def _engine(label: str):
    return pgettext_lazy("model engine", label)


ENGINE_LABELS = {
    "faster-whisper": _engine("Whisper speech recognition (faster-whisper)"),
    "openai-whisper": _engine("Whisper speech recognition"),
    "kokoro": _engine("Kokoro speech synthesis"),
    "espeak-ng": _engine("eSpeak NG speech synthesis"),
    "coqui-tts": _engine("Coqui speech synthesis"),
    "openai-compatible": _engine("Language model (OpenAI-compatible server)"),
    "extractive": _engine("Built-in knowledge-base extracts"),
    "e5": _engine("E5 text embeddings"),
    "diffusers": _engine("Diffusion image model"),
    "opencv-stylize": _engine("Built-in templates and photo stylisation"),
    "opencv-hog": _engine("Built-in people detection (OpenCV)"),
    "mediapipe-face": _engine("MediaPipe face detection"),
    "onnx-detector": _engine("Operator object detector (ONNX)"),
    "rapidocr": _engine("RapidOCR text recognition"),
}


def engine_label(engine: str) -> str:
    label = ENGINE_LABELS.get(engine)
    return str(label) if label is not None else engine
