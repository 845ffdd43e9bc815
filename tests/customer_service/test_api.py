# ruff: noqa: E501
"""/api/v1/customer-service/: dialect, assist, knowledge base, conversations, chat, tickets."""

import io
import wave

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from customer_service.models import AgentSkill, KbArticle, Ticket
from customer_service.services import dialogue, tickets
from customer_service.services.knowledge import article_create
from customer_service.services.lexicon import lexicon_entry_create
from suite.ai.models import Quota, UsageRecord
from suite.tenancy.models import Role
from tests.cross_tenant import covers
from tests.factories import member
from tests.suite.test_media_files import TRUNCATED_PDF

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


@pytest.fixture
def agent_a(tenant_a):
    return member(tenant_a, Role.CS_AGENT, username="agent_a")


@pytest.fixture
def sup_a(tenant_a):
    return member(tenant_a, Role.CS_SUPERVISOR, username="sup_a")


@pytest.fixture
def sub_a(tenant_a):
    return member(tenant_a, Role.SUBSCRIBER, username="sub_a", phone="13800138000")


@pytest.fixture
def sub_b(tenant_b):
    return member(tenant_b, Role.SUBSCRIBER, username="sub_b", phone="13900139000")


def ids(response) -> set[int]:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return {row["id"] for row in rows}


