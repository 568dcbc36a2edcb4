"""Checking and preparing uploaded photos (Pillow).

An upload is accepted only if Pillow decodes it as JPEG, PNG or WebP, whatever its name says,
and it is at most `JIEDAO_PHOTO_MAX_BYTES`. The original bytes are kept unchanged (for staff);
what pages show is re-encoded from the pixels alone, turned upright by its EXIF orientation and
resized, so no metadata (GPS location, camera, time) survives in it.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
DISPLAY_SIZE = 1600
THUMB_SIZE = 400
GPS_IFD = 0x8825
MAX_PIXELS = 60_000_000


@dataclass(frozen=True)
class PreparedPhoto:
    original: bytes
    original_format: str
    had_location: bool
    display: bytes
    thumb: bytes
    width: int
    height: int
    sha256: str


def max_bytes() -> int:
    return int(getattr(settings, "JIEDAO_PHOTO_MAX_BYTES", 10 * 1024 * 1024))


def _refuse() -> ValidationError:
    return ValidationError(
        _("文件不是可识别的图片，请上传 JPG、PNG 或 WebP 格式的照片。"), code="not_image"
    )


def has_location(image: Image.Image) -> bool:
    """Does the image carry GPS data in its EXIF?"""
    try:
        exif = image.getexif()
        return bool(exif.get_ifd(GPS_IFD)) or GPS_IFD in exif
    except Exception:
        return False


def _encode(image: Image.Image, size: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((size, size), Image.Resampling.LANCZOS)
    if copy.mode not in ("RGB", "L"):
        background = Image.new("RGB", copy.size, (255, 255, 255))
        rgba = copy.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        copy = background
    out = io.BytesIO()
    # Saved without `exif=` and from pixels only: nothing of the original's metadata is kept.
    copy.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def prepare(data: bytes) -> PreparedPhoto:
    """Check an upload by its content and make the page copies; raise ValidationError if not."""
    if not data:
        raise _refuse()
    if len(data) > max_bytes():
        raise ValidationError(
            _("照片不能超过 %(mb).1f MB。") % {"mb": max_bytes() / 1024 / 1024}, code="too_large"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format or ""
            if fmt not in ALLOWED_FORMATS:
                raise _refuse()
            if probe.width * probe.height > MAX_PIXELS:
                raise _refuse()
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except ValidationError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise _refuse() from exc
    had_location = has_location(image)
    upright = ImageOps.exif_transpose(image) or image
    display = _encode(upright, DISPLAY_SIZE)
    thumb = _encode(upright, THUMB_SIZE)
    with Image.open(io.BytesIO(display)) as shown:
        width, height = shown.size
    return PreparedPhoto(
        original=data,
        original_format=fmt,
        had_location=had_location,
        display=display,
        thumb=thumb,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
    )
