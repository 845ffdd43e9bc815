"""Knowledge-base writes: articles with versions and a publish state, and imports."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.audit.services import audit_record
from suite.tenancy.models import Tenant

from ..models import ArticleSource, ArticleStatus, KbArticle, KbArticleVersion, KbCategory

MAX_TITLE = 200
MAX_BODY = 20_000
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5_000


def category_get_or_create(*, tenant: Tenant, name: str) -> KbCategory | None:
    name = (name or "").strip()[:100]
    if not name:
        return None
    category, _created = KbCategory.objects.get_or_create(tenant=tenant, name=name)
    return category


def _clean(title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    errors = {}
    if not title:
        errors["title"] = _("An article needs a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("The title is longer than %(n)d characters.") % {"n": MAX_TITLE}
    if not body:
        errors["body"] = _("An article needs some text.")
    elif len(body) > MAX_BODY:
        errors["body"] = _("The text is longer than %(n)d characters.") % {"n": MAX_BODY}
    if errors:
        raise ValidationError(errors)
    return title, body


MAX_TAGS = 20
MAX_TAG = 40
_TAG_SEPARATORS = re.compile(r"[,，、;；\s]+")


def tags_parse(text: str) -> list[str]:
    """The tags an editor typed in one box ("流量, 套餐、5G"): split at commas (either width),
    enumeration commas, semicolons and spaces; each kept once, in the order given."""
    tags = [t for t in _TAG_SEPARATORS.split(text or "") if t]
    too_long = [t for t in tags if len(t) > MAX_TAG]
    if too_long:
        raise ValidationError(
            {
                "tags": _("A tag is longer than %(n)d characters: %(tag)s")
                % {"n": MAX_TAG, "tag": too_long[0][:60]}
            }
        )
    tags = list(dict.fromkeys(tags))
    if len(tags) > MAX_TAGS:
        raise ValidationError({"tags": _("At most %(n)d tags.") % {"n": MAX_TAGS}})
    return tags


def _clean_status(status: str) -> str:
    if status not in ArticleStatus.values:
        raise ValidationError({"status": _("Unknown status: %(s)s.") % {"s": status}})
    return status


@transaction.atomic
def article_create(
    *,
    tenant: Tenant,
    title: str,
    body: str,
    category: str = "",
    tags: list[str] | None = None,
    status: str = ArticleStatus.DRAFT,
    source: str = ArticleSource.MANUAL,
    user=None,
) -> KbArticle:
    title, body = _clean(title, body)
    status = _clean_status(status)
    article = KbArticle.objects.create(
        tenant=tenant,
        title=title,
        body=body,
        category=category_get_or_create(tenant=tenant, name=category),
        tags=[str(t)[:40] for t in (tags or [])][:20],
        status=status,
        source=source,
        created_by=user if getattr(user, "pk", None) else None,
        published_at=timezone.now() if status == ArticleStatus.PUBLISHED else None,
    )
    KbArticleVersion.objects.create(
        tenant=tenant,
        article=article,
        version=1,
        title=title,
        body=body,
        created_by=article.created_by,
    )
    return article


@transaction.atomic
def article_update(
    *,
    article: KbArticle,
    title: str | None = None,
    body: str | None = None,
    category: str | None = None,
    tags: list[str] | None = None,
    status: str | None = None,
    user=None,
) -> KbArticle:
    """Saves a new version when the text changes; status changes alone keep the version."""
    new_title, new_body = _clean(
        article.title if title is None else title, article.body if body is None else body
    )
    if (new_title, new_body) != (article.title, article.body):
        article.version += 1
        article.title, article.body = new_title, new_body
        KbArticleVersion.objects.create(
            tenant=article.tenant,
            article=article,
            version=article.version,
            title=new_title,
            body=new_body,
            created_by=user if getattr(user, "pk", None) else None,
        )
    if category is not None:
        article.category = category_get_or_create(tenant=article.tenant, name=category)
    if tags is not None:
        article.tags = [str(t)[:40] for t in tags][:20]
    if status is not None:
        status = _clean_status(status)
        if status == ArticleStatus.PUBLISHED and article.status != status:
            article.published_at = timezone.now()
        article.status = status
    article.save()
    return article


def article_publish(*, article: KbArticle, user=None) -> KbArticle:
    return article_update(article=article, status=ArticleStatus.PUBLISHED, user=user)


@transaction.atomic
def article_rollback(*, article: KbArticle, version: int, user=None) -> KbArticle:
    """Restores the text of a past version as a new version (history is never rewritten)."""
    try:
        version = int(version)
    except (TypeError, ValueError):
        version = 0
    old = KbArticleVersion.objects.filter(article=article, version=version).first()
    if old is None:
        raise ValidationError({"version": _("This article has no version %(v)s.") % {"v": version}})
    if (old.title, old.body) == (article.title, article.body):
        raise ValidationError(
            {"version": _("Version %(v)d has the same text as the current one.") % {"v": version}}
        )
    from_version = article.version
    article = article_update(article=article, title=old.title, body=old.body, user=user)
    audit_record(
        action="customer_service.article_rollback",
        tenant=article.tenant,
        actor=user if getattr(user, "pk", None) else None,
        obj=article,
        data={"from_version": from_version, "restored": version, "new_version": article.version},
    )
    return article


# --- categories ----------------------------------------------------------------------------


def _who(user):
    return user if getattr(user, "pk", None) else None


def _category_name(tenant: Tenant, name: str, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("A category needs a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("The name is longer than 100 characters.")})
    clash = KbCategory.objects.for_tenant(tenant).filter(name=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError(
            {"name": _("There is already a category called %(n)s.") % {"n": name}}
        )
    return name


def _category_order(order) -> int:
    try:
        order = int(order)
    except (TypeError, ValueError):
        order = -1
    if not 0 <= order <= 1000:
        raise ValidationError({"order": _("The order must be a whole number from 0 to 1000.")})
    return order


@transaction.atomic
def category_create(*, tenant: Tenant, name: str, order: int = 0, user=None) -> KbCategory:
    category = KbCategory.objects.create(
        tenant=tenant, name=_category_name(tenant, name), order=_category_order(order)
    )
    audit_record(
        action="customer_service.category_create", tenant=tenant, actor=_who(user), obj=category,
        data={"name": category.name},
    )  # fmt: skip
    return category


@transaction.atomic
def category_update(
    *, category: KbCategory, name: str | None = None, order: int | None = None, user=None
) -> KbCategory:
    before = category.name
    if name is not None:
        category.name = _category_name(category.tenant, name, exclude=category.pk)
    if order is not None:
        category.order = _category_order(order)
    category.save()
    audit_record(
        action="customer_service.category_update", tenant=category.tenant, actor=_who(user),
        obj=category, data={"from": before, "name": category.name, "order": category.order},
    )  # fmt: skip
    return category


@transaction.atomic
def category_delete(*, category: KbCategory, user=None) -> int:
    """Deletes the category; its articles stay, uncategorised. Returns how many they were."""
    moved = KbArticle.objects.filter(category=category).update(category=None)
    audit_record(
        action="customer_service.category_delete", tenant=category.tenant, actor=_who(user),
        data={"name": category.name, "articles": moved},
    )  # fmt: skip
    category.delete()
    return moved


# --- imports -------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: list[KbArticle] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _decode(data: bytes) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than %(n)d MB.") % {"n": MAX_IMPORT_BYTES // 2**20}}
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError({"file": _("The file is not UTF-8 or GB18030 text.")})


def split_markdown(text: str) -> list[tuple[str, str]]:
    """(title, body) per top heading: `#`/`##` sections, or the whole file under its first line."""
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        m = re.match(r"^\s{0,3}#{1,2}\s+(.+?)\s*#*\s*$", line)
        if m:
            sections.append((m.group(1).strip(), []))
        elif sections:
            sections[-1][1].append(line)
        elif line.strip():
            sections.append((line.strip()[:MAX_TITLE], []))
    out = []
    for title, lines in sections:
        body = "\n".join(lines).strip()
        body = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), body)
        body = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", body)
        body = re.sub(r"^\s*#{3,6}\s*", "", body, flags=re.MULTILINE)
        if body:
            out.append((title, body))
    return out


class _HtmlText(HTMLParser):
    BLOCK = {"p", "div", "li", "br", "tr", "h3", "h4", "h5", "h6", "section", "article"}
    SKIP = {"script", "style", "head", "nav", "footer"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[tuple[str, list[str]]] = []
        self._heading: list[str] | None = None
        self._skip = 0
        self._title: list[str] | None = None
        self.page_title = ""

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        elif tag in ("h1", "h2"):
            self._heading = []
        elif tag == "title":
            self._title = []
        elif tag in self.BLOCK and self.sections:
            self.sections[-1][1].append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in ("h1", "h2") and self._heading is not None:
            self.sections.append(("".join(self._heading).strip(), []))
            self._heading = None
        elif tag == "title" and self._title is not None:
            self.page_title = "".join(self._title).strip()
            self._title = None

    def handle_data(self, data):
        if self._skip:
            return
        if self._title is not None:
            self._title.append(data)
        elif self._heading is not None:
            self._heading.append(data)
        elif self.sections:
            self.sections[-1][1].append(data)
        elif data.strip():
            self.sections.append((self.page_title or data.strip()[:MAX_TITLE], [data]))


def split_html(text: str) -> list[tuple[str, str]]:
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    out = []
    for title, parts in parser.sections:
        body = re.sub(r"[ \t]+", " ", "".join(parts))
        body = "\n".join(line.strip() for line in body.splitlines() if line.strip())
        if title and body:
            out.append((title, body))
    return out


def split_faq_csv(text: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(question, answer, category) rows of a CSV with question/answer(/category) columns."""
    reader = csv.reader(io.StringIO(text))
    rows = list(reader)
    if not rows:
        raise ValidationError({"file": _("The CSV file is empty.")})
    header = [h.strip().lower() for h in rows[0]]
    aliases = {
        "question": ("question", "问题", "标题", "title"),
        "answer": ("answer", "答案", "回答", "内容", "body"),
        "category": ("category", "分类", "类别"),
    }
    cols = {}
    for key, names in aliases.items():
        for i, h in enumerate(header):
            if h in names:
                cols[key] = i
                break
    if "question" not in cols or "answer" not in cols:
        raise ValidationError(
            {"file": _("The CSV needs a header row with question and answer columns.")}
        )
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        raise ValidationError(
            {"file": _("At most %(n)d rows per import.") % {"n": MAX_IMPORT_ROWS}}
        )
    out, errors = [], []
    for line, row in enumerate(rows[1:], start=2):

        def cell(key, row=row):
            i = cols.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        if not any(c.strip() for c in row):
            continue
        if not cell("question") or not cell("answer"):
            errors.append(_("Line %(n)d: question or answer is empty; skipped.") % {"n": line})
            continue
        out.append((cell("question"), cell("answer"), cell("category")))
    return out, errors


