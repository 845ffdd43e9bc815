"""suite.netguard: the one check of where a tenant-chosen URL may lead (cameras, webhooks)."""

import pytest
from django.utils import translation

from suite.netguard import Policy, TargetRefused, check_url

CAMERAS = Policy.of([], private_ok=True)
WEBHOOKS = Policy.of([], private_ok=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://[::ffff:10.0.0.1]/hook",  # private, spelled as IPv4-mapped IPv6
        "http://167772161/hook",  # 10.0.0.1 as one number
        "http://100.64.0.1/hook",  # carrier-grade NAT: not on the internet
        "http://[fd00::1]/hook",
        "http://[2002:a00:1::]/hook",  # 6to4 around 10.0.0.1
    ],
)
def test_webhooks_refuse_private_addresses_in_any_spelling(url):
    with pytest.raises(TargetRefused):
        check_url(url, WEBHOOKS, resolve=False)
    check_url(url.replace("/hook", "/cam"), CAMERAS, resolve=False)  # a camera network is fine


def test_public_addresses_pass_and_the_operator_allows_by_name_address_or_network():
    assert check_url("https://93.184.216.34/hook", WEBHOOKS, resolve=False)
    by_name = Policy.of(["hooks.internal"], private_ok=False)
    assert check_url("http://HOOKS.internal./hook", by_name, resolve=True) == []
    for allow in (["10.0.0.0/8"], ["10.1.2.3"], ["*"]):
        check_url("http://10.1.2.3/hook", Policy.of(allow, private_ok=False), resolve=False)
    with pytest.raises(TargetRefused):
        check_url("http://10.1.2.3/hook", by_name, resolve=False)


def test_a_url_parsers_disagree_on_is_refused():
    with translation.override("en"), pytest.raises(TargetRefused, match="control characters"):
        check_url("http://10.0.0.5\t@127.0.0.1/", CAMERAS, resolve=False)
