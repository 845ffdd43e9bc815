"""X-Forwarded-For is believed only from operator-listed proxies (TRUSTED_PROXIES)."""

from pathlib import Path

import pytest

from suite.accounts import services
from suite.audit.services import client_ip


def test_forwarded_header_is_ignored_without_trusted_proxies(rf, settings):
    settings.TRUSTED_PROXIES = []
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_ip(request) == "127.0.0.1"


def test_a_trusted_proxy_passes_on_the_nearest_untrusted_hop(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = rf.get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7, 10.0.0.9"
    )
    # The left-most entry is whatever the client wrote; the proxies appended the rest.
    assert client_ip(request) == "198.51.100.7"
    garbled = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_ip(garbled) == "10.0.0.5"
    direct = rf.get("/", REMOTE_ADDR="198.51.100.8", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(direct) == "198.51.100.8"


@pytest.mark.django_db
def test_forged_forwarded_addresses_do_not_reset_the_per_ip_otp_cap(rf, settings):
    settings.TRUSTED_PROXIES = []
    settings.OTP_MAX_PER_IP_PER_HOUR = 2
    for n in range(2):
        request = rf.post("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        services.otp_send(request=request, phone=f"1370000000{n}")
    forged = rf.post("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.99")
    with pytest.raises(services.OtpError):
        services.otp_send(request=forged, phone="13700000009")


def test_make_run_does_not_let_uvicorn_rewrite_the_client_address():
    script = (Path(__file__).resolve().parents[2] / "scripts" / "run.sh").read_text()
    assert "--no-proxy-headers" in script
