# ruff: noqa: E501
import pytest
from django.utils import translation

from customer_service import knowledge
from customer_service.services.knowledge import article_create

ARTICLES = [
    ("5G畅享套餐资费说明", "5G畅享套餐每月128元，包含30GB国内通用流量和500分钟国内通话。超出流量按每GB5元计费。", "套餐资费"),
    ("流量加油包订购", "国内流量用完后可以订购流量加油包，10元1GB，当月有效。发送短信JYB到10086即可订购。", "流量"),
    ("宽带无法上网自助排查", "宽带无法上网时，请先重启光猫和路由器，并检查光猫的LOS指示灯是否为红色。LOS灯红色说明光纤中断，需要报修。", "故障自助"),
    ("国际漫游开通", "出国前可以开通国际漫游功能，开通后在境外可以拨打和接听电话。日本和韩国漫游流量包每天25元。", "漫游"),
    ("手机丢失挂失停机", "手机丢失后请立即拨打10086办理挂失停机，补卡需本人携带身份证到营业厅。", "号码服务"),
]  # fmt: skip


@pytest.fixture
def english():
    # Service-level tests match the English msgids; requests through the portal get zh-hans.
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_index_cache(settings, tmp_path):
    # Indexes persist on disk; keep each test's own, and the in-process cache empty.
    settings.CUSTOMER_SERVICE_INDEX_DIR = tmp_path / "kb-index"
    knowledge._cache.clear()
    yield
    knowledge._cache.clear()


@pytest.fixture
def kb_a(tenant_a):
    return [
        article_create(tenant=tenant_a, title=t, body=b, category=c, status="published")
        for t, b, c in ARTICLES
    ]
