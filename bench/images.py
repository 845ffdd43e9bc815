"""Benchmark the image backends: images per minute for each one available here.

The OpenCV fallback (non-generative) is timed generating template backgrounds and restyling a
portrait (matplotlib's grace_hopper.jpg, resized) at 512x512 and 720x1280, per style. The
diffusers backend is timed on AI_IMAGE_MODEL_DIR when it is set; otherwise on a tiny Stable
Diffusion with random weights at 64x64 (it measures the pipeline's overhead, not a real
model, and the JSON says so). The cost of the AIGC label (badge + PNG with metadata) is timed
on the same images as a reference. Prints one JSON object.

    .venv/bin/python bench/images.py [--repeats 3]
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")

import django  # noqa: E402

django.setup()

import matplotlib.cbook  # noqa: E402
from django.conf import settings  # noqa: E402
from PIL import Image  # noqa: E402

from suite.ai.backends.base import BackendSpec  # noqa: E402
from suite.ai.labelling import image_bytes_with_metadata, label_image  # noqa: E402
from suite.ai.styles import STYLES  # noqa: E402

SIZES = [(512, 512), (720, 1280)]
PROMPTS = ["生日快乐，天天开心", "春节快乐 恭喜发财", "中秋团圆", "5G 商务发布会", "周末去海边旅行"]


def per_minute(fn, repeats: int) -> dict:
    fn()  # warm-up: first-call allocations and lazy imports are not steady state
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {"images_per_min": round(60 / median, 1), "median_s": round(median, 4)}


def bench_opencv(repeats: int) -> dict:
    from suite.ai.backends.image_opencv import OpenCVStylizeBackend

    backend = OpenCVStylizeBackend(BackendSpec("opencv-stylize"))
    start = time.perf_counter()
    backend.load()
    result = {"engine": "opencv-stylize", "generative": False}
    result["load_s"] = round(time.perf_counter() - start, 3)
    portrait = Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    portrait = portrait.convert("RGB")
    for width, height in SIZES:
        key = f"{width}x{height}"
        counter = iter(range(10**6))

        def generate(w=width, h=height, c=counter):
            i = next(c)
            backend.generate(PROMPTS[i % len(PROMPTS)], width=w, height=h, seed=i)

        photo = portrait.resize((width, height), Image.Resampling.LANCZOS)
        edits = {
            style: per_minute(lambda s=style, p=photo: backend.edit(p, style=s, seed=1), repeats)
            for style in STYLES
        }
        result[key] = {
            "generate": per_minute(generate, repeats),
            "edit_by_style": edits,
            "edit_median_images_per_min": round(
                statistics.median(e["images_per_min"] for e in edits.values()), 1
            ),
            "label_png_baseline": per_minute(lambda p=photo: _label(p), repeats),
        }
    return result


def _label(img: Image.Image) -> bytes:
    labelled = label_image(img, provider="bench", content_id="x")
    return image_bytes_with_metadata(labelled, provider="bench", content_id="x")


def bench_diffusers(repeats: int) -> dict:
    from suite.ai.backends.image_diffusers import DiffusersImageBackend

    with tempfile.TemporaryDirectory() as tmp:
        if settings.AI_IMAGE_MODEL_DIR:
            path, size, note = settings.AI_IMAGE_MODEL_DIR, (512, 512), "configured model"
            steps = None
        else:
            from tests.ai.tiny_sd import build_tiny_sd

            path = str(build_tiny_sd(Path(tmp) / "tiny-sd"))
            size, steps = (64, 64), 2
            note = "TINY RANDOM-WEIGHT SD (no real model configured): pipeline overhead only"
        backend = DiffusersImageBackend(BackendSpec("diffusers", path))
        start = time.perf_counter()
        backend.load()
        load_s = time.perf_counter() - start
        w, h = size
        photo = Image.new("RGB", size, (180, 120, 90))
        return {
            "engine": "diffusers",
            "model": note,
            "path": path if settings.AI_IMAGE_MODEL_DIR else "(tmp)",
            "size": f"{w}x{h}",
            "steps": steps or backend.default_steps,
            "load_s": round(load_s, 3),
            "generate": per_minute(
                lambda: backend.generate("a cat", width=w, height=h, steps=steps, seed=1), repeats
            ),
            "edit": per_minute(
                lambda: backend.edit(photo, "a cat", steps=steps, strength=0.6, seed=1), repeats
            ),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch

    report = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.is_available(),
        },
        "repeats": args.repeats,
        "opencv": bench_opencv(args.repeats),
        "diffusers": bench_diffusers(args.repeats),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
