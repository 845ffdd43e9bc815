"""Fixed catalogues the creation flow offers: theme templates, transitions, the bundled music
library and the output profiles. Styles come from suite.ai.styles (one list for every product)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from suite.ai.gateway import IMAGE_STYLES

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MUSIC_DIR = Path(__file__).resolve().parent / "music"


@dataclass(frozen=True)
class Theme:
    key: str
    label: StrOrPromise  # lazy: rendered in the language of the request
    prompt: str  # a starting prompt the user edits
    caption: str
    style: str
    music: str
    # Template text for the "write my captions" action when no language model can: one line
    # per scene (the first is `caption`) and a spoken greeting. Tenants' own templates have
    # only their caption.
    lines: tuple[str, ...] = ()
    greeting: str = ""

    @property
    def template_lines(self) -> tuple[str, ...]:
        return self.lines or ((self.caption,) if self.caption else ())

    @property
    def template_greeting(self) -> str:
        return self.greeting or self.caption


THEMES: dict[str, Theme] = {
    t.key: t
    for t in (
        Theme(
            "birthday",
            _("Birthday"),
            "生日快乐 蛋糕 蜡烛 气球",
            "生日快乐，天天开心！",
            "cartoon_3d",
            "festive_bells",
            ("生日快乐，天天开心！", "愿你笑口常开", "岁岁平安，万事顺意"),
            "祝你生日快乐，新的一岁健康平安、天天开心！",
        ),
        Theme(
            "festival",
            _("Festival"),
            "春节 红灯笼 烟花 团圆",
            "新春快乐，阖家幸福！",
            "ink_wash",
            "festive_bells",
            ("新春快乐，阖家幸福！", "红红火火过大年", "团团圆圆好运来"),
            "新春快乐！祝您和家人阖家幸福、万事如意！",
        ),
        Theme(
            "business",
            _("Business card"),
            "现代办公楼 城市天际线 商务",
            "您好，感谢来电！",
            "photo_portrait",
            "business_pulse",
            ("您好，感谢来电！", "专业服务，值得信赖", "期待与您携手合作"),
            "您好，感谢您的来电，我们将竭诚为您服务！",
        ),
        Theme(
            "love",
            _("Love"),
            "玫瑰 星空 浪漫 爱心",
            "想你的每一天",
            "watercolor",
            "calm_pad",
            ("想你的每一天", "有你就是晴天", "余生请多指教"),
            "想你了，谢谢你一直在我身边。",
        ),
        Theme(
            "travel",
            _("Travel"),
            "山川 湖泊 旅行 日落",
            "在路上，看风景",
            "oil_painting",
            "warm_piano",
            ("在路上，看风景", "山川湖海，皆是风景", "下一站，继续出发"),
            "您好，我正在旅途中，马上接听，祝您一切顺利！",
        ),
        Theme(
            "blessing",
            _("Blessing"),
            "祥云 锦鲤 福 如意",
            "福气满满，万事如意",
            "ink_wash",
            "warm_piano",
            ("福气满满，万事如意", "好运连连，步步高升", "平安喜乐，顺心顺意"),
            "福气满满，祝您万事如意、平安喜乐！",
        ),
    )
}


@dataclass(frozen=True)
class Track:
    key: str
    label: StrOrPromise

    @property
    def path(self) -> Path:
        return MUSIC_DIR / f"{self.key}.m4a"


MUSIC: dict[str, Track] = {
    t.key: t
    for t in (
        Track("warm_piano", _("Warm piano")),
        Track("festive_bells", _("Festive bells")),
        Track("business_pulse", _("Business pulse")),
        Track("calm_pad", _("Calm pad")),
    )
}

TRANSITIONS = {
    "fade": _("Fade"),
    "slide_left": _("Slide left"),
    "slide_up": _("Slide up"),
    "cut": _("Cut"),
}

ORIENTATIONS = {"portrait": _("Vertical 9:16"), "landscape": _("Horizontal 16:9")}

# Device profile -> the shorter side of the rendition.
PROFILES = {"low": 480, "standard": 720, "high": 1080}
PROFILE_LABELS = {"low": _("480p"), "standard": _("720p"), "high": _("1080p")}


def frame_size(orientation: str, short_side: int) -> tuple[int, int]:
    long_side = round(short_side * 16 / 9 / 2) * 2  # even, as H.264 4:2:0 needs
    return (short_side, long_side) if orientation == "portrait" else (long_side, short_side)


def style_choices() -> list[tuple[str, StrOrPromise]]:
    return [(s.key, s.label) for s in IMAGE_STYLES.values()]


def theme_choices() -> list[tuple[str, StrOrPromise]]:
    return [(t.key, t.label) for t in THEMES.values()]


def music_choices() -> list[tuple[str, StrOrPromise]]:
    return [("", _("No music")), *((t.key, t.label) for t in MUSIC.values())]
