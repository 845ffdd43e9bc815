"""The demo seed: idempotent, 60+ articles per demo tenant, conversations that went somewhere."""

import pytest

from customer_service import demo, selectors
from customer_service.models import AgentSkill, Conversation, KbArticle, Ticket
from suite.tenancy.demo import seed_demo as seed_suite

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_realistic(settings):
    settings.CUSTOMER_SERVICE_KB_VECTORS = False  # lexical index: the e5 pass takes a minute
    seed_suite()
    demo.seed_demo()
    counts = (KbArticle.objects.count(), Conversation.objects.count(), Ticket.objects.count())
    demo.seed_demo()
    assert (
        KbArticle.objects.count(),
        Conversation.objects.count(),
        Ticket.objects.count(),
    ) == counts
    sz = KbArticle.objects.filter(tenant__slug="gd-sz")
    assert sz.filter(status="published").count() >= 60
    assert sz.values("category").distinct().count() >= 8
    convs = Conversation.objects.filter(tenant__slug="gd-sz")
    assert convs.filter(status="queued", dialect="cantonese").exists()
    assert convs.filter(satisfaction__isnull=False).count() >= 5
    assert Ticket.objects.filter(tenant__slug="gd-sz", type="fault_repair").exists()
    assert Ticket.objects.filter(tenant__slug="gd-sz", call_id="CA-demo-0001").exists()
    assert AgentSkill.objects.get(user__username="sz_agent").dialects == ["mandarin", "cantonese"]
    # the queue an agent opens has waited minutes, as a real one has; the history spans weeks
    waits = [c.waited_s for c in selectors.handoff_queue_waits(convs.first().tenant)]
    assert waits and max(waits) < 3600
    assert convs.filter(status="closed").earliest("created_at").created_at < min(
        c.created_at for c in convs.exclude(status="closed")
    )
