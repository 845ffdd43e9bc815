"""Benchmark video-ringtone rendering and candidate images.

Renders a 15 s 720x1280 ringtone with 4 scenes (Ken Burns, fade/slide transitions, CJK
captions, music with fades, the AIGC badge and metadata, poster) with the product's renderer
and reports render time / video duration (target < 0.3). Two baselines run in the same process
on the same pictures:
- `naive_per_frame`: what a first implementation does, Pillow crop + LANCZOS resize and caption
  drawing per frame, RGB frames to ffmpeg at x264's default preset;
- `ffmpeg_still_encode`: ffmpeg alone encoding one still 720x1280 picture for 15 s with the same
  x264 settings, the floor for the encoding work.
The scene pictures come from the configured image backend (the first `generate_image` default:
diffusers when AI_IMAGE_MODEL_DIR is set, else the OpenCV fallback), whose images per minute
at 576x1024 are reported too. Prints one JSON object.

    .venv/bin/python bench/video_ringtone_render.py [--repeats 3]
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")

import django  # noqa: E402

django.setup()

import imageio_ffmpeg  # noqa: E402
import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from suite.ai.backends.base import BackendSpec  # noqa: E402
from suite.ai.labelling import cjk_font, image_bytes_with_metadata, label_image  # noqa: E402
from suite.ai.loader import get_backend  # noqa: E402
from video_ringtone.audio import soundtrack  # noqa: E402
from video_ringtone.catalog import MUSIC  # noqa: E402
from video_ringtone.render import SceneInput, render_video  # noqa: E402

WIDTH, HEIGHT, FPS, SECONDS = 720, 1280, 25, 15.0
CAPTIONS = ["妈妈，生日快乐！", "愿您健康长寿", "天天开心", "永远爱您"]
TRANSITIONS = ["fade", "slide_left", "slide_up", "fade"]
PROMPT = "生日快乐 蛋糕 蜡烛 气球"


def image_backend():
    entry = settings.AI_DEFAULT_MODELS["generate_image"][0]
    spec = BackendSpec(
        entry["engine"], path=entry.get("path", ""), options=entry.get("options", {})
    )
    return entry["engine"], get_backend(spec)


def bench_images(backend, repeats: int) -> tuple[dict, list[Image.Image]]:
    backend.generate(PROMPT, width=576, height=1024, seed=0, style="cartoon_3d")  # warm-up
    times, images = [], []
    for i in range(repeats):
        start = time.perf_counter()
        result = backend.generate(PROMPT, width=576, height=1024, seed=i, style="cartoon_3d", n=4)
        times.append(time.perf_counter() - start)
        images = result.images
    median = statistics.median(times)
    return {"images_per_min": round(60 * 4 / median, 1), "median_s_for_4": round(median, 3)}, images


def ours(pictures, out: Path) -> None:
    scenes = [
        SceneInput(p, c, SECONDS / 4, t)
        for p, c, t in zip(pictures, CAPTIONS, TRANSITIONS, strict=True)
    ]
    audio = soundtrack(SECONDS, music=MUSIC["warm_piano"].path, volume=0.7)
    result = render_video(
        scenes, width=WIDTH, height=HEIGHT, out=out, provider="bench", content_id="bench",
        audio=audio, fps=FPS,
    )  # fmt: skip
    poster = label_image(Image.fromarray(result.poster), provider="bench", content_id="bench")
    image_bytes_with_metadata(poster, provider="bench", content_id="bench", fmt="jpeg")


def naive(pictures, out: Path) -> None:
    font = cjk_font(48)
    frames_per_scene = round(SECONDS / 4 * FPS)
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "rawvideo",
        "-pix_fmt", "rgb24", "-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS), "-i", "-",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    for picture, caption in zip(pictures, CAPTIONS, strict=True):
        big = picture.convert("RGB").resize((round(WIDTH * 1.15), round(HEIGHT * 1.15)))
        for i in range(frames_per_scene):
            zoom = 1 + 0.15 * i / frames_per_scene
            w, h = big.width / zoom, big.height / zoom
            box = (
                (big.width - w) / 2,
                (big.height - h) / 2,
                (big.width + w) / 2,
                (big.height + h) / 2,
            )
            frame = big.crop(tuple(round(v) for v in box)).resize((WIDTH, HEIGHT), Image.LANCZOS)
            draw = ImageDraw.Draw(frame)
            draw.text((80, HEIGHT - 260), caption, font=font, fill=(255, 255, 255),
                      stroke_width=3, stroke_fill=(0, 0, 0))  # fmt: skip
            proc.stdin.write(np.asarray(frame).tobytes())
    proc.stdin.close()
    proc.wait()


def still(pictures, out: Path, tmp: Path) -> None:
    path = tmp / "still.png"
    pictures[0].convert("RGB").resize((WIDTH, HEIGHT)).save(path)
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-loop", "1", "-i", str(path),
         "-t", str(SECONDS), "-r", str(FPS), "-c:v", "libx264", "-preset", "superfast",
         "-tune", "stillimage", "-pix_fmt", "yuv420p", str(out)],
        check=True,
    )  # fmt: skip


def _cpu() -> float:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


CPU: dict[str, float] = {}


def timed(fn, repeats: int, name: str) -> float:
    """Median wall seconds; also CPU seconds (this process + ffmpeg), which do not depend on
    how busy the shared machine is: CPU / cores is the wall time with the machine to itself."""
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), _cpu()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(_cpu() - start_cpu)
    CPU[name] = statistics.median(cpu)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    engine, backend = image_backend()
    images, pictures = bench_images(backend, args.repeats)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        ours(pictures, tmp / "warm.mp4")  # warm-up: font cache, track decoding
        ours_s = timed(lambda: ours(pictures, tmp / "ours.mp4"), args.repeats, "ours")
        naive_s = timed(lambda: naive(pictures, tmp / "naive.mp4"), 1, "naive")
        still_s = timed(lambda: still(pictures, tmp / "still.mp4", tmp), args.repeats, "still")
    cores = os.cpu_count() or 1
    print(
        json.dumps(
            {
                "benchmark": "video_ringtone_render",
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "video": {
                    "width": WIDTH,
                    "height": HEIGHT,
                    "fps": FPS,
                    "seconds": SECONDS,
                    "scenes": 4,
                },
                "render": {
                    "median_s": round(ours_s, 2),
                    "ratio_to_duration": round(ours_s / SECONDS, 3),
                    "target_ratio": 0.3,
                    "meets_target": ours_s / SECONDS < 0.3,
                    "cpu_s": round(CPU["ours"], 2),
                    "cpu_bound_ratio": round(CPU["ours"] / cores / SECONDS, 3),
                },
                "baselines": {
                    "naive_per_frame": {
                        "s": round(naive_s, 2),
                        "ratio_to_duration": round(naive_s / SECONDS, 3),
                        "cpu_s": round(CPU["naive"], 2),
                    },
                    "ffmpeg_still_encode": {
                        "s": round(still_s, 2),
                        "ratio_to_duration": round(still_s / SECONDS, 3),
                        "cpu_s": round(CPU["still"], 2),
                    },
                    "speedup_vs_naive": round(naive_s / ours_s, 2),
                },
                "images": {
                    "engine": engine,
                    "generative": bool(getattr(backend, "generative", True)),
                    "size": "576x1024",
                    **images,
                },
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
