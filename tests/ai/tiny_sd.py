"""A tiny Stable Diffusion with random weights, saved as a local diffusers folder.

Used by the image backend tests and `bench/images.py` to exercise the real loading and
inference path of the diffusers backend in about a second; its pictures are noise.
"""

from __future__ import annotations

import json
from pathlib import Path

_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def _write_tokenizer(folder: Path) -> None:
    from transformers import CLIPTokenizer

    # Byte-level BPE vocab: single letters (bare and word-final "</w>"), and the specials.
    tokens = ["<|startoftext|>", "<|endoftext|>", "!"]
    tokens += list(_ALPHABET) + [f"{c}</w>" for c in _ALPHABET]
    vocab = {tok: i for i, tok in enumerate(tokens)}
    raw = folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (raw / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    # transformers 5: CLIPTokenizer(vocab_file=...) silently ignores the files, and the
    # diffusers folder must hold a tokenizer that from_pretrained() can read back.
    (raw / "tokenizer_config.json").write_text(
        json.dumps({"model_max_length": 77, "tokenizer_class": "CLIPTokenizer"}),
        encoding="utf-8",
    )
    tok = CLIPTokenizer.from_pretrained(str(raw), local_files_only=True)
    tok.save_pretrained(str(folder / "tokenizer_src"))


def build_tiny_sd(folder: Path) -> Path:
    """Write a random-weight SD 1.5-shaped pipeline to `folder` and return it."""
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    folder = Path(folder)
    work = folder.parent / f"{folder.name}-work"
    work.mkdir(parents=True, exist_ok=True)
    _write_tokenizer(work)
    tokenizer = CLIPTokenizer.from_pretrained(str(work / "tokenizer_src"), local_files_only=True)

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=4,
        norm_num_groups=8,
    )
    vae = AutoencoderKL(
        block_out_channels=(16, 32),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=8,
        sample_size=64,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
            hidden_size=32,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=2,
            layer_norm_eps=1e-5,
            vocab_size=len(tokenizer),
            max_position_embeddings=77,
            projection_dim=32,
        )
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        num_train_timesteps=1000,
        steps_offset=1,
    )
    pipe = StableDiffusionPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(str(folder), safe_serialization=True)
    return folder
