"""Validation of identifiers, with messages in the user's language."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exc
from stdnum.cn import ric, uscc


@dataclass(frozen=True)
class IdNumberCheck:
    value: str
    warning: str = ""


def clean_id_number(raw: str) -> IdNumberCheck:
    """Validate a resident ID number (cn.ric); an unknown region code is only a warning."""
    value = ric.compact(raw or "")
    if not value:
        raise ValidationError(_("请填写身份证号。"), code="required")
    try:
        return IdNumberCheck(ric.validate(value))
    except stdnum_exc.InvalidComponent:
        # validate() checks length, checksum and birth date before the region, and stdnum's
        # region table is not complete: keep the number and ask the clerk to check it.
        # A bad birth date raises the same exception, so tell the two apart.
        try:
            ric.get_birth_date(value)
        except stdnum_exc.InvalidComponent:
            raise ValidationError(_("身份证号中的出生日期无效。"), code="birth_date") from None
        return IdNumberCheck(value, warning=str(_("身份证号的行政区划代码不在代码表中，请核对。")))
    except stdnum_exc.InvalidChecksum:
        raise ValidationError(_("身份证号校验位不正确。"), code="checksum") from None
    except stdnum_exc.InvalidLength:
        raise ValidationError(_("身份证号应为18位。"), code="length") from None
    except stdnum_exc.ValidationError:
        raise ValidationError(_("身份证号无效。"), code="invalid") from None


def clean_phone(raw: str) -> str:
    """A CN mobile or landline, returned as `13812345678` or `021-12345678`."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("请填写电话号码。"), code="required")
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("电话号码格式不正确。"), code="invalid") from None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("不是有效的中国大陆手机或固定电话号码。"), code="invalid")
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    digits = "".join(ch for ch in national if ch.isdigit())
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
        return digits
    area, _sep, rest = national.partition(" ")
    return area + "-" + "".join(ch for ch in rest if ch.isdigit())


def clean_uscc(raw: str) -> str:
    value = uscc.compact(raw or "")
    if not value:
        raise ValidationError(_("请填写统一社会信用代码。"), code="required")
    try:
        return uscc.validate(value)
    except stdnum_exc.InvalidLength:
        raise ValidationError(_("统一社会信用代码应为18位。"), code="length") from None
    except stdnum_exc.InvalidChecksum:
        raise ValidationError(_("统一社会信用代码校验位不正确。"), code="checksum") from None
    except stdnum_exc.ValidationError:
        raise ValidationError(_("统一社会信用代码无效。"), code="invalid") from None
