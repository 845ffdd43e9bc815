"""One sentence ("昨天晚上大堂有人逗留吗") read as event-search filters that are shown to the
person before the search runs, so they can see what was understood and correct it.

The language model answers in JSON constrained by a schema whose enums are this tenant's own
camera and zone names, the event types and the severities, so it can only name things that
exist here. Time is never asked of it as dates: Qwen2.5-1.5B, asked for "YYYY-MM-DD HH:MM", put
上周三 on the wrong day, 前天 on yesterday and 最近一周 in the future. It is asked for the words
(a day such as 昨天/上周, a weekday, a part of the day such as 晚上), which this module turns
into datetimes in the current time zone, the same way for the model and for the rules; even
so it drops 晚上 now and then, so a time, type or severity word the keyword rules recognise wins
and the model fills what they leave (see `_merged`). The 1.5B also fills a zone, a severity or
a weekday the question never mentions: those are kept only when the question has a word for
them.

Without a configured model, or when its answer is unusable (not JSON, a name outside the
enums), keyword rules answer instead, and the result says so (`how="rules"`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.ai.types import ChatMessage, JsonFailure
from suite.errors import InvalidInput
from suite.tenancy.models import Tenant

from .models import Camera, RuleKind, Severity, Zone
from .selectors import EventFilters

MAX_QUESTION_CHARS = 200

# What the model chooses from, in the words a Mandarin question uses (the prompt is Mandarin
# whatever the portal's language); mapped back to the stored values in code.
KIND_WORDS = {
    "入侵": RuleKind.INTRUSION,
    "越线": RuleKind.LINE_CROSSING,
    "逗留": RuleKind.LOITERING,
    "聚集": RuleKind.CROWDING,
    "镜头遮挡": RuleKind.TAMPERING,
}
SEVERITY_WORDS = {
    "提示": Severity.INFO,
    "低": Severity.LOW,
    "中": Severity.MEDIUM,
    "高": Severity.HIGH,
    "紧急": Severity.CRITICAL,
}

# Days the model (and the rules) name; a weekday goes with 本周/上周.
DAYS = ["今天", "昨天", "前天", "大前天", "本周", "上周", "最近3天", "最近7天", "最近30天"]
WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
# part of the day -> (start hour, end hour); an end past 24 runs into the next morning
PARTS = {
    "全天": (0, 24),
    "凌晨": (0, 6),
    "早上": (6, 9),
    "上午": (6, 12),
    "中午": (11, 14),
    "下午": (12, 18),
    "傍晚": (17, 19),
    "白天": (6, 18),
    "晚上": (18, 24),
    "夜里": (22, 30),
}


class Interpretation(NamedTuple):
    """What a question was understood as: the filters, `how` ("model" or "rules"), the model's
    name when it answered, and why the rules answered instead (empty when the model did)."""

    filters: EventFilters
    how: str
    model: str
    reason: str = ""


@dataclass
class _Words:
    """The answer in words, before it becomes ids and datetimes (the model's or the rules')."""

    camera: str = ""
    zone: str = ""
    kind: str = ""
    severity: str = ""
    day: str = ""
    weekday: str = ""
    date: str = ""  # "12月3日"
    part: str = ""
    words: list[str] = field(default_factory=list)


def clean_question(question) -> str:
    text = " ".join(str(question or "").split())
    if not text:
        raise InvalidInput(
            _("Type a question to search for, e.g. 昨天晚上大堂有人逗留吗."), param="question"
        )
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidInput(
            _("The question is %(n)s characters long; the limit is %(limit)s.")
            % {"n": len(text), "limit": MAX_QUESTION_CHARS},
            param="question",
        )
    return text


def filters_from_question(
    *, tenant: Tenant, question: str, now: datetime | None = None, user=None, api_key=None
) -> Interpretation:
    """The filters a question asks for. Raises InvalidInput for an empty or too long question;
    never for the model: any model failure falls back to the rules, labelled."""
    text = clean_question(question)
    now = timezone.localtime(now or timezone.now())
    cameras = list(Camera.objects.for_tenant(tenant).order_by("name"))
    zones = list(Zone.objects.for_tenant(tenant).select_related("camera").order_by("name"))
    if not cameras:
        reason = _("There are no cameras yet.")
    else:
        schema = question_schema(cameras, zones)
        reply = gateway.chat_json(
            gateway.Caller(tenant=tenant, user=user, api_key=api_key),
            [ChatMessage("system", PROMPT), ChatMessage("user", text)],
            schema,
            name="event_filters",
            max_tokens=120,
        )
        words = _checked(reply.data, schema, text) if reply.data is not None else None
        if words is not None:
            words = _merged(words, _rules(text, cameras, zones))
            return Interpretation(_filters(words, now, cameras, zones), "model", reply.model)
        if reply.failure is JsonFailure.NOT_CONFIGURED:
            reason = _("No language model is configured for this tenant.")
        elif reply.failure in (JsonFailure.UNAVAILABLE, JsonFailure.REFUSED):
            reason = _("The language model could not answer: %(error)s") % {"error": reply.error}
        else:
            reason = _("The language model's answer could not be used.")
    return Interpretation(
        _filters(_rules(text, cameras, zones), now, cameras, zones), "rules", "", reason
    )


# --- the model ---------------------------------------------------------------------------

PROMPT = (
    "把视频监控事件的搜索问题转换成筛选条件。camera、zone、kind、severity只能从选项中选，"
    "问题没提到就填空字符串。camera是摄像头，zone是摄像头里划的区域，kind是事件类型，"
    "severity是级别。day是问题说的日子（如昨天、上周），weekday是星期几（如上周三填周三），"
    "date是问题里的具体日期（如12月3日），part是一天中的时段；没提就填空字符串。"
)


def question_schema(cameras: list[Camera], zones: list[Zone]) -> dict:
    """The JSON the model must write: llama.cpp and vLLM turn the schema into a grammar, so
    only this tenant's camera and zone names (or "" for none) can be decoded."""

    def choice(values) -> dict:
        return {"type": "string", "enum": [*dict.fromkeys(values), ""]}

    return {
        "type": "object",
        "properties": {
            "camera": choice(c.name for c in cameras),
            "zone": choice(z.name for z in zones),
            "kind": choice(KIND_WORDS),
            "severity": choice(SEVERITY_WORDS),
            "day": choice(DAYS),
            "weekday": choice(WEEKDAYS),
            "date": {"type": "string", "maxLength": 8},
            "part": choice(PARTS),
        },
        "required": ["camera", "zone", "kind", "severity", "day", "weekday", "date", "part"],
    }


