"""The district select of a centre whose districts span cities: grouped by city, in each city's
own order, so a Shenzhen address is not looked for among Guangzhou's districts."""

from gov_hotline.forms import ConfirmForm
from gov_hotline.taxonomy import CITY_DISTRICTS, district_choices


def test_a_provincial_centre_sees_its_districts_grouped_by_city():
    mixed = ["南山区", "天河区", "福田区", "越秀区", "某新区"]
    choices = district_choices(mixed)
    assert choices[0][0] == "广州市" and choices[1][0] == "深圳市"
    guangzhou = [name for name, _label in choices[0][1]]
    assert guangzhou == [d for d in CITY_DISTRICTS["广州"] if d in mixed]
    assert [name for name, _label in choices[1][1]] == ["福田区", "南山区"]
    assert choices[2] == ("某新区", "某新区")  # no known city: after the groups


def test_a_city_centre_sees_a_flat_list_in_its_city_order():
    shenzhen = ["南山区", "福田区", "罗湖区"]
    assert district_choices(shenzhen) == [(d, d) for d in CITY_DISTRICTS["深圳"] if d in shenzhen]


def test_the_draft_form_offers_the_grouped_districts():
    form = ConfirmForm(districts=["南山区", "天河区"])
    groups = [label for label, _options in form.fields["district"].choices[1:]]
    assert groups == ["广州市", "深圳市"]
