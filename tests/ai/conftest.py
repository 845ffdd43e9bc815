import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages_in_unit_tests():
    # Backend and gateway tests match on the English msgids; the zh-hans default is covered
    # through real requests (the /v1 tests, the portal tests), which activate their own language.
    with translation.override("en"):
        yield