def _checked(data, schema: dict, text: str) -> _Words | None:
    """The model's answer if every choice is one it was offered (a backend that ignores the
    schema can write anything); a zone, severity or weekday the question has no word for is
    dropped. Free words are the rules' (quoted text, plate-like codes): the 1.5B, offered a
    free-text field, copied the event type into it, which would match nothing."""
    if not isinstance(data, dict):
        return None
    props = schema["properties"]
    values: dict[str, str] = {}
    for key in ("camera", "zone", "kind", "severity", "day", "weekday", "part"):
        value = data.get(key, "")
        if not isinstance(value, str) or value not in props[key]["enum"]:
            return None
        values[key] = "" if value == "全天" else value
    date_text = data.get("date") or ""
    if not isinstance(date_text, str):
        return None
    if values["zone"] and not _shares_two_chars(values["zone"], text):
        values["zone"] = ""
    if values["severity"] and not _SEVERITY_HINT.search(text):
        values["severity"] = ""
    if values["weekday"] and not _WEEKDAY_RE.search(text):
        values["weekday"] = ""
    return _Words(
        **values,
        # a date the question does not contain is the model's own invention
        date=date_text if date_text and date_text in text else "",
        words=_free_words(text),
    )


def _merged(model: _Words, rules: _Words) -> _Words:
    """A word the rules recognise wins over the model's reading of it, the model fills the
    rest. Measured on the 1.5B: it dropped 晚上 and 夜里, read 前天 as 昨天, 人多 as 入侵 and
    最近一周 as 上周, while its camera choices were right; a time word is a lexical fact."""
    merged = _Words(**{k: getattr(model, k) for k in ("camera", "zone", "kind", "severity")})
    for key in ("camera", "zone", "kind", "severity"):
        if getattr(rules, key) and not getattr(model, key):
            setattr(merged, key, getattr(rules, key))
    if rules.kind:
        merged.kind = rules.kind
    if rules.severity:
        merged.severity = rules.severity
    timed = rules if (rules.day or rules.weekday or rules.date or rules.part) else model
    merged.day, merged.weekday, merged.date, merged.part = (
        timed.day,
        timed.weekday,
        timed.date,
        timed.part,
    )
    merged.words = rules.words
    return merged