def wav_bytes(seconds: float = 1.0, rate: int = 16000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.2 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


# --- dialect / assist / search -------------------------------------------------------------


@covers("api:cs-dialect-identify")
def test_dialect_identify_uses_only_the_callers_tenant_lexicon(tenant_a, tenant_b, key_a):
    lexicon_entry_create(
        tenant=tenant_b, dialect="sichuanese", term="巴巴适适", mandarin="舒舒服服"
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key_a}")
    url = reverse("api:cs-dialect-identify")
    response = api.post(url, {"text": "侬好，搿个套餐几钿？"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["dialect"] == "shanghainese" and 0 < body["confidence"] <= 1
    assert body["normalized_text"] == "你好，这个套餐多少钱？"
    other = api.post(url, {"text": "想要巴巴适适地上网"}, format="json").json()
    assert "舒舒服服" not in other["normalized_text"]  # tenant b's word, not ours


@pytest.mark.parametrize("payload", [{}, {"text": ""}, {"text": "   "}, {"text": "长" * 2001}])
def test_dialect_identify_refuses_empty_or_huge_text(api_a, payload):
    response = api_a.post(reverse("api:cs-dialect-identify"), payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"]


@covers("api:cs-assist", "api:cs-kb-search")
def test_assist_and_search_only_see_the_tenants_articles(api_a, tenant_a, tenant_b, kb_a):
    article_create(tenant=tenant_b, title="成都宽带专享", body="成都宽带每月50元，漫游免费。",
                   status="published")  # fmt: skip
    found = api_a.get(reverse("api:cs-kb-search"), {"q": "宽带 漫游"}).json()
    titles = {r["title"] for r in found["results"]}
    assert "国际漫游开通" in titles and "成都宽带专享" not in titles
    assert found["mode"] == "hybrid"
    result = api_a.post(reverse("api:cs-assist"), {"text": "成都宽带专享"}, format="json").json()
    assert all(h["title"] != "成都宽带专享" for h in result["knowledge_hits"])
    assert api_a.get(reverse("api:cs-kb-search"), {"q": ""}).status_code == 400


# --- knowledge base ------------------------------------------------------------------------


@covers("api:cs-article-list", "api:cs-article-detail", "api:cs-article-publish",
        "api:cs-article-versions", "api:cs-category-list", "api:cs-category-detail")  # fmt: skip
def test_articles_versions_publish_and_other_tenants(api_a, tenant_a, tenant_b):
    url = reverse("api:cs-article-list")
    response = api_a.post(
        url,
        {"title": "携号转网条件", "body": "在网满六个月。", "category": "号码服务"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["status"] == "draft"
    detail = reverse("api:cs-article-detail", args=[pk])
    changed = api_a.patch(detail, {"body": "在网满六个月且无欠费。"}, format="json").json()
    assert changed["version"] == 2
    published = api_a.post(reverse("api:cs-article-publish", args=[pk])).json()
    assert published["status"] == "published" and published["version"] == 2
    versions = api_a.get(reverse("api:cs-article-versions", args=[pk])).json()
    assert [v["version"] for v in versions] == [2, 1]
    assert api_a.get(reverse("api:cs-category-list")).json()[0]["name"] == "号码服务"

    theirs = article_create(tenant=tenant_b, title="四川套餐", body="内容", category="套餐")
    assert ids(api_a.get(url)) == {pk}
    for name in ("api:cs-article-detail", "api:cs-article-versions"):
        assert api_a.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert api_a.post(reverse("api:cs-article-publish", args=[theirs.pk])).status_code == 404
    assert api_a.delete(reverse("api:cs-article-detail", args=[theirs.pk])).status_code == 404
    assert KbArticle.objects.get(pk=theirs.pk).status == "draft"
    their_category = theirs.category_id
    assert api_a.get(reverse("api:cs-category-detail", args=[their_category])).status_code == 404


def test_agents_read_but_do_not_edit_the_knowledge_base(agent_a, kb_a):
    api = client_for(agent_a)
    assert api.get(reverse("api:cs-article-list")).status_code == 200
    response = api.post(reverse("api:cs-article-list"), {"title": "x", "body": "y"}, format="json")
    assert response.status_code == 403


@covers("api:cs-article-import")
def test_import_markdown_html_and_faq_csv(api_a, tenant_a, tenant_b):
    url = reverse("api:cs-article-import")
    md = "# 宽带报装\n需要身份证和**安装地址**。\n\n# 宽带移机\n提前三个工作日预约。\n"
    response = api_a.post(
        url,
        {
            "file": io.BytesIO(md.encode()),
            "format": "markdown",
            "category": "宽带",
            "publish": True,
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert [a["title"] for a in response.json()["created"]] == ["宽带报装", "宽带移机"]
    article = KbArticle.objects.get(title="宽带报装")
    assert article.tenant == tenant_a and article.status == "published"
    assert article.body == "需要身份证和安装地址。"

    html = "<html><head><title>x</title><style>p{}</style></head><body><h2>话费查询</h2><p>拨打10086。</p></body></html>"
    response = api_a.post(
        url, {"file": io.BytesIO(html.encode()), "format": "html"}, format="multipart"
    )
    assert response.json()["created"][0]["title"] == "话费查询"

    csv_text = "问题,答案,分类\n怎么查流量,发送CXLL到10086,流量\n空答案,,流量\n"
    response = api_a.post(
        url,
        {"file": io.BytesIO(csv_text.encode("gb18030")), "format": "faq_csv"},
        format="multipart",
    )
    assert response.status_code == 201
    assert len(response.json()["created"]) == 1 and len(response.json()["skipped"]) == 1
    assert not KbArticle.objects.filter(tenant=tenant_b).exists()


@pytest.mark.parametrize(
    ("content", "fmt"),
    [(b"", "markdown"), (b"\xff\xfe\x00garbage\x81", "markdown"), (b"a,b\n1,2\n", "faq_csv"),
     (b"# t\n", "markdown"), (b"x", "pdf")],
)  # fmt: skip
def test_bad_imports_are_400_and_create_nothing(api_a, content, fmt):
    response = api_a.post(
        reverse("api:cs-article-import"), {"file": io.BytesIO(content), "format": fmt},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["message"]
    assert not KbArticle.objects.exists()


@covers("api:cs-lexicon-list", "api:cs-lexicon-detail")
def test_lexicon_is_per_tenant(api_a, tenant_b):
    url = reverse("api:cs-lexicon-list")
    response = api_a.post(
        url, {"dialect": "cantonese", "term": "靓仔", "mandarin": "帅哥"}, format="json"
    )
    assert response.status_code == 201
    duplicate = api_a.post(
        url, {"dialect": "cantonese", "term": "靓仔", "mandarin": "x"}, format="json"
    )
    assert duplicate.status_code == 400
    bad = api_a.post(url, {"dialect": "klingon", "term": "x", "mandarin": "y"}, format="json")
    assert bad.status_code == 400
    theirs = lexicon_entry_create(
        tenant=tenant_b, dialect="cantonese", term="老细", mandarin="老板"
    )
    assert ids(api_a.get(url)) == {response.json()["id"]}
    detail = reverse("api:cs-lexicon-detail", args=[theirs.pk])
    assert api_a.get(detail).status_code == 404
    assert api_a.delete(detail).status_code == 404


# --- conversations and the handoff queue ---------------------------------------------------


@covers("api:cs-conversation-list", "api:cs-conversation-detail", "api:cs-conversation-queue",
        "api:cs-conversation-accept", "api:cs-conversation-reply", "api:cs-conversation-close",
        "api:cs-conversation-ticket")  # fmt: skip
def test_handoff_queue_by_dialect_skill_and_ticket_prefill(agent_a, tenant_a, tenant_b):
    AgentSkill.objects.create(tenant=tenant_a, user=agent_a, dialects=["mandarin", "cantonese"])
    canto = dialogue.conversation_start(tenant=tenant_a, phone="13812345678")
    dialogue.conversation_message(conversation=canto, text="唔该帮我转人工，我屋企宽带冇网")
    sichuan = dialogue.conversation_start(tenant=tenant_a)
    dialogue.conversation_message(conversation=sichuan, text="莫得信号，搞快给我转人工噻")
    theirs = dialogue.conversation_start(tenant=tenant_b)
    dialogue.conversation_message(conversation=theirs, text="转人工")

    api = client_for(agent_a)
    queue = api.get(reverse("api:cs-conversation-queue")).json()
    assert [c["id"] for c in queue] == [canto.pk]
    assert queue[0]["phone"] == "138****5678"
    assert ids(api.get(reverse("api:cs-conversation-list"))) == {canto.pk, sichuan.pk}

    assert api.post(reverse("api:cs-conversation-accept", args=[canto.pk])).status_code == 200
    again = api.post(reverse("api:cs-conversation-accept", args=[canto.pk]))
    assert again.status_code == 400
    reply = api.post(
        reverse("api:cs-conversation-reply", args=[canto.pk]), {"text": "你好"}, format="json"
    )
    assert reply.status_code == 201 and reply.json()["role"] == "agent"
    closed = api.post(reverse("api:cs-conversation-close", args=[canto.pk])).json()
    assert closed["status"] == "closed" and closed["prefill"]["type"] == "fault_repair"
    assert closed["prefill"]["phone"] == "138****5678"
    made = api.post(reverse("api:cs-conversation-ticket", args=[canto.pk]), {"priority": "high"},
                    format="json")  # fmt: skip
    assert made.status_code == 201, made.json()
    ticket = Ticket.objects.get(pk=made.json()["id"])
    assert (ticket.phone, ticket.priority, ticket.conversation_id) == (
        "13812345678",
        "high",
        canto.pk,
    )

    for name in ("api:cs-conversation-detail",):
        assert api.get(reverse(name, args=[theirs.pk])).status_code == 404
    for name in ("api:cs-conversation-accept", "api:cs-conversation-close",
                 "api:cs-conversation-ticket"):  # fmt: skip
        assert api.post(reverse(name, args=[theirs.pk])).status_code == 404
    assert api.post(reverse("api:cs-conversation-reply", args=[theirs.pk]), {"text": "x"},
                    format="json").status_code == 404  # fmt: skip
    theirs.refresh_from_db()
    assert theirs.status == "queued"


# --- the subscriber chat -------------------------------------------------------------------


@covers("api:cs-chat-list", "api:cs-chat-detail", "api:cs-chat-messages", "api:cs-chat-end",
        "api:cs-chat-survey", "api:cs-chat-speech", "api:cs-chat-voice")  # fmt: skip
def test_subscriber_chat_is_private(sub_a, sub_b, tenant_a, kb_a):
    api = client_for(sub_a)
    started = api.post(reverse("api:cs-chat-list"), {}, format="json")
    assert started.status_code == 201
    pk = started.json()["id"]
    said = api.post(reverse("api:cs-chat-messages", args=[pk]), {"text": "国际漫游怎么开通"},
                    format="json").json()  # fmt: skip
    roles = [t["role"] for t in said["turns"]]
    assert roles == ["customer", "bot"] and said["turns"][1]["citations"]
    assert said["turns"][1]["fallback"] is True

    # Another subscriber (of another tenant, or of the same one) cannot see or use it.
    other = client_for(sub_b)
    neighbour = client_for(member(tenant_a, Role.SUBSCRIBER, username="n", phone="13700137000"))
    for api_x in (other, neighbour):
        assert api_x.get(reverse("api:cs-chat-detail", args=[pk])).status_code == 404
        for name in ("api:cs-chat-messages", "api:cs-chat-end", "api:cs-chat-survey",
                     "api:cs-chat-voice"):  # fmt: skip
            assert (
                api_x.post(reverse(name, args=[pk]), {"text": "x", "score": 5}).status_code == 404
            )
        assert api_x.get(reverse("api:cs-chat-speech", args=[pk, 2])).status_code == 404

    ended = api.post(reverse("api:cs-chat-end", args=[pk])).json()
    assert ended["status"] == "closed"
    assert (
        api.post(reverse("api:cs-chat-survey", args=[pk]), {"score": 7}, format="json").status_code
        == 400
    )
    rated = api.post(reverse("api:cs-chat-survey", args=[pk]), {"score": 5}, format="json")
    assert rated.json()["satisfaction"] == 5
    # Staff pages are not for subscribers.
    assert api.get(reverse("api:cs-conversation-list")).status_code == 403


def test_reply_is_spoken_with_the_aigc_label(sub_a, kb_a):
    api = client_for(sub_a)
    pk = api.post(reverse("api:cs-chat-list"), {}, format="json").json()["id"]
    said = api.post(reverse("api:cs-chat-messages", args=[pk]), {"text": "点样开通国际漫游"},
                    format="json").json()  # fmt: skip
    bot = said["turns"][-1]
    response = api.get(reverse("api:cs-chat-speech", args=[pk, bot["seq"]]))
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    assert response["X-AIGC-Content-Id"]
    assert response["X-Suite-Engine"] == "espeak-ng"  # the Cantonese voice
    assert response.content[:4] == b"RIFF"
    customer_seq = said["turns"][0]["seq"]
    assert api.get(reverse("api:cs-chat-speech", args=[pk, customer_seq])).status_code == 404


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"this is not audio at all", "decode"),
        (b"", "empty"),
    ],
)
def test_bad_voice_uploads_are_400_and_the_chat_goes_on(sub_a, payload, message):
    api = client_for(sub_a)
    pk = api.post(reverse("api:cs-chat-list"), {}, format="json").json()["id"]
    upload = io.BytesIO(payload)
    upload.name = "clip.webm"
    response = api.post(
        reverse("api:cs-chat-voice", args=[pk]), {"audio": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"]
    ok = api.post(reverse("api:cs-chat-messages", args=[pk]), {"text": "你好"}, format="json")
    assert ok.status_code == 201


def test_over_long_recording_is_refused_before_transcription(sub_a):
    api = client_for(sub_a)
    pk = api.post(reverse("api:cs-chat-list"), {}, format="json").json()["id"]
    upload = io.BytesIO(wav_bytes(61, rate=8000))
    upload.name = "long.wav"
    response = api.post(
        reverse("api:cs-chat-voice", args=[pk]), {"audio": upload}, format="multipart"
    )
    assert response.status_code == 400 and "60" in response.json()["error"]["message"]
    assert not UsageRecord.objects.filter(capability="transcribe").exists()


def test_too_short_recording_is_refused(sub_a):
    api = client_for(sub_a)
    pk = api.post(reverse("api:cs-chat-list"), {}, format="json").json()["id"]
    upload = io.BytesIO(wav_bytes(0.1))
    upload.name = "clip.wav"
    response = api.post(
        reverse("api:cs-chat-voice", args=[pk]), {"audio": upload}, format="multipart"
    )
    assert response.status_code == 400 and "0.3" in response.json()["error"]["message"]


def test_a_spent_speech_quota_is_a_429_that_says_when_to_retry(sub_a, tenant_a):
    Quota.objects.create(
        tenant=tenant_a, capability="transcribe", unit="requests", period="day", limit=0
    )
    api = client_for(sub_a)
    pk = api.post(reverse("api:cs-chat-list"), {}, format="json").json()["id"]
    upload = io.BytesIO(wav_bytes(1.0))
    upload.name = "clip.wav"
    response = api.post(
        reverse("api:cs-chat-voice", args=[pk]), {"audio": upload}, format="multipart"
    )
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded" and "深圳市分公司" in error["message"]
    assert 0 < int(response["Retry-After"]) <= 24 * 3600


@covers("api:cs-my-ticket-list", "api:cs-my-ticket-detail")
def test_my_tickets_lists_only_my_own(sub_a, sub_b, tenant_a, tenant_b):
    mine = tickets.ticket_create(tenant=tenant_a, type="complaint", summary="扣费", subscriber=sub_a,
                                 phone="13800138000")  # fmt: skip
    tickets.ticket_create(tenant=tenant_a, type="complaint", summary="别人的")
    theirs = tickets.ticket_create(
        tenant=tenant_b, type="complaint", summary="四川", subscriber=sub_b
    )
    api = client_for(sub_a)
    listed = api.get(reverse("api:cs-my-ticket-list")).json()["results"]
    assert [t["id"] for t in listed] == [mine.pk] and listed[0]["phone"] == "138****8000"
    assert api.get(reverse("api:cs-my-ticket-detail", args=[theirs.pk])).status_code == 404


# --- tickets -------------------------------------------------------------------------------


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(buf, "PNG")
    return buf.getvalue()


@covers("api:cs-ticket-list", "api:cs-ticket-detail", "api:cs-ticket-assign",
        "api:cs-ticket-transition", "api:cs-ticket-comments", "api:cs-ticket-attachments")  # fmt: skip
def test_ticket_workflow_and_other_tenants(agent_a, sup_a, tenant_a, tenant_b):
    api = client_for(sup_a)
    created = api.post(
        reverse("api:cs-ticket-list"),
        {"type": "fault_repair", "priority": "urgent", "summary": "光猫红灯", "phone": "13812345678",
         "address": "深圳市南山区科技园路10号", "call_id": "CA123"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["phone"] == "13812345678"  # one ticket: shown in full to staff
    listed = api.get(reverse("api:cs-ticket-list")).json()["results"]
    assert listed[0]["phone"] == "138****5678" and "10号" not in listed[0]["address"]

    assign = api.post(
        reverse("api:cs-ticket-assign", args=[pk]), {"assignee": agent_a.pk}, format="json"
    )
    assert assign.json()["status"] == "assigned" and assign.json()["assignee"] == str(agent_a)
    stranger = member(tenant_b, Role.CS_AGENT, username="stranger")
    bad = api.post(
        reverse("api:cs-ticket-assign", args=[pk]), {"assignee": stranger.pk}, format="json"
    )
    assert bad.status_code == 400
    skip = api.post(
        reverse("api:cs-ticket-transition", args=[pk]), {"status": "closed_forever"}, format="json"
    )
    assert skip.status_code == 400
    wrong = api.post(
        reverse("api:cs-ticket-transition", args=[pk]), {"status": "resolved"}, format="json"
    )
    assert wrong.status_code == 400 and "允许" in wrong.json()["error"]["message"]
    for step in ("in_progress", "resolved", "closed"):
        done = api.post(
            reverse("api:cs-ticket-transition", args=[pk]), {"status": step}, format="json"
        )
        assert done.status_code == 200 and done.json()["status"] == step
    api.post(reverse("api:cs-ticket-comments", args=[pk]), {"text": "已上门"}, format="json")
    upload = io.BytesIO(png_bytes())
    upload.name = "modem.png"
    attached = api.post(
        reverse("api:cs-ticket-attachments", args=[pk]), {"file": upload}, format="multipart"
    )
    assert (
        attached.status_code == 201
        and attached.json()["attachments"][0]["content_type"] == "image/png"
    )
    kinds = [e["kind"] for e in attached.json()["events"]]
    assert kinds[0] == "created" and kinds.count("status") == 4 and "comment" in kinds

    theirs = tickets.ticket_create(tenant=tenant_b, type="complaint", summary="x")
    assert ids(api.get(reverse("api:cs-ticket-list"))) == {pk}
    assert api.get(reverse("api:cs-ticket-detail", args=[theirs.pk])).status_code == 404
    for name, payload in (("api:cs-ticket-assign", {"assignee": None}),
                          ("api:cs-ticket-transition", {"status": "closed"}),
                          ("api:cs-ticket-comments", {"text": "x"})):  # fmt: skip
        assert api.post(reverse(name, args=[theirs.pk]), payload, format="json").status_code == 404
    upload = io.BytesIO(png_bytes())
    upload.name = "x.png"
    assert api.post(reverse("api:cs-ticket-attachments", args=[theirs.pk]), {"file": upload},
                    format="multipart").status_code == 404  # fmt: skip
    theirs.refresh_from_db()
    assert theirs.status == "new" and not theirs.events.filter(kind="comment").exists()


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"MZ\x90\x00 an exe", "invoice.pdf"), (b"\x89PNG\r\n\x1a\n broken", "x.png"),
     (b"%PDF-1.4 truncated", "x.pdf"), (b"", "empty.png")],
)  # fmt: skip
def test_bad_attachments_are_refused(sup_a, tenant_a, content, name):
    ticket = tickets.ticket_create(tenant=tenant_a, type="complaint", summary="x")
    upload = io.BytesIO(content)
    upload.name = name
    response = client_for(sup_a).post(
        reverse("api:cs-ticket-attachments", args=[ticket.pk]), {"file": upload}, format="multipart"
    )
    assert response.status_code == 400 and response.json()["error"]["message"]
    assert not ticket.attachments.exists()


def test_a_truncated_pdf_attachment_is_a_clear_400(sup_a, tenant_a):
    ticket = tickets.ticket_create(tenant=tenant_a, type="complaint", summary="x")
    upload = io.BytesIO(TRUNCATED_PDF)
    upload.name = "invoice.pdf"
    response = client_for(sup_a).post(
        reverse("api:cs-ticket-attachments", args=[ticket.pk]), {"file": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert "PDF 文件不完整" in response.json()["error"]["message"]  # the API speaks zh-hans
    assert not ticket.attachments.exists()


def test_ticket_create_validation(sup_a):
    api = client_for(sup_a)
    for payload in ({"type": "x", "summary": "s"}, {"type": "complaint", "summary": ""},
                    {"type": "complaint", "summary": "s", "phone": "call me"}):  # fmt: skip
        response = api.post(reverse("api:cs-ticket-list"), payload, format="json")
        assert response.status_code == 400, payload
    assert not Ticket.objects.exists()


@covers("api:cs-analytics")
def test_analytics_count_only_the_tenants_conversations(sup_a, tenant_a, tenant_b, kb_a):
    conv = dialogue.conversation_start(tenant=tenant_a)
    dialogue.conversation_message(conversation=conv, text="国际漫游怎么开通")
    dialogue.conversation_message(conversation=conv, text="火星上的天气怎么样")
    dialogue.conversation_close(conversation=conv)
    dialogue.conversation_rate(conversation=conv, score=4)
    other = dialogue.conversation_start(tenant=tenant_a)
    dialogue.conversation_message(conversation=other, text="转人工")
    for _ in range(3):
        theirs = dialogue.conversation_start(tenant=tenant_b)
        dialogue.conversation_message(conversation=theirs, text="转人工")
    from suite.telephony.services import call_end, call_start

    call_end(call=call_start(tenant=tenant_a, product="customer_service", protocol="stream"))
    call_start(tenant=tenant_b, product="customer_service", protocol="stream")
    data = client_for(sup_a).get(reverse("api:cs-analytics"), {"days": 7}).json()
    assert data["conversations"] == 2 and data["calls"] == 1
    assert sum(data["per_day"]["call"].values()) == 1
    assert data["containment"] == 0.5
    assert data["handoff_reasons"] == {"explicit_request": 1}
    assert data["satisfaction"]["average"] == 4
    assert data["top_unanswered"][0]["question"] == "火星上的天气怎么样"
    assert client_for(sup_a).get(reverse("api:cs-analytics"), {"days": "x"}).status_code == 400


@covers("api:cs-agent-skill-list", "api:cs-agent-skill-detail")
def test_agent_skills_api(sup_a, agent_a, tenant_b):
    api = client_for(sup_a)
    url = reverse("api:cs-agent-skill-list")
    made = api.post(url, {"user": agent_a.pk, "dialects": ["cantonese", "mandarin"]}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["dialects"] == ["mandarin", "cantonese"]
    bad = api.post(url, {"user": agent_a.pk, "dialects": ["klingon"]}, format="json")
    assert bad.status_code == 400
    stranger = member(tenant_b, Role.CS_AGENT, username="stranger")
    assert (
        api.post(url, {"user": stranger.pk, "dialects": ["mandarin"]}, format="json").status_code
        == 400
    )
    theirs = AgentSkill.objects.create(tenant=tenant_b, user=stranger, dialects=["sichuanese"])
    assert ids(api.get(url)) == {made.json()["id"]}
    detail = reverse("api:cs-agent-skill-detail", args=[theirs.pk])
    assert api.get(detail).status_code == 404
    assert api.patch(detail, {"dialects": ["mandarin"]}, format="json").status_code == 404
    theirs.refresh_from_db()
    assert theirs.dialects == ["sichuanese"]
    mine = reverse("api:cs-agent-skill-detail", args=[made.json()["id"]])
    assert api.patch(mine, {"dialects": ["sichuanese"]}, format="json").json()["dialects"] == [
        "sichuanese"
    ]
    assert client_for(agent_a).get(url).status_code == 403
