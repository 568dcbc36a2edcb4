"""Identifier validation: resident ID numbers, CN phone numbers, unified social credit codes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import ric, uscc

from jiedao.core.validators import clean_id_number, clean_phone, clean_uscc
from tests.factories import credit_code, id_number


def _with_check_digit(body17: str) -> str:
    """A 17-digit body plus its correct check digit."""
    return body17 + ric.calc_check_digit(body17 + "0")


def _wrong_last(value: str) -> str:
    """The same number with a different (so wrong) last character."""
    return value[:-1] + ("1" if value[-1] != "1" else "2")


def _messages(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


# --- resident ID numbers ----------------------------------------------------------------------
def test_valid_id_number_is_kept_with_no_warning():
    # given
    value = id_number()
    # when
    check = clean_id_number(value)
    # then
    assert check.value == value
    assert check.warning == ""


def test_id_number_is_stripped_and_lower_x_upper_cased():
    # given: a number whose check digit is X, typed with blanks around and a lower-case x
    body = next(
        b
        for b in (f"31010619800101{n:03d}" for n in range(1000))
        if ric.calc_check_digit(b + "0") == "X"
    )
    typed = f"  {body}x "
    # when
    check = clean_id_number(typed)
    # then
    assert check.value == body + "X"


def test_id_number_with_bad_checksum_is_rejected_in_chinese():
    # given
    bad = _wrong_last(id_number())
    # when
    with pytest.raises(ValidationError) as exc:
        clean_id_number(bad)
    # then
    assert exc.value.code == "checksum"
    assert "校验位" in _messages(exc)


@pytest.mark.parametrize("value", ["31010619900101123", "3101061990010112345", "310106"])
def test_id_number_of_wrong_length_is_rejected_in_chinese(value):
    with pytest.raises(ValidationError) as exc:
        clean_id_number(value)
    assert exc.value.code == "length"
    assert "18位" in _messages(exc)


def test_id_number_with_letters_in_the_body_is_rejected():
    with pytest.raises(ValidationError) as exc:
        clean_id_number("31010A199001011234")
    assert "身份证号" in _messages(exc)


@pytest.mark.parametrize("value", ["", "   ", None])
def test_blank_id_number_is_required(value):
    with pytest.raises(ValidationError) as exc:
        clean_id_number(value)
    assert exc.value.code == "required"
    assert "请填写身份证号" in _messages(exc)


def test_unknown_region_code_is_a_warning_not_a_rejection():
    # given: region 999999 is in no code table, but birth date and checksum are right
    value = _with_check_digit("99999919900101123")
    # when
    check = clean_id_number(value)
    # then
    assert check.value == value
    assert "行政区划代码" in check.warning


def test_impossible_birth_date_is_rejected_not_a_region_warning():
    # given: a known region, a correct checksum, but month 13
    value = _with_check_digit("31010619901301123")
    # when / then: stdnum reports a bad date and an unknown region the same way; a bad
    # date must still be refused (the person's birth date is derived from it)
    with pytest.raises(ValidationError) as exc:
        clean_id_number(value)
    assert "出生日期" in _messages(exc)


# --- phone numbers ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("021-62345678", "021-62345678"),
        ("02162345678", "021-62345678"),
        ("(021) 6234 5678", "021-62345678"),
        ("+86 21 6234 5678", "021-62345678"),
    ],
)
def test_cn_mobile_and_landline_are_normalised(raw, expected):
    assert clean_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["abc", "12345", "1234567890123456789", "+1 202 555 0100", "138123456789", "电话", "1" * 200],
)
def test_junk_phone_is_rejected_in_chinese(raw):
    with pytest.raises(ValidationError) as exc:
        clean_phone(raw)
    message = _messages(exc)
    assert "电话" in message or "号码" in message


@pytest.mark.parametrize("raw", ["", "  ", None])
def test_blank_phone_is_required(raw):
    with pytest.raises(ValidationError) as exc:
        clean_phone(raw)
    assert exc.value.code == "required"


# --- unified social credit codes --------------------------------------------------------------
def test_valid_credit_code_is_kept():
    code = credit_code()
    assert clean_uscc(code) == code


def test_credit_code_is_compacted_and_upper_cased():
    code = credit_code()
    assert clean_uscc(f" {code[:9].lower()} {code[9:]} ") == code


def test_credit_code_with_bad_checksum_is_rejected_in_chinese():
    # given
    code = credit_code()
    wrong = next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != code[-1])
    # when
    with pytest.raises(ValidationError) as exc:
        clean_uscc(code[:-1] + wrong)
    # then
    assert exc.value.code == "checksum"
    assert "校验位" in _messages(exc)


@pytest.mark.parametrize("cut", [1, 5])
def test_credit_code_of_wrong_length_is_rejected_in_chinese(cut):
    with pytest.raises(ValidationError) as exc:
        clean_uscc(credit_code()[:-cut])
    assert exc.value.code == "length"
    assert "18位" in _messages(exc)


def test_credit_code_with_forbidden_letters_is_rejected():
    # I, O, S, V, Z are not in the USCC alphabet
    body = "91310106MAIOSVZ00"
    with pytest.raises(ValidationError) as exc:
        clean_uscc(body + "0")
    assert "统一社会信用代码" in _messages(exc)
    assert not uscc.is_valid(body + "0")


@pytest.mark.parametrize("raw", ["", " ", None])
def test_blank_credit_code_is_required(raw):
    with pytest.raises(ValidationError) as exc:
        clean_uscc(raw)
    assert exc.value.code == "required"