_SEVERITY_HINT = re.compile(r"级别|等级|紧急|严重|重要|高危|风险|提示")


def _shares_two_chars(name: str, text: str) -> bool:
    if len(name) < 2:
        return name in text
    return _common_run(name, text) >= 2


def _common_run(name: str, text: str) -> int:
    """The longest run of characters of `name` that also occurs in `text`."""
    best = 0
    for i in range(len(name)):
        for j in range(len(name), i + best, -1):
            if name[i:j] in text:
                best = j - i
                break
    return best


# --- the rules ---------------------------------------------------------------------------

_KIND_RULES = [
    (re.compile(r"越线|越过|穿越|跨线|过线|拌线|绊线"), "越线"),
    (re.compile(r"逗留|徘徊|停留|滞留|闲逛"), "逗留"),
    (re.compile(r"聚集|人多|拥挤|扎堆|围观|人群"), "聚集"),
    (re.compile(r"遮挡|挡住|遮住|破坏|蒙住|镜头被|黑屏"), "镜头遮挡"),
    (re.compile(r"入侵|闯入|进入|擅入|翻越|闯进"), "入侵"),
]
_SEVERITY_RULES = [
    (re.compile(r"紧急|严重"), "紧急"),
    (re.compile(r"高(?:级别|等级|危|风险)|级别高|重要"), "高"),
    (re.compile(r"中(?:级别|等级|等)|级别中"), "中"),
    (re.compile(r"低(?:级别|等级|风险)|级别低"), "低"),
    (re.compile(r"提示"), "提示"),
]
_DAY_RULES = [
    (re.compile(r"大前天"), "大前天"),
    (re.compile(r"前天|前晚"), "前天"),
    (re.compile(r"昨天|昨日|昨晚|昨夜"), "昨天"),
    (re.compile(r"今天|今日|今晚|今早|今晨|今夜"), "今天"),
    (re.compile(r"(?:最近|近|过去)(?:一个月|30天|三十天)|本月|这个月"), "最近30天"),
    (re.compile(r"(?:最近|近|过去)(?:一周|一星期|7天|七天)"), "最近7天"),
    (re.compile(r"(?:最近|近|过去)(?:三天|3天)|这几天|最近几天"), "最近3天"),
    (re.compile(r"上周|上星期|上个星期|上礼拜"), "上周"),
    (re.compile(r"本周|这周|这星期|这个星期|这礼拜"), "本周"),
]
_WEEKDAY_RE = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_DATE_RE = re.compile(r"(\d{1,2})月(\d{1,2})[日号]")
_PART_RULES = [
    (re.compile(r"凌晨"), "凌晨"),
    (re.compile(r"夜里|夜间|深夜|半夜|昨夜|今夜"), "夜里"),
    (re.compile(r"晚上|晚间|今晚|昨晚|前晚"), "晚上"),
    (re.compile(r"傍晚"), "傍晚"),
    (re.compile(r"下午"), "下午"),
    (re.compile(r"中午"), "中午"),
    (re.compile(r"上午"), "上午"),
    (re.compile(r"早上|早晨|清晨|今早|今晨"), "早上"),
    (re.compile(r"白天"), "白天"),
]
# what a name may share with a question without being meant by it
_GENERIC = re.compile(r"摄像头?|监控|事件|区域|画面|镜头")
_QUOTED = re.compile(r"[“\"「『‘']([^”\"」』’']{1,20})[”\"」』’']")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9·\-]{2,}")


def _first(rules, text: str) -> str:
    return next((value for pattern, value in rules if pattern.search(text)), "")


def _best_name(names: list[str], text: str) -> str:
    """The one name the text mentions most of (at least two characters in a row, beyond
    words every camera shares); none when two names tie."""
    plain = _GENERIC.sub(" ", text)
    scored = sorted(
        ((_common_run(name, plain) + (100 if name in text else 0), name) for name in names),
        reverse=True,
    )
    if not scored or scored[0][0] < 2:
        return ""
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return ""
    return scored[0][1]


