"""Text-to-image and image-to-image with a local diffusers folder (SD 1.5, SDXL, Turbo).

Options (all optional): steps, guidance_scale, max_side, max_images, scheduler
("euler", "euler_a", "ddim", "dpm", "lms", "pndm"), device ("cpu"/"cuda"), turbo (bool; default:
true when the folder name contains "turbo").
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from PIL import Image

from suite.media.images import check_output_size

from ..capabilities import Capability
from ..errors import BackendUnavailable, InvalidInput
from ..styles import apply_style
from ..types import ImageResult
from .base import BackendSpec, ImageBackend, StepCallback, register

MIN_SIDE = 64
SCHEDULERS = {
    "euler": "EulerDiscreteScheduler",
    "euler_a": "EulerAncestralDiscreteScheduler",
    "ddim": "DDIMScheduler",
    "dpm": "DPMSolverMultistepScheduler",
    "lms": "LMSDiscreteScheduler",
    "pndm": "PNDMScheduler",
}


@register
class DiffusersImageBackend(ImageBackend):
    engine = "diffusers"
    capabilities = frozenset({Capability.GENERATE_IMAGE, Capability.EDIT_IMAGE})

    def __init__(self, spec: BackendSpec):
        super().__init__(spec)
        self.turbo = bool(self.options.get("turbo", "turbo" in Path(spec.path).name.lower()))
        self.default_steps = int(self.options.get("steps", 2 if self.turbo else 25))
        self.guidance_scale = float(self.options.get("guidance_scale", 0.0 if self.turbo else 7.5))
        self.max_side = int(self.options.get("max_side", 1536))
        self._lock = threading.Lock()
        self._t2i: Any = None
        self._i2i: Any = None
        self._device = "cpu"

    def load(self) -> None:
        folder = Path(self.spec.path) if self.spec.path else None
        if folder is None:
            raise BackendUnavailable(
                _("No image model folder is configured (set AI_IMAGE_MODEL_DIR).")
            )
        if not (folder / "model_index.json").is_file():
            raise BackendUnavailable(
                _("No diffusers model at %(path)s (model_index.json is missing).")
                % {"path": folder}
            )
        import torch
        from diffusers import AutoPipelineForImage2Image, AutoPipelineForText2Image

        self._device = self.options.get("device") or (
            "cuda" if torch.cuda.is_available() else "cpu"
        )
        dtype = torch.float16 if self._device == "cuda" else torch.float32
        try:
            t2i = AutoPipelineForText2Image.from_pretrained(
                str(folder), local_files_only=True, dtype=dtype
            )
        except Exception as exc:  # any loader failure means this model cannot serve
            raise BackendUnavailable(
                _("Could not load the diffusers model at %(path)s: %(reason)s")
                % {"path": folder, "reason": exc}
            ) from exc
        if self.options.get("scheduler"):
            t2i.scheduler = _make_scheduler(self.options["scheduler"], t2i.scheduler.config)
        t2i = t2i.to(self._device)
        t2i.set_progress_bar_config(disable=True)
        # Same modules, no second copy of the weights.
        i2i = AutoPipelineForImage2Image.from_pipe(t2i)
        i2i.set_progress_bar_config(disable=True)
        self._t2i, self._i2i = t2i, i2i

    def generate(
        self,
        prompt: str,
        *,
        negative_prompt: str = "",
        width: int = 512,
        height: int = 512,
        steps: int | None = None,
        seed: int | None = None,
        style: str | None = None,
        n: int = 1,
        on_step: StepCallback | None = None,
    ) -> ImageResult:
        self.check_request(n)
        self._check_size(width, height)
        prompt, negative_prompt = apply_style(prompt, negative_prompt, style)
        seed = self.seed(seed)
        steps = self._steps(steps)
        gen_w, gen_h = _multiple_of_8(width), _multiple_of_8(height)
        with self._lock:
            out = self._t2i(
                prompt=prompt,
                negative_prompt=negative_prompt or None,
                width=gen_w,
                height=gen_h,
                num_inference_steps=steps,
                guidance_scale=self.guidance_scale,
                num_images_per_prompt=n,
                generator=self._generator(seed),
                callback_on_step_end=_step_reporter(on_step),
            )
        images = [_resize(img.convert("RGB"), (width, height)) for img in out.images]
        return ImageResult(images=images, seed=seed)

    def edit(
        self,
        image: Image.Image,
        prompt: str = "",
        *,
        negative_prompt: str = "",
        strength: float = 0.6,
        steps: int | None = None,
        seed: int | None = None,
        style: str | None = None,
        n: int = 1,
        on_step: StepCallback | None = None,
    ) -> ImageResult:
        self.check_request(n, strength)
        prompt, negative_prompt = apply_style(prompt, negative_prompt, style)
        seed = self.seed(seed)
        # img2img runs steps*strength denoising steps; at least one must remain.
        steps = max(self._steps(steps), math.ceil(1 / strength))
        source = image.convert("RGB")
        work_size = self._work_size(source.size)
        with self._lock:
            out = self._i2i(
                prompt=prompt,
                negative_prompt=negative_prompt or None,
                image=source.resize(work_size, Image.Resampling.LANCZOS),
                strength=strength,
                num_inference_steps=steps,
                guidance_scale=self.guidance_scale,
                num_images_per_prompt=n,
                generator=self._generator(seed),
                callback_on_step_end=_step_reporter(on_step),
            )
        images = [_resize(img.convert("RGB"), source.size) for img in out.images]
        return ImageResult(images=images, seed=seed)

    def _generator(self, seed: int):
        import torch

        return torch.Generator(device=self._device).manual_seed(seed)

    def _steps(self, steps: int | None) -> int:
        steps = self.default_steps if steps is None else steps
        if not 1 <= steps <= 150:
            raise InvalidInput(_("steps must be between 1 and 150."), param="steps")
        return steps

    def _check_size(self, width: int, height: int) -> None:
        check_output_size(width, height, max_side=self.max_side, min_side=MIN_SIDE)

    def _work_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """The input scaled to fit max_side, each side a multiple of 8 (what the VAE needs)."""
        w, h = size
        scale = min(1.0, self.max_side / max(w, h))
        return (
            max(MIN_SIDE, _multiple_of_8(round(w * scale))),
            max(MIN_SIDE, _multiple_of_8(round(h * scale))),
        )


def _make_scheduler(name: str, config: Any):
    import diffusers

    cls_name = SCHEDULERS.get(name)
    if cls_name is None:
        raise BackendUnavailable(
            _("Unknown scheduler %(name)s. Valid schedulers: %(valid)s.")
            % {"name": name, "valid": ", ".join(SCHEDULERS)}
        )
    return getattr(diffusers, cls_name).from_config(config)


def _multiple_of_8(value: int) -> int:
    return max(8, round(value / 8) * 8)


def _resize(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    return img if img.size == size else img.resize(size, Image.Resampling.LANCZOS)


def _step_reporter(on_step: StepCallback | None):
    """diffusers' end-of-step hook calling `on_step(done, total)`; img2img runs only the last
    `strength` share of the schedule, which the pipeline's num_timesteps already counts."""
    if on_step is None:
        return None

    def after_step(pipe, index: int, _timestep, tensors: dict) -> dict:
        on_step(index + 1, int(getattr(pipe, "num_timesteps", 0)) or index + 1)
        return tensors

    return after_step
