"""Engine name -> module that registers it. Imported lazily: torch and friends load only when a
backend of theirs is first used, so the web tier starts fast and tests stay light."""

import importlib

ENGINE_MODULES = {
    "faster-whisper": "suite.ai.backends.asr_faster_whisper",
    "openai-whisper": "suite.ai.backends.asr_openai_whisper",
    "kokoro": "suite.ai.backends.tts_kokoro",
    "espeak-ng": "suite.ai.backends.tts_espeak",
    "coqui-tts": "suite.ai.backends.tts_coqui",
    "openai-compatible": "suite.ai.backends.chat_openai",
    "extractive": "suite.ai.backends.chat_extractive",
    "e5": "suite.ai.backends.embed_e5",
    "diffusers": "suite.ai.backends.image_diffusers",
    "opencv-stylize": "suite.ai.backends.image_opencv",
    "opencv-hog": "suite.ai.backends.vision_opencv",
    "mediapipe-face": "suite.ai.backends.vision_mediapipe",
    "onnx-detector": "suite.ai.backends.vision_onnx",
    "rapidocr": "suite.ai.backends.ocr_rapidocr",
}

# Engines that talk to a server over the network: their path may be the server's URL, and a
# failure of theirs (a server down, a connect timeout) puts the model in cooldown.
REMOTE_ENGINES = frozenset({"openai-compatible"})


def engine_class(engine: str):
    """The Backend subclass for an engine name, or None if the engine is unknown."""
    from .base import ENGINES

    module = ENGINE_MODULES.get(engine)
    if module is None:
        return None
    if engine not in ENGINES:
        importlib.import_module(module)
    return ENGINES.get(engine)