def _rules(text: str, cameras: list[Camera], zones: list[Zone]) -> _Words:
    camera = _best_name([c.name for c in cameras], text)
    rest = text.replace(camera, " ") if camera and camera in text else text
    if camera and camera not in text:
        # the part of the camera's name that matched is not also a zone's
        for size in range(len(camera), 1, -1):
            piece = next(
                (
                    camera[i : i + size]
                    for i in range(len(camera) - size + 1)
                    if camera[i : i + size] in rest
                ),
                None,
            )
            if piece:
                rest = rest.replace(piece, " ")
                break
    in_camera = [z for z in zones if not camera or z.camera.name == camera]
    zone = _best_name(list(dict.fromkeys(z.name for z in in_camera)), rest)
    weekday = _WEEKDAY_RE.search(text)
    date_match = _DATE_RE.search(text)
    return _Words(
        camera=camera,
        zone=zone,
        kind=_first(_KIND_RULES, rest),
        severity=_first(_SEVERITY_RULES, text),
        day=_first(_DAY_RULES, text),
        weekday=WEEKDAYS[min("一二三四五六日天".index(weekday.group(1)), 6)] if weekday else "",
        date=date_match.group(0) if date_match else "",
        part=_first(_PART_RULES, text),
        words=_free_words(text),
    )


def _free_words(text: str) -> list[str]:
    """Quoted text and plate- or door-like codes (粤B12345, D12), searched in descriptions and
    on-screen text; other words of a question would only match nothing."""
    quoted = _QUOTED.findall(text)
    unquoted = _QUOTED.sub(" ", _DATE_RE.sub(" ", text))
    codes = [c for c in _CODE.findall(unquoted) if not c.isdigit()]
    return [*quoted, *codes][:4]


# --- words to filters ----------------------------------------------------------------------


def _filters(
    words: _Words, now: datetime, cameras: list[Camera], zones: list[Zone]
) -> EventFilters:
    camera = next((c for c in cameras if c.name == words.camera), None)
    named = [z for z in zones if z.name == words.zone]
    zone = next((z for z in named if camera is None or z.camera_id == camera.pk), None)
    if zone is not None and camera is None:
        if len(named) > 1:
            zone = None  # the same zone name on several cameras: the person picks
        else:
            camera = next(c for c in cameras if c.pk == zone.camera_id)
    since, until = time_range(words, now)
    return EventFilters(
        camera=camera.pk if camera else None,
        zone=zone.pk if zone else None,
        kind=KIND_WORDS.get(words.kind, ""),
        severity=SEVERITY_WORDS.get(words.severity, ""),
        since=since,
        until=until,
        q=" ".join(words.words),
    )


def time_range(words: _Words, now: datetime) -> tuple[datetime | None, datetime | None]:
    """[since, until) in `now`'s time zone; (None, None) when the words name no time."""
    today = now.date()
    monday = today - timedelta(days=today.weekday())
    days: tuple[date, date] | None = None  # first day, day after the last
    if words.date:
        match = _DATE_RE.search(words.date)
        if match:
            days = _past_date(int(match.group(1)), int(match.group(2)), today)
    if days is None and words.weekday in WEEKDAYS and words.day in ("", "本周", "上周"):
        n = WEEKDAYS.index(words.weekday)
        day = (monday - timedelta(days=7) if words.day == "上周" else monday) + timedelta(days=n)
        if day > today:  # "周五" said on a Tuesday: the last one
            day -= timedelta(days=7)
        days = (day, day + timedelta(days=1))
    if days is None and words.day:
        back = {"今天": 0, "昨天": 1, "前天": 2, "大前天": 3}
        tomorrow = today + timedelta(days=1)
        if words.day in back:
            day = today - timedelta(days=back[words.day])
            days = (day, day + timedelta(days=1))
        elif words.day == "本周":
            days = (monday, tomorrow)
        elif words.day == "上周":
            days = (monday - timedelta(days=7), monday)
        elif words.day.startswith("最近"):
            n = int(words.day[2:-1])
            days = (tomorrow - timedelta(days=n), tomorrow)
    part = PARTS.get(words.part)
    if part and words.part != "全天":
        if days is None:
            # "晚上" alone: the latest evening that has begun
            start = _at(today, part[0], now)
            day = today if start <= now else today - timedelta(days=1)
            days = (day, day + timedelta(days=1))
        if days[1] - days[0] == timedelta(days=1):
            return _at(days[0], part[0], now), _at(days[0], part[1], now)
    if days is None:
        return None, None
    return _at(days[0], 0, now), _at(days[1], 0, now)


