"""Caller number normalisation, masking and hashing: one form per caller everywhere."""

from __future__ import annotations

import pytest

from numbering import NumberKind, caller_hash, mask, normalize


@pytest.mark.parametrize(
    ("raw", "normalized", "kind"),
    [
        ("13812345678", "+8613812345678", NumberKind.MOBILE),
        ("+86 138-1234-5678", "+8613812345678", NumberKind.MOBILE),
        ("008613812345678", "+8613812345678", NumberKind.MOBILE),
        ("8613812345678", "+8613812345678", NumberKind.MOBILE),
        ("010-12345678", "+861012345678", NumberKind.FIXED),
        ("+86 10 1234 5678", "+861012345678", NumberKind.FIXED),
        ("(0755) 2345 6789", "+8675523456789", NumberKind.FIXED),
        ("02187654321", "+862187654321", NumberKind.FIXED),
        ("4008123456", "+864008123456", NumberKind.TOLL_FREE),
        ("800-810-8888", "+868008108888", NumberKind.TOLL_FREE),
        ("10086", "10086", NumberKind.SHORT_CODE),
        ("110", "110", NumberKind.SHORT_CODE),
        ("95588", "95588", NumberKind.SHORT_CODE),
        ("+4930123456", "+4930123456", NumberKind.INTERNATIONAL),
        ("anonymous", None, NumberKind.ANONYMOUS),
        ("Anonymous", None, NumberKind.ANONYMOUS),
        ("", None, NumberKind.ANONYMOUS),
        (None, None, NumberKind.ANONYMOUS),
        ("1234", None, NumberKind.INVALID),
        ("12345", "12345", NumberKind.SHORT_CODE),  # the government service hotline
        ("call me maybe", None, NumberKind.INVALID),
        ("1381234567a", None, NumberKind.INVALID),
        ("9" * 200, None, NumberKind.INVALID),
        ("'; DROP TABLE calls; --", None, NumberKind.INVALID),
    ],
)
def test_normalize(raw: str | None, normalized: str | None, kind: NumberKind) -> None:
    result = normalize(raw)
    assert (result.normalized, result.kind) == (normalized, kind)


def test_fixed_line_keeps_area_code_and_national_form() -> None:
    n = normalize("0755-23456789")
    assert n.area_code == "755"
    assert n.national == "075523456789"
    assert normalize("13812345678").national == "13812345678"


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86 138****5678"),
        ("10086", "1***6"),
        ("110", "1*0"),
        (None, "anonymous"),
    ],
)
def test_mask(number: str | None, masked: str) -> None:
    assert mask(number) == masked


def test_mask_hides_the_middle_of_every_number() -> None:
    for number in ("13812345678", "+861012345678", "075523456789", "95588", "4008123456", "1234567"):
        masked = mask(number).replace("+86 ", "")
        assert masked.count("*") >= len(number.lstrip("+")) - 7 - (2 if number.startswith("+86") else 0)
        assert "*" in masked
        assert number.lstrip("+") not in masked


def test_caller_hash_is_keyed_and_stable() -> None:
    a = caller_hash("+8613812345678", b"salt-a")
    assert a == caller_hash("+8613812345678", b"salt-a")
    assert a != caller_hash("+8613812345678", b"salt-b")
    assert caller_hash(None, b"salt-a") is None
    assert a is not None and "13812345678" not in a
