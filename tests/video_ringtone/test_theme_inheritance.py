"""Theme templates flow down the tenant tree (province -> city -> enterprise), never across."""

import pytest
from django.core.exceptions import ValidationError

from suite.tenancy.models import Role, TenantKind
from suite.tenancy.services import tenant_create
from tests.cross_tenant import covers
from tests.factories import member
from video_ringtone import selectors
from video_ringtone.catalog import THEMES
from video_ringtone.models import ThemeTemplate
from video_ringtone.services import drafts


def _extra(tenant) -> dict[str, str]:
    return {t.key: t.label for t in selectors.themes_for(tenant) if t.key not in THEMES}


@pytest.mark.django_db
def test_templates_are_inherited_down_the_tree_and_never_across(tenant_a, tenant_b):
    province = tenant_a.parent
    company = tenant_create(
        slug="ent", name="云帆科技", kind=TenantKind.ENTERPRISE, parent=tenant_a
    )
    sibling = tenant_create(
        slug="gd-gz", name="广州市分公司", kind=TenantKind.CITY, parent=province
    )
    drafts.theme_create(tenant=province, key="guoqing", label="国庆", prompt="国庆 烟花 红旗")
    drafts.theme_create(tenant=tenant_a, key="zhongqiu", label="中秋", prompt="圆月 月饼")
    drafts.theme_create(tenant=company, key="nianhui", label="年会", prompt="年会 舞台")
    # A nearer tenant's template replaces its ancestor's of the same key.
    drafts.theme_create(tenant=company, key="guoqing", label="公司国庆", prompt="公司 国庆")
    drafts.theme_create(tenant=tenant_b, key="huoguo", label="火锅", prompt="火锅 熊猫")

    assert _extra(company) == {"guoqing": "公司国庆", "zhongqiu": "中秋", "nianhui": "年会"}
    assert _extra(tenant_a) == {"guoqing": "国庆", "zhongqiu": "中秋"}
    assert _extra(province) == {"guoqing": "国庆"}  # nothing flows up
    assert _extra(sibling) == {"guoqing": "国庆"}  # nor sideways
    assert _extra(tenant_b) == {"huoguo": "火锅"}  # another tree sees none of them
    assert _extra(tenant_b.parent) == {}

    boss = member(company, Role.TENANT_ADMIN, username="boss")
    draft = drafts.draft_create(tenant=company, owner=boss, theme="zhongqiu")
    assert draft.prompt == "圆月 月饼"
    assert drafts.draft_create(tenant=company, owner=boss, theme="guoqing").prompt == "公司 国庆"
    outsider = member(tenant_b, Role.SUBSCRIBER, username="sc_sub")
    with pytest.raises(ValidationError):
        drafts.draft_create(tenant=tenant_b, owner=outsider, theme="zhongqiu")


@covers("video_ringtone:theme_delete")
@pytest.mark.django_db
def test_an_enterprise_admin_sees_inherited_templates_but_cannot_remove_them(client, tenant_a):
    company = tenant_create(
        slug="ent", name="云帆科技", kind=TenantKind.ENTERPRISE, parent=tenant_a
    )
    city_theme = drafts.theme_create(tenant=tenant_a, key="zhongqiu", label="中秋", prompt="圆月")
    own = drafts.theme_create(tenant=company, key="nianhui", label="年会", prompt="年会 舞台")
    client.force_login(member(company, Role.TENANT_ADMIN, username="boss"))
    page = client.get("/video-ringtone/").content.decode()
    inherited = page[page.index('id="inherited-themes"') :]
    assert "中秋" in inherited and tenant_a.name in inherited
    response = client.post(f"/video-ringtone/themes/{city_theme.pk}/delete/")
    assert response.status_code == 404  # the city's template is not the enterprise's to remove
    assert ThemeTemplate.objects.filter(pk=city_theme.pk).exists()
    assert client.post(f"/video-ringtone/themes/{own.pk}/delete/").status_code == 302
    assert not ThemeTemplate.objects.filter(pk=own.pk).exists()
