"""Personal data: encryption at rest, a keyed hash for exact lookup, and masking."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _derive(label: bytes) -> bytes:
    return hashlib.sha256(settings.SECRET_KEY.encode() + b"|" + label).digest()


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    if key:
        return Fernet(key.encode())
    return Fernet(base64.urlsafe_b64encode(_derive(b"jiedao-pii-encryption")))


def _hash_key() -> bytes:
    key = settings.JIEDAO_PII_HASH_KEY
    return key.encode() if key else _derive(b"jiedao-pii-blind-index")


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet(settings.JIEDAO_PII_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(settings.JIEDAO_PII_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a wrong key must never look like an empty value
        raise ValueError("personal data cannot be decrypted with the configured key") from exc


def blind_index(value: str) -> str:
    """Keyed hash of a normalised value: equal inputs give equal hashes, nothing is readable."""
    if not value:
        return ""
    normalised = re.sub(r"[\s-]", "", value).upper()
    return hmac.new(_hash_key(), normalised.encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """`310***********1234`: region's first three digits and the last four stay."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    """`138****5678` for mobiles; landlines keep the area code and last four digits."""
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    if "-" in value:
        area, _, number = value.partition("-")
        return area + "-" + "*" * max(len(number) - 4, 0) + number[-4:]
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


# An 18-character resident ID number or an 11-digit mainland mobile, as they appear in text.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    text = _ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return _MOBILE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


class MaskPiiLogFilter(logging.Filter):
    """Masks ID and mobile numbers in every log record, whatever code wrote it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        # A traceback can quote a value too; formatters reuse exc_text once it is set.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True