FORMATS = ("markdown", "html", "faq_csv")


@transaction.atomic
def articles_import(
    *,
    tenant: Tenant,
    data: bytes,
    fmt: str,
    category: str = "",
    publish: bool = False,
    user=None,
) -> ImportResult:
    """Creates one article per section/row; all or nothing for a malformed file."""
    if fmt not in FORMATS:
        raise ValidationError({"format": _("The format must be markdown, html or faq_csv.")})
    text = _decode(data)
    if not text.strip():
        raise ValidationError({"file": _("The file is empty.")})
    status = ArticleStatus.PUBLISHED if publish else ArticleStatus.DRAFT
    result = ImportResult()
    if fmt == "faq_csv":
        rows, result.errors = split_faq_csv(text)
        items = [(q, a, c or category) for q, a, c in rows]
        source = ArticleSource.FAQ_CSV
    else:
        sections = split_markdown(text) if fmt == "markdown" else split_html(text)
        items = [(t, b, category) for t, b in sections]
        source = ArticleSource.MARKDOWN if fmt == "markdown" else ArticleSource.HTML
    if not items:
        raise ValidationError({"file": _("No article could be read from the file.")})
    for title, body, cat in items:
        result.created.append(
            article_create(
                tenant=tenant,
                title=title[:MAX_TITLE],
                body=body[:MAX_BODY],
                category=cat,
                status=status,
                source=source,
                user=user,
            )
        )
    kb_index_refresh(tenant=tenant, user=user)
    audit_record(
        action="customer_service.kb_import",
        tenant=tenant,
        actor=user if getattr(user, "pk", None) else None,
        data={"format": fmt, "created": len(result.created), "skipped": len(result.errors)},
    )
    return result


def kb_index_refresh(*, tenant: Tenant, user=None):
    """Queues a job that brings the tenant's search index up to date (embeds what changed)."""
    from suite.jobs.services import job_enqueue

    job, _created = job_enqueue(
        tenant=tenant,
        kind="customer_service.kb_index",
        task="customer_service.kb_index",
        created_by=user if getattr(user, "pk", None) else None,
    )
    return job
