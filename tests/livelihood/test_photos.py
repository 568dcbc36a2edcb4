"""Photos: images only (by content), size-limited, originals kept, page copies resized, turned
upright and stripped of every piece of metadata; after-photos pair with a before-photo."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404
from PIL import Image

from jiedao.core.permissions import NotPermitted
from jiedao.livelihood import photos as photo_lib
from jiedao.livelihood import selectors as sel
from jiedao.livelihood import services as s
from jiedao.livelihood.models import Photo, PhotoKind, Project
from tests.livelihood.factories import image_bytes, make_programme, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(tree, users) -> Project:
    return make_project(make_programme(tree.sub_a), tree.committee_a, actor=users["hx_worker"])


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(bytes(data)))
    image.load()
    return image


def _upload(project: Project, user, data: bytes | None = None, **kwargs) -> Photo:
    kwargs.setdefault("kind", PhotoKind.BEFORE)
    kwargs.setdefault("name", "photo.jpg")
    return s.photo_upload(actor=user, project=project, data=data or image_bytes(), **kwargs)


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (50, 50), (1, 2, 3)).save(out, format="GIF")
    return out.getvalue()


# --- what is refused --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [
        b"",
        "这不是图片，只是一段文字。\n".encode() * 20,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n",
        _gif(),
        image_bytes("JPEG")[:300],  # a truncated JPEG
    ],
    ids=["empty", "text", "pdf", "gif", "truncated"],
)
def test_a_non_image_is_refused_by_its_content(data) -> None:
    with pytest.raises(ValidationError) as exc:
        photo_lib.prepare(data)
    assert exc.value.code == "not_image"


def test_a_renamed_text_file_is_refused_on_upload(project, users) -> None:
    with pytest.raises(ValidationError) as exc:
        _upload(project, users["hx_worker"], data=b"hello, not a picture at all", name="x.jpg")
    assert exc.value.code == "not_image"
    assert not Photo.objects.exists()


def test_a_too_large_file_is_refused(project, users, settings) -> None:
    data = image_bytes("PNG", (300, 300))
    settings.JIEDAO_PHOTO_MAX_BYTES = len(data) - 1
    with pytest.raises(ValidationError) as exc:
        _upload(project, users["hx_worker"], data=data, name="big.png")
    assert exc.value.code == "too_large"
    assert not Photo.objects.exists()
    settings.JIEDAO_PHOTO_MAX_BYTES = len(data)
    assert _upload(project, users["hx_worker"], data=data, name="big.png").pk


# --- what is accepted -------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_are_accepted_whatever_their_name(project, users, fmt) -> None:
    data = image_bytes(fmt, (640, 480))
    photo = _upload(project, users["hx_worker"], data=data, name="scan.txt", caption=" 东侧 ")
    photo.refresh_from_db()
    assert photo.original_format == fmt
    assert photo.original_name == "scan.txt"
    assert photo.caption == "东侧"
    assert bytes(photo.original) == data
    assert (photo.width, photo.height) == (640, 480)
    assert _open(photo.display).format == "JPEG"
    assert photo.uploaded_by == users["hx_worker"]


def test_a_transparent_png_gets_a_white_background(project, users) -> None:
    out = io.BytesIO()
    Image.new("RGBA", (100, 80), (255, 0, 0, 0)).save(out, format="PNG")
    photo = _upload(project, users["hx_worker"], data=out.getvalue(), name="a.png")
    shown = _open(photo.display)
    assert shown.mode == "RGB"
    r, g, b = shown.getpixel((50, 40))
    assert min(r, g, b) > 240


def test_location_is_stripped_and_the_original_kept(project, users) -> None:
    data = image_bytes("JPEG", (3200, 2000), gps=True)
    assert _open(data).getexif().get_ifd(0x8825)  # the upload does carry a location
    photo = _upload(project, users["hx_worker"], data=data, name="IMG_0001.jpg")
    photo.refresh_from_db()
    assert photo.original_had_location is True
    assert bytes(photo.original) == data
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert hashlib.sha256(bytes(photo.original)).hexdigest() == photo.sha256
    display, thumb = _open(photo.display), _open(photo.thumb)
    for copy, raw in ((display, photo.display), (thumb, photo.thumb)):
        assert len(copy.getexif()) == 0
        assert "exif" not in copy.info
        assert b"TestPhone" not in bytes(raw)
        assert b"Exif" not in bytes(raw)
    assert display.size == (1600, 1000)
    assert thumb.size == (400, 250)
    assert (photo.width, photo.height) == (1600, 1000)


def test_a_photo_without_location_says_so(project, users) -> None:
    photo = _upload(project, users["hx_worker"], data=image_bytes("JPEG", (200, 100)))
    assert photo.original_had_location is False
    assert max(_open(photo.display).size) <= 1600


def test_a_tall_picture_is_resized_by_its_long_side() -> None:
    prepared = photo_lib.prepare(image_bytes("PNG", (1000, 4000)))
    assert _open(prepared.display).size == (400, 1600)
    assert _open(prepared.thumb).size == (100, 400)


def test_exif_orientation_is_applied(project, users) -> None:
    # Stored 600 wide × 800 tall, with a red block at the top left; orientation 6 says
    # "turn 90° clockwise to view", so the page shows 800 × 600 with the block at the top right.
    image = Image.new("RGB", (600, 800), (0, 160, 0))
    image.paste((255, 0, 0), (0, 0, 150, 150))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=95)
    photo = _upload(project, users["hx_worker"], data=out.getvalue())
    shown = _open(photo.display)
    assert shown.size == (800, 600)
    assert (photo.width, photo.height) == (800, 600)
    r, g, _b = shown.getpixel((740, 60))
    assert r > 200 and g < 60  # red, now top right
    r, g, _b = shown.getpixel((60, 60))
    assert r < 60 and g > 120  # green
    assert len(shown.getexif()) == 0  # the orientation tag is gone too
    assert _open(photo.thumb).size == (400, 300)


# --- before and after -------------------------------------------------------------------------
def test_an_after_photo_pairs_with_a_before_photo_of_the_same_project(project, users) -> None:
    worker = users["hx_worker"]
    before = _upload(project, worker, kind=PhotoKind.BEFORE, spot="东墙")
    after = _upload(project, worker, kind=PhotoKind.AFTER, before=before)
    assert after.before == before
    assert after.spot == "东墙"  # the same spot
    before.refresh_from_db()
    assert before.after == after
    photos = sel.photos_of(project)
    assert sel.photo_pairs(photos) == [(before, after)]


def test_an_after_photo_without_a_fitting_before_photo_is_refused(tree, project, users) -> None:
    worker = users["hx_worker"]
    other = make_project(project.programme, tree.committee_a, actor=worker)
    elsewhere = _upload(other, worker, kind=PhotoKind.BEFORE)
    site = _upload(project, worker, kind=PhotoKind.SITE)
    for before in (None, elsewhere, site):
        with pytest.raises(ValidationError) as exc:
            _upload(project, worker, kind=PhotoKind.AFTER, before=before)
        assert "before" in exc.value.message_dict
    assert not Photo.objects.filter(kind=PhotoKind.AFTER).exists()


def test_a_before_photo_has_one_after_photo(project, users) -> None:
    worker = users["hx_worker"]
    before = _upload(project, worker, kind=PhotoKind.BEFORE)
    _upload(project, worker, kind=PhotoKind.AFTER, before=before)
    with pytest.raises(ValidationError) as exc:
        _upload(project, worker, kind=PhotoKind.AFTER, before=before)
    assert "before" in exc.value.message_dict
    assert Photo.objects.filter(kind=PhotoKind.AFTER).count() == 1


@pytest.mark.parametrize("kind", [PhotoKind.BEFORE, PhotoKind.SITE, PhotoKind.OTHER])
def test_only_an_after_photo_names_a_before_photo(project, users, kind) -> None:
    worker = users["hx_worker"]
    before = _upload(project, worker, kind=PhotoKind.BEFORE)
    with pytest.raises(ValidationError) as exc:
        _upload(project, worker, kind=kind, before=before)
    assert "before" in exc.value.message_dict


def test_an_unknown_kind_or_foreign_site_survey_is_refused(tree, project, users) -> None:
    from datetime import date

    worker = users["hx_worker"]
    with pytest.raises(ValidationError) as exc:
        _upload(project, worker, kind="selfie")
    assert "kind" in exc.value.message_dict
    other = make_project(project.programme, tree.committee_a, actor=worker)
    visit = s.site_survey_record(actor=worker, project=other, day=date.today(), findings="杂乱")
    with pytest.raises(ValidationError) as exc:
        _upload(project, worker, kind=PhotoKind.SITE, site_survey=visit)
    assert "site_survey" in exc.value.message_dict
    own = s.site_survey_record(actor=worker, project=project, day=date.today(), findings="杂乱")
    photo = _upload(project, worker, kind=PhotoKind.SITE, site_survey=own)
    assert list(own.photos.all()) == [photo]


def test_photos_are_uploaded_by_those_who_run_the_project(tree, project, users) -> None:
    from tests.livelihood.factories import make_resident

    for user in (users["fgn_worker"], users["tmx_leader"], make_resident(tree.committee_a)):
        with pytest.raises(NotPermitted):
            _upload(project, user)
    assert not Photo.objects.exists()
    assert _upload(project, users["tmx_livelihood"]).pk


# --- who sees a photo -------------------------------------------------------------------------
def test_photo_for_view_follows_publication_and_scope(tree, project, users) -> None:
    photo = _upload(project, users["hx_worker"])
    anonymous = AnonymousUser()
    with pytest.raises(Http404):
        sel.photo_for_view(user=anonymous, pk=photo.pk)
    with pytest.raises(Http404):
        sel.photo_for_view(user=users["fgn_worker"], pk=photo.pk)
    assert sel.photo_for_view(user=users["tmx_leader"], pk=photo.pk) == photo
    s.project_publish(actor=users["hx_worker"], project=project)
    assert sel.photo_for_view(user=anonymous, pk=photo.pk) == photo
    # The original (with its metadata) only for those who may change the project.
    for user in (anonymous, users["tmx_leader"], users["fgn_worker"], users["ja_leader"]):
        with pytest.raises(Http404):
            sel.photo_for_view(user=user, pk=photo.pk, original=True)
    got = sel.photo_for_view(user=users["hx_worker"], pk=photo.pk, original=True)
    assert bytes(got.original) == bytes(photo.original)
    for bad in ("x", None, 999999):
        with pytest.raises(Http404):
            sel.photo_for_view(user=users["hx_worker"], pk=bad)


def test_photo_lists_do_not_load_the_bytes(project, users) -> None:
    _upload(project, users["hx_worker"])
    (listed,) = sel.photos_of(project)
    deferred = listed.get_deferred_fields()
    assert {"original", "display", "thumb"} <= deferred
