"""Personal data: encrypted at rest, found by blind index, masked everywhere, revealed only
with a reason and a record of who looked."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from openpyxl import load_workbook

from jiedao.core import pii, services
from jiedao.core.models import Person, PiiReveal
from tests.conftest import bearer, login
from tests.factories import id_number, make_person, mobile

ID_NO = "310106199001011236"  # a valid number: region 310106, born 1990-01-01
PHONE = "13812345678"


@pytest.fixture
def person(tree, users):
    data = services.PersonData.clean(name="张三", id_number=ID_NO, phone=PHONE, address="华新路1号")
    return services.person_create(actor=users["tmx_admin"], org_unit=tree.committee_a, data=data)


def _raw_row(pk: int) -> dict[str, object]:
    table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])  # noqa: S608
        names = [c[0] for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def _xlsx_text(content: bytes) -> str:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    cells = [
        str(v)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for v in row
        if v is not None
    ]
    workbook.close()
    return "\n".join(cells)


# --- at rest ------------------------------------------------------------------------------------
def test_id_number_and_phone_are_encrypted_at_rest(person):
    # when
    row = _raw_row(person.pk)
    # then: the clear values appear in no column; the masked ones do
    text = " | ".join("" if v is None else str(v) for v in row.values())
    assert ID_NO not in text
    assert PHONE not in text
    assert ID_NO[6:14] + ID_NO[14:] not in text  # not even the tail after the region
    assert row["id_number_masked"] == "310***********1236"
    assert row["phone_masked"] == "138****5678"
    assert row["id_number_encrypted"] and row["phone_encrypted"]
    # and the stored cipher text decrypts back to the clear value
    assert pii.decrypt(str(row["id_number_encrypted"])) == ID_NO
    assert pii.decrypt(str(row["phone_encrypted"])) == PHONE


def test_same_value_encrypts_differently_each_time():
    assert pii.encrypt(ID_NO) != pii.encrypt(ID_NO)


def test_decrypt_with_wrong_key_fails_loudly(settings):
    token = pii.encrypt(ID_NO)
    from cryptography.fernet import Fernet

    settings.JIEDAO_PII_KEY = Fernet.generate_key().decode()
    with pytest.raises(ValueError):
        pii.decrypt(token)


# --- blind index --------------------------------------------------------------------------------
def test_blind_index_finds_a_person_by_exact_value(person, tree):
    # given
    other = make_person(tree.committee_a, "李四")
    # when
    by_id = Person.objects.filter(id_number_hash=pii.blind_index(ID_NO))
    by_phone = Person.objects.filter(phone_hash=pii.blind_index(PHONE))
    # then
    assert list(by_id) == [person]
    assert list(by_phone) == [person]
    assert other not in by_id
    # the hash is not the value, and a near miss finds nothing
    assert ID_NO not in pii.blind_index(ID_NO)
    near = ID_NO[:-2] + "00"
    assert not Person.objects.filter(id_number_hash=pii.blind_index(near)).exists()


def test_blind_index_ignores_case_blanks_and_dashes():
    assert pii.blind_index("31010619900101123x") == pii.blind_index("31010619900101123X")
    assert pii.blind_index("138-1234 5678") == pii.blind_index("13812345678")
    assert pii.blind_index("") == ""


def test_duplicate_id_number_is_refused_with_a_chinese_message(person, tree, users):
    # given
    before = Person.objects.count()
    data = services.PersonData.clean(name="王五", id_number=ID_NO, phone=mobile())
    # when
    with pytest.raises(ValidationError) as exc:
        services.person_create(actor=users["tmx_admin"], org_unit=tree.committee_b, data=data)
    # then
    assert exc.value.message_dict["id_number"] == ["该身份证号已登记在另一位居民名下。"]
    assert Person.objects.count() == before


def test_duplicate_id_number_is_refused_on_update(person, tree, users):
    # given
    other = make_person(tree.committee_a, "李四")
    data = services.PersonData.clean(name="李四", id_number=ID_NO)
    # when
    with pytest.raises(ValidationError) as exc:
        services.person_update(actor=users["tmx_admin"], person=other, data=data)
    # then
    assert "已登记" in exc.value.message_dict["id_number"][0]
    other.refresh_from_db()
    assert other.id_number_hash != pii.blind_index(ID_NO)


# --- masking formats ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("310106199001011234", "310***********1234"),
        ("31010619900101123X", "310***********123X"),
        ("1234567", "*******"),
        ("", ""),
    ],
)
def test_mask_id_number(value, masked):
    assert pii.mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("021-62345678", "021-****5678"),
        ("0512-6234567", "0512-***4567"),
        ("62345678", "****5678"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_phone(value, masked):
    assert pii.mask_phone(value) == masked


def test_landline_is_stored_masked(tree, users):
    data = services.PersonData.clean(name="赵六", id_number=id_number(), phone="02162345678")
    person = services.person_create(actor=users["tmx_admin"], org_unit=tree.committee_a, data=data)
    assert person.phone_masked == "021-****5678"
    assert pii.decrypt(person.phone_encrypted) == "021-62345678"


# --- masked wherever shown ----------------------------------------------------------------------
def test_list_page_shows_only_masked_values(person, users):
    response = login(users["tmx_admin"]).get("/people/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "310***********1236" in body
    assert "138****5678" in body
    assert ID_NO not in body
    assert PHONE not in body


def test_detail_page_shows_only_masked_values(person, users):
    response = login(users["tmx_clerk"]).get(f"/people/{person.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "310***********1236" in body
    assert "138****5678" in body
    assert ID_NO not in body
    assert PHONE not in body


def test_edit_form_does_not_prefill_clear_values(person, users):
    response = login(users["tmx_admin"]).get(f"/people/{person.pk}/edit/")
    assert response.status_code == 200
    body = response.content.decode()
    assert ID_NO not in body
    assert PHONE not in body


def test_xlsx_export_is_masked(person, users):
    # when
    response = login(users["tmx_admin"]).get("/people/?export=xlsx")
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    text = _xlsx_text(response.content)
    assert "张三" in text
    assert "310***********1236" in text
    assert "138****5678" in text
    assert ID_NO not in text
    assert PHONE not in text


def test_enterprise_export_masks_the_contact_phone(person, tree, users):
    from tests.factories import make_enterprise

    make_enterprise(tree.sub_a, contact=person)
    response = login(users["tmx_admin"]).get("/enterprises/?export=xlsx")
    assert response.status_code == 200
    text = _xlsx_text(response.content)
    assert "138****5678" in text
    assert PHONE not in text


def test_api_returns_only_masked_values(person, users):
    # given
    headers = bearer(users["tmx_admin"])
    client = login(users["tmx_admin"])
    # when
    listing = client.get("/api/v1/people", **headers)
    detail = client.get(f"/api/v1/people/{person.pk}", **headers)
    # then
    for response in (listing, detail):
        assert response.status_code == 200
        body = response.content.decode()
        assert ID_NO not in body
        assert PHONE not in body
    item = detail.json()
    assert item["id_number"] == "310***********1236"
    assert item["phone"] == "138****5678"
    assert listing.json()["items"][0]["id_number"] == "310***********1236"


def test_api_create_answers_masked_values(tree, users):
    new_id = id_number()
    response = login(users["tmx_admin"]).post(
        "/api/v1/people",
        {"org_unit_id": tree.committee_a.pk, "name": "钱七", "id_number": new_id, "phone": PHONE},
        content_type="application/json",
        **bearer(users["tmx_admin"]),
    )
    assert response.status_code == 201, response.content
    body = response.content.decode()
    assert new_id not in body
    assert PHONE not in body
    assert response.json()["phone"] == "138****5678"


# --- reveal -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("username", "field", "expected"),
    [
        ("tmx_clerk", "id_number", ID_NO),
        ("tmx_clerk", "phone", PHONE),
        ("hx_worker", "id_number", ID_NO),
        ("tmx_admin", "phone", PHONE),
    ],
)
def test_permitted_role_reveals_with_a_reason_and_it_is_recorded(
    person, users, username, field, expected
):
    # given
    user = users[username]
    # when
    response = login(user).post(
        f"/people/{person.pk}/reveal/", {"field": field, "reason": "办理低保业务核对身份"}
    )
    # then
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    reveal = PiiReveal.objects.get()
    assert reveal.user == user
    assert reveal.person == person
    assert reveal.field == field
    assert reveal.reason == "办理低保业务核对身份"
    assert reveal.remote_addr == "127.0.0.1"


def test_committee_worker_cannot_reveal_in_another_committee(tree, users):
    theirs = make_person(tree.committee_b, "李四", id_no=ID_NO, phone=PHONE)
    response = login(users["hx_worker"]).post(
        f"/people/{theirs.pk}/reveal/", {"field": "id_number", "reason": "核对身份"}
    )
    assert response.status_code == 404
    assert ID_NO not in response.content.decode()
    assert not PiiReveal.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", "a"])
def test_reveal_without_a_reason_reveals_and_records_nothing(person, users, reason):
    # when
    response = login(users["tmx_clerk"]).post(
        f"/people/{person.pk}/reveal/", {"field": "id_number", "reason": reason}
    )
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert ID_NO not in body
    assert 'class="errorlist' in body
    assert not PiiReveal.objects.exists()


def test_reveal_of_an_unknown_field_reveals_and_records_nothing(person, users):
    response = login(users["tmx_clerk"]).post(
        f"/people/{person.pk}/reveal/", {"field": "address", "reason": "核对身份"}
    )
    assert response.status_code == 200
    assert ID_NO not in response.content.decode()
    assert PHONE not in response.content.decode()
    assert not PiiReveal.objects.exists()


def test_reveal_service_refuses_a_blank_reason_in_chinese(person, users):
    with pytest.raises(ValidationError) as exc:
        services.person_reveal(actor=users["tmx_clerk"], person=person, field="phone", reason=" ")
    assert exc.value.message_dict["reason"] == ["请说明查看理由。"]
    assert not PiiReveal.objects.exists()


@pytest.mark.parametrize("username", ["tmx_leader", "tmx_business", "tmx_livelihood_like"])
def test_role_without_reveal_is_refused_and_nothing_is_recorded(person, users, username, tree):
    # given
    if username == "tmx_livelihood_like":
        from jiedao.accounts.models import Role
        from tests.factories import UserFactory

        user = UserFactory.with_role(Role.LIVELIHOOD_OFFICER, tree.sub_a)
    else:
        user = users[username]
    # when
    response = login(user).post(
        f"/people/{person.pk}/reveal/", {"field": "id_number", "reason": "核对身份信息"}
    )
    # then
    assert response.status_code in (403, 404)
    assert ID_NO not in response.content.decode()
    assert not PiiReveal.objects.exists()


def test_detail_page_offers_reveal_only_to_permitted_roles(person, users):
    url = f"/people/{person.pk}/"
    assert f"/people/{person.pk}/reveal/" in login(users["tmx_clerk"]).get(url).content.decode()
    assert f"/people/{person.pk}/reveal/" not in (
        login(users["tmx_leader"]).get(url).content.decode()
    )


def test_reveal_via_api_is_recorded_and_refused_without_permission(person, users):
    # permitted
    ok = login(users["tmx_clerk"]).post(
        f"/api/v1/people/{person.pk}/reveal",
        {"field": "phone", "reason": "电话回访"},
        content_type="application/json",
        **bearer(users["tmx_clerk"]),
    )
    assert ok.status_code == 200
    assert ok.json() == {"field": "phone", "value": PHONE}
    assert PiiReveal.objects.filter(user=users["tmx_clerk"], field="phone").count() == 1
    # refused
    refused = login(users["tmx_leader"]).post(
        f"/api/v1/people/{person.pk}/reveal",
        {"field": "phone", "reason": "电话回访"},
        content_type="application/json",
        **bearer(users["tmx_leader"]),
    )
    assert refused.status_code == 403
    assert PHONE not in refused.content.decode()
    # no reason
    blank = login(users["tmx_clerk"]).post(
        f"/api/v1/people/{person.pk}/reveal",
        {"field": "phone", "reason": ""},
        content_type="application/json",
        **bearer(users["tmx_clerk"]),
    )
    assert blank.status_code == 422
    assert PHONE not in blank.content.decode()
    assert PiiReveal.objects.count() == 1


def test_reveal_records_cannot_be_updated_or_deleted(person, users):
    # given
    services.person_reveal(actor=users["tmx_clerk"], person=person, field="phone", reason="回访")
    reveal = PiiReveal.objects.get()
    # when / then
    reveal.reason = "改掉理由"
    with pytest.raises(PermissionError):
        reveal.save()
    with pytest.raises(PermissionError):
        reveal.delete()
    with pytest.raises(PermissionError):
        PiiReveal.objects.filter(pk=reveal.pk).delete()
    with pytest.raises(PermissionError):
        PiiReveal.objects.filter(pk=reveal.pk).update(reason="改掉理由")
    reveal = PiiReveal.objects.get()
    assert reveal.reason == "回访"


# --- logs ---------------------------------------------------------------------------------------
def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("jiedao.test", logging.INFO, __file__, 1, msg, args or None, None)


def test_log_filter_masks_id_numbers_and_phones_in_the_message():
    # given
    record = _record(f"looked up {ID_NO} and {PHONE} and 31010619900101123X")
    # when
    kept = pii.MaskPiiLogFilter().filter(record)
    # then
    assert kept is True
    message = record.getMessage()
    assert ID_NO not in message
    assert PHONE not in message
    assert "310***********1236" in message
    assert "138****5678" in message
    assert "310***********123X" in message


def test_log_filter_masks_values_passed_as_arguments():
    record = _record("person id=%s tel=%s count=%d", ID_NO, PHONE, 3)
    pii.MaskPiiLogFilter().filter(record)
    assert record.getMessage() == "person id=310***********1236 tel=138****5678 count=3"


def test_log_filter_leaves_other_numbers_alone():
    record = _record("order 12345678901234567890 took 1381234 ms")
    pii.MaskPiiLogFilter().filter(record)
    assert record.getMessage() == "order 12345678901234567890 took 1381234 ms"


def test_log_filter_masks_values_in_a_logged_traceback():
    # given: an exception whose text quotes a personal value
    try:
        raise ValueError(f"bad row: {ID_NO} / {PHONE}")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "jiedao.test", logging.ERROR, __file__, 1, "import failed", None, sys.exc_info()
        )
    # when
    pii.MaskPiiLogFilter().filter(record)
    output = logging.Formatter().format(record)
    # then
    assert "ValueError" in output
    assert ID_NO not in output
    assert PHONE not in output
    assert "310***********1236" in output


def test_log_filter_is_on_the_configured_handlers():
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    configured = [
        h for h in handlers if any(isinstance(f, pii.MaskPiiLogFilter) for f in h.filters)
    ]
    assert configured, "the console handler must carry the masking filter"


def test_log_filter_masks_through_caplog(caplog):
    caplog.handler.addFilter(pii.MaskPiiLogFilter())
    with caplog.at_level(logging.INFO):
        logging.getLogger("jiedao.test").info("resident %s phone %s", ID_NO, PHONE)
    assert ID_NO not in caplog.text
    assert PHONE not in caplog.text
    assert "310***********1236" in caplog.text


def test_reveal_does_not_log_the_clear_value(person, users, caplog):
    # when (no masking filter on caplog's handler: this sees what the code itself wrote)
    with caplog.at_level(logging.DEBUG):
        for field in ("id_number", "phone"):
            response = login(users["tmx_clerk"]).post(
                f"/people/{person.pk}/reveal/", {"field": field, "reason": "核对身份"}
            )
            assert response.status_code == 200
    # then
    assert "pii reveal" in caplog.text
    for record in caplog.records:
        message = record.getMessage()
        assert ID_NO not in message
        assert PHONE not in message


# --- name search --------------------------------------------------------------------------------
@pytest.mark.parametrize("q", ["zs", "zhang", "zhangsan", "ZS", "张", "张三", "zhang san"])
def test_name_search_matches_pinyin_and_initials_on_the_list_page(tree, users, q):
    # given
    make_person(tree.committee_a, "张三")
    make_person(tree.committee_a, "李四")
    # when
    response = login(users["tmx_admin"]).get("/people/", {"q": q})
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert "张三" in body
    assert "李四" not in body


@pytest.mark.parametrize("q", ["zs", "zhang"])
def test_name_search_matches_pinyin_and_initials_in_the_api(tree, users, q):
    make_person(tree.committee_a, "张三")
    make_person(tree.committee_a, "李四")
    response = login(users["tmx_admin"]).get(
        "/api/v1/people", {"q": q}, **bearer(users["tmx_admin"])
    )
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["items"]] == ["张三"]


def test_name_search_keys():
    assert services.name_search_keys("张三") == ("zhangsan", "zs")