def _past_date(month: int, day: int, today: date) -> tuple[date, date] | None:
    for year in (today.year, today.year - 1):
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        if found <= today:
            return found, found + timedelta(days=1)
    return None


def _at(day: date, hour: int, now: datetime) -> datetime:
    moment = datetime.combine(day, time.min) + timedelta(hours=hour)
    return timezone.make_aware(moment, timezone.get_current_timezone())


# --- showing what was understood ------------------------------------------------------------


def understood(*, tenant: Tenant, filters: EventFilters) -> list[dict]:
    """The filters as a person reads them, one entry per filter set: `field` (the query
    parameter), `label` and `value`, e.g. 摄像头 · 大堂, 时间 · 12月5日 18:00–24:00."""
    rows = []
    if filters.camera:
        camera = Camera.objects.for_tenant(tenant).filter(pk=filters.camera).first()
        if camera is not None:
            rows.append(("camera", _("Camera"), camera.name))
    if filters.zone:
        zone = Zone.objects.for_tenant(tenant).filter(pk=filters.zone).first()
        if zone is not None:
            rows.append(("zone", _("Zone"), zone.name))
    if filters.kind:
        rows.append(("kind", _("Type"), str(RuleKind(filters.kind).label)))
    if filters.severity:
        rows.append(("severity", _("Severity"), str(Severity(filters.severity).label)))
    if filters.since or filters.until:
        rows.append(("time", _("Time"), time_label(filters.since, filters.until)))
    if filters.q:
        rows.append(("q", _("Words"), filters.q))
    return [{"field": f, "label": str(label), "value": value} for f, label, value in rows]


def time_label(since: datetime | None, until: datetime | None) -> str:
    """12月5日 18:00–24:00, 11月23日–11月29日, or 12月5日 22:00 – 12月6日 06:00."""
    from django.utils.formats import date_format

    def day(moment: datetime) -> str:
        return date_format(moment, "MONTH_DAY_FORMAT")

    start = timezone.localtime(since) if since else None
    end = timezone.localtime(until) if until else None
    if start and end:
        midnight = start.time() == time.min and end.time() == time.min
        if midnight:
            last = end - timedelta(days=1)
            return day(start) if last.date() == start.date() else f"{day(start)}–{day(last)}"
        if end - start <= timedelta(days=1) and (
            end.date() == start.date() or end.time() == time.min
        ):
            close = "24:00" if end.time() == time.min else f"{end:%H:%M}"
            return f"{day(start)} {start:%H:%M}–{close}"
        return f"{day(start)} {start:%H:%M} – {day(end)} {end:%H:%M}"
    if start:
        return _("since %(when)s") % {"when": f"{day(start)} {start:%H:%M}"}
    assert end is not None  # the one caller asks only when a bound is set
    return _("before %(when)s") % {"when": f"{day(end)} {end:%H:%M}"}


def filters_params(filters: EventFilters, *, iso: bool = False) -> dict[str, str]:
    """The filters as the events page's query (`iso=False`: since/until as the form's
    YYYY-MM-DDTHH:MM in local time) or the REST list's (`iso=True`: ISO 8601 with offset)."""

    def moment(value: datetime) -> str:
        local = timezone.localtime(value)
        return local.isoformat() if iso else f"{local:%Y-%m-%dT%H:%M}"

    params = {
        "camera": str(filters.camera or ""),
        "zone": str(filters.zone or ""),
        "kind": filters.kind,
        "severity": filters.severity,
        "status": filters.status,
        "since": moment(filters.since) if filters.since else "",
        "until": moment(filters.until) if filters.until else "",
        "q": filters.q,
    }
    return {k: v for k, v in params.items() if v}
