import logging

import pytest

from suite.privacy import MaskPiiFilter, mask_id_number, mask_phone, mask_text


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("0755-88886666", "********6666"),
        ("", ""),
    ],
)
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked


def test_mask_id_number():
    assert mask_id_number("440301199001011234") == "440***********1234"


def test_mask_text_masks_every_number_in_free_text():
    text = "用户13812345678，身份证44030119900101123X，座机0755-88886666，订单号20261122"
    masked = mask_text(text)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "44030119900101123X" not in masked and "440***********123X" in masked
    assert "88886666" not in masked
    assert "20261122" in masked  # an 8-digit order number is no phone


def test_log_filter_masks_arguments(caplog):
    logger = logging.getLogger("tests.privacy")
    logger.addFilter(MaskPiiFilter())
    with caplog.at_level(logging.INFO, logger="tests.privacy"):
        logger.info("call from %s about %s", "13812345678", "broadband")
    assert caplog.records[-1].getMessage() == "call from 138****5678 about broadband"
